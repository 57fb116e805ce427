// The admin endpoints without a socket: routing, methods, 404/405/501,
// readiness JSON, the log level endpoint.
#include "admin/router.h"

#include <gtest/gtest.h>

#include "common/log.h"
#include "common/metrics.h"

namespace maskproxy::admin {
namespace {

Handlers Full() {
  Handlers h;
  h.metrics = [] { return std::string("# TYPE maskproxy_x_total counter\nmaskproxy_x_total 1\n"); };
  h.ready = [] { return ReadyReport{}; };
  h.config_dump = [] { return std::string("{\"config\":{}}"); };
  h.reload = [] { return ReloadReply{200, "{\"changed\":[]}"}; };
  return h;
}

TEST(AdminRouter, LivezIsOk) {
  Response r = Route(Handlers{}, "GET", "/livez", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"status\":\"ok\"}\n");
  EXPECT_EQ(r.content_type, "application/json");
}

TEST(AdminRouter, EveryEndpointAnswersWithItsHandler) {
  Handlers h = Full();
  Response m = Route(h, "GET", "/metrics", "");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, kMetricsContentType);
  EXPECT_NE(m.body.find("maskproxy_x_total 1"), std::string::npos);
  EXPECT_EQ(Route(h, "GET", "/readyz", "").body, "{\"status\":\"ready\"}\n");
  EXPECT_EQ(Route(h, "GET", "/config_dump", "").body, "{\"config\":{}}\n");
  Response rl = Route(h, "POST", "/reload", "");
  EXPECT_EQ(rl.status, 200);
  EXPECT_EQ(rl.body, "{\"changed\":[]}\n");
}

// admin.operators: only the listed certificate subjects may read the config
// dump or the loaded policies' texts, reload or change the log level; the
// other endpoints (the playground's dry run included) stay open to every
// client the listener accepts.
TEST(AdminRouter, OperatorEndpointsAreForTheListedSubjectsOnly) {
  Handlers h = Full();
  h.evaluate = [](std::string_view, bool) { return EvaluateReply{200, "{}"}; };
  h.loaded_policies = [] { return std::string("{\"policies\":[]}"); };
  h.operators = {"CN=ops,O=Example"};
  const RequestContext ops{true, true, "CN=ops,O=Example", "127.0.0.1"};
  const RequestContext analyst{true, true, "CN=kim,OU=fraud,O=Example", "127.0.0.1"};
  const RequestContext unverified{true, false, "", "127.0.0.1"};
  const log::Level before = log::GetLevel();
  for (const RequestContext* who : {&analyst, &unverified}) {
    for (const auto& [method, target] :
         std::vector<std::pair<const char*, const char*>>{{"GET", "/config_dump"},
                                                          {"POST", "/reload"},
                                                          {"POST", "/loglevel?level=debug"},
                                                          {"GET", "/v1/policy/loaded"}}) {
      Response r = Route(h, *who, method, target, "");
      EXPECT_EQ(r.status, 403) << method << " " << target << " " << who->subject;
      EXPECT_NE(r.body.find("admin.operators"), std::string::npos) << r.body;
    }
    EXPECT_EQ(Route(h, *who, "GET", "/metrics", "").status, 200);
    EXPECT_EQ(Route(h, *who, "GET", "/loglevel", "").status, 200);
  }
  EXPECT_EQ(Route(h, analyst, "POST", "/v1/policy/evaluate", "{}").status, 200);
  EXPECT_EQ(log::GetLevel(), before) << "a refused POST /loglevel changed the level";
  // The dry run is open to every client, but told whether this one is an
  // operator (a "policy_file" request reads a loaded policy's text).
  std::vector<bool> operator_client;
  h.evaluate = [&operator_client](std::string_view, bool is_operator) {
    operator_client.push_back(is_operator);
    return EvaluateReply{200, "{}"};
  };
  EXPECT_EQ(Route(h, analyst, "POST", "/v1/policy/evaluate", "{}").status, 200);
  EXPECT_EQ(Route(h, ops, "POST", "/v1/policy/evaluate", "{}").status, 200);
  EXPECT_EQ(operator_client, (std::vector<bool>{false, true}));
  EXPECT_EQ(Route(h, ops, "GET", "/config_dump", "").status, 200);
  EXPECT_EQ(Route(h, ops, "POST", "/reload", "").status, 200);
  EXPECT_EQ(Route(h, ops, "GET", "/v1/policy/loaded", "").status, 200);
  // Without a list: every client, as before.
  h.operators.clear();
  EXPECT_EQ(Route(h, analyst, "POST", "/reload", "").status, 200);
  EXPECT_EQ(Route(h, analyst, "GET", "/v1/policy/loaded", "").status, 200);
  EXPECT_EQ(Route(h, analyst, "POST", "/v1/policy/evaluate", "{}").status, 200);
  EXPECT_EQ(operator_client.back(), true);
}

// On a listener that asks for client certificates, a client without a
// verified one (a kubelet probe, Prometheus) gets the probes and /metrics;
// the reveal handler answers for itself; everything else is 401.
TEST(AdminRouter, WithoutAVerifiedCertificateOnlyProbesMetricsAndRevealAnswer) {
  Handlers h = Full();
  bool reveal_called = false;
  h.reveal = [&](const RequestContext&, std::string_view) {
    reveal_called = true;
    return RevealReply{401, "{}", 0};
  };
  h.evaluate = [](std::string_view, bool) { return EvaluateReply{200, "{}"}; };
  h.loaded_policies = [] { return std::string("{}"); };
  static const Asset page{"text/html", "<html></html>"};
  h.playground_asset = [](std::string_view) { return &page; };
  RequestContext probe{true, false, "", "10.0.0.9"};
  probe.client_certificates = true;
  for (const char* path : {"/livez", "/readyz", "/metrics"}) EXPECT_EQ(Route(h, probe, "GET", path, "").status, 200);
  EXPECT_EQ(Route(h, probe, "POST", "/v1/reveal", "{}").status, 401);
  EXPECT_TRUE(reveal_called);
  const log::Level before = log::GetLevel();
  for (const auto& [method, target] :
       std::vector<std::pair<const char*, const char*>>{{"GET", "/config_dump"},
                                                        {"POST", "/reload"},
                                                        {"GET", "/loglevel"},
                                                        {"POST", "/loglevel?level=debug"},
                                                        {"GET", "/playground"},
                                                        {"POST", "/v1/policy/evaluate"},
                                                        {"GET", "/v1/policy/loaded"}}) {
    Response r = Route(h, probe, method, target, "");
    EXPECT_EQ(r.status, 401) << method << " " << target;
    EXPECT_NE(r.body.find("\"unauthenticated\""), std::string::npos) << r.body;
  }
  EXPECT_EQ(log::GetLevel(), before);
  // A wrong method is still 405 first.
  EXPECT_EQ(Route(h, probe, "GET", "/reload", "").status, 405);
  // Verified: served (no admin.operators); a listener without client
  // certificates serves everyone as before.
  RequestContext verified{true, true, "CN=ops,O=Example", "10.0.0.9"};
  verified.client_certificates = true;
  EXPECT_EQ(Route(h, verified, "GET", "/config_dump", "").status, 200);
  EXPECT_EQ(Route(h, verified, "GET", "/playground", "").status, 200);
  RequestContext plain_tls{true, false, "", "10.0.0.9"};
  EXPECT_EQ(Route(h, plain_tls, "GET", "/config_dump", "").status, 200);
}

TEST(AdminRouter, ReloadStatusComesFromTheHandler) {
  Handlers h;
  h.reload = [] { return ReloadReply{422, "{\"errors\":[\"p.yaml:3:5: bad\"]}"}; };
  Response r = Route(h, "POST", "/reload", "");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("p.yaml:3:5: bad"), std::string::npos);
}

