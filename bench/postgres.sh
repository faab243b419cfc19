# The PostgreSQL peer of bench/run.sh (sourced by it): a throwaway PostgreSQL server from Debian's
# packages in a temporary folder, on loopback, TLS on with the dev PKI (client certificates
# checked against the dev CA, as creditd does), holding the same data set in one table indexed
# by subject code; pgbench drives it with custom scripts in prepared mode.
#
# pgbench makes numbers, not strings, so each row also carries its data-set number n under a
# second unique B-tree index, and the scripts select by n: the same one-index-lookup plan as a
# select by code (an int8 key is, if anything, cheaper to compare than the text one). A batch is
# `WHERE n = ANY(array of 1000 random numbers)`: pgbench takes at most 255 parameters per
# statement, so the server draws the array (generate_series and random(), once per batch).
#
# The server runs with fsync off and without autovacuum: it only answers reads here.

pg_bin=/usr/lib/postgresql/15/bin
# What creditd's BASIC status answer is made of (run.sh drives creditd in that view): the code,
# the list, the two dates that say whether the entry is in force, the measure codes.
pg_columns="subject, list, effective_date, expiry_date, measures"

pg_as_owner() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start PKI_DIR: sets pg_dir, pg_port and pg_conninfo (TLS, client certificate of the querier).
pg_start() {
  local pki=$1
  pg_dir=$(mktemp -d -p "${BENCH_DIR:-/tmp}")
  chmod 755 "$pg_dir"
  cp "$pki/server.pem" "$pki/server.key" "$pki/ca.pem" "$pg_dir/"
  chmod 600 "$pg_dir/server.key"
  [ "$(id -u)" != 0 ] || chown -R postgres: "$pg_dir"
  pg_as_owner "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust --no-sync >/dev/null
  cat > "$pg_dir/data/pg_hba.conf" <<EOF
local all all trust
hostssl all all 127.0.0.1/32 trust clientcert=verify-ca
EOF
  local try
  for try in 1 2 3 4 5; do
    pg_port=$(( 20000 + RANDOM % 20000 ))
    cat > "$pg_dir/data/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_dir'
ssl = on
ssl_cert_file = '$pg_dir/server.pem'
ssl_key_file = '$pg_dir/server.key'
ssl_ca_file = '$pg_dir/ca.pem'
shared_buffers = 256MB
max_connections = 100
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 16GB
maintenance_work_mem = 1GB
autovacuum = off
jit = off
EOF
    pg_as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w start >/dev/null && break
    [ $try = 5 ] && { cat "$pg_dir/log" >&2; return 1; }
  done
  pg_conninfo="host=127.0.0.1 port=$pg_port user=postgres dbname=postgres sslmode=verify-ca"
  pg_conninfo+=" sslrootcert=$pki/ca.pem sslcert=$pki/querier.pem sslkey=$pki/querier.key"
}

pg_stop() {
  [ -z "${pg_dir:-}" ] && return 0
  pg_as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
  pg_dir=
}

pg_sql() { "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$pg_port" -U postgres -d postgres "$@"; }

# pg_load BENCH N: the data set's subjects 0..N-1, the same rows creditd imported.
pg_load() {
  pg_sql -c "CREATE UNLOGGED TABLE entries (n bigint NOT NULL, subject text COLLATE \"C\" NOT NULL,
    name text, list text, category text, facts text, legal_basis text, authority text,
    document_number text, decision_date date, effective_date date, expiry_date date,
    measures text[])"
  "$1" pg-rows --count "$2" | pg_sql -c "COPY entries FROM STDIN"
  pg_sql -c "ALTER TABLE entries ADD PRIMARY KEY (subject)" \
         -c "CREATE UNIQUE INDEX entries_n ON entries (n)" -c "VACUUM ANALYZE entries"
}

# pg_run status|batch SECONDS N: prints `calls_per_second:` and `subjects_per_second:` lines.
pg_run() {
  local scenario=$1 seconds=$2 subjects=$3 script=$pg_dir/$1.sql per_call=1
  if [ "$scenario" = status ]; then
    printf '\\set n random(0, %d)\nSELECT %s FROM entries WHERE n = :n;\n' \
      $(( 2 * subjects - 1 )) "$pg_columns" > "$script"
  else
    per_call=1000
    printf 'SELECT %s FROM entries WHERE n = ANY(ARRAY(SELECT floor(random() * %d)::bigint FROM generate_series(1, 1000)));\n' \
      "$pg_columns" $(( 2 * subjects )) > "$script"
  fi
  "$pg_bin/pgbench" -n -M prepared -c 64 -j 2 -T "$seconds" -f "$script" "$pg_conninfo" 2>&1 |
    awk -v per="$per_call" '$1 == "tps" {printf "calls_per_second: %.0f\nsubjects_per_second: %.0f\n", $3, $3 * per}
                             $1 == "latency" && $2 == "average" {print "latency_average_ms: " $4}'
}
