#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running Credit Registry needs, then
# the npm packages pinned by the lockfiles (package-lock.json: buf; client/node: the Node client's
# gRPC). Idempotent: when everything is already present it changes nothing and touches no network.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates openssl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libssl-dev libabsl-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopencc-dev prometheus-cpp-dev
  clang libclang-rt-14-dev
  systemd
  python3-grpcio python3-protobuf python3-cryptography
)

missing=()
# Node.js and npm: Debian's, unless a Node.js that brings its own npm is installed already.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages, exactly as locked; again only when the lockfile is newer than what is installed.
# Node.js trusts its own CA list; the system's is added so that a network whose proxy inspects
# TLS (its CA installed in the system, as city IT offices do) still reaches the npm registry.
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
for dir in "$repo" "$repo/client/node"; do
  installed="$dir/node_modules/.package-lock.json"
  if [ ! -e "$installed" ] || [ "$dir/package-lock.json" -nt "$installed" ]; then
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
