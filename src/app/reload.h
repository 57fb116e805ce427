// Reload without a restart: the policies and the keyring are read again,
// validated completely by the code `maskproxy policy check` runs
// (LoadPolicySet, Keyring::Load), and a good set is handed to the running
// pipeline (Pipeline::SwapEngine), which takes it at a transaction boundary.
// A set with any error, or whose embedded tests (`tests:`) fail, is
// rejected: the running one keeps running, every error is logged
// (`reload_rejected`, file:line:col messages that never contain a value),
// audited and counted (maskproxy_reloads_total{result}), and the proxy
// stays ready, degraded (maskproxy_policy_files_rejected 1, /readyz's
// `policy_files_rejected`) until a reload succeeds or finds the files back
// to what runs: the next start loads the files on disk.
//
// The config file is read and validated again too (Config::Load, as at
// start; an error rejects the reload): the `reveal:` roles, grants and
// limits are applied (a new reveal::Authorizer handed to the running
// reveal service, SetRevealSwap), every other setting that differs from
// what runs is reported (ReloadResult::restart_required) and logged, never
// applied.
//
// Triggers: Reloader::ReloadNow (the admin endpoint's POST /reload), SIGHUP
// and a watch on the files (ReloadTriggers below).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "app/config.h"
#include "app/policy_set.h"
#include "audit/audit.h"
#include "common/result.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "engine/engine.h"
#include "reveal/authz.h"

namespace maskproxy::app {

struct ReloadOptions {
  std::vector<std::string> policy_files;
  std::string keyring_file;
  std::string ledger_path;  // the encryption ledger file (see PolicySetOptions)
  engine::Limits limits;
  // The audit trail (null: none): policy_reloaded (and keys_loaded when the
  // keys changed) before a new set is handed over; policy_rejected for a
  // rejected one. A reload whose event cannot be written is rejected
  // (audit_failed): the running set stays.
  std::shared_ptr<audit::Sink> audit;
  // Key custody: the files of a split keyring; when set, loaded
  // (crypto::Keyring::LoadFiles) instead of keyring_file.
  std::vector<crypto::KeyringFile> keyring_files;
  // Unwraps the keyring's KMS-wrapped versions (null: none configured). Must
  // outlive the Reloader. An unreachable KMS rejects the reload of a keyring
  // with a new wrapped version; the versions unwrapped before are kept in
  // memory (kms::TransitKeyring), so other reloads still work.
  const crypto::KeyWrapper* kms = nullptr;
  // The output topics a new set writes to that the running one does not
  // (destination and dead-letter topics of its routes) are asked of the
  // destination cluster (`run`: Pipeline::UnavailableTopics): a set with one
  // the cluster cannot take records for (it does not exist, or no broker
  // answered) is rejected (output_topic_unavailable, naming the topic and
  // the route at file:line:col): the running set stays, and with it every
  // route's transactions. Empty: not checked (tests, tools).
  std::function<std::map<std::string, std::string>(const std::set<std::string>& topics)> unavailable_topics = nullptr;
  // Key versions whose material no data key may share (the audit key's,
  // audit::FileTrail::key_fingerprints): a reload of a keyring that holds
  // one is rejected (crypto::RefuseSharedMaterial).
  std::vector<crypto::VersionFingerprint> reserved_material = {};
  // A reload a file change started (trigger "inotify") that would remove a
  // protection (ReloadResult::rules_removed) is rejected
  // (protection_removal_unconfirmed) unless this is set
  // (reload.watch_removes_protections): a file written in two steps (`>`
  // then `>>`) is valid YAML without its last rules in between, and its
  // first half must not run. SIGHUP and POST /reload are an operator's
  // confirmation and apply it, but for one that had to wait for a writer
  // (ReloadTriggers): it was asked for before the content was written, and
  // is rejected likewise unless this is set.
  bool watch_removes_protections = false;
  // The config file as `run` parsed it at start (null: not read again). On
  // each reload its file (config->path) is loaded and validated again
  // (Config::Load): an error rejects the reload; settings that differ from
  // these are listed in ReloadResult::restart_required, but for the reveal
  // roles, grants and limits while a reveal service runs (SetRevealSwap),
  // which are applied.
  std::shared_ptr<const Config> config = nullptr;
};

// What one reload did.
struct ReloadResult {
  enum class Outcome {
    kSwapped,    // a new set was handed to the pipeline, or new reveal roles to the reveal service
    kUnchanged,  // same policies (hashes), key versions and reveal roles: nothing swapped
    kRejected,   // an error: the running set keeps running
  };
  struct PolicyChange {
    std::string file;
    std::string old_label;  // name@version#hash; empty: the file is new
    std::string new_label;  // empty: the file was removed
  };
  Outcome outcome = Outcome::kRejected;
  std::string trigger;                    // "http", "sighup", "inotify", ...
  std::vector<PolicyChange> policies;     // only the files whose policy changed
  std::vector<std::string> routes_added;  // route names (source topics or patterns)
  std::vector<std::string> routes_removed;
  // Protections the new set no longer applies, on routes that stay: "ROUTE:
  // PATH (ACTION)" for a rule removed, "ROUTE: PATH (ACTION -> keep)" for
  // one that now keeps its value, "ROUTE: PATH (tokenize -> mask)" for one
  // whose action leaves more readable, "ROUTE: $scan.DETECTOR (ACTION ->
  // off)" for a scan detector turned off or deleted. Logged as a warning and audited: a
  // truncated or careless edit shows here.
  std::vector<std::string> rules_removed;
  std::vector<std::string> keys_changed;  // "rrn: active 1 -> 2", "contact: added", ...
  // The reveal roles and limits now applied ("role 'analyst': removed",
  // "role 'fraud': added", "role 'ops': changed",
  // "rate_limit.requests_per_minute: 60 -> 30"): a new authorizer decides
  // the next reveal request.
  std::vector<std::string> reveal_changed;
  // Config settings ("source.brokers", "admin.listen", "policies", ...)
  // that differ from what runs and that only a restart applies: not applied.
  std::vector<std::string> restart_required;
  // Grants the loaded policies cannot answer (reveal::GrantWarnings): a
  // warning, not an error.
  std::vector<std::string> warnings;
  std::vector<std::string> errors;  // each "file:line:col: message" (rejected)
  std::string error_code;           // the first error's code (rejected)

