#include "policy/policy.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/text.h"
#include "crypto/mac.h"
#include "transform/registry.h"

namespace maskproxy::policy {
namespace {

class Ctx {
 public:
  explicit Ctx(std::string origin) : origin_(std::move(origin)) {}
  Error At(const YAML::Node& n, const std::string& msg, const char* code = "policy_invalid") const {
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

Result<Rule> ParseRule(const Ctx& c, const YAML::Node& node, const crypto::Keyring& keys) {
  if (!node.IsMap()) return c.At(node, "a rule must be a mapping like { path: user.rrn, action: tokenize, key: rrn }");
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return c.At(kv.first, "rule keys must be plain names");
    if (!seen.insert(kv.first.Scalar()).second)
      return c.At(kv.first, "duplicate key '" + kv.first.Scalar() + "' in rule");
  }
  auto path_text = RequireString(c, node, "path", "rule");
  if (!path_text.ok()) return path_text.error();
  auto path = codec::FieldPath::Parse(*path_text);
  if (!path.ok()) return c.At(node["path"], path.error().message);
  auto action_name = RequireString(c, node, "action", "rule");
  if (!action_name.ok()) return action_name.error();

  transform::ActionOptions opts;
  for (const auto& kv : node) {
    const std::string& k = kv.first.Scalar();
    if (k == "path" || k == "action") continue;
    if (!kv.second.IsScalar() && !kv.second.IsNull())
      return c.At(kv.second, "option '" + k + "' must be a single value");
    opts.Set(k, {kv.second.IsNull() ? std::string() : kv.second.Scalar(), kv.second.IsNull()});
  }
  transform::ActionEnv env{&keys, path->text};
  auto action = transform::CreateAction(*action_name, opts, env);
  if (!action.ok()) {
    const Error& e = action.error();
    std::string opt = transform::ActionOptions::OptionOf(e);
    std::string msg = e.message;
    if (msg.size() && msg[0] == '[') msg = msg.substr(msg.find(']') + 2);
    msg = "rule '" + path->text + "': " + msg;
    if (e.code == "unknown_action") return c.At(node["action"], msg, "policy_invalid");
    if (!opt.empty() && node[opt]) {
      // Point at the key for unknown options, at the value otherwise.
      bool unknown = e.message.find("unknown option") != std::string::npos;
      for (const auto& kv : node)
        if (kv.first.Scalar() == opt)
          return c.At(unknown ? kv.first : kv.second, msg, e.code == "key_missing" ? "key_missing" : "policy_invalid");
    }
    return c.At(node, msg, e.code == "key_missing" ? "key_missing" : "policy_invalid");
  }
  Rule r;
  r.path = std::move(path).value();
  r.action_name = *action_name;
  r.action = std::move(action).value();
  r.line = node.Mark().line + 1;
  return r;
}

Result<Route> ParseRoute(const Ctx& c, const YAML::Node& node, const crypto::Keyring& keys) {
  if (!node.IsMap()) return c.At(node, "a route must be a mapping with from, to, dead_letter and rules");
  if (Status s = CheckKeys(c, node, {"name", "from", "to", "dead_letter", "unlisted_fields", "rules"}, "route");
      !s.ok())
    return s.error();
  Route r;
  for (auto [key, out] : {std::pair{"from", &r.from}, {"to", &r.to}, {"dead_letter", &r.dead_letter}}) {
    auto v = RequireString(c, node, key, "route");
    if (!v.ok()) return v.error();
    if (Status s = CheckTopic(c, node[key], *v, key); !s.ok()) return s.error();
    *out = *v;
  }
  r.name = r.from;
  if (node["name"]) {
    auto v = RequireString(c, node, "name", "route");
    if (!v.ok()) return v.error();
    r.name = *v;
  }
  if (r.to == r.from) return c.At(node["to"], "'to' must differ from 'from': masked data would be read again");
  if (r.dead_letter == r.to)
    return c.At(node["dead_letter"], "'dead_letter' must differ from 'to': raw records would reach the destination");
  if (r.dead_letter == r.from) return c.At(node["dead_letter"], "'dead_letter' must differ from 'from'");
  if (YAML::Node u = node["unlisted_fields"]) {
    if (!u.IsScalar() || u.Scalar() != "keep")
      return c.At(u, "'unlisted_fields' must be: keep (fields the policy does not name pass unchanged)");
  }
  YAML::Node rules = node["rules"];
  if (!rules) return c.At(node, "missing 'rules' in route (a list of { path, action, ... })");
  if (!rules.IsSequence() || rules.size() == 0) return c.At(rules, "'rules' must be a non-empty list");
  for (const auto& rn : rules) {
    auto rule = ParseRule(c, rn, keys);
    if (!rule.ok()) return rule.error();
    int32_t id = static_cast<int32_t>(r.rules.size());
    if (Status s = r.paths.Add(rule->path, id, rule->action->RemovesMember()); !s.ok())
      return c.At(rn["path"], s.error().message);
    r.rules.push_back(std::move(rule).value());
  }
  return r;
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

std::string Policy::Label() const {
  return name_ + "@" + std::to_string(version_) + "#" + hash_;
}

Result<std::shared_ptr<const Policy>> Policy::Load(const std::string& path, const crypto::Keyring& keys) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error("policy_unreadable", "cannot read policy file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path, keys);
}

Result<std::shared_ptr<const Policy>> Policy::Parse(std::string_view yaml, const std::string& origin,
                                                    const crypto::Keyring& keys) {
  Ctx c(origin);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    return Error("policy_invalid", origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                                       std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
  if (!root.IsMap())
    return Error("policy_invalid", origin + ": a policy must be a mapping with policy, version, routes");
  try {
    if (Status s = CheckKeys(c, root, {"policy", "version", "description", "routes"}, "policy"); !s.ok())
      return s.error();
    auto p = std::make_shared<Policy>();
    p->origin_ = origin;
    auto name = RequireString(c, root, "policy", "policy");
    if (!name.ok()) return name.error();
    p->name_ = *name;
    YAML::Node ver = root["version"];
    if (!ver) return c.At(root, "missing 'version' (a positive whole number, raised on every change)");
    long long v = 0;
    if (!ver.IsScalar() || !YAML::convert<long long>::decode(ver, v) || v <= 0)
      return c.At(ver, "'version' must be a positive whole number");
    p->version_ = v;
    if (YAML::Node d = root["description"]; d && !d.IsScalar()) return c.At(d, "'description' must be text");
    YAML::Node routes = root["routes"];
    if (!routes) return c.At(root, "missing 'routes' (a list of { from, to, dead_letter, rules })");
    if (!routes.IsSequence() || routes.size() == 0) return c.At(routes, "'routes' must be a non-empty list");
    std::set<std::string> froms;
    for (const auto& rn : routes) {
      auto r = ParseRoute(c, rn, keys);
      if (!r.ok()) return r.error();
      if (!froms.insert(r->from).second) return c.At(rn["from"], "topic '" + r->from + "' has two routes");
      p->routes_.push_back(std::move(r).value());
    }
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
