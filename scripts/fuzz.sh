#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan into
# build-fuzz/ and runs each for a bounded time over a copy of its seed corpus
# (tests/fuzz/corpus/<target>/, with tests/fuzz/<target>.dict when there is
# one). Fails on any crash, sanitizer report, timeout, out-of-memory or oracle
# violation, and prints the path of the input that caused it.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
#        scripts/fuzz.sh --build-only             (build the targets, run none:
#                                                  scripts/test.sh builds them early)
#   e.g. scripts/fuzz.sh 600                       (longer runs, docs/RELIABILITY.md)
# Env:   FUZZ_TARGETS     the targets to run (default: all four)
#        FUZZ_BUILD_DIR   build directory (default build-fuzz/)
#        FUZZ_ARTIFACTS   where crashing inputs go (default $FUZZ_BUILD_DIR/artifacts)
#        FUZZ_KEEP_CORPUS 1 to keep the grown corpora (their dir is printed)
#        FUZZ_JOBS        targets run side by side (default: the number of
#                         CPUs; each fuzzer is one process on one core)
#        CXX              the clang++ to use (default clang++)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_only=0
if [[ "${1:-}" == --build-only ]]; then
  build_only=1
  shift
fi
seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ ]] && (( seconds > 0 )) || { echo "fuzz: SECONDS_PER_TARGET must be a positive integer" >&2; exit 2; }
build_dir="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
artifacts="${FUZZ_ARTIFACTS:-$build_dir/artifacts}"
read -r -a targets <<<"${FUZZ_TARGETS:-fuzz_engine_json fuzz_csv fuzz_policy fuzz_detect}"

# Per target: the longest input (bytes). The engine's fuzz policy allows
# records of 4096 bytes, so longer inputs reach too_large.
max_len() {
  case "$1" in
    fuzz_engine_json) echo 6000 ;;
    fuzz_policy) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
fi
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="${CXX:-clang++}" "${launcher[@]}" \
  -DMASKPROXY_FUZZ=ON -DMASKPROXY_BUILD_BENCH=OFF -DMASKPROXY_BUILD_TESTS=OFF >/dev/null
ninja -C "$build_dir" "${targets[@]}" >&2
if (( build_only )); then
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-fuzz.XXXXXX")"
if [[ "${FUZZ_KEEP_CORPUS:-0}" == 1 ]]; then
  echo "fuzz: corpora kept in $work"
else
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# run_target T: runs one target; its report goes to $work/T.report, and
# "ok" or "failed" to $work/T.status.
run_target() {
  local t="$1" corpus="$work/$1" log="$work/$1.log" report="$work/$1.report" start=$SECONDS
  mkdir -p "$corpus"
  cp "$root/tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  local args=(-max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=20 -rss_limit_mb=2048
              -print_final_stats=1 -artifact_prefix="$artifacts/$t-")
  if [[ -f "$root/tests/fuzz/$t.dict" ]]; then args+=(-dict="$root/tests/fuzz/$t.dict"); fi
  if "$build_dir/tests/fuzz/$t" "${args[@]}" "$corpus" >"$log" 2>&1; then
    local execs
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    echo "fuzz: $t: ok, ${execs:-?} inputs in $(( SECONDS - start )) s, corpus $(find "$corpus" -type f | wc -l) files" >"$report"
    echo ok >"$work/$t.status"
  else
    {
      echo "fuzz: $t: FAILED after $(( SECONDS - start )) s; last lines of its log:"
      grep -v '^#[0-9]' "$log" | tail -n 40 || true
      local crash
      crash="$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)"
      echo "fuzz: $t: crashing input: ${crash:-(none written; see the log above)}"
      if [[ -n "$crash" ]]; then echo "fuzz: reproduce with: $build_dir/tests/fuzz/$t $crash"; fi
    } >"$report"
    echo failed >"$work/$t.status"
  fi
}

# FUZZ_JOBS targets at a time (each fuzzer is single-threaded, so on N CPUs
# N targets side by side get as many inputs each as one at a time would);
# the reports are printed in the order of FUZZ_TARGETS once all are done.
jobs="${FUZZ_JOBS:-$(nproc)}"
[[ "$jobs" =~ ^[0-9]+$ ]] && (( jobs > 0 )) || { echo "fuzz: FUZZ_JOBS must be a positive integer" >&2; exit 2; }
running=0
for t in "${targets[@]}"; do
  if (( running >= jobs )); then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
wait || true

passed=0
failed=0
for t in "${targets[@]}"; do
  if [[ "$(cat "$work/$t.status" 2>/dev/null)" == ok ]]; then
    cat "$work/$t.report"
    passed=$((passed + 1))
  else
    if [[ -f "$work/$t.report" ]]; then cat "$work/$t.report" >&2; else echo "fuzz: $t: FAILED (no report)" >&2; fi
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
(( failed == 0 ))
