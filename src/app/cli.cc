#include "app/cli.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/policy_set.h"
#include "app/policy_tests.h"
#include "batch/batch.h"
#include "codec/json.h"
#include "common/audit.h"
#include "common/log.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "engine/engine.h"
#include "pipeline/pipeline.h"
#include "policy/policy.h"
#include "transform/registry.h"

namespace maskproxy::app {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

const char kMainHelp[] = R"(maskproxy - Kafka PII masking proxy

Consumes raw Kafka topics, protects personal data in JSON record values, keys
and headers as a YAML policy says (tokenize, encrypt, encrypt_deterministic,
fpe, mask, generalize, redact), and produces the result to analytics topics in
Kafka transactions (exactly once). Records that cannot be masked go to the
route's dead-letter topic, never to the destination.

Usage:
  maskproxy run --config FILE [options]    run the proxy (see: maskproxy run --help)
  maskproxy policy check --keys FILE POLICY...
                                           validate policy files against a keyring
  maskproxy policy test --keys FILE POLICY...
                                           run the tests embedded in policy files
  maskproxy keys generate --out FILE NAME...
                                           create a keyring with a new 256-bit key per NAME
  maskproxy keys rotate --keys FILE NAME...
                                           add and activate a new version of each key
  maskproxy mask --policy FILE --keys FILE --route NAME [--in F] [--out F] [--quarantine F]
                                           mask a JSON Lines or CSV file (batch mode)
  maskproxy reveal --policy FILE --keys FILE --route NAME --field PATH --reason TEXT
                   --audit-log FILE [--keys-header H | --key-version N] [VALUE...]
                                           reverse encrypted values; every use is audited
  maskproxy --help | --version

Exit status: 0 success, 1 runtime failure (e.g. fenced by another instance),
2 usage or configuration error.
)";

const char kRunHelp[] = R"(maskproxy run --config FILE [--transactional-id ID] [--log-level LEVEL]

Runs the proxy until SIGTERM or SIGINT, then commits the open transaction,
leaves the consumer group and exits 0. Startup fails (exit 2) with a message
naming the problem if the config, a policy or the keyring is invalid: an
unknown or missing key, a missing or short (< 256-bit) key, or a keyring file
that group or others can read.

Options:
  --config FILE            the config file (required)
  --transactional-id ID    overrides transactions.id (one per running instance)
  --log-level LEVEL        overrides log_level: debug, info, warn, error

Every produced record keeps the source key, headers and timestamp (key and
headers rewritten where $key/$header rules say) and key-based partitioning
(murmur2 of the produced key, as Java clients), and gets these headers:
  maskproxy.policy   policy name@version#hash that masked it
  maskproxy.origin   source topic:partition:offset
  maskproxy.keys     key versions behind reversible outputs (name:version,...)
Dead letters carry the raw record (keep that topic as restricted as the source)
plus maskproxy.dlq.reason (a code such as invalid_json) and maskproxy.dlq.detail
(a message that never contains the value).

)";

const char kKeysHelp[] = R"(maskproxy keys generate --out FILE NAME...
maskproxy keys rotate --keys FILE NAME...

generate  creates FILE (mode 0600; refuses to overwrite) with a new random
          256-bit key, version 1, for each NAME.
rotate    adds a new random version to each NAME in FILE and makes it the
          active one; older versions stay so that existing outputs can still
          be revealed. The file is replaced atomically and stays mode 0600.
Key material is never printed.
)";

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

const char kMaskHelp[] = R"(maskproxy mask --policy FILE --keys FILE --route NAME [options]

Masks a file with the same engine and policy as the proxy, for batch
pipelines that land files in Hadoop. Streams in constant memory.

  JSON Lines  one record per line; the output is byte for byte what the
              proxy would produce for the same record value
  CSV         RFC 4180 with a header row; rules name columns (path: column)

A record that cannot be masked never reaches the output: it goes to the
quarantine file as {"line":N,"reason":"...","detail":"...","record":...}.
Without --quarantine the first such record stops the run (exit 1) and no
output file is left behind. Files are written as NAME.partial and renamed
when the run succeeds.

