#!/usr/bin/env bash
# Local infrastructure stack without Docker: Kafka (KRaft, single node) + Apicurio Registry 3.x
# (in-memory, Confluent-compatible API). Postgres is not managed here, only checked.
#
#   deploy/local/stack.sh up              start what is not running yet, wait until healthy
#   deploy/local/stack.sh down [--clean]  stop both; --clean also wipes the Kafka data dir
#   deploy/local/stack.sh status          print each part up/down; exit 0 only if all are up
#   deploy/local/stack.sh kafka-class MAIN_CLASS [ARGS...]
#                                         run a Kafka CLI class on the stack's classpath, e.g.
#                                         org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
#
# Jars/versions come from deploy/local/pom.xml (resolved by mvn). Everything downloaded or created
# lives under $STACK_DIR (default: <repo root>/.stack). See deploy/local/README.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
POM="$SCRIPT_DIR/pom.xml"

STACK_DIR="${STACK_DIR:-$REPO_ROOT/.stack}"
mkdir -p "$STACK_DIR"
STACK_DIR="$(cd "$STACK_DIR" && pwd -P)" # absolute: it is also how our processes are recognised
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${REGISTRY_PORT:-8081}"
REGISTRY_MANAGEMENT_PORT="${REGISTRY_MANAGEMENT_PORT:-9081}" # Quarkus health/metrics interface
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx768m -Xms256m}"
REGISTRY_HEAP_OPTS="${REGISTRY_HEAP_OPTS:--Xmx512m -Xms128m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
REGISTRY_START_TIMEOUT="${REGISTRY_START_TIMEOUT:-120}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"

pom_prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$POM" | head -n1; }
KAFKA_VERSION="$(pom_prop kafka.version)"
# APICURIO_VERSION / REGISTRY_JAVA are settled by pick_registry_java (needs a JDK >= 21, else falls back)
APICURIO_VERSION="$(pom_prop apicurio.version)"
APICURIO_JAVA17_VERSION="$(pom_prop apicurio.java17.version)"
REGISTRY_JAVA=""

KAFKA_HOME="$STACK_DIR/kafka"
KAFKA_LIBS="$KAFKA_HOME/libs-$KAFKA_VERSION"
KAFKA_DATA="$KAFKA_HOME/data"            # removed by `down --clean`
KAFKA_LOG_DIRS="$KAFKA_DATA/logs"        # log.dirs (+ KRaft metadata log)
KAFKA_CLUSTER_ID_FILE="$KAFKA_DATA/cluster.id"
KAFKA_CONF="$KAFKA_HOME/server.properties"
KAFKA_LOG4J="$KAFKA_HOME/log4j.properties"
TOOLS_LOG4J="$KAFKA_HOME/tools-log4j.properties"
ADMIN_CONF="$KAFKA_HOME/admin.properties"
REGISTRY_WORK="$STACK_DIR/registry"
LOG_DIR="$STACK_DIR/logs"
KAFKA_SERVER_LOG="$LOG_DIR/kafka/server.log"  # broker log4j output (rotated)
KAFKA_OUT="$LOG_DIR/kafka.out"                # broker stdout/stderr (JVM messages)
REGISTRY_LOG="$LOG_DIR/registry.log"
RUN_DIR="$STACK_DIR/run"
KAFKA_PID="$RUN_DIR/kafka.pid"
REGISTRY_PID="$RUN_DIR/registry.pid"

BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT"
CCOMPAT_URL="$REGISTRY_URL/apis/ccompat/v7"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not installed"; }

# --- process helpers ---------------------------------------------------------------------------

