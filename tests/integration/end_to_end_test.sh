#!/usr/bin/env bash
# End-to-end test against a real Kafka broker (scripts/kafka.sh), with the
# maskproxy binary run as a user runs it, and its output checked by kcat, an
# independent consumer:
#   >= 10,000 events + poison records -> exactly once, poison only in the
#   dead-letter topic, no PII in the output, unlisted bytes identical,
#   equal inputs -> equal tokens (check_output.py says exactly what).
# Usage: end_to_end_test.sh PATH/TO/maskproxy
#   env: EVENTS=N (default 10000), POISON=N (60), DELIVERY_MODE=exactly_once|at_least_once
set -euo pipefail
bin="$(realpath "${1:?usage: $0 PATH/TO/maskproxy}")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
events="${EVENTS:-10000}"
mode="${DELIVERY_MODE:-exactly_once}"
poison="${POISON:-60}"
partitions=3

work="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-e2e.XXXXXX")"
proxy=""
cleanup() {
  if [[ -n "$proxy" ]] && kill -0 "$proxy" 2>/dev/null; then kill -KILL "$proxy" 2>/dev/null || true; fi
  if [[ "${KEEP_WORK:-0}" != 1 ]]; then rm -rf "$work"; else echo "work dir kept: $work" >&2; fi
}
trap cleanup EXIT

bootstrap="$("$root/scripts/kafka.sh" start)"
id="e2e-$(date +%s)-r$RANDOM"
src="$id.raw"
dst="$id.analytics"
dlq="$id.quarantine"
"$root/scripts/kafka.sh" create-topic "$src" --partitions "$partitions" >/dev/null
"$root/scripts/kafka.sh" create-topic "$dst" --partitions "$partitions" >/dev/null
"$root/scripts/kafka.sh" create-topic "$dlq" --partitions 1 >/dev/null

# The shipped example policy, pointed at this run's topics.
sed -e "s/from: payments.raw/from: $src/" -e "s/to: analytics.payments/to: $dst/" \
    -e "s/dead_letter: payments.quarantine/dead_letter: $dlq/" "$root/policies/payments.yaml" >"$work/policy.yaml"
grep -q "from: $src" "$work/policy.yaml"
"$bin" keys generate --out "$work/keys.yaml" rrn phone email account 2>/dev/null
cat >"$work/config.yaml" <<YAML
source:
  brokers: $bootstrap
  group_id: $id
policies: [policy.yaml]
keyring: keys.yaml
delivery:
  mode: $mode
$([[ $mode == exactly_once ]] && echo "  transactional_id: $id-0")
  commit_interval_ms: 100
stats_interval_ms: 2000
YAML

echo "generating $events events and $poison poison records" >&2
python3 "$here/gen_events.py" --events "$events" --poison "$poison" --out "$work/events.tsv" --meta "$work/meta.json"
kcat -b "$bootstrap" -P -t "$src" -K $'\t' -H source=e2e -X linger.ms=20 <"$work/events.tsv"
total=$((events + poison))

"$bin" run --config "$work/config.yaml" 2>"$work/proxy.log" &
proxy=$!
count() { kcat -b "$bootstrap" -C -t "$1" -e -q -X isolation.level=read_committed -f '%o\n' 2>/dev/null | wc -l; }
deadline=$((SECONDS + 300))
start=$SECONDS
while :; do
  got=$(( $(count "$dst") + $(count "$dlq") ))
  (( got >= total )) && break
  if ! kill -0 "$proxy" 2>/dev/null; then echo "FAIL: maskproxy exited early"; tail -50 "$work/proxy.log"; exit 1; fi
  if (( SECONDS > deadline )); then echo "FAIL: timed out with $got of $total records"; tail -50 "$work/proxy.log"; exit 1; fi
  sleep 1
done
echo "all $total records arrived after ~$((SECONDS - start)) s" >&2
# A little longer, so a duplicate would have time to show up.
sleep 2
# SIGTERM: commit, leave the group, exit 0 within the stated 30 s.
stop_start=$SECONDS
kill -TERM "$proxy"
rc=0
wait "$proxy" || rc=$?
proxy=""
stop_secs=$((SECONDS - stop_start))
echo "maskproxy stopped in ~${stop_secs} s after SIGTERM" >&2
(( stop_secs <= 30 )) || { echo "FAIL: shutdown took ${stop_secs} s (> 30 s)"; exit 1; }
if (( rc != 0 )); then echo "FAIL: maskproxy exited $rc on SIGTERM"; tail -50 "$work/proxy.log"; exit 1; fi
grep -q ' stopped' "$work/proxy.log" || { echo "FAIL: no clean stop in the log"; exit 1; }

# Offsets were committed: a restarted proxy in the same group finds nothing
# left to do.
"$bin" run --config "$work/config.yaml" 2>"$work/proxy2.log" &
proxy=$!
for _ in $(seq 1 60); do grep -q partitions_assigned "$work/proxy2.log" && break; sleep 0.5; done
sleep 3
kill -TERM "$proxy"; wait "$proxy" || { echo "FAIL: restarted maskproxy exited non-zero"; exit 1; }
proxy=""
again=$(( $(count "$dst") + $(count "$dlq") ))
if (( again != total )); then echo "FAIL: after a restart the outputs hold $again records, not $total"; exit 1; fi

kcat -b "$bootstrap" -C -t "$src" -e -q -J >"$work/source.jsonl"
kcat -b "$bootstrap" -C -t "$dst" -e -q -J -X isolation.level=read_committed >"$work/dest.jsonl"
kcat -b "$bootstrap" -C -t "$dlq" -e -q -J -X isolation.level=read_committed >"$work/dlq.jsonl"

# The proxy's own log must not carry PII either (it logs dead letters).
if grep -E -q '[0-9]{6}-?[0-9]{7}' "$work/proxy.log"; then
  echo "FAIL: an RRN-like value appears in the proxy log"; exit 1
fi

python3 "$here/check_output.py" --meta "$work/meta.json" --source "$work/source.jsonl" --dest "$work/dest.jsonl" \
  --dlq "$work/dlq.jsonl" --partitions "$partitions"
