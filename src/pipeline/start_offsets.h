// Where a source partition starts when librdkafka finds no position for it.
//
// The consumer runs with librdkafka's auto.offset.reset=error, and the
// proxy decides instead (StartOffsets). librdkafka 2.0.2 can lose a
// committed offset it was waiting for: when the coordinator answers
// UNSTABLE_OFFSET_COMMIT (an open transaction holds offsets of the
// partition: a member crashed in the middle of a commit) and the assignment
// changes while it retries (another member joins or leaves), the partition
// is started as if the group had never committed it, at auto.offset.reset.
// With "earliest" that replays everything the group already delivered
// (seen in faults.rebalance: two partitions from offset 0); with "latest"
// it skips records. So every reset comes here: the group's committed offset
// is read again (stable, waiting while a transaction holds it) and the
// partition is assigned again at it. Only a partition the group has never
// committed, or whose committed offset the log no longer holds (retention),
// starts where the user's `auto.offset.reset` says. Internal to src/pipeline.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace maskproxy::pipeline {

struct Context;

// The user's source `auto.offset.reset` (librdkafka's spellings).
enum class StartPolicy { kEarliest, kLatest, kError };
[[nodiscard]] Result<StartPolicy> ParseStartPolicy(std::string_view value);

// What to do with one partition librdkafka reset (pure; tested on its own).
struct StartDecision {
  enum Kind { kWait, kSeek, kFail } kind = kWait;
  int64_t offset = RD_KAFKA_OFFSET_INVALID;  // kSeek: where (may be BEGINNING/END)
  const char* why = "";                      // the log's `reason`
};
// failed_offset: the offset librdkafka could not start at (logical when it
// found no committed offset; a real one when that offset was out of range).
// lookup_err / committed: the answer of the committed-offset lookup.
[[nodiscard]] StartDecision DecideStart(StartPolicy policy, int64_t failed_offset, rd_kafka_resp_err_t lookup_err,
                                        int64_t committed);

class StartOffsets {
 public:
  using Clock = std::chrono::steady_clock;
  explicit StartOffsets(StartPolicy policy) : policy_(policy) {}

  // A consumer error ERR__AUTO_OFFSET_RESET: the partition is stopped until
  // Resolve seeks it.
  void NoteReset(const rd_kafka_message_t& m);
  // An assigned partition librdkafka has not started fetching for a while
  // (partition_watch.h): started like a reset one, at the group's committed
  // offset, once a later snapshot confirms it (Confirm) and unless a record
  // of it arrives first (Seen). Nothing changes for a partition already
  // waiting for a start: false then.
  [[nodiscard]] bool NoteNotStarted(const std::string& topic, int32_t partition);
  // A statistics snapshot's partitions not fetching (NotFetching): an entry
  // of NoteNotStarted among them may start; one that is not (it started,
  // or left) is dropped. Call before NoteNotStarted with the same snapshot.
  void Confirm(const std::set<std::pair<std::string, int32_t>>& not_fetching);
  // Whether a partition NoteNotStarted named is still waiting: Seen must then
  // be told of every consumed record (one bool test per record otherwise).
  [[nodiscard]] bool watching() const { return not_started_ > 0; }
  // A record of the partition arrived: librdkafka started it after all, and
  // a start now would read its records again. Cancels NoteNotStarted's entry.
  void Seen(const rd_kafka_message_t& m);
  // Partitions revoked or lost: whoever owns them next starts them.
  void Forget(const rd_kafka_topic_partition_list_t* parts);
  [[nodiscard]] bool pending() const { return !pending_.empty(); }
  // Looks up the committed offsets of the partitions due (one call, up to
  // lookup_timeout_ms) and seeks each one it can decide; those still held
  // by a transaction are tried again a second later. Errors only when the
  // pipeline must stop (a seek that fails, or auto.offset.reset: error).
  [[nodiscard]] Status Resolve(Context& ctx, Clock::time_point now, int lookup_timeout_ms = 500);

 private:
  [[nodiscard]] static Status Restart(Context& ctx, const rd_kafka_topic_partition_list_t* parts);
  struct Pending {
    int64_t failed_offset;
    Clock::time_point next_try;
    bool wait_logged = false;
    bool not_started = false;  // from NoteNotStarted, not a reset
    bool confirmed = false;    // not_started: a later snapshot still showed it not fetching
  };
  void Erase(std::map<std::pair<std::string, int32_t>, Pending>::iterator it);
  StartPolicy policy_;
  std::map<std::pair<std::string, int32_t>, Pending> pending_;
  size_t not_started_ = 0;  // entries of pending_ with not_started
};

}  // namespace maskproxy::pipeline
