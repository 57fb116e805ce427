// FF1 (NIST SP 800-38G Rev. 1): all nine NIST samples (FF1samples.pdf,
// https://csrc.nist.gov/CSRC/media/Projects/Cryptographic-Standards-and-Guidelines/documents/examples/FF1samples.pdf),
// plus cross-implementation vectors that reach parts the samples do not:
//   * Capital One's Go FPE test suite (github.com/capitalone/fpe,
//     ff1/ff1_test.go): radix 36, 128 numerals, so d = 48 and S needs the
//     CIPH(R xor [j]^16) extension blocks;
//   * Zcash's test vectors (github.com/zcash-hackworks/zcash-test-vectors,
//     ff1.py): radix 2, 88 numerals, including a 255-byte tweak (Q spans many
//     blocks).
// Both sets as carried by the str4d/fpe Rust crate's test_vectors.rs.
// Then round trips, constraints and the text helpers.
#include "crypto/ff1.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "hex_util.h"

namespace maskproxy::crypto {
namespace internal {
// ff1.cc's test hook: when set, every domain takes the BIGNUM path.
extern std::atomic<bool> ff1_force_bignum;
}  // namespace internal
namespace {

constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kBase36 = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBits = "01";

constexpr std::string_view kKey128 = "2b7e151628aed2a6abf7158809cf4f3c";
constexpr std::string_view kKey192 = "2b7e151628aed2a6abf7158809cf4f3cef4359d8d580aa4f";
constexpr std::string_view kKey256 = "2b7e151628aed2a6abf7158809cf4f3cef4359d8d580aa4f7f036d6f04fc6a94";
constexpr std::string_view kTweakEmpty = "";
constexpr std::string_view kTweak10 = "39383736353433323130";
constexpr std::string_view kTweak11 = "3737373770717273373737";

using testing::FromHex;

using testing::Key;

struct Sample {
  std::string_view key;
  uint32_t radix;
  std::string_view alphabet;
  std::string tweak;  // raw bytes
  std::string_view pt;
  std::string_view ct;
};

// Encrypts pt and compares with ct, then decrypts ct back to pt.
void Check(const Sample& s) {
  auto ff1 = Ff1::Create(Key(s.key), s.radix);
  ASSERT_TRUE(ff1.ok()) << ff1.error().ToString();
  auto pt = Ff1::Numerals(s.pt, s.alphabet);
  ASSERT_TRUE(pt.ok()) << pt.error().ToString();
  std::vector<uint16_t> ct;
  Status e = ff1->Encrypt(s.tweak, *pt, &ct);
  ASSERT_TRUE(e.ok()) << e.error().ToString();
  EXPECT_EQ(Ff1::Text(ct, s.alphabet), s.ct);

  auto want = Ff1::Numerals(s.ct, s.alphabet);
  ASSERT_TRUE(want.ok());
  std::vector<uint16_t> back;
  Status d = ff1->Decrypt(s.tweak, *want, &back);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(Ff1::Text(back, s.alphabet), s.pt);
}

// ---- NIST FF1samples.pdf ------------------------------------------------------

TEST(Ff1Nist, Sample1Aes128Radix10EmptyTweak) {
  Check({kKey128, 10, kDigits, FromHex(kTweakEmpty), "0123456789", "2433477484"});
}
TEST(Ff1Nist, Sample2Aes128Radix10Tweak) {
  Check({kKey128, 10, kDigits, FromHex(kTweak10), "0123456789", "6124200773"});
}
TEST(Ff1Nist, Sample3Aes128Radix36Tweak) {
  Check({kKey128, 36, kBase36, FromHex(kTweak11), "0123456789abcdefghi", "a9tv40mll9kdu509eum"});
}
TEST(Ff1Nist, Sample4Aes192Radix10EmptyTweak) {
  Check({kKey192, 10, kDigits, FromHex(kTweakEmpty), "0123456789", "2830668132"});
}
TEST(Ff1Nist, Sample5Aes192Radix10Tweak) {
  Check({kKey192, 10, kDigits, FromHex(kTweak10), "0123456789", "2496655549"});
}
TEST(Ff1Nist, Sample6Aes192Radix36Tweak) {
  Check({kKey192, 36, kBase36, FromHex(kTweak11), "0123456789abcdefghi", "xbj3kv35jrawxv32ysr"});
}
TEST(Ff1Nist, Sample7Aes256Radix10EmptyTweak) {
  Check({kKey256, 10, kDigits, FromHex(kTweakEmpty), "0123456789", "6657667009"});
}
TEST(Ff1Nist, Sample8Aes256Radix10Tweak) {
  Check({kKey256, 10, kDigits, FromHex(kTweak10), "0123456789", "1001623463"});
}
TEST(Ff1Nist, Sample9Aes256Radix36Tweak) {
  Check({kKey256, 36, kBase36, FromHex(kTweak11), "0123456789abcdefghi", "xs8a0azh2avyalyzuwd"});
}

// ---- Native-integer path vs BIGNUM path ----------------------------------------
// Domains with radix^ceil(n/2) < 2^64 run on uint64_t, larger ones on BIGNUM.
// The lengths below straddle that switch for each radix (native up to the
// length before the switch, BIGNUM from it on):
//   radix 2: v <= 63 (n <= 127);       radix 10: v <= 19 (n <= 39);
//   radix 16: v <= 15 (n <= 31);       radix 36: v <= 12 (n <= 25);
//   radix 62: v <= 10 (n <= 21);       radix 65536: v <= 3 (n <= 7).
// Every input is encrypted and decrypted on the default path and again with
// the BIGNUM path forced; both must agree and round-trip.

// Forces the BIGNUM path for its lifetime.
class ForceBignum {
 public:
  ForceBignum() { internal::ff1_force_bignum.store(true); }
  ForceBignum(const ForceBignum&) = delete;
  ForceBignum& operator=(const ForceBignum&) = delete;
  ~ForceBignum() { internal::ff1_force_bignum.store(false); }
};

struct PathResult {
  std::vector<uint16_t> ct;
  std::vector<uint16_t> back;
};

PathResult EncryptDecrypt(const Ff1& ff1, const std::string& tweak, const std::vector<uint16_t>& pt) {
  PathResult r;
  Status e = ff1.Encrypt(tweak, pt, &r.ct);
  EXPECT_TRUE(e.ok()) << e.error().ToString();
  Status d = ff1.Decrypt(tweak, r.ct, &r.back);
  EXPECT_TRUE(d.ok()) << d.error().ToString();
  return r;
}

void CheckPathsAgree(std::string_view key_hex, uint32_t radix, std::initializer_list<size_t> lengths) {
  auto ff1 = Ff1::Create(Key(key_hex), radix);
  ASSERT_TRUE(ff1.ok()) << ff1.error().ToString();
  std::mt19937_64 rng(radix * 1000003ULL + key_hex.size());
  for (size_t n : lengths) {
    for (int trial = 0; trial < 24; ++trial) {
      std::vector<uint16_t> pt(n);
      for (auto& x : pt) {
        // Mostly uniform; some inputs all zeros or all radix-1 (the extremes of NUM).
        x = trial == 0 ? 0 : trial == 1 ? static_cast<uint16_t>(radix - 1) : static_cast<uint16_t>(rng() % radix);
      }
      std::string tweak(rng() % (trial == 2 ? 300 : 20), '\0');
      for (auto& c : tweak) c = static_cast<char>(rng());

      const PathResult fast = EncryptDecrypt(*ff1, tweak, pt);
      PathResult ref;
      {
        ForceBignum force;
        ref = EncryptDecrypt(*ff1, tweak, pt);
      }
      ASSERT_EQ(fast.ct, ref.ct) << "radix " << radix << " length " << n << " trial " << trial;
      EXPECT_EQ(fast.back, pt) << "radix " << radix << " length " << n << " trial " << trial;
      EXPECT_EQ(ref.back, pt) << "radix " << radix << " length " << n << " trial " << trial;
      EXPECT_NE(fast.ct, pt) << "radix " << radix << " length " << n << " trial " << trial;

      // Decrypting the BIGNUM ciphertext on the default path, and the reverse.
      std::vector<uint16_t> cross;
      ASSERT_TRUE(ff1->Decrypt(tweak, ref.ct, &cross).ok());
      EXPECT_EQ(cross, pt);
    }
  }
}

TEST(Ff1NativePath, AgreesWithBignumRadix10) {
  CheckPathsAgree(kKey256, 10, {6, 16, 18, 19, 20, 21, 37, 38, 39, 40, 41});
  CheckPathsAgree(kKey128, 10, {18, 19, 20, 38, 39, 40});
}
TEST(Ff1NativePath, AgreesWithBignumRadix36) {
  CheckPathsAgree(kKey256, 36, {4, 20, 23, 24, 25, 26, 27});
}
TEST(Ff1NativePath, AgreesWithBignumRadix62) {
  CheckPathsAgree(kKey256, 62, {4, 19, 20, 21, 22, 23});
}
TEST(Ff1NativePath, AgreesWithBignumRadix2And16) {
  CheckPathsAgree(kKey192, 2, {20, 125, 126, 127, 128, 129});
  CheckPathsAgree(kKey192, 16, {5, 29, 30, 31, 32, 33});
}
TEST(Ff1NativePath, AgreesWithBignumRadix65536) {
  CheckPathsAgree(kKey256, 65536, {2, 5, 6, 7, 8, 9});
}
TEST(Ff1NativePath, NistSamplesOnTheBignumPath) {
  ForceBignum force;
  Check({kKey128, 10, kDigits, FromHex(kTweak10), "0123456789", "6124200773"});
  Check({kKey256, 36, kBase36, FromHex(kTweak11), "0123456789abcdefghi", "xs8a0azh2avyalyzuwd"});
}

// ---- Cross-implementation vectors -----------------------------------------------

TEST(Ff1CrossVectors, CapitalOneRadix36Length128) {
  std::string pt;
  while (pt.size() < 128) pt += "xs8a0azh2avyalyzuwd";
  pt.resize(128);
  Check({kKey256, 36, kBase36, "", pt,
         "lwulibfp1ju3ksztumqomwenpv7duy9q7pg7zf3eg3rjlfy46gmgkqjfwvromfjjktmbey8meqk9zkcmgvkv4s9ll5ctozme1hf15w7xo6z"
         "sylqcr0nbx9jbf10umzok"});
}

constexpr std::string_view kZcash1 =
    "0000100100110101011101111111110011000001101100111110011101110101011010100100010011001111";
constexpr std::string_view kZcash2 =
    "1101101011010001100011110000010011001111110110011101010110100001111001000101011111011000";
constexpr std::string_view kZcash3 =
    "0000111101000001111011010111011111110001100101000000001101101110100010010111001100100110";
constexpr std::string_view kZcash4 =
    "0111110110001000000111010110000100010101101000000011100111100100100010101101111010100011";

std::string Alternating01() {
  std::string s;
  for (int i = 0; i < 44; ++i) s += "01";
  return s;
}

TEST(Ff1CrossVectors, ZcashRadix2AllZero) {
  const std::string zeros(88, '0');
  Check({kKey256, 2, kBits, "", zeros, kZcash1});
}
TEST(Ff1CrossVectors, ZcashRadix2Chained) {
  Check({kKey256, 2, kBits, "", kZcash1, kZcash2});
}
TEST(Ff1CrossVectors, ZcashRadix2Alternating) {
  const std::string pt = Alternating01();
  Check({kKey256, 2, kBits, "", pt, kZcash3});
}
TEST(Ff1CrossVectors, ZcashRadix2With255ByteTweak) {
  std::string tweak;
  for (int i = 0; i < 255; ++i) tweak.push_back(static_cast<char>(i));
  const std::string pt = Alternating01();
  Check({kKey256, 2, kBits, tweak, pt, kZcash4});
}

// ---- Properties -----------------------------------------------------------------

TEST(Ff1, RandomRoundTripsRadix10And36) {
  std::mt19937 rng(20240611);
  for (uint32_t radix : {10u, 36u}) {
    for (size_t key_len : {16, 24, 32}) {
      std::vector<uint8_t> kb(key_len);
      for (auto& b : kb) b = static_cast<uint8_t>(rng());
      auto ff1 = Ff1::Create(SecretBytes(kb), radix);
      ASSERT_TRUE(ff1.ok());
      for (size_t len = 6; len <= 40; ++len) {
        for (int rep = 0; rep < 3; ++rep) {
          std::vector<uint16_t> pt(len);
          for (auto& x : pt) x = static_cast<uint16_t>(rng() % radix);
          std::string tweak(rng() % 20, '\0');
          for (auto& c : tweak) c = static_cast<char>(rng());
          std::vector<uint16_t> ct, back;
          ASSERT_TRUE(ff1->Encrypt(tweak, pt, &ct).ok());
          ASSERT_EQ(ct.size(), len);
          for (uint16_t x : ct) ASSERT_LT(x, radix);
          ASSERT_TRUE(ff1->Decrypt(tweak, ct, &back).ok());
          ASSERT_EQ(back, pt) << "radix " << radix << " length " << len;
        }
      }
    }
  }
}

TEST(Ff1, RoundTripsAtTheRadixExtremes) {
  std::mt19937 rng(7);
  for (uint32_t radix : {2u, 3u, 255u, 256u, 257u, 65535u, 65536u}) {
    auto ff1 = Ff1::Create(SecretBytes(std::vector<uint8_t>(16, 0x24)), radix);
    ASSERT_TRUE(ff1.ok());
    for (size_t len : {ff1->min_length(), ff1->min_length() + 1, size_t{64}}) {
      std::vector<uint16_t> pt(len);
      for (auto& x : pt) x = static_cast<uint16_t>(rng() % radix);
      std::vector<uint16_t> ct, back;
      ASSERT_TRUE(ff1->Encrypt("t", pt, &ct).ok()) << radix << " " << len;
      for (uint16_t x : ct) ASSERT_LT(x, radix);
      ASSERT_TRUE(ff1->Decrypt("t", ct, &back).ok());
      EXPECT_EQ(back, pt) << radix << " " << len;
    }
  }
}

TEST(Ff1, LongInputsUpToTheLimitRoundTrip) {
  auto ff1 = Ff1::Create(Key(kKey256), 10);
  ASSERT_TRUE(ff1.ok());
  std::mt19937 rng(99);
  for (size_t len : {size_t{64}, size_t{65}, size_t{255}, Ff1::kMaxLength}) {
    std::vector<uint16_t> pt(len);
    for (auto& x : pt) x = static_cast<uint16_t>(rng() % 10);
    std::vector<uint16_t> ct, back;
    ASSERT_TRUE(ff1->Encrypt("", pt, &ct).ok()) << len;
    ASSERT_TRUE(ff1->Decrypt("", ct, &back).ok()) << len;
    EXPECT_EQ(back, pt) << len;
  }
  std::vector<uint16_t> too_long(Ff1::kMaxLength + 1, 3), out;
  Status s = ff1->Encrypt("", too_long, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInputTooLong);
}

TEST(Ff1, DeterministicAndTweakSensitive) {
  auto ff1 = Ff1::Create(Key(kKey128), 10);
  ASSERT_TRUE(ff1.ok());
  auto pt = Ff1::Numerals("4111111111111111", kDigits);
  ASSERT_TRUE(pt.ok());
  std::vector<uint16_t> a, b, c;
  ASSERT_TRUE(ff1->Encrypt("orders.card", *pt, &a).ok());
  ASSERT_TRUE(ff1->Encrypt("orders.card", *pt, &b).ok());
  ASSERT_TRUE(ff1->Encrypt("users.card", *pt, &c).ok());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, *pt);
  std::vector<uint16_t> wrong;
  ASSERT_TRUE(ff1->Decrypt("users.card", a, &wrong).ok());
  EXPECT_NE(wrong, *pt);
}

// A context remembers the last (length, tweak)'s chaining value after P:
// calls that alternate lengths, tweaks of one length that differ in one
// byte, tweaks longer than what is remembered and the empty tweak must each
// give what a fresh instance (nothing remembered) gives.
TEST(Ff1, RememberedPrefixServesOnlyItsLengthAndTweak) {
  // A tweak of 20 bytes puts its first 16 in a round-independent block of Q
  // (chained into the remembered value); one of 40 is too long to remember.
  const std::string mid_a(20, 'a');
  const std::string mid_b = "b" + std::string(19, 'a');
  const std::string long_a(40, 'a');
  std::string long_b = long_a;
  long_b[0] = 'b';
  const std::vector<std::pair<std::string, std::string>> calls = {{"4111111111111111", "orders.card"},
                                                                  {"4111111111111111", "orders.cars"},
                                                                  {"41111111111111111", "orders.card"},
                                                                  {"4111111111111111", "orders.card"},
                                                                  {"4111111111111111", ""},
                                                                  {"4111111111111111", long_a},
                                                                  {"4111111111111111", long_b},
                                                                  {"4111111111111111", long_a},
                                                                  {"411111", "orders.card"},
                                                                  {"4111111111111111", mid_a},
                                                                  {"4111111111111111", mid_b},
                                                                  {"4111111111111111", mid_a},
                                                                  {"4111111111111111", "orders.card"}};
  auto shared = Ff1::Create(Key(kKey256), 10);
  ASSERT_TRUE(shared.ok());
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < calls.size(); ++i) {
      const auto& [text, tweak] = calls[i];
      auto pt = Ff1::Numerals(text, kDigits);
      ASSERT_TRUE(pt.ok());
      auto fresh = Ff1::Create(Key(kKey256), 10);
      ASSERT_TRUE(fresh.ok());
      std::vector<uint16_t> want, got, back;
      ASSERT_TRUE(fresh->Encrypt(tweak, *pt, &want).ok());
      ASSERT_TRUE(shared->Encrypt(tweak, *pt, &got).ok());
      EXPECT_EQ(got, want) << "pass " << pass << " call " << i;
      ASSERT_TRUE(shared->Decrypt(tweak, got, &back).ok());
      EXPECT_EQ(back, *pt) << "pass " << pass << " call " << i;
    }
  }
}

