// Normalization of free text before PII matching, with a map back to the
// original bytes.
//
// What it undoes (the tricks that defeat a plain regex):
//  - full-width digits, letters and a few ASCII symbols (U+FF10-FF19,
//    U+FF21-FF3A, U+FF41-FF5A, U+FF0D '-', U+FF0B '+', U+FF0E '.', U+FF20 '@')
//    become their ASCII forms;
//  - zero-width characters (U+200B-200D, U+2060, U+FEFF) are removed;
//  - non-breaking and other Unicode spaces (U+00A0, U+2000-200A, U+202F,
//    U+205F, U+3000) become an ASCII space;
//  - dashes and minus signs (U+2010-2015, U+2212, U+FE58, U+FE63) become '-'.
// Everything else is copied unchanged. Text with nothing to change (pure
// ASCII, or valid UTF-8 such as plain Korean) is not copied at all (fast
// path: the map is the identity); the check skips ASCII eight bytes at a time
// and decodes only characters whose lead byte can start one of the folded
// characters above (the lead-byte table is derived from the folding table). A NormalizedText views the original: keep
// it alive while the NormalizedText is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace maskproxy::detect {

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

 private:
  std::string_view original_;
  bool identity_ = true;
  std::string normalized_;
  // For each normalized byte, the original [src_begin, src_end) of the
  // character that produced it. Empty on the identity path.
  std::vector<uint32_t> src_begin_;
  std::vector<uint32_t> src_end_;
};

}  // namespace maskproxy::detect
