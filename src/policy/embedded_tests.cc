// The embedded policy tests (`tests:`): each test's input as JSON text and
// its expectations (structural, with !match REGEX and !same PATH).
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "codec/json.h"
#include "common/number.h"
#include "common/text.h"
#include "policy/internal/sections.h"
#include "policy/internal/yaml_diag.h"
#include "policy/policy.h"

namespace maskproxy::policy::internal {
namespace {

bool IsJsonLiteral(const std::string& s) {
  if (s == "true" || s == "false" || s == "null") return true;
  return number::IsJsonNumber(s);
}

// A plain (unquoted) YAML scalar that reads as a JSON number, boolean or null
// is that JSON literal; `~` and an empty value are null; anything else,
// and every quoted scalar, is a string.
bool IsPlain(const YAML::Node& n) {
  return n.Tag() == "?" || n.Tag().empty();
}

// Takes one value (and a scalar's bytes) from the file's budget.
Status Spend(const Ctx& c, const YAML::Node& n, TestBudget* budget) {
  const size_t bytes = n.IsScalar() ? n.Scalar().size() : 0;
  if (budget->values == 0 || budget->bytes < bytes)
    return c.At(n, "the tests hold more than " + std::to_string(TestBudget{}.values) + " values or " +
                       std::to_string(TestBudget{}.bytes >> 20) +
                       " MiB of text (YAML aliases counted as often as they are used)");
  --budget->values;
  budget->bytes -= bytes;
  return Status::Ok();
}

Status ToJson(const Ctx& c, const YAML::Node& n, std::string* out, TestBudget* budget) {
  if (Status s = Spend(c, n, budget); !s.ok()) return s;
  if (n.IsNull()) {
    out->append("null");
  } else if (n.IsScalar()) {
    if (n.Tag() != "?" && n.Tag() != "!" && !n.Tag().empty())
      return c.At(n, "YAML tag" + text::Shown(n.Tag()) + " is not allowed in test input");
    const std::string& s = n.Scalar();
    if (IsPlain(n) && (s == "~" || IsJsonLiteral(s)))
      out->append(s == "~" ? "null" : s);
    else if (!codec::IsValidUtf8(s))
      return c.At(n, "test input must be valid UTF-8");
    else
      codec::AppendJsonString(s, out);
  } else if (n.IsSequence()) {
    out->push_back('[');
    bool first = true;
    for (const auto& item : n) {
      if (!first) out->push_back(',');
      first = false;
      if (Status s = ToJson(c, item, out, budget); !s.ok()) return s;
    }
    out->push_back(']');
  } else if (n.IsMap()) {
    out->push_back('{');
    bool first = true;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) return c.At(kv.first, "test input keys must be plain names");
      if (!first) out->push_back(',');
      first = false;
      codec::AppendJsonString(kv.first.Scalar(), out);
      out->push_back(':');
      if (Status s = ToJson(c, kv.second, out, budget); !s.ok()) return s;
    }
    out->push_back('}');
  }
  return Status::Ok();
}

