// fuzz_csv: the CSV path of batch mode (batch::MaskStream on in-memory
// streams) on arbitrary bytes, through one of three routes with the same
// column rules (unlisted_fields keep, drop and scan; chosen by the input's
// size modulo 3):
//   rrn -> tokenize   phone -> mask ('#', separators '-')   tmp -> redact remove
// For every input, with a quarantine stream:
//  - MaskStream either succeeds or fails for its header: invalid_rule (it
//    names no rrn/phone/tmp column, or there is none), invalid_utf8,
//    invalid_csv, too_large, ambiguous_field_name (a column name that folds
//    to a rule's), pii_in_field_name (scan: a column name that looks like
//    PII); never anything else;
//  - a UTF-8 byte order mark starts the output exactly when it starts the
//    input (it is not part of the first column's name);
//  - the counts add up: records = masked + quarantined; bytes_in is the
//    input size, bytes_out the output size;
//  - every quarantine entry is one strict JSON object (tests/fuzz/
//    strict_json.h) with a numeric "line" >= 1 and a string "reason";
//  - the output is valid RFC 4180 CSV (parsed independently below) whose
//    header has no tmp column, whose rrn cells are all tokens ("t1.rrn.1."
//    and 22 base64url characters) and whose phone cells hold only '#' and
//    '-' (so no selected cell kept its text), with as many cells in every row
//    as in the header; with unlisted_fields: drop, the header names only
//    rrn and phone columns.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "batch/batch.h"
#include "crypto/keyring.h"
#include "engine/engine.h"
#include "policy/policy.h"
#include "strict_json.h"
#include "support/test_keys.h"

