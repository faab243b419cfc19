#!/usr/bin/env bash
# Issues DIR/NAME.pem (+ .key): a client certificate with the subject SUBJECT (e.g. "/O=x" for no
# common name, "/CN=querier/CN=admin" for two), signed by the CA in DIR.
# Usage: make_cn_cert.sh DIR NAME SUBJECT
set -euo pipefail
dir=$1 name=$2 subject=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key" 2>/dev/null
openssl req -new -key "$dir/$name.key" -subj "$subject" -out "$work/req.csr"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
  > "$work/ext.cnf"
openssl x509 -req -in "$work/req.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -CAserial "$work/ca.srl" -sha256 -days 30 -extfile "$work/ext.cnf" -out "$dir/$name.pem" 2>/dev/null
