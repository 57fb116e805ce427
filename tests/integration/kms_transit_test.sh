#!/usr/bin/env bash
# Keys held by a real KMS (envelope encryption; OpenBao Transit in dev mode,
# started here by scripts/openbao.sh) with the proxy on the real broker:
#   - keys generate --kms transit:maskproxy writes only wrapped data keys:
#     each one unwrapped here through Transit is in no file and no log;
#   - the proxy unwraps them at start and masks records (encrypt, tokenize);
#   - keys rotate rotates the Transit key (the KEK), rewraps every version to
#     it and adds a wrapped version; POST /reload takes it; new records use
#     version 2; outputs of both versions reveal offline through the KMS;
#   - the KMS stopped during the run: the proxy keeps masking records with the
#     keys in memory, /readyz stays 200 with "degraded":[kms_unreachable],
#     maskproxy_kms_up is 0, a reload of the unchanged keyring still works;
#   - the KMS stopped before a start: the start is refused (exit 1) with a
#     message naming the KMS address and the cause, and no token.
# Usage: kms_transit_test.sh PATH/TO/maskproxy
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init kms_transit "${1:-}"
command -v curl >/dev/null || fail "curl not found (run scripts/setup.sh)"

OPENBAO="$ROOT/scripts/openbao.sh"
export MASKPROXY_OPENBAO_DIR="$WORK/openbao"
kms_cleanup() {
  local rc=$?
  "$OPENBAO" stop >/dev/null 2>&1 || true
  (exit "$rc")
  _bt_cleanup
}
trap kms_cleanup EXIT

BAO_ADDR="$("$OPENBAO" start)" || fail "could not start the OpenBao dev server"
BAO_TOKEN="$(cat "$("$OPENBAO" token-file)")"
export BAO_ADDR BAO_TOKEN
(umask 077; printf '%s\n' "$BAO_TOKEN" >"$WORK/bao.token")
log "OpenBao dev server at $BAO_ADDR"
"$OPENBAO" bao write -f transit/keys/maskproxy >/dev/null || fail "could not create the Transit key"

topics_create --src-partitions 2 --dst-partitions 2
cat >"$WORK/policy.yaml" <<YAML
policy: kms-test
version: 1
routes:
  - name: kms
    from: $SRC
    to: $DST
    dead_letter: $DLQ
    unlisted_fields: keep
    rules:
      - { path: email, action: encrypt, key: contact }
      - { path: rrn, action: tokenize, key: rrn, normalize: digits }
YAML

# --- generate: only wrapped keys on disk ------------------------------------
"$BIN" keys generate --kms transit:maskproxy --out "$WORK/keys.yaml" contact rrn 2>"$WORK/generate.err" ||
  fail "keys generate --kms failed: $(cat "$WORK/generate.err")"
[[ "$(stat -c %a "$WORK/keys.yaml")" == 600 ]] || fail "keyring file mode is not 0600"
grep -q 'wrapped: "vault:v1:' "$WORK/keys.yaml" || fail "no wrapped key in the keyring: $(cat "$WORK/keys.yaml")"

