#!/usr/bin/env bash
# A local single-node KRaft Kafka broker (broker + controller in one JVM) on
# 127.0.0.1, for the demo, the tests and CI. Jars come from scripts/setup.sh.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

STATE_DIR="${MASKPROXY_KAFKA_DIR:-${TMPDIR:-/tmp}/maskproxy-kafka}"
START_TIMEOUT="${MASKPROXY_KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${MASKPROXY_KAFKA_STOP_TIMEOUT:-30}"

PID_FILE="$STATE_DIR/broker.pid"
LOG_FILE="$STATE_DIR/broker.log"
BOOTSTRAP_FILE="$STATE_DIR/bootstrap"
PROPS_FILE="$STATE_DIR/server.properties"
VERSION_FILE="$STATE_DIR/kafka.version"
MARKER_FILE="$STATE_DIR/.maskproxy-kafka"
DATA_DIR="$STATE_DIR/data"
# Secured mode (start --secure CERTDIR): the cert dir, the SSL and SASL_SSL
# addresses and the SCRAM user's password live in the state dir.
SECURE_FILE="$STATE_DIR/secure.certdir"
SSL_BOOTSTRAP_FILE="$STATE_DIR/bootstrap.ssl"
SASL_BOOTSTRAP_FILE="$STATE_DIR/bootstrap.sasl_ssl"
SCRAM_USER=proxy
SCRAM_PASSWORD_FILE="$STATE_DIR/scram-$SCRAM_USER.password"
CERT_DIR=""
SSL_PORT="" SASL_PORT=""

usage() {
    cat <<EOF
Usage: scripts/kafka.sh COMMAND [ARGS]

Runs a local single-node KRaft Kafka $KAFKA_VERSION broker on 127.0.0.1.

Commands:
  start [--port N] [--timeout S] [--secure CERTDIR]
              format storage (first time) and start the broker in the
              background; by default on a free port. Waits until it answers
              (default ${START_TIMEOUT}s), then prints 127.0.0.1:PORT on stdout.
              If it is already running, just prints its address.
              --secure (first start of a state dir only): also an SSL listener
              that requires a client certificate and a SASL_SSL listener with
              SCRAM-SHA-512 (user '$SCRAM_USER', a random password written to
              STATE_DIR/scram-$SCRAM_USER.password), with the certificates of
              certs/make-dev-certs.sh CERTDIR (made there if missing). The
              plaintext listener stays (for test tools).
  stop        clean shutdown (SIGTERM, SIGKILL after ${STOP_TIMEOUT}s); keeps data and log
  kill        SIGKILL the broker (a hard crash); keeps data and log
  restart [--hard]
              stop (--hard: kill) and start again, same port, same data
  status      exit 0 and print the address if running and answering, else exit 1
  bootstrap [--ssl|--sasl-ssl]
              print the broker address (127.0.0.1:PORT), or that of the
              secured mode's SSL or SASL_SSL listener
  create-topic NAME [--partitions N] [--config k=v]...
              create a topic (replication 1) if it does not exist yet
  delete-topic NAME
              delete a topic if it exists and wait until it is gone
  tool MAIN_CLASS [ARGS]
              run a Kafka tool class from the cached jars, e.g.
              kafka.admin.ConfigCommand (quotas, configs) or
              org.apache.kafka.tools.consumer.group.ConsumerGroupCommand
  logs        print the path of the broker log
  clean       stop the broker and delete the state dir
  -h, --help  show this text

Environment:
  MASKPROXY_KAFKA_DIR   state dir (default \${TMPDIR:-/tmp}/maskproxy-kafka),
                        now: $STATE_DIR
  KAFKA_VERSION         broker version (default $MASKPROXY_DEFAULT_KAFKA_VERSION)
  MASKPROXY_CACHE       jar cache root (default \$HOME/.cache/maskproxy)
  KAFKA_HEAP_OPTS       broker heap (default: -Xmx1g -Xms256m)
  KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_OPTS
                        extra JVM options for the broker
  MASKPROXY_KAFKA_START_TIMEOUT, MASKPROXY_KAFKA_STOP_TIMEOUT
                        seconds (defaults ${START_TIMEOUT} and ${STOP_TIMEOUT})

Only the address goes to stdout; progress and errors go to stderr.
EOF
}

say() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

need_tools() {
    local tool
    for tool in java kcat python3; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool not found; run scripts/setup.sh"
    done
    kafka_installed || die "Kafka $KAFKA_VERSION jars not found in $MASKPROXY_KAFKA_HOME; run scripts/setup.sh"
}

# Takes an exclusive lock on the state dir for the rest of this script, so
# concurrent start/stop calls do not race. The broker never inherits it.
lock_state() {
    mkdir -p "$STATE_DIR"
    exec 9<"$STATE_DIR"
    flock 9
}

# ------------------------------------------------------------ process info --

# Prints the broker pid if the pid file names a live broker of this state dir.
broker_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    # Guard against pid reuse: it must be kafka.Kafka with our properties.
    local cmdline
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmdline" == *kafka.Kafka*"$PROPS_FILE"* ]] || return 1
    printf '%s\n' "$pid"
}

is_running() { broker_pid >/dev/null; }

stored_bootstrap() {
    [[ -f "$BOOTSTRAP_FILE" ]] || return 1
    cat "$BOOTSTRAP_FILE"
}

# True when the broker at $1 answers a metadata request and lists a broker.
answers() {
    local addr="$1" out
    out="$(timeout 15 kcat -b "$addr" -L -m 3 2>/dev/null)" || return 1
    grep -qE '^[[:space:]]*broker [0-9]+ at ' <<<"$out"
}

prop() {
    sed -n "s/^$1=//p" "$PROPS_FILE" | tail -n 1
}

# ------------------------------------------------------------------- ports --

# Prints N distinct free TCP ports on 127.0.0.1.
free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
    s.close()
EOF
}

port_is_free() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

# ------------------------------------------------------------------ config --

write_properties() {
    local port="$1" cport="$2" secure_listeners="" secure_advertised="" secure_map=""
    if [[ -n "$CERT_DIR" ]]; then
        secure_listeners=",SSL://127.0.0.1:$SSL_PORT,SASL_SSL://127.0.0.1:$SASL_PORT"
        secure_advertised="$secure_listeners"
        secure_map=",SSL:SSL,SASL_SSL:SASL_SSL"
    fi
    {
        cat <<EOF
# Written by maskproxy scripts/kafka.sh: single-node KRaft broker for tests.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport$secure_listeners
advertised.listeners=PLAINTEXT://127.0.0.1:$port$secure_advertised
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT$secure_map
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.bootstrap.servers=127.0.0.1:$cport
log.dirs=$DATA_DIR
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
group.initial.rebalance.delay.ms=0
# After a hard kill the restarted node must wait for its old registration's
# session to expire (DUPLICATE_BROKER_REGISTRATION until then): keep it short.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
log.cleaner.dedupe.buffer.size=16777216
EOF
        if (( $(kafka_major) >= 4 )); then
            cat <<EOF
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF
        fi
        if [[ -n "$CERT_DIR" ]]; then
            cat <<EOF
# Secured mode (kafka.sh start --secure): PEM key and trust stores.
ssl.keystore.type=PEM
ssl.keystore.location=$CERT_DIR/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$CERT_DIR/ca.pem
ssl.endpoint.identification.algorithm=https
listener.name.ssl.ssl.client.auth=required
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
        fi
    } >"$PROPS_FILE"
}

# Prints a random Kafka cluster id: 16 random bytes, URL-safe base64 without
# padding (22 chars), not starting with '-' (as Kafka's Uuid.randomUuid).
random_cluster_id() {
    local id
    while :; do
        id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
        [[ "$id" != -* && "$id" != AAAAAAAAAAAAAAAAAAAAA[AQ] ]] && break
    done
    printf '%s\n' "$id"
}

java_tool() {
    local main="$1"
    shift
    local log_opt
    log_opt="$(kafka_logging_opts tools)"
    java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
        "$log_opt" -cp "$MASKPROXY_KAFKA_LIBS/*" "$main" "$@"
}

