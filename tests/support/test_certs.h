// Certificates made at test time with the openssl CLI (nothing committed):
// a CA, a server certificate for 127.0.0.1 it signed, a client certificate
// it signed (CN=client), and the same client key signed by another CA
// (stranger.crt). Keys are P-256, valid one day.
//
//   static test_certs::Dir* certs = test_certs::Make("admin-tls");   // once per suite
//   certs->F("server.crt")
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace maskproxy::test_certs {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Dir {
  std::string path;
  bool ok = false;
  std::string error;  // the openssl log when !ok
  [[nodiscard]] std::string F(const std::string& name) const { return path + "/" + name; }
  ~Dir() { std::filesystem::remove_all(path); }
};

// Makes the files in a fresh temporary directory named after `tag`.
inline Dir* Make(const std::string& tag) {
  auto* d = new Dir;
  d->path = std::filesystem::temp_directory_path() / (tag + "-" + std::to_string(getpid()));
  std::filesystem::create_directories(d->path);
  const std::string script =
      "set -e; cd '" + d->path +
      "'; exec 2>openssl.log;"
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt "
      "  -days 1 -subj /CN=test-ca;"
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other-ca.key -out other-ca.crt "
      "  -days 1 -subj /CN=other-ca;"
      "for n in server client; do openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $n.key "
      "  -out $n.csr -subj /CN=$n; done;"
      "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext;"
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 "
      "  -extfile san.ext;"
      "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 1;"
      "openssl x509 -req -in client.csr -CA other-ca.crt -CAkey other-ca.key -CAcreateserial -out stranger.crt "
      "  -days 1;";
  { std::ofstream(d->path + "/make.sh") << script << "\n"; }
  d->ok = std::system(("bash '" + d->path + "/make.sh'").c_str()) == 0;
  if (!d->ok) d->error = ReadFile(d->path + "/openssl.log");
  return d;
}

}  // namespace maskproxy::test_certs
