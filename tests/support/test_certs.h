// Certificates made at test time with the openssl CLI (nothing committed):
// a CA, a server certificate for 127.0.0.1 it signed, a client certificate
// it signed (CN=client), and the same client key signed by another CA
// (stranger.crt); revoked.crt and CRLs of the CA (below). Keys are P-256,
// valid one day.
//
//   static const auto certs = test_certs::Make("admin-tls");   // once per suite; removed at exit
//   certs->F("server.crt")
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
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

// Makes the files in a fresh temporary directory named after `tag`; the
// directory (private keys among its files) goes with the returned object.
inline std::unique_ptr<Dir> Make(const std::string& tag) {
  auto d = std::make_unique<Dir>();
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
      "  -days 1;"
      // revoked.crt (CN=revoked, from ca.crt) and the CA's CRLs that list it:
      // crl.pem (current), expired-crl.pem (its nextUpdate in 2020);
      // ca-crl.pem and ca-expired-crl.pem are ca.crt with one appended.
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout revoked.key -out revoked.csr "
      "  -subj /CN=revoked;"
      "openssl x509 -req -in revoked.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out revoked.crt -days 1;"
      "printf '[ca]\\ndefault_ca=d\\n[d]\\ndatabase=index.txt\\ncrlnumber=crlnumber\\ndefault_md=sha256\\n"
      "default_crl_days=1\\ncertificate=ca.crt\\nprivate_key=ca.key\\n' > ca.cnf;"
      "touch index.txt; echo 1000 > crlnumber;"
      "openssl ca -config ca.cnf -revoke revoked.crt >/dev/null;"
      "openssl ca -config ca.cnf -gencrl -out crl.pem >/dev/null;"
      "openssl ca -config ca.cnf -gencrl -crl_lastupdate 20200101000000Z -crl_nextupdate 20200201000000Z "
      "  -out expired-crl.pem >/dev/null;"
      "cat ca.crt crl.pem > ca-crl.pem; cat ca.crt expired-crl.pem > ca-expired-crl.pem;";
  { std::ofstream(d->path + "/make.sh") << script << "\n"; }
  d->ok = std::system(("bash '" + d->path + "/make.sh'").c_str()) == 0;
  if (!d->ok) d->error = ReadFile(d->path + "/openssl.log");
  return d;
}

}  // namespace maskproxy::test_certs
