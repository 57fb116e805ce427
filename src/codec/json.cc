#include "codec/json.h"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__SSE2__) && !defined(MASKPROXY_JSON_PORTABLE)
#include <emmintrin.h>
#define MASKPROXY_JSON_SSE2 1
#endif

namespace maskproxy::codec {
namespace {

// A replacement of doc[begin, end) by scratch text [text_off, text_off + text_len).
struct Edit {
  size_t begin, end;
  size_t text_off, text_len;
};

// Per-thread buffers reused across calls, so a record costs no allocations
// once the thread has seen one like it.
struct Scratch {
  std::vector<Edit> edits;
  std::string edit_text;
  std::string buf;
  std::string key_buf;
  bool in_use = false;
};

// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0.
inline size_t Utf8SeqLen(const unsigned char* s, size_t n, size_t i) {
  const unsigned char c = s[i];
  if (c < 0xE0) {
    if (c < 0xC2) return 0;  // continuation byte or overlong 2-byte lead
    return (i + 1 < n && (s[i + 1] & 0xC0) == 0x80) ? 2 : 0;
  }
  if (c < 0xF0) {
    if (i + 2 >= n) return 0;
    const unsigned char b1 = s[i + 1];
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;  // no surrogates
    return (b1 >= lo && b1 <= hi && (s[i + 2] & 0xC0) == 0x80) ? 3 : 0;
  }
  if (c > 0xF4 || i + 3 >= n) return 0;
  const unsigned char b1 = s[i + 1];
  const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;  // no overlong forms
  const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;  // <= U+10FFFF
  return (b1 >= lo && b1 <= hi && (s[i + 2] & 0xC0) == 0x80 && (s[i + 3] & 0xC0) == 0x80) ? 4 : 0;
}

inline bool IsSpecialStringByte(unsigned char c) {
  return c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
}

// Index of the first byte at or after i that ends a run of plain string
// bytes ('"', '\\', a control byte or a byte >= 0x80), or n.
[[gnu::always_inline]] inline size_t SkipPlain(const unsigned char* s, size_t n, size_t i) {
#if defined(MASKPROXY_JSON_SSE2)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i bslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    // Signed compare: bytes < 0x20 and bytes >= 0x80 (negative) both match.
    const __m128i m =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(m));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
#else
  // SWAR, 8 bytes at a time: each test is exact as a yes/no for the word.
  constexpr uint64_t k01 = 0x0101010101010101ULL;
  constexpr uint64_t k80 = 0x8080808080808080ULL;
  while (i + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, s + i, 8);
    const uint64_t xq = w ^ (k01 * '"');
    const uint64_t xb = w ^ (k01 * '\\');
    const uint64_t hit = (w | ((w - k01 * 0x20) & ~w) | ((xq - k01) & ~xq) | ((xb - k01) & ~xb)) & k80;
    if (hit != 0) break;
    i += 8;
  }
#endif
  while (i < n && !IsSpecialStringByte(s[i])) ++i;
  return i;
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
  Scanner(std::string_view doc, const PathSet* paths, const JsonLimits& limits, ValueRewriter* rw, Scratch* scratch)
      : d_(doc),
        s_(reinterpret_cast<const unsigned char*>(doc.data())),
        n_(doc.size()),
        paths_(paths),
        limits_(limits),
        rw_(rw),
        edits_(scratch->edits),
        edit_text_(scratch->edit_text),
        buf_(scratch->buf),
        key_buf_(scratch->key_buf) {
    edits_.clear();
    edit_text_.clear();
    if (paths_) {
      drop_ = paths_->unlisted() == UnlistedMode::kDrop;
      visit_ = paths_->unlisted() == UnlistedMode::kVisit;
      if (visit_) visit_keys_.reserve(static_cast<size_t>(limits_.max_depth) + 2);
    }
  }

