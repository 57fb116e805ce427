// Free-text PII detection: which byte ranges of a UTF-8 text look like
// personal data (Korean RRN/FRN, phone numbers, cards, accounts, ...).
//
// A Scanner is compiled once from DetectorSpecs and is immutable and
// thread-safe afterwards. Scan():
//  1. normalizes the text (normalize.h: full-width forms, default-ignorable
//     and control characters, Unicode spaces and dashes), with a map back to
//     the original bytes; text without any character to fold skips the copy;
//  2. finds where each detector can match. For a detector whose pattern the
//     prefilter analysis understands (prefilter.h: every built-in one; a
//     custom pattern in a plain subset of RE2 syntax), a byte scan finds the
//     windows that can hold a match: maximal runs of the bytes the pattern (or
//     another detector that needs the same bytes) can match that contain
//     enough of the bytes every match needs (ASCII digits, '@', ':', ...).
//     Other detectors go through one RE2::Set over the whole text as a
//     prefilter;
//  3. finds the candidates: in windows, the windowed detectors' position
//     automata (prefilter.h, all of them side by side in one bit-parallel
//     automaton) run anchored at each begin that is not glued to the text
//     before it and list every match end there; a detector with one match
//     there needs no RE2 call, else its RE2, anchored at that begin, gives
//     the match it prefers. Whole-text detectors search with their RE2 as
//     before. Candidates glued to a letter or digit (an RRN inside a longer
//     digit run, an IP inside a version string) are rejected, the validator
//     runs, and context words are checked (in the whole text) where the
//     detector needs them: within the context window, or a label joined to
//     the number by a colon in the same clause. When the match RE2 prefers
//     at a position fails those checks, the longest shorter match at the
//     same position that passes them is taken instead. Then, on both
//     paths, the next items of a list after a hit of a detector that asks
//     for context take that hit's context ("계좌: 110-… / 1002-…"; a short
//     gap of list marks and words, docs/DETECTION.md);
//  4. resolves overlaps deterministically: of the candidates that overlap,
//     the non-overlapping set that covers the most bytes (ties: earliest
//     begin, then the longest, then the detector listed first), so a short
//     hit never hides most of a longer one; and maps the spans back to
//     original byte offsets.
// It fails closed: a prefilter that cannot be built within max_mem fails
// Create (it is always built, whether or not Scan needs it); one that fails
// while matching, malformed UTF-8 or an over-large text fail Scan; none of
// them is ever "no match". Scan allocates nothing once its per-thread
// buffers have grown to the text size.
//
// RRN note: since October 2020 the last digit of a new 주민등록번호 is random,
// so the checksum cannot be required. An rrn/frn candidate with a real date
// (in the century its gender digit gives) is a hit; a valid checksum only
// raises Span::confidence from 0.8 to 1.0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace maskproxy::detect {

struct Span {
  size_t begin = 0;  // byte offsets into the ORIGINAL text, [begin, end)
  size_t end = 0;
  std::string_view detector;  // the detector's name; valid while the Scanner lives
  double confidence = 1.0;    // 0.8 for an rrn/frn or a labelled card whose checksum fails, else 1.0
  bool operator==(const Span&) const = default;
};

struct DetectorSpec {
  std::string name;     // [a-z0-9_]+, unique within a scanner
  std::string pattern;  // RE2 syntax, matched against normalized text
  // One of ValidatorNames() (validators.h): "none", "luhn", "rrn_date",
  // "brn_checksum", ... The built-ins use the specific ones.
  std::string validator = "none";
  // When non-empty, a candidate is a hit only if one of these words occurs
  // within `context_window` characters before or after it (ASCII letters
  // compared case-insensitively).
  std::vector<std::string> context_words;
  size_t context_window = 20;  // characters (code points), at most 200
};

struct ScannerOptions {
  // Memory budget of the RE2::Set prefilter (program and DFA cache). Too small
  // a budget makes Scan fail (fail closed), never miss.
  int64_t max_mem = 64 << 20;
  // Memory budget of each detector's own RE2.
  int64_t detector_max_mem = 8 << 20;
};

class Scanner;

