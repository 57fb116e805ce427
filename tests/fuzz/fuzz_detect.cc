// fuzz_detect: the free-text scanner (src/detect/scanner.h) on arbitrary bytes.
//
// Two scanners: the built-in detectors, and the built-ins plus custom ones
// whose patterns are not all analyzable (so both the windowed path and the
// whole-text RE2::Set path run). For every input:
//  - Scan either succeeds or fails with a documented code (invalid_utf8,
//    text_too_large, detect_failed) and then leaves *out empty;
//  - every span is inside the text, non-empty, begins and ends on a UTF-8
//    character boundary, names one of the scanner's detectors, has a
//    confidence of 0.8 or 1.0, and the spans are sorted and do not overlap;
//  - the windowed scan equals the reference path (internal::ScanReference:
//    whole-text RE2 for every detector), error codes included.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detect/scanner.h"

namespace {

using maskproxy::detect::DetectorSpec;
using maskproxy::detect::Scanner;
using maskproxy::detect::Span;

[[noreturn]] void Fail(const char* what, size_t at) {
  std::fprintf(stderr, "fuzz_detect: ORACLE VIOLATION: %s (byte %zu)\n", what, at);
  std::abort();
}

std::unique_ptr<Scanner> Make(std::vector<DetectorSpec> specs) {
  auto s = Scanner::Create(specs);
  if (!s.ok()) {
    std::fprintf(stderr, "fuzz_detect: setup failed: %s\n", s.error().ToString().c_str());
    std::abort();
  }
  return std::move(s).value();
}

const std::vector<std::unique_ptr<Scanner>>& Scanners() {
  static const auto* scanners = [] {
    auto* v = new std::vector<std::unique_ptr<Scanner>>();
    v->push_back(Make(Scanner::Defaults()));
    std::vector<DetectorSpec> custom = Scanner::Defaults();
    custom.push_back({"member_id", R"(MB-\d{8})", "none", {}, 20});
    custom.push_back({"gift", R"(\d{4}(?: \d{4}){3,4})", "luhn", {"상품권", "gift"}, 10});
    custom.push_back({"ko_member", R"(회원\s?\d{6})", "none", {}, 20});       // Hangul: whole text
    custom.push_back({"word_code", R"(\b[A-Z]{2}\d{4}\b)", "none", {}, 20});  // \b: whole text
    custom.push_back({"ci_code", R"((?i)ord-\d{6})", "none", {}, 20});        // (?i): whole text
    v->push_back(Make(custom));
    return v;
  }();
  return *scanners;
}

bool Boundary(std::string_view t, size_t i) {
  return i == t.size() || (static_cast<unsigned char>(t[i]) & 0xC0) != 0x80;
}

void Check(const Scanner& scanner, std::string_view text) {
  std::vector<Span> fast{Span{1, 2, "stale", 1.0}};  // must be replaced
  std::vector<Span> ref;
  const auto a = scanner.Scan(text, &fast);
  const auto b = maskproxy::detect::internal::ScanReference(scanner, text, &ref);
  if (a.ok() != b.ok()) Fail("the scan and the reference path disagree on success", 0);
  if (!a.ok()) {
    const std::string code(ErrorCodeName(a.error().code));
    if (code != "invalid_utf8" && code != "text_too_large" && code != "detect_failed")
      Fail("undocumented scan error code", 0);
    if (a.error().code != b.error().code) Fail("the scan and the reference path fail with different codes", 0);
    if (!fast.empty()) Fail("a failed scan left spans in *out", 0);
    return;
  }
  size_t prev_end = 0;
  for (const Span& s : fast) {
    if (s.begin >= s.end || s.end > text.size()) Fail("a span is empty or out of bounds", s.begin);
    if (s.begin < prev_end) Fail("spans are unsorted or overlap", s.begin);
    if (!Boundary(text, s.begin) || !Boundary(text, s.end)) Fail("a span cuts a UTF-8 character", s.begin);
    if (s.confidence != 1.0 && s.confidence != 0.8) Fail("a span's confidence is neither 0.8 nor 1.0", s.begin);
    bool known = false;
    for (const std::string& n : scanner.detector_names()) known = known || n == s.detector;
    if (!known) Fail("a span names no detector of the scanner", s.begin);
    prev_end = s.end;
  }
  if (fast != ref) Fail("the windowed scan differs from the reference path", 0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)Scanners();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& s : Scanners()) Check(*s, text);
  return 0;
}
