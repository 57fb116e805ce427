#!/usr/bin/env bash
# Fault test: the proxy is killed with SIGKILL at random moments while a
# stream is produced, and restarted each time (same transactional id, as a
# supervisor restarts it). Then the output must hold every source record
# exactly once, poison records only in the dead-letter topic, no PII:
#   verify.py: lost=0 duplicated=0 leaked=0 ...
#
# Usage: kill9_test.sh PATH/TO/maskproxy
# Env (defaults = the short CI form):
#   RECORDS=20000  valid events (+ POISON=60 poison records)
#   KILLS=5        SIGKILLs (>= 5)
#   RATE           records/s produced (default: the stream lasts ~45s)
#   SEED, KEEP_WORK, SESSION_TIMEOUT_MS, DRAIN_TIMEOUT: see tests/lib/broker_test.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init kill9 "${1:-}"

fault_stream 20000 45
KILLS="${KILLS:-5}"

fault_setup --src-partitions 3 --dst-partitions 3
proxy_start p
produce_start "$RATE"

# Kill points spread over the stream (by records fed), with jitter; each kill
# at least 1-6 s (random) after the previous restart, so some hit start-up
# (init_transactions, group join) and some hit steady processing.
kill_log=()
for ((k = 1; k <= KILLS; k++)); do
  span=$(( TOTAL / (KILLS + 1) ))
  target=$(( span * k + (RANDOM % (span / 2 + 1)) - span / 4 ))
  min_up=$(rand_between 1 6)
  started=$SECONDS
  wait_produced "$target"
  while (( SECONDS - started < min_up )); do sleep 0.2; done
  # A random sub-second offset, so the kill does not line up with a commit.
  sleep "0.$(rand_between 0 9)"
  check_proxies fail
  out_before=$(output_count)
  proxy_kill9 p
  kill_log+=("kill#$k at +$((SECONDS - T0))s fed=$(produced) output_committed=$out_before")
  sleep "0.$(rand_between 0 9)"
  proxy_start p
done
log "kills: ${kill_log[*]}"

wait_drained fail
proxy_term p
run_verify
log "PASS kill9: records=$TOTAL kills=$KILLS starts=${PROXY_STARTS[p]} ($VERIFY_LINE)"
