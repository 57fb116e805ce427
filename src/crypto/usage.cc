#include "crypto/usage.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/log.h"

namespace maskproxy::crypto {
namespace {

constexpr std::string_view kHeader = "maskproxy-usage v1";

Error IoError(const std::string& what, const std::string& path, int err) {
  return Error(ErrorCode::kUsageLedgerIo, what + " " + path + ": " + std::strerror(err));
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

template <typename T>
bool ParseUint(std::string_view s, T* out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Writes `text` to `path` atomically and durably: temp file, fsync, rename,
// fsync of the directory.
Status WriteFileDurably(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create", tmp, errno);
  Status s = Status::Ok();
  if (::fchmod(fd, 0600) != 0) s = IoError("cannot chmod", tmp, errno);
  if (s.ok()) s = WriteAll(fd, text, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = IoError("cannot fsync", tmp, errno);
  if (::close(fd) != 0 && s.ok()) s = IoError("cannot close", tmp, errno);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = IoError("cannot rename to", path, errno);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  std::string dir = ".";
  if (auto slash = path.rfind('/'); slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return IoError("cannot open directory", dir, errno);
  int rc = ::fsync(dfd);
  int err = errno;
  ::close(dfd);
  if (rc != 0) return IoError("cannot fsync directory", dir, err);
  return Status::Ok();
}

}  // namespace

struct UsageLedger::Slot {
  std::string name;
  uint32_t version = 0;
  uint64_t base = 0;                   // high-water mark at Open()
  uint64_t high_water = 0;             // guarded by lease_mu_
  std::atomic<uint64_t> leased{0};     // high_water, readable without the lock
  std::atomic<uint64_t> remaining{0};  // counts left in the current lease
  std::atomic<uint64_t> used{0};       // reservations since Open()
  std::atomic<bool> warned50{false};
  std::atomic<bool> warned90{false};
};

UsageLedger::UsageLedger(std::string path, uint64_t limit, uint64_t block)
    : path_(std::move(path)),
      limit_(limit),
      block_(block),
      warn50_(limit / 2),
      warn90_(static_cast<uint64_t>(static_cast<unsigned __int128>(limit) * 9 / 10)) {}

UsageLedger::~UsageLedger() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::unique_ptr<UsageLedger> UsageLedger::InMemory(uint64_t limit, uint64_t block) {
  if (limit < 2) limit = 2;
  if (block < 1) block = 1;
  return std::unique_ptr<UsageLedger>(new UsageLedger("", limit, block));
}

UsageLedger& UsageLedger::ProcessDefault() {
  static UsageLedger* ledger = InMemory().release();
  return *ledger;
}

Result<std::unique_ptr<UsageLedger>> UsageLedger::Open(const std::string& path, uint64_t limit, uint64_t block) {
  if (path.empty()) return Error(ErrorCode::kInvalidArgument, "usage ledger path is empty");
  if (limit < 2 || block < 1)
    return Error(ErrorCode::kInvalidArgument, "usage ledger limit must be >= 2 and block >= 1");
  std::unique_ptr<UsageLedger> ledger(new UsageLedger(path, limit, block));

  // One process per state file: two writers would overwrite each other's leases.
  const std::string lock_path = path + ".lock";
  ledger->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (ledger->lock_fd_ < 0) return IoError("cannot open", lock_path, errno);
  if (::flock(ledger->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return Error(ErrorCode::kUsageLedgerLocked, "usage ledger " + path + " is in use by another process");
    return IoError("cannot lock", lock_path, errno);
  }

  std::ifstream in(path);
  if (in) {
    std::string line;
    size_t lineno = 0;
    auto corrupt = [&](const std::string& why) {
      return Error(ErrorCode::kUsageLedgerCorrupt, path + ":" + std::to_string(lineno) + ": " + why);
    };
    while (std::getline(in, line)) {
      ++lineno;
      if (lineno == 1) {
        if (line != kHeader) return corrupt("expected header '" + std::string(kHeader) + "'");
        continue;
      }
      if (line.empty()) continue;
      std::istringstream fields(line);
      std::string name, version_text, hw_text, extra;
      fields >> name >> version_text >> hw_text;
      if (!fields || (fields >> extra)) return corrupt("expected '<key name> <version> <count>'");
      uint32_t version = 0;
      uint64_t hw = 0;
      if (!ValidName(name) || !ParseUint(version_text, &version) || !ParseUint(hw_text, &hw))
        return corrupt("expected '<key name> <version> <count>'");
      if (ledger->Find(name, version) != nullptr) return corrupt("duplicate entry");
      Slot* s = ledger->FindOrAdd(name, version);
      s->base = s->high_water = hw;
      s->leased.store(hw);
    }
    if (in.bad()) return IoError("cannot read", path, errno);
    if (lineno == 0) return corrupt("empty file");
  } else if (errno != ENOENT) {
    return IoError("cannot open", path, errno);
  }
  // Rewrite the state now: a ledger that cannot be persisted fails at start,
  // not on the record path.
  {
    std::lock_guard<std::mutex> lk(ledger->lease_mu_);
    if (Status s = ledger->PersistLocked(nullptr, 0); !s.ok()) return s.error();
  }
  return ledger;
}

UsageLedger::Slot* UsageLedger::Find(std::string_view key_name, uint32_t version) const {
  std::shared_lock<std::shared_mutex> lk(map_mu_);
  auto it = slots_.find(SlotKeyView{key_name, version});
  return it == slots_.end() ? nullptr : it->second.get();
}

UsageLedger::Slot* UsageLedger::FindOrAdd(std::string_view key_name, uint32_t version) {
  std::unique_lock<std::shared_mutex> lk(map_mu_);
  auto it = slots_.find(SlotKeyView{key_name, version});
  if (it != slots_.end()) return it->second.get();
  auto slot = std::make_unique<Slot>();
  slot->name = std::string(key_name);
  slot->version = version;
  Slot* raw = slot.get();
  slots_.emplace(SlotKey{std::string(key_name), version}, std::move(slot));
  return raw;
}

UsageLedger::Slot* UsageLedger::Handle(std::string_view key_name, uint32_t version) {
  Slot* s = Find(key_name, version);
  return s ? s : FindOrAdd(key_name, version);
}

Status UsageLedger::Reserve(std::string_view key_name, uint32_t version) {
  return Reserve(Handle(key_name, version));
}

Status UsageLedger::Reserve(Slot* s) {
  for (;;) {
    uint64_t r = s->remaining.load(std::memory_order_acquire);
    while (r > 0) {
      if (s->remaining.compare_exchange_weak(r, r - 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        uint64_t count = s->base + s->used.fetch_add(1, std::memory_order_relaxed) + 1;
        Warn(*s, count);
        return Status::Ok();
      }
    }
    if (Status st = Lease(s); !st.ok()) return st;
  }
}

Status UsageLedger::Lease(Slot* s) {
  std::lock_guard<std::mutex> lk(lease_mu_);
  if (s->remaining.load(std::memory_order_acquire) > 0) return Status::Ok();  // leased by another thread
  // Counts 1 .. limit-1 may be used: the encryption that would make the count
  // reach the limit is refused.
  const uint64_t cap = limit_ - 1;
  if (s->high_water >= cap)
    return Error(ErrorCode::kKeyExhausted, "key '" + s->name + "' version " + std::to_string(s->version) +
                                               " has reached its encryption limit (" + std::to_string(limit_) +
                                               " for AES-GCM with random IVs); run `maskproxy keys rotate " + s->name +
                                               "`");
  const uint64_t next = cap - s->high_water > block_ ? s->high_water + block_ : cap;
  if (!path_.empty()) {
    if (Status st = PersistLocked(s, next); !st.ok()) return st;
  }
  const uint64_t granted = next - s->high_water;
  s->high_water = next;
  s->leased.store(next, std::memory_order_relaxed);
  s->remaining.store(granted, std::memory_order_release);
  return Status::Ok();
}

Status UsageLedger::PersistLocked(const Slot* changed, uint64_t new_high_water) const {
  std::string text(kHeader);
  text.push_back('\n');
  {
    std::shared_lock<std::shared_mutex> lk(map_mu_);
    for (const auto& [key, slot] : slots_) {
      uint64_t hw = slot.get() == changed ? new_high_water : slot->high_water;
      text += slot->name + " " + std::to_string(slot->version) + " " + std::to_string(hw) + "\n";
    }
  }
  return WriteFileDurably(path_, text);
}

void UsageLedger::Warn(Slot& s, uint64_t count) {
  auto warn = [&](std::atomic<bool>& flag, const char* pct) {
    if (flag.load(std::memory_order_relaxed) || flag.exchange(true)) return;
    log::Warn("key_usage_high", {{"key", s.name},
                                 {"version", std::to_string(s.version)},
                                 {"percent", pct},
                                 {"count", std::to_string(count)},
                                 {"limit", std::to_string(limit_)},
                                 {"action", "run: maskproxy keys rotate " + s.name}});
  };
  if (count >= warn50_) warn(s.warned50, "50");
  if (count >= warn90_) warn(s.warned90, "90");
}

uint64_t UsageLedger::Count(std::string_view key_name, uint32_t version) const {
  const Slot* s = Find(key_name, version);
  return s ? s->base + s->used.load(std::memory_order_relaxed) : 0;
}

uint64_t UsageLedger::Leased(std::string_view key_name, uint32_t version) const {
  const Slot* s = Find(key_name, version);
  return s ? s->leased.load(std::memory_order_relaxed) : 0;
}

}  // namespace maskproxy::crypto
