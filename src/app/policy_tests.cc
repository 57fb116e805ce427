#include "app/policy_tests.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <optional>

#include "codec/json.h"

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

std::string Show(const YAML::Node& n) {
  if (!n || n.IsNull()) return "null";
  if (n.IsScalar()) {
    if (n.Tag() == "!") {
      std::string s;
      codec::AppendJsonString(n.Scalar(), &s);
      return s;
    }
    return n.Scalar();
  }
  YAML::Emitter e;
  e << YAML::Flow << YAML::DoubleQuoted << n;
  return e.c_str();
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

void Compare(const Expected& e, const YAML::Node& got, const std::string& path, std::vector<std::string>* diffs) {
  switch (e.kind) {
    case Expected::Kind::kObject: {
      if (!got.IsMap()) return Mismatch(path, e, Show(got), diffs);
      for (const auto& [k, sub] : e.members) {
        YAML::Node child;
        bool found = false;
        for (const auto& kv : got)
          if (kv.first.Scalar() == k) {
            child = kv.second;
            found = true;
          }
        if (!found) {
          diffs->push_back(Join(path, k) + ": expected " + ShowExpected(sub) + "\n" +
                           std::string(Join(path, k).size() + 2, ' ') + "got      (no such member)");
          continue;
        }
        Compare(sub, child, Join(path, k), diffs);
      }
      for (const auto& kv : got) {
        bool listed = false;
        for (const auto& m : e.members) listed = listed || m.first == kv.first.Scalar();
        if (!listed) diffs->push_back(Join(path, kv.first.Scalar()) + ": not expected, got " + Show(kv.second));
      }
      return;
    }
    case Expected::Kind::kArray: {
      if (!got.IsSequence() || got.size() != e.items.size()) return Mismatch(path, e, Show(got), diffs);
      for (size_t i = 0; i < e.items.size(); ++i)
        Compare(e.items[i], got[i], path + "[" + std::to_string(i) + "]", diffs);
      return;
    }
    case Expected::Kind::kString:
      if (!got.IsScalar() || got.Tag() != "!" || got.Scalar() != e.text) Mismatch(path, e, Show(got), diffs);
      return;
    case Expected::Kind::kLiteral: {
      bool null_ok = e.text == "null" && (!got || got.IsNull());
      if (!null_ok && (!got.IsScalar() || got.Tag() == "!" || got.Scalar() != e.text))
        Mismatch(path, e, Show(got), diffs);
      return;
    }
    case Expected::Kind::kMatch:
      if (!got.IsScalar() || !MatchesAnywhere(e.text, got.Scalar())) Mismatch(path, e, Show(got), diffs);
      return;
  }
}

// Compares key or header bytes (text) with an expectation.
void CompareText(const Expected& e, const std::optional<std::string>& got, const std::string& what,
                 std::vector<std::string>* diffs) {
  YAML::Node n;
  if (got) {
    n = YAML::Node(*got);
    n.SetTag("!");
  }
  Compare(e, n, what, diffs);
}

TestOutcome RunOne(const engine::Engine& eng, const policy::Policy& pol, const policy::PolicyTest& t) {
  TestOutcome o{t.name, t.line, false, {}};
  const policy::Route* route = pol.FindRoute(t.route);
  const engine::RouteRef* ref = route ? eng.RouteFor(route) : nullptr;
  if (!ref) {
    o.diffs.push_back("route '" + t.route + "' not found");
    return o;
  }
  const std::string& topic = t.topic.empty() ? route->from : t.topic;
  // The proxy routes a record by its topic, not by the test's route name: an
  // earlier route whose pattern also matches the topic would take it.
  if (!t.topic.empty() || !route->from_is_pattern()) {
    const engine::RouteRef* actual = eng.FindRoute(topic);
    if (actual != ref) {
      o.diffs.push_back("topic '" + topic + "' is routed to " +
                        (actual ? "route '" + actual->route->name + "' (the first route whose 'from' matches it)"
                                : std::string("no route")) +
                        ", not to route '" + route->name + "'");
      return o;
    }
  }
  // The same call the proxy makes for a consumed record.
  std::vector<engine::HeaderView> views;
  for (const auto& [name, value] : t.headers) views.push_back({name, std::optional<std::string_view>(value)});
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
    for (const auto& [name, value] : t.headers) out_headers.emplace_back(name, value);
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
      try {
        Compare(*t.expect, YAML::Load(out), "", &o.diffs);
      } catch (const YAML::Exception&) {
        o.diffs.push_back("(value): the masked value could not be read back for comparison: " + out);
      }
    }
  }
  if (t.expect_key) CompareText(*t.expect_key, key, "$key", &o.diffs);
  for (const auto& [name, exp] : t.expect_headers) {
    std::optional<std::string> got;
    for (const auto& [n, v] : out_headers)
      if (policy::HeaderNameEquals(n, name)) got = v;
    if (!exp) {
      if (got) o.diffs.push_back("$header." + name + ": expected to be removed, got \"" + *got + "\"");
      continue;
    }
    CompareText(*exp, got, "$header." + name, &o.diffs);
  }
  // Like the value's members: a header the test does not name must not be in
  // the output (a misnamed expectation would pass while the header leaks).
  if (!t.expect_headers.empty()) {
    for (const auto& [n, v] : out_headers) {
      bool named = false;
      for (const auto& e : t.expect_headers) named = named || policy::HeaderNameEquals(n, e.first);
      if (!named)
        o.diffs.push_back("$header." + n + ": not expected, got " + (v ? "\"" + *v + "\"" : std::string("null")));
    }
  }
  o.passed = o.diffs.empty();
  return o;
}

}  // namespace

std::vector<TestOutcome> RunPolicyTests(const std::shared_ptr<const policy::Policy>& policy,
                                        const engine::Limits& limits) {
  std::vector<TestOutcome> results;
  auto eng = engine::Engine::Create({policy}, limits);
  if (!eng.ok()) {
    results.push_back({"(engine)", 0, false, {eng.error().message}});
    return results;
  }
  for (const auto& t : policy->tests()) results.push_back(RunOne(**eng, *policy, t));
  return results;
}

}  // namespace maskproxy::app
