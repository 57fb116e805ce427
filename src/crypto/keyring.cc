#include "crypto/keyring.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "common/file.h"
#include "common/text.h"
#include "common/yaml_doc.h"
#include "crypto/base64.h"
#include "crypto/mac.h"

namespace maskproxy::crypto {
namespace {
std::string At(const std::string& origin, const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return origin;
  return origin + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// Versions are 1..kMaxVersion (at most 9 digits in the file).
constexpr uint32_t kMaxVersion = 999999999;

bool ParseVersion(const std::string& s, uint32_t* out) {
  if (s.empty() || s.size() > 9) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0) return false;
  *out = v;
  return true;
}
}  // namespace

bool LooksLikePastedMaterial(std::string_view name) {
  constexpr size_t kShortestPiece = 22;  // 16 bytes in base64
  return name.find_first_of("+/=") != std::string_view::npos ||
         (name.size() >= kShortestPiece && !text::ReadsAsWords(name));
}

bool MayBeKeyMaterial(std::string_view name) {
  return text::MayBeKeyMaterial(name);
}

// Material pasted one level off ("bFHX…=: 2" where a field belongs, or in
// `kms:`) must not reach a log, an HTTP answer or the audit trail; the line
// and column say where it is.
std::string ShownName(std::string_view name) {
  return text::Shown(name);
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  // A name is printed where material never is (/config_dump, the audit
  // trail's keys_loaded, `keys rotate`, every t1/e1/d1 output): pasted
  // material is no name. Material is 32 bytes and more, 43 base64 or 64 hex
  // characters: a name that holds base64's + / =, or of 22 characters or
  // more does not read as words, may be it (a shorter piece cannot be a
  // key). Names of up to 21 characters are names whatever their case
  // ("customerPIIKey", "OAuthTokenKey": keyrings an earlier version made,
  // a review found refused on upgrade); errors still show a name only as
  // MayBeKeyMaterial allows.
  return !LooksLikePastedMaterial(name);
}

const char kKeyNameRule[] =
    " must be 1-64 characters of [A-Za-z0-9_-], and from 22 characters on read as words joined by - or _ "
    "(customerKey, payments_tokenization_key_2026): hex or base64 that may be pasted key material is refused "
    "(names are printed, material never is)";

bool KmsNameMayBeKeyMaterial(std::string_view kms) {
  const size_t colon = kms.find(':');
  return LooksLikePastedMaterial(colon == std::string_view::npos ? kms : kms.substr(colon + 1));
}

Result<Keyring> Keyring::Load(const std::string& path, const KeyWrapper* kms, const std::set<std::string>* only) {
  return LoadFile(path, kms, true, only);
}

Result<Keyring> Keyring::LoadEntries(const std::string& path) {
  return LoadFile(path, nullptr, false);
}

bool Keyring::HasWrapped() const {
  for (const auto& [n, k] : keys_)
    if (!k.wrapped.empty()) return true;
  return false;
}

namespace {
// Closes a descriptor on every path.
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Whoever may write to the directory may replace the file in it: a
// directory anyone may write to is refused unless it has the sticky bit
// (then only a file's owner may rename or remove it, as in /tmp).
Status CheckDirectory(const std::string& file, const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return Status::Ok();  // the open says what is wrong
  if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0)
    return Error(ErrorCode::kKeyringInsecure,
                 "keyring file " + file + " is in " + dir +
                     ", a directory anyone may write to (without the sticky bit): anyone could replace the "
                     "keyring; keep it in a directory only its owner may write to");
  return Status::Ok();
}

// Opens the keyring file once and checks what was opened (fstat of the
// descriptor, then the read from it: no window between the check and the
// read for the file to be swapped): a regular file, no access for group or
// others, owned by the user this process runs as or root (a file of another
// user is that user's to rewrite; `any_owner`: for root, who rotates a
// service user's keyring and keeps its owner), in a directory not anyone
// may write to. A symbolic link to a keyring is followed (a supported
// setup: README "Keys"), and its target's directory is checked too.
Result<std::string> ReadKeyringText(const std::string& path, bool any_owner) {
  if (Status s = CheckDirectory(path, DirName(path)); !s.ok()) return s.error();
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  FdCloser fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  if (fd.fd < 0) return Error(ErrorCode::kKeyringUnreadable, "keyring file " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0)
    return Error(ErrorCode::kKeyringUnreadable, "keyring file " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return Error(ErrorCode::kKeyringUnreadable, "keyring file " + path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error(ErrorCode::kKeyringInsecure, "keyring file " + path + " is accessible by group or others (mode " +
                                                  mode + "); run: chmod 600 " + path);
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != me && st.st_uid != 0 && !(any_owner && me == 0))
    return Error(ErrorCode::kKeyringInsecure, "keyring file " + path + " is owned by uid " + std::to_string(st.st_uid) +
                                                  ", not by the user this runs as (uid " + std::to_string(me) +
                                                  ") or root: another user could rewrite its keys; run: chown " +
                                                  std::to_string(me) + " " + path);
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    const std::string target = real;
    std::free(real);
    if (target != path)
      if (Status s = CheckDirectory(path, DirName(target)); !s.ok()) return s.error();
  }
  if (static_cast<uint64_t>(st.st_size) > file::kMaxDocumentBytes)
    return Error(ErrorCode::kKeyringUnreadable, "keyring file " + path + ": cannot read: larger than " +
                                                    std::to_string(file::kMaxDocumentBytes) + " bytes");
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[16384];
  while (true) {
    const ssize_t got = ::read(fd.fd, buf, sizeof buf);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      OPENSSL_cleanse(buf, sizeof buf);
      OPENSSL_cleanse(out.data(), out.size());
      return Error(ErrorCode::kKeyringUnreadable, "keyring file " + path + ": cannot read: " + std::strerror(e));
    }
    out.append(buf, static_cast<size_t>(got));
    if (out.size() > file::kMaxDocumentBytes) {
      OPENSSL_cleanse(buf, sizeof buf);
      OPENSSL_cleanse(out.data(), out.size());
      return Error(ErrorCode::kKeyringUnreadable, "keyring file " + path + ": cannot read: larger than " +
                                                      std::to_string(file::kMaxDocumentBytes) + " bytes");
    }
  }
  OPENSSL_cleanse(buf, sizeof buf);
  return out;
}
}  // namespace

