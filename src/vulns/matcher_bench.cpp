// vuln_match_bench (`make bench`): generates 250,000 CVE records and 100,000 assets over a few
// thousand products, builds the match index, runs the full match on every core and then the
// incremental match of one new CVE (median of 100), and prints the figures the issue asks for:
// full match ≤ 30 s, incremental ≤ 10 ms.
//
// The data is synthetic but shaped like the real feeds: 5,000 products whose popularity (among
// CVEs and among assets alike) follows a Zipf law (s = 0.8); each product has a release history
// of 30 versions in its ecosystem's syntax; records name products by vendor/product (60%, a third
// of them with NVD CPE configurations too), by Maven, npm, PyPI or Debian package (35%), or use
// `custom` ranges that cannot be ordered (5%); ranges cover one to four consecutive releases.
// Assets pick a product by the same law and one of its versions, named by CPE, by
// vendor/product/version or by purl.
#include <algorithm>
#include <cmath>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "vulns/matcher.hpp"

namespace mv = muhafiz::vulns;

namespace {

constexpr int kProducts = 5000;
constexpr int kRecords = 250000;
constexpr int kAssets = 100000;
constexpr int kVersions = 30;
constexpr int kIncremental = 100;

enum class Kind { kVendorProduct, kMaven, kNpm, kPypi, kDeb, kCustom };

struct Product {
    Kind kind;
    std::string vendor, product;
    std::vector<std::string> versions;  // ascending
};

std::string VersionText(Kind kind, int major, int minor, int patch) {
    const std::string base = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    switch (kind) {
        case Kind::kDeb: return base + "-" + std::to_string(1 + patch % 3) + "+deb12u" + std::to_string(minor % 4);
        case Kind::kPypi: return patch % 7 == 6 ? base + "rc1" : base;
        default: return base;
    }
}

std::vector<Product> MakeProducts(std::mt19937_64& rng) {
    std::vector<Product> out;
    for (int i = 0; i < kProducts; ++i) {
        const int r = i % 20;
        const Kind kind = r < 12 ? Kind::kVendorProduct
                          : r < 14 ? Kind::kMaven
                          : r < 16 ? Kind::kNpm
                          : r < 18 ? Kind::kPypi
                          : r < 19 ? Kind::kDeb
                                   : Kind::kCustom;
        Product p{kind, "vendor" + std::to_string(i / 3), "product" + std::to_string(i), {}};
        int major = 1 + static_cast<int>(rng() % 3), minor = 0, patch = 0;
        for (int v = 0; v < kVersions; ++v) {
            p.versions.push_back(VersionText(kind, major, minor, patch));
            const auto step = rng() % 10;
            if (step == 0) ++major, minor = 0, patch = 0;
            else if (step < 4) ++minor, patch = 0;
            else ++patch;
        }
        if (kind == Kind::kDeb) std::sort(p.versions.begin(), p.versions.end(), [](auto& a, auto& b) {
            return *mv::CompareVersions(mv::VersionScheme::kDebian, a, b) < 0;
        });
        out.push_back(std::move(p));
    }
    return out;
}

// Zipf(s = 0.8) over the products.
class Popularity {
public:
    Popularity() {
        double sum = 0;
        for (int i = 0; i < kProducts; ++i) cumulative_.push_back(sum += 1.0 / std::pow(i + 1, 0.8));
    }
    int Draw(std::mt19937_64& rng) const {
        const double x = std::uniform_real_distribution<double>(0, cumulative_.back())(rng);
        return static_cast<int>(std::lower_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin());
    }

private:
    std::vector<double> cumulative_;
};

mv::VulnRecord MakeRecord(int n, const Product& p, std::mt19937_64& rng) {
    mv::VulnRecord r;
    r.cve_id = "CVE-" + std::to_string(2000 + n % 26) + "-" + std::to_string(10000 + n);
    r.state = "PUBLISHED";
    const int fix = 1 + static_cast<int>(rng() % (kVersions - 1));
    const int from = std::max(0, fix - 1 - static_cast<int>(rng() % 4));
    mv::AffectedVersion v;
    v.version = p.versions[from];
    v.less_than = p.versions[fix];
    v.status = mv::VulnStatus::kAffected;
    mv::AffectedEntry e;
    e.default_status = mv::VulnStatus::kUnaffected;
    switch (p.kind) {
        case Kind::kVendorProduct: e.vendor = p.vendor, e.product = p.product, v.version_type = "semver"; break;
        case Kind::kCustom: e.vendor = p.vendor, e.product = p.product, v.version_type = "custom"; break;
        case Kind::kMaven:
            e.collection_url = "https://repo.maven.apache.org/maven2";
            e.package_name = "org." + p.vendor + ":" + p.product;
            v.version_type = "maven";
            break;
        case Kind::kNpm: e.collection_url = "https://www.npmjs.com", e.package_name = p.product; break;
        case Kind::kPypi: e.collection_url = "https://pypi.org", e.package_name = p.product, v.version_type = "python"; break;
        case Kind::kDeb:
            e.collection_url = "https://security-tracker.debian.org/tracker";
            e.package_name = p.product;
            v.version_type = "custom";  // ordered with the asset's hint (deb)
            break;
    }
    e.versions = {v};
    r.cna_affected = {e};
    if (p.kind == Kind::kVendorProduct && rng() % 3 == 0) {
        mv::CpeMatch m;
        m.vulnerable = true;
        m.criteria = *mv::ParseCpe("cpe:2.3:a:" + p.vendor + ":" + p.product + ":*:*:*:*:*:*:*:*");
        m.version_start_including = p.versions[from];
        m.version_end_excluding = p.versions[fix];
        r.nvd_configurations.push_back({mv::CpeOperator::kOr, false, {{mv::CpeOperator::kOr, false, {m}}}});
    }
    const double score = std::round(std::uniform_real_distribution<double>(2.0, 10.0)(rng) * 10) / 10;
    r.metrics.push_back({"cna", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", score, ""});
    r.epss = std::pow(std::uniform_real_distribution<double>(0, 1)(rng), 6);
    if (rng() % 100 == 0) r.kev = mv::KevEntry{"2024-01-01", "2024-01-22", "Apply updates", false};
    return r;
}

mv::Asset MakeAsset(int n, const Product& p, std::mt19937_64& rng) {
    mv::Asset a;
    a.id = n + 1;
    a.organisation_id = 1 + n % 500;
    const std::string& version = p.versions[rng() % kVersions];
    switch (p.kind) {
        case Kind::kVendorProduct:
        case Kind::kCustom:
            if (rng() % 2) a.cpe = "cpe:2.3:a:" + p.vendor + ":" + p.product + ":" + version + ":*:*:*:*:*:*:*";
            else a.vendor = p.vendor, a.product = p.product, a.version = version;
            break;
        case Kind::kMaven: a.purl = "pkg:maven/org." + p.vendor + "/" + p.product + "@" + version; break;
        case Kind::kNpm: a.purl = "pkg:npm/" + p.product + "@" + version; break;
        case Kind::kPypi: a.purl = "pkg:pypi/" + p.product + "@" + version; break;
        case Kind::kDeb: a.purl = "pkg:deb/debian/" + p.product + "@" + version + "?arch=amd64"; break;
    }
    if (!mv::ApplyPatch(a, {})) std::abort();
    return a;
}

double Seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::string Rss() {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 6));
    return "?";
}

}  // namespace

