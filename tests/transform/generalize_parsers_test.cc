// The parsers behind `generalize`, on their own (the action's outputs are
// tested in actions_test.cc).
#include "transform/generalize_parsers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace maskproxy::transform::generalize {
namespace {

TEST(GeneralizeParsers, Dates) {
  int y = 0, m = 0, d = 0;
  for (const char* s : {"1990-01-31", "1990/01/31", "1990.01.31", "19900131", "1990-01-31T23:59:60Z",
                        "1990-01-31 08:30", "1990-01-31T08:30:00.123+09:00", "19900131T0830+0900"}) {
    ASSERT_TRUE(ParseDate(s, &y, &m, &d)) << s;
    EXPECT_EQ(y, 1990);
    EXPECT_EQ(m, 1);
    EXPECT_EQ(d, 31);
  }
  EXPECT_TRUE(ParseDate("2000-02-29", &y, &m, &d));
  for (const char* s : {"1990. 1. 31.", "1990.01.31.", "1990-1-31", "1990년 1월 31일", "1990-01-31 "}) {
    ASSERT_TRUE(ParseDate(s, &y, &m, &d)) << s;
    EXPECT_EQ(y * 10000 + m * 100 + d, 19900131) << s;
  }
  for (const char* s : {"1900-02-29", "1990-13-01", "1990-04-31", "0000-01-01", "1990-01-3", "1990-01/31",
                        "1990-01-31T24:00", "1990-01-31X", "1990-01-31T08:30Zjunk", "1990-01-31T08:30+24", ""})
    EXPECT_FALSE(ParseDate(s, &y, &m, &d)) << s;
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
  EXPECT_TRUE(ValidTimeSuffix(""));
  EXPECT_FALSE(ValidTimeSuffix("T"));
}

TEST(GeneralizeParsers, Digits) {
  int v = 0;
  EXPECT_TRUE(Digits("x0420", 1, 4, &v));
  EXPECT_EQ(v, 420);
  EXPECT_FALSE(Digits("12", 1, 2, &v));
  EXPECT_FALSE(Digits("1a", 0, 2, &v));
}

TEST(GeneralizeParsers, ScaledDecimals) {
  Scaled s;
  ASSERT_TRUE(ParseScaled("-12.345", 2, &s));
  EXPECT_TRUE(s.negative);
  EXPECT_EQ(static_cast<uint64_t>(s.mag), 1234u);
  EXPECT_TRUE(s.truncated);
  ASSERT_TRUE(ParseScaled("007.5e1", 0, &s));  // leading zeros and exponents allowed
  EXPECT_EQ(static_cast<uint64_t>(s.mag), 75u);
  EXPECT_FALSE(s.truncated);
  ASSERT_TRUE(ParseScaled("-0.0", 3, &s));
  EXPECT_FALSE(s.negative);  // -0 is 0
  for (const char* bad : {"", "-", "1.", ".5", "1e", "1x", "+1", "1234567890123456789012345678901234567"})
    EXPECT_FALSE(ParseScaled(bad, 0, &s)) << bad;
  EXPECT_EQ(FormatScaled(-1250, 2), "-12.50");
  EXPECT_EQ(FormatScaled(5, 3), "0.005");
  EXPECT_EQ(FormatScaled(0, 0), "0");
}

TEST(GeneralizeParsers, Provinces) {
  EXPECT_STREQ(FindProvince("서울"), "서울특별시");
  EXPECT_STREQ(FindProvince("전라북도"), "전북특별자치도");
  EXPECT_STREQ(FindProvince("제주특별자치도"), "제주특별자치도");
  EXPECT_EQ(FindProvince("서울특별"), nullptr);
  EXPECT_EQ(FindProvince(""), nullptr);
  EXPECT_EQ(SplitWords(" 경기도,성남시\t분당구\r\n"), (std::vector<std::string_view>{"경기도", "성남시", "분당구"}));
  EXPECT_TRUE(SplitWords(" ,\n").empty());
}

TEST(GeneralizeParsers, DistrictsByProvince) {
  EXPECT_TRUE(IsDistrictOf("서울특별시", "강남구"));
  EXPECT_TRUE(IsDistrictOf("경기도", "분당구"));
  EXPECT_TRUE(IsDistrictOf("경상남도", "고성군"));
  EXPECT_TRUE(IsDistrictOf("강원특별자치도", "고성군"));
  EXPECT_FALSE(IsDistrictOf("서울특별시", "김영구"));
  EXPECT_FALSE(IsDistrictOf("서울특별시", "남구"));
  EXPECT_FALSE(IsDistrictOf("세종특별자치시", "세종시"));
  EXPECT_FALSE(IsDistrictOf("서울", "강남구"));  // the official name only
  std::string_view rest;
  EXPECT_STREQ(FindProvincePrefix("서울특별시강남구", &rest), "서울특별시");
  EXPECT_EQ(rest, "강남구");
  EXPECT_STREQ(FindProvincePrefix("경기도성남시", &rest), "경기도");
  EXPECT_EQ(rest, "성남시");
  EXPECT_EQ(FindProvincePrefix("서울", &rest), nullptr);  // nothing after it
  EXPECT_EQ(FindProvincePrefix("뉴욕", &rest), nullptr);
  for (const char* w : {"06234", "(06234)", "[06234]", "135-080", "(135-080)"}) EXPECT_TRUE(IsPostcode(w)) << w;
  for (const char* w : {"0623", "062345", "(06234", "1350-80", "a6234", ""}) EXPECT_FALSE(IsPostcode(w)) << w;
}

}  // namespace
}  // namespace maskproxy::transform::generalize
