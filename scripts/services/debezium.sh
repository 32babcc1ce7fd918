#!/usr/bin/env bash
# Kafka Connect (standalone worker) with Debezium's PostgreSQL connector, from Maven Central jars, on the
# machine's Java 17, bound to 127.0.0.1 only. It reads the PostgreSQL cluster of postgres.sh and writes to
# the Kafka broker of kafka.sh: start both first.
#
#   bash scripts/services/debezium.sh start [CONFIG...]   resolve jars (cached), start the worker with the
#                                      default connector, wait until it runs and streams (slot active)
#   bash scripts/services/debezium.sh stop     SIGTERM, SIGKILL after STREAMKIT_DEBEZIUM_STOP_TIMEOUT s, wait
#   bash scripts/services/debezium.sh status   "running ..." plus each connector's state (exit 0), or exit 3
#   bash scripts/services/debezium.sh env      DEBEZIUM_* lines for tests: `eval "$(bash .../debezium.sh env)"`
#   bash scripts/services/debezium.sh reset    stop, drop the default connector's replication slot, delete
#                                      the run dir (offsets): the next start takes a new initial snapshot
#
# CONFIG arguments to start: `key=value` sets or overrides one property of the default connector (e.g.
#   value.converter.schemas.enable=false, snapshot.mode=no_data, table.include.list=public.t); a path to a
#   .properties or .json file adds one more connector (Kafka Connect's standalone formats).
#
# Default connector ${STREAMKIT_DEBEZIUM_CONNECTOR:-streamkit-postgres}: io.debezium.connector.postgresql.PostgresConnector
#   on the postgres.sh database (every table), plugin.name=pgoutput, publication dbz_publication (made
#   by postgres.sh), slot ${STREAMKIT_DEBEZIUM_SLOT:-streamkit_debezium}, topic.prefix
#   ${STREAMKIT_DEBEZIUM_TOPIC_PREFIX:-dbserver1} (topics <prefix>.<schema>.<table>), JSON converter
#   with schemas for key and value, tombstones after deletes, truncate events (skipped.operations=none),
#   snapshot.mode initial (a snapshot, `op: r`, on the first start only: offsets are kept in the run dir).
# More connectors, at any time, through the REST API ($DEBEZIUM_CONNECT_URL, `env`): PUT
#   /connectors/NAME/config with a config like the default one (`GET /connectors/streamkit-postgres/config`,
#   or the file $DEBEZIUM_CONNECTOR_CONFIG) with its OWN slot.name and topic.prefix; connector-level
#   key.converter/value.converter(.schemas.enable) and transforms (io.debezium.transforms.ExtractNewRecordState)
#   override the worker's. Connectors made through REST are not kept across a restart (standalone mode),
#   but their offsets are (the offsets file, keyed by connector name and topic.prefix): a connector made
#   again under the same name whose slot was dropped fails ("trying to read change stream starting at
#   ..."). Clean up with PUT /connectors/NAME/stop, DELETE /connectors/NAME/offsets, DELETE
#   /connectors/NAME, then SELECT pg_drop_replication_slot('SLOT') (an idle slot holds WAL), or use
#   names, slots and prefixes unique to the run.
#
# Worker: REST http://127.0.0.1:${STREAMKIT_DEBEZIUM_REST_PORT:-18083}, broker ${STREAMKIT_DEBEZIUM_KAFKA:-127.0.0.1:${STREAMKIT_KAFKA_PORT:-19092}}
#   (PLAINTEXT), offsets in the run dir. Other knobs: STREAMKIT_DEBEZIUM_VERSION (Debezium, default below),
#   STREAMKIT_CONNECT_VERSION (Kafka Connect, default below), STREAMKIT_DEBEZIUM_HEAP (-Xmx, default 512m),
#   STREAMKIT_DEBEZIUM_START_TIMEOUT (s, default 180), STREAMKIT_DEBEZIUM_STOP_TIMEOUT (s, default 30),
#   STREAMKIT_MVN_ARGS (extra arguments for mvn), STREAMKIT_JAVA, and postgres.sh's STREAMKIT_PG_* (read
#   through `postgres.sh env`).
# Places (outside the repo):
#   worker jars   ${STREAMKIT_CACHE:-$HOME/.cache/streamkit}/kafka-connect-<version>/libs
#   plugin        ${STREAMKIT_CACHE:-$HOME/.cache/streamkit}/debezium-<version>/plugins/debezium-connector-postgres
#   run           ${STREAMKIT_RUN:-/tmp/streamkit-services}/debezium (worker.properties, connector files,
#                 connect.offsets, logs/)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/services/lib.sh
source "$HERE/lib.sh"

