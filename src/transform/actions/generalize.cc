#include "transform/actions/generalize.h"

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

// A 시/군/구 name as it is copied to the output: two to five Hangul
// syllables ending in 시, 군 or 구 (중구, 강남구, 서귀포시, 남양주시). Any
// other word ending so ("김민준-900101-1234567구") is not copied.
bool IsDistrictWord(std::string_view w) {
  size_t syllables = 0;
  for (size_t i = 0; i < w.size(); ++syllables) {
    uint32_t cp = 0;
    const size_t n = unicode::DecodeUtf8(w, i, &cp);
    if (n == 0 || cp < 0xAC00 || cp > 0xD7A3) return false;  // not a Hangul syllable
    i += n;
  }
  return syllables >= 2 && syllables <= 5 && (w.ends_with("시") || w.ends_with("군") || w.ends_with("구"));
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
  if (mag != 1) return "";
  return "a bucket of size " + FormatScaled(1, scale) +
         " is one unit of its own precision: a number with no more decimals is given exactly (125 becomes "
         "\"125-125\"); use a larger size";
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
