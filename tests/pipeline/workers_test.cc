// The worker pool that masks a batch in parallel (pipeline/workers.h) and
// the default worker count from the CPU quota (pipeline.h).
#include "pipeline/workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "pipeline/pipeline.h"

namespace maskproxy::pipeline {
namespace {

TEST(MaskWorkers, EveryIndexRunsOnceOnSeveralThreads) {
  MaskWorkers w(3);
  EXPECT_EQ(w.size(), 3);
  for (size_t count : {0u, 1u, 2u, 7u, 500u}) {
    std::vector<std::atomic<int>> calls(count);
    std::mutex mu;
    std::set<std::thread::id> threads;
    w.Run(count, [&](size_t i) {
      calls[i].fetch_add(1);
      std::lock_guard<std::mutex> l(mu);
      threads.insert(std::this_thread::get_id());
    });
    for (size_t i = 0; i < count; ++i) EXPECT_EQ(calls[i].load(), 1) << "index " << i << " of " << count;
    EXPECT_LE(threads.size(), 3u);
  }
}

TEST(MaskWorkers, OneWorkerIsTheCallerAlone) {
  MaskWorkers w(1);
  EXPECT_EQ(w.size(), 1);
  const auto caller = std::this_thread::get_id();
  int n = 0;
  w.Run(10, [&](size_t) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    ++n;
  });
  EXPECT_EQ(n, 10);
}

TEST(MaskWorkers, ManyBatchesInARow) {
  MaskWorkers w(4);
  std::atomic<long> sum{0};
  for (int b = 0; b < 2000; ++b) w.Run(5, [&](size_t i) { sum += static_cast<long>(i); });
  EXPECT_EQ(sum.load(), 2000L * 10);
}

TEST(DefaultWorkers, FromAffinityAndCgroupQuota) {
  EXPECT_EQ(WorkersFrom(4, "", 8), 4);
  EXPECT_EQ(WorkersFrom(4, "max 100000", 8), 4);
  EXPECT_EQ(WorkersFrom(4, "200000 100000", 8), 2);
  EXPECT_EQ(WorkersFrom(4, "150000 100000", 8), 2);  // 1.5 CPUs: rounded up
  EXPECT_EQ(WorkersFrom(4, "50000 100000", 8), 1);
  EXPECT_EQ(WorkersFrom(2, "800000 100000", 8), 2);  // the affinity mask bounds it too
  EXPECT_EQ(WorkersFrom(64, "", 8), 8);              // capped
  EXPECT_EQ(WorkersFrom(4, "garbage", 8), 4);
  EXPECT_GE(DefaultWorkers(), 1);
  EXPECT_LE(DefaultWorkers(), 8);
}

}  // namespace
}  // namespace maskproxy::pipeline
