// The policy playground's dry run (POST /v1/policy/evaluate): masked events
// beside their raw form, dead letters with their reason, `policy check`
// errors at their line and column, the embedded tests, bad bodies answered
// with their location, the event limit, and that it never uses the loaded
// keys (throwaway keys derived from the session).
#include "app/playground.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "admin/router.h"
#include "app/playground_assets.h"
#include "common/text.h"
#include "crypto/usage.h"
#include "engine/engine.h"
#include "support/keyring_fixture.h"

namespace maskproxy::app {
namespace {

using test_keys::Material;

constexpr char kPolicy[] = R"(policy: pg-test
version: 2
routes:
  - name: payments
    from: payments.raw
    to: analytics.payments
    dead_letter: payments.quarantine
    unlisted_fields: scan
    rules:
      - { path: user.rrn, action: tokenize, key: rrn, normalize: digits }
      - { path: user.name, action: redact }
tests:
  - name: rrn is tokenized
    route: payments
    input: { user: { rrn: "900101-1234567" } }
    expect: { user: { rrn: !match '^t1\.rrn\.1\.' } }
  - name: a failing expectation
    route: payments
    input: { user: { name: "Kim" } }
    expect: { user: { name: "Kim" } }
)";

// A fixed 32-byte session (base64url of bytes 0..31).
constexpr char kSession[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

std::string Body(const std::string& policy, const std::string& events, const std::string& extra = "") {
  return "{\"policy\":" + text::JsonQuoted(policy) + ",\"events\":" + text::JsonQuoted(events) + ",\"session\":\"" +
         kSession + "\"" + extra + "}";
}

// The token the evaluation gave user.rrn of its first event.
std::string TokenIn(const std::string& json) {
  size_t at = json.find("t1.rrn.");
  if (at == std::string::npos) return "";
  size_t end = json.find_first_of("\\\"", at);
  return json.substr(at, end - at);
}

TEST(Playground, MasksEachEventBesideItsRawForm) {
  PlaygroundReply r =
      EvaluatePolicy(Body(kPolicy,
                          "{\"user\":{\"rrn\":\"900101-1234567\",\"name\":\"Kim\"},\"note\":\"010-1234-5678\"}\n\n"
                          "{\"user\":{\"rrn\":\"851231-2345678\"}}\n"),
                     PlaygroundOptions{});
  ASSERT_EQ(r.status, 200) << r.json_body;
  const std::string& j = r.json_body;
  EXPECT_NE(j.find("\"keys\":\"throwaway\""), std::string::npos);
  EXPECT_NE(j.find("\"ok\":true"), std::string::npos);
  EXPECT_NE(j.find("\"label\":\"pg-test@2#"), std::string::npos) << j;
  // Line numbers of the events text (the blank line is not an event).
  EXPECT_NE(j.find("{\"line\":1,\"raw\":"), std::string::npos) << j;
  EXPECT_NE(j.find("{\"line\":3,\"raw\":"), std::string::npos) << j;
  EXPECT_NE(j.find("\\\"name\\\":null") == std::string::npos ? j.find("\"masked\":") : 0, std::string::npos);
  // The rule behind each protected value, and the detector of the unlisted one.
  EXPECT_NE(j.find("{\"path\":\"user.rrn\",\"action\":\"tokenize\",\"rule_line\":10,\"count\":1}"), std::string::npos)
      << j;
  EXPECT_NE(j.find("{\"path\":\"user.name\",\"action\":\"redact\""), std::string::npos) << j;
  EXPECT_NE(j.find("{\"field\":\"note\",\"detector\":\"phone_kr\",\"unlisted\":true}"), std::string::npos) << j;
  // The raw value is beside it, and the masked output holds no raw RRN.
  const size_t masked = j.find("\"masked\":");
  ASSERT_NE(masked, std::string::npos);
  EXPECT_EQ(j.find("900101-1234567", masked), std::string::npos) << j;
  EXPECT_NE(j.find("900101-1234567"), std::string::npos);
}

TEST(Playground, DeadLettersCarryTheirReasonAndLine) {
  PlaygroundReply r = EvaluatePolicy(Body(kPolicy, "{\"user\":{\"rrn\":\"1\"}}\n[1,2]\nnot json\n"), {});
  ASSERT_EQ(r.status, 200) << r.json_body;
  EXPECT_NE(r.json_body.find("\"line\":2,\"raw\":\"[1,2]\",\"dead_letter\":{\"reason\":\"not_object\""),
            std::string::npos)
      << r.json_body;
  EXPECT_NE(r.json_body.find("\"line\":3,\"raw\":\"not json\",\"dead_letter\":{\"reason\":\"invalid_json\""),
            std::string::npos)
      << r.json_body;
}

TEST(Playground, RunsTheEmbeddedTests) {
  PlaygroundReply r = EvaluatePolicy(Body(kPolicy, ""), {});
  ASSERT_EQ(r.status, 200) << r.json_body;
  EXPECT_NE(
      r.json_body.find("{\"name\":\"rrn is tokenized\",\"line\":13,\"passed\":true,\"diffs\":[],\"warnings\":[]}"),
      std::string::npos)
      << r.json_body;
  EXPECT_NE(r.json_body.find("{\"name\":\"a failing expectation\",\"line\":17,\"passed\":false,\"diffs\":[\"user.name"),
            std::string::npos)
      << r.json_body;
  PlaygroundReply off = EvaluatePolicy(Body(kPolicy, "", ",\"run_tests\":false"), {});
  EXPECT_NE(off.json_body.find("\"tests\":[]"), std::string::npos) << off.json_body;
}

TEST(Playground, PolicyErrorsComeWithTheirLineAndColumn) {
  std::string bad = kPolicy;
  bad.replace(bad.find("action: redact"), 14, "action: redakt");
  PlaygroundReply r = EvaluatePolicy(Body(bad, "{}"), {});
  EXPECT_EQ(r.status, 422) << r.json_body;
  EXPECT_NE(r.json_body.find("\"ok\":false"), std::string::npos);
  EXPECT_NE(r.json_body.find("\"errors\":[{\"line\":11,\"col\":"), std::string::npos) << r.json_body;
  EXPECT_NE(r.json_body.find("redakt"), std::string::npos) << r.json_body;

  // YAML that does not parse.
  PlaygroundReply y = EvaluatePolicy(Body("policy: x\nroutes: [\n  - {from: a\n", "{}"), {});
  EXPECT_EQ(y.status, 422) << y.json_body;
  EXPECT_NE(y.json_body.find("\"errors\":[{\"line\":"), std::string::npos) << y.json_body;
  EXPECT_EQ(y.json_body.find("\"line\":0"), std::string::npos) << y.json_body;
}

// The review's request: ~100 KB of policy with 1,500 custom detectors of
// '[a-z0-9]{1,1000}x{i}[0-9]{1,1000}' compiled for 22-33 s on the admin
// listener's one thread (and left ~600 MB resident) before "does not fit in
// max_mem". It is refused from its count, before any pattern is compiled.
TEST(Playground, ADetectorSetTooLargeIsRefusedBeforeItIsCompiled) {
  std::string policy = "policy: t\nversion: 1\nscan:\n  detectors:\n";
  for (int i = 0; i < 1500; ++i)
    policy += "    - { name: d" + std::to_string(i) + ", pattern: '[a-z0-9]{1,1000}x" + std::to_string(i) +
              "[0-9]{1,1000}' }\n";
  policy +=
      "routes:\n  - name: r1\n    from: a.raw\n    to: a.out\n    dead_letter: a.dlq\n    unlisted_fields: scan\n"
      "    rules:\n      - { path: user.rrn, action: redact }\n";
  const auto t0 = std::chrono::steady_clock::now();
  PlaygroundReply r = EvaluatePolicy(Body(policy, "{\"m\":\"abc\"}"), {});
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, 422) << r.json_body;
  EXPECT_NE(r.json_body.find("{\"line\":69,\"col\":7,\"message\":\"scan.detectors: 1500 custom detectors; at most 64"),
            std::string::npos)
      << r.json_body;
  EXPECT_LT(ms, 3000) << "the detectors were compiled";
}

// The review's request: 500 routes of '^tN[a-z]{1,995}$' (each under the
// per-pattern limit of 2,000 RE2 instructions, 53 KB together) held the
// listener for 6.8 s, 9,400 of them more than 60 s and 575 MB. They are
// refused at the first route past the file's total, before it compiles.
TEST(Playground, ManyPatternRoutesAreRefusedFromTheirTotal) {
  std::string policy = "policy: t\nversion: 1\nroutes:\n";
  for (int i = 0; i < 500; ++i) {
    const std::string n = std::to_string(i);
    policy += "  - { from: '^t" + n + "[a-z]{1,995}$', to: o" + n + ", dead_letter: d" + n +
              ", rules: [{ path: a, action: redact }] }\n";
  }
  const auto t0 = std::chrono::steady_clock::now();
  PlaygroundReply r = EvaluatePolicy(Body(policy, "{\"a\":\"x\"}"), {});
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, 422) << r.json_body.substr(0, 300);
  EXPECT_NE(r.json_body.find("{\"line\":29,\"col\":13,\"message\":\"this route's 'from' pattern makes 26 pattern "
                             "routes"),
            std::string::npos)
      << r.json_body.substr(0, 300);
  EXPECT_LT(ms, 3000) << "the patterns were compiled";
}

