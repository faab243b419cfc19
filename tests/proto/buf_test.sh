#!/usr/bin/env bash
# buf's checks of the wire contract (proto/buf.yaml), with the buf the repository pins in
# package.json (deploy/install-deps.sh runs npm ci):
#   buf_test.sh REPO lint       every file of proto/ passes `buf lint`
#   buf_test.sh REPO breaking   proto/ as it stands breaks nothing of the previous commit's
# `breaking` needs the git history; without it (an exported tree) it exits 77, which ctest
# reports as skipped.
set -euo pipefail
repo=$1 check=$2
buf="$repo/node_modules/.bin/buf"
[ -x "$buf" ] || { echo "buf is missing: run deploy/install-deps.sh (npm ci)" >&2; exit 1; }
cd "$repo"
case "$check" in
  lint)
    "$buf" lint proto
    ;;
  breaking)
    if ! git rev-parse --verify -q HEAD~1 >/dev/null 2>&1; then
      echo "no previous commit here (not a git clone, or a shallow one): nothing to compare"
      exit 77
    fi
    "$buf" breaking proto --against ".git#ref=HEAD~1,subdir=proto"
    ;;
  *)
    echo "usage: buf_test.sh REPO lint|breaking" >&2
    exit 2
    ;;
esac
echo "buf $check: ok"
