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

namespace {

bool IsContinuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

}  // namespace

std::string ScanFieldPath(std::string_view detector) {
  return "$scan." + std::string(detector);
}

Result<std::shared_ptr<const Scanning>> Scanning::Create(std::unique_ptr<const detect::Scanner> scanner,
                                                         std::vector<DetectorAction> actions,
                                                         const std::vector<detect::DetectorSpec>& specs) {
  if (!scanner) return Error(ErrorCode::kInvalidOption, "no scanner");
  std::shared_ptr<Scanning> s(new Scanning());
  const auto& names = scanner->detector_names();
  if (specs.size() != names.size()) return Error(ErrorCode::kInvalidOption, "the specs are not the scanner's");
  for (size_t i = 0; i < names.size(); ++i)
    if (specs[i].name != names[i]) return Error(ErrorCode::kInvalidOption, "the specs are not the scanner's");
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
  // Per detector whose action shows its input: the other replacing
  // detectors; and those whose action shows nothing, for the hits inside.
  std::vector<detect::DetectorSpec> opaque;
  bool shows = false;
  for (size_t i = 0; i < names.size(); ++i) {
    const Action* a = s->actions_[i].action.get();
    if (a && !a->ShowsInput())
      opaque.push_back(specs[i]);
    else
      shows = true;
  }
  if (shows && !opaque.empty()) {
    auto o = detect::Scanner::Create(opaque);
    if (!o.ok()) return o.error();
    s->opaque_ = std::move(o).value();
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const Action* own = s->actions_[i].action.get();
    if (own && !own->ShowsInput()) continue;
    std::vector<detect::DetectorSpec> others;
    for (size_t j = 0; j < names.size(); ++j)
      if (j != i && s->actions_[j].action) others.push_back(specs[j]);
    if (others.empty()) continue;
    auto inner = detect::Scanner::Create(others);
    if (!inner.ok()) return inner.error();
    s->inner_.emplace(names[i], std::move(inner).value());
  }
  s->scanner_ = std::move(scanner);
  return std::shared_ptr<const Scanning>(std::move(s));
}

const Scanning::DetectorAction* Scanning::Find(std::string_view detector) const {
  for (const auto& a : actions_)
    if (a.detector == detector) return &a;
  return nullptr;
}

Status Scanning::Protect(const ActionContext& ctx, std::string_view text, std::string* out, bool* found) const {
  return ProtectWith(*scanner_, ctx, text, 0, out, found);
}

Status Scanning::ProtectWith(const detect::Scanner& scanner, const ActionContext& ctx, std::string_view text,
                             size_t depth, std::string* out, bool* found) const {
  *found = false;
  // One span list per nesting level: a hit is rescanned inside the loop.
  thread_local std::vector<std::vector<detect::Span>> span_lists;
  if (span_lists.size() <= depth) span_lists.resize(depth + 1);
  std::vector<detect::Span>& spans = span_lists[depth];
  if (Status st = scanner.Scan(text, &spans); !st.ok()) return st;
  if (spans.empty()) return Status::Ok();
  thread_local std::string raw, json, plain;
  std::string result;
  result.reserve(text.size() + 32 * spans.size());
  size_t pos = 0;
  // (spans may move when a nested level grows span_lists: index, not iterate)
  for (size_t k = 0, n = spans.size(); k < n; ++k) {
    const detect::Span sp = span_lists[depth][k];
    if (ctx.scan_hits) ctx.scan_hits->push_back(sp.detector);
    const DetectorAction* da = Find(sp.detector);
    if (!da) return Error(ErrorCode::kScanFailed, "a detector without an action");
    size_t begin = sp.begin, end = sp.end;
    // An action that shows its input gets the hit with the other detectors'
    // hits inside it already replaced (see Create). One that reaches past an
    // end of the hit (it lost to the hit, which covers more) is protected
    // whole, with the hit: the other detectors run over the hit and up to
    // kReach bytes around it (not into the next hit). Inside such a hit, a
    // hit whose action shows its input is rescanned the same way by the
    // detectors whose actions show nothing (opaque_), whose hits are never
    // rescanned: the outer hit's detector is not among them, so nothing is
    // found twice, and the nesting ends there.
    std::string inner;
    bool inner_found = false;
    const detect::Scanner* rescan = nullptr;
    if (depth == 0) {
      if (auto it = inner_.find(sp.detector); it != inner_.end()) rescan = it->second.get();
    } else if (da->action && da->action->ShowsInput()) {
      rescan = opaque_.get();
    }
    if (rescan) {
      const size_t next = k + 1 < n ? span_lists[depth][k + 1].begin : text.size();
      size_t lo = sp.begin - std::min(sp.begin - pos, kReach);
      size_t hi = sp.end + std::min(next - sp.end, kReach);
      while (lo < sp.begin && IsContinuation(text[lo])) ++lo;  // whole characters
      while (hi > sp.end && hi < text.size() && IsContinuation(text[hi])) --hi;
      if (span_lists.size() <= depth + 1) span_lists.resize(depth + 2);
      if (Status st = rescan->Scan(text.substr(lo, hi - lo), &span_lists[depth + 1]); !st.ok()) return st;
      bool inside = false;
      for (const detect::Span& w : span_lists[depth + 1]) {
        if (lo + w.begin >= sp.end || lo + w.end <= sp.begin) continue;
        inside = true;
        begin = std::min(begin, lo + w.begin);
        end = std::max(end, lo + w.end);
      }
      if (inside) {
        if (Status st = ProtectWith(*rescan, ctx, text.substr(begin, end - begin), depth + 1, &inner, &inner_found);
            !st.ok())
          return st;
      }
    }
    result.append(text.substr(pos, begin - pos));
    pos = end;
    std::string_view hit = inner_found ? std::string_view(inner) : text.substr(begin, end - begin);
    if (!da->action) {  // keep
      result.append(hit);
      continue;
    }
    // The action sees the normalized hit, so that obfuscated and plain forms
    // of one value protect alike.
    auto norm = detect::NormalizedText::Create(hit);
    if (!norm.ok()) return norm.error();
    raw.clear();
    codec::AppendJsonString(norm->text(), &raw);
    codec::ScalarRef ref{codec::JsonType::kString, raw, norm->text()};
    json.clear();
    if (Status st = da->action->Apply(ctx, ref, &json); !st.ok())
      return Error(st.error().code, "detector '" + da->detector + "' (" + da->action_name + "): " + st.error().message);
    if (json.size() < 2 || json.front() != '"' || !codec::DecodeJsonString(json, &plain))
      return Error(ErrorCode::kScanFailed,
                   "detector '" + da->detector + "' (" + da->action_name + ") did not give text");
    result.append(plain);
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
