#include "app/reload.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "app/audit_events.h"
#include "app/kafka_security.h"
#include "app/policy_tests.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/text.h"
#include "pipeline/pipeline.h"
#include "policy/policy.h"
#include "reveal/service.h"
#include "transform/scan.h"

namespace maskproxy::app {
namespace {

void AppendList(const char* name, const std::vector<std::string>& items, std::string* out) {
  *out += ",\"";
  *out += name;
  *out += "\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) *out += ",";
    text::AppendJsonQuoted(items[i], out);
  }
  *out += "]";
}

// "name (from)": how a route is named in a reload's answer.
std::vector<std::string> RouteNames(const engine::Engine& e) {
  std::vector<std::string> out;
  for (const auto& r : e.routes()) {
    std::string n = r.route->name == r.route->from ? r.route->from : r.route->name + " (" + r.route->from + ")";
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Route name -> a topic it reads (its topic, or the shortest one its pattern
// matches: policy::SampleTopic) and rule path -> action and options, of
// every rule of `policies` ("keep whole" for a keep with apply_to: whole),
// under kUnlisted the route's unlisted_fields, and, for a route that scans (a
// scan rule or unlisted_fields: scan), each detector its policy's scan
// section runs as "$scan.DETECTOR" with the action its hits get ("keep" for
// one found and left as it is; a detector turned off or deleted is absent)
// and what it finds and does as its options.
struct RuleInfo {
  std::string action;
  std::string options;
};
struct RouteInfo {
  std::string topic;
  std::map<std::string, RuleInfo> rules;
};
using RuleMap = std::map<std::string, RouteInfo>;
constexpr const char* kUnlisted = "unlisted_fields";
// A `binary:` key or header: passed as it is (on a drop route whatever it
// holds; on a scan route bytes that are not UTF-8), or dropped.
constexpr const char* kBinaryPass = "binary pass";
constexpr const char* kBinaryDrop = "binary drop";
RuleMap Rules(const std::vector<std::shared_ptr<const policy::Policy>>& policies) {
  RuleMap out;
  for (const auto& p : policies) {
    if (!p) continue;
    for (const auto& r : p->routes()) {
      RouteInfo& info = out[r.name];
      info.topic = policy::SampleTopic(r);
      auto& rules = info.rules;
      rules[kUnlisted] = {r.unlisted == policy::Unlisted::kDrop   ? "drop"
                          : r.unlisted == policy::Unlisted::kScan ? "scan"
                                                                  : "keep",
                          ""};
      bool scans = r.unlisted == policy::Unlisted::kScan;
      for (const auto& rule : r.rules) {
        rules[rule.path.text] = {rule.action_name == "keep" && rule.whole ? "keep whole" : rule.action_name,
                                 rule.options};
        scans = scans || rule.action_name == "scan";
      }
      // `binary:` parts: passed as they are or dropped, never scanned.
      const auto binary = [](policy::BinaryPart b) {
        return b == policy::BinaryPart::kPass ? kBinaryPass : kBinaryDrop;
      };
      if (r.binary_key != policy::BinaryPart::kNone) rules["$key"] = {binary(r.binary_key), ""};
      for (const auto& [h, b] : r.binary_headers)
        if (b != policy::BinaryPart::kNone) rules["$header." + h] = {binary(b), ""};
      if (scans && p->scanning()) {
        for (const auto& d : p->scanning()->actions())
          rules[transform::ScanFieldPath(d.detector)] = {d.action ? d.action_name : "keep", d.settings};
      }
    }
  }
  return out;
}

// How much unlisted_fields protects: drop removes every unnamed field, scan
// protects the PII the detectors find in them, keep passes them.
int UnlistedStrength(const std::string& mode) {
  return mode == "drop" ? 2 : mode == "scan" ? 1 : 0;
}

// How much of a value an action leaves readable (transform::ActionStrength;
// "keep whole" is a keep).
int ActionStrength(const std::string& action) {
  if (action == kBinaryPass) return 0;
  if (action == kBinaryDrop) return 2;
  return action == "keep whole" ? 0 : transform::ActionStrength(action);
}

// Whether `now` may leave more of a value readable than `was`: lower in
// ActionStrength, or showing another part of it (scan <-> mask or
// generalize: transform::PartialKind, which cannot be ranked).
bool ShowsMore(const std::string& was, const std::string& now) {
  if (ActionStrength(now) != ActionStrength(was)) return ActionStrength(now) < ActionStrength(was);
  const int a = transform::PartialKind(was == "keep whole" ? "keep" : was);
  const int b = transform::PartialKind(now == "keep whole" ? "keep" : now);
  return a != 0 && b != 0 && a != b;
}

// Whether an action's output can be revealed (reveal turns it back into the
// value); tokenize and redact cannot.
bool Reversible(const std::string& action) {
  return transform::IsReversible(action);
}

// The protections `after` drops or changes for the topics `before`'s routes
// read. Each old route is compared with the route of `after` that reads its
// topic (route_for: a renamed route, or another that takes its topics now: a
// pattern route left alone by a file written halfway), or with the route of
// its name when its topic is unknown; a route whose topic no route reads any
// more passes nothing and is skipped (routes_removed says so). Reported: a
// rule or scan detector gone or turned into keep, an action that leaves more
// of its value readable (tokenize -> mask, scan <-> mask: ShowsMore) or
// that makes it revealable (tokenize -> encrypt), an action's options or a
// detector's definition changed (keep_last 4 -> 6, a narrower pattern: which
// way such a change goes is not judged), a keep of scalars that keeps its
// object whole now (nested PII passes), unlisted_fields loosened (drop ->
// scan -> keep), and a new rule that shows more of a field than
// unlisted_fields did (a keep where fields were dropped or scanned) or makes
// it revealable (an encrypt where it was dropped or scanned).
std::vector<std::string> RulesRemoved(const RuleMap& before, const RuleMap& after,
                                      const std::function<std::string(const std::string&)>& route_for) {
  std::vector<std::string> out;
  for (const auto& [route, old_info] : before) {
    std::string target = route;
    if (!old_info.topic.empty()) {
      target = route_for(old_info.topic);
      if (target.empty()) continue;  // no route reads it: nothing passes
    }
    auto now_info = after.find(target);
    if (now_info == after.end()) continue;  // the route itself is gone: routes_removed says so
    const auto& rules = old_info.rules;
    const auto& now = now_info->second.rules;
    const std::string where = target == route ? route : route + " -> " + target;
    // A route that no longer scans at all gave up its scan rules or its
    // unlisted_fields: scan, reported as such, not detector by detector.
    const auto first_scan = now.lower_bound("$scan.");
    const bool still_scans = first_scan != now.end() && first_scan->first.starts_with("$scan.");
    for (const auto& [path, rule] : rules) {
      const std::string& action = rule.action;
      if (!still_scans && path.starts_with("$scan.")) continue;
      auto it = now.find(path);
      if (path == kUnlisted) {
        if (it != now.end() && UnlistedStrength(it->second.action) < UnlistedStrength(action))
          out.push_back(where + ": " + path + " (" + action + " -> " + it->second.action + ")");
        continue;
      }
      if (action == "keep whole" || action == kBinaryPass) continue;
      if (action == kBinaryDrop && it == now.end()) {
        // Back under unlisted_fields: loosened unless that drops it.
        const auto u = now.find(kUnlisted);
        if (u != now.end() && u->second.action != "drop")
          out.push_back(where + ": " + path + " (" + action + " -> " + kUnlisted + " " + u->second.action + ")");
        continue;
      }
      if (action == "keep") {
        if (it != now.end() && it->second.action == "keep whole")
          out.push_back(where + ": " + path + " (keep -> keep, apply_to: whole)");
        continue;
      }
      if (it == now.end())
        out.push_back(where + ": " + path + " (" + action + (path.starts_with("$scan.") ? " -> off)" : ")"));
      else if (it->second.action == "keep" || it->second.action == "keep whole")
        out.push_back(where + ": " + path + " (" + action + " -> keep" +
                      (it->second.action == "keep whole" ? ", apply_to: whole)" : ")"));
      else if (ShowsMore(action, it->second.action))
        out.push_back(where + ": " + path + " (" + action + " -> " + it->second.action + ")");
      else if (!Reversible(action) && Reversible(it->second.action))
        out.push_back(where + ": " + path + " (" + action + " -> " + it->second.action + ", now revealable)");
      else if (it->second.action == action && it->second.options != rule.options)
        out.push_back(where + ": " + path + " (" + action +
                      (path.starts_with("$scan.")
                           ? ": the detector or its action changed)"
                           : ": options " + (rule.options.empty() ? "none" : rule.options) + " -> " +
                                 (it->second.options.empty() ? "none" : it->second.options) + ")"));
    }
    // New rules that show more of a field than unlisted_fields did.
    const auto unlisted = rules.find(kUnlisted);
    if (unlisted == rules.end() || unlisted->second.action == "keep") continue;
    const bool dropped = unlisted->second.action == "drop";
    for (const auto& [path, rule] : now) {
      if (path == kUnlisted || path.starts_with("$scan.") || rules.count(path)) continue;
      if (dropped ? ActionStrength(rule.action) < 2 : ShowsMore("scan", rule.action))
        out.push_back(where + ": " + path + " (" + kUnlisted + " " + unlisted->second.action + " -> " + rule.action +
                      (rule.action == "keep whole" ? ", apply_to: whole)" : ")"));
      else if (Reversible(rule.action))
        out.push_back(where + ": " + path + " (" + kUnlisted + " " + unlisted->second.action + " -> " + rule.action +
                      ", now revealable)");
    }
  }
  return out;
}

std::map<std::string, std::string> Labels(const PolicySet& set) {
  std::map<std::string, std::string> out;
  for (const auto& p : set.policies) out[p->origin()] = p->Label();
  return out;
}

}  // namespace

// The embedded tests of every policy of `set`, on its engine: one line per
// failing test, "FILE:LINE: test 'NAME' fails (N difference(s)) ...", with
// the test's name only (its diffs show values, of synthetic data, but a
// log line takes none: `maskproxy policy test` shows them).
Status CheckPolicyTests(const PolicySet& set, const engine::Limits& limits) {
  std::string msg;
  size_t failed = 0;
  for (const auto& p : set.policies) {
    for (const auto& o : RunPolicyTests(p, limits, set.engine.get())) {
      if (o.passed) continue;
      ++failed;
      if (!msg.empty()) msg += '\n';
      // The test's name through text::Shown (the author's words: a review
      // found key material and a phone in a name reaching the log).
      msg += text::OneLine(p->origin() + (o.line > 0 ? ":" + std::to_string(o.line) : std::string()) + ": test" +
                           text::Shown(o.name) + " fails (" + std::to_string(o.diffs.size()) +
                           " difference(s)); maskproxy policy test shows the differences");
    }
  }
  if (failed == 0) return Status::Ok();
  return Error(ErrorCode::kPolicyTestsFailed, msg);
}

namespace {

// The destination and dead-letter topics of an engine's routes.
std::set<std::string> OutputTopics(const engine::Engine& e) {
  std::set<std::string> out;
  for (const auto& r : e.routes()) {
    out.insert(r.route->to);
    out.insert(r.route->dead_letter);
  }
  return out;
}

// The topics `next` writes to that `running` does not and that `check`
// finds the destination cannot take: one located error per route and
// role naming it ("file:line:col: route R: dead_letter topic T is not
// available on the destination cluster (WHY) ..."), as one message, one
// per line. Ok when there is none.
Status CheckNewOutputTopics(
    const engine::Engine& next, const engine::Engine& running,
    const std::function<std::map<std::string, std::string>(const std::set<std::string>&)>& check) {
  std::set<std::string> added;
  const std::set<std::string> before = OutputTopics(running);
  for (const auto& t : OutputTopics(next))
    if (!before.count(t)) added.insert(t);
  if (added.empty()) return Status::Ok();
  const std::map<std::string, std::string> unavailable = check(added);
  if (unavailable.empty()) return Status::Ok();
  std::string msg;
  for (const auto& r : next.routes()) {
    const policy::Route& rt = *r.route;
    for (const auto& [role, topic, at] :
         {std::tuple{"to", &rt.to, rt.to_at}, std::tuple{"dead_letter", &rt.dead_letter, rt.dead_letter_at}}) {
      auto it = unavailable.find(*topic);
      if (it == unavailable.end()) continue;
      if (!msg.empty()) msg += '\n';
      msg += text::Located(r.policy->origin(), at.line, at.column,
                           "route '" + rt.name + "': " + role + " topic '" + *topic +
                               "' is not available on the destination cluster (" + it->second +
                               "); create it (maskproxy never creates topics), then reload; the running policies "
                               "stay");
    }
  }
  return Error(ErrorCode::kOutputTopicUnavailable, msg);
}

// The reveal settings a running reveal service takes on a reload
// (reveal::AuthzOptions); reveal.enabled and reveal.max_body_bytes need a
// restart.
bool AppliedLive(const std::string& setting) {
  static const std::set<std::string> kLive = {"reveal.roles", "reveal.rate_limit", "reveal.max_values_per_request",
                                              "reveal.unauthenticated_audits_per_minute",
                                              "reveal.unauthenticated_audits_total_per_minute"};
  return kLive.count(setting) > 0;
}

// The settings of `now` that differ from `before` and that a reload does
// not apply (but for the live reveal ones when `reveal_live`).
std::vector<std::string> RestartRequired(const std::map<std::string, std::string>& before,
                                         const std::map<std::string, std::string>& now, bool reveal_live) {
  std::set<std::string> out;
  for (const auto& [k, v] : before) {
    auto it = now.find(k);
    if (it == now.end() || it->second != v) out.insert(k);
  }
  for (const auto& [k, v] : now)
    if (!before.count(k)) out.insert(k);
  std::vector<std::string> list;
  for (const auto& k : out)
    if (!(reveal_live && AppliedLive(k))) list.push_back(k);
  return list;
}

// What differs between two reveal configurations, by role and limit.
std::vector<std::string> RevealChanges(const reveal::AuthzOptions& before, const reveal::AuthzOptions& now) {
  std::vector<std::string> out;
  auto find = [](const reveal::AuthzOptions& o, const std::string& name) -> const reveal::Role* {
    for (const auto& r : o.roles)
      if (r.name == name) return &r;
    return nullptr;
  };
  for (const auto& r : before.roles) {
    const reveal::Role* n = find(now, r.name);
    if (!n)
      out.push_back("role '" + r.name + "': removed");
    else if (!(*n == r))
      out.push_back("role '" + r.name + "': " + (n->subjects != r.subjects ? "subjects" : "") +
                    (n->subjects != r.subjects && n->grants != r.grants ? " and " : "") +
                    (n->grants != r.grants ? "grants" : "") + " changed");
  }
  for (const auto& r : now.roles)
    if (!find(before, r.name)) out.push_back("role '" + r.name + "': added");
  auto limit = [&out](const char* name, long long a, long long b) {
    if (a != b) out.push_back(std::string(name) + ": " + std::to_string(a) + " -> " + std::to_string(b));
  };
  limit("max_values_per_request", static_cast<long long>(before.max_values_per_request),
        static_cast<long long>(now.max_values_per_request));
  limit("rate_limit.values_per_minute", before.values_per_minute, now.values_per_minute);
  limit("rate_limit.requests_per_minute", before.requests_per_minute, now.requests_per_minute);
  limit("unauthenticated_audits_per_minute", before.unauthenticated_audits_per_minute,
        now.unauthenticated_audits_per_minute);
  limit("unauthenticated_audits_total_per_minute", before.unauthenticated_audits_total_per_minute,
        now.unauthenticated_audits_total_per_minute);
  // Same roles in another order: the same grants.
  if (out.empty() && !(before == now)) out.push_back("roles reordered");
  return out;
}

std::string Joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

metrics::Counter* ReloadCounter(const char* result) {
  return &metrics::Reloads(result);
}

// Splits a combined error ("one per line") into its lines.
std::vector<std::string> Lines(const std::string& msg) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= msg.size()) {
    size_t nl = msg.find('\n', start);
    if (nl == std::string::npos) nl = msg.size();
    if (nl > start) out.push_back(msg.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// The SIGHUP handler's end of the pipe (one ReloadTriggers per process).
std::atomic<int> g_hup_fd{-1};
extern "C" void OnSighup(int) {
  const int fd = g_hup_fd.load();
  if (fd >= 0) {
    const char b = 'h';
    const int saved = errno;
    (void)!write(fd, &b, 1);  // a full pipe already holds a pending reload
    errno = saved;
  }
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}
std::string BaseOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

const char* ReloadResult::OutcomeName() const {
  switch (outcome) {
    case Outcome::kSwapped: return "swapped";
    case Outcome::kUnchanged: return "unchanged";
    case Outcome::kRejected: return "rejected";
  }
  return "rejected";
}

std::string ReloadResult::ToJson() const {
  std::string out = "{\"result\":";
  text::AppendJsonQuoted(OutcomeName(), &out);
  out += ",\"trigger\":";
  text::AppendJsonQuoted(trigger, &out);
  out += ",\"policies\":[";
  for (size_t i = 0; i < policies.size(); ++i) {
    if (i) out += ",";
    out += "{\"file\":";
    text::AppendJsonQuoted(policies[i].file, &out);
    out += ",\"old\":";
    text::AppendJsonQuoted(policies[i].old_label, &out);
    out += ",\"new\":";
    text::AppendJsonQuoted(policies[i].new_label, &out);
    out += "}";
  }
  out += "]";
  AppendList("routes_added", routes_added, &out);
  AppendList("routes_removed", routes_removed, &out);
  AppendList("rules_removed", rules_removed, &out);
  AppendList("keys_changed", keys_changed, &out);
  AppendList("reveal_changed", reveal_changed, &out);
  AppendList("restart_required", restart_required, &out);
  AppendList("warnings", warnings, &out);
  AppendList("errors", errors, &out);
  if (!error_code.empty()) {
    out += ",\"error_code\":";
    text::AppendJsonQuoted(error_code, &out);
  }
  out += "}";
  return out;
}

std::map<std::string, Reloader::KeyState> Reloader::KeyStates(const crypto::Keyring& keys) {
  std::map<std::string, KeyState> out;
  for (const auto& name : keys.Names()) {
    const crypto::Key* k = keys.Find(name);
    if (!k) continue;
    KeyState st;
    st.active = k->active;
    for (const auto& [v, material] : k->versions) st.versions.push_back(v);
    out[name] = std::move(st);
  }
  return out;
}

Result<std::unique_ptr<Reloader>> Reloader::Create(ReloadOptions options, const PolicySet& running,
                                                   const crypto::Keyring& keys, SwapFn swap) {
  if (!running.engine) return Error(ErrorCode::kInternal, "reloader: no running engine");
  if (!swap) return Error(ErrorCode::kInternal, "reloader: no swap function");
  std::unique_ptr<Reloader> r(new Reloader(std::move(options), std::move(swap)));
  r->Adopt(running, KeyStates(keys), std::make_shared<const crypto::Keyring>(keys));
  r->SetFilesRejected(std::nullopt);  // the gauge is on the page from the start
  for (auto& v : keys.Fingerprints()) r->seen_[{v.name, v.version}] = std::move(v.fingerprint);
  return r;
}

void Reloader::Adopt(const PolicySet& set, std::map<std::string, KeyState> keys,
                     std::shared_ptr<const crypto::Keyring> keyring) {
  std::lock_guard<std::mutex> lock(state_mu_);
  engine_ = set.engine;
  policies_ = set.policies;
  keyring_ = std::move(keyring);
  if (set.ledger) ledger_ = set.ledger;
  labels_ = Labels(set);
  routes_ = RouteNames(*set.engine);
  keys_ = std::move(keys);
}

void Reloader::SetRevealSwap(reveal::AuthzOptions running, RevealSwapFn swap) {
  std::lock_guard<std::mutex> one_at_a_time(reload_mu_);
  reveal_authz_ = std::move(running);
  reveal_swap_ = std::move(swap);
}

Reloader::Running Reloader::running() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return {policies_, keyring_};
}

std::shared_ptr<const engine::Engine> Reloader::engine() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return engine_;
}

ReloadResult& Reloader::Reject(ReloadResult& res, const Error& e) {
  res.outcome = ReloadResult::Outcome::kRejected;
  res.errors = Lines(e.message);
  res.error_code = std::string(ErrorCodeName(e.code));
  ReloadCounter("rejected")->Inc();
  if (options_.audit) {
    audit::Event ev{.type = audit::EventType::kPolicyRejected, .fields = {}};
    ev.Add("trigger", res.trigger).Add("error", res.error_code).Add("errors", res.errors);
    if (Status s = options_.audit->Append(ev); !s.ok())
      log::Error("audit_failed", {{"event", "policy_rejected"}, {"detail", s.error().message}});
  }
  // The messages carry file:line:col, rule paths, test and key names, never
  // a value or key material (policy and keyring errors are built so).
  log::Error("reload_rejected", {{"trigger", res.trigger},
                                 {"error", res.error_code},
                                 {"errors", std::to_string(res.errors.size())},
                                 {"detail", e.message},
                                 {"running", [&] {
                                    std::string l;
                                    std::lock_guard<std::mutex> lock(state_mu_);
                                    for (const auto& [f, label] : labels_) l += (l.empty() ? "" : ",") + label;
                                    return l;
                                  }()}});
  SetFilesRejected(Rejection{res.trigger, res.error_code, res.errors.empty() ? std::string() : res.errors.front()});
  return res;
}

void Reloader::SetFilesRejected(std::optional<Rejection> r) {
  metrics::PolicyFilesRejected().Set(r ? 1 : 0);
  std::lock_guard<std::mutex> lock(state_mu_);
  files_rejected_ = std::move(r);
}

std::optional<Reloader::Rejection> Reloader::files_rejected() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return files_rejected_;
}

// (The readiness answer reaches clients without a certificate: the code and
// what to do, not the error's text, which names files, routes and rules; the
// log and the reload's answer have it.)
std::string PolicyFilesRejectedDetail(const Reloader::Rejection& r) {
  const bool confirmable = r.error_code == "protection_removal_unconfirmed";
  return text::OneLine("the last reload (" + r.trigger + ") was rejected: " + r.error_code +
                       " (the log's reload_rejected line and the reload's answer say why); the running set stays, "
                       "but the files on disk are not what runs and the next start loads them (a refused "
                       "protection removal applies then, an invalid file stops the start): " +
                       (confirmable ? std::string("revert them, or confirm the removal with SIGHUP or POST /reload")
                                    : std::string("fix or revert them")));
}

ReloadResult Reloader::Refuse(std::string_view trigger, const Error& error) {
  std::lock_guard<std::mutex> one_at_a_time(reload_mu_);
  ReloadResult res;
  res.trigger = std::string(trigger);
  return Reject(res, error);
}

ReloadResult Reloader::ReloadNow(std::string_view trigger) {
  return ReloadNow(trigger, trigger != "inotify");
}

ReloadResult Reloader::ReloadNow(std::string_view trigger, bool confirms_removal) {
  // reload.watch_removes_protections: a removal needs no confirmation.
  confirms_removal = confirms_removal || options_.watch_removes_protections;
  std::lock_guard<std::mutex> one_at_a_time(reload_mu_);
  ReloadResult res;
  res.trigger = std::string(trigger);
  auto reject = [&](const Error& e) -> ReloadResult { return Reject(res, e); };

  auto keys = options_.keyring_files.empty() ? crypto::Keyring::Load(options_.keyring_file, options_.kms)
                                             : crypto::Keyring::LoadFiles(options_.keyring_files, options_.kms);
  if (!keys.ok()) return reject(keys.error());
  if (Status s = RefuseReservedMaterial(*keys, options_.reserved_material); !s.ok()) return reject(s.error());
  // A key version's material is immutable: outputs made under it must keep
  // revealing to what they were made from, and its tokens must not change
  // (joins). Other material under a version loaded before (since start,
  // even if a reload in between dropped it) is refused.
  const std::vector<crypto::VersionFingerprint> fingerprints = keys->Fingerprints();
  for (const auto& v : fingerprints) {
    auto it = seen_.find({v.name, v.version});
    if (it == seen_.end() || it->second == v.fingerprint) continue;
    return reject(Error(ErrorCode::kKeyringInvalid,
                        "key" + crypto::ShownName(v.name) + " version " + std::to_string(v.version) + " in " +
                            v.origin + " holds other material than the one loaded before (fingerprint " + it->second +
                            ", now " + v.fingerprint +
                            "): a key version's material never changes (outputs made with it would reveal wrong "
                            "values, tokens would change); put the old material back, or add a new version with "
                            "maskproxy keys rotate. The running keys stay"));
  }
  std::shared_ptr<crypto::UsageLedger> running_ledger;
  std::map<std::string, std::string> old_labels;
  std::vector<std::string> old_routes;
  std::map<std::string, KeyState> old_keys;
  RuleMap old_rules;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    old_rules = Rules(policies_);
    running_ledger = ledger_;
    old_labels = labels_;
    old_routes = routes_;
    old_keys = keys_;
  }
  // A route's topic is probed only where the running set routes it to that
  // route (a pattern already shadowed is compared by its name).
  if (std::shared_ptr<const engine::Engine> running = engine()) {
    for (auto& [name, info] : old_rules) {
      const engine::RouteRef* r = info.topic.empty() ? nullptr : running->FindRoute(info.topic);
      if (!r || r->route->name != name) info.topic.clear();
    }
  }
  PolicySetOptions po;
  po.ledger_path = options_.ledger_path;
  po.limits = options_.limits;
  po.ledger = running_ledger;
  auto set = LoadPolicySet(options_.policy_files, *keys, po);
  if (!set.ok()) return reject(set.error());
  LogPolicyWarnings(*set, res.trigger);
  // A file ships its own statement of what it must do (`tests:`): a set
  // that fails it is not loaded. Run when a policy file changed (a key
  // rotation alone does not), over the whole new set, routed as the proxy
  // routes (a file that now takes another's topic fails that one's tests).
  if (Labels(*set) != old_labels) {
    if (Status t = CheckPolicyTests(*set, options_.limits); !t.ok()) return reject(t.error());
  }
  // A route whose output topic does not exist would make every
  // transaction (every route's records share them) abort on its records:
  // refused here, before anything changes.
  if (options_.unavailable_topics) {
    std::shared_ptr<const engine::Engine> running_engine = engine();
    if (Status t = CheckNewOutputTopics(*set->engine, *running_engine, options_.unavailable_topics); !t.ok())
      return reject(t.error());
  }
  // The config file, validated as at start: its reveal roles are checked
  // as the reveal service's would be (reveal::Authorizer::Create); the
  // other settings that changed are reported, not applied.
  std::unique_ptr<reveal::Authorizer> next_authz;
  std::optional<reveal::AuthzOptions> next_authz_options;
  if (options_.config) {
    auto cfg = Config::Load(options_.config->path);
    if (!cfg.ok()) return reject(cfg.error());
    res.restart_required = RestartRequired(options_.config->sections, cfg->sections, reveal_swap_ != nullptr);
    // A changed source: or destination: is checked as `run` checks it at
    // start (its security files read, every client property librdkafka's
    // to take), although only a restart applies it: a reload that says
    // nothing of a property the next start refuses would hide it until then.
    const bool clients_changed =
        std::any_of(res.restart_required.begin(), res.restart_required.end(), [](const std::string& k) {
          return k == "source" || k == "destination" || k.rfind("source.", 0) == 0 || k.rfind("destination.", 0) == 0;
        });
    if (clients_changed) {
      auto props = ClientProperties(*cfg);
      if (!props.ok()) return reject(props.error());
      if (Status s = pipeline::CheckClientProperties(props->consumer, props->producer); !s.ok())
        return reject(Error(s.error().code, options_.config->path + ": " + s.error().message));
    }
    if (reveal_swap_) {
      res.warnings = reveal::GrantWarnings(cfg->reveal.authz, set->policies);
      if (!(cfg->reveal.authz == reveal_authz_)) {
        auto authz = reveal::Authorizer::Create(cfg->reveal.authz);
        if (!authz.ok()) return reject(authz.error());
        next_authz = std::move(*authz);
        res.reveal_changed = RevealChanges(reveal_authz_, cfg->reveal.authz);
        next_authz_options = cfg->reveal.authz;
      }
    }
  }
  for (size_t i = 0; i < res.warnings.size() && i < 20; ++i)
    log::Warn("reveal_grant_unmatched", {{"grant", res.warnings[i]}, {"trigger", res.trigger}});
  if (!res.restart_required.empty())
    log::Warn("reload_restart_required",
              {{"trigger", res.trigger},
               {"settings", Joined(res.restart_required, ",")},
               {"detail", "the config file differs from what runs in settings only a restart applies"}});

  std::map<std::string, KeyState> new_keys = KeyStates(*keys);
  const std::map<std::string, std::string> new_labels = Labels(*set);
  for (const auto& [file, label] : new_labels) {
    auto it = old_labels.find(file);
    if (it == old_labels.end())
      res.policies.push_back({file, "", label});
    else if (it->second != label)
      res.policies.push_back({file, it->second, label});
  }
  for (const auto& [file, label] : old_labels)
    if (!new_labels.count(file)) res.policies.push_back({file, label, ""});
  const std::vector<std::string> new_routes = RouteNames(*set->engine);
  std::set_difference(new_routes.begin(), new_routes.end(), old_routes.begin(), old_routes.end(),
                      std::back_inserter(res.routes_added));
  std::set_difference(old_routes.begin(), old_routes.end(), new_routes.begin(), new_routes.end(),
                      std::back_inserter(res.routes_removed));
  res.rules_removed = RulesRemoved(old_rules, Rules(set->policies), [&](const std::string& topic) {
    const engine::RouteRef* r = set->engine->FindRoute(topic);
    return r ? r->route->name : std::string();
  });
  if (!confirms_removal && !res.rules_removed.empty()) {
    const std::string first = res.rules_removed.front();
    const size_t n = res.rules_removed.size();
    res.policies.clear();
    res.routes_added.clear();
    res.routes_removed.clear();
    res.reveal_changed.clear();
    const std::string why =
        res.trigger == "inotify"
            ? "a file change never removes protections by itself (a file written in two steps looks like that "
              "halfway); the running set stays. Confirm with SIGHUP or POST /reload, or set "
              "reload.watch_removes_protections: true"
            : "this " + res.trigger +
                  " reload waited for a writer to close a watched file, so it confirms no removal: the content it "
                  "would confirm was written after it was asked for; the running set stays. Check the files, then "
                  "send SIGHUP or POST /reload again";
    return reject(Error(ErrorCode::kProtectionRemovalUnconfirmed, "the changed files would remove " +
                                                                      std::to_string(n) + " protection(s) (" + first +
                                                                      (n > 1 ? ", ..." : "") + "): " + why));
  }
  // A changed file whose version stayed: its label's hash tells the two
  // apart, its version (maskproxy_policy_info, a rollout's check) does not.
  for (const auto& c : res.policies) {
    if (c.old_label.empty() || c.new_label.empty()) continue;
    const size_t old_hash = c.old_label.rfind('#');
    const size_t new_hash = c.new_label.rfind('#');
    if (old_hash == std::string::npos || new_hash == std::string::npos ||
        c.old_label.compare(0, old_hash, c.new_label, 0, new_hash) != 0)
      continue;  // the name or the version changed
    const size_t at = c.new_label.rfind('@', new_hash);
    const std::string version = at == std::string::npos ? "" : c.new_label.substr(at + 1, new_hash - at - 1);
    std::string w = c.file + ": content changed but version " + version +
                    " is the same: the header label's hash tells them apart (" + c.old_label + " -> " + c.new_label +
                    "); raise version: on every change";
    log::Warn("policy_version_unchanged", {{"file", c.file},
                                           {"trigger", res.trigger},
                                           {"old", c.old_label},
                                           {"new", c.new_label},
                                           {"detail", "content changed but the version is the same"}});
    res.warnings.push_back(std::move(w));
  }
  for (const auto& [name, st] : new_keys) {
    auto it = old_keys.find(name);
    if (it == old_keys.end()) {
      res.keys_changed.push_back(name + ": added (active " + std::to_string(st.active) + ")");
    } else if (!(it->second == st)) {
      res.keys_changed.push_back(
          name + ": active " + std::to_string(it->second.active) + " -> " + std::to_string(st.active) + ", versions " +
          std::to_string(it->second.versions.size()) + " -> " + std::to_string(st.versions.size()));
    }
  }
  for (const auto& [name, st] : old_keys)
    if (!new_keys.count(name)) res.keys_changed.push_back(name + ": removed");

  const bool set_changed =
      !res.policies.empty() || !res.keys_changed.empty() || !res.routes_added.empty() || !res.routes_removed.empty();
  if (!set_changed && !next_authz) {
    res.outcome = ReloadResult::Outcome::kUnchanged;
    ReloadCounter("unchanged")->Inc();
    SetFilesRejected(std::nullopt);  // the files are what runs
    log::Info("reload_unchanged", {{"trigger", res.trigger}});
    // The config file on disk now differs from what runs in settings only a
    // restart applies: the trail says so (which file, its hash, which
    // settings wait), so that what runs can be told from what is written.
    if (options_.audit && options_.config && !res.restart_required.empty()) {
      audit::Event ev{.type = audit::EventType::kConfigLoaded, .fields = {}};
      ev.Add("file", options_.config->path)
          .Add("hash", FileSha256(options_.config->path))
          .Add("trigger", res.trigger)
          .Add("applied", false)
          .Add("restart_required", res.restart_required);
      if (Status s = options_.audit->Append(ev); !s.ok())
        log::Error("audit_failed", {{"event", "config_loaded"}, {"error", std::string(ErrorCodeName(s.error().code))}});
    }
    return res;
  }
  if (options_.audit) {
    // Audited before it takes effect: without the entry, no swap.
    std::vector<std::string> changes;
    for (const auto& c : res.policies)
      changes.push_back(c.file + ": " + (c.old_label.empty() ? "(new)" : c.old_label) + " -> " +
                        (c.new_label.empty() ? "(removed)" : c.new_label));
    audit::Event ev{.type = audit::EventType::kPolicyReloaded, .fields = {}};
    ev.Add("trigger", res.trigger)
        .Add("policies", changes)
        .Add("routes_added", res.routes_added)
        .Add("routes_removed", res.routes_removed)
        .Add("rules_removed", res.rules_removed)
        .Add("keys_changed", res.keys_changed)
        .Add("reveal_changed", res.reveal_changed)
        .Add("restart_required", res.restart_required)
        .Add("warnings", res.warnings);
    Status s = options_.audit->Append(ev);
    if (s.ok() && !res.keys_changed.empty())
      s = options_.audit->Append(KeysLoadedEvent(options_.keyring_file, options_.keyring_files, *keys, "reload"));
    if (!s.ok()) {
      res.policies.clear();
      res.routes_added.clear();
      res.routes_removed.clear();
      res.rules_removed.clear();
      res.keys_changed.clear();
      res.reveal_changed.clear();
      return reject(s.error());
    }
  }
  if (set_changed) {
    swap_(set->engine);
    for (const auto& v : fingerprints) seen_[{v.name, v.version}] = v.fingerprint;
    Adopt(*set, std::move(new_keys), std::make_shared<const crypto::Keyring>(std::move(*keys)));
  }
  // The next reveal request is decided by the new roles; one in flight
  // finishes under the old ones (reveal::Service::ReplaceAuthorizer).
  if (next_authz) {
    reveal_swap_(std::move(next_authz));
    reveal_authz_ = std::move(*next_authz_options);
  }
  res.outcome = ReloadResult::Outcome::kSwapped;
  ReloadCounter("ok")->Inc();
  SetFilesRejected(std::nullopt);
  std::string changed;
  for (const auto& c : res.policies)
    changed += (changed.empty() ? "" : ",") + (c.old_label.empty() ? "(new)" : c.old_label) + " -> " +
               (c.new_label.empty() ? "(removed)" : c.new_label);
  std::string keys_changed;
  for (const auto& k : res.keys_changed) keys_changed += (keys_changed.empty() ? "" : "; ") + k;
  log::Info("reload_accepted", {{"trigger", res.trigger},
                                {"policies", changed},
                                {"routes_added", std::to_string(res.routes_added.size())},
                                {"routes_removed", std::to_string(res.routes_removed.size())},
                                {"rules_removed", std::to_string(res.rules_removed.size())},
                                {"keys_changed", keys_changed},
                                {"reveal_changed", Joined(res.reveal_changed, "; ")}});
  // A protection dropped on a route that stays: said loudly, each (up to 20).
  for (size_t i = 0; i < res.rules_removed.size() && i < 20; ++i)
    log::Warn("reload_protection_removed", {{"rule", res.rules_removed[i]}, {"trigger", res.trigger}});
  return res;
}

// ---------------------------------------------------------------------------
// Triggers.

Result<std::unique_ptr<ReloadTriggers>> ReloadTriggers::Start(Reloader* reloader, const std::vector<std::string>& files,
                                                              bool watch, int debounce_ms,
                                                              std::chrono::milliseconds writer_timeout) {
  std::unique_ptr<ReloadTriggers> t(new ReloadTriggers());
  t->reloader_ = reloader;
  t->debounce_ms_ = debounce_ms;
  t->writer_timeout_ = writer_timeout;
  if (pipe2(t->stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0)
    return Error(ErrorCode::kInternal, std::string("reload: pipe: ") + std::strerror(errno));
  if (watch) {
    t->inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (t->inotify_fd_ < 0)
      return Error(ErrorCode::kInternal, std::string("reload: inotify_init1: ") + std::strerror(errno));
    t->files_ = files;
    std::string error;
    if (!t->Rewatch(/*at_start=*/true, &error)) return Error(ErrorCode::kInternal, error);
  }
  int expected = -1;
  if (!g_hup_fd.compare_exchange_strong(expected, t->stop_pipe_[1]))
    return Error(ErrorCode::kInternal, "reload: SIGHUP already has a handler");
  struct sigaction sa {};
  sa.sa_handler = OnSighup;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGHUP, &sa, nullptr);
  log::Info(
      "reload_triggers",
      {{"sighup", "true"}, {"watch", watch ? "true" : "false"}, {"directories", std::to_string(t->dirs_.size())}});
  t->thread_ = std::thread([p = t.get()] { p->Loop(); });
  return t;
}

bool ReloadTriggers::Rewatch(bool at_start, std::string* error) {
  // The files' own directories, and for a symbolic link the directory of
  // the file it resolves to now: an edit there is a change too (the link's
  // own directory sees nothing of it), and a link re-pointed (`ln -sfn`, a
  // ConfigMap's `..data` swap) moves that watch.
  std::set<std::string> wanted;
  std::vector<std::string> names;
  for (const auto& f : files_) {
    wanted.insert(DirOf(f));
    names.push_back(BaseOf(f));
    std::error_code ec;
    if (!std::filesystem::is_symlink(f, ec)) {
      targets_.erase(f);
      continue;
    }
    std::string target = std::filesystem::canonical(f, ec).string();
    auto known = targets_.find(f);
    if (ec) {  // dangling for now: keep watching where it pointed
      if (known == targets_.end()) continue;
      target = known->second;
    } else if (known == targets_.end() || known->second != target) {
      if (!at_start && (known == targets_.end() || DirOf(known->second) != DirOf(target)))
        log::Info("reload_watch_moved", {{"file", f},
                                         {"from", known == targets_.end() ? std::string() : DirOf(known->second)},
                                         {"to", DirOf(target)},
                                         {"detail", "the symbolic link points to another directory: watched now"}});
      targets_[f] = target;
    }
    wanted.insert(DirOf(target));
    names.push_back(BaseOf(target));
  }
  names.emplace_back("..data");  // a Kubernetes ConfigMap volume swaps this symlink
  names_ = std::move(names);
  std::set<int> keep;
  bool ok = true;
  for (const auto& d : wanted) {
    const auto known = std::find_if(dirs_.begin(), dirs_.end(), [&](const auto& e) { return e.second == d; });
    if (known != dirs_.end()) {
      keep.insert(known->first);
      continue;
    }
    const int wd = inotify_add_watch(inotify_fd_, d.c_str(),
                                     IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MODIFY);
    if (wd < 0) {
      const std::string why = "cannot watch directory " + d + ": " + std::strerror(errno);
      if (at_start) {
        *error = "reload: " + why;
        return false;
      }
      log::Error("reload_watch_failed", {{"directory", d}, {"detail", why}});
      ok = false;
      continue;
    }
    keep.insert(wd);
    dirs_.emplace(wd, d);  // the same directory under two names: one watch, the first name
  }
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    if (keep.count(it->first)) {
      ++it;
      continue;
    }
    inotify_rm_watch(inotify_fd_, it->first);
    it = dirs_.erase(it);
  }
  return ok;
}

