#include "pipeline/delivery.h"

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
