#include "transform/registry.h"

#include "common/text.h"
#include "transform/actions.h"
#include "transform/scan.h"

namespace maskproxy::transform {

namespace {
using Factory = Result<std::unique_ptr<Action>> (*)(ActionOptions&, const ActionEnv&);
struct Entry {
  const char* name;
  Factory create;
};
constexpr Entry kActions[] = {
    {"tokenize", &TokenizeAction::Create}, {"mask", &MaskAction::Create},
    {"redact", &RedactAction::Create},     {"keep", &KeepAction::Create},
    {"encrypt", &EncryptAction::Create},   {"encrypt_deterministic", &EncryptDeterministicAction::Create},
    {"fpe", &FpeAction::Create},           {"generalize", &GeneralizeAction::Create},
    {"scan", &ScanAction::Create},
};
}  // namespace

std::vector<std::string> ActionNames() {
  std::vector<std::string> out;
  for (const auto& e : kActions) out.emplace_back(e.name);
  return out;
}

Result<std::unique_ptr<Action>> CreateAction(std::string_view name, ActionOptions& options, const ActionEnv& env) {
  for (const auto& e : kActions) {
    if (name != e.name) continue;
    auto action = e.create(options, env);
    if (!action.ok()) return action;
    auto unknown = options.Untaken();
    if (!unknown.empty()) {
      std::string hint = text::Suggest(unknown.front(), options.Taken());
      return Error(ErrorCode::kInvalidOption, "[" + unknown.front() + "] unknown option '" + unknown.front() +
                                                  "' for action " + std::string(name) + " (expected: path, action, " +
                                                  text::Join(options.Taken()) +
                                                  (hint.empty() ? ")" : "; did you mean '" + hint + "'?)"));
    }
    return action;
  }
  std::string hint = text::Suggest(name, ActionNames());
  return Error(ErrorCode::kUnknownAction, "unknown action '" + std::string(name) +
                                              "' (expected one of: " + text::Join(ActionNames()) +
                                              (hint.empty() ? ")" : "; did you mean '" + hint + "'?)"));
}

}  // namespace maskproxy::transform
