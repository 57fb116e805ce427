#include "detect/scanner.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <bit>
#include <bitset>
#include <cstdint>
#include <cstring>
#include <unordered_set>
#include <utility>

#include "common/text.h"
#include "detect/intl_email.h"
#include "detect/korean_text.h"
#include "detect/loose_groups.h"
#include "detect/mrz.h"
#include "detect/normalize.h"
#include "detect/partly_masked.h"
#include "detect/pattern_size.h"
#include "detect/prefilter.h"
#include "detect/validators.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MASKPROXY_DETECT_AVX2 1
#endif

namespace maskproxy::detect {
namespace {

constexpr size_t kMaxContextWindow = 200;

bool IsAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}
constexpr std::array<bool, 256> kAsciiAlnum = [] {
  std::array<bool, 256> a{};
  for (int c = 0; c < 256; ++c) a[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return a;
}();
bool IsAsciiAlnum(char c) {
  return kAsciiAlnum[static_cast<unsigned char>(c)];
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
  // Context words by their first byte, so ContextOk reads the text once.
  std::vector<std::vector<uint32_t>> words_by_first;  // 256 lists when there are words
  size_t context_window = 0;
  // Windows (prefilter.h): set when the pattern was analyzable.
  bool windowed = false;
  size_t group = 0;  // into Scanner::Impl::groups
  size_t min_triggers = 0;
  size_t min_length = 0;
  // Index into Scanner::Impl::combined's detectors, or -1: the windows
  // then go through an unanchored RE2 search (ScanRange).
  int combined = -1;
  // The built-in person_name, address and partly_masked detectors: their
  // candidates come from finders (korean_text.h, partly_masked.h), never
  // from their pattern (which only describes them; it is in the set, but
  // neither windowed nor run).
  bool finder = false;
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
// continue with ':' or touch a letter or digit even when it starts or ends
// with ':'. The start and end halves are separate: the start half depends on
// the begin only, so a failing start rules out every match at that begin.
// StartOk's IPv6 half is out of line (rare), the rest inline.
[[gnu::noinline]] bool Ipv6StartOk(std::string_view t, size_t b) {
  if (b > 0 && (t[b - 1] == ':' || IsAsciiAlnum(t[b - 1]))) {
    // "IP:2001:db8::1", "addr:fe80::1": a ':' after a word that cannot be
    // part of an address (it has a letter beyond a-f) is a label's colon.
    if (t[b - 1] != ':' || b < 2 || !IsAsciiAlnum(t[b - 2])) return false;
    size_t k = b - 1;
    bool word = false;
    while (k > 0 && IsAsciiAlnum(t[k - 1])) {
      const char c = static_cast<char>(t[k - 1] | 0x20);
      word = word || (c >= 'g' && c <= 'z');
      --k;
    }
    if (!word) return false;
  }
  return true;
}

bool IsAsciiAlpha(char c) {
  return IsAsciiAlnum(c) && !IsAsciiDigit(c);
}

// Whether the letters t[from, to) are, case-insensitively, one of `words`.
bool IsWordIn(std::string_view t, size_t from, size_t to, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (w.size() != to - from) continue;
    size_t k = 0;
    while (k < w.size() && AsciiLower(t[from + k]) == w[k]) ++k;
    if (k == w.size()) return true;
  }
  return false;
}

// Labels people glue to a number ("HP010-1234-5678", "TEL01012345678",
// "rrn900101-1234567", "card4111111111111111"): a whole word of letters just
// before a candidate that starts with a digit does not glue it. Product
// codes ("SKU01012345678", "A010-1234-5678") still do.
[[gnu::noinline]] bool LabelBefore(std::string_view t, size_t b) {
  size_t k = b;
  while (k > 0 && b - k <= 12 && (IsAsciiAlpha(t[k - 1]) || (t[k - 1] == '_' && k < b))) --k;
  if (k == b || (k > 0 && IsAsciiAlnum(t[k - 1]))) return false;
  if (k > 0 && t[k - 1] == '.') {
    // The top-level domain of an e-mail address ends a word too:
    // "kim@example.com010-1234-5678".
    size_t j = k - 1;
    while (j > 0 && k - j <= 255 && (IsAsciiAlnum(t[j - 1]) || t[j - 1] == '.' || t[j - 1] == '-')) --j;
    if (j > 0 && t[j - 1] == '@') return true;
  }
  if (IsWordIn(t, k, b,
               {"hp", "tel", "ph", "phone", "mobile", "mob", "cell", "fax", "rrn", "ssn", "card", "acct", "account",
                "cellphone", "telephone", "handphone", "mobilephone", "phoneno", "phonenumber", "mobileno", "telno",
                "cardno", "cardnumber", "jumin", "juminno", "id", "mobilenumber", "cellno", "telnumber", "contactno",
                "phone_no", "tel_no", "residentno", "jumin_no", "arc", "cardnum", "card_no", "cc", "ccnum", "visa",
                "bank", "accountno", "acctno", "account_no", "call", "contact", "kakao", "sms", "no", "num", "pan",
                // found by review (markup-stripped text): a resident, a
                // messenger, card brands
                "resident", "whatsapp", "amex", "master", "mastercard", "jcb", "diners", "discover", "unionpay"})) {
    return true;
  }
  // "M" on a business card, only before a mobile number ("M15440229" is a
  // serial number). (Not "P" or "T": "P010-9670-1169" is as often a product
  // code.)
  if (b - k == 1) return AsciiLower(t[k]) == 'm' && t.substr(b, 2) == "01";
  // Compounds of a label: "hpNo", "hp_no", "mobileNum", "userphone",
  // "custMobileNo": a "no", "num" or "number" after it is dropped, then the
  // rest is a label word or ends with one of four letters or more.
  char w[16];
  size_t n = 0;
  for (size_t i = k; i < b && n < sizeof(w); ++i) w[n++] = AsciiLower(t[i]);
  std::string_view rest(w, n);
  for (std::string_view suffix : {std::string_view("number"), std::string_view("num"), std::string_view("no")}) {
    if (rest.size() > suffix.size() && rest.ends_with(suffix)) {
      rest.remove_suffix(suffix.size());
      if (rest.ends_with('_')) rest.remove_suffix(1);
      break;
    }
  }
  if (rest.size() == n) {
    for (std::string_view word : {std::string_view("phone"), std::string_view("mobile"), std::string_view("card"),
                                  std::string_view("account"), std::string_view("jumin")})
      if (rest.ends_with(word)) return true;
    return false;
  }
  if (rest == "hp" || rest == "tel" || rest == "mob" || rest == "cell" || rest == "acct" || rest == "card" ||
      rest == "rrn" || rest == "id") {
    return true;
  }
  for (std::string_view word : {std::string_view("phone"), std::string_view("mobile"), std::string_view("card"),
                                std::string_view("account"), std::string_view("jumin"), std::string_view("resident")})
    if (rest.ends_with(word)) return true;
  return false;
}

// The same after a candidate that ends with a digit: "010-1234-5678ext12",
// "4111111111111111exp", then a digit, the end or a non-alphanumeric.
[[gnu::noinline]] bool LabelAfter(std::string_view t, size_t e) {
  size_t k = e;
  while (k < t.size() && k - e <= 4 && IsAsciiAlpha(t[k])) ++k;
  if (k == e || (k < t.size() && IsAsciiAlpha(t[k]))) return false;
  return IsWordIn(t, e, k, {"ext", "exp", "x"});
}

// Detectors whose validator or shape is strong enough (Luhn and an issuer's
// length, a date with a gender digit, a Korean phone's prefix and grouping)
// that a '-' and more digits after the number do not make it part of a
// longer one: "[card]-1228" (an expiry), "[phone]-1" (a sequence),
// "[phone]-[phone]" (a list).
inline bool StrongNumber(Validator v) {
  return v == Validator::kCard || v == Validator::kRrn || v == Validator::kFrn || v == Validator::kPhoneKr;
}

// Detectors for which a '-' or '.' after a digit before the match glues it
// to a longer number: bank accounts (any 11-14 digits near a bank word:
// "입금 2026-0115-123456789" is a reference number), driver's licences
// (their old form is the new one's last groups: "29-22-123456-01") and IP
// addresses (OIDs, versions: "1.3.6.1.4.1"). Every other detector is found after one: "1-"
// numbering a list, "2024-01-15-" a date, or another hit
// ("[rrn]-[rrn]", "[mobile]-[rrn]"). Phone numbers other than mobiles
// (01X) and +82 forms keep both glue rules (WeakPhone): business numbers
// ("1588-1234") and landlines ("02-7056312") are as often a longer number's
// last groups ("5348-6314-1899-4919", an account "3333-02-7056312").
inline bool GluedByDigitBefore(Validator v) {
  return v == Validator::kBankAccountKr || v == Validator::kDriverLicenseKr || v == Validator::kBrnChecksum ||
         v == Validator::kIpv4 || v == Validator::kIpv6;
}
// A phone match that is not a mobile number: its first digits (separators
// and parentheses skipped) are not 01X, nor 1X after 82 or 0082. (A trunkless
// 10-1234-5678 without the 82 is weak: "0083-10-1234-5678" is a code.)
inline bool WeakPhone(Validator v, std::string_view t, size_t b) {
  if (v != Validator::kPhoneKr || t[b] == '+') return false;
  char d[8];
  size_t n = 0;
  for (size_t i = b; i < t.size() && i < b + 24 && n < sizeof d; ++i) {
    const char c = t[i];
    if (IsAsciiDigit(c))
      d[n++] = c;
    else if (IsAsciiAlpha(c) || static_cast<unsigned char>(c) >= 0x80)
      break;
  }
  std::string_view s(d, n);
  if (s.starts_with("00")) s.remove_prefix(2);
  if (s.starts_with("82")) {
    s.remove_prefix(2);
    if (s.starts_with("0")) s.remove_prefix(1);
    return !s.starts_with("1");
  }
  return !s.starts_with("01");
}

// Detectors whose hits are numbers that a validator accepts: one that
// passes by chance (a Luhn check passes one run of digits in ten) may begin
// inside a neighbour, a phone before a card ("010 9876 5432 4539 1488 0343
// 6467": a false card from 010 to 1488). Their candidates are looked for at
// every begin, inside their own previous candidates too, so the real one is
// among them and the overlap resolution sees both. Their matches are short
// (a few dozen bytes), so that costs a bounded amount per begin. Other
// detectors (e-mail, IP addresses, a policy's patterns without a number
// validator) resume after a hit.
inline bool OverlapsItself(Validator v) {
  switch (v) {
    case Validator::kLuhn:
    case Validator::kRrnDate:
    case Validator::kRrn:
    case Validator::kFrn:
    case Validator::kBrnChecksum:
    case Validator::kPhoneKr:
    case Validator::kCard:
    case Validator::kDriverLicenseKr:
    case Validator::kBankAccountKr: return true;
    case Validator::kNone:
    case Validator::kEmail:
    case Validator::kIpv4:
    case Validator::kIpv6: return false;
  }
  return false;
}

// Text where every begin is a candidate ("6 2 6 2 6 …", a card at each
// digit) would keep a candidate per two bytes: a detector tries begins
// inside its own candidates only while it has found at most one candidate
// per kSelfOverlapBytes bytes so far (plus a start allowance), then resumes
// after its hits as other detectors do. Digit groups people write (a card's
// four digits and a separator, a phone's three or four) stay well under it.
constexpr size_t kSelfOverlapBytes = 8;
constexpr size_t kSelfOverlapAllowance = 16;
inline bool MayOverlapItself(Validator v, size_t candidates_so_far, size_t begin) {
  return OverlapsItself(v) && candidates_so_far <= begin / kSelfOverlapBytes + kSelfOverlapAllowance;
}

// Whether `spec` is the built-in detector `name` with its own pattern (a
// policy may define a detector of that name with another).
bool IsBuiltin(const DetectorSpec& spec, std::string_view name) {
  static const std::vector<DetectorSpec> kDefaults = Scanner::Defaults();
  for (const DetectorSpec& d : kDefaults)
    if (d.name == name) return spec.name == name && spec.pattern == d.pattern;
  return false;
}

// Whether a pattern can match the empty string: at the start or end of a
// text, or between characters ('\b', '^', '(?:)'), tried on a few texts.
bool MatchesEmpty(const RE2& re) {
  for (std::string_view text : {"", "a", " a ", "0", "a0 ", "-", "가"}) {
    for (size_t at = 0; at <= text.size(); ++at) {
      re2::StringPiece m;
      if (re.Match(text, at, text.size(), RE2::UNANCHORED, &m, 1) && m.empty()) return true;
    }
  }
  return false;
}

// Whether the digits that end at e follow a '.': the number there is
// grouped with dots (its last group is at most 19 digits long).
inline bool DottedBefore(std::string_view t, size_t e) {
  size_t k = e;
  while (k > 0 && e - k < 20 && IsAsciiDigit(t[k - 1])) --k;
  return k > 0 && t[k - 1] == '.';
}

// Whether a '-' or '.' after a digit comes right before b (GluedByDigitBefore).
inline bool DigitGlueBefore(const NormalizedText& norm, std::string_view t, size_t b) {
  return b > 1 && IsAsciiAlnum(t[b]) && (t[b - 1] == '-' || t[b - 1] == '.') && IsAsciiDigit(t[b - 2]) &&
         !norm.Seam(b) && !norm.Seam(b - 1);
}

// The glue before b that makes any match there part of a longer number: a
// '.' after a digit, unless the match's first group is followed by a '-' or
// blanks and more digits. So a decimal fraction stays one number
// ("0.6714114753695926", "128.7367019407843"), and so does a number grouped
// with dots ("1.4111.1111.1111.1111", as "4111.1111.1111.1111.5"); a grouped
// number after "1." numbering a list is found ("1.900101-1234568",
// "1.010 1234 5678").
inline bool DotGlueBefore(const NormalizedText& norm, std::string_view t, size_t b) {
  if (!DigitGlueBefore(norm, t, b) || t[b - 1] != '.') return false;
  size_t k = b;
  while (k < t.size() && IsAsciiDigit(t[k])) ++k;
  size_t j = k;
  while (j < t.size() && j - k < 3 && (t[j] == ' ' || t[j] == '\t' || t[j] == '-')) ++j;
  return !(j > k && j < t.size() && IsAsciiDigit(t[j]));
}

// Whether a '-' or '.' and a digit come right after e.
inline bool DigitGlueAfter(const NormalizedText& norm, std::string_view t, size_t e) {
  return e + 1 < t.size() && (t[e] == '-' || t[e] == '.') && IsAsciiDigit(t[e + 1]) && IsAsciiDigit(t[e - 1]) &&
         !norm.Seam(e) && !norm.Seam(e + 1);
}

// Whether a number of a strong kind (StrongNumber: a card, an RRN or FRN, a
// mobile phone) starts grouped at b (a '+' before it skipped): two to six
// digits, then a '-', '.' or blank and a digit ("900101-", "010-",
// "+82-", "4111 ").
bool StrongGroupAt(std::string_view t, size_t b, Validator v) {
  if (!StrongNumber(v) || WeakPhone(v, t, b)) return false;
  if (b < t.size() && t[b] == '+') ++b;
  size_t k = b;
  while (k < t.size() && k - b <= 6 && IsAsciiDigit(t[k])) ++k;
  return k - b >= 2 && k - b <= 6 && k + 1 < t.size() && (t[k] == '-' || t[k] == '.' || t[k] == ' ') &&
         IsAsciiDigit(t[k + 1]);
}

// A word glued after a grouped strong number (StrongGroupAt) that is the
// next word of a text whose markup was stripped, not a code's suffix: a
// capitalized word ("900101-1234568Name", "010-1234-5678Fax") or a card
// brand or label in capitals ("4111-1111-1111-1111VISA"), standing alone
// after it (found passing by review). Suffixes of ids and parcel numbers
// ("240914-8406248KR", "…-1234567abc", "…-1234567a.jpg") are not.
bool WordAfterGroup(std::string_view t, size_t b, size_t e, Validator v) {
  if (e >= t.size() || !IsAsciiAlpha(t[e]) || !IsAsciiDigit(t[e - 1])) return false;
  size_t k = e;
  while (k < t.size() && k - e <= 16 && IsAsciiAlpha(t[k])) ++k;
  if (k < t.size() && (IsAsciiAlnum(t[k]) || t[k] == '.' || t[k] == '_')) return false;  // "a.jpg", "abc123"
  const std::string_view w = t.substr(e, k - e);
  bool capitalized = w.size() >= 3 && w[0] >= 'A' && w[0] <= 'Z';
  for (size_t i = 1; i < w.size() && capitalized; ++i) capitalized = w[i] >= 'a' && w[i] <= 'z';
  if (!capitalized) {
    static constexpr std::string_view kWords[] = {"VISA", "MASTER", "MASTERCARD", "AMEX",  "JCB",  "BC",
                                                  "EXP",  "FAX",    "TEL",        "EMAIL", "NAME", "HP"};
    bool known = false;
    for (std::string_view x : kWords) known = known || w == x;
    if (!known) return false;
  }
  // A resident number glued so only with its checksum: an id of a date and
  // a serial passes without one ("240115-1234567Seoul": a third review).
  if (v == Validator::kRrn || v == Validator::kFrn) {
    char d[14];
    size_t n = 0;
    for (size_t i = b; i < e && n < 14; ++i)
      if (IsAsciiDigit(t[i])) d[n++] = t[i];
    if (n != 13 || !RrnChecksumValid(std::string_view(d, 13), v == Validator::kFrn)) return false;
  }
  return StrongGroupAt(t, b, v);
}

// A hit's first and last characters must not be glued to the text around
// them (a digit or letter; for some detectors a '-'/'.' and a digit, see
// GluedByDigitBefore and StrongNumber): "A010-1234-5678" is another number.
// A neighbour that normalization folded from a character a reader sees
// apart is not glued (NormalizedText::Seam): "①010-…", "…5678¹", "3·010-…".
// (Seam is asked last: only where the text would otherwise glue.)
inline bool StartOk(const NormalizedText& norm, std::string_view t, size_t b, Validator v) {
  if (b > 0 && IsAsciiAlnum(t[b])) {
    const char p = t[b - 1];
    if (IsAsciiAlnum(p) && !(IsAsciiAlpha(p) && IsAsciiDigit(t[b]) && LabelBefore(t, b)) && !norm.Seam(b)) {
      return false;
    }
    if (DigitGlueBefore(norm, t, b) && (GluedByDigitBefore(v) || WeakPhone(v, t, b))) return false;
    if (DotGlueBefore(norm, t, b)) return false;
  }
  return v != Validator::kIpv6 || Ipv6StartOk(t, b);
}

inline bool EndOk(const NormalizedText& norm, std::string_view t, size_t e, Validator v) {
  // After an e-mail's top-level domain (letters, the match took them all),
  // anything ends it: "kim@example.com010-1234-5678", "….com-1".
  if (v == Validator::kEmail) return true;
  if (e < t.size() && IsAsciiAlnum(t[e - 1])) {
    const char n = t[e];
    if (IsAsciiAlnum(n) && !(IsAsciiAlpha(n) && IsAsciiDigit(t[e - 1]) && LabelAfter(t, e)) && !norm.Seam(e)) {
      return false;
    }
    // A card or resident number that validates is not made another number
    // by a "-1228" after it (an expiry, a sequence), nor by a ".1228" or
    // ".0" unless it is itself grouped with dots ("4111.1111.1111.1111.5" is
    // a dotted build number): it stays PII.
    if ((n == '.' || n == '-') && e + 1 < t.size() && IsAsciiDigit(t[e + 1]) &&
        (!StrongNumber(v) || (n == '.' && DottedBefore(t, e))) && !norm.Seam(e) && !norm.Seam(e + 1)) {
      return false;
    }
  }
  if (v == Validator::kIpv6 && e < t.size() && (t[e] == ':' || IsAsciiAlnum(t[e]))) return false;
  return true;
}

// Whether the digits ending at e are an amount: 원 standing alone after them
// (not 원본, 원래, 원천징수), or KRW or won, a blank between allowed.
bool AmountAfter(std::string_view t, size_t e) {
  size_t k = e;
  if (k < t.size() && t[k] == ' ') ++k;
  if (t.substr(k).starts_with("원")) return k + 3 >= t.size() || static_cast<unsigned char>(t[k + 3]) < 0x80;
  if (k + 3 > t.size() || (k + 3 < t.size() && IsAsciiAlpha(t[k + 3]))) return false;
  const std::string_view w = t.substr(k, 3);
  return (AsciiLower(w[0]) == 'k' && AsciiLower(w[1]) == 'r' && AsciiLower(w[2]) == 'w') ||
         (AsciiLower(w[0]) == 'w' && AsciiLower(w[1]) == 'o' && AsciiLower(w[2]) == 'n');
}

// A bank account stands alone: bare digits are no amount (AmountAfter:
// "이체 금액 15000000000원", "잔액 35000000000 KRW", found by a fifth review),
// and one grouped by spaces is not the first groups of a longer run of digit
// groups ("5437 5020 0654 8930", a card that fails Luhn) nor its last ones.
// Whether the word right before b (blanks or a ':' between) is an
// account's own label: 계좌, 계좌번호, 통장번호, account, acct, a bank's
// name (신한, 국민, ...은행, KB).
bool AccountLabelRightBefore(std::string_view t, size_t b) {
  size_t k = b;
  while (k > 0 && b - k < 3 && (t[k - 1] == ' ' || t[k - 1] == ':')) --k;
  size_t w = k;
  while (w > 0 && k - w < 24 && (IsAsciiAlpha(t[w - 1]) || static_cast<unsigned char>(t[w - 1]) >= 0x80)) --w;
  while (w < k && (static_cast<unsigned char>(t[w]) & 0xC0) == 0x80) ++w;  // a whole character first
  const std::string_view word = t.substr(w, k - w);
  for (std::string_view end : {"계좌", "계좌번호", "통장번호", "은행", "뱅크"})
    if (word.ends_with(end)) return true;
  for (std::string_view bank : {"신한", "국민", "우리", "하나", "농협", "기업", "우체국", "수협", "씨티", "새마을금고",
                                "부산", "대구", "경남", "광주", "전북", "제주", "산업"})
    if (word == bank) return true;
  char lower[8];
  if (word.size() > sizeof lower) return false;
  for (size_t i = 0; i < word.size(); ++i) lower[i] = AsciiLower(word[i]);
  const std::string_view l(lower, word.size());
  return l == "account" || l == "acct" || l == "kb" || l == "nh" || l == "ibk";
}

// Whether a word of an amount stands in the 20 characters before b (금액,
// 잔액, 잔고, 합계, 원금, amount, balance, total, ...): with 원 or KRW after
// them, bare digits there are the amount (a seventh review found accounts
// before "원 계좌" passing when only 원 decided).
bool AmountWordBefore(std::string_view t, size_t b) {
  size_t lo = b;
  for (size_t n = 0; n < 20 && lo > 0; ++n) {
    --lo;
    while (lo > 0 && (static_cast<unsigned char>(t[lo]) & 0xC0) == 0x80) --lo;
  }
  const std::string_view before = t.substr(lo, b - lo);
  for (std::string_view w : {"금액", "잔액", "잔고", "합계", "총액", "원금", "대출금", "입금액", "출금액", "이체액",
                             "결제액", "한도", "amount", "balance", "total", "sum"})
    if (before.find(w) != std::string_view::npos) return true;
  return false;
}

inline bool AccountStandsAlone(std::string_view t, size_t b, size_t e) {
  const std::string_view m = t.substr(b, e - b);
  // (An account's own label right before it wins over 원 or KRW after it:
  // "입금 계좌 110123456789 KRW", "신한 110123456789 원 계좌": a sixth review.)
  if (m.find_first_not_of("0123456789") == std::string_view::npos)
    return !AmountAfter(t, e) || AccountLabelRightBefore(t, b) || !AmountWordBefore(t, b);
  if (m.find(' ') == std::string_view::npos) return true;
  const auto digit = [&](size_t i) { return i < t.size() && IsAsciiDigit(t[i]); };
  return !(e + 1 < t.size() && t[e] == ' ' && digit(e + 1)) && !(b >= 2 && t[b - 1] == ' ' && digit(b - 2));
}

// The four parts of the dotted quad at [b, e).
std::array<int, 4> QuadParts(std::string_view t, size_t b, size_t e) {
  std::array<int, 4> parts = {0, 0, 0, 0};
  size_t n = 0;
  for (size_t i = b; i < e && n < 4; ++i) {
    if (t[i] == '.') {
      ++n;
      continue;
    }
    parts[n] = parts[n] * 10 + (t[i] - '0');
  }
  return parts;
}

// Whether a quad reads as a version: a first part below 40 (6.12.3.4,
// 13.1.2.5), not 10 unless a 0 is among the others (10.x.y.z is the private
// network's; 10.0.1.2 a version as often).
bool QuadReadsAsVersion(const std::array<int, 4>& parts) {
  return parts[0] < 40 && (parts[0] != 10 || parts[1] == 0 || parts[2] == 0 || parts[3] == 0);
}

// Whether the dotted quad at [b, e) is a version or an article's number, not
// an IP address (found by review: app and browser versions, central to
// payment-failure analytics, were masked): the word right before it (blanks,
// ':', '=', '.', '/' or '(' between) is a version word ("버전 10.2.3.1",
// "version 2.1.0.15", "ver.1.2.3.4", "빌드 2.0.10.255", "버전(8.5.2.1)"), or
// a client's name ("Android 13.0.0.1", "Samsung Internet 23.0.1.1", "앱
// 6.12.0.3", "APK 4.2.11.7", "신한 SOL 8.5.2.1") and the quad reads as a
// version: a first part below 40, not 10 unless a 0 is among the others (an
// address after a client's name, "Edge 203.0.113.45", "Windows
// 10.20.30.40", stays one); or a quad that reads as a version comes right
// before a version's word ("8.5.2.1 버전으로", "3.2.1.0 update") and after
// no address's label ("IP 8.8.8.8 patch" stays one); or 제 is glued before
// it and 항, 조 or 절 after it ("제3.2.1.4항").
[[gnu::noinline]] bool VersionOrArticle(std::string_view t, size_t b, size_t e) {
  if (b >= 3 && t.substr(b - 3, 3) == "제" &&
      (t.substr(e).starts_with("항") || t.substr(e).starts_with("조") || t.substr(e).starts_with("절")))
    return true;
  const std::array<int, 4> parts = QuadParts(t, b, e);
  // N.0.0.0 is a network's address, never a host's, and a version as often
  // ("Chrome/120.0.0.0": every Chrome user agent since 2022, found by review).
  if (parts[1] == 0 && parts[2] == 0 && parts[3] == 0) return true;
  const bool version_like = QuadReadsAsVersion(parts);
  size_t k = b;
  while (k > 0 && k + 4 > b && std::string_view(" \t:=./(").find(t[k - 1]) != std::string_view::npos) --k;
  if (k == b && k > 0 && IsAsciiAlnum(t[k - 1])) return false;  // glued: StartOk's case
  size_t w = k;
  while (w > 0 && k - w < 16 && (IsAsciiAlpha(t[w - 1]) || static_cast<unsigned char>(t[w - 1]) >= 0x80)) --w;
  char buf[16];
  for (size_t i = w; i < k; ++i) buf[i - w] = AsciiLower(t[i]);
  const std::string_view word(buf, k - w);
  const auto is = [&](std::string_view v) {
    // ASCII words whole; Korean ones at the word's end (모바일앱, 신규버전).
    return word == v || (static_cast<unsigned char>(v[0]) >= 0x80 && word.ends_with(v));
  };
  for (std::string_view v : {"version", "ver", "v", "build", "rev", "revision", "release", "patch", "버전", "빌드",
                             "릴리즈", "패치", "업데이트"})
    if (is(v)) return true;
  // An address's own label before it wins ("IP 8.8.8.8 patch 적용", "client:
  // 39.7.55.101": a sixth review found both passing).
  for (std::string_view v : {"ip", "ipv4", "addr", "address", "host", "client", "remote", "from", "src", "dst", "peer",
                             "server", "아이피", "접속", "주소"})
    if (is(v)) return false;
  // A version-like quad before a version's word ("8.5.2.1 버전으로", "(8.5.2.1)
  // 업데이트", "3.2.1.0 build": a fifth review), with no word before it ("사용자
  // 12.3.4.5 업데이트", "gateway 21.44.5.6 patch" are addresses: a seventh).
  if (version_like && word.empty()) {
    size_t a = e;
    while (a < t.size() && a < e + 3 && (t[a] == ' ' || t[a] == ')')) ++a;
    const std::string_view after = t.substr(a, 12);
    for (std::string_view v : {"버전", "빌드", "업데이트", "패치", "설치", "릴리즈", "version", "ver", "build",
                               "update", "patch", "release", "install"})
      if (after.size() >= v.size() &&
          std::equal(v.begin(), v.end(), after.begin(), [](char x, char y) { return x == AsciiLower(y); }) &&
          (after.size() == v.size() || !IsAsciiAlpha(after[v.size()]) || static_cast<unsigned char>(v[0]) >= 0x80))
        return true;
  }
  // A client's name (an app, a browser, an OS; not a word a log or a payment
  // names an address with: "client", "agent", "페이", "뱅킹", a sixth review).
  bool client = false;
  for (std::string_view v : {"android",  "ios",        "ipados",  "macos",  "chrome",   "safari",  "firefox", "whale",
                             "internet", "edge",       "windows", "opera",  "firmware", "sdk",     "app",     "apk",
                             "ipa",      "module",     "plugin",  "engine", "library",  "webview", "browser", "sol",
                             "앱",       "안드로이드", "펌웨어",  "모듈",   "플러그인", "웹뷰",    "브라우저"})
    client = client || is(v);
  return client && version_like;
}

// EndOk for the match [b, e): a weak phone number keeps the glue rule after it.
// A bank account grouped by spaces stands alone (AccountStandsAlone). A
// dotted quad after a version word is none (VersionOrArticle).
inline bool EndOkAt(const NormalizedText& norm, std::string_view t, size_t b, size_t e, Validator v) {
  // The next word glued after a grouped strong number ("…-1234568Name",
  // "…-1111VISA": WordAfterGroup).
  return (EndOk(norm, t, e, v) || WordAfterGroup(t, b, e, v)) &&
         !(v == Validator::kPhoneKr && DigitGlueAfter(norm, t, e) && WeakPhone(v, t, b)) &&
         (v != Validator::kBankAccountKr || AccountStandsAlone(t, b, e)) &&
         (v != Validator::kIpv4 || !VersionOrArticle(t, b, e));
}

// A resident number written with its year in full ("19900101-1234568",
// "19900101 1234568", "199001011234568", "1990-01-01-1234568"), as forms
// that ask for a birth date in eight digits make people write it. The rrn
// pattern's six-digit date starts inside a run of digits there, which
// StartOk refuses (a longer number), so the scanner looks for these itself,
// on both paths: a run of exactly seven digits (the serial) after the
// separators the rrn pattern takes between date and serial (blanks, or a '-'
// or '.' with blanks around it) after a date of exactly eight digits, or
// after a date written YYYY-MM-DD (or with '.' or '/') and a '-' or '.'; or
// fifteen digits in one run. The date's first two digits must be the
// century the gender digit says (19 for 1, 2, 5, 6; 20 for 3, 4, 7, 8), the
// date valid, and the checksum right: a date with a sequence number after it
// ("20241201-3000123", an order number) would pass often without it, so
// numbers issued since October 2020 (random last digit) are found this way
// only when that digit happens to match, or when a word before it says what
// it is (internal::RrnWordBefore: "주민번호 90.01.01-1234567"). A two-digit
// year written with the date's separators ("90.01.01-1234568") counts too. Appends [begin, end) and whether
// the gender digit is a foreigner's to *out.
struct LongYearRrn {
  size_t begin;
  size_t end;
  bool foreign;
};

// The begin of a full-year date ending at e (the date's last digit at e - 1)
// in one of the forms above, or npos; *date gets its eight digits. A date
// written YY-MM-DD (or with '.' or '/': "90.01.01-1234568") counts too; its
// century is the one the gender digit g says.
size_t FullYearDateBefore(std::string_view t, size_t e, bool blank_after, char g, char* date, bool* short_year) {
  *short_year = false;
  size_t b = e;
  while (b > 0 && IsAsciiDigit(t[b - 1])) --b;
  if (e - b == 8) {
    t.copy(date, 8, b);
    return b;
  }
  // YYYY-MM-DD: the separator after it must not be blanks alone.
  if (e - b != 2 || blank_after || b < 6) return std::string_view::npos;
  const char sep = t[b - 1];
  if ((sep != '-' && sep != '.' && sep != '/') || t[b - 4] != sep || !IsAsciiDigit(t[b - 2]) ||
      !IsAsciiDigit(t[b - 3]) || !IsAsciiDigit(t[b - 5]) || !IsAsciiDigit(t[b - 6])) {
    return std::string_view::npos;
  }
  size_t y = b - 6;
  if (y >= 2 && IsAsciiDigit(t[y - 1]) && IsAsciiDigit(t[y - 2])) {
    y -= 2;
    t.copy(date, 4, y);
  } else {
    const std::string_view century = RrnCentury(g);
    if (century.size() != 2) return std::string_view::npos;
    century.copy(date, 2);
    *short_year = true;
    t.copy(date + 2, 2, y);
  }
  if (y > 0 && IsAsciiDigit(t[y - 1])) return std::string_view::npos;
  t.copy(date + 4, 2, b - 3);
  t.copy(date + 6, 2, b);
  return y;
}

void FindLongYearRrns(const NormalizedText& norm, std::string_view t, std::vector<LongYearRrn>* out) {
  const size_t n = t.size();
  if (n < 15) return;
  for (size_t i = 0; i + 7 <= n;) {
    // Runs of at least seven digits: look at every seventh byte first.
    if (!IsAsciiDigit(t[i + 6])) {
      i += 7;
      continue;
    }
    // (t[i - 1] is not a digit: i is 0, or past a run or a skipped byte.)
    size_t k = i + 6;
    while (k > i && IsAsciiDigit(t[k - 1])) --k;
    size_t e = i + 6;
    while (e < n && IsAsciiDigit(t[e])) ++e;
    i = e;
    char date[8];
    bool short_year = false;
    size_t b = std::string_view::npos;
    if (e - k == 15) {
      t.copy(date, 8, k);
      b = k;
      k += 8;
    } else if (e - k == 7 && k > 8) {
      // The separator before the serial, as kSep (defaults.cc) takes it.
      size_t s = k;
      size_t blanks = 0;
      while (s > 0 && blanks < 3 && (t[s - 1] == ' ' || t[s - 1] == '\t')) --s, ++blanks;
      bool blank_only = true;
      if (s > 0 && (t[s - 1] == '-' || t[s - 1] == '.') && blanks <= 2) {
        blank_only = false;
        --s;
        for (size_t before = 0; before < 2 && s > 0 && (t[s - 1] == ' ' || t[s - 1] == '\t'); ++before) --s;
      }
      if (s == k || s == 0 || !IsAsciiDigit(t[s - 1])) continue;
      b = FullYearDateBefore(t, s, blank_only, t[k], date, &short_year);
    }
    if (b == std::string_view::npos) continue;
    const char g = t[k];
    if (g == '9' || g == '0' || std::string_view(date, 2) != RrnCentury(g)) continue;  // (not the 1800s)
    char d[13];
    std::copy_n(date + 2, 6, d);
    t.copy(d + 6, 7, k);
    const bool foreign = g >= '5' && g <= '8';
    // The checksum, or for a two-digit year a word before it that says what
    // it is (numbers issued since October 2020 carry none: "주민번호
    // 90.01.01-1234567"; with the year in full, "20240101-3000123" is as
    // often an order number after any word).
    if (!RrnDateValid(std::string_view(d, 6), g) ||
        (!RrnChecksumValid(std::string_view(d, 13), foreign) && !(short_year && internal::RrnWordBefore(t, b))))
      continue;
    if (!StartOk(norm, t, b, Validator::kRrn) || !EndOk(norm, t, e, Validator::kRrn)) continue;
    out->push_back({b, e, foreign});
  }
}

// The length of one of d's words that starts at t[i] and ends by `to`, or
// 0. ASCII letters compared case-insensitively (the words are lowercased),
// without copying.
[[gnu::always_inline]] inline size_t WordAt(const Detector& d, std::string_view t, size_t i, size_t to) {
  const auto c = static_cast<unsigned char>(AsciiLower(t[i]));
  for (uint32_t w : d.words_by_first[c]) {
    const std::string& word = d.context_words[w];
    if (word.size() > to - i) continue;
    size_t k = 1;
    while (k < word.size() && AsciiLower(t[i + k]) == word[k]) ++k;
    if (k != word.size()) continue;
    // A short ASCII word ("kb", "nh", "a/c", "bnk") only standing alone:
    // not inside "kbps", "enhance" or "data/config".
    if (word.size() <= 3 && IsAsciiAlpha(word[0]) &&
        ((i > 0 && IsAsciiAlpha(t[i - 1])) || (i + word.size() < t.size() && IsAsciiAlpha(t[i + word.size()])))) {
      continue;
    }
    return word.size();
  }
  return 0;
}

// Whether one of d's words occurs in t[from, to).
bool HasWord(const Detector& d, std::string_view t, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i)
    if (WordAt(d, t, i, to) != 0) return true;
  return false;
}

// The bytes `window` characters (code points) before b and after e.
std::pair<size_t, size_t> ContextBounds(std::string_view t, size_t b, size_t e, size_t window) {
  size_t lo = b;
  for (size_t k = 0; k < window && lo > 0; ++k) {
    --lo;
    while (lo > 0 && (static_cast<unsigned char>(t[lo]) & 0xC0) == 0x80) --lo;
  }
  size_t hi = e;
  for (size_t k = 0; k < window && hi < t.size(); ++k) {
    ++hi;
    while (hi < t.size() && (static_cast<unsigned char>(t[hi]) & 0xC0) == 0x80) ++hi;
  }
  return {lo, hi};
}

// Whether t[from, to) holds one of the lowercase ASCII `words` as a word of
// its own (no ASCII letter right before or after it), case-insensitively.
bool HasWholeWord(std::string_view t, size_t from, size_t to, std::initializer_list<std::string_view> words) {
  for (size_t i = from; i < to; ++i) {
    if (i > 0 && IsAsciiAlpha(t[i - 1])) continue;
    for (std::string_view w : words) {
      if (w.size() > to - i) continue;
      size_t k = 0;
      while (k < w.size() && AsciiLower(t[i + k]) == w[k]) ++k;
      if (k == w.size() && (i + k >= t.size() || !IsAsciiAlpha(t[i + k]))) return true;
    }
  }
  return false;
}

// Whether t[from, to) holds one of the lowercase `words` (ASCII letters
// compared case-insensitively).
bool HasAnyWord(std::string_view t, size_t from, size_t to, std::initializer_list<std::string_view> words) {
  for (size_t i = from; i < to; ++i) {
    for (std::string_view w : words) {
      if (w.size() > to - i) continue;
      size_t k = 0;
      while (k < w.size() && AsciiLower(t[i + k]) == w[k]) ++k;
      if (k == w.size()) return true;
    }
  }
  return false;
}

// 운전면허번호 in its weaker forms (defaults.cc): the old 2-6-2 form only right
// after a region's name ("서울 12-345678-90", also "서울특별시", "경기도",
// "서울: ", "Seoul") or
// after a licence word within 20 characters ("면허번호 12-345678-90"), 12 bare
// digits only after a licence word (a word after them is as often the next
// item: "입금계좌 110024483520 케이뱅크 면허번호: …").
bool LicenseContextOk(std::string_view t, size_t b, size_t e) {
  size_t digits = 0;
  for (size_t i = b; i < e; ++i) digits += IsAsciiDigit(t[i]) ? 1 : 0;
  const bool bare = digits == 12 && e - b == 12;  // 12 digits without separators
  if (digits != 10 && !bare) return true;
  const size_t lo = ContextBounds(t, b, e, 20).first;
  if (bare) return HasAnyWord(t, lo, b, {"면허", "운전", "license", "licence", "driver"});
  // The old form: 운전 and driver also stand in 운전자보험, 대리운전, "driver
  // app" before other numbers of that shape; only a licence word.
  if (HasAnyWord(t, lo, b, {"면허", "license", "licence"})) return true;
  // At most three blanks, colons, parentheses or slashes between the region's
  // name and the number ("서울: 22-…", "서울 (22-…").
  size_t k = b;
  while (k > 0 && b - k < 3 &&
         (t[k - 1] == ' ' || t[k - 1] == '\t' || t[k - 1] == ':' || t[k - 1] == '(' || t[k - 1] == '/'))
    --k;
  // The romanized names, in any case ("Seoul 22-…", "GYEONGGI 13-…").
  static constexpr std::string_view kRomanized[] = {
      "seoul",     "busan", "gyeonggi", "gangwon", "chungbuk", "chungnam", "jeonbuk", "jeonnam", "gyeongbuk",
      "gyeongnam", "jeju",  "daegu",    "incheon", "gwangju",  "daejeon",  "ulsan",   "sejong"};
  for (std::string_view r : kRomanized) {
    if (k >= r.size() && HasAnyWord(t, k - r.size(), k, {r})) return true;
  }
  static constexpr std::string_view kSuffixes[] = {"특별자치시", "특별자치도", "특별시", "광역시", "시", "도", ""};
  static constexpr std::string_view kRegions[] = {
      "서울", "부산", "경기", "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주", "대구", "인천", "광주",
      "대전", "울산", "세종",
      // 경기 split in two (licences say 경기북부 / 경기남부: a
      // fifth review), and the provinces' full names before 도
      "경기북부", "경기남부", "충청북", "충청남", "전라북", "전라남", "경상북", "경상남"};
  for (std::string_view suffix : kSuffixes) {
    if (k < suffix.size() || t.substr(k - suffix.size(), suffix.size()) != suffix) continue;
    const size_t end = k - suffix.size();
    for (std::string_view r : kRegions) {
      if (end >= r.size() && t.substr(end - r.size(), r.size()) == r) return true;
    }
  }
  return false;
}

// Ten bare digits are no business registration number where they are an
// amount, a time or another number: after that number's label, followed by
// 원 (a blank between allowed), or read under
// a name that says an amount or a time ("amount", "total_price",
// "vat_amount", "created_at"; found by review: one amount or id in forty
// passes the tax office codes and the checksum). Grouped 3-2-5 they are one
// wherever they stand.
bool BareBrnIsAmountOrTime(std::string_view t, size_t b, size_t e, std::string_view name) {
  if (e - b != 10) return false;
  // A word before it that says what it is wins ("사업자번호 1208147521원"),
  // and one that names another number ("회원번호 1161042648", "Order
  // 1208147521": a fifth review found one member number in thirty a BRN).
  const size_t before = ContextBounds(t, b, e, 20).first;
  if (HasAnyWord(
          t, before, b,
          {"사업자", "등록번호", "brn", "business", "세금계산서", "공급자", "공급받는자", "biz", "company", "reg"}))
    return false;
  // (ASCII words whole: "Reordered", "Membership", "ticketing" say nothing: a
  // sixth review.)
  // (Only right before it, in its 10 characters: "주문번호 ORD-123, 판매처
  // 1208147521" is a seller's BRN; "member store", "티켓 발행업체" say a
  // business: a sixth review.)
  const size_t label = ContextBounds(t, b, e, 10).first;
  // (Any number's label there but a BRN's, checked above: 회원번호, 주문 번호,
  // 쿠폰번호, "Member ID", "Ref No": a seventh review.)
  if (HasAnyWord(t, label, b, {"번호", "송장"}) ||
      HasWholeWord(t, label, b,
                   {"order", "tracking", "approval", "transaction", "txn", "booking", "reservation", "id", "no",
                    "ticket", "ref", "case"}))
    return true;
  // 원 standing alone (not 원본, 원래, 원천징수: a third review), KRW, won.
  if (AmountAfter(t, e)) return true;
  if (name.empty()) return false;
  // The field's own name only (a parent's "fees" or "total" says nothing of
  // {"merchant_brn": …}), and one that says a BRN wins (a fourth review).
  if (const size_t dot = name.rfind('.'); dot != std::string_view::npos) name.remove_prefix(dot + 1);
  if (HasAnyWord(name, 0, name.size(), {"brn", "biz", "business", "사업자"})) return false;
  // The name's words (split at anything but letters and digits, and where
  // a capital follows a small letter), not its substrings ("feedback",
  // "ticket_attachments", "runtime" say no fee, at or time: a third review).
  static constexpr std::string_view kWords[] = {"amount", "amt", "price", "total", "subtotal",  "balance", "fee",
                                                "fees",   "krw", "at",    "time",  "timestamp", "ts",      "epoch"};
  size_t i = 0;
  while (i < name.size()) {
    if (!IsAsciiAlpha(name[i])) {
      ++i;
      continue;
    }
    const size_t w = i;
    ++i;
    while (i < name.size() && IsAsciiAlpha(name[i]) &&
           !(name[i] >= 'A' && name[i] <= 'Z' && name[i - 1] >= 'a' && name[i - 1] <= 'z'))
      ++i;
    if (i - w > 9) continue;
    char lower[10];
    for (size_t x = w; x < i; ++x) lower[x - w] = AsciiLower(name[x]);
    const std::string_view word(lower, i - w);
    for (std::string_view kw : kWords)
      if (word == kw) return true;
  }
  for (std::string_view kw : {"금액", "가격", "잔액", "합계", "일시"})
    if (name.find(kw) != std::string_view::npos) return true;
  return false;
}

// The words of a name as a schema writes them, lowercased, one blank
// between them: runs of ASCII letters split where a capital follows a small
// letter ("rcvAcntNo": "rcv acnt no"), a run of non-ASCII bytes one word;
// digits and everything else separate them.
void SpacedNameWords(std::string_view name, std::string* out) {
  out->clear();
  bool in_word = false;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    const bool high = c >= 0x80;
    if (!high && !IsAsciiAlpha(name[i])) {
      in_word = false;
      continue;
    }
    // in_word implies i > 0.
    const bool starts = !in_word || high != (static_cast<unsigned char>(name[i - 1]) >= 0x80) ||
                        (c >= 'A' && c <= 'Z' && name[i - 1] >= 'a' && name[i - 1] <= 'z');
    if (starts && !out->empty()) out->push_back(' ');
    out->push_back(AsciiLower(name[i]));
    in_word = true;
  }
}

