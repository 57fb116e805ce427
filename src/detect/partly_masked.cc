#include "detect/partly_masked.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace maskproxy::detect::internal {
namespace {

bool Digit(char c) {
  return c >= '0' && c <= '9';
}
bool AsciiAlnum(char c) {
  return Digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

bool MaskChar(std::string_view s) {
  for (std::string_view m : {"●", "○", "■", "□", "◆", "◇", "★", "☆", "※", "•", "∙", "◦"})
    if (s == m) return true;
  return false;
}

// The length in bytes of a mask character at i, or 0 (a '-' normalization
// made of one, "●" read as a dot between groups, is one).
size_t MaskAt(const NormalizedText& norm, std::string_view t, size_t i) {
  const char c = t[i];
  if (c == '*' || c == 'x' || c == 'X' || c == '#' || c == '?') return 1;
  if (c == '-') return !norm.identity() && MaskChar(norm.OriginalAt(i)) ? 1 : 0;
  if (static_cast<unsigned char>(c) != 0xE2 || i + 3 > t.size()) return 0;
  return MaskChar(t.substr(i, 3)) ? 3 : 0;
}

constexpr size_t kMaxPositions = 20;

// Whether the mask character at i is one that marks a number or an item as
// often as it hides a digit: '#', ※, ■, □, ★, ☆, ◆, ◇.
bool SignAt(std::string_view t, size_t i) {
  if (t[i] == '#') return true;
  if (static_cast<unsigned char>(t[i]) != 0xE2 || i + 3 > t.size()) return false;
  const std::string_view c = t.substr(i, 3);
  for (std::string_view m : {"※", "■", "□", "★", "☆", "◆", "◇"})
    if (c == m) return true;
  return false;
}

// Whether the positions (digits, '*' for a masked one) in groups of the
// given sizes show more than a masked number of one of the kinds may.
bool ShowsTooMuch(std::string_view pos, const size_t* sizes, size_t groups) {
  const auto shown = [&](size_t from, size_t to) {
    return static_cast<size_t>(std::count_if(pos.begin() + static_cast<std::ptrdiff_t>(from),
                                             pos.begin() + static_cast<std::ptrdiff_t>(to), Digit));
  };
  const auto is = [&](std::initializer_list<size_t> want) {
    return groups == want.size() && std::equal(want.begin(), want.end(), sizes);
  };
  // A resident or foreigner number.
  if (is({6, 7}) || is({13})) {
    const size_t front = shown(0, 6);
    const size_t back = shown(6, 13);
    // The gender digit, when shown: 1-8 (9 and 0 are the 1800s: nobody a
    // number is written for; "241201-00012**" is an order number).
    if (Digit(pos[6]) && (pos[6] < '1' || pos[6] > '8')) return false;
    if (front == 6) {
      const int month = (pos[2] - '0') * 10 + (pos[3] - '0');
      const int day = (pos[4] - '0') * 10 + (pos[5] - '0');
      if (month < 1 || month > 12 || day < 1 || day > 31) return false;
      return back >= 2;  // more than the gender digit
    }
    // The date masked (in whole or in part), the serial shown: "9001**-1234567".
    return back >= 5;
  }
  // A card: more than the first six and the last four (the first digit may
  // be masked: "****-1111-1111-1111"); 9 for domestic cards. Ten digits
  // shown in other places than those show too much when one of them lies
  // between the first eight (an eight-digit BIN) and the last four:
  // "4532-0151-12**-****" (found by review).
  if (is({4, 4, 4, 4}) || is({16}) || is({4, 6, 5}) || is({15}) || is({4, 6, 4}) || is({14})) {
    return (!Digit(pos[0]) || (pos[0] >= '3' && pos[0] <= '6') || pos[0] == '9') &&
           (shown(0, pos.size()) > 10 || shown(8, pos.size() - 4) > 0);
  }
  // A mobile phone: all but one or two of its ten or eleven digits (a
  // hundred candidates or fewer).
  if (is({3, 4, 4}) || is({3, 3, 4}) || is({11}) || is({10})) {
    return pos.substr(0, 2) == "01" && (pos[2] == '0' || pos[2] == '1' || (pos[2] >= '6' && pos[2] <= '9')) &&
           shown(0, pos.size()) + 2 >= pos.size();
  }
  return false;
}

// Whether a card's or a resident number's label stands in the 24 bytes
// before b ("카드번호 #532015112830366": the sign hides a digit there, a
// seventh review).
bool CardOrRrnLabelBefore(std::string_view t, size_t b) {
  const size_t lo = b > 24 ? b - 24 : 0;
  std::string before(t.substr(lo, b - lo));
  for (char& c : before) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  for (std::string_view w : {"카드", "주민", "외국인", "card", "rrn", "jumin"})
    if (before.find(w) != std::string::npos) return true;
  return false;
}

}  // namespace

void FindPartlyMasked(const NormalizedText& norm, std::vector<std::pair<size_t, size_t>>* out,
                      const AccountCheck* account) {
  const std::string_view t = norm.text();
  const size_t n = t.size();
  // Only texts with a mask character within two bytes of a digit (most have
  // none; a folded one is a '-'). First, eight bytes at a time: any of
  // * x X # ? or 0xE2 (the lead byte of the mask characters that are not
  // ASCII), or '-' where normalization folded something.
  {
    bool maybe = false;
    const bool folded = !norm.identity();
    const auto has = [](uint64_t v, unsigned char c) {
      const uint64_t x = v ^ (0x0101010101010101ULL * c);
      return ((x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL) != 0;
    };
    size_t i = 0;
    for (; !maybe && i + 8 <= n; i += 8) {
      uint64_t v = 0;
      std::memcpy(&v, t.data() + i, 8);
      maybe = has(v, 0xE2) || has(v, '*') || has(v, 'x') || has(v, 'X') || has(v, '#') || has(v, '?') ||
              (folded && has(v, '-'));
    }
    for (; !maybe && i < n; ++i) {
      const char c = t[i];
      maybe = c == '*' || c == 'x' || c == 'X' || c == '#' || c == '?' || static_cast<unsigned char>(c) == 0xE2 ||
              (folded && c == '-');
    }
    if (!maybe) return;
  }
  bool any = false;
  for (size_t i = 0; i < n && !any; ++i) {
    const char c = t[i];
    if (c == '*' || c == 'x' || c == 'X' || c == '#' || c == '?' || (c == '-' && !norm.identity()) ||
        static_cast<unsigned char>(c) == 0xE2)
      any = (i > 0 && Digit(t[i - 1])) || (i > 1 && Digit(t[i - 2])) || (i + 1 < n && Digit(t[i + 1])) ||
            (i + 2 < n && Digit(t[i + 2])) || (i + 3 < n && Digit(t[i + 3]));
  }
  if (!any) return;
  std::array<char, kMaxPositions> pos{};
  std::array<size_t, 8> sizes{};
  for (size_t i = 0; i < n;) {
    if (!Digit(t[i]) && MaskAt(norm, t, i) == 0) {
      ++i;
      continue;
    }
    const size_t b = i;
    size_t k = i;
    size_t count = 0;  // positions
    size_t masked = 0;
    size_t groups = 0;
    size_t cur = 0;
    char sep = 0;
    bool too_long = false;
    while (k < n) {
      size_t m = 0;
      if (Digit(t[k]) || (m = MaskAt(norm, t, k)) != 0) {
        if (count < kMaxPositions) {
          pos[count] = m != 0 ? '*' : t[k];
        } else {
          too_long = true;
        }
        ++count;
        masked += m != 0 ? 1 : 0;
        ++cur;
        k += m != 0 ? m : 1;
        continue;
      }
      const char c = t[k];
      if ((c == '-' || c == '.' || c == ' ') && (sep == 0 || sep == c) && k + 1 < n &&
          (Digit(t[k + 1]) || MaskAt(norm, t, k + 1) != 0)) {
        if (groups + 1 >= sizes.size()) {
          too_long = true;
          break;
        }
        sep = c;
        sizes[groups++] = cur;
        cur = 0;
        ++k;
        continue;
      }
      break;
    }
    sizes[groups++] = cur;
    i = k;
    if (too_long || masked == 0 || masked == count) continue;
    // One sign before a run of digits is a list's or a number's mark, not a
    // mask ("#1234567890123", "※2026112600012", "■123456789012": ids,
    // found by a fifth review); '*', 'x', '●', '•' and the like stay masks
    // ("*532015112830366" shows 15 of a card's 16 digits: a sixth review).
    if (groups == 1 && masked == 1 && pos[0] == '*' && SignAt(t, b) && !CardOrRrnLabelBefore(t, b)) continue;
    if ((b > 0 && AsciiAlnum(t[b - 1])) || (k < n && AsciiAlnum(t[k]))) continue;
    if (ShowsTooMuch(std::string_view(pos.data(), count), sizes.data(), groups)) {
      out->emplace_back(b, k);
      continue;
    }
    // A bank account with one or two of its digits hidden (a hundred
    // candidates or fewer, as for a phone): "계좌 110-123-4567**", "신한
    // 110-123-45**89" (found by review). Its shape, separators and context
    // are the account detector's: the caller reads it with a '5' for each
    // hidden digit. Its first digit shown: an 'X' before digits is a code's
    // letter ("SKU X010-4507-4440"), not a masked digit.
    if (account != nullptr && masked <= 2 && count >= 10 && count <= 14 && pos[0] != '*' &&
        (sep == 0 || sep == '-' || sep == ' ')) {
      std::array<char, kMaxPositions + 8> shape{};
      size_t m = 0;
      size_t p = 0;
      for (size_t g = 0; g < groups; ++g) {
        if (g > 0) shape[m++] = sep;
        for (size_t x = 0; x < sizes[g]; ++x, ++p) shape[m++] = pos[p] == '*' ? '5' : pos[p];
      }
      if ((*account)(b, k, std::string_view(shape.data(), m))) out->emplace_back(b, k);
    }
  }
}

}  // namespace maskproxy::detect::internal
