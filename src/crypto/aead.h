// AES-256-GCM authenticated encryption (NIST SP 800-38D) on OpenSSL's EVP
// cipher API. OpenSSL types never leave crypto/.
//
// Sealed layout: IV (12 random bytes) || ciphertext || tag (16 bytes).
//
// A fresh random 96-bit IV is drawn for every Seal, so one key must not seal
// more than about 2^32 values (SP 800-38D section 8.3): rotate keys well
// before that.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "crypto/secret.h"

namespace maskproxy::crypto {

class AesGcm256 {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kIvBytes = 12;
  static constexpr size_t kTagBytes = 16;
  static constexpr size_t kOverheadBytes = kIvBytes + kTagBytes;

  // key must be exactly 32 bytes ("invalid_key" otherwise).
  [[nodiscard]] static Result<AesGcm256> Create(const SecretBytes& key);
  AesGcm256(AesGcm256&&) noexcept;
  AesGcm256& operator=(AesGcm256&&) noexcept;
  ~AesGcm256();

  // Appends IV || ciphertext || tag to *out, with a fresh random IV. On
  // failure *out is left as it was.
  [[nodiscard]] Status Seal(std::string_view aad, std::string_view plaintext, std::string* out) const;

  // Replaces *plaintext with the opened value. Any malformed or tampered input
  // (short input, wrong key, wrong AAD, any flipped bit) gives "auth_failed"
  // and leaves *plaintext empty: a partial plaintext is never returned.
  [[nodiscard]] Status Open(std::string_view aad, std::string_view sealed, std::string* plaintext) const;

  // Seal with a caller-chosen IV (exactly 12 bytes). For known-answer tests
  // only: reusing an IV under one key destroys GCM's security.
  [[nodiscard]] static Status SealWithIv(const SecretBytes& key, std::string_view iv, std::string_view aad,
                                         std::string_view plaintext, std::string* out);

  // Seal and Open are const and safe to call from several threads at once.
  // The input views must not point into the output string.

 private:
  struct Impl;
  explicit AesGcm256(std::unique_ptr<Impl> impl);
  // iv: 12 bytes, or null for the next random IV.
  [[nodiscard]] Status SealInternal(const unsigned char* iv, std::string_view aad, std::string_view plaintext,
                                    std::string* out) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace maskproxy::crypto
