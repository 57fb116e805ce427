// The HTTP client against real sockets on loopback: the admin listener as a
// well-behaved peer (plain and TLS with client certificates made at test
// time), and raw sockets for the misbehaving ones (silent, garbage,
// oversized). Each failure is the documented error code.
#include "net/http_client.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <string>
#include <thread>

#include "admin/server.h"
#include "support/test_certs.h"

namespace maskproxy::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::unique_ptr<admin::Server> StartAdmin(admin::Handlers h, admin::TlsOptions tls = {}) {
  admin::Options o;
  o.listen = "127.0.0.1:0";
  o.tls = std::move(tls);
  auto s = admin::Server::Create(o, std::move(h));
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

ClientOptions Opts(std::string ca = "", std::string cert = "", std::string key = "", int timeout_ms = 5000,
                   size_t max_response_bytes = 1 << 20) {
  ClientOptions o;
  o.ca_file = std::move(ca);
  o.cert_file = std::move(cert);
  o.key_file = std::move(key);
  o.timeout_ms = timeout_ms;
  o.max_response_bytes = max_response_bytes;
  return o;
}

std::unique_ptr<HttpClient> Client(const ClientOptions& o = {}) {
  auto c = HttpClient::Create(o);
  EXPECT_TRUE(c.ok()) << c.error().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

// A one-connection raw server: reads the request head, then writes `reply`
// (or nothing, holding the connection open until the test ends).
class RawServer {
 public:
  explicit RawServer(std::string reply, bool silent = false)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, reply = std::move(reply), silent] {
      boost::system::error_code ec;
      tcp::socket s(ioc_);
      acceptor_.accept(s, ec);
      if (ec) return;
      asio::streambuf head;
      asio::read_until(s, head, "\r\n\r\n", ec);
      if (!silent) asio::write(s, asio::buffer(reply), ec);
      char c;
      s.read_some(asio::buffer(&c, 1), ec);  // until the client closes
    });
  }
  ~RawServer() {
    acceptor_.close();
    thread_.join();
  }
  [[nodiscard]] std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/x";
  }

 private:
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

