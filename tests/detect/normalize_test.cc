// NormalizedText: what is folded, what is removed, and the map back.
#include "detect/normalize.h"

#include <gtest/gtest.h>

#include <string>

namespace maskproxy::detect {
namespace {

TEST(NormalizeTest, AsciiIsIdentityWithoutCopy) {
  const std::string s = "call 010-1234-5678 now";
  auto n = NormalizedText::Create(s);
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->identity());
  EXPECT_EQ(n->text().data(), s.data());
  size_t b = 0, e = 0;
  n->MapToOriginal(5, 18, &b, &e);
  EXPECT_EQ(b, 5u);
  EXPECT_EQ(e, 18u);
}

TEST(NormalizeTest, FullWidthDigitsLettersAndSymbols) {
  auto n = NormalizedText::Create("０１０－１２３４ ＡＢｚ＠．＋");
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->identity());
  EXPECT_EQ(n->text(), "010-1234 ABz@.+");
}

TEST(NormalizeTest, ZeroWidthRemovedSpacesAndDashesFolded) {
  auto n = NormalizedText::Create("a\u200Bb\u200C\u200D\u2060\uFEFFc\u00A0d\u2003e\u3000f\u2010g\u2013h\u2212i");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->text(), "abc d e f-g-h-i");
}

TEST(NormalizeTest, OtherNonAsciiKeptAsIs) {
  const std::string s = "주민번호 é";
  auto n = NormalizedText::Create(s);
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->identity());  // nothing to change: no copy, identity map
  EXPECT_EQ(n->text().data(), s.data());
}

TEST(NormalizeTest, MapCoversFullWidthAndInnerZeroWidth) {
  // "가" (3 bytes), then "１" (3 bytes), ZWSP (3 bytes), "2", then "나".
  const std::string s = "가１\u200B2나";
  auto n = NormalizedText::Create(s);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->text(), "가12나");
  size_t b = 0, e = 0;
  n->MapToOriginal(3, 5, &b, &e);  // "12"
  EXPECT_EQ(b, 3u);
  EXPECT_EQ(e, 10u);  // covers the ZWSP and the '2'
  EXPECT_EQ(s.substr(b, e - b), "１\u200B2");
  n->MapToOriginal(0, 1, &b, &e);  // first byte of "가" maps to the whole character
  EXPECT_EQ(b, 0u);
  EXPECT_EQ(e, 3u);
}

TEST(NormalizeTest, RejectsMalformedUtf8) {
  for (const std::string& bad :
       {std::string("ab\xC3"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80"), std::string("x\xFFy"),
        std::string("\xE2\x82"), std::string("가\xFF"), std::string("１\xC3")}) {
    auto n = NormalizedText::Create(bad);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.error().code, "invalid_utf8");
  }
}

}  // namespace
}  // namespace maskproxy::detect