# pid from a pid file if that process is alive and is one we started (cmdline mentions STACK_DIR)
live_pid() {
  local f="$1" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STACK_DIR" || return 1
  echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# start_bg PIDFILE LOGFILE WORKDIR CMD... : detached (own session), pid written by the child itself
start_bg() {
  local pidfile="$1" logfile="$2" workdir="$3"
  shift 3
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")" "$workdir"
  rm -f "$pidfile"
  (
    cd "$workdir"
    # shellcheck disable=SC2016 # $$ and $@ are expanded by the inner bash
    setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  )
  local i
  for i in $(seq 1 50); do [[ -s "$pidfile" ]] && return 0; sleep 0.1; done
  die "process did not start (see $logfile)"
}

stop_pidfile() {
  local name="$1" pidfile="$2" pid i
  if ! pid="$(live_pid "$pidfile")"; then
    rm -f "$pidfile"
    log "$name: not running"
    return 0
  fi
  log "$name: stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: still alive after ${STOP_TIMEOUT}s, sending KILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
  log "$name: stopped"
}

lock_stack() {
  mkdir -p "$STACK_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STACK_DIR/.lock"
    flock -w 300 9 || die "another stack.sh is running on $STACK_DIR"
  fi
}

# --- Java for the registry ----------------------------------------------------------------------

java_major() { # java_major JAVA_BIN -> 17, 21, 25, ... (8 for 1.8)
  local v
  v="$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1)"
  v="${v#1.}"
  v="${v%%[.+-]*}"
  [[ "$v" =~ ^[0-9]+$ ]] && echo "$v" || echo 0
}

# Apicurio Registry 3.3.x is compiled for Java 21. Use a JDK >= 21 if there is one (REGISTRY_JAVA_HOME,
# JAVA_HOME, java on PATH, /usr/lib/jvm/*); otherwise run the Java-17-compatible 3.x from the pom.
pick_registry_java() {
  [[ -n "$REGISTRY_JAVA" ]] && return 0
  local c best="" best_v=0 v
  local -a cands=()
  if [[ -n "${REGISTRY_JAVA_HOME:-}" ]]; then # explicit choice: use it (falls back if it is < 21)
    [[ -x "$REGISTRY_JAVA_HOME/bin/java" ]] || die "REGISTRY_JAVA_HOME=$REGISTRY_JAVA_HOME has no bin/java"
    cands=("$REGISTRY_JAVA_HOME/bin/java")
  else
    [[ -n "${JAVA_HOME:-}" ]] && cands+=("$JAVA_HOME/bin/java")
    command -v java >/dev/null 2>&1 && cands+=("$(command -v java)")
    for c in /usr/lib/jvm/*/bin/java; do cands+=("$c"); done
  fi
  for c in "${cands[@]}"; do
    [[ -x "$c" ]] || continue
    v="$(java_major "$c")"
    if ((v >= 21)); then best="$c"; best_v="$v"; break; fi
  done
  if [[ -n "$best" ]]; then
    REGISTRY_JAVA="$best"
  else
    REGISTRY_JAVA="${cands[0]:-$(command -v java)}"
    best_v="$(java_major "$REGISTRY_JAVA")"
    log "registry: no JDK >= 21 found (set REGISTRY_JAVA_HOME); using Apicurio Registry $APICURIO_JAVA17_VERSION on Java $best_v instead of $APICURIO_VERSION"
    APICURIO_VERSION="$APICURIO_JAVA17_VERSION"
  fi
  APICURIO_HOME="$STACK_DIR/apicurio-registry-$APICURIO_VERSION"
}

# --- downloads (cached under STACK_DIR, plus ~/.m2) ---------------------------------------------

# quiet mvn on our pom; Debian's mvn 3.8 emits bare ANSI resets even in batch mode: strip them
mvn_q() {
  mvn -q -B -Dstyle.color=never -f "$POM" "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2
}

ensure_kafka_libs() {
  [[ -f "$KAFKA_LIBS/.complete" ]] && return 0
  need mvn
  log "fetching Kafka $KAFKA_VERSION jars with mvn (first run only)"
  rm -rf "$KAFKA_LIBS.tmp"
  mvn_q dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS.tmp" \
    || die "mvn could not fetch Kafka jars"
  touch "$KAFKA_LIBS.tmp/.complete"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
}

ensure_apicurio() {
  pick_registry_java
  [[ -f "$APICURIO_HOME/.complete" ]] && return 0
  need mvn
  log "fetching Apicurio Registry $APICURIO_VERSION with mvn (first run only)"
  rm -rf "$APICURIO_HOME.tmp"
  local goal=dependency:unpack@apicurio
  # The Java 17 fallback release's parent pom (io.apicurio:apicurio-registry:3.0.9) cannot be resolved
  # from Maven Central and maven-dependency-plugin 3.x refuses artifacts without a readable descriptor;
  # the 2.8 plugin accepts it (same execution config from the pom).
  [[ "$APICURIO_VERSION" == "$APICURIO_JAVA17_VERSION" ]] \
    && goal=org.apache.maven.plugins:maven-dependency-plugin:2.8:unpack@apicurio
  mvn_q "$goal" \
    -Dapicurio.version="$APICURIO_VERSION" -Dapicurio.outputDirectory="$APICURIO_HOME.tmp" \
    || die "mvn could not fetch Apicurio Registry"
  # 3.3.x ships a Quarkus fast-jar (quarkus-run.jar + lib/ app/ quarkus/), 3.0.x a legacy *-runner.jar
  local run
  run="$(find "$APICURIO_HOME.tmp" -maxdepth 3 -type f -not -path '*PaxHeaders*' \
    \( -name quarkus-run.jar -o -name '*-runner.jar' \) | head -n1)"
  [[ -n "$run" ]] || die "no runnable jar (quarkus-run.jar / *-runner.jar) in the Apicurio distribution"
  rm -rf "$APICURIO_HOME"
  mv "$(dirname "$run")" "$APICURIO_HOME"
  rm -rf "$APICURIO_HOME.tmp"
  basename "$run" >"$APICURIO_HOME/.complete"
}

# --- Kafka ---------------------------------------------------------------------------------------

kafka_java() {
  java -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$TOOLS_LOG4J" \
    -cp "$KAFKA_LIBS/*" "$@"
}

write_kafka_config() {
  mkdir -p "$KAFKA_HOME" "$LOG_DIR/kafka"
  cat >"$KAFKA_CONF" <<EOF
# generated by deploy/local/stack.sh -- edits are overwritten on every 'up'
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_LOG_DIRS
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=104857600
EOF
  cat >"$KAFKA_LOG4J" <<'EOF'
# generated by deploy/local/stack.sh -- broker logging goes to a rotated file, not the console
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=10MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.kafka.cluster=WARN
log4j.logger.kafka.log=WARN
log4j.logger.org.apache.kafka.storage.internals=WARN
log4j.logger.org.apache.kafka.common.config=WARN
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.kafka.server.KafkaConfig=WARN
log4j.logger.kafka.coordinator=WARN
log4j.logger.org.apache.kafka.coordinator=WARN
log4j.logger.org.apache.kafka.controller.ReplicationControlManager=WARN
log4j.logger.kafka.server.ClientQuotaManager=WARN
log4j.logger.kafka.server.DelayedOperationPurgatory=WARN
EOF
  cat >"$TOOLS_LOG4J" <<'EOF'
# generated by deploy/local/stack.sh -- CLI tools: warnings only, on stderr
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  cat >"$ADMIN_CONF" <<'EOF'
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

format_kafka_storage() {
  [[ -f "$KAFKA_LOG_DIRS/meta.properties" ]] && return 0
  mkdir -p "$KAFKA_DATA"
  if [[ ! -s "$KAFKA_CLUSTER_ID_FILE" ]]; then
    kafka_java kafka.tools.StorageTool random-uuid | tail -n1 | tr -d '[:space:]' >"$KAFKA_CLUSTER_ID_FILE"
  fi
  local cid
  cid="$(cat "$KAFKA_CLUSTER_ID_FILE")"
  [[ -n "$cid" ]] || die "could not generate a Kafka cluster id"
  log "kafka: formatting storage in $KAFKA_LOG_DIRS (cluster id $cid)"
  kafka_java kafka.tools.StorageTool format --ignore-formatted -t "$cid" -c "$KAFKA_CONF" >/dev/null
}

# a real metadata round trip: list topics through the Admin API
kafka_healthy() {
  port_open "$KAFKA_PORT" || return 1
  timeout 30 java -Xmx128m -XX:TieredStopAtLevel=1 -Xshare:auto -Dlog4j.configuration="file:$TOOLS_LOG4J" \
    -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONF" --list >/dev/null 2>&1
}

kafka_fail() {
  log "kafka: $1"
  for f in "$KAFKA_SERVER_LOG" "$KAFKA_OUT"; do
    [[ -f "$f" ]] && { echo "----- tail $f" >&2; tail -n 40 "$f" >&2; }
  done
  exit 1
}

kafka_up() {
  ensure_kafka_libs
  write_kafka_config
  local pid
  if pid="$(live_pid "$KAFKA_PID")"; then
    if kafka_healthy; then log "kafka: already running (pid $pid)"; return 0; fi
    log "kafka: process $pid exists, waiting for it to become healthy"
  else
    rm -f "$KAFKA_PID"
    if port_open "$KAFKA_PORT"; then
      if kafka_healthy; then
        log "kafka: $BOOTSTRAP is already served by a Kafka not started by this script; leaving it"
        return 0
      fi
      die "kafka: port $KAFKA_PORT is in use by something else (set KAFKA_PORT)"
    fi
    port_open "$KAFKA_CONTROLLER_PORT" && die "kafka: controller port $KAFKA_CONTROLLER_PORT is in use (set KAFKA_CONTROLLER_PORT)"
    format_kafka_storage
    log "kafka: starting $KAFKA_VERSION on $BOOTSTRAP (logs: $KAFKA_SERVER_LOG)"
    # shellcheck disable=SC2086
    start_bg "$KAFKA_PID" "$KAFKA_OUT" "$KAFKA_HOME" \
      java $KAFKA_HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
      -Dkafka.logs.dir="$LOG_DIR/kafka" -Dlog4j.configuration="file:$KAFKA_LOG4J" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONF"
  fi
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    live_pid "$KAFKA_PID" >/dev/null || kafka_fail "process exited during startup"
    if port_open "$KAFKA_PORT" && kafka_healthy; then
      log "kafka: healthy"
      return 0
    fi
    sleep 1
  done
  kafka_fail "not healthy after ${KAFKA_START_TIMEOUT}s"
}

# --- Apicurio Registry ---------------------------------------------------------------------------

registry_healthy() {
  local code
  code="$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$CCOMPAT_URL/subjects" 2>/dev/null || true)"
  [[ "$code" == 200 ]]
}

registry_fail() {
  log "registry: $1"
  [[ -f "$REGISTRY_LOG" ]] && { echo "----- tail $REGISTRY_LOG" >&2; tail -n 40 "$REGISTRY_LOG" >&2; }
  exit 1
}

registry_up() {
  need curl
  ensure_apicurio
  local pid
  if pid="$(live_pid "$REGISTRY_PID")"; then
    if registry_healthy; then log "registry: already running (pid $pid)"; return 0; fi
    log "registry: process $pid exists, waiting for it to become healthy"
  else
    rm -f "$REGISTRY_PID"
    if port_open "$REGISTRY_PORT"; then
      if registry_healthy; then
        log "registry: $REGISTRY_URL is already served by a registry not started by this script; leaving it"
        return 0
      fi
      die "registry: port $REGISTRY_PORT is in use by something else (set REGISTRY_PORT)"
    fi
    port_open "$REGISTRY_MANAGEMENT_PORT" && die "registry: management port $REGISTRY_MANAGEMENT_PORT is in use (set REGISTRY_MANAGEMENT_PORT)"
    log "registry: starting Apicurio Registry $APICURIO_VERSION (Java $(java_major "$REGISTRY_JAVA")) on $REGISTRY_URL (log: $REGISTRY_LOG)"
    # In-memory storage = SQL storage on an in-memory H2 database (3.x: apicurio.storage.*).
    # shellcheck disable=SC2086
    start_bg "$REGISTRY_PID" "$REGISTRY_LOG" "$REGISTRY_WORK" \
      "$REGISTRY_JAVA" $REGISTRY_HEAP_OPTS -XX:+UseSerialGC -Djava.awt.headless=true \
      -Dstack.dir="$STACK_DIR" \
      -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
      -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$REGISTRY_MANAGEMENT_PORT" \
      -Dquarkus.http.access-log.enabled=false \
      -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
      -Dapicurio.datasource.url="jdbc:h2:mem:registry" \
      -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2 \
      -Dapicurio.datasource.jdbc.max-size=20 \
      -Dapicurio.storage.snapshot.location="$REGISTRY_WORK" \
      -Dapicurio.ccompat.use-canonical-hash=true \
      -jar "$APICURIO_HOME/$(cat "$APICURIO_HOME/.complete")"
  fi
  local deadline=$((SECONDS + REGISTRY_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    live_pid "$REGISTRY_PID" >/dev/null || registry_fail "process exited during startup"
    if registry_healthy; then
      log "registry: healthy"
      return 0
    fi
    sleep 1
  done
  registry_fail "not healthy after ${REGISTRY_START_TIMEOUT}s"
}

# --- Postgres (not managed, only checked) --------------------------------------------------------

postgres_state() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -t 3 -d "$DATABASE_URL" >/dev/null 2>&1 && echo up || echo down
  elif command -v psql >/dev/null 2>&1; then
    psql "$DATABASE_URL" -qtAc 'select 1' >/dev/null 2>&1 && echo up || echo down
  else
    echo "unknown (neither pg_isready nor psql installed)"
  fi
}

# --- commands ------------------------------------------------------------------------------------

print_endpoints() {
  cat <<EOF

  Kafka bootstrap     $BOOTSTRAP          (KRaft controller 127.0.0.1:$KAFKA_CONTROLLER_PORT)
  Schema registry     $REGISTRY_URL
  ccompat (Confluent) $CCOMPAT_URL
  Postgres            $DATABASE_URL   [$(postgres_state)]  (not managed by this script)
  Logs                $LOG_DIR

EOF
}

cmd_up() {
  need java
  lock_stack
  local t0=$SECONDS
  kafka_up
  registry_up
  log "stack is up ($((SECONDS - t0))s)"
  print_endpoints
}

cmd_down() {
  local clean=0
  for a in "$@"; do
    case "$a" in
      --clean) clean=1 ;;
      *) die "unknown option for down: $a" ;;
    esac
  done
  lock_stack
  stop_pidfile registry "$REGISTRY_PID"
  stop_pidfile kafka "$KAFKA_PID"
  if ((clean)); then
    log "removing Kafka data dir $KAFKA_DATA"
    rm -rf "$KAFKA_DATA"
  fi
}

cmd_status() {
  local rc=0 pid k r p
  if [[ -f "$KAFKA_LIBS/.complete" ]] && kafka_healthy; then
    pid="$(live_pid "$KAFKA_PID" || echo "not started by stack.sh")"
    k="up    $BOOTSTRAP (pid $pid)"
  else
    k="down  $BOOTSTRAP"
    rc=1
  fi
  if registry_healthy; then
    pid="$(live_pid "$REGISTRY_PID" || echo "not started by stack.sh")"
    r="up    $REGISTRY_URL  ccompat: $CCOMPAT_URL (pid $pid)"
  else
    r="down  $REGISTRY_URL"
    rc=1
  fi
  p="$(postgres_state)"
  case "$p" in
    up) p="up    $DATABASE_URL" ;;
    down) p="down  $DATABASE_URL"; rc=1 ;;
    *) p="$p  $DATABASE_URL" ;;
  esac
  printf '%-9s %s\n' kafka: "$k" registry: "$r" postgres: "$p"
  return "$rc"
}

cmd_kafka_class() {
  [[ $# -ge 1 ]] || die "usage: stack.sh kafka-class MAIN_CLASS [ARGS...]"
  need java
  ensure_kafka_libs
  [[ -f "$TOOLS_LOG4J" ]] || write_kafka_config
  kafka_java "$@"
}

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    kafka-class) cmd_kafka_class "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
