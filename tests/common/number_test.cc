#include "common/number.h"

#include <gtest/gtest.h>

#include <string>

namespace maskproxy::number {
namespace {

TEST(JsonNumber, AcceptsTheRfc8259Grammar) {
  for (const char* s : {"0", "-0", "1", "-1", "10", "1234567890", "0.5", "-0.5", "1.25", "1e5", "1E5", "1e+5", "1E+5",
                        "1e-5", "0e0", "-0.0e-0", "12.340E+10", "1e999999999999999999999",
                        "123456789012345678901234567890123456789012345678901234567890"})
    EXPECT_TRUE(IsJsonNumber(s)) << s;
}

TEST(JsonNumber, RejectsWhatTheGrammarDoesNot) {
  for (const char* s : {"",         "-",         "+1",   "01",    "-01",  "00",  "1.",  ".5",          "-.5", "1e",
                        "1E+",      "1e-",       "1.e5", "0x10",  "1 ",   " 1",  "\t1", "1\n",         "1,5", "NaN",
                        "Infinity", "-Infinity", "1..2", "1e5.0", "1ee5", "--1", "1-",  "\xEF\xBC\x91"})
    EXPECT_FALSE(IsJsonNumber(s)) << s;
}

TEST(JsonNumber, IntegersHaveNoFractionOrExponent) {
  for (const char* s : {"0", "-0", "7", "-12", "9007199254740993", "123456789012345678901234567890"})
    EXPECT_TRUE(IsJsonInteger(s)) << s;
  for (const char* s : {"", "-", "01", "1.0", "1e5", "1E5", "-0.0", "+1", " 1", "1 "})
    EXPECT_FALSE(IsJsonInteger(s)) << s;
}

// The scanner reports where a number ends and where and why it failed (the
// codec's error messages and byte offsets come from this).
TEST(JsonNumber, ScanStopsAfterTheNumberOrAtTheFailure) {
  auto scan = [](std::string_view s) { return ScanJsonNumber(s.data(), s.data() + s.size()); };
  auto at = [](std::string_view s, const JsonNumberScan<const char*>& r) { return r.end - s.data(); };
  std::string_view s = "-12.5e3,";
  auto r = scan(s);
  EXPECT_EQ(r.error, JsonNumberError::kNone);
  EXPECT_EQ(at(s, r), 7);
  s = "0123";  // a leading zero ends the number; the rest is the caller's
  r = scan(s);
  EXPECT_EQ(r.error, JsonNumberError::kNone);
  EXPECT_EQ(at(s, r), 1);
  s = "-";
  r = scan(s);
  EXPECT_EQ(r.error, JsonNumberError::kTruncated);
  EXPECT_EQ(at(s, r), 1);
  s = "-x";
  r = scan(s);
  EXPECT_EQ(r.error, JsonNumberError::kBadStart);
  EXPECT_EQ(at(s, r), 0);
  s = "1.x";
  r = scan(s);
  EXPECT_EQ(r.error, JsonNumberError::kBadFraction);
  EXPECT_EQ(at(s, r), 2);
  s = "1e+";
  r = scan(s);
  EXPECT_EQ(r.error, JsonNumberError::kBadExponent);
  EXPECT_EQ(at(s, r), 3);
  // unsigned char pointers (the codec's) scan the same way
  const auto* u = reinterpret_cast<const unsigned char*>("5E-2]");
  auto ru = ScanJsonNumber(u, u + 5);
  EXPECT_EQ(ru.error, JsonNumberError::kNone);
  EXPECT_EQ(ru.end - u, 4);
}

}  // namespace
}  // namespace maskproxy::number
