// NormalizedText: what is folded, what is removed, and the map back.
#include "detect/normalize.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
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

// A plain decoder (Unicode Table 3-7) as the reference for validity.
bool ReferenceValid(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (b0 < 0x80) {
      ++i;
      continue;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    const uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// The vector validator (32 bytes at a time, zero-padded tail) against the
// plain decoder: random mixes of ASCII, valid sequences of every length and
// malformed bytes, at lengths around the block size; and the identity fast
// path never hides a character that normalization folds.
TEST(NormalizeTest, ValidationMatchesReferenceOnGeneratedInput) {
  const std::vector<std::string> pieces = {"a",
                                           "0",
                                           " ",
                                           "가",
                                           "é",
                                           "\u00A0",
                                           "\u200B",
                                           "\u3000",
                                           "１",
                                           "－",
                                           "＠",
                                           "\uFEFF",
                                           "\U0001F600",
                                           "\uFFFD",
                                           "\xC2",
                                           "\xE0\xA0",
                                           "\xED\xA0\x80",
                                           "\xF4\x90\x80\x80",
                                           "\xC0\xAF",
                                           "\x80",
                                           "\xBF",
                                           "\xF8",
                                           "\xFF",
                                           "\xE2\x80",
                                           "\xF0\x9F\x98",
                                           "\xE0\x80\x80",
                                           "\xF0\x80\x80\x80",
                                           "\xF5\x80\x80\x80",
                                           "\xC1\x80"};
  std::mt19937 rng(7);
  int valid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const size_t target = std::uniform_int_distribution<size_t>(0, 100)(rng);
    const bool clean = i % 2 == 0;  // half the inputs without malformed pieces
    while (s.size() < target) {
      const size_t k = std::uniform_int_distribution<size_t>(0, clean ? 13 : pieces.size() - 1)(rng);
      s += pieces[k];
    }
    if (std::uniform_int_distribution<int>(0, 3)(rng) == 0 && !s.empty()) s.pop_back();  // cut a sequence short
    auto n = NormalizedText::Create(s);
    ASSERT_EQ(n.ok(), ReferenceValid(s)) << testing::PrintToString(s);
    if (!n.ok()) {
      EXPECT_EQ(n.error().code, "invalid_utf8");
      continue;
    }
    ++valid;
    // Identity exactly when no character is folded or removed.
    bool folds = false;
    for (const char* f : {"\u00A0", "\u200B", "\u3000", "１", "－", "＠", "\uFEFF"}) {
      if (s.find(f) != std::string::npos) folds = true;
    }
    EXPECT_EQ(n->identity(), !folds) << testing::PrintToString(s);
  }
  EXPECT_GT(valid, 5000);
}

TEST(NormalizeTest, CreateIntoReusesAndResets) {
  NormalizedText n;
  ASSERT_TRUE(NormalizedText::CreateInto("０１０", &n).ok());
  EXPECT_EQ(n.text(), "010");
  ASSERT_TRUE(NormalizedText::CreateInto("plain", &n).ok());
  EXPECT_TRUE(n.identity());
  EXPECT_EQ(n.text(), "plain");
  EXPECT_FALSE(NormalizedText::CreateInto("x\xFF", &n).ok());
  EXPECT_TRUE(n.text().empty());
}

}  // namespace
}  // namespace maskproxy::detect