Result<Expected> ToExpected(const Ctx& c, const YAML::Node& n, TestBudget* budget) {
  if (Status s = Spend(c, n, budget); !s.ok()) return s.error();
  Expected e;
  e.line = n.Mark().line + 1;
  if (n.IsNull()) {
    e.kind = Expected::Kind::kLiteral;
    e.text = "null";
  } else if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (n.Tag() == "!match") {
      e.kind = Expected::Kind::kMatch;
      e.text = s;
      // RE2, as the detectors use: linear time and no recursion, so a
      // hostile pattern can neither hang nor overflow the stack (std::regex
      // recursed per alternative and the policy fuzzer crashed it).
      RE2::Options opts;
      opts.set_log_errors(false);
      RE2 re(s, opts);
      if (!re.ok()) {
        std::string why = re.error().size() > 80 ? re.error().substr(0, 80) + "..." : re.error();
        return c.At(n, "'!match' needs a valid RE2 regular expression (" + why + ")");
      }
      // A search for a pattern that matches the empty text succeeds on every
      // value, the raw one too: such a test cannot fail (found by review:
      // `!match ''` passed a raw RRN).
      if (RE2::FullMatch("", re))
        return c.At(n,
                    "'!match' pattern matches the empty text, so it matches every value (a raw one too) and "
                    "the test cannot fail; say what the output must look like, anchored with ^ and $");
    } else if (n.Tag() == "!same") {
      // Equal to the output at another place of the same record: what a
      // join needs (two tokens of one value), which no literal can say
      // (tokens depend on the keys) and no !match can (found by review).
      auto same = ParseOutputPath(s);
      if (!same.ok()) return c.At(n, "'!same' needs a place in the output record: " + same.error().message);
      e.kind = Expected::Kind::kSame;
      e.text = s;
      e.same = std::move(same).value();
    } else if (n.Tag() != "?" && n.Tag() != "!" && !n.Tag().empty()) {
      return c.At(n, "unknown YAML tag" + text::Shown(n.Tag()) + " in expect (known: !match REGEX, !same PATH)");
    } else if (IsPlain(n) && (s == "~" || IsJsonLiteral(s))) {
      e.kind = Expected::Kind::kLiteral;
      e.text = s == "~" ? "null" : s;
    } else {
      e.kind = Expected::Kind::kString;
      e.text = s;
    }
  } else if (n.IsSequence()) {
    e.kind = Expected::Kind::kArray;
    for (const auto& item : n) {
      auto sub = ToExpected(c, item, budget);
      if (!sub.ok()) return sub.error();
      e.items.push_back(std::move(sub).value());
    }
  } else if (n.IsMap()) {
    e.kind = Expected::Kind::kObject;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) return c.At(kv.first, "expected keys must be plain names");
      auto sub = ToExpected(c, kv.second, budget);
      if (!sub.ok()) return sub.error();
      e.members.emplace_back(kv.first.Scalar(), std::move(sub).value());
    }
  }
  return e;
}

}  // namespace

