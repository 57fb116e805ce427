// Record headers: the maskproxy.* namespace (incoming ones are dropped, never
// passed on), copies and views of a consumed record's headers, headers built
// from the engine's output, the origin "topic:partition:offset".
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"

namespace maskproxy::pipeline {

// True for a header in maskproxy's own namespace (maskproxy.*, any case):
// an incoming one is forged or stale and never passed on.
[[nodiscard]] bool IsOwnHeader(std::string_view name);

// The record's headers without maskproxy.* ones. has_headers false (what
// ViewHeaders returned for `m`) skips looking again: an empty list.
[[nodiscard]] rd_kafka_headers_t* CopyHeaders(const rd_kafka_message_t* m, bool has_headers = true);

// What rd_kafka_message_headers' answer means: true (the record has
// headers), false (it has none), or invalid_headers (librdkafka could not
// parse them, or any other error: the record must not pass as header-less).
[[nodiscard]] Result<bool> HeadersPresent(rd_kafka_resp_err_t err);

// The record's headers as the engine's view (without maskproxy.* ones),
// into *views; they point into `m`. Returns whether the record has any
// headers, or invalid_headers (HeadersPresent; a name that hides bytes
// after a NUL, HeaderNameHidesBytes). (librdkafka 2.0.2 parses a
// record without headers again, with an allocation, on every
// rd_kafka_message_headers call: ask once.)
[[nodiscard]] Result<bool> ViewHeaders(const rd_kafka_message_t* m, std::vector<engine::HeaderView>* views);

// Headers built from the engine's output, or from the views it checked and
// left as they were (a masked record never gets a header the engine did not
// see: rd_kafka_headers_copy would also copy a name's bytes past a NUL).
[[nodiscard]] rd_kafka_headers_t* NewHeaders(const std::vector<engine::Header>& headers);
[[nodiscard]] rd_kafka_headers_t* NewHeaders(const std::vector<engine::HeaderView>& headers);

// Whether a header's name (as rd_kafka_header_get_all gives it, cut at its
// first NUL) is shorter than the name on the wire: a name with a NUL byte
// in it, whose rest ViewHeaders could not show the engine ("x\0010-1234-
// 5678"). Known only for a header with a value (librdkafka's layout: the
// value right after the name); for one without, NewHeaders(views) still
// produces only what the engine saw.
[[nodiscard]] bool HeaderNameHidesBytes(const char* name, const void* value);

[[nodiscard]] std::string OriginString(const std::string& topic, int32_t partition, int64_t offset);

// The source record a produced record came from (its origin header).
[[nodiscard]] std::string OriginOf(const rd_kafka_message_t* m);

// Bytes and count of a header list's names and values.
[[nodiscard]] size_t HeaderBytes(const rd_kafka_headers_t* hdrs, size_t* count);

}  // namespace maskproxy::pipeline
