#!/usr/bin/env bash
# A real Apache Kafka 4.x broker for the tests: KRaft, single node (broker + controller in one JVM),
# from Maven Central jars, on the machine's Java 17, bound to 127.0.0.1 only.
#
#   bash scripts/services/kafka.sh start    resolve jars + certificates (cached), format once, start, wait ready
#   bash scripts/services/kafka.sh stop     SIGTERM, SIGKILL after STREAMKIT_KAFKA_STOP_TIMEOUT s, wait
#   bash scripts/services/kafka.sh status   "running ..." (exit 0) or "not running" (exit 3)
#   bash scripts/services/kafka.sh env      KAFKA_* lines for tests: `eval "$(bash scripts/services/kafka.sh env)"`
#   bash scripts/services/kafka.sh reset    stop, then delete the run dir (topics, offsets, SCRAM password)
#   bash scripts/services/kafka.sh freeze   SIGSTOP: the broker keeps its connections open and answers nothing
#   bash scripts/services/kafka.sh thaw     SIGCONT: it answers again (a test of a broker that hangs)
#
# Listeners (all on 127.0.0.1):
#   PLAINTEXT   ${STREAMKIT_KAFKA_PORT:-19092}
#   SASL_SSL    ${STREAMKIT_KAFKA_SASL_PORT:-19093}   SCRAM-SHA-512, user ${STREAMKIT_KAFKA_USER:-streamkit},
#               password generated at format time (run dir), certificate signed by a generated CA (PEM in cache)
#   CONTROLLER  ${STREAMKIT_KAFKA_CONTROLLER_PORT:-19094}  (KRaft controller, PLAINTEXT, not for clients)
# Other knobs: STREAMKIT_KAFKA_VERSION (default below), STREAMKIT_KAFKA_HEAP (-Xmx, default 512m),
#   STREAMKIT_KAFKA_START_TIMEOUT (s, default 120), STREAMKIT_KAFKA_STOP_TIMEOUT (s, default 30),
#   STREAMKIT_MVN_ARGS (extra arguments for mvn, e.g. -o or -Dmaven.repo.local=DIR), STREAMKIT_JAVA.
# Places (outside the repo):
#   jars   ${STREAMKIT_CACHE:-$HOME/.cache/streamkit}/kafka-<version>/libs   (Maven's ~/.m2 is used as usual)
#   TLS    ${STREAMKIT_CACHE:-$HOME/.cache/streamkit}/kafka-tls                (ca.pem, broker.p12, truststore.p12)
#   run    ${STREAMKIT_RUN:-/tmp/streamkit-services}/kafka                     (data/, logs/, kafka.pid, ...)
# Data survive stop/start (same run dir); only `reset` deletes them.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/services/lib.sh
source "$HERE/lib.sh"

NAME=kafka
KAFKA_VERSION="${STREAMKIT_KAFKA_VERSION:-4.4.0}"
LOG4J_VERSION=2.25.5 # the log4j-core that kafka-server 4.4.0 brings; its slf4j 1.7 binding logs to a file
PORT="${STREAMKIT_KAFKA_PORT:-19092}"
SASL_PORT="${STREAMKIT_KAFKA_SASL_PORT:-19093}"
CONTROLLER_PORT="${STREAMKIT_KAFKA_CONTROLLER_PORT:-19094}"
SASL_USER="${STREAMKIT_KAFKA_USER:-streamkit}"
HEAP="${STREAMKIT_KAFKA_HEAP:-512m}"
START_TIMEOUT="${STREAMKIT_KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${STREAMKIT_KAFKA_STOP_TIMEOUT:-30}"

HOME_DIR="$SK_CACHE/kafka-$KAFKA_VERSION"
LIBS="$HOME_DIR/libs"
TOOLS="$HOME_DIR/tools" # the compiled readiness check
TLS="$SK_CACHE/kafka-tls"
RUN="$SK_RUN/kafka"
DATA="$RUN/data"
LOGS="$RUN/logs"
PIDFILE="$RUN/kafka.pid"
PROPS="$RUN/server.properties"
MARKER="$PROPS" # on the broker's command line: tells our JVM from any other process

# ---- jars -------------------------------------------------------------------------------------
resolve_jars() {
  if [[ -f "$LIBS/.complete" ]]; then
    return 0
  fi
  local t0
  t0="$(sk_now_ms)"
  sk_log "$NAME" "resolving Apache Kafka $KAFKA_VERSION jars with Maven into $LIBS"
  # the broker (kafka.Kafka) and the storage tool (kafka.tools.StorageTool) with all they need, and
  # slf4j 1.7 -> log4j2 (log4j-api/core come with kafka-server)
  sk_mvn_copy "Apache Kafka $KAFKA_VERSION" "$LIBS" "
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>"
  [[ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]] || sk_die "$NAME" "no kafka_2.13 jar after resolution ($LIBS)"
  sk_log "$NAME" "jars: $(find "$LIBS" -name '*.jar' | wc -l) files, $(du -sh "$LIBS" | cut -f1), in $(sk_took "$t0")"
}