// What may follow a word NameWordIs looks for: anything, number words only
// (no, num, number, nr, nbr) or none, or one number word or more.
enum class After { kAnything, kNumbersOrEnd, kNumbers };

// Whether one of a name's words (SpacedNameWords) is one of `words`, with
// what `after` allows after it: kNumbersOrEnd, the abbreviation is what the
// field holds ("acnt_no", "DPST_ACNO"), not a thing about it ("acnt_id",
// "acnt_type").
bool NameWordIs(std::string_view spaced, std::initializer_list<std::string_view> words, After after) {
  static constexpr std::string_view kNumber[] = {"no", "num", "number", "nr", "nbr"};
  size_t i = 0;
  while (i < spaced.size()) {
    size_t end = spaced.find(' ', i);
    if (end == std::string_view::npos) end = spaced.size();
    const std::string_view w = spaced.substr(i, end - i);
    i = end + 1;
    bool hit = false;
    for (std::string_view x : words) hit = hit || w == x;
    if (!hit) continue;
    if (after == After::kAnything) return true;
    bool numbers = true;
    size_t count = 0;
    for (size_t k = end + 1; k < spaced.size() && numbers; ++count) {
      size_t e = spaced.find(' ', k);
      if (e == std::string_view::npos) e = spaced.size();
      numbers = false;
      for (std::string_view n : kNumber) numbers = numbers || spaced.substr(k, e - k) == n;
      k = e + 1;
    }
    if (numbers && (after == After::kNumbersOrEnd || count > 0)) return true;
  }
  return false;
}

