// FieldPath syntax and PathSet conflict detection.
#include "codec/path.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace maskproxy::codec {
namespace {

PathSegment K(const std::string& k) {
  return {PathSegment::Kind::kKey, k};
}
PathSegment Any() {
  return {PathSegment::Kind::kAnyIndex, {}};
}

std::vector<PathSegment> Segs(std::string_view text) {
  auto p = FieldPath::Parse(text);
  if (!p.ok()) {
    ADD_FAILURE() << "parse of '" << text << "' failed: " << p.error().ToString();
    return {};
  }
  EXPECT_EQ(p->text, text);
  return p->segments;
}

FieldPath P(std::string_view text) {
  auto p = FieldPath::Parse(text);
  EXPECT_TRUE(p.ok()) << text;
  return p.ok() ? p.value() : FieldPath{};
}

TEST(FieldPathParse, DottedKeys) {
  EXPECT_EQ(Segs("user.rrn"), (std::vector<PathSegment>{K("user"), K("rrn")}));
  EXPECT_EQ(Segs("rrn"), (std::vector<PathSegment>{K("rrn")}));
  EXPECT_EQ(Segs("a.b.c.d"), (std::vector<PathSegment>{K("a"), K("b"), K("c"), K("d")}));
}

TEST(FieldPathParse, AnyIndex) {
  EXPECT_EQ(Segs("recipients[*].phone"), (std::vector<PathSegment>{K("recipients"), Any(), K("phone")}));
  EXPECT_EQ(Segs("matrix[*][*]"), (std::vector<PathSegment>{K("matrix"), Any(), Any()}));
  EXPECT_EQ(Segs("tags[*]"), (std::vector<PathSegment>{K("tags"), Any()}));
}

TEST(FieldPathParse, QuotedKeys) {
  EXPECT_EQ(Segs("meta[\"x.y\"].z"), (std::vector<PathSegment>{K("meta"), K("x.y"), K("z")}));
  EXPECT_EQ(Segs("meta[\"a[*]b\"]"), (std::vector<PathSegment>{K("meta"), K("a[*]b")}));
  EXPECT_EQ(Segs("[\"x.y\"]"), (std::vector<PathSegment>{K("x.y")}));
  EXPECT_EQ(Segs("m[\"q\\\"x\"]"), (std::vector<PathSegment>{K("m"), K("q\"x")}));
  EXPECT_EQ(Segs("m[\"k\"][*]"), (std::vector<PathSegment>{K("m"), K("k"), Any()}));
}

// A quoted key is a JSON string: its escapes read as in a record, so
// user["r\u0072n"] is user.rrn (found by review: it was the literal key
// "ru0072n", and the record's rrn passed); a malformed escape is an error.
TEST(FieldPathParse, QuotedKeysReadJsonEscapes) {
  EXPECT_EQ(Segs("user[\"r\\u0072n\"]"), (std::vector<PathSegment>{K("user"), K("rrn")}));
  EXPECT_EQ(Segs("[\"a\\\\b\"]"), (std::vector<PathSegment>{K("a\\b")}));
  EXPECT_EQ(Segs("[\"a\\/b\"]"), (std::vector<PathSegment>{K("a/b")}));
  EXPECT_EQ(Segs("[\"\\ud83d\\ude00\"]"), (std::vector<PathSegment>{K("\U0001F600")}));
  for (const char* bad :
       {"[\"r\\qn\"]", "[\"a\\.b\"]", "[\"\\ud83d\"]", "[\"\\ude00\"]", "[\"\\u00\"]", "[\"a\tb\"]"}) {
    auto p = FieldPath::Parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidPath) << bad;
  }
}

