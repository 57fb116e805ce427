// Reveal as a library function: what it releases, what it refuses, and that
// the audit line is written (without any value) before a value is returned.
#include "reveal/reveal.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "codec/json.h"
#include "crypto/base64.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "reveal/memory_sink.h"
#include "support/test_keys.h"
#include "transform/action.h"

namespace maskproxy::reveal {
namespace {

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring = [] {
    std::string y = "keys:\n";
    uint8_t fill = 1;
    for (const char* name : {"contact", "customer", "phone"}) {
      const std::vector<uint8_t> b = test_keys::MixedBytes(0x200U + fill);
      ++fill;
      y +=
          std::string("  ") + name + ": {active: 1, versions: {1: " + crypto::Base64Encode(b.data(), b.size()) + "}}\n";
    }
    auto r = crypto::Keyring::Parse(y, "k.yaml");
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return std::move(r).value();
  }();
  return ring;
}

constexpr char kPolicy[] = R"(policy: reveal-test
version: 1
routes:
  - name: transfers
    from: transfers.raw
    to: transfers.masked
    dead_letter: transfers.dlq
    rules:
      - { path: sender.email, action: encrypt, key: contact }
      - { path: sender.phone, action: fpe, key: phone, keep_prefix: 3, min_length: 10, domain: phone }
      - { path: sender.id, action: tokenize, key: customer }
)";

using testing::MemorySink;

class RevealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = policy::Policy::Parse(kPolicy, "reveal.yaml", Keys(), crypto::UsageLedger::InMemory());
    ASSERT_TRUE(p.ok()) << p.error().ToString();
    policy_ = std::move(p).value();
    sink_ = std::make_shared<MemorySink>();
    auto r = Revealer::Create(policy_, sink_);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    revealer_ = std::move(r).value();
  }

  // What the rule at `path` of the route makes of the string `value`, as
  // text (the JSON string's content).
  std::string Mask(const std::string& path, const std::string& value, const std::string& topic = "transfers.raw") {
    const policy::Route* route = policy_->FindRoute("transfers");
    std::string raw;
    codec::AppendJsonString(value, &raw);
    for (const auto& r : route->rules) {
      if (r.path.text != path) continue;
      std::string out;
      Status s = r.action->Apply(transform::ActionContext{topic},
                                 codec::ScalarRef{codec::JsonType::kString, raw, value}, &out);
      EXPECT_TRUE(s.ok()) << s.error().ToString();
      EXPECT_GE(out.size(), 2u);
      return out.substr(1, out.size() - 2);
    }
    ADD_FAILURE() << "no rule " << path;
    return "";
  }

  RevealRequest Request(const std::string& field, std::vector<std::string> values) {
    RevealRequest q;
    q.route = "transfers";
    q.field = field;
    q.ticket = "SEC-1";
    q.reason = "fraud";
    q.subject = "CN=kim";
    q.role = "analyst";
    q.values = std::move(values);
    return q;
  }

  std::shared_ptr<const policy::Policy> policy_;
  std::shared_ptr<MemorySink> sink_;
  std::unique_ptr<Revealer> revealer_;
};

TEST_F(RevealTest, RevealsAnAuthorizedFieldAndAuditsWithoutTheValue) {
  const std::string email = "minjun@example.com";
  const std::string masked = Mask("sender.email", email);
  ASSERT_NE(masked, email);
  auto r = revealer_->Reveal(Request("sender.email", {masked}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->values.size(), 1u);
  ASSERT_TRUE(r->values[0].has_value());
  EXPECT_EQ(*r->values[0], email);
  EXPECT_EQ(r->failed, 0u);
  EXPECT_FALSE(r->first_error.has_value());
  ASSERT_EQ(sink_->lines.size(), 1u);
  const std::string& line = sink_->lines[0];
  for (const char* part :
       {"\"event\":\"reveal\"", "\"allowed\":true", "\"channel\":\"service\"", "\"subject\":\"CN=kim\"",
        "\"role\":\"analyst\"", "\"ticket\":\"SEC-1\"", "\"reason\":\"fraud\"", "\"policy\":\"reveal-test@1#",
        "\"route\":\"transfers\"", "\"field\":\"sender.email\"", "\"topic\":\"transfers.raw\"",
        "\"action\":\"encrypt\"", "\"requested\":1,\"revealed\":1,\"failed\":0", "\"value_digests\":[\"d(18)\"]",
        "\"uid\":", "\"host\":"})
    EXPECT_NE(line.find(part), std::string::npos) << part << " in " << line;
  EXPECT_EQ(line.find("minjun"), std::string::npos) << "the audit line holds no value";
  EXPECT_EQ(line.find(masked), std::string::npos) << "nor the masked value";
  EXPECT_EQ(line.find("key_version"), std::string::npos);
}

TEST_F(RevealTest, JsonValuesInAndOut) {
  const std::string masked = Mask("sender.email", "minjun@example.com");
  RevealRequest q = Request("sender.email", {"\"" + masked + "\""});
  q.json = true;
  auto r = revealer_->Reveal(q);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->values[0].has_value());
  EXPECT_EQ(*r->values[0], "\"minjun@example.com\"");
}

