#!/usr/bin/env python3
"""Labeled synthetic corpus for the built-in free-text PII detectors.

Writes JSON Lines, one memo per line:

    {"text": "...", "spans": [{"begin": 12, "end": 25, "detector": "phone_kr"}, ...]}

`begin`/`end` are UTF-8 BYTE offsets into `text` ([begin, end)), sorted by
begin. The texts are Korean and English payment memos, customer-service notes,
delivery requests and chat messages that embed the PII of every built-in
detector (src/detect/defaults.cc), some of it disguised with the tricks
normalization undoes (full-width forms, numbers written one digit at a time,
digits of other scripts, combining
marks on digits, middle dots and bullets between digit groups, zero-width
characters inside a number, NBSP and Unicode dashes as separators, and
hidden characters: soft
hyphen, U+034F, U+180E, NUL, one of every other default-ignorable range and
other control characters), written the ways people type it (cards grouped
with dots, phones as "82-10-..." without the plus or "+82 (0)10-..."), next
to HARD NEGATIVES that a
payment platform really sees and that must not be reported: order ids,
timestamps, epoch seconds and millis, amounts, parcel tracking numbers, card
approval numbers, UUIDs, birthdays that look like an RRN prefix, product codes
and SKUs shaped like phone numbers (also with "82-"), version strings, dotted
build numbers, IP-like numbers and dotted dates, tax-invoice numbers,
Luhn-invalid 16-digit numbers, and bank-account-shaped numbers with no bank
context. Every record has at least as many hard negatives as PII items.

Span conventions (what a correct detector reports; see docs/DETECTION.md):
  * the whole token, separators included, nothing around it: "010-1234-5678"
    in "연락처:010-1234-5678로", never the "로" or the ":";
  * +82 numbers: from the "+" to the last digit, the country code and the
    separator after it included ("+82 10-1234-5678", "+82 010-1234-5678",
    "+821012345678");
  * IPv6: the address only, without brackets or a ":port";
  * an area code in parentheses is part of the number: "(02) 123-4567";
  * normalization tricks stay inside the span: a zero-width character or NBSP
    between two digits of a number is part of it; full-width characters count
    with their full UTF-8 width. Zero-width characters are only ever inserted
    strictly inside a token (one at its edge belongs to no span); so are
    the hidden characters (a NUL between two digits is part of the number).

Labels follow the detectors' definitions. A bare 13-digit number with a real
birth date and gender digit is an RRN by definition (the detectors cannot tell
it from a parcel, coupon or account number), as a Luhn-valid 16-digit number
with a card prefix is a card: hard negatives and other PII never take such a
form. Also the context-word rules:
a bank-account or passport-shaped hard negative is never placed within the
context window (20 characters, with margin) of a bank or passport word, since
by definition it would then be PII. Such records are drawn again.

Usage: gen_corpus.py [--seed N] [--count N] [--out FILE] [--stats]
Deterministic for a given --seed and --count. Python 3 standard library only.
"""

import argparse
import ipaddress
import json
import random
import re
import sys

# ---------------------------------------------------------------------------
# Check digits


