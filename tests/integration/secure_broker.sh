#!/usr/bin/env bash
# The secured broker of the secure_* tests (ctest fixture "secure_broker"):
# its own state dir and ports, started with scripts/kafka.sh start --secure
# (a plaintext listener for the test tools, an SSL listener that requires a
# client certificate, a SASL_SSL listener with SCRAM-SHA-512) and
# certificates from certs/make-dev-certs.sh made at run time in the state dir.
#   secure_broker.sh start   start it (idempotent); prints the state dir (its
#                            Kafka version is in STATE_DIR/kafka.version)
#   secure_broker.sh stop    stop it and delete its state dir (certs included)
# State dir: $MASKPROXY_SECURE_KAFKA_DIR, default $MASKPROXY_KAFKA_DIR-secure.
# Kafka version: $MASKPROXY_SECURE_KAFKA_VERSION; default $KAFKA_VERSION, but
# 3.9.1 where librdkafka is older than 2.6.1: such a librdkafka cannot
# complete SCRAM with a Kafka 4 broker (librdkafka#4895), and the SASL_SSL
# end-to-end run would have to be skipped. Jars missing: fetched with
# scripts/setup.sh --skip-apt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${MASKPROXY_SECURE_KAFKA_DIR:-${MASKPROXY_KAFKA_DIR:-${TMPDIR:-/tmp}/maskproxy-kafka}-secure}"
export MASKPROXY_KAFKA_DIR="$dir"
case "${1:-}" in
  start)
    if [[ -f "$dir/kafka.version" ]]; then
      version="$(cat "$dir/kafka.version")"
    elif [[ -n "${MASKPROXY_SECURE_KAFKA_VERSION:-}" ]]; then
      version="$MASKPROXY_SECURE_KAFKA_VERSION"
    else
      # shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
      version="$(source "$ROOT/scripts/lib/common.sh" && printf '%s\n' "$KAFKA_VERSION")"
      rdk="$(pkg-config --modversion rdkafka 2>/dev/null || echo 0)"
      if [[ "${version%%.*}" -ge 4 ]] && ! printf '2.6.1\n%s\n' "$rdk" | sort -V -C; then
        echo "secure_broker: librdkafka $rdk < 2.6.1 cannot do SCRAM with Kafka $version: using Kafka 3.9.1" >&2
        version=3.9.1
      fi
    fi
    export KAFKA_VERSION="$version"
    # shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
    if ! (source "$ROOT/scripts/lib/common.sh" && kafka_installed); then
      "$ROOT/scripts/setup.sh" --skip-apt >&2 || { echo "secure_broker: cannot fetch Kafka $version" >&2; exit 1; }
    fi
    "$ROOT/scripts/kafka.sh" start --secure "$dir/certs" >/dev/null
    printf '%s\n' "$dir"
    ;;
  stop) "$ROOT/scripts/kafka.sh" clean ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