Options:
  --route NAME               the route's name or source topic
  --in FILE                  input (default: standard input)
  --out FILE                 output (default: standard output)
  --quarantine FILE          unmaskable records (raw: created mode 0600)
  --format jsonl|csv         default: from the --in file name, else jsonl
  --delimiter C              CSV delimiter (default ','; '\t' for tab)
  --max-record-bytes N       longer records are quarantined (default 1 MiB)
  --encryption-ledger FILE   encryption counts (default KEYS.usage)
)";

const char kPolicyHelp[] = R"(maskproxy policy check --keys FILE POLICY...
maskproxy policy test --keys FILE POLICY...

check  validates the policy files as `maskproxy run` loads them together
       (routes, paths, actions, options, key names, embedded tests, and
       conflicts between routes, also across files: a source claimed twice,
       a source that is an output, a dead-letter topic that is a destination)
       against the keyring and prints every error as file:line:column:
       message. Exit 0 if all are valid, 2 otherwise. Warnings (e.g. keep
       with apply_to: whole, which passes nested PII unchecked) go to stderr
       as file:line:column: warning: ... and do not fail the check.
test   runs the tests embedded in each policy (`tests:`) through the engine
       the proxy uses and prints a diff for each failure. Exit 0 if all pass,
       1 if any fails, 2 if a policy does not compile.

Actions: )";

std::atomic<bool> g_stop{false};
extern "C" void OnSignal(int) {
  g_stop.store(true);
}

int Usage(const std::string& msg) {
  std::fprintf(stderr, "maskproxy: %s\nRun 'maskproxy --help' for usage.\n", msg.c_str());
  return kExitUsage;
}

int Fail(const Error& e, int code) {
  std::fprintf(stderr, "maskproxy: %s\n", e.message.c_str());
  return code;
}

// Parses `--name VALUE` options into the given strings, `--flag` switches
// into bools, and the rest into *positional (when given). Returns "" or a
// usage message. --help/-h sets *help.
struct Flags {
  std::vector<std::pair<const char*, std::string*>> values;
  std::vector<std::pair<const char*, bool*>> switches;
};

std::string ParseFlags(const std::string& cmd, const std::vector<std::string>& args, const Flags& flags,
                       std::vector<std::string>* positional, bool* help) {
  *help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      *help = true;
      return "";
    }
    bool matched = false;
    for (const auto& [name, target] : flags.values) {
      if (a != name) continue;
      if (i + 1 >= args.size()) return cmd + ": " + a + " needs a value";
      *target = args[++i];
      matched = true;
    }
    for (const auto& [name, target] : flags.switches) {
      if (a != name) continue;
      *target = true;
      matched = true;
    }
    if (matched) continue;
    if (!positional || (a.size() > 1 && a[0] == '-')) return cmd + ": unknown argument '" + a + "'";
    positional->push_back(a);
  }
  return "";
}

// A JSON string literal of `s` (for audit lines; s is never a value).
std::string JsonStr(std::string_view s) {
  std::string out;
  codec::AppendJsonString(codec::IsValidUtf8(s) ? s : std::string_view("(invalid UTF-8)"), &out);
  return out;
}

