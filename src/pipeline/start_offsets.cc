#include "pipeline/start_offsets.h"

#include <cstring>
#include <vector>

#include "common/log.h"
#include "pipeline/context.h"
#include "pipeline/delivery.h"
#include "pipeline/kafka_util.h"

namespace maskproxy::pipeline {
namespace {

constexpr auto kRetryAfter = std::chrono::seconds(1);

std::string Where(const std::string& topic, int32_t partition) {
  return topic + ":" + std::to_string(partition);
}

std::string OffsetText(int64_t offset) {
  if (offset == RD_KAFKA_OFFSET_BEGINNING) return "beginning";
  if (offset == RD_KAFKA_OFFSET_END) return "end";
  if (offset < 0) return "none";
  return std::to_string(offset);
}

StartDecision ByPolicy(StartPolicy policy, const char* why) {
  switch (policy) {
    case StartPolicy::kEarliest: return {StartDecision::kSeek, RD_KAFKA_OFFSET_BEGINNING, why};
    case StartPolicy::kLatest: return {StartDecision::kSeek, RD_KAFKA_OFFSET_END, why};
    case StartPolicy::kError: break;
  }
  return {StartDecision::kFail, RD_KAFKA_OFFSET_INVALID, why};
}

}  // namespace

Result<StartPolicy> ParseStartPolicy(std::string_view v) {
  if (v == "earliest" || v == "smallest" || v == "beginning") return StartPolicy::kEarliest;
  if (v == "latest" || v == "largest" || v == "end") return StartPolicy::kLatest;
  if (v == "error") return StartPolicy::kError;
  return Error(ErrorCode::kConfigInvalid,
               "source property 'auto.offset.reset': '" + std::string(v) +
                   "' is not one of earliest, latest, error (or smallest, beginning, largest, end)");
}

StartDecision DecideStart(StartPolicy policy, int64_t failed_offset, rd_kafka_resp_err_t lookup_err,
                          int64_t committed) {
  // Not known yet (a transaction holds the offsets, the coordinator moves,
  // a timeout), or not readable at all: the partition stays stopped rather
  // than start anywhere unverified.
  if (lookup_err != RD_KAFKA_RESP_ERR_NO_ERROR) return {StartDecision::kWait, RD_KAFKA_OFFSET_INVALID, ""};
  if (committed >= 0) {
    // librdkafka started at the committed offset and the log no longer
    // holds it (retention): the one reset that is the user's to decide.
    if (failed_offset == committed) return ByPolicy(policy, "committed_offset_out_of_range");
    return {StartDecision::kSeek, committed, "committed_offset"};
  }
  return ByPolicy(policy, "no_committed_offset");
}

void StartOffsets::NoteReset(const rd_kafka_message_t& m) {
  if (m.rkt == nullptr) return;
  auto [it, added] =
      pending_.try_emplace({rd_kafka_topic_name(m.rkt), m.partition}, Pending{m.offset, Clock::time_point{}});
  if (!added) it->second.failed_offset = m.offset;
  if (it->second.not_started) {  // a reset now: librdkafka's own path, no record to wait for
    it->second.not_started = false;
    --not_started_;
  }
  it->second.next_try = Clock::time_point{};  // now
}

bool StartOffsets::NoteNotStarted(const std::string& topic, int32_t partition) {
  // Not due until Confirm says so.
  auto [it, added] =
      pending_.try_emplace({topic, partition}, Pending{RD_KAFKA_OFFSET_INVALID, Clock::time_point::max()});
  if (!added) return false;
  it->second.not_started = true;
  ++not_started_;
  return true;
}

void StartOffsets::Confirm(const std::set<std::pair<std::string, int32_t>>& not_fetching) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto next = std::next(it);
    Pending& p = it->second;
    if (p.not_started && !p.confirmed) {
      if (not_fetching.count(it->first)) {
        p.confirmed = true;
        p.next_try = Clock::time_point{};  // now
      } else {
        Erase(it);  // librdkafka started it (or it left) meanwhile
      }
    }
    it = next;
  }
}

