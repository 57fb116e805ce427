// The audit trail writer (audit/trail.h) and its verifier (audit/verify.h):
// the chain, the macs, checkpoints, reopening, failed writes that recover,
// and every tamper case named.
#include "audit/trail.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "audit/verify.h"
#include "support/test_keys.h"

namespace maskproxy::audit {
namespace {

namespace fs = std::filesystem;
using test_keys::KeyringYaml;
using test_keys::Material;

class TrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mp-trail-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    key_file_ = WriteKeys("audit-keys.yaml", {{"audit", {Material(7)}}});
    path_ = (dir_ / "audit.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string WriteKeys(const std::string& name, const std::vector<test_keys::TestKey>& keys) {
    std::string p = (dir_ / name).string();
    std::ofstream(p) << KeyringYaml(keys);
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    return p;
  }

  // A trail of `n` events (and checkpoints every `every`), closed.
  void Write(int n, int every = 1000) {
    auto t = FileTrail::Open({path_, key_file_, every});
    ASSERT_TRUE(t.ok()) << t.error().ToString();
    for (int i = 0; i < n; ++i) {
      Event e{.type = EventType::kSchemaDrift, .fields = {}};
      e.Add("route", std::string("orders")).Add("field", "f" + std::to_string(i)).Add("count", int64_t{i});
      ASSERT_TRUE((*t)->Append(e).ok());
    }
    ASSERT_TRUE((*t)->Close().ok());
    ASSERT_TRUE((*t)->final_anchor().has_value());
    anchor_ = *(*t)->final_anchor();
  }

  std::vector<std::string> Lines() {
    std::ifstream in(path_);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  void Put(const std::vector<std::string>& lines, bool last_newline = true) {
    std::ofstream out(path_, std::ios::trunc);
    for (size_t i = 0; i < lines.size(); ++i) out << lines[i] << (i + 1 < lines.size() || last_newline ? "\n" : "");
  }
  VerifyReport Check() {
    auto r = Verify(path_, key_file_);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : VerifyReport{};
  }

  fs::path dir_;
  std::string key_file_;
  std::string path_;
  Anchor anchor_;  // the last Write's final checkpoint
};

TEST_F(TrailTest, IntactTrailVerifiesAndIsComplete) {
  Write(5);
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 6u);  // 5 events + the final checkpoint
  EXPECT_EQ(lines[0].rfind("{\"seq\":1,\"time\":\"", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("\"event\":\"schema_drift\",\"route\":\"orders\",\"field\":\"f0\",\"count\":0,\"prev\":\"" +
                          std::string(64, '0') + "\",\"kv\":1,\"mac\":\""),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[5].find("\"event\":\"checkpoint\",\"entries\":5,\"chain\":\""), std::string::npos);
  EXPECT_NE(lines[5].find("\"final\":true"), std::string::npos);
  VerifyReport r = Check();
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.complete) << r.first_problem;
  EXPECT_EQ(r.entries, 6u);
  EXPECT_EQ(r.last_checkpoint_seq, 6u);
  EXPECT_EQ(VerifyExitCode(r, false), kVerifyIntact);
  EXPECT_EQ(fs::status(path_).permissions() & fs::perms::mask, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(TrailTest, IntervalCheckpointsAndReopenContinueTheChain) {
  Write(7, 3);  // 3 events, cp, 3 events, cp, 1 event, final cp
  Write(2, 3);  // reopened: continues seq and chain
  VerifyReport r = Check();
  EXPECT_TRUE(r.ok && r.complete) << r.first_problem;
  EXPECT_EQ(r.entries, 13u);  // 7 + 2 interval checkpoints + final, then 2 + final
  std::vector<std::string> lines = Lines();
  EXPECT_NE(lines[3].find("\"event\":\"checkpoint\",\"entries\":3,"), std::string::npos) << lines[3];
  EXPECT_NE(lines[3].find("\"final\":false"), std::string::npos);
  EXPECT_EQ(lines[11].rfind("{\"seq\":12,", 0), 0u) << lines[11];
}

TEST_F(TrailTest, EditedEntryIsNamed) {
  Write(5);
  std::vector<std::string> lines = Lines();
  size_t at = lines[2].find("\"f2\"");
  lines[2].replace(at, 4, "\"fX\"");
  Put(lines);
  VerifyReport r = Check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_problem, "entry 3 (line 3): mac does not verify (modified, or forged without the key)");
  EXPECT_EQ(VerifyExitCode(r, true), kVerifyTampered);
  EXPECT_EQ(r.first_problem.find("fX"), std::string::npos);  // never a field value
}

TEST_F(TrailTest, DeletedEntryIsNamed) {
  Write(5);
  std::vector<std::string> lines = Lines();
  lines.erase(lines.begin() + 1);
  Put(lines);
  VerifyReport r = Check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_problem, "line 2: seq 3 where 2 was expected (entry 2 deleted)");
  // Deleting the first entries.
  lines.erase(lines.begin());
  Put(lines);
  EXPECT_EQ(Check().first_problem, "line 1: seq 3 where 1 was expected (entries 1 to 2 deleted)");
}

TEST_F(TrailTest, ReorderedEntriesAreNamed) {
  Write(5);
  std::vector<std::string> lines = Lines();
  std::swap(lines[1], lines[3]);
  Put(lines);
  VerifyReport r = Check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_problem, "line 2: seq 4 where 2 was expected (reordered: entry 2 is at line 4)");
}

