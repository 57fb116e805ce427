#include "admin/client_ca.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

namespace maskproxy::admin {

void StoreFree::operator()(X509_STORE* s) const {
  X509_STORE_free(s);
}

Result<ClientCaStore> LoadClientCaStore(const std::string& path) {
  ClientCaStore out;
  out.store.reset(X509_STORE_new());
  if (!out.store) return Error(ErrorCode::kConfigInvalid, "admin TLS client CA " + path + ": out of memory");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
  if (!bio) {
    ERR_clear_error();
    return Error(ErrorCode::kConfigInvalid, "admin TLS client CA " + path + ": cannot be read");
  }
  std::unique_ptr<STACK_OF(X509_INFO), void (*)(STACK_OF(X509_INFO)*)> infos(
      PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr),
      [](STACK_OF(X509_INFO) * s) { sk_X509_INFO_pop_free(s, X509_INFO_free); });
  if (!infos) {
    ERR_clear_error();
    return Error(ErrorCode::kConfigInvalid,
                 "admin TLS client CA " + path + ": not PEM certificates and CRLs (a block does not parse)");
  }
  time_t now = time(nullptr);
  for (int i = 0; i < sk_X509_INFO_num(infos.get()); ++i) {
    X509_INFO* info = sk_X509_INFO_value(infos.get(), i);
    if (info->x509) {
      if (X509_STORE_add_cert(out.store.get(), info->x509) != 1) {
        ERR_clear_error();
        continue;  // the same certificate twice
      }
      ++out.certificates;
    }
    if (info->crl) {
      if (X509_STORE_add_crl(out.store.get(), info->crl) != 1) {
        ERR_clear_error();
        continue;
      }
      ++out.crls;
      const ASN1_TIME* next = X509_CRL_get0_nextUpdate(info->crl);
      if (next && X509_cmp_time(next, &now) < 0) ++out.crls_expired;
    }
  }
  if (out.certificates == 0)
    return Error(ErrorCode::kConfigInvalid, "admin TLS client CA " + path + ": holds no certificate");
  if (out.crls > 0) X509_STORE_set_flags(out.store.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  return out;
}

Status VerifyClientCertificate(X509_STORE* store, X509* cert) {
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store, cert, nullptr) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kConfigInvalid, "cannot set up the certificate check");
  }
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return Error(ErrorCode::kConfigInvalid, X509_verify_cert_error_string(err));
  }
  return Status::Ok();
}

bool FileStamp::operator==(const FileStamp& o) const {
  return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
         mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
}

FileStamp StampOf(const std::string& path) {
  struct stat st {};
  FileStamp s;
  if (::stat(path.c_str(), &st) != 0) return s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime = st.st_mtim;
  s.ctime = st.st_ctim;
  return s;
}

}  // namespace maskproxy::admin
