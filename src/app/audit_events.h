// The audit events the app writes (audit/audit.h): what each one carries,
// built in one place so that `run`, the reloader and `keys rotate` agree.
// Only names, versions, labels, hashes, codes and counts; never a value or
// key material.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/policy_set.h"
#include "audit/audit.h"
#include "crypto/keyring.h"

namespace maskproxy::app {

// Hex SHA-256 of a file's bytes ("" if it cannot be read).
[[nodiscard]] std::string FileSha256(const std::string& path);

// Each key as "name@active/v1,v2,..." (e.g. "rrn@2/1,2"), in name order.
[[nodiscard]] std::vector<std::string> KeyVersions(const crypto::Keyring& keys);

// Each key version's fingerprint as "name@version:fingerprint" (e.g.
// "rrn@1:3f9a…", crypto::KeyFingerprint: tells material apart, shows none).
[[nodiscard]] std::vector<std::string> KeyFingerprints(const crypto::Keyring& keys);

// keys_loaded: file, source ("start", "reload"), keys (KeyVersions),
// fingerprints (KeyFingerprints).
[[nodiscard]] audit::Event KeysLoadedEvent(const std::string& file, const crypto::Keyring& keys,
                                           const std::string& source);

// policy_loaded: files, policies (labels name@version#hash), routes.
[[nodiscard]] audit::Event PolicyLoadedEvent(const PolicySet& set);

}  // namespace maskproxy::app
