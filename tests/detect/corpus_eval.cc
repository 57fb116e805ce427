// detect_corpus_eval: precision and recall of the built-in detectors on a
// labeled corpus (tests/corpus/gen_corpus.py writes one).
//
//   detect_corpus_eval [--check] [--show-errors N] corpus.jsonl
//
// Each line is {"text": "...", "spans": [{"begin": B, "end": E, "detector":
// "name"}, ...]} with UTF-8 byte offsets. A predicted span equal to a label
// (begin, end and detector) is a true positive; any other predicted span is a
// false positive (counted for the detector that reported it); a label no
// prediction equals is a false negative (counted for the label's detector).
// "wrong" counts the false positives that overlap a label: found, but with the
// wrong boundaries or under another detector's name.
//
// --check exits 1 when a detector's recall is below 99.5% or its precision is
// below 99% (and says which); --show-errors N prints up to N misses and false
// positives with their text (the corpus is synthetic, so printing it is fine).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "codec/json.h"
#include "detect/scanner.h"

namespace {

using maskproxy::detect::Scanner;
using maskproxy::detect::Span;

struct Label {
  size_t begin = 0;
  size_t end = 0;
  std::string detector;
};

struct Line {
  std::string text;
  std::vector<Label> spans;
};

// A parser for exactly the corpus format: one object with "text" (a string)
// and "spans" (an array of objects with "begin", "end", "detector"); other
// members are skipped if they are strings or numbers.
class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  bool ParseLine(Line* out) {
    if (!Expect('{')) return false;
    bool first = true;
    while (true) {
      Ws();
      if (Peek() == '}') {
        ++i_;
        break;
      }
      if (!first && !Expect(',')) return false;
      first = false;
      std::string key;
      if (!String(&key) || !Expect(':')) return false;
      if (key == "text") {
        if (!String(&out->text)) return false;
      } else if (key == "spans") {
        if (!Spans(&out->spans)) return false;
      } else if (!SkipScalar()) {
        return false;
      }
    }
    Ws();
    return i_ == s_.size();
  }

