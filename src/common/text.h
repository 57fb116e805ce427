// Small text helpers shared by config and policy validation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace maskproxy::text {

// Levenshtein distance, for "did you mean" suggestions on typos.
[[nodiscard]] size_t EditDistance(std::string_view a, std::string_view b);

// The closest candidate within a small distance, or "" if none is close.
[[nodiscard]] std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

// "a, b, c"
[[nodiscard]] std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ");

// Appends `s` as a JSON string literal (quotes included) to *out: '"', '\\'
// and control characters escaped (\uXXXX), bytes that are not valid UTF-8
// replaced by U+FFFD, so the output is always valid JSON. For log lines and
// the admin endpoints' bodies (never a record value).
void AppendJsonQuoted(std::string_view s, std::string* out);
[[nodiscard]] std::string JsonQuoted(std::string_view s);

}  // namespace maskproxy::text
