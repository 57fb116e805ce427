// LoadPolicySet: the one loader of run, mask, policy check and policy test.
// The encryption ledger is opened when anything in the policies encrypts
// with AES-GCM (also only a scan action), and lives as long as the policies;
// conflicts between routes are reported at their file:line:col.
#include "app/policy_set.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crypto/keyring.h"
#include "support/keyring_fixture.h"

namespace maskproxy::app {
namespace {

namespace fs = std::filesystem;

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring = test_keys::TestKeyring({{"contact", {test_keys::FilledMaterial(1)}},
                                                              {"customer", {test_keys::FilledMaterial(2)}},
                                                              {"phone", {test_keys::FilledMaterial(3)}}});
  return ring;
}

class PolicySetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "policy_set_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& yaml) {
    std::string path = (fs::path(dir_) / name).string();
    std::ofstream(path) << yaml;
    return path;
  }
  std::string Ledger() const { return (fs::path(dir_) / "keys.usage").string(); }

  std::string dir_;
};

// A policy whose only AES-GCM encryption is a scan action: e-mail addresses
// found in free text are encrypted.
constexpr char kScanEncrypt[] =
    "policy: tickets\n"
    "version: 1\n"
    "scan:\n"
    "  actions:\n"
    "    email: { action: encrypt, key: contact, format: e1 }\n"
    "routes:\n"
    "  - from: tickets.raw\n"
    "    to: tickets.out\n"
    "    dead_letter: tickets.dlq\n"
    "    rules:\n"
    "      - { path: body, action: scan }\n";

