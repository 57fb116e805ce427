// CanonicalPhoneKr: every written form of one Korean phone number gives one
// string, and anything that is not a Korean phone gives none.
#include "detect/phone.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detect/normalize.h"
#include "detect/scanner.h"

namespace maskproxy::detect {
namespace {

void ExpectAll(const std::string& canonical, const std::vector<std::string>& forms) {
  for (const std::string& f : forms) {
    EXPECT_EQ(CanonicalPhoneKr(f), canonical) << testing::PrintToString(f);
  }
}

TEST(CanonicalPhoneKrTest, MobileInEveryWrittenForm) {
  const std::string nul(1, '\0');
  ExpectAll("01012345678", {
                               "010-1234-5678",
                               "01012345678",
                               "010 1234 5678",
                               "010.1234.5678",
                               "(010) 1234-5678",
                               " 010-1234-5678 ",
                               "+82 10-1234-5678",
                               "+82-10-1234-5678",
                               "+82 10 1234 5678",
                               "+821012345678",
                               "+82.10.1234.5678",
                               "+82 010-1234-5678",
                               "+82-010-1234-5678",
                               "+82 (0)10-1234-5678",
                               "+82(0)1012345678",
                               "82-10-1234-5678",
                               "10-1234-5678",  // without its trunk 0 (a number column)
                               "1012345678",
                               "82 10 1234 5678",
                               "82 10-1234-5678",
                               "821012345678",
                               "82-010-1234-5678",
                               "0082-10-1234-5678",
                               "0082 10 1234 5678",
                               "０１０－１２３４－５６７８",                    // full-width digits and dash
                               "＋８２ １０－１２３４－５６７８",               // full-width plus, digits and dashes
                               "＋８２\u3000１０\u3000１２３４\u3000５６７８",  // ideographic spaces
                               "010\u20101234\u20135678",                       // Unicode dashes
                               "010\u00A01234\u00A05678",                       // NBSP
                               "010\u00AD1234\u00AD5678",                       // soft hyphens
                               "010-1234\u034F-5678",                           // combining grapheme joiner
                               "0101\u180E2345678",                             // Mongolian vowel separator
                               "\u200B010-1234-5678\uFEFF",                     // zero-width at the edges
                               "010" + nul + "1234" + nul + "5678",             // NUL
                               "\u0660\u0661\u0660-\u0661\u0662\u0663\u0664-\u0665\u0666\u0667\u0668",  // Arabic-Indic
                               "010\u00B71234\u00B75678",                                               // middle dots
                               "0\u03011\u03010-1234-5678",  // marks on digits
                               "+82\u202E 10-1234-5678",     // bidi override
                               "01012\U000E0041345678",      // tag character
                               "010-1234-5678.",             // a separator before or after it
                               "-010-1234-5678,",
                               "010~1234~5678",  // the odd single separators
                               "010,1234,5678",
                               "010+1234+5678",
                               "010:1234:5678",
                               "010|1234|5678",
                               "010\\1234\\5678",
                               "010*1234*5678",
                               "010\u223C1234\u223C5678",    // tilde operator
                               "010\u30011234\u30015678",    // ideographic comma
                               "0 1 0 - 1 2 3 4 - 5 6 7 8",  // one digit at a time
                               "+ 8 2 1 0 1 2 3 4 5 6 7 8",
                               "0 0 8 2 1 0 1 2 3 4 5 6 7 8",
                           });
}

TEST(CanonicalPhoneKrTest, LandlinesVoipAndRepresentativeNumbers) {
  ExpectAll("021234567", {"02-123-4567", "(02) 123-4567", "(02)123-4567", "02)123-4567", "02) 123-4567", "021234567",
                          "+82-2-123-4567", "+82 2 123 4567", "82-2-123-4567", "+82 (0)2-123-4567", "+82 02-123-4567"});
  ExpectAll("0212345678", {"02-1234-5678", "+8221234-5678", "82 2 1234 5678"});
  ExpectAll("0311234567", {"031-123-4567", "(031)123-4567", "+82 31 123 4567", "82-31-123-4567"});
  ExpectAll("06412345678", {"064-1234-5678", "+82-64-1234-5678"});
  ExpectAll("07012345678", {"070-1234-5678", "+82 70 1234 5678", "82.70.1234.5678"});
  ExpectAll("0161234567", {"016-123-4567", "+82 16-123-4567"});
  ExpectAll("15881234", {"1588-1234", "1588 1234", "15881234", "１５８８－１２３４", "+82 1588-1234"});
  ExpectAll("18001234", {"1800-1234", "+82-1800-1234"});
  // 050X personal and relay numbers (안심번호), 12 digits or 11.
  ExpectAll("050412345678", {"0504-1234-5678", "050412345678", "+82 504-1234-5678", "82-504-1234-5678",
                             "(0504) 1234-5678", "0504)1234-5678"});
  ExpectAll("05051234567", {"0505-123-4567", "0505 123 4567", "+82-505-123-4567"});
}

TEST(CanonicalPhoneKrTest, NotAKoreanPhone) {
  for (const std::string& s : std::vector<std::string>{
           "",
           "   ",
           "-",
           "010-1234-567",          // too short for 010
           "010-123-4567",          // 010 has 11 digits
           "010-1234-56789",        // too long
           "0501-1234-5678",        // 050 is followed by 2-8
           "0504-1234-56789",       // 13 digits
           "059-123-4567",          // no such area code
           "012-345-6789",          // 012-015 are no mobile prefixes (011, 016-019 are)
           "015-1234-5678",         //
           "1234-5678",             // not an assigned representative prefix
           "+1 415 555 1234",       // another country
           "+44 20 7946 0958",      //
           "82",                    //
           "+82",                   //
           "tel: 010-1234-5678",    // letters
           "010-1234-5678 ext 12",  //
           "010-1234-5678 (home)",  //
           "0+82 10-1234-5678",     // '+' after a digit is a separator: 0821012345678
           "((02)) 123-4567",       // parentheses
           "(02 123-4567",          //
           ")02 123-4567",          //
           "0212) 345-678",         //
           "(02) (12345) 4567",     // five digits in a second pair
           "900101-1234568",        // an RRN
           "4111-1111-1111-1111",   // a card
           "1,234,567",             //
           "010\xFF"
           "12345678",  // invalid UTF-8
       }) {
    EXPECT_EQ(CanonicalPhoneKr(s), std::nullopt) << testing::PrintToString(s);
  }
}

// Every form the phone_kr detector reports has a canonical form, so a scan
// action with normalize: phone_kr never refuses a hit of its detector.
TEST(CanonicalPhoneKrTest, EveryDetectorHitHasOne) {
  auto scanner = Scanner::Create(Scanner::Defaults());
  ASSERT_TRUE(scanner.ok());
  const std::vector<std::string> forms = {
      "010-1234-5678", "010 1234 5678", "010.1234.5678", "01012345678", "011-123-4567", "02-123-4567", "021234567",
      "031-123-4567", "070-1234-5678", "1588-1234", "1577 1234", "1600.1234", "15881234", "+82-10-1234-5678",
      "+82 10 1234 5678", "+821012345678", "+82 10-1234-5678", "+82 010-1234-5678", "+82-2-123-4567",
      "+82.10.1234.5678", "+82 (0)10-1234-5678", "+82(0)10 1234 5678", "82-10-1234-5678", "82 10 1234 5678",
      "82-010-1234-5678", "82 (0)2-123-4567", "(02) 123-4567", "(031)123-4567", "０１０－１２３４－５６７８",
      "010\u00AD1234\u00AD5678", "010/1234/5678", "010_1234_5678", "+82_10_1234_5678", "02/123/4567",
      "010\u00B71234\u00B75678", "010\u318D1234\u318D5678",
      "\u0660\u0661\u0660-\u0661\u0662\u0663\u0664-\u0665\u0666\u0667\u0668", "0\u03011\u03010 1234 5678",
      "0 1 0 1 2 3 4 5 6 7 8", "0_2_1_2_3_4_5_6_7", "1.5.8.8.1.2.3.4", "010~1234~5678", "010,1234,5678",
      "010+1234+5678", "+82+10+1234+5678", "010\\1234\\5678", "02:123:4567", "010\u301C1234\u301C5678",
      "0082-10-1234-5678", "00821012345678", "0 1 0 - 1 2 3 4 - 5 6 7 8", "0 1 0-1 2 3 4-5 6 7 8",
      "+ 8 2 1 0 1 2 3 4 5 6 7 8", "+8_2_2_1_2_3_4_5_6_7", "0 0 8 2 1 0 1 2 3 4 5 6 7 8", "(+82)10-1234-5678",
      // found by review: these were hits whose record the
      // normalization then dead-lettered
      "(+82) (0)10-1234-5678", "(+82)(0)10-1234-5678", "(0082) 10-1234-5678", "(+82) 2-123-4567", "02)123-4567",
      "(010)-1234-5678", "010&ndash;1234&ndash;5678", "010\\/1234\\/5678",
      // found by a later review (loose_groups.h, normalize.h)
      "010;1234;5678", "010, 1234, 5678", "010(1234)5678", "010 (1234) 5678", "( 010 ) 1234 - 5678", "02 (123) 4567",
      "010\v1234\v5678", "010\uFFFD1234\uFFFD5678", "010-(1234)-5678", "010 , 1234 , 5678", "010.(1234).5678",
      "010  (1234)  5678",
      // and a third (mixed narrow separators, brackets, +82 (10))
      "010 1234-5678", "010-1234 5678", "(010)(1234)5678", "010[1234]5678", "+82 (10) 1234-5678",
      // and a fifth (Markdown's and shells' escapes)
      "010\\-1234\\-5678", "010\\.1234\\.5678", "010\\ 1234\\ 5678", "\\+82 10\\-1234\\-5678"};
  for (const std::string& f : forms) {
    const std::string text = "연락처 " + f + " 로";
    std::vector<Span> spans;
    ASSERT_TRUE((*scanner)->Scan(text, &spans).ok());
    ASSERT_EQ(spans.size(), 1u) << f;
    ASSERT_EQ(spans[0].detector, "phone_kr") << f;
    const std::string original = text.substr(spans[0].begin, spans[0].end - spans[0].begin);
    auto hit = NormalizedText::Create(original);  // views `original`
    ASSERT_TRUE(hit.ok());
    EXPECT_NE(CanonicalPhoneKr(hit->text()), std::nullopt) << f;
  }
}

TEST(CanonicalPhoneKrTest, IntoReusesTheBufferAndClearsItOnFailure) {
  std::string out = "previous";
  ASSERT_TRUE(CanonicalPhoneKrInto("+82 10-9876-5432", &out));
  EXPECT_EQ(out, "01098765432");
  EXPECT_FALSE(CanonicalPhoneKrInto("+1 415 555 1234", &out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace maskproxy::detect
