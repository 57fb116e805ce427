# shellcheck shell=bash
# The one shell library of the broker tests (tests/integration/*_test.sh,
# tests/faults/*_test.sh): one vocabulary for the set-up every such test
# needs. Source it; do not run it. A test:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
#   bt_init NAME "$1"               # binary, work dir, unique id, broker address
#   topics_create [--src-partitions N] [--dst-partitions N] [--no-dest]
#   policy_retarget [POLICY] [FROM]  # a shipped policy pointed at $SRC/$DST/$DLQ
#   keys_generate NAME...           # $WORK/keys.yaml (maskproxy keys generate)
#   config_write [options]          # $WORK/config.yaml (see config_write)
#   events_generate N POISON        # tests/integration/gen_events.py
#   produce_start RATE | produce_file FILE [kcat args]
#   proxy_start a                   # instances with per-instance logs
#   ...faults...
#   wait_output TOTAL | wait_drained  # dest + dlq hold every record, with a deadline
#   proxy_term a                    # SIGTERM: must exit 0 and log a clean stop
#   dump_topic TOPIC FILE           # kcat -J, read_committed (the independent consumer)
#   run_verify                      # tests/verify/verify.py: lost=0 duplicated=0 leaked=0 ...
#
# Globals set: TEST_NAME BIN WORK ID BOOTSTRAP SRC DST DLQ ROOT KAFKA.
# The broker is the one of $MASKPROXY_KAFKA_DIR (scripts/kafka.sh start is
# idempotent: it starts one if none is running). Knobs (environment):
#   SEED                 random seed for fault timing (default: random, printed)
#   KEEP_WORK=1          keep the work dir (always kept on failure)
#   SESSION_TIMEOUT_MS   consumer session.timeout.ms (config_write --fault-timeouts; default 6000)
#   TXN_TIMEOUT_MS       delivery.transaction_timeout_ms (default: proxy default)
#   DRAIN_TIMEOUT        seconds to wait for the output to be complete (default 300)
#   DELIVERY_MODE        exactly_once (default) or at_least_once (no transactional
#                        id; duplicates are then expected after crashes, and the
#                        verifier reports them: a control that the tests can fail)

BT_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BT_LIB_DIR/../.." && pwd)"
FAULTS_DIR="$ROOT/tests/faults"
KAFKA="$ROOT/scripts/kafka.sh"
VERIFY="$ROOT/tests/verify/verify.py"
GEN_EVENTS="$ROOT/tests/integration/gen_events.py"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"

T0=$SECONDS
TEST_NAME=""
BIN=""
WORK=""
ID=""
BOOTSTRAP=""
SRC="" DST="" DLQ=""
SRC_PARTITIONS=3 DST_PARTITIONS=3
N_EVENTS=0 N_POISON=0 TOTAL=0   # set by events_generate
PRODUCER_PID=""
declare -A PROXY_PID=()   # instance name -> pid of the running process
declare -A PROXY_TXID=()  # instance name -> transactional id
declare -A PROXY_STARTS=() # instance name -> how many times started
PDEATH=()                 # command prefix: kill the proxy when the test shell dies
PROXY_ENV=()              # NAME=VALUE settings for the next proxy_start (e.g. LD_PRELOAD=...)
PROXY_RC=""               # exit status of the last proxy_wait_exit / proxy_term
UNEXPECTED_EXITS=()       # "name:rc" of proxies that exited on their own (see wait_drained)

log() { printf '[%s %s +%ds] %s\n' "$(date +%T)" "$TEST_NAME" $((SECONDS - T0)) "$*" >&2; }

# Prints the last lines of every proxy log (for failures).
dump_logs() {
  local f
  for f in "$WORK"/proxy-*.log; do
    [[ -f "$f" ]] || continue
    printf -- '--- last lines of %s ---\n' "$f" >&2
    tail -n "${1:-25}" "$f" >&2
  done
}

fail() {
  log "FAIL: $*"
  dump_logs 30
  exit 1
}

