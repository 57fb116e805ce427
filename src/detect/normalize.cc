#include "detect/normalize.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "common/unicode.h"

namespace maskproxy::detect {
namespace {

// The ASCII replacement of a code point: a character, kRemove, or kKeep
// (copy the original bytes).
constexpr int kKeep = -1;
constexpr int kRemove = -2;

// Dots and bullets written between digit groups (`010·1234·5678`): the
// middle dot, Korean 가운뎃점 written as ㆍ, katakana middle dots, bullets and
// dot operators, the hyphenation point; and marks that read as a dash (the
// katakana prolonged sound mark, the modifier minus, em-dash pairs, vertical
// dashes). All read as '-', which every separator-taking detector accepts.
bool IsDigitGroupMark(uint32_t cp) {
  switch (cp) {
    case 0x00B7:  // MIDDLE DOT
    case 0x02D7:  // MODIFIER LETTER MINUS SIGN
    case 0x2022:  // BULLET
    case 0x2027:  // HYPHENATION POINT
    case 0x2043:  // HYPHEN BULLET
    case 0x2219:  // BULLET OPERATOR
    case 0x22C5:  // DOT OPERATOR
    case 0x2796:  // HEAVY MINUS SIGN
    case 0x2E3A:  // TWO-EM DASH
    case 0x2E3B:  // THREE-EM DASH
    case 0x30FB:  // KATAKANA MIDDLE DOT
    case 0x30FC:  // KATAKANA-HIRAGANA PROLONGED SOUND MARK
    case 0x318D:  // HANGUL LETTER ARAEA (written for 가운뎃점)
    case 0xFE31:  // PRESENTATION FORM FOR VERTICAL EM DASH
    case 0xFE32:  // PRESENTATION FORM FOR VERTICAL EN DASH
    case 0xFF65:  // HALFWIDTH KATAKANA MIDDLE DOT
    case 0xFF70:  // HALFWIDTH KATAKANA-HIRAGANA PROLONGED SOUND MARK
    // Korean typists: the vowel ㅡ (the `m` key) and its jamo forms, the
    // first line of the ㅂ+한자 symbol list, the araea ᆞ, a black circle;
    // and the Greek ano teleia (NFKC: the middle dot).
    // More of those lists' lines and dots (│ ┃ on the ㅂ list; ‥ … on ㄱ's),
    // and the overlines and ditto marks typed as a dash.
    case 0x00A8:  // DIAERESIS
    case 0x00AF:  // MACRON
    case 0x02DA:  // RING ABOVE
    case 0x2025:  // TWO DOT LEADER
    case 0x2026:  // HORIZONTAL ELLIPSIS
    case 0x203E:  // OVERLINE
    case 0x3003:  // DITTO MARK
    case 0xFFE3:  // FULLWIDTH MACRON
    case 0x0387:  // GREEK ANO TELEIA
    // Found by review: the dot above beside the ring above on the ㄱ+한자
    // list, a white bullet, a line extension, and the Arabic separators
    // written with Arabic-Indic digits.
    case 0x02D9:  // DOT ABOVE
    case 0x25E6:  // WHITE BULLET
    case 0x23AF:  // HORIZONTAL LINE EXTENSION
    case 0x066B:  // ARABIC DECIMAL SEPARATOR
    case 0x066C:  // ARABIC THOUSANDS SEPARATOR
    case 0x1173:  // HANGUL JUNGSEONG EU
    case 0x119E:  // HANGUL JUNGSEONG ARAEA
    case 0x2500:  // BOX DRAWINGS LIGHT HORIZONTAL
    case 0x2501:  // BOX DRAWINGS HEAVY HORIZONTAL
    case 0x25CF:  // BLACK CIRCLE
    case 0x3161:  // HANGUL LETTER EU
    case 0xFFDA:  // HALFWIDTH HANGUL LETTER EU
    // What a separator lost in a wrong decoding became ("010\uFFFD1234\uFFFD5678").
    case 0xFFFD:  // REPLACEMENT CHARACTER
    // Found by review: more dots and dashes a reader takes for a separator.
    case 0x2E31:  // WORD SEPARATOR MIDDLE DOT
    case 0x2E33:  // RAISED DOT
    case 0x2E40:  // DOUBLE HYPHEN
    case 0x30A0:  // KATAKANA-HIRAGANA DOUBLE HYPHEN
    case 0x05BE:  // HEBREW PUNCTUATION MAQAF
    case 0x058A:  // ARMENIAN HYPHEN
    case 0x1400:  // CANADIAN SYLLABICS HYPHEN
    case 0x2E17:  // DOUBLE OBLIQUE HYPHEN
    case 0x207B:  // SUPERSCRIPT MINUS
    case 0x208B:  // SUBSCRIPT MINUS
    case 0x2017:  // DOUBLE LOW LINE
    case 0x2504:  // BOX DRAWINGS LIGHT TRIPLE DASH HORIZONTAL
    case 0x2505:  // BOX DRAWINGS HEAVY TRIPLE DASH HORIZONTAL
    case 0x2508:  // BOX DRAWINGS LIGHT QUADRUPLE DASH HORIZONTAL
    case 0x2509:  // BOX DRAWINGS HEAVY QUADRUPLE DASH HORIZONTAL
    case 0x254C:  // BOX DRAWINGS LIGHT DOUBLE DASH HORIZONTAL
    case 0x254D:  // BOX DRAWINGS HEAVY DOUBLE DASH HORIZONTAL
    case 0x2550:  // BOX DRAWINGS DOUBLE HORIZONTAL
    case 0xFE4D:  // DASHED LOW LINE
    case 0xFE4E:  // CENTRELINE LOW LINE
    case 0xFE4F:  // WAVY LOW LINE
      return true;
    default: return false;
  }
}

int Replacement(uint32_t cp) {
  // A vertical tab or form feed between digit groups reads as a blank
  // ("010\v1234\v5678"); tabs and line breaks stay.
  if (cp == 0x0B || cp == 0x0C) return ' ';
  if (cp < 0x80) return unicode::IsControl(cp) && !unicode::IsWhiteSpace(cp) ? kRemove : kKeep;
  if (cp >= 0xFF01 && cp <= 0xFF5E) return static_cast<int>(cp - 0xFF01 + 0x21);  // full-width ASCII
  if (unicode::IsDefaultIgnorable(cp)) return kRemove;
  if (unicode::IsWhiteSpace(cp) || cp == 0x2800) return ' ';  // (U+2800: the blank braille pattern)
  if (unicode::IsControl(cp)) return kRemove;                 // C1
  // Format characters that are not default-ignorable (the interlinear
  // annotation marks U+FFF9-FFFB, the Egyptian format controls, the Arabic
  // and Kaithi number signs that stand before digits): nothing a reader
  // reads between digit groups (found by review: "010\ufff99876\ufff95432"
  // hid a phone from every detector).
  if (unicode::IsFormat(cp)) return kRemove;
  if (unicode::IsDash(cp) || IsDigitGroupMark(cp)) return '-';  // (U+FF0D is full-width ASCII above)
  // Digits of every script, and the digit forms (superscript, circled, ...).
  if (const int digit = unicode::DigitValue(cp); digit >= 0) return '0' + digit;
  // A mark drawn on the character before it (U+0301 on a digit) splits
  // nothing a reader sees.
  if (unicode::IsCombiningMark(cp)) return kRemove;
  // Letters in a compatibility form (𝐌 ⓚ ℓ ʰ): a passport's letter, an
  // address's local part or TLD written with them reads as plain letters.
  if (const int letter = unicode::AsciiLetterOf(cp); letter >= 0) return letter;
  switch (cp) {   // full stops an address may be written with (IDNA reads them as '.'), the small '@'
    case 0x2024:  // ONE DOT LEADER
    case 0x3002:  // IDEOGRAPHIC FULL STOP
    case 0xFE52:  // SMALL FULL STOP
    case 0xFF61:  // HALFWIDTH IDEOGRAPHIC FULL STOP
      return '.';
    case 0xFE6B:  // SMALL COMMERCIAL AT
      return '@';
    // Look-alikes of the single separators the detectors take between digit
    // groups (defaults.cc: / _ ~ , * : | \ +), as an IME or a word
    // processor writes them: "010∼1234∼5678", "900101、1234567".
    case 0x02DC:  // SMALL TILDE
    case 0x2053:  // SWUNG DASH
    case 0x223C:  // TILDE OPERATOR
    case 0x301C:  // WAVE DASH
    case 0x3030:  // WAVY DASH
      return '~';
    case 0x3001:  // IDEOGRAPHIC COMMA
    case 0xFE50:  // SMALL COMMA
    case 0xFF64:  // HALFWIDTH IDEOGRAPHIC COMMA
      return ',';
    case 0x2236:  // RATIO
    case 0xFE13:  // PRESENTATION FORM FOR VERTICAL COLON
    case 0xFE55:  // SMALL COLON
      return ':';
    case 0x204E:  // LOW ASTERISK
    case 0x2217:  // ASTERISK OPERATOR
    case 0xFE61:  // SMALL ASTERISK
      return '*';
    case 0x2044:  // FRACTION SLASH
    case 0x2215:  // DIVISION SLASH
      return '/';
    case 0x00A6:  // BROKEN BAR
    case 0x2016:  // DOUBLE VERTICAL LINE
    case 0x2223:  // DIVIDES
    case 0x2225:  // PARALLEL TO
    case 0x2502:  // BOX DRAWINGS LIGHT VERTICAL (the ㅂ+한자 list)
    case 0x2503:  // BOX DRAWINGS HEAVY VERTICAL
    case 0xFFE4:  // FULLWIDTH BROKEN BAR
      return '|';
    case 0x02D0:  // MODIFIER LETTER TRIANGULAR COLON
      return ':';
    case 0xFE62:  // SMALL PLUS SIGN
      return '+';
    default: return kKeep;
  }
}

// The first byte of cp's UTF-8 form.
constexpr uint32_t LeadByte(uint32_t cp) {
  return cp < 0x80 ? cp : cp < 0x800 ? 0xC0 | (cp >> 6) : cp < 0x10000 ? 0xE0 | (cp >> 12) : 0xF0 | (cp >> 18);
}

// Which bytes can start a character that normalization changes
// (Replacement != kKeep): ASCII controls, and the lead bytes of the folded
// and removed characters. Derived from Replacement, so the fast checks
// cannot drift from the folding table.
struct LeadTable {
  bool may_change[256] = {};
  // The same as two nibble tables for the vector check: byte b may change
  // iff (high[b >> 4] & low[b & 15]) != 0. Each high nibble that holds such
  // a byte gets a bit of its own, so the test is exact (never more than 8:
  // ASCII controls sit in nibbles 0, 1 and 7, lead bytes in C-F; with more,
  // `exact` is false and every non-ASCII block goes to the candidate check).
  alignas(16) unsigned char high[16] = {};
  alignas(16) unsigned char low[16] = {};
  bool exact = true;
  // Bit cp set: the code point cp of the BMP or of plane 1 changes (two 8 KB
  // tables, so the check at a candidate needs no call).
  uint64_t bmp[0x10000 / 64] = {};
  uint64_t smp[0x10000 / 64] = {};
  // For each 3-byte lead 0xE0 | k: the highest second byte of a changed
  // character with that lead; characters above it never change (the Hangul
  // syllables U+AC00-AFFF after the digits and marks of U+A000-ABFF), so the
  // vector check drops them before decoding.
  alignas(16) unsigned char second_max[16] = {};
  // The changed code points above plane 1 as ranges [first, last] (tags and
  // variation selectors; were there more than kMaxRanges, every character
  // above plane 1 whose lead byte may change would count as a change for the
  // fast checks, and the copy would keep it).
  static constexpr size_t kMaxRanges = 8;
  uint32_t range_first[kMaxRanges] = {};
  uint32_t range_last[kMaxRanges] = {};
  size_t ranges = 0;
  bool ranges_complete = true;
  LeadTable() {
    for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      if (Replacement(cp) == kKeep) continue;
      if (cp < 0x10000) {
        bmp[cp / 64] |= uint64_t{1} << (cp % 64);
      } else if (cp < 0x20000) {
        smp[(cp - 0x10000) / 64] |= uint64_t{1} << (cp % 64);
      } else if (ranges > 0 && range_last[ranges - 1] == cp - 1) {
        range_last[ranges - 1] = cp;
      } else if (ranges < kMaxRanges) {
        range_first[ranges] = range_last[ranges] = cp;
        ++ranges;
      } else {
        ranges_complete = false;
      }
      const uint32_t lead = LeadByte(cp);
      may_change[lead] = true;
      if (cp >= 0x800 && cp < 0x10000) {
        const auto second = static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F));
        if (second > second_max[lead & 0x0F]) second_max[lead & 0x0F] = second;
      }
    }
    int bit = 0;
    for (size_t h = 0; h < 16; ++h) {
      bool any = false;
      for (size_t l = 0; l < 16; ++l) any = any || may_change[h * 16 + l];
      if (!any) continue;
      if (bit == 8) {
        exact = false;
        break;
      }
      high[h] = static_cast<unsigned char>(1u << bit);
      for (size_t l = 0; l < 16; ++l) {
        if (may_change[h * 16 + l]) low[l] |= high[h];
      }
      ++bit;
    }
    if (!exact) {  // every byte >= 0x80 a candidate, ASCII exact where it fits
      for (size_t h = 8; h < 16; ++h) high[h] = 0x80;
      for (size_t l = 0; l < 16; ++l) low[l] |= 0x80;
    }
  }
};

