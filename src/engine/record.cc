// Engine::MaskRecord (key, headers, value) and the CSV row call.
#include <algorithm>

#include "common/text.h"
#include "common/unicode.h"
#include "detect/scanner.h"
#include "engine/engine.h"
#include "transform/scan.h"

namespace maskproxy::engine {
namespace {

using policy::BinaryPart;
using policy::Unlisted;

// A header name from a record, safe for a message or a finding: a schema's
// name (LooksLikeSchemaName) cut to 64 bytes, anything else <name>.
std::string SafeName(std::string_view name) {
  constexpr size_t kMax = 64;
  if (name.empty()) return "";
  if (!LooksLikeSchemaName(name)) return "<name>";
  return name.size() <= kMax ? std::string(name) : std::string(name.substr(0, kMax)) + "...";
}

// The policy's name of the ruled or (unless `rules_only`) binary header that
// `name` only folds to (unicode::FoldHeaderName; not matching it
// case-insensitively), or null.
const std::string* FoldedTwin(const policy::Route& rt, std::string_view name, bool rules_only) {
  if (rt.header_rules.empty() && rt.binary_headers.empty()) return nullptr;
  const std::string folded = unicode::FoldHeaderName(name);
  const size_t n = rules_only ? rt.header_rules.size() : rt.folded_headers.size();
  for (size_t i = 0; i < n && i < rt.folded_headers.size(); ++i) {
    if (rt.folded_headers[i] != folded) continue;
    return i < rt.header_rules.size() ? &rt.header_rules[i].first
                                      : &rt.binary_headers[i - rt.header_rules.size()].first;
  }
  return nullptr;
}

}  // namespace

Status Engine::CheckBinaryPass(const RouteRef& ref, std::string_view topic, std::string_view label_prefix,
                               std::string_view name, std::string_view bytes) const {
  const transform::Scanning* scanning = ref.policy->scanning();
  if (!scanning) return Error(ErrorCode::kInternal, "unlisted_fields: scan without scanning");
  if (bytes.size() > limits_.max_record_bytes)
    return Error(ErrorCode::kTooLarge, std::string(label_prefix) + SafeName(name) + " exceeds max_record_bytes");
  // The bytes with every one that is not part of valid UTF-8 read first as a
  // space, then as a letter, each scanned as one text: a legacy encoding's
  // separator between digit groups (Latin-1's no-break space in
  // "010\xA01234\xA05678", CP1252's en dash) still separates them, and its
  // letters still make a local part ("jos\xE9@correo.es", an EUC-KR name
  // before '@').
  thread_local std::string text;
  thread_local std::string scratch;
  for (const char stand_in : {' ', 'x'}) {
    text.clear();
    for (size_t i = 0; i < bytes.size();) {
      uint32_t cp = 0;
      const size_t len = unicode::DecodeUtf8(bytes, i, &cp);
      if (len == 0) {
        text.push_back(stand_in);
        ++i;
      } else {
        text.append(bytes.substr(i, len));
        i += len;
      }
    }
    if (!scanning->scanner().MayMatch(text)) continue;
    std::vector<std::string_view> hits;
    transform::ActionContext ctx{topic, &hits};
    ctx.field = name;
    bool changed = false;
    if (Status s = transform::ProtectText(*scanning, ctx, text, &scratch, &changed); !s.ok())
      return Error(s.error().code, std::string(label_prefix) + SafeName(name) + ": " + s.error().message);
    if (changed)
      return Error(ErrorCode::kPiiInBinary,
                   std::string(label_prefix) + SafeName(name) +
                       " is declared binary: pass but is not valid UTF-8 around text that looks like " +
                       std::string(hits.empty() ? std::string_view("PII") : hits.front()) +
                       " (bytes that are not text cannot be masked in place)");
  }
  return Status::Ok();
}

Status Engine::ScanText(const RouteRef& ref, std::string_view topic, std::string_view label_prefix,
                        std::string_view name, std::string_view text, std::string* out, bool* changed,
                        std::vector<Finding>* findings) const {
  *changed = false;
  const transform::Scanning* scanning = ref.policy->scanning();
  if (!scanning) return Error(ErrorCode::kInternal, "unlisted_fields: scan without scanning");
  if (text.size() > limits_.max_record_bytes)
    return Error(ErrorCode::kTooLarge, std::string(label_prefix) + SafeName(name) + " exceeds max_record_bytes");
  std::vector<std::string_view> hits;
  transform::ActionContext ctx{topic, &hits};
  ctx.field = name;  // a header's name is context for the detectors ("$key" for the key: none)
  out->clear();
  // A key or header that is a number ("9.001011234568e12") is read as one,
  // as in a value.
  if (Status s = transform::ProtectText(*scanning, ctx, text, out, changed); !s.ok())
    return Error(s.error().code, std::string(label_prefix) + SafeName(name) + ": " + s.error().message);
  if (!hits.empty()) {
    std::string label = std::string(label_prefix) + SafeName(name);
    for (std::string_view d : hits) findings->push_back({label, d, true});
  }
  return Status::Ok();
}

Status Engine::MaskKey(const RouteRef& ref, const RecordView& rec, MaskedRecord* out) const {
  const policy::Route& rt = *ref.route;
  out->key = rec.key;
  if (!rec.key) return Status::Ok();
  if (rt.key_rule >= 0) {
    bool removed = false;
    Status s = MaskPart(rt.rules[static_cast<size_t>(rt.key_rule)], rec.topic, *rec.key, &out->key_buf, &removed,
                        &out->unprotectable);
    if (!s.ok()) return s;
    out->applied.push_back(rt.key_rule);
    out->key = removed ? std::nullopt : std::optional<std::string_view>(out->key_buf);
    return Status::Ok();
  }
  switch (rt.unlisted) {
    case Unlisted::kKeep: return Status::Ok();
    case Unlisted::kDrop:
      if (rt.binary_key != BinaryPart::kPass) out->key.reset();
      return Status::Ok();
    case Unlisted::kScan: break;
  }
  // Declared binary and passed: bytes that are not UTF-8 as they are (unless
  // text in them looks like PII); valid UTF-8 is text and is scanned below.
  if (rt.binary_key == BinaryPart::kPass && !codec::IsValidUtf8(*rec.key))
    return CheckBinaryPass(ref, rec.topic, "$key", "", *rec.key);
  if (rt.binary_key == BinaryPart::kDrop) {
    out->key.reset();
    return Status::Ok();
  }
  if (!codec::IsValidUtf8(*rec.key))
    return Error(ErrorCode::kInvalidUtf8,
                 "$key is not valid UTF-8 and unlisted_fields is scan (declare it under binary: to pass or drop it)");
  bool changed = false;
  Status s = ScanText(ref, rec.topic, "$key", "", *rec.key, &out->key_buf, &changed, &out->findings);
  if (!s.ok()) return s;
  if (changed) out->key = out->key_buf;
  return Status::Ok();
}

Status Engine::MaskHeaders(const RouteRef& ref, const RecordView& rec, MaskedRecord* out) const {
  const policy::Route& rt = *ref.route;
  out->headers_changed = false;
  out->headers.clear();
  // Once a header changes, out->headers gets every header (those before it
  // copied); until then nothing is copied.
  auto changed_at = [&](size_t i) {
    if (out->headers_changed) return;
    out->headers_changed = true;
    for (size_t j = 0; j < i; ++j) {
      const HeaderView& h = rec.headers[j];
      out->headers.push_back({std::string(h.name), h.value ? std::optional<std::string>(std::string(*h.value))
                                                           : std::optional<std::string>()});
    }
  };
  auto keep = [&](size_t i) {
    if (!out->headers_changed) return;
    const HeaderView& h = rec.headers[i];
    out->headers.push_back({std::string(h.name), h.value ? std::optional<std::string>(std::string(*h.value))
                                                         : std::optional<std::string>()});
  };
  auto replace = [&](size_t i, std::string_view text) {
    changed_at(i);
    out->headers.push_back({std::string(rec.headers[i].name), std::optional<std::string>(std::string(text))});
  };
  for (size_t i = 0; i < rec.headers.size(); ++i) {
    const HeaderView& h = rec.headers[i];
    if (const policy::Rule* rule = rt.HeaderRule(h.name)) {
      if (!h.value) {  // a null header stays null
        keep(i);
        continue;
      }
      bool removed = false;
      if (Status s = MaskPart(*rule, rec.topic, *h.value, &out->scratch, &removed, &out->unprotectable, h.name);
          !s.ok())
        return s;
      out->applied.push_back(static_cast<int32_t>(rule - rt.rules.data()));
      if (removed)
        changed_at(i);
      else
        replace(i, out->scratch);
      continue;
    }
    const BinaryPart binary = rt.BinaryHeader(h.name);
    // A header declared binary is still refused when its name only folds to a
    // ruled one's (the policy refuses such a declaration; this holds whatever
    // the policy let through): a reader takes them for one header.
    if (const std::string* twin = FoldedTwin(rt, h.name, binary != BinaryPart::kNone))
      return Error(ErrorCode::kAmbiguousFieldName,
                   "a header name differs from '$header." + *twin +
                       "' only in characters a reader does not see or a bridge ignores (width, white space, invisible "
                       "characters, '-', '_', '.')");
    if (rt.unlisted == Unlisted::kKeep) {
      keep(i);
      continue;
    }
    if (binary == BinaryPart::kPass && (rt.unlisted != Unlisted::kScan || !h.value || !codec::IsValidUtf8(*h.value))) {
      // Declared binary and passed (as $key above): under scan, valid UTF-8
      // is text and is scanned below.
      if (rt.unlisted == Unlisted::kScan && h.value)
        if (Status s = CheckBinaryPass(ref, rec.topic, "$header.", h.name, *h.value); !s.ok()) return s;
      keep(i);
      continue;
    }
    if (rt.unlisted == Unlisted::kDrop || binary == BinaryPart::kDrop) {
      changed_at(i);
      continue;
    }
    // unlisted_fields: scan (a name declared binary is the policy's, not data)
    if (ref.policy->scanning() && binary == BinaryPart::kNone) {
      auto pii = PiiInName(ref.policy->scanning()->scanner(), h.name);
      if (!pii.ok()) return Error(pii.error().code, "header name: " + pii.error().message);
      if (!pii->empty())
        return Error(ErrorCode::kPiiInFieldName, "a header name looks like " + std::string(*pii) +
                                                     "; name it with a $header rule or declare it under binary:");
    }
    if (!h.value) {
      keep(i);
      continue;
    }
    if (!codec::IsValidUtf8(*h.value))
      return Error(ErrorCode::kInvalidUtf8,
                   "$header." + SafeName(h.name) +
                       " is not valid UTF-8 and unlisted_fields is scan (declare it under binary: "
                       "to pass or drop it)");
    bool changed = false;
    Status s = ScanText(ref, rec.topic, "$header.", h.name, *h.value, &out->scratch, &changed, &out->findings);
    if (!s.ok()) return s;
    if (changed)
      replace(i, out->scratch);
    else
      keep(i);
  }
  return Status::Ok();
}

Status Engine::MaskRecord(const RouteRef& ref, const RecordView& rec, MaskedRecord* out) const {
  out->findings.clear();
  out->applied.clear();
  out->unprotectable.clear();
  out->value.clear();
  out->tombstone = !rec.value;
  Status s = MaskKey(ref, rec, out);
  if (s.ok()) s = MaskHeaders(ref, rec, out);
  if (s.ok() && rec.value)
    s = MaskValue(ref, rec.topic, *rec.value, &out->value, &out->findings, &out->applied, &out->unprotectable);
  if (!s.ok()) {
    out->applied.clear();
    out->unprotectable.clear();
    out->key.reset();
    out->value.clear();
    out->headers.clear();
    out->headers_changed = false;
    out->findings.clear();
  }
  return s;
}

namespace {

// Whether a CSV column's name, read as readers that expand dotted names or
// stop at a NUL read it, names the rule key `folded` (folded) or a place
// inside its value: "rrn.0", "rrn[0]", ".rrn", "rrn..", "rrn\0x" (found by
// review: JSON refused such member names, CSV passed them under keep).
bool SpellsInside(std::string_view name, const std::string& folded) {
  if (const size_t nul = name.find('\0'); nul != std::string_view::npos)
    if (unicode::FoldName(name.substr(0, nul)) == folded) return true;
  const size_t first = name.find_first_not_of(".[]");
  if (first == std::string_view::npos) return false;
  const size_t end = name.find_first_of(".[]", first);
  if (first == 0 && end == std::string_view::npos) return false;  // no dot or bracket: the name itself
  return unicode::FoldName(name.substr(first, end == std::string_view::npos ? name.npos : end - first)) == folded;
}

}  // namespace

Result<CsvPlan> Engine::PlanCsv(const RouteRef& ref, std::span<const std::string> names) const {
  const policy::Route& r = *ref.route;
  CsvPlan plan;
  plan.cols_.resize(names.size());
  for (size_t c = 0; c < names.size(); ++c) {
    plan.cols_[c].name = names[c];
    plan.cols_[c].kept = r.unlisted != Unlisted::kDrop;
    plan.cols_[c].reads = r.unlisted == Unlisted::kScan && ref.policy->scanning();
  }
  const policy::Rule* missing = nullptr;  // the first rule whose column the header lacks
  for (const policy::Rule& rule : r.rules) {
    if (rule.target != policy::Target::kValue) continue;  // $key/$header: files have neither
    const auto& segs = rule.path.segments;
    if (segs.size() != 1 || segs[0].kind != codec::PathSegment::Kind::kKey)
      return Error(ErrorCode::kInvalidRule, "rule" + text::Shown(rule.path.text) + " (line " +
                                                std::to_string(rule.line) +
                                                "): CSV columns are named by a single key, not a nested path");
    bool found = false;
    for (size_t c = 0; c < names.size(); ++c) {
      if (names[c] != segs[0].key) continue;
      found = true;
      plan.cols_[c].rule = &rule;
      plan.cols_[c].kept = !rule.action->RemovesMember();
      plan.cols_[c].reads = plan.cols_[c].kept;
    }
    // A column whose name only looks like the rule's (case, width, spaces,
    // NUL, default-ignorables) would pass beside it: refuse the file, as a
    // JSON member name like that refuses its record. Checked before a
    // missing column, so that a header `RRN` for a rule on `rrn` says why
    // (found by review: "names no column" hid the case).
    const std::string folded = unicode::FoldName(segs[0].key);
    for (size_t c = 0; c < names.size(); ++c)
      if (names[c] != segs[0].key && (unicode::FoldName(names[c]) == folded || SpellsInside(names[c], folded)))
        return Error(ErrorCode::kAmbiguousFieldName, "CSV column " + std::to_string(c + 1) +
                                                         " has a name that differs from "
                                                         "rule" +
                                                         text::Shown(rule.path.text) + " (line " +
                                                         std::to_string(rule.line) +
                                                         ") only in case, width, spaces or invisible characters, "
                                                         "or names a place inside it (rrn.0, rrn[0], .rrn, rrn\\0x)");
    // A ruled column the header lacks fails the file (fail closed: a rule
    // that protects nothing is a policy for another file, or a header
    // renamed upstream; JSON Lines only warn, as a record may omit a member).
    if (!found && !names.empty() && !missing) missing = &rule;
  }
  if (missing)
    return Error(ErrorCode::kInvalidRule, "rule" + text::Shown(missing->path.text) + " (line " +
                                              std::to_string(missing->line) +
                                              ") names no column of the CSV header (a ruled column the header lacks "
                                              "fails the file)");
  // Under scan, an unlisted column's name is checked as a JSON member name
  // is: the header is written as it is, so one that looks like PII refuses
  // the file.
  if (const transform::Scanning* scanning = ref.policy->scanning(); scanning && r.unlisted == Unlisted::kScan) {
    for (size_t c = 0; c < names.size(); ++c) {
      if (plan.cols_[c].rule || !plan.cols_[c].kept) continue;
      auto pii = PiiInName(scanning->scanner(), names[c]);
      if (!pii.ok())
        return Error(pii.error().code, "CSV column " + std::to_string(c + 1) + ": name: " + pii.error().message);
      if (!pii->empty())
        return Error(ErrorCode::kPiiInFieldName, "the name of CSV column " + std::to_string(c + 1) + " looks like " +
                                                     std::string(*pii) +
                                                     "; the header is written as it is, so the file cannot pass");
    }
  }
  return plan;
}

Status Engine::MaskCsvRow(const RouteRef& ref, const CsvPlan& plan, std::string_view topic,
                          std::span<const std::string_view> cells, CsvRow* out) const {
  out->findings.clear();
  out->unprotectable.clear();
  if (cells.size() != plan.columns())
    return Error(ErrorCode::kFieldCount,
                 std::to_string(cells.size()) + " fields, the header has " + std::to_string(plan.columns()));
  out->cells.resize(cells.size());
  for (size_t c = 0; c < cells.size(); ++c) {
    const CsvPlan::Column& col = plan.cols_[c];
    CsvCell& cell = out->cells[c];
    cell.state = CsvCell::State::kSame;
    if (!col.kept) {
      cell.state = CsvCell::State::kRemoved;
      continue;
    }
    if (!col.reads) continue;
    if (col.rule) {
      bool removed = false;
      if (Status s = MaskPart(*col.rule, topic, cells[c], &cell.text, &removed, &out->unprotectable, col.name);
          !s.ok()) {
        out->findings.clear();
        out->unprotectable.clear();
        return s;
      }
      if (removed) cell.text.clear();  // JSON null: an empty cell
      cell.state = CsvCell::State::kText;
      continue;
    }
    bool changed = false;
    if (Status s = ScanUnlisted(ref, topic, col.name, cells[c], &cell.text, &changed, &out->findings); !s.ok()) {
      out->findings.clear();
      out->unprotectable.clear();
      return s;
    }
    if (changed) cell.state = CsvCell::State::kText;
  }
  return Status::Ok();
}

}  // namespace maskproxy::engine
