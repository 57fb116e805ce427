// The one way commands load policies: `maskproxy run`, `mask`, `policy check`
// and `policy test` all call LoadPolicySet(), so every error the proxy would
// refuse to start with, `policy check` reports, at its file:line:col.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "engine/engine.h"
#include "policy/policy.h"

namespace maskproxy::app {

struct PolicySetOptions {
  // The encryption ledger file, opened (and locked) when a policy can encrypt
  // with AES-GCM (policy::Policy::Encrypts()). Empty: one in-memory ledger
  // for the whole set (policy check and test, which must not take the file a
  // running proxy holds).
  std::string ledger_path;
  engine::Limits limits;
  // An encryption ledger that is already open (a reload: the running
  // proxy's, whose file it holds locked); used instead of opening
  // ledger_path.
  std::shared_ptr<crypto::UsageLedger> ledger;
};

// Compiled policies and the engine over them. Each policy holds the ledger
// its actions count in (shared), and the engine holds the policies, so
// whatever a command keeps (the engine, a policy) keeps the ledger alive.
struct PolicySet {
  std::vector<std::shared_ptr<const policy::Policy>> policies;  // in file order
  std::shared_ptr<crypto::UsageLedger> ledger;                  // the opened ledger file; null if none was opened
  std::shared_ptr<const engine::Engine> engine;
  // Warnings about the files together (each policy has its own): a pattern
  // route whose topics a pattern of a file listed before takes first.
  std::vector<std::string> warnings;
};

// Reads and compiles every file, runs the checks between routes
// (CheckRoutes) and engine::Engine::Create, and opens the ledger as above.
// A file given twice (its path again, or another path or a link to it: the
// same device and inode) is read once and is an error, "given twice".
// Errors: every error found, one per line ("file:line:col: message"); the
// code is the first one's (policy_unreadable, policy_invalid, key_missing,
// policy_conflict, usage_ledger_io, ...). `compiled`, if given, gets each
// policy that compiled on its own, also when the set is refused.
// Logs every warning of the set's policies and of the set
// (policy_warning, at most 50; they name files, lines, routes and topics,
// never a value): what `policy check` prints, for `run` and each reload.
void LogPolicyWarnings(const PolicySet& set, const std::string& trigger);

// The warnings of PolicySet::warnings.
[[nodiscard]] std::vector<std::string> CrossFileShadowing(
    const std::vector<std::shared_ptr<const policy::Policy>>& policies);

[[nodiscard]] Result<PolicySet> LoadPolicySet(const std::vector<std::string>& files, const crypto::Keyring& keys,
                                              const PolicySetOptions& options,
                                              std::vector<std::shared_ptr<const policy::Policy>>* compiled = nullptr);

// Refuses a keyring version that shares its material with one of `reserved`
// (the audit key's versions, audit::FileTrail::key_fingerprints): the audit
// key is kept apart from the data keys ("keyring_invalid", naming both).
[[nodiscard]] Status RefuseReservedMaterial(const crypto::Keyring& keys,
                                            const std::vector<crypto::VersionFingerprint>& reserved);

// What a reveal loads (`maskproxy reveal` offline and the reveal service):
// only the keyring files that are not for tokenization
// (crypto::Keyring::LoadForReveal: a file listed as, or declaring,
// `tokenization` is never read), and the policy compiled against them in
// reveal mode: tokenize rules are never constructed (no tokenization key is
// needed or held), and a reversible rule whose key is not there compiles as
// unavailable ("key_unavailable" when used) instead of failing. The proxy's
// own loading (LoadPolicySet) still requires every key. Reveal never
// encrypts: the policy counts in a throwaway in-memory ledger.
[[nodiscard]] Result<std::shared_ptr<const policy::Policy>> LoadPolicyForReveal(
    const std::string& policy_file, const std::vector<crypto::KeyringFile>& keyrings,
    const crypto::KeyWrapper* kms = nullptr);

// LoadPolicyForReveal of each of `policy_files`, in order, the keyring
// loaded (and unwrapped) once: the offline reveal needs all of a config's
// policies to know which route reads a topic (reveal::RouteReading).
// A keyring version sharing material with one of `reserved_material` (the
// audit key's) is refused (crypto::RefuseSharedMaterial). `only`: the keys
// to load (crypto::Keyring::LoadForReveal; null: all); the rules of the
// others compile as unavailable.
[[nodiscard]] Result<std::vector<std::shared_ptr<const policy::Policy>>> LoadPoliciesForReveal(
    const std::vector<std::string>& policy_files, const std::vector<crypto::KeyringFile>& keyrings,
    const crypto::KeyWrapper* kms = nullptr, const std::vector<crypto::VersionFingerprint>& reserved_material = {},
    const std::set<std::string>* only = nullptr);

// The conflicts between the routes of policies loaded together (also within
// one file), each reported at the `from`, `to` or `dead_letter` it is about,
// naming the other route's location; code "policy_conflict":
//   - two routes with the same source (`from`);
//   - a source topic that is a route's destination or dead-letter topic;
//   - a source pattern that matches a route's destination or dead-letter topic;
//   - a dead-letter topic that is another route's destination (raw records
//     would reach a masked topic).
// engine::Engine::Create refuses the same sets (without locations). More
// pattern routes in all the files together than one file may have
// (policy::kMaxPatternRoutes, kMaxPatternRoutesProgram) is "policy_invalid",
// at the first route past the limit, and the only error then. The checks
// are policy::RouteConflicts (which Policy::Parse also runs on a file with
// other errors).
[[nodiscard]] std::vector<Error> CheckRoutes(const std::vector<std::shared_ptr<const policy::Policy>>& policies);

}  // namespace maskproxy::app
