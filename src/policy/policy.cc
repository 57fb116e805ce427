#include "policy/policy.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "codec/json.h"
#include "common/text.h"
#include "crypto/mac.h"
#include "detect/scanner.h"
#include "transform/registry.h"
#include "transform/unprotectable.h"

namespace maskproxy::policy {
namespace {

class Ctx {
 public:
  explicit Ctx(std::string origin) : origin_(std::move(origin)) {}
  Error At(const YAML::Node& n, const std::string& msg, ErrorCodeLiteral code = "policy_invalid") const {
    YAML::Mark m = n.Mark();
    if (m.line < 0) return Error(code, origin_ + ": " + msg);
    return Error(code, origin_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + msg);
  }
  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
};

// Rejects keys outside `allowed`, with a suggestion for typos.
Status CheckKeys(const Ctx& c, const YAML::Node& map, const std::vector<std::string>& allowed, const char* what) {
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) return c.At(kv.first, std::string("keys of a ") + what + " must be plain names");
    const std::string& k = kv.first.Scalar();
    if (!seen.insert(k).second) return c.At(kv.first, "duplicate key '" + k + "' in " + what);
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string hint = text::Suggest(k, allowed);
      return c.At(kv.first, "unknown key '" + k + "' in " + what + " (expected: " + text::Join(allowed) +
                                (hint.empty() ? ")" : "; did you mean '" + hint + "'?)"));
    }
  }
  return Status::Ok();
}

Result<std::string> RequireString(const Ctx& c, const YAML::Node& map, const char* key, const char* what) {
  YAML::Node n = map[key];
  if (!n) return c.At(map, std::string("missing '") + key + "' in " + what);
  if (!n.IsScalar() || n.Scalar().empty()) return c.At(n, std::string("'") + key + "' must be a non-empty string");
  return n.Scalar();
}

Status CheckTopic(const Ctx& c, const YAML::Node& n, const std::string& topic, const char* key) {
  if (!IsValidTopicName(topic))
    return c.At(n, std::string("'") + key + "' is not a valid Kafka topic name (1-249 characters of [a-zA-Z0-9._-])");
  return Status::Ok();
}

// Collects every error of one policy file, in file order.
class Diag {
 public:
  void Add(const Error& e) { errors_.push_back(e); }
  // A finding that does not fail the policy ("file:line:col: message").
  void Warn(const Error& e) { warnings_.push_back(e.message); }
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }
  [[nodiscard]] bool empty() const { return errors_.empty(); }
  [[nodiscard]] Error Combined() const {
    std::string msg;
    for (const auto& e : errors_) msg += (msg.empty() ? "" : "\n") + e.message;
    return Error(errors_.front().code, msg);
  }

 private:
  std::vector<Error> errors_;
  std::vector<std::string> warnings_;
};

constexpr std::string_view kKeyPath = "$key";
constexpr std::string_view kHeaderPrefix = "$header.";

struct Env {
  const crypto::Keyring& keys;
  crypto::UsageLedger* ledger;
  std::shared_ptr<const transform::Scanning> scanning;  // null when nothing scans
};

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

