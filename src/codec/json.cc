#include "codec/json.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/number.h"
#include "common/unicode.h"

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

// The first byte at or after p that ends a run of plain string bytes ('"',
// '\\', a control byte or a byte >= 0x80), or e.
[[gnu::always_inline]] inline const unsigned char* SkipPlain(const unsigned char* p, const unsigned char* e) {
#if defined(MASKPROXY_JSON_SSE2)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i bslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (e - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed compare: bytes < 0x20 and bytes >= 0x80 (negative) both match.
    const __m128i m =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(m));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#else
  // SWAR, 8 bytes at a time: each test is exact as a yes/no for the word.
  constexpr uint64_t k01 = 0x0101010101010101ULL;
  constexpr uint64_t k80 = 0x8080808080808080ULL;
  while (e - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    const uint64_t xq = w ^ (k01 * '"');
    const uint64_t xb = w ^ (k01 * '\\');
    const uint64_t hit = (w | ((w - k01 * 0x20) & ~w) | ((xq - k01) & ~xq) | ((xb - k01) & ~xb)) & k80;
    if (hit != 0) break;
    p += 8;
  }
#endif
  while (p < e && !IsSpecialStringByte(*p)) ++p;
  return p;
}

inline int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The scanner works on pointers into the document, passed by value and
// returned (nullptr: failed, the error is in err_), so the position lives in
// a register. Two walkers share the grammar code:
//  - Validate(): a loop with its own stack of open containers (a bit per
//    level), for every value nothing is selected in and nothing visited:
//    the whole document for ValidateJson, every subtree off the paths,
//    removed, dropped and whole values;
//  - Value()/Object()/Array(): recursive, for the values on the way to a
//    path, inside selected containers, and everywhere in visit mode.
class Scanner {
 public:
  using P = const unsigned char*;