namespace {
// Whether a writer still holds `path` open for writing: a read lease
// (F_SETLEASE F_RDLCK) is refused while any descriptor of the file is open
// for writing, in any process. Taken on a descriptor opened read-only and
// released at once; without F_SETOWN no signal is sent. Only the file's
// owner (or CAP_LEASE) may take one: when it cannot be asked, the writer is
// taken to be there (a file is never read while it may be held).
bool HeldForWriting(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return errno != ENOENT;  // gone: nothing of it is held here
  bool held = true;
  struct stat st {};
  if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
    held = false;  // not a file a writer fills: the loader refuses it
  } else if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
    held = false;
    (void)fcntl(fd, F_SETLEASE, F_UNLCK);
  }
  ::close(fd);
  return held;
}
}  // namespace

ReloadTriggers::~ReloadTriggers() {
  // Ignored from now on: a SIGHUP while the proxy shuts down must not kill it
  // (its default action) and change its exit status.
  struct sigaction sa {};
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  if (g_hup_fd.load() == stop_pipe_[1]) {
    sigaction(SIGHUP, &sa, nullptr);
    g_hup_fd.store(-1);
  }
  if (thread_.joinable()) {
    const char b = 's';
    (void)!write(stop_pipe_[1], &b, 1);
    thread_.join();
  }
  if (inotify_fd_ >= 0) close(inotify_fd_);
  for (int fd : stop_pipe_)
    if (fd >= 0) close(fd);
}

