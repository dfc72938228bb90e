// incidents_bench: loads N incidents and M observables into a fresh database (SQLite in a
// temporary folder, or a fresh schema of the PostgreSQL server given by --database), then measures
// in process, through IncidentStore as a sectoral CERT analyst sees it:
//   - p50/p99 of a filtered list page (status + severity + classification, sorted, with total),
//   - p50/p99 of a full-text search page (q=<two words>, with total),
//   - incidents created per second through CreateMany (the bulk endpoint's path), in batches.
// Not a test: prints figures, asserts nothing. The size is the default (200,000 incidents,
// 2,000,000 observables); --incidents/--observables make it smaller on a slow machine.
// Usage: incidents_bench [--incidents N] [--observables M] [--bulk K] [--queries Q] [--database URL]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "core/json.hpp"
#include "db/audit_sink.hpp"
#include "db/database.hpp"
#include "db/migrations.hpp"
#include "incidents/incident_store.hpp"

namespace {

using namespace muhafiz;
using Clock = std::chrono::steady_clock;

struct NullAudit : db::AuditSink {
    core::Status Append(db::Connection&, const db::AuditRecord&) const override { return core::Ok(); }
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void Die(const std::string& what) {
    std::fprintf(stderr, "incidents_bench: %s\n", what.c_str());
    std::exit(1);
}

template <typename T>
T Check(core::Result<T> r, const char* what) {
    if (!r) Die(std::string(what) + ": " + r.error().message);
    return std::move(*r);
}
void Check(core::Status s, const char* what) {
    if (!s) Die(std::string(what) + ": " + s.error().message);
}

struct Percentiles {
    double p50, p99;
};
Percentiles Measure(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))]; };
    return {at(0.50), at(0.99)};
}

const char* kWords[] = {"phishing", "ransomware", "botnet",  "scanner", "defacement", "leak",    "credential",
                        "banking",  "telecom",    "ministry", "portal",  "malware",    "ddos",    "exploit",
                        "vpn",      "webmail",    "sms",      "payment", "firmware",   "insider", "router"};
const std::pair<const char*, const char*> kClasses[] = {
    {"fraud", "phishing"},          {"malicious-code", "infected-system"}, {"availability", "ddos"},
    {"intrusions", "system-compromise"}, {"information-gathering", "scanner"}, {"vulnerable", "vulnerable-system"},
    {"abusive-content", "spam"},    {"information-content-security", "data-leak"}};
