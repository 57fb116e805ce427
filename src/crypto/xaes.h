// XAES-256-GCM (https://c2sp.org/XAES-256-GCM): AES-256-GCM with a 192-bit
// nonce, on OpenSSL's EVP cipher API. OpenSSL types never leave crypto/.
//
// Per message, a subkey is derived from the key and the nonce's first 12
// bytes with the NIST SP 800-108r1 counter KDF over AES-256-CMAC (label "X",
// a 16-bit counter, no L; each PRF input is one block, so CMAC is one AES
// call with the subkey K1):
//   L  = AES-256_K(0^128);  K1 = L << 1, xor 0x87 into the last byte if MSB(L)
//   Kx = AES-256_K(00 01 'X' 00 || N[:12] xor K1) || AES-256_K(00 02 'X' 00 || N[:12] xor K1)
// and the message is sealed with AES-256-GCM under Kx with the nonce N[12:].
//
// Sealed layout: nonce (24 random bytes) || ciphertext || tag (16 bytes).
// Random nonces come from OpenSSL's DRBG (RAND_bytes), drawn in batches.
//
// Why: with 192-bit random nonces any number of writers may share one key
// with no counting. The chance that any two of n random nonces collide is at
// most n^2 / 2^193 (n = 2^64 messages: 2^-65); the C2SP note gives 2^80
// messages at 2^-32. AES-256-GCM's 96-bit random IVs allow only about 2^32
// messages per key (SP 800-38D 8.3), which is what the e1 ledger counts.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "crypto/secret.h"

namespace maskproxy::crypto {

class Xaes256Gcm {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kNonceBytes = 24;
  static constexpr size_t kTagBytes = 16;
  static constexpr size_t kOverheadBytes = kNonceBytes + kTagBytes;

  // key must be exactly 32 bytes ("invalid_key" otherwise).
  [[nodiscard]] static Result<Xaes256Gcm> Create(const SecretBytes& key);
  Xaes256Gcm(Xaes256Gcm&&) noexcept;
  Xaes256Gcm& operator=(Xaes256Gcm&&) noexcept;
  ~Xaes256Gcm();

  // Appends nonce || ciphertext || tag to *out, with a fresh random nonce
  // (RAND_bytes). On failure *out is left as it was.
  [[nodiscard]] Status Seal(std::string_view aad, std::string_view plaintext, std::string* out) const;

  // Replaces *plaintext with the opened value. Any malformed or tampered input
  // gives "auth_failed" and leaves *plaintext empty.
  [[nodiscard]] Status Open(std::string_view aad, std::string_view sealed, std::string* plaintext) const;

  // Seal with a caller-chosen 24-byte nonce (appends nonce || ct || tag). For
  // known-answer tests only: a repeated nonce under one key breaks GCM.
  [[nodiscard]] Status SealWithNonce(std::string_view nonce, std::string_view aad, std::string_view plaintext,
                                     std::string* out) const;

  // Seal, Open and SealWithNonce are const and safe to call from several
  // threads at once. The input views must not point into the output string.

 private:
  struct Impl;
  explicit Xaes256Gcm(std::unique_ptr<Impl> impl);
  // given_nonce: 24 bytes, or null for the next random nonce.
  [[nodiscard]] Status SealInternal(const std::string_view* given_nonce, std::string_view aad,
                                    std::string_view plaintext, std::string* out) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace maskproxy::crypto
