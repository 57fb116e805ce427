#!/usr/bin/env bash
# The audit trail written by the real proxy: a run with records, a policy
# reload, a rejected reload and a stop gives a trail that `maskproxy audit
# verify` calls intact (exit 0), holding start, config_loaded, keys_loaded,
# policy_loaded, policy_reloaded, policy_rejected, stop and a final checkpoint,
# and no key material. Copies of it tampered with (an edited field, a deleted
# line, two lines swapped, a forged line, a copied line, the end cut after a
# checkpoint, a partial last line) are each named (exit 1, or 3 for the
# truncations); the proxy refuses to start on a tampered trail, on a trail
# others can read and on a missing audit key.
# Usage: audit_trail_test.sh PATH/TO/maskproxy   (env EVENTS=N, default 500)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/broker_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker_test.sh"
bt_init audit_trail "${1:-}"
events="${EVENTS:-500}"
topics_create
policy_retarget
keys_generate rrn phone email account
"$BIN" keys generate --out "$WORK/audit-key.yaml" audit 2>/dev/null || fail "keys generate (audit) failed"
config_write --txid "$ID-0" --extra $'audit:\n  file: audit.jsonl\n  key_file: audit-key.yaml\n  checkpoint_every: 4'
events_generate "$events" 0
produce_file "$WORK/events.tsv"

# wait_log PATTERN N: until the proxy log holds N lines matching PATTERN.
wait_log() {
  local t=$SECONDS
  while (( $(grep -c "$1" "$WORK/proxy-p.log" || true) < $2 )); do
    check_proxies fail
    (( SECONDS - t < 30 )) || fail "no $1 in the proxy log after 30s"
    sleep 0.1
  done
}

proxy_start p
wait_output "$TOTAL" 300
# A good reload (version raised), then a rejected one, then the good one back.
cp "$WORK/policy.yaml" "$WORK/policy.good"
sed -E 's/^version: .*/version: 99/' "$WORK/policy.good" >"$WORK/policy.yaml"
kill -HUP "${PROXY_PID[p]}"
wait_log reload_accepted 1
printf 'policy: broken\nversion: 100\nroutes: [\n' >"$WORK/policy.yaml"
kill -HUP "${PROXY_PID[p]}"
wait_log reload_rejected 1
proxy_term p

V() { "$BIN" audit verify --key-file "$WORK/audit-key.yaml" "$@"; }
out=$(V "$WORK/audit.jsonl") || fail "audit verify of the proxy's trail failed: $out"
grep -q "intact: .* complete" <<<"$out" || fail "unexpected verify output: $out"
log "verify: $out"
out=$("$BIN" audit verify --config "$WORK/config.yaml") || fail "audit verify --config failed: $out"

python3 - "$WORK" <<'PY'
import json, re, sys
work = sys.argv[1]
lines = open(f"{work}/audit.jsonl", encoding="utf-8").read().splitlines()
entries = [json.loads(l) for l in lines]
names = [e["event"] for e in entries]
fails = []
def check(c, m):
    if not c: fails.append(m)
for want in ["start", "config_loaded", "keys_loaded", "policy_loaded", "policy_reloaded", "policy_rejected", "stop"]:
    check(want in names, f"no {want} entry ({names})")
check(names[:4] == ["start", "config_loaded", "keys_loaded", "policy_loaded"], f"start order: {names[:4]}")
# The end: stop, then the final checkpoint; when stop was the 4th entry
# since the last checkpoint, the interval checkpoint it made due comes first
# (the number of entries before it varies: a rejected policy is seen by
# SIGHUP and inotify, once or twice).
tail = names[-3:] if names[-3:] == ["stop", "checkpoint", "checkpoint"] else names[-2:]
check(tail[0] == "stop" and entries[-1]["event"] == "checkpoint" and entries[-1]["final"] is True,
      f"ends with stop and the final checkpoint: {names[-4:]}")
if len(tail) == 3:
    since = len(names) - 3 - max(i for i, n in enumerate(names[:-3]) if n == "checkpoint")
    check(entries[-2]["final"] is False and since == 4,
          f"an interval checkpoint after stop only when due (every 4): {since} entries since the last one")
check(any(e["event"] == "checkpoint" and e["final"] is False for e in entries), "interval checkpoints (every 4)")
check([e["seq"] for e in entries] == list(range(1, len(entries) + 1)), "seq 1..n")
rej = [e for e in entries if e["event"] == "policy_rejected"][0]
check(rej["errors"] and rej["errors"][0].startswith(f"{work}/policy.yaml:"), f"rejection errors at file:line:col: {rej}")
rel = [e for e in entries if e["event"] == "policy_reloaded"][0]
check(any("@99#" in p for p in rel["policies"]), f"the reload names the new version: {rel}")
keys = [e for e in entries if e["event"] == "keys_loaded"][0]
check(sorted(k.split("@")[0] for k in keys["keys"]) == ["account", "email", "phone", "rrn"], f"key names: {keys}")
text = "\n".join(lines)
for f in ("keys.yaml", "audit-key.yaml"):
    for m in re.findall(r"^\s+\d+: (\S+)$", open(f"{work}/{f}").read(), re.M):
        check(m not in text, f"key material of {f} in the trail")
