#!/usr/bin/env bash
# Free-text PII scanning and the schema-drift guard through a real Kafka
# broker (scripts/kafka.sh), checked with kcat as the independent consumer:
# policies/support.yaml scans ticket text (action: scan) and every field it
# does not name (unlisted_fields: scan). Checks that no planted PII value
# reaches the destination in any form, that the text around it is kept, that
# equal values give equal tokens, that the drift is reported in the audit
# trail and the log without values, and that an encrypted hit read back from
# Kafka is revealed with --field '$scan.email'. The record key and a header no
# rule names are scanned too.
# Usage: scan_test.sh PATH/TO/maskproxy   (env EVENTS=N, default 2000)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init support "${1:-}"
events="${EVENTS:-2000}"
topics_create
policy_retarget "$ROOT/policies/support.yaml"
keys_generate rrn phone contact account customer
# The audit trail (audit:) with its own key file, apart from keys.yaml.
"$BIN" keys generate --out "$WORK/audit-key.yaml" audit 2>/dev/null || fail "keys generate (audit) failed"
config_write --txid "$ID-0" --extra $'audit:\n  file: audit.jsonl\n  key_file: audit-key.yaml'

# Tickets with PII planted in the text and in fields the policy does not
# name; pii.json lists, per ticket id, every planted value (and its digits).
python3 - "$events" "$WORK/pii.json" >"$WORK/in.txt" <<'PY'
import json, random, sys
n, pii_path = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(11)
def luhn_digit(body):
    s = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        s += d - 9 if d > 9 else d
    return str((10 - s % 10) % 10)
fw = str.maketrans("0123456789-", "０１２３４５６７８９－")
planted = {}
for i in range(n):
    c = rnd.randrange(300)
    phone = f"010-{1000 + c:04d}-{5000 + c:04d}"
    yy, mm, dd = 70 + c % 30, 1 + c % 12, 1 + c % 28
    rrn = f"{yy:02d}{mm:02d}{dd:02d}-{1 + c % 2}{rnd.randrange(10**6):06d}"
    body15 = "4" + "".join(str(rnd.randrange(10)) for _ in range(14))
    card = body15 + luhn_digit(body15)
    card_text = " ".join(card[k:k + 4] for k in range(0, 16, 4))
    email = f"user{c}@example.com"
    account = f"110-{c:03d}-{rnd.randrange(10**6):06d}"
    tid = f"S-{i}"
    kind = i % 4
    if kind == 0:
        body = f"고객님 연락처 {phone}로 회신 바랍니다. 주문번호 ORD-2026112600{i:04d} 확인."
        vals = [phone]
    elif kind == 1:
        body = f"Refund to 신한 계좌 {account} please; card {card_text} was charged twice at 09:30."
        vals = [account, card]
    elif kind == 2:
        body = f"주민번호 {rrn} 본인확인 요청, 메일 {email} 으로 결과 안내"
        vals = [rrn, email]
    else:
        body = f"전화 {phone.translate(fw)} 로 연락\u200b주세요. 금액 1,234,567원"
        vals = [phone]
    ev = {"ticket_id": tid, "opened_at": "2026-11-26T09:00:00+09:00", "channel": "chat",
          "customer": {"id": f"C-{c:04d}", "rrn": rrn, "phone": phone}, "subject": "환불 문의", "body": body}
    if i % 10 == 0:  # drift: a field nobody listed, carrying a phone number
        ev["agent_note"] = f"callback {phone} after 6pm"
        vals.append(phone)
    if i % 25 == 0:  # drift, nested in an array: an RRN from a scanned ID card
        ev["attachments"] = [{"name": "id.png", "ocr_text": f"주민등록번호 {rrn} 홍길동"}]
        vals.append(rrn)
    vals += [rrn, phone, f"C-{c:04d}"]
    key = f"cust-{c}"
    if i % 7 == 0:  # drift in the record key: a phone number as the key
        key = phone
        vals.append(phone)
    planted[tid] = sorted(set(vals))
    print(key + "\t" + json.dumps(ev, ensure_ascii=False))
