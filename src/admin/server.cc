#include "admin/server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "admin/client_ca.h"
#include "common/log.h"
#include "common/metrics.h"

namespace maskproxy::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Result<ListenAddress> ParseListen(const std::string& listen) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kConfigInvalid, "admin listen address '" + listen + "': " + why);
  };
  std::string host, port;
  if (!listen.empty() && listen[0] == '[') {
    size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      return bad("expected [IPv6]:PORT");
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return bad("expected HOST:PORT");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string::npos) return bad("write an IPv6 address as [ADDRESS]:PORT");
  }
  if (host.empty()) return bad("the host is missing (write 0.0.0.0 to listen on every address)");
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return bad("the port must be a number 0-65535");
  unsigned long p = std::stoul(port);
  if (p > 65535) return bad("the port must be a number 0-65535");
  if (host != "localhost") {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    if (ec) return bad("the host must be an IP address or localhost");
  }
  return ListenAddress{host, static_cast<uint16_t>(p)};
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto a = asio::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

namespace {

using Clock = std::chrono::steady_clock;

// What the listener knows of an open connection, to choose the one to close
// when the connection limit is reached. Touched on the listener's one thread
// (and by the destructors once it has stopped), under Shared::mu.
class Conn {
 public:
  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  virtual ~Conn() = default;
  // Closes the connection (on its own strand); its handlers end.
  virtual void Evict() = 0;

  Clock::time_point idle_since = Clock::now();  // the accept, or the end of the last response
  Clock::time_point writing_since{};            // the start of the response being written
  bool writing = false;    // a response is being written: evicted only once it has stalled (kStalledWrite)
  bool answering = false;  // its request is being answered on the slow pool: evicted after the idle ones
  bool evicted = false;    // Evict() called; no longer counted
};

// A response still being written after this long waits on a client that
// does not read it: at the connection limit such a connection is closed
// before any idle one, so that slow readers cannot hold every slot.
constexpr std::chrono::milliseconds kStalledWrite{1000};

// Shared by the server and its connections: connections may outlive a
// Server that is being torn down by a few handler invocations.
struct Shared {
  Handlers handlers;
  std::vector<std::string> allowed_hosts;
  size_t max_body_bytes = 0;
  std::vector<std::pair<std::string, size_t>> path_body_limits;
  size_t largest_body_bytes = 0;  // of all the limits: the one while the headers are read
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds timeout{10000};
  int max_requests = 100;            // per connection
  bool client_certificates = false;  // TLS asking for client certificates (client_ca_file)
  std::mutex mu;
  std::vector<Conn*> open;  // every connection not yet destroyed
  // Where the requests that may wait are answered (SlowPath): not on the
  // listener's thread, which answers /livez and /readyz meanwhile (found
  // by review: ten POST /reload, each waiting 2 s for a file open for
  // writing, held /livez for 20 s, and kubelet would restart the pod).
  asio::thread_pool* slow = nullptr;
};

// The requests whose handlers may wait or work for long: a reload (it waits
// up to 2 s for a file open for writing, then compiles the policies), a
// reveal (it writes the trail, fsynced), the playground's dry run (it
// compiles a policy).
bool SlowPath(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return path == "/reload" || path == "/v1/reveal" || path == "/v1/policy/evaluate";
}

// One log line a second at most for an event that a flood repeats, with the
// number of lines left out since the previous one.
class LogThrottle {
 public:
  // True when a line may be written now; *suppressed: lines left out before.
  bool Allow(Clock::time_point now, uint64_t* suppressed) {
    if (logged_ && now - last_ < std::chrono::seconds(1)) {
      ++suppressed_;
      return false;
    }
    *suppressed = suppressed_;
    suppressed_ = 0;
    last_ = now;
    logged_ = true;
    return true;
  }

