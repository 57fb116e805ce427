// Policy compilation: a valid policy and every error with its file:line:col.
#include "policy/policy.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "common/file.h"
#include "crypto/keyring.h"
#include "crypto/mac.h"
#include "support/keyring_fixture.h"

namespace maskproxy::policy {
namespace {

using test_keys::Material;

// The material of the key MakeKeys makes at `first`: a sequence, except
// where that would be printable text (a keyring refuses it as not random).
std::string KeyMaterialAt(uint8_t first) {
  return first == 32 || first == 64 ? test_keys::FilledMaterial(first) : Material(first);
}

crypto::Keyring MakeKeys(const std::vector<std::string>& names) {
  std::vector<test_keys::TestKey> keys;
  uint8_t first = 0;
  for (const auto& n : names) {
    keys.push_back({n, {KeyMaterialAt(first)}});
    first = static_cast<uint8_t>(first + 32);
  }
  return test_keys::TestKeyring(keys);
}

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring =
      MakeKeys({"rrn", "phone", "card", "account", "email", "contact", "name", "customer"});
  return ring;
}

Result<std::shared_ptr<const Policy>> Parse(const std::string& yaml) {
  return Policy::Parse(yaml, "p.yaml", Keys());
}

::testing::AssertionResult FailsAt(const std::string& yaml, const std::string& location,
                                   const std::vector<std::string>& fragments = {},
                                   ErrorCode code = ErrorCode::kPolicyInvalid) {
  auto r = Parse(yaml);
  if (r.ok()) return ::testing::AssertionFailure() << "policy unexpectedly compiled";
  const Error& e = r.error();
  if (e.code != code) return ::testing::AssertionFailure() << "code " << e.code << " != " << code << ": " << e.message;
  if (e.message.rfind(location, 0) != 0)
    return ::testing::AssertionFailure() << "message does not start with '" << location << "': " << e.message;
  for (const auto& f : fragments)
    if (e.message.find(f) == std::string::npos)
      return ::testing::AssertionFailure() << "message lacks '" << f << "': " << e.message;
  return ::testing::AssertionSuccess();
}

// One route, one rule on line 8; `rule` replaces that rule line.
std::string OneRule(const std::string& rule) {
  return "policy: p\n"                             // 1
         "version: 1\n"                            // 2
         "routes:\n"                               // 3
         "  - from: payments.raw\n"                // 4
         "    to: analytics.payments\n"            // 5
         "    dead_letter: payments.quarantine\n"  // 6
         "    rules:\n"                            // 7
         "      " +
         rule + "\n";  // 8
}

const char kValid[] =
    "policy: payments-pii\n"                                                            // 1
    "version: 3\n"                                                                      // 2
    "description: test policy\n"                                                        // 3
    "routes:\n"                                                                         // 4
    "  - from: payments.raw\n"                                                          // 5
    "    to: analytics.payments\n"                                                      // 6
    "    dead_letter: payments.quarantine\n"                                            // 7
    "    unlisted_fields: keep\n"                                                       // 8
    "    rules:\n"                                                                      // 9
    "      - { path: user.rrn, action: tokenize, key: rrn, normalize: digits }\n"       // 10
    "      - { path: user.phone, action: mask, keep_last: 4 }\n"                        // 11
    "      - path: user.email\n"                                                        // 12
    "        action: redact\n"                                                          // 13
    "  - name: orders\n"                                                                // 14
    "    from: orders.raw\n"                                                            // 15
    "    to: orders.masked\n"                                                           // 16
    "    dead_letter: orders.dlq\n"                                                     // 17
    "    rules:\n"                                                                      // 18
    "      - { path: \"items[*].card\", action: mask, keep_first: 6, keep_last: 4 }\n"  // 19
    "      - { path: 'meta[\"x.y\"]', action: redact, mode: constant, value: X }\n";    // 20

TEST(PolicyParse, ValidPolicy) {
  auto r = Parse(kValid);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Policy& p = **r;
  EXPECT_EQ(p.name(), "payments-pii");
  EXPECT_EQ(p.version(), 3);
  EXPECT_EQ(p.origin(), "p.yaml");
  EXPECT_TRUE(std::regex_match(p.hash(), std::regex("^[0-9a-f]{12}$"))) << p.hash();
  EXPECT_EQ(p.Label(), "payments-pii@3#" + p.hash());
  EXPECT_TRUE(std::regex_match(p.Label(), std::regex(R"(^payments-pii@3#[0-9a-f]{12}$)"))) << p.Label();

  // The hash is the first 6 bytes of SHA-256 of the text, in hex.
  auto d = crypto::Sha256(kValid);
  char hex[13];
  for (int i = 0; i < 6; ++i) std::snprintf(hex + 2 * i, 3, "%02x", d[static_cast<size_t>(i)]);
  EXPECT_EQ(p.hash(), std::string(hex));

  ASSERT_EQ(p.routes().size(), 2u);
  const Route& a = p.routes()[0];
  EXPECT_EQ(a.name, "payments.raw");
  EXPECT_EQ(a.from, "payments.raw");
  EXPECT_EQ(a.to, "analytics.payments");
  EXPECT_EQ(a.dead_letter, "payments.quarantine");
  ASSERT_EQ(a.rules.size(), 3u);
  EXPECT_EQ(a.rules[0].path.text, "user.rrn");
  EXPECT_EQ(a.rules[0].action_name, "tokenize");
  EXPECT_EQ(a.rules[0].line, 10);
  EXPECT_EQ(a.rules[1].action_name, "mask");
  EXPECT_EQ(a.rules[1].line, 11);
  EXPECT_EQ(a.rules[2].path.text, "user.email");
  EXPECT_EQ(a.rules[2].action_name, "redact");
  EXPECT_EQ(a.rules[2].line, 12);
  EXPECT_TRUE(a.rules[2].action->RemovesMember());
  EXPECT_FALSE(a.rules[0].action->RemovesMember());

  // Paths are compiled with terminal id = rule index.
  const auto* user = a.paths.ChildByKey(a.paths.root(), "user");
  ASSERT_NE(user, nullptr);
  ASSERT_NE(a.paths.ChildByKey(*user, "rrn"), nullptr);
  EXPECT_EQ(a.paths.ChildByKey(*user, "rrn")->terminal, 0);
  EXPECT_EQ(a.paths.ChildByKey(*user, "phone")->terminal, 1);
  EXPECT_EQ(a.paths.ChildByKey(*user, "email")->terminal, 2);
  EXPECT_TRUE(a.paths.ChildByKey(*user, "email")->remove);

  const Route& b = p.routes()[1];
  EXPECT_EQ(b.name, "orders");
  EXPECT_EQ(b.from, "orders.raw");
  ASSERT_EQ(b.rules.size(), 2u);
  EXPECT_EQ(b.rules[0].path.text, "items[*].card");
  EXPECT_EQ(b.rules[0].line, 19);
  EXPECT_EQ(b.rules[1].path.segments.size(), 2u);
  EXPECT_EQ(b.rules[1].path.segments[1].key, "x.y");
}

TEST(PolicyParse, HashChangesWithText) {
  auto a = Parse(kValid);
  auto b = Parse(std::string(kValid) + "# comment\n");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->hash(), (*b)->hash());
  EXPECT_EQ((*a)->version(), (*b)->version());
}

TEST(PolicyParse, UnknownTopLevelKeyWithSuggestion) {
  std::string y = "policy: p\nversion: 1\nrotues:\n  - from: a\n";
  EXPECT_TRUE(FailsAt(y, "p.yaml:3:1:", {"'rotues'", "did you mean 'routes'"}));
}

TEST(PolicyParse, UnknownRouteKey) {
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n"                // 4
      "    to: analytics.payments\n"            // 5
      "    dead_letter: payments.quarantine\n"  // 6
      "    dead_leter: x\n"                     // 7
      "    rules:\n"
      "      - { path: a, action: redact }\n";
  EXPECT_TRUE(FailsAt(y, "p.yaml:7:5:", {"'dead_leter'", "did you mean 'dead_letter'"}));
}

