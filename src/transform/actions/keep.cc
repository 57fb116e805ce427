#include "transform/actions/keep.h"

namespace maskproxy::transform {

Result<std::unique_ptr<Action>> KeepAction::Create(ActionOptions&, const ActionEnv&) {
  return std::unique_ptr<Action>(new KeepAction());
}

Status KeepAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  out->append(v.raw);
  return Status::Ok();
}

}  // namespace maskproxy::transform
