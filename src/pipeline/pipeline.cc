#include "pipeline/pipeline.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/log.h"
#include "common/metrics.h"
#include "pipeline/context.h"
#include "pipeline/delivery.h"
#include "pipeline/findings.h"
#include "pipeline/headers.h"
#include "pipeline/kafka_client.h"
#include "pipeline/kafka_util.h"
#include "pipeline/protection_stats.h"
#include "pipeline/rebalance.h"
#include "pipeline/size_limits.h"
#include "pipeline/workers.h"

namespace maskproxy::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

// A consumed batch: at most this many records, or about this many bytes.
constexpr size_t kMaxBatchRecords = 500;
constexpr size_t kMaxBatchBytes = 4 << 20;
// A slot's buffers above this capacity are freed after their batch.
constexpr size_t kKeepSlotBytes = 256 << 10;

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

}  // namespace

bool IsManagedProperty(const std::string& name, bool consumer) {
  const auto& v = consumer ? ManagedConsumer() : ManagedProducer();
  return std::find(v.begin(), v.end(), name) != v.end();
}

Status CheckClientProperties(const std::map<std::string, std::string>& consumer_properties,
                             const std::map<std::string, std::string>& producer_properties) {
  for (const auto& [k, v] : consumer_properties)
    if (IsManagedProperty(k, true))
      return Error(ErrorCode::kConfigInvalid, "source property '" + k + "' is set by maskproxy itself");
  for (const auto& [k, v] : producer_properties)
    if (IsManagedProperty(k, false))
      return Error(ErrorCode::kConfigInvalid, "destination property '" + k + "' is set by maskproxy itself");
  // librdkafka's own check of each name and value, on a configuration that
  // makes no client.
  for (auto [props, side] :
       {std::pair{&consumer_properties, "source"}, std::pair{&producer_properties, "destination"}}) {
    ConfPtr conf(rd_kafka_conf_new());
    for (const auto& [k, v] : *props)
      if (Status s = SetConf(conf.get(), k, v, side); !s.ok()) return s;
  }
  if (auto it = consumer_properties.find("auto.offset.reset"); it != consumer_properties.end())
    if (auto policy = ParseStartPolicy(it->second); !policy.ok()) return policy.error();
  return Status::Ok();
}

size_t PrefetchKbytes(size_t max_inflight_bytes) {
  constexpr size_t kMinKbytes = 1024, kMaxKbytes = 2097151;  // librdkafka's range ends at 2097151
  return std::clamp<size_t>(max_inflight_bytes / 1024, kMinKbytes, kMaxKbytes);
}

size_t FetchMaxBytes(size_t prefetch_kbytes) {
  constexpr size_t kMinBytes = 1 << 20, kMaxBytes = 2147483135;  // librdkafka's range
  return std::clamp<size_t>(prefetch_kbytes * 1024 / 4, kMinBytes, kMaxBytes);
}

// Set-up (clients, subscription) and the consume-mask-produce loop. How
// records and offsets become durable is the delivery class's (delivery.h).
struct Pipeline::Impl {
  Impl(const Options& options, std::shared_ptr<const engine::Engine> eng)
      : ctx(options),
        opt(ctx.opt),
        engine(std::move(eng)),
        delivery(MakeDelivery(ctx)),
        findings(ctx.counters, ctx.audit) {
    ctx.delivery = delivery.get();
  }

  ~Impl() {
    StopTopicWatch();
    delivery.reset();  // joins the commit thread, frees the backlog
    ctx.kafka.reset();
    if (ctx.consumer) rd_kafka_destroy(ctx.consumer);
    if (ctx.producer) rd_kafka_destroy(ctx.producer);
    if (topic_client) rd_kafka_destroy(topic_client);
  }

  Context ctx;
  const Options& opt;
  std::shared_ptr<const engine::Engine> engine;
  std::unique_ptr<Delivery> delivery;
  size_t producer_batch_bytes = 0;  // the producer's batch.size (SizeLimits::BatchBytes when it was made)
  FindingReporter findings;

