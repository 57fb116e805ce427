// on_unprotectable: redact (transform/unprotectable.h): a value the action
// refuses becomes null (a key null, a header removed) and is counted; every
// other error still dead-letters the record.
#include "transform/unprotectable.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/metrics.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "engine/engine.h"
#include "engine/record.h"
#include "policy/policy.h"
#include "support/keyring_fixture.h"

namespace maskproxy::transform {
namespace {

using test_keys::Material;

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring = test_keys::TestKeyring({{"rrn", {Material(0)}}, {"k", {Material(178)}}});
  return ring;
}

std::string Policy(const std::string& route, const std::string& rules) {
  return "policy: u\nversion: 1\nroutes:\n  - name: " + route + "\n    from: " + route + ".raw\n    to: " + route +
         ".out\n    dead_letter: " + route + ".dlq\n    rules:\n" + rules;
}

Result<std::shared_ptr<const policy::Policy>> Parse(const std::string& yaml,
                                                    std::shared_ptr<crypto::UsageLedger> ledger = nullptr) {
  return policy::Policy::Parse(yaml, "u.yaml", Keys(), ledger);
}

uint64_t Count(const std::string& route, const std::string& rule) {
  return UnprotectableCounter(route, rule)->Value();
}

// Masks `value` with the policy's only route: the output, or "ERROR:<code>".
std::string Mask(const std::shared_ptr<const policy::Policy>& p, const std::string& value) {
  auto e = engine::Engine::Create({p}, {});
  if (!e.ok()) return "ENGINE:" + e.error().ToString();
  const auto& route = p->routes()[0];
  const engine::RouteRef* ref = (*e)->FindRoute(route.from);
  if (!ref) return "NO_ROUTE";
  std::string out;
  Status s = (*e)->MaskValue(*ref, route.from, value, &out);
  return s.ok() ? out : "ERROR:" + std::string(ErrorCodeName(s.error().code));
}

TEST(Unprotectable, TheCodeListBothSides) {
  for (const char* c : {"normalize_failed", "unsupported_type", "fpe_not_integer", "fpe_invalid_char",
                        "value_too_short", "domain_too_small", "input_too_long", "invalid_date", "invalid_number",
                        "invalid_rrn", "unknown_province", "unknown_district"})
    EXPECT_TRUE(IsUnprotectable(c)) << c;
  for (const char* c :
       {"key_missing", "key_exhausted", "key_version_unknown", "crypto_failed", "crypto_unavailable", "fpe_failed",
        "invalid_numeral", "too_large", "internal", "invalid_utf8", "auth_failed", "", "a_code_added_later"})
    EXPECT_FALSE(IsUnprotectable(c)) << c;
  EXPECT_FALSE(AcceptsOnUnprotectable("redact"));
  EXPECT_FALSE(AcceptsOnUnprotectable("keep"));
  EXPECT_FALSE(AcceptsOnUnprotectable("scan"));
  for (const char* a : {"tokenize", "fpe", "generalize", "mask", "encrypt", "encrypt_deterministic"})
    EXPECT_TRUE(AcceptsOnUnprotectable(a)) << a;
}

TEST(Unprotectable, EachRefusingActionKindRedactsToNull) {
  auto p =
      Parse(Policy("kinds",
                   "      - { path: rrn, action: tokenize, key: rrn, normalize: digits, on_unprotectable: redact }\n"
                   "      - { path: acct, action: fpe, key: k, on_unprotectable: redact }\n"
                   "      - { path: born, action: generalize, to: year, on_unprotectable: redact }\n"
                   "      - { path: amount, action: generalize, to: bucket, size: 100, on_unprotectable: redact }\n"
                   "      - { path: rrn2, action: generalize, to: birth_decade_sex, on_unprotectable: redact }\n"
                   "      - { path: addr, action: generalize, to: province, on_unprotectable: redact }\n"
                   "      - { path: card, action: mask, keep_last: 4, on_unprotectable: redact }\n"
                   "      - { path: mail, action: encrypt_deterministic, key: k, on_unprotectable: redact }\n"));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  // Placeholders, an unparseable date, a too-short FPE value, a wrong type.
  std::string out = Mask(*p, R"({"rrn":"N/A","acct":"12","born":"unknown","amount":"n/a","rrn2":"N/A",)"
                             R"("addr":"Mars","card":"x","mail":"a@b.c","id":7})");
  EXPECT_EQ(out.rfind(R"({"rrn":null,"acct":null,"born":null,"amount":null,"rrn2":null,"addr":null,"card":"*",)"
                      R"("mail":"d1.k.1.)",
                      0),
            0u)
      << out;
  EXPECT_EQ(out.substr(out.size() - 9), R"(","id":7})") << out;
  EXPECT_EQ(Mask(*p, R"({"acct":"1234567a"})"), R"({"acct":null})");  // fpe_invalid_char
  EXPECT_EQ(Mask(*p, R"({"acct":true})"), R"({"acct":null})");        // unsupported_type
  EXPECT_EQ(Mask(*p, R"({"acct":1234567.5})"), R"({"acct":null})");   // fpe_not_integer
  EXPECT_EQ(Mask(*p, R"({"acct":123456})"), R"({"acct":null})");      // domain_too_small (900,000)
  EXPECT_EQ(Mask(*p, R"({"born":false})"), R"({"born":null})");       // unsupported_type
  out = Mask(*p, R"({"rrn":["900101-1234567","-"]})");                // each element on its own
  EXPECT_EQ(out.rfind(R"({"rrn":["t1.rrn.1.)", 0), 0u) << out;
  EXPECT_EQ(out.substr(out.size() - 8), R"(",null]})") << out;
  // Values the actions accept are protected as without the option.
  std::string ok = Mask(*p, R"({"rrn":"900101-1234567","acct":"1234567","born":"1990-01-02","amount":150})");
  EXPECT_NE(ok.find(R"("born":"1990")"), std::string::npos) << ok;
  EXPECT_NE(ok.find(R"("amount":"100-199")"), std::string::npos) << ok;
  EXPECT_NE(ok.find(R"("rrn":"t1.rrn.1.)"), std::string::npos) << ok;
  EXPECT_EQ(ok.find("null"), std::string::npos) << ok;
  EXPECT_EQ(ok.find("1234567\""), std::string::npos) << ok;
}