Result<PolicyTest> ParseTest(const Ctx& c, const YAML::Node& node, const std::vector<Route>& routes,
                             TestBudget* budget) {
  if (!node.IsMap()) return c.At(node, "a test must be a mapping with name, route, input and expect");
  if (Diag keys; !CheckKeys(c, node,
                            {"name", "route", "topic", "input", "input_json", "key", "headers", "expect", "expect_key",
                             "expect_headers", "expect_dead_letter"},
                            "test", keys, /*allow_match=*/true))
    return keys.Combined();
  PolicyTest t;
  t.line = node.Mark().line + 1;
  auto name = RequireString(c, node, "name", "test");
  if (!name.ok()) return name.error();
  t.name = *name;
  auto route = RequireString(c, node, "route", "test");
  if (!route.ok()) return route.error();
  bool found = false;
  std::vector<std::string> names;
  for (const auto& r : routes) {
    found = found || r.name == *route || r.from == *route;
    names.push_back(r.name);
  }
  if (!found && !routes.empty()) {
    std::string hint = text::Suggest(*route, names);
    return c.At(node["route"], "no route named" + text::Shown(*route) + " (expected: " + text::Join(names) +
                                   (hint.empty() ? ")" : "; did you mean" + text::Shown(hint) + "?)"));
  }
  t.route = *route;
  if (YAML::Node tp = node["topic"]) {
    if (!tp.IsScalar() || !IsValidTopicName(tp.Scalar())) return c.At(tp, "'topic' must be a Kafka topic name");
    t.topic = tp.Scalar();
  }
  // The route the runner takes (Policy::FindRoute: a name, then a source).
  const Route* named = nullptr;
  for (const auto& r : routes)
    if (!named && r.name == *route) named = &r;
  for (const auto& r : routes)
    if (!named && r.from == *route) named = &r;
  // A pattern is not a topic: the test masks as a topic the pattern matches
  // (the shortest, when none is given), and the runner checks that the
  // proxy would route that topic to this route (an earlier pattern may take
  // it).
  if (named && named->from_is_pattern() && t.topic.empty()) {
    t.topic = ShortestTopic(*named);
    if (t.topic.empty())
      return c.At(node["route"], "route" + text::Shown(named->name) +
                                     " reads a pattern and no topic it matches could be derived from it: give "
                                     "'topic', a topic it matches, to mask as");
  }
  YAML::Node input = node["input"], input_json = node["input_json"];
  if (input && input_json) return c.At(input_json, "give either 'input' or 'input_json', not both");
  if (input_json) {
    if (!input_json.IsScalar()) return c.At(input_json, "'input_json' must be the record value as JSON text");
    t.input = input_json.Scalar();
  } else if (input) {
    if (input.IsNull()) {
      t.input = std::nullopt;  // a tombstone
    } else {
      std::string json;
      if (Status s = ToJson(c, input, &json, budget); !s.ok()) return s.error();
      t.input = json;
    }
  } else {
    return c.At(node, "missing 'input' (the record value, as YAML) or 'input_json' (as JSON text) in test");
  }
  if (YAML::Node k = node["key"]) {
    if (!k.IsScalar()) return c.At(k, "'key' must be the record key as text");
    t.key = k.Scalar();
  }
  if (YAML::Node h = node["headers"]) {
    if (!h.IsMap()) return c.At(h, "'headers' must map header names to text");
    for (const auto& kv : h) {
      if (!kv.first.IsScalar() || !kv.second.IsScalar()) return c.At(kv.first, "'headers' must map names to text");
      t.headers.emplace_back(kv.first.Scalar(), kv.second.Scalar());
    }
  }
  YAML::Node dl = node["expect_dead_letter"];
  if (dl) {
    if (!dl.IsScalar() || dl.Scalar().empty())
      return c.At(dl, "'expect_dead_letter' must be a reason code such as invalid_json");
    // A reason no record can be dead-lettered with would make a test that
    // can only fail, for a reason its reader does not see.
    if (!ErrorCodeFromName(dl.Scalar())) {
      std::vector<std::string> codes;
      codes.reserve(kErrorCodeCount);
      for (size_t i = 0; i < kErrorCodeCount; ++i) codes.emplace_back(ErrorCodeName(static_cast<ErrorCode>(i)));
      const std::string hint = text::Suggest(dl.Scalar(), codes);
      return c.At(dl, "'expect_dead_letter': unknown reason code" + text::Shown(text::Clip(dl.Scalar(), 64)) +
                          (hint.empty() ? " (a dead-letter reason such as invalid_json, path_shape_mismatch, "
                                          "ambiguous_field_name)"
                                        : " (did you mean" + text::Shown(hint) + "?)"));
    }
    t.expect_dead_letter = dl.Scalar();
  }
  if (YAML::Node e = node["expect"]) {
    if (dl) return c.At(e, "give either 'expect' or 'expect_dead_letter', not both");
    auto ex = ToExpected(c, e, budget);
    if (!ex.ok()) return ex.error();
    t.expect = std::move(ex).value();
  }
  // A dead-lettered record produces no value, key or headers: an expectation
  // of any of them beside expect_dead_letter would never be checked.
  for (const char* what : {"expect_key", "expect_headers"})
    if (YAML::Node e = node[what]; e && dl)
      return c.At(e, std::string("give either '") + what + "' or 'expect_dead_letter', not both (a dead-lettered " +
                         "record produces no value, key or headers to expect)");
  if (YAML::Node e = node["expect_key"]) {
    auto ex = ToExpected(c, e, budget);
    if (!ex.ok()) return ex.error();
    t.expect_key = std::move(ex).value();
  }
  if (YAML::Node h = node["expect_headers"]) {
    if (!h.IsMap()) return c.At(h, "'expect_headers' must map header names to expected text (~ = removed)");
    t.expect_headers.emplace();
    for (const auto& kv : h) {
      if (!kv.first.IsScalar()) return c.At(kv.first, "'expect_headers' keys must be header names");
      if (kv.second.IsNull()) {
        t.expect_headers->emplace_back(kv.first.Scalar(), std::nullopt);
        continue;
      }
      auto ex = ToExpected(c, kv.second, budget);
      if (!ex.ok()) return ex.error();
      t.expect_headers->emplace_back(kv.first.Scalar(), std::move(ex).value());
    }
  }
  if (!t.expect && !dl && !t.expect_key && !t.expect_headers)
    return c.At(node, "a test needs 'expect', 'expect_key', 'expect_headers' or 'expect_dead_letter'");
  // A value, key or headers given and not expected would never be checked:
  // the test would pass whatever the proxy produced from them (a raw value
  // among it; found by review: `input` with only `expect_key`). A null
  // input (a tombstone) or {} holds nothing to expect.
  const YAML::Node in = node["input"];
  const bool nothing_in = in && (in.IsNull() || (in.IsMap() && in.size() == 0));
  if (!dl && ((in && !nothing_in) || node["input_json"]) && !t.expect)
    return c.At(node[node["input"] ? "input" : "input_json"],
                "a test that gives 'input' needs 'expect' (or 'expect_dead_letter'): the masked value is checked "
                "only against an expectation");
  if (!dl && node["key"] && !t.expect_key && t.key)
    return c.At(node["key"],
                "a test that gives 'key' needs 'expect_key' (or 'expect_dead_letter'): the masked key "
                "is checked only against an expectation");
  if (!dl && node["headers"] && !t.expect_headers && !t.headers.empty())
    return c.At(node["headers"],
                "a test that gives 'headers' needs 'expect_headers' (or 'expect_dead_letter'): the masked headers "
                "are compared only with an expectation ({} for none, ~ for one removed)");
  return t;
}

}  // namespace maskproxy::policy::internal

