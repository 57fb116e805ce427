#include "pipeline/headers.h"

#include <cstring>
#include <optional>

#include "engine/engine.h"
#include "pipeline/pipeline.h"

namespace maskproxy::pipeline {

bool IsOwnHeader(std::string_view name) {
  constexpr std::string_view kPrefix = "maskproxy.";
  return name.size() >= kPrefix.size() && policy::HeaderNameEquals(name.substr(0, kPrefix.size()), kPrefix);
}

rd_kafka_headers_t* CopyHeaders(const rd_kafka_message_t* m, bool has_headers) {
  rd_kafka_headers_t* src = nullptr;
  if (!has_headers || rd_kafka_message_headers(m, &src) != RD_KAFKA_RESP_ERR_NO_ERROR || !src)
    return rd_kafka_headers_new(4);
  rd_kafka_headers_t* out = rd_kafka_headers_copy(src);
  std::vector<std::string> own;
  const char* name = nullptr;
  const void* val = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(src, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
    if (IsOwnHeader(name)) own.emplace_back(name);
  for (const auto& n : own) rd_kafka_header_remove(out, n.c_str());
  return out;
}

Result<bool> HeadersPresent(rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
  if (err == RD_KAFKA_RESP_ERR__NOENT) return false;
  return Error(ErrorCode::kInvalidHeaders,
               std::string("the record's headers cannot be read: ") + rd_kafka_err2name(err));
}

Result<bool> ViewHeaders(const rd_kafka_message_t* m, std::vector<engine::HeaderView>* views) {
  views->clear();
  rd_kafka_headers_t* src = nullptr;
  auto present = HeadersPresent(rd_kafka_message_headers(m, &src));
  if (!present.ok() || !*present) return present;
  if (!src) return false;
  const char* name = nullptr;
  const void* val = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(src, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    if (HeaderNameHidesBytes(name, val)) {
      views->clear();
      return Error(ErrorCode::kInvalidHeaders,
                   "header " + std::to_string(i) + "'s name holds a NUL byte (what follows it could not be checked)");
    }
    if (IsOwnHeader(name)) continue;
    views->push_back({name, val ? std::optional<std::string_view>(std::string_view(static_cast<const char*>(val), size))
                                : std::nullopt});
  }
  return true;
}

bool HeaderNameHidesBytes(const char* name, const void* value) {
  // librdkafka keeps a header in one allocation: the name (name_size bytes),
  // a NUL, then the value. A value that does not start right after the
  // name's first NUL means the name went on past it.
  return value != nullptr && static_cast<const char*>(value) != name + std::strlen(name) + 1;
}

namespace {
// Headers with a name and an optional value (engine::Header, HeaderView).
template <typename H>
rd_kafka_headers_t* BuildHeaders(const std::vector<H>& headers) {
  rd_kafka_headers_t* out = rd_kafka_headers_new(headers.size() + 4);
  for (const auto& h : headers)
    rd_kafka_header_add(out, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value ? h.value->data() : nullptr,
                        h.value ? static_cast<ssize_t>(h.value->size()) : 0);
  return out;
}
}  // namespace

rd_kafka_headers_t* NewHeaders(const std::vector<engine::HeaderView>& headers) {
  return BuildHeaders(headers);
}

rd_kafka_headers_t* NewHeaders(const std::vector<engine::Header>& headers) {
  return BuildHeaders(headers);
}

std::string OriginString(const std::string& topic, int32_t partition, int64_t offset) {
  return topic + ":" + std::to_string(partition) + ":" + std::to_string(offset);
}

std::string OriginOf(const rd_kafka_message_t* m) {
  rd_kafka_headers_t* h = nullptr;
  const void* v = nullptr;
  size_t n = 0;
  if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR || !h ||
      rd_kafka_header_get_last(h, kHeaderOrigin, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR || !v)
    return std::string();
  return std::string(static_cast<const char*>(v), n);
}

size_t HeaderBytes(const rd_kafka_headers_t* hdrs, size_t* count) {
  size_t bytes = 0, n = 0;
  const char* name = nullptr;
  const void* val = nullptr;
  size_t size = 0;
  if (hdrs)
    for (; rd_kafka_header_get_all(hdrs, n, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++n)
      bytes += std::strlen(name) + (val ? size : 0);
  *count = n;
  return bytes;
}

}  // namespace maskproxy::pipeline
