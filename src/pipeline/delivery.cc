#include "pipeline/delivery.h"

#include <chrono>
#include <string>

#include "common/log.h"
#include "pipeline/at_least_once.h"
#include "pipeline/exactly_once.h"
#include "pipeline/headers.h"

namespace maskproxy::pipeline {
namespace {

// Produces one record. Waits (serving delivery reports) only if
// librdkafka's own queue is full; normal backpressure pauses consumption
// before that (see Backpressure::OverLimit).
Status Produce(Context& ctx, const std::string& topic, const void* key, size_t key_len, const void* val, size_t val_len,
               rd_kafka_headers_t* hdrs, int64_t ts, uintptr_t opaque) {
  for (;;) {
    rd_kafka_resp_err_t err =
        ctx.kafka->Produce(topic, key, key_len, val, val_len, hdrs, ts, reinterpret_cast<void*>(opaque));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {  // headers now owned by librdkafka
      ctx.backpressure.Produced(key_len + val_len);
      return Status::Ok();
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      ctx.kafka->Poll(50);
      continue;
    }
    rd_kafka_headers_destroy(hdrs);
    return Error(err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ? ErrorCode::kProduceTooLarge : ErrorCode::kProduceFailed,
                 std::string("produce to ") + topic + ": " + rd_kafka_err2name(err));
  }
}

}  // namespace

std::unique_ptr<Delivery> MakeDelivery(Context& ctx) {
  if (ctx.opt.mode == DeliveryMode::kExactlyOnce) return std::make_unique<ExactlyOnce>(ctx);
  return std::make_unique<AtLeastOnce>(ctx);
}

Status FatalFrom(rd_kafka_t* producer, const char* what, const rd_kafka_error_t* e) {
  std::string msg = std::string(what) + ": " + rd_kafka_error_name(e) + ": " + rd_kafka_error_string(e);
  if (rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    rd_kafka_resp_err_t orig = rd_kafka_fatal_error(producer, buf, sizeof buf);
    msg += std::string(" (") + rd_kafka_err2name(orig) + ": " + buf + ")";
  }
  return Error(ErrorCode::kKafkaFatal, msg);
}

bool ProducerFatalIsRecoverable(rd_kafka_resp_err_t orig) {
  return orig == RD_KAFKA_RESP_ERR_INVALID_TXN_STATE;
}

Status SeekTo(Context& ctx, rd_kafka_topic_partition_list_t* list, const char* what) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(2 * ctx.opt.transaction_timeout_ms);
  for (int attempt = 1;; ++attempt) {
    for (int i = 0; i < list->cnt; ++i) list->elems[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
    ErrorPtr se(ctx.kafka->Seek(list, kCallTimeoutMs));
    rd_kafka_resp_err_t err = se ? rd_kafka_error_code(se.get()) : RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string where;
    for (int i = 0; i < list->cnt && !err; ++i)
      if (list->elems[i].err) {
        err = list->elems[i].err;
        where = std::string(" for ") + list->elems[i].topic + ":" + std::to_string(list->elems[i].partition);
      }
    if (!err) {
      for (int i = 0; i < list->cnt; ++i) ctx.rewound.push_back({list->elems[i].topic, list->elems[i].partition});
      return Status::Ok();
    }
    const bool timed_out = err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE;
    const bool give_up =
        std::chrono::steady_clock::now() >= deadline || (ctx.stop_flag && ctx.stop_flag->load() && attempt >= 2);
    if (!timed_out || give_up)
      return Error(ErrorCode::kKafkaFatal, std::string(what) + " failed" + where + ": " + rd_kafka_err2name(err) +
                                               (se ? std::string(": ") + rd_kafka_error_string(se.get()) : ""));
    log::Warn("seek_retry", {{"call", what}, {"attempt", std::to_string(attempt)}, {"error", rd_kafka_err2name(err)}});
  }
}

Status AuditBeforeCommit(Context& ctx, uintptr_t opaque, bool flush) {
  AuditGate& gate = ctx.audit;
  if (!gate.enabled()) return Status::Ok();
  if (gate.down()) return Error(ErrorCode::kAuditFailed, "the audit trail is down");
  const auto now = std::chrono::steady_clock::now();
  if (!gate.SummaryDue(now)) return Status::Ok();
  Result<audit::Event> e = gate.AppendSummary(now);
  if (!e.ok()) return e.error();
  if (gate.topic().empty()) return Status::Ok();
  const std::string json = AuditGate::ToJson(*e);
  if (Status s = Produce(ctx, gate.topic(), nullptr, 0, json.data(), json.size(), rd_kafka_headers_new(0), 0, opaque);
      !s.ok())
    return s;
  gate.OnTopic(*e);
  if (flush) ctx.kafka->Flush(kCallTimeoutMs);
  return Status::Ok();
}

Status ProduceDecided(Context& ctx, const Outgoing& r, uintptr_t opaque, const std::function<void()>& track) {
  // A record refused once for its size goes alone in its batch this time,
  // so that a second refusal is its own (see SizeLimits).
  const bool isolate =
      ctx.size_limits.AnySuspects() && ctx.size_limits.Refusals(OriginString(r.topic, r.partition, r.offset)) == 1;
  if (isolate) ctx.kafka->Flush(kCallTimeoutMs);
  if (Status s = Produce(ctx, *r.dest, r.key, r.key_len, r.tombstone ? nullptr : r.value.data(), r.value.size(), r.hdrs,
                         r.ts, opaque);
      !s.ok()) {
    // The client refused it for its size: no batch involved, it is this
    // record; it is replaced by a reference when it comes again.
    if (s.error().code == ErrorCode::kProduceTooLarge)
      ctx.size_limits.NoteSizeRefusal(OriginString(r.topic, r.partition, r.offset), true);
    return s;
  }
  track();
  // After the record is tracked: its delivery report may come now.
  if (isolate) ctx.kafka->Flush(kCallTimeoutMs);
  if (ctx.backpressure.OverLimit()) ctx.backpressure.SetPaused(*ctx.kafka, true);
  return Status::Ok();
}

}  // namespace maskproxy::pipeline
