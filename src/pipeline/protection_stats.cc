#include "pipeline/protection_stats.h"

#include <map>
#include <set>

namespace maskproxy::pipeline {

uint64_t ProtectionStats::Delta(const metrics::Counter* c) {
  const uint64_t now = c->Value();
  uint64_t& last = last_[c];
  const uint64_t d = now - last;
  last = now;
  return d;
}

std::vector<ProtectionStats::Line> ProtectionStats::Collect(const engine::Engine& engine, Counters& counters,
                                                            int64_t interval_ms) {
  std::vector<Line> lines;
  std::set<std::string> done;  // a route name once (two policies cannot share one)
  for (const engine::RouteRef& ref : engine.routes()) {
    RouteInstruments& ri = counters.ForRoute(ref);
    if (!done.insert(ri.route).second) continue;
    // Rules of one route may share a field and action (a counter): sum once.
    std::map<const metrics::Counter*, size_t> first_rule;
    for (size_t i = 0; i < ri.by_rule.size(); ++i) first_rule.emplace(ri.by_rule[i], i);
    std::string protected_text, kept_text, unseen_text, detectors_text, dead_text;
    uint64_t protected_total = 0;
    for (const auto& [c, i] : first_rule) {
      const uint64_t d = Delta(c);
      const std::string label = ri.rule_labels[i].first + ":" + ri.rule_labels[i].second;
      // A keep rule's values are kept, not protected.
      std::string& text = !d ? unseen_text : ri.protects[i] ? protected_text : kept_text;
      if (!text.empty()) text += ' ';
      text += label;
      if (d) text += "=" + std::to_string(d);
      if (ri.protects[i]) protected_total += d;
    }
    for (const auto& [name, c] : ri.detector_hits) {
      if (const uint64_t d = Delta(c); d) {
        if (!detectors_text.empty()) detectors_text += ' ';
        detectors_text += name + "=" + std::to_string(d);
      }
    }
    for (const auto& [reason, c] : ri.dead_letters) {
      if (const uint64_t d = Delta(c); d) {
        if (!dead_text.empty()) dead_text += ' ';
        dead_text += reason + "=" + std::to_string(d);
      }
    }
    Line line;
    line.fields = {{"route", ri.route},
                   {"policy", ri.policy_label},
                   {"interval_ms", std::to_string(interval_ms)},
                   {"masked", std::to_string(Delta(ri.masked))},
                   {"passed", std::to_string(Delta(ri.passed))},
                   {"dead_lettered", std::to_string(Delta(ri.dead))},
                   {"values_protected", std::to_string(protected_total)},
                   {"protected", protected_text},
                   {"kept", kept_text},
                   {"unseen", unseen_text},
                   {"detectors", detectors_text},
                   {"dead_letter_reasons", dead_text}};
    lines.push_back(std::move(line));
  }
  return lines;
}

void ProtectionStats::Log(const engine::Engine& engine, Counters& counters, int64_t interval_ms) {
  for (const Line& line : Collect(engine, counters, interval_ms)) {
    // log::Write takes an initializer list: the fields are fixed.
    const auto& f = line.fields;
    log::Info("protection_stats", {f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11]});
  }
}

}  // namespace maskproxy::pipeline
