// Policy::Encrypts() (computed from every action the policy created: e1
// writers only), the
// ledger the policy holds, and the locations of a route's topics.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "policy/policy.h"
#include "support/keyring_fixture.h"

namespace maskproxy::policy {
namespace {

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring = test_keys::TestKeyring(
      {{"contact", {test_keys::FilledMaterial(1)}}, {"customer", {test_keys::FilledMaterial(2)}}});
  return ring;
}

std::string Doc(const std::string& scan, const std::string& rules, const std::string& unlisted = "keep") {
  return "policy: p\nversion: 1\n" + scan +
         "routes:\n"
         "  - from: a.raw\n"
         "    to: a.out\n"
         "    dead_letter: a.dlq\n"
         "    unlisted_fields: " +
         unlisted +
         "\n"
         "    rules: " +
         rules + "\n";
}

bool Encrypts(const std::string& yaml) {
  auto p = Policy::Parse(yaml, "p.yaml", Keys());
  EXPECT_TRUE(p.ok()) << p.error().ToString();
  return p.ok() && (*p)->Encrypts();
}

TEST(PolicyEncrypts, FromEveryActionThatCountsInTheLedger) {
  EXPECT_TRUE(Encrypts(Doc("", "[{ path: m, action: encrypt, key: contact, format: e1 }]")));
  EXPECT_TRUE(Encrypts(Doc("", "[{ path: $key, action: encrypt, key: contact, format: e1 }]")));
  EXPECT_TRUE(Encrypts(Doc("", "[{ path: $header.mail, action: encrypt, key: contact, format: e1 }]")));
  // Only a scan action encrypts: for a scan rule, and for unlisted fields.
  const std::string scan = "scan:\n  actions:\n    email: { action: encrypt, key: contact, format: e1 }\n";
  EXPECT_TRUE(Encrypts(Doc(scan, "[{ path: body, action: scan }]")));
  EXPECT_TRUE(Encrypts(Doc(scan, "[{ path: id, action: keep }]", "scan")));
  EXPECT_TRUE(Encrypts(Doc("scan:\n  actions:\n    default: { action: encrypt, key: contact, format: e1 }\n",
                           "[{ path: id, action: keep }]", "scan")));
}

TEST(PolicyEncrypts, NotForActionsWithoutCounts) {
  EXPECT_FALSE(Encrypts(Doc("",
                            "[{ path: m, action: encrypt_deterministic, key: contact },"
                            " { path: c, action: tokenize, key: customer }, { path: r, action: redact }]")));
  // encrypt writes e2 by default (XAES-256-GCM): nothing to count.
  EXPECT_FALSE(Encrypts(Doc("",
                            "[{ path: m, action: encrypt, key: contact },"
                            " { path: n, action: encrypt, key: contact, format: e2 }]")));
  EXPECT_FALSE(Encrypts(
      Doc("scan:\n  actions:\n    email: { action: encrypt, key: contact }\n", "[{ path: body, action: scan }]")));
  EXPECT_FALSE(Encrypts(Doc("scan:\n  actions:\n    email: { action: encrypt_deterministic, key: contact }\n",
                            "[{ path: body, action: scan }]")));
  EXPECT_FALSE(Encrypts(Doc("", "[{ path: body, action: scan }]")));  // built-in defaults: redact
}

TEST(PolicyEncrypts, ThePolicyHoldsItsLedger) {
  auto ledger = std::shared_ptr<crypto::UsageLedger>(crypto::UsageLedger::InMemory());
  std::weak_ptr<crypto::UsageLedger> weak = ledger;
  auto p = Policy::Parse(Doc("", "[{ path: m, action: encrypt, key: contact, format: e1 }]"), "p.yaml", Keys(), ledger);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ledger.reset();  // the caller's reference is gone; the policy's is not
  ASSERT_FALSE(weak.expired());
  EXPECT_EQ((*p)->ledger(), weak.lock());
  std::string out;
  codec::ScalarRef v{codec::JsonType::kString, "\"a@example.com\"", "a@example.com"};
  ASSERT_TRUE((*p)->routes()[0].rules[0].action->Apply(transform::ActionContext{"a.raw"}, v, &out).ok());
  EXPECT_EQ(weak.lock()->Count("contact", 1), 1u);
  p = Error(ErrorCode::kInternal, "y");  // drops the policy
  EXPECT_TRUE(weak.expired());
}

TEST(PolicyRoute, RemembersWhereItsTopicsAreWritten) {
  auto p = Policy::Parse(Doc("", "[{ path: m, action: redact }]"), "p.yaml", Keys());
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  const Route& r = (*p)->routes()[0];
  EXPECT_EQ(r.from_at.line, 4);
  EXPECT_EQ(r.from_at.column, 11);
  EXPECT_EQ(r.to_at.line, 5);
  EXPECT_EQ(r.to_at.column, 9);
  EXPECT_EQ(r.dead_letter_at.line, 6);
  EXPECT_EQ(r.dead_letter_at.column, 18);
}

}  // namespace
}  // namespace maskproxy::policy
