#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "crypto/ff1.h"
#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// fpe: FF1 (NIST SP 800-38G Rev. 1) format-preserving encryption.
//   subkey = HKDF-SHA-256(material, salt "maskproxy/fpe/v1", info "fpe:" domain, 32)
//   tweak  = domain
// Options: key (required); domain (default: the field path); alphabet:
// digits (default) | alnum | upper_alnum | lower_alnum | custom (with
// `chars`: 2..128 distinct printable ASCII characters); keep_prefix,
// keep_suffix (alphabet characters left in clear, default 0); separators
// (kept in place, default " -./()+:_"; alphabet characters are never
// separators); min_length (the fewest alphabet characters a value may have;
// refused at creation if it allows a domain under 1,000,000 values).
//
// The class walk (digits alphabet with keep_prefix 0): the first encrypted
// digit keeps its class, 0 or 1-9, and each class is permuted onto itself, so
// a JSON number never gets a leading zero and a string and a number with the
// same digits encrypt to the same digits (joins hold across JSON types).
//   1-9: FF1 on all n encrypted digits under `tweak`, applied again while the
//        first digit is 0 (cycle walking: 10/9 calls on average); decryption
//        walks the same way over FF1.Decrypt. This is what JSON numbers have
//        always had, so number outputs are unchanged.
//   0:   the 0 stays; FF1 on the other n-1 digits under tweak "0|" domain
//        (its own tweak, so it is unrelated to the encryption of the n-1
//        digits as a value of their own). One call; walking would take ten
//        on average.
// Only the 1-9 class is fixed by agreeing with numbers; any bijection that
// does so must map the 0 class onto itself, so the class split is forced and
// only the permutation of the 0 class is free. FF1 itself is unchanged
// (tests/crypto/ff1_test.cc). The domain of n encrypted digits is the value's
// class, 10^(n-1) (first digit 0) or 9 * 10^(n-1): both reach 1,000,000 at
// n = 7, so 7 encrypted digits are the fewest allowed (other alphabets, or
// keep_prefix > 0: radix^n, e.g. 6 digits). min_length is checked against the
// smaller class.
// A value whose encrypted part has under 1,000,000 possible values fails with
// "domain_too_small"; any other character fails with "fpe_invalid_char".
// JSON numbers: integers only ("fpe_not_integer" for fractions and exponents
// such as 1.5 or 1e5: never through a double), digits alphabet only; the
// leading '-' is kept in the clear and not counted by keep_prefix/suffix.
// The output cannot name its key version: see KeyRef().
class FpeAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  [[nodiscard]] std::string KeyRef() const override;
  // The kept prefix and suffix are shown; the rest is encrypted.
  [[nodiscard]] bool ShowsInput() const override { return keep_prefix_ + keep_suffix_ > 0; }
  [[nodiscard]] std::string RevealScope() const override { return "fpe|" + key_name_ + "|" + domain_; }
  // policy check: no min_length (a too-short field is found only at run
  // time, each value dead-lettered), and separator characters in `chars`.
  [[nodiscard]] std::string Warning() const override;
  [[nodiscard]] Result<std::string> Reveal(const ActionContext& ctx, std::string_view output_json_text,
                                           std::optional<uint32_t> key_version) const override;

 private:
  FpeAction() = default;
  // Encrypts or decrypts the alphabet characters of `text` in place.
  [[nodiscard]] Status Run(bool encrypt, const crypto::Ff1& ff1, bool number, std::string* text) const;
  // True when the first encrypted digit keeps its class (see above).
  [[nodiscard]] bool ClassWalk() const { return digits_ && keep_prefix_ == 0; }
  std::string key_name_;
  std::string domain_;
  std::string zero_tweak_;  // "0|" domain: the 0 class's tweak
  uint32_t active_ = 0;
  std::map<uint32_t, crypto::Ff1> ffs_;
  const crypto::Ff1* active_ff_ = nullptr;  // ffs_.at(active_)
  std::string alphabet_;
  std::array<int16_t, 128> index_{};  // character -> numeral, -1 if not in the alphabet
  std::array<bool, 128> separator_{};
  bool digits_ = false;  // alphabet is exactly 0-9: JSON numbers accepted
  size_t keep_prefix_ = 0, keep_suffix_ = 0, min_length_ = 0;
  size_t shortest_safe_ = 0;          // the fewest alphabet characters whose domain is safe
  std::string encrypted_separators_;  // separator characters `chars` holds (encrypted, not kept)
};

}  // namespace maskproxy::transform
