// The one JSON number grammar (RFC 8259, section 6), used by the codec's
// scanner, the actions (reversible outputs, fpe on integers) and the policy
// (plain YAML scalars in embedded tests):
//
//   number = [ "-" ] int [ frac ] [ exp ]
//   int    = "0" / ( digit1-9 *DIGIT )
//   frac   = "." 1*DIGIT
//   exp    = ( "e" / "E" ) [ "-" / "+" ] 1*DIGIT
//
// No '+' in front, no leading zeros, no white space, no bound on the number
// of digits or on the exponent: a number is text here, never a double.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace maskproxy::number {

enum class JsonNumberError : uint8_t {
  kNone,
  kTruncated,    // the input ends after '-'
  kBadStart,     // not '-' or a digit, or '-' followed by something else
  kBadFraction,  // '.' not followed by a digit
  kBadExponent,  // 'e'/'E' (and its sign) not followed by a digit
};

// Where a scan stopped: on success, the first byte after the number (what
// may follow it is the caller's grammar); on failure, the failing byte
// (kBadStart: the start of the number).
template <typename P>
struct JsonNumberScan {
  P end;
  JsonNumberError error;
};

namespace detail {

template <typename C>
[[gnu::always_inline]] inline bool IsDigit(C c) {
  return static_cast<unsigned char>(c - '0') < 10;
}

// Fraction and exponent, at p ('.', 'e' or 'E'): rare, so out of line.
template <typename P>
[[gnu::noinline]] JsonNumberScan<P> ScanJsonNumberTail(P p, P e) {
  if (*p == '.') {
    ++p;
    if (p >= e || !IsDigit(*p)) return {p, JsonNumberError::kBadFraction};
    while (p < e && IsDigit(*p)) ++p;
  }
  if (p < e && (*p | 0x20) == 'e') {
    ++p;
    if (p < e && (*p == '+' || *p == '-')) ++p;
    if (p >= e || !IsDigit(*p)) return {p, JsonNumberError::kBadExponent};
    while (p < e && IsDigit(*p)) ++p;
  }
  return {p, JsonNumberError::kNone};
}

}  // namespace detail

// Scans the number that starts at p (requires p < e). P is a pointer to
// char or unsigned char.
template <typename P>
[[gnu::always_inline]] inline JsonNumberScan<P> ScanJsonNumber(P p, P e) {
  const P start = p;
  if (*p == '-') ++p;
  if (p >= e) [[unlikely]]
    return {p, JsonNumberError::kTruncated};
  if (*p == '0') {
    ++p;
  } else if (static_cast<unsigned char>(*p - '1') < 9) {
    ++p;
    while (p < e && detail::IsDigit(*p)) ++p;
  } else [[unlikely]] {
    return {start, JsonNumberError::kBadStart};
  }
  if (p < e && (*p == '.' || (*p | 0x20) == 'e')) [[unlikely]]
    return detail::ScanJsonNumberTail(p, e);
  return {p, JsonNumberError::kNone};
}

// The whole of s is one JSON number.
[[nodiscard]] bool IsJsonNumber(std::string_view s);

// The whole of s is a JSON number without fraction or exponent:
// "-"? ("0" | [1-9][0-9]*).
[[nodiscard]] bool IsJsonInteger(std::string_view s);

// The JSON number a lenient reader (Python's float(), JavaScript's
// Number(), a spreadsheet) reads in a text that is not one, or "" if none:
// blanks around it, a leading '+', a point without a digit before it (".9",
// "-.9") or after it ("9."), leading zeros, digits grouped by '_' or by ','
// in threes ("9,001,011,234,567"). A JSON number itself gives "".
[[nodiscard]] std::string LenientNumber(std::string_view text);

// The forms in which a reader may see the digits of a JSON number that has a
// fraction or an exponent (`json_number` must be one JSON number):
//  - `plain`: its exact value without an exponent, trailing zeros of the
//    fraction dropped ("9.001011234567e12" -> "9001011234567",
//    "4111111111111111.0" -> "4111111111111111", "-15e-4" -> "-0.0015"),
//    or empty when that is longer than max_plain characters;
//  - `significand`: its significant digits run together, without the
//    point, the sign and leading or trailing zeros ("9.001011234567e-5" ->
//    "9001011234567"); empty for zero.
struct DigitForms {
  std::string plain;
  std::string significand;
};
[[nodiscard]] DigitForms ReadableDigits(std::string_view json_number, size_t max_plain = 64);

}  // namespace maskproxy::number
