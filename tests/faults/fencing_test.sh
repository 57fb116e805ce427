#!/usr/bin/env bash
# Fault test: zombie fencing. Instance A runs; mid-stream a second instance B
# starts with the SAME transactional id (a mis-deployment, or a supervisor
# starting a replacement while the old process still runs). B's
# init_transactions fences A: A must exit with status 1 and a message that
# says it was fenced; B goes on alone. Then: verify.py lost=0 duplicated=0
# leaked=0, poison only in the dead-letter topic.
#
# Usage: fencing_test.sh PATH/TO/maskproxy
# Env (defaults = the short CI form):
#   RECORDS=15000 POISON=60   records produced
#   RATE                      records/s (default: the stream lasts ~40s)
#   FENCE_EXIT_TIMEOUT=60     seconds A may take to exit after B started
#   SEED, KEEP_WORK, SESSION_TIMEOUT_MS, DRAIN_TIMEOUT: see tests/lib/broker_test.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init fencing "${1:-}"

fault_stream 15000 40
FENCE_EXIT_TIMEOUT="${FENCE_EXIT_TIMEOUT:-60}"

fault_setup --src-partitions 3 --dst-partitions 3
txid="$ID-shared"
proxy_start A "$txid"
produce_start "$RATE"

wait_produced $(( TOTAL * 30 / 100 + RANDOM % (TOTAL / 10) ))
sleep "0.$(rand_between 0 9)"
check_proxies fail
log "at fed=$(produced) output=$(output_count): starting B with A's transactional id"
t=$SECONDS
proxy_start B "$txid"

proxy_wait_exit A "$FENCE_EXIT_TIMEOUT" || fail "A still running ${FENCE_EXIT_TIMEOUT}s after B took its transactional id (not fenced?)"
took=$((SECONDS - t))
(( PROXY_RC == 1 )) || fail "A exited $PROXY_RC after being fenced (expected 1)"
# (The run id and work dir, in topic, group and file names, contain "fencing":
# leave them out.)
fence_msg="$(grep -v '^===' "$WORK/proxy-A.log" | sed -e "s|$WORK|WORK|g" -e "s|$ID|ID|g" | grep -i 'fenc' | tail -n 3 || true)"
[[ -n "$fence_msg" ]] || fail "A's log does not say it was fenced"
log "A exited 1 ${took}s after B started; its log says:"
while IFS= read -r line; do printf '    %s\n' "${line:0:400}"; done <<<"$fence_msg" >&2
proxy_alive B || fail "B is not running after fencing A"

wait_drained fail
proxy_term B
run_verify
log "PASS fencing: records=$TOTAL; A exited 1 after ${took}s ($VERIFY_LINE)"
