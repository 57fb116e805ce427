// AES-SIV (RFC 5297): deterministic authenticated encryption, composed from
// OpenSSL 3's CMAC (EVP_MAC) and AES-CTR (EVP cipher). OpenSSL types never leave
// crypto/.
//
// Sealed layout: SIV (16 bytes) || ciphertext (same length as the plaintext).
//
// Equal (key, associated data, plaintext) give equal output, so equal values
// stay joinable while anything else about them stays hidden; different
// associated data gives unrelated output. The key is K1 || K2 of RFC 5297:
// 32, 48 or 64 bytes for AES-SIV-CMAC-256, -384 or -512.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/secret.h"

namespace maskproxy::crypto {

class AesSiv {
 public:
  static constexpr size_t kSivBytes = 16;
  // S2V takes at most 127 components, one of which is the plaintext.
  static constexpr size_t kMaxAdComponents = 126;

  // key must be 32, 48 or 64 bytes ("invalid_key" otherwise).
  [[nodiscard]] static Result<AesSiv> Create(const SecretBytes& key);
  AesSiv(AesSiv&&) noexcept;
  AesSiv& operator=(AesSiv&&) noexcept;
  ~AesSiv();

  // Appends SIV || ciphertext to *out. `aad` is exactly one associated-data
  // component (an empty `aad` is an empty component, not "no component").
  // On failure *out is left as it was.
  [[nodiscard]] Status Seal(std::string_view aad, std::string_view plaintext, std::string* out) const;
  // The same with a vector of associated-data components S1..Sn-1 (RFC 5297
  // section 2.6); for nonce-based use put the nonce last. Pass a named vector:
  // a braced list of string literals would pick the string_view overload.
  [[nodiscard]] Status Seal(const std::vector<std::string_view>& ads, std::string_view plaintext,
                            std::string* out) const;

  // Replaces *plaintext with the opened value. Malformed or tampered input
  // gives "auth_failed" and leaves *plaintext empty.
  [[nodiscard]] Status Open(std::string_view aad, std::string_view sealed, std::string* plaintext) const;
  [[nodiscard]] Status Open(const std::vector<std::string_view>& ads, std::string_view sealed,
                            std::string* plaintext) const;

  // Seal and Open are const and safe to call from several threads at once.
  // The input views must not point into the output string.

 private:
  struct Impl;
  explicit AesSiv(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace maskproxy::crypto
