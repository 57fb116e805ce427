#include "app/exit_deadline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

namespace maskproxy::app {
namespace {

using std::chrono::milliseconds;

// Each case runs in a child process (death test): the deadline is
// process-wide and ends the process.

void Hang() {
  std::this_thread::sleep_for(std::chrono::seconds(20));
}

TEST(ExitDeadline, AHungProcessEndsWithItsCodeAndSaysWhere) {
  EXPECT_EXIT(
      {
        StartExitWatch();
        ArmExitDeadline(milliseconds(100), 1);
        NoteExitStep("kafka_clients");
        Hang();
        std::exit(0);
      },
      testing::ExitedWithCode(1), "exit_deadline_passed.*step=kafka_clients.*exit_code=1");
}

TEST(ExitDeadline, NothingHappensUntilArmedOrWhenTheProcessEndsInTime) {
  EXPECT_EXIT(
      {
        StartExitWatch();
        std::this_thread::sleep_for(milliseconds(400));  // the watch looks four times: not armed
        ArmExitDeadline(milliseconds(5000), 1);
        std::exit(3);
      },
      testing::ExitedWithCode(3), testing::Not(testing::HasSubstr("exit_deadline_passed")));
}

TEST(ExitDeadline, TheEarliestDeadlineHolds) {
  // A fatal error arms 100 ms; Run() returning arms a longer one.
  EXPECT_EXIT(
      {
        StartExitWatch();
        ArmExitDeadline(milliseconds(100), 1);
        ArmExitDeadline(milliseconds(60000), 1);
        Hang();
        std::exit(0);
      },
      testing::ExitedWithCode(1), "exit_deadline_passed");
}

TEST(ExitDeadline, TheLatestCodeHolds) {
  // SIGTERM arms a failure (the drain may not finish); Run() then returns
  // from a clean drain and the teardown hangs: it ends with 0.
  EXPECT_EXIT(
      {
        StartExitWatch();
        ArmExitDeadline(milliseconds(60000), 1);
        ArmExitDeadline(milliseconds(100), 0);
        NoteExitStep("reload_triggers");
        Hang();
        std::exit(2);
      },
      testing::ExitedWithCode(0), "step=reload_triggers.*exit_code=0");
}

extern "C" void ArmFromSignal(int) {
  ArmExitDeadline(milliseconds(100), 7);
}

TEST(ExitDeadline, ASignalHandlerMayArmIt) {
  EXPECT_EXIT(
      {
        StartExitWatch();
        std::signal(SIGUSR1, ArmFromSignal);
        std::raise(SIGUSR1);
        Hang();
        std::exit(0);
      },
      testing::ExitedWithCode(7), "exit_deadline_passed");
}

}  // namespace
}  // namespace maskproxy::app
