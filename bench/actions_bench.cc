// Per-field cost of each action on a realistic value, through the registry
// exactly as a policy rule creates it (Apply() only: no JSON scanning).
//
//   ninja -C build actions_bench
//   ./build/bench/actions_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "codec/json.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "transform/actions.h"
#include "transform/registry.h"

namespace {

using namespace maskproxy;

const char kKeys[] =
    "keys:\n"
    "  pii: {active: 1, versions: {1: Vizw4FoW1U6FmOgMSliKJ9yerETG+ZlpLQ5ZxQ9pdKs=}}\n";

const crypto::Keyring& Keys() {
  static const crypto::Keyring* ring = [] {
    auto r = crypto::Keyring::Parse(kKeys, "bench-keys");
    if (!r.ok()) std::abort();
    return new crypto::Keyring(std::move(r).value());
  }();
  return *ring;
}

std::unique_ptr<transform::Action> MakeAction(const std::string& name,
                                              const std::vector<std::pair<std::string, std::string>>& opts,
                                              const std::string& path) {
  transform::ActionOptions o;
  for (const auto& [k, v] : opts) o.Set(k, {v, false});
  // A ledger that never runs out during a benchmark run (one per process).
  static auto* ledger = crypto::UsageLedger::InMemory(uint64_t{1} << 62).release();
  transform::ActionEnv env{&Keys(), path, ledger};
  auto a = transform::CreateAction(name, o, env);
  if (!a.ok()) std::abort();
  return std::move(a).value();
}

void Run(benchmark::State& state, const transform::Action& action, codec::JsonType type, const std::string& text) {
  std::string raw;
  if (type == codec::JsonType::kString)
    codec::AppendJsonString(text, &raw);
  else
    raw = text;
  codec::ScalarRef ref{type, raw, text};
  transform::ActionContext ctx{"payments.raw"};
  std::string out;
  for (auto _ : state) {
    out.clear();
    Status s = action.Apply(ctx, ref, &out);
    if (!s.ok()) state.SkipWithError(std::string(ErrorCodeName(s.error().code)).c_str());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Tokenize(benchmark::State& state) {
  auto a = MakeAction("tokenize", {{"key", "pii"}, {"normalize", "digits"}}, "user.rrn");
  Run(state, *a, codec::JsonType::kString, "900101-1234567");
}
BENCHMARK(BM_Tokenize);

void BM_Encrypt(benchmark::State& state) {
  auto a = MakeAction("encrypt", {{"key", "pii"}}, "user.rrn");
  Run(state, *a, codec::JsonType::kString, "900101-1234567");
}
BENCHMARK(BM_Encrypt);  // e2 (the default): XAES-256-GCM

void BM_EncryptE1(benchmark::State& state) {
  auto a = MakeAction("encrypt", {{"key", "pii"}, {"format", "e1"}}, "user.rrn");
  Run(state, *a, codec::JsonType::kString, "900101-1234567");
}
BENCHMARK(BM_EncryptE1);  // AES-256-GCM, counted in the (in-memory) ledger

void BM_EncryptDeterministic(benchmark::State& state) {
  auto a = MakeAction("encrypt_deterministic", {{"key", "pii"}}, "user.email");
  Run(state, *a, codec::JsonType::kString, "Minjun.Kim@example.com");
}
BENCHMARK(BM_EncryptDeterministic);

void BM_FpeCard16Digits(benchmark::State& state) {
  auto a = MakeAction("fpe", {{"key", "pii"}}, "payment.card.number");
  Run(state, *a, codec::JsonType::kString, "5412 7512 3412 3456");
}
BENCHMARK(BM_FpeCard16Digits);

void BM_FpePhoneKeepPrefix3(benchmark::State& state) {
  auto a = MakeAction("fpe", {{"key", "pii"}, {"keep_prefix", "3"}}, "user.phone");
  Run(state, *a, codec::JsonType::kString, "010-1234-5678");
}
BENCHMARK(BM_FpePhoneKeepPrefix3);

// 13-digit account numbers as strings, 4096 random values of one class of
// the first digit (the class walk: 1-9 averages 10/9 FF1 calls, 0 about 10).
void FpeAccounts(benchmark::State& state, bool zero_first) {
  auto a = MakeAction("fpe", {{"key", "pii"}}, "transfer.account");
  std::vector<std::string> raws;
  uint64_t x = 88172645463325252u;  // xorshift64: fixed values, no <random>
  for (int i = 0; i < 4096; ++i) {
    std::string v(1, zero_first ? '0' : '1');
    for (int k = 1; k < 13; ++k) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      v.push_back(static_cast<char>('0' + x % 10));
    }
    if (!zero_first) v[0] = static_cast<char>('1' + x % 9);
    raws.push_back("\"" + v + "\"");
  }
  transform::ActionContext ctx{"payments.raw"};
  std::string out;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& raw = raws[i++ % raws.size()];
    codec::ScalarRef ref{codec::JsonType::kString, raw, std::string_view(raw).substr(1, 13)};
    out.clear();
    Status s = a->Apply(ctx, ref, &out);
    if (!s.ok()) state.SkipWithError(std::string(ErrorCodeName(s.error().code)).c_str());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_FpeAccount13FirstDigit1to9(benchmark::State& state) {
  FpeAccounts(state, false);
}
BENCHMARK(BM_FpeAccount13FirstDigit1to9);
void BM_FpeAccount13FirstDigit0(benchmark::State& state) {
  FpeAccounts(state, true);
}
BENCHMARK(BM_FpeAccount13FirstDigit0);

void BM_Mask(benchmark::State& state) {
  auto a = MakeAction("mask", {{"keep_first", "6"}, {"keep_last", "4"}}, "payment.card.number");
  Run(state, *a, codec::JsonType::kString, "5412 7512 3412 3456");
}
BENCHMARK(BM_Mask);

void BM_Redact(benchmark::State& state) {
  auto a = MakeAction("redact", {{"mode", "null"}}, "memo");
  Run(state, *a, codec::JsonType::kString, "생일 선물 010-1234-5678로 연락");
}
BENCHMARK(BM_Redact);

void BM_GeneralizeYear(benchmark::State& state) {
  auto a = MakeAction("generalize", {{"to", "year"}}, "user.birth_date");
  Run(state, *a, codec::JsonType::kString, "1990-01-15T09:12:03.120+09:00");
}
BENCHMARK(BM_GeneralizeYear);

void BM_GeneralizeBirthDecadeSex(benchmark::State& state) {
  auto a = MakeAction("generalize", {{"to", "birth_decade_sex"}}, "user.rrn");
  Run(state, *a, codec::JsonType::kString, "900101-1234567");
}
BENCHMARK(BM_GeneralizeBirthDecadeSex);

void BM_GeneralizeDistrict(benchmark::State& state) {
  auto a = MakeAction("generalize", {{"to", "district"}}, "user.address");
  Run(state, *a, codec::JsonType::kString, "서울특별시 강남구 테헤란로 123");
}
BENCHMARK(BM_GeneralizeDistrict);

void BM_Keep(benchmark::State& state) {
  auto a = MakeAction("keep", {}, "event_type");
  Run(state, *a, codec::JsonType::kString, "payment.approved");
}
BENCHMARK(BM_Keep);

void BM_LedgerReserve(benchmark::State& state) {
  auto ledger = crypto::UsageLedger::InMemory(uint64_t{1} << 62);
  for (auto _ : state) {
    Status s = ledger->Reserve("pii", 1);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LedgerReserve)->Threads(1)->Threads(2);

void BM_LedgerReserveHandle(benchmark::State& state) {
  static auto* ledger = crypto::UsageLedger::InMemory(uint64_t{1} << 62).release();
  crypto::UsageLedger::Slot* slot = ledger->Handle("pii", 1);
  for (auto _ : state) {
    Status s = ledger->Reserve(slot);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LedgerReserveHandle)->Threads(1)->Threads(2);

}  // namespace

BENCHMARK_MAIN();
