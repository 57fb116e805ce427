// The engine with records whose shape differs from what the shipped
// policies' paths expect, `keep` on containers, and member names that only
// fold to a protected one (issue #10): each record is masked or refused
// (dead letter, with its reason), never passed with PII in the clear.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/keyring.h"
#include "engine/engine.h"
#include "policy/policy.h"
#include "support/keyring_fixture.h"

namespace maskproxy::engine {
namespace {

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring = test_keys::TestKeyring({{"rrn", {test_keys::Material(1)}},
                                                              {"phone", {test_keys::Material(193)}},
                                                              {"email", {test_keys::Material(225)}},
                                                              {"account", {test_keys::Material(97)}},
                                                              {"customer", {test_keys::Material(129)}},
                                                              {"contact", {test_keys::Material(161)}}});
  return ring;
}

std::string Shipped(const std::string& name) {
  std::ifstream in(std::string(MASKPROXY_SOURCE_DIR) + "/policies/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << name;
  return ss.str();
}

// `text` with its one "unlisted_fields: <from>" replaced by `to`.
std::string WithUnlisted(std::string text, const std::string& from, const std::string& to) {
  const std::string key = "unlisted_fields: " + from;
  const size_t at = text.find(key);
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) text.replace(at, key.size(), "unlisted_fields: " + to);
  return text;
}

struct Fixture {
  std::shared_ptr<const policy::Policy> policy;
  std::shared_ptr<const Engine> engine;
  const RouteRef* route = nullptr;
  std::string topic;
};

Fixture Make(const std::string& yaml, const std::string& topic) {
  Fixture f;
  f.topic = topic;
  auto p = policy::Policy::Parse(yaml, "p.yaml", Keys());
  EXPECT_TRUE(p.ok()) << p.error().ToString();
  if (!p.ok()) return f;
  f.policy = *p;
  auto e = Engine::Create({f.policy}, Limits{});
  EXPECT_TRUE(e.ok()) << e.error().ToString();
  if (!e.ok()) return f;
  f.engine = *e;
  f.route = f.engine->FindRoute(topic);
  EXPECT_NE(f.route, nullptr);
  return f;
}

// "ok:<masked>" or "dead_letter:<code>".
std::string Where(const Fixture& f, const std::string& json, std::vector<Finding>* findings = nullptr) {
  if (!f.route) return "no route";
  std::string out;
  Status st = f.engine->MaskValue(*f.route, f.topic, json, &out, findings);
  if (!st.ok()) {
    EXPECT_EQ(st.error().message.find("1234567"), std::string::npos) << st.error().message;
    EXPECT_EQ(st.error().message.find("5678"), std::string::npos) << st.error().message;
    return "dead_letter:" + std::string(ErrorCodeName(st.error().code));
  }
  return "ok:" + out;
}

const char* const kModes[] = {"keep", "drop", "scan"};

// The four records of the review, with the shipped payments policy.
const char* const kReviewRecords[] = {
    R"({"user":[{"rrn":"900101-1234567"}]})",
    R"({"user":"900101-1234567"})",
    R"({"recipients":{"phone":"010-1234-5678"}})",
    R"({"user":{"rrn":"1"},"user":"900101-1234567"})",
};

TEST(EngineShape, ShippedPaymentsPolicyDeadLettersEveryReviewRecordInEveryMode) {
  for (const char* mode : kModes) {
    Fixture f = Make(WithUnlisted(Shipped("payments.yaml"), "keep", mode), "payments.raw");
    for (const char* rec : kReviewRecords)
      EXPECT_EQ(Where(f, rec), "dead_letter:path_shape_mismatch") << mode << ": " << rec;
    // The same records well shaped are masked.
    const std::string ok = Where(f, R"({"user":{"rrn":"900101-1234567"},"recipients":[{"phone":"010-1234-5678"}]})");
    EXPECT_EQ(ok.rfind("ok:", 0), 0u) << mode << ": " << ok;
    EXPECT_EQ(ok.find("1234567"), std::string::npos) << ok;
    EXPECT_EQ(ok.find("5678"), std::string::npos) << ok;
    // null where an object is expected is absent.
    EXPECT_EQ(Where(f, R"({"user":null})").rfind("ok:", 0), 0u) << mode;
  }
}

TEST(EngineShape, NameVariantsOfAProtectedFieldAreDeadLetteredInEveryMode) {
  const std::vector<std::string> variants = {"RRN",          "\xef\xbd\x92\xef\xbd\x92\xef\xbd\x8e",
                                             "rrn ",         R"(rrn\u0000)",
                                             R"(r\u00adrn)", R"(rrn\u2800)"};  // U+2800 is drawn as a space
  for (const char* mode : kModes) {
    Fixture f = Make(WithUnlisted(Shipped("payments.yaml"), "keep", mode), "payments.raw");
    for (const auto& v : variants) {
      const std::string rec = R"({"user":{")" + v + R"(":"900101-1234567"}})";
      EXPECT_EQ(Where(f, rec), "dead_letter:ambiguous_field_name") << mode << ": " << rec;
    }
    // The exact name is still masked.
    const std::string exact = Where(f, R"({"user":{"rrn":"900101-1234567"}})");
    EXPECT_EQ(exact.rfind("ok:{\"user\":{\"rrn\":\"t1.rrn.1.", 0), 0u) << mode << ": " << exact;
  }
}

// A rule on a Korean name, and records that spell it in ways a Unicode-aware
// reader takes for the same name (the NFD Hangul case), or a rule on an
// ASCII name and Unicode case or compatibility variants of it.
TEST(EngineShape, UnicodeEquivalentNamesOfAProtectedFieldAreDeadLettered) {
  const std::string policy = R"(policy: kr
version: 1
routes:
  - from: pay.raw
    to: pay.masked
    dead_letter: pay.dlq
    unlisted_fields: MODE
    rules:
      - { path: "고객.주민번호", action: redact }
      - { path: user.secret, action: redact }
)";
  const std::string nfd = R"(\u110c\u116e\u1106\u1175\u11ab\u1107\u1165\u11ab\u1112\u1169)";  // 주민번호, NFD
  const std::vector<std::string> records = {
      R"({"고객":{")" + nfd + R"(":"900101-1234567"}})",
      "{\"고객\":{\"\xE1\x84\x8C\xE1\x85\xAE\xEB\xAF\xBC\xEB\xB2\x88\xED\x98\xB8\":\"900101-1234567\"}}",  // raw jamo
      R"({"user":{"\u017fecret":"900101-1234567"}})",
      R"({"user":{"SECRET":"900101-1234567"}})",
      R"({"user":{"\ud835\udc2c\ud835\udc1e\ud835\udc1c\ud835\udc2b\ud835\udc1e\ud835\udc2d":"900101-1234567"}})",
      R"({"user":{"\u24e2\u24d4\u24d2\u24e1\u24d4\u24e3":"900101-1234567"}})",
  };
  for (const char* mode : kModes) {
    Fixture f = Make(WithUnlisted(policy, "MODE", mode), "pay.raw");
    for (const auto& rec : records) EXPECT_EQ(Where(f, rec), "dead_letter:ambiguous_field_name") << mode << ": " << rec;
    const std::string exact = Where(f, R"({"고객":{"주민번호":"900101-1234567"}})");
    EXPECT_EQ(exact.rfind("ok:", 0), 0u) << mode << ": " << exact;
    EXPECT_EQ(exact.find("1234567"), std::string::npos) << exact;
  }
}

