#include "core/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <variant>

namespace muhafiz::core {
namespace {

enum Type { kCounterType = 0, kGaugeType = 1, kHistogramType = 2 };

constexpr std::string_view kTypeNames[] = {"counter", "gauge", "histogram"};

bool IsMetricName(std::string_view s) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

bool IsLabelName(std::string_view s) {
    if (s.empty() || s.starts_with("__")) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

void AppendEscaped(std::string& out, std::string_view s, bool quote) {
    for (char c : s) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '"':
                if (quote) {
                    out += "\\\"";
                } else {
                    out += c;
                }
                break;
            default:
                out += c;
        }
    }
}

void AppendDouble(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    if (ec != std::errc()) {
        out += "NaN";
        return;
    }
    out.append(buf, end);
}

void AppendUint(std::string& out, std::uint64_t v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    out.append(buf, end);
}

// `{a="x",b="y"}` (without braces when there are no labels), labels sorted by name.
std::string RenderLabels(MetricLabels labels) {
    std::sort(labels.begin(), labels.end());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (!IsLabelName(labels[i].first)) {
            throw std::invalid_argument("invalid metric label name: " + labels[i].first);
        }
        if (i > 0 && labels[i].first == labels[i - 1].first) {
            throw std::invalid_argument("duplicate metric label name: " + labels[i].first);
        }
        if (labels[i].first == "le") {
            throw std::invalid_argument("metric label name 'le' is reserved");
        }
    }
    std::string out;
    for (const auto& [k, v] : labels) {
        out += out.empty() ? "" : ",";
        out += k;
        out += "=\"";
        AppendEscaped(out, v, true);
        out += '"';
    }
    return out;
}

// `name{labels,extra}`
void AppendSeries(std::string& out, std::string_view name, std::string_view labels,
                  std::string_view extra = {}) {
    out += name;
    if (!labels.empty() || !extra.empty()) {
        out += '{';
        out += labels;
        if (!labels.empty() && !extra.empty()) out += ',';
        out += extra;
        out += '}';
    }
    out += ' ';
}

std::size_t NextThreadSlot() {
    static std::atomic<std::size_t> next{0};
    return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

// ---- Counter ----

std::size_t Counter::ShardIndex() noexcept {
    thread_local const std::size_t slot = NextThreadSlot() % kShards;
    return slot;
}

std::uint64_t Counter::Value() const noexcept {
    std::uint64_t total = 0;
    for (const auto& s : shards_) total += s.value.load(std::memory_order_relaxed);
    return total;
}

// ---- Histogram ----

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        if (std::isnan(bounds_[i]) || (i > 0 && !(bounds_[i] > bounds_[i - 1]))) {
            throw std::invalid_argument("histogram bounds must be strictly increasing");
        }
    }
    if (!bounds_.empty() && std::isinf(bounds_.back()) && bounds_.back() > 0) bounds_.pop_back();
    counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double v) noexcept {
    // First bucket whose upper bound is >= v ("le" semantics); NaN lands in +Inf.
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    std::size_t index =
        std::isnan(v) ? bounds_.size() : static_cast<std::size_t>(it - bounds_.begin());
    counts_[index].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::CumulativeCounts() const {
    std::vector<std::uint64_t> out(bounds_.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += counts_[i].load(std::memory_order_relaxed);
        out[i] = running;
    }
    return out;
}

std::uint64_t Histogram::Count() const noexcept {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        total += counts_[i].load(std::memory_order_relaxed);
    }
    return total;
}

std::vector<double> Histogram::DefaultLatencyBuckets() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// ---- MetricsRegistry ----

