// Names and addresses in Korean free text: the finders on their own, and
// through the scanner as hits of the built-in person_name and address
// detectors (before them, "김민준님께 송금", "예금주 홍길동" and "서울특별시
// 강남구 테헤란로 123, 101동 1203호" passed every scan whole).
#include "detect/korean_text.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "detect/scanner.h"

namespace maskproxy::detect {
namespace {

using Found = std::vector<std::string>;

// What one of the finders finds in `text`, as strings.
Found FoundBy(void (*finder)(std::string_view, std::vector<std::pair<size_t, size_t>>*), const std::string& text) {
  std::vector<std::pair<size_t, size_t>> spans;
  finder(text, &spans);
  Found out;
  for (const auto& [b, e] : spans) out.push_back(text.substr(b, e - b));
  return out;
}
Found Names(const std::string& text) {
  return FoundBy(internal::FindKoreanNames, text);
}
Found Addresses(const std::string& text) {
  return FoundBy(internal::FindKoreanAddresses, text);
}

TEST(KoreanNamesTest, AfterAnHonorificOrALabel) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"김민준님께 송금 부탁드립니다", "김민준"},
      {"김민준님", "김민준"},
      {"이서연님께서 문의하셨습니다", "이서연"},
      {"박지민님의 계좌", "박지민"},
      {"홍길동씨 계좌로 보냈어요", "홍길동"},
      {"김민준 고객님 안녕하세요", "김민준"},
      {"최유나 회원님, 포인트가 적립되었습니다", "최유나"},
      {"정하늘 귀하", "정하늘"},
      {"김민준 씨가 오셨어요", "김민준"},
      {"남궁민수님 환불 완료", "남궁민수"},
      {"황보영님", "황보영"},
      {"예금주 홍길동 확인 바랍니다", "홍길동"},
      {"예금주: 홍길동", "홍길동"},
      {"예금주명 김민준으로 변경", "김민준"},
      {"성명: 이서연, 연락처 010-1234-5678", "이서연"},
      {"받는분 박서준", "박서준"},
      {"보내는분 : 최지우", "최지우"},
      {"수취인성명 윤서아", "윤서아"},
      {"입금자명 강민호", "강민호"},
      {"name: 김민준", "김민준"},
      {"customer_name=\"장원영\"", "장원영"},
      {"holderName: 오세훈", "오세훈"},
      {"[성명]홍길동 확인", "홍길동"},
      // A second review's misses.
      {"김민준 선생님께 전달", "김민준"},
      {"박지훈 팀장님 확인 부탁", "박지훈"},
      {"김민준고객님 안녕하세요", "김민준"},
      {"이서연님들", "이서연"},
      {"받는 분: 박서준", "박서준"},
      {"보내는 분 최지우", "최지우"},
      {"받는분 통장 표시: 김민준", "김민준"},
      {"[예금주] 홍길동", "홍길동"},
      {"예금주 / 홍길동", "홍길동"},
      {"예금주|홍길동", "홍길동"},
      {"주문자명: 이서연", "이서연"},
      {"제 이름은 김민준입니다", "김민준"},
      {"입금자명 홍길동0312", "홍길동"},
      {"김민준 고객. 문의", "김민준"},
  };
  for (const auto& [text, name] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), name.empty() ? Found{} : Found{name});
  }
}

// Found passing by a review: English words for the person as labels (also
// without a colon, in JSON text and in query strings), and 받는 사람 /
// 보내는 사람 written in two words.
TEST(KoreanNamesTest, EnglishPersonLabelsAndTwoWordLabels) {
  for (const std::string text :
       {"depositor: 김민준", "account holder: 김민준", "Account Holder 김민준", "recipient: 김민준", "receiver: 김민준",
        "payee=김민준", "{\"holder\":\"김민준\"}", "x=1&depositor=김민준", "vbankDepositor: 김민준",
        "받는 사람: 김민준", "보내는 사람 김민준", "받는 이 김민준"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), Found{"김민준"});
  }
  EXPECT_EQ(Names("customer_name=홍길동&depositor=김민준"), (Found{"홍길동", "김민준"}));
  // Not a label: another word, or glued to a digit; a role word after it.
  for (const std::string text : {"placeholder 김민준", "holders 김민준", "v2holder 김민준", "holder: 고객님"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), Found{});
  }
}

