#include "policy/internal/yaml_diag.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/text.h"

namespace maskproxy::policy::internal {

bool Tagged(const YAML::Node& n) {
  const std::string& t = n.Tag();
  return !t.empty() && t != "?" && t != "!";
}

std::string OptionText(const YAML::Node& map, const std::vector<std::string>& skip) {
  if (!map.IsMap()) return "";
  std::map<std::string, std::string> sorted;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) continue;
    const std::string& k = kv.first.Scalar();
    if (std::find(skip.begin(), skip.end(), k) != skip.end()) continue;
    sorted[k] = kv.second.IsScalar() ? kv.second.Scalar() : std::string(kv.second.IsNull() ? "~" : "...");
  }
  std::string out;
  for (const auto& [k, v] : sorted) {
    if (!out.empty()) out += ", ";
    out += k + "=" + v;
  }
  return out;
}

Error TagError(const Ctx& c, const YAML::Node& n) {
  return c.At(n, "YAML tag" + text::Shown(n.Tag()) +
                     " is not allowed in a policy (it would change how the value reads: write the value plainly)");
}

Error MergeKeyError(const Ctx& c, const YAML::Node& key) {
  return c.At(key,
              "YAML merge keys (<<) are not supported: write the keys out (an anchor and alias may repeat a "
              "whole rule or route)");
}

bool CheckKeys(const Ctx& c, const YAML::Node& map, const std::vector<std::string>& allowed, const char* what,
               Diag& diag, bool allow_match) {
  const size_t before = diag.size();
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (Tagged(kv.first)) diag.Add(TagError(c, kv.first));
    if (Tagged(kv.second) && !(allow_match && (kv.second.Tag() == "!match" || kv.second.Tag() == "!same")))
      diag.Add(TagError(c, kv.second));
    if (!kv.first.IsScalar()) {
      diag.Add(c.At(kv.first, std::string("keys of a ") + what + " must be plain names"));
      continue;
    }
    const std::string& k = kv.first.Scalar();
    if (k == "<<") {
      diag.Add(MergeKeyError(c, kv.first));
      continue;
    }
    if (!seen.insert(k).second) {
      diag.Add(c.At(kv.first, "duplicate key" + text::Shown(k) + " in " + what));
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string hint = text::Suggest(k, allowed);
      diag.Add(c.At(kv.first, "unknown key" + text::Shown(k) + " in " + what + " (expected: " + text::Join(allowed) +
                                  (hint.empty() ? ")" : "; did you mean" + text::Shown(hint) + "?)")));
    }
  }
  return diag.size() == before;
}

Result<std::string> RequireString(const Ctx& c, const YAML::Node& map, const char* key, const char* what) {
  YAML::Node n = map[key];
  if (!n) return c.At(map, std::string("missing '") + key + "' in " + what);
  if (!n.IsScalar() || n.Scalar().empty()) return c.At(n, std::string("'") + key + "' must be a non-empty string");
  return n.Scalar();
}

}  // namespace maskproxy::policy::internal
