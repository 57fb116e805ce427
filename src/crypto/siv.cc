#include "crypto/siv.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <climits>
#include <cstring>
#include <memory>

#include "crypto/ctx_pool.h"

namespace maskproxy::crypto {
namespace {

constexpr size_t kMaxInputBytes = static_cast<size_t>(INT_MAX);  // EVP_*Update take an int
constexpr size_t kBlock = 16;

// Never null, even for an empty view.
const unsigned char* Bytes(std::string_view s) {
  static const unsigned char kEmpty[1] = {0};
  return s.data() ? reinterpret_cast<const unsigned char*>(s.data()) : kEmpty;
}

Error AuthFailed() {
  return Error(ErrorCode::kAuthFailed, "AES-SIV authentication failed");
}

// Multiplication by x in GF(2^128) (RFC 5297 section 2.3).
void Dbl(unsigned char d[kBlock]) {
  const unsigned char carry = static_cast<unsigned char>(d[0] >> 7);
  for (size_t i = 0; i + 1 < kBlock; ++i) d[i] = static_cast<unsigned char>((d[i] << 1) | (d[i + 1] >> 7));
  d[kBlock - 1] = static_cast<unsigned char>((d[kBlock - 1] << 1) ^ (0x87 & (0 - carry)));
}

// One thread slot's contexts, copied once from the keyed templates: CMAC
// under K1 (reset per use with EVP_MAC_init(ctx, NULL, 0, NULL)) and AES-CTR
// under K2 (only the counter block is set per use).
//
// With one associated-data component, the slot also remembers S2V's D after
// it (dbl(CMAC_K1(<zero>)) xor CMAC_K1(AD)) for the last AD: a field's AD
// (its path and type) repeats, so a repeat saves that CMAC. Wiped with the
// slot.
struct SivCtx {
  static constexpr size_t kMemoAd = 64;  // longer ADs are not remembered
  EVP_MAC_CTX* cmac = nullptr;
  EVP_CIPHER_CTX* ctr = nullptr;
  bool memo_set = false;
  size_t memo_ad_len = 0;
  unsigned char memo_ad[kMemoAd];
  unsigned char memo_d[kBlock];
  SivCtx() = default;
  SivCtx(const SivCtx&) = delete;
  SivCtx& operator=(const SivCtx&) = delete;
  ~SivCtx() {
    OPENSSL_cleanse(memo_d, sizeof memo_d);
    EVP_CIPHER_CTX_free(ctr);
    EVP_MAC_CTX_free(cmac);
  }
  bool Remembers(std::string_view ad) const {
    return memo_set && memo_ad_len == ad.size() && (ad.empty() || std::memcmp(memo_ad, ad.data(), ad.size()) == 0);
  }
  void Remember(std::string_view ad, const unsigned char d[kBlock]) {
    if (ad.size() > kMemoAd) return;
    memo_set = true;
    memo_ad_len = ad.size();
    if (!ad.empty()) std::memcpy(memo_ad, ad.data(), ad.size());
    std::memcpy(memo_d, d, kBlock);
  }
};

// CMAC_K1(a || b) into out, on a keyed context.
bool Cmac(EVP_MAC_CTX* ctx, const unsigned char* a, size_t a_len, const unsigned char* b, size_t b_len,
          unsigned char out[kBlock]) {
  size_t len = 0;
  return EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 && (a_len == 0 || EVP_MAC_update(ctx, a, a_len) == 1) &&
         (b_len == 0 || EVP_MAC_update(ctx, b, b_len) == 1) && EVP_MAC_final(ctx, out, &len, kBlock) == 1 &&
         len == kBlock;
}

// RFC 5297 section 2.4 S2V over CMAC_K1 with the components ads[0..n_ads)
// and then `last` (the plaintext). d0 = CMAC_K1(<zero>), computed once per key.
bool S2v(SivCtx& slot, const unsigned char d0[kBlock], const std::string_view* ads, size_t n_ads, std::string_view last,
         unsigned char v[kBlock]) {
  EVP_MAC_CTX* cmac = slot.cmac;
  unsigned char d[kBlock];
  unsigned char m[kBlock];
  bool ok = true;
  if (n_ads == 1 && slot.Remembers(ads[0])) {
    std::memcpy(d, slot.memo_d, kBlock);
  } else {
    std::memcpy(d, d0, kBlock);
    for (size_t k = 0; ok && k < n_ads; ++k) {
      ok = Cmac(cmac, Bytes(ads[k]), ads[k].size(), nullptr, 0, m);
      Dbl(d);
      for (size_t i = 0; i < kBlock; ++i) d[i] ^= m[i];
    }
    if (ok && n_ads == 1) slot.Remember(ads[0], d);
  }
  if (ok && last.size() >= kBlock) {
    // T = Sn xorend D: all of Sn but its last block as is, then that block xor D.
    const size_t head = last.size() - kBlock;
    for (size_t i = 0; i < kBlock; ++i) m[i] = static_cast<unsigned char>(last[head + i] ^ d[i]);
    ok = Cmac(cmac, Bytes(last), head, m, kBlock, v);
  } else if (ok) {
    Dbl(d);  // T = dbl(D) xor pad(Sn)
    for (size_t i = 0; i < last.size(); ++i) d[i] = static_cast<unsigned char>(d[i] ^ last[i]);
    d[last.size()] ^= 0x80;
    ok = Cmac(cmac, d, kBlock, nullptr, 0, v);
  }
  OPENSSL_cleanse(d, sizeof(d));
  OPENSSL_cleanse(m, sizeof(m));
  return ok;
}

// AES-CTR_K2 of in[0..n) into out, with the counter block Q = V with bits 31
// and 63 (from the right) cleared (RFC 5297 section 2.6).
bool Ctr(EVP_CIPHER_CTX* ctr, const unsigned char v[kBlock], const unsigned char* in, size_t n, unsigned char* out) {
  if (n == 0) return true;
  unsigned char q[kBlock];
  std::memcpy(q, v, kBlock);
  q[8] &= 0x7f;
  q[12] &= 0x7f;
  int len = 0;
  return EVP_EncryptInit_ex2(ctr, nullptr, nullptr, q, nullptr) == 1 &&
         EVP_EncryptUpdate(ctr, out, &len, in, static_cast<int>(n)) == 1 && len == static_cast<int>(n);
}

}  // namespace

// SIV = S2V_K1(AD..., P), C = CTR_K2(SIV, P) (RFC 5297 section 2.6), composed
// from OpenSSL's CMAC and AES-CTR: OpenSSL's own SIV cipher cannot be reset
// without re-keying, and duplicates a CMAC context per component.
struct AesSiv::Impl {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* cmac = nullptr;  // CMAC keyed with K1; copied once per thread slot
  EVP_CIPHER* ctr_cipher = nullptr;
  EVP_CIPHER_CTX* ctr = nullptr;   // AES-CTR keyed with K2; copied once per thread slot
  unsigned char d0[kBlock] = {0};  // CMAC_K1(<zero>)
  internal::CtxPool<SivCtx> pool;
  ~Impl() {
    OPENSSL_cleanse(d0, sizeof(d0));
    EVP_CIPHER_CTX_free(ctr);
    EVP_CIPHER_free(ctr_cipher);
    EVP_MAC_CTX_free(cmac);
    EVP_MAC_free(mac);
  }
  internal::CtxPool<SivCtx>::Lease Acquire() {
    return pool.Acquire([this] {
      auto c = std::make_unique<SivCtx>();
      c->cmac = EVP_MAC_CTX_dup(cmac);
      c->ctr = EVP_CIPHER_CTX_new();
      if (!c->cmac || !c->ctr || EVP_CIPHER_CTX_copy(c->ctr, ctr) != 1) c.reset();
      return c;
    });
  }
  [[nodiscard]] Status Seal(const std::string_view* ads, size_t n_ads, std::string_view plaintext, std::string* out);
  [[nodiscard]] Status Open(const std::string_view* ads, size_t n_ads, std::string_view sealed, std::string* plaintext);
};

AesSiv::AesSiv(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AesSiv::AesSiv(AesSiv&&) noexcept = default;
AesSiv& AesSiv::operator=(AesSiv&&) noexcept = default;
AesSiv::~AesSiv() = default;

Result<AesSiv> AesSiv::Create(const SecretBytes& key) {
  char cbc_name[16] = {0};
  char ctr_name[16] = {0};
  switch (key.size()) {
    case 32:
      std::strcpy(cbc_name, "AES-128-CBC");
      std::strcpy(ctr_name, "AES-128-CTR");
      break;
    case 48:
      std::strcpy(cbc_name, "AES-192-CBC");
      std::strcpy(ctr_name, "AES-192-CTR");
      break;
    case 64:
      std::strcpy(cbc_name, "AES-256-CBC");
      std::strcpy(ctr_name, "AES-256-CTR");
      break;
    default: return Error(ErrorCode::kInvalidKey, "AES-SIV needs a 32-, 48- or 64-byte key");
  }
  const size_t half = key.size() / 2;  // K1 || K2
  auto impl = std::make_unique<Impl>();
  impl->ctr_cipher = EVP_CIPHER_fetch(nullptr, ctr_name, nullptr);
  if (!impl->ctr_cipher)
    return Error(ErrorCode::kCryptoUnavailable, std::string("OpenSSL has no ") + ctr_name + " implementation");
  impl->ctr = EVP_CIPHER_CTX_new();
  if (!impl->ctr) return Error(ErrorCode::kCryptoFailed, "EVP_CIPHER_CTX_new failed");
  if (EVP_EncryptInit_ex2(impl->ctr, impl->ctr_cipher, key.data() + half, nullptr, nullptr) != 1)
    return Error(ErrorCode::kCryptoFailed, "AES-CTR key setup failed");

  impl->mac = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
  if (!impl->mac) return Error(ErrorCode::kCryptoUnavailable, "OpenSSL has no CMAC implementation");
  impl->cmac = EVP_MAC_CTX_new(impl->mac);
  if (!impl->cmac) return Error(ErrorCode::kCryptoFailed, "EVP_MAC_CTX_new failed");
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cbc_name, 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(impl->cmac, key.data(), half, params) != 1)  // K1: the first half
    return Error(ErrorCode::kCryptoFailed, "AES-CMAC key setup failed");
  static const unsigned char kZero[kBlock] = {0};
  {
    auto lease = impl->Acquire();
    if (!lease || !Cmac(lease->cmac, kZero, kBlock, nullptr, 0, impl->d0))
      return Error(ErrorCode::kCryptoFailed, "AES-CMAC computation failed");
  }
  return AesSiv(std::move(impl));
}

Status AesSiv::Seal(std::string_view aad, std::string_view plaintext, std::string* out) const {
  return impl_->Seal(&aad, 1, plaintext, out);
}

Status AesSiv::Open(std::string_view aad, std::string_view sealed, std::string* plaintext) const {
  return impl_->Open(&aad, 1, sealed, plaintext);
}

Status AesSiv::Seal(const std::vector<std::string_view>& ads, std::string_view plaintext, std::string* out) const {
  return impl_->Seal(ads.data(), ads.size(), plaintext, out);
}

Status AesSiv::Open(const std::vector<std::string_view>& ads, std::string_view sealed, std::string* plaintext) const {
  return impl_->Open(ads.data(), ads.size(), sealed, plaintext);
}

Status AesSiv::Impl::Seal(const std::string_view* ads, size_t n_ads, std::string_view plaintext, std::string* out) {
  if (n_ads > kMaxAdComponents)
    return Error(ErrorCode::kTooManyAdComponents, "AES-SIV takes at most 126 associated-data components");
  if (plaintext.size() > kMaxInputBytes) return Error(ErrorCode::kTooLarge, "AES-SIV input exceeds the 2 GiB limit");
  for (size_t k = 0; k < n_ads; ++k)
    if (ads[k].size() > kMaxInputBytes) return Error(ErrorCode::kTooLarge, "AES-SIV input exceeds the 2 GiB limit");
  auto lease = Acquire();
  if (!lease) return Error(ErrorCode::kCryptoFailed, "AES-SIV context setup failed");

  const size_t base = out->size();
  out->resize(base + kSivBytes + plaintext.size());
  unsigned char* siv = reinterpret_cast<unsigned char*>(out->data()) + base;
  if (!S2v(*lease.get(), d0, ads, n_ads, plaintext, siv) ||
      !Ctr(lease->ctr, siv, Bytes(plaintext), plaintext.size(), siv + kSivBytes)) {
    out->resize(base);
    return Error(ErrorCode::kCryptoFailed, "AES-SIV encryption failed");
  }
  return Status::Ok();
}

Status AesSiv::Impl::Open(const std::string_view* ads, size_t n_ads, std::string_view sealed, std::string* plaintext) {
  plaintext->clear();
  if (sealed.size() < kSivBytes) return AuthFailed();
  if (n_ads > kMaxAdComponents)
    return Error(ErrorCode::kTooManyAdComponents, "AES-SIV takes at most 126 associated-data components");
  if (sealed.size() - kSivBytes > kMaxInputBytes)
    return Error(ErrorCode::kTooLarge, "AES-SIV input exceeds the 2 GiB limit");
  for (size_t k = 0; k < n_ads; ++k)
    if (ads[k].size() > kMaxInputBytes) return Error(ErrorCode::kTooLarge, "AES-SIV input exceeds the 2 GiB limit");
  auto lease = Acquire();
  if (!lease) return Error(ErrorCode::kCryptoFailed, "AES-SIV context setup failed");

  unsigned char tag[kSivBytes];
  std::memcpy(tag, sealed.data(), kSivBytes);
  std::string_view ct = sealed.substr(kSivBytes);
  plaintext->resize(ct.size());
  unsigned char* pt = reinterpret_cast<unsigned char*>(plaintext->data());
  unsigned char v[kSivBytes];
  // P = CTR_K2(SIV, C); then S2V(AD..., P) must equal SIV (compared in
  // constant time). A mismatch wipes P and returns nothing of it.
  const bool computed = Ctr(lease->ctr, tag, Bytes(ct), ct.size(), pt) &&
                        S2v(*lease.get(), d0, ads, n_ads, std::string_view(plaintext->data(), ct.size()), v);
  const bool ok = computed && CRYPTO_memcmp(v, tag, kSivBytes) == 0;
  OPENSSL_cleanse(v, sizeof(v));
  if (!ok) {
    OPENSSL_cleanse(plaintext->data(), plaintext->size());
    plaintext->clear();
    if (!computed) return Error(ErrorCode::kCryptoFailed, "AES-SIV decryption failed");
    return AuthFailed();
  }
  return Status::Ok();
}

}  // namespace maskproxy::crypto
