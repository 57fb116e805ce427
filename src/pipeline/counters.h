// Every counter the pipeline exports, declared once (a struct of counters
// built from the registry in common/metrics.h when the pipeline is created),
// not registered at the call sites. Names and labels are what dashboards and
// tests read: do not change them.
#pragma once

#include <map>
#include <string>

#include "common/metrics.h"

namespace maskproxy::pipeline {

struct Counters {
  metrics::Counter& consumed;             // maskproxy_records_consumed_total
  metrics::Counter& masked;               // maskproxy_records_masked_total
  metrics::Counter& committed;            // maskproxy_transactions_committed_total
  metrics::Counter& aborted;              // maskproxy_transactions_aborted_total
  metrics::Counter& delivery_failed;      // maskproxy_delivery_failures_total
  metrics::Counter& pauses;               // maskproxy_backpressure_pauses_total
  metrics::Counter& reference_only;       // maskproxy_dead_letters_reference_only_total
  metrics::Counter& size_refused;         // maskproxy_size_refusals_total
  metrics::Counter& pii_scanned;          // maskproxy_pii_hits_total{kind="scan"}
  metrics::Counter& pii_unlisted;         // maskproxy_pii_hits_total{kind="unlisted"}
  metrics::Counter& producers_recreated;  // maskproxy_producers_recreated_total

  // Built from metrics::Global().
  [[nodiscard]] static Counters Create();

  // maskproxy_records_dead_lettered_total{reason}; one series per reason,
  // looked up once. Main thread only.
  metrics::Counter& DeadLettered(const std::string& reason);
  std::map<std::string, metrics::Counter*> dead_lettered_by_reason;  // filled by DeadLettered
};

}  // namespace maskproxy::pipeline
