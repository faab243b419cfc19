#!/usr/bin/env bash
# The benchmark harness: builds, starts creditd (mTLS, dev PKI, a fresh data folder) and the
# baseline server side by side on loopback, imports the data set through the real import path,
# runs each read scenario against creditd and the baseline alternately (A B A B ...), then the
# write, proof, cold-start and verification scenarios, and prints the medians and ratios as
# `name: value` lines, last. The same lookups also go to PostgreSQL holding the same data
# (bench/postgres.sh), in the same alternation. Raw output goes to bench/results/.
# Usage: bench/run.sh [--quick]
#   --quick: 100,000 listed subjects, 3 repetitions of 5 s (a few minutes)
#   default: 10,000,000 listed subjects, 5 repetitions of 15 s (about 25 minutes; ~9 GB of disk)
# BENCH_SUBJECTS and BENCH_SECONDS override the data set size and the seconds per run.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
bash deploy/build.sh >/dev/null
# The peer comparison's PostgreSQL (the build's own dependencies are in deploy/install-deps.sh).
[ -x /usr/lib/postgresql/15/bin/pgbench ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
source bench/postgres.sh
bench=build/bench/credit-bench
creditd_bin=build/service/creditd

if [ $quick = 1 ]; then reps=3; seconds=5; subjects=100000; else reps=5; seconds=15; subjects=10000000; fi
seconds=${BENCH_SECONDS:-$seconds}; subjects=${BENCH_SUBJECTS:-$subjects}
work=$(mktemp -d -p "${BENCH_DIR:-/tmp}")
pids=()
raw=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop
  rm -rf "$work"
  [ -z "$raw" ] || rm -f "$raw.tmp"
}
trap cleanup EXIT
bash deploy/dev-pki.sh "$work/pki" >/dev/null
pki=$work/pki
# The load is status questions about listings in force: imported listings take effect at once
# (the listing procedure's approvals are not what is measured).
cat "$pki/creditd.yaml" - >"$pki/creditd-bench.yaml" <<'YAML'
procedure:
  rules:
    - approval_required: false
      notice_days: 0
YAML

start_creditd() {  # sets creditd, endpoint and started_ms (exec until listening, open included)
  rm -f "$work/port"
  local t0; t0=$(date +%s%N)
  "$creditd_bin" --config "$pki/creditd-bench.yaml" --listen 127.0.0.1:0 --data-dir "$work/data" \
    --port-file "$work/port" >/dev/null 2>>"$work/creditd.log" &
  creditd=$!; pids+=($creditd)
  for _ in $(seq 6000); do [ -s "$work/port" ] && break; sleep 0.01; done
  started_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  endpoint=127.0.0.1:$(cat "$work/port")
}
stop_creditd() { kill "$creditd"; wait "$creditd" 2>/dev/null || true; }
as() {  # mode, identity, endpoint, then that mode's flags
  "$bench" "$1" --endpoint "$3" --cacert "$pki/ca.pem" --cert "$pki/$2.pem" --key "$pki/$2.key" "${@:4}"
}
value() { awk -v k="$1:" '$1 == k {print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
mkdir -p bench/results
raw=bench/results/$stamp$( [ $quick = 0 ] || echo -quick).txt
start_creditd
{
  echo "# bench/run.sh $* on $(hostname), $(nproc) cores, $stamp, $subjects listed subjects"
  echo "## import"
  as import recorder "$endpoint" --count "$subjects" --batch 1000 --outstanding 4 --server-pid $creditd
} > "$raw.tmp"

# The baseline answers with as many bytes as creditd's answers, and each of its recordings is one
# synced RocksDB write of a recording's size (bench/synced_write.h) and nothing else.
bytes=$(as load querier "$endpoint" --scenario status --outstanding 1 --threads 1 --duration 2 --warmup 0 --subjects "$subjects" | value response_bytes)
batch_bytes=$(as load querier "$endpoint" --scenario batch --outstanding 1 --threads 1 --duration 2 --warmup 0 --subjects "$subjects" | value response_bytes)
record_bytes=$(as load recorder "$endpoint" --scenario record --outstanding 1 --threads 1 --duration 1 --warmup 0 --subjects "$subjects" | value response_bytes)
"$bench" baseline --cacert "$pki/ca.pem" --cert "$pki/server.pem" --key "$pki/server.key" \
  --port-file "$work/bport" --response-bytes "$bytes" --batch-response-bytes "$batch_bytes" \
  --record-response-bytes "$record_bytes" --synced-write-dir "$work/baseline-data" >/dev/null 2>&1 &
pids+=($!)
# The floor under batches: the same baseline, but each lookup first checks its codes and finds
# them among the listed subjects it holds in memory (one table slot per code): what any server
# must at least do.
"$bench" baseline --cacert "$pki/ca.pem" --cert "$pki/server.pem" --key "$pki/server.key" \
  --port-file "$work/fport" --response-bytes "$bytes" --batch-response-bytes "$batch_bytes" \
  --find-listed "$subjects" >/dev/null 2>&1 &
floor_pid=$!; pids+=($floor_pid)
# The same baseline on gRPC's synchronous API (creditd's until it moved to the callback API): the
# status scenario's second line, for history.
"$bench" baseline --cacert "$pki/ca.pem" --cert "$pki/server.pem" --key "$pki/server.key" \
  --port-file "$work/sport" --response-bytes "$bytes" --batch-response-bytes "$batch_bytes" \
  --api sync >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 600); do [ -s "$work/bport" ] && [ -s "$work/fport" ] && [ -s "$work/sport" ] && break; sleep 0.1; done
