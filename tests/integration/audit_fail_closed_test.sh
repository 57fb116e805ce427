#!/usr/bin/env bash
# Fail closed on the audit trail, on a real broker (scripts/kafka.sh), checked
# with kcat as the independent consumer. Every record carries PII in a field
# no rule names, a new field each (note_<i>), so each record has a
# schema_drift event that must be in the trail before the record may be
# produced; a few poison records make dead-letter summaries due. While
# records flow, the trail file is made unable to grow (prlimit
# RLIMIT_FSIZE at its current size: every write fails with EFBIG, as on a
# full disk; the proxy ignores SIGXFSZ). Checks:
#   - while the trail cannot write: /readyz is 503 with audit_sink_down,
#     maskproxy_audit_sink_up is 0, and nothing more appears on the
#     destination, dead-letter or audit topics (read_committed counts stable
#     over several seconds); the proxy keeps running;
#   - after the limit is lifted: everything arrives, none lost, none
#     duplicated (tests/verify/verify.py), no PII in the destination;
#   - the trail holds each sighting exactly once and verifies
#     (maskproxy audit verify);
#   - the audit topic (read_committed) holds each sighting exactly once, each
#     next to a committed record of its transaction (the record it names in
#     maskproxy.origin is in the destination).
# Usage: audit_fail_closed_test.sh PATH/TO/maskproxy   (env EVENTS=N, default 3000; RATE, default 150/s)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init audit_fail_closed "${1:-}"
command -v prlimit >/dev/null || fail "prlimit not found (util-linux)"
N_EVENTS="${EVENTS:-3000}"
RATE="${RATE:-150}"
topics_create
AUDIT_TOPIC="$ID.audit"
topic_create "$AUDIT_TOPIC" 1
cat >"$WORK/policy.yaml" <<YAML
policy: failclosed
version: 1
routes:
  - from: $SRC
    to: $DST
    dead_letter: $DLQ
    unlisted_fields: scan
    rules:
      - { path: user.rrn, action: tokenize, key: rrn }
YAML
keys_generate rrn
"$BIN" keys generate --out "$WORK/audit-key.yaml" audit 2>/dev/null || fail "keys generate (audit key) failed"
config_write --txid "$ID-0" --stats-interval 1000 --extra "log_format: json" \
  --extra $'audit:\n  file: audit.jsonl\n  key_file: audit-key.yaml\n  topic: '"$AUDIT_TOPIC"

# Records: key k<i>, {"id":i,"user":{"rrn":...},"note_<i>":"call 010-...."};
# every 97th a poison record (invalid JSON) with key poison-<i>.
python3 - "$N_EVENTS" "$WORK/events.tsv" "$WORK/poison.txt" <<'PY'
import json, sys
n, out, poison = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(out, "w") as f, open(poison, "w") as p:
    for i in range(n):
        if i % 97 == 50:
            f.write(f"poison-{i}\t{{\"id\":{i},\"user\":{{\"rrn\":\n")
            p.write(f"poison-{i}\n")
            continue
        v = {"id": i, "user": {"rrn": f"{700101 + i % 28:06d}-1{i:06d}"},
             f"note_{i}": f"call 010-{2000 + i % 8000:04d}-{3000 + i % 7000:04d} after 6pm"}
        f.write(f"k{i}\t{json.dumps(v)}\n")
PY
N_POISON=$(wc -l <"$WORK/poison.txt")
TOTAL=$N_EVENTS
log "generated $TOTAL records ($N_POISON poison)"

# The proxy's output goes through a pipe: its log file must not hit the
# file-size limit meant for the trail.
mkfifo "$WORK/p.fifo"
cat "$WORK/p.fifo" >>"$WORK/proxy-p.log" &
PROXY_TXID[p]="$ID-p"
PROXY_STARTS[p]=1
(cd "$WORK" && exec "${PDEATH[@]}" "$BIN" run --config "$WORK/config.yaml" --transactional-id "$ID-p") \
  >"$WORK/p.fifo" 2>&1 &
PROXY_PID[p]=$!
PID=${PROXY_PID[p]}
log "proxy p started (pid $PID)"

addr=""
for _ in $(seq 1 200); do
  addr="$(grep -o '"event":"admin_listening","address":"[^"]*"' "$WORK/proxy-p.log" | tail -n 1 |
    sed 's/.*"address":"//; s/"$//')" || true
  [[ -n "$addr" ]] && break
  proxy_alive p || { tail -20 "$WORK/proxy-p.log" >&2; fail "proxy exited before listening"; }
  sleep 0.1
