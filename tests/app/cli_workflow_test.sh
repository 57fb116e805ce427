#!/usr/bin/env bash
# The security team's and operators' workflow with the real binary, no broker:
# keys generate/rotate, policy check (every error with file:line:col) and
# policy test (diffs, exit codes), batch mask (JSON Lines and CSV, quarantine,
# fail closed), reveal across a key rotation with its audit trail; `run`
# while no broker answers (the admin listener up at once, SIGTERM exits 0).
#
#   tests/app/cli_workflow_test.sh build/src/app/maskproxy
set -euo pipefail
bin=$(realpath "${1:?usage: $0 path/to/maskproxy}")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
expect_rc() {  # expect_rc WANT DESC CMD...
  local want=$1 desc=$2; shift 2
  local rc=0; "$@" >out.txt 2>err.txt || rc=$?
  if [ "$rc" = "$want" ]; then ok "$desc (exit $rc)"; else bad "$desc: exit $rc, want $want"; cat out.txt err.txt; fi
}
has() { if grep -qF -- "$2" "$1"; then ok "$3"; else bad "$3: '$2' not in $1"; cat "$1"; fi; }
hasnt() { if grep -qF -- "$2" "$1"; then bad "$3: '$2' found in $1"; else ok "$3"; fi; }

P=$root/policies/transfers.yaml
"$bin" keys generate --out keys.yaml rrn phone email account contact customer 2>/dev/null
# Usage errors exit 2 (as --help says); a refusal of the file exits 1.
expect_rc 2 "keys generate refuses a bad key name" "$bin" keys generate --out bad-name.yaml 'rrn key'
expect_rc 2 "keys generate refuses a name given twice" "$bin" keys generate --out twice.yaml rrn rrn
expect_rc 1 "keys generate keeps an existing file" "$bin" keys generate --out keys.yaml rrn
if [[ ! -e bad-name.yaml && ! -e twice.yaml ]]; then ok "no keyring after a usage error"; else bad "keys generate left a file after a usage error"; fi
[ "$(stat -c %a keys.yaml)" = 600 ] && ok "keyring is mode 0600" || bad "keyring mode $(stat -c %a keys.yaml)"

