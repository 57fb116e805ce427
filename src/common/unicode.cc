#include "common/unicode.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/uspoof.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iterator>
#include <span>
#include <utility>
#include <vector>

namespace maskproxy::unicode {

size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
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
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return len;
}

size_t FirstInvalidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsDefaultIgnorable(uint32_t cp) {
  if (cp < 0xAD) return false;
  if (cp < 0x2000)
    return cp == 0x00AD || cp == 0x034F || cp == 0x061C || cp == 0x115F || cp == 0x1160 || cp == 0x17B4 ||
           cp == 0x17B5 || (cp >= 0x180B && cp <= 0x180F);
  if (cp < 0x10000)
    return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) ||
           cp == 0x3164 || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || cp == 0xFFA0 ||
           (cp >= 0xFFF0 && cp <= 0xFFF8);
  return (cp >= 0x1BCA0 && cp <= 0x1BCA3) || (cp >= 0x1D173 && cp <= 0x1D17A) || (cp >= 0xE0000 && cp <= 0xE0FFF);
}

bool IsWhiteSpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool IsLetterOrDigit(uint32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
  if (IsHidden(cp) || u_charType(static_cast<UChar32>(cp)) == U_MODIFIER_LETTER) return false;
  return u_isalnum(static_cast<UChar32>(cp)) != 0;
}

bool IsFormat(uint32_t cp) {
  return cp >= 0xAD && u_charType(static_cast<UChar32>(cp)) == U_FORMAT_CHAR;
}

bool LooksBlank(uint32_t cp) {
  if (cp < 0x80) return false;
  if (cp == 0x2800 || (cp >= 0x2062 && cp <= 0x2064)) return true;
  const auto type = static_cast<UCharCategory>(u_charType(static_cast<UChar32>(cp)));
  return type == U_FORMAT_CHAR || type == U_UNASSIGNED || type == U_PRIVATE_USE_CHAR || type == U_SURROGATE;
}

namespace {
inline bool ByteMayFold(unsigned char c) {
  return c <= 0x20 || c >= 0x7F || (c >= 'A' && c <= 'Z');
}
}  // namespace

bool NameMayFold(std::string_view name) {
  // Eight bytes at a time (SWAR): member names are checked on the record
  // path, once per name that matched no rule at a level rules descend into.
  constexpr uint64_t k01 = 0x0101010101010101ULL;
  constexpr uint64_t k80 = 0x8080808080808080ULL;
  const char* p = name.data();
  size_t n = name.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (w & k80) break;  // a byte >= 0x80: byte by byte from here
    // Every byte is < 0x80 here, so the per-byte sums below never carry.
    const uint64_t ge21 = (w + k01 * (0x80 - 0x21)) & k80;  // byte >= 0x21
    const uint64_t ge7f = (w + k01 * (0x80 - 0x7F)) & k80;  // byte >= 0x7F
    const uint64_t ge41 = (w + k01 * (0x80 - 0x41)) & k80;  // byte >= 'A'
    const uint64_t ge5b = (w + k01 * (0x80 - 0x5B)) & k80;  // byte > 'Z'
    if ((ge21 ^ k80) | ge7f | (ge41 & ~ge5b)) return true;
  }
  while (n > 0) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x80) {
      if (ByteMayFold(c)) return true;
      ++p;
      --n;
      continue;
    }
    // A precomposed Hangul syllable (U+AC00..U+D7A3, UTF-8 EA B0 80 ..
    // ED 9E A3) is its own NFKC case fold, and nothing that can follow it
    // here (another syllable, ASCII that does not fold) composes with it:
    // Korean member names need no folding. Any other non-ASCII may fold.
    if (c < 0xEA || c > 0xED || n < 3) return true;
    const auto c1 = static_cast<unsigned char>(p[1]);
    const auto c2 = static_cast<unsigned char>(p[2]);
    if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80) return true;
    const uint32_t cp = ((c & 0x0Fu) << 12) | ((c1 & 0x3Fu) << 6) | (c2 & 0x3Fu);
    if (cp < 0xAC00 || cp > 0xD7A3) return true;
    p += 3;
    n -= 3;
  }
  return false;
}