Result<Rule> ParseRule(const Ctx& c, const YAML::Node& node, const Env& penv, const std::string& route) {
  if (!node.IsMap()) return c.At(node, "a rule must be a mapping like { path: user.rrn, action: tokenize, key: rrn }");
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return c.At(kv.first, "rule keys must be plain names");
    if (!seen.insert(kv.first.Scalar()).second)
      return c.At(kv.first, "duplicate key '" + kv.first.Scalar() + "' in rule");
  }
  auto path_text = RequireString(c, node, "path", "rule");
  if (!path_text.ok()) return path_text.error();
  Rule r;
  if (*path_text == kKeyPath) {
    r.target = Target::kKey;
    r.path.text = *path_text;
  } else if (path_text->rfind(kHeaderPrefix, 0) == 0) {
    r.target = Target::kHeader;
    r.header = path_text->substr(kHeaderPrefix.size());
    r.path.text = *path_text;
    if (r.header.empty()) return c.At(node["path"], "'$header.' needs a header name, e.g. $header.customer-id");
  } else if (!path_text->empty() && (*path_text)[0] == '$') {
    return c.At(node["path"], "unknown record part '" + *path_text +
                                  "' (expected $key, $header.NAME, or a field path such as user.rrn)");
  } else {
    auto path = codec::FieldPath::Parse(*path_text);
    if (!path.ok()) return c.At(node["path"], path.error().message);
    r.path = std::move(path).value();
  }
  auto action_name = RequireString(c, node, "action", "rule");
  if (!action_name.ok()) return action_name.error();
  if (YAML::Node a = node["apply_to"]) {
    if (!a.IsScalar() || (a.Scalar() != "leaves" && a.Scalar() != "whole"))
      return c.At(a,
                  "'apply_to' must be leaves (each scalar inside an object or array, the default) or whole "
                  "(the object or array as one value)");
    r.whole = a.Scalar() == "whole";
    if (r.whole && r.target != Target::kValue)
      return c.At(a, "'apply_to: whole' only applies to field paths, not to $key or $header");
    if (r.whole && *action_name == "scan")
      return c.At(a, "'apply_to: whole' does not apply to scan: it scans each string and number inside");
  }
  bool redact_unprotectable = false;  // on_unprotectable (transform/unprotectable.h)
  if (YAML::Node u = node["on_unprotectable"]) {
    if (!u.IsScalar() || (u.Scalar() != "dead_letter" && u.Scalar() != "redact"))
      return c.At(u,
                  "'on_unprotectable' must be dead_letter (the default: a value the action refuses sends the record "
                  "to the dead-letter topic) or redact (the value becomes null)");
    if (!transform::AcceptsOnUnprotectable(*action_name))
      return c.At(u, "'on_unprotectable' does not apply to " + *action_name +
                         (*action_name == "scan" ? ": it refuses records for the PII it finds, not for a value's shape"
                                                 : ": it never refuses a value"));
    redact_unprotectable = u.Scalar() == "redact";
  }
  if (YAML::Node m = node["on_shape_mismatch"]) {
    if (!m.IsScalar() || (m.Scalar() != "dead_letter" && m.Scalar() != "protect"))
      return c.At(m,
                  "'on_shape_mismatch' must be dead_letter (a record whose value on the way to this path has "
                  "another shape is refused, the default) or protect (every scalar in that value gets this "
                  "rule's action)");
    r.protect_on_mismatch = m.Scalar() == "protect";
    if (r.target != Target::kValue) return c.At(m, "'on_shape_mismatch' only applies to field paths");
    if (r.protect_on_mismatch && *action_name == "keep")
      return c.At(m, "'on_shape_mismatch: protect' does not apply to keep: the mismatching value would pass unchecked");
  }

  transform::ActionOptions opts;
  for (const auto& kv : node) {
    const std::string& k = kv.first.Scalar();
    if (k == "path" || k == "action" || k == "apply_to" || k == "on_unprotectable" || k == "on_shape_mismatch")
      continue;
    if (!kv.second.IsScalar() && !kv.second.IsNull())
      return c.At(kv.second, "option '" + k + "' must be a single value");
    opts.Set(k, {kv.second.IsNull() ? std::string() : kv.second.Scalar(), kv.second.IsNull()});
  }
  if (*action_name == "scan" && !penv.scanning)
    return c.At(node["action"], "rule '" + r.path.text + "': scan is unavailable until the scan section is fixed");
  transform::ActionEnv env{&penv.keys, r.path.text, penv.ledger, penv.scanning};
  auto action = transform::CreateAction(*action_name, opts, env);
  if (!action.ok()) {
    const Error& e = action.error();
    std::string opt = transform::ActionOptions::OptionOf(e);
    std::string msg = e.message;
    if (msg.size() && msg[0] == '[') msg = msg.substr(msg.find(']') + 2);
    msg = "rule '" + r.path.text + "': " + msg;
    if (e.code == "unknown_action") return c.At(node["action"], msg, "policy_invalid");
    if (!opt.empty() && node[opt]) {
      // Point at the key for unknown options, at the value otherwise.
      bool unknown = e.message.find("unknown option") != std::string::npos;
      for (const auto& kv : node)
        if (kv.first.Scalar() == opt)
          return c.At(unknown ? kv.first : kv.second, msg,
                      e.code == ErrorCode::kKeyMissing ? ErrorCode::kKeyMissing : ErrorCode::kPolicyInvalid);
    }
    return c.At(node, msg, e.code == ErrorCode::kKeyMissing ? ErrorCode::kKeyMissing : ErrorCode::kPolicyInvalid);
  }
  r.action_name = *action_name;
  r.action = std::move(action).value();
  if (redact_unprotectable) {
    auto wrapped = transform::RedactUnprotectable::Create(std::move(r.action),
                                                          transform::UnprotectableCounter(route, r.path.text));
    if (!wrapped.ok()) return c.At(node["on_unprotectable"], wrapped.error().message);
    r.action = std::move(wrapped).value();
  }
  r.line = node.Mark().line + 1;
  return r;
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
    const std::string target = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    const bool is_key = target == kKeyPath;
    const bool is_header = target.size() > kHeaderPrefix.size() && target.rfind(kHeaderPrefix, 0) == 0;
    if (!is_key && !is_header) {
      diag.Add(c.At(kv.first, "unknown binary target '" + target + "' (expected $key or $header.NAME)"));
      ok = false;
      continue;
    }
    if (!kv.second.IsScalar() || (kv.second.Scalar() != "pass" && kv.second.Scalar() != "drop")) {
      diag.Add(c.At(kv.second, "binary '" + target +
                                   "' must be pass (the bytes pass as they are) or drop (the key becomes null, "
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
    if (const Rule* rule = r->HeaderRule(name)) {
      diag.Add(c.At(kv.first, "header '" + name + "' has a rule (line " + std::to_string(rule->line) +
                                  "), so it cannot also be binary (header names match case-insensitively)"));
      ok = false;
    } else if (r->BinaryHeader(name) != BinaryPart::kNone) {
      diag.Add(
          c.At(kv.first, "header '" + name + "' is listed twice under binary (header names match case-insensitively)"));
      ok = false;
    } else {
      r->binary_headers.emplace_back(name, how);
    }
  }
  return ok;
}

// How the route's path trie treats a value rule's terminal: keep keeps
// scalars (an object or array it selects has unlisted members) unless
// `apply_to: whole`.
codec::TerminalOptions TerminalFor(const Rule& rule) {
  return codec::TerminalOptions{.remove = rule.action->RemovesMember(),
                                .whole = rule.whole,
                                .scalars_only = rule.action_name == "keep" && !rule.whole,
                                .protect_on_mismatch = rule.protect_on_mismatch};
}

// Parses one route; errors in single rules are collected and the other rules
// still checked. Returns nullopt if the route has any error.
std::optional<Route> ParseRoute(const Ctx& c, const YAML::Node& node, const Env& env, Diag& diag) {
  auto fail = [&](const Error& e) -> std::optional<Route> {
    diag.Add(e);
    return std::nullopt;
  };
  if (!node.IsMap()) return fail(c.At(node, "a route must be a mapping with from, to, dead_letter and rules"));
  if (Status s =
          CheckKeys(c, node, {"name", "from", "to", "dead_letter", "unlisted_fields", "binary", "rules"}, "route");
      !s.ok())
    return fail(s.error());
  Route r;
  bool ok = true;
  for (auto [key, out] : {std::pair{"from", &r.from}, {"to", &r.to}, {"dead_letter", &r.dead_letter}}) {
    auto v = RequireString(c, node, key, "route");
    if (!v.ok()) {
      diag.Add(v.error());
      ok = false;
      continue;
    }
    const YAML::Mark m = node[key].Mark();
    Route::Mark* at = std::string_view(key) == "from" ? &r.from_at
                      : std::string_view(key) == "to" ? &r.to_at
                                                      : &r.dead_letter_at;
    *at = Route::Mark{m.line + 1, m.column + 1};
    if (std::string_view(key) == "from" && !v->empty() && (*v)[0] == '^') {
      RE2::Options o;
      o.set_log_errors(false);
      RE2 re(*v, o);
      if (!re.ok()) {
        diag.Add(c.At(node[key], "'from' starts with '^', so it is a pattern, but not a valid one: " + re.error()));
        ok = false;
      }
      *out = *v;
      continue;
    }
    if (Status s = CheckTopic(c, node[key], *v, key); !s.ok()) {
      diag.Add(s.error());
      ok = false;
    }
    *out = *v;
  }
  r.name = r.from;
  if (node["name"]) {
    auto v = RequireString(c, node, "name", "route");
    if (!v.ok()) return fail(v.error());
    r.name = *v;
  }
  if (ok && SourceMatches(r, r.to))
    return fail(c.At(node["to"], r.from_is_pattern()
                                     ? "'to' matches the 'from' pattern: masked data would be read again"
                                     : "'to' must differ from 'from': masked data would be read again"));
  if (ok && r.from_is_pattern() && SourceMatches(r, r.dead_letter))
    return fail(c.At(node["dead_letter"], "'dead_letter' matches the 'from' pattern"));
  if (ok && r.dead_letter == r.to)
    return fail(
        c.At(node["dead_letter"], "'dead_letter' must differ from 'to': raw records would reach the destination"));
  if (ok && r.dead_letter == r.from) return fail(c.At(node["dead_letter"], "'dead_letter' must differ from 'from'"));
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
  YAML::Node rules = node["rules"];
  if (!rules) return fail(c.At(node, "missing 'rules' in route (a list of { path, action, ... })"));
  if (!rules.IsSequence() || rules.size() == 0) return fail(c.At(rules, "'rules' must be a non-empty list"));
  std::set<std::string> key_refs;
  // Every rule's path claims its values, even a rule with other errors, so
  // that overlaps are reported in the same run.
  codec::PathSet claims;
  int32_t index = 0;
  for (const auto& rn : rules) {
    bool conflict = false;
    if (rn.IsMap() && rn["path"] && rn["path"].IsScalar() && !rn["path"].Scalar().empty() &&
        rn["path"].Scalar()[0] != '$') {
      if (auto path = codec::FieldPath::Parse(rn["path"].Scalar()); path.ok()) {
        if (Status s = claims.Add(*path, index, false); !s.ok()) {
          diag.Add(c.At(rn["path"], s.error().message));
          conflict = true;
        }
      }
    }
    ++index;
    auto rule = ParseRule(c, rn, env, r.name);
    if (!rule.ok()) {
      diag.Add(rule.error());
      ok = false;
      continue;
    }
    if (conflict) {
      ok = false;
      continue;
    }
    int32_t id = static_cast<int32_t>(r.rules.size());
    if (rule->target == Target::kKey) {
      if (r.key_rule >= 0) {
        diag.Add(c.At(rn["path"], "the record key has two rules (lines " +
                                      std::to_string(r.rules[static_cast<size_t>(r.key_rule)].line) + " and " +
                                      std::to_string(rule->line) + ")"));
        ok = false;
        continue;
      }
      r.key_rule = id;
    } else if (rule->target == Target::kHeader) {
      if (const Rule* other = r.HeaderRule(rule->header)) {
        diag.Add(c.At(rn["path"], "header '" + rule->header + "' has two rules (lines " + std::to_string(other->line) +
                                      " and " + std::to_string(rule->line) +
                                      "; header names match case-insensitively)"));
        ok = false;
        continue;
      }
      r.header_rules.emplace_back(rule->header, id);
    } else if (Status s = r.paths.Add(rule->path, id, TerminalFor(*rule)); !s.ok()) {
      diag.Add(c.At(rn["path"], s.error().message));
      ok = false;
      continue;
    } else if (rule->whole && rule->action_name == "keep") {
      diag.Warn(c.At(rn["apply_to"], "warning: rule '" + rule->path.text + "' keeps the whole object or array at " +
                                         rule->path.text + " unchecked: PII nested in it passes"));
    }
    AddKeyRefs(rule->action->KeyRef(), &key_refs);
    r.rules.push_back(std::move(rule).value());
  }
  if (YAML::Node b = node["binary"]; !ParseBinary(c, b, &r, diag)) ok = false;
  if (r.unlisted == Unlisted::kScan && env.scanning) {
    for (const auto& a : env.scanning->actions())
      if (a.action) AddKeyRefs(a.action->KeyRef(), &key_refs);
  }
  r.key_refs = text::Join(std::vector<std::string>(key_refs.begin(), key_refs.end()), ",");
  if (!ok) return std::nullopt;
  return r;
}

// ---- scanning ----------------------------------------------------------------

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

// One custom detector of `scan.detectors`.
std::optional<detect::DetectorSpec> ParseDetector(const Ctx& c, const YAML::Node& n,
                                                  const std::vector<detect::DetectorSpec>& builtins, Diag& diag) {
  auto fail = [&](const Error& e) -> std::optional<detect::DetectorSpec> {
    diag.Add(e);
    return std::nullopt;
  };
  if (!n.IsMap()) return fail(c.At(n, "a detector must be a mapping like { name: member_no, pattern: 'MB-\\d{8}' }"));
  if (Status s = CheckKeys(c, n, {"name", "pattern", "validator", "context_words", "context_window"}, "detector");
      !s.ok())
    return fail(s.error());
  detect::DetectorSpec spec;
  auto name = RequireString(c, n, "name", "detector");
  if (!name.ok()) return fail(name.error());
  spec.name = *name;
  if (spec.name == "default")
    return fail(c.At(n["name"], "'default' names the actions' fallback; give the detector another name"));
  for (const auto& b : builtins)
    if (b.name == spec.name)
      return fail(c.At(n["name"], "detector '" + spec.name + "' is built in; give yours another name"));
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
    if (!w.IsScalar() || !YAML::convert<long long>::decode(w, v) || v < 1 || v > 200)
      return fail(c.At(w, "'context_window' must be a whole number of characters, 1-200"));
    spec.context_window = static_cast<size_t>(v);
  }
  // Compiled alone first, so that an error points at this detector.
  auto alone = detect::Scanner::Create({spec});
  if (!alone.ok()) {
    std::string msg = alone.error().message;
    if (size_t q = msg.find("': "); q != std::string::npos) msg = msg.substr(q + 3);
    YAML::Node at = n["pattern"];
    if (msg.find("validator") != std::string::npos && n["validator"]) at = n["validator"];
    if (msg.find("context") != std::string::npos && n["context_words"]) at = n["context_words"];
    return fail(c.At(at, "detector '" + spec.name + "': " + msg));
  }
  return spec;
}

