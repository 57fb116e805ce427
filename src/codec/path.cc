#include "codec/path.h"

#include <cstdio>

#include "codec/json.h"
#include "common/text.h"
#include "common/unicode.h"

namespace maskproxy::codec {
namespace {

Error PathError(std::string_view text, size_t pos, const std::string& what) {
  return Error(ErrorCode::kInvalidPath,
               "path" + maskproxy::text::Shown(text) + " at character " + std::to_string(pos + 1) + ": " + what);
}

}  // namespace

std::optional<NameFlaw> FindNameFlaw(std::string_view name, bool invisible) {
  for (size_t i = 0; i < name.size();) {
    uint32_t cp = 0;
    const size_t n = unicode::DecodeUtf8(name, i, &cp);
    if (n == 0) return NameFlaw{i, "a byte that is not UTF-8"};
    if (invisible && unicode::IsHidden(cp)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "an invisible or control character (U+%04X)", static_cast<unsigned>(cp));
      return NameFlaw{i, buf};
    }
    i += n;
  }
  return std::nullopt;
}

std::string FieldPath::Canonical() const {
  std::string out;
  for (const PathSegment& seg : segments) {
    if (seg.kind == PathSegment::Kind::kAnyIndex) {
      out += "[*]";
      continue;
    }
    // (A first key starting with '$' quoted: "$key" is the record's key.)
    bool plain = !seg.key.empty() && !FindNameFlaw(seg.key).has_value() && !(out.empty() && seg.key[0] == '$');
    for (const char ch : seg.key)
      plain = plain && ch != '.' && ch != '[' && ch != ']' && ch != '"' && ch != '*' &&
              static_cast<unsigned char>(ch) >= 0x20;
    if (plain) {
      if (!out.empty()) out += '.';
      out += seg.key;
    } else {
      out += '[';
      AppendJsonString(seg.key, &out);
      out += ']';
    }
  }
  return out;
}

Result<FieldPath> FieldPath::Parse(std::string_view text) {
  FieldPath p;
  p.text = std::string(text);
  if (text.empty()) return Error(ErrorCode::kInvalidPath, "path is empty");
  size_t i = 0;
  bool need_key = true;  // at start or after '.'
  while (i < text.size()) {
    char c = text[i];
    if (c == '[') {
      if (text.substr(i, 3) == "[*]") {
        if (need_key && !p.segments.empty()) return PathError(text, i, "expected a key after '.'");
        if (p.segments.empty()) return PathError(text, i, "a path must start with a key");
        p.segments.push_back({PathSegment::Kind::kAnyIndex, {}});
        i += 3;
        need_key = false;
        continue;
      }
      if (i + 1 < text.size() && text[i + 1] == '"') {
        // A quoted key is a JSON string: its escapes read as they do in a
        // record ("r\u0072n" is rrn), and a malformed one is an error, not
        // the character after the backslash.
        size_t j = i + 2;
        bool closed = false;
        while (j < text.size()) {
          if (text[j] == '\\') {
            j += 2;
          } else if (text[j++] == '"') {
            closed = true;
            break;
          }
        }
        std::string key;
        if (closed && !DecodeJsonString(text.substr(i + 1, j - i - 1), &key))
          return PathError(text, i,
                           "a quoted key is a JSON string: its escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t "
                           "and \\uXXXX (a surrogate pair as two), and it holds no control character");
        if (!closed || j >= text.size() || text[j] != ']') return PathError(text, i, "unterminated [\"...\"] key");
        if (key.empty()) return PathError(text, i, "empty key");
        if (auto flaw = FindNameFlaw(key, /*invisible=*/false)) return PathError(text, i, flaw->what + " in a key");
        p.segments.push_back({PathSegment::Kind::kKey, std::move(key)});
        i = j + 1;
        need_key = false;
        continue;
      }
      return PathError(text, i, "only [*] and [\"key\"] are allowed in brackets");
    }
    if (c == '.') {
      if (need_key) return PathError(text, i, "empty segment");
      need_key = true;
      ++i;
      if (i == text.size()) return PathError(text, i - 1, "path ends with '.'");
      continue;
    }
    if (!need_key) return PathError(text, i, "expected '.' or '['");
    size_t j = i;
    while (j < text.size() && text[j] != '.' && text[j] != '[') {
      if (text[j] == ']' || text[j] == '"' || static_cast<unsigned char>(text[j]) < 0x20)
        return PathError(text, j, "unexpected character; quote such keys as [\"...\"]");
      // `user.*` reads as "every member of user", which a path does not
      // select: refused rather than taken for a member named '*'.
      if (text[j] == '*')
        return PathError(text, j,
                         "'*' is not a wildcard for member names ([*] selects every element of an array; a rule "
                         "on the object selects every value inside it); quote a member named with '*' as [\"...\"]");
      ++j;
    }
    // Only a quoted key may hold a character a reader does not see, on purpose.
    if (auto flaw = FindNameFlaw(text.substr(i, j - i)))
      return PathError(text, i + flaw->pos,
                       flaw->what + " in a key; quote the key as [\"...\"] if the member's name really holds it");
    p.segments.push_back({PathSegment::Kind::kKey, std::string(text.substr(i, j - i))});
    i = j;
    need_key = false;
  }
  if (p.segments.size() > kMaxPathSegments)
    return Error(ErrorCode::kInvalidPath, "path" + maskproxy::text::Shown(maskproxy::text::Clip(text, 64)) + " has " +
                                              std::to_string(p.segments.size()) + " segments: records nest at most " +
                                              std::to_string(kMaxPathSegments) + " levels, so it can never match");
  return p;
}