const char kProtectPolicy[] = R"(policy: shapes
version: 1
routes:
  - from: pay.raw
    to: pay.masked
    dead_letter: pay.dlq
    unlisted_fields: MODE
    rules:
      - { path: user.rrn, action: tokenize, key: rrn, normalize: digits, on_shape_mismatch: protect }
      - { path: user.phone, action: tokenize, key: phone, normalize: digits, on_shape_mismatch: protect }
      - { path: "recipients[*].phone", action: redact, mode: constant, value: "[X]", on_shape_mismatch: protect }
      - { path: memo.text, action: redact, mode: remove, on_shape_mismatch: protect }
      - { path: card.number, action: mask, keep_last: 4 }
)";

std::string ProtectPolicy(const std::string& mode) {
  return WithUnlisted(kProtectPolicy, "MODE", mode);
}

TEST(EngineShape, OnShapeMismatchProtectMasksInsteadInEveryMode) {
  for (const char* mode : kModes) {
    Fixture f = Make(ProtectPolicy(mode), "pay.raw");
    // user: the first rule below it (user.rrn, tokenize) protects every scalar.
    for (const char* rec : {R"({"user":[{"rrn":"900101-1234567"}]})", R"({"user":"900101-1234567"})",
                            R"({"user":{"rrn":"1"},"user":"900101-1234567"})"}) {
      const std::string got = Where(f, rec);
      EXPECT_EQ(got.rfind("ok:", 0), 0u) << mode << ": " << rec << " -> " << got;
      EXPECT_EQ(got.find("1234567"), std::string::npos) << mode << ": " << got;
      EXPECT_NE(got.find("t1.rrn.1."), std::string::npos) << mode << ": " << got;
    }
    EXPECT_EQ(Where(f, R"({"recipients":{"phone":"010-1234-5678"}})"), R"(ok:{"recipients":{"phone":"[X]"}})") << mode;
    EXPECT_EQ(Where(f, R"({"recipients":[["010-1234-5678"]]})"), R"(ok:{"recipients":[["[X]"]]})") << mode;
    // A removing rule removes the mismatching member.
    EXPECT_EQ(Where(f, R"({"memo":"010-1234-5678"})"), "ok:{}") << mode;
    // card.number says nothing: the default (dead letter).
    EXPECT_EQ(Where(f, R"({"card":"5412751234123456"})"), "dead_letter:path_shape_mismatch") << mode;
  }
}

// Several rules below a mismatching value protect it: the one that leaves
// least readable applies, whatever their order (found by review: the first
// rule, a mask keeping 6 + 4 characters, showed 10 of an RRN's 13 digits
// while a tokenize rule also claimed it).
TEST(EngineShape, OnShapeMismatchProtectTakesTheStrongestRule) {
  const std::string policy = R"(policy: shapes
version: 1
routes:
  - from: pay.raw
    to: pay.masked
    dead_letter: pay.dlq
    rules:
      - { path: pay.card, action: mask, keep_first: 6, keep_last: 4, on_shape_mismatch: protect }
      - { path: pay.rrn, action: tokenize, key: rrn, normalize: digits, on_shape_mismatch: protect }
      - { path: pay.note, action: scan, on_shape_mismatch: protect }
)";
  Fixture f = Make(policy, "pay.raw");
  for (const char* rec : {R"({"pay":"900101-1234568"})", R"({"pay":["900101-1234568"]})"}) {
    const std::string got = Where(f, rec);
    EXPECT_EQ(got.rfind("ok:", 0), 0u) << rec << " -> " << got;
    EXPECT_NE(got.find("t1.rrn.1."), std::string::npos) << got;
    EXPECT_EQ(got.find("1234568"), std::string::npos) << got;
    EXPECT_EQ(got.find("900101"), std::string::npos) << got;
  }
  // Below the mismatch, each rule's own path keeps its own action.
  const std::string ok = Where(f, R"({"pay":{"card":"5412751234123456"}})");
  EXPECT_EQ(ok, R"(ok:{"pay":{"card":"541275******3456"}})");
}

