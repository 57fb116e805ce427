// The proxy's configuration file (YAML), validated at start. Unknown keys and
// missing values are errors that name the key (with file:line:column).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "crypto/keyring.h"
#include "reveal/authz.h"

namespace maskproxy::app {

// How one side (source: or destination:) talks to its brokers: the
// `security:` block. Paths are resolved against the config file's directory;
// secrets (key password, SASL password) live in files that are read at start
// (app/kafka_security.h), never in the config text.
struct KafkaSecurity {
  std::string protocol = "plaintext";  // plaintext, ssl, sasl_ssl
  std::string ca_file;                 // PEM CA bundle; empty: the system's
  std::string cert_file;               // client certificate (PEM), with key_file
  std::string key_file;                // its private key (PEM), mode 0600
  std::string key_password_file;       // optional: the key's passphrase, mode 0600
  std::string sasl_mechanism;          // sasl_ssl: SCRAM-SHA-512 or SCRAM-SHA-256
  std::string sasl_username;
  std::string sasl_password_file;  // mode 0600
};

struct Config {
  std::string path;  // the file this came from
  std::string source_brokers;
  std::string group_id;
  std::map<std::string, std::string> source_properties;
  std::string destination_brokers;
  std::map<std::string, std::string> destination_properties;
  KafkaSecurity source_security;
  KafkaSecurity destination_security;     // default: the same as source_security
  std::vector<std::string> policy_files;  // resolved against the config file's directory
  std::string keyring_file;               // likewise: the one file, or the first of keyring_files
  // keyring: every keyring file with its purpose (one of kAny, or the
  // reversible and/or tokenization files of a split keyring).
  std::vector<crypto::KeyringFile> keyring_files;
  std::string encryption_ledger;  // likewise; default keyring_file + ".usage"
  // audit: the tamper-evident trail (src/audit/trail.h); `file` empty: no
  // trail configured. The old top-level `audit_log` is refused.
  struct Audit {
    std::string file;             // JSON Lines trail, resolved against the config file's directory
    std::string key_file;         // keyring-format file holding key "audit" (0600), apart from the data keys
    std::string topic;            // optional Kafka topic, written in the records' transaction
    int checkpoint_every = 1000;  // entries between checkpoints (and one at stop)
  } audit;
  // kms: the KMS whose Transit keys wrap the keyring's data keys (envelope
  // encryption; app/kms_setup.h). `address` empty: no KMS, and a wrapped
  // keyring entry is refused.
  struct Kms {
    std::string address;     // https://HOST:PORT (http:// only on loopback)
    std::string token_file;  // the token, in a file (0600); never in the config text
    std::string ca_file;     // https: CA bundle; empty: the system's
    std::string mount = "transit";
    int timeout_ms = 5000;
    int probe_interval_s = 30;  // how often the running proxy checks the KMS answers (0: never)
  } kms;
  std::string delivery_mode = "exactly_once";  // or at_least_once
  std::string transactional_id;                // empty: derived from group and host name
  int commit_interval_ms = 100;
  int commit_max_records = 10000;
  std::string commit_policy = "interval";  // or eager (exactly_once only)
  int transaction_timeout_ms = 60000;
  size_t max_record_bytes = 1 << 20;
  int max_json_depth = 64;
  int max_inflight_records = 50000;
  size_t max_inflight_bytes = 64 << 20;
  std::string log_level = "info";
  std::string log_format = "text";  // or json (one object per line)
  int stats_interval_ms = 30000;
  int workers = 0;           // 0: pipeline::DefaultWorkers()
  bool reload_watch = true;  // reload: {watch: ...}: reload when a policy file or the keyring changes
  // reload: {watch_removes_protections: ...}: a file change may apply a set
  // that removes protections (ReloadOptions::watch_removes_protections).
  bool reload_watch_removes_protections = false;
  // admin: the HTTP listener (/livez, /readyz, /metrics, /config_dump,
  // /reload, /loglevel). Loopback by default; another address only when
  // written here. `enabled: false` or `listen: ""` turns it off.
  struct Admin {
    bool enabled = true;
    std::string listen = "127.0.0.1:9644";
    std::string tls_cert_file;       // resolved against the config file's directory
    std::string tls_key_file;        // likewise
    std::string tls_client_ca_file;  // likewise; set: client certificates required
    // Host names (lower case) requests may address the listener by, besides
    // IP literals and localhost (admin/router.h, CheckAddress).
    std::vector<std::string> allowed_hosts;
    // admin.operators: client certificate subjects allowed the operator
    // endpoints (config dump, reload, log level); needs client_ca_file.
    std::vector<std::string> operators;
    // admin.playground: GET /playground and POST /v1/policy/evaluate (the
    // policy playground, app/playground.h). Off by default: see
    // docs/PLAYGROUND.md ("Enabling it").
    struct Playground {
      bool enabled = false;
      size_t max_body_bytes = 1 << 20;  // POST /v1/policy/evaluate only; the other endpoints keep 64 KiB
      int max_events = 200;             // sample events per call (more: 413 too_large)
    } playground;
  } admin;
  // reveal: POST /v1/reveal on the admin listener (needs admin TLS with
  // client certificates). Roles, grants and limits are reveal/authz.h's.
  struct Reveal {
    bool enabled = false;
    size_t max_body_bytes = 256 * 1024;  // the admin listener's body limit while reveal is on
    reveal::AuthzOptions authz;
  } reveal;

  // Each setting as the file writes it, for a reload to tell what changed
  // (app/reload.h): "KEY" for a top-level scalar or list (or an empty
  // mapping), "KEY.SUB" for each entry of a top-level mapping -> a canonical
  // text of its value (comments, quoting and flow or block style do not
  // count).
  std::map<std::string, std::string> sections;

  [[nodiscard]] static Result<Config> Load(const std::string& path);
  [[nodiscard]] static Result<Config> Parse(const std::string& yaml, const std::string& origin,
                                            const std::string& base_dir);
};

// The text `maskproxy run --help` prints about the file format.
extern const char kConfigHelp[];

}  // namespace maskproxy::app
