#include "app/policy_set.h"

#include <re2/re2.h>

#include <map>
#include <memory>
#include <set>
#include <utility>

#include "common/file.h"
#include "common/log.h"
#include "common/text.h"

namespace maskproxy::app {
namespace {

struct RouteAt {
  const policy::Policy* policy;
  const policy::Route* route;
};

std::string Where(const RouteAt& r, const policy::Route::Mark& m) {
  return r.policy->origin() + ":" + std::to_string(m.line) + ":" + std::to_string(m.column);
}

// One located line (text::Located), whatever the route and topic names hold.
Error Conflict(const RouteAt& r, const policy::Route::Mark& m, const std::string& msg) {
  return Error(ErrorCode::kPolicyConflict,
               text::Located(r.policy->origin(), m.line, m.column, "route '" + r.route->name + "': " + msg));
}

// An output topic and the route line that names it.
struct Output {
  RouteAt at;
  const char* key;  // "to" or "dead_letter"
  const policy::Route::Mark* mark;
};

std::string Describe(const Output& o) {
  return std::string("the '") + o.key + "' of route '" + o.at.route->name + "' (" + Where(o.at, *o.mark) + ")";
}

Error Combine(const std::vector<Error>& errors) {
  std::string msg;
  for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e.message;
  return Error(errors.front().code, msg);
}

}  // namespace

std::vector<Error> CheckRoutes(const std::vector<std::shared_ptr<const policy::Policy>>& policies) {
  std::vector<RouteAt> routes;
  for (const auto& p : policies)
    for (const auto& r : p->routes()) routes.push_back({p.get(), &r});
  // Output topics in route order; the first route naming a topic is the one
  // reported.
  std::map<std::string, Output> outputs;
  for (const auto& r : routes) {
    outputs.emplace(r.route->to, Output{r, "to", &r.route->to_at});
    outputs.emplace(r.route->dead_letter, Output{r, "dead_letter", &r.route->dead_letter_at});
  }
  std::set<std::string> output_topics;
  for (const auto& [topic, out] : outputs) output_topics.insert(topic);
  std::vector<Error> errors;
  // The files' pattern routes together, as each file's alone (policy.h).
  size_t pattern_routes = 0, pattern_program = 0;
  for (const auto& r : routes) {
    if (!r.route->from_is_pattern()) continue;
    ++pattern_routes;
    pattern_program += r.route->from_program;
    if (pattern_routes > policy::kMaxPatternRoutes || pattern_program > policy::kMaxPatternRoutesProgram) {
      const policy::Route::Mark& m = r.route->from_at;
      errors.push_back(
          Error(ErrorCode::kPolicyInvalid,
                text::Located(r.policy->origin(), m.line, m.column,
                              "route '" + r.route->name + "': this route's 'from' pattern makes " +
                                  std::to_string(pattern_routes) + " pattern routes of about " +
                                  std::to_string(pattern_program) +
                                  " RE2 instructions together in the policy files; at most " +
                                  std::to_string(policy::kMaxPatternRoutes) + " pattern routes and " +
                                  std::to_string(policy::kMaxPatternRoutesProgram) +
                                  " instructions for all of them (name topics exactly, or merge patterns)")));
      return errors;
    }
  }
  std::map<std::string, RouteAt> sources;
  for (const auto& r : routes) {
    const policy::Route& route = *r.route;
    if (auto [it, fresh] = sources.emplace(route.from, r); !fresh) {
      errors.push_back(Conflict(r, route.from_at,
                                "source '" + route.from + "' is also routed by route '" + it->second.route->name +
                                    "' (" + Where(it->second, it->second.route->from_at) + ")"));
      continue;
    }
    if (!route.from_is_pattern()) {
      if (auto it = outputs.find(route.from); it != outputs.end())
        errors.push_back(
            Conflict(r, route.from_at,
                     "source topic '" + route.from + "' is " + Describe(it->second) + ": records would be read again"));
      continue;
    }
    // The pattern as the policy compiled it, tried on the output topics in
    // its possible range only (thousands of pattern routes against all
    // outputs made this minutes long).
    for (const auto& topic : policy::MatchingTopics(route, output_topics))
      errors.push_back(Conflict(
          r, route.from_at,
          "source pattern matches '" + topic + "', " + Describe(outputs.at(topic)) + ": records would be read again"));
  }
  // A route name is what a reveal grant and a reveal request name: one
  // route per name, and no name that is another route's source topic.
  std::map<std::string, RouteAt> names;
  for (const auto& r : routes)
    if (auto [it, fresh] = names.emplace(r.route->name, r); !fresh)
      errors.push_back(Conflict(r, r.route->from_at,
                                "route name '" + r.route->name + "' is also the name of a route at " +
                                    Where(it->second, it->second.route->from_at) +
                                    ": reveal grants and requests name routes"));
  for (const auto& r : routes)
    if (auto it = sources.find(r.route->name);
        it != sources.end() && it->second.route != r.route && !it->second.route->from_is_pattern())
      errors.push_back(Conflict(r, r.route->from_at,
                                "route name '" + r.route->name + "' is the source topic of route '" +
                                    it->second.route->name + "' (" + Where(it->second, it->second.route->from_at) +
                                    "): a reveal naming it would be ambiguous"));
  // Raw dead letters must never land in a masked destination.
  std::map<std::string, RouteAt> destinations;
  for (const auto& r : routes) destinations.emplace(r.route->to, r);
  for (const auto& r : routes)
    if (auto it = destinations.find(r.route->dead_letter); it != destinations.end())
      errors.push_back(Conflict(r, r.route->dead_letter_at,
                                "dead-letter topic '" + r.route->dead_letter +
                                    "' is the masked destination ('to') of route '" + it->second.route->name + "' (" +
                                    Where(it->second, it->second.route->to_at) + "): raw records would reach it"));
  return errors;
}

std::vector<std::string> CrossFileShadowing(const std::vector<std::shared_ptr<const policy::Policy>>& policies) {
  std::vector<std::string> out;
  // Pattern routes in the order the engine tries them, as the policies
  // compiled them; bounded as the check inside one file is (the pairs are
  // quadratic: CheckRoutes refuses more than kMaxPatternRoutes).
  struct Pattern {
    RouteAt at;
    const RE2* re;
  };
  std::vector<Pattern> patterns;
  for (const auto& p : policies)
    for (const auto& r : p->routes()) {
      if (!r.from_re || patterns.size() >= policy::kMaxPatternRoutes) continue;
      patterns.push_back({{p.get(), &r}, r.from_re.get()});
    }
  for (size_t b = 0; b < patterns.size(); ++b) {
    const std::string t = policy::SampleTopic(*patterns[b].at.route);
    if (t.empty()) continue;
    for (size_t a = 0; a < b; ++a) {
      if (patterns[a].at.policy == patterns[b].at.policy) continue;  // the file's own check says it
      if (!RE2::FullMatch(t, *patterns[a].re)) continue;
      const RouteAt& later = patterns[b].at;
      out.push_back(text::Located(later.policy->origin(), later.route->from_at.line, later.route->from_at.column,
                                  "warning: route '" + later.route->name + "' reads a topic such as '" + t +
                                      "' that route '" + patterns[a].at.route->name + "' (" +
                                      Where(patterns[a].at, patterns[a].at.route->from_at) +
                                      ") takes first: its file comes first (among patterns the first that matches "
                                      "wins); list the more specific pattern's file first"));
      break;
    }
  }
  return out;
}

void LogPolicyWarnings(const PolicySet& set, const std::string& trigger) {
  constexpr size_t kMaxLogged = 50;
  size_t n = 0;
  const auto warn = [&](const std::string& w) {
    if (n++ < kMaxLogged) log::Warn("policy_warning", {{"trigger", trigger}, {"detail", w}});
  };
  for (const auto& p : set.policies)
    for (const auto& w : p->warnings()) warn(w);
  for (const auto& w : set.warnings) warn(w);
}

Result<PolicySet> LoadPolicySet(const std::vector<std::string>& files, const crypto::Keyring& keys,
                                const PolicySetOptions& options,
                                std::vector<std::shared_ptr<const policy::Policy>>* compiled) {
  if (compiled) compiled->clear();
  std::vector<Error> errors;
  // Each file is read once: both compilations below see the same text.
  std::vector<std::pair<std::string, std::string>> texts;  // path, YAML
  for (const auto& f : files) {
    auto text = file::ReadRegular(f, ErrorCode::kPolicyUnreadable, file::kMaxDocumentBytes);
    if (!text.ok()) {
      errors.push_back(
          Error(ErrorCode::kPolicyUnreadable, "cannot read policy file " + f + ": " + text.error().message));
      continue;
    }
    texts.emplace_back(f, std::move(text).value());
  }
  auto compile = [&](const std::shared_ptr<crypto::UsageLedger>& ledger, std::vector<Error>* errs) {
    std::vector<std::shared_ptr<const policy::Policy>> out;
    for (const auto& [path, yaml] : texts) {
      auto p = policy::Policy::Parse(yaml, path, keys, ledger);
      if (!p.ok()) {
        errs->push_back(p.error());
        continue;
      }
      out.push_back(std::move(p).value());
    }
    return out;
  };
  // First with one in-memory ledger for the set: enough for check and test,
  // and it tells whether the real one is needed.
  std::shared_ptr<crypto::UsageLedger> in_memory = crypto::UsageLedger::InMemory();
  PolicySet set;
  set.policies = compile(in_memory, &errors);
  if (compiled) *compiled = set.policies;
  for (auto& e : CheckRoutes(set.policies)) errors.push_back(std::move(e));
  set.warnings = CrossFileShadowing(set.policies);
  if (!errors.empty()) return Combine(errors);

  bool encrypts = false;
  for (const auto& p : set.policies) encrypts = encrypts || p->Encrypts();
  if (encrypts && (options.ledger || !options.ledger_path.empty())) {
    if (options.ledger) {
      set.ledger = options.ledger;
    } else {
      auto opened = crypto::UsageLedger::Open(options.ledger_path);
      if (!opened.ok()) return opened.error();
      set.ledger = std::move(opened).value();
    }
    // Again, now counting in the ledger file: the policies hold it.
    set.policies = compile(set.ledger, &errors);
    if (!errors.empty()) return Combine(errors);
    if (compiled) *compiled = set.policies;
  }
  auto eng = engine::Engine::Create(set.policies, options.limits);
  if (!eng.ok()) return eng.error();
  set.engine = std::move(eng).value();
  return set;
}

Status RefuseReservedMaterial(const crypto::Keyring& keys, const std::vector<crypto::VersionFingerprint>& reserved) {
  if (reserved.empty()) return Status::Ok();
  std::vector<crypto::VersionFingerprint> all = reserved;
  for (auto& v : keys.Fingerprints()) all.push_back(std::move(v));
  return crypto::RefuseSharedMaterial(all);
}

Result<std::shared_ptr<const policy::Policy>> LoadPolicyForReveal(const std::string& policy_file,
                                                                  const std::vector<crypto::KeyringFile>& keyrings,
                                                                  const crypto::KeyWrapper* kms) {
  auto keys = crypto::Keyring::LoadForReveal(keyrings, kms);
  if (!keys.ok()) return keys.error();
  return policy::Policy::Load(policy_file, *keys, crypto::UsageLedger::InMemory());
}

Result<std::vector<std::shared_ptr<const policy::Policy>>> LoadPoliciesForReveal(
    const std::vector<std::string>& policy_files, const std::vector<crypto::KeyringFile>& keyrings,
    const crypto::KeyWrapper* kms, const std::vector<crypto::VersionFingerprint>& reserved_material) {
  auto keys = crypto::Keyring::LoadForReveal(keyrings, kms);
  if (!keys.ok()) return keys.error();
  if (Status s = RefuseReservedMaterial(*keys, reserved_material); !s.ok()) return s.error();
  std::vector<std::shared_ptr<const policy::Policy>> out;
  for (const auto& file : policy_files) {
    auto p = policy::Policy::Load(file, *keys, crypto::UsageLedger::InMemory());
    if (!p.ok()) return p.error();
    out.push_back(std::move(p).value());
  }
  return out;
}

}  // namespace maskproxy::app