# ---- readiness check (kafka-clients AdminClient on both listeners) ------------------------------
build_check() {
  if [[ -f "$TOOLS/.complete" ]]; then
    return 0
  fi
  local javac t0 work
  javac="$(dirname "$JAVA")/javac"
  [[ -x "$javac" ]] || javac="$(command -v javac || true)"
  [[ -n "$javac" ]] || sk_die "$NAME" "javac not found (needed once to compile the readiness check)"
  t0="$(sk_now_ms)"
  work="$(mktemp -d "$HOME_DIR/tools.XXXXXX")"
  cat >"$work/KafkaReady.java" <<'EOF'
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterResult;

/** KafkaReady BOOTSTRAP [SASL_BOOTSTRAP USER PASSWORD TRUSTSTORE TRUSTSTORE_PASSWORD]: exit 0 once the
 *  broker answers metadata on each listener given (and the SCRAM login and TLS handshake succeed). */
public class KafkaReady {
  static void check(String label, Properties p) throws Exception {
    p.put("request.timeout.ms", "5000");
    p.put("default.api.timeout.ms", "8000");
    p.put("retries", "0");
    try (Admin admin = Admin.create(p)) {
      DescribeClusterResult c = admin.describeCluster();
      int nodes = c.nodes().get(8, TimeUnit.SECONDS).size();
      String id = c.clusterId().get(8, TimeUnit.SECONDS);
      int topics = admin.listTopics().names().get(8, TimeUnit.SECONDS).size();
      System.out.println(label + ": cluster " + id + ", " + nodes + " node(s), " + topics + " topic(s)");
    }
  }
  public static void main(String[] a) {
    try {
      Properties p = new Properties();
      p.put("bootstrap.servers", a[0]);
      check("PLAINTEXT " + a[0], p);
      if (a.length >= 6) {
        Properties s = new Properties();
        s.put("bootstrap.servers", a[1]);
        s.put("security.protocol", "SASL_SSL");
        s.put("sasl.mechanism", "SCRAM-SHA-512");
        s.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
            + a[2] + "\" password=\"" + a[3] + "\";");
        s.put("ssl.truststore.location", a[4]);
        s.put("ssl.truststore.password", a[5]);
        s.put("ssl.truststore.type", "PKCS12");
        check("SASL_SSL " + a[1] + " (SCRAM-SHA-512 as " + a[2] + ")", s);
      }
      System.exit(0);
    } catch (Throwable t) {
      Throwable c = t;
      while (c.getCause() != null && c != c.getCause()) c = c.getCause();
      System.err.println("not ready: " + c);
      System.exit(1);
    }
  }
}
EOF
  "$javac" -nowarn -d "$work" -cp "$LIBS/*" "$work/KafkaReady.java" >"$work/javac.log" 2>&1 ||
    { cat "$work/javac.log" >&2; sk_die "$NAME" "could not compile the readiness check"; }
  touch "$work/.complete"
  rm -rf "$TOOLS"
  mv "$work" "$TOOLS"
  sk_log "$NAME" "readiness check compiled in $(sk_took "$t0")"
}

# ---- TLS: a CA and a broker certificate for 127.0.0.1 / localhost --------------------------------
make_tls() {
  if [[ -f "$TLS/.complete" ]]; then
    return 0
  fi
  command -v openssl >/dev/null || sk_die "$NAME" "openssl not found"
  local keytool t0 work pw
  keytool="$(dirname "$JAVA")/keytool"
  [[ -x "$keytool" ]] || keytool="$(command -v keytool || true)"
  [[ -n "$keytool" ]] || sk_die "$NAME" "keytool not found"
  t0="$(sk_now_ms)"
  mkdir -p "$SK_CACHE"
  work="$(mktemp -d "$SK_CACHE/kafka-tls.XXXXXX")"
  pw="$(openssl rand -hex 16)"
  (
    cd "$work"
    umask 077
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout ca.key -out ca.pem \
      -subj "/CN=streamkit test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout broker.key -out broker.csr -subj "/CN=localhost"
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >broker.ext
    openssl x509 -req -sha256 -days 3650 -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -extfile broker.ext -out broker.pem
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name broker \
      -out broker.p12 -passout "pass:$pw"
    "$keytool" -importcert -noprompt -alias streamkit-ca -file ca.pem -keystore truststore.p12 \
      -storetype PKCS12 -storepass "$pw"
    printf '%s\n' "$pw" >store.password
    chmod 644 ca.pem broker.pem
    touch .complete
  ) >"$work/gen.log" 2>&1 || { cat "$work/gen.log" >&2; sk_die "$NAME" "certificate generation failed"; }
  rm -rf "$TLS"
  mv "$work" "$TLS"
  sk_log "$NAME" "CA and broker certificate (127.0.0.1, localhost) generated in $TLS in $(sk_took "$t0")"
}