TEST(PolicyParse, MissingFromToDeadLetter) {
  const std::string from = "  - from: payments.raw\n";
  const std::string to = "    to: analytics.payments\n";
  const std::string dl = "    dead_letter: payments.quarantine\n";
  const std::string rules = "    rules:\n      - { path: a, action: redact }\n";
  const std::string head = "policy: p\nversion: 1\nroutes:\n";
  EXPECT_TRUE(FailsAt(head + "  - to: analytics.payments\n" + dl + rules, "p.yaml:4:", {"missing 'from'"}));
  EXPECT_TRUE(FailsAt(head + from + dl + rules, "p.yaml:4:", {"missing 'to'"}));
  EXPECT_TRUE(FailsAt(head + from + to + rules, "p.yaml:4:", {"missing 'dead_letter'"}));
  EXPECT_TRUE(FailsAt(head + from + to + dl, "p.yaml:4:", {"missing 'rules'"}));
}

TEST(PolicyParse, InvalidTopicName) {
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n"
      "    to: \"bad topic!\"\n"  // 5
      "    dead_letter: payments.quarantine\n"
      "    rules:\n      - { path: a, action: redact }\n";
  EXPECT_TRUE(FailsAt(y, "p.yaml:5:9:", {"'to'", "topic name"}));
  EXPECT_FALSE(IsValidTopicName("bad topic!"));
  EXPECT_FALSE(IsValidTopicName(""));
  EXPECT_FALSE(IsValidTopicName("."));
  EXPECT_FALSE(IsValidTopicName(".."));
  EXPECT_FALSE(IsValidTopicName(std::string(250, 'a')));
  EXPECT_TRUE(IsValidTopicName(std::string(249, 'a')));
  EXPECT_TRUE(IsValidTopicName("a.B_c-1"));
}

TEST(PolicyParse, ToEqualsFrom) {
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n"
      "    to: payments.raw\n"  // 5
      "    dead_letter: payments.quarantine\n"
      "    rules:\n      - { path: a, action: redact }\n";
  EXPECT_TRUE(FailsAt(y, "p.yaml:5:", {"'to' must differ from 'from'"}));
  // Reported beside another topic's error, in the same pass (found by
  // review: a missing dead_letter hid it).
  std::string no_dlq =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n"
      "    to: payments.raw\n"  // 5
      "    rules:\n      - { path: a, action: redact }\n";
  auto p = Policy::Parse(no_dlq, "p.yaml", Keys());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("missing 'dead_letter'"), std::string::npos) << p.error().message;
  EXPECT_NE(p.error().message.find("p.yaml:5:9: 'to' must differ from 'from'"), std::string::npos) << p.error().message;
}

TEST(PolicyParse, DeadLetterEqualsToOrFrom) {
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n"
      "    to: analytics.payments\n"
      "    dead_letter: analytics.payments\n"  // 6
      "    rules:\n      - { path: a, action: redact }\n";
  EXPECT_TRUE(FailsAt(y, "p.yaml:6:", {"'dead_letter' must differ from 'to'"}));
  std::string z =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n"
      "    to: analytics.payments\n"
      "    dead_letter: payments.raw\n"  // 6
      "    rules:\n      - { path: a, action: redact }\n";
  EXPECT_TRUE(FailsAt(z, "p.yaml:6:", {"'dead_letter' must differ from 'from'"}));
}

TEST(PolicyParse, TwoRoutesSameSource) {
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n    to: a.b\n    dead_letter: a.dlq\n    rules: [{ path: a, action: redact }]\n"
      "  - from: payments.raw\n    to: c.d\n    dead_letter: c.dlq\n    rules: [{ path: a, action: redact }]\n";
  EXPECT_TRUE(FailsAt(y, "p.yaml:8:", {"'payments.raw'", "two routes"}));
}

TEST(PolicyParse, UnknownAction) {
  EXPECT_TRUE(FailsAt(OneRule("- { path: user.rrn, action: tokenise, key: rrn }"),
                      "p.yaml:8:", {"user.rrn", "'tokenise'", "did you mean 'tokenize'"}));
}

TEST(PolicyParse, UnknownOption) {
  EXPECT_TRUE(FailsAt(OneRule("- { path: user.card, action: mask, keep_frist: 6 }"),
                      "p.yaml:8:", {"'keep_frist'", "did you mean 'keep_first'"}));
  // Block style: the error points at the option's own line and column.
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n"
      "    to: analytics.payments\n"
      "    dead_letter: payments.quarantine\n"
      "    rules:\n"
      "      - path: user.card\n"  // 8
      "        action: mask\n"     // 9
      "        keep_frist: 6\n";   // 10
  EXPECT_TRUE(FailsAt(y, "p.yaml:10:9:", {"'keep_frist'", "did you mean 'keep_first'"}));
}

TEST(PolicyParse, BadOptionValuePointsAtValue) {
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n"
      "    to: analytics.payments\n"
      "    dead_letter: payments.quarantine\n"
      "    rules:\n"
      "      - path: user.card\n"   // 8
      "        action: mask\n"      // 9
      "        keep_first: abc\n";  // 10
  EXPECT_TRUE(FailsAt(y, "p.yaml:10:21:", {"keep_first"}));
}

TEST(PolicyParse, KeyMissingInKeyring) {
  EXPECT_TRUE(FailsAt(OneRule("- { path: user.rrn, action: tokenize, key: rnn }"),
                      "p.yaml:8:", {"'rnn'", "did you mean 'rrn'"}, ErrorCode::kKeyMissing));
}

TEST(PolicyParse, MissingPathOrAction) {
  EXPECT_TRUE(FailsAt(OneRule("- { action: redact }"), "p.yaml:8:", {"missing 'path'"}));
  EXPECT_TRUE(FailsAt(OneRule("- { path: a }"), "p.yaml:8:", {"missing 'action'"}));
  EXPECT_TRUE(FailsAt(OneRule("- just-a-string"), "p.yaml:8:", {"rule must be a mapping"}));
}

TEST(PolicyParse, BadPath) {
  EXPECT_TRUE(FailsAt(OneRule("- { path: \"a..b\", action: redact }"), "p.yaml:8:", {"'a..b'"}));
  EXPECT_TRUE(FailsAt(OneRule("- { path: \"a[0]\", action: redact }"), "p.yaml:8:", {"'a[0]'"}));
}

TEST(PolicyParse, DuplicatePath) {
  std::string y =
      OneRule("- { path: user.rrn, action: tokenize, key: rrn }") + "      - { path: user.rrn, action: mask }\n";  // 9
  EXPECT_TRUE(FailsAt(y, "p.yaml:9:", {"'user.rrn'", "twice"}));
}

TEST(PolicyParse, OverlappingPaths) {
  std::string y = OneRule("- { path: user, action: mask }") + "      - { path: user.rrn, action: mask }\n";
  EXPECT_TRUE(FailsAt(y, "p.yaml:9:", {"'user.rrn'", "'user'"}));
  std::string z = OneRule("- { path: user.rrn, action: mask }") + "      - { path: user, action: mask }\n";
  EXPECT_TRUE(FailsAt(z, "p.yaml:9:", {"'user'"}));
}

TEST(PolicyParse, DuplicateOptionInRule) {
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n"
      "    to: analytics.payments\n"
      "    dead_letter: payments.quarantine\n"
      "    rules:\n"
      "      - path: user.card\n"  // 8
      "        action: mask\n"     // 9
      "        keep_last: 4\n"     // 10
      "        keep_last: 2\n";    // 11
  EXPECT_TRUE(FailsAt(y, "p.yaml:11:", {"duplicate key 'keep_last'"}));
}

TEST(PolicyParse, NonScalarOptionValue) {
  EXPECT_TRUE(FailsAt(OneRule("- { path: user.card, action: mask, keep_last: [4] }"),
                      "p.yaml:8:", {"'keep_last'", "single value"}));
  EXPECT_TRUE(FailsAt(OneRule("- { path: [user], action: mask }"), "p.yaml:8:", {"'path'"}));
  EXPECT_TRUE(FailsAt(OneRule("- { path: user, action: { a: b } }"), "p.yaml:8:", {"'action'"}));
}