TEST(AdminRouter, WrongMethodIs405WithAllow) {
  Handlers h = Full();
  struct Case {
    const char* method;
    const char* path;
    const char* allow;
  };
  for (const Case& c : {Case{"GET", "/reload", "POST"}, Case{"HEAD", "/reload", "POST"},
                        Case{"POST", "/livez", "GET, HEAD"}, Case{"POST", "/readyz", "GET, HEAD"},
                        Case{"DELETE", "/metrics", "GET, HEAD"}, Case{"PUT", "/config_dump", "GET, HEAD"},
                        Case{"PUT", "/loglevel", "GET, HEAD, POST"}, Case{"HEAD", "/v1/reveal", "POST"}}) {
    Response r = Route(h, c.method, c.path, "");
    EXPECT_EQ(r.status, 405) << c.method << " " << c.path;
    EXPECT_EQ(r.allow, c.allow) << c.method << " " << c.path;
  }
}

// HEAD is answered wherever GET is, as GET (RFC 9110 9.3.2; found by
// review: HEAD /livez and HEAD /metrics were 405). The server drops the body.
TEST(AdminRouter, HeadIsAnsweredLikeGet) {
  Handlers h = Full();
  h.loaded_policies = [] { return std::string("{\"policies\":[]}"); };
  static const Asset page{"text/html", "<html></html>"};
  h.playground_asset = [](std::string_view) { return &page; };
  for (const char* path :
       {"/livez", "/readyz", "/metrics", "/config_dump", "/loglevel", "/v1/policy/loaded", "/playground", "/nope"}) {
    Response get = Route(h, "GET", path, "");
    Response head = Route(h, "HEAD", path, "");
    EXPECT_EQ(head.status, get.status) << path;
    EXPECT_EQ(head.content_type, get.content_type) << path;
    EXPECT_EQ(head.body, get.body) << path;
    EXPECT_EQ(head.content_security_policy, get.content_security_policy) << path;
  }
  EXPECT_EQ(Route(h, "HEAD", "/livez", "").status, 200);
  // HEAD changes nothing: not a POST.
  const log::Level level = log::GetLevel();
  EXPECT_EQ(Route(h, "HEAD", "/loglevel?level=debug", "").status, 200);
  EXPECT_EQ(log::GetLevel(), level);
  // Operators only, as GET.
  h.operators = {"CN=ops"};
  const RequestContext analyst{true, true, "CN=kim", "127.0.0.1"};
  EXPECT_EQ(Route(h, analyst, "HEAD", "/config_dump", "").status, 403);
}

