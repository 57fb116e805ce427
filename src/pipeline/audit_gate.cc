#include "pipeline/audit_gate.h"

#include <type_traits>

#include "codec/json.h"
#include "common/log.h"

namespace maskproxy::pipeline {
namespace {

metrics::Gauge& UpGauge() {
  static metrics::Gauge* g =
      metrics::Global()
          .Gauges("maskproxy_audit_sink_up",
                  "1 while the audit trail accepts writes (or none is configured), 0 while it cannot write and "
                  "consumption is stopped")
          .GaugeWith({});
  return *g;
}
metrics::Counter& Failures() {
  static metrics::Counter* c = metrics::Global().GetCounter(
      "maskproxy_audit_write_failures_total",
      "Audit events the trail could not write (each stops consumption until a retry succeeds)");
  return *c;
}

// Members built in place: GCC 12 reports a false maybe-uninitialized on
// Event::Add's converting construction of the variant.
void AddText(audit::Event& e, const char* name, std::string v) {
  e.fields.emplace_back(name, audit::Value(std::in_place_index<0>, std::move(v)));
}
void AddCount(audit::Event& e, const char* name, int64_t v) {
  e.fields.emplace_back(name, audit::Value(std::in_place_index<1>, v));
}

}  // namespace

AuditGate::AuditGate(std::shared_ptr<audit::Sink> sink, std::string topic, int summary_interval_ms)
    : sink_(std::move(sink)),
      topic_(std::move(topic)),
      summary_interval_(summary_interval_ms),
      up_gauge_(UpGauge()),
      failures_(Failures()) {
  up_gauge_.Set(1);
}

void AuditGate::GoDown(const Error& why) {
  failures_.Inc();
  if (down_.load()) return;
  {
    std::lock_guard<std::mutex> lock(reason_mu_);
    reason_ = std::string(ErrorCodeName(why.code)) + ": " + why.message;
  }
  up_gauge_.Set(0);
  // The sink's message names the file or topic and the cause; an event
  // holds no value, and neither does this line.
  log::Error("audit_sink_down", {{"error", std::string(ErrorCodeName(why.code))},
                                 {"detail", why.message},
                                 {"action", "consumption stopped, open transaction aborted; retried every second"}});
  down_.store(true);  // last: whoever sees it down finds the gauge and the log line
}

Status AuditGate::Append(const audit::Event& event) {
  if (!sink_) return Status::Ok();
  if (down_.load()) {
    // Never write past an event that failed: the trail keeps the order.
    failures_.Inc();
    return Error(ErrorCode::kAuditFailed, "the audit trail is down");
  }
  Status s = sink_->Append(event);
  if (s.ok()) return s;
  pending_ = event;
  GoDown(s.error());
  return Error(ErrorCode::kAuditFailed, s.error().message);
}

void AuditGate::Observe() {
  if (!sink_ || down_.load() || !sink_->Failing()) return;
  probe_ = true;
  GoDown(Error(ErrorCode::kAuditFailed,
               "the audit trail could not write an entry of another writer (the reveal service, a reload)"));
}

std::string AuditGate::down_reason() const {
  std::lock_guard<std::mutex> lock(reason_mu_);
  return down_.load() ? reason_ : std::string();
}

bool AuditGate::Retry(Clock::time_point now, std::chrono::milliseconds retry_every) {
  if (!down_.load()) return true;
  if (now - last_retry_ < retry_every) return false;
  last_retry_ = now;
  if (pending_) {
    if (Status s = sink_->Append(*pending_); !s.ok()) {
      failures_.Inc();
      return false;
    }
    if (!topic_.empty()) recovered_.push_back(std::move(*pending_));
    pending_.reset();
  } else if (probe_) {
    if (Status s = sink_->Probe(); !s.ok()) {
      failures_.Inc();
      return false;
    }
  }
  probe_ = false;
  up_gauge_.Set(1);
  log::Info("audit_sink_up", {{"action", "consumption resumes from the last committed records"}});
  {
    std::lock_guard<std::mutex> lock(reason_mu_);
    reason_.clear();
  }
  down_.store(false);
  return true;
}

std::vector<audit::Event> AuditGate::TakeRecovered() {
  std::vector<audit::Event> out;
  out.swap(recovered_);
  return out;
}

void AuditGate::TopicTxnCommitting() {
  for (audit::Event& e : in_txn_) committing_.push_back(std::move(e));
  in_txn_.clear();
}

void AuditGate::TopicTxnAborted() {
  for (audit::Event& e : committing_) recovered_.push_back(std::move(e));
  for (audit::Event& e : in_txn_) recovered_.push_back(std::move(e));
  committing_.clear();
  in_txn_.clear();
}

void AuditGate::NoteDeadLetter(const std::string& route, std::string_view reason) {
  if (!sink_) return;
  ++dead_[{route, std::string(reason)}];
}

bool AuditGate::SummaryDue(Clock::time_point now) const {
  if (!sink_) return false;
  if (!dead_.empty()) return true;
  return records_ > 0 && now - last_summary_ >= summary_interval_;
}

Result<audit::Event> AuditGate::AppendSummary(Clock::time_point now) {
  audit::Event e{.type = audit::EventType::kDeadLetters, .fields = {}};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_summary_).count();
  uint64_t total = 0;
  std::vector<std::string> by;  // "route reason count", sorted by route and reason
  for (const auto& [k, n] : dead_) {
    total += n;
    by.push_back(k.first + " " + k.second + " " + std::to_string(n));
  }
  AddCount(e, "interval_ms", static_cast<int64_t>(ms));
  AddCount(e, "records", static_cast<int64_t>(records_));
  AddCount(e, "dead_letters", static_cast<int64_t>(total));
  e.fields.emplace_back("by_route_reason", audit::Value(std::in_place_index<3>, std::move(by)));
  dead_.clear();
  records_ = 0;
  last_summary_ = now;
  if (Status s = Append(e); !s.ok()) return s.error();
  return e;
}

audit::Event AuditGate::DriftEvent(const std::string& policy, const std::string& route, const std::string& topic,
                                   const std::string& field, const std::string& detector, int32_t partition,
                                   int64_t offset) {
  audit::Event e{.type = audit::EventType::kSchemaDrift, .fields = {}};
  AddText(e, "policy", policy);
  AddText(e, "route", route);
  AddText(e, "topic", topic);
  AddText(e, "field", field);
  AddText(e, "detector", detector);
  AddCount(e, "partition", partition);
  AddCount(e, "offset", offset);
  return e;
}

std::string AuditGate::ToJson(const audit::Event& event) {
  std::string out = "{\"event\":";
  codec::AppendJsonString(audit::EventTypeName(event.type), &out);
  for (const auto& [name, value] : event.fields) {
    out.push_back(',');
    codec::AppendJsonString(name, &out);
    out.push_back(':');
    std::visit(
        [&out](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            codec::AppendJsonString(v, &out);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            out += std::to_string(v);
          } else if constexpr (std::is_same_v<T, bool>) {
            out += v ? "true" : "false";
          } else {
            out.push_back('[');
            for (size_t i = 0; i < v.size(); ++i) {
              if (i) out.push_back(',');
              codec::AppendJsonString(v[i], &out);
            }
            out.push_back(']');
          }
        },
        value);
  }
  out.push_back('}');
  return out;
}

}  // namespace maskproxy::pipeline
