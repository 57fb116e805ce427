// Keyring parsing, validation and file permission checks. Key material in
// these tests is fixed, non-secret test data; it is never printed.
#include "crypto/keyring.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crypto/base64.h"
#include "crypto/mac.h"

namespace maskproxy::crypto {
namespace {

// n bytes of splitmix64's output seeded by `first`: fixed test material a
// keyring takes for random (a counting sequence is key_weak).
std::vector<uint8_t> Bytes(uint8_t first, size_t n) {
  std::vector<uint8_t> v(n);
  uint64_t x = first;
  for (size_t i = 0; i < n; i += 8) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (size_t j = 0; j < 8 && i + j < n; ++j) v[i + j] = static_cast<uint8_t>(z >> (8 * j));
  }
  return v;
}

std::string B64(const std::vector<uint8_t>& b) {
  return Base64Encode(b.data(), b.size());
}

bool SameBytes(const SecretBytes& s, const std::vector<uint8_t>& b) {
  return s.size() == b.size() && std::memcmp(s.data(), b.data(), b.size()) == 0;
}

// Two keys; rrn has two versions with version 2 active.
std::string ValidYaml() {
  return "keys:\n"
         "  rrn:\n"
         "    active: 2\n"
         "    versions:\n"
         "      1: " +
         B64(Bytes(0, 32)) +
         "\n"
         "      2: " +
         B64(Bytes(160, 32)) +
         "\n"
         "  phone:\n"
         "    active: 1\n"
         "    versions:\n"
         "      1: " +
         B64(Bytes(100, 48)) + "\n";
}

// A one-key keyring with the given key body lines (indented under "  <name>:").
std::string OneKey(const std::string& name, const std::string& body) {
  return "keys:\n  " + name + ":\n" + body;
}

::testing::AssertionResult HasError(const Result<Keyring>& r, ErrorCode code,
                                    const std::vector<std::string>& fragments) {
  if (r.ok()) return ::testing::AssertionFailure() << "parse unexpectedly succeeded";
  const Error& e = r.error();
  if (e.code != code)
    return ::testing::AssertionFailure() << "code " << e.code << " != " << code << " (" << e.message << ")";
  for (const auto& f : fragments)
    if (e.message.find(f) == std::string::npos)
      return ::testing::AssertionFailure() << "message lacks '" << f << "': " << e.message;
  return ::testing::AssertionSuccess();
}

TEST(KeyringParse, ValidKeyring) {
  auto r = Keyring::Parse(ValidYaml(), "k.yaml");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->Names(), (std::vector<std::string>{"phone", "rrn"}));

  const Key* rrn = r->Find("rrn");
  ASSERT_NE(rrn, nullptr);
  EXPECT_EQ(rrn->name, "rrn");
  EXPECT_EQ(rrn->active, 2u);
  ASSERT_EQ(rrn->versions.size(), 2u);
  EXPECT_TRUE(SameBytes(rrn->versions.at(1), Bytes(0, 32)));
  EXPECT_TRUE(SameBytes(rrn->versions.at(2), Bytes(160, 32)));
  EXPECT_TRUE(SameBytes(rrn->ActiveMaterial(), Bytes(160, 32)));

  const Key* phone = r->Find("phone");
  ASSERT_NE(phone, nullptr);
  EXPECT_EQ(phone->active, 1u);
  EXPECT_EQ(phone->ActiveMaterial().size(), 48u);
  EXPECT_TRUE(SameBytes(phone->ActiveMaterial(), Bytes(100, 48)));

  EXPECT_EQ(r->Find("missing"), nullptr);
  EXPECT_EQ(r->Find(""), nullptr);
}

// A key name that is not a valid name (here with a line break and a NUL) is
// shown escaped, and the message stays one located line.
TEST(KeyringParse, BadKeyNameCannotBreakTheErrorLine) {
  auto r = Keyring::Parse("keys:\n  \"rrn\\nk.yaml:1:1: forged\\0\":\n    active: 1\n", "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:2:", "key name 'rrn\\nk.yaml:1:1: forged\\x00'"}));
  if (!r.ok()) {
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find('\0'), std::string::npos);
  }
}

// A piece of material pasted where a name belongs is not quoted, also when
// it is short and has no '+', '/' or '=' (base64url, or 20 characters cut
// from a key); names that read as words are.
TEST(KeyringNames, APieceOfMaterialIsNotShown) {
  for (const std::string piece : {"bFHXq2Lk9aZcT0pWvR3m", "q2Lk9aZc", "AbCdEfGhIjKlMnOpQrStUvWx", "bFHX+q2L"}) {
    EXPECT_TRUE(MayBeKeyMaterial(piece)) << "a piece of material";
    EXPECT_EQ(ShownName(piece), " (not shown: it may be key material)");
  }
  for (const std::string name : {"rrn", "customer_v2", "KEY_2024", "payments-card-2026", "Rrn", "Phone"}) {
    EXPECT_FALSE(MayBeKeyMaterial(name)) << name;
    EXPECT_EQ(ShownName(name), " '" + name + "'");
  }
  for (const char* text :
       {"keys:\n  bFHXq2Lk9aZcT0pWvR3m: 1\n", "keys:\n  bFHXq2Lk9aZcT0pWvR3m:\n    active: 1\n    versions: 3\n"}) {
    auto r = Keyring::Parse(text, "k.yaml");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.find("bFHXq2Lk9aZcT0pWvR3m"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("not shown: it may be key material"), std::string::npos) << r.error().message;
  }
}