TEST(HttpClient, GetAndPostAgainstTheAdminListener) {
  admin::Handlers h;
  h.reload = [] { return admin::ReloadReply{409, "{\"result\":\"unchanged\"}"}; };
  auto server = StartAdmin(h);
  ASSERT_TRUE(server);
  auto c = Client();
  ASSERT_TRUE(c);
  const std::string base = "http://" + server->address();
  auto live = c->Send({.method = "GET", .url = base + "/livez", .headers = {}, .body = ""});
  ASSERT_TRUE(live.ok()) << live.error().ToString();
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(live->body, "{\"status\":\"ok\"}\n");
  EXPECT_EQ(live->Header("CONTENT-TYPE"), "application/json");
  auto reload = c->Send({.method = "POST", .url = base + "/reload", .headers = {}, .body = "{}"});
  ASSERT_TRUE(reload.ok());
  EXPECT_EQ(reload->status, 409);  // an HTTP error status is an answer, not an error
  EXPECT_EQ(reload->body, "{\"result\":\"unchanged\"}\n");
  auto missing = c->Send({.method = "GET", .url = base + "/nope", .headers = {}, .body = ""});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST(HttpClient, BadUrlsAreRefusedBeforeAnyConnection) {
  auto c = Client();
  ASSERT_TRUE(c);
  for (const char* url : {"127.0.0.1:80/x", "ftp://h/x", "http://:80/x", "http://h:0/x", "http://h:99999/x",
                          "http://h:8x/x", "http://[::1/x", "http://user@h/x"}) {
    auto r = c->Send({.method = "GET", .url = url, .headers = {}, .body = ""});
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << url;
  }
  auto r = c->Send({.method = "BREW", .url = "http://127.0.0.1:1/", .headers = {}, .body = ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(HttpClient, NobodyListeningIsUnreachable) {
  uint16_t port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }  // closed again: nobody listens there now
  auto c = Client();
  ASSERT_TRUE(c);
  auto r =
      c->Send({.method = "GET", .url = "http://127.0.0.1:" + std::to_string(port) + "/", .headers = {}, .body = ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kHttpUnreachable);
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.error().message;
}

TEST(HttpClient, APeerThatNeverAnswersTimesOut) {
  RawServer silent("", /*silent=*/true);
  auto c = Client(Opts("", "", "", 300, 1024));
  ASSERT_TRUE(c);
  auto r = c->Send({.method = "GET", .url = silent.Url(), .headers = {}, .body = ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kHttpUnreachable);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
}

TEST(HttpClient, GarbageAndOversizedAnswersAreBadResponses) {
  {
    RawServer garbage("SSH-2.0-OpenSSH_9.2\r\n\r\n");
    auto c = Client();
    auto r = c->Send({.method = "GET", .url = garbage.Url(), .headers = {}, .body = ""});
    ASSERT_FALSE(r.ok()) << r->status << " " << r->body;
    EXPECT_EQ(r.error().code, ErrorCode::kHttpBadResponse);
  }
  {
    RawServer big("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a'));
    auto c = Client(Opts("", "", "", 5000, 1000));
    auto r = c->Send({.method = "GET", .url = big.Url(), .headers = {}, .body = ""});
    ASSERT_FALSE(r.ok()) << r->status << " " << r->body.size();
    EXPECT_EQ(r.error().code, ErrorCode::kHttpBadResponse);
    EXPECT_NE(r.error().message.find("larger than 1000 bytes"), std::string::npos) << r.error().message;
  }
  {
    RawServer chunked("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n" + std::string(5000, 'a') +
                      "\r\n0\r\n\r\n");
    auto c = Client(Opts("", "", "", 5000, 1000));
    auto r = c->Send({.method = "GET", .url = chunked.Url(), .headers = {}, .body = ""});
    ASSERT_FALSE(r.ok()) << r->status << " " << r->body.size();
    EXPECT_EQ(r.error().code, ErrorCode::kHttpBadResponse);
  }
}

class HttpClientTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = test_certs::Make("http-client-tls");
    ASSERT_TRUE(certs_->ok) << "openssl failed: " << certs_->error;
  }
  static void TearDownTestSuite() { certs_.reset(); }
  static std::string F(const std::string& name) { return certs_->F(name); }
  static std::unique_ptr<test_certs::Dir> certs_;
};
std::unique_ptr<test_certs::Dir> HttpClientTls::certs_;

TEST_F(HttpClientTls, ClientCertificateFromTheCaIsServed) {
  auto server = StartAdmin({}, {F("server.crt"), F("server.key"), F("ca.crt")});
  ASSERT_TRUE(server);
  auto c = Client(Opts(F("ca.crt"), F("client.crt"), F("client.key")));
  ASSERT_TRUE(c);
  auto r = c->Send({.method = "GET", .url = "https://" + server->address() + "/livez", .headers = {}, .body = ""});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
}

// The admin listener asks for a client certificate: one from another CA
// fails the handshake; without one the client completes it and gets the
// probes, and 401 where a certificate is needed.
TEST_F(HttpClientTls, ACertificateTheServerDoesNotAcceptFailsTheHandshake) {
  auto server = StartAdmin({}, {F("server.crt"), F("server.key"), F("ca.crt")});
  ASSERT_TRUE(server);
  const std::string base = "https://" + server->address();
  auto stranger = Client({.ca_file = F("ca.crt"), .cert_file = F("stranger.crt"), .key_file = F("client.key")});
  ASSERT_TRUE(stranger);
  auto r = stranger->Send({.method = "GET", .url = base + "/livez", .headers = {}, .body = ""});
  ASSERT_FALSE(r.ok());
  // TLS 1.3: the server's refusal may arrive after the client's handshake.
  EXPECT_TRUE(r.error().code == ErrorCode::kHttpTlsFailed || r.error().code == ErrorCode::kHttpUnreachable)
      << r.error().ToString();
  auto none = Client({.ca_file = F("ca.crt"), .cert_file = "", .key_file = ""});
  ASSERT_TRUE(none);
  r = none->Send({.method = "GET", .url = base + "/livez", .headers = {}, .body = ""});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
  r = none->Send({.method = "GET", .url = base + "/config_dump", .headers = {}, .body = ""});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 401);
}

TEST_F(HttpClientTls, TheServerMustBeTrustedAndNamed) {
  auto server = StartAdmin({}, {F("server.crt"), F("server.key"), ""});
  ASSERT_TRUE(server);
  // Another CA: the server is not trusted.
  auto other = Client(Opts(F("other-ca.crt")));
  auto r = other->Send({.method = "GET", .url = "https://" + server->address() + "/livez", .headers = {}, .body = ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kHttpTlsFailed);
  // The right CA but another name: the certificate names only IP 127.0.0.1.
  auto c = Client(Opts(F("ca.crt")));
  r = c->Send({.method = "GET",
               .url = "https://localhost:" + std::to_string(server->port()) + "/livez",
               .headers = {},
               .body = ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kHttpTlsFailed) << r.error().ToString();
  // Plain HTTP to a TLS listener: 403 tls_required.
  r = c->Send({.method = "GET", .url = "http://" + server->address() + "/livez", .headers = {}, .body = ""});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("tls_required"), std::string::npos) << r->body;
}

TEST_F(HttpClientTls, UnusableClientFilesAreRefusedAtCreate) {
  auto missing = HttpClient::Create(Opts(F("nope.crt")));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kHttpTlsFailed);
  auto mismatch = HttpClient::Create(Opts(F("ca.crt"), F("client.crt"), F("server.key")));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, ErrorCode::kHttpTlsFailed);
  EXPECT_NE(mismatch.error().message.find("does not match"), std::string::npos);
  auto half = HttpClient::Create(Opts("", F("client.crt"), ""));
  ASSERT_FALSE(half.ok());
}

}  // namespace
}  // namespace maskproxy::net
