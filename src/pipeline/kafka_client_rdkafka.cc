// KafkaClient over librdkafka: each call forwards to the library.
#include "pipeline/kafka_client.h"

namespace maskproxy::pipeline {
namespace {

class RdKafkaClient final : public KafkaClient {
 public:
  RdKafkaClient(rd_kafka_t* consumer, rd_kafka_t* producer) : consumer_(consumer), producer_(producer) {}
  ~RdKafkaClient() override = default;
  RdKafkaClient(const RdKafkaClient&) = delete;
  RdKafkaClient& operator=(const RdKafkaClient&) = delete;

  rd_kafka_t* consumer() const override { return consumer_; }
  rd_kafka_t* producer() const override { return producer_; }

  rd_kafka_resp_err_t Produce(const std::string& topic, const void* key, size_t key_len, const void* value,
                              size_t value_len, rd_kafka_headers_t* hdrs, int64_t ts, void* opaque) override {
    return rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(const_cast<void*>(key), key_len),
                             RD_KAFKA_V_VALUE(const_cast<void*>(value), value_len), RD_KAFKA_V_HEADERS(hdrs),
                             RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
  }
  int Poll(int timeout_ms) override { return rd_kafka_poll(producer_, timeout_ms); }
  rd_kafka_resp_err_t Flush(int timeout_ms) override { return rd_kafka_flush(producer_, timeout_ms); }
  int OutqLen() override { return rd_kafka_outq_len(producer_); }

  rd_kafka_error_t* InitTransactions(int timeout_ms) override {
    return rd_kafka_init_transactions(producer_, timeout_ms);
  }
  rd_kafka_error_t* BeginTransaction() override { return rd_kafka_begin_transaction(producer_); }
  rd_kafka_error_t* SendOffsetsToTransaction(const rd_kafka_topic_partition_list_t* offsets,
                                             const rd_kafka_consumer_group_metadata_t* cgmd, int timeout_ms) override {
    return rd_kafka_send_offsets_to_transaction(producer_, offsets, cgmd, timeout_ms);
  }
  rd_kafka_error_t* CommitTransaction(int timeout_ms) override {
    return rd_kafka_commit_transaction(producer_, timeout_ms);
  }
  rd_kafka_error_t* AbortTransaction(int timeout_ms) override {
    return rd_kafka_abort_transaction(producer_, timeout_ms);
  }

  rd_kafka_message_t* ConsumerPoll(int timeout_ms) override { return rd_kafka_consumer_poll(consumer_, timeout_ms); }
  rd_kafka_error_t* Seek(rd_kafka_topic_partition_list_t* partitions, int timeout_ms) override {
    return rd_kafka_seek_partitions(consumer_, partitions, timeout_ms);
  }
  rd_kafka_resp_err_t StoreOffsets(rd_kafka_topic_partition_list_t* offsets) override {
    return rd_kafka_offsets_store(consumer_, offsets);
  }
  rd_kafka_resp_err_t CommitStoredOffsets() override { return rd_kafka_commit(consumer_, nullptr, /*async=*/0); }
  rd_kafka_consumer_group_metadata_t* GroupMetadata() override { return rd_kafka_consumer_group_metadata(consumer_); }
  rd_kafka_resp_err_t Committed(rd_kafka_topic_partition_list_t* partitions, int timeout_ms) override {
    return rd_kafka_committed(consumer_, partitions, timeout_ms);
  }
  rd_kafka_resp_err_t Assignment(rd_kafka_topic_partition_list_t** partitions) override {
    return rd_kafka_assignment(consumer_, partitions);
  }
  rd_kafka_resp_err_t Pause(rd_kafka_topic_partition_list_t* partitions) override {
    return rd_kafka_pause_partitions(consumer_, partitions);
  }
  rd_kafka_resp_err_t Resume(rd_kafka_topic_partition_list_t* partitions) override {
    return rd_kafka_resume_partitions(consumer_, partitions);
  }

 private:
  rd_kafka_t* consumer_;
  rd_kafka_t* producer_;
};

}  // namespace

std::unique_ptr<KafkaClient> MakeRdKafkaClient(rd_kafka_t* consumer, rd_kafka_t* producer) {
  return std::make_unique<RdKafkaClient>(consumer, producer);
}

}  // namespace maskproxy::pipeline
