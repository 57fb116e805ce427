// KafkaSecurityProperties: the librdkafka properties of a security: block,
// secrets read from files (never group/world-accessible), nothing leaked.
#include "app/kafka_security.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace maskproxy::app {
namespace {

class KafkaSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/maskproxy-kafka-security-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const auto& f : files_) std::remove(f.c_str());
    rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::string& content, mode_t mode) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    chmod(path.c_str(), mode);
    files_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(KafkaSecurityTest, PlaintextSetsOnlyTheProtocol) {
  auto r = KafkaSecurityProperties(KafkaSecurity{}, "source");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, (std::map<std::string, std::string>{{"security.protocol", "plaintext"}}));
}

TEST_F(KafkaSecurityTest, MtlsMapsFilesAndKeepsVerificationOn) {
  KafkaSecurity s;
  s.protocol = "ssl";
  s.ca_file = Write("ca.pem", "CA", 0644);
  s.cert_file = Write("proxy.pem", "CERT", 0644);
  s.key_file = Write("proxy.key", "KEY", 0600);
  s.key_password_file = Write("proxy.pass", "s3cret\n", 0400);
  auto r = KafkaSecurityProperties(s, "source");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->at("security.protocol"), "ssl");
  EXPECT_EQ(r->at("ssl.ca.location"), s.ca_file);
  EXPECT_EQ(r->at("ssl.certificate.location"), s.cert_file);
  EXPECT_EQ(r->at("ssl.key.location"), s.key_file);
  EXPECT_EQ(r->at("ssl.key.password"), "s3cret");  // one trailing newline dropped
  EXPECT_EQ(r->at("ssl.endpoint.identification.algorithm"), "https");
  EXPECT_EQ(r->at("enable.ssl.certificate.verification"), "true");
  EXPECT_EQ(r->count("sasl.password"), 0u);
}

TEST_F(KafkaSecurityTest, SaslSslReadsThePasswordFile) {
  KafkaSecurity s;
  s.protocol = "sasl_ssl";
  s.sasl_mechanism = "SCRAM-SHA-512";
  s.sasl_username = "proxy";
  s.sasl_password_file = Write("kafka.pass", "pw-123\r\n", 0600);
  auto r = KafkaSecurityProperties(s, "destination");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->at("security.protocol"), "sasl_ssl");
  EXPECT_EQ(r->at("sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(r->at("sasl.username"), "proxy");
  EXPECT_EQ(r->at("sasl.password"), "pw-123");
  EXPECT_EQ(r->count("ssl.ca.location"), 0u);  // the system's CAs
}

TEST_F(KafkaSecurityTest, GroupOrWorldAccessibleSecretsRefusedNamingTheKeyAndMode) {
  KafkaSecurity s;
  s.protocol = "sasl_ssl";
  s.sasl_mechanism = "SCRAM-SHA-512";
  s.sasl_username = "proxy";
  s.sasl_password_file = Write("kafka.pass", "pw-123\n", 0640);
  auto r = KafkaSecurityProperties(s, "destination");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConfigInvalid);
  EXPECT_NE(r.error().message.find("destination.security.sasl.password_file"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("mode 0640"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("pw-123"), std::string::npos) << r.error().message;

  KafkaSecurity m;
  m.protocol = "ssl";
  m.cert_file = Write("c.pem", "CERT", 0644);
  m.key_file = Write("c.key", "KEY", 0604);
  auto k = KafkaSecurityProperties(m, "source");
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().message.find("source.security.key_file"), std::string::npos) << k.error().message;
  EXPECT_NE(k.error().message.find("mode 0604"), std::string::npos) << k.error().message;
}

TEST_F(KafkaSecurityTest, MissingOrEmptyFilesRefused) {
  KafkaSecurity s;
  s.protocol = "ssl";
  s.ca_file = dir_ + "/nope.pem";
  auto r = KafkaSecurityProperties(s, "source");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("source.security.ca_file: cannot read " + s.ca_file), std::string::npos)
      << r.error().message;

  KafkaSecurity e;
  e.protocol = "sasl_ssl";
  e.sasl_mechanism = "SCRAM-SHA-256";
  e.sasl_username = "u";
  e.sasl_password_file = Write("empty.pass", "\n", 0600);
  auto q = KafkaSecurityProperties(e, "source");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message.find("is empty"), std::string::npos) << q.error().message;
}

}  // namespace
}  // namespace maskproxy::app