baseline=127.0.0.1:$(cat "$work/bport"); floor=127.0.0.1:$(cat "$work/fport"); sync_baseline=127.0.0.1:$(cat "$work/sport")

pg_start "$pki"
t0=$(date +%s%N)
pg_load "$bench" "$subjects"
echo "## postgres load" >> "$raw.tmp"
echo "postgres_load_seconds: $(( ($(date +%s%N) - t0) / 1000000000 ))" >> "$raw.tmp"

read_round() {  # scenario, rep (0: warm-up, not recorded), file
  echo "## $1 creditd rep $2" >> "$3"
  as load querier "$endpoint" --scenario $1 --outstanding 64 --threads 2 --duration "$seconds" --warmup 1 --subjects "$subjects" --server-pid $creditd >> "$3"
  echo "## $1 baseline rep $2" >> "$3"
  as load querier "$baseline" --scenario $1 --outstanding 64 --threads 2 --duration "$seconds" --warmup 1 --subjects "$subjects" >> "$3"
  if [ $1 = status ]; then
    echo "## $1 sync_baseline rep $2" >> "$3"
    as load querier "$sync_baseline" --scenario $1 --outstanding 64 --threads 2 --duration "$seconds" --warmup 1 --subjects "$subjects" >> "$3"
  fi
  if [ $1 = batch ]; then
    echo "## $1 floor rep $2" >> "$3"
    as load querier "$floor" --scenario $1 --outstanding 64 --threads 2 --duration "$seconds" --warmup 1 --subjects "$subjects" --server-pid $floor_pid >> "$3"
  fi
  echo "## $1 postgres rep $2" >> "$3"
  pg_run $1 "$seconds" "$subjects" >> "$3"
}
for scenario in status batch; do
  # A round that is not recorded first, so that every server starts its repetitions equally warm:
  # at 10 M, creditd's files sit idle during PostgreSQL's load and the machine pages them out.
  read_round $scenario 0 /dev/null
  for rep in $(seq $reps); do read_round $scenario $rep "$raw.tmp"; done
