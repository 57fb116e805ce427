#include "app/exit_deadline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace maskproxy::app {
namespace {

using std::chrono::milliseconds;

// Each case runs in a child process (death test): the deadline is
// process-wide and ends the process.

TEST(ExitDeadline, AHungProcessEndsWithItsCodeAndSaysWhere) {
  EXPECT_EXIT(
      {
        ArmExitDeadline(milliseconds(100), 1);
        NoteExitStep("kafka_clients");
        std::this_thread::sleep_for(std::chrono::seconds(30));  // the hang
        std::exit(0);
      },
      testing::ExitedWithCode(1), "exit_deadline_passed.*step=kafka_clients.*deadline_ms=100.*exit_code=1");
}

TEST(ExitDeadline, AProcessThatEndsInTimeKeepsItsOwnExit) {
  EXPECT_EXIT(
      {
        ArmExitDeadline(milliseconds(2000), 1);
        std::exit(3);
      },
      testing::ExitedWithCode(3), testing::Not(testing::HasSubstr("exit_deadline_passed")));
}

TEST(ExitDeadline, ALaterArmNeitherExtendsTheDeadlineNorLowersTheCode) {
  // Armed by a fatal error (code 1), then again when Run() returns with
  // a longer deadline and code 0: the first deadline and the failure hold.
  EXPECT_EXIT(
      {
        ArmExitDeadline(milliseconds(100), 1);
        ArmExitDeadline(milliseconds(60000), 0);
        std::this_thread::sleep_for(std::chrono::seconds(30));
        std::exit(0);
      },
      testing::ExitedWithCode(1), "exit_deadline_passed");
}

TEST(ExitDeadline, AFailureAfterACleanStopEndsWithTheFailure) {
  EXPECT_EXIT(
      {
        ArmExitDeadline(milliseconds(100), 0);
        ArmExitDeadline(milliseconds(100), 1);
        std::this_thread::sleep_for(std::chrono::seconds(30));
        std::exit(0);
      },
      testing::ExitedWithCode(1), "exit_code=1");
}

TEST(ExitDeadline, ACleanStopThatHangsEndsWithZero) {
  EXPECT_EXIT(
      {
        ArmExitDeadline(milliseconds(100), 0);
        NoteExitStep("reload_triggers");
        std::this_thread::sleep_for(std::chrono::seconds(30));
        std::exit(2);
      },
      testing::ExitedWithCode(0), "step=reload_triggers");
}

}  // namespace
}  // namespace maskproxy::app
