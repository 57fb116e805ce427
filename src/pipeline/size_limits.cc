#include "pipeline/size_limits.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "codec/json.h"
#include "common/log.h"
#include "pipeline/headers.h"
#include "pipeline/kafka_util.h"

namespace maskproxy::pipeline {
namespace {

// Record size limits. The producer's message.max.bytes is derived from
// limits.max_record_bytes plus room for the key, headers and framing; each
// record is checked, before it is produced, against the smaller of that and
// its topic's max.message.bytes, with a conservative estimate of how the
// broker counts it in a batch (batch header, record framing, header framing).
constexpr size_t kRecordHeadroom = 64 << 10;  // key, headers, framing above max_record_bytes
constexpr size_t kBatchOverhead = 61 + 40;    // v2 batch header + worst-case record framing
constexpr size_t kHeaderOverhead = 10;        // per header: name and value length varints
constexpr size_t kMaxSizeRefusals = 10000;    // remembered refused records (bounded memory)

bool IsSizeError(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE;
}

}  // namespace

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

size_t SizeLimits::RecordBytes(size_t key_len, size_t val_len, const rd_kafka_headers_t* hdrs) {
  size_t count = 0;
  const size_t hb = HeaderBytes(hdrs, &count);
  return EstimateRecordBytes(key_len, val_len, hb, count);
}

void SizeLimits::NoteSizeRefusal(const std::string& origin, bool certain) {
  if (origin.empty()) return;
  counters_.size_refused.Inc();
  std::lock_guard<std::mutex> lock(size_mu_);
  if (size_refusals_.size() >= kMaxSizeRefusals && !size_refusals_.count(origin)) {
    size_refusals_.clear();
    size_suspects_ = 0;
  }
  int& n = size_refusals_[origin];
  const int was = n;
  n = certain ? 2 : std::min(n + 1, 2);
  if (was != 1 && n == 1) ++size_suspects_;
  if (was == 1 && n != 1) --size_suspects_;
  any_size_refusals_ = true;
}

int SizeLimits::Refusals(const std::string& origin) {
  if (!any_size_refusals_.load()) return 0;
  std::lock_guard<std::mutex> lock(size_mu_);
  auto it = size_refusals_.find(origin);
  return it == size_refusals_.end() ? 0 : it->second;
}

// Delivery report: a record refused for its size (MSG_SIZE_TOO_LARGE, or
// RECORD_LIST_TOO_LARGE for its batch) is remembered by its origin; a
// record refused once that is now delivered was innocent (its batch was
// too large) and is forgotten.
void SizeLimits::NoteDeliverySize(const rd_kafka_message_t* m) {
  if (IsSizeError(m->err)) {
    const std::string origin = OriginOf(m);
    log::Warn("record_refused_for_size", {{"topic", rd_kafka_topic_name(m->rkt)},
                                          {"origin", origin},
                                          {"bytes", std::to_string(m->len + m->key_len)},
                                          {"error", rd_kafka_err2name(m->err)}});
    NoteSizeRefusal(origin, false);
    stale_ = true;
  } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && size_suspects_.load() > 0) {
    const std::string origin = OriginOf(m);
    std::lock_guard<std::mutex> lock(size_mu_);
    auto it = size_refusals_.find(origin);
    if (it != size_refusals_.end() && it->second == 1) {
      size_refusals_.erase(it);
      --size_suspects_;
    }
  }
}

size_t SizeLimits::LimitOf(const std::string& topic) const {
  auto it = topic_limit_.find(topic);
  return it == topic_limit_.end() ? producer_limit_ : std::min(producer_limit_, it->second);
}

size_t SizeLimits::BatchBytes() const {
  size_t smallest = kDefaultBatchBytes;
  for (const auto& [topic, limit] : topic_limit_) smallest = std::min(smallest, limit);
  // (The batch's own framing and a margin: librdkafka counts its framing in
  // batch.size, the broker counts the batch as written.)
  // A batch.size below one record still sends that record, alone.
  if (smallest >= kDefaultBatchBytes) return kDefaultBatchBytes;
  return smallest > 2 * kBatchOverhead ? smallest - 2 * kBatchOverhead : std::max<size_t>(1, smallest / 2);
}

std::vector<std::string> SizeLimits::DeadLettersTooSmall(const std::set<std::string>& topics) const {
  std::vector<std::string> out;
  for (const std::string& t : topics)
    if (auto it = topic_limit_.find(t); it != topic_limit_.end() && it->second < kMinDeadLetterLimit) out.push_back(t);
  return out;
}

