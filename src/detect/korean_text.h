// Korean persons' names and postal addresses in free text: the two kinds of
// personal data no pattern of digits finds. The scanner adds what these find
// as candidates of the built-in `person_name` and `address` detectors
// (scanner.cc), on both of its paths.
//
// Names are told by their context, never by themselves (any two syllables
// can be a name): a surname (the common ones, and the compound 남궁, 황보,
// 제갈, 선우, 독고, 서문, 사공) with one or two syllables after it (two or
// three after a compound one's two), standing as a word, and
//  - an honorific right after it: 김민준님, 김민준님께, 김민준 씨 (씨 only
//    after three syllables: 마음씨, 호박씨), 김민준 고객님, 김민준 회원님,
//    김민준 귀하; 고객 or 회원 alone only before '(', ',', ':', '/' or the
//    end ("김민준 고객(주민번호 …)": "배송중 고객이", "사용 고객 휴대폰" are
//    not names);
//  - or a label right before it: 예금주 김민준, 성명: 김민준, 받는분 김민준,
//    보내는분, 수취인, 송금인, 입금자, 이름, 고객명, 명의자, 신청인, ...;
//    and `name:` / `name=` in ASCII;
// with particles after it allowed (김민준님께서, 예금주 김민준으로). Nouns of
// that shape before an honorific or after a label (고객님, 이사님, 기사님,
// 이용자님, 예금주 정보, 성명 변경) are listed and are not names.
//
// Addresses (도로명 and 지번): a run of words, single blanks or ", "
// between them: an optional 시/도 (서울, 서울특별시, 경기도, ...), one or two
// 시/군/구 (강남구, 성남시 분당구), an optional 읍/면/동/리/가, a road
// (테헤란로, 판교역로, 테헤란로14길, 235번길) or that 동 and a number (123,
// 123-45, 산 12-3, 123번지), and what follows it as a unit: 101동 1203호,
// 3층, B1층, (역삼동), a building ending 아파트/빌라/오피스텔/빌딩/타워/....
// It must hold a 시/도 or a 시/군/구, a road or a 동, and the number; a road
// and a number with a unit after them (테헤란로 123, 101동 1203호) is one too.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace maskproxy::detect::internal {

// Appends the names' spans [begin, end) in `text` (normalized as the
// scanner normalizes it): the name only, without honorific or particles.
void FindKoreanNames(std::string_view text, std::vector<std::pair<size_t, size_t>>* out);

// Appends the addresses' spans, from the first word to the end of the last
// number or unit (a particle glued to it is not part of it).
void FindKoreanAddresses(std::string_view text, std::vector<std::pair<size_t, size_t>>* out);

// Whether `text` holds a Hangul syllable's first byte (0xEA-0xED): the only
// texts where the two finders can find anything.
[[nodiscard]] bool MayHoldHangul(std::string_view text);

}  // namespace maskproxy::detect::internal