print("cust-x\t{not json 010-9999-8888")
json.dump(planted, open(pii_path, "w"))
PY
total=$((events + 1))
# Every record also carries a header nobody listed, with a phone number in it.
produce_file "$WORK/in.txt" -H "x-callback=call 010-4444-5555 after 6pm" -H trace=t-1

proxy_start p
wait_output "$total"
proxy_term p
"$BIN" audit verify --config "$WORK/config.yaml" >"$WORK/verify.txt" || fail "audit verify: $(cat "$WORK/verify.txt")"

for t in "$DST" "$DLQ"; do dump_topic "$t" "$WORK/$t.json"; done
python3 - "$WORK" "$DST" "$DLQ" "$events" <<'PY'
import json, re, sys
from collections import Counter
work, dst, dlq, events = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
planted = json.load(open(f"{work}/pii.json"))
out = [json.loads(l) for l in open(f"{work}/{dst}.json", encoding="utf-8")]
dead = [json.loads(l) for l in open(f"{work}/{dlq}.json", encoding="utf-8")]
fails = []
def check(cond, msg):
    if not cond: fails.append(msg)
check(len(out) == events, f"{len(out)} masked records, want {events}")
check(len(dead) == 1, f"{len(dead)} dead letters, want 1")
seen, phone_tokens, reveal = set(), {}, []
tok = r"t1\.phone\.1\.[A-Za-z0-9_-]{22}"
for r in out:
    v = json.loads(r["payload"])
    tid = v["ticket_id"]
    check(tid not in seen, f"duplicate {tid}")
    seen.add(tid)
    i = int(tid[2:])
    blob = r["payload"]
    digits_blob = re.sub(r"\D", "", blob)
    for p in planted[tid] + ["010-4444-5555"]:
        check(p not in blob and p not in (r["key"] or "") and p not in json.dumps(r.get("headers")),
              f"raw PII in the destination ({tid})")
        d = re.sub(r"\D", "", p)
        if len(d) >= 10: check(d not in digits_blob, f"PII digits in the destination ({tid})")
    check(v["subject"] == "환불 문의", "text without PII is kept")
    body, kind = v["body"], i % 4
    if kind == 0:
        check(re.fullmatch(rf"고객님 연락처 {tok}로 회신 바랍니다\. 주문번호 ORD-2026112600{i:04d} 확인\.", body),
              "kind 0: phone tokenized, the order id and the rest kept")
    elif kind == 1:
        check(re.fullmatch(r"Refund to 신한 계좌 t1\.account\.1\.[A-Za-z0-9_-]{22} please; card "
                           r"4\d{3} \d{2}\*\* \*{4} \d{4} was charged twice at 09:30\.", body),
              "kind 1: account tokenized, card BIN and last 4, the rest kept")
    elif kind == 2:
        m = re.fullmatch(r"주민번호 t1\.rrn\.1\.[A-Za-z0-9_-]{22} 본인확인 요청, 메일 (d1\.contact\.1\.[A-Za-z0-9_-]+) "
                         r"으로 결과 안내", body)
        check(m, "kind 2: rrn tokenized, email encrypted, the rest kept")
        if m and len(reveal) < 10: reveal.append((m.group(1), tid))
    else:
        check(re.fullmatch(rf"전화 {tok} 로 연락\u200b주세요\. 금액 1,234,567원", body),
              "kind 3: a full-width phone with a zero-width space tokenized, the rest kept")
    # The ruled phone field and the phone in the text give one token.
    if kind in (0, 3):
        check(re.search(tok, body) and re.search(tok, body).group(0) == v["customer"]["phone"],
              "a scanned phone joins with the customer.phone token")
    if i % 10 == 0:
        check(re.fullmatch(rf"callback {tok} after 6pm", v.get("agent_note", "")), "drift field scanned")
    if i % 25 == 0:
        check(re.fullmatch(r"주민등록번호 t1\.rrn\.1\.[A-Za-z0-9_-]{22} 홍길동", v["attachments"][0]["ocr_text"]),
              "nested drift field scanned")
    check(v["customer"]["id"].startswith("t1.customer.1."), "customer id tokenized")
    h = r.get("headers") or []
    hd = {h[k]: h[k + 1] for k in range(0, len(h), 2)}
    check(re.fullmatch(rf"call {tok} after 6pm", hd.get("x-callback", "")), "an unlisted header is scanned")
    check(hd.get("trace") == "t-1", "headers without PII are kept")
    if i % 7 == 0:
        check(re.fullmatch(tok, r["key"] or ""), "a phone as the record key is tokenized")
    else:
        check(re.fullmatch(r"cust-\d+", r["key"] or ""), "a key without PII is kept")
