// The engine with scanning: `action: scan` rules and the schema-drift guard
// (unlisted_fields: scan), with what they report.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/keyring.h"
#include "engine/engine.h"
#include "policy/policy.h"
#include "support/keyring_fixture.h"

namespace maskproxy::engine {
namespace {

const crypto::Keyring& Keys() {
  static const crypto::Keyring ring =
      test_keys::TestKeyring({{"phone", {test_keys::FilledMaterial(9)}}, {"contact", {test_keys::FilledMaterial(10)}}});
  return ring;
}

const char kPolicy[] = R"(policy: support
version: 1
scan:
  detectors:
    - { name: member_no, pattern: 'MB-\d{8}', context_words: [회원, member] }
  actions:
    phone_kr: { action: tokenize, key: phone, normalize: digits, domain: phone }
    email: { action: encrypt, key: contact }
    ipv4: off
routes:
  - from: support.raw
    to: analytics.support
    dead_letter: support.dlq
    unlisted_fields: scan
    rules:
      - { path: ticket_id, action: keep }
      - { path: body, action: scan }
      - { path: customer.phone, action: tokenize, key: phone, normalize: digits, domain: phone }
)";

struct Fixture {
  std::shared_ptr<const policy::Policy> policy;
  std::shared_ptr<const Engine> engine;
  const RouteRef* route = nullptr;
};

Fixture Make(const std::string& yaml = kPolicy) {
  Fixture f;
  auto p = policy::Policy::Parse(yaml, "support.yaml", Keys());
  EXPECT_TRUE(p.ok()) << p.error().ToString();
  if (!p.ok()) return f;
  f.policy = *p;
  auto e = Engine::Create({f.policy}, Limits{});
  EXPECT_TRUE(e.ok()) << e.error().ToString();
  if (!e.ok()) return f;
  f.engine = *e;
  f.route = f.engine->FindRoute("support.raw");
  return f;
}

std::string Mask(const Fixture& f, const std::string& json, std::vector<Finding>* findings = nullptr) {
  std::string out;
  Status st = f.engine->MaskValue(*f.route, "support.raw", json, &out, findings);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  return out;
}

// One CSV row (ticket_id "T-1", then `note` in `column`) through a route
// that keeps ticket_id and scans every other column.
CsvRow MaskCsvNote(std::string_view note, const std::string& column = "note") {
  static const Fixture f = Make(R"(policy: s
version: 1
routes:
  - from: support.raw
    to: analytics.support
    dead_letter: support.dlq
    unlisted_fields: scan
    rules: [{ path: ticket_id, action: keep }]
)");
  const std::vector<std::string> names{"ticket_id", column};
  auto plan = f.engine->PlanCsv(*f.route, names);
  EXPECT_TRUE(plan.ok()) << plan.error().ToString();
  CsvRow row;
  if (!plan.ok()) return row;
  const std::vector<std::string_view> cells{"T-1", note};
  Status st = f.engine->MaskCsvRow(*f.route, *plan, "support.raw", cells, &row);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  return row;
}

TEST(EngineScanTest, ScanRuleProtectsHitsAndKeepsTheRest) {
  auto f = Make();
  std::vector<Finding> findings;
  const std::string out =
      Mask(f, R"({"ticket_id":"T-1","body":"회원 MB-12345678 님, 카드 4111 1111 1111 1111 재발급 요청"})", &findings);
  EXPECT_EQ(out, R"({"ticket_id":"T-1","body":"회원 [member_no] 님, 카드 [card] 재발급 요청"})");
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0], (Finding{"body", "member_no", false}));
  EXPECT_EQ(findings[1], (Finding{"body", "card", false}));
}

TEST(EngineScanTest, UnlistedFieldsAreScannedAndReportedByLocation) {
  auto f = Make();
  std::vector<Finding> findings;
  const std::string out = Mask(f,
                               R"({"ticket_id":"T-2","agent_note":"call back 010-1234-5678",)"
                               R"("items":[{"sku":"A-1"},{"memo":"rrn 900101-1234568"}],"amount":125000,)"
                               R"("login_ip":"203.0.113.7","ok":true})",
                               &findings);
  EXPECT_EQ(out.find("1234-5678"), std::string::npos);
  EXPECT_EQ(out.find("900101"), std::string::npos);
  EXPECT_NE(out.find(R"("memo":"rrn [rrn]")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("sku":"A-1")"), std::string::npos);
  EXPECT_NE(out.find(R"("amount":125000)"), std::string::npos);
  EXPECT_NE(out.find(R"("login_ip":"203.0.113.7")"), std::string::npos) << "ipv4 is off";
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0], (Finding{"agent_note", "phone_kr", true}));
  EXPECT_EQ(findings[1], (Finding{"items[*].memo", "rrn", true}));
}

// An unlisted field's names are its value's context: an account, a passport
// or a licence number under a name that says so needs no word beside it
// (found by review: {"refund_account":"110-123-456789"} passed); so do a
// member name under such a parent and a CSV cell under such a column.
TEST(EngineScanTest, AnUnlistedFieldsNamesAreItsContext) {
  auto f = Make();
  std::vector<Finding> findings;
  const std::string out = Mask(f,
                               R"({"ticket_id":"T-3","refund_account":"110-123-456789","order_no":"110-123-456789",)"
                               R"("traveller":{"passport":{"number":"M12345678"}},"driver_license":"22-123456-01"})",
                               &findings);
  EXPECT_EQ(out, R"({"ticket_id":"T-3","refund_account":"[bank_account_kr]","order_no":"110-123-456789",)"
                 R"("traveller":{"passport":{"number":"[passport_kr]"}},"driver_license":"[driver_license_kr]"})");
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[0], (Finding{"refund_account", "bank_account_kr", true}));
  EXPECT_EQ(findings[1], (Finding{"traveller.passport.number", "passport_kr", true}));
  std::string dead;
  Status st =
      f.engine->MaskValue(*f.route, "support.raw", R"({"accounts":{"110-123-456789":{"amount":1}}})", &dead, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kPiiInFieldName);
  EXPECT_EQ(st.error().message.find("456789"), std::string::npos);
  EXPECT_TRUE(f.engine->MaskValue(*f.route, "support.raw", R"({"orders":{"110-123-456789":1}})", &dead, nullptr).ok());
  // A CSV column's name likewise.
  const CsvRow row = MaskCsvNote("110-123-456789", "refund_account");
  ASSERT_EQ(row.cells.size(), 2u);
  EXPECT_EQ(row.cells[1].text, "[bank_account_kr]");
  EXPECT_EQ(MaskCsvNote("110-123-456789").cells[1].state, CsvCell::State::kSame);
}

// A mobile number written as a JSON integer has lost its leading 0 or '+'
// (found by review: {"mobile":1012345678} passed the drift guard, while a
// rule with normalize: phone_kr took it): in a field whose name says phone,
// read with it put back; also in a string of digits only (written from such a
// number). Elsewhere ten digits from 10 are as often an amount or an id, and
// stay; so do other lengths, and names that end in a time or an id (a second
// review: Unix times of 2020-2033 have the shape of 016-019 numbers, and
// "cancelled_at" held "cell").
TEST(EngineScanTest, AMobileNumberWrittenAsAnIntegerInAPhoneFieldIsAPhone) {
  auto f = Make();
  for (const char* rec :
       {R"({"mobile":1012345678})", R"({"contact":{"telNo":1012345678}})", R"({"hp":821012345678})",
        R"({"userTel":1012345678})", R"({"ordererHp":1012345678})", R"({"phone":{"number":1012345678}})",
        R"({"휴대폰번호":1012345678})", R"({"customer":{"msisdn":821012345678}})", R"({"phone2":"1012345678"})",
        // A later review: a whole number written as a float (pandas writes an
        // integer column with gaps so), blanks around it, which phone an
        // object holds, and a list written as an object; each occurrence of
        // a duplicate key.
        R"({"mobile":1012345678.0})", R"({"phone":1.012345678e9})", R"({"mobile":" 1012345678"})",
        R"({"phone":{"home":1012345678}})", R"({"mobile":{"0":1012345678}})", R"({"mobile":"+1012345678"})",
        // A sign does not hide it (a checklist review found these passing).
        R"({"mobile":-1012345678})", R"({"phone":"-1012345678"})", R"({"mobile":-1.012345678e9})"}) {
    const std::string out = Mask(f, rec);
    EXPECT_NE(out.find(R"(":"t1.phone.1.)"), std::string::npos) << rec << " -> " << out;
  }
  {
    // (Neither the first value's digits nor the second's, "1.012345678e9".)
    const std::string out = Mask(f, R"({"mobile":1012345678,"mobile":1.012345678e9})");
    EXPECT_EQ(out.find("012345678"), std::string::npos) << out;
  }
  // A member name under a phone field is read so too: the record is a dead letter.
  std::string dead;
  const Status st = f.engine->MaskValue(*f.route, "support.raw", R"({"mobile":{"1012345678":"kim"}})", &dead, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kPiiInFieldName);
  // And a CSV cell (a spreadsheet's export drops the zero first).
  EXPECT_EQ(MaskCsvNote("1012345678", "mobile").cells[1].text, "[phone_kr]");
  EXPECT_EQ(MaskCsvNote("1012345678.0", "MBL_TELNO").cells[1].text, "[phone_kr]");
  EXPECT_EQ(MaskCsvNote("1012345678", "note").cells[1].state, CsvCell::State::kSame);
  for (const char* rec :
       {R"({"amount":1050000000})", R"({"note":1012345678})", R"({"note":"1012345678"})", R"({"cell":10123456789})",
        R"({"hotel":1012345678})", R"({"cancelled_at":1712345678})", R"({"phone_verified_at":1012345678})",
        R"({"contact_id":1012345678})", R"({"cellCount":1012345678})", R"({"mobile":1712345678})",
        R"({"mobile_app":{"installed_at":1012345678}})", R"({"hp":{"max":1012345678}})", R"({"mobile":1012345678.5})",
        R"({"phone":{"home_id":1012345678}})"}) {
    EXPECT_EQ(Mask(f, rec), rec);
  }
}