  [[nodiscard]] bool ok() const { return outcome != Outcome::kRejected; }
  [[nodiscard]] const char* OutcomeName() const;
  // {"result":"swapped|unchanged|rejected","trigger":...,"policies":[{"file","old","new"}],
  //  "routes_added":[...],"routes_removed":[...],"rules_removed":[...],"keys_changed":[...],
  //  "reveal_changed":[...],"restart_required":[...],"warnings":[...],"errors":[...]}
  [[nodiscard]] std::string ToJson() const;
};

// The reload coordinator: one reload at a time (concurrent calls wait).
class Reloader {
 public:
  using SwapFn = std::function<void(std::shared_ptr<const engine::Engine>)>;

  // `running` is the set the proxy started with (its ledger is reused by
  // every reload: the file is opened and locked once); `keys` the keyring it
  // was compiled with; `swap` hands a new engine to the pipeline.
  [[nodiscard]] static Result<std::unique_ptr<Reloader>> Create(ReloadOptions options, const PolicySet& running,
                                                                const crypto::Keyring& keys, SwapFn swap);

  // Reads and validates everything again; swaps a good, changed set. A set
  // whose embedded tests (`tests:`) fail is rejected (policy_tests_failed),
  // when a policy file changed. `confirms_removal`: whether the caller
  // confirms a set that would remove protections (ReloadResult::
  // rules_removed); without it such a set is rejected
  // (protection_removal_unconfirmed), unless
  // ReloadOptions::watch_removes_protections. The one-argument form confirms
  // for every trigger but "inotify" (a file change); ReloadTriggers passes
  // false for
  // a SIGHUP or POST /reload that had to wait for a writer: it was asked for
  // before the content it would confirm was written.
  [[nodiscard]] ReloadResult ReloadNow(std::string_view trigger);
  [[nodiscard]] ReloadResult ReloadNow(std::string_view trigger, bool confirms_removal);

