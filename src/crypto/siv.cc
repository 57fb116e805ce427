#include "crypto/siv.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <climits>
#include <cstring>

namespace maskproxy::crypto {
namespace internal {

// RFC 5297 section 2.4 S2V over CMAC, keyed through `cmac` (an initialised
// template, duplicated per CMAC). Only used for an empty plaintext: OpenSSL
// 3.0's SIV cipher refuses to finalise when no plaintext was processed, so
// that one case computes the SIV itself (no ciphertext remains to produce).
// Written for any last component so it can be cross-checked against OpenSSL.
bool S2vCmac(const EVP_MAC_CTX* cmac, const std::vector<std::string_view>& ads, std::string_view last,
             unsigned char v[16]);

}  // namespace internal

namespace {

constexpr size_t kMaxInputBytes = static_cast<size_t>(INT_MAX);  // EVP_*Update take an int
constexpr size_t kBlock = 16;

struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  CipherCtx() = default;
  CipherCtx(const CipherCtx&) = delete;
  CipherCtx& operator=(const CipherCtx&) = delete;
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};

// Never null, even for an empty view: OpenSSL's SIV treats a null input as
// "finalise", so an empty component must still come with a real pointer.
const unsigned char* Bytes(std::string_view s) {
  static const unsigned char kEmpty[1] = {0};
  return s.data() ? reinterpret_cast<const unsigned char*>(s.data()) : kEmpty;
}

Error AuthFailed() {
  return Error("auth_failed", "AES-SIV authentication failed");
}

bool Cmac(const EVP_MAC_CTX* tmpl, const unsigned char* data, size_t n, unsigned char out[kBlock]) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(tmpl);
  if (!ctx) return false;
  size_t len = 0;
  bool ok = EVP_MAC_update(ctx, data, n) == 1 && EVP_MAC_final(ctx, out, &len, kBlock) == 1 && len == kBlock;
  EVP_MAC_CTX_free(ctx);
  return ok;
}

// Multiplication by x in GF(2^128) (RFC 5297 section 2.3).
void Dbl(unsigned char d[kBlock]) {
  const unsigned char carry = static_cast<unsigned char>(d[0] >> 7);
  for (size_t i = 0; i + 1 < kBlock; ++i) d[i] = static_cast<unsigned char>((d[i] << 1) | (d[i + 1] >> 7));
  d[kBlock - 1] = static_cast<unsigned char>((d[kBlock - 1] << 1) ^ (0x87 & (0 - carry)));
}

}  // namespace

namespace internal {

bool S2vCmac(const EVP_MAC_CTX* cmac, const std::vector<std::string_view>& ads, std::string_view last,
             unsigned char v[16]) {
  static const unsigned char kZero[kBlock] = {0};
  unsigned char d[kBlock];
  unsigned char m[kBlock];
  if (!Cmac(cmac, kZero, kBlock, d)) return false;
  for (std::string_view ad : ads) {
    if (!Cmac(cmac, Bytes(ad), ad.size(), m)) return false;
    Dbl(d);
    for (size_t i = 0; i < kBlock; ++i) d[i] ^= m[i];
  }
  bool ok;
  if (last.size() >= kBlock) {
    std::string t(last);  // T = Sn xorend D
    for (size_t i = 0; i < kBlock; ++i) t[t.size() - kBlock + i] = static_cast<char>(t[t.size() - kBlock + i] ^ d[i]);
    ok = Cmac(cmac, reinterpret_cast<const unsigned char*>(t.data()), t.size(), v);
    OPENSSL_cleanse(t.data(), t.size());
  } else {
    Dbl(d);  // T = dbl(D) xor pad(Sn)
    for (size_t i = 0; i < last.size(); ++i) d[i] = static_cast<unsigned char>(d[i] ^ last[i]);
    d[last.size()] ^= 0x80;
    ok = Cmac(cmac, d, kBlock, v);
  }
  OPENSSL_cleanse(d, sizeof(d));
  OPENSSL_cleanse(m, sizeof(m));
  return ok;
}

}  // namespace internal

