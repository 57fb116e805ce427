// Key custody (issue 13, item 4): keyrings split by purpose, the policy
// compiler's purpose checks at file:line:col, and a reveal host that holds
// only the reversible keyring: it reveals e-mails (encrypt) and cannot
// compute RRN tokens (the tokenize action is never constructed there).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/audit_events.h"
#include "app/policy_set.h"
#include "crypto/keyring.h"
#include "support/test_keys.h"

namespace maskproxy::app {
namespace {

namespace fs = std::filesystem;
using crypto::KeyPurpose;
using test_keys::KeyringYaml;
using test_keys::Material;

const char kPolicy[] =
    "policy: custody\n"
    "version: 1\n"
    "routes:\n"
    "  - from: u.raw\n"
    "    to: u.out\n"
    "    dead_letter: u.dlq\n"
    "    rules:\n"
    "      - { path: user.rrn, action: tokenize, key: rrn, normalize: digits }\n"
    "      - { path: user.email, action: encrypt, key: contact }\n"
    "      - { path: user.account, action: encrypt_deterministic, key: account }\n";

class KeyCustodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "key_custody_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    tok_ = WriteKeys("tok.yaml", "purpose: tokenization\n" + KeyringYaml({{"rrn", {Material(0)}}}));
    rev_ = WriteKeys("rev.yaml", "purpose: reversible\n" +
                                     KeyringYaml({{"contact", {Material(160)}}, {"account", {Material(192)}}}));
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (fs::path(dir_) / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string WriteKeys(const std::string& name, const std::string& text) {
    std::string path = Write(name, text);
    EXPECT_EQ(::chmod(path.c_str(), 0600), 0);
    return path;
  }
  std::vector<crypto::KeyringFile> Split() const {
    return {{tok_, KeyPurpose::kTokenization}, {rev_, KeyPurpose::kReversible}};
  }
  // The proxy's compile of `policy` with the split keyring.
  Result<PolicySet> Proxy(const std::string& policy) {
    auto keys = crypto::Keyring::LoadFiles(Split());
    if (!keys.ok()) return keys.error();
    return LoadPolicySet({Write("p.yaml", policy)}, *keys, PolicySetOptions{});
  }

  std::string dir_, tok_, rev_;
};

// The JSON string in `out` that starts with `prefix`, with its quotes.
std::string OutputStartingWith(const std::string& out, const std::string& prefix) {
  size_t b = out.find("\"" + prefix);
  if (b == std::string::npos) return "";
  size_t e = out.find('"', b + 1);
  return out.substr(b, e - b + 1);
}

TEST_F(KeyCustodyTest, TheProxyMasksWithTheSplitKeyring) {
  auto set = Proxy(kPolicy);
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  std::string out;
  Status s =
      set->engine->MaskValue(*set->engine->FindRoute("u.raw"), "u.raw",
                             R"({"user":{"rrn":"900101-1234567","email":"a@example.com","account":"110"}})", &out);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_NE(out.find("\"t1.rrn.1."), std::string::npos) << out;
  EXPECT_NE(out.find("\"e2.contact.1."), std::string::npos) << out;
  EXPECT_NE(out.find("\"d1.account.1."), std::string::npos) << out;
}

// Found by review: keys_loaded named the first file (the reversible one)
// for every key, the tokenization key among them.
TEST_F(KeyCustodyTest, KeysLoadedNamesEachFileWithItsPurpose) {
  auto keys = crypto::Keyring::LoadFiles(Split());
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  const audit::Event e = KeysLoadedEvent(rev_, Split(), *keys, "start");
  bool has_file = false;
  std::vector<std::string> files;
  for (const auto& [name, value] : e.fields) {
    if (name == "file") has_file = true;
    if (name == "files") files = std::get<std::vector<std::string>>(value);
  }
  EXPECT_FALSE(has_file);
  EXPECT_EQ(files, (std::vector<std::string>{"tokenization:" + tok_, "reversible:" + rev_}));
  std::vector<std::string> key_files;
  for (const auto& [name, value] : e.fields)
    if (name == "key_files") key_files = std::get<std::vector<std::string>>(value);
  EXPECT_EQ(key_files, (std::vector<std::string>{"account:" + rev_, "contact:" + rev_, "rrn:" + tok_}));
  // One keyring file: named as before.
  const audit::Event one = KeysLoadedEvent(rev_, {{rev_, KeyPurpose::kAny}}, *keys, "start");
  ASSERT_FALSE(one.fields.empty());
  EXPECT_EQ(one.fields[0].first, "file");
  EXPECT_EQ(std::get<std::string>(one.fields[0].second), rev_);
}

TEST_F(KeyCustodyTest, ATokenizeRuleWithAReversibleKeyIsRefusedAtItsLocation) {
  std::string policy = kPolicy;
  policy.replace(policy.find("key: rrn"), 8, "key: contact");
  auto set = Proxy(policy);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kKeyPurposeMismatch);
  EXPECT_NE(set.error().message.find("p.yaml:8:"), std::string::npos) << set.error().message;
  EXPECT_NE(set.error().message.find("reversible keyring"), std::string::npos) << set.error().message;
}

TEST_F(KeyCustodyTest, ReversibleRulesWithATokenizationKeyAreRefused) {
  for (const char* action : {"encrypt", "encrypt_deterministic", "fpe"}) {
    std::string policy = kPolicy;
    const std::string from = "action: encrypt, key: contact";
    policy.replace(policy.find(from), from.size(), std::string("action: ") + action + ", key: rrn");
    auto set = Proxy(policy);
    ASSERT_FALSE(set.ok()) << action;
    EXPECT_EQ(set.error().code, ErrorCode::kKeyPurposeMismatch) << action;
    EXPECT_NE(set.error().message.find("p.yaml:9:"), std::string::npos) << set.error().message;
    EXPECT_NE(set.error().message.find("tokenization keyring"), std::string::npos) << set.error().message;
  }
}

TEST_F(KeyCustodyTest, ScanTokensAreOneWayToo) {
  auto set = Proxy(
      "policy: s\nversion: 1\n"
      "scan:\n  actions:\n    phone_kr: { action: tokenize, key: contact, normalize: phone_kr }\n"
      "routes:\n  - { from: s.raw, to: s.out, dead_letter: s.dlq, rules: [{ path: body, action: scan }] }\n");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kKeyPurposeMismatch);
  EXPECT_NE(set.error().message.find("p.yaml:5:"), std::string::npos) << set.error().message;
}

