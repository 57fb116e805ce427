// Scanning (free-text PII -> per-detector actions) and the scan action.
#include "transform/scan.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "codec/json.h"
#include "crypto/keyring.h"
#include "support/keyring_fixture.h"

namespace maskproxy::transform {
namespace {

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring = test_keys::TestKeyring({{"phone", {test_keys::FilledMaterial(7)}}});
  return ring;
}

std::unique_ptr<const Action> Make(const std::string& name, std::vector<std::pair<std::string, std::string>> opts,
                                   const std::string& detector) {
  ActionOptions o;
  for (auto& [k, v] : opts) o.Set(k, {v, false});
  ActionEnv env{&Keys(), ScanFieldPath(detector)};
  auto a = CreateAction(name, o, env);
  EXPECT_TRUE(a.ok()) << a.error().ToString();
  return a.ok() ? std::move(a).value() : nullptr;
}

// Built-in detectors; phone_kr tokenized, email kept, every other hit
// replaced by "[<detector>]" (with `card_keeps_bin`, cards masked keeping
// their first 6 and last 4 digits: an action that shows part of its input).
std::shared_ptr<const Scanning> MakeScanning(bool card_keeps_bin = false) {
  auto scanner = detect::Scanner::Create(detect::Scanner::Defaults());
  EXPECT_TRUE(scanner.ok());
  std::vector<Scanning::DetectorAction> actions;
  for (const auto& name : (*scanner)->detector_names()) {
    Scanning::DetectorAction da;
    da.detector = name;
    if (name == "phone_kr") {
      da.action_name = "tokenize";
      da.action = Make("tokenize", {{"key", "phone"}, {"normalize", "digits"}}, name);
    } else if (name == "email") {
      da.action_name = "keep";
    } else if (name == "card" && card_keeps_bin) {
      da.action_name = "mask";
      da.action = Make("mask", {{"keep_first", "6"}, {"keep_last", "4"}}, name);
    } else {
      da.action_name = "redact";
      da.action = Make("redact", {{"mode", "constant"}, {"value", "[" + name + "]"}}, name);
    }
    actions.push_back(std::move(da));
  }
  auto s = Scanning::Create(std::move(scanner).value(), std::move(actions));
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return s.ok() ? *s : nullptr;
}

std::string Protect(const Scanning& s, std::string_view text, std::vector<std::string_view>* hits = nullptr) {
  ActionContext ctx{"t", hits};
  std::string out;
  bool found = false;
  Status st = s.Protect(ctx, text, &out, &found);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  return found ? out : std::string(text);
}

TEST(ScanningTest, ReplacesEachHitAndKeepsTheRestByteForByte) {
  auto s = MakeScanning();
  std::vector<std::string_view> hits;
  const std::string out =
      Protect(*s, "환불 요청: 주민번호 900101-1234568, 카드 4111-1111-1111-1111 확인 바랍니다.", &hits);
  EXPECT_EQ(out, "환불 요청: 주민번호 [rrn], 카드 [card] 확인 바랍니다.");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0], "rrn");
  EXPECT_EQ(hits[1], "card");
}

TEST(ScanningTest, NothingFoundLeavesTheOutputUntouched) {
  auto s = MakeScanning();
  ActionContext ctx{"t"};
  std::string out = "sentinel";
  bool found = true;
  ASSERT_TRUE(s->Protect(ctx, "문 앞에 놓아 주세요. Order ORD-2026112600012345.", &out, &found).ok());
  EXPECT_FALSE(found);
  EXPECT_EQ(out, "sentinel");
}

TEST(ScanningTest, KeepLeavesTheHitButReportsIt) {
  auto s = MakeScanning();
  std::vector<std::string_view> hits;
  EXPECT_EQ(Protect(*s, "mail minjun.kim@example.com please", &hits), "mail minjun.kim@example.com please");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0], "email");
}

TEST(ScanningTest, ObfuscatedAndPlainFormsGiveOneToken) {
  auto s = MakeScanning();
  const std::string plain = Protect(*s, "전화 010-9876-5432 주세요");
  // Full-width digits and dash, and a zero-width space inside the number.
  const std::string tricky = Protect(*s, "전화 ０１０－９８７６－\u200B５４３２ 주세요");
  EXPECT_NE(plain, "전화 010-9876-5432 주세요");
  EXPECT_EQ(plain.find("9876"), std::string::npos);
  EXPECT_EQ(plain, tricky);
  EXPECT_EQ(plain.rfind("전화 t1.phone.1.", 0), 0u) << plain;
}