TEST_F(TrailTest, InsertedEntriesAreNamed) {
  Write(5);
  std::vector<std::string> lines = Lines();
  // A forged line (the mac cannot be made without the key).
  std::string forged = lines[2];
  forged.replace(forged.find("\"f2\""), 4, "\"f9\"");
  std::vector<std::string> with_forged = lines;
  with_forged.insert(with_forged.begin() + 3, forged);
  Put(with_forged);
  EXPECT_EQ(Check().first_problem, "entry 3 (line 4): mac does not verify (modified, or forged without the key)");
  // An authentic line copied from elsewhere in the file.
  std::vector<std::string> with_copy = lines;
  with_copy.insert(with_copy.begin() + 4, lines[1]);
  Put(with_copy);
  EXPECT_EQ(Check().first_problem, "line 5: a copy of entry 2 (line 2) (inserted)");
  // An authentic entry of another trail under the same key, at the right seq.
  std::string other_path = (dir_ / "other.jsonl").string();
  {
    auto t = FileTrail::Open({other_path, key_file_, 1000});
    ASSERT_TRUE(t.ok());
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE((*t)->Append(Event{.type = EventType::kStart, .fields = {{"version", std::string("x")}}}).ok());
  }
  std::ifstream other(other_path);
  std::vector<std::string> other_lines;
  for (std::string l; std::getline(other, l);) other_lines.push_back(l);
  std::vector<std::string> spliced = lines;
  spliced[2] = other_lines[2];
  Put(spliced);
  EXPECT_EQ(Check().first_problem,
            "line 3: prev does not match the hash of line 2 (an entry inserted or taken from another trail)");
}

TEST_F(TrailTest, TruncationAfterTheLastCheckpointIsReportedAsOpen) {
  Write(7, 3);
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 10u);
  lines.resize(6);  // 3 ev, cp(4), 2 ev
  Put(lines);
  VerifyReport r = Check();
  EXPECT_TRUE(r.ok);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.first_problem,
            "open: 2 entries after the last checkpoint at seq 4 and no final checkpoint (cut short, or the writer is "
            "still running or crashed)");
  EXPECT_EQ(VerifyExitCode(r, false), kVerifyOpen);
  EXPECT_EQ(VerifyExitCode(r, true), kVerifyIntact);
  // Cut exactly at an interval checkpoint: still not final.
  lines.resize(4);
  Put(lines);
  EXPECT_EQ(VerifyExitCode(Check(), false), kVerifyOpen);
  // A partial last line.
  lines = Lines();
  lines.back().resize(lines.back().size() / 2);
  Put(lines, /*last_newline=*/false);
  r = Check();
  EXPECT_EQ(r.first_problem, "line 4: partial last line (no newline): the file was cut within an entry");
  EXPECT_EQ(VerifyExitCode(r, true), kVerifyOpen);
  // And the writer refuses to append to it.
  auto t = FileTrail::Open({path_, key_file_, 3});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("partial last line"), std::string::npos) << t.error().message;
}

