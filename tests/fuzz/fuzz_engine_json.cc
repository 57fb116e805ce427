// fuzz_engine_json: Engine::MaskValue on arbitrary bytes, checked by an oracle.
//
// The oracle is the masking contract in executable form. For every input, and
// for each of three routes with the same rules (unlisted_fields keep, drop and
// scan), the engine's answer is one of:
//  - a refusal (dead letter) with a documented reason code. A refusal for
//    invalid_json / invalid_utf8 must agree with the independent parser below
//    rejecting the input, depth_exceeded with the input nesting deeper than
//    the limit, too_large with its size, not_object with a root that is not
//    an object; and path_shape_mismatch / ambiguous_field_name with what
//    walking the input along the rule paths predicts;
//  - an output, which is then only allowed when the independent parser
//    accepts the input (an object, no deeper than the limit), the walk
//    predicts no shape mismatch and no ambiguous member name, the output is
//    valid JSON, and walking input and output in step shows that:
//      * every value a rule selects was changed the way its action says
//        (a selected object or array: each scalar inside it; null is left
//        alone), so no selected value still holds its input text (except
//        where the action's documented output happens to equal it: a mask of
//        nothing but separators and mask characters, a constant equal to the
//        input, a keep);
//      * a `remove` rule's member is gone;
//      * `keep` keeps scalars: the members of an object or array at a keep
//        path are unlisted values (so dropped under drop);
//      * every byte outside the selected values is identical (keep), or
//        outside selected values and unlisted scalars (scan: those may be
//        replaced by the scanner's output, a JSON string); drop: every output
//        member lies on a rule path or inside a selected value, in input
//        order with the same raw name.
// A violation prints what was violated (a rule path and the byte offset,
// never the value) and aborts, so libFuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/unicode.h"
#include "crypto/keyring.h"
#include "detect/scanner.h"
#include "engine/engine.h"
#include "policy/policy.h"
#include "strict_json.h"
#include "support/test_keys.h"

