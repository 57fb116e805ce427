#include "app/cli.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app/config.h"
#include "common/log.h"
#include "crypto/keyring.h"
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

Consumes raw Kafka topics, masks personal data in JSON record values as a YAML
policy says (tokenize, mask, redact), and produces the result to analytics
topics in Kafka transactions (exactly once). Records that cannot be masked go
to the route's dead-letter topic, never to the destination.

Usage:
  maskproxy run --config FILE [options]    run the proxy (see: maskproxy run --help)
  maskproxy policy check --keys FILE POLICY...
                                           validate policy files against a keyring
  maskproxy keys generate --out FILE NAME...
                                           create a keyring with a new 256-bit key per NAME
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

Every produced record keeps the source key, headers, timestamp and key-based
partitioning (murmur2, as Java clients), and gets two headers:
  maskproxy.policy   policy name@version#hash that masked it
  maskproxy.origin   source topic:partition:offset
Dead letters carry the raw record (keep that topic as restricted as the source)
plus maskproxy.dlq.reason (a code such as invalid_json) and maskproxy.dlq.detail
(a message that never contains the value).

)";

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

int CmdRun(const std::vector<std::string>& args) {
  std::string config_path, txn_id, level;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kRunHelp, stdout);
      std::fputs(kConfigHelp, stdout);
      return kExitOk;
    } else if (a == "--config") {
      if (!value(&config_path)) return Usage("--config needs a file");
    } else if (a == "--transactional-id") {
      if (!value(&txn_id)) return Usage("--transactional-id needs a value");
    } else if (a == "--log-level") {
      if (!value(&level)) return Usage("--log-level needs a value");
    } else {
      return Usage("run: unknown argument '" + a + "'");
    }
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
  std::vector<std::shared_ptr<const policy::Policy>> policies;
  for (const auto& f : cfg->policy_files) {
    auto p = policy::Policy::Load(f, *keys);
    if (!p.ok()) return Fail(p.error(), kExitUsage);
    log::Info("policy_loaded",
              {{"file", f}, {"policy", (*p)->Label()}, {"routes", std::to_string((*p)->routes().size())}});
    policies.push_back(std::move(p).value());
  }
  engine::Limits limits{cfg->max_record_bytes, static_cast<uint32_t>(cfg->max_json_depth)};
  auto eng = engine::Engine::Create(std::move(policies), limits);
  if (!eng.ok()) return Fail(eng.error(), kExitUsage);

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
  auto pipe = pipeline::Pipeline::Create(po, *eng);
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
    log::Error("stopped_on_error", {{"error", st.error().code}, {"detail", st.error().message}});
    return Fail(st.error(), kExitFailure);
  }
  log::Info("stopped");
  return kExitOk;
}

int CmdKeys(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(
        "maskproxy keys generate --out FILE NAME...\n\n"
        "Creates FILE (mode 0600; refuses to overwrite) with a new random 256-bit key,\n"
        "version 1, for each NAME. Key material is never printed.\n",
        stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] != "generate") return Usage("keys: unknown command '" + args[0] + "'");
  std::string out;
  std::vector<std::string> names;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--out" && i + 1 < args.size()) {
      out = args[++i];
    } else if (!args[i].empty() && args[i][0] == '-') {
      return Usage("keys generate: unknown option '" + args[i] + "'");
    } else {
      names.push_back(args[i]);
    }
  }
  if (out.empty()) return Usage("keys generate: --out FILE is required");
  if (names.empty()) return Usage("keys generate: name at least one key");
  if (Status s = crypto::GenerateKeyringFile(out, names); !s.ok()) return Fail(s.error(), kExitFailure);
  std::fprintf(stderr, "maskproxy: wrote %zu key(s) to %s (mode 0600)\n", names.size(), out.c_str());
  return kExitOk;
}

int CmdPolicy(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(
        "maskproxy policy check --keys FILE POLICY...\n\n"
        "Validates each policy file (routes, paths, actions, options, key names)\n"
        "against the keyring and prints every error as file:line:column: message.\n"
        "Actions: ",
        stdout);
    for (const auto& n : transform::ActionNames()) std::printf("%s ", n.c_str());
    std::printf("\n");
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] != "check") return Usage("policy: unknown command '" + args[0] + "'");
  std::string keys_path;
  std::vector<std::string> files;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--keys" && i + 1 < args.size())
      keys_path = args[++i];
    else if (!args[i].empty() && args[i][0] == '-')
      return Usage("policy check: unknown option '" + args[i] + "'");
    else
      files.push_back(args[i]);
  }
  if (keys_path.empty()) return Usage("policy check: --keys FILE is required (rules name keys)");
  if (files.empty()) return Usage("policy check: name at least one policy file");
  auto keys = crypto::Keyring::Load(keys_path);
  if (!keys.ok()) return Fail(keys.error(), kExitUsage);
  int rc = kExitOk;
  for (const auto& f : files) {
    auto p = policy::Policy::Load(f, *keys);
    if (!p.ok()) {
      std::fprintf(stderr, "%s\n", p.error().message.c_str());
      rc = kExitUsage;
    } else {
      std::printf("%s: ok (%s, %zu route(s))\n", f.c_str(), (*p)->Label().c_str(), (*p)->routes().size());
    }
  }
  return rc;
}

}  // namespace

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
  return Usage("unknown command '" + cmd + "'");
}

}  // namespace maskproxy::app
