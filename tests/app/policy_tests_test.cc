// `maskproxy policy test`: embedded tests run through the engine, with diffs.
#include "app/policy_tests.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "crypto/keyring.h"
#include "support/keyring_fixture.h"

namespace maskproxy::app {
namespace {

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring = test_keys::TestKeyring({{"rrn", {test_keys::FilledMaterial(7)}}});
  return ring;
}

std::vector<TestOutcome> RunTests(const std::string& tests) {
  std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - name: pay\n    from: pay.raw\n    to: pay.out\n    dead_letter: pay.dlq\n    rules:\n"
      "      - { path: card.number, action: mask, keep_first: 6, keep_last: 4 }\n"
      "      - { path: user.rrn, action: tokenize, key: rrn, normalize: digits }\n"
      "      - { path: user.name, action: redact }\n"
      "      - { path: $key, action: tokenize, key: rrn }\n"
      "      - { path: $header.phone, action: mask, keep_last: 4 }\n"
      "      - { path: $header.trace, action: redact }\n"
      "tests:\n" +
      tests;
  auto p = policy::Policy::Parse(y, "p.yaml", Keys());
  EXPECT_TRUE(p.ok()) << p.error().ToString();
  if (!p.ok()) return {};
  return RunPolicyTests(*p, engine::Limits{});
}

TEST(PolicyTestRunner, PassingTests) {
  auto r = RunTests(
      "  - name: card keeps BIN and last 4\n"
      "    route: pay\n"
      "    input:  { card: { number: \"5412 7512 3412 3456\" }, amount: 125000 }\n"
      "    expect: { card: { number: \"5412 75** **** 3456\" }, amount: 125000 }\n"
      "  - name: rrn token and name removed\n"
      "    route: pay.raw\n"
      "    input:  { user: { rrn: \"900101-1234567\", name: 김민준, tags: [a, 1] } }\n"
      "    expect: { user: { rrn: !match '^t1\\.rrn\\.1\\.[A-Za-z0-9_-]{22}$', tags: [a, 1] } }\n"
      "  - name: key and headers\n"
      "    route: pay\n"
      "    key: 900101-1234567\n"
      "    headers: { phone: 010-1234-5678, trace: abc, other: x }\n"
      "    input: ~\n"
      "    expect_key: !match '^t1\\.rrn\\.1\\.'\n"
      "    expect_headers: { phone: \"***-****-5678\", trace: ~, other: x }\n"
      "  - name: garbage is dead-lettered\n"
      "    route: pay\n"
      "    input_json: '{\"user\": {\"rrn\": \"9001\\xff\"}'\n"
      "    expect_dead_letter: invalid_json\n");
  ASSERT_EQ(r.size(), 4u);
  for (const auto& o : r) {
    std::string all;
    for (const auto& d : o.diffs) all += d + "\n";
    EXPECT_TRUE(o.passed) << o.name << ":\n" << all;
  }
}

// Embedded tests go through the proxy's own record call: header names match
// case-insensitively, and a name that only looks like a ruled one is refused.
TEST(PolicyTestRunner, SeesWhatTheProxyProduces) {
  auto r = RunTests(
      "  - name: mixed-case header names\n"
      "    route: pay\n"
      "    headers: { PHONE: 010-1234-5678, Trace: abc, other: x }\n"
      "    input: {}\n"
      "    expect_headers: { phone: \"***-****-5678\", trace: ~, other: x }\n"
      "  - name: a look-alike header name\n"
      "    route: pay\n"
      "    headers: { \"\uff50hone\": 010-1234-5678 }\n"
      "    input: {}\n"
      "    expect_dead_letter: ambiguous_field_name\n");
  ASSERT_EQ(r.size(), 2u);
  for (const auto& o : r) {
    std::string all;
    for (const auto& d : o.diffs) all += d + "\n";
    EXPECT_TRUE(o.passed) << o.name << ":\n" << all;
  }
}

TEST(PolicyTestRunner, FailuresShowReadableDiffs) {
  auto r = RunTests(
      "  - name: wrong mask\n"
      "    route: pay\n"
      "    input:  { card: { number: \"5412 7512 3412 3456\" }, extra: 1 }\n"
      "    expect: { card: { number: \"5412 75** **** 9999\" }, amount: 5 }\n"
      "  - name: number vs string\n"
      "    route: pay\n"
      "    input:  { amount: 125000 }\n"
      "    expect: { amount: \"125000\" }\n"
      "  - name: not dead-lettered\n"
      "    route: pay\n"
      "    input:  { a: 1 }\n"
      "    expect_dead_letter: invalid_json\n"
      "  - name: unexpectedly dead-lettered\n"
      "    route: pay\n"
      "    input_json: '[1]'\n"
      "    expect: { a: 1 }\n");
  ASSERT_EQ(r.size(), 4u);
  for (const auto& o : r) EXPECT_FALSE(o.passed) << o.name;
  ASSERT_EQ(r[0].diffs.size(), 3u);
  EXPECT_EQ(r[0].diffs[0],
            "card.number: expected \"5412 75** **** 9999\"\n"
            "             got      \"5412 75** **** 3456\"");
  EXPECT_NE(r[0].diffs[1].find("amount: expected 5"), std::string::npos) << r[0].diffs[1];
  EXPECT_NE(r[0].diffs[1].find("(no such member)"), std::string::npos);
  EXPECT_EQ(r[0].diffs[2], "extra: not expected, got 1");
  ASSERT_EQ(r[1].diffs.size(), 1u);
  EXPECT_NE(r[1].diffs[0].find("got      125000"), std::string::npos) << r[1].diffs[0];
  ASSERT_EQ(r[2].diffs.size(), 1u);
  EXPECT_NE(r[2].diffs[0].find("but it was masked"), std::string::npos);
  ASSERT_EQ(r[3].diffs.size(), 1u);
  EXPECT_NE(r[3].diffs[0].find("dead-lettered (not_object)"), std::string::npos) << r[3].diffs[0];
}

// expect_headers, like expect, is the whole answer: a header it does not
// name fails the test (a misnamed expectation passed while the header leaked).
TEST(PolicyTestRunner, ExpectHeadersNamesEveryHeaderOfTheOutput) {
  auto r = RunTests(
      "  - name: misnamed header\n"
      "    route: pay\n"
      "    headers: { phone: 010-1234-5678, phone2: 010-9999-8888 }\n"
      "    input: {}\n"
      "    expect_headers: { phone: \"***-****-5678\", phon2: ~ }\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].passed);
  bool named = false;
  for (const auto& d : r[0].diffs) named = named || d.rfind("$header.phone2: not expected", 0) == 0;
  EXPECT_TRUE(named) << (r[0].diffs.empty() ? "" : r[0].diffs.back());
}

// Header names match case-insensitively, so an expectation holds every
// produced header of that name: the raw X-Phone beside a masked x-phone
// fails the test (only the last match was compared).
TEST(PolicyTestRunner, EveryHeaderOfAnExpectedNameIsCompared) {
  auto r = RunTests(
      "  - name: two cases of one header\n"
      "    route: pay\n"
      "    headers: { X-Other: 010-1234-5678, x-other: none }\n"
      "    input: {}\n"
      "    expect_headers: { x-other: none }\n"
      "  - name: two cases of one removed header\n"
      "    route: pay\n"
      "    headers: { TRACE: a, trace: b }\n"
      "    input: {}\n"
      "    expect_headers: { trace: ~ }\n"
      "  - name: one expectation, both masked\n"
      "    route: pay\n"
      "    headers: { Phone: 010-1234-5678, phone: 010-9999-8888 }\n"
      "    input: {}\n"
      "    expect_headers: { PHONE: !match '^\\*\\*\\*-\\*\\*\\*\\*-\\d{4}$' }\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_FALSE(r[0].passed);
  ASSERT_EQ(r[0].diffs.size(), 1u);
  EXPECT_EQ(r[0].diffs[0].rfind("$header.X-Other: expected \"none\"", 0), 0u) << r[0].diffs[0];
  std::string all;
  for (const auto& d : r[1].diffs) all += d + "\n";
  EXPECT_TRUE(r[1].passed) << all;
  all.clear();
  for (const auto& d : r[2].diffs) all += d + "\n";
  EXPECT_TRUE(r[2].passed) << all;
}

// `expect_headers: {}`, like `expect: {}`, is the whole answer: an output
// without headers (it asserted nothing before). A maskproxy.* header of the
// input is dropped as the proxy drops it on consuming, so it is not one.
TEST(PolicyTestRunner, EmptyExpectHeadersMeansNoHeaders) {
  auto r = RunTests(
      "  - name: a header left\n"
      "    route: pay\n"
      "    headers: { other: 010-1234-5678, trace: x }\n"
      "    input: {}\n"
      "    expect_headers: {}\n"
      "  - name: only removed ones and the proxy's namespace\n"
      "    route: pay\n"
      "    headers: { trace: x, MaskProxy.origin: forged }\n"
      "    input: {}\n"
      "    expect_headers: {}\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].passed);
  ASSERT_EQ(r[0].diffs.size(), 1u);
  EXPECT_EQ(r[0].diffs[0].rfind("$header.other: not expected", 0), 0u) << r[0].diffs[0];
  std::string all;
  for (const auto& d : r[1].diffs) all += d + "\n";
  EXPECT_TRUE(r[1].passed) << all;
}

// A test names a route, but the proxy routes a record by its topic: when an
// earlier route's pattern takes the topic, the test fails instead of passing
// against a route the record never reaches.
TEST(PolicyTestRunner, ATopicTakenByAnEarlierPatternFails) {
  const std::string y =
      "policy: p\nversion: 1\nroutes:\n"
      "  - { name: all, from: '^pay.*', to: all.out, dead_letter: all.dlq, rules: [{ path: x, action: keep }] }\n"
      "  - name: payments\n    from: '^payments\\.raw$'\n    to: p.out\n    dead_letter: p.dlq\n    rules:\n"
      "      - { path: user.rrn, action: tokenize, key: rrn }\n"
      "tests:\n"
      "  - name: rrn\n    route: payments\n    topic: payments.raw\n"
      "    input: { user: { rrn: \"900101-1234567\" } }\n"
      "    expect: { user: { rrn: !match '^t1\\.' } }\n";
  auto p = policy::Policy::Parse(y, "p.yaml", Keys());
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  auto r = RunPolicyTests(*p, engine::Limits{});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].passed);
  ASSERT_FALSE(r[0].diffs.empty());
  EXPECT_NE(r[0].diffs[0].find("routed to route 'all'"), std::string::npos) << r[0].diffs[0];
}

// The same across files (found by review): a pattern route of a file the
// proxy loads first takes the test's topic. On the engine of the test's own
// file it passed; on the engine of the set, as `policy test a b` runs it, it
// fails.
TEST(PolicyTestRunner, ATopicTakenByAPatternOfAnEarlierFileFails) {
  auto general = policy::Policy::Parse(
      "policy: general\nversion: 1\nroutes:\n"
      "  - { name: all, from: '^pay\\..*$', to: all.out, dead_letter: all.dlq, rules: [{ path: x, action: keep }] }\n",
      "general.yaml", Keys());
  ASSERT_TRUE(general.ok()) << general.error().ToString();
  auto cards = policy::Policy::Parse(
      "policy: cards\nversion: 1\nroutes:\n"
      "  - name: cards\n    from: '^pay\\.cards\\..*$'\n    to: c.out\n    dead_letter: c.dlq\n    rules:\n"
      "      - { path: user.rrn, action: tokenize, key: rrn }\n"
      "tests:\n"
      "  - name: rrn\n    route: cards\n    topic: pay.cards.kr\n"
      "    input: { user: { rrn: \"900101-1234567\" } }\n"
      "    expect: { user: { rrn: !match '^t1\\.' } }\n",
      "cards.yaml", Keys());
  ASSERT_TRUE(cards.ok()) << cards.error().ToString();
  auto alone = RunPolicyTests(*cards, engine::Limits{});
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_TRUE(alone[0].passed);
  auto together = engine::Engine::Create({*general, *cards}, engine::Limits{});
  ASSERT_TRUE(together.ok()) << together.error().ToString();
  auto r = RunPolicyTests(*cards, engine::Limits{}, together->get());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].passed);
  ASSERT_FALSE(r[0].diffs.empty());
  EXPECT_NE(r[0].diffs[0].find("routed to route 'all'"), std::string::npos) << r[0].diffs[0];
  // An engine that does not hold the file's routes is not used.
  auto other = engine::Engine::Create({*general}, engine::Limits{});
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(RunPolicyTests(*cards, engine::Limits{}, other->get())[0].passed);
}