Result<Keyring> Keyring::LoadFile(const std::string& path, const KeyWrapper* kms, bool unwrap,
                                  const std::set<std::string>* only) {
  // LoadEntries (unwrap false) is what keys rotate reads: root may rotate a
  // keyring of another user (the file keeps its owner).
  auto text = ReadKeyringText(path, /*any_owner=*/!unwrap);
  if (!text.ok()) return text.error();
  auto ring = ParseText(*text, path, kms, unwrap, only);
  OPENSSL_cleanse(text->data(), text->size());
  return ring;
}

Result<Keyring> Keyring::Parse(std::string_view yaml, const std::string& origin, const KeyWrapper* kms) {
  return ParseText(yaml, origin, kms, true);
}

namespace {
// A duplicate's path of keys as an error quotes it: a segment that may be
// key material (a version's material pasted where a name belongs) is not
// shown.
std::string ShownPath(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& segment : path) {
    if (!out.empty()) out.push_back('.');
    out += MayBeKeyMaterial(segment) ? "(not shown: it may be key material)" : segment;
  }
  return out;
}

// The mapping entries of `n` at every level (an alias counted where it is
// used), or `limit` once there are that many.
size_t CountEntries(const YAML::Node& n, size_t limit, int depth = 0) {
  if (depth > 16) return limit;
  size_t count = 0;
  if (n.IsMap()) {
    for (const auto& kv : n) {
      count += 1 + CountEntries(kv.second, limit, depth + 1);
      if (count >= limit) return limit;
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      count += CountEntries(item, limit, depth + 1);
      if (count >= limit) return limit;
    }
  }
  return count;
}
}  // namespace

size_t Keyring::EntriesRead() const {
  size_t n = purpose_ == KeyPurpose::kAny ? 1 : 2;  // keys, purpose
  for (const auto& [name, key] : keys_) {
    n += 3;  // the name, active, versions
    for (const auto& [ver, material] : key.versions)
      if (!key.wrapped.count(ver)) ++n;
    n += 3 * key.wrapped.size();  // the version, kms, wrapped
  }
  return n;
}