# ---- configuration, format --------------------------------------------------------------------
write_config() {
  local pw
  pw="$(cat "$TLS/store.password")"
  mkdir -p "$RUN" "$DATA" "$LOGS"
  chmod 700 "$RUN"
  cat >"$PROPS" <<EOF
# generated by scripts/services/kafka.sh on every start; edits are lost
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,SASL_SSL://127.0.0.1:$SASL_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,SASL_SSL://127.0.0.1:$SASL_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$DATA

sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS/broker.p12
ssl.keystore.password=$pw
ssl.key.password=$pw
ssl.truststore.type=PKCS12
ssl.truststore.location=$TLS/truststore.p12
ssl.truststore.password=$pw
ssl.client.auth=none

auto.create.topics.enable=true
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
EOF
  cat >"$RUN/log4j2.properties" <<'EOF'
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.filePattern = ${sys:kafka.logs.dir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
EOF
}

format_storage() {
  if [[ -f "$DATA/meta.properties" ]]; then
    [[ -f "$RUN/sasl.password" ]] || sk_die "$NAME" "$DATA is formatted but $RUN/sasl.password is missing: run 'reset'"
    return 0
  fi
  local t0 cluster pw
  t0="$(sk_now_ms)"
  # a random Kafka Uuid: 16 bytes, URL-safe base64 without padding (22 characters)
  cluster="$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=\n')"
  pw="$(openssl rand -hex 16)"
  (umask 077 && printf '%s\n' "$pw" >"$RUN/sasl.password")
  printf '%s\n' "$cluster" >"$RUN/cluster.id"
  if ! "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$RUN/log4j2.properties" \
    -Dkafka.logs.dir="$LOGS" -cp "$LIBS/*" kafka.tools.StorageTool format \
    --config "$PROPS" --cluster-id "$cluster" \
    --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$pw]" >"$LOGS/format.log" 2>&1; then
    sk_tail "$NAME" "$LOGS/format.log" 30
    rm -f "$RUN/sasl.password"
    sk_die "$NAME" "kafka-storage format failed"
  fi
  sk_log "$NAME" "formatted KRaft storage (cluster $cluster, SCRAM-SHA-512 user $SASL_USER) in $(sk_took "$t0")"
}

# ---- start / stop -----------------------------------------------------------------------------
check_ready() { # prints the check's lines; exit status 0 when both listeners answer
  "$JAVA" -Xmx128m -XX:TieredStopAtLevel=1 -Xshare:auto -cp "$TOOLS:$LIBS/*" KafkaReady \
    "127.0.0.1:$PORT" "127.0.0.1:$SASL_PORT" "$SASL_USER" "$(cat "$RUN/sasl.password")" \
    "$TLS/truststore.p12" "$(cat "$TLS/store.password")" 2>&1
}

