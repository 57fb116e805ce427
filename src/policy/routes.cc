// Routes and their rules: `from`/`to`/`dead_letter`, `unlisted_fields`,
// value/$key/$header rules and their actions, `binary:`; topic names and
// source patterns.
#include <re2/re2.h>
#include <regex.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codec/path.h"
#include "common/text.h"
#include "common/unicode.h"
#include "detect/pattern_size.h"
#include "policy/internal/sections.h"
#include "policy/internal/yaml_diag.h"
#include "policy/policy.h"
#include "transform/registry.h"
#include "transform/unprotectable.h"

namespace maskproxy::policy {
namespace internal {
namespace {

Status CheckTopic(const Ctx& c, const YAML::Node& n, const std::string& topic, const char* key) {
  if (!IsValidTopicName(topic))
    return c.At(n, std::string("'") + key + "' is not a valid Kafka topic name (1-249 characters of [a-zA-Z0-9._-])");
  return Status::Ok();
}

constexpr std::string_view kKeyPath = "$key";
constexpr std::string_view kHeaderPrefix = "$header.";

// A header's name as a rule or `binary:` writes it: UTF-8, and without a
// character a reader does not see (codec::FindNameFlaw), which would make it
// name another header than the one it shows.
Status CheckHeaderName(const Ctx& c, const YAML::Node& n, const std::string& name) {
  if (auto flaw = codec::FindNameFlaw(name))
    return c.At(
        n, "header name" + text::Shown(name) + " at character " + std::to_string(flaw->pos + 1) + ": " + flaw->what);
  return Status::Ok();
}

// Bounds on a route's `from` pattern (a topic name has at most 249
// characters; a pattern that names a family of them needs far fewer
// instructions than a custom detector's budget, scan_limits.h).
constexpr size_t kMaxTopicPatternBytes = 1024;
constexpr size_t kMaxTopicPatternProgram = 2000;

// Why a pattern that RE2 accepts would select other topics in librdkafka's
// subscription (POSIX ERE through regcomp, policy.h SubscriptionPattern), or
// "" when the dialects agree on it.
std::string SubscriptionDialectMismatch(const std::string& pattern) {
  // Escapes: only of the operators both read alike. A letter or digit after
  // '\\' is a class or backreference in RE2 and the letter in POSIX; GNU's
  // \\< \\> \\` \\' are anchors there and literals in RE2.
  constexpr std::string_view kEscapable = ".^$|?*+()[]{}-\\/_";
  bool in_brackets = false;
  for (size_t i = 0; i + 1 < pattern.size(); ++i) {
    const char ch = pattern[i];
    if (in_brackets) {
      // A backslash is a literal inside POSIX brackets and an escape in RE2's;
      // [= =] and [. .] are POSIX collating forms RE2 does not have.
      if (ch == '\\') return "a '\\' inside [...] is a literal there (list the characters plainly)";
      if (ch == ']') {
        in_brackets = false;
        continue;
      }
      if (ch == '[' && (pattern[i + 1] == '=' || pattern[i + 1] == '.'))
        return "[= =] and [. .] are not read alike (list the characters plainly)";
      if (ch == '[' && pattern[i + 1] == ':') {
        const size_t end = pattern.find(":]", i + 2);
        if (end == std::string::npos) return "an unclosed [: :] class";
        i = end + 1;
      }
      continue;
    }
    if (ch == '\\') {
      const char e = pattern[i + 1];
      if (kEscapable.find(e) == std::string_view::npos)
        return std::string("'\\") + e +
               "' is not an escape there (write [0-9] for \\d, [A-Za-z0-9_] for \\w; escape only . ^ $ | ? * + ( ) [ ] "
               "{ } - _ /)";
      ++i;
    } else if (ch == '(' && pattern[i + 1] == '?') {
      return "'(?' starts no group there (write (...) for (?:...); flags are not supported)";
    } else if (ch == '{' && pattern[i + 1] == ',') {
      return "'{,n}' is a repeat there and literal text in RE2 (write {0,n})";
    } else if (ch == '[') {
      in_brackets = true;
      if (pattern[i + 1] == '^') ++i;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;  // a ']' first is a member
    }
  }
  Route probe;
  probe.from = pattern;
  regex_t re;
  if (regcomp(&re, SubscriptionPattern(probe).c_str(), REG_EXTENDED | REG_NOSUB) != 0)
    return "it does not compile as one";
  regfree(&re);
  return "";
}

// Adds the comma-separated "name:version" refs of an action to *refs.
void AddKeyRefs(const std::string& refs, std::set<std::string>* out) {
  size_t b = 0;
  while (b < refs.size()) {
    size_t e = refs.find(',', b);
    if (e == std::string::npos) e = refs.size();
    if (e > b) out->insert(refs.substr(b, e - b));
    b = e + 1;
  }
}

// One rule. Its errors go to diag, as many as can be told apart: a rule with
// a bad path still has its action and options checked. Nullopt if any.
std::optional<Rule> ParseRule(const Ctx& c, const YAML::Node& node, const Env& penv, const std::string& route,
                              Diag& diag) {
  if (!node.IsMap()) {
    diag.Add(c.At(node, "a rule must be a mapping like { path: user.rrn, action: tokenize, key: rrn }"));
    return std::nullopt;
  }
  const size_t errors_before = diag.size();
  auto add = [&](const Error& e) { diag.Add(e); };
  if (Tagged(node)) add(TagError(c, node));
  std::set<std::string> seen;
  bool duplicates = false;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      add(c.At(kv.first, "rule keys must be plain names"));
      return std::nullopt;
    }
    if (Tagged(kv.first)) add(TagError(c, kv.first));
    if (Tagged(kv.second)) add(TagError(c, kv.second));
    if (kv.first.Scalar() == "<<") {
      add(MergeKeyError(c, kv.first));
      return std::nullopt;
    }
    if (!seen.insert(kv.first.Scalar()).second) {
      add(c.At(kv.first, "duplicate key" + text::Shown(kv.first.Scalar()) + " in rule"));
      duplicates = true;
    }
  }
  Rule r;
  if (auto path_text = RequireString(c, node, "path", "rule"); !path_text.ok()) {
    add(path_text.error());
  } else if (*path_text == kKeyPath) {
    r.target = Target::kKey;
    r.path.text = *path_text;
  } else if (path_text->rfind(kHeaderPrefix, 0) == 0) {
    r.target = Target::kHeader;
    r.header = path_text->substr(kHeaderPrefix.size());
    r.path.text = *path_text;
    if (r.header.empty())
      add(c.At(node["path"], "'$header.' needs a header name, e.g. $header.customer-id"));
    else if (Status ok = CheckHeaderName(c, node["path"], r.header); !ok.ok())
      add(ok.error());
  } else if (!path_text->empty() && (*path_text)[0] == '$') {
    r.path.text = *path_text;
    add(c.At(node["path"], "unknown record part" + text::Shown(*path_text) +
                               " (expected $key, $header.NAME, or a field path such as user.rrn)"));
  } else if (auto path = codec::FieldPath::Parse(*path_text); !path.ok()) {
    r.path.text = *path_text;
    add(c.At(node["path"], path.error().message));
  } else {
    r.path = std::move(path).value();
    // A key that only reads as another (a space at its end, full-width
    // letters): records name the plain one, which is then refused as
    // ambiguous, never protected by this rule.
    for (const auto& seg : r.path.segments) {
      if (seg.kind != codec::PathSegment::Kind::kKey) continue;
      std::string lower = seg.key;
      for (char& ch : lower)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      if (const std::string folded = unicode::FoldName(seg.key); folded != lower && folded != seg.key) {
        diag.Warn(c.At(node["path"], "warning: rule" + text::Shown(r.path.text) + ": key" + text::Shown(seg.key) +
                                         " reads as" + text::Shown(folded) +
                                         " (spaces, width or invisible characters): a record whose member is named "
                                         "that way is refused as ambiguous_field_name, not protected by this rule"));
        break;
      }
    }
  }
  auto action_name = RequireString(c, node, "action", "rule");
  if (!action_name.ok()) {
    add(action_name.error());
    return std::nullopt;
  }
  if (YAML::Node a = node["apply_to"]) {
    if (!a.IsScalar() || (a.Scalar() != "leaves" && a.Scalar() != "whole")) {
      add(c.At(a,
               "'apply_to' must be leaves (each scalar inside an object or array, the default) or whole "
               "(the object or array as one value)"));
    } else {
      r.whole = a.Scalar() == "whole";
      if (r.whole && r.target != Target::kValue)
        add(c.At(a, "'apply_to: whole' only applies to field paths, not to $key or $header"));
      if (r.whole && *action_name == "scan")
        add(c.At(a, "'apply_to: whole' does not apply to scan: it scans each string and number inside"));
      // The object's or array's JSON text is the value: characters kept of it
      // are its punctuation and whatever follows ("[\"9001*…" showed
      // digits the rule's author did not count; found by review).
      for (const char* keep : {"keep_first", "keep_last", "keep_prefix", "keep_suffix"})
        if (r.whole && node[keep] && !(node[keep].IsScalar() && node[keep].Scalar() == "0"))
          add(c.At(node[keep], "'" + std::string(keep) +
                                   "' does not go with 'apply_to: whole': the characters kept would be those of the "
                                   "object's or array's JSON text, whatever its members hold; protect it whole, or "
                                   "name the fields inside"));
    }
  }
  bool redact_unprotectable = false;  // on_unprotectable (transform/unprotectable.h)
  if (YAML::Node u = node["on_unprotectable"]) {
    if (!u.IsScalar() || (u.Scalar() != "dead_letter" && u.Scalar() != "redact"))
      add(c.At(u,
               "'on_unprotectable' must be dead_letter (the default: a value the action refuses sends the record "
               "to the dead-letter topic) or redact (the value becomes null)"));
    else if (!transform::AcceptsOnUnprotectable(*action_name))
      add(c.At(u, "'on_unprotectable' does not apply to " + *action_name +
                      (*action_name == "scan" ? ": it refuses records for the PII it finds, not for a value's shape"
                                              : ": it never refuses a value")));
    else
      redact_unprotectable = u.Scalar() == "redact";
  }
  if (YAML::Node m = node["on_shape_mismatch"]) {
    if (!m.IsScalar() || (m.Scalar() != "dead_letter" && m.Scalar() != "protect")) {
      add(c.At(m,
               "'on_shape_mismatch' must be dead_letter (a record whose value on the way to this path has "
               "another shape is refused, the default) or protect (every scalar in that value gets this "
               "rule's action)"));
    } else {
      r.protect_on_mismatch = m.Scalar() == "protect";
      if (r.target != Target::kValue)
        add(c.At(m, "'on_shape_mismatch' only applies to field paths"));
      else if (r.protect_on_mismatch && *action_name == "keep")
        add(c.At(m, "'on_shape_mismatch: protect' does not apply to keep: the mismatching value would pass unchecked"));
    }
  }