 private:
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) ++i_;
  }
  bool Expect(char c) {
    Ws();
    if (Peek() != c) return false;
    ++i_;
    return true;
  }
  // A string literal, decoded by the proxy's own strict decoder.
  bool String(std::string* out) {
    Ws();
    if (Peek() != '"') return false;
    const size_t begin = i_++;
    while (i_ < s_.size() && s_[i_] != '"') i_ += s_[i_] == '\\' ? 2 : 1;
    if (i_ >= s_.size()) return false;
    ++i_;
    return maskproxy::codec::DecodeJsonString(s_.substr(begin, i_ - begin), out);
  }
  bool Number(size_t* out) {
    Ws();
    size_t v = 0;
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') v = v * 10 + static_cast<size_t>(s_[i_++] - '0');
    *out = v;
    return i_ > start;
  }
  bool SkipScalar() {
    Ws();
    if (Peek() == '"') {
      std::string ignored;
      return String(&ignored);
    }
    size_t ignored = 0;
    return Number(&ignored);
  }
  bool Spans(std::vector<Label>* out) {
    if (!Expect('[')) return false;
    Ws();
    if (Peek() == ']') {
      ++i_;
      return true;
    }
    while (true) {
      Label l;
      if (!Expect('{')) return false;
      bool first = true;
      while (true) {
        Ws();
        if (Peek() == '}') {
          ++i_;
          break;
        }
        if (!first && !Expect(',')) return false;
        first = false;
        std::string key;
        if (!String(&key) || !Expect(':')) return false;
        bool ok = true;
        if (key == "begin")
          ok = Number(&l.begin);
        else if (key == "end")
          ok = Number(&l.end);
        else if (key == "detector")
          ok = String(&l.detector);
        else
          ok = SkipScalar();
        if (!ok) return false;
      }
      out->push_back(std::move(l));
      Ws();
      if (Peek() == ']') {
        ++i_;
        return true;
      }
      if (!Expect(',')) return false;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

struct Row {
  size_t tp = 0, fp = 0, fn = 0, wrong = 0;
};

double Ratio(size_t num, size_t den) {
  return den == 0 ? 1.0 : static_cast<double>(num) / static_cast<double>(den);
}

int Usage() {
  std::fprintf(stderr, "usage: detect_corpus_eval [--check] [--show-errors N] corpus.jsonl\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool check = false;
  long show = 0;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--check") {
      check = true;
    } else if (a == "--show-errors" && i + 1 < argc) {
      show = std::strtol(argv[++i], nullptr, 10);
    } else if (!a.empty() && a[0] != '-' && path.empty()) {
      path = a;
    } else {
      return Usage();
    }
  }
  if (path.empty()) return Usage();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return 2;
  }
  auto scanner = Scanner::Create(Scanner::Defaults());
  if (!scanner.ok()) {
    std::fprintf(stderr, "Scanner::Create: %s\n", scanner.error().ToString().c_str());
    return 2;
  }
  std::map<std::string, Row> rows;
  for (const std::string& n : (*scanner)->detector_names()) rows[n];
  size_t lines = 0, labels = 0, shown = 0;
  std::string raw;
  std::vector<Span> found;
  while (std::getline(in, raw)) {
    if (raw.empty()) continue;
    ++lines;
    Line line;
    if (!Parser(raw).ParseLine(&line)) {
      std::fprintf(stderr, "%s:%zu: not a corpus line\n", path.c_str(), lines);
      return 2;
    }
    for (const Label& l : line.spans) {
      if (l.begin >= l.end || l.end > line.text.size()) {
        std::fprintf(stderr, "%s:%zu: span out of range\n", path.c_str(), lines);
        return 2;
      }
    }
    labels += line.spans.size();
    if (auto st = (*scanner)->Scan(line.text, &found); !st.ok()) {
      std::fprintf(stderr, "%s:%zu: Scan failed: %s\n", path.c_str(), lines, st.error().ToString().c_str());
      return 2;
    }
    std::vector<bool> matched(line.spans.size(), false);
    auto excerpt = [&](size_t b, size_t e) { return line.text.substr(b, e - b); };
    for (const Span& s : found) {
      bool hit = false, overlaps = false;
      for (size_t k = 0; k < line.spans.size(); ++k) {
        const Label& l = line.spans[k];
        if (l.begin == s.begin && l.end == s.end && l.detector == s.detector) {
          hit = true;
          matched[k] = true;
        } else if (s.begin < l.end && l.begin < s.end) {
          overlaps = true;
        }
      }
      Row& r = rows[std::string(s.detector)];
      if (hit) {
        ++r.tp;
        continue;
      }
      ++r.fp;
      if (overlaps) ++r.wrong;
      if (shown < static_cast<size_t>(show)) {
        ++shown;
        std::printf("FP %-17s line %zu [%zu,%zu) '%s'%s\n   text: %s\n", std::string(s.detector).c_str(), lines,
                    s.begin, s.end, excerpt(s.begin, s.end).c_str(), overlaps ? " (overlaps a label)" : "",
                    line.text.c_str());
      }
    }
    for (size_t k = 0; k < line.spans.size(); ++k) {
      if (matched[k]) continue;
      const Label& l = line.spans[k];
      ++rows[l.detector].fn;
      if (shown < static_cast<size_t>(show)) {
        ++shown;
        std::printf("FN %-17s line %zu [%zu,%zu) '%s'\n   text: %s\n", l.detector.c_str(), lines, l.begin, l.end,
                    excerpt(l.begin, l.end).c_str(), line.text.c_str());
      }
    }
  }

  std::printf("%zu texts, %zu labeled spans\n", lines, labels);
  std::printf("%-18s %7s %6s %6s %6s %10s %8s\n", "detector", "TP", "FP", "FN", "wrong", "precision", "recall");
  Row total;
  std::vector<std::string> failures;
  auto print_row = [](const std::string& name, const Row& r) {
    std::printf("%-18s %7zu %6zu %6zu %6zu %9.2f%% %7.2f%%\n", name.c_str(), r.tp, r.fp, r.fn, r.wrong,
                100.0 * Ratio(r.tp, r.tp + r.fp), 100.0 * Ratio(r.tp, r.tp + r.fn));
  };
  for (const auto& [name, r] : rows) {
    print_row(name, r);
    total.tp += r.tp;
    total.fp += r.fp;
    total.fn += r.fn;
    total.wrong += r.wrong;
    if (Ratio(r.tp, r.tp + r.fn) < 0.995) failures.push_back(name + ": recall below 99.5%");
    if (Ratio(r.tp, r.tp + r.fp) < 0.99) failures.push_back(name + ": precision below 99%");
    if (r.tp + r.fn == 0) failures.push_back(name + ": no labeled spans in the corpus");
  }
  print_row("overall", total);
  if (check) {
    for (const std::string& f : failures) std::printf("CHECK FAILED %s\n", f.c_str());
    if (!failures.empty()) return 1;
    std::printf("check passed: every detector has recall >= 99.5%% and precision >= 99%%\n");
  }
  return 0;
}