// One spelling per path: what binds outputs to their field (a review found
// user["phone"] revealing another plausible number than user.phone).
TEST(FieldPathParse, CanonicalSpelling) {
  for (const auto& [written, canonical] : std::vector<std::pair<std::string, std::string>>{
           {"user.rrn", "user.rrn"},
           {"user[\"rrn\"]", "user.rrn"},
           {"user[\"r\\u0072n\"]", "user.rrn"},
           {"[\"user\"][\"rrn\"]", "user.rrn"},
           {"recipients[*].phone", "recipients[*].phone"},
           {"recipients[*][\"phone\"]", "recipients[*].phone"},
           {"matrix[*][*]", "matrix[*][*]"},
           {"meta[\"x.y\"].z", "meta[\"x.y\"].z"},
           {"m[\"q\\\"x\"]", "m[\"q\\\"x\"]"},
           {"m[\"*\"]", "m[\"*\"]"},
           {"[\"$key\"]", "[\"$key\"]"},
           {"a[\"\\u200bb\"]", "a[\"\u200bb\"]"},
           {"사용자.주민번호", "사용자.주민번호"},
       }) {
    auto p = FieldPath::Parse(written);
    ASSERT_TRUE(p.ok()) << written;
    EXPECT_EQ(p->Canonical(), canonical) << written;
    // The canonical spelling reads as the same path.
    auto again = FieldPath::Parse(canonical);
    ASSERT_TRUE(again.ok()) << canonical;
    EXPECT_EQ(again->segments, p->segments) << canonical;
  }
}

// `user.*` reads as "every member of user"; it was taken for a member named
// '*' and protected nothing (found by review). Quoted, '*' is a name.
TEST(FieldPathParse, StarIsNotAMemberWildcard) {
  for (const char* bad : {"user.*", "*", "recipients*.phone", "a.b*"}) {
    auto p = FieldPath::Parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.error().message.find("not a wildcard"), std::string::npos) << p.error().message;
  }
  EXPECT_EQ(Segs("user[\"*\"]"), (std::vector<PathSegment>{K("user"), K("*")}));
}

// A path deeper than a record may nest can never match; refused (a path of
// 40,000 segments took 1.6 GB to compile, found by review).
TEST(FieldPathParse, NoDeeperThanARecordNests) {
  std::string ok = "a";
  for (size_t i = 1; i < kMaxPathSegments; ++i) ok += ".a";
  EXPECT_EQ(Segs(ok).size(), kMaxPathSegments);
  auto p = FieldPath::Parse(ok + ".b");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("can never match"), std::string::npos) << p.error().message;
}

TEST(FieldPathParse, UnicodeKeys) {
  EXPECT_EQ(Segs("고객.주민번호"), (std::vector<PathSegment>{K("고객"), K("주민번호")}));
}

TEST(FieldPathParse, Errors) {
  for (const char* bad : {"", ".a", "a.", "a..b", "[*]", "a[0]", "a]b", "a[*]b", "a[\"\"]", "a[\"x", "a[\"x\"", "a[",
                          "a[*", "a\"b", ".", "a.[*]"}) {
    auto p = FieldPath::Parse(bad);
    ASSERT_FALSE(p.ok()) << "'" << bad << "' should be rejected";
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidPath) << bad;
  }
}

// A bare key with a character a reader does not see (zero-width space, BOM,
// bidirectional control, soft hyphen, C1 control, line separator) would name
// another member than the one it shows: refused, naming the code point. A
// quoted key may hold one on purpose. A key that is not UTF-8 can name no
// member (records are read as strict JSON): refused either way.
TEST(FieldPathParse, InvisibleCharactersOnlyInQuotedKeysAndOnlyUtf8) {
  const std::vector<std::pair<std::string, std::string>> invisible = {
      {"user.rrn\u200B", "U+200B"}, {"user.\uFEFFrrn", "U+FEFF"}, {"us\u202Eer.rrn", "U+202E"},
      {"user.r\u00ADrn", "U+00AD"}, {"user.rrn\u0085", "U+0085"}, {"user\u2028.rrn", "U+2028"},
      {"user.\u3164", "U+3164"},  // Hangul filler
  };
  for (const auto& [bad, cp] : invisible) {
    auto p = FieldPath::Parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidPath);
    EXPECT_NE(p.error().message.find(cp), std::string::npos) << p.error().message;
    EXPECT_NE(p.error().message.find("quote the key"), std::string::npos) << p.error().message;
  }
  EXPECT_EQ(Segs("user[\"rrn\u200B\"]"), (std::vector<PathSegment>{K("user"), K("rrn\u200B")}));
  for (const char* bad : {"user.rrn\xff", "user.\xc3", "user.\xed\xa0\x80", "user[\"rrn\xff\"]", "user.\x7f"}) {
    auto p = FieldPath::Parse(bad);
    ASSERT_FALSE(p.ok()) << "a key that is not UTF-8 or holds DEL should be rejected";
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidPath);
  }
  // Visible non-ASCII stays a plain key: Hangul, full-width letters, a no-break space.
  EXPECT_EQ(Segs("고객.주민번호"), (std::vector<PathSegment>{K("고객"), K("주민번호")}));
  EXPECT_EQ(Segs("ｕｓｅｒ.first\u00A0name"), (std::vector<PathSegment>{K("ｕｓｅｒ"), K("first\u00A0name")}));
}