TEST(PolicyParse, BadVersion) {
  const std::string rest =
      "routes:\n  - from: payments.raw\n    to: analytics.payments\n    dead_letter: payments.quarantine\n"
      "    rules: [{ path: a, action: redact }]\n";
  EXPECT_TRUE(FailsAt("policy: p\nversion: 0\n" + rest, "p.yaml:2:10:", {"'version'"}));
  EXPECT_TRUE(FailsAt("policy: p\nversion: -3\n" + rest, "p.yaml:2:", {"'version'"}));
  EXPECT_TRUE(FailsAt("policy: p\nversion: abc\n" + rest, "p.yaml:2:10:", {"'version'"}));
  EXPECT_TRUE(FailsAt("policy: p\nversion: 1.5\n" + rest, "p.yaml:2:", {"'version'"}));
  EXPECT_TRUE(FailsAt("policy: p\nversion: [1]\n" + rest, "p.yaml:2:", {"'version'"}));
  EXPECT_TRUE(FailsAt("policy: p\n" + rest, "p.yaml:", {"missing 'version'"}));
}

TEST(PolicyParse, MissingOrEmptyName) {
  const std::string rest =
      "version: 1\nroutes:\n  - from: payments.raw\n    to: analytics.payments\n    dead_letter: payments.quarantine\n"
      "    rules: [{ path: a, action: redact }]\n";
  EXPECT_TRUE(FailsAt(rest, "p.yaml:", {"missing 'policy'"}));
  EXPECT_TRUE(FailsAt("policy: \"\"\n" + rest, "p.yaml:1:", {"'policy'"}));
}

TEST(PolicyParse, EmptyRulesAndRoutes) {
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n"
      "    to: analytics.payments\n"
      "    dead_letter: payments.quarantine\n"
      "    rules: []\n";  // 7
  EXPECT_TRUE(FailsAt(y, "p.yaml:7:", {"'rules'", "non-empty"}));
  EXPECT_TRUE(FailsAt("policy: p\nversion: 1\nroutes: []\n", "p.yaml:3:", {"'routes'", "non-empty"}));
  EXPECT_TRUE(FailsAt("policy: p\nversion: 1\n", "p.yaml:", {"missing 'routes'"}));
}

// `mode: null` written the natural YAML way is a YAML null, not the string
// "null"; redact documents "null" as a mode, so this must compile.
TEST(PolicyParse, RedactModeNullUnquotedCompiles) {
  auto r = Parse(OneRule("- { path: user.rrn, action: redact, mode: null }"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_FALSE((*r)->routes()[0].rules[0].action->RemovesMember());
}

TEST(PolicyParse, RedactModeNullQuotedCompiles) {
  auto r = Parse(OneRule("- { path: user.rrn, action: redact, mode: \"null\" }"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_FALSE((*r)->routes()[0].rules[0].action->RemovesMember());
}

TEST(PolicyParse, InvalidYamlSyntax) {
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - from: payments.raw\n"
      "    to: a: b\n";  // 5
  EXPECT_TRUE(FailsAt(y, "p.yaml:5:", {"invalid YAML"}));
  EXPECT_TRUE(FailsAt("- a\n- b\n", "p.yaml", {"mapping"}));
  EXPECT_TRUE(FailsAt("", "p.yaml", {}));
}

// A line indented with a tab made yaml-cpp say "illegal block entry": the
// message now says what to change. Spaces-only indentation gets no hint.
TEST(PolicyParse, ATabIndentIsNamed) {
  const std::string hint = "indented with a tab: YAML indents with spaces only";
  EXPECT_TRUE(FailsAt("policy: p\nversion: 1\nroutes:\n\t- name: a\n", "p.yaml:4:", {"invalid YAML", hint}));
  EXPECT_TRUE(FailsAt("policy: p\nversion: 1\nroutes:\n  - name: a\n \tfrom: b\n", "p.yaml:5:", {hint}));
  auto r = Parse("policy: p\nversion: 1\nroutes:\n  - from: payments.raw\n    to: a: b\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("tab"), std::string::npos) << r.error().message;
}

// A route name (or any text) with bytes that are not UTF-8 is refused at
// the byte; UTF-8 (Hangul, a BOM) is fine.
TEST(PolicyParse, BytesThatAreNotUtf8AreRefusedWhereTheyAre) {
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - name: r\xff\xfe\n"  // 4:12
      "    from: payments.raw\n    to: a\n    dead_letter: b\n    rules: [{ path: x, action: redact }]\n";
  EXPECT_TRUE(FailsAt(y, "p.yaml:4:12:", {"not UTF-8 text"}));
  std::string ok =
      "\xEF\xBB\xBFpolicy: p\nversion: 1\nroutes:\n"
      "  - name: \xEA\xB2\xB0\xEC\xA0\x9C\n"
      "    from: payments.raw\n    to: a\n    dead_letter: b\n    rules: [{ path: x, action: redact }]\n";
  auto r = Parse(ok);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
}

// Found by review: a NUL byte was reported as "invalid YAML: unknown escape
// character: \\n" on the line after it. It is refused where it is.
TEST(PolicyParse, ANulByteIsRefusedWhereItIs) {
  std::string y =
      "policy: nul\nversion: 1\nroutes:\n  - name: c\n    from: c.raw\n    to: c.out\n    dead_letter: c.dlq\n"
      "    rules:\n      - { path: name, action: redact }\n";
  y += std::string(1, '\0') + "\n      - { path: rrn, action: tokenize, key: rrn }\n";  // 10:1
  EXPECT_TRUE(FailsAt(y, "p.yaml:10:1:", {"NUL byte"}));
  EXPECT_TRUE(
      FailsAt(std::string("policy: p\nversion: 1") + std::string(1, '\0') + "\n", "p.yaml:2:11:", {"NUL byte"}));
}

TEST(PolicyParse, ErrorMessagesNeverContainKeyMaterial) {
  auto r = Parse(OneRule("- { path: user.rrn, action: tokenize, key: rnn }"));
  ASSERT_FALSE(r.ok());
  for (uint8_t first = 0; first < 7 * 32; first = static_cast<uint8_t>(first + 32))
    EXPECT_EQ(r.error().message.find(KeyMaterialAt(first)), std::string::npos);
}

TEST(PolicyLoad, MissingFile) {
  auto r = Policy::Load("/nonexistent/dir/p.yaml", Keys());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPolicyUnreadable);
  EXPECT_NE(r.error().message.find("/nonexistent/dir/p.yaml"), std::string::npos);
}

// A huge policy is refused before it is parsed (parsing takes about 90 times
// a file's size in memory; found by review: 8.7 MB peaked at 797 MB).
TEST(PolicyLoad, AFileOverTheDocumentLimitIsRefused) {
  const std::filesystem::path f = std::filesystem::temp_directory_path() / "maskproxy-huge-policy.yaml";
  {
    std::ofstream out(f);
    const std::string line(1023, '#');
    for (size_t i = 0; i <= file::kMaxDocumentBytes / 1024; ++i) out << line << "\n";
  }
  auto r = Policy::Load(f.string(), Keys());
  std::filesystem::remove(f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPolicyUnreadable);
  EXPECT_NE(r.error().message.find("larger than"), std::string::npos) << r.error().message;
}

TEST(PolicyLoad, ShippedPoliciesCompile) {
  const std::filesystem::path dir = std::filesystem::path(MASKPROXY_SOURCE_DIR) / "policies";
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  }
  ASSERT_GE(files.size(), 3u) << "the shipped policies (payments, transfers, support) are not in " << dir;
  for (const auto& f : files) {
    auto r = Policy::Load(f.string(), Keys());
    EXPECT_TRUE(r.ok()) << f << ": " << (r.ok() ? "" : r.error().ToString());
    if (r.ok()) {
      EXPECT_FALSE((*r)->routes().empty()) << f;
      EXPECT_EQ((*r)->origin(), f.string());
    }
  }
}

// Routes and rules repeated through aliases are counted each time they are
// used, and a file with too many is refused at once; errors beyond the first
// 200 are counted, not listed; a route pattern too large to compile cheaply,
// and YAML nested past the parser's limit, get a message that says so
// (found by review: a 11 KB file of aliases took 5.8 s and 227 MB, a
// 900-byte pattern 46 s and 1.1 GB, and deep nesting said "bad file").
TEST(PolicyLimits, AliasedRulesRoutePatternsAndNestingAreBounded) {
  auto aliased = [](int k, int n) {
    std::string y =
        "policy: p\nversion: 1\nx: &r\n  from: a.raw\n  to: a.out\n  dead_letter: a.dlq\n  rules: [&x "
        "{path: a, action: redact}";
    for (int i = 1; i < k; ++i) y += ", *x";
    y += "]\nroutes: [";
    for (int i = 0; i < n; ++i) y += (i ? ", *r" : "*r");
    return y + "]\n";
  };
  auto big = Policy::Parse(aliased(1000, 1000), "p.yaml", Keys());
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("1000000 rules (YAML aliases counted each time they are used)"), std::string::npos)
      << big.error().message.substr(0, 300);
  auto many = Policy::Parse(aliased(300, 2), "p.yaml", Keys());
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.error().message.find("more errors not shown)"), std::string::npos);
  // Every line starts with its location, the count too (fuzz_policy's oracle).
  const std::string& text = many.error().message;
  for (size_t b = 0; b < text.size();) {
    const size_t e = std::min(text.find('\n', b), text.size());
    EXPECT_NE(text.compare(b, 1, "("), 0) << text.substr(b, e - b);
    b = e + 1;
  }
  EXPECT_LT(many.error().message.size(), 200u * 200u);
  std::string pattern = "^";
  for (int i = 0; i < 16; ++i) pattern += "[a-z]{0,1000}";
  EXPECT_TRUE(FailsAt("policy: p\nversion: 1\nroutes:\n  - from: '" + pattern +
                          "x$'\n    to: a.out\n    dead_letter: a.dlq\n    rules: [{ path: a, action: redact }]\n",
                      "p.yaml:4:", {"'from' pattern is too large"}));
  const std::string deep =
      "policy: p\nversion: 1\ndescription: " + std::string(600, '[') + std::string(600, ']') + "\nroutes: []\n";
  auto d = Policy::Parse(deep, "p.yaml", Keys());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("nested too deeply"), std::string::npos) << d.error().message;
}

