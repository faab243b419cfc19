#!/usr/bin/env bash
# Runs the Node client's test (node --test) and its example against a real creditd started here on
# a free loopback port, with the dev PKI and listings that take effect at once.
# Usage: run_client_test.sh CREDITD REPO
set -euo pipefail
creditd=$1 repo=$2
[ -d "$repo/client/node/node_modules/@grpc/grpc-js" ] ||
  { echo "client/node/node_modules is missing: run deploy/install-deps.sh (npm ci)" >&2; exit 1; }
source "$repo/tests/support/scratch_creditd.sh"
scratch_folder
bash "$repo/deploy/dev-pki.sh" pki >/dev/null
at_once_config pki/creditd.yaml pki/at-once.yaml
start_creditd "$creditd" pki/at-once.yaml data
# The client resolves @grpc/grpc-js from client/node; so does the test, run from there.
cd "$repo/client/node"
CREDIT_ENDPOINT=$endpoint CREDIT_PKI=$work/pki CREDIT_SERVER_KEY=$work/data/tree-head-signing.key.pub \
  node --test "$repo/tests/node/client_test.js"
# The example, as the README shows it, against the entry the test recorded.
out=$(node examples/status_check.js "$endpoint" "$work/pki" "$work/data/tree-head-signing.key.pub" \
  91440300MA5FXXXX0U)
grep -qF 'black list ["P-PROCUREMENT"]' <<<"$out" || { echo "example printed: $out"; exit 1; }
grep -qE "^log of [0-9]+ changes, root [0-9a-f]{16}… verified$" <<<"$out" || {
  echo "example printed: $out"; exit 1; }
echo "node client: example ok"
