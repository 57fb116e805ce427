// FindingReporter: the first sighting of each unlisted field is logged, and
// past the metric's series cap one line says how many were not.
#include "pipeline/findings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/policy.h"

namespace maskproxy::pipeline {
namespace {

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Found by review: past 1,000 fields the log went quiet without a word.
TEST(FindingReporterTest, FieldsPastTheSeriesCapAreSaidNotLogged) {
  Counters counters = Counters::Create();
  AuditGate audit(nullptr, "", 1000);
  FindingReporter reporter(counters, audit);
  policy::Route route;
  route.name = "findings-test";
  const engine::RouteRef ref{nullptr, &route, "p@1#0"};
  std::vector<audit::Event> appended;
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 1200; ++i) {
    engine::MaskedRecord rec;
    rec.findings.push_back({"extra.field_" + std::to_string(i), "phone_kr", true});
    ASSERT_TRUE(reporter.Report(rec, ref, "findings.test", 0, i, &appended).ok());
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  // The series go again: the family's cap is the process's, and other tests
  // of this binary count series of their own in it.
  metrics::Family& family =
      metrics::Global().Counters("maskproxy_unlisted_pii_total", "", {"topic", "field", "detector"});
  for (int i = 0; i < 1200; ++i) family.Remove({"findings.test", "extra.field_" + std::to_string(i), "phone_kr"});
  family.Remove({"findings.test", "_other", "phone_kr"});
  EXPECT_EQ(Count(log, "unlisted_pii topic=findings.test"), 1000U);
  EXPECT_EQ(Count(log, "unlisted_pii_not_logged"), 1U) << "once, then not again within a minute";
  EXPECT_NE(log.find("similar_suppressed=1 "), std::string::npos) << log.substr(log.find("unlisted_pii_not_logged"));
}

}  // namespace
}  // namespace maskproxy::pipeline