// Landlines and VoIP numbers likewise (found passing by review:
// {"home_phone":212345678} is 02-1234-5678).
TEST(EngineScanTest, ALandlineWrittenAsAnIntegerInAPhoneFieldIsAPhone) {
  auto f = Make();
  for (const char* rec : {R"({"home_phone":212345678})", R"({"tel":3112345678})", R"({"fax":21234567})",
                          R"({"officeTel":"5112345678"})", R"({"phone":7012345678})", R"({"tel":641234567})"}) {
    const std::string out = Mask(f, rec);
    EXPECT_NE(out.find(R"(":"t1.phone.1.)"), std::string::npos) << rec << " -> " << out;
  }
  EXPECT_NE(Mask(f, R"({"tel":82212345678})").find(R"(":"t1.phone.1.)"), std::string::npos);
  // Not dates (the exchange never starts with 0), nor amounts, counts
  // and dates under a name whose last word is not a phone's (a second
  // review).
  for (const char* rec :
       {R"({"tel":2123456789})", R"({"tel":3512345678})", R"({"tel":701234567})", R"({"amount":212345678})",
        R"({"tel_count":212345678})", R"({"tel":20240115})", R"({"tel":3101234567})", R"({"mbtlnum_chg_de":20240115})",
        R"({"hp_chg_ymd":22240115})", R"({"phone_sales":25000000})", R"({"fax_pages":21234567})",
        R"({"contact_zip":21234567})", R"({"휴대폰변경일":22240115})",
        // a third review: amounts under a mobile or contact key, round ones
        R"({"sales_by_channel":{"mobile":23500000}})", R"({"revenue":{"phone":215000000}})",
        R"({"stats":{"contact":21234567}})", R"({"매출":{"전화":21000000}})"})
    EXPECT_EQ(Mask(f, rec), rec);
}

// A CSV column under a scan rule is read under the column's name, as an
// unlisted one is (found by review: "mobile: scan" passed 1012345678 whole
// in CSV while JSON masked it).
TEST(EngineScanTest, ACsvScanRuleReadsItsColumnsName) {
  const Fixture f = Make(R"(policy: s
version: 1
routes:
  - from: support.raw
    to: analytics.support
    dead_letter: support.dlq
    unlisted_fields: keep
    rules: [{ path: mobile, action: scan }, { path: jumin, action: scan }]
)");
  const std::vector<std::string> names{"mobile", "jumin"};
  auto plan = f.engine->PlanCsv(*f.route, names);
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  CsvRow row;
  const std::vector<std::string_view> cells{"1012345678", "501014123456"};
  ASSERT_TRUE(f.engine->MaskCsvRow(*f.route, *plan, "support.raw", cells, &row).ok());
  ASSERT_EQ(row.cells.size(), 2u);
  EXPECT_EQ(row.cells[0].text, "[phone_kr]");
  EXPECT_EQ(row.cells[1].text, "[rrn]");
}

// Names written so they read as a field name to a person but not byte for
// byte (found by review: full-width letters, NFD Hangul as macOS writes it,
// mathematical letters, the long s): the checks of what names say read them
// folded, as the rules' names are compared.
TEST(EngineScanTest, NamesInOtherFormsSayWhatTheirPlainFormsSay) {
  auto f = Make();
  const std::string nfd_address = "\xE1\x84\x8C\xE1\x85\xAE\xE1\x84\x89\xE1\x85\xA9";  // 주소, NFD
  const std::string nfd_mobile =
      "\xE1\x84\x92\xE1\x85\xB2\xE1\x84\x83\xE1\x85\xA2\xE1\x84\x91\xE1\x85\xA9\xE1\x86\xAB";  // 휴대폰, NFD
  for (const std::string& rec : {
           std::string(R"({"ａｄｄｒｅｓｓ":"서울특별시 어딘가"})"),
           std::string(R"({"addre\u017fs":"서울특별시 어딘가"})"),
           std::string(R"({"𝐚𝐝𝐝𝐫𝐞𝐬𝐬":"서울특별시 어딘가"})"),
           "{\"" + nfd_address + "\":\"서울특별시 어딘가\"}",
       }) {
    EXPECT_EQ(Mask(f, rec).find("어딘가"), std::string::npos) << rec;
  }
  EXPECT_EQ(Mask(f, "{\"" + nfd_mobile + "\":1012345678}").find("1012345678"), std::string::npos);
  EXPECT_EQ(Mask(f, R"({"ｍｏｂｉｌｅ":1012345678})").find("1012345678"), std::string::npos);
  // A full-width context word counts: an account under "refund_account".
  EXPECT_EQ(Mask(f, R"({"ｒｅｆｕｎｄ_ａｃｃｏｕｎｔ":"110-123-456789"})").find("456789"), std::string::npos);
  // And a CSV column's name.
  EXPECT_EQ(MaskCsvNote("110-123-456789", "ｒｅｆｕｎｄ_ａｃｃｏｕｎｔ").cells[1].text, "[bank_account_kr]");
}

