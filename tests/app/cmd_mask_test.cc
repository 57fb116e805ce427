// maskproxy mask (cmd_mask.cc) end to end: what it leaves behind when it
// fails, and the files it refuses to mix up.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "app/commands.h"
#include "app/flags.h"

namespace maskproxy::app {
namespace {

namespace fs = std::filesystem;

const char kInput[] = "{\"user\":{\"rrn\":\"900101-1234567\"}}\n{bad\n{bad again\n";

class CmdMaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/maskproxy-cmd-mask-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(CmdKeys({"generate", "--out", dir_ + "/keys.yaml", "rrn", "phone", "email", "account"}), kExitOk);
    Write("in.jsonl", kInput);
  }
  void TearDown() override { fs::remove_all(dir_); }

  [[nodiscard]] std::string P(const std::string& name) const { return dir_ + "/" + name; }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(P(name), std::ios::binary | std::ios::trunc) << text;
  }
  [[nodiscard]] std::string Read(const std::string& name) const {
    std::ifstream in(P(name), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // The files of the test directory, other than the keyring and its ledger.
  [[nodiscard]] std::vector<std::string> Files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) {
      std::string n = e.path().filename().string();
      if (n != "keys.yaml" && n != "keys.yaml.usage") names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  int Mask(std::vector<std::string> more) const {
    std::vector<std::string> args = {"--keys",   P("keys.yaml"),
                                     "--policy", std::string(MASKPROXY_SOURCE_DIR) + "/policies/payments.yaml",
                                     "--route",  "payments"};
    args.insert(args.end(), more.begin(), more.end());
    return CmdMask(args);
  }

  std::string dir_;
};

TEST_F(CmdMaskTest, WritesOutputAndQuarantine) {
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", P("out.jsonl"), "--quarantine", P("q.jsonl")}), kExitOk);
  EXPECT_EQ(Files(), (std::vector<std::string>{"in.jsonl", "out.jsonl", "q.jsonl"}));
  EXPECT_NE(Read("out.jsonl").find("t1.rrn.1."), std::string::npos);
  EXPECT_NE(Read("q.jsonl").find("{\"line\":3,"), std::string::npos);
}

// An unknown route's name is quoted only when it reads as a name (found by
// review: "--route 900101-1234568" was echoed on stderr).
TEST_F(CmdMaskTest, AnUnknownRouteThatMayBePersonalDataIsNotEchoed) {
  const std::string policy = std::string(MASKPROXY_SOURCE_DIR) + "/policies/payments.yaml";
  for (const auto& [route, shown] : std::vector<std::pair<std::string, std::string>>{
           {"900101-1234568", "no route (not shown: it may be personal data)"}, {"paymnts", "no route 'paymnts'"}}) {
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(CmdMask({"--keys", P("keys.yaml"), "--policy", policy, "--route", route, "--in", P("in.jsonl"), "--out",
                       P("out.jsonl")}),
              kExitUsage);
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find(shown), std::string::npos) << err;
    EXPECT_EQ(err.find("900101"), std::string::npos) << err;
  }
}

// A line over the limit is quarantined with a detail naming the flag the
// user sets it with (found by review: "max_line_bytes", an option of the
// library no user of the command can set).
TEST_F(CmdMaskTest, AnOverlongLineNamesTheFlag) {
  Write("long.jsonl", "{\"user\":{\"rrn\":\"900101-1234567\"}}\n{\"memo\":\"" + std::string(100, 'x') + "\"}\n");
  EXPECT_EQ(Mask({"--in", P("long.jsonl"), "--out", P("out.jsonl"), "--quarantine", P("q.jsonl"), "--max-record-bytes",
                  "64"}),
            kExitOk);
  const std::string q = Read("q.jsonl");
  EXPECT_NE(q.find("\"line\":2,\"reason\":\"too_large\",\"detail\":\"record longer than --max-record-bytes 64; "
                   "not kept\""),
            std::string::npos)
      << q;
  EXPECT_EQ(q.find("max_line_bytes"), std::string::npos) << q;
}