int CmdRun(const std::vector<std::string>& args) {
  std::string config_path, txn_id, level;
  bool help = false;
  std::string err = ParseFlags(
      "run", args, {{{"--config", &config_path}, {"--transactional-id", &txn_id}, {"--log-level", &level}}, {}},
      nullptr, &help);
  if (!err.empty()) return Usage(err);
  if (help) {
    std::fputs(kRunHelp, stdout);
    std::fputs(kConfigHelp, stdout);
    return kExitOk;
  }
  if (config_path.empty()) return Usage("run: --config FILE is required");
  auto cfg = Config::Load(config_path);
  if (!cfg.ok()) return Fail(cfg.error(), kExitUsage);
  if (!level.empty()) cfg->log_level = level;
  log::Level lvl;
  if (!log::ParseLevel(cfg->log_level, &lvl)) return Usage("unknown log level '" + cfg->log_level + "'");
  log::SetLevel(lvl);
  if (!txn_id.empty()) {
    if (cfg->delivery_mode != "exactly_once")
      return Usage("--transactional-id is only used with delivery.mode exactly_once");
    cfg->transactional_id = txn_id;
  }
  const bool eos = cfg->delivery_mode == "exactly_once";
  if (eos && cfg->transactional_id.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    cfg->transactional_id = "maskproxy-" + cfg->group_id + "-" + host;
  }

  auto keys = crypto::Keyring::Load(cfg->keyring_file);
  if (!keys.ok()) return Fail(keys.error(), kExitUsage);
  // The engine holds the policies, and they hold the encryption ledger.
  auto set =
      LoadPolicySet(cfg->policy_files, *keys,
                    {cfg->encryption_ledger, {cfg->max_record_bytes, static_cast<uint32_t>(cfg->max_json_depth)}});
  if (!set.ok()) return Fail(set.error(), kExitUsage);
  const std::vector<std::shared_ptr<const policy::Policy>>& policies = set->policies;
  for (const auto& p : policies)
    log::Info("policy_loaded",
              {{"file", p->origin()}, {"policy", p->Label()}, {"routes", std::to_string(p->routes().size())}});
  if (set->ledger) log::Info("encryption_ledger_opened", {{"file", set->ledger->path()}});
  if (!cfg->audit_log.empty()) {
    // The audit trail must be writable before the first record is read.
    std::string line = "{\"ts\":" + JsonStr(audit::NowUtc()) + ",\"event\":\"started\",\"policies\":[";
    for (size_t i = 0; i < policies.size(); ++i) line += (i ? "," : "") + JsonStr(policies[i]->Label());
    line += "]}";
    if (Status s = audit::AppendLine(cfg->audit_log, line); !s.ok()) return Fail(s.error(), kExitUsage);
    log::Info("audit_log_opened", {{"file", cfg->audit_log}});
  }

  pipeline::Options po;
  po.mode = eos ? pipeline::DeliveryMode::kExactlyOnce : pipeline::DeliveryMode::kAtLeastOnce;
  po.max_inflight_records = cfg->max_inflight_records;
  po.max_inflight_bytes = cfg->max_inflight_bytes;
  po.source_brokers = cfg->source_brokers;
  po.destination_brokers = cfg->destination_brokers;
  po.group_id = cfg->group_id;
  po.transactional_id = cfg->transactional_id;
  po.consumer_properties = cfg->source_properties;
  po.producer_properties = cfg->destination_properties;
  po.commit_interval_ms = cfg->commit_interval_ms;
  po.commit_max_records = cfg->commit_max_records;
  po.transaction_timeout_ms = cfg->transaction_timeout_ms;
  po.stats_interval_ms = cfg->stats_interval_ms;
  po.audit_log = cfg->audit_log;
  auto pipe = pipeline::Pipeline::Create(po, set->engine);
  if (!pipe.ok()) return Fail(pipe.error(), kExitUsage);

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  log::Info("starting", {{"config", cfg->path},
                         {"group", cfg->group_id},
                         {"mode", cfg->delivery_mode},
                         {"transactional_id", cfg->transactional_id}});
  Status st = (*pipe)->Run(g_stop);
  if (!st.ok()) {
    log::Error("stopped_on_error",
               {{"error", std::string(ErrorCodeName(st.error().code))}, {"detail", st.error().message}});
    return Fail(st.error(), kExitFailure);
  }
  log::Info("stopped");
  return kExitOk;
}

int CmdKeys(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kKeysHelp, stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string& sub = args[0];
  if (sub != "generate" && sub != "rotate") return Usage("keys: unknown command '" + sub + "'");
  std::string file;
  std::vector<std::string> names;
  bool help = false;
  std::string err = ParseFlags("keys " + sub, std::vector<std::string>(args.begin() + 1, args.end()),
                               {{{"--out", &file}, {"--keys", &file}}, {}}, &names, &help);
  if (!err.empty()) return Usage(err);
  if (help) {
    std::fputs(kKeysHelp, stdout);
    return kExitOk;
  }
  if (sub == "generate") {
    if (file.empty()) return Usage("keys generate: --out FILE is required");
    if (names.empty()) return Usage("keys generate: name at least one key");
    if (Status s = crypto::GenerateKeyringFile(file, names); !s.ok()) return Fail(s.error(), kExitFailure);
    std::fprintf(stderr, "maskproxy: wrote %zu key(s) to %s (mode 0600)\n", names.size(), file.c_str());
    return kExitOk;
  }
  if (file.empty()) return Usage("keys rotate: --keys FILE is required");
  if (names.empty()) return Usage("keys rotate: name at least one key");
  auto rotated = crypto::RotateKeyringFile(file, names);
  if (!rotated.ok()) return Fail(rotated.error(), kExitFailure);
  for (const auto& [name, ver] : *rotated)
    std::fprintf(stderr, "maskproxy: key %s: version %u is now active (older versions still decrypt)\n", name.c_str(),
                 ver);
  std::fprintf(stderr, "maskproxy: restart or reload the proxy to start using the new versions\n");
  return kExitOk;
}

