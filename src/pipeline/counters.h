// Every metric the pipeline exports, declared once: the process-wide
// counters (a struct built from common/metrics.h's registry when the
// pipeline is created) and, per route of a policy version, its pre-resolved
// series (RouteInstruments), so that the record path only increments.
// Names and labels are what dashboards (deploy/grafana/maskproxy.json), the
// stats log lines and tests read: docs/METRICS.md lists them; do not rename.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "engine/engine.h"

namespace maskproxy::pipeline {

// The per-record counts (records by outcome, dead letters, values
// protected, detector hits, consumed and masked totals) of records that
// are not durable yet. Exactly-once: added to the counters only when the
// transaction holding the records commits; dropped when it aborts (its
// records are consumed and counted again), the dropped records counted in
// maskproxy_records_replayed_total instead. So a record replayed by ten
// aborts counts once. At-least-once: each record's counts go with it to the
// producer (`Take`) and are added when its delivery succeeds (`Apply`).
// Without `Defer(true)` every count goes to its counter at once (tools,
// benchmarks). Main thread only (the counters themselves are atomic).
// Counts by counter, for the tally: an open-addressing table keyed by the
// counter's address (a record adds a dozen counts; std::unordered_map's
// modulo and node allocations were most of the tally's cost), with the
// used entries listed for the walk and the reset.
class CountMap {
 public:
  void Add(metrics::Counter* c, uint64_t n);
  template <typename F>
  void ForEach(F&& f) const {
    for (uint32_t i : used_) f(table_[i].counter, table_[i].n);
  }
  void Clear();
  [[nodiscard]] size_t size() const { return used_.size(); }

 private:
  struct Entry {
    metrics::Counter* counter = nullptr;
    uint64_t n = 0;
  };
  void Grow();
  std::vector<Entry> table_;    // size a power of two (or 0), at most half full
  std::vector<uint32_t> used_;  // the indices in use, in the order added
};

class Tally {
 public:
  using Counts = std::vector<std::pair<metrics::Counter*, uint64_t>>;
  void Defer(bool on) { defer_ = on; }
  // One count of `c` for the record in hand.
  void Add(metrics::Counter& c, uint64_t n = 1) {
    if (defer_)
      open_.Add(&c, n);
    else
      c.Inc(n);
  }
  // One record counted (what an abort reports as replayed).
  void Record() { ++open_records_; }
  // The counts so far belong to the transaction that starts committing;
  // those added afterwards to the next one.
  void Seal();
  // The sealed transaction committed: its counts go to the counters.
  void Commit();
  // Everything not committed is given up (an abort, or a producer
  // replaced): the counts are dropped; returns how many records they were.
  uint64_t Drop();
  // At-least-once: the counts of the record in hand, taken out of the tally
  // to be applied when its delivery succeeds.
  [[nodiscard]] Counts Take();
  static void Apply(const Counts& counts) {
    for (const auto& [c, n] : counts) c->Inc(n);
  }
  [[nodiscard]] uint64_t pending_records() const { return open_records_ + sealed_records_; }

 private:
  bool defer_ = false;
  CountMap open_, sealed_;
  uint64_t open_records_ = 0, sealed_records_ = 0;
};

// The series of one route of one policy version, looked up once (on the
// first record of the route's topic after a start or an engine swap).
// Main thread only, except the counters themselves.
struct RouteInstruments {
  std::string route;               // the route's name (the `route` label)
  std::string policy_label;        // name@version#hash
  metrics::Counter* masked;        // maskproxy_records_total{route,outcome="masked"}
  metrics::Counter* passed;        // ...{outcome="passed"}: produced, nothing needed protecting
  metrics::Counter* dead;          // ...{outcome="dead_lettered"}
  metrics::Histogram* processing;  // maskproxy_record_processing_seconds{route}
  // maskproxy_fields_protected_total{route,field,action}, by rule index;
  // for a keep rule maskproxy_fields_kept_total{route,field}: a value kept
  // as it is was not protected (found by review: a tokenize -> keep change
  // counted 629 raw RRNs as protected, and their records as masked).
  std::vector<metrics::Counter*> by_rule;
  std::vector<char> protects;  // by rule index: its action changes what it meets (not keep)
  // The rules' labels (field, action), by rule index.
  std::vector<std::pair<std::string, std::string>> rule_labels;

