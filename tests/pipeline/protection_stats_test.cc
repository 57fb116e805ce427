// The per-interval protection_stats lines: per route, what each rule
// protected since the last line, the rules that protected nothing, detector
// hits and dead-letter reasons (deltas of the metrics, never a value).
#include "pipeline/protection_stats.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/metrics.h"
#include "engine/engine.h"
#include "pipeline/counters.h"
#include "policy/policy.h"
#include "support/keyring_fixture.h"
#include "transform/unprotectable.h"

namespace maskproxy::pipeline {
namespace {

std::map<std::string, std::string> AsMap(const ProtectionStats::Line& line) {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : line.fields) m[std::string(k)] = v;
  return m;
}

TEST(ProtectionStats, LinesCarryTheIntervalsDeltasAndTheUnseenRules) {
  auto keys = test_keys::ParseKeyring({{"k", {test_keys::Material(0xc1)}}});
  ASSERT_TRUE(keys.ok());
  auto pol = policy::Policy::Parse(
      "policy: stats\nversion: 2\nroutes:\n"
      "  - name: statsroute\n    from: stats.src\n    to: stats.dst\n    dead_letter: stats.dlq\n    rules:\n"
      "      - { path: user.rrn, action: tokenize, key: k }\n"
      "      - { path: user.name, action: redact }\n"
      "      - { path: $key, action: tokenize, key: k }\n",
      "stats.yaml", *keys);
  ASSERT_TRUE(pol.ok()) << pol.error().ToString();
  auto eng = engine::Engine::Create({*pol}, {});
  ASSERT_TRUE(eng.ok());
  const engine::RouteRef* route = (*eng)->FindRoute("stats.src");
  ASSERT_NE(route, nullptr);

  Counters counters = Counters::Create();
  ProtectionStats stats;
  (void)stats.Collect(**eng, counters, 1000);  // the baseline (other tests share the registry)

  // Two records: both with an rrn and a key, one with a name; a dead letter.
  engine::MaskedRecord rec;
  const engine::HeaderView no_headers[1] = {};
  engine::RecordView view{"stats.src", std::string_view("key-1"),
                          std::string_view(R"({"user":{"rrn":"900101-1234567","name":"x"}})"),
                          std::span<const engine::HeaderView>(no_headers, 0)};
  ASSERT_TRUE((*eng)->MaskRecord(*route, view, &rec).ok());
  RouteInstruments& ri = counters.ForRoute(*route);
  EXPECT_EQ(&ri, &counters.ForRoute(*route));
  ri.CountProduced(counters.tally, rec);
  view.value = R"({"user":{"rrn":"900101-7654321"}})";
  ASSERT_TRUE((*eng)->MaskRecord(*route, view, &rec).ok());
  ri.CountProduced(counters.tally, rec);
  ri.CountDeadLetter(counters.tally, "invalid_json");

  auto lines = stats.Collect(**eng, counters, 30000);
  ASSERT_EQ(lines.size(), 1u);
  auto m = AsMap(lines[0]);
  EXPECT_EQ(m["route"], "statsroute");
  EXPECT_EQ(m["policy"], route->policy_label);
  EXPECT_EQ(m["interval_ms"], "30000");
  EXPECT_EQ(m["masked"], "2");
  EXPECT_EQ(m["passed"], "0");
  EXPECT_EQ(m["dead_lettered"], "1");
  EXPECT_EQ(m["values_protected"], "5");
  EXPECT_NE(m["protected"].find("user.rrn:tokenize=2"), std::string::npos) << m["protected"];
  EXPECT_NE(m["protected"].find("user.name:redact=1"), std::string::npos) << m["protected"];
  EXPECT_NE(m["protected"].find("$key:tokenize=2"), std::string::npos) << m["protected"];
  EXPECT_EQ(m["unseen"], "");
  EXPECT_EQ(m["dead_letter_reasons"], "invalid_json=1");
  EXPECT_EQ(m["protected"].find("900101"), std::string::npos);

  // The next interval: nothing happened, every rule is unseen.
  lines = stats.Collect(**eng, counters, 30000);
  ASSERT_EQ(lines.size(), 1u);
  m = AsMap(lines[0]);
  EXPECT_EQ(m["masked"], "0");
  EXPECT_EQ(m["protected"], "");
  EXPECT_NE(m["unseen"].find("user.rrn:tokenize"), std::string::npos) << m["unseen"];
  EXPECT_NE(m["unseen"].find("user.name:redact"), std::string::npos) << m["unseen"];
  EXPECT_NE(m["unseen"].find("$key:tokenize"), std::string::npos) << m["unseen"];
  EXPECT_EQ(m["dead_letter_reasons"], "");
}

// A keep rule protects nothing (found by review: a tokenize -> keep change
// counted 629 raw RRNs in maskproxy_fields_protected_total and in
// values_protected, and their records as masked): its values are counted as
// kept, and a record only keep rules met is passed.
TEST(ProtectionStats, KeptValuesAreNotProtectedOnes) {
  auto keys = test_keys::ParseKeyring({{"k", {test_keys::Material(0xc3)}}});
  ASSERT_TRUE(keys.ok());
  auto pol = policy::Policy::Parse(
      "policy: kept\nversion: 1\nroutes:\n"
      "  - name: keptroute\n    from: kept.src\n    to: kept.dst\n    dead_letter: kept.dlq\n    rules:\n"
      "      - { path: id, action: keep }\n"
      "      - { path: rrn, action: tokenize, key: k }\n",
      "kept.yaml", *keys);
  ASSERT_TRUE(pol.ok()) << pol.error().ToString();
  auto eng = engine::Engine::Create({*pol}, {});
  ASSERT_TRUE(eng.ok());
  const engine::RouteRef* route = (*eng)->FindRoute("kept.src");
  ASSERT_NE(route, nullptr);
  Counters counters = Counters::Create();
  ProtectionStats stats;
  (void)stats.Collect(**eng, counters, 1000);
  RouteInstruments& ri = counters.ForRoute(*route);
  engine::MaskedRecord rec;
  const engine::RecordView kept_only{"kept.src", std::nullopt, std::string_view(R"({"id":77})"), {}};
  ASSERT_TRUE((*eng)->MaskRecord(*route, kept_only, &rec).ok());
  EXPECT_EQ(rec.value, R"({"id":77})");
  ri.CountProduced(counters.tally, rec);
  const engine::RecordView both{"kept.src", std::nullopt, std::string_view(R"({"id":78,"rrn":"900101-1234568"})"), {}};
  ASSERT_TRUE((*eng)->MaskRecord(*route, both, &rec).ok());
  ri.CountProduced(counters.tally, rec);
  auto lines = stats.Collect(**eng, counters, 30000);
  ASSERT_EQ(lines.size(), 1u);
  auto m = AsMap(lines[0]);
  EXPECT_EQ(m["masked"], "1");
  EXPECT_EQ(m["passed"], "1");
  EXPECT_EQ(m["values_protected"], "1");
  EXPECT_EQ(m["protected"], "rrn:tokenize=1");
  EXPECT_EQ(m["kept"], "id:keep=2");
  EXPECT_EQ(m["unseen"], "");
  const std::string page = metrics::Global().Render();
  EXPECT_NE(page.find("maskproxy_fields_kept_total{route=\"keptroute\",field=\"id\"} 2"), std::string::npos);
  EXPECT_EQ(page.find("maskproxy_fields_protected_total{route=\"keptroute\",field=\"id\""), std::string::npos);
}

// maskproxy_unprotectable_values_total counts a record's redacted values
// when its transaction commits, as the other record counts: not when an
// aborted transaction's records are masked again (before, every replay
// counted them again, and the playground's dry runs counted in the running
// proxy's metrics).
TEST(ProtectionStats, UnprotectableValuesCountWhenTheRecordIsDurable) {
  auto keys = test_keys::ParseKeyring({{"k", {test_keys::Material(0xc2)}}});
  ASSERT_TRUE(keys.ok());
  auto pol = policy::Policy::Parse(
      "policy: unprot\nversion: 1\nroutes:\n"
      "  - name: unprotroute\n    from: unprot.src\n    to: unprot.dst\n    dead_letter: unprot.dlq\n    rules:\n"
      "      - { path: d, action: generalize, to: year, on_unprotectable: redact }\n",
      "unprot.yaml", *keys);
  ASSERT_TRUE(pol.ok()) << pol.error().ToString();
  auto eng = engine::Engine::Create({*pol}, {});
  ASSERT_TRUE(eng.ok());
  const engine::RouteRef* route = (*eng)->FindRoute("unprot.src");
  ASSERT_NE(route, nullptr);
  metrics::Counter* counter = transform::UnprotectableCounter("unprotroute", "d");
  const uint64_t before = counter->Value();

  Counters counters = Counters::Create();
  counters.tally.Defer(true);
  RouteInstruments& ri = counters.ForRoute(*route);
  engine::MaskedRecord rec;
  const engine::RecordView view{"unprot.src", std::nullopt, std::string_view(R"({"d":"someday"})"), {}};
  ASSERT_TRUE((*eng)->MaskRecord(*route, view, &rec).ok());
  EXPECT_EQ(rec.value, R"({"d":null})");
  EXPECT_EQ(counter->Value(), before) << "not counted while masking";
  // Masked, then its transaction aborts: dropped. Masked again, committed.
  ri.CountProduced(counters.tally, rec);
  counters.tally.Seal();
  EXPECT_EQ(counters.tally.Drop(), 0u);
  EXPECT_EQ(counter->Value(), before);
  ASSERT_TRUE((*eng)->MaskRecord(*route, view, &rec).ok());
  ri.CountProduced(counters.tally, rec);
  counters.tally.Seal();
  counters.tally.Commit();
  EXPECT_EQ(counter->Value(), before + 1);
}

}  // namespace
}  // namespace maskproxy::pipeline