check(len(seen) == events, "every ticket arrived once")
# The audit trail: first sightings of drift, never a value.
# Drift sightings: the trail's schema_drift entries, or (until the pipeline
# writes them through the trail) the unlisted_pii lines of audit.jsonl.drift.
import os
audit_files = [f for f in (f"{work}/audit.jsonl", f"{work}/audit.jsonl.drift") if os.path.exists(f)]
audit = [json.loads(l) for f in audit_files for l in open(f, encoding="utf-8")]
drift = [a for a in audit if a["event"] in ("unlisted_pii", "schema_drift")]
events_seen = {(a["field"], a["detector"]) for a in drift}
check(("agent_note", "phone_kr") in events_seen, f"audit: agent_note carried phone_kr ({events_seen})")
check(("attachments[*].ocr_text", "rrn") in events_seen, f"audit: attachments[*].ocr_text carried rrn ({events_seen})")
check(("$header.x-callback", "phone_kr") in events_seen, f"audit: a header carried phone_kr ({events_seen})")
check(("$key", "phone_kr") in events_seen, f"audit: the key carried phone_kr ({events_seen})")
check(all(a["topic"].endswith(".raw") for a in drift), "audit names the topic")
logs = open(f"{work}/proxy-p.log", encoding="utf-8").read() + "".join(open(f, encoding="utf-8").read() for f in audit_files)
for tid, vals in planted.items():
    for p in vals + ["010-4444-5555"]:
        if p.startswith("C-"): continue
        check(p not in logs, "a PII value in the log or the audit trail")
check("unlisted_pii" in open(f"{work}/proxy-p.log", encoding="utf-8").read(), "drift logged")
with open(f"{work}/reveal.tsv", "w") as f:
    for ct, tid in reveal: f.write(f"{ct}\t{tid}\n")
if fails:
    for m, n in Counter(fails).most_common(): print(f"FAIL ({n}x): {m}")
    sys.exit(1)
print(f"ok: {len(out)} tickets masked, 1 dead letter; no planted PII in the destination, log or audit trail; "
      f"text kept around the hits; scanned and ruled phones join; {len(events_seen)} drift sightings audited")
PY

# Reveal e-mail addresses found in the text, read back from Kafka.
# Offline break-glass (reveal --offline): the config with a trail of its own
# (the proxy's may still be open).
sed 's/audit\.jsonl/reveal-audit.log/' "$WORK/config.yaml" >"$WORK/reveal-config.yaml"
R=(--offline --config "$WORK/reveal-config.yaml" --route support --topic "$SRC" --ticket E2E-1 --reason audit)
cut -f1 "$WORK/reveal.tsv" | "$BIN" reveal "${R[@]}" --field '$scan.email' - >"$WORK/emails.txt"
python3 - "$WORK" <<'PY'
import json, re, sys
work = sys.argv[1]
planted = json.load(open(f"{work}/pii.json"))
rows = [l.rstrip("\n").split("\t") for l in open(f"{work}/reveal.tsv")]
got = [l.rstrip("\n") for l in open(f"{work}/emails.txt")]
assert len(rows) == len(got) and rows, "reveal gave a line per value"
for (ct, tid), email in zip(rows, got):
    assert email in planted[tid] and "@" in email, f"revealed e-mail of {tid} is not the planted one"
print(f"ok: {len(got)} e-mail addresses found in ticket text revealed from Kafka with --field '$scan.email'")
PY
if grep -q "@example.com" "$WORK/reveal-audit.log"; then echo "FAIL: audit log holds a value"; exit 1; fi