# --- policy check / test -------------------------------------------------------
expect_rc 0 "shipped policies check" "$bin" policy check --keys keys.yaml "$root"/policies/*.yaml
expect_rc 0 "shipped policies pass their tests" "$bin" policy test --keys keys.yaml "$root"/policies/*.yaml
has out.txt "0 failed" "policy test summary"
# A file whose own tests fail is not ok for check either (a reload rejects it).
sed -e '76s/currency: KRW/currency: USD/' "$root"/policies/transfers.yaml >tests_fail.yaml
expect_rc 1 "policy check fails a policy whose embedded test fails" "$bin" policy check --keys keys.yaml tests_fail.yaml
grep -q ': ok (' out.txt && bad "policy check said ok with a failing test" || ok "no ok line for a failing test"
has out.txt "tests_fail.yaml: FAIL (" "policy check names the failing file"
has err.txt "tests_fail.yaml:" "policy check names the failing test's line"
grep -q 'USD\|KRW' err.txt out.txt && bad "policy check printed a test value" || ok "policy check prints no value"
cat >broken.yaml <<'YAML'
policy: broken
version: 1
routes:
  - from: a.raw
    to: a.out
    dead_letter: a.dlq
    rules:
      - { path: user.rrn, action: tokenise, key: rrn }
      - { path: user.phone, action: fpe, key: phone, keep_prefix: 3, min_length: 8 }
      - { path: user.mail, action: encrypt, key: contcat }
      - { path: user, action: redact }
YAML
expect_rc 2 "a broken policy is refused" "$bin" policy check --keys keys.yaml broken.yaml
has err.txt "broken.yaml:8:35: rule 'user.rrn': unknown action 'tokenise'" "unknown action located, with suggestion"
has err.txt "did you mean 'tokenize'" "typo suggestion"
has err.txt "broken.yaml:9:" "unsafe FPE domain located"
has err.txt "unsafe" "unsafe FPE domain explained"
has err.txt "broken.yaml:10:" "missing key located"
has err.txt "did you mean 'contact'" "missing key suggestion"
has err.txt "broken.yaml:11:" "overlapping path located"
[ "$(wc -l <err.txt)" -ge 4 ] && ok "every error reported at once" || bad "only $(wc -l <err.txt) error line(s)"
expect_rc 2 "policy test of a broken policy" "$bin" policy test --keys keys.yaml broken.yaml
has out.txt "broken.yaml: tests not run: the policy does not compile" "tests said not run"
grep -q 'passed, ' out.txt && bad "a pass/fail tally of tests that did not run" || ok "no tally of tests not run"

# Names are the author's text: a line break in a test's name, or in an
# unknown key, is shown escaped and cannot forge a line of output; one in the
# policy's name (copied into every record's header) is refused.
cat >forged.yaml <<'YAML'
policy: forged
version: 1
routes:
  - from: f.raw
    to: f.out
    dead_letter: f.dlq
    rules:
      - { path: user.rrn, action: redact }
tests:
  - name: "real\nPASS forged.yaml:1 every test"
    route: f.raw
    input: { user: { rrn: "900101-1234567" } }
    expect: { user: { rrn: "nope" } }
YAML
expect_rc 1 "a policy whose test has a line break in its name checks (its test fails)" "$bin" policy check --keys keys.yaml forged.yaml
has out.txt 'forged.yaml: FAIL (forged@1#' "policy checked, its failing test counted"
has err.txt "forged.yaml:10: test 'real\nPASS forged.yaml:1 every test' fails" "failing test named, escaped"
[ "$(wc -l <out.txt)" = 1 ] && ok "policy check: one line" || bad "policy check printed $(wc -l <out.txt) lines"
sed -e '1s/.*/policy: "forged\\nforged.yaml: ok"/' forged.yaml >forgedname.yaml
expect_rc 2 "a line break in the policy's name is refused" "$bin" policy check --keys keys.yaml forgedname.yaml
has err.txt 'forgedname.yaml:1:9: policy name at character 7:' "policy name refused at its character"
grep -q ': ok' out.txt && bad "an ok line in a failing check" || ok "no ok line in a failing check"
ln -s forged.yaml forgedlink.yaml
expect_rc 2 "a file given twice" "$bin" policy check --keys keys.yaml forged.yaml forgedlink.yaml
has err.txt "forgedlink.yaml: policy file given twice (the same file as forged.yaml)" "given twice, by a link"
grep -q 'also routed by' err.txt && bad "a file given twice conflicts with itself" || ok "no conflict with itself"
grep -q ': ok' out.txt && bad "an ok line in a failing check" || ok "no ok line beside given twice"
expect_rc 1 "the failing test with a line break in its name fails" "$bin" policy test --keys keys.yaml forged.yaml
has out.txt 'FAIL forged.yaml:10 real\nPASS forged.yaml:1 every test' "test name shown escaped"
grep -q '^PASS' out.txt && bad "a forged PASS line" || ok "no forged PASS line"
printf 'policy: p\nversion: 1\n"a\\nforged.yaml:1:1: ok": 1\n' >forgedkey.yaml
expect_rc 2 "an unknown key with a line break is refused" "$bin" policy check --keys keys.yaml forgedkey.yaml
has err.txt "forgedkey.yaml:3:1: unknown key 'a\\nforged.yaml:1:1: ok'" "unknown key shown escaped"
grep -v '^forgedkey.yaml:[0-9]*:[0-9]*: ' err.txt && bad "an error line without its location" || ok "every error line located"

sed -e 's/keep_first: 6, keep_last: 4/keep_first: 4, keep_last: 4/' "$P" >failing.yaml
expect_rc 1 "a failing embedded test fails policy test" "$bin" policy test --keys keys.yaml failing.yaml
has out.txt "FAIL failing.yaml:" "failure names file and line"
has out.txt 'card.number: expected "5412 75** **** 3456"' "readable diff: expected"
has out.txt 'got      "5412 **** **** 3456"' "readable diff: got"

# --- batch mask: JSON Lines -----------------------------------------------------
cat >in.jsonl <<'EOF2'
{"transfer_id":"T-1","amount":5000,"sender":{"rrn":"900101-1234567","phone":"010-1234-5678","email":"minjun@example.com","name":"김민준","address":"경기 성남시 분당구 판교로 1"},"extra":"x"}
{"transfer_id":"T-2","sender":{"rrn":"9001011234567","email":"minjun@example.com"}}
not json
{"sender":{"phone":"010-12"}}
EOF2
printf 'stale\n' >q.jsonl.partial && chmod 644 q.jsonl.partial  # a stale staged file must not stay 0644
expect_rc 0 "mask JSON Lines with quarantine" "$bin" mask --policy "$P" --keys keys.yaml --route transfers \
  --in in.jsonl --out out.jsonl --quarantine q.jsonl
has err.txt "4 record(s): 2 masked, 2 quarantined" "batch summary"
has err.txt "contact:1" "batch names the key versions it used"
[ "$(stat -c %a q.jsonl)" = 600 ] && ok "quarantine file is private" || bad "quarantine mode $(stat -c %a q.jsonl)"
for v in 900101-1234567 9001011234567 010-1234-5678 minjun@example.com 김민준 판교로; do
  hasnt out.jsonl "$v" "no raw '$v' in the output"
