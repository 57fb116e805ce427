#include "crypto/mac.h"

// SHA256_Init/Update/Final (HmacSha256): deprecated in OpenSSL 3.0, still
// there; see HmacSha256::Impl.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <cstring>
#include <tuple>
#include <vector>

namespace maskproxy::crypto {

namespace {

constexpr size_t kShaBlock = 64;

}  // namespace

// HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m)) (RFC 2104). The SHA-256
// states after the first block of each hash, (K0 ^ ipad) and (K0 ^ opad), are
// computed once; each Compute copies them (plain structs, on the stack) and
// finishes both hashes with OpenSSL's SHA-256 block functions: two or three
// compressions for a field value, no allocation, no provider dispatch (an
// EVP_MD_CTX_copy_ex allocates and frees the provider's context each time in
// OpenSSL 3.0). The low-level SHA256_* calls are deprecated in OpenSSL 3 but
// kept there; they are the same code the EVP SHA-256 provider runs (SHA-NI
// or AVX2 chosen at run time).
struct HmacSha256::Impl {
  SHA256_CTX inner{};  // SHA-256 after K0 ^ ipad; read-only after Create
  SHA256_CTX outer{};  // SHA-256 after K0 ^ opad; read-only after Create
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    OPENSSL_cleanse(&inner, sizeof inner);
    OPENSSL_cleanse(&outer, sizeof outer);
  }
};

HmacSha256::HmacSha256(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;
HmacSha256::~HmacSha256() = default;

Result<HmacSha256> HmacSha256::Create(const SecretBytes& key) {
  auto impl = std::make_unique<Impl>();
  // K0: the key, or SHA-256(key) when longer than a block, zero-padded.
  unsigned char k0[kShaBlock] = {0};
  unsigned char pad[kShaBlock];
  bool ok = true;
  if (key.size() > kShaBlock) {
    ok = SHA256(key.data(), key.size(), k0) != nullptr;
  } else if (!key.empty()) {
    std::memcpy(k0, key.data(), key.size());
  }
  for (size_t i = 0; i < kShaBlock; ++i) pad[i] = static_cast<unsigned char>(k0[i] ^ 0x36);
  ok = ok && SHA256_Init(&impl->inner) == 1 && SHA256_Update(&impl->inner, pad, kShaBlock) == 1;
  for (size_t i = 0; i < kShaBlock; ++i) pad[i] = static_cast<unsigned char>(k0[i] ^ 0x5c);
  ok = ok && SHA256_Init(&impl->outer) == 1 && SHA256_Update(&impl->outer, pad, kShaBlock) == 1;
  OPENSSL_cleanse(k0, sizeof(k0));
  OPENSSL_cleanse(pad, sizeof(pad));
  if (!ok) return Error(ErrorCode::kCryptoFailed, "HMAC-SHA-256 key setup failed");
  return HmacSha256(std::move(impl));
}

Status HmacSha256::Compute(std::string_view data, Sha256Digest* out) const {
  static_assert(std::tuple_size_v<Sha256Digest> == SHA256_DIGEST_LENGTH);
  SHA256_CTX w = impl_->inner;
  unsigned char ih[SHA256_DIGEST_LENGTH];
  bool ok = SHA256_Update(&w, data.data(), data.size()) == 1 && SHA256_Final(ih, &w) == 1;
  w = impl_->outer;
  ok = ok && SHA256_Update(&w, ih, sizeof(ih)) == 1 && SHA256_Final(out->data(), &w) == 1;
  // w now holds only the output (SHA256_Final wipes its data block); the
  // inner hash is wiped.
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
