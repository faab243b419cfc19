#!/usr/bin/env bash
# Issues DIR/NAME-expired.pem (+ .key): a client certificate for NAME signed by the CA in DIR that
# was valid only during 2020-01-01. OpenSSL 3.0's `x509` cannot backdate, `ca` can.
# Usage: make_expired_cert.sh DIR NAME
set -euo pipefail
dir=$1 name=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
touch "$work/index.txt"
echo 01 > "$work/serial"
cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = dev
[ dev ]
database = $work/index.txt
new_certs_dir = $work
certificate = $dir/ca.pem
private_key = $dir/ca.key
serial = $work/serial
default_md = sha256
policy = any
x509_extensions = client
[ any ]
commonName = supplied
[ client ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name-expired.key" 2>/dev/null
openssl req -new -key "$dir/$name-expired.key" -subj "/CN=$name" -out "$work/req.csr"
openssl ca -batch -config "$work/ca.cnf" -in "$work/req.csr" -out "$dir/$name-expired.pem" \
  -startdate 20200101000000Z -enddate 20200102000000Z -notext 2>/dev/null
