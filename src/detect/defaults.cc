// The built-in detectors (Scanner::Defaults()): patterns, validators and
// context words. Patterns match the normalized text (normalize.h), so they
// only need ASCII digits, spaces and hyphens. docs/DETECTION.md describes
// each detector, its span conventions and its measured precision/recall.
//
// Pattern rules that keep the detectors independent of how the scanner
// retries a candidate its validator rejects:
//  - every alternative matches a whole token (fixed groupings, or a maximal
//    digit run that the scanner's boundary check rejects when it is glued to
//    more digits), so the longest match at a position is the right one
//    (exceptions: a 4-4-4-4 card followed by " 123" is taken for a
//    4-4-4-4-3 one, and a number written one digit at a time may be a
//    prefix of a longer such run; docs/DETECTION.md, known limits);
//  - where one alternative is a prefix of another (4-4-4 and 4-4-4-1), the
//    longer one comes first (RE2 prefers the earlier alternative).
#include <string>
#include <vector>

#include "detect/scanner.h"

namespace maskproxy::detect {

std::vector<DetectorSpec> Scanner::Defaults() {
  // The separator between digit groups as people type it: a '-' or '.' with
  // up to two spaces or tabs on either side ("010 - 1234 - 5678",
  // "900101.1234567"; normalization has made the Unicode dashes and the
  // middle dots '-'), one to three spaces or tabs ("010  1234  5678",
  // "900101<TAB>1234567"), or one of / _ ~ , * : | \ + alone
  // ("010/1234/5678", "900101,1234567", "010+1234+5678" from a URL; with
  // blanks around it, "05:04:02 / 4610000" is a list, not a phone), or a ';'
  // alone ("010;1234;5678"). The validators require every separator of a
  // number to be the same. (Groups joined by ", " and parentheses around a
  // group with blanks or in the middle are found by a finder:
  // loose_groups.h; in the patterns they would outgrow the phone detector's
  // automaton.)
  const std::string kSep = R"((?:[ \t]{1,3}|[ \t]{0,2}[-.][ \t]{0,2}|[/_~,*:|\\+;]))";
  // The representative numbers (1588-1234) take no ~ , * : | \ +:
  // "1800~1900" and "1600,1700" are ranges and lists.
  const std::string kNarrowSep = R"((?:[ \t]{1,3}|[ \t]{0,2}[-.][ \t]{0,2}|[/_]))";
  const std::string kRrnShape = R"(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))" + kSep + "?";
  // One digit at a time: every digit after a run of separator characters
  // ("0 1 0 1 2 3 4 5 6 7 8", "9-0-0-1-0-1-1-2-3-4-5-6-8", and with the
  // groups set apart, "0 1 0 - 1 2 3 4 - 5 6 7 8"), a way to write a number
  // past a detector. The validators read the digits (and, for phones and
  // cards, allow one separator between the digits and another between the
  // groups). (One to three separator characters, not kSep: four positions
  // a digit keep the detectors in the scanner's combined automaton,
  // prefilter.h; and bounded, so a match stays short: a run of any length
  // made the scan quadratic on "0-----...0-----...".)
  const std::string kDigitByDigit = R"((?:[ \t.\-/_~,*:|\\+;]{1,3}\d))";
  // Korean bank account groupings (digits per hyphen-separated group), longer
  // ones before their prefixes: 국민 6-2-6 and old 3-2-4-3, 신한/케이뱅크 3-3-6,
  // SC제일/신한(old)/수협 3-2-6, 우리 4-3-6, 하나 3-6-5, 농협/부산 3-4-4-2,
  // 기업 3-6-2-3, 카카오뱅크 4-2-7, 토스뱅크/수협 4-4-4, 새마을금고 4-4-4-1,
  // 대구 3-2-6-1, 씨티 3-6-3; without hyphens 11-14 digits. The validator
  // checks the digit count; the context words decide.
  // Other groupings seen on older or regional accounts (경남 3-2-7, 산업
  // 3-4-7, 3-2-5-1, 4-2-6) are matched too; the validator holds those
  // outside the table to more (ValidateBankAccount). A fixed list, not any
  // hyphenated digits: those made every date, phone and reference number a
  // candidate (a third more scan time) and near a bank word an account
  // ("입금 주문 844-040-3490", 3-3-4 like a landline).
  // (Grouped by '-', '_' or spaces, one kind in a number: ValidateBankAccount; a
  // number grouped by spaces only standing alone: AccountStandsAlone.)
  const std::string kAccount =
      R"(\d{6}[\- _]\d{2}[\- _]\d{6})"
      R"(|\d{3}[\- _](?:\d{2}[\- _](?:\d{6}(?:\d|[\- _]\d)?|\d{5}[\- _]\d|\d{4}[\- _]\d{3})|\d{3}[\- _]\d{6})"
      R"(|\d{6}[\- _](?:\d{2}[\- _]\d{3}|\d{5}|\d{3})|\d{4}[\- _](?:\d{7}|\d{4}[\- _]\d{2})))"
      R"(|\d{4}[\- _](?:\d{3}[\- _]\d{6}|\d{2}[\- _](?:\d{7}|\d{6})|\d{4}[\- _]\d{4}(?:[\- _]\d)?))"
      R"(|\d{11,14})";
  // (Bank names and their short forms; "카카오" and "토스" cover 카카오뱅크
  // and 토스뱅크; ASCII words of up to three characters count only standing
  // alone.)
  const std::vector<std::string> kBankWords = {
      "계좌", "입금", "송금", "이체", "은행", "예금주", "account", "bank", "acct", "국민", "신한", "우리", "하나",
      "농협", "기업", "ibk", "카카오", "카뱅", "토스", "케이뱅크", "케뱅", "새마을", "우체국", "수협", "신협", "산업",
      "kdb", "kb", "nh", "sc", "대구", "부산", "경남", "광주", "전북", "제주", "sc제일", "씨티", "citi", "통장", "뱅크",
      "예금", "a/c", "shinhan", "woori", "hana", "kookmin", "nonghyup", "toss", "kakao", "bnk", "deposit",
      // Payouts and transfers, and more banks (found by review). Not 환불 or
      // refund: "환불 예정" stands beside order and tracking numbers (the
      // corpus's hard negatives).
      "출금", "payout", "wire", "transfer", "remit", "withdraw", "savings", "checking", "iban", "keb", "dgb", "im뱅크",
      "산림조합", "증권", "저축", "hsbc", "sbi",
      // Found by a later review: short names (토뱅 토스뱅크, MG 새마을금고, 축협
      // and 농축협, 외환, 시티, 제일, Sh 수협, 산림), who receives it, loans
      // and savings, the English a payee form uses, and the usual typo.
      "토뱅", "mg", "축협", "외환", "시티", "제일", "sh", "산림", "수취인", "받는분", "환급", "적금", "대출", "상환",
      "cma", "beneficiary", "payee", "acc", "게좌"};
  // Phones: mobile 010/011/016-019, Seoul 02, regional 031-064, VoIP 070,
  // personal and relay numbers 0502-0508 (안심번호: 0504-1234-5678),
  // also after +82 or "82-" (with or without the trunk 0, or "(0)"), and the 15xx/16xx/18xx
  // representative numbers (전국대표번호) of the assigned prefixes, with or
  // without a separator; an area code may be in parentheses ("(02) 123-4567"),
  // or only closed by one ("02)123-4567").
  const std::string kTrunk = R"((?:1[016789]|2|3[1-3]|4[1-4]|5[1-5]|50[2-8]|6[1-4]|70))";
  const std::string kRepresentative =
      R"(1(?:5(?:22|33|44|66|77|88|99)|6(?:00|44|61|66|68|70|88)|8(?:00|11|33|55|77|99)))";
  // The country code: "+82", "(+82)" or "0082" (the international call
  // prefix 00; separator optional), or "82" without the plus followed by a separator
  // ("82-10-1234-5678": without one, "8210-1234-5678" is as often a 4-4-4
  // parcel or account number); then the trunk 0 as "(0)" or "0", or not at
  // all. One digit at a time, only after a '+' ("+ 8 2 1 0 ...").
  const std::string kCountry = R"((?:(?:\+|00|\(\+)82\)?)" + kSep + R"(?|82)" + kSep + R"()(?:\(0\))" + kSep + "?|0)?";
  // "10" alone: 10-1234-5678, a mobile number stored without its trunk 0 (a
  // national number beside a country code); the validator takes it only
  // grouped by '-' or a space (ten bare digits, and other groupings, are too
  // often amounts, ids or versions).
  const std::string kPhone = "(?:(?:" + kCountry + "|0)" + kTrunk + "|10)" + kSep + R"(?\d{3,4})" + kSep +
                             R"(?\d{4})"  // 010-1234-5678, +82 10 ...
                             // (02) 123-4567, (010)-1234-5678, and 02)123-4567 as Korean signs write it
                             + R"(|\(?0)" + kTrunk + R"(\))" + kSep + R"(?\d{3,4})" + kSep + R"(?\d{4})" + "|" +
                             kRepresentative + kNarrowSep +
                             R"(?\d{4})"  // 1588-1234

                             // 0 1 0 1 2 3 4 ..., + 8 2 1 0 ..., 0 0 8 2 1 0 ... and 1 5 8 8 ...
                             // (the validator checks the digit count, the 0082, and no odd
                             // separator in a representative number)
                             + R"(|(?:\+[ \t]?8[ \t.\-/_]{0,3}2|0|1))" + kDigitByDigit + R"({7,14})";
  return {
      {"rrn", kRrnShape + R"([0-9]\d{6}|\d)" + kDigitByDigit + "{12}", "rrn", {}, 20},
      {"frn", kRrnShape + R"([5-8]\d{6}|\d)" + kDigitByDigit + "{12}", "frn", {}, 20},
      // 4-4-4-4, 4-4-4-4-3 (19 digits), 4-6-5 (Amex), 4-6-4 (Diners), Amex and
      // Diners typed in fours (4-4-4-3, 4-4-4-2) grouped by
      // '-', ' ' or '.', or 13-19 digits, or one digit at a time; the validator checks Luhn, one
      // separator kind and that the length fits the issuer prefix.
      {"card",
       R"(\d{4})" + kSep + R"(\d{4})" + kSep + R"(\d{4})" + kSep + R"((?:\d{4}(?:)" + kSep +
           R"(\d{3})?|\d{2,3})|\d{4})" + kSep + R"(\d{6})" + kSep + R"(\d{4,5}|\d{13,19}|\d)" + kDigitByDigit +
           "{12,18}",
       "card",
       {},
       20},
      {"phone_kr", kPhone, "phone_kr", {}, 20},
      // 운전면허번호 RR-YY-NNNNNN-CC grouped by any narrow separator; the old
      // form YY-NNNNNN-CC (only after a region's name, 서울 or 서울특별시
      // 12-345678-90, or a licence word: the scanner checks) and 12 bare
      // digits (only next to a context word such as 면허 or license: they
      // collide with account and parcel numbers).
      {"driver_license_kr",
       R"(\d{2})" + kNarrowSep + R"(\d{2})" + kNarrowSep + R"(\d{6})" + kNarrowSep + R"(\d{2}|\d{2})" + kNarrowSep +
           R"(\d{6})" + kNarrowSep + R"(\d{2}|\d{12})",
       "driver_license_kr",
       {},
       20},
      // 사업자등록번호 NNN-NN-NNNNN (any narrow separator) or 10 bare digits.
      {"brn", R"(\d{3})" + kNarrowSep + R"(\d{2})" + kNarrowSep + R"(\d{5}|\d{10})", "brn_checksum", {}, 20},
      {"bank_account_kr", kAccount, "bank_account_kr", kBankWords, 20},
      // 여권번호 M12345678 or M123A4567, in either case ("m12345678": typed
      // into a form that does not upper-case it), also with a '-', '.', '_'
      // or a space after the letter ("M-12345678") or a '-' around the inner
      // one ("M123-A4567"). Only near 여권/passport.
      // Any letter first, so other countries' passports of that shape near
      // the same words are found too (found passing by review: China's
      // E12345678). (Japan's two letters and 7 digits and a US passport's 9
      // digits are not read: the combined automaton, prefilter.h, has no
      // room left.)
      {"passport_kr", R"([A-Za-z][ \-._]?(?:\d{8}|\d{3}-?[A-Za-z]-?\d{4}))", "none", {"여권", "passport"}, 20},
      // (A local part has at most 64 characters, RFC 5321: bounded, so the
      // scan stays linear on long runs of e-mail characters.)
      {"email", R"([A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})", "email", {}, 20},
      {"ipv4", R"(\d{1,3}(?:\.\d{1,3}){3})", "ipv4", {}, 20},
      {"ipv6", R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}\.\d{1,3}\.\d{1,3})?)", "ipv6", {}, 20},
      // Names and addresses in Korean text (korean_text.h) and numbers masked
      // in part that show too much (partly_masked.h): found by finders, not
      // by a pattern. Theirs never matches (the pattern set, which the
      // reference path and whole-text detectors run, holds every detector's
      // pattern; a real one would cost it time over Hangul for nothing).
      {"person_name", R"(\zperson_name)", "none", {}, 20},
      {"address", R"(\zaddress)", "none", {}, 20},
      {"partly_masked", R"(\zpartly_masked)", "none", {}, 20},
  };
}

}  // namespace maskproxy::detect