namespace {

using maskproxy::Status;
using maskproxy::fuzz::Node;
using maskproxy::fuzz::Parser;
using maskproxy::fuzz::Type;

constexpr size_t kMaxRecordBytes = 4096;
constexpr uint32_t kMaxDepth = 64;

// ---------------------------------------------------------------------------
// The fuzz policy: its rules, once as policy YAML for the engine and once as
// the oracle's own table (paths written out as segments, not parsed by
// src/codec).

enum class Act { kTokenizeRrn, kTokenizeCard, kMask, kRedactNull, kRedactConstant, kRemove, kEncrypt, kKeep };

struct Seg {
  bool any = false;  // [*]
  std::string key;
};

struct OracleRule {
  const char* yaml;  // the rule as written in the policy
  const char* path;  // for messages
  Act act;
  std::vector<Seg> segs;
};

Seg K(const char* k) {
  return Seg{false, k};
}
Seg Any() {
  return Seg{true, ""};
}

const std::vector<OracleRule>& Rules() {
  static const std::vector<OracleRule> rules = {
      {"{ path: user.rrn, action: tokenize, key: rrn }", "user.rrn", Act::kTokenizeRrn, {K("user"), K("rrn")}},
      {"{ path: user.phone, action: mask, mask_char: '#', separators: '-' }",
       "user.phone",
       Act::kMask,
       {K("user"), K("phone")}},
      {"{ path: user.secret, action: redact, mode: 'null' }",
       "user.secret",
       Act::kRedactNull,
       {K("user"), K("secret")}},
      {"{ path: user.tmp, action: redact, mode: remove }", "user.tmp", Act::kRemove, {K("user"), K("tmp")}},
      {"{ path: user.note, action: keep }", "user.note", Act::kKeep, {K("user"), K("note")}},
      {"{ path: 'recipients[*].phone', action: mask, mask_char: '#', separators: '-' }",
       "recipients[*].phone",
       Act::kMask,
       {K("recipients"), Any(), K("phone")}},
      {"{ path: 'matrix[*][*]', action: redact, mode: constant, value: '[R]' }",
       "matrix[*][*]",
       Act::kRedactConstant,
       {K("matrix"), Any(), Any()}},
      {"{ path: 'meta[\"a.b\"].c', action: encrypt, key: pii }",
       "meta[\"a.b\"].c",
       Act::kEncrypt,
       {K("meta"), K("a.b"), K("c")}},
      {"{ path: 'items[*].card.number', action: tokenize, key: card }",
       "items[*].card.number",
       Act::kTokenizeCard,
       {K("items"), Any(), K("card"), K("number")}},
  };
  return rules;
}

// The rule paths as a trie. A node has key children or one [*] child (the
// fuzz policy never mixes them), or is a rule's terminal.
struct TrieNode {
  std::map<std::string, int> keys;
  int any = -1;
  int rule = -1;  // index into Rules() when a path ends here
};

const std::vector<TrieNode>& Trie() {
  static const std::vector<TrieNode> trie = [] {
    std::vector<TrieNode> t(1);
    for (size_t r = 0; r < Rules().size(); ++r) {
      int at = 0;
      for (const Seg& s : Rules()[r].segs) {
        int next = s.any ? t[static_cast<size_t>(at)].any : [&] {
          auto it = t[static_cast<size_t>(at)].keys.find(s.key);
          return it == t[static_cast<size_t>(at)].keys.end() ? -1 : it->second;
        }();
        if (next < 0) {
          next = static_cast<int>(t.size());
          t.emplace_back();
          if (s.any)
            t[static_cast<size_t>(at)].any = next;
          else
            t[static_cast<size_t>(at)].keys[s.key] = next;
        }
        at = next;
      }
      t[static_cast<size_t>(at)].rule = static_cast<int>(r);
    }
    return t;
  }();
  return trie;
}

const TrieNode& TrieAt(int i) {
  return Trie()[static_cast<size_t>(i)];
}

std::string PolicyYaml() {
  std::string rules;
  for (const OracleRule& r : Rules()) rules += std::string("      - ") + r.yaml + "\n";
  std::string yaml = "policy: fuzz\nversion: 1\nroutes:\n";
  for (const char* mode : {"keep", "drop", "scan"}) {
    yaml += std::string("  - from: fuzz.") + mode + "\n    to: fuzz." + mode + ".out\n    dead_letter: fuzz." + mode +
            ".dlq\n    unlisted_fields: " + mode + "\n    rules:\n" + rules;
  }
  return yaml;
}

enum class Mode { kKeep, kDrop, kScan };
const char* ModeName(Mode m) {
  return m == Mode::kKeep ? "keep" : m == Mode::kDrop ? "drop" : "scan";
}

struct Setup {
  maskproxy::crypto::Keyring keys;
  std::shared_ptr<const maskproxy::engine::Engine> engine;
  const maskproxy::engine::RouteRef* routes[3] = {};
  bool verbose = false;  // MASKPROXY_FUZZ_VERBOSE=1: each route's outcome (codes, never values)
};

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "fuzz_engine_json: setup failed: %s\n", what);
  std::abort();
}

const Setup& Get() {
  static const Setup* setup = [] {
    auto* s = new Setup();
    namespace tk = maskproxy::test_keys;
    // Fixed test material (not secret): 32 bytes of 'r', 'c', 'p'.
    auto keys = tk::ParseKeyring(
        {{"rrn", {tk::FilledMaterial('r')}}, {"card", {tk::FilledMaterial('c')}}, {"pii", {tk::FilledMaterial('p')}}});
    if (!keys.ok()) Die(keys.error().ToString().c_str());
    s->keys = std::move(keys).value();
    auto policy = maskproxy::policy::Policy::Parse(PolicyYaml(), "fuzz-policy.yaml", s->keys);
    if (!policy.ok()) Die(policy.error().ToString().c_str());
    maskproxy::engine::Limits limits;
    limits.max_record_bytes = kMaxRecordBytes;
    limits.max_depth = kMaxDepth;
    auto engine = maskproxy::engine::Engine::Create({*policy}, limits);
    if (!engine.ok()) Die(engine.error().ToString().c_str());
    s->engine = *engine;
    s->routes[0] = s->engine->FindRoute("fuzz.keep");
    s->routes[1] = s->engine->FindRoute("fuzz.drop");
    s->routes[2] = s->engine->FindRoute("fuzz.scan");
    if (!s->routes[0] || !s->routes[1] || !s->routes[2]) Die("route missing");
    const char* verbose = std::getenv("MASKPROXY_FUZZ_VERBOSE");
    s->verbose = verbose && std::string_view(verbose) == "1";
    return s;
  }();
  return *setup;
}

