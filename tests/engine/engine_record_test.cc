// Engine::MaskRecord (key, headers, value of one record) and the CSV row
// call (PlanCsv, MaskCsvRow).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "crypto/keyring.h"
#include "engine/engine.h"
#include "policy/policy.h"
#include "support/keyring_fixture.h"

namespace maskproxy::engine {
namespace {

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring = test_keys::TestKeyring({{"customer", {test_keys::FilledMaterial(7)}}});
  return ring;
}

const std::string kRrn = "900101-1234567";
const std::string kPhone = "010-1234-5678";

// One route from in.raw; `extra` is inserted before its rules.
std::string PolicyYaml(const std::string& unlisted, const std::string& rules, const std::string& extra = "") {
  return "policy: rec\nversion: 1\nroutes:\n  - from: in.raw\n    to: out.masked\n    dead_letter: in.dlq\n"
         "    unlisted_fields: " +
         unlisted + "\n" + extra + "    rules:\n" + rules;
}

struct Fx {
  std::shared_ptr<const policy::Policy> policy;
  std::shared_ptr<const Engine> engine;
  const RouteRef* route = nullptr;
};

Fx Make(const std::string& yaml) {
  Fx f;
  auto p = policy::Policy::Parse(yaml, "rec.yaml", Keys());
  EXPECT_TRUE(p.ok()) << p.error().ToString();
  if (!p.ok()) return f;
  f.policy = *p;
  auto e = Engine::Create({f.policy}, Limits{});
  EXPECT_TRUE(e.ok()) << e.error().ToString();
  if (!e.ok()) return f;
  f.engine = *e;
  f.route = f.engine->FindRoute("in.raw");
  return f;
}

using Hdrs = std::vector<std::pair<std::string, std::optional<std::string>>>;

struct Out {
  Status status;
  std::optional<std::string> key;
  bool key_is_input = false;  // the key view points into the input (no copy)
  bool tombstone = false;
  std::string value;
  bool headers_changed = false;
  Hdrs headers;
  std::vector<Finding> findings;
};

Out MaskIt(const Fx& f, std::optional<std::string> key, const Hdrs& headers,
           std::optional<std::string> value = std::string(R"({"a":1})")) {
  std::vector<HeaderView> views;
  for (const auto& [n, v] : headers) views.push_back({n, v ? std::optional<std::string_view>(*v) : std::nullopt});
  RecordView view{"in.raw", key ? std::optional<std::string_view>(*key) : std::nullopt,
                  value ? std::optional<std::string_view>(*value) : std::nullopt, views};
  MaskedRecord rec;
  Out o;
  o.status = f.engine->MaskRecord(*f.route, view, &rec);
  if (rec.key) {
    o.key = std::string(*rec.key);
    o.key_is_input = key && rec.key->data() == key->data();
  }
  o.tombstone = rec.tombstone;
  o.value = rec.value;
  o.headers_changed = rec.headers_changed;
  if (rec.headers_changed) {
    for (const auto& h : rec.headers) o.headers.emplace_back(h.name, h.value);
  } else {
    o.headers = headers;
  }
  o.findings = rec.findings;
  return o;
}

bool Holds(const Out& o, const std::string& s) {
  if (o.key && o.key->find(s) != std::string::npos) return true;
  if (o.value.find(s) != std::string::npos) return true;
  for (const auto& [n, v] : o.headers)
    if (v && v->find(s) != std::string::npos) return true;
  return false;
}

// ---- keep ---------------------------------------------------------------------

TEST(EngineRecord, KeepPassesUnlistedKeyAndHeadersWithoutCopying) {
  auto f = Make(PolicyYaml("keep", "      - { path: a, action: keep }\n"));
  const Hdrs in{{"trace", "abc"}, {"note", kPhone}, {"empty", std::nullopt}};
  auto o = MaskIt(f, kRrn, in);
  ASSERT_TRUE(o.status.ok()) << o.status.error().ToString();
  EXPECT_EQ(o.key, kRrn);
  EXPECT_TRUE(o.key_is_input);
  EXPECT_FALSE(o.headers_changed);
  EXPECT_EQ(o.headers, in);
  EXPECT_EQ(o.value, R"({"a":1})");
}

TEST(EngineRecord, NoKeyStaysNoKeyInEveryMode) {
  for (const char* mode : {"keep", "drop", "scan"}) {
    auto f = Make(PolicyYaml(mode, "      - { path: a, action: keep }\n"));
    auto o = MaskIt(f, std::nullopt, {});
    ASSERT_TRUE(o.status.ok()) << mode;
    EXPECT_FALSE(o.key) << mode;
  }
  auto f = Make(PolicyYaml("keep", "      - { path: $key, action: tokenize, key: customer }\n"));
  auto o = MaskIt(f, std::nullopt, {});
  ASSERT_TRUE(o.status.ok());
  EXPECT_FALSE(o.key);
}

TEST(EngineRecord, KeyRuleOnBytesThatAreNotUtf8IsADeadLetter) {
  auto f = Make(PolicyYaml("keep", "      - { path: $key, action: tokenize, key: customer }\n"));
  auto o = MaskIt(f, kRrn + "\xff", {});
  ASSERT_FALSE(o.status.ok());
  EXPECT_EQ(o.status.error().code, ErrorCode::kInvalidUtf8);
  EXPECT_NE(o.status.error().message.find("$key"), std::string::npos);
  EXPECT_EQ(o.status.error().message.find("900101"), std::string::npos);
  auto g = Make(PolicyYaml("keep", "      - { path: $header.h, action: redact }\n"));
  auto h = MaskIt(g, std::nullopt, {{"H", std::string("\xb1\xe8", 2)}});
  ASSERT_FALSE(h.status.ok());
  EXPECT_EQ(h.status.error().code, ErrorCode::kInvalidUtf8);
  EXPECT_NE(h.status.error().message.find("$header.h"), std::string::npos);
}

// A record's header name reaches the dead letter's detail only when it reads
// as a schema's name: one with a hidden character (control, line separator,
// zero-width, ...) is <name>, so it cannot break or hide a log line, and
// neither can a name that may be data (found by review: a person's name).
TEST(EngineRecord, HeaderNamesInMessagesAreShownOnlyWhenTheyReadAsNames) {
  auto f = Make(PolicyYaml("scan", "      - { path: a, action: keep }\n"));
  for (const std::string& hidden : {std::string("\n"), std::string("\u2028"), std::string("\u2029"),
                                    std::string("\u202e"), std::string("\xc2\x85")}) {
    auto o = MaskIt(f, std::nullopt, {{"trace" + hidden + "id", std::string("\xff", 1)}});
    ASSERT_FALSE(o.status.ok());
    EXPECT_EQ(o.status.error().code, ErrorCode::kInvalidUtf8);
    EXPECT_NE(o.status.error().message.find("$header.<name> "), std::string::npos) << o.status.error().message;
  }
  for (const std::string& data : {std::string("홍길순"), std::string("Kim Minsu"), std::string("id-90010112")}) {
    auto o = MaskIt(f, std::nullopt, {{data, std::string("\xff", 1)}});
    ASSERT_FALSE(o.status.ok());
    EXPECT_NE(o.status.error().message.find("$header.<name> "), std::string::npos) << o.status.error().message;
    EXPECT_EQ(o.status.error().message.find(data), std::string::npos) << o.status.error().message;
  }
  auto o = MaskIt(f, std::nullopt, {{"x-trace.id", std::string("\xff", 1)}});
  ASSERT_FALSE(o.status.ok());
  EXPECT_NE(o.status.error().message.find("$header.x-trace.id "), std::string::npos) << o.status.error().message;
}

// ---- drop ---------------------------------------------------------------------

TEST(EngineRecord, DropDropsUnlistedHeadersAndAKeyWithoutRule) {
  auto f = Make(PolicyYaml("drop",
                           "      - { path: a, action: keep }\n"
                           "      - { path: $header.trace, action: keep }\n"));
  auto o = MaskIt(f, kRrn, {{"x-customer-phone", kPhone}, {"trace", "abc"}, {"other", "1"}, {"trace", std::nullopt}});
  ASSERT_TRUE(o.status.ok()) << o.status.error().ToString();
  EXPECT_FALSE(o.key) << "no $key rule: the key is dropped";
  EXPECT_TRUE(o.headers_changed);
  EXPECT_EQ(o.headers, (Hdrs{{"trace", "abc"}, {"trace", std::nullopt}}));
  EXPECT_FALSE(Holds(o, kPhone));
}

TEST(EngineRecord, DropKeepsAKeyWithARule) {
  auto f = Make(PolicyYaml("drop",
                           "      - { path: a, action: keep }\n"
                           "      - { path: $key, action: tokenize, key: customer }\n"));
  auto o = MaskIt(f, "C-1001", {{"h", "x"}});
  ASSERT_TRUE(o.status.ok());
  ASSERT_TRUE(o.key);
  EXPECT_EQ(o.key->rfind("t1.customer.1.", 0), 0u);
  EXPECT_TRUE(o.headers.empty());
}

TEST(EngineRecord, DropWithBinaryPassKeepsTheBytes) {
  auto f = Make(PolicyYaml("drop", "      - { path: a, action: keep }\n",
                           "    binary: { $key: pass, $header.trace-bin: pass }\n"));
  const std::string raw("\x00\xff\x01", 3);
  auto o = MaskIt(f, raw, {{"Trace-Bin", raw}, {"other", "x"}});
  ASSERT_TRUE(o.status.ok()) << o.status.error().ToString();
  EXPECT_EQ(o.key, raw);
  EXPECT_EQ(o.headers, (Hdrs{{"Trace-Bin", raw}}));
}

// ---- scan ---------------------------------------------------------------------

TEST(EngineRecord, ScanProtectsPiiInTheKeyAndUnlistedHeaders) {
  auto f = Make(PolicyYaml("scan", "      - { path: a, action: keep }\n"));
  auto o = MaskIt(f, kRrn, {{"note", "call " + kPhone}, {"trace", "abc"}, {"nothing", std::nullopt}});
  ASSERT_TRUE(o.status.ok()) << o.status.error().ToString();
  ASSERT_TRUE(o.key);
  EXPECT_FALSE(Holds(o, "1234567"));
  EXPECT_FALSE(Holds(o, "1234-5678"));
  ASSERT_EQ(o.headers.size(), 3u);
  EXPECT_EQ(o.headers[0].first, "note");
  EXPECT_EQ(o.headers[1], (std::pair<std::string, std::optional<std::string>>{"trace", "abc"}));
  EXPECT_EQ(o.headers[2].second, std::nullopt);
  ASSERT_EQ(o.findings.size(), 2u);
  EXPECT_EQ(o.findings[0].field, "$key");
  EXPECT_EQ(o.findings[1].field, "$header.note");
  EXPECT_TRUE(o.findings[0].unlisted);
}

// A key or header that is a number in exponent form is read as its value, as
// in a record's value (found by review: "9.001011234568e12" passed).
TEST(EngineRecord, ScanReadsANumberInTheKeyOrAHeaderAsItsValue) {
  auto f = Make(PolicyYaml("scan", "      - { path: a, action: keep }\n"));
  auto o = MaskIt(f, std::string("9.001011234568e12"), {{"n", "9001011234568.0"}, {"m", "-9.001011234568E+12"}});
  ASSERT_TRUE(o.status.ok()) << o.status.error().ToString();
  EXPECT_FALSE(Holds(o, "001011234568")) << *o.key;
  ASSERT_EQ(o.findings.size(), 3u);
}

TEST(EngineRecord, ScanRefusesAKeyOrHeaderThatIsNotUtf8) {
  auto f = Make(PolicyYaml("scan", "      - { path: a, action: keep }\n"));
  // A raw RRN followed by one 0xFF byte.
  auto k = MaskIt(f, kRrn + "\xff", {});
  ASSERT_FALSE(k.status.ok());
  EXPECT_EQ(k.status.error().code, ErrorCode::kInvalidUtf8);
  EXPECT_NE(k.status.error().message.find("$key"), std::string::npos);
  EXPECT_EQ(k.status.error().message.find("900101"), std::string::npos);
  // Legacy EUC-KR text ("김" is B1 E8) in a header.
  auto h = MaskIt(f, std::nullopt, {{"trace", "abc"}, {"legacy-name", std::string("\xb1\xe8 010-1234-5678")}});
  ASSERT_FALSE(h.status.ok());
  EXPECT_EQ(h.status.error().code, ErrorCode::kInvalidUtf8);
  EXPECT_NE(h.status.error().message.find("$header.legacy-name"), std::string::npos);
  EXPECT_EQ(h.status.error().message.find("1234"), std::string::npos);
}

TEST(EngineRecord, ScanWithBinaryPassesOrDropsDeclaredParts) {
  auto f = Make(PolicyYaml("scan", "      - { path: a, action: keep }\n",
                           "    binary:\n      $key: pass\n      $header.traceparent-bin: drop\n"));
  const std::string raw("\x00\xff\x01\x90k-7\xc3", 7);
  auto o = MaskIt(f, raw, {{"traceparent-bin", std::string("\x01\xfe", 2)}, {"note", "ok"}});
  ASSERT_TRUE(o.status.ok()) << o.status.error().ToString();
  EXPECT_EQ(o.key, raw) << "declared binary: passes as it is";
  EXPECT_EQ(o.headers, (Hdrs{{"note", "ok"}}));
  // A header not declared binary is still refused.
  auto bad = MaskIt(f, raw, {{"other-bin", std::string("\x01\xfe", 2)}});
  ASSERT_FALSE(bad.status.ok());
  EXPECT_EQ(bad.status.error().code, ErrorCode::kInvalidUtf8);
  auto g = Make(PolicyYaml("scan", "      - { path: a, action: keep }\n", "    binary: { $key: drop }\n"));
  auto d = MaskIt(g, raw, {});
  ASSERT_TRUE(d.status.ok());
  EXPECT_FALSE(d.key);
}

// `binary: pass` exempts bytes that cannot be scanned, not text: a declared
// key or header that is valid UTF-8 is scanned like any other; one that is
// not, but holds text that looks like PII between its other bytes (an RRN
// followed by one 0xFF byte passed as it was), is a dead letter.
TEST(EngineRecord, ScanWithBinaryPassStillLooksAtText) {
  auto f = Make(PolicyYaml("scan", "      - { path: a, action: keep }\n",
                           "    binary: { $key: pass, $header.trace-bin: pass }\n"));
  auto text = MaskIt(f, "call " + kPhone, {{"trace-bin", "rrn " + kRrn}});
  ASSERT_TRUE(text.status.ok()) << text.status.error().ToString();
  EXPECT_FALSE(Holds(text, "1234-5678"));
  EXPECT_FALSE(Holds(text, "1234567"));
  ASSERT_EQ(text.findings.size(), 2u);
  EXPECT_EQ(text.findings[0].field, "$key");
  EXPECT_EQ(text.findings[1].field, "$header.trace-bin");
  for (const std::string& bad : {kRrn + "\xff", "\xff" + kRrn, std::string("\x01\xfe", 2) + "call " + kPhone + "\xc3",
                                 std::string("\xed\xa0\x80") + kRrn /* a surrogate, then the RRN */,
                                 std::string("010\xa0"
                                             "1234\xa0"
                                             "5678") /* Latin-1 no-break spaces */,
                                 std::string("900101\x96"
                                             "1234567") /* CP1252's en dash */,
                                 std::string("jos\xe9@correo.es") /* Latin-1 */,
                                 std::string("\xb9\xce\xc1\xd8@example.com") /* EUC-KR 민준 */}) {
    auto k = MaskIt(f, bad, {});
    ASSERT_FALSE(k.status.ok()) << testing::PrintToString(bad);
    EXPECT_EQ(k.status.error().code, ErrorCode::kPiiInBinary);
    EXPECT_NE(k.status.error().message.find("$key"), std::string::npos);
    EXPECT_EQ(k.status.error().message.find("1234"), std::string::npos) << k.status.error().message;
    auto h = MaskIt(f, std::nullopt, {{"Trace-Bin", bad}});
    ASSERT_FALSE(h.status.ok()) << testing::PrintToString(bad);
    EXPECT_EQ(h.status.error().code, ErrorCode::kPiiInBinary);
    EXPECT_NE(h.status.error().message.find("$header.Trace-Bin"), std::string::npos) << h.status.error().message;
  }
  // Under drop, a declared binary part passes as it is (nothing is scanned).
  auto g = Make(PolicyYaml("drop", "      - { path: a, action: keep }\n", "    binary: { $key: pass }\n"));
  auto d = MaskIt(g, kRrn + "\xff", {});
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.key, kRrn + "\xff");
}