TEST(Playground, BadBodiesAreAnsweredWithTheirLocation) {
  PlaygroundReply r = EvaluatePolicy("{\n  \"policy\": \"x\",\n  \"events\": oops\n}", {});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.json_body.find("\"error\":\"invalid_argument\""), std::string::npos) << r.json_body;
  EXPECT_NE(r.json_body.find("\"line\":3,\"col\":13"), std::string::npos) << r.json_body;

  PlaygroundReply j = EvaluatePolicy("{\"policy\": \"x\",\n \"events\": \"a\" ", {});
  EXPECT_EQ(j.status, 400);
  EXPECT_NE(j.json_body.find("\"error\":\"invalid_json\""), std::string::npos) << j.json_body;
  EXPECT_NE(j.json_body.find("\"line\":2,"), std::string::npos) << j.json_body;

  PlaygroundReply unknown = EvaluatePolicy("{\"polcy\":\"x\"}", {});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.json_body.find("unknown member 'polcy'"), std::string::npos) << unknown.json_body;

  EXPECT_EQ(EvaluatePolicy("{\"events\":\"\"}", {}).status, 400);                         // no policy
  EXPECT_EQ(EvaluatePolicy("{\"policy\":\"x\",\"policy_file\":\"y\"}", {}).status, 400);  // both
  EXPECT_EQ(EvaluatePolicy("\xff", {}).status, 400);
  EXPECT_EQ(EvaluatePolicy("", {}).status, 400);
  EXPECT_EQ(EvaluatePolicy(Body(kPolicy, "{}", ",\"format\":\"xml\""), {}).status, 400);
  EXPECT_EQ(EvaluatePolicy(Body(kPolicy, "{}", ",\"route\":\"nope\""), {}).status, 400);
  // A session that is too short to be a secret.
  EXPECT_EQ(EvaluatePolicy("{\"policy\":\"x\",\"session\":\"AAEC\"}", {}).status, 400);
}

