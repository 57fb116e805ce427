#include "detect/loose_groups.h"

#include <algorithm>
#include <cctype>

namespace maskproxy::detect::internal {
namespace {

bool Digit(char c) {
  return c >= '0' && c <= '9';
}
bool Blank(char c) {
  return c == ' ' || c == '\t';
}

// The length of a comma (a blank before it allowed) and one to three blanks
// at i, followed by a digit; 0 if there is none.
size_t CommaBlankAt(std::string_view t, size_t i) {
  size_t k = i;
  if (k < t.size() && Blank(t[k])) ++k;
  if (k >= t.size() || t[k] != ',') return 0;
  const size_t comma = k++;
  while (k < t.size() && k - comma <= 4 && Blank(t[k])) ++k;
  const size_t blanks = k - comma - 1;
  return blanks >= 1 && blanks <= 3 && k < t.size() && Digit(t[k]) ? k - i : 0;
}

// The end of the run of digits from i.
size_t DigitsEnd(std::string_view t, size_t i) {
  while (i < t.size() && Digit(t[i])) ++i;
  return i;
}

// One blank at most at i.
size_t SkipBlank(std::string_view t, size_t i) {
  return i < t.size() && Blank(t[i]) ? i + 1 : i;
}

// One blank at most before i.
size_t SkipBlankBack(std::string_view t, size_t i) {
  return i > 0 && Blank(t[i - 1]) ? i - 1 : i;
}

// Where "+82", "(+82)" or "0082" starts before the '(' at i, with up to
// three of " \t-." between; npos if none does.
size_t CountryCodeBefore(std::string_view t, size_t i) {
  size_t a = i;
  for (size_t s = 0; s < 3 && a > 0 && std::string_view(" \t-.").find(t[a - 1]) != std::string_view::npos; ++s) --a;
  if (a >= 4 && t.substr(a - 4, 4) == "0082") return a - 4;
  if (a >= 5 && t.substr(a - 5, 5) == "(+82)") return a - 5;
  if (a >= 3 && t.substr(a - 3, 3) == "+82") return a - 3;
  return std::string_view::npos;
}

struct Group {
  size_t begin, end;
  [[nodiscard]] size_t size() const { return end - begin; }
};

// The validator a run of comma-joined groups g[0..n) may be checked with,
// by its group sizes: an RRN or FRN 6-7, a mobile phone 01X-4-4, a card
// 4-4-4-4(-3), 4-6-5 or 4-6-4. kNone: no shape fits.
Validator ShapeOf(std::string_view t, const Group* g, size_t n) {
  if (n == 2 && g[0].size() == 6 && g[1].size() == 7)
    return g[1].begin < t.size() && t[g[1].begin] >= '5' && t[g[1].begin] <= '8' ? Validator::kFrn : Validator::kRrn;
  // A mobile number only (01X, four digits in the middle): "02, 123, 4567"
  // and "011, 200, 3000" are as often lists (found by review).
  if (n == 3 && g[0].size() == 3 && t[g[0].begin] == '0' && t[g[0].begin + 1] == '1' && g[1].size() == 4 &&
      g[2].size() == 4)
    return Validator::kPhoneKr;
  if (n == 3 && g[0].size() == 4 && g[1].size() == 6 && (g[2].size() == 5 || g[2].size() == 4)) return Validator::kCard;
  if ((n == 4 || n == 5) && g[0].size() == 4 && g[1].size() == 4 && g[2].size() == 4 && g[3].size() == 4 &&
      (n == 4 || g[4].size() == 3))
    return Validator::kCard;
  return Validator::kNone;
}

void Take(std::string_view t, size_t b, size_t e, Validator v, std::vector<LooseNumber>* out) {
  double confidence = 0;
  if (Validate(v, t.substr(b, e - b), &confidence)) {
    out->push_back({b, e, v, confidence});
    return;
  }
  // An RRN or FRN whose checksum fails (every number issued since October
  // 2020 but one in ten) with a word before it that says what it is:
  // checked as if written with a '-', which needs only its date.
  if ((v == Validator::kRrn || v == Validator::kFrn) && RrnWordBefore(t, b)) {
    char d[14];
    size_t n = 0;
    for (size_t i = b; i < e && n < 13; ++i)
      if (Digit(t[i])) d[n++] = t[i];
    if (n != 13) return;
    const std::string dashed = std::string(d, 6) + "-" + std::string(d + 6, 7);
    if (Validate(v, dashed, &confidence)) out->push_back({b, e, v, confidence});
  }
}

// Up to three of " \t-." from i (what may stand around a parenthesized group).
size_t SkipAround(std::string_view t, size_t i) {
  for (size_t s = 0; s < 3 && i < t.size() && std::string_view(" \t-.").find(t[i]) != std::string_view::npos; ++s) ++i;
  return i;
}

// Groups joined by ", " (the same separator throughout a number). Returns
// the end of the chain starting with the digits before the comma at i.
size_t CommaChainAt(std::string_view t, size_t i, std::vector<Group>* groups, std::vector<LooseNumber>* out) {
  const size_t sep = CommaBlankAt(t, i);
  size_t b = i;
  while (b > 0 && Digit(t[b - 1])) --b;
  groups->clear();
  groups->push_back({b, i});
  const std::string_view s = t.substr(i, sep);
  size_t p = i;
  while (CommaBlankAt(t, p) == sep && t.substr(p, sep) == s) {
    const size_t q = p + sep;
    p = DigitsEnd(t, q);
    groups->push_back({q, p});
  }
  constexpr size_t kMost = 5;
  for (size_t first = 0; first + 1 < groups->size(); ++first) {
    for (size_t n = std::min(kMost, groups->size() - first); n >= 2; --n) {
      const Group* g = groups->data() + first;
      const Validator v = ShapeOf(t, g, n);
      if (v == Validator::kNone) continue;
      const size_t before = out->size();
      Take(t, g[0].begin, g[n - 1].end, v, out);
      if (out->size() != before) {
        first += n - 1;
        break;
      }
    }
  }
  return p;
}

// At the '(' at i: a middle group in parentheses ("010(1234)5678",
// "02 (123) 4567"), or a code in parentheses with a blank inside
// ("( 010 ) 1234 - 5678").
void ParenPhoneAt(std::string_view t, size_t i, std::vector<LooseNumber>* out) {
  const char close = t[i] == '[' ? ']' : ')';
  // A bracket glued to a word is an index or a call ("log[031][123]4567",
  // "arr[010][1234]5678": a third review), not a number's.
  const auto glued = [&](size_t at) { return at > 0 && std::isalpha(static_cast<unsigned char>(t[at - 1])) != 0; };
  if (t[i] == '[' && glued(i)) return;
  // Middle group: 2-4 digits (a 0 first), and blanks, '-' or '.' around the
  // parentheses ("010-(1234)-5678", "010 (1234)-5678"), or in brackets
  // ("010[1234]5678"), the code in parentheses too ("(010)(1234)5678"):
  // the digits decide.
  {
    size_t a = i;
    for (size_t s = 0; s < 3 && a > 0 && std::string_view(" \t-.").find(t[a - 1]) != std::string_view::npos; ++s) --a;
    size_t code_end = a, open = a;  // the code's digits end at code_end; the number starts at open
    if (a > 0 && t[a - 1] == close) {
      code_end = SkipBlankBack(t, a - 1);
    }
    size_t b = code_end;
    while (b > 0 && Digit(t[b - 1])) --b;
    open = b;
    if (code_end != a) {  // "(010)(1234)": the code's opening too
      const size_t o = SkipBlankBack(t, b);
      open = o > 0 && t[o - 1] == t[i] ? o - 1 : std::string_view::npos;
    }
    if (open != std::string_view::npos && t[open] == '[' && glued(open)) open = std::string_view::npos;
    if (open != std::string_view::npos && code_end - b >= 2 && code_end - b <= 4 && t[b] == '0') {
      const size_t m = SkipBlank(t, i + 1);
      const size_t me = DigitsEnd(t, m);
      const size_t c = SkipBlank(t, me);
      if (me - m >= 3 && me - m <= 4 && c < t.size() && t[c] == close) {
        const size_t l = SkipAround(t, c + 1);
        const size_t le = DigitsEnd(t, l);
        if (le - l == 4) {
          char d[12];
          size_t n = 0;
          for (size_t k = b; k < code_end; ++k) d[n++] = t[k];
          for (size_t k = m; k < me; ++k) d[n++] = t[k];
          for (size_t k = l; k < le; ++k) d[n++] = t[k];
          if (PhoneKrDigitsValid(std::string_view(d, n))) out->push_back({open, le, Validator::kPhoneKr, 1.0});
        }
      }
    }
  }
  if (close != ')') return;
  // The code in parentheses with blanks inside (without, the pattern has it),
  // or without its trunk 0 after the country code ("+82 (10) 1234-5678").
  const size_t a = SkipBlank(t, i + 1);
  const size_t ae = DigitsEnd(t, a);
  const size_t c = SkipBlank(t, ae);
  if (ae - a >= 1 && ae - a <= 3 && a < t.size() && t[a] != '0' && c < t.size() && t[c] == ')') {
    const size_t from = CountryCodeBefore(t, i);
    if (from == std::string_view::npos) return;
    size_t k = c + 1;
    for (size_t s = 0; s < 3 && k < t.size() && std::string_view(" \t-.").find(t[k]) != std::string_view::npos; ++s)
      ++k;
    const size_t me = DigitsEnd(t, k);
    if (me - k < 3 || me - k > 4) return;
    k = me;
    for (size_t s = 0; s < 3 && k < t.size() && std::string_view(" \t-.").find(t[k]) != std::string_view::npos; ++s)
      ++k;
    const size_t le = DigitsEnd(t, k);
    if (le - k == 4) Take(t, from, le, Validator::kPhoneKr, out);
    return;
  }
  if (ae - a < 2 || ae - a > 4 || t[a] != '0' || c >= t.size() || t[c] != ')' || (a == i + 1 && c == ae)) return;
  // Then the groups as the pattern's separators part them (up to three of
  // " \t-./" before each).
  size_t k = c + 1;
  for (size_t s = 0; s < 3 && k < t.size() && std::string_view(" \t-./").find(t[k]) != std::string_view::npos; ++s) ++k;
  const size_t me = DigitsEnd(t, k);
  if (me - k < 3 || me - k > 4) return;
  k = me;
  for (size_t s = 0; s < 3 && k < t.size() && std::string_view(" \t-./").find(t[k]) != std::string_view::npos; ++s) ++k;
  const size_t le = DigitsEnd(t, k);
  if (le - k == 4) Take(t, i, le, Validator::kPhoneKr, out);
}

}  // namespace

bool RrnWordBefore(std::string_view t, size_t b) {
  const size_t from = b > 24 ? b - 24 : 0;
  const std::string_view before = t.substr(from, b - from);
  for (std::string_view w : {"주민", "외국인등록", "RRN", "rrn", "Rrn", "jumin", "JUMIN", "resident", "Resident"})
    if (before.find(w) != std::string_view::npos) return true;
  return false;
}

void FindTrackOne(std::string_view t, std::vector<TrackOne>* out) {
  const auto masked = [](char ch) { return ch == 'X' || ch == 'x' || ch == '*' || ch == '#'; };
  const auto name_char = [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == ' ' || ch == '/' || ch == '.' || ch == '\'' ||
           ch == '-';
  };
  for (size_t c = t.find('^'); c != std::string_view::npos; c = t.find('^', c + 1)) {
    // B, 13-19 digits (the PAN; masked ones too, 411111XXXXXX1111, as POS
    // logs write it: the name beside it is still the cardholder's), '^'.
    // (Grouped by blanks or dashes too, "%B4111 1111 1111 1111^…": a third
    // review.)
    size_t b = c, digits = 0, marks = 0;
    while (
        b > 0 && c - b <= 23 &&
        (Digit(t[b - 1]) || masked(t[b - 1]) || ((t[b - 1] == ' ' || t[b - 1] == '-') && b >= 2 && Digit(t[b - 2])))) {
      --b;
      digits += Digit(t[b]) ? 1 : 0;
      marks += masked(t[b]) ? 1 : 0;
    }
    if (digits + marks < 13 || digits + marks > 19 || digits < 8 || b == 0 || (t[b - 1] != 'B' && t[b - 1] != 'b') ||
        !(Digit(t[c - 1]) || masked(t[c - 1])))
      continue;
    if (b >= 2 && (std::isalnum(static_cast<unsigned char>(t[b - 2])) != 0)) continue;  // "SKUB4111…^": a code
    double confidence = 0;
    const bool whole = marks == 0;
    if (whole && !Validate(Validator::kCard, t.substr(b, c - b), &confidence)) continue;
    // The name: up to 26 characters before the next '^' (ISO/IEC 7813), or,
    // in a track cut short, the run of a name's characters after the '^'
    // with the '/' between surname and given name.
    const size_t n = c + 1;
    const size_t end = t.find('^', n);
    TrackOne one{whole ? b : c, c, n, n};
    // (Up to 40: longer than the standard's 26 in some readers' logs.)
    if (end != std::string_view::npos && end - n <= 40) {
      one.name_end = end;
    } else {
      size_t k = n;
      while (k < t.size() && k - n < 40 && name_char(t[k])) ++k;
      if (t.substr(n, k - n).find('/') != std::string_view::npos && (k == t.size() || !name_char(t[k])))
        one.name_end = k;
    }
    while (one.name_begin < one.name_end && Blank(t[one.name_begin])) ++one.name_begin;
    while (one.name_end > one.name_begin && Blank(t[one.name_end - 1])) --one.name_end;
    out->push_back(one);
    if (end != std::string_view::npos && end - n <= 40) c = end;
  }
}

void FindLooselyGrouped(std::string_view t, std::vector<LooseNumber>* out) {
  thread_local std::vector<Group> groups;
  // Only at a '(', '[' or ',' (memchr for each).
  for (size_t b = t.find('['); b != std::string_view::npos; b = t.find('[', b + 1)) ParenPhoneAt(t, b, out);
  size_t paren = t.find('('), comma = t.find(',');
  while (paren != std::string_view::npos || comma != std::string_view::npos) {
    if (paren < comma) {
      ParenPhoneAt(t, paren, out);
      paren = t.find('(', paren + 1);
      continue;
    }
    size_t next = comma + 1;
    const size_t at = comma > 1 && Blank(t[comma - 1]) ? comma - 1 : comma;  // "010 , 1234 , 5678"
    if (at > 0 && Digit(t[at - 1]) && CommaBlankAt(t, at) != 0) next = CommaChainAt(t, at, &groups, out);
    comma = t.find(',', next);
    if (paren < next && paren != std::string_view::npos) paren = t.find('(', next);
  }
}

namespace {

bool Letter(char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

// The digits of a card number at p after a label: 15 or 16 bare digits,
// 4-4-4-4 or 4-6-5 with one separator throughout (as the card pattern
// takes them: 1-3 blanks, a '-' or '.' with up to two blanks on either
// side, or one of / _ ~ , * : | \ + ;). Its end, or p when there is none.
size_t LabelledCardAt(std::string_view t, size_t p) {
  const auto run = [&](size_t i) {
    size_t j = i;
    while (j < t.size() && Digit(t[j]) && j - i < 20) ++j;
    return j - i;
  };
  const auto sep = [&](size_t i) {  // the separator's length at i, or 0
    size_t j = i;
    while (j < t.size() && j - i < 3 && (t[j] == ' ' || t[j] == '\t')) ++j;
    if (j < t.size() && (t[j] == '-' || t[j] == '.') && j - i <= 2) {
      size_t k = j + 1;
      while (k < t.size() && k - j <= 2 && (t[k] == ' ' || t[k] == '\t')) ++k;
      return k - i;
    }
    // Blanks, '-' or '.' only: without Luhn, "1200,1500,3000,4500" and
    // "2023;2024;2025;2026" after 카드 are lists (a later review).
    return j - i;
  };
  const size_t first = run(p);
  size_t e = p;
  if (first == 15 || first == 16) {
    e = p + first;
  } else if (first == 4) {
    const size_t s = sep(p + 4);
    if (s == 0) return p;
    const std::string_view sv = t.substr(p + 4, s);
    const size_t g2 = p + 4 + s;
    const size_t second = run(g2);
    const auto same_sep = [&](size_t i) { return t.substr(i, s) == sv; };
    if (second == 4) {
      size_t i = g2 + 4;
      for (int g = 0; g < 2; ++g) {
        if (!same_sep(i) || run(i + s) != 4) return p;
        i += s + 4;
      }
      e = i;
    } else if (second == 6) {
      const size_t i = g2 + 6;
      if (!same_sep(i) || run(i + s) != 5) return p;
      e = i + s + 5;
    } else {
      return p;
    }
  } else {
    return p;
  }
  // Not part of a longer number: no letter or digit after it, nor a '-',
  // '.' or blank and another digit ("4532-0151-1283-0367-1").
  if (e < t.size() && (Digit(t[e]) || Letter(t[e]))) return p;
  if (e + 1 < t.size() && (t[e] == '-' || t[e] == '.' || t[e] == ',') && Digit(t[e + 1])) return p;
  if (e + 1 < t.size() && t[e] == ' ' && Digit(t[e + 1])) return p;
  return e;
}

// The number's start after a card label ending at i: a number's word
// ("번호", "no", "no.", "number", "num", "#") and at most four blanks, ':',
// '=', '#' or '.' between; or p = npos.
size_t AfterCardLabel(std::string_view t, size_t i, bool korean) {
  if (korean) {
    if (t.substr(i).starts_with("번호")) {
      i += 6;
    } else if (t.substr(i).starts_with(" 번호")) {
      i += 7;
    }
  } else {
    size_t j = i;
    while (j < t.size() && (t[j] == ' ' || t[j] == '_' || t[j] == '-') && j - i < 2) ++j;
    for (std::string_view w : {"number", "num", "nbr", "no"}) {
      if (j + w.size() > t.size()) continue;
      bool same = true;
      for (size_t x = 0; x < w.size() && same; ++x) same = (t[j + x] | 0x20) == w[x];
      if (same && (j + w.size() == t.size() || !Letter(t[j + w.size()]))) {
        i = j + w.size();
        break;
      }
    }
    if (i < t.size() && Letter(t[i])) return std::string_view::npos;  // "cardinal", "cards"
  }
  const size_t from = i;
  while (i < t.size() && i - from < 4 && std::string_view(" \t:=#.\"'").find(t[i]) != std::string_view::npos) ++i;
  if (!korean && i == from) return std::string_view::npos;
  return i < t.size() && Digit(t[i]) ? i : std::string_view::npos;
}

}  // namespace

void FindLabelledCards(std::string_view t, std::vector<LooseNumber>* out) {
  const auto add = [&](size_t p) {
    const size_t e = LabelledCardAt(t, p);
    if (e == p) return;
    // A card network's first digits (American Express, Diners and JCB 3,
    // Visa 4, Mastercard 5 and 2221-2720, Discover and UnionPay 6, Korean
    // domestic 9): without Luhn, a transaction or order id that starts with
    // a date ("202412010001234") or a SIM's 89 is none (a later review).
    const char d0 = t[p];
    if (d0 == '2') {
      const int four = (t[p] - '0') * 1000 + (t[p + 1] - '0') * 100 + (t[p + 2] - '0') * 10 + (t[p + 3] - '0');
      if (four < 2221 || four > 2720) return;
    } else if (d0 != '3' && d0 != '4' && d0 != '5' && d0 != '6' && d0 != '9') {
      return;
    }
    double confidence = 1.0;
    // A number that passes the card validator is the pattern's.
    if (Validate(Validator::kCard, t.substr(p, e - p), &confidence)) return;
    // Its checksum fails: 0.8, as an rrn/frn's failing one (Span::confidence
    // takes 0.8 or 1.0; fuzz_detect's oracle found 0.9 here).
    out->push_back({p, e, Validator::kCard, 0.8});
  };
  for (size_t i = t.find("카드"); i != std::string_view::npos; i = t.find("카드", i + 6)) {
    const size_t p = AfterCardLabel(t, i + 6, true);
    if (p != std::string_view::npos) add(p);
  }
  // Each 'c' and 'C' in order, by memchr.
  size_t lower = t.find('c');
  size_t upper = t.find('C');
  while (lower != std::string_view::npos || upper != std::string_view::npos) {
    const size_t i = std::min(lower, upper);
    if (i == lower) lower = t.find('c', i + 1);
    if (i == upper) upper = t.find('C', i + 1);
    if (i + 4 > t.size() || (t[i + 1] | 0x20) != 'a' || (t[i + 2] | 0x20) != 'r' || (t[i + 3] | 0x20) != 'd') continue;
    if (i > 0 && Letter(t[i - 1])) continue;  // "discard", "postcard"
    const size_t p = AfterCardLabel(t, i + 4, false);
    if (p != std::string_view::npos) add(p);
  }
}

}  // namespace maskproxy::detect::internal
