// Policy options and checks for issue #10's shape and name rules:
// on_shape_mismatch, keep with apply_to: whole (a warning), and paths whose
// names differ only by folding.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/keyring.h"
#include "policy/policy.h"
#include "support/keyring_fixture.h"

namespace maskproxy::policy {
namespace {

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring = test_keys::TestKeyring({{"rrn", {test_keys::FilledMaterial(7)}}});
  return ring;
}

// A policy whose route has `rules` (YAML lines, each "      - {...}"); the
// first rule is on line 8.
std::string WithRules(const std::string& rules) {
  return "policy: p\nversion: 1\nroutes:\n  - from: a.raw\n    to: a.out\n    dead_letter: a.dlq\n    rules:\n" + rules;
}

Result<std::shared_ptr<const Policy>> Parse(const std::string& yaml) {
  return Policy::Parse(yaml, "p.yaml", Keys());
}

std::string ErrorOf(const std::string& yaml) {
  auto r = Parse(yaml);
  return r.ok() ? "compiled" : r.error().message;
}

TEST(PolicyShape, OnShapeMismatchIsParsed) {
  auto p =
      Parse(WithRules("      - { path: user.rrn, action: tokenize, key: rrn, on_shape_mismatch: protect }\n"
                      "      - { path: user.x, action: redact, on_shape_mismatch: dead_letter }\n"
                      "      - { path: card.n, action: redact }\n"));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  const Route& r = (*p)->routes()[0];
  EXPECT_TRUE(r.rules[0].protect_on_mismatch);
  EXPECT_FALSE(r.rules[1].protect_on_mismatch);
  EXPECT_FALSE(r.rules[2].protect_on_mismatch);
  // user: one rule below it says dead_letter, so user does not protect.
  const codec::PathSet::Node* user = r.paths.ChildByKey(r.paths.root(), "user");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->mismatch_rule, -1);
}

TEST(PolicyShape, OnShapeMismatchProtectSetsTheTrie) {
  auto p =
      Parse(WithRules("      - { path: user.rrn, action: tokenize, key: rrn, on_shape_mismatch: protect }\n"
                      "      - { path: user.x, action: redact, mode: remove, on_shape_mismatch: protect }\n"));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  const Route& r = (*p)->routes()[0];
  const codec::PathSet::Node* user = r.paths.ChildByKey(r.paths.root(), "user");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->mismatch_rule, 0);  // the first rule below user
  EXPECT_FALSE(user->mismatch_remove);
}

TEST(PolicyShape, OnShapeMismatchErrors) {
  EXPECT_EQ(
      ErrorOf(WithRules("      - { path: user.rrn, action: redact, on_shape_mismatch: pass }\n")).rfind("p.yaml:8:", 0),
      0u);
  EXPECT_NE(ErrorOf(WithRules("      - { path: user.rrn, action: redact, on_shape_mismatch: pass }\n"))
                .find("'on_shape_mismatch' must be dead_letter"),
            std::string::npos);
  const std::string keep = ErrorOf(WithRules("      - { path: user.rrn, action: keep, on_shape_mismatch: protect }\n"));
  EXPECT_EQ(keep.rfind("p.yaml:8:", 0), 0u) << keep;
  EXPECT_NE(keep.find("does not apply to keep"), std::string::npos) << keep;
  const std::string key = ErrorOf(WithRules("      - { path: $key, action: redact, on_shape_mismatch: protect }\n"));
  EXPECT_NE(key.find("only applies to field paths"), std::string::npos) << key;
}

TEST(PolicyShape, KeepWithApplyToWholeWarnsWithItsLocation) {
  auto w =
      Parse(WithRules("      - { path: user.rrn, action: tokenize, key: rrn }\n"
                      "      - { path: blob, action: keep, apply_to: whole }\n"));
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  ASSERT_EQ((*w)->warnings().size(), 1u);
  const std::string& msg = (*w)->warnings()[0];
  EXPECT_EQ(msg.rfind("p.yaml:9:", 0), 0u) << msg;
  EXPECT_NE(msg.find("keeps the whole object or array at blob unchecked: PII nested in it passes"), std::string::npos)
      << msg;
  // keep without it, and other actions with it: nothing to warn about.
  auto n =
      Parse(WithRules("      - { path: blob, action: keep }\n"
                      "      - { path: doc, action: redact, apply_to: whole }\n"));
  ASSERT_TRUE(n.ok()) << n.error().ToString();
  EXPECT_TRUE((*n)->warnings().empty());
}

