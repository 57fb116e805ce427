// Korean persons' names and postal addresses in free text: the two kinds of
// personal data no pattern of digits finds. The scanner adds what these find
// as candidates of the built-in `person_name` and `address` detectors
// (scanner.cc), on both of its paths.
//
// Names are told by their context, never by themselves (any two syllables
// can be a name): a common surname (about 99% of Koreans; or the compound
// 남궁, 황보, 제갈, 선우, 독고, 서문, 사공) with two syllables after it (one
// or two after a compound one), each of them a syllable given names are
// made of (not 장 관 사 객 생 ..., which end role words), standing as a word
// (digits may follow it after a label: a deposit name, 홍길동0312), and
//  - an honorific right after it: 김민준님, 김민준님께, 김민준씨, 김민준고객님,
//    or as the next word: 김민준 고객님, 회원님, 님, 씨, 귀하, 선생님,
//    팀장님, 대리님, ...; 고객 or 회원 alone only before '(', ',', ':', '/',
//    '.', ')' or the end ("김민준 고객(주민번호 …)": "배송중 고객이",
//    "사용 고객 휴대폰" are not names);
//  - or a label right before it, after blanks, ':', '=', brackets, '/', '|'
//    or 「 」: 예금주 김민준, 성명: 김민준, [예금주] 홍길동, 받는분 김민준,
//    받는 분, 보내는사람, 통장 표시, 수취인, 송금인, 입금자명, 이름은, 고객명,
//    명의자, 주문자명, ...; and `name:` / `customer_name=` / `holderName:` in
//    ASCII (a person's word before name; not bank_name or product_name);
// with particles after it allowed (김민준님께서, 예금주 김민준으로). Nouns of
// that shape are listed and are not names: roles (고객님, 이사님, 지원자님,
// 연예인님, 경비원님), what follows a label (예금주 정보가, 성명 변경, 받는분
// 주소지), words before 고객님 (소중한, 이용한, 신규), and places (제주도).
// Two-syllable names (김건, 이수) are not read: role words of that shape are
// too many (이장님, 박사님, 경리님).
//
// Addresses (도로명 and 지번): a run of words, single blanks or ", "
// between them: an optional 시/도 (서울특별시, 경기도; a short one, 서울,
// 경기, only before a 시/군/구 or 동), one or two 시/군/구 (강남구, 성남시
// 분당구; a 시 only from the list of cities: "결제시" is "when paying"), an
// optional 동/읍 (면 and 리 after a 군/시 or 읍/면; 가 after a digit: 종로1가),
// a road (테헤란로, 판교역로, 테헤란로14길, 235번길; not a noun with the
// particle 로: 카드사로, 변경으로) or that 동, and a number (123, 123-45, 산
// 12-3, 123번지; not one a count follows: "500 원", "2 박스"), glued to the
// road too (테헤란로123), and the units after it: 101동 1203호, 101동1203호,
// 3층, B1층, (역삼동), a building ending 아파트/빌라/오피스텔/빌딩/타워/....
// It must hold a 시/도 or a 시/군/구 (or follow a label: 주소, 배송지, ...), a
// road or a 동, and the number or a numbered unit (서울 강남구 역삼동
// 래미안아파트 101동 1203호); a road and a number with a numbered unit after
// them (테헤란로 123 4층) is one too.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace maskproxy::detect::internal {

// Appends the names' spans [begin, end) in `text` (normalized as the
// scanner normalizes it): the name only, without honorific or particles.
void FindKoreanNames(std::string_view text, std::vector<std::pair<size_t, size_t>>* out);

// Appends the spans of Korean names written in Latin letters after a label
// that names a person and a ':' or '=' ("Name: Kim Minjun", "Account
// holder: KIM MINJUN", "Recipient name: Park Ji-hoon", "beneficiary: Choi,
// Yuna", "예금주: LEE SEOYEON"): two or three capitalized or all-capital
// words, the first or the last a Korean surname romanized (Kim, Lee, Yi,
// Park, Choi, ...) and the others one to three syllables of romanized
// Korean, none a listed English word ("Kim Chi Set", "Savings Account",
// "Gold Card Premium" are not names). Not after a thing's name label
// ("file name", "product name", "bank_name", "username").
void FindRomanizedKoreanNames(std::string_view text, std::vector<std::pair<size_t, size_t>>* out);

// Whether a member or user name is a Korean name in Latin letters joined by
// '.', '_' or '-', in any case, perhaps with up to four digits after it
// (`hong.gildong`, `minsu_kim`, `park-jiyeon`, `lee.min.ho`, `kim.minsu85`):
// two or three parts, a romanized surname first or last, the others a given
// name's syllables, none a listed English word. A map keyed by user names
// shows them in metric labels, logs and the trail otherwise (found by
// review). Errs toward yes (`ahn_data`): such a name is shown as <name>.
[[nodiscard]] bool IsRomanizedNameHandle(std::string_view name);

// Appends the addresses' spans, from the first word to the end of the last
// number or unit (a particle glued to it is not part of it).
void FindKoreanAddresses(std::string_view text, std::vector<std::pair<size_t, size_t>>* out);

// Whether `value` is a Korean name as FindKoreanNames reads one after a
// label ("성명 <value>"): the whole value is the name, without particles.
// For a field whose name says a role that holds a name as often as a
// grade or a team (고객, 회원: transform's field names).
[[nodiscard]] bool IsKoreanName(std::string_view value);

// Whether `text` holds a Hangul syllable's first byte (0xEA-0xED): the only
// texts where the two finders can find anything.
[[nodiscard]] bool MayHoldHangul(std::string_view text);

}  // namespace maskproxy::detect::internal