// ---------------------------------------------------------------------------
// The oracle.

// Whether the built-in detectors find PII in a member name (or cannot tell).
bool NameLooksLikePii(const std::string& name) {
  static const std::unique_ptr<maskproxy::detect::Scanner> scanner = [] {
    auto sc = maskproxy::detect::Scanner::Create(maskproxy::detect::Scanner::Defaults());
    if (!sc.ok()) std::abort();
    return std::move(sc).value();
  }();
  std::vector<maskproxy::detect::Span> spans;
  return !scanner->Scan(name, &spans).ok() || !spans.empty();
}

class Oracle {
 public:
  Oracle(std::string_view in, std::string_view out, Mode mode) : in_(in), out_(out), mode_(mode) {}

  [[noreturn]] void Violation(const std::string& what, size_t offset) const {
    std::fprintf(stderr, "fuzz_engine_json: ORACLE VIOLATION (unlisted_fields: %s): %s (input byte %zu)\n",
                 ModeName(mode_), what.c_str(), offset);
    std::abort();
  }

  // Walks input node `a` and output node `b` in step. `t`: the trie node `a`
  // sits at (-1: off the rule paths); `sel`: the rule whose selected value
  // `a` is or lies inside (-1: none).
  void Walk(const Node& a, const Node& b, int t, int sel) {
    if (sel < 0 && t >= 0 && TrieAt(t).rule >= 0) sel = TrieAt(t).rule;
    if (sel >= 0) return Selected(a, b, sel);
    if (t >= 0) return OnPath(a, b, t);
    // Unlisted, off the rule paths (never reached in drop mode: dropped).
    if (mode_ == Mode::kKeep) {
      if (Raw(in_, a) != Raw(out_, b)) Violation("an unlisted value changed", a.begin);
      return;
    }
    if (mode_ == Mode::kDrop) Violation("an unlisted value survived unlisted_fields: drop", a.begin);
    // Scan: a string or number may be replaced by the scanner's output (a
    // string); anything else is kept as it is.
    if (a.type == Type::kObject || a.type == Type::kArray) return SameShape(a, b, -1, -1);
    if (Raw(in_, a) == Raw(out_, b)) return;
    if ((a.type != Type::kString && a.type != Type::kNumber) || b.type != Type::kString)
      Violation("an unlisted value was changed into something a scan does not produce", a.begin);
  }

 private:
  static std::string_view Raw(std::string_view doc, const Node& n) { return doc.substr(n.begin, n.end - n.begin); }
  static std::string_view RawKey(std::string_view doc, const Node::Key& k) {
    return doc.substr(k.begin, k.end - k.begin);
  }

  // The bytes of a container with its children's values cut out: names,
  // punctuation and white space.
  static std::string Skeleton(std::string_view doc, const Node& n) {
    std::string s;
    size_t at = n.begin;
    for (const Node& k : n.kids) {
      s.append(doc.substr(at, k.begin - at));
      s.push_back('\x01');  // cannot occur in JSON text outside a value
      at = k.end;
    }
    s.append(doc.substr(at, n.end - at));
    return s;
  }

  // Same container type, same member count and the same bytes around the
  // children; then each child pair.
  void SameShape(const Node& a, const Node& b, int t_kids, int sel) {
    if (a.type != b.type || a.kids.size() != b.kids.size())
      Violation("a container changed shape or member count", a.begin);
    if (Skeleton(in_, a) != Skeleton(out_, b)) Violation("bytes between values changed", a.begin);
    for (size_t i = 0; i < a.kids.size(); ++i) Walk(a.kids[i], b.kids[i], t_kids, sel);
  }