done
hasnt out.jsonl '"extra"' "unlisted field dropped"
has q.jsonl '"line":3,"reason":"invalid_json"' "quarantine names line and reason"
has q.jsonl '"line":4,"reason":"value_too_short"' "short phone quarantined, not passed"
t1=$(python3 -c 'import json,sys; l=open("out.jsonl").read().split("\n"); print(json.loads(l[0])["sender"]["rrn"]); print(json.loads(l[1])["sender"]["rrn"])' | sort -u | wc -l)
[ "$t1" = 1 ] && ok "both RRN spellings give one token" || bad "RRN spellings gave $t1 tokens"

expect_rc 1 "without --quarantine a bad record fails the run" "$bin" mask --policy "$P" --keys keys.yaml \
  --route transfers --in in.jsonl --out fail.jsonl
[ ! -e fail.jsonl ] && [ ! -e fail.jsonl.partial ] && ok "no output file left behind" || bad "output left behind"
hasnt err.txt "010-12" "error message carries no value"

# Same bytes as stdin/stdout.
# A quarantine that is not a regular file (a FIFO here; /dev/null in real
# use) is written in place, never replaced by a renamed file.
mkfifo q.fifo
timeout 20 cat q.fifo >q.from-fifo &  # bounded: a bug that never opens the FIFO must not hang
"$bin" mask --policy "$P" --keys keys.yaml --route transfers --quarantine q.fifo <in.jsonl >piped.jsonl 2>/dev/null
wait || true
[ -p q.fifo ] && ok "a FIFO quarantine stays a FIFO" || bad "the FIFO was replaced by a regular file"
has q.from-fifo '"line":3,"reason":"invalid_json"' "quarantine written through the FIFO"
# A symbolic link (as /dev/stderr is) to a regular file is written through,
# never replaced by a renamed file.
: >q.real && ln -s q.real q.link
"$bin" mask --policy "$P" --keys keys.yaml --route transfers --quarantine q.link <in.jsonl >/dev/null 2>&1
[ -L q.link ] && ok "a symlinked quarantine stays a symlink" || bad "the symlink was replaced by a regular file"
has q.real '"line":3,"reason":"invalid_json"' "quarantine written through the symlink"
python3 - <<'PY' && ok "stdin/stdout gives the same records (modulo random XAES-GCM nonces)" || bad "stdin/stdout differs"
import json, re
a = open("out.jsonl").read().splitlines(); b = open("piped.jsonl").read().splitlines()
norm = lambda s: re.sub(r'e2\.contact\.1\.[A-Za-z0-9_-]+', 'E', s)
assert len(a) == len(b) and all(norm(x) == norm(y) for x, y in zip(a, b))
PY

# --- batch mask: CSV -------------------------------------------------------------
cat >csv.yaml <<'YAML'
policy: csv
version: 1
routes:
  - name: customers
    from: customers.raw
    to: customers.masked
    dead_letter: customers.dlq
    rules:
      - { path: rrn, action: tokenize, key: rrn, normalize: digits }
      - { path: phone, action: fpe, key: phone, keep_prefix: 3 }
      - { path: memo, action: redact, mode: "null" }
YAML
printf 'id,rrn,phone,memo\r\n1,900101-1234567,010-1234-5678,"hi, ""there""\r\nline 2"\r\n2,9001011234567,01098765432,x\r\n3,bad\r\n' >in.csv
expect_rc 0 "mask CSV" "$bin" mask --policy csv.yaml --keys keys.yaml --route customers --in in.csv --out out.csv \
  --quarantine q.csv.jsonl
has out.csv "id,rrn,phone,memo" "CSV header kept"
hasnt out.csv "900101" "no raw RRN in CSV output"
hasnt out.csv "1234-5678" "no raw phone in CSV output"
has q.csv.jsonl '"reason":"field_count"' "short CSV row quarantined"

# --- reveal across a rotation, audited --------------------------------------------
email=$(python3 -c 'import json; print(json.loads(open("out.jsonl").readline())["sender"]["email"])')
phone=$(python3 -c 'import json; print(json.loads(open("out.jsonl").readline())["sender"]["phone"])')
acct_in='{"recipients":[{"account":"110-123-456789"}]}'
echo "$acct_in" | "$bin" mask --policy "$P" --keys keys.yaml --route transfers >acct.jsonl 2>/dev/null
acct=$(python3 -c 'import json; print(json.loads(open("acct.jsonl").readline())["recipients"][0]["account"])')
# reveal here is the offline break-glass path (no proxy runs): a config names
# the policies, the keyring and the audit trail it writes to.
"$bin" keys generate --out audit-key.yaml audit 2>/dev/null
mkcfg() {  # mkcfg FILE POLICY KEYRING [TRAIL]
  printf 'source: { brokers: "127.0.0.1:1", group_id: g }\npolicies: ["%s"]\nkeyring: %s\naudit: { file: "%s", key_file: audit-key.yaml }\n' \
    "$2" "$3" "${4:-audit.log}" >"$1"
}
mkcfg cfg-r.yaml "$P" keys.yaml
R=(--offline --config cfg-r.yaml --route transfers --ticket SEC-1 --reason fraud)

