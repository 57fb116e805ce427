// What `maskproxy run` serves on the admin listener: readiness from the
// pipeline's health, and the config dump (no key material, no passwords).
#include "app/admin_handlers.h"

#include <gtest/gtest.h>

#include "admin/router.h"
#include "support/keyring_fixture.h"

namespace maskproxy::app {
namespace {

using test_keys::Material;

std::vector<std::string> Names(const admin::ReadyReport& r) {
  std::vector<std::string> out;
  for (const auto& u : r.unmet) out.push_back(u.name);
  return out;
}

TEST(AdminReadiness, ReadyWhenEveryConditionHolds) {
  pipeline::Health h;
  h.joined_group = true;
  h.transactions_ready = true;
  EXPECT_TRUE(ReadyFromHealth(h, true).unmet.empty());
  EXPECT_EQ(admin::ReadyJson(ReadyFromHealth(h, true)), "{\"status\":\"ready\"}");
}

TEST(AdminReadiness, NamesEveryUnmetCondition) {
  pipeline::Health h;  // nothing yet
  h.missing_topics = {"analytics.payments", "payments.quarantine"};
  admin::ReadyReport r = ReadyFromHealth(h, false);
  EXPECT_EQ(Names(r), (std::vector<std::string>{"policies_not_loaded", "transactions_not_initialised",
                                                "consumer_not_joined", "output_topic_missing"}));
  EXPECT_EQ(r.unmet.back().topics, h.missing_topics);
  EXPECT_NE(admin::ReadyJson(r).find("\"topics\":[\"analytics.payments\",\"payments.quarantine\"]"), std::string::npos);
}

// A source topic that does not exist is named: without it the route
// consumes nothing, and the consumer may well have joined for the others.
TEST(AdminReadiness, NamesAMissingSourceTopic) {
  pipeline::Health h;
  h.joined_group = true;
  h.transactions_ready = true;
  h.missing_sources = {"payments.raw"};
  admin::ReadyReport r = ReadyFromHealth(h, true);
  EXPECT_EQ(Names(r), (std::vector<std::string>{"source_topic_missing"}));
  EXPECT_NE(admin::ReadyJson(r).find("{\"condition\":\"source_topic_missing\",\"topics\":[\"payments.raw\"]}"),
            std::string::npos)
      << admin::ReadyJson(r);
}

// Brokers that do not answer are named as such, not as missing topics
// (whose advice is to create them).
TEST(AdminReadiness, UnreachableBrokersAreNotMissingTopics) {
  pipeline::Health h;
  h.joined_group = true;
  h.transactions_ready = true;
  h.brokers_unreachable = "_TRANSPORT";
  admin::ReadyReport r = ReadyFromHealth(h, true);
  ASSERT_EQ(Names(r), (std::vector<std::string>{"broker_unreachable"}));
  EXPECT_TRUE(r.unmet[0].topics.empty());
  EXPECT_NE(r.unmet[0].detail.find("_TRANSPORT"), std::string::npos) << r.unmet[0].detail;
  EXPECT_NE(admin::ReadyJson(r).find("\"condition\":\"broker_unreachable\""), std::string::npos);
}

TEST(AdminReadiness, FencedAndOtherFatalErrors) {
  pipeline::Health h;
  h.joined_group = true;
  h.transactions_ready = true;
  h.fatal = true;
  h.fatal_reason = "producer: _FENCED: Producer fenced by newer instance";
  admin::ReadyReport r = ReadyFromHealth(h, true);
  ASSERT_EQ(r.unmet.size(), 1u);
  EXPECT_EQ(r.unmet[0].name, "fenced");
  EXPECT_EQ(r.unmet[0].detail, h.fatal_reason);
  h.fatal_reason = "consumer: something else";
  EXPECT_EQ(ReadyFromHealth(h, true).unmet[0].name, "fatal");
}

TEST(AdminConfigDump, PoliciesRulesAndKeysWithoutSecrets) {
  const std::string m1 = Material(0), m2 = Material(192);
  crypto::Keyring keys = test_keys::TestKeyring({{"rrn", {m1, m2}}});
  auto p = policy::Policy::Parse(
      "policy: pay-pii\nversion: 7\nroutes:\n"
      "  - name: pay\n    from: pay.raw\n    to: pay.out\n    dead_letter: pay.dlq\n    unlisted_fields: drop\n"
      "    rules:\n"
      "      - { path: user.rrn, action: tokenize, key: rrn, normalize: digits }\n"
      "      - { path: user.name, action: redact }\n"
      "      - { path: user.email, action: encrypt_deterministic, key: rrn }\n"
      "      - { path: $key, action: keep }\n",
      "p.yaml", keys);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  Config cfg;
  cfg.path = "/etc/maskproxy/c.yaml";
  cfg.source_brokers = "k1:9093";
  cfg.group_id = "g";
  cfg.source_properties = {{"security.protocol", "SASL_SSL"},
                           {"sasl.username", "proxy"},
                           {"sasl.password", "hunter2-secret"},
                           {"ssl.key.password", "pw-of-key"},
                           {"ssl.key.location", "/etc/maskproxy/proxy.key"}};
  cfg.keyring_file = "/etc/maskproxy/keys.yaml";
  std::string dump = ConfigDumpJson(cfg, {*p}, keys);
  for (const char* want :
       {"\"name\":\"pay-pii\"", "\"version\":7", "\"hash\":", "\"path\":\"user.rrn\"", "\"action\":\"tokenize\"",
        "\"key\":\"rrn:2\"", "\"path\":\"$key\"", "\"unlisted_fields\":\"drop\"", "\"from\":\"pay.raw\"",
        "\"keys\":[{\"name\":\"rrn\",\"active\":2,\"versions\":[1,2],\"fingerprints\":{\"1\":\"",
        "\"sasl.username\":\"proxy\"", "\"ssl.key.location\":\"/etc/maskproxy/proxy.key\"",
        "\"keyring\":\"/etc/maskproxy/keys.yaml\"", "\"sasl.password\":\"(redacted)\""})
    EXPECT_NE(dump.find(want), std::string::npos) << want << " not in " << dump;
  for (const std::string& secret : {m1, m2, std::string("hunter2-secret"), std::string("pw-of-key")})
    EXPECT_EQ(dump.find(secret), std::string::npos) << "secret in the dump: " << dump;
  // Each version's fingerprint, to tell material apart.
  const std::string fps = "\"fingerprints\":{\"1\":\"" + keys.Find("rrn")->fingerprints.at(1) + "\",\"2\":\"" +
                          keys.Find("rrn")->fingerprints.at(2) + "\"}";
  EXPECT_NE(dump.find(fps), std::string::npos) << fps << " not in " << dump;
}

TEST(AdminConfigDump, SecretPropertyNames) {
  for (const char* n : {"sasl.password", "ssl.key.password", "ssl.key.pem", "ssl.keystore.password",
                        "sasl.oauthbearer.client.secret", "sasl.jaas.config", "ssl.certificate.pem"})
    EXPECT_TRUE(IsSecretProperty(n)) << n;
  for (const char* n : {"security.protocol", "sasl.mechanism", "sasl.username", "ssl.ca.location", "ssl.key.location",
                        "ssl.certificate.location", "fetch.max.bytes"})
    EXPECT_FALSE(IsSecretProperty(n)) << n;
}

}  // namespace
}  // namespace maskproxy::app
