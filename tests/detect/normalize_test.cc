// NormalizedText: what is folded, what is removed, and the map back.
#include "detect/normalize.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/unicode.h"

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

// A run of separators typed between digit groups reads as one blank (a
// review found "900101--1234568" and "010..1234..5678" passing; a later one
// found a run kept as its first character gluing a number to the next,
// "02-123-4567...3회"), on the ASCII path, after folding and through
// escapes; the map covers the run.
TEST(NormalizeTest, SeparatorRunsBetweenDigitsReadAsOneBlank) {
  for (const auto& [in, want] : std::vector<std::pair<std::string, std::string>>{
           {"call 010--1234--5678 now", "call 010 1234 5678 now"},
           {"900101..1234568", "900101 1234568"},
           {"010.-1234.-5678", "010 1234 5678"},
           {"010 -- 1234 -- 5678", "010 1234 5678"},
           {"010  --  1234", "010 1234"},
           {"010 - - 1234 - - 5678", "010 1234 5678"},
           {"010//1234//5678", "010 1234 5678"},
           {"900101~~1234568", "900101 1234568"},
           {"010___1234", "010 1234"},
           {"02-123-4567...3회", "02-123-4567 3회"},
           {"10.0.0.1..10.0.0.255", "10.0.0.1 10.0.0.255"},
           {"900101\u2014\u20141234568", "900101 1234568"},  // escaped em dashes
           {"９００１０１－－１２３４５６８", "900101 1234568"},
           // A run at a 16-byte block's edge (the vector search reads blocks).
           {"xxxxxxxxxxxxxx1--2", "xxxxxxxxxxxxxx1 2"},
           {"xxxxxxxxxxxxxxx1--2", "xxxxxxxxxxxxxxx1 2"},
           {"xxxxxxxxxxxxxxxx1--2", "xxxxxxxxxxxxxxxx1 2"},
           {"xxxxxxxxxxxxxx1 - - 2", "xxxxxxxxxxxxxx1 2"},
           {"xxxxxxxxxxxxxxx1- -2", "xxxxxxxxxxxxxxx1 2"},
       }) {
    auto n = NormalizedText::Create(in);
    ASSERT_TRUE(n.ok()) << in;
    EXPECT_EQ(n->text(), want) << in;
  }
  // Not between digits: left as written.
  for (const std::string in : {"a--b", "--flag 1", "version 1.. next", "wait... 3", "1 -- x", "__init__ 2",
                               "2001:db8::1", "fe80::1ff:fe23:4567:890a", "010 - 1234", "1 -   - 2"}) {
    auto n = NormalizedText::Create(in);
    ASSERT_TRUE(n.ok()) << in;
    EXPECT_EQ(n->text(), in);
    EXPECT_TRUE(n->identity()) << in;
  }
  // The map of the blank's neighbours covers the removed separators.
  const std::string s = "tel 010--1234--5678.";
  auto n = NormalizedText::Create(s);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->text(), "tel 010 1234 5678.");
  size_t b = 0, e = 0;
  n->MapToOriginal(4, 17, &b, &e);
  EXPECT_EQ(s.substr(b, e - b), "010--1234--5678");
  EXPECT_FALSE(n->Seam(8));  // " 1": the removed '-' sets nothing apart
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

