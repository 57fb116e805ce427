// E-mail addresses with non-ASCII characters: FindIntlEmails on its own, and
// through the scanner as hits of the built-in `email` detector.
#include "detect/intl_email.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "detect/scanner.h"

namespace maskproxy::detect {
namespace {

std::vector<std::string> Found(const std::string& text) {
  std::vector<std::pair<size_t, size_t>> spans;
  internal::FindIntlEmails(text, &spans);
  std::vector<std::string> out;
  for (const auto& [b, e] : spans) out.push_back(text.substr(b, e - b));
  return out;
}

using Hits = std::vector<std::pair<std::string, std::string>>;

Hits Scan(const std::string& text) {
  static const std::unique_ptr<Scanner> scanner = [] {
    auto s = Scanner::Create(Scanner::Defaults());
    return s.ok() ? std::move(s).value() : nullptr;
  }();
  if (scanner == nullptr) {
    ADD_FAILURE() << "the default scanner did not compile";
    return {};
  }
  std::vector<Span> spans;
  EXPECT_TRUE(scanner->Scan(text, &spans).ok());
  Hits out;
  for (const Span& s : spans) out.emplace_back(std::string(s.detector), text.substr(s.begin, s.end - s.begin));
  return out;
}

TEST(IntlEmailTest, NonAsciiLocalPartsAndDomains) {
  for (const std::string a : {"민준@example.com", "kim민준@example.com", "김.민준@example.co.kr", "minjun@예시.한국",
                              "minjun@example.한국", "민준@예시.한국", "josé.garcía@correo.es", "müller@bücher.de",
                              "иван@почта.рф", "用户@例子.中国", "ユーザー@例え.jp", "a@bücher.de"}) {
    EXPECT_EQ(Found("메일 " + a + " 로"), std::vector<std::string>{a}) << a;
    EXPECT_EQ(Found(a), std::vector<std::string>{a}) << a;
    EXPECT_EQ(Found("(" + a + ")"), std::vector<std::string>{a}) << a;
    EXPECT_EQ(Found("「" + a + "」"), std::vector<std::string>{a}) << a;
  }
}

TEST(IntlEmailTest, ParticlesAndGluedWords) {
  // A particle after the TLD is not part of the address.
  EXPECT_EQ(Found("민준@example.com으로 보내"), std::vector<std::string>{"민준@example.com"});
  EXPECT_EQ(Found("minjun@예시.한국으로"), std::vector<std::string>{"minjun@예시.한국"});
  EXPECT_EQ(Found("josé@correo.es에게"), std::vector<std::string>{"josé@correo.es"});
  // A word glued before an address cannot be told from its local part: it is
  // masked with it (홍길동hong@ would otherwise leave the name).
  EXPECT_EQ(Found("연락처는kim@naver.com"), std::vector<std::string>{"연락처는kim@naver.com"});
  EXPECT_EQ(Found("홍길동hong@naver.com"), std::vector<std::string>{"홍길동hong@naver.com"});
  EXPECT_EQ(Found("연락처는kim@예시.한국"), std::vector<std::string>{"연락처는kim@예시.한국"});
  EXPECT_EQ(Found("연락처: kim@naver.com"), std::vector<std::string>{});
  // A name with digits stays whole; so does a number glued before it (it is
  // then inside the e-mail's protected value).
  EXPECT_EQ(Found("홍길동1@회사.한국"), std::vector<std::string>{"홍길동1@회사.한국"});
  EXPECT_EQ(Found("민준2024@example.com"), std::vector<std::string>{"민준2024@example.com"});
  EXPECT_EQ(Found("kim2민준@example.com"), std::vector<std::string>{"kim2민준@example.com"});
  EXPECT_EQ(Found("01012345678민준@example.com"), std::vector<std::string>{"01012345678민준@example.com"});
  EXPECT_EQ(Found("kim.20240101홍길동@example.com"), std::vector<std::string>{"kim.20240101홍길동@example.com"});
  // Hangul next to the '@': everything back to a space is the local part.
  EXPECT_EQ(Found("이메일민준@example.com"), std::vector<std::string>{"이메일민준@example.com"});
}

TEST(IntlEmailTest, NotAddresses) {
  for (const std::string t : {"kim@naver.com", "a.b+c@x-y.example.org", "가격 3만원@개", "@민준", "민준@", "민준@예시",
                              "민준@예시.", "민준@.한국", "민준@example.c", "민준@example.123", "민준 @example.com",
                              "민준@ example.com", "😀@example.com", "。@example.com", "민준@example..com"}) {
    EXPECT_EQ(Found(t), std::vector<std::string>{}) << t;
  }
  // "민준@example..com": the domain stops at the empty label, "example" alone
  // is one label.
}

TEST(IntlEmailTest, BoundsAndManyAts) {
  // At most 64 code points of local part.
  const std::string long_local = std::string(70, 'a') + "민";
  const auto found = Found(long_local + "@example.com");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], std::string(63, 'a') + "민@example.com");
  // Many '@' in a row stay linear and find nothing.
  EXPECT_EQ(Found(std::string(100000, '@')), std::vector<std::string>{});
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "민@예.한국 ";
  EXPECT_EQ(Found(many).size(), 2000u);
}

