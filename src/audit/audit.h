// The audit trail: typed events, written as one tamper-evident JSON Lines
// file (and optionally a Kafka topic). Every entry carries a sequence number,
// a time, the hash of the previous entry and an HMAC under the audit key,
// which is kept apart from the data keys. No entry ever holds a record value
// or key material: values revealed appear only as ValueDigest()s.
//
// This header is the contract the rest of the proxy writes against; the
// writer (trail.h) and the verifier (verify.h) implement it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.h"

namespace maskproxy::audit {

// What happened. The names (EventTypeName) are the "event" member of an entry
// and are an interface: never rename one.
enum class EventType : uint8_t {
  kStart,           // the proxy started (version, config hash, instance)
  kStop,            // it stopped (reason, records counts)
  kConfigLoaded,    // config file loaded (path, hash)
  kPolicyLoaded,    // a policy set loaded at start (files, names, versions, hashes)
  kPolicyReloaded,  // a reload swapped a new set in (old and new hashes, trigger)
  kPolicyRejected,  // a reload was refused (trigger, the errors as file:line:col)
  kKeysLoaded,      // keys loaded (names and versions, never material; the file or KMS)
  kKeysRotated,     // `keys rotate` (names, new versions)
  kReveal,          // a reveal, allowed or denied (RevealEvent)
  kSchemaDrift,     // PII where no rule expected it (route, field path, detector)
  kDeadLetters,     // dead letters in one interval, by route and reason
  kFenced,          // another instance took over the transactional id
  kFatalExit,       // the proxy exits on a fatal error (code)
  kTrailResumed,    // written by the trail itself when it opens a trail its last writer did not close
  kCheckpoint,      // written by the trail itself: seq and chain hash so far
};
[[nodiscard]] std::string_view EventTypeName(EventType type);

// One member of an event: a string, an integer, a bool or a list of strings.
using Value = std::variant<std::string, int64_t, bool, std::vector<std::string>>;

// An event before the trail adds seq, time, prev and mac. Field names are
// snake_case and safe text only (codes, names, paths, hashes, counts).
struct Event {
  EventType type = EventType::kStart;
  std::vector<std::pair<std::string, Value>> fields;

  Event& Add(std::string name, Value value) {
    fields.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  // Typed forms: each builds its pair in place (GCC 12 warns, wrongly, of an
  // uninitialized vector when a Value temporary is moved), and a string
  // literal must not become a bool.
  Event& Add(const std::string& name, const std::string& value) { return Put<0>(name, value); }
  Event& Add(const std::string& name, const char* value) { return Put<0>(name, std::string(value)); }
  Event& Add(const std::string& name, bool value) { return Put<2>(name, value); }
  template <typename I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) Event& Add(const std::string& name, I value) {
    return Put<1>(name, static_cast<int64_t>(value));
  }
  Event& Add(const std::string& name, const std::vector<std::string>& value) { return Put<3>(name, value); }

 private:
  template <size_t kIndex, typename T>
  Event& Put(const std::string& name, const T& value) {
    fields.emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                        std::forward_as_tuple(std::in_place_index<kIndex>, value));
    return *this;
  }
};

// A reveal request as the trail records it (allowed or denied). Built by the
// reveal service, the CLI's offline break-glass reveal, and nothing else.
struct RevealEvent {
  bool allowed = false;
  std::string denied_code;  // ErrorCodeName of the refusal when !allowed
  std::string channel;      // "service" (POST /v1/reveal) or "offline" (break-glass CLI)
  std::string subject;      // certificate subject, or the OS user for offline
  std::string role;         // the role that granted it ("" when none matched)
  std::string ticket;       // purpose: ticket id
  std::string reason;       // purpose: why
  std::string policy;       // policy label name@version#hash
  std::string route;
  std::string field;
  std::string topic;
  std::string action;
  uint32_t key_version = 0;  // 0 = from the values (t/e/d prefixes) or n/a
  size_t requested = 0;      // values asked for
  size_t revealed = 0;       // values returned
  size_t failed = 0;         // values that could not be revealed
  // Sink::ValueDigest of each value revealed, in order: of its text (a
  // string's characters, another value's JSON text), asked for as JSON or not.
  std::vector<std::string> value_digests;
  std::string uid;   // OS uid of the process that revealed
  std::string host;  // host name
};
[[nodiscard]] Event ToEvent(const RevealEvent& reveal);

// Where events go. Append returns ok only when the entry is durably written
// (a file: written and fsynced). Error kAuditFailed otherwise: the caller
// must then not go on with what the event speaks of (no value revealed, no
// record forwarded).
class Sink {
 public:
  virtual ~Sink() = default;
  [[nodiscard]] virtual Status Append(const Event& event) = 0;
  // HMAC-SHA-256 of `value` under the audit key, as 32 hex characters: an
  // auditor holding the key can check whether a known value was revealed;
  // the trail itself holds no value and no unkeyed hash of one (an RRN has
  // too few possibilities for a plain hash to hide it).
  [[nodiscard]] virtual std::string ValueDigest(std::string_view value) const = 0;
  // Whether the last append, by any writer (the pipeline, the reveal
  // service, a reload), failed: the sink cannot write until an append or a
  // Probe succeeds. Thread-safe.
  [[nodiscard]] virtual bool Failing() const { return false; }
  // Writes an entry of the sink's own (the trail: a checkpoint) to learn
  // whether it can write again; clears Failing() when it can.
  [[nodiscard]] virtual Status Probe() { return Status::Ok(); }
};

}  // namespace maskproxy::audit
