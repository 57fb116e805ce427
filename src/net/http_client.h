// A small synchronous HTTP/1.1 client on Boost.Beast with OpenSSL: what the
// proxy needs to talk to a KMS (OpenBao Transit) and what `maskproxy reveal`
// needs to call a running proxy's admin listener. One request per
// connection; bounded response size; a deadline for the whole exchange.
//
//   auto client = net::HttpClient::Create({.ca_file = "ca.crt", .cert_file = "op.crt", .key_file = "op.key"});
//   auto resp = (*client)->Send({.method = "POST", .url = "https://127.0.0.1:9644/v1/reveal",
//                                .headers = {{"Content-Type", "application/json"}}, .body = json});
//
// Errors are values: kHttpUnreachable (resolve, connect, timeout, reset),
// kHttpTlsFailed (handshake, certificate verification, unreadable client
// certificate or key), kHttpBadResponse (not HTTP, too large). An HTTP error
// status is not an error: it is in Response::status. Messages name the host
// and port, never a body.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace maskproxy::net {

struct ClientOptions {
  // https only. Empty ca_file: the system's trust store. The server name is
  // verified against the URL's host (an IP address is checked as one).
  std::string ca_file;
  std::string cert_file;  // client certificate (PEM), with key_file; empty: none
  std::string key_file;   // its private key (PEM)
  int timeout_ms = 10000;
  size_t max_response_bytes = 8 << 20;
};

struct Request {
  std::string method = "GET";
  std::string url;  // http://host:port/path?query or https://...; host an IP address or a name
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  [[nodiscard]] std::string Header(std::string_view name) const;  // case-insensitive; "" if absent
};

class HttpClient {
 public:
  // Loads the CA and client certificate once. Error kHttpTlsFailed when a
  // file cannot be read or the key does not match the certificate.
  [[nodiscard]] static Result<std::unique_ptr<HttpClient>> Create(const ClientOptions& options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Thread-safe: each call uses its own connection.
  [[nodiscard]] Result<Response> Send(const Request& request) const;

  struct Impl;

 private:
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace maskproxy::net
