// At-least-once delivery: idempotent producer, offsets stored after
// delivery. Per source partition, a slot keeps the offsets produced and not
// yet stored, in consumption order; a delivery report marks its entry; the
// acknowledged prefix is stored (and auto-committed by librdkafka). After a
// failed delivery, every partition is rewound to its first unacknowledged
// offset and the records after it are produced again (duplicates are
// allowed in this mode; loss is not).
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pipeline/counters.h"
#include "pipeline/delivery.h"

namespace maskproxy::pipeline {

class AtLeastOnce final : public Delivery {
 public:
  explicit AtLeastOnce(Context& ctx) : ctx_(ctx) {}

  const char* name() const override { return "at_least_once"; }
  const char* consumer_auto_commit() const override { return "true"; }
  const char* default_linger_ms() const override { return "1"; }
  void FixedProducerProperties(std::vector<std::pair<const char*, std::string>>*) const override {}
  Status Start() override { return Status::Ok(); }
  Status Submit(const Outgoing& r) override { return SubmitTracked(r, /*record=*/true); }
  void OnDeliveryReport(const rd_kafka_message_t* m) override;
  Status SubmitAudit(const Outgoing& r) override;
  Status OnProduceRefused(const PartitionKey& key, int64_t offset) override;
  Status OnAuditFailed(const PartitionKey& key, int64_t offset) override { return OnProduceRefused(key, offset); }
  bool ReplayPending() const override { return delivery_failed_; }
  Status MaybeCommit() override;
  Status ReachBoundary() override { return Status::Ok(); }  // between two records is a boundary
  Status OnRevoke(const rd_kafka_topic_partition_list_t* parts, bool lost) override;
  Status OnFailureWhileStopping(Status s) override;
  Status Drain() override;
  void Abandon() override {}
  void AfterClose() override;
  int64_t OpenRecords() const override { return 0; }
  int64_t UncommittedRecords() const override { return ctx_.backpressure.inflight_records(); }

 private:
  using Clock = std::chrono::steady_clock;
  enum class EntryState : uint8_t { kPending, kDelivered, kFailed };
  struct Entry {
    int64_t offset;
    EntryState state;
    Tally::Counts counts;  // the record's counts, added when its delivery succeeds (none for audit copies)
  };
  struct Slot {
    std::string topic;
    int32_t partition;
    std::deque<Entry> entries;
    uint64_t base_seq = 0;  // sequence number of entries.front()
    uint64_t next_seq = 0;
  };

  Status SubmitTracked(const Outgoing& r, bool record);
  void MarkDelivered(uintptr_t packed, bool ok);
  void DropCounts(std::deque<Entry>& entries);
  void StoreDelivered();
  void StoreIfAudited();
  bool WaitForDeliveries(int timeout_ms);
  // `otherwise`, or once a stop was requested (or the loop ended on an
  // error: Context::stopping_on_error) what is left of the one
  // shutdown budget (kShutdownWaitMs from the first wait after the stop)
  // that every wait of a stop shares: a slow destination cannot stretch a
  // stop past its supervisor's grace period (found by review: 10 s drain +
  // 60 s revoke + 5 s flush = 75 s).
  int WaitBudgetMs(int otherwise);
  Status ReplayFailed();
  Slot& SlotFor(const std::string& topic, int32_t partition, uint32_t* idx);

  Context& ctx_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unordered_map<PartitionKey, uint32_t, PartitionKeyHash, PartitionKeyEq> slot_of_;
  bool delivery_failed_ = false;  // replay needed
  Clock::time_point last_store_ = Clock::now();
  std::optional<Clock::time_point> stop_deadline_;  // set by WaitBudgetMs once stopping
};

}  // namespace maskproxy::pipeline