// The resident number of someone born 2000-2009 written as a JSON integer
// has lost one to three leading zeros (050101-4123456 -> 501014123456,
// 000101-3123456 -> 1013123456) and passed the drift guard (found by review):
// in a field whose names say resident number, read with them put back, the
// rrn detector's checks deciding. Twelve digits elsewhere stay.
TEST(EngineScanTest, AResidentNumberThatLostItsLeadingZerosInAnRrnFieldIsAnRrn) {
  auto f = Make();
  for (const char* rec :
       {R"({"rrn":501014123456})", R"({"customer":{"jumin":501014123456}})", R"({"applicant":{"rrn":1013123456}})",
        R"({"juminNo":"501014123456"})", R"({"주민등록번호":501014123456})", R"({"resident":{"no":501014123456}})",
        R"({"rrn":10103123456})", R"({"jumin":-501014123456})"}) {
    const std::string out = Mask(f, rec);
    EXPECT_NE(out.find(R"(":"[rrn]")"), std::string::npos) << rec << " -> " << out;
  }
  for (const char* rec : {R"({"note":501014123456})", R"({"amount":1013123456})", R"({"rrn":501399123456})",
                          R"({"rrn_verified_at":1013123456})", R"({"rrn":12345})"}) {
    EXPECT_EQ(Mask(f, rec), rec);
  }
}

// Names and addresses: no detector finds them in text, so a support ticket's
// {"customer":{"name":"김민준","address":"서울…"}} passed the drift guard
// whole (found by review). A field whose names say a person's name or an
// address gets "[person_name]" / "[address]", reported like a hit; a
// thing's name and a machine's address stay.
TEST(EngineScanTest, NamesAndAddressesInFieldsThatSaySoAreProtected) {
  auto f = Make();
  const char* const names[] = {
      R"({"customer":{"name":"김민준"}})", R"({"recipients":[{"name":"이서연"}]})", R"({"holder_name":"KIM MINJUN"})",
      R"({"transfer":{"accountHolderName":"김민준"}})", R"({"firstName":"Minjun"})", R"({"lastName":"Kim"})",
      R"({"예금주":"김민준"})", R"({"수취인명":"이서연"})", R"({"cust_nm":"김민준"})", R"({"CUST_NM":"김민준"})",
      R"({"custNm":"김민준"})", R"({"rcvr_nm":"이서연"})", R"({"acct_holder_nm":"김민준"})",
      R"({"payer":{"nm":"김민준"}})", R"({"CUST_NAME":"김민준"})", R"({"customername":"김민준"})",
      R"({"accountholdername":"김민준"})", R"({"customer":{"name_kr":"김민준"}})",
      R"({"customer_name_eng":"KIM MINJUN"})", R"({"실명":"김민준"})", R"({"받는사람":"이서연"})",
      R"({"대표자명":"김민준"})", R"({"user":{"profile":{"name":"김민준"}}})",
      R"({"owner":{"name":{"kor":"김민준","eng":"KIM MINJUN"}}})", R"({"name":{"first":"Minjun","last":"Kim"}})",
      R"({"recipient_names":["이서연"]})", R"({"depositor":"김민준"})",
      R"({"transfer":{"recipient":"이서연","sender":"KIM MINJUN"}})", R"({"surname":"Kim"})",
      R"({"card_holder_name":"KIM MINJUN"})",
      // a later review: the person word last, a thing's word before
      // the person's, Korean column names of order and deposit forms
      R"({"account_holder":"김민준"})", R"({"refund":{"account_holder":"김민준"}})", R"({"refund_depositor":"김민준"})",
      R"({"vbankDepositor":"김민준"})", R"({"bank_holder_name":"김민준"})", R"({"bankAccountName":"김민준"})",
      R"({"deposit_name":"김민준"})", R"({"입금자명":"김민준"})", R"({"주문자":"김민준"})", R"({"구매자명":"김민준"})",
      R"({"보낸사람":"김민준"})", R"({"받는이":"김민준"})", R"({"DEPOSITOR":"김민준"})",
      R"({"ACCOUNT_HOLDER":"김민준"})"};
  const char* const addresses[] = {
      R"({"user":{"address":"서울특별시 강남구 테헤란로 123"}})",
      R"({"shipping":{"addr1":"서울시 강남구","addr2":"101동 1001호"}})",
      R"({"배송지":"부산광역시 해운대구"})",
      R"({"shipping":{"address":{"line1":"서울특별시 강남구 테헤란로 123","line2":"101동 202호"}}})",
      R"({"user":{"addresses":[{"road":"테헤란로 123","detail":"101동","jibun":"역삼동 1"}]}})",
      R"({"shippingaddress":"서울 강남구"})",
      R"({"HOMEADDRESS":"서울 강남구"})",
      R"({"dtlAdres":"101동 1001호"})",
      R"({"rdnmadr":"서울특별시 강남구 테헤란로 123"})",
      R"({"juso":"서울 강남구"})",
      R"({"address_line1":"서울 강남구"})"};
  for (const char* in : names) {
    std::vector<Finding> findings;
    const std::string out = Mask(f, in, &findings);
    EXPECT_NE(out.find("[person_name]"), std::string::npos) << in << " -> " << out;
    for (const char* raw : {"민준", "서연", "Minjun", "MINJUN", "Kim\""})
      EXPECT_EQ(out.find(raw), std::string::npos) << in << " -> " << out;
    ASSERT_FALSE(findings.empty()) << in;
    EXPECT_EQ(findings[0].detector, "person_name") << in;
    EXPECT_TRUE(findings[0].unlisted) << in;
  }
  for (const char* in : addresses) {
    std::vector<Finding> findings;
    const std::string out = Mask(f, in, &findings);
    EXPECT_NE(out.find("[address]"), std::string::npos) << in << " -> " << out;
    for (const char* raw : {"강남", "해운대", "101동", "테헤란"})
      EXPECT_EQ(out.find(raw), std::string::npos) << in << " -> " << out;
    ASSERT_FALSE(findings.empty()) << in;
    EXPECT_EQ(findings[0].detector, "address") << in;
  }
  // Not a person's name or address (a second review found these masked by
  // the first version): things' names, segments and outcomes of a name
  // check, machines' and merchants' addresses, address metadata, e-mails.
  for (const char* rec : {R"({"bank_name":"신한은행"})",
                          R"({"product":{"name":"Galaxy S24"}})",
                          R"({"merchant":{"name":"스타벅스"}})",
                          R"({"file_name":"statement.pdf"})",
                          R"({"event_name":"login"})",
                          R"({"name":"checkout"})",
                          R"({"customer":{"name":""}})",
                          R"({"customer":{"name":"-"}})",
                          R"({"server_address":"kafka-1"})",
                          R"({"customer":{"bank_name":"국민은행"}})",
                          R"({"user":{"nickname":"minjun"}})",
                          R"({"ip_address":"n/a"})",
                          R"({"customer":{"name_verified_at":1712345678}})",
                          R"({"member_grade_name":"GOLD"})",
                          R"({"customer_segment_name":"VIP"})",
                          R"({"user_os_name":"Android"})",
                          R"({"user_browser_name":"Chrome"})",
                          R"({"guest_room_name":"Deluxe Twin"})",
                          R"({"last_page_name":"checkout"})",
                          R"({"first_menu_name":"home"})",
                          R"({"legal_entity_name":"Toss Bank"})",
                          R"({"category":{"parent_name":"전자제품"}})",
                          R"({"holder_name_match_yn":"Y"})",
                          R"({"holder_name_check_result":"MATCH"})",
                          R"({"customer_name_verified":"true"})",
                          R"({"예금주확인결과":"일치"})",
                          R"({"수취인조회상태":"SUCCESS"})",
                          R"({"상품이름":"적금"})",
                          R"({"파일이름":"a.pdf"})",
                          R"({"가맹점이름":"스타벅스"})",
                          R"({"수취인은행":"국민은행"})",
                          R"({"address_id":"ADDR-000123"})",
                          R"({"address_type":"HOME"})",
                          R"({"address_status":"OK"})",
                          R"({"address_country":"KR"})",
                          R"({"addressVerified":"Y"})",
                          R"({"addr_chg_yn":"Y"})",
                          R"({"addr_type_cd":"R"})",
                          R"({"shipping_address_hash":"ab12"})",
                          R"({"merchant_address":"서울 중구"})",
                          R"({"store_address":"서울 중구"})",
                          R"({"street_view_enabled":"yes"})",
                          R"({"addr_lookup_status":"OK"})",
                          R"({"token_address":"0xabc"})",
                          R"({"transfer":{"sender":"u-10001"}})",
                          R"({"depositor":"SYSTEM BATCH JOB NIGHTLY RUN"})",
                          R"({"account_holder":"VIP"})",
                          R"({"deposit_name":"정기예금 12개월 자동이체"})",
                          R"({"deposit_name":"정기예금"})",
                          R"({"message_sender":"고객센터"})",
                          R"({"data_owner":"결제팀"})",
                          R"({"bankAccountName":"국민은행 급여통장"})",
                          R"({"deposit_address":"0xabc"})"}) {
    EXPECT_EQ(Mask(f, rec), rec);
  }
  // An e-mail in an address field is the e-mail detector's (its token joins).
  EXPECT_EQ(Mask(f, R"({"contact_address":"kim@example.com"})").find("[address]"), std::string::npos);
  // A CSV column's name is the cell's field.
  const CsvRow row = MaskCsvNote("김민준", "customer_name");
  ASSERT_EQ(row.cells.size(), 2u);
  EXPECT_EQ(row.cells[1].text, "[person_name]");
}

// Found passing by a later review: roles that hold a grade or a team as
// often as a name (고객, 회원, 작성자) when the value reads as a Korean name,
// a contact person, the members of people, family and agent objects.
TEST(EngineScanTest, LooseRolesAndPeopleObjectsHoldNames) {
  auto f = Make();
  for (const char* in :
       {R"({"고객":"김민준"})", R"({"회원":"김민준"})", R"({"작성자":"김민준"})", R"({"문의자":"남궁민수"})",
        R"({"contact_person":"김민준"})", R"({"people":[{"name":"김민준"}]})", R"({"family":[{"name":"김민준"}]})",
        R"({"agent":{"name":"김민준"}})"}) {
    const std::string out = Mask(f, in);
    EXPECT_NE(out.find("[person_name]"), std::string::npos) << in << " -> " << out;
  }
  for (const char* in : {R"({"고객":"일반"})", R"({"회원":"정회원"})", R"({"작성자":"고객지원팀"})",
                         R"({"contact_person":"고객지원팀"})", R"({"agent":{"name":"Chrome"}})", R"({"person":"none"})",
                         R"({"고객":"VIP"})",
                         // a second review: Latin teams, bots and fonts, grades
                         R"({"contact_person":"CS Team"})", R"({"agent":{"name":"Support Bot"}})",
                         R"({"font":{"family":{"name":"Noto Sans"}}})", R"({"people":[{"name":"Sales Team"}]})",
                         R"({"회원":"최우수"})", R"({"고객":"최우선"})",
                         // a third review: statuses and things
                         R"({"상담원":"배정중"})", R"({"assignee":{"name":"배정중"}})", R"({"고객":"주문건"})",
                         R"({"contact_person":"지원금"})", R"({"고객":"선결제"})", R"({"agent":{"name":"선결제"}})"})
    EXPECT_EQ(Mask(f, in), in);
  for (const char* in :
       {R"({"agents":[{"name":"김민준"}]})", R"({"staff":{"name":"김민준"}})", R"({"assignee":{"name":"김민준"}})",
        R"x({"고객":"김민준 (VIP)"})x", R"x({"작성자":"김민준(상담원)"})x"}) {
    const std::string out = Mask(f, in);
    EXPECT_NE(out.find("[person_name]"), std::string::npos) << in << " -> " << out;
  }
}

// The policy's scan action for person_name and address applies to such a
// field's value as to a hit in text (it was always "[person_name]"; a
// review found scan.actions ignored there); keep still protects: the
// field's names are a protection of their own.
TEST(EngineScanTest, NamesInFieldsThatSaySoTakeThePolicysActionForTheirDetector) {
  const std::string yaml = std::string(kPolicy).replace(std::string(kPolicy).find("    ipv4: off"), 13,
                                                        "    ipv4: off\n"
                                                        "    person_name: { action: mask, keep_first: 1 }\n"
                                                        "    address: keep");
  auto f = Make(yaml);
  ASSERT_NE(f.route, nullptr);
  std::vector<Finding> findings;
  EXPECT_EQ(Mask(f, R"({"customer":{"name":"김민준"}})", &findings), R"({"customer":{"name":"김**"}})");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].detector, "person_name");
  EXPECT_EQ(Mask(f, R"({"payer_name":"KIM MINJUN"})"), R"({"payer_name":"K** ******"})");
  EXPECT_EQ(Mask(f, R"({"address":"서울특별시 강남구 테헤란로 123"})"), R"({"address":"[address]"})");
  // An action that cannot take the value (generalize on "N/A"): the
  // placeholder, not a dead letter (a second review).
  const std::string gen = std::string(kPolicy).replace(std::string(kPolicy).find("    ipv4: off"), 13,
                                                       "    ipv4: off\n"
                                                       "    address: { action: generalize, to: district }");
  auto g = Make(gen);
  ASSERT_NE(g.route, nullptr);
  EXPECT_EQ(Mask(g, R"({"address":"N/A"})"), R"({"address":"[address]"})");
  EXPECT_EQ(Mask(g, R"({"shipping_address":"Same as billing"})"), R"({"shipping_address":"[address]"})");
}