  // Source topic -> route (pattern routes are matched once per topic), with
  // the route's metric series. Keyed by the consumed message's topic handle
  // (no string per record); the name is checked too, as a handle freed and
  // reallocated could come back for another topic.
  struct CachedRoute {
    std::string topic;
    const engine::RouteRef* ref;
    RouteInstruments* metrics;
  };
  std::unordered_map<const rd_kafka_topic_t*, CachedRoute> route_of;
  ProtectionStats protection_stats;
  const engine::Engine* info_engine = nullptr;               // the engine maskproxy_policy_info describes
  std::set<std::pair<std::string, int32_t>> lag_partitions;  // partitions with a lag series
  // While consumption is paused: high watermarks asked of the broker
  // (SampleGauges), and which partition to ask next.
  std::map<std::pair<std::string, int32_t>, int64_t> queried_high;
  size_t next_lag_query = 0;
  // Assigned partitions librdkafka has no position for yet (none consumed
  // since the assignment): the group's committed offset, asked of the
  // broker once (SampleGauges); -1 when the group has none.
  std::map<std::pair<std::string, int32_t>, int64_t> committed_pos;
  Clock::time_point next_committed_query{};
  // SwapEngine(): the engine waiting for the next transaction boundary.
  std::mutex swap_mu;
  std::shared_ptr<const engine::Engine> pending_engine;  // guarded by swap_mu
  std::atomic<bool> swap_pending{false};
  // The engine before the last swap, kept until the next one (nothing
  // should point into it after the boundary; this is a safety margin).
  std::shared_ptr<const engine::Engine> retired_engine;
  // Partitions whose records have no route after a swap: rewound to the
  // first such record and paused (not consumed); resumed on the next swap.
  std::unordered_set<PartitionKey, PartitionKeyHash> parked;
  uint64_t not_consumed = 0;
  // One consumed record of a batch and what the engine made of it. The
  // slots are reused batch after batch (their buffers keep their capacity).
  struct Slot {
    MsgPtr m;
    CachedRoute* route = nullptr;
    std::vector<engine::HeaderView> header_views;
    engine::MaskedRecord rec;
    Status masked;
    bool has_headers = true;  // false: ViewHeaders found none (no need to look again)
    bool handed = false;      // handed to the delivery class
  };
  std::vector<Slot> slots = std::vector<Slot>(kMaxBatchRecords);
  MaskWorkers workers{std::max(1, opt.workers)};
  // Partitions whose later records in the batch are not processed (parked).
  std::vector<PartitionKey> skip;
  // Reused per record.
  std::vector<audit::Event> audit_events;  // the record's new drift sightings, for the audit topic
  std::string origin_buf;                  // "topic:partition:offset" of the record in hand

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* ctx = static_cast<Context*>(opaque);
    ctx->backpressure.Delivered(m->len + m->key_len);
    if (m->err) {
      ctx->counters.delivery_failed.Inc();
      // A failing batch fails every record in it: log at most once a second.
      std::lock_guard<std::mutex> lock(ctx->dr_log_mu);
      auto now = Clock::now();
      if (now - ctx->dr_logged_at >= std::chrono::seconds(1)) {
        log::Warn("delivery_failed", {{"topic", rd_kafka_topic_name(m->rkt)},
                                      {"error", rd_kafka_err2name(m->err)},
                                      {"detail", rd_kafka_err2str(m->err)},
                                      {"similar_suppressed", std::to_string(ctx->dr_suppressed)}});
        ctx->dr_logged_at = now;
        ctx->dr_suppressed = 0;
      } else {
        ++ctx->dr_suppressed;
      }
    }
    ctx->size_limits.NoteDeliverySize(m);
    ctx->delivery->OnDeliveryReport(m);
  }

  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* ctx = static_cast<Context*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
      // The exactly-once delivery replaces such a producer (the failing
      // transactional call tells it); nothing fenced this instance.
      if (rd_kafka_type(rk) == RD_KAFKA_PRODUCER && ctx->opt.mode == DeliveryMode::kExactlyOnce &&
          ProducerFatalIsRecoverable(orig)) {
        log::Warn("producer_fatal_recoverable", {{"error", rd_kafka_err2name(orig)}, {"detail", buf}});
        return;
      }
      ctx->SetFatal(
          Error(ErrorCode::kKafkaFatal, std::string(rd_kafka_name(rk)) + ": " + rd_kafka_err2name(orig) + ": " + buf));
      return;
    }
    // Transport errors and the like are retried by librdkafka; log them.
    log::Warn("kafka_error", {{"client", rd_kafka_name(rk)},
                              {"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
                              {"detail", reason}});
  }

  // The consumer's statistics (served by the main thread's polls): assigned
  // partitions librdkafka has not started for partition_start_watch_ms are
  // handed to StartOffsets, which starts them at the committed offset.
  static int OnStats(rd_kafka_t*, char* json, size_t len, void* opaque) {
    auto* ctx = static_cast<Context*>(opaque);
    auto parts = ParseFetchStates(std::string_view(json, len));
    if (!parts.ok()) {
      static std::atomic<bool> warned{false};
      if (!warned.exchange(true))
        log::Warn("librdkafka_stats_unread",
                  {{"error", std::string(ErrorCodeName(parts.error().code))},
                   {"detail", "librdkafka's statistics could not be read: the partition watch sees nothing"}});
      return 0;
    }
    const auto now = std::chrono::steady_clock::now();
    // A partition reported by the last snapshot starts only if this one
    // still shows it not fetching (and no record of it came in between).
    ctx->start_offsets.Confirm(NotFetching(*parts));
    // Paused (backpressure, the audit trail down): the waits go on, the
    // reports wait until consumption resumes.
    const bool paused = ctx->backpressure.paused() || ctx->audit.down();
    for (const auto& [topic, partition] : ctx->partition_watch.Observe(now, *parts, !paused)) {
      if (!ctx->start_offsets.NoteNotStarted(topic, partition)) continue;  // already waiting for its start
      const auto idle = ctx->partition_watch.Idle({topic, partition}, now);
      log::Warn("partition_not_started",
                {{"partition", topic + ":" + std::to_string(partition)},
                 {"waiting_ms", std::to_string(idle.count())},
                 {"detail",
                  "assigned but not fetched: librdkafka is waiting for an answer it will not get (librdkafka "
                  "#5586); maskproxy starts it at the group's committed offset"}});
      ctx->counters.not_started.Inc();
    }
    return 0;  // librdkafka frees the document
  }

  static void OnLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
    // librdkafka's own log lines carry no record content.
    if (level <= 4)
      log::Warn("librdkafka", {{"client", rd_kafka_name(rk)}, {"facility", fac}, {"message", buf}});
    else if (log::Enabled(log::Level::kDebug))
      log::Debug("librdkafka", {{"client", rd_kafka_name(rk)}, {"facility", fac}, {"message", buf}});
  }

  Status MakeClients() {
    char err[512];
    // Consumer.
    ConfPtr cc(rd_kafka_conf_new());
    for (const auto& [k, v] : opt.consumer_properties)
      if (Status s = SetConf(cc.get(), k, v, "source"); !s.ok()) return s;
    // Exactly-once commits offsets in the transaction; at-least-once stores
    // offsets after delivery and lets librdkafka commit the stored ones.
    const std::pair<const char*, std::string> consumer_fixed[] = {
        {"bootstrap.servers", opt.source_brokers},
        {"group.id", opt.group_id},
        {"enable.auto.commit", delivery->consumer_auto_commit()},
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
    // Where a partition without a position starts is decided by the main
    // loop, never by librdkafka alone (start_offsets.h): librdkafka only
    // reports the reset; the user's auto.offset.reset (default earliest)
    // applies when the group has no committed offset.
    auto policy = ParseStartPolicy(opt.consumer_properties.count("auto.offset.reset")
                                       ? opt.consumer_properties.at("auto.offset.reset")
                                       : std::string("earliest"));
    if (!policy.ok()) return policy.error();
    ctx.start_offsets = StartOffsets(policy.value());
    if (Status s = SetConf(cc.get(), "auto.offset.reset", "error", "source"); !s.ok()) return s;
    // Bounded memory, and no fetch stall: the prefetch is derived from the
    // in-flight bound (PrefetchKbytes), whatever the assignment: with the
    // high-level consumer librdkafka applies queued.max.messages.kbytes to
    // the one queue of all assigned partitions, and a consumer's
    // configuration cannot change after it is created (not on a
    // rebalance). librdkafka 2.0.2 stops fetching once that queue is full
    // and looks again only when its broker thread wakes up, after up to 1 s
    // (librdkafka #2879; fetch.error.backoff.ms and fetch.wait.max.ms do not
    // govern it; fetch.queue.backoff.ms arrived in 2.2.0). A queue drained
    // in less than that second leaves the instance idle until then, so the
    // prefetch is as large as the bound the user already sized for memory
    // (64 MB: a second of ~60,000 records of 1 KB) rather than one fetch.
    size_t prefetch_kbytes = PrefetchKbytes(opt.max_inflight_bytes);
    if (auto it = opt.consumer_properties.find("queued.max.messages.kbytes"); it != opt.consumer_properties.end()) {
      size_t v = 0;  // the user's prefetch: fetch.max.bytes follows it (librdkafka validates the value)
      const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
      if (ec == std::errc() && end == it->second.data() + it->second.size() && v > 0) prefetch_kbytes = v;
    }
    const std::pair<const char*, std::string> consumer_defaults[] = {
        {"client.id", "maskproxy-consumer"},
        {"queued.max.messages.kbytes", std::to_string(prefetch_kbytes)},
        {"fetch.max.bytes", std::to_string(FetchMaxBytes(prefetch_kbytes))},
    };
    for (const auto& [k, v] : consumer_defaults)
      if (!opt.consumer_properties.count(k))
        if (Status s = SetConf(cc.get(), k, v, "source"); !s.ok()) return s;
    // The partition watch reads the consumer's statistics.
    ctx.partition_watch = PartitionWatch(std::chrono::milliseconds(opt.partition_start_watch_ms));
    if (opt.partition_start_watch_ms > 0) {
      if (!opt.consumer_properties.count("statistics.interval.ms")) {
        const int every = std::clamp(opt.partition_start_watch_ms / 3, 100, 5000);
        if (Status s = SetConf(cc.get(), "statistics.interval.ms", std::to_string(every), "source"); !s.ok()) return s;
      } else if (opt.consumer_properties.at("statistics.interval.ms") == "0") {
        log::Warn("partition_watch_off",
                  {{"detail",
                    "source property statistics.interval.ms is 0: an assigned partition librdkafka never starts "
                    "is not noticed (librdkafka #5586)"}});
      }
      rd_kafka_conf_set_stats_cb(cc.get(), &Impl::OnStats);
    }
    rd_kafka_conf_set_opaque(cc.get(), &ctx);
    rd_kafka_conf_set_rebalance_cb(cc.get(), &OnRebalance);
    rd_kafka_conf_set_error_cb(cc.get(), &Impl::OnError);
    rd_kafka_conf_set_log_cb(cc.get(), &Impl::OnLog);
    ctx.consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc.get(), err, sizeof err);
    if (!ctx.consumer) return Error(ErrorCode::kKafkaInitFailed, std::string("consumer: ") + err);
    cc.release();  // owned by the consumer now
    rd_kafka_poll_set_consumer(ctx.consumer);

    ctx.recreate_producer = [this] { return RecreateProducer(); };
    if (Status s = NewTopicClient(); !s.ok()) return s;
    return NewProducer();
  }

  // The output topics live on the destination cluster: when it is not the
  // source's (at-least-once), a client of its own answers the topic checks
  // (a producer that never produces, with the destination's properties and
  // allow.auto.create.topics false, so that asking creates nothing). Else
  // the consumer asks. Fixed for the pipeline's life: the reload thread and
  // the watch use it while Run() runs.
  rd_kafka_t* topic_client = nullptr;  // owned; null: the consumer asks
  Status NewTopicClient() {
    if (opt.destination_brokers == opt.source_brokers) return Status::Ok();
    ConfPtr tc(rd_kafka_conf_new());
    for (const auto& [k, v] : opt.producer_properties)
      if (Status s = SetConf(tc.get(), k, v, "destination"); !s.ok()) return s;
    for (const auto& [k, v] :
         std::vector<std::pair<const char*, std::string>>{{"bootstrap.servers", opt.destination_brokers},
                                                          {"client.id", "maskproxy-topics"},
                                                          {"allow.auto.create.topics", "false"}})
      if (Status s = SetConf(tc.get(), k, v, "destination"); !s.ok()) return s;
    rd_kafka_conf_set_log_cb(tc.get(), &Impl::OnLog);
    char err[512];
    topic_client = rd_kafka_new(RD_KAFKA_PRODUCER, tc.get(), err, sizeof err);
    if (!topic_client) return Error(ErrorCode::kKafkaInitFailed, std::string("topic-check client: ") + err);
    tc.release();
    return Status::Ok();
  }

  // The producer, and the client seam over both handles.
  Status NewProducer() {
    ConfPtr pc(rd_kafka_conf_new());
    if (!opt.producer_properties.count("partitioner"))
      if (Status s = SetConf(pc.get(), "partitioner", "murmur2_random", "destination"); !s.ok()) return s;
    if (!opt.producer_properties.count("linger.ms"))
      if (Status s = SetConf(pc.get(), "linger.ms", delivery->default_linger_ms(), "destination"); !s.ok()) return s;
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
    ctx.size_limits.set_producer_limit(EffectiveProducerLimit(max_record_bytes, opt.producer_properties));
    producer_batch_bytes = ctx.size_limits.BatchBytes();
    if (!opt.producer_properties.count("batch.size"))
      if (Status s = SetConf(pc.get(), "batch.size", std::to_string(producer_batch_bytes), "destination"); !s.ok())
        return s;
    for (const auto& [k, v] : opt.producer_properties)
      if (Status s = SetConf(pc.get(), k, v, "destination"); !s.ok()) return s;
    std::vector<std::pair<const char*, std::string>> producer_fixed = {
        {"bootstrap.servers", opt.destination_brokers},
        {"enable.idempotence", "true"},
        {"acks", "all"},
    };
    delivery->FixedProducerProperties(&producer_fixed);
    for (const auto& [k, v] : producer_fixed)
      if (Status s = SetConf(pc.get(), k, v, "destination"); !s.ok()) return s;
    rd_kafka_conf_set_opaque(pc.get(), &ctx);
    rd_kafka_conf_set_dr_msg_cb(pc.get(), &Impl::OnDelivery);
    rd_kafka_conf_set_error_cb(pc.get(), &Impl::OnError);
    rd_kafka_conf_set_log_cb(pc.get(), &Impl::OnLog);
    char err[512];
    ctx.producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc.get(), err, sizeof err);
    if (!ctx.producer) return Error(ErrorCode::kKafkaInitFailed, std::string("producer: ") + err);
    pc.release();
    ctx.kafka = MakeRdKafkaClient(ctx.consumer, ctx.producer);
    if (opt.wrap_kafka_client) ctx.kafka = opt.wrap_kafka_client(std::move(ctx.kafka));
    return Status::Ok();
  }

  // Replaces a producer that failed fatally without being fenced (see
  // ExactlyOnce::RecoverProducer): what it still holds is purged (those
  // records belong to the transaction being given up, and are consumed
  // again), its delivery reports are served, then it is destroyed.
  Status RecreateProducer() {
    rd_kafka_purge(ctx.producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING);
    for (int i = 0; i < 50 && ctx.kafka->OutqLen() > 0; ++i) ctx.kafka->Poll(100);
    ctx.kafka.reset();
    rd_kafka_destroy(ctx.producer);
    ctx.producer = nullptr;
    return NewProducer();
  }

  // The route of a consumed record's topic (cached per topic).
  CachedRoute& RouteOf(const rd_kafka_message_t* m) {
    const char* name = rd_kafka_topic_name(m->rkt);
    auto [it, inserted] = route_of.try_emplace(m->rkt);
    if (inserted || it->second.topic != name) {
      const engine::RouteRef* ref = engine->FindRoute(name);
      it->second = CachedRoute{name, ref, ref ? &ctx.counters.ForRoute(*ref) : nullptr};
    }
    return it->second;
  }

  // The engine's part of a record (on a worker thread: reads the slot's
  // message, writes the slot only).
  void Mask(const engine::Engine& eng, Slot& s) {
    s.has_headers = true;
    if (!s.route->ref) return;
    const rd_kafka_message_t* m = s.m.get();
    const bool tombstone = m->payload == nullptr;
    auto has_headers = ViewHeaders(m, &s.header_views);
    if (!has_headers.ok()) {  // fail closed: a record whose headers cannot be read is a dead letter
      // ... with its headers as they came when librdkafka parsed them (a
      // name with a NUL byte the engine could not check): nothing is lost.
      rd_kafka_headers_t* parsed = nullptr;
      s.has_headers = rd_kafka_message_headers(m, &parsed) == RD_KAFKA_RESP_ERR_NO_ERROR && parsed != nullptr;
      s.masked = has_headers.error();
      return;
    }
    s.has_headers = *has_headers;
    engine::RecordView view{
        s.route->topic,
        m->key ? std::optional<std::string_view>(std::string_view(static_cast<const char*>(m->key), m->key_len))
               : std::nullopt,
        tombstone ? std::nullopt
                  : std::optional<std::string_view>(std::string_view(static_cast<const char*>(m->payload), m->len)),
        s.header_views};
    s.masked = eng.MaskRecord(*s.route->ref, view, &s.rec);
  }

  // Hands one masked consumed record to the delivery class for the
  // destination, or (fail closed) the raw record for the dead-letter topic.
  // (While a commit runs, exactly-once keeps it in its backlog.) The engine
  // ran before (Mask).
  Status Process(Slot& s) {
    const rd_kafka_message_t* m = s.m.get();
    const std::string& topic = s.route->topic;
    const engine::RouteRef* route = s.route->ref;
    if (!route) {
      if (retired_engine) return Park(m, topic);  // a route removed by a reload, still assigned (not consumed)
      return Error(ErrorCode::kInternal, "no route for subscribed topic " + topic);
    }
    // Counted when the record is durable (exactly-once: its transaction
    // committed), like everything the tally holds.
    Tally& tally = ctx.counters.tally;
    tally.Record();
    tally.Add(ctx.counters.consumed);
    ctx.audit.NoteRecord();
    RouteInstruments& ri = *s.route->metrics;

    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) ts = 0;

    SetOrigin(topic, m->partition, m->offset);
    const std::string& origin = origin_buf;
    const policy::Route& rt = *route->route;
    const std::string* dest = &rt.to;
    const bool tombstone = m->payload == nullptr;
    std::string_view value(tombstone ? "" : static_cast<const char*>(m->payload), tombstone ? 0 : m->len);

    // The engine decided every byte of the record (key, headers, value); any
    // failure sends the untouched record to the dead-letter topic.
    const Status& masked_ok = s.masked;
    engine::MaskedRecord& rec = s.rec;
    rd_kafka_headers_t* hdrs = nullptr;
    const void* key = m->key;
    size_t key_len = m->key ? m->key_len : 0;
    std::string_view out;          // the value to produce
    std::string_view dead_reason;  // why the record goes to the dead-letter topic
    if (masked_ok.ok()) {
      hdrs = rec.headers_changed ? NewHeaders(rec.headers) : NewHeaders(s.header_views);
      key = rec.key ? rec.key->data() : nullptr;
      key_len = rec.key ? rec.key->size() : 0;
      out = rec.value;
      if (!rec.findings.empty()) {
        // New schema-drift sightings are in the trail before the record is
        // produced (and before its transaction commits), or it is not.
        if (Status a = findings.Report(rec, *route, topic, m->partition, m->offset, &audit_events); !a.ok()) {
          rd_kafka_headers_destroy(hdrs);
          audit_events.clear();
          return a;
        }
      }
      if (!rt.key_refs.empty())
        rd_kafka_header_add(hdrs, kHeaderKeys, -1, rt.key_refs.data(), static_cast<ssize_t>(rt.key_refs.size()));
    } else {
      // Fail closed: the raw record goes to the dead-letter topic only.
      hdrs = CopyHeaders(m, s.has_headers);
      const Error& why = masked_ok.error();
      const std::string reason(ErrorCodeName(why.code));
      rd_kafka_header_add(hdrs, kHeaderDlqReason, -1, reason.data(), static_cast<ssize_t>(reason.size()));
      rd_kafka_header_add(hdrs, kHeaderDlqDetail, -1, why.message.data(), static_cast<ssize_t>(why.message.size()));
      dest = &rt.dead_letter;
      out = value;
      tally.Add(ctx.counters.DeadLettered(reason));
      dead_reason = ErrorCodeName(why.code);
      log::Warn("record_dead_lettered", {{"topic", topic},
                                         {"partition", std::to_string(m->partition)},
                                         {"offset", std::to_string(m->offset)},
                                         {"reason", reason},
                                         {"detail", why.message}});
    }
    rd_kafka_header_add(hdrs, kHeaderPolicy, -1, route->policy_label.data(),
                        static_cast<ssize_t>(route->policy_label.size()));
    rd_kafka_header_add(hdrs, kHeaderOrigin, -1, origin.data(), static_cast<ssize_t>(origin.size()));
    ctx.size_limits.FitToLimits(m, *route, origin, &dest, &key, &key_len, &out, &hdrs);
    if (dest == &rt.to) {  // not a masked record dead-lettered for its size
      tally.Add(ctx.counters.masked);
      ri.CountProduced(tally, rec);
    } else {
      const std::string_view reason = dead_reason.empty() ? std::string_view(kReasonTooLarge) : dead_reason;
      ri.CountDeadLetter(tally, reason);
      ctx.audit.NoteDeadLetter(rt.name, reason);
    }
    if (!opt.audit_topic.empty())
      if (Status a = SubmitAuditEvents(topic, m->partition, m->offset, origin, ts); !a.ok()) {
        rd_kafka_headers_destroy(hdrs);
        return a;
      }
    audit_events.clear();

    return delivery->Submit(Outgoing{dest, key, key_len, out, tombstone, hdrs, ts, topic, m->partition, m->offset});
  }

  void SetOrigin(const std::string& topic, int32_t partition, int64_t offset) {
    char buf[48];
    origin_buf.assign(topic);
    origin_buf += ':';
    origin_buf.append(buf, std::to_chars(buf, buf + sizeof buf, partition).ptr);
    origin_buf += ':';
    origin_buf.append(buf, std::to_chars(buf, buf + sizeof buf, offset).ptr);
  }

  // Consumes a batch into the slots: one poll that may wait, then what is
  // already fetched, without waiting, up to the batch bounds. Rebalance
  // callbacks run inside the polls: records held from a partition revoked
  // meanwhile are dropped (whoever owns it now starts from the committed
  // offset, which does not pass them; a partition assigned again starts
  // there too). Returns how many slots hold a record.
  size_t Collect() {
    size_t n = 0;
    size_t bytes = 0;
    ctx.revoked_in_poll.clear();
    ctx.rewound.clear();
    for (int timeout = 100; n < slots.size() && bytes < kMaxBatchBytes && !ctx.HasFatal(); timeout = 0) {
      MsgPtr m(ctx.kafka->ConsumerPoll(timeout));
      // A revocation inside the poll may also have aborted the open
      // transaction and rewound partitions this batch holds records of.
      if (!ctx.revoked_in_poll.empty() || !ctx.rewound.empty()) {
        n = DropHeld(n, ctx.revoked_in_poll);
        n = DropHeld(n, ctx.rewound);
        ctx.revoked_in_poll.clear();
        ctx.rewound.clear();
      }
      if (!m) break;
      if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
          ctx.SetFatal(Error(ErrorCode::kKafkaFatal, std::string("consumer: ") + rd_kafka_message_errstr(m.get())));
          break;
        }
        if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
          ctx.start_offsets.NoteReset(*m);
          continue;
        }
        log::Warn("consumer_error",
                  {{"error", rd_kafka_err2name(m->err)}, {"detail", rd_kafka_message_errstr(m.get())}});
        continue;
      }
      if (ctx.start_offsets.watching()) ctx.start_offsets.Seen(*m);
      bytes += m->len + m->key_len;
      slots[n++].m = std::move(m);
    }
    return n;
  }

  // Drops the held records of the partitions given (just revoked, or
  // rewound: fetched again after the seek); keeps the order of the others.
  // Returns the new count.
  size_t DropHeld(size_t n, const std::vector<PartitionKey>& parts) {
    if (parts.empty()) return n;
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i) {
      const rd_kafka_message_t* m = slots[i].m.get();
      const bool drop = std::any_of(parts.begin(), parts.end(), [&](const PartitionKey& k) {
        return k.partition == m->partition && k.topic == rd_kafka_topic_name(m->rkt);
      });
      if (drop) {
        slots[i].m.reset();
      } else if (kept != i) {
        std::swap(slots[kept++].m, slots[i].m);
      } else {
        ++kept;
      }
    }
    return kept;
  }

  bool Skipped(const rd_kafka_message_t* m) const {
    return std::any_of(skip.begin(), skip.end(), [&](const PartitionKey& k) {
      return k.partition == m->partition && k.topic == rd_kafka_topic_name(m->rkt);
    });
  }

  // The batch is cut after slot `from - 1`: every partition with a record
  // among the slots [from, n) is rewound to its first one there (the
  // consumer's position had passed them), so they are consumed again. A
  // parked partition is left where Park() put it. Before the delivery class
  // hears of the failure: a rewind it makes (to an earlier offset) wins.
  Status RewindRest(size_t from, size_t n) {
    ListPtr l(rd_kafka_topic_partition_list_new(8));
    for (size_t i = from; i < n; ++i) {
      const rd_kafka_message_t* m = slots[i].m.get();
      const char* t = rd_kafka_topic_name(m->rkt);
      if (!skip.empty() && Skipped(m)) continue;
      if (rd_kafka_topic_partition_list_find(l.get(), t, m->partition)) continue;
      rd_kafka_topic_partition_list_add(l.get(), t, m->partition)->offset = m->offset;
    }
    if (l->cnt == 0) return Status::Ok();
    return SeekTo(ctx, l.get(), "seek to the rest of a batch");
  }

  // Masks the batch (the engine calls in parallel on the workers), then
  // hands its records to the delivery class one by one, in the order
  // consumed, on this thread. Stops at the first record that could not be
  // handed over, or that made backpressure pause consumption: the rest of
  // the batch is rewound and consumed again.
  Status ProcessBatch(size_t n) {
    const Clock::time_point started = Clock::now();
    for (size_t i = 0; i < n; ++i) slots[i].route = &RouteOf(slots[i].m.get());
    const engine::Engine& eng = *engine;
    workers.Run(n, [&](size_t i) { Mask(eng, slots[i]); });
    skip.clear();
    Status result;
    size_t processed = 0;
    for (size_t i = 0; i < n; ++i) {
      Slot& sl = slots[i];
      if (!skip.empty() && Skipped(sl.m.get())) continue;
      const bool was_paused = ctx.backpressure.paused();
      Status s = Process(sl);
      if (s.ok()) {
        sl.handed = sl.route->ref != nullptr;
        ++processed;
        // Backpressure paused consumption at this record: the rest of the
        // batch waits too (as librdkafka drops what it had fetched for a
        // paused partition), consumed again after the resume.
        if (!was_paused && ctx.backpressure.paused() && i + 1 < n) {
          result = RewindRest(i + 1, n);
          break;
        }
        continue;
      }
      if (s.error().code == ErrorCode::kKafkaFatal || s.error().code == ErrorCode::kInternal) {
        result = s;
        break;
      }
      if (Status r = RewindRest(i + 1, n); !r.ok()) {
        result = r;
        break;
      }
      const rd_kafka_message_t* m = sl.m.get();
      if (s.error().code == ErrorCode::kAuditFailed) {
        // Not produced; nothing open commits; replayed once the trail
        // writes again (WhileAuditDown).
        result = delivery->OnAuditFailed(PartitionKey{sl.route->topic, m->partition}, m->offset);
      } else {
        result = HandleProduceRefused(m, s.error());
      }
      break;
    }
    // One clock read per batch: each record is counted with the batch's
    // mean time per record.
    if (processed > 0) {
      const double per_record = std::chrono::duration<double>(Clock::now() - started).count() / processed;
      for (size_t i = 0; i < n; ++i)
        if (slots[i].handed) slots[i].route->metrics->processing->Observe(per_record);
    }
    for (size_t i = 0; i < n; ++i) {
      Slot& sl = slots[i];
      sl.m.reset();
      sl.masked = Status::Ok();
      sl.handed = false;
      // A huge record's buffers are not kept for the next batch.
      if (sl.rec.value.capacity() > kKeepSlotBytes) std::string().swap(sl.rec.value);
      if (sl.rec.scratch.capacity() > kKeepSlotBytes) std::string().swap(sl.rec.scratch);
      if (sl.rec.key_buf.capacity() > kKeepSlotBytes) std::string().swap(sl.rec.key_buf);
    }
    return result;
  }

  // The audit events about the record topic:partition:offset (new drift
  // sightings, and events a recovered trail wrote late) to the audit topic,
  // just before the record: in its transaction (exactly-once).
  Status SubmitAuditEvents(const std::string& topic, int32_t partition, int64_t offset, const std::string& origin,
                           int64_t ts) {
    for (audit::Event& e : ctx.audit.TakeRecovered()) audit_events.push_back(std::move(e));
    for (const audit::Event& e : audit_events) {
      const std::string json = AuditGate::ToJson(e);
      rd_kafka_headers_t* h = rd_kafka_headers_new(1);
      rd_kafka_header_add(h, kHeaderOrigin, -1, origin.data(), static_cast<ssize_t>(origin.size()));
      if (Status s = delivery->SubmitAudit(
              Outgoing{&opt.audit_topic, nullptr, 0, json, false, h, ts, topic, partition, offset});
          !s.ok()) {
        audit_events.clear();
        return s;
      }
      ctx.audit.OnTopic(e);
    }
    audit_events.clear();
    return Status::Ok();
  }

  // Consumption while the audit trail cannot write: every assigned
  // partition paused (newly assigned ones too: the rebalance callback pauses
  // them); the consumer is still polled, for rebalance callbacks; a record
  // fetched before the pause is not processed, its partition rewound to it.
  // Once a second the gate retries the event that failed; when it is
  // written, consumption resumes (the loop's resume check).
  Status WhileAuditDown() {
    if (!ctx.backpressure.paused()) ctx.backpressure.SetPaused(*ctx.kafka, true);
    MsgPtr m(ctx.kafka->ConsumerPoll(100));
    if (m && m->err == RD_KAFKA_RESP_ERR__FATAL) {
      ctx.SetFatal(Error(ErrorCode::kKafkaFatal, std::string("consumer: ") + rd_kafka_message_errstr(m.get())));
      return Status::Ok();
    }
    if (m && m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) ctx.start_offsets.NoteReset(*m);
    if (m && !m->err) {
      ListPtr l(rd_kafka_topic_partition_list_new(1));
      rd_kafka_topic_partition_list_add(l.get(), rd_kafka_topic_name(m->rkt), m->partition)->offset = m->offset;
      if (Status s = SeekTo(ctx, l.get(), "seek while the audit trail is down"); !s.ok()) return s;
      ctx.kafka->Pause(l.get());
    }
    ctx.kafka->Poll(0);
    (void)ctx.audit.Retry(Clock::now());
    return Status::Ok();
  }

  // The gauges (in flight, paused, lag per assigned partition, the policies
  // in effect), sampled about once a second: no work on the record path.
  void SampleGauges() {
    if (info_engine != engine.get()) {
      Counters::SetPolicyInfo(*engine);
      info_engine = engine.get();
    }
    ctx.counters.inflight_records.Set(ctx.backpressure.inflight_records());
    ctx.counters.uncommitted_records.Set(delivery->UncommittedRecords());
    ctx.counters.inflight_bytes.Set(ctx.backpressure.inflight_bytes());
    rd_kafka_topic_partition_list_t* assignment = nullptr;
    if (rd_kafka_assignment(ctx.consumer, &assignment) != RD_KAFKA_RESP_ERR_NO_ERROR || !assignment) return;
    ListPtr owned(assignment);
    ctx.counters.assigned.GaugeWith({})->Set(assignment->cnt);
    const bool paused = ctx.backpressure.paused();
    ctx.counters.paused_partitions.Set(paused ? assignment->cnt : 0);
    (void)rd_kafka_position(ctx.consumer, assignment);
    // The cached watermarks come from fetch responses, and a paused
    // partition is not fetched: its lag would stand still while the topic
    // grows (found by review: 3 records of lag while the group was 2,085
    // behind, the audit trail down). While paused, a few partitions per
    // sample, in turn, are asked of the broker (100 ms each at most).
    if (!paused) {
      queried_high.clear();
    } else if (assignment->cnt > 0) {
      constexpr int kQueriesPerSample = 4;
      for (int k = 0; k < std::min(kQueriesPerSample, assignment->cnt); ++k) {
        const rd_kafka_topic_partition_t& p =
            assignment->elems[next_lag_query++ % static_cast<size_t>(assignment->cnt)];
        int64_t low = 0;
        int64_t high = 0;
        if (rd_kafka_query_watermark_offsets(ctx.consumer, p.topic, p.partition, &low, &high, 100) ==
                RD_KAFKA_RESP_ERR_NO_ERROR &&
            high >= 0)
          queried_high[{p.topic, p.partition}] = high;
      }
    }
    QueryCommittedPositions(*assignment);
    std::set<std::pair<std::string, int32_t>> now;
    for (int i = 0; i < assignment->cnt; ++i) {
      const rd_kafka_topic_partition_t& p = assignment->elems[i];
      int64_t low = 0;
      int64_t high = 0;
      // Cached from fetch responses: no request to the broker.
      if (rd_kafka_get_watermark_offsets(ctx.consumer, p.topic, p.partition, &low, &high) !=
              RD_KAFKA_RESP_ERR_NO_ERROR ||
          high < 0)
        continue;
      if (auto q = queried_high.find({p.topic, p.partition}); q != queried_high.end()) high = std::max(high, q->second);
      // Without a position yet, the group's committed offset (else, after a
      // restart, a quiet partition's lag was its whole log: found by review),
      // or the log's start when the group has none.
      int64_t position = p.offset;
      if (position < 0) {
        const auto c = committed_pos.find({p.topic, p.partition});
        if (c == committed_pos.end()) continue;  // not known yet: no series rather than a wrong one
        position = c->second >= 0 ? c->second : low;
      }
      const std::string partition = std::to_string(p.partition);
      ctx.counters.consumer_lag.GaugeWith({p.topic, partition})->Set(std::max<int64_t>(0, high - position));
      now.emplace(p.topic, p.partition);
    }
    for (const auto& [t, p] : lag_partitions)
      if (!now.count({t, p})) ctx.counters.consumer_lag.Remove({t, std::to_string(p)});
    lag_partitions = std::move(now);
  }

  // The committed offsets of the assigned partitions without a position
  // (SampleGauges): one request for all of them, at most 200 ms, not again
  // for a partition answered until it is assigned anew; after a failure, not
  // before 10 s, and with a partition unanswered, not before 5 s.
  void QueryCommittedPositions(const rd_kafka_topic_partition_list_t& assignment) {
    std::set<std::pair<std::string, int32_t>> unpositioned;
    for (int i = 0; i < assignment.cnt; ++i)
      if (assignment.elems[i].offset < 0)
        unpositioned.emplace(assignment.elems[i].topic, assignment.elems[i].partition);
    std::erase_if(committed_pos, [&](const auto& e) { return !unpositioned.count(e.first); });
    ListPtr ask(rd_kafka_topic_partition_list_new(static_cast<int>(unpositioned.size())));
    for (const auto& [t, p] : unpositioned)
      if (!committed_pos.count({t, p})) rd_kafka_topic_partition_list_add(ask.get(), t.c_str(), p);
    const auto t0 = Clock::now();
    if (ask->cnt == 0 || t0 < next_committed_query) return;
    constexpr int kTimeoutMs = 200;
    if (rd_kafka_committed(ctx.consumer, ask.get(), kTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      next_committed_query = t0 + std::chrono::seconds(10);
      return;
    }
    bool unanswered = false;
    for (int i = 0; i < ask->cnt; ++i) {
      const rd_kafka_topic_partition_t& e = ask->elems[i];
      if (e.err == RD_KAFKA_RESP_ERR_NO_ERROR)
        committed_pos[{e.topic, e.partition}] = e.offset >= 0 ? e.offset : -1;
      else
        unanswered = true;  // e.g. another instance's transaction still open on it
    }
    // (Not every second: each ask may hold the main thread up to 200 ms.)
    if (unanswered) next_committed_query = t0 + std::chrono::seconds(5);
  }

  // Whether topic:partition is in the consumer's assignment now.
  bool Assigned(const std::string& topic, int32_t partition) {
    rd_kafka_topic_partition_list_t* assignment = nullptr;
    if (ctx.kafka->Assignment(&assignment) != RD_KAFKA_RESP_ERR_NO_ERROR || !assignment) return true;  // unknown
    ListPtr owned(assignment);
    return rd_kafka_topic_partition_list_find(assignment, topic.c_str(), partition) != nullptr;
  }

  // A record of a source whose route a reload removed (its partition is
  // still assigned until the new subscription's rebalance revokes it): not
  // consumed. Its partition is rewound to it and paused, so nothing after
  // it is consumed either and no offset past it is committed; a later
  // engine that routes the topic again resumes it (ApplySwap).
  Status Park(const rd_kafka_message_t* m, const std::string& topic) {
    ++not_consumed;
    // Every time (a resume by backpressure fetches it again): the position
    // must never pass a record that was not consumed.
    const bool first = parked.insert(PartitionKey{topic, m->partition}).second;
    skip.push_back(PartitionKey{topic, m->partition});  // the rest of its batch is not processed
    ListPtr l(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(l.get(), topic.c_str(), m->partition)->offset = m->offset;
    ErrorPtr se(ctx.kafka->Seek(l.get(), kCallTimeoutMs));
    if (se) {
      // The rebalance of the new subscription may have taken the partition
      // already (lost, not revoked: found in a CI rehearsal, where the
      // replay of an aborted transaction brought its records here): not
      // ours, nothing to park; its record was not consumed and its offset
      // not committed, so nothing is lost.
      // (Also when the group took every partition, lost, in this turn: the
      // assignment may not say so yet; found in a later rehearsal, a seek
      // failed on a partition a reload's rebalance had just lost.)
      const bool revoked = std::find(ctx.revoked_in_poll.begin(), ctx.revoked_in_poll.end(),
                                     PartitionKey{topic, m->partition}) != ctx.revoked_in_poll.end();
      if (revoked || !ctx.health.joined.load() || !Assigned(topic, m->partition)) {
        parked.erase(PartitionKey{topic, m->partition});
        log::Info("partition_not_consumed", {{"topic", topic},
                                             {"partition", std::to_string(m->partition)},
                                             {"offset", std::to_string(m->offset)},
                                             {"detail", "no route after a policy reload; no longer assigned"}});
        return Status::Ok();
      }
      return Error(ErrorCode::kKafkaFatal,
                   "seek of a partition without a route failed: " + topic + ": " + rd_kafka_error_string(se.get()));
    }
    ctx.kafka->Pause(l.get());
    if (!first) return Status::Ok();
    log::Warn("partition_not_consumed", {{"topic", topic},
                                         {"partition", std::to_string(m->partition)},
                                         {"offset", std::to_string(m->offset)},
                                         {"detail", "no route after a policy reload; paused until revoked"}});
    return Status::Ok();
  }

  // The policies of an engine, "name@version#hash,..." (for the log).
  static std::string Labels(const engine::Engine& e) {
    std::set<std::string> labels;
    for (const auto& r : e.routes()) labels.insert(r.policy_label);
    std::string out;
    for (const auto& l : labels) out += (out.empty() ? "" : ",") + l;
    return out;
  }

  // Takes the engine SwapEngine() left, at a transaction boundary.
  Status ApplySwap() {
    std::shared_ptr<const engine::Engine> next;
    {
      std::lock_guard<std::mutex> lock(swap_mu);
      next = std::move(pending_engine);
      pending_engine.reset();
      swap_pending.store(false);
    }
    if (!next) return Status::Ok();
    if (Status s = delivery->ReachBoundary(); !s.ok()) return s;
    const std::set<std::string> old_outputs = OutputTopics();
    const std::vector<std::string> old_sources = engine->SourceTopics();
    const std::string old_labels = Labels(*engine), new_labels = Labels(*next);
    retired_engine = std::move(engine);
    engine = std::move(next);
    route_of.clear();
    // Parked partitions go on (a topic routed again is consumed from where
    // it stopped; one still without a route parks again).
    if (!parked.empty()) {
      ListPtr l(rd_kafka_topic_partition_list_new(static_cast<int>(parked.size())));
      for (const auto& k : parked) rd_kafka_topic_partition_list_add(l.get(), k.topic.c_str(), k.partition);
      if (!ctx.backpressure.paused()) ctx.kafka->Resume(l.get());
      parked.clear();
    }
    std::set<std::string> new_outputs = OutputTopics();
    std::set<std::string> added_outputs;
    for (const auto& t : new_outputs)
      if (!old_outputs.count(t)) added_outputs.insert(t);
    SetWatchedTopics(new_outputs, NamedSources());
    CheckNewSources(old_sources);
    if (!added_outputs.empty()) {
      (void)CheckOutputTopics(added_outputs, /*log_errors=*/true, 10000);
      ctx.size_limits.ReadTopicLimits(opt, added_outputs, &Impl::OnLog);
      // At the boundary nothing is open: a producer sized for the new
      // topics replaces this one (found by a re-review: the reload answered
      // "swapped", then the instance stopped).
      if (Status s = FitProducerToLimits(/*can_replace=*/true, "a reload added it"); !s.ok()) return s;
    }
    log::Info("policy_swapped", {{"old", old_labels}, {"new", new_labels}});
    if (engine->SourceTopics() != old_sources) return Subscribe();
    return Status::Ok();
  }

  void LogStats() {
    log::Info("stats",
              {{"consumed", std::to_string(ctx.counters.consumed.Value())},
               {"masked", std::to_string(ctx.counters.masked.Value())},
               {"dead_lettered", std::to_string(metrics::Global().Total("maskproxy_records_dead_lettered_total"))},
               {"txn_committed", std::to_string(ctx.counters.committed.Value())},
               {"txn_aborted", std::to_string(ctx.counters.aborted.Value())},
               {"replayed", std::to_string(ctx.counters.replayed.Value())},
               {"inflight_records", std::to_string(ctx.backpressure.inflight_records())},
               {"inflight_bytes", std::to_string(ctx.backpressure.inflight_bytes())},
               {"paused", ctx.backpressure.paused() ? "true" : "false"},
               {"pauses", std::to_string(ctx.counters.pauses.Value())},
               {"pii_scanned", std::to_string(ctx.counters.pii_scanned.Value())},
               {"pii_unlisted", std::to_string(ctx.counters.pii_unlisted.Value())},
               {"too_large_for_topic", std::to_string(ctx.counters.DeadLettered(kReasonTooLarge).Value())},
               {"reference_only", std::to_string(ctx.counters.reference_only.Value())},
               {"size_refusals", std::to_string(ctx.counters.size_refused.Value())}});
  }

  void LogProtectionStats(Clock::time_point since) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
    protection_stats.Log(*engine, ctx.counters, ms);
  }

  // A produce call failed for the record `m` (not a delivery report: the
  // client refused it). Nothing of it reached Kafka; arrange for it and
  // everything after it to be processed again.
  Status HandleProduceRefused(const rd_kafka_message_t* m, const Error& why) {
    log::Warn("produce_refused", {{"error", why.message}});
    return delivery->OnProduceRefused(PartitionKey{rd_kafka_topic_name(m->rkt), m->partition}, m->offset);
  }

  std::set<std::string> DeadLetterTopics() const {
    std::set<std::string> out;
    for (const auto& r : engine->routes()) out.insert(r.route->dead_letter);
    return out;
  }

  // After the output topics' limits were read: a dead-letter topic too small
  // for a reference is an error; batches larger than the smallest topic
  // takes need a new producer (`can_replace`: at start, before any
  // transaction, or at a swap's boundary, where nothing is open; else an
  // error, and the restart sizes them).
  Status FitProducerToLimits(bool can_replace, const char* when) {
    if (std::vector<std::string> small = ctx.size_limits.DeadLettersTooSmall(DeadLetterTopics()); !small.empty())
      return Error(ErrorCode::kConfigInvalid,
                   "dead-letter topic '" + small.front() + "' takes records of at most " +
                       std::to_string(ctx.size_limits.LimitOf(small.front())) +
                       " bytes (max.message.bytes): below the " + std::to_string(SizeLimits::kMinDeadLetterLimit) +
                       " bytes a reference dead letter may need, so a record too large for its topics would stop "
                       "the instance; raise it");
    if (opt.producer_properties.count("batch.size") || ctx.size_limits.BatchBytes() >= producer_batch_bytes)
      return Status::Ok();
    if (!can_replace)
      return Error(ErrorCode::kKafkaFatal, std::string("an output topic's max.message.bytes fell below the producer's "
                                                       "batch size (") +
                                               when + "): restart to size batches for it (" +
                                               std::to_string(ctx.size_limits.BatchBytes()) + " bytes)");
    log::Info("producer_batch_size", {{"batch_size", std::to_string(ctx.size_limits.BatchBytes())},
                                      {"detail", "the smallest output topic's max.message.bytes"}});
    // (At-least-once: what is in flight is delivered first, not purged.)
    (void)rd_kafka_flush(ctx.producer, 10000);
    if (Status s = RecreateProducer(); !s.ok()) return s;
    return delivery->Start();
  }

  std::set<std::string> OutputTopics() const {
    std::set<std::string> outputs;
    for (const auto& r : engine->routes()) {
      outputs.insert(r.route->to);
      outputs.insert(r.route->dead_letter);
    }
    if (!opt.audit_topic.empty()) outputs.insert(opt.audit_topic);
    return outputs;
  }

  // Why an output topic cannot take records: the broker's error for it
  // (UNKNOWN_TOPIC_OR_PART: it does not exist), or, `unanswered`, the
  // metadata request's own error (no broker answered: _TRANSPORT,
  // _TIMED_OUT, ...).
  struct TopicProblem {
    rd_kafka_resp_err_t err;
    bool unanswered;
  };
  // Which output topics the broker does not have (or cannot serve). At
  // start (`log_errors`) each is logged clearly; then the watch thread
  // repeats the check for readiness. Not fatal: records wait (nothing is
  // committed, nothing is lost) and flow once the topic is created. Topics
  // are never auto-created (the asker's allow.auto.create.topics is false).
  // The destination cluster is asked (topic_client). Once a request goes
  // unanswered the rest are not asked (each
  // would wait its timeout too): they are unanswered as well. Thread-safe.
  std::map<std::string, TopicProblem> CheckOutputTopics(const std::set<std::string>& topics, bool log_errors,
                                                        int timeout_ms) const {
    std::map<std::string, TopicProblem> problems;
    rd_kafka_resp_err_t unanswered = RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_t* asker = topic_client ? topic_client : ctx.consumer;
    for (const auto& t : topics) {
      if (unanswered) {
        problems[t] = {unanswered, true};
        continue;
      }
      const TopicAnswer a = AskTopic(asker, t, timeout_ms);
      if (a.request) {
        if (log_errors) log::Warn("topic_check_failed", {{"topic", t}, {"error", rd_kafka_err2name(a.request)}});
        problems[t] = {a.request, true};  // not known to exist: not ready
        unanswered = a.request;
      } else if (a.topic) {
        if (log_errors)
          log::Error("output_topic_unavailable",
                     {{"topic", t},
                      {"error", rd_kafka_err2name(a.topic)},
                      {"detail", "records for it wait, uncommitted, until the topic exists and is writable"}});
        problems[t] = {a.topic, false};
      }
    }
    return problems;
  }
  // One metadata request for one topic (never creating it): the request's
  // own error (no broker answered), else the broker's error for the topic
  // (NO_ERROR: it exists and can be served).
  struct TopicAnswer {
    rd_kafka_resp_err_t request = RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_resp_err_t topic = RD_KAFKA_RESP_ERR_NO_ERROR;
  };
  static TopicAnswer AskTopic(rd_kafka_t* asker, const std::string& t, int timeout_ms) {
    TopicAnswer a;
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(asker, t.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    a.request = rd_kafka_metadata(asker, 0, rkt, &md, timeout_ms);
    if (!a.request && md->topic_cnt == 1) a.topic = md->topics[0].err;
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return a;
  }
  // Readiness from a check of the output topics: the topics a broker said
  // are missing, and whether a request went unanswered (then the topics
  // not asked are not called missing: the brokers are unreachable).
  // `running`: a topic newly missing is logged (the start's check logs its
  // own).
  void SetTopicHealth(const std::map<std::string, TopicProblem>& problems, bool running) {
    std::vector<std::string> missing;
    std::string unreachable;
    for (const auto& [t, p] : problems) {
      if (p.unanswered)
        unreachable = rd_kafka_err2name(p.err);
      else
        missing.push_back(t);
    }
    std::string was_unreachable;
    std::vector<std::string> was_missing_topics;
    bool was_missing;
    {
      std::lock_guard<std::mutex> lock(ctx.health.mu);
      was_unreachable = ctx.health.brokers_unreachable;
      was_missing = !ctx.health.missing_topics.empty();
      was_missing_topics = ctx.health.missing_topics;
      ctx.health.missing_topics = missing;
      ctx.health.brokers_unreachable = unreachable;
    }
    if (was_unreachable.empty() && !unreachable.empty())
      log::Warn("brokers_unreachable",
                {{"error", unreachable}, {"detail", "no broker answered the output-topic check; not ready"}});
    if (!was_unreachable.empty() && unreachable.empty()) log::Info("brokers_reachable");
    // A topic gone while running says so when readiness does (found by
    // review: only the commit's retries, 20 s later, told the log).
    for (const std::string& t : missing)
      if (running && std::find(was_missing_topics.begin(), was_missing_topics.end(), t) == was_missing_topics.end())
        log::Error("output_topic_missing",
                   {{"topic", t}, {"detail", "the destination cluster does not have it; not ready, records wait"}});
    if ((was_missing || !was_unreachable.empty()) && missing.empty() && unreachable.empty())
      log::Info("output_topics_available");
  }

  // The engine's named source topics (a pattern, "^...", matches whatever
  // exists: nothing to check).
  std::set<std::string> NamedSources() const {
    std::set<std::string> named;
    for (auto& t : engine->SourceTopics())
      if (!t.starts_with('^')) named.insert(std::move(t));
    return named;
  }

  // Which of the source topics the source cluster says it does not have
  // (or will not serve: its error for the topic), asked through the
  // consumer. A request no broker answered changes nothing (`*answered`
  // false): the consumer's own state says the rest (consumer_not_joined).
  // At start and for a topic a swap adds (`log_errors`) each is logged.
  std::vector<std::string> CheckSourceTopics(const std::set<std::string>& topics, bool log_errors, int timeout_ms,
                                             bool* answered) const {
    std::vector<std::string> missing;
    *answered = true;
    for (const auto& t : topics) {
      const TopicAnswer a = AskTopic(ctx.consumer, t, timeout_ms);
      if (a.request) {
        *answered = false;
        break;  // the others would wait their timeout too
      }
      if (a.topic) {
        if (log_errors)
          log::Error("source_topic_unavailable",
                     {{"topic", t},
                      {"error", rd_kafka_err2name(a.topic)},
                      {"detail", "nothing of its route is consumed until the topic exists and can be read"}});
        missing.push_back(t);
      }
    }
    return missing;
  }
  void SetSourceHealth(std::vector<std::string> missing) {
    const bool none = missing.empty();
    bool was_missing;
    {
      std::lock_guard<std::mutex> lock(ctx.health.mu);
      was_missing = !ctx.health.missing_sources.empty();
      ctx.health.missing_sources = std::move(missing);
    }
    if (was_missing && none) log::Info("source_topics_available");
  }
  // After a swap: the source topics it added are checked (and logged) now;
  // the readiness list follows the new sources.
  void CheckNewSources(const std::vector<std::string>& old_sources) {
    std::set<std::string> added;
    for (const auto& t : NamedSources())
      if (std::find(old_sources.begin(), old_sources.end(), t) == old_sources.end()) added.insert(t);
    bool answered = true;
    std::vector<std::string> missing = CheckSourceTopics(added, true, 10000, &answered);
    const std::set<std::string> now = NamedSources();
    {
      std::lock_guard<std::mutex> lock(ctx.health.mu);
      for (const auto& t : ctx.health.missing_sources)  // those still routed
        if (now.count(t) && std::find(missing.begin(), missing.end(), t) == missing.end()) missing.push_back(t);
    }
    std::sort(missing.begin(), missing.end());
    SetSourceHealth(std::move(missing));
  }

  // The topic watch for readiness: every 5 s, off the record path. It
  // checks `watched` and `watched_sources` (guarded by watch_mu), not the
  // engine: whoever changes the engine calls SetWatchedTopics.
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool watch_stop = false;
  std::set<std::string> watched;
  std::set<std::string> watched_sources;
  std::thread watch;

  void SetWatchedTopics(std::set<std::string> outputs, std::set<std::string> sources) {
    std::lock_guard<std::mutex> lock(watch_mu);
    watched = std::move(outputs);
    watched_sources = std::move(sources);
  }

  void StartTopicWatch() {
    watch = std::thread([this] {
      std::unique_lock<std::mutex> lock(watch_mu);
      while (!watch_cv.wait_for(lock, std::chrono::seconds(5), [this] { return watch_stop; })) {
        std::set<std::string> topics = watched;
        std::set<std::string> sources = watched_sources;
        lock.unlock();
        SetTopicHealth(CheckOutputTopics(topics, false, 5000), /*running=*/true);
        bool answered = true;
        std::vector<std::string> missing = CheckSourceTopics(sources, false, 5000, &answered);
        if (answered) SetSourceHealth(std::move(missing));
        lock.lock();
      }
    });
  }

  void StopTopicWatch() {
    {
      std::lock_guard<std::mutex> lock(watch_mu);
      watch_stop = true;
    }
    watch_cv.notify_all();
    if (watch.joinable()) watch.join();
  }

  Status Start() {
    if (Status s = delivery->Start(); !s.ok()) return s;
    ctx.health.transactions_ready.store(true);
    SetWatchedTopics(OutputTopics(), NamedSources());
    const auto output_problems = CheckOutputTopics(OutputTopics(), true, 10000);
    SetTopicHealth(output_problems, /*running=*/false);
    // The sources too, unless no broker answered that check (asking would
    // only wait again; the watch asks in 5 s).
    bool unanswered = false;
    for (const auto& [t, p] : output_problems) unanswered = unanswered || p.unanswered;
    if (!unanswered) {
      bool answered = true;
      std::vector<std::string> missing_sources = CheckSourceTopics(NamedSources(), true, 10000, &answered);
      if (answered) SetSourceHealth(std::move(missing_sources));
    }
    ctx.size_limits.ReadTopicLimits(opt, OutputTopics(), &Impl::OnLog);
    if (Status s = FitProducerToLimits(/*can_replace=*/true, "start"); !s.ok()) return s;
    return Subscribe();
  }

  // Subscribes to the engine's sources (topics and patterns); called again
  // after a swap that changed them (the group rebalances: partitions of a
  // removed source are revoked, those of a new one assigned).
  Status Subscribe() {
    std::vector<std::string> topics = engine->SourceTopics();
    ListPtr subs(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
    for (const auto& t : topics) rd_kafka_topic_partition_list_add(subs.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    if (rd_kafka_resp_err_t err = rd_kafka_subscribe(ctx.consumer, subs.get()); err)
      return Error(ErrorCode::kKafkaSubscribeFailed, rd_kafka_err2str(err));
    log::Info("subscribed", {{"group", opt.group_id},
                             {"topics", std::to_string(topics.size())},
                             {"mode", delivery->name()},
                             {"workers", std::to_string(workers.size())}});
    SampleGauges();
    return Status::Ok();
  }

  void NoteStopped(const Status& s) {
    if (s.ok()) return;
    std::lock_guard<std::mutex> lock(ctx.health.mu);
    ctx.health.stopped_on = s.error().message;
  }

  Health GetHealth() {
    Health h;
    h.joined_group = ctx.health.joined.load();
    h.transactions_ready = ctx.health.transactions_ready.load();
    {
      std::lock_guard<std::mutex> lock(ctx.health.mu);
      h.missing_topics = ctx.health.missing_topics;
      h.missing_sources = ctx.health.missing_sources;
      h.brokers_unreachable = ctx.health.brokers_unreachable;
      if (!ctx.health.stopped_on.empty()) {
        h.fatal = true;
        h.fatal_reason = ctx.health.stopped_on;
      }
    }
    if (!h.fatal && ctx.HasFatal()) {
      h.fatal = true;
      h.fatal_reason = ctx.Fatal().error().message;
    }
    h.audit_ok = !ctx.audit.down() && !ctx.audit.sink_failing();
    if (!h.audit_ok) h.audit_error = ctx.audit.down_reason();
    if (!h.audit_ok && h.audit_error.empty())
      h.audit_error = "audit_failed: the audit trail could not write its last entry";
    return h;
  }

  Status Run(const std::atomic<bool>& stop) {
    ctx.stop_flag = &stop;
    if (Status s = Start(); !s.ok()) {
      // Stopped while the start waited for the brokers: nothing is open,
      // nothing to commit; a clean stop, not a fatal error.
      if (ctx.start_interrupted) return Status::Ok();
      NoteStopped(s);
      return s;
    }
    StartTopicWatch();
    Clock::time_point last_stats = Clock::now();
    Clock::time_point last_sample = last_stats;
    Clock::time_point last_limits_read = last_stats;
    Status result;
    while (!stop.load() && !ctx.HasFatal()) {
      if (ctx.backoff.pending) {
        // After an abort or a failed delivery, wait once before replaying
        // (see Backoff).
        ctx.backoff.pending = false;
        std::this_thread::sleep_for(std::chrono::milliseconds(ctx.backoff.ms));
      }
      ctx.audit.Observe();
      if (ctx.audit.down()) {
        if (Status s = WhileAuditDown(); !s.ok()) {
          result = s;
          break;
        }
        if (ctx.audit.down()) {
          if (Clock::now() - last_sample >= std::chrono::seconds(1)) {
            SampleGauges();
            last_sample = Clock::now();
          }
          continue;
        }
      }
      if (ctx.start_offsets.pending())
        if (Status s = ctx.start_offsets.Resolve(ctx, Clock::now()); !s.ok()) {
          result = s;
          break;
        }
      // Not while a stalled commit holds a full backlog: the swap's boundary
      // would wait for it, and the loop would stand still again (found by a
      // re-review); it applies once the commit returns.
      if (swap_pending.load() && !delivery->Saturated()) {
        if (Status s = ApplySwap(); !s.ok()) {
          result = stop.load() ? delivery->OnFailureWhileStopping(s) : s;
          break;
        }
      }
      if (size_t n = delivery->Saturated() ? 0 : Collect(); n > 0) {
        if (ctx.HasFatal()) break;
        // A swap asked for while the poll waited applies to this batch: a
        // record produced after SwapEngine() returned (after POST /reload
        // answered) is masked by the new engine, never by the old one.
        if (swap_pending.load()) {
          ctx.rewound.clear();
          if (Status s = ApplySwap(); !s.ok()) {
            for (size_t i = 0; i < n; ++i) slots[i].m.reset();
            result = stop.load() ? delivery->OnFailureWhileStopping(s) : s;
            break;
          }
          // The swap's boundary commit may have aborted and rewound
          // partitions this batch holds records of: they come again.
          n = DropHeld(n, ctx.rewound);
          ctx.rewound.clear();
          if (n == 0) continue;
        }
        if (Status s = ProcessBatch(n); !s.ok()) {
          result = s;
          break;
        }
        // The trail failed on a record of the batch: nothing commits until
        // it writes again (the next turns wait in WhileAuditDown).
        if (ctx.audit.down()) continue;
      }
      ctx.kafka->Poll(0);
      if (ctx.backpressure.paused() && !delivery->ReplayPending() && ctx.backpressure.UnderLowWater() &&
          !ctx.audit.down())
        ctx.backpressure.SetPaused(*ctx.kafka, false);
      if (Status s = delivery->MaybeCommit(); !s.ok()) {
        result = stop.load() ? delivery->OnFailureWhileStopping(s) : s;
        break;
      }
      if (Clock::now() - last_sample >= std::chrono::seconds(1)) {
        SampleGauges();
        last_sample = Clock::now();
      }
      // A size refusal: the output topics' limits may have been lowered
      // under the running proxy (found by review: from then on every
      // transaction aborted): read again, at most every 10 s.
      if (Clock::now() - last_limits_read >= std::chrono::seconds(10) && ctx.size_limits.TakeStale()) {
        ctx.size_limits.ReadTopicLimits(opt, OutputTopics(), &Impl::OnLog);
        last_limits_read = Clock::now();
        if (Status s = FitProducerToLimits(/*can_replace=*/false, "a record was refused for its size"); !s.ok()) {
          result = s;
          break;
        }
      }
      if (Clock::now() - last_stats >= std::chrono::milliseconds(opt.stats_interval_ms)) {
        LogStats();
        LogProtectionStats(last_stats);
        last_stats = Clock::now();
      }
    }
    if (result.ok() && ctx.HasFatal()) result = ctx.Fatal();
    if (result.ok()) {
      log::Info("shutting_down", {{"open_transaction_records", std::to_string(delivery->OpenRecords())},
                                  {"inflight_records", std::to_string(ctx.backpressure.inflight_records())}});
      result = delivery->Drain();
      if (!result.ok()) {  // e.g. fenced during the final commit
        ctx.stopping_on_error = true;
        if (opt.on_error_stop) opt.on_error_stop(result);
      }
    } else {
      ctx.stopping_on_error = true;
      if (opt.on_error_stop) opt.on_error_stop(result);
      delivery->Abandon();
    }
    StopTopicWatch();
    NoteStopped(result);
    // Leave the group. The rebalance callback finishes what is open
    // (commits stored offsets in at-least-once mode). Unsubscribed first: a
    // subscription a reload changed just before the stop, its rebalance
    // still under way, could outlive the close, and librdkafka 2.0.2 then
    // aborted in rd_kafka_destroy (rd_kafka_cgrp_destroy_final: found by a
    // re-review, exit 134 after a SIGTERM right behind such reloads).
    (void)rd_kafka_unsubscribe(ctx.consumer);
    rd_kafka_consumer_close(ctx.consumer);
    delivery->AfterClose();
    SampleGauges();
    LogStats();
    LogProtectionStats(last_stats);
    return result;
  }
};

Pipeline::Pipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pipeline::~Pipeline() = default;

Result<std::unique_ptr<Pipeline>> Pipeline::Create(const Options& options,
                                                   std::shared_ptr<const engine::Engine> engine) {
  if (options.source_brokers.empty()) return Error(ErrorCode::kConfigInvalid, "source brokers are not set");
  const bool eos = options.mode == DeliveryMode::kExactlyOnce;
  if (eos && options.destination_brokers != options.source_brokers)
    return Error(ErrorCode::kConfigInvalid,
                 "exactly-once delivery needs source and destination on the same Kafka cluster "
                 "(consumed offsets are committed inside the destination transaction); "
                 "use delivery.mode at_least_once for another cluster");
  if (options.destination_brokers.empty()) return Error(ErrorCode::kConfigInvalid, "destination brokers are not set");
  if (options.group_id.empty()) return Error(ErrorCode::kConfigInvalid, "consumer group id is not set");
  if (eos && options.transactional_id.empty()) return Error(ErrorCode::kConfigInvalid, "transactional id is not set");
  if (Status s = CheckClientProperties(options.consumer_properties, options.producer_properties); !s.ok())
    return s.error();
  auto impl = std::make_unique<Impl>(options, std::move(engine));
  if (Status s = impl->MakeClients(); !s.ok()) return s.error();
  return std::unique_ptr<Pipeline>(new Pipeline(std::move(impl)));
}

Status Pipeline::Run(const std::atomic<bool>& stop) {
  return impl_->Run(stop);
}

void Pipeline::SwapEngine(std::shared_ptr<const engine::Engine> engine) {
  if (!engine) return;
  std::lock_guard<std::mutex> lock(impl_->swap_mu);
  impl_->pending_engine = std::move(engine);
  impl_->swap_pending.store(true);
}

Health Pipeline::GetHealth() const {
  return impl_->GetHealth();
}

std::map<std::string, std::string> Pipeline::UnavailableTopics(const std::set<std::string>& topics,
                                                               int timeout_ms) const {
  std::map<std::string, std::string> out;
  for (const auto& [t, p] : impl_->CheckOutputTopics(topics, /*log_errors=*/false, timeout_ms))
    out[t] = p.unanswered ? std::string("no broker answered (") + rd_kafka_err2name(p.err) + ")"
                          : std::string(rd_kafka_err2name(p.err));
  return out;
}

}  // namespace maskproxy::pipeline