TEST(Unprotectable, DeadLetterIsTheDefault) {
  for (const char* opt : {"", ", on_unprotectable: dead_letter"}) {
    auto p = Parse(
        Policy("dl", std::string("      - { path: rrn, action: tokenize, key: rrn, normalize: digits") + opt + " }\n"));
    ASSERT_TRUE(p.ok()) << p.error().ToString();
    EXPECT_EQ(Mask(*p, R"({"rrn":"N/A"})"), "ERROR:normalize_failed") << opt;
  }
}

TEST(Unprotectable, KeyBecomesNullAndHeaderIsRemoved) {
  auto p = Parse(Policy("parts",
                        "      - { path: $key, action: fpe, key: k, on_unprotectable: redact }\n"
                        "      - { path: $header.rrn, action: tokenize, key: rrn, normalize: digits, "
                        "on_unprotectable: redact }\n"
                        "      - { path: $header.born, action: generalize, to: year }\n"));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  auto e = engine::Engine::Create({*p}, {});
  ASSERT_TRUE(e.ok());
  const engine::RouteRef& route = (*e)->routes()[0];
  const uint64_t key_before = Count("parts", "$key"), hdr_before = Count("parts", "$header.rrn");
  engine::MaskedRecord out;
  auto mask = [&](std::string_view key, std::string_view header, std::string_view value) {
    const engine::HeaderView headers[] = {{header, value}};
    return (*e)->MaskRecord(route, engine::RecordView{"parts.raw", key, "{}", headers}, &out);
  };
  ASSERT_TRUE(mask("ACCT-?", "x", "1").ok());
  EXPECT_FALSE(out.key.has_value()) << "the key becomes null";
  // The record carries the count; the driver counts it when the record is
  // durable (a record masked again after an abort must not count twice).
  EXPECT_EQ(out.unprotectable, (std::vector<metrics::Counter*>{UnprotectableCounter("parts", "$key")}));
  EXPECT_EQ(Count("parts", "$key"), key_before);
  for (metrics::Counter* c : out.unprotectable) c->Inc();
  ASSERT_TRUE(mask("12345678", "x", "1").ok());
  ASSERT_TRUE(out.key.has_value());
  EXPECT_EQ(out.key->size(), 8u);
  EXPECT_NE(*out.key, "12345678");
  EXPECT_TRUE(out.unprotectable.empty()) << "cleared for the next record";
  ASSERT_TRUE(mask("12345678", "rrn", "N/A").ok());
  ASSERT_TRUE(out.headers_changed);
  EXPECT_TRUE(out.headers.empty()) << "the header is removed";
  for (metrics::Counter* c : out.unprotectable) c->Inc();
  EXPECT_EQ(Count("parts", "$key"), key_before + 1);
  EXPECT_EQ(Count("parts", "$header.rrn"), hdr_before + 1);
  // A header rule without the option still refuses the record.
  Status s = mask("12345678", "born", "someday");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidDate);
  // Engine-level refusals (not the action's) are not redacted either.
  s = mask(std::string_view("\xff", 1), "x", "1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidUtf8);
}

