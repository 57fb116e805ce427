// The admin listener: HTTP/1.1 (Boost.Beast over Boost.Asio) on one
// io_context and one thread owned by the Server, optionally TLS that asks
// for client certificates (one presented must verify against the CA; a
// client without one is served, and router.h decides what it may use). A
// plain HTTP request to a TLS listener is answered 403 tls_required, never
// routed. Endpoints are router.h's.
//
// Bounded: request bodies up to Options::max_body_bytes, or a path's own
// limit (Options::path_body_limits) (413 above),
// headers up to 8 KiB, deadlines (slow clients are cut off: the TLS
// handshake and the first request's headers within
// Options::handshake_timeout_ms of the accept, every later read within
// Options::request_timeout_ms, and all of a connection's responses written
// within Options::request_timeout_ms in total, not per response), at most
// Options::max_requests_per_connection requests on one connection (the last
// answer says Connection: close), at most Options::max_connections open
// connections: at the cap the connection whose response has waited longest
// on a client that does not read it (over 1 s), else the connection idle
// longest (no complete request yet, or waiting between requests), is closed
// for the newcomer, so idle, half-open or slow-reading connections cannot
// lock out a probe; a newcomer is refused only while every connection is
// writing a response that has not stalled. Host and Origin are checked
// on every request (router.h, CheckAddress). Stop() (or the destructor)
// closes the listener and every connection and joins the thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "admin/router.h"
#include "common/result.h"

namespace maskproxy::admin {

struct TlsOptions {
  std::string cert_file;  // PEM certificate chain of the listener; empty: plain HTTP
  std::string key_file;   // PEM private key
  // PEM CA bundle; when set, clients are asked for a certificate: one that
  // does not verify against it fails the handshake; without one, only
  // /livez, /readyz, /metrics (and the reveal service's 401) answer.
  std::string client_ca_file;
};

struct Options {
  // host:port or [v6]:port; the host is an IP address or "localhost". Port 0
  // picks a free port (the bound one is in address() and the log line
  // admin_listening).
  std::string listen = "127.0.0.1:9644";
  TlsOptions tls;
  size_t max_body_bytes = 64 * 1024;
  // A larger (or smaller) body limit for one exact path, e.g. the
  // playground's POST /v1/policy/evaluate; every other path keeps
  // max_body_bytes.
  std::vector<std::pair<std::string, size_t>> path_body_limits;
  int max_connections = 64;
  // From the accept to the end of the first request's headers (the TLS
  // handshake included).
  int handshake_timeout_ms = 5000;
  // Each later read (a request body, the wait for the next request on a
  // kept-alive connection), and all the responses of one connection
  // together (a client that pipelines requests and reads slowly is cut off
  // after it, however many answers are left).
  int request_timeout_ms = 10000;
  // Requests served on one connection, pipelined or not; the last answer
  // says Connection: close and the connection ends after it.
  int max_requests_per_connection = 100;
  // Names the Host header may carry besides IP literals and localhost
  // (admin.allowed_hosts; lower case).
  std::vector<std::string> allowed_hosts;
};

// "host:port" split and checked; errors name the text.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
[[nodiscard]] Result<ListenAddress> ParseListen(const std::string& listen);
// True for 127.0.0.0/8, ::1 and "localhost".
[[nodiscard]] bool IsLoopback(const std::string& host);

class Server {
 public:
  // Binds and starts serving. Errors: config_invalid (a bad address, TLS
  // files that cannot be loaded), admin_listen_failed (bind/listen).
  [[nodiscard]] static Result<std::unique_ptr<Server>> Create(const Options& options, Handlers handlers);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound address, "127.0.0.1:PORT".
  [[nodiscard]] std::string address() const;
  [[nodiscard]] uint16_t port() const;
  void Stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace maskproxy::admin
