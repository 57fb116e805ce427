#!/usr/bin/env bash
# One record too large for Kafka must not stop an instance (README "Record
# size limits"), against a real broker, checked with kcat (read_committed, an
# independent consumer). Per phase, on one source partition: normal events,
# a valid record just under the destination's limit (passes masked), a valid
# record over it but under limits.max_record_bytes, a 2 MB valid record and a
# 2 MB invalid one (its dead letter is 2 MB), then more normal events after
# them. Checked: every normal event arrived exactly once (by
# maskproxy.origin) and masked; the big ones are in the dead-letter topic as
# references (no key, no raw bytes) or, where the topic allows it, masked;
# nothing raw reached the destination; the proxy kept committing (the events
# after the big ones arrived; exactly-once: no transaction was aborted).
#   A: exactly_once, destination and dead-letter topics at the broker default
#      max.message.bytes (1 MB)
#   B: the same, at_least_once
#   C: exactly_once, destination created with max.message.bytes=5 MB and
#      limits.max_record_bytes 4 MiB (the 2 MB valid record passes masked),
#      dead-letter topic at the default (the 2 MB dead letter is a reference)
#   D: exactly_once, dead-letter topic created with max.message.bytes=5 MB,
#      limits.max_record_bytes 4 MiB: the masked records over the
#      destination's 1 MB are dead-lettered raw (too_large_for_topic)
# Usage: large_record_test.sh PATH/TO/maskproxy
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init large "${1:-}"
keys_generate rrn
big_topic_bytes=10485760  # source topics take the 2 MB records

# The events of one phase: key<TAB>value lines, all for partition 0.
python3 - "$WORK/in.tsv" <<'PY'
import json, sys
out = open(sys.argv[1], "w")
def ev(i): return {"id": i, "user": {"rrn": f"900101-1{i:06d}", "tier": "gold"}}
def padded(i, total, valid=True):
    e = ev(i); e["pad"] = ""
    s = json.dumps(e, separators=(",", ":"))
    e["pad"] = "p" * (total - len(s))
    s = json.dumps(e, separators=(",", ":"))
    assert len(s) == total
    return s if valid else s[:-1]          # invalid: the closing brace cut off
lines = [(f"k{i}", json.dumps(ev(i))) for i in range(1, 101)]
lines.append(("k-under", padded(1001, 1_040_000)))        # masked: fits 1 MB topics
lines.append(("k-over", padded(1002, 1_048_500)))         # under max_record_bytes, over the topic
lines.append(("k-big", padded(1003, 2_000_000)))          # too_large for the engine
lines.append(("k-bad", padded(1004, 2_000_000, False)))   # invalid JSON, 2 MB
lines += [(f"k{i}", json.dumps(ev(i))) for i in range(101, 201)]
for k, v in lines: out.write(f"{k}\t{v}\n")
PY

