#!/usr/bin/env bash
# Installs what is missing (deploy/install-deps.sh), then configures and builds everything in
# build/ with CMake and Ninja. Two jobs: the machines this runs on have two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build build -j 2
