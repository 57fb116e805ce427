// Normalization of free text before PII matching, with a map back to the
// original bytes.
//
// What it undoes (the tricks that defeat a plain regex):
//  - full-width ASCII (U+FF01-FF5E: digits, letters, '-', '+', '.', '@',
//    parentheses, ...) becomes ASCII;
//  - every Unicode default-ignorable code point (unicode::IsDefaultIgnorable:
//    soft hyphen U+00AD, combining grapheme joiner U+034F, U+061C, Hangul
//    fillers, U+17B4-17B5, Mongolian vowel separator and free variation
//    selectors U+180B-180F, zero-width and bidirectional controls
//    U+200B-200F, U+202A-202E, U+2060-206F, variation selectors, U+FEFF,
//    U+FFF0-FFF8, tags U+E0000-E0FFF, ...) is removed;
//  - control characters that are not white space (C0 with NUL, DEL, C1) are
//    removed, so a NUL between two digits does not split a number (one
//    outside a token changes nothing a detector sees); a vertical tab or
//    form feed becomes a space, U+FFFD (a separator a wrong decoding
//    lost) a '-';
//  - non-ASCII white space (NBSP U+00A0, U+0085, U+1680, U+2000-200A,
//    U+2028, U+2029, U+202F, U+205F, U+3000) becomes an ASCII space;
//  - dashes and minus signs (U+2010-2015, U+2212, U+FE58, U+FE63), and the
//    dots, bullets and marks written between digit groups (U+00B7 `·`, ㆍ,
//    katakana middle dots and prolonged sound marks, ...) become '-';
//  - digits of every script and form (Arabic-Indic, Devanagari, Thai,
//    mathematical, superscript, circled ①: unicode::DigitValue) become
//    ASCII digits, and combining marks (U+0301 on a digit, the keycap
//    U+20E3: unicode::IsCombiningMark) are removed;
//  - letters NFKC reads as one ASCII letter (mathematical 𝐌, circled ⓚ,
//    squared, letterlike ℓ, modifier and subscript letters, Roman numerals:
//    unicode::AsciiLetterOf) become that letter (`kim@naver.𝐜𝐨𝐦`,
//    `𝐌12345678`); é, Greek or a ligature stay;
//  - the blank braille pattern U+2800 becomes a space, ideographic and small
//    full stops (U+3002, U+FF61, U+FE52, U+2024) '.', U+FE6B '@';
//  - escapes are read as what they stand for, before the rest: percent
//    escapes of printable ASCII and of well-formed UTF-8 ("010%2D1234%2D5678",
//    "minjun%40example.com", "%EC%97%B0%EB%9D%BD%EC%B2%98%20010-…" from a
//    URL), \uXXXX escapes with surrogate pairs (JSON text inside a string:
//    "\uc8fc\ubbfc900101-…"), HTML character references (&#45; &#x2D;
//    &nbsp;). Other '%', '\' and '&' stay. A span covers whole escapes;
//  - last, a run of two or more of the separators the detectors take
//    between digit groups but ':' and the mask '*' (- . _ / ~ , | \ + ;, up to two blanks
//    between them and on either side) between two digits becomes one blank
//    ("900101--1234568", "010 .. 1234", "010 - - 1234", "010//1234"): a
//    blank joins groups but glues no number to the next; the rest are
//    removed, so a span covers them (found 16 bytes at a time; a text
//    without such a run pays only that search).
// Everything else is copied unchanged. Text with nothing to change (ASCII
// with no control but tab and line breaks, or valid UTF-8 such as plain
// Korean) is not copied at all (fast path: the map is the identity). The
// check skips plain ASCII eight bytes at a time; with AVX2 it validates 32
// bytes at a time and finds the bytes that can start a changed character
// with two nibble-table lookups, decoding only at those (ㅋ, emoji, CJK
// punctuation and the Hangul syllables U+AC00-AFFF share lead bytes with
// changed characters and are checked against 8 KB bitmaps of the BMP and
// of plane 1). All tables are derived from the
// folding function. A NormalizedText views the original: keep it alive
// while the NormalizedText is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace maskproxy::detect {