struct MetricsRegistry::Family {
    int type = kCounterType;
    std::string help;
    std::vector<double> bounds;  // histograms only
    // Keyed by the rendered label set, which is canonical (sorted, escaped).
    std::map<std::string, std::variant<std::unique_ptr<Counter>, std::unique_ptr<Gauge>,
                                       std::unique_ptr<Histogram>>>
        series;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::FamilyFor(std::string_view name, std::string_view help,
                                                    int type, const std::vector<double>* bounds) {
    auto it = families_.find(name);
    if (it == families_.end()) {
        if (!IsMetricName(name)) {
            throw std::invalid_argument("invalid metric name: " + std::string(name));
        }
        auto family = std::make_unique<Family>();
        family->type = type;
        family->help = std::string(help);
        if (bounds != nullptr) family->bounds = *bounds;
        it = families_.emplace(std::string(name), std::move(family)).first;
    }
    Family& family = *it->second;
    if (family.type != type) {
        throw std::invalid_argument("metric " + std::string(name) + " is already registered as a " +
                                    std::string(kTypeNames[family.type]));
    }
    if (bounds != nullptr && family.bounds != *bounds) {
        throw std::invalid_argument("histogram " + std::string(name) +
                                    " is already registered with other buckets");
    }
    return family;
}

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const MetricLabels& labels) {
    std::string key = RenderLabels(labels);
    std::lock_guard lock(mu_);
    Family& family = FamilyFor(name, help, kCounterType, nullptr);
    auto [it, inserted] = family.series.try_emplace(key, std::unique_ptr<Counter>());
    if (inserted) it->second = std::make_unique<Counter>();
    return *std::get<0>(it->second);
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 const MetricLabels& labels) {
    std::string key = RenderLabels(labels);
    std::lock_guard lock(mu_);
    Family& family = FamilyFor(name, help, kGaugeType, nullptr);
    auto [it, inserted] = family.series.try_emplace(key, std::unique_ptr<Gauge>());
    if (inserted) it->second = std::make_unique<Gauge>();
    return *std::get<1>(it->second);
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         const std::vector<double>& bounds,
                                         const MetricLabels& labels) {
    std::string key = RenderLabels(labels);
    std::lock_guard lock(mu_);
    Family& family = FamilyFor(name, help, kHistogramType, &bounds);
    auto [it, inserted] = family.series.try_emplace(key, std::unique_ptr<Histogram>());
    if (inserted) it->second = std::make_unique<Histogram>(bounds);
    return *std::get<2>(it->second);
}

std::string MetricsRegistry::RenderPrometheus() const {
    std::string out;
    std::lock_guard lock(mu_);
    for (const auto& [name, family] : families_) {
        out += "# HELP ";
        out += name;
        out += ' ';
        AppendEscaped(out, family->help, false);
        out += "\n# TYPE ";
        out += name;
        out += ' ';
        out += kTypeNames[family->type];
        out += '\n';
        for (const auto& [labels, metric] : family->series) {
            switch (metric.index()) {
                case 0:
                    AppendSeries(out, name, labels);
                    AppendUint(out, std::get<0>(metric)->Value());
                    out += '\n';
                    break;
                case 1:
                    AppendSeries(out, name, labels);
                    AppendDouble(out, std::get<1>(metric)->Value());
                    out += '\n';
                    break;
                case 2: {
                    const Histogram& h = *std::get<2>(metric);
                    std::vector<std::uint64_t> cumulative = h.CumulativeCounts();
                    std::string bucket_name = name + "_bucket";
                    for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
                        std::string le = "le=\"";
                        if (i < h.bounds().size()) {
                            AppendDouble(le, h.bounds()[i]);
                        } else {
                            le += "+Inf";
                        }
                        le += '"';
                        AppendSeries(out, bucket_name, labels, le);
                        AppendUint(out, cumulative[i]);
                        out += '\n';
                    }
                    AppendSeries(out, name + "_sum", labels);
                    AppendDouble(out, h.Sum());
                    out += '\n';
                    AppendSeries(out, name + "_count", labels);
                    // The +Inf bucket and _count agree even while observations race.
                    AppendUint(out, cumulative.back());
                    out += '\n';
                    break;
                }
            }
        }
    }
    return out;
}

}  // namespace muhafiz::core
