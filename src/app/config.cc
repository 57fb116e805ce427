#include "app/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "admin/server.h"
#include "common/file.h"
#include "common/log.h"
#include "common/text.h"
#include "common/unicode.h"
#include "common/yaml_doc.h"

namespace maskproxy::app {

const char kConfigHelp[] = R"(Config file (YAML):

  source:
    brokers: 127.0.0.1:9092        # required: bootstrap servers of the raw topics
    group_id: maskproxy-payments   # required: consumer group shared by all instances
    properties: {}                 # optional librdkafka consumer properties (fetch.*, ...);
                                   #   security settings go in security: below
    security:                      # optional: how this side talks to its brokers
      protocol: plaintext          #   plaintext (default), ssl (TLS, optionally a client
                                   #   certificate: mTLS) or sasl_ssl (SASL over TLS)
      ca_file: certs/ca.pem        #   CA bundle (PEM) the brokers' certificates must chain
                                   #   to; default: the system's. Host names are verified
      cert_file: certs/proxy.pem   #   client certificate (PEM), together with key_file
      key_file: certs/proxy.key    #   its private key (PEM); mode 0600 (refused if group
                                   #   or others can read it)
      key_password_file: certs/proxy.key.pass
                                   #   optional: the key's passphrase, in a file (0600)
      sasl:                        #   sasl_ssl only
        mechanism: SCRAM-SHA-512   #     SCRAM-SHA-512 or SCRAM-SHA-256
        username: proxy
        password_file: secrets/kafka.pass
                                   #     the password, in a file (0600; one trailing
                                   #     newline is ignored)
  destination:
    brokers: 127.0.0.1:9092        # optional, defaults to source.brokers; must be the
                                   #   same cluster (exactly-once commits offsets there)
    properties: {}                 # optional librdkafka producer properties (a message.max.bytes
                                   #   here can only lower the record size limit)
    security: {}                   # optional, as source.security; default: source's
  policies: [policies/payments.yaml]   # required: policy files (relative to this file)
  keyring: /etc/maskproxy/keys.yaml    # required: keyring file, mode 0600; or, split by purpose
                                   #   (key custody, README): {tokenization: FILE, reversible: FILE}
  encryption_ledger: /var/lib/maskproxy/keys.usage
                                   # optional: where AES-GCM encryptions are counted per key
                                   #   version (refused before 2^32); default <keyring>.usage.
                                   #   One per instance: it is locked while the proxy runs;
                                   #   opened only if a policy can encrypt with AES-GCM
                                   #   (an encrypt rule, or a scan action that encrypts)
  audit:                           # optional: the tamper-evident audit trail (README "Audit trail")
    file: /var/log/maskproxy/audit.jsonl
                                   #   required in the section: JSON Lines, each entry chained to
                                   #   the one before and HMACed; 0600; verify it with
                                   #   maskproxy audit verify --config FILE. Never a value. The
                                   #   proxy refuses to start when it cannot open or verify it
    key_file: /etc/maskproxy/audit-key.yaml
                                   #   required: a keyring file holding key "audit" only
                                   #   (maskproxy keys generate --out F audit), kept apart from
                                   #   the data keys; mode 0600
    topic: maskproxy.audit         #   optional: also an audit topic, written in the records'
                                   #   transaction
    checkpoint_every: 1000         #   optional: a checkpoint entry every N entries (and at stop)
                                   # (the old top-level audit_log is refused: use audit:)
  delivery:                        # optional
    mode: exactly_once             #   exactly_once (default): Kafka transactions, offsets in the
                                   #   transaction; at_least_once: idempotent producer, offsets
                                   #   committed after delivery (duplicates possible after a crash)
    transactional_id: maskproxy-payments-a
                                   #   exactly_once only; default maskproxy-<group>-<hostname>;
                                   #   unique per running instance, stable across restarts
    commit: interval               #   exactly_once only: interval (default) commits every
                                   #   commit_interval_ms (or commit_max_records): fewer, larger
                                   #   transactions; eager commits as soon as the previous commit
                                   #   returned and records are waiting: lowest latency for
                                   #   read_committed readers, more transactions (broker work)
    commit_interval_ms: 100        #   commit at least this often (interval)
    commit_max_records: 10000      #   ... or after this many records (both)
    transaction_timeout_ms: 60000  #   transaction.timeout.ms
  limits:                          # optional
    max_record_bytes: 1048576      #   larger values go to the dead-letter topic; the producer's
                                   #   message.max.bytes is this + 64 KiB (key, headers, framing).
                                   #   A record that would not fit its topic (the smaller of that
                                   #   and the topic's max.message.bytes, read at start) is
                                   #   dead-lettered; a dead letter that would not fit is sent as
                                   #   a reference only (topic, partition, offset, size; no data)
    max_json_depth: 64             #   deeper nesting goes to the dead-letter topic
    max_inflight_records: 50000    #   produced but not yet acknowledged; above either
    max_inflight_bytes: 67108864   #   bound consumption pauses (backpressure)
  log_level: info                  # optional: debug, info, warn, error (changeable at run
                                   #   time: POST /loglevel?level=debug on the admin listener)
  log_format: text                 # optional: text (key=value) or json (one object per line:
                                   #   ts, level, event, then the fields)
  admin:                           # optional: the admin HTTP listener
    enabled: true                  #   false: no listener
    listen: 127.0.0.1:9644         #   HOST:PORT ([IPv6]:PORT); loopback unless written here;
                                   #   port 0 picks a free one (logged: admin_listening)
    allowed_hosts: []              #   host names requests may use in Host (e.g. maskproxy-0.maskproxy);
                                   #   IP addresses and localhost always work, any other name is
                                   #   421; an Origin other than Host's host:port is 403
    operators: []                  #   optional (needs tls.client_ca_file): client certificate
                                   #   subjects that may GET /config_dump, POST /reload and POST
                                   #   /loglevel (403 for others); unset: any client it accepts
    tls:                           #   optional: HTTPS
      cert_file: admin.crt         #     PEM certificate chain
      key_file: admin.key          #     PEM private key
      client_ca_file: clients.pem  #     optional: clients are asked for a certificate it signed
                                   #     (one it does not verify fails the handshake); without
                                   #     one: /livez /readyz /metrics, else 401
                                   #   GET /livez /readyz /metrics /config_dump /loglevel;
                                   #   POST /reload /loglevel (see docs/OPERATIONS.md)
    playground:                    #   optional: the policy playground (docs/PLAYGROUND.md)
      enabled: false               #     true: GET /playground, POST /v1/policy/evaluate
      max_body_bytes: 1048576      #     that endpoint's body limit (others keep 64 KiB)
      max_events: 200              #     sample events per call (more: 413)
  reveal:                          # optional: POST /v1/reveal on the admin listener
    enabled: true                  #   needs admin.tls with client_ca_file (refused otherwise)
    max_values_per_request: 100    #   more: 400
    max_body_bytes: 262144         #   the admin listener's body limit while reveal is on
    rate_limit:                    #   per certificate subject (token buckets; over: 429)
      values_per_minute: 600
      requests_per_minute: 60      #   every request of a known subject counts, allowed or not
    unauthenticated_audits_per_minute: 10  # attempts without a client certificate written
                                   #   to the trail per peer (an IPv4 address, an IPv6 /64)
    unauthenticated_audits_total_per_minute: 100  # the same from all peers together
                                   #   (more: counted only)
    roles:                         #   role name -> subjects and grants
      fraud-analyst:
        subjects: ["CN=kim,OU=fraud,O=Example"]  # exact RFC 2253 subjects (most specific first)
        grants:                    #   route + rule paths ($scan.DETECTOR too) + purpose classes:
          - { route: transfers, fields: [sender.email], purposes: [fraud, chargeback] }
                                   #   fraud, chargeback, legal_request, data_subject_request,
                                   #   incident, support, audit
  kms:                             # optional: the KMS wrapping the keyring's data keys (a
                                   #   version {kms: transit:NAME, wrapped: "vault:v1:..."})
    address: https://bao.internal:8200
                                   #   OpenBao/Vault; http:// only on a loopback address
    token_file: secrets/bao.token  #   the token, in a file (0600); never in this file
    ca_file: certs/bao-ca.pem      #   optional: CA of the KMS's certificate; default: system's
    mount: transit                 #   optional: the Transit engine's mount path
    timeout_ms: 5000               #   optional: per request
    probe_interval_s: 30           #   optional: how often the running proxy checks that the
                                   #   KMS answers (readiness degraded: kms_unreachable;
                                   #   maskproxy_kms_up); 0: never. Unreachable at start:
                                   #   the proxy refuses to start
  workers: 0                       # optional: threads that mask records in parallel (per
                                   #   partition order and transactions unchanged); 0 (default):
                                   #   the CPUs the process may use (affinity, cgroup cpu.max), at most 8
  stats_interval_ms: 30000         # optional: how often counters are logged
  reload:                          # optional: policies, keyring and the reveal roles are
    watch: true                    #   reloaded without a restart on SIGHUP, POST /reload, and
                                   #   (watch: true, the default) when a policy file, the
                                   #   keyring or this file changes; other settings changed
                                   #   here are listed as restart_required, not applied
    watch_removes_protections: false  # a file change that would remove a protection is
                                   #   rejected (a file half written looks like that);
                                   #   SIGHUP or POST /reload applies it. true: applied

Properties that maskproxy sets itself (group.id, enable.auto.commit,
isolation.level, transactional.id, enable.idempotence, acks, ...) cannot be
overridden. Nor can the security properties (security.protocol, ssl.*
locations, sasl.mechanisms, sasl.username: use security:), and secrets
(sasl.password, ssl.key.password, ssl.key.pem, ...) are refused in the config
text: name a file in security: instead. Paths are relative to this file. At
start, each side is probed (a metadata request, 10 s at most): a refused
certificate or password stops the proxy with a message naming the side, the
broker and the cause.
)";

