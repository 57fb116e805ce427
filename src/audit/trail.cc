#include "audit/trail.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "audit/trail_keys.h"
#include "audit/verify.h"
#include "common/log.h"
#include "common/text.h"

namespace maskproxy::audit {
namespace {

std::string NowRfc3339Ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  gmtime_r(&ts.tv_sec, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ts.tv_nsec / 1000000));
  return buf;
}

void AppendValue(const Value& v, std::string* out) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    text::AppendJsonQuoted(*s, out);
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    *out += std::to_string(*i);
  } else if (const auto* b = std::get_if<bool>(&v)) {
    *out += *b ? "true" : "false";
  } else if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
    out->push_back('[');
    for (size_t k = 0; k < l->size(); ++k) {
      if (k) out->push_back(',');
      text::AppendJsonQuoted((*l)[k], out);
    }
    out->push_back(']');
  }
}

bool ValidFieldName(std::string_view name) {
  if (name.empty()) return false;
  for (char ch : name)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
  // Members the trail writes itself.
  return name != "seq" && name != "time" && name != "event" && name != "prev" && name != "kv" && name != "mac";
}

Error Failed(const std::string& path, const std::string& what, int err) {
  return Error(ErrorCode::kAuditFailed,
               "audit trail " + path + ": " + what + (err ? std::string(": ") + std::strerror(err) : ""));
}

}  // namespace

const std::vector<crypto::VersionFingerprint>& FileTrail::key_fingerprints() const {
  return keys_->fingerprints;
}

Result<std::shared_ptr<FileTrail>> FileTrail::Open(const TrailOptions& options) {
  if (options.path.empty()) return Error(ErrorCode::kAuditFailed, "audit trail: no file (audit.file)");
  if (options.checkpoint_every < 1) return Error(ErrorCode::kAuditFailed, "audit trail: checkpoint_every must be >= 1");
  auto keys = TrailKeys::Load(options.key_file);
  if (!keys.ok()) return keys.error();
  // Whether the file is created now: only a trail whose file did not exist
  // is a new trail. An existing empty file is a trail whose entries are gone
  // (truncated, or its first writer crashed before its first entry).
  constexpr int kFlags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW;
  bool created = false;
  int fd = -1;
  for (int attempt = 0; attempt < 3 && fd < 0; ++attempt) {
    fd = ::open(options.path.c_str(), kFlags | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
      created = true;
      break;
    }
    if (errno != EEXIST) break;
    fd = ::open(options.path.c_str(), kFlags);
    if (fd < 0 && errno != ENOENT) break;  // ENOENT: removed in between, try again
  }
  if (fd < 0) return Failed(options.path, "cannot open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return Failed(options.path, "cannot stat", e);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Failed(options.path, "not a regular file", 0);
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Failed(options.path, "group or others can access it (chmod 600)", 0);
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    return Failed(options.path, "another process writes it (locked)", e);
  }
  // Read the existing trail back and verify it.
  std::string text;
  text.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (off_t off = 0;;) {
    ssize_t got = ::pread(fd, buf, sizeof buf, off);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int e = errno;
      ::close(fd);
      return Failed(options.path, "cannot read", e);
    }
    if (got == 0) break;
    text.append(buf, static_cast<size_t>(got));
    off += got;
  }
  VerifyReport rep = VerifyText(text, **keys);
  if (!rep.ok || rep.partial_last_line) {
    ::close(fd);
    return Error(ErrorCode::kAuditFailed, "audit trail " + options.path +
                                              " does not verify, refusing to append to it: " + rep.first_problem +
                                              " (keep it as evidence; move it aside to start a new trail)");
  }
  auto trail = std::shared_ptr<FileTrail>(new FileTrail());
  trail->path_ = options.path;
  trail->checkpoint_every_ = options.checkpoint_every;
  trail->keys_ = *keys;
  trail->fd_ = fd;
  trail->seq_ = rep.last_seq;
  trail->prev_ = rep.last_hash;
  trail->chain_ = rep.chain;
  trail->good_size_ = rep.good_bytes;
  trail->since_checkpoint_ = rep.since_checkpoint;
  // The last writer did not close the trail (no final checkpoint): it
  // crashed, or entries after this point were cut away. Said in the trail
  // itself before anything else is appended, so that a cut followed by new
  // entries never verifies as a complete trail.
  if (rep.entries > 0 && !rep.complete) {
    Event resumed{.type = EventType::kTrailResumed, .fields = {}};
    resumed.Add("after_seq", static_cast<int64_t>(rep.last_seq))
        .Add("last_checkpoint", static_cast<int64_t>(rep.last_checkpoint_seq));
    if (Status s = trail->Append(resumed); !s.ok()) return s.error();
  }
  // An existing file without a single entry: a trail always has one once a
  // writer closed it, so its history is missing (the file was emptied, or a
  // writer crashed before its first entry). Not taken for a new trail: the
  // first entry says so, and `audit verify` reports it as an unclean end.
  if (rep.entries == 0 && !created) {
    log::Warn("audit_trail_found_empty",
              {{"file", options.path}, {"detail", "an existing trail file without entries: earlier entries missing"}});
    Event resumed{.type = EventType::kTrailResumed, .fields = {}};
    resumed.Add("after_seq", int64_t{0}).Add("last_checkpoint", int64_t{0}).Add("found_empty", true);
    if (Status s = trail->Append(resumed); !s.ok()) return s.error();
  }
  return trail;
}