TEST(AdminRouter, UnknownPathIs404) {
  Response r = Route(Full(), "GET", "/admin/secret", "");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Route(Full(), "GET", "/", "").status, 404);
  EXPECT_EQ(Route(Full(), "GET", "/livez/", "").status, 404);
}

TEST(AdminRouter, EmptyHandlerIs501) {
  Handlers h;
  EXPECT_EQ(Route(h, "GET", "/metrics", "").status, 501);
  EXPECT_EQ(Route(h, "GET", "/readyz", "").status, 501);
  EXPECT_EQ(Route(h, "GET", "/config_dump", "").status, 501);
  EXPECT_EQ(Route(h, "POST", "/reload", "").status, 501);
  // The method is checked first: GET /reload stays 405.
  EXPECT_EQ(Route(h, "GET", "/reload", "").status, 405);
}

TEST(AdminRouter, QueryStringIsNotPartOfThePath) {
  EXPECT_EQ(Route(Handlers{}, "GET", "/livez?verbose=1", "").status, 200);
}

TEST(AdminRouter, ThrowingHandlerIs500) {
  Handlers h;
  h.config_dump = []() -> std::string { throw std::runtime_error("boom"); };
  Response r = Route(h, "GET", "/config_dump", "");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("boom"), std::string::npos);
}

