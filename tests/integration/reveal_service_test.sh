#!/usr/bin/env bash
# Reveal as a service on a running proxy (real broker, real masked records),
# checked with curl and the CLI client:
#   - certificates from certs/make-dev-certs.sh: analyst (a role granting
#     sender.email for fraud), support (a role without that field), client
#     (from the CA, in no role), expired (CN=analyst, expired), none;
#   - analyst gets the original values back; unknown subject 403; the role
#     without the field 403; a missing purpose 400; the rate limit 429 with
#     Retry-After; the expired certificate is refused in the TLS handshake
#     (curl fails; the handshake counter rises); no certificate 401 (probes
#     and metrics 200, the config dump 401); plain HTTP 403 tls_required; a
#     reason that is not a purpose class 400 (the CLI exits 2);
#   - every allowed and denied request is in the audit trail (subject, result)
#     and no original value nor masked value appears there; the trail verifies;
#   - the CLI `maskproxy reveal --admin` prints the originals; --operator and
#     --audit-log are refused;
#   - a role removed from the config file and POST /reload: its subject is
#     refused at once (403), the reload audited;
#   - offline break-glass (`--offline --config`) writes to the configured
#     trail (channel offline) and still verifies.
# Usage: reveal_service_test.sh PATH/TO/maskproxy
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init reveal_service "${1:-}"
command -v curl >/dev/null || fail "curl not found (run scripts/setup.sh)"

"$ROOT/certs/make-dev-certs.sh" "$WORK/pki" 2>/dev/null || fail "make-dev-certs.sh failed"
P="$WORK/pki"
ANALYST="CN=analyst,O=maskproxy dev"
SUPPORT="CN=support,O=maskproxy dev"

topics_create
cat >"$WORK/policy.yaml" <<YAML
policy: reveal-service
version: 1
routes:
  - name: transfers
    from: $SRC
    to: $DST
    dead_letter: $DLQ
    rules:
      - { path: sender.email, action: encrypt, key: contact }
      - { path: sender.name, action: encrypt, key: contact }
YAML
"$BIN" keys generate --out "$WORK/keys.yaml" contact 2>/dev/null || fail "keys generate failed"
"$BIN" keys generate --out "$WORK/audit-key.yaml" audit 2>/dev/null || fail "keys generate (audit) failed"
config_write --txid "$ID-0" --extra "audit:
  file: audit.jsonl
  key_file: audit-key.yaml
admin:
  listen: 127.0.0.1:0
  tls: { cert_file: pki/broker.pem, key_file: pki/broker.key, client_ca_file: pki/ca.pem }
