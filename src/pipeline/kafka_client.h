// The thin seam between the pipeline and librdkafka: the client calls the
// delivery classes, backpressure and the main loop make (consume, produce,
// poll/flush, transactions, offsets, seek, pause/resume). The real
// implementation (kafka_client_rdkafka.cc) forwards each call to librdkafka
// on the pipeline's consumer and producer; a test wraps it to record calls
// or inject errors (Options::wrap_kafka_client). Same types and ownership
// rules as librdkafka: returned errors, messages and metadata belong to the
// caller.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace maskproxy::pipeline {

class KafkaClient {
 public:
  virtual ~KafkaClient() = default;

  // The underlying handles (callbacks, metadata, subscription and close go
  // to them directly).
  [[nodiscard]] virtual rd_kafka_t* consumer() const = 0;
  [[nodiscard]] virtual rd_kafka_t* producer() const = 0;

  // Producer.
  [[nodiscard]] virtual rd_kafka_resp_err_t Produce(const std::string& topic, const void* key, size_t key_len,
                                                    const void* value, size_t value_len, rd_kafka_headers_t* hdrs,
                                                    int64_t ts, void* opaque) = 0;
  virtual int Poll(int timeout_ms) = 0;
  virtual rd_kafka_resp_err_t Flush(int timeout_ms) = 0;
  [[nodiscard]] virtual int OutqLen() = 0;

  // Transactions (producer).
  [[nodiscard]] virtual rd_kafka_error_t* InitTransactions(int timeout_ms) = 0;
  [[nodiscard]] virtual rd_kafka_error_t* BeginTransaction() = 0;
  [[nodiscard]] virtual rd_kafka_error_t* SendOffsetsToTransaction(const rd_kafka_topic_partition_list_t* offsets,
                                                                   const rd_kafka_consumer_group_metadata_t* cgmd,
                                                                   int timeout_ms) = 0;
  [[nodiscard]] virtual rd_kafka_error_t* CommitTransaction(int timeout_ms) = 0;
  [[nodiscard]] virtual rd_kafka_error_t* AbortTransaction(int timeout_ms) = 0;

  // Consumer.
  [[nodiscard]] virtual rd_kafka_message_t* ConsumerPoll(int timeout_ms) = 0;
  [[nodiscard]] virtual rd_kafka_error_t* Seek(rd_kafka_topic_partition_list_t* partitions, int timeout_ms) = 0;
  [[nodiscard]] virtual rd_kafka_resp_err_t StoreOffsets(rd_kafka_topic_partition_list_t* offsets) = 0;
  // Synchronous commit of the stored offsets.
  [[nodiscard]] virtual rd_kafka_resp_err_t CommitStoredOffsets() = 0;
  [[nodiscard]] virtual rd_kafka_consumer_group_metadata_t* GroupMetadata() = 0;
  // The group's committed offsets of the partitions, into their offset
  // fields (RD_KAFKA_OFFSET_INVALID: none). With read_committed the
  // coordinator is asked for stable offsets: a partition whose offsets an
  // open transaction holds answers UNSTABLE_OFFSET_COMMIT until it ends
  // (librdkafka retries until the timeout).
  [[nodiscard]] virtual rd_kafka_resp_err_t Committed(rd_kafka_topic_partition_list_t* partitions, int timeout_ms) = 0;
  [[nodiscard]] virtual rd_kafka_resp_err_t Assignment(rd_kafka_topic_partition_list_t** partitions) = 0;
  virtual rd_kafka_resp_err_t Pause(rd_kafka_topic_partition_list_t* partitions) = 0;
  virtual rd_kafka_resp_err_t Resume(rd_kafka_topic_partition_list_t* partitions) = 0;
};

// The real client over the pipeline's handles; the pipeline owns them (it
// destroys them, and may replace the producer: Context::recreate_producer).
[[nodiscard]] std::unique_ptr<KafkaClient> MakeRdKafkaClient(rd_kafka_t* consumer, rd_kafka_t* producer);

}  // namespace maskproxy::pipeline