TEST(EngineRecord, ScanRefusesAHeaderNameThatLooksLikePii) {
  auto f = Make(PolicyYaml("scan", "      - { path: a, action: keep }\n"));
  auto o = MaskIt(f, std::nullopt, {{kPhone, "x"}});
  ASSERT_FALSE(o.status.ok());
  EXPECT_EQ(o.status.error().code, ErrorCode::kPiiInFieldName);
  EXPECT_EQ(o.status.error().message.find("1234"), std::string::npos);
  // A custom detector of letters: names without digits are scanned too.
  auto g = Make("policy: rec\nversion: 1\nscan:\n  detectors:\n    - { name: emp, pattern: 'EMP[A-Z]{5}' }\n" +
                PolicyYaml("scan", "      - { path: a, action: keep }\n")
                    .substr(std::string("policy: rec\nversion: 1\n").size()));
  auto h = MaskIt(g, std::nullopt, {{"EMPABCDE", "x"}});
  ASSERT_FALSE(h.status.ok());
  EXPECT_EQ(h.status.error().code, ErrorCode::kPiiInFieldName);
}

// ---- header names -----------------------------------------------------------------

TEST(EngineRecord, HeaderRulesMatchNamesCaseInsensitively) {
  for (const char* mode : {"keep", "drop", "scan"}) {
    auto f = Make(PolicyYaml(mode,
                             "      - { path: a, action: keep }\n"
                             "      - { path: $header.x-customer-phone, action: mask, keep_last: 4 }\n"));
    auto o = MaskIt(f, std::nullopt, {{"X-Customer-Phone", kPhone}});
    ASSERT_TRUE(o.status.ok()) << mode << ": " << o.status.error().ToString();
    EXPECT_EQ(o.headers, (Hdrs{{"X-Customer-Phone", "***-****-5678"}})) << mode;
  }
}