// A trail cut short (or left open by a crash) and then written again: the
// next writer says so in the trail first, so the cut never verifies as a
// complete trail.
TEST_F(TrailTest, AWriterResumingAnUnclosedTrailSaysSoAndVerifyReportsIt) {
  Write(7, 3);
  std::vector<std::string> lines = Lines();
  lines.resize(6);  // 3 ev, cp(4), 2 ev: entries 7-10 cut away
  Put(lines);
  Write(1, 3);  // a later writer: trail_resumed (seq 7), a checkpoint (8), 1 event, final checkpoint
  lines = Lines();
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_NE(lines[6].find("\"seq\":7,"), std::string::npos) << lines[6];
  EXPECT_NE(lines[6].find("\"event\":\"trail_resumed\",\"after_seq\":6,\"last_checkpoint\":4,"), std::string::npos)
      << lines[6];
  VerifyReport r = Check();
  EXPECT_TRUE(r.ok) << r.first_problem;
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.resumed_at, (std::vector<uint64_t>{7}));
  EXPECT_EQ(VerifyExitCode(r, false), kVerifyOpen);
  EXPECT_EQ(VerifyExitCode(r, true), kVerifyIntact);
  EXPECT_NE(Summary(r).find("1 unclean end(s)"), std::string::npos) << Summary(r);
  EXPECT_NE(Summary(r).find("at seq 7"), std::string::npos) << Summary(r);
  // A trail closed cleanly and reopened: no marker.
  Write(1, 3);
  EXPECT_EQ(Check().resumed_at, (std::vector<uint64_t>{7}));
}

TEST_F(TrailTest, WrongKeyIsNamed) {
  Write(3);
  std::string other = WriteKeys("other-keys.yaml", {{"audit", {Material(99)}}});
  auto r = Verify(path_, other);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->first_problem, "no entry verifies under this key file: the wrong audit key, or every entry modified");
}

TEST_F(TrailTest, RotatedAuditKeyKeepsOldEntriesVerifiable) {
  Write(2);
  std::string k2 = WriteKeys("audit-keys.yaml", {{"audit", {Material(7), Material(8)}}});
  Write(2);
  VerifyReport r = Check();
  EXPECT_TRUE(r.ok && r.complete) << r.first_problem;
  EXPECT_NE(Lines().back().find("\"kv\":2,"), std::string::npos);
}

// Found by review: an operator who kept audit key version 1 (a rotation
// retired it) rewrote an entry written under version 2, and every entry
// after it, signing with version 1: verify said intact. A later entry under
// an older version than an earlier one is reported.
TEST_F(TrailTest, AnEntryUnderARetiredKeyVersionIsReported) {
  Write(2);
  WriteKeys("audit-keys.yaml", {{"audit", {Material(7), Material(8)}}});
  Write(2);
  const size_t v2_entries = Lines().size();
  WriteKeys("audit-keys.yaml", {{"audit", {Material(7), Material(8)}, /*active=*/1}});
  Write(1);  // what the holder of version 1 can sign
  WriteKeys("audit-keys.yaml", {{"audit", {Material(7), Material(8)}}});
  VerifyReport r = Check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_problem, "entry " + std::to_string(v2_entries + 1) + " (line " + std::to_string(v2_entries + 1) +
                                 "): signed with audit key version 1 after version 2 signed an earlier entry "
                                 "(rewritten with a retired key)");
  EXPECT_EQ(VerifyExitCode(r, true), kVerifyTampered);
}