// Escapes are read as what they stand for: percent escapes (printable
// ASCII, whole well-formed UTF-8 sequences), \uXXXX with surrogate pairs,
// HTML character references; a span covers whole escapes.
TEST(NormalizeTest, ReadsThroughEscapes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"010%2D1234%2D5678", "010-1234-5678"},
      {"minjun%40example.com", "minjun@example.com"},
      {"%EC%97%B0%EB%9D%BD%EC%B2%98%20010", "연락처 010"},
      {"line%0D%0Anext%09x", "line\r\nnext\tx"},  // encoded line breaks and tabs
      {"\\uc8fc\\ubbfc900101", "주민900101"},
      {"010\\uff0d1234", "010-1234"},  // then folded as any full-width dash
      {"\\ud83d\\ude00 x", "\U0001F600 x"},
      {"010&#45;1234&#x2D;5678&nbsp;!", "010-1234-5678 !"},
      {"a\\u0000b", "ab"},  // a NUL, removed as any control
  };
  for (const auto& [in, want] : cases) {
    auto n = NormalizedText::Create(in);
    ASSERT_TRUE(n.ok()) << in;
    EXPECT_FALSE(n->identity()) << in;
    EXPECT_EQ(n->text(), want) << in;
    size_t b = 0, e = 0;
    n->MapToOriginal(0, n->text().size(), &b, &e);
    EXPECT_EQ(b, 0u) << in;
    EXPECT_EQ(e, in.size()) << in;
  }
  // What is no escape stays as it is (and keeps the identity path).
  for (const std::string in :
       {"50% 할인",    "10%",   "%zz%4",        "%C3 x",     "%C3%2",   "%ED%A0%80",  "%C0%AF",   "\\ud800 x",
        "\\udc00",     "\\u12", "C:\\users\\x", "&#;",       "&#0;",    "&#1114112;", "&#xD800;", "&amp;",
        "&#12345678;", "a&b",   "%01",          "%30%31%30", "10%4111", "%7F"}) {
    auto n = NormalizedText::Create(in);
    ASSERT_TRUE(n.ok()) << in;
    EXPECT_EQ(n->text(), in) << in;
  }
  // The map goes through both steps: a decoded escape, then a folded
  // character ("\uff10" is a full-width zero).
  const std::string s = "a%2D\\uff10b";
  auto n = NormalizedText::Create(s);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->text(), "a-0b");
  size_t b = 0, e = 0;
  n->MapToOriginal(1, 2, &b, &e);
  EXPECT_EQ(s.substr(b, e - b), "%2D");
  n->MapToOriginal(2, 3, &b, &e);
  EXPECT_EQ(s.substr(b, e - b), "\\uff10");
  // A decoded character a reader sees apart stays apart (Seam reads the
  // decoded text): "&#9312;" is a circled one, "&#185;" a superscript one.
  const std::string circled = "&#9312;010";
  auto c = NormalizedText::Create(circled);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->text(), "1010");
  EXPECT_TRUE(c->Seam(1));
  EXPECT_FALSE(c->Seam(2));
  // Malformed UTF-8 outside the escapes still fails.
  EXPECT_FALSE(NormalizedText::Create("%2D\xFF").ok());
}

// The names' pre-check says "maybe" for every character whose
// normalization holds an ASCII digit, '@' or ':', over all of Unicode (its
// table is read off the normalization's own), and "no" for the rest of the
// BMP and plane 1.
TEST(NormalizeTest, MayNormalizeToDigitAtOrColonAgreesWithTheNormalization) {
  size_t maybe = 0;
  for (uint32_t cp = 1; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string text;
    unicode::AppendUtf8(cp, &text);
    auto n = NormalizedText::Create(text);
    ASSERT_TRUE(n.ok()) << cp;
    const bool want = n->text().find_first_of("0123456789@:") != std::string_view::npos;
    if (cp < 0x20000) {
      ASSERT_EQ(MayNormalizeToDigitAtOrColon(text), want) << std::hex << cp;
    } else if (want) {  // above plane 1 the answer is "maybe" for a lead byte that can start one
      ASSERT_TRUE(MayNormalizeToDigitAtOrColon(text)) << std::hex << cp;
    }
    maybe += want ? 1 : 0;
  }
  EXPECT_GT(maybe, 700u);  // the ASCII ones, 680 decimal digits, the digit forms, ...
}

