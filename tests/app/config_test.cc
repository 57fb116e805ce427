// Config file parsing: defaults, path resolution and errors naming the key.
#include "app/config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace maskproxy::app {
namespace {

const char kMinimal[] =
    "source:\n"
    "  brokers: k1:9092,k2:9092\n"
    "  group_id: maskproxy-payments\n"
    "policies: [policies/payments.yaml]\n"
    "keyring: keys.yaml\n";

Result<Config> Parse(const std::string& yaml) {
  return Config::Parse(yaml, "c.yaml", "/base");
}

::testing::AssertionResult Fails(const std::string& yaml, const std::vector<std::string>& fragments) {
  auto r = Parse(yaml);
  if (r.ok()) return ::testing::AssertionFailure() << "config unexpectedly accepted";
  if (r.error().code != ErrorCode::kConfigInvalid)
    return ::testing::AssertionFailure() << "code " << r.error().code << ": " << r.error().message;
  if (r.error().message.rfind("c.yaml", 0) != 0)
    return ::testing::AssertionFailure() << "message does not start with the file name: " << r.error().message;
  for (const auto& f : fragments)
    if (r.error().message.find(f) == std::string::npos)
      return ::testing::AssertionFailure() << "message lacks '" << f << "': " << r.error().message;
  return ::testing::AssertionSuccess();
}

TEST(ConfigParse, ASecondDocumentIsRefused) {
  auto r = Parse(std::string(kMinimal) + "---\nlog_level: debug\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("a second YAML document"), std::string::npos) << r.error().message;
  EXPECT_TRUE(Parse(std::string(kMinimal) + "---\n").ok());
}

TEST(ConfigParse, MinimalWithDefaults) {
  auto r = Parse(kMinimal);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Config& c = *r;
  EXPECT_EQ(c.path, "c.yaml");
  EXPECT_EQ(c.source_brokers, "k1:9092,k2:9092");
  EXPECT_EQ(c.group_id, "maskproxy-payments");
  EXPECT_TRUE(c.source_properties.empty());
  EXPECT_EQ(c.destination_brokers, "k1:9092,k2:9092");
  EXPECT_TRUE(c.destination_properties.empty());
  EXPECT_EQ(c.policy_files, (std::vector<std::string>{"/base/policies/payments.yaml"}));
  EXPECT_EQ(c.keyring_file, "/base/keys.yaml");
  EXPECT_EQ(c.delivery_mode, "exactly_once");
  EXPECT_EQ(c.transactional_id, "");
  EXPECT_EQ(c.commit_interval_ms, 100);
  EXPECT_EQ(c.commit_max_records, 10000);
  EXPECT_EQ(c.transaction_timeout_ms, 60000);
  EXPECT_EQ(c.max_record_bytes, size_t{1} << 20);
  EXPECT_EQ(c.max_json_depth, 64);
  EXPECT_EQ(c.max_inflight_records, 50000);
  EXPECT_EQ(c.max_inflight_bytes, size_t{64} << 20);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.stats_interval_ms, 30000);
  EXPECT_EQ(c.workers, 0);  // 0: pipeline::DefaultWorkers() at run
}

// workers: threads masking in parallel; 0 (the default) derives them from
// the CPU quota at run.
TEST(ConfigParse, Workers) {
  auto r = Parse(std::string(kMinimal) + "workers: 4\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->workers, 4);
  auto z = Parse(std::string(kMinimal) + "workers: 0\n");
  ASSERT_TRUE(z.ok()) << z.error().ToString();
  EXPECT_EQ(z->workers, 0);
  EXPECT_TRUE(Fails(std::string(kMinimal) + "workers: -1\n", {"workers"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "workers: 257\n", {"workers"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "workers: two\n", {"workers"}));
}

TEST(ConfigParse, AbsolutePathsKeptRelativeResolved) {
  auto r = Parse(
      "source: { brokers: b:9092, group_id: g }\n"
      "policies: [/etc/maskproxy/a.yaml, b.yaml, sub/c.yaml]\n"
      "keyring: /etc/maskproxy/keys.yaml\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->policy_files, (std::vector<std::string>{"/etc/maskproxy/a.yaml", "/base/b.yaml", "/base/sub/c.yaml"}));
  EXPECT_EQ(r->keyring_file, "/etc/maskproxy/keys.yaml");
}

TEST(ConfigParse, SinglePolicyAsScalar) {
  auto r = Parse("source: { brokers: b, group_id: g }\npolicies: p.yaml\nkeyring: k.yaml\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->policy_files, (std::vector<std::string>{"/base/p.yaml"}));
}

TEST(ConfigParse, KeyringSplitByPurpose) {
  const std::string base = "source: { brokers: b, group_id: g }\npolicies: p.yaml\n";
  auto one = Parse(base + "keyring: k.yaml\n");
  ASSERT_TRUE(one.ok()) << one.error().ToString();
  ASSERT_EQ(one->keyring_files.size(), 1u);
  EXPECT_EQ(one->keyring_files[0].path, "/base/k.yaml");
  EXPECT_EQ(one->keyring_files[0].purpose, crypto::KeyPurpose::kAny);
  auto split = Parse(base + "keyring: { tokenization: tok.yaml, reversible: /etc/mp/rev.yaml }\n");
  ASSERT_TRUE(split.ok()) << split.error().ToString();
  ASSERT_EQ(split->keyring_files.size(), 2u);
  EXPECT_EQ(split->keyring_files[0].path, "/etc/mp/rev.yaml");
  EXPECT_EQ(split->keyring_files[0].purpose, crypto::KeyPurpose::kReversible);
  EXPECT_EQ(split->keyring_files[1].path, "/base/tok.yaml");
  EXPECT_EQ(split->keyring_files[1].purpose, crypto::KeyPurpose::kTokenization);
  EXPECT_EQ(split->keyring_file, "/etc/mp/rev.yaml");
  EXPECT_EQ(split->encryption_ledger, "/etc/mp/rev.yaml.usage") << "e1 keys are reversible ones";
  auto rev_only = Parse(base + "keyring: { reversible: rev.yaml }\n");
  ASSERT_TRUE(rev_only.ok()) << rev_only.error().ToString();
  EXPECT_EQ(rev_only->keyring_files.size(), 1u);
  EXPECT_TRUE(Fails(base + "keyring: { tokenisation: t.yaml }\n", {"c.yaml:3:", "tokenisation"}));
  EXPECT_TRUE(Fails(base + "keyring: {}\n", {"c.yaml:3:", "keyring"}));
  EXPECT_TRUE(Fails(base + "keyring: { tokenization: k.yaml, reversible: k.yaml }\n", {"two different files"}));
}

TEST(ConfigParse, EmptyBaseDirKeepsRelativePaths) {
  auto r = Config::Parse(kMinimal, "c.yaml", "");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->policy_files, (std::vector<std::string>{"policies/payments.yaml"}));
  EXPECT_EQ(r->keyring_file, "keys.yaml");
}

TEST(ConfigParse, FullConfig) {
  auto r = Parse(
      "source:\n"
      "  brokers: src:9092\n"
      "  group_id: g\n"
      "  properties:\n"
      "    client.rack: r1\n"
      "    fetch.max.bytes: 1048576\n"
      "destination:\n"
      "  brokers: dst:9092\n"
      "  properties: { linger.ms: 5 }\n"
      "policies: [p.yaml]\n"
      "keyring: k.yaml\n"
      "delivery:\n"
      "  mode: exactly_once\n"
      "  transactional_id: maskproxy-a\n"
      "  commit_interval_ms: 250\n"
      "  commit_max_records: 500\n"
      "  transaction_timeout_ms: 30000\n"
      "limits:\n"
      "  max_record_bytes: 2048\n"
      "  max_json_depth: 16\n"
      "  max_inflight_records: 1000\n"
      "  max_inflight_bytes: 2097152\n"
      "log_level: debug\n"
      "stats_interval_ms: 1000\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->source_brokers, "src:9092");
  EXPECT_EQ(r->destination_brokers, "dst:9092");
  EXPECT_EQ(r->source_properties.size(), 2u);
  EXPECT_EQ(r->source_properties.at("client.rack"), "r1");
  EXPECT_EQ(r->source_properties.at("fetch.max.bytes"), "1048576");
  EXPECT_EQ(r->destination_properties.at("linger.ms"), "5");
  EXPECT_EQ(r->transactional_id, "maskproxy-a");
  EXPECT_EQ(r->commit_interval_ms, 250);
  EXPECT_EQ(r->commit_max_records, 500);
  EXPECT_EQ(r->transaction_timeout_ms, 30000);
  EXPECT_EQ(r->max_record_bytes, 2048u);
  EXPECT_EQ(r->max_json_depth, 16);
  EXPECT_EQ(r->max_inflight_records, 1000);
  EXPECT_EQ(r->max_inflight_bytes, 2097152u);
  EXPECT_EQ(r->delivery_mode, "exactly_once");
  EXPECT_EQ(r->log_level, "debug");
  EXPECT_EQ(r->stats_interval_ms, 1000);
}

TEST(ConfigParse, DestinationWithoutBrokersDefaultsToSource) {
  auto r = Parse(std::string(kMinimal) + "destination:\n  properties: { acks_timeout: 1 }\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->destination_brokers, "k1:9092,k2:9092");
  EXPECT_EQ(r->destination_properties.at("acks_timeout"), "1");
}

TEST(ConfigParse, UnknownTopLevelKeyWithSuggestion) {
  EXPECT_TRUE(
      Fails(std::string(kMinimal) + "polices: [x.yaml]\n", {"c.yaml:6:1:", "'polices'", "did you mean 'policies'"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "log_levle: info\n", {"c.yaml:6:1:", "did you mean 'log_level'"}));
}

TEST(ConfigParse, UnknownNestedKeyNamesFullPath) {
  EXPECT_TRUE(Fails("source:\n  brokerz: b:9092\n  group_id: g\npolicies: [p.yaml]\nkeyring: k.yaml\n",
                    {"c.yaml:2:3:", "source.brokerz", "did you mean 'brokers'"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "delivery:\n  commit_interval: 5\n",
                    {"c.yaml:7:3:", "delivery.commit_interval", "did you mean 'commit_interval_ms'"}));
  EXPECT_TRUE(
      Fails(std::string(kMinimal) + "transactions:\n  commit_interval_ms: 5\n", {"c.yaml:6:1:", "'transactions'"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "limits:\n  max_depth: 5\n", {"limits.max_depth"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "destination:\n  broker: x\n", {"destination.broker", "'brokers'"}));
}

TEST(ConfigParse, MissingRequiredKeys) {
  EXPECT_TRUE(Fails("source:\n  brokers: b:9092\npolicies: [p.yaml]\nkeyring: k.yaml\n", {"source.group_id"}));
  EXPECT_TRUE(Fails("source:\n  group_id: g\npolicies: [p.yaml]\nkeyring: k.yaml\n", {"source.brokers"}));
  EXPECT_TRUE(Fails("source:\n  brokers: b\n  group_id: g\npolicies: [p.yaml]\n", {"'keyring'"}));
  EXPECT_TRUE(Fails("source:\n  brokers: b\n  group_id: g\nkeyring: k.yaml\n", {"'policies'"}));
  EXPECT_TRUE(Fails("policies: [p.yaml]\nkeyring: k.yaml\n", {"'source'"}));
  EXPECT_TRUE(Fails("source:\n  brokers: b\n  group_id: \"\"\npolicies: [p.yaml]\nkeyring: k.yaml\n",
                    {"c.yaml:3:", "source.group_id"}));
  EXPECT_TRUE(Fails("source:\n  brokers: b\n  group_id:\npolicies: [p.yaml]\nkeyring: k.yaml\n", {"source.group_id"}));
}

TEST(ConfigParse, BadPolicies) {
  EXPECT_TRUE(
      Fails("source: { brokers: b, group_id: g }\npolicies: []\nkeyring: k.yaml\n", {"c.yaml:2:", "'policies'"}));
  EXPECT_TRUE(Fails("source: { brokers: b, group_id: g }\npolicies: { a: b }\nkeyring: k.yaml\n", {"'policies'"}));
  EXPECT_TRUE(Fails("source: { brokers: b, group_id: g }\npolicies: [[a]]\nkeyring: k.yaml\n", {"'policies'"}));
}

TEST(ConfigParse, IntegerRanges) {
  EXPECT_TRUE(Fails(std::string(kMinimal) + "delivery:\n  commit_interval_ms: 0\n",
                    {"c.yaml:7:23:", "delivery.commit_interval_ms"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "delivery:\n  commit_interval_ms: -5\n", {"delivery.commit_interval_ms"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "delivery:\n  commit_max_records: 0\n", {"delivery.commit_max_records"}));
  EXPECT_TRUE(
      Fails(std::string(kMinimal) + "delivery:\n  transaction_timeout_ms: 999\n", {"delivery.transaction_timeout_ms"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "limits:\n  max_inflight_bytes: 1000\n", {"limits.max_inflight_bytes"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "limits:\n  max_inflight_records: 0\n", {"limits.max_inflight_records"}));
  EXPECT_TRUE(
      Fails(std::string(kMinimal) + "limits:\n  max_json_depth: \"x\"\n", {"c.yaml:7:", "limits.max_json_depth"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "limits:\n  max_json_depth: x\n", {"limits.max_json_depth"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "limits:\n  max_json_depth: 1.5\n", {"limits.max_json_depth"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "limits:\n  max_json_depth: 1001\n", {"limits.max_json_depth"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "limits:\n  max_json_depth:\n", {"limits.max_json_depth"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "limits:\n  max_record_bytes: 0\n", {"limits.max_record_bytes"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "stats_interval_ms: 99\n", {"stats_interval_ms"}));
}

TEST(ConfigParse, IntegerBoundsAccepted) {
  auto r = Parse(std::string(kMinimal) +
                 "delivery:\n  commit_interval_ms: 1\n  transaction_timeout_ms: 1000\n"
                 "limits:\n  max_json_depth: 1000\n  max_record_bytes: 1\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->commit_interval_ms, 1);
  EXPECT_EQ(r->transaction_timeout_ms, 1000);
  EXPECT_EQ(r->max_json_depth, 1000);
  EXPECT_EQ(r->max_record_bytes, 1u);
}

TEST(ConfigParse, CommitPolicy) {
  auto d = Parse(kMinimal);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->commit_policy, "interval");
  auto r = Parse(std::string(kMinimal) + "delivery:\n  commit: eager\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->commit_policy, "eager");
  r = Parse(std::string(kMinimal) + "delivery:\n  mode: exactly_once\n  commit: interval\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->commit_policy, "interval");
  EXPECT_TRUE(Fails(std::string(kMinimal) + "delivery:\n  commit: asap\n",
                    {"c.yaml:7:11:", "'delivery.commit' must be interval or eager"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "delivery:\n  mode: at_least_once\n  commit: eager\n",
                    {"c.yaml:8:11:", "only used with mode exactly_once"}));
  EXPECT_TRUE(
      Fails(std::string(kMinimal) + "delivery:\n  comit: eager\n", {"delivery.comit", "did you mean 'commit'"}));
}

TEST(ConfigParse, DeliveryMode) {
  auto r = Parse(std::string(kMinimal) + "delivery:\n  mode: at_least_once\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->delivery_mode, "at_least_once");
  EXPECT_TRUE(Fails(std::string(kMinimal) + "delivery:\n  mode: exactly-once\n", {"c.yaml:7:9:", "'delivery.mode'"}));
  // A transactional id only makes sense with transactions.
  EXPECT_TRUE(Fails(std::string(kMinimal) + "delivery:\n  mode: at_least_once\n  transactional_id: x\n",
                    {"c.yaml:8:", "delivery.transactional_id"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "delivery:\n  transactional_id: x\n  mode: at_least_once\n",
                    {"c.yaml:7:", "delivery.transactional_id"}));
}

TEST(ConfigParse, LogLevel) {
  EXPECT_TRUE(Fails(std::string(kMinimal) + "log_level: loud\n", {"c.yaml:6:", "'log_level'"}));
  for (const char* lvl : {"debug", "info", "warn", "error"}) {
    auto r = Parse(std::string(kMinimal) + "log_level: " + lvl + "\n");
    ASSERT_TRUE(r.ok()) << lvl << ": " << r.error().ToString();
    EXPECT_EQ(r->log_level, lvl);
  }
}

TEST(ConfigParse, PropertiesMustBeFlat) {
  EXPECT_TRUE(
      Fails("source:\n  brokers: b\n  group_id: g\n  properties:\n    ssl:\n      key: v\n"
            "policies: [p.yaml]\nkeyring: k.yaml\n",
            {"c.yaml:6:", "source.properties.ssl"}));
  EXPECT_TRUE(
      Fails(std::string(kMinimal) + "destination:\n  properties:\n    a: [1, 2]\n", {"destination.properties.a"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "destination:\n  properties: [a, b]\n", {"destination.properties"}));
}

TEST(ConfigParse, NonMappingSections) {
  EXPECT_TRUE(Fails("source: b:9092\npolicies: [p.yaml]\nkeyring: k.yaml\n", {"'source'"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "limits: 5\n", {"'limits'"}));
  EXPECT_TRUE(Fails("- a\n- b\n", {"mapping"}));
  EXPECT_TRUE(Fails("", {}));
}

TEST(ConfigParse, InvalidYaml) {
  EXPECT_TRUE(Fails("source:\n  brokers: b: c\n", {"c.yaml:2:", "invalid YAML"}));
  EXPECT_TRUE(Fails("source:\n\tbrokers: b\n", {"c.yaml:2:", "indented with a tab"}));
}

TEST(ConfigParse, DuplicateKey) {
  EXPECT_TRUE(Fails(std::string(kMinimal) + "keyring: other.yaml\n", {"c.yaml:6:", "duplicate", "keyring"}));
}

// librdkafka properties are a mapping like any other: a second value of a key
// would silently win ({linger.ms: 5, linger.ms: 500} gave 500).
TEST(ConfigParse, DuplicatePropertyIsRefused) {
  EXPECT_TRUE(Fails(std::string(kMinimal) + "destination:\n  properties:\n    linger.ms: 5\n    linger.ms: 500\n",
                    {"c.yaml:9:5:", "duplicate key 'destination.properties.linger.ms'"}));
  EXPECT_TRUE(
      Fails("source:\n  brokers: b\n  group_id: g\n  properties: {fetch.min.bytes: 1, fetch.min.bytes: 2}\n"
            "policies: [p.yaml]\nkeyring: k.yaml\n",
            {"c.yaml:4:", "duplicate key 'source.properties.fetch.min.bytes'"}));
  auto ok = Parse(std::string(kMinimal) + "destination:\n  properties:\n    linger.ms: 5\n    batch.size: 500\n");
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok->destination_properties.at("linger.ms"), "5");
}

// Names and strings are text: bytes that are not UTF-8 (a group id, a topic
// name) are refused where they are, without echoing them.
TEST(ConfigParse, InvalidUtf8IsRefused) {
  EXPECT_TRUE(Fails("source:\n  brokers: b\n  group_id: grp\xff\xfe\npolicies: [p.yaml]\nkeyring: k.yaml\n",
                    {"c.yaml:3:16:", "not valid UTF-8"}));
  auto r = Parse("source:\n  brokers: b\n  group_id: grp\xc3\npolicies: [p.yaml]\nkeyring: k.yaml\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find('\xc3'), std::string::npos) << "the byte is echoed";
  EXPECT_TRUE(Fails("\xef\xbb", {"c.yaml:1:1:", "not valid UTF-8"}));
  // Valid UTF-8 (and a comment in Korean) is accepted.
  auto ok = Parse(std::string(kMinimal) + "# \xea\xb2\xb0\xec\xa0\x9c\nlog_level: info\n");
  EXPECT_TRUE(ok.ok()) << ok.error().ToString();
}

TEST(ConfigHelp, MentionsEveryKey) {
  const std::string help = kConfigHelp;
  for (const char* key : {"source:",
                          "brokers:",
                          "group_id:",
                          "properties:",
                          "destination:",
                          "policies:",
                          "keyring:",
                          "delivery:",
                          "mode:",
                          "transactional_id:",
                          "commit_interval_ms:",
                          "commit_max_records:",
                          "transaction_timeout_ms:",
                          "limits:",
                          "max_record_bytes:",
                          "max_json_depth:",
                          "max_inflight_records:",
                          "max_inflight_bytes:",
                          "log_level:",
                          "allowed_hosts:",
                          "stats_interval_ms:"})
    EXPECT_NE(help.find(key), std::string::npos) << key;
}

// reload: {watch}: the file watch is on by default; only `watch` is known.
TEST(ConfigParse, ReloadWatch) {
  auto on = Parse(kMinimal);
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->reload_watch);
  auto off = Parse(std::string(kMinimal) + "reload:\n  watch: false\n");
  ASSERT_TRUE(off.ok()) << off.error().ToString();
  EXPECT_FALSE(off->reload_watch);
  EXPECT_TRUE(Fails(std::string(kMinimal) + "reload:\n  watch: maybe\n", {"c.yaml:7:10", "'reload.watch'"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "reload:\n  wacth: true\n", {"c.yaml:7:3", "did you mean 'watch'"}));
}

// --- security: (source.security / destination.security) ---

TEST(ConfigSecurity, DefaultIsPlaintextOnBothSides) {
  auto r = Parse(kMinimal);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->source_security.protocol, "plaintext");
  EXPECT_EQ(r->destination_security.protocol, "plaintext");
  EXPECT_TRUE(r->source_security.ca_file.empty());
}

TEST(ConfigSecurity, MtlsSourcePathsResolvedAndInheritedByDestination) {
  auto r = Parse(
      "source:\n"
      "  brokers: k:9093\n"
      "  group_id: g\n"
      "  security:\n"
      "    protocol: ssl\n"
      "    ca_file: certs/ca.pem\n"
      "    cert_file: certs/proxy.pem\n"
      "    key_file: /etc/mp/proxy.key\n"
      "    key_password_file: certs/proxy.pass\n"
      "policies: [p.yaml]\n"
      "keyring: k.yaml\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const KafkaSecurity& s = r->source_security;
  EXPECT_EQ(s.protocol, "ssl");
  EXPECT_EQ(s.ca_file, "/base/certs/ca.pem");
  EXPECT_EQ(s.cert_file, "/base/certs/proxy.pem");
  EXPECT_EQ(s.key_file, "/etc/mp/proxy.key");
  EXPECT_EQ(s.key_password_file, "/base/certs/proxy.pass");
  EXPECT_TRUE(s.sasl_mechanism.empty());
  // No destination: block: the same cluster, the same settings.
  EXPECT_EQ(r->destination_security.protocol, "ssl");
  EXPECT_EQ(r->destination_security.cert_file, "/base/certs/proxy.pem");
}

TEST(ConfigSecurity, SidesConfiguredApart) {
  auto r = Parse(
      "source:\n"
      "  brokers: k:9093\n"
      "  group_id: g\n"
      "  security: {protocol: ssl, ca_file: ca.pem, cert_file: c.pem, key_file: c.key}\n"
      "destination:\n"
      "  security:\n"
      "    protocol: sasl_ssl\n"
      "    ca_file: dst-ca.pem\n"
      "    sasl:\n"
      "      mechanism: SCRAM-SHA-512\n"
      "      username: proxy\n"
      "      password_file: secrets/kafka.pass\n"
      "policies: [p.yaml]\n"
      "keyring: k.yaml\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->source_security.protocol, "ssl");
  EXPECT_TRUE(r->source_security.sasl_username.empty());
  const KafkaSecurity& d = r->destination_security;
  EXPECT_EQ(d.protocol, "sasl_ssl");
  EXPECT_EQ(d.ca_file, "/base/dst-ca.pem");
  EXPECT_TRUE(d.cert_file.empty());
  EXPECT_EQ(d.sasl_mechanism, "SCRAM-SHA-512");
  EXPECT_EQ(d.sasl_username, "proxy");
  EXPECT_EQ(d.sasl_password_file, "/base/secrets/kafka.pass");
}

std::string WithSourceProperties(const std::string& props) {
  return "source:\n  brokers: k:9092\n  group_id: g\n  properties:\n" + props + "policies: [p.yaml]\nkeyring: k.yaml\n";
}

TEST(ConfigSecurity, InlineSecretsRefusedWithTheFileKeyToUse) {
  EXPECT_TRUE(Fails(WithSourceProperties("    sasl.password: hunter2\n"),
                    {"c.yaml:5:5", "source.properties.sasl.password", "not allowed in the config text",
                     "source.security.sasl.password_file"}));
  EXPECT_TRUE(Fails(WithSourceProperties("    ssl.key.password: hunter2\n"),
                    {"source.properties.ssl.key.password", "source.security.key_password_file"}));
  EXPECT_TRUE(Fails(WithSourceProperties("    ssl.key.pem: inline-pem-text\n"),
                    {"source.properties.ssl.key.pem", "source.security.key_file"}));
  // (Found by review: "…use source.a supported security.sasl.mechanism".)
  EXPECT_TRUE(Fails(WithSourceProperties("    sasl.oauthbearer.client.secret: s3cret\n"),
                    {"source.properties.sasl.oauthbearer.client.secret", "OAUTHBEARER is not supported",
                     "source.security.sasl with mechanism SCRAM-SHA-512 or SCRAM-SHA-256"}));
  EXPECT_TRUE(
      Fails("source: {brokers: k:9092, group_id: g}\n"
            "destination:\n  properties:\n    sasl.password: hunter2\n"
            "policies: [p.yaml]\nkeyring: k.yaml\n",
            {"destination.properties.sasl.password", "destination.security.sasl.password_file"}));
  // The secret itself is never echoed.
  auto r = Parse(WithSourceProperties("    sasl.password: hunter2\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
}

TEST(ConfigSecurity, SecurityPropertiesBelongToTheSecurityBlock) {
  EXPECT_TRUE(Fails(WithSourceProperties("    security.protocol: SSL\n"),
                    {"source.properties.security.protocol", "is set by source.security.protocol"}));
  EXPECT_TRUE(Fails(WithSourceProperties("    ssl.ca.location: /ca.pem\n"), {"source.security.ca_file"}));
  EXPECT_TRUE(Fails(WithSourceProperties("    sasl.username: u\n"), {"source.security.sasl.username"}));
  // Verification cannot be turned off.
  EXPECT_TRUE(Fails(WithSourceProperties("    ssl.endpoint.identification.algorithm: none\n"),
                    {"host names are always verified"}));
  EXPECT_TRUE(Fails(WithSourceProperties("    enable.ssl.certificate.verification: false\n"),
                    {"certificates are always verified"}));
}

std::string WithSourceSecurity(const std::string& sec) {
  return "source:\n  brokers: k:9092\n  group_id: g\n  security:\n" + sec + "policies: [p.yaml]\nkeyring: k.yaml\n";
}

TEST(ConfigSecurity, WrongProtocolNames) {
  EXPECT_TRUE(Fails(WithSourceSecurity("    protocol: tls\n"),
                    {"c.yaml:5:15", "'source.security.protocol' must be one of: plaintext, ssl, sasl_ssl"}));
  EXPECT_TRUE(Fails(WithSourceSecurity("    protocol: SSL\n"), {"did you mean 'ssl'?"}));
  EXPECT_TRUE(Fails(WithSourceSecurity("    protocol: sasl_plaintext\n"), {"must be one of"}));
  EXPECT_TRUE(Fails(WithSourceSecurity("    ca_file: ca.pem\n"), {"missing required key 'source.security.protocol'"}));
  EXPECT_TRUE(Fails(WithSourceSecurity("    protocol: ssl\n    ca_fle: ca.pem\n"),
                    {"unknown key 'source.security.ca_fle'", "did you mean 'ca_file'"}));
}

TEST(ConfigSecurity, InconsistentSettingsRefused) {
  EXPECT_TRUE(Fails(WithSourceSecurity("    protocol: plaintext\n    ca_file: ca.pem\n"),
                    {"'source.security.ca_file' needs protocol ssl or sasl_ssl"}));
  EXPECT_TRUE(
      Fails(WithSourceSecurity("    protocol: ssl\n    cert_file: c.pem\n"), {"cert_file and key_file go together"}));
  EXPECT_TRUE(Fails(WithSourceSecurity("    protocol: ssl\n    key_password_file: p\n"),
                    {"key_password_file' needs key_file"}));
  EXPECT_TRUE(Fails(WithSourceSecurity("    protocol: sasl_ssl\n"), {"protocol sasl_ssl needs a sasl: block"}));
  EXPECT_TRUE(Fails(WithSourceSecurity("    protocol: ssl\n    sasl: {mechanism: SCRAM-SHA-512, username: u, "
                                       "password_file: p}\n"),
                    {"'source.security.sasl' needs protocol sasl_ssl"}));
  EXPECT_TRUE(Fails(WithSourceSecurity("    protocol: sasl_ssl\n    sasl: {mechanism: PLAIN, username: u, "
                                       "password_file: p}\n"),
                    {"must be SCRAM-SHA-512 or SCRAM-SHA-256"}));
  EXPECT_TRUE(Fails(WithSourceSecurity("    protocol: sasl_ssl\n    sasl: {mechanism: SCRAM-SHA-512, username: u, "
                                       "password: hunter2}\n"),
                    {"unknown key 'source.security.sasl.password'"}));
  EXPECT_TRUE(Fails(WithSourceSecurity("    protocol: sasl_ssl\n    sasl: {mechanism: SCRAM-SHA-512, username: u}\n"),
                    {"missing required key 'source.security.sasl.password_file'"}));
}

TEST(ConfigParse, AdminAndLogFormat) {
  auto d = Parse(kMinimal);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->admin.enabled);
  EXPECT_EQ(d->admin.listen, "127.0.0.1:9644");
  EXPECT_EQ(d->log_format, "text");
  auto r = Parse(std::string(kMinimal) +
                 "log_format: json\n"
                 "admin:\n  listen: 0.0.0.0:9000\n  tls:\n    cert_file: a.crt\n    key_file: /k/a.key\n"
                 "    client_ca_file: ca.pem\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->log_format, "json");
  EXPECT_EQ(r->admin.listen, "0.0.0.0:9000");
  EXPECT_EQ(r->admin.tls_cert_file, "/base/a.crt");
  EXPECT_EQ(r->admin.tls_key_file, "/k/a.key");
  EXPECT_EQ(r->admin.tls_client_ca_file, "/base/ca.pem");
  auto off = Parse(std::string(kMinimal) + "admin:\n  listen: \"\"\n");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->admin.enabled);
  auto off2 = Parse(std::string(kMinimal) + "admin: {enabled: false}\n");
  ASSERT_TRUE(off2.ok());
  EXPECT_FALSE(off2->admin.enabled);
}

// admin.allowed_hosts: the names the Host header may carry besides IP
// literals and localhost (admin/router.h, CheckAddress).
TEST(ConfigParse, AdminAllowedHosts) {
  auto d = Parse(kMinimal);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->admin.allowed_hosts.empty());  // none by default
  auto r = Parse(std::string(kMinimal) + "admin:\n  allowed_hosts: [maskproxy-0.Maskproxy, ops.example.com]\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->admin.allowed_hosts, (std::vector<std::string>{"maskproxy-0.maskproxy", "ops.example.com"}));
  EXPECT_TRUE(Parse(std::string(kMinimal) + "admin:\n  allowed_hosts: []\n").ok());
  for (const char* bad : {"[ops.example.com:9644]", "[\"*.example.com\"]", "[\"\"]", "[a/b]", "[[x]]", "ops", "[.x]"})
    EXPECT_TRUE(
        Fails(std::string(kMinimal) + "admin:\n  allowed_hosts: " + bad + "\n", {"c.yaml:7:", "admin.allowed_hosts"}))
        << bad;
  EXPECT_TRUE(Fails(std::string(kMinimal) + "admin:\n  allowed_host: [x]\n", {"did you mean 'allowed_hosts'"}));
}

TEST(ConfigParse, AdminOperators) {
  const std::string tls = "  tls: { cert_file: a.crt, key_file: a.key, client_ca_file: ca.pem }\n";
  auto r = Parse(std::string(kMinimal) + "admin:\n  operators: [\"CN=ops,O=Example\"]\n" + tls);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->admin.operators, (std::vector<std::string>{"CN=ops,O=Example"}));
  EXPECT_TRUE(Parse(kMinimal)->admin.operators.empty());
  EXPECT_TRUE(Fails(std::string(kMinimal) + "admin:\n  operators: [\"CN=ops\"]\n",
                    {"c.yaml:7:", "'admin.operators' needs client certificates"}));
  for (const char* bad : {"[]", "\"CN=ops\"", "[\"\"]", "[[x]]"})
    EXPECT_TRUE(Fails(std::string(kMinimal) + "admin:\n  operators: " + bad + "\n" + tls, {"admin.operators"})) << bad;
}

TEST(ConfigParse, AdminPlayground) {
  auto d = Parse(kMinimal);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->admin.playground.enabled);  // off by default
  EXPECT_EQ(d->admin.playground.max_body_bytes, size_t{1} << 20);
  EXPECT_EQ(d->admin.playground.max_events, 200);
  auto r = Parse(std::string(kMinimal) +
                 "admin:\n  playground:\n    enabled: true\n    max_body_bytes: 262144\n    max_events: 50\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->admin.playground.enabled);
  EXPECT_EQ(r->admin.playground.max_body_bytes, 262144u);
  EXPECT_EQ(r->admin.playground.max_events, 50);
  EXPECT_TRUE(Fails(std::string(kMinimal) + "admin:\n  playground: {enabld: true}\n",
                    {"admin.playground.enabld", "did you mean 'enabled'"}));
  EXPECT_TRUE(
      Fails(std::string(kMinimal) + "admin:\n  playground: {max_events: 0}\n", {"admin.playground.max_events"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "admin:\n  playground: {max_body_bytes: 99}\n",
                    {"admin.playground.max_body_bytes"}));
}

TEST(ConfigParse, AdminErrorsNameTheKey) {
  EXPECT_TRUE(Fails(std::string(kMinimal) + "log_format: xml\n", {"log_format", "text or json"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "admin:\n  listn: 1.2.3.4:1\n", {"admin.listn", "did you mean 'listen'"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "admin:\n  listen: somewhere\n", {"c.yaml:7:", "HOST:PORT"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "admin:\n  listen: 1.2.3.4:99999\n", {"port"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "admin:\n  tls:\n    cert_file: a.crt\n", {"admin.tls.key_file"}));
  EXPECT_TRUE(Fails(std::string(kMinimal) + "admin:\n  enabled: maybe\n", {"admin.enabled"}));
}

// Key names are the operator's text: a line break, NUL or bidirectional
// override in one is shown escaped, and the message stays one located line.
TEST(ConfigParse, KeyNamesCannotBreakOrHideTheErrorLine) {
  auto r = Parse(std::string(kMinimal) + "\"a\\nc.yaml:1:1: forged\\0\\u202E\": 1\n");
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_EQ(m.find('\0'), std::string::npos);
  EXPECT_EQ(m.rfind("c.yaml:6:1: ", 0), 0u) << m;
  EXPECT_NE(m.find("unknown key 'a\\nc.yaml:1:1: forged\\x00\\u{202E}'"), std::string::npos) << m;
}
}  // namespace
}  // namespace maskproxy::app
