#!/usr/bin/env bash
# A real PostgreSQL server for the tests (Debian's package), with logical decoding for Debezium: its OWN
# cluster in the run dir (not the system service), bound to 127.0.0.1 only.
#
#   bash scripts/services/postgres.sh start    install the server if missing (apt), initdb once, start, wait ready
#   bash scripts/services/postgres.sh stop     fast shutdown (SIGINT), immediate after STREAMKIT_PG_STOP_TIMEOUT s
#   bash scripts/services/postgres.sh status   "running ..." (exit 0) or "not running" (exit 3)
#   bash scripts/services/postgres.sh env      PG* lines for tests: `eval "$(bash scripts/services/postgres.sh env)"`
#   bash scripts/services/postgres.sh psql [ARGS...]  psql as the superuser (over the cluster's socket)
#   bash scripts/services/postgres.sh reset    stop, then delete the run dir (cluster, password)
#
# Server: 127.0.0.1:${STREAMKIT_PG_PORT:-15432}, wal_level=logical, max_replication_slots and
#   max_wal_senders 16, timezone UTC, fsync off (test data only). Its Unix socket is in the run dir.
# Database ${STREAMKIT_PG_DATABASE:-streamkit}, owned by the login role ${STREAMKIT_PG_USER:-streamkit}
#   (REPLICATION, CREATEDB, not superuser; password generated at initdb time, in the run dir), with the
#   publication ${STREAMKIT_PG_PUBLICATION:-dbz_publication} FOR ALL TABLES (Debezium's default name:
#   creating it needs a superuser, so it is made here and the connector only uses it).
# The server runs as the OS user ${STREAMKIT_PG_OS_USER:-postgres} when this script runs as root (root
#   cannot run PostgreSQL), else as the calling user. Binaries: the newest /usr/lib/postgresql/<v>/bin,
#   or STREAMKIT_PG_BIN. Other knobs: STREAMKIT_PG_START_TIMEOUT (s, default 60),
#   STREAMKIT_PG_STOP_TIMEOUT (s, default 30).
# Places: run ${STREAMKIT_RUN:-/tmp/streamkit-services}/postgres (data/, socket/, logs/, password, ...).
# Data survive stop/start (same run dir); only `reset` deletes them.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/services/lib.sh
source "$HERE/lib.sh"
cd / # the OS user running the server may not reach the caller's directory

NAME=postgres
PORT="${STREAMKIT_PG_PORT:-15432}"
DB_USER="${STREAMKIT_PG_USER:-streamkit}"
DB_NAME="${STREAMKIT_PG_DATABASE:-streamkit}"
PUBLICATION="${STREAMKIT_PG_PUBLICATION:-dbz_publication}"
START_TIMEOUT="${STREAMKIT_PG_START_TIMEOUT:-60}"
STOP_TIMEOUT="${STREAMKIT_PG_STOP_TIMEOUT:-30}"

RUN="$SK_RUN/postgres"
DATA="$RUN/data"
SOCK="$RUN/socket"
LOGS="$RUN/logs"
PIDFILE="$RUN/postgres.pid"
PWFILE="$RUN/password"
MARKER="$DATA" # on the postmaster's command line: tells our server from any other process

if ((EUID == 0)); then
  OS_USER="${STREAMKIT_PG_OS_USER:-postgres}"
else
  OS_USER="$(id -un)"
fi

# as_os_user CMD...: runs CMD as the OS user that owns the cluster (exec'ing, no extra parent process).
as_os_user() {
  if ((EUID == 0)); then
    setpriv --reuid="$OS_USER" --regid="$(id -g "$OS_USER")" --init-groups -- "$@"
  else
    "$@"
  fi
}

# ---- binaries -----------------------------------------------------------------------------------
find_bin() { # prints the bin dir of the newest installed server, or nothing
  if [[ -n "${STREAMKIT_PG_BIN:-}" ]]; then
    printf '%s\n' "$STREAMKIT_PG_BIN"
    return 0
  fi
  local d
  d="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' -type f 2>/dev/null |
    sort -V | tail -n 1 || true)"
  [[ -n "$d" ]] && dirname "$d"
  return 0
}

ensure_server() {
  PG_BIN="$(find_bin)"
  if [[ -z "$PG_BIN" || ! -x "$PG_BIN/postgres" ]]; then
    ((EUID == 0)) || sk_die "$NAME" "no PostgreSQL server installed and not root: apt-get install postgresql (or set STREAMKIT_PG_BIN)"
    local t0
    t0="$(sk_now_ms)"
    sk_log "$NAME" "installing Debian's PostgreSQL server (apt-get install -y postgresql)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >"$SK_RUN/postgres-apt.log" 2>&1; then
      sk_log "$NAME" "apt-get install failed, running apt-get update and trying once more"
      DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$SK_RUN/postgres-apt.log" 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >>"$SK_RUN/postgres-apt.log" 2>&1 ||
        { sk_tail "$NAME" "$SK_RUN/postgres-apt.log" 20; sk_die "$NAME" "apt-get install postgresql failed"; }
    fi
    PG_BIN="$(find_bin)"
    [[ -n "$PG_BIN" && -x "$PG_BIN/postgres" ]] || sk_die "$NAME" "postgresql installed but no /usr/lib/postgresql/*/bin/postgres"
    sk_log "$NAME" "installed in $(sk_took "$t0")"
  fi
  for b in initdb postgres pg_isready psql; do
    [[ -x "$PG_BIN/$b" ]] || sk_die "$NAME" "$PG_BIN/$b missing"
  done
  id "$OS_USER" >/dev/null 2>&1 || sk_die "$NAME" "OS user $OS_USER does not exist (set STREAMKIT_PG_OS_USER)"
}