void StartOffsets::Seen(const rd_kafka_message_t& m) {
  if (m.rkt == nullptr) return;
  auto it = pending_.find({rd_kafka_topic_name(m.rkt), m.partition});
  if (it == pending_.end() || !it->second.not_started) return;
  log::Info("partition_started", {{"partition", Where(it->first.first, it->first.second)},
                                  {"detail", "librdkafka started the partition before maskproxy did"}});
  Erase(it);
}

void StartOffsets::Erase(std::map<std::pair<std::string, int32_t>, Pending>::iterator it) {
  if (it->second.not_started) --not_started_;
  pending_.erase(it);
}

void StartOffsets::Forget(const rd_kafka_topic_partition_list_t* parts) {
  for (int i = 0; i < parts->cnt && !pending_.empty(); ++i)
    if (auto it = pending_.find({parts->elems[i].topic, parts->elems[i].partition}); it != pending_.end()) Erase(it);
}

Status StartOffsets::Resolve(Context& ctx, Clock::time_point now, int lookup_timeout_ms) {
  std::vector<std::pair<std::string, int32_t>> due;
  for (const auto& [k, p] : pending_)
    if (p.next_try <= now) due.push_back(k);
  if (due.empty()) return Status::Ok();
  ListPtr lookup(rd_kafka_topic_partition_list_new(static_cast<int>(due.size())));
  for (const auto& [topic, partition] : due)
    rd_kafka_topic_partition_list_add(lookup.get(), topic.c_str(), partition)->offset = RD_KAFKA_OFFSET_INVALID;
  const rd_kafka_resp_err_t call_err = ctx.kafka->Committed(lookup.get(), lookup_timeout_ms);
  ListPtr seek(rd_kafka_topic_partition_list_new(static_cast<int>(due.size())));
  std::vector<std::pair<std::string, int32_t>> seeking, dropped;
  for (int i = 0; i < lookup->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = lookup->elems[i];
    auto it = pending_.find({e.topic, e.partition});
    if (it == pending_.end()) continue;
    Pending& p = it->second;
    const rd_kafka_resp_err_t err = call_err ? call_err : e.err;
    const StartDecision d = DecideStart(policy_, p.failed_offset, err, err ? RD_KAFKA_OFFSET_INVALID : e.offset);
    const std::string where = Where(e.topic, e.partition);
    switch (d.kind) {
      case StartDecision::kWait:
        if (p.not_started) {
          // Not readable yet (a transaction holds it, the coordinator
          // moves): librdkafka is still waiting for the same answer. Left
          // to it; the watch reports the partition again if it stays so,
          // rather than a lookup every second on the main loop.
          log::Info("start_offset_deferred", {{"partition", where}, {"error", rd_kafka_err2name(err)}});
          dropped.push_back(it->first);
          break;
        }
        if (!p.wait_logged)
          log::Warn("start_offset_waiting",
                    {{"partition", where},
                     {"error", rd_kafka_err2name(err)},
                     {"detail",
                      "the group's committed offset is not readable yet (an open transaction may hold it); "
                      "the partition stays stopped and the lookup is retried every second"}});
        p.wait_logged = true;
        p.next_try = now + kRetryAfter;
        break;
      case StartDecision::kFail:
        return Error(ErrorCode::kKafkaFatal, "source partition " + where + " has no committed offset to start from (" +
                                                 d.why + ") and source property auto.offset.reset is 'error'");
      case StartDecision::kSeek: {
        const bool restored = d.offset >= 0;
        // A restored start is what librdkafka would have got wrong: say so.
        (restored ? log::Warn : log::Info)("start_offset", {{"partition", where},
                                                            {"offset", OffsetText(d.offset)},
                                                            {"reason", d.why},
                                                            {"trigger", p.not_started ? "not_started" : "reset"},
                                                            {"reset_at", OffsetText(p.failed_offset)}});
        (restored ? ctx.counters.start_committed : ctx.counters.start_reset).Inc();
        rd_kafka_topic_partition_list_add(seek.get(), e.topic, e.partition)->offset = d.offset;
        seeking.emplace_back(e.topic, e.partition);
        break;
      }
    }
  }
  for (const auto& k : dropped)
    if (auto it = pending_.find(k); it != pending_.end()) Erase(it);
  if (seek->cnt > 0)
    if (Status st = Restart(ctx, seek.get()); !st.ok()) return st;
  for (const auto& k : seeking)
    if (auto it = pending_.find(k); it != pending_.end()) Erase(it);
  return Status::Ok();
}