struct AesSiv::Impl {
  EVP_CIPHER* cipher = nullptr;
  EVP_CIPHER_CTX* enc = nullptr;  // keyed for encryption; copied per call
  EVP_CIPHER_CTX* dec = nullptr;  // keyed for decryption; copied per call
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* s2v = nullptr;  // CMAC keyed with K1, for the empty-plaintext case
  ~Impl() {
    EVP_MAC_CTX_free(s2v);
    EVP_MAC_free(mac);
    EVP_CIPHER_CTX_free(dec);
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_free(cipher);
  }
};

AesSiv::AesSiv(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AesSiv::AesSiv(AesSiv&&) noexcept = default;
AesSiv& AesSiv::operator=(AesSiv&&) noexcept = default;
AesSiv::~AesSiv() = default;

Result<AesSiv> AesSiv::Create(const SecretBytes& key) {
  const char* siv_name = nullptr;
  char cbc_name[16] = {0};
  switch (key.size()) {
    case 32:
      siv_name = "AES-128-SIV";
      std::strcpy(cbc_name, "AES-128-CBC");
      break;
    case 48:
      siv_name = "AES-192-SIV";
      std::strcpy(cbc_name, "AES-192-CBC");
      break;
    case 64:
      siv_name = "AES-256-SIV";
      std::strcpy(cbc_name, "AES-256-CBC");
      break;
    default: return Error("invalid_key", "AES-SIV needs a 32-, 48- or 64-byte key");
  }
  auto impl = std::make_unique<Impl>();
  impl->cipher = EVP_CIPHER_fetch(nullptr, siv_name, nullptr);
  if (!impl->cipher) return Error("crypto_unavailable", std::string("OpenSSL has no ") + siv_name + " implementation");
  impl->enc = EVP_CIPHER_CTX_new();
  impl->dec = EVP_CIPHER_CTX_new();
  if (!impl->enc || !impl->dec) return Error("crypto_failed", "EVP_CIPHER_CTX_new failed");
  if (EVP_EncryptInit_ex2(impl->enc, impl->cipher, key.data(), nullptr, nullptr) != 1 ||
      EVP_DecryptInit_ex2(impl->dec, impl->cipher, key.data(), nullptr, nullptr) != 1)
    return Error("crypto_failed", "AES-SIV key setup failed");

  impl->mac = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
  if (!impl->mac) return Error("crypto_unavailable", "OpenSSL has no CMAC implementation");
  impl->s2v = EVP_MAC_CTX_new(impl->mac);
  if (!impl->s2v) return Error("crypto_failed", "EVP_MAC_CTX_new failed");
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cbc_name, 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(impl->s2v, key.data(), key.size() / 2, params) != 1)  // K1: the first half
    return Error("crypto_failed", "AES-CMAC key setup failed");
  return AesSiv(std::move(impl));
}

Status AesSiv::Seal(std::string_view aad, std::string_view plaintext, std::string* out) const {
  return Seal(std::vector<std::string_view>{aad}, plaintext, out);
}

Status AesSiv::Open(std::string_view aad, std::string_view sealed, std::string* plaintext) const {
  return Open(std::vector<std::string_view>{aad}, sealed, plaintext);
}