Status PathSet::Add(const FieldPath& path, int32_t id, const TerminalOptions& options) {
  const bool remove = options.remove;
  // Checks first, so that a failed Add leaves the set as it was.
  {
    const Node* n = &nodes_[0];
    FieldPath place;  // the segments before seg
    for (const auto& seg : path.segments) {
      if (n->terminal >= 0)
        return Error(ErrorCode::kPathConflict, "path" + text::Shown(path.text) + " lies inside" +
                                                   text::Shown(texts_[static_cast<size_t>(n - nodes_.data())]) +
                                                   ", already selected");
      // One place read as an array by one path and as an object by another:
      // whichever shape a record has there, the other path's rule is
      // mismatched, and its value may be inside (`acct[*].phone` beside
      // `acct.rrn`: {"acct":{"phone":…}}). Each alone dead-letters the other
      // shape; together neither could be told, so the set is refused.
      const bool as_array = seg.kind == PathSegment::Kind::kAnyIndex;
      if (check_shapes_ && (as_array ? !n->keys.empty() : n->any_index >= 0)) {
        const Node& other = as_array ? nodes_[n->keys.front().second] : nodes_[static_cast<size_t>(n->any_index)];
        const std::string where = place.segments.empty() ? std::string(" the record") : text::Shown(place.Canonical());
        return Error(ErrorCode::kPathConflict,
                     "path" + text::Shown(path.text) + " reads" + where + " as " +
                         (as_array ? "an array" : "an object") + " where path" + text::Shown(PathThrough(other)) +
                         " reads it as " + (as_array ? "an object" : "an array") +
                         ": a value has one shape there, so one of the two rules would not see its field (give "
                         "each shape a route of its own, or protect" +
                         where + " whole with one rule)");
      }
      place.segments.push_back(seg);
      const Node* next = nullptr;
      if (seg.kind == PathSegment::Kind::kAnyIndex) {
        next = ChildAnyIndex(*n);
      } else {
        next = ChildByKey(*n, seg.key);
        if (!next) {
          if (const Node* v = ChildByFoldedKey(*n, seg.key))
            return Error(ErrorCode::kPathConflict, "path" + text::Shown(path.text) + " has a key that differs from" +
                                                       text::Shown(std::string(KeyOf(*n, *v))) + " of path" +
                                                       text::Shown(PathThrough(*v)) +
                                                       " only by case, width, accents, spaces or invisible characters");
        }
      }
      if (!next) {
        n = nullptr;
        break;
      }
      n = next;
    }
    if (n && n->terminal >= 0) {
      const std::string& first = texts_[static_cast<size_t>(n - nodes_.data())];
      return Error(ErrorCode::kPathConflict,
                   "path" + text::Shown(path.text) + " is selected twice" +
                       (first == path.text ? std::string() : " (as" + text::Shown(first) + ")"));
    }
    if (n && (!n->keys.empty() || n->any_index >= 0))
      return Error(ErrorCode::kPathConflict, "path" + text::Shown(path.text) + " contains another selected path");
  }
  // Each node refers to the first path through it by index: a copy of the
  // text per node made a path of n segments cost n copies of itself.
  const auto added = static_cast<uint32_t>(added_.size());
  added_.push_back(path.text);
  uint32_t cur = 0;
  for (const auto& seg : path.segments) {
    uint32_t next = 0;
    if (seg.kind == PathSegment::Kind::kAnyIndex) {
      if (nodes_[cur].any_index < 0) {
        nodes_[cur].any_index = static_cast<int32_t>(nodes_.size());
        nodes_.emplace_back();
      }
      next = static_cast<uint32_t>(nodes_[cur].any_index);
    } else if (const Node* child = ChildByKey(nodes_[cur], seg.key)) {
      next = static_cast<uint32_t>(child - nodes_.data());
    } else {
      next = static_cast<uint32_t>(nodes_.size());
      std::string folded = unicode::FoldName(seg.key);
      Node& n = nodes_[cur];
      if (folded != seg.key) n.fold_all = true;
      if (folded.find('.') != std::string::npos || seg.key.find('.') != std::string::npos) {
        n.dotted.push_back(static_cast<uint32_t>(n.keys.size()));
        has_dotted_ = true;
      }
      n.keys.emplace_back(seg.key, next);
      n.folded.emplace_back(std::move(folded), next);
      if (n.keys.size() == kIndexFrom) {
        n.index = std::make_unique<Index>();
        for (const auto& [k, idx] : n.keys) n.index->keys.emplace(k, idx);
        for (const auto& [k, idx] : n.folded) n.index->folded.emplace(k, idx);  // first wins, as in the scan
      } else if (n.index) {
        n.index->keys.emplace(n.keys.back().first, next);
        n.index->folded.emplace(n.folded.back().first, next);
      }
      nodes_.emplace_back();  // invalidates n
    }
    if (remove && &seg == &path.segments.back()) nodes_[cur].has_remove_child = true;
    via_.resize(nodes_.size(), added);
    const bool is_last = &seg == &path.segments.back();
    if (!is_last) {
      // `next` descends: decide what a value of another shape there does.
      Node& n = nodes_[next];
      if (!options.protect_on_mismatch) {
        n.any_fail = true;
      } else {
        // Only the partial kinds of the terminals at the highest strength
        // count (a token above a mask and a scan settles it).
        if (n.mismatch_best < 0 || options.mismatch_strength > n.mismatch_strength) {
          n.mismatch_best = id;
          n.mismatch_best_remove = remove;
          n.mismatch_strength = options.mismatch_strength;
          n.mismatch_partials = options.mismatch_partial;
        } else if (options.mismatch_strength == n.mismatch_strength) {
          n.mismatch_partials |= options.mismatch_partial;
        }
      }
      const bool unranked = n.mismatch_partials == 3;
      const bool protect = !n.any_fail && !unranked && n.mismatch_best >= 0;
      n.mismatch_rule = protect ? n.mismatch_best : -1;
      n.mismatch_remove = protect && n.mismatch_best_remove;
      if (n.mismatch_remove) nodes_[cur].has_remove_child = true;
    }
    cur = next;
  }
  texts_.resize(nodes_.size());
  Node& n = nodes_[cur];
  n.terminal = id;
  n.remove = remove;
  n.whole = options.whole && !remove;
  n.scalars_only = options.scalars_only && !n.whole && !remove;
  texts_[cur] = path.text;
  return Status::Ok();
}

const PathSet::Node* PathSet::ChildByFoldedKey(const Node& n, std::string_view key) const {
  if (n.folded.empty()) return nullptr;
  return ChildByFoldedName(n, unicode::FoldName(key));
}

const PathSet::Node* PathSet::ChildByFoldedName(const Node& n, std::string_view f) const {
  if (n.folded.empty()) return nullptr;
  if (n.index) {
    auto it = n.index->folded.find(f);
    return it == n.index->folded.end() ? nullptr : &nodes_[it->second];
  }
  for (const auto& [k, idx] : n.folded)
    if (k == f) return &nodes_[idx];
  return nullptr;
}

std::string_view PathSet::KeyOf(const Node& n, const Node& child) const {
  const auto idx = static_cast<uint32_t>(&child - nodes_.data());
  for (const auto& [k, i] : n.keys)
    if (i == idx) return k;
  return {};
}

const PathSet::Node& PathSet::Unlisted() {
  static const Node node;
  return node;
}

}  // namespace maskproxy::codec
