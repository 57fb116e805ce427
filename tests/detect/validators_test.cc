// Validators: checksums, dates and the per-format plausibility checks.
#include "detect/validators.h"

#include <gtest/gtest.h>

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
  EXPECT_FALSE(V(Validator::kPhoneKr, "010-1234 5678"));
  EXPECT_FALSE(V(Validator::kPhoneKr, "010.1234-5678"));
}

TEST(DetectValidatorsTest, IpAndLicence) {
  EXPECT_TRUE(V(Validator::kIpv4, "192.168.0.1"));
  EXPECT_FALSE(V(Validator::kIpv4, "256.1.1.1"));
  EXPECT_FALSE(V(Validator::kIpv4, "01.2.3.4"));
  EXPECT_TRUE(V(Validator::kIpv6, "2001:db8::1"));
  EXPECT_TRUE(V(Validator::kIpv6, "2001:0db8:0000:0000:0000:ff00:0042:8329"));
  EXPECT_FALSE(V(Validator::kIpv6, "::1"));
  EXPECT_FALSE(V(Validator::kIpv6, "09:30:00"));
  EXPECT_FALSE(V(Validator::kIpv6, "1::2::3"));
  EXPECT_TRUE(V(Validator::kDriverLicenseKr, "11-22-123456-01"));
  EXPECT_TRUE(V(Validator::kDriverLicenseKr, "28-22-123456-01"));
  EXPECT_FALSE(V(Validator::kDriverLicenseKr, "10-22-123456-01"));
  EXPECT_FALSE(V(Validator::kDriverLicenseKr, "29-22-123456-01"));
}

TEST(DetectValidatorsTest, Names) {
  Validator v = Validator::kNone;
  for (const std::string& n : ValidatorNames()) EXPECT_TRUE(ValidatorFromName(n, &v)) << n;
  EXPECT_TRUE(ValidatorFromName("brn_checksum", &v));
  EXPECT_EQ(v, Validator::kBrnChecksum);
  EXPECT_FALSE(ValidatorFromName("LUHN", &v));
}

}  // namespace
}  // namespace maskproxy::detect
