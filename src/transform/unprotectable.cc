#include "transform/unprotectable.h"

#include <array>

namespace maskproxy::transform {

bool IsUnprotectable(ErrorCode code) {
  static constexpr std::array<ErrorCode, 12> kCodes = {
      ErrorCode::kNormalizeFailed, ErrorCode::kUnsupportedType, ErrorCode::kFpeNotInteger,
      ErrorCode::kFpeInvalidChar,  ErrorCode::kValueTooShort,   ErrorCode::kDomainTooSmall,
      ErrorCode::kInputTooLong,    ErrorCode::kInvalidDate,     ErrorCode::kInvalidNumber,
      ErrorCode::kInvalidRrn,      ErrorCode::kUnknownProvince, ErrorCode::kUnknownDistrict,
  };
  for (ErrorCode c : kCodes)
    if (c == code) return true;
  return false;
}

bool IsUnprotectable(std::string_view code_name) {
  const std::optional<ErrorCode> c = ErrorCodeFromName(code_name);
  return c.has_value() && IsUnprotectable(*c);
}

bool AcceptsOnUnprotectable(std::string_view action_name) {
  return action_name != "redact" && action_name != "keep" && action_name != "scan";
}

metrics::Counter* UnprotectableCounter(const std::string& route, const std::string& rule) {
  return metrics::Global().GetCounter(kUnprotectableMetric,
                                      "Values an action refused that on_unprotectable: redact replaced by null, by "
                                      "route and rule",
                                      {{"route", route}, {"rule", rule}});
}

Result<std::unique_ptr<Action>> RedactUnprotectable::Create(std::unique_ptr<const Action> inner,
                                                            metrics::Counter* counter) {
  if (!inner || !counter) return Error(ErrorCode::kInternal, "on_unprotectable needs an action and a counter");
  if (inner->RemovesMember())
    return Error(ErrorCode::kInternal, "on_unprotectable does not apply to an action that removes");
  return std::unique_ptr<Action>(new RedactUnprotectable(std::move(inner), counter));
}

Status RedactUnprotectable::Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const {
  const size_t before = out->size();
  Status s = inner_->Apply(ctx, v, out);
  if (s.ok() || !IsUnprotectable(s.error().code)) return s;
  out->resize(before);  // an action may have written part of its output
  out->append("null");
  if (ctx.unprotectable)
    ctx.unprotectable->push_back(counter_);
  else
    counter_->Inc();
  return Status::Ok();
}

}  // namespace maskproxy::transform
