// Policy: YAML -> validated, immutable compiled policy.
//
// A policy names routes (source topic -> destination topic, dead-letter
// topic) and, per route, field rules (path -> action and options). Every
// error carries file:line:column and says what was expected. A compiled
// policy is immutable and shared by pointer; reload builds a new one.
//
//   policy: payments-pii
//   version: 3
//   routes:
//     - from: payments.raw
//       to: analytics.payments
//       dead_letter: payments.quarantine
//       unlisted_fields: keep
//       rules:
//         - { path: user.rrn, action: tokenize, key: rrn, normalize: digits }
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codec/path.h"
#include "common/result.h"
#include "crypto/keyring.h"
#include "transform/action.h"

namespace maskproxy::policy {

struct Rule {
  codec::FieldPath path;
  std::string action_name;
  std::unique_ptr<const transform::Action> action;
  int line = 0;  // 1-based line in the policy file
};

struct Route {
  std::string name;  // defaults to `from`
  std::string from;
  std::string to;
  std::string dead_letter;
  codec::PathSet paths;  // terminal id = index into rules
  std::vector<Rule> rules;
};

class Policy {
 public:
  // Reads and compiles a policy file; keys are resolved against `keys`.
  [[nodiscard]] static Result<std::shared_ptr<const Policy>> Load(const std::string& path, const crypto::Keyring& keys);
  // Compiles policy YAML text; `origin` names it in errors.
  [[nodiscard]] static Result<std::shared_ptr<const Policy>> Parse(std::string_view yaml, const std::string& origin,
                                                                   const crypto::Keyring& keys);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] int64_t version() const { return version_; }
  [[nodiscard]] const std::string& hash() const { return hash_; }  // 12 hex chars of SHA-256 of the file
  [[nodiscard]] const std::string& origin() const { return origin_; }
  [[nodiscard]] const std::vector<Route>& routes() const { return routes_; }
  // "name@version#hash", as put into the record headers.
  [[nodiscard]] std::string Label() const;

 private:
  std::string name_;
  int64_t version_ = 0;
  std::string hash_;
  std::string origin_;
  std::vector<Route> routes_;
};

[[nodiscard]] bool IsValidTopicName(std::string_view name);

}  // namespace maskproxy::policy
