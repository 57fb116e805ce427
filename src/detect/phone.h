// One canonical form of a Korean phone number, for joins: every way of
// writing the same number maps to the same string.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace maskproxy::detect {

// The national digits of a Korean phone number ("01012345678", "0212345678",
// "0311234567", "07012345678", "15881234"), from any written form:
//  - national: "010-1234-5678", "01012345678", "010 1234 5678",
//    "010.1234.5678", "(02) 123-4567", "(031)123-4567", "1588-1234";
//  - international: "+82 10-1234-5678", "+82-10-...", "+821012345678",
//    "+82 010-...", "+82 (0)10-...", "82-10-1234-5678", "82 10 1234 5678",
//    "0082-10-...", "+82 1588-1234";
//  - with full-width digits and symbols, Unicode spaces and dashes, and
//    default-ignorable or control characters anywhere (normalize.h folds
//    them first, as the scanner does).
// Only digits, separators (space, '-', '.', '/', '_'), one pair of parentheses
// and a leading '+' may appear; a '+' must be followed by 82. The digits
// must fit PhoneKrDigitsValid (validators.h). Anything else, invalid UTF-8
// among it, gives nullopt.
[[nodiscard]] std::optional<std::string> CanonicalPhoneKr(std::string_view text);

// The same into *out (cleared first; left empty on false), without
// allocating once *out has room.
[[nodiscard]] bool CanonicalPhoneKrInto(std::string_view text, std::string* out);

}  // namespace maskproxy::detect
