// Keyring versions wrapped by a KMS (envelope encryption) against a fake
// KeyWrapper: parsing, mixed files, refusals, and generate/rotate writing
// only the wrapped form. Key material here is fixed, non-secret test data.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/base64.h"
#include "crypto/keyring.h"
#include "support/test_keys.h"

namespace maskproxy::crypto {
namespace {

// 32 bytes that `first` names and a keyring takes for random material
// (test_keys::MixedBytes; a stride first, first + 7, ... is key_weak).
std::vector<uint8_t> KeyBytes(uint8_t first) {
  return test_keys::MixedBytes(0x300U + first);
}

// A KMS in memory: "vault:vK:ID" wraps data key ID under KEK version K.
class FakeKms : public KeyWrapper {
 public:
  Result<SecretBytes> Unwrap(const WrappedVersion& v) const override {
    ++unwraps;
    if (down) return Error(ErrorCode::kKmsUnreachable, "KMS http://127.0.0.1:1: unreachable");
    if (v.kms != "transit:kek") return Error(ErrorCode::kKmsFailed, "no such transit key");
    auto it = keys.find(Id(v.wrapped));
    if (it == keys.end()) return Error(ErrorCode::kKmsFailed, "invalid ciphertext");
    return SecretBytes(it->second);
  }
  Result<std::string> NewWrapped(std::string_view kms) const override {
    if (down) return Error(ErrorCode::kKmsUnreachable, "KMS http://127.0.0.1:1: unreachable");
    std::string id = std::to_string(keys.size() + 1);
    keys[id] = KeyBytes(static_cast<uint8_t>(0x40 + keys.size()));
    (void)kms;
    return "vault:v" + std::to_string(kek_version) + ":" + id;
  }
  Status RotateKek(std::string_view) const override {
    ++kek_version;
    ++rotations;
    return Status::Ok();
  }
  Result<std::string> Rewrap(const WrappedVersion& v) const override {
    return "vault:v" + std::to_string(kek_version) + ":" + Id(v.wrapped);
  }
  static std::string Id(const std::string& wrapped) { return wrapped.substr(wrapped.rfind(':') + 1); }

