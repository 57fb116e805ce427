#include "reveal/service.h"

#include <algorithm>

#include "common/log.h"
#include "common/metrics.h"
#include "common/text.h"
#include "reveal/request.h"
#include "reveal/reveal.h"
#include "transform/action.h"

namespace maskproxy::reveal {
namespace {

void Count(std::string_view result) {
  static metrics::Family& f = metrics::Global().Counters(
      "maskproxy_reveal_requests_total",
      "POST /v1/reveal requests by result: allowed, denied, rate_limited, rate_limited_unrecorded (not written "
      "to the trail: over the per-subject limit), bad_request, unauthenticated, unauthenticated_unrecorded (not "
      "written to the trail: over the per-peer or the all-peers limit), audit_failed",
      {"result"}, 16);
  f.CounterWith({result})->Inc();
}

ServiceReply ErrorReply(int status, ErrorCode code, std::string_view message) {
  return {status,
          "{\"error\":" + text::JsonQuoted(ErrorCodeName(code)) + ",\"message\":" + text::JsonQuoted(message) + "}", 0};
}

ServiceReply AuditFailed() {
  Count("audit_failed");
  log::Error("reveal_audit_failed", {{"detail", "the audit trail cannot be written: nothing revealed"}});
  return ErrorReply(503, ErrorCode::kAuditFailed, "the audit trail cannot be written: nothing is revealed");
}

// The route of the running policies named `name` (names are unique across
// them: app/policy_set.h), and its policy.
std::pair<std::shared_ptr<const policy::Policy>, const policy::Route*> RouteNamed(
    const std::vector<std::shared_ptr<const policy::Policy>>& policies, std::string_view name) {
  for (const auto& p : policies)
    if (p)
      for (const auto& r : p->routes())
        if (r.name == name) return {p, &r};
  return {nullptr, nullptr};
}

// An fpe or encrypt_deterministic output binds only its key and domain: the
// same value could come from any rule (on any route) whose outputs share
// them, so the subject needs a grant for each. The first one it lacks, as
// "FIELD' on route 'ROUTE"; "" when it has them all.
std::string UngrantedSharer(const std::vector<std::shared_ptr<const policy::Policy>>& policies, const Authorizer& authz,
                            std::string_view subject, std::string_view purpose, std::string_view scope) {
  for (const auto& p : policies) {
    if (!p) continue;
    for (const auto& r : p->routes()) {
      for (const auto& rule : r.rules)
        if (rule.action && rule.action->RevealScope() == scope &&
            !authz.Covers(subject, r.name, rule.path.text, purpose))
          return "'" + rule.path.text + "' on route '" + r.name + "'";
      // Detector hits come only from routes that scan (a scan rule, or
      // unlisted_fields: scan).
      const bool scans =
          r.unlisted == policy::Unlisted::kScan ||
          std::any_of(r.rules.begin(), r.rules.end(), [](const auto& x) { return x.action_name == "scan"; });
      if (const transform::Scanning* s = p->scanning(); s && scans)
        for (const auto& da : s->actions())
          if (da.action && da.action->RevealScope() == scope &&
              !authz.Covers(subject, r.name, "$scan." + da.detector, purpose))
            return "'$scan." + da.detector + "' on route '" + r.name + "'";
    }
  }
  return "";
}

RevealRequest ToRevealRequest(const ServiceRequest& s, const Peer& peer, std::string role) {
  RevealRequest r;
  r.route = s.route;
  r.field = s.field;
  r.topic = s.topic;
  r.channel = "service";
  r.subject = peer.verified ? peer.subject : "";
  r.role = std::move(role);
  r.ticket = s.ticket;
  r.reason = s.reason;
  r.key_version = s.key_version;
  r.keys_header = s.keys_header;
  r.json = s.json;
  r.values = s.values;
  return r;
}

}  // namespace

Result<std::unique_ptr<Service>> Service::Create(std::unique_ptr<Authorizer> authz, Policies policies,
                                                 std::shared_ptr<audit::Sink> sink) {
  if (!authz || !policies || !sink)
    return Error(ErrorCode::kInvalidArgument, "the reveal service needs roles, policies and an audit trail");
  return std::unique_ptr<Service>(new Service(std::move(authz), std::move(policies), std::move(sink)));
}

Status Service::ReplaceAuthorizer(std::unique_ptr<Authorizer> next) {
  if (!next) return Error(ErrorCode::kInvalidArgument, "the reveal service needs roles");
  std::shared_ptr<Authorizer> previous = authorizer();
  next->InheritBuckets(*previous);
  std::lock_guard<std::mutex> lock(authz_mu_);
  authz_ = std::move(next);
  return Status::Ok();
}

std::shared_ptr<Authorizer> Service::authorizer() const {
  std::lock_guard<std::mutex> lock(authz_mu_);
  return authz_;
}

std::vector<std::string> GrantWarnings(const AuthzOptions& options,
                                       const std::vector<std::shared_ptr<const policy::Policy>>& policies) {
  std::vector<std::string> out;
  for (const Role& role : options.roles)
    for (const Grant& g : role.grants) {
      const auto [policy, route] = RouteNamed(policies, g.route);
      const std::string head = "role '" + role.name + "': grant for route '" + g.route + "'";
      if (!route) {
        out.push_back(head + ": no loaded policy has this route");
        continue;
      }
      for (const std::string& field : g.fields) {
        std::string action_name;
        const transform::Action* action = Revealer::FieldAction(*policy, *route, field, &action_name);
        if (!action)
          out.push_back(head + ": field '" + field + "': the route has no rule for it");
        else if (!transform::IsReversible(action_name))
          out.push_back(head + ": field '" + field + "': its rule (" + action_name + ") is not reversible");
      }
    }
  return out;
}

ServiceReply Service::Handle(const Peer& peer, std::string_view body) {
  // One authorizer decides the whole request, even if a reload replaces it
  // meanwhile.
  const std::shared_ptr<Authorizer> authz = authorizer();
  ServiceRequest parsed;
  auto req = ParseServiceRequest(body, &parsed);

  if (!peer.verified || peer.subject.empty()) {
    const int status = peer.tls ? 401 : 403;
    const std::string why = peer.tls ? "a client certificate from the configured CA is required"
                                     : "reveal is served only over TLS with a client certificate";
    // Recorded (trail and log) up to the per-peer and the all-peers limits;
    // beyond them only counted, so that a flood fills neither the trail nor
    // the log.
    if (authz->RecordUnauthenticated(peer.address)) {
      Count("unauthenticated");
      log::Warn("reveal_unauthenticated", {{"peer", peer.address}, {"tls", peer.tls ? "true" : "false"}});
      audit::RevealEvent e = Revealer::DeniedEvent(ToRevealRequest(parsed, peer, ""), ErrorCode::kRevealDenied);
      if (Status s = sink_->Append(audit::ToEvent(e)); !s.ok()) return AuditFailed();
    } else {
      Count("unauthenticated_unrecorded");
    }
    return ErrorReply(status, ErrorCode::kRevealDenied, why);
  }

  // Every request of a verified subject takes from its request bucket
  // first: with a role or without, well-formed or not. Refusals past the
  // rate are recorded up to the per-minute limit, then only counted.
  if (Decision gate = authz->Admit(peer.subject); !gate.allowed) {
    if (authz->RecordRateLimited(peer.subject)) {
      Count("rate_limited");
      audit::RevealEvent e = Revealer::DeniedEvent(ToRevealRequest(parsed, peer, ""), gate.code);
      if (Status s = sink_->Append(audit::ToEvent(e)); !s.ok()) return AuditFailed();
      log::Warn("reveal_rate_limited", {{"subject", peer.subject}});
    } else {
      Count("rate_limited_unrecorded");
    }
    ServiceReply r = ErrorReply(gate.http_status, gate.code, gate.message);
    r.retry_after_s = gate.retry_after_s;
    return r;
  }

  if (!req.ok()) {
    Count("bad_request");
    audit::RevealEvent e = Revealer::DeniedEvent(ToRevealRequest(parsed, peer, ""), req.error().code);
    if (Status s = sink_->Append(audit::ToEvent(e)); !s.ok()) return AuditFailed();
    return ErrorReply(400, req.error().code, req.error().message);
  }

  Decision d = authz->Authorize({.subject = peer.subject,
                                 .route = req->route,
                                 .field = req->field,
                                 .purpose = req->reason,
                                 .ticket = req->ticket,
                                 .values = req->values.size()});
  RevealRequest rr = ToRevealRequest(*req, peer, d.role);
  // The granted route by its name only (a name is not matched against
  // topics here), the topic the value came from read by that route, and a
  // grant for every rule whose outputs the value could also come from.
  const auto running = policies_();
  const auto [policy, route] = RouteNamed(running, req->route);
  if (d.allowed && policy) {
    if (!req->topic.empty() && RouteReading(running, req->topic) != route) {
      d = Decision{};
      d.message = "the topic given is not read by route '" + req->route + "'";
    } else {
      std::string action_name;
      const transform::Action* action = Revealer::FieldAction(*policy, *route, req->field, &action_name);
      const std::string scope = action ? action->RevealScope() : "";
      if (std::string other = scope.empty() ? "" : UngrantedSharer(running, *authz, peer.subject, req->reason, scope);
          !other.empty()) {
        d = Decision{};
        d.message = "'" + req->field + "' on route '" + req->route + "' (" + action_name + ") reveals the outputs of " +
                    other + " as well (same key and domain), which no role of the subject grants for '" + req->reason +
                    "'";
      }
    }
    if (!d.allowed) d.role = rr.role;
  }
  if (!d.allowed) {
    Count(d.http_status == 429 ? "rate_limited" : "denied");
    audit::RevealEvent e = Revealer::DeniedEvent(rr, d.code);
    if (Status s = sink_->Append(audit::ToEvent(e)); !s.ok()) return AuditFailed();
    // The request's route and field reach the log only where they name a
    // route and a rule of the running policies: a value typed into `field`
    // stays out of it (the audit trail records the request as it came).
    std::string field_action;
    const bool known_field = policy && Revealer::FieldAction(*policy, *route, req->field, &field_action) != nullptr;
    log::Warn("reveal_denied", {{"subject", peer.subject},
                                {"route", policy ? req->route : "(not a route of the running policies)"},
                                {"field", known_field ? req->field : "(not a rule of the route)"},
                                {"code", std::string(ErrorCodeName(d.code))}});
    ServiceReply r = ErrorReply(d.http_status, d.code, d.message);
    r.retry_after_s = d.retry_after_s;
    return r;
  }

  if (!policy) {
    Count("bad_request");
    audit::RevealEvent e = Revealer::DeniedEvent(rr, ErrorCode::kInvalidArgument);
    if (Status s = sink_->Append(audit::ToEvent(e)); !s.ok()) return AuditFailed();
    return ErrorReply(400, ErrorCode::kInvalidArgument, "no route of the name given in the running policies");
  }
  auto revealer = Revealer::Create(policy, sink_, running);
  if (!revealer.ok()) return ErrorReply(500, ErrorCode::kInternal, revealer.error().message);
  // Reveal audits the request (allowed, or refused by its own checks) first.
  auto out = (*revealer)->Reveal(rr);
  if (!out.ok()) {
    if (out.error().code == ErrorCode::kAuditFailed) return AuditFailed();
    Count("bad_request");
    return ErrorReply(400, out.error().code, out.error().message);
  }
  Count("allowed");
  log::Info("reveal_allowed", {{"subject", peer.subject},
                               {"role", d.role},
                               {"route", req->route},
                               {"field", req->field},
                               {"ticket", text::Clip(req->ticket)},
                               {"values", std::to_string(req->values.size())},
                               {"failed", std::to_string(out->failed)}});
  return {200, ServiceResponseJson(out->values, out->failed), 0};
}

}  // namespace maskproxy::reveal
