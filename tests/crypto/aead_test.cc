// AES-256-GCM: known answers from the GCM specification (McGrew & Viega,
// "The Galois/Counter Mode of Operation (GCM)", revised, Appendix B, test
// cases 13-16: the AES-256 cases with 96-bit IVs), plus round trips, IV
// uniqueness and tamper detection. Only ciphertexts and tags are printed on
// failure, never key material.
#include "crypto/aead.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
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

constexpr std::string_view kZeroKey = "0000000000000000000000000000000000000000000000000000000000000000";
constexpr std::string_view kKey15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr std::string_view kIv15 = "cafebabefacedbaddecaf888";
constexpr std::string_view kPt15 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr std::string_view kCt15 =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

struct Kat {
  std::string_view key, iv, aad, pt, ct, tag;
};

// Checks SealWithIv against the vector (IV || C || T), then that Open
// recovers the plaintext.
void CheckKat(const Kat& v) {
  std::string sealed = "prefix";
  Status s = AesGcm256::SealWithIv(Key(v.key), FromHex(v.iv), FromHex(v.aad), FromHex(v.pt), &sealed);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_EQ(sealed.substr(0, 6), "prefix") << "Seal must append";
  std::string body = sealed.substr(6);
  ASSERT_EQ(body.size(), AesGcm256::kIvBytes + v.pt.size() / 2 + AesGcm256::kTagBytes);
  EXPECT_EQ(ToHex(body.substr(0, 12)), v.iv);
  EXPECT_EQ(ToHex(body.substr(12, body.size() - 28)), v.ct);
  EXPECT_EQ(ToHex(body.substr(body.size() - 16)), v.tag);

  auto gcm = AesGcm256::Create(Key(v.key));
  ASSERT_TRUE(gcm.ok());
  std::string pt = "stale";
  Status o = gcm->Open(FromHex(v.aad), body, &pt);
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  EXPECT_EQ(ToHex(pt), v.pt);
}

TEST(AeadGcmSpec, TestCase13EmptyPlaintext) {
  CheckKat({kZeroKey, "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"});
}

TEST(AeadGcmSpec, TestCase14OneZeroBlock) {
  CheckKat({kZeroKey, "000000000000000000000000", "", "00000000000000000000000000000000",
            "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"});
}

TEST(AeadGcmSpec, TestCase15FourBlocks) {
  CheckKat({kKey15, kIv15, "", kPt15, kCt15, "b094dac5d93471bdec1a502270e3cc6c"});
}

TEST(AeadGcmSpec, TestCase16PartialBlockWithAad) {
  // 60 bytes of plaintext (the test case 15 plaintext minus its last 4 bytes)
  // and 20 bytes of AAD.
  CheckKat({kKey15, kIv15, "feedfacedeadbeeffeedfacedeadbeefabaddad2", kPt15.substr(0, 120), kCt15.substr(0, 120),
            "76fc6ece0f4e1768cddf8853bb2d551b"});
}

TEST(AeadGcm, RoundTripWithRandomIv) {
  auto gcm = AesGcm256::Create(Key(kKey15));
  ASSERT_TRUE(gcm.ok());
  for (std::string_view pt : {std::string_view(""), std::string_view("x"), std::string_view("alice@example.com"),
                              std::string_view("a longer value that spans more than one AES block of sixteen")}) {
    for (std::string_view aad : {std::string_view(""), std::string_view("topic/partition/field")}) {
      std::string sealed;
      ASSERT_TRUE(gcm->Seal(aad, pt, &sealed).ok());
      EXPECT_EQ(sealed.size(), pt.size() + AesGcm256::kOverheadBytes);
      std::string opened;
      Status s = gcm->Open(aad, sealed, &opened);
      ASSERT_TRUE(s.ok()) << s.error().ToString();
      EXPECT_EQ(opened, pt);
    }
  }
}

TEST(AeadGcm, SealAppendsAndOpenReplaces) {
  auto gcm = AesGcm256::Create(Key(kKey15));
  ASSERT_TRUE(gcm.ok());
  std::string out = "head:";
  ASSERT_TRUE(gcm->Seal("a", "one", &out).ok());
  const size_t first = out.size();
  ASSERT_TRUE(gcm->Seal("a", "two", &out).ok());
  EXPECT_EQ(out.substr(0, 5), "head:");
  std::string pt = "previous contents";
  ASSERT_TRUE(gcm->Open("a", std::string_view(out).substr(5, first - 5), &pt).ok());
  EXPECT_EQ(pt, "one");
  ASSERT_TRUE(gcm->Open("a", std::string_view(out).substr(first), &pt).ok());
  EXPECT_EQ(pt, "two");
}

