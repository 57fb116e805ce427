#include "transform/unprotectable.h"

#include <array>

namespace maskproxy::transform {

bool IsUnprotectable(std::string_view code) {
  static constexpr std::array<std::string_view, 12> kCodes = {
      "normalize_failed", "unsupported_type", "fpe_not_integer",  "fpe_invalid_char",
      "value_too_short",  "domain_too_small", "input_too_long",   "invalid_date",
      "invalid_number",   "invalid_rrn",      "unknown_province", "unknown_district",
  };
  for (std::string_view c : kCodes)
    if (c == code) return true;
  return false;
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
  if (!inner || !counter) return Error("internal", "on_unprotectable needs an action and a counter");
  if (inner->RemovesMember()) return Error("internal", "on_unprotectable does not apply to an action that removes");
  return std::unique_ptr<Action>(new RedactUnprotectable(std::move(inner), counter));
}

Status RedactUnprotectable::Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const {
  const size_t before = out->size();
  Status s = inner_->Apply(ctx, v, out);
  if (s.ok() || !IsUnprotectable(s.error().code)) return s;
  out->resize(before);  // an action may have written part of its output
  out->append("null");
  counter_->Inc();
  return Status::Ok();
}

}  // namespace maskproxy::transform
