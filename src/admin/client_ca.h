// The client CA file of the admin listener (admin.tls.client_ca_file): the
// CA certificates that issue client certificates and, in the same PEM file,
// the CRLs they publish. The listener and `maskproxy reveal --offline
// --cert` verify a client certificate with the same store.
//
// A file that holds a CRL turns revocation checking on for every
// certificate of a client's chain below the trust anchor
// (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL, as nginx's ssl_crl):
// a certificate a CRL lists is refused, and so is one whose issuer has no
// CRL in the file (append a CRL of each issuing CA), and every one once
// its issuer's CRL is past its nextUpdate (fail closed: a CRL that is no
// longer refreshed vouches for nothing). A file without a CRL checks none.
#pragma once

#include <openssl/types.h>
#include <sys/types.h>

#include <ctime>
#include <memory>
#include <string>

#include "common/result.h"

namespace maskproxy::admin {

struct StoreFree {
  void operator()(X509_STORE* s) const;
};
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;

struct ClientCaStore {
  StorePtr store;
  size_t certificates = 0;
  size_t crls = 0;
  size_t crls_expired = 0;  // past their nextUpdate now: every chain through their CA is refused
};

// Reads `path` (PEM certificates and CRLs; at least one certificate).
[[nodiscard]] Result<ClientCaStore> LoadClientCaStore(const std::string& path);

// Verifies `cert` as a TLS client certificate under the store now; the
// error names OpenSSL's reason ("certificate revoked", "CRL has expired").
[[nodiscard]] Status VerifyClientCertificate(X509_STORE* store, X509* cert);

// What identifies the file's content for a reload: the status change time,
// modification time, size and inode (a file replaced by a rename, or
// written in place, differs).
struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{};
  timespec ctime{};
  bool operator==(const FileStamp& o) const;
};
[[nodiscard]] FileStamp StampOf(const std::string& path);

}  // namespace maskproxy::admin
