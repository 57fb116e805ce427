#include "common/metrics.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/unicode.h"

namespace maskproxy::metrics {
namespace {

constexpr char kDroppedFamily[] = "maskproxy_metrics_series_dropped_total";

// A label value in the exposition format: \, " and newline escaped, bytes
// that are not UTF-8 replaced by '?' (promtool refuses them).
void AppendLabelValue(std::string_view v, std::string* out) {
  for (size_t i = 0; i < v.size();) {
    const char c = v[i];
    if (c == '\\' || c == '"') {
      out->push_back('\\');
      out->push_back(c);
      ++i;
    } else if (c == '\n') {
      out->append("\\n");
      ++i;
    } else if (static_cast<unsigned char>(c) < 0x80) {
      out->push_back(c);
      ++i;
    } else {
      uint32_t cp = 0;
      const size_t n = unicode::DecodeUtf8(v, i, &cp);
      if (n == 0) {
        out->push_back('?');
        ++i;
      } else {
        out->append(v.substr(i, n));
        i += n;
      }
    }
  }
}

// HELP text: \ and newline escaped.
std::string EscapeHelp(std::string_view h) {
  std::string out;
  for (char c : h) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// name="value",... without braces.
std::string RenderInner(const std::vector<std::string>& names, const std::vector<std::string_view>& values) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i];
    out += "=\"";
    AppendLabelValue(values[i], &out);
    out += '"';
  }
  return out;
}

std::string FormatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Shortest form that reads back the same.
  for (int prec = 1; prec < 17; ++prec) {
    char shorter[64];
    std::snprintf(shorter, sizeof shorter, "%.*g", prec, v);
    if (std::strtod(shorter, nullptr) == v) return shorter;
  }
  return buf;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Family::Family(Registry* registry, std::string name, std::string help, Type type, std::vector<std::string> label_names,
               size_t max_series, std::vector<double> bounds)
    : registry_(registry),
      name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      max_series_(max_series),
      bounds_(std::move(bounds)) {}

Family::Series* Family::Make(const std::string& rendered) {
  auto s = std::make_unique<Series>();
  if (type_ == Type::kHistogram) s->histogram = std::make_unique<metrics::Histogram>(bounds_);
  Series* p = s.get();
  series_.emplace(rendered, std::move(s));
  return p;
}

Family::Series* Family::GetRendered(const std::string& rendered) {
  auto it = series_.find(rendered);
  if (it != series_.end()) return it->second.get();
  return Make(rendered);
}

// Called with the registry's lock held.
Family::Series* Family::Get(const std::vector<std::string_view>& values) {
  std::vector<std::string_view> overflow(label_names_.size(), kOverflowLabel);
  const bool arity_ok = values.size() == label_names_.size();
  const std::string rendered = RenderInner(label_names_, arity_ok ? values : overflow);
  auto it = series_.find(rendered);
  if (it != series_.end()) return it->second.get();
  if (arity_ok && series_.size() < max_series_) return Make(rendered);
  // Past the cap (the overflow series itself does not count against it).
  if (registry_) registry_->NoteDropped(name_);
  return GetRendered(RenderInner(label_names_, overflow));
}

Counter* Family::CounterWith(const std::vector<std::string_view>& values) {
  std::lock_guard<std::mutex> lock(registry_->mu_);
  return &Get(values)->counter;
}

Gauge* Family::GaugeWith(const std::vector<std::string_view>& values) {
  std::lock_guard<std::mutex> lock(registry_->mu_);
  return &Get(values)->gauge;
}

Histogram* Family::HistogramWith(const std::vector<std::string_view>& values) {
  std::lock_guard<std::mutex> lock(registry_->mu_);
  Series* s = Get(values);
  if (!s->histogram) s->histogram = std::make_unique<metrics::Histogram>(bounds_);  // a family of another type
  return s->histogram.get();
}

void Family::Remove(const std::vector<std::string_view>& values) {
  std::lock_guard<std::mutex> lock(registry_->mu_);
  if (values.size() != label_names_.size()) return;
  series_.erase(RenderInner(label_names_, values));
}

void Family::Clear() {
  std::lock_guard<std::mutex> lock(registry_->mu_);
  series_.clear();
}

size_t Family::SeriesCount() const {
  std::lock_guard<std::mutex> lock(registry_->mu_);
  return series_.size();
}