phase() {  # NAME MODE DST_CONFIG DLQ_CONFIG MAX_RECORD_BYTES EXPECT(json: id -> ref|raw; others: dst)
  local name=$1 mode=$2 dst_config=$3 dlq_config=$4 max_record=$5 expect=$6
  SRC="$ID.$name.raw" DST="$ID.$name.analytics" DLQ="$ID.$name.quarantine"
  topic_create "$SRC" 2 --config max.message.bytes=$big_topic_bytes
  # shellcheck disable=SC2086
  topic_create "$DST" 2 $dst_config
  # shellcheck disable=SC2086
  topic_create "$DLQ" 1 $dlq_config
  cat >"$WORK/policy-$name.yaml" <<YAML
policy: large-$name
version: 1
routes:
  - from: $SRC
    to: $DST
    dead_letter: $DLQ
    rules:
      - { path: user.rrn, action: tokenize, key: rrn }
YAML
  config_write --out "$WORK/config-$name.yaml" --group "$ID-$name" --policy "policy-$name.yaml" --mode "$mode" \
    --txid "$ID-$name-0" --stats-interval 1000 --extra "limits:
  max_record_bytes: $max_record"
  produce_file "$WORK/in.tsv" -p 0 -X message.max.bytes=$big_topic_bytes
  local total
  total=$(wc -l <"$WORK/in.tsv")
  local started=$SECONDS
  proxy_start --config "$WORK/config-$name.yaml" "$name"
  # Every record in one of the outputs within 120 s (else it stalled).
  wait_output "$total" 120
  local took=$((SECONDS - started))
  sleep 2  # anything more (a duplicate) would show now
  proxy_term "$name"
  for t in "$DST" "$DLQ"; do dump_topic "$t" "$WORK/$t.json" -X fetch.message.max.bytes=$big_topic_bytes; done
  python3 - "$WORK" "$name" "$SRC" "$DST" "$DLQ" "$expect" "$mode" <<'PY'
import json, sys
work, name, src, dst, dlq, expect, mode = sys.argv[1:]
expect = {int(k): v for k, v in json.loads(expect).items()}
def load(t): return [json.loads(l) for l in open(f"{work}/{t}.json", encoding="utf-8")]
def hdrs(r):
    h = r.get("headers") or []
    return {h[i]: h[i + 1] for i in range(0, len(h), 2)}
out, dead = load(dst), load(dlq)
fails = []
def check(cond, msg):
    if not cond: fails.append(f"[{name}] {msg}")
# The source offsets on partition 0: line n of in.tsv is offset n - 1.
lines = open(f"{work}/in.tsv").read().splitlines()
ids = {}
for off, l in enumerate(lines):
    v = l.split("\t", 1)[1]
    ids[f"{src}:0:{off}"] = int(v[6:v.index(",")])  # {"id": N, or {"id":N,
seen = {}
for r in out:
    o = hdrs(r).get("maskproxy.origin")
    seen.setdefault(o, []).append(("dst", r))
    p = r["payload"] or ""
    check("900101-1" not in p, f"raw rrn in {dst} (origin {o})")
    check(o in ids, f"unknown origin {o} in {dst}")
for r in dead:
    o = hdrs(r).get("maskproxy.origin")
    seen.setdefault(o, []).append(("dlq", r))
for o, i in ids.items():
    got = seen.get(o, [])
    check(len(got) == 1, f"id {i} ({o}) arrived {len(got)} times")
    if len(got) != 1: continue
    where, r = got[0]
    h, p = hdrs(r), r["payload"] or ""
    want = expect.get(i, "dst")
    if want == "dst":
        check(where == "dst", f"id {i} in {where}, want {dst} (reason {h.get('maskproxy.dlq.reason')})")
        check(json.loads(p)["user"]["rrn"].startswith("t1.rrn."), f"id {i} not masked")
    elif want == "raw":
        check(where == "dlq" and len(p) >= 1_000_000 and h.get("maskproxy.dlq.reason"),
              f"id {i}: want the raw dead letter in {dlq}")
        want_reason = "invalid_json" if i == 1004 else "too_large_for_topic"
        check(h.get("maskproxy.dlq.reason") == want_reason, f"id {i} reason {h.get('maskproxy.dlq.reason')}")
    else:  # a reference-only dead letter
        check(where == "dlq", f"id {i} in {where}, want a reference in {dlq}")
        check(h.get("maskproxy.dlq.reason") == "too_large_for_topic", f"id {i} reason {h.get('maskproxy.dlq.reason')}")
        check(int(h.get("maskproxy.dlq.size", "0")) >= 1_000_000, f"id {i} size header {h.get('maskproxy.dlq.size')}")
        check(r["key"] is None, f"id {i}: the reference carries the key")
        check(len(p) < 512 and "pppp" not in p and "900101" not in p, f"id {i}: raw bytes in the reference")
        ref = json.loads(p)["maskproxy_reference"]
        check(f"{ref['topic']}:{ref['partition']}:{ref['offset']}" == o, f"id {i}: reference names {ref}")
        check(set(h) <= {"maskproxy.dlq.reason", "maskproxy.dlq.detail", "maskproxy.dlq.size", "maskproxy.origin",
                         "maskproxy.policy"}, f"id {i}: reference headers {sorted(h)}")
log = open(f"{work}/proxy-{name}.log", encoding="utf-8").read()
for word in ("900101-1", "pppppppp"):
    check(word not in log, f"record content in the proxy log ({word})")
if mode == "exactly_once":
    check("transaction_aborted" not in log, "a transaction was aborted (the size check should have caught it)")
check(("record_dead_lettered_as_reference" in log) == ("ref" in expect.values()), "references logged or not")
if fails:
    for f in fails[:20]: print("FAIL", f)
    sys.exit(1)
print(f"ok[{name}]: {len(out)} in {dst}, {len(dead)} in {dlq}; every id exactly once where expected")
PY
  echo "ok[$name]: all $total records through in ${took}s (the records after the big ones included)"
  grep ' topic_limit ' "$WORK/proxy-$name.log" | sed 's/^[^ ]* /  /' || true
}