// A test of a pattern route masked "as" the pattern text and skipped the
// routing check, so a route shadowed by an earlier pattern passed. Such a
// test must now give a topic (the policy refuses it without one), and the
// routing check applies to it.
TEST(PolicyTestRunner, APatternRouteIsTestedThroughATopic) {
  const std::string routes =
      "policy: p\nversion: 1\nroutes:\n"
      "  - { name: all, from: '^payments\\..*$', to: all.out, dead_letter: all.dlq,\n"
      "      rules: [{ path: x, action: keep }] }\n"
      "  - { name: cards, from: '^payments\\.cards\\..*$', to: c.out, dead_letter: c.dlq,\n"
      "      rules: [{ path: card, action: mask, keep_last: 4 }] }\n"
      "tests:\n"
      "  - name: card\n    route: cards\n";
  const std::string body = "    input: { card: \"5412751234123456\" }\n    expect: { card: !match '3456$' }\n";
  // Without a topic, the shortest one the pattern matches (payments.cards.):
  // the shadowing shows as well.
  for (const std::string topic : {"", "payments.cards.eu", "unrelated.topic"}) {
    auto p =
        policy::Policy::Parse(routes + (topic.empty() ? "" : "    topic: " + topic + "\n") + body, "p.yaml", Keys());
    ASSERT_TRUE(p.ok()) << p.error().ToString();
    auto r = RunPolicyTests(*p, engine::Limits{});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_FALSE(r[0].passed) << topic;
    ASSERT_EQ(r[0].diffs.size(), 1u);
    EXPECT_NE(r[0].diffs[0].find(topic == "unrelated.topic" ? "is routed to no route" : "routed to route 'all'"),
              std::string::npos)
        << r[0].diffs[0];
  }
}