TEST(Playground, MoreEventsThanTheLimitAre413) {
  PlaygroundOptions o;
  o.max_events = 3;
  std::string three = "{}\n{}\n\n{}\n";
  EXPECT_EQ(EvaluatePolicy(Body(kPolicy, three), o).status, 200);
  PlaygroundReply r = EvaluatePolicy(Body(kPolicy, three + "{}\n"), o);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.json_body.find("\"error\":\"too_large\""), std::string::npos) << r.json_body;
  // CSV: rows after the header.
  EXPECT_EQ(EvaluatePolicy(Body(kPolicy, "a\n1\n2\n3\n", ",\"format\":\"csv\""), o).status, 200);
  EXPECT_EQ(EvaluatePolicy(Body(kPolicy, "a\n1\n2\n3\n4\n", ",\"format\":\"csv\""), o).status, 413);
}

TEST(Playground, CsvRowsAreMaskedAndDeadLettered) {
  constexpr char kCsvPolicy[] = R"(policy: csv
version: 1
routes:
  - { from: people.raw, to: people.masked, dead_letter: people.dlq,
      rules: [ { path: rrn, action: tokenize, key: rrn, normalize: digits } ] }
)";
  PlaygroundReply r = EvaluatePolicy(Body(kCsvPolicy, "id,rrn\n1,900101-1234567\n2,3,4\n", ",\"format\":\"csv\""), {});
  ASSERT_EQ(r.status, 200) << r.json_body;
  EXPECT_NE(r.json_body.find("\"masked\":\"id,rrn\\n1,t1.rrn.1."), std::string::npos) << r.json_body;
  EXPECT_NE(r.json_body.find("\"dead_letters\":[{\"line\":3,\"reason\":\"field_count\""), std::string::npos)
      << r.json_body;
}