expect_rc 2 "reveal without a reason is refused" "$bin" reveal --offline --config cfg-r.yaml --route transfers \
  --ticket SEC-1 --field sender.email "$email"
expect_rc 2 "reveal --operator is refused" "$bin" reveal "${R[@]}" --operator x --field sender.email "$email"
expect_rc 2 "reveal --audit-log is refused" "$bin" reveal "${R[@]}" --audit-log x.log --field sender.email "$email"
expect_rc 0 "reveal encrypt" "$bin" reveal "${R[@]}" --field sender.email "$email"
has out.txt "minjun@example.com" "encrypt reveals"
# Offline refusals are audited too; the reason is a purpose class.
before=$(wc -l <audit.log)
expect_rc 2 "offline reveal with a free-text reason is refused" "$bin" reveal --offline --config cfg-r.yaml \
  --route transfers --ticket SEC-1 --reason just-curious --field sender.email "$email"
has err.txt "must be a purpose class" "says what a reason is"
expect_rc 2 "offline reveal of a field without a rule is refused" "$bin" reveal "${R[@]}" --field sender.ssn "$email"
[ "$(grep -c '"allowed":false' <(tail -n +$((before + 1)) audit.log))" -ge 2 ] &&
  ok "both refusals are in the trail" || bad "offline refusals not audited"
# The operator named by --cert proves it holds the key and is valid under the
# config's client CA; a config without one refuses --cert (a self-made
# certificate could claim any name).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=ceo/O=Example" \
  -keyout op.key -out op.pem 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=other" \
  -keyout other.key -out other.pem 2>/dev/null
expect_rc 2 "--cert without a client CA in the config is refused" "$bin" reveal "${R[@]}" --cert op.pem --key op.key \
  --field sender.email "$email"
has err.txt "no admin.tls.client_ca_file" "says why"
sed 's|^audit:|admin: { tls: { cert_file: op.pem, key_file: op.key, client_ca_file: op.pem } }\naudit:|' cfg-r.yaml >cfg-op.yaml
RC=(--offline --config cfg-op.yaml --route transfers --ticket SEC-1 --reason fraud)
expect_rc 2 "--cert without --key is refused" "$bin" reveal "${RC[@]}" --cert op.pem --field sender.email "$email"
has err.txt "give its private key with --key" "says why"
expect_rc 2 "--cert with another certificate's key is refused" "$bin" reveal "${RC[@]}" --cert op.pem --key other.key \
  --field sender.email "$email"
expect_rc 0 "--cert with its key names the operator" "$bin" reveal "${RC[@]}" --cert op.pem --key op.key \
  --field sender.email "$email"
has audit.log '"subject":"O=Example,CN=ceo"' "the trail names the certificate's subject (RFC 2253)"
sed 's|^audit:|admin: { tls: { cert_file: op.pem, key_file: op.key, client_ca_file: other.pem } }\naudit:|' cfg-r.yaml >cfg-ca.yaml
expect_rc 2 "a certificate the config's client CA does not verify is refused" "$bin" reveal --offline \
  --config cfg-ca.yaml --route transfers --ticket SEC-1 --reason fraud --cert op.pem --key op.key \
  --field sender.email "$email"
has err.txt "not valid under the client CA" "says why"
expect_rc 0 "reveal fpe" "$bin" reveal "${R[@]}" --field sender.phone --key-version 1 "$phone"
has out.txt "010-1234-5678" "fpe reveals"
expect_rc 0 "reveal encrypt_deterministic" "$bin" reveal "${R[@]}" --field "recipients[*].account" "$acct"
has out.txt "110-123-456789" "encrypt_deterministic reveals"

"$bin" keys rotate --keys keys.yaml contact phone account 2>/dev/null
expect_rc 0 "old encrypt output reveals after rotation" "$bin" reveal "${R[@]}" --field sender.email "$email"
has out.txt "minjun@example.com" "v1 ciphertext still opens"
expect_rc 0 "old fpe output reveals with its key version" "$bin" reveal "${R[@]}" --field sender.phone --key-version 1 "$phone"
has out.txt "010-1234-5678" "fpe v1 reveals"
echo "$acct_in" | "$bin" mask --policy "$P" --keys keys.yaml --route transfers >acct2.jsonl 2>/dev/null
has acct2.jsonl '"d1.account.2.' "new outputs use the new key version"
expect_rc 0 "old deterministic output reveals after rotation" "$bin" reveal "${R[@]}" --field "recipients[*].account" "$acct"