TEST(AdminRouter, NotReadyIs503NamingEveryCondition) {
  Handlers h;
  h.ready = [] {
    ReadyReport rep;
    rep.unmet.push_back({"consumer_not_joined", {}, ""});
    rep.unmet.push_back({"output_topic_missing", {"analytics.a", "dlq\"x"}, ""});
    rep.unmet.push_back({"fenced", {}, "producer: PRODUCER_FENCED: fenced by a newer instance"});
    return rep;
  };
  Response r = Route(h, "GET", "/readyz", "");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body,
            "{\"status\":\"not_ready\",\"unmet\":[{\"condition\":\"consumer_not_joined\"},"
            "{\"condition\":\"output_topic_missing\",\"topics\":[\"analytics.a\",\"dlq\\\"x\"]},"
            "{\"condition\":\"fenced\",\"detail\":\"producer: PRODUCER_FENCED: fenced by a newer instance\"}]}\n");
}

class AdminLogLevel : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = log::GetLevel(); }
  void TearDown() override { log::SetLevel(saved_); }
  log::Level saved_ = log::Level::kInfo;
};

TEST_F(AdminLogLevel, GetShowsTheLevel) {
  log::SetLevel(log::Level::kWarn);
  Response r = Route(Handlers{}, "GET", "/loglevel", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"level\":\"warn\"}\n");
}

TEST_F(AdminLogLevel, PostByQueryChangesTheLevel) {
  log::SetLevel(log::Level::kInfo);
  Response r = Route(Handlers{}, "POST", "/loglevel?level=debug", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"level\":\"debug\",\"previous\":\"info\"}\n");
  EXPECT_EQ(log::GetLevel(), log::Level::kDebug);
  EXPECT_TRUE(log::Enabled(log::Level::kDebug));
}

TEST_F(AdminLogLevel, PostByJsonBodyChangesTheLevel) {
  log::SetLevel(log::Level::kInfo);
  Response r = Route(Handlers{}, "POST", "/loglevel", "{ \"level\" : \"error\" }");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(log::GetLevel(), log::Level::kError);
  EXPECT_FALSE(log::Enabled(log::Level::kWarn));
}

TEST_F(AdminLogLevel, BadLevelIs400AndKeepsTheLevel) {
  log::SetLevel(log::Level::kInfo);
  EXPECT_EQ(Route(Handlers{}, "POST", "/loglevel?level=verbose", "").status, 400);
  EXPECT_EQ(Route(Handlers{}, "POST", "/loglevel", "").status, 400);
  EXPECT_EQ(Route(Handlers{}, "POST", "/loglevel", "{\"lvl\":\"debug\"}").status, 400);
  // The level given twice in the query (an operate review: the first won).
  EXPECT_EQ(Route(Handlers{}, "POST", "/loglevel?level=debug&level=error", "").status, 400);
  EXPECT_EQ(Route(Handlers{}, "POST", "/loglevel?level=debug&level", "").status, 400);
  EXPECT_EQ(log::GetLevel(), log::Level::kInfo);
}

// Every change is logged, whatever the two levels (raising it to error used
// to be invisible: the line was written at warn after the change), once,
// and counted.
TEST_F(AdminLogLevel, EveryChangeIsLoggedOnceAndCounted) {
  const log::Level all[] = {log::Level::kDebug, log::Level::kInfo, log::Level::kWarn, log::Level::kError};
  (void)Route(Handlers{}, "POST", "/loglevel?level=info", "");  // the counter is declared by the router
  metrics::Counter* changes = metrics::Global().GetCounter("maskproxy_log_level_changes_total", "");
  for (log::Level from : all) {
    for (log::Level to : all) {
      if (from == to) continue;  // no change (AdminLogLevel.TheSameLevelIsNoChange)
      log::SetLevel(from);
      const uint64_t before = changes->Value();
      ::testing::internal::CaptureStderr();
      Response r = Route(Handlers{}, "POST", std::string("/loglevel?level=") + log::LevelName(to), "");
      const std::string err = ::testing::internal::GetCapturedStderr();
      EXPECT_EQ(r.status, 200);
      EXPECT_EQ(log::GetLevel(), to);
      const std::string line =
          std::string("log_level_changed from=") + log::LevelName(from) + " to=" + log::LevelName(to);
      const size_t at = err.find(line);
      EXPECT_NE(at, std::string::npos) << log::LevelName(from) << " -> " << log::LevelName(to) << ": " << err;
      EXPECT_EQ(err.find("log_level_changed", at + 1), std::string::npos) << "logged twice: " << err;
      EXPECT_EQ(changes->Value(), before + 1);
    }
  }
}