done
[[ -n "$addr" ]] || fail "no admin_listening line in the proxy log"
URL="http://$addr"
readyz() { curl -s -o "$WORK/readyz.json" -w '%{http_code}' "$URL/readyz" || echo 000; }
# wait_log EVENT: the proxy's log (through the pipe) has an EVENT line, within 10 s.
wait_log() {
  local t=$SECONDS
  until grep -q "\"event\":\"$1\"" "$WORK/proxy-p.log"; do
    (( SECONDS - t < 10 )) || fail "no $1 line in the proxy log"
    sleep 0.1
  done
}

produce_start "$RATE"
t=$SECONDS
until (( $(count_topic "$DST") >= 300 )); do
  check_proxies fail
  (( SECONDS - t < 120 )) || fail "fewer than 300 records in $DST after 120s"
  sleep 0.5
done
[[ -s "$WORK/audit.jsonl" ]] || fail "no audit trail at $WORK/audit.jsonl"

# The disk is full: the trail cannot grow any more (soft limit only, so that
# it can be lifted again).
size=$(stat -c %s "$WORK/audit.jsonl")
prlimit --pid "$PID" --fsize="$size:" || fail "prlimit failed"
log "trail limited to its size ($size bytes) while records flow ($(produced) produced)"
t=$SECONDS
until [[ "$(readyz)" == 503 ]] && grep -q audit_sink_down "$WORK/readyz.json"; do
  check_proxies fail
  (( SECONDS - t < 30 )) || fail "readyz never said audit_sink_down: $(cat "$WORK/readyz.json")"
  sleep 0.2
done
log "readyz 503 after $((SECONDS - t))s: $(cat "$WORK/readyz.json")"
curl -s -o "$WORK/metrics.txt" "$URL/metrics" || fail "GET /metrics failed"
grep -q '^maskproxy_audit_sink_up 0$' "$WORK/metrics.txt" || fail "maskproxy_audit_sink_up is not 0 while down"
grep -q '^maskproxy_audit_write_failures_total [1-9]' "$WORK/metrics.txt" ||
  fail "maskproxy_audit_write_failures_total is 0 while down"
wait_log audit_sink_down
d1=$(count_topic "$DST") q1=$(count_topic "$DLQ") a1=$(count_topic "$AUDIT_TOPIC")
sleep 6
d2=$(count_topic "$DST") q2=$(count_topic "$DLQ") a2=$(count_topic "$AUDIT_TOPIC")
(( d1 == d2 && q1 == q2 && a1 == a2 )) ||
  fail "records flowed while the trail could not write: $DST $d1->$d2, $DLQ $q1->$q2, audit $a1->$a2"
[[ "$(readyz)" == 503 ]] || fail "readyz no longer 503 while the trail still cannot write"
check_proxies fail
log "while down: $DST stays at $d1, $DLQ at $q1, audit topic at $a1 for 6s; proxy running"

prlimit --pid "$PID" --fsize=unlimited: || fail "prlimit (lift) failed"
t=$SECONDS
until [[ "$(readyz)" == 200 ]]; do
  check_proxies fail
  (( SECONDS - t < 30 )) || fail "readyz not 200 again 30s after the limit was lifted: $(cat "$WORK/readyz.json")"
  sleep 0.2
done
log "trail writable again: ready after $((SECONDS - t))s"
wait_log audit_sink_up
wait_drained fail
proxy_term p

python3 "$VERIFY" --bootstrap "$BOOTSTRAP" --source "$SRC" --dest "$DST" --dlq "$DLQ" \
  --poison-keys-file "$WORK/poison.txt" --expect-dead-lettered "$N_POISON" --pii-fields user.rrn \
  | tee "$WORK/verify.txt" || fail "verifier: $(head -n 1 "$WORK/verify.txt")"
dump_topic "$AUDIT_TOPIC" "$WORK/audit-topic.json"
dump_topic "$DST" "$WORK/dst.json"
python3 - "$WORK" "$N_EVENTS" "$(dirname "$VERIFY")" <<'PY' || fail "audit checks failed"
import json, re, sys
work, n = sys.argv[1], int(sys.argv[2])
fails = []
expected = {f"note_{i}" for i in range(n) if i % 97 != 50}
sys.path.insert(0, sys.argv[3])
from verify import headers  # noqa: E402  (the verifier's reading of kcat -J headers)
def origin(rec):
    return headers(rec).get("maskproxy.origin")
origins = set()
for l in open(f"{work}/dst.json", encoding="utf-8"):
    r = json.loads(l)
    origins.add(origin(r))
    if re.search(r"010-\d{4}-\d{4}", r.get("payload") or ""):
        fails.append(f"a phone number reached the destination (offset {r['offset']})")
