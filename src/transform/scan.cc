#include "transform/scan.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

#include "codec/json.h"
#include "common/number.h"
#include "common/text.h"
#include "detect/normalize.h"

namespace maskproxy::transform {

std::string ScanFieldPath(std::string_view detector) {
  return "$scan." + std::string(detector);
}

Result<std::shared_ptr<const Scanning>> Scanning::Create(std::unique_ptr<const detect::Scanner> scanner,
                                                         std::vector<DetectorAction> actions,
                                                         std::unique_ptr<const detect::Scanner> inner) {
  if (!scanner) return Error(ErrorCode::kInvalidOption, "no scanner");
  std::shared_ptr<Scanning> s(new Scanning());
  const auto& names = scanner->detector_names();
  s->actions_.resize(names.size());
  std::vector<bool> set(names.size(), false);
  for (auto& a : actions) {
    size_t i = 0;
    while (i < names.size() && names[i] != a.detector) ++i;
    if (i == names.size()) return Error(ErrorCode::kInvalidOption, "unknown detector '" + a.detector + "'");
    if (set[i]) return Error(ErrorCode::kInvalidOption, "detector '" + a.detector + "' has two actions");
    if (a.action && a.action->RemovesMember())
      return Error(ErrorCode::kInvalidOption, "detector '" + a.detector + "': action " + a.action_name +
                                                  " would remove the whole value; use mode: constant");
    set[i] = true;
    s->actions_[i] = std::move(a);
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (!set[i]) return Error(ErrorCode::kInvalidOption, "detector '" + names[i] + "' has no action");
  if (inner) {
    for (const std::string& name : inner->detector_names()) {
      const DetectorAction* da = s->Find(name);
      if (!da || !da->action)
        return Error(ErrorCode::kInvalidOption, "the scanner for kept hits has detector '" + name +
                                                    "', which is not a detector with a replacing action");
    }
  }
  s->scanner_ = std::move(scanner);
  s->inner_ = std::move(inner);
  return std::shared_ptr<const Scanning>(std::move(s));
}

const Scanning::DetectorAction* Scanning::Find(std::string_view detector) const {
  for (const auto& a : actions_)
    if (a.detector == detector) return &a;
  return nullptr;
}

Status Scanning::Protect(const ActionContext& ctx, std::string_view text, std::string* out, bool* found) const {
  return ProtectWith(*scanner_, ctx, text, out, found);
}

size_t Scanning::Rank(std::string_view detector) const {
  const DetectorAction* da = Find(detector);
  return da ? static_cast<size_t>(da - actions_.data()) : actions_.size();
}

namespace {

// Merges spans (sorted by begin) that overlap into one; the merged span takes
// the detector `first` prefers.
template <typename First>
void MergeOverlapping(std::vector<detect::Span>* spans, First first) {
  size_t n = 0;
  for (size_t i = 0; i < spans->size(); ++i) {
    const detect::Span& s = (*spans)[i];
    if (n > 0 && s.begin < (*spans)[n - 1].end) {
      detect::Span& m = (*spans)[n - 1];
      m.end = std::max(m.end, s.end);
      if (first(s.detector, m.detector)) m.detector = s.detector;
      continue;
    }
    (*spans)[n++] = s;
  }
  spans->resize(n);
}

}  // namespace

void Scanning::AddUncovered(const std::vector<detect::Span>& lost, std::vector<detect::Span>* spans) const {
  thread_local std::vector<detect::Span> pieces;
  pieces.clear();
  for (const detect::Span& l : lost) {
    size_t pos = l.begin;
    // The hits are sorted and do not overlap: their ends are sorted too.
    auto it = std::lower_bound(spans->begin(), spans->end(), l.begin,
                               [](const detect::Span& h, size_t b) { return h.end <= b; });
    for (; it != spans->end() && it->begin < l.end; ++it) {
      if (it->begin > pos) pieces.push_back({pos, it->begin, l.detector, l.confidence});
      pos = std::max(pos, it->end);
    }
    if (pos < l.end) pieces.push_back({pos, l.end, l.detector, l.confidence});
  }
  if (pieces.empty()) return;
  std::sort(pieces.begin(), pieces.end(),
            [](const detect::Span& a, const detect::Span& b) { return a.begin < b.begin; });
  MergeOverlapping(&pieces, [this](std::string_view a, std::string_view b) { return Rank(a) < Rank(b); });
  spans->insert(spans->end(), pieces.begin(), pieces.end());
  std::sort(spans->begin(), spans->end(),
            [](const detect::Span& a, const detect::Span& b) { return a.begin < b.begin; });
}

Status Scanning::Replace(const DetectorAction& da, const ActionContext& ctx, std::string_view hit,
                         std::string* out) const {
  // The action sees the normalized hit, so that obfuscated and plain forms
  // of one value protect alike.
  auto norm = detect::NormalizedText::Create(hit);
  if (!norm.ok()) return norm.error();
  thread_local std::string raw, json, plain;
  raw.clear();
  codec::AppendJsonString(norm->text(), &raw);
  codec::ScalarRef ref{codec::JsonType::kString, raw, norm->text()};
  json.clear();
  if (Status st = da.action->Apply(ctx, ref, &json); !st.ok())
    return Error(st.error().code, "detector '" + da.detector + "' (" + da.action_name + "): " + st.error().message);
  if (json.size() < 2 || json.front() != '"' || !codec::DecodeJsonString(json, &plain))
    return Error(ErrorCode::kScanFailed, "detector '" + da.detector + "' (" + da.action_name + ") did not give text");
  out->append(plain);
  return Status::Ok();
}

Status Scanning::ReplaceClaims(const ActionContext& ctx, std::string_view text, const detect::Span& hit,
                               const std::vector<detect::Span>& lost, std::string* out, bool* any) const {
  *any = false;
  const size_t rank = Rank(hit.detector);
  thread_local std::vector<detect::Span> claims;
  claims.clear();
  for (const detect::Span& l : lost) {  // sorted by begin: so are the clipped claims
    if (l.end <= hit.begin || l.begin >= hit.end || Rank(l.detector) >= rank) continue;
    const DetectorAction* da = Find(l.detector);
    if (!da || !da->action) continue;  // keep claims nothing: the hit's action protects more
    claims.push_back({std::max(l.begin, hit.begin), std::min(l.end, hit.end), l.detector, l.confidence});
  }
  if (claims.empty()) return Status::Ok();
  MergeOverlapping(&claims, [this](std::string_view a, std::string_view b) { return Rank(a) < Rank(b); });
  out->clear();
  size_t pos = hit.begin;
  for (const detect::Span& c : claims) {
    out->append(text.substr(pos, c.begin - pos));
    if (ctx.scan_hits) ctx.scan_hits->push_back(c.detector);
    if (Status st = Replace(*Find(c.detector), ctx, text.substr(c.begin, c.end - c.begin), out); !st.ok()) return st;
    pos = c.end;
  }
  out->append(text.substr(pos, hit.end - pos));
  *any = true;
  return Status::Ok();
}

Status Scanning::ProtectWith(const detect::Scanner& scanner, const ActionContext& ctx, std::string_view text,
                             std::string* out, bool* found) const {
  *found = false;
  const bool outer = &scanner != inner_.get();
  // A kept hit is rescanned inside the loop: one set of lists per level.
  thread_local std::vector<detect::Span> outer_spans, inner_spans, outer_lost, inner_lost;
  std::vector<detect::Span>& spans = outer ? outer_spans : inner_spans;
  std::vector<detect::Span>& lost = outer ? outer_lost : inner_lost;
  if (Status st = scanner.Scan(text, &spans, &lost); !st.ok()) return st;
  if (spans.empty()) return Status::Ok();
  // What a candidate that lost the overlap holds past every hit ("T-7 ...
  // 900101-12" beside the RRN 900101-1234568) is protected by its own action.
  if (!lost.empty()) AddUncovered(lost, &spans);
  std::string result;
  result.reserve(text.size() + 32 * spans.size());
  std::string composed;
  size_t pos = 0;
  for (const detect::Span& sp : spans) {
    result.append(text.substr(pos, sp.begin - pos));
    pos = sp.end;
    if (ctx.scan_hits) ctx.scan_hits->push_back(sp.detector);
    const std::string_view hit = text.substr(sp.begin, sp.end - sp.begin);
    const DetectorAction* da = Find(sp.detector);
    if (!da) return Error(ErrorCode::kScanFailed, "a detector without an action");
    if (!da->action) {  // keep, but not another detector's hit inside it
      std::string inner;
      bool inner_found = false;
      if (outer && inner_) {
        if (Status st = ProtectWith(*inner_, ctx, hit, &inner, &inner_found); !st.ok()) return st;
      }
      result.append(inner_found ? std::string_view(inner) : hit);
      continue;
    }
    // An action that shows some of its hit (mask keeping characters) gets it
    // once what detectors listed before its own found inside it is replaced:
    // a ticket pattern masked to its last 6 characters would otherwise show
    // 6 digits of the RRN it spans.
    bool claimed = false;
    if (!lost.empty() && da->action->ShowsInput()) {
      if (Status st = ReplaceClaims(ctx, text, sp, lost, &composed, &claimed); !st.ok()) return st;
    }
    if (Status st = Replace(*da, ctx, claimed ? std::string_view(composed) : hit, &result); !st.ok()) return st;
  }
  result.append(text.substr(pos));
  *out = std::move(result);
  *found = true;
  return Status::Ok();
}

namespace {

// Appends `form` unless it is `number` itself or already there.
void AddForm(std::string_view number, std::string form, std::vector<std::string>* out) {
  if (form.empty() || form == number) return;
  for (const std::string& f : *out)
    if (f == form) return;
  out->push_back(std::move(form));
}

// A number's exact value, its significant digits and its whole part.
void AddDigitForms(std::string_view number, std::string_view shown, std::vector<std::string>* out) {
  number::DigitForms forms = number::ReadableDigits(shown);
  const std::string plain = forms.plain;
  AddForm(number, std::move(forms.plain), out);
  AddForm(number, std::move(forms.significand), out);
  // And its whole part alone: 9001011234568.1 holds an RRN before the point
  // (in text, ".1" after a number glues it into a longer dotted one).
  if (const size_t point = plain.find('.'); point != std::string::npos && point > 0) {
    std::string whole = plain.substr(0, point);
    if (whole != "0" && whole != "-0") AddForm(number, std::move(whole), out);
  }
}

}  // namespace

void NumberForms(std::string_view number, std::vector<std::string>* out) {
  out->clear();
  if (number.find_first_of(".eE") == std::string_view::npos) return;
  // A reader sees 9.001011234567e12 as 9001011234567, and its digits in
  // 9.001011234567e-5: the exact value and the significant digits.
  AddDigitForms(number, number, out);
  // A reader that parses into a double (Python's json, JavaScript, Spark)
  // sees the nearest double instead: 4111111111111110.9 is
  // 4111111111111111.0 there, a card number the exact forms do not hold.
  // Its shortest round-trip text ("4111111111111111", "4.111111111111111e-05")
  // and, for an integer, its exact integer digits ("%.0f": 1234567890123456768
  // where the shortest text reads 1234567890123456800).
  double d = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), d);
  if (ec != std::errc() || end != number.data() + number.size() || !std::isfinite(d)) return;
  char buf[64];
  const auto [shortest_end, sec] = std::to_chars(buf, buf + sizeof(buf), d);
  if (sec != std::errc()) return;
  AddDigitForms(number, std::string_view(buf, static_cast<size_t>(shortest_end - buf)), out);
  if (d == std::trunc(d) && std::fabs(d) < 1e19) {
    const int n = std::snprintf(buf, sizeof(buf), "%.0f", d);
    if (n > 0 && static_cast<size_t>(n) < sizeof(buf)) AddForm(number, std::string(buf, static_cast<size_t>(n)), out);
  }
}

