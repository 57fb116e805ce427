#include "app/kms_setup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "common/file.h"
#include "common/log.h"

namespace maskproxy::app {
namespace {

Result<std::string> ReadToken(const std::string& path, const std::string& key) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(path.c_str(), R_OK) != 0)
    return Error(ErrorCode::kConfigInvalid, key + ": cannot read " + path);
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error(ErrorCode::kConfigInvalid, key + ": " + path + " has mode " + mode +
                                                ": group or others can access it; it holds the KMS token (chmod 600 " +
                                                path + ")");
  }
  auto text = file::ReadRegular(path, ErrorCode::kConfigInvalid);
  if (!text.ok()) return Error(ErrorCode::kConfigInvalid, key + ": cannot read " + path + ": " + text.error().message);
  std::string v = std::move(text).value();
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  if (v.empty()) return Error(ErrorCode::kConfigInvalid, key + ": " + path + " is empty");
  return v;
}

Result<std::shared_ptr<kms::TransitKeyring>> Make(kms::TransitOptions options) {
  auto client = kms::TransitClient::Create(std::move(options));
  if (!client.ok()) return client.error();
  return std::make_shared<kms::TransitKeyring>(std::shared_ptr<const kms::TransitClient>(std::move(*client)));
}

std::string Env(const char* a, const char* b) {
  if (const char* v = std::getenv(a); v && *v) return v;
  if (const char* v = std::getenv(b); v && *v) return v;
  return "";
}

}  // namespace

Result<std::shared_ptr<kms::TransitKeyring>> KmsFromConfig(const Config::Kms& kms) {
  if (kms.address.empty()) return std::shared_ptr<kms::TransitKeyring>();
  auto token = ReadToken(kms.token_file, "kms.token_file");
  if (!token.ok()) return token.error();
  return Make({.address = kms.address,
               .token = std::move(*token),
               .mount = kms.mount,
               .ca_file = kms.ca_file,
               .timeout_ms = kms.timeout_ms});
}

Result<std::shared_ptr<kms::TransitKeyring>> KmsFromEnv() {
  std::string address = Env("BAO_ADDR", "VAULT_ADDR");
  if (address.empty()) return std::shared_ptr<kms::TransitKeyring>();
  std::string token = Env("BAO_TOKEN", "VAULT_TOKEN");
  if (token.empty())
    return Error(ErrorCode::kUsage, "BAO_ADDR is set but BAO_TOKEN (or VAULT_TOKEN) is not: the KMS needs a token");
  kms::TransitOptions options;
  options.address = address;
  options.token = std::move(token);
  options.ca_file = Env("BAO_CACERT", "VAULT_CACERT");
  return Make(std::move(options));
}

Result<crypto::Keyring> LoadKeyring(const std::string& path, const kms::TransitKeyring* kms) {
  return crypto::Keyring::Load(path, kms);
}

Result<crypto::Keyring> LoadKeyringForCli(const std::string& path) {
  // The environment is consulted only for a keyring that has wrapped versions.
  auto entries = crypto::Keyring::LoadEntries(path);
  if (!entries.ok()) return entries.error();
  if (!entries->HasWrapped()) return crypto::Keyring::Load(path);
  auto kms = KmsFromEnv();
  if (!kms.ok()) return kms.error();
  return crypto::Keyring::Load(path, kms->get());
}

std::unique_ptr<KmsMonitor> KmsMonitor::Start(std::shared_ptr<const kms::TransitKeyring> kms, int interval_s) {
  std::unique_ptr<KmsMonitor> m(new KmsMonitor());
  m->kms_ = std::move(kms);
  if (interval_s > 0) m->thread_ = std::thread([p = m.get(), interval_s] { p->Loop(interval_s); });
  return m;
}

KmsMonitor::~KmsMonitor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string KmsMonitor::detail() const {
  std::lock_guard<std::mutex> lock(mu_);
  return detail_;
}

void KmsMonitor::Loop(int interval_s) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(interval_s), [this] { return stop_; })) {
    lock.unlock();
    Status s = kms_->client().Probe();
    lock.lock();
    const bool was_up = up_.load();
    up_.store(s.ok());
    detail_ = s.ok() ? "" : s.error().message;
    if (was_up && !s.ok()) {
      log::Warn("kms_unreachable", {{"kms", kms_->client().address()},
                                    {"detail", detail_},
                                    {"note", "keys already unwrapped stay in memory; a changed keyring cannot load"}});
    } else if (!was_up && s.ok()) {
      log::Info("kms_reachable", {{"kms", kms_->client().address()}});
    }
  }
}

}  // namespace maskproxy::app
