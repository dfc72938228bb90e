// vuln_ingest_bench: generates N realistic synthetic CVE 5 records (varied affected entries,
// CVSS 3.1/4.0 metrics, some without a score, CISA-ADP containers) into a temporary folder (or
// a zip bundle with --zip), imports them into a fresh SQLite database (and into PostgreSQL when
// --database URL is given) and prints
//   cve import: N records in S s = R records/s (SQLite)
// with "TARGET MISSED" under 5,000 records/s.
#include <zip.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "db/migrations.hpp"
#include "vulns/ingest.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace muhafiz;

namespace {

constexpr double kTarget = 5000;

const char* const kVendors[] = {"apache",    "microsoft", "oracle", "cisco",
                                "fortinet",  "google",    "linux",  "redhat",
                                "palo_alto", "jenkins",   "gitlab", "vmware"};
const char* const kProducts[] = {
    "http_server", "windows",          "database", "ios_xe",  "fortios", "chrome",
    "kernel",      "enterprise_linux", "pan-os",   "jenkins", "gitlab",  "esxi",
    "tomcat",      "exchange",         "weblogic", "openssl", "log4j",   "struts"};
const char* const kVectors[] = {
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:L/A:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"};
const char* const kVectors4[] = {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                                 "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"};

std::string Version(std::mt19937& rng) {
    return std::to_string(rng() % 12) + "." + std::to_string(rng() % 20) + "." +
           std::to_string(rng() % 30);
}

std::string Record(std::mt19937& rng, int year, int number) {
    const std::string id = "CVE-" + std::to_string(year) + "-" + std::to_string(number);
    const std::string date = std::to_string(year) + "-0" + std::to_string(1 + rng() % 9) + "-1" +
                             std::to_string(rng() % 10) + "T12:00:00.000Z";
    json::array affected;
    const int entries = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < entries; ++e) {
        const char* vendor = kVendors[rng() % std::size(kVendors)];
        const char* product = kProducts[rng() % std::size(kProducts)];
        json::array versions;
        const int ranges = 1 + static_cast<int>(rng() % 4);
        for (int v = 0; v < ranges; ++v) {
            json::object item{{"version", v == 0 ? std::string("0") : Version(rng)},
                              {"status", "affected"},
                              {"versionType", rng() % 3 ? "semver" : "custom"}};
            item[rng() % 2 ? "lessThan" : "lessThanOrEqual"] = Version(rng);
            versions.push_back(std::move(item));
        }
        json::object entry{{"vendor", vendor},
                           {"product", product},
                           {"versions", std::move(versions)},
                           {"defaultStatus", rng() % 2 ? "unaffected" : "unknown"}};
        if (rng() % 3 == 0)
            entry["cpes"] = json::array{std::string("cpe:2.3:a:") + vendor + ":" + product +
                                        ":*:*:*:*:*:*:*:*"};
        affected.push_back(std::move(entry));
    }
    json::array metrics;
    json::object v31{{"version", "3.1"}, {"vectorString", kVectors[rng() % std::size(kVectors)]}};
    if (rng() % 5) v31["baseScore"] = 7.5, v31["baseSeverity"] = "HIGH";  // else scored on import
    metrics.push_back(json::object{{"cvssV3_1", std::move(v31)}});
    if (rng() % 4 == 0)
        metrics.push_back(json::object{
            {"cvssV4_0", json::object{{"version", "4.0"},
                                      {"vectorString", kVectors4[rng() % std::size(kVectors4)]},
                                      {"baseScore", 8.7},
                                      {"baseSeverity", "HIGH"}}}});
    json::object cna{
        {"providerMetadata",
         json::object{{"orgId", core::NewUuidV4()}, {"shortName", "bench"}, {"dateUpdated", date}}},
        {"title", "Synthetic vulnerability " + id},
        {"descriptions",
         json::array{json::object{{"lang", "en"},
                                  {"value",
                                   "A synthetic flaw in a product lets a remote attacker "
                                   "run code via crafted requests (" +
                                       id + ")."}}}},
        {"affected", std::move(affected)},
        {"metrics", std::move(metrics)},
        {"problemTypes",
         json::array{json::object{
             {"descriptions",
              json::array{json::object{{"type", "CWE"},
                                       {"lang", "en"},
                                       {"cweId", "CWE-" + std::to_string(20 + rng() % 900)},
                                       {"description", "Improper input validation"}}}}}}},
        {"references", json::array{json::object{{"url", "https://example.org/advisories/" + id},
                                                {"tags", json::array{"vendor-advisory"}}}}}};
    json::object containers{{"cna", std::move(cna)}};
    if (rng() % 3 == 0)
        containers["adp"] = json::array{json::object{
            {"providerMetadata", json::object{{"shortName", "CISA-ADP"}, {"dateUpdated", date}}},
            {"metrics",
             json::array{json::object{
                 {"other",
                  json::object{
                      {"type", "ssvc"},
                      {"content",
                       json::object{{"options", json::array{json::object{{"Exploitation", "none"}},
                                                            json::object{{"Automatable", "no"}},
                                                            json::object{{"Technical Impact",
                                                                          "partial"}}}}}}}}}}}}};
    return json::serialize(
        json::object{{"dataType", "CVE_RECORD"},
                     {"dataVersion", "5.1"},
                     {"cveMetadata", json::object{{"cveId", id},
                                                  {"assignerOrgId", core::NewUuidV4()},
                                                  {"assignerShortName", "bench"},
                                                  {"state", "PUBLISHED"},
                                                  {"datePublished", date},
                                                  {"dateUpdated", date}}},
                     {"containers", std::move(containers)}});
}

// cves/<year>/<n>xxx/CVE-<year>-<n>.json for every record.
template <typename Sink>
void Generate(std::size_t n, Sink&& sink) {
    std::mt19937 rng(20260101);
    for (std::size_t i = 0; i < n; ++i) {
        const int year = 2015 + static_cast<int>(i % 11);
        const int number = 1000 + static_cast<int>(i / 11);
        const std::string rel = "cves/" + std::to_string(year) + "/" +
                                std::to_string(number / 1000) + "xxx/CVE-" + std::to_string(year) +
                                "-" + std::to_string(number) + ".json";
        sink(rel, Record(rng, year, number));
    }
}

int Import(const std::string& url, const std::string& label, const std::string& path,
           std::size_t n) {
    auto db = db::Database::Open(url);
    if (!db) {
        std::cerr << label << ": " << db.error().message << "\n";
        return 1;
    }
    {
        auto conn = (*db)->Acquire();
        if (!conn || !db::Migrate(**conn)) {
            std::cerr << label << ": cannot migrate\n";
            return 1;
        }
    }
    vulns::VulnStore store(**db);
    const std::clock_t cpu = std::clock();
    auto report = vulns::IngestPath(store, path);
    const double cpu_seconds = static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC;
    if (!report) {
        std::cerr << label << ": " << report.error().message << "\n";
        return 1;
    }
    const double rate = static_cast<double>(report->records) / report->seconds;
    std::printf("cve import: %lld records in %.2f s = %.0f records/s (%s)%s\n",
                static_cast<long long>(report->records), report->seconds, rate, label.c_str(),
                rate < kTarget ? "  TARGET MISSED (5,000/s)" : "");
    std::printf("  %s; CPU %.2f s of this process\n", vulns::FormatIngestReport(*report).c_str(),
                cpu_seconds);
    if (static_cast<std::size_t>(report->inserted) != n)
        std::printf("  expected %zu inserted\n", n);
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t n = 250000;
    std::string pg_url;
    bool as_zip = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--records" && i + 1 < argc) {
            n = std::stoul(argv[++i]);
        } else if (arg == "--database" && i + 1 < argc) {
            pg_url = argv[++i];
        } else if (arg == "--zip") {
            as_zip = true;
        } else {
            std::cerr
                << "usage: vuln_ingest_bench [--records N] [--database postgresql://...] [--zip]\n";
            return 2;
        }
    }
    const fs::path dir =
        fs::temp_directory_path() / ("muhafiz-ingest-bench-" + core::RandomToken(6));
    fs::create_directories(dir);
    std::string source = (dir / "records").string();
    const core::Micros start = core::NowMicros();
    if (as_zip) {
        source = (dir / "bundle.zip").string();
        int error = 0;
        zip_t* zip = zip_open(source.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
        if (!zip) return 1;
        Generate(n, [&](const std::string& rel, std::string text) {
            char* copy = static_cast<char*>(std::malloc(text.size()));
            std::copy(text.begin(), text.end(), copy);
            zip_source_t* src = zip_source_buffer(zip, copy, text.size(), 1);
            const zip_int64_t index = zip_file_add(zip, rel.c_str(), src, ZIP_FL_OVERWRITE);
            zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 1);
        });
        if (zip_close(zip) != 0) return 1;
    } else {
        Generate(n, [&](const std::string& rel, const std::string& text) {
            const fs::path file = fs::path(source) / rel;
            fs::create_directories(file.parent_path());
            std::ofstream(file, std::ios::binary) << text;
        });
    }
    std::printf("generated %zu records into %s in %.1f s\n", n, source.c_str(),
                static_cast<double>(core::NowMicros() - start) / 1e6);
    int rc = Import((dir / "bench.db").string(), "SQLite", source, n);
    if (!pg_url.empty()) rc |= Import(pg_url, "PostgreSQL", source, n);
    fs::remove_all(dir);
    return rc;
}