// An action for a detector's hits: `NAME` or { action: NAME, options... }.
Result<std::unique_ptr<const transform::Action>> ParseScanAction(const Ctx& c, const YAML::Node& n,
                                                                 const std::string& detector, const Env& penv,
                                                                 std::string* action_name) {
  const std::string what = "scan action for '" + detector + "'";
  transform::ActionOptions opts;
  if (n.IsScalar()) {
    *action_name = n.Scalar();
  } else if (n.IsMap()) {
    auto a = RequireString(c, n, "action", what.c_str());
    if (!a.ok()) return a.error();
    *action_name = *a;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) return c.At(kv.first, "option names must be plain names");
      const std::string& k = kv.first.Scalar();
      if (k == "action") continue;
      if (!kv.second.IsScalar() && !kv.second.IsNull())
        return c.At(kv.second, "option '" + k + "' must be a single value");
      opts.Set(k, {kv.second.IsNull() ? std::string() : kv.second.Scalar(), kv.second.IsNull()});
    }
  } else {
    return c.At(n, what + " must be an action name, off, or { action: NAME, options }");
  }
  if (*action_name == "scan") return c.At(n, what + ": scan cannot be a detector's action");
  if (*action_name == "keep") return std::unique_ptr<const transform::Action>();
  transform::ActionEnv env{&penv.keys, transform::ScanFieldPath(detector), penv.ledger, nullptr};
  auto action = transform::CreateAction(*action_name, opts, env);
  if (!action.ok()) {
    std::string msg = action.error().message;
    if (!msg.empty() && msg[0] == '[') msg = msg.substr(msg.find(']') + 2);
    return c.At(n, what + ": " + msg,
                action.error().code == ErrorCode::kKeyMissing ? ErrorCode::kKeyMissing : ErrorCode::kPolicyInvalid);
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
    if (Status s = CheckKeys(c, node, {"detectors", "actions"}, "scan"); !s.ok()) {
      diag.Add(s.error());
      return nullptr;
    }
    if (YAML::Node d = node["detectors"]) {
      if (!d.IsSequence()) {
        diag.Add(c.At(d, "'detectors' must be a list of { name, pattern, validator, context_words }"));
        ok = false;
      } else {
        const std::vector<detect::DetectorSpec> builtins = specs;
        std::set<std::string> names;
        for (const auto& dn : d) {
          auto spec = ParseDetector(c, dn, builtins, diag);
          if (!spec) {
            ok = false;
            continue;
          }
          if (!names.insert(spec->name).second) {
            diag.Add(c.At(dn["name"], "two detectors are named '" + spec->name + "'"));
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
        diag.Add(c.At(kv.first, "unknown detector '" + k + "' (expected: default, " + text::Join(known) +
                                    (hint.empty() ? ")" : "; did you mean '" + hint + "'?)")));
        ok = false;
        continue;
      }
      if (!by_name.emplace(k, kv.second).second) {
        diag.Add(c.At(kv.first, "detector '" + k + "' has two actions"));
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
  for (size_t i = 0; i < specs.size(); ++i) {
    auto it = by_name.find(specs[i].name);
    const bool given = it != by_name.end() || has_default;
    YAML::Node spec_node = it != by_name.end() ? it->second : dflt;
    if (given && is_off(spec_node)) continue;
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
        diag.Add(Error("internal", c.origin() + ": default scan action: " + a.error().message));
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
    }
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

// ---- embedded tests ---------------------------------------------------------

bool IsJsonLiteral(const std::string& s) {
  if (s == "true" || s == "false" || s == "null") return true;
  // RFC 8259 number.
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    size_t d = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == d) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t d = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == d) return false;
  }
  return i == n;
}

// A plain (unquoted) YAML scalar that reads as a JSON number, boolean or null
// is that JSON literal; `~` and an empty value are null; anything else,
// and every quoted scalar, is a string.
bool IsPlain(const YAML::Node& n) {
  return n.Tag() == "?" || n.Tag().empty();
}

Status ToJson(const Ctx& c, const YAML::Node& n, std::string* out) {
  if (n.IsNull()) {
    out->append("null");
  } else if (n.IsScalar()) {
    if (n.Tag() != "?" && n.Tag() != "!" && !n.Tag().empty())
      return c.At(n, "YAML tag '" + n.Tag() + "' is not allowed in test input");
    const std::string& s = n.Scalar();
    if (IsPlain(n) && (s == "~" || IsJsonLiteral(s)))
      out->append(s == "~" ? "null" : s);
    else if (!codec::IsValidUtf8(s))
      return c.At(n, "test input must be valid UTF-8");
    else
      codec::AppendJsonString(s, out);
  } else if (n.IsSequence()) {
    out->push_back('[');
    bool first = true;
    for (const auto& item : n) {
      if (!first) out->push_back(',');
      first = false;
      if (Status s = ToJson(c, item, out); !s.ok()) return s;
    }
    out->push_back(']');
  } else if (n.IsMap()) {
    out->push_back('{');
    bool first = true;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) return c.At(kv.first, "test input keys must be plain names");
      if (!first) out->push_back(',');
      first = false;
      codec::AppendJsonString(kv.first.Scalar(), out);
      out->push_back(':');
      if (Status s = ToJson(c, kv.second, out); !s.ok()) return s;
    }
    out->push_back('}');
  }
  return Status::Ok();
}

