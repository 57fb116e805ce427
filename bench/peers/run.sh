#!/usr/bin/env bash
# The peer benchmark: maskproxy against what a user could run instead, side by
# side in one run on the real broker of scripts/kafka.sh. Prints Markdown.
#
# Usage: bench/peers/run.sh [--help]
# See usage() for the knobs (environment variables).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR/../.. source=../../scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"

usage() {
    cat <<'EOF'
Usage: bench/peers/run.sh

Drain mode (default): pre-fills a topic with RECORDS payment events of
RECORD_BYTES bytes, then drains it with each contender in turn, the order
rotated per round, and prints a Markdown table (medians) and the ratios per
round:
  (a) maskproxy, pass-through policy (bench/peers/passthrough.yaml), exactly-once
  (b) maskproxy, policies/payments.yaml, exactly-once
  (c) maskproxy, policies/payments.yaml, at-least-once
  (d) a plain Java exactly-once copier, stock defaults (bench/peers/java/EosCopier.java)
  (e) Kafka's org.apache.kafka.tools.TransactionalMessageCopier (--group-mode)
  (f) Kafka Connect standalone, MirrorSourceConnector + JsonToMap (bench/peers/java)
      + Flatten + MaskField on the payments fields (at-least-once)
Latency mode (MODE=latency): a producer at RATE records/s, an independent
read_committed consumer, p50/p90/p99/p99.9 of arrival - send for: no proxy,
(a), (b), (c).

Environment:
  RECORDS=300000  RECORD_BYTES=1024  PARTITIONS=6  ROUNDS=3
  CONTENDERS=a,b,c,d,e,f    drain mode: which, in this order
  MODE=drain|latency
  RATE=N                    latency mode: records/s (default: half of (b)'s
                            drain rate, measured first with one drain of (b))
  DURATION=30 WARMUP=5      latency mode: seconds per path, of which not counted
  LATENCY_CONTENDERS=none,a,b,c
  PROXY_SET='delivery.commit_interval_ms=25,...'
                            maskproxy config settings (dotted keys) for (a)-(c);
                            a dot inside a key is escaped: destination.properties.linger\.ms=1
  MASKPROXY_BIN             the maskproxy binary (default build/src/app/maskproxy,
                            built with scripts/build.sh if missing)
  MASKPROXY_KAFKA_DIR       the broker's state dir (scripts/kafka.sh; started
                            if not running, left running)
  TIMEOUT                   seconds a contender may take (default max(90, RECORDS/500))
  KEEP=1                    keep the work dir (configs, logs of every run)
                            and the topics (deleted after use otherwise)
  RESULTS_JSON=FILE         drain mode: also write every run's figures there
Exit status 1 when a contender did not deliver every record (or, exactly-once,
delivered more).
EOF
}
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { usage; exit 0; }
(( $# == 0 )) || { usage >&2; exit 2; }

for tool in java javac kcat python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "peers: $tool not found; run scripts/setup.sh" >&2; exit 1; }
done
kafka_installed || { echo "peers: Kafka jars missing; run scripts/setup.sh" >&2; exit 1; }
peers_installed || { echo "peers: connect-mirror jars missing; run scripts/setup.sh" >&2; exit 1; }

bin="${MASKPROXY_BIN:-$ROOT/build/src/app/maskproxy}"
if [[ ! -x "$bin" ]]; then
    echo "peers: building maskproxy" >&2
    "$ROOT/scripts/build.sh" --target maskproxy >&2
fi
bin="$(realpath "$bin")"

work="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-peers.XXXXXX")"
if [[ "${KEEP:-0}" == 1 ]]; then
    echo "peers: work dir $work (kept)" >&2
else
    trap 'rm -rf "$work"' EXIT
fi

# The Java parts, compiled against the broker's client jars (again only when
# a source or the jars changed).
classes="${PEERS_CLASSES:-$ROOT/build/peers-classes}"
stamp="$(cat "$ROOT"/bench/peers/java/*.java "$ROOT"/bench/peers/java/META-INF/services/* | sha256sum | cut -d' ' -f1) $KAFKA_VERSION"
if [[ "$(cat "$classes/.stamp" 2>/dev/null)" != "$stamp" ]]; then
    rm -rf "$classes"
    mkdir -p "$classes"
    javac -Xlint:all -Werror -d "$classes" -cp "$MASKPROXY_KAFKA_LIBS/*" "$ROOT"/bench/peers/java/*.java
    # Connect finds the JsonToMap transform by ServiceLoader (plugin.discovery=service_load).
    cp -r "$ROOT/bench/peers/java/META-INF" "$classes/"
    printf '%s\n' "$stamp" >"$classes/.stamp"
fi

bootstrap="$("$ROOT/scripts/kafka.sh" start)"
state_dir="${MASKPROXY_KAFKA_DIR:-${TMPDIR:-/tmp}/maskproxy-kafka}"
broker_pid="$(cat "$state_dir/broker.pid")"

PEERS_ROOT="$ROOT" PEERS_BIN="$bin" PEERS_BOOTSTRAP="$bootstrap" PEERS_BROKER_PID="$broker_pid" \
    PEERS_WORK="$work" PEERS_CLASSPATH="$classes:$MASKPROXY_KAFKA_LIBS/*" \
    PEERS_CONNECT_CLASSPATH="$classes:$MASKPROXY_KAFKA_LIBS/*:$MASKPROXY_PEERS_LIBS/*" \
    PEERS_TOOLS_LOG="$(kafka_logging_opts tools)" \
    python3 "$ROOT/bench/peers/peers.py"
