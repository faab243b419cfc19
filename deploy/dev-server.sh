#!/usr/bin/env bash
# Builds creditd, makes the development PKI in var/pki if it is missing, and runs creditd in the
# foreground on 127.0.0.1:50051 with its data in var/data. Ctrl-C (SIGINT) or SIGTERM stops it
# cleanly. Run from anywhere; paths are relative to the repository. It runs on a test clock
# (--test-clock) so that the admin can move time through the listing procedure's deadlines, as
# the README walk-through does; a production server never does.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/build.sh
[ -f var/pki/ca.pem ] || bash deploy/dev-pki.sh var/pki
mkdir -p var/data
exec build/service/creditd --config var/pki/creditd.yaml --test-clock --listen 127.0.0.1:50051 \
  --data-dir var/data
