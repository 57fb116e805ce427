// Self-describing outputs "<fmt>.<key>.<version>.<payload>" and the LP()
// encoding their AADs are built from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace maskproxy::transform {

// LP(x) = 4-byte big-endian length || x: an unambiguous concatenation.
void AppendLp(std::string_view s, std::string* out);

// "<fmt>.<key>.<version>.<payload>" as a JSON string.
struct SelfDescribing {
  std::string_view key_name;
  uint32_t version = 0;
  std::string_view payload;
};

[[nodiscard]] Result<SelfDescribing> ParseSelfDescribing(std::string_view json, std::string_view fmt,
                                                         std::string* storage);

}  // namespace maskproxy::transform