// The body is read as strict JSON: one object whose only member is "level",
// a string, escapes decoded. Found by review: a substring search accepted
// an unterminated object, text around the member, a nested member, two
// objects and unknown members, and refused "in\u0066o".
TEST_F(AdminLogLevel, TheBodyIsStrictJson) {
  for (const std::string body : {
           "{\"level\":\"debug\"",                       // unterminated
           "garbage \"level\":\"warn\" garbage",         // not JSON
           "{\"foo\":{\"level\":\"error\"}}",            // nested, unknown member
           "{\"level\":\"info\"}{\"level\":\"error\"}",  // two documents
           "{\"level\":\"debug\",\"extra\":1}",          // an unknown member
           "{\"level\":\"debug\",\"level\":\"error\"}",  // twice
           "{\"level\":[\"debug\"]}",                    // not a string
           "{\"level\":{}}",
           "{\"level\":null}",
           "[{\"level\":\"debug\"}]",  // not an object
           "\"debug\"",
           "{}",
       }) {
    log::SetLevel(log::Level::kWarn);
    Response r = Route(Handlers{}, "POST", "/loglevel", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_EQ(log::GetLevel(), log::Level::kWarn) << body;
  }
  // An unknown member is named as such, and not echoed.
  Response unknown = Route(Handlers{}, "POST", "/loglevel", "{\"level\":\"debug\",\"secret-ish\":1}");
  EXPECT_NE(unknown.body.find("unknown member"), std::string::npos) << unknown.body;
  EXPECT_EQ(unknown.body.find("secret-ish"), std::string::npos) << unknown.body;
  // Escapes are decoded: valid JSON for "info".
  log::SetLevel(log::Level::kWarn);
  Response escaped = Route(Handlers{}, "POST", "/loglevel", "{\"level\":\"in\\u0066o\"}");
  EXPECT_EQ(escaped.status, 200) << escaped.body;
  EXPECT_EQ(log::GetLevel(), log::Level::kInfo);
  Response spaced = Route(Handlers{}, "POST", "/loglevel", "\n { \"l\\u0065vel\" : \"debug\" } \n");
  EXPECT_EQ(spaced.status, 200) << spaced.body;
  EXPECT_EQ(log::GetLevel(), log::Level::kDebug);
}

// The query and a body together are refused (the query used to win
// silently); an empty or blank body beside the query is no body.
TEST_F(AdminLogLevel, QueryAndBodyTogetherAre400) {
  log::SetLevel(log::Level::kInfo);
  Response both = Route(Handlers{}, "POST", "/loglevel?level=debug", "{\"level\":\"error\"}");
  EXPECT_EQ(both.status, 400) << both.body;
  EXPECT_NE(both.body.find("not both"), std::string::npos) << both.body;
  EXPECT_EQ(log::GetLevel(), log::Level::kInfo);
  EXPECT_EQ(Route(Handlers{}, "POST", "/loglevel?level=debug", " \r\n").status, 200);
  EXPECT_EQ(log::GetLevel(), log::Level::kDebug);
}

// Setting the level it already is answers 200 but is no change: neither
// logged as log_level_changed nor counted.
TEST_F(AdminLogLevel, TheSameLevelIsNoChange) {
  (void)Route(Handlers{}, "GET", "/loglevel", "");
  RegisterRouterMetrics();
  metrics::Counter* changes = metrics::Global().GetCounter("maskproxy_log_level_changes_total", "");
  for (log::Level level : {log::Level::kDebug, log::Level::kInfo, log::Level::kWarn, log::Level::kError}) {
    log::SetLevel(level);
    const uint64_t before = changes->Value();
    ::testing::internal::CaptureStderr();
    Response r = Route(Handlers{}, "POST", std::string("/loglevel?level=") + log::LevelName(level), "");
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, std::string("{\"level\":\"") + log::LevelName(level) + "\",\"previous\":\"" +
                          log::LevelName(level) + "\"}\n");
    EXPECT_EQ(log::GetLevel(), level);
    EXPECT_EQ(err.find("log_level_changed"), std::string::npos) << err;
    EXPECT_EQ(changes->Value(), before) << log::LevelName(level);
  }
}

