// Validators: checks that run on a regex candidate to cut false positives.
// Each takes the candidate text (normalized, see normalize.h) and returns
// whether it is a hit; `confidence` (0..1] may be lowered for hits that pass
// only the weaker checks. None of them allocates or logs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace maskproxy::detect {

enum class Validator {
  kNone,
  kLuhn,             // 13-19 digits (separators ignored), Luhn checksum
  kRrnDate,          // YYMMDD + gender digit: a real date in the gender digit's century
  kRrn,              // kRrnDate, gender digit not 5-8 (those are frn); checksum raises confidence
  kFrn,              // kRrnDate, gender digit 5-8; checksum raises confidence
  kBrnChecksum,      // 사업자등록번호 check digit
  kPhoneKr,          // separators consistent, digit count fits the prefix
  kEmail,            // a local part without a leading dot; no ".." in the domain
  kCard,             // kLuhn, all separators equal, length fits the issuer prefix (CardIssuerPlausible)
  kDriverLicenseKr,  // region code 11-28
  kIpv4,             // each octet <= 255, no leading zeros
  kIpv6,             // inet_pton(AF_INET6) accepts it; two groups, or "::" and one ("::1")
  kBankAccountKr,    // 11-14 digits, only '-' between groups, not one repeated digit
};

// Names usable in a DetectorSpec: "none", "luhn", "rrn_date", "rrn", "frn",
// "brn_checksum", "phone_kr", "email", "card", "driver_license_kr", "ipv4",
// "ipv6", "bank_account_kr".
[[nodiscard]] const std::vector<std::string>& ValidatorNames();
[[nodiscard]] bool ValidatorFromName(std::string_view name, Validator* out);

[[nodiscard]] bool Validate(Validator v, std::string_view candidate, double* confidence);

// Whether a shorter match at the same begin as e-mail candidate c may pass
// the e-mail validator: c's local part (up to its first '@', which a shorter
// match shares; not empty, no leading '.': "taro.@" and "kim..lee@" are
// addresses) and the domain's first character are valid; only a ".."
// further on in the domain can then fail c.
[[nodiscard]] bool EmailShorterMayPass(std::string_view c);

// Building blocks, exposed for tests.
[[nodiscard]] bool LuhnValid(std::string_view digits_and_separators);
[[nodiscard]] bool RrnDateValid(std::string_view yymmdd, char gender_digit);
// 13 digits, no separators. RRN weights 2..9,2..5; `foreign` uses the
// pre-2020 ARN rule (13 - sum mod 11) mod 10.
[[nodiscard]] bool RrnChecksumValid(std::string_view digits13, bool foreign);
// The century an RRN's gender digit gives, as its two digits: "19" for 1, 2,
// 5, 6; "20" for 3, 4, 7, 8; "18" for 9, 0; "" for anything else.
[[nodiscard]] std::string_view RrnCentury(char gender_digit);
// The 13 digits of an RRN written with its year in full: `digits` is 15
// digits whose first two are the century the gender digit (the ninth) gives;
// the century dropped, the rest is returned. Anything else is returned as it
// is. (normalize: rrn; the scanner finds these forms.)
[[nodiscard]] std::string_view RrnWithoutCentury(std::string_view digits);
[[nodiscard]] bool BrnChecksumValid(std::string_view digits10);
// Card number digits (no separators): the length fits the issuer prefix
// (Visa 4: 13/16/19, Amex 34/37: 15, Diners 30/36/38/39: 14-16, JCB 35:
// 16-19, Mastercard 51-55 and 2221-2720: 16, Maestro 50/56-59 and
// Discover/UnionPay 6: 16-19, Korean domestic 9: 16). Epoch milliseconds,
// order ids and parcel numbers fail it.
[[nodiscard]] bool CardIssuerPlausible(std::string_view digits);
// A Korean phone number's digits in national form (leading 0, or 15xx/16xx/
// 18xx): the digit count fits the prefix.
[[nodiscard]] bool PhoneKrDigitsValid(std::string_view national_digits);

}  // namespace maskproxy::detect
