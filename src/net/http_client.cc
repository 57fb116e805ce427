// Placeholder until the Beast implementation lands (same session): every
// call fails, so nothing can mistake it for a working client.
#include "net/http_client.h"

namespace maskproxy::net {

struct HttpClient::Impl {};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const ClientOptions&) {
  return std::unique_ptr<HttpClient>(new HttpClient(std::make_unique<Impl>()));
}

Result<Response> HttpClient::Send(const Request&) const {
  return Error(ErrorCode::kInternal, "http client not implemented yet");
}

std::string Response::Header(std::string_view) const {
  return "";
}

}  // namespace maskproxy::net