TEST(AeadGcm, TenThousandSealsUseDistinctIvs) {
  auto gcm = AesGcm256::Create(Key(kKey15));
  ASSERT_TRUE(gcm.ok());
  std::set<std::string> ivs;
  std::set<std::string> sealeds;
  for (int i = 0; i < 10000; ++i) {
    std::string sealed;
    ASSERT_TRUE(gcm->Seal("aad", "the same value", &sealed).ok());
    ivs.insert(sealed.substr(0, AesGcm256::kIvBytes));
    sealeds.insert(sealed);
  }
  EXPECT_EQ(ivs.size(), 10000u);
  EXPECT_EQ(sealeds.size(), 10000u);
}

// More threads than the per-instance context slots (8): every IV distinct,
// every value opens.
TEST(AeadGcm, MoreThreadsThanContextSlotsSealDistinctIvs) {
  auto gcm = AesGcm256::Create(Key(kKey15));
  ASSERT_TRUE(gcm.ok());
  const AesGcm256& g = *gcm;
  std::vector<std::vector<std::string>> ivs(20);
  std::vector<int> errors(ivs.size(), 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < ivs.size(); ++t) {
    threads.emplace_back([&g, &ivs, &errors, t] {
      const std::string value = "value of thread " + std::to_string(t);
      for (int i = 0; i < 500; ++i) {
        std::string sealed, opened;
        if (!g.Seal("aad", value, &sealed).ok() || !g.Open("aad", sealed, &opened).ok() || opened != value) {
          ++errors[t];
          continue;
        }
        ivs[t].push_back(sealed.substr(0, AesGcm256::kIvBytes));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  size_t count = 0;
  for (size_t t = 0; t < ivs.size(); ++t) {
    EXPECT_EQ(errors[t], 0) << "thread " << t;
    count += ivs[t].size();
    all.insert(ivs[t].begin(), ivs[t].end());
  }
  EXPECT_EQ(count, ivs.size() * 500);
  EXPECT_EQ(all.size(), count);
}

// Random IVs are drawn in batches; a forked child must not reuse the IVs the
// parent has left in its batch.
TEST(AeadGcm, ForkedChildDoesNotReuseTheParentsIvs) {
  auto gcm = AesGcm256::Create(Key(kKey15));
  ASSERT_TRUE(gcm.ok());
  std::string first;
  ASSERT_TRUE(gcm->Seal("aad", "v", &first).ok());  // the parent now holds a partly used batch
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    std::string ivs;
    for (int i = 0; i < 8; ++i) {
      std::string sealed;
      if (!gcm->Seal("aad", "v", &sealed).ok()) _exit(2);
      ivs += sealed.substr(0, AesGcm256::kIvBytes);
    }
    const bool wrote = write(fds[1], ivs.data(), ivs.size()) == static_cast<ssize_t>(ivs.size());
    _exit(wrote ? 0 : 3);
  }
  close(fds[1]);
  std::string child(8 * AesGcm256::kIvBytes, '\0');
  size_t got = 0;
  while (got < child.size()) {
    const ssize_t r = read(fds[0], child.data() + got, child.size() - got);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, child.size());
  std::set<std::string> parent;
  for (int i = 0; i < 8; ++i) {
    std::string sealed;
    ASSERT_TRUE(gcm->Seal("aad", "v", &sealed).ok());
    parent.insert(sealed.substr(0, AesGcm256::kIvBytes));
  }
  for (size_t i = 0; i < 8; ++i)
    EXPECT_EQ(parent.count(child.substr(i * AesGcm256::kIvBytes, AesGcm256::kIvBytes)), 0u) << "IV " << i;
}

TEST(AeadGcm, EveryBitFlipFailsAuthentication) {
  auto gcm = AesGcm256::Create(Key(kKey15));
  ASSERT_TRUE(gcm.ok());
  const std::string aad = FromHex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const std::string pt = "4111111111111111 / alice@example.com";
  std::string sealed;
  ASSERT_TRUE(gcm->Seal(aad, pt, &sealed).ok());

  int flips = 0;
  // IV, ciphertext and tag: every bit of the sealed value.
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = sealed;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      std::string out = "stale";
      Status s = gcm->Open(aad, bad, &out);
      ASSERT_FALSE(s.ok()) << "byte " << i << " bit " << bit;
      EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
      EXPECT_TRUE(out.empty());
      ++flips;
    }
  }
  // Every bit of the AAD.
  for (size_t i = 0; i < aad.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = aad;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      std::string out = "stale";
      Status s = gcm->Open(bad, sealed, &out);
      ASSERT_FALSE(s.ok()) << "aad byte " << i << " bit " << bit;
      EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
      EXPECT_TRUE(out.empty());
      ++flips;
    }
  }
  EXPECT_EQ(flips, static_cast<int>((sealed.size() + aad.size()) * 8));
  // The untouched value still opens.
  std::string out;
  ASSERT_TRUE(gcm->Open(aad, sealed, &out).ok());
  EXPECT_EQ(out, pt);
}

