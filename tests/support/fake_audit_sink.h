// An audit::Sink for tests (audit/audit.h): keeps the events in memory, and
// can be made to fail like a full disk (every Append is kAuditFailed until
// it is made to write again). Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit.h"

namespace maskproxy::test_audit {

class FakeAuditSink final : public audit::Sink {
 public:
  Status Append(const audit::Event& event) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (failing_) {
      ++failures_;
      failed_last_ = true;
      return Error(ErrorCode::kAuditFailed, "fake audit sink: No space left on device");
    }
    failed_last_ = false;
    events_.push_back(event);
    return Status::Ok();
  }
  // As the trail: the last append failed, until one (or a probe) succeeds.
  bool Failing() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_last_;
  }
  Status Probe() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (failing_) {
      ++failures_;
      return Error(ErrorCode::kAuditFailed, "fake audit sink: No space left on device");
    }
    failed_last_ = false;
    ++probes_;
    return Status::Ok();
  }
  int probes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return probes_;
  }
  std::string ValueDigest(std::string_view) const override { return std::string(32, '0'); }

  void SetFailing(bool failing) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_ = failing;
  }
  // Appends refused so far.
  int failures() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }
  std::vector<audit::Event> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  bool failing_ = false;
  bool failed_last_ = false;
  int failures_ = 0;
  int probes_ = 0;
  std::vector<audit::Event> events_;
};

// The string member `name` of `e` ("" when absent or not a string).
inline std::string Text(const audit::Event& e, std::string_view name) {
  for (const auto& [n, v] : e.fields)
    if (n == name) {
      if (const auto* s = std::get_if<std::string>(&v)) return *s;
    }
  return "";
}

}  // namespace maskproxy::test_audit
