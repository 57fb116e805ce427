// The scanner's block fast paths at every chunk offset, unlisted-field modes
// (keep / drop / visit) and whole-value terminals.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "codec/json.h"

namespace maskproxy::codec {
namespace {

struct Call {
  int32_t id;
  JsonType type;
  std::string raw, text;
};

// Rewrites selected values to "#<id>"; records unlisted leaves with their
// path ("a.b[1]") and upper-cases those whose text is "y".
class Recorder final : public ValueRewriter {
 public:
  Status Rewrite(int32_t id, const ScalarRef& v, std::string* out) override {
    calls.push_back({id, v.type, std::string(v.raw), std::string(v.text)});
    out->append("\"#" + std::to_string(id) + "\"");
    return Status::Ok();
  }
  Status RewriteUnlisted(const ScalarRef& v, std::span<const PathStep> path, std::string* out, bool* changed) override {
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
    if (v.text == "y") {
      out->append("\"Y\"");
      *changed = true;
    }
    return Status::Ok();
  }
  std::vector<Call> calls;
  std::vector<std::string> unlisted;
};

struct Spec {
  std::string path;
  TerminalOptions opt{};
};

PathSet Make(const std::vector<Spec>& specs, UnlistedMode mode) {
  PathSet set;
  set.set_unlisted(mode);
  for (size_t i = 0; i < specs.size(); ++i) {
    auto p = FieldPath::Parse(specs[i].path);
    EXPECT_TRUE(p.ok()) << specs[i].path;
    if (p.ok()) {
      EXPECT_TRUE(set.Add(*p, static_cast<int32_t>(i), specs[i].opt).ok()) << specs[i].path;
    }
  }
  return set;
}

struct Outcome {
  bool ok = false;
  std::string out, message;
  ErrorCode code = ErrorCode::kInternal;
  RewriteStats stats;
  Recorder rec;
};

Outcome Go(std::string_view doc, const std::vector<Spec>& specs, UnlistedMode mode = UnlistedMode::kKeep) {
  PathSet set = Make(specs, mode);
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

// ---- fast paths at every offset modulo 16 ------------------------------------

TEST(JsonScanBlocks, EscapesAndNonAsciiAtEveryOffset) {
  const std::vector<std::pair<std::string, std::string>> specials = {{"\\\"", "\""},
                                                                     {"\\\\", "\\"},
                                                                     {"\\/", "/"},
                                                                     {"\\n", "\n"},
                                                                     {"\\u00e9", "é"},
                                                                     {"\\ud83d\\ude00", "😀"},
                                                                     {"é", "é"},
                                                                     {"가", "가"},
                                                                     {"😀", "😀"},
                                                                     {"\x7f", "\x7f"},
                                                                     {"가나다라마바사", "가나다라마바사"}};
  for (size_t pad = 1; pad <= 17; ++pad) {
    for (size_t before = 0; before <= 34; ++before) {
      for (const auto& [enc, dec] : specials) {
        for (size_t after : {0, 1, 15, 16, 17}) {
          std::string value = std::string(before, 'a') + enc + std::string(after, 'b');
          std::string doc = "{\"" + std::string(pad, 'k') + "\":\"" + value + "\",\"s\":\"" + value + "\"}";
          Outcome o = Go(doc, {{"s"}});
          ASSERT_TRUE(o.ok) << o.code << " " << doc;
          ASSERT_EQ(o.rec.calls.size(), 1u);
          EXPECT_EQ(o.rec.calls[0].text, std::string(before, 'a') + dec + std::string(after, 'b')) << doc;
          EXPECT_EQ(o.rec.calls[0].raw, "\"" + value + "\"");
          // The same string as a key, selected through a quoted path key (a
          // JSON string too: written with the same escapes).
          std::string key_doc = "{\"" + std::string(pad, 'k') + "\":1,\"" + value + "\":2}";
          std::string path = "[\"" + value + "\"]";
          Outcome k = Go(key_doc, {{path}});
          ASSERT_TRUE(k.ok) << k.code << " " << key_doc;
          EXPECT_EQ(k.stats.rewritten, 1u) << key_doc;
        }
      }
    }
  }
}

struct BadByte {
  std::string bytes;  // inserted into a run of plain bytes
  const char* code;
  size_t offset;  // of the error, from the start of `bytes`
};

TEST(JsonScanBlocks, InvalidBytesAtEveryPositionOfAChunk) {
  const std::vector<BadByte> bad = {
      {"\x01", "invalid_json", 0},      {"\x1f", "invalid_json", 0},         {"\t", "invalid_json", 0},
      {"\x80", "invalid_utf8", 0},      {"\xc0\xaf", "invalid_utf8", 0},     {"\xff", "invalid_utf8", 0},
      {"\xe1\x80z", "invalid_utf8", 0}, {"\xed\xa0\x80", "invalid_utf8", 0}, {"\xf4\x90\x80\x80", "invalid_utf8", 0},
      {"\xc3", "invalid_utf8", 0},      {"\\x", "invalid_json", 1},          {"\\ud800", "invalid_utf8", 6},
      {"\\udc00", "invalid_utf8", 6},   {"é\x80", "invalid_utf8", 2}};
  for (const auto& b : bad) {
    for (size_t pos = 0; pos < 40; ++pos) {
      for (bool selected : {false, true}) {
        const std::string head = "{\"k\":1,\"s\":\"";
        std::string doc = head + std::string(pos, 'a') + b.bytes + std::string(20, 'b') + "\"}";
        std::string code, message;
        if (selected) {
          Outcome o = Go(doc, {{"s"}});
          code = ErrorCodeName(o.code);
          message = o.message;
        } else {
          Status s = ValidateJson(doc, JsonLimits{});
          if (!s.ok()) {
            code = ErrorCodeName(s.error().code);
            message = s.error().message;
          }
        }
        EXPECT_EQ(code, b.code) << "pos " << pos << " bytes " << b.bytes.size();
        EXPECT_NE(message.find("at byte " + std::to_string(head.size() + pos + b.offset)), std::string::npos)
            << message << " pos " << pos;
        // And in a key.
        std::string key_doc = "{\"" + std::string(pos, 'a') + b.bytes + std::string(20, 'b') + "\":1}";
        Status ks = ValidateJson(key_doc, JsonLimits{});
        ASSERT_FALSE(ks.ok()) << pos;
        EXPECT_EQ(ErrorCodeName(ks.error().code), b.code) << "key pos " << pos;
      }
    }
  }
}

TEST(JsonScanBlocks, StringsEndingAtAChunkEdge) {
  for (size_t len = 0; len <= 70; ++len) {
    std::string s(len, 'x');
    EXPECT_TRUE(ValidateJson("\"" + s + "\"", {}).ok()) << len;
    EXPECT_TRUE(ValidateJson("{\"a\":\"" + s + "\"}", {}).ok()) << len;
    Status u = ValidateJson("\"" + s, {});
    ASSERT_FALSE(u.ok()) << len;
    EXPECT_EQ(u.error().code, ErrorCode::kInvalidJson);
    EXPECT_NE(u.error().message.find("unterminated string at byte " + std::to_string(len + 1)), std::string::npos)
        << u.error().message;
    Status t = ValidateJson("\"" + s + "\\", {});
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidJson);
    Status m = ValidateJson("\"" + s + "\xea\xb0", {});  // truncated 3-byte sequence at the very end
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::kInvalidUtf8);
    Outcome o = Go("{\"a\":\"" + s + "\"}", {{"a"}});
    ASSERT_TRUE(o.ok);
    EXPECT_EQ(o.rec.calls.at(0).text, s);
  }
}

TEST(JsonScanBlocks, ScratchIsNotSharedWithANestedCall) {
  // A rewriter that itself calls RewriteJson (as a whole-document action might).
  class Nested final : public ValueRewriter {
   public:
    Status Rewrite(int32_t, const ScalarRef& v, std::string* out) override {
      PathSet inner = Make({{"x"}}, UnlistedMode::kKeep);
      Recorder rec;
      std::string res;
      auto r = RewriteJson(v.raw, inner, JsonLimits{}, rec, &res);
      if (!r.ok()) return r.error();
      out->append(res);
      return Status::Ok();
    }
  };
  PathSet set = Make({{"p", TerminalOptions{.remove = false, .whole = true}}, {"q"}}, UnlistedMode::kKeep);
  Nested rw;
  std::string out;
  auto r = RewriteJson(R"({"p":{"x":"secret","y":1},"q":"v"})", set, JsonLimits{}, rw, &out);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(out, R"({"p":{"x":"#0","y":1},"q":"v"})");
  EXPECT_EQ(r->rewritten, 2u);
}

// ---- whole ---------------------------------------------------------------------

TEST(JsonWhole, ObjectAndArrayHandedOverAsOneValue) {
  const std::string doc = R"({"p": {"a":[1,"x"] , "b":null},"q":[1, 2],"r":"s","n":null,"k":1})";
  TerminalOptions whole{.remove = false, .whole = true};
  Outcome o = Go(doc, {{"p", whole}, {"q", whole}, {"r", whole}, {"n", whole}});
  ASSERT_TRUE(o.ok) << o.code;
  EXPECT_EQ(o.out, R"({"p": "#0","q":"#1","r":"#2","n":null,"k":1})");
  ASSERT_EQ(o.rec.calls.size(), 3u);
  EXPECT_EQ(o.rec.calls[0].type, JsonType::kObject);
  EXPECT_EQ(o.rec.calls[0].raw, R"({"a":[1,"x"] , "b":null})");
  EXPECT_EQ(o.rec.calls[0].text, o.rec.calls[0].raw);
  EXPECT_EQ(o.rec.calls[1].type, JsonType::kArray);
  EXPECT_EQ(o.rec.calls[1].raw, "[1, 2]");
  EXPECT_EQ(o.rec.calls[2].type, JsonType::kString);
  EXPECT_EQ(o.rec.calls[2].text, "s");
  EXPECT_EQ(o.stats.rewritten, 3u);
}

TEST(JsonWhole, EachArrayElementAndStillValidated) {
  TerminalOptions whole{.remove = false, .whole = true};
  Outcome o = Go(R"({"l":[{"a":1},[2],3]})", {{"l[*]", whole}});
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.out, R"({"l":["#0","#0","#0"]})");
  EXPECT_EQ(o.rec.calls[0].raw, R"({"a":1})");
  EXPECT_EQ(o.rec.calls[1].raw, "[2]");
  Outcome bad = Go("{\"p\":{\"a\":\"\x80\"}}", {{"p", whole}});
  EXPECT_EQ(bad.code, ErrorCode::kInvalidUtf8);
  Outcome deep = Go(R"({"p":[[[[1]]]]})", {{"p", whole}});
  ASSERT_TRUE(deep.ok);
}

TEST(JsonWhole, RemoveTakesPrecedence) {
  Outcome o = Go(R"({"p":{"a":1},"k":1})", {{"p", TerminalOptions{.remove = true, .whole = true}}});
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.out, R"({"k":1})");
  EXPECT_EQ(o.stats.removed, 1u);
}

// ---- unlisted: drop ------------------------------------------------------------

TEST(JsonDrop, KeepsOnlyWhatThePathsName) {
  const std::string doc =
      R"({"a":1,"user":{"rrn":"x","name":"y","z":{"q":1}},"list":[{"phone":"p","x":1},null,{"phone":"q"}],)"
      R"("keep":{"deep":[1,2]},"user2":"s"})";
  Outcome o = Go(doc, {{"user.rrn"}, {"list[*].phone"}, {"keep"}}, UnlistedMode::kDrop);
  ASSERT_TRUE(o.ok) << o.code;
  EXPECT_EQ(o.out, R"({"user":{"rrn":"#0"},"list":[{"phone":"#1"},{"phone":"#1"}],"keep":{"deep":["#2","#2"]}})");
  EXPECT_EQ(o.stats.dropped, 6u);  // a, user.name, user.z, list[0].x, list[1] (null), user2
  EXPECT_EQ(o.stats.rewritten, 5u);
}

// Was "ValueOnTheWayThatCannotHoldThePathIsDropped": such a value was
// silently dropped; now only null is (absent), any other shape is a
// mismatch that fails the record (json_shape_test.cc has the rest).
TEST(JsonDrop, ValueOnTheWayThatCannotHoldThePathFailsUnlessNull) {
  EXPECT_EQ(Go(R"({"user":"900101-1234567"})", {{"user.rrn"}}, UnlistedMode::kDrop).code,
            ErrorCode::kPathShapeMismatch);
  EXPECT_EQ(Go(R"({"user":[{"rrn":"x"}]})", {{"user.rrn"}}, UnlistedMode::kDrop).code, ErrorCode::kPathShapeMismatch);
  EXPECT_EQ(Go(R"({"user":null,"k":1})", {{"user.rrn"}}, UnlistedMode::kDrop).out, "{}");
  EXPECT_EQ(Go(R"({"l":{"a":1}})", {{"l[*].a"}}, UnlistedMode::kDrop).code, ErrorCode::kPathShapeMismatch);
  EXPECT_EQ(Go(R"({"l":["s",{"a":"v","b":2}]})", {{"l[*].a"}}, UnlistedMode::kDrop).code,
            ErrorCode::kPathShapeMismatch);
  EXPECT_EQ(Go(R"({"l":[null,{"a":"v","b":2}]})", {{"l[*].a"}}, UnlistedMode::kDrop).out, R"({"l":[{"a":"#0"}]})");
}

TEST(JsonDrop, SeparatorsAndWhitespace) {
  auto drop = [](std::string_view doc, const std::vector<Spec>& specs) {
    return Go(doc, specs, UnlistedMode::kDrop).out;
  };
  EXPECT_EQ(drop(R"({"a":1,"k":2,"b":3})", {{"k"}}), R"({"k":"#0"})");
  EXPECT_EQ(drop(R"({"k":2,"a":1,"b":3})", {{"k"}}), R"({"k":"#0"})");
  EXPECT_EQ(drop(R"({"a":1,"b":3,"k":2})", {{"k"}}), R"({"k":"#0"})");
  EXPECT_EQ(drop(R"({"a":1,"k":2,"b":3,"j":4,"c":5})", {{"k"}, {"j"}}), R"({"k":"#0","j":"#1"})");
  EXPECT_EQ(drop("{ \"a\" : 1 ,\n \"k\" : 2 , \"b\" : [3] }", {{"k"}}), "{ \"k\" : \"#0\" }");
  EXPECT_EQ(drop(R"({"a":1,"b":{"c":2}})", {}), "{}");
  EXPECT_EQ(drop("{}", {}), "{}");
  EXPECT_EQ(drop(R"({"a":1,"r":2,"k":3,"b":4})", {{"r", TerminalOptions{.remove = true}}, {"k"}}), R"({"k":"#1"})");
  Outcome o = Go(R"({"a":1,"r":2,"b":4})", {{"r", TerminalOptions{.remove = true}}}, UnlistedMode::kDrop);
  EXPECT_EQ(o.out, "{}");
  EXPECT_EQ(o.stats.removed, 1u);
  EXPECT_EQ(o.stats.dropped, 2u);
}

TEST(JsonDrop, DuplicateAndEscapedKeys) {
  EXPECT_EQ(Go(R"({"k":1,"x":2,"\u006b":3})", {{"k"}}, UnlistedMode::kDrop).out, R"({"k":"#0","\u006b":"#0"})");
}

TEST(JsonDrop, DroppedValuesAreStillValidated) {
  Outcome o = Go("{\"a\":\"\x80\",\"k\":1}", {{"k"}}, UnlistedMode::kDrop);
  EXPECT_EQ(o.code, ErrorCode::kInvalidUtf8);
  Outcome d = Go(R"({"a":[[[[1]]]],"k":1})", {{"k"}}, UnlistedMode::kDrop);
  ASSERT_TRUE(d.ok);
  PathSet set = Make({{"k"}}, UnlistedMode::kDrop);
  Recorder rec;
  std::string out;
  auto r = RewriteJson(R"({"a":[[[[1]]]],"k":1})", set, JsonLimits{.max_depth = 3}, rec, &out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kDepthExceeded);
}

TEST(JsonDrop, WholeSubtreeIsKept) {
  Outcome o =
      Go(R"({"p":{"a":{"b":1}},"x":1})", {{"p", TerminalOptions{.remove = false, .whole = true}}}, UnlistedMode::kDrop);
  EXPECT_EQ(o.out, R"({"p":"#0"})");
}

TEST(JsonKeep, IsTheDefaultAndUnchanged) {
  PathSet set;
  EXPECT_EQ(set.unlisted(), UnlistedMode::kKeep);
  Outcome o = Go(R"({"a":1,"k":2})", {{"k"}});
  EXPECT_EQ(o.out, R"({"a":1,"k":"#0"})");
  EXPECT_EQ(o.stats.dropped, 0u);
  EXPECT_EQ(o.stats.visited, 0u);
}

// ---- unlisted: visit -----------------------------------------------------------

TEST(JsonVisit, UnlistedLeavesWithTheirPaths) {
  const std::string doc =
      R"({"a":"x","b":{"c":[1,"y",true,null]},"user":{"rrn":"r","o":{"z":"v"}},"rm":"z","w":{"q":"in"}})";
  Outcome o = Go(
      doc,
      {{"user.rrn"}, {"rm", TerminalOptions{.remove = true}}, {"w", TerminalOptions{.remove = false, .whole = true}}},
      UnlistedMode::kVisit);
  ASSERT_TRUE(o.ok) << o.code;
  EXPECT_EQ(o.rec.unlisted,
            (std::vector<std::string>{"a=x", "b.c[0]=1", "b.c[1]=y", "b.c[2]=true", "b.c[3]=null", "user.o.z=v"}));
  EXPECT_EQ(o.out, R"({"a":"x","b":{"c":[1,"Y",true,null]},"user":{"rrn":"#0","o":{"z":"v"}},"w":"#2"})");
  EXPECT_EQ(o.stats.visited, 6u);
  EXPECT_EQ(o.stats.rewritten, 3u);  // rrn, w, and the changed "y"
}

TEST(JsonVisit, EscapedKeysInThePathAreUnescapedAndStable) {
  Outcome o = Go(R"({"\u0061":{"\u0062":{"c\u0064":"v","e":"w"}},"f":"y"})", {}, UnlistedMode::kVisit);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.rec.unlisted, (std::vector<std::string>{"a.b.cd=v", "a.b.e=w", "f=y"}));
  EXPECT_EQ(o.out, R"({"\u0061":{"\u0062":{"c\u0064":"v","e":"w"}},"f":"Y"})");
}

// Every member name is on the path of some visited leaf, so a scanner sees
// it: booleans, null and empty containers are visited too.
TEST(JsonVisit, EveryMemberNameIsSeen) {
  Outcome o = Go(R"({"k1":{},"k2":[],"k3":{"k4":[ ]},"k5":false,"k6":[{}]})", {}, UnlistedMode::kVisit);
  ASSERT_TRUE(o.ok) << o.code;
  EXPECT_EQ(o.rec.unlisted, (std::vector<std::string>{"k1={}", "k2=[]", "k3.k4=[ ]", "k5=false", "k6[0]={}"}));
  EXPECT_EQ(o.out, R"({"k1":{},"k2":[],"k3":{"k4":[ ]},"k5":false,"k6":[{}]})");
}

// ---- validation-only subtrees ----------------------------------------------------
//
// Values nothing is selected or visited in (off the paths, removed, dropped,
// whole) go through a separate validation-only walker. Every error must come
// out the same, with the same offset, as from ValidateJson and from the
// selecting walker.

struct Failure {
  std::string code_name, message;  // code_name: "ok" or the error code's name
};

Failure ValidateFailure(std::string_view doc, uint32_t max_depth = 64) {
  Status s = ValidateJson(doc, JsonLimits{.max_depth = max_depth});
  if (s.ok()) return {"ok", ""};
  return {std::string(ErrorCodeName(s.error().code)), s.error().message};
}

Failure RewriteFailure(std::string_view doc, const std::vector<Spec>& specs, UnlistedMode mode,
                       uint32_t max_depth = 64) {
  PathSet set = Make(specs, mode);
  Recorder rec;
  std::string out;
  auto r = RewriteJson(doc, set, JsonLimits{.max_depth = max_depth}, rec, &out);
  if (r.ok()) return {"ok", ""};
  return {std::string(ErrorCodeName(r.error().code)), r.error().message};
}

// The ways a subtree under "o" can be scanned: validation only (unselected,
// removed, dropped, whole) and by the selecting walker (selected leaves,
// visited leaves).
std::vector<std::pair<std::string, std::pair<std::vector<Spec>, UnlistedMode>>> SubtreeWays() {
  const TerminalOptions remove{.remove = true, .whole = false};
  const TerminalOptions whole{.remove = false, .whole = true};
  return {{"unselected", {{{"k"}}, UnlistedMode::kKeep}},
          {"unselected sibling path", {{{"o.zz"}}, UnlistedMode::kKeep}},
          {"removed", {{{"o", remove}}, UnlistedMode::kKeep}},
          {"dropped", {{{"k"}}, UnlistedMode::kDrop}},
          {"whole", {{{"o", whole}}, UnlistedMode::kKeep}},
          {"selected", {{{"o"}}, UnlistedMode::kKeep}},
          {"visited", {{{"k"}}, UnlistedMode::kVisit}}};
}

TEST(JsonValidationOnly, EveryErrorKindDeepInsideASubtree) {
  const std::vector<std::string> bad = {
      "",  // the document ends inside (closed: an empty array, valid, skipped)
      "01",
      "-",
      "-x",
      "1.",
      "1.e5",
      "1e",
      "1e+",
      "tru",
      "nul",
      "fals",
      "x",
      "'s'",
      "\"abc",
      "\"a\\",
      "\"a\\x\"",
      "\"a\\u12\"",
      "\"a\\u12G4\"",
      "\"a\\uD800\"",
      "\"a\\uD800\\u0041\"",
      "\"a\\uDC00\"",
      "\"a\x01\"",
      "\"a\x80\"",
      "\"\xe4\xb8\"",
      "\"\xed\xa0\x80\"",
      "{",
      "{\"a\"",
      "{\"a\":",
      "{\"a\" 1}",
      "{\"a\":1",
      "{\"a\":1,}",
      "{\"a\":1 \"b\":2}",
      "{\"a\":1]",
      "{a:1}",
      "{\"\xff\":1}",
      "{\"a\\q\":1}",
      "[",
      "[1",
      "[1,]",
      "[1 2]",
      "[1}",
      "[\"a\":1]",
  };
  for (const auto& frag : bad) {
    for (const bool close : {true, false}) {
      const std::string doc = "{\"k\":1,\"o\":{\"x\":[true,{\"y\":[" + frag + (close ? "]}],\"z\":2},\"t\":3}" : "");
      if (frag.empty() && close) continue;
      const Failure want = ValidateFailure(doc);
      ASSERT_NE(want.code_name, "ok") << doc;
      EXPECT_NE(want.message.find("at byte "), std::string::npos) << want.message;
      for (const auto& [name, way] : SubtreeWays()) {
        const Failure got = RewriteFailure(doc, way.first, way.second);
        EXPECT_EQ(got.code_name, want.code_name) << name << ": " << doc;
        EXPECT_EQ(got.message, want.message) << name << ": " << doc;
      }
    }
  }
}

TEST(JsonValidationOnly, ValidSubtreesPassEveryWay) {
  const std::string doc =
      "{\"k\":1,\"o\":{ \"x\" : [ true , false , null , -0.5e-3 , 0 , 12 , \"s\\\"\\u00e9\\ud83d\\ude00가\" ,"
      " { } , [ ] , [ [ ] , { \"a\" : { \"b\" : [ 1 ] } } ] ] ,\n\t\"e\":{},\"\\u0061\":\"\"},\"t\":3}";
  ASSERT_EQ(ValidateFailure(doc).code_name, "ok");
  for (const auto& [name, way] : SubtreeWays()) {
    const Failure got = RewriteFailure(doc, way.first, way.second);
    EXPECT_EQ(got.code_name, "ok") << name << ": " << got.message;
  }
}

TEST(JsonValidationOnly, DepthLimitInsideASubtree) {
  // "o" is at depth 2 (inside the root object); its content adds levels.
  for (uint32_t extra = 0; extra <= 70; ++extra) {
    std::string inner;
    for (uint32_t i = 0; i < extra; ++i) inner += i % 2 ? "{\"a\":" : "[";
    inner += "1";
    for (uint32_t i = extra; i-- > 0;) inner += i % 2 ? "}" : "]";
    const std::string doc = "{\"k\":1,\"o\":" + inner + ",\"t\":2}";
    for (uint32_t max_depth : {extra, extra + 1, uint32_t{64}}) {
      const Failure want = ValidateFailure(doc, max_depth);
      EXPECT_EQ(want.code_name, 1 + extra <= max_depth ? "ok" : "depth_exceeded") << extra << " " << max_depth;
      for (const auto& [name, way] : SubtreeWays()) {
        // "o" is never an object here: under o.zz that is a shape mismatch.
        if (name == "unselected sibling path") continue;
        const Failure got = RewriteFailure(doc, way.first, way.second, max_depth);
        EXPECT_EQ(got.code_name, want.code_name) << name << " extra " << extra << " max " << max_depth;
        EXPECT_EQ(got.message, want.message) << name << " extra " << extra << " max " << max_depth;
      }
    }
  }
}

TEST(JsonValidationOnly, NestingPastSixtyFourLevelsWithAHigherLimit) {
  // The validation walker keeps its own stack of open containers; past 64
  // levels it spills. Mixed objects and arrays, so each close is checked
  // against the right opener.
  const uint32_t levels = 300;
  std::string open, close;
  for (uint32_t i = 0; i < levels; ++i) {
    const bool obj = (i * 7) % 3 == 0;
    open += obj ? "{\"a\":" : "[";
    close = (obj ? "}" : "]") + close;
  }
  const std::string doc = open + "1" + close;
  EXPECT_EQ(ValidateFailure(doc, levels).code_name, "ok");
  EXPECT_EQ(ValidateFailure(doc, levels - 1).code_name, "depth_exceeded");
  EXPECT_EQ(RewriteFailure("{\"k\":1,\"o\":" + doc + "}", {{"k"}}, UnlistedMode::kKeep, levels + 1).code_name, "ok");
  // A wrong closer at every level is found at its offset.
  for (uint32_t at = 0; at < levels; at += 13) {
    std::string bad = doc;
    const size_t pos = open.size() + 1 + at;
    bad[pos] = bad[pos] == '}' ? ']' : '}';
    const Failure f = ValidateFailure(bad, levels);
    EXPECT_EQ(f.code_name, "invalid_json") << at;
    EXPECT_NE(f.message.find("at byte " + std::to_string(pos)), std::string::npos) << f.message;
  }
}

TEST(JsonValidationOnly, VeryDeepNestingUsesNoNativeStack) {
  const size_t n = 100000;
  const std::string doc = std::string(n, '[') + std::string(n, ']');
  const uint32_t limit = 2 * n;
  EXPECT_EQ(ValidateFailure(doc, limit).code_name, "ok");
  EXPECT_EQ(RewriteFailure("{\"k\":1,\"o\":" + doc + "}", {{"k"}}, UnlistedMode::kKeep, limit).code_name, "ok");
  EXPECT_EQ(ValidateFailure(std::string(n, '['), limit).code_name, "invalid_json");
}

}  // namespace
}  // namespace maskproxy::codec
