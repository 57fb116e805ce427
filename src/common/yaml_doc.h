// The one YAML document of a policy, config or keyring file. YAML::Load reads
// the first document and silently ignores the rest of the file: a second
// document after `---` (or anything after `...`) would be rules, keys or
// settings nobody enforces. Include only from a target that links yaml-cpp.
#pragma once

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace maskproxy::yamldoc {

namespace detail {

// Records where a document has its first content; an empty document (only a
// null) has none. Nothing is built.
class ContentProbe final : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> first;
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { Note(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { Note(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    Note(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    Note(m);
  }
  void OnMapEnd() override {}

 private:
  void Note(const YAML::Mark& m) {
    if (!first) first = m;
  }
};

}  // namespace detail

// The file's first document (a null node for an empty file). Throws
// YAML::ParserException as YAML::Load does. *second is set to the mark of
// the first further document that is not empty, if there is one: the caller
// refuses the file then. The further documents are only walked, never
// built, and at most kMaxDocuments of them: yaml-cpp 0.7's LoadAll can loop
// forever on malformed input (a line of flow commas), collecting empty
// documents until memory runs out; past the limit the file is refused too.
inline YAML::Node LoadOne(const std::string& text, std::optional<YAML::Mark>* second) {
  constexpr int kMaxDocuments = 64;
  second->reset();
  YAML::Node root = YAML::Load(text);
  std::istringstream in(text);
  YAML::Parser parser(in);
  detail::ContentProbe first;
  if (!parser.HandleNextDocument(first)) return root;
  for (int i = 0; i < kMaxDocuments; ++i) {
    detail::ContentProbe probe;
    if (!parser.HandleNextDocument(probe)) return root;
    if (probe.first) {
      YAML::Mark m = *probe.first;
      if (m.line < 0) m.line = m.column = 0;
      *second = m;
      return root;
    }
  }
  *second = YAML::Mark();  // 1:1
  return root;
}

inline constexpr const char* kSecondDocument =
    "a second YAML document: a file holds exactly one (nothing after '---' or '...' would be read)";

// "invalid YAML: " and the parser's message (which never echoes the
// document's content), with a hint when the line it points at is indented
// with a tab: yaml-cpp then says "illegal block entry" or "illegal tab when
// looking for indentation", which does not tell a person what to change.
inline std::string ParseErrorMessage(const YAML::ParserException& e, std::string_view text) {
  // yaml-cpp's depth guard says "bad file" when the nesting is too deep
  // (found by review: that told nobody what to change).
  if (dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr)
    return "invalid YAML: lists or mappings nested too deeply for the parser (hundreds of levels; a policy or "
           "config needs a few)";
  std::string msg = "invalid YAML: " + e.msg;
  if (e.mark.line < 0) return msg;
  size_t at = 0;
  for (int line = 0; line < e.mark.line && at != std::string_view::npos; ++line) {
    at = text.find('\n', at);
    if (at != std::string_view::npos) ++at;
  }
  if (at == std::string_view::npos) return msg;
  for (size_t k = at; k < text.size() && (text[k] == ' ' || text[k] == '\t'); ++k) {
    if (text[k] == '\t') return msg + " (this line is indented with a tab: YAML indents with spaces only)";
  }
  return msg;
}

}  // namespace maskproxy::yamldoc
