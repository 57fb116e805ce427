#include "detect/normalize.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

#include <bit>
#include <cstring>
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

// For each lead byte: whether some character starting with it is folded or
// removed (Replacement != kKeep). Derived from Replacement, so the fast check
// cannot drift from the folding table.
struct LeadTable {
  bool may_change[256] = {};
  // The same as a list, for the vector check (at most kMaxLeads of them,
  // else `count` is 0 and the scalar loop runs).
  static constexpr size_t kMaxLeads = 8;
  unsigned char leads[kMaxLeads] = {};
  size_t count = 0;
  LeadTable() {
    for (uint32_t cp = 0x80; cp <= 0x10FFFF; ++cp) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      if (Replacement(cp) == kKeep) continue;
      const uint32_t lead = cp < 0x800 ? 0xC0 | (cp >> 6) : cp < 0x10000 ? 0xE0 | (cp >> 12) : 0xF0 | (cp >> 18);
      may_change[lead] = true;
    }
    for (size_t b = 0x80; b < 256; ++b) {
      if (!may_change[b]) continue;
      if (count == kMaxLeads) {
        count = 0;
        break;
      }
      leads[count++] = static_cast<unsigned char>(b);
    }
  }
};

const LeadTable& Leads() {
  static const LeadTable kTable;
  return kTable;
}

// The length of the well-formed UTF-8 sequence at s[i] (s[i] >= 0x80), or 0
// (Unicode Table 3-7: no overlongs, surrogates or code points above U+10FFFF;
// the same set DecodeUtf8 accepts).
size_t SequenceLength(const unsigned char* s, size_t n, size_t i) {
  const unsigned char b0 = s[i];
  size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n - i < len) return 0;
  if (s[i + 1] < lo || s[i + 1] > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if ((s[i + k] & 0xC0) != 0x80) return 0;
  }
  return len;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MASKPROXY_DETECT_AVX2 1

// UTF-8 validation 32 bytes at a time (the lookup algorithm of Keiser and
// Lemire, "Validating UTF-8 In Less Than One Instruction Per Byte", 2021),
// plus whether any byte is one of the lead bytes that normalization may
// change. Returns false on malformed UTF-8 (the caller re-runs the scalar
// loop for the offset), else true with *may_change set.
constexpr uint8_t kTooShort = 1 << 0;
constexpr uint8_t kTooLong = 1 << 1;
constexpr uint8_t kOverlong3 = 1 << 2;
constexpr uint8_t kTooLarge = 1 << 3;
constexpr uint8_t kSurrogate = 1 << 4;
constexpr uint8_t kOverlong2 = 1 << 5;
constexpr uint8_t kTooLarge1000 = 1 << 6;
constexpr uint8_t kOverlong4 = 1 << 6;
constexpr uint8_t kTwoConts = 1 << 7;
constexpr uint8_t kCarry = kTooShort | kTooLong | kTwoConts;
constexpr uint8_t kLarge = kCarry | kTooLarge | kTooLarge1000;

// Indexed by the high nibble of the first byte of a pair.
alignas(16) constexpr uint8_t kByte1High[16] = {kTooLong,
                                                kTooLong,
                                                kTooLong,
                                                kTooLong,
                                                kTooLong,
                                                kTooLong,
                                                kTooLong,
                                                kTooLong,
                                                kTwoConts,
                                                kTwoConts,
                                                kTwoConts,
                                                kTwoConts,
                                                kTooShort | kOverlong2,
                                                kTooShort,
                                                kTooShort | kOverlong3 | kSurrogate,
                                                kTooShort | kTooLarge | kTooLarge1000 | kOverlong4};
// Indexed by the low nibble of the first byte.
alignas(16) constexpr uint8_t kByte1Low[16] = {kCarry | kOverlong3 | kOverlong2 | kOverlong4,
                                               kCarry | kOverlong2,
                                               kCarry,
                                               kCarry,
                                               kCarry | kTooLarge,
                                               kLarge,
                                               kLarge,
                                               kLarge,
                                               kLarge,
                                               kLarge,
                                               kLarge,
                                               kLarge,
                                               kLarge,
                                               kLarge | kSurrogate,
                                               kLarge,
                                               kLarge};
