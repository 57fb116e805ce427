// The action interface: one protection applied to one selected value.
//
// Actions are created once per policy rule by the factory (registry.h), which
// validates their options; then Apply() runs on the record path. Apply()
// never throws and never puts the value into an error message.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/json.h"
#include "common/result.h"

namespace maskproxy::metrics {
class Counter;
}  // namespace maskproxy::metrics

namespace maskproxy::transform {

// What an action knows about where the value came from. Used as associated
// data by reversible actions; never logged with the value.
enum class ArrayElement : uint8_t { kNone, kFirst, kAfterPart, kAfterOther };

struct ActionContext {
  std::string_view topic;
  // When set, the `scan` action appends the detector name of each hit
  // (names live as long as the policy). Never the value.
  std::vector<std::string_view>* scan_hits = nullptr;
  // When set, `on_unprotectable: redact` appends its counter for each value
  // it redacted instead of counting it at once: the caller counts the
  // record's values when the record is durable (the pipeline: when its
  // transaction commits), or never (a dry run).
  std::vector<metrics::Counter*>* unprotectable = nullptr;
  // The name the value is read under when it is scanned (the names of its
  // field's path, a header's or a CSV column's name): a detector's context
  // word in it counts for the whole value (detect::Scanner::Scan's
  // `context`). Empty: none.
  std::string_view field = {};
  // Whether the value is an element of an array (its `field` names the
  // array): a list's elements may be the parts of one number
  // (["900101","1234568"]), the first, then each after a part.
  ArrayElement array_element = ArrayElement::kNone;
};

class Action {
 public:
  virtual ~Action() = default;
  // Appends the replacement JSON text for `value` to *out.
  [[nodiscard]] virtual Status Apply(const ActionContext& ctx, const codec::ScalarRef& value,
                                     std::string* out) const = 0;
  // True if the member is deleted instead of rewritten (redact mode=remove).
  [[nodiscard]] virtual bool RemovesMember() const { return false; }
  // True if the output may show characters of the input or something read
  // from them (mask's kept characters, fpe's kept prefix and suffix,
  // generalize's year or bucket). In the `scan` action, another detector's
  // candidate inside such a hit makes the hit a placeholder instead
  // (Scanning::Conflicts, scan.h). True unless an action says otherwise
  // (fail closed):
  // tokenize, encrypt, encrypt_deterministic and redact show nothing of it.
  [[nodiscard]] virtual bool ShowsInput() const { return true; }
  // "name:version" of the key a reversible action (encrypt,
  // encrypt_deterministic, fpe) uses for new outputs; "" for the others.
  // FPE output cannot carry it in-band, so the proxy puts it in a header.
  [[nodiscard]] virtual std::string KeyRef() const { return ""; }
  // The key a rule compiled with a reveal-only keyring that lacks it would
  // need (the unavailable placeholder's `key:`); "" for every other action.
  // An offline reveal compiles the policy without keys first, to load only
  // the key of the field it reverses.
  [[nodiscard]] virtual std::string MissingKey() const { return ""; }
  // True if Apply() counts encryptions in the ActionEnv's UsageLedger (AES-GCM
  // with random 96-bit IVs: encrypt with format e1; e2 needs no count). The ledger must then live as long as the
  // action.
  [[nodiscard]] virtual bool CountsEncryptions() const { return false; }
  // Why these options may protect less than their author thinks (e.g. a mask
  // that shows almost every character), for `policy check` to warn; "" when
  // nothing stands out. Never about a value.
  [[nodiscard]] virtual std::string Warning() const { return ""; }
  // Which outputs reveal under this action: "" when an output reveals only
  // under the rule that wrote it (encrypt binds topic and field) or never;
  // otherwise an id that every action whose outputs also reveal here shares
  // (fpe and encrypt_deterministic bind only their key and domain: "fpe|KEY|
  // DOMAIN"). The reveal service asks for a grant of each rule with the
  // same id, since a value could come from any of them.
  [[nodiscard]] virtual std::string RevealScope() const { return ""; }
  // Gives back the original JSON text (e.g. "\"900101-1234567\"" or
  // "125000") of an output this action produced for `ctx`. Self-describing
  // outputs (encrypt, encrypt_deterministic) name their key version and ignore
  // `key_version`; fpe uses `key_version` if given, else the active version.
  // Errors: "not_reversible" (default), "invalid_ciphertext" (not this
  // action's output format), "key_mismatch", "key_version_unknown",
  // "auth_failed" (tampered, or another topic/field/domain/key).
  [[nodiscard]] virtual Result<std::string> Reveal(const ActionContext& ctx, std::string_view output_json_text,
                                                   std::optional<uint32_t> key_version) const;
};

// A rule's options as written in the policy: scalar text by name, with the
// caller's location info kept by the caller. Factories read options through
// Take*() so that unknown (never taken) options can be reported as errors.
class ActionOptions {
 public:
  struct Value {
    std::string text;
    bool is_null = false;
    // Written as a quoted string ("2"): TakeInt and a number option refuse
    // it, as a template that quotes everything would change what is checked.
    bool quoted = false;
  };

