// on_unprotectable: what a rule does with a value its action refuses.
//
//   - { path: user.rrn, action: tokenize, key: rrn, normalize: digits, on_unprotectable: redact }
//
// dead_letter (the default): the refusal fails the record, which goes to the
// route's dead-letter topic untouched. redact: the policy loader wraps the
// rule's action in RedactUnprotectable, which replaces a refused value by
// JSON null (a $key rule: the key becomes null; a $header rule: the header is
// removed, see Engine::MaskPart) and counts it in
// maskproxy_unprotectable_values_total{route,rule}. Only refusals of the value
// itself are redacted (IsUnprotectable); operational errors (keys, crypto,
// limits) still dead-letter the record, so nothing is lost to an outage.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error_code.h"
#include "common/metrics.h"
#include "transform/action.h"

namespace maskproxy::transform {

inline constexpr char kUnprotectableMetric[] = "maskproxy_unprotectable_values_total";

// The one list of error codes that mean "the action refused this value: it
// can't be protected by this rule" (a placeholder, an unparseable date, an
// FPE value too short or with other characters, a wrong JSON type):
//   normalize_failed                       tokenize: nothing left after normalize
//   unsupported_type                       a JSON type the action doesn't take
//   fpe_not_integer, fpe_invalid_char,     fpe
//   value_too_short, domain_too_small,
//   input_too_long
//   invalid_date, invalid_number,          generalize
//   invalid_rrn, unknown_province,
//   unknown_district
// Every other code (key_missing, key_exhausted, key_version_unknown,
// crypto_failed, crypto_unavailable, fpe_failed, too_large, internal, and any
// code added later) is operational and never redacted: fail closed.
[[nodiscard]] bool IsUnprotectable(ErrorCode code);
// The same by name; false for a name that is no code.
[[nodiscard]] bool IsUnprotectable(std::string_view code_name);

// False for the actions that never refuse a value (redact, keep) and for
// scan (its refusals are about what it found, not the value's shape): the
// policy loader rejects on_unprotectable on them.
[[nodiscard]] bool AcceptsOnUnprotectable(std::string_view action_name);

// The counter of one rule (labels: route name and the rule's path as written
// in the policy; never a value). Stable for the process's lifetime.
[[nodiscard]] metrics::Counter* UnprotectableCounter(const std::string& route, const std::string& rule);

// The decorator behind on_unprotectable: redact.
class RedactUnprotectable final : public Action {
 public:
  // `counter` must outlive the action (UnprotectableCounter's do).
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(std::unique_ptr<const Action> inner,
                                                              metrics::Counter* counter);
  // The inner action's output; if it refuses the value (IsUnprotectable), the
  // partial output is dropped, "null" is appended and the counter counts it
  // (or goes to ctx.unprotectable, for the caller to count).
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  [[nodiscard]] bool RemovesMember() const override { return inner_->RemovesMember(); }
  [[nodiscard]] bool ShowsInput() const override { return inner_->ShowsInput(); }
  [[nodiscard]] std::string KeyRef() const override { return inner_->KeyRef(); }
  [[nodiscard]] std::string RevealScope() const override { return inner_->RevealScope(); }
  [[nodiscard]] bool CountsEncryptions() const override { return inner_->CountsEncryptions(); }
  [[nodiscard]] Result<std::string> Reveal(const ActionContext& ctx, std::string_view output_json_text,
                                           std::optional<uint32_t> key_version) const override {
    return inner_->Reveal(ctx, output_json_text, key_version);
  }

 private:
  RedactUnprotectable(std::unique_ptr<const Action> inner, metrics::Counter* counter)
      : inner_(std::move(inner)), counter_(counter) {}
  std::unique_ptr<const Action> inner_;
  metrics::Counter* counter_;
};

}  // namespace maskproxy::transform
