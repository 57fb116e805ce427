// Pipeline: the streaming driver. Consumes the policies' source topics as a
// consumer group, masks each record through the engine, and produces the
// result (or the dead letter) together with the consumed offsets in one
// Kafka transaction (exactly once, read_committed on both sides).
//
// Transaction rules follow librdkafka's transactional API: offsets are sent
// with the consumer's group metadata; abortable errors abort, rewind the
// consumer to the first offset of the aborted transaction and go on;
// retriable errors retry the same call; fatal errors (e.g. fenced by a newer
// instance with the same transactional.id) stop the pipeline with an error.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit.h"
#include "common/result.h"
#include "engine/engine.h"

namespace maskproxy::pipeline {

class KafkaClient;  // kafka_client.h

// Headers the proxy writes; incoming headers with these names are dropped so
// that a producer cannot forge them.
inline constexpr char kHeaderPolicy[] = "maskproxy.policy";         // name@version#hash
inline constexpr char kHeaderKeys[] = "maskproxy.keys";             // name:version of keys behind reversible outputs
inline constexpr char kHeaderOrigin[] = "maskproxy.origin";         // topic:partition:offset
inline constexpr char kHeaderDlqReason[] = "maskproxy.dlq.reason";  // stable code
inline constexpr char kHeaderDlqDetail[] = "maskproxy.dlq.detail";  // safe message, never the value
inline constexpr char kHeaderDlqSize[] = "maskproxy.dlq.size";      // bytes of the source record (reference-only)

enum class DeliveryMode {
  kExactlyOnce,  // Kafka transactions: output and offsets commit atomically
  kAtLeastOnce,  // idempotent producer; offsets committed after delivery
};

// When exactly-once commits its transaction (delivery.commit).
enum class CommitPolicy {
  kInterval,  // once commit_interval_ms (or commit_max_records) is reached: fewer, larger transactions
  kEager,     // as soon as the previous commit returned and records are waiting: lowest latency
};

struct Options {
  DeliveryMode mode = DeliveryMode::kExactlyOnce;
  std::string source_brokers;
  std::string destination_brokers;
  std::string group_id;
  std::string transactional_id;                            // exactly-once only
  std::map<std::string, std::string> consumer_properties;  // passed to librdkafka
  std::map<std::string, std::string> producer_properties;
  int commit_interval_ms = 100;
  int commit_max_records = 10000;
  CommitPolicy commit_policy = CommitPolicy::kInterval;  // exactly-once only
  int transaction_timeout_ms = 60000;
  int stats_interval_ms = 30000;
  // An assigned source partition librdkafka has not started fetching after
  // this long is started by the pipeline at the group's committed offset
  // (partition_watch.h; librdkafka 2.0.2 can leave one waiting for good).
  // Read from librdkafka's statistics, emitted every third of it (at most
  // every 5 s) unless the source properties set statistics.interval.ms
  // (0 there: no statistics, no watch). 0 here: no watch.
  int partition_start_watch_ms = 30000;
  // Backpressure: above either bound (records produced but not yet
  // acknowledged), consumption pauses until half of them are acknowledged.
  int max_inflight_records = 50000;
  size_t max_inflight_bytes = 64 << 20;
  // Threads that mask a consumed batch's records in parallel (the main
  // thread is one of them); consuming, producing, transactions and engine
  // swaps stay on the main thread, in consumed order. 1: no extra thread.
  // The app's default is DefaultWorkers() (the CPU quota).
  int workers = 1;
  // How long Start() waits for the output topics' max.message.bytes
  // (DescribeConfigs); after that, records are checked against the producer
  // limit only. 0: not read (the producer limit only).
  int topic_limits_timeout_ms = 10000;
  // The audit trail (audit/audit.h); null: none (the log only). Schema-drift
  // sightings and dead-letter summaries are appended through it, and the
  // pipeline fails closed on it (audit_gate.h): a failed append aborts what
  // it speaks of and stops consumption until the trail can write again.
  std::shared_ptr<audit::Sink> audit;
  // The audit topic ("" for none): the same events, produced with the
  // records they speak of (exactly-once: in the same transaction). Must
  // exist (readiness lists it as missing otherwise, like output topics).
  std::string audit_topic;
  // Called once (on the main thread) when the loop ends on an error, before
  // the open work is abandoned and the consumer leaves its group: the app
  // bounds the rest of the process's life from here (app/exit_deadline.h).
  std::function<void(const Status&)> on_error_stop;
  // Test seam: wraps the real Kafka client (kafka_client.h) once the
  // clients exist, e.g. to record calls or inject errors. Empty: the real
  // client.
  std::function<std::unique_ptr<KafkaClient>(std::unique_ptr<KafkaClient>)> wrap_kafka_client;
};

// The default of Options::workers: the CPUs this process may use (its
// affinity mask, and a cgroup v2 quota `/sys/fs/cgroup/cpu.max` if one is
// set, rounded up), at least 1 and at most `cap`.
[[nodiscard]] int DefaultWorkers(int cap = 8);
// The same from given values: `affinity` CPUs (<= 0: unknown) and the text
// of a cgroup v2 cpu.max file ("max 100000", "150000 100000"; empty: none).
[[nodiscard]] int WorkersFrom(int affinity, const std::string& cpu_max, int cap);

// Properties the pipeline sets itself; a user may not override them.
[[nodiscard]] bool IsManagedProperty(const std::string& name, bool consumer);

// The user's client properties (source.properties with source.security's,
// destination.properties with destination.security's) as Pipeline::Create
// checks them before it makes a client: none that maskproxy sets itself,
// each one a property librdkafka knows with a value it takes
// (config_invalid: "source property 'bogus.prop': No such configuration
// property"), and an auto.offset.reset the start-offset policy reads. A
// reload checks a changed config file's with it too.
[[nodiscard]] Status CheckClientProperties(const std::map<std::string, std::string>& consumer_properties,
                                           const std::map<std::string, std::string>& producer_properties);

// The consumer's prefetch that maskproxy sets (unless the source
// properties set it): queued.max.messages.kbytes equal to
// limits.max_inflight_bytes (64 MB at the defaults; at least 1 MB), and
// fetch.max.bytes a quarter of that prefetch (16 MB; at least 1 MiB). The
// records held before masking are then at most the prefetch plus one fetch.
[[nodiscard]] size_t PrefetchKbytes(size_t max_inflight_bytes);
[[nodiscard]] size_t FetchMaxBytes(size_t prefetch_kbytes);

// Record size limits. The producer's message.max.bytes that maskproxy sets:
// max_record_bytes plus room for the key, headers and framing.
[[nodiscard]] size_t DerivedMessageMaxBytes(size_t max_record_bytes);
// The producer limit in effect: the derived one, or the smaller of it and a
// message.max.bytes the user sets in destination.properties.
[[nodiscard]] size_t EffectiveProducerLimit(size_t max_record_bytes,
                                            const std::map<std::string, std::string>& producer_properties);
// A conservative size of one record as the broker counts it against
// max.message.bytes (a batch holding only this record, uncompressed).
[[nodiscard]] size_t EstimateRecordBytes(size_t key_len, size_t value_len, size_t header_bytes, size_t header_count);

// The start-up probe of one side (side: "source" or "destination"): a
// short-lived client of that side (a consumer for the source, a producer for
// the destination) with its properties asks for the cluster metadata, for
// timeout_ms at most. A TLS handshake or SASL authentication the broker
// refuses is kafka_auth_failed at once; no answer in time is
// kafka_unreachable. The message names the side, the brokers and the cause
// (librdkafka's reason; never a property value). A stop requested through
// `stop` (SIGTERM during start-up) ends the wait early: kafka_unreachable,
// saying so (the caller checks its flag).
[[nodiscard]] Status ProbeBrokers(std::string_view side, const std::string& brokers,
                                  const std::map<std::string, std::string>& properties, int timeout_ms,
                                  const std::atomic<bool>* stop = nullptr);
// What the admin endpoint /readyz reports (Pipeline::GetHealth): the
// pipeline is ready when it has joined its group, its transactions are
// initialised (always true at-least-once once started), it has not stopped
// on a fatal error, a broker answers, every destination and dead-letter
// topic (and the audit topic) exists, and the audit trail can write.
struct Health {
  bool joined_group = false;                // a partition assignment has been received (and not lost since)
  bool transactions_ready = false;          // init_transactions succeeded (exactly-once), or the producer is up
  bool fatal = false;                       // stopped, or stopping, on a fatal error (e.g. fenced)
  std::string fatal_reason;                 // the error's message (no record content)
  std::vector<std::string> missing_topics;  // output topics the broker does not have (checked every few seconds)
  // Source topics (named ones; a pattern matches what exists) the source
  // cluster says it does not have, or will not serve: nothing of their
  // route is consumed until they exist. Checked with the output topics; an
  // unanswered check leaves the list as it was.
  std::vector<std::string> missing_sources;
  // Not empty: no broker answered init_transactions at start
  // ("init_transactions: _TIMED_OUT") or the last output-topic check
  // (librdkafka's error, e.g. _TRANSPORT): whether the topics exist is unknown, and
  // missing_topics lists only those a broker said are missing.
  std::string brokers_unreachable;
  bool audit_ok = true;     // the audit trail can write (or none is configured)
  std::string audit_error;  // why it cannot (error code and the sink's message; never a value)
};

class Pipeline {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Pipeline>> Create(const Options& options,
                                                                std::shared_ptr<const engine::Engine> engine);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Runs until *stop becomes true (then commits the open transaction, leaves
  // the group and returns Ok) or a fatal error occurs (returns it).
  [[nodiscard]] Status Run(const std::atomic<bool>& stop);

  // Hands over a new engine (a reloaded policy set); thread-safe, returns at
  // once. The main loop takes it at the next transaction boundary (exactly
  // once: after the open transaction committed, before the next record is
  // masked; at least once: between two records), so every record of one
  // transaction is masked by one engine and its maskproxy.policy header
  // names that policy. The subscription follows the new engine's sources;
  // records of a source that no longer has a route are not consumed (their
  // partition is rewound to them and paused until it is revoked or a later
  // engine routes it again). A second call before the first was taken
  // replaces it. Every record consumed after the call returns is masked by
  // this engine or a later one (a swap asked for during a poll applies to
  // the batch that poll returns).
  void SwapEngine(std::shared_ptr<const engine::Engine> engine);
  // A snapshot of the readiness conditions; thread-safe (the admin thread
  // calls it while Run() runs).
  [[nodiscard]] Health GetHealth() const;
  // Which of `topics` the destination cannot take records for, each with
  // why: the broker's error for the topic (UNKNOWN_TOPIC_OR_PART: it does
  // not exist; TOPIC_AUTHORIZATION_FAILED, ...), or "no broker answered
  // (ERR)" when the metadata request went unanswered within timeout_ms.
  // Empty: every topic exists. One metadata request per topic (never
  // creating one); thread-safe (a reload asks it while Run() runs, before
  // it hands over an engine that writes to new topics).
  [[nodiscard]] std::map<std::string, std::string> UnavailableTopics(const std::set<std::string>& topics,
                                                                     int timeout_ms) const;

  struct Impl;

 private:
  explicit Pipeline(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace maskproxy::pipeline
