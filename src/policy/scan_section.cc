// The `scan:` section: custom detectors next to the built-in ones, and the
// action for each detector's hits, compiled into one transform::Scanning.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codec/json.h"
#include "common/text.h"
#include "detect/pattern_size.h"
#include "detect/scanner.h"
#include "policy/internal/sections.h"
#include "policy/internal/yaml_diag.h"
#include "policy/scan_limits.h"
#include "transform/registry.h"

namespace maskproxy::policy::internal {

// True if a route scans unlisted fields or a rule uses action: scan.
bool UsesScanning(const YAML::Node& routes) {
  if (!routes || !routes.IsSequence()) return false;
  for (const auto& rn : routes) {
    if (!rn.IsMap()) continue;
    if (YAML::Node u = rn["unlisted_fields"]; u && u.IsScalar() && u.Scalar() == "scan") return true;
    if (YAML::Node rules = rn["rules"]; rules && rules.IsSequence())
      for (const auto& rule : rules)
        if (rule.IsMap() && rule["action"] && rule["action"].IsScalar() && rule["action"].Scalar() == "scan")
          return true;
  }
  return false;
}

namespace {

// A string or a list of strings.
Status ReadWords(const Ctx& c, const YAML::Node& n, std::vector<std::string>* out) {
  if (n.IsScalar()) {
    out->push_back(n.Scalar());
    return Status::Ok();
  }
  if (!n.IsSequence()) return c.At(n, "'context_words' must be a list of words");
  for (const auto& w : n) {
    if (!w.IsScalar() || w.Scalar().empty()) return c.At(w, "a context word must be non-empty text");
    if (!codec::IsValidUtf8(w.Scalar())) return c.At(w, "a context word must be valid UTF-8");
    out->push_back(w.Scalar());
  }
  return Status::Ok();
}

// The name a detector's errors quote: its name when it is a plain one.
std::string DetectorLabel(const YAML::Node& n) {
  if (n.IsMap())
    if (YAML::Node name = n["name"]; name && name.IsScalar() && !name.Scalar().empty() && name.Scalar().size() <= 64 &&
                                     std::all_of(name.Scalar().begin(), name.Scalar().end(), [](char ch) {
                                       return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
                                     }))
      return "detector" + text::Shown(name.Scalar());
  return "a detector";
}

// What the custom detectors ask of RE2, bounded from their text alone before
// any is compiled: how many there are, each pattern's length, and its
// repetitions unrolled (detect::EstimateProgramSize), each and together.
// False (errors in diag) when they ask for too much; nothing is compiled
// then.
bool DetectorsWithinBounds(const Ctx& c, const YAML::Node& list, Diag& diag) {
  if (list.size() > kMaxCustomDetectors) {
    diag.Add(c.At(list[kMaxCustomDetectors], "scan.detectors: " + std::to_string(list.size()) +
                                                 " custom detectors; at most " + std::to_string(kMaxCustomDetectors) +
                                                 " per policy"));
    return false;
  }
  bool ok = true;
  size_t total = 0;
  bool total_reported = false;
  for (const auto& n : list) {
    if (!n.IsMap()) continue;
    YAML::Node p = n["pattern"];
    if (!p || !p.IsScalar()) continue;
    const std::string& pattern = p.Scalar();
    if (pattern.size() > kMaxDetectorPatternBytes) {
      diag.Add(c.At(p, DetectorLabel(n) + ": the pattern is " + std::to_string(pattern.size()) + " bytes; at most " +
                           std::to_string(kMaxDetectorPatternBytes)));
      ok = false;
      continue;
    }
    const size_t estimate = detect::EstimateProgramSize(pattern);
    if (estimate > kMaxDetectorProgramSize) {
      diag.Add(c.At(p, DetectorLabel(n) + ": the pattern is too large: its repetitions unrolled make about " +
                           (estimate >= detect::kEstimateCap ? std::string("too many") : std::to_string(estimate)) +
                           " RE2 instructions; at most " + std::to_string(kMaxDetectorProgramSize) + " per detector"));
      ok = false;
      continue;
    }
    total += estimate;
    if (total > kMaxCustomProgramSize && !total_reported) {
      diag.Add(c.At(p, DetectorLabel(n) + ": with it the custom detectors' patterns unrolled make about " +
                           std::to_string(total) + " RE2 instructions; at most " +
                           std::to_string(kMaxCustomProgramSize) + " for all of them together"));
      total_reported = true;
      ok = false;
    }
  }
  return ok;
}

// One custom detector of `scan.detectors`. With `compile`, its pattern is
// compiled alone (RE2's program size counted into *program_total first);
// without it only what it says is checked.
std::optional<detect::DetectorSpec> ParseDetector(const Ctx& c, const YAML::Node& n,
                                                  const std::vector<detect::DetectorSpec>& builtins, bool compile,
                                                  size_t* program_total, Diag& diag) {
  auto fail = [&](const Error& e) -> std::optional<detect::DetectorSpec> {
    diag.Add(e);
    return std::nullopt;
  };
  if (!n.IsMap()) return fail(c.At(n, "a detector must be a mapping like { name: member_no, pattern: 'MB-\\d{8}' }"));
  // Unknown keys are reported with the detector's other errors.
  const bool keys_ok =
      CheckKeys(c, n, {"name", "pattern", "validator", "context_words", "context_window"}, "detector", diag);
  detect::DetectorSpec spec;
  auto name = RequireString(c, n, "name", "detector");
  if (!name.ok()) return fail(name.error());
  spec.name = *name;
  if (spec.name == "default")
    return fail(c.At(n["name"], "'default' names the actions' fallback; give the detector another name"));
  for (const auto& b : builtins)
    if (b.name == spec.name)
      return fail(c.At(n["name"], "detector" + text::Shown(spec.name) + " is built in; give yours another name"));
  auto pattern = RequireString(c, n, "pattern", "detector");
  if (!pattern.ok()) return fail(pattern.error());
  spec.pattern = *pattern;
  if (YAML::Node v = n["validator"]) {
    if (!v.IsScalar()) return fail(c.At(v, "'validator' must be a validator name"));
    spec.validator = v.Scalar();
  }
  if (YAML::Node w = n["context_words"]) {
    if (Status s = ReadWords(c, w, &spec.context_words); !s.ok()) return fail(s.error());
  }
  if (YAML::Node w = n["context_window"]) {
    long long v = 0;
    if (w.IsScalar() && w.Tag() == "!")
      return fail(c.At(w, "'context_window' must be a whole number, not a string (write it without quotes)"));
    if (!w.IsScalar() || !YAML::convert<long long>::decode(w, v) || v < 1 || v > 200)
      return fail(c.At(w, "'context_window' must be a whole number of characters, 1-200"));
    spec.context_window = static_cast<size_t>(v);
  }
  if (!keys_ok || !compile) return keys_ok ? std::optional<detect::DetectorSpec>(spec) : std::nullopt;
  // RE2's own count, under a budget of what the detectors have left, before
  // the full compilation below (an invalid pattern is reported there).
  const size_t left = kMaxCustomProgramSize - std::min(*program_total, kMaxCustomProgramSize);
  const size_t limit = std::min(kMaxDetectorProgramSize, left);
  if (limit == 0)
    return fail(c.At(n["pattern"], "detector" + text::Shown(spec.name) +
                                       ": the custom detectors before it compile to " + std::to_string(*program_total) +
                                       " RE2 instructions; at most " + std::to_string(kMaxCustomProgramSize) +
                                       " for all of them together"));
  if (auto size = detect::ProgramSize(spec.pattern, limit); size.ok()) {
    // Over the budget: RE2 stopped at about twice `limit`, counted as spent.
    const bool over_budget = *size >= detect::kEstimateCap;
    *program_total += over_budget ? 2 * limit : *size;
    if (*size > kMaxDetectorProgramSize && (!over_budget || limit == kMaxDetectorProgramSize))
      return fail(c.At(n["pattern"],
                       "detector" + text::Shown(spec.name) + ": the pattern compiles to " +
                           (over_budget ? "more than " + std::to_string(2 * limit) : std::to_string(*size)) +
                           " RE2 instructions; at most " + std::to_string(kMaxDetectorProgramSize) + " per detector"));
    if (*program_total > kMaxCustomProgramSize)
      return fail(c.At(n["pattern"], "detector" + text::Shown(spec.name) +
                                         ": with it the custom detectors compile to " +
                                         (over_budget ? "more than " : "") + std::to_string(*program_total) +
                                         " RE2 instructions; at most " + std::to_string(kMaxCustomProgramSize) +
                                         " for all of them together"));
  }
  // Compiled alone first, so that an error points at this detector.
  auto alone = detect::Scanner::Create({spec});
  if (!alone.ok()) {
    std::string msg = alone.error().message;
    if (size_t q = msg.find("': "); q != std::string::npos) msg = msg.substr(q + 3);
    YAML::Node at = n["pattern"];
    if (msg.find("validator") != std::string::npos && n["validator"]) at = n["validator"];
    if (msg.find("context") != std::string::npos && n["context_words"]) at = n["context_words"];
    return fail(c.At(at, "detector" + text::Shown(spec.name) + ": " + msg));
  }
  return spec;
}

// An action for a detector's hits: `NAME` or { action: NAME, options... }.
Result<std::unique_ptr<const transform::Action>> ParseScanAction(const Ctx& c, const YAML::Node& n,
                                                                 const std::string& detector, const Env& penv,
                                                                 std::string* action_name) {
  const std::string what = "scan action for" + text::Shown(detector);
  transform::ActionOptions opts;
  if (Tagged(n)) return TagError(c, n);
  if (n.IsScalar()) {
    *action_name = n.Scalar();
  } else if (n.IsMap()) {
    auto a = RequireString(c, n, "action", what.c_str());
    if (!a.ok()) return a.error();
    *action_name = *a;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) return c.At(kv.first, "option names must be plain names");
      const std::string& k = kv.first.Scalar();
      if (Tagged(kv.first)) return TagError(c, kv.first);
      if (Tagged(kv.second)) return TagError(c, kv.second);
      if (k == "action") continue;
      if (!kv.second.IsScalar() && !kv.second.IsNull())
        return c.At(kv.second, "option" + text::Shown(k) + " must be a single value");
      opts.Set(k, {.text = kv.second.IsNull() ? std::string() : kv.second.Scalar(),
                   .is_null = kv.second.IsNull(),
                   .quoted = kv.second.IsScalar() && kv.second.Tag() == "!"});
    }
  } else {
    return c.At(n, what + " must be an action name, off, or { action: NAME, options }");
  }
  if (*action_name == "scan") return c.At(n, what + ": scan cannot be a detector's action");
  if (*action_name == "keep") {
    // keep takes no option: one given (mode, value, ...) means the author
    // expected the hit to be replaced.
    if (const std::vector<std::string> extra = opts.Untaken(); !extra.empty())
      return c.At(n, what + ": keep takes no options (unknown option" + text::Shown(extra.front()) +
                         "); to replace the hit use an action such as redact");
    return std::unique_ptr<const transform::Action>();
  }
  transform::ActionEnv env{&penv.keys, transform::ScanFieldPath(detector), penv.ledger, nullptr};
  auto action = transform::CreateAction(*action_name, opts, env);
  if (!action.ok()) {
    std::string msg = action.error().message;
    if (!msg.empty() && msg[0] == '[') msg = msg.substr(msg.find(']') + 2);
    return c.At(n, what + ": " + msg, KeyCodeOr(action.error().code));
  }
  // A hit is replaced by text: actions that delete or null the value can't.
  if ((*action)->RemovesMember())
    return c.At(n, what + ": redact mode remove would delete the whole field; use mode: constant");
  if (*action_name == "redact") {
    std::string probe;
    codec::ScalarRef ref{codec::JsonType::kString, "\"x\"", "x"};
    if (!(*action)->Apply(transform::ActionContext{}, ref, &probe).ok() || probe.empty() || probe[0] != '"')
      return c.At(n, what + ": redact must use mode: constant (a hit is replaced by text)");
  }
  return std::unique_ptr<const transform::Action>(std::move(action).value());
}

}  // namespace

