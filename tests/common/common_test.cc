#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/log.h"
#include "common/metrics.h"
#include "common/number.h"
#include "common/text.h"
#include "common/unicode.h"

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

TEST(Text, ClipBoundsWhatACallerSentAtACharacterBoundary) {
  EXPECT_EQ(text::Clip("transfers"), "transfers");
  EXPECT_EQ(text::Clip(std::string(256, 'a')), std::string(256, 'a'));
  EXPECT_EQ(text::Clip(std::string(300, 'a')), std::string(256, 'a') + "...(300 bytes)");
  // "가" is 3 bytes: 4 of them cut at 10 bytes keep 3 whole characters.
  EXPECT_EQ(text::Clip("가가가가", 10), "가가가...(12 bytes)");
}

TEST(Text, Join) {
  EXPECT_EQ(text::Join({}), "");
  EXPECT_EQ(text::Join({"a", "b", "c"}), "a, b, c");
}

TEST(Text, OneLineEscapesWhatCouldBreakOrHideALine) {
  EXPECT_EQ(text::OneLine("plain 'name' \"q\" \\d+ 주민등록번호"), "plain 'name' \"q\" \\d+ 주민등록번호");
  EXPECT_EQ(text::OneLine("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(text::OneLine(std::string_view("a\0b\x1b[2Jc\x7f", 9)), "a\\x00b\\x1B[2Jc\\x7F");
  EXPECT_EQ(text::OneLine("\xC2\x85"), "\\u{0085}");                     // NEL, a C1 line break
  EXPECT_EQ(text::OneLine("a\u2028b\u2029c"), "a\\u{2028}b\\u{2029}c");  // line, paragraph separator
  EXPECT_EQ(text::OneLine("rrn\u202Elive"), "rrn\\u{202E}live");         // right-to-left override
  EXPECT_EQ(text::OneLine("x\u200By\uFEFF"), "x\\u{200B}y\\u{FEFF}");    // zero-width space, BOM
  EXPECT_EQ(text::OneLine("\x92\x8f"
                          "ok"
                          "\xE2\x82"),
            "\\x92\\x8Fok\\xE2\\x82");                          // not UTF-8
  EXPECT_EQ(text::OneLine("\xED\xA0\x80"), "\\xED\\xA0\\x80");  // a surrogate
}

// What `maskproxy reveal` prints as plain text: one line, nothing a
// terminal acts on (found by review: "victim\nsecond-line" printed two lines).
TEST(Text, IsOneLine) {
  for (const char* ok :
       {"", "victim@a.com", "plain 'name' \"q\" \\d+ 주민등록번호", "010-1234-5678", "a b", "x\u200By"})
    EXPECT_TRUE(text::IsOneLine(ok)) << ok;
  for (std::string_view bad :
       {std::string_view("victim\nsecond-line"), std::string_view("a\rb"), std::string_view("a\tb"),
        std::string_view("a\0b", 3), std::string_view("\x1b[2J"), std::string_view("del\x7f"),
        std::string_view("\xC2\x85"),
        std::string_view("\xC2\x9B"
                         "31m"),
        std::string_view("a\u2028b"), std::string_view("a\u2029b"), std::string_view("\xff"),
        // bidirectional formatting reorders what is shown (found by a second review)
        std::string_view("rrn\u202Elive"), std::string_view("a\u2066b"), std::string_view("a\u200Eb"),
        std::string_view("a\u061Cb"), std::string_view("\xED\xA0\x80")})
    EXPECT_FALSE(text::IsOneLine(bad)) << text::OneLine(bad);
}

TEST(Text, OneLineOutputIsPrintableUtf8ForEveryByteAndPair) {
  const auto check = [](std::string_view in) {
    const std::string out = text::OneLine(in);
    for (size_t i = 0; i < out.size();) {
      const auto c = static_cast<unsigned char>(out[i]);
      ASSERT_FALSE(c < 0x20 || c == 0x7f) << "control byte in the output of a " << in.size() << "-byte input";
      uint32_t cp = 0;
      const size_t n = c < 0x80 ? 1 : unicode::DecodeUtf8(out, i, &cp);
      ASSERT_NE(n, 0u) << "output is not UTF-8";
      if (n > 1) {
        ASSERT_FALSE(unicode::IsControl(cp) || unicode::IsDefaultIgnorable(cp) || cp == 0x2028);
      }
      i += n;
    }
  };
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) {
      const char in[2] = {static_cast<char>(a), static_cast<char>(b)};
      check(std::string_view(in, 2));
    }
  for (uint32_t cp = 0x80; cp < 0x30000; ++cp) {
    if (cp >= 0xD800 && cp < 0xE000) continue;
    std::string in;
    unicode::AppendUtf8(cp, &in);
    check(in);
  }
}

TEST(Text, LocatedIsOneLine) {
  EXPECT_EQ(text::Located("p.yaml", 3, 7, "unknown key 'a\nb'"), "p.yaml:3:7: unknown key 'a\\nb'");
  EXPECT_EQ(text::Located("p.yaml", 0, 0, "missing 'routes'"), "p.yaml: missing 'routes'");
  EXPECT_EQ(text::Located("dir\n/p.yaml", 1, 1, "x"), "dir\\n/p.yaml:1:1: x");
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

namespace maskproxy {
namespace {

// What a lenient reader takes a text for (found by review: "+9.001011234567e12"
// and "9,001,011,234,567" passed as text, while Python, JavaScript and
// spreadsheets read the RRN 9001011234567).
TEST(Number, LenientNumberReadsWhatReadersRead) {
  EXPECT_EQ(number::LenientNumber("+9.001011234567e12"), "9.001011234567e12");
  EXPECT_EQ(number::LenientNumber(".9001011234567e13"), "0.9001011234567e13");
  EXPECT_EQ(number::LenientNumber("-.5"), "-0.5");
  EXPECT_EQ(number::LenientNumber(" 9.001011234567e12\n"), "9.001011234567e12");
  EXPECT_EQ(number::LenientNumber("9,001,011,234,567"), "9001011234567");
  EXPECT_EQ(number::LenientNumber("9_001_011_234_567"), "9001011234567");
  EXPECT_EQ(number::LenientNumber("0009001011234567"), "9001011234567");
  EXPECT_EQ(number::LenientNumber("9001011234567."), "9001011234567");
  for (const char* no :
       {"9001011234567", "1,23", "12,3456", "abc", "", "+", ".", "1e", "1,234,", "_1", "1__2", "0x1f", "1 2", "--1"})
    EXPECT_EQ(number::LenientNumber(no), "") << no;
}

}  // namespace
}  // namespace maskproxy
