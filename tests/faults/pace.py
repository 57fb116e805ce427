#!/usr/bin/env python3
"""Feeds a file to a producer command's stdin at a steady rate.

  pace.py --rate 500 --file events.tsv [--progress FILE] -- kcat -b ... -P -t T -K '\t'

Writes the lines of --file (kcat producer input: key TAB value) to the
command's stdin, --rate lines per second in small batches, so a fault test
can hit the proxy mid-stream. --progress names a file that is rewritten
with the number of lines fed so far. Exits with the command's exit status
(SIGTERM stops feeding and terminates the command).
"""
import argparse
import os
import signal
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, required=True, help="lines per second")
    ap.add_argument("--file", required=True)
    ap.add_argument("--progress")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no producer command given")

    child = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    stopping = False

    def on_term(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    def progress(n):
        if a.progress:
            tmp = a.progress + ".tmp"
            with open(tmp, "w") as f:
                f.write(f"{n}\n")
            os.replace(tmp, a.progress)

    tick = 0.02
    per_tick = max(1, int(round(a.rate * tick)))
    start = time.monotonic()
    sent = 0
    with open(a.file, "rb") as f:
        batch = []
        for line in f:
            if stopping:
                break
            batch.append(line)
            if len(batch) < per_tick:
                continue
            try:
                child.stdin.write(b"".join(batch))
                child.stdin.flush()
            except BrokenPipeError:
                break
            sent += len(batch)
            batch = []
            progress(sent)
            due = start + sent / a.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        if batch and not stopping:
            try:
                child.stdin.write(b"".join(batch))
                sent += len(batch)
            except BrokenPipeError:
                pass
    progress(sent)
    try:
        child.stdin.close()
    except BrokenPipeError:
        pass
    if stopping:
        child.terminate()
    rc = child.wait()
    print(f"pace: fed {sent} lines in {time.monotonic() - start:.1f}s; producer exited {rc}", file=sys.stderr)
    sys.exit(rc if rc >= 0 else 128 - rc)


if __name__ == "__main__":
    main()
