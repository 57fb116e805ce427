#include "detect/intl_email.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "common/unicode.h"

namespace maskproxy::detect::internal {
namespace {

constexpr size_t kMaxLocalCodePoints = 64;
constexpr size_t kMaxDomainBytes = 255;

// The start of the code point that ends just before i (i > 0).
size_t PrevStart(std::string_view t, size_t i) {
  do {
    --i;
  } while (i > 0 && (static_cast<unsigned char>(t[i]) & 0xC0) == 0x80);
  return i;
}

// A non-ASCII code point that can be part of a word in an address: anything
// but the blocks of punctuation, symbols, spaces, private use and emoji (no
// Unicode tables here; where in doubt it is a letter, so an address is
// masked with a character too many rather than cut short).
bool IntlWordCodePoint(uint32_t c) {
  if (c < 0xC0 || c == 0xD7 || c == 0xF7) return false;  // C1 controls, Latin-1 signs, × ÷
  if (c >= 0x2000 && c <= 0x2BFF) return false;          // punctuation, symbols, arrows, math, shapes
  if (c >= 0x2E00 && c <= 0x2E7F) return false;          // supplemental punctuation
  if (c >= 0x3005 && c <= 0x3007) return true;           // 々 〆 〇: letters among CJK punctuation
  if (c >= 0x3000 && c <= 0x303F) return false;          // CJK symbols and punctuation: 、。「」
  if (c >= 0x3200 && c <= 0x33FF) return false;          // enclosed and compatibility CJK: ㈜ ㎡
  if (c >= 0xD800 && c <= 0xF8FF) return false;          // surrogates, private use
  if (c >= 0xFE10 && c <= 0xFE1F) return false;          // vertical forms
  if (c >= 0xFE30 && c <= 0xFE6F) return false;          // CJK compatibility and small forms
  if (c >= 0xFF00 && c <= 0xFF0F) return false;          // full-width punctuation
  if (c >= 0xFF1A && c <= 0xFF20) return false;
  if (c >= 0xFF3B && c <= 0xFF40) return false;
  if (c >= 0xFF5B && c <= 0xFF65) return false;
  if (c >= 0xFFF0 && c <= 0xFFFF) return false;    // specials (U+FFFD)
  if (c >= 0x1F000 && c <= 0x1FAFF) return false;  // emoji and pictographs
  return c <= 0x10FFFF;
}

bool LocalAscii(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '%' || c == '+' || c == '-';
}

bool LabelAscii(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// The length of the label character at t[i], or 0 when there is none.
size_t LabelCharAt(std::string_view t, size_t i) {
  const auto c = static_cast<unsigned char>(t[i]);
  if (c < 0x80) return LabelAscii(c) ? 1 : 0;
  uint32_t cp = 0;
  const size_t len = unicode::DecodeUtf8(t, i, &cp);
  return len != 0 && IntlWordCodePoint(cp) ? len : 0;
}

// The end of the top-level domain the label [b, e) can be, or 0: two or
// more ASCII letters (the ASCII pattern's TLD; "com2", "com-확인" and
// "com으로" give "com"), a Punycode label ("xn--3e0b707e"), or one of the
// internationalized TLDs in use at its start, whatever follows ("한국으로",
// "中国的" and "한국900101" give the TLD; "회의@본사.한국어" is masked as an
// address rather than risk leaving one). *punycode is set for the second
// kind.
size_t TldEnd(std::string_view t, size_t b, size_t e, bool* punycode) {
  *punycode = false;
  auto ascii_letter = [&](size_t k) { return k < e && ((t[k] | 0x20) >= 'a' && (t[k] | 0x20) <= 'z'); };
  if (e - b > 4 && (t[b] | 0x20) == 'x' && (t[b + 1] | 0x20) == 'n' && t[b + 2] == '-' && t[b + 3] == '-') {
    size_t k = b + 4;
    while (k < e && static_cast<unsigned char>(t[k]) < 0x80) ++k;
    *punycode = true;
    return k;
  }
  if (ascii_letter(b)) {
    size_t k = b;
    while (ascii_letter(k)) ++k;
    return k - b >= 2 ? k : 0;
  }
  // Internationalized TLDs of IANA's root zone in the scripts a Korean
  // company meets (Hangul also decomposed, as macOS writes it; Cyrillic and
  // Greek also in capitals and title case).
  // clang-format off
  static constexpr std::string_view kIdnTlds[] = {
      "한국", "삼성", "닷컴", "닷넷", "\u1112\u1161\u11ab\u1100\u116e\u11a8",
      "\u1109\u1161\u11b7\u1109\u1165\u11bc", "\u1103\u1161\u11ba\u110f\u1165\u11b7",
      "\u1103\u1161\u11ba\u1102\u1166\u11ba", "中国", "中國", "中文网", "香港", "台湾", "台灣", "新加坡", "澳门",
      "澳門", "政府", "政务", "公益", "公司", "网络", "网址", "网店", "网站", "在线", "商城", "信息", "集团", "游戏", "移动",
      "手机", "购物", "我爱你", "机构", "企业", "慈善", "时尚", "コム", "みんな", "ストア", "クラウド", "ポイント", "рф",
      "рус", "срб", "укр", "бел", "бг", "қаз", "мкд", "мон", "сайт", "онлайн", "дети", "орг",
      "ком", "москва", "РФ", "РУС", "СРБ", "УКР", "БЕЛ", "БГ", "ҚАЗ", "МКД", "МОН", "САЙТ",
      "ОНЛАЙН", "ДЕТИ", "ОРГ", "КОМ", "МОСКВА", "Рф", "Рус", "Срб", "Укр", "Бел", "Бг", "Қаз", "Мкд", "Мон", "Сайт",
      "Онлайн", "Дети", "Орг", "Ком", "Москва", "ею", "ЕЮ", "Ею", "ελ", "ευ", "ΕΛ", "ΕΥ", "Ελ", "Ευ", "臺灣"};
  // clang-format on
  const std::string_view label = t.substr(b, e - b);
  size_t best = 0;
  for (std::string_view tld : kIdnTlds)
    if (tld.size() > best && label.starts_with(tld)) best = tld.size();
  return best != 0 ? b + best : 0;
}

// The end of an address literal at i (RFC 5321's "[192.0.2.1]" and
// "[IPv6:2001:db8::1]"), or of a bare IPv4 address there as mail clients
// accept it (192.0.2.1, not followed by more digits or dots and digits); 0
// when there is none.
size_t AddressLiteralEnd(std::string_view t, size_t i) {
  const auto digit = [&](size_t k) { return k < t.size() && t[k] >= '0' && t[k] <= '9'; };
  if (i < t.size() && t[i] == '[') {
    size_t k = i + 1;
    if (t.size() - k >= 5 && (t[k] | 0x20) == 'i' && (t[k + 1] | 0x20) == 'p' && (t[k + 2] | 0x20) == 'v' &&
        t[k + 3] == '6' && t[k + 4] == ':')
      k += 5;
    // Hex digits, ':' and '.', spaces ("[ 192.0.2.1 ]"), and an IPv6 zone
    // ("%eth0"); an address whose ']' is missing ends where the literal does.
    size_t digits = 0;
    const size_t first = k;
    const size_t limit = std::min(t.size(), k + 64);
    for (bool zone = false; k < limit; ++k) {
      const char c = t[k];
      const bool hex = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
      const bool alnum = hex || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
      if (c == '%' && !zone && digits > 0) {
        zone = true;
      } else if (zone ? !alnum : (!hex && c != ':' && c != '.' && c != ' ')) {
        break;
      }
      digits += !zone && hex ? 1 : 0;
    }
    if (digits == 0) return 0;
    if (k < t.size() && t[k] == ']') return k + 1;
    while (k > first && t[k - 1] == ' ') --k;  // unclosed: the literal without the blanks after it
    return digits >= 4 ? k : 0;
  }
  size_t k = i;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (k >= t.size() || t[k] != '.') return 0;
      ++k;
    }
    size_t len = 0;
    while (digit(k) && len < 3) ++k, ++len;
    if (len == 0) return 0;
  }
  if (digit(k) || (k + 1 < t.size() && t[k] == '.' && digit(k + 1))) return 0;
  return k;
}

}  // namespace

