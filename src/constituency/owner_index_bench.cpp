// owner_index_bench: builds an OwnerIndex from 1,000,000 prefixes and 100,000 domains generated
// deterministically, then measures build time, lookup rates on one core and memory.
//
// Data: 900,000 distinct IPv4 prefixes shaped like a BGP table (mostly /24, the rest /8../23 and
// a few /25../32, addresses in 1.0.0.0-223.255.255.255) and 100,000 distinct IPv6 prefixes
// (/29../64, mostly /32 and /48, in RIR-allocated /16s); organisation ids 1..50,000; domains
// under .pk second-level zones and common TLDs, 10% of them subdomains of others. Lookups: half
// the addresses fall inside an indexed prefix, half are random; half the names are under an
// indexed domain (the name itself or one or two labels deeper), half are unknown.
//
// Usage: owner_index_bench [--quick]   (--quick: a tenth of the data, for a smoke run)
// Targets (one core): build <= 2 s, IPv4 >= 10 M/s, IPv6 >= 3 M/s, domains >= 3 M/s. A figure
// under target is printed with "TARGET MISSED".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "constituency/owner_index.hpp"

namespace {

using muhafiz::constituency::OwnerEntries;
using muhafiz::constituency::OwnerIndex;
using muhafiz::core::IpAddress;
using muhafiz::core::Prefix;
using Clock = std::chrono::steady_clock;

long RssKiB() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return -1;
}

double Seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

template <typename T>
void KeepAlive(const T& value) {
    asm volatile("" : : "r,m"(value) : "memory");
}

std::string RandomLabel(std::mt19937_64& rng, int min_len, int max_len) {
    static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    int len = min_len + static_cast<int>(rng() % static_cast<unsigned>(max_len - min_len + 1));
    std::string s;
    for (int i = 0; i < len; ++i) s += kChars[rng() % (i == 0 ? 26 : 36)];
    return s;
}

struct Data {
    OwnerEntries entries;
    std::vector<std::uint32_t> v4_queries;
    std::vector<IpAddress> v6_queries;
    std::vector<std::string> name_queries;
};

