#!/usr/bin/env python3
"""Independent check of the proxy's output, from kcat -J dumps.

Reads the source, destination and dead-letter topics as dumped by kcat
(read_committed) and the generator's metadata, and checks that:
  - every source record arrived exactly once (destination or dead letter),
    matched by the maskproxy.origin header;
  - poison records are in the dead-letter topic with the expected reason, and
    nowhere else; valid events are never dead-lettered;
  - no PII value of a source record (read from the raw record itself, raw or
    \\u-escaped, with and without separators) appears in the destination
    record's key, value or headers;
  - bytes outside the policy's fields are identical to the source;
  - equal inputs gave equal tokens (and distinct inputs distinct tokens),
    also across fields sharing a token domain;
  - key, timestamp and source headers are kept; the destination partition is
    the Java (murmur2) partition of the key; policy and origin headers are set.
Prints one summary line and exits 1 on any failure.
"""
import argparse
import json
import re
import sys
from collections import Counter, defaultdict

POLICY_KEYS = "name|rrn|phone|email|address|number|holder|expiry|account|memo"
VALUE = r'("(?:[^"\\]|\\.)*"|[^,}\]\s]+)'
BLANK_RE = re.compile(r'("(?:' + POLICY_KEYS + r')"\s*:\s*)' + VALUE)
REMOVED_RE = re.compile(r',\s*"holder"\s*:\s*"(?:[^"\\]|\\.)*"')
TOKEN_RE = re.compile(r"^t1\.(rrn|phone|email|account)\.1\.[A-Za-z0-9_-]{22}$")