int CmdPolicy(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kPolicyHelp, stdout);
    for (const auto& n : transform::ActionNames()) std::printf("%s ", n.c_str());
    std::printf("\n");
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string& sub = args[0];
  if (sub != "check" && sub != "test") return Usage("policy: unknown command '" + sub + "'");
  std::string keys_path;
  std::vector<std::string> files;
  bool help = false;
  std::string err = ParseFlags("policy " + sub, std::vector<std::string>(args.begin() + 1, args.end()),
                               {{{"--keys", &keys_path}}, {}}, &files, &help);
  if (!err.empty()) return Usage(err);
  if (help) return CmdPolicy({});
  if (keys_path.empty()) return Usage("policy " + sub + ": --keys FILE is required (rules name keys)");
  if (files.empty()) return Usage("policy " + sub + ": name at least one policy file");
  auto keys = crypto::Keyring::Load(keys_path);
  if (!keys.ok()) return Fail(keys.error(), kExitUsage);
  // Loaded as the proxy loads them (conflicts between routes, also across
  // files, included), with an in-memory encryption ledger.
  std::vector<std::shared_ptr<const policy::Policy>> policies;
  auto set = LoadPolicySet(files, *keys, PolicySetOptions{}, &policies);
  const bool ok = set.ok();
  if (!ok) std::fprintf(stderr, "%s\n", set.error().message.c_str());
  if (sub == "check") {
    for (const auto& p : policies) {
      for (const auto& w : p->warnings()) std::fprintf(stderr, "%s\n", w.c_str());
      // A file with an error (a conflict with another file) is not ok.
      if (!ok && ("\n" + set.error().message).find("\n" + p->origin() + ":") != std::string::npos) continue;
      std::printf("%s: ok (%s, %zu route(s), %zu test(s))\n", p->origin().c_str(), p->Label().c_str(),
                  p->routes().size(), p->tests().size());
    }
    return ok ? kExitOk : kExitUsage;
  }
  size_t passed = 0, failed = 0;
  for (const auto& p : policies) {
    if (p->tests().empty()) std::printf("%s: no tests\n", p->origin().c_str());
    for (const auto& o : RunPolicyTests(p, engine::Limits{})) {
      if (o.passed) {
        ++passed;
        std::printf("PASS %s:%d %s\n", p->origin().c_str(), o.line, o.name.c_str());
        continue;
      }
      ++failed;
      std::printf("FAIL %s:%d %s\n", p->origin().c_str(), o.line, o.name.c_str());
      for (const auto& d : o.diffs) {
        std::string indented = "    " + d;
        for (size_t pos = 0; (pos = indented.find('\n', pos)) != std::string::npos; pos += 5)
          indented.replace(pos, 1, "\n    ");
        std::printf("%s\n", indented.c_str());
      }
    }
  }
  std::printf("%zu passed, %zu failed\n", passed, failed);
  if (!ok) return kExitUsage;
  return failed == 0 ? kExitOk : kExitFailure;
}

// ---- reveal -------------------------------------------------------------------

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
      if (first_error.empty()) first_error = r.error().ToString();
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

// ---- mask (batch) -------------------------------------------------------------

