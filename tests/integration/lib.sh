# Shared by the broker tests (source it after setting bin, here and root):
#   it_init NAME    a work dir (removed on exit unless KEEP_WORK=1), the proxy
#                   killed on exit, the broker started (scripts/kafka.sh), and
#                   this run's topics created: $src (3 partitions), $dst (3),
#                   $dlq (1); sets work, bootstrap, id, src, dst, dlq, proxy.
#   it_count TOPIC  committed records in TOPIC (kcat, read_committed).
#   it_wait TOTAL   waits until $dst and $dlq hold TOTAL records together;
#                   fails if the proxy ($proxy) exits or 240 s pass.
it_cleanup() {
  if [[ -n "${proxy:-}" ]] && kill -0 "$proxy" 2>/dev/null; then kill -KILL "$proxy" 2>/dev/null || true; fi
  if [[ "${KEEP_WORK:-0}" != 1 ]]; then rm -rf "$work"; else echo "work dir kept: $work" >&2; fi
}

it_init() {
  work="$(mktemp -d "${TMPDIR:-/tmp}/maskproxy-$1.XXXXXX")"
  proxy=""
  trap it_cleanup EXIT
  bootstrap="$("$root/scripts/kafka.sh" start)"
  id="$1-$(date +%s)-r$RANDOM"
  src="$id.raw" dst="$id.analytics" dlq="$id.quarantine"
  "$root/scripts/kafka.sh" create-topic "$src" --partitions 3 >/dev/null
  "$root/scripts/kafka.sh" create-topic "$dst" --partitions 3 >/dev/null
  "$root/scripts/kafka.sh" create-topic "$dlq" --partitions 1 >/dev/null
}

it_count() { kcat -b "$bootstrap" -C -t "$1" -e -q -X isolation.level=read_committed -f '%o\n' 2>/dev/null | wc -l; }

it_wait() {
  local total=$1 got deadline=$((SECONDS + 240))
  while :; do
    got=$(( $(it_count "$dst") + $(it_count "$dlq") ))
    (( got >= total )) && return 0
    if ! kill -0 "$proxy" 2>/dev/null; then echo "FAIL: maskproxy exited early"; tail -30 "$work/proxy.log"; exit 1; fi
    if (( SECONDS > deadline )); then echo "FAIL: timed out with $got of $total"; tail -30 "$work/proxy.log"; exit 1; fi
    sleep 1
  done
}
