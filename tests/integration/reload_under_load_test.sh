#!/usr/bin/env bash
# Reload under load, on the real broker: EVENTS records (default 100,000)
# flow while the policy file is swapped SWAPS times (default 22) between two
# versions that protect user.rrn differently (version 100 tokenizes it,
# version 101 redacts it to null), 5 bad files are rejected on the way (the
# old version keeps running), and at the end the `email` key is rotated with
# `maskproxy keys rotate` and taken by a reload. Swaps go through inotify (a
# write to a temporary file renamed over the policy, as editors do) and
# SIGHUP.
#
# Checked by an independent consumer (kcat, read_committed, through
# tests/verify/verify.py): lost 0, duplicated 0 (maskproxy.origin), no PII in
# the output, poison records dead-lettered; every record masked as the policy
# version in its maskproxy.policy header says; no transaction mixing two
# versions (two records at adjacent offsets of one output partition share a
# transaction: a commit leaves a control record between transactions); the
# email token's key version never goes down per partition and ends at 2; at
# least SWAPS policy_swapped lines, 5 reload_rejected, exit 0 on SIGTERM.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init reload_under_load "${1:-}"

EVENTS="${EVENTS:-100000}"
SWAPS="${SWAPS:-22}"
POISON_N=40
RATE="${RATE:-$(( (EVENTS + POISON_N) / 45 ))}"  # the stream lasts about 45 s

topics_create
policy_retarget
keys_generate rrn phone email account
# The two versions (embedded tests dropped: they pin version 3's outputs).
sed -e '/^tests:/,$d' -e 's/^version: .*/version: 100/' "$WORK/policy.yaml" >"$WORK/v100.yaml"
sed -e '/^tests:/,$d' -e 's/^version: .*/version: 101/' \
  -e 's|{ path: user.rrn, .*}|{ path: user.rrn, action: redact, mode: "null" }|' "$WORK/policy.yaml" >"$WORK/v101.yaml"
grep -q 'path: user.rrn, action: redact' "$WORK/v101.yaml" || fail "could not write version 101"
# Bad files, each rejected with its file:line:col: a YAML syntax error, an
# unknown action, a key the keyring lacks, a missing version, a route
# conflict (dead letter = destination).
sed 's/^routes:$/routes: [/' "$WORK/v100.yaml" >"$WORK/bad1.yaml"
sed 's/action: tokenize, key: rrn/action: tokenise, key: rrn/' "$WORK/v100.yaml" >"$WORK/bad2.yaml"
sed 's/key: email/key: no_such_key/' "$WORK/v100.yaml" >"$WORK/bad3.yaml"
sed '/^version: /d' "$WORK/v100.yaml" >"$WORK/bad4.yaml"
sed "s|^\( *dead_letter: \).*|\1$DST|" "$WORK/v100.yaml" >"$WORK/bad5.yaml"
for i in 1 2 3 4 5; do cmp -s "$WORK/bad$i.yaml" "$WORK/v100.yaml" && fail "bad$i.yaml is not bad"; done
cp "$WORK/v100.yaml" "$WORK/policy.yaml"
config_write --commit-interval 50
events_generate "$EVENTS" "$POISON_N"

proxy_start a
produce_start "$RATE"

# count EVENT: lines of that event in the proxy log.
count() { grep -c "$1" "$WORK/proxy-a.log" || true; }
# install FILE: replaces the policy as an editor does (temporary file + rename).
install_policy() {
  cp "$WORK/$1" "$WORK/.policy.yaml.tmp"
  mv "$WORK/.policy.yaml.tmp" "$WORK/policy.yaml"
}
# wait_count EVENT N: until the log has N lines of EVENT (30 s).
wait_count() {
  local t=$SECONDS
  while (( $(count "$1") < $2 )); do
    check_proxies fail
    (( SECONDS - t < 30 )) || fail "waited 30s for $2 '$1' lines (have $(count "$1"))"
    sleep 0.1
  done
}

wait_produced 2000
swaps=0 bad=0
for (( i = 1; i <= SWAPS; i++ )); do
  version=$(( i % 2 ? 101 : 100 ))
  if (( i % 4 == 0 )); then
    # SIGHUP with the watch's event possibly first: one of them swaps, the
    # other finds the files unchanged.
    cp "$WORK/v$version.yaml" "$WORK/policy.yaml"
    kill -HUP "${PROXY_PID[a]}"
  else
    install_policy "v$version.yaml"
  fi
  swaps=$i
  wait_count reload_accepted "$swaps"
  wait_count policy_swapped "$swaps"
  if (( i % 4 == 1 && bad < 5 )); then
    bad=$(( bad + 1 ))
    install_policy "bad$bad.yaml"
    wait_count reload_rejected "$bad"
    install_policy "v$version.yaml"  # the running version again: unchanged
  fi
  sleep "0.$(rand_between 5 9)"
done
(( bad == 5 )) || fail "only $bad bad files were tried"
log "$swaps swaps and $bad rejected files while producing ($(produced) records fed)"
producer_running || fail "the producer finished before the swaps did: raise EVENTS or lower RATE"

# Key rotation: new outputs use email version 2.
"$BIN" keys rotate --keys "$WORK/keys.yaml" email >/dev/null 2>&1 || fail "keys rotate failed"
wait_count reload_accepted $(( swaps + 1 ))
grep 'reload_accepted' "$WORK/proxy-a.log" | tail -n 1 | grep -q 'email: active 1 -> 2' ||
  fail "the reload after keys rotate does not name the email key"

wait_drained
proxy_term a

(( $(count policy_swapped) >= SWAPS + 1 )) || fail "only $(count policy_swapped) policy_swapped lines"
(( $(count reload_rejected) == 5 )) || fail "$(count reload_rejected) reload_rejected lines, expected 5"
located=$(grep 'reload_rejected' "$WORK/proxy-a.log" | grep -c 'policy\.yaml:[0-9]*:[0-9]*: ' || true)
(( located >= 4 )) || fail "only $located rejections name the policy file with line:col"

label100="payments-pii@100#" label101="payments-pii@101#"
run_verify --version-rules "{\"$label100\":{\"user.rrn\":\"token\"},\"$label101\":{\"user.rrn\":\"null\"}}" \
  --token-version user.email=2
for k in masked_not_as_versioned txn_mixed_versions unknown_policy_version; do
  grep -q " $k=0" <<<"$VERIFY_LINE" || fail "$k is not 0: $VERIFY_LINE"
done
changes=$(sed -E 's/.* version_changes=([0-9]+).*/\1/' <<<"$VERIFY_LINE")
(( changes >= SWAPS )) || fail "only $changes version changes seen in the output (expected >= $SWAPS)"
log "PASS: $VERIFY_LINE"
