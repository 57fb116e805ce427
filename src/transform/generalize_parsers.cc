#include "transform/generalize_parsers.h"

namespace maskproxy::transform::generalize {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool ValidYmd(int y, int m, int d) {
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(y, m);
}

// ISO 8601 time of day after the date: [T ]HH:MM[:SS[.f]][zone] or basic
// HHMM[SS[.f]][zone]; zone Z | ±HH[:MM] | ±HHMM.
bool ValidTimeSuffix(std::string_view s) {
  if (s.empty()) return true;
  if (s[0] != 'T' && s[0] != 't' && s[0] != ' ') return false;
  size_t i = 1;
  int hh = 0, mm = 0, ss = 0;
  if (!Digits(s, i, 2, &hh) || hh > 23) return false;
  i += 2;
  const bool extended = i < s.size() && s[i] == ':';
  if (extended) ++i;
  if (!Digits(s, i, 2, &mm) || mm > 59) return false;
  i += 2;
  if (i < s.size() && (extended ? s[i] == ':' : (s[i] >= '0' && s[i] <= '9'))) {
    if (extended) ++i;
    if (!Digits(s, i, 2, &ss) || ss > 60) return false;
    i += 2;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      size_t start = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      if (i == start) return false;
    }
  }
  if (i == s.size()) return true;
  if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  ++i;
  int zh = 0, zm = 0;
  if (!Digits(s, i, 2, &zh) || zh > 23) return false;
  i += 2;
  if (i == s.size()) return true;
  if (s[i] == ':') ++i;
  if (!Digits(s, i, 2, &zm) || zm > 59) return false;
  return i + 2 == s.size();
}

bool ParseDate(std::string_view s, int* y, int* m, int* d) {
  std::string_view rest;
  if (s.size() >= 10 && (s[4] == '-' || s[4] == '/' || s[4] == '.') && s[7] == s[4]) {
    if (!Digits(s, 0, 4, y) || !Digits(s, 5, 2, m) || !Digits(s, 8, 2, d)) return false;
    rest = s.substr(10);
  } else {
    if (!Digits(s, 0, 4, y) || !Digits(s, 4, 2, m) || !Digits(s, 6, 2, d)) return false;
    rest = s.substr(8);
  }
  return ValidYmd(*y, *m, *d) && ValidTimeSuffix(rest);
}

// Parses a JSON-like number (leading zeros allowed, exponent allowed) at
// `scale` decimal places. False on bad syntax or if it does not fit.
bool ParseScaled(std::string_view s, int scale, Scaled* out) {
  *out = Scaled();
  size_t i = 0;
  if (i < s.size() && s[i] == '-') {
    out->negative = true;
    ++i;
  }
  std::string digs;
  int64_t point = 0;
  size_t start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') digs.push_back(s[i++]);
  if (i == start) return false;
  point = static_cast<int64_t>(digs.size());
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t fstart = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') digs.push_back(s[i++]);
    if (i == fstart) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    size_t estart = i;
    int64_t e = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (e < 100000) e = e * 10 + (s[i] - '0');
      ++i;
    }
    if (i == estart) return false;
    point += eneg ? -e : e;
  }
  if (i != s.size()) return false;
  // Digit k of `digs` has weight 10^(point-1-k); keep weights >= 10^-scale.
  const int64_t keep = point + scale;  // number of leading digits kept
  int significant = 0;
  for (int64_t k = 0; k < static_cast<int64_t>(digs.size()); ++k) {
    int dv = digs[static_cast<size_t>(k)] - '0';
    if (k >= keep) {
      if (dv != 0) out->truncated = true;
      continue;
    }
    if (significant == 0 && dv == 0) continue;
    if (++significant > kMaxDigits) return false;
    out->mag = out->mag * 10 + static_cast<u128>(dv);
  }
  // Pad with zeros where the digits end before the scale.
  for (int64_t k = static_cast<int64_t>(digs.size()); k < keep; ++k) {
    if (out->mag == 0) continue;
    if (++significant > kMaxDigits) return false;
    out->mag *= 10;
  }
  if (out->mag == 0 && !out->truncated) out->negative = false;
  return true;
}

std::string FormatScaled(i128 v, int scale) {
  bool neg = v < 0;
  u128 mag = neg ? static_cast<u128>(-v) : static_cast<u128>(v);
  std::string digs;
  do {
    digs.push_back(static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  } while (mag != 0);
  while (static_cast<int>(digs.size()) <= scale) digs.push_back('0');
  std::string out = neg ? "-" : "";
  for (size_t k = digs.size(); k-- > 0;) {
    out.push_back(digs[k]);
    if (scale > 0 && k == static_cast<size_t>(scale)) out.push_back('.');
  }
  return out;
}

namespace {

struct Province {
  const char* official;
  std::initializer_list<const char*> aliases;
};

const Province kProvinces[] = {
    {"서울특별시", {"서울", "서울시", "서울특별시"}},
    {"부산광역시", {"부산", "부산시", "부산광역시"}},
    {"대구광역시", {"대구", "대구시", "대구광역시"}},
    {"인천광역시", {"인천", "인천시", "인천광역시"}},
    {"광주광역시", {"광주", "광주시", "광주광역시"}},
    {"대전광역시", {"대전", "대전시", "대전광역시"}},
    {"울산광역시", {"울산", "울산시", "울산광역시"}},
    {"세종특별자치시", {"세종", "세종시", "세종특별자치시"}},
    {"경기도", {"경기", "경기도"}},
    {"강원특별자치도", {"강원", "강원도", "강원특별자치도"}},
    {"충청북도", {"충북", "충청북도"}},
    {"충청남도", {"충남", "충청남도"}},
    {"전북특별자치도", {"전북", "전라북도", "전북특별자치도"}},
    {"전라남도", {"전남", "전라남도"}},
    {"경상북도", {"경북", "경상북도"}},
    {"경상남도", {"경남", "경상남도"}},
    {"제주특별자치도", {"제주", "제주도", "제주특별자치도"}},
};

}  // namespace

const char* FindProvince(std::string_view token) {
  for (const auto& p : kProvinces)
    for (const char* alias : p.aliases)
      if (token == alias) return p.official;
  return nullptr;
}

std::vector<std::string_view> SplitWords(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == ',')) ++i;
    size_t start = i;
    while (i < s.size() && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == ',')) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

}  // namespace maskproxy::transform::generalize