TEST(NormalizeTest, RejectsMalformedUtf8) {
  for (const std::string& bad :
       {std::string("ab\xC3"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80"), std::string("x\xFFy"),
        std::string("\xE2\x82"), std::string("가\xFF"), std::string("１\xC3")}) {
    auto n = NormalizedText::Create(bad);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.error().code, ErrorCode::kInvalidUtf8);
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
  // The first kClean pieces are well-formed; the rest are not.
  const std::vector<std::string> pieces = {"a",
                                           "감",
                                           "0",
                                           " ",
                                           "\n",
                                           "가",
                                           "é",
                                           "ㅋ",
                                           "「",
                                           "\u00A0",
                                           "\u200B",
                                           "\u3000",
                                           "１",
                                           "－",
                                           "＠",
                                           "\uFEFF",
                                           "\U0001F600",
                                           "\uFFFD",  // folded: a separator lost in decoding
                                           std::string(1, '\0'),
                                           "\x1F",
                                           "\u00AD",
                                           "\u034F",
                                           "\u180E",
                                           "\u3164",
                                           "\U000E0041",
                                           "\U0001D173",
                                           "\uA9D1",
                                           "\uA8E0",
                                           "\u0301",
                                           "\u0663",
                                           "\u00B7",
                                           "\U0001D7CF",
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
  constexpr size_t kClean = 32;
  const std::vector<std::string> folded = {
      "\u00A0", "\u200B", "\u3000", "１",     "－",         "＠",         "\uFEFF",     std::string(1, '\0'),
      "\x1F",   "\u00AD", "\u034F", "\u180E", "\u3164",     "\U000E0041", "\U0001D173", "\uA9D1",
      "\uA8E0", "\u0301", "\u0663", "\u00B7", "\U0001D7CF", "\uFFFD"};
  std::mt19937 rng(7);
  int valid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const size_t target = std::uniform_int_distribution<size_t>(0, i % 3 == 1 ? 300 : 100)(rng);
    const bool clean = i % 2 == 0;  // half the inputs without malformed pieces
    // A quarter of the clean ones without anything to fold (the fast path).
    const size_t top = clean ? (i % 8 == 0 ? 7 : kClean - 1) : pieces.size() - 1;
    bool whole_pieces = true;  // only well-formed pieces: no new character across two of them
    while (s.size() < target) {
      const size_t k = std::uniform_int_distribution<size_t>(0, top)(rng);
      s += pieces[k];
      whole_pieces = whole_pieces && k < kClean;
    }
    if (std::uniform_int_distribution<int>(0, 3)(rng) == 0 && !s.empty()) s.pop_back();  // cut a sequence short
    auto n = NormalizedText::Create(s);
    ASSERT_EQ(n.ok(), ReferenceValid(s)) << testing::PrintToString(s);
    if (!n.ok()) {
      EXPECT_EQ(n.error().code, ErrorCode::kInvalidUtf8);
      continue;
    }
    ++valid;
    // Identity exactly when no character is folded or removed (malformed
    // pieces that happen to join into a character, "\xC2" "\x80", are not
    // counted here).
    if (!whole_pieces) continue;
    bool folds = false;
    for (const std::string& f : folded) {
      if (s.find(f) != std::string::npos) folds = true;
    }
    EXPECT_EQ(n->identity(), !folds) << testing::PrintToString(s);
    if (n->identity()) {
      EXPECT_EQ(n->text().data(), s.data());
    }
  }
  EXPECT_GT(valid, 5000);
}

// Every range of Unicode 15's Default_Ignorable_Code_Point
// (DerivedCoreProperties.txt), its first and last code point, between two
// digits: removed, the digits join, and the span of the joined digits maps
// back over the hidden character.
TEST(NormalizeTest, EveryDefaultIgnorableRangeIsRemovedInsideDigits) {
  const std::vector<std::pair<uint32_t, uint32_t>> ranges = {
      {0x00AD, 0x00AD},   {0x034F, 0x034F},   {0x061C, 0x061C},   {0x115F, 0x1160},   {0x17B4, 0x17B5},
      {0x180B, 0x180D},   {0x180E, 0x180E},   {0x180F, 0x180F},   {0x200B, 0x200F},   {0x202A, 0x202E},
      {0x2060, 0x2064},   {0x2065, 0x2065},   {0x2066, 0x206F},   {0x3164, 0x3164},   {0xFE00, 0xFE0F},
      {0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0},   {0xFFF0, 0xFFF8},   {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
      {0xE0000, 0xE0000}, {0xE0001, 0xE0001}, {0xE0002, 0xE001F}, {0xE0020, 0xE007F}, {0xE0080, 0xE00FF},
      {0xE0100, 0xE01EF}, {0xE01F0, 0xE0FFF}};
  for (const auto& [first, last] : ranges) {
    for (uint32_t cp : {first, last}) {
      std::string hidden;
      unicode::AppendUtf8(cp, &hidden);
      const std::string s = "tel 010" + hidden + "1234";
      auto n = NormalizedText::Create(s);
      ASSERT_TRUE(n.ok()) << cp;
      EXPECT_EQ(n->text(), "tel 0101234") << std::hex << cp;
      size_t b = 0, e = 0;
      n->MapToOriginal(4, 11, &b, &e);
      EXPECT_EQ(s.substr(b, e - b), "010" + hidden + "1234") << std::hex << cp;
    }
  }
}

// The same for every code point the shared property says is default
// ignorable (so the scanner and the property cannot drift apart), and no
// other character in the assigned Hangul, CJK and symbol blocks is removed.
TEST(NormalizeTest, FollowsTheDefaultIgnorableProperty) {
  int removed = 0;
  for (uint32_t cp = 0x80; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const bool di = unicode::IsDefaultIgnorable(cp);
    if (!di && !(cp >= 0xAC00 && cp <= 0xAC40) && !(cp >= 0x1F600 && cp <= 0x1F610) && cp != 0x314B) continue;
    std::string s = "1";
    unicode::AppendUtf8(cp, &s);
    s += "2";
    auto n = NormalizedText::Create(s);
    ASSERT_TRUE(n.ok());
    if (di) {
      EXPECT_EQ(n->text(), "12") << std::hex << cp;
      ++removed;
    } else {
      EXPECT_TRUE(n->identity()) << std::hex << cp;
    }
  }
  EXPECT_GT(removed, 4000);
}

TEST(NormalizeTest, NulAndOtherControlsInsideDigitsAreRemoved) {
  std::string s = "card 4111";
  s += '\0';
  s += "1111\x01"
       "1111\x7F"
       "1111 end";
  auto n = NormalizedText::Create(s);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->text(), "card 4111111111111111 end");
  size_t b = 0, e = 0;
  n->MapToOriginal(5, 21, &b, &e);
  EXPECT_EQ(b, 5u);
  EXPECT_EQ(s.substr(b, e - b), s.substr(5, 19));  // the three controls inside the span
  // C1 controls too; NEL (U+0085) is white space.
  auto c1 = NormalizedText::Create("12\u009F34\u008556");
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(c1->text(), "1234 56");
  // A control at the edge of a token belongs to no span.
  std::string edge = "x ";
  edge += '\0';
  edge += "010";
  auto en = NormalizedText::Create(edge);
  ASSERT_TRUE(en.ok());
  ASSERT_EQ(en->text(), "x 010");
  en->MapToOriginal(2, 5, &b, &e);
  EXPECT_EQ(b, 3u);
  EXPECT_EQ(e, 6u);
}

TEST(NormalizeTest, TabsAndLineBreaksStayAndKeepTheFastPath) {
  const std::string s = "line one\tcol\r\nline two 010-1234-5678\n";
  auto n = NormalizedText::Create(s);
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->identity());
  EXPECT_EQ(n->text().data(), s.data());
}

