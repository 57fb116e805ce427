// Diagnostics for the policy parser: the file:line:col context every error
// carries, the collector of all errors (and warnings) of one file, and the
// YAML helpers the sections share (allowed keys with "did you mean",
// required strings). Internal to mp_policy.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/text.h"

namespace maskproxy::policy::internal {

// The file being parsed: errors at a node read "file:line:col: message".
class Ctx {
 public:
  explicit Ctx(std::string origin) : origin_(std::move(origin)) {}
  // One line by construction (text::Located): names quoted in `msg` come
  // from the file and may hold line breaks or invisible characters.
  Error At(const YAML::Node& n, const std::string& msg, ErrorCode code = ErrorCode::kPolicyInvalid) const {
    return At(n.Mark(), msg, code);
  }
  Error At(const YAML::Mark& m, const std::string& msg, ErrorCode code = ErrorCode::kPolicyInvalid) const {
    return Error(code, text::Located(origin_, m.line + 1, m.column + 1, msg));
  }
  const std::string& origin() const { return origin_; }
  // Where each YAML alias is written, by the path of keys and "[N]" from
  // the root joined by '/' ("routes/[0]/rules/[1]"): yaml-cpp gives an
  // alias's node the anchor's mark.
  void SetAliases(std::map<std::string, YAML::Mark> at) { aliases_ = std::move(at); }
  // The mark of the alias at `path`, or null when no alias is written there.
  [[nodiscard]] const YAML::Mark* AliasAt(const std::string& path) const {
    auto it = aliases_.find(path);
    return it == aliases_.end() ? nullptr : &it->second;
  }

 private:
  std::string origin_;
  std::map<std::string, YAML::Mark> aliases_;
};

class Diag;

// Whether a node carries an explicit YAML tag (`!!binary`, `!!null`,
// `!custom`): yaml-cpp hands the text as written and drops the tag, so a
// tagged value would read otherwise than the author meant. A policy refuses
// them (the tests' `!match` is read where it is allowed).
[[nodiscard]] bool Tagged(const YAML::Node& n);
[[nodiscard]] Error TagError(const Ctx& c, const YAML::Node& n);
// yaml-cpp reads `<<: *anchor` as a key named "<<".
[[nodiscard]] Error MergeKeyError(const Ctx& c, const YAML::Node& key);

// Reports every tagged key or value (Tagged), every key outside `allowed` (with a suggestion for typos), every
// duplicate and every key that is not a plain name to `diag`. False if there
// was any: the caller goes on checking the rest of the mapping, so that one
// run shows every error. A test's expectations may be tagged `!match` or
// `!same` (allow_match).
bool CheckKeys(const Ctx& c, const YAML::Node& map, const std::vector<std::string>& allowed, const char* what,
               Diag& diag, bool allow_match = false);

// A mapping's scalar members but `skip`, sorted by name, as "name=value"
// joined by ", " (a rule's or scan action's options, compared by the
// reloader: Rule::options); "" for anything but a mapping.
[[nodiscard]] std::string OptionText(const YAML::Node& map, const std::vector<std::string>& skip);

// The non-empty string under `key` of a mapping.
[[nodiscard]] Result<std::string> RequireString(const Ctx& c, const YAML::Node& map, const char* key, const char* what);

// Collects every error of one policy file, in file order.
class Diag {
 public:
  // At most kMaxErrors are kept; the rest are counted (found by review: a
  // file of aliases repeated a route a thousand times and collected a
  // million errors). size() counts them all.
  static constexpr size_t kMaxErrors = 200;
  void Add(const Error& e) {
    if (errors_.size() < kMaxErrors)
      errors_.push_back(e);
    else
      ++more_;
  }
  // A finding that does not fail the policy ("file:line:col: message").
  void Warn(const Error& e) { warnings_.push_back(e.message); }
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }
  [[nodiscard]] bool empty() const { return errors_.empty(); }
  [[nodiscard]] size_t size() const { return errors_.size() + more_; }
  [[nodiscard]] Error Combined() const {
    std::string msg;
    for (const auto& e : errors_) msg += (msg.empty() ? "" : "\n") + e.message;
    // On the last line shown: every line of a diagnostic starts with its
    // location (fuzz_policy's oracle found the count on a line of its own).
    if (more_ > 0) msg += " (" + std::to_string(more_) + " more errors not shown)";
    return Error(errors_.front().code, msg);
  }

 private:
  std::vector<Error> errors_;
  size_t more_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace maskproxy::policy::internal