// fpe keeping characters leaves them readable as a mask does: below a
// token, and with a scan a dead letter; fpe or mask keeping none shows only
// the value's form: below a token, above a scan (found by review: fpe with
// keep_prefix 3 and keep_suffix 2 ranked with tokenize, and as the first rule
// showed an RRN's "900" and "68").
TEST(EngineShape, OnShapeMismatchFpeKeepingCharactersRanksBelowATokenAndBesideAMask) {
  const std::string head = R"(policy: shapes
version: 1
routes:
  - from: pay.raw
    to: pay.masked
    dead_letter: pay.dlq
    rules:
)";
  const std::string fpe_keep =
      "      - { path: user.phone, action: fpe, key: phone, keep_prefix: 3, keep_suffix: 2, min_length: 11, "
      "on_shape_mismatch: protect }\n";
  const std::string fpe = "      - { path: user.phone, action: fpe, key: phone, on_shape_mismatch: protect }\n";
  const std::string mask0 = "      - { path: user.phone, action: mask, on_shape_mismatch: protect }\n";
  const std::string token = "      - { path: user.rrn, action: tokenize, key: rrn, on_shape_mismatch: protect }\n";
  const std::string scan = "      - { path: user.memo, action: scan, on_shape_mismatch: protect }\n";
  for (const std::string& rules : {fpe_keep + token, token + fpe_keep, fpe + token, mask0 + token}) {
    Fixture f = Make(head + rules, "pay.raw");
    for (const char* rec : {R"({"user":"900101-1234568"})", R"({"user":9001011234568})"}) {
      const std::string got = Where(f, rec);
      EXPECT_NE(got.find("t1.rrn.1."), std::string::npos) << rules << rec << " -> " << got;
    }
  }
  for (const std::string& rules : {fpe_keep + scan, scan + fpe_keep}) {
    Fixture f = Make(head + rules, "pay.raw");
    EXPECT_EQ(Where(f, R"({"user":"900101-1234568"})"), "dead_letter:path_shape_mismatch") << rules;
  }
  for (const std::string& rules : {mask0 + scan, scan + mask0}) {
    Fixture f = Make(head + rules, "pay.raw");
    EXPECT_EQ(Where(f, R"({"user":"900101-1234568"})"), R"(ok:{"user":"******-*******"})") << rules;
  }
}

// Where the route scans unlisted fields, a mismatching value a rule
// protects is read under its own names, as the route reads it without the
// rule: a scan rule protects what the names say (an account, a name, a part
// of an RRN, a phone as a number, a passport: found by review, read under
// "customer.memo" they all passed); a rule that leaves characters readable
// applies to what the route's scan leaves of it (found by review: a mask
// keeping 6 + 4 showed "199001**-***4568" where the route tokenizes the RRN).
TEST(EngineShape, OnShapeMismatchProtectNeverProtectsLessThanTheRouteAlone) {
  const std::string head = R"(policy: scanprot
version: 1
scan:
  actions:
    rrn: { action: tokenize, key: rrn, normalize: rrn }
routes:
  - from: a.raw
    to: a.out
    dead_letter: a.dlq
    unlisted_fields: scan
    rules:
)";
  Fixture alone = Make(head + "      - { path: other, action: scan }\n", "a.raw");
  Fixture scan = Make(head + "      - { path: customer.memo, action: scan, on_shape_mismatch: protect }\n", "a.raw");
  const std::string rec =
      R"({"customer":[{"refund_account":"110-123-456789","holder_name":"김민준","jumin2":"1234568",)"
      R"("mobile":1012345678,"passport_no":"M12345678"}]})";
  const std::string want = Where(alone, rec);
  for (const char* raw : {"110-123-456789", "김민준", "1234568", "1012345678", "M12345678"})
    EXPECT_EQ(want.find(raw), std::string::npos) << want;
  EXPECT_EQ(Where(scan, rec), want);
  EXPECT_EQ(Where(scan, R"({"customer":{"memo":"김민준 고객님"}})").find("김민준"), std::string::npos);

  Fixture mask = Make(head +
                          "      - { path: payment.card.number, action: mask, keep_first: 6, keep_last: 4, "
                          "on_shape_mismatch: protect }\n",
                      "a.raw");
  for (const char* r :
       {R"({"payment":{"card":"주민 900101-1234568"}})", R"({"payment":[{"payer_rrn":"19900101-1234568"}]})",
        R"({"payment":[{"jumin":9001011234568}]})"}) {
    const std::string got = Where(mask, r);
    EXPECT_EQ(got.rfind("ok:", 0), 0u) << r << " -> " << got;
    for (const char* raw : {"9001", "4568"}) EXPECT_EQ(got.find(raw), std::string::npos) << r << " -> " << got;
  }
  // What the route's scan finds nothing in is masked as before.
  EXPECT_EQ(Where(mask, R"({"payment":{"card":"ABCDEFGHIJKLMNOP"}})"), R"(ok:{"payment":{"card":"ABCDEF******MNOP"}})");

  // An action that cannot take what the scan made of the value leaves the
  // scan's output (a sixth review: fpe on the phone's token dead-lettered
  // {"tel":"010-1234-5678"}, which the route alone protects).
  Fixture fpe = Make(head +
                         "      - { path: tel.num, action: fpe, key: rrn, keep_prefix: 3, min_length: 10, "
                         "on_shape_mismatch: protect }\n",
                     "a.raw");
  for (const char* r : {R"({"tel":"010-1234-5678"})", R"({"tel":"주민 900101-1234568"})"}) {
    const std::string got = Where(fpe, r);
    EXPECT_EQ(got.rfind("ok:", 0), 0u) << r << " -> " << got;
    for (const char* raw : {"1234-5678", "1234568"}) EXPECT_EQ(got.find(raw), std::string::npos) << r << " -> " << got;
  }
}

