// HMAC-SHA-256 and HKDF-SHA-256 (RFC 2104 / RFC 5869), on OpenSSL's SHA-256
// and EVP_KDF. OpenSSL types never leave crypto/.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/result.h"
#include "crypto/secret.h"

namespace maskproxy::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

// A keyed HMAC-SHA-256 whose key schedule is computed once. Compute() is
// const and safe to call from several threads at once.
class HmacSha256 {
 public:
  [[nodiscard]] static Result<HmacSha256> Create(const SecretBytes& key);
  HmacSha256(HmacSha256&&) noexcept;
  HmacSha256& operator=(HmacSha256&&) noexcept;
  ~HmacSha256();

  [[nodiscard]] Status Compute(std::string_view data, Sha256Digest* out) const;

 private:
  struct Impl;
  explicit HmacSha256(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// HKDF-SHA-256 extract-and-expand.
[[nodiscard]] Result<SecretBytes> HkdfSha256(const SecretBytes& ikm, std::string_view salt, std::string_view info,
                                             size_t length);

[[nodiscard]] Sha256Digest Sha256(std::string_view data);

}  // namespace maskproxy::crypto
