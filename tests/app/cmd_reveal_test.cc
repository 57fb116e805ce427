// `maskproxy reveal --offline` in process: the config's policies, keyring
// and audit trail, what is printed and what the trail records. (The client
// of the reveal service prints through the same function.)
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "app/commands.h"
#include "app/flags.h"
#include "codec/json.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "policy/policy.h"
#include "support/test_certs.h"
#include "transform/action.h"

namespace maskproxy::app {
namespace {

namespace fs = std::filesystem;

// Route rb's pattern matches a.raw, but a.raw is route ra's: an exact
// `from` beats a pattern, whatever the order.
const char kPolicy[] = R"(policy: offline
version: 1
routes:
  - name: rb
    from: '^a\.(raw|x)$'
    to: b.masked
    dead_letter: b.dlq
    rules:
      - { path: email, action: encrypt, key: contact }
  - name: ra
    from: a.raw
    to: a.masked
    dead_letter: a.dlq
    rules:
      - { path: email, action: encrypt, key: contact }
      - { path: note, action: redact }
)";

struct CliRun {
  int rc = -1;
  std::string out, err;
};

class CmdRevealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "cmd_reveal_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    keys_ = Path("keys.yaml");
    ASSERT_TRUE(crypto::GenerateKeyringFile(keys_, {"contact"}).ok());
    ASSERT_TRUE(crypto::GenerateKeyringFile(Path("audit-key.yaml"), {"audit"}).ok());
    std::ofstream(Path("p.yaml")) << kPolicy;
    std::ofstream(Path("cfg.yaml")) << "source: { brokers: \"127.0.0.1:1\", group_id: g }\n"
                                    << "policies: [\"" << Path("p.yaml") << "\"]\n"
                                    << "keyring: " << keys_ << "\n"
                                    << "audit: { file: \"" << Path("audit.log") << "\", key_file: \""
                                    << Path("audit-key.yaml") << "\" }\n";
    auto ring = crypto::Keyring::Load(keys_);
    ASSERT_TRUE(ring.ok()) << ring.error().ToString();
    auto p = policy::Policy::Load(Path("p.yaml"), *ring, crypto::UsageLedger::InMemory());
    ASSERT_TRUE(p.ok()) << p.error().ToString();
    policy_ = std::move(p).value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  // What route `route`'s email rule writes for `value` on `topic`.
  std::string Mask(const std::string& route, const std::string& topic, const std::string& value) {
    const policy::Route* r = policy_->FindRoute(route);
    EXPECT_NE(r, nullptr);
    if (!r) return "";
    std::string raw, out;
    codec::AppendJsonString(value, &raw);
    Status s = r->rules[0].action->Apply(transform::ActionContext{topic},
                                         codec::ScalarRef{codec::JsonType::kString, raw, value}, &out);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return out.size() >= 2 ? out.substr(1, out.size() - 2) : "";
  }

  CliRun Reveal(const std::vector<std::string>& extra, const std::string& field = "email") {
    std::vector<std::string> args = {"--offline", "--config", Path("cfg.yaml"), "--ticket", "T",
                                     "--reason",  "audit",    "--field",        field};
    args.insert(args.end(), extra.begin(), extra.end());
    CliRun r;
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    r.rc = CmdReveal(args);
    r.out = ::testing::internal::GetCapturedStdout();
    r.err = ::testing::internal::GetCapturedStderr();
    return r;
  }

  std::string Trail() const {
    std::ifstream in(Path("audit.log"));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // The trail's last reveal entry (checkpoints follow it).
  std::string LastEntry() const {
    std::istringstream in(Trail());
    std::string line, last;
    while (std::getline(in, line))
      if (line.find("\"event\":\"reveal\"") != std::string::npos) last = line;
    return last;
  }

  std::string dir_, keys_;
  std::shared_ptr<const policy::Policy> policy_;
};

// Found by review: offline, route rb revealed a value masked on a.raw (route
// ra's topic) and the trail said allowed, route rb, topic a.raw.
TEST_F(CmdRevealTest, ATopicAnotherRouteReadsIsRefusedAndAuditedAsDenied) {
  const std::string masked = Mask("ra", "a.raw", "victim@a.com");
  CliRun r = Reveal({"--route", "rb", "--topic", "a.raw", masked});
  EXPECT_EQ(r.rc, kExitUsage) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("the topic given is not read by route 'rb' (route 'ra' reads it)"), std::string::npos) << r.err;
  const std::string entry = LastEntry();
  EXPECT_NE(entry.find("\"allowed\":false"), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"denied\":\"reveal_denied\""), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"channel\":\"offline\""), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"policy\":\"offline@1#"), std::string::npos) << entry;
  EXPECT_EQ(Trail().find("victim"), std::string::npos);

  r = Reveal({"--route", "ra", "--topic", "a.raw", masked});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, "victim@a.com\n");
  EXPECT_NE(LastEntry().find("\"allowed\":true"), std::string::npos) << LastEntry();
}

