// The consumer prefetch maskproxy derives from limits.max_inflight_bytes
// (pipeline.h: PrefetchKbytes, FetchMaxBytes).
#include <gtest/gtest.h>

#include <cstddef>

#include "pipeline/pipeline.h"

namespace maskproxy::pipeline {
namespace {

TEST(Prefetch, FollowsTheInflightBound) {
  EXPECT_EQ(PrefetchKbytes(size_t{64} << 20), 65536u);  // the default: 64 MB
  EXPECT_EQ(PrefetchKbytes(size_t{16} << 20), 16384u);
  EXPECT_EQ(PrefetchKbytes(size_t{256} << 20), 262144u);
}

TEST(Prefetch, ClampedToLibrdkafkasRange) {
  EXPECT_EQ(PrefetchKbytes(size_t{1} << 20), 1024u);  // the smallest max_inflight_bytes
  EXPECT_EQ(PrefetchKbytes(0), 1024u);
  EXPECT_EQ(PrefetchKbytes(size_t{4} << 30), 2097151u);  // queued.max.messages.kbytes' maximum
}

TEST(Prefetch, FetchIsAQuarterOfThePrefetch) {
  EXPECT_EQ(FetchMaxBytes(65536), size_t{16} << 20);
  EXPECT_EQ(FetchMaxBytes(1024), size_t{1} << 20);  // at least 1 MiB (above message.max.bytes' default)
  EXPECT_EQ(FetchMaxBytes(16), size_t{1} << 20);
  EXPECT_EQ(FetchMaxBytes(2097151), size_t{2097151} * 1024 / 4);
}

}  // namespace
}  // namespace maskproxy::pipeline
