#!/usr/bin/env bash
# Our crypto primitives (bench/crypto_bench.cc) beside `openssl speed` for the
# same primitives and sizes, in one invocation on one core: ns per operation
# and the ratio ours / openssl.
#
#   bench/crypto_vs_openssl.sh [path/to/crypto_bench [path/to/actions_bench]]
#
# With actions_bench, the per-field cost of each action (bench/actions_bench.cc:
# option parsing done, value in, JSON text out, including normalization, the
# type tag, the AAD, the encryption ledger and base64url) is compared with the
# same openssl figure as its primitive: tokenize (13 digits) with -hmac sha256
# at 16 B; encrypt (15 B, e2: XAES-256-GCM, a key derivation per value) with one AES-256-GCM seal at 16 B; encrypt_deterministic
# (23 B) with the AES-SIV-CMAC-512 figure at 32 B; fpe (16-digit card) with
# 11 x aes-256-ecb.
#
# Environment: SECONDS_PER_RUN (openssl speed -seconds, default 2), REPS
# (crypto_bench --benchmark_repetitions, default 5; the median is used),
# OPENSSL_REPS (runs of each openssl speed case, default 1; the median is used).
#
# What each openssl figure is (OpenSSL 3.0's apps/speed.c loops; CPU time):
#   HMAC-SHA-256, token   -hmac sha256: EVP_MAC_init(ctx, NULL, 0, NULL), update,
#                         final per operation. The token adds base64url and the
#                         prefix to one HMAC; it is compared with the HMAC.
#   AES-256-GCM seal      -evp aes-256-gcm -aead: set the IV, 13 bytes of AAD,
#                         encrypt, final per operation. Ours also draws the
#                         random IV and reads the tag.
#   AES-SIV seal          openssl speed has no per-message SIV loop (its
#                         AES-*-SIV case re-runs a failing update), so the
#                         figure is its building blocks: -cmac at 13 bytes (the
#                         AD) + -cmac at the value's size + -evp AES-CTR at the
#                         value's size (streaming, no IV reset: a lower bound).
#                         S2V's CMAC(<zero>) is precomputed per key by ours.
#   FF1                   AES-ECB on one block (-evp aes-256-ecb -bytes 16)
#                         times the number of AES calls FF1 needs with an
#                         11-byte tweak: 1 (P) + fixed tweak blocks + 10
#                         rounds x 1 block = 11 for 10 and 16 digits, 12 for
#                         20 alphanumerics (radix 62: Q spans two blocks).
#                         Everything else FF1 does is ours to pay for.
#                         A second table sets FF1 beside crypto_bench's 10
#                         dependent one-block EVP calls (BM_Aes256EcbDependent:
#                         the floor the spec allows, as each round's block
#                         depends on the last) and 10 independent ones.
set -euo pipefail

BENCH=${1:-build/bench/crypto_bench}
ACTIONS=${2:-}
SECS=${SECONDS_PER_RUN:-2}
REPS=${REPS:-5}
OSSL_REPS=${OPENSSL_REPS:-1}

if [[ ! -x "$BENCH" ]]; then
  echo "crypto_bench not found at $BENCH (build it: ninja -C build crypto_bench)" >&2
  exit 2
