// MetricsRegistry: an in-process Prometheus registry (no I/O). It holds counters and gauges with
// label sets and histograms with fixed buckets, and renders them in the Prometheus text
// exposition format (version 0.0.4) for a `/metrics` endpoint.
//
// Usage: look a metric up once (at wiring time) and keep the reference; the reference stays valid
// for the lifetime of the registry. Updating a metric is lock-free: counters are sharded across
// cache lines so that many threads incrementing the same counter do not contend; gauges and
// histogram buckets are single atomics.
//
// Thread-safety: every member is safe to call from any thread. Lookups (`GetCounter`, ...) and
// `RenderPrometheus` take an internal mutex; updates through the returned references do not.
// Rendering while other threads update gives each value as of some instant (not one snapshot).
//
// Errors: metric and label names are programmer-supplied constants. An invalid name
// ([a-zA-Z_:][a-zA-Z0-9_:]* for metrics, [a-zA-Z_][a-zA-Z0-9_]* for labels), or asking for a name
// that is already registered as another type (or a histogram with other buckets), is a
// programming error: the lookup throws std::invalid_argument, at wiring time.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace muhafiz::core {

// Label name/value pairs; order does not matter (the registry sorts them by name).
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing integer counter, sharded to keep concurrent increments cheap.
class Counter {
  public:
    Counter() = default;
    Counter(const Counter&) = delete;
    Counter& operator=(const Counter&) = delete;

    void Increment(std::uint64_t n = 1) noexcept {
        shards_[ShardIndex()].value.fetch_add(n, std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t Value() const noexcept;

  private:
    static constexpr std::size_t kShards = 8;
    struct alignas(64) Shard {
        std::atomic<std::uint64_t> value{0};
    };
    static std::size_t ShardIndex() noexcept;

    std::array<Shard, kShards> shards_{};
};

// A value that goes up and down (in-flight requests, queue depth, open connections).
class Gauge {
  public:
    Gauge() = default;
    Gauge(const Gauge&) = delete;
    Gauge& operator=(const Gauge&) = delete;

    void Set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void Add(double v) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
    void Increment() noexcept { Add(1.0); }
    void Decrement() noexcept { Add(-1.0); }
    [[nodiscard]] double Value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0.0};
};

// A histogram with fixed, strictly increasing upper bounds (the +Inf bucket is implicit).
class Histogram {
  public:
    explicit Histogram(std::vector<double> bounds);
    Histogram(const Histogram&) = delete;
    Histogram& operator=(const Histogram&) = delete;

    void Observe(double v) noexcept;

    [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
    // Cumulative counts per bound, then the +Inf bucket (== Count()).
    [[nodiscard]] std::vector<std::uint64_t> CumulativeCounts() const;
    [[nodiscard]] std::uint64_t Count() const noexcept;
    [[nodiscard]] double Sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

    // Latency buckets in seconds: 1 ms .. 10 s.
    static std::vector<double> DefaultLatencyBuckets();

  private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1, not cumulative
    std::atomic<double> sum_{0.0};
};

class MetricsRegistry {
  public:
    MetricsRegistry();
    ~MetricsRegistry();
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    // The metric `name` with these labels, created on first use. `help` is taken from the first
    // registration of the name. Counter names should end in `_total`.
    Counter& GetCounter(std::string_view name, std::string_view help,
                        const MetricLabels& labels = {});
    Gauge& GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});
    Histogram& GetHistogram(std::string_view name, std::string_view help,
                            const std::vector<double>& bounds, const MetricLabels& labels = {});

    // Prometheus text exposition format: families sorted by name, each with # HELP and # TYPE.
    [[nodiscard]] std::string RenderPrometheus() const;

    // Content-Type of RenderPrometheus() output.
    static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  private:
    struct Family;
    Family& FamilyFor(std::string_view name, std::string_view help, int type,
                      const std::vector<double>* bounds);

    mutable std::mutex mu_;
    std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

}  // namespace muhafiz::core
