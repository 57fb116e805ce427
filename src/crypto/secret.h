// SecretBytes: key material that is wiped on destruction and never printed.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace maskproxy::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::vector<uint8_t> bytes) : b_(std::move(bytes)) {}
  SecretBytes(const uint8_t* p, size_t n) : b_(p, p + n) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  SecretBytes(SecretBytes&& o) noexcept : b_(std::move(o.b_)) {}
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  ~SecretBytes();

  [[nodiscard]] const uint8_t* data() const { return b_.data(); }
  [[nodiscard]] size_t size() const { return b_.size(); }
  [[nodiscard]] bool empty() const { return b_.empty(); }

 private:
  void Wipe();
  std::vector<uint8_t> b_;
};

}  // namespace maskproxy::crypto
