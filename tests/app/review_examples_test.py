#!/usr/bin/env python3
"""Issue #10's review examples, and more of their kind, through `maskproxy mask`.

Each case is one JSON line masked with a shipped policy (or a small one made
here). It must go where the table says — masked, or dead-lettered with a
reason — and no planted value may reach the output, whatever the shape.

    tests/app/review_examples_test.py build/src/app/maskproxy
"""
import json
import os
import subprocess
import sys
import tempfile

BIN = os.path.realpath(sys.argv[1])
ROOT = os.environ.get("MASKPROXY_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
POL = os.path.join(ROOT, "policies")

RRN = ["900101-1234567", "9001011234567", "1234567"]
PHONE = ["010-1234-5678", "01012345678", "1234-5678", "12345678"]

# (policy file, route, input line, expected: "masked" or "dead:<reason>", planted values that must not be output)
CASES = [
    # A rule path that meets the wrong shape.
    ("payments.yaml", "payments", r'{"user":[{"rrn":"900101-1234567"}]}', "dead:path_shape_mismatch", RRN),
    ("payments.yaml", "payments", r'{"user":"900101-1234567"}', "dead:path_shape_mismatch", RRN),
    ("payments.yaml", "payments", r'{"recipients":{"phone":"010-1234-5678"}}', "dead:path_shape_mismatch", PHONE),
    ("payments.yaml", "payments", r'{"user":{"rrn":"1"},"user":"900101-1234567"}', "dead:path_shape_mismatch", RRN),
    ("payments.yaml", "payments", r'{"user":"x","user":{"rrn":"900101-1234567"}}', "dead:path_shape_mismatch", RRN),
    ("payments.yaml", "payments", r'{"recipients":[[{"phone":"010-1234-5678"}]]}', "dead:path_shape_mismatch", PHONE),
    ("payments.yaml", "payments", r'{"recipients":[{"phone":"010-9999-0000"},"010-1234-5678"]}', "dead:path_shape_mismatch", PHONE),
    ("payments.yaml", "payments", r'{"user":9001011234567}', "dead:path_shape_mismatch", RRN),
    ("payments.yaml", "payments", r'{"user":true}', "dead:path_shape_mismatch", []),
    ("payments.yaml", "payments", r'{"user":[]}', "dead:path_shape_mismatch", []),
    ("payments.yaml", "payments", r'{"recipients":{}}', "dead:path_shape_mismatch", []),
    ("payments.yaml", "payments", r'{"payment":{"card":"5412751234123456"}}', "dead:path_shape_mismatch", ["5412751234123456"]),
    # Shapes that are fine: null is absent; a selected container protects every leaf inside.
    ("payments.yaml", "payments", r'{"user":null,"recipients":null}', "masked", []),
    ("payments.yaml", "payments", r'{"recipients":[null,{"phone":"010-1234-5678"}]}', "masked", PHONE),
    ("payments.yaml", "payments", r'{"user":{"rrn":["900101-1234567",{"x":"900101-1234567"}]}}', "masked", RRN),
    ("payments.yaml", "payments", r'{"memo":{"x":"900101-1234567"}}', "masked", RRN),
    ("payments.yaml", "payments", r'{"user":{"r\u0072n":"900101-1234567"}}', "masked", RRN),
    ("payments.yaml", "payments", r'{"user":{"rrn":"\u0039\u0030\u0030\u0031\u0030\u0031-1234567"}}', "masked", RRN),
    ("payments.yaml", "payments", r'{"user":{"rrn":"900101-1234567","rrn":"900101-1234567"}}', "masked", RRN),
    # Member names that only look different from a protected one.
    ("payments.yaml", "payments", r'{"user":{"RRN":"900101-1234567"}}', "dead:ambiguous_field_name", RRN),
    ("payments.yaml", "payments", '{"user":{"\uff52\uff52\uff4e":"900101-1234567"}}', "dead:ambiguous_field_name", RRN),
    ("payments.yaml", "payments", r'{"user":{"rrn ":"900101-1234567"}}', "dead:ambiguous_field_name", RRN),
    ("payments.yaml", "payments", r'{"user":{"rrn\u0000":"900101-1234567"}}', "dead:ambiguous_field_name", RRN),
    ("payments.yaml", "payments", r'{"user":{"r\u00adrn":"900101-1234567"}}', "dead:ambiguous_field_name", RRN),
    ("payments.yaml", "payments", r'{"user":{"rr\u200bn":"900101-1234567"}}', "dead:ambiguous_field_name", RRN),
    ("payments.yaml", "payments", r'{"USER":{"rrn":"900101-1234567"}}', "dead:ambiguous_field_name", RRN),
    ("payments.yaml", "payments", r'{"Recipients":[{"phone":"010-1234-5678"}]}', "dead:ambiguous_field_name", PHONE),
    # keep keeps scalars only: a container under keep follows unlisted_fields.
    ("transfers.yaml", "transfers", r'{"amount":{"rrn":"900101-1234567"}}', "masked", RRN),
    ("transfers.yaml", "transfers", r'{"amount":["900101-1234567"]}', "masked", RRN),
    ("transfers.yaml", "transfers", r'{"sender":"900101-1234567"}', "dead:path_shape_mismatch", RRN),
    ("transfers.yaml", "transfers", r'{"sender":{"RRN":"900101-1234567"}}', "dead:ambiguous_field_name", RRN),
    ("support.yaml", "support", r'{"ticket_id":{"note":"900101-1234567"}}', "masked", RRN),
    ("support.yaml", "support", r'{"channel":["call me 010-1234-5678"]}', "masked", PHONE),
    # Characters and separators that hid PII from the scanner.
    ("support.yaml", "support", r'{"body":"rrn 900101\u00ad-1234567"}', "masked", RRN),
    ("support.yaml", "support", r'{"body":"call 010\u034f-1234-5678"}', "masked", PHONE),
    ("support.yaml", "support", r'{"body":"call 010-1234\u180e-5678"}', "masked", PHONE),
    ("support.yaml", "support", r'{"body":"call 010-12\u00003\u00004-5678"}', "masked", ["5678"]),
    ("support.yaml", "support", r'{"body":"card 4111.1111.1111.1111"}', "masked", ["4111.1111.1111.1111", "1111.1111.1111"]),
    ("support.yaml", "support", r'{"body":"call 82-10-1234-5678"}', "masked", PHONE),
    ("support.yaml", "support", r'{"note":"call 82 10 1234 5678"}', "masked", ["1234 5678"]),
    # E-mail addresses with non-ASCII letters, as text and as \u escapes;
    # 050X relay numbers (안심번호).
    ("support.yaml", "support", '{"body":"메일 민준@example.com 로"}', "masked", ["민준", "example.com"]),
    ("support.yaml", "support", r'{"body":"mail \ubbfc\uc900@example.com"}', "masked", ["민준", "example.com"]),
    ("support.yaml", "support", '{"body":"메일 minjun@예시.한국 로"}', "masked", ["minjun", "예시"]),
    ("support.yaml", "support", '{"body":"mail josé.garcía@correo.es"}', "masked", ["josé", "garcí", "correo"]),
    ("support.yaml", "support", '{"note":"메일 kim민준@example.com"}', "masked", ["kim", "민준"]),
    ("support.yaml", "support", '{"body":"배달 안심번호 0504-1234-5678"}', "masked", ["0504-1234-5678", "1234-5678"]),
    ("support.yaml", "support", '{"body":"tel +82 505-123-4567"}', "masked", ["505-123-4567", "123-4567"]),
    ("support.yaml", "support", '{"body":"메일 minjunkim77@[192.168.0.1] 로"}', "masked", ["minjunkim77", "192.168"]),
    ("support.yaml", "support", '{"body":"\u2788\U0001F10B\U0001F10B\u2780\U0001F10B\u2780-\u2780\u2781\u2782\u2783\u2784\u2785\u2787"}',
     "masked", ["\u2781\u2782\u2783"]),
    ("support.yaml", "support",
     r'{"attachments":[{"ocr_text":"여권 PASSPORT\nPMKORHONG<<GILDONG<<<<<<<<<<<<<<<<<<<<<<<<<<\nM123456788KOR9001011M30010191234568<<<<<<<12"}]}',
     "masked", ["M12345678", "HONG", "GILDONG", "9001011"]),
    ("support.yaml", "support", '{"payouts":{"110-123-456789":{"amount":1}}}', "dead:pii_in_field_name", ["456789"]),
    # An unlisted field's names are its value's context (an account, a passport, a licence).
    ("support.yaml", "support", '{"refund_account":"110-123-456789"}', "masked", ["123-456789"]),
    ("support.yaml", "support", '{"traveller":{"passport_no":"M12345678"}}', "masked", ["12345678"]),
    ("support.yaml", "support", '{"driver_license":"22-123456-01","license_no":"112212345601"}', "masked",
     ["123456", "112212345601"]),
    ("support.yaml", "support", '{"accounts":{"110-123-456789":{"amount":1}}}', "dead:pii_in_field_name", ["456789"]),
    # Letters in compatibility forms (mathematical, circled) read as the letters they are.
    ("support.yaml", "support", '{"body":"mail kim@naver.\U0001D41C\U0001D428\U0001D426"}', "masked", ["kim", "naver"]),
    ("support.yaml", "support", '{"body":"\u24DA\u24D8\u24DC@\u24DD\u24D0\u24E5\u24D4\u24E1.com"}', "masked", ["\u24DA\u24D8\u24DC", "\u24DD\u24D0"]),
    ("support.yaml", "support", '{"body":"여권번호 \U0001D40C12345678"}', "masked", ["12345678"]),
    # A resident number of the 2000s written as a number lost its leading zeros.
    ("support.yaml", "support", '{"customer":{"id":"u-7","jumin":501014123456}}', "masked", ["1014123456"]),
    ("support.yaml", "support", '{"applicant":{"rrn":1013123456,"주민번호":"501014123456"}}', "masked",
     ["1013123456", "1014123456"]),
    # Local parts with a dot at the end or two in a row (Japanese carriers).
    ("support.yaml", "support", '{"body":"회신 메일 minjun.@naver.com / kim..lee@naver.com"}', "masked",
     ["minjun", "kim..", "lee@", "naver"]),
    # Names and addresses: a rule (support.yaml v3), or under the drift guard the field's names.
    ("support.yaml", "support",
     '{"customer":{"id":"u-7","name":"김민준","address":"서울특별시 강남구 테헤란로 123, 101동 1001호"}}', "masked",
     ["민준", "테헤란로"]),
    ("support.yaml", "support",
     '{"requester":{"name":"김민준","address":"서울특별시 강남구 테헤란로 123"},"holder_name":"이서연","배송지":"부산 해운대구"}',
     "masked", ["민준", "테헤란로", "서연", "해운대"]),
    # A transfer's holder and each recipient's account (payments.yaml v4).
    ("payments.yaml", "payments",
     '{"transfer":{"bank":"088","account":"110-123-456789","holder":"김민준"},'
     '"recipients":[{"name":"이서연","bank":"004","account":"123456-01-234567"}]}', "masked",
     ["456789", "234567", "민준", "서연"]),
]


def run(args, **kw):
    return subprocess.run([BIN] + args, capture_output=True, text=True, **kw)


def main():
    fails = 0
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        r = run(["keys", "generate", "--out", "keys.yaml", "rrn", "phone", "email", "account", "contact", "customer"])
        assert r.returncode == 0, r.stderr
        for i, (pol, route, line, want, planted) in enumerate(CASES):
            inp, out, q = f"in{i}.jsonl", f"out{i}.jsonl", f"q{i}.jsonl"
            with open(inp, "w", encoding="utf-8") as f:
                f.write(line + "\n")
            r = run(["mask", "--policy", os.path.join(POL, pol), "--keys", "keys.yaml", "--route", route,
                     "--in", inp, "--out", out, "--quarantine", q])
            got_out = open(out, encoding="utf-8", errors="replace").read() if os.path.exists(out) else ""
            got_q = [json.loads(x) for x in open(q, encoding="utf-8")] if os.path.exists(q) else []
            desc = f"{pol} {line}"
            if r.returncode not in (0, 1):
                print(f"FAIL {desc}: exit {r.returncode}: {r.stderr.strip()[:300]}")
                fails += 1
                continue
            if want == "masked":
                ok = len(got_q) == 0 and got_out.strip() != ""
                where = "masked" if ok else f"dead:{got_q[0]['reason'] if got_q else '?'}"
            else:
                reason = want.split(":", 1)[1]
                ok = len(got_q) == 1 and got_q[0]["reason"] == reason and got_out.strip() == ""
                where = f"dead:{got_q[0]['reason']}" if got_q else "masked"
            decoded = ""
            for x in got_out.splitlines():
                try:
                    decoded += json.dumps(json.loads(x), ensure_ascii=False)
                except ValueError:
                    if x.strip():
                        fails += 1
                        print(f"FAIL {pol} {line}: output is not JSON")
            leaked = [p for p in planted if p in got_out or p in decoded]
            leaked += [p for p in planted if p in r.stderr]
            if ok and not leaked:
                print(f"ok   {desc} -> {where}")
            else:
                fails += 1
                print(f"FAIL {desc}: want {want}, got {where}" + (f"; leaked {leaked}" if leaked else ""))
                print(f"     out: {got_out.strip()[:300]}")
    print(f"review examples: {len(CASES) - fails} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
