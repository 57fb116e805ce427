// Field paths and a compiled set of them.
//
// Syntax: segments separated by '.', '[*]' selects every element of an array,
// and ["..."] names a key that contains '.', '[', ']' or '"':
//   user.rrn    recipients[*].phone    matrix[*][*]    meta["x.y"].z
// Keys are compared after JSON unescaping, so "r\u0072n" in a record matches
// the path segment rrn; a quoted key is read as a JSON string too
// (user["r\u0072n"] is user.rrn). '*' is refused in a plain key (it is not a
// wildcard), and so is a path deeper than a record may nest.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace maskproxy::codec {

// The deepest a record nests (JsonLimits::max_depth) and so the most
// segments a path that can match has.
inline constexpr size_t kMaxPathSegments = 64;

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
  // One spelling per path: a key plainly where Parse reads it plainly, else
  // quoted as a JSON string with only the escapes it needs ("user.rrn" for
  // user["rrn"] and user["r\u0072n"]; meta["a.b"].c). What binds a value to
  // its field (encryption's associated data, FPE's tweak, a token's default
  // domain), so that respelling a path does not change its outputs.
  [[nodiscard]] std::string Canonical() const;
};

// The first flaw of a name a policy writes plainly (a path's unquoted key, a
// header's name): a byte that is not UTF-8 (a record's names are UTF-8, so
// no name could match), or, with `invisible` set, a character a reader does
// not see (control, zero-width, bidirectional, BOM, soft hyphen, line
// separator: pasted along with the name, most likely, it would make a rule
// name another field than the one it shows). nullopt if there is none.
struct NameFlaw {
  size_t pos = 0;    // byte offset in the name
  std::string what;  // "a byte that is not UTF-8" or "an invisible or control character (U+200B)"
};
[[nodiscard]] std::optional<NameFlaw> FindNameFlaw(std::string_view name, bool invisible = true);

// What RewriteJson (json.h) does with the values no path in a PathSet names
// ("unlisted" values). A PathSet-level setting; kKeep is the default.
enum class UnlistedMode : uint8_t {
  // Unlisted values pass unchanged (policy `unlisted_fields: keep`).
  kKeep,
  // Allow-list (policy `unlisted_fields: drop`): an object member whose key
  // leads to no path is removed with its separator, at every level. Kept:
  //  - members on the way to a path, when their value is a container the
  //    path descends into (an object for a key, an array for [*]); they are
  //    filtered inside. A null there is dropped (absent); any other value
  //    is a shape mismatch (see TerminalOptions::protect_on_mismatch);
  //  - selected members (a terminal): a selected object or array is kept
  //    whole, nothing inside it is dropped (but see scalars_only);
  //  - array elements under [*], filtered inside (with the same rule).
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
  // A selected object or array is not selected: its members are unlisted
  // values, treated by the PathSet's UnlistedMode (kept, dropped, visited),
  // with their locations (policy `action: keep` without `apply_to: whole`:
  // keep keeps scalars). Scalars are selected as without it. `whole` takes
  // precedence.
  bool scalars_only = false;
  // What a value of another shape than the path expects does, on the way
  // to this terminal: a string, number, boolean, or the other kind of
  // container (even empty) where the path descends into an object (a key)
  // or an array ([*]); null is absent and fine. false: RewriteJson fails
  // with code "path_shape_mismatch" (the record is dead-lettered). true:
  // every scalar below the mismatching value is selected with this
  // terminal's id (or the member is deleted, with `remove`). A node on the
  // way to several terminals protects only when all of them say so; then
  // the terminal with the highest `mismatch_strength` applies (the first
  // added among equals): the caller ranks its terminals by how little of a
  // value they leave readable, so a mismatching value is never shown by a
  // weaker rule (a mask) when a stronger one (a token) also claims it.
  // Terminals of the highest strength that show different parts of a value
  // (`mismatch_partial` 1 and 2: transform::PartialKind, a mask and a scan)
  // cannot be ranked: the node fails instead, whatever order they came in.
  bool protect_on_mismatch = false;
  int mismatch_strength = 0;
  int mismatch_partial = 0;
};

