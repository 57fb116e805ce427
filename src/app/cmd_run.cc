// maskproxy run: the proxy until SIGTERM or SIGINT.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "admin/server.h"
#include "app/admin_handlers.h"
#include "app/audit_events.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/exit_deadline.h"
#include "app/flags.h"
#include "app/kafka_security.h"
#include "app/kms_setup.h"
#include "app/playground.h"
#include "app/playground_assets.h"
#include "app/policy_set.h"
#include "app/reload.h"
#include "audit/trail.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/text.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "pipeline/pipeline.h"
#include "policy/policy.h"
#include "reveal/authz.h"
#include "reveal/service.h"

namespace maskproxy::app {
namespace {

const char kRunHelp[] = R"(maskproxy run --config FILE [--transactional-id ID] [--log-level LEVEL]

Runs the proxy until SIGTERM or SIGINT, then commits the open transaction,
leaves the consumer group and exits 0. SIGHUP, a change of a policy file or
the keyring (reload.watch) reload them: a valid set is taken at the next
transaction boundary; an invalid one, or one whose routes write to a topic
the destination cluster does not have, is logged (reload_rejected, with each
error's file:line:col) and the running set keeps running. Startup fails (exit 2) with a message
naming the problem if the config, a policy or the keyring is invalid: an
unknown or missing key, a missing or short (< 256-bit) key, or a keyring file
that group or others can read. It fails (exit 1) if a side's brokers refuse
its TLS certificate or SASL password: the message names the side
(source/destination), the brokers and the cause. Brokers that do not answer
within 10 s are logged (kafka_probe_no_answer) and tried again.

Options:
  --config FILE            the config file (required)
  --transactional-id ID    overrides delivery.transactional_id (one per running instance)
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

// How long the start-up probe waits for each side's brokers.
constexpr int kProbeTimeoutMs = 10000;
// How long the process may take to end once the pipeline has met a fatal
// error or returned (app/exit_deadline.h): the consumer's close and the
// teardown take well under a second when the brokers answer.
constexpr std::chrono::seconds kExitDeadline{15};
// How long it may take to end after SIGTERM or SIGINT: the drain and the
// teardown (exit 0 within 30 s is what README promises; deploy/ kills at 45 s).
constexpr std::chrono::seconds kStopDeadline{40};

std::atomic<bool> g_stop{false};
std::atomic<bool> g_run_returned{false};
extern "C" void OnSignal(int) {
  g_stop.store(true);
  // The drain commits within its own budget (10 s at-least-once; a commit's
  // retries end at the stop): the process ends within kStopDeadline, before
  // a supervisor's SIGKILL (45 s in deploy/), saying which step hung.
  if (!g_run_returned.load()) {
    NoteExitStep("stop_requested");  // the drain, or a start-up call under way
    ArmExitDeadline(kStopDeadline, kExitFailure);
  }
}

std::string HostName() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return host;
}

// Writes `event` to the trail (when one is configured). The run's lifecycle
// events: a failure here stops the start (or is logged at the exit path).
Status Audit(const std::shared_ptr<audit::FileTrail>& trail, const audit::Event& event) {
  if (!trail) return Status::Ok();
  return trail->Append(event);
}

// A failure of `run` once the log format is known. Text: the one line
// "maskproxy: <message>" every command prints. JSON: one log object (the
// event, e.g. start_failed, admin_listen_failed, fatal_error; the error code,
// the exit code, the message), so that a pipeline reading JSON lines sees it.
int RunFail(const Error& e, int code, std::string_view event) {
  if (log::GetFormat() != log::Format::kJson) return Fail(e, code);
  log::Error(event,
             {{"code", std::string(ErrorCodeName(e.code))}, {"exit", std::to_string(code)}, {"detail", e.message}});
  return code;
}

// The exit path: fenced or fatal_exit, then stop, then the final checkpoint
// (FileTrail::Close). Returns `code`, or kExitFailure for a clean stop the
// trail could not record (found by review: exit 0 while `audit verify`
// read the trail's end as a crash; the exit code and the trail agree now).
int AuditExit(const std::shared_ptr<audit::FileTrail>& trail, const Error* error, const std::string& reason, int code) {
  if (!trail) return code;
  if (error != nullptr) {
    const bool fenced = error->message.find("fenced") != std::string::npos;
    audit::Event e{.type = fenced ? audit::EventType::kFenced : audit::EventType::kFatalExit, .fields = {}};
    e.Add("code", std::string(ErrorCodeName(error->code))).Add("exit", int64_t{code});
    if (Status s = trail->Append(e); !s.ok())
      log::Error("audit_failed", {{"event", std::string(audit::EventTypeName(e.type))}, {"detail", s.error().message}});
  }
  audit::Event stop{.type = audit::EventType::kStop, .fields = {}};
  stop.Add("reason", reason).Add("exit", int64_t{code});
  bool recorded = true;
  if (Status s = trail->Append(stop); !s.ok()) {
    log::Error("audit_failed", {{"event", "stop"}, {"detail", s.error().message}});
    recorded = false;
  }
  if (Status s = CloseTrailReportingAnchor(*trail, /*as_log=*/true); !s.ok()) {
    log::Error("audit_failed", {{"event", "checkpoint"}, {"detail", s.error().message}});
    recorded = false;
  }
  if (!recorded && code == kExitOk) {
    log::Error("stop_not_audited",
               {{"detail",
                 "the audit trail could not record this stop: `audit verify` reads its end as unclean; "
                 "exit 1"}});
    return kExitFailure;
  }
  return code;
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
  if (!log::ParseLevel(cfg->log_level, &lvl)) return Usage("unknown log level" + text::Shown(cfg->log_level));
  log::SetLevel(lvl);
  log::Format fmt;
  if (!log::ParseFormat(cfg->log_format, &fmt)) return Usage("unknown log format" + text::Shown(cfg->log_format));
  log::SetFormat(fmt);
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

  // The audit trail opens first: nothing the proxy does goes unrecorded, and
  // a trail that cannot be opened (or does not verify) stops the start.
  std::shared_ptr<audit::FileTrail> trail;
  if (!cfg->audit.file.empty()) {
    auto opened = audit::FileTrail::Open({cfg->audit.file, cfg->audit.key_file, cfg->audit.checkpoint_every});
    if (!opened.ok()) return RunFail(opened.error(), kExitUsage, "start_failed");
    trail = std::move(*opened);
    log::Info("audit_trail_opened", {{"file", cfg->audit.file}, {"seq", std::to_string(trail->last_seq())}});
  }
  // A failure after the trail is open is recorded (fatal_exit, stop) first.
  auto fail = [&trail](const Error& e, int code, const char* reason = "start_failed") {
    int rc = RunFail(e, code, reason);
    return AuditExit(trail, &e, reason, rc);
  };
  const std::string config_hash = FileSha256(cfg->path);
  {
    audit::Event start{.type = audit::EventType::kStart, .fields = {}};
    start.Add("version", std::string(MASKPROXY_VERSION))
        .Add("host", HostName())
        .Add("pid", static_cast<int64_t>(getpid()))
        .Add("group", cfg->group_id)
        .Add("transactional_id", cfg->transactional_id)
        .Add("mode", cfg->delivery_mode)
        .Add("config_hash", config_hash);
    audit::Event loaded{.type = audit::EventType::kConfigLoaded, .fields = {}};
    loaded.Add("file", cfg->path).Add("hash", config_hash);
    for (const audit::Event* e : {&start, &loaded})
      if (Status s = Audit(trail, *e); !s.ok()) return fail(s.error(), kExitFailure);
  }

  // The KMS (kms:) unwraps the keyring's wrapped data keys, here and on every
  // reload; unreachable now means no start (exit 1, naming the KMS and why).
  auto kms = KmsFromConfig(cfg->kms);
  if (!kms.ok()) return fail(kms.error(), kExitUsage);
  auto keys = crypto::Keyring::LoadFiles(cfg->keyring_files, kms->get());
  if (!keys.ok()) {
    const ErrorCode code = keys.error().code;
    const bool kms_failed =
        code == ErrorCode::kKmsUnreachable || code == ErrorCode::kKmsDenied || code == ErrorCode::kKmsFailed;
    if (kms_failed) log::Error("kms_unwrap_failed", {{"error", std::string(ErrorCodeName(code))}});
    return fail(keys.error(), kms_failed ? kExitFailure : kExitUsage);
  }
  // The audit key is kept apart from the data keys: material shared with it
  // is refused here and on every reload.
  std::vector<crypto::VersionFingerprint> audit_material;
  if (trail) audit_material = trail->key_fingerprints();
  if (Status s = RefuseReservedMaterial(*keys, audit_material); !s.ok()) return fail(s.error(), kExitUsage);
  std::unique_ptr<KmsMonitor> kms_monitor;
  if (*kms) {
    size_t wrapped = 0;
    for (const auto& name : keys->Names()) wrapped += keys->Find(name)->wrapped.size();
    log::Info("kms_keys_unwrapped", {{"kms", (*kms)->client().address()}, {"versions", std::to_string(wrapped)}});
    kms_monitor = KmsMonitor::Start(*kms, cfg->kms.probe_interval_s);
  }
  if (Status s = Audit(trail, KeysLoadedEvent(cfg->keyring_file, cfg->keyring_files, *keys, "start")); !s.ok())
    return fail(s.error(), kExitFailure);
  // The engine holds the policies, and they hold the encryption ledger.
  auto set = LoadPolicySet(
      cfg->policy_files, *keys,
      {cfg->encryption_ledger, {cfg->max_record_bytes, static_cast<uint32_t>(cfg->max_json_depth)}, nullptr});
  if (!set.ok()) {
    // A policy set refused at start is recorded as a reload's would be.
    std::vector<std::string> errors;
    for (size_t b = 0, e; b <= set.error().message.size(); b = e + 1) {
      e = set.error().message.find('\n', b);
      if (e == std::string::npos) e = set.error().message.size();
      if (e > b) errors.push_back(set.error().message.substr(b, e - b));
    }
    audit::Event rejected{.type = audit::EventType::kPolicyRejected, .fields = {}};
    rejected.Add("trigger", "start").Add("error", std::string(ErrorCodeName(set.error().code))).Add("errors", errors);
    if (Status s = Audit(trail, rejected); !s.ok()) log::Error("audit_failed", {{"event", "policy_rejected"}});
    return fail(set.error(), kExitUsage);
  }
  LogPolicyWarnings(*set, "start");
  // A reload rejects a set whose embedded tests fail; at start the set runs
  // (refusing it would stop every replica at its next restart), said loudly
  // (a review: a start loaded such a policy without a word).
  if (Status t = CheckPolicyTests(*set, {cfg->max_record_bytes, static_cast<uint32_t>(cfg->max_json_depth)}); !t.ok())
    log::Warn("policy_tests_failed", {{"trigger", "start"},
                                      {"detail", t.error().message},
                                      {"action",
                                       "fix the policy or its tests: a reload of these files is refused "
                                       "until they pass (maskproxy policy test shows the differences)"}});
  if (Status s = Audit(trail, PolicyLoadedEvent(*set)); !s.ok()) return fail(s.error(), kExitFailure);
  const std::vector<std::shared_ptr<const policy::Policy>>& policies = set->policies;
  for (const auto& p : policies)
    log::Info("policy_loaded",
              {{"file", p->origin()}, {"policy", p->Label()}, {"routes", std::to_string(p->routes().size())}});
  if (set->ledger) log::Info("encryption_ledger_opened", {{"file", set->ledger->path()}});
  pipeline::Options po;
  po.mode = eos ? pipeline::DeliveryMode::kExactlyOnce : pipeline::DeliveryMode::kAtLeastOnce;
  po.max_inflight_records = cfg->max_inflight_records;
  po.max_inflight_bytes = cfg->max_inflight_bytes;
  po.source_brokers = cfg->source_brokers;
  po.destination_brokers = cfg->destination_brokers;
  po.group_id = cfg->group_id;
  po.transactional_id = cfg->transactional_id;
  // Security (source.security / destination.security): every client of a
  // side (consumer; producer and the topic-limits admin client) gets the
  // same settings. Each side is probed once the admin listener is up (below),
  // so that a refused certificate or password stops the start with a message
  // naming it. A reload reads and checks them the same way (reload.cc).
  auto client_props = ClientProperties(*cfg);
  if (!client_props.ok()) return fail(client_props.error(), kExitUsage);
  po.consumer_properties = std::move(client_props->consumer);
  po.producer_properties = std::move(client_props->producer);
  po.commit_interval_ms = cfg->commit_interval_ms;
  po.commit_max_records = cfg->commit_max_records;
  po.commit_policy = cfg->commit_policy == "eager" ? pipeline::CommitPolicy::kEager : pipeline::CommitPolicy::kInterval;
  po.transaction_timeout_ms = cfg->transaction_timeout_ms;
  po.stats_interval_ms = cfg->stats_interval_ms;
  po.workers = cfg->workers > 0 ? cfg->workers : pipeline::DefaultWorkers();
  po.audit = trail;
  po.audit_topic = cfg->audit.topic;
  // A fatal error bounds the rest of the process's life from the moment the
  // pipeline meets it: the consumer's close and every teardown after it.
  po.on_error_stop = [](const Status&) {
    NoteExitStep("pipeline_stop");
    ArmExitDeadline(kExitDeadline, kExitFailure);
  };
  auto pipe = pipeline::Pipeline::Create(po, set->engine);
  if (!pipe.ok()) return fail(pipe.error(), kExitUsage);
  metrics::SetBuildInfo({{"version", MASKPROXY_VERSION}});

  // Reloads (SIGHUP, a change of a policy file or the keyring, POST /reload)
  // validate the new set completely and hand it to the pipeline, which takes
  // it at a transaction boundary; a rejected set leaves the running one.
  pipeline::Pipeline* running = pipe->get();
  auto reloader = Reloader::Create(
      {cfg->policy_files,
       cfg->keyring_file,
       cfg->encryption_ledger,
       {cfg->max_record_bytes, static_cast<uint32_t>(cfg->max_json_depth)},
       trail,
       cfg->keyring_files,
       kms->get(),
       // A new output topic must exist before a reload may write to it.
       // Asked for 1.5 s at most, within the 2 s POST /reload waits for its
       // answer (no answer: rejected, the brokers named as unreachable).
       [running](const std::set<std::string>& topics) { return running->UnavailableTopics(topics, 1500); },
       audit_material,
       cfg->reload_watch_removes_protections,
       // The config file is read again on each reload: the reveal roles
       // applied, other changed settings reported as needing a restart.
       std::make_shared<const Config>(*cfg)},
      *set, *keys, [running](std::shared_ptr<const engine::Engine> e) { running->SwapEngine(std::move(e)); });
  if (!reloader.ok()) return fail(reloader.error(), kExitFailure);
  std::vector<std::string> watched = cfg->policy_files;
  for (const auto& f : cfg->keyring_files) watched.push_back(f.path);
  // An edit of the config file reloads too: a reveal role revoked there
  // takes effect without a signal.
  watched.push_back(cfg->path);
  auto triggers = ReloadTriggers::Start(reloader->get(), watched, cfg->reload_watch);
  if (!triggers.ok()) return fail(triggers.error(), kExitFailure);

  // The admin listener starts before the brokers are probed and before the
  // pipeline runs, so that /livez answers (and /readyz says what is
  // missing) while the brokers do not answer yet and the consumer joins.
  // It is declared after the pipeline, so it stops before the pipeline goes.
  std::unique_ptr<admin::Server> admin_server;
  if (cfg->admin.enabled) {
    admin::Options ao;
    ao.listen = cfg->admin.listen;
    ao.allowed_hosts = cfg->admin.allowed_hosts;
    ao.tls = {cfg->admin.tls_cert_file, cfg->admin.tls_key_file, cfg->admin.tls_client_ca_file};
    admin::Handlers h;
    h.operators = cfg->admin.operators;
    if (h.operators.empty() && !cfg->admin.tls_client_ca_file.empty() && cfg->reveal.enabled)
      log::Warn("admin_operators_unset",
                {{"detail",
                  "every client certificate of admin.tls.client_ca_file, reveal roles included, may reload, "
                  "change the log level and read the config dump: list who may in admin.operators"}});
    const pipeline::Pipeline* pipe_ptr = pipe->get();
    h.metrics = [] { return metrics::Global().Render(); };
    const KmsMonitor* kms_mon = kms_monitor.get();
    const Reloader* reloading = reloader->get();
    h.ready = [pipe_ptr, kms_mon, reloading] {
      admin::ReadyReport rep = ReadyFromHealth(pipe_ptr->GetHealth(), /*policies_loaded=*/true);
      // The keys are in memory and records are masked: degraded, not unready
      // (docs/OPERATIONS.md, "Keys in a KMS").
      if (kms_mon && !kms_mon->up()) rep.degraded.push_back({"kms_unreachable", {}, kms_mon->detail()});
      // The running set is good; the files on disk are not what runs, and
      // the next start loads them (docs/OPERATIONS.md, "Readiness").
      if (std::optional<Reloader::Rejection> r = reloading->files_rejected())
        rep.degraded.push_back({"policy_files_rejected", {}, PolicyFilesRejectedDetail(*r)});
      return rep;
    };
    Reloader* rl = reloader->get();
    h.config_dump = [&cfg, rl] {
      Reloader::Running now = rl->running();
      return ConfigDumpJson(*cfg, now.policies, *now.keys);
    };
    // 200 with what changed (or "unchanged"); 422 with every error as
    // file:line:col when the new set was rejected (the running one stays).
    // Through the trigger thread: a file still open for writing (a policy
    // written in place) is not read half-written; 202 then, and the reload
    // runs once it is closed (app/reload.h, ReloadTriggers).
    ReloadTriggers* trig = triggers->get();
    h.reload = [trig] {
      std::optional<ReloadResult> r = trig->Request(std::chrono::seconds(2));
      if (!r) {
        return admin::ReloadReply{
            202, R"({"result":"queued","trigger":"http","detail":"a watched file is open for writing: the reload )"
                 R"(runs when it is closed, and is rejected (file_still_being_written) if its writer still holds it )"
                 R"(30 s after this request; having waited, it confirms no protection removal"})"};
      }
      return admin::ReloadReply{r->ok() ? 200 : 422, r->ToJson()};
    };
    // POST /v1/reveal (reveal/service.h): roles from reveal:, the running
    // policies, every request in the trail (no trail: refused at start).
    if (cfg->reveal.enabled) {
      if (!trail)
        return fail(Error(ErrorCode::kConfigInvalid,
                          "reveal.enabled needs the audit trail (audit: {file, key_file}): "
                          "every reveal is audited there"),
                    kExitUsage);
      auto authz = reveal::Authorizer::Create(cfg->reveal.authz);
      if (!authz.ok()) return fail(authz.error(), kExitUsage);
      auto service = reveal::Service::Create(
          std::move(*authz), [rl] { return rl->running().policies; }, trail);
      if (!service.ok()) return fail(service.error(), kExitUsage);
      std::shared_ptr<reveal::Service> svc = std::move(*service);
      // A reload applies the reveal: section's roles, grants and limits
      // (app/reload.h): the next request is decided by them.
      rl->SetRevealSwap(cfg->reveal.authz, [svc](std::unique_ptr<reveal::Authorizer> next) {
        if (Status s = svc->ReplaceAuthorizer(std::move(next)); !s.ok())
          log::Error("reveal_roles_not_replaced", {{"detail", s.error().message}});
      });
      for (const std::string& w : reveal::GrantWarnings(cfg->reveal.authz, policies))
        log::Warn("reveal_grant_unmatched", {{"grant", w}, {"trigger", "start"}});
      h.reveal = [svc](const admin::RequestContext& ctx, std::string_view body) {
        reveal::ServiceReply r = svc->Handle({ctx.tls, ctx.client_verified, ctx.subject, ctx.peer_address}, body);
        return admin::RevealReply{r.status, std::move(r.body), r.retry_after_s};
      };
      ao.max_body_bytes = std::max(ao.max_body_bytes, cfg->reveal.max_body_bytes);
      log::Info("reveal_service_enabled", {{"roles", std::to_string(cfg->reveal.authz.roles.size())}});
    }
    // The policy playground (admin.playground): the page and the dry run,
    // with throwaway keys (app/playground.h); the loaded keyring lends only
    // its key names and version numbers.
    if (cfg->admin.playground.enabled) {
      const Config::Admin::Playground pg = cfg->admin.playground;
      const engine::Limits limits{cfg->max_record_bytes, static_cast<uint32_t>(cfg->max_json_depth)};
      const std::vector<std::string> files = cfg->policy_files;
      h.evaluate = [rl, pg, limits, files](std::string_view body, bool operator_client) {
        PlaygroundOptions options{static_cast<size_t>(pg.max_events), limits, files, KeyShapes(*rl->running().keys),
                                  operator_client};
        PlaygroundReply r = EvaluatePolicy(body, options);
        log::Debug("playground_evaluated", {{"status", std::to_string(r.status)}});
        return admin::EvaluateReply{r.status, std::move(r.json_body)};
      };
      h.loaded_policies = [files] { return LoadedPoliciesJson(files); };
      h.playground_asset = [](std::string_view name) { return PlaygroundAsset(name); };
      ao.path_body_limits.emplace_back("/v1/policy/evaluate", pg.max_body_bytes);
      log::Info("playground_enabled", {{"max_events", std::to_string(pg.max_events)},
                                       {"max_body_bytes", std::to_string(pg.max_body_bytes)},
                                       {"keys", "throwaway"}});
    }
    auto server = admin::Server::Create(ao, std::move(h));
    if (!server.ok()) return fail(server.error(), kExitUsage, "admin_listen_failed");
    admin_server = std::move(*server);
  } else {
    log::Info("admin_disabled");
  }