  // A record produced to the destination: masked or passed, the values each
  // rule protected, the detectors' hits. The record path's whole cost
  // (bench/metrics_bench.cc).
  void CountProduced(Tally& tally, const engine::MaskedRecord& rec) {
    bool protected_any = !rec.findings.empty();
    for (int32_t rule : rec.applied) {
      tally.Add(*by_rule[static_cast<size_t>(rule)]);
      protected_any |= protects[static_cast<size_t>(rule)] != 0;
    }
    tally.Add(*(protected_any ? masked : passed));
    for (const engine::Finding& f : rec.findings) tally.Add(DetectorHit(f.detector));
    for (metrics::Counter* c : rec.unprotectable) tally.Add(*c);
  }
  // A record sent to the dead-letter topic.
  void CountDeadLetter(Tally& tally, std::string_view reason) {
    tally.Add(*dead);
    tally.Add(DeadLetter(reason));
  }

  // maskproxy_dead_letters_total{route,reason}
  metrics::Counter& DeadLetter(std::string_view reason);
  // maskproxy_detector_hits_total{route,detector}
  metrics::Counter& DetectorHit(std::string_view detector);
  std::map<std::string, metrics::Counter*, std::less<>> dead_letters;   // filled by DeadLetter
  std::map<std::string, metrics::Counter*, std::less<>> detector_hits;  // filled by DetectorHit
};

struct Counters {
  metrics::Counter& consumed;             // maskproxy_records_consumed_total
  metrics::Counter& masked;               // maskproxy_records_masked_total (produced to a destination)
  metrics::Counter& committed;            // maskproxy_transactions_committed_total
  metrics::Counter& aborted;              // maskproxy_transactions_aborted_total
  metrics::Counter& replayed;             // maskproxy_records_replayed_total (consumed again after an abort)
  metrics::Counter& delivery_failed;      // maskproxy_delivery_failures_total
  metrics::Counter& pauses;               // maskproxy_backpressure_pauses_total
  metrics::Counter& reference_only;       // maskproxy_dead_letters_reference_only_total
  metrics::Counter& size_refused;         // maskproxy_size_refusals_total
  metrics::Counter& pii_scanned;          // maskproxy_pii_hits_total{kind="scan"}
  metrics::Counter& pii_unlisted;         // maskproxy_pii_hits_total{kind="unlisted"}
  metrics::Counter& producers_recreated;  // maskproxy_producers_recreated_total
  metrics::Counter& start_committed;      // maskproxy_partition_starts_total{at="committed_offset"}
  metrics::Counter& start_reset;          // maskproxy_partition_starts_total{at="auto_offset_reset"}
  metrics::Counter& not_started;          // maskproxy_partitions_not_started_total
  metrics::Gauge& inflight_records;       // maskproxy_inflight_records
  metrics::Gauge& uncommitted_records;    // maskproxy_uncommitted_records
  metrics::Gauge& inflight_bytes;         // maskproxy_inflight_bytes
  metrics::Gauge& paused_partitions;      // maskproxy_paused_partitions
  metrics::Family& consumer_lag;          // maskproxy_consumer_lag_records{topic,partition}
  metrics::Family& assigned;              // maskproxy_assigned_partitions (no labels)

  // Built from metrics::Global().
  [[nodiscard]] static Counters Create();

  // maskproxy_records_dead_lettered_total{reason}; one series per reason,
  // looked up once. Main thread only.
  metrics::Counter& DeadLettered(const std::string& reason);
  std::map<std::string, metrics::Counter*> dead_lettered_by_reason;  // filled by DeadLettered

  // The series of one route (cached by policy label and route name). Main
  // thread only.
  RouteInstruments& ForRoute(const engine::RouteRef& route);
  std::map<std::string, std::unique_ptr<RouteInstruments>> routes;

  // The per-record counts not yet durable (exactly-once: until their
  // transaction commits). Main thread only.
  Tally tally;

  // maskproxy_policy_info{name,version,hash} 1 for each policy of the
  // engine (the previous set removed).
  static void SetPolicyInfo(const engine::Engine& engine);
};

}  // namespace maskproxy::pipeline
