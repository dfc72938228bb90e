// feeds_bench: the feed pipeline at scale. Generates a Shadowserver-style scan_http report of N
// rows (default 1,000,000) and a constituency of P prefixes (default 1,000,000, as /24s shared by
// 20,000 organisations under 20 sectoral CERTs, plus partner CERTs abroad), then prints
//   - events/s of each stage in memory (parse, deduplicate, enrich, route, serialise to the stored
//     compact form), and the CPU time of each pipeline thread end to end,
//   - events/s end to end into SQLite (and into PostgreSQL with --database URL), wall clock and
//     per CPU-second (the "per core" figure: events / (user + system CPU seconds)); SQLite --runs
//     times (default 3, each into a new database) and their median,
//   - the peak resident memory of the process.
// Targets (issue 5): >= 250,000 events/s per core end to end on SQLite (the median of the runs),
// peak RSS <= 1 GiB; a miss is printed as "TARGET MISSED" (measured, not asserted).
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/net.hpp"
#include "db/migrations.hpp"
#include "feeds/event_block.hpp"
#include "feeds/pipeline.hpp"

namespace fs = std::filesystem;
using namespace muhafiz;
using namespace muhafiz::feeds;

namespace {

constexpr double kTargetPerCore = 250000;
constexpr std::int64_t kOrgs = 20000;
constexpr std::int64_t kCerts = 20;

// The process's CPU time (user + system); `system`, when given, gets the system part.
double CpuSeconds(double* system = nullptr) {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    const auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    if (system) *system = secs(u.ru_stime);
    return secs(u.ru_utime) + secs(u.ru_stime);
}

double PeakRssMiB() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// The /24 of prefix number i (1.0.0.0/24 upwards, skipping nothing: documentation of a scale).
std::uint32_t PrefixBase(std::int64_t i) { return 0x01000000u + (static_cast<std::uint32_t>(i) << 8); }

std::shared_ptr<const constituency::OwnerIndex> BuildOwners(std::int64_t prefixes) {
    constituency::OwnerEntries e;
    e.prefixes.reserve(static_cast<std::size_t>(prefixes));
    for (std::int64_t i = 0; i < prefixes; ++i)
        e.prefixes.emplace_back(core::Prefix{core::IpAddress::FromV4(PrefixBase(i)), 24}, 100 + kCerts + i % kOrgs);
    return constituency::OwnerIndex::Build(std::move(e));
}

void WriteReport(const std::string& path, std::int64_t rows, std::int64_t prefixes) {
    std::ofstream out(path, std::ios::binary);
    out << "\"timestamp\",\"severity\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\",\"region\","
           "\"city\",\"naics\",\"hostname_source\",\"sector\",\"http\",\"http_code\",\"http_reason\",\"content_type\","
           "\"connection\",\"www_authenticate\",\"set_cookie\",\"server\",\"content_length\",\"transfer_encoding\","
           "\"http_date\",\"version\"\n";
    std::mt19937_64 rng(42);
    static const char* kServers[] = {"nginx/1.18.0 (Ubuntu)", "Apache/2.4.49 (Unix)", "Microsoft-IIS/10.0",
                                     "lighttpd/1.4.59"};
    static const char* kGeo[] = {"PK", "PK", "PK", "PK", "PK", "PK", "PK", "PK", "DE", "FR"};
    std::string line;
    char buf[512];
    for (std::int64_t i = 0; i < rows; ++i) {
        const auto r = rng();
        const char* geo = kGeo[r % 10];
        // 80% in the constituency (a random prefix), 20% elsewhere (not owned).
        std::uint32_t ip;
        if (geo[0] == 'P') ip = PrefixBase(static_cast<std::int64_t>((r >> 8) % static_cast<std::uint64_t>(prefixes))) + 1 + (i % 250);
        else ip = 0xC0000000u + static_cast<std::uint32_t>(i);
        const int sec = static_cast<int>(i % 86400);
        const int n = std::snprintf(
            buf, sizeof buf,
            "\"2026-01-14 %02d:%02d:%02d\",\"info\",\"%u.%u.%u.%u\",\"tcp\",%d,\"host-%lld.example.net\",\"http%s\","
            "%u,\"%s\",\"PUNJAB\",\"LAHORE\",517311,\"ptr\",\"Communications, Service Provider, and Hosting\","
            "\"HTTP/1.1\",200,\"OK\",\"text/html\",\"close\",\"\",\"\",\"%s\",%d,\"\",\"Wed, 14 Jan 2026 00:00:00 GMT\",\"\"\n",
            sec / 3600, sec / 60 % 60, sec % 60, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
            (r & 3) ? 80 : 443, static_cast<long long>(i), (r % 7 == 0) ? ";cve-2021-41773" : "",
            64496u + static_cast<unsigned>(r % 16), geo, kServers[(r >> 4) % 4], static_cast<int>(r % 4096));
        out.write(buf, n);
    }
}

std::vector<OrgInfo> Orgs() {
    std::vector<OrgInfo> orgs;
    orgs.push_back({1, core::NewUuidV7(), "National CERT", "national_cert", "/1/", "PK", 0, 0, "cert@cert.example.pk", "", ""});
    for (std::int64_t c = 0; c < kCerts; ++c)
        orgs.push_back({10 + c, core::NewUuidV7(), "Sector CERT " + std::to_string(c), "sectoral_cert",
                        "/1/" + std::to_string(10 + c) + "/", "PK", 1, 0, "", "", ""});
    orgs.push_back({5, core::NewUuidV7(), "CERT-DE", "partner_cert", "/1/5/", "DE", 1, 0, "cert@cert.example.de", "", ""});
    for (std::int64_t i = 0; i < kOrgs; ++i) {
        const std::int64_t id = 100 + kCerts + i;
        const std::int64_t cert = 10 + i % kCerts;
        orgs.push_back({id, core::NewUuidV7(), "Org " + std::to_string(i), "constituent",
                        "/1/" + std::to_string(cert) + "/" + std::to_string(id) + "/", "PK", cert, 0,
                        "abuse@org" + std::to_string(i) + ".example.pk", "", ""});
    }
    return orgs;
}

bool Seed(db::Database& db) {
    auto conn = db.Acquire();
    if (!conn || !db::Migrate(**conn)) return false;
    std::vector<db::Params> rows;
    for (const auto& o : Orgs())
        rows.push_back({o.id, o.uuid, o.name, o.kind, o.parent_id ? db::Value(o.parent_id) : db::Value(nullptr), o.path,
                        std::int64_t{1}, o.country, "{\"abuse_email\":\"" + o.abuse_email + "\"}", std::int64_t{0},
                        std::int64_t{0}});
    auto st = db::InTransaction(**conn, [&]() -> core::Status {
        MUHAFIZ_CHECK((*conn)->BulkInsert("organisations",
                                          {"id", "uuid", "name", "kind", "parent_id", "path", "depth", "country",
                                           "contacts", "created_at", "updated_at"},
                                          rows));
        return core::Ok();
    });
    if (!st) std::cerr << st.error().message << "\n";
    return static_cast<bool>(st);
}

void Stages(const std::string& report, std::int64_t rows, const std::shared_ptr<const constituency::OwnerIndex>& owners) {
    FeedConfig feed = DefaultFeed("bench", "shadowserver:scan_http");
    feed.tlp = "AMBER";
    ParseContext ctx;
    ctx.feed_code = "bench";
    ctx.observation = core::NowMicros();
    auto parser = *MakeParser(feed.format, ctx, report);
    auto reader = *ChunkReader::OpenFile(report);
    auto header = *reader->ReadFirstLine();
    (void)parser->Begin(*header);
    Deduplicator dedup({}, feed.dedup_window);
    Enricher enricher(nullptr, owners);
    Router router(feed, Directory::Build(Orgs()), "PK");
    double t_parse = 0, t_dedup = 0, t_enrich = 0, t_route = 0, t_rows = 0;
    std::int64_t events = 0, line = 2;
    std::string chunk;
    // Thread CPU time, not wall time: the figures stay comparable on a shared machine.
    struct clock {
        static double now() {
            timespec ts{};
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
            return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
        }
    };
    auto secs = [](double a, double b) { return b - a; };
    RoutedEvents used;  // the event list of the batch before, reused by the parser (as the pipeline does)
    while (*reader->Next(chunk, 1 << 20, true)) {
        auto t0 = clock::now();
        ParseOutput out;
        out.events = std::move(used);
        out.events.clear();
        parser->Parse(chunk, line, out);
        line += std::count(chunk.begin(), chunk.end(), '\n');
        Batch b;
        Adopt(out, b);
        auto t1 = clock::now();
        dedup.Process(b, ctx.observation);
        auto t2 = clock::now();
        enricher.Process(b);
        auto t3 = clock::now();
        router.Process(b);
        auto t4 = clock::now();
        // The stored form (migration 013): a shared base per batch and each event's own fields,
        // raw kept as bytes (what the pipeline's processing thread does for every row).
        std::size_t bytes = 0;
        {
            std::vector<const Event*> sample;
            for (std::size_t i = 0; i < b.events.size() && i < 32; ++i) sample.push_back(&b.events[i].event);
            const CompactBase base = MakeCompactBase(sample);
            std::string data;
            std::optional<std::string> raw;
            for (const auto& e : b.events) {
                if (!EncodeCompact(e.event, &base, data, raw)) data = e.event.ToJson();
                bytes += data.size() + (raw ? raw->size() : 0);
            }
        }
        auto t5 = clock::now();
        (void)bytes;
        t_parse += secs(t0, t1);
        t_dedup += secs(t1, t2);
        t_enrich += secs(t2, t3);
        t_route += secs(t3, t4);
        t_rows += secs(t4, t5);
        events += static_cast<std::int64_t>(b.events.size());
        used = std::move(b.events);
    }
    auto rate = [&](double t) { return static_cast<long long>(static_cast<double>(events) / std::max(t, 1e-9)); };
    std::printf("stages in memory (%lld events, one thread each, per CPU-second):\n", static_cast<long long>(events));
    std::printf("  parse + sanitise   %10lld events/s\n", rate(t_parse));
    std::printf("  deduplicate        %10lld events/s\n", rate(t_dedup));
    std::printf("  enrich (owner LPM) %10lld events/s\n", rate(t_enrich));
    std::printf("  route + rules      %10lld events/s\n", rate(t_route));
    std::printf("  serialise (stored) %10lld events/s\n", rate(t_rows));
    (void)rows;
}

// One ingest of `report` into the database at `url`, its figures printed; `per_core` gets its
// events per CPU-second. `judged`: the SQLite figure of a single run, marked when it misses the
// target (several runs are judged by their median instead).
int EndToEnd(const std::string& url, const std::string& label, const std::string& report, std::int64_t rows,
             const std::shared_ptr<const constituency::OwnerIndex>& owners, double* per_core_out = nullptr,
             bool judged = false) {
    auto db = db::Database::Open(url);
    if (!db || !Seed(**db)) {
        std::cerr << label << ": cannot open or prepare " << url << "\n";
        return 1;
    }
    FeedStore store(**db);
    FeedsConfig config;
    FeedConfig feed = DefaultFeed("bench", "shadowserver:scan_http");
    feed.tlp = "AMBER";
    feed.keep_raw = std::getenv("FEEDS_BENCH_NO_RAW") == nullptr;
    config.feeds.push_back(feed);
    PipelineOptions options;
    options.home_country = "PK";
    Pipeline pipeline(store, config, [owners] { return owners; }, nullptr, options);
    IngestRequest req;
    req.feed = "bench";
    req.path = report;
    req.file_name = fs::path(report).filename().string();
    if (const char* c = std::getenv("FEEDS_BENCH_CHUNK_KIB")) req.chunk_bytes = std::stoull(c) * 1024;
    double sys0 = 0, sys1 = 0;
    const double cpu0 = CpuSeconds(&sys0);
    const auto t0 = std::chrono::steady_clock::now();
    auto s = pipeline.Ingest(req);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = CpuSeconds(&sys1) - cpu0;
    if (!s) {
        std::cerr << label << ": " << s.error().message << "\n";
        return 1;
    }
    const double per_wall = static_cast<double>(s->run.events) / wall;
    const double per_core = static_cast<double>(s->run.events) / std::max(cpu, 1e-9);
    std::printf("end to end into %s: %lld lines, %lld events stored in %.2f s = %.0f events/s (wall); "
                "%.2f CPU s = %.0f events/s per core%s; queue high water %zu batches\n",
                label.c_str(), static_cast<long long>(s->run.lines_read), static_cast<long long>(s->run.events), wall,
                per_wall, cpu, per_core, judged && per_core < kTargetPerCore ? "  TARGET MISSED" : "",
                s->queue_high_water);
    if (per_core_out) *per_core_out = per_core;
    auto per = [&](double t) { return static_cast<long long>(static_cast<double>(s->run.events) / std::max(t, 1e-9)); };
    std::printf("  CPU per thread: parse + stages %.2f s (%lld events/s), process (closing blocks) %.2f s "
                "(%lld events/s), store %.2f s "
                "(%lld events/s)\n",
                s->parse_cpu_seconds, per(s->parse_cpu_seconds), s->process_cpu_seconds, per(s->process_cpu_seconds),
                s->store_cpu_seconds, per(s->store_cpu_seconds));
    std::printf("  of the %.2f CPU s, %.2f s in the kernel (reading the report, writing the database, page faults)\n", cpu,
                sys1 - sys0);
    std::int64_t recipients = static_cast<std::int64_t>(s->per_recipient.size());
    std::printf("  routed to %lld recipient organisations\n", static_cast<long long>(recipients));
    // The database's size after the ingest (SQLite: pages in use; PostgreSQL: the database).
    if (auto conn = (*db)->Acquire()) {
        auto size = (*conn)->dialect() == db::Dialect::kSqlite
                        ? (*conn)->Query("SELECT (SELECT page_count FROM pragma_page_count()) * "
                                         "(SELECT page_size FROM pragma_page_size())")
                        : (*conn)->Query("SELECT pg_database_size(current_database())");
        if (size && !size->empty())
            std::printf("  database size: %.0f MiB (%.0f bytes per event)\n",
                        static_cast<double>((*size)[0].Int(0)) / (1 << 20),
                        static_cast<double>((*size)[0].Int(0)) / std::max<double>(1, static_cast<double>(s->run.events)));
        // How the events are stored (migration 019): blocks, their text (as stored: packed on
        // SQLite), owner entries.
        const bool sqlite = (*conn)->dialect() == db::Dialect::kSqlite;
        auto blocks = (*conn)->Query(
            std::string("SELECT COUNT(*), COALESCE(SUM(n), 0), COALESCE(SUM(") +
                (sqlite ? "LENGTH(CAST(data AS BLOB))" : "OCTET_LENGTH(data)") +
                "), 0), (SELECT COUNT(*) FROM feed_event_block_owners) FROM feed_event_blocks WHERE run_id = ?",
            {s->run.id});
        double text_bytes = 0;  // (one block at a time: the figure of peak memory is the ingest's)
        if (auto ids = (*conn)->Query("SELECT id FROM feed_event_blocks WHERE run_id = ?", {s->run.id}))
            for (const auto& id : *ids)
                if (auto data = (*conn)->Query("SELECT data FROM feed_event_blocks WHERE id = ?", {id.Int(0)});
                    data && !data->empty())
                    if (auto text = UnpackBlockText((*data)[0].Str(0))) text_bytes += static_cast<double>(text->size());
        if (blocks && !blocks->empty()) {
            const auto& b = (*blocks)[0];
            const double n = std::max<double>(1, static_cast<double>(b.Int(1)));
            std::printf("  stored as %lld blocks (%.0f events each), %.0f bytes of block text per event (%.0f as stored), "
                        "%lld owner entries\n",
                        static_cast<long long>(b.Int(0)), n / std::max<double>(1, static_cast<double>(b.Int(0))),
                        text_bytes / n, static_cast<double>(b.Int(2)) / n, static_cast<long long>(b.Int(3)));
        }
        // A list by address (GET /api/v1/feeds/events?ip=): the blocks' address filters (migration
        // 021) leave out those that cannot hold it.
        EventFilter any;
        any.limit = 1;
        if (auto first = store.ListEvents(any); first && !first->items.empty() && blocks && !blocks->empty()) {
            EventFilter by_ip;
            by_ip.ip = first->items[0].source_ip;
            const std::int64_t decoded = store.blocks_decoded();
            const auto t_ip = std::chrono::steady_clock::now();
            auto found = store.ListEvents(by_ip);
            const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_ip).count();
            if (found)
                std::printf("  list by address (?ip=%s): %lld events in %.1f ms, %lld block reads of %lld blocks\n",
                            by_ip.ip.c_str(), static_cast<long long>(found->total), ms,
                            static_cast<long long>(store.blocks_decoded() - decoded),
                            static_cast<long long>((*blocks)[0].Int(0)));
        }
    }
    (void)rows;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::int64_t rows = 1000000, prefixes = 1000000;
    std::string pg;
    bool keep = false, stages = true;
    std::int64_t runs = 3;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        // A count option's value: a positive whole number (else a message, and exit 2).
        const auto count = [&](std::int64_t& into) {
            const std::string v = argv[++i];
            std::int64_t n = 0;
            const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
            if (r.ec != std::errc() || r.ptr != v.data() + v.size() || n < 1) {
                std::cerr << a << " takes a positive whole number, not '" << v << "'\n";
                return false;
            }
            into = n;
            return true;
        };
        if (a == "--rows" && i + 1 < argc) {
            if (!count(rows)) return 2;
        } else if (a == "--prefixes" && i + 1 < argc) {
            if (!count(prefixes)) return 2;
        } else if (a == "--runs" && i + 1 < argc) {
            if (!count(runs)) return 2;
        } else if (a == "--database" && i + 1 < argc) {
            pg = argv[++i];
        } else if (a == "--keep") {
            keep = true;
        } else if (a == "--no-stages") {
            stages = false;
        } else {
            if (a != "--help" && a != "-h") std::cerr << "unknown option " << a << "\n";
            std::cerr << "usage: feeds_bench [--rows N] [--prefixes N] [--database postgresql://...] [--runs N] [--keep]\n"
                         "                   [--no-stages]\n"
                         "  --rows N         rows of the generated scan_http report (default 1000000)\n"
                         "  --prefixes N     prefixes of the generated constituency (default 1000000)\n"
                         "  --database URL   also run end to end into this PostgreSQL database\n"
                         "  --runs N         ingests into SQLite, each into a new database (default 3): the\n"
                         "                   target is judged on their median (on a shared machine a single\n"
                         "                   run's CPU time can move by a quarter or more with its load)\n"
                         "  --keep           keep the generated report and SQLite databases\n"
                         "  --no-stages      skip the per-stage figures (end to end only; for profiling)\n";
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    const fs::path dir = fs::temp_directory_path() / ("feeds-bench-" + core::RandomToken(6));
    fs::create_directories(dir);
    const std::string report = (dir / "2026-01-14-scan_http-pk.csv").string();
    auto t0 = std::chrono::steady_clock::now();
    WriteReport(report, rows, prefixes);
    auto owners = BuildOwners(prefixes);
    std::printf("generated %lld rows (%.0f MiB) and %lld prefixes of %lld organisations in %.1f s\n",
                static_cast<long long>(rows), static_cast<double>(fs::file_size(report)) / (1 << 20),
                static_cast<long long>(prefixes), static_cast<long long>(kOrgs),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (stages) Stages(report, rows, owners);
    int rc = 0;
    std::vector<double> per_core(static_cast<std::size_t>(runs));
    for (std::int64_t r = 0; r < runs; ++r)
        rc |= EndToEnd((dir / ("bench-" + std::to_string(r + 1) + ".db")).string(), "SQLite", report, rows, owners,
                       &per_core[static_cast<std::size_t>(r)], runs == 1);
    if (runs > 1 && rc == 0) {
        std::string each;
        for (const double x : per_core) each += (each.empty() ? "" : ", ") + std::to_string(std::lround(x));
        std::sort(per_core.begin(), per_core.end());
        const std::size_t mid = per_core.size() / 2;
        const double median = per_core.size() % 2 ? per_core[mid] : (per_core[mid - 1] + per_core[mid]) / 2;
        std::printf("end to end into SQLite, median of %lld runs: %.0f events/s per core (runs: %s)%s\n", static_cast<long long>(runs), median,
                    each.c_str(), median < kTargetPerCore ? "  TARGET MISSED" : "");
    }
    if (!pg.empty()) rc |= EndToEnd(pg, "PostgreSQL", report, rows, owners);
    const double rss = PeakRssMiB();
    std::printf("peak RSS: %.0f MiB%s\n", rss, rss > 1024 ? "  TARGET MISSED (1 GiB)" : "");
    if (!keep) fs::remove_all(dir);
    return rc;
}
