// Unicode helpers shared by every module that reads text: one UTF-8 decoder,
// the code point classes that hide characters from a reader (default
// ignorables, white space), and the folding of member and header names used
// to find names that only look different from a protected one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace maskproxy::unicode {

// Decodes one UTF-8 character at s[i] (i < s.size()); returns its length, or
// 0 if malformed (truncated, bad continuation, overlong, surrogate, above
// U+10FFFF).
[[nodiscard]] size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp);

// The byte offset of the first byte in `s` that does not start a valid UTF-8
// character (DecodeUtf8), or npos when all of `s` is UTF-8.
[[nodiscard]] size_t FirstInvalidUtf8(std::string_view s);

// Appends the UTF-8 encoding of a code point (<= U+10FFFF, not a surrogate).
void AppendUtf8(uint32_t cp, std::string* out);

// Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt,
// Unicode 15): soft hyphen, combining grapheme joiner, zero-width and
// bidirectional controls, variation selectors, Hangul fillers, tags, ...
// Characters a renderer shows as nothing.
[[nodiscard]] bool IsDefaultIgnorable(uint32_t cp);

// Unicode's White_Space property (PropList.txt).
[[nodiscard]] bool IsWhiteSpace(uint32_t cp);

// A control character: C0 (including NUL), DEL, C1.
[[nodiscard]] inline bool IsControl(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

// A character that breaks a line or that a reader does not see: a control
// character, a line or paragraph separator (U+2028, U+2029) or a
// default-ignorable code point. Names with one are shown escaped
// (text::OneLine), refused in a policy (codec::FindNameFlaw), or cut from a
// message.
[[nodiscard]] inline bool IsHidden(uint32_t cp) {
  return IsControl(cp) || cp == 0x2028 || cp == 0x2029 || IsDefaultIgnorable(cp);
}

// A format character (general category Cf: U+00AD, the zero-width and bidi
// controls, U+FFF9-FFFB, the Egyptian format controls U+13430-1343F, the
// Arabic number signs U+0600-0605, ...).
[[nodiscard]] bool IsFormat(uint32_t cp);

// A character a reader sees as nothing or as a blank that is neither white
// space nor hidden (IsHidden): a format character (general category Cf,
// e.g. U+FFF9-FFFB, the Egyptian format controls U+13430-1343F), an
// unassigned, private-use or surrogate code point, and the blank-looking
// symbols U+2800 (braille pattern blank) and U+2062-2064. `mask` counts
// none of them as a character (found by review: three U+2800 inside an
// 11-digit number showed 10 digits).
[[nodiscard]] bool LooksBlank(uint32_t cp);

// A letter or digit of any script (ICU's u_isalnum: general categories L*
// and Nd) that a reader sees and that is not a modifier letter (Lm: ˆ, ʼ,
// the tatweel, the prolonged sound mark; the Hangul fillers, which are
// Lo, are hidden): what a ticket or a name says something with.
[[nodiscard]] bool IsLetterOrDigit(uint32_t cp);

// A hyphen, dash or minus sign that reads as '-': U+2010-2015, U+2212,
// U+FE58, U+FE63, U+FF0D.
[[nodiscard]] bool IsDash(uint32_t cp);

// The value 0-9 of a digit of any script or form, or -1: Unicode's
// Numeric_Type Decimal (general category Nd: Arabic-Indic, Devanagari, Thai,
// full-width, mathematical digits, ...; what Java's Character.digit and
// Python's int() read as digits) and Digit (superscript, subscript, circled
// and parenthesized single digits: what a reader reads as one); and the few
// digits Unicode types only Numeric (Medefaidrin, U+1F100-1F10C).
[[nodiscard]] int DigitValue(uint32_t cp);

// The ASCII letter a compatibility form of a letter is read as, or -1: a
// code point whose NFKC mapping is one ASCII letter (mathematical
// alphanumerics 𝐤 𝑘 𝕜, circled and squared letters ⓚ 🄺, letterlike symbols
// ℂ ℓ, modifier and subscript letters ʰ ₖ, Roman numerals Ⅰ ⅽ, the Kelvin
// sign; full-width letters too), and the Latin letter forms NFKC leaves
// alone or makes more than one character of, by their names: small capitals
// ʀ ᴄ ꜱ, negative circled and squared letters 🅒 🅲, parenthesized ⒞. An
// ASCII letter is itself; anything else (ligatures, Greek, Hangul, a letter
// with a stroke, regional indicators) -1.
[[nodiscard]] int AsciiLetterOf(uint32_t cp);

// A digit of a script (Numeric_Type Decimal: ASCII, Arabic-Indic, full-width,
// ...), not one of the single-digit forms (superscript, circled).
[[nodiscard]] bool IsDecimalDigit(uint32_t cp);

// A combining mark a renderer draws on the character before it (Unicode
// general category Mn or Me: U+0301 on a digit, the keycap U+20E3, ...).
[[nodiscard]] bool IsCombiningMark(uint32_t cp);

// An enclosing mark (general category Me: the keycap U+20E3, the enclosing
// circle U+20DD, ...).
[[nodiscard]] bool IsEnclosingMark(uint32_t cp);

// The folded form of a member or header name, for finding names that differ
// from a protected one only in ways a reader does not see or a consumer
// ignores: white space, control characters (NUL among them) and
// default-ignorable code points removed, dashes (IsDash) as '-', then
// Unicode's NFKC_Casefold (ICU):
// case folded (not only ASCII: U+017F is "s", the Kelvin sign "k", "É" is
// "é"), canonically equivalent spellings made one (Hangul written as jamo
// or as syllables, accents combining or precomposed), compatibility variants
// (full-width, mathematical, circled letters) as their plain letters; then
// format characters (Cf) and the combining marks (Mn, Me: accents,
// underlines) of Latin, Greek and Cyrillic letters removed, precomposed
// accents included ("rrn\u0301", "rrń" and "r\u0332rn" fold to "rrn", as
// ASCII folding reads them; a kana's voicing mark stays: "バス" is not "ハス");
// then the letters of other scripts a reader takes for a Latin one as that
// letter: the dotless i (U+0131) and a few Latin forms, and the Cyrillic,
// Greek and Armenian look-alikes, of capitals too ("recıpients",
// "рhone" with a Cyrillic р, "РНОNЕ" fold to recipients, phone), then
// every character Unicode's confusables (UTS #39) take for one ASCII letter
// or digit (Lisu "ꓣꓣꓠ", Cherokee "ᏒᏒN" fold to rrn). Unassigned,
// private-use and format code points and U+FFFC, U+FFFD are dropped as
// invisible; the ideographic full stops (U+3002, U+FF61) are dots. ASCII is
// not folded further: "rm", "emai1" and "emaiI" are names of their own.
// Bytes that are not valid UTF-8 are kept as they are. Folding a name twice
// gives the same result. An ASCII name never reaches ICU.
[[nodiscard]] std::string FoldName(std::string_view name);

// A header name as FoldName folds it, without a leading "http_" (CGI's
// HTTP_X_PHONE; not "http-") and without its separators ('-', '_', '.', U+30FC): HTTP
// bridges and CGI/WSGI stacks take x_phone, x.phone and x-phone for one
// header.
[[nodiscard]] std::string FoldHeaderName(std::string_view name);

// True when FoldName's Unicode folding works in this process: ICU's
// NFKC_Casefold data loads and folds a probe (the long s, the Kelvin sign,
// Hangul written as jamo) as the Unicode standard says. Without it FoldName
// would fold only ASCII, and names that merely look different from a
// protected one would pass: Engine::Create refuses to build an engine.
[[nodiscard]] bool FoldingAvailable();

// True when FoldName(name) could differ from `name` (a cheap pre-check: any
// upper-case ASCII letter, control or space byte, or non-ASCII byte other
// than a precomposed Hangul syllable's).
[[nodiscard]] bool NameMayFold(std::string_view name);

}  // namespace maskproxy::unicode
