#!/usr/bin/env bash
# deploy/Containerfile's running stage installs exactly the Debian packages whose shared libraries
# creditd and creditctl link (besides libc6 and libgcc-s1, which every Debian image has), plus
# OpenCC's dictionaries: a library added to the build cannot go missing from the image, and the
# list does not keep packages nothing needs. Usage: container_test.sh CONTAINERFILE BINARY...
set -euo pipefail
containerfile=$1
shift

# The packages the last stage's apt-get install names.
listed=$(awk '/^FROM /{stage++} stage==2' "$containerfile" |
  sed -n '/apt-get install/,/rm -rf/p' | tr ' \\' '\n\n' |
  grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm|rf|q|y)$' | sort -u)

needed=$(for binary in "$@"; do ldd "$binary"; done | awk '/=>/{print $3}' | sort -u |
  while read -r library; do
    real=$(readlink -f "$library")
    owner=$(dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null) ||
      { echo "no package owns $library" >&2; exit 1; }
    echo "${owner%%:*}"
  done | grep -vxE 'libc6|libgcc-s1' | sort -u)
needed=$(printf '%s\nlibopencc-data\n' "$needed" | sort -u)

if [ "$listed" != "$needed" ]; then
  echo "deploy/Containerfile installs:" >&2
  echo "$listed" | tr '\n' ' ' >&2
  echo >&2
  echo "the binaries need:" >&2
  echo "$needed" | tr '\n' ' ' >&2
  echo >&2
  diff <(echo "$listed") <(echo "$needed") >&2 || true
  exit 1
fi
grep -q '^USER 10001:10001$' "$containerfile" || { echo "the image must not run as root" >&2; exit 1; }
grep -q '^VOLUME /var/lib/credit-registry$' "$containerfile" ||
  { echo "the data folder must be a volume" >&2; exit 1; }
echo "ok: $(echo "$needed" | wc -l) packages"
