// Deterministic tokens: HMAC-SHA-256 under a per-domain subkey.
//
// subkey = HKDF-SHA-256(ikm = key version material, salt = "maskproxy/token/v1",
//                       info = domain)
// token  = "t1." key-name "." key-version "." base64url(HMAC(subkey, value)[0..16))
//
// The domain (by default the field path) keeps tokens of different fields
// unlinkable unless a policy gives them the same domain. Equal inputs under the
// same key version and domain give equal tokens, so analysts can join and
// count. 128 bits of the MAC are kept: collisions stay negligible (birthday
// bound 2^64) while the token stays short.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "crypto/keyring.h"
#include "crypto/mac.h"

namespace maskproxy::crypto {

inline constexpr size_t kTokenMacBytes = 16;

class Tokenizer {
 public:
  // Uses the key's active version.
  [[nodiscard]] static Result<Tokenizer> Create(const Key& key, std::string_view domain);

  // Appends the token text (no JSON quoting) to *out.
  [[nodiscard]] Status Tokenize(std::string_view value, std::string* out) const;

 private:
  Tokenizer(std::string prefix, HmacSha256 mac) : prefix_(std::move(prefix)), mac_(std::move(mac)) {}
  std::string prefix_;  // "t1.<name>.<version>."
  HmacSha256 mac_;
};

}  // namespace maskproxy::crypto
