// Scanner: the built-in detectors (positives and hard negatives), spans
// through normalization, overlaps, context windows, custom specs, and failing
// closed.
#include "detect/scanner.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace maskproxy::detect {
namespace {

using Hits = std::vector<std::pair<std::string, std::string>>;  // detector, original bytes

const Scanner& DefaultScanner() {
  static const std::unique_ptr<Scanner> scanner = [] {
    auto s = Scanner::Create(Scanner::Defaults());
    if (!s.ok()) ADD_FAILURE() << s.error().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }();
  return *scanner;
}

Hits ScanWith(const Scanner& scanner, const std::string& text) {
  std::vector<Span> spans;
  Status st = scanner.Scan(text, &spans);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  Hits hits;
  for (const Span& s : spans) hits.emplace_back(std::string(s.detector), text.substr(s.begin, s.end - s.begin));
  return hits;
}

Hits Scan(const std::string& text) {
  return ScanWith(DefaultScanner(), text);
}

Hits One(const std::string& detector, const std::string& value) {
  return {{detector, value}};
}

TEST(ScannerDefaultsTest, Rrn) {
  for (const std::string v :
       {"900101-1234568", "900101 1234568", "9001011234568", "900101-1234567", "040229-3123453", "991231-2000001"}) {
    EXPECT_EQ(Scan("주민번호 " + v + " 입니다"), One("rrn", v)) << v;
  }
  EXPECT_EQ(Scan("rrn:900101-1234567."), One("rrn", "900101-1234567"));
}

TEST(ScannerDefaultsTest, RrnChecksumOnlyRaisesConfidence) {
  std::vector<Span> spans;
  ASSERT_TRUE(DefaultScanner().Scan("900101-1234568 900101-1234567", &spans).ok());
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].confidence, 1.0);
  EXPECT_EQ(spans[1].confidence, 0.8);  // issued after Oct 2020: random last digit, still a hit
}

TEST(ScannerDefaultsTest, RrnHardNegatives) {
  EXPECT_EQ(Scan("901301-1234567"), Hits{});    // month 13
  EXPECT_EQ(Scan("900230-1234567"), Hits{});    // Feb 30
  EXPECT_EQ(Scan("000229-1234567"), Hits{});    // 1900 not a leap year
  EXPECT_EQ(Scan("19900101-1234567"), Hits{});  // inside a longer number
  EXPECT_EQ(Scan("A900101-1234567"), Hits{});
  EXPECT_EQ(Scan("12-900101-1234567-3"), Hits{});
  EXPECT_EQ(Scan("created 20261126093000 ok"), Hits{});  // timestamp
}

TEST(ScannerDefaultsTest, FrnForGenderDigitsFiveToEight) {
  EXPECT_EQ(Scan("외국인등록번호 900101-5123452"), One("frn", "900101-5123452"));
  EXPECT_EQ(Scan("030515-7123456"), One("frn", "030515-7123456"));
  EXPECT_EQ(Scan("901301-5123452"), Hits{});
}

TEST(ScannerDefaultsTest, PhoneKr) {
  for (const std::string v :
       {"010-1234-5678",    "010 1234 5678", "010.1234.5678",   "01012345678",    "011-123-4567",  "019-1234-5678",
        "02-123-4567",      "02-1234-5678",  "0212345678",      "031-123-4567",   "044-1234-5678", "055-123-4567",
        "064-123-4567",     "070-1234-5678", "1588-1234",       "1600 1234",      "1899-1234",     "+82 10-1234-5678",
        "+82-10-1234-5678", "+821012345678", "+82-2-1234-5678", "+82 31 123 4567"}) {
    EXPECT_EQ(Scan("연락처 " + v + " 로 연락 주세요"), One("phone_kr", v)) << v;
  }
}