_bt_cleanup() {
  local rc=$?
  local name
  for name in "${!PROXY_PID[@]}"; do
    kill -KILL "${PROXY_PID[$name]}" 2>/dev/null || true
  done
  if [[ -n "$PRODUCER_PID" ]] && kill -0 "$PRODUCER_PID" 2>/dev/null; then
    kill -TERM "$PRODUCER_PID" 2>/dev/null || true
    wait "$PRODUCER_PID" 2>/dev/null || true
  fi
  # A test that failed while the broker was down must not leave it down.
  if ! "$KAFKA" status >/dev/null 2>&1; then
    log "broker not answering at exit; starting it again"
    "$KAFKA" start >/dev/null 2>&1 || true
  fi
  if (( rc != 0 )) || [[ "${KEEP_WORK:-0}" == 1 ]]; then
    log "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  log "exit $rc after $((SECONDS - T0))s"
}

# bt_init NAME PATH/TO/maskproxy
bt_init() {
  TEST_NAME="$1"
  [[ -n "${2:-}" ]] || { echo "usage: $0 PATH/TO/maskproxy" >&2; exit 2; }
  BIN="$(realpath "$2")"
  [[ -x "$BIN" ]] || { echo "$0: $BIN is not executable" >&2; exit 2; }
  local tool
  for tool in kcat python3 java; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (run scripts/setup.sh)" >&2; exit 2; }
  done
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-$TEST_NAME.XXXXXX")"
  trap _bt_cleanup EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  # Proxies die with the test (SIGKILL when its shell goes away, e.g. on a
  # ctest timeout), so none is left running.
  PDEATH=()
  command -v setpriv >/dev/null && setpriv --pdeathsig KILL true 2>/dev/null && PDEATH=(setpriv --pdeathsig KILL)
  SEED="${SEED:-$(( $(date +%s%N) % 1000000 ))}"
  RANDOM=$SEED
  ID="$TEST_NAME-$(date +%s)-r$RANDOM"
  log "seed=$SEED id=$ID work=$WORK"
  BOOTSTRAP="$("$KAFKA" start)" || fail "could not start the broker"
  log "broker $BOOTSTRAP (state dir ${MASKPROXY_KAFKA_DIR:-default})"
}

# Random integer in [lo, hi].
rand_between() { echo $(( $1 + RANDOM % ($2 - $1 + 1) )); }

# topic_create TOPIC PARTITIONS [kafka.sh create-topic ARGS, e.g. --config k=v]
topic_create() {
  local topic="$1" partitions="$2"
  shift 2
  "$KAFKA" create-topic "$topic" --partitions "$partitions" "$@" >/dev/null 2>&1 || fail "could not create topic $topic"
}

# topics_create [--src-partitions N] [--dst-partitions N] [--no-dest]
topics_create() {
  local no_dest=0
  while (( $# > 0 )); do
    case "$1" in
      --src-partitions) SRC_PARTITIONS="$2"; shift ;;
      --dst-partitions) DST_PARTITIONS="$2"; shift ;;
      --no-dest) no_dest=1 ;;
      *) fail "topics_create: unknown argument $1" ;;
    esac
    shift
  done
  SRC="$ID.raw" DST="$ID.analytics" DLQ="$ID.quarantine"
  topic_create "$SRC" "$SRC_PARTITIONS"
  (( no_dest )) || topic_create "$DST" "$DST_PARTITIONS"
  topic_create "$DLQ" 1
  log "topics $SRC ($SRC_PARTITIONS partitions), $DST$( (( no_dest )) && echo ' (not created)'), $DLQ"
}

# policy_retarget [POLICY [FROM]]: $WORK/policy.yaml, a copy of POLICY
# (default policies/payments.yaml) with its route pointed at this run's topics:
# from: FROM (default $SRC), to: $DST, dead_letter: $DLQ.
policy_retarget() {
  local policy="${1:-$ROOT/policies/payments.yaml}" from="${2:-$SRC}"
  sed -E -e "s|^( *-? *from: ).*$|\1$from|" -e "s|^( *to: ).*$|\1$DST|" \
      -e "s|^( *dead_letter: ).*$|\1$DLQ|" "$policy" >"$WORK/policy.yaml"
  grep -qF "from: $from" "$WORK/policy.yaml" || fail "could not retarget the policy"
}

# keys_generate NAME...: a fresh keyring $WORK/keys.yaml with those keys.
keys_generate() {
  "$BIN" keys generate --out "$WORK/keys.yaml" "$@" 2>/dev/null || fail "keys generate failed"
}