// A mask (or generalize) and a scan below a mismatching value show
// different parts of it, and neither can stand for the other (found by
// review: a scan rule beside `customer.name: mask` made the name "김민준"
// under a string `customer` pass whole through the scan): the record is a
// dead letter, whatever their order; a stronger rule among them settles it.
TEST(EngineShape, OnShapeMismatchAMaskAndAScanCannotStandForEachOther) {
  const std::string mask = "      - { path: customer.name, action: mask, keep_first: 1, on_shape_mismatch: protect }\n";
  const std::string scan = "      - { path: customer.memo, action: scan, on_shape_mismatch: protect }\n";
  const std::string token = "      - { path: customer.id, action: tokenize, key: rrn, on_shape_mismatch: protect }\n";
  const std::string head = R"(policy: shapes
version: 1
routes:
  - from: pay.raw
    to: pay.masked
    dead_letter: pay.dlq
    unlisted_fields: drop
    rules:
)";
  for (const std::string& rules : {mask + scan, scan + mask}) {
    Fixture f = Make(head + rules, "pay.raw");
    for (const char* rec : {R"({"customer":"김민준"})", R"({"customer":["김민준","Kim Minjun"]})"})
      EXPECT_EQ(Where(f, rec), "dead_letter:path_shape_mismatch") << rec;
    EXPECT_EQ(Where(f, R"({"customer":{"name":"김민준"}})"), R"(ok:{"customer":{"name":"김**"}})");
  }
  for (const std::string& rules : {mask + scan + token, token + scan + mask, scan + token + mask}) {
    Fixture f = Make(head + rules, "pay.raw");
    const std::string got = Where(f, R"({"customer":"김민준"})");
    EXPECT_EQ(got.rfind("ok:{\"customer\":\"t1.rrn.1.", 0), 0u) << got;
  }
}

// A rule on a field whose value is an object protects its scalars but keeps
// its member names: a name that holds PII fails the record, in every mode,
// with the policy's detectors (scan) or the built-in ones (keep, drop), and
// for a `scan` rule too. Names that hold none pass, their values masked.
TEST(EngineShape, PiiInAMemberNameInsideARuledObjectIsDeadLettered) {
  const char* const records[] = {
      R"({"user":{"rrn":{"900101-1234567":true}}})",
      R"({"user":{"rrn":{"x":{"900101\u002d1234567":1}}}})",
      R"({"user":{"email":{"a.user@example.com":[]}}})",
      R"({"recipients":[{"phone":{"010-1234-5678":null}}]})",
      R"({"user":{"rrn":[{"０１０-１２３４-５６７８":"1"}]}})",
      // Digits of another script, and a middle dot between the groups.
      R"({"user":{"rrn":{"٩٠٠١٠١-١٢٣٤٥٦٧":true}}})",
      R"({"user":{"rrn":{"900101·1234567":true}}})",
  };
  for (const char* mode : kModes) {
    Fixture f = Make(WithUnlisted(Shipped("payments.yaml"), "keep", mode), "payments.raw");
    for (const char* rec : records) EXPECT_EQ(Where(f, rec), "dead_letter:pii_in_field_name") << mode << ": " << rec;
    const std::string ok = Where(f, R"({"user":{"rrn":{"value":"900101-1234567","v2":"x"}}})");
    EXPECT_EQ(ok.rfind("ok:{\"user\":{\"rrn\":{\"value\":\"t1.rrn.1.", 0), 0u) << mode << ": " << ok;
    EXPECT_EQ(ok.find("1234567"), std::string::npos) << ok;
  }
  Fixture support = Make(Shipped("support.yaml"), "support.raw");
  EXPECT_EQ(Where(support, R"({"body":{"010-1234-5678":"x"}})"), "dead_letter:pii_in_field_name");
  EXPECT_EQ(Where(support, R"({"customer":{"rrn":{"900101-1234567":null}}})"), "dead_letter:pii_in_field_name");
  // on_shape_mismatch: protect selects every scalar of the mismatching value: its names are checked too.
  for (const char* mode : kModes) {
    Fixture f = Make(ProtectPolicy(mode), "pay.raw");
    EXPECT_EQ(Where(f, R"({"user":[{"900101-1234567":"x"}]})"), "dead_letter:pii_in_field_name") << mode;
  }
}

