#!/usr/bin/env bash
# The admin listener of a running proxy on the real broker, checked with curl:
#   - every endpoint with its status code and body: /livez, /readyz,
#     /metrics (validated by promtool check metrics), /config_dump (no key
#     material: none of the keyring's base64 secrets), /reload, /loglevel;
#   - readiness 503 naming the missing destination topic while it is missing,
#     200 once it is created (kafka.sh create-topic), and records flow then;
#     the same for a source topic a reload names before it exists;
#   - POST only for mutations (GET /reload is 405 with Allow: POST), wrong
#     methods 405, unknown paths 404;
#   - the log level changed at run time (POST /loglevel) shows in the log;
#   - log_format: json: every log line is one JSON object with ts, level,
#     event first, and no record value in any line;
#   - then a second start with admin TLS and client certificates (made here
#     with openssl, in the work dir): curl with a client certificate gets 200,
#     without one the probes and metrics answer and the rest is 401; one of
#     another CA fails the handshake; plain HTTP is 403 tls_required.
# Usage: admin_test.sh PATH/TO/maskproxy
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init admin "${1:-}"
for tool in curl promtool; do
  command -v "$tool" >/dev/null || fail "$tool not found (run scripts/setup.sh)"
done

topics_create --no-dest
policy_retarget
keys_generate rrn phone email account
config_write --txid "$ID-0" --extra "log_format: json" --extra $'admin:\n  listen: 127.0.0.1:0'
events_generate 200 5
produce_file "$WORK/events.tsv"

proxy_start p
LOG="$WORK/proxy-p.log"

# admin_address NAME: the bound address, from the instance's admin_listening line.
admin_address() {
  local addr="" _
  for _ in $(seq 1 100); do
    addr="$(grep -o '"event":"admin_listening","address":"[^"]*"' "$WORK/proxy-$1.log" | tail -n 1 |
      sed 's/.*"address":"//; s/"$//')" || true
    [[ -n "$addr" ]] && break
    proxy_alive "$1" || fail "proxy $1 exited before listening"
    sleep 0.1
  done
  [[ -n "$addr" ]] || fail "no admin_listening line in the log of $1"
  echo "$addr"
}
ADDR="$(admin_address p)"
URL="http://$ADDR"
log "admin listener at $URL"

# http METHOD PATH [curl args]: sets CODE, BODY and HEADERS.
http() {
  local method="$1" path="$2"
  shift 2
  : >"$WORK/headers"
  BODY="$(curl -sS -X "$method" -D "$WORK/headers" -o - -w '\n%{http_code}' "$@" "$URL$path")" ||
    fail "curl $method $path failed"
  CODE="${BODY##*$'\n'}"
  BODY="${BODY%$'\n'*}"
  HEADERS="$(tr -d '\r' <"$WORK/headers")"
}
expect() {  # expect CODE BODY_SUBSTRING WHAT
  [[ "$CODE" == "$1" ]] || fail "$3: status $CODE, expected $1 (body: $BODY)"
  [[ -z "$2" || "$BODY" == *"$2"* ]] || fail "$3: body lacks '$2': $BODY"
}

http GET /livez
expect 200 '{"status":"ok"}' "GET /livez"

# Not ready while the destination topic is missing: 503 naming it.
deadline=$((SECONDS + 60))
while :; do
  http GET /readyz
  [[ "$CODE" == 503 && "$BODY" == *'"condition":"output_topic_missing","topics":["'"$DST"'"]'* &&
     "$BODY" != *consumer_not_joined* ]] && break
  (( SECONDS < deadline )) || fail "readyz never said only the destination is missing: $CODE $BODY"
  sleep 0.5
done
expect 503 '"status":"not_ready"' "GET /readyz (topic missing)"
[[ "$BODY" != *"$DLQ"* ]] || fail "readyz names the existing dead-letter topic: $BODY"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["status"]=="not_ready" and d["unmet"], d' "$BODY" ||
  fail "readyz body is not the expected JSON: $BODY"
log "readyz 503 while $DST is missing: $BODY"

topic_create "$DST" "$DST_PARTITIONS"
deadline=$((SECONDS + 60))
until http GET /readyz && [[ "$CODE" == 200 ]]; do
  (( SECONDS < deadline )) || fail "readyz not 200 within 60s of creating $DST: $CODE $BODY"
  sleep 0.5
done
expect 200 '{"status":"ready"}' "GET /readyz (all topics exist)"
log "readyz 200 after creating $DST"
wait_output "$TOTAL"