reveal:
  enabled: true
  max_values_per_request: 10
  rate_limit: { values_per_minute: 1000, requests_per_minute: 8 }
  roles:
    fraud-analyst:
      subjects: [\"$ANALYST\"]
      grants:
        - { route: transfers, fields: [sender.email], purposes: [fraud, chargeback] }
    support:
      subjects: [\"$SUPPORT\"]
      grants:
        - { route: transfers, fields: [sender.name], purposes: [support] }"

N=5
for i in $(seq 1 $N); do
  printf 'k%d\t{"sender":{"email":"person%d@example.com","name":"Name %d"},"amount":%d}\n' "$i" "$i" "$i" "$i"
done >"$WORK/events.tsv"
kcat -b "$BOOTSTRAP" -P -t "$SRC" -K $'\t' -l "$WORK/events.tsv" || fail "produce failed"

proxy_start p
LOG="$WORK/proxy-p.log"
addr=""
for _ in $(seq 1 200); do
  addr="$(grep -o 'admin_listening address=[^ ]*' "$LOG" | tail -n 1 | sed 's/.*address=//')" || true
  [[ -z "$addr" ]] && addr="$(grep -o '"event":"admin_listening","address":"[^"]*"' "$LOG" | tail -n 1 |
    sed 's/.*"address":"//; s/"$//')" || true
  [[ -n "$addr" ]] && break
  proxy_alive p || fail "proxy exited before listening"
  sleep 0.1
done
[[ -n "$addr" ]] || fail "no admin_listening line"
URL="https://$addr/v1/reveal"
log "reveal service at $URL"
wait_output "$N"

# The masked e-mails as an independent consumer sees them.
dump_topic "$DST" "$WORK/out.json"
mapfile -t MASKED < <(python3 - "$WORK/out.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows.sort(key=lambda r: r["key"])
for r in rows:
    print(json.loads(r["payload"])["sender"]["email"])
PY
)
(( ${#MASKED[@]} == N )) || fail "expected $N masked records, got ${#MASKED[@]}"
[[ "${MASKED[0]}" == e* && "${MASKED[0]}" != *example.com* ]] || fail "not an encrypted output: ${MASKED[0]}"

body() {  # body FIELD REASON [VALUE...]
  local field="$1" reason="$2"
  shift 2
  python3 -c 'import json,sys; print(json.dumps({"route":"transfers","field":sys.argv[1],
    "purpose":{"ticket":"SEC-1","reason":sys.argv[2]},"values":sys.argv[3:]}))' "$field" "$reason" "$@"
}
# post CERT BODY: sets CODE and BODY (CODE 000: no HTTP answer).
post() {
  local cert="$1" data="$2" args=(--cacert "$P/ca.pem")
  [[ -n "$cert" ]] && args+=(--cert "$P/$cert.pem" --key "$P/$cert.key")
  : >"$WORK/headers"
  BODY="$(curl -sS -o - -w '\n%{http_code}' -D "$WORK/headers" "${args[@]}" -H 'Content-Type: application/json' \
    --data "$data" "$URL" 2>"$WORK/curl.err")" || true
  CODE="${BODY##*$'\n'}"
  BODY="${BODY%$'\n'*}"
}

post analyst "$(body sender.email fraud "${MASKED[@]}")"
[[ "$CODE" == 200 ]] || fail "analyst: HTTP $CODE $BODY"
python3 - "$BODY" "$N" <<'PY' || fail "analyst: values are not the originals: $BODY"
import json, sys
d = json.loads(sys.argv[1])
assert d["failed"] == 0, d
assert d["values"] == ["person%d@example.com" % i for i in range(1, int(sys.argv[2]) + 1)], d
PY
log "analyst: $N values revealed, equal to the originals"

post client "$(body sender.email fraud "${MASKED[0]}")"
[[ "$CODE" == 403 && "$BODY" == *reveal_denied* ]] || fail "unknown subject: HTTP $CODE $BODY"
post support "$(body sender.email support "${MASKED[0]}")"
[[ "$CODE" == 403 && "$BODY" == *reveal_denied* ]] || fail "role without the field: HTTP $CODE $BODY"
post analyst '{"route":"transfers","field":"sender.email","values":["'"${MASKED[0]}"'"]}'
[[ "$CODE" == 400 && "$BODY" == *purpose* ]] || fail "missing purpose: HTTP $CODE $BODY"
post expired "$(body sender.email fraud "${MASKED[0]}")"
[[ "$CODE" == 000 ]] || fail "expired certificate: HTTP $CODE $BODY (expected a refused handshake)"
post "" "$(body sender.email fraud "${MASKED[0]}")"
[[ "$CODE" == 401 && "$BODY" == *reveal_denied* ]] || fail "no certificate: HTTP $CODE $BODY (expected 401)"
# Plain HTTP to the TLS listener: 403 tls_required (the listener's answer).
CODE="$(curl -sS -o "$WORK/plain.txt" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data "$(body sender.email fraud "${MASKED[0]}")" "http://$addr/v1/reveal" 2>"$WORK/curl.err")" || true
[[ "$CODE" == 403 ]] && grep -q '"error":"tls_required"' "$WORK/plain.txt" ||
  fail "plain HTTP: HTTP $CODE $(cat "$WORK/plain.txt" "$WORK/curl.err")"
# Probes and metrics without a client certificate; the rest 401.
for path in /livez /readyz /metrics; do
  CODE="$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$P/ca.pem" "https://$addr$path" 2>"$WORK/curl.err")" || true
  [[ "$CODE" == 200 ]] || fail "GET $path without a client certificate: HTTP $CODE $(cat "$WORK/curl.err")"
done
CODE="$(curl -sS -o "$WORK/dump.txt" -w '%{http_code}' --cacert "$P/ca.pem" "https://$addr/config_dump" 2>"$WORK/curl.err")" || true
[[ "$CODE" == 401 ]] && grep -q '"error":"unauthenticated"' "$WORK/dump.txt" ||
  fail "GET /config_dump without a client certificate: HTTP $CODE $(head -c 200 "$WORK/dump.txt")"
# A reason that is not a purpose class: 400 naming the classes (the CLI
# exits 2 and says so), audited.
rc=0
"$BIN" reveal --admin "https://$addr" --cert "$P/analyst.pem" --key "$P/analyst.key" --ca "$P/ca.pem" \
  --route transfers --field sender.email --ticket SEC-1 --reason curiosity "${MASKED[0]}" >/dev/null 2>"$WORK/cli.err" ||
  rc=$?
[[ $rc == 2 ]] && grep -q "HTTP 400, invalid_argument" "$WORK/cli.err" &&
  grep -q "must be one of the purpose classes: fraud, chargeback, legal_request, data_subject_request, incident, support, audit" \
    "$WORK/cli.err" || fail "--reason curiosity: exit $rc, $(cat "$WORK/cli.err")"
log "unknown 403, no grant 403, no purpose 400, a reason not a class 400, expired certificate refused in the handshake, no certificate 401 (probes and metrics 200, config dump 401), plain HTTP 403"

# Rate limit: 8 requests per minute per subject; analyst used 3 so far.
limited=0
for _ in $(seq 1 10); do
  post analyst "$(body sender.email fraud "${MASKED[0]}")"
  if [[ "$CODE" == 429 ]]; then limited=1; break; fi
  [[ "$CODE" == 200 ]] || fail "rate limit run: HTTP $CODE $BODY"
done
(( limited )) || fail "no 429 after 10 more requests"
grep -qi '^retry-after: [0-9]' "$WORK/headers" || fail "429 without Retry-After: $(cat "$WORK/headers")"
log "rate limit: 429 with $(grep -i '^retry-after' "$WORK/headers" | tr -d '\r')"

# The CLI client, as support (its own bucket) on its own field.
NAME_MASKED="$(python3 -c 'import json,sys; rows=[json.loads(l) for l in open(sys.argv[1]) if l.strip()];
rows.sort(key=lambda r: r["key"]); print(json.loads(rows[0]["payload"])["sender"]["name"])' "$WORK/out.json")"
out="$("$BIN" reveal --admin "https://$addr" --cert "$P/support.pem" --key "$P/support.key" --ca "$P/ca.pem" \
  --route transfers --field sender.name --ticket OPS-7 --reason support "$NAME_MASKED")" ||
  fail "CLI reveal failed: $out"
