#include "engine/engine.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/number.h"
#include "common/unicode.h"
#include "detect/korean_text.h"
#include "detect/scanner.h"
#include "transform/action.h"
#include "transform/scan.h"

namespace maskproxy::engine {

Result<std::string_view> PiiInName(const detect::Scanner& scanner, std::string_view name, std::string_view context) {
  if (!scanner.MayMatch(name)) return std::string_view();
  thread_local std::vector<detect::Span> spans;
  if (Status st = scanner.Scan(name, &spans, nullptr, context); !st.ok()) return st.error();
  if (!spans.empty()) return spans.front().detector;
  // A number keyed under a phone or resident-number name that lost its
  // leading 0 ({"mobile": {"1012345678": …}}).
  if (const std::string restored = transform::RestoredNumber(name, context); !restored.empty()) {
    if (Status st = scanner.Scan(restored, &spans, nullptr, context); !st.ok()) return st.error();
    if (!spans.empty()) return spans.front().detector;
  }
  // A number as a reader reads it (number::LenientNumber), and its digits.
  thread_local std::string lenient;
  lenient = number::IsJsonNumber(name) ? std::string(name) : number::LenientNumber(name);
  if (lenient.empty()) return std::string_view();
  thread_local std::vector<std::string> forms;
  transform::NumberForms(lenient, &forms);
  if (lenient != name) forms.push_back(lenient);
  for (const std::string& form : forms) {
    if (Status st = scanner.Scan(form, &spans, nullptr, context); !st.ok()) return st.error();
    if (!spans.empty()) return spans.front().detector;
  }
  return std::string_view();
}

namespace {

// A member or column name as the checks of what names say read it
// (transform::FieldSays, PersonalField, the detectors' context): one with
// non-ASCII characters folded (unicode::FoldName: full-width letters,
// Hangul written as jamo as macOS writes names, mathematical letters, the
// long s; found by review: "ａｄｄｒｅｓｓ" and NFD "주소" passed their
// address); an ASCII one as it is, its case marking its words ("userTel").
void AppendReadName(std::string_view name, std::string* out) {
  bool ascii = true;
  for (char c : name) ascii &= static_cast<unsigned char>(c) < 0x80;  // (no early exit: vectorized)
  if (ascii || !unicode::NameMayFold(name)) {
    out->append(name);
  } else {
    out->append(unicode::FoldName(name));
  }
}

// Whether a schema-like name holds a word that reads as a credential or a
// generated id rather than a schema's words: a run of letters and digits
// (between _ - . : $ @) of 12 characters or more with a digit in it and
// three or more lower-case stretches of one or two letters, as random
// letters have and words do not ("sk_live_4eC39HqLyjWDarjtT1zdp7dc"), or of
// 16 or more in capitals and digits with a digit inside
// ("AKIAIOSFODNN7EXAMPLE"): a review found them in metric labels. Not
// camelCase names with a digit ("address1Detail", "oauth2AccessToken",
// "customerAddress2": a later review found a first rule hiding them, and
// the drift report with them).
bool HasCredentialLikeWord(std::string_view name) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  size_t i = 0;
  while (i < name.size()) {
    if (!alnum(name[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    size_t digits = 0, lowers = 0, short_lower = 0;
    bool inner_digit = false;
    while (j < name.size() && alnum(name[j])) {
      const char c = name[j];
      if (c >= '0' && c <= '9') {
        ++digits;
        if (j > i && j + 1 < name.size() && alnum(name[j + 1])) inner_digit = true;
        ++j;
      } else if (lower(c)) {
        size_t k = j;
        while (k < name.size() && lower(name[k])) ++k;
        lowers += k - j;
        short_lower += k - j <= 2 ? 1 : 0;
        j = k;
      } else {
        ++j;
      }
    }
    const size_t len = j - i;
    if (digits > 0 && len >= 12 && short_lower >= 3) return true;
    if (inner_digit && lowers == 0 && len >= 16) return true;
    i = j;
  }
  return false;
}

// A member name as a path segment: plain, or ["..."] when it holds a '.';
// PII in it becomes <detector>, a name that may be data <name>
// (LooksLikeSchemaName, a word that reads as a credential:
// HasCredentialLikeWord, or a Korean name in Latin letters, as user names
// are: detect::internal::IsRomanizedNameHandle); cut to 64 bytes.
void AppendSegment(const transform::Scanning& scanning, std::string_view key, bool first, std::string* out) {
  constexpr size_t kMaxScanned = 256;  // a longer name is <name> unscanned: labels stay linear
  if (key.size() <= kMaxScanned) {
    if (auto pii = PiiInName(scanning.scanner(), key); pii.ok() && !pii->empty()) {
      out->append(first ? "" : ".").append("<").append(*pii).append(">");
      return;
    }
  }
  if (!LooksLikeSchemaName(key) || HasCredentialLikeWord(key) || detect::internal::IsRomanizedNameHandle(key)) {
    out->append(first ? "" : ".").append("<name>");
    return;
  }
  constexpr size_t kMaxKey = 64;
  const std::string_view k = key.substr(0, kMaxKey);  // ASCII: any cut is a character boundary
  if (k.find('.') == std::string_view::npos) {
    out->append(first ? "" : ".").append(k);
  } else {
    out->append("[");
    codec::AppendJsonString(k, out);
    out->append("]");
  }
  if (k.size() < key.size()) out->append("...");
}

// The built-in detectors, for member names inside ruled objects when the
// policy has no scanner of its own; built once. Null if they cannot be built
// (then such names fail closed, see RuledName).
const detect::Scanner* BuiltinScanner() {
  static const std::unique_ptr<detect::Scanner> scanner = [] {
    auto s = detect::Scanner::Create(detect::Scanner::Defaults());
    return s.ok() ? std::move(s).value() : nullptr;
  }();
  return scanner.get();
}

class RuleRewriter final : public codec::ValueRewriter {
 public:
  RuleRewriter(const RouteRef& ref, std::string_view topic, std::vector<Finding>* findings,
               std::vector<int32_t>* applied, std::vector<metrics::Counter*>* unprotectable)
      : route_(*ref.route), scanning_(ref.policy->scanning()), findings_(findings), applied_(applied), ctx_{topic} {
    if (findings_) ctx_.scan_hits = &hits_;
    ctx_.unprotectable = unprotectable;
  }

  // A rule on an object rewrites its scalars but keeps its member names: a
  // name that looks like PII ({"rrn":{"900101-1234567":true}}) would pass in
  // the clear, so it fails the record, whatever unlisted_fields says. The
  // policy's detectors when it scans, else the built-in ones.
  // A name that is not a schema's name (a person's name, an address, a
  // date: LooksLikeSchemaName) may be data the detectors do not know, and
  // fails the record too; `apply_to: whole` treats the object as one value.
  Status RuledName(int32_t id, std::string_view key) override {
    const detect::Scanner* scanner = scanning_ ? &scanning_->scanner() : BuiltinScanner();
    const policy::Rule& rule = route_.rules[static_cast<size_t>(id)];
    if (!LooksLikeSchemaName(key)) {
      return Error(ErrorCode::kPiiInFieldName, "a member name inside the value of rule '" + rule.path.text +
                                                   "' is not a plain name and may be data; names are not masked, so "
                                                   "the record cannot pass (apply_to: whole treats the object as one "
                                                   "value)");
    }
    if (!scanner)
      return Error(ErrorCode::kDetectFailed, "rule '" + rule.path.text + "': no detector to check a member name with");
    auto pii = PiiInName(*scanner, key);
    if (!pii.ok()) return Error(pii.error().code, "rule '" + rule.path.text + "': member name: " + pii.error().message);
    if (pii->empty()) return Status::Ok();
    return Error(ErrorCode::kPiiInFieldName, "a member name inside the value of rule '" + rule.path.text +
                                                 "' looks like " + std::string(*pii) +
                                                 "; names are not masked, so the record cannot pass");
  }

  Status Rewrite(int32_t id, const codec::ScalarRef& value, std::string* out) override {
    const policy::Rule& rule = route_.rules[static_cast<size_t>(id)];
    // A scan rule reads its value under the rule's names, as an unlisted
    // value is read under its own ("customer.name: scan" is a name; found
    // by review: the rule protected less than no rule).
    transform::ActionContext scan_ctx;
    const transform::ActionContext* ctx = &ctx_;
    if (rule.action_name == "scan" && rule.target == policy::Target::kValue) {
      names_.clear();
      for (const codec::PathSegment& seg : rule.path.segments) {
        if (seg.kind != codec::PathSegment::Kind::kKey) continue;
        if (!names_.empty()) names_.push_back('.');
        names_.append(seg.key);
      }
      scan_ctx = ctx_;
      scan_ctx.field = names_;
      ctx = &scan_ctx;
    }
    Status s = rule.action->Apply(*ctx, value, out);
    return Applied(id, rule, s);
  }

  // A scalar inside a value of another shape than its rule's path expects
  // (on_shape_mismatch: protect). Where the route scans unlisted fields, it
  // is read under its own names, as the route would read it without the
  // rule, so the rule never protects less than the route alone (found by
  // review: read under the rule's names, a refund_account, a holder_name, a
  // jumin2, a mobile as a number passed a scan rule that the route alone
  // protects): a scan rule scans it so; a rule that leaves characters
  // readable (mask, generalize, fpe keeping characters) applies to what the
  // route's scan leaves of it, so the PII the detectors and the names find
  // is never shown by kept characters (found by review: a mask keeping 6 + 4
  // showed "199001**-***4568" where the route tokenizes the RRN). Elsewhere,
  // and for the rules that leave nothing or only the value's form readable,
  // as Rewrite.
  Status RewriteMismatch(int32_t id, const codec::ScalarRef& value, std::span<const codec::PathStep> path,
                         std::string* out) override {
    const policy::Rule& rule = route_.rules[static_cast<size_t>(id)];
    if (path.empty() || !scanning_ || route_.unlisted != policy::Unlisted::kScan) return Rewrite(id, value, out);
    const bool scan = rule.action_name == "scan";
    if (!scan && transform::MismatchStrength(rule.action_name, *rule.action) != 1) return Rewrite(id, value, out);
    JoinNames(path, &names_);
    transform::ActionContext ctx = ctx_;
    ctx.field = names_;
    Status s = Status::Ok();
    if (scan) {
      s = rule.action->Apply(ctx, value, out);
    } else {
      scanned_.clear();
      bool changed = false;
      s = transform::ScanScalar(*scanning_, ctx, value, &scanned_, &changed);
      if (s.ok() && !changed) {
        s = rule.action->Apply(ctx_, value, out);
      } else if (s.ok()) {
        auto text = ScalarText(scanned_);
        if (!text.ok()) {
          s = Error(ErrorCode::kInternal, "the route's scan did not give one JSON value");
        } else if (!*text) {
          out->append(scanned_);  // null: nothing left to show
        } else {
          scanned_raw_.clear();
          codec::AppendJsonString(**text, &scanned_raw_);
          const size_t at = out->size();
          s = rule.action->Apply(ctx_, codec::ScalarRef{codec::JsonType::kString, scanned_raw_, **text}, out);
          // An action that cannot take what the scan made of the value (fpe
          // on a token: a sixth review found {"tel":"010-…"} dead-lettered)
          // leaves the scan's output: the route's own protection.
          if (!s.ok()) {
            out->resize(at);
            out->append(scanned_);
            s = Status::Ok();
          }
        }
      }
    }
    return Applied(id, rule, s);
  }

  // After rule `id` rewrote a value: its error located, or the rule counted
  // as applied and its scan hits reported under its path.
  [[gnu::always_inline]] Status Applied(int32_t id, const policy::Rule& rule, const Status& s) {
    if (!s.ok())
      return Error(s.error().code, "rule '" + rule.path.text + "' (" + rule.action_name + "): " + s.error().message);
    if (applied_) applied_->push_back(id);
    if (!hits_.empty()) {
      for (std::string_view d : hits_) findings_->push_back({rule.path.text, d, false});
      hits_.clear();
    }
    return s;
  }

  void Removed(int32_t id) override {
    if (applied_) applied_->push_back(id);
  }

  // Member names pass as they are: one that looks like PII (a map keyed by
  // phone numbers) fails the record instead. Each name once, when the
  // scanner enters its member (not again for every leaf below it: names x
  // leaves made a 200 KB record take 17 s).
  Status VisitedName(std::span<const codec::PathStep> path) override {
    if (!scanning_ || route_.unlisted != policy::Unlisted::kScan) return Status::Ok();
    const std::string_view key = path.back().key;
    // The names above it are its context ({"accounts":{"110-123-456789":…}}).
    JoinNames(path.first(path.size() - 1), &names_);
    auto pii = PiiInName(scanning_->scanner(), key, names_);
    if (!pii.ok()) return Error(pii.error().code, "member name: " + pii.error().message);
    if (pii->empty()) *pii = PersonalName(names_, key);
    if (pii->empty()) return Status::Ok();
    return Error(ErrorCode::kPiiInFieldName, "the member name at " + PathLabel(path) + " looks like " +
                                                 std::string(*pii) + "; add a rule for its parent");
  }

  Status RewriteUnlisted(const codec::ScalarRef& value, std::span<const codec::PathStep> path, std::string* out,
                         bool* changed) override {
    *changed = false;
    if (!scanning_ || route_.unlisted != policy::Unlisted::kScan) return Status::Ok();
    // The field's names are the value's context ("refund_account",
    // "driver.license_no"): an account or passport there needs no word in it.
    JoinNames(path, &names_);
    // A name/value pair ({"name":"refund_account","value":"110-…"}, "label",
    // "key", "k"/"v"): the value is read under the name its sibling gives
    // it, when that sibling came first (a review found such forms passing
    // accounts, names and passports their own fields would mask).
    // (The path is empty for a top-level value that is not an object.)
    const bool element = !path.empty() && path.back().index >= 0;
    const std::string_view key = path.empty() || element ? std::string_view() : path.back().key;
    if (IsPairLabel(key) && value.type == codec::JsonType::kString && value.text.size() <= 64) {
      ParentKey(path, &pair_parent_);
      pair_label_.clear();
      // (A label naming another kind of number says nothing of the value:
      // "무통장입금 주문번호" is an order's, a sixth review.)
      if (!NamesAnotherNumber(value.text)) AppendReadName(value.text, &pair_label_);
    } else if (IsBankMember(key) &&
               (value.type == codec::JsonType::kString || value.type == codec::JsonType::kNumber) &&
               value.text.size() <= 64) {
      // A bank named beside a number ({"bank":"신한은행","number":"110-…"}):
      // the object is an account, whatever its number's own name says (found
      // by review: such an account passed where "account_no" is protected).
      ParentKey(path, &pair_parent_);
      pair_label_.assign("account");
    } else if (!pair_label_.empty() && (IsPairValue(key) || IsNumberMember(key))) {
      ParentKey(path, &scratch_parent_);
      if (scratch_parent_ == pair_parent_) names_.append(".").append(pair_label_);
    }
    transform::ActionContext ctx = ctx_;
    ctx.field = names_;
    // A list's elements, in order: the first, or one after an element this
    // scan protected, may be a part of one number (ScanScalar's NumberPart).
    if (element) {
      ParentKey(path, &scratch_parent_);
      if (path.back().index == 0) {
        ctx.array_element = transform::ArrayElement::kFirst;
      } else {
        ctx.array_element = scratch_parent_ == array_parent_ && array_prev_part_ ? transform::ArrayElement::kAfterPart
                                                                                 : transform::ArrayElement::kAfterOther;
      }
    }
    Status s = transform::ScanScalar(*scanning_, ctx, value, out, changed);
    if (!s.ok()) return Error(s.error().code, "unlisted field: " + s.error().message);
    if (element) {
      array_parent_.swap(scratch_parent_);
      array_prev_part_ = *changed;
    }
    if (!hits_.empty()) {
      const std::string field = PathLabel(path);
      for (std::string_view d : hits_) findings_->push_back({field, d, true});
      hits_.clear();
    }
    return Status::Ok();
  }

 private:
  // The member names of `path` joined by '.' (indexes left out): the context
  // the detectors read a value or name under.
  static bool IsPairLabel(std::string_view key) {
    static constexpr std::string_view kLabels[] = {"name", "key",        "label",     "field", "k",     "attribute",
                                                   "attr", "field_name", "fieldName", "항목",  "항목명"};
    if (key.empty() || key.size() > 10) return false;
    for (std::string_view k : kLabels)
      if (key == k) return true;
    return false;
  }
  // A label naming an order's or a ticket's number, and no PII's ("무통장입금
  // 주문번호"; not "주문자 주민번호 뒷자리", "거래은행 계좌번호": a seventh
  // review).
  static bool NamesAnotherNumber(std::string_view label) {
    const std::string lower = AsciiLower(label);
    for (std::string_view w :
         {"주민",   "외국인", "계좌",   "여권", "면허", "휴대폰", "핸드폰", "전화",    "연락처", "카드",
          "이메일", "주소",   "성명",   "이름", "rrn",  "jumin",  "ssn",    "account", "acct",   "passport",
          "licen",  "phone",  "mobile", "tel",  "card", "email",  "name",   "address"})
      if (lower.find(w) != std::string::npos) return false;
    for (std::string_view w : {"주문", "송장", "거래", "승인", "예약", "접수", "문의", "티켓", "order", "invoice",
                               "tracking", "ticket", "transaction", "approval", "booking"})
      if (lower.find(w) != std::string::npos) return true;
    return false;
  }
  static bool IsPairValue(std::string_view key) {
    static constexpr std::string_view kValues[] = {"value", "v", "val", "text", "content", "data", "값", "내용"};
    if (key.empty() || key.size() > 7) return false;
    for (std::string_view k : kValues)
      if (key == k) return true;
    return false;
  }
  // A member naming an account's bank: "bank", "bank_name", "bankCode",
  // "bank_cd", "은행", "입금은행", "은행명", "은행코드" (not "bank_account":
  // that is the account's own name, read as such).
  static bool IsBankMember(std::string_view key) {
    if (key.empty() || key.size() > 24) return false;
    // First look, without a copy (every unlisted value asks): "nk" in any
    // case, 은행 or 금융.
    bool may = false;
    for (size_t i = 0; i + 1 < key.size() && !may; ++i)
      may = ((key[i] | 0x20) == 'n' && (key[i + 1] | 0x20) == 'k') ||
            (key[i] == '\xEC' && key.substr(i).starts_with("은행")) ||
            (key[i] == '\xEA' && key.substr(i).starts_with("금융"));
    if (!may) return false;
    const std::string lower = AsciiLower(key);
    for (std::string_view k :
         {"bank", "bank_name", "bankname", "bank_nm", "banknm", "bank_code", "bankcode", "bank_cd", "bankcd", "bnk_cd",
          "bnk_nm", "bank_id", "bankid", "은행", "은행명", "은행코드", "은행이름", "금융기관", "금융기관명"})
      if (lower == k) return true;
    // "refund_bank", "refundBank", "payout_bank": a bank with what it is for
    // (a later review).
    if (lower.size() > 5 && lower.ends_with("bank") && (lower[lower.size() - 5] == '_' || key[key.size() - 4] == 'B'))
      return true;
    // "입금은행", "환불은행", "거래은행", "출금은행명": a bank with what it is for.
    for (std::string_view tail : {"은행", "은행명", "은행코드"})
      if (lower.size() > tail.size() && lower.ends_with(tail)) return true;
    return false;
  }
  // A member holding the number of what its siblings describe.
  static bool IsNumberMember(std::string_view key) {
    if (key.empty() || key.size() > 6) return false;
    const std::string lower = AsciiLower(key);  // "Number", "NO" (a later review)
    static constexpr std::string_view kNumbers[] = {"number", "no", "num", "nr", "번호"};
    for (std::string_view k : kNumbers)
      if (lower == k) return true;
    return false;
  }
  // A name with its ASCII letters in lower case (the pair and bank checks).
  static std::string AsciiLower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    return out;
  }
  // The object a member is in: its parent's keys and indexes.
  static void ParentKey(std::span<const codec::PathStep> path, std::string* out) {
    out->clear();
    for (const codec::PathStep& step : path.first(path.size() - 1)) {
      if (step.index >= 0)
        out->append("[").append(std::to_string(step.index)).append("]");
      else
        out->append(".").append(step.key);
    }
  }

  static void JoinNames(std::span<const codec::PathStep> path, std::string* out) {
    out->clear();
    for (const codec::PathStep& step : path) {
      if (step.index >= 0) continue;
      if (!out->empty()) out->push_back('.');
      AppendReadName(step.key, out);
    }
  }

  // A location as a finding label or in a message (AppendSegment).
  std::string PathLabel(std::span<const codec::PathStep> path) const {
    std::string label;
    for (const codec::PathStep& step : path) {
      if (step.index >= 0)
        label.append("[*]");
      else
        AppendSegment(*scanning_, step.key, label.empty(), &label);
    }
    return label;
  }

  const policy::Route& route_;
  const transform::Scanning* scanning_;
  std::vector<Finding>* findings_;
  std::vector<int32_t>* applied_;
  std::vector<std::string_view> hits_;
  std::string pair_parent_, pair_label_, scratch_parent_;  // a name/value pair's name (RewriteUnlisted)
  std::string array_parent_;                               // the list of the last element scanned ...
  bool array_prev_part_ = false;                           // ... and whether the scan protected it
  std::string names_;                                      // the path's names of the unlisted value being scanned
  std::string scanned_;                                    // RewriteMismatch: the route's scan of a value, as JSON
  std::string scanned_raw_;                                // ... and its text as a JSON string
  transform::ActionContext ctx_;
};

// Reads one JSON scalar (an action's output) back into bytes: a string's
// unescaped text, or a literal's text. Reuses the strict scanner.
class ScalarCapture final : public codec::ValueRewriter {
 public:
  Status Rewrite(int32_t, const codec::ScalarRef& value, std::string* out) override {
    type = value.type;
    text.assign(value.text);
    out->append(value.raw);
    return Status::Ok();
  }
  codec::JsonType type = codec::JsonType::kNull;
  std::string text;
};

const codec::PathSet& CapturePath() {
  static const codec::PathSet set = [] {
    codec::PathSet s;
    auto p = codec::FieldPath::Parse("v");
    if (p.ok()) (void)s.Add(*p, 0, false);
    return s;
  }();
  return set;
}

}  // namespace

Status Engine::MaskPart(const policy::Rule& rule, std::string_view topic, std::string_view bytes, std::string* out,
                        bool* removed, std::vector<metrics::Counter*>* unprotectable, std::string_view field) const {
  const char* what = rule.target == policy::Target::kKey ? "record key" : "header";
  *removed = false;
  out->clear();
  if (bytes.size() > limits_.max_record_bytes)
    return Error(ErrorCode::kTooLarge, std::string(what) + " exceeds max_record_bytes");
  if (!codec::IsValidUtf8(bytes))
    return Error(ErrorCode::kInvalidUtf8, "rule '" + rule.path.text + "': " + what + " is not valid UTF-8");
  if (rule.action->RemovesMember()) {
    *removed = true;
    return Status::Ok();
  }
  std::string raw;
  codec::AppendJsonString(bytes, &raw);
  codec::ScalarRef ref{codec::JsonType::kString, raw, bytes};
  transform::ActionContext ctx{topic};
  ctx.unprotectable = unprotectable;
  ctx.field = field;
  std::string json;
  if (Status s = rule.action->Apply(ctx, ref, &json); !s.ok())
    return Error(s.error().code, "rule '" + rule.path.text + "' (" + rule.action_name + "): " + s.error().message);
  auto text = ScalarText(json);
  if (!text.ok())
    return Error(ErrorCode::kInternal, "rule '" + rule.path.text + "': action output is not one JSON value");
  if (!*text) {
    *removed = true;
    return Status::Ok();
  }
  *out = std::move(**text);
  return Status::Ok();
}

Status Engine::ScanUnlisted(const RouteRef& ref, std::string_view topic, std::string_view field, std::string_view text,
                            std::string* out, bool* changed, std::vector<Finding>* findings) const {
  *changed = false;
  const transform::Scanning* scanning = ref.policy->scanning();
  if (!scanning || ref.route->unlisted != policy::Unlisted::kScan) return Status::Ok();
  if (text.size() > limits_.max_record_bytes) return Error(ErrorCode::kTooLarge, "value exceeds max_record_bytes");
  std::vector<std::string_view> hits;
  transform::ActionContext ctx{topic, &hits};
  thread_local std::string read_name;
  read_name.clear();
  AppendReadName(field, &read_name);
  ctx.field = read_name;  // the column's name: context for the detectors
  // A cell that is a number ("9.001011234567e12") is one to a spreadsheet.
  if (Status s = transform::ProtectText(*scanning, ctx, text, out, changed); !s.ok())
    return Error(s.error().code, "unlisted field: " + s.error().message);
  if (findings) {
    // (A column's name is the file's: "$홍길동" is <name> like any other.)
    std::string label;
    if (!hits.empty()) AppendSegment(*scanning, field, true, &label);
    for (std::string_view d : hits) findings->push_back({label, d, true});
  }
  return Status::Ok();
}

std::string_view PersonalName(std::string_view context, std::string_view name) {
  if (context.empty() || LooksLikeSchemaName(name)) return {};
  const std::string_view what = transform::PersonalField(context, name);
  if (what == "person_name") {
    // A schema's Korean sub-keys ("국문명", "표시명", "변경후": a sixth review).
    for (std::string_view end : {"명", "후", "전", "코드", "구분", "번호", "여부", "유형", "정보", "일자", "일시"})
      if (name.ends_with(end)) return {};
    return detect::internal::IsKoreanName(name) ? what : std::string_view();
  }
  if (what != "address") return {};
  // Two words of a Korean address: districts, towns or roads (강남구 역삼동,
  // 역삼동 테헤란로), not a schema's words for them ("시군구 코드", "행정동
  // 명": a sixth review).
  size_t places = 0;
  for (size_t b = 0; b < name.size();) {
    size_t e = name.find(' ', b);
    if (e == std::string_view::npos) e = name.size();
    const std::string_view word = name.substr(b, e - b);
    bool place = false;
    if (word.size() >= 6 && word != "시군구" && word != "읍면동" && word != "행정동" && word != "법정동" &&
        word != "도로명" && word != "시도")
      for (std::string_view end : {"구", "군", "시", "동", "읍", "면", "로", "길"})
        place = place || word.ends_with(end);
    places += place ? 1 : 0;
    b = e + 1;
  }
  return places >= 2 ? what : std::string_view();
}

bool LooksLikeSchemaName(std::string_view name) {
  constexpr size_t kMaxName = 128;
  if (name.empty() || name.size() > kMaxName) return false;
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(name[0]) && name[0] != '_' && name[0] != '$' && name[0] != '@') return false;
  size_t digits = 0;
  for (char c : name) {
    const bool digit = c >= '0' && c <= '9';
    digits += digit ? 1 : 0;
    if (!letter(c) && !digit && c != '_' && c != '-' && c != '$' && c != '@' && c != '.' && c != ':') return false;
  }
  // An '@' after the first character reads as an address ("jane.doe@corp":
  // found by review in metric labels), not as JSON-LD's "@type".
  return digits < 6 && name.find('@', 1) == std::string_view::npos;
}

Result<std::optional<std::string>> ScalarText(std::string_view json) {
  std::string_view t = json;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t' || t.front() == '\n' || t.front() == '\r'))
    t.remove_prefix(1);
  if (!t.empty() && (t.front() == '{' || t.front() == '[')) return Error(ErrorCode::kNotScalar, "an object or array");
  // Fast path: a string literal without escapes (what most actions produce).
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') {
    std::string_view inner = t.substr(1, t.size() - 2);
    bool plain = true;
    for (char ch : inner) {
      auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\' || c < 0x20) {
        plain = false;
        break;
      }
    }
    if (plain && codec::IsValidUtf8(inner)) return std::optional<std::string>(std::string(inner));
  }
  std::string doc = "{\"v\":";
  doc.append(json);
  doc.push_back('}');
  ScalarCapture cap;
  std::string scratch;
  auto st = codec::RewriteJson(doc, CapturePath(), codec::JsonLimits{}, cap, &scratch);
  if (!st.ok()) return Error(ErrorCode::kInvalidJson, "not one JSON value");
  if (cap.type == codec::JsonType::kNull) return std::optional<std::string>();
  return std::optional<std::string>(std::move(cap.text));
}

