#include "common/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace maskproxy::audit {

Status AppendLine(const std::string& path, std::string_view line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error(ErrorCode::kAuditFailed, "cannot open audit log " + path + ": " + std::strerror(errno));
  std::string l(line);
  l.push_back('\n');
  size_t off = 0;
  while (off < l.size()) {
    ssize_t w = ::write(fd, l.data() + off, l.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      ::close(fd);
      return Error(ErrorCode::kAuditFailed, "cannot write audit log " + path);
    }
    off += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return Error(ErrorCode::kAuditFailed, "cannot sync audit log " + path);
  }
  ::close(fd);
  return Status::Ok();
}

std::string NowUtc() {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace maskproxy::audit