// `!match` is RE2: a pattern that made std::regex recurse once per
// alternative (the policy fuzzer overflowed the stack with one) is parsed and
// searched in linear time; an invalid one (RE2 refuses repeats above 1000)
// is refused with its line.
TEST(PolicyTestRunner, MatchPatternsAreRe2AndCannotCrash) {
  std::string alternatives(200000, '|');
  auto r = RunTests(
      "  - name: many alternatives\n"
      "    route: pay\n"
      "    input:  { note: Kim }\n"
      "    expect: { note: !match '^Kim(" +
      alternatives + ")$' }\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].passed);

  for (const std::string& bad : {std::string("(unclosed"), std::string("a{2000}")}) {
    std::string y =
        "policy: p\nversion: 1\nroutes:\n"
        "  - name: pay\n    from: pay.raw\n    to: pay.out\n    dead_letter: pay.dlq\n    rules:\n"
        "      - { path: user.name, action: redact }\n"
        "tests:\n"
        "  - name: bad pattern\n    route: pay\n    input: { a: 1 }\n    expect: { a: !match '" +
        bad + "' }\n";
    auto p = policy::Policy::Parse(y, "p.yaml", Keys());
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().ToString().find("p.yaml:14:"), std::string::npos) << p.error().ToString();
    EXPECT_NE(p.error().ToString().find("RE2 regular expression"), std::string::npos) << p.error().ToString();
  }
}

