#include "app/policy_tests.h"

#include <re2/re2.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codec/json.h"
#include "common/number.h"
#include "detect/scanner.h"
#include "pipeline/headers.h"

namespace maskproxy::app {
namespace {

using policy::Expected;

// `!match` patterns were checked by the policy parser (RE2 syntax); the
// search is unanchored, as std::regex_search was.
bool MatchesAnywhere(const std::string& pattern, const std::string& text) {
  RE2::Options opts;
  opts.set_log_errors(false);
  RE2 re(pattern, opts);
  return re.ok() && RE2::PartialMatch(text, re);
}

// A value of the masked output, read back from its JSON text: strings
// decoded as the engine decodes them (escapes, surrogate pairs:
// codec::DecodeJsonString), numbers and booleans kept as their literal text,
// every member of an object in order, a duplicated name as often as it
// occurs. kAbsent is a member, key or header that is not there.
struct Value {
  // Declared, so that clang 14 with libstdc++ 12 does not need Value complete
  // to decide whether pair<string, Value> is default-constructible.
  Value() = default;
  enum class Kind { kAbsent, kNull, kString, kLiteral, kObject, kArray };
  Kind kind = Kind::kAbsent;
  std::string text;  // a string's decoded text, a number's or boolean's JSON text
  std::vector<std::pair<std::string, Value>> members;
  std::vector<Value> items;
};

// Reads one JSON document into a Value. The engine produced (and validated)
// the text, so a failure is not expected; yaml-cpp, which read it before,
// could not take a surrogate pair escape (an emoji as "\ud83d\ude00").
class ValueReader {
 public:
  explicit ValueReader(std::string_view s) : s_(s) {}

  [[nodiscard]] bool Read(Value* v) {
    if (!Parse(v, 0)) return false;
    Ws();
    return i_ == s_.size();
  }

