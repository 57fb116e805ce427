#include "detect/phone.h"

#include "detect/normalize.h"
#include "detect/validators.h"

namespace maskproxy::detect {

bool CanonicalPhoneKrInto(std::string_view text, std::string* out) {
  out->clear();
  thread_local NormalizedText norm;
  if (!NormalizedText::CreateInto(text, &norm).ok()) return false;
  const std::string_view t = norm.text();
  // The digits, with the shape checks: a '+' only first (later, a separator), two pairs of
  // parentheses at most (opened before they are closed: "(+82) (0)10-…"), nothing but
  // separators else.
  char d[24];
  size_t n = 0;
  bool plus = false;
  int open = 0;
  int pairs = 0;
  size_t opened_at = 0;  // digits before the last '('
  bool any_digit = false;
  for (size_t i = 0; i < t.size(); ++i) {
    // Brackets stand for parentheses ("010[1234]5678": loose_groups.h).
    const char c = t[i] == '[' ? '(' : t[i] == ']' ? ')' : t[i];
    if (c >= '0' && c <= '9') {
      if (n == sizeof(d)) return false;
      d[n++] = c;
      any_digit = true;
    } else if (c == '+' && !any_digit) {  // after a digit, a separator ("010+1234+5678")
      if (plus) return false;
      plus = true;
    } else if (c == '(') {
      if (open != 0 || pairs >= 2) return false;
      open = 1;
      opened_at = n;
    } else if (c == ')') {
      // A second pair holds one group: the trunk 0 ("(+82) (0)10-…"), the code
      // after the country's ("(+82) (10) …") or the middle ("(010)(1234)5678").
      if (open == 1 && pairs == 1 && (n == opened_at || n > opened_at + 4)) return false;
      // Closing "(02)", or alone after the area code: "02)123-4567", "0504)1234-5678", or
      // after the country code ("0082) 10-…": the detector's hit starts after the '(').
      const std::string_view so_far(d, n);
      const bool country = (plus && so_far == "82") || so_far == "0082";
      if (open != 1 && (pairs != 0 || n == 0 || (n > (n == 4 && so_far.starts_with("050") ? 4u : 3u) && !country)))
        return false;
      open = 0;
      ++pairs;
    } else if (std::string_view(" \t-./_~,*:|\\+;").find(c) == std::string_view::npos) {
      return false;  // the separators the phone_kr detector takes (defaults.cc)
    }
  }
  if (open != 0 || n == 0) return false;
  std::string_view digits(d, n);
  bool intl = false;
  if (plus) {
    if (!digits.starts_with("82")) return false;  // another country
    digits.remove_prefix(2);
    intl = true;
  } else if (digits.starts_with("0082")) {  // the international call prefix 00
    digits.remove_prefix(4);
    intl = true;
  } else if (digits.starts_with("82")) {  // no national number starts with 8
    digits.remove_prefix(2);
    intl = true;
  } else if (digits.size() == 10 && digits.starts_with("10")) {
    out->push_back('0');  // 10-1234-5678, 1012345678: a mobile number without its trunk 0
  }
  if (intl) {
    if (digits.empty()) return false;
    if (digits.front() != '0' && !(digits.size() == 8 && PhoneKrDigitsValid(digits))) {
      out->push_back('0');  // the trunk 0 the international form drops
    }
  }
  out->append(digits);
  if (!PhoneKrDigitsValid(*out)) {
    out->clear();
    return false;
  }
  return true;
}

std::optional<std::string> CanonicalPhoneKr(std::string_view text) {
  std::string out;
  if (!CanonicalPhoneKrInto(text, &out)) return std::nullopt;
  return out;
}

}  // namespace maskproxy::detect
