#include "detect/prefilter.h"

#include <algorithm>
#include <vector>

namespace maskproxy::detect::internal {
namespace {

using Bits = std::bitset<128>;

constexpr size_t kCap = size_t{1} << 30;  // saturation for lengths and counts
constexpr int kMaxDepth = 100;            // group nesting the parser follows

size_t Add(size_t a, size_t b) {
  return std::min(kCap, a + b);
}
size_t Mul(size_t a, size_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kCap / b ? kCap : std::min(kCap, a * b);
}

bool IsDigit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool IsAlpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

Bits Range(unsigned char lo, unsigned char hi) {
  Bits b;
  for (unsigned c = lo; c <= hi; ++c) b.set(c);
  return b;
}

struct Node {
  enum Kind { kClass, kConcat, kAlt, kRepeat } kind = kClass;
  Bits cls;               // kClass: the bytes one character can be
  std::vector<int> kids;  // kConcat, kAlt; kRepeat: one
  size_t min = 0;         // kRepeat: minimum count
  size_t max = 0;         // kRepeat: maximum count, kInf for none
};

constexpr size_t kInf = static_cast<size_t>(-1);

// Recursive descent over the subset described in prefilter.h. Every Parse*
// returns false for anything outside it.
class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  bool Parse(int* root) { return ParseAlt(root) && i_ == p_.size(); }
  const std::vector<Node>& nodes() const { return nodes_; }

 private:
  int NewNode(Node n) {
    nodes_.push_back(std::move(n));
    return static_cast<int>(nodes_.size() - 1);
  }
  bool AtEnd() const { return i_ >= p_.size(); }
  unsigned char Peek() const { return static_cast<unsigned char>(p_[i_]); }

  bool ParseAlt(int* out) {
    std::vector<int> alts;
    int s = 0;
    if (!ParseSeq(&s)) return false;
    alts.push_back(s);
    while (!AtEnd() && Peek() == '|') {
      ++i_;
      if (!ParseSeq(&s)) return false;
      alts.push_back(s);
    }
    if (alts.size() == 1) {
      *out = alts[0];
    } else {
      Node n;
      n.kind = Node::kAlt;
      n.kids = std::move(alts);
      *out = NewNode(std::move(n));
    }
    return true;
  }

  bool ParseSeq(int* out) {
    Node seq;
    seq.kind = Node::kConcat;
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      int atom = 0;
      if (!ParseAtom(&atom)) return false;
      if (!AtEnd() && (Peek() == '*' || Peek() == '+' || Peek() == '?' || Peek() == '{')) {
        size_t min = 0;
        size_t max = kInf;
        const unsigned char q = Peek();
        if (q == '{') {
          if (!ParseCount(&min, &max)) return false;
        } else {
          ++i_;
          min = q == '+' ? 1 : 0;
          max = q == '?' ? 1 : kInf;
        }
        if (!AtEnd() && Peek() == '?') ++i_;  // lazy
        if (!AtEnd() && (Peek() == '*' || Peek() == '+' || Peek() == '?' || Peek() == '{')) return false;
        Node r;
        r.kind = Node::kRepeat;
        r.kids = {atom};
        r.min = min;
        r.max = max;
        atom = NewNode(std::move(r));
      }
      seq.kids.push_back(atom);
    }
    *out = NewNode(std::move(seq));
    return true;
  }

  // {n}, {n,} or {n,m}.
  bool ParseCount(size_t* min, size_t* max) {
    ++i_;  // '{'
    auto number = [&](size_t* v) {
      const size_t start = i_;
      *v = 0;
      while (!AtEnd() && IsDigit(Peek()) && i_ - start < 5) *v = *v * 10 + (p_[i_++] - '0');
      return i_ > start && (AtEnd() || !IsDigit(Peek()));
    };
    size_t n = 0;
    if (!number(&n)) return false;
    if (AtEnd()) return false;
    size_t m = n;
    if (Peek() == ',') {
      ++i_;
      if (AtEnd()) return false;
      m = kInf;
      if (Peek() != '}') {
        if (!number(&m) || m < n) return false;
      }
    }
    if (AtEnd() || Peek() != '}') return false;
    ++i_;
    *min = n;
    *max = m;
    return true;
  }