// Found by review: a retired audit key version could not be retired (removed
// from the key file, its entries no longer verified), so whoever kept it
// could rewrite the whole trail under it. Removed from the key file, its
// entries are vouched for by the hash chain up to a later entry under a
// version in the file; a trail (or its tail) under it alone is refused.
TEST_F(TrailTest, ARetiredKeyVersionIsVouchedForByTheChainOnly) {
  Write(2);
  WriteKeys("audit-keys.yaml", {{"audit", {Material(7), Material(8)}}});
  Write(2);
  const std::vector<std::string> full = Lines();
  const std::string v2_only = (dir_ / "audit-v2.yaml").string();
  std::ofstream(v2_only) << "keys:\n  audit:\n    active: 2\n    versions:\n      2: " << Material(8) << "\n";
  fs::permissions(v2_only, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  auto r = Verify(path_, v2_only);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->ok && r->complete) << r->first_problem;
  // The entries under version 1 alone (those after them cut away): nothing
  // under version 2 vouches for them.
  size_t first_v2 = 0;
  while (first_v2 < full.size() && full[first_v2].find("\"kv\":2,") == std::string::npos) ++first_v2;
  ASSERT_GT(first_v2, 0u);
  ASSERT_LT(first_v2, full.size());
  Put(std::vector<std::string>(full.begin(), full.begin() + static_cast<long>(first_v2)));
  r = Verify(path_, v2_only);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->first_problem, "no entry verifies under this key file: the wrong audit key, or every entry modified");
  // An entry under version 1 edited: the next line's prev no longer matches.
  std::vector<std::string> edited = full;
  edited[0].replace(edited[0].find("\"seq\":1"), 7, "\"seq\":1 ");
  Put(edited);
  r = Verify(path_, v2_only);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok) << "an edit under the retired version";
  // Found by review: an edited entry under the retired version was blamed
  // on the next line ("prev does not match ... inserted or taken from
  // another trail"), one entry too late. The entries after it are vouched
  // for by the chain up to one under version 2, so the edited entry is named,
  // with the entries before it as verified.
  for (size_t at : {size_t{0}, size_t{1}}) {
    const std::string field = "\"field\":\"f" + std::to_string(at) + "\"";
    edited = full;
    edited[at].replace(edited[at].find(field), field.size(), "\"field\":\"fX\"");
    Put(edited);
    r = Verify(path_, v2_only);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->ok);
    EXPECT_EQ(r->entries, at) << r->first_problem;
    const std::string entry = "entry " + std::to_string(at + 1) + " (line " + std::to_string(at + 1) + ")";
    EXPECT_EQ(r->first_problem.rfind(entry + ": signed with a retired audit key version", 0), 0u) << r->first_problem;
    EXPECT_NE(r->first_problem.find("(modified)"), std::string::npos) << r->first_problem;
  }
}

TEST_F(TrailTest, OpenRefusesTamperedTrailsLooseModesAndMixedKeyFiles) {
  Write(3);
  std::vector<std::string> lines = Lines();
  std::swap(lines[0], lines[1]);
  Put(lines);
  auto t = FileTrail::Open({path_, key_file_, 10});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("line 1: seq 2 where 1 was expected"), std::string::npos) << t.error().message;

  std::string loose = (dir_ / "loose.jsonl").string();
  std::ofstream(loose) << "";
  fs::permissions(loose, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read,
                  fs::perm_options::replace);
  t = FileTrail::Open({loose, key_file_, 10});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("group or others"), std::string::npos);

  std::string mixed = WriteKeys("mixed.yaml", {{"audit", {Material(7)}}, {"rrn", {Material(1)}}});
  t = FileTrail::Open({(dir_ / "new.jsonl").string(), mixed, 10});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("holds key 'rrn' besides 'audit'"), std::string::npos) << t.error().message;
  std::string none = WriteKeys("none.yaml", {{"rrn", {Material(1)}}});
  t = FileTrail::Open({(dir_ / "new.jsonl").string(), none, 10});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kKeyMissing);
  // The data keyring given as the audit key file: the hint is a file of its
  // own, not to add the audit key to this one (found by review).
  EXPECT_NE(t.error().message.find("a file of its own"), std::string::npos) << t.error().message;
  EXPECT_EQ(t.error().message.find("--out " + none), std::string::npos) << t.error().message;
  // A missing key file is named as the audit key file.
  t = FileTrail::Open({(dir_ / "new.jsonl").string(), (dir_ / "missing.yaml").string(), 10});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message.rfind("audit key file (audit.key_file): ", 0), 0u) << t.error().message;
}

