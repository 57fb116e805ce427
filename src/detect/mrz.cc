#include "detect/mrz.h"

#include <cstring>

namespace maskproxy::detect::internal {
namespace {

constexpr size_t kMinLine = 28;
constexpr size_t kMaxLine = 48;

bool MrzChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '<';
}

bool AsciiAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

void FindMrzLines(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) {
  const size_t n = text.size();
  // Every MRZ line holds "<<": look only around those.
  size_t from = 0;  // runs before this were read already
  for (size_t p = 0; p + 1 < n;) {
    const void* hit = std::memchr(text.data() + p, '<', n - p);
    if (hit == nullptr) break;
    p = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    if (p + 1 >= n || text[p + 1] != '<' || p < from) {
      ++p;
      continue;
    }
    size_t b = p;
    while (b > from && MrzChar(text[b - 1])) --b;
    size_t e = p;
    while (e < n && MrzChar(text[e])) ++e;
    from = e;
    p = e;
    const size_t len = e - b;
    if (len < kMinLine || len > kMaxLine) continue;
    if ((b > 0 && AsciiAlnum(text[b - 1])) || (e < n && AsciiAlnum(text[e]))) continue;
    const std::string_view run = text.substr(b, len);
    if (run.find_first_of("0123456789") == std::string_view::npos && run.find("<<<") == std::string_view::npos)
      continue;
    out->emplace_back(b, e);
  }
}

}  // namespace maskproxy::detect::internal