// Whether a name's words say bank account in the abbreviations Korean
// banking schemas use and text does not (found passing by review: ACNO,
// ACNT_NO, RCV_ACNT_NO, DPST_ACNO, wdrw_acnt_no, va_no), each as the name's
// last word or before number words only ("acnt_id", "acno_seq",
// "vbank_due_date" stay); va (a virtual account) only before a number word.
bool NameSaysAccount(std::string_view spaced) {
  return NameWordIs(spaced,
                    {"acno", "acnt", "actno", "acntno", "acctno", "accno", "accountno", "acnum", "acctnum", "accnum",
                     "vacct", "vacnt", "vacno", "vaccount", "vbank", "vaccno", "vact", "vactno"},
                    After::kNumbersOrEnd) ||
         NameWordIs(spaced, {"va"}, After::kNumbers);
}

// Whether a name's words say driver's licence in the abbreviations schemas
// use (found passing by review: drv_lic_no, dl_no): dl or dln before a
// number word (dl alone is a download's: "dl_count", "dl_url"), dlno,
// drvlic; drv (drvr, drvg) with lic, lcns or licen anywhere ("drv.lic_no",
// "DRV_LCNS_NO"). lic alone is no driver's (a business's licence as often).
bool NameSaysLicence(std::string_view spaced) {
  return NameWordIs(spaced, {"dl", "dln"}, After::kNumbers) ||
         NameWordIs(spaced, {"dlno", "dlnum", "dln", "drvlic", "drvlicno", "drvlcns", "drvlcnsno"},
                    After::kNumbersOrEnd) ||
         (NameWordIs(spaced, {"drv", "drvr", "drvg"}, After::kAnything) &&
          NameWordIs(spaced, {"lic", "lcns", "licen", "licno", "lcnsno"}, After::kAnything));
}

