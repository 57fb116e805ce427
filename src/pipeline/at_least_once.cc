#include "pipeline/at_least_once.h"

#include <algorithm>

#include "common/log.h"

namespace maskproxy::pipeline {
namespace {

constexpr int kShutdownWaitMs = 10000;  // wait for acknowledgements on stop

// msg opaque: slot index (upper 24 bits) and sequence number (lower 40
// bits).
uintptr_t PackOpaque(uint32_t slot, uint64_t seq) {
  return (uintptr_t{slot} << 40) | (seq & ((1ull << 40) - 1));
}

// The opaque of a dead-letter summary on the audit topic: no slot (its
// delivery report is not tracked; it is flushed before offsets are stored).
constexpr uintptr_t kSummaryOpaque = uintptr_t{0xFFFFFF} << 40;

}  // namespace

void AtLeastOnce::OnDeliveryReport(const rd_kafka_message_t* m) {
  MarkDelivered(reinterpret_cast<uintptr_t>(m->_private), m->err == RD_KAFKA_RESP_ERR_NO_ERROR);
}

void AtLeastOnce::MarkDelivered(uintptr_t packed, bool ok) {
  uint32_t idx = static_cast<uint32_t>(packed >> 40);
  uint64_t seq40 = packed & ((1ull << 40) - 1);
  if (idx >= slots_.size() || !slots_[idx]) return;  // partition revoked meanwhile
  Slot& sl = *slots_[idx];
  uint64_t base40 = sl.base_seq & ((1ull << 40) - 1);
  uint64_t pos = (seq40 - base40) & ((1ull << 40) - 1);
  if (pos >= sl.entries.size()) return;  // stale (slot reset after a replay)
  Entry& e = sl.entries[pos];
  e.state = ok ? EntryState::kDelivered : EntryState::kFailed;
  // Counted once delivered; a failed one is consumed again (replayed) and
  // counted when that delivery succeeds.
  if (ok)
    Tally::Apply(e.counts);
  else if (!e.counts.empty())
    ctx_.counters.replayed.Inc();
  e.counts.clear();
  if (!ok) delivery_failed_ = true;
}

// Entries given up without a delivery report (a replay, a revocation):
// their records are consumed again, by this instance or the next owner.
void AtLeastOnce::DropCounts(std::deque<Entry>& entries) {
  for (Entry& e : entries)
    if (!e.counts.empty()) {
      ctx_.counters.replayed.Inc();
      e.counts.clear();
    }
}

// Stores the acknowledged prefix of every slot (librdkafka commits stored
// offsets every commit_interval_ms).
void AtLeastOnce::StoreDelivered() {
  ListPtr list(rd_kafka_topic_partition_list_new(8));
  for (auto& sp : slots_) {
    if (!sp) continue;
    Slot& sl = *sp;
    int64_t next = -1;
    while (!sl.entries.empty() && sl.entries.front().state == EntryState::kDelivered) {
      next = sl.entries.front().offset + 1;
      sl.entries.pop_front();
      ++sl.base_seq;
    }
    if (next >= 0) rd_kafka_topic_partition_list_add(list.get(), sl.topic.c_str(), sl.partition)->offset = next;
  }
  if (list->cnt > 0) {
    rd_kafka_resp_err_t err = ctx_.kafka->StoreOffsets(list.get());
    if (err) log::Warn("offset_store_failed", {{"error", rd_kafka_err2name(err)}});
    ctx_.backoff.Reset();  // progress
  }
  last_store_ = Clock::now();
}

// Waits until every produced record is acknowledged (or failed).
bool AtLeastOnce::WaitForDeliveries(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (ctx_.kafka->OutqLen() > 0 && Clock::now() < deadline) ctx_.kafka->Poll(50);
  return ctx_.kafka->OutqLen() == 0;
}

int AtLeastOnce::WaitBudgetMs(int otherwise) {
  const bool stopping = (ctx_.stop_flag && ctx_.stop_flag->load()) || ctx_.stopping_on_error;
  if (!stopping) return otherwise;
  const auto now = Clock::now();
  if (!stop_deadline_) stop_deadline_ = now + std::chrono::milliseconds(kShutdownWaitMs);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*stop_deadline_ - now).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, otherwise));
}

// After a failed delivery: wait for the rest, store what was acknowledged,
// and seek every partition back to its first unacknowledged offset.
Status AtLeastOnce::ReplayFailed() {
  ctx_.backpressure.SetPaused(*ctx_.kafka, true);
  WaitForDeliveries(WaitBudgetMs(ctx_.opt.transaction_timeout_ms));
  StoreDelivered();
  ListPtr list(rd_kafka_topic_partition_list_new(8));
  for (auto& sp : slots_) {
    if (!sp || sp->entries.empty()) continue;
    rd_kafka_topic_partition_list_add(list.get(), sp->topic.c_str(), sp->partition)->offset =
        sp->entries.front().offset;
    sp->base_seq = sp->next_seq;
    DropCounts(sp->entries);
    sp->entries.clear();
  }
  if (list->cnt > 0) {
    if (Status s = SeekTo(ctx_, list.get(), "seek after failed delivery"); !s.ok()) return s;
  }
  delivery_failed_ = false;
  ctx_.backoff.Fail();
  log::Warn("replaying_after_failed_delivery", {{"partitions", std::to_string(list->cnt)}});
  ctx_.backpressure.SetPaused(*ctx_.kafka, false);
  return Status::Ok();
}

