#include "detect/scanner.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "common/text.h"
#include "detect/normalize.h"
#include "detect/validators.h"

namespace maskproxy::detect {
namespace {

constexpr size_t kMaxContextWindow = 200;

bool IsAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsAsciiAlnum(char c) {
  return IsAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || IsAsciiDigit(c) || c == '_'; });
}

struct Detector {
  std::string name;
  std::unique_ptr<RE2> re;
  Validator validator = Validator::kNone;
  std::vector<std::string> context_words;  // ASCII-lowercased
  size_t context_window = 0;
};

struct Candidate {
  size_t begin;
  size_t end;
  size_t detector;
  double confidence;
};

// A candidate must not be glued to more of the same token: a letter or digit
// right next to it, or a '-'/'.' followed by a digit (an RRN inside a longer
// hyphenated number, an IP inside a version string). IPv6 also must not
// continue with ':' or touch a
// letter or digit even when it starts or ends with ':'.
bool BoundaryOk(std::string_view t, size_t b, size_t e, Validator v) {
  if (b > 0 && IsAsciiAlnum(t[b])) {
    const char p = t[b - 1];
    if (IsAsciiAlnum(p)) return false;
    if ((p == '-' || p == '.') && b > 1 && IsAsciiDigit(t[b - 2])) return false;
  }
  if (e < t.size() && IsAsciiAlnum(t[e - 1])) {
    const char n = t[e];
    if (IsAsciiAlnum(n)) return false;
    if ((n == '-' || n == '.') && e + 1 < t.size() && IsAsciiDigit(t[e + 1])) return false;
  }
  if (v == Validator::kIpv6) {
    if (b > 0 && (t[b - 1] == ':' || IsAsciiAlnum(t[b - 1]))) return false;
    if (e < t.size() && (t[e] == ':' || IsAsciiAlnum(t[e]))) return false;
  }
  return true;
}

bool ContextOk(const Detector& d, std::string_view t, size_t b, size_t e) {
  if (d.context_words.empty()) return true;
  size_t lo = b;
  for (size_t k = 0; k < d.context_window && lo > 0; ++k) {
    --lo;
    while (lo > 0 && (static_cast<unsigned char>(t[lo]) & 0xC0) == 0x80) --lo;
  }
  size_t hi = e;
  for (size_t k = 0; k < d.context_window && hi < t.size(); ++k) {
    ++hi;
    while (hi < t.size() && (static_cast<unsigned char>(t[hi]) & 0xC0) == 0x80) ++hi;
  }
  auto lowered = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = AsciiLower(c);
    return out;
  };
  const std::string before = lowered(t.substr(lo, b - lo));
  const std::string after = lowered(t.substr(e, hi - e));
  for (const std::string& w : d.context_words) {
    if (before.find(w) != std::string::npos || after.find(w) != std::string::npos) return true;
  }
  return false;
}

const char* SetErrorName(int kind) {
  switch (kind) {
    case RE2::Set::kNoError: return "no_error";
    case RE2::Set::kNotCompiled: return "not_compiled";
    case RE2::Set::kOutOfMemory: return "out_of_memory";
    case RE2::Set::kInconsistent: return "inconsistent";
    default: return "unknown";
  }
}

}  // namespace

namespace internal {

Status CheckPrefilter(bool matched, int set_error_kind, bool* run_detectors) {
  *run_detectors = false;
  if (set_error_kind != RE2::Set::kNoError) {
    return Error("detect_failed", std::string("prefilter failed: ") + SetErrorName(set_error_kind));
  }
  *run_detectors = matched;
  return Status::Ok();
}

}  // namespace internal

struct Scanner::Impl {
  std::vector<Detector> detectors;
  std::unique_ptr<RE2::Set> set;
};

Scanner::Scanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  for (const Detector& d : impl_->detectors) names_.push_back(d.name);
}

Scanner::~Scanner() = default;

