#include "pipeline/findings.h"

#include "codec/json.h"
#include "common/audit.h"
#include "common/log.h"

namespace maskproxy::pipeline {

void FindingReporter::Report(const engine::MaskedRecord& rec, const engine::RouteRef& route, const std::string& topic,
                             int32_t partition, int64_t offset) {
  for (const engine::Finding& f : rec.findings) {
    (f.unlisted ? counters_.pii_unlisted : counters_.pii_scanned).Inc();
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
        c->Inc();
        continue;
      }
      it = finding_series_.emplace(std::move(id), c).first;
      if (f.unlisted) {
        log::Warn("unlisted_pii", {{"topic", topic},
                                   {"field", f.field},
                                   {"detector", std::string(f.detector)},
                                   {"route", route.route->name},
                                   {"partition", std::to_string(partition)},
                                   {"offset", std::to_string(offset)}});
        if (!audit_log_.empty()) {
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
          if (Status st = audit::AppendLine(audit_log_, line); !st.ok())
            log::Error("audit_failed", {{"error", st.error().message}});
        }
      }
    }
    it->second->Inc();
  }
}

}  // namespace maskproxy::pipeline