FileTrail::~FileTrail() {
  if (Status s = Close(); !s.ok())
    log::Error("audit_close_failed", {{"file", path_}, {"error", std::string(ErrorCodeName(s.error().code))}});
}

std::optional<Anchor> FileTrail::final_anchor() const {
  std::lock_guard<std::mutex> lock(mu_);
  return final_anchor_;
}

uint64_t FileTrail::last_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_;
}

std::string FileTrail::ValueDigest(std::string_view value) const {
  crypto::Sha256Digest d{};
  std::string data = "value:";
  data.append(value);
  if (!keys_->digest->Compute(data, &d).ok()) return std::string(32, '?');
  return HexDigest(d).substr(0, 32);
}

Status FileTrail::Append(const Event& event) {
  if (event.type == EventType::kCheckpoint)
    return Error(ErrorCode::kAuditFailed, "audit: checkpoints are written by the trail itself");
  for (const auto& [name, value] : event.fields)
    if (!ValidFieldName(name))
      return Error(ErrorCode::kAuditFailed, "audit: field name '" + name + "' is not snake_case or is reserved");
  std::lock_guard<std::mutex> lock(mu_);
  if (checkpoint_due_)
    if (Status s = WriteCheckpointLocked(false); !s.ok()) return s;
  if (Status s = AppendLocked(event); !s.ok()) return s;
  if (++since_checkpoint_ >= static_cast<uint64_t>(checkpoint_every_)) {
    checkpoint_due_ = true;
    // The event is on disk; a checkpoint that fails now is written before
    // the next event instead.
    (void)WriteCheckpointLocked(false);
  }
  return Status::Ok();
}

Status FileTrail::Probe() {
  std::lock_guard<std::mutex> lock(mu_);
  return WriteCheckpointLocked(false);
}

Status FileTrail::CheckFileLocked() const {
  struct stat open_st {
  }, path_st{};
  if (::fstat(fd_, &open_st) != 0) return Failed(path_, "cannot stat the open file", errno);
  if (open_st.st_nlink == 0 || ::stat(path_.c_str(), &path_st) != 0 || path_st.st_dev != open_st.st_dev ||
      path_st.st_ino != open_st.st_ino)
    return Failed(path_, "the file was removed or replaced while open (restart the proxy to start a trail there)", 0);
  return Status::Ok();
}

Status FileTrail::WriteCheckpointLocked(bool final) {
  Event cp{.type = EventType::kCheckpoint, .fields = {}};
  cp.Add("entries", static_cast<int64_t>(seq_)).Add("chain", chain_).Add("final", final);
  if (Status s = AppendLocked(cp); !s.ok()) return s;
  checkpoint_due_ = false;
  since_checkpoint_ = 0;
  return Status::Ok();
}

Status FileTrail::AppendLocked(const Event& event) {
  if (closed_ || fd_ < 0) return Failed(path_, "closed", 0);
  if (Status s = CheckFileLocked(); !s.ok()) {
    failing_.store(true);
    return s;
  }
  const uint64_t seq = seq_ + 1;
  std::string line = "{\"seq\":" + std::to_string(seq) + ",\"time\":\"" + NowRfc3339Ms() + "\",\"event\":\"";
  line += EventTypeName(event.type);
  line.push_back('"');
  for (const auto& [name, value] : event.fields) {
    line += ",\"" + name + "\":";
    AppendValue(value, &line);
  }
  line += ",\"prev\":\"" + prev_ + "\",\"kv\":" + std::to_string(keys_->active);
  std::string canonical = line + "}";
  crypto::Sha256Digest mac{};
  if (Status s = keys_->mac.at(keys_->active).Compute(canonical, &mac); !s.ok()) return s;
  line += ",\"mac\":\"" + HexDigest(mac) + "\"}";
  std::string out = line + "\n";
  ssize_t w;
  do {
    w = ::write(fd_, out.data(), out.size());
  } while (w < 0 && errno == EINTR);
  int err = w < 0 ? errno : 0;
  bool good = w == static_cast<ssize_t>(out.size());
  if (good && ::fsync(fd_) != 0) {
    err = errno;
    good = false;
  }
  if (!good) {
    // Cut back whatever part of the line reached the file, so that the next
    // Append continues from the last good entry.
    if (::ftruncate(fd_, static_cast<off_t>(good_size_)) != 0)
      log::Error("audit_truncate_failed", {{"file", path_}, {"detail", std::strerror(errno)}});
    (void)::fsync(fd_);
    failing_.store(true);
    return Failed(path_, w >= 0 && err == 0 ? "short write" : "cannot write", err);
  }
  failing_.store(false);
  good_size_ += out.size();
  seq_ = seq;
  prev_ = HexDigest(crypto::Sha256(line));
  chain_ = HexDigest(crypto::Sha256(chain_ + line));
  return Status::Ok();
}

Status FileTrail::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || fd_ < 0) return Status::Ok();
  const std::string chain = chain_;  // what the final checkpoint records
  Status s = WriteCheckpointLocked(true);
  if (s.ok()) final_anchor_ = Anchor{.seq = seq_, .chain = chain};
  closed_ = true;
  ::close(fd_);
  fd_ = -1;
  return s;
}

}  // namespace maskproxy::audit