def luhn_check_digit(body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        v = int(ch)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return str((10 - total % 10) % 10)


def luhn_valid(digits):
    return luhn_check_digit(digits[:-1]) == digits[-1]


def rrn_check_digit(d12, foreign):
    w = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    s = sum(int(c) * k for c, k in zip(d12, w))
    return str(((13 if foreign else 11) - s % 11) % 10)


def brn_check_digit(d9):
    w = [1, 3, 7, 1, 3, 7, 1, 3, 5]
    s = sum(int(c) * k for c, k in zip(d9, w))
    s += (int(d9[8]) * 5) // 10
    return str((10 - s % 10) % 10)


def digits(r, n):
    return "".join(r.choice("0123456789") for _ in range(n))


# ---------------------------------------------------------------------------
# Disguises (undone by src/detect/normalize.h)

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
UNI_SPACES = ["\u00a0", "\u202f", "\u2009", "\u3000"]
UNI_DASHES = ["\u2010", "\u2011", "\u2012", "\u2013", "\u2212", "\ufe63"]
# Characters a reader does not see: the review's soft hyphen, combining
# grapheme joiner, Mongolian vowel separator and NUL, and one of every other
# range of Unicode's Default_Ignorable_Code_Point (bidi controls, invisible
# operators, variation selectors, Hangul fillers, tags, ...), and other C0
# controls that are not white space.
HIDDEN = ["\u00ad", "\u034f", "\u180e", "\u0000", "\u00ad", "\u034f", "\u180e", "\u0000",
          "\u061c", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180b", "\u180f", "\u200e", "\u200f", "\u202a",
          "\u202e", "\u2061", "\u2064", "\u2066", "\u206f", "\u3164", "\ufe00", "\ufe0f", "\uffa0", "\ufff0",
          "\U0001bca0", "\U0001d173", "\U000e0001", "\U000e0041", "\U000e0100", "\U000e0fff",
          "\u0001", "\u0008", "\u000e", "\u001f", "\u007f", "\u009f"]


def fullwidth(s):
    out = []
    for ch in s:
        if "0" <= ch <= "9" or "A" <= ch <= "Z" or "a" <= ch <= "z" or ch in "-+.@":
            out.append(chr(ord(ch) + 0xFEE0))
        elif ch == " ":
            out.append("\u3000")
        else:
            out.append(ch)
    return "".join(out)


# The zero of digit sets of other scripts (general category Nd): Arabic-Indic,
# Persian, Devanagari, Bengali, Thai, Myanmar, Khmer, mathematical bold and
# monospace. A token's digits are all written in one of them.
SCRIPT_ZEROS = [0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0x1040, 0x17E0, 0x1D7CE, 0x1D7F6]
# Combining marks (Mn, Me) drawn on a digit, the keycap among them.
MARKS = ["\u0301", "\u0308", "\u0332", "\u20dd", "\u20e3", "\u0e31"]
# Dots written between digit groups instead of a dash.
GROUP_DOTS = ["\u00b7", "\u318d", "\u30fb", "\u2022", "\u2219"]


# Detectors that read a number written one digit at a time ("0 1 0 1 2 ..."),
# and take any of the single separators below between its groups.
DIGIT_BY_DIGIT = ("rrn", "frn", "phone_kr", "card")
# Single separators other than '-', '.' and blanks, and look-alikes an IME
# writes for them (tilde operator, wave dash, ideographic comma, ratio, ...).
ODD_SEPS = ["~", ",", "*", ":", "|", "\\", "+", "/", "_", "\u223c", "\u301c", "\u3001", "\u2236", "\u2217",
            "\u2215", "\ufe62"]


def disguise(r, tok, rate=0.12, what=None):
    """Returns tok, sometimes with one or two normalization tricks."""
    if r.random() >= rate:
        return tok
    tricks = r.sample(["full", "zw", "space", "dash", "hidden", "script", "mark", "dot", "spaced", "sep", "esc"],
                      r.choice([1, 1, 2]))
    rep = what == "phone_kr" and tok.startswith("1")  # 1588-1234 (not "1800~1900": a range)
    # (An RRN or FRN with an odd separator must pass its checksum: the
    # detectors read "230115,1000000" as a date and an amount otherwise.)
    checked = what not in ("rrn", "frn") or rrn_check_ok(tok, what == "frn")
    if "sep" in tricks and what in DIGIT_BY_DIGIT and not rep and "(" not in tok and checked:
        # Every group separator ("-", " ", ".", " - ") one odd separator.
        tok = re.sub(r"(?<=[0-9])(?:[ .\-]+)(?=[0-9])", r.choice(ODD_SEPS).replace("\\", "\\\\"), tok)
    elif ("spaced" in tricks and what in DIGIT_BY_DIGIT and re.fullmatch(r"\+?[0-9][0-9 .\-]*", tok)
            and not (what == "phone_kr" and tok.startswith("8"))):
        # One digit at a time, one separator throughout, or the groups set
        # apart by a second one ("0 1 0 - 1 2 3 4 - 5 6 7 8"); national
        # numbers, or after a '+' ("+ 8 2 1 0 ..."; "8 2 1 0 ..." is no
        # country code to a reader).
        inner = r.choice([" ", "-", ".", "/", "_"])
        groups = [g for g in re.split(r"[ .\-]+", tok.lstrip("+")) if g]
        if len(groups) > 1 and r.random() < 0.4:
            outer = r.choice([o for o in [" - ", "-", "  ", "."] if o != inner])
            body = outer.join(inner.join(g) for g in groups)
        else:
            body = inner.join(c for c in tok if c.isdigit())
        tok = ("+" + r.choice(["", " "]) if tok.startswith("+") else "") + body
    if "script" in tricks and "full" not in tricks:
        zero = r.choice(SCRIPT_ZEROS)
        tok = "".join(chr(zero + ord(c) - 48) if "0" <= c <= "9" else c for c in tok)
    if "dot" in tricks and "(" not in tok:
        dot = r.choice(GROUP_DOTS)
        tok = tok.replace("-", dot)
    if "mark" in tricks and len(tok) > 2:
        # After a digit strictly inside the token (a mark after its last
        # character belongs to no span).
        inner = [i for i in range(len(tok) - 1) if tok[i].isdecimal()]
        for i in sorted(r.sample(inner, min(len(inner), r.choice([1, 2, 3]))), reverse=True):
            tok = tok[:i + 1] + r.choice(MARKS) + tok[i + 1:]
    if "full" in tricks:
        if r.random() < 0.5:
            tok = fullwidth(tok)
        else:  # only the digits
            tok = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() and ord(c) < 128 else c for c in tok)
    if "space" in tricks:
        tok = "".join(r.choice(UNI_SPACES) if c == " " else c for c in tok)
    if "dash" in tricks:
        tok = "".join(r.choice(UNI_DASHES) if c == "-" else c for c in tok)
    if "zw" in tricks and len(tok) > 2:
        for _ in range(r.choice([1, 1, 2])):
            i = r.randrange(1, len(tok))
            tok = tok[:i] + r.choice(ZERO_WIDTH) + tok[i:]
    if "hidden" in tricks and len(tok) > 2:
        for _ in range(r.choice([1, 1, 2, 3])):
            i = r.randrange(1, len(tok))
            tok = tok[:i] + r.choice(HIDDEN) + tok[i:]
    if "esc" in tricks:
        # Last (an invisible character inside an escape makes it none):
        # written through escapes: a URL's percent escapes (of the
        # punctuation, or of everything), JSON text inside a string (\uXXXX
        # of the non-ASCII characters and some others), HTML references.
        # (Controls are not percent-encoded: the detectors do not read %00-%1F
        # and %7F, so that "10%010-1234-5678" stays 10% and a phone.)
        k = r.randrange(4)
        ctrl = lambda c: ord(c) < 0x20 or ord(c) == 0x7F  # noqa: E731
        if k == 0:
            tok = "".join("%%%02X" % ord(c) if ord(c) < 128 and not c.isalnum() and not ctrl(c) else c for c in tok)
        elif k == 1:  # as encodeURIComponent: everything but letters and digits
            tok = "".join("".join("%%%02X" % b for b in c.encode())
                          if not (c.isascii() and c.isalnum()) and not ctrl(c) else c for c in tok)
        elif k == 2:
            tok = "".join(("\\u%04x" % ord(c) if ord(c) < 0x10000 else "\\u%04x\\u%04x" % (
                0xD800 + ((ord(c) - 0x10000) >> 10), 0xDC00 + ((ord(c) - 0x10000) & 0x3FF)))
                if ord(c) >= 128 or r.random() < 0.3 else c for c in tok)
        else:
            tok = tok.replace("-", r.choice(["&#45;", "&#x2D;"])).replace(" ", "&nbsp;")
    return tok


# ---------------------------------------------------------------------------
# PII values

DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def rand_date(r, y0, y1):
    y = r.randint(y0, y1)
    m = r.randint(1, 12)
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    d = r.randint(1, 29 if (m == 2 and leap) else DAYS[m - 1])
    return y, m, d


def rrn_check_ok(tok, foreign):
    d = "".join(c for c in tok if c.isdigit())
    return len(d) == 13 and rrn_check_digit(d[:12], foreign) == d[12]


def rrn_like(r, foreign):
    """An RRN (gender digit 1-4, 9/0 for the 1800s) or FRN (5-8).

    Numbers issued before October 2020 end in a check digit; newer ones (all
    babies born since, and re-issued numbers) end in a random digit: the
    detectors accept either (date + gender digit decide). Two exceptions for a
    bare 13-digit run, mirrored here (docs/DETECTION.md): one starting with 1
    (born 1910-1919 or 2010-2019, the epoch-millisecond range) needs the
    pre-2020 checks, and the 1800s gender digits 9/0 need a separator; so a
    re-issued number of someone born in those years, and every 1800s number,
    is written with a separator.
    """
    roll = r.random()
    if roll < 0.02 and not foreign:  # born in the 1800s: gender digit 9/0
        y, m, d = rand_date(r, 1870, 1899)
        g = r.choice("90")
    elif roll < 0.70:
        y, m, d = rand_date(r, 1930, 1999)
        g = r.choice("56" if foreign else "12")
    elif roll < 0.90:
        y, m, d = rand_date(r, 2000, 2020)
        if (y, m) >= (2020, 10):
            y = 2019
        g = r.choice("78" if foreign else "34")
    else:  # born since October 2020
        while True:
            y, m, d = rand_date(r, 2020, 2026)
            if (2020, 10) <= (y, m) <= (2026, 10):
                break
        g = r.choice("78" if foreign else "34")
    if foreign:  # registration office (even) and serial, registrant type 6-9
        body = "%02d%02d%02d" % (y % 100, m, d) + g + "%02d" % (2 * r.randint(0, 49)) + digits(r, 2) + r.choice("6789")
    else:
        body = "%02d%02d%02d" % (y % 100, m, d) + g + digits(r, 5)
    sep = r.choices(["-", "", " "], [75, 20, 5])[0]
    if (y, m) >= (2020, 10):
        last = r.choice("0123456789")  # random final digit
    elif r.random() < 0.8:
        last = rrn_check_digit(body, foreign)
    else:  # re-issued since October 2020: random final digit
        last = r.choice("0123456789")
        if sep == "" and body[0] == "1":
            sep = "-"
    if g in "90" and sep == "":  # born in the 1800s: only with a separator (see above)
        sep = "-"
    n = body + last
    return n[:6] + sep + n[6:]


