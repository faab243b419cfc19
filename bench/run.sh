#!/usr/bin/env bash
# The benchmark harness: builds, starts creditd (mTLS, dev PKI, a fresh data folder) and the
# baseline server side by side on loopback, loads data through the real recording path, then
# runs each scenario against creditd and the baseline alternately (A B A B ...), and prints the
# medians and their ratios as `name: value` lines, last. Raw output goes to bench/results/.
# Usage: bench/run.sh [--quick]      (--quick: a few minutes; the full run takes longer)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
bash deploy/build.sh >/dev/null
bench=build/bench/credit-bench

if [ $quick = 1 ]; then reps=3; seconds=5; load_seconds=10; else reps=5; seconds=15; load_seconds=60; fi
# BENCH_SECONDS overrides the measuring time per run (a smoke test of the harness itself).
seconds=${BENCH_SECONDS:-$seconds}; load_seconds=${BENCH_SECONDS:-$load_seconds}
work=$(mktemp -d)
pids=()
raw=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  [ -z "$raw" ] || rm -f "$raw.tmp"
}
trap cleanup EXIT
bash deploy/dev-pki.sh "$work/pki" >/dev/null
pki=$work/pki

build/service/creditd --config "$pki/creditd.yaml" --listen 127.0.0.1:0 --data-dir "$work/data" \
  --port-file "$work/port" 2>"$work/creditd.log" &
creditd=$!; pids+=($creditd)
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
endpoint=127.0.0.1:$(cat "$work/port")

as() {  # identity, then load flags
  local who=$1; shift
  "$bench" load --endpoint "$1" --cacert "$pki/ca.pem" --cert "$pki/$who.pem" --key "$pki/$who.key" "${@:2}"
}
value() { awk -v k="$1:" '$1 == k {print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
mkdir -p bench/results
raw=bench/results/$stamp$([ $quick = 1 ] && echo -quick).txt
{
  echo "# bench/run.sh $* on $(hostname), $(nproc) cores, $stamp"
  echo "## recording, 64 concurrent recorders, ${load_seconds}s (also loads the data)"
  as recorder "$endpoint" --scenario record --outstanding 64 --threads 2 --duration "$load_seconds" --warmup 1 --subjects 100000 --server-pid $creditd
  echo "## recording, 1 recorder"
  as recorder "$endpoint" --scenario record --outstanding 1 --threads 1 --duration "$seconds" --warmup 1 --subjects 100000
} > "$raw.tmp"
record64=$(value calls_per_second < "$raw.tmp" | head -1)
record1_p50=$(value p50_us < "$raw.tmp" | tail -1)

# The baseline answers with as many bytes as creditd's status answer.
bytes=$(as querier "$endpoint" --scenario status --outstanding 1 --threads 1 --duration 1 --warmup 0 --subjects 100000 | value response_bytes)
"$bench" baseline --cacert "$pki/ca.pem" --cert "$pki/server.pem" --key "$pki/server.key" \
  --port-file "$work/bport" --response-bytes "$bytes" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/bport" ] && break; sleep 0.1; done
baseline=127.0.0.1:$(cat "$work/bport")

for scenario in status batch; do
  for rep in $(seq $reps); do
    echo "## $scenario creditd rep $rep" >> "$raw.tmp"
    as querier "$endpoint" --scenario $scenario --outstanding 64 --threads 2 --duration "$seconds" --warmup 1 --subjects 100000 --server-pid $creditd >> "$raw.tmp"
    echo "## $scenario baseline rep $rep" >> "$raw.tmp"
    as querier "$baseline" --scenario $scenario --outstanding 64 --threads 2 --duration "$seconds" --warmup 1 --subjects 100000 >> "$raw.tmp"
  done
done
mv "$raw.tmp" "$raw"

figure() {  # scenario target key -> median over reps
  awk -v h="## $1 $2 rep" -v k="$3:" 'index($0, h) == 1 {on=1; next} /^## / {on=0} on && $1 == k {print $2}' "$raw" | median
}
status=$(figure status creditd calls_per_second); status_base=$(figure status baseline calls_per_second)
status_p99=$(figure status creditd p99_us); status_base_p99=$(figure status baseline p99_us)
batch=$(figure batch creditd subjects_per_second); batch_base=$(figure batch baseline subjects_per_second)
cpu=$(figure status creditd server_cpu_us_per_call); rss=$(figure status creditd server_rss_mib)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }
{
  echo "status_calls_per_second: $status"
  echo "status_baseline_calls_per_second: $status_base"
  echo "status_vs_baseline_ratio: $(ratio "$status" "$status_base")"
  echo "status_p99_us: $status_p99"
  echo "status_p99_vs_baseline_ratio: $(ratio "$status_p99" "$status_base_p99")"
  echo "status_server_cpu_us_per_call: $cpu"
  echo "server_rss_mib: $rss"
  echo "batch_subjects_per_second: $batch"
  echo "batch_vs_baseline_ratio: $(ratio "$batch" "$batch_base")"
  echo "record_64_recorders_per_second: $record64"
  echo "record_1_recorder_p50_us: $record1_p50"
} | tee -a "$raw"