// Found by review: material pasted where a key NAME belongs (hex, as
// `openssl rand -hex 32` prints it) loaded, and the name is printed by
// /config_dump, the audit trail, `keys rotate` and every token. Refused
// wherever a name is accepted, without echoing it.
TEST(KeyringNames, MaterialAsANameIsRefusedWhereverANameIsAccepted) {
  const std::string hex = "187ddf16e714fc64e751df8149b7d12f42020c1e15a4781aca0217d831f5b94f";
  const std::string b64url = "bFHXq2Lk9aZcT0pWvR3mKx7-Qd2Lz8YtU0nVb5sWc4E";  // 32 bytes, base64url
  for (const std::string& name : {hex, b64url}) {
    SCOPED_TRACE(name);
    auto r = Keyring::Parse(
        "keys:\n  " + name + ":\n    active: 1\n    versions:\n      1: " + B64(Bytes(3, 32)) + "\n", "k.yaml");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kKeyringInvalid);
    EXPECT_EQ(r.error().message.find(name), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("k.yaml:2:3: key name (not shown: it may be key material) must be 1-64"),
              std::string::npos)
        << r.error().message;
  }
  // A KMS key's name is printed too (/config_dump).
  auto w = Keyring::Parse(
      "keys:\n  k:\n    active: 1\n    versions:\n      1: {kms: \"transit:" + hex + "\", wrapped: \"vault:v1:x\"}\n",
      "k.yaml");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().message.find(hex), std::string::npos) << w.error().message;
  EXPECT_NE(w.error().message.find("is not a name"), std::string::npos) << w.error().message;
  // keys generate and keys rotate: a usage error, nothing written.
  const std::string dir = ::testing::TempDir() + "/keyring-names-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  auto g = GenerateKeyringFile(dir + "/g.yaml", {"ok", hex});
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, ErrorCode::kUsage);
  EXPECT_EQ(g.error().message.find(hex), std::string::npos) << g.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir + "/g.yaml"));
  ASSERT_TRUE(GenerateKeyringFile(dir + "/r.yaml", {"ok"}).ok());
  auto rot = RotateKeyringFile(dir + "/r.yaml", {hex});
  ASSERT_FALSE(rot.ok());
  EXPECT_EQ(rot.error().code, ErrorCode::kUsage);
  EXPECT_EQ(rot.error().message.find(hex), std::string::npos) << rot.error().message;
  std::filesystem::remove_all(dir);
}

TEST(KeyringParse, ASecondDocumentIsRefused) {
  auto r = Keyring::Parse(ValidYaml() + "---\nkeys: {}\n", "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:", "a second YAML document"}));
}

TEST(KeyringParse, KeyTooShort) {
  std::string material = B64(Bytes(0, 31));
  auto r = Keyring::Parse(OneKey("rrn", "    active: 1\n    versions:\n      1: " + material + "\n"), "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyTooShort, {"k.yaml:5:", "'rrn'", "248 bits", "256"}));
  if (!r.ok()) {
    EXPECT_EQ(r.error().message.find(material), std::string::npos) << "message contains key material";
  }
}

TEST(KeyringParse, ExactlyMinimumLengthAccepted) {
  auto r =
      Keyring::Parse(OneKey("rrn", "    active: 1\n    versions:\n      1: " + B64(Bytes(0, 32)) + "\n"), "k.yaml");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->Find("rrn")->ActiveMaterial().size(), kMinKeyBytes);
}

TEST(KeyringParse, BadBase64) {
  auto r = Keyring::Parse(OneKey("rrn", "    active: 1\n    versions:\n      1: abc$defg\n"), "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:5:", "'rrn'", "base64"}));
  if (!r.ok()) {
    EXPECT_EQ(r.error().message.find("abc$defg"), std::string::npos) << "message contains key material";
  }
}

TEST(KeyringParse, MissingActive) {
  auto r = Keyring::Parse(OneKey("rrn", "    versions:\n      1: " + B64(Bytes(0, 32)) + "\n"), "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:2:", "'rrn'", "active"}));
}

TEST(KeyringParse, ActiveVersionNotPresent) {
  auto r =
      Keyring::Parse(OneKey("rrn", "    active: 3\n    versions:\n      1: " + B64(Bytes(0, 32)) + "\n"), "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:2:", "'rrn'", "active version 3"}));
}

TEST(KeyringParse, ActiveNotANumber) {
  auto r =
      Keyring::Parse(OneKey("rrn", "    active: two\n    versions:\n      1: " + B64(Bytes(0, 32)) + "\n"), "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:3:", "'rrn'", "active"}));
}

TEST(KeyringParse, VersionZeroRejected) {
  auto r =
      Keyring::Parse(OneKey("rrn", "    active: 1\n    versions:\n      0: " + B64(Bytes(0, 32)) + "\n"), "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:5:", "'rrn'", "version"}));
}

TEST(KeyringParse, UnknownFieldInKey) {
  auto r = Keyring::Parse(
      OneKey("rrn", "    active: 1\n    rotate: yes\n    versions:\n      1: " + B64(Bytes(0, 32)) + "\n"), "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:4:5:", "'rrn'", "unknown field 'rotate'"}));
}

TEST(KeyringParse, UnknownTopLevelField) {
  auto r = Keyring::Parse(ValidYaml() + "extra: 1\n", "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:11:1:", "unknown field 'extra'"}));
}

TEST(KeyringParse, InvalidKeyName) {
  auto r = Keyring::Parse(OneKey("bad.name", "    active: 1\n    versions:\n      1: " + B64(Bytes(0, 32)) + "\n"),
                          "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:2:3:", "key name"}));
}

// The header promises errors "say which"; the offending name should appear.
TEST(KeyringParse, InvalidKeyNameMessageNamesTheKey) {
  auto r = Keyring::Parse(OneKey("bad.name", "    active: 1\n    versions:\n      1: " + B64(Bytes(0, 32)) + "\n"),
                          "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:2:3:", "bad.name"}));
}

// Key material pasted where a name belongs is not echoed (errors reach logs,
// the /reload answer and the audit trail; found by review).
TEST(KeyringParse, MaterialWhereANameBelongsIsNotEchoed) {
  const std::string material = B64(Bytes(7, 32));
  const std::string url_material = "bFHXhQCYgZkym0kA89eKWvFioShQGHU8p6ZpgT3rc";  // base64url, no padding
  // (base64url material is a valid key name: as one, it is a key's name.)
  for (const std::string& m : {material, url_material}) {
    std::vector<std::string> yamls = {
        OneKey("rrn", "    active: 1\n    " + m + ": 2\n    versions:\n      1: " + B64(Bytes(0, 32)) + "\n"),
        ValidYaml() + m + ": 1\n"};
    if (m == material) yamls.push_back(OneKey(m, "    active: 1\n    versions:\n      1: " + B64(Bytes(0, 32)) + "\n"));
    for (const std::string& yaml : yamls) {
      auto r = Keyring::Parse(yaml, "k.yaml");
      ASSERT_FALSE(r.ok()) << yaml;
      EXPECT_EQ(r.error().message.find(m), std::string::npos) << r.error().message;
      EXPECT_NE(r.error().message.find("k.yaml:"), std::string::npos) << r.error().message;
      EXPECT_NE(r.error().message.find("not shown"), std::string::npos) << r.error().message;
    }
  }
}