Result<std::unique_ptr<Scanner>> Scanner::Create(const std::vector<DetectorSpec>& specs,
                                                 const ScannerOptions& options) {
  auto invalid = [](size_t i, const std::string& what) {
    return Error("invalid_detector", "detector " + std::to_string(i) + ": " + what);
  };
  if (specs.empty()) return Error("invalid_detector", "no detectors");
  if (options.max_mem <= 0 || options.detector_max_mem <= 0) {
    return Error("invalid_detector", "max_mem and detector_max_mem must be positive");
  }
  RE2::Options set_opts;
  set_opts.set_log_errors(false);
  set_opts.set_max_mem(options.max_mem);
  auto impl = std::make_unique<Impl>();
  impl->set = std::make_unique<RE2::Set>(set_opts, RE2::UNANCHORED);
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < specs.size(); ++i) {
    const DetectorSpec& s = specs[i];
    if (!ValidName(s.name)) return invalid(i, "name must be 1-64 characters of [a-z0-9_]");
    if (!seen.insert(s.name).second) return invalid(i, "duplicate name '" + s.name + "'");
    const std::string where = "'" + s.name + "': ";
    Detector d;
    d.name = s.name;
    if (!ValidatorFromName(s.validator, &d.validator)) {
      std::string msg = where + "unknown validator '" + s.validator + "'";
      const std::string hint = text::Suggest(s.validator, ValidatorNames());
      msg += hint.empty() ? " (known: " + text::Join(ValidatorNames()) + ")" : " (did you mean '" + hint + "'?)";
      return invalid(i, msg);
    }
    if (s.pattern.empty()) return invalid(i, where + "empty pattern");
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_max_mem(options.detector_max_mem);
    d.re = std::make_unique<RE2>(s.pattern, opts);
    if (!d.re->ok()) return invalid(i, where + "invalid pattern: " + d.re->error());
    if (RE2::FullMatch("", *d.re)) return invalid(i, where + "pattern matches the empty string");
    if (s.context_window == 0 || s.context_window > kMaxContextWindow) {
      return invalid(i, where + "context_window must be 1-" + std::to_string(kMaxContextWindow));
    }
    for (const std::string& w : s.context_words) {
      if (w.empty()) return invalid(i, where + "empty context word");
      std::string lw = w;
      for (char& c : lw) c = AsciiLower(c);
      d.context_words.push_back(std::move(lw));
    }
    d.context_window = s.context_window;
    std::string err;
    if (impl->set->Add(s.pattern, &err) != static_cast<int>(i)) return invalid(i, where + "invalid pattern: " + err);
    impl->detectors.push_back(std::move(d));
  }
  if (!impl->set->Compile()) {
    return Error("detector_compile_failed", "the detector set does not fit in max_mem");
  }
  return std::unique_ptr<Scanner>(new Scanner(std::move(impl)));
}

Status Scanner::Scan(std::string_view utf8_text, std::vector<Span>* out) const {
  out->clear();
  auto norm = NormalizedText::Create(utf8_text);
  if (!norm.ok()) return norm.error();
  const std::string_view t = norm->text();

  std::vector<int> ids;
  RE2::Set::ErrorInfo info{RE2::Set::kNoError};
  const bool matched = impl_->set->Match(t, &ids, &info);
  bool run_detectors = false;
  if (Status st = internal::CheckPrefilter(matched, static_cast<int>(info.kind), &run_detectors); !st.ok()) return st;
  if (!run_detectors) return Status::Ok();
  std::sort(ids.begin(), ids.end());

  std::vector<Candidate> cands;
  for (int id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= impl_->detectors.size()) {
      return Error("detect_failed", "prefilter returned an unknown detector");
    }
    const Detector& d = impl_->detectors[static_cast<size_t>(id)];
    size_t pos = 0;
    re2::StringPiece m;
    while (pos < t.size() && d.re->Match(t, pos, t.size(), RE2::UNANCHORED, &m, 1)) {
      const size_t b = static_cast<size_t>(m.data() - t.data());
      const size_t e = b + m.size();
      double confidence = 1.0;
      if (e > b && BoundaryOk(t, b, e, d.validator) && Validate(d.validator, t.substr(b, e - b), &confidence) &&
          ContextOk(d, t, b, e)) {
        cands.push_back({b, e, static_cast<size_t>(id), confidence});
        pos = e;
        continue;
      }
      // Not a hit: look again from the next character (a shorter or later
      // candidate may start inside this one).
      pos = b + 1;
      while (pos < t.size() && (static_cast<unsigned char>(t[pos]) & 0xC0) == 0x80) ++pos;
    }
  }

  std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& c) {
    if (a.begin != c.begin) return a.begin < c.begin;
    if (a.end != c.end) return a.end > c.end;
    return a.detector < c.detector;
  });
  size_t last_end = 0;
  for (const Candidate& c : cands) {
    if (c.begin < last_end) continue;
    Span s;
    norm->MapToOriginal(c.begin, c.end, &s.begin, &s.end);
    s.detector = impl_->detectors[c.detector].name;
    s.confidence = c.confidence;
    out->push_back(s);
    last_end = c.end;
  }
  return Status::Ok();
}

}  // namespace maskproxy::detect
