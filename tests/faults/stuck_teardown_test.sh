#!/usr/bin/env bash
# Fault test: a teardown that hangs. librdkafka's rd_kafka_consumer_close and
# rd_kafka_destroy have no bound of their own (a fenced instance once logged
# its error and was still running 60 s later); a supervisor restarts a
# process that exits, not one that hangs. The process must end within its
# exit deadline (15 s, app/exit_deadline.h) whatever the teardown does.
# A shim (stuck_teardown.cc, LD_PRELOAD) makes one call hang forever:
#  1. A runs with rd_kafka_consumer_close hanging; B starts with A's
#     transactional id and fences it. A must exit 1 within the deadline
#     (plus a margin), logging exit_deadline_passed at step pipeline_stop.
#  2. B runs with rd_kafka_destroy of its transactional producer hanging and
#     drains the stream; SIGTERM: B commits, logs its clean stop, and exits 0
#     within the deadline, logging exit_deadline_passed at step kafka_clients.
# Then: verify.py lost=0 duplicated=0 leaked=0, poison only in the
# dead-letter topic.
#
# Usage: stuck_teardown_test.sh PATH/TO/maskproxy PATH/TO/libstuck_teardown.so
# Env: RECORDS=4000 POISON=60, RATE (default: the stream lasts ~25 s),
#   EXIT_LIMIT=35 (seconds A and B may take to exit: the 15 s deadline, the
#   fencing and the drain before it), SEED, KEEP_WORK: tests/lib/broker_test.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init stuck_teardown "${1:-}"
SHIM="$(realpath "${2:?usage: $0 PATH/TO/maskproxy PATH/TO/libstuck_teardown.so}")"
EXIT_LIMIT="${EXIT_LIMIT:-35}"

fault_stream 4000 25
fault_setup --src-partitions 3 --dst-partitions 3
txid="$ID-shared"

# deadline_line NAME STEP: A's or B's exit_deadline_passed line must name STEP.
deadline_line() {
  local line
  line="$(grep -E 'exit_deadline_passed' "$WORK/proxy-$1.log" | tail -n 1 || true)"
  [[ -n "$line" ]] || fail "$1 exited without logging exit_deadline_passed (did the shim hang anything?)"
  grep -q "stuck_teardown: .* hangs" "$WORK/proxy-$1.log" || fail "$1: the shim did not hang a call"
  grep -qE "step[=\":]+$2\b" <<<"$line" || fail "$1: exit_deadline_passed names another step than $2: $line"
  log "$1: ${line:0:300}"
}

PROXY_ENV=("LD_PRELOAD=$SHIM" STUCK_TEARDOWN=consumer_close)
proxy_start A "$txid"
PROXY_ENV=()
produce_start "$RATE"
wait_produced $(( TOTAL * 25 / 100 ))
check_proxies fail
log "at fed=$(produced) output=$(output_count): starting B with A's transactional id"
t=$SECONDS
PROXY_ENV=("LD_PRELOAD=$SHIM" STUCK_TEARDOWN=destroy)
proxy_start B "$txid"
PROXY_ENV=()
proxy_wait_exit A "$EXIT_LIMIT" || fail "A still running ${EXIT_LIMIT}s after B fenced it, its consumer's close hanging"
(( PROXY_RC == 1 )) || fail "A exited $PROXY_RC after being fenced (expected 1)"
log "A exited 1 $((SECONDS - t))s after B started"
deadline_line A pipeline_stop

wait_drained fail
proxy_term B "$EXIT_LIMIT"
deadline_line B kafka_clients
run_verify
log "PASS stuck_teardown: records=$TOTAL; A (close hung) and B (destroy hung) exited within the deadline ($VERIFY_LINE)"
