// Deterministic tokens: HMAC-SHA-256 under a per-domain subkey.
//
// subkey = HKDF-SHA-256(ikm = key version material, salt = "maskproxy/token/v1",
//                       info = domain)
// token  = prefix || base64url(HMAC(subkey, value)[0..16))
//
// The prefix names the output format, the key and its version; the caller
// passes it (transform/formats.h owns every output format; crypto does not
// depend on transform).
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
  // Uses the key's active version; `prefix` is written before each MAC.
  [[nodiscard]] static Result<Tokenizer> Create(const Key& key, std::string_view domain, std::string prefix);

  // Appends the token text (no JSON quoting) to *out.
  [[nodiscard]] Status Tokenize(std::string_view value, std::string* out) const;

 private:
  Tokenizer(std::string prefix, HmacSha256 mac) : prefix_(std::move(prefix)), mac_(std::move(mac)) {}
  std::string prefix_;  // "<format>.<name>.<version>."
  HmacSha256 mac_;
};

}  // namespace maskproxy::crypto