const char* kStatuses[] = {"new", "triaged", "in_progress", "contained", "resolved", "closed"};
const char* kSeverities[] = {"low", "medium", "high", "critical"};

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
    std::int64_t n_incidents = 200000, n_observables = 2000000, n_bulk = 20000;
    int queries = 300;
    std::string database;
    bool keep = false;  // leave the SQLite file or the PostgreSQL schema (printed) for inspection
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) Die("missing value after " + a);
            return argv[++i];
        };
        if (a == "--incidents") n_incidents = std::stoll(next());
        else if (a == "--observables") n_observables = std::stoll(next());
        else if (a == "--bulk") n_bulk = std::stoll(next());
        else if (a == "--queries") queries = std::stoi(next());
        else if (a == "--database") database = next();
        else if (a == "--keep") keep = true;
        else if (a == "--help" || a == "-h") {
            std::puts("usage: incidents_bench [--incidents N] [--observables M] [--bulk K] [--queries Q] [--database URL]");
            return 0;
        } else Die("unknown argument " + a);
    }

    std::filesystem::path tmp;
    std::string url = database;
    std::string schema;
    if (url.empty()) {
        tmp = std::filesystem::temp_directory_path() / ("incidents-bench-" + core::RandomToken(6));
        std::filesystem::create_directories(tmp);
        url = (tmp / "bench.db").string();
    } else {
        schema = "bench_" + core::HexEncode(core::RandomToken(4)).substr(0, 8);
        for (char& c : schema) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto admin = Check(db::Database::Open(url), "connect");
        auto conn = Check(admin->Acquire(), "acquire");
        Check(conn->ExecuteScript("CREATE SCHEMA " + schema), "create schema");
        url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("options=-csearch_path%3D") + schema;
    }
    db::Options options;
    options.cache_kib = 262144;
    auto db = Check(db::Database::Open(url, options), "open");
    const bool pg = db->dialect() == db::Dialect::kPostgres;
    std::printf("incidents_bench on %s: %lld incidents, %lld observables\n", pg ? "PostgreSQL" : "SQLite",
                static_cast<long long>(n_incidents), static_cast<long long>(n_observables));
    {
        auto conn = Check(db->Acquire(), "acquire");
        Check(db::Migrate(*conn), "migrate");
    }

    // The constituency: National CERT, 10 sectoral CERTs, 20 constituents each.
    std::vector<std::pair<std::int64_t, std::string>> constituents;  // id, path
    {
        auto conn = Check(db->Acquire(), "acquire");
        Check(db::InTransaction(*conn, [&]() -> core::Status {
            auto ins = [&](std::int64_t id, std::int64_t parent, const std::string& path, const std::string& kind,
                           const std::string& sector) -> core::Status {
                MUHAFIZ_TRY(conn->Execute(
                    "INSERT INTO organisations (id, uuid, name, kind, parent_id, path, depth, sector, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, 0, 0)",
                    {id, core::NewUuidV7(), kind + " " + std::to_string(id), kind,
                     parent ? db::Value(parent) : db::Null(), path, sector}));
                return core::Ok();
            };
            MUHAFIZ_CHECK(ins(1, 0, "/1/", "national_cert", ""));
            std::int64_t id = 2;
            for (int s = 0; s < 10; ++s) {
                const std::int64_t cert = id++;
                const std::string cpath = "/1/" + std::to_string(cert) + "/";
                MUHAFIZ_CHECK(ins(cert, 1, cpath, "sectoral_cert", s < 5 ? "banking" : "telecom"));
                for (int c = 0; c < 20; ++c) {
                    const std::int64_t org = id++;
                    const std::string opath = cpath + std::to_string(org) + "/";
                    MUHAFIZ_CHECK(ins(org, cert, opath, "constituent", ""));
                    constituents.emplace_back(org, opath);
                }
            }
            MUHAFIZ_TRY(conn->Execute(
                "INSERT INTO users (id, uuid, username, password_hash, organisation_id, role, created_at, updated_at) "
                "VALUES (1, ?, 'bench', 'x', 2, 'analyst', 0, 0)",
                {core::NewUuidV7()}));
            return core::Ok();
        }), "constituency");
    }

    // Bulk load: incidents, their classes and observables.
    std::mt19937_64 rng(42);
    const auto t_load = Clock::now();
    {
        auto conn = Check(db->Acquire(), "acquire");
        const std::int64_t base = 1'780'000'000LL * 1000000;
        const std::int64_t chunk = 20000;
        const int year = std::stoi(core::FormatRfc3339(core::NowMicros()).substr(0, 4));
        Check(conn->Execute("INSERT INTO incident_counters (year, last_number) VALUES (?, ?)", {std::int64_t{year}, n_incidents}),
              "counter");
        for (std::int64_t start = 1; start <= n_incidents; start += chunk) {
            const std::int64_t end = std::min(n_incidents + 1, start + chunk);
            std::vector<db::Params> incidents, classes;
            for (std::int64_t id = start; id < end; ++id) {
                const auto& org = constituents[rng() % constituents.size()];
                const std::string cert_path2 = org.second.substr(0, org.second.find('/', 3) + 1);
                const auto& cls = kClasses[rng() % std::size(kClasses)];
                const int sev = static_cast<int>(rng() % 4);
                std::string title = std::string(kWords[rng() % std::size(kWords)]) + " " + kWords[rng() % std::size(kWords)] +
                                    " incident " + std::to_string(id);
                std::string desc;
                // A vocabulary of 21 x 250 words, so that a search word is as selective as in real text.
                for (int w = 0; w < 12; ++w)
                    desc += std::string(kWords[rng() % std::size(kWords)]) + std::to_string(rng() % 250) + " ";
                const std::int64_t created = base + id * 1000000;
                incidents.push_back({id, core::NewUuidV7(), core::ShortReference("INC", year, id), title, desc,
                                     std::string("[{\"class\":\"") + cls.first + "\",\"type\":\"" + cls.second + "\"}]",
                                     std::string(kSeverities[sev]), std::int64_t{sev}, std::string("TLP:AMBER"),
                                     std::string("PAP:AMBER"), std::string(kStatuses[rng() % std::size(kStatuses)]),
                                     org.first, org.second, std::stoll(cert_path2.substr(3)), cert_path2,
                                     std::string("banking"), std::string("nis2"), created, created + 86400LL * 1000000,
                                     created, created, incidents::ClassBit(cls.first)});
                classes.push_back({id, std::string(cls.first), std::string(cls.second)});
            }
            Check(db::InTransaction(*conn, [&]() -> core::Result<std::int64_t> {
                MUHAFIZ_TRY(conn->BulkInsert("incidents",
                                             {"id", "uuid", "reference", "title", "description", "classification",
                                              "severity", "severity_rank", "tlp", "pap", "status", "organisation_id",
                                              "org_path", "handling_org_id", "handling_path", "sector", "regime",
                                              "aware_at", "next_due_at", "created_at", "updated_at", "class_mask"},
                                             incidents));
                return conn->BulkInsert("incident_classes", {"incident_id", "class", "type"}, classes);
            }), "load incidents");
        }
        const char* types[] = {"ip", "domain", "url", "hash", "email"};
        for (std::int64_t start = 0; start < n_observables; start += 100000) {
            const std::int64_t end = std::min(n_observables, start + 100000);
            std::vector<db::Params> rows;
            for (std::int64_t k = start; k < end; ++k) {
                const std::int64_t incident = 1 + k % n_incidents;
                const int t = static_cast<int>((k / n_incidents) % 5);
                // Values repeat across incidents (so that "seen in other incidents" has matches) but
                // never within one incident.
                const std::int64_t round = k / n_incidents;
                const std::int64_t v = (incident * 7 + round * 99991) % (n_observables / 4 + 1);
                std::string value = t == 0 ? "10." + std::to_string(v / 65536 % 256) + "." + std::to_string(v / 256 % 256) + "." + std::to_string(v % 256)
                                  : t == 1 ? "host" + std::to_string(v) + ".example.net"
                                  : t == 2 ? "https://bad" + std::to_string(v) + ".example.org/login"
                                  : t == 3 ? core::Sha256Hex(std::to_string(v))
                                           : "user" + std::to_string(v) + "@example.com";
                rows.push_back({incident, std::string(types[t]), value, std::string("TLP:AMBER"), std::int64_t{0}});
            }
            Check(db::InTransaction(*conn, [&]() -> core::Result<std::int64_t> {
                return conn->BulkInsert("incident_observables", {"incident_id", "type", "value", "tlp", "created_at"}, rows);
            }), "load observables");
        }
        if (pg) {
            Check(conn->ExecuteScript("SELECT setval(pg_get_serial_sequence('incidents', 'id'), (SELECT MAX(id) FROM incidents))"),
                  "sequence");
            // The steady state autovacuum keeps: statistics and the visibility map (index-only scans).
            Check(conn->ExecuteScript("VACUUM ANALYZE"), "vacuum");
        } else {
            Check(conn->ExecuteScript("ANALYZE;"), "analyze");
        }
    }
    std::printf("  load: %.1f s (generation and bulk insert, not a figure of the product)\n", Ms(Clock::now() - t_load) / 1000);

    NullAudit audit;
    access::Policy policy;
    incidents::StoreOptions so;
    so.attachments_dir = std::filesystem::temp_directory_path() / "incidents-bench-attachments";
    incidents::IncidentStore store(*db, audit, policy, nullptr, incidents::RegimeSet::Default(), so);

    access::Principal analyst;
    analyst.user_id = 1;
    analyst.username = "bench";
    analyst.organisation_id = 2;
    analyst.organisation_path = "/1/2/";
    analyst.organisation_kind = "sectoral_cert";
    analyst.role = access::Role::kAnalyst;
    analyst.scopes = {"read", "write"};
    access::Principal national = analyst;
    national.organisation_id = 1;
    national.organisation_path = "/1/";
    national.organisation_kind = "national_cert";
    national.is_national = true;

    auto run = [&](const char* name, const access::Principal& who, auto make_filter) {
        std::vector<double> times;
        std::int64_t total = 0;
        for (int q = 0; q < queries; ++q) {
            incidents::IncidentFilter f = make_filter(q);
            const auto t0 = Clock::now();
            auto page = store.List(f, &who);
            times.push_back(Ms(Clock::now() - t0));
            if (!page) Die(std::string(name) + ": " + page.error().message);
            total += page->total;
        }
        auto p = Measure(times);
        std::printf("  %-58s p50 %7.2f ms  p99 %7.2f ms  (mean total %lld)\n", name, p.p50, p.p99,
                    static_cast<long long>(total / std::max(1, queries)));
    };
    run("filtered list, sectoral CERT (status+severity+class)", analyst, [&](int q) {
        incidents::IncidentFilter f;
        f.statuses = {static_cast<incidents::Status>(q % 3)};
        f.severities = {static_cast<incidents::Severity>(q % 4)};
        f.classes = {{kClasses[q % std::size(kClasses)].first, ""}};
        f.limit = 50;
        return f;
    });
    run("filtered list, National CERT (status+severity, sort -created)", national, [&](int q) {
        incidents::IncidentFilter f;
        f.statuses = {static_cast<incidents::Status>(q % 3)};
        f.severities = {static_cast<incidents::Severity>(q % 4)};
        f.limit = 50;
        return f;
    });
    run("full-text search, National CERT (q=one common word)", national, [&](int q) {
        incidents::IncidentFilter f;
        f.q = kWords[q % std::size(kWords)];
        f.limit = 50;
        return f;
    });
    run("full-text search, sectoral CERT (q=two words)", analyst, [&](int q) {
        incidents::IncidentFilter f;
        f.q = std::string(kWords[q % std::size(kWords)]) + std::to_string(q % 250) + " " + kWords[(q * 7 + 3) % std::size(kWords)];
        f.limit = 50;
        return f;
    });
    run("full-text search, National CERT (q=one rare word + status)", national, [&](int q) {
        incidents::IncidentFilter f;
        f.q = std::string("incident ") + std::to_string(1000 + q * 37);
        f.statuses = {incidents::Status::kNew, incidents::Status::kTriaged};
        f.limit = 50;
        return f;
    });

    // Bulk creation through the store (the path of POST /incidents/bulk), batches of 1,000.
    if (n_bulk > 0) {
        std::vector<incidents::IncidentInput> batch;
        for (int k = 0; k < 1000; ++k) {
            incidents::IncidentInput in;
            in.title = std::string("bulk ") + kWords[k % std::size(kWords)] + " " + std::to_string(k);
            in.description = "created by incidents_bench";
            in.classification = std::vector<incidents::Classification>{{"fraud", "phishing"}};
            in.severity = incidents::Severity::kHigh;
            in.organisation = std::nullopt;
            batch.push_back(in);
        }
        core::Actor actor{1, "bench", 2, "bench"};
        std::int64_t created = 0;
        const auto t0 = Clock::now();
        while (created < n_bulk) {
            auto r = store.CreateMany(batch, &analyst, actor);
            if (!r) Die("bulk: " + r.error().message);
            created += static_cast<std::int64_t>(r->size());
        }
        const double s = Ms(Clock::now() - t0) / 1000;
        std::printf("  bulk create (CreateMany, batches of 1,000): %lld incidents in %.2f s = %.0f incidents/s\n",
                    static_cast<long long>(created), s, created / s);
    }

    db.reset();
    if (!tmp.empty() && !keep) std::filesystem::remove_all(tmp);
    if (keep) std::printf("  kept %s\n", url.c_str());
    if (!schema.empty() && keep) std::printf("  kept schema %s\n", schema.c_str());
    if (!schema.empty() && !keep) {
        auto admin = Check(db::Database::Open(database), "connect");
        auto conn = Check(admin->Acquire(), "acquire");
        (void)conn->ExecuteScript("DROP SCHEMA " + schema + " CASCADE");
    }
    return 0;
}