std::optional<ReloadResult> ReloadTriggers::Request(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(request_mu_);
  const uint64_t mine = ++requested_;
  const char b = 'r';
  if (write(stop_pipe_[1], &b, 1) != 1) {
    ReloadResult r;
    r.trigger = "http";
    r.errors.push_back("the reload thread could not be woken");
    r.error_code = "internal";
    return r;
  }
  if (!request_cv_.wait_for(lock, wait, [&] { return answered_ >= mine; })) return std::nullopt;
  return answer_;
}

// One pipe carries SIGHUP ('h'), Request ('r') and stop ('s'). A change of a
// watched file reloads once no watched file changed for debounce_ms (events
// of other files in the directories do not delay it) and no watched file is
// still open for writing (`writing`: created or modified, not yet closed).
void ReloadTriggers::Loop() {
  using Clock = std::chrono::steady_clock;
  bool file_changed = false;   // a watched file changed; reload at `due`
  bool hup = false;            // SIGHUP asked for a reload
  bool http = false;           // Request asked for a reload
  bool waited = false;         // the SIGHUP or request found a writer: it confirms no removal
  Clock::time_point asked_at;  // when the pending SIGHUP or request came
  Clock::time_point due;
  struct Writer {
    Clock::time_point last;  // its last event
    bool warned = false;     // reload_writer_timeout logged
  };
  std::map<std::string, Writer> writing;  // path -> its writer
  const auto answer = [this](uint64_t asked, ReloadResult result) {
    ++reloads_;
    if (asked == 0) return;
    std::lock_guard<std::mutex> lock(request_mu_);
    answer_ = std::move(result);
    answered_ = asked;
    request_cv_.notify_all();
  };
  const auto take_request = [&]() -> uint64_t {
    uint64_t asked = 0;
    if (http) {
      std::lock_guard<std::mutex> lock(request_mu_);
      asked = requested_;
    }
    hup = false;
    http = false;
    return asked;
  };
  const auto timeout_s =
      std::to_string(std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(writer_timeout_).count()));
  while (true) {
    const auto now = Clock::now();
    // A writer silent for the writer timeout: asked whether it still holds
    // the file (a writer that went away closed it; a truncate(2) leaves no
    // close behind). One that does keeps the file unread until it closes it.
    for (auto it = writing.begin(); it != writing.end();) {
      if (now - it->second.last < writer_timeout_) {
        ++it;
        continue;
      }
      if (!HeldForWriting(it->first)) {
        it = writing.erase(it);
        continue;
      }
      if (!it->second.warned) {
        log::Warn("reload_writer_timeout",
                  {{"file", it->first},
                   {"detail", "still open for writing and silent for " + timeout_s +
                                  " s: not read until its writer closes it; the running set stays"}});
        it->second.warned = true;
      }
      ++it;
    }
    // A SIGHUP or request that has waited the writer timeout for a writer
    // that still holds a file: rejected, nothing read. The file change's own
    // reload runs when the writer closes it.
    if ((hup || http) && !writing.empty()) {
      waited = true;
      if (now - asked_at >= writer_timeout_) {
        std::string held;
        for (auto it = writing.begin(); it != writing.end();) {
          if (now - it->second.last < writer_timeout_ && !HeldForWriting(it->first)) {
            it = writing.erase(it);  // closed without an event we saw
            continue;
          }
          held += (held.empty() ? "" : ", ") + it->first;
          ++it;
        }
        if (!held.empty()) {
          const char* trigger = http ? "http" : "sighup";
          const uint64_t asked = take_request();
          waited = false;
          answer(asked,
                 reloader_->Refuse(trigger, Error(ErrorCode::kFileStillBeingWritten,
                                                  held + ": still open for writing " + timeout_s +
                                                      " s after the reload was asked for: nothing was read and the "
                                                      "running set stays; the file is reloaded as a file change once "
                                                      "its writer closes it (or ask again then)")));
          continue;
        }
      }
    }
    int timeout = -1;
    if (!writing.empty()) {
      // To ask after a silent writer, and to answer a waiting request.
      timeout = static_cast<int>(std::clamp<int64_t>(writer_timeout_.count() / 4, 1, 1000));
    } else if (hup || http) {
      timeout = 0;
    } else if (file_changed) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - now).count();
      timeout = static_cast<int>(std::max<int64_t>(left, 0));
    }
    if (writing.empty() && (hup || http || (file_changed && now >= due))) {
      const char* trigger = http ? "http" : hup ? "sighup" : "inotify";
      if (hup || http) log::Info("reload_requested", {{"trigger", trigger}});
      // A SIGHUP or request confirms a removal only of what it was asked
      // over: not when it waited for a writer to finish the content.
      const bool void_confirmation = (hup || http) && waited;
      const uint64_t asked = take_request();
      waited = false;
      file_changed = false;
      answer(asked, void_confirmation ? reloader_->ReloadNow(trigger, false) : reloader_->ReloadNow(trigger));
      continue;  // events still pending are read next time round
    }
    pollfd fds[2] = {{stop_pipe_[0], POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    const int n = poll(fds, inotify_fd_ >= 0 ? 2 : 1, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::Error("reload_triggers_failed", {{"error", std::strerror(errno)}});
      return;
    }
    if (n == 0) continue;
    if (fds[0].revents & POLLIN) {
      char buf[64];
      ssize_t got;
      while ((got = read(stop_pipe_[0], buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < got; ++i) {
          if (buf[i] == 's') return;
          if (!hup && !http) asked_at = Clock::now();
          (buf[i] == 'r' ? http : hup) = true;
        }
    }
    if (inotify_fd_ >= 0 && (fds[1].revents & POLLIN)) {
      alignas(inotify_event) char buf[4096];
      ssize_t got;
      bool relevant = false;  // a watched name changed: the links are resolved again
      while ((got = read(inotify_fd_, buf, sizeof buf)) > 0) {
        for (char* p = buf; p < buf + got;) {
          const auto* ev = reinterpret_cast<const inotify_event*>(p);
          p += sizeof(inotify_event) + ev->len;
          if (ev->mask & IN_Q_OVERFLOW) {  // events were lost: whatever was being written, look again
            for (auto it = writing.begin(); it != writing.end();)
              it = HeldForWriting(it->first) ? std::next(it) : writing.erase(it);
            file_changed = true;
            relevant = true;
            due = Clock::now() + std::chrono::milliseconds(debounce_ms_);
            continue;
          }
          if (ev->mask & IN_IGNORED) {  // the directory was deleted (a ConfigMap's old `..2024_…`)
            dirs_.erase(ev->wd);
            relevant = true;
            continue;
          }
          if (ev->len == 0) continue;
          const std::string name(ev->name);
          if (std::find(names_.begin(), names_.end(), name) == names_.end()) continue;
          relevant = true;
          file_changed = true;
          due = Clock::now() + std::chrono::milliseconds(debounce_ms_);
          const auto dir = dirs_.find(ev->wd);
          const std::string path = (dir == dirs_.end() ? std::string(".") : dir->second) + "/" + name;
          bool opened_for_writing = (ev->mask & IN_MODIFY) != 0;
          if (ev->mask & IN_CREATE) {  // a regular file created here has a writer until it is closed
            struct stat st {};
            opened_for_writing = dir != dirs_.end() && lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
          }
          if (opened_for_writing)
            writing[path] = Writer{Clock::now(), false};
          else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE))
            writing.erase(path);
        }
      }
      if (relevant) {
        std::string ignored;
        (void)Rewatch(/*at_start=*/false, &ignored);
      }
    }
  }
}

}  // namespace maskproxy::app