// Indexed by the high nibble of the second byte.
alignas(16) constexpr uint8_t kByte2High[16] = {
    kTooShort,
    kTooShort,
    kTooShort,
    kTooShort,
    kTooShort,
    kTooShort,
    kTooShort,
    kTooShort,
    kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge1000 | kOverlong4,
    kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge,
    kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge,
    kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge,
    kTooShort,
    kTooShort,
    kTooShort,
    kTooShort};
// A block's last three bytes may not start a sequence that runs past it.
alignas(32) constexpr uint8_t kMaxValue[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                               0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                               0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xEF, 0xDF, 0xBF};

// UTF-8 validation 32 bytes at a time (the lookup algorithm of Keiser and
// Lemire, "Validating UTF-8 In Less Than One Instruction Per Byte", 2021),
// plus whether any byte is one of the lead bytes that normalization may
// change. Returns false on malformed UTF-8 (the caller re-runs the scalar
// loop for the offset), else true with *may_change set.
__attribute__((target("avx2"))) bool ValidateAvx2(const unsigned char* s, size_t n, const LeadTable& leads,
                                                  bool* may_change) {
  const __m256i byte1_high = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kByte1High)));
  const __m256i byte1_low = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kByte1Low)));
  const __m256i byte2_high = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kByte2High)));
  const __m256i max_value = _mm256_load_si256(reinterpret_cast<const __m256i*>(kMaxValue));
  const __m256i low_nibble = _mm256_set1_epi8(0x0F);
  const __m256i third_min = _mm256_set1_epi8(static_cast<char>(0xE0 - 0x80));
  const __m256i fourth_min = _mm256_set1_epi8(static_cast<char>(0xF0 - 0x80));
  const __m256i high_bit = _mm256_set1_epi8(static_cast<char>(0x80));

  __m256i error = _mm256_setzero_si256();
  __m256i change = _mm256_setzero_si256();
  __m256i prev_input = _mm256_setzero_si256();
  __m256i prev_incomplete = _mm256_setzero_si256();
  // The tail, zero-padded; then an all-zero block when the text fills whole
  // blocks, so a sequence cut short at the end is always caught.
  alignas(32) unsigned char tail[32] = {};
  const size_t full = n / 32 * 32;
  std::memcpy(tail, s + full, n - full);
  for (size_t i = 0; i <= full; i += 32) {
    const __m256i input = i < full ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i))
                                   : _mm256_load_si256(reinterpret_cast<const __m256i*>(tail));
    if (_mm256_movemask_epi8(input) == 0) {
      error = _mm256_or_si256(error, prev_incomplete);
      prev_incomplete = _mm256_setzero_si256();
      prev_input = input;
      continue;
    }
    for (size_t k = 0; k < leads.count; ++k) {
      change = _mm256_or_si256(change, _mm256_cmpeq_epi8(input, _mm256_set1_epi8(static_cast<char>(leads.leads[k]))));
    }
    const __m256i shifted = _mm256_permute2x128_si256(prev_input, input, 0x21);
    const __m256i prev1 = _mm256_alignr_epi8(input, shifted, 15);
    const __m256i prev2 = _mm256_alignr_epi8(input, shifted, 14);
    const __m256i prev3 = _mm256_alignr_epi8(input, shifted, 13);
    const __m256i b1h = _mm256_shuffle_epi8(byte1_high, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), low_nibble));
    const __m256i b1l = _mm256_shuffle_epi8(byte1_low, _mm256_and_si256(prev1, low_nibble));
    const __m256i b2h = _mm256_shuffle_epi8(byte2_high, _mm256_and_si256(_mm256_srli_epi16(input, 4), low_nibble));
    const __m256i special = _mm256_and_si256(_mm256_and_si256(b1h, b1l), b2h);
    const __m256i must23 = _mm256_and_si256(
        _mm256_or_si256(_mm256_subs_epu8(prev2, third_min), _mm256_subs_epu8(prev3, fourth_min)), high_bit);
    error = _mm256_or_si256(error, _mm256_xor_si256(must23, special));
    prev_incomplete = _mm256_subs_epu8(input, max_value);
    prev_input = input;
  }
  if (n != full) error = _mm256_or_si256(error, prev_incomplete);  // the padded tail itself ended a sequence early
  *may_change = leads.count == 0 || !_mm256_testz_si256(change, change);
  return _mm256_testz_si256(error, error) != 0;
}