// Whether the name a text is read under (a field's path: "refund_account",
// "passport_no", "driver.license") gives detector d the context it asks
// for: one of its context words in it, its words split where a capital
// follows a small letter ("accNo": acc), or for driver_license_kr a licence
// word (LicenseContextOk's); and the schema abbreviations of an account or
// a licence (NameSaysAccount, NameSaysLicence). A detector that asks for
// none: false (it needs none).
bool NamedContext(const Detector& d, std::string_view name) {
  thread_local std::string spaced;
  if (d.validator == Validator::kDriverLicenseKr) {
    if (HasAnyWord(name, 0, name.size(), {"면허", "license", "licence", "driver"})) return true;
    SpacedNameWords(name, &spaced);
    return NameSaysLicence(spaced);
  }
  if (d.context_words.empty()) return false;
  if (HasWord(d, name, 0, name.size())) return true;
  SpacedNameWords(name, &spaced);
  // Split at its capitals only the account's own words count ("accNo"; not
  // the banks' short names: "kbPayNo", "nhOrderNo" are a payment's ids, a
  // sixth review).
  return d.validator == Validator::kBankAccountKr &&
         (NameSaysAccount(spaced) || HasWholeWord(spaced, 0, spaced.size(), {"acc", "acct"}));
}

// How much of a context name is read (a path's names, from the end).
constexpr size_t kMaxContextName = 256;

// How far before a number a label joined to it by a colon is read
// (LabelJoinedByColon), in characters (code points).
constexpr size_t kColonLabelWindow = 48;

// A label farther away than the context window that a colon joins to the
// number: "Account number for the refund: 110-123-456789", "Customer's
// passport number, as shown on the scan: M12345678", "계좌 변경건 처리
// 완료되었습니다 (변경 후: 1002-123-456789)" (found by review). The number
// follows a ':' (up to two blanks between), and one of d's words stands in
// the clause that ends at that colon, within kColonLabelWindow characters
// before the number: the clause starts after the last sentence end ('.',
// '!', '?', '。', a line break), ';', ':' or digit before the colon (a
// number in between is what an earlier word named: "계좌 110-…, 주문번호:
// 2024-…"). Between the last such word and the colon, no word may name
// another kind of number ("입금 확인, 주문번호: …", "송장", "order",
// "tracking", "승인", "거래", "transaction", "예약", "접수", "사업자").
[[gnu::noinline]] bool LabelJoinedByColon(const Detector& d, std::string_view t, size_t b) {
  size_t k = b;
  while (k > 0 && b - k < 2 && (t[k - 1] == ' ' || t[k - 1] == '\t')) --k;
  if (k == 0 || t[k - 1] != ':') return false;
  const size_t colon = k - 1;
  const size_t lo = ContextBounds(t, b, b, kColonLabelWindow).first;
  size_t s = colon;
  while (s > lo) {
    const char c = t[s - 1];
    if (c == '.' || c == '!' || c == '?' || c == '\n' || c == '\r' || c == ';' || c == ':' || IsAsciiDigit(c)) break;
    if (s >= lo + 3 && t.substr(s - 3, 3) == "\u3002") break;  // 。
    --s;
  }
  size_t word_end = 0;
  for (size_t i = s; i < colon; ++i) {
    const size_t len = WordAt(d, t, i, colon);
    if (len != 0) word_end = i + len;
  }
  if (word_end == 0) return false;
  // The label the colon ends names an id ("문의번호:", "refund id:", "케이스
  // ID:", "fee code:") and holds no word of d's, nor does the word before it
  // ("계좌번호:" and "account number:" do): that id's number (a sixth review
  // found such ids taken for accounts).
  const auto word_start = [&](size_t end) {
    while (end > s && t[end - 1] == ' ') --end;
    size_t w = end;
    while (w > s && (IsAsciiAlnum(t[w - 1]) || static_cast<unsigned char>(t[w - 1]) >= 0x80)) --w;
    return std::pair<size_t, size_t>{w, end};
  };
  const auto [lb, le] = word_start(colon);
  const std::string_view last = t.substr(lb, le - lb);
  bool names_an_id = last.ends_with("번호") || last.ends_with("코드") || last == "아이디" || last == "티켓" ||
                     last == "케이스" || last == "접수";
  if (!names_an_id && last.size() <= 9) {
    char lower[9];
    for (size_t i = 0; i < last.size(); ++i) lower[i] = AsciiLower(last[i]);
    const std::string_view l(lower, last.size());
    for (std::string_view w : {"id", "no", "num", "number", "ref", "reference", "code", "ticket", "case", "request",
                               "inquiry", "order", "invoice", "tracking"})
      names_an_id |= l == w;
  }
  if (names_an_id) {
    const size_t pb = word_start(lb).first;
    bool own = false;
    for (size_t i = pb; i < le && !own; ++i) own = WordAt(d, t, i, le) != 0;
    if (!own) return false;
  }
  return !HasAnyWord(t, word_end, colon,
                     {"주문", "송장", "운송장", "order", "tracking", "invoice", "승인", "approval", "거래",
                      "transaction", "예약", "booking", "reservation", "접수", "사업자"});
}