  void Selected(const Node& a, const Node& b, int sel) {
    const OracleRule& r = Rules()[static_cast<size_t>(sel)];
    if (a.type == Type::kObject || a.type == Type::kArray) {
      if (r.act == Act::kKeep) return KeptContainer(a, b);
      // Leaves mode: each scalar inside gets the action; the names stay, so
      // none of them may look like PII (the built-in detectors, which the
      // policy's scan uses too) or be anything but a plain name.
      for (const Node::Key& k : a.keys) {
        if (NameLooksLikePii(k.name))
          Violation(std::string("rule ") + r.path + ": a member name inside a selected object looks like PII", k.begin);
        if (!maskproxy::engine::LooksLikeSchemaName(k.name))
          Violation(std::string("rule ") + r.path + ": a member name inside a selected object is not a plain name",
                    k.begin);
      }
      return SameShape(a, b, -1, sel);
    }
    const std::string at = std::string("rule ") + r.path + ": ";
    if (a.type == Type::kNull) {
      if (b.type != Type::kNull || Raw(out_, b) != "null") Violation(at + "a null was not left alone", a.begin);
      return;
    }
    auto string_with_prefix = [&](std::string_view prefix, size_t body) {
      if (b.type != Type::kString) Violation(at + "output is not a string", a.begin);
      if (b.text.compare(0, prefix.size(), prefix) != 0 || (body && b.text.size() != prefix.size() + body))
        Violation(at + "output is not in the action's format", a.begin);
      if (b.text == a.text) Violation(at + "selected value still holds its input text", a.begin);
    };
    // An empty text stays empty under tokenize (nothing to protect).
    if ((r.act == Act::kTokenizeRrn || r.act == Act::kTokenizeCard) && a.type == Type::kString && a.text.empty()) {
      if (b.type != Type::kString || !b.text.empty()) Violation(at + "an empty text did not stay empty", a.begin);
      return;
    }
    switch (r.act) {
      case Act::kTokenizeRrn: return string_with_prefix("t1.rrn.1.", 22);
      case Act::kTokenizeCard: return string_with_prefix("t1.card.1.", 22);
      case Act::kEncrypt: return string_with_prefix("e2.pii.1.", 0);
      case Act::kMask: {
        // mask_char '#', separators '-': each code point but '-' becomes '#',
        // but a combining mark, which goes with the (masked) character
        // before it: nothing (README, the mask row).
        std::string want;
        for (size_t i = 0; i < a.text.size();) {
          uint32_t cp = 0;
          const size_t n = maskproxy::unicode::DecodeUtf8(a.text, i, &cp);
          if (n == 0) {
            want.push_back('#');
            ++i;
            continue;
          }
          i += n;
          if (maskproxy::unicode::IsCombiningMark(cp)) continue;
          want.push_back(cp == '-' ? '-' : '#');
        }
        if (b.type != Type::kString || b.text != want) Violation(at + "not masked as documented", a.begin);
        return;
      }
      case Act::kRedactNull:
        if (b.type != Type::kNull) Violation(at + "not redacted to null", a.begin);
        return;
      case Act::kRedactConstant:
        if (b.type != Type::kString || b.text != "[R]") Violation(at + "not redacted to the constant", a.begin);
        return;
      case Act::kKeep:
        if (Raw(in_, a) != Raw(out_, b)) Violation(at + "a kept value changed", a.begin);
        return;
      case Act::kRemove: Violation(at + "a removed member is still there", a.begin);
    }
  }

  // keep keeps scalars: the members of an object or array at a keep path are
  // unlisted values (kept, dropped or scanned as unlisted_fields says).
  void KeptContainer(const Node& a, const Node& b) {
    if (mode_ != Mode::kDrop) return SameShape(a, b, -1, -1);
    if (a.type != b.type) Violation("a container at a keep path changed type", a.begin);
    if (!b.kids.empty())
      Violation("members of an object or array at a keep path survived unlisted_fields: drop (keep keeps scalars)",
                a.begin);
  }