format_storage() {
    local cid
    cid="$(random_cluster_id)"
    say "formatting storage in $DATA_DIR (cluster id $cid)"
    local out
    local scram=()
    if [[ -n "$CERT_DIR" ]]; then
        # The SCRAM user exists from the first start (KRaft: in the metadata log).
        scram=(--add-scram "SCRAM-SHA-512=[name=$SCRAM_USER,password=$(cat "$SCRAM_PASSWORD_FILE")]")
    fi
    if ! out="$(java_tool kafka.tools.StorageTool format --standalone \
        -t "$cid" -c "$PROPS_FILE" "${scram[@]}" 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "formatting storage failed"
    fi
}

# -------------------------------------------------------------- lifecycle --

launch_broker() {
    local heap_opts=() perf_opts=() extra_opts=() log_opt
    read -r -a heap_opts <<<"${KAFKA_HEAP_OPTS:--Xmx1g -Xms256m}"
    read -r -a perf_opts <<<"${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}"
    read -r -a extra_opts <<<"${KAFKA_OPTS:-}"
    log_opt="$(kafka_logging_opts broker)"

    rm -f "$PID_FILE"
    printf '=== kafka.sh: starting Kafka %s at %s ===\n' "$KAFKA_VERSION" "$(date -Is)" >>"$LOG_FILE"
    # setsid: own session, so the caller's Ctrl-C / process group does not
    # reach it. The inner shell writes its own pid, closes every inherited fd
    # above 2 (the state-dir lock, and any pipe of a caller such as a test
    # harness, which would otherwise wait for the broker to exit), then execs
    # java under the same pid.
    # shellcheck disable=SC2016  # $$, $1 and $fd are for the inner shell
    nohup setsid bash -c '
        echo $$ >"$1"; shift
        for fd in /proc/$$/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
        done
        exec "$@"' _ "$PID_FILE" \
        java "${heap_opts[@]}" "${perf_opts[@]}" "${extra_opts[@]}" \
        "$log_opt" "-Dkafka.logs.dir=$STATE_DIR" \
        -cp "$MASKPROXY_KAFKA_LIBS/*" kafka.Kafka "$PROPS_FILE" \
        >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
    local i
    for (( i = 0; i < 50; i++ )); do
        [[ -s "$PID_FILE" ]] && return 0
        sleep 0.1
    done
    die "broker process did not start (see $LOG_FILE)"
}

# The last lines of the broker log, without the multi-line config dumps.
log_tail() {
    printf -- '--- last lines of %s ---\n' "$LOG_FILE" >&2
    grep -v $'^\t' "$LOG_FILE" | tail -n 30 >&2 || true
    printf -- '---\n' >&2
}

wait_ready() {
    local addr="$1" timeout="$2" start=$SECONDS
    while :; do
        if ! is_running; then
            log_tail
            die "broker exited during startup (log: $LOG_FILE)"
        fi
        if answers "$addr"; then
            say "broker $addr ready after $(( SECONDS - start ))s"
            return 0
        fi
        if (( SECONDS - start >= timeout )); then
            log_tail
            say "broker $addr not ready after ${timeout}s; stopping it"
            terminate TERM
            die "broker $addr not ready after ${timeout}s (log: $LOG_FILE)"
        fi
        sleep 0.5
    done
}