TEST(EngineShape, KeepOnAContainerTreatsItsMembersAsUnlisted) {
  // transfers.yaml (drop): amount is kept, but not an object under it.
  Fixture t = Make(Shipped("transfers.yaml"), "transfers.raw");
  EXPECT_EQ(Where(t, R"({"amount":{"rrn":"900101-1234567"}})"), R"(ok:{"amount":{}})");
  EXPECT_EQ(Where(t, R"({"amount":50000})"), R"(ok:{"amount":50000})");
  // support.yaml (scan): ticket_id is kept, an object under it is scanned.
  Fixture s = Make(Shipped("support.yaml"), "support.raw");
  std::vector<Finding> findings;
  const std::string got = Where(s, R"({"ticket_id":{"note":"900101-1234567"}})", &findings);
  EXPECT_EQ(got.rfind(R"(ok:{"ticket_id":{"note":"t1.rrn.1.)", 0), 0u) << got;
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].field, "ticket_id.note");
  EXPECT_TRUE(findings[0].unlisted);
  EXPECT_EQ(Where(s, R"({"ticket_id":"S-1"})"), R"(ok:{"ticket_id":"S-1"})");
}

const char kKeepPolicy[] = R"(policy: keeps
version: 1
routes:
  - from: pay.raw
    to: pay.masked
    dead_letter: pay.dlq
    unlisted_fields: MODE
    rules:
      - { path: amount, action: keep }
      - { path: blob, action: keep, apply_to: whole }
      - { path: user.rrn, action: tokenize, key: rrn, normalize: digits }
)";

TEST(EngineShape, KeepWithAndWithoutApplyToWholeInEveryMode) {
  const std::string rec = R"({"amount":{"rrn":"900101-1234567"},"blob":{"rrn":"900101-1234567"}})";
  const std::string whole_blob = R"("blob":{"rrn":"900101-1234567"})";
  Fixture k = Make(WithUnlisted(kKeepPolicy, "MODE", "keep"), "pay.raw");
  EXPECT_EQ(Where(k, rec), "ok:" + rec);  // keep mode passes unlisted values anyway
  Fixture d = Make(WithUnlisted(kKeepPolicy, "MODE", "drop"), "pay.raw");
  EXPECT_EQ(Where(d, rec), R"(ok:{"amount":{},)" + whole_blob + "}");
  Fixture s = Make(WithUnlisted(kKeepPolicy, "MODE", "scan"), "pay.raw");
  const std::string scanned = Where(s, rec);
  EXPECT_EQ(scanned.rfind(R"(ok:{"amount":{"rrn":"[rrn]"},)", 0), 0u) << scanned;
  EXPECT_NE(scanned.find(whole_blob), std::string::npos) << scanned;  // whole: kept unchecked, as the warning says
  for (const auto& f : {k, d, s}) {
    EXPECT_EQ(Where(f, R"({"amount":125000,"blob":7})"), R"(ok:{"amount":125000,"blob":7})");
    ASSERT_EQ(f.policy->warnings().size(), 1u);
    EXPECT_NE(f.policy->warnings()[0].find("p.yaml:10:"), std::string::npos) << f.policy->warnings()[0];
    EXPECT_NE(
        f.policy->warnings()[0].find("keeps the whole object or array at blob unchecked: PII nested in it passes"),
        std::string::npos)
        << f.policy->warnings()[0];
  }
}

}  // namespace
}  // namespace maskproxy::engine