// False only when the normalization of `text` holds no ASCII digit, '@' or
// ':' (a cheap check for names: true on a character normalized to one, an
// Arabic-Indic digit or the small '@' among them, and on a malformed
// sequence whose lead byte can start one; only characters whose lead byte
// can start one are decoded).
[[nodiscard]] bool MayNormalizeToDigitAtOrColon(std::string_view text);

class NormalizedText {
 public:
  // The normalization of the empty text.
  NormalizedText() = default;

  // Fails (code "invalid_utf8", with the byte offset) on malformed UTF-8, and
  // ("text_too_large") on input of 4 GiB or more.
  [[nodiscard]] static Result<NormalizedText> Create(std::string_view original);

  // The same into *out, reusing its buffers (no allocation once they are
  // large enough: the scanner keeps one per thread). On error *out is the
  // normalization of the empty text.
  [[nodiscard]] static Status CreateInto(std::string_view original, NormalizedText* out);

  // The text to match against. Views the original when nothing changed.
  [[nodiscard]] std::string_view text() const { return identity_ ? original_ : std::string_view(normalized_); }
  [[nodiscard]] bool identity() const { return identity_; }

  // Maps the normalized byte range [begin, end) (begin < end <= text().size())
  // to the smallest original byte range that covers every original character
  // that produced it, including characters removed between them (zero-width
  // characters inside the range).
  void MapToOriginal(size_t begin, size_t end, size_t* orig_begin, size_t* orig_end) const;

  // Whether normalized bytes i - 1 and i (0 < i < text().size()) come from
  // characters a reader sees apart although both became ASCII: a digit form
  // that is no script's digit (a circled "①", a superscript "¹"), a letter
  // in a compatibility form ("𝐌", "ⓚ"), or a folded dot or mark ("·" read
  // as '-') next to a letter, digit or other character (Scanner's boundary
  // checks: "①010-1234-5678", "…5678¹", "3·010-…" are not glued), or either
  // carries an enclosing mark normalization removed (a keycap
  // "1\uFE0F\u20E3" before "010-..."). Digits of a script, full-width forms
  // and Unicode dashes glue as their ASCII forms do. False for the bytes of
  // one character and on the identity path.
  [[nodiscard]] bool Seam(size_t i) const { return !identity_ && SeamCopied(i); }

  // The original bytes of the character that produced normalized byte i
  // (i < text().size()): "●" for the '-' a black circle became.
  [[nodiscard]] std::string_view OriginalAt(size_t i) const {
    return identity_ ? original_.substr(i, 1) : original_.substr(src_begin_[i], src_end_[i] - src_begin_[i]);
  }

 private:
  // CreateInto without collapsing separator runs.
  [[nodiscard]] static Status CreateReadingEscapes(std::string_view original, NormalizedText* out);
  // A run of separators typed between digit groups made one blank (CreateInto's last step).
  void CollapseSeparatorRuns();
  // CreateInto without reading through escapes.
  [[nodiscard]] static Status CreateUnescaped(std::string_view original, NormalizedText* out);
  // Seam on the copied path (out of line: only texts normalization changed).
  [[nodiscard]] bool SeamCopied(size_t i) const;
  // Whether base[from, to) (removed characters) holds an enclosing mark.
  [[nodiscard]] static bool EnclosedBetween(std::string_view base, size_t from, size_t to);

  std::string_view original_;
  bool identity_ = true;
  std::string normalized_;
  // For each normalized byte, the original [src_begin, src_end) of the
  // character that produced it. Empty on the identity path.
  std::vector<uint32_t> src_begin_;
  std::vector<uint32_t> src_end_;
  // When escapes were decoded (escaped_): the decoded text, and for each
  // normalized byte its character's [begin, end) there (Seam reads them).
  bool escaped_ = false;
  std::string decoded_;
  std::vector<uint32_t> mid_begin_;
  std::vector<uint32_t> mid_end_;
};

}  // namespace maskproxy::detect
