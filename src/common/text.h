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

}  // namespace maskproxy::text
