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

}  // namespace
}  // namespace maskproxy::policy
