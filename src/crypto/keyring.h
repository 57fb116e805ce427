// Keyring: named keys, each with numbered versions and one active version.
//
// Keys come only from the keyring file named in the config, never from a
// policy. Load() refuses a file that group or others can access, a key
// shorter than 256 bits, an unknown field or a missing active version, and
// says which. No error message ever contains key material.
//
// File format (YAML):
//   keys:
//     rrn:
//       active: 2
//       versions:
//         1: <base64 of >= 32 random bytes>
//         2: <base64 ...>
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace YAML {
class Node;
}
#include "crypto/secret.h"

namespace maskproxy::crypto {

inline constexpr size_t kMinKeyBytes = 32;

struct Key {
  std::string name;
  uint32_t active = 0;
  std::map<uint32_t, SecretBytes> versions;

  [[nodiscard]] const SecretBytes& ActiveMaterial() const { return versions.at(active); }
};

class Keyring {
 public:
  // Reads and validates a keyring file, including its permissions.
  [[nodiscard]] static Result<Keyring> Load(const std::string& path);
  // Parses keyring YAML text; `origin` names it in errors. No permission check.
  [[nodiscard]] static Result<Keyring> Parse(std::string_view yaml, const std::string& origin);

  [[nodiscard]] const Key* Find(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> Names() const;

 private:
  static Result<Keyring> ParseRoot(const YAML::Node& root, const std::string& origin);
  std::map<std::string, Key, std::less<>> keys_;
};

[[nodiscard]] bool IsValidKeyName(std::string_view name);

// Writes a new keyring file with one fresh 256-bit key (version 1) per name,
// created with mode 0600. Refuses to overwrite an existing file.
[[nodiscard]] Status GenerateKeyringFile(const std::string& path, const std::vector<std::string>& names);

// Adds a fresh 256-bit version (highest + 1) to each named key and makes it
// active; older versions stay for decryption. The file is rewritten (mode
// 0600) through a temporary file and a rename, so a crash leaves the old or
// the new keyring. Comments in the file are not kept. Returns name -> new
// version.
[[nodiscard]] Result<std::vector<std::pair<std::string, uint32_t>>> RotateKeyringFile(
    const std::string& path, const std::vector<std::string>& names);

}  // namespace maskproxy::crypto
