// The JSON of POST /v1/reveal. Request:
//
//   {"route": "transfers", "field": "sender.email", "topic": "transfers.raw",
//    "purpose": {"ticket": "SEC-1", "reason": "chargeback"},
//    "key_version": 2, "keys_header": "contact:1,phone:2", "json": false,
//    "values": ["e1.contact.2....", ...]}
//
// route, field, purpose (with ticket and reason) and values are required;
// topic, key_version, keys_header and json optional. Unknown members are
// refused (a misspelt "purpose" must not pass as absent). Values are strings
// (with "json": true each string is the JSON text of the value).
//
// Response (200): {"values": ["original", null, ...], "failed": N}: one per
// requested value, null for one that could not be revealed. Errors:
// {"error": CODE, "message": TEXT} (text that names no value).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace maskproxy::reveal {

struct ServiceRequest {
  std::string route;
  std::string field;
  std::string topic;
  std::string ticket;
  std::string reason;
  std::optional<uint32_t> key_version;
  std::string keys_header;
  bool json = false;
  std::vector<std::string> values;
};

// Error invalid_json (not strict JSON) or invalid_argument (a missing or
// mistyped member, named). Messages never quote a value. The parsed fields
// read so far are in *partial even on error (route, field, purpose: for the
// audit entry of the refusal).
[[nodiscard]] Result<ServiceRequest> ParseServiceRequest(std::string_view body, ServiceRequest* partial = nullptr);

// The JSON body of a request (what the CLI client sends).
[[nodiscard]] std::string ServiceRequestJson(const ServiceRequest& request);

// The 200 body, and its parse (the CLI client's side).
[[nodiscard]] std::string ServiceResponseJson(const std::vector<std::optional<std::string>>& values, size_t failed);
struct ServiceResponse {
  std::vector<std::optional<std::string>> values;
  size_t failed = 0;
  std::string error;    // an error body's "error"
  std::string message;  // and "message"
};
[[nodiscard]] Result<ServiceResponse> ParseServiceResponse(std::string_view body);

}  // namespace maskproxy::reveal
