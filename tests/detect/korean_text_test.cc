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

Found Names(const std::string& text) {
  std::vector<std::pair<size_t, size_t>> spans;
  internal::FindKoreanNames(text, &spans);
  Found out;
  for (const auto& [b, e] : spans) out.push_back(text.substr(b, e - b));
  return out;
}

Found Addresses(const std::string& text) {
  std::vector<std::pair<size_t, size_t>> spans;
  internal::FindKoreanAddresses(text, &spans);
  Found out;
  for (const auto& [b, e] : spans) out.push_back(text.substr(b, e - b));
  return out;
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
      {"이수님", "이수"},
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
      {"[성명]홍길동 확인", ""},  // glued to the label: not read
  };
  for (const auto& [text, name] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), name.empty() ? Found{} : Found{name});
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
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Names(text), Found{});
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
  };
  for (const auto& [text, address] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Addresses(text), Found{address});
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
