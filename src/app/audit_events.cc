#include "app/audit_events.h"

#include "common/file.h"
#include "crypto/mac.h"
#include "policy/policy.h"

namespace maskproxy::app {

std::string FileSha256(const std::string& path) {
  auto text = file::ReadRegular(path, ErrorCode::kIoError);
  if (!text.ok()) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : crypto::Sha256(*text)) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::vector<std::string> KeyVersions(const crypto::Keyring& keys) {
  std::vector<std::string> out;
  for (const std::string& name : keys.Names()) {
    const crypto::Key* k = keys.Find(name);
    if (k == nullptr) continue;
    std::string s = name + "@" + std::to_string(k->active) + "/";
    bool first = true;
    for (const auto& [version, material] : k->versions) {
      s += (first ? "" : ",") + std::to_string(version);
      first = false;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> KeyFingerprints(const crypto::Keyring& keys) {
  std::vector<std::string> out;
  for (const auto& v : keys.Fingerprints())
    out.push_back(v.name + "@" + std::to_string(v.version) + ":" + v.fingerprint);
  return out;
}

audit::Event KeysLoadedEvent(const std::string& file, const crypto::Keyring& keys, const std::string& source) {
  audit::Event e{.type = audit::EventType::kKeysLoaded, .fields = {}};
  e.Add("file", file).Add("source", source).Add("keys", KeyVersions(keys)).Add("fingerprints", KeyFingerprints(keys));
  return e;
}

audit::Event PolicyLoadedEvent(const PolicySet& set) {
  std::vector<std::string> files, labels;
  int64_t routes = 0;
  for (const auto& p : set.policies) {
    files.push_back(p->origin());
    labels.push_back(p->Label());
    routes += static_cast<int64_t>(p->routes().size());
  }
  audit::Event e{.type = audit::EventType::kPolicyLoaded, .fields = {}};
  e.Add("files", files).Add("policies", labels).Add("routes", routes);
  return e;
}

}  // namespace maskproxy::app