// Found by review: two values in, three lines out ("victim\nsecond-line"),
// and escape sequences reached the terminal. Plain output refuses such a
// value (the reveal is audited by then); --json prints it escaped.
TEST_F(CmdRevealTest, PlainOutputRefusesAValueThatIsNotOneLine) {
  const std::string forged = Mask("ra", "a.raw", "victim\nsecond-line");
  const std::string plain = Mask("ra", "a.raw", "other@a.com");
  CliRun r = Reveal({"--route", "ra", plain, forged});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.out, "") << "nothing printed";
  EXPECT_NE(r.err.find("value 2 of 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("already in the audit trail"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("victim"), std::string::npos) << "no value in the message";
  EXPECT_EQ(r.err.find("other@"), std::string::npos) << "no value in the message";
  EXPECT_NE(LastEntry().find("\"allowed\":true"), std::string::npos) << "audited as revealed";

  for (const std::string& value : {std::string("a\x1b[2Jb"), std::string("a\u2028b"),
                                   std::string("a\xC2\x9B"
                                               "1m"),
                                   std::string("tab\there"), std::string("cr\rhere")}) {
    r = Reveal({"--route", "ra", Mask("ra", "a.raw", value)});
    EXPECT_EQ(r.rc, kExitFailure) << r.out;
    EXPECT_EQ(r.out, "");
  }

  r = Reveal({"--route", "ra", "--json", "\"" + plain + "\"", "\"" + forged + "\"",
              "\"" + Mask("ra", "a.raw", "ls\u2028x\xC2\x9B") + "\""});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, "\"other@a.com\"\n\"victim\\nsecond-line\"\n\"ls\\u2028x\\u009b\"\n");
}

// Found by review: a certificate refused for the operator (another person's
// without its key, expired, from another CA) exited 2 with nothing in the
// trail, though an attempt to act under another name is the refusal that
// matters most. It is audited as denied, under the OS user.
TEST_F(CmdRevealTest, ARefusedCertificateIsAuditedAsDenied) {
  std::ofstream(Path("someone.pem")) << "-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n";
  const std::string masked = Mask("ra", "a.raw", "victim@a.com");
  CliRun r = Reveal({"--route", "ra", "--cert", Path("someone.pem"), masked});
  EXPECT_EQ(r.rc, kExitUsage) << r.err;
  EXPECT_EQ(r.out, "");
  const std::string entry = LastEntry();
  EXPECT_NE(entry.find("\"allowed\":false"), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"denied\":\"reveal_denied\""), std::string::npos) << entry;
  EXPECT_NE(entry.find("(--cert refused)"), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"ticket\":\"T\""), std::string::npos) << entry;
  EXPECT_EQ(Trail().find("victim"), std::string::npos);
}