  // `a` is on a rule path, above its terminal: null, or the container kind
  // the path descends into (the prediction refused anything else).
  void OnPath(const Node& a, const Node& b, int t) {
    const TrieNode& tn = TrieAt(t);
    if (a.type == Type::kNull) {
      if (b.type != Type::kNull) Violation("a null on a rule path changed", a.begin);
      return;
    }
    if (a.type != b.type) Violation("a container on a rule path changed type", a.begin);
    enum class Presence { kRequired, kOptional, kAbsent };
    std::vector<Presence> presence(a.kids.size());
    std::vector<int> child(a.kids.size(), -1);
    for (size_t i = 0; i < a.kids.size(); ++i) {
      if (a.type == Type::kObject) {
        auto it = tn.keys.find(a.keys[i].name);
        child[i] = it == tn.keys.end() ? -1 : it->second;
      } else {
        child[i] = tn.any;
      }
      const bool is_null = a.kids[i].type == Type::kNull;
      const int c = child[i];
      const bool terminal = c >= 0 && TrieAt(c).rule >= 0;
      const Act act = terminal ? Rules()[static_cast<size_t>(TrieAt(c).rule)].act : Act::kMask;
      const bool is_container = a.kids[i].type == Type::kObject || a.kids[i].type == Type::kArray;
      if (terminal && act == Act::kRemove)
        presence[i] = is_null ? Presence::kOptional : Presence::kAbsent;
      else if (mode_ == Mode::kDrop && terminal && act == Act::kKeep && is_container)
        presence[i] = Presence::kOptional;  // its members are dropped; whether the emptied container stays is open
      else if (mode_ == Mode::kDrop && c < 0)
        presence[i] = Presence::kAbsent;
      else if (mode_ == Mode::kDrop && is_null && TrieAt(c).rule < 0)
        presence[i] = Presence::kOptional;
      else
        presence[i] = Presence::kRequired;
    }
    size_t j = 0;
    bool all_there = true;
    for (size_t i = 0; i < a.kids.size(); ++i) {
      const bool same_name =
          j < b.kids.size() && (a.type == Type::kArray || RawKey(in_, a.keys[i]) == RawKey(out_, b.keys[j]));
      switch (presence[i]) {
        case Presence::kRequired:
          if (!same_name) Violation("a member on a rule path is missing or renamed", a.kids[i].begin);
          Walk(a.kids[i], b.kids[j], child[i], -1);
          ++j;
          break;
        case Presence::kOptional:  // if there, checked
          if (same_name && b.kids[j].type == a.kids[i].type) {
            Walk(a.kids[i], b.kids[j], child[i], -1);
            ++j;
          } else {
            all_there = false;
          }
          break;
        case Presence::kAbsent: all_there = false; break;
      }
    }
    if (j != b.kids.size()) Violation("the output has a member the input does not account for", a.begin);
    if (mode_ != Mode::kDrop && all_there && Skeleton(in_, a) != Skeleton(out_, b))
      Violation("bytes between values changed", a.begin);
  }

  std::string_view in_, out_;
  Mode mode_;
};

// What walking the input along the rule paths predicts: a value of the wrong
// shape where a path descends, or a member name that folds to a path's name
// there without being it.
struct Prediction {
  bool shape_mismatch = false;
  bool ambiguous_name = false;
};

