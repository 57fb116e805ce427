#!/usr/bin/env bash
# The record path side by side on the real broker: several maskproxy
# variants (binaries and/or worker counts) drain the same pre-filled topic,
# alternated round by round, a fresh consumer group and fresh output topics
# each run. Per run: records/s (partition assignment until every record is
# consumed, delivered and committed, from the stats lines every 200 ms),
# the process's CPU-seconds (utime + stime from /proc, start to stop), CPU
# per record and peak RSS (VmHWM). Prints medians and each variant's ratio
# to the first, round by round.
#
# Usage: bench/record_path.sh NAME=PATH/TO/maskproxy[:WORKERS] ...
#   e.g. bench/record_path.sh before=/tmp/base/maskproxy:1 w1=build/src/app/maskproxy:1 w2=build/src/app/maskproxy:2
#   env: RECORDS (100000), ROUNDS (3), MODE (exactly_once | at_least_once),
#        POLICY (policies/payments.yaml), COMMIT_INTERVAL_MS (100),
#        SOURCE_PROPERTIES (librdkafka consumer properties as YAML flow
#        entries, e.g. "queued.max.messages.kbytes: 65536"), DEST_PROPERTIES
#        (the same for the producer, e.g. "linger.ms: 50"; DEST_PROPERTIES_NAME
#        for variant NAME only), PERF_DIR (perf
#        record -g of each run into PERF_DIR/NAME-ROUND.data; PERF_FREQ Hz, 499;
#        PERF_CALLGRAPH, e.g. "--call-graph dwarf,16384")
# CPU is counted from partition assignment to the last commit (start-up
# excluded).
# WORKERS is the config's `workers:` (omitted: the binary's default). A
# binary that does not know `workers:` needs it omitted.
set -euo pipefail
(( $# >= 1 )) || { sed -n '2,18p' "$0" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records="${RECORDS:-100000}"
rounds="${ROUNDS:-3}"
mode="${MODE:-exactly_once}"
policy="$(realpath "${POLICY:-$root/policies/payments.yaml}")"
interval="${COMMIT_INTERVAL_MS:-100}"
work="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-rp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
kafka() { "$root/scripts/kafka.sh" "$@"; }

names=() bins=() workers=()
for v in "$@"; do
  names+=("${v%%=*}")
  rest="${v#*=}"
  if [[ "$rest" == *:* ]]; then bins+=("$(realpath "${rest%%:*}")") workers+=("${rest##*:}"); else bins+=("$(realpath "$rest")") workers+=(""); fi
done

bootstrap="$(kafka start)"
id="rp-$(date +%s)"
src="$id.raw"
kafka create-topic "$src" --partitions 6 >/dev/null 2>&1
from="$(sed -n 's/^ *- *from: *\([^ ]*\).*/\1/p; s/^ *from: *\([^ ]*\).*/\1/p' "$policy" | head -1)"
sed -e "s/from: $from/from: $src/" "$policy" >"$work/policy.yaml"
"${bins[0]}" keys generate --out "$work/keys.yaml" rrn phone email account 2>/dev/null

# The reference events of bench/e2e_throughput.sh (~1 KB of JSON each).
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
kcat -b "$bootstrap" -P -t "$src" -K $'\t' -X linger.ms=50 -X batch.num.messages=10000 <"$work/events.tsv"
echo "load before: $(uptime)" >&2

run_once() {  # index round -> prints "records/s cpu_s rss_kb"
  local i="$1" r="$2" tag="${names[$1]}-$2"
  local dst="$id.$tag" dlq="$id.dlq.$tag"
  local dest_var="DEST_PROPERTIES_${names[$1]}" dest_props
  dest_props="${!dest_var:-${DEST_PROPERTIES:-}}"
  kafka create-topic "$dst" --partitions 6 >/dev/null 2>&1
  kafka create-topic "$dlq" >/dev/null 2>&1
  sed -e "s/^\( *\)to: .*/\1to: $dst/" -e "s/^\( *\)dead_letter: .*/\1dead_letter: $dlq/" \
    "$work/policy.yaml" >"$work/policy-$tag.yaml"
  cat >"$work/config-$tag.yaml" <<YAML
source: { brokers: $bootstrap, group_id: $id-$tag, properties: { ${SOURCE_PROPERTIES:-} } }
$([[ -n "$dest_props" ]] && echo "destination: { brokers: $bootstrap, properties: { $dest_props } }")
policies: [policy-$tag.yaml]
keyring: keys.yaml
delivery:
  mode: $mode
$([[ $mode == exactly_once ]] && echo "  transactional_id: $id-$tag")
  commit_interval_ms: $interval
stats_interval_ms: 200
admin: { enabled: false }
$([[ -n "${workers[$i]}" ]] && echo "workers: ${workers[$i]}")
YAML
  "${bins[$i]}" run --config "$work/config-$tag.yaml" 2>"$work/log-$tag" &
  local pid=$! perf_pid=""
  while ! grep -q " partitions_assigned " "$work/log-$tag" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "proxy died" >&2; tail "$work/log-$tag" >&2; exit 1; }
    sleep 0.05
  done
  local cpu0
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  if [[ -n "${PERF_DIR:-}" ]]; then
    perf record -q -F ${PERF_FREQ:-499} ${PERF_CALLGRAPH:--g} -p "$pid" -o "$PERF_DIR/$tag.data" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  while ! grep -q "consumed=$records .*inflight_records=0 " "$work/log-$tag" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "proxy died" >&2; tail "$work/log-$tag" >&2; exit 1; }
    sleep 0.1
  done
  # CPU (clock ticks) and peak RSS just before the stop.
  local cpu rss
  cpu=$(awk -v c0="$cpu0" '{print $14 + $15 - c0}' "/proc/$pid/stat")
  [[ -n "$perf_pid" ]] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" || true
  python3 - "$work/log-$tag" "$records" "$cpu" "$(getconf CLK_TCK)" "$rss" <<'PY'
import sys
from datetime import datetime
lines = open(sys.argv[1]).read().splitlines()
ts = lambda l: datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
start = next(ts(l) for l in lines if " partitions_assigned " in l)
end = next(ts(l) for l in lines if f" consumed={sys.argv[2]} " in l and " inflight_records=0 " in l)
print(f"{int(sys.argv[2]) / (end - start):.0f} {int(sys.argv[3]) / int(sys.argv[4]):.2f} {sys.argv[5]}")
PY
}