Result<Expected> ToExpected(const Ctx& c, const YAML::Node& n) {
  Expected e;
  e.line = n.Mark().line + 1;
  if (n.IsNull()) {
    e.kind = Expected::Kind::kLiteral;
    e.text = "null";
  } else if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (n.Tag() == "!match") {
      e.kind = Expected::Kind::kMatch;
      e.text = s;
      std::regex::flag_type f = std::regex::ECMAScript;
      try {
        std::regex re(s, f);
      } catch (const std::regex_error&) {
        return c.At(n, "'!match' needs a valid regular expression");
      }
    } else if (n.Tag() != "?" && n.Tag() != "!" && !n.Tag().empty()) {
      return c.At(n, "unknown YAML tag '" + n.Tag() + "' in expect (only !match REGEX is known)");
    } else if (IsPlain(n) && (s == "~" || IsJsonLiteral(s))) {
      e.kind = Expected::Kind::kLiteral;
      e.text = s == "~" ? "null" : s;
    } else {
      e.kind = Expected::Kind::kString;
      e.text = s;
    }
  } else if (n.IsSequence()) {
    e.kind = Expected::Kind::kArray;
    for (const auto& item : n) {
      auto sub = ToExpected(c, item);
      if (!sub.ok()) return sub.error();
      e.items.push_back(std::move(sub).value());
    }
  } else if (n.IsMap()) {
    e.kind = Expected::Kind::kObject;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) return c.At(kv.first, "expected keys must be plain names");
      auto sub = ToExpected(c, kv.second);
      if (!sub.ok()) return sub.error();
      e.members.emplace_back(kv.first.Scalar(), std::move(sub).value());
    }
  }
  return e;
}

