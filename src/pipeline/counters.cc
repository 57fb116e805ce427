#include "pipeline/counters.h"

namespace maskproxy::pipeline {

Counters Counters::Create() {
  auto& r = metrics::Global();
  return Counters{
      *r.GetCounter("maskproxy_records_consumed_total", "Records read from source topics"),
      *r.GetCounter("maskproxy_records_masked_total", "Masked records produced to destination topics"),
      *r.GetCounter("maskproxy_transactions_committed_total", "Kafka transactions committed"),
      *r.GetCounter("maskproxy_transactions_aborted_total", "Kafka transactions aborted (records replayed)"),
      *r.GetCounter("maskproxy_delivery_failures_total", "Produce deliveries that failed"),
      *r.GetCounter("maskproxy_backpressure_pauses_total", "Times consumption paused for in-flight limits"),
      *r.GetCounter("maskproxy_dead_letters_reference_only_total",
                    "Records too large for their dead-letter topic: sent as references (no data)"),
      *r.GetCounter("maskproxy_size_refusals_total",
                    "Records the producer or the broker refused for their size (replayed)"),
      *r.GetCounter("maskproxy_pii_hits_total", "PII found and protected by scans", {{"kind", "scan"}}),
      *r.GetCounter("maskproxy_pii_hits_total", "PII found and protected by scans", {{"kind", "unlisted"}}),
      *r.GetCounter("maskproxy_producers_recreated_total",
                    "Transactional producers replaced after a fatal error that did not fence this instance"),
      {}};
}

metrics::Counter& Counters::DeadLettered(const std::string& reason) {
  auto it = dead_lettered_by_reason.find(reason);
  if (it != dead_lettered_by_reason.end()) return *it->second;
  auto* c = metrics::Global().GetCounter("maskproxy_records_dead_lettered_total",
                                         "Records sent to a dead-letter topic, by reason", {{"reason", reason}});
  dead_lettered_by_reason.emplace(reason, c);
  return *c;
}

}  // namespace maskproxy::pipeline
