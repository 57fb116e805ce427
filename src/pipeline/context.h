// What the main loop (pipeline.cc), the delivery class (delivery.h), the
// rebalance handler and librdkafka's callbacks share: the options, the
// clients, the counters, backpressure, size limits, the audit gate, the
// back-off after a failure and the first fatal error seen in a callback. Internal to
// src/pipeline.
#pragma once

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "pipeline/audit_gate.h"
#include "pipeline/backpressure.h"
#include "pipeline/counters.h"
#include "pipeline/kafka_client.h"
#include "pipeline/kafka_util.h"
#include "pipeline/partition_watch.h"
#include "pipeline/pipeline.h"
#include "pipeline/size_limits.h"
#include "pipeline/start_offsets.h"

namespace maskproxy::pipeline {

class Delivery;

// After an abort or a failed delivery the main loop waits once before
// replaying: the destination may be down or missing. The wait doubles with
// each failure in a row (200 ms .. 5 s) and resets on success.
struct Backoff {
  int ms = 0;
  bool pending = false;
  void Fail() {
    ms = std::min(std::max(ms * 2, 200), 5000);
    pending = true;
  }
  void Reset() { ms = 0; }
};

// The readiness conditions (Pipeline::GetHealth), written by the loop, the
// rebalance callback and the output-topic watch; read by the admin thread.
struct HealthState {
  std::atomic<bool> joined{false};
  std::atomic<bool> transactions_ready{false};
  std::mutex mu;  // guards the four below
  std::vector<std::string> missing_topics;
  std::vector<std::string> missing_sources;
  std::string brokers_unreachable;  // the unanswered request's error: init_transactions' at start, then the
                                    // output-topic check's ("": answered)
  std::string stopped_on;           // the error Run() returned, if any
};

struct Context {
  explicit Context(const Options& options)
      : opt(options),
        counters(Counters::Create()),
        backpressure(options.max_inflight_records, options.max_inflight_bytes, counters),
        size_limits(counters),
        audit(options.audit, options.audit_topic, options.stats_interval_ms) {
    // A record counts once it is durable: exactly-once, when its
    // transaction commits; at-least-once, when its delivery succeeds.
    counters.tally.Defer(true);
  }

  const Options opt;
  // The clients: the raw handles (callbacks, metadata, subscription, close)
  // and the seam every other call goes through (kafka_client.h). The handles
  // are owned by `kafka` once it is set.
  rd_kafka_t* consumer = nullptr;
  rd_kafka_t* producer = nullptr;
  std::unique_ptr<KafkaClient> kafka;
  Counters counters;
  Backpressure backpressure;
  SizeLimits size_limits;
  Backoff backoff;
  AuditGate audit;
  Delivery* delivery = nullptr;
  const std::atomic<bool>* stop_flag = nullptr;
  // Run()'s loop ended on an error: what is left (the consumer's close and
  // its revocation) waits only as long as a stop would (the process's exit
  // deadline is running). Main thread only.
  bool stopping_on_error = false;
  // Delivery::Start gave up on a call it was retrying because a stop was
  // requested (SIGTERM while the brokers do not answer at start): nothing
  // started, and Run ends cleanly.
  bool start_interrupted = false;
  HealthState health;
  // The partitions revoked (or lost) by rebalance callbacks since the main
  // loop last cleared it: callbacks run inside its consumer polls, on its
  // thread; records of these it already holds are not processed.
  std::vector<PartitionKey> revoked_in_poll;
  // The partitions a seek moved (SeekTo: a rewind after an abort, a
  // replaced producer, a refused record) since the main loop last cleared
  // it: records of these it holds and has not processed were fetched before
  // the seek and come again after it; processing them would put them into
  // a transaction ahead of the records the rewind replays (duplicates, and
  // offsets committed past records not yet delivered).
  std::vector<PartitionKey> rewound;
  // The partitions librdkafka reset (auto.offset.reset=error), started by
  // the main loop at the group's committed offset (start_offsets.h).
  StartOffsets start_offsets{StartPolicy::kEarliest};
  // Assigned partitions librdkafka never starts (partition_watch.h), from
  // the consumer's statistics (stats_cb, on the main thread's polls).
  PartitionWatch partition_watch{std::chrono::milliseconds(30000)};
  // Failed delivery reports are logged at most once a second.
  std::mutex dr_log_mu;
  std::chrono::steady_clock::time_point dr_logged_at{};
  uint64_t dr_suppressed = 0;

  // Replaces the producer with a new one of the same configuration (and
  // transactional.id), and the client seam over it; set by the pipeline.
  // Only the delivery class calls it, from the main thread, with no
  // transactional call running.
  std::function<Status()> recreate_producer;

  // A fatal error seen inside a callback (error_cb may run on the commit
  // thread); the main loop stops on it.
  void SetFatal(Status st) {
    std::lock_guard<std::mutex> lock(fatal_mu_);
    if (fatal_.ok()) fatal_ = std::move(st);
  }
  [[nodiscard]] bool HasFatal() {
    std::lock_guard<std::mutex> lock(fatal_mu_);
    return !fatal_.ok();
  }
  [[nodiscard]] Status Fatal() {
    std::lock_guard<std::mutex> lock(fatal_mu_);
    return fatal_;
  }

 private:
  Status fatal_;
  std::mutex fatal_mu_;
};

}  // namespace maskproxy::pipeline
