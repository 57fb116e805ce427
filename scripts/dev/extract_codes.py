#!/usr/bin/env python3
"""List every error-code literal in code position under src/ (and tests/ with --tests)."""
import re, sys, os
sys.path.insert(0, os.path.dirname(__file__))
from codes_lib import *

root = sys.argv[1] if len(sys.argv) > 1 else "."
dirs = ("src", "tests") if "--tests" in sys.argv else ("src",)
found = {}
CALL = re.compile(r'(?<![\w:.>])(?:maskproxy::)?Error\s*([({])')
def note(code, where):
    found.setdefault(code, set()).add(where)
for path in cpp_files(root, dirs):
    s = open(path).read()
    for m in CALL.finditer(s):
        close, args = split_args(s, m.end() - 1)
        if not args: continue
        a0 = s[args[0][0]:args[0][1]]
        for lm in LIT.finditer(a0):
            note(lm.group(1), os.path.relpath(path, root))
    # helpers: Fail(at, "code", ...), c.At(node, msg, "code")
    for m in re.finditer(r'\b(Fail|At)\s*\(', s):
        close, args = split_args(s, m.end() - 1)
        for a in args:
            t = s[a[0]:a[1]].strip()
            mm = re.fullmatch(r'"([a-z][a-z0-9_]*)"', t)
            if mm: note(mm.group(1), os.path.relpath(path, root) + ":helper")
            for mm in re.finditer(r'\?\s*"([a-z][a-z0-9_]*)"\s*:\s*"([a-z][a-z0-9_]*)"', t):
                note(mm.group(1), path); note(mm.group(2), path)
    # comparisons
    for m in re.finditer(r'code\s*[!=]=\s*"([a-z][a-z0-9_]*)"', s):
        note(m.group(1), os.path.relpath(path, root) + ":cmp")
for c in sorted(found):
    print(c, " ".join(sorted(found[c])))

# Check: every code found is in the table (src/common/error_code.h).
table = set(re.findall(r'X\(k\w+,\s*"([a-z0-9_]+)"', open(os.path.join(root, "src/common/error_code.h")).read()))
missing = sorted(set(found) - table)
if missing:
    print("NOT IN TABLE:", " ".join(missing), file=sys.stderr)
    sys.exit(1)
print(f"table complete: {len(found)} codes used, {len(table)} in the table", file=sys.stderr)