TEST(Playground, NeverUsesTheLoadedKeys) {
  // The loaded keyring: what `maskproxy run` / `maskproxy mask` would use.
  crypto::Keyring loaded = test_keys::TestKeyring({{"rrn", {Material(0)}}});
  auto pol = policy::Policy::Parse(kPolicy, "p.yaml", loaded, crypto::UsageLedger::InMemory());
  ASSERT_TRUE(pol.ok()) << pol.error().message;
  auto eng = engine::Engine::Create({*pol}, {});
  ASSERT_TRUE(eng.ok());
  std::string production;
  const std::string event = "{\"user\":{\"rrn\":\"900101-1234567\"}}";
  ASSERT_TRUE((*eng)->MaskValue(*(*eng)->FindRoute("payments.raw"), "payments.raw", event, &production).ok());
  const std::string production_token = TokenIn(production);
  ASSERT_FALSE(production_token.empty()) << production;

  // The playground, told about that keyring (its shapes), with one session.
  PlaygroundOptions o;
  o.key_shapes = KeyShapes(loaded);
  PlaygroundReply a = EvaluatePolicy(Body(kPolicy, event), o);
  ASSERT_EQ(a.status, 200) << a.json_body;
  const std::string token = TokenIn(a.json_body);
  ASSERT_FALSE(token.empty()) << a.json_body;
  EXPECT_NE(token, production_token);
  // Stable within a session...
  EXPECT_EQ(TokenIn(EvaluatePolicy(Body(kPolicy, event), o).json_body), token);
  // ...and another session gives another token.
  std::string other = Body(kPolicy, event);
  other.replace(other.find(kSession), 4, "BBBB");
  EXPECT_NE(TokenIn(EvaluatePolicy(other, o).json_body), token);
  // Without a session the server draws one and answers it.
  PlaygroundReply drawn =
      EvaluatePolicy("{\"policy\":" + text::JsonQuoted(kPolicy) + ",\"events\":" + text::JsonQuoted(event) + "}", o);
  ASSERT_EQ(drawn.status, 200) << drawn.json_body;
  EXPECT_NE(drawn.json_body.find("\"session\":\""), std::string::npos);
  EXPECT_NE(TokenIn(drawn.json_body), production_token);
  EXPECT_NE(TokenIn(drawn.json_body), token);
}