// --- Host and Origin (DNS rebinding, cross-site requests) ---

std::optional<Response> Check(std::vector<std::string_view> host, std::vector<std::string_view> origin = {},
                              const std::vector<std::string>& allowed = {}) {
  AddressHeaders h;
  h.host = std::move(host);
  h.origin = std::move(origin);
  return CheckAddress(h, allowed);
}

TEST(AdminAddress, IpLiteralsAndLocalhostAreAccepted) {
  for (std::string_view host : {"127.0.0.1", "127.0.0.1:9644", "10.1.2.3:9644", "[::1]", "[::1]:9644", "[fe80::1]:80",
                                "localhost", "LocalHost:9644", "0.0.0.0:1"})
    EXPECT_FALSE(Check({host})) << host;
}

TEST(AdminAddress, OtherNamesAre421UnlessAllowed) {
  for (std::string_view host : {"evil.example", "evil.example:9644", "127.0.0.1.nip.io:9644", "localhost.evil", "127.1",
                                "2130706433", "::1", "[::1", "[nope]:80", "127.0.0.1:x", "127.0.0.1:99999",
                                "127.0.0.1:", ":9644", "127.0.0.1/x", "maskproxy-0.maskproxy"}) {
    auto r = Check({host});
    ASSERT_TRUE(r) << host;
    EXPECT_EQ(r->status, 421) << host;
    EXPECT_NE(r->body.find("\"error\":\"misdirected_request\""), std::string::npos);
    EXPECT_NE(r->body.find("admin.allowed_hosts"), std::string::npos) << r->body;
  }
  // The message never echoes the header.
  EXPECT_EQ(Check({"evil.example"})->body.find("evil"), std::string::npos);
  const std::vector<std::string> allowed = {"maskproxy-0.maskproxy", "ops.example.com"};
  EXPECT_FALSE(Check({"maskproxy-0.maskproxy:9644"}, {}, allowed));
  EXPECT_FALSE(Check({"OPS.Example.com"}, {}, allowed));
  EXPECT_TRUE(Check({"ops.example.com.evil"}, {}, allowed));
}

// Found by review: an HTTP/1.0 request without Host passed the check (and
// was served /config_dump), and a 400 for two Hosts kept the connection.
// Every version needs exactly one Host; the 400 closes the connection.
TEST(AdminAddress, HostMissingOrRepeatedIs400AndCloses) {
  for (const auto& hosts : {std::vector<std::string_view>{}, std::vector<std::string_view>{"127.0.0.1", "evil.example"},
                            std::vector<std::string_view>{"127.0.0.1", "127.0.0.1"}}) {
    auto r = Check(hosts);
    ASSERT_TRUE(r) << hosts.size();
    EXPECT_EQ(r->status, 400);
    EXPECT_TRUE(r->close) << hosts.size();
  }
  // Other refusals are answers on a connection that may go on.
  EXPECT_FALSE(Check({"evil.example"})->close);
}