void FindIntlEmails(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) {
  const size_t n = text.size();
  size_t floor = 0;  // where the last address's domain ended: no local part starts before it
  for (size_t p = 0; p < n; ++p) {
    const void* at = std::memchr(text.data() + p, '@', n - p);
    if (at == nullptr) break;
    p = static_cast<size_t>(static_cast<const char*>(at) - text.data());

    // The local part, back from the '@': the whole run of local-part
    // characters. A word glued before an address cannot be told from its
    // local part ("메일은minjun@", "홍길동hong@", "민준.kim@"): it is masked
    // with it, a word too many rather than a name left; so is a number glued
    // before it ("01012345678민준@": the number is then inside the e-mail's
    // protected value, not in the clear).
    size_t lb = p;
    size_t count = 0;
    bool local_intl = false;
    while (lb > floor && count < kMaxLocalCodePoints) {
      const size_t s = PrevStart(text, lb);
      if (s < floor) break;
      const auto c = static_cast<unsigned char>(text[s]);
      if (c < 0x80) {
        if (!LocalAscii(c)) break;
      } else if (uint32_t cp = 0; unicode::DecodeUtf8(text, s, &cp) == 0 || !IntlWordCodePoint(cp)) {
        break;
      }
      local_intl = local_intl || c >= 0x80;
      lb = s;
      ++count;
    }
    // A local part does not start with a separator ("·지수@" after another
    // address: the '·' is folded to '-').
    while (lb < p && (text[lb] == '.' || text[lb] == '-' || text[lb] == '+' || text[lb] == '_')) ++lb;
    if (lb == p) continue;
    // An address literal or IPv4 address as the domain (the pattern's
    // domains end in letters): "kim@[192.0.2.1]" left "kim" in the clear
    // beside an [ipv4].
    if (const size_t lit = AddressLiteralEnd(text, p + 1); lit != 0) {
      floor = lit;
      out->emplace_back(lb, lit);
      continue;
    }
    // The domain: labels joined by '.', the last one that can end in a TLD
    // ending it ("민준@example.com.감사합니다" ends at "com").
    size_t labels[2 * 128];
    size_t nl = 0;
    size_t e = p + 1;
    while (e < n && e - (p + 1) < kMaxDomainBytes && nl + 2 <= std::size(labels)) {
      const size_t label_begin = e;
      for (size_t len = 0; e < n && e - (p + 1) < kMaxDomainBytes && (len = LabelCharAt(text, e)) != 0;) e += len;
      if (e == label_begin) break;
      labels[nl++] = label_begin;
      labels[nl++] = e;
      if (e + 1 < n && text[e] == '.' && LabelCharAt(text, e + 1) != 0) {
        ++e;
        continue;
      }
      break;
    }
    // A non-ASCII TLD after two or more ASCII labels is a word after a
    // complete address ("kim@naver.com.한국에서"), not its TLD.
    size_t end = 0;
    bool punycode = false;
    for (size_t j = nl / 2; j-- > 1 && end == 0;) {
      end = TldEnd(text, labels[2 * j], labels[2 * j + 1], &punycode);
      if (end != 0 && static_cast<unsigned char>(text[labels[2 * j]]) >= 0x80 && j >= 2) {
        bool ascii_before = true;
        for (size_t k = p + 1; k < labels[2 * j] && ascii_before; ++k)
          ascii_before = static_cast<unsigned char>(text[k]) < 0x80;
        if (ascii_before) end = 0;
      }
    }
    if (end == 0) continue;
    floor = end;
    bool domain_intl = false;
    for (size_t k = p + 1; k < end && !domain_intl; ++k) domain_intl = static_cast<unsigned char>(text[k]) >= 0x80;
    // ASCII only: the pattern's own, but for a Punycode TLD (its "xn" is a
    // TLD to the pattern, which stops there).
    if (!local_intl && !domain_intl && !punycode) continue;
    out->emplace_back(lb, end);
  }
}