// Overlapping candidates: the card covers more than the phone that starts
// before it and wins; the phone's part outside the card was left as text
// ("1588 ", four digits of a representative number). Now the two are one
// placeholder, the first-listed detector's (card before phone_kr).
TEST(ScanningTest, ACandidateReachingPastTheHitMakesOnePlaceholder) {
  auto s = MakeScanning();
  std::vector<std::string_view> hits;
  EXPECT_EQ(Protect(*s, "call 1588 4111 1111 1111 1111 now", &hits), "call [card] now");
  EXPECT_EQ(hits, (std::vector<std::string_view>{"card"}));
  // Not overlapping: each its own.
  const std::string apart = Protect(*s, "call 1588-4111 or pay 4111 1111 1111 1111 now", &hits);
  EXPECT_EQ(apart.rfind("call t1.phone.1.", 0), 0u) << apart;
  EXPECT_NE(apart.find(" or pay [card] now"), std::string::npos) << apart;
}

// A mobile number then a card, grouped by spaces or dashes: no group of
// either is left in the clear, whatever run of digits across the two passes
// a validator by chance (a false card from the phone's middle into the card
// hid the real card's last groups).
TEST(ScanningTest, NoGroupOfAPhoneBesideACardIsLeftInTheClear) {
  auto s = MakeScanning();
  std::mt19937 rng(20261206);
  auto digits = [&](size_t n) {
    std::string d;
    for (size_t i = 0; i < n; ++i) d += static_cast<char>('0' + std::uniform_int_distribution<int>(0, 9)(rng));
    return d;
  };
  auto luhn = [](const std::string& body) {  // body + its Luhn check digit
    int sum = 0;
    for (size_t i = 0; i < body.size(); ++i) {
      int d = body[body.size() - 1 - i] - '0';
      if (i % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    return body + static_cast<char>('0' + (10 - sum % 10) % 10);
  };
  size_t placeholders = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::vector<std::string> groups = {"010", digits(4), digits(4)};
    const std::string card = luhn((i % 3 == 0 ? "5" : "4") + digits(14));
    std::vector<std::string> all = groups;
    for (size_t k = 0; k < 16; k += 4) all.push_back(card.substr(k, 4));
    const char* sep = i % 2 == 0 ? " " : "-";
    std::string text = "call ";
    for (size_t k = 0; k < all.size(); ++k) text += (k > 0 ? sep : "") + all[k];
    text += " now";
    const std::string out = Protect(*s, text);
    for (size_t k = 1; k < all.size(); ++k) ASSERT_EQ(out.find(all[k]), std::string::npos) << text << " -> " << out;
    placeholders += out.find("call t1.phone.1.") == std::string::npos ? 1 : 0;
  }
  EXPECT_LT(placeholders, 3000u / 2);  // mostly a token and the card's placeholder, each its own
}

// A candidate that lost across hits whose actions show nothing is not a
// conflict: each hit is replaced on its own. Where the hits show part of
// their input, the readings cannot be told apart (two cards side by side
// with a Luhn-valid run across them; a card between two such runs): the
// stretch is one placeholder, and no group of any reading is shown.
TEST(ScanningTest, ARunAcrossTwoHitsIsAConflictOnlyWhereTheHitsShowPart) {
  auto hidden = MakeScanning();
  const std::string both = Protect(*hidden, "010 9876 5432 4539 1488 0343 6467 ok");
  EXPECT_EQ(both.rfind("t1.phone.1.", 0), 0u) << both;
  EXPECT_NE(both.find(" [card] ok"), std::string::npos) << both;
  auto shown = MakeScanning(/*card_keeps_bin=*/true);
  EXPECT_EQ(Protect(*shown, "010 9876 5432 4539 1488 0343 6467 ok"), "[card] ok");
  // Luhn-valid: 5485…3808, 5349…8799, and 2226 3808 5349 5036 across them.
  EXPECT_EQ(Protect(*shown, "5485 6739 2226 3808 5349 5036 2448 8799"), "[card]");
  EXPECT_EQ(Protect(*hidden, "5485 6739 2226 3808 5349 5036 2448 8799"), "[card] [card]");
  // 6011 7597 5104 9045 between 4476 7976 6011 7597 and 5104 9045 2911 9163.
  EXPECT_EQ(Protect(*shown, "4476 7976 6011 7597 5104 9045 2911 9163"), "[card]");
  // Alone, or apart from other digits, a card keeps its mask.
  EXPECT_EQ(Protect(*shown, "4539 1488 0343 6467"), "4539 14** **** 6467");
  EXPECT_EQ(Protect(*shown, "5485 6739 2226 3808, 5349 5036 2448 8799"), "5485 67** **** 3808, 5349 50** **** 8799");
}

// A card number after a card label that fails Luhn is a card, and the card
// action masks it as it masks any (BIN and last 4 at most); names after a
// staff label and in Latin letters are replaced whole (before: all passed).
TEST(ScanningTest, LabelledCardsAndNamesTakeTheirDetectorsActions) {
  auto s = MakeScanning(/*card_keeps_bin=*/true);
  ASSERT_NE(s, nullptr);
  std::vector<std::string_view> hits;
  EXPECT_EQ(Protect(*s, "카드번호: 4532-0151-1283-0367 분실", &hits), "카드번호: 4532-01**-****-0367 분실");
  EXPECT_EQ(hits, (std::vector<std::string_view>{"card"}));
  EXPECT_EQ(Protect(*s, "card no 4532015112830367"), "card no 453201******0367");
  EXPECT_EQ(Protect(*s, "상담원: 김민준, Account holder: KIM MINJUN"),
            "상담원: [person_name], Account holder: [person_name]");
  EXPECT_EQ(Protect(*s, "Name: Savings Account"), "Name: Savings Account");
}

TEST(ScanningTest, ScannerErrorsAreNeverNoMatch) {
  auto s = MakeScanning();
  ActionContext ctx{"t"};
  std::string out;
  bool found = false;
  Status st = s->Protect(ctx, std::string_view("\xff\xfe 010-1234-5678"), &out, &found);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidUtf8);
  EXPECT_FALSE(found);
}