TEST(Unprotectable, OperationalErrorsStillDeadLetter) {
  std::shared_ptr<crypto::UsageLedger> ledger = crypto::UsageLedger::InMemory(/*limit=*/3, /*block=*/1);
  auto p = Parse(Policy("ops", "      - { path: f, action: encrypt, key: k, format: e1, on_unprotectable: redact }\n"),
                 ledger);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  const uint64_t before = Count("ops", "f");
  EXPECT_EQ(Mask(*p, R"({"f":"a"})").rfind(R"({"f":"e1.k.1.)", 0), 0u);
  EXPECT_EQ(Mask(*p, R"({"f":"b"})").rfind(R"({"f":"e1.k.1.)", 0), 0u);
  EXPECT_EQ(Mask(*p, R"({"f":"c"})"), "ERROR:key_exhausted");
  EXPECT_EQ(Count("ops", "f"), before);
}

// A stand-in action that writes part of its output, then fails with `code`.
class Failing final : public Action {
 public:
  explicit Failing(ErrorCode code) : code_(code) {}
  Status Apply(const ActionContext&, const codec::ScalarRef&, std::string* out) const override {
    out->append("\"partial");
    return Error(code_, "refused");
  }
  std::string KeyRef() const override { return "f:1"; }

 private:
  ErrorCode code_;
};

TEST(Unprotectable, WrapperDropsPartialOutputAndPassesOtherErrors) {
  metrics::Registry reg;
  metrics::Counter* c = reg.GetCounter("x", "x");
  codec::ScalarRef v{codec::JsonType::kString, "\"v\"", "v"};
  for (ErrorCode code : {ErrorCode::kNormalizeFailed, ErrorCode::kDomainTooSmall, ErrorCode::kInvalidDate}) {
    auto w = RedactUnprotectable::Create(std::make_unique<Failing>(code), c);
    ASSERT_TRUE(w.ok());
    std::string out = "{\"a\":";
    ASSERT_TRUE((*w)->Apply(ActionContext{"t"}, v, &out).ok()) << code;
    EXPECT_EQ(out, "{\"a\":null");
    EXPECT_EQ((*w)->KeyRef(), "f:1");
  }
  EXPECT_EQ(c->Value(), 3u);
  for (ErrorCode code : {ErrorCode::kKeyExhausted, ErrorCode::kCryptoFailed, ErrorCode::kFpeFailed,
                         ErrorCode::kKeyMissing, ErrorCode::kTooLargeForTopic}) {
    auto w = RedactUnprotectable::Create(std::make_unique<Failing>(code), c);
    ASSERT_TRUE(w.ok());
    std::string out;
    Status s = (*w)->Apply(ActionContext{"t"}, v, &out);
    ASSERT_FALSE(s.ok()) << code;
    EXPECT_EQ(s.error().code, code);
  }
  EXPECT_EQ(c->Value(), 3u);
  EXPECT_FALSE(RedactUnprotectable::Create(nullptr, c).ok());
  EXPECT_FALSE(RedactUnprotectable::Create(std::make_unique<Failing>(ErrorCode::kInternal), nullptr).ok());
}

TEST(Unprotectable, CountedPerRouteAndRuleInTheMetricsRegistry) {
  auto p = Parse(Policy("metered",
                        "      - { path: \"users[*].rrn\", action: tokenize, key: rrn, normalize: digits, "
                        "on_unprotectable: redact }\n"
                        "      - { path: other, action: generalize, to: year, on_unprotectable: redact }\n"));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  const uint64_t before = Count("metered", "users[*].rrn");
  std::string out = Mask(*p, R"({"users":[{"rrn":"N/A"},{"rrn":"-"},{"rrn":"900101-1234567"}]})");
  EXPECT_EQ(out.rfind(R"({"users":[{"rrn":null},{"rrn":null},{"rrn":"t1.rrn.1.)", 0), 0u) << out;
  EXPECT_EQ(Count("metered", "users[*].rrn"), before + 2);
  EXPECT_EQ(Count("metered", "other"), 0u);
  const std::string text = metrics::Global().Render();
  EXPECT_NE(text.find("maskproxy_unprotectable_values_total{route=\"metered\",rule=\"users[*].rrn\"} " +
                      std::to_string(before + 2)),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("N/A"), std::string::npos) << "never a value in a label";
}

TEST(Unprotectable, RevealAndKeyRefsPassThroughTheWrapper) {
  auto p = Parse(Policy("rev", "      - { path: acct, action: fpe, key: k, on_unprotectable: redact }\n"));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  const policy::Rule& rule = (*p)->routes()[0].rules[0];
  EXPECT_EQ(rule.action_name, "fpe");
  EXPECT_EQ(rule.action->KeyRef(), "k:1");
  EXPECT_EQ((*p)->routes()[0].key_refs, "k:1");
  std::string out;
  ASSERT_TRUE(
      rule.action
          ->Apply(ActionContext{"rev.raw"}, codec::ScalarRef{codec::JsonType::kNumber, "98765432", "98765432"}, &out)
          .ok());
  auto back = rule.action->Reveal(ActionContext{"rev.raw"}, out, std::nullopt);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, "98765432");
}

// The wrapper must not hide an e1 encrypt rule from the encryption ledger.
TEST(Unprotectable, AWrappedEncryptStillOpensTheLedger) {
  auto p = Parse(Policy("enc", "      - { path: f, action: encrypt, key: k, format: e1, on_unprotectable: redact }\n"));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_TRUE((*p)->routes()[0].rules[0].action->CountsEncryptions());
  EXPECT_TRUE((*p)->Encrypts());
}

TEST(Unprotectable, PolicyErrorsAreLocated) {
  auto err = [](const std::string& rule) {
    auto p = Parse(Policy("bad", rule));
    return p.ok() ? std::string("accepted") : p.error().message;
  };
  // Rules start on line 9; the value's column.
  std::string m = err("      - { path: a, action: redact, on_unprotectable: redact }\n");
  EXPECT_NE(m.find("u.yaml:9:54: 'on_unprotectable' does not apply to redact"), std::string::npos) << m;
  m = err("      - { path: a, action: keep, on_unprotectable: dead_letter }\n");
  EXPECT_NE(m.find("u.yaml:9:52: 'on_unprotectable' does not apply to keep"), std::string::npos) << m;
  m = err("      - { path: a, action: scan, on_unprotectable: redact }\n");
  EXPECT_NE(m.find("u.yaml:9:52: 'on_unprotectable' does not apply to scan"), std::string::npos) << m;
  m = err("      - { path: a, action: fpe, key: k, on_unprotectable: drop }\n");
  EXPECT_NE(m.find("u.yaml:9:59: 'on_unprotectable' must be dead_letter"), std::string::npos) << m;
  m = err("      - { path: a, action: fpe, key: k, on_unprotectable: [redact] }\n");
  EXPECT_NE(m.find("u.yaml:9:59: 'on_unprotectable' must be dead_letter"), std::string::npos) << m;
  EXPECT_EQ(err("      - { path: $key, action: tokenize, key: rrn, normalize: digits, on_unprotectable: redact }\n"),
            "accepted");
}

}  // namespace
}  // namespace maskproxy::transform