// A vertical tab or form feed between groups is a blank, and a replacement
// character (a separator a wrong decoding lost) a dash: found by review,
// "010\v1234\v5678" and "010\uFFFD1234\uFFFD5678" passed every detector.
TEST(NormalizeTest, VerticalTabFormFeedAndReplacementCharacterSeparateGroups) {
  auto v = NormalizedText::Create("010\v1234\f5678");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->text(), "010 1234 5678");
  auto r = NormalizedText::Create("010\uFFFD1234\uFFFD5678");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text(), "010-1234-5678");
  size_t b = 0, e = 0;
  r->MapToOriginal(3, 4, &b, &e);
  EXPECT_EQ(b, 3u);
  EXPECT_EQ(e, 6u);
}

// Found by review: format characters that are not default-ignorable (the
// interlinear annotation marks, an Egyptian format control, an Arabic number
// sign) between digit groups hid every number, and more dots and dashes a
// reader takes for a separator split them.
TEST(NormalizeTest, FormatCharactersGoAndMoreDotsAndDashesSeparate) {
  for (const auto& [in, want] :
       std::vector<std::pair<std::string, std::string>>{{"010\uFFF99876\uFFFB5432", "01098765432"},
                                                        {"010\U000134309876\U000134385432", "01098765432"},
                                                        {"\u06004532\u06DD0151", "45320151"},
                                                        {"010\u2E311234\u2E335678", "010-1234-5678"},
                                                        {"010\u2E401234\u30A05678", "010-1234-5678"},
                                                        {"010\u05BE1234\u058A5678", "010-1234-5678"},
                                                        {"010\u25041234\uFE4D5678", "010-1234-5678"},
                                                        {"010\u20171234\u25505678", "010-1234-5678"}}) {
    auto n = NormalizedText::Create(in);
    ASSERT_TRUE(n.ok()) << in;
    EXPECT_EQ(n->text(), want) << in;
  }
}

