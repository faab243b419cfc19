#!/usr/bin/env bash
# Runs README's walk-through block as written, against a real creditd started here on a free
# loopback port, in a scratch folder laid out like the repository (var/pki, build/client).
# Usage: readme_walkthrough.sh CREDITD CREDITCTL REPO
set -euo pipefail
creditd=$1 creditctl=$2 repo=$3
source "$repo/tests/support/scratch_creditd.sh"
scratch_folder
bash "$repo/deploy/dev-pki.sh" var/pki >/dev/null
mkdir -p build/client
ln -s "$creditctl" build/client/creditctl
start_creditd "$creditd" var/pki/creditd.yaml var/data --test-clock
export CREDIT_ENDPOINT=$endpoint

awk '/<!-- walkthrough:start -->/{on=1; next} /<!-- walkthrough:end -->/{on=0}
     on && /^```/{fence=!fence; next} on && fence' "$repo/README.md" > walkthrough.sh
[ -s walkthrough.sh ] || { echo "README has no walk-through block"; exit 1; }
bash -euo pipefail walkthrough.sh > out.txt 2> err.txt || {
  echo "walk-through failed:"; cat out.txt err.txt; exit 1; }

fail=0
expect() {  # file text
  grep -qF -- "$2" "$1" || { echo "missing in $1: $2"; fail=1; }
}
expect out.txt "1   91440300MA5FXXXX0U  深圳某某科技有限公司  black  general   proposed  1"
expect err.txt "PERMISSION_DENIED: role recorder of identity recorder may not call ApproveEntry (needs approver)"
expect out.txt "exit code 17"
expect out.txt "black  general   notice  2"
expect out.txt ", 1 transition(s) made"
expect out.txt "P-PROCUREMENT  punishment  限制参与政府采购活动"
expect out.txt "P-SUBSIDY      punishment  限制申请财政性资金补助和政策扶持"
expect err.txt "FAILED_PRECONDITION: entry 1: repair may be applied for from "
expect err.txt ", once the 90-day minimum publication period of a general failing has passed"
expect out.txt "exit code 19"
expect out.txt "black  general   active  4"
expect out.txt "black  general   repaired  5"
# After the repair: on no list, no measures (the querier's last status answer).
awk '/^SUBJECT +NAME +LISTS/{n++} n==2' out.txt | head -5 > after-repair.txt
expect after-repair.txt "91440300MA5FXXXX0U        -      "
grep -A1 "measures your department must apply:" after-repair.txt | tail -1 | grep -qx none || {
  echo "the status after the repair still names measures"; fail=1; }
expect out.txt "creditd   system        notice_ended    entry 1  notice period ended"
expect out.txt "approver  市中小企业局  entry_repaired  entry 1  已纠正失信行为、履行义务并公开承诺"
expect out.txt '"operation": "OPERATION_ENTRY_RECORDED"'
expect out.txt "GetCreditStatus  1         -         政府采购资格审查 项目 2026-031"
expect out.txt "as recorded in the first 16 changes"
expect out.txt "from 1 change record(s): signature and inclusion proofs verified, the status recomputed from them"
expect out.txt "verified 19 changes: every record hash, the hash chain, and the root"
expect out.txt "1      P-PROCUREMENT  市财政局    applied"
expect out.txt "91440300MA5FXXXX0U  org   深圳某某科技有限公司"
expect out.txt "市财政局,2,1,0.5000,0"
if grep -q "P-BIDDING      punishment" out.txt; then echo "querier was shown P-BIDDING"; fail=1; fi
[ $fail = 0 ] || { echo "--- output"; cat out.txt err.txt; exit 1; }
echo "README walk-through: 1 passed, 0 failed"
