#include "reveal/authz.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "common/unicode.h"

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

}  // namespace

std::string PeerGroup(std::string_view address) {
  std::string text(address.substr(0, address.find('%')));  // without a zone (fe80::1%eth0)
  in6_addr a6{};
  if (text.find(':') == std::string::npos || inet_pton(AF_INET6, text.c_str(), &a6) != 1) return std::string(address);
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char buf[INET6_ADDRSTRLEN] = {0};
  if (std::memcmp(a6.s6_addr, kMapped, sizeof kMapped) == 0) {
    in_addr a4{};
    std::memcpy(&a4, a6.s6_addr + 12, 4);
    if (inet_ntop(AF_INET, &a4, buf, sizeof buf)) return buf;
    return std::string(address);
  }
  std::memset(a6.s6_addr + 8, 0, 8);
  if (!inet_ntop(AF_INET6, &a6, buf, sizeof buf)) return std::string(address);
  return std::string(buf) + "/64";
}

const std::vector<std::string>& PurposeClasses() {
  static const std::vector<std::string> kClasses = {"fraud",    "chargeback", "legal_request", "data_subject_request",
                                                    "incident", "support",    "audit"};
  return kClasses;
}

bool IsPurposeClass(std::string_view name) {
  return Contains(PurposeClasses(), name);
}

bool TicketMissing(std::string_view ticket) {
  // Something a ticket system would number or name: a letter or digit of
  // any script (re-reviews: " ", then "-", "…", "→", "😀" were revealed
  // to), in valid UTF-8 (offline, an invalid ticket was recorded as U+FFFD).
  if (unicode::FirstInvalidUtf8(ticket) != std::string_view::npos) return true;
  for (size_t i = 0; i < ticket.size();) {
    uint32_t cp = 0;
    const size_t n = unicode::DecodeUtf8(ticket, i, &cp);
    if (n == 0) return true;
    if (unicode::IsLetterOrDigit(cp)) return false;
    i += n;
  }
  return true;
}

Result<std::unique_ptr<Authorizer>> Authorizer::Create(AuthzOptions options, Clock clock) {
  auto bad = [](const std::string& m) { return Error(ErrorCode::kConfigInvalid, "reveal: " + m); };
  if (options.max_values_per_request == 0) return bad("max_values_per_request must be at least 1");
  if (options.values_per_minute <= 0 || options.requests_per_minute <= 0)
    return bad("rate_limit values_per_minute and requests_per_minute must be at least 1");
  if (options.unauthenticated_audits_per_minute < 0) return bad("unauthenticated_audits_per_minute must be >= 0");
  if (options.unauthenticated_audits_total_per_minute < 0)
    return bad("unauthenticated_audits_total_per_minute must be >= 0");
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

void Authorizer::InheritBuckets(Authorizer& previous) {
  if (&previous == this) return;
  std::scoped_lock lock(mu_, previous.mu_);
  requests_ = previous.requests_;
  values_ = previous.values_;
  unauthenticated_ = previous.unauthenticated_;
  unauthenticated_total_ = previous.unauthenticated_total_;
  rate_limited_ = previous.rate_limited_;
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
  Bucket* b = BucketOf(&requests_, subject, options_.requests_per_minute, now);
  if (int wait = b ? Take(b, options_.requests_per_minute, 1, now) : 1; wait > 0) {
    Decision d = Deny(429, ErrorCode::kRevealRateLimited,
                      b ? "subject '" + std::string(subject) + "' is over " +
                              std::to_string(options_.requests_per_minute) + " requests per minute"
                        : "too many subjects are being rate-limited: try again later");
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
                "role(s) " + names + " grant no reveal of the field given on the route given");
  if (!granted)
    return Deny(403, ErrorCode::kRevealDenied,
                "role(s) " + names + " may reveal '" + req.field + "' on route '" + req.route +
                    "' (a grant's names) for other purposes than " +
                    (IsPurposeClass(req.purpose) ? "'" + req.purpose + "'" : std::string("the one given")));
  if (TicketMissing(req.ticket)) {
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
  Bucket* vb = BucketOf(&values_, req.subject, options_.values_per_minute, now);
  if (int wait = vb ? Take(vb, options_.values_per_minute, static_cast<double>(req.values), now) : 1; wait > 0) {
    Decision d = Deny(429, ErrorCode::kRevealRateLimited,
                      vb ? "subject '" + req.subject + "' is over " + std::to_string(options_.values_per_minute) +
                               " values per minute"
                         : "too many subjects are being rate-limited: try again later");
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

Authorizer::Bucket* Authorizer::BucketOf(Buckets* b, std::string_view key, double per_minute,
                                         std::chrono::steady_clock::time_point now) {
  if (auto it = b->map.find(key); it != b->map.end()) return &it->second;
  if (b->map.size() >= kMaxBuckets) {
    if (now < b->next_sweep) return nullptr;
    // A bucket that has refilled is the same as a new one: forgetting it
    // resets nothing. The others stay, whatever the new key.
    const double rate = per_minute / 60.0;
    std::erase_if(b->map, [&](const auto& kv) {
      const double dt = std::chrono::duration<double>(now - kv.second.last).count();
      return kv.second.tokens + dt * rate >= per_minute;
    });
    if (b->map.size() >= kMaxBuckets) {
      b->next_sweep = now + std::chrono::seconds(1);
      return nullptr;
    }
  }
  return &b->map.emplace(std::string(key), Bucket{}).first->second;
}

bool Authorizer::RecordUnauthenticated(std::string_view peer) {
  const int per_peer = options_.unauthenticated_audits_per_minute;
  const int total = options_.unauthenticated_audits_total_per_minute;
  if (per_peer == 0 || total == 0) return false;
  const std::string group = PeerGroup(peer);
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  Bucket* b = BucketOf(&unauthenticated_, group, per_peer, now);
  if (!b || Take(b, per_peer, 1, now) != 0) return false;
  if (Take(&unauthenticated_total_, total, 1, now) != 0) {
    b->tokens += 1;  // not recorded: the peer's own budget is not spent
    return false;
  }
  return true;
}

bool Authorizer::RecordRateLimited(std::string_view subject) {
  const int per_minute = options_.unauthenticated_audits_per_minute;
  if (per_minute == 0) return false;
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  Bucket* b = BucketOf(&rate_limited_, subject, per_minute, now);
  return b && Take(b, per_minute, 1, now) == 0;
}

}  // namespace maskproxy::reveal