// Pattern routes together are bounded per file, each under its own limit
// (found by review: 500 routes of '^tN[a-z]{1,995}$', ~2,000 RE2
// instructions each, took 6.8 s to load through the playground, 9,400 more
// than 60 s and 575 MB, while the admin listener waited). Refused at the
// first route past the limit, before it compiles; the limits are inclusive.
std::string PatternRoutes(int n, const std::string& body) {
  std::string y = "policy: p\nversion: 1\nroutes:\n";
  for (int i = 0; i < n; ++i)
    y += "  - from: '^t" + std::to_string(i) + body + "$'\n    to: o" + std::to_string(i) + "\n    dead_letter: d" +
         std::to_string(i) + "\n    rules: [{ path: a, action: redact }]\n";
  return y;
}

TEST(PolicyLimits, PatternRoutesTogetherAreBounded) {
  const auto t0 = std::chrono::steady_clock::now();
  auto big = Parse(PatternRoutes(500, "[a-z]{1,995}"));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(big.ok()) << "500 patterns of ~2,000 instructions each were accepted";
  EXPECT_EQ(big.error().code, ErrorCode::kPolicyInvalid);
  // The 26th route (line 3 + 25 * 4 + 1) is the first past 50,000.
  EXPECT_EQ(
      big.error().message.rfind("p.yaml:104:11: this route's 'from' pattern makes 26 pattern routes of about ", 0), 0u)
      << big.error().message.substr(0, 300);
  EXPECT_NE(big.error().message.find("at most 500 pattern routes and 50000 instructions per file"), std::string::npos)
      << big.error().message.substr(0, 300);
  EXPECT_EQ(big.error().message.find('\n'), std::string::npos) << "reported more than once";
  EXPECT_LT(ms, 3000) << "the patterns past the limit were compiled";

  auto many = Parse(PatternRoutes(501, "\\.raw"));
  ASSERT_FALSE(many.ok()) << "501 pattern routes were accepted";
  EXPECT_EQ(many.error().message.rfind("p.yaml:2004:11: this route's 'from' pattern makes 501 pattern routes", 0), 0u)
      << many.error().message.substr(0, 300);

  auto most = Parse(PatternRoutes(500, "\\.raw"));
  ASSERT_TRUE(most.ok()) << most.error().message.substr(0, 300);
  EXPECT_EQ((*most)->routes().size(), 500u);
  auto within = Parse(PatternRoutes(25, "[a-z]{1,995}"));
  EXPECT_TRUE(within.ok()) << within.error().message.substr(0, 300);
}

// MatchingTopics looks only at a pattern's possible range: it finds what
// trying every topic finds.
TEST(PolicyRoutes, MatchingTopicsFindsWhatEveryTopicTriedFinds) {
  const std::vector<std::string> patterns = {
      "^a\\.[a-z]+$", "^.*raw$",  "^(x|y)z[0-9]{2}$",      "^a(b|c)*d$", "^[a-c]+\\.out$", "^ab?c$",      "^zz.*",
      "^[_a-z]+_$",   "^[0-9].*", "^(b|a.x|z)[a-z]{0,3}$", "^a.+",       "^.?z.*q$",       "^A[A-Za-z]*$"};
  std::set<std::string> topics;
  const std::vector<std::string> parts = {"a", "b", "c", "d", "z",   "q",   "x",  "y",  "A",  "Z",  "0",
                                          "9", ".", "_", "-", "raw", "out", "ab", "zz", "z1", "z12"};
  for (const auto& p1 : parts)
    for (const auto& p2 : parts) {
      topics.insert(p1 + p2);
      for (const auto& p3 : parts) topics.insert(p1 + p2 + p3);
    }
  std::string y = "policy: p\nversion: 1\nroutes:\n";
  for (size_t i = 0; i < patterns.size(); ++i)
    y += "  - from: '" + patterns[i] + "'\n    to: -o" + std::to_string(i) + "\n    dead_letter: -d" +
         std::to_string(i) + "\n    rules: [{ path: a, action: redact }]\n";
  auto p = Parse(y);
  ASSERT_TRUE(p.ok()) << p.error().message;
  for (const auto& r : (*p)->routes()) {
    ASSERT_TRUE(r.from_re) << r.from;
    std::vector<std::string> expected;
    for (const auto& t : topics)
      if (SourceMatches(r, t)) expected.push_back(t);
    EXPECT_EQ(MatchingTopics(r, topics), expected) << r.from;
    EXPECT_FALSE(expected.empty()) << r.from;
  }
}

}  // namespace
}  // namespace maskproxy::policy