const LeadTable& Leads() {
  static const LeadTable kTable;
  return kTable;
}

// Whether the character at s[i] is changed by normalization. The text need
// not be validated yet: a malformed sequence gives some answer, and the
// caller's validation rejects the text anyway.
[[gnu::always_inline]] inline bool ChangesAt(std::string_view s, size_t i, const LeadTable& leads) {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char b0 = u[i];
  if (!leads.may_change[b0]) return false;
  if (b0 < 0x80) return true;
  const size_t len = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
  if (s.size() - i < len) return false;
  if (len == 2) {
    const uint32_t cp = ((b0 & 0x1Fu) << 6) | (u[i + 1] & 0x3Fu);
    return ((leads.bmp[cp / 64] >> (cp % 64)) & 1) != 0;
  }
  if (len == 3) {
    const uint32_t cp = ((b0 & 0x0Fu) << 12) | ((u[i + 1] & 0x3Fu) << 6) | (u[i + 2] & 0x3Fu);
    return ((leads.bmp[cp / 64] >> (cp % 64)) & 1) != 0;
  }
  const uint32_t cp =
      ((b0 & 0x07u) << 18) | ((u[i + 1] & 0x3Fu) << 12) | ((u[i + 2] & 0x3Fu) << 6) | (u[i + 3] & 0x3Fu);
  // (A malformed sequence may decode to anything: an overlong one below
  // U+10000 counts as no change.)
  if (cp < 0x10000) return false;
  if (cp < 0x20000) return ((leads.smp[(cp - 0x10000) / 64] >> (cp % 64)) & 1) != 0;
  if (!leads.ranges_complete) return true;  // never so far; the copy loop decides exactly
  for (size_t r = 0; r < leads.ranges; ++r) {
    if (cp >= leads.range_first[r] && cp <= leads.range_last[r]) return true;
  }
  return false;
}

