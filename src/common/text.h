// Small text helpers shared by config and policy validation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace maskproxy::text {

// Levenshtein distance, for "did you mean" suggestions on typos.
[[nodiscard]] size_t EditDistance(std::string_view a, std::string_view b);

// The closest candidate within a small distance, or "" if none is close.
[[nodiscard]] std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

// "a, b, c"
[[nodiscard]] std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ");

// Appends `s` as a JSON string literal (quotes included) to *out: '"', '\\'
// and control characters escaped (\uXXXX), bytes that are not valid UTF-8
// replaced by U+FFFD, so the output is always valid JSON. For log lines and
// the admin endpoints' bodies (never a record value).
void AppendJsonQuoted(std::string_view s, std::string* out);
[[nodiscard]] std::string JsonQuoted(std::string_view s);

// `s` as one printable line, for a diagnostic a person reads in a terminal,
// a log or the playground: control characters (C0 with line breaks and NUL,
// DEL, C1) are written as \n, \r, \t or \xNN; line and paragraph separators
// (U+2028, U+2029) and default-ignorable code points (zero-width and
// bidirectional controls, ...) as \u{XXXX}; bytes that are not UTF-8 as
// \xNN. Everything else (Hangul, quotes, backslashes) is kept. Names from a
// policy or config file reach error messages through this, so a name cannot
// start a forged line or hide what it says.
[[nodiscard]] std::string OneLine(std::string_view s);

// The bidirectional formatting characters (U+061C, U+200E, U+200F,
// U+202A-202E, U+2066-2069): they reorder what a terminal shows around them.
[[nodiscard]] bool IsBidiControl(uint32_t cp);

// True when `s` prints as exactly one line that a terminal shows as it is:
// valid UTF-8 without a control character (C0 with line breaks, tab and
// NUL, DEL, C1), a line or paragraph separator (U+2028, U+2029) or a
// bidirectional formatting character (IsBidiControl).
// `maskproxy reveal` prints a value as plain text only when it is.
[[nodiscard]] bool IsOneLine(std::string_view s);

// `s` when it has at most `max` bytes; otherwise its first bytes up to a
// UTF-8 character boundary within `max`, then "...(N bytes)": what a caller
// sent (a route name, a ticket) bounded before it goes into a log line or
// the audit trail, so a request cannot grow them by its body's size.
[[nodiscard]] std::string Clip(std::string_view s, size_t max = 256);

// Whether a name reads as words joined by '-' or '_' ("customerKey",
// "payments_card_2026", "KEY_2024", "apiKeyV2"): hex and base64 material
// never does (text.cc).
[[nodiscard]] bool ReadsAsWords(std::string_view name);
// Whether a word from a file, a flag or a request may be key material: it
// holds base64's '+', '/' or '=', or does not read as words (ReadsAsWords)
// and is either long (over 24 characters: base64 of 32 bytes is 43-44) or 8
// or more characters mixing upper and lower case (a piece of base64 or
// base64url material). crypto::MayBeKeyMaterial is this rule.
[[nodiscard]] bool MayBeKeyMaterial(std::string_view word);
// Whether a word reads as personal data: 7 or more digits in all (a
// resident number 900101-1234567, a phone, a card, an account, however
// grouped; ASCII or full-width digits), or an e-mail address (text, '@',
// text with a dot).
[[nodiscard]] bool MayBePersonalData(std::string_view word);
// The one rule for quoting a word someone wrote (a policy's action, option,
// enum value, key, path, route, topic or test name; a keyring's key name;
// a name on the command line) in an error, a log line or an HTTP answer:
// " 'WORD'", or " (not shown: it may be key material)" when a piece of it
// between punctuation other than + / = - _ may be (MayBeKeyMaterial), or
// " (not shown: it may be personal data)" (MayBePersonalData). The
// message's file:line:col says where the word is. crypto::ShownName is
// this rule.
[[nodiscard]] std::string Shown(std::string_view word);

// "ORIGIN:LINE:COLUMN: MESSAGE" (1-based), or "ORIGIN: MESSAGE" when line < 1,
// as OneLine: the one format of a located error in a policy, config or
// keyring file.
[[nodiscard]] std::string Located(std::string_view origin, int line, int column, std::string_view message);

}  // namespace maskproxy::text
