#!/usr/bin/env bash
# The systemd unit's hardening, as systemd itself scores it: an exposure of at most 2.0.
# usage: systemd_security.sh REPO
set -euo pipefail
unit="$1/deploy/creditd.service"
out=$(systemd-analyze security --offline=yes "$unit" 2>&1) || { echo "$out"; exit 1; }
score=$(grep -o 'Overall exposure level for creditd.service: [0-9.]*' <<<"$out" | awk '{print $NF}')
[ -n "$score" ] || { echo "no score in:"; echo "$out"; exit 1; }
if awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
  echo "creditd.service exposure $score (at most 2.0)"
else
  echo "creditd.service exposure $score, want at most 2.0:"
  grep '✗' <<<"$out"
  exit 1
fi
