#include "common/text.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <numeric>

#include "common/unicode.h"

namespace maskproxy::text {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.append(sep);
    out.append(items[i]);
  }
  return out;
}

void AppendJsonQuoted(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out->append("\\u00");
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 0xf]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t n = unicode::DecodeUtf8(s, i, &cp);
    if (n == 0) {
      out->append("\xEF\xBF\xBD");  // U+FFFD for a byte that is not UTF-8
      ++i;
    } else {
      out->append(s.substr(i, n));
      i += n;
    }
  }
  out->push_back('"');
}

std::string JsonQuoted(std::string_view s) {
  std::string out;
  AppendJsonQuoted(s, &out);
  return out;
}

// Whether a name reads as words joined by '-' or '_': each part a run of
// words ("customer", "Key", "tokenization"), acronyms ("KEY", "PII"), a
// letter and digits ("v2"), numbers ("2026") and single letters, switching
// between letters and digits at most twice ("customerKey", "payments_card_2026",
// "KEY_2024", "apiKeyV2"). Hex and base64 material switch case or between
// letters and digits every few characters: of 32 random bytes, as 64 hex
// digits or 43 base64url characters, a name that reads so is rarer than one
// in 10^9.
bool ReadsAsWords(std::string_view name) {
  const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t b = 0;
  while (b <= name.size()) {
    size_t e = name.find_first_of("-_", b);
    if (e == std::string_view::npos) e = name.size();
    const std::string_view part = name.substr(b, e - b);
    if (part.size() > 1) {
      int switches = 0;
      for (size_t i = 1; i < part.size(); ++i) switches += digit(part[i]) != digit(part[i - 1]) ? 1 : 0;
      if (switches > 2) return false;
      for (size_t i = 0; i < part.size();) {
        const size_t start = i;
        if (digit(part[i])) {  // a number
          while (i < part.size() && digit(part[i])) ++i;
          continue;
        }
        if (upper(part[i])) ++i;
        size_t small = 0;
        while (i < part.size() && lower(part[i])) ++i, ++small;
        if (small >= 2) continue;       // a word, capitalized or not
        if (small == 0 && i > start) {  // an acronym, up to a digit or the end
          while (i < part.size() && upper(part[i])) ++i;
          if (i - start >= 2 && (i == part.size() || digit(part[i]))) continue;
        }
        // A single letter: the whole part, or before digits ("v2", "V2").
        if (i - start == 1 && (part.size() == 1 || (i < part.size() && digit(part[i])))) continue;
        return false;
      }
    }
    b = e + 1;
  }
  return true;
}

namespace {

// One piece of a word (MayBeKeyMaterial).
bool MayBeKeyMaterialPiece(std::string_view name) {
  if (name.find_first_of("+/=") != std::string_view::npos) return true;
  // Words are a name at any length up to a name's 64 ("customerKey",
  // "payments_tokenization_2026").
  if (name.size() <= 64 && ReadsAsWords(name)) return false;
  constexpr size_t kMaxShown = 24;
  if (name.size() > kMaxShown) return true;
  // A piece of base64 material: 8 or more characters mixing upper and lower
  // case (a random piece of 8 does so 97% of the time, of 12 99.6%).
  constexpr size_t kMixedCaseShown = 8;
  bool upper = false;
  bool lower = false;
  for (const char c : name) {
    upper = upper || (c >= 'A' && c <= 'Z');
    lower = lower || (c >= 'a' && c <= 'z');
  }
  return name.size() >= kMixedCaseShown && upper && lower;
}

}  // namespace

bool MayBeKeyMaterial(std::string_view word) {
  // Each piece between punctuation a name may hold ("customer.phoneNumber",
  // "transit:payments"): base64 keeps + / = and base64url - and _ inside one.
  size_t b = 0;
  for (size_t i = 0; i <= word.size(); ++i) {
    const char c = i < word.size() ? word[i] : '.';
    const bool inside = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
                        c == '/' || c == '=' || c == '-' || c == '_' || (static_cast<unsigned char>(c) & 0x80) != 0;
    if (inside) continue;
    if (i > b && MayBeKeyMaterialPiece(word.substr(b, i - b))) return true;
    b = i + 1;
  }
  return false;
}