# Metrics: the Prometheus text format, as promtool reads it.
http GET /metrics
expect 200 "maskproxy_records_masked_total" "GET /metrics"
grep -qi '^content-type: text/plain; version=0.0.4' <<<"$HEADERS" || fail "metrics content type: $HEADERS"
printf '%s\n' "$BODY" >"$WORK/metrics.txt"
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.txt" 2>&1 ||
  fail "promtool check metrics: $(cat "$WORK/promtool.txt")"
masked="$(awk '$1 == "maskproxy_records_masked_total" {print $2}' "$WORK/metrics.txt")"
[[ "${masked:-0}" -ge "$N_EVENTS" ]] || fail "maskproxy_records_masked_total is '${masked:-}', expected >= $N_EVENTS"

# Config dump: the effective config and policies, never key material.
http GET /config_dump
expect 200 '"policies":[' "GET /config_dump"
python3 - "$BODY" "$WORK/keys.yaml" <<'PY' || fail "config_dump check failed"
import json, re, sys
body, keys_file = sys.argv[1], sys.argv[2]
d = json.loads(body)
assert d["config"]["source"]["group_id"], d["config"]
pol = d["policies"][0]
assert pol["name"] and pol["version"] and len(pol["hash"]) == 12, pol
assert pol["routes"][0]["rules"], pol
names = {k["name"] for k in d["keys"]}
assert names == {"rrn", "phone", "email", "account"}, names
secrets = re.findall(r"^\s+\d+:\s+(\S+)\s*$", open(keys_file).read(), re.M)
assert len(secrets) >= 4, "no key material found in the keyring file"
for s in secrets:
    assert s not in body, "key material in /config_dump"
print("config_dump ok: %d rules, %d keys, no key material" % (len(pol["routes"][0]["rules"]), len(names)))
PY

# Mutations are POST only; wrong methods 405 with Allow, unknown paths 404.
http GET /reload
expect 405 "" "GET /reload"
grep -qi '^allow: POST$' <<<"$HEADERS" || fail "GET /reload: no 'Allow: POST' header: $HEADERS"
http POST /livez
expect 405 "" "POST /livez"
http DELETE /loglevel
expect 405 "" "DELETE /loglevel"
http GET /no/such/path
expect 404 "" "GET /no/such/path"
# POST /reload: nothing changed -> 200 "unchanged"; a broken policy file ->
# 422 with its file:line:col, and the running set stays (ready, records
# still masked); the file restored -> 200 again.
http POST /reload
expect 200 '"result":"unchanged"' "POST /reload (nothing changed)"
python3 -c 'import json,sys; json.loads(sys.argv[1])' "$BODY" || fail "POST /reload: not JSON: $BODY"
cp "$WORK/policy.yaml" "$WORK/policy.good"
printf 'routes: [\n' >>"$WORK/policy.yaml"
http POST /reload
expect 422 '"result":"rejected"' "POST /reload (broken policy)"
grep -Eq 'policy\.yaml:[0-9]+:[0-9]+: ' <<<"$BODY" || fail "POST /reload: no file:line:col in $BODY"
http GET /readyz
expect 200 '"status":"ready"' "GET /readyz after a rejected reload"
# ...but degraded: the files on disk are not what runs, and the next start
# loads them (a lasting signal, unlike the counter's increase).
[[ "$BODY" == *'"degraded":[{"condition":"policy_files_rejected"'* ]] ||
  fail "readyz does not list policy_files_rejected under degraded: $BODY"
