#include "common/number.h"

#include <algorithm>

namespace maskproxy::number {

bool IsJsonNumber(std::string_view s) {
  if (s.empty()) return false;
  const char* e = s.data() + s.size();
  const auto r = ScanJsonNumber(s.data(), e);
  return r.error == JsonNumberError::kNone && r.end == e;
}

bool IsJsonInteger(std::string_view s) {
  return IsJsonNumber(s) && s.find_first_of(".eE") == std::string_view::npos;
}

DigitForms ReadableDigits(std::string_view s, size_t max_plain) {
  DigitForms f;
  size_t i = 0;
  const bool negative = i < s.size() && s[i] == '-';
  if (negative) ++i;
  std::string digits;  // int and fraction digits
  int64_t point = 0;   // digits before the decimal point
  for (; i < s.size() && detail::IsDigit(s[i]); ++i, ++point) digits.push_back(s[i]);
  if (i < s.size() && s[i] == '.')
    for (++i; i < s.size() && detail::IsDigit(s[i]); ++i) digits.push_back(s[i]);
  if (i < s.size() && (s[i] | 0x20) == 'e') {
    ++i;
    const bool minus = i < s.size() && s[i] == '-';
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    int64_t exp = 0;
    constexpr int64_t kCap = int64_t{1} << 40;  // far beyond any max_plain; no overflow
    for (; i < s.size() && detail::IsDigit(s[i]); ++i) exp = std::min(kCap, exp * 10 + (s[i] - '0'));
    point += minus ? -exp : exp;
  }
  size_t lead = 0;
  while (lead < digits.size() && digits[lead] == '0') ++lead;
  digits.erase(0, lead);
  point -= static_cast<int64_t>(lead);
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  if (digits.empty()) {
    f.plain.push_back('0');  // (not = "0": GCC 12 warns falsely, PR 105329)
    return f;
  }
  f.significand = digits;
  const auto n = static_cast<int64_t>(digits.size());
  const int64_t len = (negative ? 1 : 0) + (point <= 0 ? 2 - point + n : point >= n ? point : n + 1);
  if (len > static_cast<int64_t>(max_plain)) return f;
  std::string& out = f.plain;
  out.reserve(static_cast<size_t>(len));
  if (negative) out.push_back('-');
  const std::string_view d = f.significand;
  if (point <= 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-point), '0');
    out.append(d);
  } else if (point >= n) {
    out.append(d);
    out.append(static_cast<size_t>(point - n), '0');
  } else {
    const auto whole = static_cast<size_t>(point);
    out.append(d.substr(0, whole));
    out.push_back('.');
    out.append(d.substr(whole));
  }
  return f;
}

}  // namespace maskproxy::number