# >>> policy loading and FPE key versions (issue #10 items 7, 9, 10) >>>>>>>>>>>>>>>
# policy check loads policies as run does: a route's dead-letter topic that is
# another route's destination is refused, at its line, by check, mask and run.
cat >dlq.yaml <<'YAML'
policy: dlq-conflict
version: 1
routes:
  - name: a
    from: a.raw
    to: shared.out
    dead_letter: a.dlq
    rules: [{ path: x, action: redact }]
  - name: b
    from: b.raw
    to: b.out
    dead_letter: shared.out
    rules: [{ path: x, action: redact }]
YAML
expect_rc 2 "check refuses a dead-letter topic that is another route's destination" \
  "$bin" policy check --keys keys.yaml dlq.yaml
has err.txt "dlq.yaml:12:18: route 'b': dead-letter topic 'shared.out' is the masked destination ('to') of route 'a' (dlq.yaml:6:9)" \
  "the conflict is located at the dead_letter line"
hasnt out.txt "dlq.yaml: ok" "a conflicting file is not reported ok"
expect_rc 2 "mask refuses it the same way" "$bin" mask --policy dlq.yaml --keys keys.yaml --route a </dev/null
has err.txt "dlq.yaml:12:18:" "mask names the same location"
cat >dlq-run.yaml <<YAML
source: { brokers: 127.0.0.1:1, group_id: g }
policies: [dlq.yaml]
keyring: $work/keys.yaml
YAML
expect_rc 2 "run refuses it the same way, before connecting" "$bin" run --config dlq-run.yaml
has err.txt "dlq.yaml:12:18:" "run names the same location"

# A policy whose only AES-GCM (e1) encryption is a scan action: the encryption
# ledger is opened and counts it (this crashed with a use-after-free).
cat >scan-encrypt.yaml <<'YAML'
policy: scan-encrypt
version: 1
scan:
  actions:
    email: { action: encrypt, key: contact, format: e1 }
routes:
  - { from: t.raw, to: t.out, dead_letter: t.dlq, rules: [{ path: body, action: scan }] }
YAML
echo '{"body":"mail minjun@example.com please"}' >scan-in.jsonl
expect_rc 0 "mask with a scan action that encrypts" "$bin" mask --policy scan-encrypt.yaml --keys keys.yaml \
  --route t.raw --in scan-in.jsonl --out scan-out.jsonl --encryption-ledger scan.usage
has scan-out.jsonl 'mail e1.contact.2.' "the e-mail found in the text is encrypted"
hasnt scan-out.jsonl "minjun@example.com" "no raw e-mail in the output"
has scan.usage "contact " "the ledger file counts the scan action's encryptions"
# The same with e2 (encrypt's default, XAES-256-GCM): no ledger at all.
sed 's/, format: e1//' scan-encrypt.yaml >scan-encrypt-e2.yaml
expect_rc 0 "mask with a scan action that encrypts e2" "$bin" mask --policy scan-encrypt-e2.yaml --keys keys.yaml \
  --route t.raw --in scan-in.jsonl --out scan-out-e2.jsonl --encryption-ledger scan-e2.usage
has scan-out-e2.jsonl 'mail e2.contact.2.' "e2 by default"
[ ! -e scan-e2.usage ] && ok "e2 opens no encryption ledger" || bad "an e2-only policy opened the ledger"

# FPE reveal needs its key version: FF1 cannot tell a wrong one.
expect_rc 2 "fpe reveal without a key version is refused" "$bin" reveal "${R[@]}" --field sender.phone "$phone"
has err.txt "--keys-header" "the refusal says how to give the version"
hasnt out.txt "010" "nothing revealed without a version"
expect_rc 2 "a keys header that does not name the rule's key is refused" "$bin" reveal "${R[@]}" \
  --field sender.phone --keys-header 'account:1,contact:1' "$phone"
expect_rc 2 "--keys-header and --key-version together are refused" "$bin" reveal "${R[@]}" \
  --field sender.phone --keys-header 'phone:1' --key-version 1 "$phone"
expect_rc 0 "encrypt outputs name their version and ignore the keys header" "$bin" reveal "${R[@]}" \
  --field sender.email --keys-header 'account:9' "$email"
has out.txt "minjun@example.com" "e2 output revealed"
# Across a rotation, each value with its record's maskproxy.keys header.
"$bin" keys generate --out keys-f.yaml rrn phone email account contact customer 2>/dev/null
mkcfg cfg-f.yaml "$P" keys-f.yaml
F=(--offline --config cfg-f.yaml --route transfers --ticket SEC-3 --reason fraud)
keyrefs() { sed -n 's/.*use key versions \([^ ]*\) .*/\1/p' err.txt; }
echo '{"sender":{"phone":"010-5555-6666"}}' >fpe-in.jsonl
expect_rc 0 "mask an FPE phone under version 1" "$bin" mask --policy "$P" --keys keys-f.yaml --route transfers \
  --in fpe-in.jsonl --out fpe-v1.jsonl
