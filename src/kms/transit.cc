#include "kms/transit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "common/text.h"
#include "crypto/base64.h"
#include "crypto/keyring.h"

namespace maskproxy::kms {
namespace {

void Wipe(std::string* s) {
  if (!s->empty()) OPENSSL_cleanse(s->data(), s->size());
  s->clear();
}

metrics::Counter& Requests(std::string_view op, std::string_view result) {
  static metrics::Family& family = metrics::Global().Counters(
      "maskproxy_kms_requests_total", "KMS (Transit) requests by operation and result", {"op", "result"});
  return *family.CounterWith({op, result});
}

metrics::Gauge& Up() {
  static metrics::Gauge& gauge =
      *metrics::Global()
           .Gauges("maskproxy_kms_up", "1 when the KMS answered the last request or probe, 0 when it did not")
           .GaugeWith({});
  return gauge;
}

std::string_view ResultLabel(ErrorCode code) {
  switch (code) {
    case ErrorCode::kKmsUnreachable: return "unreachable";
    case ErrorCode::kKmsDenied: return "denied";
    default: return "failed";
  }
}

// An address literal in 127.0.0.0/8, [::1], or localhost: not a host name
// that merely starts with "127." (127.example.net resolves anywhere).
bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  in_addr a{};
  return inet_pton(AF_INET, std::string(host).c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return name != "." && name != "..";
}

// The string value of member `field` after the "data" member of a Transit
// answer, when it has no escapes (base64 and vault:vN:base64 have none).
// Transit answers {"request_id":...,"data":{"ciphertext":"..."},...}.
bool DataString(std::string_view body, std::string_view field, std::string_view* out) {
  size_t data = body.find("\"data\"");
  if (data == std::string_view::npos) return false;
  std::string quoted = "\"" + std::string(field) + "\"";
  size_t at = body.find(quoted, data);
  if (at == std::string_view::npos) return false;
  size_t i = at + quoted.size();
  auto skip = [&] {
    while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) ++i;
  };
  skip();
  if (i >= body.size() || body[i] != ':') return false;
  ++i;
  skip();
  if (i >= body.size() || body[i] != '"') return false;
  size_t start = ++i;
  while (i < body.size() && body[i] != '"') {
    if (body[i] == '\\' || static_cast<unsigned char>(body[i]) < 0x20) return false;
    ++i;
  }
  if (i >= body.size()) return false;
  *out = body.substr(start, i - start);
  return true;
}

// Transit's first error text ({"errors":["..."]}), printable ASCII, at most
// 200 characters, a JSON escape read as one character ("\t" a space, "\u…"
// a '?'); "" when there is none.
std::string FirstError(std::string_view body) {
  size_t at = body.find("\"errors\"");
  if (at == std::string_view::npos) return "";
  size_t q = body.find('"', body.find('[', at) == std::string_view::npos ? body.size() : body.find('[', at));
  if (q == std::string_view::npos) return "";
  std::string out;
  for (size_t i = q + 1; i < body.size() && out.size() < 200; ++i) {
    char c = body[i];
    if (c == '"') break;
    if (c == '\\') {
      if (++i >= body.size()) break;
      c = body[i];
      if (c == 'n' || c == 't' || c == 'r' || c == 'f' || c == 'b') c = ' ';
      if (c == 'u') {
        c = '?';
        i = std::min(i + 4, body.size() - 1);
      }
    }
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

class HttpTransport : public Transport {
 public:
  explicit HttpTransport(std::unique_ptr<net::HttpClient> client) : client_(std::move(client)) {}
  Result<net::Response> Send(const net::Request& request) const override { return client_->Send(request); }

 private:
  std::unique_ptr<net::HttpClient> client_;
};

}  // namespace

std::string TransitKeyName(std::string_view kms) {
  constexpr std::string_view kPrefix = "transit:";
  if (kms.substr(0, kPrefix.size()) != kPrefix) return "";
  std::string_view name = kms.substr(kPrefix.size());
  return ValidName(name) ? std::string(name) : "";
}

Result<std::unique_ptr<TransitClient>> TransitClient::Create(TransitOptions options,
                                                             std::unique_ptr<Transport> transport) {
  std::string_view addr = options.address;
  while (!addr.empty() && addr.back() == '/') addr.remove_suffix(1);
  // An address with user information ("https://user:secret@host"), a query
  // or a fragment ("https://kms:8200?token=...") is refused without being
  // quoted: either may hold a secret.
  const bool secretive = addr.find_first_of("@?#") != std::string_view::npos;
  const std::string shown = !secretive ? " '" + std::string(addr) + "'"
                                       : std::string(" (not shown: it holds user information, a query or a fragment)");
  std::string_view rest;
  bool tls = false;
  if (addr.substr(0, 8) == "https://") {
    rest = addr.substr(8);
    tls = true;
  } else if (addr.substr(0, 7) == "http://") {
    rest = addr.substr(7);
  } else {
    return Error(ErrorCode::kConfigInvalid,
                 "KMS address" + shown + " must be https://HOST:PORT (or http:// on loopback)");
  }
  if (rest.empty() || rest.find_first_of("/@?#") != std::string_view::npos)
    return Error(ErrorCode::kConfigInvalid,
                 "KMS address" + shown + " must be scheme://HOST:PORT: no path, query, fragment or user information");
  std::string_view host = rest;
  if (host.front() == '[') {
    host = host.substr(0, host.find(']') == std::string_view::npos ? host.size() : host.find(']') + 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!tls && !IsLoopbackHost(host))
    return Error(ErrorCode::kConfigInvalid, "KMS address" + shown +
                                                ": plain http is allowed only on loopback (the token would cross "
                                                "the network in clear); use https://");
  if (!ValidName(options.mount))
    return Error(ErrorCode::kConfigInvalid, "KMS Transit mount '" + options.mount + "' is not a plain path name");
  if (options.token.empty()) return Error(ErrorCode::kConfigInvalid, "KMS token is empty");
  options.address = std::string(addr);
  if (!transport) {
    auto client = net::HttpClient::Create({.ca_file = options.ca_file,
                                           .cert_file = "",
                                           .key_file = "",
                                           .timeout_ms = options.timeout_ms,
                                           .max_response_bytes = 1 << 20});
    if (!client.ok()) return client.error();
    transport = std::make_unique<HttpTransport>(std::move(*client));
  }
  return std::unique_ptr<TransitClient>(new TransitClient(std::move(options), std::move(transport)));
}

TransitClient::TransitClient(TransitOptions options, std::unique_ptr<Transport> transport)
    : options_(std::move(options)), transport_(std::move(transport)) {}

TransitClient::~TransitClient() {
  Wipe(&options_.token);
}

Result<net::Response> TransitClient::Call(std::string_view op, std::string_view name, const std::string& method,
                                          const std::string& path, std::string body) const {
  const std::string what = "KMS " + options_.address + ": transit " + std::string(op) +
                           (name.empty() ? std::string() : " of key '" + std::string(name) + "'");
  auto fail = [&](ErrorCode code, const std::string& msg) -> Error {
    Requests(op, ResultLabel(code)).Inc();
    Up().Set(code == ErrorCode::kKmsUnreachable ? 0 : 1);
    return Error(code, what + ": " + msg);
  };
  if (!name.empty() && !ValidName(name))
    return fail(ErrorCode::kKmsFailed, "the Transit key name must be 1-128 characters of [A-Za-z0-9_.-]");
  net::Request req;
  req.method = method;
  req.url = options_.address + path;
  req.headers = {{"X-Vault-Token", options_.token}, {"Content-Type", "application/json"}};
  req.body = std::move(body);
  auto resp = transport_->Send(req);
  Wipe(&req.headers[0].second);
  Wipe(&req.body);
  if (!resp.ok()) {
    // The HTTP client's message names host and port and the cause, no body.
    // Something that is not a bounded HTTP answer is not "unreachable": no
    // key is served from memory for it (TransitKeyring).
    return fail(resp.error().code == ErrorCode::kHttpBadResponse ? ErrorCode::kKmsFailed : ErrorCode::kKmsUnreachable,
                resp.error().message);
  }
  const int status = resp->status;
  if (status >= 200 && status < 300) {
    Requests(op, "ok").Inc();
    Up().Set(1);
    return resp;
  }
  // A gateway in front of the KMS may echo the request's headers in its
  // error: an answer holding the token's first 8 characters anywhere is not
  // shown (looked for in the whole body: the error text is cut at 200
  // characters, which may leave a shorter piece of the token at its end).
  const bool quotes_token =
      !options_.token.empty() && resp->body.find(options_.token.substr(0, 8)) != std::string::npos;
  std::string cause = FirstError(resp->body);
  Wipe(&resp->body);
  if (quotes_token) {
    Wipe(&cause);
    cause = "(the error text is withheld: it quotes the token)";
  }
  std::string msg = "HTTP " + std::to_string(status) + (cause.empty() ? "" : ": " + cause);
  if (status == 401 || status == 403) return fail(ErrorCode::kKmsDenied, msg + " (check the token and its policy)");
  if (status >= 500) return fail(ErrorCode::kKmsUnreachable, msg);
  return fail(ErrorCode::kKmsFailed, msg);
}

Result<std::string> TransitClient::GenerateWrappedDataKey(std::string_view name) const {
  auto resp = Call("datakey", name, "POST", "/v1/" + options_.mount + "/datakey/wrapped/" + std::string(name),
                   R"({"bits":256})");
  if (!resp.ok()) return resp.error();
  std::string_view ct;
  if (!DataString(resp->body, "ciphertext", &ct) || ct.substr(0, 6) != "vault:")
    return Error(ErrorCode::kKmsFailed, "KMS " + options_.address + ": transit datakey of key '" + std::string(name) +
                                            "': the answer has no wrapped key");
  return std::string(ct);
}

Result<crypto::SecretBytes> TransitClient::Decrypt(std::string_view name, std::string_view ciphertext) const {
  auto resp = Call("decrypt", name, "POST", "/v1/" + options_.mount + "/decrypt/" + std::string(name),
                   "{\"ciphertext\":" + text::JsonQuoted(ciphertext) + "}");
  if (!resp.ok()) return resp.error();
  std::string_view b64;
  std::optional<std::vector<uint8_t>> bytes;
  if (DataString(resp->body, "plaintext", &b64)) bytes = crypto::Base64Decode(b64);
  Wipe(&resp->body);
  if (!bytes)
    return Error(ErrorCode::kKmsFailed, "KMS " + options_.address + ": transit decrypt of key '" + std::string(name) +
                                            "': the answer has no base64 plaintext");
  return crypto::SecretBytes(std::move(*bytes));
}

Status TransitClient::Rotate(std::string_view name) const {
  auto resp = Call("rotate", name, "POST", "/v1/" + options_.mount + "/keys/" + std::string(name) + "/rotate", "{}");
  if (!resp.ok()) return resp.error();
  return Status::Ok();
}

Result<std::string> TransitClient::Rewrap(std::string_view name, std::string_view ciphertext) const {
  auto resp = Call("rewrap", name, "POST", "/v1/" + options_.mount + "/rewrap/" + std::string(name),
                   "{\"ciphertext\":" + text::JsonQuoted(ciphertext) + "}");
  if (!resp.ok()) return resp.error();
  std::string_view ct;
  if (!DataString(resp->body, "ciphertext", &ct) || ct.substr(0, 6) != "vault:")
    return Error(ErrorCode::kKmsFailed, "KMS " + options_.address + ": transit rewrap of key '" + std::string(name) +
                                            "': the answer has no wrapped key");
  return std::string(ct);
}

Status TransitClient::Probe() const {
  auto resp = Call("health", "", "GET", "/v1/sys/health?standbyok=true", "");
  if (!resp.ok()) return resp.error();
  return Status::Ok();
}

namespace {
Result<std::string> TransitName(std::string_view kms) {
  std::string name = TransitKeyName(kms);
  if (name.empty())
    return Error(ErrorCode::kKmsFailed,
                 "KMS key" + crypto::ShownName(kms) + " is not transit:NAME (NAME of [A-Za-z0-9_.-])");
  return name;
}
}  // namespace

Result<crypto::SecretBytes> TransitKeyring::Unwrap(const crypto::WrappedVersion& version) const {
  auto name = TransitName(version.kms);
  if (!name.ok()) return name.error();
  auto key = client_->Decrypt(*name, version.wrapped);
  std::lock_guard<std::mutex> lock(mu_);
  if (key.ok()) {
    unwrapped_.insert_or_assign(version.wrapped, *key);
    return key;
  }
  if (key.error().code == ErrorCode::kKmsUnreachable) {
    if (auto it = unwrapped_.find(version.wrapped); it != unwrapped_.end()) {
      ++from_memory_;
      return it->second;
    }
  }
  return key.error();
}

Result<std::string> TransitKeyring::NewWrapped(std::string_view kms) const {
  auto name = TransitName(kms);
  if (!name.ok()) return name.error();
  return client_->GenerateWrappedDataKey(*name);
}

Status TransitKeyring::RotateKek(std::string_view kms) const {
  auto name = TransitName(kms);
  if (!name.ok()) return name.error();
  return client_->Rotate(*name);
}

Result<std::string> TransitKeyring::Rewrap(const crypto::WrappedVersion& version) const {
  auto name = TransitName(version.kms);
  if (!name.ok()) return name.error();
  return client_->Rewrap(*name, version.wrapped);
}

uint64_t TransitKeyring::served_from_memory() const {
  std::lock_guard<std::mutex> lock(mu_);
  return from_memory_;
}

}  // namespace maskproxy::kms