TEST_F(PolicySetTest, ScanActionEncryptOpensTheLedgerAndMasksAfterLoading) {
  std::string file = Write("tickets.yaml", kScanEncrypt);
  std::shared_ptr<const engine::Engine> eng;
  std::shared_ptr<crypto::UsageLedger> ledger;
  {
    auto set = LoadPolicySet({file}, Keys(), {Ledger(), engine::Limits{}, nullptr});
    ASSERT_TRUE(set.ok()) << set.error().ToString();
    ASSERT_EQ(set->policies.size(), 1u);
    EXPECT_TRUE(set->policies[0]->Encrypts());
    ASSERT_NE(set->ledger, nullptr) << "a scan action encrypts: the ledger file must be opened";
    EXPECT_EQ(set->ledger->path(), Ledger());
    EXPECT_EQ(set->policies[0]->ledger(), set->ledger) << "the policy counts in the ledger file";
    eng = set->engine;
    ledger = set->ledger;
  }  // everything but the engine (and our look at the ledger) is gone
  const engine::RouteRef* ref = eng->FindRoute("tickets.raw");
  ASSERT_NE(ref, nullptr);
  std::string out;
  Status s = eng->MaskValue(*ref, "tickets.raw", R"({"body":"mail minjun@example.com today"})", &out);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(out.find("minjun@example.com"), std::string::npos);
  EXPECT_NE(out.find("e1.contact.1."), std::string::npos) << out;
  EXPECT_EQ(ledger->Count("contact", 1), 1u) << "the encryption was counted in the ledger file, not a scratch one";
  EXPECT_GT(ledger->Leased("contact", 1), 0u);
  std::ifstream in(Ledger());
  std::string state((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(state.find("contact 1 "), std::string::npos) << state;
}

TEST_F(PolicySetTest, EngineKeepsTheLedgerAlive) {
  std::string file = Write("tickets.yaml", kScanEncrypt);
  std::shared_ptr<const engine::Engine> eng;
  std::weak_ptr<crypto::UsageLedger> weak;
  {
    auto set = LoadPolicySet({file}, Keys(), {Ledger(), engine::Limits{}, nullptr});
    ASSERT_TRUE(set.ok()) << set.error().ToString();
    eng = set->engine;
    weak = set->ledger;
  }
  EXPECT_FALSE(weak.expired()) << "the engine's policies hold the ledger";
  const engine::RouteRef* ref = eng->FindRoute("tickets.raw");
  ASSERT_NE(ref, nullptr);
  std::string out;
  ASSERT_TRUE(eng->MaskValue(*ref, "tickets.raw", R"({"body":"a@example.com"})", &out).ok());
  eng.reset();
  EXPECT_TRUE(weak.expired()) << "released with the last policy";
}

TEST_F(PolicySetTest, UnlistedScanEncryptOpensTheLedger) {
  std::string file = Write("p.yaml",
                           "policy: p\nversion: 1\n"
                           "scan:\n  actions:\n    default: { action: encrypt, key: contact, format: e1 }\n"
                           "routes:\n"
                           "  - { from: a.raw, to: a.out, dead_letter: a.dlq, unlisted_fields: scan,\n"
                           "      rules: [{ path: id, action: keep }] }\n");
  auto set = LoadPolicySet({file}, Keys(), {Ledger(), engine::Limits{}, nullptr});
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  EXPECT_TRUE(set->policies[0]->Encrypts());
  EXPECT_NE(set->ledger, nullptr);
}

TEST_F(PolicySetTest, KeyAndHeaderRulesThatEncryptOpenTheLedger) {
  for (const char* path : {"$key", "$header.mail"}) {
    std::string file = Write("p.yaml", std::string("policy: p\nversion: 1\nroutes:\n"
                                                   "  - { from: a.raw, to: a.out, dead_letter: a.dlq,\n"
                                                   "      rules: [{ path: ") +
                                           path + ", action: encrypt, key: contact, format: e1 }] }\n");
    auto set = LoadPolicySet({file}, Keys(), {Ledger(), engine::Limits{}, nullptr});
    ASSERT_TRUE(set.ok()) << set.error().ToString();
    EXPECT_TRUE(set->policies[0]->Encrypts()) << path;
    EXPECT_NE(set->ledger, nullptr) << path;
  }
}

TEST_F(PolicySetTest, NothingEncryptsNoLedgerFile) {
  // encrypt's e2 (the default: XAES-256-GCM), encrypt_deterministic (AES-SIV)
  // and tokenize need no count.
  std::string file = Write("p.yaml",
                           "policy: p\nversion: 1\nroutes:\n"
                           "  - { from: a.raw, to: a.out, dead_letter: a.dlq,\n"
                           "      rules: [{ path: m, action: encrypt_deterministic, key: contact },\n"
                           "              { path: e, action: encrypt, key: contact },\n"
                           "              { path: f, action: encrypt, key: contact, format: e2 },\n"
                           "              { path: c, action: tokenize, key: customer }] }\n");
  auto set = LoadPolicySet({file}, Keys(), {Ledger(), engine::Limits{}, nullptr});
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  EXPECT_FALSE(set->policies[0]->Encrypts());
  EXPECT_EQ(set->ledger, nullptr);
  EXPECT_FALSE(fs::exists(Ledger()));
}

TEST_F(PolicySetTest, UnopenableLedgerIsAnErrorOnlyWhenAPolicyEncrypts) {
  const std::string bad = (fs::path(dir_) / "no" / "such" / "dir" / "keys.usage").string();
  auto set = LoadPolicySet({Write("t.yaml", kScanEncrypt)}, Keys(), {bad, engine::Limits{}, nullptr});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kUsageLedgerIo);
  auto plain = LoadPolicySet({Write("p.yaml",
                                    "policy: p\nversion: 1\nroutes:\n"
                                    "  - { from: a.raw, to: a.out, dead_letter: a.dlq,\n"
                                    "      rules: [{ path: c, action: tokenize, key: customer }] }\n")},
                             Keys(), {bad, engine::Limits{}, nullptr});
  EXPECT_TRUE(plain.ok()) << plain.error().ToString();
}

TEST_F(PolicySetTest, WithoutALedgerPathThePoliciesShareOneInMemoryLedger) {
  // policy check / test: never the file a running proxy holds.
  auto set = LoadPolicySet({Write("t.yaml", kScanEncrypt)}, Keys(), PolicySetOptions{});
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  EXPECT_EQ(set->ledger, nullptr);
  ASSERT_NE(set->policies[0]->ledger(), nullptr);
  EXPECT_TRUE(set->policies[0]->ledger()->path().empty());
  EXPECT_FALSE(fs::exists(Ledger()));
}

// Two routes in one file: b's dead-letter topic is a's destination.
constexpr char kDlqIsDestination[] =
    "policy: p\n"
    "version: 1\n"
    "routes:\n"
    "  - name: a\n"
    "    from: a.raw\n"
    "    to: shared.out\n"
    "    dead_letter: a.dlq\n"
    "    rules: [{ path: x, action: redact }]\n"
    "  - name: b\n"
    "    from: b.raw\n"
    "    to: b.out\n"
    "    dead_letter: shared.out\n"
    "    rules: [{ path: x, action: redact }]\n";

TEST_F(PolicySetTest, DeadLetterTopicThatIsAnotherRoutesDestinationIsLocated) {
  std::string file = Write("p.yaml", kDlqIsDestination);
  std::vector<std::shared_ptr<const policy::Policy>> compiled;
  auto set = LoadPolicySet({file}, Keys(), PolicySetOptions{}, &compiled);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kPolicyConflict);
  EXPECT_EQ(set.error().message, file +
                                     ":12:18: route 'b': dead-letter topic 'shared.out' is the masked destination "
                                     "('to') of route 'a' (" +
                                     file + ":6:9): raw records would reach it");
  EXPECT_EQ(compiled.size(), 1u) << "the file compiled on its own";
}