  // Which of two values an option has is unknown: the options are not
  // checked, but an unknown action still is (reported with the duplicate).
  if (duplicates) {
    const std::vector<std::string> actions = transform::ActionNames();
    if (std::find(actions.begin(), actions.end(), *action_name) == actions.end()) {
      const std::string hint = text::Suggest(*action_name, actions);
      add(c.At(node["action"], "rule" + text::Shown(r.path.text) + ": unknown action" + text::Shown(*action_name) +
                                   (hint.empty() ? "" : " (did you mean" + text::Shown(hint) + "?)")));
    }
    return std::nullopt;
  }
  transform::ActionOptions opts;
  bool options_ok = true;
  for (const auto& kv : node) {
    const std::string& k = kv.first.Scalar();
    if (k == "path" || k == "action" ||
        std::any_of(std::begin(transform::kRuleOptions), std::end(transform::kRuleOptions),
                    [&](const char* o) { return k == o; }))
      continue;
    if (!kv.second.IsScalar() && !kv.second.IsNull()) {
      add(c.At(kv.second, "option" + text::Shown(k) + " must be a single value"));
      options_ok = false;
      continue;
    }
    opts.Set(k, {.text = kv.second.IsNull() ? std::string() : kv.second.Scalar(),
                 .is_null = kv.second.IsNull(),
                 .quoted = kv.second.IsScalar() && kv.second.Tag() == "!"});
  }
  if (*action_name == "scan" && !penv.scanning) {
    add(c.At(node["action"],
             "rule" + text::Shown(r.path.text) + ": scan is unavailable until the scan section is fixed"));
    return std::nullopt;
  }
  if (!options_ok) return std::nullopt;
  std::vector<std::string> not_options{"path", "action"};
  not_options.insert(not_options.end(), std::begin(transform::kRuleOptions), std::end(transform::kRuleOptions));
  r.options = OptionText(node, not_options);
  // What binds the outputs to the field: one spelling per path (a quoted
  // key, an escape or a header name's case does not change it: a review
  // found a respelled path revealing another plausible phone number).
  std::string binding = r.path.text;
  if (r.target == Target::kValue) {
    binding = r.path.Canonical();
  } else if (r.target == Target::kHeader) {
    binding = std::string(kHeaderPrefix) + r.header;
    for (size_t i = kHeaderPrefix.size(); i < binding.size(); ++i)
      if (binding[i] >= 'A' && binding[i] <= 'Z') binding[i] = static_cast<char>(binding[i] - 'A' + 'a');
  }
  transform::ActionEnv env{&penv.keys, binding, penv.ledger, penv.scanning};
  auto action = transform::CreateAction(*action_name, opts, env);
  if (!action.ok()) {
    const Error& e = action.error();
    std::string opt = transform::ActionOptions::OptionOf(e);
    std::string msg = e.message;
    if (!msg.empty() && msg[0] == '[') msg = msg.substr(msg.find(']') + 2);
    msg = "rule" + text::Shown(r.path.text) + ": " + msg;
    if (e.code == ErrorCode::kUnknownAction) {
      add(c.At(node["action"], msg, ErrorCode::kPolicyInvalid));
      return std::nullopt;
    }
    if (!opt.empty() && node[opt]) {
      // Point at the key for unknown options, at the value otherwise.
      bool unknown = e.message.find("unknown option") != std::string::npos;
      for (const auto& kv : node)
        if (kv.first.Scalar() == opt) {
          add(c.At(unknown ? kv.first : kv.second, msg, KeyCodeOr(e.code)));
          return std::nullopt;
        }
    }
    add(c.At(node, msg, KeyCodeOr(e.code)));
    return std::nullopt;
  }
  r.action_name = *action_name;
  r.action = std::move(action).value();
  if (std::string w = r.action->Warning(); !w.empty())
    diag.Warn(c.At(node["action"], "warning: rule" + text::Shown(r.path.text) + ": " + w));
  if (diag.size() != errors_before) return std::nullopt;
  if (redact_unprotectable) {
    auto wrapped = transform::RedactUnprotectable::Create(std::move(r.action),
                                                          transform::UnprotectableCounter(route, r.path.text));
    if (!wrapped.ok()) {
      add(c.At(node["on_unprotectable"], wrapped.error().message));
      return std::nullopt;
    }
    r.action = std::move(wrapped).value();
  }
  r.line = node.Mark().line + 1;
  return r;
}

// The header rule of `r` whose name `name` folds to (unicode::FoldHeaderName),
// or null.
const Rule* FoldedHeaderRule(const Route& r, const std::string& name) {
  const std::string folded = unicode::FoldHeaderName(name);
  for (const auto& [h, i] : r.header_rules)
    if (unicode::FoldHeaderName(h) == folded) return &r.rules[static_cast<size_t>(i)];
  return nullptr;
}

// A route's `binary:` mapping ($key or $header.NAME -> pass | drop), read
// after its rules. False (errors added to diag) if it is invalid.
bool ParseBinary(const Ctx& c, const YAML::Node& b, Route* r, Diag& diag) {
  if (!b) return true;
  if (!b.IsMap() || b.size() == 0) {
    diag.Add(c.At(b, "'binary' must map $key or $header.NAME to pass or drop, e.g. binary: { $key: pass }"));
    return false;
  }
  if (r->unlisted == Unlisted::kKeep) {
    diag.Add(c.At(b,
                  "'binary' applies with unlisted_fields: scan or drop (with keep, keys and headers no rule "
                  "names pass as they are)"));
    return false;
  }
  bool ok = true;
  for (const auto& kv : b) {
    if (Tagged(kv.first) || Tagged(kv.second)) {
      diag.Add(TagError(c, Tagged(kv.first) ? kv.first : kv.second));
      ok = false;
      continue;
    }
    const std::string target = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    const bool is_key = target == kKeyPath;
    const bool is_header = target.size() > kHeaderPrefix.size() && target.rfind(kHeaderPrefix, 0) == 0;
    if (!is_key && !is_header) {
      diag.Add(c.At(kv.first, "unknown binary target" + text::Shown(target) + " (expected $key or $header.NAME)"));
      ok = false;
      continue;
    }
    if (!kv.second.IsScalar() || (kv.second.Scalar() != "pass" && kv.second.Scalar() != "drop")) {
      diag.Add(c.At(kv.second, "binary" + text::Shown(target) +
                                   " must be pass (the bytes pass as they are) or drop (the key becomes null, "
                                   "the header is removed)"));
      ok = false;
      continue;
    }
    const BinaryPart how = kv.second.Scalar() == "pass" ? BinaryPart::kPass : BinaryPart::kDrop;
    if (is_key) {
      if (r->key_rule >= 0) {
        diag.Add(c.At(kv.first, "'$key' has a rule (line " +
                                    std::to_string(r->rules[static_cast<size_t>(r->key_rule)].line) +
                                    "), so it cannot also be binary"));
        ok = false;
      } else if (r->binary_key != BinaryPart::kNone) {
        diag.Add(c.At(kv.first, "'$key' is listed twice under binary"));
        ok = false;
      } else {
        r->binary_key = how;
      }
      continue;
    }
    const std::string name = target.substr(kHeaderPrefix.size());
    if (Status named = CheckHeaderName(c, kv.first, name); !named.ok()) {
      diag.Add(named.error());
      ok = false;
    } else if (const Rule* rule = r->HeaderRule(name)) {
      diag.Add(c.At(kv.first, "header" + text::Shown(name) + " has a rule (line " + std::to_string(rule->line) +
                                  "), so it cannot also be binary (header names match case-insensitively)"));
      ok = false;
    } else if (const Rule* twin = FoldedHeaderRule(*r, name)) {
      // Passed as binary, x_phone (or a full-width or spaced spelling) would
      // carry in the clear what a reader takes for the ruled x-phone.
      diag.Add(c.At(kv.first, "header" + text::Shown(name) + " reads as" + text::Shown("$header." + twin->header) +
                                  " (line " + std::to_string(twin->line) +
                                  ") once width, case, white space, invisible characters and '_' for '-' are "
                                  "folded, so it cannot be binary"));
      ok = false;
    } else if (r->BinaryHeader(name) != BinaryPart::kNone) {
      diag.Add(c.At(kv.first, "header" + text::Shown(name) +
                                  " is listed twice under binary (header names match case-insensitively)"));
      ok = false;
    } else {
      r->binary_headers.emplace_back(name, how);
    }
  }
  return ok;
}

// The path as a reader that expands dotted names reads it (text unchanged,
// for messages): each key folded (a full-width or one-dot-leader dot is a
// dot) and split at its dots, empty parts dropped, a part of digits or '*'
// or a [..] suffix an array step, as the engine reads a record's dotted
// names (codec DottedName).
codec::FieldPath SplitDots(const codec::FieldPath& path) {
  codec::FieldPath out;
  out.text = path.text;
  auto any = [&] { out.segments.push_back({codec::PathSegment::Kind::kAnyIndex, {}}); };
  for (const auto& seg : path.segments) {
    if (seg.kind != codec::PathSegment::Kind::kKey) {
      out.segments.push_back(seg);
      continue;
    }
    const std::string key = unicode::NameMayFold(seg.key) ? unicode::FoldName(seg.key) : seg.key;
    for (size_t b = 0; b <= key.size();) {
      size_t e = key.find('.', b);
      if (e == std::string::npos) e = key.size();
      std::string_view part(key.data() + b, e - b);
      const size_t bracket = part.find('[');
      const std::string_view name = part.substr(0, bracket);
      if (name == "*" || (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos))
        any();
      else if (!name.empty())
        out.segments.push_back({codec::PathSegment::Kind::kKey, std::string(name)});
      for (size_t k = bracket; k != std::string_view::npos; k = part.find('[', k + 1)) any();
      b = e + 1;
    }
  }
  return out;
}

// How the route's path trie treats a value rule's terminal: keep keeps
// scalars (an object or array it selects has unlisted members) unless
// `apply_to: whole`.
codec::TerminalOptions TerminalFor(const Rule& rule) {
  return codec::TerminalOptions{.remove = rule.action->RemovesMember(),
                                .whole = rule.whole,
                                .scalars_only = rule.action_name == "keep" && !rule.whole,
                                .protect_on_mismatch = rule.protect_on_mismatch,
                                .mismatch_strength = transform::MismatchStrength(rule.action_name, *rule.action),
                                .mismatch_partial = transform::MismatchPartialKind(rule.action_name, *rule.action)};
}

}  // namespace

