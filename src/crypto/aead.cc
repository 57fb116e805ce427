#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>

#include "crypto/ctx_pool.h"

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
  return Error(ErrorCode::kAuthFailed, "AES-256-GCM authentication failed");
}

// Random IVs are drawn from OpenSSL's DRBG kIvBatch at a time: RAND_bytes
// costs about the same for 12 bytes as for 384, and more than the whole
// encryption of a small value. A batch belongs to one thread slot of one
// instance and each IV in it is used once. After fork() the child's
// generation differs from the one a batch was drawn in, so the child never
// uses an IV the parent has (or will have) used.
constexpr size_t kIvBatch = 32;
std::atomic<uint64_t> g_fork_generation{0};
void OnForkChild() {
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);
}
bool RegisterForkHandler() {
  static const bool registered = pthread_atfork(nullptr, nullptr, &OnForkChild) == 0;
  return registered;
}

// A context keyed for encryption, with this slot's batch of unused IVs.
struct SealCtx {
  CipherCtx cipher;
  unsigned char ivs[kIvBatch * AesGcm256::kIvBytes];
  size_t next_iv = kIvBatch;  // none left
  uint64_t generation = 0;

  bool NextIv(unsigned char iv[AesGcm256::kIvBytes]) {
    const uint64_t gen = g_fork_generation.load(std::memory_order_relaxed);
    if (next_iv == kIvBatch || generation != gen) {
      if (RAND_bytes(ivs, sizeof(ivs)) != 1) return false;
      next_iv = 0;
      generation = gen;
    }
    std::memcpy(iv, ivs + next_iv * AesGcm256::kIvBytes, AesGcm256::kIvBytes);
    ++next_iv;
    return true;
  }
};

std::unique_ptr<CipherCtx> CopyCtx(const EVP_CIPHER_CTX* tmpl) {
  auto c = std::make_unique<CipherCtx>();
  if (!c->ctx || EVP_CIPHER_CTX_copy(c->ctx, tmpl) != 1) c.reset();
  return c;
}

}  // namespace

// The key schedule is done once, into `enc` and `dec`; each thread slot copies
// them once and afterwards only sets the IV per call.
struct AesGcm256::Impl {
  EVP_CIPHER* cipher = nullptr;
  EVP_CIPHER_CTX* enc = nullptr;  // keyed for encryption; copied once per thread slot
  EVP_CIPHER_CTX* dec = nullptr;  // keyed for decryption; copied once per thread slot
  internal::CtxPool<SealCtx> seal;
  internal::CtxPool<CipherCtx> open;
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
  if (key.size() != kKeyBytes) return Error(ErrorCode::kInvalidKey, "AES-256-GCM needs a 32-byte key");
  auto impl = std::make_unique<Impl>();
  impl->cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (!impl->cipher) return Error(ErrorCode::kCryptoUnavailable, "OpenSSL has no AES-256-GCM implementation");
  impl->enc = EVP_CIPHER_CTX_new();
  impl->dec = EVP_CIPHER_CTX_new();
  if (!impl->enc || !impl->dec) return Error(ErrorCode::kCryptoFailed, "EVP_CIPHER_CTX_new failed");
  if (EVP_EncryptInit_ex2(impl->enc, impl->cipher, key.data(), nullptr, nullptr) != 1 ||
      EVP_DecryptInit_ex2(impl->dec, impl->cipher, key.data(), nullptr, nullptr) != 1)
    return Error(ErrorCode::kCryptoFailed, "AES-256-GCM key setup failed");
  return AesGcm256(std::move(impl));
}

Status AesGcm256::Seal(std::string_view aad, std::string_view plaintext, std::string* out) const {
  return SealInternal(nullptr, aad, plaintext, out);
}

Status AesGcm256::SealWithIv(const SecretBytes& key, std::string_view iv, std::string_view aad,
                             std::string_view plaintext, std::string* out) {
  if (iv.size() != kIvBytes) return Error(ErrorCode::kInvalidIv, "AES-256-GCM needs a 12-byte IV");
  auto gcm = Create(key);
  if (!gcm.ok()) return gcm.error();
  return gcm->SealInternal(Bytes(iv), aad, plaintext, out);
}