Result<Keyring> Keyring::ParseText(std::string_view yaml, const std::string& origin, const KeyWrapper* kms, bool unwrap,
                                   const std::set<std::string>* only) {
  YAML::Node root;
  std::optional<YAML::Mark> second;
  std::optional<yamldoc::DuplicateKey> duplicate;
  try {
    root = yamldoc::LoadOne(std::string(yaml), &second, &duplicate);
  } catch (const YAML::ParserException& e) {
    // e.msg is the parser's description; it does not echo document content.
    return Error(ErrorCode::kKeyringInvalid,
                 text::Located(origin, e.mark.line + 1, e.mark.column + 1, yamldoc::ParseErrorMessage(e, yaml)));
  }
  if (second)
    return Error(ErrorCode::kKeyringInvalid,
                 text::Located(origin, second->line + 1, second->column + 1, yamldoc::kSecondDocument));
  // A key written twice in one mapping: yaml-cpp keeps both, and a reader
  // sees the first (a second `keys:` block), the last (`active:`) or both
  // (two `versions:`) — keys nobody loads, and `keys rotate` would write
  // the file without them.
  if (duplicate)
    return Error(ErrorCode::kKeyringInvalid,
                 text::Located(origin, duplicate->mark.line + 1, duplicate->mark.column + 1,
                               "duplicate key '" + ShownPath(duplicate->path) +
                                   "': each name appears once in its mapping (the second would be ignored, or "
                                   "override the first)"));
  if (!root.IsMap()) return Error(ErrorCode::kKeyringInvalid, origin + ": expected a mapping with a 'keys' entry");
  try {
    auto ring = ParseRoot(root, origin, kms, unwrap, only);
    // One line whatever key names the file holds (no message carries material).
    if (!ring.ok()) return Error(ring.error().code, text::OneLine(ring.error().message));
    // Everything the file holds is in the keyring (what keys rotate writes
    // back): an entry read as nothing would be lost on the next rotation.
    const size_t read = ring->EntriesRead();
    if (CountEntries(root, read + 1) != read)
      return Error(ErrorCode::kKeyringInvalid, origin +
                                                   ": holds entries the keyring does not read (a key written "
                                                   "twice?): refused, so that nothing in it is ignored or lost");
    return ring;
  } catch (const YAML::Exception& e) {
    return Error(ErrorCode::kKeyringInvalid, text::Located(origin, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

namespace {
// Whether p[0..n) repeats with a period of at most n/2: p[i] == p[i + period].
bool Periodic(const uint8_t* p, size_t n) {
  for (size_t period = 1; period <= n / 2; ++period)
    if (std::memcmp(p, p + period, n - period) == 0) return true;
  return false;
}

// Whether the differences p[i + 1] - p[i] (mod 256) of p[0..n) repeat with a
// period of at most (n - 1)/2: an arithmetic progression (00 01 02 .. 1f,
// FIPS-197's example key; 1f 1e .. 00; 00 07 0e ..: period 1) or one of a
// few steps repeated. A repeating pattern of bytes is one too.
bool PeriodicSteps(const uint8_t* p, size_t n) {
  if (n < 3) return false;
  std::vector<uint8_t> d(n - 1);
  for (size_t i = 0; i + 1 < n; ++i) d[i] = static_cast<uint8_t>(p[i + 1] - p[i]);
  const bool periodic = Periodic(d.data(), d.size());
  OPENSSL_cleanse(d.data(), d.size());
  return periodic;
}

// Why `n` (>= 32) bytes of material are not what a random generator gives,
// or null. Each check refuses real random material with a probability
// below 2e-14 (n = 32, the least; more bytes make it smaller still), all
// of them together below 3e-14:
// - fewer than 16 different byte values: 32 random bytes have about 30;
//   fewer than 16 happens with probability 3.2e-17 (the occupancy
//   distribution of 32 draws from 256). All zeros, one repeated character,
//   the bytes 0-7 repeated.
// - one byte value n/4 + 3 or more times (11 of 32): 16 distinct bytes and
//   16 zeros, a half left zero. For random bytes below
//   256 * C(n, t) * 256^-t (t = n/4 + 3): 1.1e-16 for n = 32, less for more.
// - a repeating period of at most n/2 bytes ("abcabc…", a phrase repeated):
//   for random bytes below sum over p <= n/2 of 256^-(n-p) < 1e-38.
// - steps (differences of neighbours, mod 256) repeating with a period of
//   at most (n-1)/2: a counting sequence 00 01 .. 1f (test vectors' keys),
//   its reverse, a stride: below sum over p <= (n-1)/2 of 256^-(n-1-p),
//   < 1e-38.
// - either half (n/2 bytes, at least 16) periodic or with periodic steps
//   as above, within its own length: a random half followed by a pattern.
//   For n = 32: 2 halves * 2 checks * about 256^-8 (a period of 8 bytes,
//   or of 7 of the 15 steps, the likeliest) < 3e-19.
// - every byte printable ASCII (0x20-0x7e): a passphrase base64-encoded, not
//   random bytes; (95/256)^32 = 1.7e-14.
const char* WeakMaterial(const uint8_t* p, size_t n) {
  std::array<uint8_t, 256> count{};
  size_t distinct = 0;
  size_t most = 0;
  bool printable = true;
  for (size_t i = 0; i < n; ++i) {
    if (count[p[i]] == 0) ++distinct;
    if (count[p[i]] < 255) ++count[p[i]];
    most = std::max<size_t>(most, count[p[i]]);
    printable = printable && p[i] >= 0x20 && p[i] <= 0x7e;
  }
  OPENSSL_cleanse(count.data(), count.size());
  if (distinct < 16) return "fewer than 16 different byte values, such as all zeros or a short pattern repeated";
  if (most >= n / 4 + 3) return "one byte value repeated too often, such as a half left zero";
  if (Periodic(p, n)) return "a pattern repeated";
  if (PeriodicSteps(p, n)) return "a counting sequence or a stride, such as the bytes 00 01 02 ... of a test vector";
  const size_t half = n / 2;
  for (const uint8_t* h : {p, p + (n - half)})
    if (Periodic(h, half) || PeriodicSteps(h, half)) return "a half that is a pattern or a counting sequence";
  if (printable) return "only printable text characters (a passphrase, not random bytes)";
  return nullptr;
}

// Why the base64 text of material is not what encoding random bytes gives,
// or null: fewer than 14 different characters (ignoring '=' and white
// space). The base64 of 32 random bytes, 43 characters from 64, has about
// 31; fewer than 14 happens with probability 1.5e-17. A typed phrase of
// base64's letters ("correcthorsebattery…") decodes to bytes that pass the
// checks above, but its text has a dozen letters.
const char* WeakText(std::string_view text) {
  std::array<bool, 256> seen{};
  size_t distinct = 0;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '=' || c == ' ' || c == '\n' || c == '\t' || c == '\r' || seen[u]) continue;
    seen[u] = true;
    ++distinct;
  }
  if (distinct < 14) return "base64 text of fewer than 14 different characters (a typed or repeated phrase)";
  return nullptr;
}

// Text made only of hex digits: the output of `openssl rand -hex 32`, which
// base64 would decode into other bytes (and fewer bits of entropy than it
// seems). The base64 of 32 random bytes ends in '=' and is never all hex.
bool IsHexText(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

// The fingerprint's derivation. Not SHA-256(material): that would be the
// same value any other tool computes over the key, and a hash of the raw key
// used elsewhere (a key id, a "key check value") would then match it. HKDF
// with a salt and info of its own is a PRF output independent of every
// subkey maskproxy derives (they use other salts), so publishing it gives
// nothing usable against tokens, ciphertexts or the audit MACs; testing a
// guess of the key against it needs the whole 256-bit key guessed, which
// the checks above make sure is random. 96 bits: two materials in any
// keyring share a fingerprint with probability below 2^-80.
constexpr std::string_view kFingerprintSalt = "maskproxy/key-fingerprint/v1";
constexpr std::string_view kFingerprintInfo = "keyring version fingerprint";
constexpr size_t kFingerprintBytes = 12;

// Fingerprints `material` into `key` (version `ver`).
Status AddFingerprint(Key* key, uint32_t ver, const SecretBytes& material) {
  auto fp = KeyFingerprint(material);
  if (!fp.ok()) return fp.error();
  key->fingerprints[ver] = std::move(*fp);
  return Status::Ok();
}

}  // namespace

Result<std::string> KeyFingerprint(const SecretBytes& material) {
  auto d = HkdfSha256(material, kFingerprintSalt, kFingerprintInfo, kFingerprintBytes);
  if (!d.ok()) return d.error();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < d->size(); ++i) {
    out.push_back(kHex[d->data()[i] >> 4]);
    out.push_back(kHex[d->data()[i] & 15]);
  }
  return out;
}

Status RefuseSharedMaterial(const std::vector<VersionFingerprint>& versions) {
  std::map<std::string_view, const VersionFingerprint*> first;
  for (const auto& v : versions) {
    auto [it, fresh] = first.emplace(v.fingerprint, &v);
    if (fresh) continue;
    const VersionFingerprint& a = *it->second;
    auto where = [](const VersionFingerprint& x) {
      return "key" + ShownName(x.name) + " version " + std::to_string(x.version) + " (" + x.origin + ")";
    };
    return Error(ErrorCode::kKeyringInvalid,
                 where(a) + " and " + where(v) +
                     " hold the same material: each key version needs material of its own (a key copied under "
                     "another name or into another keyring file defeats keeping the files apart); make new "
                     "material with maskproxy keys generate or keys rotate");
  }
  return Status::Ok();
}

std::vector<VersionFingerprint> Keyring::Fingerprints() const {
  std::vector<VersionFingerprint> out;
  for (const auto& [name, key] : keys_)
    for (const auto& [ver, fp] : key.fingerprints) out.push_back({name, ver, key.origin, fp});
  return out;
}

Result<Keyring> Keyring::ParseRoot(const YAML::Node& root, const std::string& origin, const KeyWrapper* kms,
                                   bool unwrap, const std::set<std::string>* only) {
  KeyPurpose purpose = KeyPurpose::kAny;
  for (const auto& kv : root) {
    if (!kv.first.IsScalar())
      return Error(ErrorCode::kKeyringInvalid, At(origin, kv.first) + ": field names must be plain names");
    if (kv.first.as<std::string>() == "purpose") {
      if (!kv.second.IsScalar() || !ParseKeyPurpose(kv.second.Scalar(), &purpose))
        return Error(ErrorCode::kKeyringInvalid,
                     At(origin, kv.second) + ": 'purpose' must be tokenization or reversible");
      continue;
    }
    if (kv.first.as<std::string>() != "keys")
      return Error(ErrorCode::kKeyringInvalid, At(origin, kv.first) + ": unknown field" + ShownName(kv.first.Scalar()) +
                                                   " (expected: purpose, keys)");
  }
  YAML::Node keys = root["keys"];
  if (!keys || !keys.IsMap() || keys.size() == 0)
    return Error(ErrorCode::kKeyringInvalid, origin + ": 'keys' must be a non-empty mapping of key names");

  Keyring ring;
  ring.purpose_ = purpose;
  for (const auto& kv : keys) {
    const std::string where = At(origin, kv.first);
    if (!kv.first.IsScalar()) return Error(ErrorCode::kKeyringInvalid, where + ": key names must be plain names");
    const std::string name = kv.first.Scalar();
    if (!IsValidKeyName(name))
      return Error(ErrorCode::kKeyringInvalid, where + ": key name" + ShownName(name) + kKeyNameRule);
    if (ring.keys_.count(name))
      return Error(ErrorCode::kKeyringInvalid, where + ": key" + ShownName(name) + " is defined twice");
    const YAML::Node& body = kv.second;
    if (!body.IsMap())
      return Error(ErrorCode::kKeyringInvalid, where + ": key" + ShownName(name) + " must be a mapping");
    Key key;
    key.name = name;
    key.purpose = purpose;
    key.origin = origin;
    bool have_active = false;
    for (const auto& f : body) {
      if (!f.first.IsScalar())
        return Error(ErrorCode::kKeyringInvalid,
                     At(origin, f.first) + ": key" + ShownName(name) + ": field names must be plain names");
      const std::string field = f.first.Scalar();
      if (field == "active") {
        if (!f.second.IsScalar() || !ParseVersion(f.second.Scalar(), &key.active))
          return Error(ErrorCode::kKeyringInvalid, At(origin, f.second) + ": key" + ShownName(name) +
                                                       ": 'active' must be a positive version number");
        have_active = true;
      } else if (field == "versions") {
        if (!f.second.IsMap() || f.second.size() == 0)
          return Error(ErrorCode::kKeyringInvalid, At(origin, f.second) + ": key" + ShownName(name) +
                                                       ": 'versions' must map version numbers to base64 key material");
        for (const auto& v : f.second) {
          uint32_t ver = 0;
          if (!v.first.IsScalar() || !ParseVersion(v.first.Scalar(), &ver))
            return Error(ErrorCode::kKeyringInvalid,
                         At(origin, v.first) + ": key" + ShownName(name) + ": version must be a positive number");
          if (key.versions.count(ver) || key.wrapped.count(ver))
            return Error(ErrorCode::kKeyringInvalid, At(origin, v.first) + ": key" + ShownName(name) + ": version " +
                                                         std::to_string(ver) + " is defined twice");
          if (v.second.IsMap()) {
            // A data key wrapped by a KMS: {kms: "transit:NAME", wrapped: "vault:v1:..."}.
            const std::string at = At(origin, v.second) + ": key" + ShownName(name) + " version " + std::to_string(ver);
            WrappedVersion w;
            for (const auto& wf : v.second) {
              const std::string wk = wf.first.IsScalar() ? wf.first.Scalar() : "";
              if (!wf.second.IsScalar() || wf.second.Scalar().empty() || (wk != "kms" && wk != "wrapped"))
                return Error(ErrorCode::kKeyringInvalid,
                             at + ": a wrapped version is {kms: \"transit:NAME\", wrapped: \"vault:v1:...\"}");
              (wk == "kms" ? w.kms : w.wrapped) = wf.second.Scalar();
            }
            if (w.kms.empty() || w.wrapped.empty())
              return Error(ErrorCode::kKeyringInvalid,
                           at + ": a wrapped version needs both 'kms' (transit:NAME) and 'wrapped'");
            // The KMS key's name is printed (/config_dump): pasted material is refused there too.
            if (KmsNameMayBeKeyMaterial(w.kms))
              return Error(ErrorCode::kKeyringInvalid, at + ": the KMS key" + ShownName(w.kms) +
                                                           " is not a name (its NAME in transit:NAME" + kKeyNameRule +
                                                           ")");
            if (unwrap && (!only || only->count(name) != 0)) {
              if (!kms)
                return Error(ErrorCode::kKeyringInvalid,
                             at + " is wrapped by the KMS key" + ShownName(w.kms) +
                                 "; configure the KMS (config 'kms:', or BAO_ADDR and BAO_TOKEN for the CLI)");
              auto clear = kms->Unwrap(w);
              if (!clear.ok()) return Error(clear.error().code, at + ": " + clear.error().message);
              if (clear->size() < kMinKeyBytes)
                return Error(ErrorCode::kKeyTooShort, at + " unwraps to " + std::to_string(clear->size() * 8) +
                                                          " bits; at least " + std::to_string(kMinKeyBytes * 8) +
                                                          " are required");
              if (const char* weak = WeakMaterial(clear->data(), clear->size()))
                return Error(ErrorCode::kKeyWeak, at + " unwraps to material that is not random (" + weak + ")");
              if (Status s = AddFingerprint(&key, ver, *clear); !s.ok()) return s.error();
              key.versions.emplace(ver, std::move(*clear));
            }
            key.wrapped.emplace(ver, std::move(w));
            continue;
          }
          if (!v.second.IsScalar())
            return Error(ErrorCode::kKeyringInvalid, At(origin, v.second) + ": key" + ShownName(name) + " version " +
                                                         std::to_string(ver) + ": material must be a base64 string");
          const std::string& b64 = v.second.Scalar();
          if (IsHexText(b64))
            return Error(ErrorCode::kKeyringInvalid,
                         At(origin, v.second) + ": key" + ShownName(name) + " version " + std::to_string(ver) +
                             ": material is written in hex (only hex digits); the keyring takes base64: make "
                             "material with maskproxy keys generate or openssl rand -base64 32");
          auto bytes = Base64Decode(b64);
          if (!bytes)
            return Error(ErrorCode::kKeyringInvalid, At(origin, v.second) + ": key" + ShownName(name) + " version " +
                                                         std::to_string(ver) + ": material is not valid base64");
          if (bytes->size() < kMinKeyBytes) {
            size_t n = bytes->size();
            OPENSSL_cleanse(bytes->data(), bytes->size());
            return Error(ErrorCode::kKeyTooShort, At(origin, v.second) + ": key" + ShownName(name) + " version " +
                                                      std::to_string(ver) + " has " + std::to_string(n * 8) +
                                                      " bits; at least " + std::to_string(kMinKeyBytes * 8) +
                                                      " are required");
          }
          const char* weak = WeakMaterial(bytes->data(), bytes->size());
          if (!weak) weak = WeakText(b64);
          if (weak) {
            OPENSSL_cleanse(bytes->data(), bytes->size());
            return Error(ErrorCode::kKeyWeak, At(origin, v.second) + ": key" + ShownName(name) + " version " +
                                                  std::to_string(ver) + " is not random material (" + weak +
                                                  "): make one with maskproxy keys generate or openssl rand "
                                                  "-base64 32");
          }
          SecretBytes material(std::move(*bytes));
          if (Status s = AddFingerprint(&key, ver, material); !s.ok()) return s.error();
          if (!key.versions.emplace(ver, std::move(material)).second)
            return Error(ErrorCode::kKeyringInvalid, At(origin, v.first) + ": key" + ShownName(name) + ": version " +
                                                         std::to_string(ver) + " is defined twice");
        }
      } else {
        return Error(ErrorCode::kKeyringInvalid, At(origin, f.first) + ": key" + ShownName(name) + ": unknown field" +
                                                     ShownName(field) + " (expected: active, versions)");
      }
    }
    if (key.versions.empty() && key.wrapped.empty())
      return Error(ErrorCode::kKeyringInvalid, where + ": key" + ShownName(name) + " has no 'versions'");
    if (!have_active)
      return Error(ErrorCode::kKeyringInvalid, where + ": key" + ShownName(name) + " has no 'active' version");
    if (!key.versions.count(key.active) && !key.wrapped.count(key.active))
      return Error(ErrorCode::kKeyringInvalid, where + ": key" + ShownName(name) + ": active version " +
                                                   std::to_string(key.active) + " is not among its versions");
    ring.keys_.emplace(name, std::move(key));
  }
  if (Status s = RefuseSharedMaterial(ring.Fingerprints()); !s.ok()) return s.error();
  return ring;
}

std::string_view KeyPurposeName(KeyPurpose p) {
  switch (p) {
    case KeyPurpose::kTokenization: return "tokenization";
    case KeyPurpose::kReversible: return "reversible";
    case KeyPurpose::kAny: break;
  }
  return "any";
}

bool ParseKeyPurpose(std::string_view name, KeyPurpose* out) {
  if (name == "tokenization") {
    *out = KeyPurpose::kTokenization;
  } else if (name == "reversible") {
    *out = KeyPurpose::kReversible;
  } else {
    return false;
  }
  return true;
}

Status Keyring::Merge(Keyring&& other, const std::string& other_path) {
  for (auto& [name, key] : other.keys_) {
    if (const Key* mine = Find(name))
      return Error(ErrorCode::kKeyringInvalid, "key" + ShownName(name) + " is in both " + mine->origin + " and " +
                                                   other_path + ": a key name must be in one keyring file only");
  }
  keys_.merge(other.keys_);
  return Status::Ok();
}

namespace {
// One file of a split keyring, loaded and checked against its listed purpose.
Result<Keyring> LoadOne(const KeyringFile& f, const KeyWrapper* kms, const std::set<std::string>* only = nullptr) {
  auto ring = Keyring::Load(f.path, kms, only);
  if (!ring.ok()) return ring.error();
  if (f.purpose != KeyPurpose::kAny && ring->purpose() != KeyPurpose::kAny && ring->purpose() != f.purpose)
    return Error(ErrorCode::kKeyringInvalid,
                 "keyring file " + f.path + " declares purpose: " + std::string(KeyPurposeName(ring->purpose())) +
                     " but the config lists it as the " + std::string(KeyPurposeName(f.purpose)) + " keyring");
  return ring;
}
}  // namespace

Result<Keyring> Keyring::LoadFiles(const std::vector<KeyringFile>& files, const KeyWrapper* kms) {
  if (files.empty()) return Error(ErrorCode::kKeyringUnreadable, "no keyring file configured");
  Keyring all;
  for (const auto& f : files) {
    auto ring = LoadOne(f, kms);
    if (!ring.ok()) return ring.error();
    // The purpose the config gives applies to a file that declares none.
    if (f.purpose != KeyPurpose::kAny)
      for (auto& [name, key] : ring->keys_) key.purpose = f.purpose;
    if (Status s = all.Merge(std::move(ring).value(), f.path); !s.ok()) return s.error();
  }
  // Material in two files (or under two names) breaks the custody split.
  if (Status s = RefuseSharedMaterial(all.Fingerprints()); !s.ok()) return s.error();
  return all;
}

Result<Keyring> Keyring::LoadForReveal(const std::vector<KeyringFile>& files, const KeyWrapper* kms,
                                       const std::set<std::string>* only) {
  Keyring all;
  for (const auto& f : files) {
    if (f.purpose == KeyPurpose::kTokenization) continue;  // never read on a reveal
    auto ring = LoadOne(f, kms, only);
    if (!ring.ok()) return ring.error();
    if (ring->purpose() == KeyPurpose::kTokenization) continue;  // declared so: dropped (and wiped) unused
    if (only)  // the keys the reveal does not need: dropped (and wiped), never unwrapped
      std::erase_if(ring->keys_, [&](const auto& kv) { return only->count(kv.first) == 0; });
    if (f.purpose != KeyPurpose::kAny)
      for (auto& [name, key] : ring->keys_) key.purpose = f.purpose;
    if (Status s = all.Merge(std::move(ring).value(), f.path); !s.ok()) return s.error();
  }
  if (Status s = RefuseSharedMaterial(all.Fingerprints()); !s.ok()) return s.error();
  all.reveal_only_ = true;
  return all;
}

const Key* Keyring::Find(std::string_view name) const {
  auto it = keys_.find(name);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::string> Keyring::Names() const {
  std::vector<std::string> out;
  for (const auto& [n, k] : keys_) out.push_back(n);
  return out;
}

namespace {

// The owner and group a rewritten file keeps (those of the file it replaces).
struct Owner {
  uid_t uid;
  gid_t gid;
  std::string of;  // the file they come from, for the error
};

// Gives the new file at `fd` (`path`) `owner`'s owner and group when they
// differ from its own. A keyring owned by the service user stays readable
// by it when root rotates it.
Status KeepOwner(int fd, const std::string& path, const Owner& owner) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return Error(ErrorCode::kKeyringWriteFailed, "cannot stat " + path + ": " + std::strerror(errno));
  if (st.st_uid == owner.uid && st.st_gid == owner.gid) return Status::Ok();
  if (::fchown(fd, owner.uid, owner.gid) != 0) {
    const int e = errno;
    return Error(ErrorCode::kKeyringWriteFailed,
                 "cannot give the new keyring the owner and group of " + owner.of + " (uid " +
                     std::to_string(owner.uid) + ", gid " + std::to_string(owner.gid) + "): " + std::strerror(e) +
                     "; nothing was replaced: run this as the file's owner (in its group) or as root");
  }
  return Status::Ok();
}

// Creates a new file at `path` (O_EXCL, mode 0600) for secret text; with
// `owner`, gives it that owner and group before anything is written
// (refused, the file removed, when it cannot). Returns its descriptor.
Result<int> CreateSecretFile(const std::string& path, const Owner* owner = nullptr) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error(ErrorCode::kKeyringWriteFailed, "cannot create " + path + ": " + std::strerror(errno));
  if (owner) {
    if (Status s = KeepOwner(fd, path, *owner); !s.ok()) {
      ::close(fd);
      ::unlink(path.c_str());
      return s.error();
    }
  }
  return fd;
}

// Writes `text` to `fd` (the file CreateSecretFile made at `path`), syncs
// and closes it; on an error the file is removed. Wipes `text` in every case.
Status WriteSecretFd(int fd, const std::string& path, std::string& text) {
  size_t off = 0;
  while (off < text.size()) {
    ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(path.c_str());
      OPENSSL_cleanse(text.data(), text.size());
      return Error(ErrorCode::kKeyringWriteFailed, "write " + path + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(w);
  }
  OPENSSL_cleanse(text.data(), text.size());
  if (::fsync(fd) != 0 || ::close(fd) != 0) return Error(ErrorCode::kKeyringWriteFailed, "cannot sync " + path);
  return Status::Ok();
}

// Writes `text` to a new file at `path` (O_EXCL, mode 0600) and syncs it.
// Wipes `text` in every case.
Status WriteSecretFile(const std::string& path, std::string& text) {
  auto fd = CreateSecretFile(path);
  if (!fd.ok()) {
    OPENSSL_cleanse(text.data(), text.size());
    return fd.error();
  }
  return WriteSecretFd(*fd, path, text);
}

Result<std::string> FreshMaterial() {
  uint8_t buf[kMinKeyBytes];
  if (RAND_bytes(buf, sizeof buf) != 1) return Error(ErrorCode::kCryptoFailed, "RAND_bytes failed");
  std::string b64 = Base64Encode(buf, sizeof buf);
  OPENSSL_cleanse(buf, sizeof buf);
  return b64;
}

constexpr char kHeader[] = "# maskproxy keyring. Secret: keep mode 0600, never commit, never print.\nkeys:\n";

// kHeader with the file's `purpose:` line, kept across a rotation.
std::string HeaderWithPurpose(KeyPurpose p) {
  std::string h = kHeader;
  if (p != KeyPurpose::kAny) h.insert(h.size() - 6, "purpose: " + std::string(KeyPurposeName(p)) + "\n");
  return h;
}

}  // namespace

namespace {
// One version line of the file: base64 material, or the wrapped form.
std::string WrappedLine(uint32_t ver, const WrappedVersion& w) {
  return "      " + std::to_string(ver) + ": {kms: \"" + w.kms + "\", wrapped: \"" + w.wrapped + "\"}\n";
}

bool PlainText(std::string_view s) {
  for (char c : s)
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
      return false;
  return !s.empty();
}

Result<std::string> NewWrappedChecked(const KeyWrapper& kms, std::string_view kek) {
  auto w = kms.NewWrapped(kek);
  if (!w.ok()) return w.error();
  if (!PlainText(*w)) return Error(ErrorCode::kKeyringInvalid, "the KMS returned a wrapped key that is not plain text");
  return w;
}
}  // namespace

Status GenerateKeyringFile(const std::string& path, const std::vector<std::string>& names, const KeyWrapper* kms,
                           std::string_view kek) {
  if (names.empty()) return Error(ErrorCode::kUsage, "name at least one key");
  if (kms && (!PlainText(kek) || KmsNameMayBeKeyMaterial(kek)))
    return Error(ErrorCode::kUsage, std::string("name the KMS key as transit:NAME; NAME") + kKeyNameRule);
  // Every name checked before the KMS is asked for anything or a file made:
  // a name given twice would write a keyring that does not load.
  std::set<std::string_view> seen;
  for (const auto& n : names) {
    if (!IsValidKeyName(n)) return Error(ErrorCode::kUsage, "key name" + ShownName(n) + kKeyNameRule);
    if (!seen.insert(n).second) return Error(ErrorCode::kUsage, "key" + ShownName(n) + " is named twice");
  }
  std::string text = kHeader;
  for (const auto& n : names) {
    if (kms) {
      auto w = NewWrappedChecked(*kms, kek);
      if (!w.ok()) return w.error();
      text += "  " + n + ":\n    active: 1\n    versions:\n" + WrappedLine(1, {std::string(kek), *w});
      continue;
    }
    auto b64 = FreshMaterial();
    if (!b64.ok()) return b64.error();
    text += "  " + n + ":\n    active: 1\n    versions:\n      1: " + *b64 + "\n";
    OPENSSL_cleanse(b64->data(), b64->size());
  }
  return WriteSecretFile(path, text);
}

namespace {
// The file a rotation of `given` replaces: a symbolic link is resolved, so
// the link stays and the file it points to is replaced in its own directory.
std::string RotationTarget(const std::string& given) {
  char* real = ::realpath(given.c_str(), nullptr);
  if (!real) return given;  // missing: loading it says so
  std::string out = real;
  std::free(real);
  return out;
}

// Holds `path`.lock locked (flock, exclusive) while it lives: rotations of
// one keyring run one after the other, each reading the file the last one
// wrote. The lock file stays (removing it would let two rotations lock
// different files); it is empty, mode 0600, with the keyring's owner and
// group when the caller may give them.
class RotationLock {
 public:
  static Result<RotationLock> Take(const std::string& path, uid_t uid, gid_t gid) {
    const std::string lock = path + ".lock";
    const int fd = ::open(lock.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      return Error(ErrorCode::kKeyringWriteFailed, "cannot open the lock file " + lock + ": " + std::strerror(errno));
    RotationLock l(fd);
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (st.st_uid != uid || st.st_gid != gid)) (void)!::fchown(fd, uid, gid);
    while (::flock(fd, LOCK_EX) != 0)
      if (errno != EINTR)
        return Error(ErrorCode::kKeyringWriteFailed, "cannot lock " + lock + ": " + std::strerror(errno));
    return l;
  }
  RotationLock(RotationLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  RotationLock& operator=(RotationLock&&) = delete;
  RotationLock(const RotationLock&) = delete;
  RotationLock& operator=(const RotationLock&) = delete;
  ~RotationLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit RotationLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// A new file beside `path` with a name no other process uses
// (PATH.tmp-rotate-<random>, O_EXCL, mode 0600, `owner`'s owner and group).
Result<std::pair<int, std::string>> CreateRotationTemp(const std::string& path, const Owner& owner) {
  for (int attempt = 0;; ++attempt) {
    uint8_t r[6];
    if (RAND_bytes(r, sizeof r) != 1) return Error(ErrorCode::kCryptoFailed, "RAND_bytes failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string tmp = path + ".tmp-rotate-";
    for (uint8_t b : r) {
      tmp.push_back(kHex[b >> 4]);
      tmp.push_back(kHex[b & 15]);
    }
    auto fd = CreateSecretFile(tmp, &owner);
    if (fd.ok()) return std::pair<int, std::string>{*fd, tmp};
    if (errno != EEXIST || attempt >= 8) return fd.error();
  }
}
}  // namespace

Result<std::vector<std::pair<std::string, uint32_t>>> RotateKeyringFile(const std::string& given,
                                                                        const std::vector<std::string>& names,
                                                                        const KeyWrapper* kms) {
  if (names.empty()) return Error(ErrorCode::kUsage, "name at least one key to rotate");
  for (const auto& n : names)
    if (!IsValidKeyName(n)) return Error(ErrorCode::kUsage, "key name" + ShownName(n) + kKeyNameRule);
  const std::string path = RotationTarget(given);
  // The new file keeps the old one's owner and group (0600: only its owner
  // reads it, e.g. the service user when root rotates).
  struct stat old_st {};
  if (::stat(path.c_str(), &old_st) != 0)
    return Error(ErrorCode::kKeyringUnreadable, "keyring file " + given + ": " + std::strerror(errno));
  const Owner owner{old_st.st_uid, old_st.st_gid, path};
  // Read, change and replace under the lock: a concurrent rotation waits.
  auto lock = RotationLock::Take(path, owner.uid, owner.gid);
  if (!lock.ok()) return lock.error();
  // Wrapped versions stay wrapped: the file is rewritten without unwrapping.
  auto ring = Keyring::LoadEntries(path);
  if (!ring.ok()) return ring.error();
  std::map<std::string, uint32_t> rotate;
  std::set<std::string> keks;  // the key-encryption keys to rotate, once each
  for (const auto& n : names) {
    const Key* k = ring->Find(n);
    if (!k) {
      std::string known;
      for (const auto& m : ring->Names())
        known += (known.empty() ? "" : ", ") + (MayBeKeyMaterial(m) ? "(not shown)" : m);
      return Error(ErrorCode::kKeyMissing, "key" + ShownName(n) + " is not in " + path + " (keys: " + known + ")");
    }
    uint32_t highest = 0;
    if (!k->versions.empty()) highest = k->versions.rbegin()->first;
    if (!k->wrapped.empty()) highest = std::max(highest, k->wrapped.rbegin()->first);
    // The file must stay loadable: a version past the largest one refused
    // here, before anything is written.
    if (highest >= kMaxVersion)
      return Error(ErrorCode::kKeyringInvalid, "key" + ShownName(n) + " is at version " + std::to_string(highest) +
                                                   ", the largest a keyring holds: make a new key name instead");
    rotate[n] = highest + 1;
    if (auto it = k->wrapped.find(k->active); it != k->wrapped.end()) {
      if (!kms)
        return Error(ErrorCode::kKeyringInvalid,
                     "key" + ShownName(n) + " is wrapped by the KMS key" + ShownName(it->second.kms) +
                         "; rotating it needs the KMS (BAO_ADDR and BAO_TOKEN, or --config)");
      keks.insert(it->second.kms);
    }
  }
  // Write beside the file, then rename over it: a crash leaves the old or the
  // new keyring, never half of one. The new file is made (with the old one's
  // owner and group) before the KMS is asked to change anything.
  auto made = CreateRotationTemp(path, owner);
  if (!made.ok()) return made.error();
  const auto fd = std::optional<int>(made->first);
  const std::string tmp = made->second;
  std::string text = HeaderWithPurpose(ring->purpose());
  auto fail = [&](const Error& e) {
    ::close(*fd);
    ::unlink(tmp.c_str());
    OPENSSL_cleanse(text.data(), text.size());
    return e;
  };
  for (const auto& kek : keks)
    if (Status s = kms->RotateKek(kek); !s.ok()) return fail(s.error());
  for (const auto& n : ring->Names()) {
    const Key& k = *ring->Find(n);
    auto it = rotate.find(n);
    const bool rotating = it != rotate.end();
    const auto active_wrapped = k.wrapped.find(k.active);
    uint32_t active = rotating ? it->second : k.active;
    text += "  " + n + ":\n    active: " + std::to_string(active) + "\n    versions:\n";
    std::map<uint32_t, std::string> lines;
    for (const auto& [ver, material] : k.versions) {
      std::string b64 = Base64Encode(material.data(), material.size());
      lines[ver] = "      " + std::to_string(ver) + ": " + b64 + "\n";
      OPENSSL_cleanse(b64.data(), b64.size());
    }
    for (const auto& [ver, w] : k.wrapped) {
      if (!keks.count(w.kms)) {
        lines[ver] = WrappedLine(ver, w);
        continue;
      }
      // Every version wrapped by a rotated KEK (of any key in the file) moves
      // to its latest version, so the KEK's old versions can be retired.
      auto re = kms->Rewrap(w);
      if (!re.ok()) return fail(re.error());
      if (!PlainText(*re))
        return fail(Error(ErrorCode::kKeyringInvalid, "the KMS returned a wrapped key that is not plain text"));
      lines[ver] = WrappedLine(ver, {w.kms, *re});
    }
    for (auto& [ver, line] : lines) {
      text += line;
      OPENSSL_cleanse(line.data(), line.size());
    }
    if (rotating && active_wrapped != k.wrapped.end()) {
      auto w = NewWrappedChecked(*kms, active_wrapped->second.kms);
      if (!w.ok()) return fail(w.error());
      text += WrappedLine(it->second, {active_wrapped->second.kms, *w});
    } else if (rotating) {
      auto b64 = FreshMaterial();
      if (!b64.ok()) return fail(b64.error());
      text += "      " + std::to_string(it->second) + ": " + *b64 + "\n";
      OPENSSL_cleanse(b64->data(), b64->size());
    }
  }
  if (Status s = WriteSecretFd(*fd, tmp, text); !s.ok()) return s.error();
  // A version's material never changes: the new file is read back and every
  // version the old one had must hold the same material (by fingerprint)
  // before it replaces the old one.
  auto written = Keyring::LoadEntries(tmp);
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return Error(ErrorCode::kKeyringWriteFailed,
                 "the rotated keyring does not load (" + written.error().message + "); nothing was replaced");
  }
  for (const auto& before : ring->Fingerprints()) {
    const Key* k = written->Find(before.name);
    const bool same =
        k && k->fingerprints.count(before.version) && k->fingerprints.at(before.version) == before.fingerprint;
    if (!same) {
      ::unlink(tmp.c_str());
      return Error(ErrorCode::kKeyringWriteFailed, "key" + ShownName(before.name) + " version " +
                                                       std::to_string(before.version) +
                                                       " would change in the rotated keyring; nothing was replaced");
    }
  }
  // Nor is anything else lost: every key, and every wrapped version under
  // its KMS key.
  for (const auto& n : ring->Names()) {
    const Key& was = *ring->Find(n);
    const Key* k = written->Find(n);
    bool kept = k != nullptr;
    for (const auto& [ver, w] : was.wrapped) kept = kept && k->wrapped.count(ver) && k->wrapped.at(ver).kms == w.kms;
    if (!kept) {
      ::unlink(tmp.c_str());
      return Error(ErrorCode::kKeyringWriteFailed,
                   "key" + ShownName(n) +
                       " or one of its versions would be missing from the rotated keyring; "
                       "nothing was replaced");
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error(ErrorCode::kKeyringWriteFailed, "cannot replace " + path + ": " + std::strerror(e));
  }
  if (int dfd = ::open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return std::vector<std::pair<std::string, uint32_t>>(rotate.begin(), rotate.end());
}

}  // namespace maskproxy::crypto
