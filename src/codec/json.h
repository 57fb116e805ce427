// Strict JSON scanning and in-place rewriting of selected values.
//
// RewriteJson() validates a whole document (RFC 8259, strictly: no comments,
// trailing commas, NaN/Infinity, BOM, leading zeros, trailing data or several
// roots; all strings valid UTF-8 with no lone surrogates, including those
// written as \u escapes) and, for every value a PathSet selects, asks a
// ValueRewriter for replacement JSON text. Every byte outside the selected
// values is kept as it was: the document is never re-serialized.
//
// Selection rules:
//  - keys are compared after unescaping ("r\u0072n" matches rrn);
//  - every occurrence of a duplicated key is selected;
//  - a path that selects an object or array selects each scalar leaf in it;
//  - null values are left alone;
//  - a terminal marked `remove` deletes the member (or array element) with
//    its separating comma, and nothing inside it is visited.
// Numbers are handed over as their raw text, never through a double.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/path.h"
#include "common/result.h"

namespace maskproxy::codec {

enum class JsonType : uint8_t { kNull, kBool, kNumber, kString, kObject, kArray };

struct JsonLimits {
  uint32_t max_depth = 64;  // nesting of objects and arrays
};

struct ScalarRef {
  JsonType type;
  std::string_view raw;   // bytes as in the document (with quotes for strings)
  std::string_view text;  // strings: unescaped UTF-8; numbers and booleans: raw text
};

class ValueRewriter {
 public:
  virtual ~ValueRewriter() = default;
  // Appends the replacement JSON text for the selected value to *out.
  [[nodiscard]] virtual Status Rewrite(int32_t id, const ScalarRef& value, std::string* out) = 0;
};

struct RewriteStats {
  JsonType root_type = JsonType::kNull;
  uint32_t rewritten = 0;
  uint32_t removed = 0;
};

// On success *out holds the rewritten document (cleared first). On error
// *out is unspecified; codes: invalid_json, invalid_utf8, depth_exceeded, or
// whatever the rewriter returned. Error messages give byte offsets, never
// content.
[[nodiscard]] Result<RewriteStats> RewriteJson(std::string_view doc, const PathSet& paths, const JsonLimits& limits,
                                               ValueRewriter& rewriter, std::string* out);

// Validates a document without selecting anything.
[[nodiscard]] Status ValidateJson(std::string_view doc, const JsonLimits& limits);

// Appends `text` (UTF-8) as a JSON string literal with quotes.
void AppendJsonString(std::string_view text, std::string* out);

// Validates UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
[[nodiscard]] bool IsValidUtf8(std::string_view s);

}  // namespace maskproxy::codec