def bare_rrn_hit(tok):
    """Whether a bare 13-digit token is an rrn/frn by the detectors' rule."""
    if len(tok) != 13 or not tok.isdigit():
        return False
    g = tok[6]
    if g in "90":
        return False
    y = (1900 if g in "1256" else 2000) + int(tok[:2])
    m, d = int(tok[2:4]), int(tok[4:6])
    if y > THIS_YEAR or not 1 <= m <= 12 or d < 1:
        return False
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if d > (29 if (m == 2 and leap) else DAYS[m - 1]):
        return False
    if tok[0] != "1":
        return True
    foreign = g in "5678"
    ok = rrn_check_digit(tok[:12], foreign) == tok[12]
    if foreign:
        ok = ok and int(tok[7:9]) % 2 == 0 and tok[11] in "6789"
    return ok


THIS_YEAR = 2026  # birth dates after this year are not RRNs (the validator uses the clock)


def gen_rrn(r):
    return rrn_like(r, False)


def gen_frn(r):
    return rrn_like(r, True)


REP_PREFIXES = ["1522", "1533", "1544", "1566", "1577", "1588", "1599", "1600", "1644", "1661", "1666", "1668",
                "1670", "1688", "1800", "1811", "1833", "1855", "1877", "1899"]
AREA = ["031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055", "061", "062", "063", "064"]


def gen_phone(r):
    sep = r.choices(["-", " ", ".", ""], [60, 12, 6, 22])[0]
    kind = r.choices(["mobile", "old_mobile", "seoul", "area", "voip", "rep", "intl"], [40, 5, 10, 12, 6, 10, 17])[0]
    if kind == "rep":
        if sep == "" and r.random() < 0.5:
            sep = "-"
        return r.choice(REP_PREFIXES) + sep + digits(r, 4)
    if kind == "intl":
        trunk = r.choices(["10", "2", "area", "70"], [70, 12, 12, 6])[0]
        if trunk == "10":
            nat = ["10", str(r.randint(2, 9)) + digits(r, 3), digits(r, 4)]
        elif trunk == "2":
            nat = ["2", str(r.randint(2, 9)) + digits(r, r.choice([2, 3])), digits(r, 4)]
        elif trunk == "area":
            nat = [r.choice(AREA)[1:], str(r.randint(2, 9)) + digits(r, r.choice([2, 3])), digits(r, 4)]
        else:
            nat = ["70", str(r.randint(2, 9)) + digits(r, 3), digits(r, 4)]
        if r.random() < 0.12:
            nat[0] = "0" + nat[0]  # "+82 010-1234-5678": the trunk 0 written anyway
        style = r.choices(["hyphen", "space", "none", "space_then_hyphen", "dot", "noplus_hyphen", "noplus_space",
                           "noplus_space_then_hyphen", "paren0", "call00"], [30, 20, 16, 12, 4, 8, 5, 3, 4, 6])[0]
        if style == "noplus_hyphen":  # "82-10-1234-5678": the plus left out
            return "82-" + "-".join(nat)
        if style == "call00":  # "0082-10-1234-5678": the international call prefix
            sep = r.choice(["-", " ", ""])
            return "0082" + sep + sep.join(nat)
        if style == "noplus_space":
            return "82 " + " ".join(nat)
        if style == "noplus_space_then_hyphen":
            return "82 " + "-".join(nat)
        if style == "paren0":  # "+82 (0)10-1234-5678": the trunk 0 in parentheses
            if nat[0].startswith("0"):
                nat[0] = nat[0][1:]
            return "+82 (0)" + "-".join(nat) if r.random() < 0.7 else "+82(0)" + " ".join(nat)
        if style == "hyphen":
            return "+82-" + "-".join(nat)
        if style == "space":
            return "+82 " + " ".join(nat)
        if style == "none":
            return "+82" + "".join(nat)
        if style == "dot":
            return "+82." + ".".join(nat)
        return "+82 " + "-".join(nat)
    if kind == "mobile":
        parts = ["010", str(r.randint(2, 9)) + digits(r, 3), digits(r, 4)]
    elif kind == "old_mobile":
        parts = [r.choice(["011", "016", "017", "018", "019"]), str(r.randint(2, 9)) + digits(r, r.choice([2, 3])),
                 digits(r, 4)]
    elif kind == "seoul":
        parts = ["02", str(r.randint(2, 9)) + digits(r, r.choice([2, 3])), digits(r, 4)]
    elif kind == "area":
        parts = [r.choice(AREA), str(r.randint(2, 9)) + digits(r, r.choice([2, 3])), digits(r, 4)]
    else:
        parts = ["070", str(r.randint(2, 9)) + digits(r, 3), digits(r, 4)]
    if kind in ("seoul", "area") and r.random() < 0.15:  # "(02) 123-4567", "(031)123-4567"
        return "(" + parts[0] + ")" + r.choice([" ", ""]) + parts[1] + "-" + parts[2]
    return sep.join(parts)


FIRST = ["minjun", "seoyeon", "jihoon", "jiwoo", "hayoon", "doyoon", "seojun", "yuna", "eunwoo", "sua", "james",
         "emily", "kim", "lee", "park", "choi", "jung", "kang", "cho", "yoon", "jang", "lim", "han", "oh", "shin"]
DOMAINS = ["naver.com", "gmail.com", "daum.net", "hanmail.net", "kakao.com", "nate.com", "example.com",
           "example.co.kr", "corp.example.kr", "mail.shop-pay.co.kr", "outlook.com", "yahoo.co.kr", "icloud.com"]


def gen_email(r):
    a = r.choice(FIRST)
    style = r.randrange(6)
    if style == 0:
        local = a + digits(r, r.randint(1, 4))
    elif style == 1:
        local = a + "." + r.choice(FIRST)
    elif style == 2:
        local = a.capitalize() + "." + r.choice(FIRST).capitalize()
    elif style == 3:
        local = a + "_" + r.choice(FIRST) + digits(r, 2)
    elif style == 4:
        local = a + "+" + r.choice(["shop", "pay", "news", "kr"])
    else:
        local = a + "-" + digits(r, 3)
    return local + "@" + r.choice(DOMAINS)


def card_number(r):
    brand = r.choices(["visa16", "visa13", "visa19", "master", "master2", "amex", "jcb", "diners", "unionpay",
                       "unionpay19", "domestic"], [30, 2, 2, 22, 5, 10, 8, 4, 6, 2, 9])[0]
    if brand == "visa16":
        pre, n = "4", 16
    elif brand == "visa13":
        pre, n = "4", 13
    elif brand == "visa19":
        pre, n = "4", 19
    elif brand == "master":
        pre, n = str(r.randint(51, 55)), 16
    elif brand == "master2":
        pre, n = str(r.randint(2221, 2720)), 16
    elif brand == "amex":
        pre, n = r.choice(["34", "37"]), 15
    elif brand == "jcb":
        pre, n = str(r.randint(3528, 3589)), 16
    elif brand == "diners":
        pre, n = r.choice(["36", "38", "300", "305"]), 14
    elif brand == "unionpay":
        pre, n = "62", 16
    elif brand == "unionpay19":
        pre, n = "62", 19
    else:  # Korean domestic-only (e.g. BC 9xxx)
        pre, n = "94" + str(r.randint(0, 9)), 16
    body = pre + digits(r, n - 1 - len(pre))
    return body + luhn_check_digit(body)


