#!/usr/bin/env bash
# Backpressure and bounded memory against a real broker: the destination is
# made slow with a broker quota on the proxy's producer client id, so records
# are consumed faster than they can be delivered. The proxy must pause
# consumption (in-flight records stay under the configured bound), keep its
# resident memory under RSS_LIMIT_MB, and once the quota is lifted deliver
# everything exactly once with no PII (check_output.py).
# Usage: backpressure_test.sh PATH/TO/maskproxy
#   env: EVENTS (default 40000), DELIVERY_MODE (at_least_once), RSS_LIMIT_MB (256)
set -euo pipefail
bin="$(realpath "${1:?usage: $0 PATH/TO/maskproxy}")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
events="${EVENTS:-40000}"
poison=20
mode="${DELIVERY_MODE:-at_least_once}"
rss_limit_mb="${RSS_LIMIT_MB:-256}"
max_inflight="${MAX_INFLIGHT:-2000}"
partitions=3

work="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-bp.XXXXXX")"
proxy=""
cleanup() {
  if [[ -n "$proxy" ]] && kill -0 "$proxy" 2>/dev/null; then kill -KILL "$proxy" 2>/dev/null || true; fi
  [[ "${KEEP_WORK:-0}" == 1 ]] && echo "work dir kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
kafka() { "$root/scripts/kafka.sh" "$@"; }

bootstrap="$(kafka start)"
id="bp-$(date +%s)-r$RANDOM"
src="$id.raw"; dst="$id.analytics"; dlq="$id.quarantine"
for t in "$src" "$dst"; do kafka create-topic "$t" --partitions "$partitions" >/dev/null 2>&1; done
kafka create-topic "$dlq" >/dev/null 2>&1
client="$id-producer"
quota() {
  kafka tool kafka.admin.ConfigCommand --bootstrap-server "$bootstrap" --entity-type clients --entity-name "$client" \
    --alter "$@" >/dev/null 2>&1
}
quota --add-config producer_byte_rate=300000   # ~300 KB/s: far slower than consuming

sed -e "s/from: payments.raw/from: $src/" -e "s/to: analytics.payments/to: $dst/" \
    -e "s/dead_letter: payments.quarantine/dead_letter: $dlq/" "$root/policies/payments.yaml" >"$work/policy.yaml"
"$bin" keys generate --out "$work/keys.yaml" rrn phone email account 2>/dev/null
cat >"$work/config.yaml" <<YAML
source:
  brokers: $bootstrap
  group_id: $id
destination:
  properties:
    client.id: $client
policies: [policy.yaml]
keyring: keys.yaml
delivery:
  mode: $mode
$([[ $mode == exactly_once ]] && echo "  transactional_id: $id-0")
limits:
  max_inflight_records: $max_inflight
stats_interval_ms: 1000
YAML

python3 "$here/gen_events.py" --events "$events" --poison "$poison" --out "$work/events.tsv" --meta "$work/meta.json"
kcat -b "$bootstrap" -P -t "$src" -K $'\t' -H source=e2e -X linger.ms=20 <"$work/events.tsv"
total=$((events + poison))

"$bin" run --config "$work/config.yaml" 2>"$work/proxy.log" &
proxy=$!
max_rss=0
for _ in $(seq 1 30); do   # 15 s under the quota
  sleep 0.5
  rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$proxy/status" 2>/dev/null || echo 0)
  (( rss > max_rss )) && max_rss=$rss
done
# While throttled: paused at least once, in-flight never far above the bound.
grep ' stats ' "$work/proxy.log" | tail -3 >&2
pauses=$(grep ' stats ' "$work/proxy.log" | tail -1 | sed -n 's/.* pauses=\([0-9]*\).*/\1/p')
peak_inflight=$(grep ' stats ' "$work/proxy.log" | sed -n 's/.* inflight_records=\([0-9]*\).*/\1/p' | sort -n | tail -1)
consumed=$(grep ' stats ' "$work/proxy.log" | tail -1 | sed -n 's/.* consumed=\([0-9]*\).*/\1/p')
echo "throttled: consumed=$consumed of $total, peak in-flight=$peak_inflight (bound $max_inflight), pauses=$pauses, max RSS=${max_rss} MB" >&2
fail=0
(( ${pauses:-0} >= 1 )) || { echo "FAIL: consumption never paused"; fail=1; }
(( ${peak_inflight:-0} <= max_inflight + 1 )) || { echo "FAIL: in-flight $peak_inflight above the bound $max_inflight"; fail=1; }
(( ${consumed:-0} < total )) || { echo "FAIL: everything was consumed despite the throttled destination"; fail=1; }
(( max_rss <= rss_limit_mb )) || { echo "FAIL: resident memory ${max_rss} MB above ${rss_limit_mb} MB"; fail=1; }

quota --delete-config producer_byte_rate
count() { kcat -b "$bootstrap" -C -t "$1" -e -q -X isolation.level=read_committed -f '%o\n' 2>/dev/null | wc -l; }
deadline=$((SECONDS + 300))
while (( $(count "$dst") + $(count "$dlq") < total )); do
  (( SECONDS < deadline )) || { echo "FAIL: not drained after the quota was lifted"; tail -20 "$work/proxy.log"; exit 1; }
  sleep 1
done
kill -TERM "$proxy"; wait "$proxy" || { echo "FAIL: maskproxy exited non-zero"; exit 1; }
proxy=""
for t in "$src" "$dst" "$dlq"; do
  kcat -b "$bootstrap" -C -t "$t" -e -q -J -X isolation.level=read_committed >"$work/$t.jsonl"
done
python3 "$here/check_output.py" --meta "$work/meta.json" --source "$work/$src.jsonl" --dest "$work/$dst.jsonl" \
  --dlq "$work/$dlq.jsonl" --partitions "$partitions" || fail=1
exit $fail
