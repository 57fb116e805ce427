#!/usr/bin/env bash
# Every action through a real Kafka broker (scripts/kafka.sh), from a source
# given as a pattern (regex subscription), checked with
# kcat as the independent consumer: policies/transfers.yaml (tokenize, fpe,
# encrypt, encrypt_deterministic, generalize, mask, redact, keep, drop of
# unlisted fields) plus rules on the record key and a header, tombstones, and
# `maskproxy reveal` of values read back from the destination topic.
# Usage: transfers_test.sh PATH/TO/maskproxy   (env EVENTS=N, default 2000)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init transfers "${1:-}"
events="${EVENTS:-2000}"
topics_create
# The source as a pattern (a regex subscription): ^<id>[.]raw$
policy_retarget "$ROOT/policies/transfers.yaml" "'^${ID}[.]raw\$'"
keys_generate rrn phone email account contact customer
config_write --txid "$ID-0"

# key<TAB>value lines; an empty value is a tombstone (kcat -Z).
python3 - "$events" >"$WORK/in.tsv" <<'PY'
import json, random, sys
n = int(sys.argv[1]); rnd = random.Random(7)
for i in range(n):
    c = rnd.randrange(200)
    key = f"C-{c:04d}"
    if i % 50 == 49:
        print(f"{key}\t"); continue            # tombstone: a deleted customer
    yy, mm, dd = 60 + c % 40, 1 + c % 12, 1 + c % 28
    rrn = f"{yy:02d}{mm:02d}{dd:02d}-{1 + c % 2}{c:06d}"
    ev = {"transfer_id": f"T-{i}", "occurred_at": "2026-11-26T09:00:00+09:00", "amount": 1000 + i,
          "currency": "KRW",
          "sender": {"rrn": rrn, "birth": rrn, "birth_date": f"19{yy:02d}-{mm:02d}-{dd:02d}",
                     "phone": f"010-{1000 + c:04d}-{5000 + c:04d}", "email": f"user{c}@example.com",
                     "name": "김민준", "address": "서울특별시 강남구 테헤란로 123"},
          "recipients": [{"name": "이서연", "phone": f"010{2000 + c:04d}{3000 + c:04d}", "bank": "088",
                          "account": f"110-{c:03d}-{i:06d}"}],
          "card": {"number": f"5412 7512 {c:04d} 3456"}, "memo": f"call 010-{1000 + c:04d}-{5000 + c:04d}",
          "device_id": f"dev-{c}"}
    print(f"{key}\t{json.dumps(ev, ensure_ascii=False)}")
print("C-9999\tnot json")
print('C-9998\t{"sender":{"phone":"010-12"}}')
PY
total=$((events + 2))
produce_file "$WORK/in.tsv" -Z -H x-customer-phone=010-9999-8888 -H trace=abc

proxy_start p
wait_output "$total"
proxy_term p

for t in "$SRC" "$DST" "$DLQ"; do dump_topic "$t" "$WORK/$t.json"; done
python3 - "$WORK" "$SRC" "$DST" "$DLQ" "$ROOT/tests/verify" <<'PY'
import json, re, sys
work, src, dst, dlq, verify_dir = sys.argv[1:]
sys.path.insert(0, verify_dir)
from verify import murmur2
def load(t): return [json.loads(l) for l in open(f"{work}/{t}.json", encoding="utf-8")]
def hdrs(r):
    h = r.get("headers") or []
    return {h[i]: h[i + 1] for i in range(0, len(h), 2)}
source = {f"{src}:{r['partition']}:{r['offset']}": r for r in load(src)}
out, dead = load(dst), load(dlq)
fails = []
def check(cond, msg):
    if not cond: fails.append(msg)
check(len(out) + len(dead) == len(source), f"{len(out)}+{len(dead)} records for {len(source)} sources")
check(len(dead) == 2, f"{len(dead)} dead letters, want 2")
check(sorted(hdrs(d).get("maskproxy.dlq.reason") for d in dead) == ["invalid_json", "value_too_short"],
      "dead-letter reasons")
