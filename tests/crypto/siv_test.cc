// AES-SIV: known answers from RFC 5297 Appendix A.1 (deterministic, one AD
// component) and A.2 (nonce-based, nonce as the last AD component); the
// 48- and 64-byte-key cases from NIST's proposed-modes SIV test vectors
// (siv-test-vectors.txt, as carried by the Miscreant and wolfSSL test suites);
// and Miscreant's empty-AD / empty-plaintext vectors. Plus determinism, AD
// separation and tamper detection.
#include "crypto/siv.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "hex_util.h"

namespace maskproxy::crypto {
namespace {

using testing::FromHex;

using testing::ToHex;

using testing::Key;

// Seals with the vector's AD components, compares SIV || C, then opens.
void CheckKat(std::string_view key_hex, const std::vector<std::string_view>& ad_hex, std::string_view pt_hex,
              std::string_view want_hex) {
  auto siv = AesSiv::Create(Key(key_hex));
  ASSERT_TRUE(siv.ok()) << siv.error().ToString();
  std::vector<std::string> ad_bytes;
  for (std::string_view h : ad_hex) ad_bytes.push_back(FromHex(h));
  std::vector<std::string_view> ads(ad_bytes.begin(), ad_bytes.end());
  const std::string pt = FromHex(pt_hex);

  std::string sealed = "prefix";
  Status s = siv->Seal(ads, pt, &sealed);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_EQ(sealed.substr(0, 6), "prefix") << "Seal must append";
  const std::string body = sealed.substr(6);
  EXPECT_EQ(ToHex(body), want_hex);

  std::string opened = "stale";
  Status o = siv->Open(ads, body, &opened);
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  EXPECT_EQ(ToHex(opened), pt_hex);
}

constexpr std::string_view kA1Key = "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
constexpr std::string_view kA1Ad = "101112131415161718191a1b1c1d1e1f2021222324252627";
constexpr std::string_view kA1Pt = "112233445566778899aabbccddee";

constexpr std::string_view kA2Ad1 = "00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100";
constexpr std::string_view kA2Ad2 = "102030405060708090a0";
constexpr std::string_view kA2Nonce = "09f911029d74e35bd84156c5635688c0";
constexpr std::string_view kA2Pt =
    "7468697320697320736f6d6520706c61696e7465787420746f20656e63727970"
    "74207573696e67205349562d414553";

TEST(SivRfc5297, A1DeterministicAuthenticatedEncryption) {
  CheckKat(kA1Key, {kA1Ad}, kA1Pt,
           "85632d07c6e8f37f950acd320a2ecc93"
           "40c02b9690c4dc04daef7f6afe5c");
}

TEST(SivRfc5297, A1ThroughTheSingleAadOverload) {
  auto siv = AesSiv::Create(Key(kA1Key));
  ASSERT_TRUE(siv.ok());
  std::string sealed;
  ASSERT_TRUE(siv->Seal(FromHex(kA1Ad), FromHex(kA1Pt), &sealed).ok());
  EXPECT_EQ(ToHex(sealed), "85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c");
  std::string opened;
  ASSERT_TRUE(siv->Open(FromHex(kA1Ad), sealed, &opened).ok());
  EXPECT_EQ(ToHex(opened), kA1Pt);
}

TEST(SivRfc5297, A2NonceBasedAuthenticatedEncryption) {
  CheckKat("7f7e7d7c7b7a79787776757473727170404142434445464748494a4b4c4d4e4f", {kA2Ad1, kA2Ad2, kA2Nonce}, kA2Pt,
           "7bdb6e3b432667eb06f4d14bff2fbd0f"
           "cb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd5c0d");
}

TEST(SivNistVectors, Aes192SubkeysTestCase1) {
  CheckKat("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f06f6e6d6c6b6a6968f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff0001020304050607", {kA1Ad},
           kA1Pt, "02347811daa8b27491f24448932775a62af34a06ac0016e8ac284a5514f6");
}

TEST(SivNistVectors, Aes192SubkeysTestCase2) {
  CheckKat(
      "7f7e7d7c7b7a797877767574737271706f6e6d6c6b6a69684041424344454647"
      "48494a4b4c4d4e4f5051525354555657",
      {kA2Ad1, kA2Ad2, kA2Nonce}, kA2Pt,
      "de40aa1e7180d519cb14308ea7f77586da09877c510f29651f42311ab728e956"
      "09e7de2994bdf80bb99bfaace31c4ec0d15ba6509f53f36ad725dcabc9e2a7");
}

TEST(SivNistVectors, Aes256SubkeysTestCase1) {
  CheckKat(
      "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f06f6e6d6c6b6a69686766656463626160"
      "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f",
      {kA1Ad}, kA1Pt, "f125274c598065cfc26b0e71575029088b035217e380cac8919ee800c126");
}

TEST(SivNistVectors, Aes256SubkeysTestCase2) {
  CheckKat(
      "7f7e7d7c7b7a797877767574737271706f6e6d6c6b6a69686766656463626160"
      "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5b5d5e5f",
      {kA2Ad1, kA2Ad2, kA2Nonce}, kA2Pt,
      "85b8167310038db7dc4692c0281ca35868181b2762f3c24f2efa5fb80cb14351"
      "6ce6c434b898a6fd8eb98a418842f51f66fc67de43ac185a66dd72475bbb08");
}

// OpenSSL 3.0's SIV cipher cannot finalise an empty plaintext; AesSiv
// computes S2V itself for that case. This vector pins it.
TEST(SivMiscreantVectors, EmptyAdAndEmptyPlaintext) {
  CheckKat(kA1Key, {}, "", "f2007a5beb2b8900c588a7adf599f172");
}

TEST(SivMiscreantVectors, EmptyAdAndBlockSizePlaintext) {
  CheckKat(kA1Key, {}, "00112233445566778899aabbccddeeff",
           "f304f912863e303d5b540e5057c7010c942ffaf45b0e5ca5fb9a56a5263bb065");
}

TEST(Siv, EmptyPlaintextRoundTripsAndIsAuthenticated) {
  for (size_t key_len : {32, 48, 64}) {
    auto siv = AesSiv::Create(SecretBytes(std::vector<uint8_t>(key_len, 0x5a)));
    ASSERT_TRUE(siv.ok());
    std::string sealed;
    ASSERT_TRUE(siv->Seal("aad", "", &sealed).ok());
    ASSERT_EQ(sealed.size(), AesSiv::kSivBytes);
    std::string again;
    ASSERT_TRUE(siv->Seal("aad", "", &again).ok());
    EXPECT_EQ(again, sealed);
    std::string other;
    ASSERT_TRUE(siv->Seal("aae", "", &other).ok());
    EXPECT_NE(other, sealed);
    std::string out = "stale";
    ASSERT_TRUE(siv->Open("aad", sealed, &out).ok());
    EXPECT_TRUE(out.empty());
    out = "stale";
    Status s = siv->Open("aae", sealed, &out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
    EXPECT_TRUE(out.empty());
    for (size_t i = 0; i < sealed.size() * 8; ++i) {
      std::string bad = sealed;
      bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
      Status b = siv->Open("aad", bad, &out);
      ASSERT_FALSE(b.ok()) << "bit " << i;
      EXPECT_EQ(b.error().code, ErrorCode::kAuthFailed);
    }
  }
}

TEST(Siv, EmptyAdComponentDiffersFromNoComponent) {
  auto siv = AesSiv::Create(Key(kA1Key));
  ASSERT_TRUE(siv.ok());
  std::string none, one_empty, two_empty;
  ASSERT_TRUE(siv->Seal(std::vector<std::string_view>{}, "value", &none).ok());
  ASSERT_TRUE(siv->Seal(std::vector<std::string_view>{""}, "value", &one_empty).ok());
  ASSERT_TRUE(siv->Seal(std::vector<std::string_view>{"", ""}, "value", &two_empty).ok());
  EXPECT_NE(none, one_empty);
  EXPECT_NE(one_empty, two_empty);
  std::string single;
  ASSERT_TRUE(siv->Seal(std::string_view(""), "value", &single).ok());
  EXPECT_EQ(single, one_empty);
}

TEST(Siv, DeterministicForEveryKeySize) {
  for (size_t key_len : {32, 48, 64}) {
    auto siv = AesSiv::Create(SecretBytes(std::vector<uint8_t>(key_len, 0x11)));
    ASSERT_TRUE(siv.ok()) << key_len;
    for (std::string_view pt : {std::string_view("x"), std::string_view("alice@example.com"),
                                std::string_view("a value longer than one sixteen-byte AES block")}) {
      std::string a, b;
      ASSERT_TRUE(siv->Seal("orders.customer.email", pt, &a).ok());
      ASSERT_TRUE(siv->Seal("orders.customer.email", pt, &b).ok());
      EXPECT_EQ(a, b);
      EXPECT_EQ(a.size(), pt.size() + AesSiv::kSivBytes);
      std::string out;
      ASSERT_TRUE(siv->Open("orders.customer.email", a, &out).ok());
      EXPECT_EQ(out, pt);
    }
  }
}

TEST(Siv, DifferentAadGivesDifferentOutput) {
  auto siv = AesSiv::Create(Key(kA1Key));
  ASSERT_TRUE(siv.ok());
  std::string a, b;
  ASSERT_TRUE(siv->Seal("orders.email", "alice@example.com", &a).ok());
  ASSERT_TRUE(siv->Seal("users.email", "alice@example.com", &b).ok());
  EXPECT_NE(a.substr(0, AesSiv::kSivBytes), b.substr(0, AesSiv::kSivBytes));
  EXPECT_NE(a.substr(AesSiv::kSivBytes), b.substr(AesSiv::kSivBytes));
  std::string out = "stale";
  Status s = siv->Open("users.email", a, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
  EXPECT_TRUE(out.empty());
}

TEST(Siv, DifferentKeysGiveDifferentOutput) {
  auto a = AesSiv::Create(SecretBytes(std::vector<uint8_t>(32, 1)));
  auto b = AesSiv::Create(SecretBytes(std::vector<uint8_t>(32, 2)));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  std::string x, y;
  ASSERT_TRUE(a->Seal("", "value", &x).ok());
  ASSERT_TRUE(b->Seal("", "value", &y).ok());
  EXPECT_NE(x, y);
  std::string out = "stale";
  Status s = b->Open("", x, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
  EXPECT_TRUE(out.empty());
}

TEST(Siv, EveryBitFlipFailsAuthentication) {
  auto siv = AesSiv::Create(Key(kA1Key));
  ASSERT_TRUE(siv.ok());
  const std::string aad = FromHex(kA1Ad);
  const std::string pt = "4111111111111111 / alice@example.com";
  std::string sealed;
  ASSERT_TRUE(siv->Seal(aad, pt, &sealed).ok());
  for (size_t i = 0; i < sealed.size() * 8; ++i) {
    std::string bad = sealed;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    std::string out = "stale";
    Status s = siv->Open(aad, bad, &out);
    ASSERT_FALSE(s.ok()) << "sealed bit " << i;
    EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
    EXPECT_TRUE(out.empty());
  }
  for (size_t i = 0; i < aad.size() * 8; ++i) {
    std::string bad = aad;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    std::string out = "stale";
    Status s = siv->Open(bad, sealed, &out);
    ASSERT_FALSE(s.ok()) << "aad bit " << i;
    EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
    EXPECT_TRUE(out.empty());
  }
  std::string out;
  ASSERT_TRUE(siv->Open(aad, sealed, &out).ok());
  EXPECT_EQ(out, pt);
}

TEST(Siv, AdComponentsAreNotConcatenated) {
  auto siv = AesSiv::Create(Key(kA1Key));
  ASSERT_TRUE(siv.ok());
  std::string ab, a_b;
  ASSERT_TRUE(siv->Seal(std::vector<std::string_view>{"ab"}, "value", &ab).ok());
  ASSERT_TRUE(siv->Seal(std::vector<std::string_view>{"a", "b"}, "value", &a_b).ok());
  EXPECT_NE(ab, a_b);
  std::string out = "stale";
  Status s = siv->Open(std::vector<std::string_view>{"a", "b"}, ab, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
  EXPECT_TRUE(out.empty());
}

TEST(Siv, ShortInputFailsAuthentication) {
  auto siv = AesSiv::Create(Key(kA1Key));
  ASSERT_TRUE(siv.ok());
  for (size_t n = 0; n < AesSiv::kSivBytes; ++n) {
    std::string out = "stale";
    Status s = siv->Open("", std::string(n, 'a'), &out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
    EXPECT_TRUE(out.empty());
  }
}

TEST(Siv, TooManyAdComponentsIsAnError) {
  auto siv = AesSiv::Create(Key(kA1Key));
  ASSERT_TRUE(siv.ok());
  std::vector<std::string_view> ads(AesSiv::kMaxAdComponents, "x");
  std::string out;
  ASSERT_TRUE(siv->Seal(ads, "v", &out).ok());
  ads.push_back("x");
  std::string out2;
  Status s = siv->Seal(ads, "v", &out2);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kTooManyAdComponents);
  EXPECT_TRUE(out2.empty());
}

TEST(Siv, WrongKeyLengthIsAnError) {
  for (size_t n : {0, 16, 24, 31, 33, 47, 49, 63, 65}) {
    auto siv = AesSiv::Create(SecretBytes(std::vector<uint8_t>(n, 0x42)));
    ASSERT_FALSE(siv.ok()) << n;
    EXPECT_EQ(siv.error().code, ErrorCode::kInvalidKey);
  }
}

TEST(Siv, ConcurrentSealAndOpen) {
  auto siv = AesSiv::Create(Key(kA1Key));
  ASSERT_TRUE(siv.ok());
  const AesSiv& c = *siv;
  std::string want;
  ASSERT_TRUE(c.Seal("aad", "shared value", &want).ok());
  std::vector<int> failures(8, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&c, &failures, &want, t] {
      for (int i = 0; i < 300; ++i) {
        std::string sealed, out;
        if (!c.Seal("aad", "shared value", &sealed).ok() || sealed != want || !c.Open("aad", sealed, &out).ok() ||
            out != "shared value")
          ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

// OpenSSL's own AES-*-SIV cipher on the same inputs (non-empty plaintext:
// OpenSSL 3.0's SIV cipher cannot finalise an empty one), as SIV || C.
std::string OpenSslSivSeal(const std::string& key, const std::vector<std::string>& ads, const std::string& pt) {
  const char* name = key.size() == 32 ? "AES-128-SIV" : key.size() == 48 ? "AES-192-SIV" : "AES-256-SIV";
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  std::string out(16 + pt.size(), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  bool ok = cipher && ctx &&
            EVP_EncryptInit_ex2(ctx, cipher, reinterpret_cast<const unsigned char*>(key.data()), nullptr, nullptr) == 1;
  static const unsigned char kEmpty[1] = {0};
  for (const auto& ad : ads)
    ok = ok &&
         EVP_EncryptUpdate(ctx, nullptr, &len, ad.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(ad.data()),
                           static_cast<int>(ad.size())) == 1;
  ok = ok &&
       EVP_EncryptUpdate(ctx, o + 16, &len, reinterpret_cast<const unsigned char*>(pt.data()),
                         static_cast<int>(pt.size())) == 1 &&
       EVP_EncryptFinal_ex(ctx, o + 16 + pt.size(), &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, o) == 1;
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
  return ok ? out : "openssl failed";
}

// The CMAC + AES-CTR composition against OpenSSL's SIV cipher on random keys,
// components and lengths around the block boundaries.
TEST(Siv, MatchesOpenSslSivCipherOnRandomInputs) {
  std::mt19937 rng(5297);
  auto bytes = [&rng](size_t n) {
    std::string b(n, '\0');
    for (auto& c : b) c = static_cast<char>(rng());
    return b;
  };
  for (size_t key_len : {32, 48, 64}) {
    const std::string key = bytes(key_len);
    auto siv = AesSiv::Create(SecretBytes(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
    ASSERT_TRUE(siv.ok());
    for (size_t pt_len : {1, 2, 13, 15, 16, 17, 31, 32, 33, 48, 64, 100}) {
      for (size_t n_ads : {0, 1, 2, 3}) {
        std::vector<std::string> ad_bytes;
        for (size_t k = 0; k < n_ads; ++k) ad_bytes.push_back(bytes(rng() % 40));
        std::vector<std::string_view> ads(ad_bytes.begin(), ad_bytes.end());
        const std::string pt = bytes(pt_len);
        std::string sealed;
        ASSERT_TRUE(siv->Seal(ads, pt, &sealed).ok());
        EXPECT_EQ(ToHex(sealed), ToHex(OpenSslSivSeal(key, ad_bytes, pt)))
            << "key " << key_len << " pt " << pt_len << " ads " << n_ads;
        std::string opened;
        ASSERT_TRUE(siv->Open(ads, sealed, &opened).ok());
        EXPECT_EQ(opened, pt);
      }
    }
  }
}

// A slot remembers S2V's state after the last single AD: calls that
// alternate ADs (equal length and one byte apart, either side of the
// remembered length, empty, several components) must each match OpenSSL's
// SIV cipher, sealing and opening.
TEST(Siv, RememberedAdServesOnlyThatAd) {
  const std::string key(64, '\x5a');
  auto siv = AesSiv::Create(SecretBytes(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
  ASSERT_TRUE(siv.ok());
  std::string ad64(64, 'a');
  std::string ad64b = ad64;
  ad64b[63] = 'b';
  std::string ad65 = ad64 + "a";
  std::string ad65b = ad64 + "b";
  const std::vector<std::vector<std::string>> calls = {{"card.number"},
                                                       {"card.number"},
                                                       {"card.numbes"},
                                                       {"card.number"},
                                                       {""},
                                                       {"card.number"},
                                                       {ad64},
                                                       {ad64b},
                                                       {ad64},
                                                       {ad65},
                                                       {ad65b},
                                                       {ad65},
                                                       {"card.number", "x"},
                                                       {"card.number"},
                                                       {},
                                                       {"card.number"}};
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < calls.size(); ++i) {
      std::vector<std::string_view> ads(calls[i].begin(), calls[i].end());
      const std::string pt = "4111-1111-" + std::to_string(i);
      std::string sealed;
      ASSERT_TRUE(siv->Seal(ads, pt, &sealed).ok());
      EXPECT_EQ(ToHex(sealed), ToHex(OpenSslSivSeal(key, calls[i], pt))) << "pass " << pass << " call " << i;
      std::string opened;
      ASSERT_TRUE(siv->Open(ads, sealed, &opened).ok()) << "pass " << pass << " call " << i;
      EXPECT_EQ(opened, pt);
    }
  }
}

// A failed Open leaves the reused contexts fit for the next call.
TEST(Siv, FailedOpenDoesNotDisturbLaterCalls) {
  auto siv = AesSiv::Create(Key(kA1Key));
  ASSERT_TRUE(siv.ok());
  std::string sealed;
  ASSERT_TRUE(siv->Seal("aad", "a value of some length", &sealed).ok());
  for (int i = 0; i < 3; ++i) {
    std::string bad = sealed;
    bad[bad.size() - 1] = static_cast<char>(bad[bad.size() - 1] ^ 1);
    std::string out;
    Status s = siv->Open("aad", bad, &out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
    EXPECT_TRUE(out.empty());
    ASSERT_TRUE(siv->Open("aad", sealed, &out).ok());
    EXPECT_EQ(out, "a value of some length");
    std::string again;
    ASSERT_TRUE(siv->Seal("aad", "a value of some length", &again).ok());
    EXPECT_EQ(again, sealed);
  }
}

TEST(Siv, MoreThreadsThanContextSlots) {
  auto siv = AesSiv::Create(Key(kA1Key));
  ASSERT_TRUE(siv.ok());
  const AesSiv& c = *siv;
  std::string want;
  ASSERT_TRUE(c.Seal("aad", "shared value", &want).ok());
  std::vector<int> failures(20, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&c, &failures, &want, t] {
      for (int i = 0; i < 300; ++i) {
        std::string sealed, out;
        if (!c.Seal("aad", "shared value", &sealed).ok() || sealed != want || !c.Open("aad", sealed, &out).ok() ||
            out != "shared value")
          ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace
}  // namespace maskproxy::crypto
