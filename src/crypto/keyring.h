// Keyring: named keys, each with numbered versions and one active version.
//
// Keys come only from the keyring file named in the config, never from a
// policy. Load() opens the file once and checks what it opened (fstat): it
// refuses a file that group or others can access, that another user than
// the process's (or root) owns, or that lies in a directory anyone may
// write to without the sticky bit; then a key shorter than 256 bits,
// material written in hex or not random (key_weak), the same material in
// two key versions, an unknown field or a missing active version, and says
// which. A name written twice in one mapping (two `keys:` blocks, two
// `active:` of one key) is refused, naming the file, line and key path. No
// error message ever contains key material.
//
// File format (YAML):
//   purpose: tokenization     # optional: tokenization | reversible
//   keys:
//     rrn:
//       active: 2
//       versions:
//         1: <base64 of >= 32 random bytes>
//         2: <base64 ...>
//         3: {kms: "transit:maskproxy", wrapped: "vault:v1:..."}
//
// A version may be held wrapped by a KMS (envelope encryption): `kms` names
// the key-encryption key ("transit:NAME", an OpenBao/Vault Transit key) and
// `wrapped` the data key encrypted by it. Load() unwraps such versions
// through the KeyWrapper it is given (the app's, over kms/transit.h; crypto
// does not depend on the KMS) and refuses them without one. Only the wrapped
// form is ever written to a file.
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
#include <set>
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

// A data key as the keyring file holds it when a KMS wraps it.
struct WrappedVersion {
  std::string kms;      // "transit:NAME": the key-encryption key
  std::string wrapped;  // the data key encrypted by it ("vault:v1:...")
};

// What the keyring asks of a KMS. Implementations never log or return key
// material in an error.
class KeyWrapper {
 public:
  virtual ~KeyWrapper() = default;
  // The clear data key of a wrapped version.
  [[nodiscard]] virtual Result<SecretBytes> Unwrap(const WrappedVersion& version) const = 0;
  // A new 256-bit data key, wrapped by `kms`; its clear form is never seen.
  [[nodiscard]] virtual Result<std::string> NewWrapped(std::string_view kms) const = 0;
  // A new version of the key-encryption key `kms`.
  [[nodiscard]] virtual Status RotateKek(std::string_view kms) const = 0;
  // The same data key wrapped by the latest version of its key-encryption key.
  [[nodiscard]] virtual Result<std::string> Rewrap(const WrappedVersion& version) const = 0;
};

struct Key {
  std::string name;
  uint32_t active = 0;
  std::map<uint32_t, SecretBytes> versions;
  KeyPurpose purpose = KeyPurpose::kAny;         // its file's
  std::string origin;                            // its file, for errors
  std::map<uint32_t, WrappedVersion> wrapped;    // the versions a KMS holds wrapped (also in `versions`, unwrapped)
  std::map<uint32_t, std::string> fingerprints;  // version -> KeyFingerprint, for each version in `versions`

  [[nodiscard]] const SecretBytes& ActiveMaterial() const { return versions.at(active); }
};

// A key version's material, named without showing it: where it is and its
// KeyFingerprint. For errors, the audit trail and /config_dump.
struct VersionFingerprint {
  std::string name;
  uint32_t version = 0;
  std::string origin;       // its file
  std::string fingerprint;  // KeyFingerprint of its material
};

// The non-secret fingerprint of one version's material: 24 lower-case hex
// digits (96 bits) of HKDF-SHA-256 with a salt and info of its own
// (keyring.cc says why that and not a plain hash). Equal material gives
// equal fingerprints; it tells an auditor whether two loads hold the same
// material, and nothing else about it.
[[nodiscard]] Result<std::string> KeyFingerprint(const SecretBytes& material);

// Refuses material that two entries share ("keyring_invalid", naming both
// key versions and files, never the material): one key version's material
// under two names, two versions or two files would break the custody split
// (a reveal host would hold a tokenization key) and the meaning of a
// version. Compared by fingerprint.
[[nodiscard]] Status RefuseSharedMaterial(const std::vector<VersionFingerprint>& versions);

class Keyring {
 public:
  // Reads and validates a keyring file, including its permissions.
  // Wrapped versions are unwrapped through `kms` (null: refused, naming the KMS key).
  // `only`: the names of the keys whose wrapped versions are unwrapped
  // (null: every key's); the others' stay wrapped (no KMS call).
  [[nodiscard]] static Result<Keyring> Load(const std::string& path, const KeyWrapper* kms = nullptr,
                                            const std::set<std::string>* only = nullptr);
  // Parses keyring YAML text; `origin` names it in errors. No permission check.
  [[nodiscard]] static Result<Keyring> Parse(std::string_view yaml, const std::string& origin,
                                             const KeyWrapper* kms = nullptr);
  // Reads a keyring file without unwrapping: wrapped versions are only in
  // Key::wrapped, and Key::versions holds the plain ones (keys rotate, which
  // rewrites the file without ever holding a clear wrapped key).
  [[nodiscard]] static Result<Keyring> LoadEntries(const std::string& path);
  // Whether any version of any key is wrapped by a KMS.
  [[nodiscard]] bool HasWrapped() const;
  // The mapping entries of the file this keyring holds (purpose, keys, each
  // key's name, active and versions, each version and a wrapped one's kms
  // and wrapped): a file with more entries is refused (ParseText), so that
  // nothing in it is ignored and `keys rotate` writes back all of it.
  [[nodiscard]] size_t EntriesRead() const;