// Found by review: a trail cut after an earlier final checkpoint verified
// as intact. Each offline reveal reports the anchor of the final checkpoint
// it closes the trail with (stderr, and syslog), and `audit verify --expect`
// with it fails on a trail cut before it.
TEST_F(CmdRevealTest, AnOfflineRevealReportsTheAnchorVerifyExpects) {
  const std::string masked = Mask("ra", "a.raw", "victim@a.com");
  CliRun first = Reveal({"--route", "ra", masked});
  ASSERT_EQ(first.rc, kExitOk) << first.err;
  const std::string cut_here = Trail();
  CliRun r = Reveal({"--route", "ra", masked});
  ASSERT_EQ(r.rc, kExitOk) << r.err;
  const size_t at = r.err.find("maskproxy: audit anchor: seq=");
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string line = r.err.substr(at, r.err.find('\n', at) - at);
  const std::string anchor = line.substr(std::string("maskproxy: audit anchor: ").size());
  // The trail's last line is that checkpoint.
  std::istringstream in(Trail());
  std::string last;
  for (std::string l; std::getline(in, l);) last = l;
  const std::string seq = anchor.substr(4, anchor.find(' ') - 4);
  const std::string chain = anchor.substr(anchor.find("chain=") + 6);
  EXPECT_EQ(chain.size(), 16u) << anchor;
  EXPECT_EQ(last.rfind("{\"seq\":" + seq + ",", 0), 0u) << last;
  EXPECT_NE(last.find("\"chain\":\"" + chain), std::string::npos) << last;
  EXPECT_NE(last.find("\"final\":true"), std::string::npos) << last;

  auto verify = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"verify", "--config", Path("cfg.yaml")};
    args.insert(args.end(), extra.begin(), extra.end());
    ::testing::internal::CaptureStdout();
    const int rc = CmdAudit(args);
    const std::string out = ::testing::internal::GetCapturedStdout();
    return std::make_pair(rc, out);
  };
  EXPECT_EQ(verify({"--expect", anchor}).first, kExitOk);
  EXPECT_EQ(verify({"--expect", "seq=" + seq + "," + anchor.substr(anchor.find("chain="))}).first, kExitOk);
  std::ofstream(Path("audit.log"), std::ios::trunc) << cut_here;  // the second reveal cut away
  EXPECT_EQ(verify({}).first, kExitOk) << "the file alone cannot tell";
  const auto [rc, out] = verify({"--expect", anchor});
  EXPECT_EQ(rc, kExitFailure) << out;
  EXPECT_NE(out.find("before the expected checkpoint (" + anchor + "): entries cut away"), std::string::npos) << out;
  EXPECT_EQ(verify({"--expect", "seq=1"}).first, kExitUsage);
}

// Found by review: a field the policy does not make reversible printed
// not_reversible for each value (exit 1) and the trail said allowed, every
// value failed. Refused as a request (exit 2), audited as denied.
TEST_F(CmdRevealTest, AOneWayRuleIsRefusedUpFrontAndAuditedAsDenied) {
  CliRun r = Reveal({"--route", "ra", "[redacted]"}, "note");
  EXPECT_EQ(r.rc, kExitUsage) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("protected by redact, which is one-way"), std::string::npos) << r.err;
  const std::string entry = LastEntry();
  EXPECT_NE(entry.find("\"allowed\":false,\"denied\":\"not_reversible\""), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"field\":\"note\""), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"failed\":0"), std::string::npos) << entry;
}

// Found by review: without admin.tls.client_ca_file nothing checked who
// issued --cert, so a self-made certificate put any name in the trail as the
// operator. Refused (exit 2), audited as denied under the OS user; with the
// client CA the same certificate names the operator.
TEST_F(CmdRevealTest, ACertificateWithoutAClientCaToCheckItIsRefusedAndAudited) {
  static const auto certs = test_certs::Make("cmd-reveal-certs");
  ASSERT_TRUE(certs->ok) << certs->error;
  const std::string masked = Mask("ra", "a.raw", "victim@a.com");
  CliRun r = Reveal({"--route", "ra", "--cert", certs->F("client.crt"), "--key", certs->F("client.key"), masked});
  EXPECT_EQ(r.rc, kExitUsage) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("no admin.tls.client_ca_file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("configure admin.tls.client_ca_file, or leave out --cert"), std::string::npos) << r.err;
  std::string entry = LastEntry();
  EXPECT_NE(entry.find("\"allowed\":false"), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"denied\":\"reveal_denied\""), std::string::npos) << entry;
  EXPECT_NE(entry.find("(--cert refused)"), std::string::npos) << entry;
  EXPECT_EQ(Trail().find("CN=client"), std::string::npos) << "the certificate's name is not the operator";
  EXPECT_EQ(Trail().find("victim"), std::string::npos);

  std::ofstream(Path("cfg.yaml"), std::ios::app)
      << "admin: { tls: { cert_file: \"" << certs->F("server.crt") << "\", key_file: \"" << certs->F("server.key")
      << "\", client_ca_file: \"" << certs->F("ca.crt") << "\" } }\n";
  r = Reveal({"--route", "ra", "--cert", certs->F("client.crt"), "--key", certs->F("client.key"), masked});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, "victim@a.com\n");
  entry = LastEntry();
  EXPECT_NE(entry.find("\"allowed\":true"), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"subject\":\"CN=client\""), std::string::npos) << entry;
}

