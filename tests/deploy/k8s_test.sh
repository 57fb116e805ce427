#!/usr/bin/env bash
# deploy.k8s: the Kubernetes manifests of deploy/k8s are valid, and what they
# give the binary is what the binary accepts.
#
#   1. kustomize builds the base, the dev overlay and the Connect sidecar
#      example (kustomize from the Go module proxy, pinned in
#      scripts/lib/common.sh; scripts/setup.sh installs it).
#   2. tests/deploy/k8s_check.py validates every object offline: the
#      Kubernetes API objects against the official Python client's models,
#      the KEDA ScaledObject against KEDA's own CRD and its Kafka scaler's
#      keys; flags against `maskproxy run --help`; probe and scrape ports
#      against the mounted config; the KEDA trigger against the config's group
#      and the policy's source topic; the memory limit against the bound.
#      Mutated copies (an unknown field, a wrong flag, a KEDA key typo, a probe
#      path the proxy does not serve, ...) must each be refused: the checker
#      can fail.
#   3. The dev overlay's and the sidecar's containers start with their
#      configs (accepted: the admin listener comes up; the brokers they name
#      do not exist here).
#   4. The base StatefulSet's container is run as Kubernetes would run it:
#      its exact args ($(POD_NAME) = maskproxy-0), the ConfigMap files at its
#      mount paths (rooted in the work dir), keys made as the guide says, the
#      test's broker and topics. Every probe and scrape path answers (livez
#      200, readyz 200 once ready, metrics 200 and parsed by promtool), events
#      come out masked on the destination (read by kcat), and SIGTERM stops
#      it cleanly.
#
# Usage: tests/deploy/k8s_test.sh PATH/TO/maskproxy
set -euo pipefail
# shellcheck source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"

bt_init k8s "${1:-}"

KEDA_DIR="$(cat "$MASKPROXY_KEDA_DIR_FILE" 2>/dev/null || true)"
[[ -x "$MASKPROXY_KUSTOMIZE" && -d "$KEDA_DIR" ]] ||
  fail "kustomize or KEDA's module not found under $MASKPROXY_K8S_HOME: run scripts/setup.sh"
python3 -c 'import kubernetes' 2>/dev/null || fail "the Kubernetes Python client is missing: run scripts/setup.sh"

# --- 1. render -------------------------------------------------------------
TREE="$WORK/tree"
mkdir -p "$TREE"
cp -r "$ROOT/deploy" "$ROOT/policies" "$TREE/"
# The dev overlay's Secret is generated from keys the developer makes (the
# commands in its kustomization.yaml); secrets/ is git-ignored.
"$BIN" keys generate --out "$TREE/deploy/k8s/overlays/dev/secrets/keys-tokenization.yaml" rrn phone email account >/dev/null
"$BIN" keys generate --out "$TREE/deploy/k8s/overlays/dev/secrets/audit-key.yaml" audit >/dev/null
RENDERED=()
for k in base overlays/dev examples/connect-sidecar; do
  out="$WORK/${k//\//-}.yaml"
  "$MASKPROXY_KUSTOMIZE" build --load-restrictor LoadRestrictionsNone "$TREE/deploy/k8s/$k" >"$out" 2>"$WORK/kustomize.err" ||
    { cat "$WORK/kustomize.err" >&2; fail "kustomize build $k failed"; }
  RENDERED+=("$out")
  log "rendered $k: $(grep -c '^kind:' "$out") objects ($(grep '^kind:' "$out" | sort | uniq -c | awk '{printf "%s%s×%s", sep, $3, $1; sep=", "}'))"
done
grep -q 'kind: Secret' "$WORK/overlays-dev.yaml" || fail "the dev overlay made no Secret"
! grep -q 'kind: Secret' "$WORK/base.yaml" || fail "the base must not carry a Secret (keys are never in the repository)"

# --- 2. validate -------------------------------------------------------------
CHECK=(python3 "$ROOT/tests/deploy/k8s_check.py" --bin "$BIN" --keda-dir "$KEDA_DIR")
"${CHECK[@]}" --extract "$WORK/x" "${RENDERED[@]}" 2>"$WORK/check.err" || { cat "$WORK/check.err" >&2; fail "the manifests are not valid"; }
log "$(tail -n 1 "$WORK/check.err")"

