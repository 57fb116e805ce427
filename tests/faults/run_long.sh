#!/usr/bin/env bash
# Runs the long forms of the fault tests (for the docs): 100,000 records
# each, 10 SIGKILLs, ... against the broker of $MASKPROXY_KAFKA_DIR, one
# after the other (some restart the broker). Prints, per test, its verifier
# line and its PASS/FAIL summary; full logs go to LOG_DIR.
#
# Usage: run_long.sh PATH/TO/maskproxy [TEST...]
#   TEST: kill9 broker_restart rebalance fencing destination_missing (default: all)
# Env: RECORDS (default 100000), POISON (default 300), RATE (default 1000 records/s), KILLS
#      (default 10), LOG_DIR (default: a new dir under ${TMPDIR:-/tmp}),
#      and the knobs of each test (see their headers).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$(realpath "${1:?usage: $0 PATH/TO/maskproxy [TEST...]}")"
shift
tests=("$@")
(( ${#tests[@]} > 0 )) || tests=(kill9 broker_restart rebalance fencing destination_missing)
log_dir="${LOG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-faults-long.XXXXXX")}"
mkdir -p "$log_dir"
export RECORDS="${RECORDS:-100000}" POISON="${POISON:-300}" RATE="${RATE:-1000}" KILLS="${KILLS:-10}"
export DRAIN_TIMEOUT="${DRAIN_TIMEOUT:-900}"

echo "long fault tests: RECORDS=$RECORDS POISON=$POISON RATE=$RATE KILLS=$KILLS binary=$bin logs=$log_dir"
failed=0
for t in "${tests[@]}"; do
  script="$here/${t}_test.sh"
  [[ -x "$script" ]] || { echo "$t: no such test ($script)"; failed=1; continue; }
  start=$SECONDS
  rc=0
  "$script" "$bin" >"$log_dir/$t.log" 2>&1 || rc=$?
  took=$((SECONDS - start))
  verifier="$(grep -E '^lost=[0-9]+ ' "$log_dir/$t.log" | tail -n 1)"
  summary="$(grep -E '\] (PASS|FAIL)' "$log_dir/$t.log" | tail -n 1 | sed -E 's/^\[[^]]*\] //')"
  if (( rc == 0 )); then
    printf '%-20s PASS in %4ds  %s\n' "$t" "$took" "${verifier:-?}"
  else
    failed=1
    printf '%-20s FAIL (exit %d) in %4ds  %s\n' "$t" "$rc" "$took" "${verifier:-no verifier line}"
  fi
  [[ -n "$summary" ]] && printf '%-20s   %s\n' "" "$summary"
done
echo "logs: $log_dir"
exit "$failed"