if fails:
    for m in fails: print("FAIL:", m)
    sys.exit(1)
print(f"ok: {len(entries)} entries: {', '.join(sorted(set(names)))}; no key material")

# Tampered copies, each written to its own file.
def put(name, ls, newline=True):
    with open(f"{work}/{name}", "w", encoding="utf-8") as f:
        f.write("\n".join(ls) + ("\n" if newline else ""))
edited = list(lines); edited[2] = edited[2].replace('"config_hash":"', '"config_hash":"0', 1) if "config_hash" in edited[2] else edited[2].replace('"file":"', '"file":"x', 1)
put("t-edit", edited)
put("t-delete", lines[:3] + lines[4:])
swapped = list(lines); swapped[3], swapped[5] = swapped[5], swapped[3]
put("t-reorder", swapped)
forged = lines[4].replace('"mac":"', '"mac":"f', 1)[:-2] + '"}'
forged = re.sub(r'"mac":"[0-9a-f]{64}"', '"mac":"' + "0" * 64 + '"', lines[4])
put("t-forged", lines[:5] + [forged] + lines[5:])
put("t-copy", lines[:6] + [lines[1]] + lines[6:])
cps = [i for i, e in enumerate(entries) if e["event"] == "checkpoint" and not e["final"]]
put("t-truncate", lines[: cps[0] + 3])
put("t-partial", lines[:-1] + [lines[-1][:40]], newline=False)
PY
[[ $? -eq 0 ]] || fail "trail contents"

expect() {  # expect FILE RC PATTERN
  local rc=0 out
  out=$(V "$WORK/$1" 2>&1) || rc=$?
  (( rc == $2 )) || fail "$1: exit $rc, expected $2: $out"
  grep -qE "$3" <<<"$out" || fail "$1: '$3' not in: $out"
  log "$1: exit $rc: $(tail -n 1 <<<"$out")"
}
expect t-edit 1 "entry 3 \(line 3\): mac does not verify"
expect t-delete 1 "line 4: seq 5 where 4 was expected \(entry 4 deleted\)"
expect t-reorder 1 "line 4: seq 6 where 4 was expected \(reordered: entry 4 is at line 6\)"
expect t-forged 1 "entry 5 \(line 6\): mac does not verify"
expect t-copy 1 "line 7: a copy of entry 2 \(line 2\) \(inserted\)"
expect t-truncate 3 "open: 2 entries after the last checkpoint at seq [0-9]+"
expect t-partial 3 "partial last line"
rc=0; V --allow-open "$WORK/t-truncate" >/dev/null || rc=$?
(( rc == 0 )) || fail "--allow-open: exit $rc for a trail cut after a checkpoint"

# The proxy refuses to start on a tampered trail, a readable trail, no key.
refuse() {  # refuse WHAT PATTERN: the proxy must exit 2 naming it
  local rc=0
  timeout 60 "$BIN" run --config "$WORK/config.yaml" >"$WORK/refuse.log" 2>&1 || rc=$?
  (( rc == 2 )) || fail "$1: proxy exit $rc, expected 2: $(tail -n 3 "$WORK/refuse.log")"
  grep -qE "$2" "$WORK/refuse.log" || fail "$1: '$2' not in: $(tail -n 3 "$WORK/refuse.log")"
  log "refused ($1): $(grep -E "$2" "$WORK/refuse.log" | head -n 1)"
}
cp "$WORK/policy.good" "$WORK/policy.yaml"
cp "$WORK/audit.jsonl" "$WORK/audit.good"
cp "$WORK/t-delete" "$WORK/audit.jsonl"
refuse "tampered trail" "does not verify, refusing to append to it: line 4: seq 5 where 4 was expected"
cp "$WORK/audit.good" "$WORK/audit.jsonl"
chmod 640 "$WORK/audit.jsonl"
refuse "group-readable trail" "group or others can access it"
chmod 600 "$WORK/audit.jsonl"
mv "$WORK/audit-key.yaml" "$WORK/audit-key.moved"
refuse "missing audit key" "audit-key.yaml"
mv "$WORK/audit-key.moved" "$WORK/audit-key.yaml"
out=$(V "$WORK/audit.jsonl") || fail "the refusals changed the trail: $out"
log "ok: the proxy's trail verifies, every tamper case is named, and the proxy refuses a bad trail"
