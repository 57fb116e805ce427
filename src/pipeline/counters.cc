#include "pipeline/counters.h"

#include <set>

namespace maskproxy::pipeline {
namespace {

// A route's series; bounded by the routes and rules of the loaded policies.
constexpr size_t kMaxRouteSeries = 2000;

metrics::Family& RecordsFamily() {
  static metrics::Family& f = metrics::Global().Counters(
      "maskproxy_records_total",
      "Records by route and outcome: masked (something protected), passed (produced, nothing to protect), "
      "dead_lettered",
      {"route", "outcome"}, kMaxRouteSeries);
  return f;
}
metrics::Family& DeadLettersFamily() {
  static metrics::Family& f = metrics::Global().Counters(
      "maskproxy_dead_letters_total", "Records sent to a dead-letter topic, by route and reason code",
      {"route", "reason"}, kMaxRouteSeries);
  return f;
}
metrics::Family& FieldsFamily() {
  static metrics::Family& f = metrics::Global().Counters(
      "maskproxy_fields_protected_total",
      "Values protected by a rule, by route, the rule's path as the policy writes it ($key, $header.NAME) and action",
      {"route", "field", "action"}, kMaxRouteSeries);
  return f;
}
metrics::Family& KeptFamily() {
  static metrics::Family& f = metrics::Global().Counters(
      "maskproxy_fields_kept_total",
      "Values a keep rule passed as they are (not protected), by route and the rule's path as the policy writes it",
      {"route", "field"}, kMaxRouteSeries);
  return f;
}
metrics::Family& DetectorsFamily() {
  static metrics::Family& f = metrics::Global().Counters(
      "maskproxy_detector_hits_total",
      "PII found by detectors (scan rules and the unlisted-field guard), by route and detector", {"route", "detector"},
      kMaxRouteSeries);
  return f;
}
metrics::Family& ProcessingFamily() {
  static metrics::Family& f = metrics::Global().Histograms(
      "maskproxy_record_processing_seconds",
      "Time from a consumed record to its hand-over to the producer (masking included), by route",
      metrics::LatencyBuckets(), {"route"}, 200);
  return f;
}
metrics::Family& PolicyInfoFamily() {
  static metrics::Family& f =
      metrics::Global().Gauges("maskproxy_policy_info", "Policies in effect (always 1): name, version and file hash",
                               {"name", "version", "hash"}, 200);
  return f;
}

}  // namespace

Counters Counters::Create() {
  auto& r = metrics::Global();
  // Declared here so that they are on the page from the start (0), and
  // dashboards find them.
  (void)metrics::Reloads("ok");
  (void)metrics::Reloads("rejected");
  (void)metrics::PolicyFilesRejected();
  (void)RecordsFamily();
  (void)DeadLettersFamily();
  (void)FieldsFamily();
  (void)DetectorsFamily();
  (void)ProcessingFamily();
  (void)PolicyInfoFamily();
  return Counters{
      *r.GetCounter("maskproxy_records_consumed_total", "Records read from source topics"),
      *r.GetCounter("maskproxy_records_masked_total", "Masked records produced to destination topics"),
      *r.GetCounter("maskproxy_transactions_committed_total", "Kafka transactions committed"),
      *r.GetCounter("maskproxy_transactions_aborted_total", "Kafka transactions aborted (records replayed)"),
      *r.GetCounter("maskproxy_records_replayed_total",
                    "Records processed again: exactly-once, in a transaction that aborted; at-least-once, after "
                    "a failed or unacknowledged delivery (not in the record counts until they commit or are "
                    "delivered)"),
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
      *r.GetCounter("maskproxy_partition_starts_total",
                    "Source partitions librdkafka found no position for, started by maskproxy: at the group's "
                    "committed offset (librdkafka had lost it) or at auto.offset.reset (none committed)",
                    {{"at", "committed_offset"}}),
      *r.GetCounter("maskproxy_partition_starts_total",
                    "Source partitions librdkafka found no position for, started by maskproxy: at the group's "
                    "committed offset (librdkafka had lost it) or at auto.offset.reset (none committed)",
                    {{"at", "auto_offset_reset"}}),
      *r.GetCounter("maskproxy_partitions_not_started_total",
                    "Assigned source partitions librdkafka had not started fetching within "
                    "partition_start_watch_ms (librdkafka #5586), handed to maskproxy to start"),
      *r.Gauges("maskproxy_inflight_records", "Records produced and not yet acknowledged").GaugeWith({}),
      *r.Gauges("maskproxy_uncommitted_records",
                "Records consumed and not yet committed: in the open and the committing transaction and waiting "
                "for it (exactly-once), produced and not yet acknowledged (at-least-once)")
           .GaugeWith({}),
      *r.Gauges("maskproxy_inflight_bytes", "Bytes of records produced and not yet acknowledged").GaugeWith({}),
      *r.Gauges("maskproxy_paused_partitions", "Source partitions paused (backpressure, or the audit trail down)")
           .GaugeWith({}),
      r.Gauges("maskproxy_consumer_lag_records",
               "Records behind the high watermark, per assigned source partition (sampled every second)",
               {"topic", "partition"}),
      r.Gauges("maskproxy_assigned_partitions", "Source partitions assigned to this instance"),
      {},
      {},
      {}};
}

void CountMap::Add(metrics::Counter* c, uint64_t n) {
  if (used_.size() * 2 >= table_.size()) Grow();
  const size_t mask = table_.size() - 1;
  // Fibonacci hashing of the address; the low bits are alignment.
  size_t i = static_cast<size_t>((reinterpret_cast<uintptr_t>(c) >> 4) * 0x9E3779B97F4A7C15ULL >> 32) & mask;
  for (;; i = (i + 1) & mask) {
    Entry& e = table_[i];
    if (e.counter == c) {
      e.n += n;
      return;
    }
    if (e.counter == nullptr) {
      e.counter = c;
      e.n = n;
      used_.push_back(static_cast<uint32_t>(i));
      return;
    }
  }
}

void CountMap::Grow() {
  std::vector<Entry> old;
  old.swap(table_);
  std::vector<uint32_t> used;
  used.swap(used_);
  table_.resize(old.empty() ? 64 : old.size() * 2);
  used_.reserve(table_.size() / 2);
  for (uint32_t i : used) Add(old[i].counter, old[i].n);
}

void CountMap::Clear() {
  for (uint32_t i : used_) table_[i] = Entry{};
  used_.clear();
}

void Tally::Seal() {
  open_.ForEach([&](metrics::Counter* c, uint64_t n) { sealed_.Add(c, n); });
  open_.Clear();
  sealed_records_ += open_records_;
  open_records_ = 0;
}

void Tally::Commit() {
  sealed_.ForEach([](metrics::Counter* c, uint64_t n) { c->Inc(n); });
  sealed_.Clear();
  sealed_records_ = 0;
}

Tally::Counts Tally::Take() {
  Counts out;
  out.reserve(open_.size());
  open_.ForEach([&](metrics::Counter* c, uint64_t n) { out.emplace_back(c, n); });
  open_.Clear();
  open_records_ = 0;
  return out;
}

uint64_t Tally::Drop() {
  const uint64_t records = open_records_ + sealed_records_;
  open_.Clear();
  sealed_.Clear();
  open_records_ = sealed_records_ = 0;
  return records;
}

metrics::Counter& Counters::DeadLettered(const std::string& reason) {
  auto it = dead_lettered_by_reason.find(reason);
  if (it != dead_lettered_by_reason.end()) return *it->second;
  auto* c = metrics::Global().GetCounter("maskproxy_records_dead_lettered_total",
                                         "Records sent to a dead-letter topic, by reason", {{"reason", reason}});
  dead_lettered_by_reason.emplace(reason, c);
  return *c;
}

RouteInstruments& Counters::ForRoute(const engine::RouteRef& ref) {
  const policy::Route& rt = *ref.route;
  std::string id = ref.policy_label;
  id.append(1, '\x1f').append(rt.name);
  auto it = routes.find(id);
  if (it != routes.end()) return *it->second;
  auto ri = std::make_unique<RouteInstruments>();
  ri->route = rt.name;
  ri->policy_label = ref.policy_label;
  ri->masked = RecordsFamily().CounterWith({rt.name, "masked"});
  ri->passed = RecordsFamily().CounterWith({rt.name, "passed"});
  ri->dead = RecordsFamily().CounterWith({rt.name, "dead_lettered"});
  ri->processing = ProcessingFamily().HistogramWith({rt.name});
  for (const policy::Rule& rule : rt.rules) {
    std::string field;
    switch (rule.target) {
      case policy::Target::kValue: field = rule.path.text; break;
      case policy::Target::kKey: field = "$key"; break;
      case policy::Target::kHeader: field = "$header." + rule.header; break;
    }
    const bool keep = rule.action_name == "keep";
    ri->by_rule.push_back(keep ? KeptFamily().CounterWith({rt.name, field})
                               : FieldsFamily().CounterWith({rt.name, field, rule.action_name}));
    ri->protects.push_back(keep ? 0 : 1);
    ri->rule_labels.emplace_back(std::move(field), rule.action_name);
  }
  return *routes.emplace(std::move(id), std::move(ri)).first->second;
}

metrics::Counter& RouteInstruments::DeadLetter(std::string_view reason) {
  auto it = dead_letters.find(reason);
  if (it != dead_letters.end()) return *it->second;
  auto* c = DeadLettersFamily().CounterWith({route, reason});
  dead_letters.emplace(std::string(reason), c);
  return *c;
}

metrics::Counter& RouteInstruments::DetectorHit(std::string_view detector) {
  auto it = detector_hits.find(detector);
  if (it != detector_hits.end()) return *it->second;
  auto* c = DetectorsFamily().CounterWith({route, detector});
  detector_hits.emplace(std::string(detector), c);
  return *c;
}

void Counters::SetPolicyInfo(const engine::Engine& engine) {
  metrics::Family& f = PolicyInfoFamily();
  f.Clear();
  std::set<const policy::Policy*> seen;
  for (const engine::RouteRef& r : engine.routes()) {
    if (!seen.insert(r.policy).second) continue;
    const std::string version = std::to_string(r.policy->version());
    f.GaugeWith({r.policy->name(), version, r.policy->hash()})->Set(1);
  }
}

}  // namespace maskproxy::pipeline
