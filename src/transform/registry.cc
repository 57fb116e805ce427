#include "transform/registry.h"

#include "common/text.h"
#include "transform/actions.h"
#include "transform/scan.h"
#include "transform/unprotectable.h"

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

// A rule compiled for a reveal host (crypto::Keyring::reveal_only()) whose
// key is not there: a tokenize rule (never constructed there, so no
// tokenization key is needed or used) or a reversible rule whose key is
// absent. It cannot protect (fails closed) and cannot reveal.
class UnavailableAction final : public Action {
 public:
  UnavailableAction(std::string name, bool reversible, std::string key)
      : name_(std::move(name)), reversible_(reversible), key_(std::move(key)) {}
  [[nodiscard]] std::string MissingKey() const override { return reversible_ ? key_ : ""; }
  [[nodiscard]] Status Apply(const ActionContext&, const codec::ScalarRef&, std::string*) const override {
    return Error(ErrorCode::kKeyUnavailable,
                 "action " + name_ + " is not available here: its key is not in this host's (reveal-only) keyring");
  }
  [[nodiscard]] Result<std::string> Reveal(const ActionContext&, std::string_view,
                                           std::optional<uint32_t>) const override {
    if (!reversible_) return Error(ErrorCode::kNotReversible, name_ + " is one-way: it cannot be revealed");
    return Error(ErrorCode::kKeyUnavailable,
                 "the key of this " + name_ + " rule is not in the reveal keyring: it cannot be revealed here");
  }

 private:
  std::string name_;
  bool reversible_;
  std::string key_;
};

// One-way actions that take a key: a reveal never needs them.
bool IsOneWayKeyed(std::string_view name) {
  return name == "tokenize";
}

std::unique_ptr<Action> Unavailable(std::string_view name, ActionOptions& options, bool reversible) {
  auto key = options.TakeString("key", "");
  for (const auto& o : options.Untaken()) (void)options.TakeString(o, "");
  return std::make_unique<UnavailableAction>(std::string(name), reversible, key.ok() ? *key : "");
}

}  // namespace

std::vector<std::string> ActionNames() {
  std::vector<std::string> out;
  for (const auto& e : kActions) out.emplace_back(e.name);
  return out;
}

Result<std::unique_ptr<Action>> CreateAction(std::string_view name, ActionOptions& options, const ActionEnv& env) {
  for (const auto& e : kActions) {
    if (name != e.name) continue;
    const bool reveal_only = env.keys && env.keys->reveal_only();
    if (reveal_only && IsOneWayKeyed(name)) return Unavailable(name, options, /*reversible=*/false);
    auto action = e.create(options, env);
    if (reveal_only && !action.ok() && action.error().code == ErrorCode::kKeyMissing)
      return Unavailable(name, options, /*reversible=*/true);
    if (!action.ok()) return action;
    auto unknown = options.Untaken();
    if (!unknown.empty()) {
      // `path`, `action` and kRuleOptions are every rule's; an action
      // without options of its own (keep) adds none, so the list is joined,
      // not appended to (found by review: `on_unprotectible` got a list
      // without `on_unprotectable`, and no suggestion).
      std::vector<std::string> expected{"path", "action"};
      for (const std::string& t : options.Taken()) expected.push_back(t);
      for (const char* t : kRuleOptions)
        if (std::string_view(t) != "on_unprotectable" || AcceptsOnUnprotectable(name)) expected.emplace_back(t);
      std::string hint = text::Suggest(unknown.front(), expected);
      return Error(ErrorCode::kInvalidOption, "[" + unknown.front() + "] unknown option" +
                                                  text::Shown(unknown.front()) + " for action " + std::string(name) +
                                                  " (expected: " + text::Join(expected) +
                                                  (hint.empty() ? ")" : "; did you mean" + text::Shown(hint) + "?)"));
    }
    return action;
  }
  std::string hint = text::Suggest(name, ActionNames());
  return Error(ErrorCode::kUnknownAction, "unknown action" + text::Shown(name) +
                                              " (expected one of: " + text::Join(ActionNames()) +
                                              (hint.empty() ? ")" : "; did you mean" + text::Shown(hint) + "?)"));
}

Result<const crypto::Key*> FindRuleKey(const ActionEnv& env, std::string_view name) {
  // A keyring holds no such name; say why rather than "not in the keyring".
  if (!crypto::IsValidKeyName(name))
    return Error(ErrorCode::kInvalidOption, "[key] key name" + crypto::ShownName(name) + crypto::kKeyNameRule);
  if (const crypto::Key* key = env.keys ? env.keys->Find(name) : nullptr) return key;
  std::string hint = env.keys ? text::Suggest(name, env.keys->Names()) : "";
  if (crypto::MayBeKeyMaterial(hint)) hint.clear();
  return Error(ErrorCode::kKeyMissing, "[key] key" + crypto::ShownName(name) + " is not in the keyring" +
                                           (hint.empty() ? "" : " (did you mean" + text::Shown(hint) + "?)"));
}

}  // namespace maskproxy::transform
