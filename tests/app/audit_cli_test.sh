#!/usr/bin/env bash
# `maskproxy audit verify` and `keys rotate --config` with the real binary, no
# broker: rotations recorded in the trail of the config (keys_rotated, a final
# checkpoint per use), the trail verified (exit 0), tampered copies named
# (exit 1, 3), usage errors (exit 2), and a rotation refused (keyring
# unchanged) when its trail is held by another writer or the audit key file also
# holds data keys.
#
#   tests/app/audit_cli_test.sh build/src/app/maskproxy
set -euo pipefail
bin=$(realpath "${1:?usage: $0 path/to/maskproxy}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
expect_rc() {  # expect_rc WANT DESC CMD...
  local want=$1 desc=$2; shift 2
  local rc=0; "$@" >out.txt 2>err.txt || rc=$?
  if [ "$rc" = "$want" ]; then ok "$desc (exit $rc)"; else bad "$desc: exit $rc, want $want"; cat out.txt err.txt; fi
}
has() { if grep -qE -- "$2" "$1"; then ok "$3"; else bad "$3: '$2' not in $1"; cat "$1"; fi; }

"$bin" keys generate --out keys.yaml rrn contact 2>/dev/null
"$bin" keys generate --out audit-key.yaml audit 2>/dev/null
cat >config.yaml <<'YAML'
source: {brokers: "127.0.0.1:1", group_id: g}
policies: [p.yaml]
keyring: keys.yaml
audit:
  file: trail/audit.jsonl
  key_file: audit-key.yaml
  checkpoint_every: 2
YAML
mkdir -m 700 trail
expect_rc 0 "rotate rrn, recorded" "$bin" keys rotate --keys keys.yaml --config config.yaml rrn
expect_rc 0 "rotate rrn and contact, recorded" "$bin" keys rotate --keys keys.yaml --config config.yaml rrn contact
[ "$(stat -c %a trail/audit.jsonl)" = 600 ] && ok "trail is mode 0600" || bad "trail mode $(stat -c %a trail/audit.jsonl)"
has trail/audit.jsonl '"event":"keys_rotated","file":"keys.yaml","keys":\["contact@2","rrn@3"\]' "keys_rotated names keys and new versions"
if grep -qE "$(sed -nE 's/^ +[0-9]+: (.{12}).*/\1/p' keys.yaml | paste -sd'|')" trail/audit.jsonl; then
  bad "key material in the trail"
else
  ok "no key material in the trail"
fi
expect_rc 0 "the trail verifies" "$bin" audit verify --config config.yaml
has out.txt "intact: 4 entries, complete \(final checkpoint at seq 4\)" "summary line"
expect_rc 0 "--key-file FILE form" "$bin" audit verify --key-file audit-key.yaml trail/audit.jsonl

# An independent verifier written from the definitions in src/audit/trail.h
# (HKDF-SHA-256, HMAC-SHA-256 over the line without its mac member, prev =
# SHA-256 of the previous line, chain in the checkpoints).
if python3 - <<'PY'
import base64, hashlib, hmac, json, re
key = base64.b64decode(re.search(r"^ +1: (\S+)$", open("audit-key.yaml").read(), re.M).group(1))
prk = hmac.new(b"maskproxy-audit", key, hashlib.sha256).digest()
mk = hmac.new(prk, b"trail-mac\x01", hashlib.sha256).digest()
prev = chain = "0" * 64
for n, line in enumerate(open("trail/audit.jsonl").read().splitlines(), 1):
    i = line.rindex(',"mac":"')
    assert hmac.new(mk, (line[:i] + "}").encode(), hashlib.sha256).hexdigest() == line[i + 8:i + 72], f"mac {n}"
    e = json.loads(line)
    assert e["seq"] == n and e["prev"] == prev, f"chain {n}"
    if e["event"] == "checkpoint": assert e["chain"] == chain and e["entries"] == n - 1, f"checkpoint {n}"
    prev = hashlib.sha256(line.encode()).hexdigest()
    chain = hashlib.sha256((chain + line).encode()).hexdigest()
PY
then ok "an independent verifier (Python, from trail.h) agrees"; else bad "the trail does not match trail.h's definitions"; fi

python3 - <<'PY'
lines = open("trail/audit.jsonl").read().splitlines()
open("edit.jsonl", "w").write("\n".join([lines[0].replace('"rrn@2"', '"rrn@9"')] + lines[1:]) + "\n")
open("cut.jsonl", "w").write("\n".join(lines[:3]) + "\n")
PY
chmod 600 edit.jsonl cut.jsonl
expect_rc 1 "an edited entry" "$bin" audit verify --key-file audit-key.yaml edit.jsonl
has out.txt "entry 1 \(line 1\): mac does not verify" "names the edited entry"
if grep -q "rrn@9" out.txt; then bad "verify printed a field value"; else ok "no field value printed"; fi
expect_rc 3 "cut after a checkpoint" "$bin" audit verify --key-file audit-key.yaml cut.jsonl
has out.txt "open: 1 entries after the last checkpoint at seq 2" "names the cut"
expect_rc 0 "cut, --allow-open" "$bin" audit verify --allow-open --key-file audit-key.yaml cut.jsonl
expect_rc 2 "no key file" "$bin" audit verify trail/audit.jsonl
expect_rc 2 "unreadable trail" "$bin" audit verify --key-file audit-key.yaml nosuch.jsonl

# Refused rotations leave the keyring as it was.
cp keys.yaml keys.before
"$bin" keys generate --out mixed-key.yaml audit rrn 2>/dev/null
sed 's/audit-key.yaml/mixed-key.yaml/' config.yaml >mixed.yaml
expect_rc 1 "audit key file with data keys: refused" "$bin" keys rotate --keys keys.yaml --config mixed.yaml rrn
has err.txt "holds key 'rrn' besides 'audit'" "says why"
# A trail another process holds (flock, as a running proxy does).
expect_rc 1 "trail held by another process: refused" flock trail/audit.jsonl \
  "$bin" keys rotate --keys keys.yaml --config config.yaml rrn
has err.txt "another process writes it" "says why"
cmp -s keys.yaml keys.before && ok "keyring unchanged by refused rotations" || bad "a refused rotation changed the keyring"
# A trail at its file size limit (RLIMIT_FSIZE): a write error the command
# reports (exit 1), not SIGXFSZ killing it between the rotation and its entry.
size=$(stat -c %s trail/audit.jsonl)
expect_rc 1 "trail at its size limit: an error, not a signal" \
  prlimit --fsize="$size" "$bin" keys rotate --keys keys.yaml --config config.yaml contact
has err.txt "audit" "says the trail could not be written"
sed 's/^audit:/audit_log: x\naudit_old:/' config.yaml >old.yaml
expect_rc 2 "old audit_log key" "$bin" audit verify --config old.yaml
has err.txt "use audit: \{file: F, key_file: K\}" "says what replaces it"

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all audit CLI checks passed"
