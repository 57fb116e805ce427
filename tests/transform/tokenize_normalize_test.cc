// tokenize's normalize option: phone_kr (one token for every written form of
// a Korean phone, in field rules and scan actions alike), digits with
// full-width digits and hidden characters, lower and alnum byte by byte.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "codec/json.h"
#include "crypto/keyring.h"
#include "engine/engine.h"
#include "policy/policy.h"
#include "support/keyring_fixture.h"
#include "transform/actions.h"
#include "transform/registry.h"
#include "transform/scan.h"

namespace maskproxy::transform {
namespace {

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring = test_keys::TestKeyring({{"phone", {test_keys::FilledMaterial(5)}}});
  return ring;
}

std::unique_ptr<Action> Tokenize(const std::string& normalize, const std::string& path = "user.phone",
                                 const std::string& domain = "phone") {
  ActionOptions o;
  o.Set("key", {"phone", false});
  o.Set("normalize", {normalize, false});
  o.Set("domain", {domain, false});
  auto a = CreateAction("tokenize", o, ActionEnv{&Keys(), path});
  EXPECT_TRUE(a.ok()) << a.error().ToString();
  return a.ok() ? std::move(a).value() : nullptr;
}

Result<std::string> Apply(const Action& a, const std::string& value) {
  ActionContext ctx{"t"};
  std::string out;
  const codec::ScalarRef v{codec::JsonType::kString, value, value};
  Status st = a.Apply(ctx, v, &out);
  if (!st.ok()) return st.error();
  return out;
}

const std::vector<std::string>& PhoneForms() {
  static const std::vector<std::string> kForms = {
      "010-1234-5678",           "01012345678",         "010 1234 5678",     "010.1234.5678",
      "+82 10-1234-5678",        "+82-10-1234-5678",    "+821012345678",     "+82 010-1234-5678",
      "+82 (0)10-1234-5678",     "82-10-1234-5678",     "82 10 1234 5678",   "０１０－１２３４－５６７８",
      "010\u00AD1234\u00AD5678", "010-1234\u034F-5678", "0101\u180E2345678", "＋８２ １０ １２３４ ５６７８"};
  return kForms;
}

TEST(TokenizeNormalizeTest, PhoneKrGivesOneTokenForEveryWrittenForm) {
  auto a = Tokenize("phone_kr");
  ASSERT_NE(a, nullptr);
  auto want = Apply(*a, "01012345678");
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(want->rfind("\"t1.phone.1.", 0), 0u) << *want;
  for (const std::string& f : PhoneForms()) {
    auto got = Apply(*a, f);
    ASSERT_TRUE(got.ok()) << testing::PrintToString(f) << " " << got.error().ToString();
    EXPECT_EQ(*got, *want) << testing::PrintToString(f);
  }
  // Another number, another token; digits normalization keeps +82 apart.
  auto other = Apply(*a, "010-1234-5679");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *want);
  auto digits = Tokenize("digits");
  auto d1 = Apply(*digits, "+82 10-1234-5678");
  auto d2 = Apply(*digits, "010-1234-5678");
  ASSERT_TRUE(d1.ok() && d2.ok());
  EXPECT_NE(*d1, *d2);
}

TEST(TokenizeNormalizeTest, PhoneKrRefusesWhatIsNotAKoreanPhoneWithoutTheValue) {
  auto a = Tokenize("phone_kr");
  ASSERT_NE(a, nullptr);
  for (const std::string v : {"+1 415 555 1234", "010-123-4567", "tel 010-1234-5678", "900101-1234568", "-"}) {
    auto r = Apply(*a, v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error().code, ErrorCode::kNormalizeFailed);
    EXPECT_EQ(r.error().message.find("010"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("415"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("1234"), std::string::npos) << r.error().message;
  }
  // An empty value is tokenized as it is, like every other normalization.
  EXPECT_TRUE(Apply(*a, "").ok());
}

TEST(TokenizeNormalizeTest, PhoneKrIsAKnownOptionValue) {
  ActionOptions o;
  o.Set("key", {"phone", false});
  o.Set("normalize", {"phone", false});
  auto a = CreateAction("tokenize", o, ActionEnv{&Keys(), "f"});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("phone_kr"), std::string::npos) << a.error().message;
}

TEST(TokenizeNormalizeTest, DigitsFoldsFullWidthDigitsAndDropsHiddenCharacters) {
  auto a = Tokenize("digits", "user.rrn", "rrn");
  ASSERT_NE(a, nullptr);
  auto want = Apply(*a, "9001011234568");
  ASSERT_TRUE(want.ok());
  for (const std::string v : {"900101-1234568", "９００１０１－１２３４５６８", "900101\u00AD-1234568",
                              "９００１０１-1234568", "900101\u034F1234\u180E568", "900101 1234568\u200B"}) {
    auto got = Apply(*a, v);
    ASSERT_TRUE(got.ok()) << v << " " << got.error().ToString();
    EXPECT_EQ(*got, *want) << v;
  }
  // Still nothing left: a value without any digit.
  auto none = Apply(*a, "없음\u00AD");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNormalizeFailed);
}

