#!/usr/bin/env bash
# Fault test: the broker is restarted under the running proxy while a stream
# is produced: first a hard crash (scripts/kafka.sh restart --hard: SIGKILL
# and start), later a clean restart (scripts/kafka.sh restart). The proxy is
# expected to ride through both (ctest sets STRICT_NO_EXIT=1); if it exits instead, the test says so
# (with its exit status and last log lines) and starts it again, as a
# supervisor would. Then: verify.py lost=0 duplicated=0 leaked=0, poison
# only in the dead-letter topic.
#
# This test restarts the broker of $MASKPROXY_KAFKA_DIR: do not run it in
# parallel with other tests on the same broker (ctest: RESOURCE_LOCK
# kafka_broker).
#
# Usage: broker_restart_test.sh PATH/TO/maskproxy
# Env (defaults = the short CI form):
#   RECORDS=20000 POISON=60   records produced
#   RATE                      records/s (default: the stream lasts ~60s)
#   STRICT_NO_EXIT=1          fail (instead of restarting it) if the proxy exits
#   SEED, KEEP_WORK, DRAIN_TIMEOUT: see tests/lib/broker_test.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init broker_restart "${1:-}"

fault_stream 20000 60
on_exit=restart
[[ "${STRICT_NO_EXIT:-0}" == 1 ]] && on_exit=fail

fault_setup --src-partitions 3 --dst-partitions 3
proxy_start p
produce_start "$RATE"

# Waits until the (read_committed) output grows past $1 (the count when the
# broker answered again); sets PROGRESS_AFTER to the seconds it took. (Not
# run in $(...): check_proxies may restart a proxy, which must be a child of
# this shell.)
wait_progress() {
  local before="$1" t=$SECONDS deadline=$((SECONDS + 180))
  while (( $(output_count) <= before )); do
    check_proxies "$on_exit"
    (( SECONDS < deadline )) || fail "no output progress within 180s after the broker restart"
    sleep 0.5
  done
  PROGRESS_AFTER=$((SECONDS - t))
}

restart_broker() {
  local kind="$1" at="$2" args=()
  [[ "$kind" == hard ]] && args=(--hard)
  wait_produced "$at"
  sleep "0.$(rand_between 0 9)"
  check_proxies "$on_exit"
  local before t=$SECONDS
  before=$(output_count)
  log "broker restart ($kind) at fed=$(produced) output=$before"
  "$KAFKA" restart "${args[@]}" >/dev/null 2>>"$WORK/kafka-restart.log" || fail "kafka.sh restart ${args[*]} failed"
  local down=$((SECONDS - t))
  check_proxies "$on_exit"
  local now
  now=$(output_count)
  if (( now >= TOTAL )); then
    # A slow earlier restart let the whole stream through before this one:
    # no output is left to progress; the drain and verify below still check it.
    log "broker back after ${down}s ($kind); the output was already complete ($now of $TOTAL)"
    RESTARTS+=("$kind: broker down/up ${down}s, output already complete")
    return
  fi
  wait_progress "$now"
  local up=$PROGRESS_AFTER
  log "broker back after ${down}s ($kind); proxy output progressed ${up}s later"
  RESTARTS+=("$kind: broker down/up ${down}s, proxy progress +${up}s after")
}

RESTARTS=()
restart_broker hard $(( TOTAL * 25 / 100 + RANDOM % (TOTAL / 10) ))
restart_broker clean $(( TOTAL * 65 / 100 + RANDOM % (TOTAL / 10) ))

wait_drained "$on_exit"
proxy_term p
run_verify
if (( ${#UNEXPECTED_EXITS[@]} == 0 )); then
  behaviour="proxy kept running through both broker restarts (1 start)"
else
  behaviour="proxy EXITED on its own ${#UNEXPECTED_EXITS[@]} time(s) (${UNEXPECTED_EXITS[*]}) and was restarted"
fi
log "restarts: ${RESTARTS[*]}"
log "proxy warnings (count, event):"
log_digest "$WORK"/proxy-p.log >&2 || true
log "PASS broker_restart: records=$TOTAL; $behaviour ($VERIFY_LINE)"