TEST(EngineRecord, AHeaderNameThatOnlyFoldsToARuledOneIsAmbiguous) {
  for (const char* mode : {"keep", "drop", "scan"}) {
    auto f = Make(PolicyYaml(mode,
                             "      - { path: a, action: keep }\n"
                             "      - { path: $header.x-customer-phone, action: redact }\n"));
    // A zero-width space, full-width letters, a NUL-free space, Unicode
    // hyphens and minus signs: all look alike.
    for (const std::string& name :
         {std::string("x-customer\u200b-phone"), std::string("\uff38-Customer-Phone"), std::string("x-customer -phone"),
          std::string("x\u2010customer\u2011phone"), std::string("x\u2212customer\u2013phone"),
          // '_' for '-': one header to HTTP bridges and CGI/WSGI stacks
          std::string("x_customer_phone"), std::string("X_Customer-Phone"),
          // A second review: CGI's prefix, dots, no separators, the
          // prolonged sound mark drawn as a dash, a Lisu letter.
          std::string("HTTP_X_CUSTOMER_PHONE"), std::string("x.customer.phone"), std::string("xcustomerphone"),
          std::string("x-customerーphone"), std::string("x-customer-phꓳne")}) {
      auto o = MaskIt(f, std::nullopt, {{name, kPhone}});
      ASSERT_FALSE(o.status.ok()) << mode << " " << name;
      EXPECT_EQ(o.status.error().code, ErrorCode::kAmbiguousFieldName);
      EXPECT_NE(o.status.error().message.find("$header.x-customer-phone"), std::string::npos);
      EXPECT_EQ(o.status.error().message.find("5678"), std::string::npos);
    }
    auto ok = MaskIt(f, std::nullopt, {{"x-customer-phones", kPhone}});
    EXPECT_TRUE(ok.status.ok()) << mode;
  }
}