// Whether the dotted quad at [b, e) is a version by the name of the field it
// is read under (found by review: {"app_version":"6.12.3.4"} and a user
// agent's "NAVER(inapp; search; 2000; 12.1.1.45)" were masked as
// addresses): a quad that reads as a version, and the field's own name ends
// with a version's word (version, ver, build, release, rev, 버전, 빌드) and
// the quad is its whole value, or the name says user agent (user_agent,
// userAgent, ua). Not where the name also says address (ip, addr, host,
// client, server, ...: "ip_version", "build_server_ip"; a re-review found
// addresses passing in "build_log" and "ip_version" with a broader rule).
bool QuadNamedVersion(std::string_view t, size_t b, size_t e, std::string_view name) {
  if (name.empty() || !QuadReadsAsVersion(QuadParts(t, b, e))) return false;
  if (const size_t dot = name.rfind('.'); dot != std::string_view::npos) name.remove_prefix(dot + 1);
  thread_local std::string spaced;
  SpacedNameWords(name, &spaced);
  if (NameWordIs(spaced,
                 {"ip", "ipv4", "addr", "address", "host", "client", "remote", "server", "src", "dst", "peer", "from"},
                 After::kAnything))
    return false;
  if (NameWordIs(spaced, {"ua", "useragent"}, After::kAnything) ||
      (NameWordIs(spaced, {"agent"}, After::kAnything) && NameWordIs(spaced, {"user"}, After::kAnything)))
    return true;
  const std::string_view last = std::string_view(spaced).substr(spaced.rfind(' ') + 1);
  bool named = false;
  for (std::string_view v : {"version", "versions", "ver", "build", "release", "rev", "revision"}) named |= last == v;
  named = named || name.ends_with("버전") || name.ends_with("빌드");
  if (!named) return false;
  size_t lo = 0, hi = t.size();
  while (lo < b && (t[lo] == ' ' || t[lo] == 'v' || t[lo] == 'V')) ++lo;
  while (hi > e && t[hi - 1] == ' ') --hi;
  return lo == b && hi == e;
}

// `name`: the name the text is read under; when it holds the context the
// detector asks for (NamedContext), every candidate has it. Read only for a
// candidate that lacks context in the text.
bool ContextOk(const Detector& d, std::string_view t, size_t b, size_t e, std::string_view name) {
  if (d.validator == Validator::kIpv4 && QuadNamedVersion(t, b, e, name)) return false;
  if (d.validator == Validator::kDriverLicenseKr && !LicenseContextOk(t, b, e))
    return !name.empty() && NamedContext(d, name);
  if (d.validator == Validator::kBrnChecksum && BareBrnIsAmountOrTime(t, b, e, name)) return false;
  if (d.context_words.empty()) return true;
  const auto [lo, hi] = ContextBounds(t, b, e, d.context_window);
  return HasWord(d, t, lo, b) || HasWord(d, t, e, hi) || (!name.empty() && NamedContext(d, name)) ||
         LabelJoinedByColon(d, t, b);
}

// Checks the match [b, e) RE2 prefers at b; when it is not a hit, the longest
// shorter match at b that is. Returns the hit's end, or 0. `listed`: the
// candidate has its context from the list it is in (ListContinuation), the
// context words are not asked for.
size_t HitAt(const Detector& d, const NormalizedText& norm, std::string_view t, size_t b, size_t e, double* confidence,
             std::string_view name, bool listed = false) {
  if (EndOkAt(norm, t, b, e, d.validator) && Validate(d.validator, t.substr(b, e - b), confidence) &&
      (listed || ContextOk(d, t, b, e, name))) {
    return e;
  }
  // An e-mail's shorter matches at b share its local part and the domain's
  // first character: when those fail, none can pass (trying them made long
  // runs of e-mail characters cubic; the built-in pattern fails no other way).
  if (d.validator == Validator::kEmail && !EmailShorterMayPass(t.substr(b, e - b))) return 0;
  for (size_t e2 = e - 1; e2 > b; --e2) {
    if (!EndOkAt(norm, t, b, e2, d.validator)) continue;
    if (!d.re->Match(t, b, e2, RE2::ANCHOR_BOTH, nullptr, 0)) continue;
    if (Validate(d.validator, t.substr(b, e2 - b), confidence) && (listed || ContextOk(d, t, b, e2, name))) return e2;
  }
  return 0;
}

// Whether detector d's candidates carry their context down a list
// (AddListContinuations): the detectors that ask for context words, and
// driver_license_kr, whose weaker forms ask for a licence word or a region.
bool CarriesContextDownAList(const Detector& d) {
  return !d.finder && (!d.context_words.empty() || d.validator == Validator::kDriverLicenseKr);
}

// The most characters (code points) between two items of a list
// (ListContinuation).
constexpr size_t kListGap = 12;

// The next item of a list after a hit of detector d that ends at e: the
// hit's context is the list's ("계좌: 110-123-456789 / 1002-123-456789",
// "여권번호: 본인 M12345678, 배우자 M87654321, 자녀 M11223344"; found by
// review: only the first item was masked). Between the two, at most kListGap
// characters of
//  - blanks and the marks that join list items: , / ; : | & + ( ) [ ] - > =
//    · ・ 、 → ⇒ (no sentence end: '.', '!', '?', '。', a line break);
//  - at most one joining word: 또는, 및, 혹은, 그리고, 와, 과, 랑, 이랑, 하고,
//    에서, 나, 이나, or, and, to;
//  - at most one word that tells the items apart: whose (본인, 배우자, 자녀,
//    남편, 아내, 부, 모, 가족, self, spouse, child, husband, wife, ...) or
//    which (신규, 기존, 변경, 이전, 현재, new, old, current, previous,
//    primary, ...), or one of d's own context words (a bank's name);
// and nothing else: a word that names something else ("주문 1234-5678-9012")
// ends the list. The item must be a hit of d in all but its context (its
// start, end and validator as anywhere: HitAt). Returns its begin and sets
// *end and *confidence, or returns npos.
size_t ListContinuation(const Detector& d, const NormalizedText& norm, std::string_view t, size_t e, size_t* end,
                        double* confidence) {
  const size_t n = t.size();
  size_t i = e;
  size_t chars = 0;
  bool joiner = false;
  bool qualifier = false;
  while (i < n && chars <= kListGap) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (i > e && IsAsciiAlnum(t[i]) && StartOk(norm, t, i, d.validator)) {
      re2::StringPiece m;
      if (d.re->Match(t, i, n, RE2::ANCHOR_START, &m, 1) && !m.empty()) {
        const size_t hit_end = HitAt(d, norm, t, i, i + m.size(), confidence, {}, /*listed=*/true);
        if (hit_end != 0) {
          *end = hit_end;
          return i;
        }
      }
    }
    if (c < 0x80 && std::string_view(" \t,/;:|&+()[]->=").find(t[i]) != std::string_view::npos) {
      ++i;
      ++chars;
      continue;
    }
    const std::string_view rest = t.substr(i);
    if (rest.starts_with("\u00B7") || rest.starts_with("\u30FB") || rest.starts_with("\u3001") ||
        rest.starts_with("\u2192") || rest.starts_with("\u21D2")) {
      i += rest.starts_with("\u00B7") ? 2 : 3;
      ++chars;
      continue;
    }
    // A word: ASCII letters, or Hangul (and other letters past ASCII).
    size_t w = i;
    size_t letters = 0;
    if (IsAsciiAlpha(t[i])) {
      while (w < n && IsAsciiAlpha(t[w])) ++w, ++letters;
    } else if (c >= 0x80) {
      while (w < n && static_cast<unsigned char>(t[w]) >= 0x80) {
        const std::string_view r = t.substr(w);
        if (r.starts_with("\u00B7") || r.starts_with("\u30FB") || r.starts_with("\u3001") || r.starts_with("\u2192") ||
            r.starts_with("\u21D2") || r.starts_with("\u3002"))
          break;
        ++w;
        while (w < n && (static_cast<unsigned char>(t[w]) & 0xC0) == 0x80) ++w;
        ++letters;
      }
    }
    if (w == i) return std::string_view::npos;  // a digit, a sentence end, another mark
    if (!joiner && IsWordIn(t, i, w,
                            {"또는", "및", "혹은", "그리고", "와", "과", "랑", "이랑", "하고", "에서", "나", "이나",
                             "or", "and", "to"})) {
      joiner = true;
    } else if (!qualifier &&
               (IsWordIn(
                    t, i, w,
                    {"본인",   "배우자", "자녀",    "남편",     "아내",   "부",      "모",        "부친", "모친",
                     "아버지", "어머니", "가족",    "첫째",     "둘째",   "셋째",    "신규",      "기존", "변경",
                     "변경전", "변경후", "이전",    "현재",     "새",     "구",      "예전",      "주",   "보조",
                     "self",   "spouse", "child",   "husband",  "wife",   "father",  "mother",    "son",  "daughter",
                     "new",    "old",    "current", "previous", "former", "primary", "secondary", "main", "backup"}) ||
                (!d.context_words.empty() && WordAt(d, t, i, w) == w - i))) {
      qualifier = true;
    } else {
      return std::string_view::npos;
    }
    i = w;
    chars += letters;
  }
  return std::string_view::npos;
}

// Every hit of detector `id` that starts in t[from, to), with an unanchored
// RE2 search on t[from, to) and t as the context. A hit ends the search at its
// end (unless the detector MayOverlapItself: then at its begin); a preferred
// match that fails the checks gives way to the longest shorter match at the
// same begin that passes them, and then to matches starting at the next
// character.
void ScanRange(const Detector& d, size_t id, const NormalizedText& norm, size_t from, size_t to,
               std::vector<Candidate>* cands, std::string_view name) {
  const std::string_view t = norm.text();
  re2::StringPiece m;
  size_t pos = from;
  size_t found = 0;
  while (pos < to && d.re->Match(t, pos, to, RE2::UNANCHORED, &m, 1)) {
    const size_t b = static_cast<size_t>(m.data() - t.data());
    const size_t e = b + m.size();
    if (e > b && StartOk(norm, t, b, d.validator)) {
      double confidence = 1.0;
      const size_t hit_end = HitAt(d, norm, t, b, e, &confidence, name);
      if (hit_end != 0) {
        cands->push_back({b, hit_end, id, confidence});
        if (!MayOverlapItself(d.validator, ++found, b)) {
          pos = hit_end;
          continue;
        }
      }
    }
    // Not a hit: look again from the next character (a later candidate may
    // start inside this one).
    pos = b + 1;
    while (pos < to && (static_cast<unsigned char>(t[pos]) & 0xC0) == 0x80) ++pos;
  }
}

// The position automata (prefilter.h) of up to 64 windowed detectors side by
// side in one bit-parallel automaton: one anchored run from a begin tells
// which of them have a match there that ends where EndOk holds.
struct Combined {
  static constexpr size_t kMaxPositions = 1024;
  size_t words = 0;
  size_t size = 0;
  std::vector<size_t> detector;  // combined index -> detector index
  std::vector<uint64_t> step, has_extra, last;
  std::vector<uint64_t> by_byte;         // [128][words]
  std::vector<uint64_t> extra;           // [size][words]
  std::vector<uint64_t> first;           // [detector][words]
  std::vector<size_t> word_lo, word_hi;  // per combined detector: its words
  std::vector<uint8_t> owner;            // position -> combined detector
  std::array<uint64_t, 128> starts{};    // byte -> combined detectors that can start with it
  uint64_t ipv6 = 0;                     // combined detectors with the ipv6 boundary rules
  uint64_t email = 0;                    // ... with the e-mail's end rule (EndOk)
  uint64_t strong = 0;                   // ... with a strong number's end rule (StrongNumber)
  uint64_t glued = 0;                    // ... with the digit glue start rule (GluedByDigitBefore)
  uint64_t phone = 0;                    // ... the phone detectors (WeakPhone)

  // Adds d's automaton at the next positions; false when it does not fit.
  bool Add(size_t id, const internal::PositionAutomaton& a, Validator v) {
    if (detector.size() == 64 || size + a.size > kMaxPositions) return false;
    const size_t base = size;
    const size_t k = detector.size();
    detector.push_back(id);
    parts.push_back({base, a});
    size += a.size;
    if (v == Validator::kIpv6) ipv6 |= uint64_t{1} << k;
    if (v == Validator::kEmail) email |= uint64_t{1} << k;
    if (StrongNumber(v)) strong |= uint64_t{1} << k;
    if (GluedByDigitBefore(v)) glued |= uint64_t{1} << k;
    if (v == Validator::kPhoneKr) phone |= uint64_t{1} << k;
    return true;
  }

  void Finish() {
    words = (size + 63) / 64;
    step.assign(words, 0);
    has_extra.assign(words, 0);
    last.assign(words, 0);
    by_byte.assign(128 * words, 0);
    extra.assign(size * words, 0);
    first.assign(detector.size() * words, 0);
    owner.assign(size, 0);
    word_lo.assign(detector.size(), 0);
    word_hi.assign(detector.size(), 0);
    auto set = [](uint64_t* w, size_t p) { w[p / 64] |= uint64_t{1} << (p % 64); };
    auto test = [](const internal::Positions& s, size_t p) { return ((s.w[p / 64] >> (p % 64)) & 1) != 0; };
    for (size_t k = 0; k < parts.size(); ++k) {
      const size_t base = parts[k].base;
      const internal::PositionAutomaton& a = parts[k].automaton;
      word_lo[k] = base / 64;
      word_hi[k] = (base + a.size + 63) / 64;
      for (size_t p = 0; p < a.size; ++p) {
        owner[base + p] = static_cast<uint8_t>(k);
        if (test(a.step, p)) set(step.data(), base + p);
        if (test(a.last, p)) set(last.data(), base + p);
        if (test(a.first, p)) set(&first[k * words], base + p);
        for (size_t c = 0; c < 128; ++c) {
          if (test(a.by_byte[c], p)) set(&by_byte[c * words], base + p);
        }
        if (test(a.has_extra, p)) {
          set(has_extra.data(), base + p);
          for (size_t q = 0; q < a.size; ++q) {
            if (test(a.extra[p], q)) set(&extra[(base + p) * words], base + q);
          }
        }
      }
      for (size_t c = 0; c < 128; ++c) {
        if (a.starts[c]) starts[c] |= uint64_t{1} << k;
      }
    }
    parts.clear();
  }

