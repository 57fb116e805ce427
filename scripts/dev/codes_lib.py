# shared C++ call-argument scanner for extract/rewrite of error codes
import re, os

SNAKE = re.compile(r'^[a-z][a-z0-9_]*$')

def cpp_files(root, dirs=("src", "tests", "bench")):
    for d in dirs:
        for dp, dn, fn in os.walk(os.path.join(root, d)):
            for f in fn:
                if f.endswith((".cc", ".h", ".cpp", ".hpp")):
                    yield os.path.join(dp, f)

def skip_string(s, i):
    # s[i] == '"' ; returns index after closing quote
    j = i + 1
    while j < len(s):
        if s[j] == '\\': j += 2; continue
        if s[j] == '"': return j + 1
        j += 1
    return j

def skip_raw(s, i):
    # s[i:] starts with R"delim(
    m = re.match(r'R"([^(\s]*)\(', s[i:])
    end = ')' + m.group(1) + '"'
    k = s.find(end, i + m.end())
    return len(s) if k < 0 else k + len(end)

def split_args(s, open_idx):
    """s[open_idx] in '({'. Returns (close_idx, [(start,end)] of top-level args)."""
    close = {'(': ')', '{': '}'}[s[open_idx]]
    depth = 0; i = open_idx; args = []; start = open_idx + 1
    stack = []
    while i < len(s):
        c = s[i]
        if c == '"':
            if i > 0 and s[i-1] == 'R' and re.match(r'R"[^(\s]*\(', s[i-1:]):
                i = skip_raw(s, i - 1); continue
            i = skip_string(s, i); continue
        if c == "'":
            j = i + 1
            while j < len(s) and s[j] != "'":
                j += 2 if s[j] == '\\' else 1
            i = j + 1; continue
        if s.startswith('//', i):
            k = s.find('\n', i); i = len(s) if k < 0 else k; continue
        if s.startswith('/*', i):
            k = s.find('*/', i); i = len(s) if k < 0 else k + 2; continue
        if c in '({[':
            stack.append(c)
        elif c in ')}]':
            stack.pop()
            if not stack:
                args.append((start, i))
                return i, args
        elif c == ',' and len(stack) == 1:
            args.append((start, i)); start = i + 1
        i += 1
    return None, args

LIT = re.compile(r'(?<![A-Za-z0-9_R])"([a-z][a-z0-9_]*)"')
