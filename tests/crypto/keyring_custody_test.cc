// Key custody: keyring files by purpose (`purpose:` in the file, the purpose
// the config lists it with), several files combined (LoadFiles), a key name
// in two files refused, and what a reveal loads (LoadForReveal: never a
// tokenization file). No key material is printed on failure.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/keyring.h"
#include "support/test_keys.h"

namespace maskproxy::crypto {
namespace {

using test_keys::KeyringYaml;
using test_keys::Material;

class KeyringCustodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "keyring_custody.XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    ASSERT_NE(::mkdtemp(buf.data()), nullptr) << std::strerror(errno);
    dir_ = buf.data();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    {
      std::ofstream out(path, std::ios::binary);
      out << text;
    }
    EXPECT_EQ(::chmod(path.c_str(), 0600), 0);
    return path;
  }
  std::string Tok(const std::string& purpose_line = "purpose: tokenization\n") {
    return Write("tok.yaml", purpose_line + KeyringYaml({{"rrn", {Material(0)}}, {"phone", {Material(160)}}}));
  }
  std::string Rev(const std::string& purpose_line = "purpose: reversible\n") {
    return Write("rev.yaml", purpose_line + KeyringYaml({{"contact", {Material(192)}}}));
  }
  std::string dir_;
};

TEST(KeyPurposeTest, Names) {
  KeyPurpose p = KeyPurpose::kAny;
  EXPECT_TRUE(ParseKeyPurpose("tokenization", &p));
  EXPECT_EQ(p, KeyPurpose::kTokenization);
  EXPECT_TRUE(ParseKeyPurpose("reversible", &p));
  EXPECT_EQ(p, KeyPurpose::kReversible);
  EXPECT_FALSE(ParseKeyPurpose("any", &p));
  EXPECT_FALSE(ParseKeyPurpose("audit", &p));
  EXPECT_EQ(KeyPurposeName(KeyPurpose::kTokenization), "tokenization");
  EXPECT_EQ(KeyPurposeName(KeyPurpose::kReversible), "reversible");
  EXPECT_EQ(KeyPurposeName(KeyPurpose::kAny), "any");
}

TEST(KeyPurposeTest, DeclaredInTheFile) {
  auto r = Keyring::Parse("purpose: tokenization\n" + KeyringYaml({{"rrn", {Material(0)}}}), "t.yaml");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->purpose(), KeyPurpose::kTokenization);
  EXPECT_EQ(r->Find("rrn")->purpose, KeyPurpose::kTokenization);
  EXPECT_EQ(r->Find("rrn")->origin, "t.yaml");
  auto none = Keyring::Parse(KeyringYaml({{"rrn", {Material(0)}}}), "t.yaml");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->purpose(), KeyPurpose::kAny);
  EXPECT_EQ(none->Find("rrn")->purpose, KeyPurpose::kAny);
  EXPECT_FALSE(none->reveal_only());
  auto bad = Keyring::Parse("purpose: audit\n" + KeyringYaml({{"rrn", {Material(0)}}}), "t.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kKeyringInvalid);
  EXPECT_NE(bad.error().message.find("t.yaml:1:10"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("tokenization or reversible"), std::string::npos) << bad.error().message;
}

TEST_F(KeyringCustodyTest, SplitFilesCombineWithTheirPurposes) {
  // Files that declare no purpose take the one they are listed with.
  auto r = Keyring::LoadFiles({{Tok(""), KeyPurpose::kTokenization}, {Rev(""), KeyPurpose::kReversible}});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->Names(), (std::vector<std::string>{"contact", "phone", "rrn"}));
  EXPECT_EQ(r->Find("rrn")->purpose, KeyPurpose::kTokenization);
  EXPECT_EQ(r->Find("contact")->purpose, KeyPurpose::kReversible);
  EXPECT_EQ(r->Find("contact")->origin, dir_ + "/rev.yaml");
  EXPECT_FALSE(r->reveal_only());
  // Declared in the files, listed without one: the declaration holds.
  auto d = Keyring::LoadFiles({{Tok(), KeyPurpose::kAny}, {Rev(), KeyPurpose::kAny}});
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->Find("phone")->purpose, KeyPurpose::kTokenization);
  EXPECT_EQ(d->Find("contact")->purpose, KeyPurpose::kReversible);
}

TEST_F(KeyringCustodyTest, AKeyNameInTwoFilesIsRefused) {
  std::string other = Write("other.yaml", KeyringYaml({{"rrn", {Material(96)}}}));
  auto r = Keyring::LoadFiles({{Tok(), KeyPurpose::kTokenization}, {other, KeyPurpose::kReversible}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyringInvalid);
  EXPECT_NE(r.error().message.find("'rrn'"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(dir_ + "/tok.yaml"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(other), std::string::npos) << r.error().message;
}

TEST_F(KeyringCustodyTest, ADeclaredPurposeMustMatchTheListedOne) {
  auto r = Keyring::LoadFiles({{Tok(), KeyPurpose::kReversible}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyringInvalid);
  EXPECT_NE(r.error().message.find("declares purpose: tokenization"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("reversible keyring"), std::string::npos) << r.error().message;
}

TEST_F(KeyringCustodyTest, ARevealNeverReadsTheTokenizationFile) {
  const std::string rev = Rev();
  // Listed as tokenization: not even opened (it does not exist here).
  auto r = Keyring::LoadForReveal({{dir_ + "/absent-tok.yaml", KeyPurpose::kTokenization}, {rev, KeyPurpose::kAny}});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->reveal_only());
  EXPECT_EQ(r->Names(), (std::vector<std::string>{"contact"}));
  // Declared tokenization in the file and listed without a purpose: dropped.
  auto d = Keyring::LoadForReveal({{Tok(), KeyPurpose::kAny}, {rev, KeyPurpose::kAny}});
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->Names(), (std::vector<std::string>{"contact"}));
  EXPECT_EQ(d->Find("rrn"), nullptr);
  // The reversible file itself must still be sound.
  std::string loose = Rev();
  ASSERT_EQ(::chmod(loose.c_str(), 0644), 0);
  auto e = Keyring::LoadForReveal({{loose, KeyPurpose::kReversible}});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kKeyringInsecure);
}

TEST_F(KeyringCustodyTest, RotationKeepsThePurpose) {
  const std::string tok = Tok();
  auto rotated = RotateKeyringFile(tok, {"rrn"});
  ASSERT_TRUE(rotated.ok()) << rotated.error().ToString();
  auto r = Keyring::Load(tok);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->purpose(), KeyPurpose::kTokenization);
  EXPECT_EQ(r->Find("rrn")->active, 2u);
  const std::string rev = Rev("");
  ASSERT_TRUE(RotateKeyringFile(rev, {"contact"}).ok());
  auto n = Keyring::Load(rev);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->purpose(), KeyPurpose::kAny);
}

}  // namespace
}  // namespace maskproxy::crypto