namespace {

using maskproxy::fuzz::Node;
using maskproxy::fuzz::Parser;
using maskproxy::fuzz::Type;

[[noreturn]] void Fail(const char* what, const char* mode) {
  std::fprintf(stderr, "fuzz_csv: ORACLE VIOLATION (unlisted_fields: %s): %s\n", mode, what);
  std::abort();
}

struct Setup {
  maskproxy::crypto::Keyring keys;
  std::shared_ptr<const maskproxy::engine::Engine> engine;
  const maskproxy::engine::RouteRef* routes[3] = {};
};

const char* const kModes[3] = {"keep", "drop", "scan"};

const Setup& Get() {
  static const Setup* setup = [] {
    auto* s = new Setup();
    namespace tk = maskproxy::test_keys;
    auto keys = tk::ParseKeyring({{"rrn", {tk::FilledMaterial('r')}}});
    if (!keys.ok()) std::abort();
    s->keys = std::move(keys).value();
    std::string yaml = "policy: fuzzcsv\nversion: 1\nroutes:\n";
    for (const char* mode : kModes)
      yaml += std::string("  - from: csv.") + mode + "\n    to: csv." + mode + ".out\n    dead_letter: csv." + mode +
              ".dlq\n    unlisted_fields: " + mode +
              "\n    rules:\n"
              "      - { path: rrn, action: tokenize, key: rrn }\n"
              "      - { path: phone, action: mask, mask_char: '#', separators: '-' }\n"
              "      - { path: tmp, action: redact, mode: remove }\n";
    auto policy = maskproxy::policy::Policy::Parse(yaml, "fuzz-csv.yaml", s->keys);
    if (!policy.ok()) {
      std::fprintf(stderr, "fuzz_csv: setup failed: %s\n", policy.error().ToString().c_str());
      std::abort();
    }
    maskproxy::engine::Limits limits;
    limits.max_record_bytes = 2048;
    auto engine = maskproxy::engine::Engine::Create({*policy}, limits);
    if (!engine.ok()) std::abort();
    s->engine = *engine;
    for (int i = 0; i < 3; ++i) {
      s->routes[i] = s->engine->FindRoute(std::string("csv.") + kModes[i]);
      if (!s->routes[i]) std::abort();
    }
    return s;
  }();
  return *setup;
}

// An independent RFC 4180 reader: records of fields, LF or CRLF line ends (or
// a lone CR at the very end),
// quoted fields with "" and line breaks inside; blank lines (nothing but
// spaces, tabs and CRs) are skipped, as batch.h's reader skips them.
// False on bad quoting.
bool ReadCsv(std::string_view s, std::vector<std::vector<std::string>>* rows) {
  size_t p = s.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // a byte order mark, as spreadsheets read it
  while (p < s.size()) {
    size_t q = p;
    while (q < s.size() && (s[q] == ' ' || s[q] == '\t' || s[q] == '\r')) ++q;
    if (q == s.size() || s[q] == '\n') {  // a blank line: only spaces, tabs, CRs
      p = q + 1;
      continue;
    }
    std::vector<std::string> row;
    for (;;) {
      std::string field;
      if (p < s.size() && s[p] == '"') {
        ++p;
        for (;;) {
          if (p >= s.size()) return false;
          if (s[p] == '"') {
            if (p + 1 < s.size() && s[p + 1] == '"') {
              field.push_back('"');
              p += 2;
              continue;
            }
            ++p;
            break;
          }
          field.push_back(s[p++]);
        }
        if (p < s.size() && s[p] != ',' && s[p] != '\n' && !(s[p] == '\r' && p + 1 < s.size() && s[p + 1] == '\n'))
          return false;
      } else {
        // A lone CR ends an unquoted field only at the end of the input (as
        // batch.h's reader takes the last record's "\r" for its line end).
        // Anywhere else in an unquoted field it is bad: many readers take a
        // lone CR for a line break (RFC 4180 allows it in quotes only).
        while (p < s.size() && s[p] != ',' && s[p] != '\n' &&
               !(s[p] == '\r' && (p + 1 == s.size() || s[p + 1] == '\n'))) {
          if (s[p] == '"' || s[p] == '\r') return false;
          field.push_back(s[p++]);
        }
      }
      row.push_back(std::move(field));
      if (p < s.size() && s[p] == ',') {
        ++p;
        continue;
      }
      break;
    }
    if (p < s.size()) p += s[p] == '\r' ? 2 : 1;
    rows->push_back(std::move(row));
  }
  return true;
}

bool IsToken(std::string_view cell) {
  constexpr std::string_view kPrefix = "t1.rrn.1.";
  if (cell.substr(0, kPrefix.size()) != kPrefix || cell.size() != kPrefix.size() + 22) return false;
  for (char c : cell.substr(kPrefix.size()))
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

void CheckQuarantine(const std::string& q, const char* mode) {
  size_t at = 0;
  while (at < q.size()) {
    size_t nl = q.find('\n', at);
    if (nl == std::string::npos) Fail("a quarantine entry without its line end", mode);
    std::string_view line(q.data() + at, nl - at);
    at = nl + 1;
    Node root;
    Parser parser(line);
    if (!parser.Parse(&root) || root.type != Type::kObject) Fail("a quarantine entry is not a JSON object", mode);
    bool has_line = false, has_reason = false;
    for (size_t i = 0; i < root.kids.size(); ++i) {
      if (root.keys[i].name == "line")
        has_line = root.kids[i].type == Type::kNumber && root.kids[i].text != "0" && root.kids[i].text[0] != '-';
      if (root.keys[i].name == "reason") has_reason = root.kids[i].type == Type::kString && !root.kids[i].text.empty();
    }
    if (!has_line || !has_reason) Fail("a quarantine entry without a line number or reason", mode);
  }
}

void CheckOne(const Setup& s, int m, std::string_view input) {
  const char* mode = kModes[m];
  std::istringstream in{std::string(input)};
  std::ostringstream out, quarantine;
  maskproxy::batch::BatchOptions opt;
  opt.format = maskproxy::batch::Format::kCsv;
  auto r = maskproxy::batch::MaskStream(*s.engine, *s.routes[m], in, out, &quarantine, opt);
  if (!r.ok()) {
    // A header that cannot be read fails the whole run (nothing can be
    // masked without the column names).
    const std::string code(ErrorCodeName(r.error().code));
    if (code != "invalid_rule" && code != "invalid_utf8" && code != "invalid_csv" && code != "too_large" &&
        code != "field_count" && code != "ambiguous_field_name" && code != "pii_in_field_name") {
      std::fprintf(stderr, "fuzz_csv: code %s\n", code.c_str());
      Fail("MaskStream failed with an undocumented code", mode);
    }
    return;
  }
  const std::string o = out.str();
  if (input.starts_with("\xEF\xBB\xBF") != o.starts_with("\xEF\xBB\xBF")) {
    Fail("a byte order mark was not kept (or one was added)", mode);
  }
  if (r->records != r->masked + r->quarantined) Fail("records != masked + quarantined", mode);
  if (r->bytes_in != input.size()) Fail("bytes_in is not the input size", mode);
  if (r->bytes_out != o.size()) Fail("bytes_out is not the output size", mode);
  CheckQuarantine(quarantine.str(), mode);
  std::vector<std::vector<std::string>> rows;
  if (!ReadCsv(o, &rows)) Fail("the output is not valid CSV", mode);
  if (rows.empty()) return;
  const std::vector<std::string>& header = rows[0];
  for (const std::string& h : header) {
    if (h == "tmp") Fail("a removed column is in the output", mode);
    if (m == 1 && h != "rrn" && h != "phone") Fail("an unlisted column survived unlisted_fields: drop", mode);
  }
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].size() != header.size()) Fail("an output row has another cell count than the header", mode);
    for (size_t c = 0; c < header.size(); ++c) {
      const std::string& cell = rows[i][c];
      // (An empty cell stays empty: tokenize keeps an empty text so.)
      if (header[c] == "rrn" && !cell.empty() && !IsToken(cell)) Fail("an rrn cell is not a token", mode);
      if (header[c] == "phone" && cell.find_first_not_of("#-") != std::string::npos)
        Fail("a phone cell kept a character", mode);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Setup& s = Get();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // One route per input (by its size): each MaskStream call maps its 1 MiB
  // block buffers afresh under ASan, which costs more than the masking.
  CheckOne(s, static_cast<int>(size % 3), input);
  return 0;
}
