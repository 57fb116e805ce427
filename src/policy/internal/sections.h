// The sections of a policy file, each parsed by its own file: routes and
// their rules (routes.cc), the `scan:` section (scan_section.cc) and the
// embedded tests (embedded_tests.cc). Policy::Parse (policy.cc) calls them in
// order. Internal to mp_policy.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <optional>
#include <vector>

#include "common/result.h"
#include "crypto/keyring.h"
#include "policy/internal/yaml_diag.h"
#include "policy/policy.h"
#include "transform/scan.h"

namespace maskproxy::crypto {
class UsageLedger;
}

namespace maskproxy::policy::internal {

// What one file's pattern routes have asked for so far (policy.h
// kMaxPatternRoutes, kMaxPatternRoutesProgram), counted as they are read.
struct PatternBudget {
  size_t routes = 0;
  size_t program = 0;
  bool reported = false;  // the first route past a limit is reported, once
};

// What actions are created with: the keyring, the encryption ledger and the
// policy's scanning (for action: scan); the file's pattern budget.
struct Env {
  const crypto::Keyring& keys;
  crypto::UsageLedger* ledger;
  std::shared_ptr<const transform::Scanning> scanning;  // null when nothing scans
  PatternBudget* patterns = nullptr;                    // null: not counted
};

// routes.cc: one route; errors in single rules are collected and the other
// rules still checked. Returns nullopt if the route has any error. `yaml_at` is
// the route's place in the file for Ctx::AliasAt ("routes/[0]"). *topics,
// when given, gets the route's name and topics when each topic is valid on
// its own, whatever else is wrong with the route (RouteConflicts on a file
// with errors).
[[nodiscard]] std::optional<Route> ParseRoute(const Ctx& c, const YAML::Node& node, const Env& env, Diag& diag,
                                              const std::string& yaml_at, std::optional<Route>* topics = nullptr);

// routes.cc: the shortest topic a pattern route reads (RE2's
// PossibleMatchRange, when the pattern matches it and it is a topic name),
// "" when none is found; an exact route's topic.
[[nodiscard]] std::string ShortestTopic(const Route& route);

// scan_section.cc: true if a route scans unlisted fields or a rule uses
// action: scan.
[[nodiscard]] bool UsesScanning(const YAML::Node& routes);
// scan_section.cc: the `scan:` section (or, without one, the built-in
// detectors, each hit replaced by "[<detector>]"). Errors go to diag; null
// then.
[[nodiscard]] std::shared_ptr<const transform::Scanning> ParseScanning(const Ctx& c, const YAML::Node& node,
                                                                       const Env& env, Diag& diag);

// What all the tests of one file may hold, counted as they are read, so with
// YAML aliases expanded: a few hundred bytes of nested aliases ("billion
// laughs") would otherwise expand to gigabytes of test input.
struct TestBudget {
  size_t values = 100000;          // YAML values in inputs and expectations
  size_t bytes = size_t{4} << 20;  // bytes of their scalars (a record is at most 1 MiB by default)
};

// embedded_tests.cc: one test of `tests:`; route names are checked against
// `routes` (none: not checked). Fails when `budget` runs out.
[[nodiscard]] Result<PolicyTest> ParseTest(const Ctx& c, const YAML::Node& node, const std::vector<Route>& routes,
                                           TestBudget* budget);

// The code a policy error about an action's key keeps: a missing key or a key
// of the wrong keyring purpose stays what it is; anything else is
// policy_invalid.
[[nodiscard]] inline ErrorCode KeyCodeOr(ErrorCode action_code) {
  return action_code == ErrorCode::kKeyMissing || action_code == ErrorCode::kKeyPurposeMismatch
             ? action_code
             : ErrorCode::kPolicyInvalid;
}

}  // namespace maskproxy::policy::internal
