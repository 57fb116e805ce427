#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "crypto/siv.h"
#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// The type tag before the plaintext: see encrypt.h.
// encrypt_deterministic: AES-SIV (RFC 5297) with a 64-byte subkey
// (AES-SIV-CMAC-512, AES-256 strength): equal values give equal output.
//   subkey = HKDF-SHA-256(material, salt "maskproxy/encrypt/v1",
//                         info "encrypt_deterministic", 64 bytes)
//   output = JSON string of format d1 (transform/formats.h: the AAD binds
//            domain, key name and version)
// Options: key (required); domain (default: the field path; outputs are
// joinable across topics within a domain, and across fields sharing one).
class EncryptDeterministicAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  [[nodiscard]] bool ShowsInput() const override { return false; }
  [[nodiscard]] std::string KeyRef() const override;
  [[nodiscard]] std::string RevealScope() const override { return "d1|" + key_name_ + "|" + domain_; }
  [[nodiscard]] Result<std::string> Reveal(const ActionContext& ctx, std::string_view output_json_text,
                                           std::optional<uint32_t> key_version) const override;

 private:
  EncryptDeterministicAction() = default;
  std::string key_name_;
  std::string domain_;
  uint32_t active_ = 0;
  std::map<uint32_t, crypto::AesSiv> sivs_;
  const crypto::AesSiv* active_siv_ = nullptr;
  std::string active_aad_;
  std::string prefix_;  // '"' + the output prefix (formats.h)
};

}  // namespace maskproxy::transform
