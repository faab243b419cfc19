#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest. Extra arguments go to
# ctest (e.g. -L unit, -R Registry). Integration tests start their own creditd on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/build.sh
cd build
ctest --output-on-failure -j 2 --timeout 300 "$@"