TEST(Playground, ThrowawayKeysMirrorTheLoadedVersionsOnly) {
  crypto::Keyring loaded = test_keys::TestKeyring({{"rrn", {Material(0), Material(160)}}});
  crypto::SecretBytes session(std::vector<uint8_t>(32, 7));
  auto keys = ThrowawayKeyring(session, {"rrn", "phone"}, KeyShapes(loaded));
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  const crypto::Key* rrn = keys->Find("rrn");
  ASSERT_NE(rrn, nullptr);
  EXPECT_EQ(rrn->active, loaded.Find("rrn")->active);
  ASSERT_EQ(rrn->versions.size(), 2u);
  for (const auto& [v, material] : rrn->versions) {
    const crypto::SecretBytes& real = loaded.Find("rrn")->versions.at(v);
    EXPECT_FALSE(material.size() == real.size() &&
                 std::equal(material.data(), material.data() + material.size(), real.data()))
        << "version " << v << " is the loaded material";
  }
  ASSERT_NE(keys->Find("phone"), nullptr);  // not loaded: version 1
  EXPECT_EQ(keys->Find("phone")->active, 1u);
  EXPECT_EQ(KeyNamesIn("routes: [{rules: [{key: rrn}, {key: 'bad name!'}]}]\nscan: {actions: {x: {key: phone}}}"),
            (std::vector<std::string>{"phone", "rrn"}));
  EXPECT_TRUE(KeyNamesIn("[: not yaml").empty());
  // A test's record data is not read: its `key` member may be PII, and nested
  // aliases there would take exponential time to walk.
  std::string bomb =
      "routes: [{rules: [{key: rrn}]}]\ntests:\n  - input: {key: '900101-1234567', a: &a0 [1,1,1,1,1,1,1,1]";
  for (int i = 1; i < 30; ++i)
    bomb += ", a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + ",*a" +
            std::to_string(i - 1) + ",*a" + std::to_string(i - 1) + "]";
  bomb += "}\n";
  EXPECT_EQ(KeyNamesIn(bomb), (std::vector<std::string>{"rrn"}));
}

// With a topic, the events are masked by the route the proxy would pick
// for it, or refused: a named route that an earlier pattern shadows for that
// topic, or a topic no route reads, used to be masked with the named route.
TEST(Playground, ATopicIsMaskedByTheRouteTheProxyPicks) {
  constexpr char kRoutes[] = R"(policy: pg-routes
version: 1
routes:
  - { name: all, from: '^payments\..*$', to: all.out, dead_letter: all.dlq, rules: [{ path: card, action: keep }] }
  - { name: cards, from: '^payments\.cards\..*$', to: c.out, dead_letter: c.dlq,
      rules: [{ path: card, action: mask, keep_last: 4 }] }
  - { name: notes, from: notes.raw, to: n.out, dead_letter: n.dlq, rules: [{ path: card, action: redact }] }
)";
  const std::string event = "{\"card\":\"5412751234123456\"}";
  PlaygroundReply shadowed =
      EvaluatePolicy(Body(kRoutes, event, ",\"route\":\"cards\",\"topic\":\"payments.cards.eu\""), {});
  EXPECT_EQ(shadowed.status, 400) << shadowed.json_body;
  EXPECT_NE(shadowed.json_body.find("is routed to route 'all'"), std::string::npos) << shadowed.json_body;
  EXPECT_EQ(shadowed.json_body.find("5412"), std::string::npos) << shadowed.json_body;
  PlaygroundReply unrelated =
      EvaluatePolicy(Body(kRoutes, event, ",\"route\":\"cards\",\"topic\":\"unrelated.topic\""), {});
  EXPECT_EQ(unrelated.status, 400) << unrelated.json_body;
  EXPECT_NE(unrelated.json_body.find("no route of the policy reads topic 'unrelated.topic'"), std::string::npos)
      << unrelated.json_body;
  PlaygroundReply alone = EvaluatePolicy(Body(kRoutes, event, ",\"topic\":\"unrelated.topic\""), {});
  EXPECT_EQ(alone.status, 400) << alone.json_body;
  // A topic alone picks the route; a named route that gets the topic masks.
  PlaygroundReply picked = EvaluatePolicy(Body(kRoutes, event, ",\"topic\":\"payments.cards.eu\""), {});
  ASSERT_EQ(picked.status, 200) << picked.json_body;
  EXPECT_NE(picked.json_body.find("\"route\":\"all\",\"topic\":\"payments.cards.eu\""), std::string::npos)
      << picked.json_body;
  PlaygroundReply exact = EvaluatePolicy(Body(kRoutes, event, ",\"route\":\"notes\",\"topic\":\"notes.raw\""), {});
  ASSERT_EQ(exact.status, 200) << exact.json_body;
  EXPECT_NE(exact.json_body.find("\"route\":\"notes\",\"topic\":\"notes.raw\""), std::string::npos) << exact.json_body;
}