  Status Run(RewriteStats* stats) {
    SkipWs();
    if (p_ == n_) return Fail("invalid_json", "empty document");
    if (n_ >= 3 && s_[0] == 0xEF && s_[1] == 0xBB && s_[2] == 0xBF)
      return Fail("invalid_json", "byte order mark is not allowed");
    stats->root_type = PeekType();
    const PathSet::Node* root = (paths_ && (!paths_->empty() || drop_)) ? &paths_->root() : nullptr;
    if (Status st = Value(root, -1, 0); !st.ok()) return st;
    SkipWs();
    if (p_ != n_) return Fail("invalid_json", "unexpected data after the document");
    stats->rewritten = rewritten_;
    stats->removed = removed_;
    stats->dropped = dropped_;
    stats->visited = visited_;
    return Status::Ok();
  }

  void Splice(std::string* out) {
    out->clear();
    if (edits_.empty()) {
      out->assign(d_);
      return;
    }
    // Edits are produced in document order; keep the sort as a safety net.
    auto by_begin = [](const Edit& a, const Edit& b) { return a.begin < b.begin; };
    if (!std::is_sorted(edits_.begin(), edits_.end(), by_begin))
      std::stable_sort(edits_.begin(), edits_.end(), by_begin);
    size_t size = n_;
    for (const auto& e : edits_) size = size - (e.end - e.begin) + e.text_len;
    out->reserve(size);
    size_t at = 0;
    for (const auto& e : edits_) {
      out->append(d_.data() + at, e.begin - at);
      out->append(edit_text_.data() + e.text_off, e.text_len);
      at = e.end;
    }
    out->append(d_.data() + at, n_ - at);
  }

 private:
  // Tracks deleted members/elements of one object or array, producing the
  // deletions (with their separators) as the items go by, in document order:
  // a deleted item that has a successor goes with the separator after it;
  // a trailing run of deleted items goes with the separator before it.
  struct Deletions {
    bool pending = false;  // the previous item was deleted, its successor not yet seen
    size_t pending_begin = 0;
    bool in_run = false;  // the latest items were deleted
    size_t run_begin = 0;
    uint32_t run_edits = 0;  // edits already produced for the current run
    bool have_kept = false;
    size_t kept_end = 0;
    size_t last_end = 0;
  };

  void ItemBegin(Deletions& d, size_t begin) {
    if (!d.pending) return;
    edits_.push_back({d.pending_begin, begin, 0, 0});
    ++d.run_edits;
    d.pending = false;
  }
  static void ItemDeleted(Deletions& d, size_t begin, size_t end) {
    if (!d.in_run) {
      d.in_run = true;
      d.run_begin = begin;
      d.run_edits = 0;
    }
    d.pending = true;
    d.pending_begin = begin;
    d.last_end = end;
  }
  static void ItemKept(Deletions& d, size_t end) {
    d.in_run = false;
    d.have_kept = true;
    d.kept_end = end;
  }
  void ItemsEnd(Deletions& d) {
    if (!d.in_run) return;
    // A deleted item produces no edits inside it, so the run's edits are last.
    edits_.resize(edits_.size() - d.run_edits);
    edits_.push_back({d.have_kept ? d.kept_end : d.run_begin, d.last_end, 0, 0});
  }

  Error Fail(const char* code, const std::string& what) const {
    return Error(code, what + " at byte " + std::to_string(p_));
  }