// Tests that cannot fail are refused (found by review): a value given with
// only expect_key or expect_headers is never compared, and a !match pattern
// that matches the empty text matches every value, a raw one too.
TEST(PolicyTestRunner, TestsThatCannotFailAreRefused) {
  const std::string head =
      "policy: p\nversion: 1\nroutes:\n"
      "  - name: pay\n    from: pay.raw\n    to: pay.out\n    dead_letter: pay.dlq\n    rules:\n"
      "      - { path: user.rrn, action: tokenize, key: rrn }\n"
      "      - { path: $key, action: tokenize, key: rrn }\n"
      "tests:\n  - name: t\n    route: pay\n";
  const std::pair<std::string, std::string> cases[] = {
      {"    key: k1\n    input: { user: { rrn: \"900101-1234567\" } }\n    expect_key: !match '^t1'\n",
       "needs 'expect'"},
      {"    input: { user: { rrn: \"900101-1234567\" } }\n    expect_headers: {}\n", "needs 'expect'"},
      {"    input_json: '{\"user\":{\"rrn\":\"900101-1234567\"}}'\n    expect_headers: {}\n", "needs 'expect'"},
      {"    input: { user: { rrn: \"900101-1234567\" } }\n    expect: { user: { rrn: !match '' } }\n",
       "matches the empty text"},
      {"    input: { user: { rrn: \"900101-1234567\" } }\n    expect: { user: { rrn: !match '.*' } }\n",
       "matches the empty text"},
      {"    input: { user: { rrn: \"900101-1234567\" } }\n    expect: { user: { rrn: !match 'x?|t1' } }\n",
       "matches the empty text"},
  };
  for (const auto& [test, message] : cases) {
    auto p = policy::Policy::Parse(head + test, "p.yaml", Keys());
    ASSERT_FALSE(p.ok()) << test;
    EXPECT_NE(p.error().ToString().find(message), std::string::npos) << p.error().ToString();
  }
  // A tombstone or {} with expect_key only, an anchored pattern: fine.
  for (const std::string test :
       {"    key: k1\n    input: ~\n    expect_key: !match '^t1'\n",
        "    key: k1\n    input: {}\n    expect_key: !match '^t1'\n",
        "    input: { user: { rrn: \"9\" } }\n    expect: { user: { rrn: !match '^t1' } }\n"}) {
    auto p = policy::Policy::Parse(head + test, "p.yaml", Keys());
    EXPECT_TRUE(p.ok()) << test << p.error().ToString();
  }
}

