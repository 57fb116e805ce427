// maskproxy reveal: reverse encrypted values of one rule, audited.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "app/cli.h"
#include "app/commands.h"
#include "app/flags.h"
#include "codec/json.h"
#include "common/audit.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "engine/engine.h"
#include "policy/policy.h"
#include "transform/scan.h"

namespace maskproxy::app {
namespace {

const char kRevealHelp[] = R"(maskproxy reveal --policy FILE --keys FILE --route NAME --field PATH
                 --reason TEXT --audit-log FILE [options] [VALUE... | -]

Reverses encrypt, encrypt_deterministic and fpe outputs of one rule, for
operators who hold the keyring. VALUEs come from the arguments, or one per
line from standard input. Each original value is printed on its own line (an
empty line for a value that could not be revealed; exit 1 then).

An fpe output does not name its key version, and FF1 cannot tell a wrong key
or version: it would reveal a plausible wrong value. So fpe needs the version
(--keys-header or --key-version; a usage error without). encrypt and
encrypt_deterministic outputs name their version (e1./d1.) and ignore both.

Before anything is printed, one line is appended to the audit log (JSON:
time, operator, uid, host, reason, policy, route, field, topic, counts). The
log never holds a value. Without a writable audit log nothing is revealed.

Options:
  --route NAME        the route's name or source topic
  --field PATH        the rule's path as written in the policy (user.email,
                      $key, $header.NAME), or $scan.DETECTOR for a hit that
                      action: scan or unlisted_fields: scan protected
  --topic TOPIC       the source topic the value was masked on (encrypt binds
                      it); default: the route's source topic
  --keys-header H     fpe: the value of the record's maskproxy.keys header
                      (e.g. 'account:1,contact:1,phone:2'); the version of
                      the rule's key is taken from it
  --key-version N     fpe: the key version, instead of --keys-header
  --json              values in and out are JSON text (e.g. a number)
  --operator NAME     who asks (default $SUDO_USER or $USER); the uid is
                      always recorded
  --audit-log FILE    append-only audit log (or env MASKPROXY_AUDIT_LOG)
  --reason TEXT       why (e.g. a ticket number); required
)";

// A JSON string literal of `s` (for audit lines; s is never a value).
std::string JsonStr(std::string_view s) {
  std::string out;
  codec::AppendJsonString(codec::IsValidUtf8(s) ? s : std::string_view("(invalid UTF-8)"), &out);
  return out;
}

}  // namespace