def group_card(r, num, sep):
    n = len(num)
    if sep == "" or n == 13:
        return num
    if n == 16:
        g = [4, 4, 4, 4]
    elif n == 15:
        g = [4, 6, 5]
    elif n == 14:
        g = [4, 6, 4]
    else:  # 19
        g = [4, 4, 4, 4, 3]
    out, i = [], 0
    for k in g:
        out.append(num[i:i + k])
        i += k
    return sep.join(out)


def gen_card(r):
    return group_card(r, card_number(r), r.choices(["-", " ", "", "."], [40, 27, 23, 10])[0])


TAX_OFFICES = list(range(101, 145)) + list(range(201, 236)) + list(range(301, 318)) + list(range(401, 419)) + \
    list(range(501, 517)) + list(range(601, 624))


def gen_brn(r):
    body = str(r.choice(TAX_OFFICES)) + r.choice(["%02d" % r.randint(1, 79), "81", "86", "87", "88", "85", "82"]) + \
        digits(r, 4)
    n = body + brn_check_digit(body)
    return n[:3] + "-" + n[3:5] + "-" + n[5:] if r.random() < 0.7 else n


def gen_passport(r):
    letter = r.choices(["M", "S", "R", "O", "G", "D"], [78, 8, 4, 4, 2, 4])[0]
    if r.random() < 0.5:
        return letter + digits(r, 8)
    return letter + digits(r, 3) + r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + digits(r, 4)


LICENSE_REGIONS = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28]


def gen_license(r):
    return "%02d-%s-%s-%s" % (r.choice(LICENSE_REGIONS), digits(r, 2), digits(r, 6), digits(r, 2))


def gen_ipv4(r):
    kind = r.randrange(4)
    if kind == 0:
        o = [192, 168, r.randint(0, 255), r.randint(1, 254)]
    elif kind == 1:
        o = [10, r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)]
    elif kind == 2:
        o = [r.randint(1, 223), r.randint(0, 255), r.randint(0, 255), r.randint(0, 255)]
    else:
        o = [r.choice([203, 198, 211, 175, 121, 61]), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)]
    return ".".join(str(x) for x in o)


def gen_ipv6(r):
    kind = r.choices(["full", "compressed", "loopback", "mapped", "linklocal"], [25, 45, 8, 7, 15])[0]
    if kind == "loopback":
        return "::1"
    if kind == "mapped":
        return "::ffff:" + gen_ipv4(r)
    groups = [r.randint(0, 0xFFFF) for _ in range(8)]
    if kind == "linklocal":
        groups[:4] = [0xFE80, 0, 0, 0]
    else:
        groups[0] = r.choice([0x2001, 0x2404, 0x2406, 0x2600, 0x2a00, groups[0] | 0x2000])
        if kind == "compressed":
            z = r.randint(1, 5)
            s = r.randint(1, 7 - z) if z < 7 else 1
            for i in range(s, s + z):
                groups[i] = 0
    addr = ipaddress.IPv6Address(b"".join(g.to_bytes(2, "big") for g in groups))
    if kind == "full":
        text = addr.exploded if r.random() < 0.5 else ":".join("%x" % g for g in groups)
    else:
        text = addr.compressed
    return text.upper() if r.random() < 0.15 else text


BANKS = {
    # bank name: groupings (digits per hyphen-separated group)
    "국민": [[6, 2, 6], [3, 2, 4, 3]],
    "신한": [[3, 3, 6], [3, 2, 6]],
    "우리": [[4, 3, 6]],
    "하나": [[3, 6, 5]],
    "농협": [[3, 4, 4, 2], [6, 2, 6]],
    "기업": [[3, 6, 2, 3]],
    "카카오뱅크": [[4, 2, 7]],
    "토스뱅크": [[4, 4, 4]],
    "케이뱅크": [[3, 3, 6]],
    "SC제일": [[3, 2, 6]],
    "우체국": [[6, 2, 6]],
    "새마을금고": [[4, 4, 4, 1]],
    "부산은행": [[3, 4, 4, 2]],
    "대구은행": [[3, 2, 6, 1]],
    "수협": [[3, 2, 6], [4, 4, 4]],
    "씨티": [[3, 6, 3]],
    # short forms people write
    "KB": [[6, 2, 6]],
    "NH": [[3, 4, 4, 2]],
    "카뱅": [[4, 2, 7]],
    "토스": [[4, 4, 4]],
    "케뱅": [[3, 3, 6]],
    "신협": [[3, 3, 6]],
}
BANK_PREFIX = {"신한": ["110", "140", "100"], "우리": ["1002", "1005"], "농협": ["301", "302", "312", "351", "352", "356"],
               "카카오뱅크": ["3333", "7979"], "카뱅": ["3333"], "토스뱅크": ["1000"], "토스": ["1000"], "케이뱅크": ["100", "110"], "새마을금고": ["9002", "9003"]}


def gen_account(r, bank):
    g = r.choice(BANKS[bank])
    total = sum(g)
    pre = r.choice(BANK_PREFIX.get(bank, [""]))
    if pre and len(pre) > g[0]:
        pre = pre[:g[0]]
    d = pre + str(r.randint(1, 9)) + digits(r, total - len(pre) - 1) if not pre else pre + digits(r, total - len(pre))
    if r.random() < 0.25:
        return d
    out, i = [], 0
    for k in g:
        out.append(d[i:i + k])
        i += k
    return "-".join(out)


# Names: a surname (weighted as in the census, roughly) and a given name of
# two syllables (a compound surname now and then, with one or two).
SURNAMES = ["김"] * 21 + ["이"] * 15 + ["박"] * 8 + ["최"] * 5 + ["정"] * 5 + [
    "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "안", "송", "전", "홍", "유", "고", "문", "양",
    "손", "배", "백", "허", "남", "심", "노", "하", "곽", "성", "차", "주", "우", "구", "민", "류", "나", "진", "지",
    "엄", "채", "원", "천", "방", "공", "현", "함", "변", "염", "여", "추", "도", "소", "석", "선", "설", "마", "길"]
COMPOUND_SURNAMES = ["남궁", "황보", "제갈", "선우", "독고"]
GIVEN = ["민", "준", "서", "연", "지", "우", "현", "수", "영", "호", "진", "은", "하", "윤", "예", "도", "건", "재",
         "훈", "혁", "태", "희", "경", "미", "숙", "혜", "아", "채", "빈", "린", "율", "솔", "별", "철", "환", "규",
         "찬", "형", "욱", "웅", "섭", "완", "엽", "택", "담", "결", "온", "람", "슬", "유"]


def gen_person_name(r):
    # (Two-syllable names, a surname and one syllable, are not read by the
    # detector: role words of that shape are too many. Not generated.)
    k = r.random()
    if k < 0.03:
        return r.choice(COMPOUND_SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice([1, 2])))
    return r.choice(SURNAMES) + r.choice(GIVEN) + r.choice(GIVEN)


