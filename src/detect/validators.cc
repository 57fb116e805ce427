#include "detect/validators.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <ctime>

namespace maskproxy::detect {

bool EmailShorterMayPass(std::string_view c) {
  const size_t at = c.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= c.size()) return false;
  const std::string_view local = c.substr(0, at);
  // A dot at the local part's end or two in a row break RFC 5321 but are real
  // addresses (Japanese carriers' "taro..yamada@", "taro.@" of old accounts):
  // an address, read as one. A leading dot is not (it ends a sentence before it).
  if (local.front() == '.') return false;
  return c[at + 1] != '-';
}

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

// Every run of non-digits in s (the separators between digit groups) is the
// same ("010 - 1234 - 5678", "010-1234-5678"; not "010-1234 5678"). A number
// written one digit at a time may set its groups apart with a second kind
// ("0 1 0 - 1 2 3 4 - 5 6 7 8", "0 1 0-1 2 3 4-5 6 7 8").
bool ConsistentSeparators(std::string_view s) {
  std::string_view sep[2];
  size_t kinds = 0;
  bool digit_by_digit = true;
  for (size_t i = 0; i < s.size();) {
    if (IsDigit(s[i])) {
      digit_by_digit = digit_by_digit && (i + 1 == s.size() || !IsDigit(s[i + 1]));
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && !IsDigit(s[j])) ++j;
    const std::string_view run = s.substr(i, j - i);
    if (!(kinds > 0 && run == sep[0]) && !(kinds > 1 && run == sep[1])) {
      if (kinds == 2) return false;
      sep[kinds++] = run;
    }
    i = j;
  }
  return kinds < 2 || digit_by_digit;
}

// Whether s is three groups of digits parted by two different narrow
// separators: blanks, or a '-' or '.' with blanks around it ("010 1234-5678",
// "010-1234 5678": how people type a mobile number; found passing by
// review).
bool NarrowMixedSeparators(std::string_view s) {
  size_t runs = 0;
  for (size_t i = 0; i < s.size();) {
    if (IsDigit(s[i])) {
      ++i;
      continue;
    }
    if (i == 0) return false;
    size_t j = i, marks = 0;
    for (; j < s.size() && !IsDigit(s[j]); ++j) {
      if (s[j] == '-' || s[j] == '.') {
        ++marks;
      } else if (s[j] != ' ' && s[j] != '\t') {
        return false;
      }
    }
    if (marks > 1 || j - i > 5 || j == s.size() || ++runs > 2) return false;
    i = j;
  }
  return runs == 2;
}

// Whether s holds one of the odd single separators (~ , * : | \ + ;) the
// detectors take besides blanks, '-', '.', '/' and '_' (defaults.cc).
bool HasOddSeparator(std::string_view s) {
  return s.find_first_of("~,*:|\\+;") != std::string_view::npos;
}

// Removes blanks (spaces and tabs) at both ends of s.
std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Appends s to d[*n] when s is `least` to `most` digits and nothing else.
bool TakeDigitGroup(std::string_view s, size_t least, size_t most, char* d, size_t* n) {
  if (s.size() < least || s.size() > most) return false;
  for (char ch : s) {
    if (!IsDigit(ch)) return false;
    d[(*n)++] = ch;
  }
  return true;
}

// Whether s (after a '+' and blanks) is a number written one digit at a
// time: at least eight digits, none next to another.
bool OneDigitAtATime(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  size_t digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsDigit(s[i])) continue;
    if (i + 1 < s.size() && IsDigit(s[i + 1])) return false;
    ++digits;
  }
  return digits >= 8;
}

int D(char c) {
  return c - '0';
}