// Found passing by a later review: who wrote or asked (고객, 문의자, 요청자),
// a patient, a form's spaced label (성 명), a letter's sign-off (드림, 올림),
// an introduction (저는, 제가), an e-mail's display name. A third review
// found the first versions taking nouns for names: a role (고객, 회원, 환자)
// counts with a ':' or bracket, or a '(' ',' '/' after the name; an
// introduction only before the copula; a sign-off only at a line's end; a
// display name only quoted or after a header's word.
TEST(KoreanNamesTest, MoreLabelsSignOffsIntroductionsAndDisplayNames) {
  for (const std::string text :
       {"고객: 김민준", "문의자: 김민준", "요청자: 김민준", "성 명 : 김민준", "환자 김민준(45세) 내원", "김민준 드림",
        "김민준 올림", "감사합니다.\n김민준 드림\n", "저는 김민준이고 환불 문의", "저는 김민준입니다",
        "제가 김민준인데요", "전 김민준입니다", "저 김민준인데요", "본인은 김민준입니다",
        "To: 김민준 <kim@example.com>", "보낸 사람 김민준 <minjun@naver.com>", "\"김민준\" <kim@x.com>",
        "From: 김민준<kim@x.com>", "To: 김민준  <kim@x.com>", "[회원] 김민준", "고객: 김민준, 010 연락",
        "환자명 김민준", "신고인: 김민준", "이 름 : 김민준", "성 함 : 김민준", "고객 김민준(주민번호 확인)",
        "고객: 김민준 010-1234-5678", "고객: 김민준\n", "고객 김민준(900101-1234568)",
        // a fifth review's
        "고객(김민준)이 전화함", "회원(김민준) 탈퇴 요청", "상담원 김민준입니다", "김민준 명의로 된 계좌",
        "김민준 명의의 카드", "성명(한글) 김민준", "예금주(국문): 김민준"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), Found{"김민준"});
  }
  for (const std::string text :
       {"고객 정보 변경", "저는 김치를 좋아해요", "저는 학생입니다", "선물 드림", "이벤트 드림", "고객 만족도 조사",
        "성 명 미기재", "환자 이송 요청", "상품명 <sale@shop.com>", "제가 확인했습니다", "고객 한명이 항의",
        "고객 최우선으로 처리", "명세서 <noreply@card.com>", "최우선 드림", "회원 최우수 등급",
        "전 이번주에 주문했어요", "저 내일 방문해요", "전 세계 배송", "가격 올림", "반올림 처리", "쿠폰 드림",
        // the third review's
        "전 한도가 부족해요", "3일 전 주문건이 아직 안왔어요", "저 조금만 기다려주세요", "전 연령대 가입 가능",
        "제가 고지서를 못받았어요", "회원 유지율", "고객 유형별 분석", "고객 지원금", "회원 송금한도",
        "주문서 드립니다", "주문서 드림 예정", "주문서 <noreply@x.com>", "회원 성명이 다릅니다",
        // a fourth review's
        "고객: 한도초과", "고객: 한도초과로 결제 실패", "고객: 선결제 취소", "고객: 장애문의", "고객 유지율(%)",
        "회원 연령대(전월 대비)", "[고객] 선결제 취소", "고객 만족도, 전주 대비", "고객 유형별/매출",
        "고객 김민준, 010 연락", "\"주문서\" <cs@example.com>", "\"고지서\" <noreply@card.co.kr>",
        // a fifth review's: a status after a label
        "담당자 배정중", "담당자 연결중", "담당자: 확인중", "담당자 미배정", "담당자 공석", "고객(신규가입) 문의",
        "회원(정회원) 등급", "고객(이용중) 해지", "상담원 연결중입니다", "담당자 확인중입니다", "사업자 명의로 된 계좌",
        "배우자 명의로 변경", "공동 명의로 변경", "대표자 명의로 개설", "성명(한글) 미기재",
        // a sixth review's
        "배송기사 이동중입니다", "기사 방문중입니다", "상담원 전화중입니다", "매니저 조치중입니다", "소유주 명의",
        "차용인 명의로", "차주인 명의"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), Found{});
  }
  EXPECT_TRUE(internal::IsKoreanName("김민준"));
  EXPECT_TRUE(internal::IsKoreanName("남궁민수"));
  for (const char* v : {"일반", "정회원", "고객지원팀", "VIP", "김민준 외 1명", "", "없음"})
    EXPECT_FALSE(internal::IsKoreanName(v)) << v;
}

