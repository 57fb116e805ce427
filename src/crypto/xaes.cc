#include "crypto/xaes.h"

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
constexpr size_t kBlock = 16;

struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  CipherCtx() = default;
  CipherCtx(const CipherCtx&) = delete;
  CipherCtx& operator=(const CipherCtx&) = delete;
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};

// Random nonces are drawn from OpenSSL's DRBG kNonceBatch at a time (one
// RAND_bytes call costs about as much for 24 bytes as for 768), per thread
// slot; each is used once. After fork() the child's generation differs from
// the one a batch was drawn in, so a child never reuses its parent's nonces.
constexpr size_t kNonceBatch = 32;
std::atomic<uint64_t> g_fork_generation{0};
void OnForkChild() {
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);
}
bool RegisterForkHandler() {
  static const bool registered = pthread_atfork(nullptr, nullptr, &OnForkChild) == 0;
  return registered;
}

// One thread slot: the key's AES-256 block cipher (ECB, for the KDF), a GCM
// context keyed per message with the derived key, and unused nonces.
struct SlotCtx {
  CipherCtx ecb;
  CipherCtx gcm;
  unsigned char nonces[kNonceBatch * Xaes256Gcm::kNonceBytes] = {};
  size_t next_nonce = kNonceBatch;  // none left
  uint64_t generation = 0;

  bool NextNonce(unsigned char nonce[Xaes256Gcm::kNonceBytes]) {
    const uint64_t gen = g_fork_generation.load(std::memory_order_relaxed);
    if (next_nonce == kNonceBatch || generation != gen) {
      if (RAND_bytes(nonces, sizeof nonces) != 1) return false;
      next_nonce = 0;
      generation = gen;
    }
    std::memcpy(nonce, nonces + next_nonce * Xaes256Gcm::kNonceBytes, Xaes256Gcm::kNonceBytes);
    OPENSSL_cleanse(nonces + next_nonce * Xaes256Gcm::kNonceBytes, Xaes256Gcm::kNonceBytes);
    ++next_nonce;
    return true;
  }
};

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Error AuthFailed() {
  return Error(ErrorCode::kAuthFailed, "XAES-256-GCM authentication failed");
}

// Wipes a derived key when the call ends, whatever path it takes.
struct Wiped {
  unsigned char bytes[2 * kBlock];
  Wiped() = default;
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;
  ~Wiped() { OPENSSL_cleanse(bytes, sizeof bytes); }
};

}  // namespace

struct Xaes256Gcm::Impl {
  EVP_CIPHER* ecb = nullptr;
  EVP_CIPHER* gcm = nullptr;
  EVP_CIPHER_CTX* ecb_tmpl = nullptr;  // keyed with K, padding off; copied once per thread slot
  unsigned char k1[kBlock] = {};       // the CMAC subkey K1 (secret: derived from K)
  internal::CtxPool<SlotCtx> pool;
  ~Impl() {
    OPENSSL_cleanse(k1, sizeof k1);
    EVP_CIPHER_CTX_free(ecb_tmpl);
    EVP_CIPHER_free(gcm);
    EVP_CIPHER_free(ecb);
  }

  // Kx (32 bytes) for the nonce's first 12 bytes, into ctx's GCM context with
  // the nonce's last 12 bytes, for encryption or decryption.
  [[nodiscard]] bool Key(SlotCtx* s, const unsigned char* nonce, bool encrypt) const {
    Wiped m;
    Wiped kx;
    for (int i = 0; i < 2; ++i) {
      unsigned char* b = m.bytes + i * kBlock;
      b[0] = 0x00;
      b[1] = static_cast<unsigned char>(i + 1);
      b[2] = 0x58;  // 'X'
      b[3] = 0x00;
      std::memcpy(b + 4, nonce, 12);
      for (size_t j = 0; j < kBlock; ++j) b[j] ^= k1[j];
    }
    int len = 0;
    if (EVP_EncryptUpdate(s->ecb.ctx, kx.bytes, &len, m.bytes, static_cast<int>(sizeof m.bytes)) != 1 ||
        len != static_cast<int>(sizeof kx.bytes))
      return false;
    const unsigned char* iv = nonce + 12;
    return encrypt ? EVP_EncryptInit_ex2(s->gcm.ctx, gcm, kx.bytes, iv, nullptr) == 1
                   : EVP_DecryptInit_ex2(s->gcm.ctx, gcm, kx.bytes, iv, nullptr) == 1;
  }

  internal::CtxPool<SlotCtx>::Lease Acquire() {
    return pool.Acquire([this] {
      auto c = std::make_unique<SlotCtx>();
      if (!c->ecb.ctx || !c->gcm.ctx || EVP_CIPHER_CTX_copy(c->ecb.ctx, ecb_tmpl) != 1) c.reset();
      return c;
    });
  }
};

