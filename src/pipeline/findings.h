// PII the engine's scans found in a masked record: counted by topic, field
// and detector, and, the first time a field no rule names carries a
// detector's PII, logged (within the metric cap) and appended to the audit
// trail (always) as a schema_drift
// event (route, field path, detector, topic/partition/offset; never the
// value) through the audit gate, before the record is produced.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/metrics.h"
#include "engine/engine.h"
#include "pipeline/audit_gate.h"
#include "pipeline/counters.h"

namespace maskproxy::pipeline {

class FindingReporter {
 public:
  FindingReporter(Counters& counters, AuditGate& audit) : counters_(counters), audit_(audit) {}

  // Counts what the scans of one masked record found (rec.findings); new
  // sightings of schema drift are appended to the trail, and added to
  // `appended` (for the audit topic). kAuditFailed: the trail could not
  // write one (the gate is down and retries it); the record must not be
  // produced.
  [[nodiscard]] Status Report(const engine::MaskedRecord& rec, const engine::RouteRef& route, const std::string& topic,
                              int32_t partition, int64_t offset, std::vector<audit::Event>* appended);

 private:
  // Field names of unlisted fields come from the records, so the series are
  // capped.
  static constexpr size_t kMaxFindingSeries = 1000;
  Counters& counters_;
  AuditGate& audit_;
  // Sightings already in the trail (topic, field, detector). Bounded: past
  // the bound every sighting not in it is written (more entries, none
  // missing).
  static constexpr size_t kMaxAuditedSightings = 100000;
  std::unordered_set<std::string> audited_;
  std::unordered_map<std::string, metrics::Counter*> finding_series_;
  // New unlisted fields past the series cap since the last line that said so.
  uint64_t unlogged_ = 0;
  bool unlogged_said_ = false;
  std::chrono::steady_clock::time_point unlogged_said_at_;
};

}  // namespace maskproxy::pipeline