// Policy `p` with one route, named `name` (YAML text) on line 4, from
// pay.raw (line 5) to p.out.
std::string NamedRouteFromPay(const std::string& p, const std::string& name) {
  return "policy: " + p + "\nversion: 1\nroutes:\n  - name: " + name + "\n    from: pay.raw\n    to: " + p +
         ".out\n    dead_letter: " + p + ".dlq\n    rules: [{ path: x, action: redact }]\n";
}

TEST_F(PolicySetTest, SourceClaimedByTwoFilesIsLocatedAtTheSecond) {
  std::string a = Write("a.yaml",
                        "policy: a\nversion: 1\nroutes:\n"
                        "  - { from: pay.raw, to: a.out, dead_letter: a.dlq, rules: [{ path: x, action: redact }] }\n");
  std::string b = Write("b.yaml", NamedRouteFromPay("b", "second"));
  auto set = LoadPolicySet({a, b}, Keys(), PolicySetOptions{});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kPolicyConflict);
  EXPECT_EQ(set.error().message,
            b + ":5:11: route 'second': source 'pay.raw' is also routed by route 'pay.raw' (" + a + ":4:13)");
}

// A pattern route of one file whose topics a pattern of a file listed
// before takes: warned at the later route's `from`, naming the earlier one
// (inside one file the policy warns itself; found by review across files).
TEST_F(PolicySetTest, APatternShadowedByAnEarlierFilesPatternIsWarned) {
  std::string a = Write("a.yaml",
                        "policy: a\nversion: 1\nroutes:\n"
                        "  - { name: general, from: '^pay\\..*$', to: a.out, dead_letter: a.dlq, "
                        "rules: [{ path: x, action: redact }] }\n");
  std::string b = Write("b.yaml",
                        "policy: b\nversion: 1\nroutes:\n"
                        "  - { name: cards, from: '^pay\\.cards\\..*$', to: b.out, dead_letter: b.dlq, "
                        "rules: [{ path: x, action: redact }] }\n");
  auto set = LoadPolicySet({a, b}, Keys(), PolicySetOptions{});
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  ASSERT_EQ(set->warnings.size(), 1u);
  EXPECT_EQ(set->warnings[0].rfind(b + ":4:", 0), 0u) << set->warnings[0];
  EXPECT_NE(
      set->warnings[0].find("route 'cards' reads a topic such as 'pay.cards.' that route 'general' (" + a + ":4:"),
      std::string::npos)
      << set->warnings[0];
  // The other order: the specific pattern first, nothing to warn about.
  auto ordered = LoadPolicySet({b, a}, Keys(), PolicySetOptions{});
  ASSERT_TRUE(ordered.ok()) << ordered.error().ToString();
  EXPECT_TRUE(ordered->warnings.empty()) << ordered->warnings[0];
}

