#include "pipeline/workers.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

#include "pipeline/pipeline.h"

namespace maskproxy::pipeline {

int WorkersFrom(int affinity, const std::string& cpu_max, int cap) {
  int n = affinity > 0 ? affinity : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // cgroup v2: "QUOTA PERIOD" (microseconds) or "max PERIOD".
  std::istringstream in(cpu_max);
  std::string quota, period;
  if (in >> quota >> period && quota != "max") {
    long long q = 0, p = 0;
    auto [qe, qerr] = std::from_chars(quota.data(), quota.data() + quota.size(), q);
    auto [pe, perr] = std::from_chars(period.data(), period.data() + period.size(), p);
    if (qerr == std::errc() && perr == std::errc() && q > 0 && p > 0)
      n = std::min<long long>(n, (q + p - 1) / p);  // rounded up: 1.5 CPUs -> 2 threads
  }
  return std::clamp(n, 1, std::max(1, cap));
}

int DefaultWorkers(int cap) {
  int affinity = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) affinity = CPU_COUNT(&set);
  std::string cpu_max;
  if (std::ifstream f("/sys/fs/cgroup/cpu.max"); f) std::getline(f, cpu_max);
  return WorkersFrom(affinity, cpu_max, cap);
}

MaskWorkers::MaskWorkers(int n) {
  for (int i = 1; i < n; ++i) threads_.emplace_back([this] { Loop(); });
}

MaskWorkers::~MaskWorkers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

// Takes indexes until none is left (the lock is held only to take one).
void MaskWorkers::Work(const std::function<void(size_t)>& fn, size_t count) {
  for (;;) {
    size_t i;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (next_ >= count) return;
      i = next_++;
    }
    fn(i);
  }
}

void MaskWorkers::Run(size_t count, const std::function<void(size_t)>& fn) {
  if (threads_.empty() || count <= 1) {
    for (size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    count_ = count;
    next_ = 0;
    ++generation_;
  }
  start_cv_.notify_all();
  Work(fn, count);
  std::unique_lock<std::mutex> lock(mu_);
  // Every index is taken; wait for the calls still running on workers.
  done_cv_.wait(lock, [this] { return busy_ == 0; });
  fn_ = nullptr;
}

void MaskWorkers::Loop() {
  size_t seen = 0;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    if (!fn_ || next_ >= count_) continue;  // the batch was done without this worker
    const std::function<void(size_t)>* fn = fn_;
    const size_t count = count_;
    ++busy_;
    lock.unlock();
    Work(*fn, count);
    lock.lock();
    if (--busy_ == 0) done_cv_.notify_all();
  }
}

}  // namespace maskproxy::pipeline
