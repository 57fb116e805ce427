// Numbers their writer masked only in part, showing more than a masked
// number may: `900101-123456*` (twelve of an RRN's thirteen digits; its
// checksum gives back the last), `4111-1111-1111-11**` (fourteen of a card's
// sixteen; Luhn leaves ten candidates), `010-1234-56**` (a hundred). The
// detectors need every digit, so these passed whole. The scanner adds what
// FindPartlyMasked finds as candidates of the built-in `partly_masked`
// detector (scanner.cc); its default action makes the whole number a
// placeholder.
//
// A number here is a run of digits and mask characters (`*`, `x`, `X`, `#`,
// `?`, `●`, `○`, `■`, `□`, `◆`, `◇`, `★`, `☆`, `※`, `•`), its groups joined by one '-', '.' or
// blank, holding at least one of each, not glued to a letter or digit,
// shaped as
//  - an RRN: six, then seven (or thirteen in one group), the first six a
//    date (YYMMDD) or masked, a gender digit 1-8 if shown; shown: more than
//    the date and the gender digit (the common `900101-1******`), or five or
//    more of the last seven behind a date masked in whole or in part
//    (`******-1234567`, `9001**-1234567`);
//  - a card: 4-4-4-4, 4-6-5, 4-6-4 or 14-16 in one group, starting with 3-6
//    or 9 (or masked); shown: more than the first six and the last four (PCI);
//  - a mobile phone: 01X then 3-4 and 4 (or 10-11 in one group); shown: all
//    but one or two digits (`010-****-5678`, `010-1234-****` show seven);
//  - a bank account, where the caller's AccountCheck takes it (the scanner:
//    its bank_account_kr detector's pattern, validator and context words,
//    with the hidden digits shown), grouped by '-' or blanks or not at all;
//    shown: all but one or two digits (`계좌 110-123-4567**`, `신한
//    110-123-45**89`; a hundred candidates or fewer, as for a phone).
// The card's limit: more than ten digits, or a digit between the first
// eight (an eight-digit BIN) and the last four (`4532-0151-12**-****`).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "detect/normalize.h"

namespace maskproxy::detect::internal {

// Whether the number masked in part at [begin, end) of the text is a bank
// account, read as `shape`: its digits and separators with a '5' for each
// hidden digit.
using AccountCheck = std::function<bool(size_t begin, size_t end, std::string_view shape)>;

// Appends the spans [begin, end) of `norm`'s text that are such numbers (a
// '-' that normalization made of a mask character, "●", is one). Linear in
// the text. `account`: null, no accounts are looked at.
void FindPartlyMasked(const NormalizedText& norm, std::vector<std::pair<size_t, size_t>>* out,
                      const AccountCheck* account = nullptr);

}  // namespace maskproxy::detect::internal
