// Scanning free text for PII and protecting what is found.
//
// A Scanning is the policy-wide answer to "what do we do with PII we find in
// text": a compiled detect::Scanner (the built-in detectors plus the policy's
// own) and, per detector, the action that replaces each hit (tokenize, mask,
// redact with a constant, encrypt, ...). Two users:
//  - the `scan` action (ScanAction) on a field a rule names, e.g. a memo;
//  - the schema-drift guard, `unlisted_fields: scan` (engine), on every
//    string and number no rule names.
// Each hit's action is created with the field path "$scan.<detector>", so the
// same phone number gets the same token (in the same tokenization domain)
// wherever it turns up, and `maskproxy reveal --field '$scan.<detector>'`
// reverses an encrypted hit.
//
// Where candidates overlap, the scanner picks the set that covers the most
// bytes (detect/scanner.h). A detector whose action is keep takes no part in
// that: its hits are reported and left as they are, and every other
// detector's hits are found and replaced as if it were not there. Where a
// candidate that lost the overlap would otherwise be left as text or shown
// (it reaches past the hits it overlaps, or lies inside a hit whose action
// shows part of it: mask keeping characters, fpe keeping a prefix,
// generalize), the candidate and those hits become one placeholder,
// "[<detector>]", of the first-listed detector among them; a candidate of a
// detector listed after a built-in, inside that built-in's hit, is that
// hit's (a card's digits near 계좌 are the card's). The built-ins come first,
// in the scanner's order, then the policy's own detectors.
//
// Text outside the hits is kept as it is (the decoded text is byte-identical;
// a string with a hit is re-encoded as JSON, so its escapes may change). A
// hit's action sees the normalized hit (full-width digits made ASCII,
// default-ignorable and control characters removed), so obfuscated and plain
// forms of one value give one token (for phones written differently, such
// as +82 10-... and 010-..., tokenize with normalize: phone_kr).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "detect/scanner.h"
#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

class Scanning {
 public:
  struct DetectorAction {
    std::string detector;                  // a name the scanner knows
    std::string action_name;               // for messages and reveal audit
    std::unique_ptr<const Action> action;  // null: "keep" (found, reported, left as is)
    // What the detector finds and what its action does, as written (a custom
    // detector's pattern, context words and window; the action's options):
    // the reloader reports a change of it as a protection changed.
    std::string settings = {};
  };

  // `actions` must name every detector of `scanner` exactly once. Errors:
  // "invalid_option" (an unknown or missing detector, an action that would
  // remove the whole value).
  [[nodiscard]] static Result<std::shared_ptr<const Scanning>> Create(std::unique_ptr<const detect::Scanner> scanner,
                                                                      std::vector<DetectorAction> actions);

  // Scans `text`. The detector of each hit (kept ones too) is appended to
  // ctx.scan_hits (if set). With no hit, or kept hits only, *found is false
  // and *out is untouched; else *found is true and *out is replaced by the
  // protected text. Errors:
  // the scanner's (invalid_utf8, detect_failed, ...), "scan_failed" when a
  // hit's action does not give text, or the action's own error. Never holds
  // the text in a message.
  [[nodiscard]] Status Protect(const ActionContext& ctx, std::string_view text, std::string* out, bool* found) const;

  // What a whole value the field's names say a detector's kind of is
  // becomes: the detector's action's output for it (normalized, as a hit),
  // or "[<detector>]" when its action is keep or the scanner has no such
  // detector (the names are a protection of their own, not a hit of text).
  // The detector is appended to ctx.scan_hits. Errors: the action's, as
  // Protect's.
  [[nodiscard]] Status ProtectWhole(const ActionContext& ctx, std::string_view detector, std::string_view value,
                                    std::string* out) const;

  // The action for a detector's hits (null for keep or an unknown name).
  [[nodiscard]] const DetectorAction* Find(std::string_view detector) const;
  [[nodiscard]] const detect::Scanner& scanner() const { return *scanner_; }
  [[nodiscard]] const std::vector<DetectorAction>& actions() const { return actions_; }