namespace maskproxy::engine {
namespace {

// A member name with dots that spells a protected path ("user.rrn" beside
// "user": {"rrn": ...}) is read as that path by Elasticsearch, OpenSearch and
// JSON flatteners: ambiguous, in every mode (found by review).
TEST(EngineShape, DottedNamesThatSpellAProtectedPathAreDeadLettered) {
  for (const char* mode : kModes) {
    Fixture f = Make(WithUnlisted(Shipped("payments.yaml"), "keep", mode), "payments.raw");
    for (const std::string rec :
         {R"({"user":{"rrn":"900101-1234568"},"user.rrn":"900101-1234568"})", R"({"user.rrn":"900101-1234568"})",
          R"({"user.RRN":"900101-1234568"})", R"({"recipients[0].phone":"010-1234-5678"})",
          R"({"payment":{"card.number":"4111"}})"}) {
      EXPECT_EQ(Where(f, rec), "dead_letter:ambiguous_field_name") << mode << ": " << rec;
    }
    // Dotted names that spell no rule's path are unlisted fields.
    EXPECT_EQ(Where(f, R"({"user.level":"gold"})").rfind("ok:", 0), 0u) << mode;
  }
}

// A dotted name that reads as a field inside a protected value ("user.rrn"
// beside a rule on user, "no.x" inside acct beside a rule on acct.no) passed
// in the clear under keep (found by review).
TEST(EngineShape, DottedNamesInsideAProtectedValueAreDeadLettered) {
  const std::string yaml =
      "policy: p\nversion: 1\nroutes:\n  - from: t.raw\n    to: t.out\n    dead_letter: t.dlq\n"
      "    unlisted_fields: %s\n    rules:\n"
      "      - { path: user, action: redact, apply_to: whole }\n"
      "      - { path: cust, action: redact }\n"
      "      - { path: acct.no, action: redact }\n"
      "      - { path: meta, action: keep }\n";
  for (const char* mode : kModes) {
    std::string y = yaml;
    y.replace(y.find("%s"), 2, mode);
    Fixture f = Make(y, "t.raw");
    for (const std::string rec : {R"({"user":{"a":1},"user.rrn":"900101-1234568"})", R"({"cust.rrn":"900101-1234568"})",
                                  R"({"acct":{"no.x":"900101-1234568"}})", R"({"acct.no.x":"900101-1234568"})"}) {
      EXPECT_EQ(Where(f, rec), "dead_letter:ambiguous_field_name") << mode << ": " << rec;
    }
    // keep passes what is inside it anyway; a name beside it is unlisted.
    if (std::string(mode) != "drop") {
      EXPECT_EQ(Where(f, R"({"meta.version":1})").rfind("ok:", 0), 0u) << mode;
    }
    EXPECT_EQ(Where(f, R"({"users.x":1})").rfind("ok:", 0), 0u) << mode;
  }
}

// More spellings a flattener expands (found by a second review): an index
// as a segment or in brackets (items.0.ssn, items[0] holding {ssn}), an
// array flattened away (items.ssn), a dot that folds to one (U+FF0E, U+2024),
// a rule's own dotted key (meta["k.v"].x beside "meta.k.v.x").
TEST(EngineShape, DottedNamesInEveryFlattenedSpellingAreDeadLettered) {
  const std::string yaml =
      "policy: p\nversion: 1\nroutes:\n  - from: t.raw\n    to: t.out\n    dead_letter: t.dlq\n"
      "    unlisted_fields: %s\n    rules:\n"
      "      - { path: user.rrn, action: redact }\n"
      "      - { path: \"items[*].ssn\", action: redact }\n"
      "      - { path: 'meta[\"k.v\"].x', action: redact }\n"
      "      - { path: \"grid[*][*].p\", action: redact }\n";
  for (const char* mode : kModes) {
    std::string y = yaml;
    y.replace(y.find("%s"), 2, mode);
    Fixture f = Make(y, "t.raw");
    for (const std::string rec :
         {// Found by a later review: arrays of arrays flattened away, empty
          // segments or an empty name inside a quoted key's spelling.
          R"({"grid.p":"S"})", R"({"grid.0.p":"S"})", R"({"meta":{"k..v":{"x":"S"}}})",
          R"({"meta":{".k.v.":{"x":"S"}}})", "{\"meta\":{\"k\xef\xbc\x8e\xef\xbc\x8ev\":{\"x\":\"S\"}}}",
          R"({"meta":{"k":{"":{"v":{"x":"S"}}}}})", R"({"meta":{"k":{"":[{"v.x":"S"}]}}})", R"({"items.0.ssn":"S"})",
          R"({"items[0]":{"ssn":"S"}})", R"({"items.ssn":"S"})", R"({"items.0":{"ssn":"S"}})",
          R"({"items[*]":{"ssn":"S"}})", R"({"user.rrn[0]":"S"})", R"({"user":{"rrn[0]":"S"}})",
          "{\"user\xef\xbc\x8errn\":\"S\"}", R"({"user\u2024rrn":"S"})", R"({"meta.k.v.x":"S"})",
          R"({"meta":{"k.v.x":"S"}})", R"({"user..rrn":"S"})",
          // Empty names nested where a ruled path goes on: read as user.rrn by
          // a reader that drops them, as user..rrn by one that joins them.
          R"({"user":{"":{"rrn":"S"}}})", R"({"":{"user":{"rrn":"S"}}})", R"({"items":[{"":{"ssn":"S"}}]})",
          R"({"user":{"":[{"rrn":"S"}]}})"}) {
      EXPECT_EQ(Where(f, rec), "dead_letter:ambiguous_field_name") << mode << ": " << rec;
    }
    // An empty name holding a scalar spells nothing.
    EXPECT_EQ(Where(f, R"({"":"x","user":{"":1}})").rfind("ok:", 0), 0u) << mode;
    // Names beside the rules that no flattener reads as one of them.
    EXPECT_EQ(Where(f, R"({"items.count":3,"user.name":"x","tags[x]":1,"meta.k":1})").rfind("ok:", 0), 0u) << mode;
  }
}

// Names that fold to nothing (only white space, control or invisible
// characters) are empty names to a reader that trims or drops what it does
// not see (found by review: " ", "\u200b", "\u0000", "\ufeff", "\u3000",
// "\u00ad" passed holding user.rrn while "" was refused).
TEST(EngineShape, BlankNamesHoldingARuledPathAreDeadLettered) {
  for (const char* mode : kModes) {
    Fixture f = Make(WithUnlisted(Shipped("payments.yaml"), "keep", mode), "payments.raw");
    for (const char* blank : {" ", "\\u200b", "\\u0000", "\\ufeff", "\\u3000", "\\u00ad", "\\t\\u200b "}) {
      const std::string b = blank;
      for (const std::string& rec : {R"({"user":{")" + b + R"(":{"rrn":"900101-1234568"}}})",
                                     R"({")" + b + R"(":{"user":{"rrn":"900101-1234568"}}})",
                                     R"({"recipients":[{")" + b + R"(":{"phone":"010-1234-5678"}}]})",
                                     R"({"user":{")" + b + R"(":[{"rrn":"900101-1234568"}]}})"})
        EXPECT_EQ(Where(f, rec), "dead_letter:ambiguous_field_name") << mode << ": " << rec;
      // Holding a scalar, it spells nothing.
      EXPECT_EQ(Where(f, R"({"user":{")" + b + R"(":1}})").rfind("ok:", 0), 0u) << mode << ": " << blank;
    }
    // A name with a letter in it is a name.
    EXPECT_EQ(Where(f, R"({"user":{" x":{"y":1}}})").rfind("ok:", 0), 0u) << mode;
  }
}

// Names with letters of other scripts that read as a ruled one's (found by
// review: "recıpients" with a dotless i, "emaıl" and "рhone" with a
// Cyrillic р passed in the clear; "emaİl" was refused).
TEST(EngineShape, LookAlikeLettersInANameAreDeadLettered) {
  for (const char* mode : kModes) {
    Fixture f = Make(WithUnlisted(Shipped("payments.yaml"), "keep", mode), "payments.raw");
    for (const std::string rec :
         {"{\"rec\xC4\xB1pients\":[{\"phone\":\"010-1234-5678\"}]}",
          "{\"user\":{\"ema\xC4\xB1l\":\"kim@example.com\"}}", "{\"user\":{\"\xD1\x80hone\":\"010-1234-5678\"}}",
          "{\"user\":{\"rr\xD0\xBF\":1}}",
          "{\"u\xD1\x95"
          "er\":{\"rrn\":\"900101-1234568\"}}",
          "{\"user\":{\"RR\xCE\x9D\":\"900101-1234568\"}}",
          // A second review: what Unicode's confusables take for a
          // Latin letter (Lisu ꓣꓣꓠ, Cherokee ᏒᏒN, Cyrillic г,
          // Armenian ռ, Lisu ꓑꓧꓳꓠꓰ), a private-use character, dots
          // IDNA reads as dots.
          "{\"user\":{\"\xEA\x93\xA3\xEA\x93\xA3\xEA\x93\xA0\":\"900101-1234568\"}}",
          "{\"user\":{\"\xE1\x8F\x92\xE1\x8F\x92N\":\"900101-1234568\"}}",
          "{\"user\":{\"\xD0\xB3\xD0\xB3n\":\"900101-1234568\"}}", "{\"user\":{\"rr\xD5\xBC\":\"900101-1234568\"}}",
          "{\"user\":{\"rrn\xEE\x80\x80\":\"900101-1234568\"}}", "{\"user\":{\"rrn\xEF\xBF\xBC\":\"900101-1234568\"}}",
          "{\"user\":{\"\xEA\x93\x91\xEA\x93\xA7\xEA\x93\xB3\xEA\x93\xA0\xEA\x93\xB0\":\"010-1234-5678\"}}",
          "{\"user\xE3\x80\x82rrn\":\"900101-1234568\"}", "{\"user\xEF\xBD\xA1rrn\":\"900101-1234568\"}"}) {
      const std::string got = Where(f, rec);
      if (rec.find("rr\xD0\xBF") != std::string::npos) {  // п is no Latin letter's look-alike
        EXPECT_EQ(got.rfind("ok:", 0), 0u) << mode << ": " << got;
        continue;
      }
      EXPECT_EQ(got, "dead_letter:ambiguous_field_name") << mode << ": " << rec;
    }
  }
}

// A name that spells a protected path with brackets, as Logstash's field
// references ("[user][rrn]"), form-parameter parsers ("user[rrn]",
// "recipients[0][phone]") and JavaScript ("user['rrn']") read it, passed in
// the clear under keep (found by review: Logstash's json filter writes such a
// key to the field user.rrn).
TEST(EngineShape, BracketedNamesThatSpellAProtectedPathAreDeadLettered) {
  for (const char* mode : kModes) {
    Fixture f = Make(WithUnlisted(Shipped("payments.yaml"), "keep", mode), "payments.raw");
    for (const std::string rec :
         {R"({"[user][rrn]":"900101-1234568"})", R"({"user[rrn]":"900101-1234568"})",
          R"({"[user]":{"rrn":"900101-1234568"}})", R"({"user":{"[rrn]":"900101-1234568"}})",
          R"({"user['rrn']":"900101-1234568"})", R"({"user[\"rrn\"]":"900101-1234568"})",
          R"({"[payment][card][number]":"5412751234123456"})", R"({"recipients[0][phone]":"010-1234-5678"})",
          R"({"[recipients][][phone]":"010-1234-5678"})", R"({"[recipients][phone]":"010-1234-5678"})",
          "{\"[\xef\xbd\x95ser][rrn]\":\"900101-1234568\"}", R"({"[USER][Rrn]":"900101-1234568"})",
          // A second review: what follows the last ']' (PHP and qs drop it),
          // full-width brackets.
          R"({"user[rrn]x":"900101-1234568"})", R"({"user[rrn]]":"900101-1234568"})",
          R"({"user[rrn]=":"900101-1234568"})", "{\"user\xef\xbc\xbbrrn\xef\xbc\xbd\":\"900101-1234568\"}"}) {
      EXPECT_EQ(Where(f, rec), "dead_letter:ambiguous_field_name") << mode << ": " << rec;
    }
    // Brackets that spell no rule's path are unlisted fields.
    EXPECT_EQ(Where(f, R"({"[user][level]":"gold","tags[x]":1,"[a":1,"b]":2})").rfind("ok:", 0), 0u) << mode;
  }
}

