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
      "keys:\n  rrn: {active: 1, versions: {1: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=}}\n", "bench-keys"));
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

}  // namespace

BENCHMARK_MAIN();