  // Several files, each with its purpose (key custody). A file that declares
  // a `purpose:` must agree with the one it is listed with; a key name in two
  // files is refused ("keyring_invalid", naming both files).
  [[nodiscard]] static Result<Keyring> LoadFiles(const std::vector<KeyringFile>& files,
                                                 const KeyWrapper* kms = nullptr);
  // What a reveal loads: the files that are not for tokenization (a file
  // listed as, or declaring, `tokenization` is never read into the result), as
  // a reveal-only keyring (reveal_only()).
  // `only`: the keys the reveal needs (its field's rule's key); every other
  // key is dropped, its wrapped versions never unwrapped, so another key's
  // KMS failure does not stop it (found by review: each offline reveal
  // unwrapped every reversible key). Null: every key.
  [[nodiscard]] static Result<Keyring> LoadForReveal(const std::vector<KeyringFile>& files,
                                                     const KeyWrapper* kms = nullptr,
                                                     const std::set<std::string>* only = nullptr);

  [[nodiscard]] const Key* Find(std::string_view name) const;
  // Every version that holds material (in `versions`), in name and version order.
  [[nodiscard]] std::vector<VersionFingerprint> Fingerprints() const;
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
  static Result<Keyring> ParseRoot(const YAML::Node& root, const std::string& origin, const KeyWrapper* kms,
                                   bool unwrap, const std::set<std::string>* only = nullptr);
  static Result<Keyring> ParseText(std::string_view yaml, const std::string& origin, const KeyWrapper* kms, bool unwrap,
                                   const std::set<std::string>* only = nullptr);
  static Result<Keyring> LoadFile(const std::string& path, const KeyWrapper* kms, bool unwrap,
                                  const std::set<std::string>* only = nullptr);
  std::map<std::string, Key, std::less<>> keys_;
  KeyPurpose purpose_ = KeyPurpose::kAny;
  bool reveal_only_ = false;
};

// 1-64 characters of [A-Za-z0-9_-] that do not look like pasted material
// (from 22 characters on they read as words; keyring.cc's
// LooksLikePastedMaterial): a key name is printed (/config_dump, the audit
// trail, `keys rotate`, every output that names its key), so a name that may
// be pasted material is refused wherever a name is accepted: a keyring
// file's keys, `keys generate` and `keys rotate`, a rule's `key:`.
[[nodiscard]] bool IsValidKeyName(std::string_view name);
// The rule IsValidKeyName checks, for an error after "key name" + ShownName.
extern const char kKeyNameRule[];
// Whether the NAME of a KMS key "transit:NAME" (or a name without a
// prefix) may be key material: such a KMS key is refused in a keyring file
// and by `keys generate --kms`, as it would be printed.
[[nodiscard]] bool KmsNameMayBeKeyMaterial(std::string_view kms);

// The one rule for quoting a name that stands where a key name or a KMS key
// name belongs (a keyring's names and `kms:` fields, a rule's `key:`, a
// name on the command line) in an error, a log line or an HTTP answer: key
// material pasted into such a slot must never be echoed, nor a name that
// reads as personal data. Both are common/text.h's rule for every word a
// person wrote (text::MayBeKeyMaterial, text::Shown), which a policy's
// errors quote their words by too; kept here under the names the keyring's
// callers know.
[[nodiscard]] bool MayBeKeyMaterial(std::string_view name);
// text::Shown: " 'NAME'", or " (not shown: it may be key material)" /
// " (not shown: it may be personal data)", for "key" + ShownName(name) +
// " is ...". The message's file:line:col (or the option it came from) says
// where the name is.
[[nodiscard]] std::string ShownName(std::string_view name);

// Writes a new keyring file with one fresh 256-bit key (version 1) per name,
// created with mode 0600. Refuses to overwrite an existing file, and a name
// that is invalid or given twice ("usage", before anything is written or
// asked of the KMS). With `kms`,
// each key is a data key wrapped by `kek` ("transit:NAME") and only the
// wrapped form is written.
[[nodiscard]] Status GenerateKeyringFile(const std::string& path, const std::vector<std::string>& names,
                                         const KeyWrapper* kms = nullptr, std::string_view kek = {});

// Adds a fresh 256-bit version (highest + 1) to each named key and makes it
// active; older versions stay for decryption. A symbolic link is resolved:
// the file it points to is replaced, the link stays. Rotations of one file
// run one at a time (flock on PATH.lock beside it). The file is rewritten
// (mode 0600) through a temporary file of its own (O_EXCL, a random name)
// and a rename, so a crash leaves the old or the new keyring; the new file
// is read back first and every existing version must hold the same
// material (by fingerprint), and every key and wrapped version must be
// there, or nothing is replaced. A file with anything the keyring does not
// read (a key written twice in a mapping) is refused when it is loaded,
// before anything is written. The new file keeps the old one's owner and group (a
// keyring of the service user rotated by root stays the service user's);
// when the caller may not give it them, "keyring_write_failed" before the
// KMS is asked for anything and before the file is replaced. Comments in the
// file are not kept. Returns name -> new version.
// A named key whose active version is KMS-wrapped is rotated through `kms`:
// its key-encryption key is rotated, every version wrapped by that KEK (of
// any key in the file) is rewrapped to the KEK's latest version, and the new
// version is a new wrapped data key. No clear data key is written; other keys are copied as
// they are.
[[nodiscard]] Result<std::vector<std::pair<std::string, uint32_t>>> RotateKeyringFile(
    const std::string& path, const std::vector<std::string>& names, const KeyWrapper* kms = nullptr);

}  // namespace maskproxy::crypto