TEST(ScannerDefaultsTest, PhoneKrHardNegatives) {
  EXPECT_EQ(Scan("059-123-4567"), Hits{});       // no such area code
  EXPECT_EQ(Scan("010-1234 5678"), Hits{});      // mixed separators
  EXPECT_EQ(Scan("SKU01012345678"), Hits{});     // product code
  EXPECT_EQ(Scan("P-010-1234-5678-9"), Hits{});  // part of a longer code
  EXPECT_EQ(Scan("15881234"), Hits{});           // representative numbers need a separator
  EXPECT_EQ(Scan("010-12-5678"), Hits{});
}

TEST(ScannerDefaultsTest, Email) {
  EXPECT_EQ(Scan("mail Minjun.Kim@example.com, thanks"), One("email", "Minjun.Kim@example.com"));
  EXPECT_EQ(Scan("<a.b+tag@mail.co.kr>"), One("email", "a.b+tag@mail.co.kr"));
  EXPECT_EQ(Scan("user@localhost"), Hits{});
  EXPECT_EQ(Scan("@handle and foo@ and a.@x.com"), Hits{});
}

TEST(ScannerDefaultsTest, Card) {
  for (const std::string v :
       {"4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "3782 822463 10005", "378282246310005"}) {
    EXPECT_EQ(Scan("card " + v + " exp 12/28"), One("card", v)) << v;
  }
  EXPECT_EQ(Scan("card 4111 1111 1111 1112"), Hits{});  // Luhn fails
  EXPECT_EQ(Scan("4111-1111 1111-1111"), Hits{});       // mixed separators
  EXPECT_EQ(Scan("41111111111111111111111"), Hits{});   // too long
}

TEST(ScannerDefaultsTest, Brn) {
  EXPECT_EQ(Scan("사업자등록번호 123-45-67891"), One("brn", "123-45-67891"));
  EXPECT_EQ(Scan("사업자등록번호 123-45-67890"), Hits{});
}

TEST(ScannerDefaultsTest, PassportNeedsContext) {
  EXPECT_EQ(Scan("여권번호 M12345678"), One("passport_kr", "M12345678"));
  EXPECT_EQ(Scan("Passport no. M123A4567"), One("passport_kr", "M123A4567"));
  EXPECT_EQ(Scan("model M12345678 in stock"), Hits{});
  EXPECT_EQ(Scan("passport M1234567"), Hits{});
}

TEST(ScannerDefaultsTest, DriverLicence) {
  EXPECT_EQ(Scan("면허번호 11-22-123456-01"), One("driver_license_kr", "11-22-123456-01"));
  EXPECT_EQ(Scan("면허번호 29-22-123456-01"), Hits{});
}

TEST(ScannerDefaultsTest, Ip) {
  EXPECT_EQ(Scan("from 192.168.0.1."), One("ipv4", "192.168.0.1"));
  EXPECT_EQ(Scan("from 256.1.1.1"), Hits{});
  EXPECT_EQ(Scan("version 1.2.3.4.5"), Hits{});
  EXPECT_EQ(Scan("v7.12.0.1"), Hits{});
  EXPECT_EQ(Scan("addr 2001:db8::1 ok"), One("ipv6", "2001:db8::1"));
  EXPECT_EQ(Scan("[fe80::1ff:fe23:4567:890a]:8080"), One("ipv6", "fe80::1ff:fe23:4567:890a"));
  EXPECT_EQ(Scan("2001:0db8:0000:0000:0000:ff00:0042:8329"), One("ipv6", "2001:0db8:0000:0000:0000:ff00:0042:8329"));
  EXPECT_EQ(Scan("at 09:30:00, std::vector, mac 00:1a:2b:3c:4d:5e"), Hits{});
  EXPECT_EQ(Scan("mapped ::ffff:192.0.2.1 here"), One("ipv6", "::ffff:192.0.2.1"));  // not also an ipv4 hit
  EXPECT_EQ(Scan("x::ab:cd and Foo::Bar::baz"), Hits{});
}

TEST(ScannerDefaultsTest, BankAccountNeedsContextWithinWindow) {
  EXPECT_EQ(Scan("국민은행 123456-12-123456 으로 입금"), One("bank_account_kr", "123456-12-123456"));
  EXPECT_EQ(Scan("계좌: 110-123-456789"), One("bank_account_kr", "110-123-456789"));
  EXPECT_EQ(Scan("110-123-456789 (신한)"), One("bank_account_kr", "110-123-456789"));
  EXPECT_EQ(Scan("Bank ACCOUNT 3333-123-456789"), One("bank_account_kr", "3333-123-456789"));
  EXPECT_EQ(Scan("이체 302-1234-5678-91"), One("bank_account_kr", "302-1234-5678-91"));
  EXPECT_EQ(Scan("토스뱅크 100012345678"), One("bank_account_kr", "100012345678"));
  EXPECT_EQ(Scan("주문번호 110-123-456789"), Hits{});
  // The context word is more than 20 characters away.
  EXPECT_EQ(Scan("계좌 .............................. 110-123-456789"), Hits{});
  EXPECT_EQ(Scan("110-123-456789 .............................. 계좌"), Hits{});
}

TEST(ScannerDefaultsTest, HardNegativesInMemoText) {
  const char* memos[] = {
      "주문번호 20261126-000123 결제금액 1,234,567원 (부가세 포함)",
      "order ORD-2026112600012345 shipped, tracking 6081234567890 via CJ",
      "created_at 20261126093000 updated 2026-11-26T09:30:00+09:00",
      "session 3f1e0c1a-9b7d-4c2e-8a55-0d6f4e2b9c71 trace 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "app 7.12.0 build 901301 qty 12 price 12,000",
      "상품코드 010-12-3456 재고 15개, 모델 A010-1234-5678",
      "gateway 10.0.0.256 and 300.1.2.3",
  };
  for (const char* m : memos) EXPECT_EQ(Scan(m), Hits{}) << m;
}

TEST(ScannerDefaultsTest, SentencesWithSeveralDetectors) {
  const std::string ko =
      "김민준 고객(주민번호 900101-1234568)이 010-1234-5678로 연락 요청, 환불은 신한 110-123-456789 계좌로, "
      "메일 minjun@example.com";
  EXPECT_EQ(Scan(ko), (Hits{{"rrn", "900101-1234568"},
                            {"phone_kr", "010-1234-5678"},
                            {"bank_account_kr", "110-123-456789"},
                            {"email", "minjun@example.com"}}));
  const std::string en =
      "Customer paid with 4111 1111 1111 1111 from 203.0.113.7; call +82 10-9876-5432 or mail a@b.io.";
  EXPECT_EQ(Scan(en), (Hits{{"card", "4111 1111 1111 1111"},
                            {"ipv4", "203.0.113.7"},
                            {"phone_kr", "+82 10-9876-5432"},
                            {"email", "a@b.io"}}));
}

TEST(ScannerDefaultsTest, SpansMapBackThroughNormalization) {
  const std::string full = "０１０－１２３４－５６７８";
  EXPECT_EQ(Scan("전화 " + full + " 입니다"), One("phone_kr", full));
  const std::string zw = "010\u200B-1234-\u200D5678";
  EXPECT_EQ(Scan("전화 " + zw + "!"), One("phone_kr", zw));
  const std::string rrn = "９００１０１\u2010１２３４５６８";
  EXPECT_EQ(Scan("주민" + rrn), One("rrn", rrn));
  const std::string nbsp = "010\u00A01234\u00A05678";
  EXPECT_EQ(Scan(nbsp), One("phone_kr", nbsp));
  const std::string mail = "ｍｉｎ＠ｅｘａｍｐｌｅ．ｃｏｍ";
  EXPECT_EQ(Scan("이메일 " + mail), One("email", mail));
  // A zero-width character right after the value is not part of the span.
  const std::string text = "010-1234-5678\u200B 끝";
  std::vector<Span> spans;
  ASSERT_TRUE(DefaultScanner().Scan(text, &spans).ok());
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].begin, 0u);
  EXPECT_EQ(spans[0].end, 13u);
}

