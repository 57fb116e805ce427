#include "net/http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <strings.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace maskproxy::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Url {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string target;  // path and query, "/" at least
};

// scheme://host[:port][/path...]; host a name, an IPv4 address or [IPv6].
Result<Url> ParseUrl(const std::string& url) {
  Url u;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    u.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return Error(ErrorCode::kInvalidArgument, "URL must start with http:// or https://");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return Error(ErrorCode::kInvalidArgument, "URL must not carry user information");
  std::string_view port;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error(ErrorCode::kInvalidArgument, "URL has an unclosed [IPv6] host");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Error(ErrorCode::kInvalidArgument, "URL has text after its [IPv6] host");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return Error(ErrorCode::kInvalidArgument, "URL has no host");
  if (port.empty()) {
    u.port = u.tls ? "443" : "80";
  } else {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535)
      return Error(ErrorCode::kInvalidArgument, "URL has an invalid port");
    u.port = std::string(port);
  }
  return u;
}

std::string Where(const Url& u) {
  return (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) + ":" + u.port;
}

bool IsTimeout(const beast::error_code& ec) {
  return ec == beast::error::timeout;
}

}  // namespace

struct HttpClient::Impl {
  ClientOptions options;
  std::optional<asio::ssl::context> ssl;  // set up once; used read-only by every Send
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const ClientOptions& options) {
  if (options.timeout_ms <= 0) return Error(ErrorCode::kInvalidArgument, "timeout_ms must be positive");
  if (options.cert_file.empty() != options.key_file.empty())
    return Error(ErrorCode::kInvalidArgument, "a client certificate needs both cert_file and key_file");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->ssl.emplace(asio::ssl::context::tls_client);
  asio::ssl::context& ctx = *impl->ssl;
  beast::error_code ec;
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                  ec);
  ctx.set_verify_mode(asio::ssl::verify_peer, ec);
  if (options.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
  } else {
    ctx.load_verify_file(options.ca_file, ec);
  }
  if (ec) return Error(ErrorCode::kHttpTlsFailed, "cannot load the CA file '" + options.ca_file + "'");
  if (!options.cert_file.empty()) {
    if (ctx.use_certificate_chain_file(options.cert_file, ec); ec)
      return Error(ErrorCode::kHttpTlsFailed, "cannot load the client certificate '" + options.cert_file + "'");
    if (ctx.use_private_key_file(options.key_file, asio::ssl::context::pem, ec); ec)
      return Error(ErrorCode::kHttpTlsFailed, "cannot load the client key '" + options.key_file +
                                                  "' (unreadable, or it does not match the certificate)");
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
      return Error(ErrorCode::kHttpTlsFailed,
                   "the client key '" + options.key_file + "' does not match its certificate");
  }
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Result<Response> HttpClient::Send(const Request& request) const {
  auto url = ParseUrl(request.url);
  if (!url.ok()) return url.error();
  const std::string where = Where(*url);
  const auto deadline = std::chrono::milliseconds(impl_->options.timeout_ms);

  http::request<http::string_body> req;
  if (http::verb v = http::string_to_verb(request.method); v != http::verb::unknown) {
    req.method(v);
  } else {
    return Error(ErrorCode::kInvalidArgument, "unknown HTTP method");
  }
  req.target(url->target);
  req.version(11);
  req.set(http::field::host, where);
  req.set(http::field::user_agent, "maskproxy");
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.body() = request.body;
  req.prepare_payload();

  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream plain_stream(ioc);
  beast::ssl_stream<beast::tcp_stream> tls_stream(ioc, *impl_->ssl);
  beast::tcp_stream& tcp_stream = url->tls ? beast::get_lowest_layer(tls_stream) : plain_stream;

  beast::error_code ec;
  enum class Stage { kResolve, kConnect, kHandshake, kWrite, kRead, kDone } stage = Stage::kResolve;
  http::response_parser<http::string_body> parser;
  parser.body_limit(impl_->options.max_response_bytes);
  parser.header_limit(64 * 1024);
  beast::flat_buffer buffer;

  // One chain of async steps, each bounded by the stream's expiry; the whole
  // exchange also by run_for.
  auto fail = [&](Stage at, beast::error_code e) {
    stage = at;
    ec = e;
  };
  // The head first: Boost 1.74's parser does not apply body_limit to a
  // Content-Length it has read, so that check is made here before the body.
  auto read = [&] {
    auto on_read = [&](beast::error_code e, size_t) {
      if (e) return fail(Stage::kRead, e);
      stage = Stage::kDone;
    };
    auto on_head = [&, on_read](beast::error_code e, size_t) {
      if (e) return fail(Stage::kRead, e);
      if (parser.content_length() && *parser.content_length() > impl_->options.max_response_bytes)
        return fail(Stage::kRead, http::error::body_limit);
      if (url->tls) {
        http::async_read(tls_stream, buffer, parser, on_read);
      } else {
        http::async_read(tcp_stream, buffer, parser, on_read);
      }
    };
    if (url->tls) {
      http::async_read_header(tls_stream, buffer, parser, on_head);
    } else {
      http::async_read_header(tcp_stream, buffer, parser, on_head);
    }
  };
  auto write = [&] {
    stage = Stage::kWrite;
    auto on_write = [&](beast::error_code e, size_t) {
      if (e) return fail(Stage::kWrite, e);
      stage = Stage::kRead;
      read();
    };
    if (url->tls) {
      http::async_write(tls_stream, req, on_write);
    } else {
      http::async_write(tcp_stream, req, on_write);
    }
  };
  resolver.async_resolve(url->host, url->port, [&](beast::error_code e, const tcp::resolver::results_type& results) {
    if (e) return fail(Stage::kResolve, e);
    stage = Stage::kConnect;
    tcp_stream.expires_after(deadline);
    tcp_stream.async_connect(results, [&](beast::error_code e2, const tcp::endpoint&) {
      if (e2) return fail(Stage::kConnect, e2);
      if (!url->tls) return write();
      stage = Stage::kHandshake;
      SSL* ssl = tls_stream.native_handle();
      beast::error_code addr_ec;
      asio::ip::make_address(url->host, addr_ec);
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      bool pinned = addr_ec ? X509_VERIFY_PARAM_set1_host(param, url->host.c_str(), url->host.size()) == 1
                            : X509_VERIFY_PARAM_set1_ip_asc(param, url->host.c_str()) == 1;
      if (!pinned) return fail(Stage::kHandshake, asio::error::invalid_argument);
      if (addr_ec) SSL_set_tlsext_host_name(ssl, url->host.c_str());
      tls_stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e3) {
        if (e3) return fail(Stage::kHandshake, e3);
        write();
      });
    });
  });
  ioc.run_for(deadline + std::chrono::milliseconds(100));

  if (stage != Stage::kDone) {
    const bool timed_out = !ec || IsTimeout(ec);
    switch (stage) {
      case Stage::kResolve:
        return Error(ErrorCode::kHttpUnreachable, "cannot resolve " + where + (timed_out ? " (timed out)" : ""));
      case Stage::kConnect:
        return Error(ErrorCode::kHttpUnreachable,
                     "cannot connect to " + where + (timed_out ? " (timed out)" : ": " + ec.message()));
      case Stage::kHandshake:
        if (timed_out) return Error(ErrorCode::kHttpUnreachable, "TLS handshake with " + where + " timed out");
        return Error(ErrorCode::kHttpTlsFailed, "TLS handshake with " + where + " failed: " + ec.message());
      case Stage::kWrite:
        return Error(ErrorCode::kHttpUnreachable,
                     "sending to " + where + " failed" + (timed_out ? " (timed out)" : ": " + ec.message()));
      case Stage::kRead:
        if (timed_out || ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
            ec == asio::error::eof)
          return Error(ErrorCode::kHttpUnreachable,
                       "no complete answer from " + where + (timed_out ? " (timed out)" : " (connection closed)"));
        if (ec.category() == asio::error::get_ssl_category())  // e.g. TLS 1.3: the client certificate refused
          return Error(ErrorCode::kHttpTlsFailed, "TLS with " + where + " failed: " + ec.message());
        if (ec == http::error::body_limit)
          return Error(ErrorCode::kHttpBadResponse, "the answer from " + where + " is larger than " +
                                                        std::to_string(impl_->options.max_response_bytes) + " bytes");
        return Error(ErrorCode::kHttpBadResponse, "the answer from " + where + " is not valid HTTP: " + ec.message());
      case Stage::kDone: break;
    }
  }
  // A TLS peer's close_notify is not waited for: the request said close.
  if (parser.get().body().size() > impl_->options.max_response_bytes)
    return Error(ErrorCode::kHttpBadResponse, "the answer from " + where + " is larger than " +
                                                  std::to_string(impl_->options.max_response_bytes) + " bytes");
  http::response<http::string_body> res = parser.release();
  Response out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(res.body());
  return out;
}

std::string Response::Header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  return "";
}

}  // namespace maskproxy::net
