// txn_offsets_hold: a transactional producer that sends consumer-group
// offsets into a transaction and holds it open, as a proxy instance does
// when it dies between send_offsets_to_transaction and commit_transaction.
// Until the transaction ends, the group coordinator answers every
// committed-offset lookup of those partitions with UNSTABLE_OFFSET_COMMIT.
// Used by faults/unstable_offsets_test.sh.
//
// Usage: txn_offsets_hold BOOTSTRAP TRANSACTIONAL_ID GROUP HOLD_MS TOPIC:PARTITION:OFFSET...
// Prints "holding" once the offsets are in the open transaction, then after
// HOLD_MS aborts it (the committed offsets stay what they were) and prints
// "aborted". Exit 0, or 1 with the librdkafka error.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

int Fail(const char* what, rd_kafka_error_t* e) {
  std::fprintf(stderr, "txn_offsets_hold: %s: %s\n", what, rd_kafka_error_string(e));
  rd_kafka_error_destroy(e);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: txn_offsets_hold BOOTSTRAP TRANSACTIONAL_ID GROUP HOLD_MS TOPIC:PARTITION:OFFSET...\n");
    return 2;
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const char* props[][2] = {
      {"bootstrap.servers", argv[1]}, {"transactional.id", argv[2]}, {"transaction.timeout.ms", "60000"}};
  for (const auto& p : props)
    if (rd_kafka_conf_set(conf, p[0], p[1], err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "txn_offsets_hold: %s\n", err);
      return 1;
    }
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (producer == nullptr) {
    std::fprintf(stderr, "txn_offsets_hold: %s\n", err);
    return 1;
  }
  if (rd_kafka_error_t* e = rd_kafka_init_transactions(producer, 30000)) return Fail("init_transactions", e);
  if (rd_kafka_error_t* e = rd_kafka_begin_transaction(producer)) return Fail("begin_transaction", e);
  rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(argc - 5);
  for (int i = 5; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t last = arg.rfind(':');
    const size_t first = last == std::string::npos || last == 0 ? std::string::npos : arg.rfind(':', last - 1);
    if (first == std::string::npos) {
      std::fprintf(stderr, "txn_offsets_hold: '%s' is not TOPIC:PARTITION:OFFSET\n", argv[i]);
      return 2;
    }
    rd_kafka_topic_partition_list_add(offsets, arg.substr(0, first).c_str(),
                                      std::atoi(arg.substr(first + 1, last - first - 1).c_str()))
        ->offset = std::atoll(arg.substr(last + 1).c_str());
  }
  rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata_new(argv[3]);
  if (rd_kafka_error_t* e = rd_kafka_send_offsets_to_transaction(producer, offsets, group, 30000))
    return Fail("send_offsets_to_transaction", e);
  std::printf("holding\n");
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(argv[4])));
  if (rd_kafka_error_t* e = rd_kafka_abort_transaction(producer, 30000)) return Fail("abort_transaction", e);
  std::printf("aborted\n");
  rd_kafka_consumer_group_metadata_destroy(group);
  rd_kafka_topic_partition_list_destroy(offsets);
  rd_kafka_destroy(producer);
  return 0;
}