# Each mutation must be refused, naming the problem. All mutants go through
# one checker run (its problems are prefixed with the file's name).
declare -A EXPECT=()
mutate() { # NAME EXPECTED-MESSAGE SED-EXPRESSION
  local name="$1" expect="$2" expr="$3"
  sed -e "$expr" "$WORK/base.yaml" >"$WORK/mutant-$name.yaml"
  ! cmp -s "$WORK/base.yaml" "$WORK/mutant-$name.yaml" || fail "mutation $name changed nothing"
  EXPECT[$name]="$expect"
}
mutate unknown_field "unknown field" 's/^  serviceName: maskproxy$/  serviceName: maskproxy\n  replica: 2/'
mutate selector_typo "unknown field" 's/^    matchLabels:$/    matchLabelz:/'
mutate flag "has no flag --transactional-idd" 's/- --transactional-id$/- --transactional-idd/'
mutate command "is not a maskproxy command" 's/^        - run$/        - serve/'
mutate probe_path "/healthz is not an admin endpoint" 's#path: /readyz#path: /healthz#'
mutate probe_port "the config listens on 9644" 's/containerPort: 9644/containerPort: 9645/'
mutate scrape_port "prometheus.io/port" 's/prometheus.io\/port: "9644"/prometheus.io\/port: "8080"/'
mutate keda_key "reads no such key" 's/lagThreshold:/lagThreshhold:/'
mutate keda_type "expected an integer" 's/minReplicaCount: 1$/minReplicaCount: "1"/'
mutate keda_group "the proxy's group is" 's/consumerGroup: maskproxy-payments$/consumerGroup: other/'
mutate keda_topic "is not a route's source" 's/topic: payments.raw$/topic: payments.other/'
mutate memory "below the documented bound" 's/memory: 384Mi/memory: 128Mi/'
mutate loopback "not reachable by kubelet probes" 's/listen: 0.0.0.0:9644/listen: 127.0.0.1:9644/'
if "${CHECK[@]}" "$WORK"/mutant-*.yaml 2>"$WORK/mutants.err"; then
  fail "the mutated manifests were accepted"
fi
for name in "${!EXPECT[@]}"; do
  grep "^mutant-$name:" "$WORK/mutants.err" | grep -qF -- "${EXPECT[$name]}" ||
    { grep "^mutant-$name:" "$WORK/mutants.err" >&2; fail "mutation $name: no problem '${EXPECT[$name]}'"; }
done
log "${#EXPECT[@]} mutated manifests refused, each naming its problem"

