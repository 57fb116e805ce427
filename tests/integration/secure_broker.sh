#!/usr/bin/env bash
# The secured broker of the secure_* tests (ctest fixture "secure_broker"):
# its own state dir and ports, started with scripts/kafka.sh start --secure
# (a plaintext listener for the test tools, an SSL listener that requires a
# client certificate, a SASL_SSL listener with SCRAM-SHA-512) and
# certificates from certs/make-dev-certs.sh made at run time in the state dir.
#   secure_broker.sh start   start it (idempotent); prints the state dir
#   secure_broker.sh stop    stop it and delete its state dir (certs included)
# State dir: $MASKPROXY_SECURE_KAFKA_DIR, default $MASKPROXY_KAFKA_DIR-secure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${MASKPROXY_SECURE_KAFKA_DIR:-${MASKPROXY_KAFKA_DIR:-${TMPDIR:-/tmp}/maskproxy-kafka}-secure}"
export MASKPROXY_KAFKA_DIR="$dir"
case "${1:-}" in
  start)
    "$ROOT/scripts/kafka.sh" start --secure "$dir/certs" >/dev/null
    printf '%s\n' "$dir"
    ;;
  stop) "$ROOT/scripts/kafka.sh" clean ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
