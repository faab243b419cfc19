# Sourced by the test scripts that run a real creditd from a shell: makes a scratch folder (the
# current directory from then on, removed at exit with the server stopped) and starts creditd there.
#   source scratch_creditd.sh
#   scratch_folder                                   # $work, cd'd into; cleanup at exit
#   start_creditd CREDITD CONFIG DATA_DIR [ARGS...]  # on a free loopback port: $pid, $endpoint
# An "at once" configuration (listings take effect when recorded) is made by at_once_config.

scratch_folder() {
  work=$(mktemp -d)
  pid=
  trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi; rm -rf "$work"' EXIT
  cd "$work"
}

# at_once_config IN OUT: the configuration IN with listings that take effect when recorded.
at_once_config() {
  cat "$1" - > "$2" <<'YAML'
procedure:
  rules:
    - approval_required: false
      notice_days: 0
YAML
}

start_creditd() {
  local creditd=$1 config=$2 data=$3
  shift 3
  rm -f port
  "$creditd" --config "$config" --listen 127.0.0.1:0 --data-dir "$data" --port-file port "$@" \
    2>creditd.log &
  pid=$!
  for _ in $(seq 1 200); do [ -s port ] && break; sleep 0.1; done
  [ -s port ] || { echo "creditd did not start"; cat creditd.log; exit 1; }
  endpoint="127.0.0.1:$(cat port)"
}
