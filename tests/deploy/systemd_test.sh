#!/usr/bin/env bash
# deploy.systemd: deploy/maskproxy.service is a unit systemd takes as written
# (systemd-analyze verify prints nothing: a key in the wrong section, such as
# StartLimitIntervalSec in [Service], is only warned of and then ignored), it
# runs the binary with flags the binary accepts, and the directories the
# README's config writes (the audit trail under /var/log/maskproxy) are
# writable under its ProtectSystem=strict.
#
# Usage: tests/deploy/systemd_test.sh PATH/TO/maskproxy
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$(realpath "${1:?usage: systemd_test.sh PATH/TO/maskproxy}")"
unit="$root/deploy/maskproxy.service"
fail() { echo "deploy.systemd: FAIL: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null 2>&1 || fail "systemd-analyze not found: run scripts/setup.sh"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The unit with ExecStart pointing at the built binary (verify checks that
# the command exists and is executable).
sed "s#^ExecStart=/usr/local/bin/maskproxy #ExecStart=$bin #" "$unit" > "$work/maskproxy.service"
grep -q "^ExecStart=$bin run " "$work/maskproxy.service" || fail "ExecStart is not '/usr/local/bin/maskproxy run ...'"
out="$(systemd-analyze verify "$work/maskproxy.service" 2>&1 || true)"
[[ -z "$out" ]] || fail "systemd-analyze verify is not silent:
$out"

# Its flags are the binary's. (The help is read whole first: under pipefail,
# `help | grep -q` fails when grep exits early and the writer gets SIGPIPE.)
help="$("$bin" run --help 2>&1 || true)"
for flag in $(sed -n 's/^ExecStart=[^ ]* run //p' "$unit" | grep -o -- '--[a-z-]*'); do
  grep -q -- "$flag" <<<"$help" || fail "ExecStart's $flag is not a flag of 'maskproxy run'"
done

# What the README's config writes lies in a directory the unit makes writable.
audit_dirs="$(sed -n '/^audit:/,/^[a-z]/s/^  file: *\(\/[^ ]*\)\/[^/ ]*$/\1/p' "$root/README.md")"
audit_dir="${audit_dirs%%$'\n'*}"
[[ -n "$audit_dir" ]] || fail "no audit trail path found in README.md's config"
case "$audit_dir" in
  /var/log/*) grep -q "^LogsDirectory=${audit_dir#/var/log/}\$" "$unit" || fail "$audit_dir is not the unit's LogsDirectory" ;;
  /var/lib/*) grep -q "^StateDirectory=${audit_dir#/var/lib/}\$" "$unit" || fail "$audit_dir is not the unit's StateDirectory" ;;
  *) fail "README's audit trail $audit_dir is outside what ProtectSystem=strict leaves writable" ;;
esac

# The checker can fail: a key in the wrong section is caught.
sed 's/^\(RestartSec=5\)$/\1\nStartLimitIntervalSec=300/' "$work/maskproxy.service" > "$work/bad.service"
bad="$(systemd-analyze verify "$work/bad.service" 2>&1 || true)"
[[ "$bad" == *StartLimitIntervalSec* ]] || fail "systemd-analyze did not catch a key in the wrong section"

echo "deploy.systemd: ok (verify silent, flags accepted, $audit_dir writable)"