TEST(Ff1, OutputMayAliasInput) {
  auto ff1 = Ff1::Create(Key(kKey128), 10);
  ASSERT_TRUE(ff1.ok());
  auto v = Ff1::Numerals("0123456789", kDigits);
  ASSERT_TRUE(v.ok());
  std::vector<uint16_t> x = *v;
  ASSERT_TRUE(ff1->Encrypt("", x, &x).ok());
  EXPECT_EQ(Ff1::Text(x, kDigits), "2433477484");
  ASSERT_TRUE(ff1->Decrypt("", x, &x).ok());
  EXPECT_EQ(Ff1::Text(x, kDigits), "0123456789");
}

TEST(Ff1, TooSmallDomainIsRejected) {
  auto r10 = Ff1::Create(Key(kKey128), 10);
  ASSERT_TRUE(r10.ok());
  EXPECT_EQ(r10->min_length(), 6u);
  std::vector<uint16_t> five = {1, 2, 3, 4, 5}, out = {9};
  Status s = r10->Encrypt("", five, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kDomainTooSmall);
  EXPECT_EQ(out, std::vector<uint16_t>{9}) << "output must be untouched on failure";
  s = r10->Decrypt("", five, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kDomainTooSmall);
  std::vector<uint16_t> empty;
  s = r10->Encrypt("", empty, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kDomainTooSmall);
  std::vector<uint16_t> six = {1, 2, 3, 4, 5, 6};
  EXPECT_TRUE(r10->Encrypt("", six, &out).ok());

  // radix 2: 2^19 < 10^6 <= 2^20; radix 36: 36^3 < 10^6 <= 36^4;
  // radix 65536: 65536 < 10^6 <= 65536^2.
  for (auto [radix, min_len] : {std::pair<uint32_t, size_t>{2, 20}, {36, 4}, {1000, 2}, {1001, 2}, {65536, 2}}) {
    auto ff1 = Ff1::Create(Key(kKey128), radix);
    ASSERT_TRUE(ff1.ok());
    EXPECT_EQ(ff1->min_length(), min_len) << radix;
    std::vector<uint16_t> short_input(min_len - 1, 1), ok_input(min_len, 1);
    Status e = ff1->Encrypt("", short_input, &out);
    ASSERT_FALSE(e.ok()) << radix;
    EXPECT_EQ(e.error().code, ErrorCode::kDomainTooSmall);
    EXPECT_TRUE(ff1->Encrypt("", ok_input, &out).ok()) << radix;
  }
}