// lower and alnum, each byte value and some mixed values: the token is the
// token of the value normalized by the rule written out here (alnum keeps
// ASCII digits and letters, lower-cased, and drops every other byte; lower
// lower-cases ASCII letters, keeps every other byte, trims ASCII white space).
TEST(TokenizeNormalizeTest, LowerAndAlnumNormalizeByteByByte) {
  auto lower = Tokenize("lower", "user.email", "d");
  auto alnum = Tokenize("alnum", "user.email", "d");
  auto none = Tokenize("none", "user.email", "d");
  ASSERT_NE(lower, nullptr);
  ASSERT_NE(alnum, nullptr);
  ASSERT_NE(none, nullptr);
  auto ref_alnum = [](const std::string& v) {
    std::string r;
    for (char ch : v) {
      const auto c = static_cast<unsigned char>(ch);
      if (c >= '0' && c <= '9') r.push_back(ch);
      if (c >= 'a' && c <= 'z') r.push_back(ch);
      if (c >= 'A' && c <= 'Z') r.push_back(static_cast<char>(c + 32));
    }
    return r;
  };
  auto ref_lower = [](const std::string& v) {
    std::string r;
    for (char ch : v) {
      const auto c = static_cast<unsigned char>(ch);
      r.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : ch);
    }
    const size_t b = r.find_first_not_of(" \t\r\n");
    const size_t e = r.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : r.substr(b, e - b + 1);
  };
  std::vector<std::string> values = {"Minjun.Kim@Example.COM", "  AbC-09 xyZ\t", "@[`{/:x", "김민준 KIM",
                                     "Ｍｉｎ０１x"};
  for (int c = 1; c < 256; ++c) values.push_back(std::string("a") + static_cast<char>(c) + "Z");
  for (const std::string& v : values) {
    for (const auto& [action, ref] : {std::pair{lower.get(), ref_lower(v)}, std::pair{alnum.get(), ref_alnum(v)}}) {
      auto got = Apply(*action, v);
      ASSERT_TRUE(got.ok()) << got.error().ToString();
      auto want = Apply(*none, ref);
      ASSERT_TRUE(want.ok());
      EXPECT_EQ(*got, *want);
    }
  }
}

// A scan action and a field rule with one key, one domain and phone_kr join:
// the phone in a ticket body (any written form) gets the field's token.
TEST(TokenizeNormalizeTest, ScanActionAndFieldRuleJoinThroughPhoneKr) {
  const char kPolicy[] = R"(policy: support
version: 1
scan:
  actions:
    phone_kr: { action: tokenize, key: phone, normalize: phone_kr, domain: phone }
routes:
  - from: support.raw
    to: analytics.support
    dead_letter: support.dlq
    rules:
      - { path: user.phone, action: tokenize, key: phone, normalize: phone_kr, domain: phone }
      - { path: body, action: scan }
)";
  auto p = policy::Policy::Parse(kPolicy, "support.yaml", Keys());
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  auto e = engine::Engine::Create({*p}, engine::Limits{});
  ASSERT_TRUE(e.ok()) << e.error().ToString();
  const engine::RouteRef* route = (*e)->FindRoute("support.raw");
  ASSERT_NE(route, nullptr);
  auto mask = [&](const std::string& json) {
    std::string out;
    Status st = (*e)->MaskValue(*route, "support.raw", json, &out, nullptr);
    EXPECT_TRUE(st.ok()) << st.error().ToString();
    return out;
  };
  const std::string field = mask(R"({"user":{"phone":"+82 10-1234-5678"}})");
  const size_t a = field.find("t1.phone.1.");
  ASSERT_NE(a, std::string::npos) << field;
  const std::string token = field.substr(a, field.find('"', a) - a);
  for (const std::string written :
       {"010-1234-5678", "01012345678", "+82-10-1234-5678", "82 10 1234 5678", "+82 (0)10-1234-5678",
        "０１０－１２３４－５６７８", "010\\u00ad1234\\u00ad5678", "010\\u00001234\\u00005678"}) {
    const std::string body = mask(R"({"body":"전화 )" + written + R"( 주세요"})");
    EXPECT_EQ(body, R"({"body":"전화 )" + token + R"( 주세요"})") << written;
    const std::string other = mask(R"({"user":{"phone":")" + written + R"("}})");
    EXPECT_EQ(other, R"({"user":{"phone":")" + token + R"("}})") << written;
  }
  // A field value that is not a Korean phone is refused (the record is
  // dead-lettered by the caller), never passed through.
  std::string out;
  Status st = (*e)->MaskValue(*route, "support.raw", R"({"user":{"phone":"+1 415 555 1234"}})", &out, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNormalizeFailed);
}

}  // namespace
}  // namespace maskproxy::transform