// This year in Korea (UTC+9), read once.
int CurrentYearKst() {
  static const int year = [] {
    const time_t now = time(nullptr) + 9 * 3600;
    struct tm tm_utc {};
    if (gmtime_r(&now, &tm_utc) == nullptr) return 9999;
    return tm_utc.tm_year + 1900;
  }();
  return year;
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
  // confidence boost, not a requirement.
  const bool checksum = RrnChecksumValid(std::string_view(d, 13), foreign);
  *confidence = checksum ? 1.0 : 0.8;
  // With an odd separator ("230115,1000000", "800101*1000000": a date and an
  // amount in a list), only a number that passes the checksum.
  if (!checksum && HasOddSeparator(candidate)) return false;
  if (any_gender || candidate.size() != 13) return true;
  // Two exceptions for a bare run of 13 digits. The 1800s digits 9/0 need a
  // separator (nobody born then is alive; "1712239945081" is a timestamp).
  // One starting with 1 is in the epoch-millisecond range (2001-2033:
  // "1703117513184" reads as 2017-03-11, digit 7); everyone born 1910-1919 or
  // 2010-2019 got their number before October 2020, so without a separator it
  // must pass the pre-2020 checks: the checksum, and for foreigners an even
  // registration office (digits 8-9) and a registrant type 6-9 (digit 12).
  if (g == '9' || g == '0') return false;
  if (d[0] != '1') return true;
  const bool structured = !foreign || ((D(d[7]) * 10 + D(d[8])) % 2 == 0 && d[11] >= '6' && d[11] <= '9');
  return checksum && structured;
}

bool ValidatePhone(std::string_view c) {
  std::string_view rest = c;
  char d[20];
  size_t n = 0;  // digits already in d
  // One digit at a time ("0 1 0 1 2 ...", "+ 8 2 1 0 ...", "0 0 8 2 1 0 ..."):
  // the digits decide, after "82" the national number with its trunk 0 or
  // without.
  if (std::string_view body = rest; OneDigitAtATime(body)) {
    const bool plus = body.starts_with('+');
    while (!body.empty() && !IsDigit(body.front())) body.remove_prefix(1);
    if (!ConsistentSeparators(body)) return false;
    const size_t m = Digits(body, d, 15);
    if (m > 15 || m < 8) return false;
    std::string_view all(d, m);
    const bool intl = plus || all.starts_with("0082");
    if (intl) {
      if (!all.starts_with(plus ? "82" : "0082")) return false;
      all.remove_prefix(plus ? 2 : 4);
      if (all.empty()) return false;
    }
    // A representative number takes no odd separator ("1~5~8~8~…", like
    // "1800~1900", is a range or a list).
    if (!intl && all.front() == '1' && HasOddSeparator(body)) return false;
    char nd[16];
    size_t k = 0;
    if (intl && all.front() != '0') nd[k++] = '0';
    for (char ch : all) nd[k++] = ch;
    return PhoneKrDigitsValid(std::string_view(nd, k));
  }
  // "+82", "0082", "(+82)", or "82" without the plus and then a separator ("82-10-...").
  const size_t code = rest.starts_with("+82") ? 3 : rest.starts_with("0082") ? 4 : rest.starts_with("(+82)") ? 5 : 0;
  const bool intl = code != 0 || (rest.starts_with("82") && rest.size() > 2 && !IsDigit(rest[2]));
  if (intl) {
    // "+82 10-1234-5678": the separator after the country code may differ;
    // "+82 (0)10-...": the trunk 0 in parentheses, then a separator or none.
    rest.remove_prefix(code != 0 ? code : 2);
    while (!rest.empty() && !IsDigit(rest.front()) && rest.front() != '(') rest.remove_prefix(1);
    if (rest.starts_with("(0)")) {
      rest.remove_prefix(3);
      while (!rest.empty() && !IsDigit(rest.front())) rest.remove_prefix(1);
    } else if (const size_t close = rest.find(')'); rest.starts_with('(') && close != std::string_view::npos) {
      // "+82 (10) 1234-5678": the code without its trunk 0 in parentheses
      // (loose_groups.h finds it), then one to three separators.
      const std::string_view area = TrimBlanks(rest.substr(1, close - 1));
      if (area.empty() || area.front() == '0') return false;
      d[n++] = '0';
      if (!TakeDigitGroup(area, 1, 3, d, &n)) return false;
      rest.remove_prefix(close + 1);
      size_t sep = 0;
      while (sep < rest.size() && !IsDigit(rest[sep])) ++sep;
      if (sep > 3 || sep == rest.size()) return false;
      rest.remove_prefix(sep);
    }
    if (rest.empty() || !IsDigit(rest.front())) return false;
    // National form: the trunk 0, written or not ("+82 010-..." / "+82 10-...").
    if (n == 0 && rest.front() != '0') d[n++] = '0';
  } else if (const size_t close = rest.find(')'); close != std::string_view::npos) {
    // "(02) 123-4567", "(031)123-4567", "(010)-1234-5678", "( 010 ) 1234-5678": the
    // area code in parentheses; "02)123-4567": only closed by one. Then one
    // separator or none.
    const size_t open = rest.starts_with('(') ? 1 : 0;
    // 2-3 digits ("(02)", "(031)", "(010)"), 4 for 050X ("(0504) 1234-5678").
    const std::string_view area = TrimBlanks(rest.substr(open, close - open));
    if (!TakeDigitGroup(area, 2, area.starts_with("050") ? 4 : 3, d, &n)) return false;
    rest.remove_prefix(close + 1);
    size_t sep = 0;
    while (sep < rest.size() && !IsDigit(rest[sep])) ++sep;
    if (sep > 3 || sep == rest.size()) return false;
    rest.remove_prefix(sep);
  }
  // Separators of two kinds only in a mobile number with its trunk 0
  // written (01X) or after "+82" ("10-1234 5678" and "82-10-1234 5678" are as
  // often codes; "11:02 123-4567" a time and a number: a second review).
  const bool trunk = rest.starts_with("01") || code != 0;
  if (!ConsistentSeparators(rest) && !(trunk && NarrowMixedSeparators(rest))) return false;
  const size_t m = Digits(rest, d + n, 15);
  if (m > 15 || m == 0) return false;
  const std::string_view digits(d, n + m);
  if (!intl && n == 0 && digits.front() == '1' && rest.size() == digits.size()) {
    // 15881234 without a separator: only the assigned representative prefixes
    // (the pattern lists them), and not a round amount like 16000000.
    if (digits.ends_with("0000")) return false;
  }
  if (!intl && n == 0 && digits.size() == 10 && digits.starts_with("10") && rest.size() > digits.size()) {
    // 10-1234-5678: a mobile number without its trunk 0, grouped by '-' or
    // one space only, its middle group not a year, a round number or 0xxx
    // (10.2024.8654, 10,1000,2000, 10-2020-5257 and 10-1000-2000 are
    // versions, lists, ids and ranges).
    if (rest.find_first_not_of("0123456789- ") != std::string_view::npos) return false;
    const std::string_view middle = digits.substr(2, 4);
    if (rest.find("  ") != std::string_view::npos || middle[0] == '0' || middle.starts_with("19") ||
        middle.starts_with("20") || middle.ends_with("000"))
      return false;
    char nd[11] = {'0'};
    for (size_t i = 0; i < 10; ++i) nd[i + 1] = digits[i];
    return PhoneKrDigitsValid(std::string_view(nd, 11));
  }
  return PhoneKrDigitsValid(digits);
}