TEST(ScannerDefaultsTest, OverlapsResolvedDeterministically) {
  // 9001011000006 is a valid RRN and passes Luhn: the same span, rrn is listed first.
  EXPECT_EQ(Scan("번호 9001011000006"), One("rrn", "9001011000006"));
  // A phone number next to an account context word is still a phone.
  EXPECT_EQ(Scan("계좌 01012345678"), One("phone_kr", "01012345678"));
  // Repeated scans give the same answer.
  const std::string t = "계좌 9001011000006 01012345678 4111111111111111";
  const Hits first = Scan(t);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Scan(t), first);
  EXPECT_EQ(first, (Hits{{"rrn", "9001011000006"}, {"phone_kr", "01012345678"}, {"card", "4111111111111111"}}));
}

TEST(ScannerDefaultsTest, EmptyAndPlainText) {
  EXPECT_EQ(Scan(""), Hits{});
  EXPECT_EQ(Scan("생일 선물 감사합니다"), Hits{});
}

TEST(ScannerTest, RejectsInvalidUtf8) {
  std::vector<Span> spans{{1, 2, "x", 1.0}};
  Status st = DefaultScanner().Scan("010-1234-5678 \xFF", &spans);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "invalid_utf8");
  EXPECT_TRUE(spans.empty());
}

