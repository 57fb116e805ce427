// EstimateProgramSize (the unrolled size of a pattern, from its text) and
// ProgramSize (RE2's count under a budget): what the policy compiler bounds
// a custom detector with before compiling it.
#include "detect/pattern_size.h"

#include <gtest/gtest.h>

#include <string>

#include "detect/scanner.h"

namespace maskproxy::detect {
namespace {

size_t Re2Size(const std::string& pattern) {
  auto s = ProgramSize(pattern, 1 << 20);
  EXPECT_TRUE(s.ok()) << pattern;
  return s.ok() ? *s : 0;
}

// Repetitions are unrolled, nested ones multiplied: the estimate is of the
// size RE2 compiles (one instruction for a single-range class or literal).
TEST(PatternSize, RepetitionsAreUnrolled) {
  EXPECT_LE(EstimateProgramSize("MB-\\d{8}"), 20u);
  EXPECT_EQ(EstimateProgramSize("\\d{1000}"), 1000u);
  EXPECT_EQ(EstimateProgramSize("\\d{1,1000}"), 1999u);
  EXPECT_EQ(EstimateProgramSize("[0-9]{1,1000}x7[0-9]{1,1000}"), 4000u);
  EXPECT_GE(EstimateProgramSize("(\\d{1,10}){1,100}"), 2000u);
  EXPECT_GE(EstimateProgramSize("((\\d{1,10}){1,10}){1,10}"), 1000u);
  EXPECT_GE(EstimateProgramSize("(?:a|b){500}"), 1000u);
  EXPECT_GE(EstimateProgramSize("(?P<n>\\d){1,1000}"), 1999u);
  EXPECT_GE(EstimateProgramSize("(?i:\\d){1,1000}"), 1999u);
  // A repetition after a flags group repeats the atom before it, as RE2
  // reads it (a random comparison with RE2 found it counted as nothing).
  EXPECT_GE(EstimateProgramSize("(ab)(?i){1,1000}"), 4999u);  // RE2: 5003
  EXPECT_GE(EstimateProgramSize("x{1,30}?(?i){3,}"), 178u);   // RE2: 182
  EXPECT_GE(EstimateProgramSize("\\d{2}{1000}"), 2000u);
  EXPECT_GE(EstimateProgramSize("\\d{500,}"), 500u);
  // Close to RE2's own count where every atom is one instruction.
  for (const char* p : {"\\d{1,1000}", "\\d{1000}", "(\\d{1,10}){1,100}", "\\d{1,3}(?:\\.\\d{1,3}){3}"}) {
    const size_t est = EstimateProgramSize(p);
    const size_t re2 = Re2Size(p);
    EXPECT_GE(est * 11, re2 * 10) << p << ": " << est << " vs " << re2;
    EXPECT_LE(est, re2 + 10) << p;
  }
}

// Braces that are not a repetition are literals: escaped, quoted, inside a
// class, or not of the form {n}, {n,}, {n,m}; a class's brackets and
// parentheses do not end it.
TEST(PatternSize, BracesAndClassesAreReadAsRe2ReadsThem) {
  EXPECT_LE(EstimateProgramSize("x\\{1,1000}"), 12u);
  EXPECT_LE(EstimateProgramSize("\\Q{1,1000}\\E"), 12u);
  EXPECT_LE(EstimateProgramSize("[{1,1000}]"), 2u);
  EXPECT_LE(EstimateProgramSize("a{,1000}"), 10u);
  EXPECT_LE(EstimateProgramSize("\\x{41}\\p{Greek}"), 2u);
  EXPECT_GE(EstimateProgramSize("[]a]{1,1000}"), 1999u);
  EXPECT_GE(EstimateProgramSize("[^]a]{1,1000}"), 1999u);
  EXPECT_GE(EstimateProgramSize("[[:alpha:])]{1,1000}"), 1999u);
  EXPECT_GE(EstimateProgramSize("[\\]]{1,1000}"), 1999u);
  EXPECT_GE(EstimateProgramSize("([(]){1,1000}"), 1999u);
  EXPECT_GE(EstimateProgramSize("\\pL{1,1000}"), 1999u);
  EXPECT_GE(EstimateProgramSize("\\x{41}{1,1000}"), 1999u);
  // Unbalanced or odd text never makes it smaller.
  EXPECT_GE(EstimateProgramSize("a)\\d{1,1000}"), 1999u);
  EXPECT_GE(EstimateProgramSize("(\\d{1,1000}"), 1999u);
  EXPECT_EQ(EstimateProgramSize(""), 0u);
  EXPECT_EQ(EstimateProgramSize(std::string(2000, '(')), kEstimateCap);
}

// Every built-in detector is within the bounds a custom one is held to.
TEST(PatternSize, TheBuiltinsAreSmall) {
  for (const DetectorSpec& s : Scanner::Defaults()) {
    EXPECT_LE(EstimateProgramSize(s.pattern), 1000u) << s.name;
    EXPECT_LE(Re2Size(s.pattern), 1000u) << s.name;
  }
}

// RE2 stops at the budget: a pattern far larger than its text suggests
// (each \pL is ~1,200 instructions; this one ~120,000) is answered as over
// the budget, not compiled in full.
TEST(PatternSize, ProgramSizeStopsAtItsBudget) {
  EXPECT_LE(EstimateProgramSize("\\pL{1,100}"), 200u);
  auto big = ProgramSize("\\pL{1,100}", 5000);
  ASSERT_TRUE(big.ok()) << big.error().ToString();
  EXPECT_EQ(*big, kEstimateCap);
  auto small = ProgramSize("MB-\\d{8}", 5000);
  ASSERT_TRUE(small.ok());
  EXPECT_LT(*small, 50u);
  auto bad = ProgramSize("(ab", 5000);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("invalid pattern"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace maskproxy::detect