namespace {

bool LocalChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '%' || c == '+' || c == '-';
}
bool AsciiAlnumChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Whether t at i starts with `word` in any ASCII case.
bool StartsWithFolded(std::string_view t, size_t i, std::string_view word) {
  if (t.size() - i < word.size()) return false;
  for (size_t k = 0; k < word.size(); ++k) {
    char c = t[i + k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != word[k]) return false;
  }
  return true;
}

// The end of a top-level domain written after a provider's name at i
// (after up to three separators: '.', ',', blanks, a middle dot), or i.
size_t TldAfter(std::string_view t, size_t i) {
  size_t k = i;
  bool dot = false;
  for (int seps = 0; seps < 3 && k < t.size(); ++seps) {
    // (A middle dot is a '-' once normalized: IsDigitGroupMark.)
    if (t[k] == '.' || t[k] == ',' || t[k] == ' ' || t[k] == '-') {
      dot = dot || t[k] == '.';
      ++k;
    } else {
      break;
    }
  }
  if (k == i) return i;
  for (std::string_view tld :
       {std::string_view("co.kr"), std::string_view("com"), std::string_view("net"), std::string_view("kr")}) {
    if (StartsWithFolded(t, k, tld) && (k + tld.size() == t.size() || !AsciiAlnumChar(t[k + tld.size()]))) {
      return k + tld.size();
    }
  }
  if (!dot) return i;
  // Any short run of letters after a dot: a look-alike letter in it
  // ("c\u043Em", Cyrillic o), not Hangul (a word of the sentence).
  size_t e = k;
  while (e < t.size() && e - k < 12) {
    const auto c = static_cast<unsigned char>(t[e]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      ++e;
    } else if (c >= 0xC2 && c <= 0xDF && e + 1 < t.size()) {  // two-byte letters: Latin, Greek, Cyrillic
      e += 2;
    } else {
      break;
    }
  }
  return e - k >= 2 ? e : i;
}

}  // namespace

