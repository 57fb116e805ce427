#include "detect/korean_text.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>

namespace maskproxy::detect::internal {
namespace {

// Hangul syllables are three bytes in UTF-8 (U+AC00-U+D7A3: EA B0 80 - ED 9E
// A3), so the words below are compared as bytes.
// The Hangul syllable at byte i (its code point), or 0.
inline uint32_t SyllableCp(std::string_view t, size_t i) {
  if (i + 3 > t.size()) return 0;
  const auto b0 = static_cast<unsigned char>(t[i]);
  if (b0 < 0xEA || b0 > 0xED) return 0;
  const auto b1 = static_cast<unsigned char>(t[i + 1]);
  const auto b2 = static_cast<unsigned char>(t[i + 2]);
  if ((b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80) return 0;
  const uint32_t cp = ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
  return cp >= 0xAC00 && cp <= 0xD7A3 ? cp : 0;
}
inline bool SyllableAt(std::string_view t, size_t i) {
  return SyllableCp(t, i) != 0;
}

// Whether the syllable at byte i is one of `set` (code points).
inline bool SyllableIn(std::string_view t, size_t i, std::initializer_list<uint32_t> set) {
  const uint32_t cp = SyllableCp(t, i);
  if (cp == 0) return false;
  for (uint32_t x : set)
    if (cp == x) return true;
  return false;
}

bool AsciiDigit(char c) {
  return c >= '0' && c <= '9';
}
bool AsciiAlnum(char c) {
  return AsciiDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

// A word list, sorted once, searched by binary search.
class Words {
 public:
  Words(std::initializer_list<std::string_view> words) : words_(words) { std::sort(words_.begin(), words_.end()); }
  [[nodiscard]] bool Has(std::string_view w) const { return std::binary_search(words_.begin(), words_.end(), w); }
  // Whether w ends with one of the words.
  [[nodiscard]] bool EndOf(std::string_view w) const {
    for (std::string_view x : words_)
      if (w.ends_with(x)) return true;
    return false;
  }
  [[nodiscard]] const std::vector<std::string_view>& list() const { return words_; }

 private:
  std::vector<std::string_view> words_;
};

// The common surnames (about 99% of Koreans; the 2015 census) and their
// other spellings (리/이, 림/임, 로/노). Rarer ones (사, 부, 가, 대, 상, 시,
// ...) begin too many role words and nouns: "사장", "부서장", "가맹점".
const Words& Surnames() {
  static const Words w{"김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권",
                       "황", "안", "송", "전", "홍", "유", "고", "문", "양", "손", "배", "백", "허", "남", "심",
                       "노", "하", "곽", "성", "차", "주", "우", "구", "민", "류", "나", "진", "지", "엄", "채",
                       "원", "천", "방", "공", "현", "함", "변", "염", "여", "추", "도", "소", "석", "선", "설",
                       "마", "길", "연", "위", "표", "명", "기", "반", "왕", "금", "옥", "육", "인", "맹", "제",
                       "모", "탁", "국", "어", "은", "편", "용", "예", "경", "봉", "리", "림", "로"};
  return w;
}

// The syllables given names are made of (the common ones): a word whose
// second or third syllable is none of them is no name ("라이더", "매니저",
// "조회중", "선착순"). Kept out on purpose: role suffixes (장 관 사 객 생)
// and syllables common in nouns but rare in names.
bool GivenNameSyllable(std::string_view syllable) {
  static const Words w{
      "가", "강", "건", "겸", "결", "경", "광", "국", "규", "균", "근", "금", "기", "길", "나", "난", "남", "늘", "다",
      "담", "대", "덕", "도", "동", "라", "란", "람", "랑", "래", "량", "려", "련", "령", "례", "록", "롬", "루", "룡",
      "륜", "리", "린", "림", "만", "명", "문", "미", "민", "범", "별", "병", "보", "복", "봄", "봉", "빈", "빛", "상",
      "새", "샘", "서", "석", "선", "설", "섭", "성", "세", "소", "솔", "솜", "송", "수", "숙", "순", "숭", "슬", "승",
      "시", "식", "신", "아", "안", "애", "양", "언", "여", "연", "열", "엽", "영", "예", "오", "옥", "온", "완", "용",
      "우", "욱", "운", "웅", "원", "월", "유", "윤", "율", "은", "의", "이", "익", "인", "일", "자", "재", "정", "제",
      "종", "주", "준", "중", "지", "진", "찬", "창", "채", "천", "철", "초", "춘", "충", "치", "태", "택", "필", "하",
      "학", "한", "해", "향", "헌", "혁", "현", "형", "혜", "호", "홍", "화", "환", "효", "후", "훈", "휘", "흥", "희"};
  return w.Has(syllable);
}

const Words& CompoundSurnames() {
  static const Words w{"남궁", "황보", "제갈", "선우", "독고", "서문", "사공"};
  return w;
}

// Words of a name's shape that are not names: people by their role, and
// what follows a label when no name does.
const Words& NotNames() {
  static const Words w{
      // before 님 / 씨
      "고객", "고객센터", "회원", "선생", "사장", "사모", "기사", "부장", "차장", "이사", "원장", "교수", "주임",
      "반장", "조장", "회장", "장모", "장인", "도련", "서방", "동생", "형수", "제수", "고모", "이모", "삼촌", "사촌",
      "조카", "손자", "손녀", "신랑", "신부", "남편", "부인", "아내", "여보", "자기", "주인", "점장", "실장", "팀장",
      "대리", "사원", "직원", "상담사", "상담원", "담당자", "관리자", "운영자", "이용자", "사용자", "주문자", "구매자",
      "신청자", "신청인", "가입자", "수령자", "수령인", "보호자", "대리인", "판매자", "결제자", "예금주", "명의자",
      "본인", "배송기사", "택배기사", "정비사", "간호사", "의사", "약사", "변호사", "세무사", "법무사", "중개사",
      "소장", "국장", "지점장", "점주", "대표", "이사장", "총장", "학생", "학부모", "부모", "어르신", "장로", "목사",
      "전도사", "스님", "수녀", "선배", "후배", "동기", "친구", "여사", "주민", "시민", "국민", "민원인", "방문자",
      "방문객", "감독", "배우", "가수", "기자", "형님", "누님", "아버", "어머", "하객", "주주", "위원", "위원장",
      "의원", "시장", "구청장", "군수", "도지사", "장관", "차관", "총리", "사무장", "원생", "성도", "신도", "문의자",
      "요청자", "조교", "전무", "상무", "부사장", "전문가", "강사", "주부", "연구원", "공무원", "간호", "신입", "선임",
      "지배인", "조리사", "조합원", "배달원", "배송원", "모집인", "설계사", "공인중개사", "임대인", "임차인", "양도인",
      "양수인", "도우미", "기술자", "전기기사", "마음", "호박", "사과", "부모님", "상대방", "상대", "당사자", "대상자",
      "수취인", "송금인", "입금자", "보내는분", "받는분", "발송인", "수신인", "가족", "배우자", "자녀", "동료", "상사",
      "부하", "사령관", "장군", "대장", "병장", "상병", "일병", "이병", "하사", "중사", "상사", "원사", "소위", "중위",
      "대위", "소령", "중령", "대령", "준장", "소장", "중장", "반려인", "견주", "집주인", "주인공", "하느", "부처",
      "예수", "선녀", "공주", "왕자", "도사", "사부", "조상", "시어머", "시부모", "시아버", "감사", "고문", "간사",
      "기장", "선장", "함장", "방장", "피디", "호스트", "예약자",
      // a second review: grades and firsts, counts, a statement, a town
      "최우수", "최우선", "최상위", "최하위", "최고가", "최저가", "한명", "두명", "세명", "명세서", "조치원",
      // a fourth review: payments' and metrics' nouns
      "선결제", "후결제", "한도초", "유지율", "전환율", "연령대", "문의량", "장애문", "이탈율", "이탈률",
      // before 고객 / 회원 / 명의
      "우수", "우대", "장기", "단골", "주요", "소중한", "모든", "여러", "유료", "정기", "가입", "대상", "선정", "당첨",
      "온라인", "모바일", "대형", "소형", "고액", "소액", "성인", "노인", "장애인", "임산부", "국내", "방문", "한국",
      "연체", "대출", "예금", "주식", "기관", "단체", "공공", "일반", "해외", "외국인", "내국인", "전담", "담당",
      "상담", "문의", "불만", "민원", "탈퇴", "휴면", "정회원", "준회원", "평생", "명예", "특별", "이벤트", "기념",
      "시범", "체험", "무료", "유효", "가상", "테스트",
      // verbs' nouns and times before 고객님 ("배송중 고객님께", "신고 고객님")
      "사용", "사용중", "신청", "신고", "시도", "배송", "배송중", "배달", "배달중", "부재", "부재중", "부탁", "로그인",
      "해지", "전환", "주문", "결제", "구매", "환불", "반품", "교환", "정산", "송금", "이체", "입금", "출금", "충전",
      "상담중", "접수", "진행", "진행중", "예약", "연락", "발송", "도착", "수령", "일부", "이탈", "복귀", "재가입",
      "최초", "구독", "평일", "평일만", "주말", "야간", "오전", "오후", "당일", "익일", "금일", "명일", "전일", "주간",
      "배포", "장애", "점검", "이용", "이용중", "미납", "연체중", "보류중", "대기중", "처리중", "완료된", "해당되는",
      // found by review
      "소유자", "송금자", "계약자", "대표자", "계좌주", "이용한", "신청한", "가입한", "구입한", "주문한", "결제한",
      "선택한", "응모한", "참여한", "방문한", "예약한", "등록한", "인증한", "동의한", "부재시", "동의서", "경비원",
      "승무원", "주무관", "부서장", "연회원", "라이더", "매니저", "마케터", "한국인", "외국인", "내국인", "본인명의",
      "서명", "지원자", "수강자", "참가자", "응시자", "수험자", "당첨자", "후원자", "기부자", "봉사자", "사용자",
      "상담자", "수혜자", "청약자", "투자자", "연구자", "소비자", "생산자", "근로자", "노동자", "노약자", "고령자",
      "미성년자", "연예인", "직장인", "사회인", "일반인", "상속인", "관리인", "정치인", "경제인", "방송인", "예술인",
      "체육인", "문화인", "유명인", "주소지", "주소록", "도서산간", "수도권", "시공사", "시행사", "지주", "채권자",
      "채무자", "보증인", "연대보증인", "피해자", "가해자", "신고자", "제보자", "작성자", "등록자", "수정자", "승인자",
      "결재자", "요청인", "민원", "시청자", "구독자", "팬",
      // a status after a label ("담당자 배정중": a fifth review)
      "배정중", "연결중", "확인중", "검토중", "통화중", "준비중", "답변중", "회신중", "조회중", "안내중", "미배정",
      "미지정", "공석", "배정전", "연결전",
      // roles before 명의 (a sixth review)
      "소유주", "차용인", "차주인", "임차인명", "공동명의",
      // after a label
      "정보", "조회", "변경", "확인", "오류", "입력", "등록", "수정", "표시", "기재", "인증", "상이", "동일", "전체",
      "마스킹", "공개", "주소", "연락처", "전화", "전화번호", "성별", "명의", "성함", "이름", "기타", "이상", "상동",
      "신규", "기존", "우리", "주식회사", "유한회사", "합자회사", "사단법인", "재단법인", "공란", "미상", "동일인",
      "변경요청", "변경됨", "전송", "전달", "구분", "기준", "조건", "표기", "정정", "정확", "일치", "불일치", "공백",
      "비고", "선택", "필수", "형식", "모두", "각각", "전부", "상기", "하기", "아래", "해당", "도용", "명의도용",
      "법인", "개인", "사업자", "상호", "회사", "은행", "우체국", "농협", "신협", "수협", "하나", "국민", "신한",
      "기업", "카카오", "토스", "케이뱅크", "씨티", "공동", "공동명의", "단독", "미입력", "미등록", "미확인", "확인중",
      "확인필요", "본인확인", "실명", "실명확인", "검증", "조치", "처리", "보류", "대기", "완료", "취소", "요청",
      "안내", "고지", "참고", "유의", "주의", "동의", "거부", "거절", "승인", "반려", "제출", "누락", "없음", "있음",
      "상관", "무관", "관계", "관련", "다름", "같음", "예시", "예정", "임의", "가명", "익명", "비공개", "마스킹됨",
      "숨김", "변경불가", "수정불가"};
  return w;
}

// Verbs' nouns whose first syllable is a surname and second a given-name
// syllable: with 한, 중 or 시 after them ("문의한 고객님", "변경시 고객님",
// "배송중 고객님") they say what a customer did, not who. Not those that are
// also common names with such a syllable (정지한, 지연중 ...: 지한, 연중).
const Words& VerbNouns() {
  static const Words w{"문의", "전화", "변경", "주문", "방문", "송금", "배송", "전송", "전환", "신규", "우수",
                       "신청", "구매", "결제", "취소", "환불", "해지", "가입", "등록", "요청", "접수", "확인",
                       "예약", "이용", "사용", "입금", "출금", "반품", "교환", "처리", "상담", "인증", "발송",
                       "수령", "연락", "이체", "충전", "정산", "탈퇴", "연체", "미납", "분실", "도난", "발급",
                       "승인", "거절", "오류", "실패", "완료", "진행", "대기", "보류", "선택", "동의", "참여",
                       "응모", "구입", "설치", "수리", "점검", "개통", "해약", "갱신", "만료", "연장", "이전",
                       "이사", "배달", "지급", "신고", "조회", "로그", "인출", "적립"};
  return w;
}
bool VerbNounThenEnding(std::string_view name) {
  if (name.size() != 9) return false;
  const std::string_view end = name.substr(6);
  return (end == "한" || end == "중" || end == "시") && VerbNouns().Has(name.substr(0, 6));
}

// The honorifics a name takes right after it (in the same word).
const Words& Honorifics() {
  static const Words w{"님", "씨", "귀하", "고객님", "회원님"};
  return w;
}
// Whether `rest` starts with a staff title standing as a word ("과장",
// "대리님", "팀장 ..."): after a role label and a name, the name ends there.
bool StaffTitleWord(std::string_view rest) {
  for (std::string_view title : {"과장", "대리", "차장", "부장", "팀장", "주임", "사원", "실장", "점장", "매니저",
                                 "선임", "책임", "수석", "기사", "상담원", "상담사"}) {
    if (!rest.starts_with(title)) continue;
    std::string_view after = rest.substr(title.size());
    if (after.starts_with("님")) after.remove_prefix(3);
    if (after.empty() || static_cast<unsigned char>(after[0]) < 0x80) return true;
  }
  return false;
}

// The words after a name and a blank that make it a name.
const Words& NextWordHonorifics() {
  // (드림 and 올림: a letter's sign-off, "김민준 드림".)
  static const Words w{"고객님", "회원님", "님", "씨", "귀하", "선생님", "팀장님", "드림", "올림", "과장님", "대리님",
                       "부장님", "차장님", "실장님", "사장님", "대표님", "원장님", "교수님", "기사님", "주임님",
                       "매니저님",
                       // whose name an account or a contract is in: "김민준 명의로 된 계좌" (a
                       // fifth review)
                       "명의"};
  return w;
}
// Labels a name follows (as a word of their own, or the end of one:
// 수취인성명).
const Words& NameLabels() {
  static const Words w{"성명", "이름", "예금주", "예금주명", "고객명", "수취인", "수취인명", "받는분", "받는사람",
                       "보내는분", "보낸분", "송금인", "송금자", "입금자", "입금자명", "수령인", "수령자", "신청인",
                       "신청자", "명의자", "계좌주", "주문자", "구매자", "가입자", "대표자", "보호자", "성함", "실명",
                       "담당자", "발송인", "수신인", "수하인", "송하인", "피보험자", "계약자", "소유자", "차주",
                       "임차인", "임대인", "채무자", "보증인", "회원명", "주문자명", "보낸사람", "작성자", "고객성명",
                       "고객이름", "회원이름", "예금주성명", "수취인성명", "수령인명", "가입자명", "통장표시",
                       "구매자명", "보내는사람", "보낸분성명", "계좌주명", "받는이", "보내는이", "보낸이",
                       // found passing by review: a patient's name
                       "환자명"};
  return w;
}
// Roles a name follows as often as a noun does ("고객 김민준" and "고객
// 유형별", "회원 유지율": a third review): a name after them only as
// FindKoreanNames says below (a ':', '=' or bracket between, or a '('
// before a number after it).
// Staff by their role are among them: "상담원: 김민준", "[상담원] 김민준",
// "직원(김민준)", as a ticket names who took it ("상담원 연결", "직원
// 교육" are nouns).
const Words& RoleLabels() {
  static const Words w{"고객", "회원", "문의자", "요청자", "환자", "예약자", "민원인", "신고자", "신고인",
                       // staff (a review of support tickets: "상담원: 김민준" passed)
                       "상담원", "상담사", "상담직원", "직원", "담당", "담당직원", "매니저", "처리자", "접수자", "기사",
                       "배송기사", "설계사", "관리자", "책임자", "승인자", "결재자", "등록자", "수정자", "요청인",
                       "의뢰인", "문의고객", "상담고객", "팀장", "과장", "대리", "주임", "사원", "실장", "점장",
                       "지점장", "부장", "차장", "상담자", "안내자", "확인자", "처리담당"};
  return w;
}

// The closing bracket of the opening one `gap` ends with ("[", " (", "「",
// "<"), or empty: a name enclosed after a label, "고객[김민준]".
std::string_view CloserOf(std::string_view gap) {
  static constexpr std::pair<std::string_view, std::string_view> kPairs[] = {{"(", ")"},   {"[", "]"},   {"<", ">"},
                                                                             {"{", "}"},   {"「", "」"}, {"『", "』"},
                                                                             {"【", "】"}, {"〈", "〉"}, {"《", "》"}};
  for (const auto& [open, close] : kPairs)
    if (gap.ends_with(open)) return close;
  return {};
}
// The copula and endings an introduced name carries ("저는 김민준입니다",
// "제가 김민준인데요"); a noun after 저는 carries particles instead ("제가
// 고지서를", "전 한도가": a third review).
const Words& Copulas() {
  static const Words w{"입니다", "이고",   "이며", "인데요",   "인데",  "이에요",
                       "예요",   "이라고", "이요", "이라고요", "이구요"};
  return w;
}
// Particles (and the copula) a name or number may carry in the same word.
const Words& Particles() {
  static const Words w{"이",     "가",   "은",     "는",   "을",   "를",   "의",   "에게", "께",     "께서",   "에게서",
                       "한테",   "와",   "과",     "도",   "만",   "로",   "으로", "이고", "이며",   "입니다", "이다",
                       "이에요", "예요", "에",     "에서", "랑",   "이랑", "하고", "앞",   "앞으로", "명의",   "명의로",
                       "명의의", "님",   "씨",     "귀하", "까지", "부터", "요",   "이요", "입니까", "인지",   "인데",
                       "이라",   "라는", "이라는", "쪽",   "이신", "께로", "들",   "들께", "들의"};
  return w;
}

// Whether `rest` (whole syllables) is a sequence of particles (or empty).
bool ParticlesOnly(std::string_view rest, int depth = 0) {
  if (rest.empty()) return true;
  if (depth > 4) return false;
  for (std::string_view p : Particles().list())
    if (rest.starts_with(p) && ParticlesOnly(rest.substr(p.size()), depth + 1)) return true;
  return false;
}

bool HonorificThenParticles(std::string_view rest, bool three_syllables) {
  for (std::string_view h : Honorifics().list()) {
    if (!rest.starts_with(h)) continue;
    if (h == "씨" && !three_syllables) continue;  // 마음씨, 호박씨
    if (ParticlesOnly(rest.substr(h.size()))) return true;
  }
  return false;
}

struct Run {
  size_t b;
  size_t e;  // bytes; (e - b) / 3 syllables
};

// The length in bytes of the name a run starts with whose rest `accept`
// takes: three syllables (a common surname and two given-name syllables),
// or after a compound surname four, then three. 0 when none.
template <typename Accept>
size_t NameAt(std::string_view word, Accept accept) {
  const size_t syllables = word.size() / 3;
  if (syllables < 3) return 0;
  // A listed word with particles after it is that word ("정보가": 정보 and
  // 가, "성함이"), never a longer name.
  for (size_t len = 6; len <= word.size(); len += 3)
    if (NotNames().Has(word.substr(0, len)) && ParticlesOnly(word.substr(len))) return 0;
  size_t given_from = 0;
  size_t lengths[2];
  size_t k = 0;
  if (CompoundSurnames().Has(word.substr(0, 6))) {
    given_from = 6;
    if (syllables >= 4) lengths[k++] = 4;
    lengths[k++] = 3;
  } else if (Surnames().Has(word.substr(0, 3))) {
    given_from = 3;
    lengths[k++] = 3;  // a surname and two syllables: one-syllable given names are not read
  }
  for (size_t i = 0; i < k; ++i) {
    const size_t len = lengths[i] * 3;
    if (len > word.size()) continue;
    const std::string_view name = word.substr(0, len);
    bool given = true;
    for (size_t g = given_from; g < len && given; g += 3) given = GivenNameSyllable(name.substr(g, 3));
    if (!given || NotNames().Has(name)) continue;
    if (accept(word.substr(len), lengths[i])) return len;
  }
  return 0;
}

// Whether the text before `b` ends with an ASCII "name" label: "name:",
// "Name =", "customer_name: ".
bool AsciiNameLabelBefore(std::string_view t, size_t b) {
  size_t k = b;
  while (k > 0 && (t[k - 1] == ' ' || t[k - 1] == '\t' || t[k - 1] == '"' || t[k - 1] == '\'')) --k;
  if (k == 0 || (t[k - 1] != ':' && t[k - 1] != '=')) return false;
  --k;
  while (k > 0 && (t[k - 1] == ' ' || t[k - 1] == '\t' || t[k - 1] == '"' || t[k - 1] == '\'')) --k;
  if (k < 4) return false;
  const std::string_view w = t.substr(k - 4, 4);
  for (size_t i = 0; i < 4; ++i)
    if ((w[i] | 0x20) != "name"[i]) return false;
  // "name" alone, or after a person's word ("customer_name", "holderName",
  // "payee-name"); not a thing's ("bank_name", "product_name", "store_name")
  // nor "nickname" or "username".
  size_t j = k - 4;
  if (j == 0 || !AsciiAlnum(t[j - 1])) return true;
  const bool camel = w[0] == 'N';
  if (!camel && t[j - 1] != '_' && t[j - 1] != '-') return false;
  if (!camel) --j;
  size_t st = j;
  while (st > 0 && AsciiAlnum(t[st - 1]) && j - st < 24) --st;
  std::string lower;
  for (size_t x = st; x < j; ++x) lower.push_back(static_cast<char>(t[x] | 0x20));
  static constexpr std::string_view kPersons[] = {
      "customer", "cust",   "holder",      "accountholder", "owner",   "recipient", "receiver",  "sender",
      "payer",    "payee",  "depositor",   "buyer",         "orderer", "applicant", "full",      "first",
      "last",     "real",   "legal",       "kor",           "korean",  "person",    "client",    "guest",
      "patient",  "member", "beneficiary", "contact",       "emp",     "employee",  "user_real", "given",
      "family",   "middle", "remitter",    "account_holder"};
  for (std::string_view p : kPersons)
    if (lower == p ||
        (lower.size() > p.size() && lower.ends_with(p) && !AsciiAlnum(lower[lower.size() - p.size() - 1])))
      return true;
  return false;
}

// Whether the text before `b` ends with an ASCII word for the person a name
// is, as a label: "depositor: ", "Account Holder ", "recipient=",
// "\"holder\":\"" (JSON in a memo), "&depositor=" (a query string); its last
// part after '_', '-', a blank or a capital ("account_holder",
// "vbankDepositor").
bool AsciiPersonLabelBefore(std::string_view t, size_t b) {
  size_t k = b;
  const auto skip = [&] {
    while (k > 0 && (t[k - 1] == ' ' || t[k - 1] == '\t' || t[k - 1] == '"' || t[k - 1] == '\'')) --k;
  };
  skip();
  if (k > 0 && (t[k - 1] == ':' || t[k - 1] == '=')) {
    --k;
    skip();
  }
  if (k == b) return false;
  size_t st = k;
  while (st > 0 && k - st < 16 && ((t[st - 1] | 0x20) >= 'a' && (t[st - 1] | 0x20) <= 'z')) {
    --st;
    // camel case: the last part ("vbankDepositor"; "DEPOSITOR" is one word)
    if (t[st] >= 'A' && t[st] <= 'Z' && st > 0 && t[st - 1] >= 'a' && t[st - 1] <= 'z') break;
  }
  if (k - st < 5 || k - st > 13 || (st > 0 && AsciiDigit(t[st - 1]))) return false;  // (5-13: payee .. accountholder)
  char buf[16];
  for (size_t x = st; x < k; ++x) buf[x - st] = static_cast<char>(t[x] | 0x20);
  const std::string_view lower(buf, k - st);
  static constexpr std::string_view kNamed[] = {
      "holder",        "depositor",    "recipient", "receiver",  "payee",     "payer",   "beneficiary",
      "sender",        "remitter",     "consignee", "addressee", "orderer",   "buyer",   "cardholder",
      "accountholder", "policyholder", "owner",     "customer",  "applicant", "guardian"};
  for (std::string_view p : kNamed)
    if (lower == p) return true;
  return false;
}

// What lies between a label and the name: blanks, ':', '=', '-', brackets,
// '/', '|', quotes (at most five bytes, at least one).
bool LabelGap(std::string_view gap) {
  if (gap.empty() || gap.size() > 8) return false;
  size_t ascii = 0;
  for (size_t i = 0; i < gap.size();) {
    // 「 」 『 』 (U+300C-300F), as Korean text quotes a name, and 〈 〉 《 》
    // 【 】 (U+3008-300B, U+3010-3011).
    if (gap.substr(i, 2) == "\xE3\x80" && i + 2 < gap.size()) {
      const auto c = static_cast<unsigned char>(gap[i + 2]);
      if (c < 0x88 || c > 0x91) return false;
      i += 3;
      continue;
    }
    if (std::string_view(" \t:=-([])/|\"'<>").find(gap[i]) == std::string_view::npos) return false;
    ++ascii;
    ++i;
  }
  return ascii <= 5;
}

// Whether w is a 시/도 or a city (korean_text.cc's address lists, below).
bool IsPlaceName(std::string_view w);

// Whether the word `pw` (a run before a name) is a label, or a label with
// particles after it ("이름은"); or the second word of a two-word one
// ("받는 분", "보내는 분", "통장 표시") with `ppw` the word before it.
bool IsNameLabel(std::string_view pw, std::string_view ppw) {
  if (NameLabels().Has(pw)) return true;
  for (size_t len = 6; len < pw.size(); len += 3)
    if (NameLabels().Has(pw.substr(0, len)) && ParticlesOnly(pw.substr(len))) return true;
  if (pw == "분" || pw == "사람" || pw == "이") return ppw == "받는" || ppw == "보내는" || ppw == "보낸";
  if (pw == "표시") return ppw == "통장";
  // A form's spaced label: 성 명 : 김민준, 성 함, 이 름.
  if (pw == "명" || pw == "함") return ppw == "성";
  if (pw == "름") return ppw == "이";
  return false;
}

// Whether an e-mail header's word stands in the 16 bytes before b: To:,
// From:, Cc:, Bcc:, Reply-To:, 보낸 사람, 받는 사람, 보낸사람, 받는사람.
bool HeaderWordBefore(std::string_view t, size_t b) {
  const size_t from = b > 16 ? b - 16 : 0;
  std::string lower(t.substr(from, b - from));
  for (char& ch : lower) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  for (std::string_view w : {"to:", "from:", "cc:", "reply-to:", "보낸 사람", "받는 사람", "보낸사람", "받는사람"})
    if (lower.find(w) != std::string::npos) return true;
  return false;
}

// Whether an address is a role's mailbox (noreply@, cs@, help@, ...): its
// display name is a company's or a document's ("\"주문서\" <cs@…>").
bool RoleMailbox(std::string_view addr) {
  const size_t at = addr.find('@');
  if (at == std::string_view::npos) return false;
  std::string local(addr.substr(0, at));
  for (char& ch : local) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  for (std::string_view w :
       {"noreply", "no-reply", "no_reply",  "donotreply", "do-not-reply", "cs",     "help",   "info",
        "admin",   "support",  "service",   "billing",    "order",        "orders", "notice", "news",
        "mail",    "master",   "webmaster", "contact",    "sales",        "team",   "hello"})
    if (local == w) return true;
  return false;
}

}  // namespace

bool MayHoldHangul(std::string_view text) {
  // ASCII text (most values) eight bytes at a time.
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t v = 0;
    std::memcpy(&v, text.data() + i, 8);
    if ((v & 0x8080808080808080ULL) != 0) break;
  }
  for (; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b >= 0xEA && b <= 0xED) return true;
  }
  return false;
}

void FindKoreanNames(std::string_view t, std::vector<std::pair<size_t, size_t>>* out) {
  thread_local std::vector<Run> runs;
  runs.clear();
  for (size_t i = 0; i < t.size();) {
    if (!SyllableAt(t, i)) {
      ++i;
      continue;
    }
    const size_t b = i;
    while (SyllableAt(t, i)) i += 3;
    runs.push_back({b, i});
  }
  const auto word_of = [&](size_t r) { return t.substr(runs[r].b, runs[r].e - runs[r].b); };
  // The last syllables of the labels (and of 받는 분, 통장 표시), sorted.
  static const std::vector<uint32_t> kLabelEnds = [] {
    std::vector<uint32_t> ends{SyllableCp("분", 0), SyllableCp("시", 0)};
    for (std::string_view l : NameLabels().list()) ends.push_back(SyllableCp(l, l.size() - 3));
    for (std::string_view l : RoleLabels().list()) ends.push_back(SyllableCp(l, l.size() - 3));
    std::sort(ends.begin(), ends.end());
    ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
    return ends;
  }();
  for (size_t r = 0; r < runs.size(); ++r) {
    const Run& run = runs[r];
    const std::string_view word = word_of(r);
    if (word.size() < 9) continue;  // three syllables at least
    // A word glued to letters or digits is part of something else (a
    // deposit name with digits after it only after a label: "입금자명
    // 홍길동0312").
    const bool digit_after = run.e < t.size() && AsciiDigit(t[run.e]);
    if ((run.b > 0 && AsciiAlnum(t[run.b - 1])) || (run.e < t.size() && AsciiAlnum(t[run.e]) && !digit_after)) continue;
    // A first look before the word lists: 님 U+B2D8, 씨 U+C528, 귀 U+ADC0,
    // 고 U+ACE0, 회 U+D68C in the word after its third syllable, or in the
    // next word; a word before it.
    bool honorific_in = false;
    for (size_t k = 9; k + 3 <= word.size() && k <= 12 && !honorific_in; k += 3)
      honorific_in = SyllableIn(t, run.b + k, {0xB2D8, 0xC528, 0xADC0, 0xACE0, 0xD68C});
    bool honorific_next = false;
    if (r + 1 < runs.size()) {
      const std::string_view gap = t.substr(run.e, runs[r + 1].b - run.e);
      if (gap == " " || gap == "  ")
        for (size_t k = runs[r + 1].b; k < runs[r + 1].e && k < runs[r + 1].b + 15 && !honorific_next; k += 3)
          honorific_next = SyllableIn(t, k,
                                      {0xB2D8, 0xC528, 0xADC0, 0xACE0, 0xD68C, 0xB4DC, 0xC62C,  // 드림 올림
                                       0xBA85});                                                // 명의
    }
    // A label's word before it: one of its syllables ends a label (이름은,
    // 예금주:, 받는 분), compared as code points before any word list.
    bool word_before = false;
    if (r > 0 && run.b - runs[r - 1].e <= 8)
      for (size_t k = runs[r - 1].b; k < runs[r - 1].e && !word_before; k += 3)
        word_before = std::binary_search(kLabelEnds.begin(), kLabelEnds.end(), SyllableCp(t, k));
    // An e-mail's display name: quoted ("\"김민준\" <kim@…>"), or after a
    // header's word ("To: 김민준 <kim@example.com>", "보낸 사람: 김민준<kim@…>");
    // a name-shaped word alone before an address is as often a document's
    // or a sender's ("주문서 <noreply@…>": a third review).
    bool display_name = false;
    {
      size_t k = run.e;
      const bool quoted = k < t.size() && t[k] == '"' && run.b > 0 && t[run.b - 1] == '"';
      if (quoted) ++k;
      for (size_t n = 0; n < 2 && k < t.size() && t[k] == ' '; ++n) ++k;
      display_name = k + 1 < t.size() && t[k] == '<' && t.substr(k + 1, 70).find('@') != std::string_view::npos &&
                     (HeaderWordBefore(t, run.b) || (quoted && !RoleMailbox(t.substr(k + 1, 70))));
    }
    // An introduction's word right before it (저는, 제가, 전, 저, 본인은):
    // compared whole, not by its last syllable (는, 가 and 은 end every
    // other word).
    bool intro = false;
    if (r > 0 && run.b - runs[r - 1].e == 1 && t[runs[r - 1].e] == ' ') {
      const std::string_view pw = word_of(r - 1);
      // A staff member introducing themselves: "상담원 김하은입니다" (a
      // fifth review).
      intro = pw == "저는" || pw == "제가" || pw == "전" || pw == "저" || pw == "본인은" || pw == "상담원" ||
              pw == "상담사" || pw == "담당자" || pw == "매니저" || pw == "기사" || pw == "배송기사";
    }
    // A label with the script in parentheses: "성명(한글) 김민준", "예금주
    // (국문): 김민준" (a fifth review).
    bool qualified = false;
    if (r > 1 && runs[r - 1].b - runs[r - 2].e <= 2 && run.b - runs[r - 1].e <= 4) {
      const std::string_view q = word_of(r - 1);
      const std::string_view open = t.substr(runs[r - 2].e, runs[r - 1].b - runs[r - 2].e);
      const std::string_view close = t.substr(runs[r - 1].e, run.b - runs[r - 1].e);
      qualified = (q == "한글" || q == "국문" || q == "한자") && (open == "(" || open == " (") &&
                  (close == ") " || close == "):" || close == "): " || close == ")") &&
                  IsNameLabel(word_of(r - 2), r > 2 ? word_of(r - 3) : std::string_view());
    }
    // A role or a label after it inside brackets: "[김민준 고객]", "<김민준
    // 상담원>", "(김민준 담당자)", "【김민준 예금주】".
    bool role_after = false;
    if (run.b > 0 && r + 1 < runs.size() && runs[r + 1].b == run.e + 1 && t[run.e] == ' ') {
      const size_t from = run.b > 3 ? run.b - 3 : 0;
      const std::string_view closer = CloserOf(t.substr(from, run.b - from));
      if (!closer.empty() && t.substr(runs[r + 1].e).starts_with(closer)) {
        const std::string_view nw = word_of(r + 1);
        role_after = RoleLabels().Has(nw) || NameLabels().Has(nw);
      }
    }
    if (!honorific_in && !honorific_next && !word_before && !intro && !display_name && !qualified && !role_after &&
        !AsciiNameLabelBefore(t, run.b) && !AsciiPersonLabelBefore(t, run.b))
      continue;
    size_t len = 0;
    // An honorific in the word: 김민준님, 김민준님께서, 홍길동씨, 김민준고객님.
    if (honorific_in && !digit_after)
      len = NameAt(word, [](std::string_view rest, size_t syllables) {
        return !rest.empty() && HonorificThenParticles(rest, syllables == 3);
      });
    // An honorific word after one or two blanks: 김민준 고객님, 박지훈 팀장님.
    if (len == 0 && honorific_next && !digit_after) {
      const Run& next = runs[r + 1];
      const std::string_view nw = word_of(r + 1);
      const bool ends_next = next.e == t.size() || !AsciiAlnum(t[next.e]);
      bool honorific = false;
      for (std::string_view h : NextWordHonorifics().list())
        if (nw.starts_with(h) && ParticlesOnly(nw.substr(h.size())) && ends_next && !(h == "씨" && word.size() != 9))
          honorific = true;
      // A sign-off (드림, 올림) ends a line: "김민준 드림", not "주문서 드림 예정".
      if (honorific && (nw == "드림" || nw == "올림")) {
        size_t k = next.e;
        while (k < t.size() && (t[k] == ' ' || t[k] == '.' || t[k] == '!')) ++k;
        honorific = k == t.size() || t[k] == '\n' || t[k] == '\r';
      }
      // 고객 or 회원 alone, as a heading before what is said of them:
      // "김민준 고객(주민번호 …)", "김민준 고객, 010-…", "김민준 회원: 요청".
      if (nw == "고객" || nw == "회원") {
        size_t k = next.e;
        if (k + 1 < t.size() && t[k] == ' ' && t[k + 1] == '(') ++k;  // "김민준 회원 (VIP)"
        if (k == t.size() || std::string_view("(,:/.)").find(t[k]) != std::string_view::npos) honorific = true;
      }

      // Not a verb's noun with 한/중/시 (what a customer did: "문의한 고객님");
      // with a label before it or 님 glued to it, such a word is a name
      // (예금주 장기한, 이용한님).
      if (honorific && !VerbNounThenEnding(word.substr(0, std::min<size_t>(word.size(), 9))))
        len = NameAt(word, [](std::string_view rest, size_t) { return rest.empty(); });
    }
    if (len == 0 && role_after && !VerbNounThenEnding(word.substr(0, std::min<size_t>(word.size(), 9))))
      len = NameAt(word, [](std::string_view rest, size_t) { return rest.empty(); });
    // A label before it: 예금주 김민준, 성명: 김민준으로, [예금주] 홍길동,
    // 받는 분: 박서준, name: 김민준.
    if (len == 0) {
      bool labelled = qualified || AsciiNameLabelBefore(t, run.b) || AsciiPersonLabelBefore(t, run.b);
      if (!labelled && word_before && LabelGap(t.substr(runs[r - 1].e, run.b - runs[r - 1].e))) {
        labelled = IsNameLabel(word_of(r - 1), r > 1 ? word_of(r - 2) : std::string_view());
      }
      if (labelled) len = NameAt(word, [](std::string_view rest, size_t) { return ParticlesOnly(rest); });
    }
    // After a role (RoleLabels), with a ':', '=' or bracket between or
    // not: the name whole (no particle), and what follows it says the
    // sentence does not go on in Korean: with the mark, the end, a line's
    // end, ',', ')', '/' or a blank before something that is not Hangul
    // ("고객: 김민준 010-…"); with or without it, a '(' before a digit or a
    // number's word ("고객 김민준(주민번호 …)"). Nouns after a role go on
    // ("고객: 선결제 취소", "고객 유지율(%)", "회원 연령대(전월 대비)": a
    // fourth review).
    if (len == 0 && word_before && r > 0 && RoleLabels().Has(word_of(r - 1)) &&
        LabelGap(t.substr(runs[r - 1].e, run.b - runs[r - 1].e))) {
      const std::string_view gap = t.substr(runs[r - 1].e, run.b - runs[r - 1].e);
      // (A non-ASCII byte in a gap is one of LabelGap's brackets: 「 【 〈.)
      const bool marked = gap.find_first_of(":=[]<>\xE3") != std::string_view::npos;
      // The name in brackets after the role: "고객(김민준)이 전화함" (a
      // fifth review), "고객[김민준]", "고객<김민준>", "고객 [김민준]",
      // "고객「김민준」".
      const std::string_view closer = CloserOf(gap);
      const bool enclosed = !closer.empty() && t.substr(run.e).starts_with(closer);
      // (Without a mark, only a '(' before a number: "고객 지원금" at the end,
      // "고객 문의량, …" are nouns.)
      const size_t e = run.e;
      bool ends = false;
      if (enclosed) {
        ends = true;
      } else if (e == t.size()) {
        ends = marked;
      } else if (t[e] == ',' || t[e] == '/' || t[e] == ')' || t[e] == ']' || t[e] == '>' || t[e] == '\n' ||
                 t[e] == '\r' || t[e] == '.' || t[e] == '!' || t[e] == '?' || t[e] == ';') {
        // (A sentence's end too: "상담원: 김민준." — a later review.)
        ends = marked;  // ("고객 문의량, 전주 대비", "고객 전환율/매출": nouns)
      } else if (t[e] == ' ') {
        // Or a staff title after it: "담당: 김민준 과장" (a later review).
        ends = marked &&
               (e + 1 == t.size() || static_cast<unsigned char>(t[e + 1]) < 0x80 || StaffTitleWord(t.substr(e + 1)));
      } else if (t[e] == '(') {
        const std::string_view in = t.substr(e + 1);
        ends = (!in.empty() && AsciiDigit(in[0])) || in.starts_with("주민") || in.starts_with("연락") ||
               in.starts_with("전화") || in.starts_with("휴대") || in.starts_with("+82") ||
               in.starts_with("내선");  // "상담원 김민준(내선 1234)"
      }
      if (ends) len = NameAt(word, [](std::string_view rest, size_t) { return rest.empty(); });
    }
    // An introduction (저는, 제가, 전, 저, 본인은) before a name with the
    // copula (저는 김민준입니다).
    if (len == 0 && intro) len = NameAt(word, [](std::string_view rest, size_t) { return Copulas().Has(rest); });
    // After a staff word, a word ending in 중 is what they are doing ("배송기사
    // 이동중입니다", "상담원 전화중입니다": a sixth review), not a name.
    if (len != 0 && intro && word.substr(0, len).ends_with("중") && r > 0 && word_of(r - 1) != "저는" &&
        word_of(r - 1) != "제가" && word_of(r - 1) != "전" && word_of(r - 1) != "저" && word_of(r - 1) != "본인은")
      len = 0;
    if (len == 0 && display_name) len = NameAt(word, [](std::string_view rest, size_t) { return rest.empty(); });
    if (len != 0) {
      // A place's name is none ("제주도 고객님", "서울시").
      const std::string_view name = word.substr(0, len);
      if (IsPlaceName(name)) continue;
      out->emplace_back(run.b, run.b + len);
    }
  }
}

namespace {

// Korean surnames as they are romanized (the common spellings of each:
// 김 Kim/Gim, 이 Lee/Yi/Rhee/Ri, 박 Park/Pak/Bak, ...), lower case.
const Words& RomanizedSurnames() {
  static const Words w{
      "kim",   "gim",     "lee",    "yi",    "rhee",   "ri",     "rhie",   "park",   "pak",     "bak",     "bahk",
      "choi",  "choe",    "choy",   "jung",  "jeong",  "chung",  "cheong", "joung",  "kang",    "gang",    "cho",
      "jo",    "joe",     "yoon",   "yun",   "youn",   "jang",   "chang",  "lim",    "im",      "lym",     "rim",
      "yim",   "han",     "hahn",   "oh",    "seo",    "suh",    "sur",    "shin",   "sin",     "kwon",    "gwon",
      "hwang", "whang",   "ahn",    "an",    "song",   "yoo",    "yu",     "ryu",    "you",     "ryoo",    "hong",
      "jeon",  "jun",     "chun",   "jeun",  "chon",   "ko",     "go",     "koh",    "moon",    "mun",     "yang",
      "son",   "sohn",    "bae",    "pae",   "baek",   "paik",   "paek",   "back",   "heo",     "hur",     "huh",
      "nam",   "noh",     "roh",    "no",    "ro",     "ha",     "kwak",   "gwak",   "sung",    "seong",   "cha",
      "joo",   "ju",      "woo",    "wu",    "min",    "na",     "ra",     "jin",    "chin",    "ji",      "jee",
      "eom",   "um",      "uhm",    "chae",  "won",    "bang",   "pang",   "gong",   "kong",    "hyun",    "hyeon",
      "ham",   "hahm",    "byun",   "byeon", "pyun",   "yeom",   "yum",    "yeo",    "yuh",     "choo",    "chu",
      "do",    "doh",     "so",     "seok",  "suk",    "sun",    "seon",   "ma",     "gil",     "kil",     "pyo",
      "myung", "myeong",  "ban",    "wang",  "geum",   "keum",   "ok",     "tak",    "guk",     "kook",    "maeng",
      "shim",  "sim",     "cheon",  "yook",  "yuk",    "in",     "bong",   "seol",   "sul",     "yeon",    "wi",
      "wee",   "pyeon",   "yong",   "ye",    "eun",    "mo",     "ki",     "gi",     "namgung", "namkung", "hwangbo",
      "jegal", "seonwoo", "sunwoo", "dokgo", "seomun", "sagong", "kyung",  "gyeong", "lyu",     "yeum",    "gu",
      "koo",   "ku",      "nah",    "chey",  "tae",    "mok",    "bin",    "pi",     "seung"};
  return w;
}

// English words of a romanized syllable's shape that stand in names of
// things ("product name: Kim Chi Set", "Name: Seoul Team"): a surname beside
// one of them is no name.
const Words& LatinNotNames() {
  static const Words w{
      "set",     "team", "korea", "seoul", "busan", "demo", "bot",  "one",  "none", "main",  "mini",  "man",    "time",
      "home",    "game", "sale",  "tea",   "line",  "nine", "tone", "note", "hope", "site",  "page",  "date",   "rate",
      "name",    "type", "code",  "mode",  "data",  "ping", "king", "long", "pong", "mango", "tango", "kimchi", "kakao",
      "bulgogi", "chi",  "pine",  "dine",  "mine",  "bone", "cone", "dome", "done", "gone",  "lone",  "tune",   "lune",
      "dune",    "mule", "rule",  "sole",  "pole",  "hole", "mole", "tale", "male", "pale",  "bale",  "kale",   "lime",
      "dime",    "mime", "tile",  "pile",  "mile",  "nil",  "tin",  "pin",  "sit",  "hit",   "kit",   "pit",    "bit",
      "hat",     "mat",  "pat",   "bat",   "cat",   "net",  "pet",  "bet",  "jet",  "let",   "met",   "get",    "hot",
      "pot",     "lot",  "not",   "dot",   "got",   "tot",  "gun",  "nun",  "pun",  "bun",   "hum",   "gum",    "sum",
      "tip",     "top",  "hop",   "pop",   "mop",   "sip",  "sea",  "pea",  "lea",  "ten",   "den",   "hen",    "men",
      "pen",     "ken",  "mall",  "hall",  "bell",  "sell", "tell", "well", "hill", "mill",  "pill",  "till",   "doll",
      "poll",    "toll", "full",  "pull",  "bull",  "dull", "hull", "gull", "null", "tall",  "ball",  "call",   "test",
      "temp",    "lab",  "pro",   "max",   "plus",  "new",  "old",  "big",  "top",  "best",  "good",  "bad",    "yes",
      "moon",    "bang", "gang",  "so",    "no",    "do",   "go",   "in",   "on",   "up",    "ok",    "to",     "at",
      "is"};
  return w;
}

// Whether `w` (lower-case letters) is one to `max` syllables of romanized
// Korean (Revised Romanization, McCune-Reischauer without marks, and the
// usual spellings of names: oo, ee, ou): Minjun, Seoyeon, Jihoon, Yuna.
bool RomanizedSyllables(std::string_view w, int max) {
  static constexpr std::string_view kInitials[] = {"",  "g", "k",  "kk", "n",  "d",  "t", "tt", "r",  "l", "m",
                                                   "b", "p", "pp", "s",  "ss", "sh", "j", "jj", "ch", "h"};
  static constexpr std::string_view kVowels[] = {"a",  "ae",  "ya", "yae", "eo", "e",   "yeo", "ye",  "o",
                                                 "wa", "wae", "oe", "yo",  "u",  "wo",  "we",  "wi",  "yu",
                                                 "eu", "ui",  "i",  "oo",  "ee", "eui", "ou",  "yoo", "uh"};
  // (No final t: given names' syllables rarely end in it, English words
  // often do: "Title", "Set".)
  static constexpr std::string_view kFinals[] = {"", "k", "n", "l", "m", "p", "ng"};
  if (w.empty() || w.size() > 16) return false;
  std::array<int, 17> best;
  best.fill(1000);
  best[0] = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (best[i] >= max) continue;
    for (std::string_view in : kInitials) {
      if (w.substr(i).substr(0, in.size()) != in) continue;
      const size_t v0 = i + in.size();
      for (std::string_view v : kVowels) {
        if (w.substr(v0).substr(0, v.size()) != v) continue;
        const size_t f0 = v0 + v.size();
        for (std::string_view f : kFinals) {
          if (w.substr(f0).substr(0, f.size()) != f) continue;
          const size_t j = f0 + f.size();
          best[j] = std::min(best[j], best[i] + 1);
        }
      }
    }
  }
  return best[w.size()] <= max;
}

bool AsciiUpper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool AsciiLower(char c) {
  return c >= 'a' && c <= 'z';
}

// Whether the text before `c` (a ':' or '=') is a label of a person's name:
// "Name", "Full name", "Customer name", "Account holder", "Cardholder",
// "Recipient name", "beneficiary", "holderName", "account_holder"; or a
// Korean label (예금주, 성명, 고객, 상담원, 영문명). Not a thing's name
// ("file name", "product name", "bank_name", "username").
bool LatinNameLabelBefore(std::string_view t, size_t c) {
  size_t k = c;
  while (k > 0 && (t[k - 1] == ' ' || t[k - 1] == '\t' || t[k - 1] == '"' || t[k - 1] == '\'') && c - k < 4) --k;
  if (k == 0) return false;
  if (k >= 3 && SyllableAt(t, k - 3)) {
    size_t b = k;
    while (b >= 3 && SyllableAt(t, b - 3) && k - b < 24) b -= 3;
    if (b > 0 && AsciiAlnum(t[b - 1])) return false;
    const std::string_view w = t.substr(b, k - b);
    return IsNameLabel(w, {}) || RoleLabels().Has(w) || w == "영문명" || w == "영문이름" || w == "영문성명" ||
           w == "영문" || w == "카드소유자" || w == "소유자";
  }
  // The words before it, last first, lower case; how each is joined to the
  // one after it (' ' or '_', '-', a capital).
  std::array<std::string, 3> words;
  std::array<char, 3> joined{};
  size_t n = 0;
  size_t e = k;
  while (n < 3) {
    size_t b = e;
    while (b > 0 && (AsciiLower(t[b - 1]) || AsciiUpper(t[b - 1])) && e - b < 16) {
      --b;
      // camel case: "holderName" is holder and Name
      if (AsciiUpper(t[b]) && b > 0 && AsciiLower(t[b - 1])) break;
    }
    if (b == e || e - b >= 16) break;
    std::string& w = words[n];
    for (size_t x = b; x < e; ++x) w.push_back(static_cast<char>(t[x] | 0x20));
    ++n;
    if (b == 0) break;
    if (AsciiLower(t[b - 1])) {  // a camel case part
      joined[n - 1] = 'C';
      e = b;
    } else if ((t[b - 1] == ' ' || t[b - 1] == '_' || t[b - 1] == '-') && b > 1 &&
               (AsciiLower(t[b - 2]) || AsciiUpper(t[b - 2]))) {
      joined[n - 1] = t[b - 1];
      e = b - 1;
    } else {
      if (AsciiDigit(t[b - 1])) return false;  // "v2name"
      break;
    }
  }
  if (n == 0) return false;
  static constexpr std::string_view kPersons[] = {
      "holder",    "cardholder", "accountholder", "beneficiary", "recipient",   "payee",    "payer",
      "sender",    "depositor",  "owner",         "remitter",    "receiver",    "customer", "client",
      "consignee", "addressee",  "applicant",     "guardian",    "policyholder"};
  const auto person = [](std::string_view w) {
    for (std::string_view p : kPersons)
      if (w == p) return true;
    return false;
  };
  if (person(words[0])) return true;  // "Account holder", "card holder", "beneficiary"
  if (words[0] != "name") return false;
  if (n == 1 || joined[0] == 0) return true;  // "Name:", "name ="
  const std::string_view before = words[1];
  if (person(before)) return true;  // "Recipient name", "holderName", "account_holder_name"
  static constexpr std::string_view kPersonsBeforeName[] = {
      "full",   "legal",   "real",    "member", "guest", "patient", "english", "eng", "korean",  "kor",
      "person", "contact", "account", "given",  "first", "last",    "cust",    "emp", "employee"};
  for (std::string_view p : kPersonsBeforeName)
    if (before == p) return true;
  // Another word joined by '_', '-' or a capital names a thing's name
  // ("bank_name", "fileName"); after a blank, only a thing's word does
  // ("file name", "product name").
  if (joined[0] != ' ') return false;
  static constexpr std::string_view kThings[] = {
      "file",     "product",  "item",     "bank",    "user",    "nick",     "store",   "shop",   "company",  "brand",
      "merchant", "branch",   "app",      "device",  "host",    "domain",   "project", "plan",   "service",  "event",
      "course",   "team",     "group",    "org",     "field",   "column",   "table",   "key",    "server",   "model",
      "type",     "class",    "package",  "module",  "folder",  "dir",      "path",    "image",  "document", "doc",
      "report",   "campaign", "coupon",   "promo",   "vendor",  "seller",   "card",    "goods",  "menu",     "category",
      "site",     "page",     "tag",      "label",   "screen",  "business", "corp",    "school", "hospital", "city",
      "street",   "road",     "building", "place",   "venue",   "hotel",    "job",     "task",   "variable", "function",
      "method",   "test",     "sheet",    "tab",     "network", "queue",    "topic",   "stream", "bucket",   "database",
      "schema",   "repo",     "machine",  "display", "game",    "song",     "album",   "movie",  "book",     "pet",
      "dog",      "cat",      "ship",     "vessel",  "region",  "country",  "state"};
  for (std::string_view th : kThings)
    if (before == th) return false;
  return true;
}

// A romanized word at `i`: a capital and lower-case letters ("Minjun"),
// capitals ("MINJUN"), with one hyphen inside ("Min-jun", "Ji-Hoon",
// "MIN-JUN"). Its end, or i when there is none.
size_t LatinNameWordAt(std::string_view t, size_t i) {
  if (i >= t.size() || !AsciiUpper(t[i])) return i;
  size_t j = i + 1;
  const bool caps = j < t.size() && AsciiUpper(t[j]);
  bool hyphen = false;
  while (j < t.size() && j - i <= 24) {
    if (caps ? AsciiUpper(t[j]) : AsciiLower(t[j])) {
      ++j;
    } else if (t[j] == '-' && !hyphen && j + 1 < t.size() && (AsciiUpper(t[j + 1]) || AsciiLower(t[j + 1])) &&
               (caps ? AsciiUpper(t[j + 1]) : true)) {
      hyphen = true;
      j += 2;
    } else {
      break;
    }
  }
  if (j - i < 2 || j - i > 24) return i;
  // Glued to more of a word, an address or a number: no name's word.
  if (j < t.size() && (AsciiAlnum(t[j]) || t[j] == '@' || t[j] == '_' || t[j] == '\'')) return i;
  if (j + 1 < t.size() && (t[j] == '.' || t[j] == '-' || t[j] == '/') && AsciiAlnum(t[j + 1])) return i;
  return j;
}

// Whether the romanized word (letters, one hyphen) is a given name's: one
// to three syllables in all, each hyphenated part one or two.
bool RomanizedGivenWord(std::string_view w, int max) {
  std::string lower;
  for (char ch : w)
    if (ch != '-') lower.push_back(static_cast<char>(ch | 0x20));
  if (LatinNotNames().Has(lower)) return false;
  const size_t hy = w.find('-');
  if (hy == std::string_view::npos) return RomanizedSyllables(lower, max);
  std::string a(lower.substr(0, hy));
  std::string b(lower.substr(hy));
  return RomanizedSyllables(a, 2) && RomanizedSyllables(b, 2);
}

bool RomanizedSurname(std::string_view w) {
  if (w.find('-') != std::string_view::npos || w.size() > 8) return false;
  std::string lower;
  for (char ch : w) lower.push_back(static_cast<char>(ch | 0x20));
  return RomanizedSurnames().Has(lower);
}

}  // namespace

