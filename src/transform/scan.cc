#include "transform/scan.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <set>
#include <span>

#include "codec/json.h"
#include "common/number.h"
#include "common/text.h"
#include "common/unicode.h"
#include "detect/korean_text.h"
#include "detect/normalize.h"

namespace maskproxy::transform {

std::string ScanFieldPath(std::string_view detector) {
  return "$scan." + std::string(detector);
}

Result<std::shared_ptr<const Scanning>> Scanning::Create(std::unique_ptr<const detect::Scanner> scanner,
                                                         std::vector<DetectorAction> actions) {
  if (!scanner) return Error(ErrorCode::kInvalidOption, "no scanner");
  std::shared_ptr<Scanning> s(new Scanning());
  const auto& names = scanner->detector_names();
  s->actions_.resize(names.size());
  std::vector<bool> set(names.size(), false);
  for (auto& a : actions) {
    size_t i = 0;
    while (i < names.size() && names[i] != a.detector) ++i;
    if (i == names.size()) return Error(ErrorCode::kInvalidOption, "unknown detector" + text::Shown(a.detector));
    if (set[i]) return Error(ErrorCode::kInvalidOption, "detector" + text::Shown(a.detector) + " has two actions");
    if (a.action && a.action->RemovesMember())
      return Error(ErrorCode::kInvalidOption, "detector" + text::Shown(a.detector) + ": action " + a.action_name +
                                                  " would remove the whole value; use mode: constant");
    set[i] = true;
    s->actions_[i] = std::move(a);
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (!set[i]) return Error(ErrorCode::kInvalidOption, "detector" + text::Shown(names[i]) + " has no action");
  std::set<std::string, std::less<>> builtins;
  for (const auto& spec : detect::Scanner::Defaults()) builtins.insert(spec.name);
  s->kept_.assign(names.size(), 0);
  s->builtin_.assign(names.size(), 0);
  bool any_kept = false;
  for (size_t i = 0; i < names.size(); ++i) {
    s->kept_[i] = s->actions_[i].action ? 0 : 1;
    any_kept = any_kept || s->kept_[i] != 0;
    s->builtin_[i] = builtins.count(names[i]) != 0 ? 1 : 0;
  }
  if (!any_kept) s->kept_.clear();
  s->scanner_ = std::move(scanner);
  return std::shared_ptr<const Scanning>(std::move(s));
}

const Scanning::DetectorAction* Scanning::Find(std::string_view detector) const {
  for (const auto& a : actions_)
    if (a.detector == detector) return &a;
  return nullptr;
}

size_t Scanning::Rank(std::string_view detector) const {
  const DetectorAction* da = Find(detector);
  return da ? static_cast<size_t>(da - actions_.data()) : actions_.size();
}

namespace {

// Whether t[from, to) holds only what separates digit groups (blanks and
// ASCII punctuation): nothing of a value lies between two hits there.
bool OnlySeparators(std::string_view t, size_t from, size_t to) {
  for (size_t i = from; i < to && i < t.size(); ++i) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return false;
  }
  return true;
}

}  // namespace

void Scanning::Conflicts(std::string_view text, const std::vector<detect::Span>& hits,
                         const std::vector<detect::Span>& lost, std::vector<detect::Span>* out) const {
  out->clear();
  size_t w = 0;
  for (const detect::Span& l : lost) {  // sorted by begin; the hits' ends are sorted too
    while (w < hits.size() && hits[w].end <= l.begin) ++w;
    size_t k = w;
    while (k < hits.size() && hits[k].begin < l.end) ++k;
    const size_t rank = Rank(l.detector);
    // Covered: every byte of the candidate is in one of the hits it
    // overlaps, or a separator between two of them.
    bool covered = k > w && hits[w].begin <= l.begin && l.end <= hits[k - 1].end;
    bool own = true;     // the hits are all of the candidate's detector
    bool shows = false;  // some hit's action shows part of its input
    for (size_t j = w; j < k; ++j) {
      if (j > w) covered = covered && OnlySeparators(text, hits[j - 1].end, hits[j].begin);
      own = own && hits[j].detector == l.detector;
      const DetectorAction* da = Find(hits[j].detector);
      shows = shows || !da || !da->action || da->action->ShowsInput();
    }
    if (covered && !shows) continue;  // nothing of it is shown
    if (k == w + 1 && covered) {
      // Inside one hit of its own detector (a number inside a longer one:
      // the hit is that value), or of a built-in listed before it (a card's
      // digits near 계좌 are the card's).
      if (own) continue;
      const size_t hit_rank = Rank(hits[w].detector);
      if (hit_rank < builtin_.size() && builtin_[hit_rank] != 0 && rank > hit_rank) continue;
    }
    // Otherwise it is shown in part: across two hits that show part of
    // their input, a reading of the text the hits do not take (two cards
    // side by side and a third, Luhn-valid by chance, across them; or a
    // card between two such runs) would be shown. One placeholder.
    detect::Span c{l.begin, l.end, l.detector, l.confidence};
    for (size_t j = w; j < k; ++j) {
      c.begin = std::min(c.begin, hits[j].begin);
      c.end = std::max(c.end, hits[j].end);
      if (Rank(hits[j].detector) < Rank(c.detector)) c.detector = hits[j].detector;
    }
    out->push_back(c);
  }
  if (out->empty()) return;
  std::sort(out->begin(), out->end(), [](const detect::Span& a, const detect::Span& b) { return a.begin < b.begin; });
  size_t n = 0;
  for (size_t i = 0; i < out->size(); ++i) {
    const detect::Span& c = (*out)[i];
    if (n > 0 && c.begin < (*out)[n - 1].end) {
      detect::Span& m = (*out)[n - 1];
      m.end = std::max(m.end, c.end);
      if (Rank(c.detector) < Rank(m.detector)) m.detector = c.detector;
      continue;
    }
    (*out)[n++] = c;
  }
  out->resize(n);
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
    return Error(st.error().code,
                 "detector" + text::Shown(da.detector) + " (" + da.action_name + "): " + st.error().message);
  if (json.size() < 2 || json.front() != '"' || !codec::DecodeJsonString(json, &plain))
    return Error(ErrorCode::kScanFailed,
                 "detector" + text::Shown(da.detector) + " (" + da.action_name + ") did not give text");
  out->append(plain);
  return Status::Ok();
}

Status Scanning::ProtectWhole(const ActionContext& ctx, std::string_view detector, std::string_view value,
                              std::string* out) const {
  out->clear();
  if (ctx.scan_hits) ctx.scan_hits->push_back(detector);
  const DetectorAction* da = Find(detector);
  if (da && da->action) {
    if (Replace(*da, ctx, value, out).ok()) return Status::Ok();
    // The action cannot take this value (a generalize of an address on
    // "N/A" or "Same as billing": a second review): the field's names still
    // say what it is, so the placeholder hides it.
    out->clear();
  }
  out->append("[").append(detector).append("]");
  return Status::Ok();
}

Status Scanning::Protect(const ActionContext& ctx, std::string_view text, std::string* out, bool* found) const {
  *found = false;
  thread_local std::vector<detect::Span> spans, conflicts;
  thread_local detect::Beside beside;
  beside.set_aside = kept_;  // keep's candidates take no part in the overlaps
  if (Status st = scanner_->Scan(text, &spans, &beside, ctx.field); !st.ok()) return st;
  if (ctx.scan_hits)
    for (const detect::Span& a : beside.aside) ctx.scan_hits->push_back(a.detector);
  if (spans.empty()) return Status::Ok();  // nothing, or only kept hits: the text as it is
  Conflicts(text, spans, beside.lost, &conflicts);
  std::string result;
  result.reserve(text.size() + 32 * spans.size());
  size_t pos = 0;
  size_t c = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    const detect::Span& sp = spans[i];
    if (c < conflicts.size() && conflicts[c].begin <= sp.begin) {
      // Candidates of several detectors where one would show part of
      // another's: the whole stretch is the first-listed one's placeholder.
      const detect::Span& cf = conflicts[c++];
      result.append(text.substr(pos, cf.begin - pos));
      result.append("[").append(cf.detector).append("]");
      if (ctx.scan_hits) ctx.scan_hits->push_back(cf.detector);
      for (; i < spans.size() && spans[i].begin < cf.end; ++i)
        if (ctx.scan_hits && spans[i].detector != cf.detector) ctx.scan_hits->push_back(spans[i].detector);
      --i;
      pos = cf.end;
      continue;
    }
    result.append(text.substr(pos, sp.begin - pos));
    pos = sp.end;
    if (ctx.scan_hits) ctx.scan_hits->push_back(sp.detector);
    const DetectorAction* da = Find(sp.detector);
    if (!da || !da->action) return Error(ErrorCode::kScanFailed, "a detector without an action");
    if (Status st = Replace(*da, ctx, text.substr(sp.begin, sp.end - sp.begin), &result); !st.ok()) return st;
  }
  if (c < conflicts.size()) {  // a conflict past every hit: never (each holds one)
    return Error(ErrorCode::kScanFailed, "overlapping candidates past the hits");
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

// A number's exact value, its significant digits and its whole part. The
// significant digits only of a number written with an exponent
// ("9.001011234567e-5"): those of a plain fraction are a fraction's
// (0.5712043914117922, 35.34329721216804: scores and coordinates read as
// cards, one in twenty, found by review).
void AddDigitForms(std::string_view number, std::string_view shown, std::vector<std::string>* out) {
  number::DigitForms forms = number::ReadableDigits(shown);
  const std::string plain = forms.plain;
  AddForm(number, std::move(forms.plain), out);
  if (number.find_first_of("eE") != std::string_view::npos) AddForm(number, std::move(forms.significand), out);
  // And its whole part alone: 9001011234568.1 holds an RRN before the point
  // (in text, ".1" after a number glues it into a longer dotted one).
  if (const size_t point = plain.find('.'); point != std::string::npos && point > 0) {
    std::string whole = plain.substr(0, point);
    if (whole != "0" && whole != "-0") AddForm(number, std::move(whole), out);
  }
}

// The words of a member name: runs of ASCII letters split where a capital
// follows a small letter ("userTel": user, tel), lowercased; digits and other
// characters separate them. Non-ASCII runs are words of their own.
void NameWords(std::string_view name, std::vector<std::string>* words) {
  words->clear();
  std::string cur;
  const auto flush = [&] {
    if (!cur.empty()) words->push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool upper = c >= 'A' && c <= 'Z';
    const bool lower = c >= 'a' && c <= 'z';
    if (static_cast<unsigned char>(c) >= 0x80) {
      if (!cur.empty() && static_cast<unsigned char>(cur.back()) < 0x80) flush();
      cur.push_back(c);
    } else if (upper || lower) {
      if (!cur.empty() && (static_cast<unsigned char>(cur.back()) >= 0x80 ||
                           (upper && i > 0 && name[i - 1] >= 'a' && name[i - 1] <= 'z')))
        flush();
      cur.push_back(upper ? static_cast<char>(c + 32) : c);
    } else {
      flush();
    }
  }
  flush();
}

// ---- What a field's names say its value is ----

// Whether `w` is one of `set`, or one of them with a plural 's'
// ("recipients": recipient).
bool WordIn(std::string_view w, std::span<const std::string_view> set) {
  for (std::string_view p : set)
    if (w == p || (w.size() == p.size() + 1 && w.back() == 's' && w.starts_with(p))) return true;
  return false;
}

// A word list sorted at compile time, for InSorted's binary search (the
// long lists: each unlisted value's name is looked up in them).
template <size_t N>
constexpr std::array<std::string_view, N> SortedWords(const std::string_view (&words)[N]) {
  std::array<std::string_view, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = words[i];
  std::sort(out.begin(), out.end());
  return out;
}

// WordIn over a SortedWords list.
bool InSorted(std::string_view w, std::span<const std::string_view> sorted) {
  if (std::binary_search(sorted.begin(), sorted.end(), w)) return true;
  return w.size() > 1 && w.back() == 's' && std::binary_search(sorted.begin(), sorted.end(), w.substr(0, w.size() - 1));
}

// Whether a non-ASCII word holds one of `terms`.
bool Holds(std::string_view w, std::span<const std::string_view> terms) {
  for (std::string_view t : terms)
    if (w.find(t) != std::string_view::npos) return true;
  return false;
}

// Whether a non-ASCII word ends with one of `terms`.
bool EndsWithOne(std::string_view w, std::span<const std::string_view> terms) {
  for (std::string_view t : terms)
    if (w.ends_with(t)) return true;
  return false;
}

bool IsKorean(std::string_view w) {
  return !w.empty() && static_cast<unsigned char>(w[0]) >= 0x80;
}

// Words after which a number is a quantity, a reference or a code, not the
// phone or resident number the field's other words name
// ("mobile_payment_amount", "phone_plan_code", "residentTaxAmount",
// "jumin_auth_no", "rrn_ref"), and Korean text that says so (금액, 세).
constexpr std::string_view kNotTheNumberWords[] = {
    "amount", "amt",   "price",  "fee",    "tax",   "total",      "sum",       "balance", "cost",   "charge",
    "bill",   "order", "ref",    "auth",   "code",  "cd",         "hash",      "seq",     "cnt",    "count",
    "key",    "type",  "status", "yn",     "flag",  "plan",       "card",      "version", "ver",    "limit",
    "rate",   "score", "level",  "grade",  "point", "qty",        "otp",       "pin",     "digest", "token",
    "idx",    "index", "id",     "at",     "time",  "ts",         "timestamp", "date",    "epoch",  "ms",
    "dt",     "tm",    "len",    "length", "size",  "population", "pop",       "account", "acct"};
constexpr auto kNotTheNumberSorted = SortedWords(kNotTheNumberWords);
constexpr std::string_view kNotTheNumberKorean[] = {"금액", "세", "요금", "코드", "인증", "건수", "일시", "일자"};

// Whether a name's words say phone: phone, mobile, cellphone, cell, tel,
// telephone, hp, msisdn and the Korean public-data terms (telno, mbtlnum,
// mbl, hpno), or Korean text holding 휴대폰, 전화, 연락처, 핸드폰, 폰번호.
bool PhoneWords(std::span<const std::string> words) {
  constexpr std::string_view kAscii[] = {"phone",  "mobile", "cellphone",   "cell",    "tel",  "telephone", "hp",
                                         "msisdn", "telno",  "mbtlnum",     "mbl",     "hpno", "mobileno",  "phoneno",
                                         "cellno", "telnum", "phonenumber", "contact", "fax",  "faxno"};
  constexpr std::string_view kKorean[] = {"휴대폰", "전화", "연락처", "핸드폰", "폰번호", "팩스"};
  for (const std::string& w : words)
    if (IsKorean(w) ? Holds(w, kKorean) : WordIn(w, kAscii)) return true;
  return false;
}

// Whether a name's last word (before no, num or number) says a landline's
// or a fax's number: tel, telephone, phone, fax, 전화, 팩스 ("home_phone",
// "faxNo", "전화번호"); not "phone_sales", "mbtlnum_chg_de", "휴대폰변경일"
// (a second review: amounts and dates under such names took landline
// tokens), nor mobile or contact (an amount under
// {"sales_by_channel":{"mobile":…}} or {"stats":{"contact":…}}: a third).
bool LandlineWordLast(std::span<const std::string> words) {
  constexpr std::string_view kNumber[] = {"no", "num", "number", "nr"};
  constexpr std::string_view kLandline[] = {"tel",     "telephone",   "telno", "telnum", "phone",
                                            "phoneno", "phonenumber", "fax",   "faxno"};
  constexpr std::string_view kKorean[] = {"전화", "전화번호", "팩스", "팩스번호"};
  size_t n = words.size();
  while (n > 1 && WordIn(words[n - 1], kNumber)) --n;
  if (n == 0) return false;
  const std::string& w = words[n - 1];
  return IsKorean(w) ? EndsWithOne(w, kKorean) : WordIn(w, kLandline);
}

// Whether any name on a field's path says it holds amounts or counts
// ({"channel_amounts":{"tel":…}}, {"sales":{"phone":…}}: a third review).
bool PathSaysAmounts(std::string_view names) {
  thread_local std::vector<std::string> words;
  NameWords(names, &words);
  constexpr std::string_view kAmounts[] = {"amount", "amounts", "amt",   "sales", "revenue", "count", "counts",
                                           "cnt",    "stats",   "total", "sum",   "price",   "fee",   "fees"};
  for (const std::string& w : words)
    if (WordIn(w, kAmounts) || (IsKorean(w) && (Holds(w, std::array<std::string_view, 3>{"매출", "금액", "건수"}))))
      return true;
  return false;
}

// Whether a name's words say resident (or alien) registration number: rrn,
// jumin, frn, ssn, resident, the Korean public-data terms (ihidnum, rrno,
// jmno, rsdnt), res + reg ("resRegNo"), or Korean text holding 주민 or
// 외국인등록.
bool RrnWords(std::span<const std::string> words) {
  constexpr std::string_view kAscii[] = {"rrn", "rrno", "jumin", "jmno", "frn", "ssn", "resident", "ihidnum", "rsdnt"};
  constexpr std::string_view kKorean[] = {"주민", "외국인등록", "실명번호"};
  bool res = false, reg = false;
  for (const std::string& w : words) {
    if (IsKorean(w) ? Holds(w, kKorean) : WordIn(w, kAscii)) return true;
    // jumin glued to what follows it (juminno, juminbunho: a review).
    if (!IsKorean(w) && w.starts_with("jumin")) return true;
    res = res || w == "res";
    reg = reg || w == "reg";
  }
  return res && reg;
}

// Whether a field's names (ActionContext::field, joined by '.') say it holds
// what `says` names: its own name's words ("mobile", "userTel", "MBL_TELNO",
// "휴대폰번호", "juminNo", "resRegNo"), or, for a name that only says number
// or which one (number, no, value, home, work, primary, 번호, or no word:
// "0"), its parent's ("phone": {"number": …}, {"mobile": {"0": …}}). A
// name with a word of a quantity, a reference or a code is none
// ("phone_bill_amount", "rrn_ref", "contact_id", "phone_verified_at").
bool FieldSays(std::string_view names, bool (*says)(std::span<const std::string>)) {
  if (names.empty()) return false;
  const size_t dot = names.rfind('.');
  const std::string_view leaf = dot == std::string_view::npos ? names : names.substr(dot + 1);
  thread_local std::vector<std::string> words;
  NameWords(leaf, &words);
  for (const std::string& w : words)
    if (IsKorean(w) ? Holds(w, kNotTheNumberKorean) : InSorted(w, kNotTheNumberSorted)) return false;
  if (!words.empty() && says(words)) return true;
  // A name that only says which one (number, home, work, primary, "0": a
  // list written as an object) is read under its parent's.
  constexpr std::string_view kWhich[] = {
      "number", "no", "num", "value", "home", "work", "office", "main", "primary", "second", "secondary", "personal",
      "private", "business", "other", "alt", "backup", "emergency", "default", "current", "new", "old", "first", "번호",
      // the parts of one (jumin: {front, back}, tel: {part1, …}, phone:
      // {prefix, middle, suffix}, hp: {first, second, third})
      "front", "back", "rear", "head", "tail", "part", "last", "mid", "middle", "third", "fourth", "prefix", "suffix",
      "start", "begin", "end", "앞자리", "뒷자리", "뒤자리", "중간자리", "끝자리", "앞번호", "뒷번호", "뒤번호",
      "중간번호", "끝번호", "앞부분", "뒷부분", "앞", "뒤", "중간", "끝", "가운데"};
  const bool generic = words.empty() || (words.size() == 1 && WordIn(words.back(), kWhich));
  if (!generic || dot == std::string_view::npos) return false;
  const std::string_view parent = names.substr(0, dot);
  const size_t pdot = parent.rfind('.');
  NameWords(pdot == std::string_view::npos ? parent : parent.substr(pdot + 1), &words);
  return says(words);
}

// The people a record's field names say a value belongs to, with the
// abbreviations schemas use (cust, rcvr, acct).
constexpr std::string_view kPersonWords[] = {
    "customer", "cust", "user", "usr", "member", "mbr", "recipient", "rcvr", "rcv", "recv", "receiver", "sender",
    "sndr", "payer", "payee", "holder", "owner", "applicant", "guardian", "beneficiary", "buyer", "orderer",
    "depositor", "person", "patient", "employee", "borrower", "cardholder", "subscriber", "consignee", "passenger",
    "guest", "remitter", "cosigner", "contact", "spouse", "requester", "caller", "account", "acct", "accountholder",
    "insured", "policyholder", "debtor", "signer", "representative", "driver", "traveler", "traveller", "student",
    "shipper",
    // Korean banking schemas' abbreviations: DPSTR_NM
    // (depositor), ACNT_HLDR_NM, RMTR_NM (remitter),
    // RCPNT_NM, APLCNT_NM (applicant)
    "dpstr", "hldr", "rmtr", "rcpnt", "aplcnt"};
constexpr auto kPersonSorted = SortedWords(kPersonWords);
// A person-word field that holds the person's name itself when it holds one
// ("depositor": "김민준", "transfer.recipient": "이서연").
constexpr std::string_view kNamedPersonWords[] = {
    "depositor",   "recipient",  "sender",        "receiver", "holder",       "payer",          "payee",
    "beneficiary", "remitter",   "orderer",       "buyer",    "owner",        "applicant",      "guardian",
    "consignee",   "cardholder", "accountholder", "insured",  "policyholder", "representative", "dpstr"};
constexpr auto kNamedPersonSorted = SortedWords(kNamedPersonWords);
// Objects of people whose `name` is as often a team's, a bot's or a font's
// ("agent": "Support Bot", "family": "Noto Sans"): a person's name there
// only when it reads as a Korean name (IsKoreanName; found passing by
// review: people[*].name, agent.name; a second review: the Latin ones).
constexpr std::string_view kLoosePersonWords[] = {"people", "persons", "family", "agent", "agents", "staff",
                                                  "counselor", "assignee", "reporter", "members",
                                                  // schemas' abbreviations (acnt_nm: the account's holder,
                                                  // ord_nm, rcpt_nm, bnfcry_nm; a review), and a seller
                                                  "acnt", "ord", "ordr", "rcpt", "bnfcry", "bnfcr", "seller"};
constexpr auto kLoosePersonSorted = SortedWords(kLoosePersonWords);
// Who wrote, changed or handled a record: a field of its own ("author",
// "ticket_assignee", "created_by") or before name ("agent_name",
// "display_name") holds a person's name as often as "system", "batch-job",
// "Support Bot", an id or an e-mail: a person's name only when it reads as
// a Korean name (found passing by review, schema drift).
constexpr std::string_view kLooseLeafWords[] = {
    "author",     "creator",    "writer",  "editor",     "reviewer",  "approver", "assignee", "reporter",
    "agent",      "operator",   "handler", "registrant", "modifier",  "updater",  "uploader", "counselor",
    "counsellor", "consultant", "manager", "inquirer",   "commenter", "poster"};
constexpr auto kLooseLeafSorted = SortedWords(kLooseLeafWords);
// Words that say which part of a person's name: first_name, name.last.
constexpr std::string_view kNameParts[] = {"full", "first", "last", "given", "family", "middle", "real", "sur"};
// Languages a name is written in, after it: name_kr, nameEng.
constexpr std::string_view kNameScripts[] = {"kr", "ko", "kor", "korean", "en", "eng", "english", "hangul", "roman"};
// Words that make a name or an address a thing's or a machine's.
constexpr std::string_view kThingWords[] = {
    "bank",     "branch",       "product",  "item",      "goods",    "merchant", "store",     "shop",     "company",
    "corp",     "brand",        "file",     "event",     "app",      "device",   "host",      "service",  "plan",
    "category", "channel",      "campaign", "promotion", "topic",    "type",     "status",    "code",     "key",
    "field",    "domain",       "server",   "table",     "column",   "queue",    "job",       "task",     "team",
    "org",      "organization", "group",    "role",      "tag",      "label",    "title",     "template", "method",
    "class",    "module",       "package",  "region",    "city",     "country",  "currency",  "os",       "browser",
    "page",     "menu",         "segment",  "grade",     "level",    "tier",     "entity",    "room",     "screen",
    "model",    "site",         "office",   "franchise", "biz",      "business", "ip",        "ipv4",     "ipv6",
    "mac",      "email",        "mail",     "wallet",    "url",      "web",      "remote",    "local",    "bind",
    "listen",   "bitcoin",      "btc",      "eth",       "contract", "memory",   "node",      "broker",   "endpoint",
    "proxy",    "gateway",      "network",  "net",       "socket",   "http",     "https",     "smtp",     "dns",
    "link",     "callback",     "redirect", "webhook",   "api",      "uri",      "bluetooth", "hardware", "token",
    "nick",     "nickname",     "display",  "screen",    "login",    "hash",     "peer",      "deposit",  "withdrawal",
    "id",       "match",        "check",    "result",    "verified", "yn",       "flag",      "cd",       "enabled",
    "lookup",   "chg",          "change",   "country"};
constexpr auto kThingSorted = SortedWords(kThingWords);
constexpr std::string_view kKoreanNameEnds[] = {
    "이름",     "성명",     "성함",     "고객명",     "예금주",   "예금주명", "수취인",   "수취인명",
    "받는분",   "받는사람", "보내는분", "보내는사람", "주문자명", "명의자",   "명의자명", "수령인",
    "수령인명", "송금인",   "송금인명", "실명",       "영문명",   "한글명",   "대표자명", "가입자명",
    "신청인명", "보호자명", "차주명",   "입금자명",   "구매자명", "송금자명", "계좌주명", "수령자명"};
// Roles whose column holds a person's name as often as a team's, a
// company's or "없음" (found by review): a name only for a name-shaped value
// of 2-4 syllables (RoleHoldsName).
constexpr std::string_view kKoreanRoleEnds[] = {"보호자",   "담당자", "대표자",   "입금자", "주문자", "구매자",
                                                "보낸사람", "받는이", "보내는이", "송금자", "계좌주", "수령자",
                                                "수하인",   "송하인", "발송인",   "수신인"};
// Roles whose column holds a grade, a status or a team as often as a name
// (고객: 일반, 회원: 정회원): a name only when the value reads as a Korean
// name after a label (detect::internal::IsKoreanName; found passing by
// review: {"고객":"김민준"}, {"작성자":"김민준"}).
constexpr std::string_view kKoreanLooseRoles[] = {"고객",   "회원",   "작성자", "문의자", "요청자", "환자",
                                                  "예약자", "민원인", "신청자", "가입자", "신고자", "상담원"};
constexpr std::string_view kKoreanAddressEnds[] = {"주소", "배송지", "거주지", "주소지", "도로명", "지번"};
constexpr std::string_view kKoreanThings[] = {
    "상품", "파일", "가맹점", "은행",   "회사", "법인",   "상호", "점포",   "매장",   "브랜드", "카드",
    "메뉴", "화면", "이벤트", "캠페인", "앱",   "서비스", "지점", "영업점", "업체",   "기관",   "카테고리",
    "결과", "상태", "여부",   "조회",   "확인", "코드",   "유형", "메일",   "아이피", "서버",   "사업장"};
constexpr std::string_view kAddressWords[] = {"address", "addresses", "addr",   "adres",
                                              "juso",    "rdnmadr",   "lnmadr", "addressline"};
// What may follow an address word in the name of a part of one (addr1 is
// addr: digits part words).
constexpr std::string_view kAddressParts[] = {"line",     "detail", "details", "dtl", "full", "road", "jibun", "street",
                                              "building", "text",   "kr",      "ko",  "kor",  "en",   "eng"};

// Whether a one-word name is a person word or a name part followed by
// "name" ("customername", "holdername", "firstname", "surname").
bool CompoundName(std::string_view w) {
  if (w == "surname") return true;
  if (w.size() <= 4 || !w.ends_with("name")) return false;
  const std::string_view prefix = w.substr(0, w.size() - 4);
  if (InSorted(prefix, kPersonSorted) || WordIn(prefix, kNameParts)) return true;
  for (std::string_view p : kPersonWords)
    if (prefix.size() > p.size() && prefix.ends_with(p)) return true;  // accountholdername
  return false;
}

// Whether a one-word name ends in an address word after a prefix that is no
// machine's or thing's ("shippingaddress", "homeaddress", "deliveryaddr").
bool CompoundAddress(std::string_view w) {
  for (std::string_view a : {std::string_view("address"), std::string_view("addr"), std::string_view("adres")}) {
    if (w.size() <= a.size() || !w.ends_with(a)) continue;
    const std::string_view prefix = w.substr(0, w.size() - a.size());
    for (std::string_view t : kThingWords)
      if (prefix.ends_with(t)) return false;
    return true;
  }
  return false;
}

bool AnyThing(std::span<const std::string> words) {
  for (const std::string& w : words)
    if (IsKorean(w) ? Holds(w, kKoreanThings) : InSorted(w, kThingSorted)) return true;
  return false;
}

// The Hangul syllables in v.
size_t HangulCount(std::string_view v) {
  size_t n = 0;
  for (size_t i = 0; i + 3 <= v.size(); ++i) {
    uint32_t cp = 0;
    if (static_cast<unsigned char>(v[i]) < 0xEA || unicode::DecodeUtf8(v, i, &cp) != 3) continue;
    n += cp >= 0xAC00 && cp <= 0xD7A3 ? 1 : 0;
    i += 2;
  }
  return n;
}

// A value shaped like a person's name: 2-5 Hangul syllables (a space
// between surname and given name allowed), or 2-4 words of Latin letters.
bool NameShaped(std::string_view v) {
  size_t hangul = 0, latin_words = 0, i = 0;
  bool in_word = false;
  while (i < v.size()) {
    uint32_t cp = static_cast<unsigned char>(v[i]);
    if (cp < 0x80) {
      ++i;
    } else {
      const size_t len = unicode::DecodeUtf8(v, i, &cp);
      if (len == 0) return false;
      i += len;
    }
    if (cp >= 0xAC00 && cp <= 0xD7A3) {
      ++hangul;
      continue;
    }
    const bool letter = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '.' || cp == '-' || cp == '\'';
    if (letter) {
      if (!in_word) ++latin_words;
      in_word = true;
    } else if (cp == ' ') {
      in_word = false;
    } else {
      return false;
    }
  }
  if (hangul > 0) return latin_words == 0 && hangul >= 2 && hangul <= 5;
  return latin_words >= 2 && latin_words <= 4;
}

// Whether a value holds a letter (ASCII or any non-ASCII character) and no
// '@' (an e-mail address is the detectors' to find).
bool HoldsLetter(std::string_view value) {
  if (value.find('@') != std::string_view::npos) return false;
  for (char c : value)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

// The last segment of `names` before `end` (its words into *words), and
// where that segment starts; false at the start.
bool ParentWords(std::string_view names, size_t end, std::vector<std::string>* words, size_t* start) {
  if (end == std::string_view::npos || end == 0) return false;
  const std::string_view up = names.substr(0, end);
  const size_t dot = up.rfind('.');
  *start = dot == std::string_view::npos ? std::string_view::npos : dot;
  NameWords(dot == std::string_view::npos ? up : up.substr(dot + 1), words);
  return !words->empty();
}

// Whether the words of one name say name: its last word (before scripts
// such as kr, eng) is "name" or "nm" after a person word or a name part
// ("customer_name", "cust_nm", "holderName", "first_name"), a script between
// them allowed ("customer_eng_name"), or a compound ("customername",
// "surname"); *bare: the name is only "name"/"nm" with or without a script
// (then its parent says whose), *script the script word of such a bare one
// ("name_kr", "kor_name": "kr", "kor"; else empty).
bool SaysName(std::span<const std::string> words, bool* bare, std::string_view* script = nullptr) {
  *bare = false;
  if (script) *script = {};
  size_t k = words.size();
  while (k > 0 && WordIn(words[k - 1], kNameScripts)) --k;
  if (k == 0) return false;
  std::string_view written = k < words.size() ? std::string_view(words[k]) : std::string_view();
  const std::string& w = words[k - 1];
  if (CompoundName(w)) return true;
  constexpr std::string_view kName[] = {"name", "nm"};
  if (!WordIn(w, kName)) return false;
  size_t b = k - 1;  // the words before "name", scripts skipped
  while (b > 0 && WordIn(words[b - 1], kNameScripts)) written = words[--b];
  if (b == 0) {
    *bare = true;
    if (script) *script = written;
    return false;
  }
  const std::string& before = words[b - 1];
  return InSorted(before, kPersonSorted) || WordIn(before, kNameParts);
}

// Whether the words of one name say address: its last word (before the
// parts of one, line, detail, kr) is an address word or a compound one.
bool SaysAddress(std::span<const std::string> words) {
  size_t k = words.size();
  while (k > 0 && WordIn(words[k - 1], kAddressParts)) --k;
  if (k == 0) return false;
  return WordIn(words[k - 1], kAddressWords) || CompoundAddress(words[k - 1]);
}

// A cheap first look at a path: whether it may name a person's name or
// address at all (an ASCII path without "nam", "nm", "addr", "adres",
// "juso" or "street" in any case is not, unless its leaf is a person word
// such as "depositor" and the value is shaped like a name; a non-ASCII one
// may be).
bool MayBePersonal(std::string_view names, std::string_view leaf, std::string_view value) {
  // Only the leaf and its parent are read (PersonalField).
  const size_t leaf_dot = names.rfind('.');
  const size_t parent_dot =
      leaf_dot == std::string_view::npos || leaf_dot == 0 ? std::string_view::npos : names.rfind('.', leaf_dot - 1);
  const size_t from = parent_dot == std::string_view::npos ? 0 : parent_dot + 1;
  const auto lower = [&](size_t i) { return i < names.size() ? static_cast<char>(names[i] | 0x20) : '\0'; };
  for (size_t i = from; i < names.size(); ++i) {
    const auto c = static_cast<unsigned char>(names[i]);
    if (c >= 0x80) return true;
    switch (c | 0x20) {
      case 'n':  // nam, nm
        if (lower(i + 1) == 'm' || (lower(i + 1) == 'a' && lower(i + 2) == 'm')) return true;
        break;
      case 'a':  // addr, adres
        if (lower(i + 1) == 'd' && (lower(i + 2) == 'd' || (lower(i + 2) == 'r' && lower(i + 3) == 'e'))) return true;
        break;
      case 'j':  // juso
        if (lower(i + 1) == 'u' && lower(i + 2) == 's' && lower(i + 3) == 'o') return true;
        break;
      case 's':  // street
        if (lower(i + 1) == 't' && lower(i + 2) == 'r' && lower(i + 3) == 'e' && lower(i + 4) == 'e') return true;
        break;
      default: break;
    }
  }
  // The leaf's last word: after the last '_', '-' or ' ', from its last
  // capital after a small letter ("account_holder", "vbankDepositor",
  // "accountholder"; "DEPOSITOR" is one word).
  size_t w = leaf.find_last_of("_- ");
  w = w == std::string_view::npos ? 0 : w + 1;
  for (size_t i = leaf.size(); i > w + 1; --i)
    if (leaf[i - 1] >= 'A' && leaf[i - 1] <= 'Z' && leaf[i - 2] >= 'a' && leaf[i - 2] <= 'z') {
      w = i - 1;
      break;
    }
  // Or "by", or a loose leaf word ("created_by", "author": LooseNameLeaf).
  const std::string_view last = leaf.substr(w);
  if (last.size() < 2 || last.size() > 16 || !NameShaped(value)) return false;
  char folded[16];
  for (size_t i = 0; i < last.size(); ++i) folded[i] = static_cast<char>(last[i] | 0x20);
  const std::string_view f(folded, last.size());
  return InSorted(f, kNamedPersonSorted) || f == "person" || (f == "by" && w > 0) || InSorted(f, kLooseLeafSorted);
}

// Whether a value reads as a Korean name after a label, a name with a
// blank or a role in parentheses after it allowed ("김민준 (VIP)",
// "김민준(상담원)": a second review).
bool IsKoreanName(std::string_view value) {
  if (const size_t paren = value.find('('); paren != std::string_view::npos && value.ends_with(')')) {
    value = value.substr(0, paren);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  }
  return detect::internal::IsKoreanName(value);
}

// Whether a role's column holds a person's name: name-shaped, at most four
// Hangul syllables ("고객지원팀" is a team), not a word for none.
bool RoleHoldsName(std::string_view value) {
  if (!NameShaped(value) || HangulCount(value) > 4) return false;
  for (std::string_view none : {"없음", "미상", "본인", "해당없음", "미정", "미입력"})
    if (value == none) return false;
  return true;
}

// Whether a value reads as a person's name in the script a name's script
// word says: Korean (kr, kor, hangul) a Korean name after a label; Latin
// (eng, en, roman) 2-4 Latin words none of which is a thing's or an
// organization's ("KIM MINJUN"; not "KB Kookmin Bank", "Support Bot").
bool ReadsAsNameIn(std::string_view script, std::string_view value) {
  constexpr std::string_view kLatin[] = {"en", "eng", "english", "roman"};
  if (!WordIn(script, kLatin)) return IsKoreanName(value);
  if (!NameShaped(value) || HangulCount(value) > 0) return false;
  constexpr std::string_view kOrgs[] = {"bot",    "inc",    "ltd",     "co",     "corp",    "llc",      "team",
                                        "center", "centre", "support", "system", "admin",   "official", "bank",
                                        "card",   "pay",    "store",   "shop",   "service", "group",    "company"};
  thread_local std::vector<std::string> words;
  NameWords(value, &words);
  for (const std::string& w : words)
    if (WordIn(w, kOrgs) || InSorted(w, kThingSorted)) return false;
  return true;
}

// Whether a name's words say who wrote, changed or handled a record: its
// last word (before scripts) a loose leaf word ("author",
// "ticket_assignee"), "by" after a word ("created_by", "updatedBy"), or
// name/nm after a loose leaf or loose person word or display ("agent_name",
// "staff_nm", "display_name"; *named).
bool LooseNameLeaf(std::span<const std::string> words, bool* named) {
  *named = false;
  size_t k = words.size();
  while (k > 0 && WordIn(words[k - 1], kNameScripts)) --k;
  if (k == 0) return false;
  const std::string& w = words[k - 1];
  if (InSorted(w, kLooseLeafSorted)) return true;
  if (k < 2) return false;
  // (Not a query's order: order_by, sortBy, group_by: a sixth review.)
  constexpr std::string_view kQuery[] = {"order", "sort", "group", "filter", "partition", "split", "sorted", "ordered"};
  if (w == "by") return !WordIn(words[k - 2], kQuery);
  const std::string& before = words[k - 2];
  *named = w == "name" || w == "nm";
  return *named && (InSorted(before, kLooseLeafSorted) || InSorted(before, kLoosePersonSorted) || before == "display");
}

// Whether a word of a transfer or an account stands before a name's last
// word: "transfer_sender", "account_owner" are a person's, "push_sender",
// "data_owner" as often a team's or a service's.
bool MoneyWordBefore(std::span<const std::string> words) {
  constexpr std::string_view kMoney[] = {"transfer", "remit", "remittance", "account", "acct", "card", "deposit",
                                         "payment",  "pay",   "refund",     "bank",    "wire", "vbank"};
  for (size_t i = 0; i + 1 < words.size(); ++i)
    if (WordIn(words[i], kMoney)) return true;
  return false;
}

// Whether words that name a thing somewhere still say a person's name: the
// word before "name" is a person's ("bank_holder_name", "bankAccountName":
// the account holder's, not the bank's), or "deposit_name" holding a
// name-shaped value (입금자명, a deposit's name as a bank shows it).
bool PersonNameAfterThing(std::span<const std::string> words, std::string_view value) {
  size_t k = words.size();
  while (k > 0 && WordIn(words[k - 1], kNameScripts)) --k;
  constexpr std::string_view kName[] = {"name", "nm"};
  if (k < 2 || !WordIn(words[k - 1], kName)) return false;
  const std::string& before = words[k - 2];
  if (InSorted(before, kPersonSorted)) return NameShaped(value);
  // deposit_name: also a deposit product's name (정기예금): three syllables,
  // four after a compound surname (남궁민수), or Latin words only.
  if (before != "deposit" || !NameShaped(value)) return false;
  const size_t syllables = HangulCount(value);
  if (syllables == 0 || syllables == 3) return true;
  for (std::string_view compound : {"남궁", "황보", "제갈", "선우", "독고", "서문", "사공"})
    if (syllables == 4 && value.starts_with(compound)) return true;
  return false;
}

// The digits a numeric type kept of a number that began with 0 (a JSON
// integer, or a string of digits only, written from one), with the 0 (or the
// '+') put back where the field's names say what it was: "" when they do not
// (FieldSays: not in a name that also says amount, code, reference, ...).
//  - A mobile number: 1012345678 (010-1234-5678), 821012345678
//    (+82 10-1234-5678), in a field whose names say phone. 010 only: 011 and
//    016-019 numbers have gone, and ten digits from 16 to 19 are every Unix
//    time from 2020 to 2033. A landline or VoIP number likewise: 212345678
//    (02-1234-5678), 3112345678 (031-1234-5678), 7012345678 (070-…).
//  - A resident or alien registration number of someone born 2000-2009:
//    501014123456 (050101-4123456), 1013123456 (000101-3123456), in a field
//    whose names say so. The rrn and frn detectors decide with their date
//    check (numbers issued since October 2020 carry no checksum, so a date
//    is all they can check: the field's names carry the weight).
void RestoreLeadingZeros(std::string_view digits, std::string_view field, std::string* out) {
  out->clear();
  if (digits.size() < 8 || digits.size() > 12 || digits.find_first_not_of("0123456789") != std::string_view::npos)
    return;
  const auto mobile = [](std::string_view d) { return d.size() == 10 && d.starts_with("10"); };
  // A landline or VoIP number: Seoul's 2 and seven or eight digits, a
  // region's 31-64 or 70 and seven or eight, the exchange not starting with
  // 0 (212345678 is 02-1234-5678; found passing by review in home_phone,
  // tel and fax; 20240115 is a date), also after 82; only where the
  // field's last word is a landline's (LandlineWordLast), not round, and
  // not under a name of amounts (PathSaysAmounts).
  const auto landline = [](std::string_view d) {
    if (d.size() < 8) return false;
    if (d[0] == '2') return (d.size() == 8 || d.size() == 9) && d[1] != '0';
    const int area = (d[0] - '0') * 10 + (d[1] - '0');
    const bool known = (area >= 31 && area <= 33) || (area >= 41 && area <= 44) || (area >= 51 && area <= 55) ||
                       (area >= 61 && area <= 64) || area == 70;
    return known && (d.size() == 9 || d.size() == 10) && (area != 70 || d.size() == 10) && d[2] != '0';
  };
  const bool intl = digits.starts_with("82") && landline(digits.substr(2));
  if ((landline(digits) || intl) && !digits.ends_with("0000") && FieldSays(field, LandlineWordLast) &&
      !PathSaysAmounts(field)) {
    out->append(intl ? "+" : "0").append(digits);
    return;
  }
  if (digits.size() < 10) return;
  if (mobile(digits) || (digits.size() == 12 && digits.starts_with("82") && mobile(digits.substr(2)))) {
    if (FieldSays(field, PhoneWords)) {
      out->append(digits.size() == 10 ? "0" : "+").append(digits);
      return;
    }
  }
  if (FieldSays(field, RrnWords)) out->append(13 - digits.size(), '0').append(digits);
}

// Whether a field's leaf says it is one part of something: it ends with a
// digit (jumin1, tel_2, hp3, last4, "0") or holds a word of position (front,
// back, rear, first, middle, last, prefix, suffix, start, end, 앞자리,
// 뒷번호, ...; 앞, 뒤, 중간, 끝 at a Korean word's end: 주민번호_뒤,
// 휴대폰뒤4자리). Counts and totals under the same names (phone_minutes,
// residents) are not parts (found by review).
bool LeafSaysPart(std::string_view field, bool rrn) {
  const size_t dot = field.rfind('.');
  const std::string_view leaf = dot == std::string_view::npos ? field : field.substr(dot + 1);
  if (leaf.empty()) return false;
  if (leaf.back() >= '0' && leaf.back() <= '9') return true;
  thread_local std::vector<std::string> words;
  NameWords(leaf, &words);
  // (start, begin, end and 끝 of an RRN only: of four digits they are a
  // time's as often, "contact_start":"0900", "전화상담 끝":"1800": a sixth
  // review; birth and serial too, the halves' names in schemas that split
  // the RRN, "rrn_serial": a later review.)
  constexpr std::string_view kPart[] = {"front", "back",   "rear",  "head",   "tail", "part",   "mid",   "middle",
                                        "first", "second", "third", "fourth", "last", "prefix", "suffix"};
  constexpr std::string_view kRrnPart[] = {"start", "begin", "end", "birth", "serial"};
  constexpr std::string_view kKoreanPart[] = {"앞자리", "뒷자리", "뒤자리",   "중간자리", "끝자리", "앞번호",
                                              "뒷번호", "뒤번호", "중간번호", "끝번호",   "앞부분", "뒷부분"};
  // (Not 끝: "전화상담 끝" is a time, a sixth review.)
  constexpr std::string_view kKoreanPartEnd[] = {"앞", "뒤", "뒷", "중간", "가운데"};
  for (const std::string& w : words)
    if (IsKorean(w) ? Holds(w, kKoreanPart) || EndsWithOne(w, kKoreanPartEnd) || (rrn && w.ends_with("끝"))
                    : WordIn(w, kPart) || (rrn && WordIn(w, kRrnPart)))
      return true;
  return false;
}

// Whether a field's own name names the resident number itself (rrn, jumin,
// ssn, frn, jmno, rrno, ihidnum, 주민번호, 주민등록번호, 외국인등록번호,
// 실명번호): six or seven digits there are a part of one whatever other
// word the name holds ("rrn_b", "jumin_no"; not resident, residents: a
// count as often).
bool LeafNamesRrn(std::string_view field) {
  const size_t dot = field.rfind('.');
  thread_local std::vector<std::string> words;
  NameWords(dot == std::string_view::npos ? field : field.substr(dot + 1), &words);
  constexpr std::string_view kAscii[] = {"rrn", "rrno", "jumin", "jmno", "frn", "ssn", "ihidnum"};
  constexpr std::string_view kKorean[] = {"주민번호", "주민등록번호", "외국인등록번호", "실명번호"};
  // Its other words only say number or which one ("jumin_no", "rrn_b"; not
  // "ssn_batch", "rrn_retry", "jumin_check_result": a sixth review).
  constexpr std::string_view kNumberWords[] = {"no", "num", "number", "nbr", "val", "value", "digits", "번호"};
  bool names = false;
  for (const std::string& w : words) {
    if (IsKorean(w) ? Holds(w, kKorean) : WordIn(w, kAscii) || w.starts_with("jumin")) {
      names = true;
    } else if (w.size() > 1 && !WordIn(w, kNumberWords)) {
      return false;
    }
  }
  return names;
}

// Whether a name's words say a national or a foreigner's registration
// number ("national_id", "foreigner_no"; beside RrnWords' own).
bool NationalIdWords(std::span<const std::string> words) {
  bool national = false, foreigner = false, id = false;
  for (const std::string& w : words) {
    national = national || w == "national";
    foreigner = foreigner || w == "foreigner" || w == "alien";
    id = id || w == "id" || w == "no" || w == "num" || w == "number" || w == "reg" || w == "registration";
  }
  return (national || foreigner) && id;
}

// Whether a field is a half of the resident number its parent names: its
// leaf says which half in the words a schema gives them (birth, serial,
// front, back, ...: LeafSaysPart) and its parent's name names the number
// itself (LeafNamesRrn; found passing by review:
// {"rrn":{"birth":"850620","serial":"2345671"}}).
bool RrnHalf(std::string_view field) {
  const size_t dot = field.rfind('.');
  if (dot == std::string_view::npos || !LeafSaysPart(field, true)) return false;
  // (A parent that says RRN in other words too: resident_no, national_id,
  // jumin_bunho, rrn_info: a re-review.)
  const std::string_view parent = field.substr(0, dot);
  if (LeafNamesRrn(parent) || FieldSays(parent, RrnWords)) return true;
  const size_t pdot = parent.rfind('.');
  thread_local std::vector<std::string> words;
  NameWords(pdot == std::string_view::npos ? parent : parent.substr(pdot + 1), &words);
  return NationalIdWords(words);
}

// An element of a list under an RRN's or a phone's name as a part of one
// ({"rrn":["900101","1234568"]}, {"mobile":["010","1234","5678"]}: a
// review): the first as the first part (a date; a phone's 0-led code), each
// next one only after a part: an RRN's back or the next one's date, a
// phone's next group ([1001,1002], ["0900","1800"] are none: a sixth
// review). "" otherwise (the field's own name may still say a part).
std::string_view ListPart(std::string_view digits, std::string_view field, ArrayElement element) {
  const size_t n = digits.size();
  const auto date = [&] {
    const int mm = (digits[2] - '0') * 10 + (digits[3] - '0');
    const int dd = (digits[4] - '0') * 10 + (digits[5] - '0');
    return mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31;
  };
  if (element == ArrayElement::kFirst) {
    if (n == 6 && FieldSays(field, RrnWords)) return date() ? "rrn" : std::string_view();
    return n <= 3 && digits[0] == '0' && digits[1] != '0' && FieldSays(field, PhoneWords) ? "phone_kr"
                                                                                          : std::string_view();
  }
  if (element != ArrayElement::kAfterPart || n < 3) return {};
  if ((n == 6 || n == 7) && FieldSays(field, RrnWords)) {
    if (n == 7) return digits[0] >= '1' && digits[0] <= '8' ? "rrn" : std::string_view();
    return date() ? "rrn" : std::string_view();
  }
  return n <= 4 && FieldSays(field, PhoneWords) ? "phone_kr" : std::string_view();
}

// A part of a resident or phone number in a field whose names say so (not
// a count, code or amount: FieldSays): six digits that are a date (the
// front of an RRN, YYMMDD) or seven that start with a gender digit 1-8 (its
// back) in an RRN field whose leaf says a part or names the number itself
// (LeafNamesRrn: a whole one has 13 digits; found passing by review:
// {"birth_date":"900101","rrn_rear":"1234568"}, the rear enough to rebuild
// it with the date beside it); three or four digits in a phone field whose
// leaf says a part (010, 1234: tel1, tel2, hp_3, phone.suffix). "" otherwise.
std::string_view NumberPart(std::string_view digits, std::string_view field, ArrayElement element) {
  const size_t n = digits.size();
  if (n < 2 || n > 7) return {};
  if (const std::string_view hit = ListPart(digits, field, element); !hit.empty()) return hit;
  if (n < 3) return {};
  if ((n == 6 || n == 7) &&
      (((LeafSaysPart(field, true) || LeafNamesRrn(field)) && FieldSays(field, RrnWords)) || RrnHalf(field))) {
    if (n == 7 && digits[0] >= '1' && digits[0] <= '8') return "rrn";
    const int mm = (digits[2] - '0') * 10 + (digits[3] - '0');
    const int dd = (digits[4] - '0') * 10 + (digits[5] - '0');
    if (n == 6 && mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31) return "rrn";
    return {};
  }
  if (n <= 4 && LeafSaysPart(field, false) && FieldSays(field, PhoneWords)) return "phone_kr";
  return {};
}

}  // namespace

std::string_view PersonalField(std::string_view names, std::string_view value) {
  if (names.empty()) return {};
  const size_t dot = names.rfind('.');
  const std::string_view leaf = dot == std::string_view::npos ? names : names.substr(dot + 1);
  if (!MayBePersonal(names, leaf, value) || !HoldsLetter(value)) return {};
  thread_local std::vector<std::string> words, up;
  NameWords(leaf, &words);
  if (words.empty()) return {};
  size_t pstart = 0;
  const bool has_parent = ParentWords(names, dot, &up, &pstart);
  const bool thing_parent = has_parent && AnyThing(up);
  // Who wrote or handled it ("author", "created_by", "agent_name",
  // "display_name"): a Korean name only; a name of one under a thing
  // ("product.display_name") is none.
  if (bool named = false; LooseNameLeaf(words, &named) && !(named && thing_parent) && IsKoreanName(value))
    return "person_name";
  if (AnyThing(words)) return PersonNameAfterThing(words, value) ? "person_name" : std::string_view();
  bool korean_name = false, korean_address = false;
  for (const std::string& w : words) {
    if (!IsKorean(w)) continue;
    korean_name = korean_name || EndsWithOne(w, kKoreanNameEnds) ||
                  (EndsWithOne(w, kKoreanRoleEnds) && RoleHoldsName(value)) ||
                  (EndsWithOne(w, kKoreanLooseRoles) && IsKoreanName(value));
    korean_address = korean_address || EndsWithOne(w, kKoreanAddressEnds);
  }
  if (korean_address || SaysAddress(words)) return "address";
  bool bare = false;
  std::string_view script;
  if (korean_name || SaysName(words, &bare, &script)) return "person_name";
  if (has_parent && !thing_parent) {
    // "recipients[*].name", "payer.nm", "user.profile.name".
    if (bare)
      for (const std::string& w : up)
        if (InSorted(w, kPersonSorted) || w == "profile" || (InSorted(w, kLoosePersonSorted) && IsKoreanName(value)))
          return "person_name";
    // The parts of a name object ({"name": {"first": …, "kor": …}}) or of an
    // address object ({"address": {"line1": …}}, "addresses[*].road").
    bool name_parts = true, address_parts = true;
    for (const std::string& w : words) {
      name_parts = name_parts && (WordIn(w, kNameParts) || WordIn(w, kNameScripts));
      address_parts = address_parts && WordIn(w, kAddressParts);
    }
    bool up_bare = false;
    if (name_parts && (SaysName(up, &up_bare) || up_bare)) return "person_name";
    if (address_parts && SaysAddress(up)) return "address";
  }
  // A name in a script at the top or under no thing ("name_kr", "kor_name",
  // "eng_name"; found passing by review): a person's when the value reads
  // as a name in that script ("product.kor_name" is a thing's).
  // Latin words only under a person ("Starbucks Coffee" under a top-level
  // eng_name is a merchant's as often: a sixth review).
  constexpr std::string_view kLatinScripts[] = {"en", "eng", "english", "roman"};
  if (bare && !script.empty() && !thing_parent && (has_parent || !WordIn(script, kLatinScripts)) &&
      ReadsAsNameIn(script, value))
    return "person_name";
  // A person word that holds the name itself: "depositor": "김민준", and as
  // the last word ("account_holder", "refund_depositor", "vbankDepositor";
  // not a sender's or an owner's, which are as often a team or a service:
  // "push_sender", "data_owner").
  if (NameShaped(value) && InSorted(words.back(), kNamedPersonSorted) &&
      (words.size() == 1 || (words.back() != "sender" && words.back() != "owner") || MoneyWordBefore(words)))
    return "person_name";
  // "contact_person", "person": a value that reads as a Korean name (found
  // passing by review; Latin words there are as often a team's: "CS Team").
  if (words.back() == "person" && IsKoreanName(value)) return "person_name";
  return {};
}

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

// The digits of a whole number as a reader takes the text: a digit string, or
// a number whose value is whole as number::LenientNumber reads it
// ("1012345678.0", "1.012345678e9", " 1012345678 ", "+1012345678"), after
// one sign ("-1012345678": a review found a sign hiding the number); "" for
// anything else (a text that does not start like a number costs one look).
std::string WholeDigits(std::string_view text) {
  size_t k = 0;
  while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
  if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
  if (k == text.size() || text[k] < '0' || text[k] > '9' || text.size() > 40) return {};
  text.remove_prefix(k);
  if (text.find_first_not_of("0123456789") == std::string_view::npos) return std::string(text);
  std::string lenient = number::IsJsonNumber(text) ? std::string(text) : number::LenientNumber(text);
  if (lenient.empty()) return {};
  if (lenient.find_first_not_of("0123456789") == std::string::npos) return lenient;
  std::string plain = number::ReadableDigits(lenient).plain;
  if (plain.find_first_not_of("0123456789") != std::string::npos) return {};  // a fraction, a sign
  return plain;
}

std::string RestoredNumber(std::string_view text, std::string_view field) {
  if (field.empty()) return {};
  std::string restored;
  RestoreLeadingZeros(WholeDigits(text), field, &restored);
  return restored;
}

// A number whose leading 0 a numeric type dropped, read with it put back
// where the field's names say what it was (RestoredNumber): a JSON
// integer, a string or CSV cell of digits, and a whole number written as a
// float (pandas writes an integer column with gaps as 1012345678.0).
Status ProtectRestored(const Scanning& scanning, const ActionContext& ctx, std::string_view text, std::string* out,
                       bool* found) {
  *found = false;
  if (ctx.field.empty()) return Status::Ok();
  const std::string digits = WholeDigits(text);
  std::string restored;
  RestoreLeadingZeros(digits, ctx.field, &restored);
  if (!restored.empty()) return scanning.Protect(ctx, restored, out, found);
  // A part of a number a schema keeps in fields of its own (jumin1/jumin2,
  // tel1/tel2/tel3): no detector finds a part, the field's names say what it
  // is (found passing by review: 주민번호앞자리 and 뒷자리 in two CSV columns).
  if (const std::string_view what = NumberPart(digits, ctx.field, ctx.array_element); !what.empty()) {
    *out = "[" + std::string(what) + "]";
    *found = true;
    if (ctx.scan_hits) ctx.scan_hits->push_back(what);
  }
  return Status::Ok();
}

// Whether text is digits led by a 0 (blanks around them, a sign before).
bool LedByZero(std::string_view text) {
  size_t k = text.find_first_not_of(" \t+-");
  if (k == std::string_view::npos || text[k] != '0') return false;
  const size_t end = text.find_last_not_of(" \t");
  return text.substr(k, end + 1 - k).find_first_not_of("0123456789") == std::string_view::npos;
}

Status ProtectText(const Scanning& scanning, const ActionContext& ctx, std::string_view text, std::string* out,
                   bool* found) {
  // A person's name or address in a field that says so: no detector finds
  // those in text, the field's names do (PersonalField; JSON strings come
  // here through ScanScalar).
  if (const std::string_view what = PersonalField(ctx.field, text); !what.empty()) {
    *found = true;
    return scanning.ProtectWhole(ctx, what, text, out);  // the policy's action for such hits
  }
  if (Status st = ProtectRestored(scanning, ctx, text, out, found); !st.ok() || *found) return st;
  if (number::IsJsonNumber(text)) return ProtectNumber(scanning, ctx, text, out, found);
  // "+9.001011234567e12", " 9.001011234567e12 ", "9,001,011,234,567": what a
  // lenient reader takes for the number; a hit in it protects the whole text.
  if (const std::string n = number::LenientNumber(text); !n.empty()) {
    // Digits led by a 0 are first the text they are: "01093845200" is a
    // phone, not the business number its ten digits after the 0 would be
    // (found by review: one mobile number in ten became [brn]); their
    // number only when the text has no hit.
    if (LedByZero(text))
      if (Status st = scanning.Protect(ctx, text, out, found); !st.ok() || *found) return st;
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
  // A number stored in a numeric type has lost its leading 0 (or its '+'):
  // put back where the field's names say what it was (ProtectRestored; for
  // a string, ProtectText does it).
  Status st = v.type == codec::JsonType::kNumber ? ProtectRestored(scanning, ctx, v.text, &replaced, &found)
                                                 : ProtectText(scanning, ctx, v.text, &replaced, &found);
  if (st.ok() && !found && v.type == codec::JsonType::kNumber)
    st = ProtectNumber(scanning, ctx, v.text, &replaced, &found);
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