// Found by review: a certificate the CA revoked (a CRL appended to
// admin.tls.client_ca_file) still named the operator of an offline reveal.
// The listener's check is used: refused (exit 2), audited as denied.
TEST_F(CmdRevealTest, ACertificateTheClientCaFilesCrlRevokesIsRefused) {
  static const auto certs = test_certs::Make("cmd-reveal-crl");
  ASSERT_TRUE(certs->ok) << certs->error;
  const std::string masked = Mask("ra", "a.raw", "victim@a.com");
  std::ofstream(Path("cfg.yaml"), std::ios::app)
      << "admin: { tls: { cert_file: \"" << certs->F("server.crt") << "\", key_file: \"" << certs->F("server.key")
      << "\", client_ca_file: \"" << certs->F("ca-crl.pem") << "\" } }\n";
  CliRun r = Reveal({"--route", "ra", "--cert", certs->F("revoked.crt"), "--key", certs->F("revoked.key"), masked});
  EXPECT_EQ(r.rc, kExitUsage) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("certificate revoked"), std::string::npos) << r.err;
  const std::string entry = LastEntry();
  EXPECT_NE(entry.find("\"allowed\":false"), std::string::npos) << entry;
  EXPECT_NE(entry.find("(--cert refused)"), std::string::npos) << entry;
  EXPECT_EQ(Trail().find("CN=revoked"), std::string::npos);
  r = Reveal({"--route", "ra", "--cert", certs->F("client.crt"), "--key", certs->F("client.key"), masked});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, "victim@a.com\n");
}

// Found by review: a break-glass reveal that failed while loading the
// keyring (mode 0644) or a policy (broken YAML) left no reveal entry, only a
// checkpoint. Now denied, with the operator, ticket, route and the code.
TEST_F(CmdRevealTest, AKeyringOrPolicyThatFailsToLoadIsAuditedAsDenied) {
  fs::permissions(keys_,
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::replace);
  CliRun r = Reveal({"--route", "ra", "e2.contact.1.AAAA"});
  EXPECT_EQ(r.rc, kExitUsage) << r.err;
  std::string entry = LastEntry();
  EXPECT_NE(entry.find("\"allowed\":false,\"denied\":\"keyring_insecure\""), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"ticket\":\"T\""), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"route\":\"ra\""), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"subject\":\"" + OsUser()), std::string::npos) << entry;
  fs::permissions(keys_, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  std::ofstream(Path("p.yaml"), std::ios::app) << "x: [\n";
  r = Reveal({"--route", "ra", "e2.contact.1.AAAA"});
  EXPECT_EQ(r.rc, kExitUsage) << r.err;
  entry = LastEntry();
  EXPECT_NE(entry.find("\"allowed\":false"), std::string::npos) << entry;
  EXPECT_NE(entry.find("\"ticket\":\"T\""), std::string::npos) << entry;
}

// Found by review: --key-version beside an encrypt output was ignored (the
// output names its version) but recorded in the reveal entry as the version
// used. Refused now (exit 2, audited as denied); fpe still takes it.
TEST_F(CmdRevealTest, AKeyVersionForAnEncryptOutputIsRefused) {
  const std::string masked = Mask("ra", "a.raw", "victim@a.com");
  CliRun r = Reveal({"--route", "ra", "--key-version", "7", masked});
  EXPECT_EQ(r.rc, kExitUsage) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("a key version is for fpe outputs only"), std::string::npos) << r.err;
  EXPECT_NE(LastEntry().find("\"allowed\":false"), std::string::npos) << LastEntry();
  EXPECT_EQ(Trail().find("\"allowed\":true"), std::string::npos);
  r = Reveal({"--route", "ra", masked});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(LastEntry().find("key_version"), std::string::npos) << LastEntry();
}

// Found by review: offline, --route took a source topic (the service
// answers 403: routes are named), and an unknown route was echoed ("no route
// '900101-1234567'"): the caller's text may be a value in the wrong argument.
TEST_F(CmdRevealTest, TheRouteIsFoundByNameOnlyAndNotEchoed) {
  const std::string masked = Mask("ra", "a.raw", "victim@a.com");
  CliRun r = Reveal({"--route", "a.raw", masked});
  EXPECT_EQ(r.rc, kExitUsage) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.find("a.raw"), std::string::npos) << r.err;
  EXPECT_NE(LastEntry().find("\"allowed\":false"), std::string::npos) << LastEntry();
  r = Reveal({"--route", "900101-1234567", masked});
  EXPECT_EQ(r.rc, kExitUsage) << r.err;
  EXPECT_EQ(r.err.find("900101"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no route of the name given"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace maskproxy::app
