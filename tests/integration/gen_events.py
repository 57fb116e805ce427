#!/usr/bin/env python3
"""Generates raw payment events for the end-to-end test.

Writes a kcat producer input file (key TAB value per line) and a JSON file
describing what was generated: the PII values (which must never appear in
the output), the poison records (which must land only in the dead-letter
topic) and, per event id, the payer's raw identifiers (to check that equal
inputs gave equal tokens).

Events reuse a pool of users, so the same RRN, phone and email recur; the
formatting varies (spaces, \\u escapes, big numbers) to check that bytes
outside the masked fields survive unchanged.
"""
import argparse
import json
import random

SURNAMES = "김이박최정강조윤장임"
GIVEN = ["민준", "서연", "지훈", "하은", "도윤", "수아", "예준", "지우", "시우", "서윤"]


def rrn(rng):
    yy = rng.randint(50, 99)
    mm = rng.randint(1, 12)
    dd = rng.randint(1, 28)
    g = rng.choice("12")
    return f"{yy:02d}{mm:02d}{dd:02d}-{g}{rng.randint(0, 999999):06d}"


def phone(rng):
    return f"010-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"


def card(rng):
    return " ".join(f"{rng.randint(0, 9999):04d}" for _ in range(4))


def make_users(rng, n):
    users = []
    seen = set()
    while len(users) < n:
        u = {
            "id": f"u-{len(users):05d}",
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "rrn": rrn(rng),
            "phone": phone(rng),
            "email": f"user{len(users)}.{rng.randint(1000, 9999)}@example.co.kr",
            "address": f"서울특별시 {rng.choice(['강남구', '마포구', '종로구'])} {rng.randint(1, 999)}번길 {rng.randint(1, 99)}",
        }
        if u["rrn"] in seen or u["phone"] in seen:
            continue
        seen.update([u["rrn"], u["phone"]])
        users.append(u)
    return users


def esc_all(s):
    return "".join(f"\\u{ord(c):04x}" for c in s)


def event(rng, i, users):
    u = users[rng.randrange(len(users))]
    r = users[rng.randrange(len(users))]
    style = i % 4
    rrn_text = u["rrn"] if style != 1 else u["rrn"].replace("-", "")
    sp = " " if style == 2 else ""
    name_json = json.dumps(u["name"], ensure_ascii=(style == 3))
    rrn_json = f'"{esc_all(rrn_text)}"' if style == 3 else json.dumps(rrn_text)
    card_no = card(rng)
    amount = rng.choice(["125000", "8900", "12345678901234567890", "1e400", "-0.5E-3", "99.990"])
    memo = f"메모 {i}: 연락처 {u['phone']}"
    # Unlisted fields with awkward bytes: escapes, tabs, unicode, big numbers.
    extra = '"tags":["a\\tb","\\"q\\"","\\u00e9\\ud83d\\ude00"],"ratio":0.1000,"nested":{"k":[1,{"z":null}],"ok":true}'
    doc = (
        f'{{"event_id":{sp}"evt-{i:06d}",{sp}"event_type":"payment.approved",'
        f'"user":{{"id":"{u["id"]}","name":{sp}{name_json},"rrn":{sp}{rrn_json},'
        f'"phone":"{u["phone"]}","email":"{u["email"]}","address":"{u["address"]}"}},'
        f'"payment":{{"amount":{sp}{amount},"currency":"KRW","card":{{"number":"{card_no}",'
        f'"expiry":"12/2{i % 10}","holder":"HOLDER {u["id"]}"}}}},'
        f'"recipients":[{{"name":"{r["name"]}","phone":"{r["phone"]}"}}],'
        f'"memo":"{memo}",{extra}}}'
    )
    pii = [u["name"], u["rrn"], u["rrn"].replace("-", ""), u["phone"], u["phone"].replace("-", ""),
           u["email"], u["address"], card_no, card_no.replace(" ", ""), f"HOLDER {u['id']}", r["name"],
           r["phone"], r["phone"].replace("-", ""), memo]
    ids = {"rrn": u["rrn"].replace("-", ""), "phone": u["phone"].replace("-", ""),
           "recipient_phone": r["phone"].replace("-", ""), "email": u["email"]}
    return doc, pii, ids


POISON = [
    ("invalid_json", 'not json: 주민번호 {rrn}'),
    ("invalid_json", '{{"event_id":"poison-{i}","user":{{"rrn":"{rrn}"}}'),
    ("invalid_json", '{{"user":{{"rrn":"{rrn}",}}}}'),
    ("not_object", '["{rrn}"]'),
    ("invalid_utf8", '{{"user":{{"rrn":"{rrn}","name":"\\ud800"}}}}'),
    ("depth_exceeded", '{{"user":{{"rrn":"{rrn}"}},"deep":' + "[" * 200 + "]" * 200 + "}}"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--poison", type=int, default=60)
    ap.add_argument("--users", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True, help="kcat input: key TAB value per line")
    ap.add_argument("--meta", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    users = make_users(rng, a.users)
    poison_at = set(rng.sample(range(a.events + a.poison), a.poison))
    pii, ids, poison = set(), {}, {}
    with open(a.out, "w", encoding="utf-8") as f:
        ev = 0
        for n in range(a.events + a.poison):
            if n in poison_at:
                reason, tmpl = POISON[len(poison) % len(POISON)]
                u = users[rng.randrange(len(users))]
                marker = f"poison-{len(poison):04d}"
                value = tmpl.format(i=len(poison), rrn=u["rrn"])
                key = marker
                poison[marker] = reason
            else:
                value, p, i = event(rng, ev, users)
                pii.update(p)
                ids[f"evt-{ev:06d}"] = i
                key = users[ev % len(users)]["id"]
                ev += 1
            assert "\t" not in key and "\n" not in value
            f.write(f"{key}\t{value}\n")
    json.dump({"pii": sorted(pii), "ids": ids, "poison": poison, "events": a.events}, open(a.meta, "w"),
              ensure_ascii=False)


if __name__ == "__main__":
    main()