done
pg_stop
{
  echo "## mixed creditd rep 1"
  as load recorder "$endpoint" --scenario mixed --outstanding 64 --threads 2 --duration "$seconds" --warmup 1 --subjects "$subjects" --server-pid $creditd
  # The FULL view (entries in force in full) for comparison: the scenarios above ask for BASIC.
  echo "## status_full creditd rep 1"
  as load querier "$endpoint" --scenario status --view full --outstanding 64 --threads 2 --duration "$seconds" --warmup 1 --subjects "$subjects" --server-pid $creditd
  for rep in $(seq $reps); do
    echo "## proof creditd rep $rep"
    as load querier "$endpoint" --scenario proof --outstanding 1 --threads 1 --duration "$seconds" --warmup 1 --server-pid $creditd
  done
  for recorders in 1 16 64; do
    for rep in $(seq $reps); do
      echo "## record$recorders creditd rep $rep"
      as load recorder "$endpoint" --scenario record --outstanding $recorders --threads $([ $recorders = 1 ] && echo 1 || echo 2) --duration "$seconds" --warmup 1 --subjects "$subjects" --server-pid $creditd
      # A single recorder against the baseline too (A B A B ...): the same transport and one
      # synced write per recording, nothing else.
      if [ $recorders = 1 ]; then
        echo "## record1 baseline rep $rep"
        as load recorder "$baseline" --scenario record --outstanding 1 --threads 1 --duration "$seconds" --warmup 1 --subjects "$subjects"
      fi
    done
  done
} >> "$raw.tmp"
# One synced RocksDB write of a recording's size, on the same disk: the floor under a single
# recorder's latency.
echo "## sync_write" >> "$raw.tmp"
build/bench/micro_bench --benchmark_filter=BM_SyncedWrite --benchmark_repetitions=$reps \
  --benchmark_report_aggregates_only=true --benchmark_format=csv 2>/dev/null \
  | awk -F, '$1 ~ /median/ {printf "synced_write_us: %.0f\n", $3}' >> "$raw.tmp"

# A cold start ends when creditd listens with its status index ready: loaded from the file the
# clean stop before it saved. After a kill there is no such file and the index is filled from
# storage (answers read RocksDB meanwhile): measured once, last.
index_ready_ms() {  # ms from $1 (date +%s%N) until the log's status_index_ready lines exceed $2
  for _ in $(seq 1200); do
    [ "$(grep -c status_index_ready "$work/creditd.log")" -gt "$2" ] && break
    sleep 0.05
  done
  echo $(( ($(date +%s%N) - $1) / 1000000 ))
}
start_until_index_ready() {  # starts creditd; prints the time to listening, and as $1 to the index
  local before t0
  before=$(grep -c status_index_ready "$work/creditd.log" || true)
  t0=$(date +%s%N)
  start_creditd
  echo "listening_ms: $started_ms" >> "$raw.tmp"
  echo "$1: $(index_ready_ms "$t0" "$before")" >> "$raw.tmp"
}
stop_creditd
for rep in $(seq $reps); do
  echo "## cold_start creditd rep $rep" >> "$raw.tmp"
  start_until_index_ready cold_start_ms
  if [ "$rep" = "$reps" ]; then kill -9 "$creditd"; wait "$creditd" 2>/dev/null || true; else stop_creditd; fi
done
echo "## cold_start_after_kill creditd" >> "$raw.tmp"
start_until_index_ready index_ready_ms
stop_creditd
echo "## verify" >> "$raw.tmp"
t0=$(date +%s%N)
"$creditd_bin" verify --data-dir "$work/data" >> "$raw.tmp"
t1=$(date +%s%N)
echo "verify_ms: $(( (t1 - t0) / 1000000 ))" >> "$raw.tmp"
mv "$raw.tmp" "$raw"

