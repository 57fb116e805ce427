#include "codec/path.h"

namespace maskproxy::codec {
namespace {
Error PathError(std::string_view text, size_t pos, const std::string& what) {
  return Error("invalid_path",
               "path '" + std::string(text) + "' at character " + std::to_string(pos + 1) + ": " + what);
}
}  // namespace

Result<FieldPath> FieldPath::Parse(std::string_view text) {
  FieldPath p;
  p.text = std::string(text);
  if (text.empty()) return Error("invalid_path", "path is empty");
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
        std::string key;
        size_t j = i + 2;
        bool closed = false;
        while (j < text.size()) {
          if (text[j] == '\\' && j + 1 < text.size()) {
            key.push_back(text[j + 1]);
            j += 2;
          } else if (text[j] == '"') {
            closed = true;
            ++j;
            break;
          } else {
            key.push_back(text[j++]);
          }
        }
        if (!closed || j >= text.size() || text[j] != ']') return PathError(text, i, "unterminated [\"...\"] key");
        if (key.empty()) return PathError(text, i, "empty key");
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
      ++j;
    }
    p.segments.push_back({PathSegment::Kind::kKey, std::string(text.substr(i, j - i))});
    i = j;
    need_key = false;
  }
  return p;
}

Status PathSet::Add(const FieldPath& path, int32_t id, const TerminalOptions& options) {
  const bool remove = options.remove;
  uint32_t cur = 0;
  for (const auto& seg : path.segments) {
    if (nodes_[cur].terminal >= 0)
      return Error("path_conflict", "path '" + path.text + "' lies inside '" + texts_[cur] + "', already selected");
    uint32_t next = 0;
    if (seg.kind == PathSegment::Kind::kAnyIndex) {
      if (nodes_[cur].any_index < 0) {
        nodes_[cur].any_index = static_cast<int32_t>(nodes_.size());
        nodes_.emplace_back();
      }
      next = static_cast<uint32_t>(nodes_[cur].any_index);
    } else {
      bool found = false;
      for (const auto& [k, idx] : nodes_[cur].keys) {
        if (k == seg.key) {
          next = idx;
          found = true;
          break;
        }
      }
      if (!found) {
        next = static_cast<uint32_t>(nodes_.size());
        nodes_[cur].keys.emplace_back(seg.key, next);
        nodes_.emplace_back();
      }
    }
    if (remove && &seg == &path.segments.back()) nodes_[cur].has_remove_child = true;
    cur = next;
  }
  texts_.resize(nodes_.size());
  Node& n = nodes_[cur];
  if (n.terminal >= 0) return Error("path_conflict", "path '" + path.text + "' is selected twice");
  if (!n.keys.empty() || n.any_index >= 0)
    return Error("path_conflict", "path '" + path.text + "' contains another selected path");
  n.terminal = id;
  n.remove = remove;
  n.whole = options.whole && !remove;
  texts_[cur] = path.text;
  return Status::Ok();
}

}  // namespace maskproxy::codec
