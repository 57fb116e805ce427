#include "detect/korean_text.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>

namespace maskproxy::detect::internal {
namespace {

// Hangul syllables are three bytes in UTF-8 (U+AC00-U+D7A3: EA B0 80 - ED 9E
// A3), so the words below are compared as bytes.
bool SyllableAt(std::string_view t, size_t i) {
  if (i + 3 > t.size()) return false;
  const auto b0 = static_cast<unsigned char>(t[i]);
  if (b0 < 0xEA || b0 > 0xED) return false;
  const auto b1 = static_cast<unsigned char>(t[i + 1]);
  const auto b2 = static_cast<unsigned char>(t[i + 2]);
  if ((b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80) return false;
  const uint32_t cp = ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
  return cp >= 0xAC00 && cp <= 0xD7A3;
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
  // Whether w ends with one of the words (of at least `min_bytes` bytes
  // before it).
  [[nodiscard]] bool EndOf(std::string_view w, size_t min_bytes) const {
    for (std::string_view x : words_)
      if (w.size() >= x.size() + min_bytes && w.ends_with(x)) return true;
    return false;
  }
  [[nodiscard]] const std::vector<std::string_view>& list() const { return words_; }

 private:
  std::vector<std::string_view> words_;
};

// The surnames of nearly every Korean (the 2015 census's common ones and
// their other spellings: 리/이, 라/나, 로/노, 류/유, 림/임).
const Words& Surnames() {
  static const Words w{
      "김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "안", "송", "전",
      "홍", "유", "고", "문", "양", "손", "배", "백", "허", "남", "심", "노", "하", "곽", "성", "차", "주", "우", "구",
      "민", "류", "나", "진", "지", "엄", "채", "원", "천", "방", "공", "현", "함", "변", "염", "여", "추", "도", "소",
      "석", "선", "설", "마", "길", "연", "위", "표", "명", "기", "반", "라", "왕", "금", "옥", "육", "인", "맹", "제",
      "모", "탁", "국", "어", "은", "편", "용", "예", "경", "봉", "사", "부", "가", "복", "태", "목", "형", "피", "두",
      "감", "음", "빈", "동", "온", "호", "범", "좌", "팽", "승", "간", "상", "시", "갈", "견", "당", "화", "창", "리",
      "로", "림", "진", "궁", "계", "단", "대", "묵", "매", "평", "풍", "강", "야", "즙", "삼", "운"};
  return w;
}
const Words& CompoundSurnames() {
  static const Words w{"남궁", "황보", "제갈", "선우", "독고", "서문", "사공", "동방"};
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
      "시공사", "시행사", "지주", "채권자", "채무자", "보증인", "연대보증인", "피해자", "가해자", "신고자", "제보자",
      "작성자", "등록자", "수정자", "승인자", "결재자", "요청인", "민원", "시청자", "구독자", "팬",
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

// The honorifics a name takes right after it (in the same word).
const Words& Honorifics() {
  static const Words w{"님", "씨", "귀하"};
  return w;
}
// The words after a name and a blank that make it a name.
const Words& NextWordHonorifics() {
  static const Words w{"고객님", "회원님", "님", "씨", "귀하"};
  return w;
}
// Labels a name follows (as a word of their own, or the end of one:
// 수취인성명).
const Words& NameLabels() {
  static const Words w{"성명",     "이름",     "예금주",   "예금주명", "고객명", "수취인",   "수취인명",
                       "받는분",   "받는사람", "보내는분", "보낸분",   "송금인", "송금자",   "입금자",
                       "입금자명", "수령인",   "수령자",   "신청인",   "신청자", "명의자",   "계좌주",
                       "주문자",   "구매자",   "가입자",   "대표자",   "보호자", "성함",     "실명",
                       "담당자",   "발송인",   "수신인",   "수하인",   "송하인", "피보험자", "계약자",
                       "소유자",   "차주",     "임차인",   "임대인",   "채무자", "보증인"};
  return w;
}
// Particles (and the copula) a name or number may carry in the same word.
const Words& Particles() {
  static const Words w{"이",     "가",   "은",   "는",     "을",   "를",   "의",   "에게", "께",     "께서",   "에게서",
                       "한테",   "와",   "과",   "도",     "만",   "로",   "으로", "이고", "이며",   "입니다", "이다",
                       "이에요", "예요", "에",   "에서",   "랑",   "이랑", "하고", "앞",   "앞으로", "명의",   "명의로",
                       "명의의", "님",   "씨",   "귀하",   "까지", "부터", "요",   "이요", "입니까", "인지",   "인데",
                       "이며",   "이라", "라는", "이라는", "쪽",   "이신", "께로"};
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
// takes: longest first (a compound surname's four syllables, then three, then
// two). 0 when none.
template <typename Accept>
size_t NameAt(std::string_view word, Accept accept) {
  const size_t syllables = word.size() / 3;
  size_t lengths[4];
  size_t k = 0;
  if (syllables >= 3 && CompoundSurnames().Has(word.substr(0, 6))) {
    lengths[k++] = 4;
    lengths[k++] = 3;
  }
  if (Surnames().Has(word.substr(0, 3))) {
    lengths[k++] = 3;
    lengths[k++] = 2;
  }
  for (size_t i = 0; i < k; ++i) {
    const size_t len = lengths[i] * 3;
    if (len > word.size()) continue;
    const std::string_view name = word.substr(0, len);
    // No given name ends in 으: that is 으로 after a name ("최윤으로").
    if (NotNames().Has(name) || name.ends_with("으")) continue;
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
  // "name", "customer_name", "holderName"; not "nickname", "username".
  return k == 4 || !AsciiAlnum(t[k - 5]) || (t[k - 5] >= 'a' && t[k - 5] <= 'z' && w[0] == 'N');
}

// What lies between a label and the name: blanks, ':', '=', '-', '(' or
// '[' (at most four bytes, at least one).
bool LabelGap(std::string_view gap) {
  if (gap.empty() || gap.size() > 4) return false;
  for (char c : gap)
    if (c != ' ' && c != '\t' && c != ':' && c != '=' && c != '-' && c != '(' && c != '[' && c != '"' && c != '\'')
      return false;
  return true;
}

}  // namespace

bool MayHoldHangul(std::string_view text) {
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
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
  for (size_t r = 0; r < runs.size(); ++r) {
    const Run& run = runs[r];
    const std::string_view word = t.substr(run.b, run.e - run.b);
    if (word.size() < 6) continue;
    // A word glued to letters or digits is part of something else.
    if ((run.b > 0 && AsciiAlnum(t[run.b - 1])) || (run.e < t.size() && AsciiAlnum(t[run.e]))) continue;
    // An honorific in the word: 김민준님, 김민준님께서, 홍길동씨.
    size_t len = NameAt(word, [](std::string_view rest, size_t syllables) {
      return !rest.empty() && HonorificThenParticles(rest, syllables == 3);
    });
    // An honorific word after one or two blanks: 김민준 고객님.
    if (len == 0 && r + 1 < runs.size()) {
      const Run& next = runs[r + 1];
      const std::string_view gap = t.substr(run.e, next.b - run.e);
      if (gap == " " || gap == "  ") {
        const std::string_view nw = t.substr(next.b, next.e - next.b);
        bool honorific = false;
        for (std::string_view h : NextWordHonorifics().list())
          if (nw.starts_with(h) && ParticlesOnly(nw.substr(h.size())) &&
              (next.e == t.size() || !AsciiAlnum(t[next.e])) && !(h == "씨" && word.size() != 9)) {
            honorific = true;
          }
        // 고객 or 회원 alone, as a heading before what is said of them:
        // "김민준 고객(주민번호 …)", "김민준 고객, 010-…", "김민준 회원: 요청".
        if ((nw == "고객" || nw == "회원") &&
            (next.e == t.size() || t[next.e] == '(' || t[next.e] == ',' || t[next.e] == ':' || t[next.e] == '/')) {
          honorific = true;
        }
        if (honorific) len = NameAt(word, [](std::string_view rest, size_t) { return rest.empty(); });
      }
    }
    // A label before it: 예금주 김민준, 성명: 김민준으로, name: 김민준.
    if (len == 0) {
      bool labelled = AsciiNameLabelBefore(t, run.b);
      if (!labelled && r > 0) {
        const Run& prev = runs[r - 1];
        const std::string_view pw = t.substr(prev.b, prev.e - prev.b);
        labelled = LabelGap(t.substr(prev.e, run.b - prev.e)) && (NameLabels().Has(pw) || NameLabels().EndOf(pw, 3));
      }
      if (labelled) len = NameAt(word, [](std::string_view rest, size_t) { return ParticlesOnly(rest); });
    }
    if (len != 0) out->emplace_back(run.b, run.b + len);
  }
}

namespace {

// Addresses: the words of the text, blanks between them.
struct Token {
  size_t b;
  size_t e;  // without a ',' or '.' at its end
  bool comma_after;
};

enum class Kind { kOther, kProvince, kDistrict, kArea, kRoad, kNumber, kUnit, kMountain, kLabel };

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
  static const Words w{"으로", "이로",   "도로", "경로", "진로", "통로", "대로", "바로", "서로", "새로", "주로",
                       "별로", "그대로", "홀로", "실로", "날로", "절로", "위로", "차로", "하루", "미로", "수로"};
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
  size_t i = 0;
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
bool UnitToken(std::string_view w, size_t* core) {
  if (w.starts_with("(")) {
    const size_t close = w.find(')');
    if (close == std::string_view::npos) return false;
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
      if (w.substr(i).starts_with(u) && ParticlesOnly(w.substr(i + u.size()))) {
        *core = i + u.size();
        return true;
      }
    }
    return false;
  }
  // A building's name: its last word says so (particles may follow).
  for (size_t end = w.size();;) {
    if (ParticlesOnly(w.substr(end)) && Buildings().EndOf(w.substr(0, end), 0)) {
      *core = end;
      return true;
    }
    if (end < 3 || !SyllableAt(w, end - 3)) return false;
    end -= 3;
  }
}

Kind Classify(std::string_view t, const Token& tok, size_t* core) {
  const std::string_view w = t.substr(tok.b, tok.e - tok.b);
  *core = w.size();
  if (w == "산") return Kind::kMountain;
  if (Provinces().Has(w)) return Kind::kProvince;
  if (AddressLabels().Has(w) || (w.ends_with(":") && AddressLabels().Has(w.substr(0, w.size() - 1)))) {
    return Kind::kLabel;
  }
  if (NumberToken(w, core)) return Kind::kNumber;
  size_t syllables = 0;
  if (!w.empty() && SyllableAt(w, 0) && HangulWord(w, 0, w.size(), false, &syllables) && syllables >= 2 &&
      syllables <= 6 && (w.ends_with("시") || w.ends_with("군") || w.ends_with("구")) && !NotDistricts().Has(w)) {
    return Kind::kDistrict;
  }
  if (!w.empty() && HangulWord(w, 0, w.size(), true, &syllables)) {
    const bool hangul_first = SyllableAt(w, 0);
    if (hangul_first && syllables >= 2 && syllables <= 8 &&
        (w.ends_with("동") || w.ends_with("읍") || w.ends_with("면") || w.ends_with("리") || w.ends_with("가")) &&
        !NotAreas().Has(w)) {
      return Kind::kArea;
    }
    if ((w.ends_with("로") || w.ends_with("길")) && !NotRoads().Has(w) &&
        ((hangul_first && syllables >= 2) || (!hangul_first && (w.ends_with("번길") || syllables == 1)))) {
      return Kind::kRoad;
    }
  }
  if (UnitToken(w, core)) return Kind::kUnit;
  return Kind::kOther;
}

}  // namespace

void FindKoreanAddresses(std::string_view t, std::vector<std::pair<size_t, size_t>>* out) {
  thread_local std::vector<Token> toks;
  thread_local std::vector<Kind> kinds;
  thread_local std::vector<size_t> cores;
  toks.clear();
  for (size_t i = 0; i < t.size();) {
    if (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r') {
      ++i;
      continue;
    }
    const size_t b = i;
    while (i < t.size() && t[i] != ' ' && t[i] != '\t' && t[i] != '\n' && t[i] != '\r') ++i;
    size_t e = i;
    bool comma = false;
    while (e > b && (t[e - 1] == ',' || t[e - 1] == '.')) {
      comma = comma || t[e - 1] == ',';
      --e;
    }
    if (e > b) toks.push_back({b, e, comma});
  }
  kinds.resize(toks.size());
  cores.resize(toks.size());
  bool any_place = false;
  bool any_number = false;
  for (size_t k = 0; k < toks.size(); ++k) {
    kinds[k] = Classify(t, toks[k], &cores[k]);
    any_place = any_place || kinds[k] == Kind::kArea || kinds[k] == Kind::kRoad;
    any_number = any_number || kinds[k] == Kind::kNumber;
  }
  if (!any_place || !any_number) return;
  // Two words are of one address when only one blank, or ", ", is between
  // them (a line break ends it).
  const auto joined = [&](size_t k) {
    const std::string_view gap = t.substr(toks[k].e, toks[k + 1].b - toks[k].e);
    return gap == " " || gap == ", " || gap == "," || gap == "  ";
  };
  for (size_t i = 0; i < toks.size();) {
    size_t j = i;
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
    if (take(Kind::kProvince)) region = true;
    for (int d = 0; d < 2 && take(Kind::kDistrict); ++d) region = true;
    for (int a = 0; a < 2 && take(Kind::kArea); ++a) place = true;
    if (take(Kind::kRoad)) {
      road = place = true;
      take(Kind::kRoad);  // 테헤란로 14길
    }
    take(Kind::kMountain);
    if (!place || !take(Kind::kNumber)) {
      ++i;
      continue;
    }
    size_t end = toks[j - 1].b + cores[j - 1];
    size_t units = 0;
    bool particle = cores[j - 1] != toks[j - 1].e - toks[j - 1].b;
    while (!particle && j < toks.size() && kinds[j] == Kind::kUnit && joined(j - 1) && units < 4) {
      end = toks[j].b + cores[j];
      particle = cores[j] != toks[j].e - toks[j].b;
      ++units;
      ++j;
    }
    if (region || (road && units > 0)) {
      out->emplace_back(toks[i].b, end);
    }
    i = j;
  }
}

}  // namespace maskproxy::detect::internal
