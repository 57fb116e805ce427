#include "pipeline/pipeline.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "codec/json.h"
#include "common/audit.h"
#include "common/log.h"
#include "common/metrics.h"

namespace maskproxy::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kCallTimeoutMs = 10000;      // per transactional API call; retried while retriable
constexpr int kShutdownWaitMs = 10000;     // at-least-once: wait for acknowledgements on stop
constexpr int kAbortCallTimeoutMs = 1000;  // abort is resumable: short calls keep shutdown responsive

// Record size limits. The producer's message.max.bytes is derived from
// limits.max_record_bytes plus room for the key, headers and framing; each
// record is checked, before it is produced, against the smaller of that and
// its topic's max.message.bytes, with a conservative estimate of how the
// broker counts it in a batch (batch header, record framing, header framing).
constexpr size_t kRecordHeadroom = 64 << 10;  // key, headers, framing above max_record_bytes
constexpr size_t kBatchOverhead = 61 + 40;    // v2 batch header + worst-case record framing
constexpr size_t kHeaderOverhead = 10;        // per header: name and value length varints
constexpr size_t kMaxSizeRefusals = 10000;    // remembered refused records (bounded memory)
constexpr char kReasonTooLarge[] = "too_large_for_topic";

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct ErrorDeleter {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
struct CgmdDeleter {
  void operator()(rd_kafka_consumer_group_metadata_t* m) const { rd_kafka_consumer_group_metadata_destroy(m); }
};
struct MsgDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;
using MsgPtr = std::unique_ptr<rd_kafka_message_t, MsgDeleter>;

const std::vector<std::string>& ManagedConsumer() {
  static const std::vector<std::string> v = {"bootstrap.servers",       "group.id",        "enable.auto.commit",
                                             "auto.commit.interval.ms", "isolation.level", "enable.partition.eof",
                                             "enable.auto.offset.store"};
  return v;
}
const std::vector<std::string>& ManagedProducer() {
  static const std::vector<std::string> v = {"bootstrap.servers", "transactional.id", "enable.idempotence",
                                             "transaction.timeout.ms", "acks"};
  return v;
}

Status SetConf(rd_kafka_conf_t* conf, const std::string& k, const std::string& v, const char* side) {
  char err[512];
  if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    return Error("config_invalid", std::string(side) + " property '" + k + "': " + err);
  return Status::Ok();
}

struct PartitionKey {
  std::string topic;
  int32_t partition;
  bool operator==(const PartitionKey&) const = default;
};
struct PartitionKeyHash {
  size_t operator()(const PartitionKey& k) const {
    return std::hash<std::string>()(k.topic) * 31 + std::hash<int32_t>()(k.partition);
  }
};

}  // namespace

bool IsManagedProperty(const std::string& name, bool consumer) {
  const auto& v = consumer ? ManagedConsumer() : ManagedProducer();
  return std::find(v.begin(), v.end(), name) != v.end();
}

size_t DerivedMessageMaxBytes(size_t max_record_bytes) {
  return max_record_bytes + kRecordHeadroom;
}

size_t EffectiveProducerLimit(size_t max_record_bytes, const std::map<std::string, std::string>& producer_properties) {
  const size_t derived = DerivedMessageMaxBytes(max_record_bytes);
  auto it = producer_properties.find("message.max.bytes");
  if (it == producer_properties.end()) return derived;
  // librdkafka validates the value (a whole number); anything unreadable
  // here leaves the derived limit.
  const std::string& v = it->second;
  if (v.empty() || v.size() > 12 || v.find_first_not_of("0123456789") != std::string::npos) return derived;
  return std::min(derived, static_cast<size_t>(std::stoull(v)));
}

size_t EstimateRecordBytes(size_t key_len, size_t value_len, size_t header_bytes, size_t header_count) {
  return kBatchOverhead + key_len + value_len + header_bytes + header_count * kHeaderOverhead;
}

struct Pipeline::Impl {
  Options opt;
  std::shared_ptr<const engine::Engine> engine;
  rd_kafka_t* consumer = nullptr;
  rd_kafka_t* producer = nullptr;

  // Transaction state.
  bool txn_open = false;
  Clock::time_point txn_started;
  int64_t txn_records = 0;
  // Per partition: first offset consumed in the open transaction (to rewind
  // to on abort) and the next offset to commit.
  struct Span {
    int64_t first, next;
  };
  std::unordered_map<PartitionKey, Span, PartitionKeyHash> txn_offsets;
  Status fatal;         // set when a fatal error is seen inside a callback
  std::mutex fatal_mu;  // error_cb may run on the commit thread
  std::mutex dr_log_mu;
  Clock::time_point dr_logged_at{};
  uint64_t dr_suppressed = 0;
  void SetFatal(Status st) {
    std::lock_guard<std::mutex> lock(fatal_mu);
    if (fatal.ok()) fatal = std::move(st);
  }
  bool HasFatal() {
    std::lock_guard<std::mutex> lock(fatal_mu);
    return !fatal.ok();
  }

  // Exactly-once, pipelined commit: while a transaction commits on
  // commit_thread, the main thread keeps consuming and masking into the
  // backlog; the backlog is produced in the next transaction. Records stay
  // in source order per partition, and nothing is produced while a commit
  // runs (librdkafka forbids it).
  struct Pending {
    const std::string* dest;
    std::string key;
    bool has_key;
    std::string value;
    bool tombstone;
    rd_kafka_headers_t* hdrs;  // owned until produced
    int64_t ts;
    std::string topic;
    int32_t partition;
    int64_t offset;
  };
  std::deque<Pending> backlog;
  size_t backlog_bytes = 0;
  std::thread commit_thread;
  std::atomic<bool> commit_done{false};
  bool committing = false;
  struct CommitOutcome {
    const char* call = nullptr;
    ErrorPtr err;  // null: committed
  };
  CommitOutcome commit_outcome;
  int abort_backoff_ms = 0;
  bool backoff_pending = false;
  void BackOff() {
    abort_backoff_ms = std::min(std::max(abort_backoff_ms * 2, 200), 5000);
    backoff_pending = true;
  }

  // Backpressure: records and bytes produced but not yet acknowledged.
  // Delivery reports may be served on the commit thread (commit_transaction
  // flushes), so these are atomic.
  std::atomic<int64_t> inflight_records{0};
  std::atomic<int64_t> inflight_bytes{0};
  bool paused = false;

  // At-least-once: per source partition, the offsets produced and not yet
  // stored, in consumption order. A delivery report marks its entry; the
  // acknowledged prefix is stored (and auto-committed by librdkafka).
  enum class EntryState : uint8_t { kPending, kDelivered, kFailed };
  struct Entry {
    int64_t offset;
    EntryState state;
  };
  struct Slot {
    std::string topic;
    int32_t partition;
    std::deque<Entry> entries;
    uint64_t base_seq = 0;  // sequence number of entries.front()
    uint64_t next_seq = 0;
  };
  std::vector<std::unique_ptr<Slot>> slots;
  std::unordered_map<PartitionKey, uint32_t, PartitionKeyHash> slot_of;
  bool delivery_failed = false;  // at-least-once: replay needed
  Clock::time_point last_store = Clock::now();

  bool eos() const { return opt.mode == DeliveryMode::kExactlyOnce; }
  const std::atomic<bool>* stop_flag = nullptr;

  // Source topic -> route (pattern routes are matched once per topic).
  std::unordered_map<std::string, const engine::RouteRef*> route_of;
  // Reused per record.
  engine::MaskedRecord rec;
  std::vector<engine::HeaderView> header_views;

  // PII the scans found, by topic, field and detector. Field names of
  // unlisted fields come from the records, so the series are capped.
  static constexpr size_t kMaxFindingSeries = 1000;
  std::unordered_map<std::string, metrics::Counter*> finding_series;
  metrics::Counter* m_pii_scanned;
  metrics::Counter* m_pii_unlisted;

  metrics::Counter* m_consumed;
  metrics::Counter* m_produced;
  metrics::Counter* m_committed;
  metrics::Counter* m_aborted;
  metrics::Counter* m_delivery_failed;
  metrics::Counter* m_pauses;
  std::map<std::string, metrics::Counter*> m_dead;  // by reason

  // Record size limits (one record must not stop the instance). Set in
  // Start(), read on the main thread only.
  size_t producer_limit = 0;                            // effective producer message.max.bytes
  std::unordered_map<std::string, size_t> topic_limit;  // max.message.bytes per output topic, as read
  std::string reference_value;                          // the value of the last reference-only dead letter
  // Source records (origin "topic:partition:offset") the broker or the
  // client refused for their size, with how often: once, the record is
  // produced alone in its batch the next time (the refusal may have been
  // its batch's); twice, it is replaced by a reference-only dead letter.
  // Written by delivery reports (which may run on the commit thread).
  std::mutex size_mu;
  std::unordered_map<std::string, int> size_refusals;
  std::atomic<bool> any_size_refusals{false};
  std::atomic<size_t> size_suspects{0};  // entries refused once
  metrics::Counter* m_reference_only;
  metrics::Counter* m_size_refused;