// A rule whose path meets no value of the records masked (a typo, usr.rrn
// for user.rrn, passes user.rrn under unlisted_fields: keep) is named on
// stderr; the dry run said only "1 masked" (found by review).
TEST_F(CmdMaskTest, ARuleThatMetNoValueIsWarned) {
  Write("typo.yaml",
        "policy: typo\nversion: 1\nroutes:\n"
        "  - name: t\n    from: t.raw\n    to: t.out\n    dead_letter: t.dlq\n    rules:\n"
        "      - { path: usr.rrn, action: tokenize, key: rrn }\n"
        "      - { path: user.phone, action: tokenize, key: phone }\n");
  Write("one.jsonl", "{\"user\":{\"rrn\":\"900101-1234567\",\"phone\":\"010-1234-5678\"}}\n");
  ::testing::internal::CaptureStderr();
  const int rc = CmdMask({"--keys", P("keys.yaml"), "--policy", P("typo.yaml"), "--route", "t", "--in", P("one.jsonl"),
                          "--out", P("out.jsonl")});
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, kExitOk) << err;
  EXPECT_NE(err.find("warning: rule 'usr.rrn' (tokenize) met no value but null in the 1 record(s) masked"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("rule 'user.phone'"), std::string::npos) << err;
  EXPECT_EQ(err.find("900101"), std::string::npos) << err;
}

// The shipped policies' tokens join as their comments say: an RRN is one
// token in payments, transfers and support (its field and its text), an
// account one token in payments' transfer and recipients and in support's
// text (a review found each field its own domain).
TEST_F(CmdMaskTest, ShippedPoliciesTokensJoin) {
  ASSERT_EQ(CmdKeys({"generate", "--out", P("all.yaml"), "rrn", "phone", "email", "account", "customer", "contact"}),
            kExitOk);
  const auto mask = [&](const std::string& policy, const std::string& route, const std::string& line) {
    Write("j.jsonl", line + "\n");
    EXPECT_EQ(CmdMask({"--keys", P("all.yaml"), "--policy", std::string(MASKPROXY_SOURCE_DIR) + "/policies/" + policy,
                       "--route", route, "--in", P("j.jsonl"), "--out", P("j.out")}),
              kExitOk)
        << policy;
    return Read("j.out");
  };
  const auto token = [](const std::string& text, const std::string& kind) {
    const size_t at = text.find("t1." + kind + ".");
    return at == std::string::npos ? std::string("(none)") : text.substr(at, kind.size() + 3 + 2 + 22);
  };
  const std::string rrn = "900101-1234568";
  const std::string a = token(mask("payments.yaml", "payments", R"({"user":{"rrn":")" + rrn + R"("}})"), "rrn");
  EXPECT_NE(a, "(none)");
  EXPECT_EQ(token(mask("transfers.yaml", "transfers", R"({"sender":{"rrn":")" + rrn + R"("}})"), "rrn"), a);
  EXPECT_EQ(token(mask("support.yaml", "support", R"({"customer":{"rrn":")" + rrn + R"("}})"), "rrn"), a);
  EXPECT_EQ(token(mask("support.yaml", "support", R"({"body":"주민번호 )" + rrn + R"( 확인"})"), "rrn"), a);
  const std::string acct = "110-123-456789";
  const std::string b =
      token(mask("payments.yaml", "payments", R"({"transfer":{"account":")" + acct + R"("}})"), "account");
  EXPECT_NE(b, "(none)");
  EXPECT_EQ(token(mask("payments.yaml", "payments", R"({"recipients":[{"account":"110123456789"}]})"), "account"), b);
  EXPECT_EQ(token(mask("support.yaml", "support", R"({"body":"환불 계좌 신한 )" + acct + R"("})"), "account"), b);
}

// A quarantine that cannot be written, even when that shows only as the file
// is closed (/dev/full), fails the run as a failing output does: exit 1 and
// no output left behind.
TEST_F(CmdMaskTest, AQuarantineThatCannotBeWrittenFailsTheRun) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", P("out.jsonl"), "--quarantine", "/dev/full"}), kExitFailure);
  EXPECT_EQ(Files(), std::vector<std::string>{"in.jsonl"});
}

// A run that fails before reading leaves nothing either.
TEST_F(CmdMaskTest, AnEarlyFailureLeavesNothingBehind) {
  fs::create_directory(P("qdir"));
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", P("out.jsonl"), "--quarantine", P("missing/q.jsonl")}), kExitFailure);
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", P("out.jsonl"), "--quarantine", P("qdir")}), kExitFailure);
  EXPECT_EQ(Mask({"--in", P("missing.jsonl"), "--out", P("out.jsonl"), "--quarantine", P("q.jsonl")}), kExitFailure);
  EXPECT_EQ(Files(), (std::vector<std::string>{"in.jsonl", "qdir"}));
  EXPECT_TRUE(fs::is_empty(P("qdir")));
}