  void SkipWs() {
    while (p_ < n_ && s_[p_] <= ' ' && (s_[p_] == ' ' || s_[p_] == '\n' || s_[p_] == '\r' || s_[p_] == '\t')) ++p_;
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

  bool Visiting() const { return visit_ && quiet_ == 0; }

  // Whether the value at p_ is a container that `node` (not a terminal)
  // descends into.
  bool CanDescend(const PathSet::Node& node) const {
    if (p_ >= n_) return false;
    if (s_[p_] == '{') return !node.keys.empty();
    if (s_[p_] == '[') return node.any_index >= 0;
    return false;
  }

  // Validates the value at p_ without selecting, visiting or deleting
  // anything in it.
  Status Skip(uint32_t depth) {
    ++quiet_;
    Status st = Value(nullptr, -1, depth);
    --quiet_;
    return st;
  }

  // node: trie position (nullptr: nothing selected below here).
  // leaf_rule: >= 0 when an enclosing container was selected: every scalar
  // leaf gets this rule.
  Status Value(const PathSet::Node* node, int32_t leaf_rule, uint32_t depth) {
    int32_t rule = leaf_rule;
    if (p_ >= n_) return Fail("invalid_json", "unexpected end of document");
    if (node && node->terminal >= 0) {
      rule = node->terminal;
      if (node->whole && (s_[p_] == '{' || s_[p_] == '[')) return Whole(rule, depth);
      node = nullptr;
    }
    switch (s_[p_]) {
      case '{': return Object(node, rule, depth + 1);
      case '[': return Array(node, rule, depth + 1);
      case '"': {
        const size_t start = p_;
        if (rule >= 0 || Visiting()) {
          std::string_view text;
          if (Status st = QuickString(&buf_, &text); !st.ok()) return st;
          if (rule >= 0) return Emit(rule, JsonType::kString, start, text);
          return Visit(JsonType::kString, start, text);
        }
        return QuickString(nullptr, nullptr);
      }
      case 't': return Literal("true", rule, JsonType::kBool);
      case 'f': return Literal("false", rule, JsonType::kBool);
      case 'n': return Literal("null", -1, JsonType::kNull);
      default: {
        const size_t start = p_;
        if (Status st = Number(); !st.ok()) return st;
        if (rule >= 0) return Emit(rule, JsonType::kNumber, start, d_.substr(start, p_ - start));
        if (Visiting()) return Visit(JsonType::kNumber, start, d_.substr(start, p_ - start));
        return Status::Ok();
      }
    }
  }

  // A selected object or array handed over as one value.
  Status Whole(int32_t rule, uint32_t depth) {
    const size_t start = p_;
    const JsonType type = s_[p_] == '{' ? JsonType::kObject : JsonType::kArray;
    if (Status st = Skip(depth); !st.ok()) return st;
    return Emit(rule, type, start, d_.substr(start, p_ - start));
  }

  Status Emit(int32_t rule, JsonType type, size_t start, std::string_view text) {
    const ScalarRef ref{type, d_.substr(start, p_ - start), text};
    const size_t off = edit_text_.size();
    if (Status st = rw_->Rewrite(rule, ref, &edit_text_); !st.ok()) return st;
    edits_.push_back({start, p_, off, edit_text_.size() - off});
    ++rewritten_;
    return Status::Ok();
  }

  Status Visit(JsonType type, size_t start, std::string_view text) {
    const ScalarRef ref{type, d_.substr(start, p_ - start), text};
    const size_t off = edit_text_.size();
    bool changed = false;
    if (Status st = rw_->RewriteUnlisted(ref, std::span<const PathStep>(path_), &edit_text_, &changed); !st.ok())
      return st;
    ++visited_;
    if (changed) {
      edits_.push_back({start, p_, off, edit_text_.size() - off});
      ++rewritten_;
    } else {
      edit_text_.resize(off);
    }
    return Status::Ok();
  }

  Status Literal(std::string_view word, int32_t rule, JsonType type) {
    if (d_.substr(p_, word.size()) != word) return Fail("invalid_json", "invalid literal");
    const size_t start = p_;
    p_ += word.size();
    if (rule >= 0 && type != JsonType::kNull) return Emit(rule, type, start, word);
    return Status::Ok();
  }

  bool Digit() const { return p_ < n_ && s_[p_] >= '0' && s_[p_] <= '9'; }

  Status Number() {
    const size_t start = p_;
    if (p_ < n_ && s_[p_] == '-') ++p_;
    if (p_ >= n_) return Fail("invalid_json", "invalid number");
    if (s_[p_] == '0') {
      ++p_;
    } else if (s_[p_] >= '1' && s_[p_] <= '9') {
      while (Digit()) ++p_;
    } else {
      p_ = start;
      return Fail("invalid_json", "unexpected character");
    }
    if (p_ < n_ && s_[p_] == '.') {
      ++p_;
      if (!Digit()) return Fail("invalid_json", "invalid number fraction");
      while (Digit()) ++p_;
    }
    if (p_ < n_ && (s_[p_] == 'e' || s_[p_] == 'E')) {
      ++p_;
      if (p_ < n_ && (s_[p_] == '+' || s_[p_] == '-')) ++p_;
      if (!Digit()) return Fail("invalid_json", "invalid number exponent");
      while (Digit()) ++p_;
    }
    return Status::Ok();
  }

  // String() for the common case, inlined: no escapes, no non-ASCII bytes.
  [[gnu::always_inline]] Status QuickString(std::string* buf, std::string_view* text) {
    const size_t q = SkipPlain(s_, n_, p_ + 1);
    if (q < n_ && s_[q] == '"') {
      if (text) *text = d_.substr(p_ + 1, q - p_ - 1);
      p_ = q + 1;
      return Status::Ok();
    }
    return String(buf, text);
  }

  // Validates the string at p_ (which is '"'). If `text` is non-null, sets
  // it to the unescaped content: a view of the document when the string has
  // no escapes, else of *buf, where it is decoded.
  [[gnu::noinline]] Status String(std::string* buf, std::string_view* text) {
    const size_t begin = ++p_;
    bool decoding = false;
    size_t run = p_;  // start of the pending run of literal bytes (when decoding)
    for (;;) {
      p_ = SkipPlain(s_, n_, p_);
      if (p_ >= n_) return Fail("invalid_json", "unterminated string");
      const unsigned char c = s_[p_];
      if (c == '"') {
        if (text) {
          if (decoding) {
            buf->append(d_.data() + run, p_ - run);
            *text = *buf;
          } else {
            *text = d_.substr(begin, p_ - begin);
          }
        }
        ++p_;
        return Status::Ok();
      }
      if (c == '\\') {
        if (text) {
          if (!decoding) {
            buf->clear();
            decoding = true;
          }
          buf->append(d_.data() + run, p_ - run);
        }
        if (Status st = Escape(text ? buf : nullptr); !st.ok()) return st;
        run = p_;
        continue;
      }
      if (c < 0x20) return Fail("invalid_json", "control character in string");
      // A run of non-ASCII characters.
      do {
        const size_t len = Utf8SeqLen(s_, n_, p_);
        if (len == 0) return Fail("invalid_utf8", "invalid UTF-8");
        p_ += len;
      } while (p_ < n_ && s_[p_] >= 0x80);
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

  Status Object(const PathSet::Node* node, int32_t rule, uint32_t depth) {
    if (depth > limits_.max_depth)
      return Fail("depth_exceeded", "nesting deeper than " + std::to_string(limits_.max_depth));
    ++p_;
    SkipWs();
    if (p_ < n_ && s_[p_] == '}') {
      ++p_;
      return Status::Ok();
    }
    const bool drop_unlisted = node && drop_;
    Deletions del;
    for (;;) {
      if (p_ >= n_ || s_[p_] != '"') return Fail("invalid_json", "expected a string key");
      const size_t member_begin = p_;
      ItemBegin(del, member_begin);
      const PathSet::Node* child = nullptr;
      const bool visiting = Visiting();
      std::string_view key;
      if (node || visiting) {
        if (Status st = QuickString(&key_buf_, &key); !st.ok()) return st;
        if (node) child = paths_->ChildByKey(*node, key);
      } else {
        if (Status st = QuickString(nullptr, nullptr); !st.ok()) return st;
      }
      SkipWs();
      if (p_ >= n_ || s_[p_] != ':') return Fail("invalid_json", "expected ':'");
      ++p_;
      SkipWs();
      const bool remove = child && child->terminal >= 0 && child->remove;
      const bool drop = !remove && drop_unlisted && (!child || (child->terminal < 0 && !CanDescend(*child)));
      if (remove || drop) {
        if (Status st = Skip(depth); !st.ok()) return st;
        ++(remove ? removed_ : dropped_);
        ItemDeleted(del, member_begin, p_);
      } else {
        if (visiting) {
          if (key.data() == key_buf_.data()) key = StableKey(depth, key);  // key_buf_ is reused by nested keys
          path_.push_back({key, -1});
        }
        Status st = Value(child, rule, depth);
        if (visiting) path_.pop_back();
        if (!st.ok()) return st;
        ItemKept(del, p_);
      }
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
    ItemsEnd(del);
    return Status::Ok();
  }

  // A copy of an unescaped key that stays valid while the member's value is
  // scanned (one slot per depth).
  std::string_view StableKey(uint32_t depth, std::string_view key) {
    while (visit_keys_.size() <= depth) visit_keys_.emplace_back();  // within the reserved capacity
    visit_keys_[depth].assign(key);
    return visit_keys_[depth];
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
    const bool drop_unlisted = node && drop_;
    Deletions del;
    int64_t index = 0;
    for (;;) {
      const size_t begin = p_;
      ItemBegin(del, begin);
      const bool drop = !remove && drop_unlisted && (!elem || (elem->terminal < 0 && !CanDescend(*elem)));
      if (remove || drop) {
        if (Status st = Skip(depth); !st.ok()) return st;
        ++(remove ? removed_ : dropped_);
        ItemDeleted(del, begin, p_);
      } else {
        const bool visiting = Visiting();
        if (visiting) path_.push_back({{}, index});
        Status st = Value(elem, rule, depth);
        if (visiting) path_.pop_back();
        if (!st.ok()) return st;
        ItemKept(del, p_);
      }
      ++index;
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
    ItemsEnd(del);
    return Status::Ok();
  }

  std::string_view d_;
  const unsigned char* s_;
  size_t n_;
  size_t p_ = 0;
  const PathSet* paths_;
  JsonLimits limits_;
  ValueRewriter* rw_;
  std::vector<Edit>& edits_;
  std::string& edit_text_;
  std::string& buf_;
  std::string& key_buf_;
  bool drop_ = false;
  bool visit_ = false;
  uint32_t quiet_ = 0;  // > 0 inside a removed, dropped or whole value: no visiting
  std::vector<PathStep> path_;
  std::vector<std::string> visit_keys_;  // reserved once: views into it stay valid
  uint32_t rewritten_ = 0;
  uint32_t removed_ = 0;
  uint32_t dropped_ = 0;
  uint32_t visited_ = 0;
};

// Lends the calling thread's scratch buffers (or fresh ones if a rewriter
// calls back into the scanner) and trims them after a very large document.
class ScratchLease {
 public:
  ScratchLease() {
    thread_local Scratch tls;
    if (!tls.in_use) {
      s_ = &tls;
      tls.in_use = true;
    } else {
      s_ = &own_;
    }
  }
  ~ScratchLease() {
    if (s_ == &own_) return;
    constexpr size_t kKeep = 4 << 20;
    if (s_->edit_text.capacity() > kKeep) std::string().swap(s_->edit_text);
    if (s_->buf.capacity() > kKeep) std::string().swap(s_->buf);
    if (s_->key_buf.capacity() > kKeep) std::string().swap(s_->key_buf);
    if (s_->edits.capacity() > kKeep / sizeof(Edit)) std::vector<Edit>().swap(s_->edits);
    s_->in_use = false;
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  Scratch* get() { return s_; }

 private:
  Scratch own_;
  Scratch* s_;
};

class NoRewrite final : public ValueRewriter {
 public:
  Status Rewrite(int32_t, const ScalarRef&, std::string*) override { return Status::Ok(); }
};

}  // namespace

Result<RewriteStats> RewriteJson(std::string_view doc, const PathSet& paths, const JsonLimits& limits,
                                 ValueRewriter& rewriter, std::string* out) {
  ScratchLease scratch;
  Scanner sc(doc, &paths, limits, &rewriter, scratch.get());
  RewriteStats stats;
  if (Status st = sc.Run(&stats); !st.ok()) return st.error();
  sc.Splice(out);
  return stats;
}

Status ValidateJson(std::string_view doc, const JsonLimits& limits) {
  NoRewrite rw;
  ScratchLease scratch;
  Scanner sc(doc, nullptr, limits, &rw, scratch.get());
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
