// fuzz_policy: Policy::Parse on arbitrary YAML text with a fixed in-memory
// keyring (keys rrn, card, pii; the default in-memory ledger). It must never crash, hang or
// throw, and every error must say where: each line of the message starts
// with "fuzz.yaml:LINE:" (then usually COLUMN:), LINE >= 1, and is printable
// UTF-8 whatever names the input holds. A policy that
// compiles is well formed: at least one route, each with a from, to and
// dead_letter, distinct, and every rule with an action.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/unicode.h"
#include "crypto/keyring.h"
#include "policy/policy.h"
#include "support/test_keys.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_policy: ORACLE VIOLATION: %s\n", what);
  std::abort();
}

struct Setup {
  maskproxy::crypto::Keyring keys;
};

const Setup& Get() {
  static const Setup* setup = [] {
    auto* s = new Setup();
    // Fixed test material (not secret): 32 bytes each.
    namespace tk = maskproxy::test_keys;
    auto keys = tk::ParseKeyring({{"rrn", {tk::FilledMaterial('r')}},
                                  {"card", {tk::FilledMaterial('c'), tk::FilledMaterial('d')}},
                                  {"pii", {tk::FilledMaterial('p')}}});
    if (!keys.ok()) {
      std::fprintf(stderr, "fuzz_policy: setup failed: %s\n", keys.error().ToString().c_str());
      std::abort();
    }
    s->keys = std::move(keys).value();
    return s;
  }();
  return *setup;
}

bool Located(std::string_view line) {
  constexpr std::string_view kOrigin = "fuzz.yaml:";
  if (line.substr(0, kOrigin.size()) != kOrigin) return false;
  size_t i = kOrigin.size();
  size_t digits = 0;
  uint64_t n = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9' && digits < 12)
    n = n * 10 + static_cast<uint64_t>(line[i++] - '0'), ++digits;
  return digits > 0 && n >= 1 && i < line.size() && line[i] == ':';
}

// One diagnostic per line, each starting with its location, and nothing in a
// line that could end it or hide what it says: no control byte, valid UTF-8
// (names from the file are shown escaped, text::OneLine).
void CheckLines(std::string_view m) {
  while (!m.empty()) {
    size_t nl = m.find('\n');
    std::string_view line = m.substr(0, nl);
    if (!Located(line)) {
      std::fprintf(stderr, "fuzz_policy: unlocated line: %.*s\n", static_cast<int>(line.size()), line.data());
      Fail("a diagnostic line without file:line");
    }
    for (size_t i = 0; i < line.size();) {
      const auto c = static_cast<unsigned char>(line[i]);
      if (c < 0x20 || c == 0x7f) Fail("a control byte in a diagnostic line");
      uint32_t cp = c;
      const size_t n = c < 0x80 ? 1 : maskproxy::unicode::DecodeUtf8(line, i, &cp);
      if (n == 0) Fail("a diagnostic line that is not UTF-8");
      // A zero-width, bidirectional or line-separating character would hide
      // or reorder what the line says (text::OneLine escapes them).
      if (maskproxy::unicode::IsHidden(cp)) Fail("a hidden character in a diagnostic line");
      i += n;
    }
    if (nl == std::string_view::npos) break;
    m.remove_prefix(nl + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Setup& s = Get();
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto r = maskproxy::policy::Policy::Parse(yaml, "fuzz.yaml", s.keys);  // the default (in-memory) ledger
  if (!r.ok()) {
    const auto& e = r.error();
    if (static_cast<size_t>(e.code) >= maskproxy::kErrorCodeCount) Fail("an error without a code");
    if (e.message.empty()) Fail("an error without a message");
    CheckLines(e.message);
    return 0;
  }
  const auto& p = **r;
  if (p.routes().empty()) Fail("a compiled policy without routes");
  for (const auto& route : p.routes()) {
    if (route.from.empty() || route.to.empty() || route.dead_letter.empty())
      Fail("a route without from/to/dead_letter");
    if (route.to == route.dead_letter || route.to == route.from) Fail("a route whose topics are not distinct");
    for (const auto& rule : route.rules)
      if (!rule.action) Fail("a compiled rule without an action");
  }
  if (p.Label().empty()) Fail("a compiled policy without a label");
  for (const auto& w : p.warnings()) CheckLines(w);
  return 0;
}
