#include "reveal/reveal.h"

#include <unistd.h>

#include <algorithm>

#include "codec/json.h"
#include "codec/path.h"
#include "common/text.h"
#include "engine/engine.h"
#include "reveal/authz.h"
#include "transform/action.h"
#include "transform/scan.h"

namespace maskproxy::reveal {
namespace {

std::string HostName() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

audit::RevealEvent Revealer::DeniedEvent(const RevealRequest& request, ErrorCode code) {
  audit::RevealEvent e;
  e.allowed = false;
  e.denied_code = std::string(ErrorCodeName(code));
  e.channel = request.channel;
  e.subject = request.subject;
  e.role = request.role;
  // What the caller sent, bounded: a refused request cannot grow the trail
  // by its body's size.
  e.ticket = text::Clip(request.ticket);
  e.reason = text::Clip(request.reason);
  e.route = text::Clip(request.route);
  e.field = text::Clip(request.field);
  e.topic = text::Clip(request.topic);
  e.key_version = request.key_version.value_or(0);
  e.requested = request.values.size();
  e.uid = std::to_string(::getuid());
  e.host = HostName();
  return e;
}

// What a request reveals with: the rule's (or detector's) action, and the
// topic and key version it is revealed under.
struct Revealer::Target {
  const policy::Route* route = nullptr;
  const transform::Action* action = nullptr;
  std::string action_name;
  std::string topic;
  std::optional<uint32_t> key_version;
};

const transform::Action* Revealer::FieldAction(const policy::Policy& policy, const policy::Route& route,
                                               std::string_view field, std::string* action_name) {
  if (field.starts_with("$scan.")) {
    const transform::Scanning* scanning = policy.scanning();
    const auto* da = scanning ? scanning->Find(field.substr(6)) : nullptr;
    if (!da || !da->action) return nullptr;
    *action_name = da->action_name;
    return da->action.get();
  }
  for (const auto& r : route.rules)
    if (r.path.text == field) {
      *action_name = r.action_name;
      return r.action.get();
    }
  // The same path spelled otherwise (user["phone"] for user.phone): the
  // rule whose path it is (its outputs are bound to that path, whatever the
  // spelling: FieldPath::Canonical).
  if (field.empty() || field[0] == '$') return nullptr;
  auto parsed = codec::FieldPath::Parse(field);
  if (!parsed.ok()) return nullptr;
  const std::string canonical = parsed->Canonical();
  for (const auto& r : route.rules)
    if (r.target == policy::Target::kValue && r.path.Canonical() == canonical) {
      *action_name = r.action_name;
      return r.action.get();
    }
  return nullptr;
}

const policy::Route* RouteReading(const std::vector<std::shared_ptr<const policy::Policy>>& policies,
                                  std::string_view topic) {
  for (const auto& p : policies)
    if (p)
      for (const auto& r : p->routes())
        if (!r.from_is_pattern() && r.from == topic) return &r;
  for (const auto& p : policies)
    if (p)
      for (const auto& r : p->routes())
        if (r.from_is_pattern() && policy::SourceMatches(r, topic)) return &r;
  return nullptr;
}

Result<std::unique_ptr<Revealer>> Revealer::Create(std::shared_ptr<const policy::Policy> policy,
                                                   std::shared_ptr<audit::Sink> audit,
                                                   std::vector<std::shared_ptr<const policy::Policy>> routing) {
  if (!policy) return Error(ErrorCode::kInvalidArgument, "reveal needs a policy");
  if (!audit) return Error(ErrorCode::kInvalidArgument, "reveal needs an audit log: without one nothing is revealed");
  if (std::find(routing.begin(), routing.end(), policy) == routing.end()) routing.push_back(policy);
  return std::unique_ptr<Revealer>(new Revealer(std::move(policy), std::move(audit), std::move(routing)));
}

Result<Revealer::Target> Revealer::Resolve(const RevealRequest& request) const {
  if (TicketMissing(request.ticket))
    return Error(ErrorCode::kInvalidArgument, "a purpose ticket (e.g. SEC-1) is required; it is audited");
  if (request.reason.empty()) return Error(ErrorCode::kInvalidArgument, "a purpose reason is required; it is audited");
  if (request.key_version && !request.keys_header.empty())
    return Error(ErrorCode::kInvalidArgument, "give the keys header or the key version, not both");
  Target t;
  t.route = policy_->FindRouteByName(request.route);
  if (!t.route) return Error(ErrorCode::kInvalidArgument, "no route of the name given in " + policy_->origin());
  const std::string& field = request.field;
  if (field.rfind("$scan.", 0) == 0) {
    // A hit of a detector, inside a scanned text or an unlisted field.
    const std::string detector = field.substr(6);
    const transform::Scanning* scanning = policy_->scanning();
    const auto* da = scanning ? scanning->Find(detector) : nullptr;
    if (!da)
      return Error(ErrorCode::kInvalidArgument,
                   policy_->origin() + " scans for no detector of the name given after $scan.");
    if (!da->action) return Error(ErrorCode::kInvalidArgument, "detector '" + detector + "' hits are kept as they are");
  }
  t.action = FieldAction(*policy_, *t.route, field, &t.action_name);
  if (!t.action)
    return Error(ErrorCode::kInvalidArgument, "route '" + t.route->name +
                                                  "' has no rule for the field given (a rule's path as the policy "
                                                  "writes it, or $scan.DETECTOR)");
  // Decided by the policy before any value is read: the outputs of a
  // one-way rule are refused as a request, never tried value by value.
  if (!transform::IsReversible(t.action_name))
    return Error(ErrorCode::kNotReversible,
                 "'" + field + "' on route '" + t.route->name + "' is protected by " + t.action_name +
                     ", which is one-way: only encrypt, encrypt_deterministic and fpe outputs can be revealed");
  // A value is revealed as masked on a topic this route reads, never on
  // another route's topic (whose rules and grants are not this one's): a
  // topic the route's pattern matches but another route takes (an exact
  // `from` beats a pattern) is that route's.
  if (!request.topic.empty()) {
    const policy::Route* reader = RouteReading(routing_, request.topic);
    if (reader != t.route)
      return Error(ErrorCode::kRevealDenied,
                   "the topic given is not " +
                       (reader ? "read by route '" + t.route->name + "' (route '" + reader->name + "' reads it)"
                               : "a source of route '" + t.route->name + "'"));
  }
  t.topic = request.topic.empty() ? t.route->from : request.topic;
  // encrypt and encrypt_deterministic outputs name their version, which is
  // the one that decrypts them: a version given beside them would be
  // ignored, and an audit entry must not record a version that was not used.
  if (t.action_name != "fpe" && request.key_version)
    return Error(ErrorCode::kInvalidArgument, "a key version is for fpe outputs only: " + t.action_name +
                                                  " outputs name their own version (e2./e1./d1.)");
  t.key_version = request.key_version;
  if (t.action_name == "fpe") {
    // FF1 has no tag: under another key version a value "reveals" to a
    // plausible wrong one. The version must come from the record.
    if (!request.keys_header.empty()) {
      const std::string ref = t.action->KeyRef();  // "name:active version"
      const std::string key_name = ref.substr(0, ref.rfind(':'));
      auto v = VersionInKeysHeader(request.keys_header, key_name);
      if (!v.ok()) return Error(ErrorCode::kInvalidArgument, "--keys-header: " + v.error().message);
      t.key_version = *v;
    }
    if (!t.key_version)
      return Error(ErrorCode::kInvalidArgument,
                   "an fpe output does not name its key version, and under another version it reveals to a "
                   "wrong value: give --keys-header (the record's maskproxy.keys header) or --key-version N");
  }
  return t;
}

Status Revealer::Check(const RevealRequest& request) const {
  auto t = Resolve(request);
  if (!t.ok()) return t.error();
  return Status::Ok();
}

Result<RevealResult> Revealer::Reveal(const RevealRequest& request) const {
  auto target = Resolve(request);
  if (!target.ok()) {
    audit::RevealEvent denied = DeniedEvent(request, target.error().code);
    denied.policy = policy_->Label();
    if (Status s = audit_->Append(audit::ToEvent(denied)); !s.ok()) return s.error();
    return target.error();
  }
  const Target& t = *target;
  transform::ActionContext ctx{t.topic};
  RevealResult out;
  std::vector<std::string> digests;  // of each revealed value as text, whether asked for as JSON or not
  for (const auto& v : request.values) {
    std::string json;
    if (request.json)
      json = v;
    else
      codec::AppendJsonString(v, &json);
    auto r = t.action->Reveal(ctx, json, t.key_version);
    if (!r.ok()) {
      ++out.failed;
      if (!out.first_error) out.first_error = r.error();
      out.values.emplace_back(std::nullopt);
      continue;
    }
    auto text = engine::ScalarText(*r);
    std::string plain = text.ok() && *text ? **text : *r;
    digests.push_back(audit_->ValueDigest(plain));
    out.values.emplace_back(request.json ? *r : std::move(plain));
  }
  audit::RevealEvent e;
  e.allowed = true;
  e.channel = request.channel;
  e.subject = request.subject;
  e.role = request.role;
  e.ticket = text::Clip(request.ticket);
  e.reason = request.reason;
  e.policy = policy_->Label();
  e.route = t.route->name;
  e.field = request.field;
  e.topic = t.topic;
  e.action = t.action_name;
  e.key_version = t.key_version.value_or(0);
  e.requested = request.values.size();
  e.failed = out.failed;
  e.revealed = e.requested - out.failed;
  e.value_digests = std::move(digests);
  e.uid = std::to_string(::getuid());
  e.host = HostName();
  // The audit entry is written before any plaintext leaves this function.
  if (Status s = audit_->Append(audit::ToEvent(e)); !s.ok()) return s.error();
  return out;
}

// The version of key `key_name` in a maskproxy.keys header value
// ("account:1,contact:1,phone:2", as the proxy writes it). Errors name no
// value: the header holds key names and versions only.
Result<uint32_t> VersionInKeysHeader(std::string_view header, std::string_view key_name) {
  std::optional<uint32_t> found;
  size_t b = 0;
  size_t position = 0;
  while (b <= header.size()) {
    ++position;
    size_t e = header.find(',', b);
    if (e == std::string_view::npos) e = header.size();
    std::string_view item = header.substr(b, e - b);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const size_t colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return Error(ErrorCode::kInvalidArgument, "expected name:version,... (the record's maskproxy.keys header)");
    std::string_view ver = item.substr(colon + 1);
    // An item is named by its position: the header came with the request
    // and may hold anything.
    if (ver.empty() || ver.size() > 9 || ver.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoul(std::string(ver)) == 0)
      return Error(ErrorCode::kInvalidArgument, "the version of item " + std::to_string(position) +
                                                    " of the maskproxy.keys header is not a positive number");
    if (item.substr(0, colon) == key_name) {
      const auto v = static_cast<uint32_t>(std::stoul(std::string(ver)));
      if (found && *found != v)
        return Error(ErrorCode::kInvalidArgument, "key '" + std::string(key_name) + "' is named twice");
      found = v;
    }
    b = e + 1;
  }
  if (!found)
    return Error(ErrorCode::kInvalidArgument,
                 "names no version of key '" + std::string(key_name) +
                     "' (the rule's key): is it the header of the record the value came from?");
  return *found;
}

}  // namespace maskproxy::reveal
