// Internal to audit/: the keys derived from key "audit" (trail.h says how).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/keyring.h"
#include "crypto/mac.h"

namespace maskproxy::audit {

struct TrailKeys {
  uint32_t active = 0;
  std::map<uint32_t, crypto::HmacSha256> mac;            // version -> MAC key
  std::unique_ptr<crypto::HmacSha256> digest;            // the active version's digest key
  std::vector<crypto::VersionFingerprint> fingerprints;  // of key "audit"'s versions (never material)

  // Loads `key_file` (crypto::Keyring::Load: 0600, >= 256 bit); refuses a
  // file without key "audit" or with any other key.
  [[nodiscard]] static Result<std::shared_ptr<const TrailKeys>> Load(const std::string& key_file);
  [[nodiscard]] static Result<std::shared_ptr<const TrailKeys>> FromKeyring(const crypto::Keyring& ring,
                                                                            const std::string& origin);
};

// Lower-case hex of a SHA-256 digest.
[[nodiscard]] std::string HexDigest(const crypto::Sha256Digest& d);

}  // namespace maskproxy::audit
