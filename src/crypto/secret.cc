#include "crypto/secret.h"

#include <openssl/crypto.h>

namespace maskproxy::crypto {

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    Wipe();
    b_ = std::move(o.b_);
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  Wipe();
}

void SecretBytes::Wipe() {
  if (!b_.empty()) OPENSSL_cleanse(b_.data(), b_.size());
  b_.clear();
}

}  // namespace maskproxy::crypto
