// Batch mode throughput on one core: MaskStream over an in-memory JSON Lines
// file of reference payment events (the ~1 KB event of engine_bench.cc)
// through the shipped policy (policies/payments.yaml), side by side with a
// pass-through route (one rule on a field the events do not have: strict
// validation and copying only), and similar rows as CSV through four
// single-key rules.
//
//   ./build/bench/batch_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <streambuf>
#include <string>

#include "batch/batch.h"
#include "crypto/keyring.h"
#include "engine/engine.h"
#include "policy/policy.h"

namespace {

using namespace maskproxy;

const char kEventHead[] = R"({"event_id":"evt-)";
const char kEventTail[] =
    R"(","event_type":"payment.approved","occurred_at":"2026-11-26T09:12:03.120+09:00",)"
    R"("user":{"id":"u-10001","name":"김민준","rrn":"900101-1234567","phone":"010-1234-5678",)"
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
    "  phone: {active: 1, versions: {1: 5T0k6lX4/SvnRxfHuv+RmqqviNfmGTgrOIAK3fMNceI=}}\n"
    "  email: {active: 1, versions: {1: off4UWbGFNOVUGA9am2d0VJvibt7bo9M7fA8WooVq9c=}}\n"
    "  account: {active: 1, versions: {1: eiov20gin+m66H7R7ZmZWs6sDzLztXrvyXIQGWX/Zpk=}}\n";

const char kPassThrough[] =
    "policy: passthrough\nversion: 1\nroutes:\n"
    "  - from: pass.raw\n    to: pass.out\n    dead_letter: pass.dlq\n"
    "    rules: [{ path: no_such_field, action: redact }]\n";

// CSV rules must name columns: pass-through keeps one existing column.
const char kCsvPassThrough[] =
    "policy: csvpass\nversion: 1\nroutes:\n"
    "  - from: csvpass.raw\n    to: csvpass.out\n    dead_letter: csvpass.dlq\n"
    "    rules: [{ path: rrn, action: keep }]\n";

const char kCsvPolicy[] =
    "policy: csv\nversion: 1\nroutes:\n"
    "  - from: csv.raw\n    to: csv.out\n    dead_letter: csv.dlq\n    rules:\n"
    "      - { path: rrn, action: tokenize, key: rrn, normalize: digits }\n"
    "      - { path: phone, action: tokenize, key: phone, normalize: digits }\n"
    "      - { path: name, action: mask, keep_first: 1 }\n"
    "      - { path: card, action: mask, keep_first: 6, keep_last: 4 }\n";

std::shared_ptr<const engine::Engine> MakeEngine() {
  static std::shared_ptr<const engine::Engine> eng = [] {
    auto keys = crypto::Keyring::Parse(kKeys, "bench-keys");
    if (!keys.ok()) std::abort();
    std::ifstream in(std::string(MASKPROXY_SOURCE_DIR) + "/policies/payments.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    auto pol = policy::Policy::Parse(ss.str(), "payments.yaml", *keys);
    auto pass = policy::Policy::Parse(kPassThrough, "passthrough.yaml", *keys);
    auto csv = policy::Policy::Parse(kCsvPolicy, "csv.yaml", *keys);
    auto csv_pass = policy::Policy::Parse(kCsvPassThrough, "csvpass.yaml", *keys);
    for (const auto* r : {&pol, &pass, &csv, &csv_pass}) {
      if (!r->ok()) {
        std::fprintf(stderr, "%s\n", r->error().ToString().c_str());
        std::abort();
      }
    }
    auto e = engine::Engine::Create({*pol, *pass, *csv, *csv_pass}, {});
    if (!e.ok()) {
      std::fprintf(stderr, "%s\n", e.error().ToString().c_str());
      std::abort();
    }
    return *e;
  }();
  return eng;
}

// ~20 MB of JSON Lines: the reference event with distinct ids.
const std::string& Jsonl() {
  static const std::string data = [] {
    std::string s;
    for (int i = 0; i < 20000; ++i) {
      s += kEventHead;
      s += std::to_string(10000000 + i);
      s += kEventTail;
      s += '\n';
    }
    return s;
  }();
  return data;
}

const std::string& Csv() {
  static const std::string data = [] {
    std::string s = "event_id,name,rrn,phone,card,merchant,amount,memo\n";
    for (int i = 0; i < 100000; ++i)
      s += "evt-" + std::to_string(10000000 + i) +
           ",김민준,900101-1234567,010-1234-5678,5412 7512 3412 3456,\"스타벅스, 강남점\",125000,생일 선물\n";
    return s;
  }();
  return data;
}

// Reads a buffer in place (no copy into the stream).
class MemIn : public std::streambuf {
 public:
  explicit MemIn(const std::string& s) {
    char* p = const_cast<char*>(s.data());
    setg(p, p, p + s.size());
  }
};

// Discards output (as a fast sink would), counting bytes.
class NullOut : public std::streambuf {
 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
  int_type overflow(int_type c) override { return traits_type::not_eof(c); }
};

void Run(benchmark::State& state, const char* topic, const std::string& data, batch::Format format) {
  auto eng = MakeEngine();
  const engine::RouteRef* route = eng->FindRoute(topic);
  batch::BatchOptions opt;
  opt.format = format;
  uint64_t records = 0;
  for (auto _ : state) {
    MemIn inbuf(data);
    std::istream in(&inbuf);
    NullOut outbuf, qbuf;
    std::ostream out(&outbuf), q(&qbuf);
    auto st = batch::MaskStream(*eng, *route, in, out, &q, opt);
    if (!st.ok() || st->quarantined != 0) {
      state.SkipWithError("MaskStream failed");
      break;
    }
    records += st->records;
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(data.size()));
  state.SetItemsProcessed(static_cast<int64_t>(records));
}

void BM_JsonlPaymentsPolicy(benchmark::State& state) {
  Run(state, "payments.raw", Jsonl(), batch::Format::kJsonLines);
}
BENCHMARK(BM_JsonlPaymentsPolicy)->Unit(benchmark::kMillisecond);

void BM_JsonlPassThrough(benchmark::State& state) {
  Run(state, "pass.raw", Jsonl(), batch::Format::kJsonLines);
}
BENCHMARK(BM_JsonlPassThrough)->Unit(benchmark::kMillisecond);

void BM_CsvFourRules(benchmark::State& state) {
  Run(state, "csv.raw", Csv(), batch::Format::kCsv);
}
BENCHMARK(BM_CsvFourRules)->Unit(benchmark::kMillisecond);

void BM_CsvPassThrough(benchmark::State& state) {
  Run(state, "csvpass.raw", Csv(), batch::Format::kCsv);
}
BENCHMARK(BM_CsvPassThrough)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