TEST_F(KeyCustodyTest, ARevealHostRevealsEmailsAndCannotComputeTokens) {
  // The proxy masks with both files...
  auto set = Proxy(kPolicy);
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  std::string out;
  ASSERT_TRUE(set->engine
                  ->MaskValue(*set->engine->FindRoute("u.raw"), "u.raw",
                              R"({"user":{"rrn":"900101-1234567","email":"a@example.com","account":"110"}})", &out)
                  .ok());
  const std::string email = OutputStartingWith(out, "e2.contact.1.");
  ASSERT_FALSE(email.empty()) << out;
  // ...the reveal host has only the reversible one: the tokenization file
  // is not there at all (and would not be read if it were).
  fs::remove(tok_);
  auto pol = LoadPolicyForReveal(Write("p.yaml", kPolicy), Split());
  ASSERT_TRUE(pol.ok()) << pol.error().ToString();
  const auto& rules = (*pol)->routes()[0].rules;
  ASSERT_EQ(rules.size(), 3u);
  transform::ActionContext ctx{"u.raw"};
  auto revealed = rules[1].action->Reveal(ctx, email, std::nullopt);
  ASSERT_TRUE(revealed.ok()) << revealed.error().ToString();
  EXPECT_EQ(*revealed, "\"a@example.com\"");
  // No RRN token can be computed there: the rule is a placeholder that fails.
  std::string token;
  codec::ScalarRef rrn{codec::JsonType::kString, "\"900101-1234567\"", "900101-1234567"};
  Status s = rules[0].action->Apply(ctx, rrn, &token);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kKeyUnavailable);
  EXPECT_TRUE(token.empty());
  auto rev_tok = rules[0].action->Reveal(ctx, "\"t1.rrn.1.AAAA\"", std::nullopt);
  ASSERT_FALSE(rev_tok.ok());
  EXPECT_EQ(rev_tok.error().code, ErrorCode::kNotReversible);
}

TEST_F(KeyCustodyTest, ARevealHostWithOneKeyCompilesTheOthersAsUnavailable) {
  rev_ = WriteKeys("rev-contact.yaml", "purpose: reversible\n" + KeyringYaml({{"contact", {Material(160)}}}));
  auto pol = LoadPolicyForReveal(Write("p.yaml", kPolicy), Split());
  ASSERT_TRUE(pol.ok()) << pol.error().ToString();
  const auto& rules = (*pol)->routes()[0].rules;
  auto r = rules[2].action->Reveal(transform::ActionContext{"u.raw"}, "\"d1.account.1.AAAA\"", std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyUnavailable);
  // The placeholder names the key it would need (an offline reveal loads
  // only that one); a key that is there, or a one-way rule, names none.
  EXPECT_EQ(rules[2].action->MissingKey(), "account");
  EXPECT_EQ(rules[1].action->MissingKey(), "");
  EXPECT_EQ(rules[0].action->MissingKey(), "");
  auto keyless = LoadPoliciesForReveal({Write("k.yaml", kPolicy)}, {});
  ASSERT_TRUE(keyless.ok()) << keyless.error().ToString();
  EXPECT_EQ((*keyless)[0]->routes()[0].rules[1].action->MissingKey(), "contact");
  // The proxy's own compile still needs every key.
  auto keys = crypto::Keyring::LoadFiles({{rev_, KeyPurpose::kReversible}});
  ASSERT_TRUE(keys.ok());
  auto set = LoadPolicySet({Write("q.yaml", kPolicy)}, *keys, PolicySetOptions{});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kKeyMissing);
}

TEST_F(KeyCustodyTest, OneKeyringForEverythingStillWorks) {
  std::string all = WriteKeys(
      "all.yaml", KeyringYaml({{"rrn", {Material(0)}}, {"contact", {Material(160)}}, {"account", {Material(192)}}}));
  auto keys = crypto::Keyring::LoadFiles({{all, KeyPurpose::kAny}});
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  auto set = LoadPolicySet({Write("p.yaml", kPolicy)}, *keys, PolicySetOptions{});
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  // A reveal with it still never constructs the tokenize rule.
  auto pol = LoadPolicyForReveal(Write("p.yaml", kPolicy), {{all, KeyPurpose::kAny}});
  ASSERT_TRUE(pol.ok()) << pol.error().ToString();
  std::string token;
  codec::ScalarRef rrn{codec::JsonType::kString, "\"900101-1234567\"", "900101-1234567"};
  EXPECT_EQ((*pol)->routes()[0].rules[0].action->Apply(transform::ActionContext{"u.raw"}, rrn, &token).error().code,
            ErrorCode::kKeyUnavailable);
}

}  // namespace
}  // namespace maskproxy::app
