#include "app/audit_events.h"

#include <syslog.h>

#include <cstdio>

#include "common/file.h"
#include "common/log.h"
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

audit::Event KeysLoadedEvent(const std::string& file, const std::vector<crypto::KeyringFile>& files,
                             const crypto::Keyring& keys, const std::string& source) {
  audit::Event e{.type = audit::EventType::kKeysLoaded, .fields = {}};
  if (files.size() <= 1) {
    e.Add("file", file);
  } else {
    std::vector<std::string> named;
    for (const crypto::KeyringFile& f : files)
      named.push_back(std::string(crypto::KeyPurposeName(f.purpose)) + ":" + f.path);
    e.Add("files", named);
    // Which file each key came from (a re-review: the files alone did not
    // say that rrn is the tokenization file's).
    std::vector<std::string> key_files;
    for (const std::string& name : keys.Names())
      if (const crypto::Key* k = keys.Find(name)) key_files.push_back(name + ":" + k->origin);
    e.Add("key_files", key_files);
  }
  e.Add("source", source).Add("keys", KeyVersions(keys)).Add("fingerprints", KeyFingerprints(keys));
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

Status CloseTrailReportingAnchor(audit::FileTrail& trail, bool as_log) {
  const bool reported = trail.final_anchor().has_value();
  Status s = trail.Close();
  const std::optional<audit::Anchor> anchor = trail.final_anchor();
  if (reported || !anchor) return s;
  const std::string text = audit::AnchorText(*anchor);
  if (as_log)
    log::Info("audit_anchor", {{"file", trail.path()},
                               {"seq", std::to_string(anchor->seq)},
                               {"chain", anchor->chain.substr(0, audit::kAnchorHexDigits)}});
  else
    std::fprintf(stderr, "maskproxy: audit anchor: %s\n", text.c_str());
  openlog("maskproxy", LOG_PID, LOG_AUTHPRIV);
  syslog(LOG_NOTICE, "audit anchor: %s file=%s", text.c_str(), trail.path().c_str());
  closelog();
  return s;
}

ClosingTrail::~ClosingTrail() {
  if (!trail_) return;
  if (Status s = CloseTrailReportingAnchor(*trail_); !s.ok())
    std::fprintf(stderr, "maskproxy: %s\n", s.error().message.c_str());
}

}  // namespace maskproxy::app
