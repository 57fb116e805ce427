// The built-in actions. Each has a static Create() that validates options.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "crypto/aead.h"
#include "crypto/ff1.h"
#include "crypto/siv.h"
#include "crypto/token.h"
#include "crypto/usage.h"
#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// tokenize: deterministic keyed token (crypto/token.h) of the normalized value.
//   key: keyring key name (required); normalize: none|digits|lower|alnum|
//   phone_kr (digits: ASCII and full-width digits only; phone_kr: the
//   canonical national form of a Korean phone, detect/phone.h, and
//   "normalize_failed" for a value that is not one);
//   domain: tokens are joinable only within one domain (default: the path).
class TokenizeAction final : public Action {
 public:
  enum class Normalize { kNone, kDigits, kLower, kAlnum, kPhoneKr };
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
  std::array<bool, 128> separator_{};  // ASCII bytes kept in place
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

// keep: passes the value through unchanged (an explicit allow-list entry for
// `unlisted_fields: drop` policies). No options.
class KeepAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;

 private:
  KeepAction() = default;
};

// Reversible actions put a 1-byte type tag before the value they encrypt, so
// Reveal() gives back the original JSON type and text:
//   's' + the string's unescaped UTF-8 | 'n' + the number's raw text |
//   'b' + "true"/"false" | 'j' + the exact JSON bytes of a whole object or
//   array (apply_to: whole). null is left alone before it gets here.
//
// encrypt: AES-256-GCM with a random 96-bit IV.
//   subkey = HKDF-SHA-256(key version material, salt "maskproxy/encrypt/v1",
//                         info "encrypt", 32 bytes)
//   AAD    = LP("e1") LP(topic) LP(field path) LP(key name) LP(version), where
//            LP(x) = 4-byte big-endian length || x
//   output = JSON string "e1.<key>.<version>.<base64url(IV || ct || tag)>"
// Every encryption is first counted in the UsageLedger (ActionEnv::ledger);
// a refusal ("key_exhausted") fails the record. Options: key (required).
class EncryptAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  [[nodiscard]] std::string KeyRef() const override;
  [[nodiscard]] bool CountsEncryptions() const override { return true; }
  [[nodiscard]] Result<std::string> Reveal(const ActionContext& ctx, std::string_view output_json_text,
                                           std::optional<uint32_t> key_version) const override;

 private:
  EncryptAction() = default;
  [[nodiscard]] std::string Aad(std::string_view topic, uint32_t version) const;
  std::string key_name_;
  std::string field_;
  uint32_t active_ = 0;
  std::map<uint32_t, crypto::AesGcm256> aeads_;  // every version: old ones decrypt
  const crypto::AesGcm256* active_aead_ = nullptr;
  std::string prefix_;     // "\"e1.<key>.<active>."
  std::string active_lp_;  // LP(active version), the AAD's last field
  crypto::UsageLedger* ledger_ = nullptr;
  crypto::UsageLedger::Slot* slot_ = nullptr;  // the active version's count
};

// encrypt_deterministic: AES-SIV (RFC 5297) with a 64-byte subkey
// (AES-SIV-CMAC-512, AES-256 strength): equal values give equal output.
//   subkey = HKDF-SHA-256(material, salt "maskproxy/encrypt/v1",
//                         info "encrypt_deterministic", 64 bytes)
//   AAD    = LP("d1") LP(domain) LP(key name) LP(version)
//   output = JSON string "d1.<key>.<version>.<base64url(SIV || ct)>"
// Options: key (required); domain (default: the field path; outputs are
// joinable across topics within a domain, and across fields sharing one).
class EncryptDeterministicAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  [[nodiscard]] std::string KeyRef() const override;
  [[nodiscard]] Result<std::string> Reveal(const ActionContext& ctx, std::string_view output_json_text,
                                           std::optional<uint32_t> key_version) const override;

 private:
  EncryptDeterministicAction() = default;
  [[nodiscard]] std::string Aad(uint32_t version) const;
  std::string key_name_;
  std::string domain_;
  uint32_t active_ = 0;
  std::map<uint32_t, crypto::AesSiv> sivs_;
  const crypto::AesSiv* active_siv_ = nullptr;
  std::string active_aad_;
  std::string prefix_;  // "\"d1.<key>.<active>."
};

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
};

// generalize: replaces a value with a coarser one (always a JSON string).
//   to: year | year_month   dates YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD
//                           or ISO 8601 timestamps -> "1990" / "1990-01"
//       bucket              numbers or numeric strings, option `size` (> 0,
//                           integer or decimal) -> "10000-19999" (lower and
//                           inclusive upper bound at the size's precision;
//                           -5 with size 10 -> "-10--1")
//       birth_decade_sex    Korean RRN (YYMMDD-GNNNNNN, hyphen optional) ->
//                           "1990s-M"
//       province            Korean address -> official 시/도 name
//       district            -> 시/도 + first 시/군/구 ("경기도 성남시")
// Failures: "invalid_date", "invalid_number", "invalid_rrn",
// "unknown_province", "unknown_district", "unsupported_type".
class GeneralizeAction final : public Action {
 public:
  enum class To { kYear, kYearMonth, kBucket, kBirthDecadeSex, kProvince, kDistrict };
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;

 private:
  GeneralizeAction() = default;
  To to_ = To::kYear;
  unsigned __int128 size_ = 0;  // bucket size in units of 10^-scale_
  int scale_ = 0;
};

}  // namespace maskproxy::transform
