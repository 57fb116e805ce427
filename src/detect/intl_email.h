// E-mail addresses with non-ASCII characters (RFC 6531 local parts, IDN
// domains): `민준@example.com`, `minjun@예시.한국`, `josé.garcía@correo.es`.
//
// The built-in `email` detector's pattern is ASCII (so the scanner can run it
// on windows of ASCII bytes, prefilter.h); on such an address it finds
// nothing or only the ASCII tail next to the '@', and the rest would pass in
// the clear. The scanner adds what FindIntlEmails finds as candidates of that
// detector (scanner.cc), so they take part in the overlap resolution like its
// own matches.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace maskproxy::detect::internal {

// Appends to *out the spans [begin, end) of `text` (valid UTF-8, normalized
// as the scanner normalizes it) that are e-mail addresses holding at least
// one non-ASCII character; addresses of ASCII only are the pattern's. At each
// '@':
//  - the local part is the run before it of the pattern's ASCII characters
//    (letters, digits, `._%+-`) and non-ASCII letters (anything but
//    punctuation, symbols and spaces), at most 64 code points. When the
//    characters next to the '@' are Latin (ASCII or accented) and a letter of
//    another script comes before them without a space, the local part starts
//    at that switch: in `메일은minjun@…` the word glued before is Korean
//    prose (Korean mail services give ASCII local parts), and the address is
//    the pattern's; so is `민준kim@…`, whose 민준 is left as it is. A Hangul
//    letter next to the '@' takes the whole run (`kim민준@…`, `이메일민준@…`);
//  - the domain is two or more labels of ASCII letters, digits, '-' or
//    non-ASCII letters joined by '.', at most 255 bytes; a last label that
//    starts in Latin and turns to another script ends at the switch (a
//    particle: `…@naver.com으로` is `…@naver.com`); an ASCII last label
//    (the TLD) is two or more letters.
// Linear in the text: each '@' reads at most 64 code points back and 255
// bytes on.
void FindIntlEmails(std::string_view text, std::vector<std::pair<size_t, size_t>>* out);

}  // namespace maskproxy::detect::internal