// A trie of paths. Each path ends in a terminal carrying the caller's id and
// its TerminalOptions.
//
// Name variants: a record member name that is not a child's name but folds
// (unicode::FoldName: case, full width, white space, controls, default
// ignorables) to one makes RewriteJson fail with "ambiguous_field_name": a
// reader that folds names, or a person, would take it for the protected
// one. Node::folded holds the children's folded names; the scanner folds a
// record's name only when it matched no child and unicode::NameMayFold says
// folding could change it (or the node has a child name that folding
// changes), so ordinary names cost nothing.
//
//   PathSet set;
//   set.set_unlisted(UnlistedMode::kDrop);
//   set.Add(*FieldPath::Parse("user.rrn"), 0, TerminalOptions{});
//   set.Add(*FieldPath::Parse("payload"), 1, TerminalOptions{.whole = true});
class PathSet {
 public:
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using ChildIndex = std::unordered_map<std::string, uint32_t, NameHash, std::equal_to<>>;
  struct Index {
    ChildIndex keys;
    ChildIndex folded;
  };
  struct Node {
    std::vector<std::pair<std::string, uint32_t>> keys;    // key -> child node index
    int32_t any_index = -1;                                // child for [*]
    int32_t terminal = -1;                                 // caller's id, -1 if none
    bool remove = false;                                   // terminal removes the member
    bool whole = false;                                    // terminal selects a container as one value
    bool has_remove_child = false;                         // some child removes its member
    bool scalars_only = false;                             // terminal: a container's members are unlisted
    bool fold_all = false;                                 // some child's name changes by folding
    bool mismatch_remove = false;                          // shape mismatch here deletes the member
    int32_t mismatch_rule = -1;                            // shape mismatch here: -1 fail, else protect with this id
    int mismatch_strength = 0;                             // that terminal's TerminalOptions::mismatch_strength
    int32_t mismatch_best = -1;                            // the protecting terminal of the highest strength
    bool mismatch_best_remove = false;                     // ... and whether it deletes the member
    int mismatch_partials = 0;                             // the TerminalOptions::mismatch_partial bits seen
    bool any_fail = false;                                 // some path through here fails on a mismatch
    std::vector<std::pair<std::string, uint32_t>> folded;  // folded key -> child node index
    std::vector<uint32_t> dotted;  // indices into `keys` of the keys with a '.' (or folded to one)

    // From kIndexFrom children on, `keys` and `folded` hashed as well: a
    // wide object (a policy with thousands of rules at one level) costs one
    // lookup per member, in records and when the policy loads. A pointer,
    // so that the nodes of ordinary policies stay small.
    std::unique_ptr<Index> index;
  };
  static constexpr size_t kIndexFrom = 16;

  PathSet() : nodes_(1), added_(1), via_(1, 0) {}

  // Errors (code "path_conflict") if the path equals, contains or is contained
  // in an already added path: one value must never be claimed by two rules;
  // or if a key differs from one at the same position of an added path only
  // by folding (user.rrn and user.RRN); or if it reads a place as an array
  // where an added path reads it as an object, or the other way round
  // (unless shapes are not checked).
  [[nodiscard]] Status Add(const FieldPath& path, int32_t id, const TerminalOptions& options);
  // A set of paths that no record's shape must satisfy (the policy's claims
  // with quoted keys split at their dots, ["recipients.count"] beside
  // recipients[*].phone: the record's member is "recipients.count", not an
  // object): Add does not compare the shapes places are read as (found by
  // review: such policies, fine before, were refused).
  void DoNotCheckShapes() { check_shapes_ = false; }
  // Same as Add(path, id, TerminalOptions{.remove = remove}).
  [[nodiscard]] Status Add(const FieldPath& path, int32_t id, bool remove) {
    return Add(path, id, TerminalOptions{.remove = remove, .whole = false});
  }

  void set_unlisted(UnlistedMode mode) { unlisted_ = mode; }
  [[nodiscard]] UnlistedMode unlisted() const { return unlisted_; }
  // Whether some key has a '.' (or folds to one): a quoted key (meta["k.v"]).
  [[nodiscard]] bool has_dotted() const { return has_dotted_; }

  [[nodiscard]] const Node& root() const { return nodes_[0]; }
  [[nodiscard]] const Node& node(uint32_t i) const { return nodes_[i]; }
  [[nodiscard]] const Node* ChildByKey(const Node& n, std::string_view key) const {
    if (n.index) [[unlikely]] {
      auto it = n.index->keys.find(key);
      return it == n.index->keys.end() ? nullptr : &nodes_[it->second];
    }
    for (const auto& [k, idx] : n.keys)
      if (k == key) return &nodes_[idx];
    return nullptr;
  }
  [[nodiscard]] const Node* ChildAnyIndex(const Node& n) const {
    return n.any_index < 0 ? nullptr : &nodes_[static_cast<size_t>(n.any_index)];
  }
  [[nodiscard]] bool empty() const { return nodes_.size() == 1; }
  // The child whose folded name equals FoldName(key), or nullptr.
  [[nodiscard]] const Node* ChildByFoldedKey(const Node& n, std::string_view key) const;
  // The same for a name already folded (FoldName's result).
  [[nodiscard]] const Node* ChildByFoldedName(const Node& n, std::string_view folded) const;
  // For messages: the path (as written) of the first path added through
  // node n, and the name of child c of n as written.
  [[nodiscard]] const std::string& PathThrough(const Node& n) const {
    return added_[via_[static_cast<size_t>(&n - nodes_.data())]];
  }
  [[nodiscard]] std::string_view KeyOf(const Node& n, const Node& child) const;
  // A node with no children and no terminal: a container given to it in
  // the scanner has only unlisted members.
  [[nodiscard]] static const Node& Unlisted();

 private:
  std::vector<Node> nodes_;
  std::vector<std::string> added_;  // the text of each path added, in order
  std::vector<uint32_t> via_;       // by node: the index in added_ of its PathThrough
  UnlistedMode unlisted_ = UnlistedMode::kKeep;
  bool has_dotted_ = false;
  bool check_shapes_ = true;
  std::vector<std::string> texts_;  // by terminal node, for conflict messages
};

}  // namespace maskproxy::codec