namespace {

class Ctx {
 public:
  explicit Ctx(std::string origin) : origin_(std::move(origin)) {}
  // One line by construction (text::Located), whatever names `msg` quotes.
  Error At(const YAML::Node& n, const std::string& msg) const { return At(n.Mark(), msg); }
  Error At(const YAML::Mark& m, const std::string& msg) const {
    return Error(ErrorCode::kConfigInvalid, text::Located(origin_, m.line + 1, m.column + 1, msg));
  }
  Error Missing(const std::string& key) const {
    return At(YAML::Mark::null_mark(), "missing required key '" + key + "'");
  }

 private:
  std::string origin_;
};

Status CheckKeys(const Ctx& c, const YAML::Node& map, const std::string& where,
                 const std::vector<std::string>& allowed) {
  if (!map.IsMap()) return c.At(map, "'" + where + "' must be a mapping");
  std::set<std::string> seen;
  for (const auto& kv : map) {
    const std::string k = kv.first.Scalar();
    std::string full = where.empty() ? k : where + "." + k;
    if (!seen.insert(k).second) return c.At(kv.first, "duplicate key" + text::Shown(full));
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string hint = text::Suggest(k, allowed);
      return c.At(kv.first, "unknown key" + text::Shown(full) + " (expected: " + text::Join(allowed) +
                                (hint.empty() ? ")" : "; did you mean '" + hint + "'?)"));
    }
  }
  return Status::Ok();
}

Result<std::string> String(const Ctx& c, const YAML::Node& parent, const char* key, const std::string& full,
                           bool required);

std::string Resolve(const std::string& base_dir, const std::string& p);