// What Scanner::Scan gives beside the hits (transform/scan.h uses it).
struct Beside {
  // In: by detector index, 1 for a detector whose candidates take no part in
  // the overlap resolution (a caller that leaves its hits as they are: keep);
  // empty or shorter: none. Their candidates are `aside`, never hits.
  std::vector<char> set_aside;
  // Out: the set-aside detectors' candidates, sorted by begin.
  std::vector<Span> aside;
  // Out: the candidates that lost the overlap resolution, sorted by begin;
  // each overlaps at least one hit.
  std::vector<Span> lost;
};

namespace internal {

// The reference path, for tests: RE2::Set over the whole text, then every
// detector it names over the whole text (no windows). Same results as
// Scanner::Scan by construction; scanner_test checks it on generated texts.
[[nodiscard]] Status ScanReference(const Scanner& scanner, std::string_view utf8_text, std::vector<Span>* out);
// Whether Scan runs detector `index` on windows (its pattern was analyzable).
[[nodiscard]] bool UsesWindows(const Scanner& scanner, size_t index);

}  // namespace internal

class Scanner {
 public:
  // Errors: "invalid_detector" (bad name, duplicate, empty or invalid
  // pattern, a pattern that matches the empty string, unknown validator, bad
  // context window, empty context word), "detector_compile_failed" (the
  // prefilter could not be built within max_mem).
  [[nodiscard]] static Result<std::unique_ptr<Scanner>> Create(const std::vector<DetectorSpec>& specs,
                                                               const ScannerOptions& options = {});

  // The built-in detectors, in priority order: rrn, frn, card, phone_kr,
  // driver_license_kr, brn, bank_account_kr, passport_kr, email, ipv4, ipv6,
  // person_name, address, partly_masked (the last three found by finders:
  // korean_text.h, partly_masked.h).
  [[nodiscard]] static std::vector<DetectorSpec> Defaults();

  // Replaces *out with the non-overlapping hits, sorted by begin. With
  // `beside`, also what a caller that protects the text itself needs (see
  // Beside). Errors: "invalid_utf8", "text_too_large", "detect_failed" (the
  // prefilter ran out of memory or failed); *out and beside's lists are left
  // empty then. `context`: the name the text is read under (the names of
  // the field it came from, a CSV column's name): a detector's context word
  // in it (the last 256 bytes) counts for every candidate in the text, as a
  // reader takes "110-123-456789" under "refund_account" for an account.
  [[nodiscard]] Status Scan(std::string_view utf8_text, std::vector<Span>* out, Beside* beside = nullptr,
                            std::string_view context = {}) const;

  [[nodiscard]] const std::vector<std::string>& detector_names() const { return names_; }

  // A cheap pre-check, for member and header names: false only when `text`
  // provably has no hit. When every match of every detector holds an ASCII
  // digit, '@' or ':' (prefilter.h's trigger bytes; the built-ins), a text
  // with none of those bytes and no byte that can start a character
  // normalization folds to one (MayNormalizeToDigitAtOrColon: full-width
  // forms, digits of other scripts) has none. With a detector that may match
  // without one (letters only, or not analyzable) it is always true.
  [[nodiscard]] bool MayMatch(std::string_view text) const;

  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

 private:
  friend Status internal::ScanReference(const Scanner&, std::string_view, std::vector<Span>*);
  friend bool internal::UsesWindows(const Scanner&, size_t);

  struct Impl;
  explicit Scanner(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  std::vector<std::string> names_;
};

namespace internal {

// How Scan reads the prefilter's answer: `matched` and the RE2::Set ErrorKind
// (as an int; 0 is kNoError) of RE2::Set::Match. OK with *run_detectors set
// when something matched, OK with it cleared when nothing did, an error
// ("detect_failed") when the prefilter failed (out of memory, not compiled,
// inconsistent): a failure is never "no match". Exposed for tests: RE2
// reserves room for 20 DFA states and probes the set at Compile time, so a
// match-time out-of-memory cannot be provoked through max_mem (a budget too
// small fails Create instead).
[[nodiscard]] Status CheckPrefilter(bool matched, int set_error_kind, bool* run_detectors);

}  // namespace internal
}  // namespace maskproxy::detect
