// `policy check`'s errors for the findings of review 17: header rules that
// fold to one name, quoted words that may be key material or personal data,
// every error in one pass, quoted numbers, the policy's name, dead-letter
// reasons and test names, duplicates made with a YAML alias.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/text.h"
#include "crypto/keyring.h"
#include "policy/policy.h"
#include "support/keyring_fixture.h"

namespace maskproxy::policy {
namespace {

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring =
      test_keys::TestKeyring({{"rrn", {test_keys::FilledMaterial(1)}}, {"phone", {test_keys::FilledMaterial(2)}}});
  return ring;
}

// The errors of a policy that must not compile, one per line ("" if it did).
std::string Errors(const std::string& yaml) {
  auto p = Policy::Parse(yaml, "p.yaml", Keys());
  if (p.ok()) return "";
  return p.error().message;
}

bool Has(const std::string& errors, const std::string& fragment) {
  return errors.find(fragment) != std::string::npos;
}

std::string Route(const std::string& rules, const std::string& name = "r", const std::string& from = "raw.a",
                  const std::string& to = "out.a", const std::string& dead_letter = "dl.a") {
  return "  - name: " + name + "\n    from: " + from + "\n    to: " + to + "\n    dead_letter: " + dead_letter +
         "\n    rules:\n" + rules;
}

std::string Policy1(const std::string& rules) {
  return "policy: p\nversion: 1\nroutes:\n" + Route(rules);
}

// #2: x_phone beside x-phone is two rules for one header (a reader that
// takes '_' for '-' reads the one as the other); as X-Phone beside x-phone.
TEST(PolicyCheck, HeaderRulesThatFoldToOneNameAreAnError) {
  const std::string e =
      Errors(Policy1("      - { path: '$header.x-phone', action: redact }\n"
                     "      - { path: '$header.x_phone', action: keep }\n"));
  EXPECT_TRUE(Has(e, "p.yaml:10:17: header 'x_phone' (line 10) reads as '$header.x-phone' (line 9)")) << e;
  // Width folds too.
  const std::string w =
      Errors(Policy1("      - { path: '$header.x-phone', action: redact }\n"
                     "      - { path: \"$header.\\uFF58-phone\", action: keep }\n"));
  EXPECT_TRUE(Has(w, "p.yaml:10:17: ")) << w;
  EXPECT_TRUE(Has(w, "reads as '$header.x-phone' (line 9)")) << w;
  EXPECT_TRUE(Has(Errors(Policy1("      - { path: '$header.x-phone', action: redact }\n"
                                 "      - { path: '$header.X-Phone', action: keep }\n")),
                  "has two rules (lines 9 and 10"));
}

constexpr char kMaterial[] = "kFMBllR8ywTOCalQ4Dgq0fpyyo36x2ZOzA8IyroZ0DU=";

// #5: pasted key material, or a word that reads as personal data, is never
// echoed in an error, wherever it stands.
TEST(PolicyCheck, QuotedWordsThatMayBeKeyMaterialOrPersonalDataAreNotShown) {
  const std::string m = kMaterial;
  const std::string e =
      Errors(Policy1("      - { path: b, action: " + m + " }\n" + "      - { path: c, action: tokenize, key: rrn, " +
                     m + ": 1 }\n" + "      - { path: d, action: tokenize, key: 900101-1234567 }\n" +
                     "      - { path: e, action: redact, 010-1234-5678: 1 }\n" +
                     "      - { path: f, action: '4111 1111 1111 1111' }\n") +
             "tests:\n  - { name: t, route: " + m + ", input: {}, expect: {} }\n");
  EXPECT_TRUE(Has(e, "p.yaml:9:28: rule 'b': unknown action (not shown: it may be key material)")) << e;
  EXPECT_TRUE(Has(e, "p.yaml:10:48: rule 'c': unknown option (not shown: it may be key material)")) << e;
  EXPECT_TRUE(Has(e, "p.yaml:11:43: rule 'd': key (not shown: it may be personal data) is not in the keyring")) << e;
  EXPECT_TRUE(Has(e, "p.yaml:12:36: rule 'e': unknown option (not shown: it may be personal data)")) << e;
  EXPECT_TRUE(Has(e, "p.yaml:13:28: rule 'f': unknown action (not shown: it may be personal data)")) << e;
  for (const std::string& secret : {m, std::string("900101-1234567"), std::string("010-1234-5678"),
                                    std::string("4111 1111 1111 1111"), std::string("kFMBllR8")})
    EXPECT_FALSE(Has(e, secret)) << secret << " echoed: " << e;
  // The rule itself: words are shown, material and personal data are not.
  EXPECT_EQ(text::Shown("tokenise"), " 'tokenise'");
  EXPECT_EQ(text::Shown("customer.phoneNumber"), " 'customer.phoneNumber'");
  EXPECT_EQ(text::Shown("payments_card_2026"), " 'payments_card_2026'");
  EXPECT_EQ(text::Shown(m), " (not shown: it may be key material)");
  EXPECT_EQ(text::Shown("user." + m), " (not shown: it may be key material)");
  EXPECT_EQ(text::Shown("900101-1234567"), " (not shown: it may be personal data)");
  EXPECT_EQ(text::Shown("kim@example.com"), " (not shown: it may be personal data)");
  EXPECT_EQ(crypto::ShownName("900101-1234567"), " (not shown: it may be personal data)");
  // Date stamps in topic, file and key names are shown (a review found the
  // errors naming "settlement_20241201" unreadable); the digits around them
  // still count.
  for (const char* name : {"settlement_20241201", "payments.raw.20241201", "rrn_v20240101", "audit_2024-12-01",
                           "export_202412", "t.2026_12_07.x"})
    EXPECT_EQ(text::Shown(name), std::string(" '") + name + "'") << name;
  for (const char* data : {"19900101-1234567", "20101234567", "order.id1234567", "901231-2345678", "2024120112345678"})
    EXPECT_EQ(text::Shown(data), " (not shown: it may be personal data)") << data;
}

// #6: a route name given twice hides no other conflict between routes, and
// a route without rules is still checked for them.
TEST(PolicyCheck, ARepeatedRouteNameOrMissingRulesHideNoRouteConflict) {
  const std::string rule = "      - { path: user.rrn, action: tokenize, key: rrn }\n";
  const std::string two_names = "policy: p\nversion: 1\nroutes:\n" + Route(rule, "r1", "raw.a", "out.a", "dl.a") +
                                Route(rule, "r1", "raw.b", "out.b", "out.a");
  const std::string e = Errors(two_names);
  EXPECT_TRUE(Has(e, "p.yaml:10:11: two routes are named 'r1'")) << e;
  EXPECT_TRUE(Has(e,
                  "p.yaml:13:18: route 'r1': dead-letter topic 'out.a' is the masked destination ('to') of route "
                  "'r1' (p.yaml:6:9)"))
      << e;
  const std::string no_rules = "policy: p\nversion: 1\nroutes:\n" + Route(rule, "r1", "raw.a", "out.a", "dl.a") +
                               "  - name: r2\n    from: raw.b\n    to: out.b\n    dead_letter: out.a\n";
  const std::string n = Errors(no_rules);
  EXPECT_TRUE(Has(n, "missing 'rules' in route")) << n;
  EXPECT_TRUE(Has(n, "p.yaml:13:18: route 'r2': dead-letter topic 'out.a' is the masked destination")) << n;
  // A source that is another route's output, beside a rule error.
  const std::string loop = "policy: p\nversion: 1\nroutes:\n" + Route(rule, "r1", "raw.a", "out.a", "dl.a") +
                           Route("      - { path: x, action: tokenise }\n", "r2", "out.a", "out.b", "dl.b");
  const std::string l = Errors(loop);
  EXPECT_TRUE(Has(l, "unknown action 'tokenise'")) << l;
  EXPECT_TRUE(Has(l, "route 'r2': source topic 'out.a' is the 'to' of route 'r1'")) << l;
  // Each conflict once: not also as "source ... is also routed by".
  const std::string twice = "policy: p\nversion: 1\nroutes:\n" + Route(rule, "r1") + Route(rule, "r2");
  const std::string t = Errors(twice);
  EXPECT_TRUE(Has(t, "topic 'raw.a' has two routes")) << t;
  EXPECT_FALSE(Has(t, "is also routed by")) << t;
}

// #6: a rule with a key written twice still has its other parts checked.
TEST(PolicyCheck, DuplicateYamlKeysAreReportedWithTheOtherErrors) {
  const std::string e = Errors("policy: p\nversion: 1\nversion: 2\nroutes:\n" +
                               Route("      - { path: user.rrn, action: tokenise, key: rrn, key: rrn }\n"));
  EXPECT_TRUE(Has(e, "p.yaml:3:1: duplicate key 'version' in policy")) << e;
  EXPECT_TRUE(Has(e, "p.yaml:10:55: duplicate key 'key' in rule")) << e;
  EXPECT_TRUE(Has(e, "p.yaml:10:35: rule 'user.rrn': unknown action 'tokenise' (did you mean 'tokenize'?)")) << e;
}

// #8: a quoted number is a string, where the policy wants a number.
TEST(PolicyCheck, AQuotedNumberIsNotANumber) {
  const std::string e = Errors("policy: p\nversion: \"1\"\nroutes:\n" +
                               Route("      - { path: a, action: mask, keep_first: \"2\" }\n"
                                     "      - { path: b, action: fpe, key: phone, keep_prefix: '3', min_length: 12 }\n"
                                     "      - { path: c, action: generalize, to: bucket, size: \"10\" }\n"
                                     "      - { path: d, action: mask, keep_last: 4 }\n"));
  EXPECT_TRUE(Has(e, "p.yaml:2:10: 'version' must be a whole number, not a string")) << e;
  EXPECT_TRUE(Has(e, "p.yaml:9:46: rule 'a': option 'keep_first' must be a whole number, not a string")) << e;
  EXPECT_TRUE(Has(e, "p.yaml:10:58: rule 'b': option 'keep_prefix' must be a whole number, not a string")) << e;
  EXPECT_TRUE(Has(e, "p.yaml:11:58: rule 'c': option 'size' must be a number, not a string")) << e;
  EXPECT_FALSE(Has(e, "rule 'd'")) << e;
}

// #9: the policy's name is held to what a route's name is, and is no
// personal data or key material: it is copied into every record's header.
TEST(PolicyCheck, ThePolicyNameIsCheckedAsARouteName) {
  const std::string rules = "      - { path: x, action: keep }\n";
  const auto named = [&](const std::string& name) {
    return Errors("policy: " + name + "\nversion: 1\nroutes:\n" + Route(rules));
  };
  EXPECT_TRUE(Has(named("\"x\\ny\""), "p.yaml:1:9: policy name at character 2:")) << named("\"x\\ny\"");
  EXPECT_TRUE(Has(named("\"x\\u202Ey\""), "p.yaml:1:9: policy name at character 2:"));
  const std::string pii = named("\"payments 900101-1234567\"");
  EXPECT_TRUE(Has(pii, "p.yaml:1:9: policy name (not shown: it may be personal data)")) << pii;
  EXPECT_FALSE(Has(pii, "1234567")) << pii;
  EXPECT_TRUE(Has(named(kMaterial), "policy name (not shown: it may be key material)"));
  EXPECT_EQ(named("payments-pii"), "");
}

// #11: a misspelt dead-letter reason gets a suggestion; two tests of one
// name are an error even when one of them has another error.
TEST(PolicyCheck, DeadLetterReasonSuggestionAndTestNamesGivenTwice) {
  const std::string head = Policy1("      - { path: user.phone, action: fpe, key: phone, min_length: 10 }\n");
  const std::string e = Errors(head +
                               "tests:\n"
                               "  - { name: wrong reason, route: r, input: {}, expect_dead_letter: value_too_short }\n"
                               "  - { name: typo, route: r, input: {}, expect_dead_letter: value_too_shrt }\n"
                               "  - { name: wrong reason, route: r, input: {}, expect_dead_letter: value_too_short, "
                               "expect: {} }\n");
  EXPECT_TRUE(Has(e,
                  "p.yaml:12:60: 'expect_dead_letter': unknown reason code 'value_too_shrt' (did you mean "
                  "'value_too_short'?)"))
      << e;
  EXPECT_TRUE(Has(e, "p.yaml:13:13: two tests are named 'wrong reason' (lines 11 and 13)")) << e;
  EXPECT_TRUE(Has(e, "give either 'expect' or 'expect_dead_letter'")) << e;
}

// #13: a duplicate made with a YAML alias is reported where the alias is,
// naming the anchor's line too.
TEST(PolicyCheck, ADuplicateMadeWithAnAliasIsReportedAtTheAlias) {
  const std::string e =
      Errors(Policy1("      - &r { path: user.rrn, action: tokenize, key: rrn }\n"
                     "      - *r\n"));
  EXPECT_TRUE(Has(e,
                  "p.yaml:10:9: path 'user.rrn' is selected twice (line 10 repeats the rule of line 9 with a "
                  "YAML alias)"))
      << e;
  const std::string k =
      Errors(Policy1("      - &k { path: $key, action: tokenize, key: rrn }\n"
                     "      - *k\n"));
  EXPECT_TRUE(Has(k, "p.yaml:10:9: the record key has two rules (lines 9 and 10)")) << k;
  const std::string t = Errors(Policy1("      - { path: a, action: keep }\n") +
                               "tests:\n  - &t { name: same, route: r, input: {}, expect: {} }\n  - *t\n");
  EXPECT_TRUE(Has(t, "p.yaml:12:5: two tests are named 'same' (lines 11 and 12)")) << t;
}

}  // namespace
}  // namespace maskproxy::policy
