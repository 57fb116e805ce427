#include "codec/json.h"

#include <algorithm>
#include <vector>

namespace maskproxy::codec {
namespace {

struct Edit {
  size_t begin, end;
  std::string text;
};

// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0.
inline size_t Utf8SeqLen(const unsigned char* s, size_t n, size_t i) {
  unsigned char c = s[i];
  auto cont = [&](size_t k) { return i + k < n && (s[i + k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return (i + 1 < n && s[i + 1] >= 0xA0 && s[i + 1] <= 0xBF && cont(2)) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return (cont(1) && cont(2)) ? 3 : 0;
  if (c == 0xED) return (i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F && cont(2)) ? 3 : 0;  // no surrogates
  if (c == 0xF0) return (i + 1 < n && s[i + 1] >= 0x90 && s[i + 1] <= 0xBF && cont(2) && cont(3)) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return (cont(1) && cont(2) && cont(3)) ? 4 : 0;
  if (c == 0xF4) return (i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x8F && cont(2) && cont(3)) ? 4 : 0;
  return 0;
}

inline int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Scanner {
 public:
  Scanner(std::string_view doc, const PathSet* paths, const JsonLimits& limits, ValueRewriter* rw)
      : d_(doc),
        s_(reinterpret_cast<const unsigned char*>(doc.data())),
        n_(doc.size()),
        paths_(paths),
        limits_(limits),
        rw_(rw) {}

  Status Run(RewriteStats* stats) {
    SkipWs();
    if (p_ == n_) return Fail("invalid_json", "empty document");
    if (n_ >= 3 && s_[0] == 0xEF && s_[1] == 0xBB && s_[2] == 0xBF)
      return Fail("invalid_json", "byte order mark is not allowed");
    stats->root_type = PeekType();
    const PathSet::Node* root = (paths_ && !paths_->empty()) ? &paths_->root() : nullptr;
    if (Status st = Value(root, -1, 0); !st.ok()) return st;
    SkipWs();
    if (p_ != n_) return Fail("invalid_json", "unexpected data after the document");
    stats->rewritten = rewritten_;
    stats->removed = removed_;
    return Status::Ok();
  }

  void Splice(std::string* out) {
    out->clear();
    if (edits_.empty()) {
      out->assign(d_);
      return;
    }
    std::stable_sort(edits_.begin(), edits_.end(), [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
    size_t extra = 0;
    for (const auto& e : edits_) extra += e.text.size();
    out->reserve(n_ + extra);
    size_t at = 0;
    for (const auto& e : edits_) {
      out->append(d_.substr(at, e.begin - at));
      out->append(e.text);
      at = e.end;
    }
    out->append(d_.substr(at));
  }

 private:
  Error Fail(const char* code, const std::string& what) const {
    return Error(code, what + " at byte " + std::to_string(p_));
  }

  void SkipWs() {
    while (p_ < n_ && (s_[p_] == ' ' || s_[p_] == '\n' || s_[p_] == '\r' || s_[p_] == '\t')) ++p_;
  }

  JsonType PeekType() const {
    if (p_ >= n_) return JsonType::kNull;
    switch (s_[p_]) {
      case '{': return JsonType::kObject;
      case '[': return JsonType::kArray;
      case '"': return JsonType::kString;
      case 't':
      case 'f': return JsonType::kBool;
      case 'n': return JsonType::kNull;
      default: return JsonType::kNumber;
    }
  }

  // node: trie position (nullptr: nothing selected below here).
  // leaf_rule: >= 0 when an enclosing container was selected: every scalar
  // leaf gets this rule.
  Status Value(const PathSet::Node* node, int32_t leaf_rule, uint32_t depth) {
    int32_t rule = leaf_rule;
    if (node && node->terminal >= 0) {
      rule = node->terminal;
      node = nullptr;
    }
    if (p_ >= n_) return Fail("invalid_json", "unexpected end of document");
    switch (s_[p_]) {
      case '{': return Object(node, rule, depth + 1);
      case '[': return Array(node, rule, depth + 1);
      case '"': {
        size_t start = p_;
        bool want = rule >= 0;
        if (Status st = String(want ? &buf_ : nullptr); !st.ok()) return st;
        if (want) return Emit(rule, JsonType::kString, start, buf_);
        return Status::Ok();
      }
      case 't': return Literal("true", rule, JsonType::kBool);
      case 'f': return Literal("false", rule, JsonType::kBool);
      case 'n': return Literal("null", -1, JsonType::kNull);
      default: {
        size_t start = p_;
        if (Status st = Number(); !st.ok()) return st;
        if (rule >= 0) return Emit(rule, JsonType::kNumber, start, d_.substr(start, p_ - start));
        return Status::Ok();
      }
    }
  }

  Status Emit(int32_t rule, JsonType type, size_t start, std::string_view text) {
    ScalarRef ref{type, d_.substr(start, p_ - start), text};
    Edit e{start, p_, {}};
    if (Status st = rw_->Rewrite(rule, ref, &e.text); !st.ok()) return st;
    edits_.push_back(std::move(e));
    ++rewritten_;
    return Status::Ok();
  }

  Status Literal(std::string_view word, int32_t rule, JsonType type) {
    if (d_.substr(p_, word.size()) != word) return Fail("invalid_json", "invalid literal");
    size_t start = p_;
    p_ += word.size();
    if (rule >= 0 && type != JsonType::kNull) return Emit(rule, type, start, word);
    return Status::Ok();
  }

  Status Number() {
    size_t start = p_;
    if (p_ < n_ && s_[p_] == '-') ++p_;
    if (p_ >= n_) return Fail("invalid_json", "invalid number");
    if (s_[p_] == '0') {
      ++p_;
    } else if (s_[p_] >= '1' && s_[p_] <= '9') {
      while (p_ < n_ && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
    } else {
      p_ = start;
      return Fail("invalid_json", "unexpected character");
    }
    if (p_ < n_ && s_[p_] == '.') {
      ++p_;
      if (p_ >= n_ || s_[p_] < '0' || s_[p_] > '9') return Fail("invalid_json", "invalid number fraction");
      while (p_ < n_ && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
    }
    if (p_ < n_ && (s_[p_] == 'e' || s_[p_] == 'E')) {
      ++p_;
      if (p_ < n_ && (s_[p_] == '+' || s_[p_] == '-')) ++p_;
      if (p_ >= n_ || s_[p_] < '0' || s_[p_] > '9') return Fail("invalid_json", "invalid number exponent");
      while (p_ < n_ && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
    }
    return Status::Ok();
  }

  // Validates a string at p_ (which is '"'); decodes into *out if non-null.
  Status String(std::string* out) {
    ++p_;
    if (out) out->clear();
    size_t run = p_;  // start of the pending run of plain bytes
    for (;;) {
      if (p_ >= n_) return Fail("invalid_json", "unterminated string");
      unsigned char c = s_[p_];
      if (c == '"') {
        if (out) out->append(d_.substr(run, p_ - run));
        ++p_;
        return Status::Ok();
      }
      if (c < 0x20) return Fail("invalid_json", "control character in string");
      if (c < 0x80) {
        if (c != '\\') {
          ++p_;
          continue;
        }
        if (out) out->append(d_.substr(run, p_ - run));
        if (Status st = Escape(out); !st.ok()) return st;
        run = p_;
        continue;
      }
      size_t len = Utf8SeqLen(s_, n_, p_);
      if (len == 0) return Fail("invalid_utf8", "invalid UTF-8");
      p_ += len;
    }
  }

  Status Escape(std::string* out) {
    ++p_;  // backslash
    if (p_ >= n_) return Fail("invalid_json", "unterminated escape");
    char c = static_cast<char>(s_[p_++]);
    char simple = 0;
    switch (c) {
      case '"': simple = '"'; break;
      case '\\': simple = '\\'; break;
      case '/': simple = '/'; break;
      case 'b': simple = '\b'; break;
      case 'f': simple = '\f'; break;
      case 'n': simple = '\n'; break;
      case 'r': simple = '\r'; break;
      case 't': simple = '\t'; break;
      case 'u': break;
      default: --p_; return Fail("invalid_json", "invalid escape");
    }
    if (simple) {
      if (out) out->push_back(simple);
      return Status::Ok();
    }
    uint32_t cp = 0;
    if (!Hex4(&cp)) return Fail("invalid_json", "invalid \\u escape");
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail("invalid_utf8", "lone low surrogate escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t lo = 0;
      if (p_ + 1 >= n_ || s_[p_] != '\\' || s_[p_ + 1] != 'u')
        return Fail("invalid_utf8", "lone high surrogate escape");
      p_ += 2;
      if (!Hex4(&lo)) return Fail("invalid_json", "invalid \\u escape");
      if (lo < 0xDC00 || lo > 0xDFFF) return Fail("invalid_utf8", "high surrogate not followed by a low surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (out) AppendUtf8(cp, out);
    return Status::Ok();
  }

  bool Hex4(uint32_t* cp) {
    if (p_ + 4 > n_) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = HexVal(static_cast<char>(s_[p_ + i]));
      if (h < 0) return false;
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    p_ += 4;
    *cp = v;
    return true;
  }

  struct Item {
    size_t begin, end;
    bool removed;
  };

  // Deletes removed items with their separators; see json.h. Items in
  // `items` are in document order.
  void RemoveItems(const std::vector<Item>& items) {
    size_t n = items.size();
    size_t t = n;  // start of the trailing run of removed items
    while (t > 0 && items[t - 1].removed) --t;
    for (size_t i = 0; i < t; ++i)
      if (items[i].removed) edits_.push_back({items[i].begin, items[i + 1].begin, {}});
    if (t < n) {
      size_t from = t > 0 ? items[t - 1].end : items[0].begin;
      edits_.push_back({from, items[n - 1].end, {}});
    }
  }

  Status Object(const PathSet::Node* node, int32_t rule, uint32_t depth) {
    if (depth > limits_.max_depth)
      return Fail("depth_exceeded", "nesting deeper than " + std::to_string(limits_.max_depth));
    ++p_;
    SkipWs();
    if (p_ < n_ && s_[p_] == '}') {
      ++p_;
      return Status::Ok();
    }
    const bool track = node && node->has_remove_child;
    std::vector<Item> items;
    bool any_removed = false;
    for (;;) {
      if (p_ >= n_ || s_[p_] != '"') return Fail("invalid_json", "expected a string key");
      size_t member_begin = p_;
      const PathSet::Node* child = nullptr;
      if (node) {
        size_t key_start = p_ + 1;
        bool escaped = false;
        if (Status st = KeyString(&escaped); !st.ok()) return st;
        std::string_view key = escaped ? std::string_view(key_buf_) : d_.substr(key_start, p_ - 1 - key_start);
        child = paths_->ChildByKey(*node, key);
      } else {
        if (Status st = String(nullptr); !st.ok()) return st;
      }
      SkipWs();
      if (p_ >= n_ || s_[p_] != ':') return Fail("invalid_json", "expected ':'");
      ++p_;
      SkipWs();
      bool remove = child && child->terminal >= 0 && child->remove;
      if (remove) {
        if (Status st = Value(nullptr, -1, depth); !st.ok()) return st;  // validate, select nothing
        ++removed_;
        any_removed = true;
      } else {
        if (Status st = Value(child, rule, depth); !st.ok()) return st;
      }
      if (track) items.push_back({member_begin, p_, remove});
      SkipWs();
      if (p_ >= n_) return Fail("invalid_json", "unterminated object");
      if (s_[p_] == ',') {
        ++p_;
        SkipWs();
        continue;
      }
      if (s_[p_] == '}') {
        ++p_;
        break;
      }
      return Fail("invalid_json", "expected ',' or '}'");
    }
    if (any_removed) RemoveItems(items);
    return Status::Ok();
  }

  // Like String() but decodes into key_buf_ only when the key has escapes.
  Status KeyString(bool* escaped) {
    size_t start = p_;
    ++p_;
    for (;;) {
      if (p_ >= n_) return Fail("invalid_json", "unterminated string");
      unsigned char c = s_[p_];
      if (c == '"') {
        ++p_;
        *escaped = false;
        return Status::Ok();
      }
      if (c == '\\') break;
      if (c < 0x20) return Fail("invalid_json", "control character in string");
      if (c < 0x80) {
        ++p_;
        continue;
      }
      size_t len = Utf8SeqLen(s_, n_, p_);
      if (len == 0) return Fail("invalid_utf8", "invalid UTF-8");
      p_ += len;
    }
    p_ = start;
    *escaped = true;
    return String(&key_buf_);
  }

  Status Array(const PathSet::Node* node, int32_t rule, uint32_t depth) {
    if (depth > limits_.max_depth)
      return Fail("depth_exceeded", "nesting deeper than " + std::to_string(limits_.max_depth));
    ++p_;
    SkipWs();
    if (p_ < n_ && s_[p_] == ']') {
      ++p_;
      return Status::Ok();
    }
    const PathSet::Node* elem = node ? paths_->ChildAnyIndex(*node) : nullptr;
    const bool remove = elem && elem->terminal >= 0 && elem->remove;
    std::vector<Item> items;
    for (;;) {
      size_t begin = p_;
      if (remove) {
        if (Status st = Value(nullptr, -1, depth); !st.ok()) return st;
        ++removed_;
        items.push_back({begin, p_, true});
      } else {
        if (Status st = Value(elem, rule, depth); !st.ok()) return st;
      }
      SkipWs();
      if (p_ >= n_) return Fail("invalid_json", "unterminated array");
      if (s_[p_] == ',') {
        ++p_;
        SkipWs();
        continue;
      }
      if (s_[p_] == ']') {
        ++p_;
        break;
      }
      return Fail("invalid_json", "expected ',' or ']'");
    }
    if (remove) RemoveItems(items);
    return Status::Ok();
  }

  std::string_view d_;
  const unsigned char* s_;
  size_t n_;
  size_t p_ = 0;
  const PathSet* paths_;
  JsonLimits limits_;
  ValueRewriter* rw_;
  std::vector<Edit> edits_;
  std::string buf_;
  std::string key_buf_;
  uint32_t rewritten_ = 0;
  uint32_t removed_ = 0;
};

class NoRewrite final : public ValueRewriter {
 public:
  Status Rewrite(int32_t, const ScalarRef&, std::string*) override { return Status::Ok(); }
};

}  // namespace

Result<RewriteStats> RewriteJson(std::string_view doc, const PathSet& paths, const JsonLimits& limits,
                                 ValueRewriter& rewriter, std::string* out) {
  Scanner sc(doc, &paths, limits, &rewriter);
  RewriteStats stats;
  if (Status st = sc.Run(&stats); !st.ok()) return st.error();
  sc.Splice(out);
  return stats;
}

Status ValidateJson(std::string_view doc, const JsonLimits& limits) {
  NoRewrite rw;
  Scanner sc(doc, nullptr, limits, &rw);
  RewriteStats stats;
  return sc.Run(&stats);
}

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(text.substr(run));
  out->push_back('"');
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  for (size_t i = 0; i < n;) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len = Utf8SeqLen(p, n, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace maskproxy::codec