// keyring: one file, or the files of a split keyring by purpose (key
// custody: {tokenization: FILE, reversible: FILE}).
Status ParseKeyring(const Ctx& c, const YAML::Node& root, const std::string& base_dir, Config* cfg) {
  const YAML::Node n = root["keyring"];
  if (n && n.IsMap()) {
    if (Status s = CheckKeys(c, n, "keyring", {"tokenization", "reversible"}); !s.ok()) return s;
    for (const char* purpose : {"reversible", "tokenization"}) {
      auto file = String(c, n, purpose, std::string("keyring.") + purpose, false);
      if (!file.ok()) return file.error();
      if (file->empty()) continue;
      crypto::KeyringFile f{Resolve(base_dir, *file), crypto::KeyPurpose::kAny};
      (void)crypto::ParseKeyPurpose(purpose, &f.purpose);
      for (const auto& other : cfg->keyring_files)
        if (other.path == f.path)
          return c.At(n[purpose],
                      "keyring: the tokenization and reversible keys must be "
                      "two different files");
      cfg->keyring_files.push_back(std::move(f));
    }
    if (cfg->keyring_files.empty())
      return c.At(n, "'keyring' needs a file: a path, or {tokenization: FILE, reversible: FILE}");
    cfg->keyring_file = cfg->keyring_files.front().path;
    return Status::Ok();
  }
  auto keyring = String(c, root, "keyring", "keyring", true);
  if (!keyring.ok()) return keyring.error();
  cfg->keyring_file = Resolve(base_dir, *keyring);
  cfg->keyring_files = {crypto::KeyringFile{cfg->keyring_file, crypto::KeyPurpose::kAny}};
  return Status::Ok();
}

Result<std::string> String(const Ctx& c, const YAML::Node& parent, const char* key, const std::string& full,
                           bool required) {
  YAML::Node n = parent[key];
  if (!n || n.IsNull()) {
    if (required) return c.Missing(full);
    return std::string();
  }
  if (!n.IsScalar() || n.Scalar().empty()) return c.At(n, "'" + full + "' must be a non-empty string");
  return n.Scalar();
}

Status Int(const Ctx& c, const YAML::Node& parent, const char* key, const std::string& full, long long min,
           long long max, long long* out) {
  YAML::Node n = parent[key];
  if (!n) return Status::Ok();
  long long v = 0;
  if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v)) return c.At(n, "'" + full + "' must be a whole number");
  if (v < min || v > max)
    return c.At(n, "'" + full + "' must be between " + std::to_string(min) + " and " + std::to_string(max));
  *out = v;
  return Status::Ok();
}

Status Properties(const Ctx& c, const YAML::Node& parent, const std::string& full,
                  std::map<std::string, std::string>* out) {
  YAML::Node n = parent["properties"];
  if (!n || n.IsNull()) return Status::Ok();
  if (!n.IsMap()) return c.At(n, "'" + full + "' must be a mapping of librdkafka property names to values");
  for (const auto& kv : n) {
    if (!kv.second.IsScalar())
      return c.At(kv.second, "'" + full + "." + kv.first.Scalar() + "' must be a single value");
    // A second value would silently replace the first: refused like any
    // other duplicate key.
    if (!out->emplace(kv.first.Scalar(), kv.second.Scalar()).second)
      return c.At(kv.first, "duplicate key '" + full + "." + kv.first.Scalar() + "'");
  }
  return Status::Ok();
}

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
  return base_dir + "/" + p;
}

// --- security: of source: and destination: (KafkaSecurity) ---

// librdkafka properties that only security: may set, and where it sets them.
const std::map<std::string, std::string>& SecurityOwnedProperties() {
  static const std::map<std::string, std::string> m = {
      {"security.protocol", "security.protocol"},
      {"ssl.ca.location", "security.ca_file"},
      {"ssl.ca.pem", "security.ca_file"},
      {"ssl.certificate.location", "security.cert_file"},
      {"ssl.certificate.pem", "security.cert_file"},
      {"ssl.key.location", "security.key_file"},
      {"ssl.keystore.location", "security.cert_file and security.key_file (PEM)"},
      {"sasl.mechanisms", "security.sasl.mechanism"},
      {"sasl.mechanism", "security.sasl.mechanism"},
      {"sasl.username", "security.sasl.username"},
      {"ssl.endpoint.identification.algorithm", "security (host names are always verified)"},
      {"enable.ssl.certificate.verification", "security (certificates are always verified)"},
  };
  return m;
}

// Secrets that must not be in the config text, and the file key to use.
const std::map<std::string, std::string>& SecretProperties() {
  static const std::map<std::string, std::string> m = {
      {"sasl.password", "security.sasl.password_file"},
      {"ssl.key.password", "security.key_password_file"},
      {"ssl.key.pem", "security.key_file"},
      {"ssl.keystore.password", "security.key_file and security.key_password_file"},
      {"sasl.oauthbearer.client.secret", ""},  // OAUTHBEARER is not supported
      {"sasl.oauthbearer.config", ""},
  };
  return m;
}

Status CheckSecurityProperties(const Ctx& c, const YAML::Node& side_node, const std::string& side) {
  YAML::Node props = side_node["properties"];
  if (!props || !props.IsMap()) return Status::Ok();
  for (const auto& kv : props) {
    const std::string k = kv.first.Scalar();
    const std::string full = side + ".properties." + k;
    if (auto it = SecretProperties().find(k); it != SecretProperties().end()) {
      if (it->second.empty())
        return c.At(kv.first, "'" + full +
                                  "': secrets are not allowed in the config text, and SASL/OAUTHBEARER is "
                                  "not supported; use " +
                                  side +
                                  ".security.sasl with mechanism SCRAM-SHA-512 or "
                                  "SCRAM-SHA-256");
      return c.At(kv.first, "'" + full + "': secrets are not allowed in the config text; put it in a file " +
                                "(mode 0600) and use " + side + "." + it->second);
    }
    if (auto it = SecurityOwnedProperties().find(k); it != SecurityOwnedProperties().end())
      return c.At(kv.first, "'" + full + "' is set by " + side + "." + it->second + ", not in properties");
  }
  return Status::Ok();
}