  bool ParseAtom(int* out) {
    const unsigned char c = Peek();
    if (c >= 0x80) return false;
    Node n;
    switch (c) {
      case '(': {
        ++i_;
        if (!AtEnd() && Peek() == '?') {
          if (p_.substr(i_).starts_with("?:")) {
            i_ += 2;
          } else if (p_.substr(i_).starts_with("?P<")) {
            i_ += 3;
            const size_t start = i_;
            while (!AtEnd() && (IsAlpha(Peek()) || IsDigit(Peek()) || Peek() == '_')) ++i_;
            if (i_ == start || AtEnd() || Peek() != '>') return false;
            ++i_;
          } else {
            return false;  // flags and anything else
          }
        }
        if (++depth_ > kMaxDepth) return false;
        if (!ParseAlt(out)) return false;
        --depth_;
        if (AtEnd() || Peek() != ')') return false;
        ++i_;
        return true;
      }
      case '[':
        if (!ParseClass(&n.cls)) return false;
        break;
      case '\\': {
        int single = -1;
        if (!ParseEscape(&n.cls, &single)) return false;
        break;
      }
      case '.':
      case '^':
      case '$':
      case ')':
      case '|':
      case '*':
      case '+':
      case '?':
      case '{':
      case '}':
      case ']': return false;
      default:
        n.cls.set(c);
        ++i_;
        break;
    }
    *out = NewNode(std::move(n));
    return true;
  }

  // At '\\'. Fills *set; *single is the byte for a one-byte escape, else -1.
  bool ParseEscape(Bits* set, int* single) {
    ++i_;
    if (AtEnd()) return false;
    const unsigned char c = Peek();
    ++i_;
    *single = -1;
    switch (c) {
      case 'd': *set = Range('0', '9'); return true;
      case 's':
        set->set('\t');
        set->set('\n');
        set->set('\f');
        set->set('\r');
        set->set(' ');
        return true;
      case 'w':
        *set = Range('0', '9') | Range('A', 'Z') | Range('a', 'z');
        set->set('_');
        return true;
      case 'a': *single = '\a'; break;
      case 'f': *single = '\f'; break;
      case 'n': *single = '\n'; break;
      case 'r': *single = '\r'; break;
      case 't': *single = '\t'; break;
      case 'v': *single = '\v'; break;
      default:
        if (c >= 0x80 || IsAlpha(c) || IsDigit(c) || c < 0x20) return false;
        *single = c;  // escaped punctuation or space
        break;
    }
    set->reset();
    set->set(static_cast<size_t>(*single));
    return true;
  }

  // At '['. No negation, no POSIX classes, no leading ']'.
  bool ParseClass(Bits* out) {
    ++i_;
    if (AtEnd() || Peek() == '^' || Peek() == ']') return false;
    out->reset();
    for (;;) {
      if (AtEnd()) return false;
      const unsigned char c = Peek();
      if (c == ']') {
        ++i_;
        return true;
      }
      if (c == '[' || c >= 0x80) return false;
      int lo = -1;
      if (c == '\\') {
        Bits set;
        if (!ParseEscape(&set, &lo)) return false;
        if (lo < 0) {  // \d \s \w: not a range endpoint
          if (!AtEnd() && Peek() == '-' && i_ + 1 < p_.size() && p_[i_ + 1] != ']') return false;
          *out |= set;
          continue;
        }
      } else {
        lo = c;
        ++i_;
      }
      if (!AtEnd() && Peek() == '-' && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;
        int hi = -1;
        const unsigned char h = Peek();
        if (h == '\\') {
          Bits set;
          if (!ParseEscape(&set, &hi) || hi < 0) return false;
        } else {
          if (h >= 0x80 || h == '[') return false;
          hi = h;
          ++i_;
        }
        if (hi < lo) return false;
        *out |= Range(static_cast<unsigned char>(lo), static_cast<unsigned char>(hi));
      } else {
        out->set(static_cast<size_t>(lo));
      }
    }
  }