Result<std::shared_ptr<const Engine>> Engine::Create(std::vector<std::shared_ptr<const policy::Policy>> policies,
                                                     Limits limits) {
  // Fail closed: without Unicode folding, names that only look different
  // from a protected one would not be recognised.
  if (!unicode::FoldingAvailable())
    return Error(ErrorCode::kInternal, "Unicode name folding (ICU NFKC_Casefold) is not available in this process");
  std::shared_ptr<Engine> e(new Engine());
  e->limits_ = limits;
  e->policies_ = std::move(policies);
  std::set<std::string> outputs;
  for (const auto& p : e->policies_) {
    for (const auto& r : p->routes()) {
      if (e->by_topic_.count(r.from))
        return Error(ErrorCode::kPolicyConflict, "source topic '" + r.from + "' is routed by two policies (" +
                                                     e->routes_[e->by_topic_[r.from]].policy->origin() + " and " +
                                                     p->origin() + ")");
      e->by_topic_.emplace(r.from, e->routes_.size());
      e->routes_.push_back({p.get(), &r, p->Label()});
      outputs.insert(r.to);
      outputs.insert(r.dead_letter);
    }
  }
  if (e->routes_.empty()) return Error(ErrorCode::kPolicyInvalid, "no routes: configure at least one policy");
  for (size_t i = 0; i < e->routes_.size(); ++i) {
    const policy::Route& r = *e->routes_[i].route;
    if (!r.from_is_pattern()) {
      if (outputs.count(r.from))
        return Error(ErrorCode::kPolicyConflict,
                     "topic '" + r.from + "' is both a source and an output of the policies");
      continue;
    }
    // As the policy compiled it (a route made otherwise is compiled here).
    std::shared_ptr<const RE2> re = r.from_re;
    if (!re) {
      RE2::Options o;
      o.set_log_errors(false);
      re = std::make_shared<const RE2>(r.from, o);
    }
    if (!re->ok()) return Error(ErrorCode::kPolicyInvalid, "route '" + r.name + "': invalid 'from' pattern");
    // Only the outputs in the pattern's possible range are tried.
    if (auto matched = policy::MatchingTopics(r, outputs); !matched.empty())
      return Error(ErrorCode::kPolicyConflict, "output topic '" + matched.front() + "' matches the source pattern '" +
                                                   r.from + "' of route '" + r.name + "': records would be read again");
    e->patterns_.emplace_back(std::move(re), i);
  }
  // Raw dead letters must never land in a masked destination.
  std::map<std::string, const policy::Route*> dests;
  for (const auto& r : e->routes_) dests.emplace(r.route->to, r.route);
  for (const auto& r : e->routes_)
    if (auto it = dests.find(r.route->dead_letter); it != dests.end())
      return Error(ErrorCode::kPolicyConflict, "dead-letter topic '" + r.route->dead_letter + "' of route '" +
                                                   r.route->name + "' is the masked destination of route '" +
                                                   it->second->name + "'");
  return std::shared_ptr<const Engine>(std::move(e));
}