TEST(EngineRecord, RepeatedHeadersAreEachMaskedAndNullStaysNull) {
  auto f = Make(PolicyYaml("keep",
                           "      - { path: a, action: keep }\n"
                           "      - { path: $header.phone, action: mask, keep_last: 4 }\n"));
  auto o =
      MaskIt(f, std::nullopt, {{"phone", kPhone}, {"trace", "t"}, {"PHONE", "010-9876-5432"}, {"Phone", std::nullopt}});
  ASSERT_TRUE(o.status.ok()) << o.status.error().ToString();
  EXPECT_EQ(o.headers,
            (Hdrs{{"phone", "***-****-5678"}, {"trace", "t"}, {"PHONE", "***-****-5432"}, {"Phone", std::nullopt}}));
}

TEST(EngineRecord, ARemovingHeaderRuleRemovesEveryOccurrence) {
  auto f = Make(PolicyYaml("keep",
                           "      - { path: a, action: keep }\n"
                           "      - { path: $header.session, action: redact }\n"));
  auto o = MaskIt(f, std::nullopt, {{"Session", "a"}, {"x", "1"}, {"session", "b"}});
  ASSERT_TRUE(o.status.ok());
  EXPECT_EQ(o.headers, (Hdrs{{"x", "1"}}));
}