figure() {  # scenario target key -> median over reps
  awk -v h="## $1 $2 rep" -v k="$3:" 'index($0, h) == 1 {on=1; next} /^## / {on=0} on && $1 == k {print $2}' "$raw" | median
}
single() { awk -v h="## $1" -v k="$2:" 'index($0, h) == 1 {on=1; next} /^## / {on=0} on && $1 == k {print $2}' "$raw" | head -1; }
status=$(figure status creditd calls_per_second); status_base=$(figure status baseline calls_per_second)
status_p99=$(figure status creditd p99_us); status_base_p99=$(figure status baseline p99_us)
status_sync_base=$(figure status sync_baseline calls_per_second)
mixed=$(single 'mixed creditd' calls_per_second)
batch=$(figure batch creditd subjects_per_second); batch_base=$(figure batch baseline subjects_per_second)
batch_floor=$(figure batch floor subjects_per_second)
status_pg=$(figure status postgres calls_per_second); batch_pg=$(figure batch postgres subjects_per_second)
cpu=$(figure status creditd server_cpu_us_per_call); rss=$(figure status creditd server_rss_mib)
record1_p50=$(figure record1 creditd p50_us); sync_write=$(single sync_write synced_write_us)
record1_base_p50=$(figure record1 baseline p50_us)
changes=$(grep -o '[0-9]* changes' "$raw" | head -1 | awk '{print $1}')
verify_ms=$(single verify verify_ms)
log_ms=$(grep -o 'the change log in [0-9]* ms' "$raw" | head -1 | awk '{print $5}')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }
{
  echo "listed_subjects: $subjects"
  echo "import_seconds: $(single import import_seconds)"
  echo "import_entries_per_second: $(single import import_entries_per_second)"
  echo "status_calls_per_second: $status"
  echo "status_baseline_calls_per_second: $status_base"
  echo "status_vs_baseline_ratio: $(ratio "$status" "$status_base")"
  echo "status_p99_us: $status_p99"
  echo "status_p99_vs_baseline_ratio: $(ratio "$status_p99" "$status_base_p99")"
  echo "status_sync_baseline_calls_per_second: $status_sync_base"
  echo "status_vs_sync_baseline_ratio: $(ratio "$status" "$status_sync_base")"
  echo "status_server_cpu_us_per_call: $cpu"
  echo "server_rss_mib: $rss"
  echo "server_rss_max_mib: $(awk '$1 == "server_rss_mib:" && $2 > m {m = $2} END {print m + 0}' "$raw")"
  echo "batch_subjects_per_second: $batch"
  echo "batch_vs_baseline_ratio: $(ratio "$batch" "$batch_base")"
  echo "batch_baseline_subjects_per_second: $batch_base"
  echo "batch_floor_subjects_per_second: $batch_floor"
  echo "batch_floor_vs_baseline_ratio: $(ratio "$batch_floor" "$batch_base")"
  echo "postgres_load_seconds: $(single 'postgres load' postgres_load_seconds)"
  echo "postgres_status_calls_per_second: $status_pg"
  echo "status_vs_postgres_ratio: $(ratio "$status" "$status_pg")"
  # What a server doing nothing but answering reaches against PostgreSQL: the ceiling of the ratio
  # above on this machine.
  echo "status_baseline_vs_postgres_ratio: $(ratio "$status_base" "$status_pg")"
  echo "postgres_batch_subjects_per_second: $batch_pg"
  echo "batch_vs_postgres_ratio: $(ratio "$batch" "$batch_pg")"
  echo "batch_floor_vs_postgres_ratio: $(ratio "$batch_floor" "$batch_pg")"
  echo "mixed_calls_per_second: $mixed"
  echo "mixed_vs_status_ratio: $(ratio "$mixed" "$status")"
  echo "status_full_view_calls_per_second: $(single 'status_full creditd' calls_per_second)"
  echo "proof_p50_us: $(figure proof creditd p50_us)"
  echo "proof_server_cpu_us_per_call: $(figure proof creditd server_cpu_us_per_call)"
  echo "record_1_recorder_per_second: $(figure record1 creditd calls_per_second)"
  echo "record_1_recorder_p50_us: $record1_p50"
  echo "synced_write_us: $sync_write"
  echo "record_1_p50_vs_synced_write_ratio: $(ratio "$record1_p50" "$sync_write")"
  echo "record_1_baseline_p50_us: $record1_base_p50"
  echo "record_1_baseline_vs_synced_write_ratio: $(ratio "$record1_base_p50" "$sync_write")"
  echo "record_1_vs_baseline_ratio: $(ratio "$record1_p50" "$record1_base_p50")"
  echo "record_16_recorders_per_second: $(figure record16 creditd calls_per_second)"
  echo "record_64_recorders_per_second: $(figure record64 creditd calls_per_second)"
  echo "cold_start_ms: $(figure cold_start creditd cold_start_ms)"
  echo "cold_start_after_kill_index_ready_ms: $(single 'cold_start_after_kill' index_ready_ms)"
  echo "verify_changes: $changes"
  echo "verify_seconds: $(awk -v ms="$verify_ms" 'BEGIN {printf "%.1f", ms / 1000}')"
  echo "verify_log_records_per_second: $(awk -v c="$changes" -v ms="$log_ms" 'BEGIN {printf "%.0f", (ms > 0) ? c * 1000 / ms : 0}')"
} | tee -a "$raw"