// A mask or fpe of a whole object or array keeps characters of its JSON
// text: ["9001*******67"] showed digits of an RRN inside (found by review).
// Refused where the option is written; 0 or the action alone is fine.
TEST(PolicyShape, KeptCharactersWithApplyToWholeAreRefused) {
  for (const char* rule : {"      - { path: user, action: mask, keep_first: 6, keep_last: 4, apply_to: whole }\n",
                           "      - { path: user, action: mask, apply_to: whole, keep_last: 2 }\n",
                           "      - { path: user, action: fpe, key: rrn, keep_prefix: 3, apply_to: whole }\n"}) {
    const std::string e = ErrorOf(WithRules(rule));
    EXPECT_EQ(e.rfind("p.yaml:8:", 0), 0u) << e;
    EXPECT_NE(e.find("does not go with 'apply_to: whole'"), std::string::npos) << e;
  }
  auto ok =
      Parse(WithRules("      - { path: user, action: mask, apply_to: whole }\n"
                      "      - { path: doc, action: mask, keep_first: 0, apply_to: whole }\n"));
  EXPECT_TRUE(ok.ok()) << ok.error().ToString();
}

// Options that protect less than they seem to: a mask showing more than the
// 10 characters PCI DSS allows of a card number, a bucket one unit wide.
TEST(PolicyShape, WeakMaskAndUnitBucketWarnWithTheirLocation) {
  auto w =
      Parse(WithRules("      - { path: user.rrn, action: mask, keep_first: 6, keep_last: 6 }\n"
                      "      - { path: amount, action: generalize, to: bucket, size: 1 }\n"
                      "      - { path: fee, action: generalize, to: bucket, size: 0.01 }\n"));
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  ASSERT_EQ((*w)->warnings().size(), 3u);
  const auto& ws = (*w)->warnings();
  EXPECT_EQ(ws[0].rfind("p.yaml:8:", 0), 0u) << ws[0];
  EXPECT_NE(ws[0].find("rule 'user.rrn': keep_first + keep_last show 12 characters"), std::string::npos) << ws[0];
  EXPECT_EQ(ws[1].rfind("p.yaml:9:", 0), 0u) << ws[1];
  EXPECT_NE(ws[1].find("rule 'amount': a bucket of size 1 is one unit"), std::string::npos) << ws[1];
  EXPECT_NE(ws[2].find("rule 'fee': a bucket of size 0.01 is one unit"), std::string::npos) << ws[2];
  // The PCI DSS display (6 + 4) and wider buckets: nothing to warn about.
  auto n =
      Parse(WithRules("      - { path: card, action: mask, keep_first: 6, keep_last: 4 }\n"
                      "      - { path: amount, action: generalize, to: bucket, size: 10 }\n"
                      "      - { path: fee, action: generalize, to: bucket, size: 25 }\n"
                      "      - { path: rate, action: generalize, to: bucket, size: 100.0 }\n"));
  ASSERT_TRUE(n.ok()) << n.error().ToString();
  EXPECT_TRUE((*n)->warnings().empty()) << (*n)->warnings()[0];
}

// A key with a space at its end or full-width letters is never what a record
// names: the record's plain member is refused as ambiguous, so the rule
// protects nothing; warned (found by review). Case alone is not warned about.
TEST(PolicyShape, AKeyThatOnlyReadsAsAnotherIsWarnedAbout) {
  auto w =
      Parse(WithRules("      - { path: \"user.rrn \", action: redact }\n"
                      "      - { path: 'a[\"ａb\"]', action: redact }\n"
                      "      - { path: userId, action: redact }\n"
                      "      - { path: 주민, action: redact }\n"));
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  const auto& ws = (*w)->warnings();
  ASSERT_EQ(ws.size(), 2u);
  EXPECT_NE(ws[0].find("p.yaml:8:"), std::string::npos) << ws[0];
  EXPECT_NE(ws[0].find("key 'rrn ' reads as 'rrn'"), std::string::npos) << ws[0];
  EXPECT_NE(ws[1].find("reads as 'ab'"), std::string::npos) << ws[1];
}

// (An invisible character needs a quoted key: a bare one is refused earlier.)
TEST(PolicyShape, PathNamesThatDifferOnlyByFoldingConflict) {
  for (const std::string second : {"user.RRN", "USER.phone", "'user[\"r\xc2\xadrn\"]'", "user.\xef\xbd\x92rn"}) {
    const std::string msg =
        ErrorOf(WithRules("      - { path: user.rrn, action: redact }\n"
                          "      - { path: " +
                          second + ", action: redact }\n"));
    EXPECT_EQ(msg.rfind("p.yaml:9:", 0), 0u) << second << ": " << msg;
    EXPECT_NE(msg.find("only by case, width, accents, spaces or invisible characters"), std::string::npos) << msg;
  }
  // Different names are fine.
  EXPECT_EQ(ErrorOf(WithRules("      - { path: user.rrn, action: redact }\n"
                              "      - { path: user.rrn2, action: redact }\n")),
            "compiled");
}

}  // namespace
}  // namespace maskproxy::policy
