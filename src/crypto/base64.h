// Base64 (RFC 4648 section 4) for key files and base64url without padding
// (section 5) for tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace maskproxy::crypto {

[[nodiscard]] std::string Base64Encode(const uint8_t* data, size_t n);
[[nodiscard]] std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text);  // strict, padded
void Base64UrlEncode(const uint8_t* data, size_t n, std::string* out);                  // appends, no padding
[[nodiscard]] std::optional<std::vector<uint8_t>> Base64UrlDecode(std::string_view text);

}  // namespace maskproxy::crypto
