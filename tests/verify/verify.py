#!/usr/bin/env python3
"""Delivery verifier for maskproxy, independent of the proxy (Python 3 stdlib + kcat).

Reads the source, destination and dead-letter topics with kcat -J
(read_committed, to the end) and matches every output record to its source
record through the maskproxy.origin header ("topic:partition:offset"):

  lost            source records with no output record (destination or dead letter)
  duplicated      origins seen more than once across destination + dead letter
  leaked          (destination record, PII value) pairs where a value of one of
                  --pii-fields of the source record (the string, its JSON-escaped
                  form, and its digits when >= 7 digits) appears in the
                  destination record's key, value or headers
  dead_lettered   records in the dead-letter topic(s) (informational)

and, with --poison-keys-file (the keys of the records that cannot be masked):

  poison_in_dest          poison records that reached a destination topic
  poison_missing_from_dlq poison source records with no dead letter
  valid_in_dlq            dead letters of records that are not poison

plus unknown_origin (origin header naming no record of the given sources) and
no_origin (output record without the header). With --meta (gen_events.py's
metadata: the payments events of the integration tests, policies/payments.yaml)
also, per destination record: key, timestamp and --source-header kept, the
maskproxy.policy header set, the partition the Java (murmur2) partition of the
key (--partitions), bytes outside the policy's fields identical to the source,
token formats, equal inputs -> equal tokens (distinct -> distinct, across fields
sharing a domain), the redacted field gone; per dead letter the expected reason
and no RRN in its detail header (check_meta). Prints one line

  lost=N duplicated=N leaked=N dead_lettered=N source=N destination=N ...

then one FAIL line per failed check (origins only, never a value), and exits
1 if any count that must be 0 is not (2 on usage or kcat errors).

--files reads kcat -J dumps instead of topics (--source/--dest/--dlq are
then file names; no --bootstrap).

The functions (read_topic, load_kcat_json, headers, field_values,
pii_strings, pii_forms, leaks, analyze, check_meta, murmur2, summary_line) can be
imported by other checkers.
"""
import argparse
import functools
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict

DEFAULT_PII_FIELDS = ("user.rrn,user.phone,user.email,user.name,user.address,recipients[*].phone,"
                      "recipients[*].name,payment.card.number,payment.card.holder,memo")

# Counts that must be zero for the run to pass.
MUST_BE_ZERO = ("lost", "duplicated", "leaked", "poison_in_dest", "poison_missing_from_dlq", "valid_in_dlq",
                "unknown_origin", "no_origin")

ORIGIN_HEADER = "maskproxy.origin"
DLQ_REASON_HEADER = "maskproxy.dlq.reason"


# ------------------------------------------------------------------ reading --

def load_kcat_json(lines):
    """Parses kcat -J output (one JSON object per line) into a list of records."""
    recs = []
    for line in lines:
        if isinstance(line, bytes):
            line = line.decode("utf-8", errors="surrogateescape")
        line = line.strip()
        if line:
            recs.append(json.loads(line))
    return recs


def read_topic(bootstrap, topic, read_committed=True, timeout=600, dump_to=None):
    """All records of a topic from the beginning to the end, as kcat -J dicts.

    With read_committed, the end is the last stable offset: records of open
    transactions are not returned (as for any read_committed consumer).
    """
    cmd = ["kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-J",
           "-X", "fetch.wait.max.ms=20"]
    if read_committed:
        cmd += ["-X", "isolation.level=read_committed"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"kcat failed reading {topic} (exit {p.returncode}): "
                           f"{p.stderr.decode(errors='replace').strip()[:500]}")
    if dump_to:
        with open(dump_to, "wb") as f:
            f.write(p.stdout)
    return load_kcat_json(p.stdout.splitlines())


def load_file(path):
    with open(path, "rb") as f:
        return load_kcat_json(f.read().splitlines())


def headers(rec):
    """kcat -J headers (a flat [name, value, ...] list) as a dict (last value wins)."""
    h = rec.get("headers") or []
    return {h[i]: h[i + 1] for i in range(0, len(h) - 1, 2)}


