// FF1 format-preserving encryption (NIST SP 800-38G Rev. 1, Algorithms 7
// and 8) with AES as CIPH, on OpenSSL's EVP cipher and BIGNUM APIs. OpenSSL
// types never leave crypto/.
//
// A value is a string of numerals in [0, radix); the ciphertext has the same
// length and radix. The tweak is public, per-context data (e.g. a field name):
// equal (key, tweak, value) give equal ciphertexts.
//
// Constraints (SP 800-38G Rev. 1 section 5.2):
//   2 <= radix <= 2^16;
//   radix^len >= 1,000,000, else "domain_too_small" (e.g. radix 10: len >= 6);
//   len <= kMaxLength (the standard allows up to 2^32; this is our limit),
//   else "input_too_long";
//   tweak length < 2^32 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/secret.h"

namespace maskproxy::crypto {

class Ff1 {
 public:
  static constexpr uint32_t kMinRadix = 2;
  static constexpr uint32_t kMaxRadix = 65536;
  static constexpr size_t kMaxLength = 1024;
  static constexpr uint64_t kMinDomainSize = 1000000;

  // key: 16, 24 or 32 bytes (AES-128/192/256), else "invalid_key";
  // radix outside [2, 65536] gives "invalid_radix".
  [[nodiscard]] static Result<Ff1> Create(const SecretBytes& key, uint32_t radix);
  Ff1(Ff1&&) noexcept;
  Ff1& operator=(Ff1&&) noexcept;
  ~Ff1();

  // FF1.Encrypt / FF1.Decrypt. *out is replaced by the result and may be the
  // same vector as `numerals`. Errors: "domain_too_small", "input_too_long",
  // "invalid_numeral" (a numeral >= radix), "too_large" (tweak).
  [[nodiscard]] Status Encrypt(std::string_view tweak, const std::vector<uint16_t>& numerals,
                               std::vector<uint16_t>* out) const;
  [[nodiscard]] Status Decrypt(std::string_view tweak, const std::vector<uint16_t>& numerals,
                               std::vector<uint16_t>* out) const;

  // Both are const and safe to call from several threads at once.

  [[nodiscard]] uint32_t radix() const;
  // The shortest length this radix accepts (radix^len >= 1,000,000).
  [[nodiscard]] size_t min_length() const;

  // Maps ASCII text to numerals: the numeral of a character is its index in
  // `alphabet`. The alphabet must be 2..128 distinct ASCII characters
  // ("invalid_alphabet"); a character outside it gives "invalid_numeral".
  [[nodiscard]] static Result<std::vector<uint16_t>> Numerals(std::string_view text, std::string_view alphabet);
  // The inverse of Numerals. A numeral with no character in the alphabet
  // (impossible when alphabet.size() == radix) is rendered as '?'.
  [[nodiscard]] static std::string Text(const std::vector<uint16_t>& numerals, std::string_view alphabet);

 private:
  struct Impl;
  explicit Ff1(std::unique_ptr<Impl> impl);
  [[nodiscard]] Status Run(bool encrypt, std::string_view tweak, const std::vector<uint16_t>& numerals,
                           std::vector<uint16_t>* out) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace maskproxy::crypto
