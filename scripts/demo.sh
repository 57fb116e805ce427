#!/usr/bin/env bash
# The demo: raw Korean payment events become masked events on an analytics
# topic of a real Kafka broker.
#
#   set-up (packages, Kafka jars) -> build -> start a local KRaft broker ->
#   create topics -> generate a keyring -> run maskproxy with
#   policies/payments.yaml -> produce deploy/demo/payments.jsonl ->
#   read both topics back with kcat (an independent consumer) and print each
#   raw event beside its masked form.
#
# Usage: scripts/demo.sh [--keep]   (--keep leaves the broker running)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1
[[ "${1:-}" == "--help" || "${1:-}" == "-h" ]] && { sed -n '2,13p' "$0"; exit 0; }

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

say "set-up"
"$root/scripts/setup.sh"
say "build"
build_dir="$("$root/scripts/build.sh" --target maskproxy)"
bin="$build_dir/src/app/maskproxy"

say "start the local Kafka broker"
bootstrap="$("$root/scripts/kafka.sh" start)"
echo "broker: $bootstrap" >&2

work="${MASKPROXY_DEMO_DIR:-${TMPDIR:-/tmp}/maskproxy-demo}"
rm -rf "$work"
mkdir -p "$work"
run_id="$(date +%s)"
src="payments.raw"
dst="analytics.payments"
dlq="payments.quarantine"

# Fresh topics each run so the output shows only this run's events.
for t in "$src" "$dst" "$dlq"; do
  "$root/scripts/kafka.sh" delete-topic "$t" >/dev/null 2>&1 || true
done
"$root/scripts/kafka.sh" create-topic "$src" --partitions 3 >&2
"$root/scripts/kafka.sh" create-topic "$dst" --partitions 3 >&2
"$root/scripts/kafka.sh" create-topic "$dlq" --partitions 1 >&2

say "keyring (never committed; mode 0600)"
"$bin" keys generate --out "$work/keys.yaml" rrn phone email account

cat >"$work/maskproxy.yaml" <<YAML
source:
  brokers: $bootstrap
  group_id: maskproxy-demo-$run_id
destination:
  brokers: $bootstrap
policies: [$root/policies/payments.yaml]
keyring: $work/keys.yaml
delivery:
  transactional_id: maskproxy-demo-$run_id
stats_interval_ms: 5000
YAML

say "maskproxy run --config $work/maskproxy.yaml"
"$bin" run --config "$work/maskproxy.yaml" 2>"$work/maskproxy.log" &
proxy=$!
cleanup() {
  kill -TERM "$proxy" 2>/dev/null && wait "$proxy" 2>/dev/null || true
  [[ $keep == 1 ]] || "$root/scripts/kafka.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "produce raw events from deploy/demo/payments.jsonl"
n=0
while IFS= read -r line; do
  n=$((n + 1))
  printf 'u-%s\t%s\n' "$n" "$line"
done <"$root/deploy/demo/payments.jsonl" | kcat -b "$bootstrap" -P -t "$src" -K $'\t' -H source=demo
expected=$n

# Wait until every event is on the destination or the dead-letter topic.
deadline=$((SECONDS + 60))
count() { kcat -b "$bootstrap" -C -t "$1" -e -q -X isolation.level=read_committed -f '%o\n' 2>/dev/null | wc -l; }
while :; do
  got=$(( $(count "$dst") + $(count "$dlq") ))
  (( got >= expected )) && break
  if (( SECONDS > deadline )); then
    echo "timed out: $got of $expected events arrived; proxy log: $work/maskproxy.log" >&2
    exit 1
  fi
  sleep 0.5
done

say "raw event -> masked event, read back with kcat (read_committed)"
# kcat -e can end before it has fetched a partition's records (it saw that
# partition's end first): read again until every event is there (up to 20 s:
# on a broker just started, 5 s left every masked event "(not arrived)" in a
# run whose proxy had committed them).
for attempt in $(seq 1 40); do
  kcat -b "$bootstrap" -C -t "$src" -e -q -J >"$work/raw.jsonl"
  for t in "$dst" "$dlq"; do
    kcat -b "$bootstrap" -C -t "$t" -e -q -J -X isolation.level=read_committed
  done >"$work/out.jsonl"
  (( $(wc -l <"$work/raw.jsonl") >= expected && $(wc -l <"$work/out.jsonl") >= expected )) && break
  sleep 0.5
done
python3 "$root/scripts/show_pairs.py" "$work/raw.jsonl" "$work/out.jsonl"
echo >&2
echo "proxy log: $work/maskproxy.log    broker log: $("$root/scripts/kafka.sh" logs)" >&2