# Addresses: 도로명 (road and building number) and 지번 (동 and lot), with a
# unit after some.
PROVINCES = [("서울특별시", ["강남구", "마포구", "송파구", "종로구", "서초구"]), ("서울", ["강서구", "노원구", "관악구"]),
             ("부산광역시", ["해운대구", "수영구", "부산진구"]), ("경기도", ["성남시 분당구", "수원시 영통구", "파주시", "고양시 일산동구"]),
             ("경기", ["용인시 수지구", "화성시"]), ("인천광역시", ["연수구", "남동구"]), ("대구광역시", ["수성구"]),
             ("제주특별자치도", ["제주시", "서귀포시"]), ("충청남도", ["천안시 동남구"]), ("전라북도", ["전주시 완산구"])]
ROADS = ["테헤란로", "판교역로", "세종대로", "올림픽로", "월드컵로", "해운대로", "광교중앙로", "중앙로", "첨단로", "한누리대로",
         "반포대로", "도산대로", "백제고분로", "수영로", "가람로"]
AREAS = ["역삼동", "서교동", "잠실동", "우동", "정자동", "광교동", "삼성동", "연희동", "교하읍 송촌리", "대치동"]
UNITS = ["101동 1203호", "3층", "B1층", "8층", "201호", "(역삼동)", "래미안아파트 102동 503호", "에이치스퀘어 N동 8층", "2층 201호"]


def gen_address(r):
    prov, districts = r.choice(PROVINCES)
    head = ([prov] if r.random() < 0.8 else []) + [r.choice(districts)]
    if r.random() < 0.6:
        road = r.choice(ROADS)
        if r.random() < 0.2:
            road += r.choice(["%d길" % r.randint(1, 40), " %d번길" % r.randint(10, 300)])
        body = [road, str(r.randint(1, 999)) if r.random() < 0.8 else "%d-%d" % (r.randint(1, 99), r.randint(1, 30))]
    else:
        body = [r.choice(AREAS), "%d-%d" % (r.randint(1, 999), r.randint(1, 99)) if r.random() < 0.7 else
                "%d번지" % r.randint(1, 999)]
    text = " ".join(head + body)
    if r.random() < 0.4:
        text += r.choice([" ", ", "]) + r.choice(UNITS)
    return text


MASK_CHARS = ["*", "*", "*", "X", "x", "#", "●"]


def mask_tail(r, tok, keep):
    """tok with its digits after the first `keep` masked (one mask character throughout)."""
    m, out, seen = r.choice(MASK_CHARS), [], 0
    for c in tok:
        if c.isdigit():
            seen += 1
            out.append(c if seen <= keep else m)
        else:
            out.append(c)
    return "".join(out)


def gen_partly_masked(r):
    # Numbers masked in part that still show too much: an RRN with two or
    # more of its last seven digits, a card with more than the first six and
    # the last four, a mobile phone with all but one or two digits.
    k = r.randrange(3)
    if k == 0:
        y, mo, d = rand_date(r, 1950, 2005)
        g = r.choice("12") if y < 2000 else r.choice("34")
        tok = "%02d%02d%02d%s%s%s" % (y % 100, mo, d, r.choice(["-", "", " "]), g, digits(r, 6))
        return mask_tail(r, tok, 6 + r.randint(2, 6))
    if k == 1:
        tok = "-".join(["4111", digits(r, 4), digits(r, 4), digits(r, 4)])
        return mask_tail(r, tok, r.randint(11, 15))
    tok = "010-%s-%s" % (digits(r, 4), digits(r, 4))
    return mask_tail(r, tok, r.choice([9, 10]))


def neg_masked_ok(r):
    # Masked as they should be: the usual displays.
    y, mo, d = rand_date(r, 1950, 2005)
    k = r.randrange(4)
    if k == 0:
        return "%02d%02d%02d-%s******" % (y % 100, mo, d, r.choice("1234"))
    if k == 1:
        return "%s-%s**-****-%s" % (r.choice(["4111", "5361", "9410"]), digits(r, 2), digits(r, 4))
    if k == 2:
        return "010-****-%s" % digits(r, 4)
    return "010-%s-****" % digits(r, 4)


# ---------------------------------------------------------------------------
# Sentences embedding PII. "{}" is the token; "{bank}" a bank name.

PII_TEMPLATES = {
    "rrn": [
        "주민번호 {} 확인 완료", "본인확인 주민등록번호: {}", "고객 주민번호({}) 불일치로 재확인 요청", "RRN {} verified by agent",
        "주민등록번호 {} 로 가입 이력 조회", "실명인증 실패 - 입력값 {}", "{} 본인 명의 확인됨", "주민번호 뒷자리 포함 {} 전달받음",
        "ID number {} on file", "주민번호는{}입니다", "주민 {} 맞으세요?", "[본인확인] {} / 본인",
    ],
    "frn": [
        "외국인등록번호 {} 확인", "외국인 고객 등록번호: {}", "ARC no. {} (foreign resident)", "외국인등록증 {} 사본 수령",
        "등록번호 {} 로 본인인증 완료", "alien registration {} checked",
    ],
    "phone_kr": [
        "연락처 {} 로 연락 주세요", "배송 전 {}로 전화 부탁드립니다", "고객 휴대폰 {} 부재중", "Call me at {} after 6pm",
        "문의는 {} 으로", "회신번호: {}", "전화번호 변경 요청 -> {}", "{} 로 문자 주시면 됩니다", "phone: {}",
        "고객센터 {} 안내함", "contact {} for pickup", "부재시 {} 연락요망", "[{}] 번호로 재연락", "받는분 연락처:{}",
        "tel {} / 평일만", "번호가 {}(으)로 바뀌었어요", "넵 {} 이에요~", "HP {}", "휴대폰:{}",
        "기사님 도착하시면 {} 로 전화주세요!!", "my number is {}",
    ],
    "email": [
        "영수증은 {} 로 보내주세요", "이메일 {} 변경 요청", "Please send the invoice to {}.", "메일주소: {}",
        "<{}> 로 회신 바랍니다", "reply-to {} thanks", "고객 메일 {}에서 문의", "email:{}", "메일 주세요 {} ㅎㅎ", "ID는 {} 입니다",
    ],
    "card": [
        "카드번호 {} 결제 취소 요청", "card {} declined, retry", "결제카드 {} 로 승인", "고객이 카드 {} 분실 신고",
        "{} 카드로 할부 3개월", "Paid with {} exp 12/28", "카드 번호: {}", "등록 카드 변경 {} 으로", "카드 {} 유효기간 12/28 결제 부탁",
    ],
    "brn": [
        "사업자등록번호 {} 세금계산서 발행", "사업자번호: {}", "가맹점 사업자 {} 정산 보류", "BRN {} for the merchant",
        "사업자 {} 로 현금영수증 발급", "{} (법인) 정산계좌 확인",
    ],
    "passport_kr": [
        "여권번호 {} 로 면세 처리", "여권 {} 사본 확인", "Passport No. {} verified", "passport {} expires 2031",
        "여권번호: {}", "{} (여권) 제출 완료",
    ],
    "driver_license_kr": [
        "운전면허번호 {} 로 본인확인", "면허번호: {}", "driver license {} checked", "운전면허 {} 진위확인 완료",
        "신분증(운전면허증) {} 제출", "{} 면허증으로 인증",
    ],
    "ipv4": [
        "접속 IP {} 에서 결제 시도", "login from {} blocked", "IP: {}", "{} 에서 비정상 접근 탐지", "client ip {} (VPN?)",
        "요청 IP {}, 차단 해제 요청",
    ],
    "ipv6": [
        "접속 IP {} 에서 로그인", "login from {} ok", "IPv6 {} 확인", "src [{}]:443 reset", "client addr {} (mobile)",
        "{} 에서 결제 요청",
    ],
    "person_name": [
        "{}님께 송금 부탁드립니다", "예금주 {} 확인 바랍니다", "성명: {}, 본인확인 완료", "{} 고객님 문의 접수", "받는분 {} / 문 앞",
        "{}님 환불 처리 완료", "입금자명 {}", "name: {}", "{} 회원님, 포인트 적립", "보내는분: {}", "수취인 {}으로 변경 요청",
        "{}님께서 전화 주셨습니다",
    ],
    "partly_masked": [
        "주민번호 {} 확인 요청", "카드 {} 결제 취소", "연락처 {} 로 연락 부탁", "고객 정보({}) 불일치", "번호 {} 맞나요?",
    ],
    "address": [
        "배송지: {} 로 보내주세요", "주소 {} 입니다", "{}으로 배송 부탁드립니다", "거주지 {}", "자택 {} 방문 예정",
        "주소지 변경 -> {}", "반송 주소: {}",
    ],
    "bank_account_kr": [
        "환불 계좌 {bank} {}", "{bank} {} 로 입금 부탁드립니다", "송금처: {} ({bank})", "{bank}은행 {} 예금주 본인",
        "입금계좌 {} {bank}", "refund to {bank} account {}", "계좌번호 {} 로 이체 완료", "{bank} 계좌 {} 확인 바랍니다",
        "환불은 {} 계좌로 ({bank})", "bank transfer {} {bank}", "예금주 본인 {bank} {}", "{bank} {} 으로 보내주세요",
    ],
}

