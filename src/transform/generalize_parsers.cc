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

namespace {

bool Blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && Blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && Blank(s.back())) s.remove_suffix(1);
  return s;
}

// One or two ASCII digits at s[*pos]; *padded when two with a leading 0.
bool ShortNumber(std::string_view s, size_t* pos, int* out, bool* padded) {
  size_t i = *pos;
  int v = 0;
  while (i < s.size() && i - *pos < 2 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
  if (i == *pos || (i < s.size() && s[i] >= '0' && s[i] <= '9')) return false;
  *padded = i - *pos == 2 && s[*pos] == '0';
  *pos = i;
  *out = v;
  return true;
}

// A word of a written date: `sep` ('-', '/', '.', or a Korean unit's
// syllable), then blanks where a reader writes them ('.' and the units:
// "1990. 1. 1.", "1990년 1월 1일").
bool Separator(std::string_view s, size_t* pos, std::string_view sep, bool blanks_before, bool blanks_after) {
  size_t i = *pos;
  if (blanks_before)
    while (i < s.size() && s[i] == ' ') ++i;
  if (s.substr(i, sep.size()) != sep) return false;
  i += sep.size();
  if (blanks_after)
    while (i < s.size() && s[i] == ' ') ++i;
  *pos = i;
  return true;
}

// The ways people write a date with its month and day unpadded or with
// words: YYYY-M-D, YYYY/M/D, YYYY.M.D with an optional final '.' and a blank
// after each '.' ("1990. 1. 1.", the usual Korean form), "YYYY년 M월 D일".
// A month or day written with a leading 0 makes the other one two digits
// too ("1990-01-3" is no date: it may be a cut one).
bool ParseWrittenDate(std::string_view s, int* y, int* m, int* d) {
  if (!Digits(s, 0, 4, y)) return false;
  size_t i = 4;
  bool padded_m = false, padded_d = false;
  const bool korean = s.substr(i).starts_with("년") || s.substr(i).starts_with(" ");
  if (korean && s.substr(i).find("년") != std::string_view::npos) {
    if (!Separator(s, &i, "년", true, true) || !ShortNumber(s, &i, m, &padded_m) ||
        !Separator(s, &i, "월", true, true) || !ShortNumber(s, &i, d, &padded_d) ||
        !Separator(s, &i, "일", true, false))
      return false;
  } else {
    if (i >= s.size() || (s[i] != '-' && s[i] != '/' && s[i] != '.')) return false;
    const std::string_view sep = s.substr(i, 1);
    const bool dot = sep == ".";
    if (!Separator(s, &i, sep, false, dot) || !ShortNumber(s, &i, m, &padded_m) || !Separator(s, &i, sep, false, dot) ||
        !ShortNumber(s, &i, d, &padded_d))
      return false;
    if (dot && i < s.size() && s[i] == '.') ++i;
  }
  const bool two_m = *m >= 10 || padded_m, two_d = *d >= 10 || padded_d;
  if ((padded_m && !two_d) || (padded_d && !two_m)) return false;
  return i == s.size() && ValidYmd(*y, *m, *d);
}

}  // namespace

