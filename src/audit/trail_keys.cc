#include "audit/trail_keys.h"

namespace maskproxy::audit {
namespace {
constexpr std::string_view kSalt = "maskproxy-audit";
}  // namespace

std::string HexDigest(const crypto::Sha256Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(d.size() * 2);
  for (uint8_t b : d) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

Result<std::shared_ptr<const TrailKeys>> TrailKeys::Load(const std::string& key_file) {
  if (key_file.empty()) return Error(ErrorCode::kAuditFailed, "audit: no key file (audit.key_file)");
  auto ring = crypto::Keyring::Load(key_file);
  if (!ring.ok()) return Error(ring.error().code, "audit key file (audit.key_file): " + ring.error().message);
  return FromKeyring(*ring, key_file);
}

Result<std::shared_ptr<const TrailKeys>> TrailKeys::FromKeyring(const crypto::Keyring& ring,
                                                                const std::string& origin) {
  const crypto::Key* key = ring.Find("audit");
  if (key == nullptr)
    return Error(ErrorCode::kKeyMissing,
                 origin + ": no key 'audit'" +
                     (ring.Names().empty()
                          ? std::string(" (make one: maskproxy keys generate --out ") + origin + " audit)"
                          : std::string(" (this holds other keys: the audit key lives in a file of its own, made "
                                        "with maskproxy keys generate --out AUDIT_KEY_FILE audit)")));
  for (const std::string& name : ring.Names())
    if (name != "audit")
      return Error(ErrorCode::kAuditFailed,
                   origin + ": holds key" + crypto::ShownName(name) +
                       " besides 'audit': the audit key file must hold the audit key only (kept apart from the "
                       "data keys)");
  auto keys = std::make_shared<TrailKeys>();
  keys->active = key->active;
  keys->fingerprints = ring.Fingerprints();
  for (const auto& [version, material] : key->versions) {
    auto mk = crypto::HkdfSha256(material, kSalt, "trail-mac", 32);
    if (!mk.ok()) return mk.error();
    auto mac = crypto::HmacSha256::Create(*mk);
    if (!mac.ok()) return mac.error();
    keys->mac.emplace(version, std::move(*mac));
    if (version == key->active) {
      auto dk = crypto::HkdfSha256(material, kSalt, "value-digest", 32);
      if (!dk.ok()) return dk.error();
      auto digest = crypto::HmacSha256::Create(*dk);
      if (!digest.ok()) return digest.error();
      keys->digest = std::make_unique<crypto::HmacSha256>(std::move(*digest));
    }
  }
  if (!keys->digest) return Error(ErrorCode::kKeyMissing, origin + ": key 'audit' has no active version");
  return std::shared_ptr<const TrailKeys>(std::move(keys));
}

}  // namespace maskproxy::audit
