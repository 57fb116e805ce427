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

// A trie of paths. Each path ends in a terminal carrying the caller's id and
// whether the selected member is removed from its parent rather than rewritten.
class PathSet {
 public:
  struct Node {
    std::vector<std::pair<std::string, uint32_t>> keys;  // key -> child node index
    int32_t any_index = -1;                              // child for [*]
    int32_t terminal = -1;                               // caller's id, -1 if none
    bool remove = false;                                 // terminal removes the member
    bool has_remove_child = false;                       // some child removes its member
  };

  PathSet() { nodes_.emplace_back(); }

  // Errors (code "path_conflict") if the path equals, contains or is contained
  // in an already added path: one value must never be claimed by two rules.
  [[nodiscard]] Status Add(const FieldPath& path, int32_t id, bool remove);

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
  std::vector<std::string> texts_;  // by terminal node, for conflict messages
};

}  // namespace maskproxy::codec
