# shellcheck shell=bash disable=SC2034
# Shared helpers for scripts/services/*.sh (sourced, not run). Bash only.
# Each service script keeps its state outside the repo:
#   cache (downloads, generated certificates): ${STREAMKIT_CACHE:-$HOME/.cache/streamkit}
#   run dir (data, logs, pid file, passwords):  ${STREAMKIT_RUN:-/tmp/streamkit-services}/<service>

SK_CACHE="${STREAMKIT_CACHE:-$HOME/.cache/streamkit}"
SK_RUN="${STREAMKIT_RUN:-/tmp/streamkit-services}"

sk_now_ms() { date +%s%3N; }

# sk_took T0: milliseconds since T0 (from sk_now_ms), printed as seconds with one decimal.
sk_took() {
  local ms=$(( $(sk_now_ms) - $1 ))
  printf '%d.%ds' $((ms / 1000)) $(((ms % 1000) / 100))
}

# sk_log NAME MESSAGE...: one line on stderr, so that `env` output on stdout stays sourceable.
sk_log() {
  local name="$1"
  shift
  printf '[%s] %s\n' "$name" "$*" >&2
}

sk_die() {
  local name="$1"
  shift
  printf '[%s] ERROR: %s\n' "$name" "$*" >&2
  exit 1
}

# sk_port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
sk_port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# sk_pid_alive PIDFILE MARKER: true when PIDFILE names a live process whose command line contains
# MARKER (so that a recycled pid of some other process is never taken for ours).
sk_pid_alive() {
  local pidfile="$1" marker="$2" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker"
}

# sk_running PID: true while PID exists and is not a zombie (a zombie whose parent does not reap it
# would otherwise look alive forever to kill -0). A multi-threaded process (a JVM) counts as running
# while any of its threads is, since its leader shows as a zombie before the others have exited and
# released its sockets.
sk_running() {
  local st t
  kill -0 "$1" 2>/dev/null || return 1
  for t in /proc/"$1"/task/*/stat; do
    st="$(cat "$t" 2>/dev/null)" || continue
    st="${st##*) }"
    [[ "${st:0:1}" == Z ]] || return 0
  done
  return 1
}

# sk_stop_pid NAME PIDFILE MARKER TIMEOUT_S: SIGTERM, wait up to TIMEOUT_S, then SIGKILL; waits
# until the process is gone and removes the pid file.
sk_stop_pid() {
  local name="$1" pidfile="$2" marker="$3" timeout="$4" pid t0 deadline
  if ! sk_pid_alive "$pidfile" "$marker"; then
    rm -f "$pidfile"
    sk_log "$name" "not running"
    return 0
  fi
  pid="$(cat "$pidfile")"
  t0="$(sk_now_ms)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while sk_running "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if sk_running "$pid"; then
    sk_log "$name" "still running after ${timeout}s: SIGKILL pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    while sk_running "$pid"; do sleep 0.1; done
  fi
  rm -f "$pidfile"
  sk_log "$name" "stopped pid $pid in $(sk_took "$t0")"
}

# sk_java: prints the java binary to use (STREAMKIT_JAVA, else $JAVA_HOME/bin/java, else the
# Debian Java 17, else java on PATH) after checking that it is Java 17 or newer.
sk_java() {
  local j v
  if [[ -n "${STREAMKIT_JAVA:-}" ]]; then
    j="$STREAMKIT_JAVA"
  elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    j="$JAVA_HOME/bin/java"
  elif [[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]]; then
    j=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
  else
    j="$(command -v java || true)"
  fi
  [[ -n "$j" && -x "$j" ]] || return 1
  v="$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
  [[ "$v" =~ ^[0-9]+$ ]] && ((v >= 17)) || return 1
  printf '%s\n' "$j"
}

# sk_tail NAME FILE [LINES]: the last lines of a log (without tab-indented continuation lines,
# such as a dump of configuration values), indented, on stderr.
sk_tail() {
  local name="$1" file="$2" n="${3:-40}"
  if [[ -f "$file" ]]; then
    sk_log "$name" "last $n lines of $file:"
    # (grep finds nothing in an empty log: that must not end a caller running under errexit/pipefail)
    { grep -v $'^\t' "$file" || true; } | tail -n "$n" | sed 's/^/    /' >&2
  else
    sk_log "$name" "(no log at $file)"
  fi
}

# sk_spawn LOGFILE CMD...: starts CMD detached (own session, stdin /dev/null, stdout+stderr
# appended to LOGFILE, every other inherited descriptor closed, so that no caller's pipe or lock
# stays open for the service's lifetime). Sets SK_SPAWNED_PID.
sk_spawn() {
  local log="$1"
  shift
  (
    local fd pgrp
    for fd in /proc/"$BASHPID"/fd/*; do
      fd="${fd##*/}"
      if ((fd > 2)); then eval "exec ${fd}>&-" 2>/dev/null || true; fi
    done
    trap '' HUP
    # setsid(1) forks when the caller leads its process group (job control on): then $! would
    # not be the service's pid. Such a subshell already has a process group of its own.
    local stat
    stat="$(cat /proc/"$BASHPID"/stat)"
    stat="${stat##*) }"      # state ppid pgrp ...
    read -r _ _ pgrp _ <<<"$stat"
    if [[ "$pgrp" == "$BASHPID" ]]; then
      exec "$@" </dev/null >>"$log" 2>&1
    fi
    exec setsid "$@" </dev/null >>"$log" 2>&1
  ) &
  SK_SPAWNED_PID=$!
}

# sk_mvn_copy WHAT DEST POM_DEPENDENCIES EXTRA_ARGS...: copy-dependencies (runtime scope) into DEST, atomically
# (DEST/.complete marks a finished copy). Logs under the calling script's $NAME.
sk_mvn_copy() {
  local what="$1" dest="$2" deps="$3" who="${NAME:-services}" work
  shift 3
  command -v mvn >/dev/null || sk_die "$who" "mvn not found: Maven is needed once to fetch the $what jars"
  mkdir -p "$(dirname "$dest")"
  work="$(mktemp -d "$(dirname "$dest")/resolve.XXXXXX")"
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>streamkit.services</groupId>
  <artifactId>resolve</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
$deps
  </dependencies>
</project>
EOF
  # shellcheck disable=SC2086 # STREAMKIT_MVN_ARGS is a list of arguments
  if ! mvn -B -q -f "$work/pom.xml" ${STREAMKIT_MVN_ARGS:-} dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$work/out" "$@" >"$work/mvn.log" 2>&1; then
    sk_tail "$who" "$work/mvn.log" 30
    sk_die "$who" "Maven could not resolve the $what jars (log: $work/mvn.log)"
  fi
  touch "$work/out/.complete"
  rm -rf "$dest"
  mv "$work/out" "$dest"
  rm -rf "$work"
}
