// The built-in actions. Each has a static Create() that validates options.
#pragma once

#include <memory>
#include <string>

#include "crypto/token.h"
#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// tokenize: deterministic keyed token (crypto/token.h) of the normalized value.
//   key: keyring key name (required); normalize: none|digits|lower|alnum;
//   domain: tokens are joinable only within one domain (default: the path).
class TokenizeAction final : public Action {
 public:
  enum class Normalize { kNone, kDigits, kLower, kAlnum };
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;

 private:
  TokenizeAction(crypto::Tokenizer t, Normalize n) : tok_(std::move(t)), norm_(n) {}
  crypto::Tokenizer tok_;
  Normalize norm_;
};

// mask: keeps the first/last N characters (separators not counted), replaces
// the rest with mask_char, keeps separators. Works on Unicode code points.
// If keep_first + keep_last would show the whole value, everything is masked.
class MaskAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;

 private:
  MaskAction() = default;
  size_t keep_first_ = 0, keep_last_ = 0;
  std::string mask_char_;
  std::string separators_;  // ASCII bytes
};

// redact: mode remove (delete the member), null, or constant (a fixed string).
class RedactAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  [[nodiscard]] bool RemovesMember() const override { return remove_; }

 private:
  RedactAction() = default;
  bool remove_ = false;
  std::string replacement_;  // JSON text
};

}  // namespace maskproxy::transform
