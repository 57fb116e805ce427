// The pipeline's side of the audit trail (audit/audit.h): every audit event
// of the pipeline (schema-drift sightings, dead-letter summaries) goes
// through this gate, which fails closed. An Append the sink cannot make
// durable puts the gate down: the caller aborts what the event speaks of
// (the transaction is aborted and rewound, the record is not produced), the
// main loop stops consuming, /readyz says audit_sink_down, and once a second
// the event that failed is appended again; when that succeeds the gate is up
// and consumption resumes. Nothing is forwarded that could not be audited.
//
// What bounds the time between a sink failure and the stop: a record with a
// new schema-drift sighting finds it at once (its event is appended before
// the record is handed to the producer); a transaction holding dead letters
// finds it before it commits (the summary of its dead letters is appended
// first); otherwise the dead-letter summary appended every
// `summary_interval_ms` while records flow (the stats interval) does.
// Records flowing in that window carry nothing the trail would have to say.
//
// Main thread only (the loop, the delivery classes, the rebalance callback
// that runs inside the consumer poll), except the health getters.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/audit.h"
#include "common/metrics.h"
#include "common/result.h"

namespace maskproxy::pipeline {

class AuditGate {
 public:
  using Clock = std::chrono::steady_clock;

  // sink may be null (no trail: the gate is always up and appends nothing).
  // topic: the audit topic ("" for none).
  AuditGate(std::shared_ptr<audit::Sink> sink, std::string topic, int summary_interval_ms);

  [[nodiscard]] bool enabled() const { return sink_ != nullptr; }
  [[nodiscard]] const std::string& topic() const { return topic_; }

  // Appends `event` durably. Error kAuditFailed: the gate is down (logged
  // once as audit_sink_down, counted); the event is kept and retried by
  // Retry(); the caller must not go on with what it speaks of.
  [[nodiscard]] Status Append(const audit::Event& event);

  [[nodiscard]] bool down() const { return down_.load(); }
  // Another writer of the sink (the reveal service, a reload) failed to
  // append (audit::Sink::Failing): the gate goes down as if its own append
  // had failed (consumption stops, readiness and maskproxy_audit_sink_up
  // say so), and Retry probes the sink until it writes (found by review:
  // reveals refused for a full trail while the proxy reported it healthy).
  // Main thread, once per turn of the loop.
  void Observe();
  // The error that put the gate down ("" when up).
  [[nodiscard]] std::string down_reason() const;
  // The sink's last append, by any writer, failed (it may not be down yet:
  // the main loop's next turn puts it down). Any thread.
  [[nodiscard]] bool sink_failing() const { return sink_ && sink_->Failing(); }

  // While down: appends the event that failed again, at most once per
  // `retry_every`. True when it succeeded (the gate is up, logged
  // audit_sink_up); the event is then available from TakeRecovered() for
  // the audit topic.
  [[nodiscard]] bool Retry(Clock::time_point now, std::chrono::milliseconds retry_every = std::chrono::seconds(1));
  // Events a Retry() wrote to the trail that still have to go to the audit
  // topic (in the next transaction).
  [[nodiscard]] std::vector<audit::Event> TakeRecovered();

  // The audit topic's copies in Kafka transactions (exactly-once: the
  // delivery class calls TrackTransactions() at start). An event on the
  // topic is in the transaction of the records it speaks of; when that
  // transaction aborts, its records are replayed but their events are not
  // appended again (they are in the trail already): the copies of an
  // aborted transaction are produced again in the next one.
  void TrackTransactions() { track_txns_ = true; }
  void OnTopic(const audit::Event& event) {
    if (track_txns_) in_txn_.push_back(event);
  }
  // The transaction holding the copies so far is about to commit / has
  // committed / was aborted (its copies and the later ones go again).
  void TopicTxnCommitting();
  void TopicTxnCommitted() { committing_.clear(); }
  void TopicTxnAborted();

  // One consumed record (for the summary's record count and the interval
  // check) and one dead letter of a route for a reason.
  void NoteRecord() { ++records_; }
  void NoteDeadLetter(const std::string& route, std::string_view reason);

  // Before offsets commit: is a dead-letter summary due? Yes when dead
  // letters are counted and not yet in the trail (they must be before their
  // records commit), or when the interval passed while records flowed.
  [[nodiscard]] bool SummaryDue(Clock::time_point now) const;
  // Builds the kDeadLetters event of the counts since the last one (and
  // resets them) and appends it; on success returns it (for the audit
  // topic). On failure the gate is down, the event kept for Retry().
  [[nodiscard]] Result<audit::Event> AppendSummary(Clock::time_point now);

  // The schema_drift event of one sighting (names and coordinates only).
  [[nodiscard]] static audit::Event DriftEvent(const std::string& policy, const std::string& route,
                                               const std::string& topic, const std::string& field,
                                               const std::string& detector, int32_t partition, int64_t offset);

  // The event as one JSON object (the audit topic's record value): "event"
  // and the fields in order. Never a value: events hold names and counts.
  [[nodiscard]] static std::string ToJson(const audit::Event& event);

 private:
  void GoDown(const Error& why);
  bool probe_ = false;  // down through Observe: Retry probes the sink

  std::shared_ptr<audit::Sink> sink_;
  const std::string topic_;
  const std::chrono::milliseconds summary_interval_;
  metrics::Gauge& up_gauge_;
  metrics::Counter& failures_;
  std::atomic<bool> down_{false};
  mutable std::mutex reason_mu_;
  std::string reason_;                   // guarded by reason_mu_
  std::optional<audit::Event> pending_;  // the event that failed
  std::vector<audit::Event> recovered_;  // written by Retry(), not yet on the topic
  bool track_txns_ = false;
  std::vector<audit::Event> in_txn_;      // on the topic in the open transaction (or the backlog)
  std::vector<audit::Event> committing_;  // on the topic in the transaction being committed
  Clock::time_point last_retry_{};
  Clock::time_point last_summary_ = Clock::now();
  uint64_t records_ = 0;                                          // consumed since the last summary
  std::map<std::pair<std::string, std::string>, uint64_t> dead_;  // (route, reason) -> count since the last summary
};

}  // namespace maskproxy::pipeline
