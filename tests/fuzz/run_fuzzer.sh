#!/usr/bin/env bash
# Runs one fuzz target for SECONDS from the committed seeds, in a scratch corpus folder; fails
# (non-zero) when libFuzzer finds a crash, a leak or a sanitizer report.
# Usage: run_fuzzer.sh BINARY SEED_DIR SECONDS
set -euo pipefail
binary=$1 seeds=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  "$work" "$seeds" 2>&1 | tail -n 15
