#include "app/exit_deadline.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include "common/log.h"

namespace maskproxy::app {
namespace {

// Trivially destructible: the watch thread may outlive static destruction.
std::atomic<bool> g_armed{false};
std::atomic<int> g_exit_code{0};
std::atomic<const char*> g_step{"stopping"};

}  // namespace

void ArmExitDeadline(std::chrono::milliseconds after, int exit_code) {
  if (exit_code != 0) g_exit_code.store(exit_code);
  if (g_armed.exchange(true)) return;
  const auto deadline = std::chrono::steady_clock::now() + after;
  std::thread([deadline, after] {
    // sleep_until may wake early (a signal): sleep again until the deadline.
    while (std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_until(deadline);
    log::Error("exit_deadline_passed",
               {{"step", g_step.load()},
                {"deadline_ms", std::to_string(after.count())},
                {"exit_code", std::to_string(g_exit_code.load())},
                {"detail",
                 "the process did not end within the deadline after the pipeline stopped; it ends now without "
                 "the rest of its teardown (what was not committed is read again by the group)"}});
    std::fflush(stderr);
    _exit(g_exit_code.load());
  }).detach();
}

void NoteExitStep(const char* step) {
  g_step.store(step);
}

}  // namespace maskproxy::app
