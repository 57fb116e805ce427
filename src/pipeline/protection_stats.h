// Per-interval protection statistics: every stats_interval_ms, one
// `protection_stats` log line per route of the engine in effect, with what
// was protected since the last line — per field (the rule's path) and
// action, per detector, records by outcome and dead letters by reason — and
// the values keep rules passed as they are (`kept`, never counted as
// protected), and the rules that met nothing in the interval (`unseen`), so that a
// field newly masked, or one that stopped appearing, shows. The numbers are
// the deltas of the metrics in counters.h (maskproxy_fields_protected_total,
// ...). Never a value: rule paths, action and detector names, counts.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/log.h"
#include "engine/engine.h"
#include "pipeline/counters.h"

namespace maskproxy::pipeline {

class ProtectionStats {
 public:
  // The fields of one route's line (for the log and tests).
  struct Line {
    std::vector<log::Field> fields;
  };
  // Computes the lines for the interval that ends now and remembers the
  // counts; Log() writes them.
  [[nodiscard]] std::vector<Line> Collect(const engine::Engine& engine, Counters& counters, int64_t interval_ms);
  void Log(const engine::Engine& engine, Counters& counters, int64_t interval_ms);

 private:
  uint64_t Delta(const metrics::Counter* c);
  std::unordered_map<const metrics::Counter*, uint64_t> last_;
};

}  // namespace maskproxy::pipeline
