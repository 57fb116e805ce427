// Numbers masked in part that show more than a masked number may (found by
// review: "900101-123456*" passed with twelve of the RRN's thirteen digits).
#include "detect/partly_masked.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "detect/scanner.h"

namespace maskproxy::detect {
namespace {

using Found = std::vector<std::string>;

Found Find(const std::string& text) {
  std::vector<std::pair<size_t, size_t>> spans;
  auto norm = NormalizedText::Create(text);
  EXPECT_TRUE(norm.ok());
  if (!norm.ok()) return {};
  EXPECT_TRUE(norm->identity()) << "the finder reads normalized text: give it ASCII masks here";
  internal::FindPartlyMasked(*norm, &spans);
  Found out;
  for (const auto& [b, e] : spans) out.push_back(text.substr(b, e - b));
  return out;
}

TEST(PartlyMaskedTest, ShowingMoreThanAMaskedNumberMay) {
  for (const char* v :
       {"900101-123456*", "900101-123456X", "900101-12345**", "900101-1234XXX", "900101 12*****", "9001011234***",
        "******-1234567", "4111-1111-1111-11**", "5361-4812-3456-78**", "4111-1111-1111-111X", "4111-1111-1111-****",
        "4111 1111 1111 11##", "3782-822463-1****", "010-1234-567*", "010-1234-56**", "010-123*-5678", "010-1234-56XX",
        "010.1234.56##", "01012345**", "011-234-56**",
        // a second review's misses
        "9001**-1234567", "***101-1234567", "****-1111-1111-1111", "3056-930902-59**", "9410-1234-5678-90**",
        "010-1234-56??",
        // ten digits, some of them between an eight-digit BIN and the last
        // four (a review's miss)
        "4532-0151-12**-****", "4532015112******", "3782-822463-*****"}) {
    EXPECT_EQ(Find(std::string("메모 ") + v + " 확인"), Found{v}) << v;
  }
}

TEST(PartlyMaskedTest, MaskedAsItShouldBeOrNotANumber) {
  for (const char* text : {
           "900101-1******",       // the usual RRN mask: date and gender digit
           "9001011******",        //
           "******-1******",       //
           "4111-11**-****-1111",  // PCI: first six, last four
           "4111-11XX-XXXX-1111",  //
           "4532-0151-****-****",  // an eight-digit BIN alone
           "4532-01**-****-****",  //
           "010-****-5678",        // seven digits of a phone
           "010-1234-****",        //
           "010-12**-**78",        //
           "991301-12*****",       // month 13: no date
           "1234-5678-****-****",  // a card starting with 1
           "2024-12-**",           // a date
           "x*x*x*x*",             // no digit
           "A010-1234-56**",       // glued to a letter: a product code
           "010-1234-5678",        // no mask: the phone detector's
           "241201-00012**",       // gender digit 0 with year 24: an order number
           "#1234567890123",       // one mark before a run of digits: a number's sign (a fifth review)
           "※2026112600012",       //
           "■123456789012",        //
           "★4111111111111111",    //
       }) {
    EXPECT_EQ(Find(text), Found{}) << text;
  }
}

TEST(PartlyMaskedTest, ThroughTheScannerTheyArePartlyMaskedHits) {
  auto scanner = Scanner::Create(Scanner::Defaults());
  ASSERT_TRUE(scanner.ok());
  const std::string text = "주민번호 900101-123456* 카드 4111-1111-1111-11** 연락처 010-1234-56**";
  std::vector<Span> spans;
  ASSERT_TRUE((*scanner)->Scan(text, &spans).ok());
  ASSERT_EQ(spans.size(), 3u);
  for (const Span& s : spans) EXPECT_EQ(s.detector, "partly_masked") << text.substr(s.begin, s.end - s.begin);
  std::vector<Span> ref;
  ASSERT_TRUE(internal::ScanReference(**scanner, text, &ref).ok());
  EXPECT_EQ(ref, spans);
  // Black circles, which normalization reads as a dot between groups, and
  // the other mask characters.
  for (const std::string v : {"900101-1234●●●", "010-1234-56●●", "4111-1111-1111-11●●", "010-1234-56■■",
                              "010-1234-56★★", "010-1234-56••", "010-1234-56☆☆"}) {
    ASSERT_TRUE((*scanner)->Scan("메모 " + v + " 확인", &spans).ok());
    ASSERT_EQ(spans.size(), 1u) << v;
    EXPECT_EQ(spans[0].detector, "partly_masked") << v;
    EXPECT_EQ(spans[0].end - spans[0].begin, v.size()) << v;
  }
  // ... and as a separator, still a phone.
  ASSERT_TRUE((*scanner)->Scan("010●1234●5678", &spans).ok());
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].detector, "phone_kr");
}

// A bank account with one or two digits hidden, near a bank word (found by
// review: "계좌 110-123-4567**" shows ten of twelve digits). The account
// detector's groupings and context words decide; more hidden, or no bank
// word, is no hit.
TEST(PartlyMaskedTest, AnAccountShowingAllButOneOrTwoDigits) {
  auto scanner = Scanner::Create(Scanner::Defaults());
  ASSERT_TRUE(scanner.ok());
  const auto scan = [&](const std::string& text) {
    std::vector<Span> spans;
    EXPECT_TRUE((*scanner)->Scan(text, &spans).ok());
    std::vector<Span> ref;
    EXPECT_TRUE(internal::ScanReference(**scanner, text, &ref).ok());
    EXPECT_EQ(ref, spans) << text;
    Found out;
    for (const Span& s : spans) out.push_back(std::string(s.detector) + " " + text.substr(s.begin, s.end - s.begin));
    return out;
  };
  for (const std::string v :
       {"110-123-4567**", "110-123-45**89", "1101234567**", "110-123-45678*", "3333-01-12345**", "123456-12-1234**"}) {
    EXPECT_EQ(scan("계좌 " + v + " (신한)"), Found{"partly_masked " + v}) << v;
    EXPECT_EQ(scan("신한 " + v), Found{"partly_masked " + v}) << v;
  }
  for (const char* text : {
           "계좌 110-***-456789",      // three hidden
           "계좌 110-123-****89",      //
           "계좌 1101****6789",        // four hidden
           "주문번호 110-123-4567**",  // no bank word
           "110-123-4567**",           //
           "계좌 010-1234-567**",      // no account's grouping (and a phone's start)
           "계좌 2024-11-26 **:**",    // a time
           "신한 SKU X010-4507-4440",  // a code's letter, not a masked digit
           "계좌 *10-123-456789",      // the first digit hidden
       }) {
    EXPECT_EQ(scan(text), Found{}) << text;
  }
}

}  // namespace
}  // namespace maskproxy::detect
