#!/usr/bin/env bash
# End-to-end throughput on the real broker: one or more maskproxy binaries
# (e.g. before and after a change), exactly-once and at-least-once, the
# payments policy and a pass-through policy, same broker, same input, in one
# run, alternated.
#
# Produces RECORDS (default 200,000) JSON payment events of ~1 KB to a topic
# of 6 partitions, then for each round runs every binary x mode x policy
# (alternating, a fresh consumer group and destination each run) and measures
# the time from partition assignment until every record is consumed,
# delivered and committed (from the proxy's stats lines, every 100 ms). Per
# run: records/s, MB/s, the process's CPU-seconds (user + system, whole
# process, start-up included), records per CPU-second, peak resident memory
# (VmHWM), transactions committed per second, and "idle": the share of
# 100 ms stats intervals in which not one record was consumed (the fetch
# stall). Prints the medians per
# binary, mode and policy and, with several binaries, the ratio of each
# median to the first binary's.
#
# Usage: bench/e2e_throughput.sh [LABEL=]PATH/TO/maskproxy...
#   env: RECORDS (200000), ROUNDS (3), MODES ("at_least_once exactly_once"),
#        POLICIES ("payments passthrough"), COMMIT_INTERVAL_MS (100),
#        COMMIT (interval|eager; exactly-once only; default: not written),
#        SOURCE_PROPERTIES (a YAML flow map of consumer properties, e.g.
#        "{queued.max.messages.kbytes: 65536}"; default none),
#        LABEL_COMMIT ("LABEL:SETTING ...", SETTING a commit interval in ms or
#        eager: per-label commit settings, so that one binary under several
#        labels compares commit policies alternated in one run)
set -euo pipefail
(( $# >= 1 )) || { echo "usage: $0 [LABEL=]PATH/TO/maskproxy..." >&2; exit 2; }
labels=()
declare -A bins
for a in "$@"; do
  if [[ $a == *=* ]]; then l="${a%%=*}" p="${a#*=}"; else p="$a" l="$(basename "$a")"; fi
  labels+=("$l")
  bins[$l]="$(realpath "$p")"
done
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records="${RECORDS:-200000}"
rounds="${ROUNDS:-3}"
modes="${MODES:-at_least_once exactly_once}"
policies="${POLICIES:-payments passthrough}"
interval="${COMMIT_INTERVAL_MS:-100}"
commit="${COMMIT:-}"
source_props="${SOURCE_PROPERTIES:-}"
declare -A label_commit
for lc in ${LABEL_COMMIT:-}; do label_commit[${lc%%:*}]="${lc#*:}"; done
work="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
kafka() { "$root/scripts/kafka.sh" "$@"; }
hz="$(getconf CLK_TCK)"

bootstrap="$(kafka start)"
id="bench-$(date +%s)"
src="$id.raw"
kafka create-topic "$src" --partitions 6 >/dev/null 2>&1
sed -e "s/from: payments.raw/from: $src/" "$root/policies/payments.yaml" >"$work/payments.yaml"
# Pass-through: the same route, one rule that keeps a field as it is.
cat >"$work/passthrough.yaml" <<YAML
policy: passthrough
version: 1
routes:
  - name: payments
    from: $src
    to: analytics.payments
    dead_letter: payments.quarantine
    unlisted_fields: keep
    rules:
      - { path: event_id, action: keep }
YAML
"${bins[${labels[0]}]}" keys generate --out "$work/keys.yaml" rrn phone email account 2>/dev/null

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
record_bytes=$(head -1 "$work/events.tsv" | cut -f2 | wc -c)
echo "producing $records records of $record_bytes bytes" >&2
kcat -b "$bootstrap" -P -t "$src" -K $'\t' -X linger.ms=50 -X batch.num.messages=10000 <"$work/events.tsv"

run_once() {  # label mode policy round -> prints "rate cpu_s rss_mb txn_per_s"
  local label="$1" mode="$2" pol="$3" r="$4"
  local tag="$label-$mode-$pol-$r" ci="$interval" cm="$commit"
  case "${label_commit[$label]:-}" in
    "") ;;
    eager) cm=eager ;;
    *) ci="${label_commit[$label]}" cm=interval ;;
  esac
  local dst="$id.$tag" dlq="$id.dlq.$tag"
  kafka create-topic "$dst" --partitions 6 >/dev/null 2>&1
  kafka create-topic "$dlq" >/dev/null 2>&1
  sed -e "s/to: analytics.payments/to: $dst/" -e "s/dead_letter: payments.quarantine/dead_letter: $dlq/" \
    "$work/$pol.yaml" >"$work/policy-$tag.yaml"
  {
    echo "source: { brokers: $bootstrap, group_id: $id-$tag$([[ -n $source_props ]] && echo ", properties: $source_props") }"
    echo "policies: [policy-$tag.yaml]"
    echo "keyring: keys.yaml"
    echo "delivery:"
    echo "  mode: $mode"
    if [[ $mode == exactly_once ]]; then
      echo "  transactional_id: $id-$tag"
      [[ -n $cm ]] && echo "  commit: $cm"
    fi
    echo "  commit_interval_ms: $ci"
    echo "stats_interval_ms: 100"
  } >"$work/config-$tag.yaml"
  "${bins[$label]}" run --config "$work/config-$tag.yaml" 2>"$work/log-$tag" &
  local pid=$!
  while ! grep -q "consumed=$records .*inflight_records=0 " "$work/log-$tag" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "proxy died" >&2; tail "$work/log-$tag" >&2; exit 1; }
    sleep 0.2
  done
  local ticks rss
  ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  rss=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid"
  python3 - "$work/log-$tag" "$records" "$ticks" "$hz" "$rss" <<'PY'
