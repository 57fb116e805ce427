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
// one non-ASCII character or a Punycode TLD (the pattern stops at its "xn"),
// or with an IP address for a domain; other addresses of ASCII only are the
// pattern's. At each
// '@':
//  - the local part is the run before it of the pattern's ASCII characters
//    (letters, digits, `._%+-`) and non-ASCII letters (anything but
//    punctuation, symbols and spaces), at most 64 code points, not starting
//    with a separator and not reaching back into the previous address's
//    domain. A word or number glued before an address cannot be told from
//    its local part (`메일은minjun@…`, `홍길동hong@…`, `민준.kim@…`,
//    `01012345678민준@…`): it is taken with it, a word too many rather than a
//    name left (so a glued word makes an ASCII address one of these);
//  - the domain is labels of ASCII letters, digits, '-' or non-ASCII letters
//    joined by '.', at most 255 bytes, ending at the last label (the second
//    or later) that can start with a top-level domain: two or more ASCII
//    letters (`…@naver.com으로`, `…@example.com2`, `…@naver.com-확인` end
//    at `com`), a Punycode label (`xn--3e0b707e`), or an internationalized
//    TLD of IANA's root zone in Hangul (also decomposed), CJK, Cyrillic or
//    Greek (`한국`, `中国`, `рф`, `РФ`, ...) at its start, whatever follows
//    (`…@예시.한국으로`, `…@例子.中国的` end at the TLD; `회의@본사.한국어`
//    is masked too, rather than risk an address left), and not after two
//    ASCII labels (`kim@naver.com.한국에서`). A label after it that cannot
//    be one is not part of the address (`…@example.com.감사합니다`), and text
//    with no such label is no address (`회의@2층.대회의실`);
//  - or the domain is an address literal (`kim@[192.0.2.1]`,
//    `kim@[IPv6:2001:db8::1]`, with spaces inside, an IPv6 zone `%eth0`, or
//    without its `]`) or a bare IPv4 address (`kim@192.0.2.1`),
//    which the pattern's domains (ending in letters) do not take: such an
//    address is emitted whatever its characters.
// Linear in the text: each '@' reads at most 64 code points back (never past
// the previous address) and 255 bytes on.
void FindIntlEmails(std::string_view text, std::vector<std::pair<size_t, size_t>>* out);

}  // namespace maskproxy::detect::internal

namespace maskproxy::detect::internal {

// Addresses at a well-known mail provider typed slightly wrong, as chat and
// memos write them: `kim@naver,com`, `kim@naver. com`, `kim@naver..com`,
// `kim@naver·com`, `kim@navercom`, `kim@naver` and `kim@gmail로` (a
// particle after it), `kim@naver.cоm` (a look-alike letter in the TLD).
// The pattern and FindIntlEmails need a TLD of letters after a '.'; these
// have none. At each '@': a local part of the pattern's characters (at
// most 64, not starting with a separator), then one of the providers
// (naver, gmail, daum, hanmail, kakao, nate, hotmail, yahoo, outlook,
// icloud, empas, paran, dreamwiz, proton, protonmail) in any case, not
// followed by a letter or digit (or glued to `com`/`net`); the span takes
// the TLD after it across up to three dots, commas, middle dots or blanks
// (`com`, `net`, `co.kr`, `kr`, or any run of letters after a '.').
void FindProviderEmails(std::string_view text, std::vector<std::pair<size_t, size_t>>* out);

}  // namespace maskproxy::detect::internal
