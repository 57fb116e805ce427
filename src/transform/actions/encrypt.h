#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "crypto/aead.h"
#include "crypto/usage.h"
#include "crypto/xaes.h"
#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// Reversible actions put a 1-byte type tag before the value they encrypt, so
// Reveal() gives back the original JSON type and text:
//   's' + the string's unescaped UTF-8 | 'n' + the number's raw text |
//   'b' + "true"/"false" | 'j' + the exact JSON bytes of a whole object or
//   array (apply_to: whole). null is left alone before it gets here.
//
// encrypt, format e2 (the default): XAES-256-GCM with a random 192-bit nonce.
//   subkey = HKDF-SHA-256(key version material, salt "maskproxy/encrypt/v2",
//                         info "encrypt", 32 bytes)
//   output = JSON string of format e2 (transform/formats.h: the AAD binds
//            topic, field path, key name and version)
// Nothing is counted: random 192-bit nonces let any number of instances and
// batch jobs share a key (crypto/xaes.h gives the bound).
//
// encrypt, format e1 (`format: e1`): AES-256-GCM with a random 96-bit IV.
//   subkey = HKDF-SHA-256(key version material, salt "maskproxy/encrypt/v1",
//                         info "encrypt", 32 bytes)
//   output = JSON string of format e1
// Every e1 encryption is first counted in the UsageLedger (ActionEnv::ledger);
// a refusal ("key_exhausted") fails the record.
//
// Reveal takes both formats, whatever the rule writes. Options: key
// (required), format (e2 | e1; default e2).
class EncryptAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  [[nodiscard]] bool ShowsInput() const override { return false; }
  [[nodiscard]] std::string KeyRef() const override;
  [[nodiscard]] bool CountsEncryptions() const override { return !v2_; }
  [[nodiscard]] Result<std::string> Reveal(const ActionContext& ctx, std::string_view output_json_text,
                                           std::optional<uint32_t> key_version) const override;

 private:
  EncryptAction() = default;
  std::string key_name_;
  std::string field_;
  uint32_t active_ = 0;
  bool v2_ = true;                                 // writes e2 (else e1)
  std::map<uint32_t, crypto::AesGcm256> aeads_;    // e1, every version: old ones decrypt
  std::map<uint32_t, crypto::Xaes256Gcm> xaeads_;  // e2, every version
  const crypto::AesGcm256* active_aead_ = nullptr;
  const crypto::Xaes256Gcm* active_xaead_ = nullptr;
  std::string prefix_;                         // '"' + the output prefix (formats.h)
  std::string active_text_;                    // the active version in decimal, the AAD's last field
  crypto::UsageLedger* ledger_ = nullptr;      // e1 only
  crypto::UsageLedger::Slot* slot_ = nullptr;  // e1 only: the active version's count
};

}  // namespace maskproxy::transform
