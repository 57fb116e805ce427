// The JSON of POST /v1/reveal: what is accepted, and a clear refusal for
// bad JSON, a missing purpose and wrong types.
#include "reveal/request.h"

#include <gtest/gtest.h>

#include <string>

namespace maskproxy::reveal {
namespace {

TEST(ServiceRequest, ParsesAFullRequest) {
  auto r = ParseServiceRequest(
      R"({"route":"transfers","field":"sender.phone","topic":"t.raw","purpose":{"ticket":"SEC-1","reason":"fraud"},)"
      R"("key_version":2,"json":false,"values":["e1.a","x\"y\u00e9\ud83d\ude00"]})");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->route, "transfers");
  EXPECT_EQ(r->field, "sender.phone");
  EXPECT_EQ(r->topic, "t.raw");
  EXPECT_EQ(r->ticket, "SEC-1");
  EXPECT_EQ(r->reason, "fraud");
  ASSERT_TRUE(r->key_version.has_value());
  EXPECT_EQ(*r->key_version, 2u);
  ASSERT_EQ(r->values.size(), 2u);
  EXPECT_EQ(r->values[1], "x\"y\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(ServiceRequest, RoundTripsThroughTheClientsJson) {
  ServiceRequest q{.route = "r",
                   .field = "a.b",
                   .topic = "",
                   .ticket = "T-1",
                   .reason = "support",
                   .key_version = std::nullopt,
                   .keys_header = "phone:2",
                   .json = true,
                   .values = {"1", "\"\\x\n\""}};
  auto r = ParseServiceRequest(ServiceRequestJson(q));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->values, q.values);
  EXPECT_EQ(r->keys_header, "phone:2");
  EXPECT_TRUE(r->json);
}

TEST(ServiceRequest, RefusesWithAClearMessage) {
  const std::string ok_tail = R"("purpose":{"ticket":"T","reason":"fraud"},"values":["v"]})";
  struct Case {
    std::string body;
    ErrorCode code;
    const char* says;
  };
  for (const Case& c : {
           Case{"", ErrorCode::kInvalidJson, "not JSON"},
           Case{"{\"route\":", ErrorCode::kInvalidJson, "not JSON"},
           Case{"{\"route\":\"r\",}", ErrorCode::kInvalidJson, "not JSON"},
           Case{"{\"route\":\"\xff\xfe\",\"field\":\"f\"," + ok_tail, ErrorCode::kInvalidJson,
                "invalid UTF-8 at byte 10"},
           Case{"{\"route\":\"r\",\"field\":\"\xed\xa0\x80\"," + ok_tail, ErrorCode::kInvalidJson, "invalid UTF-8"},
           Case{"[1]", ErrorCode::kInvalidArgument, "must be a JSON object"},
           Case{R"({"route":"r","field":"f","values":["v"]})", ErrorCode::kInvalidArgument, "'purpose'"},
           Case{R"({"route":"r","field":"f","purpose":{"reason":"fraud"},"values":["v"]})", ErrorCode::kInvalidArgument,
                "purpose.ticket"},
           Case{R"({"route":"r","field":"f","purpose":{"ticket":"T"},"values":["v"]})", ErrorCode::kInvalidArgument,
                "purpose.reason"},
           // Found by review: a blank ticket was revealed to.
           Case{R"({"route":"r","field":"f","purpose":{"ticket":" ","reason":"fraud"},"values":["v"]})",
                ErrorCode::kInvalidArgument, "purpose.ticket"},
           Case{"{\"route\":\"r\",\"field\":\"f\",\"purpose\":{\"ticket\":\"\\u200b\\u0009\",\"reason\":\"fraud\"},"
                "\"values\":[\"v\"]}",
                ErrorCode::kInvalidArgument, "purpose.ticket"},
           Case{R"({"route":"r","field":"f","purpose":{"ticket":"T","reason":"curiosity"},"values":["v"]})",
                ErrorCode::kInvalidArgument,
                "'purpose.reason' must be one of the purpose classes: fraud, chargeback, legal_request, "
                "data_subject_request, incident, support, audit"},
           Case{R"({"route":"r","field":"f","purpose":"fraud","values":["v"]})", ErrorCode::kInvalidArgument,
                "'purpose' must be an object"},
           Case{R"({"route":1,"field":"f",)" + ok_tail, ErrorCode::kInvalidArgument, "'route' must be a string"},
           Case{R"({"field":"f",)" + ok_tail, ErrorCode::kInvalidArgument, "'route' is required"},
           Case{R"({"route":"r","field":"f","values":[1],"purpose":{"ticket":"T","reason":"fraud"}})",
                ErrorCode::kInvalidArgument, "array of strings"},
           Case{R"({"route":"r","field":"f","values":[],"purpose":{"ticket":"T","reason":"fraud"}})",
                ErrorCode::kInvalidArgument, "at least one"},
           Case{R"({"route":"r","field":"f","json":"yes",)" + ok_tail, ErrorCode::kInvalidArgument, "'json'"},
           Case{R"({"route":"r","field":"f","key_version":-1,)" + ok_tail, ErrorCode::kInvalidArgument, "key_version"},
           Case{R"({"route":"r","field":"f","purpse":{},)" + ok_tail, ErrorCode::kInvalidArgument,
                "an unknown member (known: route, field, topic, purpose,"},
           Case{R"({"route":"r","route":"s","field":"f",)" + ok_tail, ErrorCode::kInvalidJson, "twice"},
       }) {
    auto r = ParseServiceRequest(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().code, c.code) << c.body;
    EXPECT_NE(r.error().message.find(c.says), std::string::npos) << c.body << " -> " << r.error().message;
  }
}

TEST(ServiceRequest, ErrorsNeverQuoteAValue) {
  auto r = ParseServiceRequest(R"({"route":"r","field":"f","purpose":{"ticket":"T","reason":"fraud"},)"
                               R"("values":["900101-1234567", 5]})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("900101"), std::string::npos);
}

TEST(ServiceResponse, RoundTrips) {
  std::string body = ServiceResponseJson({std::string("a\"b"), std::nullopt}, 1);
  EXPECT_EQ(body, R"({"values":["a\"b",null],"failed":1})");
  auto r = ParseServiceResponse(body);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->values.size(), 2u);
  EXPECT_EQ(r->values[0].value_or(""), "a\"b");
  EXPECT_FALSE(r->values[1].has_value());
  EXPECT_EQ(r->failed, 1u);
  auto e = ParseServiceResponse(R"({"error":"reveal_denied","message":"no role"})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->error, "reveal_denied");
  EXPECT_FALSE(ParseServiceResponse("<html>").ok());
}

}  // namespace
}  // namespace maskproxy::reveal