  mutable std::map<std::string, std::vector<uint8_t>> keys;
  mutable int kek_version = 1;
  mutable int rotations = 0;
  mutable int unwraps = 0;
  bool down = false;
};

std::string Plain(uint8_t fill) {
  std::vector<uint8_t> k = KeyBytes(fill);
  return Base64Encode(k.data(), k.size());
}

class KeyringWrappedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kw-" + std::to_string(getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    kms_.keys["1"] = KeyBytes(0x11);
    kms_.keys["2"] = KeyBytes(0x22);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static std::string Read(const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::filesystem::path dir_;
  FakeKms kms_;
};

const char kMixed[] =
    "keys:\n"
    "  contact:\n"
    "    active: 2\n"
    "    versions:\n"
    "      1: {kms: \"transit:kek\", wrapped: \"vault:v1:1\"}\n"
    "      2:\n"
    "        kms: transit:kek\n"
    "        wrapped: vault:v1:2\n";

TEST_F(KeyringWrappedTest, UnwrapsWrappedVersionsThroughTheKms) {
  std::string yaml = std::string(kMixed) + "  rrn:\n    active: 1\n    versions:\n      1: " + Plain(0x33) + "\n";
  auto r = Keyring::Parse(yaml, "k.yaml", &kms_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Key* c = r->Find("contact");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->active, 2u);
  ASSERT_EQ(c->versions.size(), 2u);
  EXPECT_EQ(c->versions.at(1).data()[0], KeyBytes(0x11)[0]);
  EXPECT_EQ(c->ActiveMaterial().data()[0], KeyBytes(0x22)[0]);
  EXPECT_EQ(c->wrapped.at(2).wrapped, "vault:v1:2");
  EXPECT_EQ(c->wrapped.at(2).kms, "transit:kek");
  const Key* rrn = r->Find("rrn");
  ASSERT_NE(rrn, nullptr);
  EXPECT_TRUE(rrn->wrapped.empty());
  EXPECT_EQ(rrn->ActiveMaterial().data()[0], KeyBytes(0x33)[0]);
  EXPECT_TRUE(r->HasWrapped());
  EXPECT_EQ(kms_.unwraps, 2);
}

// Found by review: an offline reveal unwrapped every reversible key, so a
// key the KMS cannot unwrap stopped the reveal of another. With `only`, the
// other keys are dropped and never sent to the KMS.
TEST_F(KeyringWrappedTest, ARevealUnwrapsOnlyTheKeysItNeeds) {
  const std::string path = (dir_ / "rev.yaml").string();
  std::ofstream(path)
      << "purpose: reversible\n"
      << kMixed
      << "  phone:\n    active: 1\n    versions:\n      1: {kms: \"transit:kek\", wrapped: \"vault:v9:99\"}\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  const std::vector<KeyringFile> files{{path, KeyPurpose::kReversible}};
  auto all = Keyring::LoadForReveal(files, &kms_);
  ASSERT_FALSE(all.ok());  // phone's blob is not one this KMS made
  EXPECT_EQ(all.error().code, ErrorCode::kKmsFailed);
  kms_.unwraps = 0;
  const std::set<std::string> only{"contact"};
  auto some = Keyring::LoadForReveal(files, &kms_, &only);
  ASSERT_TRUE(some.ok()) << some.error().message;
  EXPECT_EQ(kms_.unwraps, 2);  // contact's two versions, not phone's
  EXPECT_NE(some->Find("contact"), nullptr);
  EXPECT_EQ(some->Find("phone"), nullptr);
  EXPECT_TRUE(some->reveal_only());
  const std::set<std::string> none;
  kms_.unwraps = 0;
  auto empty = Keyring::LoadForReveal(files, &kms_, &none);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(kms_.unwraps, 0);
  EXPECT_TRUE(empty->Names().empty());
}

TEST_F(KeyringWrappedTest, RefusedWithoutAKmsNamingTheKmsKey) {
  auto r = Keyring::Parse(kMixed, "k.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyringInvalid);
  EXPECT_NE(r.error().message.find("transit:kek"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("k.yaml:5"), std::string::npos) << r.error().message;
}

// Key material pasted into `kms:` is not echoed where the KMS key is named
// (loading without a KMS, rotating without one). Found by review: "... is
// wrapped by the KMS key <material>; configure the KMS".
TEST_F(KeyringWrappedTest, MaterialInTheKmsFieldIsNotEchoed) {
  const std::string material = Plain(0x44);
  const std::string yaml =
      "keys:\n  contact:\n    active: 1\n    versions:\n      1: {kms: \"" + material + "\", wrapped: x}\n";
  auto r = Keyring::Parse(yaml, "k.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find(material), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("not shown: it may be key material"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("k.yaml:5"), std::string::npos) << r.error().message;

  const std::string path = (dir_ / "keys.yaml").string();
  {
    std::ofstream out(path);
    out << yaml;
  }
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  auto rotated = RotateKeyringFile(path, {"contact"});
  ASSERT_FALSE(rotated.ok());
  EXPECT_EQ(rotated.error().message.find(material), std::string::npos) << rotated.error().message;
  EXPECT_NE(rotated.error().message.find("not shown"), std::string::npos) << rotated.error().message;
  // A KMS key name is still named.
  auto named = Keyring::Parse(kMixed, "k.yaml");
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.error().message.find("KMS key 'transit:kek'"), std::string::npos) << named.error().message;
}

TEST_F(KeyringWrappedTest, KmsErrorsKeepTheirCodeAndNameTheEntry) {
  kms_.down = true;
  auto r = Keyring::Parse(kMixed, "k.yaml", &kms_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKmsUnreachable);
  EXPECT_NE(r.error().message.find("key 'contact' version 1"), std::string::npos) << r.error().message;
  kms_.down = false;
  auto unknown = Keyring::Parse(
      "keys:\n  c:\n    active: 1\n    versions:\n      1: {kms: transit:kek, wrapped: "
      "\"vault:v1:99\"}\n",
      "k.yaml", &kms_);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kKmsFailed);
}

TEST_F(KeyringWrappedTest, ShortUnwrappedKeyAndBadShapesRefused) {
  kms_.keys["3"] = std::vector<uint8_t>(16, 1);
  auto short_key = Keyring::Parse(
      "keys:\n  c:\n    active: 1\n    versions:\n      1: {kms: transit:kek, wrapped: \"vault:v1:3\"}\n", "k.yaml",
      &kms_);
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.error().code, ErrorCode::kKeyTooShort);
  for (const char* body :
       {"{kms: transit:kek}", "{wrapped: \"vault:v1:1\"}", "{kms: transit:kek, wrapped: \"vault:v1:1\", x: 1}",
        "{kms: [a], wrapped: \"vault:v1:1\"}", "{kms: \"\", wrapped: \"vault:v1:1\"}"}) {
    auto r = Keyring::Parse(std::string("keys:\n  c:\n    active: 1\n    versions:\n      1: ") + body + "\n", "k.yaml",
                            &kms_);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kKeyringInvalid) << body;
  }
}

TEST_F(KeyringWrappedTest, GenerateWritesOnlyTheWrappedForm) {
  const std::string path = (dir_ / "keys.yaml").string();
  ASSERT_TRUE(GenerateKeyringFile(path, {"contact", "rrn"}, &kms_, "transit:kek").ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string text = Read(path);
  EXPECT_NE(text.find("kms: \"transit:kek\""), std::string::npos) << text;
  auto ring = Keyring::Load(path, &kms_);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  for (const auto& name : {"contact", "rrn"}) {
    const Key* k = ring->Find(name);
    ASSERT_NE(k, nullptr);
    const SecretBytes& m = k->ActiveMaterial();
    EXPECT_EQ(text.find(Base64Encode(m.data(), m.size())), std::string::npos) << "clear key in the file";
  }
  kms_.down = true;
  EXPECT_FALSE(GenerateKeyringFile((dir_ / "other.yaml").string(), {"x"}, &kms_, "transit:kek").ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "other.yaml"));
}

TEST_F(KeyringWrappedTest, RotateRotatesTheKekRewrapsAndAddsAWrappedVersion) {
  const std::string path = (dir_ / "keys.yaml").string();
  kms_.keys["3"] = KeyBytes(0x05);  // a data key of its own (a keyring refuses one material twice)
  {
    std::ofstream out(path);
    out << kMixed << "  rrn:\n    active: 1\n    versions:\n      1: " << Plain(0x33) << "\n"
        << "  other:\n    active: 1\n    versions:\n      1: {kms: \"transit:kek\", wrapped: \"vault:v1:3\"}\n";
  }
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  auto rotated = RotateKeyringFile(path, {"contact"}, &kms_);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  ASSERT_EQ(rotated->size(), 1u);
  EXPECT_EQ((*rotated)[0].second, 3u);
  EXPECT_EQ(kms_.rotations, 1);
  const std::string text = Read(path);
  EXPECT_EQ(text.find("vault:v1:"), std::string::npos)
      << "every version wrapped by the rotated KEK (other keys too) rewrapped: " << text;
  EXPECT_NE(text.find("vault:v2:1"), std::string::npos) << text;
  EXPECT_NE(text.find("vault:v2:2"), std::string::npos) << text;
  EXPECT_NE(text.find(Plain(0x33)), std::string::npos) << "a plain key is copied as it is";
  auto ring = Keyring::Load(path, &kms_);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  EXPECT_EQ(ring->Find("other")->active, 1u);  // rewrapped, not rotated
  EXPECT_EQ(ring->Find("other")->versions.at(1).data()[0], KeyBytes(0x05)[0]);
  const Key* c = ring->Find("contact");
  EXPECT_EQ(c->active, 3u);
  EXPECT_EQ(c->versions.size(), 3u);
  EXPECT_EQ(c->versions.at(1).data()[0], KeyBytes(0x11)[0]);  // old outputs still reveal
  EXPECT_TRUE(c->wrapped.count(3));
  const SecretBytes& m = c->ActiveMaterial();
  EXPECT_EQ(text.find(Base64Encode(m.data(), m.size())), std::string::npos);
  // A plain key in the same file rotates without the KMS.
  ASSERT_TRUE(RotateKeyringFile(path, {"rrn"}).ok());
  // A wrapped key does not.
  auto no_kms = RotateKeyringFile(path, {"contact"});
  ASSERT_FALSE(no_kms.ok());
  EXPECT_NE(no_kms.error().message.find("transit:kek"), std::string::npos);
}

}  // namespace
}  // namespace maskproxy::crypto
