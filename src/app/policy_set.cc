#include "app/policy_set.h"

#include <re2/re2.h>
#include <sys/stat.h>

#include <algorithm>
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

Error Combine(const std::vector<Error>& errors) {
  std::string msg;
  for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e.message;
  return Error(errors.front().code, msg);
}

}  // namespace

std::vector<Error> CheckRoutes(const std::vector<std::shared_ptr<const policy::Policy>>& policies) {
  std::vector<policy::PlacedRoute> routes;
  for (const auto& p : policies)
    for (const auto& r : p->routes()) routes.push_back({&p->origin(), &r});
  return policy::RouteConflicts(routes);
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
                                  "warning: route" + text::Shown(later.route->name) + " reads a topic such as" +
                                      text::Shown(t) + " that route" + text::Shown(patterns[a].at.route->name) + " (" +
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
  // One file named twice (the same path, or another path or a link to it)
  // would have every route conflict with itself: said once, as what it is.
  std::vector<std::pair<std::pair<dev_t, ino_t>, std::string>> seen;  // (device, inode), path
  for (const auto& f : files) {
    if (struct stat st{}; ::stat(f.c_str(), &st) == 0) {
      const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
      const auto twin = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == id; });
      if (twin != seen.end()) {
        errors.push_back(Error(
            ErrorCode::kPolicyInvalid,
            text::Located(f, 0, 0,
                          twin->second == f ? "policy file given twice"
                                            : "policy file given twice (the same file as " + twin->second + ")")));
        continue;
      }
      seen.emplace_back(id, f);
    }
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
    const crypto::KeyWrapper* kms, const std::vector<crypto::VersionFingerprint>& reserved_material,
    const std::set<std::string>* only) {
  auto keys = crypto::Keyring::LoadForReveal(keyrings, kms, only);
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
