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
#include "audit/trail.h"
#include "common/result.h"
#include "crypto/keyring.h"

namespace maskproxy::app {

// Hex SHA-256 of a file's bytes ("" if it cannot be read).
[[nodiscard]] std::string FileSha256(const std::string& path);

// Each key as "name@active/v1,v2,..." (e.g. "rrn@2/1,2"), in name order.
[[nodiscard]] std::vector<std::string> KeyVersions(const crypto::Keyring& keys);

// Each key version's fingerprint as "name@version:fingerprint" (e.g.
// "rrn@1:3f9a…", crypto::KeyFingerprint: tells material apart, shows none).
[[nodiscard]] std::vector<std::string> KeyFingerprints(const crypto::Keyring& keys);

// keys_loaded: file (one keyring file) or files (split keyrings, each
// "purpose:path", and key_files, each key's "name:path": found by review,
// the first file was named for every key), source ("start", "reload"),
// keys (KeyVersions), fingerprints (KeyFingerprints).
[[nodiscard]] audit::Event KeysLoadedEvent(const std::string& file, const std::vector<crypto::KeyringFile>& files,
                                           const crypto::Keyring& keys, const std::string& source);

// policy_loaded: files, policies (labels name@version#hash), routes.
[[nodiscard]] audit::Event PolicyLoadedEvent(const PolicySet& set);

// Closes `trail` (its final checkpoint) and reports that checkpoint's
// anchor (audit::Anchor) outside the file, where cutting the trail cannot
// reach it: to syslog ("audit anchor: seq=N chain=HEX file=PATH", facility
// LOG_AUTHPRIV, ident maskproxy; a syslog that is not there fails nothing)
// and, from a command, on stderr ("maskproxy: audit anchor: seq=N
// chain=HEX"), from the proxy (`as_log`) as the log event audit_anchor. A
// trail already closed reports nothing again. The error is Close's.
[[nodiscard]] Status CloseTrailReportingAnchor(audit::FileTrail& trail, bool as_log = false);

// Closes the trail it holds, reporting the anchor, when it goes: every
// return of a command that opened one. A failure to close is printed.
class ClosingTrail {
 public:
  explicit ClosingTrail(std::shared_ptr<audit::FileTrail> trail) : trail_(std::move(trail)) {}
  ~ClosingTrail();
  ClosingTrail(const ClosingTrail&) = delete;
  ClosingTrail& operator=(const ClosingTrail&) = delete;

 private:
  std::shared_ptr<audit::FileTrail> trail_;
};

}  // namespace maskproxy::app