// An audit key file with a key written twice in a mapping (two files
// concatenated, an edited `active:`): refused by the writer and the
// verifier alike, naming the file, line and key path, never the material.
TEST_F(TrailTest, AnAuditKeyFileWithADuplicateKeyIsRefused) {
  const std::string two_blocks = KeyringYaml({{"audit", {Material(7)}}}) + KeyringYaml({{"audit", {Material(9)}}});
  const std::string two_actives =
      "keys:\n  audit:\n    active: 2\n    active: 1\n    versions:\n      1: " + Material(7) +
      "\n      2: " + Material(9) + "\n";
  for (const auto& [text, where] : {std::pair{two_blocks, std::string(":6:1: duplicate key 'keys'")},
                                    std::pair{two_actives, std::string(":4:5: duplicate key 'keys.audit.active'")}}) {
    const std::string keys = (dir_ / "dup.yaml").string();
    std::ofstream(keys, std::ios::trunc) << text;
    fs::permissions(keys, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    auto t = FileTrail::Open({path_, keys, 10});
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find(keys + where), std::string::npos) << t.error().message;
    EXPECT_EQ(t.error().message.find(Material(9)), std::string::npos);
    auto v = Verify(path_, keys);
    EXPECT_FALSE(v.ok());
  }
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(TrailTest, SecondWriterIsRefused) {
  auto a = FileTrail::Open({path_, key_file_, 10});
  ASSERT_TRUE(a.ok());
  auto b = FileTrail::Open({path_, key_file_, 10});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("locked"), std::string::npos);
}

TEST_F(TrailTest, ValueDigestIsKeyedAndNotTheMacKey) {
  auto t = FileTrail::Open({path_, key_file_, 10});
  ASSERT_TRUE(t.ok());
  std::string d = (*t)->ValueDigest("900101-1234567");
  EXPECT_EQ(d.size(), 32u);
  EXPECT_EQ(d, (*t)->ValueDigest("900101-1234567"));
  EXPECT_NE(d, (*t)->ValueDigest("900101-1234568"));
  std::string other_keys = WriteKeys("k2.yaml", {{"audit", {Material(8)}}});
  auto u = FileTrail::Open({(dir_ / "u.jsonl").string(), other_keys, 10});
  ASSERT_TRUE(u.ok());
  EXPECT_NE(d, (*u)->ValueDigest("900101-1234567"));
}

TEST_F(TrailTest, ReservedOrBadFieldNamesAndCheckpointEventsAreRefused) {
  auto t = FileTrail::Open({path_, key_file_, 10});
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE((*t)->Append(Event{.type = EventType::kStart, .fields = {{"mac", std::string("x")}}}).ok());
  EXPECT_FALSE((*t)->Append(Event{.type = EventType::kStart, .fields = {{"Bad Name", std::string("x")}}}).ok());
  EXPECT_FALSE((*t)->Append(Event{.type = EventType::kCheckpoint, .fields = {}}).ok());
  EXPECT_EQ((*t)->last_seq(), 0u);
}

// A write that fails (here: the file-size limit, EFBIG, as a full disk gives
// ENOSPC) is refused, leaves no partial line, and the trail recovers when
// there is room again.
TEST_F(TrailTest, FailedWriteIsCutBackAndRecovers) {
  auto t = FileTrail::Open({path_, key_file_, 1000});
  ASSERT_TRUE(t.ok());
  Event e{.type = EventType::kSchemaDrift, .fields = {{"field", std::string(200, 'a')}}};
  ASSERT_TRUE((*t)->Append(e).ok());
  const auto size = fs::file_size(path_);
  struct sigaction ign {
  }, old{};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGXFSZ, &ign, &old);
  rlimit saved{};
  getrlimit(RLIMIT_FSIZE, &saved);
  rlimit lim = saved;
  lim.rlim_cur = size + 100;  // room for part of a line only: a short write
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
  Status s1 = (*t)->Append(e);
  lim.rlim_cur = size;  // no room at all: EFBIG
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
  Status s2 = (*t)->Append(e);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  sigaction(SIGXFSZ, &old, nullptr);
  ASSERT_FALSE(s1.ok());
  EXPECT_EQ(s1.error().code, ErrorCode::kAuditFailed);
  ASSERT_FALSE(s2.ok());
  EXPECT_EQ(fs::file_size(path_), size);  // the partial line was cut back
  EXPECT_EQ((*t)->last_seq(), 1u);
  EXPECT_TRUE((*t)->Failing());       // for the other writers' gate
  ASSERT_TRUE((*t)->Append(e).ok());  // room again
  EXPECT_FALSE((*t)->Failing());
  ASSERT_TRUE((*t)->Close().ok());
  VerifyReport r = Check();
  EXPECT_TRUE(r.ok && r.complete) << r.first_problem;
  EXPECT_EQ(r.entries, 3u);
}