psql_admin() { # psql as the superuser over the socket; extra args follow
  as_os_user "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres "$@"
}

# ---- cluster ------------------------------------------------------------------------------------
init_cluster() {
  mkdir -p "$RUN"
  chmod 755 "$RUN" # the OS user must reach its directories; secrets are kept in 0600 files
  if [[ -f "$DATA/PG_VERSION" ]]; then
    [[ -f "$PWFILE" ]] || sk_die "$NAME" "$DATA exists but $PWFILE is missing: run 'reset'"
    return 0
  fi
  local t0
  t0="$(sk_now_ms)"
  rm -rf "$DATA"
  mkdir -p "$DATA" "$SOCK" "$LOGS"
  chown "$OS_USER:" "$DATA" "$SOCK" "$LOGS"
  chmod 700 "$DATA" "$SOCK"
  as_os_user test -w "$DATA" || sk_die "$NAME" "OS user $OS_USER cannot write $DATA (is $SK_RUN reachable by it?)"
  if ! as_os_user "$PG_BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust \
    --auth-host=scram-sha-256 --no-sync --no-instructions >"$LOGS/initdb.log" 2>&1; then
    sk_tail "$NAME" "$LOGS/initdb.log" 30
    rm -rf "$DATA"
    sk_die "$NAME" "initdb failed"
  fi
  printf "\ninclude 'streamkit.conf'\n" >>"$DATA/postgresql.conf"
  (umask 077 && openssl rand -hex 16 >"$PWFILE")
  sk_log "$NAME" "initdb $DATA ($("$PG_BIN/postgres" --version)) in $(sk_took "$t0")"
}

write_config() {
  mkdir -p "$SOCK" "$LOGS"
  chown "$OS_USER:" "$SOCK" "$LOGS"
  chmod 700 "$SOCK"
  cat >"$DATA/streamkit.conf" <<EOF
# generated by scripts/services/postgres.sh on every start; edits are lost
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
max_connections = 60
wal_level = logical
max_replication_slots = 16
max_wal_senders = 16
max_slot_wal_keep_size = 2GB
wal_sender_timeout = 60s
timezone = 'UTC'
log_timezone = 'UTC'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 64MB
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
log_connections = off
EOF
  cat >"$DATA/pg_hba.conf" <<EOF
# generated by scripts/services/postgres.sh on every start; edits are lost
# local socket (directory $SOCK, mode 0700): the cluster's OS user only
local   all           all                      trust
host    all           all        127.0.0.1/32  scram-sha-256
host    replication   all        127.0.0.1/32  scram-sha-256
EOF
  chown "$OS_USER:" "$DATA/streamkit.conf" "$DATA/pg_hba.conf"
}

bootstrap_sql() { # idempotent: role, database, publication
  local pw
  pw="$(cat "$PWFILE")"
  psql_admin -d postgres -v "u=$DB_USER" -v "pw=$pw" -v "db=$DB_NAME" <<'EOF'
SELECT format('CREATE ROLE %I', :'u') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
ALTER ROLE :"u" WITH LOGIN REPLICATION CREATEDB NOSUPERUSER PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'u')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
EOF
  psql_admin -d "$DB_NAME" -v "pub=$PUBLICATION" -v "u=$DB_USER" <<'EOF'
SELECT format('CREATE PUBLICATION %I FOR ALL TABLES', :'pub')
  WHERE NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = :'pub') \gexec
GRANT ALL ON SCHEMA public TO :"u";
EOF
}