// ---- tombstones -----------------------------------------------------------------

TEST(EngineRecord, ATombstoneKeepsItsKeyAndHeadersProtected) {
  for (const char* mode : {"keep", "drop", "scan"}) {
    auto f = Make(PolicyYaml(mode,
                             "      - { path: a, action: keep }\n"
                             "      - { path: $key, action: tokenize, key: customer }\n"
                             "      - { path: $header.phone, action: mask, keep_last: 4 }\n"));
    auto o = MaskIt(f, kRrn, {{"phone", kPhone}}, std::nullopt);
    ASSERT_TRUE(o.status.ok()) << mode << ": " << o.status.error().ToString();
    EXPECT_TRUE(o.tombstone);
    EXPECT_TRUE(o.value.empty());
    ASSERT_TRUE(o.key);
    EXPECT_EQ(o.key->rfind("t1.customer.1.", 0), 0u);
    EXPECT_EQ(o.headers, (Hdrs{{"phone", "***-****-5678"}}));
  }
}

TEST(EngineRecord, AFailingValueLeavesNothingToProduce) {
  auto f = Make(PolicyYaml("scan",
                           "      - { path: a, action: keep }\n"
                           "      - { path: $key, action: tokenize, key: customer }\n"));
  auto o = MaskIt(f, kRrn, {{"note", kPhone}}, std::string("not json"));
  ASSERT_FALSE(o.status.ok());
  EXPECT_EQ(o.status.error().code, ErrorCode::kInvalidJson);
  EXPECT_FALSE(o.key);
  EXPECT_TRUE(o.findings.empty());
}

