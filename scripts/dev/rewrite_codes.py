#!/usr/bin/env python3
"""Part B of issue #11 item 5: rewrite string-literal error codes into ErrorCode
constants across src/, tests/ and bench/ (C++ files), then remove the
transitional bridge (ErrorCodeLiteral, operator==(ErrorCode, string_view),
Error(ErrorCodeLiteral, ...)) from src/common/{error_code,result}.h.

Usage: rewrite_codes.py [repo_root]       (default: .)

Run it after merging every branch, then build and test. It works by pattern,
not by file list (code may have moved), and is idempotent. What it rewrites:
  - the first argument of Error(...) / Error{...} / `Error e("...", ...)`:
    every code literal in it (also both arms of a ?: there);
  - arguments of functions declared with an ErrorCodeLiteral parameter (e.g.
    json.cc's Fail, policy's Ctx::At, test helpers FailsWith/HasError/FailsAt),
    and such a parameter's default argument; then ErrorCodeLiteral -> ErrorCode;
  - x.code == "..." / x.code != "..." / "..." == x.code;
  - EXPECT_EQ/NE, ASSERT_EQ/NE(<...>.code, "...") either way round;
  - string uses of an Error's code (x.error().code, why.code, e.code, first.code,
    ...): .data()/.c_str()/.size(), concatenation with a string literal and
    {"field", code} log fields go through ErrorCodeName (same bytes).
Literals become ErrorCode::kName (::maskproxy::ErrorCode::kName in a file that
declares its own function named ErrorCode). Changed files are clang-formatted.
Exits 1 without writing anything if a literal in code position names no code
in the table; exits 1 listing them if a known pattern is left over. Anything
else that still treats a code as a string (e.g. passing e.code to a function
taking std::string) shows up as a compile error: wrap it in ErrorCodeName().
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from codes_lib import cpp_files, split_args  # noqa: E402

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
table_path = os.path.join(root, "src/common/error_code.h")
table_src = open(table_path).read()
CODES = {m.group(2): m.group(1) for m in re.finditer(r'X\((k\w+),\s*"([a-z0-9_]+)"', table_src)}
if not CODES:
    sys.exit("no MASKPROXY_ERROR_CODES table in " + table_path)

problems = []
changed = {}
BRIDGE_FILES = {os.path.join(root, "src/common/error_code.h"), os.path.join(root, "src/common/result.h")}
LIT = re.compile(r'(?<![A-Za-z0-9_R])"([A-Za-z0-9_]*)"')
EXACT_LIT = re.compile(r'\s*"([A-Za-z0-9_]*)"\s*')


def lineno(s, i):
    return s.count("\n", 0, i) + 1


class Edit:
    def __init__(self, path, s):
        self.path, self.s, self.edits, self.qual = path, s, [], ""
        # A file that declares its own function named ErrorCode (tests/codec/json_test.cc)
        # hides the type; qualify there.
        if re.search(r'\b(?:std::string|auto|int|bool)\s+ErrorCode\s*\(', s):
            self.qual = "::maskproxy::"

    def const(self, name, at):
        if name not in CODES:
            problems.append(f"{os.path.relpath(self.path, root)}:{lineno(self.s, at)}: "
                            f"\"{name}\" is not an error code in src/common/error_code.h")
            return None
        return f"{self.qual}ErrorCode::{CODES[name]}"

    def literals_in(self, a, b, only_exact=False):
        """Rewrite every string literal in s[a:b] that is in code position."""
        text = self.s[a:b]
        if only_exact:
            m = EXACT_LIT.fullmatch(text)
            if not m:
                return
            c = self.const(m.group(1), a)
            if c:
                self.edits.append((a + m.start(1) - 1, a + m.end(1) + 1, c))
            return
        for m in LIT.finditer(text):
            # skip literals that are operands of a non-code comparison or concatenation
            c = self.const(m.group(1), a + m.start())
            if c:
                self.edits.append((a + m.start(), a + m.end(), c))

    def apply(self):
        s = self.s
        seen = set()
        for a, b, rep in sorted(self.edits, reverse=True):
            if (a, b) in seen:
                continue
            seen.add((a, b))
            s = s[:a] + rep + s[b:]
        return s


def code_param_functions(files):
    """Functions with an ErrorCodeLiteral parameter: name -> set of indexes."""
    out = {}
    decl = re.compile(r'\b([A-Za-z_]\w*)\s*\(')
    for p, s in files.items():
        if p in BRIDGE_FILES:
            continue
        for m in decl.finditer(s):
            close, args = split_args(s, m.end() - 1)
            if close is None:
                continue
            for i, (a, b) in enumerate(args):
                if re.match(r'\s*(?:const\s+)?ErrorCodeLiteral\b', s[a:b]):
                    out.setdefault(m.group(1), set()).add(i)
    return out


ERROR_CALL = re.compile(r'(?<![\w:.>])(?:(?:::)?maskproxy::)?Error\s*([({])')
# const Error bad("invalid_option", ...); Error e{"...", ...}
ERROR_VAR = re.compile(r'(?<![\w:.>])(?:(?:::)?maskproxy::)?Error\s+[A-Za-z_]\w*\s*([({])')
GTEST = re.compile(r'\b(?:EXPECT|ASSERT)_(?:EQ|NE)\s*\(')
CODE_EXPR = re.compile(r'(?:\.|->)code\s*$|\bcode\(\)\s*$')
CMP_R = re.compile(r'((?:\.|->)code\b|\bcode\(\))\s*([!=]=)\s*"([A-Za-z0-9_]*)"')
CMP_L = re.compile(r'"([A-Za-z0-9_]*)"\s*([!=]=)\s*(?=[\w.\->()\[\]]*(?:\.|->)code\b)')
DEFAULT_ARG = re.compile(r'\bErrorCodeLiteral\s+\w+\s*=\s*"([A-Za-z0-9_]*)"')

# An Error's code, spelled the usual ways: x.error().code, why.code, e.code, first.code, err.code.
ERR_CODE = r'(?:[\w\]]+(?:\(\))?(?:\.|->))*?(?:error\(\)|\b(?:e|err|error|why|first|last))\.code'


def fix_string_uses(t):
    t = re.sub(r'(?<![\w.>])(?<!ErrorCodeName\()(' + ERR_CODE + r')\.(?:data|c_str)\(\)', r'ErrorCodeName(\1).data()', t)
    t = re.sub(r'(?<![\w.>])(?<!ErrorCodeName\()(' + ERR_CODE + r')\.size\(\)', r'ErrorCodeName(\1).size()', t)
    t = re.sub(r'(?<![\w.>])(?<!ErrorCodeName\()(' + ERR_CODE + r')(\s*\+\s*")', r'std::string(ErrorCodeName(\1))\2', t)
    t = re.sub(r'("\s*\+\s*)(' + ERR_CODE + r')\b(?!\s*[.(=!])', r'\1std::string(ErrorCodeName(\2))', t)
    t = re.sub(r'(\{\s*"\w+",\s*)(' + ERR_CODE + r')(\s*\})', r'\1std::string(ErrorCodeName(\2))\3', t)
    return t


files = {p: open(p).read() for p in cpp_files(root)}
helpers = code_param_functions(files)

for path, s in files.items():
    e = Edit(path, s)
    if path not in BRIDGE_FILES:
        # 1. Error("code", ...) / Error{"code", ...}: the first argument.
        for m in list(ERROR_CALL.finditer(s)) + list(ERROR_VAR.finditer(s)):
            close, args = split_args(s, m.end() - 1)
            if close is None or len(args) < 2:
                continue
            e.literals_in(*args[0])
        # 2. helpers with an ErrorCodeLiteral parameter, and its default argument.
        for name, idxs in helpers.items():
            for m in re.finditer(r'(?<![\w])' + re.escape(name) + r'\s*\(', s):
                close, args = split_args(s, m.end() - 1)
                if close is None:
                    continue
                for i in idxs:
                    if i < len(args):
                        a, b = args[i]
                        if re.match(r'\s*(?:const\s+)?ErrorCodeLiteral\b', s[a:b]):
                            continue  # the declaration itself
                        text = s[a:b]
                        if EXACT_LIT.fullmatch(text) or re.search(r'\?\s*"[^"]*"\s*:', text):
                            e.literals_in(a, b)
        for m in DEFAULT_ARG.finditer(s):
            c = e.const(m.group(1), m.start(1))
            if c:
                e.edits.append((m.start(1) - 1, m.end(1) + 1, c))
        # 3. x.code == "code", "code" != x.code
        for m in CMP_R.finditer(s):
            c = e.const(m.group(3), m.start(3))
            if c:
                e.edits.append((m.start(3) - 1, m.end(3) + 1, c))
        for m in CMP_L.finditer(s):
            c = e.const(m.group(1), m.start(1))
            if c:
                e.edits.append((m.start(1) - 1, m.end(1) + 1, c))
        # 4. EXPECT_EQ(x.code, "code") and the other way round (EQ/NE, EXPECT/ASSERT).
        for m in GTEST.finditer(s):
            close, args = split_args(s, m.end() - 1)
            if close is None or len(args) != 2:
                continue
            (a0, b0), (a1, b1) = args
            if CODE_EXPR.search(s[a0:b0]) and EXACT_LIT.fullmatch(s[a1:b1]):
                e.literals_in(a1, b1, only_exact=True)
            elif CODE_EXPR.search(s[a1:b1]) and EXACT_LIT.fullmatch(s[a0:b0]):
                e.literals_in(a0, b0, only_exact=True)
    new = e.apply()
    # 4b. string uses of an Error's code in code merged after part A (dead-letter
    # header, log fields, concatenation): the same bytes through ErrorCodeName.
    if path not in BRIDGE_FILES:
        new = fix_string_uses(new)
    # 5. the bridge type becomes the enum
    if path not in BRIDGE_FILES:
        new = re.sub(r'\bErrorCodeLiteral\b', 'ErrorCode', new)
    else:
        new = re.sub(r'[ \t]*// BEGIN transitional bridge.*?// END transitional bridge[^\n]*\n', '', new, flags=re.S)
    if new != s:
        changed[path] = new

if problems:
    print("rewrite_codes: cannot rewrite (nothing written):", file=sys.stderr)
    for p in problems:
        print("  " + p, file=sys.stderr)
    sys.exit(1)

for path, new in changed.items():
    with open(path, "w") as f:
        f.write(new)
    print("rewrote", os.path.relpath(path, root))
if changed:
    import shutil
    import subprocess
    if shutil.which("clang-format"):
        subprocess.run(["clang-format", "-i", *changed], cwd=root, check=True)
    else:
        print("rewrite_codes: clang-format not found; run scripts/format.sh", file=sys.stderr)

# Leftovers: patterns that would no longer compile (or that the bridge covered).
left = []
for path in cpp_files(root):
    s = open(path).read()
    for pat in (r'(?<![\w:.>])Error\s*[({]\s*"', r'(?<![\w:.>])Error\s+[A-Za-z_]\w*\s*[({]\s*"', r'(?:\.|->)code\s*[!=]=\s*"', r'"\s*[!=]=\s*[\w.\->()]*(?:\.|->)code\b',
                r'\bErrorCodeLiteral\b', r'transitional bridge'):
        for m in re.finditer(pat, s):
            left.append(f"{os.path.relpath(path, root)}:{lineno(s, m.start())}: {s[m.start():m.start() + 60].splitlines()[0]}")
# The docs stop mentioning the bridge.
contrib = os.path.join(root, "CONTRIBUTING.md")
if os.path.exists(contrib):
    c = open(contrib).read()
    c2 = re.sub(r'\s*\(Until every call site is rewritten.*?does not build\.\)', '', c, flags=re.S)
    if c2 != c:
        open(contrib, "w").write(c2)
        print("rewrote CONTRIBUTING.md")
if left:
    print("rewrite_codes: left over (rewrite by hand):", file=sys.stderr)
    for l in left:
        print("  " + l, file=sys.stderr)
    sys.exit(1)
print(f"rewrite_codes: {len(changed)} files changed; no string-literal code left")
