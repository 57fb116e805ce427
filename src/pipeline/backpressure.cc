#include "pipeline/backpressure.h"

#include <string>

#include "common/log.h"

namespace maskproxy::pipeline {

void Backpressure::SetPaused(KafkaClient& kafka, bool pause) {
  if (pause == paused_) return;
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (kafka.Assignment(&assigned) == RD_KAFKA_RESP_ERR_NO_ERROR && assigned) {
    if (assigned->cnt > 0) {
      if (pause)
        kafka.Pause(assigned);
      else
        kafka.Resume(assigned);
    }
    rd_kafka_topic_partition_list_destroy(assigned);
  }
  paused_ = pause;
  if (pause) counters_.pauses.Inc();
  log::Debug(
      pause ? "consumption_paused" : "consumption_resumed",
      {{"inflight_records", std::to_string(inflight_records_)}, {"inflight_bytes", std::to_string(inflight_bytes_)}});
}

}  // namespace maskproxy::pipeline