 private:
  bool logged_ = false;
  Clock::time_point last_{};
  uint64_t suppressed_ = 0;
};

// TLS handshakes that did not complete (an unknown, an expired or a revoked
// client certificate; a bad protocol version; a client that gave up, timed
// out, or was closed at the connection limit mid-handshake): they carry no verified subject, so they are counted and
// logged, not written to the audit trail. (Registered when a TLS listener is created, so the series starts at 0 and
// rate() and increase() see the first failure.)
metrics::Counter* HandshakeFailures() {
  static metrics::Counter* c = metrics::Global().GetCounter(
      "maskproxy_admin_tls_handshake_failures_total",
      "TLS handshakes on the admin listener that did not complete (a refused certificate or protocol version, "
      "a client that gave up or timed out)");
  return c;
}

// Why a TLS handshake did not complete, for its log line.
std::string_view HandshakeEnd(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timed_out";         // the handshake deadline (handshake_timeout_ms)
  if (ec == asio::error::operation_aborted) return "evicted";  // closed at the connection limit
  if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated)
    return "abandoned";
  return "refused";  // a certificate or protocol version OpenSSL refused
}

void CountHandshakeFailure(const beast::error_code& ec, const std::string& peer) {
  HandshakeFailures()->Inc();
  log::Debug("admin_tls_handshake_failed",
             {{"peer", peer}, {"reason", std::string(HandshakeEnd(ec))}, {"error", ec.message()}});
}

// A client certificate refused for its revocation status (revoked, or its
// CA's CRL missing or past its nextUpdate) is said at warn, at most one line
// a second: an operator whose CRL lapsed sees why every certificate fails.
void LogRevocationRefusal(SSL* ssl, const std::string& peer) {
  if (!ssl) return;
  const long v = SSL_get_verify_result(ssl);
  if (v != X509_V_ERR_CERT_REVOKED && v != X509_V_ERR_CRL_HAS_EXPIRED && v != X509_V_ERR_UNABLE_TO_GET_CRL &&
      v != X509_V_ERR_CRL_NOT_YET_VALID && v != X509_V_ERR_CRL_SIGNATURE_FAILURE &&
      v != X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER)
    return;
  static std::mutex mu;
  static LogThrottle throttle;
  uint64_t suppressed = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!throttle.Allow(Clock::now(), &suppressed)) return;
  }
  log::Warn("admin_client_certificate_refused", {{"peer", peer},
                                                 {"reason", X509_verify_cert_error_string(v)},
                                                 {"similar_suppressed", std::to_string(suppressed)}});
}

// The RFC 2253 subject of the peer's certificate, if OpenSSL verified it.
std::string VerifiedSubject(SSL* ssl) {
  if (!ssl || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return "";
  std::string out;
  if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    if (n > 0 && data) out.assign(data, static_cast<size_t>(n));
  }
  BIO_free(bio);
  return out;
}

// `last`: the connection's last response (Connection: close).
http::response<http::string_body> MakeResponse(const http::request<http::string_body>& req, Response r, bool last) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
  res.set(http::field::server, "maskproxy-admin");
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  if (!r.content_security_policy.empty()) res.set("Content-Security-Policy", r.content_security_policy);
  if (!r.allow.empty()) res.set(http::field::allow, r.allow);
  if (r.retry_after_s > 0) res.set(http::field::retry_after, std::to_string(r.retry_after_s));
  res.keep_alive(req.keep_alive() && !last && !r.close);
  res.body() = std::move(r.body);
  res.prepare_payload();
  // HEAD: the GET answer's status and headers, its Content-Length included,
  // without the body (RFC 9110 9.3.2).
  if (req.method() == http::verb::head) {
    const size_t length = res.body().size();
    res.body().clear();
    res.content_length(length);
  }
  return res;
}

// A Transfer-Encoding other than "chunked" alone (RFC 9112 6.1): Beast
// 1.74 takes "gzip, chunked" as chunked and hands the body over still
// gzipped, as if it were plain text. No other coding is implemented here.
bool OtherTransferCoding(const http::request_parser<http::string_body>& parser) {
  const auto& fields = parser.get();
  int count = 0;
  bool chunked = false;
  for (auto [it, end] = fields.equal_range(http::field::transfer_encoding); it != end; ++it) {
    ++count;
    std::string_view v(it->value().data(), it->value().size());
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    chunked = beast::iequals(beast::string_view(v.data(), v.size()), "chunked");
  }
  return count > 1 || (count == 1 && !chunked);
}

