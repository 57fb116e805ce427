// Records whose shape differs from what a rule's path expects, terminals
// whose container members are unlisted (scalars_only: `keep` keeps
// scalars), and member names that only fold to a protected one (issue #10).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "codec/json.h"

namespace maskproxy::codec {
namespace {

// Rewrites selected values to "#<id>"; records unlisted leaves as
// "a.b[1]=text".
class Recorder final : public ValueRewriter {
 public:
  Status Rewrite(int32_t id, const ScalarRef& v, std::string* out) override {
    calls.push_back(std::to_string(id) + "=" + std::string(v.text));
    out->append("\"#" + std::to_string(id) + "\"");
    return Status::Ok();
  }
  Status RewriteUnlisted(const ScalarRef& v, std::span<const PathStep> path, std::string*, bool* changed) override {
    std::string p;
    for (const auto& s : path) {
      if (s.index >= 0) {
        p += "[" + std::to_string(s.index) + "]";
      } else {
        if (!p.empty()) p += ".";
        p += std::string(s.key);
      }
    }
    unlisted.push_back(p + "=" + std::string(v.text));
    *changed = false;
    return Status::Ok();
  }
  std::vector<std::string> calls;
  std::vector<std::string> unlisted;
};

struct Spec {
  std::string path;
  TerminalOptions opt{};
};

struct Outcome {
  bool ok = false;
  std::string out, message;
  ErrorCode code = ErrorCode::kInternal;
  RewriteStats stats;
  Recorder rec;
};

Outcome Go(std::string_view doc, const std::vector<Spec>& specs, UnlistedMode mode) {
  PathSet set;
  set.set_unlisted(mode);
  for (size_t i = 0; i < specs.size(); ++i) {
    auto p = FieldPath::Parse(specs[i].path);
    EXPECT_TRUE(p.ok()) << specs[i].path;
    if (p.ok()) {
      Status st = set.Add(*p, static_cast<int32_t>(i), specs[i].opt);
      EXPECT_TRUE(st.ok()) << specs[i].path << ": " << st.error().message;
    }
  }
  Outcome o;
  auto r = RewriteJson(doc, set, JsonLimits{}, o.rec, &o.out);
  o.ok = r.ok();
  if (r.ok()) {
    o.stats = *r;
    EXPECT_TRUE(ValidateJson(o.out, JsonLimits{}).ok()) << "output is not valid JSON: " << o.out;
  } else {
    o.code = r.error().code;
    o.message = r.error().message;
  }
  return o;
}

const UnlistedMode kModes[] = {UnlistedMode::kKeep, UnlistedMode::kDrop, UnlistedMode::kVisit};

std::string ModeName(UnlistedMode m) {
  return m == UnlistedMode::kKeep ? "keep" : m == UnlistedMode::kDrop ? "drop" : "visit";
}

// The payments policy's shape: user.rrn, user.phone, recipients[*].phone,
// recipients[*].name.
std::vector<Spec> Payments(TerminalOptions opt = {}) {
  return {{"user.rrn", opt}, {"user.phone", opt}, {"recipients[*].phone", opt}, {"recipients[*].name", opt}};
}

// ---- shape mismatches -------------------------------------------------------------

TEST(JsonShape, MismatchFailsTheRecordInEveryMode) {
  struct Case {
    std::string doc, path;
    size_t byte;
  };
  const std::vector<Case> cases = {
      {R"({"user":[{"rrn":"900101-1234567"}]})", "user.rrn", 8},                   // array where an object is expected
      {R"({"user":"900101-1234567"})", "user.rrn", 8},                             // string
      {R"({"recipients":{"phone":"010-1234-5678"}})", "recipients[*].phone", 14},  // object where an array is
      {R"({"user":{"rrn":"1"},"user":"900101-1234567"})", "user.rrn", 27},         // the second duplicate
      {R"({"user":"900101-1234567","user":{"rrn":"1"}})", "user.rrn", 8},          // the first duplicate
      {R"({"user":9001011234567})", "user.rrn", 8},                                // number
      {R"({"user":true})", "user.rrn", 8},                                         // boolean
      {R"({"user":[]})", "user.rrn", 8},                                           // empty container of the other kind
      {R"({"recipients":{}})", "recipients[*].phone", 14},
      {R"({"recipients":[[{"phone":"010-1234-5678"}]]})", "recipients[*].phone", 15},   // nested deeper than [*]
      {R"({"recipients":[{"name":"a"},"010-1234-5678"]})", "recipients[*].phone", 28},  // a scalar element
  };
  for (const UnlistedMode mode : kModes) {
    for (const auto& c : cases) {
      Outcome o = Go(c.doc, Payments(), mode);
      EXPECT_FALSE(o.ok) << ModeName(mode) << ": " << c.doc;
      EXPECT_EQ(o.code, ErrorCode::kPathShapeMismatch) << ModeName(mode) << ": " << c.doc;
      EXPECT_NE(o.message.find("'" + c.path + "'"), std::string::npos) << o.message;
      EXPECT_NE(o.message.find("at byte " + std::to_string(c.byte)), std::string::npos) << o.message;
      EXPECT_EQ(o.message.find("1234"), std::string::npos) << "value in the message: " << o.message;
    }
  }
}

TEST(JsonShape, NullIsAbsentAndWellShapedRecordsAreSelected) {
  for (const UnlistedMode mode : kModes) {
    Outcome n = Go(R"({"user":null,"recipients":[null,{"phone":"p"}]})", Payments(), mode);
    ASSERT_TRUE(n.ok) << ModeName(mode) << ": " << n.message;
    EXPECT_EQ(n.rec.calls, std::vector<std::string>{"2=p"});
    Outcome w = Go(R"({"user":{"rrn":"r","phone":"f"},"recipients":[{"phone":"p","name":"n"}]})", Payments(), mode);
    ASSERT_TRUE(w.ok) << ModeName(mode) << ": " << w.message;
    EXPECT_EQ(w.out, R"({"user":{"rrn":"#0","phone":"#1"},"recipients":[{"phone":"#2","name":"#3"}]})");
  }
  EXPECT_EQ(Go(R"({"user":null,"k":1})", Payments(), UnlistedMode::kKeep).out, R"({"user":null,"k":1})");
  EXPECT_EQ(Go(R"({"user":null,"k":1})", Payments(), UnlistedMode::kDrop).out, "{}");
}

TEST(JsonShape, ATerminalTakesAnyShape) {
  // Only where a path descends is the shape checked; the selected value may
  // be anything (a container: each scalar in it is selected).
  for (const UnlistedMode mode : kModes) {
    Outcome o = Go(R"({"user":{"rrn":{"a":["900101-1234567"]}},"recipients":[{"phone":[1]}]})", Payments(), mode);
    ASSERT_TRUE(o.ok) << ModeName(mode) << ": " << o.message;
    EXPECT_EQ(o.out, R"({"user":{"rrn":{"a":["#0"]}},"recipients":[{"phone":["#2"]}]})");
  }
}

TEST(JsonShape, ProtectSelectsEveryScalarOfTheMismatchingValue) {
  const TerminalOptions protect{.protect_on_mismatch = true};
  for (const UnlistedMode mode : kModes) {
    const std::string m = ModeName(mode);
    Outcome a = Go(R"({"user":[{"rrn":"900101-1234567"}]})", Payments(protect), mode);
    ASSERT_TRUE(a.ok) << m << ": " << a.message;
    EXPECT_EQ(a.out, R"({"user":[{"rrn":"#0"}]})") << m;  // the first rule below user (policy order)
    EXPECT_TRUE(a.rec.unlisted.empty()) << m;
    EXPECT_EQ(Go(R"({"user":"900101-1234567"})", Payments(protect), mode).out, R"({"user":"#0"})") << m;
    EXPECT_EQ(Go(R"({"recipients":{"phone":"010-1234-5678","x":null}})", Payments(protect), mode).out,
              R"({"recipients":{"phone":"#2","x":null}})")
        << m;
    EXPECT_EQ(Go(R"({"user":{"rrn":"1"},"user":"900101-1234567"})", Payments(protect), mode).out,
              R"({"user":{"rrn":"#0"},"user":"#0"})")
        << m;
    EXPECT_EQ(Go(R"({"recipients":[[{"phone":"010-1234-5678"}],"s"]})", Payments(protect), mode).out,
              R"({"recipients":[[{"phone":"#2"}],"#2"]})")
        << m;
  }
}

TEST(JsonShape, ProtectOnlyWhenEveryRuleBelowSaysSo) {
  const TerminalOptions protect{.protect_on_mismatch = true};
  // user.phone (dead letter) shares "user" with user.rrn (protect).
  Outcome o = Go(R"({"user":"900101-1234567"})", {{"user.rrn", protect}, {"user.phone"}}, UnlistedMode::kKeep);
  EXPECT_EQ(o.code, ErrorCode::kPathShapeMismatch);
  Outcome r = Go(R"({"user":"900101-1234567"})", {{"user.phone"}, {"user.rrn", protect}}, UnlistedMode::kKeep);
  EXPECT_EQ(r.code, ErrorCode::kPathShapeMismatch);
  // Below the shared node, each path decides for its own nodes.
  const std::vector<Spec> specs = {{"user.rrn.v", protect}, {"user.phone"}};
  EXPECT_EQ(Go(R"({"user":{"rrn":"x"}})", specs, UnlistedMode::kKeep).out, R"({"user":{"rrn":"#0"}})");
  EXPECT_EQ(Go(R"({"user":"x"})", specs, UnlistedMode::kKeep).code, ErrorCode::kPathShapeMismatch);
  // The first of several protecting rules applies.
  EXPECT_EQ(Go(R"({"user":["x"]})", {{"user.phone", protect}, {"user.rrn", protect}}, UnlistedMode::kKeep).out,
            R"({"user":["#0"]})");
}

TEST(JsonShape, ProtectWithARemovingRuleRemovesTheMember) {
  const TerminalOptions protect_remove{.remove = true, .protect_on_mismatch = true};
  for (const UnlistedMode mode : {UnlistedMode::kKeep, UnlistedMode::kVisit}) {
    Outcome o = Go(R"({"a":1,"user":["900101-1234567"],"b":2})", {{"user.rrn", protect_remove}}, mode);
    ASSERT_TRUE(o.ok) << o.message;
    EXPECT_EQ(o.out, R"({"a":1,"b":2})");
    EXPECT_EQ(o.stats.removed, 1u);
    Outcome e = Go(R"({"l":[{"x":"a"},"900101-1234567"]})", {{"l[*].x", protect_remove}}, mode);
    ASSERT_TRUE(e.ok) << e.message;
    EXPECT_EQ(e.out, R"({"l":[{}]})");  // l[0].x removed, l[1] (a mismatch) removed
  }
  Outcome d = Go(R"({"a":1,"user":"900101-1234567"})", {{"user.rrn", protect_remove}}, UnlistedMode::kDrop);
  EXPECT_EQ(d.out, "{}");
}

// ---- scalars_only (keep keeps scalars) --------------------------------------------

TEST(JsonScalarsOnly, ContainerMembersFollowTheUnlistedMode) {
  const TerminalOptions keep{.scalars_only = true};
  const std::string doc = R"({"amount":{"rrn":"900101-1234567","n":[1,{"a":"b"}]},"k":"v"})";
  Outcome k = Go(doc, {{"amount", keep}}, UnlistedMode::kKeep);
  ASSERT_TRUE(k.ok);
  EXPECT_EQ(k.out, doc);
  EXPECT_TRUE(k.rec.calls.empty());

  Outcome d = Go(doc, {{"amount", keep}}, UnlistedMode::kDrop);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.out, R"({"amount":{}})");
  EXPECT_EQ(d.stats.dropped, 3u);  // amount.rrn, amount.n, k
  EXPECT_TRUE(d.rec.calls.empty());

  Outcome v = Go(doc, {{"amount", keep}}, UnlistedMode::kVisit);
  ASSERT_TRUE(v.ok);
  EXPECT_TRUE(v.rec.calls.empty());
  EXPECT_EQ(v.rec.unlisted,
            (std::vector<std::string>{"amount.rrn=900101-1234567", "amount.n[0]=1", "amount.n[1].a=b", "k=v"}));

  EXPECT_EQ(Go(R"({"l":[1,[2],{"x":3}]})", {{"l", keep}}, UnlistedMode::kDrop).out, R"({"l":[]})");
  EXPECT_EQ(Go(R"({"l":[{"x":1}]})", {{"l[*]", keep}}, UnlistedMode::kDrop).out, R"({"l":[{}]})");
}

TEST(JsonScalarsOnly, ScalarsAreSelected) {
  const TerminalOptions keep{.scalars_only = true};
  for (const UnlistedMode mode : kModes) {
    Outcome o = Go(R"({"amount":5,"id":"x","n":null})", {{"amount", keep}, {"id", keep}, {"n", keep}}, mode);
    ASSERT_TRUE(o.ok);
    EXPECT_EQ(o.rec.calls, (std::vector<std::string>{"0=5", "1=x"})) << ModeName(mode);
  }
}

TEST(JsonScalarsOnly, WholeTakesPrecedence) {
  Outcome o =
      Go(R"({"p":{"a":1}})", {{"p", TerminalOptions{.whole = true, .scalars_only = true}}}, UnlistedMode::kDrop);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.rec.calls, std::vector<std::string>{R"(0={"a":1})"});
}

// ---- name variants ----------------------------------------------------------------

TEST(JsonNameVariants, AFoldedVariantOfAProtectedNameFailsTheRecordInEveryMode) {
  // Keys as written in the JSON: "rrn\u0000" and "r\u00adrn" are escaped.
  const std::vector<std::string> variants = {"RRN",
                                             "\xef\xbd\x92\xef\xbd\x92\xef\xbd\x8e",
                                             "rrn ",
                                             R"(rrn\u0000)",
                                             R"(rrn\u0000x)",
                                             R"(RRN\u0000.anything)",
                                             R"(r\u00adrn)",
                                             "\xc2\xad"
                                             "rrn",
                                             "Rrn"};
  for (const UnlistedMode mode : kModes) {
    for (const auto& v : variants) {
      const std::string doc = R"({"user":{"x":1,")" + v + R"(":"900101-1234567"}})";
      Outcome o = Go(doc, Payments(), mode);
      EXPECT_EQ(o.code, ErrorCode::kAmbiguousFieldName) << ModeName(mode) << ": " << doc;
      EXPECT_NE(o.message.find("'rrn'"), std::string::npos) << o.message;
      EXPECT_NE(o.message.find("'user.rrn'"), std::string::npos) << o.message;
      EXPECT_NE(o.message.find("at byte 15"), std::string::npos) << o.message;
      EXPECT_EQ(o.message.find("RRN"), std::string::npos) << o.message;
      EXPECT_EQ(o.message.find("1234"), std::string::npos) << o.message;
    }
    // On the way to a path too.
    EXPECT_EQ(Go(R"({"USER":{"rrn":"900101-1234567"}})", Payments(), mode).code, ErrorCode::kAmbiguousFieldName);
    EXPECT_EQ(Go(R"({"recipients":[{"PHONE":"010-1234-5678"}]})", Payments(), mode).code,
              ErrorCode::kAmbiguousFieldName);
    // The exact names, and names that fold to no protected one, still work.
    Outcome ok = Go(R"({"user":{"rrn":"r","Rrn2":1,"RR_N":2},"User2":3,"Recipient":4})", Payments(), mode);
    ASSERT_TRUE(ok.ok) << ModeName(mode) << ": " << ok.message;
    EXPECT_EQ(ok.rec.calls, std::vector<std::string>{"0=r"});
    // Escapes that decode to the exact name are the name.
    Outcome esc = Go(R"({"user":{"r\u0072n":"r"}})", Payments(), mode);
    ASSERT_TRUE(esc.ok);
    EXPECT_EQ(esc.rec.calls, std::vector<std::string>{"0=r"});
  }
}

TEST(JsonNameVariants, APolicyNameThatFoldsIsMatchedBothWays) {
  // The path's own name changes by folding: a record's plain name is folded too.
  Outcome o = Go(R"({"user":{"name":"x"}})", {{"user.Name"}}, UnlistedMode::kKeep);
  EXPECT_EQ(o.code, ErrorCode::kAmbiguousFieldName);
  Outcome exact = Go(R"({"user":{"Name":"x","other":1}})", {{"user.Name"}}, UnlistedMode::kKeep);
  ASSERT_TRUE(exact.ok);
  EXPECT_EQ(exact.rec.calls, std::vector<std::string>{"0=x"});
}

TEST(PathSetFolding, NamesThatDifferOnlyByFoldingConflict) {
  PathSet set;
  ASSERT_TRUE(set.Add(*FieldPath::Parse("user.rrn"), 0, TerminalOptions{}).ok());
  for (const char* p : {"user.RRN", "USER.phone", "user[\"r\xc2\xadrn\"]", "user.\xef\xbd\x92rn", "user.rrn "}) {
    Status s = set.Add(*FieldPath::Parse(p), 1, TerminalOptions{});
    ASSERT_FALSE(s.ok()) << p;
    EXPECT_EQ(s.error().code, ErrorCode::kPathConflict) << p;
    EXPECT_NE(s.error().message.find("'user.rrn'"), std::string::npos) << s.error().message;
  }
  // A failed Add leaves the set as it was.
  EXPECT_TRUE(set.Add(*FieldPath::Parse("user.phone"), 1, TerminalOptions{}).ok());
  EXPECT_TRUE(set.Add(*FieldPath::Parse("users.rrn"), 2, TerminalOptions{}).ok());
}

}  // namespace
}  // namespace maskproxy::codec