# ---- start / stop -------------------------------------------------------------------------------
start() {
  local t_all t0 pid deadline
  t_all="$(sk_now_ms)"
  if sk_pid_alive "$PIDFILE" "$MARKER"; then
    sk_log "$NAME" "already running (pid $(cat "$PIDFILE")), nothing to do"
    return 0
  fi
  if sk_port_open "$PORT"; then
    sk_die "$NAME" "port 127.0.0.1:$PORT is taken by another process (not our server): free it or set STREAMKIT_PG_PORT"
  fi
  command -v openssl >/dev/null || sk_die "$NAME" "openssl not found"
  ensure_server
  init_cluster
  write_config
  # a server killed hard leaves postmaster.pid behind; postgres itself refuses to start only if that pid lives
  t0="$(sk_now_ms)"
  [[ -f "$LOGS/postgres.log" ]] && mv -f "$LOGS/postgres.log" "$LOGS/postgres.log.prev"
  : >"$LOGS/postgres.log"
  if ((EUID == 0)); then
    sk_spawn "$LOGS/postgres.log" setpriv --reuid="$OS_USER" --regid="$(id -g "$OS_USER")" --init-groups -- \
      "$PG_BIN/postgres" -D "$DATA"
  else
    sk_spawn "$LOGS/postgres.log" "$PG_BIN/postgres" -D "$DATA"
  fi
  pid="$SK_SPAWNED_PID"
  printf '%s\n' "$pid" >"$PIDFILE"
  deadline=$((SECONDS + START_TIMEOUT))
  until as_os_user "$PG_BIN/pg_isready" -q -h "$SOCK" -p "$PORT" -U postgres -d postgres; do
    if ! sk_running "$pid"; then
      rm -f "$PIDFILE"
      sk_tail "$NAME" "$LOGS/postgres.log" 30
      sk_die "$NAME" "the server exited during start-up"
    fi
    if ((SECONDS >= deadline)); then
      stop_server
      sk_tail "$NAME" "$LOGS/postgres.log" 30
      sk_die "$NAME" "not ready after ${START_TIMEOUT}s"
    fi
    sleep 0.1
  done
  bootstrap_sql || { sk_tail "$NAME" "$LOGS/postgres.log" 20; sk_die "$NAME" "could not create role/database/publication"; }
  # the way clients come in: TCP on 127.0.0.1 with the password
  PGPASSWORD="$(cat "$PWFILE")" "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d "$DB_NAME" \
    -tAc "SHOW wal_level" | grep -qx logical || sk_die "$NAME" "TCP login as $DB_USER failed or wal_level is not logical"
  sk_log "$NAME" "ready: pid $pid, 127.0.0.1:$PORT, database $DB_NAME, user $DB_USER, up in $(sk_took "$t0"), start took $(sk_took "$t_all") in all; log $LOGS/postgres.log"
}

stop_server() {
  local pid t0 deadline
  if ! sk_pid_alive "$PIDFILE" "$MARKER"; then
    rm -f "$PIDFILE"
    sk_log "$NAME" "not running"
    return 0
  fi
  pid="$(cat "$PIDFILE")"
  t0="$(sk_now_ms)"
  kill -INT "$pid" 2>/dev/null || true # fast shutdown: disconnects clients (replication too)
  deadline=$((SECONDS + STOP_TIMEOUT))
  while sk_running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if sk_running "$pid"; then
    sk_log "$NAME" "still running after ${STOP_TIMEOUT}s: immediate shutdown (SIGQUIT)"
    kill -QUIT "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while sk_running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if sk_running "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      while sk_running "$pid"; do sleep 0.1; done
    fi
  fi
  rm -f "$PIDFILE"
  deadline=$((SECONDS + 10))
  while sk_port_open "$PORT" && ((SECONDS < deadline)); do sleep 0.1; done
  sk_log "$NAME" "stopped pid $pid in $(sk_took "$t0")"
}

status() {
  if sk_pid_alive "$PIDFILE" "$MARKER"; then
    echo "postgres running: pid $(cat "$PIDFILE"), 127.0.0.1:$PORT, database $DB_NAME, run dir $RUN"
    return 0
  fi
  echo "postgres not running (run dir $RUN)"
  return 3
}

print_env() {
  [[ -f "$PWFILE" ]] || sk_die "$NAME" "no cluster in $RUN yet: run 'bash scripts/services/postgres.sh start' first"
  sk_pid_alive "$PIDFILE" "$MARKER" || sk_log "$NAME" "warning: the server is not running"
  printf 'PGHOST=%q\n' 127.0.0.1
  printf 'PGPORT=%q\n' "$PORT"
  printf 'PGUSER=%q\n' "$DB_USER"
  printf 'PGPASSWORD=%q\n' "$(cat "$PWFILE")"
  printf 'PGDATABASE=%q\n' "$DB_NAME"
}

# ---- main ---------------------------------------------------------------------------------------
cmd="${1:-}"
case "$cmd" in
start | stop | reset)
  mkdir -p "$SK_RUN"
  exec 9>"$SK_RUN/postgres.lock"
  flock -w 600 9 || sk_die "$NAME" "another postgres.sh holds $SK_RUN/postgres.lock"
  case "$cmd" in
  start) start ;;
  stop) stop_server ;;
  reset)
    stop_server
    rm -rf "$RUN"
    sk_log "$NAME" "deleted $RUN"
    ;;
  esac
  ;;
status) status ;;
env) print_env ;;
psql)
  shift
  PG_BIN="$(find_bin)"
  [[ -n "$PG_BIN" ]] || sk_die "$NAME" "no PostgreSQL installed"
  sk_pid_alive "$PIDFILE" "$MARKER" || sk_die "$NAME" "not running"
  as_os_user "$PG_BIN/psql" -X -h "$SOCK" -p "$PORT" -U postgres -d "$DB_NAME" "$@"
  ;;
*)
  echo "usage: bash scripts/services/postgres.sh start|stop|status|env|psql|reset" >&2
  exit 2
  ;;
esac
