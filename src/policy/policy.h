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
//       binary: { $header.trace-bin: pass }  # keys/headers that are not text (scan, drop)
//       rules:
//         - { path: user.rrn, action: tokenize, key: rrn, normalize: digits }
//         - { path: $key, action: tokenize, key: customer }      # the record key
//         - { path: $header.customer-id, action: redact }       # a named header
//   scan:                                   # for action: scan and unlisted_fields: scan
//     detectors:                            # the policy's own, next to the built-ins
//       - { name: member_no, pattern: 'MB-\d{8}', context_words: [회원, member] }
//     actions:                              # detector -> action; default: [<detector>]
//       rrn: { action: tokenize, key: rrn, normalize: digits }
//       phone_kr: { action: mask, keep_last: 4 }
//       ipv4: off                           # not scanned for
//       default: { action: redact, mode: constant, value: "[PII]" }
//   tests:
//     - name: rrn is tokenized
//       route: payments.raw
//       input:  { user: { rrn: "900101-1234567" } }
//       expect: { user: { rrn: !match '^t1\.rrn\.1\.' } }
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "codec/path.h"
#include "common/result.h"
#include "crypto/keyring.h"
#include "transform/action.h"
#include "transform/scan.h"

namespace re2 {
class RE2;
}

namespace maskproxy::crypto {
class UsageLedger;
}

namespace maskproxy::policy {

// What a rule applies to: a path in the JSON value, the record key, or a
// named header. Key and header rules treat the whole key or header value as
// one string.
enum class Target { kValue, kKey, kHeader };

struct Rule {
  Target target = Target::kValue;
  codec::FieldPath path;  // for kValue; path.text is the rule's path as written
  std::string header;     // for kHeader
  std::string action_name;
  std::unique_ptr<const transform::Action> action;
  bool whole = false;  // apply_to: whole (an object/array is one value)
  // on_shape_mismatch: protect (every scalar in a value of another shape on
  // the way to the path gets this rule's action); false: dead letter.
  bool protect_on_mismatch = false;
  // The action's options as written, "name=value, ..." sorted by name (the
  // reloader reports a change of them as a protection changed).
  std::string options;
  int line = 0;  // 1-based line in the policy file
};

// What happens to values no rule names: kept, dropped (allow-list), or
// scanned for PII (the schema-drift guard: each string and number goes
// through the policy's scanning, hits are protected and reported).
enum class Unlisted { kKeep, kDrop, kScan };

// A key or header declared binary in a route's `binary:` mapping.
enum class BinaryPart { kNone, kPass, kDrop };

// Header names compare like HTTP's: ASCII letters case-insensitively.
[[nodiscard]] inline bool HeaderNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

struct Route {
  std::string name;  // defaults to `from`
  // A topic name, or a pattern when it starts with '^' (RE2 syntax, matched
  // against the whole topic name; also Kafka's convention for regex
  // subscriptions), e.g. ^payments\.[a-z]+\.raw$
  std::string from;
  std::string to;
  std::string dead_letter;
  // Where `from`, `to` and `dead_letter` are written (1-based), for errors
  // about the routes of several policies together.
  struct Mark {
    int line = 0;
    int column = 0;
  };
  Mark from_at, to_at, dead_letter_at;
  Unlisted unlisted = Unlisted::kKeep;
  codec::PathSet paths;  // value rules; terminal id = index into rules
  std::vector<Rule> rules;
  int32_t key_rule = -1;                                      // index into rules, -1 if none
  std::vector<std::pair<std::string, int32_t>> header_rules;  // header name -> index into rules
  // `binary:`: the key and headers that are not text, as opaque bytes passed
  // as they are or dropped, never scanned (unlisted_fields scan or drop).
  BinaryPart binary_key = BinaryPart::kNone;
  std::vector<std::pair<std::string, BinaryPart>> binary_headers;
  // unicode::FoldHeaderName of each name in header_rules, then of each in
  // binary_headers, in their order: the engine's check for header names that
  // only fold to a ruled or declared one.
  std::vector<std::string> folded_headers;
  // "name:version,..." of the keys behind the route's reversible outputs,
  // sorted; put into each record's maskproxy.keys header ("" if none).
  std::string key_refs;
  // A pattern route's `from`, compiled once when the policy is parsed and
  // shared by every check of it and by the engine's routing (null for a
  // topic). Every topic it matches lies in [from_min, from_max] (RE2's
  // PossibleMatchRange; from_max empty: no bound known), so the checks of
  // many topics against many patterns look only at that range.
  std::shared_ptr<const re2::RE2> from_re;
  std::string from_min, from_max;
  // About the RE2 instructions of the pattern (detect::EstimateProgramSize),
  // counted against kMaxPatternRoutesProgram.
  size_t from_program = 0;