declare -A res
for r in $(seq 1 "$rounds"); do
  for i in "${!names[@]}"; do
    out=$(run_once "$i" "$r")
    res[$i]+="$out;"
    echo "round $r ${names[$i]}: $out (records/s cpu_s rss_kb)" >&2
  done
done
echo "load after: $(uptime)" >&2
args=()
for i in "${!names[@]}"; do args+=("${names[$i]}" "${res[$i]}"); done
python3 - "$records" "$mode" "$(basename "$policy")" "${args[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1]); mode = sys.argv[2]; pol = sys.argv[3]
v = sys.argv[4:]
names = v[0::2]
runs = [[tuple(float(x) for x in r.split()) for r in s.strip(";").split(";")] for s in v[1::2]]
print(f"records={n} record_size=1KB mode={mode} policy={pol} rounds={len(runs[0])}")
print(f"{'variant':<12} {'records/s':>10} {'cpu_s':>7} {'us/rec':>7} {'rec/cpu_s':>10} {'rss_MB':>7}  rate ratio per round (vs {names[0]})")
base = runs[0]
for name, rs in zip(names, runs):
    rate = statistics.median(x[0] for x in rs)
    cpu = statistics.median(x[1] for x in rs)
    rss = max(x[2] for x in rs) / 1024
    ratios = [f"{a[0] / b[0]:.2f}" for a, b in zip(rs, base)]
    cratios = [f"{(b[1]) / (a[1]):.2f}" for a, b in zip(rs, base)]
    print(f"{name:<12} {rate:>10,.0f} {cpu:>7.2f} {cpu / n * 1e6:>7.2f} {n / cpu:>10,.0f} {rss:>7.0f}  rate {' '.join(ratios)}  cpu-efficiency {' '.join(cratios)}")
PY