Result<PolicyTest> ParseTest(const Ctx& c, const YAML::Node& node, const std::vector<Route>& routes) {
  if (!node.IsMap()) return c.At(node, "a test must be a mapping with name, route, input and expect");
  if (Status s = CheckKeys(c, node,
                           {"name", "route", "topic", "input", "input_json", "key", "headers", "expect", "expect_key",
                            "expect_headers", "expect_dead_letter"},
                           "test");
      !s.ok())
    return s.error();
  PolicyTest t;
  t.line = node.Mark().line + 1;
  auto name = RequireString(c, node, "name", "test");
  if (!name.ok()) return name.error();
  t.name = *name;
  auto route = RequireString(c, node, "route", "test");
  if (!route.ok()) return route.error();
  bool found = false;
  std::vector<std::string> names;
  for (const auto& r : routes) {
    found = found || r.name == *route || r.from == *route;
    names.push_back(r.name);
  }
  if (!found && !routes.empty()) {
    std::string hint = text::Suggest(*route, names);
    return c.At(node["route"], "no route named '" + *route + "' (expected: " + text::Join(names) +
                                   (hint.empty() ? ")" : "; did you mean '" + hint + "'?)"));
  }
  t.route = *route;
  if (YAML::Node tp = node["topic"]) {
    if (!tp.IsScalar() || !IsValidTopicName(tp.Scalar())) return c.At(tp, "'topic' must be a Kafka topic name");
    t.topic = tp.Scalar();
  }
  YAML::Node input = node["input"], input_json = node["input_json"];
  if (input && input_json) return c.At(input_json, "give either 'input' or 'input_json', not both");
  if (input_json) {
    if (!input_json.IsScalar()) return c.At(input_json, "'input_json' must be the record value as JSON text");
    t.input = input_json.Scalar();
  } else if (input) {
    if (input.IsNull()) {
      t.input = std::nullopt;  // a tombstone
    } else {
      std::string json;
      if (Status s = ToJson(c, input, &json); !s.ok()) return s.error();
      t.input = json;
    }
  } else {
    return c.At(node, "missing 'input' (the record value, as YAML) or 'input_json' (as JSON text) in test");
  }
  if (YAML::Node k = node["key"]) {
    if (!k.IsScalar()) return c.At(k, "'key' must be the record key as text");
    t.key = k.Scalar();
  }
  if (YAML::Node h = node["headers"]) {
    if (!h.IsMap()) return c.At(h, "'headers' must map header names to text");
    for (const auto& kv : h) {
      if (!kv.first.IsScalar() || !kv.second.IsScalar()) return c.At(kv.first, "'headers' must map names to text");
      t.headers.emplace_back(kv.first.Scalar(), kv.second.Scalar());
    }
  }
  YAML::Node dl = node["expect_dead_letter"];
  if (dl) {
    if (!dl.IsScalar() || dl.Scalar().empty())
      return c.At(dl, "'expect_dead_letter' must be a reason code such as invalid_json");
    t.expect_dead_letter = dl.Scalar();
  }
  if (YAML::Node e = node["expect"]) {
    if (dl) return c.At(e, "give either 'expect' or 'expect_dead_letter', not both");
    auto ex = ToExpected(c, e);
    if (!ex.ok()) return ex.error();
    t.expect = std::move(ex).value();
  }
  if (YAML::Node e = node["expect_key"]) {
    auto ex = ToExpected(c, e);
    if (!ex.ok()) return ex.error();
    t.expect_key = std::move(ex).value();
  }
  if (YAML::Node h = node["expect_headers"]) {
    if (!h.IsMap()) return c.At(h, "'expect_headers' must map header names to expected text (~ = removed)");
    for (const auto& kv : h) {
      if (!kv.first.IsScalar()) return c.At(kv.first, "'expect_headers' keys must be header names");
      if (kv.second.IsNull()) {
        t.expect_headers.emplace_back(kv.first.Scalar(), std::nullopt);
        continue;
      }
      auto ex = ToExpected(c, kv.second);
      if (!ex.ok()) return ex.error();
      t.expect_headers.emplace_back(kv.first.Scalar(), std::move(ex).value());
    }
  }
  if (!t.expect && !dl && !t.expect_key && t.expect_headers.empty())
    return c.At(node, "a test needs 'expect', 'expect_key', 'expect_headers' or 'expect_dead_letter'");
  return t;
}

}  // namespace

