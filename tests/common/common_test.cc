#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/log.h"
#include "common/metrics.h"
#include "common/text.h"

namespace maskproxy {
namespace {

TEST(Text, EditDistance) {
  EXPECT_EQ(text::EditDistance("", ""), 0u);
  EXPECT_EQ(text::EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(text::EditDistance("brokers", "brokerz"), 1u);
}

TEST(Text, SuggestsOnlyCloseWords) {
  EXPECT_EQ(text::Suggest("tokenise", {"tokenize", "mask", "redact"}), "tokenize");
  EXPECT_EQ(text::Suggest("keep_frist", {"keep_first", "keep_last"}), "keep_first");
  EXPECT_EQ(text::Suggest("zzzzzz", {"tokenize", "mask", "redact"}), "");
}

TEST(Text, Join) {
  EXPECT_EQ(text::Join({}), "");
  EXPECT_EQ(text::Join({"a", "b", "c"}), "a, b, c");
}

TEST(Metrics, CountersAreStableAndRenderAsPrometheusText) {
  metrics::Registry r;
  metrics::Counter* a = r.GetCounter("t_total", "help text", {{"reason", "invalid_json"}});
  metrics::Counter* b = r.GetCounter("t_total", "help text", {{"reason", "invalid_json"}});
  metrics::Counter* c = r.GetCounter("t_total", "help text", {{"reason", "too_large"}});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  a->Inc();
  b->Inc(2);
  c->Inc();
  EXPECT_EQ(r.Total("t_total"), 4u);
  EXPECT_EQ(r.Total("missing"), 0u);
  const std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE t_total counter"), std::string::npos);
  EXPECT_NE(text.find("t_total{reason=\"invalid_json\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("t_total{reason=\"too_large\"} 1"), std::string::npos) << text;
}

TEST(Log, LevelsParseAndFilter) {
  log::Level l;
  EXPECT_TRUE(log::ParseLevel("warn", &l));
  EXPECT_EQ(l, log::Level::kWarn);
  EXPECT_FALSE(log::ParseLevel("loud", &l));
  log::SetLevel(log::Level::kWarn);
  EXPECT_FALSE(log::Enabled(log::Level::kInfo));
  EXPECT_TRUE(log::Enabled(log::Level::kError));
  log::SetLevel(log::Level::kInfo);
}

// A log line is one line: field values with spaces, quotes or control bytes
// are quoted and escaped, so a hostile value cannot forge another log line.
TEST(Log, FieldValuesCannotBreakTheLine) {
  char path[] = "/tmp/maskproxy-logtest.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  log::Info("event_name", {{"topic", "a b\"c\nfake 2026 error injected"}, {"plain", "x.y-z"}});
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  FILE* f = fdopen(fd, "r");
  ASSERT_NE(f, nullptr);
  rewind(f);
  char buf[512] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  unlink(path);
  std::string line(buf, n);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_NE(line.find(" info event_name "), std::string::npos) << line;
  EXPECT_NE(line.find("topic=\"a b\\\"c\\x0afake 2026 error injected\""), std::string::npos) << line;
  EXPECT_NE(line.find("plain=x.y-z"), std::string::npos) << line;
}

}  // namespace
}  // namespace maskproxy
