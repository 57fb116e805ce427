#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <cstring>

namespace maskproxy::crypto {
namespace {

// EVP_*Update take an int length.
constexpr size_t kMaxInputBytes = static_cast<size_t>(INT_MAX);

struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  CipherCtx() = default;
  CipherCtx(const CipherCtx&) = delete;
  CipherCtx& operator=(const CipherCtx&) = delete;
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Error AuthFailed() {
  return Error("auth_failed", "AES-256-GCM authentication failed");
}

}  // namespace

struct AesGcm256::Impl {
  EVP_CIPHER* cipher = nullptr;
  EVP_CIPHER_CTX* enc = nullptr;  // keyed for encryption; copied per call
  EVP_CIPHER_CTX* dec = nullptr;  // keyed for decryption; copied per call
  ~Impl() {
    EVP_CIPHER_CTX_free(dec);
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_free(cipher);
  }
};

AesGcm256::AesGcm256(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AesGcm256::AesGcm256(AesGcm256&&) noexcept = default;
AesGcm256& AesGcm256::operator=(AesGcm256&&) noexcept = default;
AesGcm256::~AesGcm256() = default;

Result<AesGcm256> AesGcm256::Create(const SecretBytes& key) {
  if (key.size() != kKeyBytes) return Error("invalid_key", "AES-256-GCM needs a 32-byte key");
  auto impl = std::make_unique<Impl>();
  impl->cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (!impl->cipher) return Error("crypto_unavailable", "OpenSSL has no AES-256-GCM implementation");
  impl->enc = EVP_CIPHER_CTX_new();
  impl->dec = EVP_CIPHER_CTX_new();
  if (!impl->enc || !impl->dec) return Error("crypto_failed", "EVP_CIPHER_CTX_new failed");
  if (EVP_EncryptInit_ex2(impl->enc, impl->cipher, key.data(), nullptr, nullptr) != 1 ||
      EVP_DecryptInit_ex2(impl->dec, impl->cipher, key.data(), nullptr, nullptr) != 1)
    return Error("crypto_failed", "AES-256-GCM key setup failed");
  return AesGcm256(std::move(impl));
}

Status AesGcm256::Seal(std::string_view aad, std::string_view plaintext, std::string* out) const {
  unsigned char iv[kIvBytes];
  if (RAND_bytes(iv, sizeof(iv)) != 1) return Error("crypto_failed", "RAND_bytes failed");
  return SealInternal(iv, aad, plaintext, out);
}

Status AesGcm256::SealWithIv(const SecretBytes& key, std::string_view iv, std::string_view aad,
                             std::string_view plaintext, std::string* out) {
  if (iv.size() != kIvBytes) return Error("invalid_iv", "AES-256-GCM needs a 12-byte IV");
  auto gcm = Create(key);
  if (!gcm.ok()) return gcm.error();
  return gcm->SealInternal(Bytes(iv), aad, plaintext, out);
}

Status AesGcm256::SealInternal(const unsigned char* iv, std::string_view aad, std::string_view plaintext,
                               std::string* out) const {
  if (aad.size() > kMaxInputBytes || plaintext.size() > kMaxInputBytes)
    return Error("too_large", "AES-256-GCM input exceeds the 2 GiB limit");
  CipherCtx c;
  if (!c.ctx || EVP_CIPHER_CTX_copy(c.ctx, impl_->enc) != 1)
    return Error("crypto_failed", "EVP_CIPHER_CTX_copy failed");

  const size_t base = out->size();
  out->resize(base + kIvBytes + plaintext.size() + kTagBytes);
  unsigned char* p = reinterpret_cast<unsigned char*>(out->data()) + base;
  std::memcpy(p, iv, kIvBytes);
  unsigned char* ct = p + kIvBytes;
  unsigned char* tag = ct + plaintext.size();
  const int pt_len = static_cast<int>(plaintext.size());

  int len = 0;
  bool ok = EVP_EncryptInit_ex2(c.ctx, nullptr, nullptr, iv, nullptr) == 1;
  if (ok && !aad.empty()) ok = EVP_EncryptUpdate(c.ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1;
  if (ok && !plaintext.empty()) ok = EVP_EncryptUpdate(c.ctx, ct, &len, Bytes(plaintext), pt_len) == 1 && len == pt_len;
  if (ok) ok = EVP_EncryptFinal_ex(c.ctx, tag, &len) == 1 && len == 0;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes), tag) == 1;
  if (!ok) {
    out->resize(base);
    return Error("crypto_failed", "AES-256-GCM encryption failed");
  }
  return Status::Ok();
}

Status AesGcm256::Open(std::string_view aad, std::string_view sealed, std::string* plaintext) const {
  plaintext->clear();
  if (sealed.size() < kOverheadBytes) return AuthFailed();
  if (aad.size() > kMaxInputBytes || sealed.size() - kOverheadBytes > kMaxInputBytes)
    return Error("too_large", "AES-256-GCM input exceeds the 2 GiB limit");
  CipherCtx c;
  if (!c.ctx || EVP_CIPHER_CTX_copy(c.ctx, impl_->dec) != 1)
    return Error("crypto_failed", "EVP_CIPHER_CTX_copy failed");

  const unsigned char* iv = Bytes(sealed);
  std::string_view ct = sealed.substr(kIvBytes, sealed.size() - kOverheadBytes);
  unsigned char tag[kTagBytes];
  std::memcpy(tag, sealed.data() + sealed.size() - kTagBytes, kTagBytes);
  if (EVP_DecryptInit_ex2(c.ctx, nullptr, nullptr, iv, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes), tag) != 1)
    return Error("crypto_failed", "AES-256-GCM decryption setup failed");

  plaintext->resize(ct.size());
  unsigned char* pt = reinterpret_cast<unsigned char*>(plaintext->data());
  const int ct_len = static_cast<int>(ct.size());
  int len = 0;
  bool ok = true;
  if (!aad.empty()) ok = EVP_DecryptUpdate(c.ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1;
  if (ok && !ct.empty()) ok = EVP_DecryptUpdate(c.ctx, pt, &len, Bytes(ct), ct_len) == 1 && len == ct_len;
  // The tag is checked (in constant time) here.
  if (ok) ok = EVP_DecryptFinal_ex(c.ctx, pt + ct.size(), &len) == 1 && len == 0;
  if (!ok) {
    OPENSSL_cleanse(plaintext->data(), plaintext->size());
    plaintext->clear();
    return AuthFailed();
  }
  return Status::Ok();
}

}  // namespace maskproxy::crypto
