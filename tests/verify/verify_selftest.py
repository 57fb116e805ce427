#!/usr/bin/env python3
"""Self-test of verify.py's analysis on synthetic kcat -J records (no broker).

Each check feeds records with one known defect and expects exactly that count.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify  # noqa: E402

SRC_DOC = {"user": {"rrn": "900101-1234567", "phone": "010-1234-5678", "email": "A.B@example.com", "name": "김민준"},
           "recipients": [{"phone": "010-9999-8888", "name": "이서연"}], "payment": {"card": {"number": "5412 7512 3412 3456"}},
           "memo": "hi", "amount": 12}
MASKED = {"user": {"rrn": "t1.rrn.1.AAAAAAAAAAAAAAAAAAAAAA", "phone": "t1.phone.1.BBBBBBBBBBBBBBBBBBBBBB",
                   "email": "t1.email.1.CCCCCCCCCCCCCCCCCCCCCC", "name": "김**"},
          "recipients": [{"phone": "t1.phone.1.DDDDDDDDDDDDDDDDDDDDDD", "name": "이**"}],
          "payment": {"card": {"number": "5412 75** **** 3456"}}, "memo": None, "amount": 12}


def rec(topic, partition, offset, payload, key="k", hdrs=None):
    h = []
    for k, v in (hdrs or {}).items():
        h += [k, v]
    return {"topic": topic, "partition": partition, "offset": offset, "key": key, "payload": payload, "headers": h}


def out(offset, origin, payload, topic="dst", key="k", extra=None):
    h = {"maskproxy.origin": origin}
    h.update(extra or {})
    return rec(topic, 0, offset, payload, key, h)


def sources():
    s = [rec("src", 0, i, json.dumps(SRC_DOC, ensure_ascii=False)) for i in range(3)]
    s.append(rec("src", 0, 3, "not json 900101-1234567", key="poison-0000"))
    return s


def good():
    d = [out(i, f"src:0:{i}", json.dumps(MASKED, ensure_ascii=False)) for i in range(3)]
    q = [out(0, "src:0:3", "not json 900101-1234567", topic="dlq", key="poison-0000",
             extra={"maskproxy.dlq.reason": "invalid_json"})]
    return d, q


def run(src, dst, dlq, poison=frozenset({"poison-0000"})):
    counts, _ = verify.analyze(src, dst, dlq, verify.DEFAULT_PII_FIELDS, set(poison))
    return {k: v for k, v in counts.items() if k in verify.MUST_BE_ZERO and v}


def meta_case():
    """Two payments-like events (gen_events.py's shape) with the same user, their
    masked forms and the metadata: what check_meta (verify.py --meta) checks."""
    meta = {"ids": {}, "poison": {"poison-0000": "invalid_json"}}
    src, dst = [], []
    tok = {"rrn": "t1.rrn.1." + "A" * 22, "phone": "t1.phone.1." + "B" * 22, "rphone": "t1.phone.1." + "C" * 22,
           "email": "t1.email.1." + "D" * 22}
    for i in range(2):
        ev = (f'{{"event_id":"e{i}","user":{{"rrn":"900101-1234567","phone":"010-1234-5678","email":"a@example.com"}},'
              f'"payment":{{"card":{{"number":"5412","holder":"HOLDER"}}}},"recipients":[{{"phone":"010-9999-8888"}}],'
              f'"amount":{i}}}')
        masked = (f'{{"event_id":"e{i}","user":{{"rrn":"{tok["rrn"]}","phone":"{tok["phone"]}","email":"{tok["email"]}"}},'
                  f'"payment":{{"card":{{"number":"54**"}}}},"recipients":[{{"phone":"{tok["rphone"]}"}}],"amount":{i}}}')
        meta["ids"][f"e{i}"] = {"rrn": "900101-1234567", "phone": "010-1234-5678", "recipient_phone": "010-9999-8888",
                                "email": "a@example.com"}
        key = f"k{i}"
        s = rec("src", 0, i, ev, key=key, hdrs={"source": "e2e"})
        s["ts"] = 1000 + i
        src.append(s)
        d = rec("dst", (verify.murmur2(key.encode()) & 0x7FFFFFFF) % 3, i, masked, key=key,
                hdrs={"source": "e2e", "maskproxy.policy": "payments@1#abc", "maskproxy.origin": f"src:0:{i}"})
        d["ts"] = 1000 + i
        dst.append(d)
    return src, dst, meta


def run_meta(src, dst, dlq, meta):
    counts, _ = verify.check_meta(src, dst, dlq, meta, 3, "payments@1#", "source=e2e")
    return {k: v for k, v in counts.items() if k in verify.META_CHECKS and v}


def main():
    failures = 0

    def expect(name, got, want):
        nonlocal failures
        ok = got == want
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {got}" + ("" if ok else f" (want {want})"))

    d, q = good()
    expect("clean run", run(sources(), d, q), {})
    expect("lost", run(sources(), d[:2], q), {"lost": 1})
    expect("duplicated", run(sources(), d + [d[0]], q), {"duplicated": 1})
    expect("duplicated across dest and dlq", run(sources(), d, q + [out(9, "src:0:0", "x", topic="dlq")]),
           {"duplicated": 1, "valid_in_dlq": 1})
    leak = dict(MASKED, user=dict(MASKED["user"], rrn="900101-1234567"))
    expect("leak raw", run(sources(), [out(0, "src:0:0", json.dumps(leak, ensure_ascii=False))] + d[1:], q),
           {"leaked": 1})
    leak = dict(MASKED, user=dict(MASKED["user"], phone="01012345678"))
    expect("leak digits only", run(sources(), [out(0, "src:0:0", json.dumps(leak))] + d[1:], q), {"leaked": 1})
    leak = dict(MASKED, user=dict(MASKED["user"], phone="tel 01012345678."))
    expect("leak digits only, between other text", run(sources(), [out(0, "src:0:0", json.dumps(leak))] + d[1:], q),
           {"leaked": 1})
    # The e-mail's digits 2345678 inside a longer number (an amount) are not
    # the e-mail (a CI run's generated amount was 12345678901234567890).
    src_doc = dict(SRC_DOC, user=dict(SRC_DOC["user"], email="user234.5678@example.co.kr"))
    src = [rec("src", 0, 0, json.dumps(src_doc, ensure_ascii=False))] + sources()[1:]
    amount = json.dumps(dict(MASKED, amount=12345678901234567890), ensure_ascii=False)
    expect("a value's digits inside a longer number", run(src, [out(0, "src:0:0", amount)] + d[1:], q), {})
    amount = json.dumps(dict(MASKED, amount=2345678), ensure_ascii=False)
    expect("a value's digits as a whole number", run(src, [out(0, "src:0:0", amount)] + d[1:], q), {"leaked": 1})
    leak = dict(MASKED, user=dict(MASKED["user"], name="김민준"))
    expect("leak \\u-escaped", run(sources(), [out(0, "src:0:0", json.dumps(leak))] + d[1:], q), {"leaked": 1})
    expect("leak in a header", run(sources(), [out(0, "src:0:0", d[0]["payload"], extra={"x": "a@A.B@example.com"})]
                                   + d[1:], q), {"leaked": 1})
    expect("leak in the key", run(sources(), [out(0, "src:0:0", d[0]["payload"], key="010-9999-8888")] + d[1:], q),
           {"leaked": 1})
    expect("poison in destination", run(sources(), d + [out(5, "src:0:3", "not json", key="poison-0000")], []),
           {"poison_in_dest": 1, "poison_missing_from_dlq": 1})
    expect("valid record dead-lettered", run(sources(), d[1:], q + [out(1, "src:0:0", "{}", topic="dlq")]),
           {"valid_in_dlq": 1})
    expect("unknown origin", run(sources(), d + [out(7, "src:0:99", "{}")], q), {"unknown_origin": 1})
    expect("no origin header", run(sources(), d + [rec("dst", 0, 8, "{}")], q), {"no_origin": 1})
    expect("paths", verify.field_values(verify.parse_doc('{"a": [{"b": "x"}, {"b": ["y", {"c": "z"}]}], "n": 123}'),
                                        [verify.parse_path("a[*].b"), verify.parse_path("n")]), ["x", "y", "z", "123"])
    expect("poison keys from lines", verify.read_poison_keys(os.devnull), set())
    src, dst, meta = meta_case()
    expect("meta: clean run", run_meta(src, dst, [], meta), {})
    bad = [dict(dst[0], key="k9")] + dst[1:]  # (k9 has k0's partition)
    expect("meta: key changed", run_meta(src, bad, [], meta), {"key_changed": 1})
    bad = [dict(dst[0], partition=(dst[0]["partition"] + 1) % 3)] + dst[1:]
    expect("meta: partition not by key", run_meta(src, bad, [], meta), {"partition_not_by_key": 1})
    bad = [dict(dst[0], payload=dst[0]["payload"].replace('"amount":0', '"amount":7'))] + dst[1:]
    expect("meta: unlisted bytes changed", run_meta(src, bad, [], meta), {"unlisted_bytes_changed": 1})
    bad = [dst[0], dict(dst[1], payload=dst[1]["payload"].replace("A" * 22, "Z" * 22))]
    expect("meta: unequal tokens", run_meta(src, bad, [], meta), {"unequal_tokens_for_equal_input": 1})
    bad = [dst[0], dict(dst[1], payload=dst[1]["payload"].replace('"54**"}', '"54**","holder":"x"}'))]
    expect("meta: redacted field kept", run_meta(src, bad, [], meta), {"redacted_field_present": 1})
    psrc = src + [rec("src", 0, 2, "not json 900101-1234567", key="poison-0000")]
    dl = out(0, "src:0:2", "x", topic="dlq", key="poison-0000",
             extra={"maskproxy.dlq.reason": "not_object", "maskproxy.dlq.detail": "at 900101-1234567"})
    expect("meta: dead letter reason and detail", run_meta(psrc, dst, [dl], meta),
           {"wrong_dlq_reason": 1, "pii_in_dlq_header": 1})
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
