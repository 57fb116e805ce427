// What a detector's pattern provably needs, so Scan can run its RE2 only on
// small windows of the text instead of the whole text (scanner.cc).
//
// AnalyzePattern parses a conservative subset of RE2 syntax: ASCII literals,
// escaped punctuation, \d \s \w, \t \n \r \f, character classes of those
// (no negation), groups ((...), (?:...), (?P<name>...)), alternation and the
// repetitions * + ? {n} {n,} {n,m} (greedy or lazy). Anything else (., ^, $,
// \b, \p{...}, non-ASCII, flags such as (?i), negated or POSIX classes, ...)
// makes it answer "not analyzable"; the scanner then runs that detector over
// the whole text as before. For an analyzable pattern it proves:
//  - every byte of every match is in `alphabet` (all ASCII), so a match lies
//    inside one maximal run of alphabet bytes, and RE2 run over that run (with
//    the pattern's lack of assertions) finds exactly the matches it finds
//    there in the whole text;
//  - every match contains at least `min_triggers` (>= 1) bytes of `trigger`
//    and is at least `min_length` bytes long, so runs with fewer trigger bytes
//    or fewer bytes cannot hold a match.
// The trigger set is chosen among ASCII digits and the single non-alphanumeric
// bytes of the alphabet, preferring bytes rare in prose.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace maskproxy::detect::internal {

// A set of automaton positions (at most kMaxPositions).
struct Positions {
  uint64_t w[4] = {0, 0, 0, 0};
  void Set(size_t p) { w[p / 64] |= uint64_t{1} << (p % 64); }
  [[nodiscard]] bool Any() const { return (w[0] | w[1] | w[2] | w[3]) != 0; }
  Positions& operator|=(const Positions& o) {
    for (int i = 0; i < 4; ++i) w[i] |= o.w[i];
    return *this;
  }
  Positions& operator&=(const Positions& o) {
    for (int i = 0; i < 4; ++i) w[i] &= o.w[i];
    return *this;
  }
};

// The Glushkov (position) automaton of an analyzable pattern, repetitions
// unrolled: it recognizes exactly the pattern's language, so it answers "is
// there a match [b, e) here" without RE2, and lists every match end at a
// begin. It cannot say which of several matches RE2 prefers (leftmost-first
// priorities are not in it): the scanner asks RE2 then, and only then.
struct PositionAutomaton {
  static constexpr size_t kMaxPositions = 256;
  size_t size = 0;
  Positions first;                // positions a match can start with
  Positions last;                 // positions a match can end with
  std::vector<Positions> follow;  // per position: the positions after it
  // follow[p] = (p + 1 if p is in step) + extra[p] (extra empty unless p is
  // in has_extra): most positions of an unrolled pattern just step on, so a
  // set of positions moves on by one shift and a few unions.
  Positions step;
  Positions has_extra;
  std::vector<Positions> extra;
  std::array<Positions, 128> by_byte;  // the positions whose class has the byte
  std::array<bool, 128> starts{};      // the bytes a match can start with
};

struct PatternFacts {
  std::bitset<128> alphabet;
  std::bitset<128> trigger;
  size_t min_triggers = 0;
  size_t min_length = 0;
  // False when the unrolled pattern has more than kMaxPositions positions.
  bool has_automaton = false;
  PositionAutomaton automaton;
};

// True with *out filled when the pattern is in the analyzable subset and some
// trigger set is provably required; false otherwise (*out unspecified).
[[nodiscard]] bool AnalyzePattern(std::string_view pattern, PatternFacts* out);

}  // namespace maskproxy::detect::internal