// The length of the well-formed UTF-8 sequence at s[i] (s[i] >= 0x80), or 0:
// the scalar decode is common/unicode.h's (Unicode Table 3-7: no overlongs,
// surrogates or code points above U+10FFFF).
size_t SequenceLength(const unsigned char* s, size_t n, size_t i) {
  uint32_t cp = 0;
  return unicode::DecodeUtf8(std::string_view(reinterpret_cast<const char*>(s), n), i, &cp);
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

// The 3-byte leads of a block whose second byte is above every changed
// character's with that lead (LeadTable::second_max), as a bit per lead's
// position: bit p of `above` is byte p following a lead 0xE_ with a second
// byte above that lead's maximum, so the lead sits at p - 1 (a lead at the
// block's last byte is not dropped).
__attribute__((target("avx2"))) inline uint32_t UnchangedThreeByteLeads(__m256i input, __m256i prev_input,
                                                                        const LeadTable& leads) {
  const __m256i before = _mm256_alignr_epi8(input, _mm256_permute2x128_si256(prev_input, input, 0x21), 15);
  const __m256i e_lead = _mm256_cmpeq_epi8(_mm256_and_si256(before, _mm256_set1_epi8(static_cast<char>(0xF0))),
                                           _mm256_set1_epi8(static_cast<char>(0xE0)));
  const __m256i limit = _mm256_shuffle_epi8(
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(leads.second_max))),
      _mm256_and_si256(before, _mm256_set1_epi8(0x0F)));
  const __m256i not_above = _mm256_cmpeq_epi8(_mm256_max_epu8(input, limit), limit);
  const auto above = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_andnot_si256(not_above, e_lead)));
  return above >> 1;
}