int main() {
    std::mt19937_64 rng(20260302);
    const auto products = MakeProducts(rng);
    const Popularity popularity;
    auto t0 = std::chrono::steady_clock::now();
    std::vector<mv::VulnRecord> records;
    records.reserve(kRecords);
    for (int i = 0; i < kRecords; ++i) records.push_back(MakeRecord(i, products[popularity.Draw(rng)], rng));
    std::vector<mv::Asset> assets;
    for (int i = 0; i < kAssets; ++i) assets.push_back(MakeAsset(i, products[popularity.Draw(rng)], rng));
    std::printf("generated %d records and %d assets over %d products in %.1f s\n", kRecords, kAssets, kProducts,
                Seconds(t0));

    t0 = std::chrono::steady_clock::now();
    mv::MatchIndex index(std::move(records));
    for (const mv::Asset& a : assets) index.UpsertAsset(a);
    std::printf("index built in %.1f s\n", Seconds(t0));

    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::atomic<std::size_t> affected{0}, unknown{0};
    t0 = std::chrono::steady_clock::now();
    const std::size_t findings = index.MatchAll(threads, [&](const mv::Asset&, const std::vector<mv::Finding>& found) {
        for (const mv::Finding& f : found) ++(f.status == mv::VulnStatus::kAffected ? affected : unknown);
    });
    const double full = Seconds(t0);
    std::printf("full match: %d assets x %d CVE records in %.1f s (%zu findings)%s\n", kAssets, kRecords, full,
                findings, full > 30 ? " TARGET MISSED (30 s)" : "");
    std::printf("  %zu affected, %zu unknown; %u threads\n", affected.load(), unknown.load(), threads);

    std::vector<double> ms;
    std::size_t incremental_findings = 0;
    for (int i = 0; i < kIncremental; ++i) {
        mv::VulnRecord r = MakeRecord(kRecords + i, products[popularity.Draw(rng)], rng);
        const auto start = std::chrono::steady_clock::now();
        index.UpsertRecord(r);
        incremental_findings += index.MatchRecord(r).size();
        ms.push_back(Seconds(start) * 1000);
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    std::printf("incremental match of one new CVE: %.2f ms (median of %d; max %.2f ms; %.1f findings each)%s\n",
                median, kIncremental, ms.back(), static_cast<double>(incremental_findings) / kIncremental,
                median > 10 ? " TARGET MISSED (10 ms)" : "");
    std::printf("memory: VmRSS %s\n", Rss().c_str());
    return 0;
}
