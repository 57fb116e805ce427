// Machine-readable zones of passports and ID cards (ICAO Doc 9303), as OCR
// of a document photo writes them into a ticket:
//
//   PMKORHONG<<GILDONG<<<<<<<<<<<<<<<<<<<<<<<<<<
//   M123456788KOR9001011M30010191234568<<<<<<<12
//
// The second line holds the passport number glued to its check digit, the
// birth date and the holder's personal number, the first the holder's name;
// the passport_kr pattern (a number standing alone, next to 여권/passport)
// finds none of it. The scanner adds each line FindMrzLines finds as a
// candidate of the built-in passport_kr detector (scanner.cc).
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace maskproxy::detect::internal {

// Appends to *out the spans [begin, end) of `text` (normalized as the
// scanner normalizes it) that are MRZ lines: a run of the MRZ alphabet
// (A-Z, 0-9, '<', and a-z as OCR may read it) of 28 to 100 characters (30,
// 36 and 44 as printed, with what OCR adds or drops, and lines it joined),
// with the runs single spaces join to it (OCR's spaces inside a line),
// holding "<<" (a name's separator or the filler every line ends with) and a
// digit or a '<' run of three (line 1: the name padded with fillers).
// Linear in the text.
void FindMrzLines(std::string_view text, std::vector<std::pair<size_t, size_t>>* out);

}  // namespace maskproxy::detect::internal