def header_items(rec):
    h = rec.get("headers") or []
    return [(h[i], h[i + 1]) for i in range(0, len(h) - 1, 2)]


def origin_of(rec):
    return f'{rec["topic"]}:{rec["partition"]}:{rec["offset"]}'


def murmur2(data):
    """Kafka's Java default partitioner hash (murmur2) of bytes."""
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


def read_poison_keys(path):
    """Poison keys: gen_events.py's meta JSON ({"poison": {key: reason}}) or one key per line."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and "poison" in doc:
        return set(doc["poison"])
    if isinstance(doc, list):
        return set(doc)
    return {line.strip() for line in text.splitlines() if line.strip()}


# -------------------------------------------------------------- PII values --

_PATH_PART = re.compile(r"^([^\[\]]*)((?:\[\*\])*)$")


def parse_path(path):
    """'recipients[*].phone' -> ['recipients', '*', 'phone']."""
    out = []
    for part in path.split("."):
        m = _PATH_PART.match(part)
        if not m:
            raise ValueError(f"unsupported path: {path}")
        if m.group(1):
            out.append(m.group(1))
        out += ["*"] * (len(m.group(2)) // 3)
    return out


def _leaves(v):
    if isinstance(v, dict):
        for x in v.values():
            yield from _leaves(x)
    elif isinstance(v, list):
        for x in v:
            yield from _leaves(x)
    elif isinstance(v, str):
        yield v


def _select(v, steps):
    if not steps:
        yield from _leaves(v)
        return
    head, rest = steps[0], steps[1:]
    if head == "*":
        if isinstance(v, list):
            for x in v:
                yield from _select(x, rest)
    elif isinstance(v, dict):
        if head in v:
            yield from _select(v[head], rest)


def parse_doc(payload):
    """A JSON object with numbers kept as their raw text; None if not JSON."""
    if payload is None:
        return None
    try:
        return json.loads(payload, parse_int=str, parse_float=str, parse_constant=str)
    except (ValueError, RecursionError):
        return None


def field_values(doc, paths):
    """The string leaves (numbers as raw text) selected by the parsed paths."""
    out = []
    for steps in paths:
        out.extend(_select(doc, steps))
    return out


@functools.lru_cache(maxsize=1 << 16)
def pii_forms(v):
    """The forms in which a PII value counts as leaked: the value and its
    JSON-escaped forms anywhere, and its digits (when there are at least 7) as
    a whole run of digits: "01012345678" leaks 010-1234-5678, but the digits of
    user234.5678@... inside an amount 12345678901234567890 are not that e-mail.
    Returns (substrings, digit runs)."""
    forms = frozenset({v, json.dumps(v)[1:-1], json.dumps(v, ensure_ascii=False)[1:-1]})
    digits = re.sub(r"\D", "", v)
    return forms, (re.compile(r"(?<![0-9])" + digits + r"(?![0-9])") if len(digits) >= 7 else None)


def leaks(forms, hay):
    """Whether hay holds a value in one of its forms (see pii_forms)."""
    substrings, digit_run = forms
    return any(f in hay for f in substrings) or (digit_run is not None and digit_run.search(hay) is not None)


def pii_strings(values, min_len=3):
    """PII values worth searching for (strings of at least min_len characters),
    each mapped to its forms (see pii_forms)."""
    return {v: pii_forms(v) for v in values if isinstance(v, str) and len(v) >= min_len}


def haystack(rec):
    parts = [rec.get("key") or "", rec.get("payload") or ""]
    parts += [f"{k}={v if v is not None else ''}" for k, v in header_items(rec)]
    return "\x00".join(parts)


# ----------------------------------------------------------------- analysis --

def analyze(sources, dests, dlqs, pii_fields=DEFAULT_PII_FIELDS, poison_keys=None, max_examples=3, pii_min_len=3):
    """Counts and examples for lists of kcat -J records of the three kinds of topic.

    Returns (counts, examples): counts maps a name to an int, examples maps a
    failed check to up to max_examples origins (never a value).
    """
    paths = [parse_path(p.strip()) for p in pii_fields.split(",") if p.strip()] if isinstance(pii_fields, str) \
        else [parse_path(p) for p in pii_fields]
    src = {origin_of(r): r for r in sources}
    counts = Counter()
    examples = defaultdict(list)

    def fail(kind, what, n=1):
        counts[kind] += n
        if len(examples[kind]) < max_examples:
            examples[kind].append(what)

    seen = Counter()
    in_dlq = set()
    for r in dests + dlqs:
        o = headers(r).get(ORIGIN_HEADER)
        if o is None:
            fail("no_origin", origin_of(r))
            continue
        seen[o] += 1
    for r in dlqs:
        o = headers(r).get(ORIGIN_HEADER)
        if o is not None:
            in_dlq.add(o)
    for o in src:
        if seen[o] == 0:
            fail("lost", o)
    for o, n in seen.items():
        if n > 1:
            fail("duplicated", f"{o} x{n}")
        if o not in src:
            fail("unknown_origin", o)

    reasons = Counter()
    for r in dests:
        o = headers(r).get(ORIGIN_HEADER)
        s = src.get(o)
        if s is None:
            continue
        if poison_keys is not None and s.get("key") in poison_keys:
            fail("poison_in_dest", f"{o} -> {origin_of(r)}")
        doc = parse_doc(s.get("payload"))
        if doc is None:
            continue
        hay = haystack(r)
        for v, forms in pii_strings(field_values(doc, paths), pii_min_len).items():
            if leaks(forms, hay):
                fail("leaked", f"{o} -> {origin_of(r)} ({len(v)}-character value)")
    for r in dlqs:
        h = headers(r)
        reasons[h.get(DLQ_REASON_HEADER)] += 1
        s = src.get(h.get(ORIGIN_HEADER))
        if s is None or poison_keys is None:
            continue
        if s.get("key") not in poison_keys:
            fail("valid_in_dlq", f"{h.get(ORIGIN_HEADER)} -> {origin_of(r)}")
    poison_in_source = 0
    if poison_keys is not None:
        for o, s in src.items():
            if s.get("key") in poison_keys:
                poison_in_source += 1
                if o not in in_dlq:
                    fail("poison_missing_from_dlq", o)

    counts["dead_lettered"] = len(dlqs)
    counts["source"] = len(src)
    counts["destination"] = len(dests)
    if poison_keys is not None:
        counts["poison"] = poison_in_source
    for k in MUST_BE_ZERO:
        counts.setdefault(k, 0)
    counts["_reasons"] = dict(reasons)
    return counts, examples


# ------------------------------------------- payments events (gen_events.py) --

# The fields policies/payments.yaml protects (blanked before comparing the
# rest of a record byte for byte) and the one it removes.
POLICY_KEYS = "name|rrn|phone|email|address|number|holder|expiry|account|memo"
_VALUE = r'("(?:[^"\\]|\\.)*"|[^,}\]\s]+)'
BLANK_RE = re.compile(r'("(?:' + POLICY_KEYS + r')"\s*:\s*)' + _VALUE)
REMOVED_RE = re.compile(r',\s*"holder"\s*:\s*"(?:[^"\\]|\\.)*"')
TOKEN_RE = re.compile(r"^t1\.(rrn|phone|email|account)\.1\.[A-Za-z0-9_-]{22}$")
# Counts check_meta adds; each must be zero.
META_CHECKS = ("key_changed", "timestamp_changed", "source_header_lost", "policy_header", "partition_not_by_key",
               "unlisted_bytes_changed", "destination_not_json", "unknown_event", "bad_token_format",
               "redacted_field_present", "unequal_tokens_for_equal_input", "equal_tokens_for_distinct_input",
               "wrong_dlq_reason", "pii_in_dlq_header")


def blank(doc):
    return BLANK_RE.sub(lambda m: m.group(1) + "#", REMOVED_RE.sub("", doc))


def shipped_policy_label_prefix():
    """name@version# of policies/payments.yaml, which the tests run."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "policies", "payments.yaml")
    text = open(path, encoding="utf-8").read()
    name = re.search(r"^policy:\s*(\S+)", text, re.M).group(1)
    version = re.search(r"^version:\s*(\d+)", text, re.M).group(1)
    return f"{name}@{version}#"