Status SecurityBlock(const Ctx& c, const YAML::Node& n, const std::string& side, const std::string& base_dir,
                     KafkaSecurity* out) {
  const std::string where = side + ".security";
  if (Status s = CheckKeys(c, n, where, {"protocol", "ca_file", "cert_file", "key_file", "key_password_file", "sasl"});
      !s.ok())
    return s;
  KafkaSecurity sec;
  auto protocol = String(c, n, "protocol", where + ".protocol", true);
  if (!protocol.ok()) return protocol.error();
  const std::vector<std::string> protocols = {"plaintext", "ssl", "sasl_ssl"};
  if (std::find(protocols.begin(), protocols.end(), *protocol) == protocols.end()) {
    std::string hint = text::Suggest(*protocol, protocols);
    std::string lower = *protocol;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (std::find(protocols.begin(), protocols.end(), lower) != protocols.end()) hint = lower;
    return c.At(n["protocol"], "'" + where + ".protocol' must be one of: plaintext, ssl, sasl_ssl" +
                                   (hint.empty() ? std::string() : " (did you mean '" + hint + "'?)"));
  }
  sec.protocol = *protocol;
  struct FileKey {
    const char* key;
    std::string* dst;
  };
  for (FileKey f : {FileKey{"ca_file", &sec.ca_file}, FileKey{"cert_file", &sec.cert_file},
                    FileKey{"key_file", &sec.key_file}, FileKey{"key_password_file", &sec.key_password_file}}) {
    auto v = String(c, n, f.key, where + "." + f.key, false);
    if (!v.ok()) return v.error();
    if (v->empty()) continue;
    if (sec.protocol == "plaintext")
      return c.At(n[f.key], "'" + where + "." + f.key + "' needs protocol ssl or sasl_ssl (this side is plaintext)");
    *f.dst = Resolve(base_dir, *v);
  }
  if (sec.cert_file.empty() != sec.key_file.empty())
    return c.At(n, "'" + where + "': cert_file and key_file go together (a client certificate and its key)");
  if (!sec.key_password_file.empty() && sec.key_file.empty())
    return c.At(n["key_password_file"], "'" + where + ".key_password_file' needs key_file");
  YAML::Node sasl = n["sasl"];
  if (sasl && !sasl.IsNull()) {
    if (sec.protocol != "sasl_ssl")
      return c.At(sasl, "'" + where + ".sasl' needs protocol sasl_ssl (this side is " + sec.protocol + ")");
    if (Status s = CheckKeys(c, sasl, where + ".sasl", {"mechanism", "username", "password_file"}); !s.ok()) return s;
    auto mech = String(c, sasl, "mechanism", where + ".sasl.mechanism", true);
    if (!mech.ok()) return mech.error();
    if (*mech != "SCRAM-SHA-512" && *mech != "SCRAM-SHA-256")
      return c.At(sasl["mechanism"], "'" + where + ".sasl.mechanism' must be SCRAM-SHA-512 or SCRAM-SHA-256");
    sec.sasl_mechanism = *mech;
    auto user = String(c, sasl, "username", where + ".sasl.username", true);
    if (!user.ok()) return user.error();
    sec.sasl_username = *user;
    auto pw = String(c, sasl, "password_file", where + ".sasl.password_file", true);
    if (!pw.ok()) return pw.error();
    sec.sasl_password_file = Resolve(base_dir, *pw);
  } else if (sec.protocol == "sasl_ssl") {
    return c.At(n, "'" + where + "': protocol sasl_ssl needs a sasl: block (mechanism, username, password_file)");
  }
  *out = std::move(sec);
  return Status::Ok();
}

// reveal: POST /v1/reveal on the admin listener (reveal/authz.h).
Status StringList(const Ctx& c, const YAML::Node& n, const std::string& full, std::vector<std::string>* out) {
  if (!n || !n.IsSequence() || n.size() == 0) return c.At(n, "'" + full + "' must be a non-empty list of strings");
  for (const auto& e : n) {
    if (!e.IsScalar() || e.Scalar().empty()) return c.At(e, "'" + full + "' must be a list of non-empty strings");
    out->push_back(e.Scalar());
  }
  return Status::Ok();
}

// admin.allowed_hosts: names the Host header may carry (DNS names, no port,
// no wildcard), kept in lower case.
Status AllowedHosts(const Ctx& c, const YAML::Node& n, std::vector<std::string>* out) {
  if (!n.IsSequence()) return c.At(n, "'admin.allowed_hosts' must be a list of host names");
  for (const auto& e : n) {
    const std::string name = e.IsScalar() ? e.Scalar() : std::string();
    bool ok = !name.empty() && name.size() <= 253 && name.front() != '.' && name.front() != '-' && name.back() != '.';
    for (char ch : name)
      ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == '_');
    if (!ok)
      return c.At(e,
                  "'admin.allowed_hosts' entries must be host names without a port or wildcard "
                  "(e.g. maskproxy-0.maskproxy); IP addresses and localhost are always accepted");
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    out->push_back(std::move(lower));
  }
  return Status::Ok();
}

// A node's value as one canonical text: scalars quoted as JSON strings,
// sequences and mappings in order, whatever style the file used.
void Canonical(const YAML::Node& n, std::string* out) {
  if (n.IsMap()) {
    *out += '{';
    for (const auto& kv : n) {
      Canonical(kv.first, out);
      *out += ':';
      Canonical(kv.second, out);
      *out += ',';
    }
    *out += '}';
  } else if (n.IsSequence()) {
    *out += '[';
    for (const auto& e : n) {
      Canonical(e, out);
      *out += ',';
    }
    *out += ']';
  } else if (n.IsScalar()) {
    text::AppendJsonQuoted(n.Scalar(), out);
  } else {
    *out += "null";
  }
}