GENERATORS = {
    "rrn": gen_rrn, "frn": gen_frn, "phone_kr": gen_phone, "email": gen_email, "card": gen_card, "brn": gen_brn,
    "passport_kr": gen_passport, "driver_license_kr": gen_license, "ipv4": gen_ipv4, "ipv6": gen_ipv6,
    "person_name": gen_person_name, "address": gen_address, "partly_masked": gen_partly_masked,
}
DETECTOR_WEIGHTS = {"rrn": 10, "frn": 6, "phone_kr": 16, "email": 9, "card": 11, "brn": 7, "passport_kr": 6,
                    "driver_license_kr": 6, "ipv4": 7, "ipv6": 7, "bank_account_kr": 11, "person_name": 8, "address": 6,
                    "partly_masked": 5}
# Names and addresses are not disguised: the tricks are for digits.
NOT_DISGUISED = ("person_name", "address", "partly_masked")

# ---------------------------------------------------------------------------
# Hard negatives: (sentence with "{}", token generator, shape tag). Tag
# "acct" = bank-account shaped, "passport" = passport shaped: these must not
# sit near the matching context words.


def ymd(r):
    y, m, d = rand_date(r, 2024, 2026)
    return "%04d%02d%02d" % (y, m, d)


def neg_role(r):
    # People by their role, with the honorific a name would take.
    return r.choice(["고객님", "기사님", "사장님", "선생님", "담당자님", "상담사님", "부모님", "이용자님", "회원님", "신규 고객님",
                     "VIP 고객님", "우수 회원님", "배송기사님", "이사님", "원장님", "교수님", "주문자님", "구매자님", "소중한 고객님",
                     "모든 회원님", "가입 고객님", "사용 고객님", "배송중 고객님"])


def neg_label_word(r):
    # A label a name follows, and no name after it.
    return r.choice(["예금주 정보 불일치", "성명 변경 요청", "이름 미기재", "수취인 정보 확인", "예금주 확인 필요", "받는분 정보 없음",
                     "성명 불일치로 반려", "입금자명 확인중", "예금주 우리은행", "이름 변경", "보내는분 표시 안됨"])


def neg_place(r):
    # Places without a number, numbers without a place.
    return r.choice(["강남구 지점 방문", "서울 3호선 환승", "역삼역 3번 출구", "강남구청 민원실 2층", "서울 지역 배송 3일 소요",
                     "테헤란로 지점", "서울 강남구 역삼동 거주", "부산 해운대 1박 2일", "서울 강남구 역삼동 3번 출구",
                     "판교역로 방면 2km"])


def neg_order(r):
    return r.choice(["ORD-", "ORD", "PAY-", "P", "TX-"]) + ymd(r) + digits(r, r.choice([6, 8]))


def neg_order_plain(r):
    return ymd(r) + digits(r, r.choice([6, 8]))  # 14 or 16 digits starting with a date


def neg_ts(r):
    y, m, d = rand_date(r, 2024, 2026)
    hh, mm, ss = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
    fmt = r.choice(["%04d-%02d-%02d %02d:%02d:%02d", "%04d%02d%02d%02d%02d%02d", "%04d-%02d-%02dT%02d:%02d:%02d+09:00",
                    "%04d/%02d/%02d %02d:%02d:%02d"])
    return fmt % (y, m, d, hh, mm, ss)


def neg_epoch_ms(r):
    return str(r.randint(1_700_000_000_000, 1_800_000_000_000))


def neg_epoch_s(r):
    return str(r.randint(1_700_000_000, 1_800_000_000))


def neg_amount(r):
    v = r.choice([r.randint(1, 999) * 100, r.randint(1, 99999) * 10, r.randint(1000, 99_999_999),
                  r.randint(1, 500) * 10000])
    style = r.randrange(4)
    if style == 0:
        return "{:,}원".format(v)
    if style == 1:
        return "%d KRW" % v
    if style == 2:
        return "₩{:,}".format(v)
    return "%d원" % v


def neg_approval(r):
    return digits(r, 8)  # card approval number


def neg_tracking(r):
    k = r.randrange(3)
    if k == 0:
        return str(r.randint(5, 6)) + digits(r, 11)  # 12 digits (CJ, Lotte, Hanjin)
    if k == 1:
        return "60" + digits(r, 11)  # 13 digits (post office), not a card length for prefix 6
    return "%s-%s-%s" % (digits(r, 4), digits(r, 4), digits(r, 4))


def neg_uuid(r):
    h = "%032x" % r.getrandbits(128)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def neg_birthday(r):
    y, m, d = rand_date(r, 1950, 2005)
    base = "%02d%02d%02d" % (y % 100, m, d)
    return r.choice([base, base + "-" + digits(r, 2), base + "-" + str(r.randint(1, 4)), "%04d-%02d-%02d" % (y, m, d),
                     "%02d.%02d.%02d" % (y % 100, m, d)])