  // Deadlines on the way out (exit_deadline.h): armed by a stop signal, a
  // fatal error, the pipeline's return.
  StartExitWatch();
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  // A refused certificate or password is final: exit. Brokers that do not
  // answer yet are not (a sidecar may start first): librdkafka keeps trying
  // and readiness says so. SIGTERM during the probes ends the start cleanly.
  for (auto [side, brokers, props] : {std::tuple{"source", &po.source_brokers, &po.consumer_properties},
                                      std::tuple{"destination", &po.destination_brokers, &po.producer_properties}}) {
    if (g_stop.load()) break;
    Status s = pipeline::ProbeBrokers(side, *brokers, *props, kProbeTimeoutMs, &g_stop);
    if (s.ok() || g_stop.load()) continue;
    if (s.error().code == ErrorCode::kConfigInvalid) return fail(s.error(), kExitUsage);
    if (s.error().code != ErrorCode::kKafkaUnreachable) return fail(s.error(), kExitFailure);
    log::Warn("kafka_probe_no_answer", {{"side", side}, {"detail", s.error().message}});
  }
  if (g_stop.load()) {
    if (admin_server) admin_server->Stop();
    log::Info("stopped", {{"detail", "a stop was requested during start-up"}});
    return AuditExit(trail, nullptr, "signal", kExitOk);
  }

