#include "app/admin_handlers.h"

#include "common/log.h"
#include "common/text.h"

namespace maskproxy::app {
namespace {

using text::JsonQuoted;

std::string Properties(const std::map<std::string, std::string>& props) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : props) {
    if (!first) out.push_back(',');
    first = false;
    out += JsonQuoted(k) + ":" + JsonQuoted(IsSecretProperty(k) ? "(redacted)" : v);
  }
  return out + "}";
}

const char* TargetName(policy::Target t) {
  switch (t) {
    case policy::Target::kValue: return "value";
    case policy::Target::kKey: return "key";
    case policy::Target::kHeader: return "header";
  }
  return "?";
}

const char* UnlistedName(policy::Unlisted u) {
  switch (u) {
    case policy::Unlisted::kKeep: return "keep";
    case policy::Unlisted::kDrop: return "drop";
    case policy::Unlisted::kScan: return "scan";
  }
  return "?";
}

std::string RuleJson(const policy::Rule& r) {
  std::string path = r.target == policy::Target::kKey      ? "$key"
                     : r.target == policy::Target::kHeader ? "$header." + r.header
                                                           : r.path.text;
  std::string out = "{\"target\":\"" + std::string(TargetName(r.target)) + "\",\"path\":" + JsonQuoted(path) +
                    ",\"action\":" + JsonQuoted(r.action_name);
  // The key a reversible action uses, as name:version (never material).
  if (r.action) {
    std::string key_ref = r.action->KeyRef();
    if (!key_ref.empty()) out += ",\"key\":" + JsonQuoted(key_ref);
  }
  if (r.whole) out += ",\"apply_to\":\"whole\"";
  if (r.protect_on_mismatch) out += ",\"on_shape_mismatch\":\"protect\"";
  out += ",\"line\":" + std::to_string(r.line) + "}";
  return out;
}

std::string PolicyJson(const policy::Policy& p) {
  std::string out = "{\"file\":" + JsonQuoted(p.origin()) + ",\"name\":" + JsonQuoted(p.name()) +
                    ",\"version\":" + std::to_string(p.version()) + ",\"hash\":" + JsonQuoted(p.hash()) +
                    ",\"label\":" + JsonQuoted(p.Label()) + ",\"routes\":[";
  for (size_t i = 0; i < p.routes().size(); ++i) {
    const policy::Route& r = p.routes()[i];
    if (i) out.push_back(',');
    out += "{\"name\":" + JsonQuoted(r.name) + ",\"from\":" + JsonQuoted(r.from) + ",\"to\":" + JsonQuoted(r.to) +
           ",\"dead_letter\":" + JsonQuoted(r.dead_letter) + ",\"unlisted_fields\":\"" + UnlistedName(r.unlisted) +
           "\",\"rules\":[";
    for (size_t j = 0; j < r.rules.size(); ++j) {
      if (j) out.push_back(',');
      out += RuleJson(r.rules[j]);
    }
    out += "]}";
  }
  return out + "]}";
}

}  // namespace

bool IsSecretProperty(const std::string& name) {
  // File locations are paths, not secrets; everything else that names a
  // password, a key, a secret or a credential is hidden (fail closed).
  if (name.size() > 9 && name.compare(name.size() - 9, 9, ".location") == 0) return false;
  for (const char* word : {"password", "secret", "pem", "key", "token", "credential", "oauthbearer", "jaas"})
    if (name.find(word) != std::string::npos) return true;
  return false;
}

admin::ReadyReport ReadyFromHealth(const pipeline::Health& health, bool policies_loaded) {
  admin::ReadyReport rep;
  if (!policies_loaded) rep.unmet.push_back({"policies_not_loaded", {}, ""});
  if (health.fatal) {
    const bool fenced = health.fatal_reason.find("FENCED") != std::string::npos ||
                        health.fatal_reason.find("fenced") != std::string::npos;
    rep.unmet.push_back({fenced ? "fenced" : "fatal", {}, health.fatal_reason});
  }
  if (!health.transactions_ready) rep.unmet.push_back({"transactions_not_initialised", {}, ""});
  if (!health.joined_group) rep.unmet.push_back({"consumer_not_joined", {}, ""});
  // No broker answered: whether the topics exist is unknown (not "missing").
  if (!health.brokers_unreachable.empty())
    rep.unmet.push_back({"broker_unreachable", {}, "no broker answered (" + health.brokers_unreachable + ")"});
  if (!health.missing_topics.empty()) rep.unmet.push_back({"output_topic_missing", health.missing_topics, ""});
  if (!health.missing_sources.empty()) rep.unmet.push_back({"source_topic_missing", health.missing_sources, ""});
  if (!health.audit_ok) rep.unmet.push_back({"audit_sink_down", {}, health.audit_error});
  return rep;
}

