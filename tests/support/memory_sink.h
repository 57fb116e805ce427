// An audit::Sink in memory for the tests of the modules that audit: the
// events appended, and a switch that makes Append fail (kAuditFailed) as a
// full disk would.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit.h"

namespace maskproxy::test_support {

class MemorySink : public audit::Sink {
 public:
  Status Append(const audit::Event& event) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_) return Error(ErrorCode::kAuditFailed, "memory sink: failing on purpose");
    events_.push_back(event);
    return Status::Ok();
  }
  std::string ValueDigest(std::string_view value) const override { return "digest-of-" + std::to_string(value.size()); }

  void SetFailing(bool fail) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = fail;
  }
  std::vector<audit::Event> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  // The event names, in order.
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& e : events()) out.emplace_back(audit::EventTypeName(e.type));
    return out;
  }

 private:
  mutable std::mutex mu_;
  bool fail_ = false;
  std::vector<audit::Event> events_;
};

}  // namespace maskproxy::test_support