// UTF-8 validation 32 bytes at a time (the lookup algorithm of Keiser and
// Lemire, "Validating UTF-8 In Less Than One Instruction Per Byte", 2021),
// plus where the first character sits that normalization changes. The
// bytes that can start one (LeadTable's nibble tables) are found with two
// shuffles a block; only at those is a character decoded, until the first
// change is found. Returns false on malformed UTF-8 (the caller re-runs the
// scalar loop for the offset), else true with *first_change set (n: none).
__attribute__((target("avx2"))) bool ValidateAvx2(std::string_view text, const LeadTable& leads, size_t* first_change) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  const __m256i byte1_high = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kByte1High)));
  const __m256i byte1_low = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kByte1Low)));
  const __m256i byte2_high = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kByte2High)));
  const __m256i lead_high = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(leads.high)));
  const __m256i lead_low = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(leads.low)));
  const __m256i max_value = _mm256_load_si256(reinterpret_cast<const __m256i*>(kMaxValue));
  const __m256i low_nibble = _mm256_set1_epi8(0x0F);
  const __m256i third_min = _mm256_set1_epi8(static_cast<char>(0xE0 - 0x80));
  const __m256i fourth_min = _mm256_set1_epi8(static_cast<char>(0xF0 - 0x80));
  const __m256i high_bit = _mm256_set1_epi8(static_cast<char>(0x80));
  const __m256i zero = _mm256_setzero_si256();

  size_t change = n;
  __m256i error = _mm256_setzero_si256();
  __m256i prev_input = _mm256_setzero_si256();
  __m256i prev_incomplete = _mm256_setzero_si256();
  // The tail, zero-padded; then an all-zero block when the text fills whole
  // blocks, so a sequence cut short at the end is always caught. (A padding
  // NUL may look like a candidate; candidates at or past n are ignored.)
  alignas(32) unsigned char tail[32] = {};
  const size_t full = n / 32 * 32;
  std::memcpy(tail, s + full, n - full);
  for (size_t i = 0; i <= full; i += 32) {
    const __m256i input = i < full ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i))
                                   : _mm256_load_si256(reinterpret_cast<const __m256i*>(tail));
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(input, 4), low_nibble);
    const __m256i lo = _mm256_and_si256(input, low_nibble);
    if (change == n) {
      const __m256i cls = _mm256_and_si256(_mm256_shuffle_epi8(lead_high, hi), _mm256_shuffle_epi8(lead_low, lo));
      auto cands = static_cast<uint32_t>(~_mm256_movemask_epi8(_mm256_cmpeq_epi8(cls, zero)));
      if (cands != 0) cands &= ~UnchangedThreeByteLeads(input, prev_input, leads);
      for (; cands != 0; cands &= cands - 1) {
        const size_t at = i + static_cast<size_t>(std::countr_zero(cands));
        if (at >= n) break;
        if (ChangesAt(text, at, leads)) {
          change = at;
          break;
        }
      }
    }
    if (_mm256_movemask_epi8(input) == 0) {
      error = _mm256_or_si256(error, prev_incomplete);
      prev_incomplete = _mm256_setzero_si256();
      prev_input = input;
      continue;
    }
    const __m256i shifted = _mm256_permute2x128_si256(prev_input, input, 0x21);
    const __m256i prev1 = _mm256_alignr_epi8(input, shifted, 15);
    const __m256i prev2 = _mm256_alignr_epi8(input, shifted, 14);
    const __m256i prev3 = _mm256_alignr_epi8(input, shifted, 13);
    const __m256i b1h = _mm256_shuffle_epi8(byte1_high, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), low_nibble));
    const __m256i b1l = _mm256_shuffle_epi8(byte1_low, _mm256_and_si256(prev1, low_nibble));
    const __m256i b2h = _mm256_shuffle_epi8(byte2_high, hi);
    const __m256i special = _mm256_and_si256(_mm256_and_si256(b1h, b1l), b2h);
    const __m256i must23 = _mm256_and_si256(
        _mm256_or_si256(_mm256_subs_epu8(prev2, third_min), _mm256_subs_epu8(prev3, fourth_min)), high_bit);
    error = _mm256_or_si256(error, _mm256_xor_si256(must23, special));
    prev_incomplete = _mm256_subs_epu8(input, max_value);
    prev_input = input;
  }
  if (n != full) error = _mm256_or_si256(error, prev_incomplete);  // the padded tail itself ended a sequence early
  *first_change = change;
  return _mm256_testz_si256(error, error) != 0;
}

bool HasAvx2() {
  static const bool kHas = __builtin_cpu_supports("avx2");
  return kHas;
}
#endif

// The first i' >= i where s[i'] is not plain ASCII: a byte >= 0x80 or a
// control character normalization removes. Eight bytes at a time; a word
// with a tab or line break is looked at byte by byte.
size_t SkipPlain(const unsigned char* s, size_t n, size_t i, const LeadTable& leads) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  while (n - i >= 8) {
    uint64_t v = 0;
    std::memcpy(&v, s + i, 8);
    // A byte b <= 0x7F is below 0x20 iff b + 0x60 < 0x80, and 0x7F iff
    // b + 1 = 0x80. A byte >= 0x80 is flagged by its own high bit; the carry
    // it may pass on only changes the flags of the bytes after it, and the
    // byte loop stops at it first.
    if (((v | ~(v + kOnes * 0x60) | (v + kOnes)) & kHigh) != 0) {
      for (size_t k = 0; k < 8; ++k) {
        if (s[i + k] >= 0x80 || leads.may_change[s[i + k]]) return i + k;
      }
    }
    i += 8;
  }
  while (i < n && s[i] < 0x80 && !leads.may_change[s[i]]) ++i;
  return i;
}

