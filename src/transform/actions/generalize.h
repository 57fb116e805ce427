#pragma once

#include <memory>

#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// generalize: replaces a value with a coarser one (always a JSON string).
//   to: year | year_month   dates YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD
//                           or ISO 8601 timestamps -> "1990" / "1990-01"
//       bucket              numbers or numeric strings, option `size` (> 0,
//                           integer or decimal) -> "10000-19999" (lower and
//                           inclusive upper bound at the size's precision;
//                           -5 with size 10 -> "-10--1")
//       birth_decade_sex    Korean RRN (YYMMDD-GNNNNNN, hyphen optional) ->
//                           "1990s-M"
//       province            Korean address -> official 시/도 name
//       district            -> 시/도 + first 시/군/구 ("경기도 성남시")
// Failures: "invalid_date", "invalid_number", "invalid_rrn",
// "unknown_province", "unknown_district", "unsupported_type".
class GeneralizeAction final : public Action {
 public:
  enum class To { kYear, kYearMonth, kBucket, kBirthDecadeSex, kProvince, kDistrict };
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  // A bucket one unit wide at its own precision (size 1, 0.1, 0.01, ...).
  [[nodiscard]] std::string Warning() const override;

 private:
  GeneralizeAction() = default;
  To to_ = To::kYear;
  unsigned __int128 size_ = 0;  // bucket size in units of 10^-scale_
  int scale_ = 0;
};

}  // namespace maskproxy::transform