  void Set(std::string name, Value v) { values_[std::move(name)] = std::move(v); }
  [[nodiscard]] bool Has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
  // Whether the option was written as a quoted string (Value::quoted).
  [[nodiscard]] bool Quoted(std::string_view name) const {
    auto it = values_.find(std::string(name));
    return it != values_.end() && it->second.quoted;
  }

  // Each returns an error with code "invalid_option" naming the option.
  [[nodiscard]] Result<std::string> TakeString(std::string_view name, std::string_view dflt, bool required = false);
  [[nodiscard]] Result<int64_t> TakeInt(std::string_view name, int64_t dflt, int64_t min, int64_t max);
  [[nodiscard]] Result<std::string> TakeEnum(std::string_view name, std::string_view dflt,
                                             const std::vector<std::string>& allowed);
  [[nodiscard]] std::vector<std::string> Untaken() const;
  [[nodiscard]] const std::vector<std::string>& Taken() const { return taken_; }
  // The option an error is about, for locating it in the policy file.
  static std::string OptionOf(const Error& e);

 private:
  std::map<std::string, Value> values_;
  std::vector<std::string> taken_;
};

// How little of a value an action leaves readable, by its name: 0 keep (all
// of it), 1 mask, generalize and scan (a part of it: some characters, a
// coarser value, what the detectors do not find), 2 every other (a token, a
// ciphertext, a constant, nothing). The reloader reports a rule moved down
// this order as a protection given up; a shape mismatch protected by several
// rules takes the highest.
[[nodiscard]] int ActionStrength(std::string_view action_name);

// How little of a value a rule's action leaves readable, for ranking the
// rules that protect a shape mismatch (codec::TerminalOptions::
// mismatch_strength), by its name and, for mask and fpe, whether it keeps
// characters (Action::ShowsInput): 3 nothing (tokenize, encrypt,
// encrypt_deterministic, redact: a token, a ciphertext, a constant, no
// member); 2 only its form (fpe or mask keeping no character: its length and
// where its separators are); 1 a part of it (mask or fpe keeping characters,
// generalize, scan); 0 keep. Found by review: by name alone, fpe with
// keep_prefix/keep_suffix ranked with tokenize, and the first in policy
// order showed an RRN's first and last digits while a tokenize rule also
// claimed it.
[[nodiscard]] int MismatchStrength(std::string_view action_name, const Action& action);

// Which part of a value an action of MismatchStrength 1 leaves readable: 1
// mask and fpe keeping characters, and generalize; 2 scan; 0 for the others
// (PartialKind, with fpe's kept characters counted as a mask's).
[[nodiscard]] int MismatchPartialKind(std::string_view action_name, const Action& action);

// Which part of a value an action of strength 1 leaves readable: 1 mask and
// generalize (characters or a coarser value, whatever the value holds), 2
// scan (everything the detectors do not find: a name or a number no detector
// knows passes whole); 0 for the others. The two kinds cannot be ranked (an
// RRN masked with keep_first 6 shows its date, scanned it is a token; a name
// scanned passes, masked it does not): a shape mismatch that rules of both
// kinds claim is a dead letter, and the reloader reports a change from one
// to the other as a protection given up (found by review: a scan rule beside
// a mask rule made a mismatching name pass through the scan).
[[nodiscard]] int PartialKind(std::string_view action_name);

// Whether an action's outputs can be revealed, by its name: encrypt,
// encrypt_deterministic and fpe; every other action is one-way. The one
// list behind reveal's refusal ("not_reversible", decided before any value
// is read), the reveal grants' warnings and the reloader.
[[nodiscard]] bool IsReversible(std::string_view action_name);

}  // namespace maskproxy::transform