def check_meta(sources, dests, dlqs, meta, partitions, policy_label_prefix, source_header, max_examples=3):
    """The checks of the payments events of gen_events.py (meta: its --meta JSON)
    on kcat -J records. Returns (counts, examples) over META_CHECKS, plus
    distinct_tokenized_values."""
    src = {origin_of(r): r for r in sources}
    counts = Counter({k: 0 for k in META_CHECKS})
    examples = defaultdict(list)

    def fail(kind, msg):
        counts[kind] += 1
        if len(examples[kind]) < max_examples:
            examples[kind].append(msg)

    sk, sh_name = source_header.split("=", 1)
    token_of = defaultdict(set)  # (domain, raw) -> tokens
    raw_of = defaultdict(set)  # (domain, token) -> raws
    for r in dests:
        h = headers(r)
        origin = h.get(ORIGIN_HEADER)
        s = src.get(origin)
        if s is None or s["key"] in meta["poison"]:
            continue  # unknown_origin / poison_in_dest (analyze)
        payload = r["payload"]
        if r.get("key") != s.get("key"):
            fail("key_changed", origin)
        if r.get("ts") != s.get("ts"):
            fail("timestamp_changed", origin)
        if h.get(sk) != sh_name:
            fail("source_header_lost", origin)
        if not h.get("maskproxy.policy", "").startswith(policy_label_prefix):
            fail("policy_header", origin)
        if r["partition"] != (murmur2(r["key"].encode()) & 0x7FFFFFFF) % partitions:
            fail("partition_not_by_key", origin)
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

    for r in dlqs:
        h = headers(r)
        s = src.get(h.get(ORIGIN_HEADER))
        if s is None:
            continue
        want = meta["poison"].get(s["key"])
        if want is None:
            continue  # valid_in_dlq (analyze)
        got = h.get(DLQ_REASON_HEADER)
        if got != want:
            fail("wrong_dlq_reason", f"{s['key']}: expected {want}, got {got}")
        detail = h.get("maskproxy.dlq.detail", "")
        for v in set(re.findall(r"\d{6}-?\d{7}", s["payload"] or "")):  # the RRNs of a poison record
            if v in detail:
                fail("pii_in_dlq_header", s["key"])
    counts["distinct_tokenized_values"] = len(token_of)
    return counts, examples