int CmdMask(const std::vector<std::string>& args) {
  std::string policy_path, keys_path, route_name, in_path, out_path, quarantine_path, format, ledger_path;
  std::string delimiter = ",", max_bytes;
  bool help = false;
  std::string err = ParseFlags("mask", args,
                               {{{"--policy", &policy_path},
                                 {"--keys", &keys_path},
                                 {"--route", &route_name},
                                 {"--in", &in_path},
                                 {"--out", &out_path},
                                 {"--quarantine", &quarantine_path},
                                 {"--format", &format},
                                 {"--delimiter", &delimiter},
                                 {"--encryption-ledger", &ledger_path},
                                 {"--max-record-bytes", &max_bytes}},
                                {}},
                               nullptr, &help);
  if (!err.empty()) return Usage(err);
  if (help) {
    std::fputs(kMaskHelp, stdout);
    return kExitOk;
  }
  if (policy_path.empty() || keys_path.empty() || route_name.empty())
    return Usage("mask: --policy, --keys and --route are required");
  batch::BatchOptions bo;
  if (format == "jsonl" || format == "ndjson") {
    bo.format = batch::Format::kJsonLines;
  } else if (format == "csv") {
    bo.format = batch::Format::kCsv;
  } else if (!format.empty()) {
    return Usage("mask: --format must be jsonl or csv");
  } else if (!in_path.empty() && in_path != "-") {
    auto f = batch::FormatForPath(in_path);
    if (!f.ok()) return Usage("mask: cannot tell the format of " + in_path + " from its name; use --format jsonl|csv");
    bo.format = *f;
  } else {
    bo.format = batch::Format::kJsonLines;
  }
  if (delimiter.size() != 1) return Usage("mask: --delimiter must be one character");
  bo.csv_delimiter = delimiter == "\\t" ? '\t' : delimiter[0];
  engine::Limits limits;
  if (!max_bytes.empty()) {
    if (max_bytes.size() > 10 || max_bytes.find_first_not_of("0123456789") != std::string::npos ||
        std::stoull(max_bytes) == 0)
      return Usage("mask: --max-record-bytes needs a positive number");
    limits.max_record_bytes = std::stoull(max_bytes);
  }

  auto keys = crypto::Keyring::Load(keys_path);
  if (!keys.ok()) return Fail(keys.error(), kExitUsage);
  // The engine holds the policy, and the policy the encryption ledger.
  auto set = LoadPolicySet({policy_path}, *keys, {ledger_path.empty() ? keys_path + ".usage" : ledger_path, limits});
  if (!set.ok()) return Fail(set.error(), kExitUsage);
  const std::shared_ptr<const engine::Engine> eng = set->engine;
  const policy::Route* route = set->policies.front()->FindRoute(route_name);
  if (!route) return Usage("mask: no route '" + route_name + "' in " + policy_path);
  const engine::RouteRef* ref = eng->RouteFor(route);

  std::ios::sync_with_stdio(false);
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (!in_path.empty() && in_path != "-") {
    in_file.open(in_path, std::ios::binary);
    if (!in_file) return Fail(Error("io_error", "cannot read " + in_path), kExitFailure);
    in = &in_file;
  }
  // Regular files are written beside their final names and renamed on
  // success, so a failed run never leaves a file that looks complete. Anything
  // else that exists (/dev/null, a FIFO, a terminal) is written in place:
  // renaming over it would replace the device with a file.
  auto staged = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode);
  };
  const bool out_to_file = !out_path.empty() && out_path != "-";
  const bool out_staged = out_to_file && staged(out_path);
  const bool q_staged = !quarantine_path.empty() && staged(quarantine_path);
  const std::string out_target = out_staged ? out_path + ".partial" : out_path;
  const std::string q_target = q_staged ? quarantine_path + ".partial" : quarantine_path;
  std::ofstream out_file, q_file;
  std::ostream* out = &std::cout;
  if (out_to_file) {
    out_file.open(out_target, std::ios::binary | std::ios::trunc);
    if (!out_file) return Fail(Error("io_error", "cannot write " + out_target), kExitFailure);
    out = &out_file;
  }
  if (!quarantine_path.empty()) {
    if (q_staged) {
      // Quarantined records are raw: the file is private like the source
      // data, whatever a stale .partial's mode was.
      if (Status s = batch::CreatePrivateFile(q_target); !s.ok()) return Fail(s.error(), kExitFailure);
    }
    q_file.open(q_target, std::ios::binary | std::ios::trunc);
    if (!q_file) return Fail(Error("io_error", "cannot write " + q_target), kExitFailure);
  }
  auto stats = batch::MaskStream(*eng, *ref, *in, *out, quarantine_path.empty() ? nullptr : &q_file, bo);
  out->flush();
  if (q_file.is_open()) q_file.close();
  if (out_file.is_open()) out_file.close();
  if (!stats.ok() || !*out || (out_to_file && out_file.fail())) {
    if (out_staged) ::unlink(out_target.c_str());
    if (q_staged) ::unlink(q_target.c_str());
    return Fail(stats.ok() ? Error("io_error", "writing the output failed") : stats.error(), kExitFailure);
  }
  if (out_staged && ::rename(out_target.c_str(), out_path.c_str()) != 0)
    return Fail(Error("io_error", "cannot rename " + out_target + " to " + out_path), kExitFailure);
  if (q_staged && ::rename(q_target.c_str(), quarantine_path.c_str()) != 0)
    return Fail(Error("io_error", "cannot rename " + q_target + " to " + quarantine_path), kExitFailure);
  std::fprintf(stderr, "maskproxy: %llu record(s): %llu masked, %llu quarantined; %llu bytes in, %llu bytes out\n",
               static_cast<unsigned long long>(stats->records), static_cast<unsigned long long>(stats->masked),
               static_cast<unsigned long long>(stats->quarantined), static_cast<unsigned long long>(stats->bytes_in),
               static_cast<unsigned long long>(stats->bytes_out));
  if (stats->pii_scanned)
    std::fprintf(stderr, "maskproxy: scan rules protected %llu PII hit(s)\n",
                 static_cast<unsigned long long>(stats->pii_scanned));
  // The schema-drift report: fields no rule names that carried PII.
  for (const auto& [where, n] : stats->unlisted_pii)
    std::fprintf(stderr, "maskproxy: unlisted field %s carried %s in %llu record(s) (protected; add a rule)\n",
                 where.first.c_str(), where.second.c_str(), static_cast<unsigned long long>(n));
  if (!route->key_refs.empty())
    std::fprintf(stderr, "maskproxy: reversible outputs use key versions %s (keep this for reveal --keys-header)\n",
                 route->key_refs.c_str());
  return kExitOk;
}

}  // namespace