NAME=debezium
# Debezium 3.7.0.Final is built against Kafka 4.3.1; Maven Central serves no connect-runtime 4.4.0
# (the broker's version) here, and 3.7.1.Final's parent POM is not served. Connect 4.3.1 clients talk
# to the 4.4.0 broker as usual.
DEBEZIUM_VERSION="${STREAMKIT_DEBEZIUM_VERSION:-3.7.0.Final}"
CONNECT_VERSION="${STREAMKIT_CONNECT_VERSION:-4.3.1}"
LOG4J_VERSION=2.25.5 # as kafka.sh: slf4j 1.7 -> log4j2, logging to a file
REST_PORT="${STREAMKIT_DEBEZIUM_REST_PORT:-18083}"
KAFKA_BOOTSTRAP="${STREAMKIT_DEBEZIUM_KAFKA:-127.0.0.1:${STREAMKIT_KAFKA_PORT:-19092}}"
CONNECTOR="${STREAMKIT_DEBEZIUM_CONNECTOR:-streamkit-postgres}"
SLOT="${STREAMKIT_DEBEZIUM_SLOT:-streamkit_debezium}"
TOPIC_PREFIX="${STREAMKIT_DEBEZIUM_TOPIC_PREFIX:-dbserver1}"
PUBLICATION="${STREAMKIT_PG_PUBLICATION:-dbz_publication}"
HEAP="${STREAMKIT_DEBEZIUM_HEAP:-512m}"
START_TIMEOUT="${STREAMKIT_DEBEZIUM_START_TIMEOUT:-180}"
STOP_TIMEOUT="${STREAMKIT_DEBEZIUM_STOP_TIMEOUT:-30}"

CONNECT_HOME="$SK_CACHE/kafka-connect-$CONNECT_VERSION"
LIBS="$CONNECT_HOME/libs"
DBZ_HOME="$SK_CACHE/debezium-$DEBEZIUM_VERSION"
PLUGINS="$DBZ_HOME/plugins"
PLUGIN="$PLUGINS/debezium-connector-postgres"
RUN="$SK_RUN/debezium"
LOGS="$RUN/logs"
PIDFILE="$RUN/connect.pid"
WORKER="$RUN/worker.properties"
CONN_PROPS="$RUN/$CONNECTOR.properties"
CONN_JSON="$RUN/$CONNECTOR.json"
OFFSETS="$RUN/connect.offsets"
URL="http://127.0.0.1:$REST_PORT"
MARKER="$WORKER" # on the worker's command line: tells our JVM from any other process

# ---- jars ---------------------------------------------------------------------------------------
resolve_jars() {
  local t0
  if [[ ! -f "$LIBS/.complete" ]]; then
    t0="$(sk_now_ms)"
    sk_log "$NAME" "resolving Kafka Connect $CONNECT_VERSION jars with Maven into $LIBS"
    sk_mvn_copy "Kafka Connect $CONNECT_VERSION" "$LIBS" "
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId><version>$CONNECT_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-json</artifactId><version>$CONNECT_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-transforms</artifactId><version>$CONNECT_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>"
    [[ -f "$LIBS/connect-runtime-$CONNECT_VERSION.jar" ]] || sk_die "$NAME" "no connect-runtime jar after resolution"
    sk_log "$NAME" "Kafka Connect jars: $(find "$LIBS" -name '*.jar' | wc -l) files, $(du -sh "$LIBS" | cut -f1), in $(sk_took "$t0")"
  fi
  if [[ ! -f "$PLUGIN/.complete" ]]; then
    t0="$(sk_now_ms)"
    sk_log "$NAME" "resolving Debezium PostgreSQL connector $DEBEZIUM_VERSION with Maven into $PLUGIN"
    # the plugin holds the connector and what it needs, without the Kafka and slf4j APIs that the
    # worker provides (as in Debezium's own plugin archive)
    sk_mvn_copy "Debezium $DEBEZIUM_VERSION" "$PLUGIN" "
    <dependency><groupId>io.debezium</groupId><artifactId>debezium-connector-postgres</artifactId><version>$DEBEZIUM_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>org.slf4j</groupId><artifactId>*</artifactId></exclusion>
      </exclusions>
    </dependency>"
    [[ -f "$PLUGIN/debezium-connector-postgres-$DEBEZIUM_VERSION.jar" ]] || sk_die "$NAME" "no connector jar after resolution"
    sk_log "$NAME" "Debezium plugin: $(find "$PLUGIN" -name '*.jar' | wc -l) files, $(du -sh "$PLUGIN" | cut -f1), in $(sk_took "$t0")"
  fi
}