TEST(ScannerTest, CustomDetectors) {
  std::vector<DetectorSpec> specs = {
      {"member_id", R"(MB-\d{8})", "none", {}, 20},
      {"gift_card", R"(\d{16})", "luhn", {"상품권", "gift"}, 10},
      {"birth", R"(\d{6}-[1-4]\d{6})", "rrn_date", {}, 20},
  };
  auto s = Scanner::Create(specs);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ((*s)->detector_names(), (std::vector<std::string>{"member_id", "gift_card", "birth"}));
  EXPECT_EQ(ScanWith(**s, "회원 MB-00012345 님"), One("member_id", "MB-00012345"));
  EXPECT_EQ(ScanWith(**s, "상품권 4111111111111111"), One("gift_card", "4111111111111111"));
  EXPECT_EQ(ScanWith(**s, "GIFT 4111111111111111"), One("gift_card", "4111111111111111"));
  EXPECT_EQ(ScanWith(**s, "card 4111111111111111"), Hits{});
  EXPECT_EQ(ScanWith(**s, "상품권 4111111111111112"), Hits{});
  EXPECT_EQ(ScanWith(**s, "900101-1234567 901301-1234567"), One("birth", "900101-1234567"));
}

TEST(ScannerTest, CustomDetectorErrors) {
  auto err = [](std::vector<DetectorSpec> specs) {
    auto s = Scanner::Create(specs);
    EXPECT_FALSE(s.ok());
    return s.ok() ? Error() : s.error();
  };
  EXPECT_EQ(err({}).code, "invalid_detector");
  EXPECT_EQ(err({{"", "a", "none", {}, 20}}).code, "invalid_detector");
  EXPECT_EQ(err({{"Bad-Name", "a", "none", {}, 20}}).code, "invalid_detector");
  auto dup = err({{"x", "a", "none", {}, 20}, {"x", "b", "none", {}, 20}});
  EXPECT_NE(dup.message.find("duplicate"), std::string::npos);
  EXPECT_NE(err({{"x", "", "none", {}, 20}}).message.find("empty pattern"), std::string::npos);
  EXPECT_NE(err({{"x", "(a", "none", {}, 20}}).message.find("invalid pattern"), std::string::npos);
  EXPECT_NE(err({{"x", "a*", "none", {}, 20}}).message.find("empty string"), std::string::npos);
  auto unknown = err({{"x", "a", "lunh", {}, 20}});
  EXPECT_NE(unknown.message.find("did you mean 'luhn'"), std::string::npos) << unknown.message;
  EXPECT_NE(err({{"x", "a", "none", {"w"}, 0}}).message.find("context_window"), std::string::npos);
  EXPECT_NE(err({{"x", "a", "none", {"w"}, 201}}).message.find("context_window"), std::string::npos);
  EXPECT_NE(err({{"x", "a", "none", {""}, 20}}).message.find("empty context word"), std::string::npos);
  ScannerOptions bad;
  bad.max_mem = 0;
  EXPECT_FALSE(Scanner::Create(Scanner::Defaults(), bad).ok());
}

