#include "pipeline/rebalance.h"

#include <cstring>

#include "common/log.h"
#include "pipeline/context.h"
#include "pipeline/delivery.h"
#include "pipeline/kafka_util.h"

namespace maskproxy::pipeline {

void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* ctx = static_cast<Context*>(opaque);
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    log::Info("partitions_assigned",
              {{"count", std::to_string(parts->cnt)}, {"partitions", DescribePartitions(parts)}});
    if (cooperative) {
      ErrorPtr e(rd_kafka_incremental_assign(rk, parts));
      if (e)
        ctx->SetFatal(
            Error(ErrorCode::kKafkaFatal, std::string("incremental assign failed: ") + rd_kafka_error_string(e.get())));
    } else {
      rd_kafka_assign(rk, parts);
    }
    if (ctx->backpressure.paused()) rd_kafka_pause_partitions(rk, parts);
    ctx->health.joined.store(true);
    return;
  }
  const bool lost = rd_kafka_assignment_lost(rk);
  if (lost) ctx->health.joined.store(false);  // until the group assigns again
  log::Info(lost ? "partitions_lost" : "partitions_revoked",
            {{"count", std::to_string(parts->cnt)}, {"partitions", DescribePartitions(parts)}});
  for (int i = 0; i < parts->cnt; ++i)
    ctx->revoked_in_poll.push_back(PartitionKey{parts->elems[i].topic, parts->elems[i].partition});
  ctx->start_offsets.Forget(parts);
  std::vector<PartitionWatch::Key> gone;
  for (int i = 0; i < parts->cnt; ++i) gone.emplace_back(parts->elems[i].topic, parts->elems[i].partition);
  ctx->partition_watch.Forget(gone);
  Status s = ctx->delivery->OnRevoke(parts, lost);
  if (!s.ok()) ctx->SetFatal(s);
  if (cooperative) {
    ErrorPtr e(rd_kafka_incremental_unassign(rk, parts));
    if (e)
      ctx->SetFatal(
          Error(ErrorCode::kKafkaFatal, std::string("incremental unassign failed: ") + rd_kafka_error_string(e.get())));
  } else {
    rd_kafka_assign(rk, nullptr);
  }
}

std::string DescribePartitions(const rd_kafka_topic_partition_list_t* parts) {
  std::string s;
  for (int i = 0; i < parts->cnt && i < 64; ++i) {
    if (i) s += ",";
    s += std::string(parts->elems[i].topic) + ":" + std::to_string(parts->elems[i].partition);
  }
  if (parts->cnt > 64) s += ",...";
  return s;
}

}  // namespace maskproxy::pipeline
