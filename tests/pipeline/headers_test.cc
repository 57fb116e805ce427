#include "pipeline/headers.h"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>
#include <vector>

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

// A header name with a NUL byte in it: librdkafka's API gives the name up to
// the NUL, so the engine would check "x" while rd_kafka_headers_copy passes
// "x\0010-1234-5678" on (found by review). librdkafka parses a record's
// headers with rd_kafka_header_add, as here.
TEST(Headers, ANameThatHidesBytesAfterANulIsSeen) {
  rd_kafka_headers_t* h = rd_kafka_headers_new(4);
  const char hidden[] =
      "x\0"
      "010-1234-5678";
  ASSERT_EQ(rd_kafka_header_add(h, hidden, sizeof(hidden) - 1, "v", 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(rd_kafka_header_add(h, "trace", -1, "abc", 3), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(rd_kafka_header_add(h, "empty", -1, "", 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(rd_kafka_header_add(h, "", 0, "v", 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::vector<bool> hides;
  const char* name = nullptr;
  const void* val = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(h, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    hides.push_back(HeaderNameHidesBytes(name, val));
  }
  EXPECT_EQ(hides, (std::vector<bool>{true, false, false, false}));
  rd_kafka_headers_destroy(h);
}

// Headers the engine left as they were are built from its views: what it
// did not see is not produced.
TEST(Headers, UnchangedHeadersAreBuiltFromTheViews) {
  const std::vector<engine::HeaderView> views = {{"trace", std::string_view("abc")}, {"flag", std::nullopt}};
  rd_kafka_headers_t* h = NewHeaders(views);
  const void* val = nullptr;
  size_t size = 0;
  ASSERT_EQ(rd_kafka_header_get_last(h, "trace", &val, &size), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(std::string_view(static_cast<const char*>(val), size), "abc");
  ASSERT_EQ(rd_kafka_header_get_last(h, "flag", &val, &size), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(val, nullptr);
  rd_kafka_headers_destroy(h);
}

}  // namespace
}  // namespace maskproxy::pipeline
