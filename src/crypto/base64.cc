#include "crypto/base64.h"

#include <array>

namespace maskproxy::crypto {
namespace {
constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void Encode(const uint8_t* d, size_t n, const char* alpha, bool pad, std::string* out) {
  const size_t full = n / 3, rest = n % 3;
  const size_t len = full * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1);
  const size_t base = out->size();
  out->resize(base + len);
  char* o = out->data() + base;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{d[i]} << 16) | (uint32_t{d[i + 1]} << 8) | d[i + 2];
    *o++ = alpha[v >> 18];
    *o++ = alpha[(v >> 12) & 63];
    *o++ = alpha[(v >> 6) & 63];
    *o++ = alpha[v & 63];
  }
  if (rest == 1) {
    uint32_t v = uint32_t{d[i]} << 16;
    *o++ = alpha[v >> 18];
    *o++ = alpha[(v >> 12) & 63];
    if (pad) {
      *o++ = '=';
      *o++ = '=';
    }
  } else if (rest == 2) {
    uint32_t v = (uint32_t{d[i]} << 16) | (uint32_t{d[i + 1]} << 8);
    *o++ = alpha[v >> 18];
    *o++ = alpha[(v >> 12) & 63];
    *o++ = alpha[(v >> 6) & 63];
    if (pad) *o++ = '=';
  }
}

std::optional<std::vector<uint8_t>> Decode(std::string_view t, const char* alpha, bool padded) {
  std::array<int, 256> rev;
  rev.fill(-1);
  for (int i = 0; i < 64; ++i) rev[static_cast<unsigned char>(alpha[i])] = i;
  if (padded) {
    if (t.size() % 4 != 0) return std::nullopt;
    size_t pad = 0;
    while (pad < 2 && !t.empty() && t.back() == '=') {
      t.remove_suffix(1);
      ++pad;
    }
  }
  if (t.size() % 4 == 1) return std::nullopt;
  std::vector<uint8_t> out;
  out.reserve(t.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : t) {
    int v = rev[c];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-canonical trailing bits
  return out;
}
}  // namespace

std::string Base64Encode(const uint8_t* data, size_t n) {
  std::string out;
  Encode(data, n, kStd, true, &out);
  return out;
}
std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text) {
  return Decode(text, kStd, true);
}
void Base64UrlEncode(const uint8_t* data, size_t n, std::string* out) {
  Encode(data, n, kUrl, false, out);
}
std::optional<std::vector<uint8_t>> Base64UrlDecode(std::string_view text) {
  return Decode(text, kUrl, false);
}

}  // namespace maskproxy::crypto
