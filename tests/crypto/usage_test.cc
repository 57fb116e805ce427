// UsageLedger: counting, refusal at the limit, persistence, crash safety of
// leases, concurrency and the 50%/90% warnings.
#include "crypto/usage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace maskproxy::crypto {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "usage_test.XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p) path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  [[nodiscard]] std::string File(const std::string& name) const { return path_ + "/" + name; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(UsageLedger, InMemoryCountsPerKeyVersion) {
  auto ledger = UsageLedger::InMemory();
  EXPECT_EQ(ledger->Count("k", 1), 0u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ledger->Reserve("k", 1).ok());
  ASSERT_TRUE(ledger->Reserve("k", 2).ok());
  ASSERT_TRUE(ledger->Reserve("other", 1).ok());
  EXPECT_EQ(ledger->Count("k", 1), 5u);
  EXPECT_EQ(ledger->Count("k", 2), 1u);
  EXPECT_EQ(ledger->Count("other", 1), 1u);
  EXPECT_EQ(ledger->Count("nope", 1), 0u);
  EXPECT_EQ(ledger->limit(), uint64_t{1} << 32);
  EXPECT_TRUE(ledger->path().empty());
}

TEST(UsageLedger, HandleSharesTheCountWithNamedReserve) {
  auto ledger = UsageLedger::InMemory(/*limit=*/6, /*block=*/2);
  UsageLedger::Slot* h = ledger->Handle("k", 1);
  EXPECT_EQ(h, ledger->Handle("k", 1));
  EXPECT_NE(h, ledger->Handle("k", 2));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ledger->Reserve(h).ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(ledger->Reserve("k", 1).ok());
  EXPECT_EQ(ledger->Count("k", 1), 5u);
  EXPECT_EQ(ledger->Reserve(h).error().code, ErrorCode::kKeyExhausted);
}

TEST(UsageLedger, RefusesBeforeTheCountReachesTheLimit) {
  auto ledger = UsageLedger::InMemory(/*limit=*/10, /*block=*/3);
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(ledger->Reserve("card", 1).ok()) << i;
  Status s = ledger->Reserve("card", 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kKeyExhausted);
  EXPECT_NE(s.error().message.find("maskproxy keys rotate card"), std::string::npos) << s.error().message;
  EXPECT_EQ(ledger->Count("card", 1), 9u);
  // Still refused; other versions are independent.
  EXPECT_FALSE(ledger->Reserve("card", 1).ok());
  EXPECT_TRUE(ledger->Reserve("card", 2).ok());
}

TEST(UsageLedger, ProcessDefaultIsShared) {
  UsageLedger& a = UsageLedger::ProcessDefault();
  UsageLedger& b = UsageLedger::ProcessDefault();
  EXPECT_EQ(&a, &b);
  uint64_t before = a.Count("usage-test-default", 1);
  ASSERT_TRUE(a.Reserve("usage-test-default", 1).ok());
  EXPECT_EQ(b.Count("usage-test-default", 1), before + 1);
}

TEST(UsageLedger, LeaseIsPersistedBeforeUseWithMode0600) {
  TempDir dir;
  const std::string path = dir.File("usage.state");
  auto ledger = UsageLedger::Open(path, 1000, 100);
  ASSERT_TRUE(ledger.ok()) << ledger.error().ToString();
  EXPECT_EQ(ReadFile(path), "maskproxy-usage v1\n");  // written at open
  ASSERT_TRUE((*ledger)->Reserve("k", 1).ok());
  EXPECT_EQ(ReadFile(path), "maskproxy-usage v1\nk 1 100\n");
  EXPECT_EQ((*ledger)->Leased("k", 1), 100u);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*ledger)->Reserve("k", 1).ok());
  EXPECT_EQ(ReadFile(path), "maskproxy-usage v1\nk 1 200\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(UsageLedger, PersistsAcrossReopenWithoutReusingCounts) {
  TempDir dir;
  const std::string path = dir.File("usage.state");
  {
    auto ledger = UsageLedger::Open(path, 1000, 100);
    ASSERT_TRUE(ledger.ok()) << ledger.error().ToString();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*ledger)->Reserve("k", 1).ok());
    ASSERT_TRUE((*ledger)->Reserve("k", 2).ok());
    EXPECT_EQ((*ledger)->Count("k", 1), 5u);
  }
  auto ledger = UsageLedger::Open(path, 1000, 100);
  ASSERT_TRUE(ledger.ok()) << ledger.error().ToString();
  // The whole lease counts as used: the unused 95 are skipped, never reused.
  EXPECT_EQ((*ledger)->Count("k", 1), 100u);
  EXPECT_EQ((*ledger)->Count("k", 2), 100u);
  ASSERT_TRUE((*ledger)->Reserve("k", 1).ok());
  EXPECT_EQ((*ledger)->Count("k", 1), 101u);
  EXPECT_EQ((*ledger)->Leased("k", 1), 200u);
  EXPECT_EQ(ReadFile(path), "maskproxy-usage v1\nk 1 200\nk 2 100\n");
}

TEST(UsageLedger, CrashNeverReusesLeasedCounts) {
  TempDir dir;
  const std::string path = dir.File("usage.state");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: use part of a second lease, then die without any cleanup.
    auto ledger = UsageLedger::Open(path, 1000, 100);
    if (!ledger.ok()) ::_exit(2);
    for (int i = 0; i < 150; ++i)
      if (!(*ledger)->Reserve("k", 1).ok()) ::_exit(3);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto ledger = UsageLedger::Open(path, 1000, 100);  // the flock died with the child
  ASSERT_TRUE(ledger.ok()) << ledger.error().ToString();
  EXPECT_GE((*ledger)->Count("k", 1), 150u);
  ASSERT_TRUE((*ledger)->Reserve("k", 1).ok());
  EXPECT_EQ((*ledger)->Count("k", 1), 201u);
}