// Parts of a number a schema keeps in fields of their own (found passing by
// review: jumin1/jumin2, tel1..tel3 in CSV columns and JSON members), and a
// contact number whose leading 0 a numeric type dropped.
TEST(EngineScanTest, PartsOfNumbersInFieldsThatSaySoAreProtected) {
  auto f = Make();
  for (const char* rec : {R"({"jumin1":"900101","jumin2":"1234568"})", R"({"jumin":{"front":"900101","back":1234568}})",
                          R"({"주민번호앞자리":"900101","주민번호뒷자리":"1234568"})", R"({"rrn_back":"1234568"})",
                          R"({"tel1":"010","tel2":"1234","tel3":"5678"})", R"({"hp_2":1234})",
                          R"({"contact":1012345678})", R"({"실명번호":"501014123456"})"}) {
    const std::string out = Mask(f, rec);
    for (const char* raw : {"900101", "1234568", "1234", "5678", "1012345678", "501014"})
      EXPECT_EQ(out.find(raw), std::string::npos) << rec << " -> " << out;
  }
  // Not parts: counts, codes and amounts, an invalid date, a digit 9 first,
  // and totals under the same names whose leaf says no part (a later review:
  // phone_minutes, residents).
  for (const char* rec : {R"({"phone_count":"12"})", R"({"rrn_check_code":"123456"})", R"({"jumin_front":"991399"})",
                          R"({"jumin_back":"9234568"})", R"({"hp_plan_code":"1234"})", R"({"phone_minutes":120})",
                          R"({"mobile_users":"2500"})", R"({"residents":"2500000"})", R"({"resident_income":250101})",
                          R"({"cell":"1234"})"}) {
    EXPECT_EQ(Mask(f, rec), rec);
  }
  // Role columns hold a name only when the value is one; a transfer's sender
  // and an account's owner are persons; a thing's Korean name is not one.
  EXPECT_NE(Mask(f, R"({"보호자":"이서연"})").find("[person_name]"), std::string::npos);
  for (const char* rec :
       {R"({"담당자":"고객지원팀"})", R"({"보호자":"없음"})", R"({"product":{"kor_name":"정기예금"}})",
        R"({"bank":{"eng_name":"KB Kookmin Bank"}})", R"({"push_sender":"토스페이"})"}) {
    EXPECT_EQ(Mask(f, rec), rec);
  }
  for (const char* rec :
       {R"({"transfer_sender":"김민준"})", R"({"account_owner":"홍길동"})", R"({"deposit_name":"남궁민수"})"}) {
    EXPECT_NE(Mask(f, rec).find("[person_name]"), std::string::npos) << rec;
  }
}

// Parts under other names of position (found passing by review: the rear
// of an RRN beside the birth date, rrn_suffix, 주민번호뒷번호, phone.suffix,
// hp.third, tel_end), and a resident number's six or seven digits under a
// name that names the number itself (rrn_b): a whole one has thirteen.
TEST(EngineScanTest, PartsOfNumbersUnderAnyWordOfPositionAreProtected) {
  auto f = Make();
  EXPECT_EQ(Mask(f, R"({"birth_date":"900101","rrn_rear":"1234568"})"),
            R"({"birth_date":"900101","rrn_rear":"[rrn]"})");
  EXPECT_EQ(Mask(f, R"({"jumin":{"front":"900101","rear":"1234568"}})"),
            R"({"jumin":{"front":"[rrn]","rear":"[rrn]"}})");
  EXPECT_EQ(Mask(f, R"({"phone":{"prefix":"010","middle":"1234","suffix":"5678"}})"),
            R"({"phone":{"prefix":"[phone_kr]","middle":"[phone_kr]","suffix":"[phone_kr]"}})");
  for (const char* rec :
       {R"({"rrn_suffix":"1234568"})", R"({"ssn_suffix":1234568})", R"({"rrn_end":"1234568"})",
        R"({"주민번호뒷번호":"1234568"})", R"({"주민번호_뒤":"1234568"})", R"({"주민번호뒤자리":"1234568"})",
        R"({"주민등록번호":{"뒷부분":"1234568"}})", R"({"rrn_b":"1234568"})", R"({"jumin_no":"1234568"})",
        R"({"jumin":{"back7":"1234568"}})", R"({"hp":{"first":"010","second":"1234","third":"5678"}})",
        R"({"tel_mid":"1234","tel_last":"5678"})", R"({"phone":{"last4":"5678"}})", R"({"hp":{"tail4":5678}})",
        R"({"휴대폰뒷번호":"5678"})", R"({"휴대폰뒤4자리":"5678"})",
        // A second review: halves named birth and serial, under the RRN's name or in it.
        R"({"rrn":{"birth":"900101","serial":"1234568"}})", R"({"rrn_birth":"900101","rrn_serial":"1234568"})",
        R"({"jumin":{"serial":1234568}})", R"({"resident_no":{"birth":"900101","serial":"1234568"}})",
        R"({"national_id":{"serial":"1234568"}})", R"({"foreigner_no":{"serial":"1234568"}})",
        R"({"jumin_bunho":{"serial":"1234568"}})"}) {
    const std::string out = Mask(f, rec);
    for (const char* raw : {"1234568", "1234", "5678", "\"010\""})
      EXPECT_EQ(out.find(raw), std::string::npos) << rec << " -> " << out;
  }
  // Counts, totals, times and codes under the same names stay.
  for (const char* rec :
       {R"({"rrn_count":"1234568"})", R"({"resident_total":"1234568"})", R"({"residents":"2500000"})",
        R"({"phone_end_at":"1234"})", R"({"jumin_end_dt":"900101"})", R"({"rrn_suffix_cd":"1234"})",
        R"({"tel_prefix_cnt":"1234"})", R"({"rrn":"9234568"})", R"({"주민수":"2500000"})",
        // start, end and 끝 are a phone's part no more: a time's as often (a sixth review)
        R"({"contact":{"start":"0900","end":"1800"}})", R"({"contact_start":"0900"})", R"({"전화상담 끝":"1800"})",
        R"({"ssn_batch":"240101"})", R"({"rrn_retry":"1000000"})", R"({"jumin_check_result":"1000000"})",
        R"({"device":{"serial":"1234568"}})", R"({"rrn_serial_cnt":"1234568"})"}) {
    EXPECT_EQ(Mask(f, rec), rec);
  }
}