h1=$(keyrefs)
"$bin" keys rotate --keys keys-f.yaml phone 2>/dev/null
expect_rc 0 "mask it again under version 2" "$bin" mask --policy "$P" --keys keys-f.yaml --route transfers \
  --in fpe-in.jsonl --out fpe-v2.jsonl
h2=$(keyrefs)
case "$h1,$h2" in *phone:1*phone:2*) ok "the keys headers name phone:1 and phone:2 ($h1 / $h2)" ;;
  *) bad "keys headers '$h1' / '$h2'" ;; esac
p1=$(python3 -c 'import json; print(json.loads(open("fpe-v1.jsonl").readline())["sender"]["phone"])')
p2=$(python3 -c 'import json; print(json.loads(open("fpe-v2.jsonl").readline())["sender"]["phone"])')
[ "$p1" != "$p2" ] && ok "the versions give different FPE outputs" || bad "same FPE output under both versions"
expect_rc 0 "the v1 output reveals with its record's keys header" "$bin" reveal "${F[@]}" --field sender.phone \
  --keys-header "$h1" "$p1"
has out.txt "010-5555-6666" "v1 value revealed with --keys-header"
expect_rc 0 "the v2 output reveals with its record's keys header" "$bin" reveal "${F[@]}" --field sender.phone \
  --keys-header "$h2" "$p2"
has out.txt "010-5555-6666" "v2 value revealed with --keys-header"
"$bin" reveal "${F[@]}" --field sender.phone --keys-header "$h2" "$p1" >wrong.txt 2>/dev/null || true
hasnt wrong.txt "010-5555-6666" "under the wrong version FF1 gives another value (why the version is mandatory)"
grep -q '"key_version":1' audit.log && ok "the audit line records the key version" || bad "no key_version in audit"
# <<< policy loading and FPE key versions <<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<

tampered="${email%?}A"; [ "$tampered" = "$email" ] && tampered="${email%?}B"
expect_rc 1 "a tampered ciphertext is refused" "$bin" reveal "${R[@]}" --field sender.email "$tampered"
expect_rc 2 "a topic the route does not read is refused" "$bin" reveal "${R[@]}" --topic other.raw --field sender.email "$email"
has err.txt "the topic given is not a source of route 'transfers'" "says why"
# A pattern route masked in batch as one of its topics (--route TOPIC):
# encryption binds that topic, as the proxy's would, so reveal --topic opens
# it (a review: the pattern was bound instead).
cat >pat.yaml <<'YAML'
policy: pat
version: 1
routes:
  - name: p
    from: '^pay\.[a-z]+\.raw$'
    to: pay.out
    dead_letter: pay.dlq
    rules:
      - { path: e, action: encrypt, key: email }
YAML
echo '{"e":"kim@example.com"}' >pat-in.jsonl
expect_rc 0 "mask a pattern route's record as one of its topics" "$bin" mask --policy pat.yaml --keys keys.yaml \
  --route pay.cards.raw --in pat-in.jsonl --out pat-out.jsonl
pv=$(python3 -c 'import json; print(json.loads(open("pat-out.jsonl").readline())["e"])')
mkcfg cfg-pat.yaml pat.yaml keys.yaml
expect_rc 0 "it reveals with --topic naming that topic" "$bin" reveal --offline --config cfg-pat.yaml --route p \
  --ticket SEC-4 --reason fraud --topic pay.cards.raw --field e "$pv"
has out.txt "kim@example.com" "pattern route value revealed under its topic"
mkcfg cfg-nolog.yaml "$P" keys.yaml /nonexistent/dir/audit.log
expect_rc 1 "no audit log, no reveal" "$bin" reveal --offline --config cfg-nolog.yaml --route transfers --ticket T \
  --reason fraud --field sender.email "$email"
hasnt out.txt "minjun" "nothing printed when the audit log cannot be written"

n=$(wc -l <audit.log)
[ "$n" -ge 8 ] && ok "every reveal audited ($n lines)" || bad "audit has $n lines"
has audit.log '"ticket":"SEC-1"' "audit records the ticket"
has audit.log '"channel":"offline"' "audit records the offline channel"
"$bin" audit verify --key-file audit-key.yaml audit.log >/dev/null 2>&1 && ok "the trail verifies" || bad "audit verify"
has audit.log '"field":"sender.email"' "audit records the field"
for v in minjun 010-1234-5678 110-123-456789 "$email"; do hasnt audit.log "$v" "audit never holds '$v'"; done
python3 -c 'import json,sys; [json.loads(l) for l in open("audit.log")]' && ok "audit lines are JSON" || bad "audit not JSON"

