#pragma once

#include <memory>

#include "crypto/token.h"
#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// tokenize: deterministic keyed token (crypto/token.h) of the normalized value.
//   key: keyring key name (required); normalize: none|digits|rrn|lower|
//   alnum|phone_kr (digits: the digits only, those of other scripts and
//   forms as their ASCII digit, unicode::DigitValue; rrn: the same, and a
//   resident number written with its year in full, "19900101-1234568",
//   gives the 13 digits of "900101-1234568", detect::RrnWithoutCentury;
//   phone_kr: the
//   canonical national form of a Korean phone, detect/phone.h, and
//   "normalize_failed" for a value that is not one);
//   domain: tokens are joinable only within one domain (default: the path).
class TokenizeAction final : public Action {
 public:
  enum class Normalize { kNone, kDigits, kRrn, kLower, kAlnum, kPhoneKr };
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  [[nodiscard]] bool ShowsInput() const override { return false; }

 private:
  TokenizeAction(crypto::Tokenizer t, Normalize n) : tok_(std::move(t)), norm_(n) {}
  crypto::Tokenizer tok_;
  Normalize norm_;
};

}  // namespace maskproxy::transform