Status AesGcm256::SealInternal(const unsigned char* iv, std::string_view aad, std::string_view plaintext,
                               std::string* out) const {
  if (aad.size() > kMaxInputBytes || plaintext.size() > kMaxInputBytes)
    return Error(ErrorCode::kTooLarge, "AES-256-GCM input exceeds the 2 GiB limit");
  auto lease = impl_->seal.Acquire([this] {
    auto c = std::make_unique<SealCtx>();
    if (!c->cipher.ctx || EVP_CIPHER_CTX_copy(c->cipher.ctx, impl_->enc) != 1) c.reset();
    return c;
  });
  if (!lease) return Error(ErrorCode::kCryptoFailed, "EVP_CIPHER_CTX_copy failed");
  EVP_CIPHER_CTX* ctx = lease->cipher.ctx;
  unsigned char fresh_iv[kIvBytes];
  if (!iv) {  // Seal: the next IV of this slot's random batch
    if (!RegisterForkHandler() || !lease->NextIv(fresh_iv)) return Error(ErrorCode::kCryptoFailed, "RAND_bytes failed");
    iv = fresh_iv;
  }

  const size_t base = out->size();
  out->resize(base + kIvBytes + plaintext.size() + kTagBytes);
  unsigned char* p = reinterpret_cast<unsigned char*>(out->data()) + base;
  std::memcpy(p, iv, kIvBytes);
  unsigned char* ct = p + kIvBytes;
  unsigned char* tag = ct + plaintext.size();
  const int pt_len = static_cast<int>(plaintext.size());

  int len = 0;
  bool ok = EVP_EncryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr) == 1;
  if (ok && !aad.empty()) ok = EVP_EncryptUpdate(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1;
  if (ok && !plaintext.empty()) ok = EVP_EncryptUpdate(ctx, ct, &len, Bytes(plaintext), pt_len) == 1 && len == pt_len;
  if (ok) ok = EVP_EncryptFinal_ex(ctx, tag, &len) == 1 && len == 0;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes), tag) == 1;
  if (!ok) {
    out->resize(base);
    return Error(ErrorCode::kCryptoFailed, "AES-256-GCM encryption failed");
  }
  return Status::Ok();
}

Status AesGcm256::Open(std::string_view aad, std::string_view sealed, std::string* plaintext) const {
  plaintext->clear();
  if (sealed.size() < kOverheadBytes) return AuthFailed();
  if (aad.size() > kMaxInputBytes || sealed.size() - kOverheadBytes > kMaxInputBytes)
    return Error(ErrorCode::kTooLarge, "AES-256-GCM input exceeds the 2 GiB limit");
  auto lease = impl_->open.Acquire([this] { return CopyCtx(impl_->dec); });
  if (!lease) return Error(ErrorCode::kCryptoFailed, "EVP_CIPHER_CTX_copy failed");
  EVP_CIPHER_CTX* ctx = lease->ctx;

  const unsigned char* iv = Bytes(sealed);
  std::string_view ct = sealed.substr(kIvBytes, sealed.size() - kOverheadBytes);
  unsigned char tag[kTagBytes];
  std::memcpy(tag, sealed.data() + sealed.size() - kTagBytes, kTagBytes);
  if (EVP_DecryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes), tag) != 1)
    return Error(ErrorCode::kCryptoFailed, "AES-256-GCM decryption setup failed");

  plaintext->resize(ct.size());
  unsigned char* pt = reinterpret_cast<unsigned char*>(plaintext->data());
  const int ct_len = static_cast<int>(ct.size());
  int len = 0;
  bool ok = true;
  if (!aad.empty()) ok = EVP_DecryptUpdate(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1;
  if (ok && !ct.empty()) ok = EVP_DecryptUpdate(ctx, pt, &len, Bytes(ct), ct_len) == 1 && len == ct_len;
  // The tag is checked (in constant time) here.
  if (ok) ok = EVP_DecryptFinal_ex(ctx, pt + ct.size(), &len) == 1 && len == 0;
  if (!ok) {
    OPENSSL_cleanse(plaintext->data(), plaintext->size());
    plaintext->clear();
    return AuthFailed();
  }
  return Status::Ok();
}

}  // namespace maskproxy::crypto
