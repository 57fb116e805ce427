// PII the engine's scans found in a masked record: counted by topic, field
// and detector, and, the first time a field no rule names carries a
// detector's PII, logged and written to the audit trail (never the value).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "common/metrics.h"
#include "engine/engine.h"
#include "pipeline/counters.h"

namespace maskproxy::pipeline {

class FindingReporter {
 public:
  FindingReporter(Counters& counters, std::string audit_log) : counters_(counters), audit_log_(std::move(audit_log)) {}

  // Counts what the scans of one masked record found (rec.findings).
  void Report(const engine::MaskedRecord& rec, const engine::RouteRef& route, const std::string& topic,
              int32_t partition, int64_t offset);

 private:
  // Field names of unlisted fields come from the records, so the series are
  // capped.
  static constexpr size_t kMaxFindingSeries = 1000;
  Counters& counters_;
  std::string audit_log_;  // empty: the log only
  std::unordered_map<std::string, metrics::Counter*> finding_series_;
};

}  // namespace maskproxy::pipeline