  [[nodiscard]] bool from_is_pattern() const { return !from.empty() && from[0] == '^'; }
  // Header names match ASCII case-insensitively (HTTP-style).
  [[nodiscard]] const Rule* HeaderRule(std::string_view header) const {
    for (const auto& [h, i] : header_rules)
      if (HeaderNameEquals(h, header)) return &rules[static_cast<size_t>(i)];
    return nullptr;
  }
  [[nodiscard]] BinaryPart BinaryHeader(std::string_view header) const {
    for (const auto& [h, b] : binary_headers)
      if (HeaderNameEquals(h, header)) return b;
    return BinaryPart::kNone;
  }
};

// A place in a test's output record, for `!same PATH`: the record key
// (`$key`), a header (`$header.NAME`), or a value in the masked value, as
// the runner names places in its diffs: member names joined by '.', array
// elements as [N], a name with '.', '[', ']' or '"' as ["..."] (a JSON
// string): `recipients[0].account`, `meta["a.b"].c`.
struct OutputPath {
  enum class Part { kValue, kKey, kHeader };
  struct Step {
    std::string key;     // a member name (decoded)
    int64_t index = -1;  // >= 0: an array element instead
  };
  Part part = Part::kValue;
  std::string header;       // kHeader: the header's name
  std::vector<Step> steps;  // kValue: from the value's root
};

// An expected value in an embedded test, compared structurally with the
// masked JSON: objects by member name (order ignored), arrays by position,
// strings by text, numbers/booleans/null by their literal text,
// `!match REGEX` by a regex search (RE2; anchor with ^ and $) in a string's
// text or a literal's, and `!same PATH` by equality with the output at
// another place of the same record (`same`; `text` is PATH as written).
struct Expected {
  // Declared, so that clang 14 with libstdc++ 12 does not need Expected
  // complete to decide whether pair<string, Expected> is default-constructible.
  Expected() = default;
  enum class Kind { kObject, kArray, kString, kLiteral, kMatch, kSame };
  Kind kind = Kind::kLiteral;
  std::string text;
  std::vector<std::pair<std::string, Expected>> members;
  std::vector<Expected> items;
  OutputPath same;  // kSame
  int line = 0;
};

// Reads `!same`'s PATH (OutputPath); an error says what is wrong and where
// (the character position), never quoting the path.
[[nodiscard]] Result<OutputPath> ParseOutputPath(std::string_view text);

// A test embedded in the policy under `tests:`.
struct PolicyTest {
  std::string name;
  std::string route;                 // a route's name or source topic
  std::string topic;                 // the source topic to mask as (default: the route's `from`)
  std::optional<std::string> input;  // JSON text of the value; nullopt = tombstone
  std::optional<std::string> key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<Expected> expect;  // the masked value
  std::optional<Expected> expect_key;
  // The headers of the output, every one named (nullopt = removed); given
  // empty (`expect_headers: {}`): the output has no header.
  std::optional<std::vector<std::pair<std::string, std::optional<Expected>>>> expect_headers;
  std::string expect_dead_letter;  // a dead-letter reason code, if the record must be refused
  int line = 0;
};

class Policy {
 public:
  // Reads and compiles a policy file; keys are resolved against `keys`
  // (actions copy what they need). `ledger` counts AES-GCM encryptions per key
  // version (see crypto/usage.h); the policy holds it for as long as it lives.
  // Null: the process-wide in-memory one.
  [[nodiscard]] static Result<std::shared_ptr<const Policy>> Load(
      const std::string& path, const crypto::Keyring& keys, std::shared_ptr<crypto::UsageLedger> ledger = nullptr);
  // Compiles policy YAML text; `origin` names it in errors. All errors found
  // are reported, one per line ("file:line:col: message"); the code is the
  // first error's.
  [[nodiscard]] static Result<std::shared_ptr<const Policy>> Parse(
      std::string_view yaml, const std::string& origin, const crypto::Keyring& keys,
      std::shared_ptr<crypto::UsageLedger> ledger = nullptr);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] int64_t version() const { return version_; }
  [[nodiscard]] const std::string& hash() const { return hash_; }  // 12 hex chars of SHA-256 of the file
  [[nodiscard]] const std::string& origin() const { return origin_; }
  [[nodiscard]] const std::vector<Route>& routes() const { return routes_; }
  [[nodiscard]] const std::vector<PolicyTest>& tests() const { return tests_; }
  // Findings that do not fail the policy, one per line
  // ("file:line:col: warning: ..."), for `maskproxy policy check`.
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }
  // The detectors and what their hits become (the `scan:` section, or the
  // built-in detectors with their defaults); null when nothing in the policy
  // scans.
  [[nodiscard]] const transform::Scanning* scanning() const { return scanning_.get(); }
  [[nodiscard]] const Route* FindRoute(std::string_view name_or_topic) const;
  // The route of that name only (a reveal names its route; a topic is not one).
  [[nodiscard]] const Route* FindRouteByName(std::string_view name) const;
  // True if an action the policy created (a route's value, $key or $header
  // rule, or a `scan:` action) counts AES-GCM encryptions in the ledger:
  // then the ledger given to Load/Parse is the one that enforces the limit.
  [[nodiscard]] bool Encrypts() const { return encrypts_; }
  // The ledger the policy's actions count in (null: the process-wide one).
  [[nodiscard]] const std::shared_ptr<crypto::UsageLedger>& ledger() const { return ledger_; }
  // "name@version#hash", as put into the record headers.
  [[nodiscard]] std::string Label() const;

 private:
  // First: the actions below point into it, so it is destroyed after them.
  std::shared_ptr<crypto::UsageLedger> ledger_;
  bool encrypts_ = false;
  std::string name_;
  int64_t version_ = 0;
  std::string hash_;
  std::string origin_;
  std::vector<Route> routes_;
  std::vector<PolicyTest> tests_;
  std::vector<std::string> warnings_;
  std::shared_ptr<const transform::Scanning> scanning_;
};

