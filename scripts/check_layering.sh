#!/usr/bin/env bash
# Checks the module layering (src/README.md, src/CMakeLists.txt).
#
#   1. Declared: every `#include "<module>/..."` in src/<m>/ names m itself or
#      a module that src/<m>/CMakeLists.txt links directly (PUBLIC or
#      PRIVATE); every one in a header of src/<m>/ names a PUBLIC one; and
#      every module linked is in m's "uses" column of src/README.md.
#   2. Enforced (with --build-dir DIR, a configured build with tests): the
#      probe TUs in tests/layering build as expected: a linked module's header
#      compiles, a header of a module the target does not link (or links only
#      through a PRIVATE link) fails with "No such file".
#
# Usage: scripts/check_layering.sh [--build-dir DIR]    (ctest: build.layering)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir=""
if [[ "${1:-}" == --build-dir ]]; then
  build_dir="$2"
fi

python3 - "$root" <<'PY'
import os, re, sys
root = sys.argv[1]
src = os.path.join(root, "src")
modules = sorted(d for d in os.listdir(src) if os.path.isfile(os.path.join(src, d, "CMakeLists.txt")))
include_re = re.compile(r'^\s*#\s*include\s+"([a-z_0-9]+)/', re.M)

# "uses" column of src/README.md's table
uses = {}
for line in open(os.path.join(src, "README.md"), encoding="utf-8"):
    m = re.match(r"^\| `([a-z_]+)` \|", line)
    if m:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        uses[m.group(1)] = cells[-1]

errors = []
for mod in modules:
    cmake = open(os.path.join(src, mod, "CMakeLists.txt"), encoding="utf-8").read()
    public, private = set(), set()
    for call in re.finditer(r"target_link_libraries\(\s*mp_%s\b([^)]*)\)" % mod, cmake):
        scope = "PUBLIC"
        for word in call.group(1).split():
            if word in ("PUBLIC", "PRIVATE", "INTERFACE"):
                scope = word
            elif word.startswith("mp_"):
                (public if scope in ("PUBLIC", "INTERFACE") else private).add(word[3:])
    for name in sorted(os.listdir(os.path.join(src, mod))):
        if not name.endswith((".h", ".cc")):
            continue
        text = open(os.path.join(src, mod, name), encoding="utf-8").read()
        for used in sorted(set(include_re.findall(text))):
            if used == mod or used not in modules:
                continue
            where = f"src/{mod}/{name}"
            if name.endswith(".h") and used not in public:
                errors.append(f"{where}: header includes {used}/ but mp_{mod} does not link mp_{used} PUBLIC")
            elif used not in public | private:
                errors.append(f"{where}: includes {used}/ but mp_{mod} does not link mp_{used} (src/{mod}/CMakeLists.txt)")
    allowed = uses.get(mod)
    if allowed is None:
        errors.append(f"src/README.md: no row for module {mod}")
    elif "all of the above" not in allowed:
        names = set(re.findall(r"[a-z_]+", allowed))
        for dep in sorted(public | private):
            if dep not in names:
                errors.append(f"src/{mod}/CMakeLists.txt: links mp_{dep}, not in {mod}'s \"uses\" in src/README.md")
for e in errors:
    print("layering: " + e, file=sys.stderr)
if errors:
    sys.exit(1)
print(f"layering: {len(modules)} modules: includes declared, links as in src/README.md")
PY

if [[ -n "$build_dir" ]]; then
  out="$(mktemp)"
  trap 'rm -f "$out"' EXIT
  ninja -C "$build_dir" layering_probe_linked >"$out" 2>&1 || {
    cat "$out" >&2
    echo "layering: the probe that includes a linked module's header does not build" >&2
    exit 1
  }
  for probe in unlinked_codec:crypto/keyring.h unlinked_batch:pipeline/pipeline.h; do
    target="layering_probe_${probe%%:*}" header="${probe#*:}"
    if ninja -C "$build_dir" "$target" >"$out" 2>&1; then
      echo "layering: $target built: $header resolves in a target that does not link its module" >&2
      exit 1
    fi
    if ! grep -q "$header: No such file" "$out"; then
      cat "$out" >&2
      echo "layering: $target failed, but not on $header" >&2
      exit 1
    fi
  done
  echo "layering: the build refuses headers of unlinked modules (probes in tests/layering)"
fi
