// Hex helpers for the crypto tests' known-answer vectors.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/secret.h"

namespace maskproxy::crypto::testing {

inline std::string FromHex(std::string_view hex) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    ADD_FAILURE() << "bad hex digit in test vector";
    return 0;
  };
  EXPECT_EQ(hex.size() % 2, 0u) << "odd-length hex in test vector";
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>((nib(hex[i]) << 4) | nib(hex[i + 1])));
  return out;
}

inline std::string ToHex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

inline SecretBytes Key(std::string_view hex) {
  std::string k = FromHex(hex);
  return SecretBytes(reinterpret_cast<const uint8_t*>(k.data()), k.size());
}

}  // namespace maskproxy::crypto::testing