# --- free-text scanning and the schema-drift guard (policies/support.yaml) ------
S=$root/policies/support.yaml
"$bin" keys generate --out keys-s.yaml rrn phone contact account customer 2>/dev/null  # version 1 of each
expect_rc 0 "support policy tests pass" "$bin" policy test --keys keys-s.yaml "$S"
cat >tickets.jsonl <<'JSONL'
{"ticket_id":"S-1","body":"연락처 010-1234-5678, 메일 minjun.kim@example.com","agent_note":"callback 010-2222-3333"}
{"ticket_id":"S-2","body":"주문번호 ORD-20261126000123 배송 문의","agent_note":"rrn 900101-1234568 checked"}
JSONL
expect_rc 0 "batch mask scans text and unlisted fields" "$bin" mask --policy "$S" --keys keys-s.yaml --route support \
  --in tickets.jsonl --out tickets.masked.jsonl
has err.txt "unlisted field agent_note carried phone_kr in 1 record(s)" "drift report names field and detector"
has err.txt "unlisted field agent_note carried rrn in 1 record(s)" "drift report counts records per detector"
for v in 010-1234-5678 010-2222-3333 900101-1234568 minjun.kim; do
  hasnt tickets.masked.jsonl "$v" "no '$v' in the masked tickets"
  hasnt err.txt "$v" "no '$v' in the drift report"
done
has tickets.masked.jsonl "ORD-20261126000123 배송 문의" "text without PII is kept"
ct=$(grep -o 'd1\.contact\.1\.[A-Za-z0-9_-]*' tickets.masked.jsonl | head -1)
mkcfg cfg-s.yaml "$S" keys-s.yaml
expect_rc 0 "an e-mail found in text is revealed with --field '\$scan.email'" "$bin" reveal --offline \
  --config cfg-s.yaml --route support --ticket SEC-2 --reason support --field '$scan.email' "$ct"
has out.txt "minjun.kim@example.com" "revealed the e-mail found in the text"
expect_rc 2 "reveal of an unknown detector is a usage error" "$bin" reveal --offline --config cfg-s.yaml \
  --route support --ticket SEC-2 --reason support --field '$scan.nope' "$ct"
cat >bad-scan.yaml <<'YAML'
policy: bad
version: 1
scan:
  detectors:
    - { name: member_no, pattern: 'MB-(\d{8}' }
  actions:
    phone: mask
routes:
  - { from: a.raw, to: a.out, dead_letter: a.dlq, unlisted_fields: scan, rules: [{ path: x, action: scan }] }
YAML
expect_rc 2 "a broken scan section is refused" "$bin" policy check --keys keys-s.yaml bad-scan.yaml
has err.txt "bad-scan.yaml:5:35: detector 'member_no': invalid pattern" "pattern error with line:column"

# --- issue #10: record shapes, keep on containers, name variants (begin) -------
# The review's records through the shipped payments policy: each one is
# quarantined with its reason, never passed with the RRN or phone in clear.
PP=$root/policies/payments.yaml
cat >shapes.jsonl <<'JSONL'
{"user":[{"rrn":"900101-1234567"}]}
{"user":"900101-1234567"}
{"recipients":{"phone":"010-1234-5678"}}
{"user":{"rrn":"1"},"user":"900101-1234567"}
{"user":{"RRN":"900101-1234567"}}
{"user":{"rrn\u0000":"900101-1234567"}}
{"user":{"rrn":"900101-1234567"}}
JSONL
expect_rc 0 "records of another shape are quarantined" "$bin" mask --policy "$PP" --keys keys.yaml \
  --route payments --in shapes.jsonl --out shapes.out.jsonl --quarantine shapes.q.jsonl
has err.txt "7 record(s): 1 masked, 6 quarantined" "shape batch summary"
for n in 1 2 3 4; do has shapes.q.jsonl "\"line\":$n,\"reason\":\"path_shape_mismatch\"" "shape mismatch on line $n"; done
for n in 5 6; do has shapes.q.jsonl "\"line\":$n,\"reason\":\"ambiguous_field_name\"" "name variant on line $n"; done
for v in 900101-1234567 010-1234-5678; do hasnt shapes.out.jsonl "$v" "no raw '$v' in the shape output"; done
has shapes.out.jsonl '"rrn":"t1.rrn.1.' "the well-shaped record is masked"
# keep with apply_to: whole: a warning with its location, the check succeeds.
cat >keep-whole.yaml <<'YAML'
policy: keep-whole
version: 1
routes:
  - from: a.raw
    to: a.out
    dead_letter: a.dlq
    unlisted_fields: drop
    rules:
      - { path: amount, action: keep }
      - { path: blob, action: keep, apply_to: whole }
YAML
expect_rc 0 "keep with apply_to: whole passes policy check" "$bin" policy check --keys keys.yaml keep-whole.yaml
has err.txt "keep-whole.yaml:10:" "the warning names file and line"
has err.txt "keeps the whole object or array at blob unchecked: PII nested in it passes" "keep-whole warning"
echo '{"amount":{"rrn":"900101-1234567"},"blob":{"x":1}}' >keep.jsonl
expect_rc 0 "keep keeps scalars" "$bin" mask --policy keep-whole.yaml --keys keys.yaml --route a.raw \
  --in keep.jsonl --out keep.out.jsonl