# ---- PostgreSQL connection (from postgres.sh) ----------------------------------------------------
load_pg_env() {
  local out
  out="$(bash "$HERE/postgres.sh" env 2>/dev/null)" ||
    sk_die "$NAME" "no PostgreSQL cluster: run 'bash scripts/services/postgres.sh start' first"
  PGHOST="" PGPORT="" PGUSER="" PGPASSWORD="" PGDATABASE=""
  eval "$out"
  [[ -n "$PGHOST" && -n "$PGPORT" && -n "$PGUSER" && -n "$PGPASSWORD" && -n "$PGDATABASE" ]] ||
    sk_die "$NAME" "postgres.sh env printed no complete connection"
}

pg_query() { # pg_query SQL: one value, over TCP as the connector's user
  PGPASSWORD="$PGPASSWORD" psql -X -q -tA -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE" -c "$1"
}

# ---- configuration ------------------------------------------------------------------------------
write_worker() {
  mkdir -p "$RUN" "$LOGS"
  chmod 700 "$RUN"
  cat >"$WORKER" <<EOF
# generated by scripts/services/debezium.sh on every start; edits are lost
bootstrap.servers=$KAFKA_BOOTSTRAP
listeners=http://127.0.0.1:$REST_PORT
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$REST_PORT
plugin.path=$PLUGINS
plugin.discovery=service_load
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
offset.storage.file.filename=$OFFSETS
offset.flush.interval.ms=1000
task.shutdown.graceful.timeout.ms=10000
EOF
  cat >"$RUN/log4j2.properties" <<'EOF'
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = ${sys:kafka.logs.dir}/connect.log
appender.file.filePattern = ${sys:kafka.logs.dir}/connect.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %X{connector.context}%m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.reflections.name = org.reflections
logger.reflections.level = error
logger.clientconfig.name = org.apache.kafka.clients
logger.clientconfig.level = warn
EOF
}