inline constexpr size_t kMaxTopicNameLength = 249;  // Kafka's limit
[[nodiscard]] bool IsValidTopicName(std::string_view name);

// Bounds on the pattern routes (`from: '^...'`) of one file and of all the
// files loaded together (app::CheckRoutes), besides each pattern's own (1024
// bytes, 2,000 RE2 instructions): every pattern is compiled, checked against
// every output topic and subscribed to, so their number and their
// instructions together are what a policy load costs (found by review: 500
// patterns of ~2,000 instructions each took 7 s to load and 9,400 more than
// 60 s and 575 MB, while the admin listener waited).
inline constexpr size_t kMaxPatternRoutes = 500;
inline constexpr size_t kMaxPatternRoutesProgram = 50000;

// The topics of `sorted` (in order) that a pattern route's source matches,
// looking only at the pattern's possible range; for a topic route, the topic
// itself if `sorted` holds it.
[[nodiscard]] std::vector<std::string> MatchingTopics(const Route& route, const std::set<std::string>& sorted);

// For a route's `from`: true if `topic` is `from` or matches its pattern.
[[nodiscard]] bool SourceMatches(const Route& route, std::string_view topic);
// A topic `route` reads: its topic, or for a pattern route the shortest topic
// the pattern matches ("" when none is found).
[[nodiscard]] std::string SampleTopic(const Route& route);

// A route and the file it is written in, for RouteConflicts.
struct PlacedRoute {
  const std::string* origin;
  const Route* route;
};

// The conflicts between routes, of one file or several loaded together, each
// at the route's file:line:col ("policy_conflict"): a source claimed twice; a
// route name given twice, or that is another route's source topic; a source
// topic (or a pattern matching one) that is a route's destination or
// dead-letter topic; a dead-letter topic that is another route's destination
// (raw records would reach a masked topic). More pattern routes together
// than one file may have (kMaxPatternRoutes, kMaxPatternRoutesProgram) is
// "policy_invalid", at the first route past the limit, and the only error
// then. Without `repeats`, what Policy::Parse reports of one file itself (a
// source or a name twice, the pattern bounds) is left out: Parse runs it on
// the topics of a file that has other errors (app::CheckRoutes sees only
// files that compile), so that one pass reports them all.
[[nodiscard]] std::vector<Error> RouteConflicts(const std::vector<PlacedRoute>& routes, bool repeats = true);

// What the consumer subscribes to for a route's `from`: the topic, or for a
// pattern "^(rest)$". librdkafka reads a pattern as a POSIX extended regular
// expression (regcomp, REG_EXTENDED) and searches with it, so `^a\.raw`
// would also take a.raw.masked; anchored at both ends it matches the whole
// name, as SourceMatches does. A pattern is valid only where the two
// dialects agree (the policy checks it: no \d or other letter escape, no
// (?...) group).
[[nodiscard]] std::string SubscriptionPattern(const Route& route);

}  // namespace maskproxy::policy