has keep.out.jsonl '{"amount":{},"blob":{"x":1}}' "members under keep are unlisted (dropped), whole kept"
# --- issue #10 (end) ------------------------------------------------------------

# --- run while no broker answers ------------------------------------------------
# The admin listener answers at once (before the broker probes): /livez 200,
# /readyz 503; SIGTERM during the probes, and during init_transactions
# retried after them, exits 0 (not kafka_fatal); the trail records the stop.
printf 'source: { brokers: "127.0.0.1:1", group_id: g }\npolicies: ["%s"]\nkeyring: keys.yaml\ndelivery: { mode: exactly_once, transactional_id: tx-cli }\nadmin: { listen: "127.0.0.1:0" }\naudit: { file: run-audit.log, key_file: audit-key.yaml }\n' \
  "$P" >cfg-run.yaml
admin_addr() { grep -o 'admin_listening address=[^ ]*' "$1" | head -n 1 | sed 's/.*address=//'; }
run_until_term() {  # run_until_term LOG WAIT_FOR_EVENT: starts, waits for the event, SIGTERM; sets rc, took
  "$bin" run --config cfg-run.yaml >"$1" 2>&1 &
  local pid=$! addr="" i
  for i in $(seq 1 300); do
    grep -q "$2" "$1" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  addr=$(admin_addr "$1")
  probed=no
  grep -q kafka_probe_no_answer "$1" && probed=yes
  if [ -n "$addr" ] && grep -q "$2" "$1"; then
    livez=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/livez" || true)
    readyz=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/readyz" || true)
  else
    livez="none" readyz="none"
  fi
  local t0=$SECONDS
  kill -TERM "$pid" 2>/dev/null || true
  rc=0; wait "$pid" || rc=$?
  took=$((SECONDS - t0))
}
run_until_term run1.log 'admin_listening'
[ "$livez" = 200 ] && [ "$readyz" = 503 ] && ok "admin listener up during the broker probes (/livez 200, /readyz 503)" ||
  { bad "admin during the probes: /livez $livez /readyz $readyz"; cat run1.log; }
[ "$probed" = no ] && ok "the listener answered before the first probe ended" ||
  bad "the admin listener came only after a broker probe had timed out"
[ "$rc" = 0 ] && ok "SIGTERM during the broker probes exits 0 (${took}s)" || { bad "SIGTERM during the probes: exit $rc"; cat run1.log; }
[ "$took" -le 15 ] && ok "and within 15 s" || bad "SIGTERM during the probes took ${took}s"
hasnt run1.log stopped_on_error "no stopped_on_error after a stop during the probes"
run_until_term run2.log 'event=starting\|starting config='
[ "$rc" = 0 ] && ok "SIGTERM while init_transactions is retried exits 0 (${took}s)" || { bad "SIGTERM during init_transactions: exit $rc"; cat run2.log; }
[ "$took" -le 15 ] && ok "and within 15 s" || bad "SIGTERM during init_transactions took ${took}s"
hasnt run2.log stopped_on_error "no stopped_on_error after a stop during init_transactions"
hasnt run2.log kafka_fatal "no kafka_fatal after a stop during init_transactions"
[ "$(grep -c '"reason":"signal"' run-audit.log)" -ge 2 ] && ok "both stops are in the trail as signal stops" ||
  { bad "the trail lacks the signal stops"; cat run-audit.log; }

# A taken admin port stops the start (exit 2); with log_format: json every
# line on stderr is a JSON object, the failure one too (admin_listen_failed).
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(120)' >taken.port &
holder=$!
for i in $(seq 1 50); do [ -s taken.port ] && break; sleep 0.1; done
sed "s|admin: { listen: \"127.0.0.1:0\" }|admin: { listen: \"127.0.0.1:$(cat taken.port)\" }\nlog_format: json|" cfg-run.yaml >cfg-taken.yaml
rc=0; "$bin" run --config cfg-taken.yaml >taken.log 2>&1 || rc=$?
kill "$holder" 2>/dev/null || true
[ "$rc" = 2 ] && ok "a taken admin port stops the start with exit 2" || { bad "a taken admin port: exit $rc"; cat taken.log; }
grep -q '"event":"admin_listen_failed"' taken.log && ok "its line is the JSON event admin_listen_failed" ||
  { bad "no admin_listen_failed event"; cat taken.log; }
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]' taken.log 2>/dev/null &&
  ok "with log_format: json every line is a JSON object" || { bad "a line that is not JSON with log_format: json"; cat taken.log; }

echo
[ "$fails" = 0 ] && echo "cli workflow: all checks passed" || { echo "cli workflow: $fails check(s) failed"; exit 1; }
