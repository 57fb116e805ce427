// Helpers shared by the reversible actions (encrypt, encrypt_deterministic,
// fpe): the key lookup of their `key` option, the type tag before the
// plaintext (see encrypt.h), key checks on reveal, per-thread scratch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codec/json.h"
#include "common/result.h"
#include "crypto/keyring.h"
#include "transform/action.h"
#include "transform/formats.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// Takes the required `key` option and finds it in the keyring ("key_missing";
// "key_purpose_mismatch" for a key of the tokenization keyring).
[[nodiscard]] Result<const crypto::Key*> FindKey(ActionOptions& o, const ActionEnv& env, std::string* name);

// Type tag + value text: what the reversible actions encrypt.
[[nodiscard]] Status TaggedPlaintext(const codec::ScalarRef& v, std::string* pt);

// The inverse: JSON text of a tagged plaintext (checked, though authenticated).
[[nodiscard]] Result<std::string> UntagToJson(std::string_view pt);

// "key_mismatch" when a self-describing output names another key.
[[nodiscard]] Status CheckKey(const SelfDescribing& d, const std::string& key_name);

// "key_version_unknown".
[[nodiscard]] Error UnknownVersion(const std::string& key_name, uint32_t version);

// Per-thread scratch for the reversible actions: no allocation per value
// once warm. (The plaintext is a copy of record bytes that are in memory
// anyway; key material never passes through here.)
struct Scratch {
  std::string pt, sealed, aad;
  void Wipe() {
    pt.clear();
    sealed.clear();
  }
};

}  // namespace maskproxy::transform
