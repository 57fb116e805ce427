// What `maskproxy run` serves on the admin listener (admin/router.h): the
// readiness report from the pipeline's health, and the config dump. Kept
// apart from cmd_run.cc so that both are unit-tested.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "admin/router.h"
#include "app/config.h"
#include "crypto/keyring.h"
#include "pipeline/pipeline.h"
#include "policy/policy.h"

namespace maskproxy::app {

// Every unmet condition, by its stable name: consumer_not_joined,
// transactions_not_initialised, fenced or fatal (with the reason),
// broker_unreachable (no broker answered the output-topic check, with the
// error), output_topic_missing and source_topic_missing (with the topics),
// policies_not_loaded.
[[nodiscard]] admin::ReadyReport ReadyFromHealth(const pipeline::Health& health, bool policies_loaded);

// The effective configuration and policies as JSON: brokers, group,
// delivery, limits, log settings, the admin listener, file paths; each
// policy's name, version, hash and rules per route (path, action, the
// key name:version a rule uses, options that are not secret); the keyring's
// key names and versions. Never key material, never a password: librdkafka
// properties whose names suggest a secret are printed as "(redacted)".
[[nodiscard]] std::string ConfigDumpJson(const Config& cfg,
                                         const std::vector<std::shared_ptr<const policy::Policy>>& policies,
                                         const crypto::Keyring& keys);

// True for a librdkafka property whose value must not be shown
// (sasl.password, ssl.key.password, ssl.key.pem, ...).
[[nodiscard]] bool IsSecretProperty(const std::string& name);

}  // namespace maskproxy::app
