#include "audit/audit.h"

namespace maskproxy::audit {

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kStart: return "start";
    case EventType::kStop: return "stop";
    case EventType::kConfigLoaded: return "config_loaded";
    case EventType::kPolicyLoaded: return "policy_loaded";
    case EventType::kPolicyReloaded: return "policy_reloaded";
    case EventType::kPolicyRejected: return "policy_rejected";
    case EventType::kKeysLoaded: return "keys_loaded";
    case EventType::kKeysRotated: return "keys_rotated";
    case EventType::kReveal: return "reveal";
    case EventType::kSchemaDrift: return "schema_drift";
    case EventType::kDeadLetters: return "dead_letters";
    case EventType::kFenced: return "fenced";
    case EventType::kFatalExit: return "fatal_exit";
    case EventType::kTrailResumed: return "trail_resumed";
    case EventType::kCheckpoint: return "checkpoint";
  }
  return "unknown";
}

Event ToEvent(const RevealEvent& r) {
  Event e{.type = EventType::kReveal, .fields = {}};
  e.Add("allowed", r.allowed);
  if (!r.allowed) e.Add("denied", r.denied_code);
  e.Add("channel", r.channel).Add("subject", r.subject).Add("role", r.role);
  e.Add("ticket", r.ticket).Add("reason", r.reason).Add("policy", r.policy);
  e.Add("route", r.route).Add("field", r.field).Add("topic", r.topic).Add("action", r.action);
  if (r.key_version != 0) e.Add("key_version", static_cast<int64_t>(r.key_version));
  e.Add("requested", static_cast<int64_t>(r.requested))
      .Add("revealed", static_cast<int64_t>(r.revealed))
      .Add("failed", static_cast<int64_t>(r.failed));
  e.fields.emplace_back("value_digests", Value(std::in_place_index<3>, r.value_digests));
  e.Add("uid", r.uid).Add("host", r.host);
  return e;
}

}  // namespace maskproxy::audit
