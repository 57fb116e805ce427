#!/usr/bin/env python3
"""Prints each raw event beside its masked form (or its dead-letter reason).

Inputs are kcat -J dumps: the raw topic, and the destination plus dead-letter
topics. Records are matched by the maskproxy.origin header
(topic:partition:offset), which the proxy adds to everything it produces.
"""
import json
import sys


def headers(rec):
    h = rec.get("headers") or []
    return {h[i]: h[i + 1] for i in range(0, len(h), 2)}


def main(raw_path, out_path):
    raw = {}
    for line in open(raw_path, encoding="utf-8", errors="replace"):
        r = json.loads(line)
        raw[f'{r["topic"]}:{r["partition"]}:{r["offset"]}'] = r
    outs = {}
    for line in open(out_path, encoding="utf-8", errors="replace"):
        r = json.loads(line)
        origin = headers(r).get("maskproxy.origin")
        if origin:
            outs[origin] = r
    for origin in sorted(raw, key=lambda o: (raw[o]["ts"] if raw[o].get("ts") else 0, o)):
        r = raw[origin]
        print(f"\n--- {origin}  key={r.get('key')}")
        print(f"raw    ({r['topic']}): {r.get('payload')}")
        o = outs.get(origin)
        if o is None:
            print("masked: (not arrived)")
            continue
        h = headers(o)
        if "maskproxy.dlq.reason" in h:
            print(f"DEAD LETTER ({o['topic']}): reason={h['maskproxy.dlq.reason']}  detail={h.get('maskproxy.dlq.detail')}")
        else:
            print(f"masked ({o['topic']}): {o.get('payload')}")
            print(f"        headers: maskproxy.policy={h.get('maskproxy.policy')}  partition={o['partition']}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