  // Records a reload asked for by `trigger` as rejected with `error`
  // without reading anything (ReloadTriggers: a file still open for
  // writing when the writer timeout passed): logged (reload_rejected),
  // audited (policy_rejected), counted, and the running set stays.
  [[nodiscard]] ReloadResult Refuse(std::string_view trigger, const Error& error);

  // The last rejected reload, while no reload has succeeded (swapped or
  // unchanged) since: the files on disk (policies, keyring, config) are not
  // what runs, and the next start loads them. Also the gauge
  // maskproxy_policy_files_rejected (1 while set) and /readyz's degraded
  // `policy_files_rejected` (cmd_run.cc).
  struct Rejection {
    std::string trigger;
    std::string error_code;
    std::string first_error;  // file:line:col: message (never a value)
  };
  [[nodiscard]] std::optional<Rejection> files_rejected() const;

  // The engine last handed over (or the one the proxy started with).
  [[nodiscard]] std::shared_ptr<const engine::Engine> engine() const;

  // The running policies and the keyring they were compiled with (for
  // /config_dump, which prints key names and versions only).
  struct Running {
    std::vector<std::shared_ptr<const policy::Policy>> policies;
    std::shared_ptr<const crypto::Keyring> keys;
  };
  [[nodiscard]] Running running() const;

  // The running reveal service's roles (`running`, as the config gave them
  // at start) and how a reload hands it new ones. Until set (no reveal
  // service), the `reveal:` section is one more setting a restart applies.
  using RevealSwapFn = std::function<void(std::unique_ptr<reveal::Authorizer>)>;
  void SetRevealSwap(reveal::AuthzOptions running, RevealSwapFn swap);

 private:
  struct KeyState {
    uint32_t active = 0;
    std::vector<uint32_t> versions;
    bool operator==(const KeyState&) const = default;
  };
  // A key version's material never changes: every (name, version) loaded
  // since start -> its fingerprint; a reload that gives one of them other
  // material is rejected (crypto::KeyFingerprint).
  using SeenMaterial = std::map<std::pair<std::string, uint32_t>, std::string>;
  Reloader(ReloadOptions options, SwapFn swap) : options_(std::move(options)), swap_(std::move(swap)) {}
  static std::map<std::string, KeyState> KeyStates(const crypto::Keyring& keys);
  // Fills `res` as rejected with `e`: counted, audited, logged, and
  // remembered (files_rejected).
  ReloadResult& Reject(ReloadResult& res, const Error& e);
  void SetFilesRejected(std::optional<Rejection> r);
  void Adopt(const PolicySet& set, std::map<std::string, KeyState> keys,
             std::shared_ptr<const crypto::Keyring> keyring);