key_map, tombstones, revealable = {}, 0, []
for r in out:
    h = hdrs(r)
    s = source[h["maskproxy.origin"]]
    mk = r["key"]
    check(re.fullmatch(r"t1\.customer\.1\.[A-Za-z0-9_-]{22}", mk or ""), f"key not a token: {mk!r}")
    check(key_map.setdefault(s["key"], mk) == mk, "equal source keys gave different masked keys")
    check(r["partition"] == (murmur2(mk.encode()) & 0x7FFFFFFF) % 3, "partition is not murmur2 of the masked key")
    check("x-customer-phone" not in h, "header rule did not remove x-customer-phone")
    check(h.get("trace") == "abc", "other headers are kept")
    check(h.get("maskproxy.keys") == "account:1,contact:1,phone:1", f"maskproxy.keys = {h.get('maskproxy.keys')}")
    if s["payload"] is None:
        tombstones += 1
        check(r["payload"] is None, "a tombstone must stay a tombstone")
        continue
    v, sv = json.loads(r["payload"]), json.loads(s["payload"])
    check("device_id" not in v and "memo" in v and v["memo"] is None, "unlisted dropped, memo null")
    check(v["sender"]["birth"][-2:] in ("-M", "-F") and v["sender"]["birth_date"] == sv["sender"]["birth_date"][:4],
          "generalize")
    check(re.fullmatch(r"010-\d{4}-\d{4}", v["sender"]["phone"]) and v["sender"]["phone"] != sv["sender"]["phone"],
          "fpe keeps the phone's shape")
    check(v["sender"]["email"].startswith("e2.contact.1."), "encrypt output")
    check(v["recipients"][0]["account"].startswith("d1.account.1."), "encrypt_deterministic output")
    check(v["sender"]["address"] == "서울특별시 강남구", "district")
    blob = json.dumps(r, ensure_ascii=False)
    for pii in (sv["sender"]["rrn"], sv["sender"]["phone"], sv["sender"]["email"], sv["recipients"][0]["account"],
                sv["recipients"][0]["phone"], "테헤란로", "김민준", s["key"], "010-9999-8888"):
        check(pii not in blob, "raw PII in the destination")
    if len(revealable) < 20:
        revealable.append((v["sender"]["email"], sv["sender"]["email"], v["sender"]["phone"], sv["sender"]["phone"]))
check(tombstones >= 1, "no tombstone arrived")
with open(f"{work}/reveal.tsv", "w") as f:
    for row in revealable: f.write("\t".join(row) + "\n")
if fails:
    from collections import Counter
    for m, n in Counter(fails).most_common(): print(f"FAIL ({n}x): {m}")
    sys.exit(1)
print(f"ok: {len(out)} masked ({tombstones} tombstones), {len(dead)} dead letters; keys, headers, partitions, "
      f"formats and absence of PII checked")
PY

# Reveal what analysts hold, as an operator would, and compare with the source.
# Offline break-glass (reveal --offline): a config with an audit trail of its own.
"$BIN" keys generate --out "$WORK/audit-key.yaml" audit 2>/dev/null || fail "keys generate (audit) failed"
config_write --out "$WORK/reveal-config.yaml" --extra $'audit:\n  file: audit.log\n  key_file: audit-key.yaml'
R=(--offline --config "$WORK/reveal-config.yaml" --route transfers --topic "$SRC" --ticket E2E-1 --reason audit)
cut -f1 "$WORK/reveal.tsv" | "$BIN" reveal "${R[@]}" --field sender.email - >"$WORK/emails.txt"
cut -f3 "$WORK/reveal.tsv" | "$BIN" reveal "${R[@]}" --field sender.phone --key-version 1 - >"$WORK/phones.txt"
diff <(cut -f2 "$WORK/reveal.tsv") "$WORK/emails.txt" >/dev/null || { echo "FAIL: revealed emails differ"; exit 1; }
diff <(cut -f4 "$WORK/reveal.tsv") "$WORK/phones.txt" >/dev/null || { echo "FAIL: revealed phones differ"; exit 1; }
if grep -q "@example.com" "$WORK/audit.log"; then echo "FAIL: audit log holds a value"; exit 1; fi
echo "ok: $(wc -l <"$WORK/emails.txt") emails and phones read from Kafka revealed to their source values; 2 audit lines"