// The characters normalized to an ASCII digit, '@' or ':' (derived from
// Replacement, like LeadTable, and read off its set of changed characters:
// no second pass over every code point): their lead bytes, and the code
// points themselves in the BMP and plane 1 (none is above it in Unicode 15;
// one there would count as a match).
struct DigitTable {
  bool lead[256] = {};
  uint64_t bits[0x20000 / 64] = {};
  void Add(uint32_t cp, int r) {
    if (!((r >= '0' && r <= '9') || r == '@' || r == ':')) return;
    lead[LeadByte(cp)] = true;
    if (cp < 0x20000) bits[cp / 64] |= uint64_t{1} << (cp % 64);
  }
  DigitTable() {
    for (uint32_t cp = 0; cp < 0x80; ++cp) Add(cp, static_cast<int>(cp));  // ASCII stays itself
    const LeadTable& leads = Leads();
    for (size_t w = 0; w < 0x10000 / 64; ++w) {
      for (uint64_t x = leads.bmp[w]; x != 0; x &= x - 1) {
        const auto cp = static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(x)));
        if (cp >= 0x80) Add(cp, Replacement(cp));
      }
      for (uint64_t x = leads.smp[w]; x != 0; x &= x - 1) {
        const auto cp = static_cast<uint32_t>(0x10000 + w * 64 + static_cast<size_t>(std::countr_zero(x)));
        Add(cp, Replacement(cp));
      }
    }
    for (size_t r = 0; r < leads.ranges; ++r) {
      for (uint32_t cp = leads.range_first[r]; cp <= leads.range_last[r]; ++cp) Add(cp, Replacement(cp));
    }
  }
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte of the percent escape at t[i] ("%2D"), or -1.
int PercentByte(std::string_view t, size_t i) {
  if (t.size() - i < 3 || t[i] != '%') return -1;
  const int hi = HexValue(t[i + 1]);
  const int lo = HexValue(t[i + 2]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// The code point of the 4-hex-digit escape at t[i] ("\u002D"), or -1.
int32_t BackslashU(std::string_view t, size_t i) {
  if (t.size() - i < 6 || t[i] != '\\' || t[i + 1] != 'u') return -1;
  int32_t cp = 0;
  for (size_t k = 2; k < 6; ++k) {
    const int h = HexValue(t[i + k]);
    if (h < 0) return -1;
    cp = cp * 16 + h;
  }
  return cp;
}

// The escape at t[i] that the text is read through (see normalize.h): its
// length in t, with the code point it stands for in *cp (a percent escape
// of UTF-8 gives one code point for all its bytes); 0 when t[i] starts none.
size_t EscapeAt(std::string_view t, size_t i, uint32_t* cp) {
  const char c = t[i];
  if (c == '%') {
    const int b0 = PercentByte(t, i);
    if (b0 < 0) return 0;
    // ASCII punctuation and white space only: a letter or digit is never
    // escaped in a URL, and "10%4111111111111111" is 10% and a card.
    const bool alnum = (b0 >= '0' && b0 <= '9') || ((b0 | 0x20) >= 'a' && (b0 | 0x20) <= 'z');
    if ((b0 >= 0x20 && b0 <= 0x7E && !alnum) || b0 == '\t' || b0 == '\n' || b0 == '\r') {
      *cp = static_cast<uint32_t>(b0);
      return 3;
    }
    // UTF-8 written as percent escapes ("%EC%97%B0"): all of its bytes, and
    // well-formed.
    const size_t len = b0 >= 0xC2 && b0 <= 0xDF ? 2 : b0 >= 0xE0 && b0 <= 0xEF ? 3 : b0 >= 0xF0 && b0 <= 0xF4 ? 4 : 0;
    if (len == 0) return 0;
    char bytes[4];
    bytes[0] = static_cast<char>(b0);
    for (size_t k = 1; k < len; ++k) {
      const int b = PercentByte(t, i + 3 * k);
      if (b < 0x80 || b > 0xBF) return 0;
      bytes[k] = static_cast<char>(b);
    }
    return unicode::DecodeUtf8(std::string_view(bytes, len), 0, cp) == len ? 3 * len : 0;
  }
  if (c == '\\') {
    // JSON's short escapes of white space and '/' ("연락처\n010-…" in JSON
    // text kept inside a string; PHP writes "010\/1234\/5678"), and the
    // punctuation Markdown and shells escape ("010\-1234\-5678",
    // "900101\_1234567": a review found them splitting numbers).
    if (t.size() - i >= 2) {
      switch (t[i + 1]) {
        case 'n': *cp = '\n'; return 2;
        case 't': *cp = '\t'; return 2;
        case 'r': *cp = '\r'; return 2;
        case '/':
        case '-':
        case '.':
        case '_':
        case ' ':
        case '(':
        case ')':
        case '+':
        case '*': *cp = static_cast<unsigned char>(t[i + 1]); return 2;
        default: break;
      }
    }
    const int32_t u = BackslashU(t, i);
    if (u < 0) return 0;
    if (u >= 0xD800 && u <= 0xDBFF) {  // a surrogate pair, or nothing
      const int32_t low = BackslashU(t, i + 6);
      if (low < 0xDC00 || low > 0xDFFF) return 0;
      *cp = 0x10000 + ((static_cast<uint32_t>(u) - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
      return 12;
    }
    if (u >= 0xDC00 && u <= 0xDFFF) return 0;
    *cp = static_cast<uint32_t>(u);
    return 6;
  }
  if (c == '&') {
    // The named references of spaces, dashes and the separators and '@'.
    static constexpr struct {
      std::string_view name;
      uint32_t cp;
    } kNamed[] = {// spaces, and the invisible characters browsers draw as nothing
                  {"&nbsp;", 0xA0},
                  {"&NonBreakingSpace;", 0xA0},
                  {"&ensp;", 0x2002},
                  {"&emsp;", 0x2003},
                  {"&emsp13;", 0x2004},
                  {"&emsp14;", 0x2005},
                  {"&numsp;", 0x2007},
                  {"&puncsp;", 0x2008},
                  {"&thinsp;", 0x2009},
                  {"&ThinSpace;", 0x2009},
                  {"&hairsp;", 0x200A},
                  {"&VeryThinSpace;", 0x200A},
                  {"&MediumSpace;", 0x205F},
                  {"&Tab;", '\t'},
                  {"&NewLine;", '\n'},
                  {"&ZeroWidthSpace;", 0x200B},
                  {"&zwnj;", 0x200C},
                  {"&zwj;", 0x200D},
                  {"&lrm;", 0x200E},
                  {"&rlm;", 0x200F},
                  {"&NoBreak;", 0x2060},
                  {"&af;", 0x2061},
                  {"&ApplyFunction;", 0x2061},
                  {"&it;", 0x2062},
                  {"&InvisibleTimes;", 0x2062},
                  {"&ic;", 0x2063},
                  {"&InvisibleComma;", 0x2063},
                  {"&shy;", 0xAD},
                  // dashes, dots and the single separators
                  {"&ndash;", 0x2013},
                  {"&mdash;", 0x2014},
                  {"&horbar;", 0x2015},
                  {"&minus;", 0x2212},
                  {"&hyphen;", 0x2010},
                  {"&dash;", 0x2010},
                  {"&boxh;", 0x2500},
                  {"&HorizontalLine;", 0x2500},
                  {"&middot;", 0xB7},
                  {"&centerdot;", 0xB7},
                  {"&CenterDot;", 0xB7},
                  {"&bull;", 0x2022},
                  {"&bullet;", 0x2022},
                  {"&hellip;", 0x2026},
                  {"&mldr;", 0x2026},
                  {"&period;", '.'},
                  {"&comma;", ','},
                  {"&colon;", ':'},
                  {"&sol;", '/'},
                  {"&lowbar;", '_'},
                  {"&plus;", '+'},
                  {"&ast;", '*'},
                  {"&midast;", '*'},
                  {"&vert;", '|'},
                  {"&verbar;", '|'},
                  {"&VerticalLine;", '|'},
                  {"&bsol;", '\\'},
                  {"&tilde;", 0x2DC},
                  {"&sim;", 0x223C},
                  {"&commat;", '@'},
                  // legacy references browsers read without the ';' ("010&nbsp1234")
                  {"&nbsp", 0xA0},
                  {"&shy", 0xAD},
                  {"&middot", 0xB7}};
    for (const auto& named : kNamed) {
      if (t.substr(i).starts_with(named.name)) {
        *cp = named.cp;
        return named.name.size();
      }
    }
    if (t.size() - i < 4 || t[i + 1] != '#') return 0;
    const bool hex = t[i + 2] == 'x' || t[i + 2] == 'X';
    size_t k = i + (hex ? 3 : 2);
    uint32_t v = 0;
    size_t digits = 0;  // significant ones: leading zeros ("&#00000045;") are read through
    bool any = false;
    for (; k < t.size() && digits <= 7; ++k) {
      const int h = hex ? HexValue(t[k]) : (t[k] >= '0' && t[k] <= '9' ? t[k] - '0' : -1);
      if (h < 0) break;
      any = true;
      if (v == 0 && h == 0) continue;
      v = v * (hex ? 16 : 10) + static_cast<uint32_t>(h);
      ++digits;
    }
    if (!any || digits > 7 || k >= t.size() || t[k] != ';') return 0;
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return k + 1 - i;
  }
  return 0;
}

// Whether `text` holds an escape EscapeAt decodes (one memchr pass per
// escape character: most texts hold none of them, or few).
bool HasEscape(std::string_view text) {
  for (const char c : {'%', '\\', '&'}) {
    for (size_t i = 0; i < text.size();) {
      const void* hit = std::memchr(text.data() + i, c, text.size() - i);
      if (hit == nullptr) break;
      i = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
      uint32_t cp = 0;
      if (EscapeAt(text, i, &cp) != 0) return true;
      ++i;
    }
  }
  return false;
}

}  // namespace

bool MayNormalizeToDigitAtOrColon(std::string_view text) {
  static const DigitTable kTable;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (!kTable.lead[b0]) continue;
    if (b0 < 0x80) return true;
    uint32_t cp = 0;
    const size_t len = unicode::DecodeUtf8(text, i, &cp);
    if (len == 0 || cp >= 0x20000) return true;  // malformed (the scan reports it), or above plane 1
    if (((kTable.bits[cp / 64] >> (cp % 64)) & 1) != 0) return true;
    i += len - 1;
  }
  return false;
}

Result<NormalizedText> NormalizedText::Create(std::string_view original) {
  NormalizedText out;
  if (Status st = CreateInto(original, &out); !st.ok()) return st.error();
  return out;
}

Status NormalizedText::CreateInto(std::string_view original, NormalizedText* out) {
  Status st = CreateReadingEscapes(original, out);
  if (st.ok()) out->CollapseSeparatorRuns();
  return st;
}

namespace {

// The separators the detectors take between digit groups (defaults.cc's
// kSep) but ':' (an IPv6 address's "::" is no run) and '*' (a mask: "11**-****"
// is a number masked in part, partly_masked.h): a run of them typed
// between two digits reads as one blank.
bool IsRunSeparator(char c) {
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '/':
    case '~':
    case ',':
    case '|':
    case '\\':
    case '+':
    case ';': return true;
    default: return false;
  }
}
bool IsBlankByte(char c) {
  return c == ' ' || c == '\t';
}
bool IsAsciiDigitByte(char c) {
  return c >= '0' && c <= '9';
}

// A run of separators between digit groups: [begin, end) covers the blanks
// before it (up to two), two or more separators (up to two blanks between
// them: "010 - - 1234") and the blanks after it (up to two); empty when the
// separators at t[i] are no such run (fewer than two, or no digit on a side).
struct SeparatorRun {
  size_t begin = 0, end = 0;
  [[nodiscard]] bool empty() const { return end == 0; }
};
SeparatorRun RunAt(std::string_view t, size_t i) {
  size_t b = i;
  for (int k = 0; k < 2 && b > 0 && IsBlankByte(t[b - 1]); ++k) --b;
  if (b == 0 || !IsAsciiDigitByte(t[b - 1])) return {};
  size_t e = i;
  size_t seps = 0;
  size_t last = i;  // just past the last separator
  while (e < t.size()) {
    if (IsRunSeparator(t[e])) {
      ++seps;
      last = ++e;
      continue;
    }
    size_t k = e;
    while (k < t.size() && k - e < 2 && IsBlankByte(t[k])) ++k;
    if (k == e || k == t.size() || !IsRunSeparator(t[k])) break;
    e = k;
  }
  if (seps < 2) return {};
  size_t d = last;
  for (int k = 0; k < 2 && d < t.size() && IsBlankByte(t[d]); ++k) ++d;
  if (d == t.size() || !IsAsciiDigitByte(t[d])) return {};
  return {b, d};
}

// The first separator after the digit at t[d] (up to two blanks between),
// or npos.
size_t SeparatorAfterDigit(std::string_view t, size_t d) {
  size_t k = d + 1;
  for (int n = 0; n < 2 && k < t.size() && IsBlankByte(t[k]); ++n) ++k;
  return k < t.size() && IsRunSeparator(t[k]) ? k : std::string_view::npos;
}

// The first separator of the first such run, or npos. On the scanner's hot
// path for every text: a run follows a digit, so a digit followed by a
// separator or a blank is looked for 16 bytes at a time (a text without
// digits pays one compare per block: the first version, which looked for
// separators first, doubled a plain text's scan).
size_t FindSeparatorRun(std::string_view t) {
  const size_t n = t.size();
  size_t i = 0;
  const auto check = [&](size_t d) {  // the digit at d
    const size_t k = SeparatorAfterDigit(t, d);
    return k != std::string_view::npos && !RunAt(t, k).empty() ? k : std::string_view::npos;
  };
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  const __m128i below_zero = _mm_set1_epi8('0' - 1);
  const __m128i above_nine = _mm_set1_epi8('9' + 1);
  for (; i + 16 <= n; i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.data() + i));
    auto digits = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(a, below_zero), _mm_cmplt_epi8(a, above_nine))));
    if (digits == 0) continue;
    __m128i sep = _mm_or_si128(_mm_cmpeq_epi8(a, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(a, _mm_set1_epi8('\t')));
    for (const char c : {'-', '.', '_', '/', '~', ',', '|', '\\', '+', ';'})
      sep = _mm_or_si128(sep, _mm_cmpeq_epi8(a, _mm_set1_epi8(c)));
    const auto next = static_cast<unsigned>(_mm_movemask_epi8(sep)) >> 1;
    // A digit followed by a separator or blank in this block, and the last
    // byte's digit whatever follows it (the next block's first byte).
    for (unsigned cand = (digits & next) | (digits & 0x8000U); cand != 0; cand &= cand - 1) {
      const size_t k = check(i + static_cast<size_t>(std::countr_zero(cand)));
      if (k != std::string_view::npos) return k;
    }
  }