// A valid key name of base64url material (43 characters) is not quoted in
// the loader's other errors either (found by a second review).
TEST(KeyringParse, ALongKeyNameIsNotQuotedInItsErrors) {
  const std::string name = "q8Zr3VbN1xYp0LmT7sWcA9dEfGhJkLmNoPqRsTuVwXy";
  for (const std::string& body : {"    active: 2\n    versions:\n      1: " + B64(Bytes(0, 32)) + "\n",
                                  "    active: 1\n    extra: 1\n    versions:\n      1: " + B64(Bytes(0, 32)) + "\n"}) {
    auto r = Keyring::Parse(OneKey(name, body), "k.yaml");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.find(name), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("not shown"), std::string::npos) << r.error().message;
  }
}

// Material no random generator gives is refused, without echoing it.
TEST(KeyringParse, WeakMaterialIsRefused) {
  const std::vector<uint8_t> zeros(32, 0);
  const std::vector<uint8_t> letters(32, 'A');
  std::vector<uint8_t> abab(48);
  for (size_t i = 0; i < abab.size(); ++i) abab[i] = static_cast<uint8_t>("abcdefg"[i % 7]);
  for (const auto& bytes : {zeros, letters, abab}) {
    const std::string m = B64(bytes);
    auto r = Keyring::Parse(OneKey("rrn", "    active: 1\n    versions:\n      1: " + m + "\n"), "k.yaml");
    EXPECT_TRUE(HasError(r, ErrorCode::kKeyWeak, {"k.yaml:5:", "'rrn'", "not random", "keys generate"}));
    if (!r.ok()) {
      EXPECT_EQ(r.error().message.find(m), std::string::npos);
    }
  }
}

std::string WithMaterial(const std::string& m) {
  return OneKey("rrn", "    active: 1\n    versions:\n      1: " + m + "\n");
}

// Low-entropy material that counting 8 different byte values let through:
// the bytes 0-7 repeated, a phrase repeated, a typed phrase of base64's
// letters, a passphrase base64-encoded, a pattern of 16 bytes repeated.
TEST(KeyringParse, LowEntropyMaterialIsRefused) {
  std::vector<uint8_t> eight(32), sixteen(48);
  for (size_t i = 0; i < eight.size(); ++i) eight[i] = static_cast<uint8_t>(i % 8);
  for (size_t i = 0; i < sixteen.size(); ++i) sixteen[i] = static_cast<uint8_t>(0x80 + i % 16 * 7);
  const std::string pass = "my secret passphrase, long enough to be 32 bytes";
  for (const std::string& m : {B64(eight), B64(sixteen), std::string("correcthorsebatterystaplecorrecthorsebattery"),
                               std::string("MySecretPassw0rdMySecretPassw0rdMySecretPass"),
                               B64(std::vector<uint8_t>(pass.begin(), pass.end()))}) {
    auto r = Keyring::Parse(WithMaterial(m), "k.yaml");
    EXPECT_TRUE(HasError(r, ErrorCode::kKeyWeak, {"k.yaml:5:", "'rrn'", "not random", "rand -base64 32"})) << m;
    if (!r.ok()) {
      EXPECT_EQ(r.error().message.find(m), std::string::npos);
    }
  }
}

