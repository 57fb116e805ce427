// An audit::Sink for tests: keeps each event as one JSON-like line
// ({"event":"reveal","allowed":true,...}), fails every append when `fail`
// is set. ValueDigest is "d(" + size + ")": a value never appears.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "audit/audit.h"
#include "common/text.h"

namespace maskproxy::reveal::testing {

class MemorySink : public audit::Sink {
 public:
  Status Append(const audit::Event& event) override {
    std::lock_guard<std::mutex> lock(mu);
    if (fail) return Error(ErrorCode::kAuditFailed, "cannot append to the audit trail");
    std::string line = "{\"event\":" + text::JsonQuoted(audit::EventTypeName(event.type));
    for (const auto& [name, value] : event.fields) {
      line += "," + text::JsonQuoted(name) + ":";
      if (const auto* s = std::get_if<std::string>(&value))
        line += text::JsonQuoted(*s);
      else if (const auto* i = std::get_if<int64_t>(&value))
        line += std::to_string(*i);
      else if (const auto* b = std::get_if<bool>(&value))
        line += *b ? "true" : "false";
      else if (const auto* l = std::get_if<std::vector<std::string>>(&value)) {
        line += "[";
        for (size_t k = 0; k < l->size(); ++k) line += (k ? "," : "") + text::JsonQuoted((*l)[k]);
        line += "]";
      }
    }
    line += "}";
    lines.push_back(std::move(line));
    return Status::Ok();
  }
  std::string ValueDigest(std::string_view value) const override { return "d(" + std::to_string(value.size()) + ")"; }
  std::mutex mu;
  bool fail = false;
  std::vector<std::string> lines;
};

}  // namespace maskproxy::reveal::testing