bool IsDash(uint32_t cp) {
  return (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFE58 || cp == 0xFE63 || cp == 0xFF0D;
}

int DigitValue(uint32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9' ? static_cast<int>(cp - '0') : -1;
  const auto c = static_cast<UChar32>(cp);
  const int32_t type = u_getIntPropertyValue(c, UCHAR_NUMERIC_TYPE);
  if (type != U_NT_DECIMAL && type != U_NT_DIGIT) {
    // Digits Unicode gives only Numeric_Type Numeric: the Medefaidrin digits
    // and the dingbat circled sans-serif zeros (their 1-9, U+2780-2793, are
    // Digit). Not every Numeric: that takes in 一 and Ⅰ.
    if (cp >= 0x16E80 && cp <= 0x16E89) return static_cast<int>(cp - 0x16E80);
    // DIGIT ZERO FULL STOP, DIGIT ZERO COMMA ... DIGIT NINE COMMA (NFKC "0.", "9,").
    if (cp == 0x1F100) return 0;
    if (cp >= 0x1F101 && cp <= 0x1F10A) return static_cast<int>(cp - 0x1F101);
    return cp == 0x1F10B || cp == 0x1F10C ? 0 : -1;
  }
  const double value = u_getNumericValue(c);
  return value >= 0 && value <= 9 && value == static_cast<int>(value) ? static_cast<int>(value) : -1;
}

namespace {

// The letter of a Latin letter form NFKC leaves alone, by its Unicode name:
// small capitals (ʀ ᴄ ꜱ: "LATIN LETTER SMALL CAPITAL C"), negative circled
// and squared letters (🅒 🅲) and parenthesized ones (⒞, NFKC "(c)"); only
// in the blocks that hold them, and not a letter with a stroke, hook or
// other mark ("... WITH STROKE") or a regional indicator (flags).
int LetterByName(UChar32 c) {
  const bool block = (c >= 0x0250 && c <= 0x02AF) || (c >= 0x1D00 && c <= 0x1D7F) || (c >= 0xA730 && c <= 0xA7FF) ||
                     (c >= 0x2490 && c <= 0x24FF) || (c >= 0x1F100 && c <= 0x1F1E5);
  if (!block) return -1;
  char name[128];
  UErrorCode status = U_ZERO_ERROR;
  const int32_t len = u_charName(c, U_UNICODE_CHAR_NAME, name, sizeof(name), &status);
  if (U_FAILURE(status) || len <= 0 || len >= static_cast<int32_t>(sizeof(name))) return -1;
  const std::string_view n(name, static_cast<size_t>(len));
  if (n.find("LATIN") == std::string_view::npos || n.find(" WITH ") != std::string_view::npos) return -1;
  const char x = n.back();
  if (len < 3 || n[n.size() - 2] != ' ' || x < 'A' || x > 'Z') return -1;
  for (std::string_view form : {"LATIN LETTER SMALL CAPITAL ", "LATIN CAPITAL LETTER ", "LATIN SMALL LETTER "}) {
    if (n.size() >= form.size() + 1 && n.substr(n.size() - form.size() - 1, form.size()) == form)
      return form == "LATIN CAPITAL LETTER " ? x : x + 32;
  }
  return -1;
}

}  // namespace

int AsciiLetterOf(uint32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z' ? static_cast<int>(cp) : -1;
  const auto c = static_cast<UChar32>(cp);
  if (const int letter = LetterByName(c); letter >= 0) return letter;
  // The property is a trie lookup: only the few thousand code points with a
  // decomposition at all ask the normalizer for it.
  if (u_getIntPropertyValue(c, UCHAR_DECOMPOSITION_TYPE) == U_DT_NONE) return -1;
  static const icu::Normalizer2* const nfkc = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  icu::UnicodeString mapping;
  if (nfkc == nullptr || !nfkc->getDecomposition(c, mapping) || mapping.length() != 1) return -1;
  const char16_t letter = mapping.charAt(0);
  return letter < 0x80 && (letter | 0x20) >= 'a' && (letter | 0x20) <= 'z' ? static_cast<int>(letter) : -1;
}

bool IsDecimalDigit(uint32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return u_getIntPropertyValue(static_cast<UChar32>(cp), UCHAR_NUMERIC_TYPE) == U_NT_DECIMAL;
}

bool IsCombiningMark(uint32_t cp) {
  if (cp < 0x300) return false;
  const int8_t type = u_charType(static_cast<UChar32>(cp));
  return type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK;
}

bool IsEnclosingMark(uint32_t cp) {
  return cp >= 0x300 && u_charType(static_cast<UChar32>(cp)) == U_ENCLOSING_MARK;
}

namespace {

// Drops white space, control characters and default-ignorable code points,
// maps full-width ASCII to ASCII and lower-cases ASCII letters; bytes that
// are not UTF-8 are kept. Sets *non_ascii when anything non-ASCII is left.
std::string Strip(std::string_view name, bool* non_ascii) {
  std::string out;
  out.reserve(name.size());
  *non_ascii = false;
  for (size_t i = 0; i < name.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(name, i, &cp);
    if (len == 0) {  // not UTF-8: kept as it is
      out.push_back(name[i]);
      *non_ascii = true;
      ++i;
      continue;
    }
    i += len;
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp = cp - 0xFF01 + 0x21;  // full-width ASCII
    // What a reader sees as nothing or as a blank (LooksBlank: format,
    // unassigned and private-use code points, U+2800), and the object and
    // replacement characters (U+FFFC, U+FFFD: a box or a '?' where the name
    // had something no one can read). Found by review: "rrn\ue000" passed a
    // keep route beside a rule on rrn.
    if (IsWhiteSpace(cp) || IsControl(cp) || IsDefaultIgnorable(cp) || LooksBlank(cp) || cp == 0xFFFC || cp == 0xFFFD)
      continue;
    if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    if (IsDash(cp)) cp = '-';
    // The ideographic full stops (U+3002, its half-width form U+FF61), which
    // IDNA reads as a dot: "user\u3002rrn" is user.rrn to a flattener.
    if (cp == 0x3002 || cp == 0xFF61) cp = '.';
    if (cp >= 0x80) *non_ascii = true;
    AppendUtf8(cp, &out);
  }
  return out;
}

const icu::Normalizer2* NfkcCasefold() {
  static const icu::Normalizer2* const instance = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return instance;
}

// NFKC_Casefold of each run of valid UTF-8; other bytes are copied.
std::string NormalizeRuns(const icu::Normalizer2& nfkc_cf, std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 2);
  icu::StringByteSink<std::string> sink(&out);
  size_t i = 0;
  while (i < in.size()) {
    size_t j = i;
    uint32_t cp = 0;
    for (size_t len; j < in.size() && (len = DecodeUtf8(in, j, &cp)) != 0;) j += len;
    if (j > i) {
      UErrorCode status = U_ZERO_ERROR;
      nfkc_cf.normalizeUTF8(0, icu::StringPiece(in.data() + i, static_cast<int32_t>(j - i)), sink, nullptr, status);
      if (U_FAILURE(status)) out.append(in.data() + i, j - i);  // not expected for valid UTF-8
    }
    if (j < in.size()) out.push_back(in[j++]);  // one byte that is not UTF-8
    i = j;
  }
  return out;
}

// The letters of other scripts a reader takes for a Latin one, as that
// ASCII letter (lower case: names fold case): capitals before case folding
// (kCapitalLookAlikes: Greek Ν reads as N, though its small ν reads as v),
// small letters after it (kLookAlikes). The dotless i (U+0131, which Java's
// Turkish-locale toLowerCase and equalsIgnoreCase make of I: found by review,
// "recıpients" passed beside recipients while "İ" was refused), the dotless
// j, Latin alpha and script g; Cyrillic А В Е І Ј К М Н О Р С Т У Х Ѕ Һ Ӏ Ү
// and а в е і ј к м н о р с т у х ѕ һ ԁ ԛ ԝ ӏ ү; Greek Α Β Ε Ζ Η Ι Κ Μ Ν Ο
// Ρ Τ Υ Χ and α γ ε η ι κ μ ν ο ρ τ υ χ ω; Armenian Ս Օ and հ ո ս զ օ.
// Each sorted by code point.
using LookAlike = std::pair<uint32_t, char>;
constexpr LookAlike kCapitalLookAlikes[] = {
    {0x0391, 'a'}, {0x0392, 'b'}, {0x0395, 'e'}, {0x0396, 'z'}, {0x0397, 'h'}, {0x0399, 'i'}, {0x039A, 'k'},
    {0x039C, 'm'}, {0x039D, 'n'}, {0x039F, 'o'}, {0x03A1, 'p'}, {0x03A4, 't'}, {0x03A5, 'y'}, {0x03A7, 'x'},
    {0x0405, 's'}, {0x0406, 'i'}, {0x0408, 'j'}, {0x0410, 'a'}, {0x0412, 'b'}, {0x0415, 'e'}, {0x041A, 'k'},
    {0x041C, 'm'}, {0x041D, 'h'}, {0x041E, 'o'}, {0x0420, 'p'}, {0x0421, 'c'}, {0x0422, 't'}, {0x0423, 'y'},
    {0x0425, 'x'}, {0x04AE, 'y'}, {0x04BA, 'h'}, {0x04C0, 'l'}, {0x054D, 'u'}, {0x0555, 'o'},
};
constexpr LookAlike kLookAlikes[] = {
    {0x0131, 'i'}, {0x0237, 'j'}, {0x0251, 'a'}, {0x0261, 'g'}, {0x03B1, 'a'}, {0x03B3, 'y'}, {0x03B5, 'e'},
    {0x03B7, 'n'}, {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03BC, 'u'}, {0x03BD, 'v'}, {0x03BF, 'o'}, {0x03C1, 'p'},
    {0x03C4, 't'}, {0x03C5, 'u'}, {0x03C7, 'x'}, {0x03C9, 'w'}, {0x0430, 'a'}, {0x0432, 'b'}, {0x0435, 'e'},
    {0x043A, 'k'}, {0x043C, 'm'}, {0x043D, 'h'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0442, 't'},
    {0x0443, 'y'}, {0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x04AF, 'y'}, {0x04BB, 'h'},
    {0x04CF, 'l'}, {0x0501, 'd'}, {0x051B, 'q'}, {0x051D, 'w'}, {0x0566, 'q'}, {0x0570, 'h'}, {0x0578, 'n'},
    {0x057D, 'u'}, {0x0585, 'o'},
};

// The Latin small capitals, each its letter (a reader takes "RRɴ" for RRN;
// found by review: Unicode's confusables map only some of them). Sorted.
constexpr LookAlike kSmallCapitals[] = {
    {0x0262, 'g'}, {0x026A, 'i'}, {0x0274, 'n'}, {0x0280, 'r'}, {0x028F, 'y'}, {0x0299, 'b'}, {0x029C, 'h'},
    {0x029F, 'l'}, {0x1D00, 'a'}, {0x1D04, 'c'}, {0x1D05, 'd'}, {0x1D07, 'e'}, {0x1D0A, 'j'}, {0x1D0B, 'k'},
    {0x1D0D, 'm'}, {0x1D0F, 'o'}, {0x1D18, 'p'}, {0x1D1B, 't'}, {0x1D1C, 'u'}, {0x1D20, 'v'}, {0x1D21, 'w'},
    {0x1D22, 'z'}, {0xA730, 'f'}, {0xA731, 's'}, {0xA7AF, 'q'},
};

// The characters of other scripts that Unicode's confusables (UTS #39: the
// skeletons of ICU's spoof checker) take for one ASCII letter or digit, as
// that character in lower case, or for "rn", as 'm': Lisu ꓣ and Cherokee Ꮢ
// read as R, Armenian ռ as n, ꭇ as r, Lisu ꓳ as O (found by review: "ꓣꓣꓠ",
// "ᏒᏒN", "rrռ" and "ꓑꓧꓳꓠꓰ" passed keep routes beside rrn and phone).
// Sorted by code point; built once, by asking ICU for the skeleton of each
// assigned code point below U+20000 that is not a Hangul syllable, a CJK
// ideograph or private use (some 40,000, about 60 ms); empty when ICU's
// confusables data does not load, and FoldingAvailable then says so.
const std::vector<LookAlike>& Confusables() {
  static const std::vector<LookAlike> table = [] {
    std::vector<LookAlike> t;
    UErrorCode status = U_ZERO_ERROR;
    USpoofChecker* checker = uspoof_open(&status);
    if (U_FAILURE(status) || checker == nullptr) return t;
    for (UChar32 cp = 0x80; cp < 0x20000; ++cp) {
      if ((cp >= 0x3400 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xD800 && cp <= 0xF8FF)) continue;
      if (u_charType(cp) == U_UNASSIGNED) continue;
      UChar in[2];
      int32_t in_len = 0;
      U16_APPEND_UNSAFE(in, in_len, cp);
      UChar out[4];
      UErrorCode s = U_ZERO_ERROR;
      const int32_t n = uspoof_getSkeleton(checker, 0, in, in_len, out, 4, &s);
      if (U_FAILURE(s)) continue;
      char c = 0;
      if (n == 1 && out[0] < 0x80 && std::isalnum(out[0])) c = static_cast<char>(std::tolower(out[0]));
      if (n == 2 && out[0] == 'r' && out[1] == 'n') c = 'm';
      if (c != 0) t.emplace_back(static_cast<uint32_t>(cp), c);
    }
    uspoof_close(checker);
    return t;
  }();
  return table;
}

// The entry of sorted `table` for cp, or null.
const LookAlike* Find(std::span<const LookAlike> table, uint32_t cp) {
  const auto it =
      std::lower_bound(table.begin(), table.end(), cp, [](const LookAlike& e, uint32_t c) { return e.first < c; });
  return it != table.end() && it->first == cp ? &*it : nullptr;
}

// The ASCII letter or digit a reader takes cp for (the tables above), or 0.
char LatinLookAlike(uint32_t cp) {
  if (cp < 0x80) return 0;
  for (std::span<const LookAlike> table :
       {std::span<const LookAlike>(kCapitalLookAlikes), std::span<const LookAlike>(kLookAlikes),
        std::span<const LookAlike>(kSmallCapitals), std::span(Confusables())})
    if (const LookAlike* e = Find(table, cp)) return e->second;
  return 0;
}

// `in` with each look-alike of `table` as its Latin letter.
std::string WithLatinLookAlikes(const std::string& in, std::span<const LookAlike> table) {
  std::string out;
  out.reserve(in.size());
  bool changed = false;
  for (size_t i = 0; i < in.size();) {
    uint32_t cp = 0;
    const size_t len = static_cast<unsigned char>(in[i]) < 0x80 ? 0 : DecodeUtf8(in, i, &cp);
    if (len != 0) {
      if (const LookAlike* e = Find(table, cp)) {
        out.push_back(e->second);
        changed = true;
        i += len;
        continue;
      }
    }
    const size_t n = len == 0 ? 1 : len;
    out.append(in, i, n);
    i += n;
  }
  return changed ? out : in;
}

// Without the marks a reader does not see as letters of their own (Mn, Me
// on a Latin, Greek or Cyrillic letter: "rrn\u0301", "r\u0332rn" read as
// rrn, as ICU's and Elasticsearch's ASCII folding read them; precomposed
// accents too, "rrń"; not kana voicing marks or Indic vowel signs) and the
// format characters that are not default-ignorable (Cf: U+FFF9-FFFB, the
// Egyptian format controls U+13430-1343F): decomposed (NFD), stripped,
// recomposed (NFC; Hangul decomposes to jamo, which are letters). Found
// by review: such names passed a keep route's check for names that look like
// a protected one. Bytes that are not UTF-8 are kept.
std::string WithoutMarks(const std::string& in) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status) || nfd == nullptr) return in;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status) || nfc == nullptr) return in;
  const std::string decomposed = NormalizeRuns(*nfd, in);
  std::string kept;
  kept.reserve(decomposed.size());
  bool dropped = false;
  uint32_t base = 0;  // the last character that is no mark
  for (size_t i = 0; i < decomposed.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(decomposed, i, &cp);
    if (len == 0) {
      kept.push_back(decomposed[i++]);
      continue;
    }
    i += len;
    // Format characters anywhere; marks only on a Latin, Greek or Cyrillic
    // letter or one a reader takes for a Latin letter (accents, underlines):
    // a kana's voicing mark or an Indic or Thai vowel sign is a letter of its
    // own ("バス" is not "ハス").
    const bool format = cp >= 0x300 && u_charType(static_cast<UChar32>(cp)) == U_FORMAT_CHAR;
    if (format || (cp >= 0x300 && IsCombiningMark(cp) && (base < 0x530 || LatinLookAlike(base) != 0))) {
      dropped = true;
      continue;
    }
    if (!IsCombiningMark(cp)) base = cp;
    AppendUtf8(cp, &kept);
  }
  return dropped ? NormalizeRuns(*nfc, kept) : in;
}

}  // namespace

