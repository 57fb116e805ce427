#include "pipeline/headers.h"

#include <gtest/gtest.h>

namespace maskproxy::pipeline {
namespace {

TEST(Headers, PresentNoneOrUnreadable) {
  auto some = HeadersPresent(RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(some.ok());
  EXPECT_TRUE(*some);
  auto none = HeadersPresent(RD_KAFKA_RESP_ERR__NOENT);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
}

TEST(Headers, HeadersLibrdkafkaCannotParseAreAnErrorNotAnEmptyList) {
  // Fail closed: a record whose headers cannot be parsed must not pass on as
  // a record without headers (it becomes a dead letter, invalid_headers).
  for (rd_kafka_resp_err_t err :
       {RD_KAFKA_RESP_ERR__BAD_MSG, RD_KAFKA_RESP_ERR__FAIL, RD_KAFKA_RESP_ERR__INVALID_ARG}) {
    auto r = HeadersPresent(err);
    ASSERT_FALSE(r.ok()) << rd_kafka_err2name(err);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidHeaders);
    EXPECT_NE(r.error().message.find(rd_kafka_err2name(err)), std::string::npos) << r.error().message;
  }
}

TEST(Headers, OwnNamespaceInAnyCase) {
  EXPECT_TRUE(IsOwnHeader("maskproxy.origin"));
  EXPECT_TRUE(IsOwnHeader("MaskProxy.dlq.reason"));
  EXPECT_FALSE(IsOwnHeader("maskproxy"));
  EXPECT_FALSE(IsOwnHeader("x-maskproxy.origin"));
}

}  // namespace
}  // namespace maskproxy::pipeline