  std::string_view p_;
  size_t i_ = 0;
  int depth_ = 0;
  std::vector<Node> nodes_;
};

// Facts computed bottom-up (children always precede their parent).
Bits Alphabet(const std::vector<Node>& nodes) {
  Bits a;
  for (const Node& n : nodes) {
    if (n.kind == Node::kClass) a |= n.cls;
  }
  return a;
}

// The minimum, over all matches, of the number of bytes drawn from a class
// that is a subset of `t` (with t = all bytes: the minimum length).
size_t MinCount(const std::vector<Node>& nodes, int id, const Bits& t) {
  const Node& n = nodes[static_cast<size_t>(id)];
  switch (n.kind) {
    case Node::kClass: return n.cls.any() && (n.cls & ~t).none() ? 1 : 0;
    case Node::kConcat: {
      size_t s = 0;
      for (int k : n.kids) s = Add(s, MinCount(nodes, k, t));
      return s;
    }
    case Node::kAlt: {
      size_t m = kCap;
      for (int k : n.kids) m = std::min(m, MinCount(nodes, k, t));
      return m;
    }
    case Node::kRepeat: return Mul(n.min, MinCount(nodes, n.kids[0], t));
  }
  return 0;
}

// Builds the position automaton; false when it would exceed kMaxPositions.
class AutomatonBuilder {
 public:
  AutomatonBuilder(const std::vector<Node>& nodes, PositionAutomaton* a) : nodes_(nodes), a_(a) {}

  struct Frag {
    bool nullable = true;
    Positions first;
    Positions last;
  };

  bool Build(int root) {
    Frag f;
    if (!Visit(root, &f)) return false;
    a_->first = f.first;
    a_->last = f.last;
    for (size_t c = 0; c < 128; ++c) {
      Positions p = a_->by_byte[c];
      p &= a_->first;
      a_->starts[c] = p.Any();
    }
    // Split each follow set into the step to the next position (a shift of
    // the whole set) and the rest.
    a_->extra.assign(a_->size, Positions{});
    for (size_t p = 0; p < a_->size; ++p) {
      Positions rest = a_->follow[p];
      const size_t q = p + 1;
      if (q < a_->size && ((rest.w[q / 64] >> (q % 64)) & 1)) {
        a_->step.Set(p);
        rest.w[q / 64] &= ~(uint64_t{1} << (q % 64));
      }
      if (rest.Any()) {
        a_->has_extra.Set(p);
        a_->extra[p] = rest;
      }
    }
    return true;
  }

 private:
  void Link(const Positions& from, const Positions& to) {
    for (size_t p = 0; p < a_->size; ++p) {
      if ((from.w[p / 64] >> (p % 64)) & 1) a_->follow[p] |= to;
    }
  }

  // a then b.
  void Concat(Frag* a, const Frag& b) {
    Link(a->last, b.first);
    if (a->nullable) a->first |= b.first;
    Positions last = b.last;
    if (b.nullable) last |= a->last;
    a->last = last;
    a->nullable = a->nullable && b.nullable;
  }