// Reveal grants and requests name routes: a name used twice, or the name of
// one route that is another's source topic, is refused.
TEST_F(PolicySetTest, RouteNamesAreUniqueAndNoOtherRoutesTopic) {
  auto route = [](const std::string& name, const std::string& from, const std::string& out) {
    return "  - name: " + name + "\n    from: " + from + "\n    to: " + out + ".out\n    dead_letter: " + out +
           ".dlq\n    rules: [{ path: x, action: redact }]\n";
  };
  std::string a = Write("a.yaml", "policy: a\nversion: 1\nroutes:\n" + route("legacy", "payments", "a"));
  std::string b = Write("b.yaml", "policy: b\nversion: 1\nroutes:\n" + route("payments", "payments.v2", "b") +
                                      route("legacy", "other.raw", "c"));
  auto set = LoadPolicySet({a, b}, Keys(), PolicySetOptions{});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kPolicyConflict);
  EXPECT_NE(set.error().message.find(b + ":10:11: route 'legacy': route name 'legacy' is also the name of a route at " +
                                     a + ":5:11"),
            std::string::npos)
      << set.error().message;
  EXPECT_NE(set.error().message.find(b +
                                     ":5:11: route 'payments': route name 'payments' is the source topic of "
                                     "route 'legacy' (" +
                                     a + ":5:11)"),
            std::string::npos)
      << set.error().message;
  // A route named after its own source (the default) is fine.
  std::string c = Write("c.yaml", "policy: c\nversion: 1\nroutes:\n" + route("pay.raw", "pay.raw", "d"));
  EXPECT_TRUE(LoadPolicySet({c}, Keys(), PolicySetOptions{}).ok());
}

// Route names are the author's text: a line break or a bidirectional
// override in one cannot forge a located line. Such a name is refused where
// it is written, each error one located line.
TEST_F(PolicySetTest, RouteNamesCannotBreakOrHideAConflictLine) {
  std::string a = Write("a.yaml", NamedRouteFromPay("a", "\"first\\nx.yaml:1:1: forged\\u202E\""));
  std::string b = Write("b.yaml", NamedRouteFromPay("b", "\"second\\r\""));
  auto set = LoadPolicySet({a, b}, Keys(), PolicySetOptions{});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().message, a + ":4:11: route name at character 6: an invisible or control character (U+000A)\n" +
                                     b +
                                     ":4:11: route name at character 7: an invisible or control character (U+000D)");
}