namespace {

// A pattern route's compiled `from` and the range every match lies in: the
// parser's, or compiled here for a route not made by it (nullptr when it
// does not compile; min and max empty when RE2 cannot bound it).
std::shared_ptr<const RE2> FromPattern(const Route& route, std::string* min, std::string* max) {
  *min = route.from_min;
  *max = route.from_max;
  if (route.from_re) return route.from_re;
  RE2::Options o;
  o.set_log_errors(false);
  auto re = std::make_shared<const RE2>(route.from, o);
  if (!re->ok()) return nullptr;
  if (!re->PossibleMatchRange(min, max, static_cast<int>(kMaxTopicNameLength))) {
    min->clear();
    max->clear();
  }
  return re;
}

}  // namespace

std::string ShortestTopic(const Route& route) {
  if (!route.from_is_pattern()) return route.from;
  std::string min, max;
  const std::shared_ptr<const RE2> re = FromPattern(route, &min, &max);
  if (!re || min.empty() || !IsValidTopicName(min) || !RE2::FullMatch(min, *re)) return "";
  return min;
}

// Parses one route; errors in single rules are collected and the other rules
// still checked. Returns nullopt if the route has any error.
std::optional<Route> ParseRoute(const Ctx& c, const YAML::Node& node, const Env& env, Diag& diag,
                                const std::string& yaml_at, std::optional<Route>* topics) {
  if (!node.IsMap()) {
    diag.Add(c.At(node, "a route must be a mapping with from, to, dead_letter and rules"));
    return std::nullopt;
  }
  // Every part of a route is checked whatever the others' errors, so that one
  // run reports them all.
  bool ok =
      CheckKeys(c, node, {"name", "from", "to", "dead_letter", "unlisted_fields", "binary", "rules"}, "route", diag);
  Route r;
  bool topics_ok = true;
  // Each topic's own validity: a conflict between two valid ones is reported
  // beside another one's error (all errors in one pass).
  bool from_ok = true, to_ok = true, dead_letter_ok = true;
  auto topic_ok = [&](std::string_view key) -> bool& {
    return key == "from" ? from_ok : key == "to" ? to_ok : dead_letter_ok;
  };
  for (auto [key, out] : {std::pair{"from", &r.from}, {"to", &r.to}, {"dead_letter", &r.dead_letter}}) {
    auto v = RequireString(c, node, key, "route");
    if (!v.ok()) {
      diag.Add(v.error());
      topics_ok = false;
      topic_ok(key) = false;
      continue;
    }
    const YAML::Mark m = node[key].Mark();
    Route::Mark* at = std::string_view(key) == "from" ? &r.from_at
                      : std::string_view(key) == "to" ? &r.to_at
                                                      : &r.dead_letter_at;
    *at = Route::Mark{m.line + 1, m.column + 1};
    if (std::string_view(key) == "from" && !v->empty() && (*v)[0] == '^') {
      // Bounded before anything compiles it (RE2 here, regcomp for the
      // dialect check, librdkafka's consumer): found by review, a 900-byte
      // pattern of counted repeats took 46 s and 1 GB to accept. A topic
      // pattern needs a few dozen instructions.
      const size_t estimate = detect::EstimateProgramSize(*v);
      if (v->size() > kMaxTopicPatternBytes || estimate > kMaxTopicPatternProgram) {
        diag.Add(c.At(node[key], "'from' pattern is too large (" + std::to_string(v->size()) + " bytes, about " +
                                     std::to_string(estimate) +
                                     " RE2 instructions with its repeats unrolled; at most " +
                                     std::to_string(kMaxTopicPatternBytes) + " bytes and " +
                                     std::to_string(kMaxTopicPatternProgram) + " instructions)"));
        topics_ok = from_ok = false;
        *out = *v;
        continue;
      }
      // All the file's patterns together, before this one compiles: each is
      // compiled, checked against every output topic and subscribed to.
      if (env.patterns) {
        PatternBudget& b = *env.patterns;
        b.routes += 1;
        b.program += estimate;
        if (b.routes > kMaxPatternRoutes || b.program > kMaxPatternRoutesProgram) {
          if (!b.reported)
            diag.Add(c.At(node[key], "this route's 'from' pattern makes " + std::to_string(b.routes) +
                                         " pattern routes of about " + std::to_string(b.program) +
                                         " RE2 instructions together in the file; at most " +
                                         std::to_string(kMaxPatternRoutes) + " pattern routes and " +
                                         std::to_string(kMaxPatternRoutesProgram) +
                                         " instructions per file (name topics exactly, or merge patterns)"));
          b.reported = true;
          topics_ok = from_ok = false;
          *out = *v;
          continue;
        }
      }
      RE2::Options o;
      o.set_log_errors(false);
      auto re = std::make_shared<const RE2>(*v, o);
      if (!re->ok()) {
        diag.Add(c.At(node[key], "'from' starts with '^', so it is a pattern, but not a valid one: " + re->error()));
        topics_ok = from_ok = false;
      } else if (std::string why = SubscriptionDialectMismatch(*v); !why.empty()) {
        diag.Add(c.At(node[key],
                      "'from' is a pattern the consumer subscribes with, and librdkafka reads it as a POSIX "
                      "extended regular expression: " +
                          why));
        topics_ok = from_ok = false;
      } else {
        // Compiled once: every later check and the engine use it.
        if (!re->PossibleMatchRange(&r.from_min, &r.from_max, static_cast<int>(kMaxTopicNameLength))) {
          r.from_min.clear();
          r.from_max.clear();
        }
        r.from_program = estimate;
        r.from_re = std::move(re);
      }
      *out = *v;
      continue;
    }
    if (Status s = CheckTopic(c, node[key], *v, key); !s.ok()) {
      diag.Add(s.error());
      topics_ok = false;
      topic_ok(key) = false;
    }
    *out = *v;
  }
  r.name = r.from;
  if (node["name"]) {
    if (auto v = RequireString(c, node, "name", "route"); !v.ok()) {
      diag.Add(v.error());
      ok = false;
    } else if (auto flaw = codec::FindNameFlaw(*v)) {
      // A route's name is a metric label, a log field and what a reveal
      // names: what a reader sees must be all of it.
      diag.Add(c.At(node["name"], "route name at character " + std::to_string(flaw->pos + 1) + ": " + flaw->what));
      ok = false;
    } else {
      r.name = *v;
    }
  }
  auto topic_conflict = [&](const char* key, const char* msg) {
    diag.Add(c.At(node[key], msg));
    topics_ok = false;
  };
  if (from_ok && to_ok && SourceMatches(r, r.to))
    topic_conflict("to", r.from_is_pattern() ? "'to' matches the 'from' pattern: masked data would be read again"
                                             : "'to' must differ from 'from': masked data would be read again");
  if (from_ok && dead_letter_ok && r.from_is_pattern() && SourceMatches(r, r.dead_letter))
    topic_conflict("dead_letter", "'dead_letter' matches the 'from' pattern");
  if (to_ok && dead_letter_ok && r.dead_letter == r.to)
    topic_conflict("dead_letter", "'dead_letter' must differ from 'to': raw records would reach the destination");
  if (from_ok && dead_letter_ok && !r.from_is_pattern() && r.dead_letter == r.from)
    topic_conflict("dead_letter", "'dead_letter' must differ from 'from'");
  ok = ok && topics_ok;
  if (topics && topics_ok) {
    Route t;
    t.name = r.name;
    t.from = r.from;
    t.to = r.to;
    t.dead_letter = r.dead_letter;
    t.from_at = r.from_at;
    t.to_at = r.to_at;
    t.dead_letter_at = r.dead_letter_at;
    t.from_re = r.from_re;
    t.from_min = r.from_min;
    t.from_max = r.from_max;
    t.from_program = r.from_program;
    *topics = std::move(t);
  }
  if (YAML::Node u = node["unlisted_fields"]) {
    if (!u.IsScalar() || (u.Scalar() != "keep" && u.Scalar() != "drop" && u.Scalar() != "scan")) {
      diag.Add(c.At(u,
                    "'unlisted_fields' must be keep (fields the policy does not name pass unchanged), drop "
                    "(they are removed; list fields to pass with action: keep) or scan (every string and number "
                    "is scanned for PII, which is protected as the policy's scan section says)"));
      ok = false;
    } else if (u.Scalar() == "drop") {
      r.unlisted = Unlisted::kDrop;
      r.paths.set_unlisted(codec::UnlistedMode::kDrop);
    } else if (u.Scalar() == "scan") {
      r.unlisted = Unlisted::kScan;
      r.paths.set_unlisted(codec::UnlistedMode::kVisit);
    }
  }
  const YAML::Node rules = node["rules"];
  const YAML::Node no_rules(YAML::NodeType::Sequence);
  const YAML::Node* rule_list = &rules;
  if (!rules || !rules.IsSequence() || rules.size() == 0) {
    diag.Add(rules ? c.At(rules, "'rules' must be a non-empty list")
                   : c.At(node, "missing 'rules' in route (a list of { path, action, ... })"));
    ok = false;
    rule_list = &no_rules;
  }
  std::set<std::string> key_refs;
  // Every rule's path claims its values, even a rule with other errors, so
  // that overlaps are reported in the same run; and claims them again with
  // its quoted keys split at their dots, as a reader that expands dotted
  // names reads them: user["a.b"] beside user.a.b, or ["user.rrn"] beside
  // user, would let one rule decide what another protects (a record's
  // dotted name that spells a rule's path is refused, but not one that
  // another rule names).
  codec::PathSet claims, dotted_claims;
  dotted_claims.DoNotCheckShapes();  // a dotted name is one member, not the object it spells
  int32_t index = 0;
  for (const auto& rn : *rule_list) {
    bool conflict = false;
    // A rule written as a YAML alias (`- *r`) has its anchor's node and
    // mark: a conflict it makes is reported where the alias is, naming the
    // anchor's line too (found by review: a duplicate pointed at the
    // original).
    const YAML::Mark* alias = c.AliasAt(yaml_at + "/rules/[" + std::to_string(index) + "]");
    const auto path_at = [&]() -> YAML::Mark { return alias ? *alias : rn["path"].Mark(); };
    const auto via_alias = [&]() -> std::string {
      return alias ? " (line " + std::to_string(alias->line + 1) + " repeats the rule of line " +
                         std::to_string(rn.Mark().line + 1) + " with a YAML alias)"
                   : std::string();
    };
    if (rn.IsMap() && rn["path"] && rn["path"].IsScalar() && !rn["path"].Scalar().empty() &&
        rn["path"].Scalar()[0] != '$') {
      if (auto path = codec::FieldPath::Parse(rn["path"].Scalar()); path.ok()) {
        if (Status s = claims.Add(*path, index, false); !s.ok()) {
          diag.Add(c.At(path_at(), s.error().message + via_alias()));
          conflict = true;
        } else if (Status d = dotted_claims.Add(SplitDots(*path), index, false); !d.ok()) {
          diag.Add(c.At(path_at(),
                        "with dotted names expanded (as Elasticsearch, OpenSearch and JSON flatteners "
                        "read them), " +
                            d.error().message + via_alias()));
          conflict = true;
        }
      }
    }
    ++index;
    auto rule = ParseRule(c, rn, env, r.name, diag);
    if (!rule) {
      ok = false;
      continue;
    }
    if (alias) rule->line = alias->line + 1;
    if (conflict) {
      ok = false;
      continue;
    }
    int32_t id = static_cast<int32_t>(r.rules.size());
    if (rule->target == Target::kKey) {
      if (r.key_rule >= 0) {
        diag.Add(c.At(path_at(), "the record key has two rules (lines " +
                                     std::to_string(r.rules[static_cast<size_t>(r.key_rule)].line) + " and " +
                                     std::to_string(rule->line) + ")"));
        ok = false;
        continue;
      }
      r.key_rule = id;
    } else if (rule->target == Target::kHeader) {
      if (const Rule* other = r.HeaderRule(rule->header)) {
        diag.Add(c.At(path_at(), "header" + text::Shown(rule->header) + " has two rules (lines " +
                                     std::to_string(other->line) + " and " + std::to_string(rule->line) +
                                     "; header names match case-insensitively)"));
        ok = false;
        continue;
      }
      // x_phone beside x-phone: a reader that takes '_' for '-' (HTTP
      // bridges, CGI/WSGI) reads the one as the other, and the weaker rule
      // would decide what it sees (found by review: keep on x_phone passed
      // a phone a consumer read as x-phone).
      if (const Rule* twin = FoldedHeaderRule(r, rule->header)) {
        diag.Add(c.At(path_at(),
                      "header" + text::Shown(rule->header) + " (line " + std::to_string(rule->line) + ") reads as" +
                          text::Shown("$header." + twin->header) + " (line " + std::to_string(twin->line) +
                          ") once width, case, white space, invisible characters and the separators '-', '_', "
                          "'.' are folded: two rules for one header"));
        ok = false;
        continue;
      }
      r.header_rules.emplace_back(rule->header, id);
    } else if (Status s = r.paths.Add(rule->path, id, TerminalFor(*rule)); !s.ok()) {
      diag.Add(c.At(path_at(), s.error().message + via_alias()));
      ok = false;
      continue;
    } else if (rule->whole && rule->action_name == "keep") {
      diag.Warn(c.At(rn["apply_to"], "warning: rule" + text::Shown(rule->path.text) +
                                         " keeps the whole object or array at " + rule->path.text +
                                         " unchecked: PII nested in it passes"));
    }
    AddKeyRefs(rule->action->KeyRef(), &key_refs);
    r.rules.push_back(std::move(rule).value());
  }
  if (YAML::Node b = node["binary"]; !ParseBinary(c, b, &r, diag)) ok = false;
  for (const auto& [h, i] : r.header_rules) r.folded_headers.push_back(unicode::FoldHeaderName(h));
  for (const auto& [h, b] : r.binary_headers) r.folded_headers.push_back(unicode::FoldHeaderName(h));
  if (r.unlisted == Unlisted::kScan && env.scanning) {
    for (const auto& a : env.scanning->actions())
      if (a.action) AddKeyRefs(a.action->KeyRef(), &key_refs);
  }
  r.key_refs = text::Join(std::vector<std::string>(key_refs.begin(), key_refs.end()), ",");
  if (!ok) return std::nullopt;
  return r;
}

}  // namespace internal

