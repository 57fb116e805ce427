#include "admin/router.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <span>

#include "codec/json.h"
#include "codec/path.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/result.h"
#include "common/text.h"

namespace maskproxy::admin {
namespace {

Response Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.body.push_back('\n');
  return r;
}

Response ErrorJson(int status, std::string_view code, std::string_view message) {
  return Json(status, "{\"error\":" + text::JsonQuoted(code) + ",\"message\":" + text::JsonQuoted(message) + "}");
}

Response NotImplemented(std::string_view path) {
  return ErrorJson(501, "not_implemented", std::string(path) + " is not available in this build");
}

Response PlaygroundOff() {
  return ErrorJson(404, "not_found", "the policy playground is off (admin.playground.enabled)");
}

// The Allow of a GET endpoint: HEAD is answered wherever GET is.
constexpr std::string_view kGet = "GET, HEAD";

Response MethodNotAllowed(std::string_view allow) {
  Response r = ErrorJson(405, "method_not_allowed", "allowed: " + std::string(allow));
  r.allow = std::string(allow);
  return r;
}

// The value of `name` in a query string "a=1&level=debug" (no decoding: the
// values the endpoints take are plain words); nullopt when it is absent.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    size_t eq = part.find('=');
    if (part.substr(0, eq) == name) return eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// How many times `name` is given in a query string.
size_t QueryParamCount(std::string_view query, std::string_view name) {
  size_t n = 0;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    if (part.substr(0, part.find('=')) == name) ++n;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return n;
}

// Reads POST /loglevel's body with the codec's strict JSON scanner (RFC
// 8259: one document, escapes decoded): one object whose only member is
// "level", a string. Every member is visited (UnlistedMode::kVisit, no
// paths), so an unknown or repeated member, a nested one and a level of
// another type are refused.
class LevelBody final : public codec::ValueRewriter {
 public:
  [[nodiscard]] Status Rewrite(int32_t, const codec::ScalarRef&, std::string*) override { return Status::Ok(); }
  [[nodiscard]] Status VisitedName(std::span<const codec::PathStep> path) override {
    if (path.front().index >= 0) return NotAnObject();
    if (path.size() > 1) return Status::Ok();  // inside the level: refused at its leaf
    if (path.front().key != "level")
      return Error(ErrorCode::kInvalidArgument,
                   "an unknown member in the body (the only member is \"level\": {\"level\":\"LEVEL\"})");
    if (++levels_ > 1) return Error(ErrorCode::kInvalidArgument, "\"level\" is given twice in the body");
    return Status::Ok();
  }
  [[nodiscard]] Status RewriteUnlisted(const codec::ScalarRef& value, std::span<const codec::PathStep> path,
                                       std::string* out, bool* changed) override {
    (void)out;
    *changed = false;
    if (path.empty()) return value.type == codec::JsonType::kObject ? Status::Ok() : NotAnObject();  // {}
    if (path.front().index >= 0) return NotAnObject();
    if (path.size() > 1 || value.type != codec::JsonType::kString)
      return Error(ErrorCode::kInvalidArgument, "\"level\" must be a string: {\"level\":\"LEVEL\"}");
    level_ = std::string(value.text);
    return Status::Ok();
  }
  [[nodiscard]] const std::string& level() const { return level_; }

