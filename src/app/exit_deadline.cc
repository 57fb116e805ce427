#include "app/exit_deadline.h"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>

#include "common/log.h"

namespace maskproxy::app {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kNotArmed = std::numeric_limits<int64_t>::max();

// Lock-free atomics (a signal handler arms), trivially destructible (the
// watch thread may outlive static destruction).
std::atomic<bool> g_started{false};
std::atomic<int64_t> g_deadline_ns{kNotArmed};  // steady clock, since its epoch
std::atomic<int64_t> g_armed_at_ns{0};          // of the earliest deadline
std::atomic<int> g_exit_code{0};
std::atomic<const char*> g_step{"stopping"};
static_assert(std::atomic<int64_t>::is_always_lock_free && std::atomic<int>::is_always_lock_free &&
              std::atomic<const char*>::is_always_lock_free);

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

}  // namespace

void StartExitWatch() {
  if (g_started.exchange(true)) return;
  std::thread([] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const int64_t deadline = g_deadline_ns.load();
      if (deadline == kNotArmed || NowNs() < deadline) continue;
      const int64_t waited_ms = (NowNs() - g_armed_at_ns.load()) / 1000000;
      log::Error("exit_deadline_passed",
                 {{"step", g_step.load()},
                  {"waited_ms", std::to_string(waited_ms)},
                  {"exit_code", std::to_string(g_exit_code.load())},
                  {"detail",
                   "the process did not end within its deadline after it began to stop; it ends now without the "
                   "rest of its teardown (what was not committed is read again by the group)"}});
      std::fflush(stderr);
      _exit(g_exit_code.load());
    }
  }).detach();
}

void ArmExitDeadline(std::chrono::milliseconds after, int exit_code) {
  g_exit_code.store(exit_code);
  const int64_t now = NowNs();
  const int64_t want = now + std::chrono::duration_cast<std::chrono::nanoseconds>(after).count();
  int64_t cur = g_deadline_ns.load();
  while (want < cur)
    if (g_deadline_ns.compare_exchange_weak(cur, want)) {
      g_armed_at_ns.store(now);
      break;
    }
}

void NoteExitStep(const char* step) {
  g_step.store(step);
}

}  // namespace maskproxy::app
