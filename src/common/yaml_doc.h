// The one YAML document of a policy, config or keyring file. YAML::Load reads
// the first document and silently ignores the rest of the file: a second
// document after `---` (or anything after `...`) would be rules, keys or
// settings nobody enforces. Include only from a target that links yaml-cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

namespace maskproxy::yamldoc {

// The file's document (a null node for an empty file). Throws
// YAML::ParserException as YAML::Load does. *second is set to the mark of
// the first further document that is not empty, if there is one: the caller
// refuses the file then.
inline YAML::Node LoadOne(const std::string& text, std::optional<YAML::Mark>* second) {
  std::vector<YAML::Node> docs = YAML::LoadAll(text);
  second->reset();
  for (size_t i = 1; i < docs.size(); ++i) {
    if (docs[i].IsNull()) continue;
    YAML::Mark m = docs[i].Mark();
    if (m.line < 0) m.line = m.column = 0;
    *second = m;
    break;
  }
  return docs.empty() ? YAML::Node() : docs[0];
}

inline constexpr const char* kSecondDocument =
    "a second YAML document: a file holds exactly one (nothing after '---' or '...' would be read)";

}  // namespace maskproxy::yamldoc