POLICY_HEADER = "maskproxy.policy"


def _member(doc, path):
    """(found, value) of a plain dotted path in a parsed document (no [*])."""
    v = doc
    for step in path.split("."):
        if not isinstance(v, dict) or step not in v:
            return False, None
        v = v[step]
    return True, v


def check_versions(dests, dlqs, rules, token_versions=None, max_examples=3):
    """Reload checks (tests/integration/reload_*_test.sh).

    rules: {policy label prefix: {path: "token" | "null"}}. Every destination
    record's maskproxy.policy header must start with one of the prefixes, and
    each path must be masked as that version says: "token" a t1 token string,
    "null" a JSON null (masked_not_as_versioned, unknown_policy_version).

    txn_mixed_versions: within one output partition (destination or dead
    letter), two records at adjacent offsets with different policy headers.
    A transaction's commit writes a control record into every partition it
    wrote to, so two visible records at adjacent offsets belong to one
    transaction (a single writer); a version change there is a transaction
    that mixed two policy versions. version_changes counts the changes seen
    (at offset gaps), to show that the test swapped under load.

    token_versions: {path: n}: per destination partition, the key version of
    the t1 token at path (t1.DOMAIN.VERSION.) never goes down, and the last
    record's is n (token_version_regressed, token_version_final).
    """
    counts = Counter()
    examples = defaultdict(list)

    def note(k, ex):
        counts[k] += 1
        if len(examples[k]) < max_examples:
            examples[k].append(ex)

    for r in dests:
        label = headers(r).get(POLICY_HEADER) or ""
        prefix = next((p for p in rules if label.startswith(p)), None)
        if prefix is None:
            note("unknown_policy_version", origin_of(r))
            continue
        counts["version:" + prefix] += 1
        doc = parse_doc(r.get("payload"))
        for path, kind in rules[prefix].items():
            found, v = _member(doc, path) if isinstance(doc, dict) else (False, None)
            ok = found and ((kind == "null" and v is None) or
                            (kind == "token" and isinstance(v, str) and v.startswith("t1.")))
            if not ok:
                note("masked_not_as_versioned", f"{origin_of(r)} {path} ({prefix})")
    by_partition = defaultdict(list)
    for r in list(dests) + list(dlqs):
        by_partition[(r["topic"], r["partition"])].append(r)
    for tp, recs in by_partition.items():
        recs.sort(key=lambda r: r["offset"])
        for a, b in zip(recs, recs[1:]):
            la, lb = headers(a).get(POLICY_HEADER), headers(b).get(POLICY_HEADER)
            if la == lb:
                continue
            if b["offset"] == a["offset"] + 1:
                note("txn_mixed_versions", f"{origin_of(a)} -> {b['offset']}")
            else:
                counts["version_changes"] += 1
    for path, final in (token_versions or {}).items():
        dest_topics = {d["topic"] for d in dests}
        for tp, recs in by_partition.items():
            if tp[0] not in dest_topics:
                continue
            last = 0
            for r in recs:
                doc = parse_doc(r.get("payload"))
                found, v = _member(doc, path) if isinstance(doc, dict) else (False, None)
                m = re.match(r"t1\.[^.]+\.(\d+)\.", v) if found and isinstance(v, str) else None
                if not m:
                    continue
                ver = int(m.group(1))
                if ver < last:
                    note("token_version_regressed", f"{origin_of(r)} {path} {last} -> {ver}")
                last = max(last, ver)
            if last != final:
                note("token_version_final", f"{tp[0]}:{tp[1]} {path} last version {last}, expected {final}")
    for k in ("masked_not_as_versioned", "unknown_policy_version", "txn_mixed_versions", "token_version_regressed",
              "token_version_final"):
        counts.setdefault(k, 0)
    counts.setdefault("version_changes", 0)
    return counts, examples