// The proxy's record path gives the batch driver's reason: a value that is
// not JSON is invalid_json, not the reason of the rule that met its first
// number ({"n":0001234567}: fpe's value_too_short for the "0"; found by
// review in batch mode, the engine is shared).
TEST(EngineRecord, AnInvalidValueIsInvalidJsonWhateverRuleCoversTheMember) {
  auto f = Make(PolicyYaml("keep", "      - { path: n, action: fpe, key: customer, min_length: 7 }\n"));
  for (const char* value : {R"({"n":0001234567})", R"({"n":01})", R"({"m":1,"n":01234567})"}) {
    auto o = MaskIt(f, std::nullopt, {}, std::string(value));
    ASSERT_FALSE(o.status.ok()) << value;
    EXPECT_EQ(o.status.error().code, ErrorCode::kInvalidJson) << value << ": " << o.status.error().message;
  }
  auto o = MaskIt(f, std::nullopt, {}, std::string(R"({"n":12})"));
  ASSERT_FALSE(o.status.ok());
  EXPECT_EQ(o.status.error().code, ErrorCode::kValueTooShort);
}

// ---- policy -----------------------------------------------------------------------

TEST(EngineRecordPolicy, BinaryAndHeaderNameErrorsHaveTheirLocation) {
  auto err = [](const std::string& yaml) {
    auto p = policy::Policy::Parse(yaml, "rec.yaml", Keys());
    return p.ok() ? std::string() : p.error().message;
  };
  const std::string rule = "      - { path: a, action: keep }\n";
  // Line 8 is the binary: line (the route starts at line 4).
  EXPECT_NE(err(PolicyYaml("scan", rule, "    binary: { $value: pass }\n")).find("rec.yaml:8:"), std::string::npos);
  EXPECT_NE(err(PolicyYaml("scan", rule, "    binary: { $value: pass }\n")).find("unknown binary target"),
            std::string::npos);
  EXPECT_NE(err(PolicyYaml("scan", rule, "    binary: { $key: keep }\n")).find("must be pass"), std::string::npos);
  EXPECT_NE(err(PolicyYaml("scan", rule, "    binary: { $header.: pass }\n")).find("unknown binary target"),
            std::string::npos);
  EXPECT_NE(err(PolicyYaml("keep", rule, "    binary: { $key: pass }\n")).find("scan or drop"), std::string::npos);
  EXPECT_NE(err(PolicyYaml("scan", rule, "    binary: [ $key ]\n")).find("'binary' must map"), std::string::npos);
  EXPECT_NE(err(PolicyYaml("scan", rule + "      - { path: $key, action: redact }\n", "    binary: { $key: pass }\n"))
                .find("'$key' has a rule"),
            std::string::npos);
  EXPECT_NE(err(PolicyYaml("scan", rule + "      - { path: $header.Trace, action: redact }\n",
                           "    binary: { $header.trace: pass }\n"))
                .find("header 'trace' has a rule"),
            std::string::npos);
  EXPECT_NE(err(PolicyYaml("scan", rule, "    binary: { $header.t: pass, $header.T: drop }\n")).find("listed twice"),
            std::string::npos);
  // Two header rules whose names differ only in case.
  const std::string two = err(PolicyYaml("keep", rule + "      - { path: $header.x-phone, action: redact }\n"
                                                        "      - { path: $header.X-Phone, action: redact }\n"));
  EXPECT_NE(two.find("rec.yaml:11:"), std::string::npos) << two;
  EXPECT_NE(two.find("has two rules"), std::string::npos) << two;
  EXPECT_TRUE(err(PolicyYaml("drop", rule, "    binary: { $key: pass, $header.t: drop }\n")).empty());
}

// ---- CSV ----------------------------------------------------------------------------

TEST(EngineCsv, PlanErrors) {
  auto f = Make(PolicyYaml("keep", "      - { path: user.rrn, action: redact }\n"));
  const std::vector<std::string> names{"user", "rrn"};
  auto nested = f.engine->PlanCsv(*f.route, names);
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().code, ErrorCode::kInvalidRule);
  EXPECT_NE(nested.error().message.find("single key"), std::string::npos);
  auto g = Make(PolicyYaml("keep", "      - { path: rrn, action: redact }\n"));
  const std::vector<std::string> other{"id", "name"};
  auto missing = g.engine->PlanCsv(*g.route, other);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("names no column"), std::string::npos);
  EXPECT_TRUE(g.engine->PlanCsv(*g.route, {}).ok()) << "an empty file has no columns to name";
}

