// The record size limits the pipeline derives (no broker; the behaviour with
// one is in pipeline_mock_test.cc and tests/integration/large_record_test.sh).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "pipeline/pipeline.h"

namespace maskproxy::pipeline {
namespace {

TEST(SizeLimit, ProducerLimitLeavesRoomAboveMaxRecordBytes) {
  // librdkafka's default (1,000,000) is below the default max_record_bytes
  // (1 MiB): the derived limit must hold a whole max_record_bytes value plus
  // its key and headers.
  EXPECT_GT(DerivedMessageMaxBytes(1 << 20), size_t{1 << 20} + 16 * 1024);
  EXPECT_GT(DerivedMessageMaxBytes(1), size_t{1000});  // librdkafka's minimum message.max.bytes
  EXPECT_EQ(EffectiveProducerLimit(1 << 20, {}), DerivedMessageMaxBytes(1 << 20));
}

TEST(SizeLimit, UserMessageMaxBytesOnlyLowersTheLimit) {
  EXPECT_EQ(EffectiveProducerLimit(1 << 20, {{"message.max.bytes", "500000"}}), 500000u);
  EXPECT_EQ(EffectiveProducerLimit(1 << 20, {{"message.max.bytes", "900000000"}}), DerivedMessageMaxBytes(1 << 20));
  EXPECT_EQ(EffectiveProducerLimit(1 << 20, {{"linger.ms", "5"}}), DerivedMessageMaxBytes(1 << 20));
}

TEST(SizeLimit, RecordEstimateCountsKeyValueHeadersAndFraming) {
  const size_t bare = EstimateRecordBytes(0, 0, 0, 0);
  EXPECT_GE(bare, 61u);  // a record batch header alone is 61 bytes
  EXPECT_EQ(EstimateRecordBytes(10, 0, 0, 0), bare + 10);
  EXPECT_EQ(EstimateRecordBytes(0, 100, 0, 0), bare + 100);
  // Every header costs its name and value plus its length varints.
  EXPECT_GT(EstimateRecordBytes(0, 0, 30, 2), bare + 30);
  EXPECT_GT(EstimateRecordBytes(0, 0, 30, 2), EstimateRecordBytes(0, 0, 30, 1));
}

}  // namespace
}  // namespace maskproxy::pipeline