bool ValidateEmail(std::string_view c) {
  return EmailShorterMayPass(c) && c.substr(c.find('@') + 1).find("..") == std::string_view::npos;
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
  // "::1" (and "::a"): one group after a leading "::" is an address too; a
  // lone "::" or "d::" is not.
  return groups >= 2 || (groups == 1 && c.starts_with("::"));
}

// YYYYMMDD with a year 2000-2039.
bool StartsWithDate(std::string_view d) {
  if (d.size() < 8 || d[0] != '2' || d[1] != '0' || d[2] > '3') return false;
  const int month = D(d[4]) * 10 + D(d[5]);
  const int day = D(d[6]) * 10 + D(d[7]);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// The hyphen groupings Korean banks print (defaults.cc): 6-2-6, 3-2-4-3,
// 3-3-6, 3-2-6, 4-3-6, 3-6-5, 3-4-4-2, 3-6-2-3, 4-2-7, 4-4-4, 4-4-4-1,
// 3-2-6-1, 3-6-3, written as their group lengths.
bool KnownAccountGrouping(std::string_view lengths) {
  static constexpr std::string_view kKnown[] = {"626",  "3243", "336", "326",  "436",  "365", "3442",
                                                "3623", "427",  "444", "4441", "3261", "363"};
  for (std::string_view k : kKnown) {
    if (k == lengths) return true;
  }
  return false;
}

bool ValidateBankAccount(std::string_view c) {
  char d[16];
  const size_t n = Digits(c, d, 15);
  if (n < 10 || n > 14) return false;
  char lengths[8];
  size_t groups = 0;
  size_t len = 0;
  char sep = 0;  // one kind in a number: '-', '_' (a form's field) or ' '
  for (char ch : c) {
    if (IsDigit(ch)) {
      ++len;
    } else if ((ch == '-' || ch == ' ' || ch == '_') && (sep == 0 || ch == sep) && len > 0 && len <= 9 && groups < 7) {
      sep = ch;
      lengths[groups++] = static_cast<char>('0' + len);
      len = 0;
    } else {
      return false;
    }
  }
  if (len == 0 || (groups > 0 && len > 9)) return false;
  lengths[groups++] = static_cast<char>('0' + std::min<size_t>(len, 9));
  const std::string_view digits(d, n);
  if (groups > 1 && !KnownAccountGrouping(std::string_view(lengths, groups))) {
    // Another grouping: 11-14 digits, or 10 in three or more groups; two
    // groups only after a first of six or more digits ("2024-134831" is an
    // invoice); not a mobile number's 01X start
    // ("010-12345-678" is a product code), nor a date's
    // ("2026-01-15-123456", an order or invoice number).
    if (n == 10 && groups < 3) return false;
    if (groups == 2 && lengths[0] < '6') return false;
    if (d[0] == '0' && d[1] == '1') return false;
    if (StartsWithDate(digits)) return false;
  }
  if (n == c.size()) {
    // A bare digit run next to "입금"/"계좌" is often not the account: order
    // numbers and timestamps that start with a date (20261126093012,
    // 2026112600012345) and epoch milliseconds (13 digits, 1500000000000 to
    // 1999999999999: 2017-2033).
    if (StartsWithDate(digits)) return false;
    if (n == 13 && d[0] == '1' && d[1] >= '5') return false;
    if (n == 10) return false;  // product codes, epoch seconds, landlines: only grouped
  }
  for (size_t i = 1; i < n; ++i) {
    if (d[i] != d[0]) return true;
  }
  return false;  // 00000000000: a placeholder, not an account
}

}  // namespace

