// `make bench` for intel (issue #4): generates a STIX 2.1 bundle of N indicators (default
// 1,000,000) on disk, imports it streamed through IntelStore::ImportStix into a fresh SQLite
// database (or --database URL), and prints indicators/s and the peak RSS; then imports an
// overlapping bundle of N/10 and times the correlation index rebuild over all of them; then pages
// through the public TAXII collection 1,000 objects at a time (store query + envelope rendering,
// in process) and prints p50/p99 per page and pages/s. The HTTP path over loopback is measured
// by scripts/bench with wrk. Figures are printed, not asserted.
// Usage: intel_bench --help
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "db/audit_sink.hpp"
#include "db/migrations.hpp"
#include "intel/intel_store.hpp"
#include "intel/stix.hpp"

using namespace muhafiz;

namespace {

struct NoAudit : db::AuditSink {
    core::Status Append(db::Connection&, const db::AuditRecord&) const override { return core::Ok(); }
};

double Seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// User + system CPU seconds of this process (the machine may be shared: wall time alone misleads).
double CpuSeconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU seconds of the calling thread alone.
double ThreadCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

long PeakRssMiB() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

// The peak RSS of the process can be reset (Linux: clear_refs 5) to measure one phase alone.
void ResetPeakRss() {
    std::ofstream("/proc/self/clear_refs") << "5";
}

long StatusKiB(const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
    return 0;
}
long PeakRssSinceResetMiB() { return StatusKiB("VmHWM:") / 1024; }
long CurrentRssMiB() { return StatusKiB("VmRSS:") / 1024; }

std::string Uuid(std::uint64_t n, std::uint32_t salt) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012llx", salt, static_cast<unsigned long long>(n));
    return buf;
}

// Indicator n: an IPv4 address, a domain or a SHA-256, with the TLP:CLEAR marking.
void WriteBundle(const std::string& path, std::uint64_t count, std::uint64_t offset, std::uint32_t salt) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "{\"type\":\"bundle\",\"id\":\"bundle--" << Uuid(0, salt) << "\",\"objects\":[";
    out << core::ToJson(intel::TlpMarkingObject(access::Tlp::kClear));
    char sha[65];
    for (std::uint64_t k = 0; k < count; ++k) {
        const std::uint64_t n = k + offset;
        std::string pattern;
        switch (n % 3) {
            case 0: {
                const std::uint32_t ip = 0x2D000000u + static_cast<std::uint32_t>(n);  // 45.x.y.z
                pattern = "[ipv4-addr:value = '" + std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
                          std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255) + "']";
                break;
            }
            case 1: pattern = "[domain-name:value = 'host-" + std::to_string(n) + ".bench-evil.net']"; break;
            default:
                std::snprintf(sha, sizeof sha, "%064llx", static_cast<unsigned long long>(n * 2654435761ull));
                pattern = std::string("[file:hashes.'SHA-256' = '") + sha + "']";
        }
        out << ",\n{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--" << Uuid(n + 1, salt)
            << "\",\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\",\"name\":\"bench "
            << n << "\",\"pattern\":\"" << pattern
            << "\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\",\"object_marking_refs\":[\""
            << intel::TlpMarkingId(access::Tlp::kClear) << "\"]}";
    }
    out << "]}\n";
}

