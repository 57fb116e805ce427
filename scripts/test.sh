#!/usr/bin/env bash
# Runs the whole test suite, as CI does (.ci/run), step by step:
#   1. set-up (packages, Kafka jars: scripts/setup.sh)
#   2. the clang-format check (scripts/format.sh --check)
#   3. the layering check: includes against link lines and src/README.md
#      (scripts/check_layering.sh; the build's probes run in ctest)
#   4. the build with tests (build/, scripts/build.sh; without the unit test
#      binary when step 6 runs, which builds its own)
#   5. in the background at nice 19 while steps 6 and 7 run (they wait on
#      timers and the broker a third of the time): clang-tidy with
#      .clang-tidy on every file of src/ (scripts/tidy.sh), then the fuzz
#      targets' build (scripts/fuzz.sh --build-only); waited for after step 7
#   6. the unit tests built with ASan + UBSan (build-asan/,
#      -DMASKPROXY_SANITIZE=ON, -fno-sanitize-recover=all) and run in
#      UNIT_SHARDS (default 3) gtest shards side by side: any failure or
#      sanitizer finding fails
#   7. a local Kafka broker and ctest -j2 (cli, batch, build, integration,
#      deploy, faults; and unit when step 6 was skipped; the integration
#      tests share the broker side by side, the fault tests run alone), then the broker
#      is stopped
#   8. the libFuzzer targets for a bounded time each, one per CPU side by
#      side (scripts/fuzz.sh)
# Each step prints its wall time ("ci: <step>: N s").
#
# Usage: scripts/test.sh [ctest arguments]   e.g. scripts/test.sh -L unit
# Env:   BUILD_DIR (default build/), ASAN_BUILD_DIR (default build-asan/),
#        MASKPROXY_KAFKA_DIR (broker state dir, default
#        ${TMPDIR:-/tmp}/maskproxy-kafka-test), FUZZ_SECONDS (per fuzz
#        target, default 30; 0 skips the fuzzers), SKIP_TIDY=1 and
#        SKIP_ASAN=1 skip steps 5 and 6 (local runs only; CI runs all),
#        UNIT_SHARDS (step 6's parallel shards, default 3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MASKPROXY_KAFKA_DIR="${MASKPROXY_KAFKA_DIR:-${TMPDIR:-/tmp}/maskproxy-kafka-test}"

step_start=$SECONDS
step_done() {
  echo "ci: $1: $(( SECONDS - step_start )) s" >&2
  step_start=$SECONDS
}

"$root/scripts/setup.sh"
step_done setup
"$root/scripts/format.sh" --check
step_done format
"$root/scripts/check_layering.sh"
step_done layering
asan_build_dir="${ASAN_BUILD_DIR:-$root/build-asan}"
build_args=()
if [[ "${SKIP_ASAN:-0}" != 1 ]]; then
  # The unit tests run from the ASan build only (step 6): this build leaves
  # them out, and deploy.dashboard runs the ASan build's binary.
  build_args=(-DMASKPROXY_UNIT_TESTS=OFF "-DMASKPROXY_UNIT_TESTS_BINARY=$asan_build_dir/tests/unit_tests")
fi
build_dir="$("$root/scripts/build.sh" "${build_args[@]}")"
step_done build

