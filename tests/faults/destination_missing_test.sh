#!/usr/bin/env bash
# Fault test: the destination topic does not exist when the proxy starts (a
# deployment order mistake; the broker does not auto-create topics). While
# it is missing, the proxy must not lose anything: it must say so in its log,
# must not create the topic, and must not commit consumed offsets (checked
# with Kafka's ConsumerGroupCommand, once after stopping it and once while it
# runs). Timeline:
#   1. the proxy starts; at a random moment (STOP_AT) it gets SIGTERM: it
#      must exit (status reported) within STOP_TIMEOUT, without committing;
#   2. it is started again and runs until MISSING_SECONDS;
#   3. the topic is created; the proxy (restarted if it had exited; the test
#      says which) must deliver everything: verify.py lost=0 duplicated=0
#      leaked=0, poison only in the dead-letter topic. Prints how long the
#      proxy took to recover.
#
# Usage: destination_missing_test.sh PATH/TO/maskproxy
# Env (defaults = the short CI form):
#   RECORDS=10000 POISON=60   records produced
#   RATE                      records/s (default: the stream lasts ~30s)
#   MISSING_SECONDS=45        how long the destination stays missing after
#                             the proxy started (librdkafka gives up on an
#                             unknown topic after topic.metadata.propagation.max.ms,
#                             30s by default: keep it longer than that)
#   STOP_AT                   seconds after start of the SIGTERM of step 1
#                             (default: random in 10..30)
#   STOP_TIMEOUT=90           seconds the proxy may take to exit on that SIGTERM
#   RECOVERY_TIMEOUT=120      seconds after creating the topic for the first output
#   SEED, KEEP_WORK, SESSION_TIMEOUT_MS, DRAIN_TIMEOUT: see tests/lib/broker_test.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init destination_missing "${1:-}"

fault_stream 10000 30
MISSING_SECONDS="${MISSING_SECONDS:-45}"
RECOVERY_TIMEOUT="${RECOVERY_TIMEOUT:-120}"
STOP_AT="${STOP_AT:-$(rand_between 10 30)}"
STOP_TIMEOUT="${STOP_TIMEOUT:-90}"

dest_exists() { timeout 30 kcat -b "$BOOTSTRAP" -L -t "$DST" 2>/dev/null | grep -q "topic \"$DST\" with [1-9]"; }

fault_setup --src-partitions 3 --dst-partitions 3 --no-dest
dest_exists && fail "destination $DST exists before the test created it"
proxy_start p
t_start=$SECONDS
produce_start "$RATE"

# --- 1. the destination is missing: SIGTERM must not hang or commit ---
while (( SECONDS - t_start < STOP_AT )); do
  proxy_alive p || break
  sleep 0.5
done
if proxy_alive p; then
  t=$SECONDS
  kill -TERM "${PROXY_PID[p]}"
  proxy_wait_exit p "$STOP_TIMEOUT" || fail "proxy still running ${STOP_TIMEOUT}s after SIGTERM while the destination is missing (hang)"
  stop_note="SIGTERM ${STOP_AT}s after start: exited $PROXY_RC after $((SECONDS - t))s"
  (( PROXY_RC == 0 || PROXY_RC == 1 )) || fail "proxy exited $PROXY_RC on SIGTERM (crash?)"
else
  proxy_reap p
  stop_note="exited on its own with status $PROXY_RC before the SIGTERM at ${STOP_AT}s"
fi
log "$stop_note; last lines:"
grep -v -e record_dead_lettered -e delivery_failed "$WORK/proxy-p.log" | tail -n 4 | cut -c1-300 | sed 's/^/    /' >&2
committed="$(group_committed_sum "$WORK/group-after-stop.txt")"
log "after the stop: committed source offsets=$committed (ConsumerGroupCommand, no member)"
(( committed == 0 )) || { cat "$WORK/group-after-stop.txt" >&2; fail "the group committed source offsets (sum $committed) although the destination does not exist"; }
dest_exists && fail "the destination topic $DST was created while missing (auto-created by the proxy?)"

# --- 2. started again, still missing ---
proxy_start p
exit_note="kept running while the destination was missing"
while (( SECONDS - t_start < MISSING_SECONDS || SECONDS - t_start < STOP_AT + 15 )); do
  if ! proxy_alive p; then
    proxy_reap p
    exit_note="EXITED with status $PROXY_RC $((SECONDS - t_start))s after start while the destination was missing"
    log "proxy p $exit_note"
    break
  fi
  sleep 1
done
dest_exists && fail "the destination topic $DST was created while missing (auto-created by the proxy?)"
committed="$(group_committed_sum "$WORK/group-while-missing.txt")"
log "while missing ($((SECONDS - t_start))s, proxy running): committed source offsets=$committed, destination+dlq (read_committed)=$(output_count), fed=$(produced); proxy $exit_note"
(( committed == 0 )) || { cat "$WORK/group-while-missing.txt" >&2; fail "the group committed source offsets (sum $committed) although the destination does not exist"; }
# What the proxy said (without the per-record dead-letter lines).
log "proxy log while the destination was missing (count, event):"
DIGEST_LINES=8 log_digest "$WORK/proxy-p.log" | cut -c1-400 >&2 || true
# (Not grep -q: it stops at the first match, the first grep then dies of
# SIGPIPE on a long log, and pipefail fails the check.)
grep -v -e record_dead_lettered -e '^===' "$WORK/proxy-p.log" | grep -i -e "$DST" -e unknown_topic -e 'unknown topic' >/dev/null ||
  fail "the proxy log does not mention the missing destination topic"

# --- 3. create it ---
topic_create "$DST" "$DST_PARTITIONS"
t_created=$SECONDS
log "destination $DST created"
if ! proxy_alive p; then
  [[ -n "${PROXY_PID[p]:-}" ]] && proxy_reap p
  proxy_start p
  exit_note="$exit_note; restarted after the topic was created"
fi
while (( $(count_topic "$DST") == 0 )); do
  check_proxies fail
  (( SECONDS - t_created < RECOVERY_TIMEOUT )) || fail "no record in $DST ${RECOVERY_TIMEOUT}s after creating it"
  sleep 0.5
done
recovered=$((SECONDS - t_created))
log "first committed record in $DST ${recovered}s after creating it"

wait_drained fail
drained=$((SECONDS - t_created))
proxy_term p
run_verify
log "PASS destination_missing: records=$TOTAL; $stop_note; then proxy $exit_note; first output ${recovered}s and all output ${drained}s after the topic was created ($VERIFY_LINE)"