# write_connector KEY=VALUE...: the default connector's properties (overrides appended last win) and
# the same as JSON ({"name":..., "config":{...}}) for tests that PUT variants of it.
write_connector() {
  local kv k v first=1
  {
    echo "# generated by scripts/services/debezium.sh on every start; edits are lost"
    echo "name=$CONNECTOR"
    echo "connector.class=io.debezium.connector.postgresql.PostgresConnector"
    echo "tasks.max=1"
    echo "database.hostname=$PGHOST"
    echo "database.port=$PGPORT"
    echo "database.user=$PGUSER"
    echo "database.password=$PGPASSWORD"
    echo "database.dbname=$PGDATABASE"
    echo "database.sslmode=disable"
    echo "topic.prefix=$TOPIC_PREFIX"
    echo "plugin.name=pgoutput"
    echo "publication.name=$PUBLICATION"
    echo "publication.autocreate.mode=all_tables"
    echo "slot.name=$SLOT"
    echo "snapshot.mode=initial"
    echo "skipped.operations=none"
    echo "tombstones.on.delete=true"
    echo "poll.interval.ms=100"
    echo "key.converter=org.apache.kafka.connect.json.JsonConverter"
    echo "value.converter=org.apache.kafka.connect.json.JsonConverter"
    echo "key.converter.schemas.enable=true"
    echo "value.converter.schemas.enable=true"
    for kv in "$@"; do echo "$kv"; done
  } >"$CONN_PROPS.tmp"
  chmod 600 "$CONN_PROPS.tmp"
  mv -f "$CONN_PROPS.tmp" "$CONN_PROPS"
  # JSON: last value of each key wins, keys in first-seen order
  {
    printf '{"name":"%s","config":{' "$CONNECTOR"
    while IFS= read -r k; do
      v="$(grep -E "^${k//./\\.}=" "$CONN_PROPS" | tail -n 1 | cut -d= -f2-)"
      ((first)) || printf ','
      first=0
      printf '"%s":"%s"' "$(json_escape "$k")" "$(json_escape "$v")"
    done < <(grep -vE '^(#|$)' "$CONN_PROPS" | cut -d= -f1 | awk '!seen[$0]++')
    printf '}}\n'
  } >"$CONN_JSON.tmp"
  chmod 600 "$CONN_JSON.tmp"
  mv -f "$CONN_JSON.tmp" "$CONN_JSON"
}

json_escape() {
  local s="$1"
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  printf '%s' "$s"
}

# ---- REST ---------------------------------------------------------------------------------------
rest() { # rest PATH: body on stdout; fails on no answer or an HTTP error
  curl -sS -f --max-time 10 -H 'Accept: application/json' "$URL$1"
}

# connector_state NAME: prints "RUNNING", "FAILED <trace>", or the states seen ("UNASSIGNED", "none", ...)
connector_state() {
  local body c t
  body="$(rest "/connectors/$1/status" 2>/dev/null)" || { echo "none"; return 0; }
  c="$(printf '%s' "$body" | sed -n 's/.*"connector":{"state":"\([A-Z]*\)".*/\1/p')"
  t="$(printf '%s' "$body" | sed -n 's/.*"tasks":\[\(.*\)\].*/\1/p' | grep -o '"state":"[A-Z]*"' | cut -d'"' -f4 | tr '\n' ' ')"
  if [[ "$c" == FAILED || "$t" == *FAILED* ]]; then
    echo "FAILED $body"
  elif [[ "$c" == RUNNING && -n "$t" && "${t//RUNNING /}" == "" ]]; then
    echo RUNNING
  else
    echo "connector ${c:-?} tasks ${t:-none}"
  fi
}

# ---- start / stop -------------------------------------------------------------------------------
start() {
  local t_all t0 pid deadline arg state active kafka_port pg_t0 i slot
  local -a overrides=() extra=() names=() slots=()
  t_all="$(sk_now_ms)"
  for arg in "$@"; do
    if [[ -f "$arg" ]]; then
      extra+=("$(cd "$(dirname "$arg")" && pwd)/$(basename "$arg")")
    elif [[ "$arg" == *=* ]]; then
      overrides+=("$arg")
    else
      sk_die "$NAME" "argument '$arg' is neither key=value nor a connector config file"
    fi
  done
  if sk_pid_alive "$PIDFILE" "$MARKER"; then
    sk_log "$NAME" "already running (pid $(cat "$PIDFILE")), nothing to do (stop first to change connectors)"
    return 0
  fi
  command -v curl >/dev/null || sk_die "$NAME" "curl not found (needed for the REST API)"
  command -v psql >/dev/null || sk_die "$NAME" "psql not found"
  if sk_port_open "$REST_PORT"; then
    sk_die "$NAME" "port 127.0.0.1:$REST_PORT is taken by another process: free it or set STREAMKIT_DEBEZIUM_REST_PORT"
  fi
  kafka_port="${KAFKA_BOOTSTRAP##*:}"
  sk_port_open "$kafka_port" ||
    sk_die "$NAME" "no Kafka broker on $KAFKA_BOOTSTRAP: run 'bash scripts/services/kafka.sh start' first"
  load_pg_env
  [[ "$(pg_query "SHOW wal_level" 2>/dev/null)" == logical ]] ||
    sk_die "$NAME" "PostgreSQL at $PGHOST:$PGPORT does not answer (or wal_level is not logical): run postgres.sh start"
  JAVA="$(sk_java)" || sk_die "$NAME" "no Java 17+ found (set JAVA_HOME or STREAMKIT_JAVA)"
  resolve_jars
  write_worker
  write_connector "${overrides[@]}"
  names=("$CONNECTOR")
  slots=("$(slot_of_default)")
  for arg in "${extra[@]}"; do
    names+=("$(config_value "$arg" name)")
    slots+=("$(config_value "$arg" slot.name)")
  done

  t0="$(sk_now_ms)"
  [[ -f "$LOGS/connect.log" ]] && mv -f "$LOGS/connect.log" "$LOGS/connect.log.prev"
  [[ -f "$LOGS/connect.out" ]] && mv -f "$LOGS/connect.out" "$LOGS/connect.out.prev"
  : >"$LOGS/connect.out"
  sk_spawn "$LOGS/connect.out" "$JAVA" -Xms128m -Xmx"$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$RUN/log4j2.properties" -Dkafka.logs.dir="$LOGS" \
    -cp "$LIBS/*" org.apache.kafka.connect.cli.ConnectStandalone "$WORKER" "$CONN_PROPS" "${extra[@]}"
  pid="$SK_SPAWNED_PID"
  printf '%s\n' "$pid" >"$PIDFILE"
  sk_log "$NAME" "started pid $pid (Kafka Connect $CONNECT_VERSION, Debezium $DEBEZIUM_VERSION, heap $HEAP), waiting for the connectors"

  deadline=$((SECONDS + START_TIMEOUT))
  fail() {
    sk_tail "$NAME" "$LOGS/connect.out" 15
    sk_tail "$NAME" "$LOGS/connect.log" 40
    if grep -q -E '^\[[^]]*\] ERROR ' "$LOGS/connect.log" 2>/dev/null; then
      sk_log "$NAME" "first errors in $LOGS/connect.log:"
      grep -A2 -m 6 -E '^\[[^]]*\] ERROR ' "$LOGS/connect.log" | cut -c1-400 | sed 's/^/    /' >&2 || true
    fi
    sk_die "$NAME" "$*"
  }
  check_alive() {
    sk_running "$pid" || { rm -f "$PIDFILE"; fail "the worker exited during start-up"; }
    ((SECONDS < deadline)) || { stop_worker; fail "$1 after ${START_TIMEOUT}s"; }
  }
  until sk_port_open "$REST_PORT"; do
    check_alive "REST port $REST_PORT not open"
    sleep 0.2
  done
  sk_log "$NAME" "REST API up after $(sk_took "$t0")"
  for arg in "${names[@]}"; do
    [[ -n "$arg" ]] || continue
    while :; do
      state="$(connector_state "$arg")"
      [[ "$state" == RUNNING ]] && break
      [[ "$state" == FAILED* ]] && { stop_worker; fail "connector $arg failed: ${state#FAILED }"; }
      check_alive "connector $arg not RUNNING ($state)"
      sleep 0.2
    done
    sk_log "$NAME" "connector $arg RUNNING after $(sk_took "$t0")"
  done
  # RUNNING comes once the task has started (slot created); the snapshot runs after that, and the slot
  # becomes active when streaming begins: wait for it so that what tests write next is streamed
  pg_t0="$(sk_now_ms)"
  for i in "${!slots[@]}"; do
    slot="${slots[$i]}"
    [[ "$slot" =~ ^[a-z0-9_]+$ ]] || continue # no slot.name given (or not a PostgreSQL connector)
    while :; do
      active="$(pg_query "SELECT active FROM pg_replication_slots WHERE slot_name = '$slot'" 2>/dev/null || true)"
      [[ "$active" == t ]] && break
      state="$(connector_state "${names[$i]}")"
      [[ "$state" == FAILED* ]] && { stop_worker; fail "connector ${names[$i]} failed: ${state#FAILED }"; }
      check_alive "replication slot $slot of ${names[$i]} not active (snapshot still running?)"
      sleep 0.2
    done
    sk_log "$NAME" "slot $slot of ${names[$i]} active (snapshot done, streaming) after $(sk_took "$pg_t0") more"
  done
  sk_log "$NAME" "ready: $URL, connector $CONNECTOR -> topics $(prefix_of_default).<schema>.<table>; worker up in $(sk_took "$t0"), start took $(sk_took "$t_all") in all; logs in $LOGS"
}

# config_value FILE KEY: KEY's value in a connector config file (.json: "KEY":"VALUE"; else KEY=VALUE)
config_value() {
  local file="$1" key="${2//./\\.}"
  if [[ "$file" == *.json ]]; then
    grep -oE "\"$key\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" "$file" | head -n 1 | sed -E 's/.*:[[:space:]]*"([^"]*)"$/\1/'
  else
    sed -n -E "s/^[[:space:]]*${key}[[:space:]]*[=:][[:space:]]*//p" "$file" | tail -n 1
  fi
}

slot_of_default() { grep -E '^slot\.name=' "$CONN_PROPS" | tail -n 1 | cut -d= -f2-; }
prefix_of_default() { grep -E '^topic\.prefix=' "$CONN_PROPS" | tail -n 1 | cut -d= -f2-; }

stop_worker() {
  sk_stop_pid "$NAME" "$PIDFILE" "$MARKER" "$STOP_TIMEOUT"
  local deadline=$((SECONDS + 10))
  while sk_port_open "$REST_PORT" && ((SECONDS < deadline)); do sleep 0.1; done
}

status() {
  local n
  if sk_pid_alive "$PIDFILE" "$MARKER"; then
    echo "debezium running: pid $(cat "$PIDFILE"), Kafka Connect $CONNECT_VERSION + Debezium $DEBEZIUM_VERSION, REST $URL, run dir $RUN"
    for n in $(rest /connectors 2>/dev/null | tr -d '[]"' | tr ',' ' '); do
      echo "  connector $n: $(connector_state "$n" | cut -c1-200)"
    done
    return 0
  fi
  echo "debezium not running (run dir $RUN)"
  return 3
}

print_env() {
  [[ -f "$CONN_PROPS" ]] || sk_die "$NAME" "no worker configured in $RUN yet: run 'bash scripts/services/debezium.sh start' first"
  sk_pid_alive "$PIDFILE" "$MARKER" || sk_log "$NAME" "warning: the worker is not running"
  printf 'DEBEZIUM_CONNECT_URL=%q\n' "$URL"
  printf 'DEBEZIUM_CONNECTOR=%q\n' "$CONNECTOR"
  printf 'DEBEZIUM_CONNECTOR_CONFIG=%q\n' "$CONN_JSON"
  printf 'DEBEZIUM_TOPIC_PREFIX=%q\n' "$(prefix_of_default)"
  printf 'DEBEZIUM_SLOT=%q\n' "$(slot_of_default)"
  printf 'DEBEZIUM_PUBLICATION=%q\n' "$PUBLICATION"
  printf 'DEBEZIUM_KAFKA_BROKERS=%q\n' "$KAFKA_BOOTSTRAP"
  printf 'DEBEZIUM_VERSION=%q\n' "$DEBEZIUM_VERSION"
  printf 'DEBEZIUM_CONNECT_VERSION=%q\n' "$CONNECT_VERSION"
}

reset() {
  local slot
  stop_worker
  slot="$SLOT"
  [[ -f "$CONN_PROPS" ]] && slot="$(slot_of_default)"
  if out="$(bash "$HERE/postgres.sh" env 2>/dev/null)"; then
    load_pg_env
    if pg_query "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$slot' AND NOT active" \
      >/dev/null 2>&1; then
      sk_log "$NAME" "dropped replication slot $slot (if it existed)"
    else
      sk_log "$NAME" "could not drop replication slot $slot (PostgreSQL not running?)"
    fi
  fi
  rm -rf "$RUN"
  sk_log "$NAME" "deleted $RUN"
}

# ---- main ---------------------------------------------------------------------------------------
cmd="${1:-}"
case "$cmd" in
start | stop | reset)
  mkdir -p "$SK_RUN"
  exec 9>"$SK_RUN/debezium.lock"
  flock -w 600 9 || sk_die "$NAME" "another debezium.sh holds $SK_RUN/debezium.lock"
  case "$cmd" in
  start)
    shift
    start "$@"
    ;;
  stop) stop_worker ;;
  reset) reset ;;
  esac
  ;;
status) status ;;
env) print_env ;;
*)
  echo "usage: bash scripts/services/debezium.sh start [key=value|connector-file...]|stop|status|env|reset" >&2
  exit 2
  ;;
esac