  Impl() {
    auto& r = metrics::Global();
    m_consumed = r.GetCounter("maskproxy_records_consumed_total", "Records read from source topics");
    m_produced = r.GetCounter("maskproxy_records_masked_total", "Masked records produced to destination topics");
    m_committed = r.GetCounter("maskproxy_transactions_committed_total", "Kafka transactions committed");
    m_aborted = r.GetCounter("maskproxy_transactions_aborted_total", "Kafka transactions aborted (records replayed)");
    m_delivery_failed = r.GetCounter("maskproxy_delivery_failures_total", "Produce deliveries that failed");
    m_pauses = r.GetCounter("maskproxy_backpressure_pauses_total", "Times consumption paused for in-flight limits");
    m_reference_only = r.GetCounter("maskproxy_dead_letters_reference_only_total",
                                    "Records too large for their dead-letter topic: sent as references (no data)");
    m_size_refused = r.GetCounter("maskproxy_size_refusals_total",
                                  "Records the producer or the broker refused for their size (replayed)");
    m_pii_scanned = r.GetCounter("maskproxy_pii_hits_total", "PII found and protected by scans", {{"kind", "scan"}});
    m_pii_unlisted =
        r.GetCounter("maskproxy_pii_hits_total", "PII found and protected by scans", {{"kind", "unlisted"}});
  }

  // Counts what the scans of one masked record found. The first time a field
  // no rule names carries a detector's PII (per topic, field and detector),
  // it is logged and written to the audit trail: never the value.
  void ReportFindings(const engine::RouteRef& route, const std::string& topic, int32_t partition, int64_t offset) {
    for (const engine::Finding& f : rec.findings) {
      (f.unlisted ? m_pii_unlisted : m_pii_scanned)->Inc();
      std::string id = topic;
      id.append(1, '\x1f').append(f.field).append(1, '\x1f').append(f.detector).append(f.unlisted ? "\x1fu" : "\x1fs");
      auto it = finding_series.find(id);
      if (it == finding_series.end()) {
        const bool overflow = finding_series.size() >= kMaxFindingSeries;
        const std::string field = overflow ? "_other" : f.field;
        auto* c = metrics::Global().GetCounter(
            f.unlisted ? "maskproxy_unlisted_pii_total" : "maskproxy_scan_hits_total",
            f.unlisted ? "PII found in fields no rule names (schema drift), by topic, field and detector"
                       : "PII found by scan rules, by topic, field and detector",
            {{"topic", topic}, {"field", field}, {"detector", std::string(f.detector)}});
        if (overflow) {
          c->Inc();
          continue;
        }
        it = finding_series.emplace(std::move(id), c).first;
        if (f.unlisted) {
          log::Warn("unlisted_pii", {{"topic", topic},
                                     {"field", f.field},
                                     {"detector", std::string(f.detector)},
                                     {"route", route.route->name},
                                     {"partition", std::to_string(partition)},
                                     {"offset", std::to_string(offset)}});
          if (!opt.audit_log.empty()) {
            std::string line = "{\"ts\":";
            codec::AppendJsonString(audit::NowUtc(), &line);
            line += ",\"event\":\"unlisted_pii\",\"policy\":";
            codec::AppendJsonString(route.policy_label, &line);
            line += ",\"route\":";
            codec::AppendJsonString(route.route->name, &line);
            line += ",\"topic\":";
            codec::AppendJsonString(topic, &line);
            line += ",\"field\":";
            codec::AppendJsonString(f.field, &line);
            line += ",\"detector\":";
            codec::AppendJsonString(f.detector, &line);
            line += ",\"partition\":" + std::to_string(partition) + ",\"offset\":" + std::to_string(offset) + "}";
            if (Status st = audit::AppendLine(opt.audit_log, line); !st.ok())
              log::Error("audit_failed", {{"error", st.error().message}});
          }
        }
      }
      it->second->Inc();
    }
  }

  ~Impl() {
    if (commit_thread.joinable()) commit_thread.join();
    for (auto& p : backlog) rd_kafka_headers_destroy(p.hdrs);
    if (consumer) rd_kafka_destroy(consumer);
    if (producer) rd_kafka_destroy(producer);
  }

  metrics::Counter* DeadCounter(const std::string& reason) {
    auto it = m_dead.find(reason);
    if (it != m_dead.end()) return it->second;
    auto* c = metrics::Global().GetCounter("maskproxy_records_dead_lettered_total",
                                           "Records sent to a dead-letter topic, by reason", {{"reason", reason}});
    m_dead.emplace(reason, c);
    return c;
  }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    self->inflight_records -= 1;
    self->inflight_bytes -= static_cast<int64_t>(m->len + m->key_len);
    if (m->err) {
      self->m_delivery_failed->Inc();
      // A failing batch fails every record in it: log at most once a second.
      std::lock_guard<std::mutex> lock(self->dr_log_mu);
      auto now = Clock::now();
      if (now - self->dr_logged_at >= std::chrono::seconds(1)) {
        log::Warn("delivery_failed", {{"topic", rd_kafka_topic_name(m->rkt)},
                                      {"error", rd_kafka_err2name(m->err)},
                                      {"detail", rd_kafka_err2str(m->err)},
                                      {"similar_suppressed", std::to_string(self->dr_suppressed)}});
        self->dr_logged_at = now;
        self->dr_suppressed = 0;
      } else {
        ++self->dr_suppressed;
      }
    }
    self->NoteDeliverySize(m);
    if (!self->eos())
      self->MarkDelivered(reinterpret_cast<uintptr_t>(m->_private), m->err == RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  static bool IsSizeError(rd_kafka_resp_err_t err) {
    return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE;
  }

  // The source record a produced record came from (its origin header).
  static std::string OriginOf(const rd_kafka_message_t* m) {
    rd_kafka_headers_t* h = nullptr;
    const void* v = nullptr;
    size_t n = 0;
    if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR || !h ||
        rd_kafka_header_get_last(h, kHeaderOrigin, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR || !v)
      return std::string();
    return std::string(static_cast<const char*>(v), n);
  }

  // Counts a size refusal of the source record `origin` (see size_refusals).
  void NoteSizeRefusal(const std::string& origin, bool certain) {
    if (origin.empty()) return;
    m_size_refused->Inc();
    std::lock_guard<std::mutex> lock(size_mu);
    if (size_refusals.size() >= kMaxSizeRefusals && !size_refusals.count(origin)) {
      size_refusals.clear();
      size_suspects = 0;
    }
    int& n = size_refusals[origin];
    const int was = n;
    n = certain ? 2 : std::min(n + 1, 2);
    if (was != 1 && n == 1) ++size_suspects;
    if (was == 1 && n != 1) --size_suspects;
    any_size_refusals = true;
  }

  // How often the source record `origin` was refused for its size (0, 1, 2).
  int SizeRefusals(const std::string& origin) {
    if (!any_size_refusals.load()) return 0;
    std::lock_guard<std::mutex> lock(size_mu);
    auto it = size_refusals.find(origin);
    return it == size_refusals.end() ? 0 : it->second;
  }

  // Delivery report: a record refused for its size (MSG_SIZE_TOO_LARGE, or
  // RECORD_LIST_TOO_LARGE for its batch) is remembered by its origin; a
  // record refused once that is now delivered was innocent (its batch was
  // too large) and is forgotten.
  void NoteDeliverySize(const rd_kafka_message_t* m) {
    if (IsSizeError(m->err)) {
      const std::string origin = OriginOf(m);
      log::Warn("record_refused_for_size", {{"topic", rd_kafka_topic_name(m->rkt)},
                                            {"origin", origin},
                                            {"bytes", std::to_string(m->len + m->key_len)},
                                            {"error", rd_kafka_err2name(m->err)}});
      NoteSizeRefusal(origin, false);
    } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && size_suspects.load() > 0) {
      const std::string origin = OriginOf(m);
      std::lock_guard<std::mutex> lock(size_mu);
      auto it = size_refusals.find(origin);
      if (it != size_refusals.end() && it->second == 1) {
        size_refusals.erase(it);
        --size_suspects;
      }
    }
  }

  // msg opaque for at-least-once: slot index (upper 24 bits) and sequence
  // number (lower 40 bits).
  static uintptr_t PackOpaque(uint32_t slot, uint64_t seq) {
    return (uintptr_t{slot} << 40) | (seq & ((1ull << 40) - 1));
  }

  void MarkDelivered(uintptr_t packed, bool ok) {
    uint32_t idx = static_cast<uint32_t>(packed >> 40);
    uint64_t seq40 = packed & ((1ull << 40) - 1);
    if (idx >= slots.size() || !slots[idx]) return;  // partition revoked meanwhile
    Slot& sl = *slots[idx];
    uint64_t base40 = sl.base_seq & ((1ull << 40) - 1);
    uint64_t pos = (seq40 - base40) & ((1ull << 40) - 1);
    if (pos >= sl.entries.size()) return;  // stale (slot reset after a replay)
    sl.entries[pos].state = ok ? EntryState::kDelivered : EntryState::kFailed;
    if (!ok) delivery_failed = true;
  }

