#include "transform/actions/generalize.h"

#include <vector>

#include "codec/json.h"
#include "detect/validators.h"
#include "transform/generalize_parsers.h"

namespace maskproxy::transform {

using generalize::Digits;
using generalize::FindProvince;
using generalize::FindProvincePrefix;
using generalize::FormatScaled;
using generalize::i128;
using generalize::IsDistrictOf;
using generalize::IsPostcode;
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
    if (o.Quoted("size"))
      return Error(ErrorCode::kInvalidOption,
                   "[size] option 'size' must be a number, not a string (write it without quotes)");
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
        return Error(
            ErrorCode::kInvalidDate,
            "value is not a valid date (YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD, ISO 8601, YYYY. M. D. or "
            "YYYY년 M월 D일)");
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
      // A birth year after this one is no one's (found by review:
      // `300101-3…` gave "2030s-M", `900101-7…` "2090s-M"): the detectors'
      // rule, which does not take such a number for an RRN either.
      if (!detect::RrnDateValid(std::string_view(digits).substr(0, 6), digits[6]))
        return Error(ErrorCode::kInvalidRrn, "resident registration number has a birth year after this year");
      codec::AppendJsonString(std::to_string(year / 10 * 10) + (g % 2 == 1 ? "s-M" : "s-F"), out);
      return Status::Ok();
    }
    case To::kProvince:
    case To::kDistrict: {
      if (!str) return Error(ErrorCode::kUnsupportedType, "generalize to an address level takes strings");
      // A postcode may come first ("(06234) 서울특별시 …", as forms print
      // it), and the 시/도 may be written without a blank before the 시/군/구
      // ("서울특별시강남구"); found by review: both were dead letters.
      const auto words = SplitWords(t);
      const size_t first = !words.empty() && IsPostcode(words[0]) ? 1 : 0;
      const char* prov = nullptr;
      std::string_view district;
      if (first < words.size()) {
        prov = FindProvince(words[first]);
        if (prov) {
          if (first + 1 < words.size()) district = words[first + 1];
        } else if ((prov = FindProvincePrefix(words[first], &district)) && !IsDistrictOf(prov, district)) {
          prov = nullptr;
        }
      }
      if (!prov) return Error(ErrorCode::kUnknownProvince, "address does not start with a known 시/도");
      std::string result(prov);
      // Only a 시/군/구 of that 시/도 by name: a word that merely ends in 시,
      // 군 or 구 may be a name ("서울 김영구", "서울 김민준군": found by review).
      if (to_ == To::kDistrict && result != "세종특별자치시") {  // Sejong has no 시/군/구
        if (district.empty() || !IsDistrictOf(prov, district))
          return Error(ErrorCode::kUnknownDistrict, "address has no 시/군/구 of its 시/도 after the 시/도");
        result += " ";
        result += district;
      }
      codec::AppendJsonString(result, out);
      return Status::Ok();
    }
  }
  return Error(ErrorCode::kUnsupportedType, "unknown generalization");
}

}  // namespace maskproxy::transform
