#!/usr/bin/env bash
# deploy/install.sh into a bare root: the system user `creditd` (no shell, its home the state
# folder), the binaries, the configuration readable by creditd's group only, the unit; a second
# run changes nothing and keeps an edited configuration. Run as root (useradd).
# Usage: install_test.sh SOURCE_DIR
set -euo pipefail
source_dir=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc"
for file in passwd group shadow gshadow; do
  grep '^root:' "/etc/$file" > "$root/etc/$file" || : > "$root/etc/$file"
done

fail() { echo "install_test: $*" >&2; exit 1; }
bash "$source_dir/deploy/install.sh" --root "$root" 2>/dev/null >/dev/null

user=$(grep '^creditd:' "$root/etc/passwd") || fail "no user creditd"
IFS=: read -r _ _ uid gid _ home shell <<< "$user"
[ "$uid" -lt 1000 ] || fail "creditd is not a system user (uid $uid)"
[ "$home" = /var/lib/credit-registry ] || fail "home $home"
[ "$shell" = /usr/sbin/nologin ] || fail "shell $shell"
grep -q "^creditd:x:$gid:" "$root/etc/group" || fail "no group creditd with gid $gid"
[ -x "$root/usr/local/bin/creditd" ] && [ -x "$root/usr/local/bin/creditctl" ] || fail "binaries"
cmp -s "$source_dir/deploy/creditd.service" "$root/etc/systemd/system/creditd.service" ||
  fail "the unit differs from deploy/creditd.service"
[ "$(stat -c '%a %u %g' "$root/etc/credit-registry")" = "750 0 $gid" ] ||
  fail "/etc/credit-registry is $(stat -c '%a %u %g' "$root/etc/credit-registry")"
[ "$(stat -c '%a %u %g' "$root/etc/credit-registry/creditd.yaml")" = "640 0 $gid" ] ||
  fail "creditd.yaml is $(stat -c '%a %u %g' "$root/etc/credit-registry/creditd.yaml")"

echo "# edited" >> "$root/etc/credit-registry/creditd.yaml"
bash "$source_dir/deploy/install.sh" --root "$root" 2>/dev/null >/dev/null
[ "$(grep -c '^creditd:' "$root/etc/passwd")" = 1 ] || fail "a second run added a user"
tail -1 "$root/etc/credit-registry/creditd.yaml" | grep -qx '# edited' ||
  fail "a second run replaced the configuration"
echo ok