  // Stores the acknowledged prefix of every slot (librdkafka commits stored
  // offsets every commit_interval_ms).
  void StoreDelivered() {
    ListPtr list(rd_kafka_topic_partition_list_new(8));
    for (auto& sp : slots) {
      if (!sp) continue;
      Slot& sl = *sp;
      int64_t next = -1;
      while (!sl.entries.empty() && sl.entries.front().state == EntryState::kDelivered) {
        next = sl.entries.front().offset + 1;
        sl.entries.pop_front();
        ++sl.base_seq;
      }
      if (next >= 0) rd_kafka_topic_partition_list_add(list.get(), sl.topic.c_str(), sl.partition)->offset = next;
    }
    if (list->cnt > 0) {
      rd_kafka_resp_err_t err = rd_kafka_offsets_store(consumer, list.get());
      if (err) log::Warn("offset_store_failed", {{"error", rd_kafka_err2name(err)}});
      abort_backoff_ms = 0;  // progress
    }
    last_store = Clock::now();
  }

  // Waits until every produced record is acknowledged (or failed).
  bool WaitForDeliveries(int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (rd_kafka_outq_len(producer) > 0 && Clock::now() < deadline) rd_kafka_poll(producer, 50);
    return rd_kafka_outq_len(producer) == 0;
  }

  // At-least-once after a failed delivery: wait for the rest, store what was
  // acknowledged, and seek every partition back to its first unacknowledged
  // offset. Records after it are produced again (duplicates are allowed in
  // this mode; loss is not).
  Status ReplayFailed() {
    SetPaused(true);
    WaitForDeliveries(opt.transaction_timeout_ms);
    StoreDelivered();
    ListPtr list(rd_kafka_topic_partition_list_new(8));
    for (auto& sp : slots) {
      if (!sp || sp->entries.empty()) continue;
      rd_kafka_topic_partition_list_add(list.get(), sp->topic.c_str(), sp->partition)->offset =
          sp->entries.front().offset;
      sp->base_seq = sp->next_seq;
      sp->entries.clear();
    }
    if (list->cnt > 0) {
      ErrorPtr se(rd_kafka_seek_partitions(consumer, list.get(), kCallTimeoutMs));
      if (se) return FatalFrom("seek after failed delivery", se.get());
    }
    delivery_failed = false;
    BackOff();
    log::Warn("replaying_after_failed_delivery", {{"partitions", std::to_string(list->cnt)}});
    SetPaused(false);
    return Status::Ok();
  }

  Slot& SlotFor(const std::string& topic, int32_t partition, uint32_t* idx) {
    auto [it, inserted] = slot_of.try_emplace(PartitionKey{topic, partition}, static_cast<uint32_t>(slots.size()));
    if (inserted) {
      slots.push_back(std::make_unique<Slot>());
      slots.back()->topic = topic;
      slots.back()->partition = partition;
    }
    *idx = it->second;
    return *slots[it->second];
  }

  // Pauses or resumes every assigned partition (backpressure, replay).
  void SetPaused(bool pause) {
    if (pause == paused) return;
    rd_kafka_topic_partition_list_t* assigned = nullptr;
    if (rd_kafka_assignment(consumer, &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR && assigned) {
      if (assigned->cnt > 0) {
        if (pause)
          rd_kafka_pause_partitions(consumer, assigned);
        else
          rd_kafka_resume_partitions(consumer, assigned);
      }
      rd_kafka_topic_partition_list_destroy(assigned);
    }
    paused = pause;
    if (pause) m_pauses->Inc();
    log::Debug(
        pause ? "consumption_paused" : "consumption_resumed",
        {{"inflight_records", std::to_string(inflight_records)}, {"inflight_bytes", std::to_string(inflight_bytes)}});
  }

  bool OverLimit() const {
    return inflight_records >= opt.max_inflight_records ||
           inflight_bytes >= static_cast<int64_t>(opt.max_inflight_bytes);
  }
  bool UnderLowWater() const {
    return inflight_records <= opt.max_inflight_records / 2 &&
           inflight_bytes <= static_cast<int64_t>(opt.max_inflight_bytes / 2);
  }

  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
      self->SetFatal(
          Error("kafka_fatal", std::string(rd_kafka_name(rk)) + ": " + rd_kafka_err2name(orig) + ": " + buf));
      return;
    }
    // Transport errors and the like are retried by librdkafka; log them.
    log::Warn("kafka_error", {{"client", rd_kafka_name(rk)},
                              {"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
                              {"detail", reason}});
  }