start() {
  local t_all t0 pid p out deadline
  t_all="$(sk_now_ms)"
  if sk_pid_alive "$PIDFILE" "$MARKER"; then
    sk_log "$NAME" "already running (pid $(cat "$PIDFILE")), nothing to do"
    return 0
  fi
  for p in "$PORT" "$SASL_PORT" "$CONTROLLER_PORT"; do
    if sk_port_open "$p"; then
      sk_die "$NAME" "port 127.0.0.1:$p is taken by another process (not our broker): free it or set STREAMKIT_KAFKA_*PORT"
    fi
  done
  JAVA="$(sk_java)" || sk_die "$NAME" "no Java 17+ found (set JAVA_HOME or STREAMKIT_JAVA)"
  resolve_jars
  build_check
  make_tls
  write_config
  format_storage

  t0="$(sk_now_ms)"
  # this start's logs only (the previous run's are kept beside them as *.prev)
  [[ -f "$LOGS/server.log" ]] && mv -f "$LOGS/server.log" "$LOGS/server.log.prev"
  [[ -f "$LOGS/kafka.out" ]] && mv -f "$LOGS/kafka.out" "$LOGS/kafka.out.prev"
  : >"$LOGS/kafka.out"
  sk_spawn "$LOGS/kafka.out" "$JAVA" -Xms128m -Xmx"$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$RUN/log4j2.properties" -Dkafka.logs.dir="$LOGS" \
    -cp "$LIBS/*" kafka.Kafka "$PROPS"
  pid="$SK_SPAWNED_PID"
  printf '%s\n' "$pid" >"$PIDFILE"
  sk_log "$NAME" "started pid $pid (Kafka $KAFKA_VERSION, heap $HEAP), waiting for the listeners"

  deadline=$((SECONDS + START_TIMEOUT))
  fail() {
    sk_tail "$NAME" "$LOGS/kafka.out" 15
    sk_tail "$NAME" "$LOGS/server.log" 40
    sk_die "$NAME" "$*"
  }
  for p in "$PORT" "$SASL_PORT"; do
    until sk_port_open "$p"; do
      sk_running "$pid" || { rm -f "$PIDFILE"; fail "the broker exited during start-up"; }
      ((SECONDS < deadline)) || { stop_broker; fail "127.0.0.1:$p not open after ${START_TIMEOUT}s"; }
      sleep 0.2
    done
  done
  sk_log "$NAME" "listeners open after $(sk_took "$t0"), checking metadata on both"
  until out="$(check_ready)"; do
    sk_running "$pid" || { rm -f "$PIDFILE"; fail "the broker exited during start-up"; }
    ((SECONDS < deadline)) || { sk_log "$NAME" "$out"; stop_broker; fail "no metadata answer after ${START_TIMEOUT}s"; }
    sleep 0.5
  done
  printf '%s\n' "$out" | sed "s/^/[$NAME] /" >&2
  sk_log "$NAME" "ready: broker up in $(sk_took "$t0"), start took $(sk_took "$t_all") in all; logs in $LOGS"
}

stop_broker() {
  sk_stop_pid "$NAME" "$PIDFILE" "$MARKER" "$STOP_TIMEOUT"
  local p deadline=$((SECONDS + 10))
  for p in "$PORT" "$SASL_PORT" "$CONTROLLER_PORT"; do
    while sk_port_open "$p" && ((SECONDS < deadline)); do sleep 0.1; done
  done
}

status() {
  if sk_pid_alive "$PIDFILE" "$MARKER"; then
    echo "kafka running: pid $(cat "$PIDFILE"), PLAINTEXT 127.0.0.1:$PORT, SASL_SSL 127.0.0.1:$SASL_PORT, run dir $RUN"
    return 0
  fi
  echo "kafka not running (run dir $RUN)"
  return 3
}

# freeze / thaw: SIGSTOP / SIGCONT to the running broker.
signal_broker() {
  sk_pid_alive "$PIDFILE" "$MARKER" || sk_die "$NAME" "the broker is not running"
  kill "-$1" "$(cat "$PIDFILE")"
}

print_env() {
  [[ -f "$RUN/sasl.password" && -f "$TLS/ca.pem" ]] ||
    sk_die "$NAME" "no broker formatted in $RUN yet: run 'bash scripts/services/kafka.sh start' first"
  sk_pid_alive "$PIDFILE" "$MARKER" || sk_log "$NAME" "warning: the broker is not running"
  printf 'KAFKA_BROKERS=%q\n' "127.0.0.1:$PORT"
  printf 'KAFKA_SASL_BROKERS=%q\n' "127.0.0.1:$SASL_PORT"
  printf 'KAFKA_SASL_MECHANISM=%q\n' "scram-sha-512"
  printf 'KAFKA_SASL_USER=%q\n' "$SASL_USER"
  printf 'KAFKA_SASL_PASSWORD=%q\n' "$(cat "$RUN/sasl.password")"
  printf 'KAFKA_CA_FILE=%q\n' "$TLS/ca.pem"
}

# ---- main -------------------------------------------------------------------------------------
cmd="${1:-}"
case "$cmd" in
start | stop | reset)
  mkdir -p "$SK_RUN"
  exec 9>"$SK_RUN/kafka.lock"
  flock -w 600 9 || sk_die "$NAME" "another kafka.sh holds $SK_RUN/kafka.lock"
  case "$cmd" in
  start) start ;;
  stop) stop_broker ;;
  reset)
    stop_broker
    rm -rf "$RUN"
    sk_log "$NAME" "deleted $RUN"
    ;;
  esac
  ;;
status) status ;;
env) print_env ;;
freeze) signal_broker STOP ;;
thaw) signal_broker CONT ;;
*)
  echo "usage: bash scripts/services/kafka.sh start|stop|status|env|reset|freeze|thaw" >&2
  exit 2
  ;;
esac
