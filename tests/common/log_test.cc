// Log lines: the JSON format (fixed keys first, correct escaping, always
// valid UTF-8) and the text format; the level and format switches.
#include "common/log.h"

#include <gtest/gtest.h>

#include "common/text.h"

namespace maskproxy::log {
namespace {

TEST(LogJson, FixedKeysFirstThenFields) {
  std::string line = FormatLine(Format::kJson, "2026-01-02T03:04:05.006Z", Level::kWarn, "record_dead_lettered",
                                {{"topic", "payments.raw"}, {"partition", "3"}});
  EXPECT_EQ(line,
            "{\"ts\":\"2026-01-02T03:04:05.006Z\",\"level\":\"warn\",\"event\":\"record_dead_lettered\","
            "\"topic\":\"payments.raw\",\"partition\":\"3\"}");
}

TEST(LogJson, EscapesQuotesBackslashesAndControlCharacters) {
  std::string line = FormatLine(Format::kJson, "t", Level::kInfo, "e",
                                {{"detail", std::string("a\"b\\c\nd\te\x01"
                                                        "f\x7f",
                                                        12)}});
  EXPECT_EQ(line,
            "{\"ts\":\"t\",\"level\":\"info\",\"event\":\"e\",\"detail\":\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007f\"}");
}

TEST(LogJson, KeepsUtf8AndReplacesInvalidBytes) {
  std::string line =
      FormatLine(Format::kJson, "t", Level::kError, "e", {{"file", "정책.yaml"}, {"bad", std::string("x\xff\xc3y")}});
  EXPECT_NE(line.find("\"file\":\"정책.yaml\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"bad\":\"x\xEF\xBF\xBD\xEF\xBF\xBDy\""), std::string::npos) << line;
}

TEST(LogText, KeyValueFormatUnchanged) {
  std::string line =
      FormatLine(Format::kText, "t", Level::kInfo, "stats", {{"consumed", "10"}, {"detail", "two words"}});
  EXPECT_EQ(line, "t info stats consumed=10 detail=\"two words\"");
}

TEST(LogSettings, LevelAndFormatSwitch) {
  const Level saved_level = GetLevel();
  const Format saved_format = GetFormat();
  SetLevel(Level::kError);
  EXPECT_EQ(GetLevel(), Level::kError);
  EXPECT_FALSE(Enabled(Level::kWarn));
  EXPECT_TRUE(Enabled(Level::kError));
  SetLevel(Level::kDebug);
  EXPECT_TRUE(Enabled(Level::kDebug));
  Format f;
  ASSERT_TRUE(ParseFormat("json", &f));
  EXPECT_EQ(f, Format::kJson);
  ASSERT_TRUE(ParseFormat("text", &f));
  EXPECT_EQ(f, Format::kText);
  EXPECT_FALSE(ParseFormat("JSON", &f));
  SetFormat(Format::kJson);
  EXPECT_EQ(GetFormat(), Format::kJson);
  EXPECT_STREQ(LevelName(Level::kWarn), "warn");
  SetLevel(saved_level);
  SetFormat(saved_format);
}

TEST(TextJsonQuoted, Quotes) {
  EXPECT_EQ(text::JsonQuoted(""), "\"\"");
  EXPECT_EQ(text::JsonQuoted("a/b"), "\"a/b\"");
  EXPECT_EQ(text::JsonQuoted(std::string("\0", 1)), "\"\\u0000\"");
  EXPECT_EQ(text::JsonQuoted("\r"), "\"\\r\"");
}

}  // namespace
}  // namespace maskproxy::log
