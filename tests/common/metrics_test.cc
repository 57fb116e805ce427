// common/metrics: families, series caps, label escaping, histograms and the
// exposition format (promtool's own check runs in ctest deploy.dashboard).
#include "common/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace maskproxy {
namespace {

bool Has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(Metrics, FamiliesRenderHelpAndTypeOnce) {
  metrics::Registry r;
  metrics::Family& f = r.Counters("t_records_total", "Records", {"route", "outcome"});
  f.CounterWith({"a", "masked"})->Inc(3);
  f.CounterWith({"b", "passed"})->Inc();
  EXPECT_EQ(f.CounterWith({"a", "masked"}), f.CounterWith({"a", "masked"}));
  // Declaring again returns the same family.
  EXPECT_EQ(&r.Counters("t_records_total", "other help", {"x"}), &f);
  const std::string text = r.Render();
  EXPECT_EQ(Count(text, "# HELP t_records_total Records\n"), 1u) << text;
  EXPECT_EQ(Count(text, "# TYPE t_records_total counter\n"), 1u) << text;
  EXPECT_TRUE(Has(text, "t_records_total{route=\"a\",outcome=\"masked\"} 3\n")) << text;
  EXPECT_TRUE(Has(text, "t_records_total{route=\"b\",outcome=\"passed\"} 1\n")) << text;
  EXPECT_EQ(r.Value("t_records_total", {{"route", "a"}, {"outcome", "masked"}}), 3);
  EXPECT_EQ(r.Total("t_records_total"), 4u);
}

TEST(Metrics, GaugesSetAddAndRemove) {
  metrics::Registry r;
  metrics::Family& f = r.Gauges("t_lag_records", "Lag", {"topic", "partition"});
  f.GaugeWith({"src", "0"})->Set(10);
  f.GaugeWith({"src", "0"})->Add(-3);
  f.GaugeWith({"src", "1"})->Set(-2);
  std::string text = r.Render();
  EXPECT_TRUE(Has(text, "# TYPE t_lag_records gauge\n")) << text;
  EXPECT_TRUE(Has(text, "t_lag_records{topic=\"src\",partition=\"0\"} 7\n")) << text;
  EXPECT_TRUE(Has(text, "t_lag_records{topic=\"src\",partition=\"1\"} -2\n")) << text;
  f.Remove({"src", "1"});
  text = r.Render();
  EXPECT_FALSE(Has(text, "partition=\"1\"")) << text;
  EXPECT_EQ(f.SeriesCount(), 1u);
  f.Clear();
  EXPECT_EQ(f.SeriesCount(), 0u);
  // A family without series still says what it is.
  EXPECT_TRUE(Has(r.Render(), "# TYPE t_lag_records gauge\n"));
}

TEST(Metrics, HistogramsHaveCumulativeBucketsSumAndCount) {
  metrics::Registry r;
  metrics::Family& f = r.Histograms("t_seconds", "Time", {0.5, 0.001, 0.01}, {"route"});  // sorted on declaration
  metrics::Histogram* h = f.HistogramWith({"a"});
  h->Observe(0.0005);  // <= 0.001
  h->Observe(0.001);   // <= 0.001 (le is inclusive)
  h->Observe(0.2);     // <= 0.5
  h->Observe(3);       // +Inf
  const std::string text = r.Render();
  EXPECT_TRUE(Has(text, "# TYPE t_seconds histogram\n")) << text;
  EXPECT_TRUE(Has(text, "t_seconds_bucket{route=\"a\",le=\"0.001\"} 2\n")) << text;
  EXPECT_TRUE(Has(text, "t_seconds_bucket{route=\"a\",le=\"0.01\"} 2\n")) << text;
  EXPECT_TRUE(Has(text, "t_seconds_bucket{route=\"a\",le=\"0.5\"} 3\n")) << text;
  EXPECT_TRUE(Has(text, "t_seconds_bucket{route=\"a\",le=\"+Inf\"} 4\n")) << text;
  EXPECT_TRUE(Has(text, "t_seconds_sum{route=\"a\"} 3.2015")) << text;
  EXPECT_TRUE(Has(text, "t_seconds_count{route=\"a\"} 4\n")) << text;
  // Without labels: le is the only label.
  r.Histograms("t_plain_seconds", "Plain", {1}).HistogramWith({})->Observe(2);
  EXPECT_TRUE(Has(r.Render(), "t_plain_seconds_bucket{le=\"1\"} 0\nt_plain_seconds_bucket{le=\"+Inf\"} 1\n"));
}

TEST(Metrics, SeriesPastTheCapGoToOneOtherSeriesAndAreCounted) {
  metrics::Registry r;
  metrics::Family& f = r.Counters("t_capped_total", "Capped", {"field"}, 2);
  metrics::Counter* a = f.CounterWith({"a"});
  metrics::Counter* b = f.CounterWith({"b"});
  metrics::Counter* c = f.CounterWith({"c"});
  metrics::Counter* d = f.CounterWith({"d"});
  EXPECT_NE(a, b);
  EXPECT_EQ(c, d);  // both the overflow series
  EXPECT_EQ(f.CounterWith({"a"}), a);
  c->Inc();
  d->Inc();
  // A wrong number of label values is the overflow series too.
  EXPECT_EQ(f.CounterWith({"x", "y"}), c);
  const std::string text = r.Render();
  EXPECT_TRUE(Has(text, "t_capped_total{field=\"other\"} 2\n")) << text;
  EXPECT_FALSE(Has(text, "field=\"c\"")) << text;
  EXPECT_EQ(f.SeriesCount(), 3u);
  EXPECT_TRUE(Has(text, "maskproxy_metrics_series_dropped_total{family=\"t_capped_total\"} 2\n")) << text;
}

TEST(Metrics, LabelValuesAreEscaped) {
  metrics::Registry r;
  metrics::Family& f = r.Counters("t_esc_total", "Help with \\ and\nnewline", {"field"});
  f.CounterWith({"meta[\"a\\b\"]\nx"})->Inc();
  f.CounterWith({std::string("bad\xff\xfe utf8 \xea\xb9\x80")})->Inc();
  const std::string text = r.Render();
  EXPECT_TRUE(Has(text, "# HELP t_esc_total Help with \\\\ and\\nnewline\n")) << text;
  EXPECT_TRUE(Has(text, "t_esc_total{field=\"meta[\\\"a\\\\b\\\"]\\nx\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, "t_esc_total{field=\"bad?? utf8 \xea\xb9\x80\"} 1\n")) << text;
}

TEST(Metrics, ATypeClashIsNotRendered) {
  metrics::Registry r;
  r.Counters("t_clash", "A counter").CounterWith({})->Inc();
  metrics::Family& g = r.Gauges("t_clash", "A gauge");
  g.GaugeWith({})->Set(5);
  const std::string text = r.Render();
  EXPECT_TRUE(Has(text, "# TYPE t_clash counter\n")) << text;
  EXPECT_FALSE(Has(text, "t_clash 5")) << text;
}

TEST(Metrics, GetCounterKeepsItsOldContract) {
  metrics::Registry r;
  metrics::Counter* a = r.GetCounter("t_old_total", "Old", {{"reason", "x"}});
  EXPECT_EQ(a, r.GetCounter("t_old_total", "Old", {{"reason", "x"}}));
  // Other label names than the first use: still a series of its own.
  metrics::Counter* b = r.GetCounter("t_old_total", "Old", {{"kind", "y"}});
  EXPECT_NE(a, b);
  b->Inc();
  EXPECT_TRUE(Has(r.Render(), "t_old_total{kind=\"y\"} 1\n"));
}

TEST(Metrics, ConcurrentIncrementsAreAllCounted) {
  metrics::Registry r;
  metrics::Counter* c = r.Counters("t_conc_total", "C").CounterWith({});
  metrics::Histogram* h = r.Histograms("t_conc_seconds", "H", {1}).HistogramWith({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c->Inc();
        h->Observe(0.5);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->Value(), 40000u);
  EXPECT_EQ(h->Count(), 40000u);
  EXPECT_DOUBLE_EQ(h->Sum(), 20000);
}

TEST(Metrics, ReloadsAndBuildInfoAreDeclaredOnce) {
  const uint64_t before = metrics::Reloads("ok").Value();
  metrics::Reloads("ok").Inc();
  EXPECT_EQ(&metrics::Reloads("ok"), &metrics::Reloads("ok"));
  EXPECT_EQ(metrics::Global().Value("maskproxy_reloads_total", {{"result", "ok"}}), static_cast<int64_t>(before + 1));
  metrics::SetBuildInfo({{"version", "9.9.9"}});
  const std::string text = metrics::Global().Render();
  EXPECT_TRUE(Has(text, "maskproxy_build_info{version=\"9.9.9\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, "# TYPE maskproxy_reloads_total counter\n"));
}

}  // namespace
}  // namespace maskproxy