// A quoted key with dots (["user.phone"], a CSV column's name; meta["k.v"].x)
// protected only that spelling: names nested in one another that a reader
// joining them with dots reads as the rule's path ({"user":{"phone":…}},
// {"user":[{"phone":…}]}, {"meta":{"k":{"v.x":…}}}) passed in the clear,
// while the dotted spellings of the same path were refused (found by review).
TEST(EngineShape, NestedNamesThatSpellAQuotedDottedKeyAreDeadLettered) {
  const std::string yaml =
      "policy: p\nversion: 1\nroutes:\n  - from: t.raw\n    to: t.out\n    dead_letter: t.dlq\n"
      "    unlisted_fields: %s\n    rules:\n"
      "      - { path: '[\"user.phone\"]', action: redact, mode: \"null\" }\n"
      "      - { path: 'meta[\"k.v\"].x', action: redact, mode: \"null\" }\n"
      "      - { path: meta.k.w, action: redact, mode: \"null\" }\n"
      "      - { path: '[\"a.b\"][*].c', action: redact, mode: \"null\" }\n"
      "      - { path: 'o[\"Card.No\"]', action: redact, mode: \"null\" }\n";
  for (const char* mode : kModes) {
    std::string y = yaml;
    y.replace(y.find("%s"), 2, mode);
    Fixture f = Make(y, "t.raw");
    for (const std::string rec :
         {R"({"user":{"phone":"S"}})", R"({"user":[{"phone":"S"}]})", R"({"user":[[{"phone":"S"}],1]})",
          R"({"n":1,"user":{"name":"x","phone":"S"}})", R"({"USER":{"Phone":"S"}})", R"({"user":{"phone":null}})",
          R"({"meta":{"k":{"v":{"x":"S"}}}})", R"({"meta":{"k":{"v.x":"S"}}})", R"({"meta":{"k":{"v":[{"x":"S"}]}}})",
          R"({"meta":{"k":{"w":"S","v":{"x":"S"}}}})", R"({"meta.k":{"v":{"x":"S"}}})", R"({"meta.k":{"v.x":"S"}})",
          R"({"meta":{"k":{"v":{"x":{"y":"S"}}}}})", R"({"a":{"b":[{"c":"S"}]}})", R"({"a":{"b":{"0":{"c":"S"}}}})",
          R"({"a":[{"b":[{"c":"S"}]}]})", R"({"o":{"card":{"no":"S"}}})", R"({"o":{"Card":{"No":"S"}}})"}) {
      EXPECT_EQ(Where(f, rec), "dead_letter:ambiguous_field_name") << mode << ": " << rec;
    }
    // The rules' own paths are masked as ever.
    EXPECT_EQ(Where(f, R"({"user.phone":"S"})"), R"(ok:{"user.phone":null})") << mode;
    EXPECT_EQ(Where(f, R"({"meta":{"k.v":{"x":"S"}}})"), R"(ok:{"meta":{"k.v":{"x":null}}})") << mode;
    EXPECT_EQ(Where(f, R"({"meta":{"k":{"w":"S"}}})"), R"(ok:{"meta":{"k":{"w":null}}})") << mode;
    EXPECT_EQ(Where(f, R"({"a.b":[{"c":"S"}]})"), R"(ok:{"a.b":[{"c":null}]})") << mode;
    // Names that share a beginning with a rule's path but are read as
    // another one pass.
    for (const std::string rec :
         {R"({"user":{"name":"x","phones":"y"},"users":{"phone":1}})", R"({"user":"x"})", R"({"user":[1,{"p":2}]})",
          R"({"meta":{"k":{"v":{"y":1},"vx":{"x":1}}}})", R"({"meta":{"k":{"u":{"x":1}}}})",
          R"({"meta":{"kv":{"x":1}}})", R"({"a":{"c":1,"bc":[{"c":1}]}})"}) {
      EXPECT_EQ(Where(f, rec).rfind("ok:", 0), 0u) << mode << ": " << rec << " -> " << Where(f, rec);
    }
  }
}

