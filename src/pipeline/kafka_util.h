// Small librdkafka helpers shared by the pipeline's files: owning pointers,
// a configuration setter, a partition key. Internal to src/pipeline.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace maskproxy::pipeline {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct ErrorDeleter {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
struct CgmdDeleter {
  void operator()(rd_kafka_consumer_group_metadata_t* m) const { rd_kafka_consumer_group_metadata_destroy(m); }
};
struct MsgDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;
using CgmdPtr = std::unique_ptr<rd_kafka_consumer_group_metadata_t, CgmdDeleter>;
using MsgPtr = std::unique_ptr<rd_kafka_message_t, MsgDeleter>;

inline Status SetConf(rd_kafka_conf_t* conf, const std::string& k, const std::string& v, const char* side) {
  char err[512];
  if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    return Error(ErrorCode::kConfigInvalid, std::string(side) + " property '" + k + "': " + err);
  return Status::Ok();
}

struct PartitionKey {
  std::string topic;
  int32_t partition;
  bool operator==(const PartitionKey&) const = default;
};
// A partition to look up in a map keyed by PartitionKey without building
// one (no string copy per record).
struct PartitionRef {
  std::string_view topic;
  int32_t partition;
};
struct PartitionKeyHash {
  using is_transparent = void;
  size_t operator()(const PartitionRef& k) const {
    return std::hash<std::string_view>()(k.topic) * 31 + std::hash<int32_t>()(k.partition);
  }
  size_t operator()(const PartitionKey& k) const { return (*this)(PartitionRef{k.topic, k.partition}); }
};
struct PartitionKeyEq {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return a.partition == b.partition && std::string_view(a.topic) == std::string_view(b.topic);
  }
};

}  // namespace maskproxy::pipeline