// The last step before a decided record is produced (or queued in the
// backlog): a record that would not fit its topic (see LimitOf), or that
// the producer or the broker refused for its size twice (size_refusals_),
// must not stop the instance. A masked record that would not fit is
// dead-lettered (the raw record, reason too_large_for_topic); a dead
// letter that would not fit becomes a reference-only dead letter: no key,
// no source headers, a small JSON value, and headers naming the source
// record, its size and the reason. *hdrs is replaced when the record is.
void SizeLimits::FitToLimits(const rd_kafka_message_t* m, const engine::RouteRef& route, const std::string& origin,
                             const std::string** dest, const void** key, size_t* key_len, std::string_view* out,
                             rd_kafka_headers_t** hdrs) {
  const policy::Route& rt = *route.route;
  const std::string& topic = **dest;
  size_t limit = LimitOf(topic);
  size_t size = RecordBytes(*key_len, out->size(), *hdrs);
  const bool refused = Refusals(origin) >= 2;
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
  if (!was_dead_letter) counters_.tally.Add(counters_.DeadLettered(kReasonTooLarge));
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
  reference_value_ = "{\"maskproxy_reference\":{\"topic\":";
  codec::AppendJsonString(src_topic, &reference_value_);
  reference_value_ += ",\"partition\":" + std::to_string(m->partition) + ",\"offset\":" + std::to_string(m->offset) +
                      ",\"size\":" + size_text + ",\"reason\":\"" + kReasonTooLarge + "\"}}";
  *dest = &rt.dead_letter;
  *key = nullptr;
  *key_len = 0;
  *out = reference_value_;
  counters_.tally.Add(counters_.reference_only);
  log::Warn("record_dead_lettered_as_reference", {{"topic", src_topic},
                                                  {"partition", std::to_string(m->partition)},
                                                  {"offset", std::to_string(m->offset)},
                                                  {"bytes", size_text},
                                                  {"reason", kReasonTooLarge},
                                                  {"detail", detail}});
}

// Reads max.message.bytes of every destination and dead-letter topic
// (the topic's own setting, or the broker's message.max.bytes when the
// topic sets none: DescribeConfigs reports the value in effect). A topic
// whose limit cannot be read is checked against the producer limit only;
// the broker's refusal is then handled as a size refusal.
void SizeLimits::ReadTopicLimits(const Options& opt, const std::set<std::string>& outputs,
                                 void (*log_cb)(const rd_kafka_t*, int, const char*, const char*)) {
  if (opt.topic_limits_timeout_ms <= 0) {
    log::Info("topic_limits_not_read", {{"limit", std::to_string(producer_limit_)}});
    return;
  }
  // A short-lived client of its own (the destination's properties, so the
  // same security settings), so that the admin request leaves the
  // transactional producer's state alone.
  ConfPtr ac(rd_kafka_conf_new());
  char err[512];
  bool conf_ok = true;
  for (const auto& [k, v] : opt.producer_properties) conf_ok = conf_ok && SetConf(ac.get(), k, v, "destination").ok();
  conf_ok = conf_ok && SetConf(ac.get(), "bootstrap.servers", opt.destination_brokers, "destination").ok() &&
            SetConf(ac.get(), "client.id", "maskproxy-admin", "destination").ok();
  rd_kafka_conf_set_log_cb(ac.get(), log_cb);
  rd_kafka_t* admin = conf_ok ? rd_kafka_new(RD_KAFKA_PRODUCER, ac.get(), err, sizeof err) : nullptr;
  if (!admin) {
    log::Warn("topic_limits_unknown", {{"error", conf_ok ? err : "admin client configuration"},
                                       {"detail", "records are checked against the producer limit only"},
                                       {"limit", std::to_string(producer_limit_)}});
    return;
  }
  ac.release();  // owned by the admin client now
  ReadTopicLimitsWith(opt, outputs, admin);
  rd_kafka_destroy(admin);
}

void SizeLimits::ReadTopicLimitsWith(const Options& opt, const std::set<std::string>& outputs, rd_kafka_t* admin) {
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
                                          {"limit", std::to_string(producer_limit_)}});
        continue;
      }
      size_t cn = 0;
      const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(rs[i], &cn);
      for (size_t j = 0; j < cn; ++j) {
        if (std::strcmp(rd_kafka_ConfigEntry_name(entries[j]), "max.message.bytes") != 0) continue;
        const char* v = rd_kafka_ConfigEntry_value(entries[j]);
        if (v && *v && std::strspn(v, "0123456789") == std::strlen(v) && std::strlen(v) <= 12) {
          topic_limit_[name] = static_cast<size_t>(std::stoull(v));
          log::Info("topic_limit",
                    {{"topic", name}, {"max_message_bytes", v}, {"effective_limit", std::to_string(LimitOf(name))}});
        }
      }
      if (!topic_limit_.count(name))
        log::Warn(
            "topic_limit_unknown",
            {{"topic", name}, {"error", "max.message.bytes not reported"}, {"limit", std::to_string(producer_limit_)}});
    }
  } else {
    failure = "no result";
  }
  if (!failure.empty())
    log::Warn("topic_limits_unknown", {{"error", failure},
                                       {"detail", "records are checked against the producer limit only"},
                                       {"limit", std::to_string(producer_limit_)}});
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(ao);
  rd_kafka_queue_destroy(q);
  rd_kafka_ConfigResource_destroy_array(res.data(), res.size());
}

}  // namespace maskproxy::pipeline
