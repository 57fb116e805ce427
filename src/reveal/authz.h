// Who may reveal what, and how often: the `reveal:` section of the config
// compiled into an Authorizer. A certificate subject maps to roles; a role's
// grants name routes, field paths and purpose classes; a request must be
// covered by one grant of one of the subject's roles. Rate limits are token
// buckets per subject (requests and values per minute). No I/O: the clock is
// injected, so the limits are tested without sleeping.
//
// Subject matching: exact comparison of the RFC 2253 string of the verified
// client certificate's subject (as OpenSSL prints it with XN_FLAG_RFC2253,
// most specific first: "CN=kim,OU=fraud,O=Example"). Nothing else (no
// wildcards, no CN-only match): a certificate with one more or one fewer
// attribute is another subject.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace maskproxy::reveal {

// The purpose classes a grant may name and a request must give as its
// `reason`. A fixed set, so that the trail can be queried by purpose.
[[nodiscard]] const std::vector<std::string>& PurposeClasses();
[[nodiscard]] bool IsPurposeClass(std::string_view name);
// A purpose ticket that says nothing: no letter or digit (empty, white
// space, invisible characters, punctuation alone), or not UTF-8 (found by
// review: " " and "-" were revealed to, and audited as the ticket).
[[nodiscard]] bool TicketMissing(std::string_view ticket);

struct Grant {
  std::string route;                  // a route name (as in the policy)
  std::vector<std::string> fields;    // rule paths as written, or $scan.DETECTOR
  std::vector<std::string> purposes;  // purpose classes (PurposeClasses())
  bool operator==(const Grant&) const = default;
};

struct Role {
  std::string name;
  std::vector<std::string> subjects;  // exact RFC 2253 subject strings
  std::vector<Grant> grants;
  bool operator==(const Role&) const = default;
};

struct AuthzOptions {
  size_t max_values_per_request = 100;
  int values_per_minute = 600;   // per subject
  int requests_per_minute = 60;  // per subject, allowed or denied
  // Denied unauthenticated attempts (no verified certificate) recorded in
  // the trail, per peer and minute (a peer: an IPv4 address, or an IPv6
  // /64: PeerGroup); more are counted, not recorded. Also the per-subject
  // limit of recorded refusals past a subject's request rate.
  int unauthenticated_audits_per_minute = 10;
  // The same attempts recorded per minute from all peers together, so that
  // many addresses cannot fill the trail either.
  int unauthenticated_audits_total_per_minute = 100;
  std::vector<Role> roles;
  bool operator==(const AuthzOptions&) const = default;
};

// What a request asks for, as authorization sees it.
struct AccessRequest {
  std::string subject;
  std::string route;
  std::string field;
  std::string purpose;  // the purpose class (request's purpose.reason)
  std::string ticket;
  size_t values = 0;
};

struct Decision {
  bool allowed = false;
  int http_status = 403;  // 200 when allowed; 400, 403, 429 otherwise
  ErrorCode code = ErrorCode::kRevealDenied;
  std::string message;    // safe text: names subject, route, field, purpose; never a value
  std::string role;       // the role whose grant covers the request ("" when none)
  int retry_after_s = 0;  // 429: seconds until the bucket has room
};

class Authorizer {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Error config_invalid: a role without subjects or grants, a grant without
  // route, fields or purposes, an unknown purpose class, a subject in two
  // roles is allowed (its grants add up), a zero limit.
  [[nodiscard]] static Result<std::unique_ptr<Authorizer>> Create(AuthzOptions options, Clock clock = {});

  // Thread-safe. The first step for every request of a verified subject,
  // with a role or without, well-formed or not: takes one from the
  // subject's request bucket (requests_per_minute), or denies with 429.
  [[nodiscard]] Decision Admit(std::string_view subject);

  // Thread-safe; after Admit. Order: the subject's roles, a grant covering
  // route + field + purpose, the ticket, the value count, the value bucket.
  // Only an allowed request takes values from the value bucket.
  [[nodiscard]] Decision Authorize(const AccessRequest& request);

  // Whether one of the subject's roles grants route + field for purpose (no
  // bucket is touched): for the other rules whose outputs a value could
  // come from (Service).
  [[nodiscard]] bool Covers(std::string_view subject, std::string_view route, std::string_view field,
                            std::string_view purpose) const;

  // Whether an unauthenticated attempt from `peer` (an address) is recorded
  // in the trail: at most unauthenticated_audits_per_minute per peer group
  // (PeerGroup) and unauthenticated_audits_total_per_minute from all peers
  // together; the rest are counted only (so a flood cannot fill the trail).
  [[nodiscard]] bool RecordUnauthenticated(std::string_view peer);
  // The same limit for the requests of a verified subject that Admit
  // refused (over its request rate): recorded up to it, counted beyond.
  [[nodiscard]] bool RecordRateLimited(std::string_view subject);

  // Buckets kept per map (subjects, peer groups). A full map forgets the
  // buckets that have refilled (they are the same as new ones); while it is
  // full of buckets still in use, a new key gets none: Admit and Authorize
  // answer 429, an unauthenticated attempt is not recorded. No key's budget
  // is ever reset by others.
  static constexpr size_t kMaxBuckets = 10000;

  // Takes over `previous`'s buckets (a reload's new roles, app/reload.h):
  // a subject's budget is not refilled by a reload. Call before this one
  // answers a request.
  void InheritBuckets(Authorizer& previous);

  [[nodiscard]] const AuthzOptions& options() const { return options_; }

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  struct Buckets {
    std::map<std::string, Bucket, std::less<>> map;
    std::chrono::steady_clock::time_point next_sweep{};  // when full: sweeps at most once a second
  };
  Authorizer(AuthzOptions options, Clock clock) : options_(std::move(options)), clock_(std::move(clock)) {}
  // Refills `b` at `per_minute` (capacity per_minute) and takes `n` if it
  // has them; otherwise returns the seconds until it would.
  [[nodiscard]] int Take(Bucket* b, double per_minute, double n, std::chrono::steady_clock::time_point now);

  AuthzOptions options_;
  Clock clock_;
  std::mutex mu_;
  Buckets requests_;
  Buckets values_;
  Buckets unauthenticated_;
  Bucket unauthenticated_total_;  // all peers together
  Buckets rate_limited_;
  // The bucket of `key` in `b` (mu_ held), made when missing; nullptr when
  // the map is full of buckets in use (refilled at per_minute).
  [[nodiscard]] Bucket* BucketOf(Buckets* b, std::string_view key, double per_minute,
                                 std::chrono::steady_clock::time_point now);
};

// The key the unauthenticated limit counts a peer address under: an IPv4
// address as it is; an IPv6 address by its /64 ("2001:db8:1:2::/64"), which
// one host commonly holds whole; an IPv4-mapped IPv6 address as its IPv4
// address; anything else as given.
[[nodiscard]] std::string PeerGroup(std::string_view address);

}  // namespace maskproxy::reveal