bool ParseDate(std::string_view s, int* y, int* m, int* d) {
  s = Trimmed(s);
  std::string_view rest;
  if (s.size() >= 10 && (s[4] == '-' || s[4] == '/' || s[4] == '.') && s[7] == s[4] && Digits(s, 5, 2, m) &&
      Digits(s, 8, 2, d)) {
    if (!Digits(s, 0, 4, y)) return false;
    rest = s.substr(10);
    if (s[4] == '.' && rest == ".") rest = {};  // "1990.01.01."
  } else if (Digits(s, 0, 4, y) && Digits(s, 4, 2, m) && Digits(s, 6, 2, d)) {
    rest = s.substr(8);
  } else {
    return ParseWrittenDate(s, y, m, d);
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

// The 시/군/구 of each 시/도 by name (2024; a name may be in several:
// 중구, 고성군): the 자치구 of Seoul and the 광역시, the 시 and 군 of the 도,
// and the 구 of the larger 시 (성남시 분당구), which an address may write
// without its 시 ("경기 분당구"). Kept too: 인천 남구 (미추홀구 since 2018),
// 군위군 under 경북 (대구 since 2023), 부천시's 구 (again since 2024), and
// the 구 enacted to begin in 2026 (인천 제물포구, 영종구, 검단구; 화성시
// 만세구, 효행구, 병점구, 동탄구). Found by review: any word of 2-5
// syllables ending in 시 or 구 was taken for one, so "서울 김영구" became
// "서울특별시 김영구".
struct ProvinceDistricts {
  std::string_view province;  // the official name (kProvinces)
  std::initializer_list<std::string_view> names;
};

const ProvinceDistricts kDistricts[] = {
    {"서울특별시", {"종로구",   "중구",   "용산구", "성동구",   "광진구", "동대문구", "중랑구", "성북구", "강북구",
                    "도봉구",   "노원구", "은평구", "서대문구", "마포구", "양천구",   "강서구", "구로구", "금천구",
                    "영등포구", "동작구", "관악구", "서초구",   "강남구", "송파구",   "강동구"}},
    {"부산광역시",
     {"중구", "서구", "동구", "영도구", "부산진구", "동래구", "남구", "북구", "해운대구", "사하구", "금정구", "강서구",
      "연제구", "수영구", "사상구", "기장군"}},
    {"대구광역시", {"중구", "동구", "서구", "남구", "북구", "수성구", "달서구", "달성군", "군위군"}},
    {"인천광역시",
     {"중구", "동구", "미추홀구", "남구", "연수구", "남동구", "부평구", "계양구", "서구", "강화군", "옹진군",
      "제물포구", "영종구", "검단구"}},
    {"광주광역시", {"동구", "서구", "남구", "북구", "광산구"}},
    {"대전광역시", {"동구", "중구", "서구", "유성구", "대덕구"}},
    {"울산광역시", {"중구", "남구", "동구", "북구", "울주군"}},
    {"경기도",
     {"수원시", "성남시", "의정부시", "안양시", "부천시", "광명시", "평택시", "동두천시", "안산시", "고양시", "과천시",
      "구리시", "남양주시", "오산시", "시흥시", "군포시", "의왕시", "하남시", "용인시", "파주시", "이천시", "안성시",
      "김포시", "화성시", "광주시", "양주시", "포천시", "여주시", "연천군", "가평군", "양평군",
      // 구 of its 시
      "장안구", "권선구", "팔달구", "영통구", "수정구", "중원구", "분당구", "만안구", "동안구", "원미구", "소사구",
      "오정구", "상록구", "단원구", "덕양구", "일산동구", "일산서구", "처인구", "기흥구", "수지구", "만세구", "효행구",
      "병점구", "동탄구"}},
    {"강원특별자치도",
     {"춘천시", "원주시", "강릉시", "동해시", "태백시", "속초시", "삼척시", "홍천군", "횡성군", "영월군", "평창군",
      "정선군", "철원군", "화천군", "양구군", "인제군", "고성군", "양양군"}},
    {"충청북도",
     {"청주시", "충주시", "제천시", "보은군", "옥천군", "영동군", "증평군", "진천군", "괴산군", "음성군", "단양군",
      "상당구", "서원구", "흥덕구", "청원구"}},
    {"충청남도",
     {"천안시", "공주시", "보령시", "아산시", "서산시", "논산시", "계룡시", "당진시", "금산군", "부여군", "서천군",
      "청양군", "홍성군", "예산군", "태안군", "동남구", "서북구"}},
    {"전북특별자치도",
     {"전주시", "군산시", "익산시", "정읍시", "남원시", "김제시", "완주군", "진안군", "무주군", "장수군", "임실군",
      "순창군", "고창군", "부안군", "완산구", "덕진구"}},
    {"전라남도",
     {"목포시", "여수시", "순천시", "나주시", "광양시", "담양군", "곡성군", "구례군", "고흥군", "보성군", "화순군",
      "장흥군", "강진군", "해남군", "영암군", "무안군", "함평군", "영광군", "장성군", "완도군", "진도군", "신안군"}},
    {"경상북도", {"포항시", "경주시", "김천시", "안동시", "구미시", "영주시", "영천시", "상주시", "문경시",
                  "경산시", "의성군", "청송군", "영양군", "영덕군", "청도군", "고령군", "성주군", "칠곡군",
                  "예천군", "봉화군", "울진군", "울릉군", "군위군", "남구",   "북구"}},
    {"경상남도", {"창원시", "진주시", "통영시", "사천시", "김해시",     "밀양시",     "거제시", "양산시",
                  "의령군", "함안군", "창녕군", "고성군", "남해군",     "하동군",     "산청군", "함양군",
                  "거창군", "합천군", "의창구", "성산구", "마산합포구", "마산회원구", "진해구"}},
    {"제주특별자치도", {"제주시", "서귀포시"}},
};

}  // namespace

bool IsDistrictOf(std::string_view province, std::string_view word) {
  for (const auto& p : kDistricts)
    if (p.province == province)
      for (std::string_view name : p.names)
        if (word == name) return true;
  return false;
}

const char* FindProvincePrefix(std::string_view word, std::string_view* rest) {
  const char* found = nullptr;
  size_t longest = 0;
  for (const auto& p : kProvinces)
    for (const char* alias : p.aliases) {
      const std::string_view a(alias);
      if (a.size() > longest && a.size() < word.size() && word.starts_with(a)) {
        found = p.official;
        longest = a.size();
      }
    }
  if (found) *rest = word.substr(longest);
  return found;
}

bool IsPostcode(std::string_view word) {
  if (word.size() >= 2 && ((word.front() == '(' && word.back() == ')') || (word.front() == '[' && word.back() == ']')))
    word = word.substr(1, word.size() - 2);
  const auto digits = [](std::string_view w) {
    return !w.empty() && w.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (word.size() == 5) return digits(word);  // 06234 (since 2015)
  return word.size() == 7 && word[3] == '-' && digits(word.substr(0, 3)) && digits(word.substr(4));  // 135-080
}

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