// The `scan:` section (or, without one, the built-in detectors, each hit
// replaced by "[<detector>]"). Errors go to diag; null then.
std::shared_ptr<const transform::Scanning> ParseScanning(const Ctx& c, const YAML::Node& node, const Env& env,
                                                         Diag& diag) {
  std::vector<detect::DetectorSpec> specs = detect::Scanner::Defaults();
  bool ok = true;
  YAML::Node actions_node;
  bool has_actions = false;
  if (node) {
    if (!node.IsMap()) {
      diag.Add(c.At(node, "'scan' must be a mapping with detectors and actions"));
      return nullptr;
    }
    if (!CheckKeys(c, node, {"detectors", "actions"}, "scan", diag)) ok = false;
    if (YAML::Node d = node["detectors"]) {
      if (!d.IsSequence()) {
        diag.Add(c.At(d, "'detectors' must be a list of { name, pattern, validator, context_words }"));
        ok = false;
      } else {
        const std::vector<detect::DetectorSpec> builtins = specs;
        std::set<std::string> names;
        // Bounded before anything is compiled; past the count nothing else is read.
        const bool compile = DetectorsWithinBounds(c, d, diag);
        if (!compile) ok = false;
        size_t program_total = 0;
        for (const auto& dn : d) {
          if (!compile && d.size() > kMaxCustomDetectors) break;
          auto spec = ParseDetector(c, dn, builtins, compile, &program_total, diag);
          if (!spec) {
            ok = false;
            continue;
          }
          if (!names.insert(spec->name).second) {
            diag.Add(c.At(dn["name"], "two detectors are named" + text::Shown(spec->name)));
            ok = false;
            continue;
          }
          specs.push_back(std::move(*spec));
        }
      }
    }
    if (YAML::Node a = node["actions"]) {
      actions_node.reset(a);  // (operator= with a missing node would throw)
      has_actions = true;
    }
    if (has_actions && !actions_node.IsMap()) {
      diag.Add(c.At(actions_node, "'actions' must map detector names (or default) to actions"));
      return nullptr;
    }
  }
  if (!ok) return nullptr;
  std::vector<std::string> known;
  for (const auto& s : specs) known.push_back(s.name);
  YAML::Node dflt;
  bool has_default = false;
  std::map<std::string, YAML::Node> by_name;
  if (has_actions) {
    for (const auto& kv : actions_node) {
      if (!kv.first.IsScalar()) {
        diag.Add(c.At(kv.first, "keys of 'actions' must be detector names"));
        ok = false;
        continue;
      }
      const std::string& k = kv.first.Scalar();
      if (k == "default") {
        dflt.reset(kv.second);
        has_default = true;
        continue;
      }
      if (std::find(known.begin(), known.end(), k) == known.end()) {
        std::string hint = text::Suggest(k, known);
        diag.Add(c.At(kv.first, "unknown detector" + text::Shown(k) + " (expected: default, " + text::Join(known) +
                                    (hint.empty() ? ")" : "; did you mean" + text::Shown(hint) + "?)")));
        ok = false;
        continue;
      }
      if (!by_name.emplace(k, kv.second).second) {
        diag.Add(c.At(kv.first, "detector" + text::Shown(k) + " has two actions"));
        ok = false;
      }
    }
  }
  auto is_off = [](const YAML::Node& n) { return n && n.IsScalar() && n.Scalar() == "off"; };
  if (has_default && is_off(dflt)) {
    diag.Add(c.At(dflt, "'default' cannot be off: name the detectors to turn off instead"));
    ok = false;
  }
  std::vector<detect::DetectorSpec> enabled;
  std::vector<transform::Scanning::DetectorAction> actions;
  int kept_by_default = 0;
  int weak_by_default = 0;  // (the default action's warnings are said once)
  for (size_t i = 0; i < specs.size(); ++i) {
    auto it = by_name.find(specs[i].name);
    const bool given = it != by_name.end() || has_default;
    YAML::Node spec_node = it != by_name.end() ? it->second : dflt;
    if (given && is_off(spec_node)) {
      // Off: what it would find passes in scanned text and unlisted fields,
      // uncounted; said like keep is.
      diag.Warn(c.At(spec_node, "warning: scan detector" + text::Shown(specs[i].name) +
                                    " is off: what it would find passes unchanged in scanned text (not counted)"));
      continue;
    }
    transform::Scanning::DetectorAction da;
    da.detector = specs[i].name;
    if (!given) {
      da.action_name = "redact";
      transform::ActionOptions o;
      o.Set("mode", {"constant", false});
      o.Set("value", {"[" + specs[i].name + "]", false});
      transform::ActionEnv aenv{&env.keys, transform::ScanFieldPath(specs[i].name), env.ledger, nullptr};
      auto a = transform::CreateAction("redact", o, aenv);
      if (!a.ok()) {
        YAML::Mark at;  // the scan section, or 1:1 without one
        if (node && node.IsDefined() && node.Mark().line >= 0) at = node.Mark();
        diag.Add(c.At(at,
                      "detector" + text::Shown(specs[i].name) + ": its default action (redact to [" + specs[i].name +
                          "]) cannot be made: " + a.error().message,
                      ErrorCode::kInternal));
        return nullptr;
      }
      da.action = std::move(a).value();
    } else {
      auto a = ParseScanAction(c, spec_node, specs[i].name, env, &da.action_name);
      if (!a.ok()) {
        diag.Add(a.error());
        ok = false;
        if (it == by_name.end()) break;  // one error for a bad default, not one per detector
        continue;
      }
      da.action = std::move(a).value();
      // The weak-option warnings a field rule's action gets (a mask showing
      // more than PCI allows, a bucket of one value): found by review, a
      // detector's `mask: keep_first 6, keep_last 6` said nothing.
      if (da.action && (it != by_name.end() || weak_by_default++ == 0))
        if (std::string w = da.action->Warning(); !w.empty())
          diag.Warn(c.At(spec_node, "warning: scan action for" +
                                        text::Shown(it != by_name.end() ? specs[i].name : std::string("default")) +
                                        ": " + w));
      // keep leaves a hit as it is: what the detector finds passes. Said
      // once for the default, once per detector named.
      if (!da.action && (it != by_name.end() || kept_by_default++ == 0))
        diag.Warn(c.At(spec_node, "warning: scan action for" +
                                      text::Shown(it != by_name.end() ? specs[i].name : std::string("default")) +
                                      " is keep: what it finds passes unchanged (it is counted, not protected)"));
    }
    da.settings = "pattern=" + specs[i].pattern + ", validator=" + specs[i].validator +
                  ", context_words=" + text::Join(specs[i].context_words, "|") +
                  ", context_window=" + std::to_string(specs[i].context_window);
    if (given && spec_node.IsMap()) da.settings += ", " + OptionText(spec_node, {"action"});
    enabled.push_back(specs[i]);
    actions.push_back(std::move(da));
  }
  if (!ok) return nullptr;
  if (enabled.empty()) {
    diag.Add(c.At(node ? node : YAML::Node(), "every detector is off: nothing would be scanned for"));
    return nullptr;
  }
  auto scanner = detect::Scanner::Create(enabled);
  if (!scanner.ok()) {
    diag.Add(c.At(node ? node : YAML::Node(), "detectors: " + scanner.error().message));
    return nullptr;
  }
  auto scanning = transform::Scanning::Create(std::move(scanner).value(), std::move(actions));
  if (!scanning.ok()) {
    diag.Add(c.At(node ? node : YAML::Node(), scanning.error().message));
    return nullptr;
  }
  return std::move(scanning).value();
}

}  // namespace maskproxy::policy::internal