http::response<http::string_body> ErrorResponse(http::status status, std::string_view code, std::string_view msg) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::server, "maskproxy-admin");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() = "{\"error\":\"" + std::string(code) + "\",\"message\":\"" + std::string(msg) + "\"}\n";
  res.prepare_payload();
  return res;
}

// A request Beast's parser refused as malformed (a bad request line, header,
// Content-Length or Transfer-Encoding, chunk), as opposed to one cut short,
// timed out or over a limit.
bool IsMalformed(const beast::error_code& ec) {
  if (ec.category() != http::make_error_code(http::error::bad_method).category()) return false;
  switch (static_cast<http::error>(ec.value())) {
    case http::error::bad_line_ending:
    case http::error::bad_method:
    case http::error::bad_target:
    case http::error::bad_version:
    case http::error::bad_field:
    case http::error::bad_value:
    case http::error::bad_content_length:
    case http::error::bad_transfer_encoding:
    case http::error::bad_chunk:
    case http::error::bad_chunk_extension:
    case http::error::bad_obs_fold: return true;
    default: return false;
  }
}

// One connection. Stream is beast::tcp_stream or beast::ssl_stream of it.
template <class Stream>
class Session final : public Conn, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, std::shared_ptr<Shared> shared)
      : stream_(std::move(stream)),
        shared_(std::move(shared)),
        first_deadline_(Clock::now() + shared_->handshake_timeout),
        write_left_(shared_->timeout) {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->open.push_back(this);
  }
  ~Session() override {
    std::lock_guard<std::mutex> lock(shared_->mu);
    std::erase(shared_->open, static_cast<Conn*>(this));
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Evict() override {
    asio::post(stream_.get_executor(),
               [self = this->shared_from_this()] { beast::get_lowest_layer(self->stream_).close(); });
  }

  void Start() {
    beast::error_code peer_ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(peer_ec);
    if (!peer_ec) context_.peer_address = ep.address().to_string();
    if constexpr (kTls) {
      context_.tls = true;
      context_.client_certificates = shared_->client_certificates;
      beast::get_lowest_layer(stream_).expires_at(first_deadline_);
      // The first bytes say whether the client speaks TLS. Plain HTTP is
      // read as HTTP and answered 403 tls_required whatever it asks for
      // (never routed); TLS continues with the bytes already read.
      beast::async_detect_ssl(
          beast::get_lowest_layer(stream_), buffer_, [self = this->shared_from_this()](beast::error_code ec, bool tls) {
            if (ec) {
              // Closed, timed out or evicted before the first bytes said which
              // protocol the client speaks. One that began a TLS handshake (a
              // handshake record's first byte) and never finished it is
              // counted; a connection that sent nothing began none.
              const auto seen = self->buffer_.data();
              if (seen.size() > 0 && *static_cast<const unsigned char*>(seen.data()) == 0x16)
                CountHandshakeFailure(ec, self->context_.peer_address);
              return;
            }
            if (!tls) {
              self->plain_ = true;
              log::Debug("admin_plain_http_on_tls", {{"peer", self->context_.peer_address}});
              return self->Read();
            }
            self->stream_.async_handshake(asio::ssl::stream_base::server, self->buffer_.data(),
                                          [self](beast::error_code hec, size_t used) { self->OnHandshake(hec, used); });
          });
    } else {
      Read();
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void OnHandshake(beast::error_code ec, size_t used) {
    if (ec) {  // refused, abandoned, timed out or evicted: every one counted
      CountHandshakeFailure(ec, context_.peer_address);
      if constexpr (kTls) LogRevocationRefusal(stream_.native_handle(), context_.peer_address);
      return;
    }
    buffer_.consume(used);
    if constexpr (kTls) {
      context_.subject = VerifiedSubject(stream_.native_handle());
      context_.client_verified = !context_.subject.empty();
    }
    Read();
  }

  // Calls f with the stream requests are read from and answers written to:
  // the TLS stream, or under it the TCP stream of a plain HTTP client of a
  // TLS listener (plain_).
  template <class F>
  void WithStream(F&& f) {
    if constexpr (kTls) {
      if (plain_) return f(beast::get_lowest_layer(stream_));
    }
    f(stream_);
  }

  // The headers first: the body limit depends on the path. While they are
  // read the limit is the largest of all (Beast checks a Content-Length
  // against it at the end of the headers; boost::none would refuse every
  // body: Boost 1.74 compares the length with the empty optional).
  void Read() {
    parser_.emplace();
    parser_->body_limit(shared_->largest_body_bytes);
    parser_->header_limit(8 * 1024);
    limit_ = shared_->max_body_bytes;
    // The first request's headers by the connection's first deadline (a
    // half-open or slowloris connection is gone after it); a kept-alive
    // connection waits request_timeout for the next one.
    if (first_request_)
      beast::get_lowest_layer(stream_).expires_at(first_deadline_);
    else
      beast::get_lowest_layer(stream_).expires_after(shared_->timeout);
    WithStream([&](auto& stream) {
      http::async_read_header(stream, buffer_, *parser_,
                              [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
    });
  }

  // The body limit of the request's path (its request line is parsed).
  size_t PathLimit() const {
    const auto target = parser_->get().target();
    const std::string_view path(target.data(), std::min(target.size(), target.find('?')));
    for (const auto& [p, limit] : shared_->path_body_limits)
      if (p == path) return limit;
    return shared_->max_body_bytes;
  }

  void OnHeader(beast::error_code ec) {
    limit_ = PathLimit();
    if (ec) return OnRead(ec);
    if (OtherTransferCoding(*parser_)) {  // answered, then closed: the body is not read
      return Write(ErrorResponse(http::status::not_implemented, "not_implemented",
                                 "a Transfer-Encoding other than chunked alone is not supported"));
    }
    // Refused from its Content-Length before the body is read; a chunked
    // body is held to the limit as it arrives.
    if (auto length = parser_->content_length(); length && *length > limit_) return OnRead(http::error::body_limit);
    parser_->body_limit(limit_);
    beast::get_lowest_layer(stream_).expires_after(shared_->timeout);
    WithStream([&](auto& stream) {
      http::async_read(stream, buffer_, *parser_,
                       [self = this->shared_from_this()](beast::error_code e, size_t) { self->OnRead(e); });
    });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return Close();
    if (ec == http::error::body_limit) {
      return Write(ErrorResponse(http::status::payload_too_large, "payload_too_large",
                                 "request body over " + std::to_string(limit_) + " bytes"));
    }
    if (ec == http::error::header_limit) {
      return Write(ErrorResponse(http::status::request_header_fields_too_large, "headers_too_large",
                                 "request headers over 8192 bytes"));
    }
    if (ec == http::error::buffer_overflow) {
      return Write(ErrorResponse(
          http::status::bad_request, "line_too_long",
          "a chunk size line, chunk extension or trailer over " + std::to_string(kMaxUnparsedBytes) + " bytes"));
    }
    if (IsMalformed(ec)) {  // answered, then closed: nothing after it is read
      return Write(ErrorResponse(http::status::bad_request, "bad_request", "malformed HTTP request"));
    }
    if (ec) return;  // timeout, reset, cut short, evicted: drop the connection
    http::request<http::string_body> req = parser_->release();
    // At most max_requests on one connection (pipelined or not): the last
    // answer says Connection: close, and what the client sent after it is
    // not read.
    const bool last = ++served_ >= shared_->max_requests;
    if (plain_) {
      http::response<http::string_body> res = ErrorResponse(
          http::status::forbidden, "tls_required", "this listener serves HTTPS only (TLS, admin.tls): use https://");
      log::Debug("admin_request", {{"method", "(plain HTTP)"}, {"path", "(not routed)"}, {"status", "403"}});
      return Write(std::move(res));
    }
    AddressHeaders address;
    for (auto [it, end] = req.equal_range(http::field::host); it != end; ++it)
      address.host.emplace_back(it->value().data(), it->value().size());
    for (auto [it, end] = req.equal_range(http::field::origin); it != end; ++it)
      address.origin.emplace_back(it->value().data(), it->value().size());
    std::optional<Response> refused = CheckAddress(address, shared_->allowed_hosts);
    if (refused) return Answer(req, std::move(*refused), last, true);
    const std::string_view target(req.target().data(), req.target().size());
    if (shared_->slow != nullptr && SlowPath(target)) {
      // Answered on the slow pool; written back on this connection's thread.
      // A request whose connection was evicted while it waited is not run.
      // (One whose client sent FIN is: a client may half-close after its
      // request, as `nc -N` does, and still read the answer.)
      SetAnswering(true);
      asio::post(*shared_->slow, [self = this->shared_from_this(), req = std::move(req), last]() mutable {
        if (self->Abandoned()) {
          self->SetAnswering(false);
          return;
        }
        Response r = self->RouteOf(req);
        self->SetAnswering(false);
        asio::post(self->stream_.get_executor(), [self, req = std::move(req), r = std::move(r), last]() mutable {
          self->Answer(req, std::move(r), last, false);
        });
      });
      return;
    }
    Response r = RouteOf(req);
    Answer(req, std::move(r), last, false);
  }

  [[nodiscard]] Response RouteOf(const http::request<http::string_body>& req) const {
    return Route(shared_->handlers, context_, std::string_view(req.method_string().data(), req.method_string().size()),
                 std::string_view(req.target().data(), req.target().size()), req.body());
  }

  // Logs and writes the answer to req.
  void Answer(const http::request<http::string_body>& req, Response r, bool last, bool refused) {
    // Only what the server knows is logged: a known method and a known path.
    log::Debug("admin_request",
               {{"method", req.method() == http::verb::unknown ? "(other)" : std::string(req.method_string())},
                {"path", refused           ? "(not routed)"
                         : r.status == 404 ? "(unknown)"
                                           : std::string(req.target().substr(0, req.target().find('?')))},
                {"status", std::to_string(r.status)}});
    Write(MakeResponse(req, std::move(r), last));
  }

  // The connection's responses share one deadline: request_timeout in all,
  // not per response, so that a client pipelining requests and reading
  // the answers slowly cannot keep the connection writing for long.
  void Write(http::response<http::string_body> res) {
    res_ = std::move(res);
    first_request_ = false;
    const Clock::time_point start = SetWriting(true);
    beast::get_lowest_layer(stream_).expires_after(write_left_);
    WithStream([&](auto& stream) {
      http::async_write(stream, res_, [self = this->shared_from_this(), start](beast::error_code ec, size_t) {
        self->write_left_ -= std::chrono::duration_cast<std::chrono::milliseconds>(self->SetWriting(false) - start);
        if (ec) return;
        if (self->res_.need_eof()) return self->Close();
        if (self->write_left_ <= std::chrono::milliseconds::zero()) {
          log::Debug("admin_connection_closed", {{"reason", "write time used up (a client not reading its answers)"},
                                                 {"peer", self->context_.peer_address}});
          return self->Close();
        }
        self->Read();
      });
    });
  }

  void SetAnswering(bool now_answering) {
    std::lock_guard<std::mutex> lock(shared_->mu);
    answering = now_answering;
    if (!now_answering) idle_since = Clock::now();
  }

  // Evicted while its request waited on the slow pool.
  bool Abandoned() {
    std::lock_guard<std::mutex> lock(shared_->mu);
    return evicted;
  }

  // Returns the time it was set.
  Clock::time_point SetWriting(bool writing_now) {
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> lock(shared_->mu);
    writing = writing_now;
    if (writing_now)
      writing_since = now;
    else
      idle_since = now;
    return now;
  }

  void Close() {
    if constexpr (kTls) {
      if (plain_) {
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
        return;
      }
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  std::shared_ptr<Shared> shared_;
  RequestContext context_;
  // Bytes read but not yet parsed: a request line and headers (8 KiB), a
  // chunk's size line with its extensions, trailers. Bounded: Beast holds
  // an unfinished line here, so without a limit a chunk extension or a
  // trailer that never ends grew it until memory ran out (the body itself
  // goes to the parser as it arrives, held to its own limit).
  static constexpr size_t kMaxUnparsedBytes = 64 * 1024;
  beast::flat_buffer buffer_{kMaxUnparsedBytes};
  std::optional<http::request_parser<http::string_body>> parser_;
  size_t limit_ = 0;  // the body limit of the request being read
  http::response<http::string_body> res_;
  Clock::time_point first_deadline_;      // the handshake and the first request's headers
  std::chrono::milliseconds write_left_;  // of request_timeout: what the responses may still take to write
  int served_ = 0;                        // requests read (and answered)
  bool first_request_ = true;
  bool plain_ = false;  // a plain HTTP client of a TLS listener: answered 403 tls_required
};

}  // namespace

struct Server::Impl {
  // Declared before the io_context: connections (held by its pending
  // handlers) are destroyed with it and use the TLS context until then.
  std::optional<asio::ssl::context> ssl;
  asio::io_context ioc{1};
  // Declared after the io_context, so destroyed (stopped and joined) before
  // it: a request answered there posts its answer to the io_context.
  asio::thread_pool slow{2};
  tcp::acceptor acceptor{ioc};
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  int max_connections = 64;
  std::thread thread;
  std::atomic<bool> stopped{false};
  LogThrottle evicted_log;  // the accept handler's (one thread)
  LogThrottle refused_log;
  // The client CA file and what it held when last read: a changed file
  // (a new CRL) is read again before the next TLS connection's handshake.
  std::string client_ca_file;
  FileStamp client_ca_stamp;
  unsigned client_ca_generation = 0;

  // The session id context names the client CA file's generation: a session
  // (or TLS 1.3 ticket) verified under an older file is not resumed, so a
  // certificate revoked since does a full handshake and is refused.
  [[nodiscard]] bool SetSessionContext() {
    const std::string sid = "maskproxy-admin-" + std::to_string(client_ca_generation);
    return SSL_CTX_set_session_id_context(ssl->native_handle(), reinterpret_cast<const unsigned char*>(sid.data()),
                                          static_cast<unsigned>(sid.size())) == 1;
  }

  // Installs the client CA file's certificates and CRLs (LoadClientCaStore).
  [[nodiscard]] Status InstallClientCa() {
    client_ca_stamp = StampOf(client_ca_file);
    auto loaded = LoadClientCaStore(client_ca_file);
    if (!loaded.ok()) return loaded.error();
    SSL_CTX_set_cert_store(ssl->native_handle(), loaded->store.release());  // takes it
    ++client_ca_generation;
    if (!SetSessionContext()) return Error(ErrorCode::kConfigInvalid, "admin TLS: cannot set the session id context");
    log::Info("admin_client_ca_loaded", {{"file", client_ca_file},
                                         {"certificates", std::to_string(loaded->certificates)},
                                         {"crls", std::to_string(loaded->crls)},
                                         {"revocation_checked", loaded->crls > 0 ? "true" : "false"}});
    if (loaded->crls_expired > 0)
      log::Error("admin_client_crl_expired",
                 {{"file", client_ca_file},
                  {"expired", std::to_string(loaded->crls_expired)},
                  {"detail",
                   "a CRL is past its nextUpdate: every client certificate of its CA is refused until "
                   "a current CRL is put in the file"}});
    return Status::Ok();
  }

  // Before a TLS connection: the file read again if it changed. A file that
  // does not load keeps the store in use (logged); one that changes again is
  // read again.
  void RefreshClientCa() {
    if (client_ca_file.empty() || StampOf(client_ca_file) == client_ca_stamp) return;
    if (Status st = InstallClientCa(); !st.ok())
      log::Error(
          "admin_client_ca_reload_failed",
          {{"file", client_ca_file}, {"error", st.error().message}, {"detail", "the previous file stays in use"}});
  }

  // Room for one more connection: under the limit, or made by closing the
  // connection whose response has stalled longest (kStalledWrite: its
  // client does not read), else the one idle longest (not writing a
  // response). False when every connection is writing one that has not
  // stalled.
  bool MakeRoom() {
    const Clock::time_point now = Clock::now();
    Clock::duration idle{};
    const char* reason = "connection limit";
    {
      std::lock_guard<std::mutex> lock(shared->mu);
      int live = 0;
      Conn* oldest = nullptr;
      Conn* stalled = nullptr;
      Conn* answering = nullptr;  // the oldest waiting on the slow pool: only when none is idle
      for (Conn* c : shared->open) {
        if (c->evicted) continue;
        ++live;
        if (c->writing) {
          if (now - c->writing_since >= kStalledWrite && (!stalled || c->writing_since < stalled->writing_since))
            stalled = c;
        } else if (c->answering) {
          if (!answering || c->idle_since < answering->idle_since) answering = c;
        } else if (!oldest || c->idle_since < oldest->idle_since) {
          oldest = c;
        }
      }
      if (!oldest) oldest = answering;
      if (live < max_connections) return true;
      if (stalled) {
        oldest = stalled;
        reason = "connection limit; a response its client does not read";
      }
      if (!oldest) {
        if (uint64_t suppressed = 0; refused_log.Allow(now, &suppressed))
          log::Warn("admin_connection_refused", {{"reason", "every connection is answering a request"},
                                                 {"limit", std::to_string(max_connections)},
                                                 {"similar_suppressed", std::to_string(suppressed)}});
        return false;
      }
      oldest->evicted = true;
      idle = now - (oldest->writing ? oldest->writing_since : oldest->idle_since);
      oldest->Evict();
    }
    if (uint64_t suppressed = 0; evicted_log.Allow(now, &suppressed))
      log::Warn("admin_connection_evicted",
                {{"reason", reason},
                 {"limit", std::to_string(max_connections)},
                 {"idle_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(idle).count())},
                 {"similar_suppressed", std::to_string(suppressed)}});
    return true;
  }

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted) return;
        log::Warn("admin_accept_failed", {{"error", ec.message()}});
      } else if (!MakeRoom()) {
        beast::error_code ignored;
        socket.close(ignored);
      } else if (ssl) {
        RefreshClientCa();
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *ssl), shared)
            ->Start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), shared)->Start();
      }
      Accept();
    });
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  Stop();
}