 private:
  static Status NotAnObject() {
    return Error(ErrorCode::kInvalidArgument, "the body must be one JSON object {\"level\":\"LEVEL\"}");
  }
  int levels_ = 0;
  std::string level_;
};

// The level a POST /loglevel body names ("" when the object has none).
// Messages name the member or a byte offset, never the body's text.
Result<std::string> LevelFromBody(std::string_view body) {
  codec::PathSet none;
  none.set_unlisted(codec::UnlistedMode::kVisit);
  LevelBody reader;
  std::string out;
  auto stats = codec::RewriteJson(body, none, codec::JsonLimits{}, reader, &out);
  if (!stats.ok()) return stats.error();
  if (stats->root_type != codec::JsonType::kObject)
    return Error(ErrorCode::kInvalidArgument, "the body must be one JSON object {\"level\":\"LEVEL\"}");
  return reader.level();
}

// A body of nothing but white space is no body (curl -X POST '...?level=debug' -d '').
bool Blank(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

metrics::Counter* LogLevelChanges() {
  static metrics::Counter* c =
      metrics::Global().GetCounter("maskproxy_log_level_changes_total",
                                   "log level changes through POST /loglevel (each logged as log_level_changed)");
  return c;
}

}  // namespace

void RegisterRouterMetrics() {
  (void)LogLevelChanges();
}

namespace {

std::string LevelJson() {
  return "{\"level\":\"" + std::string(log::LevelName(log::GetLevel())) + "\"}";
}

Response SetLevel(std::string_view query, std::string_view body) {
  // Strict: ?level=debug&level=error is no level (found by review: the
  // first one won).
  if (QueryParamCount(query, "level") > 1) return ErrorJson(400, "bad_request", "give the level once");
  const std::optional<std::string> in_query = QueryParam(query, "level");
  std::string want;
  if (in_query) {
    if (!Blank(body))
      return ErrorJson(400, "bad_request",
                       "give the level once: as ?level=LEVEL or as the body {\"level\":\"LEVEL\"}, not both");
    want = *in_query;
  } else if (!Blank(body)) {
    auto from_body = LevelFromBody(body);
    if (!from_body.ok()) return ErrorJson(400, "bad_request", from_body.error().message);
    want = std::move(*from_body);
  }
  if (want.empty()) return ErrorJson(400, "bad_request", "give the level as ?level=LEVEL or {\"level\":\"LEVEL\"}");
  log::Level level;
  if (!log::ParseLevel(want, &level))
    return ErrorJson(400, "bad_request", "unknown level (expected: debug, info, warn, error)");
  const log::Level previous = log::GetLevel();
  // The level it already is: answered, but no change (neither logged nor
  // counted as one).
  if (level == previous)
    return Json(200, "{\"level\":\"" + std::string(log::LevelName(level)) + "\",\"previous\":\"" +
                         log::LevelName(previous) + "\"}");
  // Visible whatever the two levels: at warn (error when both are error),
  // written while the more verbose of the two is in effect — before the
  // change when it raises the level (to error), after it when it lowers it.
  const log::Level at = std::max(log::Level::kWarn, std::min(previous, level));
  const bool before = log::Enabled(at);
  auto note = [&] {
    log::Write(at, "log_level_changed", {{"from", log::LevelName(previous)}, {"to", log::LevelName(level)}});
  };
  if (before) note();
  log::SetLevel(level);
  if (!before) note();
  LogLevelChanges()->Inc();
  return Json(200, "{\"level\":\"" + std::string(log::LevelName(level)) + "\",\"previous\":\"" +
                       log::LevelName(previous) + "\"}");
}

// Every endpoint but the probes, /metrics and the reveal service (which
// answers and audits its own 401), on a listener that asks for client
// certificates: 401 without a verified one.
std::optional<Response> RefuseWithoutCertificate(const RequestContext& ctx) {
  if (!ctx.client_certificates || ctx.client_verified) return std::nullopt;
  return ErrorJson(401, "unauthenticated",
                   "a client certificate from admin.tls.client_ca_file is required here (/livez, /readyz and "
                   "/metrics answer without one)");
}

// The operator endpoints (config dump, reload, log level changes, the
// playground's loaded policy texts), when admin.operators names who may use
// them: 403 for any other client.
std::optional<Response> RefuseNonOperator(const Handlers& h, const RequestContext& ctx) {
  if (h.operators.empty()) return std::nullopt;
  if (ctx.client_verified && std::find(h.operators.begin(), h.operators.end(), ctx.subject) != h.operators.end())
    return std::nullopt;
  return ErrorJson(403, "forbidden",
                   "an operator endpoint: the client certificate's subject is not listed in admin.operators");
}

Response Dispatch(const Handlers& h, const RequestContext& ctx, std::string_view method, std::string_view path,
                  std::string_view query, std::string_view body) {
  // HEAD wherever GET works (RFC 9110 9.3.2): answered as GET; the server
  // sends the headers only.
  const bool get = method == "GET" || method == "HEAD";
  const bool post = method == "POST";
  if (path == "/livez") {
    if (!get) return MethodNotAllowed(kGet);
    return Json(200, "{\"status\":\"ok\"}");
  }
  if (path == "/readyz") {
    if (!get) return MethodNotAllowed(kGet);
    if (!h.ready) return NotImplemented(path);
    ReadyReport rep = h.ready();
    return Json(rep.unmet.empty() ? 200 : 503, ReadyJson(rep));
  }
  if (path == "/metrics") {
    if (!get) return MethodNotAllowed(kGet);
    if (!h.metrics) return NotImplemented(path);
    Response r;
    r.content_type = kMetricsContentType;
    r.body = h.metrics();
    return r;
  }
  if (path == "/config_dump") {
    if (!get) return MethodNotAllowed(kGet);
    if (auto refused = RefuseWithoutCertificate(ctx)) return *refused;
    if (auto refused = RefuseNonOperator(h, ctx)) return *refused;
    if (!h.config_dump) return NotImplemented(path);
    return Json(200, h.config_dump());
  }
  if (path == "/reload") {
    if (!post) return MethodNotAllowed("POST");
    if (auto refused = RefuseWithoutCertificate(ctx)) return *refused;
    if (auto refused = RefuseNonOperator(h, ctx)) return *refused;
    if (!h.reload) return NotImplemented(path);
    ReloadReply rep = h.reload();
    return Json(rep.status, std::move(rep.json_body));
  }
  if (path == "/loglevel") {
    if (!get && !post) return MethodNotAllowed("GET, HEAD, POST");
    if (auto refused = RefuseWithoutCertificate(ctx)) return *refused;
    if (get) return Json(200, LevelJson());
    if (auto refused = RefuseNonOperator(h, ctx)) return *refused;
    return SetLevel(query, body);
  }
  if (path == "/v1/reveal") {
    if (!post) return MethodNotAllowed("POST");
    if (!h.reveal) return NotImplemented(path);
    RevealReply rep = h.reveal(ctx, body);
    Response r = Json(rep.status, std::move(rep.json_body));
    r.retry_after_s = rep.retry_after_s;
    return r;
  }
  if (path == "/v1/policy/evaluate") {
    if (!post) return MethodNotAllowed("POST");
    if (!h.evaluate) return PlaygroundOff();
    if (auto refused = RefuseWithoutCertificate(ctx)) return *refused;
    // Open to every client; but a request that names a loaded policy file
    // reads its text, as GET /v1/policy/loaded does: the handler refuses
    // that form (403) unless the client may use the operator endpoints.
    EvaluateReply rep = h.evaluate(body, !RefuseNonOperator(h, ctx).has_value());
    return Json(rep.status, std::move(rep.json_body));
  }
  if (path == "/v1/policy/loaded") {
    if (!get) return MethodNotAllowed(kGet);
    if (!h.loaded_policies) return PlaygroundOff();
    if (auto refused = RefuseWithoutCertificate(ctx)) return *refused;
    // The policy files' texts, as /config_dump shows them: for operators.
    if (auto refused = RefuseNonOperator(h, ctx)) return *refused;
    return Json(200, h.loaded_policies());
  }
  if (path == "/playground" || path.starts_with("/playground/")) {
    if (!get) return MethodNotAllowed(kGet);
    if (!h.playground_asset) return PlaygroundOff();
    if (auto refused = RefuseWithoutCertificate(ctx)) return *refused;
    std::string_view name = path.size() > 12 ? path.substr(12) : std::string_view();
    const Asset* a = h.playground_asset(name);
    if (!a) return ErrorJson(404, "not_found", "no such file of the playground");
    Response r;
    r.content_type = std::string(a->content_type);
    r.body = std::string(a->body);
    r.content_security_policy = kPlaygroundCsp;
    return r;
  }
  return ErrorJson(404, "not_found",
                   "unknown path; endpoints: /livez /readyz /metrics /config_dump /reload /loglevel /v1/reveal "
                   "/playground /v1/policy/evaluate /v1/policy/loaded");
}

}  // namespace

namespace {
void AppendConditions(const std::vector<Unmet>& list, std::string* out) {
  for (size_t i = 0; i < list.size(); ++i) {
    const Unmet& u = list[i];
    if (i) out->push_back(',');
    out->append("{\"condition\":");
    text::AppendJsonQuoted(u.name, out);
    if (!u.topics.empty()) {
      out->append(",\"topics\":[");
      for (size_t t = 0; t < u.topics.size(); ++t) {
        if (t) out->push_back(',');
        text::AppendJsonQuoted(u.topics[t], out);
      }
      out->push_back(']');
    }
    if (!u.detail.empty()) {
      out->append(",\"detail\":");
      text::AppendJsonQuoted(u.detail, out);
    }
    out->push_back('}');
  }
}
}  // namespace

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

// "host[:port]" (a Host header, an origin's authority): the host in lower
// case ("[v6]" with its brackets) and the port (-1 when absent). False when
// malformed (an unbracketed IPv6 address, a path, a port that is no number).
bool SplitAuthority(std::string_view a, std::string* host, int* port) {
  size_t end = 0;
  if (!a.empty() && a[0] == '[') {
    end = a.find(']');
    if (end == std::string_view::npos) return false;
    ++end;
  } else {
    end = std::min(a.size(), a.find(':'));
  }
  if (end == 0) return false;
  *host = Lower(a.substr(0, end));
  std::string_view rest = a.substr(end);
  *port = -1;
  if (rest.empty()) return true;
  if (rest[0] != ':') return false;
  rest.remove_prefix(1);
  if (rest.empty() || rest.size() > 5 || rest.find_first_not_of("0123456789") != std::string_view::npos) return false;
  const auto parsed = std::from_chars(rest.data(), rest.data() + rest.size(), *port);
  return parsed.ec == std::errc() && *port <= 65535;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buf) == 1;
  return inet_pton(AF_INET, host.c_str(), buf) == 1;
}

