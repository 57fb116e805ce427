#!/usr/bin/env bash
# End-to-end test against a real Kafka broker (scripts/kafka.sh), with the
# maskproxy binary run as a user runs it, and its output checked by kcat, an
# independent consumer:
#   >= 10,000 events + poison records -> exactly once, poison only in the
#   dead-letter topic, no PII in the output, unlisted bytes identical,
#   equal inputs -> equal tokens (tests/verify/verify.py --meta says exactly what).
# Usage: end_to_end_test.sh PATH/TO/maskproxy
#   env: EVENTS=N (default 10000), POISON=N (60), DELIVERY_MODE=exactly_once|at_least_once
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init e2e "${1:-}"
events="${EVENTS:-10000}"
mode="${DELIVERY_MODE:-exactly_once}"
poison="${POISON:-60}"
partitions=3

topics_create --src-partitions "$partitions" --dst-partitions "$partitions"
# The shipped example policy, pointed at this run's topics.
policy_retarget
keys_generate rrn phone email account
config_write --mode "$mode" --txid "$ID-0"

events_generate "$events" "$poison"
produce_file "$WORK/events.tsv" -H source=e2e

proxy_start p
wait_output "$TOTAL" 300
# A little longer, so a duplicate would have time to show up.
sleep 2
# SIGTERM: commit, leave the group, exit 0 within the stated 30 s.
stop_start=$SECONDS
proxy_term p 30
log "maskproxy stopped in ~$((SECONDS - stop_start)) s after SIGTERM"

# Offsets were committed: a restarted proxy in the same group finds nothing
# left to do.
proxy_start p
for _ in $(seq 1 60); do grep -q partitions_assigned "$WORK/proxy-p.log" && break; sleep 0.5; done
sleep 3
proxy_term p
again=$(output_count)
(( again == TOTAL )) || fail "after a restart the outputs hold $again records, not $TOTAL"

# The independent check (read_committed), with the generator's metadata:
# also unlisted bytes, tokens, partitions, headers; and no RRN-like value in
# the proxy's own log (it logs dead letters).
run_verify --meta "$WORK/meta.json" --partitions "$partitions" --source-header source=e2e