  Scanner(std::string_view doc, const PathSet* paths, const JsonLimits& limits, ValueRewriter* rw, Scratch* scratch)
      : d_(doc),
        b_(reinterpret_cast<P>(doc.data())),
        e_(b_ + doc.size()),
        paths_(paths),
        max_depth_(limits.max_depth),
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
      dotted_ = paths_->has_dotted();
      if (visit_) visit_keys_.reserve(static_cast<size_t>(max_depth_) + 2);
    }
  }

  Status Run(RewriteStats* stats) {
    P p = Ws(b_);
    if (p == e_) return Failed(Fail(p, ErrorCode::kInvalidJson, "empty document"));
    if (e_ - b_ >= 3 && b_[0] == 0xEF && b_[1] == 0xBB && b_[2] == 0xBF)
      return Failed(Fail(p, ErrorCode::kInvalidJson, "byte order mark is not allowed"));
    stats->root_type = PeekType(p);
    const PathSet::Node* root = (paths_ && (!paths_->empty() || drop_)) ? &paths_->root() : nullptr;
    p = Value(p, root, -1, 0);
    if (!p) return Failed(p);
    p = Ws(p);
    if (p != e_) return Failed(Fail(p, ErrorCode::kInvalidJson, "unexpected data after the document"));
    stats->rewritten = rewritten_;
    stats->removed = removed_;
    stats->dropped = dropped_;
    stats->visited = visited_;
    return Status::Ok();
  }

  // *out = the document with the edits applied: one copy when there are
  // none, else one reserve and one pass of appends.
  void Splice(std::string* out) {
    if (edits_.empty()) {
      out->assign(d_);
      return;
    }
    // Edits are produced in document order; keep the sort as a safety net.
    auto by_begin = [](const Edit& a, const Edit& b) { return a.begin < b.begin; };
    if (!std::is_sorted(edits_.begin(), edits_.end(), by_begin))
      std::stable_sort(edits_.begin(), edits_.end(), by_begin);
    size_t size = d_.size();
    for (const auto& e : edits_) size = size - (e.end - e.begin) + e.text_len;
    out->clear();
    out->reserve(size);
    size_t at = 0;
    for (const auto& e : edits_) {
      out->append(d_.data() + at, e.begin - at);
      out->append(edit_text_.data() + e.text_off, e.text_len);
      at = e.end;
    }
    out->append(d_.data() + at, d_.size() - at);
  }

 private:
  // A spelling in progress of a quoted key with dots of `base` (folded,
  // relative to base), in member names nested in one another.
  struct DottedPart {
    const PathSet::Node* base;
    std::string acc;
  };

  // ---- errors (cold) ----

  [[gnu::cold, gnu::noinline]] P Fail(P at, ErrorCode code, std::string_view what) {
    std::string msg(what);
    msg += " at byte ";
    msg += std::to_string(at - b_);
    err_ = Error(code, std::move(msg));
    return nullptr;
  }
  [[gnu::cold, gnu::noinline]] P FailDepth(P at) {
    return Fail(at, ErrorCode::kDepthExceeded, "nesting deeper than " + std::to_string(max_depth_));
  }
  [[gnu::cold, gnu::noinline]] P Propagate(const Status& st) {
    err_ = st.error();
    return nullptr;
  }
  Status Failed(P) { return Status(std::move(err_)); }

  // ---- deletions ----

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

  void ItemBegin(Deletions& d, P begin) {
    if (!d.pending) return;
    edits_.push_back({d.pending_begin, Off(begin), 0, 0});
    ++d.run_edits;
    d.pending = false;
  }
  void ItemDeleted(Deletions& d, P begin, P end) const {
    if (!d.in_run) {
      d.in_run = true;
      d.run_begin = Off(begin);
      d.run_edits = 0;
    }
    d.pending = true;
    d.pending_begin = Off(begin);
    d.last_end = Off(end);
  }
  void ItemKept(Deletions& d, P end) const {
    d.in_run = false;
    d.have_kept = true;
    d.kept_end = Off(end);
  }
  void ItemsEnd(Deletions& d) {
    if (!d.in_run) return;
    // A deleted item produces no edits inside it, so the run's edits are last.
    edits_.resize(edits_.size() - d.run_edits);
    edits_.push_back({d.have_kept ? d.kept_end : d.run_begin, d.last_end, 0, 0});
  }

  // ---- tokens ----

  size_t Off(P p) const { return static_cast<size_t>(p - b_); }
  std::string_view View(P from, P to) const {
    return std::string_view(reinterpret_cast<const char*>(from), static_cast<size_t>(to - from));
  }

  static bool IsWs(unsigned char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
  [[gnu::always_inline]] P Ws(P p) const {
    while (p < e_ && *p <= ' ' && IsWs(*p)) ++p;
    return p;
  }

  static JsonType PeekType(P p) {
    switch (*p) {
      case '{': return JsonType::kObject;
      case '[': return JsonType::kArray;
      case '"': return JsonType::kString;
      case 't':
      case 'f': return JsonType::kBool;
      case 'n': return JsonType::kNull;
      default: return JsonType::kNumber;
    }
  }

  [[gnu::always_inline]] P Literal(P p, const char* word, size_t len) {
    if (static_cast<size_t>(e_ - p) < len || std::memcmp(p, word, len) != 0) [[unlikely]]
      return Fail(p, ErrorCode::kInvalidJson, "invalid literal");
    return p + len;
  }

  static bool IsDigit(unsigned char c) { return static_cast<unsigned char>(c - '0') < 10; }

  // The number at p (< e_), by the one grammar (common/number.h). Returns the
  // position after it.
  [[gnu::always_inline]] P Number(P p) {
    const auto r = number::ScanJsonNumber(p, e_);
    if (r.error == number::JsonNumberError::kNone) [[likely]]
      return r.end;
    return NumberFail(r);
  }

  [[gnu::cold, gnu::noinline]] P NumberFail(const number::JsonNumberScan<P>& r) {
    switch (r.error) {
      case number::JsonNumberError::kBadStart: return Fail(r.end, ErrorCode::kInvalidJson, "unexpected character");
      case number::JsonNumberError::kBadFraction:
        return Fail(r.end, ErrorCode::kInvalidJson, "invalid number fraction");
      case number::JsonNumberError::kBadExponent:
        return Fail(r.end, ErrorCode::kInvalidJson, "invalid number exponent");
      default: return Fail(r.end, ErrorCode::kInvalidJson, "invalid number");
    }
  }

  // Validates the string at p ('"'); returns the position after it.
  [[gnu::always_inline]] P SkipString(P p) {
    const P q = SkipPlain(p + 1, e_);
    if (q < e_ && *q == '"') [[likely]]
      return q + 1;
    return String(p + 1, q, nullptr, nullptr);
  }

  // Validates the string at p ('"') and sets *text to its unescaped content:
  // a view of the document when it has no escapes, else of *buf.
  [[gnu::always_inline]] P ReadString(P p, std::string* buf, std::string_view* text) {
    const P q = SkipPlain(p + 1, e_);
    if (q < e_ && *q == '"') [[likely]] {
      *text = View(p + 1, q);
      return q + 1;
    }
    const P end = String(p + 1, q, buf, &slow_text_);
    *text = slow_text_;  // through a member, so that *text need not live in memory
    return end;
  }

  // The rest of a string whose content starts at `begin`; p (>= begin) is at
  // the first byte that is not plain (or e_), with no escapes before it.
  [[gnu::noinline]] P String(P begin, P p, std::string* buf, std::string_view* text) {
    bool decoding = false;
    P run = begin;  // start of the pending run of literal bytes (when decoding)
    for (;;) {
      if (p >= e_) return Fail(p, ErrorCode::kInvalidJson, "unterminated string");
      const unsigned char c = *p;
      if (c == '"') {
        if (text) {
          if (decoding) {
            buf->append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
            *text = *buf;
          } else {
            *text = View(begin, p);
          }
        }
        return p + 1;
      }
      if (c == '\\') {
        if (text) {
          if (!decoding) {
            buf->clear();
            decoding = true;
          }
          buf->append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
        }
        p = Escape(p, text ? buf : nullptr);
        if (!p) return nullptr;
        run = p;
      } else if (c < 0x20) {
        return Fail(p, ErrorCode::kInvalidJson, "control character in string");
      } else {
        // A run of non-ASCII characters.
        do {
          const size_t len = Utf8SeqLen(p, static_cast<size_t>(e_ - p), 0);
          if (len == 0) return Fail(p, ErrorCode::kInvalidUtf8, "invalid UTF-8");
          p += len;
        } while (p < e_ && *p >= 0x80);
      }
      p = SkipPlain(p, e_);
    }
  }

  // The escape at p ('\\'); appends its character to *out if out is set.
  P Escape(P p, std::string* out) {
    ++p;  // backslash
    if (p >= e_) return Fail(p, ErrorCode::kInvalidJson, "unterminated escape");
    const char c = static_cast<char>(*p++);
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
      default: return Fail(p - 1, ErrorCode::kInvalidJson, "invalid escape");
    }
    if (simple) {
      if (out) out->push_back(simple);
      return p;
    }
    uint32_t cp = 0;
    if (!Hex4(p, &cp)) return Fail(p, ErrorCode::kInvalidJson, "invalid \\u escape");
    p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail(p, ErrorCode::kInvalidUtf8, "lone low surrogate escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t lo = 0;
      if (e_ - p < 2 || p[0] != '\\' || p[1] != 'u')
        return Fail(p, ErrorCode::kInvalidUtf8, "lone high surrogate escape");
      p += 2;
      if (!Hex4(p, &lo)) return Fail(p, ErrorCode::kInvalidJson, "invalid \\u escape");
      p += 4;
      if (lo < 0xDC00 || lo > 0xDFFF)
        return Fail(p, ErrorCode::kInvalidUtf8, "high surrogate not followed by a low surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (out) unicode::AppendUtf8(cp, out);
    return p;
  }

  bool Hex4(P p, uint32_t* cp) const {
    if (e_ - p < 4) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = HexVal(static_cast<char>(p[i]));
      if (h < 0) return false;
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    *cp = v;
    return true;
  }

  // ---- validation only ----

  // Validates the value at p (not whitespace, maybe e_), with `depth`
  // containers around it, selecting, visiting and deleting nothing.
  P Validate(P p, uint32_t depth) {
    const uint32_t room = max_depth_ - depth;  // containers that may open here; depth <= max_depth_
    uint64_t kinds = 0;                        // bit i: the container i levels out is an object
    uint32_t level = 0;                        // containers open in this call
  value:
    if (p >= e_) [[unlikely]]
      return Fail(p, ErrorCode::kInvalidJson, "unexpected end of document");
    switch (*p) {
      case '"':
        p = SkipString(p);
        if (!p) [[unlikely]]
          return nullptr;
        goto next;
      case '{':
        if (level >= room) [[unlikely]]
          return FailDepth(p);
        p = Ws(p + 1);
        if (p < e_ && *p == '}') {
          ++p;
          goto next;
        }
        Push(kinds, level, 1);
        goto key;
      case '[':
        if (level >= room) [[unlikely]]
          return FailDepth(p);
        p = Ws(p + 1);
        if (p < e_ && *p == ']') {
          ++p;
          goto next;
        }
        Push(kinds, level, 0);
        goto value;
      case 't': p = Literal(p, "true", 4); break;
      case 'f': p = Literal(p, "false", 5); break;
      case 'n': p = Literal(p, "null", 4); break;
      default: p = Number(p); break;
    }
    if (!p) [[unlikely]]
      return nullptr;
  next:
    if (level == 0) return p;
    p = Ws(p);
    if (kinds & 1) {
      if (p >= e_) [[unlikely]]
        return Fail(p, ErrorCode::kInvalidJson, "unterminated object");
      if (*p == ',') {
        p = Ws(p + 1);
        goto key;
      }
      if (*p != '}') [[unlikely]]
        return Fail(p, ErrorCode::kInvalidJson, "expected ',' or '}'");
    } else {
      if (p >= e_) [[unlikely]]
        return Fail(p, ErrorCode::kInvalidJson, "unterminated array");
      if (*p == ',') {
        p = Ws(p + 1);
        goto value;
      }
      if (*p != ']') [[unlikely]]
        return Fail(p, ErrorCode::kInvalidJson, "expected ',' or ']'");
    }
    ++p;
    Pop(kinds, level);
    goto next;
  key:
    if (p >= e_ || *p != '"') [[unlikely]]
      return Fail(p, ErrorCode::kInvalidJson, "expected a string key");
    p = SkipString(p);
    if (!p) [[unlikely]]
      return nullptr;
    p = Ws(p);
    if (p >= e_ || *p != ':') [[unlikely]]
      return Fail(p, ErrorCode::kInvalidJson, "expected ':'");
    p = Ws(p + 1);
    goto value;
  }

  // The open-container stack of Validate: the innermost 64 levels in a word,
  // outer ones spilled to a vector (only past 64 levels).
  [[gnu::always_inline]] void Push(uint64_t& kinds, uint32_t& level, uint64_t is_object) {
    if (level >= 64) [[unlikely]]
      spill_.push_back(static_cast<uint8_t>(kinds >> 63));
    kinds = (kinds << 1) | is_object;
    ++level;
  }
  [[gnu::always_inline]] void Pop(uint64_t& kinds, uint32_t& level) {
    kinds >>= 1;
    if (--level >= 64) [[unlikely]] {
      kinds |= static_cast<uint64_t>(spill_.back()) << 63;
      spill_.pop_back();
    }
  }

  // ---- selecting, deleting, visiting ----

  // Whether the value at p is a container that `node` (not a terminal)
  // descends into.
  bool CanDescend(P p, const PathSet::Node& node) const {
    if (p >= e_) return false;
    if (*p == '{') return !node.keys.empty();
    if (*p == '[') return node.any_index >= 0;
    return false;
  }

  // Validates the value at p (not whitespace, maybe e_) that nothing is
  // selected or visited in: strings and numbers inline, the rest in Validate.
  [[gnu::always_inline]] P Skip(P p, uint32_t depth) {
    if (p < e_) {
      if (*p == '"') return SkipString(p);
      if (IsDigit(*p) || *p == '-') return Number(p);
    }
    return Validate(p, depth);
  }

  // node: trie position (nullptr: nothing selected below here).
  // leaf_rule: >= 0 when an enclosing container was selected: every scalar
  // leaf gets this rule. p is not whitespace (maybe e_).
  P Value(P p, const PathSet::Node* node, int32_t leaf_rule, uint32_t depth) {
    int32_t rule = leaf_rule;
    if (p >= e_) return Fail(p, ErrorCode::kInvalidJson, "unexpected end of document");
    if (node && node->terminal >= 0) {
      rule = node->terminal;
      if ((node->whole || node->scalars_only) && (*p == '{' || *p == '[')) {
        if (node->whole) return Whole(p, rule, depth);
        return UnlistedContainer(p, depth);
      }
      node = nullptr;
    }
    if (!node && rule < 0 && !visit_) return Validate(p, depth);
    switch (*p) {
      case '{': return Object(p, node, rule, depth + 1);
      case '[': return Array(p, node, rule, depth + 1);
      case '"': {
        if (rule < 0 && !visit_) return SkipString(p);
        std::string_view text;
        const P q = ReadString(p, &buf_, &text);
        if (!q) return nullptr;
        if (rule >= 0) return Emit(rule, JsonType::kString, p, q, text);
        return Visit(JsonType::kString, p, q, text);
      }
      case 't': return Bool(p, "true", 4, rule);
      case 'f': return Bool(p, "false", 5, rule);
      case 'n': {
        const P q = Literal(p, "null", 4);
        if (!q || rule >= 0 || !visit_) return q;
        return Visit(JsonType::kNull, p, q, View(p, q));
      }
      default: {
        const P q = Number(p);
        if (!q) return nullptr;
        if (rule >= 0) return Emit(rule, JsonType::kNumber, p, q, View(p, q));
        if (visit_) return Visit(JsonType::kNumber, p, q, View(p, q));
        return q;
      }
    }
  }

  P Bool(P p, const char* word, size_t len, int32_t rule) {
    const P q = Literal(p, word, len);
    if (!q) return q;
    if (rule < 0) return visit_ ? Visit(JsonType::kBool, p, q, View(p, q)) : q;
    return Emit(rule, JsonType::kBool, p, q, View(p, q));
  }

  // A selected object or array whose members are unlisted (scalars_only):
  // kept, dropped or visited as the unlisted mode says.
  P UnlistedContainer(P p, uint32_t depth) {
    if (!drop_ && !visit_) return Validate(p, depth);
    const PathSet::Node* none = drop_ ? &PathSet::Unlisted() : nullptr;
    return *p == '{' ? Object(p, none, -1, depth + 1) : Array(p, none, -1, depth + 1);
  }

  // Whether the value at p (< e_) is of another shape than the non-terminal
  // `node` descends into; null is absent, not a mismatch.
  [[gnu::always_inline]] bool ShapeMismatch(P p, const PathSet::Node& node) const {
    return node.terminal < 0 && *p != 'n' && !CanDescend(p, node);
  }

  [[gnu::cold, gnu::noinline]] P FailShape(P at, const PathSet::Node& node) {
    static constexpr const char* kNames[] = {"null", "a boolean", "a number", "a string", "an object", "an array"};
    const char* want = !node.keys.empty() ? (node.any_index >= 0 ? "an object or an array" : "an object") : "an array";
    std::string what = "rule path '" + paths_->PathThrough(node) + "' expects " + want + " where the record has " +
                       kNames[static_cast<int>(PeekType(at))];
    if (!node.any_fail && node.mismatch_partials == 3)
      what +=
          " (its rules say protect, but a scan and a mask or generalize show different parts of a value: "
          "neither can stand for the other)";
    return Fail(at, ErrorCode::kPathShapeMismatch, what);
  }

  [[gnu::cold, gnu::noinline]] P FailVariant(P at, const PathSet::Node& parent, const PathSet::Node& child) {
    std::string what = "a member name differs from '" + std::string(paths_->KeyOf(parent, child)) + "' of rule path '" +
                       paths_->PathThrough(child) + "' only by case, width, accents, spaces or invisible characters";
    return Fail(at, ErrorCode::kAmbiguousFieldName, what);
  }

  // A member name with dots that spells a path of the rules from n
  // ("user.rrn" beside "user": {"rrn": ...}), or a place inside a value a
  // rule protects, as a reader that expands dotted names (Elasticsearch,
  // OpenSearch, JSON flatteners) reads it: a segment's [..], or a segment of
  // digits or '*' where the path has [*], steps into an array; a name the
  // path has below [*] may stand without the index (Elasticsearch flattens
  // arrays of objects so); empty segments are skipped. The node it reaches,
  // or nullptr. The caller gives the name folded when it folds (a full-width
  // or one-dot-leader dot is a dot to NFKC).
  //
  // `folded`: the key is folded (FoldName), and is compared with the
  // folded form of a quoted key with dots. `parts`, if given (with a folded
  // key): where the rest of the key stops part-way through such a quoted key
  // ("k" or "k.v" beside meta["k.v.w"]), which member names nested in its
  // value may go on to spell (NestedDotted).
  const PathSet::Node* DottedName(const PathSet::Node& n, std::string_view key, bool folded = false,
                                  std::vector<DottedPart>* parts = nullptr) const {
    const PathSet::Node* cur = &n;
    // Inside a value a rule protects (a keep of scalars passes it anyway).
    auto inside = [](const PathSet::Node* t) { return t->scalars_only ? nullptr : t; };
    for (;;) {
      // A key of the path that holds dots itself (meta["k.v"]) is matched
      // whole first.
      bool whole_key = false;
      for (uint32_t k : cur->dotted) {
        const std::string_view child_key = folded ? cur->folded[k].first : cur->keys[k].first;
        const uint32_t idx = cur->keys[k].second;
        if (parts && StopsInside(key, child_key)) parts->push_back({cur, std::string(key)});
        if (key.size() >= child_key.size() && key.compare(0, child_key.size(), child_key) == 0 &&
            (key.size() == child_key.size() || key[child_key.size()] == '.' || key[child_key.size()] == '[')) {
          const size_t rest = key.find('.', child_key.size());
          cur = &paths_->node(idx);
          for (size_t b = key.find('[', child_key.size()); b < rest; b = key.find('[', b + 1)) {
            if (cur->terminal >= 0) return inside(cur);
            cur = paths_->ChildAnyIndex(*cur);
            if (!cur) return nullptr;
          }
          if (rest == std::string_view::npos) return cur;
          if (cur->terminal >= 0) return inside(cur);
          key.remove_prefix(rest + 1);
          whole_key = true;
          break;
        }
      }
      if (whole_key) continue;
      const size_t dot = key.find('.');
      const std::string_view seg = key.substr(0, dot);
      const std::string_view name = seg.substr(0, seg.find('['));
      if (!name.empty()) {
        const PathSet::Node* next = paths_->ChildByKey(*cur, name);
        if (!next) next = paths_->ChildByFoldedKey(*cur, name);
        if (!next && cur->any_index >= 0) {
          const PathSet::Node* item = paths_->ChildAnyIndex(*cur);
          if (name == "*" || name.find_first_not_of("0123456789") == std::string_view::npos) {
            next = item;
          } else {
            // Arrays of arrays are flattened away as well (arr.p beside arr[*][*].p).
            for (; item && !next; item = item->any_index >= 0 ? paths_->ChildAnyIndex(*item) : nullptr) {
              next = paths_->ChildByKey(*item, name);
              if (!next) next = paths_->ChildByFoldedKey(*item, name);
            }
          }
        }
        if (!next) return nullptr;
        cur = next;
      } else if (seg.empty() && dot == std::string_view::npos) {
        return cur == &n ? nullptr : cur;
      }
      for (size_t b = seg.find('['); b != std::string_view::npos; b = seg.find('[', b + 1)) {
        if (cur->terminal >= 0) return inside(cur);
        cur = paths_->ChildAnyIndex(*cur);
        if (!cur) return nullptr;
      }
      if (dot == std::string_view::npos) return cur == &n ? nullptr : cur;
      if (cur->terminal >= 0) return inside(cur);
      key.remove_prefix(dot + 1);
    }
  }

  // A member name that spells a path with brackets as a field reference
  // ("[user][rrn]" to Logstash, "user[rrn]" to form-parameter and query
  // string parsers, "user['rrn']" to JavaScript): read as dots
  // (BracketsAsDots), as DottedName reads it; `folded`, the name folded
  // (empty when it does not fold), too: full-width brackets "user［rrn］".
  // The node it reaches, or nullptr.
  [[gnu::cold, gnu::noinline]] const PathSet::Node* BracketedName(const PathSet::Node& n, std::string_view key,
                                                                  std::string_view folded) const {
    if (key.find('[') != std::string_view::npos)
      if (const std::string dots = BracketsAsDots(key); !dots.empty())
        if (const PathSet::Node* v = DottedName(n, dots)) return v;
    if (folded.find('[') == std::string_view::npos) return nullptr;
    const std::string dots = BracketsAsDots(folded);
    return dots.empty() ? nullptr : DottedName(n, dots, true);
  }

  // `key` without empty dotted segments: runs of dots as one, none at
  // either end.
  static std::string OneDotEach(std::string_view key) {
    std::string out;
    for (char c : key) {
      if (c == '.' && (out.empty() || out.back() == '.')) continue;
      out += c;
    }
    if (!out.empty() && out.back() == '.') out.pop_back();
    return out;
  }

  // `key` with each bracketed name ([rrn], ['rrn'], ["rrn"]) written as a
  // dotted segment (.rrn; "rrn" at the start); an index ([0], [*], []) stays
  // as DottedName reads it; what follows a bracket other than another
  // bracket or a dot is dropped, as PHP's and qs's parsers drop it
  // ("user[rrn]x"). Empty when no bracket holds a name.
  static std::string BracketsAsDots(std::string_view key) {
    std::string out;
    bool changed = false;
    size_t i = 0;
    while (i < key.size()) {
      const size_t open = key.find('[', i);
      const size_t close = open == std::string_view::npos ? open : key.find(']', open + 1);
      if (close == std::string_view::npos) {
        out.append(key.substr(i));
        break;
      }
      out.append(key.substr(i, open - i));
      std::string_view inner = key.substr(open + 1, close - open - 1);
      if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"') && inner.back() == inner.front())
        inner = inner.substr(1, inner.size() - 2);
      if (inner.empty() || inner == "*" || inner.find_first_not_of("0123456789") == std::string_view::npos) {
        out.append(key.substr(open, close + 1 - open));
      } else {
        if (!out.empty() && out.back() != '.') out += '.';
        out.append(inner);
        changed = true;
      }
      i = close + 1;
      if (changed && i < key.size() && key[i] != '[' && key[i] != '.') break;
    }
    return changed ? out : std::string();
  }

  // Whether `key` is a strict part of `dotted` that ends at one of its dots
  // ("k" and "k.v" of "k.v.w").
  static bool StopsInside(std::string_view key, std::string_view dotted) {
    return !key.empty() && dotted.size() > key.size() && dotted[key.size()] == '.' && dotted.starts_with(key);
  }

  // Whether a member at `node` may begin a spelling of a quoted key with
  // dots in nested names ({"user":{"phone":…}} beside ["user.phone"]): a
  // cheap filter before NestedDotted, which decides.
  static bool MayNestDotted(const PathSet::Node& node, std::string_view key, bool may_fold) {
    if (may_fold || key.find_first_of(".[") != std::string_view::npos) return true;
    for (uint32_t k : node.dotted)
      if (StopsInside(key, node.folded[k].first)) return true;
    return false;
  }

  // The member at `member` (its value at `value`, already scanned) of an
  // object at `node`, whose name (folded) stops part-way through a quoted
  // key with dots: a reader that joins nested names with dots (Elasticsearch
  // and OpenSearch flatten objects so, and arrays of objects away; Spark,
  // Hive and pandas flatteners likewise) reads the names nested in its
  // value as going on along that key. A spelling that reaches a rule's path
  // or a place inside a value a rule protects, other than the path itself,
  // fails as DottedName's does. false when it fails.
  [[gnu::cold, gnu::noinline]] bool NestedDotted(const PathSet::Node& node, P member, P value, uint32_t depth) {
    std::string buf;
    std::string_view name;
    if (!ReadString(member, &buf, &name)) return false;
    const std::string folded = unicode::NameMayFold(name) ? unicode::FoldName(name) : std::string(name);
    std::vector<DottedPart> parts;
    DottedName(node, folded, true, &parts);
    return parts.empty() || WalkDotted(parts, value, depth) != nullptr;
  }

  // Whether `acc` (folded) goes on through a quoted key with dots of `base`.
  static bool Through(const PathSet::Node& base, std::string_view acc) {
    for (uint32_t k : base.dotted) {
      const std::string_view dk = base.folded[k].first;
      if (acc.starts_with(dk) && (acc.size() == dk.size() || acc[dk.size()] == '.' || acc[dk.size()] == '['))
        return true;
    }
    return false;
  }

  // The value at p (scanned already, so valid) under the spellings in
  // progress `parts`: each member name nested in it continues each of them
  // (an empty one leaves them as they are: a reader that drops empty names
  // reads what it holds as going on along them); arrays are flattened away.
  // The end of the value, or nullptr after Fail.
  P WalkDotted(const std::vector<DottedPart>& parts, P p, uint32_t depth) {
    if (*p == '[') {
      p = Ws(p + 1);
      while (*p != ']') {
        p = *p == '{' || *p == '[' ? WalkDotted(parts, p, depth + 1) : Skip(p, depth);
        if (!p) return nullptr;
        p = Ws(p);
        if (*p == ',') p = Ws(p + 1);
      }
      return p + 1;
    }
    if (*p != '{') return Skip(p, depth);
    p = Ws(p + 1);
    std::string buf;
    std::vector<DottedPart> next;
    while (*p != '}') {
      const P member = p;
      std::string_view name;
      p = ReadString(p, &buf, &name);
      if (!p) return nullptr;
      const std::string folded = unicode::NameMayFold(name) ? unicode::FoldName(name) : std::string(name);
      p = Ws(Ws(p) + 1);  // past ':'
      next.clear();
      if (folded.empty()) next = parts;
      for (const DottedPart& part : folded.empty() ? std::vector<DottedPart>() : parts) {
        std::string acc = part.acc + "." + folded;
        if (Through(*part.base, acc)) {
          std::vector<DottedPart> deeper;
          const PathSet::Node* r = DottedName(*part.base, acc, true, &deeper);
          if (r && r->terminal >= 0) return FailNestedDotted(member, *r);
          if (r || !deeper.empty()) next.push_back({part.base, std::move(acc)});
        } else {
          for (uint32_t k : part.base->dotted) {
            if (StopsInside(acc, part.base->folded[k].first)) {
              next.push_back({part.base, std::move(acc)});
              break;
            }
          }
        }
      }
      p = !next.empty() && (*p == '{' || *p == '[') ? WalkDotted(next, p, depth + 1) : Skip(p, depth);
      if (!p) return nullptr;
      p = Ws(p);
      if (*p == ',') p = Ws(p + 1);
    }
    return p + 1;
  }

  [[gnu::cold, gnu::noinline]] P FailNestedDotted(P at, const PathSet::Node& reached) {
    std::string what = "member names nested in one another read, joined with dots, as the path '" +
                       paths_->PathThrough(reached) +
                       "' of the rules, or a field inside it, spelled another way (a reader that joins nested "
                       "names with dots would take them for that field)";
    return Fail(at, ErrorCode::kAmbiguousFieldName, what);
  }

  [[gnu::cold, gnu::noinline]] P FailDotted(P at, const PathSet::Node& reached) {
    std::string what = "a member name with dots or brackets reads as the path '" + paths_->PathThrough(reached) +
                       "' of the rules, or a field inside it (a reader that expands dotted names would take it for "
                       "that field)";
    return Fail(at, ErrorCode::kAmbiguousFieldName, what);
  }

  // A selected object or array handed over as one value.
  P Whole(P p, int32_t rule, uint32_t depth) {
    const JsonType type = *p == '{' ? JsonType::kObject : JsonType::kArray;
    const P q = Validate(p, depth);
    if (!q) return nullptr;
    return Emit(rule, type, p, q, View(p, q));
  }

  // Emit's rare case, out of its line (Emit runs once per ruled value).
  [[gnu::noinline]] Status EmitMismatch(int32_t rule, const ScalarRef& ref) {
    const std::span<const PathStep> at = visit_ ? std::span<const PathStep>(path_) : std::span<const PathStep>();
    return rw_->RewriteMismatch(rule, ref, at, &edit_text_);
  }

  [[gnu::always_inline]] P Emit(int32_t rule, JsonType type, P start, P end, std::string_view text) {
    const ScalarRef ref{type, View(start, end), text};
    const size_t off = edit_text_.size();
    if (in_mismatch_) [[unlikely]] {
      if (Status st = EmitMismatch(rule, ref); !st.ok()) return Propagate(st);
    } else if (Status st = rw_->Rewrite(rule, ref, &edit_text_); !st.ok()) [[unlikely]] {
      return Propagate(st);
    }
    edits_.push_back({Off(start), Off(end), off, edit_text_.size() - off});
    ++rewritten_;
    return end;
  }

  P Visit(JsonType type, P start, P end, std::string_view text) {
    const ScalarRef ref{type, View(start, end), text};
    const size_t off = edit_text_.size();
    bool changed = false;
    if (Status st = rw_->RewriteUnlisted(ref, std::span<const PathStep>(path_), &edit_text_, &changed); !st.ok())
      return Propagate(st);
    ++visited_;
    if (changed) {
      edits_.push_back({Off(start), Off(end), off, edit_text_.size() - off});
      ++rewritten_;
    } else {
      edit_text_.resize(off);
    }
    return end;
  }

  P Object(P p, const PathSet::Node* node, int32_t rule, uint32_t depth) {
    if (depth > max_depth_) return FailDepth(p);
    const P open = p;
    p = Ws(p + 1);
    if (p < e_ && *p == '}')
      return rule < 0 && visit_ ? Visit(JsonType::kObject, open, p + 1, View(open, p + 1)) : p + 1;
    const bool lookup = node && !node->keys.empty();
    const bool drop_unlisted = node && drop_;
    const bool may_delete = drop_unlisted || (node && node->has_remove_child);
    const bool plain = rule < 0 && !visit_;  // unselected members need validation only
    Deletions del;
    for (;;) {
      if (p >= e_ || *p != '"') return Fail(p, ErrorCode::kInvalidJson, "expected a string key");
      const P member_begin = p;
      if (may_delete) ItemBegin(del, member_begin);
      const PathSet::Node* child = nullptr;
      std::string_view key;
      bool nested_dotted = false;  // names nested in the value may spell a quoted key with dots
      bool blank = false;          // a name that folds to nothing (" ", "\u200b", "\u0000"), or ""
      if (lookup || visit_ || rule >= 0) {
        p = ReadString(p, &key_buf_, &key);
        if (!p) return nullptr;
        if (rule >= 0 && rw_) {  // a name inside a selected object stays as it is: the rewriter may refuse it
          if (Status st = rw_->RuledName(rule, key); !st.ok()) [[unlikely]]
            return Fail(member_begin, st.error().code, st.error().message);
        }
        if (lookup) {
          child = paths_->ChildByKey(*node, key);
          if (dotted_) [[unlikely]]
            nested_dotted = MayNestDotted(*node, key, unicode::NameMayFold(key));
          if (!child) {
            // A name that only folds to a ruled one, or whose dots and
            // brackets (written, or folded: "user．rrn", U+2024) spell a
            // ruled path. Folded once per name.
            const bool may_fold = unicode::NameMayFold(key);
            if ((may_fold || node->fold_all) && !node->folded.empty()) [[unlikely]] {
              folded_buf_ = unicode::FoldName(key);
              if (const PathSet::Node* v = paths_->ChildByFoldedName(*node, folded_buf_))
                return FailVariant(member_begin, *node, *v);
              // A NUL ends the name for readers in C ("rrn\u0000x" is "rrn"
              // there; found by review: it passed beside rrn under keep).
              if (const size_t nul = key.find('\0'); may_fold && nul != std::string_view::npos)
                if (const PathSet::Node* v = paths_->ChildByFoldedKey(*node, key.substr(0, nul)))
                  return FailVariant(member_begin, *node, *v);
            } else {
              folded_buf_.clear();
            }
            if (key.find_first_of(".[") != std::string_view::npos) [[unlikely]] {
              if (const PathSet::Node* v = DottedName(*node, key)) return FailDotted(member_begin, *v);
            }
            if (may_fold) [[unlikely]] {
              if (folded_buf_.empty()) folded_buf_ = unicode::FoldName(key);
              if (folded_buf_.find_first_of(".[") != std::string::npos)
                if (const PathSet::Node* v = DottedName(*node, folded_buf_, true)) return FailDotted(member_begin, *v);
            }
            // (folded_buf_ holds the folded name whenever it may fold.)
            const std::string_view folded = may_fold ? std::string_view(folded_buf_) : std::string_view();
            blank = key.empty() || (may_fold && folded.empty());
            if (key.find('[') != std::string_view::npos || folded.find('[') != std::string_view::npos) [[unlikely]] {
              if (const PathSet::Node* v = BracketedName(*node, key, folded)) return FailDotted(member_begin, *v);
            }
            if (!node->dotted.empty() &&
                (key.find('.') != std::string_view::npos || folded.find('.') != std::string_view::npos)) [[unlikely]] {
              // Empty segments against a rule's quoted key with dots
              // ("k..v", "k．．v" beside meta["k.v"]: a reader that skips them).
              if (const std::string one = OneDotEach(key); one != key)
                if (const PathSet::Node* v = DottedName(*node, one)) return FailDotted(member_begin, *v);
              if (const std::string one = OneDotEach(folded); one != folded)
                if (const PathSet::Node* v = DottedName(*node, one, true)) return FailDotted(member_begin, *v);
            }
          }
        }
      } else {
        p = SkipString(p);
        if (!p) return nullptr;
      }
      p = Ws(p);
      if (p >= e_ || *p != ':') return Fail(p, ErrorCode::kInvalidJson, "expected ':'");
      p = Ws(p + 1);
      const P value_begin = p;
      // An empty name holding an object or array where ruled paths go on:
      // {"user":{"":{"rrn":…}}} reads as user.rrn to a flattener that drops
      // empty names, as "user..rrn" (refused above) does to one that joins
      // them (found by review: passed under unlisted_fields: keep). So does
      // a name that folds to nothing: only white space, control or invisible
      // characters (" ", "\u200b", "\u0000" (a C reader's ""), "\ufeff",
      // "\u00ad"; found by review: they passed while "" was refused).
      if (lookup && !child && blank && p < e_ && (*p == '{' || *p == '[')) [[unlikely]]
        return Fail(member_begin, ErrorCode::kAmbiguousFieldName,
                    "an empty or blank member name holding an object or array where a rule's path goes on (a "
                    "reader that drops empty names would take what it holds for the ruled path)");
      bool remove = child && child->terminal >= 0 && child->remove;
      int32_t member_rule = rule;
      bool mismatched = false;
      if (child && p < e_ && ShapeMismatch(p, *child)) [[unlikely]] {
        if (child->mismatch_rule < 0) return FailShape(p, *child);
        remove = child->mismatch_remove;  // protect: delete the member, or select every scalar in it
        member_rule = child->mismatch_rule;
        child = nullptr;
        mismatched = true;
      }
      const bool drop =
          !remove && member_rule < 0 && drop_unlisted && (!child || (child->terminal < 0 && !CanDescend(p, *child)));
      if (remove || drop) {
        p = Validate(p, depth);
        if (!p) return nullptr;
        ++(remove ? removed_ : dropped_);
        if (remove && rw_) rw_->Removed(child ? child->terminal : member_rule);
        ItemDeleted(del, member_begin, p);
      } else if (!child && plain && member_rule < 0) {
        p = Skip(p, depth);
        if (!p) return nullptr;
        if (may_delete) ItemKept(del, p);
      } else {
        if (visit_) {
          if (key.data() == key_buf_.data()) key = StableKey(depth, key);  // key_buf_ is reused by nested keys
          path_.push_back({key, -1});
          if (Status st = rw_->VisitedName(std::span<const PathStep>(path_)); !st.ok()) [[unlikely]]
            return Fail(member_begin, st.error().code, st.error().message);
        }
        // (Restored after it, not cleared: a sibling after a mismatch
        // nested in a mismatching value is still inside the outer one.)
        const bool outer = in_mismatch_;
        in_mismatch_ = outer || mismatched;
        p = Value(p, child, member_rule, depth);
        in_mismatch_ = outer;
        if (visit_) path_.pop_back();
        if (!p) return nullptr;
        if (may_delete) ItemKept(del, p);
      }
      if (nested_dotted) [[unlikely]] {
        if (!NestedDotted(*node, member_begin, value_begin, depth)) return nullptr;
      }
      p = Ws(p);
      if (p >= e_) return Fail(p, ErrorCode::kInvalidJson, "unterminated object");
      if (*p == ',') {
        p = Ws(p + 1);
        continue;
      }
      if (*p == '}') {
        ++p;
        break;
      }
      return Fail(p, ErrorCode::kInvalidJson, "expected ',' or '}'");
    }
    if (may_delete) ItemsEnd(del);
    return p;
  }

  // A copy of an unescaped key that stays valid while the member's value is
  // scanned (one slot per depth).
  std::string_view StableKey(uint32_t depth, std::string_view key) {
    while (visit_keys_.size() <= depth) visit_keys_.emplace_back();  // within the reserved capacity
    visit_keys_[depth].assign(key);
    return visit_keys_[depth];
  }

  P Array(P p, const PathSet::Node* node, int32_t rule, uint32_t depth) {
    if (depth > max_depth_) return FailDepth(p);
    const P open = p;
    p = Ws(p + 1);
    if (p < e_ && *p == ']')
      return rule < 0 && visit_ ? Visit(JsonType::kArray, open, p + 1, View(open, p + 1)) : p + 1;
    const PathSet::Node* elem = node ? paths_->ChildAnyIndex(*node) : nullptr;
    const bool remove = elem && elem->terminal >= 0 && elem->remove;
    const bool drop_unlisted = node && drop_;
    Deletions del;
    int64_t index = 0;
    for (;;) {
      const P begin = p;
      ItemBegin(del, begin);
      const PathSet::Node* child = elem;
      bool remove_item = remove;
      int32_t item_rule = rule;
      bool mismatched = false;
      if (child && p < e_ && ShapeMismatch(p, *child)) [[unlikely]] {
        if (child->mismatch_rule < 0) return FailShape(p, *child);
        remove_item = child->mismatch_remove;  // protect: delete the element, or select every scalar in it
        item_rule = child->mismatch_rule;
        child = nullptr;
        mismatched = true;
      }
      const bool drop =
          !remove_item && item_rule < 0 && drop_unlisted && (!child || (child->terminal < 0 && !CanDescend(p, *child)));
      if (remove_item || drop) {
        p = Validate(p, depth);
        if (!p) return nullptr;
        ++(remove_item ? removed_ : dropped_);
        if (remove_item && rw_) rw_->Removed(child ? child->terminal : item_rule);
        ItemDeleted(del, begin, p);
      } else {
        if (visit_) path_.push_back({{}, index});
        // (Restored after it, not cleared: a sibling after a mismatch
        // nested in a mismatching value is still inside the outer one.)
        const bool outer = in_mismatch_;
        in_mismatch_ = outer || mismatched;
        p = Value(p, child, item_rule, depth);
        in_mismatch_ = outer;
        if (visit_) path_.pop_back();
        if (!p) return nullptr;
        ItemKept(del, p);
      }
      ++index;
      p = Ws(p);
      if (p >= e_) return Fail(p, ErrorCode::kInvalidJson, "unterminated array");
      if (*p == ',') {
        p = Ws(p + 1);
        continue;
      }
      if (*p == ']') {
        ++p;
        break;
      }
      return Fail(p, ErrorCode::kInvalidJson, "expected ',' or ']'");
    }
    ItemsEnd(del);
    return p;
  }

  std::string_view d_;
  P b_;  // document begin
  P e_;  // document end
  const PathSet* paths_;
  uint32_t max_depth_;
  ValueRewriter* rw_;
  std::vector<Edit>& edits_;
  std::string& edit_text_;
  std::string& buf_;
  std::string& key_buf_;
  std::string folded_buf_;  // FoldName of an unmatched member name at a ruled level
  bool drop_ = false;
  bool visit_ = false;
  bool in_mismatch_ = false;    // inside a value a mismatch protects (TerminalOptions::protect_on_mismatch)
  bool dotted_ = false;         // some path has a quoted key with dots
  Error err_;                   // set when a walker returns nullptr
  std::vector<uint8_t> spill_;  // Validate's container kinds past 64 levels
  std::string_view slow_text_;  // ReadString's result from String()
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

namespace {

// Whether an error of the scan says what is wrong with the document itself
// (what ValidateJson would also say), rather than with a value in it.
bool IsDocumentError(ErrorCode code) {
  return code == ErrorCode::kInvalidJson || code == ErrorCode::kInvalidUtf8 || code == ErrorCode::kDepthExceeded;
}

}  // namespace

Result<RewriteStats> RewriteJson(std::string_view doc, const PathSet& paths, const JsonLimits& limits,
                                 ValueRewriter& rewriter, std::string* out) {
  Status st = Status::Ok();
  RewriteStats stats;
  {
    ScratchLease scratch;
    Scanner sc(doc, &paths, limits, &rewriter, scratch.get());
    st = sc.Run(&stats);
    if (st.ok()) {
      sc.Splice(out);
      return stats;
    }
  }
  // The scan stops at the first error, so a rule's refusal of a value (an
  // fpe rule's value_too_short for the "0" of {"n":0001234567}) or a shape
  // or name refusal would be the reason of a document that is not JSON at
  // all, depending on which rule covers the member (found by review). The
  // whole document is validated before a value's reason is returned: a
  // document that is not valid JSON is refused as such, whatever the rules.
  // Only on this error path; a valid document pays nothing for it.
  if (!IsDocumentError(st.error().code))
    if (Status whole = ValidateJson(doc, limits); !whole.ok()) return whole.error();
  return st.error();
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

bool DecodeJsonString(std::string_view lit, std::string* out) {
  out->clear();
  if (lit.size() < 2 || lit.front() != '"' || lit.back() != '"') return false;
  std::string_view s = lit.substr(1, lit.size() - 2);
  auto hex4 = [&](size_t i, uint32_t* v) {
    if (i + 4 > s.size()) return false;
    *v = 0;
    for (size_t k = i; k < i + 4; ++k) {
      char c = s[k];
      uint32_t d = c >= '0' && c <= '9'   ? static_cast<uint32_t>(c - '0')
                   : c >= 'a' && c <= 'f' ? static_cast<uint32_t>(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? static_cast<uint32_t>(c - 'A' + 10)
                                          : 16u;
      if (d == 16) return false;
      *v = *v * 16 + d;
    }
    return true;
  };
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (static_cast<unsigned char>(c) < 0x20 || c == '"') return false;
    if (c != '\\') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i++]) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp = 0;
        if (!hex4(i, &cp)) return false;
        i += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo = 0;
          if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u' || !hex4(i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return false;
          i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        unicode::AppendUtf8(cp, out);
        break;
      }
      default: return false;
    }
  }
  return IsValidUtf8(*out);
}

}  // namespace maskproxy::codec
