// file::ReadRegular: what loaders read, and what they refuse without blocking.
#include "common/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace maskproxy::file {
namespace {

namespace fs = std::filesystem;

class ReadRegularTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "file_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }
  std::string dir_;
};

TEST_F(ReadRegularTest, ReadsAWholeFileThroughASymlink) {
  std::string content(200000, 'x');
  content += "\n\xEC\xA3\xBC\0end";
  std::ofstream(Path("p.yaml"), std::ios::binary) << content;
  fs::create_symlink(Path("p.yaml"), Path("link.yaml"));
  for (const char* name : {"p.yaml", "link.yaml"}) {
    auto r = ReadRegular(Path(name), ErrorCode::kPolicyUnreadable);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(*r, content);
  }
  std::ofstream(Path("empty.yaml"));
  auto empty = ReadRegular(Path("empty.yaml"), ErrorCode::kPolicyUnreadable);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// A FIFO where a policy was would block a reader until a writer came: it is
// refused at once, as are directories and devices.
TEST_F(ReadRegularTest, RefusesAFifoADirectoryAndADeviceWithoutBlocking) {
  ASSERT_EQ(::mkfifo(Path("fifo").c_str(), 0600), 0);
  fs::create_directory(Path("dir"));
  for (const std::string& p : {Path("fifo"), Path("dir"), std::string("/dev/zero")}) {
    const auto start = std::chrono::steady_clock::now();
    auto r = ReadRegular(p, ErrorCode::kConfigUnreadable);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.error().code, ErrorCode::kConfigUnreadable);
    EXPECT_EQ(r.error().message, "not a regular file (a directory, FIFO, socket or device)") << p;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << p;
  }
}

TEST_F(ReadRegularTest, MissingAndTooLargeFilesAreErrors) {
  auto missing = ReadRegular(Path("none.yaml"), ErrorCode::kKeyringUnreadable);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kKeyringUnreadable);
  EXPECT_EQ(missing.error().message, "No such file or directory");
  std::ofstream(Path("big")) << std::string(1001, 'a');
  auto big = ReadRegular(Path("big"), ErrorCode::kIoError, 1000);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message, "larger than 1000 bytes");
  EXPECT_TRUE(ReadRegular(Path("big"), ErrorCode::kIoError, 1001).ok());
}

}  // namespace
}  // namespace maskproxy::file