TEST_F(RevealTest, FpeRevealsWithItsKeyVersionOrTheKeysHeader) {
  const std::string phone = "010-1234-5678";
  const std::string masked = Mask("sender.phone", phone);
  RevealRequest q = Request("sender.phone", {masked});
  q.key_version = 1;
  auto r = revealer_->Reveal(q);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->values[0].has_value());
  EXPECT_EQ(*r->values[0], phone);
  EXPECT_NE(sink_->lines.back().find("\"key_version\":1,"), std::string::npos);

  q.key_version.reset();
  q.keys_header = "contact:1,phone:1";
  r = revealer_->Reveal(q);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->values[0].has_value());
  EXPECT_EQ(*r->values[0], phone);
  EXPECT_EQ(sink_->lines.size(), 2u);
}

// Each refusal: an error, no value, and an audit entry that says denied.
TEST_F(RevealTest, RefusesBeforeTouchingAValue) {
  const std::string masked = Mask("sender.phone", "010-1234-5678");
  struct Case {
    const char* what;
    RevealRequest q;
  };
  std::vector<Case> cases;
  cases.push_back({"unknown route", Request("sender.email", {masked})});
  cases.back().q.route = "payments";
  cases.push_back({"unknown field", Request("sender.name", {masked})});
  cases.push_back({"unknown detector", Request("$scan.email", {masked})});
  cases.push_back({"missing reason", Request("sender.email", {masked})});
  cases.back().q.reason.clear();
  cases.push_back({"missing ticket", Request("sender.email", {masked})});
  cases.back().q.ticket.clear();
  cases.push_back({"fpe without a key version", Request("sender.phone", {masked})});
  cases.push_back({"a keys header without the rule's key", Request("sender.phone", {masked})});
  cases.back().q.keys_header = "contact:1";
  cases.push_back({"keys header and key version", Request("sender.phone", {masked})});
  cases.back().q.keys_header = "phone:1";
  cases.back().q.key_version = 1;
  for (const auto& c : cases) {
    EXPECT_FALSE(revealer_->Check(c.q).ok()) << c.what;
    auto r = revealer_->Reveal(c.q);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.what;
    EXPECT_EQ(r.error().message.find(masked), std::string::npos) << c.what;
    ASSERT_FALSE(sink_->lines.empty()) << c.what;
    EXPECT_NE(sink_->lines.back().find("\"allowed\":false,\"denied\":\"invalid_argument\""), std::string::npos)
        << c.what << ": " << sink_->lines.back();
    EXPECT_NE(sink_->lines.back().find("\"value_digests\":[]"), std::string::npos) << c.what;
  }
  EXPECT_EQ(sink_->lines.size(), cases.size());
  EXPECT_TRUE(revealer_->Check(Request("sender.email", {})).ok());
}

// A route, field, detector or topic the caller typed is not echoed in the
// error (it may be a value pasted into the wrong box); the trail records it,
// clipped. Found by review.
TEST_F(RevealTest, ErrorsNameNoTextTheCallerTyped) {
  const std::string typed = "010-1234-5678";
  std::vector<RevealRequest> cases;
  cases.push_back(Request("sender.email", {"x"}));
  cases.back().route = typed;
  cases.push_back(Request(typed, {"x"}));
  cases.push_back(Request("$scan." + typed, {"x"}));
  cases.push_back(Request("sender.email", {"x"}));
  cases.back().topic = typed;
  for (const RevealRequest& q : cases) {
    auto r = revealer_->Reveal(q);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.find("1234"), std::string::npos) << r.error().message;
    EXPECT_NE(sink_->lines.back().find(typed), std::string::npos) << sink_->lines.back();
  }
  RevealRequest longer = Request("sender.email", {"x"});
  longer.topic = std::string(5000, 't');
  ASSERT_FALSE(revealer_->Reveal(longer).ok());
  EXPECT_NE(sink_->lines.back().find("...(5000 bytes)"), std::string::npos);
  EXPECT_LT(sink_->lines.back().size(), 2000u);
}

