#!/usr/bin/env bash
# Runs the Python client's test against a real creditd started here on a free loopback port,
# with the dev PKI and listings that take effect at once.
# Usage: run_client_test.sh CREDITD PYTHON_PACKAGE_DIR REPO
set -euo pipefail
creditd=$1 package=$2 repo=$3
source "$repo/tests/support/scratch_creditd.sh"
scratch_folder
bash "$repo/deploy/dev-pki.sh" pki >/dev/null
at_once_config pki/creditd.yaml pki/at-once.yaml
start_creditd "$creditd" pki/at-once.yaml data
# Debian's python3, whose packages (python3-grpcio, python3-protobuf, python3-cryptography) the
# install script puts there.
PYTHONPATH="$package" /usr/bin/python3 "$repo/tests/python/client_test.py" \
  "$endpoint" pki data/tree-head-signing.key.pub
# The example, as the README shows it, against the entry the test recorded.
out=$(PYTHONPATH="$package" /usr/bin/python3 "$repo/client/python/examples/status_check.py" \
  "$endpoint" pki data/tree-head-signing.key.pub 91440300MA5FXXXX0U)
grep -qF "black list ['P-PROCUREMENT']" <<<"$out" || { echo "example printed: $out"; exit 1; }
grep -qE "^log of [0-9]+ changes, root [0-9a-f]{16}… verified$" <<<"$out" || {
  echo "example printed: $out"; exit 1; }
echo "python client: example ok"