// User names as member names: a Korean name in Latin letters joined by
// '.', '_' or '-' (an audit review found them in the trail and the labels).
TEST(KoreanText, RomanizedNameHandles) {
  for (const char* v :
       {"hong.gildong", "minsu_kim", "park-jiyeon", "lee.min.ho", "kim.minsu85", "KIM_MINJUN", "choi-yuna",
        "jiyeon.park", "j.park", "m_kim", "seoyeon.lee", "han.jiwon",
        // a re-review: one-syllable given names, surnames that are English words
        "jin.kim", "kim.jin", "hyo_kim", "jun_park85", "go.hana", "min.jiwoo", "do.minji", "sun.hyejin", "in.sooyoung",
        // other spellings of common surnames (a re-review)
        "j.jo", "m.an", "s.yi", "j.choe", "j.im", "jin.jo", "min.an", "jin.im", "jun.yi",
        // a later review: camelCase, one word, a role word beside it, a handle's decorations
        "SeoyeonLee", "MinjunKim1990", "minjunKim", "kimminjun", "minjunkim", "customer-kim-minjun", "kim_minjun_vip",
        "gildong_hong_85", "@minjun_kim", "user:minjun.kim"})
    EXPECT_TRUE(internal::IsRomanizedNameHandle(v)) << v;
  for (const char* v : {"user_name", "created_at", "payment.card", "kim", "park_lot_number_x", "song_title",
                        "hong.gildong12345", "jdoe1985", "address1Detail", "kim.", "_kim_minsu", "kim..minsu",
                        "account_holder", "bank_code", "first_name", "last_name",
                        // a re-review: schema names whose short words read as syllables
                        "min_age", "in_use", "no_op", "x.y", "x_min", "y_min", "t_min", "p_no", "s_ok", "x_go", "k_won",
                        // and beside the later rules: camelCase and one-word schema names
                        "userName", "createdAt", "parkingLot", "songTitle", "hanData", "parking", "annual", "kangaroo",
                        "hongkong", "namespace", "changelog", "moonlight", "leeway", "lineItem", "customer_id",
                        "kimchi_type", "user:id", "@type", "order_kim",
                        // a re-review: "no" says number, not the surname 노
                        "itemNo", "serialNo", "mobileNo", "roomNo", "customer_mobile_no", "order_item_no",
                        "device_serial_no", "jumunNo", "gyejwaNo"})
    EXPECT_FALSE(internal::IsRomanizedNameHandle(v)) << v;
}

// Found by a review as false alarms: a verb's noun whose syllables could
// begin a name, with 한, 중 or 시 after it, before 고객님 (what a customer
// did); a real name of that shape stays one.
TEST(KoreanNamesTest, WhatACustomerDidIsNoName) {
  for (const std::string text : {"문의한 고객님께 안내 완료", "전화한 고객님", "변경시 고객님", "문의중 고객님",
                                 "주문시 고객님", "방문시 고객님", "송금한 고객님", "배송시 고객님", "전송중 고객님",
                                 "전환한 고객님", "신규시 고객님", "우수한 고객님"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), Found{});
  }
  // With a label before it or 님 glued to it, a word of that shape is a name
  // (a second review: 장기한, 이사한 are names too).
  for (const std::string text : {"정지한 고객님", "김지한 고객님", "박성중 고객님", "장기한 고객님", "예금주 장기한",
                                 "장기한님 안녕하세요", "예금주 문의한", "이동한 고객님"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text).size(), 1u);
  }
}

// Labels in capitals are words, not camel case (a second review:
// "DEPOSITOR" was read as its last letter).
TEST(KoreanNamesTest, EnglishLabelsInCapitals) {
  for (const std::string text :
       {"HOLDER: 김민준", "DEPOSITOR=김민준", "RECIPIENT: 김민준", "PAYEE 김민준", "보낸이: 김민준"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), Found{"김민준"});
  }
}

