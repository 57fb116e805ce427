// Routes and their rules: `from`/`to`/`dead_letter`, `unlisted_fields`,
// value/$key/$header rules and their actions, `binary:`; topic names and
// source patterns.
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codec/path.h"
#include "common/text.h"
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
    return c.At(n, "header name '" + name + "' at character " + std::to_string(flaw->pos + 1) + ": " + flaw->what);
  return Status::Ok();
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

Result<Rule> ParseRule(const Ctx& c, const YAML::Node& node, const Env& penv, const std::string& route,
                       std::vector<Error>* warnings) {
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
    if (Status ok = CheckHeaderName(c, node["path"], r.header); !ok.ok()) return ok.error();
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
    if (!msg.empty() && msg[0] == '[') msg = msg.substr(msg.find(']') + 2);
    msg = "rule '" + r.path.text + "': " + msg;
    if (e.code == ErrorCode::kUnknownAction) return c.At(node["action"], msg, ErrorCode::kPolicyInvalid);
    if (!opt.empty() && node[opt]) {
      // Point at the key for unknown options, at the value otherwise.
      bool unknown = e.message.find("unknown option") != std::string::npos;
      for (const auto& kv : node)
        if (kv.first.Scalar() == opt) return c.At(unknown ? kv.first : kv.second, msg, KeyCodeOr(e.code));
    }
    return c.At(node, msg, KeyCodeOr(e.code));
  }
  r.action_name = *action_name;
  r.action = std::move(action).value();
  if (std::string w = r.action->Warning(); !w.empty())
    warnings->push_back(c.At(node["action"], "warning: rule '" + r.path.text + "': " + w));
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
    if (Status named = CheckHeaderName(c, kv.first, name); !named.ok()) {
      diag.Add(named.error());
      ok = false;
    } else if (const Rule* rule = r->HeaderRule(name)) {
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

}  // namespace

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
    std::vector<Error> warnings;
    auto rule = ParseRule(c, rn, env, r.name, &warnings);
    for (const Error& w : warnings) diag.Warn(w);
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

}  // namespace internal

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

}  // namespace maskproxy::policy