fi
command -v openssl >/dev/null || { echo "openssl not found" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "# $(openssl version)" >&2
echo "# crypto_bench: $BENCH, $REPS repetitions" >&2
"$BENCH" --benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true \
  --benchmark_out="$work/ours.json" --benchmark_out_format=json >/dev/null

if [[ -n "$ACTIONS" ]]; then
  "$ACTIONS" --benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true \
    --benchmark_filter='BM_(Tokenize|Encrypt|EncryptDeterministic|FpeCard16Digits|Mask|GeneralizeYear)$' \
    --benchmark_out="$work/actions.json" --benchmark_out_format=json >/dev/null
else
  echo '{"benchmarks": []}' >"$work/actions.json"
fi

# openssl speed -mr prints "+F:<n>:<name>:<bytes per second>" for -bytes N.
ossl() {  # ossl KEY BYTES ARGS...; appends "KEY ns_per_op" to $work/openssl.txt
  local key=$1 bytes=$2
  shift 2
  local runs=()
  for ((r = 0; r < OSSL_REPS; r++)); do
    local bps
    bps=$(openssl speed -mr -seconds "$SECS" -bytes "$bytes" "$@" 2>/dev/null | awk -F: '/^\+F:/ {print $NF}' | tail -1)
    [[ -n "$bps" ]] || { echo "openssl speed $* -bytes $bytes gave no result" >&2; exit 1; }
    runs+=("$(python3 -c "print(1e9 * $bytes / $bps)")")
  done
  echo "$key $(printf '%s\n' "${runs[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')" \
    >>"$work/openssl.txt"
  echo "# openssl speed $* -bytes $bytes done" >&2
}

: >"$work/openssl.txt"
for n in 16 32 64; do
  ossl "hmac/$n" "$n" -hmac sha256
  ossl "gcm/$n" "$n" -evp aes-256-gcm -aead
  ossl "cmac128/$n" "$n" -cmac aes-128-cbc
  ossl "cmac256/$n" "$n" -cmac aes-256-cbc
  ossl "ctr128/$n" "$n" -evp aes-128-ctr
  ossl "ctr256/$n" "$n" -evp aes-256-ctr
done
ossl "cmac128/13" 13 -cmac aes-128-cbc
ossl "cmac256/13" 13 -cmac aes-256-cbc
ossl "ecb256/16" 16 -evp aes-256-ecb

python3 - "$work/ours.json" "$work/openssl.txt" "$work/actions.json" <<'EOF'
import json, sys

ours = {}
for f in (sys.argv[1], sys.argv[3]):
    for b in json.load(open(f))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            assert b["time_unit"] == "ns"
            ours[b["run_name"]] = b["cpu_time"]
ossl = dict((k, float(v)) for k, v in (line.split() for line in open(sys.argv[2])))

rows = []
def row(name, size, bench, ref, how):
    rows.append((name, size, ours[bench], ref, how))

for n in (16, 32, 64):
    row("HMAC-SHA-256", f"{n} B", f"BM_HmacSha256/{n}", ossl[f"hmac/{n}"], "-hmac sha256")
row("token (HMAC + base64url)", "16 B", "BM_Token/16", ossl["hmac/16"], "-hmac sha256")
for n in (16, 32, 64):
    row("AES-256-GCM seal", f"{n} B", f"BM_AesGcm256Seal/{n}", ossl[f"gcm/{n}"], "-evp aes-256-gcm -aead")
for n in (16, 32, 64):
    row("AES-SIV-CMAC-256 seal", f"{n} B", f"BM_AesSiv256Seal/{n}",
        ossl["cmac128/13"] + ossl[f"cmac128/{n}"] + ossl[f"ctr128/{n}"], "2 x -cmac aes-128-cbc + aes-128-ctr")
for n in (16, 32, 64):
    row("AES-SIV-CMAC-512 seal", f"{n} B", f"BM_AesSiv512Seal/{n}",
        ossl["cmac256/13"] + ossl[f"cmac256/{n}"] + ossl[f"ctr256/{n}"], "2 x -cmac aes-256-cbc + aes-256-ctr")
row("FF1 AES-256 encrypt, radix 10", "16 digits", "BM_Ff1DigitsEncrypt/16", 11 * ossl["ecb256/16"], "11 x aes-256-ecb 16 B")
row("FF1 AES-256 encrypt, radix 10", "10 digits", "BM_Ff1DigitsEncrypt/10", 11 * ossl["ecb256/16"], "11 x aes-256-ecb 16 B")
row("FF1 AES-256 encrypt, radix 62", "20 chars", "BM_Ff1AlnumEncrypt/20", 12 * ossl["ecb256/16"], "12 x aes-256-ecb 16 B")

if "BM_Tokenize" in ours:
    row("action tokenize (normalize digits)", "13 digits", "BM_Tokenize", ossl["hmac/16"], "-hmac sha256 16 B")
    row("action encrypt (e2: XAES-256-GCM)", "15 B", "BM_Encrypt", ossl["gcm/16"], "-evp aes-256-gcm -aead 16 B")
    row("action encrypt_deterministic (AES-SIV-512)", "23 B", "BM_EncryptDeterministic",
        ossl["cmac256/13"] + ossl["cmac256/32"] + ossl["ctr256/32"], "2 x -cmac aes-256-cbc + aes-256-ctr, 32 B")
    row("action fpe (FF1)", "16 digits", "BM_FpeCard16Digits", 11 * ossl["ecb256/16"], "11 x aes-256-ecb 16 B")

print(f"| primitive | size | ours ns/op (median) | openssl speed ns/op | ratio ours/openssl | openssl figure |")
print(f"|---|---|---:|---:|---:|---|")
for name, size, o, r, how in rows:
    print(f"| {name} | {size} | {o:,.0f} | {r:,.0f} | {o / r:.2f} | {how} |")

# FF1's rounds are serial (each round's AES input depends on the previous
# round's output), so its floor is dependent calls, which the CPU cannot
# overlap; with the per-thread memo of P, a 10- or 16-digit value makes 10.
if "BM_Aes256EcbDependent/10" in ours:
    dep, ind = ours["BM_Aes256EcbDependent/10"], ours["BM_Aes256EcbIndependent/10"]
    print()
    print("| FF1 AES-256, radix 10 | ours ns/op | 10 dependent EVP AES-256-ECB calls | ratio | 10 independent calls |")
    print("|---|---:|---:|---:|---:|")
    for n in (10, 16):
        o = ours[f"BM_Ff1DigitsEncrypt/{n}"]
        print(f"| {n} digits | {o:,.0f} | {dep:,.0f} | {o / dep:.2f} | {ind:,.0f} |")
EOF
