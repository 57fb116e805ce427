// Policy errors always say where: found by fuzz_policy (tests/fuzz), which
// checks that every error line starts with file:line:.
#include <gtest/gtest.h>

#include <string>

#include "crypto/keyring.h"
#include "policy/policy.h"

namespace maskproxy::policy {
namespace {

std::string ErrorOf(const std::string& yaml) {
  auto r = Policy::Parse(yaml, "p.yaml", crypto::Keyring());
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

TEST(PolicyErrorLocation, EmptyDocumentIsAtLineOne) {
  EXPECT_EQ(ErrorOf("").rfind("p.yaml:1:1: a policy must be a mapping", 0), 0u) << ErrorOf("");
  EXPECT_EQ(ErrorOf("\n\n").rfind("p.yaml:1:1: ", 0), 0u) << ErrorOf("\n\n");
}

TEST(PolicyErrorLocation, ScalarOrSequenceRootHasItsPosition) {
  EXPECT_EQ(ErrorOf("\n  just text\n").rfind("p.yaml:2:3: a policy must be a mapping", 0), 0u)
      << ErrorOf("\n  just text\n");
  EXPECT_EQ(ErrorOf("- a\n- b\n").rfind("p.yaml:1:1: ", 0), 0u) << ErrorOf("- a\n- b\n");
}

// YAML::Load would read the first document and ignore the rest of the file:
// a second document (rules nobody enforces) or anything after `...` is an
// error at its place; empty documents after the first are harmless.
TEST(PolicyErrorLocation, ASecondDocumentIsRefused) {
  const std::string first = "policy: p\nversion: 1\nroutes: []\n";
  EXPECT_EQ(ErrorOf(first + "---\npolicy: q\nversion: 1\n").rfind("p.yaml:5:1: a second YAML document", 0), 0u)
      << ErrorOf(first + "---\npolicy: q\n");
  EXPECT_EQ(ErrorOf(first + "...\njunk\n").rfind("p.yaml:5:1: a second YAML document", 0), 0u)
      << ErrorOf(first + "...\njunk\n");
  // yaml-cpp's LoadAll collected empty documents forever after a line of flow
  // commas (fuzz_policy ran out of memory): only a bounded number is walked.
  EXPECT_NE(ErrorOf(",,,,\n" + first).find("second YAML document"), std::string::npos) << ErrorOf(",,,,\n" + first);
  // Empty further documents: the first document's own error, not this one.
  EXPECT_EQ(ErrorOf(first + "---\n").find("second YAML document"), std::string::npos) << ErrorOf(first + "---\n");
}

}  // namespace
}  // namespace maskproxy::policy