TEST(KoreanNamesTest, RolesAndWordsOfANamesShapeAreNotNames) {
  for (const char* text : {
           "고객님 안녕하세요",
           "기사님께서 도착하셨습니다",
           "이용자님 감사합니다",
           "사장님, 주문 확인 부탁드려요",
           "이사님 결재 요청",
           "선생님께 전달",
           "부모님 명의 계좌",
           "우수 고객님께 드리는 혜택",
           "소중한 고객님",
           "모든 회원님께",
           "예금주 정보 불일치",
           "성명 변경 요청",
           "예금주 우리은행",
           "수취인 정보 확인",
           "이름 미기재",
           "마음씨 좋은 이웃",
           "호박씨 한 봉지",
           "김씨 아저씨",
           "김밥 주문",
           "김민준",            // a name alone: nothing says so
           "김민준 010 연락",   // nor a number
           "username: 김민준",  // a login, not a name label
           "nickname: 김민준",
           "상품이름: 김치찌개",
           "주문자 정보 없음",
           "이수님",  // two syllables: not read (role words of that shape are many)
           // A second review's false alarms: role words, nouns after a
           // label, words before 고객님, a thing's name label.
           "라이더님",
           "경비원님께",
           "매니저님",
           "유저님",
           "박사님",
           "주무관님",
           "계장님",
           "인턴님",
           "승무원님",
           "경리님",
           "부서장님",
           "마케터님",
           "이장님",
           "연회원님께",
           "전고객님",
           "대표자님",
           "소유자님",
           "송금자님",
           "예금주 정보가 달라요",
           "예금주 성함이 다릅니다",
           "예금주 이름이 틀림",
           "받는분 주소가 없음",
           "받는분 계좌로",
           "예금주 성명 확인",
           "예금주 조회중",
           "받는분 부재시",
           "이름 정확히 입력",
           "이름 노출 안됨",
           "담당자 연결",
           "구매자 부담으로 반품",
           "가입자 한정 혜택",
           "신청자 선착순",
           "대표자 신분증 사본",
           "보호자 동의서",
           "은행 이름 부산",
           "상품이름 고급형으로",
           "bank_name=부산은행",
           "product_name: 고급형",
           "store_name=한솥도시락",
           "제주 고객님",
           "부산 고객님께",
           "서울 고객님",
           "지방 고객님",
           "매장 고객님",
           "고령 고객님",
           "시니어 고객님",
           "연금 고객님",
           "가맹점 고객님",
           "이런 고객님",
           "원하는 고객님",
           "신청한 고객님",
           "구매한 고객님",
           "이용한 고객님",
           "당첨된 고객님",
           "가입한 회원님",
           "진상 고객",
           "인사팀 귀하",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), Found{});
  }
}

// Names after a staff or person label joined by a colon or in brackets
// (before: "상담원: 김민준", "고객[김민준]", "[김민준 고객]" passed whole;
// only 담당자: and 고객: were read).
TEST(KoreanNamesTest, StaffAndPersonLabelsWithAColonOrInBrackets) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"상담원: 김민준", "김민준"},
      {"상담원 : 김민준", "김민준"},
      {"상담사: 이서연 010-1234-5678", "이서연"},
      {"직원: 박지훈", "박지훈"},
      {"매니저: 최유나", "최유나"},
      {"처리자: 정하늘, 접수 완료", "정하늘"},
      {"접수자=강민호", "강민호"},
      {"[상담원] 김민준", "김민준"},
      {"【상담원】 김민준", "김민준"},
      {"상담원[김민준]", "김민준"},
      {"상담원(김민준)", "김민준"},
      {"상담원 김민준(내선 1234)", "김민준"},
      {"고객[김민준]", "김민준"},
      {"고객 [김민준] 요청", "김민준"},
      {"고객<김민준>", "김민준"},
      {"<고객> 김민준", "김민준"},
      {"고객「김민준」", "김민준"},
      {"고객〈김민준〉", "김민준"},
      {"수취인<김민준>", "김민준"},
      {"예금주[김민준]", "김민준"},
      {"[김민준 고객]", "김민준"},
      {"<김민준 고객>", "김민준"},
      {"(김민준 고객)", "김민준"},
      {"[김민준 상담원]", "김민준"},
      {"(김민준 담당자)", "김민준"},
      {"[김민준 예금주]", "김민준"},
      {"「김민준 회원」", "김민준"},
      {"작성자: 김민준", "김민준"},
      {"담당자: 김민준", "김민준"},
      {"고객: 김민준", "김민준"},
      // A later review: a sentence's end, a staff title after the name.
      {"상담원: 김민준.", "김민준"},
      {"고객: 김민준!", "김민준"},
      {"상담원: 김민준; 이관", "김민준"},
      {"담당: 김민준 과장", "김민준"},
      {"상담원: 이서연 대리님 확인", "이서연"},
  };
  for (const auto& [text, name] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), Found{name});
  }
}