  // The combined detectors in `mask` with a match [b, e), EndOk(e) (their own
  // rules). For each of them not in *several_ends, [b, end_at[k]) is its only
  // match at b (so the one RE2 prefers). `scratch` holds 2 * words words.
  // ends_by[2k + j / 64] has bit j % 64 set when [b, b + j) is a match of k
  // (j < 128); k is in *far_ends when a match is 128 bytes or longer.
  uint64_t MatchesAt(const NormalizedText& norm, std::string_view t, size_t b, uint64_t mask, uint64_t* scratch,
                     uint64_t* several_ends, uint32_t* end_at, uint64_t* ends_by, uint64_t* far_ends) const {
    *several_ends = 0;
    *far_ends = 0;
    for (uint64_t x = mask; x != 0; x &= x - 1) {
      ends_by[2 * std::countr_zero(x)] = 0;
      ends_by[2 * std::countr_zero(x) + 1] = 0;
    }
    uint64_t seen = 0;
    size_t lo = words;
    size_t hi = 0;
    uint64_t* cur = scratch;
    uint64_t* next = scratch + words;
    for (uint64_t m = mask; m != 0; m &= m - 1) {
      const auto k = static_cast<size_t>(std::countr_zero(m));
      lo = std::min(lo, word_lo[k]);
      hi = std::max(hi, word_hi[k]);
    }
    for (size_t w = lo; w < hi; ++w) cur[w] = 0;
    for (uint64_t m = mask; m != 0; m &= m - 1) {
      const auto k = static_cast<size_t>(std::countr_zero(m));
      for (size_t w = word_lo[k]; w < word_hi[k]; ++w) cur[w] |= first[k * words + w];
    }
    uint64_t found = 0;
    uint64_t with_extra = 0;  // some live position has extra edges
    for (size_t i = b; i < t.size(); ++i) {
      const auto c = static_cast<unsigned char>(t[i]);
      if (c >= 128) break;  // no position matches a non-ASCII byte
      const uint64_t* bb = &by_byte[c * words];
      uint64_t any = 0;
      uint64_t ends = 0;
      if (i != b && with_extra == 0) {
        // Only shifts: step and filter by the byte in one loop.
        uint64_t carry = 0;  // words below lo hold no position of these detectors
        for (size_t w = lo; w < hi; ++w) {
          const uint64_t x = cur[w] & step[w];
          const uint64_t v = ((x << 1) | carry) & bb[w];
          carry = x >> 63;
          cur[w] = v;
          any |= v;
          ends |= v & last[w];
          with_extra |= v & has_extra[w];
        }
      } else {
        if (i != b) {
          uint64_t carry = 0;
          for (size_t w = lo; w < hi; ++w) {
            const uint64_t x = cur[w] & step[w];
            next[w] = (x << 1) | carry;
            carry = x >> 63;
          }
          for (size_t w = lo; w < hi; ++w) {
            for (uint64_t x = cur[w] & has_extra[w]; x != 0; x &= x - 1) {
              const size_t pos = w * 64 + static_cast<size_t>(std::countr_zero(x));
              // Extra edges stay inside the position's own detector.
              const size_t k = owner[pos];
              const uint64_t* e = &extra[pos * words];
              for (size_t v = word_lo[k]; v < word_hi[k]; ++v) next[v] |= e[v];
            }
          }
          std::swap(cur, next);
        }
        with_extra = 0;
        for (size_t w = lo; w < hi; ++w) {
          cur[w] &= bb[w];
          any |= cur[w];
          ends |= cur[w] & last[w];
          with_extra |= cur[w] & has_extra[w];
        }
      }
      if (any == 0) break;
      if (ends == 0) continue;
      // Some match ends here: whose, and are they hits-to-be (not glued)?
      uint64_t owners = 0;
      for (size_t w = lo; w < hi; ++w) {
        for (uint64_t x = cur[w] & last[w]; x != 0; x &= x - 1) {
          owners |= uint64_t{1} << owner[w * 64 + static_cast<size_t>(std::countr_zero(x))];
        }
      }
      *several_ends |= owners & seen;
      seen |= owners;
      const size_t offset = i + 1 - b;
      for (uint64_t x = owners; x != 0; x &= x - 1) {
        const auto k = static_cast<size_t>(std::countr_zero(x));
        end_at[k] = static_cast<uint32_t>(i + 1);
        if (offset < 128) {
          ends_by[2 * k + offset / 64] |= uint64_t{1} << (offset % 64);
        } else {
          *far_ends |= uint64_t{1} << k;
        }
      }
      // EndOk per kind of rule: the general one, IPv6's, the e-mail's (always),
      // a strong number's.
      const bool ok = EndOk(norm, t, i + 1, Validator::kNone);
      const bool ok6 = (owners & ipv6) != 0 && EndOk(norm, t, i + 1, Validator::kIpv6);
      const bool ok_strong = (owners & strong) != 0 &&
                             (EndOk(norm, t, i + 1, Validator::kCard) || WordAfterGroup(t, b, i + 1, Validator::kCard));
      found |= owners & ((ok ? ~(ipv6 | email | strong) : 0) | (ok6 ? ipv6 : 0) | email | (ok_strong ? strong : 0));
    }
    return found;
  }

 private:
  struct Part {
    size_t base;
    internal::PositionAutomaton automaton;
  };
  std::vector<Part> parts;  // until Finish
};

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
    return Error(ErrorCode::kDetectFailed, std::string("prefilter failed: ") + SetErrorName(set_error_kind));
  }
  *run_detectors = matched;
  return Status::Ok();
}

}  // namespace internal

// Windowed detectors with the same trigger bytes share windows: the maximal
// runs of the union of their alphabets. Each one's matches lie inside runs of
// its own alphabet, which lie inside those (bounded by bytes none of them can
// match) with the same trigger bytes, so a window that holds too few trigger
// bytes or bytes for a detector holds no match of it either.
struct Group {
  std::bitset<128> alphabet;
  std::bitset<128> trigger;
  std::vector<size_t> detectors;  // priority order
  size_t min_triggers = 0;        // the least any of them needs
  size_t min_length = 0;
};

constexpr size_t kMaxGroups = 64;

struct Scanner::Impl {
  std::vector<Detector> detectors;
  std::unique_ptr<RE2::Set> set;
  std::vector<Group> groups;
  // Bit g set: the byte is a trigger of (resp. in the alphabet of) group g.
  std::array<uint64_t, 256> trigger_groups{};
  std::array<uint64_t, 256> alphabet_groups{};
  bool any_whole_text = false;        // some detector is not windowed
  bool needs_digit_at_colon = false;  // every match holds a digit, '@' or ':' (MayMatch)
  Combined combined;
  // The trigger bytes of all groups (all ASCII) as two nibble tables for the
  // vector scan: byte c is a trigger iff nibble_lo[c & 15] has bit c >> 4
  // (nibble_hi[c >> 4] is that bit; 0 from 8 on, so no byte >= 0x80 is one).
  // vector_triggers false: a NUL trigger (the zero padding could not tell it
  // from text), scan byte by byte.
  std::array<unsigned char, 16> nibble_lo{};
  std::array<unsigned char, 16> nibble_hi{};
  bool vector_triggers = false;
  // Every ASCII digit is a trigger byte of some group: the windowed path's
  // trigger list then says whether a text holds a digit (the digit-only
  // finders below skip a text without one).
  bool digits_trigger = false;
  // The built-in e-mail detector's index, or -1: addresses with non-ASCII
  // characters (intl_email.h) are added as its candidates.
  int intl_email = -1;
  // The built-in passport detector's index, or -1: MRZ lines (mrz.h) are
  // added as its candidates.
  int mrz = -1;
  // The built-in resident and foreigner number detectors' indexes, or -1:
  // numbers with the year in full (FindLongYearRrns) are added as theirs.
  int rrn = -1;
  int frn = -1;
  // The built-in phone and card detectors' indexes, or -1: numbers grouped
  // in ways their patterns do not take (loose_groups.h) are added as theirs
  // (and as rrn's and frn's).
  int phone = -1;
  int card = -1;
  // The built-in person_name and address detectors' indexes, or -1
  // (korean_text.h).
  int person_name = -1;
  int address = -1;
  // The built-in partly_masked detector's index, or -1 (partly_masked.h).
  int partly_masked = -1;
  // The first detector with the bank_account_kr validator, or -1: it says
  // which numbers masked in part are accounts (partly_masked.h).
  int bank = -1;

  Status Scan(std::string_view utf8_text, std::vector<Span>* out, Beside* beside, bool reference,
              std::string_view context = {}) const;
#ifdef MASKPROXY_DETECT_AVX2
  // Appends the offsets of trigger bytes in s[0, full) to out[*count...]
  // (room for `full` of them), 32 bytes at a time; returns the groups present.
  __attribute__((target("avx2"))) uint64_t FindTriggersAvx2(const unsigned char* s, size_t full, uint32_t* out,
                                                            size_t* count) const;
#endif
};

namespace {

#ifdef MASKPROXY_DETECT_AVX2
bool HasAvx2() {
  static const bool kHas = __builtin_cpu_supports("avx2");
  return kHas;
}
#endif

struct Scratch {
  NormalizedText norm;
  std::vector<int> ids;
  std::vector<Candidate> cands;
  std::vector<uint32_t> triggers;  // room for one per text byte (grows only)
  std::vector<uint64_t> eligible;  // all zero between scans
  std::vector<std::pair<size_t, size_t>> windows;
  std::vector<uint64_t> automaton;
  std::vector<size_t> covered;                   // overlap resolution: best coverage from i on
  std::vector<size_t> next;                      // overlap resolution: first candidate after i
  std::vector<char> keep;                        // overlap resolution: which candidates are hits
  std::vector<std::pair<size_t, size_t>> found;  // the finders' spans (intl_email.h, mrz.h, ...)
  std::vector<LongYearRrn> long_year;
  std::vector<internal::LooseNumber> loose;
  std::vector<internal::TrackOne> tracks;
  std::vector<std::pair<size_t, size_t>> listed;  // one detector's candidates (AddListContinuations)
  std::vector<char> listed_done;                  // by detector: its lists followed
};

// The next items of the lists that hits of detectors which carry their
// context down a list (CarriesContextDownAList) begin: each candidate of
// such a detector, and each item added, is followed by its list's next item
// (ListContinuation), added as a candidate of the same detector unless one
// of its candidates begins there already. A pass over the candidates both
// paths found, so the windowed scan and the reference path agree (the
// windows of a number far from its context word are found, but its
// candidate is not: ContextOk).
void AddListContinuations(const std::vector<Detector>& detectors, const NormalizedText& norm,
                          std::vector<Candidate>* cands, Scratch& sc) {
  const std::string_view t = norm.text();
  bool any = false;
  for (const Candidate& c : *cands) any = any || CarriesContextDownAList(detectors[c.detector]);
  if (!any) return;
  sc.listed_done.assign(detectors.size(), 0);
  for (size_t ci = 0; ci < cands->size(); ++ci) {
    const size_t id = (*cands)[ci].detector;
    const Detector& d = detectors[id];
    if (!CarriesContextDownAList(d) || sc.listed_done[id] != 0) continue;
    sc.listed_done[id] = 1;
    std::vector<std::pair<size_t, size_t>>& items = sc.listed;
    items.clear();
    for (const Candidate& c : *cands)
      if (c.detector == id) items.emplace_back(c.begin, c.end);
    std::sort(items.begin(), items.end());
    for (size_t k = 0; k < items.size(); ++k) {
      size_t end = 0;
      double confidence = 1.0;
      const size_t b = ListContinuation(d, norm, t, items[k].second, &end, &confidence);
      if (b == std::string_view::npos) continue;
      const auto at = std::lower_bound(items.begin() + static_cast<std::ptrdiff_t>(k) + 1, items.end(),
                                       std::make_pair(b, size_t{0}));
      if (at != items.end() && at->first == b) continue;
      items.insert(at, {b, end});
      cands->push_back({b, end, id, confidence});
    }
  }
}

// Which candidates become hits when some overlap: the set of non-overlapping
// candidates that covers the most bytes (weighted interval scheduling), ties
// to the earliest begin, then the longest, then the detector listed first
// (the order of `cands`). Taking the earliest begin alone let a short hit
// hide a longer one: "1588 4111 1111 1111 1111" gave the phone "1588 4111"
// and left twelve digits of the card in the clear. Sets sc.keep[i].
void ResolveOverlaps(const std::vector<Candidate>& cands, Scratch& sc) {
  std::vector<char>* keep = &sc.keep;
  const size_t n = cands.size();
  keep->assign(n, 1);
  size_t reach = 0;
  bool overlap = false;
  for (const Candidate& c : cands) {
    if (c.begin < reach) overlap = true;
    reach = std::max(reach, c.end);
  }
  if (!overlap) return;
  sc.covered.assign(n + 1, 0);
  sc.next.resize(n);
  for (size_t i = n; i-- > 0;) {
    const auto after = std::lower_bound(cands.begin() + static_cast<std::ptrdiff_t>(i) + 1, cands.end(), cands[i].end,
                                        [](const Candidate& c, size_t e) { return c.begin < e; });
    sc.next[i] = static_cast<size_t>(after - cands.begin());
    const size_t take = cands[i].end - cands[i].begin + sc.covered[sc.next[i]];
    sc.covered[i] = std::max(take, sc.covered[i + 1]);
  }
  keep->assign(n, 0);
  for (size_t i = 0; i < n;) {
    if (cands[i].end - cands[i].begin + sc.covered[sc.next[i]] >= sc.covered[i + 1]) {
      (*keep)[i] = 1;
      i = sc.next[i];
    } else {
      ++i;
    }
  }
}

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

}  // namespace

bool Scanner::MayMatch(std::string_view text) const {
  if (!impl_->needs_digit_at_colon) return true;
  if ((impl_->person_name >= 0 || impl_->address >= 0) && internal::MayHoldHangul(text)) return true;
  return MayNormalizeToDigitAtOrColon(text);
}

Scanner::Scanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  for (const Detector& d : impl_->detectors) names_.push_back(d.name);
}

Scanner::~Scanner() = default;

