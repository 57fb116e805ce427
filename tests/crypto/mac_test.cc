// Known-answer tests for HMAC-SHA-256 (RFC 4231), HKDF-SHA-256 (RFC 5869)
// and SHA-256 (FIPS 180-2). Only digests are compared and printed on failure,
// never key material.
#include "crypto/mac.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace maskproxy::crypto {
namespace {

std::vector<uint8_t> FromHex(std::string_view hex) {
  auto nib = [](char c) -> uint8_t {
    if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
    ADD_FAILURE() << "bad hex digit in test vector";
    return 0;
  };
  EXPECT_EQ(hex.size() % 2, 0u) << "odd-length hex in test vector";
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>((nib(hex[i]) << 4) | nib(hex[i + 1])));
  return out;
}

std::string ToHex(const uint8_t* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}

std::string AsString(const std::vector<uint8_t>& b) {
  return std::string(b.begin(), b.end());
}

SecretBytes Repeat(uint8_t byte, size_t n) {
  return SecretBytes(std::vector<uint8_t>(n, byte));
}

SecretBytes Range(uint8_t first, size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(first + i);
  return SecretBytes(std::move(v));
}

// Hex of HMAC-SHA-256(key, data), or "" on failure.
std::string HmacHex(const SecretBytes& key, std::string_view data) {
  auto mac = HmacSha256::Create(key);
  if (!mac.ok()) {
    ADD_FAILURE() << "HmacSha256::Create failed: " << mac.error().ToString();
    return "";
  }
  Sha256Digest d{};
  Status s = mac->Compute(data, &d);
  if (!s.ok()) {
    ADD_FAILURE() << "Compute failed: " << s.error().ToString();
    return "";
  }
  return ToHex(d.data(), d.size());
}

std::string HkdfHex(const SecretBytes& ikm, std::string_view salt, std::string_view info, size_t length) {
  auto okm = HkdfSha256(ikm, salt, info, length);
  if (!okm.ok()) {
    ADD_FAILURE() << "HkdfSha256 failed: " << okm.error().ToString();
    return "";
  }
  EXPECT_EQ(okm->size(), length);
  return ToHex(okm->data(), okm->size());
}

// ---- RFC 4231 ---------------------------------------------------------------

