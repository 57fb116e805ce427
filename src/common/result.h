// Result<T>: the error-as-value type used on every fallible path.
//
// Errors carry a stable machine-readable code (an ErrorCode, common/error_code.h;
// its name is used for metrics labels and dead-letter headers) and a human
// message. Messages must never contain a PII
// value or key material: they describe *where* and *why*, never *what*.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "common/error_code.h"

namespace maskproxy {

struct [[nodiscard]] Error {
  ErrorCode code = ErrorCode::kInternal;  // stable; ErrorCodeName(code) is "invalid_json", ...
  std::string message;                    // for humans; never contains a record value or key

  Error() = default;
  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}
  [[nodiscard]] std::string ToString() const { return std::string(ErrorCodeName(code)) + ": " + message; }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  [[nodiscard]] T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  [[nodiscard]] const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  [[nodiscard]] T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  [[nodiscard]] const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  static Status Ok() { return Status(); }

  [[nodiscard]] bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] const Error& error() const {
    assert(!ok());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace maskproxy
