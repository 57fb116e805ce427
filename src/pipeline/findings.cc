#include "pipeline/findings.h"

#include <chrono>

#include "common/log.h"

namespace maskproxy::pipeline {

Status FindingReporter::Report(const engine::MaskedRecord& rec, const engine::RouteRef& route, const std::string& topic,
                               int32_t partition, int64_t offset, std::vector<audit::Event>* appended) {
  Status result;
  for (const engine::Finding& f : rec.findings) {
    counters_.tally.Add(f.unlisted ? counters_.pii_unlisted : counters_.pii_scanned);
    std::string id = topic;
    id.append(1, '\x1f').append(f.field).append(1, '\x1f').append(f.detector).append(f.unlisted ? "\x1fu" : "\x1fs");
    auto it = finding_series_.find(id);
    if (it == finding_series_.end()) {
      const bool overflow = finding_series_.size() >= kMaxFindingSeries;
      const std::string field = overflow ? "_other" : f.field;
      auto* c = metrics::Global().GetCounter(
          f.unlisted ? "maskproxy_unlisted_pii_total" : "maskproxy_scan_hits_total",
          f.unlisted ? "PII found in fields no rule names (schema drift), by topic, field and detector"
                     : "PII found by scan rules, by topic, field and detector",
          {{"topic", topic}, {"field", field}, {"detector", std::string(f.detector)}});
      if (overflow) {
        counters_.tally.Add(*c);
        // Past the cap the new fields are not logged one by one: the first
        // time, then once a minute, one line says how many were not (found
        // by review: the log went quiet without a word).
        if (f.unlisted) {
          ++unlogged_;
          const auto now = std::chrono::steady_clock::now();
          if (!unlogged_said_ || now - unlogged_said_at_ >= std::chrono::minutes(1)) {
            log::Warn(
                "unlisted_pii_not_logged",
                {{"topic", topic},
                 {"detector", std::string(f.detector)},
                 {"similar_suppressed", std::to_string(unlogged_)},
                 {"detail", "more fields carry PII than the metric's " + std::to_string(kMaxFindingSeries) +
                                " series: these are counted under field=\"_other\", not logged one by one; the audit "
                                "trail has each field's first sighting"}});
            unlogged_said_ = true;
            unlogged_said_at_ = now;
            unlogged_ = 0;
          }
        }
      } else {
        it = finding_series_.emplace(id, c).first;
        counters_.tally.Add(*it->second);
        if (f.unlisted)
          log::Warn("unlisted_pii", {{"topic", topic},
                                     {"field", f.field},
                                     {"detector", std::string(f.detector)},
                                     {"route", route.route->name},
                                     {"partition", std::to_string(partition)},
                                     {"offset", std::to_string(offset)}});
      }
    } else {
      counters_.tally.Add(*it->second);
    }
    // The trail: every first sighting, whatever the metric cap. After an
    // append failed, the later sightings of this record are not written
    // now; they are when the record is consumed again.
    if (!f.unlisted || !audit_.enabled() || !result.ok() || audited_.count(id)) continue;
    audit::Event e = AuditGate::DriftEvent(route.policy_label, route.route->name, topic, f.field,
                                           std::string(f.detector), partition, offset);
    // On failure the gate keeps the event and writes it before anything
    // flows again: it counts as written (not appended twice on replay).
    Status st = audit_.Append(e);
    if (audited_.size() < kMaxAuditedSightings) audited_.insert(std::move(id));
    if (!st.ok())
      result = st;
    else
      appended->push_back(std::move(e));
  }
  return result;
}

}  // namespace maskproxy::pipeline
