// How much work a custom detector's pattern asks of RE2, bounded before RE2
// compiles it. RE2 unrolls counted repetitions: '[a-z0-9]{1,1000}' is some
// 2,000 instructions, and compiling it takes milliseconds, so a policy of
// many such patterns took seconds and hundreds of MB to compile (and then
// failed max_mem). The policy compiler (policy/scan_section.cc) checks each
// custom pattern with these two, cheapest first:
//  - EstimateProgramSize: from the pattern's text alone (no RE2), about the
//    RE2 instructions its repetitions unrolled make (each literal, class or
//    escape 1; x? x* x+ one more; x{n,m} n copies of x and m-n optional ones;
//    a capturing group 2). Conservative where the syntax is unusual: text it
//    does not recognize counts as literals, never as less.
//  - ProgramSize: RE2's own count (RE2::ProgramSize), compiled under a
//    memory budget sized from `limit`, so a pattern far larger than the
//    estimate (Unicode classes such as \pL are ~1,200 instructions each)
//    fails fast instead of compiling in full.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace maskproxy::detect {

// About the RE2 program size of `pattern` with every repetition unrolled;
// saturates at kEstimateCap. Linear in the pattern's length; never calls RE2.
inline constexpr size_t kEstimateCap = size_t{1} << 40;
[[nodiscard]] size_t EstimateProgramSize(std::string_view pattern);

// RE2::ProgramSize of `pattern`, compiled with a memory budget of about
// twice `limit` instructions; kEstimateCap when it needs more than that
// budget. A size above `limit` is returned, for the caller to refuse with
// its own message. Errors: "invalid_detector" (RE2 refuses the pattern:
// "invalid pattern: " and InvalidPatternText).
[[nodiscard]] Result<size_t> ProgramSize(std::string_view pattern, size_t limit);

// What is wrong with a pattern RE2 refused, from its error code alone
// ("missing closing )"). RE2's own text quotes the pattern, or the rest of
// it, whole: a deny-list detector's pattern may spell identifiers, and the
// message reaches logs and the audit trail. The YAML location says where.
[[nodiscard]] std::string InvalidPatternText(int re2_error_code);

}  // namespace maskproxy::detect