Result<std::unique_ptr<Scanner>> Scanner::Create(const std::vector<DetectorSpec>& specs,
                                                 const ScannerOptions& options) {
  auto invalid = [](size_t i, const std::string& what) {
    return Error(ErrorCode::kInvalidDetector, "detector " + std::to_string(i) + ": " + what);
  };
  if (specs.empty()) return Error(ErrorCode::kInvalidDetector, "no detectors");
  if (options.max_mem <= 0 || options.detector_max_mem <= 0) {
    return Error(ErrorCode::kInvalidDetector, "max_mem and detector_max_mem must be positive");
  }
  // Build normalization's tables now (~20 ms, once per process: every code
  // point is classified), at policy load rather than on the first record.
  (void)MayNormalizeToDigitAtOrColon("\u00B7");
  (void)NormalizedText::Create("\u00B7");
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
      std::string msg = where + "unknown validator '" + text::OneLine(text::Clip(s.validator, 64)) + "'";
      const std::string hint = text::Suggest(s.validator, ValidatorNames());
      msg += hint.empty() ? " (known: " + text::Join(ValidatorNames()) + ")" : " (did you mean '" + hint + "'?)";
      return invalid(i, msg);
    }
    if (s.pattern.empty()) return invalid(i, where + "empty pattern");
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_max_mem(options.detector_max_mem);
    d.re = std::make_unique<RE2>(s.pattern, opts);
    if (!d.re->ok()) return invalid(i, where + "invalid pattern: " + InvalidPatternText(d.re->error_code()));
    if (MatchesEmpty(*d.re)) return invalid(i, where + "pattern matches the empty string");
    if (s.context_window == 0 || s.context_window > kMaxContextWindow) {
      return invalid(i, where + "context_window must be 1-" + std::to_string(kMaxContextWindow));
    }
    for (const std::string& w : s.context_words) {
      if (w.empty()) return invalid(i, where + "empty context word");
      std::string lw = w;
      for (char& c : lw) c = AsciiLower(c);
      d.words_by_first.resize(256);
      d.words_by_first[static_cast<unsigned char>(lw[0])].push_back(static_cast<uint32_t>(d.context_words.size()));
      d.context_words.push_back(std::move(lw));
    }
    d.context_window = s.context_window;
    std::string err;
    // err quotes the pattern (InvalidPatternText): not shown; RE2 itself took it above.
    if (impl->set->Add(s.pattern, &err) != static_cast<int>(i)) return invalid(i, where + "the pattern set refused it");

    if (IsBuiltin(s, "person_name") || IsBuiltin(s, "address") || IsBuiltin(s, "partly_masked")) {
      d.finder = true;
      (s.name == "address"       ? impl->address
       : s.name == "person_name" ? impl->person_name
                                 : impl->partly_masked) = static_cast<int>(i);
      impl->detectors.push_back(std::move(d));
      continue;
    }
    internal::PatternFacts facts;
    if (internal::AnalyzePattern(s.pattern, &facts)) {
      size_t g = 0;
      while (g < impl->groups.size() && impl->groups[g].trigger != facts.trigger) {
        ++g;
      }
      if (g == impl->groups.size() && g < kMaxGroups) {
        impl->groups.push_back({facts.alphabet, facts.trigger, {}, facts.min_triggers, facts.min_length});
      }
      if (g < impl->groups.size()) {
        d.windowed = true;
        d.group = g;
        d.min_triggers = facts.min_triggers;
        d.min_length = facts.min_length;
        if (facts.has_automaton && impl->combined.Add(i, facts.automaton, d.validator)) {
          d.combined = static_cast<int>(impl->combined.detector.size() - 1);
        }
        impl->groups[g].detectors.push_back(i);
        impl->groups[g].alphabet |= facts.alphabet;
        impl->groups[g].min_triggers = std::min(impl->groups[g].min_triggers, facts.min_triggers);
        impl->groups[g].min_length = std::min(impl->groups[g].min_length, facts.min_length);
      }
    }
    if (!d.windowed) impl->any_whole_text = true;
    if (d.validator == Validator::kEmail && IsBuiltin(s, "email")) impl->intl_email = static_cast<int>(i);
    if (IsBuiltin(s, "passport_kr")) impl->mrz = static_cast<int>(i);
    if (IsBuiltin(s, "rrn")) impl->rrn = static_cast<int>(i);
    if (IsBuiltin(s, "frn")) impl->frn = static_cast<int>(i);
    if (IsBuiltin(s, "phone_kr")) impl->phone = static_cast<int>(i);
    if (IsBuiltin(s, "card")) impl->card = static_cast<int>(i);
    if (d.validator == Validator::kBankAccountKr && impl->bank < 0) impl->bank = static_cast<int>(i);
    impl->detectors.push_back(std::move(d));
  }
  if (!impl->set->Compile()) {
    return Error(ErrorCode::kDetectorCompileFailed, "the detector set does not fit in max_mem");
  }
  impl->combined.Finish();
  impl->needs_digit_at_colon = !impl->any_whole_text;
  for (const Group& g : impl->groups)
    for (size_t c = 0; c < 128; ++c)
      if (g.trigger.test(c) && !(c >= '0' && c <= '9') && c != '@' && c != ':') impl->needs_digit_at_colon = false;
  for (size_t g = 0; g < impl->groups.size(); ++g) {
    for (size_t c = 0; c < 128; ++c) {
      if (impl->groups[g].trigger.test(c)) impl->trigger_groups[c] |= uint64_t{1} << g;
      if (impl->groups[g].alphabet.test(c)) impl->alphabet_groups[c] |= uint64_t{1} << g;
    }
  }
  // The trigger bytes as nibble tables (a NUL trigger keeps the byte loop).
  impl->vector_triggers = impl->trigger_groups[0] == 0;
  impl->digits_trigger = true;
  for (char c = '0'; c <= '9'; ++c) impl->digits_trigger &= impl->trigger_groups[static_cast<unsigned char>(c)] != 0;
  for (size_t h = 0; h < 8; ++h) impl->nibble_hi[h] = static_cast<unsigned char>(1u << h);
  for (size_t c = 1; c < 128; ++c) {
    if (impl->trigger_groups[c] != 0) impl->nibble_lo[c & 15] |= static_cast<unsigned char>(1u << (c >> 4));
  }
  return std::unique_ptr<Scanner>(new Scanner(std::move(impl)));
}

Status Scanner::Scan(std::string_view utf8_text, std::vector<Span>* out, Beside* beside,
                     std::string_view context) const {
  return impl_->Scan(utf8_text, out, beside, false, context);
}

