// Assigned source partitions librdkafka never starts fetching.
//
// librdkafka 2.0.2 starts an assigned partition only once it knows where:
// the group's committed offset, asked for with an OffsetFetch. When that
// request is answered with a request-level error (NOT_COORDINATOR from a
// coordinator that just moved), or its answer is dropped because the
// assignment changed meanwhile, the partition stays waiting and nothing asks
// again (librdkafka #5586): no record, no error, no reset, for as long as
// the process runs. Seen on the real broker beside other tests
// (faults.unstable_offsets: a partition neither fetched nor reset for four
// minutes) and reproduced on the mock cluster by one NOT_COORDINATOR on
// OffsetFetch, which leaves every partition unstarted.
//
// The watch reads librdkafka's statistics (statistics.interval.ms, the
// consumer's stats_cb): every partition the consumer wants (`desired`) with
// its `fetch_state`. One that has not reached a fetching state
// (offset-query, offset-wait, validate-epoch-wait, active) for `stuck_after`
// is reported, and again every `stuck_after` while it stays so; the
// pipeline then starts it itself at the group's committed offset, as it
// does for a reset (StartOffsets::NoteNotStarted), once the next snapshot
// still shows it not fetching (StartOffsets::Confirm: a record fetched
// between the first snapshot's reading and its delivery is polled before
// the second one, and cancels the start, StartOffsets::Seen). Internal to
// src/pipeline.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace maskproxy::pipeline {

struct FetchState {
  std::string topic;
  int32_t partition = -1;
  std::string state;     // librdkafka's fetch_state ("none", "active", ...)
  bool desired = false;  // in the consumer's assignment
};

// The partitions of one librdkafka statistics document (topics.*.partitions.*;
// the internal partition -1 left out). Errors on a document that is not
// JSON, or whose partitions lack a readable number.
[[nodiscard]] Result<std::vector<FetchState>> ParseFetchStates(std::string_view stats_json);

// Whether a fetch_state means librdkafka is fetching the partition or
// finding out where to (so it is not stuck waiting for nothing).
[[nodiscard]] bool IsFetching(std::string_view fetch_state);

// The desired partitions of a snapshot that are not fetching.
[[nodiscard]] std::set<std::pair<std::string, int32_t>> NotFetching(const std::vector<FetchState>& parts);

class PartitionWatch {
 public:
  using Clock = std::chrono::steady_clock;
  using Key = std::pair<std::string, int32_t>;
  explicit PartitionWatch(std::chrono::milliseconds stuck_after) : stuck_after_(stuck_after) {}

  // One snapshot. Returns the desired partitions that have not been fetching
  // for stuck_after since they were first seen so (each again after another
  // stuck_after while it stays so). A partition fetching, not desired, or
  // absent from the snapshot starts over. With `report` false (consumption
  // paused) the waits go on but nothing is returned.
  [[nodiscard]] std::vector<Key> Observe(Clock::time_point now, const std::vector<FetchState>& parts,
                                         bool report = true);
  // Partitions revoked or lost: a wait that began before starts over.
  void Forget(const std::vector<Key>& keys);
  // How long `key` has been seen not fetching (0 when it is not).
  [[nodiscard]] std::chrono::milliseconds Idle(const Key& key, Clock::time_point now) const;

 private:
  std::chrono::milliseconds stuck_after_;
  std::map<Key, Clock::time_point> first_seen_;  // not fetching since
  std::map<Key, Clock::time_point> reported_;    // last reported at
};

}  // namespace maskproxy::pipeline