TEST_F(PolicySetTest, SourceThatIsAnOutputAndPatternsThatMatchOutputsAreLocated) {
  std::string a = Write("a.yaml",
                        "policy: a\nversion: 1\nroutes:\n"
                        "  - name: a\n"
                        "    from: a.raw\n"
                        "    to: b.raw\n"
                        "    dead_letter: a.dlq\n"
                        "    rules: [{ path: x, action: redact }]\n");
  std::string b = Write("b.yaml",
                        "policy: b\nversion: 1\nroutes:\n"
                        "  - name: b\n"
                        "    from: b.raw\n"
                        "    to: b.out\n"
                        "    dead_letter: b.dlq\n"
                        "    rules: [{ path: x, action: redact }]\n"
                        "  - name: pat\n"
                        "    from: '^a\\.[a-z]+$'\n"
                        "    to: pat.out\n"
                        "    dead_letter: pat.dlq\n"
                        "    rules: [{ path: x, action: redact }]\n");
  auto set = LoadPolicySet({a, b}, Keys(), PolicySetOptions{});
  ASSERT_FALSE(set.ok());
  const std::string& m = set.error().message;
  EXPECT_NE(m.find(b + ":5:11: route 'b': source topic 'b.raw' is the 'to' of route 'a' (" + a +
                   ":6:9): records would be read again"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(b + ":10:11: route 'pat': source pattern matches 'a.dlq', the 'dead_letter' of route 'a' (" + a +
                   ":7:18)"),
            std::string::npos)
      << m;
}

// The pattern routes of all the files together are bounded as one file's
// are: two files of 300 each are refused at the first route past 500,
// located, and no engine is built.
TEST_F(PolicySetTest, PatternRoutesOfAllTheFilesTogetherAreBounded) {
  auto patterns = [](const std::string& prefix, int n) {
    std::string y = "policy: " + prefix + "\nversion: 1\nroutes:\n";
    for (int i = 0; i < n; ++i) {
      const std::string t = prefix + std::to_string(i);
      y += "  - from: '^" + t + "\\.raw$'\n    to: " + t + ".out\n    dead_letter: " + t +
           ".dlq\n    rules: [{ path: x, action: redact }]\n";
    }
    return y;
  };
  std::string a = Write("a.yaml", patterns("a", 300));
  std::string b = Write("b.yaml", patterns("b", 300));
  ASSERT_TRUE(LoadPolicySet({a}, Keys(), PolicySetOptions{}).ok());
  ASSERT_TRUE(LoadPolicySet({b}, Keys(), PolicySetOptions{}).ok());
  auto set = LoadPolicySet({a, b}, Keys(), PolicySetOptions{});
  ASSERT_FALSE(set.ok()) << "600 pattern routes were loaded together";
  EXPECT_EQ(set.error().code, ErrorCode::kPolicyInvalid);
  // b's 201st route: line 3 + 200 * 4 + 1, after a's 300.
  const std::string& m = set.error().message;
  EXPECT_EQ(
      m.rfind(b + ":804:11: route '^b200\\.raw$': this route's 'from' pattern makes 501 pattern routes of about ", 0),
      0u)
      << m;
  const std::string tail =
      " RE2 instructions together in the policy files; at most 500 pattern routes and 50000 instructions for all of "
      "them (name topics exactly, or merge patterns)";
  EXPECT_EQ(m.find(tail), m.size() - tail.size()) << m;
}

TEST_F(PolicySetTest, EveryFileErrorAndConflictIsReportedAtOnce) {
  std::string broken =
      Write("broken.yaml",
            "policy: x\nversion: 1\nroutes:\n"
            "  - { from: c.raw, to: c.out, dead_letter: c.dlq, rules: [{ path: x, action: nope }] }\n");
  std::string dlq = Write("p.yaml", kDlqIsDestination);
  std::vector<std::shared_ptr<const policy::Policy>> compiled;
  auto set =
      LoadPolicySet({broken, dlq, (fs::path(dir_) / "missing.yaml").string()}, Keys(), PolicySetOptions{}, &compiled);
  ASSERT_FALSE(set.ok());
  const std::string& m = set.error().message;
  EXPECT_NE(m.find(broken + ":4:"), std::string::npos) << m;
  EXPECT_NE(m.find("cannot read policy file"), std::string::npos) << m;
  EXPECT_NE(m.find(dlq + ":12:18: route 'b'"), std::string::npos) << m;
  EXPECT_EQ(compiled.size(), 1u);
}

TEST_F(PolicySetTest, ShippedPoliciesLoadTogether) {
  std::vector<std::string> files;
  for (const char* f : {"payments.yaml", "support.yaml", "transfers.yaml"})
    files.push_back(std::string(MASKPROXY_SOURCE_DIR) + "/policies/" + f);
  static const crypto::Keyring ring = [] {
    std::vector<test_keys::TestKey> keys;
    uint8_t fill = 1;
    for (const char* name : {"rrn", "phone", "email", "account", "contact", "customer", "card"})
      keys.push_back({name, {test_keys::FilledMaterial(fill++)}});
    return test_keys::TestKeyring(keys);
  }();
  auto set = LoadPolicySet(files, ring, {Ledger(), engine::Limits{}, nullptr});
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  EXPECT_EQ(set->policies.size(), 3u);
  EXPECT_NE(set->engine, nullptr);
}

// The same file given twice (again by its path, or by another path or a
// link to it) is one error, "given twice", not a conflict of every route
// with itself (found by review: `policy check t2.yaml t2.yaml`).
TEST_F(PolicySetTest, AFileGivenTwiceIsOneError) {
  const std::string file = Write("t.yaml",
                                 "policy: t\nversion: 1\nroutes:\n  - name: r\n    from: raw.a\n    to: out.a\n"
                                 "    dead_letter: dl.a\n    rules:\n      - { path: x, action: keep }\n");
  const std::string link = (fs::path(dir_) / "link.yaml").string();
  fs::create_symlink(file, link);
  const std::string other = (fs::path(dir_) / "." / "t.yaml").string();
  for (const auto& files : {std::vector<std::string>{file, file}, std::vector<std::string>{file, link},
                            std::vector<std::string>{file, other}}) {
    auto set = LoadPolicySet(files, Keys(), {"", engine::Limits{}, nullptr});
    ASSERT_FALSE(set.ok()) << files[1];
    const std::string& m = set.error().message;
    EXPECT_NE(m.find(files[1] + ": policy file given twice"), std::string::npos) << m;
    EXPECT_EQ(m.find("also routed by"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one error: " << m;
  }
}

}  // namespace
}  // namespace maskproxy::app