// A key the loaded keyring does not hold is what `policy check` refuses;
// the throwaway keyring has every key the policy names, so the dry run
// masks anyway and says so in a warning at the key's line and column.
// Without a loaded keyring nothing is said.
TEST(Playground, AKeyMissingFromTheLoadedKeyringIsWarnedOf) {
  std::string policy = kPolicy;
  policy.replace(policy.find("key: rrn"), 8, "key: rnn");
  PlaygroundOptions o;
  o.key_shapes = KeyShapes(test_keys::TestKeyring({{"rrn", {Material(0)}}}));
  PlaygroundReply r = EvaluatePolicy(Body(policy, "{}"), o);
  ASSERT_EQ(r.status, 200) << r.json_body;
  EXPECT_NE(r.json_body.find("{\"line\":10,\"col\":50,\"message\":\"key 'rnn' is not in the keyring "
                             "(did you mean 'rrn'?)"),
            std::string::npos)
      << r.json_body;
  PlaygroundReply known = EvaluatePolicy(Body(kPolicy, "{}"), o);
  ASSERT_EQ(known.status, 200) << known.json_body;
  EXPECT_EQ(known.json_body.find("not in the keyring"), std::string::npos) << known.json_body;
  PlaygroundReply unloaded = EvaluatePolicy(Body(policy, "{}"), PlaygroundOptions{});
  ASSERT_EQ(unloaded.status, 200) << unloaded.json_body;
  EXPECT_EQ(unloaded.json_body.find("not in the keyring"), std::string::npos) << unloaded.json_body;
}

// Key material pasted as a rule's key is warned of at its place but never
// echoed in the answer's key names, errors or warnings (a proxy in front
// may log them).
TEST(Playground, MaterialPastedAsAKeyNameIsNotEchoed) {
  for (const std::string& pasted : {std::string("bFHXq2Lk9aZcT0pWvR3m"), Material(1)}) {
    std::string policy = kPolicy;
    policy.replace(policy.find("key: rrn"), 8, "key: \"" + pasted + "\"");
    PlaygroundOptions o;
    o.key_shapes = KeyShapes(test_keys::TestKeyring({{"rrn", {Material(0)}}}));
    PlaygroundReply r = EvaluatePolicy(Body(policy, "{}"), o);
    // The key names, errors and warnings (a token's domain, the key's name
    // when the rule names none, is the masked output the page asked for).
    const std::string said = r.json_body.substr(0, r.json_body.find("\"events\":"));
    EXPECT_EQ(said.find(pasted.substr(0, 12)), std::string::npos) << said;
    if (r.status == 200) {
      EXPECT_NE(r.json_body.find("not shown: it may be key material"), std::string::npos) << r.json_body;
    }
  }
}

TEST(Playground, PolicyFileMustBeALoadedOne) {
  const std::string path = ::testing::TempDir() + "pg_loaded_policy.yaml";
  { std::ofstream(path) << kPolicy; }
  PlaygroundOptions o;
  o.policy_files = {path};
  PlaygroundReply r = EvaluatePolicy("{\"policy_file\":" + text::JsonQuoted(path) + ",\"events\":\"{}\"}", o);
  EXPECT_EQ(r.status, 200) << r.json_body;
  // Any other file, even one that exists, is refused.
  PlaygroundReply other = EvaluatePolicy("{\"policy_file\":\"/etc/passwd\"}", o);
  EXPECT_EQ(other.status, 400) << other.json_body;
  EXPECT_EQ(other.json_body.find("root:"), std::string::npos);
  std::string loaded = LoadedPoliciesJson(o.policy_files);
  EXPECT_NE(loaded.find("\"text\":\"policy: pg-test\\nversion: 2\\n"), std::string::npos) << loaded;
  std::remove(path.c_str());
}

