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

std::string LenientNumber(std::string_view t) {
  if (IsJsonNumber(t)) return "";
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!t.empty() && blank(t.front())) t.remove_prefix(1);
  while (!t.empty() && blank(t.back())) t.remove_suffix(1);
  std::string out;
  size_t i = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    if (t[i] == '-') out.push_back('-');
    ++i;
  }
  auto digit = [&](size_t k) { return k < t.size() && t[k] >= '0' && t[k] <= '9'; };
  // The whole part: digits, '_' between two digits, or ',' before each
  // group of exactly three.
  std::string whole;
  bool commas = false;
  size_t group = 0;  // digits since the last ','
  while (i < t.size()) {
    if (digit(i)) {
      whole.push_back(t[i++]);
      ++group;
    } else if (t[i] == '_' && !whole.empty() && digit(i + 1)) {
      ++i;
    } else if (t[i] == ',' && !whole.empty() && digit(i + 1) && digit(i + 2) && digit(i + 3) &&
               (commas ? group == 3 : group <= 3)) {
      commas = true;
      group = 0;
      ++i;
    } else {
      break;
    }
  }
  if (commas && group != 3) return "";
  std::string frac;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (digit(i)) frac.push_back(t[i++]);
  }
  if (whole.empty() && frac.empty()) return "";
  std::string exp;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    exp.push_back('e');
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) exp.push_back(t[i++]);
    if (!digit(i)) return "";
    while (digit(i)) exp.push_back(t[i++]);
  }
  if (i != t.size()) return "";
  const size_t nz = whole.find_first_not_of('0');
  whole = nz == std::string::npos ? "0" : whole.substr(nz);
  out += whole;
  if (!frac.empty()) out += "." + frac;
  out += exp;
  return IsJsonNumber(out) ? out : "";
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