// Found by review: a field of a one-way rule (tokenize here) was tried value
// by value, each failing not_reversible, and the trail said allowed with
// every value failed. It is refused as a request before any value is read,
// and audited as denied with the code.
TEST_F(RevealTest, AOneWayRuleIsRefusedBeforeAnyValue) {
  const std::string token = Mask("sender.id", "C-1001");
  const RevealRequest q = Request("sender.id", {token, token});
  Status check = revealer_->Check(q);
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.error().code, ErrorCode::kNotReversible);
  auto r = revealer_->Reveal(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotReversible);
  EXPECT_NE(r.error().message.find("'sender.id' on route 'transfers' is protected by tokenize, which is one-way"),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find(token), std::string::npos);
  ASSERT_EQ(sink_->lines.size(), 1u);
  EXPECT_NE(sink_->lines[0].find("\"allowed\":false,\"denied\":\"not_reversible\""), std::string::npos)
      << sink_->lines[0];
  EXPECT_NE(sink_->lines[0].find("\"revealed\":0,\"failed\":0"), std::string::npos) << sink_->lines[0];
  EXPECT_NE(sink_->lines[0].find("\"value_digests\":[]"), std::string::npos) << sink_->lines[0];
}

// A value the action cannot give back (a wrong key version, another topic)
// is not released; the audit line counts it.
TEST_F(RevealTest, ValuesThatCannotBeRevealedAreNotReleased) {
  RevealRequest q = Request("sender.phone", {Mask("sender.phone", "010-1234-5678")});
  q.key_version = 9;
  auto r = revealer_->Reveal(q);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_FALSE(r->values[0].has_value());
  EXPECT_EQ(r->failed, 1u);
  EXPECT_EQ(r->first_error->code, ErrorCode::kKeyVersionUnknown);

  q = Request("sender.email", {Mask("sender.email", "minjun@example.com")});
  q.topic = "other.raw";  // not a topic this route reads: refused before any value, and audited
  r = revealer_->Reveal(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRevealDenied);
  EXPECT_NE(r.error().message.find("the topic given is not a source of route 'transfers'"), std::string::npos);
  EXPECT_NE(sink_->lines.back().find("\"allowed\":false"), std::string::npos);
  EXPECT_NE(sink_->lines.back().find("\"topic\":\"other.raw\""), std::string::npos);
}

TEST_F(RevealTest, NoAuditLineNoValue) {
  const std::string masked = Mask("sender.email", "minjun@example.com");
  sink_->fail = true;
  auto r = revealer_->Reveal(Request("sender.email", {masked}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kAuditFailed);
  EXPECT_EQ(r.error().message.find("minjun"), std::string::npos);
}

// A topic both routes' sources match is read by the route with the exact
// `from` (as the proxy routes it): the pattern route may not reveal a value
// masked there, and the refusal is audited as denied. Likewise when the
// exact route is in another policy of the same set (routing).
constexpr char kExactAndPattern[] = R"(policy: routing-test
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
)";

std::string EncryptOn(const policy::Policy& p, const std::string& route, const std::string& topic,
                      const std::string& value) {
  const policy::Route* r = p.FindRoute(route);
  EXPECT_NE(r, nullptr) << route;
  if (!r) return "";
  std::string raw, out;
  codec::AppendJsonString(value, &raw);
  Status s = r->rules[0].action->Apply(transform::ActionContext{topic},
                                       codec::ScalarRef{codec::JsonType::kString, raw, value}, &out);
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return out.size() >= 2 ? out.substr(1, out.size() - 2) : "";
}

RevealRequest EmailRequest(const std::string& route, const std::string& topic, const std::string& value) {
  RevealRequest q;
  q.route = route;
  q.field = "email";
  q.topic = topic;
  q.channel = "offline";
  q.ticket = "T";
  q.reason = "audit";
  q.values = {value};
  return q;
}

TEST(RevealTopic, ATopicAnotherRouteReadsIsRefusedAndAudited) {
  auto p = policy::Policy::Parse(kExactAndPattern, "routing.yaml", Keys(), crypto::UsageLedger::InMemory());
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  std::shared_ptr<const policy::Policy> policy = std::move(p).value();
  const policy::Route* ra = policy->FindRoute("ra");
  ASSERT_EQ(RouteReading({policy}, "a.raw"), ra) << "an exact from beats a pattern listed before it";
  ASSERT_EQ(RouteReading({policy}, "a.x"), policy->FindRoute("rb"));
  EXPECT_EQ(RouteReading({policy}, "a.y"), nullptr);

  auto sink = std::make_shared<MemorySink>();
  auto revealer = Revealer::Create(policy, sink);
  ASSERT_TRUE(revealer.ok()) << revealer.error().ToString();
  const std::string masked = EncryptOn(*policy, "ra", "a.raw", "victim@a.com");
  auto r = (*revealer)->Reveal(EmailRequest("rb", "a.raw", masked));
  ASSERT_FALSE(r.ok()) << "revealed under route rb a value of route ra's topic";
  EXPECT_EQ(r.error().code, ErrorCode::kRevealDenied);
  EXPECT_NE(r.error().message.find("the topic given is not read by route 'rb' (route 'ra' reads it)"),
            std::string::npos)
      << r.error().message;
  ASSERT_EQ(sink->lines.size(), 1u);
  EXPECT_NE(sink->lines[0].find("\"allowed\":false"), std::string::npos) << sink->lines[0];
  EXPECT_NE(sink->lines[0].find("\"denied\":\"reveal_denied\""), std::string::npos) << sink->lines[0];
  EXPECT_FALSE((*revealer)->Check(EmailRequest("rb", "a.raw", masked)).ok());

  // The route that reads it reveals it; the pattern route its own topics.
  r = (*revealer)->Reveal(EmailRequest("ra", "a.raw", masked));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->values[0].has_value());
  EXPECT_EQ(*r->values[0], "victim@a.com");
  r = (*revealer)->Reveal(EmailRequest("rb", "a.x", EncryptOn(*policy, "rb", "a.x", "other@a.com")));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->values[0].has_value());
  EXPECT_EQ(*r->values[0], "other@a.com");
}