// No two of --in, --out and --quarantine may be one file, by name or through
// a link, nor one of them the other's staged NAME.partial: the run is
// refused before anything is written.
TEST_F(CmdMaskTest, TheSameFileTwiceIsRefused) {
  ASSERT_EQ(::symlink(P("in.jsonl").c_str(), P("in-link.jsonl").c_str()), 0);
  const std::vector<std::vector<std::string>> cases = {
      {"--in", P("in.jsonl"), "--out", P("o.jsonl"), "--quarantine", P("o.jsonl")},
      {"--in", P("in.jsonl"), "--out", P("o.jsonl"), "--quarantine", P("./x/../o.jsonl")},
      {"--in", P("in.jsonl"), "--out", P("o.jsonl"), "--quarantine", P("in.jsonl")},
      {"--in", P("in.jsonl"), "--out", P("in.jsonl"), "--quarantine", P("q.jsonl")},
      {"--in", P("in.jsonl"), "--out", P("in-link.jsonl")},
      {"--in", P("in-link.jsonl"), "--out", P("o.jsonl"), "--quarantine", P("in.jsonl")},
      {"--in", P("in.jsonl"), "--out", P("in.jsonl")},
      {"--in", P("in.jsonl"), "--out", P("o.jsonl"), "--quarantine", P("o.jsonl.partial")},
      {"--in", P("in.jsonl.partial"), "--out", P("in.jsonl"), "--format", "jsonl"},
  };
  fs::create_directory(P("x"));
  Write("in.jsonl.partial", kInput);
  for (const auto& c : cases) {
    EXPECT_EQ(Mask(c), kExitUsage) << c[3] << " " << (c.size() > 5 ? c[5] : "");
    EXPECT_EQ(Files(), (std::vector<std::string>{"in-link.jsonl", "in.jsonl", "in.jsonl.partial", "x"}));
    EXPECT_EQ(Read("in.jsonl"), kInput);
  }
  // /dev/null may be named twice.
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", "/dev/null", "--quarantine", "/dev/null"}), kExitOk);
}

// Found by review: a name that is a dangling symbolic link to another
// argument was compared by its own name, so --out linked to the quarantine
// (or the quarantine to --out) was not refused, and one file took both.
TEST_F(CmdMaskTest, DanglingLinksToAnotherArgumentAreRefused) {
  ASSERT_EQ(::symlink("q.jsonl", P("out-link.jsonl").c_str()), 0);
  ASSERT_EQ(::symlink(P("o.jsonl").c_str(), P("q-link.jsonl").c_str()), 0);
  ASSERT_EQ(::symlink("x/../o.jsonl.partial", P("q-partial.jsonl").c_str()), 0);
  fs::create_directory(P("x"));
  const std::vector<std::string> before = Files();
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", P("out-link.jsonl"), "--quarantine", P("q.jsonl")}), kExitUsage);
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", P("o.jsonl"), "--quarantine", P("q-link.jsonl")}), kExitUsage);
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", P("o.jsonl"), "--quarantine", P("q-partial.jsonl")}), kExitUsage);
  EXPECT_EQ(Files(), before);
}

