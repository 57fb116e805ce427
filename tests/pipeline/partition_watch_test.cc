// The watch over partitions librdkafka never starts (pipeline/partition_watch.h).
// The path through librdkafka is PipelineMock.APartitionLibrdkafkaNeverStarts*.
#include "pipeline/partition_watch.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "pipeline/start_offsets.h"

namespace maskproxy::pipeline {
namespace {

using namespace std::chrono_literals;
using Key = PartitionWatch::Key;

// The shape of librdkafka 2.0.2's statistics, cut down (brokers, totals and
// most partition fields left out), with the internal partition -1.
constexpr const char* kStats = R"({"name":"maskproxy-consumer#consumer-1","type":"consumer","ts":1,
 "brokers":{"127.0.0.1:9092/1":{"name":"127.0.0.1:9092/1","toppars":{"raw-0":{"topic":"raw","partition":0}}}},
 "topics":{
  "raw":{"topic":"raw","age":10,"partitions":{
    "0":{"partition":0,"broker":1,"leader":1,"desired":true,"unknown":false,"fetch_state":"active","next_offset":5},
    "1":{"partition":1,"broker":1,"leader":1,"desired":true,"unknown":false,"fetch_state":"none","next_offset":-1001},
    "2":{"partition":2,"broker":1,"leader":1,"desired":false,"unknown":false,"fetch_state":"stopped"},
    "-1":{"partition":-1,"broker":-1,"leader":-1,"desired":false,"unknown":false,"fetch_state":"none"}}},
  "pay.ments\u002dkr":{"topic":"pay.ments-kr","partitions":{
    "3":{"partition":3,"desired":true,"fetch_state":"offset-query"}}}},
 "cgrp":{"state":"up","join_state":"steady","assignment_size":4}})";

TEST(PartitionWatch, ReadsEachPartitionsFetchStateFromLibrdkafkasStatistics) {
  auto parts = ParseFetchStates(kStats);
  ASSERT_TRUE(parts.ok()) << parts.error().ToString();
  ASSERT_EQ(parts->size(), 4u);  // not the internal partition -1
  std::map<Key, std::pair<std::string, bool>> by;
  for (const auto& p : *parts) by[{p.topic, p.partition}] = {p.state, p.desired};
  EXPECT_EQ(by.at({"raw", 0}), std::make_pair(std::string("active"), true));
  EXPECT_EQ(by.at({"raw", 1}), std::make_pair(std::string("none"), true));
  EXPECT_EQ(by.at({"raw", 2}), std::make_pair(std::string("stopped"), false));
  EXPECT_EQ(by.at({"pay.ments-kr", 3}), std::make_pair(std::string("offset-query"), true));  // the key unescaped
}

