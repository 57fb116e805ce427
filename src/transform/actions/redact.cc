#include "transform/actions/redact.h"

#include "codec/json.h"

namespace maskproxy::transform {

Result<std::unique_ptr<Action>> RedactAction::Create(ActionOptions& o, const ActionEnv&) {
  std::unique_ptr<RedactAction> a(new RedactAction());
  auto mode = o.TakeEnum("mode", "remove", {"remove", "null", "constant"});
  if (!mode.ok()) return mode.error();
  bool has_value = o.Has("value");
  auto value = o.TakeString("value", "");
  if (!value.ok()) return value.error();
  if (*mode == "constant") {
    if (!has_value) return Error(ErrorCode::kInvalidOption, "[mode] mode 'constant' needs option 'value'");
    if (!codec::IsValidUtf8(*value))
      return Error(ErrorCode::kInvalidOption, "[value] option 'value' must be valid UTF-8");
    codec::AppendJsonString(*value, &a->replacement_);
  } else {
    if (has_value) return Error(ErrorCode::kInvalidOption, "[value] option 'value' is only used with mode: constant");
    a->remove_ = *mode == "remove";
    a->replacement_ = "null";
  }
  return std::unique_ptr<Action>(std::move(a));
}

Status RedactAction::Apply(const ActionContext&, const codec::ScalarRef&, std::string* out) const {
  out->append(replacement_);
  return Status::Ok();
}

}  // namespace maskproxy::transform