// The version of key `key_name` in a maskproxy.keys header value
// ("account:1,contact:1,phone:2", as the proxy writes it). Errors name no
// value: the header holds key names and versions only.
Result<uint32_t> VersionInKeysHeader(std::string_view header, std::string_view key_name) {
  std::optional<uint32_t> found;
  size_t b = 0;
  while (b <= header.size()) {
    size_t e = header.find(',', b);
    if (e == std::string_view::npos) e = header.size();
    std::string_view item = header.substr(b, e - b);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const size_t colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return Error("invalid_argument", "expected name:version,... (the record's maskproxy.keys header)");
    std::string_view ver = item.substr(colon + 1);
    if (ver.empty() || ver.size() > 9 || ver.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoul(std::string(ver)) == 0)
      return Error("invalid_argument",
                   "the version of '" + std::string(item.substr(0, colon)) + "' is not a positive number");
    if (item.substr(0, colon) == key_name) {
      const auto v = static_cast<uint32_t>(std::stoul(std::string(ver)));
      if (found && *found != v) return Error("invalid_argument", "key '" + std::string(key_name) + "' is named twice");
      found = v;
    }
    b = e + 1;
  }
  if (!found)
    return Error("invalid_argument", "names no version of key '" + std::string(key_name) +
                                         "' (the rule's key): is it the header of the record the value came from?");
  return *found;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kMainHelp, stderr);
    return kExitUsage;
  }
  const std::string cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kMainHelp, stdout);
    return kExitOk;
  }
  if (cmd == "--version") {
    std::printf("maskproxy %s\n", MASKPROXY_VERSION);
    return kExitOk;
  }
  if (cmd == "run") return CmdRun(rest);
  if (cmd == "keys") return CmdKeys(rest);
  if (cmd == "policy") return CmdPolicy(rest);
  if (cmd == "reveal") return CmdReveal(rest);
  if (cmd == "mask") return CmdMask(rest);
  return Usage("unknown command '" + cmd + "'");
}

}  // namespace maskproxy::app