TEST(PartitionWatch, ADocumentItCannotReadIsAnError) {
  EXPECT_FALSE(ParseFetchStates("{\"topics\":").ok());
  EXPECT_FALSE(ParseFetchStates(R"({"topics":{"raw":{"partitions":{"x1":{"fetch_state":"none"}}}}})").ok());
  auto empty = ParseFetchStates(R"({"name":"c","topics":{}})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(PartitionWatch, FetchingStatesAreNotStuck) {
  for (const char* s : {"active", "offset-query", "offset-wait", "validate-epoch-wait"})
    EXPECT_TRUE(IsFetching(s)) << s;
  for (const char* s : {"none", "stopping", "stopped", ""}) EXPECT_FALSE(IsFetching(s)) << s;
}

FetchState P(const char* topic, int32_t partition, const char* state, bool desired = true) {
  return FetchState{topic, partition, state, desired};
}

TEST(PartitionWatch, ReportsADesiredPartitionNotFetchingForTheWholeWait) {
  PartitionWatch w(30s);
  const auto t0 = PartitionWatch::Clock::time_point{} + 1h;
  const std::vector<FetchState> snap = {P("raw", 0, "active"), P("raw", 1, "none"), P("raw", 2, "none", false)};
  EXPECT_TRUE(w.Observe(t0, snap).empty());
  EXPECT_TRUE(w.Observe(t0 + 29s, snap).empty());
  EXPECT_EQ(w.Idle({"raw", 1}, t0 + 29s), 29s);
  EXPECT_EQ(w.Observe(t0 + 30s, snap), (std::vector<Key>{{"raw", 1}}));
  // Once per wait: again only after another 30 s of the same.
  EXPECT_TRUE(w.Observe(t0 + 35s, snap).empty());
  EXPECT_TRUE(w.Observe(t0 + 59s, snap).empty());
  EXPECT_EQ(w.Observe(t0 + 60s, snap), (std::vector<Key>{{"raw", 1}}));
  EXPECT_EQ(w.Idle({"raw", 0}, t0 + 60s), 0s);
}

// Paused (backpressure): the wait goes on, the report waits for the resume.
TEST(PartitionWatch, WhilePausedTheWaitGoesOnAndTheReportWaits) {
  PartitionWatch w(30s);
  const auto t0 = PartitionWatch::Clock::time_point{} + 1h;
  const std::vector<FetchState> snap = {P("raw", 1, "none")};
  EXPECT_TRUE(w.Observe(t0, snap, /*report=*/false).empty());
  EXPECT_TRUE(w.Observe(t0 + 40s, snap, false).empty());
  EXPECT_EQ(w.Observe(t0 + 41s, snap, true).size(), 1u);
}

TEST(PartitionWatch, ARevokedPartitionsWaitStartsOver) {
  PartitionWatch w(30s);
  const auto t0 = PartitionWatch::Clock::time_point{} + 1h;
  const std::vector<FetchState> snap = {P("raw", 1, "none")};
  EXPECT_TRUE(w.Observe(t0, snap).empty());
  w.Forget({{"raw", 1}});  // revoked and assigned again between two snapshots
  EXPECT_TRUE(w.Observe(t0 + 30s, snap).empty());
  EXPECT_EQ(w.Observe(t0 + 60s, snap).size(), 1u);
}

TEST(PartitionWatch, APartitionThatStartsOrLeavesStartsOver) {
  PartitionWatch w(30s);
  const auto t0 = PartitionWatch::Clock::time_point{} + 1h;
  EXPECT_TRUE(w.Observe(t0, {P("raw", 1, "none")}).empty());
  EXPECT_TRUE(w.Observe(t0 + 20s, {P("raw", 1, "active")}).empty());       // started
  EXPECT_TRUE(w.Observe(t0 + 40s, {P("raw", 1, "none")}).empty());         // stopped again: a new wait
  EXPECT_TRUE(w.Observe(t0 + 60s, {P("raw", 1, "none", false)}).empty());  // revoked
  EXPECT_TRUE(w.Observe(t0 + 65s, {}).empty());                            // gone from the statistics
  EXPECT_TRUE(w.Observe(t0 + 80s, {P("raw", 1, "none")}).empty());
  EXPECT_TRUE(w.Observe(t0 + 109s, {P("raw", 1, "none")}).empty());
  EXPECT_EQ(w.Observe(t0 + 110s, {P("raw", 1, "none")}).size(), 1u);
}

rd_kafka_message_t Msg(rd_kafka_topic_t* rkt, int32_t partition) {
  rd_kafka_message_t m{};
  m.rkt = rkt;
  m.partition = partition;
  return m;
}

// A partition the watch reported waits in StartOffsets until the next
// snapshot confirms it still is not fetching; a record of it arriving first
// (librdkafka started it after all) cancels it: a start at the committed
// offset would then read records again.
TEST(PartitionWatch, AReportedPartitionStartsOnlyOnceConfirmedAndWithoutARecord) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  ASSERT_NE(rk, nullptr) << err;
  rd_kafka_topic_t* raw = rd_kafka_topic_new(rk, "raw", nullptr);
  StartOffsets so(StartPolicy::kEarliest);
  EXPECT_FALSE(so.watching());
  EXPECT_TRUE(so.NoteNotStarted("raw", 1));
  EXPECT_FALSE(so.NoteNotStarted("raw", 1));  // reported twice: one entry, reported once
  EXPECT_TRUE(so.watching());
  EXPECT_TRUE(so.pending());
  so.Seen(Msg(raw, 0));  // another partition's record changes nothing
  EXPECT_TRUE(so.watching());
  so.Seen(Msg(raw, 1));
  EXPECT_FALSE(so.watching());
  EXPECT_FALSE(so.pending());

  // The next snapshot shows it fetching (or gone): dropped. Still not
  // fetching: kept (that it is then due is PipelineMock.APartitionLibrdkafkaNeverStarts*).
  EXPECT_TRUE(so.NoteNotStarted("raw", 4));
  EXPECT_TRUE(so.NoteNotStarted("raw", 5));
  so.Confirm({{"raw", 5}});
  EXPECT_TRUE(so.pending());
  EXPECT_FALSE(so.NoteNotStarted("raw", 5));
  EXPECT_TRUE(so.NoteNotStarted("raw", 4));  // raw:4 was dropped
  so.Seen(Msg(raw, 4));
  so.Seen(Msg(raw, 5));  // a record even after the confirmation cancels it
  EXPECT_FALSE(so.pending());

  // A reset of a reported partition is librdkafka's own path: no record will
  // come, so a record is no longer waited for, and the reset's start stays
  // (a snapshot showing it not fetching does not drop it either).
  EXPECT_TRUE(so.NoteNotStarted("raw", 2));
  rd_kafka_message_t reset = Msg(raw, 2);
  reset.err = RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET;
  reset.offset = RD_KAFKA_OFFSET_INVALID;
  so.NoteReset(reset);
  EXPECT_FALSE(so.watching());
  EXPECT_TRUE(so.pending());
  so.Seen(Msg(raw, 2));
  so.Confirm({});
  EXPECT_TRUE(so.pending());

  // A revoked partition is forgotten, whichever way it waited.
  EXPECT_TRUE(so.NoteNotStarted("raw", 3));
  rd_kafka_topic_partition_list_t* revoked = rd_kafka_topic_partition_list_new(2);
  rd_kafka_topic_partition_list_add(revoked, "raw", 2);
  rd_kafka_topic_partition_list_add(revoked, "raw", 3);
  so.Forget(revoked);
  rd_kafka_topic_partition_list_destroy(revoked);
  EXPECT_FALSE(so.watching());
  EXPECT_FALSE(so.pending());
  rd_kafka_topic_destroy(raw);
  rd_kafka_destroy(rk);
}

}  // namespace
}  // namespace maskproxy::pipeline