def summary_line(counts):
    order = ["lost", "duplicated", "leaked", "dead_lettered", "source", "destination", "poison", "poison_in_dest",
             "poison_missing_from_dlq", "valid_in_dlq", "unknown_origin", "no_origin", "distinct_tokenized_values",
             "masked_not_as_versioned", "unknown_policy_version", "txn_mixed_versions", "version_changes",
             "token_version_regressed", "token_version_final"]
    parts = [f"{k}={counts[k]}" for k in order if k in counts]
    reasons = counts.get("_reasons") or {}
    if reasons:
        parts.append("dlq_reasons=" + ",".join(f"{k}:{v}" for k, v in sorted(reasons.items(), key=str)))
    return " ".join(parts)


def failed(counts):
    return [k for k in MUST_BE_ZERO if counts.get(k, 0) != 0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bootstrap", help="broker to read the topics from (not with --files)")
    ap.add_argument("--files", action="store_true", help="--source/--dest/--dlq are kcat -J dump files, not topics")
    ap.add_argument("--source", action="append", required=True, help="source topic (repeatable)")
    ap.add_argument("--dest", action="append", required=True, help="destination topic (repeatable)")
    ap.add_argument("--dlq", action="append", default=[], help="dead-letter topic (repeatable)")
    ap.add_argument("--poison-keys-file", help="gen_events.py meta JSON, or one poison key per line")
    ap.add_argument("--pii-fields", default=DEFAULT_PII_FIELDS,
                    help="comma-separated JSON paths of PII in the source records ([*] = every array element); "
                         f"default {DEFAULT_PII_FIELDS}")
    ap.add_argument("--expect-dead-lettered", type=int, help="fail unless exactly this many dead letters")
    ap.add_argument("--dump-dir", help="also write the kcat -J dumps here (for debugging)")
    ap.add_argument("--meta", help="gen_events.py meta JSON: also the payments checks (check_meta); implies "
                                   "--poison-keys-file and every PII value, however short")
    ap.add_argument("--partitions", type=int, help="with --meta: destination partition count")
    ap.add_argument("--policy-label-prefix", help="with --meta: maskproxy.policy header prefix "
                                                  "(default: name@version# of policies/payments.yaml)")
    ap.add_argument("--source-header", default="source=e2e", help="with --meta: a source header that must be kept")
    ap.add_argument("--version-rules", help="JSON {policy label prefix: {path: token|null}}: the reload checks "
                                            "(check_versions): masked as the header's version, no transaction "
                                            "mixing two versions")
    ap.add_argument("--token-version", action="append", default=[], metavar="PATH=N",
                    help="with --version-rules: the t1 token key version at PATH never goes down per destination "
                         "partition and ends at N (repeatable)")
    a = ap.parse_args(argv)
    if a.files == bool(a.bootstrap):
        ap.error("give either --bootstrap or --files")
    if a.meta and a.partitions is None:
        ap.error("--meta needs --partitions")

    poison = read_poison_keys(a.poison_keys_file or a.meta) if (a.poison_keys_file or a.meta) else None

    def read_all(topics, kind):
        recs = []
        for i, t in enumerate(topics):
            if a.files:
                recs += load_file(t)
                continue
            dump = os.path.join(a.dump_dir, f"{kind}{i}.jsonl") if a.dump_dir else None
            recs += read_topic(a.bootstrap, t, dump_to=dump)
        return recs

    try:
        if a.dump_dir:
            os.makedirs(a.dump_dir, exist_ok=True)
        sources = read_all(a.source, "source")
        dests = read_all(a.dest, "dest")
        dlqs = read_all(a.dlq, "dlq")
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
        print(f"verify: error: {e}", file=sys.stderr)
        return 2

    counts, examples = analyze(sources, dests, dlqs, a.pii_fields, poison, pii_min_len=1 if a.meta else 3)
    bad = failed(counts)
    if a.meta:
        with open(a.meta, encoding="utf-8") as f:
            meta = json.load(f)
        mcounts, mexamples = check_meta(sources, dests, dlqs, meta, a.partitions,
                                        a.policy_label_prefix or shipped_policy_label_prefix(), a.source_header)
        counts["distinct_tokenized_values"] = mcounts.pop("distinct_tokenized_values")
        for k, n in mcounts.items():
            counts[k] = n
            if n:
                bad.append(k)
                examples[k] = mexamples[k]
    if a.version_rules:
        tv = {p: int(n) for p, n in (x.split("=", 1) for x in a.token_version)}
        vcounts, vexamples = check_versions(dests, dlqs, json.loads(a.version_rules), tv)
        for k, n in vcounts.items():
            counts[k] = n
            if k in ("masked_not_as_versioned", "unknown_policy_version", "txn_mixed_versions",
                     "token_version_regressed", "token_version_final") and n:
                bad.append(k)
                examples[k] = vexamples[k]
    if counts["source"] == 0:  # nothing to check is a failure, not a pass
        bad.append("source")
        examples["source"] = ["no source record read"]
    if a.expect_dead_lettered is not None and counts["dead_lettered"] != a.expect_dead_lettered:
        bad.append("dead_lettered")
        examples["dead_lettered"] = [f"expected {a.expect_dead_lettered}, got {counts['dead_lettered']}"]
    print(summary_line(counts))
    for k in bad:
        print(f"FAIL {k}={counts.get(k)} e.g. {examples.get(k, [])}")
    sys.stdout.flush()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
