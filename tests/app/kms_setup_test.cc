// The kms: config section, the KMS set-up from it (token file checks), and
// the readiness report's degraded list. No KMS is called here (the Transit
// protocol is tests/kms/transit_test.cc; the real server is
// tests/integration/kms_transit_test.sh).
#include "app/kms_setup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "admin/router.h"
#include "app/config.h"

namespace maskproxy::app {
namespace {

const char kBase[] =
    "source:\n"
    "  brokers: k1:9092\n"
    "  group_id: g\n"
    "policies: [p.yaml]\n"
    "keyring: keys.yaml\n";

Result<Config> Parse(const std::string& extra) {
  return Config::Parse(std::string(kBase) + extra, "c.yaml", "/base");
}

TEST(KmsConfig, NoSectionNoKms) {
  auto r = Parse("");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->kms.address.empty());
  auto kms = KmsFromConfig(r->kms);
  ASSERT_TRUE(kms.ok());
  EXPECT_EQ(*kms, nullptr);
}

TEST(KmsConfig, ParsedWithDefaultsAndResolvedPaths) {
  auto r = Parse("kms:\n  address: https://bao:8200\n  token_file: secrets/bao.token\n  ca_file: ca.pem\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->kms.address, "https://bao:8200");
  EXPECT_EQ(r->kms.token_file, "/base/secrets/bao.token");
  EXPECT_EQ(r->kms.ca_file, "/base/ca.pem");
  EXPECT_EQ(r->kms.mount, "transit");
  EXPECT_EQ(r->kms.timeout_ms, 5000);
  EXPECT_EQ(r->kms.probe_interval_s, 30);
  auto full = Parse(
      "kms:\n  address: http://127.0.0.1:8200\n  token_file: t\n  mount: kek\n  timeout_ms: 900\n"
      "  probe_interval_s: 0\n");
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->kms.mount, "kek");
  EXPECT_EQ(full->kms.timeout_ms, 900);
  EXPECT_EQ(full->kms.probe_interval_s, 0);
}

TEST(KmsConfig, RefusesATokenInTheTextAndBadValues) {
  auto token = Parse("kms:\n  address: https://bao:8200\n  token_file: t\n  token: hvs.secret-token-text\n");
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().message.find("token_file"), std::string::npos) << token.error().message;
  EXPECT_EQ(token.error().message.find("hvs.secret-token-text"), std::string::npos) << token.error().message;
  EXPECT_FALSE(Parse("kms:\n  token_file: t\n").ok());
  EXPECT_FALSE(Parse("kms:\n  address: https://bao:8200\n").ok());
  EXPECT_FALSE(Parse("kms:\n  address: bao:8200\n  token_file: t\n").ok());
  EXPECT_FALSE(Parse("kms:\n  address: https://bao:8200\n  token_file: t\n  timeout_ms: 0\n").ok());
  EXPECT_FALSE(Parse("kms:\n  address: https://bao:8200\n  token_file: t\n  adress: x\n").ok());
}

class KmsTokenFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kms-setup-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Token(const std::string& text, mode_t mode) {
    std::string p = (dir_ / "bao.token").string();
    {
      std::ofstream out(p);
      out << text;
    }
    EXPECT_EQ(chmod(p.c_str(), mode), 0);
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(KmsTokenFile, ReadableByOthersRefusedWithoutTheToken) {
  Config::Kms k;
  k.address = "http://127.0.0.1:8200";
  k.token_file = Token("mpdev-secret-token\n", 0644);
  auto r = KmsFromConfig(k);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("mpdev-secret-token"), std::string::npos);
  k.token_file = Token("\n", 0600);
  EXPECT_FALSE(KmsFromConfig(k).ok());
  k.token_file = (dir_ / "missing").string();
  EXPECT_FALSE(KmsFromConfig(k).ok());
}

TEST_F(KmsTokenFile, PlainHttpOffLoopbackRefused) {
  Config::Kms k;
  k.address = "http://10.0.0.8:8200";
  k.token_file = Token("mpdev-secret-token\n", 0600);
  auto r = KmsFromConfig(k);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("loopback"), std::string::npos) << r.error().message;
}

TEST(KmsReadiness, DegradedKeepsTheStatusAndIsRendered) {
  admin::ReadyReport rep;
  rep.degraded.push_back({"kms_unreachable", {}, "KMS http://127.0.0.1:1: connection refused"});
  EXPECT_EQ(admin::ReadyJson(rep),
            R"({"status":"ready","degraded":[{"condition":"kms_unreachable","detail":"KMS http://127.0.0.1:1: )"
            R"(connection refused"}]})");
  admin::Handlers h;
  h.ready = [rep] { return rep; };
  EXPECT_EQ(admin::Route(h, "GET", "/readyz", "").status, 200);
  rep.unmet.push_back({"consumer_not_joined", {}, ""});
  EXPECT_EQ(admin::ReadyJson(rep),
            R"({"status":"not_ready","unmet":[{"condition":"consumer_not_joined"}],"degraded":[{"condition":)"
            R"("kms_unreachable","detail":"KMS http://127.0.0.1:1: connection refused"}]})");
  EXPECT_EQ(admin::ReadyJson(admin::ReadyReport{}), R"({"status":"ready"})");
}

}  // namespace
}  // namespace maskproxy::app
