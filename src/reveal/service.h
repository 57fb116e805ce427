// POST /v1/reveal, independent of the transport: the verified peer and the
// body in, a status and a JSON body out. The admin listener (admin/server.h)
// hands over the peer's certificate subject; app/cmd_run.cc wires this in.
//
// Order, fail closed: no verified client certificate -> 401 (TLS without a
// certificate) or 403 (plain HTTP); the subject's request bucket (429, any
// verified subject, before the body is looked at); the body parsed (400
// names the member); authorization (reveal/authz.h: 403 no role / no grant,
// 400 ticket or value count, 429 with Retry-After); the route by its name
// in the running policies; a `topic` that route reads (403); for fpe and
// encrypt_deterministic, a grant of every rule whose outputs share the
// field's key and domain (403: transform::Action::RevealScope); the
// Revealer (400 for a route, field or key version it refuses). Every
// request handed to Handle, allowed or denied, appends one
// audit::RevealEvent before the answer (but for the limits below); when
// that append fails the answer is 503 and carries no value. Requests the
// admin listener refuses before routing (413, 431, 405, Host, Origin,
// plain HTTP to TLS, malformed) never reach Handle and are not audited.
// Unauthenticated attempts are recorded at most
// AuthzOptions::unauthenticated_audits_per_minute per peer (an IPv4
// address, an IPv6 /64) and unauthenticated_audits_total_per_minute from all
// peers together, and requests over the rate
// unauthenticated_audits_per_minute per subject (the rest counted in
// maskproxy_reveal_requests_total only).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit.h"
#include "common/result.h"
#include "policy/policy.h"
#include "reveal/authz.h"

namespace maskproxy::reveal {

struct Peer {
  bool tls = false;       // the request came over TLS
  bool verified = false;  // with a client certificate the configured CA verified
  std::string subject;    // its subject, RFC 2253 ("" when !verified)
  std::string address;    // the peer's IP address (for the unauthenticated limit and the log)
};

struct ServiceReply {
  int status = 200;
  std::string body;       // JSON
  int retry_after_s = 0;  // 429: the Retry-After header
};

class Service {
 public:
  // The policies running now (a reload may change them between requests).
  using Policies = std::function<std::vector<std::shared_ptr<const policy::Policy>>()>;
  // Error invalid_argument when an argument is null.
  [[nodiscard]] static Result<std::unique_ptr<Service>> Create(std::unique_ptr<Authorizer> authz, Policies policies,
                                                               std::shared_ptr<audit::Sink> sink);

  // Thread-safe. Never throws on bad input. A request is decided whole by
  // the authorizer that was current when it arrived.
  [[nodiscard]] ServiceReply Handle(const Peer& peer, std::string_view body);

  // Thread-safe: the next request is decided by `next` (a reload's new
  // roles, grants and limits: app/reload.h); requests in flight finish
  // under the one they began with. The rate-limit buckets carry over
  // (Authorizer::InheritBuckets). Error invalid_argument when null.
  [[nodiscard]] Status ReplaceAuthorizer(std::unique_ptr<Authorizer> next);

  // The authorizer deciding new requests now.
  [[nodiscard]] std::shared_ptr<Authorizer> authorizer() const;

 private:
  Service(std::unique_ptr<Authorizer> authz, Policies policies, std::shared_ptr<audit::Sink> sink)
      : authz_(std::move(authz)), policies_(std::move(policies)), sink_(std::move(sink)) {}

  mutable std::mutex authz_mu_;
  std::shared_ptr<Authorizer> authz_;  // guarded by authz_mu_ (the pointer; the Authorizer is thread-safe)
  Policies policies_;
  std::shared_ptr<audit::Sink> sink_;
};

// The grants of `options` that the policies cannot answer: a route no
// policy has ("role 'R': grant for route 'X': no loaded policy has this
// route"), a field that route has no reversible rule for (encrypt,
// encrypt_deterministic, fpe), or a $scan.DETECTOR the route's policy does
// not scan for reversibly. For a warning at start and on each reload, never
// a refusal: a grant may be written before its policy.
[[nodiscard]] std::vector<std::string> GrantWarnings(
    const AuthzOptions& options, const std::vector<std::shared_ptr<const policy::Policy>>& policies);

}  // namespace maskproxy::reveal