def neg_product(r):
    k = r.randrange(4)
    if k == 0:
        return r.choice("ABKPX") + "010-%s-%s" % (digits(r, 4), digits(r, 4))
    if k == 1:
        return "010-%s-%s" % (digits(r, 5), digits(r, 3))
    if k == 2:
        return "SM-" + r.choice(["G991N", "S921N", "A546N", "F731N"])
    return "%s-%s" % (r.choice(["KR", "PRD", "GD"]), digits(r, 10))


def neg_version(r):
    return "v%d.%d.%d.%d" % (r.randint(1, 20), r.randint(0, 30), r.randint(0, 9), r.randint(0, 300))


def neg_dotted(r):
    """Dotted numbers that are not dotted cards (nor IPv4, phones or dates to report)."""
    k = r.randrange(6)
    if k == 0:  # build number starting with a date: no issuer prefix 20
        return "%s.%s.%s.%s" % (ymd(r)[:4], ymd(r)[4:], digits(r, 4), digits(r, 4))
    if k == 1:  # three groups
        return "%s.%s.%s" % (digits(r, 4), digits(r, 4), digits(r, 4))
    if k == 2:  # IP-like with an octet above 255
        return "%d.%d.%d.%d" % (r.randint(256, 999), r.randint(0, 255), r.randint(0, 255), r.randint(0, 999))
    if k == 3:  # dotted dates
        y, m, d = rand_date(r, 2020, 2026)
        return r.choice(["%04d.%02d.%02d", "%04d. %02d. %02d.", "%02d.%02d.%04d"]) % ((y, m, d) if r.random() < 0.7
                                                                                    else (d, m, y))
    if k == 4:  # version strings
        return "%d.%d.%d" % (r.randint(1, 20), r.randint(0, 99), r.randint(0, 9999))
    # a Luhn-invalid dotted 16-digit number
    body = r.choice(["4", "5" + str(r.randint(1, 5)), "94"]) + digits(r, 13)
    body = body[:15]
    bad = body + str((int(luhn_check_digit(body)) + r.randint(1, 9)) % 10)
    return ".".join(bad[i:i + 4] for i in range(0, 16, 4))


def neg_product82(r):
    """Product codes with "82-" that are not phones written without the plus."""
    k = r.randrange(4)
    if k == 0:  # 82-XXXX-XXXX, first group not an area code plus exchange
        return "82-%s-%s" % (str(r.choice([1, 3, 4, 5, 6, 7, 8, 9])) + digits(r, 3), digits(r, 4))
    if k == 1:  # too short for a phone
        return "82-%s-%s" % (r.choice(["10", "31", "2"]), digits(r, r.choice([3, 5])))
    if k == 2:  # no separator after 82: a 4-4-4 code
        return "82%s-%s-%s" % (r.choice(["10", "31", "70"]), digits(r, 4), digits(r, 4))
    return "%s82-10-%s" % (r.choice(["A", "PX", "KR"]), digits(r, 4))


def neg_invoice(r):
    k = r.randrange(3)
    if k == 0:
        return "INV-%d-%06d" % (r.randint(2024, 2026), r.randint(1, 999999))
    if k == 1:
        return ymd(r) + "-" + digits(r, 8) + "-" + digits(r, 8)  # tax invoice approval number
    return "%s-%s" % (ymd(r), digits(r, 6))


def neg_bad_card(r):
    num = card_number(r)
    bad = num[:-1] + str((int(num[-1]) + r.randint(1, 9)) % 10)
    if len(bad) != 16:
        body = "4" + digits(r, 14)
        bad = body + str((int(luhn_check_digit(body)) + r.randint(1, 9)) % 10)
    return group_card(r, bad, r.choice(["-", " ", "", "."]))


def neg_odd_sep(r):
    """Ranges, lists, ratios and times written with the odd separators."""
    k = r.randrange(6)
    if k == 0:  # a range of representative-number-like values
        a = int(r.choice(REP_PREFIXES))
        return "%d~%d" % (a, a + r.choice([100, 200, 500]))
    if k == 1:  # a list of 4-digit codes (a Luhn-invalid 16 digits)
        body = r.choice(["4", "5" + str(r.randint(1, 5))]) + digits(r, 14)
        body = body[:15]
        bad = body + str((int(luhn_check_digit(body)) + r.randint(1, 9)) % 10)
        return r.choice([",", "~", "|", "*"]).join(bad[i:i + 4] for i in range(0, 16, 4))
    if k == 2:  # opening hours
        return "%02d:%02d~%02d:%02d" % (r.randint(7, 11), r.choice([0, 30]), r.randint(17, 22), r.choice([0, 30]))
    if k == 3:  # a resolution or size
        return "%d*%d" % (r.choice([1280, 1920, 2560, 3840]), r.choice([720, 1080, 1440, 2160]))
    if k == 4:  # years
        y = r.randint(2015, 2022)
        return ",".join(str(y + i) for i in range(r.randint(3, 4)))
    # a list of amounts
    return ",".join(str(r.randint(1, 99) * 1000) for _ in range(r.randint(3, 4)))


def neg_account_like(r):
    bank = r.choice(list(BANKS))
    return gen_account(r, bank)


def neg_model(r):
    return r.choice("MSROGD") + digits(r, 8)


NEG = [
    # (weight, templates, generator, tag)
    (8, ["주문번호 {} 결제완료", "order {} shipped", "주문 {} 취소 요청", "{} 건 부분환불"], neg_order, None),
    (5, ["주문번호 {}", "거래번호 {} 확인", "order no {}"], neg_order_plain, "long"),
    (8, ["요청시각 {}", "created {}", "{} 에 접수됨", "처리일시: {}"], neg_ts, None),
    (4, ["ts={}", "event_time {}", "타임스탬프 {}"], neg_epoch_ms, "long"),
    (3, ["epoch {}", "updated_at={}"], neg_epoch_s, None),
    (10, ["결제금액 {}", "총 {} 결제", "amount {}", "{} 환불 예정", "배송비 {} 포함", "{} 청구됨"], neg_amount, None),
    (5, ["승인번호 {}", "approval {}", "카드 승인번호: {}"], neg_approval, None),
    (7, ["운송장 {} 배송중", "CJ대한통운 운송장번호 {}", "tracking {} via CJ", "송장번호: {}", "우체국택배 {} 조회"], neg_tracking,
     "long"),
    (5, ["session {}", "요청ID {}", "trace_id={}"], neg_uuid, None),
    (6, ["생년월일 {}", "생일 {} 쿠폰 발송", "birth {}", "가입일 {}"], neg_birthday, None),
    (5, ["상품코드 {} 재고 없음", "SKU {} 품절", "모델 {} 교환 요청", "item {} backorder"], neg_product, None),
    (4, ["앱 버전 {} 에서 오류", "app {} crash", "빌드 {}"], neg_version, None),
    (4, ["세금계산서 {}", "invoice {} issued", "전자세금계산서 승인번호 {}"], neg_invoice, None),
    (5, ["빌드 {} 배포", "build {}", "일자 {} 접수", "ref {}", "버전 {} 오류"], neg_dotted, None),
    (3, ["상품코드 {} 재고 없음", "SKU {} 품절", "part no {}"], neg_product82, "acct"),
    (5, ["오입력 번호 {} (유효하지 않음)", "test number {} rejected", "카드번호 오류 {}"], neg_bad_card, None),
    (5, ["회원번호 {}", "member id {}", "쿠폰번호 {} 사용", "고객관리번호 {}"], neg_account_like, "acct"),
    (3, ["모델명 {} 입고", "part {} in stock", "시리얼 {}"], neg_model, "passport"),
    (4, ["운영시간 {}", "range {}", "코드 {} 중 선택", "해상도 {}", "연도 {}", "금액 {}"], neg_odd_sep, None),
    (6, ["{}께 안내드립니다", "{} 확인 부탁드립니다", "{} 감사합니다", "{}께서 요청하신 건"], neg_role, None),
    (4, ["{}", "메모: {}"], neg_label_word, None),
    (4, ["{} 예정", "{}"], neg_place, None),
    (4, ["마스킹 {} 확인", "표시 번호 {}", "{} (마스킹됨)"], neg_masked_ok, "plain"),
]