# config_write [options]: a proxy config (default $WORK/config.yaml) for this
# run's broker, group $ID, policy.yaml and keys.yaml (relative to $WORK).
#   --out FILE            where to write it
#   --group ID            consumer group (default $ID)
#   --policy FILE         policy file (default policy.yaml)
#   --mode MODE           delivery mode (default $DELIVERY_MODE or exactly_once)
#   --txid ID             delivery.transactional_id (exactly_once; default $ID-default)
#   --commit-interval MS  delivery.commit_interval_ms (default 100; "" for the proxy's default)
#   --stats-interval MS   stats_interval_ms (default 2000)
#   --fault-timeouts      source session.timeout.ms $SESSION_TIMEOUT_MS (6000),
#                         heartbeat 1 s, $SOURCE_PROPERTIES_EXTRA (indented by 4),
#                         delivery.transaction_timeout_ms $TXN_TIMEOUT_MS if set
#   --extra YAML          more top-level YAML lines (repeatable)
config_write() {
  local out="$WORK/config.yaml" group="$ID" policy=policy.yaml mode="${DELIVERY_MODE:-exactly_once}"
  local txid="$ID-default" commit=100 stats=2000 fault=0 extra=""
  while (( $# > 0 )); do
    case "$1" in
      --out) out="$2"; shift ;;
      --group) group="$2"; shift ;;
      --policy) policy="$2"; shift ;;
      --mode) mode="$2"; shift ;;
      --txid) txid="$2"; shift ;;
      --commit-interval) commit="$2"; shift ;;
      --stats-interval) stats="$2"; shift ;;
      --fault-timeouts) fault=1 ;;
      --extra) extra+="$2"$'\n'; shift ;;
      *) fail "config_write: unknown argument $1" ;;
    esac
    shift
  done
  {
    printf 'source:\n  brokers: %s\n  group_id: %s\n' "$BOOTSTRAP" "$group"
    if (( fault )); then
      printf '  properties:\n    session.timeout.ms: "%s"\n    heartbeat.interval.ms: "1000"\n' \
        "${SESSION_TIMEOUT_MS:-6000}"
      [[ -z "${SOURCE_PROPERTIES_EXTRA:-}" ]] || printf '%s\n' "$SOURCE_PROPERTIES_EXTRA"
    fi
    printf 'policies: [%s]\nkeyring: keys.yaml\ndelivery:\n  mode: %s\n' "$policy" "$mode"
    [[ "$mode" != exactly_once ]] || printf '  transactional_id: %s\n' "$txid"
    [[ -z "$commit" ]] || printf '  commit_interval_ms: %s\n' "$commit"
    (( fault )) && [[ -n "${TXN_TIMEOUT_MS:-}" ]] && printf '  transaction_timeout_ms: %s\n' "$TXN_TIMEOUT_MS"
    printf 'stats_interval_ms: %s\n%s' "$stats" "$extra"
    # Several instances run side by side (rebalance, fencing) and tests run
    # in parallel: each admin listener on a port of its own (the bound
    # address is in the admin_listening log line).
    grep -q '^admin:' <<<"$extra" || printf 'admin:\n  listen: 127.0.0.1:0\n'
  } >"$out"
}

# fault_stream DEFAULT_RECORDS SECONDS: the stream of a fault test: RECORDS
# valid events (default DEFAULT_RECORDS) + POISON_N poison records (env POISON,
# default 60), TOTAL_N of them, produced at RATE records/s (default: the
# stream lasts about SECONDS, at least 100/s).
fault_stream() {
  RECORDS="${RECORDS:-$1}"
  POISON_N="${POISON:-60}"
  TOTAL_N=$((RECORDS + POISON_N))
  RATE="${RATE:-$(( TOTAL_N / $2 > 100 ? TOTAL_N / $2 : 100 ))}"
}

# fault_setup [topics_create ARGS]: what every fault test sets up: the topics,
# the shipped payments policy retargeted at them, a fresh keyring, a config
# with the fault timeouts, and the events of fault_stream.
fault_setup() {
  topics_create "$@"
  policy_retarget
  keys_generate rrn phone email account
  config_write --fault-timeouts
  events_generate "$RECORDS" "$POISON_N"
}

