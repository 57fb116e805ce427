#include "detect/mrz.h"

#include <cstring>

namespace maskproxy::detect::internal {
namespace {

constexpr size_t kMinLine = 28;
constexpr size_t kMaxLine = 100;  // two lines of 44 (three of 30) OCR wrote as one, with spaces

// The MRZ alphabet, and the small letters OCR may read its capitals as.
bool MrzChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '<';
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
    if (e - b > kMaxLine) {
      from = p = e;
      continue;
    }
    // Across single spaces OCR put inside a line ("M123456788KOR 9001011M…"):
    // a run of the alphabet holding a digit or '<' on either side belongs to
    // it (a word of prose holds neither), as long as the line stays a line.
    const auto piece = [&](size_t pb, size_t pe) {
      const std::string_view r = text.substr(pb, pe - pb);
      return r.find_first_of("0123456789<") != std::string_view::npos;
    };
    while (b >= from + 2 && text[b - 1] == ' ' && MrzChar(text[b - 2])) {
      size_t nb = b - 1;
      while (nb > from && MrzChar(text[nb - 1])) --nb;
      if (e - nb > kMaxLine || !piece(nb, b - 1)) break;
      b = nb;
    }
    while (e + 1 < n && text[e] == ' ' && MrzChar(text[e + 1])) {
      size_t ne = e + 1;
      while (ne < n && MrzChar(text[ne])) ++ne;
      if (ne - b > kMaxLine || !piece(e + 1, ne)) break;
      e = ne;
    }
    from = e;
    p = e;
    const size_t len = e - b;
    if (len < kMinLine || len > kMaxLine) continue;
    const std::string_view run = text.substr(b, len);
    if (run.find_first_of("0123456789") == std::string_view::npos && run.find("<<<") == std::string_view::npos)
      continue;
    out->emplace_back(b, e);
  }
}

}  // namespace maskproxy::detect::internal
