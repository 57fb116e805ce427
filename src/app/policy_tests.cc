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
    case Expected::Kind::kObject: return "an object";
    case Expected::Kind::kArray: return "an array of " + std::to_string(e.items.size());
  }
  return "?";
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

void Mismatch(const std::string& path, const Expected& e, const std::string& got, std::vector<std::string>* diffs) {
  diffs->push_back((path.empty() ? "(value)" : path) + ": expected " + ShowExpected(e) + "\n" +
                   std::string((path.empty() ? 7 : path.size()) + 2, ' ') + "got      " + got);
}

void Compare(const Expected& e, const Value& got, const std::string& path, std::vector<std::string>* diffs) {
  switch (e.kind) {
    case Expected::Kind::kObject: {
      if (got.kind != Value::Kind::kObject) return Mismatch(path, e, Show(got), diffs);
      for (const auto& [k, sub] : e.members) {
        // Every occurrence: a reader of the output may take any of them.
        size_t seen = 0;
        for (const auto& [name, member] : got.members) {
          if (name != k) continue;
          ++seen;
          Compare(sub, member, Join(path, k), diffs);
        }
        if (seen == 0)
          diffs->push_back(Join(path, k) + ": expected " + ShowExpected(sub) + "\n" +
                           std::string(Join(path, k).size() + 2, ' ') + "got      (no such member)");
      }
      // A name given twice fails the test, whatever each occurrence holds:
      // which one a consumer reads is up to its JSON library.
      std::map<std::string_view, size_t> counts;
      for (const auto& kv : got.members) ++counts[kv.first];
      for (const auto& kv : got.members) {
        auto it = counts.find(kv.first);
        if (it->second > 1)
          diffs->push_back(Join(path, kv.first) + ": the output has " + std::to_string(it->second) +
                           " members named '" + kv.first + "' (a consumer may read any one of them)");
        it->second = 0;  // once per name, at its first occurrence
      }
      for (const auto& kv : got.members) {
        bool listed = false;
        for (const auto& m : e.members) listed = listed || m.first == kv.first;
        if (!listed) diffs->push_back(Join(path, kv.first) + ": not expected, got " + Show(kv.second));
      }
      return;
    }
    case Expected::Kind::kArray: {
      if (got.kind != Value::Kind::kArray || got.items.size() != e.items.size())
        return Mismatch(path, e, Show(got), diffs);
      for (size_t i = 0; i < e.items.size(); ++i)
        Compare(e.items[i], got.items[i], path + "[" + std::to_string(i) + "]", diffs);
      return;
    }
    case Expected::Kind::kString:
      if (got.kind != Value::Kind::kString || got.text != e.text) Mismatch(path, e, Show(got), diffs);
      return;
    case Expected::Kind::kLiteral: {
      const bool null_ok = e.text == "null" && (got.kind == Value::Kind::kAbsent || got.kind == Value::Kind::kNull);
      if (!null_ok && (got.kind != Value::Kind::kLiteral || got.text != e.text)) Mismatch(path, e, Show(got), diffs);
      return;
    }
    case Expected::Kind::kMatch:
      if ((got.kind != Value::Kind::kString && got.kind != Value::Kind::kLiteral) || !MatchesAnywhere(e.text, got.text))
        Mismatch(path, e, Show(got), diffs);
      return;
  }
}

// Compares key or header bytes (text) with an expectation.
void CompareText(const Expected& e, const std::optional<std::string>& got, const std::string& what,
                 std::vector<std::string>* diffs) {
  Value v;
  if (got) {
    v.kind = Value::Kind::kString;
    v.text = *got;
  }
  Compare(e, v, what, diffs);
}

TestOutcome RunOne(const engine::Engine& eng, const policy::Policy& pol, const policy::PolicyTest& t) {
  TestOutcome o{t.name, t.line, false, {}};
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
  if (t.expect) {
    if (!t.input) {
      o.diffs.push_back("(value): expected " + ShowExpected(*t.expect) + ", but the input is a tombstone");
    } else {
      Value got;
      if (ValueReader(out).Read(&got))
        Compare(*t.expect, got, "", &o.diffs);
      else
        o.diffs.push_back("(value): the masked value could not be read back for comparison: " + out);
    }
  }
  if (t.expect_key) CompareText(*t.expect_key, key, "$key", &o.diffs);
  if (!t.expect_headers) {
    o.passed = o.diffs.empty();
    return o;
  }
  for (const auto& [name, exp] : *t.expect_headers) {
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
        CompareText(*exp, v, "$header." + n, &o.diffs);
    }
    if (!produced && exp) CompareText(*exp, std::nullopt, "$header." + name, &o.diffs);
  }
  // Like the value's members: a header the test does not name must not be in
  // the output (a misnamed expectation would pass while the header leaks);
  // `expect_headers: {}` is an output without headers.
  for (const auto& [n, v] : out_headers) {
    bool named = false;
    for (const auto& e : *t.expect_headers) named = named || policy::HeaderNameEquals(n, e.first);
    if (!named)
      o.diffs.push_back("$header." + n + ": not expected, got " + (v ? "\"" + *v + "\"" : std::string("null")));
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
    results.push_back({"(engine)", 0, false, {eng.error().message}});
    return results;
  }
  // The set's engine when it holds this policy's routes (the same objects).
  const engine::Engine* run = eng->get();
  if (together && !policy->routes().empty() && together->RouteFor(&policy->routes().front())) run = together;
  for (const auto& t : policy->tests()) results.push_back(RunOne(*run, *policy, t));
  return results;
}

}  // namespace maskproxy::app
