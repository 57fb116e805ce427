#include "detect/pattern_size.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>

namespace maskproxy::detect {
namespace {

size_t Add(size_t a, size_t b) {
  return std::min(kEstimateCap, a + b);
}
size_t Mul(size_t a, size_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kEstimateCap / b ? kEstimateCap : std::min(kEstimateCap, a * b);
}

// A recursive-descent reading of RE2 syntax, just enough to find groups,
// alternations and repetitions; everything else is a literal of cost 1.
class Estimator {
 public:
  explicit Estimator(std::string_view s) : s_(s) {}

  size_t Run() {
    size_t total = 0;
    while (i_ < s_.size()) {
      total = Add(total, Alternation(0));
      if (i_ < s_.size() && s_[i_] == ')') {  // unbalanced: a literal for us
        ++i_;
        total = Add(total, 1);
      }
    }
    return total;
  }

 private:
  // RE2 refuses deeper nesting (1000); past it the estimate saturates.
  static constexpr int kMaxDepth = 1000;

  bool At(char c) const { return i_ < s_.size() && s_[i_] == c; }

  size_t Alternation(int depth) {
    if (depth > kMaxDepth) {
      i_ = s_.size();
      return kEstimateCap;
    }
    size_t total = Sequence(depth);
    while (At('|')) {
      ++i_;
      total = Add(Add(total, 1), Sequence(depth));
    }
    return total;
  }

  size_t Sequence(int depth) {
    size_t total = 0;
    size_t last = 0;  // the last atom, repetitions included
    while (i_ < s_.size() && s_[i_] != '|' && s_[i_] != ')') {
      bool flags_only = false;
      const size_t a = Atom(depth, &flags_only);
      if (flags_only) {
        // RE2 applies a repetition after (?i) to the atom before it:
        // 'x{1,40}(?i){1,40}' repeats x{1,40}. Never counted as less.
        const size_t again = Quantified(last);
        total = Add(total, again > last ? again - last : 0);
        last = std::max(again, last);
        continue;
      }
      last = Quantified(a);
      total = Add(total, last);
    }
    return total;
  }

  // The repetitions after an atom of cost `a` (x{2}{3} is allowed by RE2).
  size_t Quantified(size_t a) {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '*' || c == '+' || c == '?') {
        ++i_;
        a = Add(a, 1);
      } else if (c == '{') {
        size_t n = 0;
        size_t m = 0;
        bool open = false;
        if (!Repeat(&n, &m, &open)) break;  // a literal '{', read as an atom next
        // n copies, then m-n optional ones (or one starred copy).
        a = open ? Add(Mul(a, std::max<size_t>(n, 1)), 1) : Add(Mul(a, n), Mul(Add(a, 1), m - n));
      } else {
        break;
      }
      if (At('?')) ++i_;  // lazy
    }
    return a;
  }

  // {n}, {n,} or {n,m} at i_; false (i_ unchanged) when it is not one.
  bool Repeat(size_t* n, size_t* m, bool* open) {
    size_t j = i_ + 1;
    auto number = [&](size_t* out) {
      const size_t start = j;
      size_t v = 0;
      while (j < s_.size() && s_[j] >= '0' && s_[j] <= '9') {
        v = std::min<size_t>(v * 10 + static_cast<size_t>(s_[j] - '0'), 1'000'000);
        ++j;
      }
      *out = v;
      return j > start;
    };
    if (!number(n)) return false;
    *m = *n;
    *open = false;
    if (j < s_.size() && s_[j] == ',') {
      ++j;
      if (j < s_.size() && s_[j] == '}') {
        *open = true;
      } else if (!number(m)) {
        return false;
      }
    }
    if (j >= s_.size() || s_[j] != '}') return false;
    if (*m < *n) *m = *n;  // RE2 refuses it; never less than n here
    i_ = j + 1;
    return true;
  }

  // Skips "{...}" at i_, if there.
  void SkipBraces() {
    if (!At('{')) return;
    const size_t close = s_.find('}', i_);
    i_ = close == std::string_view::npos ? s_.size() : close + 1;
  }

