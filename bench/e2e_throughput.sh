#!/usr/bin/env bash
# End-to-end throughput on the real broker: exactly-once vs at-least-once,
# same binary, same broker, same input, in one run.
#
# Produces RECORDS (default 200,000) JSON payment events of ~1 KB to a topic,
# then runs maskproxy ROUNDS times per mode (alternating, a fresh consumer
# group each run) and measures the time from partition assignment until every
# record is consumed, delivered and committed (from the proxy's stats lines,
# every 200 ms). Prints per-run rates, the medians and the ratio.
#
# Usage: bench/e2e_throughput.sh PATH/TO/maskproxy
#   env: RECORDS, ROUNDS (3), COMMIT_INTERVAL_MS (100)
set -euo pipefail
bin="$(realpath "${1:?usage: $0 PATH/TO/maskproxy}")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records="${RECORDS:-200000}"
rounds="${ROUNDS:-3}"
interval="${COMMIT_INTERVAL_MS:-100}"
work="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
kafka() { "$root/scripts/kafka.sh" "$@"; }

bootstrap="$(kafka start)"
id="bench-$(date +%s)"
src="$id.raw"
kafka create-topic "$src" --partitions 6 >/dev/null 2>&1
sed -e "s/from: payments.raw/from: $src/" "$root/policies/payments.yaml" >"$work/policy.yaml"
"$bin" keys generate --out "$work/keys.yaml" rrn phone email account 2>/dev/null

python3 - "$records" >"$work/events.tsv" <<'PY'
import json, random, sys
rng = random.Random(1)
for i in range(int(sys.argv[1])):
    ev = {"event_id": f"evt-{i:08d}", "event_type": "payment.approved", "occurred_at": "2026-11-26T09:12:03.120+09:00",
          "user": {"id": f"u-{i % 5000:05d}", "name": "김민준", "rrn": f"{rng.randint(500101, 991231)}-{rng.randint(1000000, 2999999)}",
                   "phone": f"010-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}", "email": f"user{i % 5000}@example.co.kr",
                   "address": "서울특별시 강남구 테헤란로 123"},
          "payment": {"amount": rng.randint(1000, 999999), "currency": "KRW", "merchant": "스타벅스 강남점",
                      "card": {"number": "5412 7512 3412 3456", "expiry": "12/28", "holder": "KIM MINJUN"}},
          "transfer": {"bank": "088", "account": "110-123-456789"},
          "memo": "생일 선물", "device": {"os": "android", "app_version": "7.12.0", "ip_country": "KR"}}
    s = json.dumps(ev, ensure_ascii=False, separators=(",", ":"))
    pad = 1024 - len(s.encode()) - len(',"trace":""')
    ev["trace"] = "x" * max(pad, 0)
    print(f"u-{i % 5000:05d}\t{json.dumps(ev, ensure_ascii=False, separators=(',', ':'))}")
PY
echo "producing $records records of $(head -1 "$work/events.tsv" | cut -f2 | wc -c) bytes" >&2
kcat -b "$bootstrap" -P -t "$src" -K $'\t' -X linger.ms=50 -X batch.num.messages=10000 <"$work/events.tsv"

run_once() {  # mode round -> prints records/s
  local mode="$1" r="$2" dst="$id.$1.$2"
  kafka create-topic "$dst" --partitions 6 >/dev/null 2>&1
  kafka create-topic "$id.dlq.$1.$2" >/dev/null 2>&1
  sed -e "s/to: analytics.payments/to: $dst/" -e "s/dead_letter: payments.quarantine/dead_letter: $id.dlq.$1.$2/" \
    "$work/policy.yaml" >"$work/policy-$mode-$r.yaml"
  cat >"$work/config-$mode-$r.yaml" <<YAML
source: { brokers: $bootstrap, group_id: $id-$mode-$r }
policies: [policy-$mode-$r.yaml]
keyring: keys.yaml
delivery:
  mode: $mode
$([[ $mode == exactly_once ]] && echo "  transactional_id: $id-$mode-$r")
  commit_interval_ms: $interval
stats_interval_ms: 200
YAML
  "$bin" run --config "$work/config-$mode-$r.yaml" 2>"$work/log-$mode-$r" &
  local pid=$!
  while ! grep -q "consumed=$records .*inflight_records=0 " "$work/log-$mode-$r" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "proxy died" >&2; tail "$work/log-$mode-$r" >&2; exit 1; }
    sleep 0.2
  done
  kill -TERM "$pid"; wait "$pid"
  python3 - "$work/log-$mode-$r" "$records" <<'PY'
import re, sys
from datetime import datetime
lines = open(sys.argv[1]).read().splitlines()
ts = lambda l: datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
start = next(ts(l) for l in lines if " partitions_assigned " in l)
end = next(ts(l) for l in lines if f" consumed={sys.argv[2]} " in l and " inflight_records=0 " in l)
print(f"{int(sys.argv[2]) / (end - start):.0f}")
PY
}

declare -A rates
for r in $(seq 1 "$rounds"); do
  for mode in at_least_once exactly_once; do
    rate=$(run_once "$mode" "$r")
    rates[$mode]+="$rate "
    echo "round $r $mode: $rate records/s" >&2
  done
done
python3 - "${rates[exactly_once]}" "${rates[at_least_once]}" "$records" "$interval" <<'PY'
import statistics, sys
eos = [float(x) for x in sys.argv[1].split()]
alo = [float(x) for x in sys.argv[2].split()]
me, ma = statistics.median(eos), statistics.median(alo)
print(f"records={sys.argv[3]} record_size=1KB commit_interval_ms={sys.argv[4]} rounds={len(eos)}")
print(f"exactly_once  median {me:,.0f} records/s  runs {[int(x) for x in eos]}")
print(f"at_least_once median {ma:,.0f} records/s  runs {[int(x) for x in alo]}")
print(f"ratio exactly_once / at_least_once = {me / ma:.3f}")
PY
