// Delivery: how produced records and consumed offsets become durable. One
// interface, two classes: ExactlyOnce (exactly_once.h: Kafka transactions,
// offsets committed inside them) and AtLeastOnce (at_least_once.h:
// idempotent producer, acknowledged offsets stored and auto-committed). The
// main loop (pipeline.cc) only calls this interface; it has no branch on the
// delivery mode.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "pipeline/context.h"
#include "pipeline/kafka_util.h"

namespace maskproxy::pipeline {

constexpr int kCallTimeoutMs = 10000;  // per Kafka API call (transactions retried while retriable, seeks)

// One decided record (masked, or a dead letter) of the source record
// topic:partition:offset. hdrs is owned by the receiver.
struct Outgoing {
  const std::string* dest;
  const void* key;  // nullptr: no key
  size_t key_len;
  std::string_view value;
  bool tombstone;  // produce a null value
  rd_kafka_headers_t* hdrs;
  int64_t ts;
  const std::string& topic;
  int32_t partition;
  int64_t offset;
};

class Delivery {
 public:
  virtual ~Delivery() = default;

  // "exactly_once" or "at_least_once" (the log's mode).
  [[nodiscard]] virtual const char* name() const = 0;
  // enable.auto.commit for the consumer ("true": librdkafka commits the
  // stored offsets).
  [[nodiscard]] virtual const char* consumer_auto_commit() const = 0;
  // The producer's linger.ms unless the user sets it: how long a record may
  // wait for its batch. Exactly-once: 5 (larger batches; every commit
  // flushes, and readers see nothing before it). At-least-once: 1 (a record
  // is visible once produced, so the linger is latency the reader sees;
  // at full speed batches fill before it anyway).
  [[nodiscard]] virtual const char* default_linger_ms() const = 0;
  // Producer properties the mode fixes (set last, after the user's).
  virtual void FixedProducerProperties(std::vector<std::pair<const char*, std::string>>* props) const = 0;

  // Before the subscription (clients exist). A stop requested while it
  // retries ends it with the error and Context::start_interrupted set.
  [[nodiscard]] virtual Status Start() = 0;
  // Produces a decided record and tracks its offset (or keeps it for later).
  [[nodiscard]] virtual Status Submit(const Outgoing& r) = 0;
  // A delivery report (may run on any thread that serves the producer).
  virtual void OnDeliveryReport(const rd_kafka_message_t* m) = 0;
  // An audit event about the record r.topic:r.partition:r.offset, for the
  // audit topic, submitted just before that record: exactly-once, in the
  // same transaction; at-least-once, the partition's offset does not pass
  // the record before both are acknowledged.
  [[nodiscard]] virtual Status SubmitAudit(const Outgoing& r) { return Submit(r); }
  // The producer refused the record at key/offset (no delivery report):
  // arrange for it and everything after it to be processed again.
  [[nodiscard]] virtual Status OnProduceRefused(const PartitionKey& key, int64_t offset) = 0;
  // The audit trail could not write an event about the record at
  // key/offset (the record was not submitted; the audit gate is down):
  // nothing open may commit (exactly-once: abort and rewind), and the
  // record and everything after it are processed again once the trail
  // writes again.
  [[nodiscard]] virtual Status OnAuditFailed(const PartitionKey& key, int64_t offset) = 0;
  // A replay is pending (consumption stays paused until it ran).
  [[nodiscard]] virtual bool ReplayPending() const = 0;
  // Once per loop turn: commit or store what is due, replay what failed.
  [[nodiscard]] virtual Status MaybeCommit() = 0;
  // A new engine is waiting (Pipeline::SwapEngine): make durable what is
  // open so that no record masked by the old engine shares a transaction
  // with one masked by the new (exactly-once: the open transaction and the
  // backlog committed, synchronously; at-least-once: nothing to do).
  // Abortable failures abort and rewind (the boundary is reached too).
  [[nodiscard]] virtual Status ReachBoundary() = 0;
  // Partitions are revoked (lost: another member may own them already).
  [[nodiscard]] virtual Status OnRevoke(const rd_kafka_topic_partition_list_t* parts, bool lost) = 0;
  // MaybeCommit failed with `s` after a stop was requested: what Run()
  // returns.
  [[nodiscard]] virtual Status OnFailureWhileStopping(Status s) = 0;
  // Stop requested, no error: make durable what is open; what Run() returns.
  [[nodiscard]] virtual Status Drain() = 0;
  // Run() ends on an error: wait for work on other threads.
  virtual void Abandon() = 0;
  // After the consumer left the group.
  virtual void AfterClose() = 0;
  // Records produced and not yet committed (for the shutdown log line).
  [[nodiscard]] virtual int64_t OpenRecords() const = 0;
  // Records consumed and not yet committed: the open transaction's, the
  // committing one's and those waiting for it (exactly-once), produced and
  // not yet acknowledged (at-least-once): maskproxy_uncommitted_records.
  [[nodiscard]] virtual int64_t UncommittedRecords() const = 0;
  // True while no record may be taken: a commit runs and the records
  // waiting for it are as many as a transaction may hold. The loop goes on
  // (gauges, stats lines) without consuming.
  [[nodiscard]] virtual bool Saturated() const { return false; }
};

[[nodiscard]] std::unique_ptr<Delivery> MakeDelivery(Context& ctx);

// The fatal error of a failed Kafka call, with the producer's fatal error
// if any.
[[nodiscard]] Status FatalFrom(rd_kafka_t* producer, const char* what, const rd_kafka_error_t* e);
// A fatal producer error that says the producer handle is unusable, not
// that another instance took over the transactional.id: a new producer with
// the same id carries on. Only INVALID_TXN_STATE, which librdkafka 2.0.x
// raises from EndTxn after a hard broker restart (librdkafka #4849). Every
// other fatal error (fenced, authorization, unsupported) stops the pipeline.
[[nodiscard]] bool ProducerFatalIsRecoverable(rd_kafka_resp_err_t orig);
// Seeks the consumer to each partition's offset in `list` (a rewind before
// replay). A seek waits for the partition's fetcher, which cannot answer
// while the broker is away: timeouts are retried (bounded by twice the
// transaction timeout, or a few attempts once a stop was requested); any
// other error, or the bound, is kafka_fatal naming `what` and the partition.
[[nodiscard]] Status SeekTo(Context& ctx, rd_kafka_topic_partition_list_t* list, const char* what);

// Before offsets commit (exactly-once: before the open transaction commits;
// at-least-once: before acknowledged offsets are stored): the dead-letter
// summary is appended to the audit trail when due (AuditGate::SummaryDue)
// and, with an audit topic, produced (exactly-once: into the open
// transaction; at-least-once: flushed). kAuditFailed: the gate is down and
// nothing may commit. `opaque`: the produce opaque the delivery class
// ignores in its delivery reports.
[[nodiscard]] Status AuditBeforeCommit(Context& ctx, uintptr_t opaque, bool flush);

// Produces one decided record (both modes): a record refused once for its
// size goes alone in its batch; `track` runs after the record was handed to
// the producer (its delivery report may come after it); consumption pauses
// above the in-flight bounds. Owns r.hdrs.
[[nodiscard]] Status ProduceDecided(Context& ctx, const Outgoing& r, uintptr_t opaque,
                                    const std::function<void()>& track);

}  // namespace maskproxy::pipeline
