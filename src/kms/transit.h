// OpenBao (Vault-compatible) Transit as the KMS of envelope encryption: the
// key-encryption keys (KEKs) live in Transit and never leave it; a keyring
// entry holds only a data key wrapped by one of them ("vault:v1:...").
//
//   auto transit = kms::TransitClient::Create({.address = "https://bao:8200", .token = token});
//   auto wrapped = (*transit)->GenerateWrappedDataKey("maskproxy");   // plaintext never requested
//   auto key = (*transit)->Decrypt("maskproxy", *wrapped);             // SecretBytes, 32 bytes
//
// Calls (Transit HTTP API, header X-Vault-Token):
//   POST /v1/<mount>/datakey/wrapped/<name>  {"bits":256}          -> data.ciphertext
//   POST /v1/<mount>/decrypt/<name>          {"ciphertext":...}    -> data.plaintext (base64)
//   POST /v1/<mount>/keys/<name>/rotate
//   POST /v1/<mount>/rewrap/<name>           {"ciphertext":...}    -> data.ciphertext
//   GET  /v1/sys/health                                             (the reachability probe)
//
// Errors are values with a stable code: kKmsUnreachable (no connection, TLS,
// timeout, HTTP 5xx: sealed or unavailable), kKmsDenied (HTTP 401/403: the
// token), kKmsFailed (any other refusal, a response that is not what Transit
// answers). Messages name the address, the operation and the Transit key,
// and Transit's own error text; never the token, a plaintext or a body.
// Each call counts maskproxy_kms_requests_total{op,result} and sets
// maskproxy_kms_up (1 after an answer, 0 after no answer).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"
#include "crypto/keyring.h"
#include "crypto/secret.h"
#include "net/http_client.h"

namespace maskproxy::kms {

// What the client sends requests through: net::HttpClient in production, a
// fake in tests.
class Transport {
 public:
  virtual ~Transport() = default;
  [[nodiscard]] virtual Result<net::Response> Send(const net::Request& request) const = 0;
};

struct TransitOptions {
  std::string address;  // http(s)://host:port, no path; http only on a loopback address
  std::string token;    // the X-Vault-Token; never logged
  std::string mount = "transit";
  std::string ca_file;  // https: the CA bundle; empty: the system's
  int timeout_ms = 5000;
};

class TransitClient {
 public:
  // `transport` null: an HTTP client made from the options. Refuses an
  // address that is not http(s)://host:port, plain http to a host that is not
  // loopback (the token would cross the network in clear), an empty token.
  [[nodiscard]] static Result<std::unique_ptr<TransitClient>> Create(TransitOptions options,
                                                                     std::unique_ptr<Transport> transport = nullptr);
  ~TransitClient();
  TransitClient(const TransitClient&) = delete;
  TransitClient& operator=(const TransitClient&) = delete;

  // A new 256-bit data key wrapped by Transit key `name`; only the wrapped
  // form is asked for, so the clear key never exists here.
  [[nodiscard]] Result<std::string> GenerateWrappedDataKey(std::string_view name) const;
  // Unwraps a data key; the response's buffers are wiped.
  [[nodiscard]] Result<crypto::SecretBytes> Decrypt(std::string_view name, std::string_view ciphertext) const;
  // A new version of Transit key `name` (the KEK).
  [[nodiscard]] Status Rotate(std::string_view name) const;
  // Re-encrypts a wrapped key under the KEK's latest version (the data key
  // does not change and is not seen here).
  [[nodiscard]] Result<std::string> Rewrap(std::string_view name, std::string_view ciphertext) const;
  // Whether the server answers (GET /v1/sys/health; unsealed and active or standby).
  [[nodiscard]] Status Probe() const;

  [[nodiscard]] const std::string& address() const { return options_.address; }

 private:
  TransitClient(TransitOptions options, std::unique_ptr<Transport> transport);
  Result<net::Response> Call(std::string_view op, std::string_view name, const std::string& method,
                             const std::string& path, std::string body) const;

  TransitOptions options_;
  std::unique_ptr<Transport> transport_;
};

// "transit:NAME" -> NAME; "" when `kms` is not of that form.
[[nodiscard]] std::string TransitKeyName(std::string_view kms);

// The keyring's KeyWrapper over Transit (entries {kms: "transit:NAME",
// wrapped: ...}). Each data key it unwraps is kept in memory, by its wrapped
// form: when the KMS is unreachable (kKmsUnreachable, not a refusal) a
// version unwrapped before is answered from memory, so the running proxy
// keeps its keys and a reload of an unchanged keyring still works; a new
// wrapped version fails with the KMS's error. Nothing is written anywhere.
class TransitKeyring : public crypto::KeyWrapper {
 public:
  explicit TransitKeyring(std::shared_ptr<const TransitClient> client) : client_(std::move(client)) {}

  [[nodiscard]] Result<crypto::SecretBytes> Unwrap(const crypto::WrappedVersion& version) const override;
  [[nodiscard]] Result<std::string> NewWrapped(std::string_view kms) const override;
  [[nodiscard]] Status RotateKek(std::string_view kms) const override;
  [[nodiscard]] Result<std::string> Rewrap(const crypto::WrappedVersion& version) const override;

  [[nodiscard]] const TransitClient& client() const { return *client_; }
  // How many unwraps were answered from memory because the KMS was unreachable.
  [[nodiscard]] uint64_t served_from_memory() const;

 private:
  std::shared_ptr<const TransitClient> client_;
  mutable std::mutex mu_;
  mutable std::map<std::string, crypto::SecretBytes, std::less<>> unwrapped_;  // wrapped form -> data key
  mutable uint64_t from_memory_ = 0;
};

}  // namespace maskproxy::kms