void FindRomanizedKoreanNames(std::string_view t, std::vector<std::pair<size_t, size_t>>* out) {
  // Each ':' and '=' in order, by memchr (find_first_of reads a byte at a
  // time: a plain text's scan took four times as long).
  size_t colon = t.find(':');
  size_t equals = t.find('=');
  while (colon != std::string_view::npos || equals != std::string_view::npos) {
    const size_t c = std::min(colon, equals);
    if (c == colon) colon = t.find(':', c + 1);
    if (c == equals) equals = t.find('=', c + 1);
    // The name: after blanks and a quote.
    size_t i = c + 1;
    while (i < t.size() && i - c <= 3 && (t[i] == ' ' || t[i] == '\t')) ++i;
    if (i < t.size() && (t[i] == '"' || t[i] == '\'')) ++i;
    if (i >= t.size() || !AsciiUpper(t[i])) continue;
    if (!LatinNameLabelBefore(t, c)) continue;
    // Its words: one blank between them, or ", " after the first (a surname
    // first: "Choi, Yuna"); a word a ':' follows is the next label's.
    std::array<std::pair<size_t, size_t>, 4> words;
    size_t n = 0;
    bool comma = false;
    size_t at = i;
    while (n < 4) {
      const size_t e = LatinNameWordAt(t, at);
      if (e == at) break;
      size_t k = e;
      while (k < t.size() && k - e < 2 && t[k] == ' ') ++k;
      if (k < t.size() && (t[k] == ':' || t[k] == '=')) break;  // "Name: Kim Minjun Phone: …"
      words[n++] = {at, e};
      if (e + 1 < t.size() && t[e] == ' ' && AsciiUpper(t[e + 1])) {
        at = e + 1;
      } else if (n == 1 && e + 2 < t.size() && t[e] == ',' && t[e + 1] == ' ' && AsciiUpper(t[e + 2])) {
        comma = true;
        at = e + 2;
      } else {
        break;
      }
    }
    // Two or three words: a fourth one capitalized makes a title, not a
    // name ("Ha Noi Office Tower").
    if (n < 2 || n > 3) continue;
    const auto word = [&](size_t x) { return t.substr(words[x].first, words[x].second - words[x].first); };
    // The surname first ("Kim Minjun", "KIM MIN JUN", "Choi, Yuna") or last
    // ("Minjun Kim"), every other word a given name's.
    const int per_word = n == 2 ? 3 : 2;
    bool name = false;
    if (RomanizedSurname(word(0))) {
      name = true;
      for (size_t x = 1; x < n && name; ++x) name = RomanizedGivenWord(word(x), per_word);
    }
    if (!name && !comma && RomanizedSurname(word(n - 1))) {
      name = true;
      for (size_t x = 0; x + 1 < n && name; ++x) name = RomanizedGivenWord(word(x), per_word);
    }
    if (name) out->emplace_back(words[0].first, words[n - 1].second);
  }
}

