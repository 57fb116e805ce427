#include "detect/normalize.h"

#include <limits>

namespace maskproxy::detect {
namespace {

// Decodes one UTF-8 character at text[i]; returns its length (0 if malformed:
// truncated, bad continuation, overlong, surrogate or above U+10FFFF).
size_t DecodeUtf8(std::string_view text, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len = 0;
  uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    *cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    *cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    *cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return len;
}

// The ASCII replacement of a non-ASCII code point: a character, kRemove, or
// kKeep (copy the original bytes).
constexpr int kKeep = -1;
constexpr int kRemove = -2;

int Replacement(uint32_t cp) {
  if (cp >= 0xFF10 && cp <= 0xFF19) return static_cast<int>('0' + (cp - 0xFF10));
  if (cp >= 0xFF21 && cp <= 0xFF3A) return static_cast<int>('A' + (cp - 0xFF21));
  if (cp >= 0xFF41 && cp <= 0xFF5A) return static_cast<int>('a' + (cp - 0xFF41));
  switch (cp) {
    case 0xFF0D: return '-';
    case 0xFF0B: return '+';
    case 0xFF0E: return '.';
    case 0xFF20: return '@';
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x2060:
    case 0xFEFF: return kRemove;
    case 0x00A0:
    case 0x202F:
    case 0x205F:
    case 0x3000: return ' ';
    case 0x2212:
    case 0xFE58:
    case 0xFE63: return '-';
    default: break;
  }
  if (cp >= 0x2000 && cp <= 0x200A) return ' ';
  if (cp >= 0x2010 && cp <= 0x2015) return '-';
  return kKeep;
}

}  // namespace

Result<NormalizedText> NormalizedText::Create(std::string_view original) {
  if (original.size() >= std::numeric_limits<uint32_t>::max()) {
    return Error("text_too_large", "text of 4 GiB or more cannot be scanned");
  }
  NormalizedText out;
  out.original_ = original;
  size_t first_non_ascii = original.size();
  for (size_t i = 0; i < original.size(); ++i) {
    if (static_cast<unsigned char>(original[i]) >= 0x80) {
      first_non_ascii = i;
      break;
    }
  }
  if (first_non_ascii == original.size()) return out;  // pure ASCII: identity

  // Validate the UTF-8 and look for a character that normalization changes;
  // without one (most Korean text) the map is the identity too.
  size_t first_change = original.size();
  for (size_t i = first_non_ascii; i < original.size();) {
    if (static_cast<unsigned char>(original[i]) < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(original, i, &cp);
    if (len == 0) return Error("invalid_utf8", "malformed UTF-8 at byte " + std::to_string(i));
    if (first_change == original.size() && Replacement(cp) != kKeep) first_change = i;
    i += len;
  }
  if (first_change == original.size()) return out;

  out.identity_ = false;
  const size_t n = original.size();
  out.normalized_.resize(n);
  out.src_begin_.resize(n);
  out.src_end_.resize(n);
  char* text = out.normalized_.data();
  uint32_t* sb = out.src_begin_.data();
  uint32_t* se = out.src_end_.data();
  size_t o = 0;
  for (; o < first_non_ascii; ++o) {
    text[o] = original[o];
    sb[o] = static_cast<uint32_t>(o);
    se[o] = static_cast<uint32_t>(o + 1);
  }
  size_t i = first_non_ascii;
  while (i < n) {
    if (static_cast<unsigned char>(original[i]) < 0x80) {
      text[o] = original[i];
      sb[o] = static_cast<uint32_t>(i);
      se[o] = static_cast<uint32_t>(i + 1);
      ++o;
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(original, i, &cp);  // validated above
    const int r = Replacement(cp);
    if (r == kKeep) {
      for (size_t k = 0; k < len; ++k, ++o) {
        text[o] = original[i + k];
        sb[o] = static_cast<uint32_t>(i);
        se[o] = static_cast<uint32_t>(i + len);
      }
    } else if (r != kRemove) {
      text[o] = static_cast<char>(r);
      sb[o] = static_cast<uint32_t>(i);
      se[o] = static_cast<uint32_t>(i + len);
      ++o;
    }
    i += len;
  }
  out.normalized_.resize(o);
  out.src_begin_.resize(o);
  out.src_end_.resize(o);
  return out;
}

void NormalizedText::MapToOriginal(size_t begin, size_t end, size_t* orig_begin, size_t* orig_end) const {
  if (identity_) {
    *orig_begin = begin;
    *orig_end = end;
    return;
  }
  *orig_begin = src_begin_[begin];
  *orig_end = src_end_[end - 1];
}

}  // namespace maskproxy::detect