TEST(ScanningTest, CreateChecksTheActions) {
  auto scanner = detect::Scanner::Create({{"member_no", R"(MB-\d{8})", "none", {}, 20}});
  ASSERT_TRUE(scanner.ok());
  {
    std::vector<Scanning::DetectorAction> none;
    auto s = Scanning::Create(std::move(scanner).value(), std::move(none));
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("'member_no' has no action"), std::string::npos);
  }
  auto scanner2 = detect::Scanner::Create({{"member_no", R"(MB-\d{8})", "none", {}, 20}});
  ASSERT_TRUE(scanner2.ok());
  std::vector<Scanning::DetectorAction> remove;
  remove.push_back({"member_no", "redact", Make("redact", {}, "member_no")});
  auto s = Scanning::Create(std::move(scanner2).value(), std::move(remove));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("remove the whole value"), std::string::npos);
}

TEST(ScanningTest, AnActionThatGivesNoTextFailsTheRecord) {
  auto scanner = detect::Scanner::Create({{"member_no", R"(MB-\d{8})", "none", {}, 20}});
  ASSERT_TRUE(scanner.ok());
  std::vector<Scanning::DetectorAction> actions;
  actions.push_back({"member_no", "redact", Make("redact", {{"mode", "null"}}, "member_no")});
  auto s = Scanning::Create(std::move(scanner).value(), std::move(actions));
  ASSERT_TRUE(s.ok());
  ActionContext ctx{"t"};
  std::string out;
  bool found = false;
  Status st = (*s)->Protect(ctx, "member MB-12345678", &out, &found);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kScanFailed);
  EXPECT_EQ(st.error().message.find("12345678"), std::string::npos);
}

std::string ApplyScan(const Action& a, codec::JsonType type, std::string_view raw, std::string_view text) {
  std::string out;
  Status st = a.Apply(ActionContext{"t"}, codec::ScalarRef{type, raw, text}, &out);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  return out;
}

TEST(ScanActionTest, StringsNumbersAndOtherTypes) {
  ActionOptions o;
  ActionEnv env{&Keys(), "memo"};
  env.scanning = MakeScanning();
  auto a = CreateAction("scan", o, env);
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  // No hit: the raw JSON text, escapes and all.
  EXPECT_EQ(ApplyScan(**a, codec::JsonType::kString, R"("caf\u00e9 ok")", "café ok"), R"("caf\u00e9 ok")");
  // A hit in an escaped string: found in the decoded text.
  EXPECT_EQ(ApplyScan(**a, codec::JsonType::kString, R"("rrn \u0039\u0030\u0030101-1234568")", "rrn 900101-1234568"),
            R"("rrn [rrn]")");
  // A number that is a card number becomes a string.
  EXPECT_EQ(ApplyScan(**a, codec::JsonType::kNumber, "4111111111111111", "4111111111111111"), R"("[card]")");
  EXPECT_EQ(ApplyScan(**a, codec::JsonType::kNumber, "125000", "125000"), "125000");
  // Ten digits from 10: an amount of 1.0-1.1 billion won, an id past 10^9 or
  // a mobile number that lost its leading 0 in a number type; read as a
  // number unless the field's names say phone (EngineScanTest).
  EXPECT_EQ(ApplyScan(**a, codec::JsonType::kNumber, "1050000000", "1050000000"), "1050000000");
  EXPECT_EQ(ApplyScan(**a, codec::JsonType::kBool, "true", "true"), "true");
  std::string out;
  Status st = (*a)->Apply(ActionContext{"t"}, codec::ScalarRef{codec::JsonType::kObject, "{}", "{}"}, &out);
  EXPECT_FALSE(st.ok());
}

TEST(ScanActionTest, NeedsTheScanningSetup) {
  ActionOptions o;
  ActionEnv env{&Keys(), "memo"};
  auto a = CreateAction("scan", o, env);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kInvalidOption);
}

TEST(ScanActionTest, KeyRefNamesTheHitsKeys) {
  ActionOptions o;
  ActionEnv env{&Keys(), "memo"};
  env.scanning = MakeScanning();
  auto a = CreateAction("scan", o, env);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->KeyRef(), "");  // tokenize is not reversible
}

}  // namespace
}  // namespace maskproxy::transform