bool IsRomanizedNameHandle(std::string_view name) {
  // A handle's decorations: what stands before its last ':'
  // ("user:minjun.kim"), a leading '@' ("@minjun_kim"; a review found both
  // in metric labels).
  if (const size_t colon = name.rfind(':'); colon != std::string_view::npos) name.remove_prefix(colon + 1);
  if (!name.empty() && name[0] == '@') name.remove_prefix(1);
  if (name.size() < 4 || name.size() > 40) return false;
  size_t end = name.size();
  while (end > 0 && name[end - 1] >= '0' && name[end - 1] <= '9') --end;
  if (name.size() - end > 4) return false;
  // Digits after a separator ("gildong_hong_85").
  if (end < name.size() && end > 1 && (name[end - 1] == '.' || name[end - 1] == '_' || name[end - 1] == '-')) --end;
  // Its parts: between '.', '_' and '-', and where a capital follows a
  // small letter ("SeoyeonLee", "MinjunKim1990": a review).
  std::array<std::string_view, 4> parts;
  size_t n = 0;
  for (size_t b = 0; b < end;) {
    size_t e = b;
    while (e < end && (AsciiUpper(name[e]) || AsciiLower(name[e])) &&
           !(e > b && AsciiUpper(name[e]) && AsciiLower(name[e - 1])))
      ++e;
    if (e == b || n == parts.size()) return false;
    parts[n++] = name.substr(b, e - b);
    if (e == end) break;
    if (AsciiUpper(name[e])) {  // a camelCase part begins
      b = e;
      continue;
    }
    if (name[e] != '.' && name[e] != '_' && name[e] != '-') return false;
    b = e + 1;
    if (b == end) return false;
  }
  // The most common surnames that are no English word of schemas: with one
  // of them a given name of one syllable will do ("jin.kim", "hyo_kim"),
  // and an initial before it ("j.park"). With another surname, a two-part
  // name needs the given name written whole, four letters or more
  // ("go.hana", "min.jiwoo"), so that schema names whose short words read
  // as syllables stay ("min_age", "in_use", "no_op", "x_min"; re-reviews
  // found both kinds).
  const auto common = [](std::string_view w) {
    static constexpr std::string_view kCommon[] = {
        "kim", "lee", "park", "choi", "jung", "jeong", "kang", "cho", "yoon", "jang", "lim", "han", "shin", "seo",
        "kwon", "hwang", "ahn", "song", "jeon", "hong", "yoo", "ryu", "moon", "yang", "bae", "baek", "heo", "nam",
        "noh", "kwak", "sung", "cha", "joo", "woo", "koo", "yun", "choo", "oh",
        // the same names in other common spellings (a re-review: official romanization, older forms)
        "jo", "choe", "gang", "yi", "rhee", "pak", "bak", "chung", "shim", "sim", "im", "an", "ko", "yu"};
    for (std::string_view c : kCommon)
      if (w.size() == c.size() &&
          std::equal(w.begin(), w.end(), c.begin(), [](char x, char y) { return (x | 0x20) == y; }))
        return true;
    return false;
  };
  // One word: a common surname of three letters or more joined to a given
  // name of two syllables written whole, five letters or more, before or
  // after it ("kimminjun", "minjunkim": a review).
  if (n == 1) {
    const std::string_view w = parts[0];
    for (size_t cut = 3; cut + 5 <= w.size(); ++cut) {
      if (common(w.substr(0, cut)) && RomanizedGivenWord(w.substr(cut), 2)) return true;
      if (common(w.substr(w.size() - cut)) && RomanizedGivenWord(w.substr(0, w.size() - cut), 2)) return true;
    }
    return false;
  }
  // parts[from, to) as a name: the surname first or last, the others a
  // given name's.
  const auto named = [&](size_t from, size_t to) {
    const size_t k = to - from;
    if (k == 2 && parts[from].size() == 1 && common(parts[from + 1])) return true;
    const int per_word = k == 2 ? 3 : 2;
    const auto given = [&](size_t a, size_t b, bool short_ok) {
      for (size_t x = a; x < b; ++x)
        if ((k == 2 && !short_ok && parts[x].size() < 4) || !RomanizedGivenWord(parts[x], per_word)) return false;
      return true;
    };
    // (Not "no": in a schema's name it says number, "itemNo", "mobile_no":
    // a re-review.)
    const auto surname = [](std::string_view w) {
      return RomanizedSurname(w) && !(w.size() == 2 && (w[0] | 0x20) == 'n' && (w[1] | 0x20) == 'o');
    };
    return (surname(parts[from]) && given(from + 1, to, common(parts[from]))) ||
           (surname(parts[to - 1]) && given(from, to - 1, common(parts[to - 1])));
  };
  if (named(0, n)) return true;
  // A word of a role or a place before or after the name
  // ("customer-kim-minjun", "kim_minjun_vip": a review).
  return n >= 3 && (named(1, n) || named(0, n - 1));
}

