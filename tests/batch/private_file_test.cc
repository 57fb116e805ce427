// The quarantine file (raw records) is private whatever was there before.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "batch/batch.h"

namespace maskproxy::batch {
namespace {

class PrivateFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/maskproxy-private-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const char* f : {"/q.jsonl.partial", "/other", "/link"}) ::unlink((dir_ + f).c_str());
    ::rmdir(dir_.c_str());
  }
  static void Write(const std::string& path, const std::string& text, mode_t mode) {
    { std::ofstream(path, std::ios::binary | std::ios::trunc) << text; }
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static mode_t Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0);
    return st.st_mode;
  }
  std::string dir_;
};

TEST_F(PrivateFile, StalePartialWithMode0644EndsUp0600AndEmpty) {
  const std::string p = dir_ + "/q.jsonl.partial";
  Write(p, "stale raw line\n", 0644);
  // A reader that opened the stale file before must not see what follows.
  const int old_fd = ::open(p.c_str(), O_RDONLY);
  ASSERT_GE(old_fd, 0);
  ASSERT_TRUE(CreatePrivateFile(p).ok());
  EXPECT_EQ(Mode(p) & 07777, 0600u);
  EXPECT_TRUE(S_ISREG(Mode(p)));
  EXPECT_EQ(Read(p), "");
  { std::ofstream(p, std::ios::binary | std::ios::trunc) << "new raw line\n"; }
  EXPECT_EQ(Mode(p) & 07777, 0600u) << "reopening for writing changed the mode";
  char buf[64] = {};
  const ssize_t n = ::read(old_fd, buf, sizeof buf - 1);
  ::close(old_fd);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "stale raw line\n");
}

TEST_F(PrivateFile, ModeIs0600WhateverTheUmask) {
  const std::string p = dir_ + "/q.jsonl.partial";
  const mode_t old = ::umask(0277);  // would leave 0400
  const auto s = CreatePrivateFile(p);
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(Mode(p) & 07777, 0600u);
}

TEST_F(PrivateFile, ASymlinkIsReplacedNotFollowed) {
  const std::string target = dir_ + "/other", link = dir_ + "/link";
  Write(target, "someone else's file\n", 0644);
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  ASSERT_TRUE(CreatePrivateFile(link).ok());
  EXPECT_TRUE(S_ISREG(Mode(link)));
  EXPECT_EQ(Mode(link) & 07777, 0600u);
  EXPECT_EQ(Read(target), "someone else's file\n");
  EXPECT_EQ(Mode(target) & 07777, 0644u);
}

// The created file is written through its descriptor: a name replaced by a
// symbolic link after the exclusive create (a writer of the directory racing
// the run) does not receive what is written, and neither does its target.
TEST_F(PrivateFile, WritesGoToTheCreatedFileEvenIfItsNameIsSwappedForALink) {
  for (bool private_file : {true, false}) {
    const std::string p = dir_ + "/q.jsonl.partial", target = dir_ + "/other";
    Write(target, "someone else's file\n", 0644);
    auto f = private_file ? CreatePrivateFile(p) : CreateFreshFile(p);
    ASSERT_TRUE(f.ok()) << f.error().ToString();
    ASSERT_EQ(::unlink(p.c_str()), 0);
    ASSERT_EQ(::symlink(target.c_str(), p.c_str()), 0);
    { std::ofstream(f->WritePath(), std::ios::binary | std::ios::trunc) << "raw line\n"; }
    EXPECT_EQ(Read(target), "someone else's file\n") << "written through the swapped-in link";
    struct stat st {};
    ASSERT_EQ(::fstat(f->fd(), &st), 0);
    EXPECT_EQ(st.st_size, 9) << "the created file did not receive the write";
    if (private_file) {
      EXPECT_EQ(st.st_mode & 07777, 0600u);
    }
    ::unlink(p.c_str());
    ::unlink(target.c_str());
  }
}

}  // namespace
}  // namespace maskproxy::batch
