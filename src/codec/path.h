// Field paths and a compiled set of them.
//
// Syntax: segments separated by '.', '[*]' selects every element of an array,
// and ["..."] names a key that contains '.', '[', ']' or '"':
//   user.rrn    recipients[*].phone    matrix[*][*]    meta["x.y"].z
// Keys are compared after JSON unescaping, so "r\u0072n" in a record matches
// the path segment rrn.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace maskproxy::codec {

struct PathSegment {
  enum class Kind { kKey, kAnyIndex };
  Kind kind = Kind::kKey;
  std::string key;  // for kKey
  bool operator==(const PathSegment&) const = default;
};

struct FieldPath {
  std::vector<PathSegment> segments;
  std::string text;  // as written, for messages

  [[nodiscard]] static Result<FieldPath> Parse(std::string_view text);
};

// What RewriteJson (json.h) does with the values no path in a PathSet names
// ("unlisted" values). A PathSet-level setting; kKeep is the default.
enum class UnlistedMode : uint8_t {
  // Unlisted values pass unchanged (policy `unlisted_fields: keep`).
  kKeep,
  // Allow-list (policy `unlisted_fields: drop`): an object member whose key
  // leads to no path is removed with its separator, at every level. Kept:
  //  - members on the way to a path, when their value is a container the
  //    path descends into (an object for a key, an array for [*]); they are
  //    filtered inside. Any other value there (a scalar, null, the other kind
  //    of container) would pass unfiltered, so it is dropped;
  //  - selected members (a terminal): a selected object or array is kept
  //    whole, nothing inside it is dropped;
  //  - array elements under [*], filtered inside (with the same rule: an
  //    element that is not a container the path descends into is dropped).
  // The root value itself is never dropped. RewriteStats::dropped counts the
  // dropped members and elements.
  kDrop,
  // Like kKeep, but every unlisted leaf (string, number, boolean, null, empty
  // object or array; not inside a selected or removed value) is handed to
  // ValueRewriter::RewriteUnlisted with its location, which may replace it
  // (for a free-text PII scanner, which also checks the member names).
  kVisit,
};

// How a path's terminal treats the value it selects.
struct TerminalOptions {
  // The member (or array element, for a path ending in [*]) is deleted with
  // its separator instead of rewritten; nothing inside it is visited. Takes
  // precedence over `whole`.
  bool remove = false;
  // A selected object or array is handed to the rewriter as one value
  // (ScalarRef type kObject/kArray, raw = its exact bytes, text = raw)
  // instead of leaf by leaf (policy `apply_to: whole`). Scalars and null are
  // treated as without it.
  bool whole = false;
};

// A trie of paths. Each path ends in a terminal carrying the caller's id and
// its TerminalOptions.
//
//   PathSet set;
//   set.set_unlisted(UnlistedMode::kDrop);
//   set.Add(*FieldPath::Parse("user.rrn"), 0, TerminalOptions{});
//   set.Add(*FieldPath::Parse("payload"), 1, TerminalOptions{.whole = true});
class PathSet {
 public:
  struct Node {
    std::vector<std::pair<std::string, uint32_t>> keys;  // key -> child node index
    int32_t any_index = -1;                              // child for [*]
    int32_t terminal = -1;                               // caller's id, -1 if none
    bool remove = false;                                 // terminal removes the member
    bool whole = false;                                  // terminal selects a container as one value
    bool has_remove_child = false;                       // some child removes its member
  };

  PathSet() { nodes_.emplace_back(); }

  // Errors (code "path_conflict") if the path equals, contains or is contained
  // in an already added path: one value must never be claimed by two rules.
  [[nodiscard]] Status Add(const FieldPath& path, int32_t id, const TerminalOptions& options);
  // Same as Add(path, id, TerminalOptions{.remove = remove}).
  [[nodiscard]] Status Add(const FieldPath& path, int32_t id, bool remove) {
    return Add(path, id, TerminalOptions{.remove = remove, .whole = false});
  }

  void set_unlisted(UnlistedMode mode) { unlisted_ = mode; }
  [[nodiscard]] UnlistedMode unlisted() const { return unlisted_; }

  [[nodiscard]] const Node& root() const { return nodes_[0]; }
  [[nodiscard]] const Node& node(uint32_t i) const { return nodes_[i]; }
  [[nodiscard]] const Node* ChildByKey(const Node& n, std::string_view key) const {
    for (const auto& [k, idx] : n.keys)
      if (k == key) return &nodes_[idx];
    return nullptr;
  }
  [[nodiscard]] const Node* ChildAnyIndex(const Node& n) const {
    return n.any_index < 0 ? nullptr : &nodes_[static_cast<size_t>(n.any_index)];
  }
  [[nodiscard]] bool empty() const { return nodes_.size() == 1; }

 private:
  std::vector<Node> nodes_;
  UnlistedMode unlisted_ = UnlistedMode::kKeep;
  std::vector<std::string> texts_;  // by terminal node, for conflict messages
};

}  // namespace maskproxy::codec
