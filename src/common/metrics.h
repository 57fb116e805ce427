// Metrics primitives: named monotonic counters with optional labels.
//
// Label values must be safe (topic names, reason codes, rule paths), never
// record content. Counters are registered once and then incremented lock-free
// on the record path. Render() produces Prometheus text exposition format.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace maskproxy::metrics {

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry {
 public:
  // Returns a stable pointer; the same name+labels always gives the same counter.
  Counter* GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  [[nodiscard]] std::string Render() const;
  // Sum of all label variants of a counter name (for summaries and tests).
  [[nodiscard]] uint64_t Total(const std::string& name) const;

 private:
  struct Family {
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> series;  // rendered labels -> counter
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

Registry& Global();

}  // namespace maskproxy::metrics