// "scheme://host[:port]" against the Host header's host and port.
bool SameOrigin(std::string_view origin, const std::string& host, int port) {
  const size_t sep = origin.find("://");
  if (sep == std::string_view::npos) return false;  // "null", an opaque origin
  const std::string scheme = Lower(origin.substr(0, sep));
  const int default_port = scheme == "http" ? 80 : scheme == "https" ? 443 : -1;
  if (default_port < 0) return false;
  std::string origin_host;
  int origin_port = -1;
  if (!SplitAuthority(origin.substr(sep + 3), &origin_host, &origin_port)) return false;
  return origin_host == host && (origin_port < 0 ? default_port : origin_port) == (port < 0 ? default_port : port);
}

}  // namespace

std::optional<Response> CheckAddress(const AddressHeaders& headers, const std::vector<std::string>& allowed_hosts) {
  // HTTP/1.0 too: the check of Host is the defense against DNS rebinding,
  // and a request without one would pass it.
  if (headers.host.size() != 1) {
    Response r = ErrorJson(400, "bad_request", "a request needs exactly one Host header");
    r.close = true;  // a request smuggled behind it is not read
    return r;
  }
  std::string host;
  int port = -1;
  if (!SplitAuthority(headers.host.front(), &host, &port) ||
      (host != "localhost" && !IsIpLiteral(host) &&
       std::find(allowed_hosts.begin(), allowed_hosts.end(), host) == allowed_hosts.end()))
    return ErrorJson(421, "misdirected_request",
                     "the Host header must be an IP address, localhost, or a name listed in admin.allowed_hosts");
  if (!headers.origin.empty()) {
    if (headers.origin.size() > 1 || !SameOrigin(headers.origin.front(), host, port))
      return ErrorJson(403, "cross_origin",
                       "the Origin header names another host or port than the Host header: cross-site requests "
                       "are refused");
  }
  return std::nullopt;
}

std::string ReadyJson(const ReadyReport& report) {
  std::string out = report.unmet.empty() ? "{\"status\":\"ready\"" : "{\"status\":\"not_ready\",\"unmet\":[";
  if (!report.unmet.empty()) {
    AppendConditions(report.unmet, &out);
    out.push_back(']');
  }
  if (!report.degraded.empty()) {
    out.append(",\"degraded\":[");
    AppendConditions(report.degraded, &out);
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

Response Route(const Handlers& handlers, std::string_view method, std::string_view target, std::string_view body) {
  return Route(handlers, RequestContext{}, method, target, body);
}

Response Route(const Handlers& handlers, const RequestContext& context, std::string_view method,
               std::string_view target, std::string_view body) {
  const size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  // The handlers are the app's; a failure there must not take the listener
  // down (bad_alloc, a bug): answer 500 and log the endpoint only.
  try {
    return Dispatch(handlers, context, method, path, query, body);
  } catch (const std::exception&) {
    log::Error("admin_handler_failed", {{"path", std::string(path)}});
  } catch (...) {
    log::Error("admin_handler_failed", {{"path", std::string(path)}});
  }
  return ErrorJson(500, "internal", "the handler failed");
}

}  // namespace maskproxy::admin
