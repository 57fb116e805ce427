// Consumer group rebalances (cooperative-sticky by default, eager when the
// user sets another assignor). Assigned partitions join paused when
// consumption is paused; before partitions are revoked (or lost), the
// delivery class finishes what is in flight for them (Delivery::OnRevoke).
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>

namespace maskproxy::pipeline {

// librdkafka's rebalance_cb; opaque: the pipeline's Context.
void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque);

// "topic:partition,..." (at most 64) for the log.
[[nodiscard]] std::string DescribePartitions(const rd_kafka_topic_partition_list_t* parts);

}  // namespace maskproxy::pipeline