std::map<std::string, std::string> Sections(const YAML::Node& root) {
  std::map<std::string, std::string> out;
  for (const auto& top : root) {
    const std::string key = top.first.IsScalar() ? top.first.Scalar() : std::string();
    if (top.second.IsMap() && top.second.size() > 0) {
      for (const auto& sub : top.second) {
        std::string text;
        Canonical(sub.second, &text);
        out[key + "." + (sub.first.IsScalar() ? sub.first.Scalar() : std::string())] = std::move(text);
      }
    } else {
      std::string text;
      Canonical(top.second, &text);
      out[key] = std::move(text);
    }
  }
  return out;
}

Status RevealSection(const Ctx& c, const YAML::Node& r, Config::Reveal* out) {
  if (Status s = CheckKeys(c, r, "reveal",
                           {"enabled", "max_values_per_request", "max_body_bytes", "rate_limit",
                            "unauthenticated_audits_per_minute", "unauthenticated_audits_total_per_minute", "roles"});
      !s.ok())
    return s;
  if (YAML::Node e = r["enabled"]) {
    if (!e.IsScalar() || !YAML::convert<bool>::decode(e, out->enabled))
      return c.At(e, "'reveal.enabled' must be true or false");
  }
  long long v = static_cast<long long>(out->authz.max_values_per_request);
  if (Status s = Int(c, r, "max_values_per_request", "reveal.max_values_per_request", 1, 100000, &v); !s.ok()) return s;
  out->authz.max_values_per_request = static_cast<size_t>(v);
  v = static_cast<long long>(out->max_body_bytes);
  if (Status s = Int(c, r, "max_body_bytes", "reveal.max_body_bytes", 1024, 16 << 20, &v); !s.ok()) return s;
  out->max_body_bytes = static_cast<size_t>(v);
  v = out->authz.unauthenticated_audits_per_minute;
  if (Status s =
          Int(c, r, "unauthenticated_audits_per_minute", "reveal.unauthenticated_audits_per_minute", 0, 10000, &v);
      !s.ok())
    return s;
  out->authz.unauthenticated_audits_per_minute = static_cast<int>(v);
  v = out->authz.unauthenticated_audits_total_per_minute;
  if (Status s = Int(c, r, "unauthenticated_audits_total_per_minute", "reveal.unauthenticated_audits_total_per_minute",
                     0, 100000, &v);
      !s.ok())
    return s;
  out->authz.unauthenticated_audits_total_per_minute = static_cast<int>(v);
  if (YAML::Node rl = r["rate_limit"]) {
    if (Status s = CheckKeys(c, rl, "reveal.rate_limit", {"values_per_minute", "requests_per_minute"}); !s.ok())
      return s;
    v = out->authz.values_per_minute;
    if (Status s = Int(c, rl, "values_per_minute", "reveal.rate_limit.values_per_minute", 1, 1000000, &v); !s.ok())
      return s;
    out->authz.values_per_minute = static_cast<int>(v);
    v = out->authz.requests_per_minute;
    if (Status s = Int(c, rl, "requests_per_minute", "reveal.rate_limit.requests_per_minute", 1, 100000, &v); !s.ok())
      return s;
    out->authz.requests_per_minute = static_cast<int>(v);
  }
  YAML::Node roles = r["roles"];
  if (out->enabled && (!roles || !roles.IsMap() || roles.size() == 0))
    return c.At(roles ? roles : r, "'reveal.roles' must map role names to {subjects, grants} (reveal is enabled)");
  if (roles) {
    if (!roles.IsMap()) return c.At(roles, "'reveal.roles' must map role names to {subjects, grants}");
    for (const auto& kv : roles) {
      const std::string where = "reveal.roles." + kv.first.Scalar();
      if (Status s = CheckKeys(c, kv.second, where, {"subjects", "grants"}); !s.ok()) return s;
      reveal::Role role;
      role.name = kv.first.Scalar();
      if (Status s = StringList(c, kv.second["subjects"], where + ".subjects", &role.subjects); !s.ok()) return s;
      YAML::Node grants = kv.second["grants"];
      if (!grants || !grants.IsSequence() || grants.size() == 0)
        return c.At(grants ? grants : kv.second, "'" + where + ".grants' must be a non-empty list");
      for (const auto& g : grants) {
        if (Status s = CheckKeys(c, g, where + ".grants", {"route", "fields", "purposes"}); !s.ok()) return s;
        reveal::Grant grant;
        auto route = String(c, g, "route", where + ".grants.route", true);
        if (!route.ok()) return route.error();
        grant.route = *route;
        if (Status s = StringList(c, g["fields"], where + ".grants.fields", &grant.fields); !s.ok()) return s;
        if (Status s = StringList(c, g["purposes"], where + ".grants.purposes", &grant.purposes); !s.ok()) return s;
        for (size_t i = 0; i < grant.purposes.size(); ++i)
          if (!reveal::IsPurposeClass(grant.purposes[i]))
            return c.At(g["purposes"][i], "unknown purpose '" + grant.purposes[i] +
                                              "' (expected: " + text::Join(reveal::PurposeClasses()) + ")");
        role.grants.push_back(std::move(grant));
      }
      out->authz.roles.push_back(std::move(role));
    }
  }
  return Status::Ok();
}
}  // namespace

Result<Config> Config::Load(const std::string& path) {
  auto text = file::ReadRegular(path, ErrorCode::kConfigUnreadable, file::kMaxDocumentBytes);
  if (!text.ok())
    return Error(ErrorCode::kConfigUnreadable, "cannot read config file " + path + ": " + text.error().message);
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (dir.empty()) dir = "/";
  return Parse(*text, path, dir);
}