// Accounts under the abbreviations of Korean banking schemas (found passing
// by review): their names are the account detector's context.
TEST(EngineScanTest, AccountsUnderSchemaAbbreviationsAreAccounts) {
  auto f = Make();
  for (const char* rec :
       {R"({"ACNO":"110123456789"})", R"({"ACNT_NO":"110123456789"})", R"({"RCV_ACNT_NO":"110-123-456789"})",
        R"({"DPST_ACNO":"110123456789"})", R"({"wdrw_acnt_no":"110123456789"})", R"({"accNo":"110123456789"})",
        R"({"va_no":"110123456789"})", R"({"vbank_no":"110123456789"})"}) {
    const std::string out = Mask(f, rec);
    EXPECT_NE(out.find("[bank_account_kr]"), std::string::npos) << rec << " -> " << out;
  }
  for (const char* rec : {R"({"acnt_id":"110123456789"})", R"({"acct_type":"SAVINGS"})",
                          R"({"account_status":"ACTIVE"})", R"({"acno_seq":"110123456789"})"}) {
    EXPECT_EQ(Mask(f, rec), rec);
  }
}

// Names under fields schema drift added (found passing by review):
// depositor's abbreviation, names in a script, and who wrote or handled a
// record, the last only holding what reads as a Korean name (those fields
// hold "system", bots and ids as often).
TEST(EngineScanTest, NamesUnderDriftedFieldNamesAreProtected) {
  auto f = Make();
  for (const char* rec : {R"({"display_name":"김민준"})", R"({"author":"김민준"})", R"({"created_by":"김민준"})",
                          R"({"agent_name":"김하은"})", R"({"kor_name":"김민준"})", R"({"name_kr":"김민준"})",
                          R"({"dpstr_nm":"김민준"})", R"({"DPSTR_NM":"김민준"})", R"({"updatedBy":"이서연"})",
                          R"({"ticket_assignee":"김민준"})", R"({"staff_nm":"김민준"})", R"({"ACNT_HLDR_NM":"김민준"})",
                          R"({"RMTR_NM":"김민준"})", R"({"customer":{"eng_name":"KIM MINJUN"}})",
                          R"({"customer_eng_name":"KIM MINJUN"})", R"({"hangul_name":"김민준"})"}) {
    const std::string out = Mask(f, rec);
    EXPECT_NE(out.find("[person_name]"), std::string::npos) << rec << " -> " << out;
  }
  for (const char* rec :
       {R"({"created_by":"batch-job"})", R"({"author":"system"})", R"({"author":"Support Bot"})",
        R"({"agent_name":"Support Bot"})", R"({"created_by":"u-10001"})", R"({"display_name":"Galaxy S24"})",
        R"({"product":{"display_name":"홍삼정"}})", R"({"kor_name":"정기예금"})", R"({"eng_name":"KB Kookmin Bank"})",
        R"({"product":{"kor_name":"김민준"}})", R"({"assignee_name":"CS Team"})", R"({"updated_by":"SYSTEM"})",
        // Latin words at the top are a merchant's as often; a query's order (a sixth review)
        R"({"eng_name":"Starbucks Coffee"})", R"({"order_by":"최신순"})", R"({"sortBy":"인기순"})",
        R"({"sort_by":"created_at"})", R"({"name":"checkout"})"}) {
    EXPECT_EQ(Mask(f, rec), rec);
  }
}

// A driver's licence under the abbreviations of its name (found passing by
// review: drv_lic_no, dl_no).
TEST(EngineScanTest, LicencesUnderSchemaAbbreviationsAreLicences) {
  auto f = Make();
  EXPECT_EQ(Mask(f, R"({"drv_lic_no":"112312345678"})"), R"({"drv_lic_no":"[driver_license_kr]"})");
  EXPECT_EQ(Mask(f, R"({"dl_no":"112312345678"})"), R"({"dl_no":"[driver_license_kr]"})");
  EXPECT_EQ(Mask(f, R"({"dl_count":"112312345678"})"), R"({"dl_count":"112312345678"})");
}

// A scan rule reads its value under the rule's names, as the drift guard
// does (found by review: `customer.name: scan` passed what leaving the
// field unlisted protected).
TEST(EngineScanTest, AScanRuleReadsItsValueUnderTheRulesNames) {
  auto f = Make(std::string(kPolicy) +
                "      - { path: customer.name, action: scan }\n"
                "      - { path: customer.jumin_no, action: scan }\n");
  const std::string out = Mask(f, R"({"customer":{"name":"김민준","jumin_no":501014123456}})");
  EXPECT_EQ(out.find("민준"), std::string::npos) << out;
  EXPECT_EQ(out.find("1014123456"), std::string::npos) << out;
}

// Numbers in fields whose names also say amount, code or reference stay
// (a second review: "residentTaxAmount", "phone_bill_amount",
// "mobile_order_no", "rrn_ref" became tokens).
TEST(EngineScanTest, LeadingZerosAreNotRestoredInAmountsCodesAndReferences) {
  auto f = Make();
  for (const char* rec :
       {R"({"residentTaxAmount":1012345678})", R"({"jumin_auth_no":"3051234567"})", R"({"ssn_ref":1012345678})",
        R"({"rrn_ref":1013123456})", R"({"mobile_payment_amount":1012345678})", R"({"phone_bill_amount":"1050000000"})",
        R"({"tel_fee_total":1012345678})", R"({"hp_charge_amt":1023456789})", R"({"mobile_order_no":1012345678})",
        R"({"phone_plan_code":"1012345678"})", R"({"주민세액":1013123456})"}) {
    EXPECT_EQ(Mask(f, rec), rec);
  }
  // Public-data terms for the numbers themselves are read.
  for (const char* rec : {R"({"ihidnum":501014123456})", R"({"resRegNo":501014123456})", R"({"MBL_TELNO":1012345678})",
                          R"({"mbtlnum":"1012345678"})", R"({"telno":1012345678})"}) {
    const std::string out = Mask(f, rec);
    EXPECT_TRUE(out.find("[rrn]") != std::string::npos || out.find("t1.phone.1.") != std::string::npos)
        << rec << " -> " << out;
  }
}

TEST(EngineScanTest, ScannedAndRuledPhonesGiveTheSameToken) {
  auto f = Make();
  const std::string out = Mask(f, R"({"customer":{"phone":"010-1234-5678"},"note":"010-1234-5678"})");
  // Both tokenize with key phone in domain phone after digits normalization.
  const size_t a = out.find("t1.phone.1.");
  ASSERT_NE(a, std::string::npos) << out;
  const std::string token = out.substr(a, out.find('"', a) - a);
  EXPECT_NE(out.find(token, a + token.size()), std::string::npos) << out;
}

TEST(EngineScanTest, UnlistedNumbersWithPiiBecomeStrings) {
  auto f = Make();
  std::vector<Finding> findings;
  EXPECT_EQ(Mask(f, R"({"card_no":4111111111111111,"qty":3})", &findings), R"({"card_no":"[card]","qty":3})");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].field, "card_no");
}

// A number with a fraction or an exponent reads as its value: its exact
// value, its significant digits and its whole part are scanned too, in unlisted fields, under
// a scan rule, in a string that is such a number, and in a CSV cell.
TEST(EngineScanTest, NumbersWithAFractionOrExponentAreScannedAsTheirValue) {
  auto f = Make();
  for (const char* rec :
       {R"({"note":9.001011234567e12})", R"({"c":4111111111111111.0})", R"({"r":90010112345670e-1})",
        R"({"body":9.001011234567E+12})", R"({"s":"9.001011234567e12"})", R"({"small":9.001011234567e-5})",
        R"({"big":9.001011234567e400})", R"({"p":0.1e12,"q":[9001011234567e-0]})", R"({"w":9001011234567.1})",
        R"({"x":4111111111111111.5})", R"({"y":-9001011234567.25})", R"({"z":9.0010112345671e12})"}) {
    const std::string out = Mask(f, rec);
    for (const char* raw : {"1234567", "111111111111", "12345678", "001011234567"})
      EXPECT_EQ(out.find(raw), std::string::npos) << rec << " -> " << out;
  }
  // Numbers whose digits are no PII in any form stay as they are.
  EXPECT_EQ(Mask(f, R"({"a":1.5,"b":3.14e2,"c":-0.0,"d":1e400})"), R"({"a":1.5,"b":3.14e2,"c":-0.0,"d":1e400})");

  const CsvRow row = MaskCsvNote("4.111111111111111E+15");
  ASSERT_EQ(row.cells.size(), 2u);
  EXPECT_EQ(row.cells[1].text.find("111111111111"), std::string::npos) << row.cells[1].text;
}

