// Numbers grouped in ways the patterns do not take (defaults.cc: each would
// cost the phone detector's automaton more positions than it has, and the
// scan its combined pass):
//  - groups joined by a comma and one to three blanks (a blank before the
//    comma too), as speech-to-text and lists write them: `010, 1234, 5678`,
//    `010 , 1234 , 5678`, `900101, 1234568`, `4111, 1111, 1111, 1111`;
//  - a phone number's middle group in parentheses or brackets, the code in
//    parentheses too: `010(1234)5678`, `02 (123) 4567`, `010-(1234)-5678`,
//    `(010)(1234)5678`, `010[1234]5678`;
//  - an area or mobile code in parentheses with blanks inside:
//    `( 010 ) 1234 - 5678`, or without its trunk 0 after the country code:
//    `+82 (10) 1234-5678`.
// The scanner adds what FindLooselyGrouped finds as candidates of the
// built-in phone_kr, rrn, frn and card detectors, after their boundary
// checks (scanner.cc). Each is checked by that detector's validator (a
// middle group in parentheses by the phone digits' check alone,
// PhoneKrDigitsValid; an RRN or card written so must pass its checksum: the
// comma is an odd separator).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "detect/validators.h"

namespace maskproxy::detect::internal {

struct LooseNumber {
  size_t begin;
  size_t end;
  Validator validator;  // kPhoneKr, kRrn, kFrn or kCard
  double confidence;
};

// Whether the 24 bytes before b hold a word that says a resident or
// foreigner number follows (주민, 외국인등록, rrn, jumin, resident; not
// 외국인 or 등록번호 alone: 사업자등록번호, "외국인 고객 주문번호").
// With one, an RRN written so is taken on its date alone (numbers issued
// since October 2020 carry no checksum).
[[nodiscard]] bool RrnWordBefore(std::string_view t, size_t b);

// Appends such numbers in the normalized text t (ASCII digits). Of a chain
// of comma-joined groups, the longest valid run of two to five groups from
// each group on is taken, and the search goes on after it. Linear in t.
void FindLooselyGrouped(std::string_view t, std::vector<LooseNumber>* out);

// A magnetic stripe's track 1 as card readers log it:
// `%B4111111111111111^KIM/MINJUN^2812101...?` (the '%' and the '?' may be
// missing). The card number is glued to the format code `B`, which hides it
// from the card pattern's boundary checks, and the cardholder's name stands
// between the two '^' (found passing whole by review: PCI track data).
struct TrackOne {
  size_t pan_begin, pan_end;    // the card number, Luhn and issuer checked (empty when masked)
  size_t name_begin, name_end;  // the name field (empty when blank)
};

// Appends every track 1 in t whose card number passes the card validator,
// or is masked in part (411111XXXXXX1111: its name is still the
// cardholder's). Only at a '^' (memchr). Linear in t.
void FindTrackOne(std::string_view t, std::vector<TrackOne>* out);

// Card numbers right after a card label (카드, 카드번호, 신용카드, card,
// card no, Card number: ...; a number's word and at most four blanks, ':',
// '=', '#' or '.' between) that fail the card validator: 15 or 16 digits,
// bare, 4-4-4-4 or 4-6-5 with one of the card pattern's separators
// throughout. A mistyped card number is still the customer's card number;
// without the label Luhn stays required. (Those that pass are the card
// pattern's.) Linear in t.
void FindLabelledCards(std::string_view t, std::vector<LooseNumber>* out);

}  // namespace maskproxy::detect::internal