Result<Config> Config::Parse(const std::string& yaml, const std::string& origin, const std::string& base_dir) {
  Ctx c(origin);
  // Every name and string of the config (group id, brokers, topic and role
  // names, paths) is text: a YAML file is UTF-8, and yaml-cpp would pass
  // invalid bytes through. Refused at the first one, by place only.
  if (size_t bad = unicode::FirstInvalidUtf8(yaml); bad != std::string::npos) {
    const std::string_view head(yaml.data(), bad);
    const size_t nl = head.rfind('\n');
    YAML::Mark m = YAML::Mark::null_mark();
    m.line = static_cast<int>(std::count(head.begin(), head.end(), '\n'));
    m.column = static_cast<int>(nl == std::string_view::npos ? bad : bad - nl - 1);
    return c.At(m, "the config is not valid UTF-8 (byte " + std::to_string(bad) + "); write it as UTF-8 text");
  }
  YAML::Node root;
  std::optional<YAML::Mark> second;
  try {
    root = yamldoc::LoadOne(yaml, &second);
  } catch (const YAML::ParserException& e) {
    return c.At(e.mark, yamldoc::ParseErrorMessage(e, yaml));
  }
  if (second) return c.At(*second, yamldoc::kSecondDocument);
  if (!root.IsMap())
    return c.At(YAML::Mark::null_mark(), "the config must be a YAML mapping (see maskproxy run --help)");
  Config cfg;
  cfg.path = origin;
  try {
    if (YAML::Node old = root["audit_log"])
      return c.At(old,
                  "'audit_log' was replaced by the audit trail: use audit: {file: F, key_file: K} (see maskproxy "
                  "run --help)");
    if (Status s = CheckKeys(
            c, root, "",
            {"source", "destination", "policies", "keyring", "encryption_ledger", "audit", "delivery", "limits",
             "log_level", "log_format", "stats_interval_ms", "admin", "reload", "reveal", "kms", "workers"});
        !s.ok())
      return s.error();
    YAML::Node src = root["source"];
    if (!src) return c.Missing("source");
    if (Status s = CheckKeys(c, src, "source", {"brokers", "group_id", "properties", "security"}); !s.ok())
      return s.error();
    auto brokers = String(c, src, "brokers", "source.brokers", true);
    if (!brokers.ok()) return brokers.error();
    cfg.source_brokers = *brokers;
    auto group = String(c, src, "group_id", "source.group_id", true);
    if (!group.ok()) return group.error();
    cfg.group_id = *group;
    if (Status s = Properties(c, src, "source.properties", &cfg.source_properties); !s.ok()) return s.error();
    // Security (own block): source.security, properties checked for secrets.
    if (Status s = CheckSecurityProperties(c, src, "source"); !s.ok()) return s.error();
    if (YAML::Node sec = src["security"]; sec && !sec.IsNull())
      if (Status s = SecurityBlock(c, sec, "source", base_dir, &cfg.source_security); !s.ok()) return s.error();
    cfg.destination_security = cfg.source_security;

    cfg.destination_brokers = cfg.source_brokers;
    if (YAML::Node dst = root["destination"]) {
      if (Status s = CheckKeys(c, dst, "destination", {"brokers", "properties", "security"}); !s.ok()) return s.error();
      auto b = String(c, dst, "brokers", "destination.brokers", false);
      if (!b.ok()) return b.error();
      if (!b->empty()) cfg.destination_brokers = *b;
      if (Status s = Properties(c, dst, "destination.properties", &cfg.destination_properties); !s.ok())
        return s.error();
      if (Status s = CheckSecurityProperties(c, dst, "destination"); !s.ok()) return s.error();
      if (YAML::Node sec = dst["security"]; sec && !sec.IsNull())
        if (Status s = SecurityBlock(c, sec, "destination", base_dir, &cfg.destination_security); !s.ok())
          return s.error();
    }

    YAML::Node pol = root["policies"];
    if (!pol || pol.IsNull()) return c.Missing("policies");
    if (pol.IsScalar()) {
      cfg.policy_files.push_back(Resolve(base_dir, pol.Scalar()));
    } else if (pol.IsSequence() && pol.size() > 0) {
      for (const auto& p : pol) {
        if (!p.IsScalar() || p.Scalar().empty()) return c.At(p, "'policies' entries must be file paths");
        cfg.policy_files.push_back(Resolve(base_dir, p.Scalar()));
      }
    } else {
      return c.At(pol, "'policies' must be a file path or a non-empty list of file paths");
    }

    if (Status s = ParseKeyring(c, root, base_dir, &cfg); !s.ok()) return s.error();
    auto ledger = String(c, root, "encryption_ledger", "encryption_ledger", false);
    if (!ledger.ok()) return ledger.error();
    cfg.encryption_ledger = ledger->empty() ? cfg.keyring_file + ".usage" : Resolve(base_dir, *ledger);
    // audit: the tamper-evident trail (audit/trail.h).
    if (YAML::Node a = root["audit"]) {
      if (!a.IsMap()) return c.At(a, "'audit' must be a mapping: audit: {file: F, key_file: K}");
      if (Status s = CheckKeys(c, a, "audit", {"file", "key_file", "topic", "checkpoint_every"}); !s.ok())
        return s.error();
      auto file = String(c, a, "file", "audit.file", true);
      if (!file.ok()) return file.error();
      auto key = String(c, a, "key_file", "audit.key_file", true);
      if (!key.ok()) return key.error();
      auto topic = String(c, a, "topic", "audit.topic", false);
      if (!topic.ok()) return topic.error();
      cfg.audit.file = Resolve(base_dir, *file);
      cfg.audit.key_file = Resolve(base_dir, *key);
      cfg.audit.topic = *topic;
      long long every = cfg.audit.checkpoint_every;
      if (Status s = Int(c, a, "checkpoint_every", "audit.checkpoint_every", 1, 100000000, &every); !s.ok())
        return s.error();
      cfg.audit.checkpoint_every = static_cast<int>(every);
    }

    if (YAML::Node t = root["delivery"]) {
      if (Status s = CheckKeys(c, t, "delivery",
                               {"mode", "transactional_id", "commit", "commit_interval_ms", "commit_max_records",
                                "transaction_timeout_ms"});
          !s.ok())
        return s.error();
      auto mode = String(c, t, "mode", "delivery.mode", false);
      if (!mode.ok()) return mode.error();
      if (!mode->empty()) {
        if (*mode != "exactly_once" && *mode != "at_least_once")
          return c.At(t["mode"], "'delivery.mode' must be exactly_once or at_least_once");
        cfg.delivery_mode = *mode;
      }
      auto id = String(c, t, "transactional_id", "delivery.transactional_id", false);
      if (!id.ok()) return id.error();
      cfg.transactional_id = *id;
      if (!cfg.transactional_id.empty() && cfg.delivery_mode != "exactly_once")
        return c.At(t["transactional_id"], "'delivery.transactional_id' is only used with mode exactly_once");
      auto commit = String(c, t, "commit", "delivery.commit", false);
      if (!commit.ok()) return commit.error();
      if (!commit->empty()) {
        if (*commit != "interval" && *commit != "eager")
          return c.At(t["commit"], "'delivery.commit' must be interval or eager");
        if (*commit == "eager" && cfg.delivery_mode != "exactly_once")
          return c.At(t["commit"], "'delivery.commit: eager' is only used with mode exactly_once");
        cfg.commit_policy = *commit;
      }
      long long v = cfg.commit_interval_ms;
      if (Status s = Int(c, t, "commit_interval_ms", "delivery.commit_interval_ms", 1, 600000, &v); !s.ok())
        return s.error();
      cfg.commit_interval_ms = static_cast<int>(v);
      v = cfg.commit_max_records;
      if (Status s = Int(c, t, "commit_max_records", "delivery.commit_max_records", 1, 10000000, &v); !s.ok())
        return s.error();
      cfg.commit_max_records = static_cast<int>(v);
      v = cfg.transaction_timeout_ms;
      if (Status s = Int(c, t, "transaction_timeout_ms", "delivery.transaction_timeout_ms", 1000, 900000, &v); !s.ok())
        return s.error();
      cfg.transaction_timeout_ms = static_cast<int>(v);
    }
    if (YAML::Node l = root["limits"]) {
      if (Status s = CheckKeys(c, l, "limits",
                               {"max_record_bytes", "max_json_depth", "max_inflight_records", "max_inflight_bytes"});
          !s.ok())
        return s.error();
      long long v = static_cast<long long>(cfg.max_record_bytes);
      if (Status s = Int(c, l, "max_record_bytes", "limits.max_record_bytes", 1, 100LL << 20, &v); !s.ok())
        return s.error();
      cfg.max_record_bytes = static_cast<size_t>(v);
      v = cfg.max_json_depth;
      if (Status s = Int(c, l, "max_json_depth", "limits.max_json_depth", 1, 1000, &v); !s.ok()) return s.error();
      cfg.max_json_depth = static_cast<int>(v);
      v = cfg.max_inflight_records;
      if (Status s = Int(c, l, "max_inflight_records", "limits.max_inflight_records", 1, 10000000, &v); !s.ok())
        return s.error();
      cfg.max_inflight_records = static_cast<int>(v);
      v = static_cast<long long>(cfg.max_inflight_bytes);
      if (Status s = Int(c, l, "max_inflight_bytes", "limits.max_inflight_bytes", 1 << 20, 4LL << 30, &v); !s.ok())
        return s.error();
      cfg.max_inflight_bytes = static_cast<size_t>(v);
    }
    if (root["log_level"]) {
      auto lvl = String(c, root, "log_level", "log_level", false);
      if (!lvl.ok()) return lvl.error();
      log::Level parsed;
      if (!log::ParseLevel(*lvl, &parsed))
        return c.At(root["log_level"], "'log_level' must be one of: debug, info, warn, error");
      cfg.log_level = *lvl;
    }
    if (root["log_format"]) {
      auto fmt = String(c, root, "log_format", "log_format", false);
      if (!fmt.ok()) return fmt.error();
      log::Format parsed;
      if (!log::ParseFormat(*fmt, &parsed)) return c.At(root["log_format"], "'log_format' must be text or json");
      cfg.log_format = *fmt;
    }
    if (YAML::Node a = root["admin"]) {
      if (Status s = CheckKeys(c, a, "admin", {"enabled", "listen", "allowed_hosts", "operators", "tls", "playground"});
          !s.ok())
        return s.error();
      if (YAML::Node e = a["enabled"]) {
        if (!e.IsScalar() || !YAML::convert<bool>::decode(e, cfg.admin.enabled))
          return c.At(e, "'admin.enabled' must be true or false");
      }
      if (YAML::Node l = a["listen"]) {
        if (!l.IsScalar()) return c.At(l, "'admin.listen' must be HOST:PORT, or \"\" to turn the listener off");
        cfg.admin.listen = l.Scalar();
        if (cfg.admin.listen.empty()) {
          cfg.admin.enabled = false;
        } else if (auto parsed = admin::ParseListen(cfg.admin.listen); !parsed.ok()) {
          return c.At(l, parsed.error().message);
        }
      }
      if (YAML::Node h = a["allowed_hosts"]; h && !h.IsNull()) {
        if (Status s = AllowedHosts(c, h, &cfg.admin.allowed_hosts); !s.ok()) return s.error();
      }
      if (YAML::Node o = a["operators"]; o && !o.IsNull()) {
        if (!o.IsSequence() || o.size() == 0)
          return c.At(o, "'admin.operators' must be a non-empty list of client certificate subjects (RFC 2253)");
        for (const auto& e : o) {
          if (!e.IsScalar() || e.Scalar().empty())
            return c.At(e, "'admin.operators' entries must be certificate subjects, e.g. \"CN=ops,O=Example\"");
          cfg.admin.operators.push_back(e.Scalar());
        }
        if (!a["tls"] || !a["tls"]["client_ca_file"])
          return c.At(o, "'admin.operators' needs client certificates: set admin.tls.client_ca_file");
      }
      if (YAML::Node t = a["tls"]) {
        if (Status s = CheckKeys(c, t, "admin.tls", {"cert_file", "key_file", "client_ca_file"}); !s.ok())
          return s.error();
        auto cert = String(c, t, "cert_file", "admin.tls.cert_file", true);
        if (!cert.ok()) return cert.error();
        auto key = String(c, t, "key_file", "admin.tls.key_file", true);
        if (!key.ok()) return key.error();
        auto ca = String(c, t, "client_ca_file", "admin.tls.client_ca_file", false);
        if (!ca.ok()) return ca.error();
        cfg.admin.tls_cert_file = Resolve(base_dir, *cert);
        cfg.admin.tls_key_file = Resolve(base_dir, *key);
        if (!ca->empty()) cfg.admin.tls_client_ca_file = Resolve(base_dir, *ca);
      }
      if (YAML::Node pg = a["playground"]) {
        if (Status s = CheckKeys(c, pg, "admin.playground", {"enabled", "max_body_bytes", "max_events"}); !s.ok())
          return s.error();
        if (YAML::Node e = pg["enabled"]) {
          if (!e.IsScalar() || !YAML::convert<bool>::decode(e, cfg.admin.playground.enabled))
            return c.At(e, "'admin.playground.enabled' must be true or false");
        }
        long long v = static_cast<long long>(cfg.admin.playground.max_body_bytes);
        if (Status s = Int(c, pg, "max_body_bytes", "admin.playground.max_body_bytes", 1024, 16 << 20, &v); !s.ok())
          return s.error();
        cfg.admin.playground.max_body_bytes = static_cast<size_t>(v);
        v = cfg.admin.playground.max_events;
        if (Status s = Int(c, pg, "max_events", "admin.playground.max_events", 1, 10000, &v); !s.ok()) return s.error();
        cfg.admin.playground.max_events = static_cast<int>(v);
      }
    }
    if (YAML::Node r = root["reveal"]) {
      if (Status s = RevealSection(c, r, &cfg.reveal); !s.ok()) return s.error();
      if (cfg.reveal.enabled && (!cfg.admin.enabled || cfg.admin.tls_client_ca_file.empty()))
        return c.At(r,
                    "'reveal.enabled' needs the admin listener with tls: {cert_file, key_file, client_ca_file}: "
                    "values are revealed only to clients with a certificate from that CA");
    }
    if (YAML::Node k = root["kms"]; k && !k.IsNull()) {
      if (Status s = CheckKeys(
              c, k, "kms", {"address", "token_file", "ca_file", "mount", "timeout_ms", "probe_interval_s", "token"});
          !s.ok())
        return s.error();
      if (k["token"])
        return c.At(k["token"],
                    "'kms.token' is refused: a token is never written in the config; put it in a file "
                    "(mode 0600) named by kms.token_file");
      auto address = String(c, k, "address", "kms.address", true);
      if (!address.ok()) return address.error();
      if (address->rfind("https://", 0) != 0 && address->rfind("http://", 0) != 0)
        return c.At(k["address"], "'kms.address' must be https://HOST:PORT (http:// only on loopback)");
      cfg.kms.address = *address;
      auto token = String(c, k, "token_file", "kms.token_file", true);
      if (!token.ok()) return token.error();
      cfg.kms.token_file = Resolve(base_dir, *token);
      auto ca = String(c, k, "ca_file", "kms.ca_file", false);
      if (!ca.ok()) return ca.error();
      if (!ca->empty()) cfg.kms.ca_file = Resolve(base_dir, *ca);
      auto mount = String(c, k, "mount", "kms.mount", false);
      if (!mount.ok()) return mount.error();
      if (!mount->empty()) cfg.kms.mount = *mount;
      long long v = cfg.kms.timeout_ms;
      if (Status s = Int(c, k, "timeout_ms", "kms.timeout_ms", 100, 120000, &v); !s.ok()) return s.error();
      cfg.kms.timeout_ms = static_cast<int>(v);
      v = cfg.kms.probe_interval_s;
      if (Status s = Int(c, k, "probe_interval_s", "kms.probe_interval_s", 0, 86400, &v); !s.ok()) return s.error();
      cfg.kms.probe_interval_s = static_cast<int>(v);
    }
    long long wk = cfg.workers;
    if (Status s = Int(c, root, "workers", "workers", 0, 256, &wk); !s.ok()) return s.error();
    cfg.workers = static_cast<int>(wk);
    long long si = cfg.stats_interval_ms;
    if (Status s = Int(c, root, "stats_interval_ms", "stats_interval_ms", 100, 3600000, &si); !s.ok()) return s.error();
    cfg.stats_interval_ms = static_cast<int>(si);
    if (YAML::Node r = root["reload"]) {
      if (Status s = CheckKeys(c, r, "reload", {"watch", "watch_removes_protections"}); !s.ok()) return s.error();
      if (YAML::Node w = r["watch"]) {
        bool b = true;
        if (!w.IsScalar() || !YAML::convert<bool>::decode(w, b)) return c.At(w, "'reload.watch' must be true or false");
        cfg.reload_watch = b;
      }
      if (YAML::Node w = r["watch_removes_protections"]) {
        bool b = false;
        if (!w.IsScalar() || !YAML::convert<bool>::decode(w, b))
          return c.At(w, "'reload.watch_removes_protections' must be true or false");
        cfg.reload_watch_removes_protections = b;
      }
    }
    cfg.sections = Sections(root);
  } catch (const YAML::Exception& e) {
    return c.At(e.mark, e.msg);
  }
  return cfg;
}

}  // namespace maskproxy::app