// Found by review: a symbolic link planted (or left) at OUT.partial was
// written through, and then renamed to OUT. It is removed and the staging
// file created anew, exclusively, as the quarantine's is.
TEST_F(CmdMaskTest, ALinkAtTheStagedOutputIsNotWrittenThrough) {
  Write("victim.txt", "precious data\n");
  ASSERT_EQ(::symlink("victim.txt", P("out.jsonl.partial").c_str()), 0);
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", P("out.jsonl"), "--quarantine", P("q.jsonl")}), kExitOk);
  EXPECT_EQ(Read("victim.txt"), "precious data\n");
  struct stat st {};
  ASSERT_EQ(::lstat(P("out.jsonl").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_NE(Read("out.jsonl").find("t1.rrn.1."), std::string::npos);
  // A link to the quarantine's name: the masked records stay at OUT, the
  // quarantine at its own name.
  fs::remove(P("out.jsonl"));
  fs::remove(P("q.jsonl"));
  ASSERT_EQ(::symlink("q.jsonl", P("out.jsonl.partial").c_str()), 0);
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", P("out.jsonl"), "--quarantine", P("q.jsonl")}), kExitOk);
  ASSERT_EQ(::lstat(P("out.jsonl").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_NE(Read("out.jsonl").find("t1.rrn.1."), std::string::npos);
  EXPECT_EQ(Read("out.jsonl").find("\"line\""), std::string::npos);
  EXPECT_NE(Read("q.jsonl").find("{\"line\":3,"), std::string::npos);
  EXPECT_EQ(Files(), (std::vector<std::string>{"in.jsonl", "out.jsonl", "q.jsonl", "victim.txt"}));
}

// Found by review: a quarantine named through a symbolic link is written in
// place, and was created with the umask's mode (0644): raw records readable
// by all. The file it writes is 0600 like a staged quarantine.
TEST_F(CmdMaskTest, AQuarantineThroughALinkIsPrivate) {
  const mode_t old = ::umask(022);
  ASSERT_EQ(::symlink("q-real.jsonl", P("q-current.jsonl").c_str()), 0);
  const int rc = Mask({"--in", P("in.jsonl"), "--out", P("o.jsonl"), "--quarantine", P("q-current.jsonl")});
  struct stat st {};
  const int st_rc = ::stat(P("q-real.jsonl").c_str(), &st);
  // An existing file of another mode, through the link: made 0600 too.
  Write("q-real.jsonl", "old\n");
  ASSERT_EQ(::chmod(P("q-real.jsonl").c_str(), 0644), 0);
  fs::remove(P("o.jsonl"));
  const int rc2 = Mask({"--in", P("in.jsonl"), "--out", P("o.jsonl"), "--quarantine", P("q-current.jsonl")});
  struct stat st2 {};
  const int st2_rc = ::stat(P("q-real.jsonl").c_str(), &st2);
  ::umask(old);
  EXPECT_EQ(rc, kExitOk);
  ASSERT_EQ(st_rc, 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(rc2, kExitOk);
  ASSERT_EQ(st2_rc, 0);
  EXPECT_EQ(st2.st_mode & 07777, 0600u);
  EXPECT_EQ(Read("q-real.jsonl").rfind("{\"line\":2,", 0), 0u) << Read("q-real.jsonl");
}

// Found by review: without --quarantine, --in FILE and a standard output
// appended to FILE were not compared, and the run read its own output for
// ever. Refused as with --quarantine.
TEST_F(CmdMaskTest, StandardOutputOntoTheInputIsRefusedWithoutAQuarantine) {
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  ASSERT_GE(saved, 0);
  const int fd = ::open(P("in.jsonl").c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ::dup2(fd, STDOUT_FILENO);
  ::close(fd);
  const int rc = Mask({"--in", P("in.jsonl")});
  std::cout.flush();
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  EXPECT_EQ(rc, kExitUsage);
  EXPECT_EQ(Read("in.jsonl"), kInput);
}

// Standard output carries the masked records: `--quarantine -` is refused
// (it used to create a file named "-").
TEST_F(CmdMaskTest, QuarantineDashIsRefused) {
  const std::string cwd = fs::current_path().string();
  fs::current_path(dir_);
  const int rc = Mask({"--in", P("in.jsonl"), "--out", P("o.jsonl"), "--quarantine", "-"});
  fs::current_path(cwd);
  EXPECT_EQ(rc, kExitUsage);
  EXPECT_EQ(Files(), std::vector<std::string>{"in.jsonl"});
}

// A letter or digit as the delimiter splits values into cells too short for
// a detector (found by review); '\t' as written in the help is a tab.
TEST_F(CmdMaskTest, DelimiterIsNeitherALetterNorADigit) {
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", P("o.csv"), "--delimiter", "0"}), kExitUsage);
  EXPECT_EQ(Mask({"--in", P("in.jsonl"), "--out", P("o.csv"), "--delimiter", "a"}), kExitUsage);
  EXPECT_NE(Mask({"--in", P("in.jsonl"), "--out", P("o.csv"), "--delimiter", "\\t"}), kExitUsage);
}

}  // namespace
}  // namespace maskproxy::app
