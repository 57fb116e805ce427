#!/usr/bin/env bash
# Runs clang-tidy with the checks of .clang-tidy (every finding is an error)
# over the C++ sources, with the compile commands of a configured build.
#
# Usage: scripts/tidy.sh [--all | FILE...]
#   --all (the default)  every .cc file in src/ (what CI runs)
#   FILE...              just these files (e.g. the ones you changed)
# Env:   BUILD_DIR  the build whose compile_commands.json is used (default
#                   build/; configured with scripts/build.sh if missing)
#        TIDY_JOBS  parallel clang-tidy processes (default: number of CPUs)
#        CLANG_TIDY the clang-tidy binary (default clang-tidy)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_dir="${BUILD_DIR:-$root/build}"
tidy="${CLANG_TIDY:-clang-tidy}"
jobs="${TIDY_JOBS:-$(nproc)}"
command -v "$tidy" >/dev/null 2>&1 || { echo "tidy: $tidy not found (scripts/setup.sh installs clang-tidy)" >&2; exit 2; }

files=()
if (( $# == 0 )) || [[ "$1" == --all ]]; then
  mapfile -t files < <(find src -type f -name '*.cc' | sort)
else
  files=("$@")
fi
if [[ ! -f "$build_dir/compile_commands.json" ]]; then
  # Configure only; the module include roots (src/CMakeLists.txt) are
  # created at configure time, so no compilation is needed.
  cmake -S "$root" -B "$build_dir" -G Ninja >/dev/null
fi

start=$SECONDS
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# One clang-tidy per file, $jobs at a time; --quiet drops the "N warnings
# generated" chatter about the (filtered) system headers.
if printf '%s\n' "${files[@]}" |
  xargs -P "$jobs" -n 1 "$tidy" --quiet -p "$build_dir" >"$log" 2>&1; then
  echo "tidy: ${#files[@]} files clean in $(( SECONDS - start )) s"
else
  grep -E ': (warning|error):' -A3 "$log" >&2 || cat "$log" >&2
  echo "tidy: findings above ($(grep -cE ': (warning|error):' "$log") in ${#files[@]} files; checks in .clang-tidy)" >&2
  exit 1
fi
