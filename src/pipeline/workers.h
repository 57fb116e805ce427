// Masking in parallel: a fixed pool of worker threads that runs one batch
// of independent items (the engine calls of one consumed batch) at a time,
// the calling thread working too. Nothing else runs on the workers: the
// main loop consumes, produces, commits and swaps engines on its own
// thread, before and after each batch, so per-partition order, transaction
// boundaries and backpressure stay where they were (pipeline.cc). Internal
// to src/pipeline.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace maskproxy::pipeline {

class MaskWorkers {
 public:
  // n threads in all, the caller included (n - 1 are started); n <= 1: the
  // caller alone, nothing started.
  explicit MaskWorkers(int n);
  ~MaskWorkers();
  MaskWorkers(const MaskWorkers&) = delete;
  MaskWorkers& operator=(const MaskWorkers&) = delete;

  [[nodiscard]] int size() const { return static_cast<int>(threads_.size()) + 1; }

  // Calls fn(i) once for each i in [0, count), spread over the threads, and
  // returns when every call has returned. fn must not throw and must be
  // safe to call concurrently for different i. Not reentrant: one caller.
  void Run(size_t count, const std::function<void(size_t)>& fn);

 private:
  void Work(const std::function<void(size_t)>& fn, size_t count);
  void Loop();

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  // Guarded by mu_.
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t count_ = 0;
  size_t next_ = 0;        // the next index to take
  size_t generation_ = 0;  // one per Run()
  int busy_ = 0;           // workers inside the current Run()
  bool stop_ = false;
};

}  // namespace maskproxy::pipeline