// An outside review's findings: every address below passed whole or in part.
TEST(IntlEmailTest, ReviewFindings) {
  auto one = [](const std::string& text, const std::string& address) {
    EXPECT_EQ(Found(text), std::vector<std::string>{address}) << text;
  };
  // A separator between a non-Latin and a Latin part: one local part.
  for (const std::string a :
       {"민준.kim@example.com", "민준_kim@example.com", "민준-kim@example.com", "민준+spam@example.com",
        "민준.1985@example.com", "민준.kim@예시.한국", "田中.taro@example.jp", "佐々木@example.jp",
        "Ἀλέξανδρος.smith@example.gr", "ɑlice.smith@example.com"})
    one("메일 " + a + " 로", a);
  // What follows a Latin TLD: '-', digits, a dot and a word or a number.
  for (const std::string after : {"-확인", "2", "1234", "010", "-끝", ".감사합니다", ".2차 문의", ".010-1234-5678로"})
    one("민준@example.com" + after, "민준@example.com");
  one("minjun@예시.com2", "minjun@예시.com");
  one("minjun@회사.kr-확인", "minjun@회사.kr");
  one("민준@naver.co.kr-1", "민준@naver.co.kr");
  // Punycode TLDs and labels.
  one("민준@example.xn--3e0b707e", "민준@example.xn--3e0b707e");
  one("민준@xn--9n2bp8q.xn--3e0b707e", "민준@xn--9n2bp8q.xn--3e0b707e");
  // Two addresses joined by a separator: the second's local part does not
  // reach back into the first's domain.
  EXPECT_EQ(Found("민준@naver.com-지수@naver.com"), (std::vector<std::string>{"민준@naver.com", "지수@naver.com"}));
  // Numbers glued to an address are not in it (their own detectors find them).
  one("minjun@예시.한국900101-1234568", "minjun@예시.한국");
  one("minjun@예시.한국이고", "minjun@예시.한국");
  one("minjun@예시.한국-900101-1234568", "minjun@예시.한국");
  one("0504-1234-5678민준@example.com", "0504-1234-5678민준@example.com");
  // An ASCII address followed by a dot and a Korean word stays the pattern's.
  EXPECT_EQ(Found("kim@naver.com.감사합니다"), std::vector<std::string>{});
  // '@' between Korean words with a dot: no TLD, no address.
  for (const std::string t : {"회의@2층.대회의실", "점심@강남역.맛집 가자", "가격@할인.적용됨", "오늘@회사.야근"})
    EXPECT_EQ(Found(t), std::vector<std::string>{}) << t;
}