TEST(FieldPathParse, ErrorsNameThePathAndPosition) {
  auto p = FieldPath::Parse("a..b");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("'a..b'"), std::string::npos) << p.error().message;
  EXPECT_NE(p.error().message.find("character 3"), std::string::npos) << p.error().message;
}

::testing::AssertionResult Conflicts(const std::vector<std::string>& paths) {
  PathSet set;
  for (size_t i = 0; i + 1 < paths.size(); ++i) {
    Status s = set.Add(P(paths[i]), static_cast<int32_t>(i), false);
    if (!s.ok())
      return ::testing::AssertionFailure() << "early conflict at '" << paths[i] << "': " << s.error().message;
  }
  Status s = set.Add(P(paths.back()), static_cast<int32_t>(paths.size() - 1), false);
  if (s.ok()) return ::testing::AssertionFailure() << "no conflict for '" << paths.back() << "'";
  if (s.error().code != ErrorCode::kPathConflict) return ::testing::AssertionFailure() << "code " << s.error().code;
  if (s.error().message.find(paths.back()) == std::string::npos)
    return ::testing::AssertionFailure() << "message does not name the path: " << s.error().message;
  return ::testing::AssertionSuccess();
}

TEST(PathSetAdd, SamePathTwice) {
  EXPECT_TRUE(Conflicts({"user.rrn", "user.rrn"}));
}
TEST(PathSetAdd, ParentThenChild) {
  EXPECT_TRUE(Conflicts({"user", "user.rrn"}));
}
TEST(PathSetAdd, ChildThenParent) {
  EXPECT_TRUE(Conflicts({"user.rrn", "user"}));
}
TEST(PathSetAdd, ArrayThenElementMember) {
  EXPECT_TRUE(Conflicts({"list[*]", "list[*].x"}));
}
TEST(PathSetAdd, ElementMemberThenArray) {
  EXPECT_TRUE(Conflicts({"list[*].x", "list"}));
}
TEST(PathSetAdd, QuotedKeyEqualsPlainKey) {
  EXPECT_TRUE(Conflicts({"user.rrn", "user[\"rrn\"]"}));
}
TEST(PathSetAdd, DeepParentThenChild) {
  EXPECT_TRUE(Conflicts({"a.b", "c", "a.b.c.d"}));
}

// Found by review: one place read as an array by one path and as an object
// by another turned off the shape check of both (`{"acct":{"phone":…}}`
// passed raw beside `acct.rrn`). Either order, at any depth, with the array
// path ending at the elements or going on.
TEST(PathSetAdd, OnePlaceReadAsArrayAndAsObject) {
  EXPECT_TRUE(Conflicts({"acct.rrn", "acct[*].phone"}));
  EXPECT_TRUE(Conflicts({"acct[*].phone", "acct.rrn"}));
  EXPECT_TRUE(Conflicts({"a[*]", "a.b.c"}));
  EXPECT_TRUE(Conflicts({"a.b.c", "a[*]"}));
  EXPECT_TRUE(Conflicts({"x.list[*][*]", "x.list[*].name"}));
  EXPECT_TRUE(Conflicts({"x.list[*].name", "x.list[*][*]"}));
  PathSet set;
  ASSERT_TRUE(set.Add(P("acct.rrn"), 0, false).ok());
  Status s = set.Add(P("acct[*].phone"), 1, false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("'acct' as an array where path 'acct.rrn' reads it as an object"), std::string::npos)
      << s.error().message;
  // Siblings of one shape are fine, and the failed Add left the set as it was.
  EXPECT_TRUE(set.Add(P("acct.phone"), 1, false).ok());
  EXPECT_TRUE(set.Add(P("list[*].a"), 2, false).ok());
  EXPECT_TRUE(set.Add(P("list[*].b"), 3, false).ok());
  EXPECT_TRUE(set.Add(P("grid[*][*]"), 4, false).ok());
}

