// Engine throughput on one core, side by side in one run:
//  - BM_MaskMixedPolicy: the reference ~1 KB payment event (user, payment,
//    card, transfer, memo) through issue 4's mixed policy, six protected
//    fields with six different actions (tokenize, fpe, mask, encrypt,
//    redact, generalize);
//  - BM_MaskMixedPolicyKoreanNames: the same policy on an event with
//    Korean member names beside the ruled ones;
//  - BM_MaskPaymentsPolicy: the shipped policies/payments.yaml (14 rules);
//  - BM_PassThrough: the same event through a route whose only rule names an
//    absent field (what any fail-closed proxy must do: strict validation and
//    a copy);
//  - BM_MaskRecordMixedPolicy / BM_MaskRecordKeyAndHeaderRules: the whole
//    record call (key + 3 headers + the value) without and with key/header
//    rules;
//  - BM_MaskBatchWorkers/N: one batch of 500 records masked by N threads
//    (pipeline::MaskWorkers, `workers: N`), wall-clock time;
//  - BM_ValidateOnly and BM_FiveHmacSha256: floors;
//  - BM_PaymentsVsFloor: the payments policy against its floor in one loop,
//    alternated: pass-through + the 5 HMAC-SHA-256 a payments record needs,
//    each timed as `openssl speed -hmac sha256` times it (EVP_MAC_init with
//    the key kept, update, final: OpenSSL 3's apps/speed.c HMAC_loop), called
//    here on OpenSSL EVP directly. Counters: payments_ns, floor_ns (=
//    pass_ns + hmac5_ns), ratio = payments_ns / floor_ns (per-thread CPU
//    time of batches of 64 records, each part timed in turn).
//
//   ./build/bench/engine_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "codec/json.h"
#include "crypto/keyring.h"
#include "crypto/mac.h"
#include "engine/engine.h"
#include "pipeline/workers.h"
#include "policy/policy.h"