// A header whose column differs from a ruled one only by case (or width or
// spaces), and that lacks the ruled one, says so: ambiguous_field_name, not
// "names no column", whatever rule comes first (found by review: `RRN,Phone`
// was refused as naming no column).
TEST(EngineCsv, AVariantOfAMissingRuledColumnIsAmbiguousNotMissing) {
  auto f = Make(PolicyYaml("keep",
                           "      - { path: name, action: redact }\n"
                           "      - { path: rrn, action: redact }\n"));
  for (std::string variant : {"RRN", "rrn ", "\xEF\xBD\x92\xEF\xBD\x92\xEF\xBD\x8E"}) {
    const std::vector<std::string> names{"id", variant};
    auto plan = f.engine->PlanCsv(*f.route, names);
    ASSERT_FALSE(plan.ok()) << variant;
    EXPECT_EQ(plan.error().code, ErrorCode::kAmbiguousFieldName) << plan.error().message;
  }
  // Without a variant, a missing ruled column still fails the file.
  const std::vector<std::string> plain{"id", "rrn"};
  auto missing = f.engine->PlanCsv(*f.route, plain);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidRule);
  EXPECT_NE(missing.error().message.find("rule 'name'"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("names no column"), std::string::npos) << missing.error().message;
}

// A column named like a ruled one but for case, width, spaces or invisible
// characters would pass raw beside it: the file is refused, in every mode.
TEST(EngineCsv, AColumnThatOnlyLooksLikeARuledOneRefusesTheFile) {
  for (const char* mode : {"keep", "drop", "scan"}) {
    auto f = Make(PolicyYaml(mode, "      - { path: rrn, action: redact, mode: \"null\" }\n"));
    for (std::string variant : {"RRN", "rrn ", "\xEF\xBD\x92\xEF\xBD\x92\xEF\xBD\x8E", "r\xC2\xADrn"}) {
      const std::vector<std::string> names{"id", "rrn", variant};
      auto plan = f.engine->PlanCsv(*f.route, names);
      ASSERT_FALSE(plan.ok()) << mode << " " << variant;
      EXPECT_EQ(plan.error().code, ErrorCode::kAmbiguousFieldName);
      EXPECT_NE(plan.error().message.find("column 3"), std::string::npos) << plan.error().message;
    }
    const std::vector<std::string> exact{"id", "rrn", "rrn_hash"};
    EXPECT_TRUE(f.engine->PlanCsv(*f.route, exact).ok()) << mode;
  }
}

// A name written as a number with a fraction or an exponent (a headerless
// spreadsheet export, a float) is read as values are: 9.001011234567E12 is
// the RRN 9001011234567 (found by review: it passed as a CSV column name, a
// member name and a header name under scan).
TEST(EngineRecord, ANameWrittenAsANumberIsReadAsItsDigits) {
  auto f = Make(PolicyYaml("scan", "      - { path: a, action: keep }\n"));
  for (const std::string name :
       {"9.001011234567E12", "9.001011234568e12", "4.111111111111111E15", "9001011234568.0",
        // as lenient readers read them (found by a second review)
        "+9.001011234567e12", ".9001011234567e13", " 9.001011234567e12", "9,001,011,234,567", "9_001_011_234_567"}) {
    const std::vector<std::string> names{name, "a"};
    auto plan = f.engine->PlanCsv(*f.route, names);
    ASSERT_FALSE(plan.ok()) << name;
    EXPECT_EQ(plan.error().code, ErrorCode::kPiiInFieldName) << name;
    auto h = MaskIt(f, std::nullopt, {{name, "x"}});
    ASSERT_FALSE(h.status.ok()) << name;
    EXPECT_EQ(h.status.error().code, ErrorCode::kPiiInFieldName) << name;
    std::string out;
    Status st = f.engine->MaskValue(*f.route, "in.raw", "{\"" + name + "\":1}", &out);
    ASSERT_FALSE(st.ok()) << name;
    EXPECT_EQ(st.error().code, ErrorCode::kPiiInFieldName) << name;
    EXPECT_EQ(st.error().message.find(name), std::string::npos) << st.error().message;
  }
  // Numbers that are no PII pass as names.
  const std::vector<std::string> ok{"1.5e3", "a"};
  EXPECT_TRUE(f.engine->PlanCsv(*f.route, ok).ok());
}

struct CsvOut {
  Status status;
  std::vector<std::optional<std::string>> cells;  // nullopt = removed; "=" prefix = as it was
  std::vector<Finding> findings;
};

CsvOut Csv(const Fx& f, const std::vector<std::string>& names, const std::vector<std::string_view>& cells) {
  CsvOut o;
  auto plan = f.engine->PlanCsv(*f.route, names);
  EXPECT_TRUE(plan.ok()) << plan.error().ToString();
  if (!plan.ok()) return o;
  CsvRow row;
  o.status = f.engine->MaskCsvRow(*f.route, *plan, "in.raw", cells, &row);
  if (!o.status.ok()) return o;
  for (size_t c = 0; c < row.cells.size(); ++c) {
    switch (row.cells[c].state) {
      case CsvCell::State::kRemoved: o.cells.emplace_back(std::nullopt); break;
      case CsvCell::State::kSame: o.cells.emplace_back("=" + std::string(cells[c])); break;
      case CsvCell::State::kText: o.cells.emplace_back(row.cells[c].text); break;
    }
  }
  o.findings = row.findings;
  return o;
}