Data Generate(std::size_t v4_count, std::size_t v6_count, std::size_t domain_count,
              std::size_t queries) {
    std::mt19937_64 rng(0x6d756861666977ull);  // fixed seed: same data every run
    Data d;
    d.entries.prefixes.reserve(v4_count + v6_count);
    std::uniform_int_distribution<std::int64_t> org(1, 50000);

    // IPv4: length weights in percent, shaped like the public routing table.
    struct Weight {
        int length;
        int percent;
    };
    const std::vector<Weight> v4_lengths = {{24, 55}, {23, 8}, {22, 8}, {21, 5}, {20, 4}, {19, 4},
                                            {18, 3},  {17, 2}, {16, 5}, {15, 1}, {14, 1}, {12, 1},
                                            {26, 1},  {28, 1}, {29, 1}, {32, 1}};
    std::vector<int> v4_pick;
    for (auto w : v4_lengths)
        v4_pick.insert(v4_pick.end(), static_cast<std::size_t>(w.percent), w.length);
    std::unordered_set<std::uint64_t> seen;
    seen.reserve(v4_count * 2);
    std::vector<std::pair<std::uint32_t, int>> v4;
    while (v4.size() < v4_count) {
        int len = v4_pick[rng() % v4_pick.size()];
        std::uint32_t addr = 0x01000000u + static_cast<std::uint32_t>(rng() % 0xdf000000u);
        addr &= len == 0 ? 0 : ~0u << (32 - len);
        if (!seen.insert((std::uint64_t{addr} << 8) | static_cast<std::uint64_t>(len)).second)
            continue;
        v4.emplace_back(addr, len);
        d.entries.prefixes.push_back({Prefix{IpAddress::FromV4(addr), len}, org(rng)});
    }

    const std::vector<std::uint16_t> v6_tops = {
        0x2001, 0x2400, 0x2401, 0x2402, 0x2403, 0x2404, 0x2405, 0x2406, 0x2407,
        0x2600, 0x2601, 0x2602, 0x2603, 0x2604, 0x2605, 0x2606, 0x2607, 0x2620,
        0x2800, 0x2801, 0x2803, 0x2a00, 0x2a01, 0x2a02, 0x2a03, 0x2a04, 0x2a05,
        0x2a06, 0x2a07, 0x2a0a, 0x2a0b, 0x2a0c, 0x2a0d, 0x2a0e, 0x2a10, 0x2c0f};
    const std::vector<Weight> v6_lengths = {{32, 20}, {29, 3},  {31, 2},  {36, 5}, {40, 5},
                                            {44, 5},  {48, 45}, {56, 10}, {64, 5}};
    std::vector<int> v6_pick;
    for (auto w : v6_lengths)
        v6_pick.insert(v6_pick.end(), static_cast<std::size_t>(w.percent), w.length);
    std::vector<Prefix> v6;
    std::size_t start = d.entries.prefixes.size();
    while (v6.size() < v6_count) {
        int len = v6_pick[rng() % v6_pick.size()];
        IpAddress ip;
        ip.v6 = true;
        std::uint16_t top = v6_tops[rng() % v6_tops.size()];
        ip.bytes[0] = static_cast<std::uint8_t>(top >> 8);
        ip.bytes[1] = static_cast<std::uint8_t>(top);
        for (int i = 2; i < 8; ++i) ip.bytes[i] = static_cast<std::uint8_t>(rng());
        Prefix p = muhafiz::core::MaskPrefix(ip, len);
        v6.push_back(p);
        d.entries.prefixes.push_back({p, org(rng)});
    }
    // Duplicates among IPv6 prefixes are possible but rare (only for /29../32); drop them so
    // the count is exact.
    std::sort(d.entries.prefixes.begin() + static_cast<std::ptrdiff_t>(start),
              d.entries.prefixes.end());
    d.entries.prefixes.erase(
        std::unique(d.entries.prefixes.begin() + static_cast<std::ptrdiff_t>(start),
                    d.entries.prefixes.end(),
                    [](const auto& a, const auto& b) { return a.first == b.first; }),
        d.entries.prefixes.end());
    while (d.entries.prefixes.size() < v4_count + v6_count) {  // top up with unique /48s
        IpAddress ip;
        ip.v6 = true;
        ip.bytes[0] = 0x2a;
        ip.bytes[1] = 0x0f;
        for (int i = 2; i < 6; ++i) ip.bytes[i] = static_cast<std::uint8_t>(rng());
        d.entries.prefixes.push_back({Prefix{ip, 48}, org(rng)});
        v6.push_back(Prefix{ip, 48});
    }
    std::shuffle(d.entries.prefixes.begin(), d.entries.prefixes.end(), rng);

    // Domains.
    const std::vector<std::string> zones = {"pk",  "com.pk", "gov.pk", "edu.pk", "net.pk", "org.pk",
                                            "com", "net",    "org",    "io",     "de",     "co.uk"};
    std::unordered_set<std::string> names;
    std::vector<std::string> domains;
    while (domains.size() < domain_count) {
        std::string name;
        if (domains.size() > 1000 && rng() % 10 == 0) {
            name = RandomLabel(rng, 2, 8) + "." + domains[rng() % domains.size()];
        } else {
            name = RandomLabel(rng, 4, 14) + "." + zones[rng() % zones.size()];
        }
        if (!names.insert(name).second) continue;
        domains.push_back(name);
        d.entries.domains.push_back({name, org(rng)});
    }
    for (std::uint32_t a = 0; a < 20000; ++a) d.entries.asns.push_back({64512 + a * 7, org(rng)});

    // Queries.
    d.v4_queries.reserve(queries);
    for (std::size_t i = 0; i < queries; ++i) {
        if (i % 2 == 0) {
            auto [addr, len] = v4[rng() % v4.size()];
            std::uint32_t host = len == 32 ? 0 : static_cast<std::uint32_t>(rng()) & (~0u >> len);
            d.v4_queries.push_back(addr | host);
        } else {
            d.v4_queries.push_back(0x01000000u + static_cast<std::uint32_t>(rng() % 0xdf000000u));
        }
    }
    d.v6_queries.reserve(queries);
    for (std::size_t i = 0; i < queries; ++i) {
        IpAddress ip;
        ip.v6 = true;
        for (auto& b : ip.bytes) b = static_cast<std::uint8_t>(rng());
        if (i % 2 == 0) {
            const Prefix& p = v6[rng() % v6.size()];
            for (int bit = 0; bit < p.length; ++bit) {
                auto byte = static_cast<std::size_t>(bit / 8);
                auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
                ip.bytes[byte] = static_cast<std::uint8_t>((ip.bytes[byte] & ~mask) |
                                                           (p.address.bytes[byte] & mask));
            }
        } else {
            ip.bytes[0] = static_cast<std::uint8_t>(0x20 | (ip.bytes[0] & 0x1f));  // 2000::/3
        }
        d.v6_queries.push_back(ip);
    }
    d.name_queries.reserve(queries);
    for (std::size_t i = 0; i < queries; ++i) {
        if (i % 2 == 0) {
            const std::string& known = domains[rng() % domains.size()];
            switch (rng() % 3) {
                case 0:
                    d.name_queries.push_back(known);
                    break;
                case 1:
                    d.name_queries.push_back("www." + known);
                    break;
                default:
                    d.name_queries.push_back(RandomLabel(rng, 1, 6) + ".mail." + known);
            }
        } else {
            d.name_queries.push_back(RandomLabel(rng, 1, 6) + "." + RandomLabel(rng, 4, 14) + "." +
                                     zones[rng() % zones.size()]);
        }
    }
    return d;
}

double ThreadCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Runs `pass` three times and keeps the best run. Rates are in millions per second of thread
// CPU time (what one core does while it is ours: the machine may be shared) and of wall time.
struct Measured {
    double cpu = 0;   // best rate by CPU time
    double wall = 0;  // best rate by wall time
    std::string runs;
};

template <typename Pass>
Measured Rate(std::size_t n, Pass pass) {
    Measured m;
    for (int r = 0; r < 3; ++r) {
        const double c0 = ThreadCpuSeconds();
        const auto t0 = Clock::now();
        pass();
        const double cpu = static_cast<double>(n) / (ThreadCpuSeconds() - c0) / 1e6;
        const double wall = static_cast<double>(n) / Seconds(t0, Clock::now()) / 1e6;
        m.cpu = std::max(m.cpu, cpu);
        m.wall = std::max(m.wall, wall);
        char buf[48];
        std::snprintf(buf, sizeof buf, "%s%.1f", r ? " " : "", cpu);
        m.runs += buf;
    }
    return m;
}

void Report(const char* what, const Measured& m, double target) {
    std::printf(
        "owner_index %s: %.1f M/s (one core, CPU time; runs %s; wall-clock best %.1f M/s)%s\n",
        what, m.cpu, m.runs.c_str(), m.wall, m.cpu < target ? "  TARGET MISSED" : "");
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const std::size_t scale = quick ? 10 : 1;
    const std::size_t v4_count = 900000 / scale, v6_count = 100000 / scale;
    const std::size_t domain_count = 100000 / scale, queries = 2000000 / scale;

    auto g0 = Clock::now();
    Data data = Generate(v4_count, v6_count, domain_count, queries);
    std::printf(
        "owner_index data: %zu IPv4 + %zu IPv6 prefixes, %zu domains, %zu ASNs, "
        "generated in %.2f s\n",
        v4_count, v6_count, data.entries.domains.size(), data.entries.asns.size(),
        Seconds(g0, Clock::now()));

    const std::size_t prefixes = data.entries.prefixes.size();
    const std::size_t domains = data.entries.domains.size();
    const long rss_before = RssKiB();
    const double bc0 = ThreadCpuSeconds();
    auto b0 = Clock::now();
    auto index = OwnerIndex::Build(std::move(data.entries));
    const double build_wall = Seconds(b0, Clock::now());
    const double build_s = ThreadCpuSeconds() - bc0;
    const long rss_after = RssKiB();
    std::printf(
        "owner_index build: %zu prefixes + %zu domains in %.2f s (one core, CPU time; "
        "wall-clock %.2f s)%s\n",
        prefixes, domains, build_s, build_wall, build_s > 2.0 ? "  TARGET MISSED" : "");
    std::printf(
        "owner_index contents: %zu IPv4, %zu IPv6 prefixes, %zu ASNs, %zu domains, "
        "%zu issues\n",
        index->v4_count(), index->v6_count(), index->asn_count(), index->domain_count(),
        index->issues().size());
    std::printf(
        "owner_index memory: %.1f MiB held by the index; RSS delta over build %.1f MiB "
        "(VmRSS %ld -> %ld KiB)\n",
        static_cast<double>(index->memory_bytes()) / (1024.0 * 1024.0),
        static_cast<double>(rss_after - rss_before) / 1024.0, rss_before, rss_after);

    std::int64_t sink = 0;
    std::size_t hits = 0;
    for (std::uint32_t ip : data.v4_queries) hits += index->LookupV4(ip) != 0;
    std::printf("owner_index ipv4 hit rate: %.1f %%\n",
                100.0 * static_cast<double>(hits) / static_cast<double>(queries));
    Measured v4 = Rate(queries, [&] {
        for (std::uint32_t ip : data.v4_queries) sink += index->LookupV4(ip);
    });
    Report("ipv4 lookups (LookupV4)", v4, 10.0);

    std::vector<IpAddress> v4_addresses;
    v4_addresses.reserve(queries);
    for (std::uint32_t ip : data.v4_queries) v4_addresses.push_back(IpAddress::FromV4(ip));
    Measured v4_full = Rate(queries, [&] {
        for (const IpAddress& ip : v4_addresses) {
            auto m = index->Lookup(ip);
            if (m) sink += m->organisation_id + m->prefix.length;
        }
    });
    Report("ipv4 lookups with matched prefix (Lookup)", v4_full, 10.0);
    // Many at once, as the feed pipeline's enricher asks (its slices of 64 events): not a target.
    std::vector<std::optional<IpAddress>> many(v4_addresses.begin(), v4_addresses.end());
    std::vector<std::int64_t> owners(many.size());
    Measured v4_many = Rate(queries, [&] {
        index->LookupMany(many, owners);
        sink += owners[owners.size() / 2];
    });
    Report("ipv4 lookups of many at once (LookupMany)", v4_many, 0.0);

    hits = 0;
    for (const IpAddress& ip : data.v6_queries) hits += index->Lookup(ip).has_value();
    std::printf("owner_index ipv6 hit rate: %.1f %%\n",
                100.0 * static_cast<double>(hits) / static_cast<double>(queries));
    Measured v6 = Rate(queries, [&] {
        for (const IpAddress& ip : data.v6_queries) {
            auto m = index->Lookup(ip);
            if (m) sink += m->organisation_id + m->prefix.length;
        }
    });
    Report("ipv6 lookups (Lookup)", v6, 3.0);

    hits = 0;
    for (const std::string& n : data.name_queries) hits += index->LookupDomain(n).has_value();
    std::printf("owner_index domain hit rate: %.1f %%\n",
                100.0 * static_cast<double>(hits) / static_cast<double>(queries));
    Measured dom = Rate(queries, [&] {
        for (const std::string& n : data.name_queries) {
            auto m = index->LookupDomain(n);
            if (m) sink += m->organisation_id + static_cast<std::int64_t>(m->domain.size());
        }
    });
    Report("domain lookups", dom, 3.0);

    Measured asn = Rate(queries, [&] {
        for (std::uint32_t i = 0; i < queries; ++i) sink += index->LookupAsn(64512 + (i * 3));
    });
    Report("asn lookups", asn, 0.0);

    KeepAlive(sink);
    const bool missed =
        build_s > 2.0 || v4.cpu < 10.0 || v4_full.cpu < 10.0 || v6.cpu < 3.0 || dom.cpu < 3.0;
    std::printf("owner_index targets: %s\n", missed ? "TARGET MISSED" : "all met");
    return 0;
}