#endif
  for (; i < n; ++i)
    if (IsAsciiDigitByte(t[i])) {
      const size_t k = check(i);
      if (k != std::string_view::npos) return k;
    }
  return std::string_view::npos;
}

}  // namespace

// A separator typed twice or more between digit groups (a review found
// "900101--1234568", "010..1234..5678" and a card with "--" passing after
// their labels) reads as one blank, the blanks around it with it: a blank
// joins a number's groups as the patterns take them, and, unlike a '.' or
// '-', does not glue a number to the one after the run ("02-123-4567...3회":
// a later review found the first version, which kept the run's first
// character, passing such numbers). The blank maps to the run's first
// separator; the rest are removed as a zero-width character is, so spans
// still cover them.
void NormalizedText::CollapseSeparatorRuns() {
  const std::string_view t = text();
  const size_t first = FindSeparatorRun(t);
  if (first == std::string_view::npos) return;
  if (identity_) {  // copy the text, each byte mapped to its character
    const size_t n = original_.size();
    normalized_.assign(original_);
    src_begin_.resize(n);
    src_end_.resize(n);
    for (size_t i = 0; i < n;) {
      const auto b0 = static_cast<unsigned char>(original_[i]);
      const size_t len = std::min(n - i, static_cast<size_t>(b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4));
      for (size_t k = 0; k < len; ++k) {
        src_begin_[i + k] = static_cast<uint32_t>(i);
        src_end_[i + k] = static_cast<uint32_t>(i + len);
      }
      i += len;
    }
    identity_ = false;
  }
  // Compact from the first run on, the runs read in the text as it was
  // (rare: only texts with such a run pay for the copy).
  const std::string before = normalized_;
  size_t o = first;
  for (size_t i = first; i < before.size(); ++i, ++o) {
    const SeparatorRun run = IsRunSeparator(before[i]) ? RunAt(before, i) : SeparatorRun{};
    if (!run.empty()) o -= i - run.begin;  // the blanks before it, copied already
    normalized_[o] = run.empty() ? before[i] : ' ';
    src_begin_[o] = src_begin_[i];
    src_end_[o] = src_end_[i];
    if (escaped_) {
      mid_begin_[o] = mid_begin_[i];
      mid_end_[o] = mid_end_[i];
    }
    if (!run.empty()) i = run.end - 1;
  }
  normalized_.resize(o);
  src_begin_.resize(o);
  src_end_.resize(o);
  if (escaped_) {
    mid_begin_.resize(o);
    mid_end_.resize(o);
  }
}

