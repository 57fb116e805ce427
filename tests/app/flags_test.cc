// The flag parser every command shares (app/flags.h): the usage messages it
// gives are the ones the commands print (exit 2).
#include "app/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace maskproxy::app {
namespace {

TEST(CliFlags, ValuesSwitchesAndPositionals) {
  std::string policy, keys;
  bool json = false, help = true;
  std::vector<std::string> rest;
  std::string err = ParseFlags("reveal", {"--policy", "p.yaml", "v1", "--json", "--keys", "k.yaml", "v2"},
                               {{{"--policy", &policy}, {"--keys", &keys}}, {{"--json", &json}}}, &rest, &help);
  EXPECT_EQ(err, "");
  EXPECT_FALSE(help);
  EXPECT_EQ(policy, "p.yaml");
  EXPECT_EQ(keys, "k.yaml");
  EXPECT_TRUE(json);
  EXPECT_EQ(rest, (std::vector<std::string>{"v1", "v2"}));
}

// Found by review: `mask --policy strict.yaml --policy lax.yaml` masked with
// lax.yaml. An option given twice is a usage error (no command's option
// takes several values), also under its other name, and a switch too.
TEST(CliFlags, AnOptionGivenTwiceIsRefused) {
  std::string file, other;
  bool help = false, json = false;
  EXPECT_EQ(ParseFlags("mask", {"--policy", "a", "--policy", "b"}, {{{"--policy", &file}}, {}}, nullptr, &help),
            "mask: --policy is given twice (it takes one value)");
  EXPECT_EQ(ParseFlags("mask", {"--policy", "a", "--keys", "k", "--policy", "a"},
                       {{{"--policy", &file}, {"--keys", &other}}, {}}, nullptr, &help),
            "mask: --policy is given twice (it takes one value)");
  EXPECT_EQ(ParseFlags("keys generate", {"--out", "a", "--keys", "b"}, {{{"--out", &file}, {"--keys", &file}}, {}},
                       nullptr, &help),
            "keys generate: --keys and --out are both given (it takes one value)");
  EXPECT_EQ(ParseFlags("reveal", {"--json", "--json"}, {{}, {{"--json", &json}}}, nullptr, &help),
            "reveal: --json is given twice");
  // Positionals repeat as they like.
  std::vector<std::string> rest;
  EXPECT_EQ(ParseFlags("policy check", {"--keys", "k", "a.yaml", "b.yaml"}, {{{"--keys", &file}}, {}}, &rest, &help),
            "");
  EXPECT_EQ(rest, (std::vector<std::string>{"a.yaml", "b.yaml"}));
}

TEST(CliFlags, HelpStopsParsing) {
  std::string file;
  bool help = false;
  EXPECT_EQ(ParseFlags("run", {"--bogus", "-h"}, {{{"--config", &file}}, {}}, nullptr, &help),
            "run: unknown argument '--bogus'");
  EXPECT_FALSE(help);
  EXPECT_EQ(ParseFlags("run", {"--help", "--bogus"}, {{{"--config", &file}}, {}}, nullptr, &help), "");
  EXPECT_TRUE(help);
  EXPECT_EQ(ParseFlags("run", {"-h"}, {{{"--config", &file}}, {}}, nullptr, &help), "");
  EXPECT_TRUE(help);
}

TEST(CliFlags, UsageErrorsNameTheCommandAndTheArgument) {
  std::string file;
  std::vector<std::string> rest;
  bool help = false;
  EXPECT_EQ(ParseFlags("run", {"--config"}, {{{"--config", &file}}, {}}, nullptr, &help),
            "run: --config needs a value");
  // A stray argument that is not an option may be a value: named by its
  // position, never shown.
  EXPECT_EQ(ParseFlags("run", {"--config", "c.yaml", "9001011234567"}, {{{"--config", &file}}, {}}, nullptr, &help),
            "run: argument 3 is not an option, and run takes no other arguments (not shown: it may be a value)");
  // A dash and a digit is a value, not an option's name: not shown either.
  EXPECT_EQ(ParseFlags("run", {"-9001011234567"}, {{{"--config", &file}}, {}}, nullptr, &help),
            "run: argument 1 is not an option, and run takes no other arguments (not shown: it may be a value)");
  EXPECT_EQ(ParseFlags("policy check", {"p.yaml", "--9001011234567"}, {{{"--keys", &file}}, {}}, &rest, &help),
            "policy check: argument 2 starts with '-' but is not an option (not shown: it may be a value)");
  // With positionals, an argument that looks like a flag is still refused;
  // a lone "-" (standard input) is positional.
  EXPECT_EQ(ParseFlags("policy check", {"--kyes", "k"}, {{{"--keys", &file}}, {}}, &rest, &help),
            "policy check: unknown argument '--kyes'; did you mean --keys?");
  // The closest name within two edits; "--name=value" told to use a space,
  // its value never echoed; nothing close, no hint.
  bool json = false;
  EXPECT_EQ(ParseFlags("mask", {"--polcy", "p"}, {{{"--policy", &file}, {"--keys", &file}}, {{"--json", &json}}}, &rest,
                       &help),
            "mask: unknown argument '--polcy'; did you mean --policy?");
  EXPECT_EQ(ParseFlags("mask", {"--jsno"}, {{{"--policy", &file}}, {{"--json", &json}}}, &rest, &help),
            "mask: unknown argument '--jsno'; did you mean --json?");
  EXPECT_EQ(ParseFlags("run", {"--config=/etc/secret.yaml"}, {{{"--config", &file}}, {}}, nullptr, &help),
            "run: unknown argument '--config=...': write --config VALUE (a space, not '=')");
  EXPECT_EQ(ParseFlags("run", {"--verbose"}, {{{"--config", &file}}, {}}, nullptr, &help),
            "run: unknown argument '--verbose'");
  rest.clear();
  EXPECT_EQ(ParseFlags("reveal", {"-"}, {{{"--keys", &file}}, {}}, &rest, &help), "");
  EXPECT_EQ(rest, (std::vector<std::string>{"-"}));
}

TEST(CliFlags, AnUnknownCommandIsQuotedOnlyWhenItReadsAsOne) {
  EXPECT_EQ(ShownCommand("chek"), " 'chek'");
  EXPECT_EQ(ShownCommand("verify-all_2"), " 'verify-all_2'");
  for (const std::string& word :
       std::vector<std::string>{"9001011234567", "minjun@example.com", "", "a b", std::string(40, 'a'), "-x"})
    EXPECT_EQ(ShownCommand(word), " (not shown: it may be a value)") << word;
}

TEST(CliFlags, ExitCodes) {
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitFailure, 1);
  EXPECT_EQ(kExitUsage, 2);
  EXPECT_EQ(Fail(Error(ErrorCode::kIoError, "cannot read x"), kExitFailure), kExitFailure);
  EXPECT_EQ(Usage("run: --config FILE is required"), kExitUsage);
}

}  // namespace
}  // namespace maskproxy::app
