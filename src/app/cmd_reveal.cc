// maskproxy reveal: reverse encrypted values of one rule, audited.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/flags.h"
#include "app/kms_setup.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "policy/policy.h"
#include "reveal/reveal.h"

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

  auto keys = LoadKeyringForCli(keys_path);
  if (!keys.ok()) return Fail(keys.error(), kExitUsage);
  // Reveal never encrypts: a throwaway ledger keeps the real one untouched.
  auto pol = policy::Policy::Load(policy_path, *keys, crypto::UsageLedger::InMemory());
  if (!pol.ok()) return Fail(pol.error(), kExitUsage);
  auto revealer = reveal::Revealer::Create(*pol, std::make_shared<reveal::FileAuditSink>(audit_log));
  if (!revealer.ok()) return Fail(revealer.error(), kExitUsage);
  reveal::RevealRequest request{.route = route_name,
                                .field = field,
                                .topic = topic,
                                .reason = reason,
                                .operator_name = op,
                                .key_version = key_version,
                                .keys_header = keys_header,
                                .json = json_io,
                                .values = {}};
  // A bad route, field or key version is refused before values are read.
  if (Status s = (*revealer)->Check(request); !s.ok()) return Usage("reveal: " + s.error().message);

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
  request.values = std::move(values);
  // The audit line is on disk before the library returns any plaintext.
  auto revealed = (*revealer)->Reveal(request);
  if (!revealed.ok()) return Fail(revealed.error(), kExitFailure);
  for (const auto& v : revealed->values) std::printf("%s\n", v ? v->c_str() : "");
  std::fflush(stdout);
  if (revealed->failed) {
    const Error& first = *revealed->first_error;
    std::fprintf(stderr, "maskproxy: %zu of %zu value(s) could not be revealed (first: %s)\n", revealed->failed,
                 request.values.size(), first.ToString().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace maskproxy::app
