#include "reveal/authz.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace maskproxy::reveal {
namespace {

bool Contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

Decision Deny(int status, ErrorCode code, std::string message) {
  Decision d;
  d.allowed = false;
  d.http_status = status;
  d.code = code;
  d.message = std::move(message);
  return d;
}

// Buckets of subjects not seen for a while are dropped above this many, so
// that a stream of distinct subjects cannot grow the maps without bound.
constexpr size_t kMaxBuckets = 10000;

}  // namespace

const std::vector<std::string>& PurposeClasses() {
  static const std::vector<std::string> kClasses = {"fraud",    "chargeback", "legal_request", "data_subject_request",
                                                    "incident", "support",    "audit"};
  return kClasses;
}

bool IsPurposeClass(std::string_view name) {
  return Contains(PurposeClasses(), name);
}

Result<std::unique_ptr<Authorizer>> Authorizer::Create(AuthzOptions options, Clock clock) {
  auto bad = [](const std::string& m) { return Error(ErrorCode::kConfigInvalid, "reveal: " + m); };
  if (options.max_values_per_request == 0) return bad("max_values_per_request must be at least 1");
  if (options.values_per_minute <= 0 || options.requests_per_minute <= 0)
    return bad("rate_limit values_per_minute and requests_per_minute must be at least 1");
  if (options.unauthenticated_audits_per_minute < 0) return bad("unauthenticated_audits_per_minute must be >= 0");
  std::set<std::string> names;
  for (const Role& r : options.roles) {
    if (r.name.empty()) return bad("a role has no name");
    if (!names.insert(r.name).second) return bad("role '" + r.name + "' is defined twice");
    if (r.subjects.empty()) return bad("role '" + r.name + "' has no subjects");
    if (r.grants.empty()) return bad("role '" + r.name + "' has no grants");
    for (const auto& s : r.subjects)
      if (s.empty()) return bad("role '" + r.name + "' has an empty subject");
    for (const Grant& g : r.grants) {
      if (g.route.empty()) return bad("a grant of role '" + r.name + "' has no route");
      if (g.fields.empty()) return bad("a grant of role '" + r.name + "' has no fields");
      if (g.purposes.empty()) return bad("a grant of role '" + r.name + "' has no purposes");
      for (const auto& p : g.purposes)
        if (!IsPurposeClass(p)) {
          std::string known;
          for (const auto& c : PurposeClasses()) known += (known.empty() ? "" : ", ") + c;
          return bad("role '" + r.name + "': unknown purpose '" + p + "' (known: " + known + ")");
        }
    }
  }
  if (!clock) clock = [] { return std::chrono::steady_clock::now(); };
  return std::unique_ptr<Authorizer>(new Authorizer(std::move(options), std::move(clock)));
}

int Authorizer::Take(Bucket* b, double per_minute, double n, std::chrono::steady_clock::time_point now) {
  const double rate = per_minute / 60.0;  // tokens per second
  if (b->last == std::chrono::steady_clock::time_point{}) {
    b->tokens = per_minute;
  } else {
    const double dt = std::chrono::duration<double>(now - b->last).count();
    if (dt > 0) b->tokens = std::min(per_minute, b->tokens + dt * rate);
  }
  b->last = now;
  if (b->tokens >= n) {
    b->tokens -= n;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((n - b->tokens) / rate)));
}

Decision Authorizer::Admit(std::string_view subject) {
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  if (requests_.size() > kMaxBuckets) requests_.clear();
  auto it = requests_.find(subject);
  if (it == requests_.end()) it = requests_.emplace(std::string(subject), Bucket{}).first;
  if (int wait = Take(&it->second, options_.requests_per_minute, 1, now); wait > 0) {
    Decision d = Deny(429, ErrorCode::kRevealRateLimited,
                      "subject '" + std::string(subject) + "' is over " + std::to_string(options_.requests_per_minute) +
                          " requests per minute");
    d.retry_after_s = wait;
    return d;
  }
  Decision d;
  d.allowed = true;
  d.http_status = 200;
  d.code = ErrorCode::kInternal;
  return d;
}

bool Authorizer::Covers(std::string_view subject, std::string_view route, std::string_view field,
                        std::string_view purpose) const {
  for (const Role& r : options_.roles) {
    if (subject.empty() || !Contains(r.subjects, subject)) continue;
    for (const Grant& g : r.grants)
      if (g.route == route && Contains(g.fields, field) && Contains(g.purposes, purpose)) return true;
  }
  return false;
}

Decision Authorizer::Authorize(const AccessRequest& req) {
  std::vector<const Role*> roles;
  for (const Role& r : options_.roles)
    if (!req.subject.empty() && Contains(r.subjects, req.subject)) roles.push_back(&r);
  if (roles.empty()) return Deny(403, ErrorCode::kRevealDenied, "subject '" + req.subject + "' has no reveal role");

  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  if (values_.size() > kMaxBuckets) values_.clear();
  const Role* granted = nullptr;
  bool route_field = false;
  for (const Role* r : roles)
    for (const Grant& g : r->grants) {
      if (g.route != req.route || !Contains(g.fields, req.field)) continue;
      route_field = true;
      if (Contains(g.purposes, req.purpose) && !granted) granted = r;
    }
  std::string names;
  for (const Role* r : roles) names += (names.empty() ? "" : ",") + r->name;
  if (!route_field)
    return Deny(403, ErrorCode::kRevealDenied,
                "role(s) " + names + " grant no reveal of '" + req.field + "' on route '" + req.route + "'");
  if (!granted)
    return Deny(403, ErrorCode::kRevealDenied,
                "role(s) " + names + " may reveal '" + req.field + "' on route '" + req.route +
                    "' for other purposes than '" + req.purpose + "'");
  if (req.ticket.empty()) {
    Decision d = Deny(400, ErrorCode::kInvalidArgument, "purpose.ticket is required");
    d.role = granted->name;
    return d;
  }
  if (req.values > options_.max_values_per_request) {
    Decision d = Deny(400, ErrorCode::kInvalidArgument,
                      std::to_string(req.values) + " values: at most " +
                          std::to_string(options_.max_values_per_request) + " per request");
    d.role = granted->name;
    return d;
  }
  if (int wait = Take(&values_[req.subject], options_.values_per_minute, static_cast<double>(req.values), now);
      wait > 0) {
    Decision d = Deny(
        429, ErrorCode::kRevealRateLimited,
        "subject '" + req.subject + "' is over " + std::to_string(options_.values_per_minute) + " values per minute");
    d.retry_after_s = wait;
    d.role = granted->name;
    return d;
  }
  Decision d;
  d.allowed = true;
  d.http_status = 200;
  d.code = ErrorCode::kInternal;
  d.role = granted->name;
  return d;
}

bool Authorizer::TakeOne(std::map<std::string, Bucket, std::less<>>* m, std::string_view key, int per_minute) {
  if (per_minute == 0) return false;
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  if (m->size() > kMaxBuckets) m->clear();
  auto it = m->find(key);
  if (it == m->end()) it = m->emplace(std::string(key), Bucket{}).first;
  return Take(&it->second, per_minute, 1, now) == 0;
}

bool Authorizer::RecordUnauthenticated(std::string_view peer) {
  return TakeOne(&unauthenticated_, peer, options_.unauthenticated_audits_per_minute);
}

bool Authorizer::RecordRateLimited(std::string_view subject) {
  return TakeOne(&rate_limited_, subject, options_.unauthenticated_audits_per_minute);
}

}  // namespace maskproxy::reveal
