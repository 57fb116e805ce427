// Exactly-once delivery: Kafka transactions. Records and the consumed
// offsets (with the consumer's group metadata) commit atomically; abortable
// errors abort, rewind the consumer to the first offset of the aborted
// transaction and go on; retriable errors retry the same call; fatal errors
// (e.g. fenced by a newer instance with the same transactional.id) stop the
// pipeline.
//
// Pipelined commit: while a transaction commits on the commit thread, the
// main thread keeps consuming and masking into the backlog; the backlog is
// produced in the next transaction. Records stay in source order per
// partition, and nothing is produced while a commit runs (librdkafka
// forbids it).
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <string>
#include <thread>
#include <unordered_map>

#include "pipeline/delivery.h"

namespace maskproxy::pipeline {

class ExactlyOnce final : public Delivery {
 public:
  explicit ExactlyOnce(Context& ctx) : ctx_(ctx) {}
  ~ExactlyOnce() override;

  const char* name() const override { return "exactly_once"; }
  const char* consumer_auto_commit() const override { return "false"; }
  const char* default_linger_ms() const override { return "5"; }
  void FixedProducerProperties(std::vector<std::pair<const char*, std::string>>* props) const override;
  Status Start() override;
  Status Submit(const Outgoing& r) override;
  void OnDeliveryReport(const rd_kafka_message_t*) override {}
  Status OnProduceRefused(const PartitionKey& key, int64_t offset) override;
  Status OnAuditFailed(const PartitionKey& key, int64_t offset) override;
  bool ReplayPending() const override { return false; }
  Status MaybeCommit() override;
  Status ReachBoundary() override;
  Status OnRevoke(const rd_kafka_topic_partition_list_t* parts, bool lost) override;
  Status OnFailureWhileStopping(Status s) override { return AbortIfStopping(std::move(s)); }
  Status Drain() override;
  void Abandon() override;
  void AfterClose() override;
  int64_t OpenRecords() const override { return txn_open_ ? txn_records_ : 0; }
  int64_t UncommittedRecords() const override { return OpenRecords() + static_cast<int64_t>(backlog_.size()); }
  bool Saturated() const override { return saturated_; }

 private:
  using Clock = std::chrono::steady_clock;
  // Per partition: first offset consumed in the open transaction (to rewind
  // to on abort) and the next offset to commit.
  struct Span {
    int64_t first, next;
  };
  // A decided record waiting in the backlog while a commit runs.
  struct Pending {
    const std::string* dest;
    std::string key;
    bool has_key;
    std::string value;
    bool tombstone;
    rd_kafka_headers_t* hdrs;  // owned until produced
    int64_t ts;
    std::string topic;
    int32_t partition;
    int64_t offset;
  };
  struct CommitOutcome {
    const char* call = nullptr;
    ErrorPtr err;  // null: committed
  };

  template <typename F>
  ErrorPtr Retry(const char* what, F call, bool also_abortable = false, int attempts_after_stop = 2,
                 bool until_stopped = false);
  Status ProduceTracked(const Outgoing& r);
  Status BeginTxn();
  Status AbortTxn(bool rewind);
  ListPtr TxnOffsetList();
  CommitOutcome CommitCalls(rd_kafka_topic_partition_list_t* offsets, rd_kafka_consumer_group_metadata_t* cgmd);
  Status CommitDone(CommitOutcome out);
  Status CommitTxn();
  Status AuditOrAbort();
  void StartCommit();
  Status FinishCommit();
  Status AbortIfStopping(Status s);
  Status FatalOrRecover(const char* call, const rd_kafka_error_t* e);
  Status RecoverProducer(const char* call, const rd_kafka_error_t* why);

  Context& ctx_;
  bool txn_open_ = false;
  Clock::time_point txn_started_;
  int64_t txn_records_ = 0;
  std::unordered_map<PartitionKey, Span, PartitionKeyHash, PartitionKeyEq> txn_offsets_;
  // Where the aborts and producer replacements of the refusal being handled
  // (OnProduceRefused, OnAuditFailed) rewound partitions to: the refused
  // record's own seek must not move such a partition forward past them.
  std::unordered_map<PartitionKey, int64_t, PartitionKeyHash, PartitionKeyEq> rewound_to_;
  void NoteRewound(const rd_kafka_topic_partition_list_t* list);
  [[nodiscard]] Status RefuseAt(const PartitionKey& key, int64_t offset);
  std::deque<Pending> backlog_;
  size_t backlog_bytes_ = 0;
  std::thread commit_thread_;
  std::atomic<bool> commit_done_{false};
  bool committing_ = false;
  bool saturated_ = false;  // Saturated(): MaybeCommit found the backlog full and the commit running
  CommitOutcome commit_outcome_;
  int recoveries_since_commit_ = 0;  // producers replaced since the last commit
};

}  // namespace maskproxy::pipeline
