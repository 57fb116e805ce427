#include "common/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace maskproxy::file {

Result<std::string> ReadRegular(const std::string& path, ErrorCode code, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return Error(code, std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error(code, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Error(code, "not a regular file (a directory, FIFO, socket or device)");
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return Error(code, "larger than " + std::to_string(max_bytes) + " bytes");
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (true) {
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return Error(code, std::strerror(errno));
    }
    out.append(buf, static_cast<size_t>(got));
    if (out.size() > max_bytes) return Error(code, "larger than " + std::to_string(max_bytes) + " bytes");
  }
  return out;
}

}  // namespace maskproxy::file