  // One atom's cost; *flags_only for a group of flags alone, (?i).
  size_t Atom(int depth, bool* flags_only) {
    const char c = s_[i_];
    if (c == '(') {
      ++i_;
      size_t group = 2;  // a capture's two instructions (counted for every group)
      if (At('?')) {
        ++i_;
        if (At('P') || At('<')) {  // (?P<name>...) (?<name>...)
          const size_t close = s_.find('>', i_);
          i_ = close == std::string_view::npos ? s_.size() : close + 1;
        } else {
          while (i_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-')) ++i_;
          if (At(')')) {  // (?i): flags only, no group
            ++i_;
            *flags_only = true;
            return 0;
          }
          if (At(':')) ++i_;
        }
      }
      group = Add(group, Alternation(depth + 1));
      if (At(')')) ++i_;
      return group;
    }
    if (c == '[') {
      ++i_;
      if (At('^')) ++i_;
      if (At(']')) ++i_;  // a leading ']' is a member
      while (i_ < s_.size() && s_[i_] != ']') {
        if (s_[i_] == '[' && i_ + 1 < s_.size() && s_[i_ + 1] == ':') {  // [:alpha:]
          const size_t close = s_.find(":]", i_ + 2);
          i_ = close == std::string_view::npos ? i_ + 1 : close + 2;
        } else if (s_[i_] == '\\') {
          i_ += 2;
          if (i_ - 1 < s_.size() && (s_[i_ - 1] == 'p' || s_[i_ - 1] == 'P' || s_[i_ - 1] == 'x')) SkipBraces();
        } else {
          ++i_;
        }
      }
      if (At(']')) ++i_;
      return 1;
    }
    if (c == '\\') {
      i_ += 2;
      if (i_ > s_.size()) {
        i_ = s_.size();
        return 1;
      }
      const char e = s_[i_ - 1];
      if (e == 'Q') {  // \Q...\E: each byte a literal
        const size_t close = s_.find("\\E", i_);
        const size_t end = close == std::string_view::npos ? s_.size() : close;
        const size_t n = end - i_;
        i_ = close == std::string_view::npos ? s_.size() : close + 2;
        return n;
      }
      if (e == 'p' || e == 'P' || e == 'x') SkipBraces();
      return 1;
    }
    // One character (a UTF-8 sequence), or a quantifier with nothing before
    // it (RE2 refuses it; a literal here).
    ++i_;
    while (i_ < s_.size() && (static_cast<unsigned char>(s_[i_]) & 0xC0) == 0x80) ++i_;
    return 1;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

size_t EstimateProgramSize(std::string_view pattern) {
  return Estimator(pattern).Run();
}

Result<size_t> ProgramSize(std::string_view pattern, size_t limit) {
  RE2::Options opts;
  opts.set_log_errors(false);
  // RE2 gives the forward program two thirds of max_mem, at 16 bytes an
  // instruction; twice `limit` instructions, and room for RE2's own objects.
  const size_t insts = std::max<size_t>(limit, 64) * 2;
  opts.set_max_mem(static_cast<int64_t>(insts * 16 * 3 / 2 + (64 << 10)));
  RE2 re(std::string(pattern), opts);
  if (!re.ok()) {
    if (re.error_code() == RE2::ErrorPatternTooLarge) return kEstimateCap;
    return Error(ErrorCode::kInvalidDetector, "invalid pattern: " + InvalidPatternText(re.error_code()));
  }
  return static_cast<size_t>(re.ProgramSize());
}

std::string InvalidPatternText(int re2_error_code) {
  switch (re2_error_code) {
    case RE2::ErrorBadEscape: return "bad escape sequence";
    case RE2::ErrorBadCharClass: return "bad character class";
    case RE2::ErrorBadCharRange: return "bad character class range";
    case RE2::ErrorMissingBracket: return "missing closing ]";
    case RE2::ErrorMissingParen: return "missing closing )";
    case RE2::ErrorUnexpectedParen: return "unexpected closing )";
    case RE2::ErrorTrailingBackslash: return "trailing \\ at the end";
    case RE2::ErrorRepeatArgument: return "nothing to repeat before *, + or ?";
    case RE2::ErrorRepeatSize: return "bad repetition count (at most 1000)";
    case RE2::ErrorRepeatOp: return "bad repetition operator";
    case RE2::ErrorBadPerlOp: return "bad (? group or Perl operator (RE2 has no look-around or backreferences)";
    case RE2::ErrorBadUTF8: return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture: return "bad named group";
    case RE2::ErrorPatternTooLarge: return "pattern too large";
    default: return "RE2 refuses it";
  }
}

}  // namespace maskproxy::detect