Xaes256Gcm::Xaes256Gcm(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Xaes256Gcm::Xaes256Gcm(Xaes256Gcm&&) noexcept = default;
Xaes256Gcm& Xaes256Gcm::operator=(Xaes256Gcm&&) noexcept = default;
Xaes256Gcm::~Xaes256Gcm() = default;

Result<Xaes256Gcm> Xaes256Gcm::Create(const SecretBytes& key) {
  if (key.size() != kKeyBytes) return Error(ErrorCode::kInvalidKey, "XAES-256-GCM needs a 32-byte key");
  auto impl = std::make_unique<Impl>();
  impl->ecb = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
  impl->gcm = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (!impl->ecb || !impl->gcm)
    return Error(ErrorCode::kCryptoUnavailable, "OpenSSL has no AES-256-ECB or AES-256-GCM implementation");
  impl->ecb_tmpl = EVP_CIPHER_CTX_new();
  if (!impl->ecb_tmpl) return Error(ErrorCode::kCryptoFailed, "EVP_CIPHER_CTX_new failed");
  if (EVP_EncryptInit_ex2(impl->ecb_tmpl, impl->ecb, key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(impl->ecb_tmpl, 0) != 1)
    return Error(ErrorCode::kCryptoFailed, "AES-256 key setup failed");
  // K1 from L = AES-256_K(0^128) (SP 800-38B 6.1): a copy of the template so
  // that the template itself has processed no data.
  CipherCtx tmp;
  unsigned char zero[kBlock] = {};
  unsigned char l[kBlock];
  int len = 0;
  if (!tmp.ctx || EVP_CIPHER_CTX_copy(tmp.ctx, impl->ecb_tmpl) != 1 ||
      EVP_EncryptUpdate(tmp.ctx, l, &len, zero, static_cast<int>(kBlock)) != 1 || len != static_cast<int>(kBlock))
    return Error(ErrorCode::kCryptoFailed, "XAES-256-GCM subkey derivation failed");
  const bool msb = (l[0] & 0x80) != 0;
  for (size_t i = 0; i < kBlock; ++i) {
    impl->k1[i] = static_cast<unsigned char>(l[i] << 1);
    if (i + 1 < kBlock) impl->k1[i] |= static_cast<unsigned char>(l[i + 1] >> 7);
  }
  if (msb) impl->k1[kBlock - 1] ^= 0x87;
  OPENSSL_cleanse(l, sizeof l);
  return Xaes256Gcm(std::move(impl));
}

Status Xaes256Gcm::Seal(std::string_view aad, std::string_view plaintext, std::string* out) const {
  return SealInternal(nullptr, aad, plaintext, out);
}

Status Xaes256Gcm::SealWithNonce(std::string_view nonce, std::string_view aad, std::string_view plaintext,
                                 std::string* out) const {
  return SealInternal(&nonce, aad, plaintext, out);
}

Status Xaes256Gcm::SealInternal(const std::string_view* given_nonce, std::string_view aad, std::string_view plaintext,
                                std::string* out) const {
  if (given_nonce && given_nonce->size() != kNonceBytes)
    return Error(ErrorCode::kInvalidIv, "XAES-256-GCM needs a 24-byte nonce");
  if (aad.size() > kMaxInputBytes || plaintext.size() > kMaxInputBytes)
    return Error(ErrorCode::kTooLarge, "XAES-256-GCM input exceeds the 2 GiB limit");
  auto lease = impl_->Acquire();
  if (!lease) return Error(ErrorCode::kCryptoFailed, "EVP_CIPHER_CTX_copy failed");
  unsigned char fresh[kNonceBytes];
  std::string_view nonce;
  if (given_nonce) {
    nonce = *given_nonce;
  } else {  // Seal: the next nonce of this slot's random batch
    if (!RegisterForkHandler() || !lease->NextNonce(fresh)) return Error(ErrorCode::kCryptoFailed, "RAND_bytes failed");
    nonce = std::string_view(reinterpret_cast<const char*>(fresh), sizeof fresh);
  }
  if (!impl_->Key(lease.get(), Bytes(nonce), /*encrypt=*/true))
    return Error(ErrorCode::kCryptoFailed, "XAES-256-GCM key derivation failed");
  EVP_CIPHER_CTX* ctx = lease->gcm.ctx;

  const size_t base = out->size();
  out->resize(base + kNonceBytes + plaintext.size() + kTagBytes);
  unsigned char* p = reinterpret_cast<unsigned char*>(out->data()) + base;
  std::memcpy(p, nonce.data(), kNonceBytes);
  unsigned char* ct = p + kNonceBytes;
  unsigned char* tag = ct + plaintext.size();
  const int pt_len = static_cast<int>(plaintext.size());
  int len = 0;
  bool ok = true;
  if (!aad.empty()) ok = EVP_EncryptUpdate(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1;
  if (ok && !plaintext.empty()) ok = EVP_EncryptUpdate(ctx, ct, &len, Bytes(plaintext), pt_len) == 1 && len == pt_len;
  if (ok) ok = EVP_EncryptFinal_ex(ctx, tag, &len) == 1 && len == 0;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes), tag) == 1;
  if (!ok) {
    out->resize(base);
    return Error(ErrorCode::kCryptoFailed, "XAES-256-GCM encryption failed");
  }
  return Status::Ok();
}

Status Xaes256Gcm::Open(std::string_view aad, std::string_view sealed, std::string* plaintext) const {
  plaintext->clear();
  if (sealed.size() < kOverheadBytes) return AuthFailed();
  if (aad.size() > kMaxInputBytes || sealed.size() - kOverheadBytes > kMaxInputBytes)
    return Error(ErrorCode::kTooLarge, "XAES-256-GCM input exceeds the 2 GiB limit");
  auto lease = impl_->Acquire();
  if (!lease) return Error(ErrorCode::kCryptoFailed, "EVP_CIPHER_CTX_copy failed");
  if (!impl_->Key(lease.get(), Bytes(sealed), /*encrypt=*/false))
    return Error(ErrorCode::kCryptoFailed, "XAES-256-GCM key derivation failed");
  EVP_CIPHER_CTX* ctx = lease->gcm.ctx;

  std::string_view ct = sealed.substr(kNonceBytes, sealed.size() - kOverheadBytes);
  unsigned char tag[kTagBytes];
  std::memcpy(tag, sealed.data() + sealed.size() - kTagBytes, kTagBytes);
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes), tag) != 1)
    return Error(ErrorCode::kCryptoFailed, "XAES-256-GCM decryption setup failed");
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
