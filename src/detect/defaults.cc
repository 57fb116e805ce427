// The built-in detectors (Scanner::Defaults()): patterns, validators and
// context words. Patterns match the normalized text (normalize.h), so they
// only need ASCII digits, spaces and hyphens.
#include <string>
#include <vector>

#include "detect/scanner.h"

namespace maskproxy::detect {

std::vector<DetectorSpec> Scanner::Defaults() {
  const std::string kRrnShape = R"(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[- ]?)";
  const std::vector<std::string> kBankWords = {
      "계좌", "입금", "송금", "이체",       "은행",     "account",  "국민",   "신한",   "우리",
      "하나", "농협", "기업", "카카오뱅크", "토스뱅크", "케이뱅크", "새마을", "우체국", "수협",
      "대구", "부산", "경남", "광주",       "전북",     "제주",     "sc제일", "씨티"};
  return {
      {"rrn", kRrnShape + R"([0-9]\d{6})", "rrn", {}, 20},
      {"frn", kRrnShape + R"([5-8]\d{6})", "frn", {}, 20},
      {"card", R"(\d{4}(?:-\d{4}-\d{4}-\d{4}| \d{4} \d{4} \d{4}|-\d{6}-\d{5}| \d{6} \d{5})|\d{13,19})", "card", {}, 20},
      {"phone_kr",
       R"((?:\+82[-. ]?(?:1[016789]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)|01[016789]|02|0(?:3[1-3]|4[1-4]|5[1-5]|6[1-4])|070))"
       R"([-. ]?\d{3,4}[-. ]?\d{4}|1[568]\d{2}[-. ]\d{4})",
       "phone_kr",
       {},
       20},
      {"driver_license_kr", R"(\d{2}-\d{2}-\d{6}-\d{2})", "driver_license_kr", {}, 20},
      {"brn", R"(\d{3}-\d{2}-\d{5})", "brn_checksum", {}, 20},
      {"bank_account_kr",
       R"(\d{3}-\d{2,3}-\d{6}|\d{4}-\d{3}-\d{6}|\d{6}-\d{2}-\d{6}|\d{3}-\d{6}-\d{5}|\d{3}-\d{4}-\d{4}-\d{2}|\d{11,14})",
       "none", kBankWords, 20},
      {"passport_kr", R"([MSRGD]\d{8}|[MSRGD]\d{3}[A-Z]\d{4})", "none", {"여권", "passport"}, 20},
      {"email", R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})", "email", {}, 20},
      {"ipv4", R"(\d{1,3}(?:\.\d{1,3}){3})", "ipv4", {}, 20},
      {"ipv6", R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}\.\d{1,3}\.\d{1,3})?)", "ipv6", {}, 20},
  };
}

}  // namespace maskproxy::detect