constexpr const char* kUsage =
    "usage: intel_bench [--indicators N] [--database URL] [--bundle FILE] [--write-bundle FILE] [--import-only]\n"
    "                   [--event-size N]\n"
    "  --indicators N     indicators in the generated bundle (default 1000000; --count is the same)\n"
    "  --database URL     import into this database (default: a fresh SQLite file in a temporary folder)\n"
    "  --bundle FILE      import this bundle instead of a generated one (with --import-only)\n"
    "  --write-bundle F   only write the generated bundle to F and exit\n"
    "  --import-only      stop after the first import (for profiling)\n"
    "  --full-parse       parse every object into a JSON DOM (no fast path for simple indicators)\n"
    "  --event-size N     indicators of the big event exported as STIX at the end (default 150000; 0: skip)\n";

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is measured
    std::uint64_t count = 1000000, event_size = 150000;
    std::string url, write_only, given_bundle;
    bool import_only = false, full_parse = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if ((a == "--count" || a == "--indicators") && i + 1 < argc) count = std::stoull(argv[++i]);
        else if (a == "--database" && i + 1 < argc) url = argv[++i];
        else if (a == "--write-bundle" && i + 1 < argc) write_only = argv[++i];
        else if (a == "--bundle" && i + 1 < argc) given_bundle = argv[++i];
        else if (a == "--event-size" && i + 1 < argc) event_size = std::stoull(argv[++i]);
        else if (a == "--full-parse") full_parse = true;  // the reference path, to compare
        else if (a == "--import-only") import_only = true;  // for profiling the import alone
        else if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            return 0;
        } else {
            std::cerr << kUsage;
            return 2;
        }
    }
    if (!write_only.empty()) {
        WriteBundle(write_only, count, 0, 0xbe7c0001);
        std::cout << "wrote " << count << " indicators to " << write_only << "\n";
        return 0;
    }
    const auto dir = std::filesystem::temp_directory_path() / ("intel-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::string bundle = (dir / "bundle.json").string();
    const std::string overlap = (dir / "overlap.json").string();
    if (url.empty()) url = (dir / "bench.db").string();

    auto t0 = std::chrono::steady_clock::now();
    if (!given_bundle.empty()) {
        bundle = given_bundle;
    } else {
        WriteBundle(bundle, count, 0, 0xbe7c0001);
        if (!import_only) WriteBundle(overlap, count / 10, count - count / 20, 0xbe7c0002);  // half overlaps the first
        std::printf("generated %llu indicators (%.0f MiB) in %.1f s\n", static_cast<unsigned long long>(count),
                    std::filesystem::file_size(bundle) / 1048576.0, Seconds(t0));
    }

    auto db = db::Database::Open(url);
    if (!db) return std::fprintf(stderr, "%s\n", db.error().message.c_str()), 1;
    {
        auto conn = (*db)->Acquire();
        if (auto m = db::Migrate(**conn); !m) return std::fprintf(stderr, "%s\n", m.error().message.c_str()), 1;
        (void)(*conn)->Execute(
            "INSERT INTO organisations (uuid, name, kind, path, depth, created_at, updated_at) VALUES "
            "('0190e0a0-0000-7000-8000-000000000001', 'National CERT', 'national_cert', '/1/', 0, 0, 0)");
    }
    NoAudit audit;
    intel::WarningLists lists;
    intel::IntelStore store(**db, audit, lists, intel::IntelSettings{});
    const long rss_before = PeakRssMiB();

    intel::ImportOptions opts;
    opts.organisation_id = 1;
    opts.audience = access::Audience::kPartners;
    opts.count_values = false;
    opts.default_tlp = access::Tlp::kClear;
    opts.fast_path = !full_parse;
    core::Actor actor;
    t0 = std::chrono::steady_clock::now();
    const double cpu0 = CpuSeconds(), thread_cpu0 = ThreadCpuSeconds();
    std::ifstream in(bundle, std::ios::binary);
    auto r = store.ImportStix(in, opts, actor);
    if (!r) return std::fprintf(stderr, "import: %s\n", r.error().message.c_str()), 1;
    const double import_s = Seconds(t0), import_cpu = CpuSeconds() - cpu0;
    const double parse_cpu = ThreadCpuSeconds() - thread_cpu0;
    // ImportStix parses on the calling thread; the batches are written on its writer thread.
    std::printf("import CPU by thread: parse (calling thread) %.2f s, writer and others %.2f s\n", parse_cpu,
                import_cpu - parse_cpu);
    // (The rate's target is the embedded SQLite's; on PostgreSQL most of the work is the server's.)
    std::printf("import: %zu indicators in %.2f s = %.0f indicators/s (%s); CPU %.2f s (user+sys, "
                "all threads) = %.0f indicators per CPU-second; peak RSS %ld MiB (before import %ld MiB; target <= 1024)\n",
                r->indicators, import_s, r->indicators / import_s,
                (*db)->dialect() == db::Dialect::kSqlite ? "target >= 100000" : "the target is SQLite's",
                import_cpu, r->indicators / import_cpu, PeakRssMiB(), rss_before);
    // The WAL is copied into the database file by the store's background checkpointer once the
    // import has committed; report when that is done too (the import's whole work, on disk).
    if ((*db)->dialect() == db::Dialect::kSqlite) {
        // The WAL file keeps the size the import gave it until the TRUNCATE checkpoint below.
        std::error_code ec;
        const auto wal = std::filesystem::file_size(url + "-wal", ec);
        if (!ec) std::printf("WAL written by the import: %.0f MiB\n", wal / 1048576.0);
        auto conn = (*db)->Acquire();
        if (!conn) return std::fprintf(stderr, "checkpoint: %s\n", conn.error().message.c_str()), 1;
        for (;;) {
            auto rows = (*conn)->Query("PRAGMA wal_checkpoint(TRUNCATE)");
            if (rows && !rows->empty() && (*rows)[0].Int(0) == 0) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        const double all_s = Seconds(t0);
        std::printf("import + WAL checkpoint (database file complete): %.2f s = %.0f indicators/s; CPU %.2f s\n", all_s,
                    r->indicators / all_s, CpuSeconds() - cpu0);
    }
    if (import_only) {
        std::filesystem::remove_all(dir);
        return 0;
    }
    std::ifstream in2(overlap, std::ios::binary);
    opts.title = "overlap";
    auto r2 = store.ImportStix(in2, opts, actor);
    if (!r2) return std::fprintf(stderr, "import: %s\n", r2.error().message.c_str()), 1;

    t0 = std::chrono::steady_clock::now();
    auto values = store.RebuildCorrelation();
    if (!values) return std::fprintf(stderr, "correlate: %s\n", values.error().message.c_str()), 1;
    const double corr_s = Seconds(t0);
    std::int64_t correlated = 0;
    {
        auto conn = store.database().Acquire();
        auto rows = (*conn)->Query("SELECT COUNT(*) FROM intel_values WHERE events > 1");
        if (rows) correlated = (*rows)[0].Int(0);
    }
    std::printf("correlation: index rebuilt over %zu indicators (%lld distinct values, %lld correlated) in %.2f s "
                "(target <= 5 s); rows grow linearly (one per value, no pair table)\n",
                r->indicators + r2->indicators, static_cast<long long>(*values), static_cast<long long>(correlated), corr_s);

    // TAXII pages of 1,000 from the public collection (TLP:CLEAR), as an anonymous reader.
    access::IntelViewer anon;
    anon.anonymous = true;
    intel::ObjectQuery q;
    q.limit = 1000;
    std::vector<double> ms;
    std::size_t objects = 0;
    t0 = std::chrono::steady_clock::now();
    const int max_pages = 300;
    for (int page = 0; page < max_pages; ++page) {
        auto p0 = std::chrono::steady_clock::now();
        bool more = false;
        auto rows = store.QueryObjects(q, anon, &more);
        if (!rows) return std::fprintf(stderr, "taxii: %s\n", rows.error().message.c_str()), 1;
        core::json::array items;
        for (const auto& o : *rows)
            if (auto v = core::ParseJson(o.content)) items.push_back(std::move(*v));
        std::string body = core::ToJson(core::json::object{{"more", more}, {"objects", std::move(items)}});
        ms.push_back(Seconds(p0) * 1000);
        objects += rows->size();
        if (!more || rows->empty()) break;
        q.added_after = rows->back().date_added;
    }
    const double taxii_s = Seconds(t0);
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * ms.size()))]; };
    std::printf("taxii: %zu pages of up to 1000 objects (%zu objects), p50 %.1f ms, p99 %.1f ms, %.1f pages/s "
                "(in process: query + envelope; HTTP over loopback: scripts/bench with wrk)\n",
                ms.size(), objects, pct(0.5), pct(0.99), ms.size() / taxii_s);

    // A big event (150,000 indicators by default) exported as one STIX bundle, streamed to a file:
    // seconds and the peak RSS of the export alone (the peak is reset first), and a check that the
    // report's object_refs name every indicator.
    if (event_size > 0) {
        const std::string big = (dir / "event.json").string(), exported = (dir / "export.json").string();
        WriteBundle(big, event_size, 3 * count + 7, 0xbe7c0003);
        std::ifstream bin(big, std::ios::binary);
        opts.title = "big event";
        auto r3 = store.ImportStix(bin, opts, actor);
        if (!r3) return std::fprintf(stderr, "import: %s\n", r3.error().message.c_str()), 1;
        ResetPeakRss();
        const long rss0 = CurrentRssMiB();
        t0 = std::chrono::steady_clock::now();
        const double cpu1 = CpuSeconds();
        {
            std::ofstream out(exported, std::ios::binary | std::ios::trunc);
            if (auto s = store.ExportStixTo(r3->event_id, anon, out); !s)
                return std::fprintf(stderr, "export: %s\n", s.error().message.c_str()), 1;
        }
        const double export_s = Seconds(t0), export_cpu = CpuSeconds() - cpu1;
        const long export_peak = PeakRssSinceResetMiB();
        std::ifstream back(exported, std::ios::binary);
        std::string line, last;
        std::size_t lines = 0;
        while (std::getline(back, line)) {
            ++lines;
            if (line.find("\"type\":\"report\"") != std::string::npos) last = line;
        }
        std::size_t refs = 0;
        for (auto at = last.find("\"indicator--"); at != std::string::npos; at = last.find("\"indicator--", at + 1)) ++refs;
        std::printf("export: event of %zu indicators as one STIX bundle (%.0f MiB, streamed to a file) in %.2f s, CPU "
                    "%.2f s; peak RSS during the export %ld MiB (%ld MiB before); report object_refs: %zu indicators "
                    "(%s)\n",
                    r3->indicators, std::filesystem::file_size(exported) / 1048576.0, export_s, export_cpu, export_peak,
                    rss0, refs, refs == r3->indicators ? "complete" : "INCOMPLETE");
        (void)lines;
    }
    std::filesystem::remove_all(dir);
    return 0;
}
