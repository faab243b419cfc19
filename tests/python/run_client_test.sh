#!/usr/bin/env bash
# Runs the Python client's test against a real creditd started here on a free loopback port,
# with the dev PKI and listings that take effect at once.
# Usage: run_client_test.sh CREDITD PYTHON_PACKAGE_DIR REPO
set -euo pipefail
creditd=$1 package=$2 repo=$3
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
bash "$repo/deploy/dev-pki.sh" pki >/dev/null
cat pki/creditd.yaml - > pki/python.yaml <<'YAML'
procedure:
  rules:
    - approval_required: false
      notice_days: 0
YAML
"$creditd" --config pki/python.yaml --listen 127.0.0.1:0 --data-dir data --port-file port \
  2>creditd.log &
pid=$!
for _ in $(seq 1 200); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || { echo "creditd did not start"; cat creditd.log; exit 1; }
# Debian's python3, whose packages (python3-grpcio, python3-protobuf, python3-cryptography) the
# install script puts there.
PYTHONPATH="$package" /usr/bin/python3 "$repo/tests/python/client_test.py" \
  "127.0.0.1:$(cat port)" pki data/tree-head-signing.key.pub
# The example, as the README shows it, against the entry the test recorded.
out=$(PYTHONPATH="$package" /usr/bin/python3 "$repo/client/python/examples/status_check.py" \
  "127.0.0.1:$(cat port)" pki data/tree-head-signing.key.pub 91440300MA5FXXXX0U)
grep -qF "black list ['P-PROCUREMENT']" <<<"$out" || { echo "example printed: $out"; exit 1; }
grep -qE "^log of [0-9]+ changes, root [0-9a-f]{16}… verified$" <<<"$out" || {
  echo "example printed: $out"; exit 1; }
echo "python client: example ok"