int CmdReveal(const std::vector<std::string>& args) {
  std::string policy_path, keys_path, route_name, field, topic, audit_log, op, reason, version_text, keys_header;
  std::optional<uint32_t> key_version;
  bool json_io = false, help = false;
  std::vector<std::string> values;
  if (const char* env = std::getenv("MASKPROXY_AUDIT_LOG")) audit_log = env;
  std::string err = ParseFlags("reveal", args,
                               {{{"--policy", &policy_path},
                                 {"--keys", &keys_path},
                                 {"--route", &route_name},
                                 {"--field", &field},
                                 {"--topic", &topic},
                                 {"--audit-log", &audit_log},
                                 {"--operator", &op},
                                 {"--reason", &reason},
                                 {"--key-version", &version_text},
                                 {"--keys-header", &keys_header}},
                                {{"--json", &json_io}}},
                               &values, &help);
  if (!err.empty()) return Usage(err);
  if (help) {
    std::fputs(kRevealHelp, stdout);
    return kExitOk;
  }
  if (!version_text.empty()) {
    if (version_text.size() > 9 || version_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(version_text) == 0)
      return Usage("reveal: --key-version needs a positive number");
    key_version = static_cast<uint32_t>(std::stoul(version_text));
  }
  if (policy_path.empty() || keys_path.empty() || route_name.empty() || field.empty())
    return Usage("reveal: --policy, --keys, --route and --field are required");
  if (audit_log.empty()) return Usage("reveal: --audit-log FILE (or MASKPROXY_AUDIT_LOG) is required");
  if (reason.empty()) return Usage("reveal: --reason TEXT is required (e.g. a ticket number); it is audited");
  if (key_version && !keys_header.empty()) return Usage("reveal: give --keys-header or --key-version, not both");
  if (op.empty()) {
    const char* u = std::getenv("SUDO_USER");
    if (!u) u = std::getenv("USER");
    op = u ? u : "unknown";
  }

  auto keys = crypto::Keyring::Load(keys_path);
  if (!keys.ok()) return Fail(keys.error(), kExitUsage);
  // Reveal never encrypts: a throwaway ledger keeps the real one untouched.
  auto pol = policy::Policy::Load(policy_path, *keys, crypto::UsageLedger::InMemory());
  if (!pol.ok()) return Fail(pol.error(), kExitUsage);
  const policy::Route* route = (*pol)->FindRoute(route_name);
  if (!route) return Usage("reveal: no route '" + route_name + "' in " + policy_path);
  const transform::Action* action = nullptr;
  std::string action_name;
  if (field.rfind("$scan.", 0) == 0) {
    // A hit of a detector, inside a scanned text or an unlisted field.
    const std::string detector = field.substr(6);
    const transform::Scanning* scanning = (*pol)->scanning();
    const auto* da = scanning ? scanning->Find(detector) : nullptr;
    if (!da) return Usage("reveal: " + policy_path + " scans for no detector '" + detector + "'");
    if (!da->action) return Usage("reveal: detector '" + detector + "' hits are kept as they are");
    action = da->action.get();
    action_name = da->action_name;
  } else {
    for (const auto& r : route->rules)
      if (r.path.text == field) {
        action = r.action.get();
        action_name = r.action_name;
      }
  }
  if (!action) return Usage("reveal: route '" + route->name + "' has no rule for '" + field + "'");
  if (topic.empty()) topic = route->from;
  if (action_name == "fpe") {
    // FF1 has no tag: under another key version a value "reveals" to a
    // plausible wrong one. The version must come from the record.
    if (!keys_header.empty()) {
      const std::string ref = action->KeyRef();  // "name:active version"
      const std::string key_name = ref.substr(0, ref.rfind(':'));
      auto v = VersionInKeysHeader(keys_header, key_name);
      if (!v.ok()) return Usage("reveal: --keys-header: " + v.error().message);
      key_version = *v;
    }
    if (!key_version)
      return Usage(
          "reveal: an fpe output does not name its key version, and under another version it reveals to a "
          "wrong value: give --keys-header (the record's maskproxy.keys header) or --key-version N");
  }

  if (values.empty() || (values.size() == 1 && values[0] == "-")) {
    values.clear();
    std::string line;
    char buf[65536];
    while (std::fgets(buf, sizeof buf, stdin)) {
      line += buf;
      if (!line.empty() && line.back() == '\n') {
        line.pop_back();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        values.push_back(line);
        line.clear();
      }
    }
    if (!line.empty()) values.push_back(line);
  }
  transform::ActionContext ctx{topic};
  std::vector<std::string> revealed;
  size_t failed = 0;
  std::string first_error;
  for (const auto& v : values) {
    std::string json;
    if (json_io)
      json = v;
    else
      codec::AppendJsonString(v, &json);
    auto r = action->Reveal(ctx, json, key_version);
    if (!r.ok()) {
      ++failed;
      if (first_error.empty()) first_error = r.error().code + ": " + r.error().message;
      revealed.emplace_back();
      continue;
    }
    if (json_io) {
      revealed.push_back(*r);
    } else {
      auto t = engine::ScalarText(*r);
      revealed.push_back(t.ok() && *t ? **t : *r);
    }
  }
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  std::string line =
      "{\"ts\":" + JsonStr(audit::NowUtc()) + ",\"event\":\"reveal\",\"operator\":" + JsonStr(op) +
      ",\"uid\":" + std::to_string(::getuid()) + ",\"host\":" + JsonStr(host) + ",\"reason\":" + JsonStr(reason) +
      ",\"policy\":" + JsonStr((*pol)->Label()) + ",\"route\":" + JsonStr(route->name) +
      ",\"field\":" + JsonStr(field) + ",\"topic\":" + JsonStr(topic) + ",\"action\":" + JsonStr(action_name) +
      (key_version ? ",\"key_version\":" + std::to_string(*key_version) : std::string()) +
      ",\"values\":" + std::to_string(values.size()) + ",\"revealed\":" + std::to_string(values.size() - failed) +
      ",\"failed\":" + std::to_string(failed) + "}";
  // The audit line is on disk before any plaintext is shown.
  if (Status s = audit::AppendLine(audit_log, line); !s.ok()) return Fail(s.error(), kExitFailure);
  for (size_t i = 0; i < revealed.size(); ++i) {
    if (revealed[i].empty() && failed) {
      std::printf("\n");
      continue;
    }
    std::printf("%s\n", revealed[i].c_str());
  }
  std::fflush(stdout);
  if (failed) {
    std::fprintf(stderr, "maskproxy: %zu of %zu value(s) could not be revealed (first: %s)\n", failed, values.size(),
                 first_error.c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace maskproxy::app