// Found by review: FIPS-197's example key 00 01 .. 1f (copied from test
// vectors), its reverse, a stride sequence, 16 distinct bytes then 16 zeros,
// a random half followed by a counting sequence: all loaded. Refused now.
TEST(KeyringParse, CountingSequencesAndLopsidedMaterialAreRefused) {
  std::vector<std::vector<uint8_t>> weak;
  std::vector<uint8_t> b(32);
  for (size_t i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(i);
  weak.push_back(b);  // 00 01 .. 1f
  for (size_t i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(255 - i);
  weak.push_back(b);  // ff fe .. e0
  for (size_t i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(i * 7);
  weak.push_back(b);  // a stride
  for (size_t i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(i < 16 ? i : 0);
  weak.push_back(b);  // 16 distinct bytes, then zeros
  b[0] = 0x11;
  for (size_t i = 1; i < 32; ++i) b[i] = static_cast<uint8_t>(b[i - 1] + (i % 2 == 0 ? 1 : 5));
  weak.push_back(b);  // steps of 5 and 1 in turn
  std::vector<uint8_t> half = Bytes(9, 32);
  for (size_t i = 16; i < 32; ++i) half[i] = static_cast<uint8_t>(0x40 + i);
  weak.push_back(half);  // a random half, then a counting sequence
  std::vector<uint8_t> ones = Bytes(11, 32);
  for (size_t i = 0; i < 11; ++i) ones[i * 3] = 0x55;
  weak.push_back(ones);  // one byte value 11 times of 32
  for (const auto& bytes : weak) {
    const std::string m = B64(bytes);
    auto r = Keyring::Parse(WithMaterial(m), "k.yaml");
    EXPECT_TRUE(HasError(r, ErrorCode::kKeyWeak, {"k.yaml:5:", "'rrn'", "not random"})) << m;
    if (!r.ok()) {
      EXPECT_EQ(r.error().message.find(m), std::string::npos);
    }
  }
}

// The checks refuse random material with a probability below 2e-14 (keyring.cc
// says each bound): 20,000 random keys of 32 and 64 bytes all load.
TEST(KeyringParse, RandomMaterialIsNeverRefused) {
  std::random_device seed;
  std::mt19937_64 gen(seed());
  for (size_t n : {size_t{32}, size_t{64}}) {
    for (int k = 0; k < 10000; ++k) {
      std::vector<uint8_t> bytes(n);
      for (auto& x : bytes) x = static_cast<uint8_t>(gen());
      auto r = Keyring::Parse(WithMaterial(B64(bytes)), "k.yaml");
      ASSERT_TRUE(r.ok()) << r.error().ToString();
    }
  }
}

// Hex text (openssl rand -hex 32) is not base64: refused, saying so, not
// decoded as base64 into other bytes.
TEST(KeyringParse, HexTextIsRefused) {
  const std::string hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  auto r = Keyring::Parse(WithMaterial(hex), "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:5:", "'rrn'", "hex", "base64"}));
  if (!r.ok()) {
    EXPECT_EQ(r.error().message.find(hex), std::string::npos);
  }
  EXPECT_FALSE(Keyring::Parse(WithMaterial("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822C"), "k.yaml").ok());
}

// The checks do not refuse random keys (their false-refusal probability is
// below 2e-14 each; see keyring.cc): 20,000 random keys of 32 bytes load.
TEST(KeyringParse, RandomKeysAreNotRefused) {
  std::vector<uint8_t> b(32);
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int n = 0; n < 20000; ++n) {
    for (auto& c : b) {  // splitmix64: a fixed, reproducible stream
      x += 0x9e3779b97f4a7c15ULL;
      uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      c = static_cast<uint8_t>(z ^ (z >> 31));
    }
    auto r = Keyring::Parse(WithMaterial(B64(b)), "k.yaml");
    ASSERT_TRUE(r.ok()) << n << ": " << r.error().ToString();
  }
}

// The same material under two names, or as two versions, is refused,
// naming both and never the material.
TEST(KeyringParse, SharedMaterialIsRefused) {
  const std::string m = B64(Bytes(0, 32));
  auto r = Keyring::Parse("keys:\n  tok: {active: 1, versions: {1: " + m +
                              "}}\n  rev: {active: 2, versions: {1: " + B64(Bytes(160, 32)) + ", 2: " + m + "}}\n",
                          "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"'tok' version 1", "'rev' version 2", "same material"}));
  if (!r.ok()) {
    EXPECT_EQ(r.error().message.find(m), std::string::npos);
  }
}

// A fingerprint per version: equal for equal material, different for other
// material, 24 hex digits, neither the material nor its plain SHA-256.
TEST(KeyringParse, FingerprintsTellMaterialApart) {
  auto a = Keyring::Parse(ValidYaml(), "a.yaml");
  auto b = Keyring::Parse(ValidYaml(), "b.yaml");
  ASSERT_TRUE(a.ok() && b.ok());
  const auto fa = a->Fingerprints();
  ASSERT_EQ(fa.size(), 3u);
  EXPECT_EQ(fa[0].name, "phone");
  EXPECT_EQ(fa[1].name, "rrn");
  EXPECT_EQ(fa[1].version, 1u);
  EXPECT_EQ(fa[1].origin, "a.yaml");
  for (size_t i = 0; i < fa.size(); ++i) {
    EXPECT_EQ(fa[i].fingerprint, b->Fingerprints()[i].fingerprint);
    EXPECT_EQ(fa[i].fingerprint.size(), 24u);
    EXPECT_EQ(fa[i].fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos);
  }
  EXPECT_NE(fa[1].fingerprint, fa[2].fingerprint);
  const auto material = Bytes(0, 32);
  const auto sha = Sha256(std::string_view(reinterpret_cast<const char*>(material.data()), material.size()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string sha_hex, raw_hex;
  for (uint8_t c : sha) sha_hex += {kHex[c >> 4], kHex[c & 15]};
  for (uint8_t c : material) raw_hex += {kHex[c >> 4], kHex[c & 15]};
  EXPECT_EQ(sha_hex.find(fa[1].fingerprint), std::string::npos);
  EXPECT_EQ(raw_hex.find(fa[1].fingerprint), std::string::npos);
}

TEST(KeyringParse, EmptyKeys) {
  EXPECT_TRUE(HasError(Keyring::Parse("keys: {}\n", "k.yaml"), ErrorCode::kKeyringInvalid, {"k.yaml", "keys"}));
  EXPECT_TRUE(HasError(Keyring::Parse("keys:\n", "k.yaml"), ErrorCode::kKeyringInvalid, {"k.yaml", "keys"}));
  EXPECT_TRUE(HasError(Keyring::Parse("", "k.yaml"), ErrorCode::kKeyringInvalid, {"k.yaml"}));
  EXPECT_TRUE(HasError(Keyring::Parse("keys: [a, b]\n", "k.yaml"), ErrorCode::kKeyringInvalid, {"k.yaml", "keys"}));
}

TEST(KeyringParse, EmptyVersions) {
  EXPECT_TRUE(HasError(Keyring::Parse(OneKey("rrn", "    active: 1\n    versions: {}\n"), "k.yaml"),
                       ErrorCode::kKeyringInvalid, {"k.yaml:4:", "'rrn'", "versions"}));
  EXPECT_TRUE(HasError(Keyring::Parse(OneKey("rrn", "    active: 1\n"), "k.yaml"), ErrorCode::kKeyringInvalid,
                       {"k.yaml:2:", "'rrn'", "versions"}));
}

TEST(KeyringParse, InvalidYamlSyntax) {
  EXPECT_TRUE(
      HasError(Keyring::Parse("keys:\n  rrn: [1, 2\n", "k.yaml"), ErrorCode::kKeyringInvalid, {"k.yaml:", "YAML"}));
}

// A key name written twice (e.g. a rotation pasted as a second block) must not
// be silently dropped: policies would keep using the first block's version.
TEST(KeyringParse, DuplicateKeyNameRejected) {
  std::string yaml =
      "keys:\n"
      "  rrn:\n    active: 1\n    versions:\n      1: " +
      B64(Bytes(0, 32)) +
      "\n"
      "  rrn:\n    active: 2\n    versions:\n      2: " +
      B64(Bytes(160, 32)) + "\n";  // line 6
  auto r = Keyring::Parse(yaml, "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:6:", "duplicate key 'keys.rrn'"}));
}

TEST(KeyringParse, DuplicateVersionRejected) {
  auto r = Keyring::Parse(OneKey("rrn", "    active: 1\n    versions:\n      1: " + B64(Bytes(0, 32)) +
                                            "\n      1: " + B64(Bytes(160, 32)) + "\n"),
                          "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:6:", "duplicate key 'keys.rrn.versions.1'"}));
}

