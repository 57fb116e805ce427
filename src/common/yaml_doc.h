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
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

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

// A mapping key written twice in one mapping. yaml-cpp keeps both entries:
// a lookup finds the first, a loop sees both, so the second is silently
// ignored or overrides the first, depending on how the reader asks.
struct DuplicateKey {
  YAML::Mark mark;                // of the second occurrence
  std::vector<std::string> path;  // the keys from the root down to it ("[N]" for a sequence item); the last is it
};

// Where a YAML alias (`*name`) is written: yaml-cpp's node for it is the
// anchored node itself, whose mark is the anchor's.
struct AliasUse {
  YAML::Mark mark;                // of the alias
  std::vector<std::string> path;  // as DuplicateKey's: the keys and "[N]" from the root down to it
};

namespace detail {

// Walks the first document for the first mapping key that repeats an
// earlier key of the same mapping (scalar keys compared by their text: `1` and "1" are
// the same name to every loader here). Nothing is built.
class DuplicateKeyProbe final : public YAML::EventHandler {
 public:
  std::optional<DuplicateKey> found;
  std::vector<AliasUse> aliases;  // every alias, in document order
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {
    Begin(nullptr);
    Done();
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override {
    Begin(nullptr);
    AliasUse a{.mark = m, .path = {}};
    for (const Frame& outer : stack_) a.path.push_back(outer.segment);
    aliases.push_back(std::move(a));
    Done();
  }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string& value) override {
    Begin(&value, m);
    Done();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    Begin(nullptr);
    stack_.push_back(Frame{.map = false, .want_key = true, .seen = {}, .segment = {}, .index = 0});
  }
  void OnSequenceEnd() override { End(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    Begin(nullptr);
    stack_.push_back(Frame{.map = true, .want_key = true, .seen = {}, .segment = {}, .index = 0});
  }
  void OnMapEnd() override { End(); }

 private:
  struct Frame {
    bool map = false;
    bool want_key = true;        // a map's next node is a key
    std::set<std::string> seen;  // a map's scalar keys so far
    std::string segment;         // the key (or "[N]") of the entry being read
    size_t index = 0;            // a sequence's next item
  };
  // A node starts inside the innermost collection: a map's key (checked
  // against the keys before it when it is a scalar) or value, or an item.
  void Begin(const std::string* scalar, const YAML::Mark& m = YAML::Mark()) {
    if (stack_.empty()) return;
    Frame& f = stack_.back();
    if (!f.map) {
      f.segment = "[" + std::to_string(f.index) + "]";
      return;
    }
    if (!f.want_key) return;
    f.segment = scalar ? *scalar : "?";
    if (scalar && !f.seen.insert(*scalar).second && !found) {
      DuplicateKey d{.mark = m, .path = {}};
      for (const Frame& outer : stack_) d.path.push_back(outer.segment);
      found = std::move(d);
    }
  }
  // The node that began last is complete.
  void Done() {
    if (stack_.empty()) return;
    Frame& f = stack_.back();
    if (f.map)
      f.want_key = !f.want_key;
    else
      ++f.index;
  }
  void End() {
    stack_.pop_back();
    Done();
  }
  std::vector<Frame> stack_;
};

}  // namespace detail

// The file's first document (a null node for an empty file). Throws
// YAML::ParserException as YAML::Load does. *second is set to the mark of
// the first further document that is not empty, if there is one: the caller
// refuses the file then. The further documents are only walked, never
// built, and at most kMaxDocuments of them: yaml-cpp 0.7's LoadAll can loop
// forever on malformed input (a line of flow commas), collecting empty
// documents until memory runs out; past the limit the file is refused too.
// With `duplicate`, *duplicate is set to the first mapping key of the
// document written twice in its mapping (DuplicateKey), if there is one:
// the caller refuses the file then. With `aliases`, *aliases gets where each
// alias of the document is written (AliasUse), so that an error about what
// an alias repeats can point at it.
inline YAML::Node LoadOne(const std::string& text, std::optional<YAML::Mark>* second,
                          std::optional<DuplicateKey>* duplicate = nullptr, std::vector<AliasUse>* aliases = nullptr) {
  constexpr int kMaxDocuments = 64;
  second->reset();
  if (duplicate) duplicate->reset();
  if (aliases) aliases->clear();
  YAML::Node root = YAML::Load(text);
  std::istringstream in(text);
  YAML::Parser parser(in);
  detail::DuplicateKeyProbe first;
  if (!parser.HandleNextDocument(first)) return root;
  if (duplicate) *duplicate = std::move(first.found);
  if (aliases) *aliases = std::move(first.aliases);
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
