#include "detect/validators.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace maskproxy::detect {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Copies the digits of s into buf (at most cap); returns the count, or
// cap + 1 if there are more.
size_t Digits(std::string_view s, char* buf, size_t cap) {
  size_t n = 0;
  for (char c : s) {
    if (!IsDigit(c)) continue;
    if (n == cap) return cap + 1;
    buf[n++] = c;
  }
  return n;
}

// All non-digit characters of s are the same (or there are none).
bool ConsistentSeparators(std::string_view s) {
  char sep = 0;
  for (char c : s) {
    if (IsDigit(c)) continue;
    if (sep == 0) sep = c;
    if (c != sep) return false;
  }
  return true;
}

int D(char c) {
  return c - '0';
}

bool ValidateRrnLike(std::string_view candidate, bool foreign, bool any_gender, double* confidence) {
  char d[14];
  if (Digits(candidate, d, 13) != 13) return false;
  const char g = d[6];
  if (!any_gender) {
    const bool is_foreign_digit = g >= '5' && g <= '8';
    if (is_foreign_digit != foreign) return false;
  }
  if (!RrnDateValid(std::string_view(d, 6), g)) return false;
  // Numbers issued since October 2020 end in random digits: the checksum is a
  // confidence boost, never a requirement.
  *confidence = RrnChecksumValid(std::string_view(d, 13), foreign) ? 1.0 : 0.8;
  return true;
}

bool ValidatePhone(std::string_view c) {
  std::string_view rest = c;
  const bool intl = rest.starts_with("+82");
  if (intl) {
    // "+82 10-1234-5678": the separator after the country code may differ.
    rest.remove_prefix(3);
    while (!rest.empty() && !IsDigit(rest.front())) rest.remove_prefix(1);
  }
  if (!ConsistentSeparators(rest)) return false;
  char d[16];
  const size_t n = Digits(rest, d, 15);
  if (n > 15) return false;
  const std::string_view digits(d, n);
  // National number without the leading 0: 2-XXX-XXXX (8) to 10-XXXX-XXXX (10).
  if (intl) return digits.size() >= 8 && digits.size() <= 10;
  if (digits.starts_with("1")) return digits.size() == 8;  // 15xx-xxxx
  if (digits.starts_with("02")) return digits.size() == 9 || digits.size() == 10;
  return digits.size() == 10 || digits.size() == 11;
}

bool ValidateEmail(std::string_view c) {
  const size_t at = c.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  const std::string_view local = c.substr(0, at);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return false;
  const std::string_view domain = c.substr(at + 1);
  return domain.find("..") == std::string_view::npos && domain.front() != '-';
}

bool ValidateIpv4(std::string_view c) {
  int octets = 0;
  size_t i = 0;
  while (i <= c.size()) {
    size_t j = i;
    while (j < c.size() && IsDigit(c[j])) ++j;
    const size_t len = j - i;
    if (len == 0 || len > 3) return false;
    if (len > 1 && c[i] == '0') return false;
    int v = 0;
    for (size_t k = i; k < j; ++k) v = v * 10 + D(c[k]);
    if (v > 255) return false;
    ++octets;
    if (j == c.size()) break;
    if (c[j] != '.') return false;
    i = j + 1;
  }
  return octets == 4;
}

bool ValidateIpv6(std::string_view c) {
  if (c.size() > 45) return false;
  char buf[46];
  std::memcpy(buf, c.data(), c.size());
  buf[c.size()] = '\0';
  unsigned char addr[16];
  if (inet_pton(AF_INET6, buf, addr) != 1) return false;
  // At least two non-empty groups: "d::" in "std::vector" or "::1" are not
  // worth a hit.
  int groups = 0;
  bool in_group = false;
  for (char ch : c) {
    const bool hex = ch != ':';
    if (hex && !in_group) ++groups;
    in_group = hex;
  }
  return groups >= 2;
}

}  // namespace

const std::vector<std::string>& ValidatorNames() {
  static const std::vector<std::string> kNames = {"none",         "luhn",     "rrn_date", "rrn",  "frn",
                                                  "brn_checksum", "phone_kr", "email",    "card", "driver_license_kr",
                                                  "ipv4",         "ipv6"};
  return kNames;
}