# events_generate EVENTS POISON: writes $WORK/events.tsv and $WORK/meta.json.
events_generate() {
  N_EVENTS="$1" N_POISON="$2" TOTAL=$(( $1 + $2 ))
  python3 "$GEN_EVENTS" --events "$N_EVENTS" --poison "$N_POISON" --seed "$SEED" \
    --out "$WORK/events.tsv" --meta "$WORK/meta.json" || fail "gen_events.py failed"
  log "generated $N_EVENTS events + $N_POISON poison records"
}

# produce_start RATE: feeds $WORK/events.tsv to the source topic at RATE
# records/s in the background (idempotent kcat producer, retries through
# broker restarts; one request in flight, because librdkafka before 2.3
# turns several failed in-flight batches after a broker restart into a fatal
# "rewound sequence number" error, librdkafka #4438).
produce_start() {
  local rate="$1"
  rm -f "$WORK/produced"
  python3 "$FAULTS_DIR/pace.py" --rate "$rate" --file "$WORK/events.tsv" --progress "$WORK/produced" -- \
    kcat -b "$BOOTSTRAP" -P -E -t "$SRC" -K $'\t' -H source=faults \
    -X linger.ms=20 -X enable.idempotence=true -X message.timeout.ms=600000 \
    -X max.in.flight.requests.per.connection=1 \
    2>>"$WORK/producer.log" &
  PRODUCER_PID=$!
  log "producing $TOTAL records at ~$rate/s (about $(( TOTAL / rate ))s)"
}

# produce_file FILE [KCAT_ARGS...]: key<TAB>value lines of FILE to $SRC, at
# once (kcat; KCAT_ARGS e.g. -H name=value, -Z, -p 0).
produce_file() {
  local file="$1"
  shift
  kcat -b "$BOOTSTRAP" -P -t "$SRC" -K $'\t' -X linger.ms=20 "$@" <"$file" || fail "kcat could not produce $file"
}

# Lines fed to the producer so far.
produced() { cat "$WORK/produced" 2>/dev/null || echo 0; }

# Waits until at least N records have been fed to the producer.
wait_produced() {
  local n="$1"
  while (( $(produced) < n )); do
    producer_running || break
    sleep 0.2
  done
}

producer_running() { [[ -n "$PRODUCER_PID" ]] && kill -0 "$PRODUCER_PID" 2>/dev/null; }

# Waits for the producer; it must have delivered every record.
produce_wait() {
  [[ -n "$PRODUCER_PID" ]] || return 0
  local rc=0
  wait "$PRODUCER_PID" || rc=$?
  PRODUCER_PID=""
  (( rc == 0 )) || { tail -20 "$WORK/producer.log" >&2; fail "producer exited $rc"; }
  local n
  n=$(count_topic "$SRC" 0)
  (( n == TOTAL )) || { tail -20 "$WORK/producer.log" >&2; fail "source has $n records, expected $TOTAL (producer problem, not the proxy)"; }
  log "producer done: $n records in $SRC"
}

# count_topic TOPIC [read_committed=1]: number of records (read_committed by
# default: what a downstream consumer sees).
count_topic() {
  local iso=()
  [[ "${2:-1}" == 1 ]] && iso=(-X isolation.level=read_committed)
  # A short fetch wait, so kcat sees the end of a partition (and exits) even
  # while a stream is still being produced into it.
  timeout 120 kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -e -q "${iso[@]}" -X fetch.wait.max.ms=20 \
    -f '%o\n' 2>/dev/null | wc -l
}

output_count() { echo $(( $(count_topic "$DST") + $(count_topic "$DLQ") )); }

# dump_topic TOPIC FILE [KCAT_ARGS...]: every record of TOPIC as kcat -J
# lines (read_committed), as an independent consumer sees them.
dump_topic() {
  local topic="$1" file="$2"
  shift 2
  timeout 300 kcat -b "$BOOTSTRAP" -C -t "$topic" -o beginning -e -q -J -X isolation.level=read_committed "$@" \
    >"$file" || fail "kcat could not read $topic"
}

# wait_output TOTAL [TIMEOUT]: waits until $DST and $DLQ hold TOTAL records
# together (read_committed); every started proxy must stay up; fails after
# TIMEOUT seconds (default 240).
wait_output() {
  local total="$1" timeout="${2:-240}" got t=$SECONDS
  while :; do
    got=$(output_count)
    (( got >= total )) && break
    check_proxies fail
    (( SECONDS - t < timeout )) || fail "timed out after ${timeout}s with $got of $total records in $DST + $DLQ"
    sleep 1
  done
  log "all $total records arrived after $((SECONDS - t))s"
}