# clang-tidy and the fuzz targets' build run in the background at the lowest
# CPU priority (nice 19) from here on: the steps below wait on timers and the
# broker for a third of their time (ctest leaves 30-45% of 2 vCPUs idle), and
# that idle time is what these get; at nice 19 they take next to nothing from
# a step that wants the CPU. Their output is printed, and their failure fails
# the run, once ctest is done.
fuzz_seconds="${FUZZ_SECONDS:-30}"
background_log="$(mktemp "${TMPDIR:-/tmp}/maskproxy-background.XXXXXX")"
background_start=$SECONDS
# Job control on for this one job: it gets its own process group, which the
# exit trap kills whole (xargs and its clang-tidy) when a step fails first.
set -m
(
  rc=0
  if [[ "${SKIP_TIDY:-0}" != 1 ]]; then
    BUILD_DIR="$build_dir" nice -n 19 "$root/scripts/tidy.sh" --all || rc=1
    echo "ci: clang-tidy (background): done $(( SECONDS - background_start )) s after the build"
  fi
  if (( fuzz_seconds > 0 )); then
    nice -n 19 "$root/scripts/fuzz.sh" --build-only || rc=1
    echo "ci: fuzz targets' build (background): done $(( SECONDS - background_start )) s after the build"
  fi
  exit "$rc"
) >"$background_log" 2>&1 &
background_pid=$!
set +m
kafka_started=0
cleanup() {
  kill -- -"$background_pid" 2>/dev/null || true
  if (( kafka_started )); then "$root/scripts/kafka.sh" stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if [[ "${SKIP_ASAN:-0}" != 1 ]]; then
  # -Og -g1 (line tables for the reports): the sanitizers find the same at
  # any level, and this one builds fastest, 410 s on 2 vCPUs against ~560 s
  # at -O1 -g1 and ~1,070 s at -O2 -g, with the shards below as fast (160 s).
  # That keeps the whole run well under CI's 40 minutes.
  asan_dir="$(BUILD_DIR="$asan_build_dir" "$root/scripts/build.sh" --target unit_tests \
    -DMASKPROXY_SANITIZE=ON -DMASKPROXY_BUILD_BENCH=OFF '-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-Og -g1 -DNDEBUG')"
  # The binary directly, not ctest -L unit (one process per test), in
  # UNIT_SHARDS gtest shards run side by side (default 3): the mock-cluster
  # pipeline tests spend most of their time waiting on timers, so on 2 vCPUs
  # three shards take 163 s where two take 225 s (four: 129 s, with more
  # timers late under load). Each shard's output is printed whole once it
  # is done.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  shards="${UNIT_SHARDS:-3}"
  shard_logs="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-unit.XXXXXX")"
  shard_pids=()
  for ((i = 0; i < shards; i++)); do
    GTEST_TOTAL_SHARDS="$shards" GTEST_SHARD_INDEX="$i" \
      "$asan_dir/tests/unit_tests" --gtest_brief=1 >"$shard_logs/$i.log" 2>&1 &
    shard_pids+=("$!")
  done
  shards_failed=0
  for ((i = 0; i < shards; i++)); do
    rc=0
    wait "${shard_pids[$i]}" || rc=$?
    echo "--- unit test shard $((i + 1)) of $shards: exit $rc"
    cat "$shard_logs/$i.log"
    (( rc == 0 )) || shards_failed=$((shards_failed + 1))
  done
  rm -rf "$shard_logs"
  if (( shards_failed > 0 )); then
    echo "ci: unit tests with ASan+UBSan: $shards_failed of $shards shard(s) failed" >&2
    exit 1
  fi
  step_done "unit tests with ASan+UBSan"
fi

kafka_started=1
"$root/scripts/kafka.sh" start >/dev/null

# The unit tests ran above under ASan+UBSan (a stronger check of the same
# 900-odd tests, ~150-200 s of ctest's wall time on 2 vCPUs): ctest runs the
# rest, unless asked for something else ("$@") or the ASan step was skipped.
ctest_args=("$@")
if [[ "${SKIP_ASAN:-0}" != 1 && $# -eq 0 ]]; then
  ctest_args=(-LE '^unit$')
fi
ctest --test-dir "$build_dir" --output-on-failure --timeout 900 -j2 "${ctest_args[@]}"
step_done ctest

# The fuzzers need no broker: stop it first to give them its memory.
"$root/scripts/kafka.sh" stop >/dev/null 2>&1 || true

background_rc=0
wait "$background_pid" || background_rc=$?
cat "$background_log"
rm -f "$background_log"
if (( background_rc != 0 )); then
  echo "ci: clang-tidy or the fuzz targets' build failed (above)" >&2
  exit 1
fi
step_done "waiting for clang-tidy and the fuzz build"

if (( fuzz_seconds > 0 )); then
  "$root/scripts/fuzz.sh" "$fuzz_seconds"
  step_done fuzz
fi
