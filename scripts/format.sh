#!/usr/bin/env bash
# Formats the C++ sources with clang-format (.clang-format), or checks them.
#
# Usage: scripts/format.sh           rewrite every file in place
#        scripts/format.sh --check   list the files that are not formatted and
#                                    exit 1 if there are any (CI runs this)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mapfile -t files < <(find src tests bench -type f \( -name '*.cc' -o -name '*.h' \) | sort)
if [[ "${1:-}" == --check ]]; then
  bad=()
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if (( ${#bad[@]} > 0 )); then
    printf 'format: not formatted (run scripts/format.sh): %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files formatted"
else
  clang-format -i "${files[@]}"
fi