// Whether a member name with dots or brackets spells a path of the trie
// from node t, or a place inside a protected value, as a reader that
// expands dotted names reads it: a key of the trie that holds dots itself
// matched whole first; else each '.'-separated segment a child (exactly or
// folded); a segment of digits or '*', or each [..] in it, the [*] child; a
// name below [*] without the index; empty segments skipped; inside a
// terminal (other than keep) at once. The name folded too when it folds.
int DottedNameReaches(std::string_view name, int t) {
  int cur = t;
  auto child = [](const TrieNode& tn, std::string_view key) {
    const std::string folded = maskproxy::unicode::FoldName(key);
    int next = -1;
    for (const auto& [k, idx] : tn.keys)
      if (k == key || (next < 0 && maskproxy::unicode::FoldName(k) == folded)) next = idx;
    return next;
  };
  auto inside = [](int node) { return Rules()[static_cast<size_t>(TrieAt(node).rule)].act != Act::kKeep ? node : -1; };
  for (;;) {
    bool whole_key = false;
    for (const auto& [k, idx] : TrieAt(cur).keys) {
      if (k.find('.') == std::string::npos) continue;
      if (name.size() >= k.size() && name.compare(0, k.size(), k) == 0 &&
          (name.size() == k.size() || name[k.size()] == '.' || name[k.size()] == '[')) {
        const size_t rest = name.find('.', k.size());
        cur = idx;
        for (size_t b = name.find('[', k.size()); b < rest; b = name.find('[', b + 1)) {
          if (TrieAt(cur).rule >= 0) return inside(cur);
          cur = TrieAt(cur).any;
          if (cur < 0) return -1;
        }
        if (rest == std::string_view::npos) return cur;
        if (TrieAt(cur).rule >= 0) return inside(cur);
        name.remove_prefix(rest + 1);
        whole_key = true;
        break;
      }
    }
    if (whole_key) continue;
    const size_t dot = name.find('.');
    const std::string_view seg = name.substr(0, dot);
    const std::string_view key = seg.substr(0, seg.find('['));
    if (!key.empty()) {
      int next = child(TrieAt(cur), key);
      if (next < 0 && TrieAt(cur).any >= 0) {
        const int item = TrieAt(cur).any;
        if (key == "*" || key.find_first_not_of("0123456789") == std::string_view::npos) {
          next = item;
        } else {
          // Arrays of arrays flattened away too (grid.p beside grid[*][*].p).
          for (int it = item; it >= 0 && next < 0; it = TrieAt(it).any) next = child(TrieAt(it), key);
        }
      }
      if (next < 0) return -1;
      cur = next;
    } else if (seg.empty() && dot == std::string_view::npos) {
      return cur == t ? -1 : cur;
    }
    for (size_t b = seg.find('['); b != std::string_view::npos; b = seg.find('[', b + 1)) {
      if (TrieAt(cur).rule >= 0) return inside(cur);
      cur = TrieAt(cur).any;
      if (cur < 0) return -1;
    }
    if (dot == std::string_view::npos) return cur == t ? -1 : cur;
    if (TrieAt(cur).rule >= 0) return inside(cur);
    name.remove_prefix(dot + 1);
  }
}

// A name's brackets read as field references (Logstash "[user][rrn]", form
// parameters "user[rrn]", "user['rrn']"): each bracket holding a name (quotes
// taken off) becomes a dotted segment, an index ([], [*], digits) stays; text
// after a ']' that is no '[' or '.' is dropped once a name was read. Empty
// when no bracket holds a name.
std::string BracketsRead(std::string_view name) {
  std::string out;
  bool named = false;
  size_t i = 0;
  while (i < name.size()) {
    const size_t open = name.find('[', i);
    const size_t close = open == std::string_view::npos ? open : name.find(']', open + 1);
    if (close == std::string_view::npos) {
      out += name.substr(i);
      break;
    }
    out += name.substr(i, open - i);
    std::string_view in = name.substr(open + 1, close - open - 1);
    if (in.size() >= 2 && (in[0] == '\'' || in[0] == '"') && in.back() == in[0]) in = in.substr(1, in.size() - 2);
    if (in.empty() || in == "*" || in.find_first_not_of("0123456789") == std::string_view::npos) {
      out += name.substr(open, close + 1 - open);
    } else {
      if (!out.empty() && out.back() != '.') out += '.';
      out += in;
      named = true;
    }
    i = close + 1;
    if (named && i < name.size() && name[i] != '[' && name[i] != '.') break;
  }
  return named ? out : std::string();
}