 private:
  // Deeper than any engine limit allows; bounds the recursion regardless.
  static constexpr int kMaxDepth = 1024;

  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool Eat(char c) {
    Ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool String(std::string* out) {
    Ws();
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    const size_t begin = i_++;
    while (i_ < s_.size() && s_[i_] != '"') i_ += s_[i_] == '\\' ? 2 : 1;
    if (i_ >= s_.size()) return false;
    ++i_;
    return codec::DecodeJsonString(s_.substr(begin, i_ - begin), out);
  }
  bool Parse(Value* v, int depth) {
    if (depth > kMaxDepth) return false;
    Ws();
    if (i_ >= s_.size()) return false;
    if (Eat('{')) {
      v->kind = Value::Kind::kObject;
      if (Eat('}')) return true;
      do {
        std::string name;
        Value member;
        if (!String(&name) || !Eat(':') || !Parse(&member, depth + 1)) return false;
        v->members.emplace_back(std::move(name), std::move(member));
      } while (Eat(','));
      return Eat('}');
    }
    if (Eat('[')) {
      v->kind = Value::Kind::kArray;
      if (Eat(']')) return true;
      do {
        Value item;
        if (!Parse(&item, depth + 1)) return false;
        v->items.push_back(std::move(item));
      } while (Eat(','));
      return Eat(']');
    }
    if (s_[i_] == '"') {
      v->kind = Value::Kind::kString;
      return String(&v->text);
    }
    const size_t begin = i_;
    while (i_ < s_.size() && std::string_view(" \t\r\n,:]}").find(s_[i_]) == std::string_view::npos) ++i_;
    v->text = std::string(s_.substr(begin, i_ - begin));
    if (v->text == "null") {
      v->kind = Value::Kind::kNull;
      v->text.clear();
      return true;
    }
    v->kind = Value::Kind::kLiteral;
    return v->text == "true" || v->text == "false" || number::IsJsonNumber(v->text);
  }

  std::string_view s_;
  size_t i_ = 0;
};

void AppendShown(const Value& v, std::string* out) {
  switch (v.kind) {
    case Value::Kind::kAbsent:
    case Value::Kind::kNull: out->append("null"); return;
    case Value::Kind::kString: codec::AppendJsonString(v.text, out); return;
    case Value::Kind::kLiteral: out->append(v.text); return;
    case Value::Kind::kObject:
      out->push_back('{');
      for (size_t i = 0; i < v.members.size(); ++i) {
        if (i) out->append(", ");
        codec::AppendJsonString(v.members[i].first, out);
        out->append(": ");
        AppendShown(v.members[i].second, out);
      }
      out->push_back('}');
      return;
    case Value::Kind::kArray:
      out->push_back('[');
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out->append(", ");
        AppendShown(v.items[i], out);
      }
      out->push_back(']');
      return;
  }
}

std::string Show(const Value& v) {
  std::string out;
  AppendShown(v, &out);
  return out;
}

std::string ShowExpected(const Expected& e) {
  switch (e.kind) {
    case Expected::Kind::kString: {
      std::string s;
      codec::AppendJsonString(e.text, &s);
      return s;
    }
    case Expected::Kind::kLiteral: return e.text;
    case Expected::Kind::kMatch: return "!match '" + e.text + "'";
    case Expected::Kind::kSame: return "!same " + e.text;
    case Expected::Kind::kObject: return "an object";
    case Expected::Kind::kArray: return "an array of " + std::to_string(e.items.size());
  }
  return "?";
}

// A member's place as the diffs and `!same` name it (policy::OutputPath):
// names joined by '.', a name that holds '.', '[', ']' or '"' (or none) as
// ["..."].
std::string Join(const std::string& path, const std::string& key) {
  if (key.empty() || key.find_first_of(".[]\"") != std::string::npos) {
    std::string quoted;
    codec::AppendJsonString(key, &quoted);
    return path + "[" + quoted + "]";
  }
  return path.empty() ? key : path + "." + key;
}

std::string Indexed(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void Mismatch(const std::string& path, const Expected& e, const std::string& got, std::vector<std::string>* diffs) {
  diffs->push_back((path.empty() ? "(value)" : path) + ": expected " + ShowExpected(e) + "\n" +
                   std::string((path.empty() ? 7 : path.size()) + 2, ' ') + "got      " + got);
}

bool IsScalar(const Value& v) {
  return v.kind == Value::Kind::kString || v.kind == Value::Kind::kLiteral;
}

// The same JSON value: kinds, texts, members in order, items.
bool SameValue(const Value& a, const Value& b) {
  if (a.kind != b.kind || a.text != b.text || a.members.size() != b.members.size() || a.items.size() != b.items.size())
    return false;
  for (size_t i = 0; i < a.members.size(); ++i)
    if (a.members[i].first != b.members[i].first || !SameValue(a.members[i].second, b.members[i].second)) return false;
  for (size_t i = 0; i < a.items.size(); ++i)
    if (!SameValue(a.items[i], b.items[i])) return false;
  return true;
}

// Whether `out` carries the input's `raw` value as it was: the same text
// whatever its JSON type (a number that came out as a string of its digits
// passed as much as one that stayed a number), or the same container.
bool CameThrough(const Value& raw, const Value& out) {
  if (IsScalar(raw) && IsScalar(out)) return raw.text == out.text;
  return SameValue(raw, out);
}

// The `n`-th member named `name` (0-based), or null.
const Value* Member(const Value* v, const std::string& name, size_t n = 0) {
  if (!v || v->kind != Value::Kind::kObject) return nullptr;
  for (const auto& [k, m] : v->members)
    if (k == name && n-- == 0) return &m;
  return nullptr;
}
const Value* Item(const Value* v, size_t i) {
  return v && v->kind == Value::Kind::kArray && i < v->items.size() ? &v->items[i] : nullptr;
}
const Expected* ExpectedMember(const Expected* e, const std::string& name) {
  if (!e || e->kind != Expected::Kind::kObject) return nullptr;
  for (const auto& [k, m] : e->members)
    if (k == name) return &m;
  return nullptr;
}
const Expected* ExpectedItem(const Expected* e, size_t i) {
  return e && e->kind == Expected::Kind::kArray && i < e->items.size() ? &e->items[i] : nullptr;
}

// An expectation of literal values only (no !match, no !same).
bool IsLiteral(const Expected& e) {
  switch (e.kind) {
    case Expected::Kind::kMatch:
    case Expected::Kind::kSame: return false;
    case Expected::Kind::kObject:
      for (const auto& m : e.members)
        if (!IsLiteral(m.second)) return false;
      return true;
    case Expected::Kind::kArray:
      for (const auto& i : e.items)
        if (!IsLiteral(i)) return false;
      return true;
    case Expected::Kind::kString:
    case Expected::Kind::kLiteral: return true;
  }
  return false;
}

using Headers = std::vector<std::pair<std::string, std::optional<std::string>>>;

// One side of a test's record as the runner reads it: the value, the key
// and the headers.
struct Side {
  const Value* value = nullptr;  // null: a tombstone
  std::optional<std::string> key;
  Headers headers;
};

Value Text(const std::optional<std::string>& s) {
  Value v;
  if (s) {
    v.kind = Value::Kind::kString;
    v.text = *s;
  }
  return v;
}

// Compares one test's output with its expectations, and checks that the
// test can fail when a protecting rule lets a value through:
//  - at every place a rule other than `keep` covers, an output equal to the
//    input's value there fails the test ("came out unchanged"), unless the
//    test expects that very value there (a warning then: a generalize or
//    mask of an input already general passes it legitimately);
//  - at a place no rule covers (an unlisted field), a `!match` or `!same`
//    that the input's own value there satisfies cannot tell a masked value
//    from a leak: the test fails when the output is that value, and is
//    warned of otherwise;
//  - at a place an explicit `keep` rule selects, neither: the policy says
//    the value passes as it is, and the expectation describes it.
// Found by review: a shipped test's `!match '^010-\d{4}-\d{4}$'` passed
// the raw phone once its fpe rules were made `keep`.
class Checker {
 public:
  Checker(const policy::Route& route, const Side& out, const Side& raw, std::vector<std::string>* diffs,
          std::vector<std::string>* warnings)
      : route_(route), out_(out), raw_(raw), diffs_(diffs), warnings_(warnings) {}

  // The unchanged check of every protecting rule, first: it notes the
  // places it covers, which the comparisons then leave to it.
  void CheckProtected(const policy::PolicyTest& t) {
    for (const policy::Rule& rule : route_.rules) {
      if (!Protects(rule)) {
        NoteKept(rule);
        continue;
      }
      switch (rule.target) {
        case policy::Target::kValue:
          if (raw_.value && out_.value) WalkRule(rule, 0, raw_.value, out_.value, t.expect ? &*t.expect : nullptr, "");
          break;
        case policy::Target::kKey: {
          if (!raw_.key) break;
          covered_.emplace_back("$key");
          Value raw = Text(raw_.key);
          if (out_.key) Leaf(rule, raw, Text(out_.key), t.expect_key ? &*t.expect_key : nullptr, "$key");
          break;
        }
        case policy::Target::kHeader: {
          for (const auto& [name, value] : out_.headers) {
            if (!value || !policy::HeaderNameEquals(name, rule.header)) continue;
            covered_.push_back("$header." + name);
            const Expected* exp = nullptr;
            if (t.expect_headers)
              for (const auto& [n, e] : *t.expect_headers)
                if (!exp && e && policy::HeaderNameEquals(n, name)) exp = &*e;
            for (const auto& [rn, rv] : raw_.headers)
              if (rv && policy::HeaderNameEquals(rn, name) && *rv == *value) {
                Leaf(rule, Text(rv), Text(value), exp, "$header." + name);
                break;
              }
          }
          break;
        }
      }
    }
  }

  // `raw`: the input's value at the same place (null: none).
  void Compare(const Expected& e, const Value& got, const Value* raw, const std::string& path) {
    switch (e.kind) {
      case Expected::Kind::kObject: {
        if (got.kind != Value::Kind::kObject) return Mismatch(path, e, Show(got), diffs_);
        for (const auto& [k, sub] : e.members) {
          // Every occurrence: a reader of the output may take any of them.
          size_t seen = 0;
          for (const auto& [name, member] : got.members) {
            if (name != k) continue;
            Compare(sub, member, Member(raw, k, seen), Join(path, k));
            ++seen;
          }
          if (seen == 0)
            diffs_->push_back(Join(path, k) + ": expected " + ShowExpected(sub) + "\n" +
                              std::string(Join(path, k).size() + 2, ' ') + "got      (no such member)");
        }
        // A name given twice fails the test, whatever each occurrence holds:
        // which one a consumer reads is up to its JSON library.
        std::map<std::string_view, size_t> counts;
        for (const auto& kv : got.members) ++counts[kv.first];
        for (const auto& kv : got.members) {
          auto it = counts.find(kv.first);
          if (it->second > 1)
            diffs_->push_back(Join(path, kv.first) + ": the output has " + std::to_string(it->second) +
                              " members named '" + kv.first + "' (a consumer may read any one of them)");
          it->second = 0;  // once per name, at its first occurrence
        }
        for (const auto& kv : got.members) {
          bool listed = false;
          for (const auto& m : e.members) listed = listed || m.first == kv.first;
          if (!listed) diffs_->push_back(Join(path, kv.first) + ": not expected, got " + Show(kv.second));
        }
        return;
      }
      case Expected::Kind::kArray: {
        if (got.kind != Value::Kind::kArray || got.items.size() != e.items.size())
          return Mismatch(path, e, Show(got), diffs_);
        for (size_t i = 0; i < e.items.size(); ++i) Compare(e.items[i], got.items[i], Item(raw, i), Indexed(path, i));
        return;
      }
      case Expected::Kind::kString:
        if (got.kind != Value::Kind::kString || got.text != e.text) Mismatch(path, e, Show(got), diffs_);
        return;
      case Expected::Kind::kLiteral: {
        const bool null_ok = e.text == "null" && (got.kind == Value::Kind::kAbsent || got.kind == Value::Kind::kNull);
        if (!null_ok && (got.kind != Value::Kind::kLiteral || got.text != e.text)) Mismatch(path, e, Show(got), diffs_);
        return;
      }
      case Expected::Kind::kMatch:
        if (!IsScalar(got) || !MatchesAnywhere(e.text, got.text)) return Mismatch(path, e, Show(got), diffs_);
        if (raw && IsScalar(*raw) && MatchesAnywhere(e.text, raw->text)) Indistinct(e, got, *raw, path);
        return;
      case Expected::Kind::kSame: {
        std::string where;
        const std::optional<Value> target = Resolve(e.same, &where);
        const std::string at = path.empty() ? "(value)" : path;
        if (where == at) {
          diffs_->push_back(at + ": !same " + e.text + " names this place itself: name the output it must equal");
          return;
        }
        if (!target || target->kind == Value::Kind::kAbsent) {
          diffs_->push_back(at + ": expected !same " + e.text + ", but the output record has nothing at " + where);
          return;
        }
        if (target->kind == Value::Kind::kNull) {
          diffs_->push_back(at + ": expected !same " + e.text + ", but " + where +
                            " is null in the output: nothing to be the same as");
          return;
        }
        if (!SameValue(got, *target)) {
          Mismatch(path, e, Show(got), diffs_);
          diffs_->back() += "\n" + std::string(at.size() + 2, ' ') + where + " is " + Show(*target);
          return;
        }
        if (raw && CameThrough(*raw, got)) Indistinct(e, got, *raw, path);
        return;
      }
    }
  }

  // Compares key or header bytes (text) with an expectation.
  void CompareText(const Expected& e, const std::optional<std::string>& got, const std::optional<std::string>& raw,
                   const std::string& what) {
    const Value r = Text(raw);
    Compare(e, Text(got), raw ? &r : nullptr, what);
  }

 private:
  static bool Protects(const policy::Rule& rule) { return rule.action_name != "keep"; }

  static std::string RuleName(const policy::Rule& rule) {
    const std::string name = rule.target == policy::Target::kValue ? rule.path.text
                             : rule.target == policy::Target::kKey ? std::string("$key")
                                                                   : "$header." + rule.header;
    return "rule '" + name + "' (line " + std::to_string(rule.line) + ", " + rule.action_name + ")";
  }

  // Whether a protecting rule's unchanged check covers `path` (the place or
  // one inside it).
  [[nodiscard]] bool Covered(const std::string& path) const { return Under(covered_, path); }
  [[nodiscard]] bool Kept(const std::string& path) const { return Under(kept_, path); }
  [[nodiscard]] static bool Under(const std::vector<std::string>& places, const std::string& path) {
    for (const auto& c : places)
      if (path == c || (path.size() > c.size() && path.compare(0, c.size(), c) == 0 &&
                        (path[c.size()] == '.' || path[c.size()] == '[')))
        return true;
    return false;
  }

  // The places rule.path selects in the input, step by step beside the
  // output and the expectation there.
  void WalkRule(const policy::Rule& rule, size_t seg, const Value* raw, const Value* out, const Expected* exp,
                const std::string& path) {
    const auto& segs = rule.path.segments;
    if (seg == segs.size()) return Protected(rule, *raw, out, exp, path);
    const bool key = segs[seg].kind == codec::PathSegment::Kind::kKey;
    if (raw->kind != (key ? Value::Kind::kObject : Value::Kind::kArray)) {
      // A value of another shape on the way that the rule protects
      // (on_shape_mismatch: protect); the root is never one.
      if (rule.protect_on_mismatch && seg > 0 && raw->kind != Value::Kind::kNull) Protected(rule, *raw, out, exp, path);
      return;
    }
    if (key) {
      size_t n = 0;
      for (const auto& [name, member] : raw->members) {
        if (name != segs[seg].key) continue;
        WalkRule(rule, seg + 1, &member, Member(out, name, n++), ExpectedMember(exp, name), Join(path, name));
      }
      return;
    }
    for (size_t i = 0; i < raw->items.size(); ++i)
      WalkRule(rule, seg + 1, &raw->items[i], Item(out, i), ExpectedItem(exp, i), Indexed(path, i));
  }

  // The places an explicit `keep` rule selects: a value meant to pass as it
  // is, whose `!match` or `!same` describes the raw value legitimately (a
  // later review: "created_at: !match '^\d{4}-'" under keep failed).
  void NoteKept(const policy::Rule& rule) {
    switch (rule.target) {
      case policy::Target::kValue:
        if (raw_.value) {
          noting_keep_ = true;
          WalkRule(rule, 0, raw_.value, out_.value, nullptr, "");
          noting_keep_ = false;
        }
        break;
      case policy::Target::kKey: kept_.emplace_back("$key"); break;
      case policy::Target::kHeader:
        for (const auto& [name, value] : raw_.headers)
          if (policy::HeaderNameEquals(name, rule.header)) kept_.push_back("$header." + name);
        break;
    }
  }

  // A place the rule protects: the whole value (apply_to: whole, a scalar),
  // or each scalar inside an object or array.
  void Protected(const policy::Rule& rule, const Value& raw, const Value* out, const Expected* exp,
                 const std::string& path) {
    if (noting_keep_) {
      kept_.push_back(path);
      return;
    }
    if (raw.kind == Value::Kind::kNull || raw.kind == Value::Kind::kAbsent) return;  // nothing to protect
    covered_.push_back(path);
    if (!out) return;  // removed
    if (rule.whole || IsScalar(raw)) return Leaf(rule, raw, *out, exp, path);
    if (raw.kind == Value::Kind::kObject) {
      std::map<std::string, size_t> seen;
      for (const auto& [name, member] : raw.members) {
        const Value* o = Member(out, name, seen[name]++);
        if (o) Protected(rule, member, o, ExpectedMember(exp, name), Join(path, name));
      }
      return;
    }
    for (size_t i = 0; i < raw.items.size(); ++i)
      if (const Value* o = Item(out, i)) Protected(rule, raw.items[i], o, ExpectedItem(exp, i), Indexed(path, i));
  }

  void Leaf(const policy::Rule& rule, const Value& raw, const Value& out, const Expected* exp,
            const std::string& path) {
    if (out.kind == Value::Kind::kAbsent || !CameThrough(raw, out)) return;
    const std::string at = path.empty() ? "(value)" : path;
    if (exp && IsLiteral(*exp)) {
      std::vector<std::string> none;
      Checker literal(route_, out_, raw_, &none, warnings_);
      literal.Compare(*exp, raw, nullptr, path);
      if (none.empty()) {
        warnings_->push_back(at + ": the test expects the input's own value under " + RuleName(rule) +
                             ", which protects it: such a test passes whether the rule protects the value or "
                             "not (right only for an input the rule leaves as it is, such as one already "
                             "generalized or masked)");
        return;
      }
    }
    diffs_->push_back(at + ": came out unchanged under " + RuleName(rule) + ", which protects it: " + Show(out));
  }

  // A `!match` or `!same` that the input's own value at `path` satisfies.
  void Indistinct(const Expected& e, const Value& got, const Value& raw, const std::string& path) {
    if (Covered(path)) return;  // the unchanged check of its protecting rule tells them apart
    // Under an explicit keep rule the policy says the value passes as it
    // is, and the expectation describes it (a later review: a kept
    // created_at's format check failed), unless the value holds PII the
    // built-in detectors find: a keep that was an fpe (the first review's
    // transfers phones) must still fail such a test.
    std::string_view pii;
    if (Kept(path)) {
      pii = PiiIn(raw);
      if (pii.empty()) return;
    }
    const std::string at = path.empty() ? "(value)" : path;
    const std::string what = e.kind == Expected::Kind::kMatch ? "'!match " + e.text + "'" : "'!same " + e.text + "'";
    if (CameThrough(raw, got)) {
      diffs_->push_back(at + ": came out unchanged, and " + what +
                        " also matches the raw input: the test cannot tell a masked value from a leak (" +
                        (pii.empty() ? std::string("no rule covers this place")
                                     : "a keep rule covers this place and the value holds " + std::string(pii)) +
                        "; expect the value itself if it is meant to pass as it is)");
      return;
    }
    if (e.kind == Expected::Kind::kMatch)
      warnings_->push_back(at + ": " + what +
                           " also matches the raw input: cannot tell a masked value from a leak (no protecting "
                           "rule covers this place); say what only the masked value looks like");
  }

  // The first built-in detector that finds PII in a scalar's text, or "".
  static std::string_view PiiIn(const Value& v) {
    if (!IsScalar(v)) return {};
    static const std::unique_ptr<detect::Scanner> scanner = [] {
      auto s = detect::Scanner::Create(detect::Scanner::Defaults());
      return s.ok() ? std::move(s).value() : nullptr;
    }();
    if (!scanner) return "pii";  // cannot tell: as if it held some (fails closed)
    std::vector<detect::Span> spans;
    if (!scanner->Scan(v.text, &spans).ok()) return "pii";
    return spans.empty() ? std::string_view() : spans.front().detector;
  }

  // The output at `p` (nullopt: none), and its name in *where.
  std::optional<Value> Resolve(const policy::OutputPath& p, std::string* where) const {
    switch (p.part) {
      case policy::OutputPath::Part::kKey:
        *where = "$key";
        if (!out_.key) return std::nullopt;
        return Text(out_.key);
      case policy::OutputPath::Part::kHeader: {
        *where = "$header." + p.header;
        std::optional<Value> found;
        size_t n = 0;
        for (const auto& [name, value] : out_.headers)
          if (policy::HeaderNameEquals(name, p.header) && n++ == 0) found = Text(value);
        if (n > 1) {
          *where += " (the output has " + std::to_string(n) + " headers of that name)";
          return std::nullopt;
        }
        return found;
      }
      case policy::OutputPath::Part::kValue: break;
    }
    std::string path;
    const Value* v = out_.value;
    for (const auto& step : p.steps) {
      if (step.index >= 0) {
        path = Indexed(path, static_cast<size_t>(step.index));
        v = Item(v, static_cast<size_t>(step.index));
      } else {
        path = Join(path, step.key);
        v = Member(v, step.key);
      }
    }
    *where = path.empty() ? "(value)" : path;
    if (!v) return std::nullopt;
    return *v;
  }

  const policy::Route& route_;
  const Side& out_;
  const Side& raw_;
  std::vector<std::string>* diffs_;
  std::vector<std::string>* warnings_;
  std::vector<std::string> covered_;
  std::vector<std::string> kept_;  // places an explicit keep rule selects (NoteKept)
  bool noting_keep_ = false;       // WalkRule is noting a keep rule's places
};

TestOutcome RunOne(const engine::Engine& eng, const policy::Policy& pol, const policy::PolicyTest& t) {
  TestOutcome o{t.name, t.line, false, {}, {}};
  const policy::Route* route = pol.FindRoute(t.route);
  const engine::RouteRef* ref = route ? eng.RouteFor(route) : nullptr;
  if (!ref) {
    o.diffs.push_back("route '" + t.route + "' not found");
    return o;
  }
  // A pattern is not a topic: the policy refuses such a test without one.
  if (t.topic.empty() && route->from_is_pattern()) {
    o.diffs.push_back("route '" + route->name + "' reads a pattern: the test needs a 'topic' to mask as");
    return o;
  }
  const std::string& topic = t.topic.empty() ? route->from : t.topic;
  // The proxy routes a record by its topic, not by the test's route name: an
  // earlier route whose pattern also matches the topic would take it.
  const engine::RouteRef* actual = eng.FindRoute(topic);
  if (actual != ref) {
    o.diffs.push_back("topic '" + topic + "' is routed to " +
                      (actual ? "route '" + actual->route->name + "' (the first route whose 'from' matches it)"
                              : std::string("no route")) +
                      ", not to route '" + route->name + "'");
    return o;
  }
  // The same call the proxy makes for a consumed record, which never sees
  // (nor passes on) a header of the proxy's own maskproxy.* namespace
  // (pipeline::ViewHeaders, CopyHeaders). The proxy adds its own after the
  // engine; the runner adds none, so the headers compared are the record's.
  std::vector<engine::HeaderView> views;
  for (const auto& [name, value] : t.headers)
    if (!pipeline::IsOwnHeader(name)) views.push_back({name, std::optional<std::string_view>(value)});
  engine::RecordView view{topic, t.key ? std::optional<std::string_view>(*t.key) : std::nullopt,
                          t.input ? std::optional<std::string_view>(*t.input) : std::nullopt, views};
  engine::MaskedRecord rec;
  Status st = eng.MaskRecord(*ref, view, &rec);
  const std::string& out = rec.value;
  std::optional<std::string> key;
  if (rec.key) key = std::string(*rec.key);
  std::vector<std::pair<std::string, std::optional<std::string>>> out_headers;
  if (rec.headers_changed) {
    for (const auto& h : rec.headers) out_headers.emplace_back(h.name, h.value);
  } else {
    for (const auto& h : views) out_headers.emplace_back(std::string(h.name), std::string(*h.value));
  }
  if (!t.expect_dead_letter.empty()) {
    if (st.ok())
      o.diffs.push_back("expected the record to be dead-lettered (" + t.expect_dead_letter + "), but it was masked");
    else if (ErrorCodeName(st.error().code) != t.expect_dead_letter)
      o.diffs.push_back("expected dead-letter reason " + t.expect_dead_letter + ", got " +
                        std::string(ErrorCodeName(st.error().code)) + ": " + st.error().message);
    o.passed = o.diffs.empty();
    return o;
  }
  if (!st.ok()) {
    o.diffs.push_back("the record was dead-lettered (" + std::string(ErrorCodeName(st.error().code)) +
                      "): " + st.error().message);
    return o;
  }
  Value got, raw_value;
  Side out_side, raw_side;
  out_side.key = key;
  out_side.headers = out_headers;
  raw_side.key = t.key;
  for (const auto& h : views) raw_side.headers.emplace_back(std::string(h.name), std::string(*h.value));
  if (t.input) {
    // The engine took both, so both read back; fail closed if one did not.
    if (!ValueReader(out).Read(&got)) {
      o.diffs.push_back("(value): the masked value could not be read back for comparison: " + out);
      return o;
    }
    if (!ValueReader(*t.input).Read(&raw_value)) {
      o.diffs.push_back("(value): the test's input could not be read back to check what came out unchanged");
      return o;
    }
    out_side.value = &got;
    raw_side.value = &raw_value;
  }
  Checker check(*route, out_side, raw_side, &o.diffs, &o.warnings);
  check.CheckProtected(t);
  if (t.expect) {
    if (!t.input)
      o.diffs.push_back("(value): expected " + ShowExpected(*t.expect) + ", but the input is a tombstone");
    else
      check.Compare(*t.expect, got, &raw_value, "");
  }
  if (t.expect_key) check.CompareText(*t.expect_key, key, t.key, "$key");
  if (t.expect_headers) {
    for (const auto& [name, exp] : *t.expect_headers) {
      // The input's header of that name, for the checks of what came out
      // unchanged.
      std::optional<std::string> raw;
      for (const auto& [n, v] : raw_side.headers)
        if (!raw && policy::HeaderNameEquals(n, name)) raw = v;
      // Every produced header of that name, in whatever case (the engine
      // matches header names case-insensitively), must satisfy the
      // expectation: a record may carry a name twice.
      bool produced = false;
      for (const auto& [n, v] : out_headers) {
        if (!policy::HeaderNameEquals(n, name)) continue;
        produced = true;
        if (!exp)
          o.diffs.push_back("$header." + n + ": expected to be removed, got " +
                            (v ? "\"" + *v + "\"" : std::string("null")));
        else
          check.CompareText(*exp, v, raw, "$header." + n);
      }
      if (!produced && exp) check.CompareText(*exp, std::nullopt, raw, "$header." + name);
    }
    // Like the value's members: a header the test does not name must not be
    // in the output (a misnamed expectation would pass while the header
    // leaks); `expect_headers: {}` is an output without headers.
    for (const auto& [n, v] : out_headers) {
      bool named = false;
      for (const auto& e : *t.expect_headers) named = named || policy::HeaderNameEquals(n, e.first);
      if (!named)
        o.diffs.push_back("$header." + n + ": not expected, got " + (v ? "\"" + *v + "\"" : std::string("null")));
    }
  }
  o.passed = o.diffs.empty();
  return o;
}

}  // namespace

std::vector<TestOutcome> RunPolicyTests(const std::shared_ptr<const policy::Policy>& policy,
                                        const engine::Limits& limits, const engine::Engine* together) {
  std::vector<TestOutcome> results;
  auto eng = engine::Engine::Create({policy}, limits);
  if (!eng.ok()) {
    results.push_back({"(engine)", 0, false, {eng.error().message}, {}});
    return results;
  }
  // The set's engine when it holds this policy's routes (the same objects).
  const engine::Engine* run = eng->get();
  if (together && !policy->routes().empty() && together->RouteFor(&policy->routes().front())) run = together;
  for (const auto& t : policy->tests()) results.push_back(RunOne(*run, *policy, t));
  return results;
}

}  // namespace maskproxy::app