// A wide object (more children than PathSet::kIndexFrom) is looked up by
// hash: exact names, folded variants, conflicts and descents behave as in a
// narrow one, for the children added before and after the index is built.
TEST(PathSetAdd, WideObjectsLookUpLikeNarrowOnes) {
  PathSet set;
  const int n = static_cast<int>(PathSet::kIndexFrom) * 4;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(set.Add(P("f" + std::to_string(i) + ".x"), i, false).ok()) << i;
  ASSERT_TRUE(set.Add(P("f3.y"), n, false).ok());  // descends into an existing child
  for (int i = 0; i < n; ++i) {
    const auto* f = set.ChildByKey(set.root(), "f" + std::to_string(i));
    ASSERT_NE(f, nullptr) << i;
    ASSERT_NE(set.ChildByKey(*f, "x"), nullptr) << i;
    EXPECT_EQ(set.ChildByKey(*f, "x")->terminal, i);
    EXPECT_EQ(set.ChildByFoldedKey(set.root(), "F" + std::to_string(i)), f) << i;
  }
  EXPECT_EQ(set.ChildByKey(*set.ChildByKey(set.root(), "f3"), "y")->terminal, n);
  EXPECT_EQ(set.ChildByKey(set.root(), "f" + std::to_string(n)), nullptr);
  EXPECT_EQ(set.ChildByFoldedKey(set.root(), "g1"), nullptr);
  // Conflicts against early and late children, exact and folded.
  for (const std::string bad : {"f0.x", "f1", "f60.x.z", "F2.x",
                                "\xef\xbd\x86"
                                "50.q"}) {
    EXPECT_FALSE(set.Add(P(bad), n + 1, false).ok()) << bad;
  }
  Status st = set.Add(P("F2.x"), n + 1, false);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("differs from 'f2'"), std::string::npos) << st.error().message;
}

TEST(PathSetAdd, SiblingsDoNotConflict) {
  PathSet set;
  EXPECT_TRUE(set.empty());
  ASSERT_TRUE(set.Add(P("user.rrn"), 0, false).ok());
  ASSERT_TRUE(set.Add(P("user.phone"), 1, true).ok());
  ASSERT_TRUE(set.Add(P("list[*].x"), 2, false).ok());
  ASSERT_TRUE(set.Add(P("list[*].y"), 3, false).ok());
  ASSERT_TRUE(set.Add(P("meta[\"user.rrn\"]"), 4, false).ok());
  EXPECT_FALSE(set.empty());

  const auto* user = set.ChildByKey(set.root(), "user");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->terminal, -1);
  EXPECT_TRUE(user->has_remove_child);
  const auto* rrn = set.ChildByKey(*user, "rrn");
  ASSERT_NE(rrn, nullptr);
  EXPECT_EQ(rrn->terminal, 0);
  EXPECT_FALSE(rrn->remove);
  const auto* phone = set.ChildByKey(*user, "phone");
  ASSERT_NE(phone, nullptr);
  EXPECT_EQ(phone->terminal, 1);
  EXPECT_TRUE(phone->remove);
  EXPECT_EQ(set.ChildByKey(*user, "other"), nullptr);

  const auto* list = set.ChildByKey(set.root(), "list");
  ASSERT_NE(list, nullptr);
  EXPECT_FALSE(list->has_remove_child);
  const auto* elem = set.ChildAnyIndex(*list);
  ASSERT_NE(elem, nullptr);
  EXPECT_NE(set.ChildByKey(*elem, "x"), nullptr);
  EXPECT_EQ(set.ChildByKey(*elem, "y")->terminal, 3);
  EXPECT_EQ(set.ChildAnyIndex(set.root()), nullptr);

  const auto* meta = set.ChildByKey(set.root(), "meta");
  ASSERT_NE(meta, nullptr);
  ASSERT_NE(set.ChildByKey(*meta, "user.rrn"), nullptr);
  EXPECT_EQ(set.ChildByKey(*meta, "user.rrn")->terminal, 4);
}

}  // namespace
}  // namespace maskproxy::codec