const RouteRef* Engine::FindRoute(std::string_view topic) const {
  auto it = by_topic_.find(topic);
  if (it != by_topic_.end() && !routes_[it->second].route->from_is_pattern()) return &routes_[it->second];
  for (const auto& [re, idx] : patterns_)
    if (RE2::FullMatch(topic, *re)) return &routes_[idx];
  return nullptr;
}

const RouteRef* Engine::RouteFor(const policy::Route* route) const {
  for (const auto& r : routes_)
    if (r.route == route) return &r;
  return nullptr;
}

std::vector<std::string> Engine::SourceTopics() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) out.push_back(policy::SubscriptionPattern(*r.route));
  return out;
}

Status Engine::MaskValue(const RouteRef& ref, std::string_view topic, std::string_view value, std::string* out,
                         std::vector<Finding>* findings, std::vector<int32_t>* applied,
                         std::vector<metrics::Counter*>* unprotectable) const {
  if (value.size() > limits_.max_record_bytes)
    return Error(ErrorCode::kTooLarge, "value of " + std::to_string(value.size()) + " bytes exceeds max_record_bytes " +
                                           std::to_string(limits_.max_record_bytes));
  const size_t findings_before = findings ? findings->size() : 0;
  const size_t applied_before = applied ? applied->size() : 0;
  const size_t unprotectable_before = unprotectable ? unprotectable->size() : 0;
  RuleRewriter rw(ref, topic, findings, applied, unprotectable);
  codec::JsonLimits jl{limits_.max_depth};
  auto stats = codec::RewriteJson(value, ref.route->paths, jl, rw, out);
  if (!stats.ok() || stats->root_type != codec::JsonType::kObject) {
    if (findings) findings->resize(findings_before);  // nothing was produced
    if (applied) applied->resize(applied_before);
    if (unprotectable) unprotectable->resize(unprotectable_before);
    if (!stats.ok()) return stats.error();
    out->clear();
    return Error(ErrorCode::kNotObject, "record value is JSON but not an object");
  }
  return Status::Ok();
}

}  // namespace maskproxy::engine