Status Scanner::Impl::Scan(std::string_view utf8_text, std::vector<Span>* out, Beside* beside, bool reference,
                           std::string_view context) const {
  out->clear();
  if (beside) {
    beside->aside.clear();
    beside->lost.clear();
  }
  Scratch& sc = ThreadScratch();
  // The end of a long path: the leaf's name says most about its value.
  if (context.size() > kMaxContextName) context.remove_prefix(context.size() - kMaxContextName);
  NormalizedText& norm = sc.norm;
  if (Status st = NormalizedText::CreateInto(utf8_text, &norm); !st.ok()) return st;
  const std::string_view t = norm.text();
  std::vector<Candidate>& cands = sc.cands;
  cands.clear();

  // Whole-text detectors (all of them on the reference path): the RE2::Set
  // says which can match, then each runs over the whole text.
  if (reference || any_whole_text) {
    std::vector<int>& ids = sc.ids;
    ids.clear();
    RE2::Set::ErrorInfo info{RE2::Set::kNoError};
    const bool matched = set->Match(t, &ids, &info);
    bool run_detectors = false;
    if (Status st = internal::CheckPrefilter(matched, static_cast<int>(info.kind), &run_detectors); !st.ok()) {
      return st;
    }
    if (run_detectors) {
      std::sort(ids.begin(), ids.end());
      for (int id : ids) {
        if (id < 0 || static_cast<size_t>(id) >= detectors.size()) {
          return Error(ErrorCode::kDetectFailed, "prefilter returned an unknown detector");
        }
        const Detector& d = detectors[static_cast<size_t>(id)];
        if (d.finder) continue;  // (below)
        if (reference || !d.windowed) ScanRange(d, static_cast<size_t>(id), norm, 0, t.size(), &cands, context);
      }
    }
  }

  // Windowed detectors: find the trigger bytes, grow each into the maximal
  // run of its group's alphabet, and scan the runs that can hold a match.
  // Whether the text holds an ASCII digit: unknown (-1) until the trigger
  // pass or a scan says.
  int has_digit = -1;
  if (!reference && !groups.empty()) {
    uint64_t present = 0;
    const auto* s = reinterpret_cast<const unsigned char*>(t.data());
    const size_t n = t.size();
    if (sc.triggers.size() < n) sc.triggers.resize(n);
    uint32_t* const trig = sc.triggers.data();
    size_t trig_count = 0;
    size_t i = 0;
#ifdef MASKPROXY_DETECT_AVX2
    if (vector_triggers && HasAvx2()) {
      present = FindTriggersAvx2(s, n, trig, &trig_count);
      i = n;
    }
#endif
    for (; i < n; ++i) {
      const uint64_t m = trigger_groups[s[i]];
      if (m != 0) {
        trig[trig_count++] = static_cast<uint32_t>(i);
        present |= m;
      }
    }
    // Per byte: the combined detectors with a qualifying window there.
    std::vector<uint64_t>& elig = sc.eligible;
    sc.windows.clear();
    // One pass over the trigger bytes: each starts (or extends) the current
    // run of every group it is a trigger of; a run's trigger count is the
    // number of trigger bytes in it.
    struct Run {  // no initializers: only groups.size() of them are set up
      size_t begin;
      size_t end;  // 0: no run yet
      size_t triggers;
    };
    Run runs[kMaxGroups];  // only the first groups.size() are used
    for (size_t g = 0; g < groups.size(); ++g) runs[g] = Run{0, 0, 0};
    auto finish = [&](size_t g) {
      const Run& r = runs[g];
      uint64_t mask = 0;
      for (size_t id : groups[g].detectors) {
        const Detector& d = detectors[id];
        if (r.triggers < d.min_triggers || r.end - r.begin < d.min_length) continue;
        if (d.combined >= 0) {
          mask |= uint64_t{1} << d.combined;
        } else {
          ScanRange(d, id, norm, r.begin, r.end, &cands, context);
        }
      }
      if (mask == 0) return;
      if (elig.size() < n) elig.resize(n, 0);
      for (size_t k = r.begin; k < r.end; ++k) elig[k] |= mask;
      sc.windows.emplace_back(r.begin, r.end);
    };
    if (present == 0) trig_count = 0;  // (no trigger: nothing to do)
    if (digits_trigger) {
      has_digit = 0;
      for (size_t k = 0; k < trig_count && has_digit == 0; ++k) has_digit = IsAsciiDigit(t[trig[k]]) ? 1 : 0;
    }
    // Consecutive trigger bytes of the same groups inside the runs already
    // open (counted when the runs were grown) are skipped in one test.
    uint64_t last_groups = 0;
    size_t last_end = 0;
    // First the run of all those groups' alphabets together: a group whose
    // run (a part of it) could not hold enough trigger bytes or bytes for
    // any of its detectors is not looked at. The last few union runs are
    // kept: triggers of different groups that alternate ("1:1:1:", "1@1@",
    // "12:34:56 ") would otherwise grow the same long run again at every
    // trigger, quadratic in its length.
    struct UnionRun {
      uint64_t groups;
      size_t begin;
      size_t end;
      size_t count;
      uint64_t whole;
    };
    constexpr size_t kUnionRuns = 8;
    UnionRun unions[kUnionRuns];
    size_t union_runs = 0;
    size_t union_next = 0;
    for (size_t ti = 0; ti < trig_count; ++ti) {
      const uint32_t p = trig[ti];
      const uint64_t here = trigger_groups[s[p]];
      if (here == last_groups && p < last_end) continue;
      const UnionRun* u = nullptr;
      for (size_t k = 0; k < union_runs; ++k) {
        if (unions[k].groups == here && p >= unions[k].begin && p < unions[k].end) {
          u = &unions[k];
          break;
        }
      }
      if (u == nullptr) {
        size_t ub = p;
        size_t count = 1;
        // The groups whose alphabet has every byte of the union run and that
        // have every trigger byte counted in it as a trigger: their run there
        // is the union run, with its count.
        uint64_t whole = alphabet_groups[s[p]] & trigger_groups[s[p]];
        while (ub > 0 && (alphabet_groups[s[ub - 1]] & here) != 0) {
          --ub;
          const uint64_t tg = trigger_groups[s[ub]];
          whole &= alphabet_groups[s[ub]] & ((tg & here) != 0 ? tg : ~uint64_t{0});
          count += (tg & here) != 0 ? 1 : 0;
        }
        size_t ue = p + 1;
        while (ue < n && (alphabet_groups[s[ue]] & here) != 0) {
          const uint64_t tg = trigger_groups[s[ue]];
          whole &= alphabet_groups[s[ue]] & ((tg & here) != 0 ? tg : ~uint64_t{0});
          count += (tg & here) != 0 ? 1 : 0;
          ++ue;
        }
        // A slot whose run ended before p (triggers come in order: it can't
        // be met again), else a free one, else the oldest.
        size_t at = union_runs;
        for (size_t k = 0; k < union_runs && at == union_runs; ++k) {
          if (unions[k].end <= p) at = k;
        }
        if (at == union_runs) at = union_runs < kUnionRuns ? union_runs++ : union_next++ % kUnionRuns;
        UnionRun& slot = unions[at];
        slot = UnionRun{here, ub, ue, count, whole};
        u = &slot;
      }
      const size_t union_begin = u->begin;
      const size_t union_end = u->end;
      const size_t union_count = u->count;
      const uint64_t union_whole = u->whole;
      uint64_t open = 0;
      for (uint64_t gs = here; gs != 0; gs &= gs - 1) {
        const auto g = static_cast<size_t>(std::countr_zero(gs));
        if (union_count >= groups[g].min_triggers && union_end - union_begin >= groups[g].min_length) {
          open |= uint64_t{1} << g;
        }
      }
      last_groups = here;
      last_end = n;
      if (open == 0) last_end = union_end;
      for (uint64_t gs = open; gs != 0; gs &= gs - 1) {
        const auto g = static_cast<size_t>(std::countr_zero(gs));
        const uint64_t bit = uint64_t{1} << g;
        Run& r = runs[g];
        if (p >= r.end && (union_whole & bit) != 0) {
          // A run of g cannot end inside the union run (every byte there is
          // in g's alphabet), so an earlier one ended before it.
          if (r.end != 0) finish(g);
          r = Run{union_begin, union_end, union_count};
        } else if (p >= r.end) {
          if (r.end != 0) finish(g);
          const size_t covered = r.end;
          size_t count = 1;
          size_t ws = p;
          while (ws > covered && (alphabet_groups[s[ws - 1]] & bit) != 0) {
            --ws;
            count += (trigger_groups[s[ws]] & bit) != 0 ? 1 : 0;
          }
          size_t we = p + 1;
          while (we < n && (alphabet_groups[s[we]] & bit) != 0) {
            count += (trigger_groups[s[we]] & bit) != 0 ? 1 : 0;
            ++we;
          }
          r = Run{ws, we, count};
        }
        last_end = std::min(last_end, r.end);
      }
    }
    for (size_t g = 0; g < groups.size(); ++g) {
      if (runs[g].end != 0) finish(g);
    }
    // Every begin in those windows, in order: the combined automaton says
    // which detectors have a match there that can be a hit (StartOk, a match
    // ending where EndOk holds); RE2, anchored there, gives the match each
    // one prefers. A detector skips begins inside its previous hit unless it
    // MayOverlapItself. The match RE2 prefers at a begin does not depend on
    // where a search started, so this finds what an unanchored search over
    // the window does.
    if (!sc.windows.empty()) {
      // Only resume and found_by need zeros (and only for the combined detectors
      // there are): MatchesAt sets ends_by for its mask and end_at for what it finds.
      std::array<size_t, 64> resume;
      std::array<size_t, 64> found_by;  // candidates so far (MayOverlapItself)
      std::array<uint32_t, 64> end_at;
      std::array<uint64_t, 128> ends_by;
      std::fill_n(resume.begin(), combined.detector.size(), size_t{0});
      std::fill_n(found_by.begin(), combined.detector.size(), size_t{0});
      sc.automaton.resize(2 * combined.words);
      re2::StringPiece m;
      // The windows in order, overlaps merged; each begin once.
      std::sort(sc.windows.begin(), sc.windows.end());
      size_t done = 0;
      for (size_t wi = 0; wi < sc.windows.size(); ++wi) {
        for (size_t b = std::max(done, sc.windows[wi].first); b < sc.windows[wi].second; ++b) {
          done = b + 1;
          uint64_t mask = elig[b];
          elig[b] = 0;  // leaves the buffer all zero for the next scan
          if (mask == 0) continue;
          mask &= combined.starts[s[b] & 0x7F];  // window bytes are ASCII
          if (mask == 0) continue;
          if (!StartOk(norm, t, b, Validator::kNone)) continue;
          if (DigitGlueBefore(norm, t, b)) {  // StartOk's glue rules, per detector
            if (DotGlueBefore(norm, t, b)) continue;
            mask &= ~(combined.glued | (WeakPhone(Validator::kPhoneKr, t, b) ? combined.phone : 0));
          }
          if ((mask & combined.ipv6) != 0 && !StartOk(norm, t, b, Validator::kIpv6)) mask &= ~combined.ipv6;
          for (uint64_t x = mask; x != 0; x &= x - 1) {
            const auto k = static_cast<size_t>(std::countr_zero(x));
            if (resume[k] > b) mask &= ~(uint64_t{1} << k);
          }
          if (mask == 0) continue;
          uint64_t several_ends = 0;
          uint64_t far_ends = 0;
          const uint64_t found = combined.MatchesAt(norm, t, b, mask, sc.automaton.data(), &several_ends, end_at.data(),
                                                    ends_by.data(), &far_ends);
          for (uint64_t x = found; x != 0; x &= x - 1) {
            const auto k = static_cast<size_t>(std::countr_zero(x));
            const size_t id = combined.detector[k];
            const Detector& d = detectors[id];
            size_t e = end_at[k];  // the only match at b: the one RE2 prefers
            if ((several_ends >> k) & 1) {
              if (!d.re->Match(t, b, n, RE2::ANCHOR_START, &m, 1) || m.empty()) continue;  // the automaton saw one
              e = b + m.size();
            }
            double confidence = 1.0;
            size_t hit_end = 0;
            if ((far_ends >> k) & 1) {
              hit_end = HitAt(d, norm, t, b, e, &confidence, context);
            } else if (EndOkAt(norm, t, b, e, d.validator) && Validate(d.validator, t.substr(b, e - b), &confidence) &&
                       ContextOk(d, t, b, e, context)) {
              hit_end = e;
            } else if (d.validator != Validator::kEmail || EmailShorterMayPass(t.substr(b, e - b))) {  // (HitAt)
              // The shorter matches at b, longest first: the automaton listed
              // every match end, so no RE2 call is needed to confirm them.
              // (Two words of ends: offsets 64-127, then 0-63.)
              const size_t span = e - b;  // < 128 (not a far end)
              for (size_t w = 2; w-- > 0 && hit_end == 0;) {
                const size_t lo = 64 * w;
                if (span <= lo) continue;
                uint64_t shorter = ends_by[2 * k + w];
                if (span - lo < 64) shorter &= (uint64_t{1} << (span - lo)) - 1;
                while (shorter != 0) {
                  const size_t bit = static_cast<size_t>(63 - std::countl_zero(shorter));
                  shorter &= ~(uint64_t{1} << bit);
                  const size_t e2 = b + lo + bit;
                  if (EndOkAt(norm, t, b, e2, d.validator) && Validate(d.validator, t.substr(b, e2 - b), &confidence) &&
                      ContextOk(d, t, b, e2, context)) {
                    hit_end = e2;
                    break;
                  }
                }
              }
            }
            if (hit_end != 0) {
              cands.push_back({b, hit_end, id, confidence});
              if (!MayOverlapItself(d.validator, ++found_by[k], b)) resume[k] = hit_end;
            }
          }
        }
      }
    }
  }

  // The finders' spans, each added as a candidate of detector `id`.
  const auto add_found = [&](int id) {
    for (const auto& [b, e] : sc.found) cands.push_back({b, e, static_cast<size_t>(id), 1.0});
    sc.found.clear();
  };
  sc.found.clear();
  // Addresses with non-ASCII characters, which the built-in e-mail pattern
  // (ASCII, for the windows) misses or finds only the ASCII tail of.
  if (intl_email >= 0) {
    internal::FindIntlEmails(t, &sc.found);
    if (t.find('@') != std::string_view::npos) internal::FindProviderEmails(t, &sc.found);
    add_found(intl_email);
  }
  // A passport's or ID card's machine-readable zone (OCR of a photo).
  if (mrz >= 0 && t.find("<<") != std::string_view::npos) {
    internal::FindMrzLines(t, &sc.found);
    add_found(mrz);
  }
  if (has_digit < 0) has_digit = std::any_of(t.begin(), t.end(), IsAsciiDigit) ? 1 : 0;
  if ((rrn >= 0 || frn >= 0) && has_digit == 1) {
    sc.long_year.clear();
    FindLongYearRrns(norm, t, &sc.long_year);
    for (const LongYearRrn& r : sc.long_year) {
      const int id = r.foreign ? frn : rrn;
      if (id >= 0) cands.push_back({r.begin, r.end, static_cast<size_t>(id), 1.0});
    }
  }
  // Groups joined by ", ", and parentheses the phone pattern does not take
  // (loose_groups.h).
  if ((phone >= 0 || card >= 0 || rrn >= 0 || frn >= 0) && has_digit == 1) {
    sc.loose.clear();
    internal::FindLooselyGrouped(t, &sc.loose);
    if (card >= 0) internal::FindLabelledCards(t, &sc.loose);
    for (const internal::LooseNumber& c : sc.loose) {
      const int id = c.validator == Validator::kPhoneKr ? phone
                     : c.validator == Validator::kCard  ? card
                     : c.validator == Validator::kFrn   ? frn
                                                        : rrn;
      if (id < 0 || !StartOk(norm, t, c.begin, c.validator) || !EndOkAt(norm, t, c.begin, c.end, c.validator)) continue;
      cands.push_back({c.begin, c.end, static_cast<size_t>(id), c.confidence});
    }
  }
  // A magnetic stripe's track 1: the card number glued to its format code,
  // the cardholder's name between the '^'s (loose_groups.h).
  if ((card >= 0 || person_name >= 0) && has_digit == 1 && t.find('^') != std::string_view::npos) {
    sc.tracks.clear();
    internal::FindTrackOne(t, &sc.tracks);
    for (const internal::TrackOne& k : sc.tracks) {
      if (card >= 0 && k.pan_end > k.pan_begin)
        cands.push_back({k.pan_begin, k.pan_end, static_cast<size_t>(card), 1.0});
      if (person_name >= 0 && k.name_end > k.name_begin)
        cands.push_back({k.name_begin, k.name_end, static_cast<size_t>(person_name), 1.0});
    }
  }
  // Korean names in Latin letters after a label of a person's name and a
  // ':' or '=' ("Account holder: KIM MINJUN": korean_text.h).
  if (person_name >= 0 && (t.find(':') != std::string_view::npos || t.find('=') != std::string_view::npos)) {
    internal::FindRomanizedKoreanNames(t, &sc.found);
    add_found(person_name);
  }
  // Names and addresses (korean_text.h): told by the words around them.
  if ((person_name >= 0 || address >= 0) && internal::MayHoldHangul(t)) {
    if (person_name >= 0) {
      internal::FindKoreanNames(t, &sc.found);
      add_found(person_name);
    }
    if (address >= 0) {
      internal::FindKoreanAddresses(t, &sc.found);
      add_found(address);
    }
  }
  // Numbers masked in part that show too much (partly_masked.h).
  if (partly_masked >= 0 && has_digit == 1) {
    // An account masked in part: the account detector's pattern, validator
    // and context, its hidden digits read as digits.
    // (One pointer captured: std::function keeps it without allocating.)
    struct {
      const Detector* d;
      std::string_view t;
      std::string_view context;
    } const at{bank >= 0 ? &detectors[static_cast<size_t>(bank)] : nullptr, t, context};
    const internal::AccountCheck account = [&at](size_t b, size_t e, std::string_view shape) {
      double confidence = 1.0;
      return at.d->re->Match(shape, 0, shape.size(), RE2::ANCHOR_BOTH, nullptr, 0) &&
             Validate(at.d->validator, shape, &confidence) && ContextOk(*at.d, at.t, b, e, at.context);
    };
    internal::FindPartlyMasked(norm, &sc.found, bank >= 0 ? &account : nullptr);
    add_found(partly_masked);
  }

  // Lists after one label (ListContinuation).
  AddListContinuations(detectors, norm, &cands, sc);

  std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& c) {
    if (a.begin != c.begin) return a.begin < c.begin;
    if (a.end != c.end) return a.end > c.end;
    return a.detector < c.detector;
  });
  auto to_span = [&](const Candidate& c) {
    Span sp;
    norm.MapToOriginal(c.begin, c.end, &sp.begin, &sp.end);
    sp.detector = detectors[c.detector].name;
    sp.confidence = c.confidence;
    return sp;
  };
  if (beside && !beside->set_aside.empty()) {
    const std::vector<char>& aside = beside->set_aside;
    auto set_aside = [&](const Candidate& c) { return c.detector < aside.size() && aside[c.detector] != 0; };
    for (const Candidate& c : cands)
      if (set_aside(c)) beside->aside.push_back(to_span(c));
    cands.erase(std::remove_if(cands.begin(), cands.end(), set_aside), cands.end());
  }
  ResolveOverlaps(cands, sc);
  for (size_t i = 0; i < cands.size(); ++i) {
    if (sc.keep[i] != 0)
      out->push_back(to_span(cands[i]));
    else if (beside)
      beside->lost.push_back(to_span(cands[i]));
  }
  return Status::Ok();
}

#ifdef MASKPROXY_DETECT_AVX2
__attribute__((target("avx2"))) uint64_t Scanner::Impl::FindTriggersAvx2(const unsigned char* s, size_t full,
                                                                         uint32_t* out, size_t* count) const {
  size_t c = *count;
  const __m256i lo_table =
      _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(nibble_lo.data())));
  const __m256i hi_table =
      _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(nibble_hi.data())));
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  uint64_t present = 0;
  // The tail, zero-padded (NUL is never a trigger here: vector_triggers is
  // false then).
  alignas(32) unsigned char tail[32] = {};
  const size_t whole = full / 32 * 32;
  std::memcpy(tail, s + whole, full - whole);
  for (size_t i = 0; i < full; i += 32) {
    const __m256i v = i < whole ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i))
                                : _mm256_load_si256(reinterpret_cast<const __m256i*>(tail));
    // A byte >= 0x80 has a high nibble >= 8 (hi_table 0 there); pshufb would
    // read 0 for it from lo_table anyway (its bit 7 is set).
    const __m256i lo_bits = _mm256_shuffle_epi8(lo_table, v);
    const __m256i hi_bits = _mm256_shuffle_epi8(hi_table, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4));
    const __m256i none = _mm256_cmpeq_epi8(_mm256_and_si256(lo_bits, hi_bits), _mm256_setzero_si256());
    auto mask = ~static_cast<uint32_t>(_mm256_movemask_epi8(none));
    while (mask != 0) {
      const size_t p = i + static_cast<size_t>(std::countr_zero(mask));
      mask &= mask - 1;
      out[c++] = static_cast<uint32_t>(p);
      present |= trigger_groups[s[p]];
    }
  }
  *count = c;
  return present;
}
#endif

namespace internal {

Status ScanReference(const Scanner& scanner, std::string_view utf8_text, std::vector<Span>* out) {
  return scanner.impl_->Scan(utf8_text, out, nullptr, true);
}

bool UsesWindows(const Scanner& scanner, size_t index) {
  return index < scanner.impl_->detectors.size() && scanner.impl_->detectors[index].windowed;
}

}  // namespace internal
}  // namespace maskproxy::detect
