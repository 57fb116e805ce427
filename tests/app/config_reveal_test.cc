// The reveal: section of the config (POST /v1/reveal's roles and limits).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/config.h"

namespace maskproxy::app {
namespace {

const std::string kBase =
    "source: { brokers: b, group_id: g }\n"
    "policies: [p.yaml]\n"
    "keyring: k.yaml\n"
    "admin:\n"
    "  listen: 127.0.0.1:0\n"
    "  tls: { cert_file: s.crt, key_file: s.key, client_ca_file: ca.crt }\n";

const std::string kReveal =
    "reveal:\n"
    "  enabled: true\n"
    "  max_values_per_request: 7\n"
    "  rate_limit: { values_per_minute: 30, requests_per_minute: 3 }\n"
    "  roles:\n"
    "    fraud-analyst:\n"
    "      subjects: [\"CN=kim,OU=fraud,O=Example\"]\n"
    "      grants:\n"
    "        - { route: transfers, fields: [sender.email, \"$scan.email\"], purposes: [fraud, chargeback] }\n";

TEST(ConfigReveal, ParsesRolesGrantsAndLimits) {
  auto r = Config::Parse(kBase + kReveal, "c.yaml", "/base");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->reveal.enabled);
  EXPECT_EQ(r->reveal.authz.max_values_per_request, 7u);
  EXPECT_EQ(r->reveal.authz.values_per_minute, 30);
  EXPECT_EQ(r->reveal.authz.requests_per_minute, 3);
  EXPECT_EQ(r->reveal.max_body_bytes, 256u * 1024);
  ASSERT_EQ(r->reveal.authz.roles.size(), 1u);
  const auto& role = r->reveal.authz.roles[0];
  EXPECT_EQ(role.name, "fraud-analyst");
  EXPECT_EQ(role.subjects, std::vector<std::string>{"CN=kim,OU=fraud,O=Example"});
  ASSERT_EQ(role.grants.size(), 1u);
  EXPECT_EQ(role.grants[0].route, "transfers");
  EXPECT_EQ(role.grants[0].fields, (std::vector<std::string>{"sender.email", "$scan.email"}));
  EXPECT_EQ(role.grants[0].purposes, (std::vector<std::string>{"fraud", "chargeback"}));
}

// Found by review: the README's example granted `purposes: [complaint]`,
// which is no purpose class, so a config written from it did not start.
TEST(ConfigReveal, TheReadmesExampleParses) {
  std::ifstream in(std::string(MASKPROXY_SOURCE_DIR) + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  const size_t start = readme.find("```yaml\nreveal:\n");
  ASSERT_NE(start, std::string::npos);
  const size_t body = start + 8;
  const std::string block = readme.substr(body, readme.find("```", body) - body);
  auto r = Config::Parse(kBase + block, "c.yaml", "/base");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->reveal.authz.roles.size(), 2u);
}

TEST(ConfigReveal, UnauthenticatedAuditLimitsPerPeerAndForAllPeers) {
  auto r = Config::Parse(kBase + kReveal, "c.yaml", "/base");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->reveal.authz.unauthenticated_audits_per_minute, 10);
  EXPECT_EQ(r->reveal.authz.unauthenticated_audits_total_per_minute, 100);
  r = Config::Parse(kBase + kReveal +
                        "  unauthenticated_audits_per_minute: 5\n"
                        "  unauthenticated_audits_total_per_minute: 40\n",
                    "c.yaml", "/base");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->reveal.authz.unauthenticated_audits_per_minute, 5);
  EXPECT_EQ(r->reveal.authz.unauthenticated_audits_total_per_minute, 40);
  r = Config::Parse(kBase + kReveal + "  unauthenticated_audits_total_per_minute: -1\n", "c.yaml", "/base");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("reveal.unauthenticated_audits_total_per_minute"), std::string::npos)
      << r.error().message;
}

TEST(ConfigReveal, OffByDefault) {
  auto r = Config::Parse(kBase, "c.yaml", "/base");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_FALSE(r->reveal.enabled);
}

TEST(ConfigReveal, Refusals) {
  auto fails = [](const std::string& yaml, const std::string& says) {
    auto r = Config::Parse(yaml, "c.yaml", "/base");
    if (r.ok()) return ::testing::AssertionFailure() << "accepted";
    if (r.error().message.find(says) == std::string::npos) return ::testing::AssertionFailure() << r.error().message;
    return ::testing::AssertionSuccess();
  };
  // Without admin TLS and a client CA, reveal cannot start.
  EXPECT_TRUE(fails("source: { brokers: b, group_id: g }\npolicies: [p.yaml]\nkeyring: k.yaml\n" + kReveal,
                    "needs the admin listener with tls"));
  std::string no_ca = kBase;
  no_ca.replace(no_ca.find(", client_ca_file: ca.crt"), 24, "");
  EXPECT_TRUE(fails(no_ca + kReveal, "client_ca_file"));
  std::string unknown_purpose = kBase + kReveal;
  unknown_purpose.replace(unknown_purpose.find("chargeback"), 10, "curiosity");
  EXPECT_TRUE(fails(unknown_purpose, "unknown purpose 'curiosity'"));
  EXPECT_TRUE(fails(kBase + "reveal: { enabled: true }\n", "'reveal.roles'"));
  EXPECT_TRUE(fails(kBase + "reveal: { enabled: true, rolse: {} }\n", "did you mean 'roles'"));
  EXPECT_TRUE(fails(kBase + kReveal + "  max_values_per_request: 0\n", "duplicate key"));
  std::string zero = kBase + kReveal;
  zero.replace(zero.find("max_values_per_request: 7"), 25, "max_values_per_request: 0");
  EXPECT_TRUE(fails(zero, "reveal.max_values_per_request"));
  std::string no_fields = kBase + kReveal;
  no_fields.replace(no_fields.find("fields: [sender.email, \"$scan.email\"]"), 37, "fields: []");
  EXPECT_TRUE(fails(no_fields, "fields"));
}

}  // namespace
}  // namespace maskproxy::app
