// Backpressure: records and bytes produced but not yet acknowledged. Above
// either bound consumption pauses (every assigned partition) until half of
// them are acknowledged.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "pipeline/counters.h"
#include "pipeline/kafka_client.h"

namespace maskproxy::pipeline {

class Backpressure {
 public:
  Backpressure(int max_records, size_t max_bytes, Counters& counters)
      : max_records_(max_records), max_bytes_(max_bytes), counters_(counters) {}

  // A record was handed to the producer / its delivery report came.
  // Delivery reports may be served on the commit thread (commit_transaction
  // flushes), so the counts are atomic.
  void Produced(size_t bytes) {
    inflight_records_ += 1;
    inflight_bytes_ += static_cast<int64_t>(bytes);
  }
  void Delivered(size_t bytes) {
    inflight_records_ -= 1;
    inflight_bytes_ -= static_cast<int64_t>(bytes);
  }

  // Pauses or resumes every partition assigned to the consumer (backpressure,
  // replay).
  void SetPaused(KafkaClient& kafka, bool pause);
  [[nodiscard]] bool paused() const { return paused_; }

  [[nodiscard]] bool OverLimit() const {
    return inflight_records_ >= max_records_ || inflight_bytes_ >= static_cast<int64_t>(max_bytes_);
  }
  [[nodiscard]] bool UnderLowWater() const {
    return inflight_records_ <= max_records_ / 2 && inflight_bytes_ <= static_cast<int64_t>(max_bytes_ / 2);
  }

  [[nodiscard]] int64_t inflight_records() const { return inflight_records_; }
  [[nodiscard]] int64_t inflight_bytes() const { return inflight_bytes_; }

 private:
  const int max_records_;
  const size_t max_bytes_;
  Counters& counters_;
  std::atomic<int64_t> inflight_records_{0};
  std::atomic<int64_t> inflight_bytes_{0};
  bool paused_ = false;
};

}  // namespace maskproxy::pipeline
