#pragma once

#include <memory>

#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// keep: passes the value through unchanged (an explicit allow-list entry for
// `unlisted_fields: drop` policies). No options.
class KeepAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;

 private:
  KeepAction() = default;
};

}  // namespace maskproxy::transform
