// Where a partition librdkafka reset starts (pipeline/start_offsets.h). The
// path through a real broker is faults.unstable_offsets.
#include "pipeline/start_offsets.h"

#include <gtest/gtest.h>

namespace maskproxy::pipeline {
namespace {

constexpr rd_kafka_resp_err_t kOk = RD_KAFKA_RESP_ERR_NO_ERROR;

TEST(StartOffsets, ParsesLibrdkafkasSpellings) {
  for (const char* v : {"earliest", "smallest", "beginning"})
    EXPECT_EQ(ParseStartPolicy(v).value(), StartPolicy::kEarliest) << v;
  for (const char* v : {"latest", "largest", "end"}) EXPECT_EQ(ParseStartPolicy(v).value(), StartPolicy::kLatest) << v;
  EXPECT_EQ(ParseStartPolicy("error").value(), StartPolicy::kError);
  auto bad = ParseStartPolicy("Earliest");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("auto.offset.reset"), std::string::npos);
}

// The bug this exists for: librdkafka found "no committed offset" for a
// partition the group has committed (its lookup was answered
// UNSTABLE_OFFSET_COMMIT while the assignment changed). Whatever the
// policy, the partition starts at the committed offset.
TEST(StartOffsets, ACommittedOffsetWinsOverThePolicy) {
  for (StartPolicy p : {StartPolicy::kEarliest, StartPolicy::kLatest, StartPolicy::kError}) {
    StartDecision d = DecideStart(p, RD_KAFKA_OFFSET_INVALID, kOk, 100);
    EXPECT_EQ(d.kind, StartDecision::kSeek);
    EXPECT_EQ(d.offset, 100);
    EXPECT_STREQ(d.why, "committed_offset");
  }
  // Offset 0 is a committed offset too.
  EXPECT_EQ(DecideStart(StartPolicy::kLatest, RD_KAFKA_OFFSET_INVALID, kOk, 0).offset, 0);
}

TEST(StartOffsets, WaitsWhileTheCommittedOffsetIsNotReadable) {
  for (rd_kafka_resp_err_t e : {RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT,
                                RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                                RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED}) {
    // Never a start at the policy while the answer is unknown, even with
    // an offset in hand.
    EXPECT_EQ(DecideStart(StartPolicy::kEarliest, RD_KAFKA_OFFSET_INVALID, e, 100).kind, StartDecision::kWait)
        << rd_kafka_err2name(e);
    EXPECT_EQ(DecideStart(StartPolicy::kEarliest, RD_KAFKA_OFFSET_INVALID, e, RD_KAFKA_OFFSET_INVALID).kind,
              StartDecision::kWait);
  }
}

TEST(StartOffsets, NothingCommittedStartsAtThePolicy) {
  StartDecision d = DecideStart(StartPolicy::kEarliest, RD_KAFKA_OFFSET_INVALID, kOk, RD_KAFKA_OFFSET_INVALID);
  EXPECT_EQ(d.kind, StartDecision::kSeek);
  EXPECT_EQ(d.offset, RD_KAFKA_OFFSET_BEGINNING);
  EXPECT_STREQ(d.why, "no_committed_offset");
  d = DecideStart(StartPolicy::kLatest, RD_KAFKA_OFFSET_INVALID, kOk, RD_KAFKA_OFFSET_INVALID);
  EXPECT_EQ(d.offset, RD_KAFKA_OFFSET_END);
  EXPECT_EQ(DecideStart(StartPolicy::kError, RD_KAFKA_OFFSET_INVALID, kOk, RD_KAFKA_OFFSET_INVALID).kind,
            StartDecision::kFail);
}

// The committed offset itself is out of the log's range (retention deleted
// it): librdkafka reported that very offset. The one reset the user's
// policy decides; a different failed offset (a position after a rewind)
// still goes back to the committed one first.
TEST(StartOffsets, ACommittedOffsetOutOfRangeStartsAtThePolicy) {
  StartDecision d = DecideStart(StartPolicy::kEarliest, 100, kOk, 100);
  EXPECT_EQ(d.kind, StartDecision::kSeek);
  EXPECT_EQ(d.offset, RD_KAFKA_OFFSET_BEGINNING);
  EXPECT_STREQ(d.why, "committed_offset_out_of_range");
  EXPECT_EQ(DecideStart(StartPolicy::kError, 100, kOk, 100).kind, StartDecision::kFail);
  d = DecideStart(StartPolicy::kEarliest, 250, kOk, 100);
  EXPECT_EQ(d.offset, 100);
  EXPECT_STREQ(d.why, "committed_offset");
}

}  // namespace
}  // namespace maskproxy::pipeline
