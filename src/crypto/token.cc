#include "crypto/token.h"

#include "crypto/base64.h"

namespace maskproxy::crypto {

Result<Tokenizer> Tokenizer::Create(const Key& key, std::string_view domain, std::string prefix) {
  auto sub = HkdfSha256(key.ActiveMaterial(), "maskproxy/token/v1", domain, 32);
  if (!sub.ok()) return sub.error();
  auto mac = HmacSha256::Create(*sub);
  if (!mac.ok()) return mac.error();
  return Tokenizer(std::move(prefix), std::move(mac).value());
}

Status Tokenizer::Tokenize(std::string_view value, std::string* out) const {
  Sha256Digest d;
  if (Status s = mac_.Compute(value, &d); !s.ok()) return s;
  out->append(prefix_);
  Base64UrlEncode(d.data(), kTokenMacBytes, out);
  return Status::Ok();
}

}  // namespace maskproxy::crypto
