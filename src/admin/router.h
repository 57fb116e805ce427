// The admin endpoints, independent of the transport: a request (method,
// target, body) in, a response out. server.h serves these over HTTP/1.1.
//
//   GET  /livez        200 {"status":"ok"}
//   GET  /readyz       200 {"status":"ready"} or 503 {"status":"not_ready","unmet":[...]};
//                      a ready report may carry "degraded":[...] (still 200: e.g. kms_unreachable)
//   GET  /metrics      Prometheus text exposition (version 0.0.4)
//   GET  /config_dump  the effective config and policies (JSON; never key material)
//   POST /reload       reload policies and keyring now
//   GET  /loglevel     {"level":"info"}
//   POST /loglevel     ?level=debug or {"level":"debug"} (strict JSON, the one member;
//                      not both): changes the level at run time; the level
//                      already in effect is answered 200 but is no change
//   POST /v1/reveal    reveal values (reveal/service.h): the handler gets the
//                      request context (TLS, the verified client certificate's
//                      subject, the peer address); 429 answers carry Retry-After
//   GET  /playground   the policy playground's page (app/playground.h), and its
//   GET  /playground/NAME  static files; POST /v1/policy/evaluate its dry run,
//   GET  /v1/policy/loaded the loaded policies' text for its picker; all four
//                      404 while admin.playground is off
//
// Before routing, the server checks Host and Origin (CheckAddress: 421,
// 403). On a listener that asks for client certificates
// (RequestContext::client_certificates), a request without a verified one
// gets /livez, /readyz and /metrics (probes, Prometheus) and the reveal
// service's own answer (401), and 401 unauthenticated on every other
// endpoint. HEAD is answered wherever GET is, as GET (the server sends no
// body). A known path with another method is 405 with `Allow:`; an unknown path
// 404; an endpoint whose handler the app left empty 501. Bodies are JSON
// built from safe text only (condition names, topic names, codes).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace maskproxy::admin {

// One unmet readiness condition. `name` is a stable code:
// consumer_not_joined, transactions_not_initialised, broker_unreachable,
// output_topic_missing and source_topic_missing (with `topics`), fatal (with `detail`, e.g. fenced),
// policies_not_loaded, reload_failed, ...
struct Unmet {
  std::string name;
  std::vector<std::string> topics;  // for output_topic_missing, source_topic_missing
  std::string detail;               // optional, safe text (an error message, never a value)
};

// What the app reports for /readyz: ready when `unmet` is empty. `degraded`:
// conditions that do not stop the work but that an operator must see
// (rendered in both answers, not changing the status code).
struct ReadyReport {
  std::vector<Unmet> unmet;
  std::vector<Unmet> degraded;
};

struct ReloadReply {
  int status = 200;
  std::string json_body;
};

// Who sent a request, as the transport knows it.
struct RequestContext {
  bool tls = false;              // the connection is TLS
  bool client_verified = false;  // with a client certificate verified against the configured CA
  std::string subject;           // that certificate's subject, RFC 2253 ("" when none)
  std::string peer_address;      // the peer's IP address
  // The listener asks for client certificates (a client CA is configured):
  // without a verified one, only the probes, /metrics and the reveal
  // service (its own 401) answer.
  bool client_certificates = false;
};

// POST /v1/policy/evaluate's answer (app/playground.h).
struct EvaluateReply {
  int status = 200;
  std::string json_body;
};

// A static file of the playground, embedded in the binary.
struct Asset {
  std::string_view content_type;
  std::string_view body;
};

struct RevealReply {
  int status = 200;
  std::string json_body;
  int retry_after_s = 0;  // > 0: a Retry-After header
};

// Filled by the app. An empty function answers 501.
struct Handlers {
  std::function<std::string()> metrics;                                             // Prometheus text
  std::function<ReadyReport()> ready;                                               // readiness conditions
  std::function<std::string()> config_dump;                                         // JSON text
  std::function<ReloadReply()> reload;                                              // POST /reload
  std::function<RevealReply(const RequestContext&, std::string_view body)> reveal;  // POST /v1/reveal
  // The playground (404 when empty: admin.playground is off).
  // POST /v1/policy/evaluate; `operator_client`: the client may use the
  // operator endpoints (no admin.operators, or it lists the client), without
  // which a request naming a loaded policy file ("policy_file") is 403.
  std::function<EvaluateReply(std::string_view body, bool operator_client)> evaluate;
  std::function<std::string()> loaded_policies;  // GET /v1/policy/loaded (JSON)
  // GET /playground ("") and /playground/NAME; null: no such file (404).
  std::function<const Asset*(std::string_view name)> playground_asset;
  // admin.operators: the client certificate subjects (RFC 2253, exact) that
  // may use the operator endpoints — GET /config_dump, POST /reload, POST
  // /loglevel, GET /v1/policy/loaded (the policy files' texts) and POST
  // /v1/policy/evaluate's "policy_file" form (evaluate above) — 403 for
  // anyone else. Empty: every client the listener accepts (a reveal
  // analyst's certificate included).
  std::vector<std::string> operators;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;      // for 405
  int retry_after_s = 0;  // for 429
  // Content-Security-Policy, for the playground's page ("" none).
  std::string content_security_policy;
  // The connection ends after this answer (Connection: close).
  bool close = false;
};

// The playground page's policy: its own files only, nothing from elsewhere
// (no CDN, no inline script), never framed.
inline constexpr char kPlaygroundCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// The headers that say who a request is addressed to, and from which page.
struct AddressHeaders {
  std::vector<std::string_view> host;    // every Host header
  std::vector<std::string_view> origin;  // every Origin header
};

// Checked before any endpoint, on every request: a page in a browser must
// not reach the listener, neither by a cross-site request (a form or fetch
// POSTing to /loglevel or /reload) nor through a name of its own that
// resolves to this host (DNS rebinding, reading /config_dump).
//   - Host must name the listener by an IP literal (1.2.3.4, [::1]),
//     localhost, or one of `allowed_hosts` (admin.allowed_hosts, lower case;
//     compared without case), with an optional port: else 421
//     misdirected_request. Without exactly one Host header (HTTP/1.0
//     too): 400, and the connection closed (Response::close).
//   - An Origin header must name the same host and port as Host (an absent
//     port is the Origin scheme's default; "null" and other schemes never
//     match): else 403 cross_origin. The playground's own page is same-origin.
// nullopt: the request may be routed. The messages never echo the headers.
[[nodiscard]] std::optional<Response> CheckAddress(const AddressHeaders& headers,
                                                   const std::vector<std::string>& allowed_hosts);

// Routes one request. `target` is the request target (path and optional
// query). Never throws; a handler that throws gives 500.
// Registers the router's own metrics (maskproxy_log_level_changes_total) at
// 0, so that the first change shows in rate() and increase(); Server::Create
// calls it.
void RegisterRouterMetrics();

[[nodiscard]] Response Route(const Handlers& handlers, const RequestContext& context, std::string_view method,
                             std::string_view target, std::string_view body);
// The same for a request over plain HTTP without a certificate.
[[nodiscard]] Response Route(const Handlers& handlers, std::string_view method, std::string_view target,
                             std::string_view body);

// The /readyz body for a report.
[[nodiscard]] std::string ReadyJson(const ReadyReport& report);

}  // namespace maskproxy::admin