TEST(AeadGcm, TruncatedExtendedAndShortInputsFail) {
  auto gcm = AesGcm256::Create(Key(kKey15));
  ASSERT_TRUE(gcm.ok());
  std::string sealed;
  ASSERT_TRUE(gcm->Seal("", "value", &sealed).ok());
  for (size_t n = 0; n < sealed.size(); ++n) {
    std::string out = "stale";
    Status s = gcm->Open("", std::string_view(sealed).substr(0, n), &out);
    ASSERT_FALSE(s.ok()) << "length " << n;
    EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
    EXPECT_TRUE(out.empty());
  }
  std::string out = "stale";
  Status s = gcm->Open("", sealed + "x", &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
  EXPECT_TRUE(out.empty());
}

TEST(AeadGcm, WrongKeyFailsAuthentication) {
  auto a = AesGcm256::Create(Key(kKey15));
  auto b = AesGcm256::Create(Key(kZeroKey));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  std::string sealed;
  ASSERT_TRUE(a->Seal("aad", "value", &sealed).ok());
  std::string out = "stale";
  Status s = b->Open("aad", sealed, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kAuthFailed);
  EXPECT_TRUE(out.empty());
}

TEST(AeadGcm, WrongKeyLengthIsAnError) {
  for (size_t n : {0, 1, 16, 24, 31, 33, 64}) {
    auto gcm = AesGcm256::Create(SecretBytes(std::vector<uint8_t>(n, 0x42)));
    ASSERT_FALSE(gcm.ok()) << n;
    EXPECT_EQ(gcm.error().code, ErrorCode::kInvalidKey);
    std::string out;
    Status s = AesGcm256::SealWithIv(SecretBytes(std::vector<uint8_t>(n, 0x42)), std::string(12, '\0'), "", "x", &out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidKey);
    EXPECT_TRUE(out.empty());
  }
}

TEST(AeadGcm, WrongIvLengthIsAnError) {
  std::string out;
  Status s = AesGcm256::SealWithIv(Key(kKey15), std::string(8, '\0'), "", "x", &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidIv);
  EXPECT_TRUE(out.empty());
}

TEST(AeadGcm, ErrorMessagesCarryNoKeyOrPlaintext) {
  auto gcm = AesGcm256::Create(Key(kKey15));
  ASSERT_TRUE(gcm.ok());
  std::string sealed;
  ASSERT_TRUE(gcm->Seal("", "secret-plaintext", &sealed).ok());
  sealed.back() = static_cast<char>(sealed.back() ^ 1);
  std::string out;
  Status s = gcm->Open("", sealed, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString().find("secret"), std::string::npos);
  EXPECT_EQ(s.error().ToString().find("feffe992"), std::string::npos);
}

TEST(AeadGcm, MovedInstanceStillWorks) {
  auto gcm = AesGcm256::Create(Key(kKey15));
  ASSERT_TRUE(gcm.ok());
  AesGcm256 moved = std::move(gcm).value();
  std::string sealed, out;
  ASSERT_TRUE(moved.Seal("", "v", &sealed).ok());
  ASSERT_TRUE(moved.Open("", sealed, &out).ok());
  EXPECT_EQ(out, "v");
}

TEST(AeadGcm, ConcurrentSealAndOpen) {
  auto gcm = AesGcm256::Create(Key(kKey15));
  ASSERT_TRUE(gcm.ok());
  const AesGcm256& g = *gcm;
  std::vector<int> failures(8, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&g, &failures, t] {
      for (int i = 0; i < 300; ++i) {
        std::string pt = "value-" + std::to_string(t) + "-" + std::to_string(i);
        std::string sealed, out;
        if (!g.Seal("aad", pt, &sealed).ok() || !g.Open("aad", sealed, &out).ok() || out != pt) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace
}  // namespace maskproxy::crypto