const std::vector<std::string>& ValidatorNames() {
  static const std::vector<std::string> kNames = {
      "none",  "luhn", "rrn_date",          "rrn",  "frn",  "brn_checksum",   "phone_kr",
      "email", "card", "driver_license_kr", "ipv4", "ipv6", "bank_account_kr"};
  return kNames;
}

bool ValidatorFromName(std::string_view name, Validator* out) {
  static constexpr std::array<Validator, 13> kValues = {Validator::kNone,         Validator::kLuhn,
                                                        Validator::kRrnDate,      Validator::kRrn,
                                                        Validator::kFrn,          Validator::kBrnChecksum,
                                                        Validator::kPhoneKr,      Validator::kEmail,
                                                        Validator::kCard,         Validator::kDriverLicenseKr,
                                                        Validator::kIpv4,         Validator::kIpv6,
                                                        Validator::kBankAccountKr};
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
  const std::string_view century = RrnCentury(g);
  const int year = (D(century[0]) * 10 + D(century[1])) * 100 + D(yymmdd[0]) * 10 + D(yymmdd[1]);
  if (year > CurrentYearKst()) return false;  // nobody is born in the future (2060 with digit 3)
  const int month = D(yymmdd[2]) * 10 + D(yymmdd[3]);
  const int day = D(yymmdd[4]) * 10 + D(yymmdd[5]);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = month == 2 && leap ? 29 : kDays[month - 1];
  return day <= max_day;
}

std::string_view RrnCentury(char g) {
  switch (g) {
    case '1':
    case '2':
    case '5':
    case '6': return "19";
    case '3':
    case '4':
    case '7':
    case '8': return "20";
    case '9':
    case '0': return "18";
    default: return "";
  }
}