TEST(EngineCsv, KeepDropAndScanRows) {
  const std::string rules =
      "      - { path: phone, action: mask, keep_last: 4 }\n"
      "      - { path: secret, action: redact }\n"
      "      - { path: memo, action: redact, mode: \"null\" }\n";
  const std::vector<std::string> names{"id", "phone", "secret", "memo", "note"};
  const std::vector<std::string_view> cells{"1", "010-1234-5678", "s", "m", "call 010-9876-5432"};
  using C = std::vector<std::optional<std::string>>;
  auto keep = Csv(Make(PolicyYaml("keep", rules)), names, cells);
  ASSERT_TRUE(keep.status.ok());
  EXPECT_EQ(keep.cells, (C{"=1", "***-****-5678", std::nullopt, "", "=call 010-9876-5432"}));
  auto drop = Csv(Make(PolicyYaml("drop", rules)), names, cells);
  ASSERT_TRUE(drop.status.ok());
  EXPECT_EQ(drop.cells, (C{std::nullopt, "***-****-5678", std::nullopt, "", std::nullopt}));
  // The findings name detectors by views into the policy: keep it alive.
  const auto scan_fx = Make(PolicyYaml("scan", rules));
  auto scan = Csv(scan_fx, names, cells);
  ASSERT_TRUE(scan.status.ok());
  ASSERT_EQ(scan.cells.size(), 5u);
  EXPECT_EQ(scan.cells[0], "=1");
  ASSERT_TRUE(scan.cells[4]);
  EXPECT_EQ(scan.cells[4]->find("9876-5432"), std::string::npos);
  ASSERT_EQ(scan.findings.size(), 1u);
  EXPECT_EQ(scan.findings[0], (Finding{"note", "phone_kr", true}));
  // A column's name is the file's: one that may be data is <name> in the
  // finding, whatever it starts with (one starting with '$' was copied as it
  // was), and a number written in a cell is read as one.
  const std::vector<std::string> data_names{"id", "phone", "secret", "memo", "$홍길동"};
  auto named = Csv(scan_fx, data_names, {"1", "010-1234-5678", "s", "m", "9.001011234568e12"});
  ASSERT_TRUE(named.status.ok());
  ASSERT_EQ(named.findings.size(), 1u);
  EXPECT_EQ(named.findings[0], (Finding{"<name>", "rrn", true}));
  // A rule's cell that is not UTF-8 fails the row; so does a wrong cell count.
  auto f = Make(PolicyYaml("keep", rules));
  const std::vector<std::string_view> bad{"1", "\xff", "s", "m", "n"};
  auto b = Csv(f, names, bad);
  ASSERT_FALSE(b.status.ok());
  EXPECT_EQ(b.status.error().code, ErrorCode::kInvalidUtf8);
  auto n = Csv(f, names, {"1", "2"});
  ASSERT_FALSE(n.status.ok());
  EXPECT_EQ(n.status.error().code, ErrorCode::kFieldCount);
}

// A path or header name spelled otherwise is the same field, and its outputs
// are bound to it alike: a review found user["phone"] under fpe revealing
// another plausible number than user.phone, and tokens that no longer join.
TEST(EngineRecord, RespelledPathsGiveTheSameOutputs) {
  const auto rules = [](const std::string& rrn, const std::string& phone, const std::string& header) {
    return "      - { path: '" + rrn + "', action: tokenize, key: customer, normalize: rrn }\n" + "      - { path: '" +
           phone + "', action: fpe, key: customer, keep_prefix: 3 }\n" + "      - { path: '" + header +
           "', action: tokenize, key: customer }\n";
  };
  const Fx plain = Make(PolicyYaml("keep", rules("user.rrn", "user.phone", "$header.x-rrn")));
  const Fx quoted = Make(PolicyYaml("keep", rules("user[\"r\\u0072n\"]", "[\"user\"][\"phone\"]", "$header.X-RRN")));
  ASSERT_TRUE(plain.engine && quoted.engine);
  const std::string value = R"({"user":{"rrn":"900101-1234567","phone":"010-1234-5678"}})";
  const Hdrs headers = {{"x-rrn", kRrn}};
  const Out a = MaskIt(plain, std::nullopt, headers, value);
  const Out b = MaskIt(quoted, std::nullopt, headers, value);
  ASSERT_TRUE(a.status.ok()) << a.status.error().ToString();
  ASSERT_TRUE(b.status.ok()) << b.status.error().ToString();
  EXPECT_FALSE(Holds(a, kRrn));
  EXPECT_FALSE(Holds(a, "1234-5678"));
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.headers, b.headers);
}

}  // namespace
}  // namespace maskproxy::engine