http GET /metrics
grep -qx 'maskproxy_policy_files_rejected 1' <<<"$BODY" || fail "maskproxy_policy_files_rejected is not 1 after a rejected reload"
# A route writing to a dead-letter topic the broker does not have: 422 naming
# the route and the topic at its line (output_topic_unavailable), counted as
# rejected, the running set stays and the proxy stays ready (records of every
# route would otherwise wait on that one topic).
sed -E "s|^( *dead_letter: ).*$|\1$DLQ.absent|" "$WORK/policy.good" >"$WORK/policy.yaml"
grep -qF "dead_letter: $DLQ.absent" "$WORK/policy.yaml" || fail "could not retarget the dead-letter topic"
http POST /reload
expect 422 '"error_code":"output_topic_unavailable"' "POST /reload (dead-letter topic missing)"
[[ "$BODY" == *"dead_letter topic '$DLQ.absent'"* ]] || fail "POST /reload: the missing topic is not named: $BODY"
grep -Eq "policy\.yaml:[0-9]+:[0-9]+: route '" <<<"$BODY" || fail "POST /reload: no route at file:line:col in $BODY"
grep -q '"event":"reload_rejected".*output_topic_unavailable' "$LOG" || fail "no reload_rejected line for the topic"
http GET /metrics
rejected="$(awk '$1 == "maskproxy_reloads_total{result=\"rejected\"}" {print $2}' <<<"$BODY")"
[[ "${rejected:-0}" -ge 2 ]] || fail "maskproxy_reloads_total{result=\"rejected\"} is '${rejected:-}', expected >= 2"
http GET /readyz
expect 200 '"status":"ready"' "GET /readyz after a reload naming a missing topic"
cp "$WORK/policy.good" "$WORK/policy.yaml"
http POST /reload
[[ "$CODE" == 200 ]] || fail "POST /reload (policy restored): status $CODE: $BODY"
http GET /metrics
grep -qx 'maskproxy_policy_files_rejected 0' <<<"$BODY" || fail "maskproxy_policy_files_rejected is not 0 after a good reload"
http GET /readyz
[[ "$BODY" != *policy_files_rejected* ]] || fail "readyz still lists policy_files_rejected after a good reload: $BODY"
# A route reading a source topic the broker does not have: the reload is
# taken (the route waits for its topic), readiness names the topic
# (source_topic_missing) and the log says why; 200 once it is created.
policy_retarget "$ROOT/policies/payments.yaml" "$SRC.late"
http POST /reload
[[ "$CODE" == 200 ]] || fail "POST /reload (source topic missing): status $CODE: $BODY"
missing_source='{"condition":"source_topic_missing","topics":["'"$SRC.late"'"]}'
deadline=$((SECONDS + 30))  # the new policy applies at the next transaction boundary
until http GET /readyz && [[ "$CODE" == 503 && "$BODY" == *"$missing_source"* ]]; do
  (( SECONDS < deadline )) || fail "readyz never named the missing source $SRC.late: $CODE $BODY"
  sleep 0.5
done
grep -q '"event":"source_topic_unavailable","topic":"'"$SRC.late"'"' "$LOG" || fail "no source_topic_unavailable line"
log "readyz 503 while the source $SRC.late is missing: $BODY"
topic_create "$SRC.late" 1
deadline=$((SECONDS + 60))
until http GET /readyz && [[ "$CODE" == 200 ]]; do
  (( SECONDS < deadline )) || fail "readyz not 200 within 60s of creating $SRC.late: $CODE $BODY"
  sleep 0.5
done
grep -q '"event":"source_topics_available"' "$LOG" || fail "no source_topics_available line"
cp "$WORK/policy.good" "$WORK/policy.yaml"
http POST /reload
[[ "$CODE" == 200 ]] || fail "POST /reload (source restored): status $CODE: $BODY"

# The log level at run time.
http GET /loglevel
expect 200 '{"level":"info"}' "GET /loglevel"
grep -q '"level":"debug"' "$LOG" && fail "debug lines before the level was raised"
http POST '/loglevel?level=debug'
expect 200 '{"level":"debug","previous":"info"}' "POST /loglevel?level=debug"
http GET /livez  # logged at debug now
grep -q '"level":"debug","event":"admin_request"' "$LOG" || fail "no debug line after POST /loglevel?level=debug"
grep -q '"event":"log_level_changed","from":"info","to":"debug"' "$LOG" || fail "the level change is not logged"
http POST /loglevel -H 'Content-Type: application/json' --data '{"level":"warn"}'
expect 200 '{"level":"warn","previous":"debug"}' "POST /loglevel (JSON body)"
http POST '/loglevel?level=loud'
expect 400 "unknown level" "POST /loglevel?level=loud"
http GET /loglevel
expect 200 '{"level":"warn"}' "GET /loglevel after the changes"
http POST '/loglevel?level=info'  # so that the clean stop is logged
expect 200 '{"level":"info","previous":"warn"}' "POST /loglevel?level=info"

proxy_term p

# JSON logs: one object per line, fixed keys first; no record value.
python3 - "$LOG" "$WORK/events.tsv" <<'PY' || fail "log check failed"
import json, sys
log_file, events = sys.argv[1], sys.argv[2]
n = 0
text = open(log_file, encoding="utf-8").read()
for line in text.splitlines():
    if line.startswith("=== test:"):
        continue
    d = json.loads(line)
    assert list(d)[:3] == ["ts", "level", "event"], line
    n += 1
assert n > 5, n
# Planted values of the generated events (rrn, phone, email, card) never appear.
values = set()
for row in open(events, encoding="utf-8"):
    _, _, value = row.rstrip("\n").partition("\t")
    try:
        ev = json.loads(value)
    except ValueError:
        continue
    user = ev.get("user") if isinstance(ev, dict) else None
    if not isinstance(user, dict):
        continue
    for k in ("rrn", "phone", "email"):
        if isinstance(user.get(k), str) and len(user[k]) >= 8:
            values.add(user[k])
assert values, "no planted values found in the events"
leaked = [v for v in values if v in text]
assert not leaked, "record values in the log: %d" % len(leaked)
print("log ok: %d JSON lines, %d planted values absent" % (n, len(values)))
PY

# Admin over TLS with client certificates (a CA, a server certificate for
# 127.0.0.1, a client certificate; generated now, never committed).
(
  cd "$WORK"
  exec 2>openssl.log
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=ca
  for n in admin ops; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$n.key" -out "$n.csr" -subj "/CN=$n"
  done
  printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 1 -extfile san.ext
  openssl x509 -req -in ops.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out ops.crt -days 1
  # A certificate of another CA (self-signed): presented, it must fail the handshake.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout stranger.key -out stranger.crt \
    -days 1 -subj /CN=ops
) || fail "openssl: $(cat "$WORK/openssl.log")"
config_write --out "$WORK/config-tls.yaml" --txid "$ID-0" --extra "log_format: json" \
  --extra $'admin:\n  listen: 127.0.0.1:0\n  tls:\n    cert_file: admin.crt\n    key_file: admin.key\n    client_ca_file: ca.crt'
proxy_start --config "$WORK/config-tls.yaml" t
ADDR="$(admin_address t)"
grep -q '"event":"admin_listening","address":"'"$ADDR"'","tls":"true","client_certificates":"true"' "$WORK/proxy-t.log" ||
  fail "admin_listening does not say tls and client certificates"
URL="https://$ADDR"
http GET /livez --cacert "$WORK/ca.crt" --cert "$WORK/ops.crt" --key "$WORK/ops.key"
expect 200 '{"status":"ok"}' "GET /livez over TLS with a client certificate"
http GET /config_dump --cacert "$WORK/ca.crt" --cert "$WORK/ops.crt" --key "$WORK/ops.key"
[[ "$CODE" == 200 ]] || fail "GET /config_dump with a client certificate: HTTP $CODE"
# Without a client certificate (kubelet, Prometheus): the probes and the
# metrics answer, the operator endpoints are 401.
http GET /livez --cacert "$WORK/ca.crt"
expect 200 '{"status":"ok"}' "GET /livez over TLS without a client certificate"
http GET /metrics --cacert "$WORK/ca.crt"
[[ "$CODE" == 200 ]] || fail "GET /metrics over TLS without a client certificate: HTTP $CODE"
http GET /readyz --cacert "$WORK/ca.crt"
[[ "$CODE" == 200 || "$CODE" == 503 ]] || fail "GET /readyz over TLS without a client certificate: HTTP $CODE"
for ep in "GET /config_dump" "POST /reload" "POST /loglevel?level=debug"; do
  http $ep --cacert "$WORK/ca.crt"
  [[ "$CODE" == 401 && "$BODY" == *'"error":"unauthenticated"'* ]] ||
    fail "$ep over TLS without a client certificate: HTTP $CODE $BODY"
done
# A certificate the CA did not sign fails the handshake: no HTTP answer.
if curl -sS --cacert "$WORK/ca.crt" --cert "$WORK/stranger.crt" --key "$WORK/stranger.key" -o /dev/null \
  "$URL/livez" 2>"$WORK/curl-stranger.txt"; then
  fail "GET /livez with a certificate of another CA was served"
fi
# Plain HTTP to the TLS listener: 403 tls_required.
code="$(curl -sS -o "$WORK/plain.txt" -w '%{http_code}' "http://$ADDR/livez" 2>/dev/null)" || true
[[ "$code" == 403 ]] && grep -q '"error":"tls_required"' "$WORK/plain.txt" ||
  fail "plain HTTP on the TLS listener: HTTP $code $(cat "$WORK/plain.txt")"
log "admin TLS: probes and metrics without a client certificate, 401 for the rest; another CA's certificate refused ($(head -c 120 "$WORK/curl-stranger.txt")); plain HTTP 403"
# The second start consumes nothing new (p committed everything): every
# partition's lag is 0, measured from the group's committed offset while
# librdkafka has no position yet (found by review: the whole log was shown).
lag_lines=""
for _ in $(seq 1 60); do
  http GET /metrics --cacert "$WORK/ca.crt"
  lag_lines="$(grep '^maskproxy_consumer_lag_records{' <<<"$BODY" || true)"
  [[ -n "$lag_lines" ]] && ! grep -qv ' 0$' <<<"$lag_lines" && break
  sleep 0.5
done
[[ -n "$lag_lines" ]] || fail "no consumer lag series after the restart"
if grep -v ' 0$' <<<"$lag_lines" >/dev/null; then
  fail "consumer lag after a restart with nothing new to consume: $(grep -v ' 0$' <<<"$lag_lines" | head -3 | tr '\n' ' ')"
fi
log "consumer lag after the restart: $(grep -c . <<<"$lag_lines") partition(s), all 0"
proxy_term t
log "PASS"
