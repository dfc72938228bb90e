#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace muhafiz::core {
namespace {

TEST(MetricsTest, CounterSumsAcrossThreads) {
    MetricsRegistry registry;
    Counter& c = registry.GetCounter("test_events_total", "Events.", {{"kind", "a"}});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&c] {
            for (int i = 0; i < 10000; ++i) c.Increment();
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(c.Value(), 40000u);
    // The same name and labels (in any order) give the same counter.
    EXPECT_EQ(&registry.GetCounter("test_events_total", "", {{"kind", "a"}}), &c);
}

TEST(MetricsTest, RendersCountersAndGaugesWithLabels) {
    MetricsRegistry registry;
    registry
        .GetCounter("http_requests_total", "Requests by method.",
                    {{"status", "2xx"}, {"method", "GET"}})
        .Increment(3);
    registry.GetCounter("http_requests_total", "", {{"method", "POST"}, {"status", "5xx"}})
        .Increment();
    Gauge& g = registry.GetGauge("in_flight", "In flight\\now.\nSecond line");
    g.Increment();
    g.Increment();
    g.Decrement();
    registry.GetGauge("temperature", "T.", {{"where", "a \"quoted\"\\path\n"}}).Set(-1.5);

    std::string text = registry.RenderPrometheus();
    EXPECT_NE(text.find("# HELP http_requests_total Requests by method.\n"
                        "# TYPE http_requests_total counter\n"
                        "http_requests_total{method=\"GET\",status=\"2xx\"} 3\n"
                        "http_requests_total{method=\"POST\",status=\"5xx\"} 1\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("# HELP in_flight In flight\\\\now.\\nSecond line\n# TYPE in_flight gauge\n"
                        "in_flight 1\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("temperature{where=\"a \\\"quoted\\\"\\\\path\\n\"} -1.5\n"),
              std::string::npos)
        << text;
    // Families come sorted by name; the text ends with a newline.
    EXPECT_LT(text.find("http_requests_total"), text.find("in_flight"));
    EXPECT_EQ(text.back(), '\n');
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
    MetricsRegistry registry;
    Histogram& h =
        registry.GetHistogram("latency_seconds", "Latency.", {0.1, 0.5, 1}, {{"op", "x"}});
    h.Observe(0.05);
    h.Observe(0.1);  // le is inclusive
    h.Observe(0.3);
    h.Observe(7);
    EXPECT_EQ(h.Count(), 4u);
    EXPECT_DOUBLE_EQ(h.Sum(), 7.45);
    std::string text = registry.RenderPrometheus();
    EXPECT_NE(text.find("# TYPE latency_seconds histogram\n"
                        "latency_seconds_bucket{op=\"x\",le=\"0.1\"} 2\n"
                        "latency_seconds_bucket{op=\"x\",le=\"0.5\"} 3\n"
                        "latency_seconds_bucket{op=\"x\",le=\"1\"} 3\n"
                        "latency_seconds_bucket{op=\"x\",le=\"+Inf\"} 4\n"
                        "latency_seconds_sum{op=\"x\"} 7.45\n"
                        "latency_seconds_count{op=\"x\"} 4\n"),
              std::string::npos)
        << text;
}

TEST(MetricsTest, RejectsProgrammingErrors) {
    MetricsRegistry registry;
    registry.GetCounter("a_total", "A.");
    EXPECT_THROW(registry.GetGauge("a_total", "A."), std::invalid_argument);
    EXPECT_THROW(registry.GetCounter("bad-name", "x"), std::invalid_argument);
    EXPECT_THROW(registry.GetCounter("b_total", "x", {{"1bad", "v"}}), std::invalid_argument);
    EXPECT_THROW(registry.GetCounter("b_total", "x", {{"k", "v"}, {"k", "w"}}),
                 std::invalid_argument);
    registry.GetHistogram("h", "H.", {1, 2});
    EXPECT_THROW(registry.GetHistogram("h", "H.", {1, 3}), std::invalid_argument);
    EXPECT_THROW(registry.GetHistogram("h2", "H.", {2, 1}), std::invalid_argument);
}

}  // namespace
}  // namespace muhafiz::core
