#include "detect/intl_email.h"

#include <cstring>

namespace maskproxy::detect::internal {
namespace {

constexpr size_t kMaxLocalCodePoints = 64;
constexpr size_t kMaxDomainBytes = 255;

// The code point starting at t[i] and its length (t is valid UTF-8).
char32_t DecodeAt(std::string_view t, size_t i, size_t* len) {
  const auto b0 = static_cast<unsigned char>(t[i]);
  auto cont = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(t[i + k]) & 0x3F); };
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  if (b0 < 0xE0 && i + 1 < t.size()) {
    *len = 2;
    return (static_cast<char32_t>(b0 & 0x1F) << 6) | cont(1);
  }
  if (b0 < 0xF0 && i + 2 < t.size()) {
    *len = 3;
    return (static_cast<char32_t>(b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2);
  }
  if (i + 3 < t.size()) {
    *len = 4;
    return (static_cast<char32_t>(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
  }
  *len = 1;  // (not reached on valid UTF-8)
  return 0xFFFD;
}

// The start of the code point that ends just before i (i > 0).
size_t PrevStart(std::string_view t, size_t i) {
  do {
    --i;
  } while (i > 0 && (static_cast<unsigned char>(t[i]) & 0xC0) == 0x80);
  return i;
}

// A non-ASCII code point that can be part of a word in an address: anything
// but the blocks of punctuation, symbols, spaces, private use and emoji (no
// Unicode tables here; where in doubt it is a letter, so an address is
// masked with a character too many rather than cut short).
bool IntlWordCodePoint(char32_t c) {
  if (c < 0xC0 || c == 0xD7 || c == 0xF7) return false;  // C1 controls, Latin-1 signs, × ÷
  if (c >= 0x2000 && c <= 0x2BFF) return false;          // punctuation, symbols, arrows, math, shapes
  if (c >= 0x2E00 && c <= 0x2E7F) return false;          // supplemental punctuation
  if (c >= 0x3000 && c <= 0x303F) return false;          // CJK symbols and punctuation: 、。「」
  if (c >= 0x3200 && c <= 0x33FF) return false;          // enclosed and compatibility CJK: ㈜ ㎡
  if (c >= 0xD800 && c <= 0xF8FF) return false;          // surrogates, private use
  if (c >= 0xFE10 && c <= 0xFE1F) return false;          // vertical forms
  if (c >= 0xFE30 && c <= 0xFE6F) return false;          // CJK compatibility and small forms
  if (c >= 0xFF00 && c <= 0xFF0F) return false;          // full-width punctuation
  if (c >= 0xFF1A && c <= 0xFF20) return false;
  if (c >= 0xFF3B && c <= 0xFF40) return false;
  if (c >= 0xFF5B && c <= 0xFF65) return false;
  if (c >= 0xFFF0 && c <= 0xFFFF) return false;    // specials (U+FFFD)
  if (c >= 0x1F000 && c <= 0x1FAFF) return false;  // emoji and pictographs
  return c <= 0x10FFFF;
}

// Latin, Greek and Cyrillic letters (accented ones included): an address in
// those scripts mixes them with ASCII; a Hangul or CJK letter right before or
// after such a run is a word glued to it (메일은minjun@…, …@naver.com으로).
bool LatinLike(char32_t c) {
  return c < 0x80 || (c >= 0xC0 && c <= 0x24F) || (c >= 0x370 && c <= 0x52F) || (c >= 0x1E00 && c <= 0x1EFF);
}

bool LocalAscii(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '%' || c == '+' || c == '-';
}

bool LabelAscii(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// The length of the label character at t[i], or 0 when there is none.
size_t LabelCharAt(std::string_view t, size_t i, char32_t* cp) {
  const auto c = static_cast<unsigned char>(t[i]);
  if (c < 0x80) {
    *cp = c;
    return LabelAscii(c) ? 1 : 0;
  }
  size_t len = 0;
  *cp = DecodeAt(t, i, &len);
  return IntlWordCodePoint(*cp) ? len : 0;
}

}  // namespace

void FindIntlEmails(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) {
  const size_t n = text.size();
  for (size_t p = 0; p < n; ++p) {
    const void* at = std::memchr(text.data() + p, '@', n - p);
    if (at == nullptr) break;
    p = static_cast<size_t>(static_cast<const char*>(at) - text.data());

    // The local part, back from the '@'.
    size_t lb = p;
    size_t count = 0;
    bool local_intl = false;
    bool latin_run = true;  // every character so far (next to the '@') is LatinLike
    while (lb > 0 && count < kMaxLocalCodePoints) {
      const size_t s = PrevStart(text, lb);
      const auto c = static_cast<unsigned char>(text[s]);
      char32_t cp = c;
      if (c < 0x80) {
        if (!LocalAscii(c)) break;
      } else {
        size_t len = 0;
        cp = DecodeAt(text, s, &len);
        if (!IntlWordCodePoint(cp)) break;
      }
      if (latin_run && !LatinLike(cp)) {
        if (count > 0) break;  // "메일은minjun@": a word glued before the local part
        latin_run = false;
      }
      local_intl = local_intl || c >= 0x80;
      lb = s;
      ++count;
    }
    if (lb == p) continue;

    // The domain: labels joined by '.'.
    size_t e = p + 1;
    size_t labels = 0;
    size_t last_begin = e;
    while (e < n && e - (p + 1) < kMaxDomainBytes) {
      const size_t label_begin = e;
      char32_t cp = 0;
      for (size_t len = 0; e < n && e - (p + 1) < kMaxDomainBytes && (len = LabelCharAt(text, e, &cp)) != 0;) {
        e += len;
      }
      if (e == label_begin) break;
      ++labels;
      last_begin = label_begin;
      char32_t next = 0;
      if (e + 1 < n && text[e] == '.' && LabelCharAt(text, e + 1, &next) != 0) {
        ++e;
        continue;
      }
      break;
    }
    if (labels < 2) continue;
    // The last label: a particle glued to a Latin one is cut off; one of
    // ASCII only (a TLD) is two or more letters.
    size_t len = 0;
    const bool tld_latin = LatinLike(DecodeAt(text, last_begin, &len));
    bool tld_intl = false;
    bool tld_letters = true;
    for (size_t k = last_begin; k < e; k += len) {
      const char32_t cp = DecodeAt(text, k, &len);
      if (tld_latin && !LatinLike(cp)) {
        e = k;
        break;
      }
      if (cp >= 0x80) {
        tld_intl = true;
      } else if ((cp | 0x20) < 'a' || (cp | 0x20) > 'z') {
        tld_letters = false;
      }
    }
    if (!tld_intl && (!tld_letters || e - last_begin < 2)) continue;
    bool domain_intl = false;
    for (size_t k = p + 1; k < e && !domain_intl; ++k) domain_intl = static_cast<unsigned char>(text[k]) >= 0x80;
    if (!local_intl && !domain_intl) continue;  // the pattern's own
    out->emplace_back(lb, e);
  }
}

}  // namespace maskproxy::detect::internal