// Found by review: after `rm audit.jsonl` under a running proxy, reveals
// went on, audited into the removed file; on the next start a new trail
// began that verify called intact. A trail removed, or replaced by another
// file, fails every append (and the probe) until a restart.
TEST_F(TrailTest, ARemovedOrReplacedTrailFileFailsEveryAppend) {
  for (const bool replace : {false, true}) {
    fs::remove(path_);
    auto t = FileTrail::Open({path_, key_file_, 1000});
    ASSERT_TRUE(t.ok());
    Event e{.type = EventType::kSchemaDrift, .fields = {{"field", std::string("f")}}};
    ASSERT_TRUE((*t)->Append(e).ok());
    ASSERT_TRUE((*t)->Probe().ok());
    fs::remove(path_);
    if (replace) std::ofstream(path_) << "";
    Status s = (*t)->Append(e);
    ASSERT_FALSE(s.ok()) << replace;
    EXPECT_EQ(s.error().code, ErrorCode::kAuditFailed);
    EXPECT_NE(s.error().message.find("removed or replaced"), std::string::npos) << s.error().message;
    EXPECT_TRUE((*t)->Failing());
    EXPECT_FALSE((*t)->Probe().ok());
    EXPECT_FALSE((*t)->Append(e).ok());
    if (replace) {
      EXPECT_EQ(fs::file_size(path_), 0u) << "nothing written to the other file";
    }
  }
}