namespace {

bool IsDigitAt(std::string_view w, size_t i) {
  return i < w.size() && w[i] >= '0' && w[i] <= '9';
}
int TwoDigits(std::string_view w, size_t i) {
  return (w[i] - '0') * 10 + (w[i + 1] - '0');
}

// The length of a date stamp at word[i] (a digit that starts a run), or 0:
// YYYYMMDD, YYYY-MM-DD / YYYY_MM_DD / YYYY.MM.DD (19xx or 20xx) or YYYYMM,
// as topic, file and key names carry them ("settlement_20241201",
// "rrn_v202401"): a review found such names hidden, which made the errors
// that name them unreadable. Not six digits alone: an RRN's first part is
// YYMMDD.
size_t DateStampAt(std::string_view w, size_t i) {
  if (!IsDigitAt(w, i + 3) || TwoDigits(w, i) < 19 || TwoDigits(w, i) > 20) return 0;
  for (size_t k = i; k < i + 4; ++k)
    if (!IsDigitAt(w, k)) return 0;
  size_t at = i + 4;
  const bool sep = at < w.size() && (w[at] == '-' || w[at] == '_' || w[at] == '.');
  if (sep) ++at;
  if (!IsDigitAt(w, at) || !IsDigitAt(w, at + 1) || TwoDigits(w, at) < 1 || TwoDigits(w, at) > 12) return 0;
  at += 2;
  if (sep) {
    if (at >= w.size() || w[at] != w[i + 4]) return IsDigitAt(w, at) ? 0 : at - i;  // YYYY-MM
    ++at;
  }
  if (!IsDigitAt(w, at)) return sep ? 0 : (at - i);  // YYYYMM
  if (!IsDigitAt(w, at + 1) || TwoDigits(w, at) < 1 || TwoDigits(w, at) > 31 || IsDigitAt(w, at + 2)) return 0;
  return at + 2 - i;
}

}  // namespace

bool MayBePersonalData(std::string_view word) {
  constexpr size_t kDigits = 7;  // a local phone number has 7
  size_t digits = 0;
  for (size_t i = 0; i < word.size(); ++i) {
    const auto c = static_cast<unsigned char>(word[i]);
    if (c >= '0' && c <= '9') {
      // A date stamp counts for nothing (its run ends there).
      if (i == 0 || !IsDigitAt(word, i - 1))
        if (const size_t n = DateStampAt(word, i); n > 0) {
          i += n - 1;
          continue;
        }
      ++digits;
    } else if (c == 0xEF && i + 2 < word.size() && static_cast<unsigned char>(word[i + 1]) == 0xBC &&
               static_cast<unsigned char>(word[i + 2]) >= 0x90 && static_cast<unsigned char>(word[i + 2]) <= 0x99) {
      ++digits;  // U+FF10-FF19, full-width
      i += 2;
    }
  }
  if (digits >= kDigits) return true;
  const size_t at = word.find('@');
  return at != std::string_view::npos && at > 0 && word.find('.', at + 2) != std::string_view::npos &&
         word.find('.', at + 2) + 1 < word.size();
}

std::string Shown(std::string_view word) {
  if (MayBeKeyMaterial(word)) return " (not shown: it may be key material)";
  if (MayBePersonalData(word)) return " (not shown: it may be personal data)";
  return " '" + std::string(word) + "'";
}

std::string Clip(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
  return std::string(s.substr(0, cut)) + "...(" + std::to_string(s.size()) + " bytes)";
}

bool IsBidiControl(uint32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

bool IsOneLine(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t n = unicode::DecodeUtf8(s, i, &cp);
    if (n == 0 || unicode::IsControl(cp) || cp == 0x2028 || cp == 0x2029 || IsBidiControl(cp)) return false;
    i += n;
  }
  return true;
}

std::string OneLine(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  const auto byte = [&](unsigned char c) {
    out.append("\\x");
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  };
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (c == '\t') {
        out.append("\\t");
      } else if (c < 0x20 || c == 0x7f) {
        byte(c);
      } else {
        out.push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t n = unicode::DecodeUtf8(s, i, &cp);
    if (n == 0) {
      byte(c);
      ++i;
      continue;
    }
    if (unicode::IsHidden(cp)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
      out.append(buf);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string Located(std::string_view origin, int line, int column, std::string_view message) {
  std::string s(origin);
  if (line >= 1) s.append(":").append(std::to_string(line)).append(":").append(std::to_string(column));
  s.append(": ").append(message);
  return OneLine(s);
}

}  // namespace maskproxy::text
