#!/usr/bin/env bash
# The playground's CSV view in headless Chromium (ctest ui.playground_csv),
# without a broker: `maskproxy run` pointed at 127.0.0.1:1 serves the admin
# listener and the playground while its Kafka clients find nobody. Runs the
# CSV cases of playground_test.py (--only csv): cells matched to their raw
# cells by column name and rows by input line, so a column a redact rule
# removes and a dead-lettered row before kept rows mark no unchanged cell
# as changed (found by review). integration.playground runs them too, on
# the real broker, with the rest of the page.
# Usage: playground_csv_test.sh PATH/TO/maskproxy
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$(realpath "${1:?usage: $0 PATH/TO/maskproxy}")"
fail() { echo "playground_csv_test: FAIL: $*" >&2; exit 1; }
for tool in chromium chromedriver; do
  command -v "$tool" >/dev/null || { echo "playground_csv_test: $tool not found (run scripts/setup.sh)" >&2; exit 77; }
done
python3 -c 'import selenium' 2>/dev/null || { echo "playground_csv_test: python3 selenium not found" >&2; exit 77; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-playground-csv.XXXXXX")"
PID=""
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  if [[ -n "${KEEP_WORK:-}" ]]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
"$BIN" keys generate --out "$WORK/keys.yaml" rrn phone email account >/dev/null 2>&1 || fail "keys generate failed"
# The page evaluates the policy it is given; the loaded one only starts the proxy.
cat >"$WORK/policy.yaml" <<'YAML'
policy: playground-csv
version: 1
routes:
  - { from: csv.raw, to: csv.masked, dead_letter: csv.dlq, rules: [{ path: rrn, action: tokenize, key: rrn }] }
YAML
cat >"$WORK/config.yaml" <<YAML
source:
  brokers: 127.0.0.1:1
  group_id: playground-csv
policies: [policy.yaml]
keyring: keys.yaml
delivery:
  transactional_id: playground-csv-$$
log_format: json
admin:
  listen: 127.0.0.1:0
  playground:
    enabled: true
    max_events: 50
YAML
PDEATH=()
command -v setpriv >/dev/null && setpriv --pdeathsig KILL true 2>/dev/null && PDEATH=(setpriv --pdeathsig KILL)
(cd "$WORK" && exec "${PDEATH[@]}" "$BIN" run --config config.yaml >"$WORK/proxy.log" 2>&1) &
PID=$!
addr=""
for _ in $(seq 1 100); do
  addr="$(grep -o '"event":"admin_listening","address":"[^"]*"' "$WORK/proxy.log" | tail -n 1 |
    sed 's/.*"address":"//; s/"$//')" || true
  [[ -n "$addr" ]] && break
  kill -0 "$PID" 2>/dev/null || fail "the proxy exited before listening: $(tail -n 5 "$WORK/proxy.log")"
  sleep 0.1
done
[[ -n "$addr" ]] || fail "no admin_listening line in the log"
python3 "$ROOT/tests/ui/playground_test.py" --url "http://$addr" --work "$WORK" --bin "$BIN" --only csv ||
  fail "the browser test failed (KEEP_WORK=1 keeps the screenshots)"
echo "playground_csv_test: PASS"
