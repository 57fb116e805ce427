// UsageLedger: counts encryptions per key version so that no AES-GCM key
// (random 96-bit IVs) is used for 2^32 encryptions or more (NIST SP 800-38D
// section 8.3).
//
// Reserve() is the record-path call: one atomic decrement of a leased block
// of counts. When the block is used up, the next block (kBlock counts) is
// leased by writing the new high-water mark of that key version to the state
// file (write a temporary file, fsync, rename, fsync the directory; mode
// 0600) BEFORE any count of it is handed out. After a crash the process
// reopens the file and starts at the high-water marks: counts leased but not
// used are skipped, never reused. Counts are never handed out past the limit:
// once the count would reach `limit` (default 2^32), Reserve() refuses with
// "key_exhausted" until the key is rotated.
//
// State file format (text, one line per key version after a header line):
//   maskproxy-usage v1
//   <key name> <version> <high-water mark>
//
// An in-memory ledger (InMemory()) counts the same way without a file; the
// process-wide one (ProcessDefault()) is used when no ledger is configured.
// All methods are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace maskproxy::crypto {

class UsageLedger {
 public:
  static constexpr uint64_t kDefaultLimit = uint64_t{1} << 32;
  static constexpr uint64_t kDefaultBlock = uint64_t{1} << 16;

  // Opens (or creates) the state file at `path`. Errors: "usage_ledger_io"
  // (cannot read or write it), "usage_ledger_corrupt" (unparseable content).
  // `limit` and `block` must be >= 2 and >= 1 ("invalid_argument").
  [[nodiscard]] static Result<std::unique_ptr<UsageLedger>> Open(const std::string& path,
                                                                 uint64_t limit = kDefaultLimit,
                                                                 uint64_t block = kDefaultBlock);
  // A ledger that is not persisted (tests, or no state file configured).
  [[nodiscard]] static std::unique_ptr<UsageLedger> InMemory(uint64_t limit = kDefaultLimit,
                                                             uint64_t block = kDefaultBlock);
  // The process-wide in-memory ledger (default limit).
  [[nodiscard]] static UsageLedger& ProcessDefault();

  ~UsageLedger();
  UsageLedger(const UsageLedger&) = delete;
  UsageLedger& operator=(const UsageLedger&) = delete;

  // Reserves one encryption under (key_name, version). Errors:
  // "key_exhausted" (the count would reach the limit; rotate the key),
  // "usage_ledger_io" (a new lease could not be persisted).
  [[nodiscard]] Status Reserve(std::string_view key_name, uint32_t version);

  // The same without the name lookup: a handle resolved once (e.g. when an
  // action is created), valid as long as the ledger.
  struct Slot;
  [[nodiscard]] Slot* Handle(std::string_view key_name, uint32_t version);
  [[nodiscard]] Status Reserve(Slot* slot);

  // Encryptions counted for the key version: the high-water mark found in the
  // state file at Open() plus the reservations made since. For metrics.
  [[nodiscard]] uint64_t Count(std::string_view key_name, uint32_t version) const;
  // The persisted high-water mark (counts leased so far).
  [[nodiscard]] uint64_t Leased(std::string_view key_name, uint32_t version) const;
  [[nodiscard]] uint64_t limit() const { return limit_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  struct SlotKey {
    std::string name;
    uint32_t version;
  };
  struct SlotKeyView {
    std::string_view name;
    uint32_t version;
  };
  struct SlotLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      std::string_view an(a.name), bn(b.name);
      return an < bn || (an == bn && a.version < b.version);
    }
  };
  UsageLedger(std::string path, uint64_t limit, uint64_t block);
  [[nodiscard]] Slot* Find(std::string_view key_name, uint32_t version) const;
  [[nodiscard]] Slot* FindOrAdd(std::string_view key_name, uint32_t version);
  [[nodiscard]] Status Lease(Slot* slot);
  [[nodiscard]] Status PersistLocked(const Slot* changed, uint64_t new_high_water) const;
  void Warn(Slot& slot, uint64_t count);

  const std::string path_;  // empty: in memory
  const uint64_t limit_;
  const uint64_t block_;
  const uint64_t warn50_;  // counts at which to warn (50% and 90% of limit_)
  const uint64_t warn90_;
  mutable std::shared_mutex map_mu_;  // guards slots_ (the map, not the slots)
  std::map<SlotKey, std::unique_ptr<Slot>, SlotLess> slots_;
  int lock_fd_ = -1;     // flock held while open (persisted ledgers)
  std::mutex lease_mu_;  // serializes leases and state file writes
};

}  // namespace maskproxy::crypto