// A trail file emptied while the proxy was stopped (`: > audit.jsonl`) is not
// a new trail: the next writer says the history is missing, and verify does
// not call the result intact. Only a file that did not exist starts afresh.
TEST_F(TrailTest, AnEmptiedTrailFileIsResumedNotTakenForANewTrail) {
  Write(3);
  { std::ofstream(path_, std::ios::trunc); }
  ASSERT_EQ(fs::file_size(path_), 0u);
  Write(1);  // trail_resumed (seq 1), 1 event, final checkpoint
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("{\"seq\":1,", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("\"event\":\"trail_resumed\",\"after_seq\":0,\"last_checkpoint\":0,\"found_empty\":true,"),
            std::string::npos)
      << lines[0];
  VerifyReport r = Check();
  EXPECT_TRUE(r.ok) << r.first_problem;
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.resumed_at, (std::vector<uint64_t>{1}));
  EXPECT_EQ(VerifyExitCode(r, false), kVerifyOpen);
  EXPECT_NE(Summary(r).find("at seq 1 (the file was found empty"), std::string::npos) << Summary(r);

  // A file that did not exist: a new trail, no marker.
  fs::remove(path_);
  Write(1);
  r = Check();
  EXPECT_TRUE(r.complete) << r.first_problem;
  EXPECT_TRUE(r.resumed_at.empty());
  EXPECT_EQ(VerifyExitCode(r, false), kVerifyIntact);
  EXPECT_EQ(fs::status(path_).permissions() & fs::perms::mask, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(TrailTest, ClosedTrailRefusesAppends) {
  auto t = FileTrail::Open({path_, key_file_, 10});
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE((*t)->Close().ok());
  ASSERT_TRUE((*t)->Close().ok());
  EXPECT_FALSE((*t)->Append(Event{.type = EventType::kStop, .fields = {}}).ok());
  EXPECT_TRUE(Check().complete);
}

TEST_F(TrailTest, EmptyFileIsOpenNotIntact) {
  std::ofstream(path_) << "";
  VerifyReport r = Check();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(VerifyExitCode(r, true), kVerifyOpen);
  // Found by review: summarised as "intact but open: 0 entries".
  EXPECT_EQ(Summary(r).find("intact"), std::string::npos) << Summary(r);
  EXPECT_EQ(Summary(r), "empty: 0 entries");
  EXPECT_EQ(r.first_problem, "empty: no entries (a trail always has one)");
}

// Found by review: a whole forged entry, or any garbage, appended without a
// final newline was reported as a write cut short ("intact but open", exit
// 3, even 0 with --allow-open at one time). Only what can be the start of
// the next entry is a cut; a whole JSON object is checked as an entry.
TEST_F(TrailTest, TextAppendedWithoutANewlineIsTamperingUnlessItCanBeACutEntry) {
  Write(3);
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 4u);
  // A whole entry in the next entry's place, its mac forged.
  std::string forged = lines[3];
  forged.replace(0, forged.find(','), "{\"seq\":5");
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'a' ? 'b' : 'a';
  std::vector<std::string> with = lines;
  with.push_back(forged);
  Put(with, /*last_newline=*/false);
  VerifyReport r = Check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_problem, "entry 5 (line 5): mac does not verify (modified, or forged without the key)");
  EXPECT_EQ(VerifyExitCode(r, false), kVerifyTampered);
  EXPECT_EQ(VerifyExitCode(r, true), kVerifyTampered);
  // Garbage, and a whole object that is no entry.
  for (const std::string& tail : {std::string("hello"), std::string("{\"seq\":5,\"time\":\"x\"}"),
                                  std::string("{\"seq\":9,\"time\":\"2026"), std::string("{}")}) {
    with = lines;
    with.push_back(tail);
    Put(with, /*last_newline=*/false);
    r = Check();
    EXPECT_FALSE(r.ok) << tail;
    EXPECT_EQ(VerifyExitCode(r, true), kVerifyTampered) << tail;
    EXPECT_NE(r.first_problem.find("line 5: "), std::string::npos) << tail << ": " << r.first_problem;
  }
  // The start of entry 5, cut: open (exit 3, --allow-open too).
  const std::string almost = "{\"seq\":5" + lines[3].substr(lines[3].find(','), lines[3].size() - 9);
  for (const std::string& tail : {std::string("{\"se"), std::string("{\"seq\":5,\"time\":\"2026-"), almost}) {
    with = lines;
    with.push_back(tail);
    Put(with, /*last_newline=*/false);
    r = Check();
    EXPECT_TRUE(r.ok) << tail << ": " << r.first_problem;
    EXPECT_TRUE(r.partial_last_line);
    EXPECT_EQ(VerifyExitCode(r, true), kVerifyOpen) << tail;
  }
  // An authentic last entry whose newline alone is missing: cut, open.
  Put(lines, /*last_newline=*/false);
  r = Check();
  EXPECT_TRUE(r.ok) << r.first_problem;
  EXPECT_EQ(r.first_problem, "line 4: partial last line (no newline): the file was cut within an entry");
  EXPECT_EQ(VerifyExitCode(r, true), kVerifyOpen);
}

// The anchor a writer reports when it closes the trail is its final
// checkpoint: its seq, and its chain member as the line records it.
TEST_F(TrailTest, TheFinalAnchorIsTheFinalCheckpointsSeqAndChain) {
  Write(3);
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(anchor_.seq, 4u);
  ASSERT_EQ(anchor_.chain.size(), 64u);
  EXPECT_NE(lines[3].find("\"chain\":\"" + anchor_.chain + "\",\"final\":true"), std::string::npos) << lines[3];
  EXPECT_EQ(AnchorText(anchor_), "seq=4 chain=" + anchor_.chain.substr(0, 16));
  auto parsed = ParseAnchor(AnchorText(anchor_));
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->seq, 4u);
  EXPECT_EQ(parsed->chain, anchor_.chain.substr(0, 16));
  parsed = ParseAnchor("seq=4,chain=" + anchor_.chain);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->chain, anchor_.chain);
  for (const std::string& bad :
       {std::string("seq=0,chain=") + anchor_.chain, "seq=4,chain=" + anchor_.chain.substr(0, 15),
        std::string("seq=4,chain=ABCDEF0123456789"), std::string("seq=4"), std::string("chain=0123456789abcdef"),
        std::string("seq=x,chain=0123456789abcdef"), "seq=4,chain=" + anchor_.chain + "0"})
    EXPECT_FALSE(ParseAnchor(bad).ok()) << bad;
}