// yaml-cpp keeps both entries of a key written twice in one mapping: a
// lookup reads the first (a second `keys:` block, e.g. two generated files
// concatenated, was never loaded and `keys rotate` wrote the file without
// it), a loop the last (`active:`) or both (two `versions:` merged). Each is
// refused at every level, in YAML and JSON, naming the line and the key
// path, never the material.
TEST(KeyringParse, AKeyWrittenTwiceInAMappingIsRefusedAtEveryLevel) {
  const std::string a = B64(Bytes(0, 32));
  const std::string b = B64(Bytes(160, 32));
  struct Case {
    std::string yaml;
    std::string where;
    std::string path;
  };
  const std::vector<Case> cases = {
      {"keys:\n  rrn:\n    active: 1\n    versions:\n      1: " + a + "\nkeys:\n  other:\n    active: 1\n" +
           "    versions:\n      1: " + b + "\n",
       "k.yaml:6:1:", "'keys'"},
      {"keys:\n  rrn:\n    active: 2\n    active: 1\n    versions:\n      1: " + a + "\n      2: " + b + "\n",
       "k.yaml:4:5:", "'keys.rrn.active'"},
      {"keys:\n  rrn:\n    active: 1\n    versions:\n      1: " + a + "\n    versions:\n      2: " + b + "\n",
       "k.yaml:6:5:", "'keys.rrn.versions'"},
      {"purpose: reversible\npurpose: tokenization\nkeys:\n  rrn:\n    active: 1\n    versions:\n      1: " + a + "\n",
       "k.yaml:2:1:", "'purpose'"},
      {"keys:\n  rrn:\n    active: 1\n    versions:\n      1: {kms: \"transit:a\", kms: \"transit:b\", wrapped: "
       "\"vault:v1:x\"}\n",
       "k.yaml:5:29:", "'keys.rrn.versions.1.kms'"},
      {R"({"keys":{"rrn":{"active":1,"versions":{"1":")" + a + R"("}}},"keys":{"other":{"active":1,"versions":{"1":")" +
           b + R"("}}}})",
       "k.yaml:1:", "'keys'"},
      {R"({"keys":{"rrn":{"active":1,"versions":{"1":")" + a + R"(","1":")" + b + R"("}}}})",
       "k.yaml:1:", "'keys.rrn.versions.1'"},
  };
  for (const auto& c : cases) {
    auto r = Keyring::Parse(c.yaml, "k.yaml");
    EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {c.where, "duplicate key " + c.path})) << c.yaml.substr(0, 40);
    if (!r.ok()) {
      EXPECT_EQ(r.error().message.find(a), std::string::npos);
      EXPECT_EQ(r.error().message.find(b), std::string::npos);
    }
  }
}

// Material pasted where a name belongs, twice: the path does not show it.
TEST(KeyringParse, ADuplicateKeyPathDoesNotShowMaterial) {
  const std::string m = B64(Bytes(7, 32));
  auto r =
      Keyring::Parse("keys:\n  rrn:\n    active: 1\n    versions:\n      " + m + ": 1\n      " + m + ": 2\n", "k.yaml");
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInvalid, {"k.yaml:6:", "duplicate key 'keys.rrn.versions.(not shown"}));
  if (!r.ok()) {
    EXPECT_EQ(r.error().message.find(m.substr(0, 12)), std::string::npos);
  }
}

// Non-scalar mapping keys must give an error, not an escaping exception.
TEST(KeyringParse, NonScalarKeysAreErrorsNotExceptions) {
  for (const std::string& yaml :
       {std::string("[a, b]: 1\n"), std::string("keys:\n  [a, b]: 1\n"),
        "keys:\n  rrn:\n    [x]: 1\n    active: 1\n    versions:\n      1: " + B64(Bytes(0, 32)) + "\n"}) {
    try {
      auto r = Keyring::Parse(yaml, "k.yaml");
      EXPECT_FALSE(r.ok());
      if (!r.ok()) {
        EXPECT_EQ(r.error().code, ErrorCode::kKeyringInvalid);
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "Keyring::Parse threw: " << e.what();
    }
  }
}

TEST(KeyringName, Validity) {
  EXPECT_TRUE(IsValidKeyName("rrn"));
  EXPECT_TRUE(IsValidKeyName("A-z_09"));
  EXPECT_TRUE(IsValidKeyName(std::string(24, 'a')));
  EXPECT_TRUE(IsValidKeyName("payments-card-2026"));
  // Words are names at any length up to 64, in any case.
  EXPECT_TRUE(IsValidKeyName(std::string(25, 'a')));
  EXPECT_TRUE(IsValidKeyName(std::string(64, 'a')));
  for (const char* words : {"CustomerKey", "customerTokenKeyV2", "payments_tokenization_key_2026", "PII_KEY_v3",
                            "kr-rrn-2026-12", "apiKey"})
    EXPECT_TRUE(IsValidKeyName(words)) << words;
  // What may be pasted material is no name: hex, base64url, pieces of them
  // of 22 characters or more, base64's + / =.
  for (const char* material : {"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                               "9f86d081884c7d659a2feaa0c55ad015", "dGhpcyBpcyBhIDMyLWJ5dGUga2V5IGZvciB0ZXN0cw",
                               "bFHXq2Lk9aZcT0pWvR3mXyZ01a", "AbCdEfGhIjKlMnOpQrStUvWx", "bFHX+q2L"})
    EXPECT_FALSE(IsValidKeyName(material)) << material;
  // A shorter piece cannot be a key: a name (errors show it only as
  // MayBeKeyMaterial allows), so that keyrings made before stay loadable.
  for (const char* name : {"customerPIIKey", "OAuthTokenKey", "iOSDeviceId", "k8sSecretsKey", "q2Lk9aZc"})
    EXPECT_TRUE(IsValidKeyName(name)) << name;
  EXPECT_FALSE(IsValidKeyName(std::string(65, 'a')));
  EXPECT_FALSE(IsValidKeyName(""));
  EXPECT_FALSE(IsValidKeyName("a.b"));
  EXPECT_FALSE(IsValidKeyName("a b"));
  EXPECT_FALSE(IsValidKeyName("키"));
}

// ---- files ------------------------------------------------------------------

class KeyringFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "keyring_test.XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    ASSERT_NE(::mkdtemp(buf.data()), nullptr) << std::strerror(errno);
    dir_ = buf.data();
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::string Write(const std::string& name, const std::string& text, mode_t mode) {
    std::string path = dir_ + "/" + name;
    {
      std::ofstream out(path, std::ios::binary);
      out << text;
    }
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string dir_;
};

TEST_F(KeyringFileTest, WorldReadableFileRefused) {
  std::string path = Write("keys.yaml", ValidYaml(), 0644);
  auto r = Keyring::Load(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyringInsecure);
  EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("0644"), std::string::npos) << r.error().message;
}

