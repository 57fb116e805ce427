#!/usr/bin/env python3
"""The peer benchmark's reference events: payment events that
policies/payments.yaml matches (the same shape as bench/e2e_throughput.sh),
padded with a "trace" field to RECORD_BYTES bytes of JSON each.
Writes kcat producer input (key TAB value per line) to stdout.

Usage: gen_events.py RECORDS [RECORD_BYTES]
"""
import json
import random
import sys


def main():
    records = int(sys.argv[1])
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    rng = random.Random(1)
    out = sys.stdout
    for i in range(records):
        ev = {"event_id": f"evt-{i:08d}", "event_type": "payment.approved",
              "occurred_at": "2026-11-26T09:12:03.120+09:00",
              "user": {"id": f"u-{i % 5000:05d}", "name": "김민준",
                       "rrn": f"{rng.randint(500101, 991231)}-{rng.randint(1000000, 2999999)}",
                       "phone": f"010-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                       "email": f"user{i % 5000}@example.co.kr", "address": "서울특별시 강남구 테헤란로 123"},
              "payment": {"amount": rng.randint(1000, 999999), "currency": "KRW", "merchant": "스타벅스 강남점",
                          "card": {"number": "5412 7512 3412 3456", "expiry": "12/28", "holder": "KIM MINJUN"}},
              "transfer": {"bank": "088", "account": "110-123-456789"},
              "memo": "생일 선물", "device": {"os": "android", "app_version": "7.12.0", "ip_country": "KR"}}
        s = json.dumps(ev, ensure_ascii=False, separators=(",", ":"))
        ev["trace"] = "x" * max(size - len(s.encode()) - len(',"trace":""'), 0)
        out.write(f"u-{i % 5000:05d}\t{json.dumps(ev, ensure_ascii=False, separators=(',', ':'))}\n")


if __name__ == "__main__":
    main()
