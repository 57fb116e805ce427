// The audit gate (src/pipeline/audit_gate.h) without Kafka: a failed append
// puts it down and keeps the event; a retry writes that event first; the
// dead-letter summary is due whenever dead letters wait; the topic form of an
// event is JSON with its members in order.
#include "pipeline/audit_gate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "support/fake_audit_sink.h"

namespace maskproxy::pipeline {
namespace {

using namespace std::chrono_literals;

audit::Event Drift(int64_t offset) {
  return AuditGate::DriftEvent("p@1#h", "r", "src", "note", "phone_kr", 0, offset);
}

TEST(AuditGate, WithoutASinkAlwaysUpAndNothingDue) {
  AuditGate gate(nullptr, "", 1000);
  EXPECT_FALSE(gate.enabled());
  EXPECT_TRUE(gate.Append(Drift(1)).ok());
  gate.NoteRecord();
  gate.NoteDeadLetter("r", "invalid_json");
  EXPECT_FALSE(gate.SummaryDue(AuditGate::Clock::now() + 1h));
  EXPECT_FALSE(gate.down());
}

TEST(AuditGate, AFailedAppendPutsItDownUntilARetryWritesThatEvent) {
  auto sink = std::make_shared<test_audit::FakeAuditSink>();
  AuditGate gate(sink, "audit", 1000);
  ASSERT_TRUE(gate.Append(Drift(1)).ok());
  sink->SetFailing(true);
  Status s = gate.Append(Drift(2));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kAuditFailed);
  EXPECT_TRUE(gate.down());
  EXPECT_NE(gate.down_reason().find("audit_failed"), std::string::npos) << gate.down_reason();
  // Down: nothing is written past the failed event, even when the sink could.
  sink->SetFailing(false);
  EXPECT_FALSE(gate.Append(Drift(3)).ok());
  sink->SetFailing(true);
  const auto t0 = AuditGate::Clock::now();
  EXPECT_FALSE(gate.Retry(t0));
  EXPECT_FALSE(gate.Retry(t0 + 10ms)) << "retried before the interval";
  EXPECT_EQ(sink->failures(), 2);
  sink->SetFailing(false);
  EXPECT_TRUE(gate.Retry(t0 + 2s));
  EXPECT_FALSE(gate.down());
  EXPECT_EQ(gate.down_reason(), "");
  const auto events = sink->events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(AuditGate::ToJson(events[1]), AuditGate::ToJson(Drift(2)));
  // The recovered event still has to go to the audit topic.
  const auto recovered = gate.TakeRecovered();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_TRUE(gate.TakeRecovered().empty());
}

// Found by review: the reveal service's appends failed (a full trail) while
// the gate, the metric and /readyz said the trail was up. Another writer's
// failure puts the gate down; Retry probes the sink until it writes.
TEST(AuditGate, AnotherWritersFailurePutsItDownUntilAProbeWrites) {
  auto sink = std::make_shared<test_audit::FakeAuditSink>();
  AuditGate gate(sink, "audit", 1000);
  gate.Observe();
  EXPECT_FALSE(gate.down());
  sink->SetFailing(true);
  ASSERT_FALSE(sink->Append(Drift(1)).ok());  // the reveal service's entry
  gate.Observe();
  EXPECT_TRUE(gate.down());
  EXPECT_NE(gate.down_reason().find("another writer"), std::string::npos) << gate.down_reason();
  const auto t0 = AuditGate::Clock::now();
  EXPECT_FALSE(gate.Retry(t0));
  EXPECT_TRUE(gate.down());
  sink->SetFailing(false);
  EXPECT_TRUE(gate.Retry(t0 + 2s));
  EXPECT_FALSE(gate.down());
  EXPECT_EQ(sink->probes(), 1);
  EXPECT_TRUE(sink->events().empty());        // a probe is the sink's own entry
  EXPECT_TRUE(gate.TakeRecovered().empty());  // nothing for the audit topic
  gate.Observe();
  EXPECT_FALSE(gate.down());
}

TEST(AuditGate, DeadLettersMakeASummaryDueAtOnceTheIntervalOtherwise) {
  auto sink = std::make_shared<test_audit::FakeAuditSink>();
  AuditGate gate(sink, "", 60000);
  const auto now = AuditGate::Clock::now();
  EXPECT_FALSE(gate.SummaryDue(now + 2h)) << "no records: nothing to summarize";
  gate.NoteRecord();
  EXPECT_FALSE(gate.SummaryDue(now));
  EXPECT_TRUE(gate.SummaryDue(now + 61s));
  gate.NoteDeadLetter("r", "invalid_json");
  gate.NoteDeadLetter("r", "invalid_json");
  gate.NoteDeadLetter("r2", "too_large_for_topic");
  EXPECT_TRUE(gate.SummaryDue(now));
  auto e = gate.AppendSummary(now + 1s);
  ASSERT_TRUE(e.ok());
  const std::string json = AuditGate::ToJson(*e);
  EXPECT_NE(json.find("\"event\":\"dead_letters\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"records\":1,\"dead_letters\":3,\"by_route_reason\":[\"r invalid_json 2\","
                      "\"r2 too_large_for_topic 1\"]"),
            std::string::npos)
      << json;
  EXPECT_FALSE(gate.SummaryDue(now + 2s)) << "the counts were reset";
  ASSERT_EQ(sink->events().size(), 1u);
  // A summary that cannot be written is kept for the retry.
  gate.NoteDeadLetter("r", "invalid_json");
  sink->SetFailing(true);
  EXPECT_FALSE(gate.AppendSummary(now + 3s).ok());
  EXPECT_TRUE(gate.down());
  sink->SetFailing(false);
  EXPECT_TRUE(gate.Retry(now + 5s));
  ASSERT_EQ(sink->events().size(), 2u);
  EXPECT_NE(AuditGate::ToJson(sink->events()[1]).find("\"dead_letters\":1"), std::string::npos);
}

TEST(AuditGate, TopicJsonEscapesNamesAndKeepsTheOrder) {
  const std::string json = AuditGate::ToJson(AuditGate::DriftEvent("p@1#h", "r\"1", "src", "a\\b", "email", 2, 42));
  EXPECT_EQ(json,
            "{\"event\":\"schema_drift\",\"policy\":\"p@1#h\",\"route\":\"r\\\"1\",\"topic\":\"src\","
            "\"field\":\"a\\\\b\",\"detector\":\"email\",\"partition\":2,\"offset\":42}");
}

}  // namespace
}  // namespace maskproxy::pipeline
