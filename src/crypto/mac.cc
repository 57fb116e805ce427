#include "crypto/mac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstring>
#include <vector>

#include "crypto/ctx_pool.h"

namespace maskproxy::crypto {

namespace {

constexpr size_t kShaBlock = 64;

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  MdCtx() = default;
  MdCtx(const MdCtx&) = delete;
  MdCtx& operator=(const MdCtx&) = delete;
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

// HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m)) (RFC 2104). The SHA-256
// states after the first block of each hash, (K0 ^ ipad) and (K0 ^ opad), are
// computed once; each Compute copies them into a reused per-thread working
// context (two EVP_MD_CTX_copy_ex, no EVP_MAC layer).
struct HmacSha256::Impl {
  EVP_MD* md = nullptr;
  MdCtx inner;  // SHA-256 after K0 ^ ipad; read-only after Create
  MdCtx outer;  // SHA-256 after K0 ^ opad; read-only after Create
  internal::CtxPool<MdCtx> work;
  ~Impl() { EVP_MD_free(md); }
};

HmacSha256::HmacSha256(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;
HmacSha256::~HmacSha256() = default;

Result<HmacSha256> HmacSha256::Create(const SecretBytes& key) {
  auto impl = std::make_unique<Impl>();
  impl->md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!impl->md) return Error(ErrorCode::kCryptoUnavailable, "OpenSSL has no SHA-256 implementation");
  if (!impl->inner.ctx || !impl->outer.ctx) return Error(ErrorCode::kCryptoFailed, "EVP_MD_CTX_new failed");
  // K0: the key, or SHA-256(key) when longer than a block, zero-padded.
  unsigned char k0[kShaBlock] = {0};
  unsigned char pad[kShaBlock];
  bool ok = true;
  if (key.size() > kShaBlock) {
    unsigned int len = 0;
    ok = EVP_Digest(key.data(), key.size(), k0, &len, impl->md, nullptr) == 1 && len == 32;
  } else if (!key.empty()) {
    std::memcpy(k0, key.data(), key.size());
  }
  for (size_t i = 0; i < kShaBlock; ++i) pad[i] = static_cast<unsigned char>(k0[i] ^ 0x36);
  ok = ok && EVP_DigestInit_ex2(impl->inner.ctx, impl->md, nullptr) == 1 &&
       EVP_DigestUpdate(impl->inner.ctx, pad, kShaBlock) == 1;
  for (size_t i = 0; i < kShaBlock; ++i) pad[i] = static_cast<unsigned char>(k0[i] ^ 0x5c);
  ok = ok && EVP_DigestInit_ex2(impl->outer.ctx, impl->md, nullptr) == 1 &&
       EVP_DigestUpdate(impl->outer.ctx, pad, kShaBlock) == 1;
  OPENSSL_cleanse(k0, sizeof(k0));
  OPENSSL_cleanse(pad, sizeof(pad));
  if (!ok) return Error(ErrorCode::kCryptoFailed, "HMAC-SHA-256 key setup failed");
  return HmacSha256(std::move(impl));
}

Status HmacSha256::Compute(std::string_view data, Sha256Digest* out) const {
  auto work = impl_->work.Acquire([] {
    auto c = std::make_unique<MdCtx>();
    if (!c->ctx) c.reset();
    return c;
  });
  if (!work) return Error(ErrorCode::kCryptoFailed, "EVP_MD_CTX_new failed");
  EVP_MD_CTX* w = work->ctx;
  unsigned char ih[32];
  unsigned int len = 0;
  unsigned int len2 = 0;
  const bool ok = EVP_MD_CTX_copy_ex(w, impl_->inner.ctx) == 1 && EVP_DigestUpdate(w, data.data(), data.size()) == 1 &&
                  EVP_DigestFinal_ex(w, ih, &len) == 1 && len == sizeof(ih) &&
                  EVP_MD_CTX_copy_ex(w, impl_->outer.ctx) == 1 && EVP_DigestUpdate(w, ih, sizeof(ih)) == 1 &&
                  EVP_DigestFinal_ex(w, out->data(), &len2) == 1 && len2 == out->size();
  OPENSSL_cleanse(ih, sizeof(ih));
  if (!ok) return Error(ErrorCode::kCryptoFailed, "HMAC-SHA-256 computation failed");
  return Status::Ok();
}

Result<SecretBytes> HkdfSha256(const SecretBytes& ikm, std::string_view salt, std::string_view info, size_t length) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (!kdf) return Error(ErrorCode::kCryptoUnavailable, "OpenSSL has no HKDF implementation");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (!ctx) return Error(ErrorCode::kCryptoFailed, "EVP_KDF_CTX_new failed");
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
  if (rc != 1) return Error(ErrorCode::kCryptoFailed, "HKDF-SHA-256 derivation failed");
  return SecretBytes(std::move(out));
}

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest d{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

}  // namespace maskproxy::crypto