TEST(AdminAddress, OriginMustBeTheHostsOwn) {
  // Same origin: the playground's page POSTing to /v1/policy/evaluate.
  EXPECT_FALSE(Check({"127.0.0.1:9644"}, {"http://127.0.0.1:9644"}));
  EXPECT_FALSE(Check({"localhost:9644"}, {"http://LOCALHOST:9644"}));
  EXPECT_FALSE(Check({"[::1]:9644"}, {"http://[::1]:9644"}));
  EXPECT_FALSE(Check({"127.0.0.1"}, {"http://127.0.0.1"}));
  EXPECT_FALSE(Check({"127.0.0.1:80"}, {"http://127.0.0.1"}));
  EXPECT_FALSE(Check({"127.0.0.1"}, {"https://127.0.0.1:443"}));
  EXPECT_FALSE(Check({"ops.example.com:9644"}, {"https://ops.example.com:9644"}, {"ops.example.com"}));
  for (std::string_view origin :
       {"http://evil.example", "http://evil.example:9644", "http://127.0.0.1:9645", "http://127.0.0.1",
        "https://127.0.0.1", "http://localhost:9644", "null", "file://", "chrome-extension://abc",
        "http://127.0.0.1:9644/", "127.0.0.1:9644", "", "http://127.0.0.1:9644@evil.example"}) {
    auto r = Check({"127.0.0.1:9644"}, {origin});
    ASSERT_TRUE(r) << origin;
    EXPECT_EQ(r->status, 403) << origin;
    EXPECT_NE(r->body.find("\"error\":\"cross_origin\""), std::string::npos);
  }
  EXPECT_EQ(Check({"127.0.0.1:9644"}, {"http://127.0.0.1:9644", "http://evil.example"})->status, 403);
  EXPECT_EQ(Check({}, {"http://127.0.0.1:9644"})->status, 400);
  // A refused Host is refused first.
  EXPECT_EQ(Check({"evil.example:9644"}, {"http://evil.example:9644"})->status, 421);
}

TEST(AdminReveal, TheHandlerGetsTheRequestContextAndItsReplyIsPassedOn) {
  Handlers h;
  RequestContext seen;
  std::string seen_body;
  h.reveal = [&](const RequestContext& ctx, std::string_view body) {
    seen = ctx;
    seen_body = std::string(body);
    return RevealReply{429, "{\"error\":\"reveal_rate_limited\"}", 7};
  };
  RequestContext ctx{true, true, "CN=kim,O=Example", "127.0.0.1"};
  Response r = Route(h, ctx, "POST", "/v1/reveal", "{}");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.retry_after_s, 7);
  EXPECT_EQ(r.body, "{\"error\":\"reveal_rate_limited\"}\n");
  EXPECT_TRUE(seen.tls);
  EXPECT_TRUE(seen.client_verified);
  EXPECT_EQ(seen.subject, "CN=kim,O=Example");
  EXPECT_EQ(seen.peer_address, "127.0.0.1");
  EXPECT_EQ(seen_body, "{}");
  // The plain-HTTP overload hands over an unauthenticated context.
  (void)Route(h, "POST", "/v1/reveal", "{}");
  EXPECT_FALSE(seen.tls);
  EXPECT_FALSE(seen.client_verified);
  EXPECT_TRUE(seen.subject.empty());
}

TEST(AdminReveal, PostOnlyAnd501WithoutAHandler) {
  EXPECT_EQ(Route(Handlers{}, "POST", "/v1/reveal", "{}").status, 501);
  Handlers h;
  h.reveal = [](const RequestContext&, std::string_view) { return RevealReply{200, "{}", 0}; };
  Response r = Route(h, "GET", "/v1/reveal", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "POST");
  EXPECT_EQ(Route(h, "POST", "/v1/reveal", "{}").retry_after_s, 0);
}

}  // namespace
}  // namespace maskproxy::admin
