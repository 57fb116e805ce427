// maskproxy policy check|test: validate policy files, run their embedded tests.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/flags.h"
#include "app/kms_setup.h"
#include "app/policy_set.h"
#include "app/policy_tests.h"
#include "common/text.h"
#include "crypto/keyring.h"
#include "engine/engine.h"
#include "policy/policy.h"
#include "transform/registry.h"

namespace maskproxy::app {
namespace {

const char kPolicyHelp[] = R"(maskproxy policy check --keys FILE POLICY...
maskproxy policy test --keys FILE POLICY...

check  validates the policy files as `maskproxy run` loads them together
       (routes, paths, actions, options, key names, embedded tests, and
       conflicts between routes, also across files: a source claimed twice,
       a source that is an output, a dead-letter topic that is a destination)
       against the keyring and prints every error as file:line:column:
       message; runs the embedded tests too (a file whose test fails is not
       ok: file:line: test 'NAME' fails). Exit 0 if all are valid and their
       tests pass, 1 if a test fails, 2 if a file is invalid. Warnings (e.g. keep
       with apply_to: whole, which passes nested PII unchecked) go to stderr
       as file:line:column: warning: ... and do not fail the check.
test   runs the tests embedded in each policy (`tests:`) through the engine
       the proxy uses and prints a diff for each failure. Exit 0 if all pass,
       1 if any fails, 2 if a policy does not compile.

Actions: )";

}  // namespace

int CmdPolicy(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kPolicyHelp, stdout);
    for (const auto& n : transform::ActionNames()) std::printf("%s ", n.c_str());
    std::printf("\n");
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string& sub = args[0];
  if (sub != "check" && sub != "test") return Usage("policy: unknown command" + ShownCommand(sub));
  std::string keys_path;
  std::vector<std::string> files;
  bool help = false;
  std::string err = ParseFlags("policy " + sub, std::vector<std::string>(args.begin() + 1, args.end()),
                               {{{"--keys", &keys_path}}, {}}, &files, &help);
  if (!err.empty()) return Usage(err);
  if (help) return CmdPolicy({});
  if (keys_path.empty()) return Usage("policy " + sub + ": --keys FILE is required (rules name keys)");
  if (files.empty()) return Usage("policy " + sub + ": name at least one policy file");
  auto keys = LoadKeyringForCli(keys_path);
  if (!keys.ok()) return Fail(keys.error(), kExitUsage);
  // Loaded as the proxy loads them (conflicts between routes, also across
  // files, included), with an in-memory encryption ledger.
  std::vector<std::shared_ptr<const policy::Policy>> policies;
  auto set = LoadPolicySet(files, *keys, PolicySetOptions{}, &policies);
  const bool ok = set.ok();
  if (!ok) std::fprintf(stderr, "%s\n", set.error().message.c_str());
  if (sub == "check") {
    bool tests_failed = false;
    for (const auto& p : policies) {
      for (const auto& w : p->warnings()) std::fprintf(stderr, "%s\n", w.c_str());
      // No "ok" in a run that fails: a reader (or a grep in CI) takes the
      // files for checked together, and together they are not.
      if (!ok) continue;
      // Nor one whose own tests fail (a reload rejects it: policy_tests_failed).
      size_t failing = 0;
      for (const auto& o : RunPolicyTests(p, engine::Limits{}, set->engine.get())) {
        if (o.passed) continue;
        ++failing;
        std::fprintf(stderr, "%s:%d: test%s fails (maskproxy policy test shows the differences)\n", p->origin().c_str(),
                     o.line, text::OneLine(text::Shown(o.name)).c_str());
      }
      if (failing > 0) {
        tests_failed = true;
        std::printf("%s: FAIL (%s, %zu route(s), %zu of %zu test(s) failed)\n", p->origin().c_str(),
                    text::OneLine(p->Label()).c_str(), p->routes().size(), failing, p->tests().size());
        continue;
      }
      std::printf("%s: ok (%s, %zu route(s), %zu test(s))\n", p->origin().c_str(), text::OneLine(p->Label()).c_str(),
                  p->routes().size(), p->tests().size());
    }
    for (const auto& w : CrossFileShadowing(policies)) std::fprintf(stderr, "%s\n", w.c_str());
    if (!ok) return kExitUsage;
    return tests_failed ? kExitFailure : kExitOk;
  }
  size_t passed = 0, failed = 0;
  // A file that does not compile has no tests run: said, not counted as
  // "0 passed, 0 failed".
  if (!ok)
    for (const auto& f : files)
      if (std::none_of(policies.begin(), policies.end(), [&](const auto& p) { return p->origin() == f; }))
        std::printf("%s: tests not run: the policy does not compile\n", text::OneLine(f).c_str());
  for (const auto& p : policies) {
    if (p->tests().empty()) std::printf("%s: no tests\n", p->origin().c_str());
    // Routed as the proxy routes them: over every file given, in order.
    for (const auto& o : RunPolicyTests(p, engine::Limits{}, ok ? set->engine.get() : nullptr)) {
      auto print = [](const std::string& prefix, const std::string& d) {
        std::string indented = prefix + d;
        for (size_t pos = 0; (pos = indented.find('\n', pos)) != std::string::npos; pos += 5)
          indented.replace(pos, 1, "\n    ");
        std::printf("%s\n", indented.c_str());
      };
      if (o.passed) {
        ++passed;
        std::printf("PASS %s:%d %s\n", p->origin().c_str(), o.line, text::OneLine(o.name).c_str());
      } else {
        ++failed;
        std::printf("FAIL %s:%d %s\n", p->origin().c_str(), o.line, text::OneLine(o.name).c_str());
      }
      for (const auto& d : o.diffs) print("    ", d);
      for (const auto& w : o.warnings) print("    warning: ", w);
    }
  }
  if (ok || passed + failed > 0) std::printf("%zu passed, %zu failed\n", passed, failed);
  if (!ok) return kExitUsage;
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace maskproxy::app