// What follows a staff word is as often a noun: those stay text.
TEST(KoreanNamesTest, StaffWordsBeforeNounsAreNoLabels) {
  for (const char* text : {
           "상담원 연결 대기", "상담원 연결중", "상담원: 연결 대기", "직원 교육 일정", "직원: 정상근무",
           "기사: 배송완료", "기사: 배송중", "상담원 전화중입니다", "담당: 이관처리", "[우수한 고객]", "[이용중 고객]",
           "[신규가입 회원]", "(장기연체 고객)",
           "상담원 김민준 배정 예정",  // no mark: "상담원 배정" reads on
           "매니저 이서연 확인",
           "고객 - 김민준",                                 // a dash joins no label (known limit)
           "고객: 선결제 취소.", "담당: 정산 과장님 확인",  // nouns, also before a title or a period
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), Found{});
  }
}

Found Romanized(const std::string& text) {
  return FoundBy(internal::FindRomanizedKoreanNames, text);
}

// Korean names in Latin letters after an English (or Korean) label of a
// person's name (before: all passed whole).
TEST(RomanizedKoreanNamesTest, AfterAPersonsNameLabel) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Name: Kim Minjun", "Kim Minjun"},
      {"name: Minjun Kim", "Minjun Kim"},
      {"Customer name: Kim Minjun, tel 010-1234-5678", "Kim Minjun"},
      {"Account holder: KIM MINJUN", "KIM MINJUN"},
      {"holder: Kim Min-jun", "Kim Min-jun"},
      {"Cardholder: LEE SEOYEON", "LEE SEOYEON"},
      {"Card holder = Lee Seo-Yeon", "Lee Seo-Yeon"},
      {"Recipient name: Park Ji-hoon", "Park Ji-hoon"},
      {"beneficiary: Choi, Yuna", "Choi, Yuna"},
      {"Full name: Jung Ha Neul", "Jung Ha Neul"},
      {"payee name: Yoon Seoa.", "Yoon Seoa"},
      {"sender: Kang Minho", "Kang Minho"},
      {"depositor name: Jeong Hana", "Jeong Hana"},
      {"Owner: Hwang Jiwoo", "Hwang Jiwoo"},
      {"{\"holderName\":\"Rhee Sunghoon\"}", "Rhee Sunghoon"},
      {"account_holder_name=Namgung Minsu", "Namgung Minsu"},
      {"예금주: KIM MINJUN", "KIM MINJUN"},
      {"성명: Lee Seoyeon", "Lee Seoyeon"},
      {"영문명: Park Jihoon", "Park Jihoon"},
      {"Name: Kim Minjun Phone: 010-1234-5678", "Kim Minjun"},
      {"Name: Ko Eunji", "Ko Eunji"},
      {"Name: Seoyeon Yi", "Seoyeon Yi"},
  };
  for (const auto& [text, name] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Romanized(text), Found{name});
  }
}

TEST(RomanizedKoreanNamesTest, ThingsAndNonNamesAreNot) {
  for (const char* text : {
           "Name: Savings Account",
           "name: Gold Card Premium",
           "file name: Report Final",
           "product name: Kim Chi Set",  // a thing's label; and Set is a word
           "Name: Kim Chi Set",          // a surname beside English words
           "Name: N/A",
           "Holder: Unknown",
           "Holder: Kim",  // one word
           "bank_name: Shinhan Bank",
           "username: Kim Minjun",  // a login's label
           "nickname: Kim Minjun",
           "Name: Kim Min Jun Park Seoul",  // a run of four or more words
           "Name: Seoul Team",
           "Recipient: Hong Kong Office",
           "beneficiary: Woori Bank",
           "payee: Kakao Pay",
           "Name: kim minjun",  // lower case is not read
           "Name: Kim Minjun@example.com",
           "Kim Minjun",          // no label
           "author: Minjun Kim",  // who wrote a record (docs: left)
           "Name: James Smith",
           "Name: Song Title",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Romanized(text), Found{});
  }
}