  log::Info("starting", {{"config", cfg->path},
                         {"group", cfg->group_id},
                         {"mode", cfg->delivery_mode},
                         {"transactional_id", cfg->transactional_id}});
  Status st = (*pipe)->Run(g_stop);
  // From here the process ends within kExitDeadline (or earlier, if the
  // pipeline met a fatal error or a stop was asked for): app/exit_deadline.h.
  g_run_returned.store(true);
  ArmExitDeadline(kExitDeadline, st.ok() ? kExitOk : kExitFailure);
  NoteExitStep("admin_listener");
  if (admin_server) admin_server->Stop();
  int code = kExitOk;
  if (!st.ok()) {
    log::Error("stopped_on_error",
               {{"error", std::string(ErrorCodeName(st.error().code))}, {"detail", st.error().message}});
    NoteExitStep("audit_trail");
    code = fail(st.error(), kExitFailure, "fatal_error");
  } else {
    log::Info("stopped");
    NoteExitStep("audit_trail");
    code = AuditExit(trail, nullptr, "signal", kExitOk);
  }
  // The teardown, in an order that names each step if one hangs: the reload
  // thread first (a reload hands engines to the pipeline), then the
  // pipeline's Kafka clients (rd_kafka_destroy).
  NoteExitStep("reload_triggers");
  triggers->reset();
  NoteExitStep("kafka_clients");
  pipe->reset();
  NoteExitStep("exit");
  return code;
}

}  // namespace maskproxy::app
