// The tally: counts wait until their records are durable (exactly-once:
// the transaction commits; at-least-once: the delivery succeeds), a
// replayed record counts once, and the table under it holds any number of
// counters.
#include "pipeline/counters.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>

namespace maskproxy::pipeline {
namespace {

TEST(TallyTest, CountsWaitForTheirCommit) {
  metrics::Counter a, b;
  Tally t;
  t.Defer(true);
  t.Add(a);
  t.Add(b, 3);
  t.Add(a, 2);
  t.Record();
  EXPECT_EQ(a.Value(), 0U);
  t.Seal();
  t.Add(a, 10);  // the next transaction's
  t.Record();
  EXPECT_EQ(t.pending_records(), 2U);
  t.Commit();
  EXPECT_EQ(a.Value(), 3U);
  EXPECT_EQ(b.Value(), 3U);
  EXPECT_EQ(t.pending_records(), 1U);
  t.Seal();
  t.Commit();
  EXPECT_EQ(a.Value(), 13U);
}

TEST(TallyTest, AnAbortDropsWhatWasNotCommitted) {
  metrics::Counter a;
  Tally t;
  t.Defer(true);
  t.Add(a);
  t.Record();
  t.Seal();
  t.Add(a);
  t.Record();
  EXPECT_EQ(t.Drop(), 2U);
  t.Seal();
  t.Commit();
  EXPECT_EQ(a.Value(), 0U);
  // The same counter again after the drop: counted from zero.
  t.Add(a, 4);
  t.Seal();
  t.Commit();
  EXPECT_EQ(a.Value(), 4U);
}

TEST(TallyTest, TakeHandsOverTheRecordsCounts) {
  metrics::Counter a, b;
  Tally t;
  t.Defer(true);
  t.Add(a);
  t.Add(b);
  t.Add(a);
  Tally::Counts counts = t.Take();
  ASSERT_EQ(counts.size(), 2U);
  EXPECT_EQ(a.Value(), 0U);
  Tally::Apply(counts);
  EXPECT_EQ(a.Value(), 2U);
  EXPECT_EQ(b.Value(), 1U);
  EXPECT_TRUE(t.Take().empty());
}

TEST(TallyTest, NotDeferredCountsAtOnce) {
  metrics::Counter a;
  Tally t;
  t.Add(a, 5);
  EXPECT_EQ(a.Value(), 5U);
}

// Many counters (the table grows several times, sealed and open apart):
// every count arrives once, none lost or doubled by a move.
TEST(TallyTest, ManyCountersSurviveTheTableGrowing) {
  std::deque<metrics::Counter> cs(1000);
  Tally t;
  t.Defer(true);
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < cs.size(); ++i) t.Add(cs[i], i + 1);
    if (round == 1) t.Seal();
  }
  t.Seal();
  t.Commit();
  for (size_t i = 0; i < cs.size(); ++i) ASSERT_EQ(cs[i].Value(), 3 * (i + 1)) << i;
  t.Add(cs[7]);
  t.Seal();
  t.Commit();
  EXPECT_EQ(cs[7].Value(), 3 * 8U + 1);
  EXPECT_EQ(cs[8].Value(), 3 * 9U);
}

}  // namespace
}  // namespace maskproxy::pipeline
