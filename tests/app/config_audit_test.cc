// The config's audit: section (audit/trail.h is what it configures).
#include <gtest/gtest.h>

#include <string>

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

std::string Message(const std::string& extra) {
  auto r = Parse(extra);
  if (r.ok()) return "accepted";
  EXPECT_EQ(r.error().code, ErrorCode::kConfigInvalid);
  return r.error().message;
}

TEST(ConfigAudit, AbsentMeansNoTrail) {
  auto r = Parse("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->audit.file.empty());
  EXPECT_EQ(r->audit.checkpoint_every, 1000);
}

TEST(ConfigAudit, FullSectionResolvedAgainstTheConfigDir) {
  auto r = Parse(
      "audit:\n  file: audit.jsonl\n  key_file: /etc/mp/audit-key.yaml\n  topic: mp.audit\n"
      "  checkpoint_every: 50\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->audit.file, "/base/audit.jsonl");
  EXPECT_EQ(r->audit.key_file, "/etc/mp/audit-key.yaml");
  EXPECT_EQ(r->audit.topic, "mp.audit");
  EXPECT_EQ(r->audit.checkpoint_every, 50);
}

TEST(ConfigAudit, RequiredMembersAndBadValuesAreNamed) {
  EXPECT_NE(Message("audit:\n  key_file: k.yaml\n").find("audit.file"), std::string::npos);
  EXPECT_NE(Message("audit:\n  file: a.jsonl\n").find("audit.key_file"), std::string::npos);
  EXPECT_NE(Message("audit:\n  file: a\n  key_file: k\n  checkpoint_every: 0\n").find("audit.checkpoint_every"),
            std::string::npos);
  EXPECT_NE(Message("audit:\n  file: a\n  key_file: k\n  checkpont_every: 5\n").find("did you mean 'checkpoint_every'"),
            std::string::npos);
  EXPECT_NE(Message("audit: a.jsonl\n").find("must be a mapping"), std::string::npos);
}

TEST(ConfigAudit, OldAuditLogIsRefusedWithTheReplacement) {
  std::string m = Message("audit_log: audit.jsonl\n");
  EXPECT_NE(m.find("c.yaml:6:"), std::string::npos) << m;
  EXPECT_NE(m.find("use audit: {file: F, key_file: K}"), std::string::npos) << m;
}

}  // namespace
}  // namespace maskproxy::app
