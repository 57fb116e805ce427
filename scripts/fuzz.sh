#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan into
# build-fuzz/ and runs each for a bounded time over a copy of its seed corpus
# (tests/fuzz/corpus/<target>/, with tests/fuzz/<target>.dict when there is
# one). Fails on any crash, sanitizer report, timeout, out-of-memory or oracle
# violation, and prints the path of the input that caused it.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
#   e.g. scripts/fuzz.sh 600                       (longer runs, docs/RELIABILITY.md)
# Env:   FUZZ_TARGETS     the targets to run (default: all four)
#        FUZZ_BUILD_DIR   build directory (default build-fuzz/)
#        FUZZ_ARTIFACTS   where crashing inputs go (default $FUZZ_BUILD_DIR/artifacts)
#        FUZZ_KEEP_CORPUS 1 to keep the grown corpora (their dir is printed)
#        CXX              the clang++ to use (default clang++)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
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

work="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-fuzz.XXXXXX")"
if [[ "${FUZZ_KEEP_CORPUS:-0}" == 1 ]]; then
  echo "fuzz: corpora kept in $work"
else
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

passed=0
failed=0
for t in "${targets[@]}"; do
  corpus="$work/$t"
  mkdir -p "$corpus"
  cp "$root/tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  args=(-max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=20 -rss_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$artifacts/$t-")
  [[ -f "$root/tests/fuzz/$t.dict" ]] && args+=(-dict="$root/tests/fuzz/$t.dict")
  log="$work/$t.log"
  start=$SECONDS
  if "$build_dir/tests/fuzz/$t" "${args[@]}" "$corpus" >"$log" 2>&1; then
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    echo "fuzz: $t: ok, ${execs:-?} inputs in $(( SECONDS - start )) s, corpus $(find "$corpus" -type f | wc -l) files"
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "fuzz: $t: FAILED after $(( SECONDS - start )) s; last lines of its log:" >&2
    grep -v '^#[0-9]' "$log" | tail -n 40 >&2
    crash="$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)"
    echo "fuzz: $t: crashing input: ${crash:-(none written; see the log above)}" >&2
    [[ -n "$crash" ]] && echo "fuzz: reproduce with: $build_dir/tests/fuzz/$t $crash" >&2
  fi
done
echo "fuzz: $passed passed, $failed failed"
(( failed == 0 ))