Status AesSiv::Seal(const std::vector<std::string_view>& ads, std::string_view plaintext, std::string* out) const {
  if (ads.size() > kMaxAdComponents)
    return Error("too_many_ad_components", "AES-SIV takes at most 126 associated-data components");
  if (plaintext.size() > kMaxInputBytes) return Error("too_large", "AES-SIV input exceeds the 2 GiB limit");
  for (std::string_view ad : ads)
    if (ad.size() > kMaxInputBytes) return Error("too_large", "AES-SIV input exceeds the 2 GiB limit");

  const size_t base = out->size();
  out->resize(base + kSivBytes + plaintext.size());
  unsigned char* siv = reinterpret_cast<unsigned char*>(out->data()) + base;

  if (plaintext.empty()) {
    if (!internal::S2vCmac(impl_->s2v, ads, plaintext, siv)) {
      out->resize(base);
      return Error("crypto_failed", "AES-SIV encryption failed");
    }
    return Status::Ok();
  }

  CipherCtx c;
  bool ok = c.ctx && EVP_CIPHER_CTX_copy(c.ctx, impl_->enc) == 1;
  int len = 0;
  for (size_t i = 0; ok && i < ads.size(); ++i)  // each call is one S2V component
    ok = EVP_EncryptUpdate(c.ctx, nullptr, &len, Bytes(ads[i]), static_cast<int>(ads[i].size())) == 1;
  const int pt_len = static_cast<int>(plaintext.size());
  if (ok) ok = EVP_EncryptUpdate(c.ctx, siv + kSivBytes, &len, Bytes(plaintext), pt_len) == 1 && len == pt_len;
  if (ok) ok = EVP_EncryptFinal_ex(c.ctx, siv + kSivBytes + plaintext.size(), &len) == 1 && len == 0;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kSivBytes), siv) == 1;
  if (!ok) {
    out->resize(base);
    return Error("crypto_failed", "AES-SIV encryption failed");
  }
  return Status::Ok();
}

Status AesSiv::Open(const std::vector<std::string_view>& ads, std::string_view sealed, std::string* plaintext) const {
  plaintext->clear();
  if (sealed.size() < kSivBytes) return AuthFailed();
  if (ads.size() > kMaxAdComponents)
    return Error("too_many_ad_components", "AES-SIV takes at most 126 associated-data components");
  if (sealed.size() - kSivBytes > kMaxInputBytes) return Error("too_large", "AES-SIV input exceeds the 2 GiB limit");
  for (std::string_view ad : ads)
    if (ad.size() > kMaxInputBytes) return Error("too_large", "AES-SIV input exceeds the 2 GiB limit");

  unsigned char tag[kSivBytes];
  std::memcpy(tag, sealed.data(), kSivBytes);
  std::string_view ct = sealed.substr(kSivBytes);

  if (ct.empty()) {
    unsigned char v[kSivBytes];
    if (!internal::S2vCmac(impl_->s2v, ads, ct, v)) return Error("crypto_failed", "AES-SIV decryption failed");
    if (CRYPTO_memcmp(v, tag, kSivBytes) != 0) return AuthFailed();
    return Status::Ok();
  }

  CipherCtx c;
  if (!c.ctx || EVP_CIPHER_CTX_copy(c.ctx, impl_->dec) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kSivBytes), tag) != 1)
    return Error("crypto_failed", "AES-SIV decryption setup failed");

  plaintext->resize(ct.size());
  unsigned char* pt = reinterpret_cast<unsigned char*>(plaintext->data());
  const int ct_len = static_cast<int>(ct.size());
  int len = 0;
  bool ok = true;
  for (size_t i = 0; ok && i < ads.size(); ++i)
    ok = EVP_DecryptUpdate(c.ctx, nullptr, &len, Bytes(ads[i]), static_cast<int>(ads[i].size())) == 1;
  // OpenSSL checks the SIV (in constant time) while decrypting, and wipes the
  // output on a mismatch; Final reports the result again.
  if (ok) ok = EVP_DecryptUpdate(c.ctx, pt, &len, Bytes(ct), ct_len) == 1 && len == ct_len;
  if (ok) ok = EVP_DecryptFinal_ex(c.ctx, pt + ct.size(), &len) == 1 && len == 0;
  if (!ok) {
    OPENSSL_cleanse(plaintext->data(), plaintext->size());
    plaintext->clear();
    return AuthFailed();
  }
  return Status::Ok();
}

}  // namespace maskproxy::crypto