namespace maskproxy::policy {
namespace {

// Names in a policy are the author's text: a key, a topic, an action or a
// detector name may hold a line break, a NUL, a terminal escape, a
// bidirectional override or bytes that are not UTF-8. Every error still
// reads as one line per error, each starting with its location, and the odd
// character is shown escaped. A fuzzer found a key holding a NUL and a quote
// that started an unlocated line.
TEST(PolicyParse, NamesFromTheFileCannotBreakOrHideAnErrorLine) {
  struct Case {
    std::string yaml, shown;
  };
  const std::string head = "policy: p\nversion: 1\n";
  const std::vector<Case> cases = {
      {head + "\"a\\nb.yaml:9:9: forged\": 1\n", "unknown key 'a\\nb.yaml:9:9: forged'"},
      {head + "\"x'\\0\\ny\": 1\n", "unknown key 'x'\\x00\\ny'"},
      {head + "\"rrn\\u202E\\e[2J\": 1\n", "unknown key 'rrn\\u{202E}\\x1B[2J'"},
      {head + "pol\x92\x8f: 1\n", "p.yaml:3:4: not UTF-8 text"},  // refused before any name is read
      // yaml-cpp decodes \\N (NEL) to the single byte 0x85, not UTF-8.
      {head + "\"line\\Lsep\\Npara\": 1\n", "unknown key 'line\\u{2028}sep\\x85para'"},
      {OneRule("- { path: a, action: \"tok\\nenize\" }"), "tok\\nenize"},
      {OneRule("- { path: a, action: mask, \"keep\\rlast\": 4 }"), "keep\\rlast"},
      {OneRule("- { path: \"a\\u2066\\n..b\", action: redact }"), "a\\u{2066}\\n..b"},
      {OneRule("- { path: a, action: redact }") + "tests:\n  - { name: t, route: \"pay\\nments\", input: {} }\n",
       "no route named 'pay\\nments'"},
  };
  for (const auto& c : cases) {
    auto r = Parse(c.yaml);
    ASSERT_FALSE(r.ok()) << c.shown;
    const std::string& m = r.error().message;
    EXPECT_NE(m.find(c.shown), std::string::npos) << m;
    for (size_t b = 0, e; b < m.size(); b = e + 1) {
      e = m.find('\n', b);
      if (e == std::string::npos) e = m.size();
      const std::string line = m.substr(b, e - b);
      EXPECT_TRUE(std::regex_search(line, std::regex("^p\\.yaml:[1-9][0-9]*:[1-9][0-9]*: "))) << line;
      for (unsigned char ch : line) EXPECT_FALSE(ch < 0x20 || ch == 0x7f) << line;
    }
  }
}

// A route's name is a metric label, a log field and what a reveal names: a
// line break or a bidirectional override in it is refused.
TEST(PolicyParse, RouteNamesMustBeVisibleUtf8) {
  for (const char* name : {"\"pay\\nments\"", "\"pay\\u202Ements\"", "\"pay\\u200Bments\""}) {
    EXPECT_TRUE(FailsAt(std::string("policy: p\nversion: 1\nroutes:\n  - name: ") + name +
                            "\n    from: a.raw\n    to: a.out\n    dead_letter: a.dlq\n"
                            "    rules: [{ path: a, action: redact }]\n",
                        "p.yaml:4:11:", {"route name at character 4"}))
        << name;
  }
}

// A rule's or binary's header name with a character a reader does not see
// would name another header than the one it shows; one that is not UTF-8
// names none. Both are refused where they are written.
TEST(PolicyParse, HeaderNamesMustBeVisibleUtf8) {
  EXPECT_TRUE(FailsAt(OneRule("- { path: \"$header.customer-id\\u200B\", action: redact }"),
                      "p.yaml:8:17:", {"header name 'customer-id\\u{200B}' at character 12", "U+200B"}));
  EXPECT_TRUE(FailsAt(OneRule("- { path: \"$header.\\e[2Jtrace\", action: redact }"),
                      "p.yaml:8:17:", {"at character 1", "U+001B"}));
  // (Raw bytes that are not UTF-8 are refused before; yaml-cpp decodes the
  // escape \N to the single byte 0x85.)
  EXPECT_TRUE(FailsAt(OneRule("- { path: \"$header.id\\N\", action: redact }"),
                      "p.yaml:8:17:", {"header name 'id\\x85' at character 3: a byte that is not UTF-8"}));
  EXPECT_TRUE(
      FailsAt("policy: p\nversion: 1\nroutes:\n  - from: a.raw\n    to: a.out\n    dead_letter: a.dlq\n"
              "    unlisted_fields: drop\n    rules: [{ path: a, action: redact }]\n"
              "    binary: { \"$header.trace\\u202Ebin\": pass }\n",
              "p.yaml:9:15:", {"U+202E"}));
  // Visible names, Hangul among them, are fine.
  auto r = Parse(OneRule("- { path: $header.고객-id, action: redact }"));
  EXPECT_TRUE(r.ok()) << r.error().ToString();
}

// A header declared binary whose name only folds to a ruled header's
// (x_phone beside a rule on x-phone, full-width or upper case with '_') would
// pass in the clear what a reader takes for the ruled header: refused.
TEST(PolicyParse, ABinaryHeaderThatFoldsToARuledOneIsRefused) {
  for (const char* name : {"x_phone", "X_PHONE", "\\uFF58-phone", "x\\uFF0Dphone"}) {
    EXPECT_TRUE(FailsAt(std::string("policy: p\nversion: 1\nroutes:\n  - from: a.raw\n    to: a.out\n"
                                    "    dead_letter: a.dlq\n    unlisted_fields: scan\n"
                                    "    rules: [{ path: $header.x-phone, action: redact }]\n"
                                    "    binary: { \"$header.") +
                            name + "\": pass }\n",
                        "p.yaml:9:15:", {"reads as '$header.x-phone' (line 8)", "cannot be binary"}))
        << name;
  }
  // Another header is fine.
  auto r = Parse(
      "policy: p\nversion: 1\nroutes:\n  - from: a.raw\n    to: a.out\n    dead_letter: a.dlq\n"
      "    unlisted_fields: scan\n    rules: [{ path: $header.x-phone, action: redact }]\n"
      "    binary: { \"$header.x_phone_bin\": pass }\n");
  EXPECT_TRUE(r.ok()) << r.error().ToString();
}

TEST(PolicyParse, ReportsEveryErrorWithItsLocation) {
  std::string y =
      "policy: p\n"                                                   // 1
      "version: 1\n"                                                  // 2
      "routes:\n"                                                     // 3
      "  - from: payments.raw\n"                                      // 4
      "    to: analytics.payments\n"                                  // 5
      "    dead_letter: payments.quarantine\n"                        // 6
      "    rules:\n"                                                  // 7
      "      - { path: user.rrn, action: tokenise, key: rrn }\n"      // 8
      "      - { path: user.card, action: mask, keep_frist: 6 }\n"    // 9
      "      - { path: user.phone, action: tokenize, key: phnoe }\n"  // 10
      "      - { path: user.email, action: redact }\n"                // 11
      "      - { path: user.email, action: redact }\n"                // 12
      "  - from: orders.raw\n"                                        // 13
      "    to: orders.raw\n"                                          // 14
      "    dead_letter: orders.dlq\n"                                 // 15
      "    rules: [{ path: a, action: redact }]\n";                   // 16
  auto r = Parse(y);
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  std::vector<std::string> lines;
  for (size_t b = 0, e; b < m.size(); b = e + 1) {
    e = m.find('\n', b);
    if (e == std::string::npos) e = m.size();
    lines.push_back(m.substr(b, e - b));
  }
  ASSERT_EQ(lines.size(), 5u) << m;
  EXPECT_EQ(lines[0].rfind("p.yaml:8:", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("did you mean 'tokenize'"), std::string::npos);
  EXPECT_EQ(lines[1].rfind("p.yaml:9:", 0), 0u) << lines[1];
  EXPECT_NE(lines[1].find("'keep_frist'"), std::string::npos);
  EXPECT_EQ(lines[2].rfind("p.yaml:10:", 0), 0u) << lines[2];
  EXPECT_NE(lines[2].find("did you mean 'phone'"), std::string::npos);
  EXPECT_EQ(lines[3].rfind("p.yaml:12:", 0), 0u) << lines[3];
  EXPECT_EQ(lines[4].rfind("p.yaml:14:", 0), 0u) << lines[4];
  EXPECT_EQ(r.error().code, ErrorCode::kPolicyInvalid);
}

// An error of a route's own (an unknown key, a missing part, a topic
// conflict), of a rule's path, or a second route on one source used to
// stop the checks of the rest: the author fixed one error per run.
TEST(PolicyParse, ARouteErrorDoesNotHideTheOthers) {
  std::string y =
      "policy: p\n"                                                   // 1
      "version: 1\n"                                                  // 2
      "routes:\n"                                                     // 3
      "  - name: r1\n"                                                // 4
      "    from: a.raw\n"                                             // 5
      "    to: a.raw\n"                                               // 6
      "    dead_letter: a.dlq\n"                                      // 7
      "    colour: red\n"                                             // 8
      "    flavour: 1\n"                                              // 9
      "    rules:\n"                                                  // 10
      "      - { path: user.rrn, action: tokenise, key: rrn }\n"      // 11
      "      - { path: \"user..x\", action: mask, keep_frist: 2 }\n"  // 12
      "  - name: r1\n"                                                // 13
      "    from: a.raw\n"                                             // 14
      "    to: b.out\n"                                               // 15
      "    rules: {}\n"                                               // 16
      "  - from: c.raw\n"                                             // 17
      "    to: c.out\n"                                               // 18
      "    dead_letter: c.dlq\n"                                      // 19
      "    rules: [{ path: a, action: redact, mode: bogus }]\n";      // 20
  auto r = Parse(y);
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  for (const char* want : {"p.yaml:8:5: unknown key 'colour' in route", "p.yaml:9:5: unknown key 'flavour' in route",
                           "p.yaml:6:9: 'to' must differ from 'from'", "p.yaml:11:", "did you mean 'tokenize'",
                           "p.yaml:12:17: path", "p.yaml:12:", "'keep_frist'",
                           "p.yaml:14:11: topic 'a.raw' has two routes", "p.yaml:13:", "missing 'dead_letter'",
                           "p.yaml:16:12: 'rules' must be a non-empty list", "p.yaml:20:", "'mode' must be one of"})
    EXPECT_NE(m.find(want), std::string::npos) << want << "\n" << m;
  // The second route's name repeats the first's, but its source already
  // repeats: one error for the pair, not two.
  EXPECT_EQ(m.find("two routes are named"), std::string::npos) << m;
}

// Two routes named alike are reported even when either has other errors.
TEST(PolicyParse, TwoRoutesOfOneNameAreReportedWithTheirOtherErrors) {
  auto r = Parse(
      "policy: p\nversion: 1\nroutes:\n"
      "  - { name: r, from: a.raw, to: a.out, dead_letter: a.dlq, rules: [{ path: a, action: redact, mode: x }] }\n"
      "  - { name: r, from: b.raw, to: b.out, dead_letter: b.dlq, rules: [{ path: a, action: redact }] }\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("p.yaml:4:"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("p.yaml:5:13: two routes are named 'r'"), std::string::npos) << r.error().message;
}

// A quoted key with dots names, to a reader that expands dotted names, the
// field another rule names: a keep of ["user.rrn"] beside user.rrn passed
// the record's dotted "user.rrn" raw (found by review). Refused at load.
TEST(PolicyParse, PathsThatMeetOnceDotsAreExpandedConflict) {
  for (const char* rules : {"[{ path: user.rrn, action: redact }, { path: '[\"user.rrn\"]', action: keep }]",
                            "[{ path: meta.a.b, action: redact }, { path: 'meta[\"a.b\"]', action: keep }]",
                            "[{ path: user, action: redact }, { path: '[\"user.rrn\"]', action: keep }]",
                            "[{ path: '[\"a.b\"]', action: keep }, { path: a.b.c, action: redact }]"}) {
    auto r = Parse(std::string("policy: p\nversion: 1\nroutes:\n  - from: a.raw\n    to: a.out\n    dead_letter: "
                               "a.dlq\n    rules: ") +
                   rules + "\n");
    ASSERT_FALSE(r.ok()) << rules;
    EXPECT_NE(r.error().message.find("dotted names expanded"), std::string::npos) << r.error().message;
  }
  auto ok = Parse(
      "policy: p\nversion: 1\nroutes:\n  - from: a.raw\n    to: a.out\n    dead_letter: a.dlq\n    rules: "
      "[{ path: user.rrn, action: redact }, { path: '[\"user.rr\"]', action: keep }]\n");
  EXPECT_TRUE(ok.ok()) << ok.error().ToString();
  // A dotted name is one member, not the object it spells: its expansion is
  // not held to the shapes other rules read (found by review: the array /
  // object check refused these, which loaded and masked before). The same
  // shapes without the quotes conflict.
  for (const char* rules : {"[{ path: 'recipients[*].phone', action: redact }, { path: '[\"recipients.count\"]', "
                            "action: keep }]",
                            "[{ path: '[\"recipients.0.phone\"]', action: redact }, { path: '[\"recipients.count\"]', "
                            "action: keep }]"}) {
    auto dotted = Parse(std::string("policy: p\nversion: 1\nroutes:\n  - from: a.raw\n    to: a.out\n    "
                                    "dead_letter: a.dlq\n    rules: ") +
                        rules + "\n");
    EXPECT_TRUE(dotted.ok()) << rules << ": " << dotted.error().ToString();
  }
  auto shapes = Parse(
      "policy: p\nversion: 1\nroutes:\n  - from: a.raw\n    to: a.out\n    dead_letter: a.dlq\n    rules: "
      "[{ path: 'recipients[*].phone', action: redact }, { path: recipients.count, action: keep }]\n");
  ASSERT_FALSE(shapes.ok());
  EXPECT_NE(shapes.error().message.find("as an object where"), std::string::npos) << shapes.error().message;
}

// yaml-cpp drops a tag and hands the text as written: `path: !!binary
// dXNlci5ycm4=` protected the member "dXNlci5ycm4=" (found by review).
TEST(PolicyParse, YamlTagsAreRefused) {
  for (const char* rule : {"- { path: !!binary dXNlci5ycm4=, action: redact }", "- { path: !!null a, action: redact }",
                           "- { path: a, action: !custom redact }", "- !!map { path: a, action: redact }",
                           "- { path: a, action: redact, mode: !!str constant, value: x }"}) {
    auto r = Parse(OneRule(rule));
    ASSERT_FALSE(r.ok()) << rule;
    EXPECT_NE(r.error().message.find("YAML tag"), std::string::npos) << r.error().message;
  }
  auto route = Parse(
      "policy: p\nversion: 1\nroutes:\n  - from: !!str a.raw\n    to: a.out\n    dead_letter: a.dlq\n    rules: "
      "[{ path: a, action: redact }]\n");
  ASSERT_FALSE(route.ok());
  EXPECT_NE(route.error().message.find("p.yaml:4:11: YAML tag"), std::string::npos) << route.error().message;
}

// yaml-cpp has no merge keys: `<<: *base` was "missing 'action'" or "did you
// mean 'to'?" (found by review).
TEST(PolicyParse, MergeKeysAreNamed) {
  auto rule = Parse(OneRule("- { <<: {action: redact}, path: a }"));
  ASSERT_FALSE(rule.ok());
  EXPECT_NE(rule.error().message.find("p.yaml:8:11: YAML merge keys (<<) are not supported"), std::string::npos)
      << rule.error().message;
  auto route = Parse(
      "policy: p\nversion: 1\nroutes:\n  - <<: {to: a.out}\n    from: a.raw\n    dead_letter: a.dlq\n    rules: "
      "[{ path: a, action: redact }]\n");
  ASSERT_FALSE(route.ok());
  EXPECT_NE(route.error().message.find("p.yaml:4:5: YAML merge keys"), std::string::npos) << route.error().message;
}

// A pattern route listed after a more general one gets none of the topics
// both match: warned (found by review; its tests passed without a topic).
TEST(PolicyParse, APatternRouteShadowedByAnEarlierOneIsWarnedAbout) {
  auto route = [](const std::string& name, const std::string& from) {
    return "  - { name: " + name + ", from: '" + from + "', to: " + name + ".out, dead_letter: " + name +
           ".dlq, rules: [{ path: a, action: redact }] }\n";
  };
  const std::string head = "policy: p\nversion: 1\nroutes:\n";
  auto shadowed = Parse(head + route("all", "^payments\\..*$") + route("cards", "^payments\\.cards\\..*$"));
  ASSERT_TRUE(shadowed.ok()) << shadowed.error().ToString();
  ASSERT_EQ((*shadowed)->warnings().size(), 1u);
  EXPECT_NE((*shadowed)->warnings()[0].find("p.yaml:5:"), std::string::npos) << (*shadowed)->warnings()[0];
  EXPECT_NE((*shadowed)->warnings()[0].find("route 'cards' reads a topic such as 'payments.cards.'"), std::string::npos)
      << (*shadowed)->warnings()[0];
  auto same = Parse(head + route("a", "^a\\.raw$") + route("b", "^(a\\.raw)$"));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ((*same)->warnings().size(), 1u);
  // The specific pattern first: each gets its topics.
  auto ordered = Parse(head + route("cards", "^payments\\.cards\\..*$") + route("all", "^payments\\..*$"));
  ASSERT_TRUE(ordered.ok());
  EXPECT_TRUE((*ordered)->warnings().empty()) << (*ordered)->warnings()[0];
}

// The same, for the spellings of a second review: an index or [..] inside a
// quoted key, empty parts, a dot that folds to one.
TEST(PolicyParse, QuotedKeysAreExpandedAsFlattenersDo) {
  for (const char* rules : {"[{ path: 'items[*].ssn', action: redact }, { path: '[\"items[0]\"].ssn', action: keep }]",
                            "[{ path: 'items[*].ssn', action: redact }, { path: '[\"items.0\"].ssn', action: keep }]",
                            "[{ path: user.rrn, action: redact }, { path: 'user[\"rrn[0]\"]', action: keep }]",
                            "[{ path: user.rrn, action: redact }, { path: '[\"user..rrn\"]', action: keep }]",
                            "[{ path: user.rrn, action: redact }, { path: '[\"user\\u2024rrn\"]', action: keep }]"}) {
    auto r = Parse(std::string("policy: p\nversion: 1\nroutes:\n  - from: a.raw\n    to: a.out\n    dead_letter: "
                               "a.dlq\n    rules: ") +
                   rules + "\n");
    ASSERT_FALSE(r.ok()) << rules;
    EXPECT_NE(r.error().message.find("dotted names expanded"), std::string::npos) << r.error().message;
  }
}

// Patterns GNU regcomp reads otherwise than RE2 (found by a second review):
// \< \> word anchors, a backslash inside brackets, [= =] and [. .], {,n}.
// `^(raw|out)\.\<pay` passed the check that 'to' is not read again.
TEST(PolicyParse, PatternsTheTwoDialectsReadOtherwiseAreRefused) {
  for (const char* from :
       {"'^(raw|out)\\.\\<pay'", "'^t\\>.x'", "'^[a\\-z]$'", "'^[[=a=]]$'", "'^[[.-.]]$'", "'^a{,3}$'"}) {
    auto r = Parse(std::string("policy: p\nversion: 1\nroutes:\n  - from: ") + from +
                   "\n    to: out.pay\n    dead_letter: d.dlq\n    rules: [{ path: a, action: redact }]\n");
    ASSERT_FALSE(r.ok()) << from;
    EXPECT_NE(r.error().message.find("POSIX extended regular expression"), std::string::npos)
        << from << ": " << r.error().message;
  }
  for (const char* from : {"'^[[:alpha:]]+\\.raw$'", "'^[^.]+\\.raw$'", "'^[]a]\\.raw$'", "'^a{0,3}\\.raw$'"}) {
    auto r = Parse(std::string("policy: p\nversion: 1\nroutes:\n  - from: ") + from +
                   "\n    to: out.pay\n    dead_letter: d.dlq\n    rules: [{ path: a, action: redact }]\n");
    EXPECT_TRUE(r.ok()) << from << ": " << r.error().ToString();
  }
}

TEST(PolicyParse, YamlTagsUnderBinaryAreRefused) {
  auto r = Parse(
      "policy: p\nversion: 1\nroutes:\n  - from: a.raw\n    to: a.out\n    dead_letter: a.dlq\n"
      "    unlisted_fields: scan\n    rules: [{ path: a, action: redact }]\n"
      "    binary: { $key: !custom drop }\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("YAML tag"), std::string::npos) << r.error().message;
}

TEST(PolicyParse, UnlistedFieldsAndApplyTo) {
  auto with = [](const std::string& unlisted, const std::string& rule) {
    return "policy: p\nversion: 1\nroutes:\n  - from: a.raw\n    to: a.out\n    dead_letter: a.dlq\n"
           "    unlisted_fields: " +
           unlisted + "\n    rules:\n      " + rule + "\n";
  };
  auto keep = Parse(with("keep", "- { path: user, action: redact, apply_to: leaves }"));
  ASSERT_TRUE(keep.ok()) << keep.error().ToString();
  EXPECT_EQ((*keep)->routes()[0].unlisted, Unlisted::kKeep);
  EXPECT_FALSE((*keep)->routes()[0].rules[0].whole);
  auto drop = Parse(with("drop", "- { path: user, action: keep, apply_to: whole }"));
  ASSERT_TRUE(drop.ok()) << drop.error().ToString();
  EXPECT_EQ((*drop)->routes()[0].unlisted, Unlisted::kDrop);
  EXPECT_TRUE((*drop)->routes()[0].rules[0].whole);
  EXPECT_TRUE(FailsAt(with("scna", "- { path: a, action: redact }"), "p.yaml:7:22:", {"keep", "drop"}));
  EXPECT_TRUE(FailsAt(with("keep", "- { path: a, action: redact, apply_to: all }"), "p.yaml:9:", {"'apply_to'"}));
}

const char kTested[] =
    "policy: p\n"                                                             // 1
    "version: 1\n"                                                            // 2
    "routes:\n"                                                               // 3
    "  - name: payments\n"                                                    // 4
    "    from: payments.raw\n"                                                // 5
    "    to: analytics.payments\n"                                            // 6
    "    dead_letter: payments.quarantine\n"                                  // 7
    "    rules:\n"                                                            // 8
    "      - { path: card, action: mask, keep_last: 4 }\n"                    // 9
    "tests:\n"                                                                // 10
    "  - name: card\n"                                                        // 11
    "    route: payments\n"                                                   // 12
    "    input: { card: \"5412 7512\", n: 12, ok: true, z: ~, s: \"12\" }\n"  // 13
    "    expect: { card: !match '^\\*{4} 7512$', n: 12 }\n"                   // 14
    "  - name: tombstone\n"                                                   // 15
    "    route: payments.raw\n"                                               // 16
    "    input: ~\n"                                                          // 17
    "    key: k1\n"                                                           // 18
    "    expect_key: k1\n"                                                    // 19
    "  - name: bad json\n"                                                    // 20
    "    route: payments\n"                                                   // 21
    "    input_json: '{\"card\": '\n"                                         // 22
    "    expect_dead_letter: invalid_json\n";                                 // 23

TEST(PolicyTests, ParsedWithTypes) {
  auto r = Parse(kTested);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const auto& tests = (*r)->tests();
  ASSERT_EQ(tests.size(), 3u);
  EXPECT_EQ(tests[0].name, "card");
  EXPECT_EQ(tests[0].line, 11);
  ASSERT_TRUE(tests[0].input.has_value());
  // Plain YAML scalars that read as JSON literals stay literals; quoted ones are strings.
  EXPECT_EQ(*tests[0].input, R"({"card":"5412 7512","n":12,"ok":true,"z":null,"s":"12"})");
  ASSERT_TRUE(tests[0].expect.has_value());
  ASSERT_EQ(tests[0].expect->members.size(), 2u);
  EXPECT_EQ(tests[0].expect->members[0].second.kind, Expected::Kind::kMatch);
  EXPECT_EQ(tests[0].expect->members[1].second.kind, Expected::Kind::kLiteral);
  EXPECT_FALSE(tests[1].input.has_value()) << "input: ~ is a tombstone";
  EXPECT_EQ(tests[1].key, "k1");
  EXPECT_EQ(tests[2].input, "{\"card\": ");
  EXPECT_EQ(tests[2].expect_dead_letter, "invalid_json");
  EXPECT_EQ((*r)->FindRoute("payments"), &(*r)->routes()[0]);
  EXPECT_EQ((*r)->FindRoute("payments.raw"), &(*r)->routes()[0]);
  EXPECT_EQ((*r)->FindRoute("nope"), nullptr);
}

TEST(PolicyTests, Errors) {
  std::string head(kTested, std::string(kTested).find("tests:\n"));
  EXPECT_TRUE(FailsAt(head + "tests:\n  - name: t\n    route: paymnets\n    input: {}\n    expect: {}\n",
                      "p.yaml:12:12:", {"no route named 'paymnets'", "did you mean 'payments'"}));
  EXPECT_TRUE(
      FailsAt(head + "tests:\n  - name: t\n    route: payments\n    input: {}\n", "p.yaml:11:", {"needs 'expect'"}));
  EXPECT_TRUE(
      FailsAt(head + "tests:\n  - name: t\n    route: payments\n    expect: {}\n", "p.yaml:11:", {"missing 'input'"}));
  EXPECT_TRUE(FailsAt(head + "tests:\n  - name: t\n    route: payments\n    input: {}\n    expcet: {}\n",
                      "p.yaml:14:5:", {"did you mean 'expect'"}));
  EXPECT_TRUE(FailsAt(head + "tests:\n  - name: t\n    route: payments\n    input: {}\n    expect: { a: !regex x }\n",
                      "p.yaml:14:", {"'!regex'"}));
  EXPECT_TRUE(FailsAt(head + "tests:\n  - name: t\n    route: payments\n    input: {}\n    expect: { a: !match '(' }\n",
                      "p.yaml:14:", {"regular expression"}));
  EXPECT_TRUE(FailsAt(head + "tests:\n  - {name: t, route: payments, input: {}, expect: {}}\n"
                             "  - {name: t, route: payments, input: {}, expect: {}}\n",
                      "p.yaml:12:", {"two tests are named 't'"}));
  EXPECT_TRUE(FailsAt(head + "tests: {}\n", "p.yaml:10:8:", {"'tests' must be a list"}));
  // Beside expect_dead_letter, nothing of the output is expected (it has none).
  const std::string dead = head + "tests:\n  - name: t\n    route: payments\n    input_json: 'x'\n" +
                           "    expect_dead_letter: invalid_json\n";
  EXPECT_TRUE(FailsAt(dead + "    expect: {}\n", "p.yaml:15:13:", {"'expect' or 'expect_dead_letter'"}));
  EXPECT_TRUE(FailsAt(dead + "    expect_key: k\n", "p.yaml:15:17:", {"'expect_key' or 'expect_dead_letter'"}));
  EXPECT_TRUE(
      FailsAt(dead + "    expect_headers: { a: b }\n", "p.yaml:15:21:", {"'expect_headers' or 'expect_dead_letter'"}));
  EXPECT_TRUE(
      FailsAt(dead + "    expect_headers: {}\n", "p.yaml:15:21:", {"'expect_headers' or 'expect_dead_letter'"}));
  // A reason no record is dead-lettered with (found by review: accepted, and
  // the test could only fail).
  EXPECT_TRUE(FailsAt(head + "tests:\n  - name: t\n    route: payments\n    input_json: 'x'\n" +
                          "    expect_dead_letter: totally_bogus\n",
                      "p.yaml:14:25:", {"unknown reason code 'totally_bogus'"}));
  // A key or headers given and not expected were never checked (found by
  // review: a test passed with an RRN in a header of the output).
  EXPECT_TRUE(FailsAt(head + "tests:\n  - name: t\n    route: payments\n    input: {}\n    expect: {}\n" +
                          "    headers: { x-other: 900101-1234568 }\n",
                      "p.yaml:15:14:", {"needs 'expect_headers'"}));
  EXPECT_TRUE(FailsAt(
      head + "tests:\n  - name: t\n    route: payments\n    input: {}\n    expect: {}\n" + "    key: 900101-1234568\n",
      "p.yaml:15:10:", {"needs 'expect_key'"}));
}

// A pattern is not a topic: a test of a pattern route, named by its name or
// its `from`, gives the topic to mask as.
TEST(PolicyTests, APatternRouteTestMasksAsATopicThePatternMatches) {
  const std::string head =
      "policy: p\nversion: 1\nroutes:\n"
      "  - { name: cards, from: '^payments\\.cards\\..*$', to: c.out, dead_letter: c.dlq,\n"
      "      rules: [{ path: card, action: keep }] }\n"
      "  - { name: any, from: '^x(a|b)y$', to: x.out, dead_letter: x.dlq, rules: [{ path: card, action: keep }] }\n"
      "tests:\n";
  // Without a topic: the shortest topic the pattern matches, so the runner's
  // routing check applies (the pattern text is not a topic; masking as it
  // skipped the check, and a shadowed route's tests passed).
  auto derived = Parse(head + "  - { name: t, route: cards, input: {}, expect: {} }\n" +
                       "  - { name: u, route: '^payments\\.cards\\..*$', input: {}, expect: {} }\n" +
                       "  - { name: v, route: any, input: {}, expect: {} }\n");
  ASSERT_TRUE(derived.ok()) << derived.error().ToString();
  EXPECT_EQ((*derived)->tests()[0].topic, "payments.cards.");
  EXPECT_EQ((*derived)->tests()[1].topic, "payments.cards.");
  EXPECT_EQ((*derived)->tests()[2].topic, "xay");
  auto ok = Parse(head + "  - { name: t, route: cards, topic: payments.cards.eu, input: {}, expect: {} }\n");
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ((*ok)->tests()[0].topic, "payments.cards.eu");
  // A pattern no topic can be derived from needs one.
  EXPECT_TRUE(
      FailsAt("policy: p\nversion: 1\nroutes:\n"
              "  - { name: w, from: '^[^.]+$', to: w.out, dead_letter: w.dlq, rules: [{ path: a, action: keep }] }\n"
              "tests:\n  - { name: t, route: w, input: {}, expect: {} }\n",
              "p.yaml:6:23:", {"route 'w' reads a pattern and no topic it matches could be derived"}));
}

// `expect_headers: {}` is an expectation of its own (the output has no
// header), told apart from no expect_headers at all.
TEST(PolicyTests, EmptyExpectHeadersIsAnExpectation) {
  std::string head(kTested, std::string(kTested).find("tests:\n"));
  auto r = Parse(head + "tests:\n  - name: t\n    route: payments\n    input: {}\n    expect_headers: {}\n" +
                 "  - name: u\n    route: payments\n    input: {}\n    expect: {}\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ((*r)->tests().size(), 2u);
  ASSERT_TRUE((*r)->tests()[0].expect_headers.has_value());
  EXPECT_TRUE((*r)->tests()[0].expect_headers->empty());
  EXPECT_FALSE((*r)->tests()[1].expect_headers.has_value());
}

// Nested YAML aliases ("billion laughs") expand as they are read: a 1 KB file
// could otherwise ask for gigabytes of test input. The file's tests have a
// budget of values and bytes, aliases counted each time they are used.
TEST(PolicyTests, AliasBombsAreRefusedNotExpanded) {
  std::string head(kTested, std::string(kTested).find("tests:\n"));
  std::string tests = "tests:\n";
  std::string prev;
  for (int level = 0; level < 9; ++level) {
    std::string body;
    for (int i = 0; i < 10; ++i) body += (i ? "," : "") + (level == 0 ? std::string("v") : "*l" + prev);
    tests += "  - name: t" + std::to_string(level) + "\n    route: payments\n    input: &l" + std::to_string(level) +
             " { k: [" + body + "] }\n    expect: { k: [] }\n";
    prev = std::to_string(level);
  }
  EXPECT_TRUE(FailsAt(head + tests, "p.yaml:", {"YAML aliases counted as often as they are used"}));
  // A long string used through many aliases counts its bytes each time.
  std::string wide =
      "tests:\n  - name: w\n    route: payments\n    input: { a: &s " + std::string(100000, 'x') + ", b: [";
  for (int i = 0; i < 100; ++i) wide += (i ? "," : "") + std::string("*s");
  wide += "] }\n    expect: { a: x }\n";
  EXPECT_TRUE(FailsAt(head + wide, "p.yaml:", {"MiB of text"}));
}

}  // namespace
}  // namespace maskproxy::policy
