#include "transform/formats.h"

#include "codec/json.h"
#include "crypto/keyring.h"

namespace maskproxy::transform {

// LP(x) = 4-byte big-endian length || x: an unambiguous concatenation.
void AppendLp(std::string_view s, std::string* out) {
  const auto n = static_cast<uint32_t>(s.size());
  out->push_back(static_cast<char>(n >> 24));
  out->push_back(static_cast<char>(n >> 16));
  out->push_back(static_cast<char>(n >> 8));
  out->push_back(static_cast<char>(n));
  out->append(s);
}

Result<SelfDescribing> ParseSelfDescribing(std::string_view json, std::string_view fmt, std::string* storage) {
  auto bad = [&] {
    return Error("invalid_ciphertext", "not a " + std::string(fmt) + ".<key>.<version>.<data> string");
  };
  if (!codec::DecodeJsonString(json, storage)) return bad();
  std::string_view s = *storage;
  if (s.size() < fmt.size() + 1 || s.substr(0, fmt.size()) != fmt || s[fmt.size()] != '.') return bad();
  s.remove_prefix(fmt.size() + 1);
  size_t dot1 = s.find('.');
  if (dot1 == std::string_view::npos) return bad();
  size_t dot2 = s.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return bad();
  SelfDescribing d;
  d.key_name = s.substr(0, dot1);
  std::string_view ver = s.substr(dot1 + 1, dot2 - dot1 - 1);
  d.payload = s.substr(dot2 + 1);
  if (!crypto::IsValidKeyName(d.key_name) || ver.empty() || (ver[0] == '0') || ver.size() > 10) return bad();
  uint64_t v = 0;
  for (char c : ver) {
    if (c < '0' || c > '9') return bad();
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return bad();
  d.version = static_cast<uint32_t>(v);
  return d;
}

}  // namespace maskproxy::transform