bool IsValidTopicName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTopicNameLength || name == "." || name == "..") return false;
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

std::string SubscriptionPattern(const Route& route) {
  if (!route.from_is_pattern()) return route.from;
  return "^(" + route.from.substr(1) + ")$";
}

std::string SampleTopic(const Route& route) {
  return internal::ShortestTopic(route);
}

bool SourceMatches(const Route& route, std::string_view topic) {
  if (!route.from_is_pattern()) return route.from == topic;
  if (route.from_re) return RE2::FullMatch(topic, *route.from_re);
  RE2::Options o;
  o.set_log_errors(false);
  RE2 re(route.from, o);
  return re.ok() && RE2::FullMatch(topic, re);
}

std::vector<std::string> MatchingTopics(const Route& route, const std::set<std::string>& sorted) {
  std::vector<std::string> out;
  if (!route.from_is_pattern()) {
    if (sorted.count(route.from)) out.push_back(route.from);
    return out;
  }
  std::string min, max;
  const std::shared_ptr<const RE2> re = internal::FromPattern(route, &min, &max);
  if (!re) return out;
  // Every match lies in [min, max]; an empty max bounds nothing.
  for (auto it = sorted.lower_bound(min); it != sorted.end() && (max.empty() || *it <= max); ++it)
    if (RE2::FullMatch(*it, *re)) out.push_back(*it);
  return out;
}

}  // namespace maskproxy::policy