cmd_start() {
    local port="" timeout="$START_TIMEOUT" secure=""
    while (( $# > 0 )); do
        case "$1" in
            --port) [[ $# -ge 2 ]] || die "--port needs a value"; port="$2"; shift ;;
            --port=*) port="${1#--port=}" ;;
            --timeout) [[ $# -ge 2 ]] || die "--timeout needs a value"; timeout="$2"; shift ;;
            --timeout=*) timeout="${1#--timeout=}" ;;
            --secure) [[ $# -ge 2 ]] || die "--secure needs a certificate dir"; secure="$2"; shift ;;
            --secure=*) secure="${1#--secure=}" ;;
            *) die "start: unknown argument: $1" ;;
        esac
        shift
    done
    [[ -z "$port" || "$port" =~ ^[0-9]+$ ]] || die "--port must be a number"
    [[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds"
    need_tools
    lock_state

    if [[ -n "$secure" && -f "$PROPS_FILE" && ! -f "$SECURE_FILE" ]]; then
        die "$STATE_DIR holds a broker without --secure; use another MASKPROXY_KAFKA_DIR or 'scripts/kafka.sh clean' first"
    fi
    load_secure
    if is_running; then
        local addr
        addr="$(stored_bootstrap)" || die "broker running (pid $(broker_pid)) but $BOOTSTRAP_FILE is missing"
        if [[ -n "$port" && "$addr" != "127.0.0.1:$port" ]]; then
            die "broker already running on $addr, not on port $port (stop it first)"
        fi
        say "broker already running (pid $(broker_pid))"
        wait_ready "$addr" "$timeout"
        printf '%s\n' "$addr"
        return 0
    fi

    if [[ -f "$VERSION_FILE" && "$(cat "$VERSION_FILE")" != "$KAFKA_VERSION" ]]; then
        die "state dir $STATE_DIR holds Kafka $(cat "$VERSION_FILE") data, not $KAFKA_VERSION; run 'scripts/kafka.sh clean' first"
    fi

    if [[ ! -f "$MARKER_FILE" ]] && [[ -n "$(ls -A "$STATE_DIR")" ]]; then
        die "$STATE_DIR is not empty and not a kafka.sh state dir; set MASKPROXY_KAFKA_DIR elsewhere"
    fi
    touch "$MARKER_FILE"

    if [[ -f "$PROPS_FILE" && -f "$DATA_DIR/meta.properties" ]]; then
        # Existing data: same controller port; broker port as before unless
        # --port asks for another one.
        local old_port cport
        old_port="$(prop listeners | sed -n 's/.*PLAINTEXT:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p')"
        cport="$(prop controller.quorum.bootstrap.servers | sed 's/.*://')"
        [[ -n "$old_port" && -n "$cport" ]] || die "cannot read ports from $PROPS_FILE; run 'scripts/kafka.sh clean'"
        if [[ -n "$port" && "$port" != "$old_port" ]]; then
            say "moving broker listener from port $old_port to $port"
            write_properties "$port" "$cport"
        else
            port="$old_port"
        fi
        port_is_free "$port" || die "port $port on 127.0.0.1 is in use by another process"
        port_is_free "$cport" || die "controller port $cport on 127.0.0.1 is in use by another process; run 'scripts/kafka.sh clean' to start afresh"
        say "starting Kafka $KAFKA_VERSION on 127.0.0.1:$port with existing data in $DATA_DIR"
    else
        local ports=() cport
        if [[ -n "$port" ]]; then
            port_is_free "$port" || die "port $port on 127.0.0.1 is in use"
            mapfile -t ports < <(free_ports 2)
            cport="${ports[0]}"
            [[ "$cport" != "$port" ]] || cport="${ports[1]}"
        else
            mapfile -t ports < <(free_ports 2)
            port="${ports[0]}"
            cport="${ports[1]}"
        fi
        rm -rf "$DATA_DIR"
        if [[ -n "$secure" ]]; then
            setup_secure "$secure"
        fi
        write_properties "$port" "$cport"
        format_storage
        printf '%s\n' "$KAFKA_VERSION" >"$VERSION_FILE"
        say "starting Kafka $KAFKA_VERSION on 127.0.0.1:$port (controller port $cport)"
    fi

    local addr="127.0.0.1:$port"
    printf '%s\n' "$addr" >"$BOOTSTRAP_FILE"
    launch_broker
    wait_ready "$addr" "$timeout"
    if [[ -n "$CERT_DIR" ]]; then
        say "secured listeners: SSL (client certificate required) $(cat "$SSL_BOOTSTRAP_FILE"), SASL_SSL (SCRAM-SHA-512, user $SCRAM_USER, password in $SCRAM_PASSWORD_FILE) $(cat "$SASL_BOOTSTRAP_FILE"); CA and certificates in $CERT_DIR"
    fi
    printf '%s\n' "$addr"
}

# Secured mode, first start: certificates (made if missing), two more ports
# (other than $port and $cport of the caller), the SCRAM password.
setup_secure() {
    local dir="$1" ports=() p
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [[ ! -f "$dir/broker-keystore.pem" || ! -f "$dir/ca.pem" ]]; then
        "$SCRIPT_DIR/../certs/make-dev-certs.sh" "$dir" || die "could not make certificates in $dir"
    fi
    mapfile -t ports < <(free_ports 4)
    for p in "${ports[@]}"; do
        [[ "$p" != "$port" && "$p" != "$cport" ]] || continue
        if [[ -z "$SSL_PORT" ]]; then SSL_PORT="$p"; elif [[ -z "$SASL_PORT" ]]; then SASL_PORT="$p"; fi
    done
    [[ -n "$SSL_PORT" && -n "$SASL_PORT" ]] || die "no free ports for the secured listeners"
    CERT_DIR="$dir"
    printf '%s\n' "$CERT_DIR" >"$SECURE_FILE"
    printf '127.0.0.1:%s\n' "$SSL_PORT" >"$SSL_BOOTSTRAP_FILE"
    printf '127.0.0.1:%s\n' "$SASL_PORT" >"$SASL_BOOTSTRAP_FILE"
    (umask 077; head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$SCRAM_PASSWORD_FILE")
}

# Secured mode of an existing state dir: CERT_DIR and the ports.
load_secure() {
    [[ -f "$SECURE_FILE" ]] || return 0
    CERT_DIR="$(cat "$SECURE_FILE")"
    SSL_PORT="$(sed 's/.*://' "$SSL_BOOTSTRAP_FILE")"
    SASL_PORT="$(sed 's/.*://' "$SASL_BOOTSTRAP_FILE")"
}

# Sends $1 (TERM or KILL) to the broker and waits for it to exit.
terminate() {
    local sig="$1" pid
    if ! pid="$(broker_pid)"; then
        say "broker not running"
        rm -f "$PID_FILE"
        return 0
    fi
    local start=$SECONDS
    if [[ "$sig" == TERM ]]; then
        say "stopping broker (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do
            if (( SECONDS - start >= STOP_TIMEOUT )); then
                say "broker still running after ${STOP_TIMEOUT}s; sending SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.2
        done
    else
        say "killing broker (pid $pid) with SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$PID_FILE"
    say "broker stopped after $(( SECONDS - start ))s"
}

cmd_stop() {
    (( $# == 0 )) || die "stop takes no arguments"
    [[ -d "$STATE_DIR" ]] || { say "broker not running (no $STATE_DIR)"; return 0; }
    lock_state
    terminate TERM
}

cmd_kill() {
    (( $# == 0 )) || die "kill takes no arguments"
    [[ -d "$STATE_DIR" ]] || { say "broker not running (no $STATE_DIR)"; return 0; }
    lock_state
    terminate KILL
}

cmd_restart() {
    local sig=TERM
    while (( $# > 0 )); do
        case "$1" in
            --hard) sig=KILL ;;
            *) die "restart: unknown argument: $1" ;;
        esac
        shift
    done
    [[ -f "$PROPS_FILE" ]] || die "no broker to restart in $STATE_DIR; use 'start'"
    need_tools
    lock_state
    terminate "$sig"
    # Release the lock; cmd_start takes it again.
    exec 9<&-
    cmd_start
}

cmd_status() {
    (( $# == 0 )) || die "status takes no arguments"
    local addr
    if is_running && addr="$(stored_bootstrap)" && answers "$addr"; then
        printf '%s\n' "$addr"
        return 0
    fi
    if is_running; then
        say "broker process running (pid $(broker_pid)) but not answering"
    else
        say "broker not running"
    fi
    return 1
}

cmd_bootstrap() {
    (( $# <= 1 )) || die "usage: bootstrap [--ssl|--sasl-ssl]"
    case "${1:-}" in
        "") stored_bootstrap || die "no broker address yet; run 'scripts/kafka.sh start'" ;;
        --ssl) cat "$SSL_BOOTSTRAP_FILE" 2>/dev/null || die "no SSL listener; start the broker with --secure" ;;
        --sasl-ssl) cat "$SASL_BOOTSTRAP_FILE" 2>/dev/null || die "no SASL_SSL listener; start the broker with --secure" ;;
        *) die "usage: bootstrap [--ssl|--sasl-ssl]" ;;
    esac
}

cmd_create_topic() {
    local name="" partitions=1 configs=()
    while (( $# > 0 )); do
        case "$1" in
            --partitions) [[ $# -ge 2 ]] || die "--partitions needs a value"; partitions="$2"; shift ;;
            --partitions=*) partitions="${1#--partitions=}" ;;
            --config) [[ $# -ge 2 ]] || die "--config needs k=v"; configs+=(--config "$2"); shift ;;
            --config=*) configs+=(--config "${1#--config=}") ;;
            -*) die "create-topic: unknown option: $1" ;;
            *) [[ -z "$name" ]] || die "create-topic: only one topic name"; name="$1" ;;
        esac
        shift
    done
    [[ -n "$name" ]] || die "usage: create-topic NAME [--partitions N] [--config k=v]..."
    [[ "$partitions" =~ ^[1-9][0-9]*$ ]] || die "--partitions must be a positive number"
    need_tools
    local addr
    addr="$(cmd_status)" || die "broker not running; run 'scripts/kafka.sh start'"
    # An existing topic is left as it is (--if-not-exists): say so when it
    # differs from what was asked, rather than let a test or a demo run on
    # other settings unknowingly.
    local meta existing
    meta="$(kcat -b "$addr" -L -t "$name" 2>/dev/null || true)"
    existing="$(sed -n "s/^ *topic \"$name\" with \([0-9][0-9]*\) partitions.*/\1/p" <<<"$meta")"
    if [[ -n "$existing" && "$existing" != 0 ]]; then
        if [[ "$existing" != "$partitions" ]]; then
            say "topic $name already exists with $existing partition(s), not $partitions: left as it is (delete-topic it first to recreate)"
        elif (( ${#configs[@]} > 0 )); then
            say "topic $name already exists: left as it is, its configs unchanged (delete-topic it first to recreate)"
        fi
        return 0
    fi
    java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$addr" \
        --create --if-not-exists --topic "$name" \
        --partitions "$partitions" --replication-factor 1 "${configs[@]}" >&2
}

cmd_delete_topic() {
    (( $# == 1 )) || die "usage: delete-topic NAME"
    local name="$1" addr i
    need_tools
    addr="$(cmd_status)" || die "broker not running; run 'scripts/kafka.sh start'"
    java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$addr" \
        --delete --if-exists --topic "$name" >&2
    # Deletion is asynchronous: wait until the topic is gone from metadata.
    for ((i = 0; i < 60; i++)); do
        kcat -b "$addr" -L -t "$name" 2>/dev/null | grep -q "topic \"$name\" with [1-9]" || return 0
        sleep 0.5
    done
    die "topic $name still present 30s after deletion"
}

cmd_tool() {
    (( $# >= 1 )) || die "usage: tool MAIN_CLASS [ARGS]   e.g. tool kafka.admin.ConfigCommand --help"
    need_tools
    java_tool "$@"
}

cmd_logs() {
    (( $# == 0 )) || die "logs takes no arguments"
    printf '%s\n' "$LOG_FILE"
}

cmd_clean() {
    (( $# == 0 )) || die "clean takes no arguments"
    [[ -d "$STATE_DIR" ]] || { say "nothing to clean ($STATE_DIR does not exist)"; return 0; }
    if [[ ! -f "$MARKER_FILE" ]] && [[ -n "$(ls -A "$STATE_DIR")" ]]; then
        die "$STATE_DIR is not a kafka.sh state dir; not deleting it"
    fi
    lock_state
    terminate TERM
    rm -rf "$STATE_DIR"
    say "removed $STATE_DIR"
}

main() {
    (( $# > 0 )) || { usage >&2; exit 2; }
    local cmd="$1"
    shift
    case "$cmd" in
        -h|--help|help) usage ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        kill) cmd_kill "$@" ;;
        restart) cmd_restart "$@" ;;
        status) cmd_status "$@" ;;
        bootstrap) cmd_bootstrap "$@" ;;
        create-topic) cmd_create_topic "$@" ;;
        delete-topic) cmd_delete_topic "$@" ;;
        tool) cmd_tool "$@" ;;
        logs) cmd_logs "$@" ;;
        clean) cmd_clean "$@" ;;
        *) usage >&2; die "unknown command: $cmd" ;;
    esac
}

main "$@"
