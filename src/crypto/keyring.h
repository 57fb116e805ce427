// Keyring: named keys, each with numbered versions and one active version.
//
// Keys come only from the keyring file named in the config, never from a
// policy. Load() refuses a file that group or others can access, a key
// shorter than 256 bits, an unknown field or a missing active version, and
// says which. No error message ever contains key material.
//
// File format (YAML):
//   purpose: tokenization     # optional: tokenization | reversible
//   keys:
//     rrn:
//       active: 2
//       versions:
//         1: <base64 of >= 32 random bytes>
//         2: <base64 ...>
//
// Key custody: keys can be split by purpose into several files (LoadFiles),
// so that a host that reveals holds no tokenization key: `tokenization`
// (tokenize, and the scan section's tokens: one-way, but whoever holds the key
// can recompute the token of a guessed value) and `reversible` (encrypt,
// encrypt_deterministic, fpe). The audit key is another file again (audit/).
// The policy compiler refuses a rule whose key has the wrong purpose
// ("key_purpose_mismatch"); a key name in two files is refused.
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

// What a keyring file's keys may be used for. kAny: a file that declares no
// purpose and is not listed with one (one keyring for everything).
enum class KeyPurpose { kAny, kTokenization, kReversible };
[[nodiscard]] std::string_view KeyPurposeName(KeyPurpose p);                 // "any", "tokenization", "reversible"
[[nodiscard]] bool ParseKeyPurpose(std::string_view name, KeyPurpose* out);  // tokenization | reversible

// One keyring file of a split keyring, with the purpose the config gives it.
struct KeyringFile {
  std::string path;
  KeyPurpose purpose = KeyPurpose::kAny;
};

struct Key {
  std::string name;
  uint32_t active = 0;
  std::map<uint32_t, SecretBytes> versions;
  KeyPurpose purpose = KeyPurpose::kAny;  // its file's
  std::string origin;                     // its file, for errors

  [[nodiscard]] const SecretBytes& ActiveMaterial() const { return versions.at(active); }
};

class Keyring {
 public:
  // Reads and validates a keyring file, including its permissions.
  [[nodiscard]] static Result<Keyring> Load(const std::string& path);
  // Parses keyring YAML text; `origin` names it in errors. No permission check.
  [[nodiscard]] static Result<Keyring> Parse(std::string_view yaml, const std::string& origin);

  // Several files, each with its purpose (key custody). A file that declares
  // a `purpose:` must agree with the one it is listed with; a key name in two
  // files is refused ("keyring_invalid", naming both files).
  [[nodiscard]] static Result<Keyring> LoadFiles(const std::vector<KeyringFile>& files);
  // What a reveal loads: the files that are not for tokenization (a file
  // listed as, or declaring, `tokenization` is never read into the result), as
  // a reveal-only keyring (reveal_only()).
  [[nodiscard]] static Result<Keyring> LoadForReveal(const std::vector<KeyringFile>& files);

  [[nodiscard]] const Key* Find(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> Names() const;
  // The file's declared `purpose:` (kAny when none).
  [[nodiscard]] KeyPurpose purpose() const { return purpose_; }
  // True for a keyring loaded to reveal (LoadForReveal, or MarkRevealOnly):
  // the policy compiler then never constructs a one-way keyed action
  // (tokenize) and compiles a rule whose key is absent as unavailable
  // ("key_unavailable") instead of failing. Never for a proxy or batch run.
  [[nodiscard]] bool reveal_only() const { return reveal_only_; }
  void MarkRevealOnly() { reveal_only_ = true; }

 private:
  static Result<Keyring> ParseRoot(const YAML::Node& root, const std::string& origin);
  // Adds `other`'s keys (key custody: several files); a name in both fails.
  [[nodiscard]] Status Merge(Keyring&& other, const std::string& other_path);
  std::map<std::string, Key, std::less<>> keys_;
  KeyPurpose purpose_ = KeyPurpose::kAny;
  bool reveal_only_ = false;
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