 private:
  Scanning() = default;
  // A detector's index in the scanner: its priority (lower first).
  [[nodiscard]] size_t Rank(std::string_view detector) const;
  // The stretches where the candidates that lost the overlap (`lost`) would
  // be shown or left as text: a candidate reaching past the hits it
  // overlaps (or over text between them other than separators), or covered
  // by hits one of whose actions shows part of its input. Not a conflict: a
  // candidate covered by hits whose actions show nothing, one inside a hit
  // of its own detector, or inside a built-in's hit when its detector is
  // listed after it. Each stretch is the candidate and the hits it
  // overlaps, merged where they meet, under the first-listed detector among
  // them; sorted by begin. `text` is what the spans index.
  void Conflicts(std::string_view text, const std::vector<detect::Span>& hits, const std::vector<detect::Span>& lost,
                 std::vector<detect::Span>* out) const;
  // Appends the detector's action's output for `hit` (normalized) as text.
  [[nodiscard]] Status Replace(const DetectorAction& da, const ActionContext& ctx, std::string_view hit,
                               std::string* out) const;
  std::unique_ptr<const detect::Scanner> scanner_;
  std::vector<DetectorAction> actions_;  // by detector index in the scanner
  std::vector<char> kept_;               // by detector index: 1 for keep (empty: none)
  std::vector<char> builtin_;            // by detector index: 1 for a built-in detector
};

// The field path a detector's actions are created with ("$scan.rrn").
[[nodiscard]] std::string ScanFieldPath(std::string_view detector);

// scan: the `scan` action of a rule. Strings are scanned as text, numbers as
// their literal text; a number with a hit becomes a JSON string (the digits
// can no longer be a number). Booleans and null pass. apply_to: whole is
// refused by the policy. No options; what each detector's hits become is the
// policy's `scan:` section.
class ScanAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  // The keys of the hits' reversible actions.
  [[nodiscard]] std::string KeyRef() const override;

 private:
  explicit ScanAction(std::shared_ptr<const Scanning> s) : scanning_(std::move(s)) {}
  std::shared_ptr<const Scanning> scanning_;
};

// The forms other than itself in which a reader sees the digits of a JSON
// number with a fraction or an exponent: its exact value and its significant
// digits (number::ReadableDigits) and its whole part, then the same of its
// nearest double (what Python's json, JavaScript or Spark read:
// 4111111111111110.9 is 4111111111111111.0 there) and, when that double is
// an integer below 1e19, its exact digits; none for an integer.
void NumberForms(std::string_view number, std::vector<std::string>* out);

// Scanning::Protect for a value that is a JSON number: one with a fraction or
// an exponent is also scanned in its NumberForms, the forms a reader sees
// its digits in; with a hit in one of them, *out is that form protected.
[[nodiscard]] Status ProtectNumber(const Scanning& scanning, const ActionContext& ctx, std::string_view number,
                                   std::string* out, bool* found);

// Scanning::Protect for a text that may be a number written as text (a key,
// a header, a CSV cell, a JSON string: "9.001011234567e12" reads like one):
// ProtectNumber when it is one (number::IsJsonNumber), else Protect. A whole
// number read under names that say phone or resident number is first read
// with the leading 0s a numeric type dropped put back (RestoredNumber), and
// a part of one kept in a field of its own (six or seven digits under RRN
// names: jumin1, jumin2; three or four under phone names: tel1..tel3)
// becomes "[rrn]" / "[phone_kr]".
[[nodiscard]] Status ProtectText(const Scanning& scanning, const ActionContext& ctx, std::string_view text,
                                 std::string* out, bool* found);

// A whole number (digits, or a float whose value is whole: "1012345678.0",
// "1.012345678e9", " 1012345678") whose leading 0 a numeric type dropped,
// with it put back where `field`'s names say what it was: "01012345678"
// under "mobile" or "phone.home", "0501014123456" under "jumin"; "" where
// they do not (not under names that also say amount, code, id, ...).
[[nodiscard]] std::string RestoredNumber(std::string_view text, std::string_view field);

// A person's name or address in a value read under field names that say so
// (ActionContext::field): "person_name" or "address", the placeholder's
// detector, else "". No detector finds a name or an address in free text;
// under unlisted_fields: scan the field's names do, and such a value becomes
// "[person_name]" / "[address]" (ScanScalar, ProtectText), reported like a
// detector's hit. A name: the leaf says name with a person ("customer_name",
// "holderName", "first_name", "surname", 예금주, 성명), or is "name" under a
// person ("recipients[*].name", "user.name"); not a thing's ("bank_name",
// "product.name", "file_name"). An address: address, addr, street, 주소,
// 배송지; not a machine's ("ip_address", "email_address", "wallet_addr").
// The value must hold a letter.
[[nodiscard]] std::string_view PersonalField(std::string_view names, std::string_view value);

// Applies `scanning` to one JSON scalar (for ScanAction and the engine's
// unlisted-field guard): appends the replacement JSON text to *out and sets
// *changed when something was found; leaves both alone otherwise.
[[nodiscard]] Status ScanScalar(const Scanning& scanning, const ActionContext& ctx, const codec::ScalarRef& v,
                                std::string* out, bool* changed);

}  // namespace maskproxy::transform
