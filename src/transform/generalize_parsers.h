// The parsers behind `generalize` (actions/generalize.h): dates (with an
// optional ISO 8601 time of day), decimals at a fixed scale without doubles,
// Korean provinces (시/도) and address words.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace maskproxy::transform::generalize {

// n ASCII digits at s[pos] as a number; false if s is too short or one is not a digit.
[[nodiscard]] bool Digits(std::string_view s, size_t pos, size_t n, int* out);

// Days in month m (1-12) of year y (proleptic Gregorian).
[[nodiscard]] int DaysInMonth(int y, int m);

// y-m-d is a calendar date (y >= 1).
[[nodiscard]] bool ValidYmd(int y, int m, int d);

// ISO 8601 time of day after the date: [T ]HH:MM[:SS[.f]][zone] or basic
// HHMM[SS[.f]][zone]; zone Z | ±HH[:MM] | ±HHMM.
[[nodiscard]] bool ValidTimeSuffix(std::string_view s);

// YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYYMMDD, a valid date, then an
// optional time of day (ValidTimeSuffix); or a date as people write it,
// without a time: the month and day unpadded (YYYY-M-D, YYYY/M/D, YYYY.M.D),
// with a final '.' and a blank after each '.' ("1990. 1. 1.",
// "1990.01.01."), or in words ("1990년 1월 1일"). Blanks around it are
// ignored. Still only a valid date.
[[nodiscard]] bool ParseDate(std::string_view s, int* y, int* m, int* d);

using u128 = unsigned __int128;
using i128 = __int128;
constexpr int kMaxDigits = 36;  // 10^36 < 2^127

// A decimal at a fixed scale: value = sign * mag * 10^-scale, plus whether
// non-zero digits beyond the scale were cut off. No doubles anywhere.
struct Scaled {
  bool negative = false;
  u128 mag = 0;
  bool truncated = false;
};

// Parses a JSON-like number (leading zeros allowed, exponent allowed) at
// `scale` decimal places. False on bad syntax or if it does not fit.
[[nodiscard]] bool ParseScaled(std::string_view s, int scale, Scaled* out);

// v * 10^-scale as decimal text ("-12.50" for v -1250, scale 2).
[[nodiscard]] std::string FormatScaled(i128 v, int scale);

// The official name of the 시/도 a word names ("서울" -> "서울특별시"), or null.
[[nodiscard]] const char* FindProvince(std::string_view token);

// Whether `word` is a 시, 군 or 구 of the 시/도 named `province` (its official
// name, as FindProvince returns it): a list of Korea's 시/군/구 by 시/도,
// with the 구 of the larger 시 (분당구 under 경기도).
[[nodiscard]] bool IsDistrictOf(std::string_view province, std::string_view word);
// The official name of the 시/도 a word starts with, the longest alias that
// leaves something after it, and that rest in *rest ("서울특별시강남구" ->
// "서울특별시", "강남구"); null if none.
[[nodiscard]] const char* FindProvincePrefix(std::string_view word, std::string_view* rest);
// A postcode as Korean forms print it before an address: 5 digits (since
// 2015) or 3-3, bare or in parentheses or brackets ("(06234)", "[135-080]").
[[nodiscard]] bool IsPostcode(std::string_view word);
// Words separated by white space or commas.
[[nodiscard]] std::vector<std::string_view> SplitWords(std::string_view s);

}  // namespace maskproxy::transform::generalize