TEST_F(KeyringFileTest, GroupReadableFileRefused) {
  std::string path = Write("keys.yaml", ValidYaml(), 0640);
  auto r = Keyring::Load(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyringInsecure);
  EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos);
}

TEST_F(KeyringFileTest, OthersWritableOnlyRefused) {
  std::string path = Write("keys.yaml", ValidYaml(), 0602);
  auto r = Keyring::Load(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyringInsecure);
}

TEST_F(KeyringFileTest, Mode0600Loads) {
  std::string path = Write("keys.yaml", ValidYaml(), 0600);
  auto r = Keyring::Load(path);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->Names(), (std::vector<std::string>{"phone", "rrn"}));
  EXPECT_TRUE(SameBytes(r->Find("rrn")->ActiveMaterial(), Bytes(160, 32)));
}

TEST_F(KeyringFileTest, Mode0400Loads) {
  std::string path = Write("keys.yaml", ValidYaml(), 0400);
  auto r = Keyring::Load(path);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
}

TEST_F(KeyringFileTest, ParseErrorsNameTheFile) {
  std::string path =
      Write("keys.yaml", OneKey("rrn", "    active: 1\n    versions:\n      1: " + B64(Bytes(0, 16)) + "\n"), 0600);
  auto r = Keyring::Load(path);
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyTooShort, {path + ":5:", "'rrn'"}));
}

TEST_F(KeyringFileTest, MissingFile) {
  auto r = Keyring::Load(dir_ + "/nope.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyringUnreadable);
  EXPECT_NE(r.error().message.find("nope.yaml"), std::string::npos);
}

TEST_F(KeyringFileTest, DirectoryIsNotAKeyring) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  auto r = Keyring::Load(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyringUnreadable);
}

TEST_F(KeyringFileTest, GenerateCreatesPrivateFileThatLoads) {
  std::string path = dir_ + "/gen.yaml";
  Status s = GenerateKeyringFile(path, {"rrn", "phone"});
  ASSERT_TRUE(s.ok()) << s.error().ToString();

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  auto r = Keyring::Load(path);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->Names(), (std::vector<std::string>{"phone", "rrn"}));
  for (const char* name : {"rrn", "phone"}) {
    const Key* k = r->Find(name);
    ASSERT_NE(k, nullptr) << name;
    EXPECT_EQ(k->active, 1u);
    ASSERT_EQ(k->versions.size(), 1u);
    EXPECT_EQ(k->ActiveMaterial().size(), 32u);
  }
  // Fresh random material per key.
  const SecretBytes& a = r->Find("rrn")->ActiveMaterial();
  const SecretBytes& b = r->Find("phone")->ActiveMaterial();
  EXPECT_NE(std::memcmp(a.data(), b.data(), 32), 0);
}

TEST_F(KeyringFileTest, GenerateTwiceGivesDifferentKeys) {
  ASSERT_TRUE(GenerateKeyringFile(dir_ + "/a.yaml", {"k"}).ok());
  ASSERT_TRUE(GenerateKeyringFile(dir_ + "/b.yaml", {"k"}).ok());
  auto a = Keyring::Load(dir_ + "/a.yaml");
  auto b = Keyring::Load(dir_ + "/b.yaml");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(std::memcmp(a->Find("k")->ActiveMaterial().data(), b->Find("k")->ActiveMaterial().data(), 32), 0);
}

