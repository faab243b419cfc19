#!/usr/bin/env bash
# Installs the built creditd (deploy/build.sh) as a system service: the binaries in
# /usr/local/bin, the system user `creditd`, /etc/credit-registry with the example configuration
# (kept if one is there), and the hardened systemd unit. Idempotent; run as root. Then put the TLS
# files and identities in /etc/credit-registry/creditd.yaml and `systemctl enable --now creditd`.
#   bash deploy/install.sh [--root DIR]   (DIR: install into another root, e.g. an image)
set -euo pipefail
cd "$(dirname "$0")/.."
root=""
if [ "${1:-}" = "--root" ]; then
  root=$(cd "$2" && pwd)
fi

for binary in build/service/creditd build/client/creditctl; do
  [ -x "$binary" ] || { echo "install: $binary is missing: run deploy/build.sh first" >&2; exit 1; }
done
install -D -m 0755 build/service/creditd "$root/usr/local/bin/creditd"
install -D -m 0755 build/client/creditctl "$root/usr/local/bin/creditctl"

# A system user of its own, with no shell and no password; its home is the state folder that
# systemd makes (StateDirectory=credit-registry).
if ! grep -q '^creditd:' "$root/etc/passwd"; then
  useradd ${root:+--root "$root"} --system --user-group --home-dir /var/lib/credit-registry \
    --no-create-home --shell /usr/sbin/nologin --comment "Credit Registry" creditd
fi

# The configuration is readable by creditd, writable by root only; an existing one is kept.
gid=$(awk -F: '$1 == "creditd" { print $3 }' "$root/etc/group")
install -d -m 0750 -o 0 -g "$gid" "$root/etc/credit-registry"
if [ ! -e "$root/etc/credit-registry/creditd.yaml" ]; then
  install -m 0640 -o 0 -g "$gid" deploy/creditd.example.yaml "$root/etc/credit-registry/creditd.yaml"
fi
install -D -m 0644 deploy/creditd.service "$root/etc/systemd/system/creditd.service"

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi
echo "installed: /usr/local/bin/creditd, /usr/local/bin/creditctl, user creditd," \
  "/etc/credit-registry/creditd.yaml, /etc/systemd/system/creditd.service${root:+ (under $root)}"