void Family::Render(std::string* out) const {
  out->append("# HELP ").append(name_).append(" ").append(EscapeHelp(help_)).append("\n# TYPE ").append(name_);
  out->append(type_ == Type::kCounter ? " counter\n" : type_ == Type::kGauge ? " gauge\n" : " histogram\n");
  for (const auto& [inner, s] : series_) {
    const std::string braces = inner.empty() ? "" : "{" + inner + "}";
    switch (type_) {
      case Type::kCounter:
        out->append(name_).append(braces).append(" ").append(std::to_string(s->counter.Value())).append("\n");
        break;
      case Type::kGauge:
        out->append(name_).append(braces).append(" ").append(std::to_string(s->gauge.Value())).append("\n");
        break;
      case Type::kHistogram: {
        const metrics::Histogram& h = *s->histogram;
        const std::string sep = inner.empty() ? "" : ",";
        uint64_t cumulative = 0;
        for (size_t i = 0; i <= h.bounds().size(); ++i) {
          cumulative += h.BucketCount(i);
          const std::string le = i < h.bounds().size() ? FormatDouble(h.bounds()[i]) : "+Inf";
          out->append(name_).append("_bucket{").append(inner).append(sep).append("le=\"").append(le).append("\"} ");
          out->append(std::to_string(cumulative)).append("\n");
        }
        // The count is the +Inf bucket's (read once, so they agree).
        out->append(name_).append("_sum").append(braces).append(" ").append(FormatDouble(h.Sum())).append("\n");
        out->append(name_).append("_count").append(braces).append(" ").append(std::to_string(cumulative));
        out->append("\n");
        break;
      }
    }
  }
}

Registry::Registry() {
  Declare(kDroppedFamily,
          "Label sets refused because their family reached its series cap (counted in its 'other' series)",
          Type::kCounter, {"family"}, kDefaultMaxSeries, {});
}

Family& Registry::Declare(const std::string& name, const std::string& help, Type type,
                          std::vector<std::string> label_names, size_t max_series, std::vector<double> bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second->type() == type) return *it->second;
    detached_.push_back(std::unique_ptr<Family>(
        new Family(this, name, help, type, std::move(label_names), max_series, std::move(bounds))));
    return *detached_.back();
  }
  auto f = std::unique_ptr<Family>(
      new Family(this, name, help, type, std::move(label_names), max_series, std::move(bounds)));
  return *families_.emplace(name, std::move(f)).first->second;
}

Family& Registry::Counters(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                           size_t max_series) {
  return Declare(name, help, Type::kCounter, std::move(label_names), max_series, {});
}

Family& Registry::Gauges(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                         size_t max_series) {
  return Declare(name, help, Type::kGauge, std::move(label_names), max_series, {});
}

Family& Registry::Histograms(const std::string& name, const std::string& help, std::vector<double> bounds,
                             std::vector<std::string> label_names, size_t max_series) {
  std::sort(bounds.begin(), bounds.end());
  return Declare(name, help, Type::kHistogram, std::move(label_names), max_series, std::move(bounds));
}

Counter* Registry::GetCounter(const std::string& name, const std::string& help, const Labels& labels) {
  std::vector<std::string> names;
  std::vector<std::string_view> values;
  for (const auto& [k, v] : labels) {
    names.push_back(k);
    values.push_back(v);
  }
  Family& f = Counters(name, help, names);
  if (f.label_names() == names) return f.CounterWith(values);
  // Other label names than the family's first use: rendered as given.
  std::lock_guard<std::mutex> lock(mu_);
  return &f.GetRendered(RenderInner(names, values))->counter;
}

void Registry::NoteDropped(const std::string& family) {
  // mu_ is held by the caller.
  auto it = families_.find(kDroppedFamily);
  if (it == families_.end() || family == kDroppedFamily) return;
  it->second->Get({family})->counter.Inc();
}

std::string Registry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) f->Render(&out);
  return out;
}

uint64_t Registry::Total(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  uint64_t sum = 0;
  for (const auto& [labels, s] : it->second->series_) sum += s->counter.Value();
  return sum;
}

int64_t Registry::Value(const std::string& name, const Labels& labels) const {
  std::vector<std::string> names;
  std::vector<std::string_view> values;
  for (const auto& [k, v] : labels) {
    names.push_back(k);
    values.push_back(v);
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second->series_.find(RenderInner(names, values));
  if (s == it->second->series_.end()) return 0;
  return it->second->type() == Type::kGauge ? s->second->gauge.Value()
                                            : static_cast<int64_t>(s->second->counter.Value());
}

Registry& Global() {
  static Registry r;
  return r;
}

std::vector<double> LatencyBuckets() {
  return {5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 0.25, 1};
}

Counter& Reloads(std::string_view result) {
  static Family& f = Global().Counters(
      "maskproxy_reloads_total",
      "Policy and keyring reloads (HTTP, SIGHUP, file watch), by result (ok, rejected, unchanged)", {"result"}, 8);
  return *f.CounterWith({result});
}

Gauge& PolicyFilesRejected() {
  static Family& f = Global().Gauges("maskproxy_policy_files_rejected",
                                     "1 while the last reload was rejected: the policy, keyring or config files on "
                                     "disk are not what runs, and the next start loads them");
  return *f.GaugeWith({});
}

void SetBuildInfo(const Labels& labels) {
  std::vector<std::string> names;
  std::vector<std::string_view> values;
  for (const auto& [k, v] : labels) {
    names.push_back(k);
    values.push_back(v);
  }
  Family& f = Global().Gauges("maskproxy_build_info", "Build of the running maskproxy (always 1)", names, 4);
  f.Clear();
  f.GaugeWith(values)->Set(1);
}

}  // namespace maskproxy::metrics