// A partition librdkafka reset with the policy "error" is stopped, and a
// stopped partition cannot seek (ERR__STATE): it is assigned again at the
// offset decided. Cooperative (maskproxy's default): taken out of the
// assignment and put back, incrementally; the group's assignment does not
// change. Eager: the whole assignment is assigned again. The open
// transaction is committed first (Delivery::ReachBoundary, as before an
// engine swap), so that every other partition's committed offset is where
// it goes on; a consumer position would not do (after a rewind's seek
// librdkafka 2.0.2 reports none until a record is consumed).
Status StartOffsets::Restart(Context& ctx, const rd_kafka_topic_partition_list_t* parts) {
  rd_kafka_t* consumer = ctx.kafka->consumer();
  if (std::strcmp(rd_kafka_rebalance_protocol(consumer), "COOPERATIVE") == 0) {
    ListPtr out(rd_kafka_topic_partition_list_copy(parts));
    if (ErrorPtr e(rd_kafka_incremental_unassign(consumer, out.get())); e)
      return Error(ErrorCode::kKafkaFatal,
                   std::string("taking a reset partition out of the assignment: ") + rd_kafka_error_string(e.get()));
    ListPtr in(rd_kafka_topic_partition_list_copy(parts));
    if (ErrorPtr e(rd_kafka_incremental_assign(consumer, in.get())); e)
      return Error(ErrorCode::kKafkaFatal,
                   std::string("assigning a reset partition at its start offset: ") + rd_kafka_error_string(e.get()));
    if (ctx.backpressure.paused()) rd_kafka_pause_partitions(consumer, in.get());
    return Status::Ok();
  }
  if (Status s = ctx.delivery->ReachBoundary(); !s.ok()) return s;
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_resp_err_t err = ctx.kafka->Assignment(&raw); err)
    return Error(ErrorCode::kKafkaFatal, std::string("reading the assignment: ") + rd_kafka_err2str(err));
  ListPtr all(raw);
  // Then what a revocation of the whole assignment does: at-least-once waits
  // for the records in flight, stores and commits their offsets and forgets
  // the partitions' slots, so every partition goes on from an offset that
  // covers them (committing only what was stored read the unacknowledged
  // records again, and their late acknowledgements stored offsets behind
  // the records read again: a stored offset moved back); exactly-once has
  // nothing open after the boundary.
  if (Status s = ctx.delivery->OnRevoke(all.get(), /*lost=*/false); !s.ok()) return s;
  for (int i = 0; i < all->cnt; ++i) all->elems[i].offset = RD_KAFKA_OFFSET_INVALID;  // the committed offset
  for (int i = 0; i < parts->cnt; ++i)
    if (rd_kafka_topic_partition_t* t =
            rd_kafka_topic_partition_list_find(all.get(), parts->elems[i].topic, parts->elems[i].partition))
      t->offset = parts->elems[i].offset;
  if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer, all.get()); err)
    return Error(ErrorCode::kKafkaFatal,
                 std::string("assigning a reset partition at its start offset: ") + rd_kafka_err2str(err));
  if (ctx.backpressure.paused()) rd_kafka_pause_partitions(consumer, all.get());
  return Status::Ok();
}

}  // namespace maskproxy::pipeline
