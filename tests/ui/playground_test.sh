#!/usr/bin/env bash
# The policy playground in a real browser (ctest integration.playground):
# a running `maskproxy run` on the real broker with admin.playground enabled,
# driven by headless Chromium through Selenium (playground_test.py):
#   - the page loads from the binary (/playground), with its throwaway-keys
#     banner, and the picker offers the loaded policy;
#   - a policy and events pasted: each event raw beside masked with the
#     changed values highlighted, the rules and detector hits, a dead letter
#     with its reason, the policy's embedded tests passing;
#   - a YAML error introduced: its line marked in the editor's gutter and
#     listed with line and column; the embedded tests run again once fixed;
#   - the token the page shows is not the one `maskproxy mask` makes of the
#     same event with the loaded keyring (throwaway keys, never the loaded
#     ones); the dry-run endpoint's limits answered over HTTP (413, 400).
# Screenshots go to the work dir (kept with KEEP_WORK=1) and, with
# PLAYGROUND_SCREENSHOTS=DIR, are copied there (docs/images/ was made so).
# Usage: playground_test.sh PATH/TO/maskproxy
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init playground "${1:-}"
for tool in curl chromium chromedriver; do
  command -v "$tool" >/dev/null || fail "$tool not found (run scripts/setup.sh)"
done
python3 -c 'import selenium' 2>/dev/null || fail "python3 selenium not found (run scripts/setup.sh)"

topics_create
policy_retarget
keys_generate rrn phone email account
config_write --txid "$ID-0" --extra "log_format: json" --extra $'admin:\n  listen: 127.0.0.1:0\n  playground:\n    enabled: true\n    max_events: 50\n    max_body_bytes: 262144'
proxy_start p

addr=""
for _ in $(seq 1 100); do
  addr="$(grep -o '"event":"admin_listening","address":"[^"]*"' "$WORK/proxy-p.log" | tail -n 1 |
    sed 's/.*"address":"//; s/"$//')" || true
  [[ -n "$addr" ]] && break
  proxy_alive p || fail "the proxy exited before listening"
  sleep 0.1
done
[[ -n "$addr" ]] || fail "no admin_listening line in the log"
URL="http://$addr"
grep -q '"event":"playground_enabled"' "$WORK/proxy-p.log" || fail "no playground_enabled line in the log"
log "admin listener at $URL"

# The endpoint's limits over HTTP: 50 events pass, 51 are 413; a body over
# max_body_bytes is 413 before it is read; a bad body is 400 with its place.
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
policy = open(f"{work}/policy.yaml").read()
for n, name in ((50, "ok"), (51, "many")):
    json.dump({"policy": policy, "events": "{}\n" * n}, open(f"{work}/req-{name}.json", "w"))
json.dump({"policy": policy, "events": "x" * 300000}, open(f"{work}/req-big.json", "w"))
PY
code() { curl -sS -o "$WORK/answer.json" -w '%{http_code}' -H 'Content-Type: application/json' "$@"; }
[[ "$(code --data-binary @"$WORK/req-ok.json" "$URL/v1/policy/evaluate")" == 200 ]] || fail "50 events: $(cat "$WORK/answer.json")"
[[ "$(code --data-binary @"$WORK/req-many.json" "$URL/v1/policy/evaluate")" == 413 ]] || fail "51 events not 413"
grep -q '"error":"too_large","message":"51 events' "$WORK/answer.json" || fail "51 events: $(cat "$WORK/answer.json")"
[[ "$(code --data-binary @"$WORK/req-big.json" "$URL/v1/policy/evaluate")" == 413 ]] || fail "a body over the limit not 413"
[[ "$(code --data-binary $'{"policy":\n 7}' "$URL/v1/policy/evaluate")" == 400 ]] || fail "a bad body not 400"
grep -q '"line":2,"col":2' "$WORK/answer.json" || fail "a bad body: $(cat "$WORK/answer.json")"
# The other endpoints keep their 64 KiB limit.
head -c 70000 /dev/zero | tr '\0' x >"$WORK/big.txt"
[[ "$(code --data-binary @"$WORK/big.txt" "$URL/loglevel")" == 413 ]] || fail "/loglevel took a body over 64 KiB"
log "limits: ok"

python3 "$ROOT/tests/ui/playground_test.py" --url "$URL" --work "$WORK" --bin "$BIN" ||
  fail "the browser test failed (screenshots in $WORK)"
if [[ -n "${PLAYGROUND_SCREENSHOTS:-}" ]]; then
  mkdir -p "$PLAYGROUND_SCREENSHOTS"
  cp "$WORK"/playground-*.png "$PLAYGROUND_SCREENSHOTS"/
fi
proxy_term p
log "PASS"