bool IsValidTopicName(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

bool SourceMatches(const Route& route, std::string_view topic) {
  if (!route.from_is_pattern()) return route.from == topic;
  RE2::Options o;
  o.set_log_errors(false);
  RE2 re(route.from, o);
  return re.ok() && RE2::FullMatch(topic, re);
}

const Route* Policy::FindRoute(std::string_view name_or_topic) const {
  for (const auto& r : routes_)
    if (r.name == name_or_topic) return &r;
  for (const auto& r : routes_)
    if (r.from == name_or_topic) return &r;
  for (const auto& r : routes_)
    if (r.from_is_pattern() && SourceMatches(r, name_or_topic)) return &r;
  return nullptr;
}

std::string Policy::Label() const {
  return name_ + "@" + std::to_string(version_) + "#" + hash_;
}

Result<std::shared_ptr<const Policy>> Policy::Load(const std::string& path, const crypto::Keyring& keys,
                                                   std::shared_ptr<crypto::UsageLedger> ledger) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error("policy_unreadable", "cannot read policy file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path, keys, std::move(ledger));
}

Result<std::shared_ptr<const Policy>> Policy::Parse(std::string_view yaml, const std::string& origin,
                                                    const crypto::Keyring& keys,
                                                    std::shared_ptr<crypto::UsageLedger> ledger) {
  Ctx c(origin);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    return Error("policy_invalid", origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                                       std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) {
    // An empty document's root has no mark: it is at 1:1.
    const YAML::Mark m = root.Mark();
    return Error("policy_invalid", origin + ":" + std::to_string(m.line < 0 ? 1 : m.line + 1) + ":" +
                                       std::to_string(m.line < 0 ? 1 : m.column + 1) +
                                       ": a policy must be a mapping with policy, version, routes");
  }
  try {
    Diag diag;
    if (Status s = CheckKeys(c, root, {"policy", "version", "description", "scan", "routes", "tests"}, "policy");
        !s.ok())
      diag.Add(s.error());
    auto p = std::make_shared<Policy>();
    p->origin_ = origin;
    p->ledger_ = ledger;
    auto name = RequireString(c, root, "policy", "policy");
    if (!name.ok())
      diag.Add(name.error());
    else
      p->name_ = *name;
    YAML::Node ver = root["version"];
    long long v = 0;
    if (!ver)
      diag.Add(c.At(root, "missing 'version' (a positive whole number, raised on every change)"));
    else if (!ver.IsScalar() || !YAML::convert<long long>::decode(ver, v) || v <= 0)
      diag.Add(c.At(ver, "'version' must be a positive whole number"));
    p->version_ = v;
    if (YAML::Node d = root["description"]; d && !d.IsScalar()) diag.Add(c.At(d, "'description' must be text"));
    YAML::Node routes = root["routes"];
    bool routes_ok = true;
    Env env{keys, ledger.get(), nullptr};
    if (root["scan"] || UsesScanning(routes)) {
      env.scanning = ParseScanning(c, root["scan"], env, diag);
      p->scanning_ = env.scanning;
      if (!env.scanning) routes_ok = false;
    }
    if (!routes) {
      diag.Add(c.At(root, "missing 'routes' (a list of { from, to, dead_letter, rules })"));
    } else if (!routes.IsSequence() || routes.size() == 0) {
      diag.Add(c.At(routes, "'routes' must be a non-empty list"));
    } else {
      std::set<std::string> froms, names;
      for (const auto& rn : routes) {
        auto r = ParseRoute(c, rn, env, diag);
        if (!r) {
          routes_ok = false;
          continue;
        }
        if (!froms.insert(r->from).second) {
          diag.Add(c.At(rn["from"], "topic '" + r->from + "' has two routes"));
          continue;
        }
        if (!names.insert(r->name).second) {
          diag.Add(c.At(rn["name"] ? rn["name"] : rn, "two routes are named '" + r->name + "'"));
          continue;
        }
        p->routes_.push_back(std::move(*r));
      }
    }
    if (YAML::Node tests = root["tests"]) {
      if (!tests.IsSequence()) {
        diag.Add(c.At(tests, "'tests' must be a list of { name, route, input, expect }"));
      } else {
        std::set<std::string> test_names;
        for (const auto& tn : tests) {
          // Route names are only checked against a fully valid route list.
          static const std::vector<Route> kNone;
          auto t = ParseTest(c, tn, routes_ok ? p->routes_ : kNone);
          if (!t.ok()) {
            diag.Add(t.error());
            continue;
          }
          if (!test_names.insert(t->name).second) {
            diag.Add(c.At(tn["name"], "two tests are named '" + t->name + "'"));
            continue;
          }
          p->tests_.push_back(std::move(t).value());
        }
      }
    }
    if (!diag.empty()) return diag.Combined();
    p->warnings_ = diag.warnings();
    for (const auto& r : p->routes_)
      for (const auto& rule : r.rules) p->encrypts_ = p->encrypts_ || rule.action->CountsEncryptions();
    if (p->scanning_)
      for (const auto& da : p->scanning_->actions())
        p->encrypts_ = p->encrypts_ || (da.action && da.action->CountsEncryptions());
    auto d = crypto::Sha256(yaml);
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 6; ++i) {
      p->hash_.push_back(kHex[d[i] >> 4]);
      p->hash_.push_back(kHex[d[i] & 15]);
    }
    return std::shared_ptr<const Policy>(std::move(p));
  } catch (const YAML::Exception& e) {
    return Error("policy_invalid", origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                                       std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

}  // namespace maskproxy::policy