import re, sys
from datetime import datetime
lines = open(sys.argv[1]).read().splitlines()
ts = lambda l: datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
start = next(ts(l) for l in lines if " partitions_assigned " in l)
end_line = next(l for l in lines if f" consumed={sys.argv[2]} " in l and " inflight_records=0 " in l)
end = ts(end_line)
txns = int(re.search(r" txn_committed=(\d+)", end_line).group(1))
# Idle: the share of stats intervals (100 ms) between assignment and the end
# in which not one record was consumed (the fetch stall shows here).
consumed = [int(re.search(r" consumed=(\d+)", l).group(1)) for l in lines
            if " stats " in l and start <= ts(l) <= end]
steps = [b - a for a, b in zip(consumed, consumed[1:])]
idle = sum(1 for d in steps if d == 0) / max(len(steps), 1)
print(f"{int(sys.argv[2]) / (end - start):.0f} {int(sys.argv[3]) / int(sys.argv[4]):.2f} {sys.argv[5]} "
      f"{txns / (end - start):.1f} {idle:.2f}")
PY
}

results="$work/results"
: >"$results"
for r in $(seq 1 "$rounds"); do
  for mode in $modes; do
    for pol in $policies; do
      for label in "${labels[@]}"; do
        out=$(run_once "$label" "$mode" "$pol" "$r")
        echo "$label $mode $pol $r $out" >>"$results"
        echo "round $r $label $mode $pol: $out (records/s cpu_s rss_mb txn/s idle)" >&2
      done
    done
  done
done
echo "load: $(uptime)"
python3 - "$results" "$records" "$record_bytes" "$interval" "${commit:-default}" "${source_props:-none}" "${labels[@]}" <<'PY'
import statistics, sys
from collections import defaultdict
path, records, rbytes, interval, commit, props, labels = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7:]
runs = defaultdict(list)
for line in open(path):
    label, mode, pol, rnd, rate, cpu, rss, tps, idle = line.split()
    runs[(label, mode, pol)].append((int(rnd), float(rate), float(cpu), int(rss), float(tps), float(idle)))
print(f"records={records} record_size={rbytes}B partitions=6 commit_interval_ms={interval} commit={commit} "
      f"source.properties={props}")
print("| binary | mode | policy | records/s | MB/s | CPU-s | records per CPU-s | peak RSS MB | txn/s | idle | runs (records/s) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
med = {}
for (label, mode, pol), rs in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][2], labels.index(kv[0][0]))):
    rate = statistics.median(x[1] for x in rs)
    cpu = statistics.median(x[2] for x in rs)
    rss = max(x[3] for x in rs)
    tps = statistics.median(x[4] for x in rs)
    idle = statistics.median(x[5] for x in rs)
    med[(label, mode, pol)] = (rate, records / cpu, {x[0]: x[1] for x in rs})
    print(f"| {label} | {mode} | {pol} | {rate:,.0f} | {rate * rbytes / 1e6:.1f} | {cpu:.2f} | {records / cpu:,.0f} | "
          f"{rss} (max) | {tps:.1f} | {idle:.2f} | {[int(x[1]) for x in rs]} |")
if len(labels) > 1:
    print(f"ratios to {labels[0]} (median of per-round ratios; records/s, records per CPU-s):")
    for (label, mode, pol), (rate, rpc, per) in med.items():
        if label == labels[0]:
            continue
        base = med[(labels[0], mode, pol)]
        per_round = [per[r] / base[2][r] for r in per if r in base[2]]
        print(f"  {label} {mode} {pol}: {statistics.median(per_round):.2f}x records/s, {rpc / base[1]:.2f}x per CPU-s")
PY