bool ValidatorFromName(std::string_view name, Validator* out) {
  static constexpr std::array<Validator, 12> kValues = {
      Validator::kNone,        Validator::kLuhn,    Validator::kRrnDate, Validator::kRrn,  Validator::kFrn,
      Validator::kBrnChecksum, Validator::kPhoneKr, Validator::kEmail,   Validator::kCard, Validator::kDriverLicenseKr,
      Validator::kIpv4,        Validator::kIpv6};
  const auto& names = ValidatorNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) {
      *out = kValues[i];
      return true;
    }
  }
  return false;
}

bool LuhnValid(std::string_view s) {
  int sum = 0;
  int n = 0;
  for (size_t i = s.size(); i-- > 0;) {
    if (!IsDigit(s[i])) continue;
    int v = D(s[i]);
    if (n % 2 == 1) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    ++n;
  }
  return n > 0 && sum % 10 == 0;
}

bool RrnDateValid(std::string_view yymmdd, char g) {
  if (yymmdd.size() != 6 || !IsDigit(g)) return false;
  for (char c : yymmdd) {
    if (!IsDigit(c)) return false;
  }
  int century = 0;
  switch (g) {
    case '1':
    case '2':
    case '5':
    case '6': century = 1900; break;
    case '3':
    case '4':
    case '7':
    case '8': century = 2000; break;
    default: century = 1800; break;  // 9, 0
  }
  const int year = century + D(yymmdd[0]) * 10 + D(yymmdd[1]);
  const int month = D(yymmdd[2]) * 10 + D(yymmdd[3]);
  const int day = D(yymmdd[4]) * 10 + D(yymmdd[5]);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = month == 2 && leap ? 29 : kDays[month - 1];
  return day <= max_day;
}

bool RrnChecksumValid(std::string_view d, bool foreign) {
  if (d.size() != 13) return false;
  static constexpr int kW[12] = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
  int sum = 0;
  for (size_t i = 0; i < 12; ++i) {
    if (!IsDigit(d[i])) return false;
    sum += kW[i] * D(d[i]);
  }
  const int check = ((foreign ? 13 : 11) - sum % 11) % 10;
  return IsDigit(d[12]) && check == D(d[12]);
}

bool BrnChecksumValid(std::string_view d) {
  if (d.size() != 10) return false;
  static constexpr int kW[9] = {1, 3, 7, 1, 3, 7, 1, 3, 5};
  int sum = 0;
  for (size_t i = 0; i < 9; ++i) {
    if (!IsDigit(d[i])) return false;
    sum += kW[i] * D(d[i]);
  }
  sum += (D(d[8]) * 5) / 10;
  return IsDigit(d[9]) && (10 - sum % 10) % 10 == D(d[9]);
}

bool Validate(Validator v, std::string_view c, double* confidence) {
  *confidence = 1.0;
  if (c.empty()) return false;
  switch (v) {
    case Validator::kNone: return true;
    case Validator::kLuhn: {
      char d[20];
      const size_t n = Digits(c, d, 19);
      return n >= 13 && n <= 19 && LuhnValid(std::string_view(d, n));
    }
    case Validator::kCard: return ConsistentSeparators(c) && Validate(Validator::kLuhn, c, confidence);
    case Validator::kRrnDate: return ValidateRrnLike(c, false, true, confidence);
    case Validator::kRrn: return ValidateRrnLike(c, false, false, confidence);
    case Validator::kFrn: return ValidateRrnLike(c, true, false, confidence);
    case Validator::kBrnChecksum: {
      char d[11];
      const size_t n = Digits(c, d, 10);
      return n == 10 && BrnChecksumValid(std::string_view(d, n));
    }
    case Validator::kPhoneKr: return ValidatePhone(c);
    case Validator::kEmail: return ValidateEmail(c);
    case Validator::kDriverLicenseKr: {
      char d[13];
      if (Digits(c, d, 12) != 12) return false;
      const int region = D(d[0]) * 10 + D(d[1]);
      return region >= 11 && region <= 28;
    }
    case Validator::kIpv4: return ValidateIpv4(c);
    case Validator::kIpv6: return ValidateIpv6(c);
  }
  return false;
}

}  // namespace maskproxy::detect