std::string FoldHeaderName(std::string_view name) {
  std::string f = FoldName(name);
  // CGI and WSGI name a header HTTP_X_PHONE; a bridge that keeps the prefix
  // keeps it so (with '_': "http-x" is a header of its own).
  if (f.size() > 5 && f.compare(0, 5, "http_") == 0) f.erase(0, 5);
  // The separators: '-', '_' (HTTP bridges), '.', the katakana prolonged
  // sound mark (U+30FC, drawn as a dash; its half-width form folds to it),
  // all dropped: "x-phone", "x_phone", "x.phone", "xphone" are one header.
  std::string out;
  out.reserve(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '-' || f[i] == '_' || f[i] == '.') continue;
    if (f.compare(i, 3, "\xE3\x83\xBC") == 0) {
      i += 2;
      continue;
    }
    out.push_back(f[i]);
  }
  return out;
}

std::string FoldName(std::string_view name) {
  bool non_ascii = false;
  std::string out = Strip(name, &non_ascii);
  const icu::Normalizer2* nfkc_cf = NfkcCasefold();
  if (!non_ascii || nfkc_cf == nullptr) return out;
  out = WithLatinLookAlikes(out, kCapitalLookAlikes);
  // NFKC with full case folding: canonically equivalent spellings (Hangul
  // syllables and their jamo, precomposed and combining accents) and
  // compatibility or case variants (U+017F, the Kelvin sign, mathematical and
  // circled letters) fold to one name. Stripping can join characters that
  // then compose, and normalizing can yield a space (U+3000, U+00A8), so the
  // two alternate until nothing changes (in practice once or twice).
  for (int round = 0; round < 4; ++round) {
    std::string next = Strip(NormalizeRuns(*nfkc_cf, out), &non_ascii);
    if (next == out) break;
    out = std::move(next);
  }
  if (non_ascii) {
    out = WithoutMarks(out);
    for (std::span<const LookAlike> table : {std::span<const LookAlike>(kLookAlikes),
                                             std::span<const LookAlike>(kSmallCapitals), std::span(Confusables())})
      out = WithLatinLookAlikes(out, table);
  }
  return out;
}

bool FoldingAvailable() {
  static const bool available = [] {
    if (NfkcCasefold() == nullptr) return false;
    // U+017F LATIN SMALL LETTER LONG S, U+212A KELVIN SIGN, Lisu RRN (U+A4E3
    // U+A4E3 U+A4E0: the confusables), then 주민 as conjoining jamo (U+110C
    // U+116E U+1106 U+1175 U+11AB).
    return FoldName("\xC5\xBF\xE2\x84\xAA") == "sk" && FoldName("\xEA\x93\xA3\xEA\x93\xA3\xEA\x93\xA0") == "rrn" &&
           FoldName("\xE1\x84\x8C\xE1\x85\xAE\xE1\x84\x86\xE1\x85\xB5\xE1\x86\xAB") == "\xEC\xA3\xBC\xEB\xAF\xBC";
  }();
  return available;
}

}  // namespace maskproxy::unicode