// The shipped example policies pass their own embedded tests (what
// `maskproxy policy test --keys K policies/*.yaml` runs).
// A member name given twice in the output fails the test, naming it: the
// expectation held for the last occurrence while the first kept the raw
// phone. Every occurrence of an expected member is compared.
TEST(PolicyTestRunner, ADuplicatedMemberFailsNamingIt) {
  auto r = RunTests(
      "  - name: raw phone beside the expected note\n"
      "    route: pay\n"
      "    input_json: '{\"note\":\"010-1234-5678\",\"note\":\"ok\"}'\n"
      "    expect: { note: ok }\n"
      "  - name: twice the same\n"
      "    route: pay\n"
      "    input_json: '{\"a\":{\"note\":\"ok\",\"note\":\"ok\"}}'\n"
      "    expect: { a: { note: ok } }\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].passed);
  std::string all;
  for (const auto& d : r[0].diffs) all += d + "\n";
  EXPECT_NE(all.find("note: the output has 2 members named 'note'"), std::string::npos) << all;
  EXPECT_NE(all.find("got      \"010-1234-5678\""), std::string::npos) << all;
  EXPECT_FALSE(r[1].passed);
  ASSERT_EQ(r[1].diffs.size(), 1u);
  EXPECT_EQ(r[1].diffs[0].rfind("a.note: the output has 2 members named 'note'", 0), 0u) << r[1].diffs[0];
}

// The masked value is read back as JSON, strings decoded as the engine
// decodes them: a surrogate pair escape (an emoji) is one character, not a
// value that "could not be read back" (yaml-cpp, which read it before,
// refused the pair).
TEST(PolicyTestRunner, ReadsSurrogatePairEscapesBack) {
  auto r = RunTests(
      "  - name: emoji kept\n"
      "    route: pay\n"
      "    input_json: '{\"note\": \"hi \\ud83d\\ude00\", \"n\": 1.50, \"b\": [true, null]}'\n"
      "    expect: { note: \"hi \xF0\x9F\x98\x80\", n: 1.50, b: [true, null] }\n"
      "  - name: emoji differs\n"
      "    route: pay\n"
      "    input_json: '{\"note\": \"\\ud83d\\ude00\"}'\n"
      "    expect: { note: x }\n");
  ASSERT_EQ(r.size(), 2u);
  std::string all;
  for (const auto& d : r[0].diffs) all += d + "\n";
  EXPECT_TRUE(r[0].passed) << all;
  EXPECT_FALSE(r[1].passed);
  ASSERT_EQ(r[1].diffs.size(), 1u);
  EXPECT_NE(r[1].diffs[0].find("got      \"\xF0\x9F\x98\x80\""), std::string::npos) << r[1].diffs[0];
}

TEST(PolicyTestRunner, ShippedPoliciesPassTheirTests) {
  std::vector<test_keys::TestKey> ring;
  uint8_t first = 1;
  for (const char* name : {"rrn", "phone", "email", "account", "contact", "customer"})
    ring.push_back({name, {test_keys::FilledMaterial(first++)}});
  auto keys = test_keys::ParseKeyring(ring);
  ASSERT_TRUE(keys.ok());
  const std::filesystem::path dir = std::filesystem::path(MASKPROXY_SOURCE_DIR) / "policies";
  size_t ran = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    auto p = policy::Policy::Load(e.path().string(), *keys);
    ASSERT_TRUE(p.ok()) << p.error().ToString();
    EXPECT_FALSE((*p)->tests().empty()) << e.path() << " has no embedded tests";
    for (const auto& o : RunPolicyTests(*p, engine::Limits{})) {
      ++ran;
      std::string all;
      for (const auto& d : o.diffs) all += d + "\n";
      EXPECT_TRUE(o.passed) << e.path() << ":" << o.line << " " << o.name << "\n" << all;
    }
  }
  EXPECT_GE(ran, 9u);
}

}  // namespace
}  // namespace maskproxy::app
