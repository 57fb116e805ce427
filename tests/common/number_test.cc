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

TEST(JsonNumber, ReadableDigitsGiveTheExactValueAndTheSignificantDigits) {
  struct Case {
    const char* in;
    const char* plain;
    const char* significand;
  };
  const Case cases[] = {
      {"9.001011234567e12", "9001011234567", "9001011234567"},
      {"4111111111111111.0", "4111111111111111", "4111111111111111"},
      {"90010112345670e-1", "9001011234567", "9001011234567"},
      {"9.001011234567E+12", "9001011234567", "9001011234567"},
      {"-15e-4", "-0.0015", "15"},
      {"9.001011234567e-5", "0.00009001011234567", "9001011234567"},
      {"1.25", "1.25", "125"},
      {"0.0", "0", ""},
      {"-0e5", "0", ""},
      {"1e3", "1000", "1"},
      {"120.500e1", "1205", "1205"},
      {"0.000e-7", "0", ""},
  };
  for (const auto& c : cases) {
    const DigitForms f = ReadableDigits(c.in);
    EXPECT_EQ(f.plain, c.plain) << c.in;
    EXPECT_EQ(f.significand, c.significand) << c.in;
  }
  // Too long to write out: only the significand; huge exponents do not overflow.
  EXPECT_EQ(ReadableDigits("9.001011234567e400").plain, "");
  EXPECT_EQ(ReadableDigits("9.001011234567e400").significand, "9001011234567");
  EXPECT_EQ(ReadableDigits("1e99999999999999999999999").plain, "");
  EXPECT_EQ(ReadableDigits("1e-99999999999999999999999").significand, "1");
  EXPECT_EQ(ReadableDigits("1e63").plain, std::string("1") + std::string(63, '0'));
  EXPECT_EQ(ReadableDigits("1e64").plain, "");
  EXPECT_EQ(ReadableDigits("1e64", 65).plain, std::string("1") + std::string(64, '0'));
}

}  // namespace
}  // namespace maskproxy::number