[[ "$out" == "Name 1" ]] || fail "CLI reveal printed '$out'"
rc=0; "$BIN" reveal --admin "https://$addr" --operator x --route transfers --field sender.name --ticket T \
  --reason support v >/dev/null 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "--operator not refused (exit $rc)"
rc=0; "$BIN" reveal --audit-log /tmp/x --route transfers --field sender.name --ticket T --reason support v \
  >/dev/null 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "--audit-log not refused (exit $rc)"
log "CLI client revealed through the service; --operator and --audit-log refused"

# Revoking a role is an edit of the config file and a reload: the next
# request of its subject is refused (it was "unchanged" and kept revealing).
python3 - "$WORK/config.yaml" <<'PY' || fail "could not remove the support role from the config"
import os, sys
path = sys.argv[1]
lines = open(path).read().split("\n")
i = lines.index("    support:")
del lines[i:i + 4]
assert not any("CN=support" in l for l in lines)
open(path + ".new", "w").write("\n".join(lines))
os.replace(path + ".new", path)
PY
CODE="$(curl -sS -o "$WORK/reload.json" -w '%{http_code}' --cacert "$P/ca.pem" --cert "$P/client.pem" \
  --key "$P/client.key" -X POST "https://$addr/reload" 2>"$WORK/curl.err")" || true
