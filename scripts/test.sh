#!/usr/bin/env bash
# Runs the whole test suite, as CI does: set-up (packages, Kafka jars), the
# clang-format check (scripts/format.sh --check), build
# with tests, start a local Kafka broker for the integration tests, run
# ctest (unit + integration), stop the broker, then run the libFuzzer
# targets for a bounded time each (scripts/fuzz.sh, clang + ASan/UBSan).
#
# Usage: scripts/test.sh [ctest arguments]   e.g. scripts/test.sh -L unit
# Env:   BUILD_DIR (default build/), MASKPROXY_KAFKA_DIR (broker state dir,
#        default ${TMPDIR:-/tmp}/maskproxy-kafka-test), FUZZ_SECONDS (per
#        fuzz target, default 45; 0 skips the fuzzers)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MASKPROXY_KAFKA_DIR="${MASKPROXY_KAFKA_DIR:-${TMPDIR:-/tmp}/maskproxy-kafka-test}"

"$root/scripts/setup.sh"
"$root/scripts/format.sh" --check
build_dir="$("$root/scripts/build.sh")"

"$root/scripts/kafka.sh" start >/dev/null
trap '"$root/scripts/kafka.sh" stop >/dev/null 2>&1 || true' EXIT

ctest --test-dir "$build_dir" --output-on-failure --timeout 900 -j2 "$@"

# The fuzzers need no broker: stop it first to give them its memory.
"$root/scripts/kafka.sh" stop >/dev/null 2>&1 || true
fuzz_seconds="${FUZZ_SECONDS:-45}"
if (( fuzz_seconds > 0 )); then
  "$root/scripts/fuzz.sh" "$fuzz_seconds"
fi