// Fail closed, part 1: no memory budget gives a scanner that misses. A budget
// too small for the RE2::Set fails Create; every budget that builds finds
// every hit.
TEST(ScannerTest, FailsClosedUnderTinyMaxMem) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "memo " + std::to_string(i * 7919) + " 010-1234-5678 a@b.io 192.168.0.1 ";
  int create_errors = 0;
  int built = 0;
  for (int64_t mem = 1 << 10; mem <= (int64_t{1} << 20); mem += mem / 8) {
    ScannerOptions opts;
    opts.max_mem = mem;
    auto s = Scanner::Create(Scanner::Defaults(), opts);
    if (!s.ok()) {
      EXPECT_EQ(s.error().code, "detector_compile_failed");
      ++create_errors;
      continue;
    }
    ++built;
    std::vector<Span> spans;
    Status st = (*s)->Scan(text, &spans);
    if (!st.ok()) {
      EXPECT_EQ(st.error().code, "detect_failed");
      EXPECT_TRUE(spans.empty());
    } else {
      EXPECT_EQ(spans.size(), 150u) << "max_mem " << mem;  // never a silent miss
    }
  }
  EXPECT_GT(create_errors, 0);
  EXPECT_GT(built, 0);
  ScannerOptions tiny;
  tiny.max_mem = 1024;
  auto s = Scanner::Create(Scanner::Defaults(), tiny);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "detector_compile_failed");
}

// Fail closed, part 2: a prefilter that fails while matching (out of memory,
// not compiled, inconsistent) is a Scan error, never "no match".
TEST(ScannerTest, FailsClosedWhenPrefilterMatchFails) {
  bool run = true;
  Status st = internal::CheckPrefilter(false, 0, &run);
  EXPECT_TRUE(st.ok());
  EXPECT_FALSE(run);
  st = internal::CheckPrefilter(true, 0, &run);
  EXPECT_TRUE(st.ok());
  EXPECT_TRUE(run);
  for (int kind : {1, 2, 3, 99}) {  // kNotCompiled, kOutOfMemory, kInconsistent, unknown
    for (bool matched : {false, true}) {
      run = true;
      st = internal::CheckPrefilter(matched, kind, &run);
      ASSERT_FALSE(st.ok()) << kind;
      EXPECT_EQ(st.error().code, "detect_failed");
      EXPECT_FALSE(run);
    }
  }
  EXPECT_NE(internal::CheckPrefilter(false, 2, &run).error().message.find("out_of_memory"), std::string::npos);
}

// Long runs that every digit detector retries inside stay linear and find
// nothing (each candidate is glued to more digits).
TEST(ScannerTest, LongDigitAndDotRunsFindNothing) {
  const std::string digits(200000, '7');
  EXPECT_EQ(Scan(digits), Hits{});
  std::string dotted;
  for (int i = 0; i < 40000; ++i) dotted += "1.";
  EXPECT_EQ(Scan(dotted + "1"), Hits{});
  std::string hyphens;
  for (int i = 0; i < 20000; ++i) hyphens += "010-1234-";
  EXPECT_EQ(Scan(hyphens + "5678"), Hits{});
}

TEST(ScannerTest, ConcurrentScansAgree) {
  const std::string t = "김민준 900101-1234568 010-1234-5678 minjun@example.com 4111 1111 1111 1111";
  const Hits expected = Scan(t);
  ASSERT_EQ(expected.size(), 4u);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < 200; ++i) {
        std::vector<Span> spans;
        if (!DefaultScanner().Scan(t, &spans).ok() || spans.size() != expected.size()) ++mismatches[k];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace maskproxy::detect
