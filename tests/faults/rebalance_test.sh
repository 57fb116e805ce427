#!/usr/bin/env bash
# Fault test: consumer-group rebalances under load. A 6-partition source;
# instances a, b (distinct transactional ids, one group) start; while a
# stream is produced: c joins, a is killed with SIGKILL (never restarted: its
# partitions move to the others, its open transaction is aborted by the
# broker after the transaction timeout), d joins, b is stopped with SIGTERM
# (must commit, leave the group and exit 0). c and d drain the rest. Then:
# verify.py lost=0 duplicated=0 leaked=0, poison only in the dead-letter topic.
#
# Usage: rebalance_test.sh PATH/TO/maskproxy
# Env (defaults = the short CI form):
#   RECORDS=20000 POISON=60   records produced
#   RATE                      records/s (default: the stream lasts ~60s)
#   TXN_TIMEOUT_MS=20000      delivery.transaction_timeout_ms: how long the
#                             killed instance's open transaction (and the
#                             offsets in it) blocks its partitions
#   SEED, KEEP_WORK, SESSION_TIMEOUT_MS, DRAIN_TIMEOUT: see tests/lib/broker_test.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init rebalance "${1:-}"

fault_stream 20000 60
export TXN_TIMEOUT_MS="${TXN_TIMEOUT_MS:-20000}"

fault_setup --src-partitions 6 --dst-partitions 3
proxy_start a
proxy_start b
produce_start "$RATE"

# at PERCENT: waits until that share of the stream was fed (+ jitter).
at() {
  wait_produced $(( TOTAL * $1 / 100 + RANDOM % (TOTAL / 20 + 1) ))
  sleep "0.$(rand_between 0 9)"
  check_proxies fail
  log "at fed=$(produced) output=$(output_count): $2"
}

at 15 "c joins";       proxy_start c
at 35 "kill -9 a";     proxy_kill9 a
at 55 "d joins";       proxy_start d
at 75 "SIGTERM b";     proxy_term b

wait_drained fail
proxy_term c
proxy_term d
run_verify
for n in a b c d; do
  log "instance $n: $(grep -c -e partitions_assigned "$WORK/proxy-$n.log") assignments," \
    "$(grep -c -e partitions_revoked -e partitions_lost "$WORK/proxy-$n.log") revocations," \
    "$(grep -c transaction_aborted "$WORK/proxy-$n.log") aborted transactions"
done
log "PASS rebalance: records=$TOTAL ($VERIFY_LINE)"