// Found by review: a trail cut exactly after an earlier final checkpoint
// (every later run removed) verified as intact and complete from the file
// alone. With the last anchor a writer reported, it does not.
TEST_F(TrailTest, ACutAfterAnEarlierFinalCheckpointFailsTheExpectedAnchor) {
  Write(3);  // run 1: seq 1-3, final checkpoint 4
  const Anchor first = anchor_;
  const std::vector<std::string> run1 = Lines();
  Write(2);  // run 2: seq 5-6, final checkpoint 7
  const Anchor second = anchor_;
  ASSERT_EQ(second.seq, 7u);
  Anchor expect_second{.seq = second.seq, .chain = second.chain.substr(0, 16)};
  VerifyReport r = *Verify(path_, key_file_, &expect_second);
  EXPECT_TRUE(r.ok) << r.first_problem;
  EXPECT_EQ(VerifyExitCode(r, false), kVerifyIntact);
  EXPECT_NE(Summary(r).find("holds the expected checkpoint at seq 7"), std::string::npos) << Summary(r);

  Put(run1);  // run 2 cut away
  r = Check();
  EXPECT_TRUE(r.ok && r.complete) << "the file alone cannot tell";
  EXPECT_EQ(VerifyExitCode(r, false), kVerifyIntact);
  r = *Verify(path_, key_file_, &expect_second);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(VerifyExitCode(r, false), kVerifyTampered);
  EXPECT_EQ(VerifyExitCode(r, true), kVerifyTampered);
  EXPECT_EQ(r.first_problem, "the trail ends at seq 4, before the expected checkpoint (seq=7 chain=" +
                                 second.chain.substr(0, 16) + "): entries cut away (or the trail replaced)");
  // The earlier anchor still holds.
  Anchor expect_first{.seq = first.seq, .chain = first.chain.substr(0, 16)};
  r = *Verify(path_, key_file_, &expect_first);
  EXPECT_TRUE(r.ok) << r.first_problem;
  EXPECT_EQ(VerifyExitCode(r, false), kVerifyIntact);
  // A cut that removes everything.
  Put({});
  r = *Verify(path_, key_file_, &expect_first);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(VerifyExitCode(r, true), kVerifyTampered);
}

// A trail replaced by another (a new one written from nothing), or rewritten
// from the anchor on, holds no checkpoint with that chain at that seq.
TEST_F(TrailTest, AReplacedOrRewrittenTrailFailsTheExpectedAnchor) {
  Write(3);
  Anchor expect{.seq = anchor_.seq, .chain = anchor_.chain.substr(0, 16)};
  const std::vector<std::string> original = Lines();
  fs::remove(path_);
  {  // another trail: the same seqs, other entries, another chain
    auto t = FileTrail::Open({path_, key_file_, 1000});
    ASSERT_TRUE(t.ok()) << t.error().ToString();
    for (int i = 0; i < 3; ++i) {
      Event e{.type = EventType::kSchemaDrift, .fields = {}};
      e.Add("route", std::string("replaced")).Add("field", "f" + std::to_string(i)).Add("count", int64_t{i});
      ASSERT_TRUE((*t)->Append(e).ok());
    }
    ASSERT_TRUE((*t)->Close().ok());
  }
  ASSERT_NE(Lines()[0], original[0]);
  VerifyReport r = *Verify(path_, key_file_, &expect);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(VerifyExitCode(r, false), kVerifyTampered);
  EXPECT_EQ(r.first_problem,
            "entry 4 (line 4) is a checkpoint of another chain than the expected one: the expected "
            "checkpoint (seq=4 chain=" +
                expect.chain + ") is not in the trail (replaced, or rewritten)");
  // An anchor's seq that is no checkpoint here.
  expect.seq = 2;
  r = *Verify(path_, key_file_, &expect);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.first_problem.find("entry 2 (line 2) is a schema_drift entry, not the expected checkpoint"),
            std::string::npos)
      << r.first_problem;
}

}  // namespace
}  // namespace maskproxy::audit