TEST(Ff1, NumeralAtOrAboveRadixIsRejected) {
  auto ff1 = Ff1::Create(Key(kKey128), 10);
  ASSERT_TRUE(ff1.ok());
  std::vector<uint16_t> bad = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10}, out;
  Status s = ff1->Encrypt("", bad, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidNumeral);
  s = ff1->Decrypt("", bad, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidNumeral);
  EXPECT_TRUE(out.empty());
}

TEST(Ff1, BadKeyOrRadixIsRejected) {
  for (size_t n : {0, 8, 15, 17, 31, 33, 64}) {
    auto ff1 = Ff1::Create(SecretBytes(std::vector<uint8_t>(n, 1)), 10);
    ASSERT_FALSE(ff1.ok()) << n;
    EXPECT_EQ(ff1.error().code, ErrorCode::kInvalidKey);
  }
  for (uint32_t radix : {0u, 1u, 65537u, 1u << 20}) {
    auto ff1 = Ff1::Create(Key(kKey128), radix);
    ASSERT_FALSE(ff1.ok()) << radix;
    EXPECT_EQ(ff1.error().code, ErrorCode::kInvalidRadix);
  }
}

TEST(Ff1, ConcurrentEncrypt) {
  auto ff1 = Ff1::Create(Key(kKey256), 36);
  ASSERT_TRUE(ff1.ok());
  const Ff1& f = *ff1;
  auto pt = Ff1::Numerals("0123456789abcdefghi", kBase36);
  ASSERT_TRUE(pt.ok());
  const std::vector<uint16_t> input = *pt;
  const std::string tweak = FromHex(kTweak11);
  std::vector<int> failures(8, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&f, &failures, &input, &tweak, t] {
      for (int i = 0; i < 200; ++i) {
        std::vector<uint16_t> ct;
        if (!f.Encrypt(tweak, input, &ct).ok() || Ff1::Text(ct, kBase36) != "xs8a0azh2avyalyzuwd") ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int fails : failures) EXPECT_EQ(fails, 0);
}

// ---- Text helpers ----------------------------------------------------------------

TEST(Ff1Text, NumeralsAndTextInvertEachOther) {
  auto n = Ff1::Numerals("2433477484", kDigits);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, (std::vector<uint16_t>{2, 4, 3, 3, 4, 7, 7, 4, 8, 4}));
  EXPECT_EQ(Ff1::Text(*n, kDigits), "2433477484");
  auto e = Ff1::Numerals("", kDigits);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->empty());
  auto hex = Ff1::Numerals("fF", "0123456789abcdefABCDEF");
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(*hex, (std::vector<uint16_t>{15, 21}));
}

TEST(Ff1Text, CharacterOutsideAlphabetIsRejectedWithoutEchoingIt) {
  auto n = Ff1::Numerals("12345Z7890", kDigits);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, ErrorCode::kInvalidNumeral);
  EXPECT_EQ(n.error().message.find('Z'), std::string::npos);
  EXPECT_EQ(n.error().message.find("12345"), std::string::npos);
}

TEST(Ff1Text, BadAlphabetsAreRejected) {
  for (std::string_view alphabet : {std::string_view(""), std::string_view("a"), std::string_view("0123456789012"),
                                    std::string_view("ab\xc3\xa9")}) {
    auto n = Ff1::Numerals("a", alphabet);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.error().code, ErrorCode::kInvalidAlphabet);
  }
  std::string ascii;
  for (int c = 0; c < 128; ++c) ascii.push_back(static_cast<char>(c));
  EXPECT_TRUE(Ff1::Numerals("az", ascii).ok());
}

TEST(Ff1Text, NumeralOutsideAlphabetRendersAsQuestionMark) {
  EXPECT_EQ(Ff1::Text({0, 1, 10}, kDigits), "01?");
}

}  // namespace
}  // namespace maskproxy::crypto
