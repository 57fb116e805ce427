// The KMS of the keyring (envelope encryption, kms/transit.h) as the app
// sets it up: from the config's kms: section (`run`, `mask`, `reveal`,
// `policy`) or, for the CLI without a config, from the environment
// (BAO_ADDR / VAULT_ADDR, BAO_TOKEN / VAULT_TOKEN, BAO_CACERT / VAULT_CACERT);
// and the running proxy's probe of it (KmsMonitor).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/config.h"
#include "common/result.h"
#include "kms/transit.h"

namespace maskproxy::app {

// Null (no error) when the config has no kms: section. The token file must
// be a regular file that group and others cannot access. Errors name the
// config key and the file, never the token.
[[nodiscard]] Result<std::shared_ptr<kms::TransitKeyring>> KmsFromConfig(const Config::Kms& kms);

// Null when neither BAO_ADDR nor VAULT_ADDR is set.
[[nodiscard]] Result<std::shared_ptr<kms::TransitKeyring>> KmsFromEnv();

// The keyring file with its wrapped versions unwrapped through `kms` (may be
// null: then a wrapped version is refused). A KMS that cannot be reached is
// kKmsUnreachable, its message naming the KMS address and the cause.
[[nodiscard]] Result<crypto::Keyring> LoadKeyring(const std::string& path, const kms::TransitKeyring* kms);

// The CLI's keyring (mask, reveal, policy check/test): a wrapped version is
// unwrapped through the KMS of the environment (KmsFromEnv), refused without.
[[nodiscard]] Result<crypto::Keyring> LoadKeyringForCli(const std::string& path);

// Probes the KMS every `interval_s` seconds on a thread of its own; up()
// is the last answer (true before the first). Logs kms_unreachable and
// kms_reachable on each change. The keys already unwrapped stay in memory
// whatever the probe says.
class KmsMonitor {
 public:
  [[nodiscard]] static std::unique_ptr<KmsMonitor> Start(std::shared_ptr<const kms::TransitKeyring> kms,
                                                         int interval_s);
  ~KmsMonitor();
  KmsMonitor(const KmsMonitor&) = delete;
  KmsMonitor& operator=(const KmsMonitor&) = delete;

  [[nodiscard]] bool up() const { return up_.load(); }
  [[nodiscard]] std::string detail() const;  // the last error (no token), "" when up

 private:
  KmsMonitor() = default;
  void Loop(int interval_s);

  std::shared_ptr<const kms::TransitKeyring> kms_;
  std::atomic<bool> up_{true};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::string detail_;
  std::thread thread_;
};

}  // namespace maskproxy::app