# 1001 just under the 1 MB topic limit: masked. 1002 over it (but under
# max_record_bytes): its raw dead letter doesn't fit either: reference.
# 1003 (too_large) and 1004 (invalid): 2 MB dead letters: references.
phase a exactly_once "" "" 1048576 '{"1002":"ref","1003":"ref","1004":"ref"}'
phase b at_least_once "" "" 1048576 '{"1002":"ref","1003":"ref","1004":"ref"}'
# A destination taking 5 MB: 1002 and 1003 pass masked; 1004's 2 MB dead
# letter doesn't fit the default dead-letter topic: reference.
phase c exactly_once "--config max.message.bytes=5242880" "" 4194304 '{"1004":"ref"}'
# A dead-letter topic taking 5 MB and limits.max_record_bytes 4 MiB: 1002
# and 1003 (masked, over the destination's 1 MB) are dead-lettered raw
# (too_large_for_topic), 1004 raw (invalid_json).
phase d exactly_once "" "--config max.message.bytes=5242880" 4194304 '{"1002":"raw","1003":"raw","1004":"raw"}'

# E: a destination that takes 64 KB (max.message.bytes=65536): the broker
# holds a whole batch to it, so librdkafka's 1 MB batches were refused, every
# transaction aborted and a stream of 1 KB events drained at a few per cent
# of its rate (found by review). The producer's batch.size follows the
# smallest output topic: every event through, no transaction aborted.
SRC="$ID.e.raw" DST="$ID.e.analytics" DLQ="$ID.e.quarantine"
topic_create "$SRC" 2
topic_create "$DST" 2 --config max.message.bytes=65536
topic_create "$DLQ" 1
python3 - "$WORK/in-e.tsv" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for i in range(1, 4001):
        e = {"id": i, "user": {"rrn": f"900101-1{i:06d}"}, "note": "x" * 900}
        out.write(f"k{i}\t{json.dumps(e)}\n")
PY
cat >"$WORK/policy-e.yaml" <<YAML
policy: large-e
version: 1
routes:
  - from: $SRC
    to: $DST
    dead_letter: $DLQ
    rules:
      - { path: user.rrn, action: tokenize, key: rrn }
YAML
config_write --out "$WORK/config-e.yaml" --group "$ID-e" --policy "policy-e.yaml" --mode exactly_once \
  --txid "$ID-e-0" --stats-interval 1000
produce_file "$WORK/in-e.tsv"
proxy_start --config "$WORK/config-e.yaml" e
wait_output 4000 120
sleep 2
proxy_term e
[[ $(count_topic "$DST") -eq 4000 ]] || fail "[e] $(count_topic "$DST") of 4000 events in $DST"
grep -q 'producer_batch_size' "$WORK/proxy-e.log" || fail "[e] no producer_batch_size line"
if grep -q 'transaction_aborted' "$WORK/proxy-e.log"; then fail "[e] a transaction was aborted"; fi
echo "ok[e]: 4000 events through a 64 KB destination, no transaction aborted"

# F: a dead-letter topic too small for a reference-only dead letter (200
# bytes) stopped the instance for good at the first record too large for
# its topics (found by review): refused at start, naming the topic.
SRC="$ID.f.raw" DST="$ID.f.analytics" DLQ="$ID.f.quarantine"
topic_create "$SRC" 1
topic_create "$DST" 1
topic_create "$DLQ" 1 --config max.message.bytes=200
sed -e "s/$ID\.e\./$ID.f./g" "$WORK/policy-e.yaml" >"$WORK/policy-f.yaml"
config_write --out "$WORK/config-f.yaml" --group "$ID-f" --policy "policy-f.yaml" --mode exactly_once \
  --txid "$ID-f-0" --stats-interval 1000
proxy_start --config "$WORK/config-f.yaml" f
proxy_wait_exit f 60 || fail "[f] still running with a 200-byte dead-letter topic"
(( PROXY_RC != 0 )) || fail "[f] exited 0"
grep -q "dead-letter topic '$DLQ' takes records of at most 200 bytes" "$WORK/proxy-f.log" ||
  fail "[f] the error does not name the dead-letter topic and its limit"
echo "ok[f]: a 200-byte dead-letter topic is refused at start (exit $PROXY_RC)"

echo "ok: large records never stalled the proxy"
