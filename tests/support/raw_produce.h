// Writes one record to a Kafka broker with a hand-encoded ProduceRequest v3
// (a RecordBatch v2 of one record), for records no client library would
// write: here, a record whose header bytes do not parse. Tests only; blocking
// sockets with a 5 s timeout.
#pragma once

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace maskproxy::test_support {

namespace raw_produce_internal {

inline void Be(std::string* o, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) o->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void Varint(std::string* o, int64_t n) {  // zigzag, then base-128
  auto z = (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63);
  while (z >= 0x80) {
    o->push_back(static_cast<char>((z & 0x7f) | 0x80));
    z >>= 7;
  }
  o->push_back(static_cast<char>(z));
}
inline void Str16(std::string* o, std::string_view s) {
  Be(o, s.size(), 2);
  o->append(s);
}
inline uint32_t Crc32c(std::string_view s) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char c : s) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
  }
  return ~crc;
}
inline bool SendAll(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}
inline bool RecvAll(int fd, std::string* out, size_t n) {
  out->resize(n);
  for (size_t got = 0; got < n;) {
    const ssize_t r = ::recv(fd, out->data() + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}
inline uint64_t ReadBe(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
  return v;
}

// The partition's error code in a ProduceResponse v3, or -1 if unreadable.
inline int ProduceTo(const std::string& host, const std::string& port, const std::string& request) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) return -1;
  const int fd = ::socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  int code = -1;
  if (fd >= 0) {
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::string size, body;
    if (::connect(fd, res->ai_addr, res->ai_addrlen) == 0 && SendAll(fd, request) && RecvAll(fd, &size, 4) &&
        RecvAll(fd, &body, ReadBe(size, 0, 4))) {
      // correlation id, [topic: name, [partition, error_code, ...]], ...
      size_t at = 4 + 4;
      if (body.size() >= at + 2) {
        at += 2 + ReadBe(body, at, 2) + 4 + 4;  // topic name, partition count, partition
        if (body.size() >= at + 2) code = static_cast<int>(static_cast<int16_t>(ReadBe(body, at, 2)));
      }
    }
    ::close(fd);
  }
  freeaddrinfo(res);
  return code;
}

}  // namespace raw_produce_internal

// Sends the record (key, value, then `header_bytes` verbatim where the
// record's header count and headers belong) to every broker in `bootstraps`
// ("host:port,..."); the partition's leader appends it, the others refuse.
// Returns how many brokers answered with no error (1 when it was written).
inline int ProduceRawRecord(const std::string& bootstraps, const std::string& topic, int32_t partition,
                            std::string_view key, std::string_view value, std::string_view header_bytes) {
  using namespace raw_produce_internal;
  std::string rec;
  rec.push_back(0);  // attributes
  Varint(&rec, 0);   // timestamp delta
  Varint(&rec, 0);   // offset delta
  Varint(&rec, static_cast<int64_t>(key.size()));
  rec.append(key);
  Varint(&rec, static_cast<int64_t>(value.size()));
  rec.append(value);
  rec.append(header_bytes);
  std::string record;
  Varint(&record, static_cast<int64_t>(rec.size()));
  record += rec;

  const auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::string after_crc;
  Be(&after_crc, 0, 2);                           // attributes
  Be(&after_crc, 0, 4);                           // last offset delta
  Be(&after_crc, static_cast<uint64_t>(now), 8);  // first timestamp
  Be(&after_crc, static_cast<uint64_t>(now), 8);  // max timestamp
  Be(&after_crc, ~uint64_t{0}, 8);                // producer id -1
  Be(&after_crc, 0xffff, 2);                      // producer epoch -1
  Be(&after_crc, 0xffffffffu, 4);                 // base sequence -1
  Be(&after_crc, 1, 4);                           // record count
  after_crc += record;
  std::string batch;
  Be(&batch, 0, 8);                             // base offset
  Be(&batch, 4 + 1 + 4 + after_crc.size(), 4);  // batch length
  Be(&batch, 0xffffffffu, 4);                   // partition leader epoch -1
  batch.push_back(2);                           // magic
  Be(&batch, Crc32c(after_crc), 4);
  batch += after_crc;

  std::string req;
  Be(&req, 0, 2);  // api key: Produce
  Be(&req, 3, 2);  // version
  Be(&req, 1, 4);  // correlation id
  Str16(&req, "raw-produce");
  Be(&req, 0xffff, 2);  // transactional id: null
  Be(&req, 1, 2);       // acks
  Be(&req, 5000, 4);    // timeout ms
  Be(&req, 1, 4);       // one topic
  Str16(&req, topic);
  Be(&req, 1, 4);  // one partition
  Be(&req, static_cast<uint32_t>(partition), 4);
  Be(&req, batch.size(), 4);
  req += batch;
  std::string framed;
  Be(&framed, req.size(), 4);
  framed += req;

  int accepted = 0;
  std::stringstream list(bootstraps);
  for (std::string broker; std::getline(list, broker, ',');) {
    const size_t colon = broker.rfind(':');
    if (colon == std::string::npos) continue;
    if (ProduceTo(broker.substr(0, colon), broker.substr(colon + 1), framed) == 0) ++accepted;
  }
  return accepted;
}

}  // namespace maskproxy::test_support