TEST(KoreanAddressesTest, RoadAndLotAddresses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"서울특별시 강남구 테헤란로 123, 101동 1203호로 보내주세요", "서울특별시 강남구 테헤란로 123, 101동 1203호"},
      {"경기도 성남시 분당구 판교역로 235 에이치스퀘어 N동 8층 방문",
       "경기도 성남시 분당구 판교역로 235 에이치스퀘어 N동 8층"},
      {"서울 강남구 역삼동 123-45 거주", "서울 강남구 역삼동 123-45"},
      {"부산광역시 해운대구 우동 1234", "부산광역시 해운대구 우동 1234"},
      {"세종특별자치시 한누리대로 2130", "세종특별자치시 한누리대로 2130"},
      {"강남구 테헤란로14길 6", "강남구 테헤란로14길 6"},
      {"서울시 마포구 월드컵로 235번길 12에서", "서울시 마포구 월드컵로 235번길 12"},
      {"경기 파주시 교하읍 송촌리 123번지", "경기 파주시 교하읍 송촌리 123번지"},
      {"배송지: 역삼동 123-45 (래미안아파트)", "역삼동 123-45 (래미안아파트)"},
      {"주소 테헤란로 123", "테헤란로 123"},
      {"테헤란로 123 4층", "테헤란로 123 4층"},
      {"제주특별자치도 제주시 첨단로 242", "제주특별자치도 제주시 첨단로 242"},
      // A second review's misses.
      {"서울 강남구 역삼동 래미안아파트 101동 1203호", "서울 강남구 역삼동 래미안아파트 101동 1203호"},
      {"서울 강남구 역삼동 123-4 101동1203호", "서울 강남구 역삼동 123-4 101동1203호"},
      {"경기도 파주시 교하읍 송촌리 산12-3", "경기도 파주시 교하읍 송촌리 산12-3"},
      {"서울 강남구 테헤란로123", "서울 강남구 테헤란로123"},
      {"주소 : 강남구 테헤란로 123", "강남구 테헤란로 123"},
      {"충청남도 천안시 서북구 불당25로 56", "충청남도 천안시 서북구 불당25로 56"},
      // A fifth review's: a building's name of two words, or numbered.
      {"경기도 화성시 동탄대로 123-45 동탄역 롯데캐슬 102동 3003호 앞",
       "경기도 화성시 동탄대로 123-45 동탄역 롯데캐슬 102동 3003호"},
      {"서울특별시 영등포구 여의대로 108 파크원타워1 20층", "서울특별시 영등포구 여의대로 108 파크원타워1 20층"},
      {"서울 강남구 테헤란로 123 방문 예정", "서울 강남구 테헤란로 123"},
  };
  for (const auto& [text, address] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Addresses(text), Found{address});
  }
}

// Found passing by a review: an address whose first or last word touches
// punctuation (quotes, brackets, ';', '/', a CSV cell, JSON text) or whose
// words a URL joins with '+', and a 동 in parentheses glued to the number.
TEST(KoreanAddressesTest, PunctuationAroundAndUrlBlanksBetween) {
  const std::string a = "서울특별시 강남구 테헤란로 123";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"주소(" + a + ")로 보내주세요", a},
      {"\"" + a + "\"", a},
      {"(" + a + ")", a},
      {"「" + a + "」", a},
      {"“" + a + "”", a},
      {a + ";", a},
      {"[" + a + "]", a},
      {a + "(역삼동) 101호", a + "(역삼동) 101호"},
      {a + "/101동 1203호", a + "/101동 1203호"},
      {"김민준,\"" + a + ", 101동 1203호\",010-1234-5678", a + ", 101동 1203호"},
      {"order?addr=서울특별시+강남구+테헤란로+123&name=x", "서울특별시+강남구+테헤란로+123"},
      {"{\"addr\":\"" + a + "\"}", a},
  };
  for (const auto& [text, address] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Addresses(text), Found{address});
  }
  // Still none: the words apart from a place (a '(' that opens a sentence,
  // a number in parentheses alone), a slash between a place and a count.
  // A second review: ';' and '/' between words, ':' after a label.
  for (const auto& [text, address] : std::vector<std::pair<std::string, std::string>>{
           {a + ";101동 1203호", a + ";101동 1203호"},
           {"서울특별시/강남구/테헤란로/123", "서울특별시/강남구/테헤란로/123"},
           {"주소:" + a, a}}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Addresses(text), Found{address});
  }
  for (const std::string text : {"서울 (강남구) 방문 예정", "강남구 (123)", "서울/강남구 2 박스", "주문(123)건"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Addresses(text), Found{});
  }
}