# The trail: each sighting once; dead letters summarized; no value.
trail = [json.loads(l) for l in open(f"{work}/audit.jsonl", encoding="utf-8")]
drift = [e["field"] for e in trail if e["event"] == "schema_drift"]
if sorted(drift) != sorted(expected):
    fails.append(f"trail: {len(drift)} schema_drift events for {len(expected)} sightings "
                 f"({len(set(drift))} distinct)")
dead = sum(e.get("dead_letters", 0) for e in trail if e["event"] == "dead_letters")
poison = sum(1 for i in range(n) if i % 97 == 50)
if dead < poison:
    fails.append(f"trail: dead_letters events count {dead}, fewer than the {poison} poison records")
text = open(f"{work}/audit.jsonl", encoding="utf-8").read()
if re.search(r"010-\d{4}-\d{4}", text) or re.search(r"\d{6}-1\d{6}", text):
    fails.append("a value in the trail")
# The topic (read_committed): each sighting once, beside a committed record.
topic = [json.loads(l) for l in open(f"{work}/audit-topic.json", encoding="utf-8")]
tdrift = []
for r in topic:
    e = json.loads(r["payload"])
    if e["event"] == "schema_drift":
        tdrift.append(e["field"])
        if origin(r) not in origins:
            fails.append(f"audit topic: event at offset {r['offset']} names no committed record")
if sorted(tdrift) != sorted(expected):
    fails.append(f"audit topic: {len(tdrift)} schema_drift events for {len(expected)} sightings "
                 f"({len(set(tdrift))} distinct)")
if not any(json.loads(r["payload"])["event"] == "dead_letters" for r in topic):
    fails.append("audit topic: no dead_letters summary")
print(f"trail: {len(trail)} entries, {len(drift)} schema_drift, dead letters summarized {dead}; "
      f"audit topic: {len(topic)} records, {len(tdrift)} schema_drift")
for f in fails: print("FAIL", f)
sys.exit(1 if fails else 0)
PY
"$BIN" audit verify --key-file "$WORK/audit-key.yaml" "$WORK/audit.jsonl" >"$WORK/audit-verify.txt" 2>&1 ||
  { cat "$WORK/audit-verify.txt" >&2; fail "maskproxy audit verify failed on the trail"; }
log "audit verify: $(tail -n 1 "$WORK/audit-verify.txt")"

# A stop the trail cannot record exits 1, not 0 (found by review: exit 0
# while `audit verify` read the trail's end as a crash).
mkfifo "$WORK/p2.fifo"
cat "$WORK/p2.fifo" >>"$WORK/proxy-p2.log" &
(cd "$WORK" && exec "${PDEATH[@]}" "$BIN" run --config "$WORK/config.yaml" --transactional-id "$ID-p") \
  >"$WORK/p2.fifo" 2>&1 &
PROXY_PID[p2]=$!
t=$SECONDS
until grep -q '"event":"admin_listening"' "$WORK/proxy-p2.log"; do
  proxy_alive p2 || fail "the second start exited before listening"
  (( SECONDS - t < 30 )) || fail "the second start did not listen within 30s"
  sleep 0.2
done
addr="$(grep -o '"event":"admin_listening","address":"[^"]*"' "$WORK/proxy-p2.log" | tail -n 1 |
  sed 's/.*"address":"//; s/"$//')"
URL="http://$addr"
prlimit --pid "${PROXY_PID[p2]}" --fsize="$(stat -c %s "$WORK/audit.jsonl"):" || fail "prlimit (second start) failed"
printf 'k-x\t{"id":"x-1","note_zz":"call 010-2222-3333 now"}\n' >"$WORK/more.tsv"
produce_file "$WORK/more.tsv"
t=$SECONDS
until [[ "$(readyz)" == 503 ]] && grep -q audit_sink_down "$WORK/readyz.json"; do
  proxy_alive p2 || fail "the second start exited before its trail went down"
  (( SECONDS - t < 30 )) || fail "the second start's readyz never said audit_sink_down: $(cat "$WORK/readyz.json")"
  sleep 0.2
done
kill -TERM "${PROXY_PID[p2]}"
proxy_wait_exit p2 60 || fail "the second start still running 60s after SIGTERM"
(( PROXY_RC == 1 )) || fail "a stop the trail could not record exited $PROXY_RC, want 1"
grep -q '"event":"stop_not_audited"' "$WORK/proxy-p2.log" || fail "no stop_not_audited line"
log "a stop the trail could not record: exit 1, stop_not_audited"
log "PASS"
