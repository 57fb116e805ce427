// What the metrics cost per record, side by side in one run:
//  - BM_Record_MetricsOff: the whole-record engine call the pipeline makes
//    (Engine::MaskRecord) on the ~1 KB payment event through the shipped
//    policies/payments.yaml (12 rules), nothing counted;
//  - BM_Record_MetricsOn: the same, plus everything Pipeline::Process adds
//    for metrics: two clock reads, the route's outcome counter, one counter
//    per protected value (RouteInstruments::CountProduced, the pipeline's own
//    code), the processing-time histogram;
//  - BM_Instrumentation: that addition alone;
//  - BM_CounterInc / BM_HistogramObserve: the primitives, also with 2
//    threads incrementing one series (contention on one cache line).
//
//   ./build/bench/metrics_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "common/metrics.h"
#include "crypto/keyring.h"
#include "engine/engine.h"
#include "pipeline/counters.h"
#include "policy/policy.h"

namespace {

using namespace maskproxy;
using Clock = std::chrono::steady_clock;

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
    "  phone: {active: 1, versions: {1: x2OwUaBtD6Iue9hukbQ0BoatjuowPiEXubGDrCFdqLc=}}\n"
    "  email: {active: 1, versions: {1: +LoF4Ha4++uXSzbFWl3oAAkxcsjo+Ci5ymniG1nx3qM=}}\n"
    "  account: {active: 1, versions: {1: TbgsfagbMlPrCQzz/Lv/wLIo8JPbPTK6S9rUfirTTd0=}}\n"
    "  contact: {active: 1, versions: {1: pxyP2KvKfWKgoi/wef6TjTSrisbLb4XR7tOEidEuIYc=}}\n";

std::shared_ptr<const engine::Engine> PaymentsEngine() {
  static const std::shared_ptr<const engine::Engine> eng = [] {
    auto keys = crypto::Keyring::Parse(kKeys, "bench-keys");
    if (!keys.ok()) std::abort();
    std::ifstream in(std::string(MASKPROXY_SOURCE_DIR) + "/policies/payments.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    auto pol = policy::Policy::Parse(ss.str(), "payments.yaml", *keys);
    if (!pol.ok()) {
      std::fprintf(stderr, "%s\n", pol.error().message.c_str());
      std::abort();
    }
    auto e = engine::Engine::Create({*pol}, {});
    if (!e.ok()) std::abort();
    return *e;
  }();
  return eng;
}

struct Fixture {
  std::shared_ptr<const engine::Engine> eng = PaymentsEngine();
  const engine::RouteRef* route = eng->FindRoute("payments.raw");
  const std::string key = "C-1001";
  const engine::HeaderView headers[2] = {
      {"traceparent", std::string_view("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")},
      {"content-type", std::string_view("application/json")}};
  engine::RecordView view{"payments.raw", std::string_view(key), std::string_view(kEvent, sizeof kEvent - 1), headers};
  engine::MaskedRecord rec;
};

void BM_Record_MetricsOff(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) {
    Status s = f.eng->MaskRecord(*f.route, f.view, &f.rec);
    if (!s.ok()) state.SkipWithError(s.error().message.c_str());
    benchmark::DoNotOptimize(f.rec.value.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Record_MetricsOff);

void BM_Record_MetricsOn(benchmark::State& state) {
  Fixture f;
  pipeline::Counters counters = pipeline::Counters::Create();
  pipeline::RouteInstruments& ri = counters.ForRoute(*f.route);
  // As exactly-once counts: held until the transaction (here every 1,000
  // records) commits.
  counters.tally.Defer(true);
  uint64_t n = 0;
  for (auto _ : state) {
    const Clock::time_point started = Clock::now();
    counters.tally.Record();
    counters.tally.Add(counters.consumed);
    Status s = f.eng->MaskRecord(*f.route, f.view, &f.rec);
    if (!s.ok()) state.SkipWithError(s.error().message.c_str());
    benchmark::DoNotOptimize(f.rec.value.data());
    counters.tally.Add(counters.masked);
    ri.CountProduced(counters.tally, f.rec);
    ri.processing->Observe(std::chrono::duration<double>(Clock::now() - started).count());
    if (++n % 1000 == 0) {
      counters.tally.Seal();
      counters.tally.Commit();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["values_per_record"] = static_cast<double>(f.rec.applied.size());
}
BENCHMARK(BM_Record_MetricsOn);

void BM_Instrumentation(benchmark::State& state) {
  Fixture f;
  if (!f.eng->MaskRecord(*f.route, f.view, &f.rec).ok()) state.SkipWithError("mask failed");
  pipeline::Counters counters = pipeline::Counters::Create();
  pipeline::RouteInstruments& ri = counters.ForRoute(*f.route);
  counters.tally.Defer(true);  // as exactly-once counts (above)
  uint64_t n = 0;
  for (auto _ : state) {
    const Clock::time_point started = Clock::now();
    counters.tally.Record();
    counters.tally.Add(counters.consumed);
    counters.tally.Add(counters.masked);
    ri.CountProduced(counters.tally, f.rec);
    ri.processing->Observe(std::chrono::duration<double>(Clock::now() - started).count());
    if (++n % 1000 == 0) {
      counters.tally.Seal();
      counters.tally.Commit();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Instrumentation);

void BM_CounterInc(benchmark::State& state) {
  static metrics::Counter* c = metrics::Global().Counters("bench_counter_total", "bench").CounterWith({});
  for (auto _ : state) c->Inc();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CounterInc)->Threads(1)->Threads(2);

void BM_HistogramObserve(benchmark::State& state) {
  static metrics::Histogram* h =
      metrics::Global().Histograms("bench_seconds", "bench", metrics::LatencyBuckets()).HistogramWith({});
  double v = 1e-5;
  for (auto _ : state) {
    h->Observe(v);
    v = v < 1 ? v * 1.7 : 1e-5;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

}  // namespace

BENCHMARK_MAIN();