// A name with its empty dotted segments taken out.
std::string SingleDots(std::string_view name) {
  std::string out;
  for (char c : name)
    if (c != '.' || (!out.empty() && out.back() != '.')) out += c;
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

bool DottedNameSpellsAPath(std::string_view name, int t) {
  const std::string folded = maskproxy::unicode::FoldName(name);
  for (const std::string& form : {std::string(name), folded}) {
    if (form.find_first_of(".[") != std::string::npos && DottedNameReaches(form, t) >= 0) return true;
    if (const std::string b = BracketsRead(form); !b.empty() && DottedNameReaches(b, t) >= 0) return true;
    if (const std::string d = SingleDots(form); d != form && DottedNameReaches(d, t) >= 0) return true;
  }
  return false;
}

// Names nested in one another below a member of an object at trie node t,
// joined with dots as a reader that flattens objects reads them (arrays
// flattened away; each name folded; an empty name leaves the chain as it is): a chain
// of two names or more that reaches a rule's path, or a place inside a
// protected value, without being that path name by name ({"meta":{"a":
// {"b":{"c":…}}}} beside meta["a.b"].c). `exact`: the trie node the chain
// reaches name by name, -1 once it left the paths.
void NestedNames(const Node& v, const std::string& joined, int t, int exact, Prediction* p) {
  if (v.type == Type::kArray) {
    const int e = exact >= 0 && TrieAt(exact).rule < 0 ? TrieAt(exact).any : exact;
    for (const Node& k : v.kids) NestedNames(k, joined, t, e, p);
    return;
  }
  if (v.type != Type::kObject) return;
  for (size_t i = 0; i < v.kids.size(); ++i) {
    const std::string name = maskproxy::unicode::FoldName(v.keys[i].name);
    if (name.empty()) {  // a reader that drops empty names goes on along the chain
      NestedNames(v.kids[i], joined, t, -1, p);
      continue;
    }
    const std::string j = joined + "." + name;
    int e = exact;
    if (e >= 0 && TrieAt(e).rule < 0) {
      auto it = TrieAt(e).keys.find(v.keys[i].name);
      e = it == TrieAt(e).keys.end() ? -1 : it->second;
    }
    const int r = DottedNameReaches(j, t);
    if (r >= 0 && TrieAt(r).rule >= 0 && e < 0) p->ambiguous_name = true;
    NestedNames(v.kids[i], j, t, e, p);
  }
}

void Predict(const Node& n, int t, Prediction* p) {
  const TrieNode& tn = TrieAt(t);
  if (tn.rule >= 0 || n.type == Type::kNull) return;  // selected (any shape), or absent
  if (!tn.keys.empty()) {
    if (n.type != Type::kObject) {
      p->shape_mismatch = true;
      return;
    }
    for (size_t i = 0; i < n.kids.size(); ++i) {
      auto it = tn.keys.find(n.keys[i].name);
      if (const std::string first = maskproxy::unicode::FoldName(n.keys[i].name); !first.empty())
        NestedNames(n.kids[i], first, t, it == tn.keys.end() ? -1 : it->second, p);
      if (it != tn.keys.end()) {
        Predict(n.kids[i], it->second, p);
        continue;
      }
      // An empty name, or one that folds to nothing (only white space,
      // control or invisible characters), holding an object or array where
      // paths go on: a reader that drops empty names would take what it
      // holds for a ruled path.
      const std::string folded = maskproxy::unicode::FoldName(n.keys[i].name);
      if (folded.empty() && (n.kids[i].type == Type::kObject || n.kids[i].type == Type::kArray))
        p->ambiguous_name = true;
      // A NUL ends the name for readers in C: what is before it counts too.
      const std::string_view written = n.keys[i].name;
      const size_t nul = written.find('\0');
      const std::string before_nul =
          nul == std::string_view::npos ? std::string() : maskproxy::unicode::FoldName(written.substr(0, nul));
      for (const auto& [name, unused] : tn.keys)
        if (folded == maskproxy::unicode::FoldName(name) ||
            (nul != std::string_view::npos && before_nul == maskproxy::unicode::FoldName(name)))
          p->ambiguous_name = true;
      if (DottedNameSpellsAPath(n.keys[i].name, t)) p->ambiguous_name = true;
    }
    return;
  }
  if (n.type != Type::kArray) {
    p->shape_mismatch = true;
    return;
  }
  for (const Node& k : n.kids) Predict(k, tn.any, p);
}

const std::set<std::string, std::less<>>& DocumentedCodes(Mode mode) {
  // pii_in_field_name and detect_failed in every mode: a member name inside
  // a selected object is checked with the detectors.
  static const std::set<std::string, std::less<>> common = {
      "too_large",           "invalid_json",         "invalid_utf8",  "depth_exceeded",    "not_object",
      "path_shape_mismatch", "ambiguous_field_name", "key_exhausted", "pii_in_field_name", "detect_failed"};
  static const std::set<std::string, std::less<>> scan = [] {
    auto s = common;
    s.insert({"scan_failed", "text_too_large"});
    return s;
  }();
  return mode == Mode::kScan ? scan : common;
}

void CheckOne(const Setup& s, Mode mode, std::string_view in, bool in_ok, const Node& in_root, uint32_t in_depth,
              const Prediction& pred) {
  const auto* route = s.routes[static_cast<int>(mode)];
  std::string out;
  Status st = s.engine->MaskValue(*route, route->route->from, in, &out);
  Oracle o(in, out, mode);
  if (s.verbose)
    std::fprintf(stderr, "fuzz_engine_json: unlisted_fields %s: %s; parser %s, depth %u%s%s\n", ModeName(mode),
                 st.ok() ? "masked" : std::string(ErrorCodeName(st.error().code)).c_str(),
                 in_ok ? "accepts" : "rejects", in_depth, pred.shape_mismatch ? ", predicts path_shape_mismatch" : "",
                 pred.ambiguous_name ? ", predicts ambiguous_field_name" : "");
  const bool object = in_ok && in_root.type == Type::kObject;
  if (!st.ok()) {
    const std::string code(ErrorCodeName(st.error().code));
    if (!DocumentedCodes(mode).count(code)) o.Violation("undocumented dead-letter code " + code, 0);
    if ((code == "invalid_json" || code == "invalid_utf8") && in_ok)
      o.Violation(code + " for an input the independent parser accepts", 0);
    if (code == "depth_exceeded" && in_depth <= kMaxDepth) o.Violation("depth_exceeded within the depth limit", 0);
    if (code == "too_large" && in.size() <= kMaxRecordBytes) o.Violation("too_large within the size limit", 0);
    if (code == "not_object" && (!in_ok || object)) o.Violation("not_object for an object or invalid JSON", 0);
    if (object && in_depth <= kMaxDepth) {
      if (code == "path_shape_mismatch" && !pred.shape_mismatch)
        o.Violation("path_shape_mismatch where every value has the shape its path expects", 0);
      if (code == "ambiguous_field_name" && !pred.ambiguous_name)
        o.Violation("ambiguous_field_name where no member name folds to a rule path's", 0);
    }
    return;
  }
  if (!in_ok) o.Violation("the engine passed an input the independent parser rejects", 0);
  if (in.size() > kMaxRecordBytes) o.Violation("the engine passed a record over max_record_bytes", 0);
  if (in_depth > kMaxDepth) o.Violation("the engine passed a record nested deeper than max_depth", 0);
  if (!object) o.Violation("the engine passed a record that is not an object", 0);
  if (pred.shape_mismatch)
    o.Violation("passed a value of the wrong shape where a rule path descends (want path_shape_mismatch)", 0);
  if (pred.ambiguous_name)
    o.Violation("passed a member name that folds to a rule path's name (want ambiguous_field_name)", 0);
  Node out_root;
  Parser out_parser(out);
  if (!out_parser.Parse(&out_root)) o.Violation("the output is not valid JSON", 0);
  if (out_root.type != Type::kObject) o.Violation("the output is not an object", 0);
  // White space around the root is kept.
  if (in.substr(0, in_root.begin) != std::string_view(out).substr(0, out_root.begin) ||
      in.substr(in_root.end) != std::string_view(out).substr(out_root.end))
    o.Violation("white space around the record changed", 0);
  o.Walk(in_root, out_root, 0, -1);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Setup& s = Get();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Node root;
  Parser parser(in);
  const bool ok = parser.Parse(&root);
  Prediction pred;
  if (ok && root.type == Type::kObject) Predict(root, 0, &pred);
  for (Mode m : {Mode::kKeep, Mode::kDrop, Mode::kScan}) CheckOne(s, m, in, ok, root, parser.deepest(), pred);
  return 0;
}
