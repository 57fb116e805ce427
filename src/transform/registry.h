// The action factory table: name -> factory that validates the rule's options.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/keyring.h"
#include "transform/action.h"

namespace maskproxy::crypto {
class UsageLedger;
}

namespace maskproxy::transform {

class Scanning;

struct ActionEnv {
  const crypto::Keyring* keys = nullptr;
  std::string field_path;  // the rule's path, e.g. default tokenization domain
  // Counts AES-GCM encryptions per key version (encrypt). Must outlive the
  // actions. Null: the process-wide in-memory ledger.
  crypto::UsageLedger* ledger = nullptr;
  // The policy's scanning setup (scan.h), for the `scan` action.
  std::shared_ptr<const Scanning> scanning = nullptr;
};

// Creates and validates an action. Errors: "unknown_action" (with a
// suggestion), "invalid_option" (message starts with "[option]"),
// "key_missing", "key_purpose_mismatch". With a reveal-only keyring
// (crypto::Keyring::reveal_only(): a reveal host) a tokenize rule is never
// constructed and a reversible rule whose key is absent is not an error:
// both become an action whose Apply and Reveal fail ("key_unavailable";
// tokenize: "not_reversible").
[[nodiscard]] Result<std::unique_ptr<Action>> CreateAction(std::string_view name, ActionOptions& options,
                                                           const ActionEnv& env);

[[nodiscard]] std::vector<std::string> ActionNames();

// The options every rule may have beside `path` and `action`, whatever its
// action: the policy's rule parser reads them (policy/routes.cc); an
// unknown option's message lists them with the action's own.
inline constexpr const char* kRuleOptions[] = {"apply_to", "on_unprotectable", "on_shape_mismatch"};

// The key a rule's `key:` names, from env.keys; "key_missing" when it is not
// there ("did you mean" the closest name). The name and the suggestion are
// quoted only as crypto::ShownName allows: a rule's `key:` is where pasted
// key material would end up, and policy check's message must not echo it.
// Every action that takes a key looks it up here.
[[nodiscard]] Result<const crypto::Key*> FindRuleKey(const ActionEnv& env, std::string_view name);

}  // namespace maskproxy::transform
