// Reading the files a loader reads whole (policies, config, keyrings, secret
// files, the audit trail): only a regular file, opened without blocking, so
// that a FIFO or a device put where a policy was (by mistake or to stall a
// reload) is an error instead of a thread blocked forever.
#pragma once

#include <cstddef>
#include <string>

#include "common/result.h"

namespace maskproxy::file {

// Files the proxy loads are small; an audit trail may be large.
inline constexpr size_t kMaxLoadedBytes = size_t{256} << 20;
// A policy, keyring or config file: parsing takes about 90 times its size
// in memory (an 8.7 MB policy of 200,000 rules peaked at 797 MB), and a
// reload holds two sets at once.
inline constexpr size_t kMaxDocumentBytes = size_t{4} << 20;

// The whole content of the regular file at `path` (symbolic links followed).
// Errors, with `code`, whose message is the reason alone, for the caller to
// say which file: the system's ("No such file or directory", ...), "not a
// regular file (a directory, FIFO, socket or device)", "larger than N bytes".
[[nodiscard]] Result<std::string> ReadRegular(const std::string& path, ErrorCode code,
                                              size_t max_bytes = kMaxLoadedBytes);

}  // namespace maskproxy::file
