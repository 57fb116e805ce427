#include "common/unicode.h"

#include <gtest/gtest.h>

#include <string>

namespace maskproxy::unicode {
namespace {

TEST(Unicode, DecodesAndRejectsMalformed) {
  uint32_t cp = 0;
  EXPECT_EQ(DecodeUtf8("\xEA\xB9\x80", 0, &cp), 3u);  // 김
  EXPECT_EQ(cp, 0xAE40u);
  EXPECT_EQ(DecodeUtf8("\xC0\xAF", 0, &cp), 0u);          // overlong '/'
  EXPECT_EQ(DecodeUtf8("\xED\xA0\x80", 0, &cp), 0u);      // surrogate
  EXPECT_EQ(DecodeUtf8("\xF4\x90\x80\x80", 0, &cp), 0u);  // above U+10FFFF
  EXPECT_EQ(DecodeUtf8("\xE0\xA0", 0, &cp), 0u);          // truncated
  std::string s;
  AppendUtf8(0x1F600, &s);
  EXPECT_EQ(DecodeUtf8(s, 0, &cp), 4u);
  EXPECT_EQ(cp, 0x1F600u);
}

TEST(Unicode, DefaultIgnorables) {
  for (uint32_t cp : {0xADu, 0x34Fu, 0x61Cu, 0x115Fu, 0x17B4u, 0x180Eu, 0x200Bu, 0x200Du, 0x202Eu, 0x2060u, 0x2066u,
                      0x3164u, 0xFE0Fu, 0xFEFFu, 0xFFA0u, 0x1BCA0u, 0x1D173u, 0xE0001u, 0xE0100u})
    EXPECT_TRUE(IsDefaultIgnorable(cp)) << std::hex << cp;
  for (uint32_t cp : {0x20u, 0x41u, 0xACu, 0xAEu, 0x2010u, 0x3000u, 0xAE40u, 0xFF10u})
    EXPECT_FALSE(IsDefaultIgnorable(cp)) << std::hex << cp;
}

TEST(Unicode, HiddenIsControlSeparatorOrDefaultIgnorable) {
  for (uint32_t cp : {0x0u, 0xAu, 0x1Bu, 0x7Fu, 0x85u, 0x9Fu, 0xADu, 0x200Bu, 0x2028u, 0x2029u, 0x202Eu, 0xFEFFu})
    EXPECT_TRUE(IsHidden(cp)) << std::hex << cp;
  for (uint32_t cp : {0x20u, 0x41u, 0xA0u, 0x2010u, 0x2027u, 0x2030u, 0x3000u, 0xAE40u, 0xFF10u})
    EXPECT_FALSE(IsHidden(cp)) << std::hex << cp;
}

TEST(Unicode, FoldsNamesThatOnlyLookDifferent) {
  const std::string want = "rrn";
  const std::string_view variants[] = {std::string_view("rrn"),
                                       std::string_view("RRN"),
                                       "Rrn",
                                       "rrn ",
                                       " rrn",
                                       "r rn",
                                       std::string_view("rrn\0", 4),
                                       "\xEF\xBD\x92\xEF\xBD\x92\xEF\xBD\x8E",  // ｒｒｎ
                                       "\xEF\xBC\xB2RN",                        // Ｒ RN
                                       "r\xC2\xADrn",                           // soft hyphen
                                       "rr\xE2\x80\x8Bn",                       // zero-width space
                                       "rrn\xE3\x80\x80",                       // ideographic space
                                       "r\xCD\x8Frn",
                                       "rrn\xF3\xA0\x80\x81",
                                       "\tRRN\n"};
  for (std::string_view v : variants) EXPECT_EQ(FoldName(v), want) << v;
  EXPECT_EQ(FoldName("user_rrn"), "user_rrn");
  EXPECT_EQ(FoldName("주민번호"), "주민번호");
  EXPECT_EQ(FoldName("r\xFFn"), "r\xFFn");  // invalid UTF-8 is kept
  EXPECT_EQ(FoldName(FoldName("X-Customer Phone")), FoldName("X-Customer Phone"));
}

TEST(Unicode, NameMayFoldIsASafePrecheck) {
  for (std::string_view v : {std::string_view("rrn"), std::string_view("user_id"), std::string_view("x-trace-id")}) {
    EXPECT_FALSE(NameMayFold(v)) << v;
    EXPECT_EQ(FoldName(v), v);
  }
  for (std::string_view v : {std::string_view("RRN"), std::string_view("rrn "), std::string_view("r\0", 2),
                             std::string_view("ｒｒｎ"), std::string_view("\x7F")})
    EXPECT_TRUE(NameMayFold(v)) << v;
}

// The word-at-a-time check agrees with the byte-wise definition for every
// byte value at every position of names up to 19 bytes long.
TEST(Unicode, NameMayFoldMatchesTheBytewiseDefinition) {
  auto bytewise = [](std::string_view s) {
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c <= 0x20 || c >= 0x7F || (c >= 'A' && c <= 'Z')) return true;
    }
    return false;
  };
  for (size_t len = 1; len < 20; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string s(len, 'a');
        s[pos] = static_cast<char>(b);
        ASSERT_EQ(NameMayFold(s), bytewise(s)) << "len " << len << " pos " << pos << " byte " << b;
      }
    }
  }
  EXPECT_FALSE(NameMayFold("abcdefghijklmnopqrstuvwxyz_0123456789-.@"));
}

}  // namespace
}  // namespace maskproxy::unicode