Status ProtectNumber(const Scanning& scanning, const ActionContext& ctx, std::string_view number, std::string* out,
                     bool* found) {
  *found = false;
  // The first form with a hit is what the scan's output protects.
  thread_local std::vector<std::string> forms;
  NumberForms(number, &forms);
  for (const std::string& form : forms)
    if (Status st = scanning.Protect(ctx, form, out, found); !st.ok() || *found) return st;
  return scanning.Protect(ctx, number, out, found);
}

Status ProtectText(const Scanning& scanning, const ActionContext& ctx, std::string_view text, std::string* out,
                   bool* found) {
  if (number::IsJsonNumber(text)) return ProtectNumber(scanning, ctx, text, out, found);
  // "+9.001011234567e12", " 9.001011234567e12 ", "9,001,011,234,567": what a
  // lenient reader takes for the number; a hit in it protects the whole text.
  if (const std::string n = number::LenientNumber(text); !n.empty()) {
    if (Status st = ProtectNumber(scanning, ctx, n, out, found); !st.ok() || *found) return st;
  }
  return scanning.Protect(ctx, text, out, found);
}

Status ScanScalar(const Scanning& scanning, const ActionContext& ctx, const codec::ScalarRef& v, std::string* out,
                  bool* changed) {
  *changed = false;
  if (v.type != codec::JsonType::kString && v.type != codec::JsonType::kNumber) return Status::Ok();
  thread_local std::string replaced;
  bool found = false;
  Status st = v.type == codec::JsonType::kNumber ? ProtectNumber(scanning, ctx, v.text, &replaced, &found)
                                                 : ProtectText(scanning, ctx, v.text, &replaced, &found);
  if (!st.ok()) return st;
  if (!found) return Status::Ok();
  codec::AppendJsonString(replaced, out);
  *changed = true;
  return Status::Ok();
}

Result<std::unique_ptr<Action>> ScanAction::Create(ActionOptions&, const ActionEnv& env) {
  if (!env.scanning) return Error(ErrorCode::kInvalidOption, "[action] scan needs the policy's scanning setup");
  return std::unique_ptr<Action>(new ScanAction(env.scanning));
}

Status ScanAction::Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const {
  if (v.type == codec::JsonType::kObject || v.type == codec::JsonType::kArray)
    return Error(ErrorCode::kUnsupportedType, "scan applies to strings and numbers, not to a whole object or array");
  bool changed = false;
  if (Status st = ScanScalar(*scanning_, ctx, v, out, &changed); !st.ok()) return st;
  if (!changed) out->append(v.raw);
  return Status::Ok();
}

std::string ScanAction::KeyRef() const {
  std::set<std::string> refs;
  for (const auto& a : scanning_->actions())
    if (a.action)
      if (std::string r = a.action->KeyRef(); !r.empty()) refs.insert(r);
  return text::Join(std::vector<std::string>(refs.begin(), refs.end()), ",");
}

}  // namespace maskproxy::transform