namespace {

using namespace maskproxy;

const char kEvent[] =
    R"({"event_id":"evt-00001234","event_type":"payment.approved","occurred_at":"2026-11-26T09:12:03.120+09:00",)"
    R"("user":{"id":"u-10001","name":"김민준","rrn":"900101-1234567","phone":"010-1234-5678","birth_date":"1990-01-01",)"
    R"("email":"Minjun.Kim@example.com","address":"서울특별시 강남구 테헤란로 123"},)"
    R"("payment":{"amount":125000,"currency":"KRW","merchant":"스타벅스 강남점",)"
    R"("card":{"number":"5412 7512 3412 3456","expiry":"12/28","holder":"KIM MINJUN"}},)"
    R"("transfer":{"bank":"088","account":"110-123-456789","amount":50000},)"
    R"("recipients":[{"name":"이서연","phone":"010-9876-5432"}],)"
    R"("memo":"생일 선물","device":{"os":"android","app_version":"7.12.0","ip_country":"KR",)"
    R"("session":"3f1e0c1a-9b7d-4c2e-8a55-0d6f4e2b9c71","trace":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})";

const char kKeys[] =
    "keys:\n"
    "  rrn: {active: 1, versions: {1: Vizw4FoW1U6FmOgMSliKJ9yerETG+ZlpLQ5ZxQ9pdKs=}}\n"
    "  phone: {active: 1, versions: {1: iGVaHrdWPaaiJpGEP3skdia426qEmeh6yhkA8yQzCSE=}}\n"
    "  email: {active: 1, versions: {1: PJK3giKSsaIrv0Ig50fodG9brwbcovNu+grnKyQt13w=}}\n"
    "  account: {active: 1, versions: {1: qqRbiRMdlBMK2db2sVDGiOb49nGg/YS8EomOUroVrmY=}}\n"
    "  contact: {active: 1, versions: {1: A192PQujnXiueTTtBtYuOaR93skBAgF+1OFDizckaSU=}}\n";

// Issue 4's example: six protected fields, six actions.
const char kMixedPolicy[] =
    "policy: mixed\nversion: 1\nroutes:\n"
    "  - from: payments.raw\n    to: analytics.payments\n    dead_letter: payments.quarantine\n    rules:\n"
    "      - { path: user.rrn,            action: tokenize, key: rrn, normalize: digits }\n"
    "      - { path: user.phone,          action: fpe, key: phone, keep_prefix: 3 }\n"
    "      - { path: payment.card.number, action: mask, keep_first: 6, keep_last: 4 }\n"
    "      - { path: user.email,          action: encrypt, key: contact }\n"
    "      - { path: user.name,           action: redact }\n"
    "      - { path: user.birth_date,     action: generalize, to: year }\n";

const char kPassPolicy[] =
    "policy: pass\nversion: 1\nroutes:\n"
    "  - from: payments.raw\n    to: analytics.payments\n    dead_letter: payments.quarantine\n    rules:\n"
    "      - { path: no_such_field, action: redact }\n";

std::shared_ptr<const engine::Engine> MakeEngine(std::string policy_text = "") {
  static const crypto::Keyring keys = [] {
    auto k = crypto::Keyring::Parse(kKeys, "bench-keys");
    if (!k.ok()) std::abort();
    return std::move(k).value();
  }();
  if (policy_text.empty()) {
    std::ifstream in(std::string(MASKPROXY_SOURCE_DIR) + "/policies/payments.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    policy_text = ss.str();
  }
  auto pol = policy::Policy::Parse(policy_text, "bench.yaml", keys);
  if (!pol.ok()) {
    std::fprintf(stderr, "%s\n", pol.error().message.c_str());
    std::abort();
  }
  auto eng = engine::Engine::Create({*pol}, {});
  if (!eng.ok()) std::abort();
  return *eng;
}

void MaskLoop(benchmark::State& state, const std::string& policy_text, std::string_view event = kEvent) {
  auto eng = MakeEngine(policy_text);
  const engine::RouteRef* route = eng->FindRoute("payments.raw");
  std::string out;
  for (auto _ : state) {
    Status s = eng->MaskValue(*route, "payments.raw", event, &out);
    if (!s.ok()) state.SkipWithError(s.error().message.c_str());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(event.size()));
}

// The mixed policy on an event whose unruled members at ruled levels have
// Korean names (each one is folded to check it does not only look like a
// ruled name).
const char kEventKoreanNames[] =
    R"({"이벤트":"결제승인","발생시각":"2026-11-26T09:12:03.120+09:00","채널":"앱",)"
    R"("user":{"id":"u-10001","name":"김민준","rrn":"900101-1234567","phone":"010-1234-5678","birth_date":"1990-01-01",)"
    R"("email":"Minjun.Kim@example.com","등급":"골드","가입일":"2019-03-02","선호매장":"강남점","마케팅동의":true},)"
    R"("payment":{"card":{"number":"5412 7512 3412 3456","카드사":"국민","할부":0}},"금액":125000,"통화":"KRW"})";

void BM_MaskMixedPolicyKoreanNames(benchmark::State& state) {
  MaskLoop(state, kMixedPolicy, kEventKoreanNames);
}
BENCHMARK(BM_MaskMixedPolicyKoreanNames);

void BM_MaskMixedPolicy(benchmark::State& state) {
  MaskLoop(state, kMixedPolicy);
}
BENCHMARK(BM_MaskMixedPolicy);

void BM_PassThrough(benchmark::State& state) {
  MaskLoop(state, kPassPolicy);
}
BENCHMARK(BM_PassThrough);

void BM_MaskPaymentsPolicy(benchmark::State& state) {
  auto eng = MakeEngine();
  const engine::RouteRef* route = eng->FindRoute("payments.raw");
  std::string out;
  for (auto _ : state) {
    Status s = eng->MaskValue(*route, "payments.raw", kEvent, &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(sizeof kEvent - 1));
}
BENCHMARK(BM_MaskPaymentsPolicy);

// The payments policy with the schema-drift guard on (unlisted_fields: scan):
// the 16 strings and numbers no rule names (ids, amounts, device fields) go
// through the PII scanner; none of them holds PII, as in most events.
// policies/payments.yaml with unlisted_fields: scan; empty (and the
// benchmark skipped) if its route no longer says "unlisted_fields: keep".
std::string DriftGuardPolicy(benchmark::State& state) {
  std::ifstream in(std::string(MASKPROXY_SOURCE_DIR) + "/policies/payments.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // The route's own line (the description mentions the setting too).
  const std::string_view line = "\n    unlisted_fields: keep";
  const size_t at = text.find(line);
  if (at == std::string::npos) {
    state.SkipWithError("payments.yaml has no route line 'unlisted_fields: keep'");
    return "";
  }
  return text.replace(at, line.size(), "\n    unlisted_fields: scan");
}

void BM_MaskPaymentsWithDriftGuard(benchmark::State& state) {
  const std::string text = DriftGuardPolicy(state);
  if (!text.empty()) MaskLoop(state, text);
}
BENCHMARK(BM_MaskPaymentsWithDriftGuard);

// The whole-record call (Engine::MaskRecord) the pipeline makes: the same
// event with a key and 3 headers (trace, content type, a session id). With
// the mixed policy no rule names the key or a header (the common case: no
// per-record allocation, compare with BM_MaskMixedPolicy); with key and header
// rules the key is tokenized and one header masked.
void RecordLoop(benchmark::State& state, const std::string& policy_text) {
  auto eng = MakeEngine(policy_text);
  const engine::RouteRef* route = eng->FindRoute("payments.raw");
  const std::string key = "C-1001";
  const engine::HeaderView headers[] = {
      {"traceparent", std::string_view("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")},
      {"content-type", std::string_view("application/json")},
      {"X-Session", std::string_view("3f1e0c1a-9b7d-4c2e-8a55-0d6f4e2b9c71")}};
  engine::RecordView view{"payments.raw", std::string_view(key), std::string_view(kEvent, sizeof kEvent - 1), headers};
  engine::MaskedRecord rec;
  for (auto _ : state) {
    Status s = eng->MaskRecord(*route, view, &rec);
    if (!s.ok()) state.SkipWithError(s.error().message.c_str());
    benchmark::DoNotOptimize(rec.value.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(sizeof kEvent - 1));
}

void BM_MaskRecordMixedPolicy(benchmark::State& state) {
  RecordLoop(state, kMixedPolicy);
}
BENCHMARK(BM_MaskRecordMixedPolicy);

void BM_MaskRecordKeyAndHeaderRules(benchmark::State& state) {
  RecordLoop(state, std::string(kMixedPolicy) +
                        "      - { path: $key,              action: tokenize, key: contact }\n"
                        "      - { path: $header.x-session, action: mask, keep_last: 4 }\n");
}
BENCHMARK(BM_MaskRecordKeyAndHeaderRules);

// The pipeline's parallel masking (pipeline::MaskWorkers, what `workers: N`
// runs): one consumed batch of 500 payments records (the drift-guard policy,
// where the engine is most of a record's cost) masked by range(0) threads,
// the caller included. Wall-clock time: on idle cores N workers should
// approach N times one; end to end the main thread's serial part and the
// broker bound it (docs/BENCHMARKS.md, "The record path and workers").
void BM_MaskBatchWorkers(benchmark::State& state) {
  const std::string text = DriftGuardPolicy(state);
  if (text.empty()) return;
  auto eng = MakeEngine(text);
  const engine::RouteRef* route = eng->FindRoute("payments.raw");
  constexpr size_t kBatch = 500;
  std::vector<engine::MaskedRecord> out(kBatch);
  std::vector<Status> status(kBatch);
  pipeline::MaskWorkers workers(static_cast<int>(state.range(0)));
  const std::function<void(size_t)> mask = [&](size_t i) {
    engine::RecordView view{"payments.raw", std::nullopt, std::string_view(kEvent, sizeof kEvent - 1), {}};
    status[i] = eng->MaskRecord(*route, view, &out[i]);
  };
  for (auto _ : state) {
    workers.Run(kBatch, mask);
    if (!status[kBatch - 1].ok()) state.SkipWithError(status[kBatch - 1].error().message.c_str());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kBatch));
}
BENCHMARK(BM_MaskBatchWorkers)->Arg(1)->Arg(2)->UseRealTime();

void BM_ValidateOnly(benchmark::State& state) {
  for (auto _ : state) {
    Status s = codec::ValidateJson(kEvent, {});
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(sizeof kEvent - 1));
}
BENCHMARK(BM_ValidateOnly);

// The cryptographic floor of the policy: the 5 HMAC-SHA-256 tokens it
// computes per event (rrn, phone x2, email, account).
void BM_FiveHmacSha256(benchmark::State& state) {
  crypto::SecretBytes key(std::vector<uint8_t>(32, 7));
  auto mac = crypto::HmacSha256::Create(key);
  crypto::Sha256Digest d;
  for (auto _ : state) {
    for (const char* v : {"9001011234567", "01012345678", "01098765432", "minjun.kim@example.com", "110123456789"}) {
      Status s = mac->Compute(v, &d);
      benchmark::DoNotOptimize(s);
    }
    benchmark::DoNotOptimize(d.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FiveHmacSha256);

// The values the payments policy's 5 tokens MAC for kEvent, after
// normalization (rrn digits, two phones in canonical form, email lower-cased,
// account digits).
constexpr const char* kPaymentsMacInputs[] = {"9001011234567", "01012345678", "01098765432", "minjun.kim@example.com",
                                              "110123456789"};

int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void BM_PaymentsVsFloor(benchmark::State& state) {
  auto payments = MakeEngine();
  auto pass = MakeEngine(kPassPolicy);
  const engine::RouteRef* pay_route = payments->FindRoute("payments.raw");
  const engine::RouteRef* pass_route = pass->FindRoute("payments.raw");
  // openssl speed -hmac sha256: one EVP_MAC_CTX keyed once; per operation
  // EVP_MAC_init(ctx, NULL, 0, NULL), EVP_MAC_update, EVP_MAC_final.
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* mctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  const unsigned char key[32] = {7};
  if (!mctx || EVP_MAC_init(mctx, key, sizeof key, params) != 1) {
    state.SkipWithError("EVP_MAC HMAC-SHA-256 unavailable");
    EVP_MAC_CTX_free(mctx);
    EVP_MAC_free(mac);
    return;
  }
  constexpr int kBatch = 64;
  std::string out;
  unsigned char md[EVP_MAX_MD_SIZE];
  int64_t pay_ns = 0, pass_ns = 0, hmac_ns = 0, records = 0;
  bool ok = true;
  for (auto _ : state) {
    const int64_t t0 = ThreadCpuNs();
    for (int i = 0; i < kBatch; ++i) {
      ok &= payments->MaskValue(*pay_route, "payments.raw", kEvent, &out).ok();
      benchmark::DoNotOptimize(out.data());
    }
    const int64_t t1 = ThreadCpuNs();
    for (int i = 0; i < kBatch; ++i) {
      ok &= pass->MaskValue(*pass_route, "payments.raw", kEvent, &out).ok();
      benchmark::DoNotOptimize(out.data());
    }
    const int64_t t2 = ThreadCpuNs();
    for (int i = 0; i < kBatch; ++i) {
      for (const char* v : kPaymentsMacInputs) {
        size_t outl = 0;
        ok &= EVP_MAC_init(mctx, nullptr, 0, nullptr) == 1 &&
              EVP_MAC_update(mctx, reinterpret_cast<const unsigned char*>(v), std::strlen(v)) == 1 &&
              EVP_MAC_final(mctx, md, &outl, sizeof md) == 1;
      }
      benchmark::DoNotOptimize(md);
    }
    const int64_t t3 = ThreadCpuNs();
    pay_ns += t1 - t0;
    pass_ns += t2 - t1;
    hmac_ns += t3 - t2;
    records += kBatch;
  }
  EVP_MAC_CTX_free(mctx);
  EVP_MAC_free(mac);
  if (!ok) {
    state.SkipWithError("a record or an HMAC failed");
    return;
  }
  const double n = static_cast<double>(records);
  state.counters["payments_ns"] = static_cast<double>(pay_ns) / n;
  state.counters["pass_ns"] = static_cast<double>(pass_ns) / n;
  state.counters["hmac5_ns"] = static_cast<double>(hmac_ns) / n;
  state.counters["floor_ns"] = static_cast<double>(pass_ns + hmac_ns) / n;
  state.counters["ratio"] = static_cast<double>(pay_ns) / static_cast<double>(pass_ns + hmac_ns);
  state.SetItemsProcessed(records);
}
BENCHMARK(BM_PaymentsVsFloor);

}  // namespace

BENCHMARK_MAIN();
