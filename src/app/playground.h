// The policy playground's dry run (POST /v1/policy/evaluate) and the loaded
// policies for its picker (GET /v1/policy/loaded); the page is
// web/playground/ (playground_assets.h). docs/PLAYGROUND.md has the why.
//
// Request (JSON object; unknown members refused):
//   {"policy": "<YAML text>"            one of these two: the policy as edited,
//    "policy_file": "policies/p.yaml"   or a file of the config's `policies:`
//                                       (operators only: 403 unless
//                                       PlaygroundOptions::policy_files_readable)
//    "events": "<JSON Lines or CSV>",   the sample events
//    "format": "jsonl" | "csv",         default jsonl
//    "route": "name or source topic",   default: the policy's first route
//    "topic": "topic",                  default: the route's `from`; given,
//                                       the route the proxy picks for it
//                                       (400 if the named one would not)
//    "session": "<base64url>",          16-64 random bytes the page made; absent:
//                                       the server draws one and answers it
//    "run_tests": true}                 run the policy's embedded tests (default)
//
// Answers, all JSON:
//   200 {"ok":true,"keys":"throwaway",...,"policy":{...},"route":...,
//        "errors":[],"warnings":[{line,col,message}],
//        "events":[{"line":N,"raw":...,"masked":...,"rules":[...],"findings":[...]}
//                  | {"line":N,"raw":...,"dead_letter":{"reason","detail"}}],
//        "tests":[{"name","line","passed","diffs":[...]}]}
//   422 {"ok":false,"error":"policy_invalid",...,"errors":[{line,col,message}]}:
//        the policy does not compile (the errors of `maskproxy policy check`)
//   400 {"error":"invalid_json","message","line","col"}: the body is not JSON;
//       invalid_argument (a member missing, unknown or mistyped; an unknown
//       route or policy file; a topic no route reads, or that another route
//       than the named one takes), invalid_utf8
//   413 {"error":"too_large"}: more events than max_events (the body
//       limit itself is the listener's: admin/server.h path_body_limits)
//
// Not a token oracle: every key the policy names is derived from the
// session secret (HKDF-SHA-256), never taken from the loaded keyring; only
// the loaded keys' names and version numbers are mirrored, so that tokens
// look as in production (t1.rrn.2....) and `!match` expectations hold. No
// Kafka, no file written, nothing in the audit trail, no value in the log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/keyring.h"
#include "crypto/secret.h"
#include "engine/engine.h"

namespace maskproxy::app {

// A loaded key's shape: its active version and version numbers (never
// material).
struct KeyShape {
  uint32_t active = 1;
  std::vector<uint32_t> versions;
};
// The shapes of a keyring's keys.
[[nodiscard]] std::map<std::string, KeyShape> KeyShapes(const crypto::Keyring& keys);

struct PlaygroundOptions {
  size_t max_events = 200;
  engine::Limits limits;
  // The config's policy files: the only files "policy_file" may name.
  std::vector<std::string> policy_files;
  // The loaded keyring's shapes (names and versions mirrored; see above).
  std::map<std::string, KeyShape> key_shapes;
  // The client may read the policy files (an operator, admin.operators):
  // otherwise a request naming "policy_file" is 403, as GET
  // /v1/policy/loaded is.
  bool policy_files_readable = true;
};

struct PlaygroundReply {
  int status = 200;
  std::string json_body;
};

// POST /v1/policy/evaluate. Never throws; a bad request is a 4xx answer.
[[nodiscard]] PlaygroundReply EvaluatePolicy(std::string_view body, const PlaygroundOptions& options);

// GET /v1/policy/loaded: {"policies":[{"file":...,"text":...},...]} (the
// text of each of `files`, or "error" when it cannot be read). Policies hold
// no key material.
[[nodiscard]] std::string LoadedPoliciesJson(const std::vector<std::string>& files);

// The names every `key:` of the policy YAML names (rules, scan actions),
// sorted, valid key names only; empty when the YAML does not parse.
[[nodiscard]] std::vector<std::string> KeyNamesIn(std::string_view yaml);

// The throwaway keyring of a session: for each name, its shape from
// `shapes` (version 1 when absent) with each version's material
// HKDF-SHA-256(session, salt "maskproxy/playground/v1", info "NAME:VERSION").
[[nodiscard]] Result<crypto::Keyring> ThrowawayKeyring(const crypto::SecretBytes& session,
                                                       const std::vector<std::string>& names,
                                                       const std::map<std::string, KeyShape>& shapes);

}  // namespace maskproxy::app