TEST(IntlEmailTest, TheScannerReportsThemAsEmail) {
  // Texts that hold one address, the whole of which is one email hit.
  const std::pair<std::string, std::string> one[] = {
      {"메일 민준@example.com 로", "민준@example.com"},
      {"메일 minjun@예시.한국 로", "minjun@예시.한국"},
      // Longer than the ASCII pattern's tail: the whole address wins.
      {"메일 josé.garcía@correo.es 로", "josé.garcía@correo.es"},
      // ASCII addresses as before, with a particle after them; a word glued
      // before one is masked with it (DetectDefaultsTest.Email); a word after
      // a complete ASCII address is not its TLD.
      {"kim@naver.com으로", "kim@naver.com"},
      {"연락처는kim@naver.com", "연락처는kim@naver.com"},
      {"메일 kim@naver.com.한국에서 보냄", "kim@naver.com"},
      {"메일 kim@naver.com.확인 부탁", "kim@naver.com"},
      // Punycode: the pattern stops at "xn"; the whole address is one hit.
      {"minjun@example.xn--3e0b707e 로", "minjun@example.xn--3e0b707e"},
      // Reviews: decomposed Hangul (also before a particle), Cyrillic in
      // capitals and title case, 臺灣; whatever follows an internationalized
      // TLD, the address ends there (endings no list holds, CJK text without
      // spaces).
      {"minjun@\u110b\u1168\u1109\u1175.\u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1173\u1105\u1169 끝",
       "minjun@\u110b\u1168\u1109\u1175.\u1112\u1161\u11ab\u1100\u116e\u11a8"},
      {"иван@пример.РФ", "иван@пример.РФ"},
      {"иван@пример.Рф тест", "иван@пример.Рф"},
      {"민준@예시.臺灣 입니다", "민준@예시.臺灣"},
      {"민준@예시.한국이고 전화는 없음", "민준@예시.한국"},
      {"민준@예시.한국으로요", "민준@예시.한국"},
      {"민준@예시.한국에서는", "민준@예시.한국"},
      {"민준@예시.한국인데요", "민준@예시.한국"},
      {"민준@예시.한국하고 kim", "민준@예시.한국"},
      {"发送到王伟@例子.中国的邮箱", "发送到王伟@例子.中国"},
      {"山田@例え.コムまで送って", "山田@例え.コム"},
      // Full-width '＠' and hidden characters are normalized first.
      {"민준＠example.com", "민준＠example.com"},
      {"민\u200b준@example.com", "민\u200b준@example.com"},
      // An IP address as the domain (review: the local part was left beside
      // an [ipv4]): an address literal, or a bare IPv4 address.
      {"메일 minjunkim77@[192.168.0.1] 로", "minjunkim77@[192.168.0.1]"},
      {"minjunkim77@123.123.123.123", "minjunkim77@123.123.123.123"},
      {"kim@[IPv6:2001:db8::1] x", "kim@[IPv6:2001:db8::1]"},
      // A second review: spaces inside, a zone, no closing bracket.
      {"kim@[ 192.0.2.1 ] 로", "kim@[ 192.0.2.1 ]"},
      {"kim@[IPv6:fe80::1%eth0] x", "kim@[IPv6:fe80::1%eth0]"},
      {"kim@[192.0.2.1 로", "kim@[192.0.2.1"},
  };
  for (const auto& [text, address] : one) EXPECT_EQ(Scan(text), (Hits{{"email", address}})) << text;
  // Beside other hits: folded separators ('·' and Unicode dashes read as
  // '-') end a TLD, and a number glued after one is its own hit.
  EXPECT_EQ(Scan("kim민준@example.com, 010-1234-5678"),
            (Hits{{"email", "kim민준@example.com"}, {"phone_kr", "010-1234-5678"}}));
  EXPECT_EQ(Scan("민준@naver.com·지수@naver.com"), (Hits{{"email", "민준@naver.com"}, {"email", "지수@naver.com"}}));
  EXPECT_EQ(Scan("민준@example.com010-1234-5678"),
            (Hits{{"email", "민준@example.com"}, {"phone_kr", "010-1234-5678"}}));
  EXPECT_EQ(Scan("minjun@예시.한국900101-1234568"), (Hits{{"email", "minjun@예시.한국"}, {"rrn", "900101-1234568"}}));
  // Not an IP address: no address either.
  EXPECT_EQ(Scan("kim@1.2.3 and kim@1.2.3.45678"), Hits{});
}

TEST(IntlEmailTest, ACustomEmailDetectorIsNotWidened) {
  // Only the built-in detector: a custom one named otherwise keeps its pattern.
  auto specs = std::vector<DetectorSpec>{{"corp_mail", R"([a-z]+@corp\.example)", "email", {}, 20}};
  auto scanner = Scanner::Create(specs);
  ASSERT_TRUE(scanner.ok());
  std::vector<Span> spans;
  ASSERT_TRUE((*scanner)->Scan("민준@example.com", &spans).ok());
  EXPECT_TRUE(spans.empty());
}

}  // namespace
}  // namespace maskproxy::detect
