// Per-call cost of the crypto primitives behind the masking actions, one
// core. bench/crypto_vs_openssl.sh runs this beside `openssl speed` for the
// same primitives and sizes and prints the ratios.
//
//   ./build/bench/crypto_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Sizes are the field value's length in bytes (HMAC, AES-GCM, AES-SIV) or in
// numerals (FF1). AES-GCM and AES-SIV use a 13-byte associated data, the same
// as `openssl speed -aead`.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/aead.h"
#include "crypto/ff1.h"
#include "crypto/keyring.h"
#include "crypto/mac.h"
#include "crypto/secret.h"
#include "crypto/siv.h"
#include "crypto/token.h"
#include "transform/formats.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace {

using namespace maskproxy;

constexpr std::string_view kAad = "user.rrn#0001";  // 13 bytes
constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

crypto::SecretBytes TestKey(size_t n) {
  std::vector<uint8_t> k(n);
  for (size_t i = 0; i < n; ++i) k[i] = static_cast<uint8_t>(i * 7 + 1);
  return crypto::SecretBytes(std::move(k));
}

std::string Value(int64_t n) {
  std::string v;
  for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<char>('a' + i % 26));
  return v;
}

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) std::abort();
  return std::move(r).value();
}

void BM_HmacSha256(benchmark::State& state) {
  auto mac = Must(crypto::HmacSha256::Create(TestKey(32)));
  const std::string v = Value(state.range(0));
  crypto::Sha256Digest d;
  for (auto _ : state) {
    Status s = mac.Compute(v, &d);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(d.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_HmacSha256)->Arg(16)->Arg(32)->Arg(64);

void BM_Token(benchmark::State& state) {
  auto keys = Must(crypto::Keyring::Parse(
      "keys:\n  rrn: {active: 1, versions: {1: Vizw4FoW1U6FmOgMSliKJ9yerETG+ZlpLQ5ZxQ9pdKs=}}\n", "bench-keys"));
  auto tok = Must(
      crypto::Tokenizer::Create(*keys.Find("rrn"), "tokenize:user.rrn", transform::TokenPrefix(*keys.Find("rrn"))));
  const std::string v = Value(state.range(0));
  std::string out;
  for (auto _ : state) {
    out.clear();
    Status s = tok.Tokenize(v, &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Token)->Arg(16);

void BM_AesGcm256Seal(benchmark::State& state) {
  auto gcm = Must(crypto::AesGcm256::Create(TestKey(32)));
  const std::string v = Value(state.range(0));
  std::string out;
  for (auto _ : state) {
    out.clear();
    Status s = gcm.Seal(kAad, v, &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AesGcm256Seal)->Arg(16)->Arg(32)->Arg(64);

void BM_AesGcm256Open(benchmark::State& state) {
  auto gcm = Must(crypto::AesGcm256::Create(TestKey(32)));
  std::string sealed;
  if (!gcm.Seal(kAad, Value(state.range(0)), &sealed).ok()) std::abort();
  std::string out;
  for (auto _ : state) {
    Status s = gcm.Open(kAad, sealed, &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AesGcm256Open)->Arg(16);

// key_bytes 32: AES-SIV-CMAC-256 (AES-128); 64: AES-SIV-CMAC-512 (AES-256).
void SivSeal(benchmark::State& state, size_t key_bytes) {
  auto siv = Must(crypto::AesSiv::Create(TestKey(key_bytes)));
  const std::string v = Value(state.range(0));
  std::string out;
  for (auto _ : state) {
    out.clear();
    Status s = siv.Seal(kAad, v, &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
void BM_AesSiv256Seal(benchmark::State& state) {
  SivSeal(state, 32);
}
void BM_AesSiv512Seal(benchmark::State& state) {
  SivSeal(state, 64);
}
BENCHMARK(BM_AesSiv256Seal)->Arg(16)->Arg(32)->Arg(64);
BENCHMARK(BM_AesSiv512Seal)->Arg(16)->Arg(32)->Arg(64);

void BM_AesSiv512Open(benchmark::State& state) {
  auto siv = Must(crypto::AesSiv::Create(TestKey(64)));
  std::string sealed;
  if (!siv.Seal(kAad, Value(state.range(0)), &sealed).ok()) std::abort();
  std::string out;
  for (auto _ : state) {
    Status s = siv.Open(kAad, sealed, &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AesSiv512Open)->Arg(16);

// FF1 with AES-256, an 11-byte tweak (a field name); range(0) numerals.
void Ff1Run(benchmark::State& state, std::string_view alphabet, bool encrypt) {
  auto ff1 = Must(crypto::Ff1::Create(TestKey(32), static_cast<uint32_t>(alphabet.size())));
  std::string text;
  for (int64_t i = 0; i < state.range(0); ++i) text.push_back(alphabet[(i * 7 + 3) % alphabet.size()]);
  const std::vector<uint16_t> in = Must(crypto::Ff1::Numerals(text, alphabet));
  std::vector<uint16_t> out;
  for (auto _ : state) {
    Status s = encrypt ? ff1.Encrypt("card.number", in, &out) : ff1.Decrypt("card.number", in, &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_Ff1DigitsEncrypt(benchmark::State& state) {
  Ff1Run(state, kDigits, true);
}
void BM_Ff1DigitsDecrypt(benchmark::State& state) {
  Ff1Run(state, kDigits, false);
}
void BM_Ff1AlnumEncrypt(benchmark::State& state) {
  Ff1Run(state, kAlnum, true);
}
BENCHMARK(BM_Ff1DigitsEncrypt)->Arg(10)->Arg(16)->Arg(19)->Arg(40);
BENCHMARK(BM_Ff1DigitsDecrypt)->Arg(16);
BENCHMARK(BM_Ff1AlnumEncrypt)->Arg(20);

// FF1's floor as the spec allows it: range(0) one-block AES-256-ECB calls
// through EVP_EncryptUpdate (as openssl speed -evp makes them), each taking
// the previous call's output as its input, as FF1's rounds must (round i+1's
// block depends on round i's AES output). BM_Aes256EcbIndependent makes the
// same calls on blocks that do not depend on each other, which is what
// openssl speed's per-block price measures: the CPU overlaps them.
void AesEcbCalls(benchmark::State& state, bool dependent) {
  const crypto::SecretBytes key = TestKey(32);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx || EVP_EncryptInit_ex2(ctx, EVP_aes_256_ecb(), key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)
    std::abort();
  const int64_t calls = state.range(0);
  unsigned char blocks[16][16] = {};
  for (int64_t i = 0; i < 16; ++i) blocks[i][0] = static_cast<unsigned char>(i);
  int len = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < calls; ++i) {
      unsigned char* in = dependent ? blocks[0] : blocks[i % 16];
      if (EVP_EncryptUpdate(ctx, in, &len, in, 16) != 1) std::abort();
    }
    benchmark::DoNotOptimize(blocks);
  }
  EVP_CIPHER_CTX_free(ctx);
  state.SetItemsProcessed(state.iterations());
}
void BM_Aes256EcbDependent(benchmark::State& state) {
  AesEcbCalls(state, true);
}
void BM_Aes256EcbIndependent(benchmark::State& state) {
  AesEcbCalls(state, false);
}
BENCHMARK(BM_Aes256EcbDependent)->Arg(10);
BENCHMARK(BM_Aes256EcbIndependent)->Arg(10);

// FF1's floor with the arithmetic the spec puts between one round's AES call
// and the next (SP 800-38G Algorithm 7 steps 6.iv-vi and 6.i), for 16 digits
// (u = v = 8, b = 4, d = 8): read y = NUM(S) big-endian, reduce it modulo
// radix^m exactly (Barrett: one multiply-high, one multiply, one conditional
// subtraction), add NUM(A) modulo radix^m, and store the next block whole.
// Nothing else: no numeral checks or conversions, no context, no wipe.
// BM_Ff1DigitsEncrypt/16 against this is what is ours; this against
// BM_Aes256EcbDependent/10 is what the spec's serial arithmetic costs.
void BM_Ff1SpecFloor(benchmark::State& state) {
  const crypto::SecretBytes key = TestKey(32);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx || EVP_EncryptInit_ex2(ctx, EVP_aes_256_ecb(), key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)
    std::abort();
  __extension__ typedef unsigned __int128 U128;
  const uint64_t m = 100000000;  // 10^8
  const auto barrett = static_cast<uint64_t>((static_cast<U128>(1) << 64) / m);
  alignas(16) unsigned char block[16] = {};
  constexpr uint64_t kQHead = 0x0123456789abcdef;  // CBC-MAC chaining value ^ Q's first 8 bytes, fixed
  uint64_t a = 12345678;
  uint64_t b = 87654321;
  int len = 0;
  for (auto _ : state) {
    for (uint64_t i = 0; i < 10; ++i) {
      // Step 6.i: Q's last 8 bytes are [i]^1 || [0]^3 || [NUM(B)]^4, the
      // rest is round-independent. The block is stored whole, as Ff1::Run
      // does: an 8-byte store under the cipher's 16-byte load would stall
      // store forwarding. (x86 is little-endian: the swap makes it big.)
      const uint64_t lo = __builtin_bswap64((i << 56) | b);
#if defined(__SSE2__)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(block),
                       _mm_set_epi64x(static_cast<long long>(lo), static_cast<long long>(kQHead)));
#else
      std::memcpy(block, &kQHead, sizeof kQHead);
      std::memcpy(block + 8, &lo, sizeof lo);
#endif
      if (EVP_EncryptUpdate(ctx, block, &len, block, 16) != 1) std::abort();
      uint64_t y = 0;
      std::memcpy(&y, block, sizeof y);
      y = __builtin_bswap64(y);
      const auto q = static_cast<uint64_t>((static_cast<U128>(y) * barrett) >> 64);
      uint64_t r = y - q * m;
      if (r >= m) r -= m;
      uint64_t c = a + r;
      if (c >= m) c -= m;
      a = b;
      b = c;
    }
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
  }
  EVP_CIPHER_CTX_free(ctx);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ff1SpecFloor);

}  // namespace

BENCHMARK_MAIN();