  bool Visit(int id, Frag* out) {
    const Node& n = nodes_[static_cast<size_t>(id)];
    switch (n.kind) {
      case Node::kClass: {
        if (a_->size >= PositionAutomaton::kMaxPositions) return false;
        const size_t p = a_->size++;
        a_->follow.emplace_back();
        for (size_t c = 0; c < 128; ++c) {
          if (n.cls.test(c)) a_->by_byte[c].Set(p);
        }
        *out = Frag{};
        out->nullable = false;
        out->first.Set(p);
        out->last.Set(p);
        return true;
      }
      case Node::kConcat: {
        Frag acc;
        for (int k : n.kids) {
          Frag f;
          if (!Visit(k, &f)) return false;
          Concat(&acc, f);
        }
        *out = acc;
        return true;
      }
      case Node::kAlt: {
        Frag acc;
        acc.nullable = false;
        for (int k : n.kids) {
          Frag f;
          if (!Visit(k, &f)) return false;
          acc.nullable = acc.nullable || f.nullable;
          acc.first |= f.first;
          acc.last |= f.last;
        }
        *out = acc;
        return true;
      }
      case Node::kRepeat: {
        if (n.min > PositionAutomaton::kMaxPositions || (n.max != kInf && n.max > PositionAutomaton::kMaxPositions)) {
          return false;
        }
        Frag acc;
        for (size_t i = 0; i < n.min; ++i) {
          Frag f;
          if (!Visit(n.kids[0], &f)) return false;
          Concat(&acc, f);
        }
        if (n.max == kInf) {  // then x*
          Frag f;
          if (!Visit(n.kids[0], &f)) return false;
          Link(f.last, f.first);
          f.nullable = true;
          Concat(&acc, f);
        } else if (n.max > n.min) {  // then (x(x(x)?)?)? with max - min copies
          std::vector<Frag> copies(n.max - n.min);
          for (Frag& f : copies) {
            if (!Visit(n.kids[0], &f)) return false;
          }
          Frag opt = copies.back();
          opt.nullable = true;
          for (size_t j = copies.size() - 1; j-- > 0;) {
            Frag f = copies[j];
            Concat(&f, opt);
            f.nullable = true;
            opt = f;
          }
          Concat(&acc, opt);
        }
        *out = acc;
        return true;
      }
    }
    return false;
  }

  const std::vector<Node>& nodes_;
  PositionAutomaton* a_;
};

// How often a byte shows up in memo-like prose (lower is rarer).
double Weight(unsigned char c) {
  if (IsDigit(c)) return 1;
  if (c >= 'A' && c <= 'Z') return 3;
  if (c >= 'a' && c <= 'z') return 8;
  switch (c) {
    case ' ': return 40;
    case '.':
    case ',': return 8;
    case '-': return 3;
    case '\n':
    case '\t':
    case '\r': return 5;
    default: return 2;
  }
}

}  // namespace

bool AnalyzePattern(std::string_view pattern, PatternFacts* out) {
  if (pattern.empty() || pattern.size() > 4096) return false;
  Parser parser(pattern);
  int root = 0;
  if (!parser.Parse(&root)) return false;
  const std::vector<Node>& nodes = parser.nodes();
  const Bits alphabet = Alphabet(nodes);
  Bits all;
  all.set();
  const size_t min_length = MinCount(nodes, root, all);
  if (min_length == 0) return false;

  std::vector<Bits> menu;
  const Bits digits = Range('0', '9') & alphabet;
  if (digits.any()) menu.push_back(Range('0', '9'));
  for (size_t c = 0; c < 128; ++c) {
    if (alphabet.test(c) && !IsDigit(static_cast<unsigned char>(c)) && c != ' ') {
      Bits one;
      one.set(c);
      menu.push_back(one);
    }
  }
  bool found = false;
  double best_score = 0;
  for (const Bits& t : menu) {
    const size_t k = MinCount(nodes, root, t);
    if (k == 0) continue;
    double w = 0;
    for (size_t c = 0; c < 128; ++c) {
      if (t.test(c)) w += Weight(static_cast<unsigned char>(c));
    }
    const double score = w / static_cast<double>(k);
    if (!found || score < best_score || (score == best_score && k > out->min_triggers)) {
      found = true;
      best_score = score;
      out->trigger = t;
      out->min_triggers = k;
    }
  }
  if (!found) return false;
  out->trigger &= alphabet;  // a trigger byte must start a run of the alphabet
  out->alphabet = alphabet;
  out->min_length = min_length;
  out->automaton = PositionAutomaton{};
  out->has_automaton = AutomatonBuilder(nodes, &out->automaton).Build(root);
  if (!out->has_automaton) out->automaton = PositionAutomaton{};
  return true;
}

}  // namespace maskproxy::detect::internal