[[ "$CODE" == 200 ]] || fail "POST /reload after revoking support: HTTP $CODE $(cat "$WORK/reload.json" "$WORK/curl.err")"
grep -qF "role 'support': removed" "$LOG" || fail "no reload applied the revocation: $(cat "$WORK/reload.json")"
post support "$(body sender.name support "$NAME_MASKED")"
[[ "$CODE" == 403 && "$BODY" == *reveal_denied* ]] || fail "revoked support role still reveals: HTTP $CODE $BODY"
log "support role revoked in the config and reloaded: 403 at once"

proxy_term p

# Offline break-glass: the configured trail, channel offline.
out="$(cd "$WORK" && "$BIN" reveal --offline --config "$WORK/config.yaml" --route transfers --field sender.email \
  --ticket INC-9 --reason incident "${MASKED[1]}")" || fail "offline reveal failed: $out"
[[ "$out" == "person2@example.com" ]] || fail "offline reveal printed '$out'"

"$BIN" audit verify --key-file "$WORK/audit-key.yaml" "$WORK/audit.jsonl" >"$WORK/verify.txt" 2>&1 ||
  fail "audit verify: $(cat "$WORK/verify.txt")"
python3 - "$WORK/audit.jsonl" "$ANALYST" "$SUPPORT" "${MASKED[@]}" <<'PY' || fail "the trail check failed"
import json, sys
path, analyst, support, masked = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
text = open(path, encoding="utf-8").read()
for i in range(1, 6):
    assert "person%d@example.com" % i not in text, "an original value in the trail"
assert "Name 1" not in text, "an original value in the trail"
for m in masked:
    assert m not in text, "a masked value in the trail"
rev = [json.loads(l) for l in text.splitlines() if '"event":"reveal"' in l]
def find(**kw):
    return [e for e in rev if all(e.get(k) == v for k, v in kw.items())]
assert find(subject=analyst, allowed=True, requested=5, revealed=5), "the analyst's allowed reveal"
assert len(find(subject=analyst, allowed=True, requested=5)[0]["value_digests"]) == 5
assert find(subject="CN=client,O=maskproxy dev", allowed=False, denied="reveal_denied"), "unknown subject"
assert find(subject=support, allowed=False, denied="reveal_denied", field="sender.email"), "role without field"
assert find(subject=analyst, allowed=False, denied="invalid_argument"), "missing purpose"
assert find(subject=analyst, allowed=False, denied="invalid_argument", reason="curiosity"), "a reason not a class"
assert find(subject="", allowed=False, denied="reveal_denied", channel="service"), "no certificate"
assert find(subject=analyst, allowed=False, denied="reveal_rate_limited"), "rate limit"
assert find(subject=support, allowed=True, field="sender.name", channel="service"), "CLI client"
assert find(subject=support, allowed=False, denied="reveal_denied", field="sender.name"), "revoked role"
reloads = [l for l in text.splitlines() if '"event":"policy_reloaded"' in l]
assert any("role 'support': removed" in l for l in reloads), "the revocation's reload in the trail"
off = find(channel="offline", allowed=True, ticket="INC-9")
assert off and off[0]["subject"], "offline break-glass"
print("trail: %d reveal entries, every case found, no value" % len(rev))
PY
log "PASS"
