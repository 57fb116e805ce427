#!/usr/bin/env bash
# Configures and builds into build/ (or $BUILD_DIR) and prints the build dir.
# Usage: scripts/build.sh [--target T]... [cmake configure args]
#   e.g. scripts/build.sh --target maskproxy
#        BUILD_DIR=build-asan scripts/build.sh -DMASKPROXY_SANITIZE=ON
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
targets=()
while (( $# > 0 )) && [[ "$1" == --target ]]; do
  targets+=("$2")
  shift 2
done
launcher=()
# ccache, when installed, makes rebuilds across clones and worktrees cheap.
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
fi
# MASKPROXY_UNIT_TESTS=ON unless the arguments say otherwise (the last -D
# wins): scripts/test.sh turns it off in its own configure, and a later
# plain scripts/build.sh turns it back on.
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "${launcher[@]}" \
  -DMASKPROXY_UNIT_TESTS=ON "$@" >/dev/null
ninja -C "$build_dir" "${targets[@]}" >&2
echo "$build_dir"
