// Record size limits: one record must not stop the instance.
//
// The producer's message.max.bytes is derived from limits.max_record_bytes
// (DerivedMessageMaxBytes, pipeline.h); the output topics' max.message.bytes
// are read at start (DescribeConfigs); each decided record is checked, before
// it is produced, against the smaller of the two (FitToLimits). Records the
// producer or the broker refused for their size are remembered by origin:
// once, the record goes alone in its batch the next time; twice, it becomes a
// reference-only dead letter (reason too_large_for_topic).
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/engine.h"
#include "pipeline/counters.h"
#include "pipeline/pipeline.h"

namespace maskproxy::pipeline {

inline constexpr char kReasonTooLarge[] = "too_large_for_topic";

class SizeLimits {
 public:
  explicit SizeLimits(Counters& counters) : counters_(counters) {}

  // The effective producer message.max.bytes (EffectiveProducerLimit), set
  // when the producer is configured.
  void set_producer_limit(size_t limit) { producer_limit_ = limit; }
  [[nodiscard]] size_t producer_limit() const { return producer_limit_; }

  // Reads max.message.bytes of every output topic (destination and dead
  // letter) with a short-lived admin client of the destination's properties.
  // A topic whose limit cannot be read is checked against the producer limit
  // only. Start() only (main thread).
  void ReadTopicLimits(const Options& opt, const std::set<std::string>& outputs,
                       void (*log_cb)(const rd_kafka_t*, int, const char*, const char*));

  // The largest record that may be produced to `topic`.
  [[nodiscard]] size_t LimitOf(const std::string& topic) const;

  // The producer's batch.size for the limits read: the broker holds a
  // whole batch, not a record, to a topic's max.message.bytes (found by
  // review: a 64 KB destination refused librdkafka's 1 MB batches, every
  // transaction aborted, 2 % of the input drained). librdkafka's default
  // (1,000,000) unless a topic takes less (librdkafka sends a record larger
  // than batch.size alone in its batch).
  [[nodiscard]] size_t BatchBytes() const;
  static constexpr size_t kDefaultBatchBytes = 1000000;

  // The smallest max.message.bytes a dead-letter topic may have: a
  // reference-only dead letter (a record too large for every topic) must
  // fit it, or that record would stop the instance (found by review: a
  // 200-byte dead-letter topic held every record behind one too large).
  static constexpr size_t kMinDeadLetterLimit = 4096;
  // The dead-letter topics of `topics` whose limit is below it.
  [[nodiscard]] std::vector<std::string> DeadLettersTooSmall(const std::set<std::string>& topics) const;

  // A delivery report said a record or its batch was too large (any
  // thread): the limits may have changed; TakeStale() (main thread) says so
  // once.
  [[nodiscard]] bool TakeStale() { return stale_.exchange(false); }

  // The last step before a decided record is produced (or queued in the
  // backlog); see the .cc. *hdrs is replaced when the record is.
  void FitToLimits(const rd_kafka_message_t* m, const engine::RouteRef& route, const std::string& origin,
                   const std::string** dest, const void** key, size_t* key_len, std::string_view* out,
                   rd_kafka_headers_t** hdrs);

  // Counts a size refusal of the source record `origin`; `certain`: the
  // client refused it (no batch involved).
  void NoteSizeRefusal(const std::string& origin, bool certain);
  // How often the source record `origin` was refused for its size (0, 1, 2).
  [[nodiscard]] int Refusals(const std::string& origin);
  // Delivery report (any thread): remembers or forgets size refusals.
  void NoteDeliverySize(const rd_kafka_message_t* m);
  // Whether some record was refused once (and is to be isolated).
  [[nodiscard]] bool AnySuspects() const { return size_suspects_.load() > 0; }

  // A conservative broker-side size of one record with these headers.
  [[nodiscard]] static size_t RecordBytes(size_t key_len, size_t val_len, const rd_kafka_headers_t* hdrs);

 private:
  void ReadTopicLimitsWith(const Options& opt, const std::set<std::string>& outputs, rd_kafka_t* admin);

  Counters& counters_;
  // Set in Start(), read on the main thread only.
  size_t producer_limit_ = 0;                            // effective producer message.max.bytes
  std::unordered_map<std::string, size_t> topic_limit_;  // max.message.bytes per output topic, as read
  std::string reference_value_;                          // the value of the last reference-only dead letter
  // Source records (origin "topic:partition:offset") the broker or the
  // client refused for their size, with how often: once, the record is
  // produced alone in its batch the next time (the refusal may have been
  // its batch's); twice, it is replaced by a reference-only dead letter.
  // Written by delivery reports (which may run on the commit thread).
  std::mutex size_mu_;
  std::unordered_map<std::string, int> size_refusals_;
  std::atomic<bool> any_size_refusals_{false};
  std::atomic<bool> stale_{false};
  std::atomic<size_t> size_suspects_{0};  // entries refused once
};

}  // namespace maskproxy::pipeline