namespace maskproxy::policy {

Result<OutputPath> ParseOutputPath(std::string_view text) {
  auto bad = [](size_t pos, const std::string& what) {
    return Error(ErrorCode::kInvalidArgument,
                 what + " at character " + std::to_string(pos + 1) +
                     " (write $key, $header.NAME, or a value's place such as recipients[0].account or "
                     "meta[\"a.b\"].c)");
  };
  OutputPath p;
  if (text.empty()) return bad(0, "an empty path");
  if (text == "$key") {
    p.part = OutputPath::Part::kKey;
    return p;
  }
  constexpr std::string_view kHeader = "$header.";
  if (text.substr(0, kHeader.size()) == kHeader) {
    p.part = OutputPath::Part::kHeader;
    p.header = std::string(text.substr(kHeader.size()));
    if (p.header.empty()) return bad(kHeader.size(), "no header name");
    if (auto flaw = codec::FindNameFlaw(p.header)) return bad(kHeader.size() + flaw->pos, flaw->what);
    return p;
  }
  if (text[0] == '$') return bad(0, "only $key and $header.NAME start with '$'");
  size_t i = 0;
  bool after_dot = false;
  while (i < text.size()) {
    if (p.steps.size() >= codec::kMaxPathSegments) return bad(i, "a path deeper than a record may nest");
    if (text[i] == '[') {
      if (after_dot) return bad(i, "'[' right after '.'");
      const size_t open = i++;
      if (i < text.size() && text[i] == '"') {
        size_t end = i + 1;
        while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
        if (end >= text.size()) return bad(open, "an unclosed quoted name");
        OutputPath::Step step;
        if (!codec::DecodeJsonString(text.substr(i, end + 1 - i), &step.key))
          return bad(i, "a quoted name that is not a JSON string");
        i = end + 1;
        if (i >= text.size() || text[i] != ']') return bad(i, "']' expected after a quoted name");
        ++i;
        p.steps.push_back(std::move(step));
      } else {
        const size_t digits = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
        if (i == digits || i >= text.size() || text[i] != ']')
          return bad(digits, "an array index (digits) or a quoted name expected in [ ]");
        if (i - digits > 9 || (text[digits] == '0' && i - digits > 1))
          return bad(digits, "an array index without leading zeros, below 1000000000");
        OutputPath::Step step;
        step.index = std::stoll(std::string(text.substr(digits, i - digits)));
        ++i;
        p.steps.push_back(std::move(step));
      }
    } else {
      if (!after_dot && !p.steps.empty()) return bad(i, "'.' or '[' expected between names");
      const size_t begin = i;
      while (i < text.size() && text[i] != '.' && text[i] != '[' && text[i] != ']' && text[i] != '"') ++i;
      if (i == begin) return bad(i, "an empty name");
      if (i < text.size() && (text[i] == ']' || text[i] == '"'))
        return bad(i, "a name with ']' or '\"' must be quoted: [\"...\"]");
      OutputPath::Step step;
      step.key = std::string(text.substr(begin, i - begin));
      if (auto flaw = codec::FindNameFlaw(step.key)) return bad(begin + flaw->pos, flaw->what);
      p.steps.push_back(std::move(step));
    }
    after_dot = false;
    if (i < text.size() && text[i] == '.') {
      after_dot = true;
      ++i;
      if (i == text.size()) return bad(i - 1, "a path ending in '.'");
    }
  }
  return p;
}

}  // namespace maskproxy::policy