bool IsKoreanName(std::string_view value) {
  if (value.empty() || value.size() > 64) return false;
  // A status or a thing, not a person: 배정중, 연결중, 주문건, 지원금 (a third
  // review: role columns held them).
  for (std::string_view end : {"중", "건", "금", "란", "별", "액", "률", "료"})
    if (value.size() >= 9 && value.ends_with(end)) return false;
  thread_local std::string text;
  thread_local std::vector<std::pair<size_t, size_t>> found;
  text.assign("성명 ").append(value);
  found.clear();
  FindKoreanNames(text, &found);
  return found.size() == 1 && found[0].first == text.size() - value.size() && found[0].second == text.size();
}

namespace {

// Addresses: the words of the text, blanks between them.
struct Token {
  size_t b;
  size_t e;  // without a ',' or '.' at its end
};

enum class Kind { kOther, kProvince, kDistrict, kArea, kRoad, kRoadNumber, kNumber, kUnit, kMountain, kLabel };

// Cities (시) other than the 시/도 above: a word ending in 시 is as often
// "when" ("결제시", "환불시"), so only these are one.
const Words& Cities() {
  static const Words w{"성남시", "수원시", "용인시", "고양시", "화성시",   "부천시", "남양주시", "안산시", "평택시",
                       "안양시", "시흥시", "파주시", "김포시", "의정부시", "광주시", "하남시",   "광명시", "군포시",
                       "양주시", "오산시", "이천시", "안성시", "구리시",   "의왕시", "포천시",   "여주시", "동두천시",
                       "과천시", "천안시", "청주시", "전주시", "창원시",   "포항시", "김해시",   "제주시", "서귀포시",
                       "원주시", "춘천시", "강릉시", "아산시", "구미시",   "익산시", "경주시",   "거제시", "양산시",
                       "진주시", "순천시", "여수시", "목포시", "군산시",   "경산시", "충주시",   "제천시", "안동시",
                       "김천시", "통영시", "사천시", "밀양시", "광양시",   "나주시", "정읍시",   "남원시", "김제시",
                       "논산시", "공주시", "보령시", "서산시", "당진시",   "계룡시", "속초시",   "동해시", "삼척시",
                       "태백시", "영주시", "영천시", "상주시", "문경시"};
  return w;
}

// What follows a number that makes it a count, an amount or a time, not a
// building's number ("결제시 수수료가 500 원", "본사로 2 박스").
bool CounterWord(std::string_view w) {
  for (std::string_view c :
       {"원", "건", "개", "박스", "영업일", "일",   "회",     "번",     "명",   "분",   "시간", "개월",
        "년", "월", "주", "장",   "권",     "병",   "대",     "세트",   "매",   "만원", "천원", "점",
        "차", "박", "%",  "km",   "kg",     "달러", "포인트", "퍼센트", "프로", "시",   "초",   "배"})
    if (w.starts_with(c)) return true;
  return false;
}

const Words& Provinces() {
  static const Words w{"서울",     "서울시",   "서울특별시",    "부산",     "부산시",         "부산광역시",
                       "대구",     "대구시",   "대구광역시",    "인천",     "인천시",         "인천광역시",
                       "광주",     "광주시",   "광주광역시",    "대전",     "대전시",         "대전광역시",
                       "울산",     "울산시",   "울산광역시",    "세종",     "세종시",         "세종특별자치시",
                       "경기",     "경기도",   "강원",          "강원도",   "강원특별자치도", "충북",
                       "충청북도", "충남",     "충청남도",      "전북",     "전라북도",       "전북특별자치도",
                       "전남",     "전라남도", "경북",          "경상북도", "경남",           "경상남도",
                       "제주",     "제주도",   "제주특별자치도"};
  return w;
}
const Words& NotDistricts() {
  static const Words w{"친구", "연구", "요구", "도구", "가구", "입구", "출구", "창구", "항구", "야구", "농구", "축구",
                       "지구", "탐구", "추구", "경구", "구구", "당시", "동시", "즉시", "수시", "임시", "역시", "다시",
                       "혹시", "표시", "제시", "게시", "개시", "무시", "감시", "전시", "일시", "정시", "상시", "장군",
                       "국군", "아군", "적군", "공군", "해군", "육군", "미군", "도시", "시시", "매시", "평시"};
  return w;
}
const Words& NotRoads() {
  static const Words w{"으로",   "이로",   "도로",   "경로",   "진로",   "통로",     "대로",     "바로",   "서로",
                       "새로",   "주로",   "별로",   "그대로", "홀로",   "실로",     "날로",     "절로",   "위로",
                       "차로",   "하루",   "미로",   "수로",   "카드로", "카드사로", "포인트로", "본사로", "택배로",
                       "계좌로", "문자로", "전화로", "메일로", "주소로", "현금로",   "지점으로", "앞으로", "뒤로",
                       "옆으로", "쪽으로", "대로",   "경로로", "퀵으로", "등기로",   "우편으로"};
  return w;
}
const Words& NotAreas() {
  static const Words w{"이동", "활동", "자동", "행동", "운동", "노동", "변동", "연동", "작동", "가동",   "감동",
                       "공동", "충동", "출동", "진동", "수동", "반동", "발동", "평가", "추가", "휴가",   "국가",
                       "원가", "정가", "단가", "부가", "증가", "참가", "인가", "대가", "특가", "할인가", "판매가"};
  return w;
}
// The last word of a building's name.
const Words& Buildings() {
  static const Words w{"아파트",     "빌라",     "오피스텔", "빌딩",     "타워",   "맨션",     "주택",
                       "하우스",     "하이츠",   "캐슬",     "팰리스",   "자이",   "푸르지오", "래미안",
                       "힐스테이트", "아이파크", "더샵",     "센트럴",   "스퀘어", "프라자",   "플라자",
                       "상가",       "단지",     "마을",     "타운",     "빌",     "시티",     "오피스",
                       "센터",       "연립",     "기숙사",   "레지던스", "파크",   "트윈타워", "e편한세상"};
  return w;
}
const Words& AddressLabels() {
  static const Words w{"주소",       "주소지",   "배송지", "거주지",   "자택",   "집주소",
                       "도로명주소", "지번주소", "수령지", "배송주소", "받는곳", "도착지"};
  return w;
}

// Whether the bytes [b, e) are syllables and ASCII digits (and letters where
// `letters`), starting with a syllable unless `digit_first`.
bool HangulWord(std::string_view t, size_t b, size_t e, bool digits, size_t* syllables) {
  *syllables = 0;
  for (size_t i = b; i < e;) {
    if (SyllableAt(t, i)) {
      ++*syllables;
      i += 3;
    } else if (digits && AsciiDigit(t[i])) {
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

// A number of a lot or a building: 123, 123-45, 123번지, with particles
// after it; *core_end: after the number (or 번지).
bool NumberToken(std::string_view w, size_t* core) {
  size_t i = w.starts_with("산") && w.size() > 3 && AsciiDigit(w[3]) ? 3 : 0;  // 산12-3: a lot on a hill
  size_t d = 0;
  while (i < w.size() && AsciiDigit(w[i])) ++i, ++d;
  if (d == 0 || d > 5) return false;
  if (i + 1 < w.size() && w[i] == '-' && AsciiDigit(w[i + 1])) {
    ++i;
    d = 0;
    while (i < w.size() && AsciiDigit(w[i])) ++i, ++d;
    if (d > 5) return false;
  }
  std::string_view rest = w.substr(i);
  if (rest.starts_with("번지")) {
    i += 6;
    rest.remove_prefix(6);
  }
  *core = i;
  return ParticlesOnly(rest);
}

// A unit after the number: 101동, 1203호, 3층, B1층, 지하1층, 1203호실,
// (역삼동), 에이치스퀘어, 래미안아파트.
bool UnitToken(std::string_view w, size_t* core, int depth = 0) {
  if (w.starts_with("(")) {
    // (역삼동), (래미안아파트): a place's or a building's name, not "(일시불)".
    const size_t close = w.find(')');
    if (close == std::string_view::npos || close < 4) return false;
    const std::string_view inner = w.substr(1, close - 1);
    if (!inner.ends_with("동") && !inner.ends_with("가") && !inner.ends_with("리") && !Buildings().EndOf(inner))
      return false;
    *core = close + 1;
    return ParticlesOnly(w.substr(close + 1));
  }
  size_t i = 0;
  if (w.starts_with("지하")) i = 6;
  if (i == 0 && !w.empty() && (w[0] == 'B' || w[0] == 'b') && w.size() > 1 && AsciiDigit(w[1])) i = 1;
  size_t d = 0;
  while (i < w.size() && AsciiAlnum(w[i])) ++i, ++d;
  if (d > 0 && d <= 6) {
    for (std::string_view u :
         {std::string_view("호실"), std::string_view("동"), std::string_view("호"), std::string_view("층"),
          std::string_view("번지"), std::string_view("통"), std::string_view("반")}) {
      if (!w.substr(i).starts_with(u)) continue;
      const std::string_view rest = w.substr(i + u.size());
      if (ParticlesOnly(rest)) {
        *core = i + u.size();
        return true;
      }
      // Glued to the next unit: "101동1203호" (two at most: a token is a
      // short word, and a long run of them is no address).
      size_t more = 0;
      if (depth < 2 && !rest.empty() && AsciiDigit(rest[0]) && UnitToken(rest, &more, depth + 1)) {
        *core = i + u.size() + more;
        return true;
      }
    }
    return false;
  }
  // A building's name: its last word says so (particles may follow), or
  // before a number of the building ("파크원타워1", "센터2": a review).
  if (size_t end = w.size(); end > 0 && AsciiDigit(w[end - 1])) {
    while (end > 0 && AsciiDigit(w[end - 1])) --end;
    if (w.size() - end <= 2 && end >= 6 && SyllableAt(w, end - 3) && Buildings().EndOf(w.substr(0, end))) {
      *core = w.size();
      return true;
    }
  }
  for (size_t end = w.size();;) {
    if (ParticlesOnly(w.substr(end)) && Buildings().EndOf(w.substr(0, end))) {
      *core = end;
      return true;
    }
    if (end < 3 || !SyllableAt(w, end - 3)) return false;
    end -= 3;
  }
}

bool IsPlaceName(std::string_view w) {
  return Provinces().Has(w) || Cities().Has(w);
}

// Whether w (syllables and digits) names a road: ...로, ...길, 14길, 235번길;
// not a noun with the particle 로 ("카드사로", "변경으로").
bool RoadWord(std::string_view w) {
  if (!(w.ends_with("로") || w.ends_with("길")) || w.ends_with("으로") || NotRoads().Has(w)) return false;
  size_t syllables = 0;
  if (!HangulWord(w, 0, w.size(), true, &syllables)) return false;
  const bool hangul_first = SyllableAt(w, 0);
  return (hangul_first && syllables >= 2) || (!hangul_first && (w.ends_with("번길") || syllables == 1));
}

// The length of what ends an address's word at i, or 0: blanks and line
// breaks, and the punctuation that wraps or joins words in forms, CSV
// cells, JSON and URLs (quotes, brackets, ';', ':', '/', '+', '=', '&', '|';
// 「 」 『 』 “ ” ‘ ’). A '(' is one only where it opens no glued group
// (the caller's GluedGroupEnd).
size_t AddressBreakAt(std::string_view t, size_t i) {
  switch (t[i]) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '"':
    case '\'':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case '<':
    case '>':
    case ';':
    case '/':
    case '+':
    case '=':
    case '&':
    case '|':
    case ':': return 1;
    default: break;
  }
  if (static_cast<unsigned char>(t[i]) != 0xE3 && static_cast<unsigned char>(t[i]) != 0xE2) return 0;
  const std::string_view c = t.substr(i, 3);
  for (std::string_view q : {"「", "」", "『", "』", "“", "”", "‘", "’"})
    if (c == q) return 3;
  return 0;
}

// The ')' closing the '(' at i when the group holds no blank or other break
// and is at most kMaxGroup bytes ("(역삼동)"), else npos.
size_t GluedGroupEnd(std::string_view t, size_t i) {
  constexpr size_t kMaxGroup = 48;
  for (size_t k = i + 1; k < t.size() && k - i <= kMaxGroup; ++k) {
    if (t[k] == ')') return k > i + 1 ? k : std::string_view::npos;
    if (t[k] == '(' || AddressBreakAt(t, k) != 0) return std::string_view::npos;
  }
  return std::string_view::npos;
}

// `before`: the kind of the word before (리 and 면 follow a 읍/면 or a
// 군/시; 가 has a digit before it: 종로1가).
// (No word of an address is longer than this: a longer token is read as
// nothing, which keeps the reading of each token bounded.)
constexpr size_t kMaxAddressWord = 64;

Kind Classify(std::string_view t, const Token& tok, Kind before, size_t* core) {
  const std::string_view w = t.substr(tok.b, tok.e - tok.b);
  *core = w.size();
  if (w.size() > kMaxAddressWord) return Kind::kOther;
  if (w == "산") return Kind::kMountain;
  if (Provinces().Has(w)) return Kind::kProvince;
  if (AddressLabels().Has(w)) {
    return Kind::kLabel;
  }
  if (NumberToken(w, core)) return Kind::kNumber;
  size_t syllables = 0;
  if (!w.empty() && SyllableAt(w, 0) && HangulWord(w, 0, w.size(), false, &syllables) && syllables >= 2 &&
      syllables <= 6 && (Cities().Has(w) || w.ends_with("군") || w.ends_with("구")) && !NotDistricts().Has(w)) {
    return Kind::kDistrict;
  }
  if (!w.empty() && HangulWord(w, 0, w.size(), true, &syllables)) {
    const bool hangul_first = SyllableAt(w, 0);
    const bool after_place = before == Kind::kDistrict || before == Kind::kArea;
    if (hangul_first && syllables >= 2 && syllables <= 8 && !NotAreas().Has(w) &&
        (w.ends_with("동") || w.ends_with("읍") || ((w.ends_with("면") || w.ends_with("리")) && after_place) ||
         (w.ends_with("가") && AsciiDigit(w[w.size() - 4])))) {
      return Kind::kArea;
    }
    if (RoadWord(w)) return Kind::kRoad;
  }
  // A road with its number glued: 테헤란로123, 판교역로235번길12 (read as
  // far as the road).
  for (size_t k = 3; k + 1 < w.size(); ++k) {
    if (!AsciiDigit(w[k]) || AsciiDigit(w[k - 1])) continue;
    size_t number_core = 0;
    if (RoadWord(w.substr(0, k)) && NumberToken(w.substr(k), &number_core)) {
      *core = k + number_core;
      return Kind::kRoadNumber;
    }
  }
  if (UnitToken(w, core)) return Kind::kUnit;
  return Kind::kOther;
}

// Whether a unit is a number's (101동, 1203호, 3층), not a building's name.
bool NumberedUnit(std::string_view w) {
  return !w.empty() && (AsciiDigit(w[0]) || w[0] == 'B' || w[0] == 'b' || w.starts_with("지하"));
}

}  // namespace

// Whether some number in `t` follows a blank after a road's, an area's or
// a lot's last syllable (로 길 동 읍 면 리 가 산), or is glued to a road or a
// unit: every address has one, and most texts none, so they are not read
// word by word.
bool MayHoldAddress(std::string_view t) {
  // (A blank, then a digit; the syllable before the blank: 로 U+B85C, 길
  // U+AE38, 동 U+B3D9, 읍 U+C74D, 면 U+BA74, 리 U+B9AC, 가 U+AC00, 산 U+C0B0.)
  // Also a number glued after 로 길 산 ("테헤란로123", "산12"), and one
  // glued before 동 or 호 (a unit: "101동", "1203호").
  for (size_t d = 3; d < t.size(); ++d) {
    if (!AsciiDigit(t[d]) || AsciiDigit(t[d - 1])) continue;
    if ((t[d - 1] == ' ' || t[d - 1] == '+' || t[d - 1] == '/') && d >= 4 &&
        SyllableIn(t, d - 4, {0xB85C, 0xAE38, 0xB3D9, 0xC74D, 0xBA74, 0xB9AC, 0xAC00, 0xC0B0}))
      return true;
    if (SyllableIn(t, d - 3, {0xB85C, 0xAE38, 0xC0B0})) return true;
    size_t e = d;
    while (e < t.size() && AsciiDigit(t[e])) ++e;
    if (SyllableIn(t, e, {0xB3D9, 0xD638})) return true;  // 동 U+B3D9, 호 U+D638
  }
  return false;
}

void FindKoreanAddresses(std::string_view t, std::vector<std::pair<size_t, size_t>>* out) {
  if (!MayHoldAddress(t)) return;
  thread_local std::vector<Token> toks;
  thread_local std::vector<Kind> kinds;
  thread_local std::vector<size_t> cores;
  toks.clear();
  for (size_t i = 0; i < t.size();) {
    if (size_t len = AddressBreakAt(t, i); len != 0) {
      i += len;
      continue;
    }
    const size_t b = i;
    while (i < t.size() && AddressBreakAt(t, i) == 0) {
      // A group in parentheses glued to a word is a word of its own, with
      // what is glued after it: "123(역삼동)", "(역삼동)에".
      if (t[i] == '(' && i > b) break;
      if (t[i] == '(') {
        const size_t close = GluedGroupEnd(t, i);
        if (close == std::string_view::npos) break;
        i = close + 1;
        continue;
      }
      ++i;
    }
    if (i == b) {  // a '(' that opens no glued group: a break
      ++i;
      continue;
    }
    size_t e = i;
    while (e > b && (t[e - 1] == ',' || t[e - 1] == '.')) --e;
    if (e > b) toks.push_back({b, e});
  }
  kinds.resize(toks.size());
  cores.resize(toks.size());
  bool any_place = false;
  bool any_number = false;
  for (size_t k = 0; k < toks.size(); ++k) {
    kinds[k] = Classify(t, toks[k], k > 0 ? kinds[k - 1] : Kind::kOther, &cores[k]);
    any_place = any_place || kinds[k] == Kind::kArea || kinds[k] == Kind::kRoad || kinds[k] == Kind::kRoadNumber;
    any_number = any_number || kinds[k] == Kind::kNumber || kinds[k] == Kind::kRoadNumber || kinds[k] == Kind::kUnit;
  }
  if (!any_place || !any_number) return;
  // Two words are of one address when only one blank, or ", ", is between
  // them (a line break ends it).
  // Glued ("123(역삼동)"), '+' (a URL's blank), '/' ("123/101동") and ';'
  // too.
  const auto joined = [&](size_t k) {
    const std::string_view gap = t.substr(toks[k].e, toks[k + 1].b - toks[k].e);
    return gap == " " || gap == ", " || gap == "," || gap == "  " || gap.empty() || gap == "+" || gap == "/" ||
           gap == ";" || gap == "; ";
  };
  for (size_t i = 0; i < toks.size();) {
    size_t j = i;
    // After a label: "주소 …", "배송지: …", "주소 : …" (':' ends a word).
    bool region = i > 0 && kinds[i - 1] == Kind::kLabel;
    bool place = false;
    bool road = false;
    auto take = [&](Kind want) {
      if (j < toks.size() && kinds[j] == want && (j == i || joined(j - 1))) {
        ++j;
        return true;
      }
      return false;
    };
    // A 시/도 written short (서울, 경기, 부산) is one only before a 시/군/구 or
    // a 동 ("경기 취소로 3 경기" is a game).
    if (j < toks.size() && kinds[j] == Kind::kProvince) {
      const bool short_name = toks[j].e - toks[j].b <= 6;
      const bool before_place =
          j + 1 < toks.size() && joined(j) && (kinds[j + 1] == Kind::kDistrict || kinds[j + 1] == Kind::kArea);
      if (!short_name || before_place) {
        ++j;
        region = true;
      }
    }
    for (int d = 0; d < 2 && take(Kind::kDistrict); ++d) region = true;
    for (int a = 0; a < 2 && take(Kind::kArea); ++a) place = true;
    if (take(Kind::kRoad)) {
      road = place = true;
      take(Kind::kRoad);  // 테헤란로 14길
    }
    bool numbered = false;
    if (!road && take(Kind::kRoadNumber)) road = place = numbered = true;
    if (!numbered) {
      take(Kind::kMountain);
      numbered = place && take(Kind::kNumber);
      // A number that is a count, an amount or a time ("500 원", "2 박스").
      if (numbered && j < toks.size() && joined(j - 1) && cores[j - 1] == toks[j - 1].e - toks[j - 1].b &&
          CounterWord(t.substr(toks[j].b, toks[j].e - toks[j].b))) {
        numbered = false;
      }
    }
    // Without a number, a region, a place and its units: "서울 강남구 역삼동
    // 래미안아파트 101동 1203호".
    const bool unit_next = j < toks.size() && kinds[j] == Kind::kUnit && j > i && joined(j - 1);
    if (!numbered && !(region && place && unit_next)) {
      ++i;
      continue;
    }
    size_t end = numbered ? toks[j - 1].b + cores[j - 1] : toks[j - 1].e;
    size_t units = 0;
    size_t numbered_units = 0;
    bool particle = numbered && cores[j - 1] != toks[j - 1].e - toks[j - 1].b;
    while (!particle && j < toks.size() && joined(j - 1) && units < 4) {
      // A word of a building's name before its last ("동탄역 롯데캐슬 102동":
      // a review found the rest passing), only before a unit.
      if (kinds[j] != Kind::kUnit) {
        size_t syllables = 0;
        if (kinds[j] != Kind::kOther || j + 1 >= toks.size() || kinds[j + 1] != Kind::kUnit || !joined(j) ||
            !SyllableAt(t, toks[j].b) || !HangulWord(t, toks[j].b, toks[j].e, true, &syllables) || syllables < 2 ||
            syllables > 8)
          break;
        ++j;
        ++units;
        continue;
      }
      const std::string_view unit = t.substr(toks[j].b, toks[j].e - toks[j].b);
      end = toks[j].b + cores[j];
      particle = cores[j] != toks[j].e - toks[j].b;
      numbered_units += NumberedUnit(unit) ? 1 : 0;
      ++units;
      ++j;
    }
    if ((region && (numbered || numbered_units > 0)) || (road && numbered && numbered_units > 0)) {
      out->emplace_back(toks[i].b, end);
    }
    i = j;
  }
}

}  // namespace maskproxy::detect::internal