# unwrapped_keys: the clear data keys of every wrapped version in keys.yaml,
# base64, one a line (asked of Transit here, for the checks only).
unwrapped_keys() {
  local ct
  grep -o 'vault:v[0-9]*:[A-Za-z0-9+/=]*' "$WORK/keys.yaml" | while read -r ct; do
    curl -fsS -H "X-Vault-Token: $BAO_TOKEN" -H 'Content-Type: application/json' \
      --data "{\"ciphertext\":\"$ct\"}" "$BAO_ADDR/v1/transit/decrypt/maskproxy" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["plaintext"])'
  done
}
# no_clear_keys WHAT: no clear data key in the keyring file nor in any log.
no_clear_keys() {
  local k n=0
  while read -r k; do
    [[ -n "$k" ]] || continue
    n=$((n + 1))
    ! grep -rqF -- "$k" "$WORK/keys.yaml" "$WORK"/proxy-*.log "$WORK"/*.err 2>/dev/null ||
      fail "$1: a clear data key is in a file"
  done < <(unwrapped_keys)
  (( n >= 2 )) || fail "$1: could not unwrap the keys to check them ($n)"
  log "$1: none of the $n clear data keys is on disk"
}
no_clear_keys "after generate"

# --- run: unwrap at start, mask -------------------------------------------
config_write --extra "log_format: json" \
  --extra "$(printf 'kms:\n  address: %s\n  token_file: bao.token\n  timeout_ms: 2000\n  probe_interval_s: 1' "$BAO_ADDR")"
produce_batch() {  # FIRST COUNT
  local i
  for ((i = $1; i < $1 + $2; i++)); do
    printf 'k%d\t{"id":%d,"email":"user%d@example.com","rrn":"900101-1%06d","note":"n%d"}\n' "$i" "$i" "$i" "$i" "$i"
  done | kcat -b "$BOOTSTRAP" -P -t "$SRC" -K $'\t' || fail "kcat produce failed"
}
produce_batch 0 40
proxy_start p
admin_address() {
  local addr="" _
  for _ in $(seq 1 150); do
    addr="$(grep -o '"event":"admin_listening","address":"[^"]*"' "$WORK/proxy-$1.log" | tail -n 1 |
      sed 's/.*"address":"//; s/"$//')" || true
    [[ -n "$addr" ]] && break
    proxy_alive "$1" || fail "proxy $1 exited before listening"
    sleep 0.2
  done
  [[ -n "$addr" ]] || fail "no admin_listening line in the log of $1"
  echo "$addr"
}
URL="http://$(admin_address p)"
grep -q '"event":"kms_keys_unwrapped"' "$WORK/proxy-p.log" || fail "no kms_keys_unwrapped line"
wait_output 40
metric() { curl -fsS "$URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
[[ "$(metric maskproxy_kms_up)" == 1 ]] || fail "maskproxy_kms_up is not 1 while the KMS answers"
[[ "$(metric 'maskproxy_kms_requests_total{op="decrypt",result="ok"}')" -ge 2 ]] || fail "no decrypt requests counted"
body="$(curl -sS "$URL/readyz")"
[[ "$body" == '{"status":"ready"}' ]] || fail "readyz with the KMS up: $body"

# --- rotate through the KMS, reload, more records -----------------------------
"$BIN" keys rotate --keys "$WORK/keys.yaml" contact 2>"$WORK/rotate.err" || fail "keys rotate: $(cat "$WORK/rotate.err")"
grep -q 'vault:v1:' "$WORK/keys.yaml" && fail "a version was not rewrapped to the rotated KEK"
python3 - "$WORK/keys.yaml" <<'PY' || fail "rotated keyring is not as expected"
import re, sys
keys, cur = {}, None
for line in open(sys.argv[1]):
    if m := re.match(r"^  ([A-Za-z0-9_-]+):\s*$", line):
        cur = keys.setdefault(m.group(1), {"versions": {}})
    elif m := re.match(r"^    active: (\d+)\s*$", line):
        cur["active"] = int(m.group(1))
    elif m := re.match(r"^      (\d+): (.*)$", line):
        cur["versions"][int(m.group(1))] = m.group(2)
assert keys["contact"]["active"] == 2 and set(keys["contact"]["versions"]) == {1, 2}, keys["contact"]
assert keys["rrn"]["active"] == 1, keys["rrn"]
for key in keys.values():
    for v in key["versions"].values():
        assert re.fullmatch(r'\{kms: "transit:maskproxy", wrapped: "vault:v2:[A-Za-z0-9+/=]+"\}', v), v
PY
# The file watch may take the rename first; POST /reload then finds it unchanged.
curl -fsS -X POST "$URL/reload" >"$WORK/reload.json" || fail "POST /reload failed: $(cat "$WORK/reload.json")"
grep -q '"result":"\(swapped\|unchanged\)"' "$WORK/reload.json" || fail "reload: $(cat "$WORK/reload.json")"
grep -q '"event":"reload_accepted".*contact: active 1 -> 2' "$WORK/proxy-p.log" ||
  fail "no reload took the rotated key: $(cat "$WORK/reload.json")"
produce_batch 40 40
wait_output 80
no_clear_keys "after rotate"

# --- reveal outputs of both versions, offline, through the KMS ---------------
dump_topic "$DST" "$WORK/out.jsonl"
python3 - "$WORK/out.jsonl" "$WORK" <<'PY' || fail "outputs are not as expected"
import json, sys
v1 = v2 = None
for line in open(sys.argv[1]):
    rec = json.loads(json.loads(line)["payload"])
    assert "@example.com" not in rec["email"] and "900101" not in rec["rrn"], rec
    if rec["email"].startswith("e2.contact.1.") and v1 is None: v1 = (rec["id"], rec["email"])
    if rec["email"].startswith("e2.contact.2.") and v2 is None: v2 = (rec["id"], rec["email"])
assert v1 and v2, (v1, v2)
for name, (i, e) in (("v1", v1), ("v2", v2)):
    open(f"{sys.argv[2]}/{name}.id", "w").write(str(i))
    open(f"{sys.argv[2]}/{name}.email", "w").write(e)
PY
# Offline break-glass reveal: the proxy's config plus an audit trail of its
# own (key file apart from the keyring), KMS from the config's kms: section.
"$BIN" keys generate --out "$WORK/audit-key.yaml" audit 2>/dev/null || fail "keys generate (audit) failed"
{ cat "$WORK/config.yaml"; printf 'audit:\n  file: reveal-audit.jsonl\n  key_file: audit-key.yaml\n'; } >"$WORK/reveal-config.yaml"
R=(--offline --config "$WORK/reveal-config.yaml" --route kms --field email --ticket KMS-TEST --reason audit)
for v in v1 v2; do
  "$BIN" reveal "${R[@]}" "$(cat "$WORK/$v.email")" >"$WORK/$v.out" 2>"$WORK/$v.err" ||
    fail "reveal of the $v output failed: $(cat "$WORK/$v.err")"
  grep -qF "user$(cat "$WORK/$v.id")@example.com" "$WORK/$v.out" || fail "reveal of $v gave: $(cat "$WORK/$v.out")"
done
log "outputs of key versions 1 and 2 reveal through the KMS"
# Batch mode unwraps through the KMS too (its own ledger: the proxy holds its).
printf '{"id":7,"email":"batch7@example.com","rrn":"900101-1000007"}\n' |
  "$BIN" mask --policy "$WORK/policy.yaml" --keys "$WORK/keys.yaml" --route kms \
    --encryption-ledger "$WORK/batch.usage" >"$WORK/batch.jsonl" 2>"$WORK/batch.err" ||
  fail "mask with a wrapped keyring failed: $(cat "$WORK/batch.err")"
grep -q '"email":"e2\.contact\.2\.' "$WORK/batch.jsonl" || fail "batch output: $(cat "$WORK/batch.jsonl")"
# Without the KMS in the environment a wrapped keyring is refused, naming its KMS key.
grep -vE '^(kms:|  address:|  token_file:|  timeout_ms:|  probe_interval_s:)' "$WORK/reveal-config.yaml" >"$WORK/nokms-config.yaml"
if env -u BAO_ADDR -u BAO_TOKEN "$BIN" reveal --offline --config "$WORK/nokms-config.yaml" --route kms --field email \
  --ticket KMS-TEST --reason audit "$(cat "$WORK/v1.email")" >/dev/null 2>"$WORK/nokms.err"; then
  fail "reveal without a KMS succeeded"
fi
grep -q 'transit:maskproxy' "$WORK/nokms.err" || fail "refusal without a KMS does not name it: $(cat "$WORK/nokms.err")"

# --- the KMS goes away during the run ----------------------------------------
"$OPENBAO" stop
log "OpenBao stopped"
produce_batch 80 40
wait_output 120
deadline=$((SECONDS + 30))
until body="$(curl -sS -w '\n%{http_code}' "$URL/readyz")" && [[ "$body" == *kms_unreachable* ]]; do
  (( SECONDS < deadline )) || fail "readyz never said kms_unreachable: $body"
  sleep 0.5
done
[[ "${body##*$'\n'}" == 200 ]] || fail "readyz with the KMS down is not 200 (degraded): $body"
[[ "$body" == *'"status":"ready"'*'"degraded":[{"condition":"kms_unreachable"'* ]] || fail "readyz body: $body"
[[ "$(metric maskproxy_kms_up)" == 0 ]] || fail "maskproxy_kms_up is not 0 with the KMS down"
grep -q '"event":"kms_unreachable"' "$WORK/proxy-p.log" || fail "no kms_unreachable log line"
# A reload of the unchanged keyring works from the keys in memory.
curl -sS -X POST "$URL/reload" >"$WORK/reload2.json"
grep -q '"result":"unchanged"' "$WORK/reload2.json" || fail "reload with the KMS down: $(cat "$WORK/reload2.json")"
log "KMS down: records still masked, readyz degraded, kms_up 0, reload of the same keyring ok"
proxy_term p

# --- the KMS is down at start: refused --------------------------------------
proxy_start q
proxy_wait_exit q 60 || fail "proxy q still running with the KMS down at start"
(( PROXY_RC == 1 )) || fail "start with the KMS down exited $PROXY_RC, expected 1"
grep -qF "KMS $BAO_ADDR" "$WORK/proxy-q.log" || fail "the refusal does not name the KMS: $(tail -n 3 "$WORK/proxy-q.log")"
grep -q 'kms_unreachable\|http_unreachable\|refused' "$WORK/proxy-q.log" || fail "the refusal does not say why"
log "start refused with the KMS down: $(grep -F "KMS $BAO_ADDR" "$WORK/proxy-q.log" | tail -n 1)"
! grep -rqF -- "$BAO_TOKEN" "$WORK"/proxy-*.log "$WORK"/*.err "$WORK/keys.yaml" "$WORK/config.yaml" ||
  fail "the KMS token is in a log or file"
log "PASS"
