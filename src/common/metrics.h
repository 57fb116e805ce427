// Metrics primitives and their Prometheus text exposition.
//
// Counters, gauges and histograms (fixed buckets), grouped in families that
// are declared once with their name, help text and label names. A family
// holds a bounded number of series: past its cap, a new label set gets the
// family's one overflow series (every label "other") and is counted in
// maskproxy_metrics_series_dropped_total{family}.
//
// Label values must be safe (route names, rule paths, topic names, reason
// codes, detector names), never record content; they are escaped for the
// exposition format (and bytes that are not UTF-8 become '?').
//
// The record path stays lock-free: look a series up once (With(), under the
// registry's lock) and keep the pointer; Inc()/Set()/Observe() are relaxed
// atomics. Series pointers stay valid for the registry's lifetime, except
// those a family's Remove()/Clear() drops.
//
// Render() produces the text format that `promtool check metrics` accepts:
// one `# HELP`/`# TYPE` per family, families sorted by name.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
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

class Gauge {
 public:
  void Set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { v_.fetch_add(d, std::memory_order_relaxed); }
  [[nodiscard]] int64_t Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Fixed buckets (upper bounds, ascending; +Inf implied). Observe() finds the
// bucket by a short linear scan and adds to it, the count and the sum.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count of bucket i (i == bounds().size(): above the last).
  [[nodiscard]] uint64_t BucketCount(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  [[nodiscard]] double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Type { kCounter, kGauge, kHistogram };

inline constexpr size_t kDefaultMaxSeries = 1000;
inline constexpr char kOverflowLabel[] = "other";

class Registry;

// A family: one name, one type, fixed label names, at most max_series series.
class Family {
 public:
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] Type type() const { return type_; }
  [[nodiscard]] const std::vector<std::string>& label_names() const { return label_names_; }

  // The series of these label values (one per label name, in order); created
  // on first use. Past the cap: the overflow series. A wrong number of
  // values also gets the overflow series (a programming error, not a crash).
  // Locks the registry: look up once, keep the pointer.
  [[nodiscard]] Counter* CounterWith(const std::vector<std::string_view>& values);
  [[nodiscard]] Gauge* GaugeWith(const std::vector<std::string_view>& values);
  [[nodiscard]] Histogram* HistogramWith(const std::vector<std::string_view>& values);

  // Drops one series / every series (their pointers become invalid): for
  // gauges of things that went away (a revoked partition, a replaced policy).
  void Remove(const std::vector<std::string_view>& values);
  void Clear();
  [[nodiscard]] size_t SeriesCount() const;

 private:
  friend class Registry;
  struct Series {
    Counter counter;
    Gauge gauge;
    std::unique_ptr<Histogram> histogram;
  };
  Family(Registry* registry, std::string name, std::string help, Type type, std::vector<std::string> label_names,
         size_t max_series, std::vector<double> bounds);
  Series* Get(const std::vector<std::string_view>& values);
  Series* GetRendered(const std::string& rendered);  // legacy GetCounter
  Series* Make(const std::string& rendered);
  void Render(std::string* out) const;

  Registry* registry_;
  std::string name_;
  std::string help_;
  Type type_;
  std::vector<std::string> label_names_;
  size_t max_series_;
  std::vector<double> bounds_;
  std::map<std::string, std::unique_ptr<Series>> series_;  // rendered labels -> series
};

class Registry {
 public:
  Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Declares a family (or returns the one declared before under that name;
  // the first declaration's help, labels, cap and buckets stand). A name
  // declared before with another type gets a detached family that is never
  // rendered (a programming error, visible in tests).
  Family& Counters(const std::string& name, const std::string& help, std::vector<std::string> label_names = {},
                   size_t max_series = kDefaultMaxSeries);
  Family& Gauges(const std::string& name, const std::string& help, std::vector<std::string> label_names = {},
                 size_t max_series = kDefaultMaxSeries);
  Family& Histograms(const std::string& name, const std::string& help, std::vector<double> bounds,
                     std::vector<std::string> label_names = {}, size_t max_series = kDefaultMaxSeries);

  // A counter by name and labels in one call (the family is declared with
  // these label names on first use). Returns a stable pointer; the same
  // name+labels always gives the same counter.
  Counter* GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});

  [[nodiscard]] std::string Render() const;
  // Sum of all series of a counter family (for summaries and tests).
  [[nodiscard]] uint64_t Total(const std::string& name) const;
  // The value of one counter or gauge series; 0 if absent (tests).
  [[nodiscard]] int64_t Value(const std::string& name, const Labels& labels = {}) const;

 private:
  friend class Family;
  Family& Declare(const std::string& name, const std::string& help, Type type, std::vector<std::string> label_names,
                  size_t max_series, std::vector<double> bounds);
  void NoteDropped(const std::string& family);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_;
  std::vector<std::unique_ptr<Family>> detached_;
};

Registry& Global();

// Latency buckets in seconds, 5 µs .. 1 s (record processing times).
[[nodiscard]] std::vector<double> LatencyBuckets();

// Process-wide families declared once here, so that every component uses the
// same names:
// maskproxy_reloads_total{result="ok|rejected|unchanged"}: the reload coordinator (app/reload.cc) counts
// each reload attempt (HTTP, SIGHUP, inotify).
[[nodiscard]] Counter& Reloads(std::string_view result);
// maskproxy_policy_files_rejected 0|1: the reload coordinator sets it to 1 on
// a rejected reload and to 0 on one that succeeds (the files on disk are not
// what runs while it is 1).
[[nodiscard]] Gauge& PolicyFilesRejected();
// maskproxy_build_info{version,librdkafka,...} 1 (set once at start).
void SetBuildInfo(const Labels& labels);

}  // namespace maskproxy::metrics