  static void OnLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
    // librdkafka's own log lines carry no record content.
    if (level <= 4)
      log::Warn("librdkafka", {{"client", rd_kafka_name(rk)}, {"facility", fac}, {"message", buf}});
    else if (log::Enabled(log::Level::kDebug))
      log::Debug("librdkafka", {{"client", rd_kafka_name(rk)}, {"facility", fac}, {"message", buf}});
  }

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                          void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      log::Info("partitions_assigned", {{"count", std::to_string(parts->cnt)}, {"partitions", Describe(parts)}});
      if (cooperative) {
        ErrorPtr e(rd_kafka_incremental_assign(rk, parts));
        if (e)
          self->SetFatal(
              Error("kafka_fatal", std::string("incremental assign failed: ") + rd_kafka_error_string(e.get())));
      } else {
        rd_kafka_assign(rk, parts);
      }
      if (self->paused) rd_kafka_pause_partitions(rk, parts);
      return;
    }
    const bool lost = rd_kafka_assignment_lost(rk);
    log::Info(lost ? "partitions_lost" : "partitions_revoked",
              {{"count", std::to_string(parts->cnt)}, {"partitions", Describe(parts)}});
    Status s = self->eos() ? self->RevokeEos(parts, lost) : self->RevokeAlos(parts, lost);
    if (!s.ok()) self->SetFatal(s);
    if (cooperative) {
      ErrorPtr e(rd_kafka_incremental_unassign(rk, parts));
      if (e)
        self->SetFatal(
            Error("kafka_fatal", std::string("incremental unassign failed: ") + rd_kafka_error_string(e.get())));
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  }

  // Exactly-once: finish the open transaction before the partitions go. If
  // the assignment was lost, another member may already own them and our
  // offsets would be rejected: abort instead (rewinding what we keep).
  Status RevokeEos(const rd_kafka_topic_partition_list_t* parts, bool lost) {
    if (committing)
      if (Status f = FinishCommit(); !f.ok()) return f;
    if (lost)
      for (int i = 0; i < parts->cnt; ++i) txn_offsets.erase({parts->elems[i].topic, parts->elems[i].partition});
    Status s;
    if (txn_open) s = lost ? AbortTxn(/*rewind=*/true) : CommitTxn();
    for (int i = 0; i < parts->cnt; ++i) txn_offsets.erase({parts->elems[i].topic, parts->elems[i].partition});
    return s;
  }

  // At-least-once: wait for outstanding deliveries, store and commit what
  // was acknowledged, then forget the partitions. Unacknowledged records are
  // consumed again by the next owner.
  Status RevokeAlos(const rd_kafka_topic_partition_list_t* parts, bool lost) {
    WaitForDeliveries(opt.transaction_timeout_ms);
    StoreDelivered();
    if (!lost) {
      rd_kafka_resp_err_t err = rd_kafka_commit(consumer, nullptr, /*async=*/0);
      if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        log::Warn("offset_commit_failed", {{"error", rd_kafka_err2name(err)}});
    }
    for (int i = 0; i < parts->cnt; ++i) {
      auto it = slot_of.find({parts->elems[i].topic, parts->elems[i].partition});
      if (it == slot_of.end()) continue;
      slots[it->second].reset();
      slot_of.erase(it);
    }
    return Status::Ok();
  }

  static std::string Describe(const rd_kafka_topic_partition_list_t* parts) {
    std::string s;
    for (int i = 0; i < parts->cnt && i < 64; ++i) {
      if (i) s += ",";
      s += std::string(parts->elems[i].topic) + ":" + std::to_string(parts->elems[i].partition);
    }
    if (parts->cnt > 64) s += ",...";
    return s;
  }

  Status MakeClients() {
    char err[512];
    // Consumer.
    std::unique_ptr<rd_kafka_conf_t, ConfDeleter> cc(rd_kafka_conf_new());
    for (const auto& [k, v] : opt.consumer_properties)
      if (Status s = SetConf(cc.get(), k, v, "source"); !s.ok()) return s;
    // Exactly-once commits offsets in the transaction; at-least-once stores
    // offsets after delivery and lets librdkafka commit the stored ones.
    const std::pair<const char*, std::string> consumer_fixed[] = {
        {"bootstrap.servers", opt.source_brokers},
        {"group.id", opt.group_id},
        {"enable.auto.commit", eos() ? "false" : "true"},
        {"auto.commit.interval.ms", std::to_string(opt.commit_interval_ms)},
        {"enable.auto.offset.store", "false"},
        {"isolation.level", "read_committed"},
        {"enable.partition.eof", "false"},
    };
    for (const auto& [k, v] : consumer_fixed)
      if (Status s = SetConf(cc.get(), k, v, "source"); !s.ok()) return s;
    if (!opt.consumer_properties.count("partition.assignment.strategy"))
      if (Status s = SetConf(cc.get(), "partition.assignment.strategy", "cooperative-sticky", "source"); !s.ok())
        return s;
    if (!opt.consumer_properties.count("auto.offset.reset"))
      if (Status s = SetConf(cc.get(), "auto.offset.reset", "earliest", "source"); !s.ok()) return s;
    // Bounded memory: at most ~16 MB of prefetched records by default.
    const std::pair<const char*, const char*> consumer_defaults[] = {
        {"client.id", "maskproxy-consumer"},
        {"queued.max.messages.kbytes", "16384"},
        {"fetch.max.bytes", "16777216"},
    };
    for (const auto& [k, v] : consumer_defaults)
      if (!opt.consumer_properties.count(k))
        if (Status s = SetConf(cc.get(), k, v, "source"); !s.ok()) return s;
    rd_kafka_conf_set_opaque(cc.get(), this);
    rd_kafka_conf_set_rebalance_cb(cc.get(), &Impl::OnRebalance);
    rd_kafka_conf_set_error_cb(cc.get(), &Impl::OnError);
    rd_kafka_conf_set_log_cb(cc.get(), &Impl::OnLog);
    consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc.get(), err, sizeof err);
    if (!consumer) return Error("kafka_init_failed", std::string("consumer: ") + err);
    cc.release();  // owned by the consumer now
    rd_kafka_poll_set_consumer(consumer);

    // Producer.
    std::unique_ptr<rd_kafka_conf_t, ConfDeleter> pc(rd_kafka_conf_new());
    if (!opt.producer_properties.count("partitioner"))
      if (Status s = SetConf(pc.get(), "partitioner", "murmur2_random", "destination"); !s.ok()) return s;
    if (!opt.producer_properties.count("linger.ms"))
      if (Status s = SetConf(pc.get(), "linger.ms", "5", "destination"); !s.ok()) return s;
    if (!opt.producer_properties.count("client.id"))
      if (Status s = SetConf(pc.get(), "client.id", "maskproxy-producer", "destination"); !s.ok()) return s;
    // Never create a missing destination with broker defaults (partitions,
    // ACLs): the security team creates analytics topics deliberately.
    if (!opt.producer_properties.count("allow.auto.create.topics"))
      if (Status s = SetConf(pc.get(), "allow.auto.create.topics", "false", "destination"); !s.ok()) return s;
    // librdkafka's own queue bound sits above the backpressure bound, so
    // pausing happens first and QUEUE_FULL is only a safety net.
    if (!opt.producer_properties.count("queue.buffering.max.messages"))
      if (Status s = SetConf(pc.get(), "queue.buffering.max.messages",
                             std::to_string(opt.max_inflight_records * 2 + 1000), "destination");
          !s.ok())
        return s;
    if (!opt.producer_properties.count("queue.buffering.max.kbytes"))
      if (Status s = SetConf(pc.get(), "queue.buffering.max.kbytes",
                             std::to_string(opt.max_inflight_bytes / 1024 * 2 + 1024), "destination");
          !s.ok())
        return s;
    // One record up to limits.max_record_bytes, with room for its key,
    // headers and framing (librdkafka's default, 1,000,000, is below the
    // default max_record_bytes). A user value wins but never raises the
    // limit the pipeline checks records against (EffectiveProducerLimit).
    const size_t max_record_bytes = engine->limits().max_record_bytes;
    if (!opt.producer_properties.count("message.max.bytes"))
      if (Status s = SetConf(pc.get(), "message.max.bytes", std::to_string(DerivedMessageMaxBytes(max_record_bytes)),
                             "destination");
          !s.ok())
        return s;
    producer_limit = EffectiveProducerLimit(max_record_bytes, opt.producer_properties);
    for (const auto& [k, v] : opt.producer_properties)
      if (Status s = SetConf(pc.get(), k, v, "destination"); !s.ok()) return s;
    std::vector<std::pair<const char*, std::string>> producer_fixed = {
        {"bootstrap.servers", opt.destination_brokers},
        {"enable.idempotence", "true"},
        {"acks", "all"},
    };
    if (eos()) {
      producer_fixed.push_back({"transactional.id", opt.transactional_id});
      producer_fixed.push_back({"transaction.timeout.ms", std::to_string(opt.transaction_timeout_ms)});
    }
    for (const auto& [k, v] : producer_fixed)
      if (Status s = SetConf(pc.get(), k, v, "destination"); !s.ok()) return s;
    rd_kafka_conf_set_opaque(pc.get(), this);
    rd_kafka_conf_set_dr_msg_cb(pc.get(), &Impl::OnDelivery);
    rd_kafka_conf_set_error_cb(pc.get(), &Impl::OnError);
    rd_kafka_conf_set_log_cb(pc.get(), &Impl::OnLog);
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc.get(), err, sizeof err);
    if (!producer) return Error("kafka_init_failed", std::string("producer: ") + err);
    pc.release();
    return Status::Ok();
  }

  // Runs a transactional call, retrying while the error is retriable.
  template <typename F>
  ErrorPtr Retry(const char* what, F call, bool also_abortable = false) {
    // A transaction that cannot finish within twice its timeout will not
    // finish: the coordinator has aborted it. Give up then, or a few
    // attempts after a stop was requested, and let the caller treat the
    // error as fatal (a restarted instance fences what is left).
    const auto deadline = Clock::now() + std::chrono::milliseconds(2 * opt.transaction_timeout_ms);
    for (int attempt = 1;; ++attempt) {
      ErrorPtr e(call());
      if (!e || rd_kafka_error_is_fatal(e.get())) return e;
      const bool again =
          rd_kafka_error_is_retriable(e.get()) || (also_abortable && rd_kafka_error_txn_requires_abort(e.get()));
      if (!again) return e;
      log::Warn("txn_retry", {{"call", what},
                              {"attempt", std::to_string(attempt)},
                              {"error", rd_kafka_error_name(e.get())},
                              {"detail", rd_kafka_error_string(e.get())}});
      if (Clock::now() >= deadline || (stop_flag && stop_flag->load() && attempt >= 2)) return e;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 * attempt, 1000)));
    }
  }

  Status FatalFrom(const char* what, const rd_kafka_error_t* e) {
    std::string msg = std::string(what) + ": " + rd_kafka_error_name(e) + ": " + rd_kafka_error_string(e);
    if (rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      rd_kafka_resp_err_t orig = rd_kafka_fatal_error(producer, buf, sizeof buf);
      msg += std::string(" (") + rd_kafka_err2name(orig) + ": " + buf + ")";
    }
    return Error("kafka_fatal", msg);
  }

  Status BeginTxn() {
    ErrorPtr e(rd_kafka_begin_transaction(producer));
    if (e) return FatalFrom("begin_transaction", e.get());
    txn_open = true;
    txn_started = Clock::now();
    txn_records = 0;
    return Status::Ok();
  }

  // Aborts the open transaction; with rewind, seeks every partition consumed
  // in it back to its first offset so those records are processed again.
  Status AbortTxn(bool rewind) {
    // Short calls, resumed while retriable; the abort itself can also fail
    // abortably (EndTxn(abort) refused by a broker in trouble), and is then
    // called again. Bounded by Retry's deadline and by a stop request.
    ErrorPtr e = Retry(
        "abort_transaction",
        [&] {
          // Serve delivery reports first: abort waits for outstanding
          // messages, whose reports are only delivered by polling.
          rd_kafka_poll(producer, 0);
          return rd_kafka_abort_transaction(producer, kAbortCallTimeoutMs);
        },
        /*also_abortable=*/true);
    txn_open = false;
    m_aborted->Inc();
    if (e) return FatalFrom("abort_transaction", e.get());
    if (rewind && !txn_offsets.empty()) {
      ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(txn_offsets.size())));
      for (const auto& [k, span] : txn_offsets)
        rd_kafka_topic_partition_list_add(list.get(), k.topic.c_str(), k.partition)->offset = span.first;
      ErrorPtr se(rd_kafka_seek_partitions(consumer, list.get(), kCallTimeoutMs));
      if (se) return FatalFrom("seek after abort", se.get());
      for (int i = 0; i < list->cnt; ++i)
        if (list->elems[i].err)
          return Error("kafka_fatal", std::string("seek after abort failed for ") + list->elems[i].topic + ":" +
                                          std::to_string(list->elems[i].partition) + ": " +
                                          rd_kafka_err2str(list->elems[i].err));
    }
    txn_offsets.clear();
    log::Warn("transaction_aborted", {{"records_replayed", std::to_string(txn_records)}});
    return Status::Ok();
  }

  // The offsets of the open transaction, and the group metadata; built on
  // the main thread (they read the consumer).
  ListPtr TxnOffsetList() {
    ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(txn_offsets.size()) + 1));
    for (const auto& [k, span] : txn_offsets)
      rd_kafka_topic_partition_list_add(list.get(), k.topic.c_str(), k.partition)->offset = span.next;
    return list;
  }

  // send_offsets_to_transaction + commit_transaction, retrying retriable
  // errors. Touches only the producer: safe on the commit thread.
  CommitOutcome CommitCalls(rd_kafka_topic_partition_list_t* offsets, rd_kafka_consumer_group_metadata_t* cgmd) {
    CommitOutcome out;
    if (offsets->cnt > 0) {
      out.err = Retry("send_offsets_to_transaction",
                      [&] { return rd_kafka_send_offsets_to_transaction(producer, offsets, cgmd, kCallTimeoutMs); });
      if (out.err) {
        out.call = "send_offsets_to_transaction";
        return out;
      }
    }
    out.err = Retry("commit_transaction", [&] { return rd_kafka_commit_transaction(producer, kCallTimeoutMs); });
    if (out.err) out.call = "commit_transaction";
    return out;
  }

  // Applies a commit's outcome: closes the transaction, or aborts and
  // rewinds (abortable), or returns the fatal error.
  Status CommitDone(CommitOutcome out) {
    if (out.err) {
      const rd_kafka_error_t* e = out.err.get();
      if (!rd_kafka_error_txn_requires_abort(e)) return FatalFrom(out.call, e);
      log::Warn("transaction_failed",
                {{"call", out.call}, {"error", rd_kafka_error_name(e)}, {"detail", rd_kafka_error_string(e)}});
      BackOff();
      // The backlog was consumed after the aborted transaction: drop it and
      // make sure the rewind covers its partitions too.
      for (auto& p : backlog) {
        txn_offsets.try_emplace(PartitionKey{p.topic, p.partition}, Span{p.offset, p.offset + 1});
        rd_kafka_headers_destroy(p.hdrs);
      }
      backlog.clear();
      backlog_bytes = 0;
      return AbortTxn(/*rewind=*/true);
    }
    txn_open = false;
    txn_offsets.clear();
    abort_backoff_ms = 0;
    m_committed->Inc();
    log::Debug("transaction_committed", {{"records", std::to_string(txn_records)}});
    return Status::Ok();
  }

  // Commits the open transaction and waits for it. Abortable failures abort
  // and rewind (not an error for the caller); fatal ones are returned.
  Status CommitTxn() {
    if (committing)
      if (Status f = FinishCommit(); !f.ok()) return f;
    if (!txn_open) return Status::Ok();
    ListPtr list = TxnOffsetList();
    std::unique_ptr<rd_kafka_consumer_group_metadata_t, CgmdDeleter> cgmd(rd_kafka_consumer_group_metadata(consumer));
    return CommitDone(CommitCalls(list.get(), cgmd.get()));
  }

  // Starts committing the open transaction on the commit thread.
  void StartCommit() {
    ListPtr list = TxnOffsetList();
    std::unique_ptr<rd_kafka_consumer_group_metadata_t, CgmdDeleter> cgmd(rd_kafka_consumer_group_metadata(consumer));
    committing = true;
    commit_done = false;
    commit_thread = std::thread([this, l = std::move(list), g = std::move(cgmd)]() mutable {
      commit_outcome = CommitCalls(l.get(), g.get());
      commit_done = true;
    });
  }

  // Waits for the commit thread, applies its outcome, then produces the
  // backlog into a new transaction.
  Status FinishCommit() {
    commit_thread.join();
    committing = false;
    if (Status s = CommitDone(std::move(commit_outcome)); !s.ok()) return s;
    while (!backlog.empty()) {
      Pending p = std::move(backlog.front());
      backlog.pop_front();
      backlog_bytes -= p.key.size() + p.value.size();
      Status s = ProduceTracked(*p.dest, p.has_key ? p.key.data() : nullptr, p.key.size(),
                                p.tombstone ? nullptr : p.value.data(), p.value.size(), p.hdrs, p.ts, p.topic,
                                p.partition, p.offset, 0, nullptr);
      if (!s.ok()) {
        // Drop the rest of the backlog, and make the abort's rewind cover
        // the refused record and everything after it: they are consumed
        // again, as when a record is refused on the main path.
        txn_offsets.try_emplace(PartitionKey{p.topic, p.partition}, Span{p.offset, p.offset + 1});
        for (auto& rest : backlog) {
          rd_kafka_headers_destroy(rest.hdrs);
          txn_offsets.try_emplace(PartitionKey{rest.topic, rest.partition}, Span{rest.offset, rest.offset + 1});
        }
        backlog.clear();
        backlog_bytes = 0;
        if (s.error().code == "kafka_fatal" || !txn_open) return s;
        log::Warn("produce_refused", {{"error", s.error().message}});
        BackOff();
        return AbortTxn(/*rewind=*/true);
      }
    }
    return Status::Ok();
  }

  // Produces one record. Waits (serving delivery reports) only if
  // librdkafka's own queue is full; normal backpressure pauses consumption
  // before that (see OverLimit).
  Status Produce(const std::string& topic, const void* key, size_t key_len, const void* val, size_t val_len,
                 rd_kafka_headers_t* hdrs, int64_t ts, uintptr_t opaque) {
    for (;;) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(const_cast<void*>(key), key_len), RD_KAFKA_V_VALUE(const_cast<void*>(val), val_len),
          RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(opaque)),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {  // headers now owned by librdkafka
        inflight_records += 1;
        inflight_bytes += static_cast<int64_t>(key_len + val_len);
        return Status::Ok();
      }
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer, 50);
        continue;
      }
      rd_kafka_headers_destroy(hdrs);
      return Error(
          err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ? ErrorCode::kProduceTooLarge : ErrorCode::kProduceFailed,
          std::string("produce to ") + topic + ": " + rd_kafka_err2name(err));
    }
  }

  // True for a header in maskproxy's own namespace (maskproxy.*, any case):
  // an incoming one is forged or stale and never passed on.
  static bool IsOwnHeader(std::string_view name) {
    constexpr std::string_view kPrefix = "maskproxy.";
    return name.size() >= kPrefix.size() && policy::HeaderNameEquals(name.substr(0, kPrefix.size()), kPrefix);
  }

  // The record's headers without maskproxy.* ones.
  static rd_kafka_headers_t* CopyHeaders(const rd_kafka_message_t* m) {
    rd_kafka_headers_t* src = nullptr;
    if (rd_kafka_message_headers(m, &src) != RD_KAFKA_RESP_ERR_NO_ERROR || !src) return rd_kafka_headers_new(4);
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

  // The record's headers as the engine's view (without maskproxy.* ones),
  // into header_views; they point into `m`.
  void ViewHeaders(const rd_kafka_message_t* m) {
    header_views.clear();
    rd_kafka_headers_t* src = nullptr;
    if (rd_kafka_message_headers(m, &src) != RD_KAFKA_RESP_ERR_NO_ERROR || !src) return;
    const char* name = nullptr;
    const void* val = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(src, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      if (IsOwnHeader(name)) continue;
      header_views.push_back(
          {name, val ? std::optional<std::string_view>(std::string_view(static_cast<const char*>(val), size))
                     : std::nullopt});
    }
  }

  // Headers built from the engine's output.
  static rd_kafka_headers_t* NewHeaders(const std::vector<engine::Header>& headers) {
    rd_kafka_headers_t* out = rd_kafka_headers_new(headers.size() + 4);
    for (const auto& h : headers)
      rd_kafka_header_add(out, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value ? h.value->data() : nullptr,
                          h.value ? static_cast<ssize_t>(h.value->size()) : 0);
    return out;
  }

  static std::string OriginString(const std::string& topic, int32_t partition, int64_t offset) {
    return topic + ":" + std::to_string(partition) + ":" + std::to_string(offset);
  }

  // Bytes and count of a header list's names and values.
  static size_t HeaderBytes(const rd_kafka_headers_t* hdrs, size_t* count) {
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

  static size_t RecordBytes(size_t key_len, size_t val_len, const rd_kafka_headers_t* hdrs) {
    size_t count = 0;
    const size_t hb = HeaderBytes(hdrs, &count);
    return EstimateRecordBytes(key_len, val_len, hb, count);
  }

  // The largest record that may be produced to `topic`.
  size_t LimitOf(const std::string& topic) const {
    auto it = topic_limit.find(topic);
    return it == topic_limit.end() ? producer_limit : std::min(producer_limit, it->second);
  }

  // The last step before a decided record is produced (or queued in the
  // backlog): a record that would not fit its topic (see LimitOf), or that
  // the producer or the broker refused for its size twice (size_refusals),
  // must not stop the instance. A masked record that would not fit is
  // dead-lettered (the raw record, reason too_large_for_topic); a dead
  // letter that would not fit becomes a reference-only dead letter: no key,
  // no source headers, a small JSON value, and headers naming the source
  // record, its size and the reason. *hdrs is replaced when the record is.
  void FitToLimits(const rd_kafka_message_t* m, const engine::RouteRef& route, const std::string& origin,
                   const std::string** dest, const void** key, size_t* key_len, std::string_view* out,
                   rd_kafka_headers_t** hdrs) {
    const policy::Route& rt = *route.route;
    const std::string& topic = **dest;
    size_t limit = LimitOf(topic);
    size_t size = RecordBytes(*key_len, out->size(), *hdrs);
    const bool refused = SizeRefusals(origin) >= 2;
    if (size <= limit && !refused) return;
    const bool was_dead_letter = *dest != &rt.to;
    std::string why =
        refused ? "refused by the producer or broker for its size"
                : std::to_string(size) + " bytes exceed the " + std::to_string(limit) + "-byte limit of " + topic;
    std::string prior_reason;
    if (was_dead_letter) {
      const void* v = nullptr;
      size_t n = 0;
      if (rd_kafka_header_get_last(*hdrs, kHeaderDlqReason, &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR && v)
        prior_reason.assign(static_cast<const char*>(v), n);
    }
    // Counted once per record that becomes a dead letter here (a dead letter
    // turned into a reference was counted under its own reason).
    if (!was_dead_letter) DeadCounter(kReasonTooLarge)->Inc();
    if (!was_dead_letter && !refused) {
      // The raw record to the dead-letter topic, if it fits there.
      rd_kafka_headers_t* raw = CopyHeaders(m);
      const std::string detail = "masked record: " + why;
      rd_kafka_header_add(raw, kHeaderDlqReason, -1, kReasonTooLarge, -1);
      rd_kafka_header_add(raw, kHeaderDlqDetail, -1, detail.data(), static_cast<ssize_t>(detail.size()));
      rd_kafka_header_add(raw, kHeaderPolicy, -1, route.policy_label.data(),
                          static_cast<ssize_t>(route.policy_label.size()));
      rd_kafka_header_add(raw, kHeaderOrigin, -1, origin.data(), static_cast<ssize_t>(origin.size()));
      const size_t raw_key_len = m->key ? m->key_len : 0;
      const size_t raw_len = m->payload ? m->len : 0;
      const size_t dl_size = RecordBytes(raw_key_len, raw_len, raw);
      const size_t dl_limit = LimitOf(rt.dead_letter);
      if (dl_size <= dl_limit) {
        log::Warn("record_dead_lettered", {{"topic", m->rkt ? rd_kafka_topic_name(m->rkt) : ""},
                                           {"partition", std::to_string(m->partition)},
                                           {"offset", std::to_string(m->offset)},
                                           {"reason", kReasonTooLarge},
                                           {"detail", detail}});
        rd_kafka_headers_destroy(*hdrs);
        *hdrs = raw;
        *dest = &rt.dead_letter;
        *key = m->key;
        *key_len = raw_key_len;
        *out = std::string_view(m->payload ? static_cast<const char*>(m->payload) : "", raw_len);
        return;
      }
      rd_kafka_headers_destroy(raw);
      why += "; the raw record (" + std::to_string(dl_size) + " bytes) exceeds the " + std::to_string(dl_limit) +
             "-byte limit of " + rt.dead_letter;
    }
    // Reference only: nothing of the record's key, value or headers.
    size_t src_header_count = 0;
    rd_kafka_headers_t* src_hdrs = nullptr;
    if (rd_kafka_message_headers(m, &src_hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) src_hdrs = nullptr;
    const size_t src_size =
        (m->key ? m->key_len : 0) + (m->payload ? m->len : 0) + HeaderBytes(src_hdrs, &src_header_count);
    const std::string detail =
        (was_dead_letter ? "dead letter (" + (prior_reason.empty() ? std::string("unknown") : prior_reason) + ")"
                         : std::string("masked record")) +
        ": " + why + "; reference only, the record stays in its source topic";
    const std::string size_text = std::to_string(src_size);
    rd_kafka_headers_destroy(*hdrs);
    *hdrs = rd_kafka_headers_new(6);
    rd_kafka_header_add(*hdrs, kHeaderDlqReason, -1, kReasonTooLarge, -1);
    rd_kafka_header_add(*hdrs, kHeaderDlqDetail, -1, detail.data(), static_cast<ssize_t>(detail.size()));
    rd_kafka_header_add(*hdrs, kHeaderDlqSize, -1, size_text.data(), static_cast<ssize_t>(size_text.size()));
    rd_kafka_header_add(*hdrs, kHeaderPolicy, -1, route.policy_label.data(),
                        static_cast<ssize_t>(route.policy_label.size()));
    rd_kafka_header_add(*hdrs, kHeaderOrigin, -1, origin.data(), static_cast<ssize_t>(origin.size()));
    const std::string src_topic = rd_kafka_topic_name(m->rkt);
    reference_value = "{\"maskproxy_reference\":{\"topic\":";
    codec::AppendJsonString(src_topic, &reference_value);
    reference_value += ",\"partition\":" + std::to_string(m->partition) + ",\"offset\":" + std::to_string(m->offset) +
                       ",\"size\":" + size_text + ",\"reason\":\"" + kReasonTooLarge + "\"}}";
    *dest = &rt.dead_letter;
    *key = nullptr;
    *key_len = 0;
    *out = reference_value;
    m_reference_only->Inc();
    log::Warn("record_dead_lettered_as_reference", {{"topic", src_topic},
                                                    {"partition", std::to_string(m->partition)},
                                                    {"offset", std::to_string(m->offset)},
                                                    {"bytes", size_text},
                                                    {"reason", kReasonTooLarge},
                                                    {"detail", detail}});
  }

  // Produces one decided record and tracks its offset (transaction
  // offsets, or the at-least-once slot). Begins a transaction if needed.
  Status ProduceTracked(const std::string& dest, const void* key, size_t key_len, const void* val, size_t val_len,
                        rd_kafka_headers_t* hdrs, int64_t ts, const std::string& topic, int32_t partition,
                        int64_t offset, uintptr_t opaque, Slot* slot) {
    if (eos() && !txn_open) {
      if (Status s = BeginTxn(); !s.ok()) {
        rd_kafka_headers_destroy(hdrs);
        return s;
      }
    }
    // A record refused once for its size goes alone in its batch this time,
    // so that a second refusal is its own (see size_refusals).
    const bool isolate = size_suspects.load() > 0 && SizeRefusals(OriginString(topic, partition, offset)) == 1;
    if (isolate) rd_kafka_flush(producer, kCallTimeoutMs);
    if (Status s = Produce(dest, key, key_len, val, val_len, hdrs, ts, opaque); !s.ok()) {
      // The client refused it for its size: no batch involved, it is this
      // record; it is replaced by a reference when it comes again.
      if (s.error().code == "produce_too_large") NoteSizeRefusal(OriginString(topic, partition, offset), true);
      return s;
    }
    if (slot) {
      slot->entries.push_back({offset, EntryState::kPending});
      ++slot->next_seq;
    } else {
      auto [it, inserted] = txn_offsets.try_emplace(PartitionKey{topic, partition}, Span{offset, offset + 1});
      if (!inserted) it->second.next = offset + 1;
      ++txn_records;
    }
    // After the record is tracked: its delivery report may come now.
    if (isolate) rd_kafka_flush(producer, kCallTimeoutMs);
    if (OverLimit()) SetPaused(true);
    return Status::Ok();
  }

  // Masks one consumed record and produces it to the destination, or (fail
  // closed) the raw record to the dead-letter topic. While a commit runs,
  // the decided record waits in the backlog instead.
  Status Process(const rd_kafka_message_t* m) {
    const std::string topic = rd_kafka_topic_name(m->rkt);
    m_consumed->Inc();
    auto cached = route_of.find(topic);
    if (cached == route_of.end()) cached = route_of.emplace(topic, engine->FindRoute(topic)).first;
    const engine::RouteRef* route = cached->second;
    if (!route) return Error("internal", "no route for subscribed topic " + topic);

    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) ts = 0;

    const std::string origin = topic + ":" + std::to_string(m->partition) + ":" + std::to_string(m->offset);
    const policy::Route& rt = *route->route;
    const std::string* dest = &rt.to;
    const bool tombstone = m->payload == nullptr;
    std::string_view value(tombstone ? "" : static_cast<const char*>(m->payload), tombstone ? 0 : m->len);

    // The engine decides every byte of the record (key, headers, value); any
    // failure sends the untouched record to the dead-letter topic.
    ViewHeaders(m);
    engine::RecordView view{
        topic,
        m->key ? std::optional<std::string_view>(std::string_view(static_cast<const char*>(m->key), m->key_len))
               : std::nullopt,
        tombstone ? std::nullopt : std::optional<std::string_view>(value), header_views};
    Status masked_ok = engine->MaskRecord(*route, view, &rec);
    rd_kafka_headers_t* hdrs = nullptr;
    const void* key = m->key;
    size_t key_len = m->key ? m->key_len : 0;
    std::string_view out;  // the value to produce
    if (masked_ok.ok()) {
      hdrs = rec.headers_changed ? NewHeaders(rec.headers) : CopyHeaders(m);
      key = rec.key ? rec.key->data() : nullptr;
      key_len = rec.key ? rec.key->size() : 0;
      out = rec.value;
      if (!rec.findings.empty()) ReportFindings(*route, topic, m->partition, m->offset);
      if (!rt.key_refs.empty())
        rd_kafka_header_add(hdrs, kHeaderKeys, -1, rt.key_refs.data(), static_cast<ssize_t>(rt.key_refs.size()));
    } else {
      // Fail closed: the raw record goes to the dead-letter topic only.
      hdrs = CopyHeaders(m);
      const Error& why = masked_ok.error();
      const std::string reason(ErrorCodeName(why.code));
      rd_kafka_header_add(hdrs, kHeaderDlqReason, -1, reason.data(), static_cast<ssize_t>(reason.size()));
      rd_kafka_header_add(hdrs, kHeaderDlqDetail, -1, why.message.data(), static_cast<ssize_t>(why.message.size()));
      dest = &rt.dead_letter;
      out = value;
      DeadCounter(reason)->Inc();
      log::Warn("record_dead_lettered", {{"topic", topic},
                                         {"partition", std::to_string(m->partition)},
                                         {"offset", std::to_string(m->offset)},
                                         {"reason", reason},
                                         {"detail", why.message}});
    }
    rd_kafka_header_add(hdrs, kHeaderPolicy, -1, route->policy_label.data(),
                        static_cast<ssize_t>(route->policy_label.size()));
    rd_kafka_header_add(hdrs, kHeaderOrigin, -1, origin.data(), static_cast<ssize_t>(origin.size()));
    FitToLimits(m, *route, origin, &dest, &key, &key_len, &out, &hdrs);
    if (dest == &rt.to) m_produced->Inc();  // not a masked record dead-lettered for its size

    if (committing) {
      Pending p{dest,
                std::string(static_cast<const char*>(key), key_len),
                key != nullptr,
                std::string(out),
                tombstone,
                hdrs,
                ts,
                topic,
                m->partition,
                m->offset};
      backlog_bytes += p.key.size() + p.value.size();
      backlog.push_back(std::move(p));
      return Status::Ok();
    }
    uintptr_t opaque = 0;
    Slot* slot = nullptr;
    if (!eos()) {
      uint32_t idx = 0;
      slot = &SlotFor(topic, m->partition, &idx);
      opaque = PackOpaque(idx, slot->next_seq);
    }
    return ProduceTracked(*dest, key, key_len, tombstone ? nullptr : out.data(), out.size(), hdrs, ts, topic,
                          m->partition, m->offset, opaque, slot);
  }

  void LogStats() {
    log::Info("stats",
              {{"consumed", std::to_string(m_consumed->Value())},
               {"masked", std::to_string(m_produced->Value())},
               {"dead_lettered", std::to_string(metrics::Global().Total("maskproxy_records_dead_lettered_total"))},
               {"txn_committed", std::to_string(m_committed->Value())},
               {"txn_aborted", std::to_string(m_aborted->Value())},
               {"inflight_records", std::to_string(inflight_records)},
               {"inflight_bytes", std::to_string(inflight_bytes)},
               {"paused", paused ? "true" : "false"},
               {"pauses", std::to_string(m_pauses->Value())},
               {"pii_scanned", std::to_string(m_pii_scanned->Value())},
               {"pii_unlisted", std::to_string(m_pii_unlisted->Value())},
               {"too_large_for_topic", std::to_string(DeadCounter(kReasonTooLarge)->Value())},
               {"reference_only", std::to_string(m_reference_only->Value())},
               {"size_refusals", std::to_string(m_size_refused->Value())}});
  }

  // A produce call failed for the record `m` (not a delivery report: the
  // client refused it). Nothing of it reached Kafka; arrange for it and
  // everything after it to be processed again.
  Status HandleProduceRefused(const rd_kafka_message_t* m, const Error& why) {
    log::Warn("produce_refused", {{"error", why.message}});
    const PartitionKey key{rd_kafka_topic_name(m->rkt), m->partition};
    if (!eos()) {
      uint32_t idx = 0;
      Slot& sl = SlotFor(key.topic, key.partition, &idx);
      sl.entries.push_back({m->offset, EntryState::kFailed});
      ++sl.next_seq;
      delivery_failed = true;
      return Status::Ok();
    }
    // If this record's partition had no earlier record in the transaction,
    // the abort's rewind does not cover it: seek to it as well.
    const bool covered = txn_offsets.count(key) != 0;
    if (txn_open)
      if (Status a = AbortTxn(/*rewind=*/true); !a.ok()) return a;
    if (!covered) {
      ListPtr l(rd_kafka_topic_partition_list_new(1));
      rd_kafka_topic_partition_list_add(l.get(), key.topic.c_str(), key.partition)->offset = m->offset;
      ErrorPtr se(rd_kafka_seek_partitions(consumer, l.get(), kCallTimeoutMs));
      if (se) return FatalFrom("seek", se.get());
    }
    BackOff();
    return Status::Ok();
  }

  // Commits (exactly-once) or stores acknowledged offsets (at-least-once)
  // when due.
  Status MaybeCommit() {
    if (eos()) {
      if (committing) {
        // Finish when done, or wait when the backlog is as large as a
        // transaction may be.
        if (commit_done.load() || backlog.size() >= static_cast<size_t>(opt.commit_max_records) ||
            backlog_bytes >= opt.max_inflight_bytes / 2)
          return FinishCommit();
        return Status::Ok();
      }
      if (txn_open && (txn_records >= opt.commit_max_records ||
                       Clock::now() - txn_started >= std::chrono::milliseconds(opt.commit_interval_ms)))
        StartCommit();
      return Status::Ok();
    }
    if (delivery_failed) return ReplayFailed();
    if (Clock::now() - last_store >= std::chrono::milliseconds(std::min(opt.commit_interval_ms, 100))) StoreDelivered();
    return Status::Ok();
  }

  // Says clearly, at start, when a destination or dead-letter topic does
  // not exist. Not fatal: records wait (nothing is committed, nothing is
  // lost) and flow once the topic is created. Topics are never auto-created.
  void CheckOutputTopics() {
    std::set<std::string> outputs;
    for (const auto& r : engine->routes()) {
      outputs.insert(r.route->to);
      outputs.insert(r.route->dead_letter);
    }
    for (const auto& t : outputs) {
      rd_kafka_topic_t* rkt = rd_kafka_topic_new(consumer, t.c_str(), nullptr);
      const rd_kafka_metadata_t* md = nullptr;
      rd_kafka_resp_err_t err = rd_kafka_metadata(consumer, 0, rkt, &md, 10000);
      if (err) {
        log::Warn("topic_check_failed", {{"topic", t}, {"error", rd_kafka_err2name(err)}});
      } else if (md->topic_cnt == 1 && md->topics[0].err) {
        log::Error("output_topic_unavailable",
                   {{"topic", t},
                    {"error", rd_kafka_err2name(md->topics[0].err)},
                    {"detail", "records for it wait, uncommitted, until the topic exists and is writable"}});
      }
      if (md) rd_kafka_metadata_destroy(md);
      rd_kafka_topic_destroy(rkt);
    }
  }

  // Reads max.message.bytes of every destination and dead-letter topic
  // (the topic's own setting, or the broker's message.max.bytes when the
  // topic sets none: DescribeConfigs reports the value in effect). A topic
  // whose limit cannot be read is checked against the producer limit only;
  // the broker's refusal is then handled as a size refusal.
  void ReadTopicLimits() {
    if (opt.topic_limits_timeout_ms <= 0) {
      log::Info("topic_limits_not_read", {{"limit", std::to_string(producer_limit)}});
      return;
    }
    // A short-lived client of its own (the destination's properties, so the
    // same security settings), so that the admin request leaves the
    // transactional producer's state alone.
    std::unique_ptr<rd_kafka_conf_t, ConfDeleter> ac(rd_kafka_conf_new());
    char err[512];
    bool conf_ok = true;
    for (const auto& [k, v] : opt.producer_properties) conf_ok = conf_ok && SetConf(ac.get(), k, v, "destination").ok();
    conf_ok = conf_ok && SetConf(ac.get(), "bootstrap.servers", opt.destination_brokers, "destination").ok() &&
              SetConf(ac.get(), "client.id", "maskproxy-admin", "destination").ok();
    rd_kafka_conf_set_log_cb(ac.get(), &Impl::OnLog);
    rd_kafka_t* admin = conf_ok ? rd_kafka_new(RD_KAFKA_PRODUCER, ac.get(), err, sizeof err) : nullptr;
    if (!admin) {
      log::Warn("topic_limits_unknown", {{"error", conf_ok ? err : "admin client configuration"},
                                         {"detail", "records are checked against the producer limit only"},
                                         {"limit", std::to_string(producer_limit)}});
      return;
    }
    ac.release();  // owned by the admin client now
    ReadTopicLimitsWith(admin);
    rd_kafka_destroy(admin);
  }

  void ReadTopicLimitsWith(rd_kafka_t* admin) {
    std::set<std::string> outputs;
    for (const auto& r : engine->routes()) {
      outputs.insert(r.route->to);
      outputs.insert(r.route->dead_letter);
    }
    std::vector<rd_kafka_ConfigResource_t*> res;
    for (const auto& t : outputs) res.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, t.c_str()));
    rd_kafka_queue_t* q = rd_kafka_queue_new(admin);
    rd_kafka_AdminOptions_t* ao = rd_kafka_AdminOptions_new(admin, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    char err[256];
    (void)rd_kafka_AdminOptions_set_request_timeout(ao, opt.topic_limits_timeout_ms, err, sizeof err);
    rd_kafka_DescribeConfigs(admin, res.data(), res.size(), ao, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, opt.topic_limits_timeout_ms + 1000);
    std::string failure;
    if (!ev) {
      failure = "timed out";
    } else if (rd_kafka_event_error(ev)) {
      failure = rd_kafka_err2name(rd_kafka_event_error(ev));
    } else if (const rd_kafka_DescribeConfigs_result_t* result = rd_kafka_event_DescribeConfigs_result(ev)) {
      size_t n = 0;
      const rd_kafka_ConfigResource_t** rs = rd_kafka_DescribeConfigs_result_resources(result, &n);
      for (size_t i = 0; i < n; ++i) {
        const std::string name = rd_kafka_ConfigResource_name(rs[i]);
        if (rd_kafka_ConfigResource_error(rs[i])) {
          log::Warn("topic_limit_unknown", {{"topic", name},
                                            {"error", rd_kafka_err2name(rd_kafka_ConfigResource_error(rs[i]))},
                                            {"limit", std::to_string(producer_limit)}});
          continue;
        }
        size_t cn = 0;
        const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(rs[i], &cn);
        for (size_t j = 0; j < cn; ++j) {
          if (std::strcmp(rd_kafka_ConfigEntry_name(entries[j]), "max.message.bytes") != 0) continue;
          const char* v = rd_kafka_ConfigEntry_value(entries[j]);
          if (v && *v && std::strspn(v, "0123456789") == std::strlen(v) && std::strlen(v) <= 12) {
            topic_limit[name] = static_cast<size_t>(std::stoull(v));
            log::Info("topic_limit",
                      {{"topic", name}, {"max_message_bytes", v}, {"effective_limit", std::to_string(LimitOf(name))}});
          }
        }
        if (!topic_limit.count(name))
          log::Warn("topic_limit_unknown", {{"topic", name},
                                            {"error", "max.message.bytes not reported"},
                                            {"limit", std::to_string(producer_limit)}});
      }
    } else {
      failure = "no result";
    }
    if (!failure.empty())
      log::Warn("topic_limits_unknown", {{"error", failure},
                                         {"detail", "records are checked against the producer limit only"},
                                         {"limit", std::to_string(producer_limit)}});
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    rd_kafka_ConfigResource_destroy_array(res.data(), res.size());
  }

  // On stop, a commit that cannot finish within the shutdown budget (the
  // destination is gone) is not an error: the transaction is aborted and its
  // records are consumed again after a restart; nothing is lost. Only a
  // fatal producer state (fenced) stays an error.
  Status AbortIfStopping(Status s) {
    if (s.ok()) return s;
    char buf[256];
    if (rd_kafka_fatal_error(producer, buf, sizeof buf) != RD_KAFKA_RESP_ERR_NO_ERROR) return s;
    log::Warn("final_commit_failed", {{"error", s.error().message},
                                      {"detail", "transaction aborted; its records are processed again on restart"}});
    if (committing) {
      commit_thread.join();
      committing = false;
    }
    for (auto& p : backlog) rd_kafka_headers_destroy(p.hdrs);
    backlog.clear();
    backlog_bytes = 0;
    txn_open = true;  // whatever state the failed commit left, abort it
    (void)AbortTxn(false);
    return Status::Ok();
  }

  Status Start() {
    if (eos()) {
      ErrorPtr e = Retry("init_transactions", [&] { return rd_kafka_init_transactions(producer, kCallTimeoutMs); });
      if (e) return FatalFrom("init_transactions", e.get());
      log::Info("transactions_ready", {{"transactional_id", opt.transactional_id}});
    }
    CheckOutputTopics();
    ReadTopicLimits();
    std::vector<std::string> topics = engine->SourceTopics();
    ListPtr subs(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
    for (const auto& t : topics) rd_kafka_topic_partition_list_add(subs.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    if (rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer, subs.get()); err)
      return Error("kafka_subscribe_failed", rd_kafka_err2str(err));
    log::Info("subscribed", {{"group", opt.group_id},
                             {"topics", std::to_string(topics.size())},
                             {"mode", eos() ? "exactly_once" : "at_least_once"}});
    return Status::Ok();
  }

  Status Run(const std::atomic<bool>& stop) {
    stop_flag = &stop;
    if (Status s = Start(); !s.ok()) return s;
    Clock::time_point last_stats = Clock::now();
    Status result;
    while (!stop.load() && !HasFatal()) {
      if (backoff_pending) {
        // After an abort or a failed delivery, wait once before replaying:
        // the destination may be down or missing. The wait doubles with each
        // failure in a row (200 ms .. 5 s) and resets on success.
        backoff_pending = false;
        std::this_thread::sleep_for(std::chrono::milliseconds(abort_backoff_ms));
      }
      MsgPtr m(rd_kafka_consumer_poll(consumer, 100));
      if (m && m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
          SetFatal(Error("kafka_fatal", std::string("consumer: ") + rd_kafka_message_errstr(m.get())));
          break;
        }
        log::Warn("consumer_error",
                  {{"error", rd_kafka_err2name(m->err)}, {"detail", rd_kafka_message_errstr(m.get())}});
      } else if (m) {
        if (Status s = Process(m.get()); !s.ok()) {
          if (s.error().code == "kafka_fatal" || s.error().code == "internal") {
            result = s;
            break;
          }
          if (Status h = HandleProduceRefused(m.get(), s.error()); !h.ok()) {
            result = h;
            break;
          }
        }
      }
      rd_kafka_poll(producer, 0);
      if (paused && !delivery_failed && UnderLowWater()) SetPaused(false);
      if (Status s = MaybeCommit(); !s.ok()) {
        result = stop.load() ? AbortIfStopping(s) : s;
        break;
      }
      if (Clock::now() - last_stats >= std::chrono::milliseconds(opt.stats_interval_ms)) {
        LogStats();
        last_stats = Clock::now();
      }
    }
    if (result.ok() && HasFatal()) {
      std::lock_guard<std::mutex> lock(fatal_mu);
      result = fatal;
    }
    if (result.ok()) {
      log::Info("shutting_down", {{"open_transaction_records", std::to_string(txn_open ? txn_records : 0)},
                                  {"inflight_records", std::to_string(inflight_records)}});
      if (eos()) {
        // Commit what is open (the running commit, then the backlog). If
        // that cannot finish within the shutdown budget (destination gone),
        // abort instead: nothing is lost, the records are consumed again on
        // restart. Only a fatal producer state (fenced) is an error here.
        result = AbortIfStopping(CommitTxn());
      } else {
        WaitForDeliveries(kShutdownWaitMs);
        StoreDelivered();
      }
    } else if (committing) {
      commit_thread.join();
      committing = false;
    }
    // Leave the group. The rebalance callback finishes what is open
    // (commits stored offsets in at-least-once mode).
    rd_kafka_consumer_close(consumer);
    if (txn_open) (void)AbortTxn(false);
    if (!eos()) rd_kafka_flush(producer, 5000);
    LogStats();
    return result;
  }
};

Pipeline::Pipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pipeline::~Pipeline() = default;

Result<std::unique_ptr<Pipeline>> Pipeline::Create(const Options& options,
                                                   std::shared_ptr<const engine::Engine> engine) {
  if (options.source_brokers.empty()) return Error("config_invalid", "source brokers are not set");
  const bool eos = options.mode == DeliveryMode::kExactlyOnce;
  if (eos && options.destination_brokers != options.source_brokers)
    return Error("config_invalid",
                 "exactly-once delivery needs source and destination on the same Kafka cluster "
                 "(consumed offsets are committed inside the destination transaction); "
                 "use delivery.mode at_least_once for another cluster");
  if (options.destination_brokers.empty()) return Error("config_invalid", "destination brokers are not set");
  if (options.group_id.empty()) return Error("config_invalid", "consumer group id is not set");
  if (eos && options.transactional_id.empty()) return Error("config_invalid", "transactional id is not set");
  for (const auto& [k, v] : options.consumer_properties)
    if (IsManagedProperty(k, true))
      return Error("config_invalid", "source property '" + k + "' is set by maskproxy itself");
  for (const auto& [k, v] : options.producer_properties)
    if (IsManagedProperty(k, false))
      return Error("config_invalid", "destination property '" + k + "' is set by maskproxy itself");
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  impl->engine = std::move(engine);
  if (Status s = impl->MakeClients(); !s.ok()) return s.error();
  return std::unique_ptr<Pipeline>(new Pipeline(std::move(impl)));
}

Status Pipeline::Run(const std::atomic<bool>& stop) {
  return impl_->Run(stop);
}

}  // namespace maskproxy::pipeline