Result<std::unique_ptr<Server>> Server::Create(const Options& options, Handlers handlers) {
  auto addr = ParseListen(options.listen);
  if (!addr.ok()) return addr.error();
  auto impl = std::make_unique<Impl>();
  impl->shared->handlers = std::move(handlers);
  impl->shared->max_body_bytes = options.max_body_bytes;
  impl->shared->path_body_limits = options.path_body_limits;
  impl->shared->largest_body_bytes = options.max_body_bytes;
  for (const auto& [path, limit] : options.path_body_limits)
    impl->shared->largest_body_bytes = std::max(impl->shared->largest_body_bytes, limit);
  impl->shared->timeout = std::chrono::milliseconds(options.request_timeout_ms);
  impl->shared->handshake_timeout = std::chrono::milliseconds(options.handshake_timeout_ms);
  impl->shared->max_requests = std::max(1, options.max_requests_per_connection);
  impl->shared->allowed_hosts = options.allowed_hosts;
  impl->shared->slow = &impl->slow;
  impl->max_connections = options.max_connections;

  RegisterRouterMetrics();
  const TlsOptions& tls = options.tls;
  if (!tls.cert_file.empty() || !tls.key_file.empty() || !tls.client_ca_file.empty()) {
    if (tls.cert_file.empty() || tls.key_file.empty())
      return Error(ErrorCode::kConfigInvalid, "admin TLS needs both cert_file and key_file");
    (void)HandshakeFailures();
    impl->ssl.emplace(asio::ssl::context::tls_server);
    asio::ssl::context& ctx = *impl->ssl;
    boost::system::error_code ec;
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                    ec);
    // Sessions may be resumed (TLS 1.3 tickets, TLS 1.2 session ids). With
    // client certificates verified, OpenSSL answers a resumption with an
    // internal_error alert unless a session id context is set: it ties a
    // session to this listener (a resumed session keeps the certificate it
    // verified). Sessions live 5 minutes, not the default 2 hours: a
    // certificate that expires is not carried on much past its end.
    static constexpr unsigned char kSessionContext[] = "maskproxy-admin";
    if (SSL_CTX_set_session_id_context(ctx.native_handle(), kSessionContext, sizeof kSessionContext - 1) != 1)
      return Error(ErrorCode::kConfigInvalid, "admin TLS: cannot set the session id context");
    SSL_CTX_set_timeout(ctx.native_handle(), 300);
    if (ctx.use_certificate_chain_file(tls.cert_file, ec); ec)
      return Error(ErrorCode::kConfigInvalid, "admin TLS certificate " + tls.cert_file + ": " + ec.message());
    if (ctx.use_private_key_file(tls.key_file, asio::ssl::context::pem, ec); ec)
      return Error(ErrorCode::kConfigInvalid, "admin TLS key " + tls.key_file + ": " + ec.message());
    if (!tls.client_ca_file.empty()) {
      // Certificates and CRLs (client_ca.h), read again when the file changes.
      impl->client_ca_file = tls.client_ca_file;
      if (Status st = impl->InstallClientCa(); !st.ok()) return st.error();
      // Asked for, not required: a client without a certificate completes
      // the handshake (probes, Prometheus) and the endpoints that need one
      // answer 401 (router.h); a certificate that is presented must verify
      // against the CA, or the handshake fails.
      ctx.set_verify_mode(asio::ssl::verify_peer, ec);
      if (ec) return Error(ErrorCode::kConfigInvalid, "admin TLS client verification: " + ec.message());
      impl->shared->client_certificates = true;
    }
  }

  boost::system::error_code ec;
  asio::ip::address ip = addr->host == "localhost" ? asio::ip::address(asio::ip::address_v4::loopback())
                                                   : asio::ip::make_address(addr->host);
  tcp::endpoint ep(ip, addr->port);
  auto failed = [&](const char* what) {
    return Error(ErrorCode::kAdminListenFailed,
                 "admin listener on " + options.listen + ": " + what + ": " + ec.message());
  };
  if (impl->acceptor.open(ep.protocol(), ec); ec) return failed("open");
  if (impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) return failed("reuse_address");
  if (impl->acceptor.bind(ep, ec); ec) return failed("bind");
  if (impl->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) return failed("listen");

  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->ioc.run(); });
  auto server = std::unique_ptr<Server>(new Server(std::move(impl)));
  const std::string bound = server->address();
  log::Info("admin_listening", {{"address", bound},
                                {"tls", raw->ssl ? "true" : "false"},
                                {"client_certificates", options.tls.client_ca_file.empty() ? "false" : "true"}});
  if (!IsLoopback(addr->host) && !raw->ssl)
    log::Warn("admin_listening_without_tls", {{"address", bound}, {"detail", "reachable from other hosts"}});
  return server;
}

std::string Server::address() const {
  boost::system::error_code ec;
  tcp::endpoint ep = impl_->acceptor.local_endpoint(ec);
  if (ec) return "";
  if (ep.address().is_v6()) return "[" + ep.address().to_string() + "]:" + std::to_string(ep.port());
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

uint16_t Server::port() const {
  boost::system::error_code ec;
  tcp::endpoint ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Server::Stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  // Closing the acceptor on its own thread ends the accept loop; stopping
  // the io_context abandons open connections (their sockets close when the
  // io_context is destroyed with its handlers).
  asio::post(impl_->ioc, [raw = impl_.get()] {
    beast::error_code ec;
    raw->acceptor.close(ec);
    raw->ioc.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
  // Requests still waiting for the slow pool are dropped with their
  // connections; one being answered finishes first.
  impl_->slow.stop();
  impl_->slow.join();
}

}  // namespace maskproxy::admin