FILLERS = [
    "감사합니다.", "빠른 배송 부탁드려요.", "문 앞에 놓아주세요.", "경비실에 맡겨주세요.", "Thanks!", "Please hurry.",
    "고객 불만 접수.", "재발송 요청함.", "처리 완료.", "확인 부탁드립니다.", "상담원 메모:", "[CS]", "배송 메모:", "Note:",
    "ㅎㅎ 감사해요", "선물 포장 부탁드립니다.", "부재 시 연락 바랍니다.", "VIP 고객",
]
JOINERS = [" ", " ", ", ", " / ", "\n", ". ", " | ", " - "]

BANK_WORDS = ["계좌", "입금", "송금", "이체", "은행", "account", "bank", "acct", "예금주", "국민", "신한", "우리", "하나", "농협",
              "기업", "카카오", "카뱅", "토스", "케이뱅크", "케뱅", "새마을", "우체국", "수협", "신협", "산업", "kdb", "대구", "부산", "경남",
              "광주", "전북", "제주", "sc제일", "씨티", "citi", "ibk", "kb", "nh", "sc", "통장", "뱅크", "예금",
              "a/c", "shinhan", "woori", "hana", "kookmin", "nonghyup", "toss", "kakao", "bnk", "deposit",
              "토뱅", "mg", "축협", "외환", "시티", "제일", "sh", "산림", "수취인", "받는분", "환급", "적금", "대출", "상환",
              "cma", "beneficiary", "payee", "acc", "게좌"]
PASSPORT_WORDS = ["여권", "passport"]


class Record:
    def __init__(self):
        self.parts = []  # (text, detector or None, neg tag or None)

    def add(self, text, det=None, tag=None):
        self.parts.append((text, det, tag))

    def build(self):
        text, spans, negs, pos = "", [], [], 0
        for t, det, tag in self.parts:
            b = len(text.encode("utf-8"))
            cb = len(text)
            text += t
            if det:
                spans.append({"begin": b, "end": len(text.encode("utf-8")), "detector": det})
            elif tag:
                negs.append((cb, len(text), tag))
        return text, spans, negs


def near_word(text, b, e, words, window=26):
    lo = text[max(0, b - window):b].lower()
    hi = text[e:e + window].lower()

    def has(part, w):  # a short ASCII word only standing alone (as the scanner reads it)
        if len(w) <= 3 and w.isascii() and w[0].isalpha():
            return re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", part) is not None
        return w in part
    return any(has(lo, w) or has(hi, w) for w in words)


def add_sentence(rec, template, token, det=None, tag=None):
    pre, post = template.split("{}", 1)
    rec.add(pre)
    rec.add(token, det, tag)
    rec.add(post)


def make_record(r):
    n_pii = r.choices([0, 1, 2, 3], [10, 50, 30, 10])[0]
    n_neg = max(n_pii, 1) + r.choices([0, 1], [70, 30])[0]
    items = []
    dets = list(DETECTOR_WEIGHTS)
    weights = [DETECTOR_WEIGHTS[d] for d in dets]
    for _ in range(n_pii):
        items.append(("pii", r.choices(dets, weights)[0]))
    for _ in range(n_neg):
        items.append(("neg", r.choices(range(len(NEG)), [n[0] for n in NEG])[0]))
    r.shuffle(items)
    en = r.random() < 0.3
    rec = Record()
    if r.random() < 0.3:
        rec.add(r.choice(FILLERS) + " ")
    for i, (kind, what) in enumerate(items):
        if i:
            # A writer does not run two numbers together with one space
            # ("생년월일 900101 1234567원" reads as an RRN): after a sentence
            # ending in its token, the next one starts after punctuation.
            ends_with_token = rec.parts[-1][0] == "" and (rec.parts[-2][1] or rec.parts[-2][2])
            rec.add(r.choice(JOINERS[2:] if ends_with_token else JOINERS))
        if kind == "pii":
            temps = PII_TEMPLATES[what]
            if en:
                ascii_temps = [t for t in temps if t.isascii() or "{bank}" in t]
                temps = ascii_temps or temps
            t = r.choice(temps)
            if what == "bank_account_kr":
                bank = r.choice(list(BANKS))
                tok = gen_account(r, bank)
                while bare_rrn_hit(tok):  # a bare 13-digit account that is also an RRN: see below
                    tok = gen_account(r, bank)
                t = t.replace("{bank}", bank)
            else:
                tok = GENERATORS[what](r)
                while what not in ("rrn", "frn") and bare_rrn_hit(tok):
                    tok = GENERATORS[what](r)
            add_sentence(rec, t, tok if what in NOT_DISGUISED else disguise(r, tok, what=what), what)
        else:
            _, temps, gen, tag = NEG[what]
            tok = gen(r)
            # Like a Luhn-valid number for cards, a bare 13-digit number with a
            # real birth date and gender digit IS an RRN by definition (the
            # detectors cannot tell), so such negatives are drawn again.
            while bare_rrn_hit(tok):
                tok = gen(r)
            add_sentence(rec, r.choice(temps), disguise(r, tok, 0.05) if tag is None else tok, None, tag or "plain")
    if r.random() < 0.3:
        rec.add(" " + r.choice(FILLERS))
    return rec.build()


def acceptable(text, negs):
    for b, e, tag in negs:
        if tag in ("acct", "long") and near_word(text, b, e, BANK_WORDS):
            return False
        if tag == "passport" and near_word(text, b, e, PASSPORT_WORDS):
            return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--out", default="-")
    ap.add_argument("--stats", action="store_true", help="print label and hard-negative counts to stderr")
    args = ap.parse_args()
    r = random.Random(args.seed)
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    n_spans, n_neg, per = 0, 0, {}
    for _ in range(args.count):
        while True:
            text, spans, negs = make_record(r)
            if acceptable(text, negs):
                break
        n_spans += len(spans)
        for s in spans:
            per[s["detector"]] = per.get(s["detector"], 0) + 1
        n_neg += len(negs)
        out.write(json.dumps({"text": text, "spans": spans}, ensure_ascii=False) + "\n")
    if out is not sys.stdout:
        out.close()
    if args.stats:
        print("records=%d pii_spans=%d hard_negatives=%d" % (args.count, n_spans, n_neg), file=sys.stderr)
        for k in sorted(per):
            print("  %-18s %d" % (k, per[k]), file=sys.stderr)


if __name__ == "__main__":
    main()
