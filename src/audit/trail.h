// The audit trail file: one JSON object per line, each entry chained to the
// one before it and authenticated under the audit key.
//
// Entry (one line, members in exactly this order, no spaces, then '\n'):
//
//   {"seq":17,"time":"2026-12-04T03:59:55.123Z","event":"reveal",<fields>,
//    "prev":"<64 hex>","kv":1,"mac":"<64 hex>"}
//
//   seq    1-based, consecutive over the whole file (also across restarts)
//   time   UTC, RFC 3339 with milliseconds
//   event  audit::EventTypeName
//   fields the event's members in the order the event lists them: strings
//          through text::JsonQuoted, integers, true/false, arrays of strings
//   prev   hex SHA-256 of the previous entry's line bytes (without its '\n');
//          64 zeros for the first entry of the file
//   kv     the version of key "audit" the mac was made with
//   mac    hex HMAC-SHA-256 under the MAC key (below) over the canonical
//          bytes: the line without its '\n' and without the member
//          `,"mac":"<64 hex>"`, i.e. the line's bytes up to the comma before
//          "mac" followed by a single '}'. Example: the line
//          {"seq":1,...,"kv":1,"mac":"ab..."} is MACed as {"seq":1,...,"kv":1}
//
// Keys: the file `key_file` is a keyring file (crypto/keyring.h) holding the
// key "audit" and nothing else (a file with any other key is refused: the
// audit key is kept apart from the data keys, so whoever holds it can verify
// the trail but reverse and tokenize nothing). From each version K of it:
//   MAC key    = HKDF-SHA-256(K, salt "maskproxy-audit", info "trail-mac", 32)
//   digest key = HKDF-SHA-256(K, salt "maskproxy-audit", info "value-digest", 32)
// ValueDigest(v) = the first 32 hex of HMAC-SHA-256(digest key, "value:" + v).
// New entries use the active version; the verifier accepts every version in
// the file, so rotating the audit key keeps old entries verifiable.
//
// Checkpoints: every `checkpoint_every` entries, and at Close() (final), the
// trail itself writes
//   {"seq":N,...,"event":"checkpoint","entries":N-1,"chain":"<64 hex>",
//    "final":true|false,"prev":...,"kv":...,"mac":...}
// `chain` is the running hash of every line before it: c0 = 64 zeros,
// c(i) = hex SHA-256(c(i-1) || line i bytes); an auditor who copies a
// checkpoint's chain elsewhere (a ticket, a notary) can later prove that the
// trail up to it is the one they saw. A trail that ends with a final
// checkpoint is complete; one that ends otherwise was cut short (or its proxy
// is still running, or crashed): see verify.h.
//
// Writes: each entry is one write(2) of the whole line, then fsync(2). On
// any failure (ENOSPC, EFBIG, EIO, a short write, fsync) Append returns
// kAuditFailed, cuts the file back to the end of the last good entry
// (ftruncate) and keeps its state, so the next Append tries the same seq
// again: the trail recovers when the disk has room again, without a gap or a
// partial line.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "audit/audit.h"
#include "audit/verify.h"
#include "common/result.h"
#include "crypto/keyring.h"

namespace maskproxy::audit {

struct TrailOptions {
  std::string path;             // the trail file (created 0600; an existing one must not be group/world accessible)
  std::string key_file;         // keyring-format file holding only key "audit" (0600)
  int checkpoint_every = 1000;  // entries between checkpoints (>= 1)
};

struct TrailKeys;  // the derived MAC and digest keys, per version (trail.cc)

class FileTrail : public Sink {
 public:
  // Opens (or creates) the trail. An existing file is read back and verified
  // first (verify.h); a trail that does not verify is refused, the error
  // naming the first bad entry; the new entries continue its seq and chain.
  // The file is locked (flock): a second writer is refused. Only a file that
  // does not exist starts a new trail: an existing one that did not end with
  // a final checkpoint, or is empty (its entries gone), gets a trail_resumed
  // entry first (verify.h), and an empty one the warning
  // audit_trail_found_empty in the log.
  [[nodiscard]] static Result<std::shared_ptr<FileTrail>> Open(const TrailOptions& options);

  ~FileTrail() override;  // Close(), errors logged
  FileTrail(const FileTrail&) = delete;
  FileTrail& operator=(const FileTrail&) = delete;

  // Thread-safe. Ok only when the entry is written and fsynced.
  [[nodiscard]] Status Append(const Event& event) override;
  [[nodiscard]] std::string ValueDigest(std::string_view value) const override;
  // Every append first checks that the path still names the open file: a
  // trail removed or replaced under a running writer fails every append
  // (entries written to a file no one can read would be a trail in name
  // only; found by review: reveals went on after `rm audit.jsonl`).
  [[nodiscard]] bool Failing() const override { return failing_.load(); }
  // A checkpoint (not final), written as any entry is.
  [[nodiscard]] Status Probe() override;

  // Writes the final checkpoint and closes the file; later Appends fail.
  // Idempotent.
  [[nodiscard]] Status Close();
  // The final checkpoint's anchor (verify.h) once Close wrote it; the caller
  // reports it outside the file, where a cut of the trail cannot reach it.
  [[nodiscard]] std::optional<Anchor> final_anchor() const;

  [[nodiscard]] uint64_t last_seq() const;
  [[nodiscard]] const std::string& path() const { return path_; }
  // The audit key's versions by fingerprint (never material): the app
  // refuses data keys that share material with it (crypto::RefuseSharedMaterial).
  [[nodiscard]] const std::vector<crypto::VersionFingerprint>& key_fingerprints() const;

 private:
  FileTrail() = default;
  Status AppendLocked(const Event& event);  // mu_ held
  Status WriteCheckpointLocked(bool final);
  Status CheckFileLocked() const;  // the path still names fd_'s file

  std::string path_;
  int checkpoint_every_ = 1000;
  std::shared_ptr<const TrailKeys> keys_;
  mutable std::mutex mu_;
  int fd_ = -1;             // guarded by mu_
  uint64_t seq_ = 0;        // last written seq
  std::string prev_;        // hex SHA-256 of the last line
  std::string chain_;       // running chain hash through the last line
  uint64_t good_size_ = 0;  // file size after the last good entry
  uint64_t since_checkpoint_ = 0;
  bool checkpoint_due_ = false;
  bool closed_ = false;
  std::atomic<bool> failing_{false};    // the last append failed
  std::optional<Anchor> final_anchor_;  // set by Close
};

}  // namespace maskproxy::audit