Status NormalizedText::CreateReadingEscapes(std::string_view original, NormalizedText* out) {
  if (Status st = CreateUnescaped(original, out); !st.ok() || !HasEscape(original)) return st;
  // Read through the escapes: decode them (every other byte copied), each
  // decoded byte mapped to its escape, normalize the decoded text, and map
  // each normalized byte through both maps to the original.
  thread_local std::string decoded;
  thread_local std::vector<uint32_t> dec_begin, dec_end;
  thread_local NormalizedText inner;
  decoded.clear();
  dec_begin.clear();
  dec_end.clear();
  for (size_t i = 0; i < original.size();) {
    uint32_t cp = 0;
    size_t len = EscapeAt(original, i, &cp);
    if (len != 0) {
      unicode::AppendUtf8(cp, &decoded);
    } else {
      len = 1;
      decoded.push_back(original[i]);
    }
    dec_begin.resize(decoded.size(), static_cast<uint32_t>(i));
    dec_end.resize(decoded.size(), static_cast<uint32_t>(i + len));
    i += len;
  }
  if (Status st = CreateUnescaped(decoded, &inner); !st.ok()) return st;  // (valid: checked above)
  const std::string_view t = inner.text();
  out->original_ = original;
  out->identity_ = false;
  out->escaped_ = true;
  out->normalized_.assign(t);
  out->src_begin_.resize(t.size());
  out->src_end_.resize(t.size());
  // Seam reads the decoded text: each normalized byte's character there.
  out->decoded_.assign(decoded);
  out->mid_begin_.resize(t.size());
  out->mid_end_.resize(t.size());
  for (size_t o = 0; o < t.size();) {
    size_t b = o;
    size_t e = o + 1;
    size_t len = 1;
    if (inner.identity_) {  // the bytes of one character of the decoded text
      const auto b0 = static_cast<unsigned char>(t[o]);
      len = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
      e = o + len;
    } else {
      b = inner.src_begin_[o];
      e = inner.src_end_[o];
    }
    for (size_t k = 0; k < len; ++k) {
      out->mid_begin_[o + k] = static_cast<uint32_t>(b);
      out->mid_end_[o + k] = static_cast<uint32_t>(e);
      out->src_begin_[o + k] = dec_begin[b];
      out->src_end_[o + k] = dec_end[e - 1];
    }
    o += len;
  }
  return Status::Ok();
}

