// An independent strict JSON parser (RFC 8259) for the fuzz oracles: written
// for them, it shares no code with src/codec, so that the two can be checked
// against each other. No comments, trailing commas, NaN/Infinity, BOM,
// leading zeros or several roots; strings valid UTF-8 (shortest forms, no
// surrogates, at most U+10FFFF) with no lone surrogates in \u escapes. Every
// value records its byte span. Recursive, but gives up past 256 levels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace maskproxy::fuzz {

enum class Type { kNull, kBool, kNumber, kString, kObject, kArray };

struct Node {
  Type type = Type::kNull;
  size_t begin = 0, end = 0;  // [begin, end) in the document
  std::string text;           // strings: decoded; numbers and booleans: as written
  struct Key {
    size_t begin = 0, end = 0;  // the raw name with its quotes
    std::string name;           // decoded
  };
  std::vector<Key> keys;  // objects: one per member, parallel to kids
  std::vector<Node> kids;
};

class Parser {
 public:
  explicit Parser(std::string_view doc) : d_(doc) {}

  // True when the whole document is one valid JSON value (with optional
  // surrounding white space). deepest() is the deepest nesting reached, also
  // when the document is rejected (counting up to the point of the error).
  bool Parse(Node* root) {
    size_t p = Ws(0);
    if (!Value(&p, root, 0)) return false;
    p = Ws(p);
    return p == d_.size();
  }
  [[nodiscard]] uint32_t deepest() const { return deepest_; }

 private:
  static constexpr uint32_t kGiveUpDepth = 256;  // far past any limit under test

  size_t Ws(size_t p) const {
    while (p < d_.size() && (d_[p] == ' ' || d_[p] == '\t' || d_[p] == '\n' || d_[p] == '\r')) ++p;
    return p;
  }
  unsigned char At(size_t p) const { return p < d_.size() ? static_cast<unsigned char>(d_[p]) : 0; }

  bool Value(size_t* p, Node* n, uint32_t depth) {
    n->begin = *p;
    if (*p >= d_.size()) return false;
    bool ok = false;
    switch (d_[*p]) {
      case '{': ok = Object(p, n, depth + 1); break;
      case '[': ok = Array(p, n, depth + 1); break;
      case '"':
        n->type = Type::kString;
        ok = String(p, &n->text);
        break;
      case 't': ok = Literal(p, "true", Type::kBool, n); break;
      case 'f': ok = Literal(p, "false", Type::kBool, n); break;
      case 'n': ok = Literal(p, "null", Type::kNull, n); break;
      default: ok = Number(p, n); break;
    }
    n->end = *p;
    return ok;
  }

  bool Literal(size_t* p, std::string_view word, Type type, Node* n) {
    if (d_.substr(*p, word.size()) != word) return false;
    n->type = type;
    n->text = std::string(word);
    *p += word.size();
    return true;
  }

  bool Digits(size_t* p) {
    size_t b = *p;
    while (At(*p) >= '0' && At(*p) <= '9') ++*p;
    return *p > b;
  }

  bool Number(size_t* p, Node* n) {
    size_t b = *p;
    if (At(*p) == '-') ++*p;
    if (At(*p) == '0') {
      ++*p;
    } else if (At(*p) >= '1' && At(*p) <= '9') {
      Digits(p);
    } else {
      return false;
    }
    if (At(*p) == '.') {
      ++*p;
      if (!Digits(p)) return false;
    }
    if (At(*p) == 'e' || At(*p) == 'E') {
      ++*p;
      if (At(*p) == '+' || At(*p) == '-') ++*p;
      if (!Digits(p)) return false;
    }
    n->type = Type::kNumber;
    n->text = std::string(d_.substr(b, *p - b));
    return true;
  }

  static void PutUtf8(uint32_t cp, std::string* out) {
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

  bool Hex4(size_t* p, uint32_t* v) {
    *v = 0;
    for (int i = 0; i < 4; ++i) {
      unsigned char c = At(*p);
      uint32_t x;
      if (c >= '0' && c <= '9')
        x = c - '0';
      else if (c >= 'a' && c <= 'f')
        x = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        x = c - 'A' + 10;
      else
        return false;
      *v = *v * 16 + x;
      ++*p;
    }
    return true;
  }

  // One UTF-8 encoded character at *p (first byte >= 0x80): shortest form,
  // no surrogates, at most U+10FFFF.
  bool Utf8(size_t* p, std::string* out) {
    unsigned char c = At(*p);
    size_t len;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (*p + len > d_.size()) return false;
    for (size_t i = 1; i < len; ++i) {
      unsigned char t = At(*p + i);
      if ((t & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (t & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    out->append(d_.substr(*p, len));
    *p += len;
    return true;
  }

  bool String(size_t* p, std::string* out) {
    ++*p;  // the opening quote
    for (;;) {
      if (*p >= d_.size()) return false;
      unsigned char c = At(*p);
      if (c == '"') {
        ++*p;
        return true;
      }
      if (c < 0x20) return false;
      if (c >= 0x80) {
        if (!Utf8(p, out)) return false;
        continue;
      }
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++*p;
        continue;
      }
      ++*p;
      unsigned char e = At(*p);
      ++*p;
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(p, &cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate first
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (At(*p) != '\\' || At(*p + 1) != 'u') return false;
            *p += 2;
            if (!Hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          PutUtf8(cp, out);
          break;
        }
        default: return false;
      }
    }
  }

  bool Object(size_t* p, Node* n, uint32_t depth) {
    n->type = Type::kObject;
    if (depth > deepest_) deepest_ = depth;
    if (depth > kGiveUpDepth) return false;
    *p = Ws(*p + 1);
    if (At(*p) == '}' && *p < d_.size()) {
      ++*p;
      return true;
    }
    for (;;) {
      if (At(*p) != '"' || *p >= d_.size()) return false;
      Node::Key key;
      key.begin = *p;
      if (!String(p, &key.name)) return false;
      key.end = *p;
      *p = Ws(*p);
      if (At(*p) != ':' || *p >= d_.size()) return false;
      *p = Ws(*p + 1);
      n->keys.push_back(std::move(key));
      n->kids.emplace_back();
      if (!Value(p, &n->kids.back(), depth)) return false;
      *p = Ws(*p);
      if (*p >= d_.size()) return false;
      if (d_[*p] == ',') {
        *p = Ws(*p + 1);
        continue;
      }
      if (d_[*p] != '}') return false;
      ++*p;
      return true;
    }
  }

  bool Array(size_t* p, Node* n, uint32_t depth) {
    n->type = Type::kArray;
    if (depth > deepest_) deepest_ = depth;
    if (depth > kGiveUpDepth) return false;
    *p = Ws(*p + 1);
    if (At(*p) == ']' && *p < d_.size()) {
      ++*p;
      return true;
    }
    for (;;) {
      n->kids.emplace_back();
      if (!Value(p, &n->kids.back(), depth)) return false;
      *p = Ws(*p);
      if (*p >= d_.size()) return false;
      if (d_[*p] == ',') {
        *p = Ws(*p + 1);
        continue;
      }
      if (d_[*p] != ']') return false;
      ++*p;
      return true;
    }
  }

  std::string_view d_;
  uint32_t deepest_ = 0;
};

}  // namespace maskproxy::fuzz