  const ReloadOptions options_;
  const SwapFn swap_;
  std::mutex reload_mu_;  // one reload at a time
  mutable std::mutex state_mu_;
  std::shared_ptr<const engine::Engine> engine_;  // guarded by state_mu_
  std::shared_ptr<crypto::UsageLedger> ledger_;   // the running ledger (null until a policy encrypts)
  std::map<std::string, std::string> labels_;     // file -> name@version#hash
  std::vector<std::string> routes_;               // "name (from)" of the running set
  std::map<std::string, KeyState> keys_;
  SeenMaterial seen_;                  // guarded by reload_mu_ (set by Create before any reload)
  RevealSwapFn reveal_swap_;           // guarded by reload_mu_
  reveal::AuthzOptions reveal_authz_;  // guarded by reload_mu_: the roles the reveal service runs with
  std::vector<std::shared_ptr<const policy::Policy>> policies_;  // guarded by state_mu_
  std::shared_ptr<const crypto::Keyring> keyring_;               // likewise
  std::optional<Rejection> files_rejected_;                      // likewise
};

// /readyz's `detail` of the degraded condition `policy_files_rejected`: the
// rejected reload's trigger, error code and first error, and what the next
// start does with the files (one line, no value).
[[nodiscard]] std::string PolicyFilesRejectedDetail(const Reloader::Rejection& r);

// The embedded tests of every policy of `set` (a reload rejects a set whose
// tests fail, `policy_tests_failed`; `run` warns of them at start): one line
// per failing test, its file, line and name as text::Shown allows, never a
// value.
[[nodiscard]] Status CheckPolicyTests(const PolicySet& set, const engine::Limits& limits);

// Runs reloads on a thread of its own, on SIGHUP and (when `watch`) when a
// policy file or the keyring changes: their directories are watched with
// inotify and events are matched by file name, so an editor's write to a
// temporary file and rename, and a Kubernetes ConfigMap's symlink swap
// (`..data`), are seen; events within `debounce_ms` of each other make one
// reload. A file written in place is read only once its writer closed it
// (IN_CLOSE_WRITE after IN_CREATE or IN_MODIFY): a half-written policy,
// valid YAML with rules missing, is never loaded, and a SIGHUP or POST
// /reload waits too. A file is never read while a writer holds it: a writer
// silent for the writer timeout (kWriterTimeout) is asked after (a read
// lease, refused while the file is open for writing; a file the proxy may
// not take a lease on is taken to be held): if it still holds the file, that
// is logged (reload_writer_timeout) and the file waits for its close; a
// SIGHUP or POST /reload that has waited the writer timeout for a writer is
// rejected (file_still_being_written), and the file change's own reload
// runs when the writer closes the file. A SIGHUP or POST /reload that had to
// wait for a writer confirms no protection removal (Reloader::ReloadNow's
// `confirms_removal`): the content was written after it was asked for.
//
// A policy path that is a symbolic link (a ConfigMap's, or `p.yaml ->
// releases/v2/p.yaml`) is resolved again on every event of a watched name:
// the directory of the file it points to now is watched, the one it pointed
// to before no more (reload_watch_moved in the log). The SIGHUP handler only
// writes a byte to a pipe.
class ReloadTriggers {
 public:
  // Installs the SIGHUP handler (one instance per process).
  static constexpr std::chrono::seconds kWriterTimeout{30};
  [[nodiscard]] static Result<std::unique_ptr<ReloadTriggers>> Start(
      Reloader* reloader, const std::vector<std::string>& files, bool watch, int debounce_ms = 200,
      std::chrono::milliseconds writer_timeout = kWriterTimeout);
  ~ReloadTriggers();  // stops the thread; SIGHUP is ignored afterwards
  ReloadTriggers(const ReloadTriggers&) = delete;
  ReloadTriggers& operator=(const ReloadTriggers&) = delete;

  // A reload asked for by POST /reload, run on this thread like a SIGHUP:
  // only once no watched file is open for writing (with `watch`), so a
  // half-written policy is not loaded. Waits up to `wait` for its result;
  // nullopt when a writer still holds a file then (the reload runs when it
  // closes it; rejected, file_still_being_written, when the writer still
  // holds it once the request has waited the writer timeout).
  [[nodiscard]] std::optional<ReloadResult> Request(std::chrono::milliseconds wait);

  // Reloads run (or refused) so far by this thread (for tests).
  [[nodiscard]] int reloads() const { return reloads_.load(); }

 private:
  ReloadTriggers() = default;
  void Loop();
  // Resolves the symbolic links among the files again and watches the
  // directories they point to now (and no more the ones they left). False
  // when a directory cannot be watched (at start: an error).
  bool Rewatch(bool at_start, std::string* error);

  Reloader* reloader_ = nullptr;
  int debounce_ms_ = 200;
  std::chrono::milliseconds writer_timeout_ = kWriterTimeout;
  int inotify_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::vector<std::string> files_;              // the watched files as given
  std::map<std::string, std::string> targets_;  // a file that is a symbolic link -> the file it resolves to
  std::map<int, std::string> dirs_;             // inotify watch descriptor -> directory
  std::vector<std::string> names_;              // base names that trigger (plus "..data")
  std::atomic<int> reloads_{0};
  std::mutex request_mu_;  // Request's and Loop's handshake
  std::condition_variable request_cv_;
  uint64_t requested_ = 0;  // guarded by request_mu_: Request calls so far
  uint64_t answered_ = 0;   // guarded by request_mu_: those a reload has answered
  ReloadResult answer_;     // guarded by request_mu_: the last reload's result
  std::thread thread_;
};

}  // namespace maskproxy::app