Status NormalizedText::CreateUnescaped(std::string_view original, NormalizedText* out) {
  out->original_ = std::string_view();
  out->escaped_ = false;
  out->identity_ = true;
  if (original.size() >= std::numeric_limits<uint32_t>::max()) {
    return Error(ErrorCode::kTextTooLarge, "text of 4 GiB or more cannot be scanned");
  }
  const auto* s = reinterpret_cast<const unsigned char*>(original.data());
  const size_t n = original.size();
  const LeadTable& leads = Leads();
  // s[0, plain): ASCII without a control to remove. Long texts go to the
  // vector check at once where there is one (it reads ASCII 32 bytes at a
  // time); short ones and machines without AVX2 skip ASCII 8 bytes at a time.
  size_t plain = 0;
#ifdef MASKPROXY_DETECT_AVX2
  constexpr size_t kVectorFrom = 128;
  if (n < kVectorFrom || !HasAvx2()) plain = SkipPlain(s, n, 0, leads);
#else
  plain = SkipPlain(s, n, 0, leads);
#endif
  if (plain == n) {  // pure ASCII, no control to remove: identity
    out->original_ = original;
    return Status::Ok();
  }

  // Validate the UTF-8 and find the first character that normalization
  // changes; without one (most Korean text) the map is the identity too.
  // Only characters whose lead byte can start a changed one are decoded.
  bool validated = false;
  size_t first_change = n;
#ifdef MASKPROXY_DETECT_AVX2
  if (HasAvx2()) {
    size_t change = 0;
    validated = ValidateAvx2(original.substr(plain), leads, &change);
    if (validated) {
      if (change == n - plain) {
        out->original_ = original;
        return Status::Ok();
      }
      first_change = plain + change;
    }
    // Malformed: the loop below finds where.
  }
#endif
  // The length of a character of validated text from its lead byte.
  auto length = [](unsigned char b0) -> size_t { return b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4; };
  if (!validated) {
    for (size_t i = plain; i < n;) {
      if (s[i] < 0x80) {
        if (first_change == n && leads.may_change[s[i]]) first_change = i;
        i = SkipPlain(s, n, i + 1, leads);
        continue;
      }
      const size_t len = SequenceLength(s, n, i);
      if (len == 0) return Error(ErrorCode::kInvalidUtf8, "malformed UTF-8 at byte " + std::to_string(i));
      if (first_change == n && ChangesAt(original, i, leads)) first_change = i;
      i += len;
    }
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
    if (ChangesAt(original, i, leads)) {
      uint32_t cp = 0;
      (void)unicode::DecodeUtf8(original, i, &cp);  // validated above
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

namespace {

// The characters Seam keeps apart (see normalize.h): folded to an ASCII
// character, and neither full-width ASCII, a Unicode dash, nor a digit of a
// script (Numeric_Type Decimal).
bool StandsApart(uint32_t cp) {
  if (cp < 0x80 || (cp >= 0xFF01 && cp <= 0xFF5E) || unicode::IsDash(cp)) return false;
  const int r = Replacement(cp);
  if (r == kKeep || r == kRemove || r == ' ') return false;
  return !(r >= '0' && r <= '9' && unicode::IsDecimalDigit(cp));
}

}  // namespace

bool NormalizedText::SeamCopied(size_t i) const {
  // The characters as a reader sees them: the original's, or after escapes
  // the decoded text's ("&#9312;" is a circled one, apart like "①").
  const std::string_view base = escaped_ ? std::string_view(decoded_) : original_;
  const std::vector<uint32_t>& sb = escaped_ ? mid_begin_ : src_begin_;
  const std::vector<uint32_t>& se = escaped_ ? mid_end_ : src_end_;
  const uint32_t before = sb[i - 1];
  const uint32_t at = sb[i];
  if (before == at) return false;
  // The common case, on the scanner's hot path: two ASCII characters with
  // nothing removed before, between or after them.
  const auto* o = reinterpret_cast<const unsigned char*>(base.data());
  if (o[before] < 0x80 && o[at] < 0x80 && se[i - 1] == at &&
      (i + 1 == sb.size() ? se[i] == base.size() : se[i] == sb[i + 1])) {
    return false;
  }
  uint32_t a = 0;
  uint32_t b = 0;
  if (unicode::DecodeUtf8(base, before, &a) == 0 || unicode::DecodeUtf8(base, at, &b) == 0) return false;
  if (StandsApart(a) != StandsApart(b)) return true;
  // A removed enclosing mark after either makes it a keycap or a circled
  // sign ("1\uFE0F\u20E3" + "010-...", "...5678" + "1\u20DD"): apart.
  size_t last = i;  // the last normalized byte of the character at i
  while (last + 1 < sb.size() && sb[last + 1] == at) ++last;
  const size_t after_end = last + 1 < sb.size() ? sb[last + 1] : base.size();
  return EnclosedBetween(base, se[i - 1], at) || EnclosedBetween(base, se[i], after_end);
}

bool NormalizedText::EnclosedBetween(std::string_view base, size_t from, size_t to) {
  for (size_t k = from; k < to;) {
    uint32_t cp = 0;
    const size_t len = unicode::DecodeUtf8(base, k, &cp);
    if (len == 0) return false;
    if (unicode::IsEnclosingMark(cp)) return true;
    k += len;
  }
  return false;
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
