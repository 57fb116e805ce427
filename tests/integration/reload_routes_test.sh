#!/usr/bin/env bash
# Reloads that change the subscription, on the real broker:
#   1. two routes: $SRC -> $DST and $ID.old -> $ID.old.out; 100 records each;
#   2. reload: the $ID.old route removed, a pattern route
#      '^$ID\.new\.[a-z]+$' -> $ID.newout added; 100 more records into each
#      source and 100 into $ID.new.a: the new topic's records flow, the
#      removed route's stop (none of its later records is consumed);
#   3. reload back with the old route: its waiting records flow, none lost
#      or duplicated (they were not consumed, so their offsets were not
#      committed).
# No raw RRN in any output; exit 0 on SIGTERM.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init reload_routes "${1:-}"

topics_create --src-partitions 2 --dst-partitions 2
OLD="$ID.old" NEW="$ID.new.a"
for t in "$OLD" "$OLD.out" "$NEW" "$ID.newout"; do topic_create "$t" 2; done
keys_generate rrn
pattern="^$(sed 's/\./\\./g' <<<"$ID")\\.new\\.[a-z]+\$"

route() {  # route FROM TO
  printf '  - from: %s\n    to: %s\n    dead_letter: %s\n    rules:\n      - { path: user.rrn, action: tokenize, key: rrn }\n' \
    "$1" "$2" "$DLQ"
}
{ printf 'policy: routes\nversion: 1\nroutes:\n'; route "$SRC" "$DST"; route "$OLD" "$OLD.out"; } >"$WORK/p1.yaml"
{ printf 'policy: routes\nversion: 2\nroutes:\n'; route "$SRC" "$DST"; route "'$pattern'" "$ID.newout"; } >"$WORK/p2.yaml"
{
  printf 'policy: routes\nversion: 3\nroutes:\n'
  route "$SRC" "$DST"
  route "'$pattern'" "$ID.newout"
  route "$OLD" "$OLD.out"
} >"$WORK/p3.yaml"
cp "$WORK/p1.yaml" "$WORK/policy.yaml"
config_write

# records TOPIC FIRST N: N records with ids FIRST.. (an RRN each) into TOPIC.
records() {
  local topic="$1" first="$2" n="$3" i
  for (( i = first; i < first + n; i++ )); do
    printf 'k%d\t{"id":%d,"user":{"rrn":"900101-1%06d"}}\n' "$i" "$i" "$i"
  done >"$WORK/rec.tsv"
  kcat -b "$BOOTSTRAP" -P -t "$topic" -K $'\t' <"$WORK/rec.tsv" || fail "kcat could not produce to $topic"
}
# wait_count TOPIC N: until TOPIC holds N records (read_committed; 60 s).
wait_topic() {
  local t=$SECONDS
  while (( $(count_topic "$1") < $2 )); do
    check_proxies fail
    (( SECONDS - t < 60 )) || fail "$1 holds $(count_topic "$1") records after 60s, expected $2"
    sleep 0.5
  done
  (( $(count_topic "$1") == $2 )) || fail "$1 holds $(count_topic "$1") records, expected $2"
}
reload() {  # reload FILE: installs FILE, SIGHUP, waits for the swap
  local before
  before=$(grep -c policy_swapped "$WORK/proxy-a.log" || true)
  cp "$WORK/$1" "$WORK/policy.yaml"
  kill -HUP "${PROXY_PID[a]}"
  local t=$SECONDS
  while (( $(grep -c policy_swapped "$WORK/proxy-a.log" || true) <= before )); do
    (( SECONDS - t < 30 )) || fail "no policy_swapped after installing $1"
    sleep 0.1
  done
}

proxy_start a
records "$SRC" 0 100
records "$OLD" 1000 100
wait_topic "$DST" 100
wait_topic "$OLD.out" 100
log "phase 1: both routes flow"

reload p2.yaml
records "$SRC" 100 100
records "$OLD" 1100 100
records "$NEW" 2000 100
wait_topic "$DST" 200
wait_topic "$ID.newout" 100
sleep 5  # time for a removed route's records to show up, if they wrongly flowed
(( $(count_topic "$OLD.out") == 100 )) || fail "records of the removed route were consumed: $(count_topic "$OLD.out")"
log "phase 2: the pattern's new topic flows, the removed route stopped"

reload p3.yaml
wait_topic "$OLD.out" 200
log "phase 3: the route is back; its waiting records flowed"
proxy_term a

# Each source record exactly once in its output, no raw RRN anywhere.
python3 "$VERIFY" --bootstrap "$BOOTSTRAP" --source "$SRC" --source "$OLD" --source "$NEW" --dest "$DST" \
  --dest "$OLD.out" --dest "$ID.newout" --dlq "$DLQ" --pii-fields user.rrn --expect-dead-lettered 0 ||
  fail "verifier failed"
grep -q 'partition_not_consumed\|partitions_revoked' "$WORK/proxy-a.log" || fail "no revocation of the removed route"
log "PASS"
