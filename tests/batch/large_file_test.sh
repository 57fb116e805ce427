#!/usr/bin/env bash
# Batch mode on a multi-GB JSON Lines stream: every record masked, none lost,
# no raw PII out, and memory flat (the peak RSS for GB_BIG GB is within
# SLACK_MB of the peak for a small run).
#   tests/batch/large_file_test.sh build/src/app/maskproxy   (env GB_BIG=2)
set -euo pipefail
bin=$(realpath "${1:?usage: $0 path/to/maskproxy}")
root=$(cd "$(dirname "$0")/../.." && pwd)
gb=${GB_BIG:-2}
slack_mb=${SLACK_MB:-16}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" keys generate --out "$work/keys.yaml" rrn phone email account contact customer 2>/dev/null

# A ~10 MB chunk of ~1 KB transfer events with distinct PII, repeated.
python3 - >"$work/chunk.jsonl" <<'PY'
import json
for i in range(10000):
    c = i % 5000
    ev = {"transfer_id": f"T-{i}", "occurred_at": "2026-11-26T09:00:00+09:00", "amount": 1000 + i, "currency": "KRW",
          "sender": {"rrn": f"{60 + c % 40:02d}{1 + c % 12:02d}{1 + c % 28:02d}-{1 + c % 2}{c:06d}",
                     "birth_date": "1990-01-01", "phone": f"010-{1000 + c % 9000:04d}-{5000 + c % 5000:04d}",
                     "email": f"user{c}@example.com", "name": "김민준", "address": "서울특별시 강남구 테헤란로 123"},
          "recipients": [{"name": "이서연", "phone": f"010{2000 + c % 8000:04d}{3000 + c % 7000:04d}", "bank": "088",
                          "account": f"110-{c % 1000:03d}-{i:06d}"}],
          "card": {"number": f"5412 7512 {c % 10000:04d} 3456"},
          "memo": "생일 선물 " * 20, "device": {"os": "android", "app_version": "7.12.0", "locale": "ko-KR"}}
    print(json.dumps(ev, ensure_ascii=False))
PY
chunk_bytes=$(stat -c %s "$work/chunk.jsonl")
reps=$(( gb * 1024 * 1024 * 1024 / chunk_bytes + 1 ))
P=(--policy "$root/policies/transfers.yaml" --keys "$work/keys.yaml" --route transfers --quarantine "$work/q.jsonl")

run() {  # run REPS -> prints "peak_kb lines seconds"
  local reps=$1 start end
  start=$EPOCHREALTIME
  for ((i = 0; i < reps; i++)); do cat "$work/chunk.jsonl"; done |
    /usr/bin/time -f %M -o "$work/rss" "$bin" mask "${P[@]}" 2>/dev/null | tee >(grep -c -E '[0-9]{6}-[1-4][0-9]{6}|@example\.com' >"$work/leaks" || true) | wc -l >"$work/lines"
  end=$EPOCHREALTIME
  echo "$(cat "$work/rss") $(cat "$work/lines") $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
}
read -r small_kb small_lines _ < <(run 2)
read -r big_kb big_lines secs < <(run "$reps")
sleep 1
leaks=$(cat "$work/leaks")
total_mb=$(( reps * chunk_bytes / 1024 / 1024 ))
echo "small run: 20000 records, peak RSS $((small_kb / 1024)) MB"
echo "big run:   $big_lines records ($total_mb MB), peak RSS $((big_kb / 1024)) MB, ${secs}s"
fail=0
[ "$small_lines" = 20000 ] || { echo "FAIL: small run wrote $small_lines lines"; fail=1; }
[ "$big_lines" = $((reps * 10000)) ] || { echo "FAIL: big run wrote $big_lines of $((reps * 10000)) lines"; fail=1; }
[ "$leaks" = 0 ] || { echo "FAIL: $leaks output lines hold a raw RRN or email"; fail=1; }
[ ! -s "$work/q.jsonl" ] || { echo "FAIL: records quarantined"; fail=1; }
(( big_kb - small_kb <= slack_mb * 1024 )) || { echo "FAIL: memory grew by $(((big_kb - small_kb) / 1024)) MB"; fail=1; }
[ "$fail" = 0 ] && echo "ok: memory flat (+$(((big_kb - small_kb) / 1024)) MB over $total_mb MB), nothing lost or leaked"
exit "$fail"
