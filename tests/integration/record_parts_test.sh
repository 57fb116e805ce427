#!/usr/bin/env bash
# Keys and headers are records too, through a real Kafka broker
# (scripts/kafka.sh), checked with kcat as the independent consumer
# (read_committed). A route with unlisted_fields: scan, a header rule and a
# binary header; records produced with kcat:
#   r1  header X-Customer-Phone (mixed case) + a binary trace-bin  -> masked
#   r2  key = a raw RRN followed by one 0xFF byte                   -> dead letter (invalid_utf8)
#   r3  an unlisted header in EUC-KR (not UTF-8)                    -> dead letter (invalid_utf8)
#   r4  header x-customer-phone + an unlisted header with a phone   -> masked, both protected
#   r5  X-CUSTOMER-PHONE twice                                      -> masked, each occurrence
#   r6  a forged MaskProxy.Policy header                            -> masked, the forged header gone
#   r7  a header named x-customer<ZWSP>-phone                       -> dead letter (ambiguous_field_name)
#   r8  a tombstone with X-Customer-Phone                           -> tombstone, header masked
# Checks where each record went and that no planted value reached the
# destination.
# Usage: record_parts_test.sh PATH/TO/maskproxy
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init record "${1:-}"
topics_create
cat >"$WORK/policy.yaml" <<YAML
policy: record-parts
version: 1
routes:
  - from: $SRC
    to: $DST
    dead_letter: $DLQ
    unlisted_fields: scan
    binary:
      \$header.trace-bin: pass
    rules:
      - { path: id, action: keep }
      - { path: \$header.x-customer-phone, action: mask, keep_last: 4 }
scan:
  actions:
    default: { action: redact, mode: constant, value: "[PII]" }
YAML
keys_generate customer
# The audit trail (audit:) with its own key file, apart from keys.yaml.
"$BIN" keys generate --out "$WORK/audit-key.yaml" audit 2>/dev/null || fail "keys generate (audit) failed"
config_write --txid "$ID-0" --extra $'audit:\n  file: audit.jsonl\n  key_file: audit-key.yaml'

P=(kcat -b "$BOOTSTRAP" -P -t "$SRC" -K $'\t')
printf 'cust-1\t{"id":"r1"}\n' | "${P[@]}" -H "X-Customer-Phone=010-1111-2222" -H $'trace-bin=\x01\xfe\x02'
printf '900101-1234567\xff\t{"id":"r2"}\n' | "${P[@]}"
printf 'cust-3\t{"id":"r3"}\n' | "${P[@]}" -H $'legacy=\xb1\xe8 010-3333-4444'
printf 'cust-4\t{"id":"r4"}\n' | "${P[@]}" -H "x-customer-phone=010-4444-1111" -H "note=call 010-4444-2222"
printf 'cust-5\t{"id":"r5"}\n' | "${P[@]}" -H "X-CUSTOMER-PHONE=010-5555-1111" -H "X-CUSTOMER-PHONE=010-5555-2222"
printf 'cust-6\t{"id":"r6"}\n' | "${P[@]}" -H "MaskProxy.Policy=forged" -H "MASKPROXY.dlq.reason=forged"
printf 'cust-7\t{"id":"r7"}\n' | "${P[@]}" -H $'x-customer\xe2\x80\x8b-phone=010-7777-1111'
printf 'cust-8\t\n' | "${P[@]}" -Z -H "X-Customer-Phone=010-8888-1111"
total=8

proxy_start p
wait_output "$total"
proxy_term p

for t in "$DST" "$DLQ"; do dump_topic "$t" "$WORK/$t.json"; done
python3 - "$WORK" "$DST" "$DLQ" <<'PY'
import json, sys
work, dst, dlq = sys.argv[1:4]
def load(t):
    # Keys and headers may hold bytes that are not UTF-8.
    return [json.loads(l) for l in open(f"{work}/{t}.json", encoding="utf-8", errors="surrogateescape")]
out, dead = load(dst), load(dlq)
raw_out = open(f"{work}/{dst}.json", "rb").read()
fails = []
def check(cond, msg):
    if not cond: fails.append(msg)
def hdrs(r):
    h = r.get("headers") or []
    return [(h[k], h[k + 1]) for k in range(0, len(h), 2)]
def rid(r):
    return json.loads(r["payload"])["id"] if r["payload"] else "tombstone:" + (r["key"] or "")
got_out = {rid(r): r for r in out}
got_dead = {rid(r): r for r in dead}
check(sorted(got_out) == ["r1", "r4", "r5", "r6", "tombstone:cust-8"], f"masked records: {sorted(got_out)}")
check(sorted(got_dead) == ["r2", "r3", "r7"], f"dead letters: {sorted(got_dead)}")
for p in ["010-1111-2222", "010-4444-1111", "010-4444-2222", "010-5555-1111", "010-5555-2222", "010-8888-1111",
          "010-3333-4444", "010-7777-1111", "900101-1234567", "forged"]:
    check(p.encode() not in raw_out, f"{p} reached the destination")
    check(p not in open(f"{work}/proxy-p.log", encoding="utf-8", errors="replace").read(), f"{p} in the log")
if "r1" in got_out:
    h = hdrs(got_out["r1"])
    check(("X-Customer-Phone", "***-****-2222") in h, f"r1: mixed-case header masked: {h}")
    check(("trace-bin", "\x01\udcfe\x02") in h, f"r1: binary header passed as it is: {h}")
if "r4" in got_out:
    h = dict(hdrs(got_out["r4"]))
    check(h.get("x-customer-phone") == "***-****-1111", f"r4: header masked: {h}")
    check(h.get("note") == "call [PII]", f"r4: unlisted header scanned: {h}")
if "r5" in got_out:
    h = hdrs(got_out["r5"])
    check([v for n, v in h if n == "X-CUSTOMER-PHONE"] == ["***-****-1111", "***-****-2222"],
          f"r5: every occurrence masked: {h}")
if "r6" in got_out:
    h = hdrs(got_out["r6"])
    own = [n for n, v in h if n.lower().startswith("maskproxy.")]
    check(sorted(own) == ["maskproxy.origin", "maskproxy.policy"], f"r6: only maskproxy's own headers: {own}")
    check(all(v != "forged" for n, v in h), "r6: forged header stripped")
if "tombstone:cust-8" in got_out:
    r = got_out["tombstone:cust-8"]
    check(r["payload"] is None, "r8: still a tombstone")
    check(("X-Customer-Phone", "***-****-1111") in hdrs(r), f"r8: tombstone header masked: {hdrs(r)}")
def reason(r):
    return dict(hdrs(r)).get("maskproxy.dlq.reason"), dict(hdrs(r)).get("maskproxy.dlq.detail", "")
for k, want, part in [("r2", "invalid_utf8", "$key"), ("r3", "invalid_utf8", "$header.legacy"),
                      ("r7", "ambiguous_field_name", "$header.x-customer-phone")]:
    if k not in got_dead: continue
    why, detail = reason(got_dead[k])
    check(why == want, f"{k}: reason {why}, want {want}")
    check(part in detail, f"{k}: detail names {part}: {detail}")
    check("1234567" not in detail and "010-" not in detail, f"{k}: detail holds a value")
check(got_dead.get("r2", {}).get("key", "").startswith("900101-1234567"), "r2: the dead letter holds the raw key")
if fails:
    for m in fails: print("FAIL:", m)
    sys.exit(1)
print(f"ok: {len(out)} masked (keys/headers protected, mixed-case rules, repeated headers, tombstone, forged "
      f"maskproxy.* stripped), {len(dead)} dead letters (non-UTF-8 key and header, ambiguous header name)")
PY