TEST(KoreanAddressesTest, PlacesWithoutANumberOrANumberWithoutAPlace) {
  for (const char* text : {
           "강남구 지점 방문, 3번 출구",
           "서울 강남구 역삼동 거주",
           "서울 강남구 역삼동 3번 출구",
           "서울 강남구 역삼동 2024년 이사",
           "강남구청 3층",
           "테헤란로 123",  // a road and a number: no region, label or unit
           "서울 3시 도착",
           "현금으로 5000 결제",
           "서울 강남구\n역삼동 123",  // a line break between: two things
           "경기 결과 3",
           // A second review's false alarms: 시 as "when", 가/면/리 and 로
           // as particles, a count after the number.
           "결제시 수수료가 500 원",
           "환불시 카드사로 3 영업일",
           "서울 본사로 2 박스",
           "배송지 변경으로 2 건",
           "카드로 3 (일시불)",
           "이체시 한도가 100 만원",
           "서울 강남구 2 곳",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Addresses(text), Found{});
  }
}

// Through the scanner: the built-in detectors' hits, over the other
// detectors' (a phone beside a name stays a phone), on the reference path too.
TEST(KoreanTextTest, ScannerReportsThemAsPersonNameAndAddress) {
  auto scanner = Scanner::Create(Scanner::Defaults());
  ASSERT_TRUE(scanner.ok());
  const std::string text = "예금주 홍길동 010-1234-5678, 주소: 서울 강남구 테헤란로 123";
  std::vector<Span> spans;
  ASSERT_TRUE((*scanner)->Scan(text, &spans).ok());
  std::vector<std::pair<std::string, std::string>> got;
  for (const Span& s : spans) got.emplace_back(std::string(s.detector), text.substr(s.begin, s.end - s.begin));
  EXPECT_EQ(got,
            (std::vector<std::pair<std::string, std::string>>{
                {"person_name", "홍길동"}, {"phone_kr", "010-1234-5678"}, {"address", "서울 강남구 테헤란로 123"}}));
  std::vector<Span> ref;
  ASSERT_TRUE(internal::ScanReference(**scanner, text, &ref).ok());
  EXPECT_EQ(ref, spans);
  // Full-width and hidden characters are normalized first.
  std::vector<Span> fw;
  ASSERT_TRUE((*scanner)->Scan("김민\u200B준님께", &fw).ok());
  ASSERT_EQ(fw.size(), 1u);
  EXPECT_EQ(fw[0].detector, "person_name");
  // A member or header name with Hangul may hold one: MayMatch says so.
  EXPECT_TRUE((*scanner)->MayMatch("김민준님"));
  EXPECT_FALSE((*scanner)->MayMatch("plain ascii"));
}

// Long runs of what an address word is made of (found by review: a glued
// unit recursed once per unit, a 1 MB "1동1동…" overflowed the stack; a
// glued road read every prefix, quadratic in "로1로1…"). A token longer than
// an address word is read as nothing.
TEST(KoreanTextTest, LongRunsOfAddressWordsStayLinear) {
  auto scanner = Scanner::Create(Scanner::Defaults());
  ASSERT_TRUE(scanner.ok());
  std::vector<Span> spans;
  for (const std::string& piece : {std::string("1동"), std::string("로1"), std::string("1동 "), std::string("로 1 "),
                                   std::string("김민준님 "), std::string("예금주 "), std::string("Name: Kim "),
                                   std::string("name:"), std::string("카드 4"), std::string("card no 1")}) {
    std::string text = "B";
    while (text.size() < 600000) text += piece;
    ASSERT_TRUE((*scanner)->Scan(text, &spans).ok()) << piece;
  }
}

TEST(KoreanTextTest, TurnedOffTheyFindNothing) {
  std::vector<DetectorSpec> specs;
  for (const DetectorSpec& s : Scanner::Defaults())
    if (s.name != "person_name" && s.name != "address") specs.push_back(s);
  auto scanner = Scanner::Create(specs);
  ASSERT_TRUE(scanner.ok());
  std::vector<Span> spans;
  ASSERT_TRUE((*scanner)->Scan("예금주 홍길동, 서울 강남구 테헤란로 123", &spans).ok());
  EXPECT_TRUE(spans.empty());
  EXPECT_FALSE((*scanner)->MayMatch("김민준님"));
}

}  // namespace
}  // namespace maskproxy::detect