bool HasAvx2() {
  static const bool kHas = __builtin_cpu_supports("avx2");
  return kHas;
}
#endif

size_t SkipAscii(const unsigned char* s, size_t n, size_t i) {
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  while (n - i >= 8) {
    uint64_t v = 0;
    std::memcpy(&v, s + i, 8);
    if ((v & kHigh) != 0) return i + static_cast<size_t>(std::countr_zero(v & kHigh) / 8);
    i += 8;
  }
  while (i < n && s[i] < 0x80) ++i;
  return i;
}

}  // namespace

Result<NormalizedText> NormalizedText::Create(std::string_view original) {
  NormalizedText out;
  if (Status st = CreateInto(original, &out); !st.ok()) return st.error();
  return out;
}

Status NormalizedText::CreateInto(std::string_view original, NormalizedText* out) {
  out->original_ = std::string_view();
  out->identity_ = true;
  if (original.size() >= std::numeric_limits<uint32_t>::max()) {
    return Error("text_too_large", "text of 4 GiB or more cannot be scanned");
  }
  const auto* s = reinterpret_cast<const unsigned char*>(original.data());
  const size_t n = original.size();
  const size_t first_non_ascii = SkipAscii(s, n, 0);
  if (first_non_ascii == n) {  // pure ASCII: identity
    out->original_ = original;
    return Status::Ok();
  }

  // Validate the UTF-8 and look for a character that normalization changes;
  // without one (most Korean text) the map is the identity too. Only
  // characters whose lead byte can start a folded character are decoded.
  const LeadTable& leads = Leads();
  bool validated = false;
#ifdef MASKPROXY_DETECT_AVX2
  if (HasAvx2()) {
    bool may_change = true;
    validated = ValidateAvx2(s + first_non_ascii, n - first_non_ascii, leads, &may_change);
    if (validated && !may_change) {
      out->original_ = original;
      return Status::Ok();
    }
    // Malformed (the loop below finds where) or maybe something to fold.
  }
#endif
  // The length of a character of validated text from its lead byte.
  auto length = [](unsigned char b0) -> size_t { return b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4; };
  size_t first_change = n;
  for (size_t i = first_non_ascii; i < n;) {
    if (s[i] < 0x80) {
      i = SkipAscii(s, n, i);
      continue;
    }
    const size_t len = validated ? length(s[i]) : SequenceLength(s, n, i);
    if (len == 0) return Error("invalid_utf8", "malformed UTF-8 at byte " + std::to_string(i));
    if (first_change == n && leads.may_change[s[i]]) {
      uint32_t cp = 0;
      DecodeUtf8(original, i, &cp);
      if (Replacement(cp) != kKeep) {
        first_change = i;
        if (validated) break;  // the rest is known to be well-formed
      }
    }
    i += len;
  }
  out->original_ = original;
  if (first_change == n) return Status::Ok();

  out->identity_ = false;
  out->normalized_.resize(n);
  out->src_begin_.resize(n);
  out->src_end_.resize(n);
  char* text = out->normalized_.data();
  uint32_t* sb = out->src_begin_.data();
  uint32_t* se = out->src_end_.data();
  std::memcpy(text, s, first_change);
  // Up to the first change, and for every character normalization keeps,
  // the bytes are copied and each maps to its whole character; only
  // characters whose lead byte may start a folded one are decoded.
  size_t o = 0;
  for (size_t i = 0; i < first_change;) {
    const size_t len = length(s[i]);
    for (size_t k = 0; k < len; ++k, ++o) {
      sb[o] = static_cast<uint32_t>(i);
      se[o] = static_cast<uint32_t>(i + len);
    }
    i += len;
  }
  size_t i = first_change;
  while (i < n) {
    const unsigned char b0 = s[i];
    const size_t len = length(b0);
    int r = kKeep;
    if (leads.may_change[b0]) {
      uint32_t cp = 0;
      DecodeUtf8(original, i, &cp);  // validated above
      r = Replacement(cp);
    }
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
  out->normalized_.resize(o);
  out->src_begin_.resize(o);
  out->src_end_.resize(o);
  return Status::Ok();
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
