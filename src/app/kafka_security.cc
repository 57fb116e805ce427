#include "app/kafka_security.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <tuple>

#include "common/file.h"

namespace maskproxy::app {
namespace {

Error Bad(std::string_view side, const std::string& key, const std::string& msg) {
  return Error(ErrorCode::kConfigInvalid, std::string(side) + ".security." + key + ": " + msg);
}

// A file librdkafka will open: it must exist, be a regular file and readable.
Status CheckReadable(std::string_view side, const std::string& key, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Bad(side, key, "cannot read " + path + " (no such file)");
  if (!S_ISREG(st.st_mode)) return Bad(side, key, path + " is not a regular file");
  if (::access(path.c_str(), R_OK) != 0) return Bad(side, key, "cannot read " + path + " (permission denied)");
  return Status::Ok();
}

// A file holding key material or a secret: also no access for group/others.
Status CheckPrivate(std::string_view side, const std::string& key, const std::string& path) {
  if (Status s = CheckReadable(side, key, path); !s.ok()) return s;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Bad(side, key, "cannot read " + path);
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Bad(
        side, key,
        path + " has mode " + mode + ": group or others can access it; it holds a secret (chmod 600 " + path + ")");
  }
  return Status::Ok();
}

// The secret in a file: its content without one trailing newline (CRLF or LF).
Result<std::string> ReadSecret(std::string_view side, const std::string& key, const std::string& path) {
  if (Status s = CheckPrivate(side, key, path); !s.ok()) return s.error();
  auto text = file::ReadRegular(path, ErrorCode::kConfigInvalid);
  if (!text.ok()) return Bad(side, key, "cannot read " + path + ": " + text.error().message);
  std::string v = std::move(text).value();
  if (!v.empty() && v.back() == '\n') v.pop_back();
  if (!v.empty() && v.back() == '\r') v.pop_back();
  if (v.empty()) return Bad(side, key, path + " is empty");
  if (v.find('\n') != std::string::npos) return Bad(side, key, path + " must hold one line (the secret)");
  return v;
}

}  // namespace

Result<std::map<std::string, std::string>> KafkaSecurityProperties(const KafkaSecurity& sec, std::string_view side) {
  std::map<std::string, std::string> p;
  if (sec.protocol == "plaintext") {
    p["security.protocol"] = "plaintext";
    return p;
  }
  if (sec.protocol != "ssl" && sec.protocol != "sasl_ssl")
    return Bad(side, "protocol", "unknown protocol (plaintext, ssl or sasl_ssl)");
  p["security.protocol"] = sec.protocol;
  // Certificates and host names are verified (librdkafka's defaults, kept
  // explicit: the config cannot turn them off).
  p["enable.ssl.certificate.verification"] = "true";
  p["ssl.endpoint.identification.algorithm"] = "https";
  if (!sec.ca_file.empty()) {
    if (Status s = CheckReadable(side, "ca_file", sec.ca_file); !s.ok()) return s.error();
    p["ssl.ca.location"] = sec.ca_file;
  }
  if (!sec.cert_file.empty()) {
    if (Status s = CheckReadable(side, "cert_file", sec.cert_file); !s.ok()) return s.error();
    if (Status s = CheckPrivate(side, "key_file", sec.key_file); !s.ok()) return s.error();
    p["ssl.certificate.location"] = sec.cert_file;
    p["ssl.key.location"] = sec.key_file;
  }
  if (!sec.key_password_file.empty()) {
    auto pw = ReadSecret(side, "key_password_file", sec.key_password_file);
    if (!pw.ok()) return pw.error();
    p["ssl.key.password"] = std::move(*pw);
  }
  if (sec.protocol == "sasl_ssl") {
    if (sec.sasl_mechanism.empty() || sec.sasl_username.empty() || sec.sasl_password_file.empty())
      return Bad(side, "sasl", "protocol sasl_ssl needs mechanism, username and password_file");
    auto pw = ReadSecret(side, "sasl.password_file", sec.sasl_password_file);
    if (!pw.ok()) return pw.error();
    p["sasl.mechanisms"] = sec.sasl_mechanism;
    p["sasl.username"] = sec.sasl_username;
    p["sasl.password"] = std::move(*pw);
  }
  return p;
}

Result<KafkaClientProperties> ClientProperties(const Config& config) {
  KafkaClientProperties out{config.source_properties, config.destination_properties};
  for (auto [sec, props, side] : {std::tuple{&config.source_security, &out.consumer, "source"},
                                  std::tuple{&config.destination_security, &out.producer, "destination"}}) {
    auto sp = KafkaSecurityProperties(*sec, side);
    if (!sp.ok()) return sp.error();
    for (auto& [k, v] : *sp) (*props)[k] = std::move(v);
  }
  return out;
}

}  // namespace maskproxy::app
