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
//  - a path that selects an object or array selects each scalar leaf in it,
//    unless its terminal is marked `whole`: then the object or array is
//    handed over as one value (type kObject/kArray, raw = text = its bytes);
//  - null values are left alone;
//  - a terminal marked `remove` deletes the member (or array element) with
//    its separating comma, and nothing inside it is visited;
//  - values no path names follow PathSet::unlisted() (path.h): kept, dropped
//    (allow-list), or handed to ValueRewriter::RewriteUnlisted; so do the
//    members of an object or array a `scalars_only` terminal selects;
//  - a value on the way to a path (not the root) that is neither null nor
//    the container the path descends into fails with "path_shape_mismatch"
//    (rule path and byte offset in the message), unless the trie node says
//    to protect it (TerminalOptions::protect_on_mismatch);
//  - a member name that matches no child of its trie node but folds to one
//    (PathSet, path.h) fails with "ambiguous_field_name".
// Numbers are handed over as their raw text, never through a double.
//
// Speed: string bytes are scanned 16 at a time (SSE2; 8 at a time elsewhere),
// keys are unescaped only when they contain a backslash, strings without
// escapes are handed over as views of the document, and the scratch buffers
// are reused per thread. Values nothing is selected or visited in (the whole
// document for ValidateJson, subtrees off the paths, removed, dropped and
// whole values) are only validated, by a loop with its own container stack
// (no recursion, so no native stack however deep the limit allows). With no
// edits the output is one copy of the document.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "codec/path.h"
#include "common/result.h"

namespace maskproxy::codec {

enum class JsonType : uint8_t { kNull, kBool, kNumber, kString, kObject, kArray };

struct JsonLimits {
  uint32_t max_depth = kMaxPathSegments;  // nesting of objects and arrays
};

// A value handed to a ValueRewriter. Despite the name it may be a whole
// object or array (type kObject/kArray) when its terminal is marked `whole`.
struct ScalarRef {
  JsonType type;
  std::string_view raw;   // bytes as in the document (with quotes for strings)
  std::string_view text;  // strings: unescaped UTF-8; numbers, booleans, whole objects/arrays: raw text
};

// One step of a value's location in the document, for RewriteUnlisted: an
// object member (key, unescaped) or an array element (index).
struct PathStep {
  std::string_view key;  // object member key; empty for array elements
  int64_t index = -1;    // array element index; -1 for object members
};

class ValueRewriter {
 public:
  virtual ~ValueRewriter() = default;
  // Appends the replacement JSON text for the selected value to *out.
  [[nodiscard]] virtual Status Rewrite(int32_t id, const ScalarRef& value, std::string* out) = 0;
  // A scalar inside a value of another shape than a path expects, which
  // terminal `id` protects (TerminalOptions::protect_on_mismatch), with its
  // location from the root in UnlistedMode::kVisit (`path` is valid for the
  // call only; empty in the other modes): its own names, which a rewriter
  // may read it under as it would an unlisted value. The default is Rewrite.
  [[nodiscard]] virtual Status RewriteMismatch(int32_t id, const ScalarRef& value, std::span<const PathStep> path,
                                               std::string* out) {
    (void)path;
    return Rewrite(id, value, out);
  }
  // A `remove` terminal (path id `id`) deleted a member or array element
  // (Rewrite is not called for it). For counting; the default ignores it.
  virtual void Removed(int32_t id) { (void)id; }
  // A member name (unescaped) inside an object that path `id` selects, whose
  // scalars Rewrite replaces but whose names stay in the output: called once
  // per name, before its value. An error fails the rewrite with it. The
  // default accepts every name.
  [[nodiscard]] virtual Status RuledName(int32_t id, std::string_view key) {
    (void)id;
    (void)key;
    return Status::Ok();
  }
  // UnlistedMode::kVisit only: called once per member the scanner enters
  // (listed or not), with its location from the root, the member last
  // (`path` is valid for the call only), before its value. An error fails
  // the rewrite with it. The default accepts every name.
  [[nodiscard]] virtual Status VisitedName(std::span<const PathStep> path) {
    (void)path;
    return Status::Ok();
  }
  // UnlistedMode::kVisit only: called for every leaf no path selects (a
  // string, number, boolean, null, or an empty object or array), with its
  // location from the root (`path` is valid for the call only), so that
  // every member name is seen at least once. To replace the value, append its
  // replacement JSON text to *out and set *changed = true; otherwise leave
  // both alone. The default keeps every value.
  [[nodiscard]] virtual Status RewriteUnlisted(const ScalarRef& value, std::span<const PathStep> path, std::string* out,
                                               bool* changed) {
    (void)value;
    (void)path;
    (void)out;
    *changed = false;
    return Status::Ok();
  }
};

struct RewriteStats {
  JsonType root_type = JsonType::kNull;
  uint32_t rewritten = 0;  // values replaced (by rules, and by RewriteUnlisted)
  uint32_t removed = 0;    // members/elements deleted by `remove` terminals
  uint32_t dropped = 0;    // unlisted members/elements deleted (UnlistedMode::kDrop)
  uint32_t visited = 0;    // unlisted leaves handed to RewriteUnlisted (UnlistedMode::kVisit)
};

// On success *out holds the rewritten document (cleared first). On error
// *out is unspecified; codes: invalid_json, invalid_utf8, depth_exceeded,
// path_shape_mismatch, ambiguous_field_name, or whatever the rewriter
// returned; but a document that is not valid JSON is always refused as
// such (invalid_json, invalid_utf8, depth_exceeded), whatever a rewriter or
// a path said of a value before the scan reached the flaw: the whole
// document is validated before another error is returned. Error messages
// give byte offsets, never content.
[[nodiscard]] Result<RewriteStats> RewriteJson(std::string_view doc, const PathSet& paths, const JsonLimits& limits,
                                               ValueRewriter& rewriter, std::string* out);

// Validates a document without selecting anything.
[[nodiscard]] Status ValidateJson(std::string_view doc, const JsonLimits& limits);

// Appends `text` (UTF-8) as a JSON string literal with quotes.
void AppendJsonString(std::string_view text, std::string* out);

// Decodes one JSON string literal (with its quotes, nothing around it) into
// UTF-8 text: escapes, surrogate pairs. False (and *out unspecified) on any
// malformed input: control characters, bad escapes, lone surrogates,
// invalid UTF-8.
[[nodiscard]] bool DecodeJsonString(std::string_view literal, std::string* out);

// Validates UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
[[nodiscard]] bool IsValidUtf8(std::string_view s);

}  // namespace maskproxy::codec
