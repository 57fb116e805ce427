// Reveal: the original values behind reversible outputs (encrypt,
// encrypt_deterministic, fpe) of one rule of a compiled policy, for operators
// who hold the keyring, every use audited. One function for every caller:
// `maskproxy reveal` (app/cmd_reveal.cc) and, later, the admin HTTP endpoint.
// It prints nothing and exits nothing: refusals are coded errors, the values
// come back to the caller.
//
//   auto revealer = reveal::Revealer::Create(policy, trail);  // trail: std::shared_ptr<audit::Sink>
//   auto out = (*revealer)->Reveal({.route = "transfers", .field = "sender.email", .subject = "CN=kim",
//                                   .ticket = "SEC-1", .reason = "fraud", .values = {"e1.contact.2...."}});
//
// Order (fail closed): the request is checked (reason, route, field, that
// the field's rule is reversible, the fpe key version) before any value is
// touched; the values are revealed in
// memory; one audit::RevealEvent (channel, subject, role, ticket, reason,
// policy, route, field, topic, action, key version, counts, uid, host, and
// the Sink::ValueDigest of each value revealed; never a value) is appended;
// only then are the values returned. Without the audit entry, no value. A
// request refused by those checks is audited too (allowed: false).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit.h"
#include "common/result.h"
#include "policy/policy.h"

namespace maskproxy::transform {
class Action;
}  // namespace maskproxy::transform

namespace maskproxy::reveal {

struct RevealRequest {
  std::string route;  // the route's name or source topic
  // The rule's path as written in the policy (user.email, $key,
  // $header.NAME), or $scan.DETECTOR for a hit of the policy's scanning.
  std::string field;
  // The source topic the value was masked on; "" = the route's `from`. It
  // must be one the route reads as the proxy routes records (RouteReading):
  // its `from`, or a topic its pattern matches that no other route takes.
  std::string topic;
  // Who asks and why, as the audit entry records them (audit::RevealEvent).
  std::string channel = "service";  // "service" (POST /v1/reveal) or "offline" (break-glass CLI)
  std::string subject;              // certificate subject, or the OS user offline
  std::string role;                 // the role that granted it; "" offline
  std::string ticket;               // purpose: ticket id; required
  std::string reason;               // purpose: why (a purpose class); required
  // fpe only (other outputs name their version): the key version, or the
  // record's maskproxy.keys header to take it from. Not both.
  std::optional<uint32_t> key_version;
  std::string keys_header;
  bool json = false;  // values in and out are JSON text (e.g. a number)
  std::vector<std::string> values;
};

struct RevealResult {
  // One per requested value, in order; nullopt for a value that could not
  // be revealed.
  std::vector<std::optional<std::string>> values;
  size_t failed = 0;
  std::optional<Error> first_error;  // the first value's refusal (codes of transform::Action::Reveal)
};

class Revealer {
 public:
  // `policy`: compiled with the keyring that holds the keys (a throwaway
  // encryption ledger will do: reveal never encrypts). `audit`: where each
  // reveal is recorded. `routing`: every policy that routes records beside
  // `policy` (the running ones, or all of a config's), which decide the
  // route that reads a request's `topic`; empty: `policy` alone (it is
  // added when missing). Error "invalid_argument" if `policy` or `audit` is
  // null.
  [[nodiscard]] static Result<std::unique_ptr<Revealer>> Create(
      std::shared_ptr<const policy::Policy> policy, std::shared_ptr<audit::Sink> audit,
      std::vector<std::shared_ptr<const policy::Policy>> routing = {});

  // The checks Reveal makes before it touches a value (no audit line): the
  // reason, the route, the field, that its rule is reversible
  // (transform::IsReversible: "not_reversible" otherwise), the topic (read by
  // that route: "reveal_denied" otherwise), the fpe key version. Error
  // "invalid_argument" with a message that names no value.
  [[nodiscard]] Status Check(const RevealRequest& request) const;

  // Check, then reveals each value and appends the audit entry (also when
  // some or all values could not be revealed: the counts say so). A request
  // Check refuses is audited as denied and its error returned. Errors:
  // those of Check, or the audit sink's ("audit_failed"): then no value is
  // returned.
  [[nodiscard]] Result<RevealResult> Reveal(const RevealRequest& request) const;

  [[nodiscard]] const policy::Policy& policy() const { return *policy_; }

  // The audit entry of a request refused before the Revealer saw it (by
  // authorization, or a malformed request): allowed false, `code` its reason.
  [[nodiscard]] static audit::RevealEvent DeniedEvent(const RevealRequest& request, ErrorCode code);

  // The action behind `field` on `route` of `policy` (a rule's path as
  // written, or $scan.DETECTOR), and its name; nullptr when there is none
  // (or the detector's hits are kept).
  [[nodiscard]] static const transform::Action* FieldAction(const policy::Policy& policy, const policy::Route& route,
                                                            std::string_view field, std::string* action_name);

 private:
  Revealer(std::shared_ptr<const policy::Policy> policy, std::shared_ptr<audit::Sink> audit,
           std::vector<std::shared_ptr<const policy::Policy>> routing)
      : policy_(std::move(policy)), audit_(std::move(audit)), routing_(std::move(routing)) {}
  struct Target;
  [[nodiscard]] Result<Target> Resolve(const RevealRequest& request) const;

  std::shared_ptr<const policy::Policy> policy_;
  std::shared_ptr<audit::Sink> audit_;
  std::vector<std::shared_ptr<const policy::Policy>> routing_;  // holds policy_
};

// The route of `policies` that reads `topic`, as the proxy routes a record:
// a route whose `from` is the topic (an exact source beats any pattern, in
// whichever policy), else the first whose pattern matches it; nullptr when
// none does. The one rule behind a reveal's `topic`, offline
// (Revealer::Resolve) and in the reveal service (service.h).
[[nodiscard]] const policy::Route* RouteReading(const std::vector<std::shared_ptr<const policy::Policy>>& policies,
                                                std::string_view topic);

// The version of key `key_name` in the value of a record's maskproxy.keys
// header ("account:1,contact:1,phone:2", as the proxy writes it). Error
// "invalid_argument" if the header is malformed or does not name the key (or
// names it twice with different versions).
[[nodiscard]] Result<uint32_t> VersionInKeysHeader(std::string_view header, std::string_view key_name);

}  // namespace maskproxy::reveal