// A rule on an object applies to each scalar in it and keeps its member
// names, so a name that may be data fails the record (found by review: an
// address and a name as member names passed under redact and mask);
// apply_to: whole takes the object as one value, names and all.
TEST(EngineShape, NamesInsideAProtectedObjectDoNotPassAsData) {
  for (const char* mode : kModes) {
    Fixture f = Make(WithUnlisted(Shipped("payments.yaml"), "keep", mode), "payments.raw");
    EXPECT_EQ(Where(f, R"({"user":{"address":{"서울특별시 강남구 테헤란로 123":true}}})"),
              "dead_letter:pii_in_field_name")
        << mode;
    EXPECT_EQ(Where(f, R"({"payment":{"card":{"expiry":{"12/28":1}}}})"), "dead_letter:pii_in_field_name") << mode;
    EXPECT_EQ(Where(f, R"({"user":{"name":{"김민준":1}}})"), "dead_letter:pii_in_field_name") << mode;
    EXPECT_EQ(Where(f, R"({"user":{"name":{"Kim Minjun":"x"}}})"), "dead_letter:pii_in_field_name") << mode;
    // Plain names inside stay, their scalars masked.
    EXPECT_EQ(Where(f, R"({"user":{"name":{"first":"민준","last":"김"}}})"),
              R"(ok:{"user":{"name":{"first":"민*","last":"*"}}})")
        << mode;
  }
  std::string whole = Shipped("payments.yaml");
  const std::string rule = R"({ path: user.address,        action: redact, mode: "null" })";
  ASSERT_NE(whole.find(rule), std::string::npos);
  whole.replace(whole.find(rule), rule.size(),
                R"({ path: user.address, action: redact, mode: "null", apply_to: whole })");
  Fixture f = Make(whole, "payments.raw");
  EXPECT_EQ(Where(f, R"({"user":{"address":{"서울특별시 강남구 테헤란로 123":true}}})"),
            R"(ok:{"user":{"address":null}})");
}

}  // namespace
}  // namespace maskproxy::engine
