// Validators: checksums, dates and the per-format plausibility checks.
#include "detect/validators.h"

#include <gtest/gtest.h>

#include <string>

namespace maskproxy::detect {
namespace {

bool V(Validator v, std::string_view s) {
  double confidence = 0;
  return Validate(v, s, &confidence);
}

TEST(DetectValidatorsTest, Luhn) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_TRUE(LuhnValid("4111 1111 1111 1111"));
  EXPECT_TRUE(LuhnValid("378282246310005"));
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_FALSE(LuhnValid(""));
  EXPECT_TRUE(V(Validator::kLuhn, "4111-1111-1111-1111"));
  EXPECT_FALSE(V(Validator::kLuhn, "0000000000"));           // too short for a card
  EXPECT_FALSE(V(Validator::kCard, "4111-1111 1111-1111"));  // mixed separators
}

TEST(DetectValidatorsTest, RrnDateByCentury) {
  EXPECT_TRUE(RrnDateValid("900101", '1'));
  EXPECT_FALSE(RrnDateValid("901301", '1'));  // month 13
  EXPECT_FALSE(RrnDateValid("900132", '2'));
  EXPECT_FALSE(RrnDateValid("900431", '1'));  // April has 30 days
  EXPECT_FALSE(RrnDateValid("900001", '1'));
  EXPECT_FALSE(RrnDateValid("900100", '1'));
  EXPECT_TRUE(RrnDateValid("000229", '3'));   // 2000 is a leap year
  EXPECT_FALSE(RrnDateValid("000229", '1'));  // 1900 is not
  EXPECT_TRUE(RrnDateValid("040229", '4'));
  EXPECT_TRUE(RrnDateValid("960229", '5'));  // 1996
  EXPECT_FALSE(RrnDateValid("970229", '6'));
  EXPECT_TRUE(RrnDateValid("960229", '9'));   // 1896 leap
  EXPECT_FALSE(RrnDateValid("000229", '0'));  // 1800 is not
}

TEST(DetectValidatorsTest, RrnChecksumAndConfidence) {
  EXPECT_TRUE(RrnChecksumValid("9001011234568", false));
  EXPECT_FALSE(RrnChecksumValid("9001011234567", false));
  EXPECT_TRUE(RrnChecksumValid("9001015123452", true));
  double c = 0;
  ASSERT_TRUE(Validate(Validator::kRrn, "900101-1234568", &c));
  EXPECT_EQ(c, 1.0);
  ASSERT_TRUE(Validate(Validator::kRrn, "900101-1234567", &c));  // post-2020 style: still a hit
  EXPECT_EQ(c, 0.8);
  EXPECT_FALSE(V(Validator::kRrn, "900101-5123452"));  // foreigner digit
  EXPECT_TRUE(V(Validator::kFrn, "900101-5123452"));
  EXPECT_FALSE(V(Validator::kFrn, "900101-1234568"));
  EXPECT_TRUE(V(Validator::kRrnDate, "900101-5123452"));
}

TEST(DetectValidatorsTest, BrnChecksum) {
  EXPECT_TRUE(BrnChecksumValid("1234567891"));
  EXPECT_FALSE(BrnChecksumValid("1234567890"));
  EXPECT_TRUE(BrnChecksumValid("2208112341"));
  EXPECT_TRUE(V(Validator::kBrnChecksum, "123-45-67891"));
}

TEST(DetectValidatorsTest, PhoneDigitCounts) {
  EXPECT_TRUE(V(Validator::kPhoneKr, "010-1234-5678"));
  EXPECT_TRUE(V(Validator::kPhoneKr, "02-123-4567"));
  EXPECT_TRUE(V(Validator::kPhoneKr, "+82 10-1234-5678"));
  EXPECT_TRUE(V(Validator::kPhoneKr, "1588-1234"));
  // Two kinds of narrow separator: with the trunk 0 or after +82 only.
  EXPECT_TRUE(V(Validator::kPhoneKr, "010-1234 5678"));
  EXPECT_TRUE(V(Validator::kPhoneKr, "010.1234-5678"));
  EXPECT_TRUE(V(Validator::kPhoneKr, "+82 10-1234 5678"));
  for (const char* p : {"10-1234 5678", "82-10-1234 5678", "010-1234/5678", "010~1234 5678", "010-1234-5678 9",
                        "010 1234-56 78", "1588-1234 5678"})
    EXPECT_FALSE(V(Validator::kPhoneKr, p)) << p;
}

TEST(DetectValidatorsTest, IpAndLicence) {
  EXPECT_TRUE(V(Validator::kIpv4, "192.168.0.1"));
  EXPECT_FALSE(V(Validator::kIpv4, "256.1.1.1"));
  EXPECT_FALSE(V(Validator::kIpv4, "01.2.3.4"));
  EXPECT_TRUE(V(Validator::kIpv6, "2001:db8::1"));
  EXPECT_TRUE(V(Validator::kIpv6, "2001:0db8:0000:0000:0000:ff00:0042:8329"));
  EXPECT_TRUE(V(Validator::kIpv6, "::1"));  // loopback: "::" and one group
  EXPECT_FALSE(V(Validator::kIpv6, "::"));
  EXPECT_FALSE(V(Validator::kIpv6, "d::"));  // "std::" is not an address
  EXPECT_FALSE(V(Validator::kIpv6, "09:30:00"));
  EXPECT_FALSE(V(Validator::kIpv6, "1::2::3"));
  EXPECT_TRUE(V(Validator::kDriverLicenseKr, "11-22-123456-01"));
  EXPECT_TRUE(V(Validator::kDriverLicenseKr, "28-22-123456-01"));
  EXPECT_FALSE(V(Validator::kDriverLicenseKr, "10-22-123456-01"));
  EXPECT_FALSE(V(Validator::kDriverLicenseKr, "29-22-123456-01"));
}

TEST(DetectValidatorsTest, RrnDateNotInTheFuture) {
  EXPECT_TRUE(RrnDateValid("201015", '3'));   // 2020
  EXPECT_FALSE(RrnDateValid("601019", '4'));  // 2060: not born yet
  EXPECT_TRUE(RrnDateValid("601019", '2'));   // 1960
  EXPECT_FALSE(RrnDateValid("991231", '7'));  // 2099
}

// The checksum only raises confidence (random final digits since October
// 2020), with or without a separator. Two exceptions for a bare 13-digit run:
// one starting with 1 (born 1910-1919 / 2010-2019, numbers issued before
// October 2020; the epoch-millisecond range) needs the pre-2020 checks, and
// the 1800s digits 9/0 need a separator.
TEST(DetectValidatorsTest, BareRrnRules) {
  double c = 0;
  EXPECT_TRUE(Validate(Validator::kRrn, "9001011234568", &c));
  EXPECT_EQ(c, 1.0);
  ASSERT_TRUE(Validate(Validator::kRrn, "9001011234567", &c));  // bare, checksum fails: still a hit
  EXPECT_EQ(c, 0.8);
  EXPECT_TRUE(V(Validator::kRrn, "900101-1234567"));
  EXPECT_TRUE(V(Validator::kRrn, "900101 1234567"));
  EXPECT_TRUE(V(Validator::kRrn, "2110153123455"));  // born 2021, random last digit
  // Born 1910-1919 / 2010-2019: bare needs the checksum.
  EXPECT_TRUE(V(Validator::kRrn, "1001011234562"));
  EXPECT_FALSE(V(Validator::kRrn, "1001011234563"));
  EXPECT_TRUE(V(Validator::kRrn, "100101-1234563"));
  EXPECT_TRUE(V(Validator::kRrn, "1503153123455"));
  EXPECT_FALSE(V(Validator::kRrn, "1503153123456"));
  EXPECT_FALSE(V(Validator::kFrn, "1703117513184"));  // epoch millis: checksum ok, odd registration office
  EXPECT_FALSE(V(Validator::kFrn, "1703117513185"));
  EXPECT_TRUE(V(Validator::kFrn, "1503157123666"));  // checksum, even office 12, type 6
  EXPECT_FALSE(V(Validator::kFrn, "1503157123667"));
  // The 1800s digits 9/0 need a separator.
  EXPECT_FALSE(V(Validator::kRrn, "1712239945081"));  // epoch millis that read as 1817
  EXPECT_TRUE(V(Validator::kRrn, "171223-9945081"));
  EXPECT_FALSE(V(Validator::kRrn, "8503150123456"));
  // Foreigners: the same rules.
  EXPECT_TRUE(V(Validator::kFrn, "9001015123452"));
  EXPECT_TRUE(V(Validator::kFrn, "900101-5123452"));
  EXPECT_TRUE(V(Validator::kRrnDate, "1001011234563"));  // custom detectors keep the date-only rule
}

TEST(DetectValidatorsTest, CardIssuerAndLength) {
  EXPECT_TRUE(CardIssuerPlausible("4111111111111111"));
  EXPECT_TRUE(CardIssuerPlausible("4222222222222"));  // Visa 13
  EXPECT_TRUE(CardIssuerPlausible("378282246310005"));
  EXPECT_TRUE(CardIssuerPlausible("36227206271667"));  // Diners 14
  EXPECT_TRUE(CardIssuerPlausible("3566002020360505"));
  EXPECT_TRUE(CardIssuerPlausible("2221000000000009"));
  EXPECT_TRUE(CardIssuerPlausible("6200000000000005"));
  EXPECT_TRUE(CardIssuerPlausible("6212345678901234567"));  // UnionPay 19
  EXPECT_TRUE(CardIssuerPlausible("9410123456789010"));     // Korean domestic
  // Found passing by review: Mir (2200-2204). Not RuPay's 81/82: one in ten
  // 16-digit order ids starting so passes Luhn (a second review).
  EXPECT_TRUE(CardIssuerPlausible("2200123456789019"));  // Mir
  EXPECT_TRUE(V(Validator::kCard, "2200 1234 5678 9019"));
  EXPECT_FALSE(CardIssuerPlausible("2205123456789012"));  // between Mir and Mastercard
  EXPECT_FALSE(CardIssuerPlausible("8112345678901239"));
  EXPECT_FALSE(CardIssuerPlausible("1764146400007"));       // epoch millis
  EXPECT_FALSE(CardIssuerPlausible("6081234567890"));       // 13-digit parcel number
  EXPECT_FALSE(CardIssuerPlausible("2026112600012345"));    // order id starting with a date
  EXPECT_FALSE(CardIssuerPlausible("378282246310005000"));  // Amex is 15 digits
  EXPECT_FALSE(CardIssuerPlausible("5555555555554"));
  EXPECT_TRUE(V(Validator::kCard, "3782 822463 10005"));
  EXPECT_TRUE(V(Validator::kCard, "3622-720627-1667"));
  EXPECT_FALSE(V(Validator::kCard, "1764146400007"));  // Luhn-valid, but no issuer
  EXPECT_TRUE(V(Validator::kLuhn, "1764146400007"));   // the plain "luhn" validator stays Luhn only
}

TEST(DetectValidatorsTest, PhoneForms) {
  for (const char* p : {"010-1234-5678",  "01012345678",      "011-123-4567",     "02-123-4567",    "0212345678",
                        "031-123-4567",   "064-1234-5678",    "070-1234-5678",    "1588-1234",      "1588 1234",
                        "15881234",       "+82-10-1234-5678", "+82 10 1234 5678", "+821012345678",  "+82 010-1234-5678",
                        "+82-2-123-4567", "+82 31-123-4567",  "+82.10.1234.5678", "0504-1234-5678", "0505-123-4567",
                        "050412345678",   "+82 504-1234-5678"}) {
    EXPECT_TRUE(V(Validator::kPhoneKr, p)) << p;
  }
  for (const char* p : {"010-123-4567", "0101234567", "059-123-4567", "02-12-3456", "16000000", "+82", "+82-",
                        "0501-1234-5678", "0509-1234-5678", "0504-12-5678", "0504-1234-56789"}) {
    EXPECT_FALSE(V(Validator::kPhoneKr, p)) << p;
  }
  EXPECT_TRUE(PhoneKrDigitsValid("0212345678"));
  EXPECT_FALSE(PhoneKrDigitsValid("0591234567"));
  EXPECT_FALSE(PhoneKrDigitsValid("12345678"));
}

TEST(DetectValidatorsTest, PhoneCountryCodeWithoutPlusAndTrunkInParentheses) {
  for (const char* p : {"82-10-1234-5678", "82 10 1234 5678", "82.10.1234.5678", "82-010-1234-5678", "82 1012345678",
                        "82-2-123-4567", "+82 (0)10-1234-5678", "+82(0)10 1234 5678", "82 (0)2-123-4567"}) {
    EXPECT_TRUE(V(Validator::kPhoneKr, p)) << p;
  }
  for (const char* p : {"8210-1234-5678", "821012345678", "82-10-1234 5678", "82-10-123-4567", "82-", "82 (0)",
                        "+82 (1)10-1234-5678", "+82 (0)(0)10-1234-5678"}) {
    EXPECT_FALSE(V(Validator::kPhoneKr, p)) << p;
  }
}

TEST(DetectValidatorsTest, PhoneAreaCodeClosedByAParenthesis) {
  for (const char* p : {"02)123-4567", "031)123-4567", "(010)-1234-5678", "(02) 123-4567"}) {
    EXPECT_TRUE(V(Validator::kPhoneKr, p)) << p;
  }
  for (const char* p : {"0212)345-6789", "0)1234-5678", "(02)    123-4567", "02)"}) {
    EXPECT_FALSE(V(Validator::kPhoneKr, p)) << p;
  }
}

TEST(DetectValidatorsTest, RrnWithAnOddSeparatorNeedsTheChecksum) {
  EXPECT_TRUE(V(Validator::kRrn, "900101,1234568"));  // check digit 8
  EXPECT_FALSE(V(Validator::kRrn, "900101,1234567"));
  EXPECT_TRUE(V(Validator::kRrn, "900101-1234567"));  // with '-' the checksum only sets the confidence
}

TEST(DetectValidatorsTest, PhoneOneDigitAtATime) {
  for (const char* p : {"0 1 0 1 2 3 4 5 6 7 8", "0 1 0 - 1 2 3 4 - 5 6 7 8", "0 1 0-1 2 3 4-5 6 7 8",
                        "1 5 8 8 1 2 3 4", "+ 8 2 1 0 1 2 3 4 5 6 7 8", "+8 2 0 1 0 1 2 3 4 5 6 7 8",
                        "+ 8 2 2 1 2 3 4 5 6 7", "0 0 8 2 1 0 1 2 3 4 5 6 7 8", "0 0 8 2 0 2 1 2 3 4 5 6 7"}) {
    EXPECT_TRUE(V(Validator::kPhoneKr, p)) << p;
  }
  for (const char* p : {"0 1 0-1 2 3 4_5 6 7 8",            // three kinds of separators
                        "+ 4 4 2 0 7 9 4 6 0 0 0 0",        // another country
                        "+ 8 2",                            // nothing after the country code
                        "0 0 8 2",                          // nor here
                        "0 0 8 3 1 0 1 2 3 4 5 6 7 8",      // not 82
                        "0 1 0 1 2 3 4 5 6 7 8 9 0 1 2 3",  // too long
                        "0 5 9 1 2 3 4 5 6 7",              // no such area code
                        "1~5~8~8~1~2~3~4"}) {               // a representative number, an odd separator
    EXPECT_FALSE(V(Validator::kPhoneKr, p)) << p;
  }
}

TEST(DetectValidatorsTest, CardWithDots) {
  EXPECT_TRUE(V(Validator::kCard, "4111.1111.1111.1111"));
  EXPECT_FALSE(V(Validator::kCard, "4111.1111.1111-1111"));
  EXPECT_FALSE(V(Validator::kCard, "2026.1126.0930.1234"));
}

TEST(DetectValidatorsTest, BrnStructure) {
  EXPECT_TRUE(V(Validator::kBrnChecksum, "1208147521"));  // no hyphens
  EXPECT_TRUE(V(Validator::kBrnChecksum, "220-81-62517"));
  EXPECT_FALSE(V(Validator::kBrnChecksum, "2208162518"));
  EXPECT_FALSE(V(Validator::kBrnChecksum, "012-34-56789"));  // no tax office 0xx
  // Without hyphens the tax office must be one of the 1xx-6xx ranges (second
  // digit 0-4): epoch seconds (1764146400) and other 10-digit numbers fail.
  EXPECT_FALSE(V(Validator::kBrnChecksum, "1764146406"));
  for (const char* office : {"150", "240", "320", "420", "520", "630", "700", "999"}) {
    // Same check digit rule, tax office out of range: only the hyphenated form is accepted.
    std::string body = std::string(office) + "811234";
    int sum = 0;
    static constexpr int kW[9] = {1, 3, 7, 1, 3, 7, 1, 3, 5};
    for (int i = 0; i < 9; ++i) sum += kW[i] * (body[i] - '0');
    sum += ((body[8] - '0') * 5) / 10;
    body += static_cast<char>('0' + (10 - sum % 10) % 10);
    ASSERT_TRUE(BrnChecksumValid(body)) << body;
    EXPECT_FALSE(V(Validator::kBrnChecksum, body)) << body;
    EXPECT_TRUE(V(Validator::kBrnChecksum, body.substr(0, 3) + "-" + body.substr(3, 2) + "-" + body.substr(5))) << body;
  }
  double c = 0;
  for (int last = 0; last <= 9; ++last) {
    const std::string epoch = "176414640" + std::to_string(last);
    EXPECT_FALSE(Validate(Validator::kBrnChecksum, epoch, &c)) << epoch;
  }
}

TEST(DetectValidatorsTest, BankAccount) {
  for (const char* a : {"110-123-456789", "123456-01-123456", "1002-123-456789", "3333-01-1234567", "301-1234-5678-91",
                        "1000-1234-5678", "100012345678", "3333011234567", "110 123 456789", "3333 01 1234567"}) {
    EXPECT_TRUE(V(Validator::kBankAccountKr, a)) << a;
  }
  // Groupings outside the table: 10 digits only in three or more groups.
  for (const char* a : {"207-22-1234567", "123-456-7890", "12345678-012", "203002-14-730202"}) {
    EXPECT_TRUE(V(Validator::kBankAccountKr, a)) << a;
  }
  for (const char* a : {"1234567890", "123456789012345", "110 123-456789", "110.123.456789", "00000000000",
                        "20261126093012", "2026112600012", "1764146400000", "12345678-01", "2024-1348311",
                        "010-12345-678", "2026-01-15-123456", "1-2-3-4-5-6-7-8-9-10", "110--123-456789"}) {
    EXPECT_FALSE(V(Validator::kBankAccountKr, a)) << a;
  }
}

TEST(DetectValidatorsTest, Names) {
  Validator v = Validator::kNone;
  for (const std::string& n : ValidatorNames()) EXPECT_TRUE(ValidatorFromName(n, &v)) << n;
  EXPECT_TRUE(ValidatorFromName("brn_checksum", &v));
  EXPECT_EQ(v, Validator::kBrnChecksum);
  EXPECT_TRUE(ValidatorFromName("bank_account_kr", &v));
  EXPECT_EQ(v, Validator::kBankAccountKr);
  EXPECT_EQ(ValidatorNames().size(), 13u);
  EXPECT_FALSE(ValidatorFromName("LUHN", &v));
}

}  // namespace
}  // namespace maskproxy::detect
