#include "transform/formats.h"

#include "codec/json.h"
#include "crypto/base64.h"

namespace maskproxy::transform {

std::string OutputPrefix(std::string_view fmt, std::string_view key_name, uint32_t version) {
  std::string out;
  out.reserve(fmt.size() + key_name.size() + 13);
  out.append(fmt);
  out.push_back('.');
  out.append(key_name);
  out.push_back('.');
  out.append(std::to_string(version));
  out.push_back('.');
  return out;
}

std::string TokenPrefix(const crypto::Key& key) {
  return OutputPrefix(kTokenFormat, key.name, key.active);
}

void AppendPayload(std::string_view bytes, std::string* out) {
  crypto::Base64UrlEncode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), out);
}

std::optional<std::vector<uint8_t>> DecodePayload(std::string_view text) {
  return crypto::Base64UrlDecode(text);
}

void AppendLp(std::string_view s, std::string* out) {
  const auto n = static_cast<uint32_t>(s.size());
  out->push_back(static_cast<char>(n >> 24));
  out->push_back(static_cast<char>(n >> 16));
  out->push_back(static_cast<char>(n >> 8));
  out->push_back(static_cast<char>(n));
  out->append(s);
}

void AppendEncryptAad(std::string_view fmt, std::string_view topic, std::string_view field, std::string_view key_name,
                      std::string_view version, std::string* out) {
  out->reserve(out->size() + 22 + topic.size() + field.size() + key_name.size() + version.size());
  AppendLp(fmt, out);
  AppendLp(topic, out);
  AppendLp(field, out);
  AppendLp(key_name, out);
  AppendLp(version, out);
}

std::string DeterministicAad(std::string_view domain, std::string_view key_name, uint32_t version) {
  std::string aad;
  AppendLp(kDeterministicFormat, &aad);
  AppendLp(domain, &aad);
  AppendLp(key_name, &aad);
  AppendLp(std::to_string(version), &aad);
  return aad;
}

Result<SelfDescribing> ParseSelfDescribing(std::string_view json, std::string_view fmt, std::string* storage) {
  auto bad = [&] {
    return Error(ErrorCode::kInvalidCiphertext, "not a " + std::string(fmt) + ".<key>.<version>.<data> string");
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
