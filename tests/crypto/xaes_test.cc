// XAES-256-GCM: the C2SP vectors (https://c2sp.org/XAES-256-GCM): the two
// explicit ones (MSB(L) = 0 and 1) and the accumulated randomized test over
// 10 000 iterations (inputs from one SHAKE-128 stream, ciphertexts hashed by
// another), plus round trips, tamper detection and fresh nonces. Only
// ciphertexts and tags are printed on failure, never key material.
#include "crypto/xaes.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "hex_util.h"

namespace maskproxy::crypto {
namespace {

using testing::FromHex;
using testing::Key;
using testing::ToHex;

constexpr std::string_view kNonce = "ABCDEFGHIJKLMNOPQRSTUVWX";

std::string SealHex(std::string_view key_hex, std::string_view nonce, std::string_view aad, std::string_view pt) {
  auto x = Xaes256Gcm::Create(Key(key_hex));
  EXPECT_TRUE(x.ok());
  if (!x.ok()) return "";
  std::string out;
  EXPECT_TRUE(x->SealWithNonce(nonce, aad, pt, &out).ok());
  if (out.size() < Xaes256Gcm::kNonceBytes) return "";
  EXPECT_EQ(out.substr(0, Xaes256Gcm::kNonceBytes), nonce);
  return ToHex(std::string_view(out).substr(Xaes256Gcm::kNonceBytes));
}

TEST(Xaes256GcmTest, C2spVectorMsbZero) {
  EXPECT_EQ(SealHex("0101010101010101010101010101010101010101010101010101010101010101", kNonce, "", "XAES-256-GCM"),
            "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271");
}

TEST(Xaes256GcmTest, C2spVectorMsbOneWithAad) {
  EXPECT_EQ(SealHex("0303030303030303030303030303030303030303030303030303030303030303", kNonce, "c2sp.org/XAES-256-GCM",
                    "XAES-256-GCM"),
            "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d");
}

TEST(Xaes256GcmTest, C2spVectorsOpen) {
  auto x = Xaes256Gcm::Create(Key("0303030303030303030303030303030303030303030303030303030303030303"));
  ASSERT_TRUE(x.ok());
  std::string sealed = std::string(kNonce) + FromHex("986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d");
  std::string pt;
  ASSERT_TRUE(x->Open("c2sp.org/XAES-256-GCM", sealed, &pt).ok());
  EXPECT_EQ(pt, "XAES-256-GCM");
  EXPECT_EQ(x->Open("c2sp.org/XAES-256-GCm", sealed, &pt).error().code, ErrorCode::kAuthFailed);
  EXPECT_TRUE(pt.empty());
}

// The deterministic RNG: one SHAKE-128 instance over the empty input. The
// whole stream the test can need (at most 32+24+1+255+1+255 bytes per
// iteration) is squeezed at once: a SHAKE output is a prefix of any longer one.
class ShakeStream {
 public:
  explicit ShakeStream(size_t max_bytes) : buf_(max_bytes, '\0') {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    ok_ = ctx && EVP_DigestInit_ex(ctx.get(), EVP_shake128(), nullptr) == 1 &&
          EVP_DigestFinalXOF(ctx.get(), reinterpret_cast<unsigned char*>(buf_.data()), buf_.size()) == 1;
  }
  bool ok() const { return ok_; }
  std::string_view Read(size_t n) {
    if (pos_ + n > buf_.size()) {
      ok_ = false;
      return {};
    }
    std::string_view s(buf_.data() + pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::string buf_;
  size_t pos_ = 0;
  bool ok_ = false;
};

TEST(Xaes256GcmTest, C2spAccumulated10000) {
  constexpr int kIterations = 10000;
  ShakeStream rng(static_cast<size_t>(kIterations) * (32 + 24 + 1 + 255 + 1 + 255));
  ASSERT_TRUE(rng.ok());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> hash(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  ASSERT_TRUE(hash && EVP_DigestInit_ex(hash.get(), EVP_shake128(), nullptr) == 1);
  for (int i = 0; i < kIterations; ++i) {
    std::string_view key = rng.Read(32);
    std::string_view nonce = rng.Read(24);
    std::string_view pt = rng.Read(static_cast<unsigned char>(rng.Read(1)[0]));
    std::string_view aad = rng.Read(static_cast<unsigned char>(rng.Read(1)[0]));
    ASSERT_TRUE(rng.ok());
    auto x = Xaes256Gcm::Create(SecretBytes(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
    ASSERT_TRUE(x.ok());
    std::string sealed;
    ASSERT_TRUE(x->SealWithNonce(nonce, aad, pt, &sealed).ok());
    std::string_view ct = std::string_view(sealed).substr(Xaes256Gcm::kNonceBytes);
    ASSERT_EQ(EVP_DigestUpdate(hash.get(), ct.data(), ct.size()), 1);
    std::string opened;
    ASSERT_TRUE(x->Open(aad, sealed, &opened).ok()) << "iteration " << i;
    ASSERT_EQ(opened, pt) << "iteration " << i;
  }
  unsigned char digest[32];
  ASSERT_EQ(EVP_DigestFinalXOF(hash.get(), digest, sizeof digest), 1);
  EXPECT_EQ(ToHex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest)),
            "e6b9edf2df6cec60c8cbd864e2211b597fb69a529160cd040d56c0c210081939");
}

TEST(Xaes256GcmTest, ShakeStreamStartsAsSpecified) {
  ShakeStream rng(16);
  ASSERT_TRUE(rng.ok());
  EXPECT_EQ(ToHex(rng.Read(16)), "7f9c2ba4e88f827d616045507605853e");
}

TEST(Xaes256GcmTest, RoundTripWithFreshNonces) {
  auto x = Xaes256Gcm::Create(Key("0101010101010101010101010101010101010101010101010101010101010101"));
  ASSERT_TRUE(x.ok());
  std::set<std::string> nonces;
  for (int i = 0; i < 200; ++i) {
    std::string sealed;
    ASSERT_TRUE(x->Seal("aad", "hello", &sealed).ok());
    ASSERT_EQ(sealed.size(), 5 + Xaes256Gcm::kOverheadBytes);
    nonces.insert(sealed.substr(0, Xaes256Gcm::kNonceBytes));
    std::string pt;
    ASSERT_TRUE(x->Open("aad", sealed, &pt).ok());
    EXPECT_EQ(pt, "hello");
  }
  EXPECT_EQ(nonces.size(), 200u);
}

TEST(Xaes256GcmTest, ConcurrentSealAndOpenFromSeveralThreads) {
  auto x = Xaes256Gcm::Create(Key("0101010101010101010101010101010101010101010101010101010101010101"));
  ASSERT_TRUE(x.ok());
  constexpr int kThreads = 12, kEach = 200;  // more threads than the context pool's slots
  std::vector<int> good(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string pt = "value " + std::to_string(t) + "/" + std::to_string(i), sealed, back;
        if (x->Seal("aad", pt, &sealed).ok() && x->Open("aad", sealed, &back).ok() && back == pt)
          ++good[static_cast<size_t>(t)];
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(good[static_cast<size_t>(t)], kEach) << "thread " << t;
}

TEST(Xaes256GcmTest, EmptyPlaintextAndAad) {
  auto x = Xaes256Gcm::Create(Key("0101010101010101010101010101010101010101010101010101010101010101"));
  ASSERT_TRUE(x.ok());
  std::string sealed;
  ASSERT_TRUE(x->Seal("", "", &sealed).ok());
  std::string pt = "junk";
  ASSERT_TRUE(x->Open("", sealed, &pt).ok());
  EXPECT_TRUE(pt.empty());
}

TEST(Xaes256GcmTest, EveryFlippedBitAndTruncationIsRefused) {
  auto x = Xaes256Gcm::Create(Key("0101010101010101010101010101010101010101010101010101010101010101"));
  ASSERT_TRUE(x.ok());
  std::string sealed;
  ASSERT_TRUE(x->Seal("aad", "secret value", &sealed).ok());
  for (size_t i = 0; i < sealed.size() * 8; ++i) {
    std::string t = sealed;
    t[i / 8] = static_cast<char>(t[i / 8] ^ (1 << (i % 8)));
    std::string pt;
    ASSERT_EQ(x->Open("aad", t, &pt).error().code, ErrorCode::kAuthFailed) << "bit " << i;
    ASSERT_TRUE(pt.empty());
  }
  std::string pt;
  EXPECT_EQ(x->Open("aad", sealed.substr(0, Xaes256Gcm::kOverheadBytes - 1), &pt).error().code, ErrorCode::kAuthFailed);
  EXPECT_EQ(x->Open("aad", sealed.substr(0, sealed.size() - 1), &pt).error().code, ErrorCode::kAuthFailed);
  auto other = Xaes256Gcm::Create(Key("0303030303030303030303030303030303030303030303030303030303030303"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->Open("aad", sealed, &pt).error().code, ErrorCode::kAuthFailed);
}

TEST(Xaes256GcmTest, RefusesBadKeyAndNonceSizes) {
  EXPECT_EQ(Xaes256Gcm::Create(Key("0101")).error().code, ErrorCode::kInvalidKey);
  auto x = Xaes256Gcm::Create(Key("0101010101010101010101010101010101010101010101010101010101010101"));
  ASSERT_TRUE(x.ok());
  std::string out;
  EXPECT_EQ(x->SealWithNonce("short", "", "x", &out).error().code, ErrorCode::kInvalidIv);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace maskproxy::crypto