# ----------------------------------------------------------------- proxies --

# proxy_start [--config FILE] NAME [TXID]: starts an instance in $WORK with
# the config FILE (default $WORK/config.yaml) and, when that config is
# exactly_once, the transactional id TXID (default $ID-NAME), logging its
# stdout and stderr to $WORK/proxy-NAME.log (appended across restarts).
proxy_start() {
  local config="$WORK/config.yaml"
  if [[ "$1" == --config ]]; then config="$2"; shift 2; fi
  local name="$1" txid="${2:-${PROXY_TXID[$1]:-$ID-$1}}"
  if [[ -n "${PROXY_PID[$name]:-}" ]] && kill -0 "${PROXY_PID[$name]}" 2>/dev/null; then
    fail "proxy $name already running"
  fi
  PROXY_TXID[$name]="$txid"
  PROXY_STARTS[$name]=$(( ${PROXY_STARTS[$name]:-0} + 1 ))
  printf '=== test: start #%d of %s (transactional id %s) at %s ===\n' "${PROXY_STARTS[$name]}" "$name" "$txid" \
    "$(date -Is)" >>"$WORK/proxy-$name.log"
  local txarg=(--transactional-id "$txid")
  grep -q '^  mode: exactly_once$' "$config" || txarg=()
  (cd "$WORK" && exec env "${PROXY_ENV[@]}" "${PDEATH[@]}" "$BIN" run --config "$config" "${txarg[@]}") >>"$WORK/proxy-$name.log" 2>&1 &
  PROXY_PID[$name]=$!
  log "proxy $name started (pid ${PROXY_PID[$name]}, transactional id $txid, start #${PROXY_STARTS[$name]})"
}

proxy_alive() { [[ -n "${PROXY_PID[$1]:-}" ]] && kill -0 "${PROXY_PID[$1]}" 2>/dev/null; }

# proxy_reap NAME: collects the exit status of an exited instance into PROXY_RC.
proxy_reap() {
  local name="$1"
  PROXY_RC=0
  wait "${PROXY_PID[$name]}" 2>/dev/null || PROXY_RC=$?
  unset "PROXY_PID[$name]"
  printf '=== test: %s exited %s at %s ===\n' "$name" "$PROXY_RC" "$(date -Is)" >>"$WORK/proxy-$name.log"
}

# proxy_kill9 NAME: SIGKILL, a crash.
proxy_kill9() {
  local name="$1"
  proxy_alive "$name" || fail "proxy $name is not running (cannot kill it)"
  kill -KILL "${PROXY_PID[$name]}"
  proxy_reap "$name"
  log "proxy $name killed -9 (exit $PROXY_RC)"
}

# proxy_wait_exit NAME TIMEOUT: waits until the instance exits; sets
# PROXY_RC, or returns 1 if it is still running after TIMEOUT seconds.
proxy_wait_exit() {
  local name="$1" deadline=$((SECONDS + $2))
  while proxy_alive "$name"; do
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
  proxy_reap "$name"
}

# proxy_term NAME [TIMEOUT]: SIGTERM; it must commit, leave the group and exit
# 0 within TIMEOUT (default 60) seconds, logging a clean stop.
proxy_term() {
  local name="$1" timeout="${2:-60}" t=$SECONDS
  proxy_alive "$name" || fail "proxy $name is not running (cannot stop it)"
  kill -TERM "${PROXY_PID[$name]}"
  proxy_wait_exit "$name" "$timeout" || fail "proxy $name still running ${timeout}s after SIGTERM (hang)"
  (( PROXY_RC == 0 )) || fail "proxy $name exited $PROXY_RC on SIGTERM (expected 0)"
  tail -n 5 "$WORK/proxy-$name.log" | grep -qE ' stopped|"event":"stopped"' || fail "proxy $name: no clean stop in its log"
  log "proxy $name stopped by SIGTERM in $((SECONDS - t))s (exit 0)"
}

running_proxies() {
  local name out=()
  for name in "${!PROXY_PID[@]}"; do proxy_alive "$name" && out+=("$name"); done
  echo "${out[*]}"
}

