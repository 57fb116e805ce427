// Bounds on the work a `scan:` section's custom detectors ask for, checked
// before any pattern is compiled (policy check, reload and the playground
// alike; scan_section.cc): RE2 unrolls counted repetitions, so
// '\d{1,1000}' alone is 2,003 instructions. A real policy has a handful of
// short patterns; the built-in detectors are at most 752 instructions each
// (phone_kr) and are not counted.
#pragma once

#include <cstddef>

namespace maskproxy::policy {

inline constexpr size_t kMaxCustomDetectors = 64;
inline constexpr size_t kMaxDetectorPatternBytes = 1024;
// RE2 instructions (RE2::ProgramSize), per custom detector and for all of
// them together: estimated from the pattern's text first
// (detect/pattern_size.h), then counted by RE2 under a budget. Compiling
// grows faster than the size for deep repetitions (\d{1,1000}: 2,003
// instructions, ~2-4 ms; a pattern of 4,000 such, ~12 ms), and each pattern
// is compiled a few times (alone, in the set, in the scanner), so these keep
// the worst policy's compilation to tens of milliseconds.
inline constexpr size_t kMaxDetectorProgramSize = 2000;
inline constexpr size_t kMaxCustomProgramSize = 8000;

}  // namespace maskproxy::policy
