// Runs the tests embedded in a policy (`tests:`) through the same engine the
// proxy uses, and renders readable diffs for `maskproxy policy test`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "policy/policy.h"

namespace maskproxy::app {

struct TestOutcome {
  std::string name;
  int line = 0;
  bool passed = false;
  // One entry per difference, e.g. `payment.card.number: expected "5412 75**"`
  // followed by the value that was produced. Test inputs are synthetic data
  // from the policy file, so their masked forms may be shown.
  std::vector<std::string> diffs;
  // What does not fail the test but weakens it: an expectation the input's
  // own value also satisfies, where no protecting rule's unchanged check
  // tells a masked value from a leak; the input's value expected under a
  // protecting rule.
  std::vector<std::string> warnings;
};

// Runs every test of `policy` with the given limits. Never throws. Besides
// the expectations, a test fails where a rule other than `keep` let the
// input's value through unchanged (unless the test expects that value
// there: a warning), and where a `!match` or `!same` that the input's value
// also satisfies met that value, no protecting rule covering the place.
// `together`, if given, is the engine over every policy file the proxy runs
// (PolicySet::engine, holding `policy`): a test's topic is routed as the
// proxy routes it, so a route of a file listed before that takes it fails
// the test (on an engine of `policy` alone it would pass).
[[nodiscard]] std::vector<TestOutcome> RunPolicyTests(const std::shared_ptr<const policy::Policy>& policy,
                                                      const engine::Limits& limits,
                                                      const engine::Engine* together = nullptr);

}  // namespace maskproxy::app