TEST(HmacSha256Rfc4231, TestCase1) {
  EXPECT_EQ(HmacHex(Repeat(0x0b, 20), "Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256Rfc4231, TestCase2) {
  SecretBytes key(FromHex("4a656665"));  // "Jefe"
  EXPECT_EQ(HmacHex(key, "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256Rfc4231, TestCase3) {
  EXPECT_EQ(HmacHex(Repeat(0xaa, 20), std::string(50, '\xdd')),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(HmacSha256Rfc4231, TestCase4) {
  SecretBytes key(FromHex("0102030405060708090a0b0c0d0e0f10111213141516171819"));
  ASSERT_EQ(key.size(), 25u);
  EXPECT_EQ(HmacHex(key, std::string(50, '\xcd')), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST(HmacSha256Rfc4231, TestCase5TruncatedTo128Bits) {
  std::string full = HmacHex(Repeat(0x0c, 20), "Test With Truncation");
  ASSERT_EQ(full.size(), 64u);
  EXPECT_EQ(full.substr(0, 32), "a3b6167473100ee06e0c796c2955552b");
}

TEST(HmacSha256Rfc4231, TestCase6KeyLargerThanBlock) {
  EXPECT_EQ(HmacHex(Repeat(0xaa, 131), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256Rfc4231, TestCase7KeyAndDataLargerThanBlock) {
  EXPECT_EQ(HmacHex(Repeat(0xaa, 131),
                    "This is a test using a larger than block-size key and a larger than block-size data. "
                    "The key needs to be hashed before being used by the HMAC algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256, ComputeIsRepeatableOnOneInstance) {
  auto mac = HmacSha256::Create(Repeat(0x0b, 20));
  ASSERT_TRUE(mac.ok());
  Sha256Digest a{}, b{}, c{};
  ASSERT_TRUE(mac->Compute("Hi There", &a).ok());
  ASSERT_TRUE(mac->Compute("something else", &b).ok());
  ASSERT_TRUE(mac->Compute("Hi There", &c).ok());
  EXPECT_EQ(ToHex(a.data(), a.size()), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(ToHex(c.data(), c.size()), ToHex(a.data(), a.size()));
  EXPECT_NE(ToHex(b.data(), b.size()), ToHex(a.data(), a.size()));
}

TEST(HmacSha256, MovedInstanceStillComputes) {
  auto mac = HmacSha256::Create(Repeat(0x0b, 20));
  ASSERT_TRUE(mac.ok());
  HmacSha256 moved = std::move(mac).value();
  Sha256Digest d{};
  ASSERT_TRUE(moved.Compute("Hi There", &d).ok());
  EXPECT_EQ(ToHex(d.data(), d.size()), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, ConcurrentComputeGivesSameAnswers) {
  auto mac = HmacSha256::Create(SecretBytes(FromHex("4a656665")));
  ASSERT_TRUE(mac.ok());
  const HmacSha256& m = *mac;
  std::vector<std::string> results(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&m, &results, t] {
      for (int i = 0; i < 200; ++i) {
        Sha256Digest d{};
        if (!m.Compute("what do ya want for nothing?", &d).ok()) {
          results[t] = "error";
          return;
        }
        std::string hex = ToHex(d.data(), d.size());
        if (i > 0 && hex != results[t]) {
          results[t] = "mismatch";
          return;
        }
        results[t] = hex;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) EXPECT_EQ(r, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// More threads than the per-instance context slots (8): the extra threads
// share slots or get a temporary context, and still get the right answers.
TEST(HmacSha256, MoreThreadsThanContextSlotsGiveSameAnswers) {
  auto mac = HmacSha256::Create(SecretBytes(FromHex("4a656665")));
  ASSERT_TRUE(mac.ok());
  const HmacSha256& m = *mac;
  std::vector<std::string> results(24);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&m, &results, t] {
      for (int i = 0; i < 300; ++i) {
        Sha256Digest d{};
        const bool other = i % 3 == 1;  // interleave another message on the same context
        if (!m.Compute(other ? "Hi There" : "what do ya want for nothing?", &d).ok()) {
          results[t] = "error";
          return;
        }
        if (other) continue;
        std::string hex = ToHex(d.data(), d.size());
        if (i > 0 && hex != results[t]) {
          results[t] = "mismatch";
          return;
        }
        results[t] = hex;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) EXPECT_EQ(r, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// Instances created and destroyed in turn (as on policy reloads), often at a
// reused address, each use their own key.
TEST(HmacSha256, SuccessiveInstancesUseTheirOwnKeys) {
  const std::string want_0b = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  const std::string want_jefe = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  for (int i = 0; i < 50; ++i) {
    const bool jefe = i % 2 == 1;
    auto mac = HmacSha256::Create(jefe ? SecretBytes(FromHex("4a656665")) : Repeat(0x0b, 20));
    ASSERT_TRUE(mac.ok());
    Sha256Digest d{};
    ASSERT_TRUE(mac->Compute(jefe ? "what do ya want for nothing?" : "Hi There", &d).ok());
    EXPECT_EQ(ToHex(d.data(), d.size()), jefe ? want_jefe : want_0b) << "instance " << i;
  }
}

// ---- RFC 5869 ---------------------------------------------------------------

TEST(HkdfSha256Rfc5869, TestCase1) {
  std::string salt = AsString(FromHex("000102030405060708090a0b0c"));
  std::string info = AsString(FromHex("f0f1f2f3f4f5f6f7f8f9"));
  ASSERT_EQ(salt.size(), 13u);
  ASSERT_EQ(info.size(), 10u);
  EXPECT_EQ(HkdfHex(Repeat(0x0b, 22), salt, info, 42),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfSha256Rfc5869, TestCase2LongInputs) {
  SecretBytes ikm = Range(0x00, 80);
  std::string salt =
      AsString(FromHex("606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
                       "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                       "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"));
  std::string info =
      AsString(FromHex("b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
                       "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
                       "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"));
  ASSERT_EQ(salt.size(), 80u);
  ASSERT_EQ(info.size(), 80u);
  EXPECT_EQ(HkdfHex(ikm, salt, info, 82),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(HkdfSha256Rfc5869, TestCase3EmptySaltAndInfo) {
  EXPECT_EQ(HkdfHex(Repeat(0x0b, 22), "", "", 42),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfSha256, DifferentInfoGivesDifferentOutput) {
  SecretBytes ikm = Range(0, 32);
  EXPECT_NE(HkdfHex(ikm, "salt", "info-a", 32), HkdfHex(ikm, "salt", "info-b", 32));
  EXPECT_EQ(HkdfHex(ikm, "salt", "info-a", 32), HkdfHex(ikm, "salt", "info-a", 32));
}

TEST(HkdfSha256, LengthLimit) {
  SecretBytes ikm = Range(0, 32);
  auto max = HkdfSha256(ikm, "s", "i", 255 * 32);
  ASSERT_TRUE(max.ok()) << max.error().ToString();
  EXPECT_EQ(max->size(), 255u * 32u);
  auto over = HkdfSha256(ikm, "s", "i", 255 * 32 + 1);
  EXPECT_FALSE(over.ok());
}

// ---- FIPS 180-2 -------------------------------------------------------------

TEST(Sha256Fips180, Abc) {
  Sha256Digest d = Sha256("abc");
  EXPECT_EQ(ToHex(d.data(), d.size()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Fips180, TwoBlockMessage) {
  Sha256Digest d = Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(ToHex(d.data(), d.size()), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Fips180, Empty) {
  Sha256Digest d = Sha256("");
  EXPECT_EQ(ToHex(d.data(), d.size()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace maskproxy::crypto