# --- 3. every extracted config is one the binary accepts ---------------------
# root_config DIR: the container's paths rooted in DIR/root, the admin
# listener on a free loopback port, keys made as the guides say into the
# Secret's mount, and the pod's init scripts run on them as kubelet would:
# the keys' emptyDir made as kubelet makes one, 0777 without the sticky bit
# (a review: the proxy refused a keyring copied straight into it, and the
# pod crash-looped; a directory made with mkdir had hidden it).
root_config() {
  local r="$1/root" secret="$1/root/run/maskproxy-keys"
  sed -i -e "s#/etc/maskproxy#$r/etc/maskproxy#g" -e "s#/var/lib/maskproxy#$r/var/lib/maskproxy#g" \
    -e "s#listen: 0.0.0.0:9644.*#listen: 127.0.0.1:0#" "$r/etc/maskproxy/maskproxy.yaml"
  mkdir -p "$r/etc/maskproxy/keys" "$r/var/lib/maskproxy" "$secret"
  chmod 0777 "$r/etc/maskproxy/keys"
  "$BIN" keys generate --out "$secret/keys-tokenization.yaml" rrn phone email account >/dev/null
  "$BIN" keys generate --out "$secret/audit-key.yaml" audit >/dev/null
  chmod 0400 "$secret"/*.yaml
  local script
  [[ -s "$1/init" ]] || fail "$(basename "$1"): no init container copies the keys"
  while IFS= read -r script; do
    script="${script//\/etc\/maskproxy/$r/etc/maskproxy}"
    script="${script//\/run\/maskproxy-keys/$secret}"
    /bin/sh -c "$script" || fail "$(basename "$1"): its init container failed: $script"
  done <"$1/init"
}
# container_args DIR: the manifest's args, $(POD_NAME) and the paths resolved.
container_args() {
  mapfile -t ARGS <"$1/args"
  local i
  for i in "${!ARGS[@]}"; do
    ARGS[i]="${ARGS[i]//\$(POD_NAME)/maskproxy-0}"
    if [[ "${ARGS[i]}" == /etc/maskproxy/* ]]; then ARGS[i]="$1/root${ARGS[i]}"; fi
  done
}
# admin_address LOG: the bound admin address once listening, or "".
admin_address() {
  grep -o '"event":"admin_listening","address":"[^"]*"' "$1" 2>/dev/null | tail -n 1 | sed 's/.*"address":"//; s/"$//' || true
}
# Their brokers do not exist here: the config, the policies, the keys and the
# security settings are all validated before any broker is asked (exit 2 on
# any problem); then a broker that does not answer is logged
# (kafka_probe_no_answer) and retried. That line, from a live process, is
# the proof of acceptance.
declare -A ACCEPT_PID=()
for X in "$WORK"/x/*/; do
  X="${X%/}"
  [[ "$(basename "$X")" == base-statefulset-maskproxy ]] && continue
  root_config "$X"
  container_args "$X"
  (cd "$WORK" && exec "${PDEATH[@]}" "$BIN" "${ARGS[@]}") >"$X/run.log" 2>&1 &
  ACCEPT_PID[$X]=$!
done
(( ${#ACCEPT_PID[@]} >= 2 )) || fail "expected the dev overlay's and the sidecar's configs, found ${#ACCEPT_PID[@]}"
for X in "${!ACCEPT_PID[@]}"; do
  pid="${ACCEPT_PID[$X]}"
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    grep -q '"event":"kafka_probe_no_answer"' "$X/run.log" && break
    sleep 0.1
  done
  if ! kill -0 "$pid" 2>/dev/null; then
    rc=0; wait "$pid" || rc=$?
    tail -n 5 "$X/run.log" >&2
    fail "$(basename "$X"): the binary refused the manifest's config (exit $rc)"
  fi
  grep -q '"event":"kafka_probe_no_answer"' "$X/run.log" || fail "$(basename "$X"): not at the broker probe after 30 s"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
done
# The control: the same start with a key the binary does not know exits 2.
X="$WORK/x/overlays-dev-statefulset-maskproxy"
container_args "$X"
printf 'replicas: 2\n' >>"$X/root/etc/maskproxy/maskproxy.yaml"
rc=0; timeout 30 "$BIN" "${ARGS[@]}" >"$X/refused.log" 2>&1 || rc=$?
(( rc == 2 )) && grep -q "replicas" "$X/refused.log" || { cat "$X/refused.log" >&2; fail "an unknown config key was not refused (exit $rc)"; }
log "the dev overlay's and the sidecar example's configs are accepted by the binary; an unknown key is refused (exit 2)"

# --- 4. run the base StatefulSet's container ----------------------------------
X="$WORK/x/base-statefulset-maskproxy"
R="$X/root"
[[ -f "$R/etc/maskproxy/maskproxy.yaml" ]] || fail "nothing extracted for the base StatefulSet"
topics_create --src-partitions 2
# The container's paths, rooted in $R; this run's broker, topics, group and a
# free admin port. Nothing else of the manifest's config changes.
root_config "$X"
sed -i -e "s#brokers: .*#brokers: $BOOTSTRAP#" -e "s#group_id: .*#group_id: $ID#" "$R/etc/maskproxy/maskproxy.yaml"
for p in "$R"/etc/maskproxy/policies/*.yaml; do
  sed -i -E -e "s|^( *-? *from: ).*$|\1$SRC|" -e "s|^( *to: ).*$|\1$DST|" -e "s|^( *dead_letter: ).*$|\1$DLQ|" "$p"
done
container_args "$X"
log "running: maskproxy ${ARGS[*]#$R}"
(cd "$WORK" && exec "${PDEATH[@]}" "$BIN" "${ARGS[@]}") >>"$WORK/proxy-k8s.log" 2>&1 &
PROXY_PID[k8s]=$!

addr=""
for _ in $(seq 1 150); do
  proxy_alive k8s || { proxy_reap k8s; fail "the proxy exited ($PROXY_RC) with the manifest's config"; }
  addr="$(admin_address "$WORK/proxy-k8s.log")"
  [[ -n "$addr" ]] && break
  sleep 0.2
done
[[ -n "$addr" ]] || fail "no admin_listening line"

ready=""
for _ in $(seq 1 300); do
  code="$(curl -s -o "$WORK/readyz" -w '%{http_code}' "http://$addr/readyz" || true)"
  [[ "$code" == 200 ]] && { ready=1; break; }
  sleep 0.2
done
[[ -n "$ready" ]] || { cat "$WORK/readyz" >&2; fail "readyz never 200"; }
while read -r port path what; do
  code="$(curl -s -o "$WORK/probe.out" -w '%{http_code}' "http://$addr$path" || true)"
  [[ "$code" == 200 ]] || fail "$what GET $path (manifest port $port): HTTP $code"
  if [[ "$what" == prometheus ]]; then
    promtool check metrics <"$WORK/probe.out" >"$WORK/promtool.out" 2>&1 ||
      { cat "$WORK/promtool.out" >&2; fail "promtool refused $path"; }
  fi
  log "$what: GET $path -> 200"
done <"$X/probes"

events_generate 200 0
produce_file "$WORK/events.tsv"
wait_output 200
dump_topic "$DST" "$WORK/dest.json"
python3 - "$WORK/events.tsv" "$WORK/dest.json" <<'EOF' || fail "a raw value reached the destination"
import json, sys
raw = [json.loads(l.split("\t", 1)[1]) for l in open(sys.argv[1]) if l.strip()]
planted = {e["user"]["rrn"] for e in raw if isinstance(e.get("user"), dict) and e["user"].get("rrn")}
out = open(sys.argv[2]).read()
leaks = [v for v in planted if v in out]
if not planted or leaks:
    sys.exit(f"planted={len(planted)} leaked={len(leaks)}")
print(f"{len(planted)} RRNs masked, none on the destination", file=sys.stderr)
EOF
proxy_term k8s
log "PASS"
