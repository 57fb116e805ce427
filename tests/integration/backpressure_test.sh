#!/usr/bin/env bash
# Backpressure and bounded memory against a real broker: the destination is
# made slow with a broker quota on the proxy's producer client id, so records
# are consumed faster than they can be delivered. The proxy must pause
# consumption (in-flight records stay under the configured bound), keep its
# resident memory under RSS_LIMIT_MB, and once the quota is lifted deliver
# everything exactly once with no PII (tests/verify/verify.py --meta).
# Usage: backpressure_test.sh PATH/TO/maskproxy
#   env: EVENTS (default 40000), DELIVERY_MODE (at_least_once), RSS_LIMIT_MB (256)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init bp "${1:-}"
events="${EVENTS:-40000}"
poison=20
mode="${DELIVERY_MODE:-at_least_once}"
rss_limit_mb="${RSS_LIMIT_MB:-256}"
max_inflight="${MAX_INFLIGHT:-2000}"
partitions=3

topics_create --src-partitions "$partitions" --dst-partitions "$partitions"
client="$ID-producer"
quota() {
  "$KAFKA" tool kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" --entity-type clients --entity-name "$client" \
    --alter "$@" >/dev/null 2>&1
}
quota --add-config producer_byte_rate=300000   # ~300 KB/s: far slower than consuming

policy_retarget
keys_generate rrn phone email account
config_write --mode "$mode" --txid "$ID-0" --commit-interval "" --stats-interval 1000 \
  --extra "destination:
  properties:
    client.id: $client" \
  --extra "limits:
  max_inflight_records: $max_inflight"

events_generate "$events" "$poison"
produce_file "$WORK/events.tsv" -H source=e2e
total=$TOTAL

proxy_start p
proxy=${PROXY_PID[p]}
log_file="$WORK/proxy-p.log"
max_rss=0
for _ in $(seq 1 30); do   # 15 s under the quota
  sleep 0.5
  rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$proxy/status" 2>/dev/null || echo 0)
  (( rss > max_rss )) && max_rss=$rss
done
# While throttled: paused at least once, in-flight never far above the bound.
grep ' stats ' "$log_file" | tail -3 >&2
pauses=$(grep ' stats ' "$log_file" | tail -1 | sed -n 's/.* pauses=\([0-9]*\).*/\1/p')
peak_inflight=$(grep ' stats ' "$log_file" | sed -n 's/.* inflight_records=\([0-9]*\).*/\1/p' | sort -n | tail -1)
consumed=$(grep ' stats ' "$log_file" | tail -1 | sed -n 's/.* consumed=\([0-9]*\).*/\1/p')
echo "throttled: consumed=$consumed of $total, peak in-flight=$peak_inflight (bound $max_inflight), pauses=$pauses, max RSS=${max_rss} MB" >&2
failed=0
(( ${pauses:-0} >= 1 )) || { echo "FAIL: consumption never paused"; failed=1; }
(( ${peak_inflight:-0} <= max_inflight + 1 )) || { echo "FAIL: in-flight $peak_inflight above the bound $max_inflight"; failed=1; }
(( ${consumed:-0} < total )) || { echo "FAIL: everything was consumed despite the throttled destination"; failed=1; }
(( max_rss <= rss_limit_mb )) || { echo "FAIL: resident memory ${max_rss} MB above ${rss_limit_mb} MB"; failed=1; }

quota --delete-config producer_byte_rate
wait_output "$total" 300
proxy_term p
run_verify --meta "$WORK/meta.json" --partitions "$partitions" --source-header source=e2e || failed=1
exit $failed