TEST(NormalizeTest, KoreanChatEmojiAndCjkPunctuationKeepTheFastPath) {
  // Lead bytes shared with changed characters (ㅋ with U+3164, emoji with
  // U+1D173, 「 with U+3000), at every offset around the 32-byte blocks.
  for (size_t pad = 0; pad < 40; ++pad) {
    const std::string s = std::string(pad, 'a') + "ㅋㅋㅋ 😀👍 「감사」 ㅠㅠ 문 앞에 놓아 주세요.";
    auto n = NormalizedText::Create(s);
    ASSERT_TRUE(n.ok());
    EXPECT_TRUE(n->identity()) << pad;
    EXPECT_EQ(n->text().data(), s.data());
  }
}

TEST(NormalizeTest, MoreUnicodeSpacesAndFullWidthPunctuation) {
  auto n = NormalizedText::Create("（０２）１２３\u20284567\u1680x\u2029y");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->text(), "(02)123 4567 x y");
}

// Hidden characters at every offset, in short texts (8-byte ASCII skip) and
// long ones (128 bytes and more: the vector check from the start, 32-byte
// blocks): the first change is found wherever it is.
TEST(NormalizeTest, FindsTheFirstChangeAtEveryOffset) {
  for (const std::string& hidden :
       {std::string(1, '\0'), std::string("\u00AD"), std::string("\u034F"), std::string("\u180E"),
        std::string("\U000E0020"), std::string("\u0301"), std::string("\uA8E0"), std::string("\U0001D167")}) {
    for (size_t at = 0; at < 200; ++at) {
      std::string s = std::string(at, 'x') + "가나다";
      s += hidden;
      s += "12";
      auto n = NormalizedText::Create(s);
      ASSERT_TRUE(n.ok());
      EXPECT_EQ(n->text(), std::string(at, 'x') + "가나다12") << at;
    }
  }
}

TEST(NormalizeTest, DigitsOfEveryScriptMarksAndDigitGroupDots) {
  // Arabic-Indic, Devanagari, mathematical bold (above the BMP), circled,
  // superscript; combining marks removed; dots between groups read as '-'.
  auto n = NormalizedText::Create(
      "\u0660\u0661\u0660 \u096F \U0001D7D7 \u2460\u24EA \u00B9\u2070 "
      "9\u0301\u20DD0 7\uFE0F\u20E3 010\u00B71234\u318D5678\u30FB9 \u2800x\u3002y\uFE6Bz");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->text(), "010 9 9 10 10 90 7 010-1234-5678-9  x.y@z");
  // The map covers each original character: the mathematical 9 (4 bytes),
  // and a digit with the marks removed after it.
  const std::string s = "a\U0001D7D7b9\u0301\u0302c";
  auto m = NormalizedText::Create(s);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->text(), "a9b9c");
  size_t b = 0;
  size_t e = 0;
  m->MapToOriginal(1, 2, &b, &e);
  EXPECT_EQ(s.substr(b, e - b), "\U0001D7D7");
  m->MapToOriginal(3, 5, &b, &e);
  EXPECT_EQ(s.substr(b, e - b), "9\u0301\u0302c");
  // Hangul syllables that share a lead byte with folded characters (가
  // U+AC00 with the Vai digits U+A620) keep the fast path.
  for (const char* korean : {"가각간갈감갑값강개객거건걸검겁게겨격견결겸경계고곡곤골곰공과관광괴교구국군굴굽궁권귀규균"
                             "그극근글금급기긴길김깊까",
                             "사과\u00B7배"}) {
    auto k = NormalizedText::Create(korean);
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(k->identity(), std::string(korean).find("\u00B7") == std::string::npos) << korean;
  }
}

