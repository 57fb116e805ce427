// maskproxy run: the proxy until SIGTERM or SIGINT.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/config.h"
#include "app/flags.h"
#include "app/policy_set.h"
#include "codec/json.h"
#include "common/audit.h"
#include "common/log.h"
#include "common/metrics.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "pipeline/pipeline.h"
#include "policy/policy.h"

namespace maskproxy::app {
namespace {

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

std::atomic<bool> g_stop{false};
extern "C" void OnSignal(int) {
  g_stop.store(true);
}

// A JSON string literal of `s` (for audit lines; s is never a value).
std::string JsonStr(std::string_view s) {
  std::string out;
  codec::AppendJsonString(codec::IsValidUtf8(s) ? s : std::string_view("(invalid UTF-8)"), &out);
  return out;
}

}  // namespace

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
  metrics::SetBuildInfo({{"version", MASKPROXY_VERSION}});

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

}  // namespace maskproxy::app
