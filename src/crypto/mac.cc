#include "crypto/mac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <vector>

namespace maskproxy::crypto {

struct HmacSha256::Impl {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* tmpl = nullptr;  // initialised with the key; duplicated per call
  ~Impl() {
    EVP_MAC_CTX_free(tmpl);
    EVP_MAC_free(mac);
  }
};

HmacSha256::HmacSha256(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;
HmacSha256::~HmacSha256() = default;

Result<HmacSha256> HmacSha256::Create(const SecretBytes& key) {
  auto impl = std::make_unique<Impl>();
  impl->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (!impl->mac) return Error("crypto_unavailable", "OpenSSL has no HMAC implementation");
  impl->tmpl = EVP_MAC_CTX_new(impl->mac);
  if (!impl->tmpl) return Error("crypto_failed", "EVP_MAC_CTX_new failed");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(impl->tmpl, key.data(), key.size(), params) != 1)
    return Error("crypto_failed", "HMAC-SHA-256 key setup failed");
  return HmacSha256(std::move(impl));
}

Status HmacSha256::Compute(std::string_view data, Sha256Digest* out) const {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(impl_->tmpl);
  if (!ctx) return Error("crypto_failed", "EVP_MAC_CTX_dup failed");
  size_t len = 0;
  bool ok = EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
            EVP_MAC_final(ctx, out->data(), &len, out->size()) == 1 && len == out->size();
  EVP_MAC_CTX_free(ctx);
  if (!ok) return Error("crypto_failed", "HMAC-SHA-256 computation failed");
  return Status::Ok();
}

Result<SecretBytes> HkdfSha256(const SecretBytes& ikm, std::string_view salt, std::string_view info, size_t length) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (!kdf) return Error("crypto_unavailable", "OpenSSL has no HKDF implementation");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (!ctx) return Error("crypto_failed", "EVP_KDF_CTX_new failed");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(ikm.data()), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  std::vector<uint8_t> out(length);
  int rc = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (rc != 1) return Error("crypto_failed", "HKDF-SHA-256 derivation failed");
  return SecretBytes(std::move(out));
}

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest d{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

}  // namespace maskproxy::crypto