void FindProviderEmails(std::string_view t, std::vector<std::pair<size_t, size_t>>* out) {
  static constexpr std::string_view kProviders[] = {"protonmail", "dreamwiz", "hanmail", "hotmail", "outlook",
                                                    "icloud",     "proton",   "gmail",   "kakao",   "naver",
                                                    "yahoo",      "empas",    "paran",   "daum",    "nate"};
  for (size_t at = t.find('@'); at != std::string_view::npos; at = t.find('@', at + 1)) {
    size_t b = at;
    while (b > 0 && at - b < 64 && LocalChar(t[b - 1])) --b;
    while (b < at && (t[b] == '.' || t[b] == '-' || t[b] == '+')) ++b;
    if (b == at) continue;
    const size_t d = at + 1;
    for (std::string_view p : kProviders) {
      if (!StartsWithFolded(t, d, p)) continue;
      size_t e = d + p.size();
      if (e < t.size() && AsciiAlnumChar(t[e])) {
        // Glued: "navercom", "gmailnet".
        if (StartsWithFolded(t, e, "com") || StartsWithFolded(t, e, "net")) {
          e += 3;
          if (e < t.size() && AsciiAlnumChar(t[e])) break;
        } else {
          break;
        }
      } else {
        e = TldAfter(t, e);
      }
      out->emplace_back(b, e);
      break;
    }
  }
}

}  // namespace maskproxy::detect::internal