std::string_view RrnWithoutCentury(std::string_view digits) {
  if (digits.size() == 15 && digits.substr(0, 2) == RrnCentury(digits[8])) digits.remove_prefix(2);
  return digits;
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

bool CardIssuerPlausible(std::string_view d) {
  const size_t n = d.size();
  if (n < 13 || n > 19) return false;
  for (char ch : d) {
    if (!IsDigit(ch)) return false;
  }
  const int two = D(d[0]) * 10 + D(d[1]);
  const int four = two * 100 + D(d[2]) * 10 + D(d[3]);
  switch (d[0]) {
    case '4': return n == 13 || n == 16 || n == 19;  // Visa
    case '3':
      if (two == 34 || two == 37) return n == 15;                                       // Amex
      if (two == 30 || two == 36 || two == 38 || two == 39) return n >= 14 && n <= 16;  // Diners
      if (two == 35) return n >= 16;                                                    // JCB
      return false;
    case '5':
      if (two >= 51 && two <= 55) return n == 16;  // Mastercard
      return n >= 16;                              // Maestro (50, 56-59)
    case '2':
      if (four >= 2200 && four <= 2204) return n >= 16;  // Mir
      return four >= 2221 && four <= 2720 && n == 16;    // Mastercard 2-series
    case '6': return n >= 16;                            // Discover, UnionPay, Maestro
    case '9': return n == 16;                            // Korean domestic-only cards (BC 9xxx ...)
    default: return false;
  }
}

bool PhoneKrDigitsValid(std::string_view d) {
  const size_t n = d.size();
  if (n < 8) return false;
  if (d[0] == '1') {  // 전국대표번호 15xx/16xx/18xx-xxxx
    return n == 8 && (d[1] == '5' || d[1] == '6' || d[1] == '8');
  }
  if (d[0] != '0') return false;
  if (d[1] == '2') return n == 9 || n == 10;  // Seoul 02-XXX-XXXX / 02-XXXX-XXXX
  if (d.starts_with("010") || d.starts_with("070")) return n == 11;
  // 050X 평생번호/안심번호 (0502-0508: personal numbers and the relay numbers
  // shops and delivery apps hand out for a customer's phone): 0504-1234-5678,
  // 0505-123-4567.
  if (d.starts_with("050")) return d[3] >= '2' && d[3] <= '8' && (n == 11 || n == 12);
  if (d[1] == '1') return (d[2] == '1' || d[2] >= '6') && (n == 10 || n == 11);  // 011, 016-019
  const int area = D(d[1]) * 10 + D(d[2]);
  const bool known = (area >= 31 && area <= 33) || (area >= 41 && area <= 44) || (area >= 51 && area <= 55) ||
                     (area >= 61 && area <= 64);
  return known && (n == 10 || n == 11);
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
    case Validator::kCard: {
      if (!ConsistentSeparators(c)) return false;
      char d[20];
      const size_t n = Digits(c, d, 19);
      return n >= 13 && n <= 19 && LuhnValid(std::string_view(d, n)) && CardIssuerPlausible(std::string_view(d, n));
    }
    case Validator::kRrnDate: return ValidateRrnLike(c, false, true, confidence);
    case Validator::kRrn: return ValidateRrnLike(c, false, false, confidence);
    case Validator::kFrn: return ValidateRrnLike(c, true, false, confidence);
    case Validator::kBrnChecksum: {
      if (!ConsistentSeparators(c) || HasOddSeparator(c)) return false;
      char d[11];
      const size_t n = Digits(c, d, 10);
      if (n != 10 || !BrnChecksumValid(std::string_view(d, n))) return false;
      // 세무서 code (3 digits, 101-...) and type code (01-99). Without hyphens a
      // 10-digit number is more often something else (epoch seconds, order or
      // product numbers), so it needs a tax office code in the ranges in use:
      // 101-149, 201-239, 301-319, 401-419, 501-519, 601-629 (no office
      // is 100, 200, ...: "1002003004" is a member number, a fifth review).
      if (d[0] == '0' || (d[3] == '0' && d[4] == '0')) return false;
      if (c.size() == 10) {
        static constexpr char kMaxSecond[7] = {0, '4', '3', '1', '1', '1', '2'};
        if (d[0] > '6' || d[1] > kMaxSecond[D(d[0])] || (d[1] == '0' && d[2] == '0')) return false;
      }
      return true;
    }
    case Validator::kPhoneKr: return ValidatePhone(c);
    case Validator::kEmail: return ValidateEmail(c);
    case Validator::kDriverLicenseKr: {
      if (!ConsistentSeparators(c) || HasOddSeparator(c)) return false;
      char d[13];
      const size_t n = Digits(c, d, 12);
      // The old form after a region's name (the scanner checks the name).
      if (n == 10) return c.size() == 12;
      if (n != 12) return false;
      const int region = D(d[0]) * 10 + D(d[1]);
      return region >= 11 && region <= 28;
    }
    case Validator::kIpv4: return ValidateIpv4(c);
    case Validator::kIpv6: return ValidateIpv6(c);
    case Validator::kBankAccountKr: return ValidateBankAccount(c);
  }
  return false;
}

}  // namespace maskproxy::detect