// A reader that parses a number into a double (Python's json, JavaScript,
// Spark) reads 4111111111111110.9 as 4111111111111111.0, a card number that
// neither its exact value nor its digits hold (found by review): the nearest
// double is scanned too, in unlisted fields, under a scan rule, in a string
// that is such a number, in a name and in a CSV cell.
TEST(EngineScanTest, NumbersAreScannedAsTheDoubleAReaderGets) {
  auto f = Make();
  for (const char* n : {"4111111111111110.9", "4.1111111111111109e15", "5555555555554443.9", "41111111111111109e-1",
                        "4.1111111111111109e-5"}) {
    for (const std::string& rec : {std::string(R"({"amount":)") + n + "}", std::string(R"({"body":)") + n + "}",
                                   std::string(R"({"s":")") + n + "\"}"}) {
      std::vector<Finding> findings;
      const std::string out = Mask(f, rec, &findings);
      EXPECT_NE(out.find("[card]"), std::string::npos) << rec << " -> " << out;
      EXPECT_EQ(out.find(n), std::string::npos) << rec << " -> " << out;
      ASSERT_EQ(findings.size(), 1u) << rec;
      EXPECT_EQ(findings[0].detector, "card") << rec;
    }
    const CsvRow row = MaskCsvNote(n);
    ASSERT_EQ(row.cells.size(), 2u);
    EXPECT_EQ(row.cells[1].text.find(n), std::string::npos) << n << " -> " << row.cells[1].text;
    std::string out;
    Status st = f.engine->MaskValue(*f.route, "support.raw", std::string(R"({")") + n + R"(":1})", &out);
    ASSERT_FALSE(st.ok()) << n;
    EXPECT_EQ(st.error().code, ErrorCode::kPiiInFieldName) << n;
  }
  // Numbers whose double is no PII either stay as they are (5412751234123456,
  // the double of 5412751234123455.9, fails the Luhn check).
  const std::string plain =
      R"({"a":12345.67,"c":1e-7,"m":5412751234123455.9,"d":4111111111111110.1,"e":1.2345678901234567e18,)"
      R"("body":0.30000000000000004})";
  EXPECT_EQ(Mask(f, plain), plain);
  // A plain fraction is a fraction: its significant digits are read only
  // when an exponent is written (a review found one score or coordinate in
  // twenty turned into a card or an RRN: 0.5712043914117922,
  // 35.34329721216804, "90010112345.68").
  for (const char* rec : {R"({"b":0.6714114753695926})", R"({"score":0.5712043914117922})",
                          R"({"lat":35.34329721216804})", R"({"x":"90010112345.68"})", R"({"v":-0.5712043914117922})"})
    EXPECT_EQ(Mask(f, rec), rec);
  // Ten bare digits are no business registration number in a field whose
  // name says an amount or a time (a review: amounts, one in forty).
  EXPECT_EQ(Mask(f, R"({"amount":1208147521,"vat_amount":"1208147521","created_at":1208147521})"),
            R"({"amount":1208147521,"vat_amount":"1208147521","created_at":1208147521})");
  for (const char* field : {"biz_no", "b_no", "seller_id", "corpNo", "x", "feedback.brn", "ticket_attachments",
                            "runtime", "timeline", "coffee", "fees.merchant_brn", "total.note"})
    EXPECT_EQ(Mask(f, std::string(R"({")") + field + R"(":1208147521})"),
              std::string(R"({")") + field + R"(":"[brn]"})")
        << field;
  // (The whole part before the point is still read: 9001011234568.1.)
  EXPECT_EQ(Mask(f, R"({"body":"9001011234568.1"})"), R"({"body":"[rrn]"})");
}

TEST(EngineScanTest, EscapedPiiIsFound) {
  auto f = Make();
  const std::string out = Mask(f, R"({"x":"\u0030\u0031\u0030-1234-5678"})");
  EXPECT_EQ(out.find("1234"), std::string::npos) << out;
}

// Digits of another script, written raw or as \u escapes (a surrogate pair
// for the mathematical digits), marks on digits and middle dots: found, and
// the scanned phone gives the same token as the ruled ASCII one.
TEST(EngineScanTest, DigitsOfOtherScriptsAreFoundAndJoin) {
  auto f = Make();
  const std::string out = Mask(f, R"({"customer":{"phone":"010-1234-5678"},)"
                                  R"("note":"٠١٠-١٢٣٤-٥٦٧٨",)"
                                  R"("memo":"rrn \u0669\u0660\u0660\u0661\u0660\u0661-1234568 \ud835\udfce10)"
                                  R"(\u00b79876\u00b75432 4\u03011\u030111 1111 1111 1111"})");
  for (const char* raw : {"١٢٣٤", "\u0669", "\U0001D7CE", "9876", "1111", "1234568"}) {
    EXPECT_EQ(out.find(raw), std::string::npos) << raw << " in " << out;
  }
  EXPECT_NE(out.find(R"("memo":"rrn [rrn] t1.phone.1.)"), std::string::npos) << out;
  EXPECT_NE(out.find(" [card]\""), std::string::npos) << out;
  const size_t a = out.find("t1.phone.1.");
  ASSERT_NE(a, std::string::npos) << out;
  const std::string token = out.substr(a, out.find('"', a) - a);
  EXPECT_NE(out.find(R"("note":")" + token + "\""), std::string::npos) << out;
}

// An escaped phone (a URL's query, JSON text inside a string) is found and
// gets the token of the plain one.
TEST(EngineScanTest, EscapedPiiIsFoundAndJoins) {
  auto f = Make();
  const std::string out = Mask(f, R"({"customer":{"phone":"010-1234-5678"},)"
                                  R"("note":"cb?tel=010%2D1234%2D5678&x=1",)"
                                  R"("memo":"{\"m\":\"\\uc804\\ud654010\\u002d1234\\u002d5678\"}"})");
  for (const char* raw : {"1234%2D5678", "1234\\\\u002d5678", "5678"}) {
    EXPECT_EQ(out.find(raw), std::string::npos) << raw << " in " << out;
  }
  const size_t a = out.find("t1.phone.1.");
  ASSERT_NE(a, std::string::npos) << out;
  const std::string token = out.substr(a, out.find('"', a) - a);
  EXPECT_NE(out.find(R"("note":"cb?tel=)" + token + R"(&x=1")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"(\\ud654)" + token + R"(\"})"), std::string::npos) << out;
}

TEST(EngineScanTest, FieldLabelsAreCutAndQuoted) {
  auto f = Make();
  std::vector<Finding> findings;
  const std::string long_name(100, 'k');
  Mask(f, R"({")" + long_name + R"(":"a@b.co","x.y":"me@example.com","2026-11-26":{"n":"010-1111-2222"}})", &findings);
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[0].field, std::string(64, 'k') + "...");
  EXPECT_EQ(findings[1].field, R"(["x.y"])");
  EXPECT_EQ(findings[2].field, "<name>.n");
}

// Names that may be data (a map keyed by a person's name, an address, an id)
// reach labels, logs and metrics as <name> (found by review: names went to
// Prometheus verbatim).
TEST(EngineScanTest, FieldLabelsDoNotCarryNamesThatMayBeData) {
  auto f = Make();
  std::vector<Finding> findings;
  Mask(f,
       R"({"contacts":{"홍길순":"010-3333-2222"},"byuser":{"Kim Minsu Park":{"tel":"010-3333-2222"}},)"
       R"("x":{"0103333222":"010-3333-2222"},"note_2":"010-3333-2222"})",
       &findings);
  ASSERT_EQ(findings.size(), 4u);
  EXPECT_EQ(findings[0].field, "contacts.<name>");
  EXPECT_EQ(findings[1].field, "byuser.<name>.tel");
  EXPECT_EQ(findings[2].field, "x.<name>");
  EXPECT_EQ(findings[3].field, "note_2");
  // Names that read as credentials or generated ids (an operate review found
  // them in metric labels); schema names with digits stay.
  findings.clear();
  Mask(f,
       R"({"sk_live_4eC39HqLyjWDarjtT1zdp7dc":{"a":"010-3333-2222"},"extra":{"AKIAIOSFODNN7EXAMPLE":"010-3333-2222"},)"
       R"("customerAddress2":"010-3333-2222","ipv4Address":{"tel1":"010-3333-2222"}})",
       &findings);
  ASSERT_EQ(findings.size(), 4u);
  EXPECT_EQ(findings[0].field, "<name>.a");
  EXPECT_EQ(findings[1].field, "extra.<name>");
  EXPECT_EQ(findings[2].field, "customerAddress2");
  EXPECT_EQ(findings[3].field, "ipv4Address.tel1");
  // camelCase schema names with a digit stay (a later review: the first rule
  // hid them in the drift report).
  findings.clear();
  Mask(f, R"({"address1Detail":"010-3333-2222","oauth2AccessToken":"010-3333-2222","guardian1Mobile":"010-3333-2222"})",
       &findings);
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[0].field, "address1Detail");
  EXPECT_EQ(findings[1].field, "oauth2AccessToken");
  EXPECT_EQ(findings[2].field, "guardian1Mobile");
  // User names as member names (a map keyed by them): Korean names in Latin
  // letters are <name> (an audit review found them in the trail, the log
  // and the labels); schema names beside them stay.
  findings.clear();
  Mask(f,
       R"({"byuser":{"hong.gildong":"010-3333-2222","minsu_kim":"010-3333-2222","park-jiyeon":"010-3333-2222",)"
       R"("user_name":"010-3333-2222","kim.minsu85":"010-3333-2222"}})",
       &findings);
  ASSERT_EQ(findings.size(), 5u);
  EXPECT_EQ(findings[0].field, "byuser.<name>");
  EXPECT_EQ(findings[1].field, "byuser.<name>");
  EXPECT_EQ(findings[2].field, "byuser.<name>");
  EXPECT_EQ(findings[3].field, "byuser.user_name");
  EXPECT_EQ(findings[4].field, "byuser.<name>");
  // A later review: camelCase, one word, a role word beside the name, a
  // handle's '@' or prefix, an address without its domain's end.
  findings.clear();
  Mask(f,
       R"({"h2":{"SeoyeonLee":"010-3333-2222","kimminjun":"010-3333-2222","MinjunKim1990":"010-3333-2222",)"
       R"("customer-kim-minjun":"010-3333-2222","gildong_hong_85":"010-3333-2222","@minjun_kim":"010-3333-2222",)"
       R"("jane.doe@corp":"010-3333-2222","user:minjun.kim":"010-3333-2222","parkingLot":"010-3333-2222"}})",
       &findings);
  ASSERT_EQ(findings.size(), 9u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(findings[i].field, "h2.<name>") << i;
  EXPECT_EQ(findings[8].field, "h2.parkingLot");
}

// A member name is not rewritten: one that holds PII (a map keyed by phone
// numbers) fails the record, whatever its value, and the message names the
// place with the detector instead of the name.
TEST(EngineScanTest, PiiInAMemberNameFailsTheRecord) {
  auto f = Make();
  for (const std::string doc : {R"({"contacts":{"010-9999-8888":"mom"}})", R"({"contacts":{"010-9999-8888":true}})",
                                R"({"contacts":{"010-9999-8888":{}}})", R"({"c":[{"900101-1234568":null}]})",
                                R"({"contacts":{"０１０-9999-8888":1}})", R"({"a@example.com":[]})"}) {
    std::string out;
    std::vector<Finding> findings;
    Status st = f.engine->MaskValue(*f.route, "support.raw", doc, &out, &findings);
    ASSERT_FALSE(st.ok()) << doc;
    EXPECT_EQ(st.error().code, ErrorCode::kPiiInFieldName);
    EXPECT_EQ(st.error().message.find("9999"), std::string::npos) << st.error().message;
    EXPECT_EQ(st.error().message.find("900101"), std::string::npos) << st.error().message;
    EXPECT_EQ(st.error().message.find("example"), std::string::npos) << st.error().message;
    EXPECT_TRUE(findings.empty());
  }
  std::string out;
  Status st = f.engine->MaskValue(*f.route, "support.raw", R"({"contacts":{"010-9999-8888":"mom"}})", &out);
  EXPECT_NE(st.error().message.find("contacts.<phone_kr>"), std::string::npos) << st.error().message;
  // Names with digits that are no PII pass.
  EXPECT_EQ(Mask(f, R"({"v2":{"2026-11-26":1,"item10":true}})"), R"({"v2":{"2026-11-26":1,"item10":true}})");
}

// A custom detector that matches letters only: member names without a
// digit, '@' or ':' are scanned too (the built-ins' shortcut does not hold),
// unlisted ones and those inside a ruled object.
TEST(EngineScanTest, NamesAreScannedForACustomDetectorOfLetters) {
  auto f = Make(R"(policy: letters
version: 1
scan:
  detectors:
    - { name: emp_code, pattern: 'EMP[A-Z]{5}' }
routes:
  - from: support.raw
    to: analytics.support
    dead_letter: support.dlq
    unlisted_fields: scan
    rules:
      - { path: customer.phone, action: tokenize, key: phone, normalize: digits, domain: phone }
)");
  for (const char* doc : {R"({"staff":{"EMPABCDE":"on leave"}})", R"({"customer":{"phone":{"EMPQRSTU":"1"}}})"}) {
    std::string out;
    Status st = f.engine->MaskValue(*f.route, "support.raw", doc, &out);
    ASSERT_FALSE(st.ok()) << doc;
    EXPECT_EQ(st.error().code, ErrorCode::kPiiInFieldName) << doc;
    EXPECT_EQ(st.error().message.find("EMP"), std::string::npos) << st.error().message;
  }
  EXPECT_EQ(Mask(f, R"({"staff":{"name":"on leave"}})"), R"({"staff":{"name":"on leave"}})");
}

// A member name that is the name or address its parent's names say the
// field holds passes no more than the same text as a value (a review found
// {"customer_name":{"김민준":true}} passing where "김민준" was masked).
TEST(EngineScanTest, AMemberNameThatIsTheNameOrAddressItsFieldHoldsFailsTheRecord) {
  auto f = Make();
  for (const char* doc :
       {R"({"customer_name":{"김민준":true}})", R"({"shipping":{"address":{"강남구 역삼동 래미안아파트":1}}})",
        R"({"holder_name":{"이서연":{"since":2020}}})"}) {
    std::string out;
    Status st = f.engine->MaskValue(*f.route, "support.raw", doc, &out);
    ASSERT_FALSE(st.ok()) << doc;
    EXPECT_EQ(st.error().code, ErrorCode::kPiiInFieldName) << doc;
    EXPECT_EQ(st.error().message.find("김민준"), std::string::npos) << st.error().message;
  }
  // A schema's names under such fields, and other words, stay as they are.
  EXPECT_EQ(Mask(f, R"({"customer_name":{"정회원":true}})"), R"({"customer_name":{"정회원":true}})");
  EXPECT_EQ(Mask(f, R"({"customer":{"name":{"first":"A"}}})"), R"({"customer":{"name":{"first":"[person_name]"}}})");
  EXPECT_EQ(Mask(f, R"({"addresses":{"home":{"zip":"06234"}}})"), R"({"addresses":{"home":{"zip":"06234"}}})");
  EXPECT_EQ(PersonalName("address", "도로명 주소"), "");
}

// A name/value pair's value is read under the name its sibling gives it
// (a review found accounts, names and RRN parts passing in such forms).
TEST(EngineScanTest, ANameValuePairsValueIsReadUnderItsName) {
  auto f = Make();
  EXPECT_EQ(Mask(f, R"({"fields":[{"name":"customer_name","value":"김민준"}]})"),
            R"({"fields":[{"name":"customer_name","value":"[person_name]"}]})");
  EXPECT_EQ(Mask(f, R"({"form":[{"label":"여권번호","value":"M12345678"}]})"),
            R"({"form":[{"label":"여권번호","value":"[passport_kr]"}]})");
  EXPECT_EQ(Mask(f, R"({"props":{"k":"jumin2","v":"1234568"}})"), R"({"props":{"k":"jumin2","v":"[rrn]"}})");
  const std::string acct = Mask(f, R"({"attrs":[{"name":"refund_account","value":"110-123-456789"}]})");
  EXPECT_EQ(acct.find("110-123-456789"), std::string::npos) << acct;
  // Another element's name is not this one's; other names say nothing.
  EXPECT_EQ(Mask(f, R"({"f":[{"name":"jumin2","value":"x"},{"value":"1234568"}]})"),
            R"({"f":[{"name":"jumin2","value":"x"},{"value":"1234568"}]})");
  EXPECT_EQ(Mask(f, R"({"f":[{"name":"status","value":"1234568"}]})"),
            R"({"f":[{"name":"status","value":"1234568"}]})");
  // An empty record has no member to read (its path is empty: the first
  // version of this read past it and crashed).
  EXPECT_EQ(Mask(f, "{}"), "{}");
  EXPECT_EQ(Mask(f, " {} "), " {} ");
}

// A bank named beside a number makes the object an account, whatever the
// number's own name (a review found {"bank":"신한은행","number":"110-…"}
// passing where "account_no" is protected).
TEST(EngineScanTest, ANumberBesideABanksNameIsAnAccount) {
  auto f = Make();
  for (const char* rec :
       {R"({"refund":{"bank":"신한은행","number":"110-123-456789"}})",
        R"({"refund":{"bank_name":"KB국민","no":"123456-01-234567"}})",
        R"({"r":[{"bankCode":"088","num":"110123456789"}]})", R"({"r":{"입금은행":"신한","번호":"110-123-456789"}})",
        R"({"r":{"bank":"신한","value":"110-123-456789"}})",
        // A later review: case, and more names of a bank.
        R"({"r":{"BANK_NAME":"신한은행","NUMBER":"110-123-456789"}})",
        R"({"r":{"refundBank":"신한","No":"110-123-456789"}})", R"({"r":{"refund_bank":"신한","no":"110-123-456789"}})",
        R"({"r":{"금융기관":"신한","번호":"110-123-456789"}})"}) {
    const std::string out = Mask(f, rec);
    EXPECT_EQ(out.find("123456"), std::string::npos) << out;
  }
  // Another object's bank says nothing; nor does a number that is no account.
  EXPECT_EQ(Mask(f, R"({"a":{"bank":"신한"},"b":{"number":"110-123-456789"}})"),
            R"({"a":{"bank":"신한"},"b":{"number":"110-123-456789"}})");
  EXPECT_EQ(Mask(f, R"({"r":{"bank":"신한","number":"3"}})"), R"({"r":{"bank":"신한","number":"3"}})");
  EXPECT_EQ(Mask(f, R"({"r":{"bank_account":"x","number":"42"}})"), R"({"r":{"bank_account":"x","number":"42"}})");
}

// The elements of a list under an RRN's or a phone's name are its parts
// (a review found {"rrn":["900101","1234568"]} passing where the same as
// {"jumin":{"1":…,"2":…}} was protected).
TEST(EngineScanTest, AListsElementsUnderANumbersNameAreItsParts) {
  auto f = Make();
  EXPECT_EQ(Mask(f, R"({"rrn":["900101","1234568"]})"), R"({"rrn":["[rrn]","[rrn]"]})");
  EXPECT_EQ(Mask(f, R"({"주민번호":[900101,1234568]})"), R"({"주민번호":["[rrn]","[rrn]"]})");
  EXPECT_EQ(Mask(f, R"({"mobile":["010","1234","5678"]})"), R"({"mobile":["[phone_kr]","[phone_kr]","[phone_kr]"]})");
  // Not under other names, nor counts under a phone's.
  EXPECT_EQ(Mask(f, R"({"codes":["900101","1234568"]})"), R"({"codes":["900101","1234568"]})");
  EXPECT_EQ(Mask(f, R"({"phone_counts":[123,4567]})"), R"({"phone_counts":[123,4567]})");
}

// More schema abbreviations a second review found passing.
TEST(EngineScanTest, MoreSchemaAbbreviations) {
  auto f = Make();
  for (const char* field : {"acnt_nm", "ord_nm", "rcpt_nm", "bnfcry_nm", "seller_name"}) {
    EXPECT_EQ(Mask(f, std::string(R"({")") + field + R"(":"김민준"})"),
              std::string(R"({")") + field + R"(":"[person_name]"})")
        << field;
  }
  // Korean names only there: a product's order name, an account's alias.
  EXPECT_EQ(Mask(f, R"({"ord_nm":"토스 티셔츠 외 2건"})"), R"({"ord_nm":"토스 티셔츠 외 2건"})");
  EXPECT_EQ(Mask(f, R"({"acnt_nm":"급여통장"})"), R"({"acnt_nm":"급여통장"})");
  EXPECT_EQ(Mask(f, R"({"vact_num":"110123456789"})").find("110123456789"), std::string::npos);
  EXPECT_EQ(Mask(f, R"({"juminno":501014123456})").find("501014123456"), std::string::npos);
  EXPECT_EQ(Mask(f, R"({"juminno2":"4123456"})"), R"({"juminno2":"[rrn]"})");
}

// What a sixth review found the fifth's field-name changes taking wrongly.
TEST(EngineScanTest, SixthReviewFieldNames) {
  auto f = Make();
  // A schema's Korean sub-keys under a name's or an address's field.
  for (const char* rec : {R"({"customer_name":{"국문명":"A","표시명":"B","변경후":"C"}})",
                          R"({"address":{"시군구 코드":"11680","행정동 명":"x","읍면동 구분":"1"}})"}) {
    std::string out;
    EXPECT_TRUE(f.engine->MaskValue(*f.route, "support.raw", rec, &out).ok()) << rec;
  }
  // Banks' short names split from a payment's id are no account's context.
  for (const char* rec :
       {R"({"kbPayNo":"312345678901"})", R"({"nhOrderNo":"312345678901"})", R"({"kbPay":{"orderNo":"312345678901"}})"})
    EXPECT_EQ(Mask(f, rec), rec);
  // Lists of numbers under a phone's name that are no parts.
  for (const char* rec :
       {R"({"contacts":[1001,1002,1003]})", R"({"contact_hours":["0900","1800"]})", R"({"hp":[100,200]})"})
    EXPECT_EQ(Mask(f, rec), rec);
  // A seventh review's: a pair's label naming an order and a PII, lists of
  // parts under more names and of two people.
  EXPECT_EQ(Mask(f, R"({"f":[{"key":"주문자 주민번호 뒷자리","value":"1234568"}]})"),
            R"({"f":[{"key":"주문자 주민번호 뒷자리","value":"[rrn]"}]})");
  EXPECT_EQ(Mask(f, R"({"rrn_parts":["900101","1234568"]})"), R"({"rrn_parts":["[rrn]","[rrn]"]})");
  // A list under a name that says the part itself.
  EXPECT_EQ(Mask(f, R"({"rrn_back":["1234568"]})"), R"({"rrn_back":["[rrn]"]})");
  EXPECT_EQ(Mask(f, R"({"rrn":["900101","1234568","900202","2345678"]})"),
            R"({"rrn":["[rrn]","[rrn]","[rrn]","[rrn]"]})");
  // A pair's label naming an order says nothing of its value.
  EXPECT_EQ(Mask(f, R"({"f":[{"name":"무통장입금 주문번호","value":"312345678901"}]})"),
            R"({"f":[{"name":"무통장입금 주문번호","value":"312345678901"}]})");
}

TEST(EngineScanTest, EncryptedHitsCanBeRevealedWithTheDetectorPath) {
  auto f = Make();
  const std::string out = Mask(f, R"({"note":"mail minjun.kim@example.com now"})");
  const size_t a = out.find("e2.contact.1.");
  ASSERT_NE(a, std::string::npos) << out;
  const std::string ct = out.substr(a, out.find(' ', a) - a);
  const auto* da = f.policy->scanning()->Find("email");
  ASSERT_NE(da, nullptr);
  std::string json = "\"" + ct + "\"";
  auto r = da->action->Reveal(transform::ActionContext{"support.raw"}, json, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, "\"minjun.kim@example.com\"");
  EXPECT_NE(f.route->route->key_refs.find("contact:1"), std::string::npos);
}

TEST(EngineScanTest, ScanFailuresDeadLetterTheRecordAndReportNothing) {
  auto f = Make(R"(policy: s
version: 1
scan:
  actions:
    phone_kr: { action: generalize, to: year }
routes:
  - from: support.raw
    to: analytics.support
    dead_letter: support.dlq
    unlisted_fields: scan
    rules: [{ path: id, action: keep }]
)");
  std::vector<Finding> findings;
  std::string out;
  // A phone number is no date: the hit's action fails, so does the record.
  Status st = f.engine->MaskValue(*f.route, "support.raw", R"({"id":1,"n":"연락처 1588-1234"})", &out, &findings);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message.find("1588"), std::string::npos);
  EXPECT_TRUE(findings.empty());
}

TEST(EngineScanTest, CsvCellsNoRuleNamesAreScanned) {
  const CsvRow row = MaskCsvNote("call 010-1234-5678");
  ASSERT_EQ(row.cells.size(), 2u);
  EXPECT_EQ(row.cells[0].state, CsvCell::State::kText);  // action: keep
  EXPECT_EQ(row.cells[0].text, "T-1");
  ASSERT_EQ(row.cells[1].state, CsvCell::State::kText);
  EXPECT_EQ(row.cells[1].text.find("1234-5678"), std::string::npos);
  ASSERT_EQ(row.findings.size(), 1u);
  EXPECT_EQ(row.findings[0], (Finding{"note", "phone_kr", true}));
}

TEST(EngineScanTest, KeepRoutesDoNotScan) {
  auto f = Make(R"(policy: s
version: 1
routes:
  - from: support.raw
    to: analytics.support
    dead_letter: support.dlq
    rules: [{ path: body, action: scan }]
)");
  std::vector<Finding> findings;
  EXPECT_EQ(Mask(f, R"({"body":"x 010-1234-5678","other":"010-1234-5678"})", &findings),
            R"({"body":"x [phone_kr]","other":"010-1234-5678"})");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_FALSE(findings[0].unlisted);
}

}  // namespace
}  // namespace maskproxy::engine