TEST(UsageLedger, ExhaustionSurvivesReopen) {
  TempDir dir;
  const std::string path = dir.File("usage.state");
  {
    auto ledger = UsageLedger::Open(path, 10, 4);
    ASSERT_TRUE(ledger.ok());
    int ok = 0;
    while ((*ledger)->Reserve("k", 1).ok()) ++ok;
    EXPECT_EQ(ok, 9);
  }
  auto ledger = UsageLedger::Open(path, 10, 4);
  ASSERT_TRUE(ledger.ok());
  Status s = (*ledger)->Reserve("k", 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kKeyExhausted);
}

TEST(UsageLedger, SecondOpenOfTheSameFileIsRefused) {
  TempDir dir;
  const std::string path = dir.File("usage.state");
  auto a = UsageLedger::Open(path);
  ASSERT_TRUE(a.ok());
  auto b = UsageLedger::Open(path);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::kUsageLedgerLocked);
  a->reset();
  EXPECT_TRUE(UsageLedger::Open(path).ok());
}

TEST(UsageLedger, CorruptStateFileIsRefused) {
  TempDir dir;
  const std::string path = dir.File("usage.state");
  for (const char* content :
       {"", "garbage\n", "maskproxy-usage v2\n", "maskproxy-usage v1\nk 1\n", "maskproxy-usage v1\nk one 5\n",
        "maskproxy-usage v1\nk 1 -5\n", "maskproxy-usage v1\nk 1 5 extra\n", "maskproxy-usage v1\nk.x 1 5\n",
        "maskproxy-usage v1\nk 1 5\nk 1 6\n", "maskproxy-usage v1\nk 1 99999999999999999999999\n"}) {
    {
      std::ofstream out(path, std::ios::trunc);
      out << content;
    }
    auto ledger = UsageLedger::Open(path);
    ASSERT_FALSE(ledger.ok()) << content;
    EXPECT_EQ(ledger.error().code, ErrorCode::kUsageLedgerCorrupt) << content;
  }
}

TEST(UsageLedger, InvalidArguments) {
  TempDir dir;
  EXPECT_EQ(UsageLedger::Open("").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(UsageLedger::Open(dir.File("a"), 1, 1).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(UsageLedger::Open(dir.File("a"), 10, 0).error().code, ErrorCode::kInvalidArgument);
  auto missing_dir = UsageLedger::Open(dir.File("no/such/dir/usage.state"));
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_EQ(missing_dir.error().code, ErrorCode::kUsageLedgerIo);
}

TEST(UsageLedger, LeaseThatCannotBePersistedFailsTheReservation) {
  TempDir dir;
  const std::string sub = dir.File("sub");
  fs::create_directory(sub);
  auto ledger = UsageLedger::Open(sub + "/usage.state", 1000, 10);
  ASSERT_TRUE(ledger.ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*ledger)->Reserve("k", 1).ok());
  fs::remove_all(sub);
  Status s = (*ledger)->Reserve("k", 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUsageLedgerIo);
  EXPECT_EQ((*ledger)->Count("k", 1), 10u);
  // Nothing was handed out from the lease that was not written.
  EXPECT_FALSE((*ledger)->Reserve("k", 1).ok());
}

TEST(UsageLedger, ConcurrentReservationsAreCountedExactly) {
  TempDir dir;
  const std::string path = dir.File("usage.state");
  auto ledger = UsageLedger::Open(path, uint64_t{1} << 32, 500);
  ASSERT_TRUE(ledger.ok());
  constexpr int kThreads = 4, kEach = 5000;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i)
        if (!(*ledger)->Reserve(t % 2 ? "a" : "b", 1).ok()) failures.fetch_add(1);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ((*ledger)->Count("a", 1), uint64_t{kThreads / 2 * kEach});
  EXPECT_EQ((*ledger)->Count("b", 1), uint64_t{kThreads / 2 * kEach});
  EXPECT_GE((*ledger)->Leased("a", 1), (*ledger)->Count("a", 1));
  EXPECT_LT((*ledger)->Leased("a", 1), (*ledger)->Count("a", 1) + 500);
  EXPECT_NE(ReadFile(path).find("a 1 " + std::to_string((*ledger)->Leased("a", 1)) + "\n"), std::string::npos);
}

TEST(UsageLedger, ConcurrentReservationsNeverPassTheLimit) {
  auto ledger = UsageLedger::InMemory(/*limit=*/1001, /*block=*/7);
  constexpr int kThreads = 4;
  std::atomic<int> granted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 400; ++i) {
        Status s = ledger->Reserve("k", 1);
        if (s.ok())
          granted.fetch_add(1);
        else if (s.error().code == ErrorCode::kKeyExhausted)
          refused.fetch_add(1);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(granted.load(), 1000);
  EXPECT_EQ(refused.load(), 600);
  EXPECT_EQ(ledger->Count("k", 1), 1000u);
}

TEST(UsageLedger, WarnsOnceAtHalfAndNinetyPercent) {
  auto ledger = UsageLedger::InMemory(/*limit=*/100, /*block=*/7);
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 99; ++i) ASSERT_TRUE(ledger->Reserve("pay", 3).ok());
  std::string err = ::testing::internal::GetCapturedStderr();
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t p = err.find(needle); p != std::string::npos; p = err.find(needle, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("key_usage_high"), 2u) << err;
  EXPECT_EQ(count("percent=50"), 1u) << err;
  EXPECT_EQ(count("percent=90"), 1u) << err;
  EXPECT_NE(err.find("maskproxy keys rotate pay"), std::string::npos) << err;
}

}  // namespace
}  // namespace maskproxy::crypto