# check_proxies [restart]: every started instance must still run. An
# instance that exited on its own fails the test, or with "restart" is
# recorded in UNEXPECTED_EXITS and started again.
check_proxies() {
  local mode="${1:-fail}" name
  for name in "${!PROXY_PID[@]}"; do
    proxy_alive "$name" && continue
    proxy_reap "$name"
    if [[ "$mode" == restart ]]; then
      UNEXPECTED_EXITS+=("$name:$PROXY_RC@+$((SECONDS - T0))s")
      log "proxy $name EXITED ON ITS OWN with status $PROXY_RC; restarting it"
      tail -n 8 "$WORK/proxy-$name.log" | sed 's/^/    /' >&2
      proxy_start "$name"
    else
      fail "proxy $name exited on its own with status $PROXY_RC"
    fi
  done
}

# wait_drained [restart]: waits until the producer is done and the
# destination + dead-letter topics hold (read_committed) as many records as
# the source, failing after $DRAIN_TIMEOUT seconds (default 300). Proxies must
# stay up (see check_proxies for "restart"). Then waits a little more, so a
# late duplicate has time to show up.
wait_drained() {
  local mode="${1:-fail}" deadline=$((SECONDS + ${DRAIN_TIMEOUT:-300})) t=$SECONDS got=0 last=-1 last_change=$SECONDS
  while :; do
    check_proxies "$mode"
    if ! producer_running; then
      produce_wait
      got=$(output_count)
      (( got >= TOTAL )) && break
    else
      got=$(output_count)
    fi
    if (( got != last )); then last=$got; last_change=$SECONDS; fi
    (( SECONDS < deadline )) || fail "not drained after ${DRAIN_TIMEOUT:-300}s: $got of $TOTAL records in $DST + $DLQ (no progress for $((SECONDS - last_change))s; running: $(running_proxies))"
    sleep 1
  done
  log "drained: $got of $TOTAL records after $((SECONDS - t))s of waiting"
  sleep 3
  check_proxies "$mode"
}

# ------------------------------------------------------------------- checks --

# Committed offsets of the group (ConsumerGroupCommand --describe) to stdout.
group_describe() {
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "$(kafka_logging_opts tools)" \
    -cp "$MASKPROXY_KAFKA_LIBS/*" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "$BOOTSTRAP" --describe --group "$ID" 2>&1
}

# group_committed_sum FILE: runs group_describe into FILE and prints the sum
# of the group's committed offsets on the source topic (0 when none).
group_committed_sum() {
  group_describe >"$1"
  grep -q -e CURRENT-OFFSET -e 'does not exist' -e 'has no active members' "$1" ||
    { cat "$1" >&2; fail "ConsumerGroupCommand failed"; }
  awk -v t="$SRC" '$2 == t && $4 ~ /^[0-9]+$/ { s += $4 } END { print s + 0 }' "$1"
}

# run_verify [VERIFY_ARGS...]: the independent verifier (tests/verify/verify.py)
# over source, destination and dead letters, with the poison records of
# events_generate; also no RRN-like value in the proxy logs. Prints the
# verifier's output; sets VERIFY_LINE to its summary line.
run_verify() {
  local out rc=0
  out="$(python3 "$VERIFY" --bootstrap "$BOOTSTRAP" --source "$SRC" --dest "$DST" --dlq "$DLQ" \
    --poison-keys-file "$WORK/meta.json" --expect-dead-lettered "$N_POISON" --dump-dir "$WORK/dumps" "$@")" || rc=$?
  VERIFY_LINE="$(head -n 1 <<<"$out")"
  printf '%s\n' "$out"
  if grep -E -q '[0-9]{6}-?[0-9]{7}' "$WORK"/proxy-*.log; then
    fail "an RRN-like value appears in a proxy log"
  fi
  (( rc == 0 )) || fail "verifier: $VERIFY_LINE"
  rm -rf "$WORK/dumps"
}

# The proxy log lines worth showing in a report (errors and warnings, not
# per-record dead-letter lines nor connection noise), counted by event.
log_digest() {
  grep -h -v -e record_dead_lettered -e ' stats ' -e 'Connect to ipv4' -e 'Disconnected' -e 'brokers are down' \
    -e 'error=_TRANSPORT' "$@" 2>/dev/null | grep -i -E 'warn|error|fatal|fenc' |
    sed -E 's/^[^ ]+ //' | sort | uniq -c | sort -rn | head -n "${DIGEST_LINES:-15}"
}