def murmur2(data):
    m, r = 0x5BD1E995, 24
    h = (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    n4 = len(data) // 4
    for i in range(n4):
        k = data[4 * i] | data[4 * i + 1] << 8 | data[4 * i + 2] << 16 | data[4 * i + 3] << 24
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    idx, extra = n4 * 4, len(data) % 4
    if extra == 3:
        h ^= data[idx + 2] << 16
    if extra >= 2:
        h ^= data[idx + 1] << 8
    if extra >= 1:
        h ^= data[idx]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def load(path):
    recs = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            if line.strip():
                recs.append(json.loads(line))
    return recs


def headers(rec):
    h = rec.get("headers") or []
    return {h[i]: h[i + 1] for i in range(0, len(h), 2)}


def blank(doc):
    return BLANK_RE.sub(lambda m: m.group(1) + "#", REMOVED_RE.sub("", doc))


def pii_values(doc):
    """The raw PII values of one source event, read from the event itself."""
    d = json.loads(doc)
    u = d.get("user", {})
    vals = [u.get(k) for k in ("name", "rrn", "phone", "email", "address")]
    card = d.get("payment", {}).get("card", {})
    vals += [card.get("number"), card.get("holder"), d.get("memo")]
    for rcp in d.get("recipients", []):
        vals += [rcp.get("name"), rcp.get("phone")]
    out = set()
    for v in vals:
        if not isinstance(v, str) or not v:
            continue
        out.add(v)
        out.add(json.dumps(v)[1:-1])  # \u-escaped form
        digits = re.sub(r"\D", "", v)
        if len(digits) >= 7:
            out.add(digits)
    return out


def shipped_policy_label_prefix():
    """name@version# of policies/payments.yaml, which the tests run."""
    import os
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "policies", "payments.yaml")
    text = open(path, encoding="utf-8").read()
    name = re.search(r"^policy:\s*(\S+)", text, re.M).group(1)
    version = re.search(r"^version:\s*(\d+)", text, re.M).group(1)
    return f"{name}@{version}#"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meta", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--dest", required=True)
    ap.add_argument("--dlq", required=True)
    ap.add_argument("--partitions", type=int, required=True, help="destination partition count")
    ap.add_argument("--policy-label-prefix", default=shipped_policy_label_prefix())
    ap.add_argument("--source-header", default="source=e2e")
    a = ap.parse_args()
    meta = json.load(open(a.meta, encoding="utf-8"))
    src = {f'{r["topic"]}:{r["partition"]}:{r["offset"]}': r for r in load(a.source)}
    dest, dlq = load(a.dest), load(a.dlq)
    problems = Counter()
    examples = defaultdict(list)

    def fail(kind, msg):
        problems[kind] += 1
        if len(examples[kind]) < 3:
            examples[kind].append(msg)

    seen = Counter()
    for r in dest + dlq:
        origin = headers(r).get("maskproxy.origin")
        if origin is None:
            fail("no_origin_header", f'{r["topic"]}:{r["partition"]}:{r["offset"]}')
            continue
        seen[origin] += 1
    lost = [o for o in src if seen[o] == 0]
    duplicated = [o for o, n in seen.items() if n > 1]
    unknown = [o for o in seen if o not in src]
    for o in lost:
        fail("lost", o)
    for o in duplicated:
        fail("duplicated", o)
    for o in unknown:
        fail("unknown_origin", o)

    sk, sh_name = a.source_header.split("=", 1)
    token_of = defaultdict(set)  # (domain, raw) -> tokens
    raw_of = defaultdict(set)  # (domain, token) -> raws
    leaked = 0
    for r in dest:
        h = headers(r)
        origin = h.get("maskproxy.origin")
        s = src.get(origin)
        if s is None:
            continue
        if s["key"] in meta["poison"]:
            fail("poison_in_destination", origin)
            continue
        payload = r["payload"]
        if r.get("key") != s.get("key"):
            fail("key_changed", origin)
        if r.get("ts") != s.get("ts"):
            fail("timestamp_changed", origin)
        if h.get(sk) != sh_name:
            fail("source_header_lost", origin)
        if not h.get("maskproxy.policy", "").startswith(a.policy_label_prefix):
            fail("policy_header", origin)
        if r["partition"] != (murmur2(r["key"].encode()) & 0x7FFFFFFF) % a.partitions:
            fail("partition_not_by_key", origin)
        haystack = "\x00".join([r.get("key") or "", payload] + [f"{k}={v}" for k, v in h.items()])
        for v in pii_values(s["payload"]):
            if v in haystack:
                leaked += 1
                fail("leaked", f"{origin} (a {len(v)}-character value)")  # never print the value
        if blank(s["payload"]) != blank(payload):
            fail("unlisted_bytes_changed", origin)
        try:
            d = json.loads(payload)
        except ValueError:
            fail("destination_not_json", origin)
            continue
        ids = meta["ids"].get(d.get("event_id"))
        if ids is None:
            fail("unknown_event", origin)
            continue
        pairs = [("rrn", ids["rrn"], d["user"]["rrn"]), ("phone", ids["phone"], d["user"]["phone"]),
                 ("phone", ids["recipient_phone"], d["recipients"][0]["phone"]),
                 ("email", ids["email"], d["user"]["email"])]
        for domain, raw, tok in pairs:
            if not isinstance(tok, str) or not TOKEN_RE.match(tok):
                fail("bad_token_format", origin)
                continue
            token_of[(domain, raw)].add(tok)
            raw_of[(domain, tok)].add(raw)
        if "holder" in d["payment"]["card"]:
            fail("redacted_field_present", origin)
    for (domain, raw), toks in token_of.items():
        if len(toks) != 1:
            fail("unequal_tokens_for_equal_input", f"domain {domain}")
    for (domain, tok), raws in raw_of.items():
        if len(raws) != 1:
            fail("equal_tokens_for_distinct_input", f"domain {domain}")

    reasons = Counter()
    for r in dlq:
        h = headers(r)
        s = src.get(h.get("maskproxy.origin"))
        if s is None:
            continue
        want = meta["poison"].get(s["key"])
        if want is None:
            fail("valid_event_dead_lettered", h.get("maskproxy.origin"))
            continue
        got = h.get("maskproxy.dlq.reason")
        reasons[got] += 1
        if got != want:
            fail("wrong_dlq_reason", f"{s['key']}: expected {want}, got {got}")
        detail = h.get("maskproxy.dlq.detail", "")
        for v in pii_values_safe(s["payload"]):
            if v in detail:
                fail("pii_in_dlq_header", s["key"])

    print(f"source={len(src)} destination={len(dest)} dead_letter={len(dlq)} "
          f"lost={len(lost)} duplicated={len(duplicated)} leaked={leaked} "
          f"distinct_tokenized_values={len(token_of)} dlq_reasons={dict(reasons)}")
    if problems:
        for kind, n in sorted(problems.items()):
            print(f"FAIL {kind}: {n}  e.g. {examples[kind]}")
        sys.exit(1)
    print("OK: every record exactly once, poison only in the dead-letter topic, no PII in the output, "
          "unlisted bytes identical, equal inputs gave equal tokens")


def pii_values_safe(payload):
    """Digit runs of a poison record (RRNs), for checking dead-letter headers."""
    return set(re.findall(r"\d{6}-?\d{7}", payload))


if __name__ == "__main__":
    main()