std::string ConfigDumpJson(const Config& cfg, const std::vector<std::shared_ptr<const policy::Policy>>& policies,
                           const crypto::Keyring& keys) {
  std::string out = "{\"config\":{";
  out += "\"file\":" + JsonQuoted(cfg.path);
  out += ",\"source\":{\"brokers\":" + JsonQuoted(cfg.source_brokers) + ",\"group_id\":" + JsonQuoted(cfg.group_id) +
         ",\"properties\":" + Properties(cfg.source_properties) + "}";
  out += ",\"destination\":{\"brokers\":" + JsonQuoted(cfg.destination_brokers) +
         ",\"properties\":" + Properties(cfg.destination_properties) + "}";
  bool split = false;  // key custody: the keyring files by purpose, when split
  for (const auto& f : cfg.keyring_files) split = split || f.purpose != crypto::KeyPurpose::kAny;
  if (split) {
    out += ",\"keyrings\":{";
    for (size_t i = 0; i < cfg.keyring_files.size(); ++i)
      out += (i ? "," : "") + JsonQuoted(crypto::KeyPurposeName(cfg.keyring_files[i].purpose)) + ":" +
             JsonQuoted(cfg.keyring_files[i].path);
    out += "}";
  }
  out += ",\"policies\":[";
  for (size_t i = 0; i < cfg.policy_files.size(); ++i) out += (i ? "," : "") + JsonQuoted(cfg.policy_files[i]);
  out += "],\"keyring\":" + JsonQuoted(cfg.keyring_file);
  out += ",\"encryption_ledger\":" + JsonQuoted(cfg.encryption_ledger);
  out += ",\"audit\":{\"file\":" + JsonQuoted(cfg.audit.file) + ",\"key_file\":" + JsonQuoted(cfg.audit.key_file) +
         ",\"topic\":" + JsonQuoted(cfg.audit.topic) +
         ",\"checkpoint_every\":" + std::to_string(cfg.audit.checkpoint_every) + "}";
  out += ",\"delivery\":{\"mode\":" + JsonQuoted(cfg.delivery_mode) +
         ",\"transactional_id\":" + JsonQuoted(cfg.transactional_id) + ",\"commit\":" + JsonQuoted(cfg.commit_policy) +
         ",\"commit_interval_ms\":" + std::to_string(cfg.commit_interval_ms) +
         ",\"commit_max_records\":" + std::to_string(cfg.commit_max_records) +
         ",\"transaction_timeout_ms\":" + std::to_string(cfg.transaction_timeout_ms) + "}";
  out += ",\"limits\":{\"max_record_bytes\":" + std::to_string(cfg.max_record_bytes) +
         ",\"max_json_depth\":" + std::to_string(cfg.max_json_depth) +
         ",\"max_inflight_records\":" + std::to_string(cfg.max_inflight_records) +
         ",\"max_inflight_bytes\":" + std::to_string(cfg.max_inflight_bytes) + "}";
  out += ",\"log_level\":\"" + std::string(log::LevelName(log::GetLevel())) + "\"";
  out += ",\"log_format\":" + JsonQuoted(cfg.log_format);
  out += ",\"stats_interval_ms\":" + std::to_string(cfg.stats_interval_ms);
  out += ",\"workers\":" + std::to_string(cfg.workers);
  out += ",\"admin\":{\"enabled\":" + std::string(cfg.admin.enabled ? "true" : "false") +
         ",\"listen\":" + JsonQuoted(cfg.admin.listen) + ",\"allowed_hosts\":[";
  for (size_t i = 0; i < cfg.admin.allowed_hosts.size(); ++i)
    out += (i ? "," : "") + JsonQuoted(cfg.admin.allowed_hosts[i]);
  out += "],\"operators\":[";
  for (size_t i = 0; i < cfg.admin.operators.size(); ++i) out += (i ? "," : "") + JsonQuoted(cfg.admin.operators[i]);
  out += "],\"tls\":{\"cert_file\":" + JsonQuoted(cfg.admin.tls_cert_file) +
         ",\"key_file\":" + JsonQuoted(cfg.admin.tls_key_file) +
         ",\"client_ca_file\":" + JsonQuoted(cfg.admin.tls_client_ca_file) + "}}";
  // The KMS: where it is and which token file; never the token.
  if (!cfg.kms.address.empty())
    out += ",\"kms\":{\"address\":" + JsonQuoted(cfg.kms.address) + ",\"mount\":" + JsonQuoted(cfg.kms.mount) +
           ",\"token_file\":" + JsonQuoted(cfg.kms.token_file) + ",\"ca_file\":" + JsonQuoted(cfg.kms.ca_file) + "}";
  out += "},\"policies\":[";
  for (size_t i = 0; i < policies.size(); ++i) out += (i ? "," : "") + PolicyJson(*policies[i]);
  out += "],\"keys\":[";
  bool first = true;
  for (const std::string& name : keys.Names()) {
    const crypto::Key* k = keys.Find(name);
    if (!k) continue;
    if (!first) out.push_back(',');
    first = false;
    out += "{\"name\":" + JsonQuoted(name) + ",\"active\":" + std::to_string(k->active) + ",\"versions\":[";
    bool vfirst = true;
    for (const auto& [v, material] : k->versions) {
      (void)material;  // never printed
      out += (vfirst ? "" : ",") + std::to_string(v);
      vfirst = false;
    }
    out += "]";
    // The KMS key of each wrapped version (the wrapped form is not shown).
    if (!k->wrapped.empty()) {
      out += ",\"wrapped\":{";
      bool wfirst = true;
      for (const auto& [v, w] : k->wrapped) {
        out += (wfirst ? "\"" : ",\"") + std::to_string(v) + "\":" + JsonQuoted(w.kms);
        wfirst = false;
      }
      out += "}";
    }
    // Each version's fingerprint (crypto::KeyFingerprint): which material,
    // never the material.
    out += ",\"fingerprints\":{";
    bool ffirst = true;
    for (const auto& [v, fp] : k->fingerprints) {
      out += (ffirst ? "\"" : ",\"") + std::to_string(v) + "\":" + JsonQuoted(fp);
      ffirst = false;
    }
    out += "}}";
  }
  return out + "]}";
}

}  // namespace maskproxy::app