TEST_F(KeyringFileTest, GenerateRefusesToOverwrite) {
  std::string path = Write("existing.yaml", "do not touch\n", 0600);
  Status s = GenerateKeyringFile(path, {"rrn"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kKeyringWriteFailed);
  EXPECT_NE(s.error().message.find(path), std::string::npos);
  EXPECT_EQ(ReadAll(path), "do not touch\n");

  // Also when the existing file is itself a generated keyring.
  std::string gen = dir_ + "/gen.yaml";
  ASSERT_TRUE(GenerateKeyringFile(gen, {"rrn"}).ok());
  std::string before = ReadAll(gen);
  EXPECT_FALSE(GenerateKeyringFile(gen, {"rrn"}).ok());
  EXPECT_EQ(ReadAll(gen), before);
}

TEST_F(KeyringFileTest, GenerateRejectsBadNames) {
  std::string path = dir_ + "/bad.yaml";
  EXPECT_FALSE(GenerateKeyringFile(path, {}).ok());
  EXPECT_FALSE(GenerateKeyringFile(path, {"ok", "not ok"}).ok());
  EXPECT_FALSE(std::filesystem::exists(path)) << "no file may be left behind on a usage error";
}

// A name given twice would write a keyring that does not load ("key 'rrn' is
// defined twice"): refused before anything is written (found by review).
TEST_F(KeyringFileTest, GenerateRefusesANameGivenTwice) {
  std::string path = dir_ + "/dup.yaml";
  Status s = GenerateKeyringFile(path, {"rrn", "phone", "rrn"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUsage);
  EXPECT_NE(s.error().message.find("key 'rrn' is named twice"), std::string::npos) << s.error().message;
  EXPECT_FALSE(std::filesystem::exists(path));
  ASSERT_TRUE(GenerateKeyringFile(path, {"rrn", "phone"}).ok());
  EXPECT_TRUE(Keyring::Load(path).ok());
}

// Rotating writes a new file and renames it over the old one: it keeps the
// old file's owner and group, so a keyring of the service user rotated by
// root stays readable by the service (found by review: it became root's).
TEST_F(KeyringFileTest, RotateKeepsTheFilesOwnerAndGroup) {
  std::string path = dir_ + "/ring.yaml";
  ASSERT_TRUE(GenerateKeyringFile(path, {"rrn"}).ok());
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  if (uid == 0) {  // root: another owner and group, as a service user's file
    uid = 65534;
    gid = 65533;
    ASSERT_EQ(::chown(path.c_str(), uid, gid), 0) << std::strerror(errno);
  }
  ASSERT_TRUE(RotateKeyringFile(path, {"rrn"}).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, uid);
  EXPECT_EQ(st.st_gid, gid);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(Keyring::LoadEntries(path)->Find("rrn")->active, 2u);
}

// A caller that may not give the new file the old one's owner and group is
// refused before anything is replaced. Needs root to set the scene: a file
// of user 65534 in group 0, rotated by user 65534 (not in group 0).
TEST_F(KeyringFileTest, RotateRefusesWhenItCannotKeepTheOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to make a file of another group";
  std::string path = dir_ + "/ring.yaml";
  ASSERT_TRUE(GenerateKeyringFile(path, {"rrn"}).ok());
  ASSERT_EQ(::chown(path.c_str(), 65534, 0), 0);
  ASSERT_EQ(::chown(dir_.c_str(), 65534, 65534), 0);
  const std::string before = ReadAll(path);
  EXPECT_EXIT(
      {
        if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) std::_Exit(3);
        auto r = RotateKeyringFile(path, {"rrn"});
        if (r.ok()) std::_Exit(1);
        const bool says = r.error().code == ErrorCode::kKeyringWriteFailed &&
                          r.error().message.find("nothing was replaced") != std::string::npos &&
                          r.error().message.find("gid 0") != std::string::npos;
        std::_Exit(says ? 0 : 2);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EQ(ReadAll(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp-rotate"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 0u);
}

// A rotation past the largest version a keyring holds would leave a file
// nothing can load: refused, the file unchanged.
TEST_F(KeyringFileTest, RotatePastTheLargestVersionIsRefusedAndTheFileStays) {
  const std::string text =
      "keys:\n  rrn:\n    active: 999999999\n    versions:\n      999999999: " + B64(Bytes(3, 32)) + "\n";
  std::string path = Write("ring.yaml", text, 0600);
  ASSERT_TRUE(Keyring::Load(path).ok());
  auto rotated = RotateKeyringFile(path, {"rrn"});
  ASSERT_FALSE(rotated.ok());
  EXPECT_NE(rotated.error().message.find("the largest a keyring holds"), std::string::npos) << rotated.error().message;
  EXPECT_EQ(ReadAll(path), text);
  EXPECT_TRUE(Keyring::Load(path).ok());
}

TEST_F(KeyringFileTest, RotateAddsActiveVersionAndKeepsOldOnes) {
  std::string path = dir_ + "/ring.yaml";
  ASSERT_TRUE(GenerateKeyringFile(path, {"rrn", "phone"}).ok());
  auto before = Keyring::Load(path);
  ASSERT_TRUE(before.ok());
  std::vector<uint8_t> rrn_v1(before->Find("rrn")->ActiveMaterial().data(),
                              before->Find("rrn")->ActiveMaterial().data() + 32);
  std::vector<uint8_t> phone_v1(before->Find("phone")->ActiveMaterial().data(),
                                before->Find("phone")->ActiveMaterial().data() + 32);

  auto rotated = RotateKeyringFile(path, {"rrn"});
  ASSERT_TRUE(rotated.ok()) << rotated.error().ToString();
  ASSERT_EQ(rotated->size(), 1u);
  EXPECT_EQ((*rotated)[0], (std::pair<std::string, uint32_t>{"rrn", 2}));

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp-rotate"));

  auto after = Keyring::Load(path);
  ASSERT_TRUE(after.ok()) << after.error().ToString();
  const Key* rrn = after->Find("rrn");
  ASSERT_NE(rrn, nullptr);
  EXPECT_EQ(rrn->active, 2u);
  ASSERT_EQ(rrn->versions.size(), 2u);
  EXPECT_TRUE(SameBytes(rrn->versions.at(1), rrn_v1));
  EXPECT_FALSE(SameBytes(rrn->versions.at(2), rrn_v1));
  // Untouched keys keep their material and active version.
  EXPECT_EQ(after->Find("phone")->active, 1u);
  EXPECT_TRUE(SameBytes(after->Find("phone")->ActiveMaterial(), phone_v1));

  // Again: version 3, both old versions kept.
  ASSERT_TRUE(RotateKeyringFile(path, {"rrn", "phone"}).ok());
  auto third = Keyring::Load(path);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->Find("rrn")->active, 3u);
  EXPECT_EQ(third->Find("rrn")->versions.size(), 3u);
  EXPECT_EQ(third->Find("phone")->active, 2u);
}

// Two generated keyrings concatenated (`cat g1.yaml g2.yaml`): the second
// `keys:` block was ignored on load, and a rotation wrote the file without
// its key, destroying the material. Refused before anything is written.
TEST_F(KeyringFileTest, RotateRefusesAFileWithAKeyItWouldNotWriteBack) {
  const std::string g1 = dir_ + "/g1.yaml";
  const std::string g2 = dir_ + "/g2.yaml";
  ASSERT_TRUE(GenerateKeyringFile(g1, {"audit"}).ok());
  ASSERT_TRUE(GenerateKeyringFile(g2, {"other"}).ok());
  const std::string both = ReadAll(g1) + ReadAll(g2);
  const std::string path = Write("cat.yaml", both, 0600);
  auto loaded = Keyring::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("duplicate key 'keys'"), std::string::npos) << loaded.error().message;
  auto r = RotateKeyringFile(path, {"audit"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyringInvalid);
  EXPECT_EQ(ReadAll(path), both);
  for (const auto& entry : std::filesystem::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-rotate"), std::string::npos) << entry.path();
}

TEST_F(KeyringFileTest, RotateUnknownKeyChangesNothing) {
  std::string path = dir_ + "/ring.yaml";
  ASSERT_TRUE(GenerateKeyringFile(path, {"rrn"}).ok());
  std::string before = ReadAll(path);
  auto r = RotateKeyringFile(path, {"rrn", "phnoe"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyMissing);
  EXPECT_NE(r.error().message.find("'phnoe'"), std::string::npos);
  EXPECT_EQ(ReadAll(path), before);
}

// The owner is checked on the file opened (fstat): a 0600 keyring of
// another user (not root) is that user's to rewrite, and refused.
TEST_F(KeyringFileTest, AKeyringOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to make a file of another user";
  std::string path = Write("ring.yaml", ValidYaml(), 0600);
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  // Root may read it, but a proxy running as root refuses a keyring another user could rewrite.
  auto r = Keyring::Load(path);
  EXPECT_TRUE(HasError(r, ErrorCode::kKeyringInsecure, {"owned by uid 65534", "chown"}));
  ASSERT_EQ(::chown(path.c_str(), 0, 0), 0);
  EXPECT_TRUE(Keyring::Load(path).ok());
}

// A keyring in a directory anyone may write to (without the sticky bit) can
// be replaced by anyone: refused. With the sticky bit (as /tmp) it loads.
TEST_F(KeyringFileTest, AKeyringInAWorldWritableDirectoryIsRefused) {
  std::string path = Write("ring.yaml", ValidYaml(), 0600);
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  EXPECT_TRUE(HasError(Keyring::Load(path), ErrorCode::kKeyringInsecure, {"anyone may write", dir_}));
  ASSERT_EQ(::chmod(dir_.c_str(), 01777), 0);
  EXPECT_TRUE(Keyring::Load(path).ok());
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
}

// Key material split across files must not repeat: the same material in the
// tokenization and the reversible file (under any names) is refused.
TEST_F(KeyringFileTest, TheSameMaterialInTwoFilesIsRefused) {
  const std::string m = B64(Bytes(0, 32));
  std::string tok =
      Write("tok.yaml", "purpose: tokenization\nkeys:\n  tok: {active: 1, versions: {1: " + m + "}}\n", 0600);
  std::string rev =
      Write("rev.yaml", "purpose: reversible\nkeys:\n  rev: {active: 1, versions: {1: " + m + "}}\n", 0600);
  auto r = Keyring::LoadFiles({{tok, KeyPurpose::kTokenization}, {rev, KeyPurpose::kReversible}});
  EXPECT_TRUE(
      HasError(r, ErrorCode::kKeyringInvalid, {"'tok' version 1", "'rev' version 1", tok, rev, "same material"}));
  if (!r.ok()) {
    EXPECT_EQ(r.error().message.find(m), std::string::npos);
  }
  Write("rev.yaml", "purpose: reversible\nkeys:\n  rev: {active: 1, versions: {1: " + B64(Bytes(160, 32)) + "}}\n",
        0600);
  EXPECT_TRUE(Keyring::LoadFiles({{tok, KeyPurpose::kTokenization}, {rev, KeyPurpose::kReversible}}).ok());
}

// keys rotate through a symbolic link replaces the file it points to, in
// its own directory, and keeps the link.
TEST_F(KeyringFileTest, RotateThroughASymlinkKeepsTheLinkAndReplacesItsTarget) {
  std::filesystem::create_directory(dir_ + "/real");
  const std::string real = dir_ + "/real/keys.yaml";
  ASSERT_TRUE(GenerateKeyringFile(real, {"rrn"}).ok());
  const std::string link = dir_ + "/link.yaml";
  std::filesystem::create_symlink("real/keys.yaml", link);
  auto r = RotateKeyringFile(link, {"rrn"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(std::filesystem::read_symlink(link), "real/keys.yaml");
  EXPECT_EQ(Keyring::Load(real)->Find("rrn")->active, 2u);
  EXPECT_EQ(Keyring::Load(link)->Find("rrn")->active, 2u);
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/real"))
    EXPECT_EQ(e.path().filename().string().find("tmp-rotate"), std::string::npos) << e.path();
}

// Concurrent rotations of one keyring run one after the other (a lock
// beside the file) with temporary files of their own: every rotation that
// reports success is in the file, and none is lost.
TEST_F(KeyringFileTest, ConcurrentRotationsAreAllKept) {
  const std::string path = dir_ + "/ring.yaml";
  ASSERT_TRUE(GenerateKeyringFile(path, {"a", "b", "c", "d"}).ok());
  constexpr int kRounds = 8;
  std::vector<std::string> failures;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (const char* name : {"a", "b", "c", "d"})
    threads.emplace_back([&, name] {
      for (int i = 0; i < kRounds; ++i) {
        auto r = RotateKeyringFile(path, {name});
        if (!r.ok()) {
          std::lock_guard<std::mutex> l(mu);
          failures.push_back(r.error().ToString());
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  auto ring = Keyring::Load(path);
  ASSERT_TRUE(ring.ok()) << ring.error().ToString();
  for (const char* name : {"a", "b", "c", "d"}) {
    EXPECT_EQ(ring->Find(name)->active, 1u + kRounds) << name;
    EXPECT_EQ(ring->Find(name)->versions.size(), 1u + kRounds) << name;
  }
}

// A rotation keeps every existing version's material (by fingerprint).
TEST_F(KeyringFileTest, RotateNeverChangesAnExistingVersion) {
  const std::string path = dir_ + "/ring.yaml";
  ASSERT_TRUE(GenerateKeyringFile(path, {"a", "b"}).ok());
  const auto before = Keyring::Load(path)->Fingerprints();
  ASSERT_TRUE(RotateKeyringFile(path, {"a"}).ok());
  ASSERT_TRUE(RotateKeyringFile(path, {"a", "b"}).ok());
  const auto after = Keyring::Load(path)->Fingerprints();
  ASSERT_EQ(after.size(), before.size() + 3);
  for (const auto& v : before) {
    bool found = false;
    for (const auto& w : after)
      found = found || (w.name == v.name && w.version == v.version && w.fingerprint == v.fingerprint);
    EXPECT_TRUE(found) << v.name << " " << v.version;
  }
}

TEST_F(KeyringFileTest, RotateRefusesAnUnsafeFile) {
  std::string path = Write("open.yaml", ValidYaml(), 0644);
  auto r = RotateKeyringFile(path, {"rrn"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ReadAll(path), ValidYaml());
}

}  // namespace
}  // namespace maskproxy::crypto
