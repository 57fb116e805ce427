// Every versioned output format, in one place: the self-describing outputs
// "<fmt>.<key>.<version>.<payload>" of the actions, how each is formatted
// and parsed (prefix, key name, key version, payload encoding) and the AAD
// each authenticates. Nothing else in src/ spells a format tag.
//
//   t1  tokenize               "t1.<key>.<version>.<base64url(HMAC-SHA-256(subkey, value)[0..16))>"
//                              (the MAC and its encoding: crypto/token.h; one-way, never parsed)
//   e2  encrypt (default)      "e2.<key>.<version>.<base64url(nonce || ct || tag)>", XAES-256-GCM
//                              (crypto/xaes.h: 24-byte random nonce, 16-byte tag),
//                              AAD = LP("e2") LP(topic) LP(field path) LP(key name) LP(version);
//                              no usage ledger: 192-bit random nonces never need counting
//   e1  encrypt (format: e1)   "e1.<key>.<version>.<base64url(IV || ct || tag)>", AES-256-GCM
//                              (12-byte random IV), counted in the usage ledger (~2^32 per key version),
//                              AAD = LP("e1") LP(topic) LP(field path) LP(key name) LP(version)
//   d1  encrypt_deterministic  "d1.<key>.<version>.<base64url(SIV || ct)>", AES-SIV,
//                              AAD = LP("d1") LP(domain) LP(key name) LP(version)
//   fpe outputs carry no version: they keep the value's format (digits stay
//       digits), so the key version comes from the rule or `reveal
//       --key-version` (FpeAction::KeyRef).
//
// Adding a format version (e2, t2, ...): add its tag and its format, AAD and
// parse functions here, keep every older one parsing (outputs already
// written must still reveal), and point the action's Apply at the new one.
// Outputs must stay byte-identical for a given version: the known-answer
// tests (tests/crypto/token_test.cc, tests/transform/protect_actions_test.cc)
// pin them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/keyring.h"

namespace maskproxy::transform {

inline constexpr std::string_view kTokenFormat = "t1";          // tokenize
inline constexpr std::string_view kEncryptFormat = "e1";        // encrypt, format: e1 (AES-256-GCM, ledger)
inline constexpr std::string_view kEncryptFormatV2 = "e2";      // encrypt, the default (XAES-256-GCM)
inline constexpr std::string_view kDeterministicFormat = "d1";  // encrypt_deterministic

// "<fmt>.<key>.<version>.": an output's text before its payload.
[[nodiscard]] std::string OutputPrefix(std::string_view fmt, std::string_view key_name, uint32_t version);

// t1: the prefix of the key's active version, for crypto::Tokenizer.
[[nodiscard]] std::string TokenPrefix(const crypto::Key& key);

// e1, e2 and d1 payloads: base64url without padding.
void AppendPayload(std::string_view bytes, std::string* out);
[[nodiscard]] std::optional<std::vector<uint8_t>> DecodePayload(std::string_view text);

// LP(x) = 4-byte big-endian length || x: an unambiguous concatenation.
void AppendLp(std::string_view s, std::string* out);

// e1's or e2's AAD (`fmt` is kEncryptFormat or kEncryptFormatV2), appended
// to *out. `version` is the key version's decimal text.
void AppendEncryptAad(std::string_view fmt, std::string_view topic, std::string_view field, std::string_view key_name,
                      std::string_view version, std::string* out);

// d1's AAD.
[[nodiscard]] std::string DeterministicAad(std::string_view domain, std::string_view key_name, uint32_t version);

// "<fmt>.<key>.<version>.<payload>" as a JSON string.
struct SelfDescribing {
  std::string_view key_name;
  uint32_t version = 0;
  std::string_view payload;
};

// Parses a self-describing output of format `fmt` ("invalid_ciphertext" if
// it is not one). The views point into *storage.
[[nodiscard]] Result<SelfDescribing> ParseSelfDescribing(std::string_view json, std::string_view fmt,
                                                         std::string* storage);

}  // namespace maskproxy::transform