AtLeastOnce::Slot& AtLeastOnce::SlotFor(const std::string& topic, int32_t partition, uint32_t* idx) {
  // Looked up first without building a key (no string per record).
  if (auto found = slot_of_.find(PartitionRef{topic, partition}); found != slot_of_.end()) {
    *idx = found->second;
    return *slots_[found->second];
  }
  auto [it, inserted] = slot_of_.try_emplace(PartitionKey{topic, partition}, static_cast<uint32_t>(slots_.size()));
  if (inserted) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->topic = topic;
    slots_.back()->partition = partition;
  }
  *idx = it->second;
  return *slots_[it->second];
}

// `record`: the decided record itself, which takes the record's counts
// along (an audit copy takes none).
Status AtLeastOnce::SubmitTracked(const Outgoing& r, bool record) {
  uint32_t idx = 0;
  Slot* slot = &SlotFor(r.topic, r.partition, &idx);
  const uintptr_t opaque = PackOpaque(idx, slot->next_seq);
  return ProduceDecided(ctx_, r, opaque, [&] {
    slot->entries.push_back({r.offset, EntryState::kPending, record ? ctx_.counters.tally.Take() : Tally::Counts{}});
    ++slot->next_seq;
  });
}

// Tracked one offset below its record: acknowledged, it lets the
// partition's stored offset reach the record, not pass it.
Status AtLeastOnce::SubmitAudit(const Outgoing& r) {
  return SubmitTracked(
      Outgoing{r.dest, r.key, r.key_len, r.value, r.tombstone, r.hdrs, r.ts, r.topic, r.partition, r.offset - 1},
      /*record=*/false);
}

Status AtLeastOnce::OnProduceRefused(const PartitionKey& key, int64_t offset) {
  uint32_t idx = 0;
  Slot& sl = SlotFor(key.topic, key.partition, &idx);
  // The refused record was counted: it comes again, and counts then.
  ctx_.counters.replayed.Inc(ctx_.counters.tally.Drop());
  sl.entries.push_back({offset, EntryState::kFailed, {}});
  ++sl.next_seq;
  delivery_failed_ = true;
  return Status::Ok();
}

Status AtLeastOnce::MaybeCommit() {
  if (delivery_failed_) return ReplayFailed();
  if (Clock::now() - last_store_ >= std::chrono::milliseconds(std::min(ctx_.opt.commit_interval_ms, 100)))
    StoreIfAudited();
  return Status::Ok();
}

// Stores the acknowledged offsets once the dead letters among them are in
// the audit trail; while the trail cannot write, nothing is stored (the
// records are consumed again after a restart).
void AtLeastOnce::StoreIfAudited() {
  if (Status a = AuditBeforeCommit(ctx_, kSummaryOpaque, /*flush=*/true); !a.ok()) {
    if (a.error().code != ErrorCode::kAuditFailed)
      log::Warn("audit_topic_produce_failed", {{"error", a.error().message}});
    if (ctx_.audit.down()) return;
  }
  StoreDelivered();
}

// Wait for outstanding deliveries, store and commit what was acknowledged,
// then forget the partitions. Unacknowledged records are consumed again by
// the next owner.
Status AtLeastOnce::OnRevoke(const rd_kafka_topic_partition_list_t* parts, bool lost) {
  WaitForDeliveries(WaitBudgetMs(ctx_.opt.transaction_timeout_ms));
  StoreIfAudited();
  if (!lost && !ctx_.audit.down()) {
    rd_kafka_resp_err_t err = ctx_.kafka->CommitStoredOffsets();
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
      log::Warn("offset_commit_failed", {{"error", rd_kafka_err2name(err)}});
  }
  for (int i = 0; i < parts->cnt; ++i) {
    auto it = slot_of_.find({parts->elems[i].topic, parts->elems[i].partition});
    if (it == slot_of_.end()) continue;
    DropCounts(slots_[it->second]->entries);
    slots_[it->second].reset();
    slot_of_.erase(it);
  }
  return Status::Ok();
}

// A replay's seek failed after a stop was requested: nothing is lost (what
// was not acknowledged is consumed again after a restart); only a fatal
// producer state stays an error.
Status AtLeastOnce::OnFailureWhileStopping(Status s) {
  if (s.ok()) return s;
  char buf[256];
  if (rd_kafka_fatal_error(ctx_.producer, buf, sizeof buf) != RD_KAFKA_RESP_ERR_NO_ERROR) return s;
  log::Warn("final_commit_failed", {{"error", s.error().message},
                                    {"detail", "transaction aborted; its records are processed again on restart"}});
  return Status::Ok();
}

Status AtLeastOnce::Drain() {
  WaitForDeliveries(WaitBudgetMs(kShutdownWaitMs));
  StoreIfAudited();
  return Status::Ok();
}

// What is still unacknowledged is not stored: the next owner consumes it
// again (a duplicate, never a loss).
void AtLeastOnce::AfterClose() {
  ctx_.kafka->Flush(std::max(WaitBudgetMs(5000), 100));
}

}  // namespace maskproxy::pipeline
