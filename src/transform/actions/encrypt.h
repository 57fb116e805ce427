#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "crypto/aead.h"
#include "crypto/usage.h"
#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// Reversible actions put a 1-byte type tag before the value they encrypt, so
// Reveal() gives back the original JSON type and text:
//   's' + the string's unescaped UTF-8 | 'n' + the number's raw text |
//   'b' + "true"/"false" | 'j' + the exact JSON bytes of a whole object or
//   array (apply_to: whole). null is left alone before it gets here.
//
// encrypt: AES-256-GCM with a random 96-bit IV.
//   subkey = HKDF-SHA-256(key version material, salt "maskproxy/encrypt/v1",
//                         info "encrypt", 32 bytes)
//   output = JSON string of format e1 (transform/formats.h: the AAD binds
//            topic, field path, key name and version)
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
  std::string key_name_;
  std::string field_;
  uint32_t active_ = 0;
  std::map<uint32_t, crypto::AesGcm256> aeads_;  // every version: old ones decrypt
  const crypto::AesGcm256* active_aead_ = nullptr;
  std::string prefix_;       // '"' + the output prefix (formats.h)
  std::string active_text_;  // the active version in decimal, the AAD's last field
  crypto::UsageLedger* ledger_ = nullptr;
  crypto::UsageLedger::Slot* slot_ = nullptr;  // the active version's count
};

}  // namespace maskproxy::transform