TEST(RevealTopic, TheExactRouteOfAnotherPolicyWins) {
  const std::string pattern_only =
      std::string(kExactAndPattern).substr(0, std::string(kExactAndPattern).find("  - name: ra"));
  const std::string exact_only =
      "policy: exact\nversion: 1\nroutes:\n" +
      std::string(kExactAndPattern).substr(std::string(kExactAndPattern).find("  - name: ra"));
  auto pb = policy::Policy::Parse(pattern_only, "b.yaml", Keys(), crypto::UsageLedger::InMemory());
  auto pa = policy::Policy::Parse(exact_only, "a.yaml", Keys(), crypto::UsageLedger::InMemory());
  ASSERT_TRUE(pb.ok()) << pb.error().ToString();
  ASSERT_TRUE(pa.ok()) << pa.error().ToString();
  std::shared_ptr<const policy::Policy> b = *pb, a = *pa;
  EXPECT_EQ(RouteReading({b, a}, "a.raw"), a->FindRoute("ra"));

  auto sink = std::make_shared<MemorySink>();
  const std::string masked = EncryptOn(*a, "ra", "a.raw", "victim@a.com");
  auto alone = Revealer::Create(b, sink);  // b alone does not know route ra
  ASSERT_TRUE(alone.ok());
  EXPECT_TRUE((*alone)->Check(EmailRequest("rb", "a.raw", masked)).ok());
  auto revealer = Revealer::Create(b, sink, {b, a});
  ASSERT_TRUE(revealer.ok()) << revealer.error().ToString();
  auto r = (*revealer)->Reveal(EmailRequest("rb", "a.raw", masked));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRevealDenied);
  EXPECT_NE(sink->lines.back().find("\"allowed\":false"), std::string::npos);
}

TEST(RevealerCreate, NeedsAPolicyAndAnAuditSink) {
  auto p = policy::Policy::Parse(kPolicy, "reveal.yaml", Keys(), crypto::UsageLedger::InMemory());
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_FALSE(Revealer::Create(nullptr, std::make_shared<MemorySink>()).ok());
  EXPECT_FALSE(Revealer::Create(*p, nullptr).ok());
}

TEST(VersionInKeysHeader, PicksTheRulesKey) {
  auto v = VersionInKeysHeader("account:1,contact:1,phone:2", "phone");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 2u);
  v = VersionInKeysHeader("phone:7", "phone");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 7u);
  v = VersionInKeysHeader("account:1, phone:3", "phone");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 3u);
}

TEST(VersionInKeysHeader, RefusesAHeaderWithoutTheKeyOrMalformed) {
  for (const char* h : {"account:1,contact:1", "", "phone", "phone:", "phone:0", "phone:x", "phone:1,,a:1", ":1",
                        "phone:1,phone:2", "phones:1", "xphone:1"}) {
    auto v = VersionInKeysHeader(h, "phone");
    EXPECT_FALSE(v.ok()) << h;
    if (!v.ok()) {
      EXPECT_EQ(v.error().code, ErrorCode::kInvalidArgument) << h;
    }
  }
  EXPECT_TRUE(VersionInKeysHeader("phone:2,phone:2", "phone").ok());
}

// The header comes with the request: an item is named by its position, its
// text never echoed (found by review: "the version of '<text>'").
TEST(VersionInKeysHeader, AnItemIsNamedByPositionNotEchoed) {
  auto v = VersionInKeysHeader("phone:1,9001011234567:x", "phone");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message, "the version of item 2 of the maskproxy.keys header is not a positive number");
}

}  // namespace
}  // namespace maskproxy::reveal