// A changed character whose second byte is the highest of its lead's
// (U+ABF9, EA AF B9: the vector check's limit for lead 0xEA) after Hangul
// syllables of that lead (dropped by it), at every offset.
TEST(NormalizeTest, FindsAChangeAtItsLeadsSecondByteLimit) {
  for (size_t at = 0; at < 200; ++at) {
    const std::string s = std::string(at, 'x') + "가각간\uABF9" + "12";
    auto n = NormalizedText::Create(s);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n->text(), std::string(at, 'x') + "가각간912") << at;
  }
}

// Seam: bytes of characters a reader sees apart although both became ASCII.
TEST(NormalizeTest, SeamsBetweenDigitFormsOrDotsAndTheirNeighbours) {
  const std::string s = "a\u24601\u0301b\uFF11\uFF12\u0663\u00B7c";  // a ① 1 (mark) b １ ２ ٣ · c
  auto n = NormalizedText::Create(s);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->text(), "a11b123-c");
  // Before bytes 1..8: ①|a, 1|①, b|1 (a removed mark: glued as "1b"), １|b,
  // ２|１, ٣|２, ·|٣, c|·.
  const std::vector<bool> expected = {true, true, false, false, false, false, true, true};
  for (size_t i = 1; i < n->text().size(); ++i) EXPECT_EQ(n->Seam(i), expected[i - 1]) << i;
  auto id = NormalizedText::Create("a1가");
  ASSERT_TRUE(id.ok());
  EXPECT_FALSE(id->Seam(1));
}

// Letters NFKC reads as one ASCII letter fold to it (a passport's letter or
// an address written in mathematical or circled letters); letters that are
// no such form (é, Greek, Hangul, a ligature of two) stay.
TEST(NormalizeTest, LettersInCompatibilityFormsReadAsAscii) {
  auto n = NormalizedText::Create(
      "\U0001D424\U0001D422\U0001D426@\U0001D427\U0001D41A\U0001D42F\U0001D41E\U0001D42B.\U0001D41C\U0001D428"
      "\U0001D426 \U0001D40C12345678 \u24DA\u24DC \U0001F13A \u2113 \u02B0\u2096 \u2160\u217D \u212A "
      "\U0001D55C\U0001D4C0");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->text(), "kim@naver.com M12345678 km K l hk Ic K kk");
  const std::string kept = "caf\u00E9 \u03B1\U0001D6C2 \uFB01 \uAC00";  // é, α and math α, ﬁ, 가
  auto k = NormalizedText::Create(kept);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->identity());
  for (uint32_t cp = 0; cp < 0x80; ++cp) {
    const bool letter = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    EXPECT_EQ(unicode::AsciiLetterOf(cp), letter ? static_cast<int>(cp) : -1) << cp;
  }
  EXPECT_EQ(unicode::AsciiLetterOf(0xFF41), 'a');  // full-width
  EXPECT_EQ(unicode::AsciiLetterOf(0x1D7CE), -1);  // a mathematical digit is a digit, not a letter
  EXPECT_EQ(unicode::AsciiLetterOf(0x00AA), 'a');  // ª
  // Forms NFKC leaves alone or makes several characters of (a second
  // review): small capitals, negative circled and squared, parenthesized;
  // not a letter with a stroke, nor a regional indicator (flags).
  auto m = NormalizedText::Create(
      "\u1D0B\u026A\u1D0D@naver.\u1D04\u1D0F\u1D0D \U0001F152\U0001F17E \u249E\u24AA\u24A8 \uA731 \u1D0C\U0001F1F0");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->text(), "kim@naver.com CO com s \u1D0C\U0001F1F0");
}

// Digits whose Numeric_Type is only Numeric (found by review: an RRN written
// with the dingbat circled sans-serif zero passed): the Medefaidrin digits
// and U+1F10B-1F10C; other Numeric characters (一, Ⅰ, ½) are no digits.
TEST(NormalizeTest, DigitsUnicodeCallsNumericOnly) {
  auto n = NormalizedText::Create(
      "\u2788\U0001F10B\U0001F10C\u2780 \U00016E80\U00016E89 \U0001F100\U0001F101\U0001F10A \u4E00\u00BD");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->text(), "9001 09 009 \u4E00\u00BD");
  EXPECT_EQ(unicode::DigitValue(0x2160), -1);  // Ⅰ
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
