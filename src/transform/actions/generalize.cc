#include "transform/actions/generalize.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "codec/json.h"
#include "common/unicode.h"
#include "transform/generalize_parsers.h"

namespace maskproxy::transform {

using generalize::Digits;
using generalize::FindProvince;
using generalize::FormatScaled;
using generalize::i128;
using generalize::ParseDate;
using generalize::ParseScaled;
using generalize::Scaled;
using generalize::SplitWords;
using generalize::u128;
using generalize::ValidYmd;

namespace {

std::string Pad(int v, int width) {
  std::string t = std::to_string(v);
  return t.size() >= static_cast<size_t>(width) ? t : std::string(static_cast<size_t>(width) - t.size(), '0') + t;
}

// The 82 군 (counties), by name: 군 is also the honorific after a boy's or a
// young man's name ("김민준군"), which an address field may carry, so a word
// ending in 군 is copied only when it is one of them (found by review: "서울
// 김민준군" became "서울특별시 김민준군"). 군위군 also under 경북 (before
// 2023).
constexpr std::string_view kCounties[] = {
    "가평군", "양평군", "연천군",                                                              // 경기
    "고성군", "양구군", "양양군", "영월군", "인제군", "정선군", "철원군", "평창군", "홍천군",  // 강원
    "화천군", "횡성군",                                                                        //
    "괴산군", "단양군", "보은군", "영동군", "옥천군", "음성군", "증평군", "진천군",            // 충북
    "금산군", "부여군", "서천군", "예산군", "청양군", "태안군", "홍성군",                      // 충남
    "고창군", "무주군", "부안군", "순창군", "완주군", "임실군", "장수군", "진안군",            // 전북
    "강진군", "고흥군", "곡성군", "구례군", "담양군", "무안군", "보성군", "신안군", "영광군",  // 전남
    "영암군", "완도군", "장성군", "장흥군", "진도군", "함평군", "해남군", "화순군",            //
    "고령군", "봉화군", "성주군", "영덕군", "영양군", "예천군", "울릉군", "울진군", "의성군",  // 경북
    "청도군", "청송군", "칠곡군",                                                              //
    "거창군", "남해군", "산청군", "의령군", "창녕군", "하동군", "함안군", "함양군", "합천군",  // 경남 (+고성군)
    "기장군", "달성군", "군위군", "강화군", "옹진군", "울주군",  // 부산, 대구, 인천, 울산
};

// A 시/군/구 name as it is copied to the output: two to five Hangul
// syllables ending in 시 or 구 (중구, 강남구, 서귀포시, 남양주시), or one of
// the 군 above. Any other word ending so ("김민준-900101-1234567구") is not
// copied.
bool IsDistrictWord(std::string_view w) {
  size_t syllables = 0;
  for (size_t i = 0; i < w.size(); ++syllables) {
    uint32_t cp = 0;
    const size_t n = unicode::DecodeUtf8(w, i, &cp);
    if (n == 0 || cp < 0xAC00 || cp > 0xD7A3) return false;  // not a Hangul syllable
    i += n;
  }
  if (w.ends_with("군")) return std::find(std::begin(kCounties), std::end(kCounties), w) != std::end(kCounties);
  return syllables >= 2 && syllables <= 5 && (w.ends_with("시") || w.ends_with("구"));
}

}  // namespace

Result<std::unique_ptr<Action>> GeneralizeAction::Create(ActionOptions& o, const ActionEnv&) {
  std::unique_ptr<GeneralizeAction> a(new GeneralizeAction());
  auto to = o.TakeEnum("to", "", {"year", "year_month", "bucket", "birth_decade_sex", "province", "district"});
  if (!to.ok()) {
    if (!o.Has("to")) return Error(ErrorCode::kInvalidOption, "[] missing required option 'to'");
    return to.error();
  }
  a->to_ = *to == "year"               ? To::kYear
           : *to == "year_month"       ? To::kYearMonth
           : *to == "bucket"           ? To::kBucket
           : *to == "birth_decade_sex" ? To::kBirthDecadeSex
           : *to == "province"         ? To::kProvince
                                       : To::kDistrict;
  const bool has_size = o.Has("size");
  auto size = o.TakeString("size", "");
  if (!size.ok()) return size.error();
  if (a->to_ == To::kBucket) {
    if (!has_size) return Error(ErrorCode::kInvalidOption, "[to] generalize to: bucket needs option 'size'");
    const Error bad(ErrorCode::kInvalidOption,
                    "[size] option 'size' must be a number greater than 0 (e.g. 10000 or 0.5), at most 18 decimals");
    size_t dot = size->find('.');
    int scale = dot == std::string::npos ? 0 : static_cast<int>(size->size() - dot - 1);
    if (size->empty() || (*size)[0] == '-' || size->find_first_of("eE") != std::string::npos || scale > 18) return bad;
    Scaled s;
    if (!ParseScaled(*size, scale, &s) || s.truncated || s.mag == 0) return bad;
    u128 limit = 1;
    for (int k = 0; k < 30; ++k) limit *= 10;
    if (s.mag >= limit) return bad;
    a->size_ = s.mag;
    a->scale_ = scale;
  } else if (has_size) {
    return Error(ErrorCode::kInvalidOption, "[size] option 'size' is only used with to: bucket");
  }
  return std::unique_ptr<Action>(std::move(a));
}

std::string GeneralizeAction::Warning() const {
  if (to_ != To::kBucket) return "";
  // A size of one unit of some precision, however written (1, 0.01, 1.0,
  // 0.10): a number with no more decimals than that is given exactly.
  u128 mag = size_;
  int scale = scale_;
  while (scale > 0 && mag % 10 == 0) {
    mag /= 10;
    --scale;
  }
  if (mag == 1)
    return "a bucket of size " + FormatScaled(1, scale) +
           " is one unit of its own precision: a number with no more decimals is given exactly (125 becomes "
           "\"125-125\"); use a larger size";
  // Any size below 10 (2, 1.000001, 0.9999999) hides less than one digit
  // of a whole number: its bucket holds it and at most one neighbour
  // (found by review: such sizes stepped around the warning above).
  u128 ten = 10;
  for (int i = 0; i < scale_; ++i) ten *= 10;
  if (size_ >= ten) return "";
  return "a bucket of size " + FormatScaled(static_cast<i128>(size_), scale_) +
         " hides less than one digit of a whole number (its bucket holds the number and at most one neighbour); "
         "use a size of 10 or more, and far more for identifiers";
}

Status GeneralizeAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  const bool str = v.type == codec::JsonType::kString;
  if (str && v.text.empty()) {  // nothing to generalize, nothing to hide
    out->append("\"\"");
    return Status::Ok();
  }
  const bool num = v.type == codec::JsonType::kNumber;
  std::string_view t = str ? v.text : v.raw;
  switch (to_) {
    case To::kYear:
    case To::kYearMonth: {
      if (!str && !num)
        return Error(ErrorCode::kUnsupportedType, "generalize to a date takes strings or YYYYMMDD numbers");
      int y = 0, m = 0, d = 0;
      if (!ParseDate(t, &y, &m, &d))
        return Error(ErrorCode::kInvalidDate,
                     "value is not a valid date (YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD or ISO 8601)");
      codec::AppendJsonString(to_ == To::kYear ? Pad(y, 4) : Pad(y, 4) + "-" + Pad(m, 2), out);
      return Status::Ok();
    }
    case To::kBucket: {
      if (!str && !num)
        return Error(ErrorCode::kUnsupportedType, "generalize to: bucket takes numbers or numeric strings");
      Scaled s;
      if (!ParseScaled(t, scale_, &s)) return Error(ErrorCode::kInvalidNumber, "value is not a number in range");
      i128 val = static_cast<i128>(s.mag);
      if (s.negative) val = -val - (s.truncated ? 1 : 0);
      const auto size = static_cast<i128>(size_);
      i128 q = val / size;
      if (val % size != 0 && val < 0) --q;
      const i128 lower = q * size;
      codec::AppendJsonString(FormatScaled(lower, scale_) + "-" + FormatScaled(lower + size - 1, scale_), out);
      return Status::Ok();
    }
    case To::kBirthDecadeSex: {
      if (!str && !num) return Error(ErrorCode::kUnsupportedType, "generalize to: birth_decade_sex takes strings");
      std::string digits;
      if (t.size() == 14 && t[6] == '-') {
        digits = std::string(t.substr(0, 6)) + std::string(t.substr(7));
      } else {
        digits = std::string(t);
      }
      int yy = 0, mm = 0, dd = 0, g = 0, tail = 0;
      if (digits.size() != 13 || !Digits(digits, 0, 2, &yy) || !Digits(digits, 2, 2, &mm) ||
          !Digits(digits, 4, 2, &dd) || !Digits(digits, 6, 1, &g) || !Digits(digits, 7, 6, &tail))
        return Error(ErrorCode::kInvalidRrn, "value is not a resident registration number (6 + 7 digits)");
      const int century = (g == 1 || g == 2 || g == 5 || g == 6) ? 1900 : (g == 9 || g == 0) ? 1800 : 2000;
      const int year = century + yy;
      if (!ValidYmd(year, mm, dd))
        return Error(ErrorCode::kInvalidRrn, "resident registration number has an invalid date");
      codec::AppendJsonString(std::to_string(year / 10 * 10) + (g % 2 == 1 ? "s-M" : "s-F"), out);
      return Status::Ok();
    }
    case To::kProvince:
    case To::kDistrict: {
      if (!str) return Error(ErrorCode::kUnsupportedType, "generalize to an address level takes strings");
      auto words = SplitWords(t);
      const char* prov = words.empty() ? nullptr : FindProvince(words[0]);
      if (!prov) return Error(ErrorCode::kUnknownProvince, "address does not start with a known 시/도");
      std::string result(prov);
      if (to_ == To::kDistrict && result != "세종특별자치시") {  // Sejong has no 시/군/구
        if (words.size() < 2 || !IsDistrictWord(words[1]))
          return Error(ErrorCode::kUnknownDistrict, "address has no 시/군/구 after the 시/도");
        result += " ";
        result += words[1];
      }
      codec::AppendJsonString(result, out);
      return Status::Ok();
    }
  }
  return Error(ErrorCode::kUnsupportedType, "unknown generalization");
}

}  // namespace maskproxy::transform
