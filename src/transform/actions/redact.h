#pragma once

#include <memory>
#include <string>

#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// redact: mode remove (delete the member), null, or constant (a fixed string).
class RedactAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  [[nodiscard]] bool ShowsInput() const override { return false; }
  [[nodiscard]] bool RemovesMember() const override { return remove_; }

 private:
  RedactAction() = default;
  bool remove_ = false;
  std::string replacement_;  // JSON text
};

}  // namespace maskproxy::transform