// Found by review: with admin.operators set, a client that is not an
// operator got 403 on GET /v1/policy/loaded but read the same policy's
// rules, lines and tests through POST /v1/policy/evaluate's "policy_file".
// That form is an operator's now; a pasted policy stays open to everyone.
TEST(PlaygroundRouter, APolicyFileIsForOperatorsOnly) {
  const std::string path = ::testing::TempDir() + "pg_operator_policy.yaml";
  { std::ofstream(path) << kPolicy; }
  admin::Handlers h;
  h.evaluate = [&path](std::string_view body, bool operator_client) {
    PlaygroundOptions o;
    o.policy_files = {path};
    o.policy_files_readable = operator_client;
    PlaygroundReply r = EvaluatePolicy(body, o);
    return admin::EvaluateReply{r.status, r.json_body};
  };
  h.loaded_policies = [&path] { return LoadedPoliciesJson({path}); };
  h.operators = {"CN=ops,O=Example"};
  const admin::RequestContext ops{true, true, "CN=ops,O=Example", "127.0.0.1"};
  const admin::RequestContext analyst{true, true, "CN=kim,OU=fraud,O=Example", "127.0.0.1"};
  const std::string by_file = "{\"policy_file\":" + text::JsonQuoted(path) + ",\"events\":\"{}\",\"run_tests\":true}";
  admin::Response refused = admin::Route(h, analyst, "POST", "/v1/policy/evaluate", by_file);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.body.find("admin.operators"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.body.find("pg-test"), std::string::npos) << refused.body;
  // A file that is not loaded is refused alike: the answer does not say which files are.
  EXPECT_EQ(admin::Route(h, analyst, "POST", "/v1/policy/evaluate", "{\"policy_file\":\"/etc/passwd\"}").status, 403);
  EXPECT_EQ(admin::Route(h, analyst, "GET", "/v1/policy/loaded", "").status, 403);
  // A pasted policy: open to the analyst.
  admin::Response pasted = admin::Route(h, analyst, "POST", "/v1/policy/evaluate",
                                        "{\"policy\":" + text::JsonQuoted(kPolicy) + ",\"events\":\"{}\"}");
  EXPECT_EQ(pasted.status, 200) << pasted.body;
  // The operator reads it; without admin.operators, everyone does.
  EXPECT_EQ(admin::Route(h, ops, "POST", "/v1/policy/evaluate", by_file).status, 200);
  h.operators.clear();
  EXPECT_EQ(admin::Route(h, analyst, "POST", "/v1/policy/evaluate", by_file).status, 200);
  std::remove(path.c_str());
}

TEST(Playground, ThePageIsEmbedded) {
  const admin::Asset* index = PlaygroundAsset("");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("Throwaway keys"), std::string_view::npos);
  ASSERT_NE(PlaygroundAsset("playground.js"), nullptr);
  ASSERT_NE(PlaygroundAsset("playground.css"), nullptr);
  EXPECT_EQ(PlaygroundAsset("../etc/passwd"), nullptr);
  EXPECT_EQ(PlaygroundAsset("embed.cmake"), nullptr);
  // No CDN: the page loads only its own files.
  for (const char* name : {"", "playground.js", "playground.css"})
    EXPECT_EQ(PlaygroundAsset(name)->body.find("https://"), std::string_view::npos) << name;
}

TEST(PlaygroundRouter, RoutesThePageAndTheDryRun) {
  admin::Handlers h;
  EXPECT_EQ(admin::Route(h, "GET", "/playground", "").status, 404);  // off
  EXPECT_EQ(admin::Route(h, "POST", "/v1/policy/evaluate", "{}").status, 404);
  h.playground_asset = [](std::string_view name) { return PlaygroundAsset(name); };
  h.evaluate = [](std::string_view body, bool) {
    PlaygroundReply r = EvaluatePolicy(body, {});
    return admin::EvaluateReply{r.status, r.json_body};
  };
  h.loaded_policies = [] { return LoadedPoliciesJson({}); };
  admin::Response page = admin::Route(h, "GET", "/playground", "");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.content_security_policy.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(admin::Route(h, "GET", "/playground/playground.js", "").status, 200);
  EXPECT_EQ(admin::Route(h, "GET", "/playground/nope.js", "").status, 404);
  EXPECT_EQ(admin::Route(h, "POST", "/playground", "").status, 405);
  EXPECT_EQ(admin::Route(h, "GET", "/v1/policy/evaluate", "").status, 405);
  EXPECT_EQ(admin::Route(h, "POST", "/v1/policy/evaluate", "nope").status, 400);
  EXPECT_EQ(admin::Route(h, "GET", "/v1/policy/loaded", "").body, "{\"policies\":[]}\n");
}

}  // namespace
}  // namespace maskproxy::app
