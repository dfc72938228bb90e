#include "vulns/matcher.hpp"

#include <gtest/gtest.h>

#include <mutex>

namespace muhafiz::vulns {
namespace {

AffectedVersion Range(std::string from, std::string less_than, std::optional<std::string> type,
                      VulnStatus status = VulnStatus::kAffected) {
    AffectedVersion v;
    v.version = std::move(from);
    v.less_than = std::move(less_than);
    v.version_type = std::move(type);
    v.status = status;
    return v;
}

AffectedEntry Product(std::string vendor, std::string product, std::vector<AffectedVersion> versions,
                      std::optional<VulnStatus> default_status = VulnStatus::kUnaffected) {
    AffectedEntry e;
    e.vendor = std::move(vendor);
    e.product = std::move(product);
    e.versions = std::move(versions);
    e.default_status = default_status;
    return e;
}

AffectedEntry Package(std::string collection_url, std::string package_name, std::vector<AffectedVersion> versions) {
    AffectedEntry e;
    e.collection_url = std::move(collection_url);
    e.package_name = std::move(package_name);
    e.versions = std::move(versions);
    e.default_status = VulnStatus::kUnaffected;
    return e;
}

VulnRecord Record(std::string id, double cvss = 7.5) {
    VulnRecord r;
    r.cve_id = std::move(id);
    r.state = "PUBLISHED";
    r.metrics.push_back({"cna", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", cvss, "HIGH"});
    return r;
}

Asset WithCpe(std::int64_t id, const std::string& cpe) {
    Asset a;
    a.id = id;
    a.cpe = cpe;
    EXPECT_TRUE(ApplyPatch(a, {}));
    return a;
}

Asset WithPurl(std::int64_t id, const std::string& purl) {
    Asset a;
    a.id = id;
    a.purl = purl;
    EXPECT_TRUE(ApplyPatch(a, {}));
    return a;
}

Asset WithProduct(std::int64_t id, std::string vendor, std::string product, std::string version) {
    Asset a;
    a.id = id;
    a.vendor = std::move(vendor);
    a.product = std::move(product);
    a.version = std::move(version);
    EXPECT_TRUE(ApplyPatch(a, {}));
    return a;
}

CpeMatch Criterion(const std::string& cpe, bool vulnerable, std::optional<std::string> start_including = {},
                   std::optional<std::string> end_excluding = {}, std::optional<std::string> end_including = {}) {
    CpeMatch m;
    m.vulnerable = vulnerable;
    m.criteria = *ParseCpe(cpe);
    m.version_start_including = std::move(start_including);
    m.version_end_excluding = std::move(end_excluding);
    m.version_end_including = std::move(end_including);
    return m;
}

// CVE-2018-0739-like: OpenSSL 1.1.0 before 1.1.0h.
VulnRecord OpenSslRecord() {
    VulnRecord r = Record("CVE-2018-0739", 6.5);
    r.cna_affected.push_back(Product("OpenSSL", "OpenSSL", {Range("1.1.0", "1.1.0h", std::nullopt)}));
    return r;
}

// CVE-2021-44228 as GHSA-style package data: log4j-core from 2.0-beta9 before 2.15.0, KEV.
VulnRecord Log4ShellRecord() {
    VulnRecord r = Record("CVE-2021-44228", 10.0);
    r.cna_affected.push_back(Package("https://repo.maven.apache.org/maven2", "org.apache.logging.log4j:log4j-core",
                                     {Range("2.0-beta9", "2.15.0", "maven")}));
    r.kev = KevEntry{"2021-12-10", "2021-12-24", "Apply updates", true};
    r.epss = 0.97;
    return r;
}

TEST(MatcherTest, OpenSslLetterReleaseBeforeFix) {
    MatchIndex index({OpenSslRecord()});
    auto found = index.MatchAsset(WithCpe(1, "cpe:2.3:a:openssl:openssl:1.1.0g:*:*:*:*:*:*:*"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].cve_id, "CVE-2018-0739");
    EXPECT_EQ(found[0].asset_id, 1);
    EXPECT_EQ(found[0].status, VulnStatus::kAffected);
    EXPECT_EQ(found[0].source, FindingSource::kCna);
    EXPECT_NE(found[0].reason.find("cna affected[0] (OpenSSL OpenSSL)"), std::string::npos) << found[0].reason;
    EXPECT_NE(found[0].reason.find("lessThan"), std::string::npos) << found[0].reason;
    EXPECT_TRUE(index.MatchAsset(WithCpe(2, "cpe:2.3:a:openssl:openssl:1.1.0h:*:*:*:*:*:*:*")).empty());
    // vendor/product/version names the same product.
    EXPECT_EQ(index.MatchAsset(WithProduct(3, "openssl", "openssl", "1.1.0f")).size(), 1u);
}

TEST(MatcherTest, Log4jCoreByMavenPurl) {
    MatchIndex index({Log4ShellRecord(), OpenSslRecord()});
    auto found = index.MatchAsset(WithPurl(7, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].status, VulnStatus::kAffected);
    EXPECT_TRUE(found[0].kev);
    EXPECT_DOUBLE_EQ(*found[0].cvss, 10.0);
    EXPECT_DOUBLE_EQ(found[0].priority, 100 + 10 * (1 + 9 * 0.97));
    EXPECT_NE(found[0].reason.find("maven"), std::string::npos) << found[0].reason;
    EXPECT_TRUE(index.MatchAsset(WithPurl(8, "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1")).empty());
    // Another artifact of the same group is not log4j-core.
    EXPECT_TRUE(index.MatchAsset(WithPurl(9, "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1")).empty());
}

TEST(MatcherTest, DebianPackageUsesDpkgOrdering) {
    VulnRecord r = Record("CVE-2022-2068");
    r.cna_affected.push_back(Package("https://security-tracker.debian.org/tracker", "openssl",
                                     {Range("0", "1.1.1n-0+deb11u4", "custom")}));
    MatchIndex index({r});
    auto affected = index.MatchAsset(WithPurl(1, "pkg:deb/debian/openssl@1.1.1n-0+deb11u3?arch=amd64"));
    ASSERT_EQ(affected.size(), 1u);
    EXPECT_EQ(affected[0].status, VulnStatus::kAffected);
    EXPECT_NE(affected[0].reason.find("debian"), std::string::npos) << affected[0].reason;
    // `~` sorts before the end of the string: a pre-release of the fix is still affected.
    EXPECT_EQ(index.MatchAsset(WithPurl(2, "pkg:deb/debian/openssl@1.1.1n-0+deb11u4~rc1")).size(), 1u);
    EXPECT_TRUE(index.MatchAsset(WithPurl(3, "pkg:deb/debian/openssl@1.1.1n-0+deb11u4")).empty());
    // Ubuntu's openssl is another package.
    EXPECT_TRUE(index.MatchAsset(WithPurl(4, "pkg:deb/ubuntu/openssl@1.1.1f-1ubuntu2")).empty());
}

TEST(MatcherTest, NvdOnlyRecordWithConfigurations) {
    // CVE-2023-4863-like: libwebp before 1.3.2 (an OR configuration).
    VulnRecord webp = Record("CVE-2023-4863", 8.8);
    webp.nvd_configurations.push_back(
        {CpeOperator::kOr, false,
         {{CpeOperator::kOr, false,
           {Criterion("cpe:2.3:a:webmproject:libwebp:*:*:*:*:*:*:*:*", true, "0.5.0", "1.3.2")}}}});
    // CVE-2020-13595-like: esp-idf 3.0 to 3.3.1, running on an esp32 (AND with a platform).
    VulnRecord esp = Record("CVE-2020-13595", 6.5);
    esp.nvd_configurations.push_back(
        {CpeOperator::kAnd, false,
         {{CpeOperator::kOr, false,
           {Criterion("cpe:2.3:a:espressif:esp-idf:*:*:*:*:*:*:*:*", true, "3.0", std::nullopt, "3.3.1")}},
          {CpeOperator::kOr, false, {Criterion("cpe:2.3:h:espressif:esp32:-:*:*:*:*:*:*:*", false)}}}});
    MatchIndex index({webp, esp});

    auto found = index.MatchAsset(WithProduct(1, "webmproject", "libwebp", "1.3.1"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].source, FindingSource::kNvd);
    EXPECT_EQ(found[0].status, VulnStatus::kAffected);
    EXPECT_NE(found[0].reason.find("configurations[0]"), std::string::npos) << found[0].reason;
    EXPECT_TRUE(index.MatchAsset(WithCpe(2, "cpe:2.3:a:webmproject:libwebp:1.3.2:*:*:*:*:*:*:*")).empty());

    // The vulnerable software matches; the platform cannot be shown by one asset: unknown.
    found = index.MatchAsset(WithCpe(3, "cpe:2.3:a:espressif:esp-idf:3.3.0:*:*:*:*:*:*:*"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].status, VulnStatus::kUnknown);
    EXPECT_NE(found[0].reason.find("platform"), std::string::npos) << found[0].reason;
    EXPECT_TRUE(index.MatchAsset(WithCpe(4, "cpe:2.3:a:espressif:esp-idf:4.0:*:*:*:*:*:*:*")).empty());
}

TEST(MatcherTest, AdpOnlyAffectedAndSourcesKeptApart) {
    // CVE-2024-35384-like: the CNA wrote n/a; CISA-ADP supplies the product with a CPE.
    VulnRecord r = Record("CVE-2024-35384", 7.5);
    r.cna_affected.push_back(Product("n/a", "n/a", {}, std::nullopt));
    AffectedEntry adp = Product("cesanta", "mjs", {Range("0", "2.20.0", "semver")}, VulnStatus::kUnknown);
    adp.cpes = {"cpe:2.3:a:cesanta:mjs:*:*:*:*:*:*:*:*"};
    r.adp_affected.push_back(adp);
    MatchIndex index({r});
    auto found = index.MatchAsset(WithCpe(1, "cpe:2.3:a:cesanta:mjs:2.19.0:*:*:*:*:*:*:*"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].source, FindingSource::kAdp);
    EXPECT_EQ(found[0].status, VulnStatus::kAffected);
    EXPECT_EQ(found[0].reason.rfind("adp affected[0]", 0), 0u) << found[0].reason;

    // A CNA entry that cannot decide and an ADP entry that says affected: the ADP's finding.
    VulnRecord both = Record("CVE-2024-0001");
    both.cna_affected.push_back(Product("acme", "router", {Range("1.0", "2.0", "custom")}));
    both.adp_affected.push_back(Product("acme", "router", {Range("1.0", "2.0", "semver")}));
    index.UpsertRecord(both);
    found = index.MatchAsset(WithProduct(2, "Acme", "Router", "1.5.0"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].source, FindingSource::kAdp);
    EXPECT_EQ(found[0].status, VulnStatus::kAffected);
}

TEST(MatcherTest, UndecidableComparisonsAreUnknownFindings) {
    // CVE-2024-29080-like: free text instead of a version.
    VulnRecord hp = Record("CVE-2024-29080");
    hp.cna_affected.push_back(Product("HP Inc.", "HP LaserJet Pro",
                                      {AffectedVersion{"See HP Security Bulletin reference", {}, {},
                                                       VulnStatus::kAffected, {}, {}}},
                                      VulnStatus::kUnknown));
    // CVE-2024-3400-like: `custom` ranges and no hint from the asset.
    VulnRecord pan = Record("CVE-2024-3400", 10.0);
    pan.cna_affected.push_back(Product("Palo Alto Networks", "PAN-OS", {Range("10.2.0", "10.2.9-h1", "custom")}));
    // A package range for an asset without a version.
    VulnRecord pip = Record("CVE-2023-5752");
    pip.cna_affected.push_back(Package("https://pypi.org/project/pip", "pip", {Range("0", "23.3", "python")}));
    MatchIndex index({hp, pan, pip});

    auto found = index.MatchAsset(WithProduct(1, "HP Inc.", "HP LaserJet Pro", "2.3"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].status, VulnStatus::kUnknown);
    found = index.MatchAsset(WithProduct(2, "palo_alto_networks", "pan-os", "10.2.5"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].status, VulnStatus::kUnknown);
    EXPECT_NE(found[0].reason.find("custom"), std::string::npos) << found[0].reason;
    found = index.MatchAsset(WithPurl(3, "pkg:pypi/pip"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].status, VulnStatus::kUnknown);
    EXPECT_NE(found[0].reason.find("no version"), std::string::npos) << found[0].reason;
    // With a version the pypi URL with a path still maps onto pkg:pypi/pip.
    found = index.MatchAsset(WithPurl(4, "pkg:pypi/pip@23.2.1"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].status, VulnStatus::kAffected);
}

TEST(MatcherTest, ProductStreamsNamedByCpes) {
    // CVE-2024-3094-like Red Hat entries: one per release, no versions, defaultStatus decides.
    VulnRecord r = Record("CVE-2024-3094", 10.0);
    AffectedEntry rhel8 = Package("https://access.redhat.com/downloads/content/package-browser/", "xz", {});
    rhel8.vendor = "Red Hat";
    rhel8.product = "Red Hat Enterprise Linux 8";
    rhel8.cpes = {"cpe:/o:redhat:enterprise_linux:8"};
    rhel8.default_status = VulnStatus::kAffected;
    AffectedEntry rhel9 = rhel8;
    rhel9.product = "Red Hat Enterprise Linux 9";
    rhel9.cpes = {"cpe:/o:redhat:enterprise_linux:9"};
    rhel9.default_status = VulnStatus::kUnaffected;
    r.cna_affected = {rhel8, rhel9};
    MatchIndex index({r});
    auto found = index.MatchAsset(WithCpe(1, "cpe:2.3:o:redhat:enterprise_linux:8:*:*:*:*:*:*:*"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].status, VulnStatus::kAffected);
    EXPECT_NE(found[0].reason.find("cpes[0]"), std::string::npos) << found[0].reason;
    EXPECT_TRUE(index.MatchAsset(WithCpe(2, "cpe:2.3:o:redhat:enterprise_linux:9:*:*:*:*:*:*:*")).empty());
}

TEST(MatcherTest, IncrementalAndFullMatchAgree) {
    MatchIndex index({OpenSslRecord(), Log4ShellRecord()});
    std::vector<Asset> assets = {
        WithCpe(1, "cpe:2.3:a:openssl:openssl:1.1.0g:*:*:*:*:*:*:*"),
        WithCpe(2, "cpe:2.3:a:openssl:openssl:1.1.0g:*:*:*:*:*:*:*"),  // same product and version
        WithProduct(3, "OpenSSL", "OpenSSL", "1.1.0a"),
        WithPurl(4, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
        WithPurl(5, "pkg:npm/lodash@4.17.20"),
    };
    for (const Asset& a : assets) index.UpsertAsset(a);
    EXPECT_EQ(index.asset_count(), 5u);

    std::mutex mu;
    std::map<std::int64_t, std::vector<Finding>> all;
    const std::size_t total = index.MatchAll(2, [&](const Asset& a, const std::vector<Finding>& f) {
        std::lock_guard lock(mu);
        all[a.id] = f;
    });
    EXPECT_EQ(total, 4u);
    EXPECT_EQ(all.size(), 4u);
    for (const Asset& a : assets) {
        const auto one = index.MatchAsset(a);
        EXPECT_EQ(one.size(), all.count(a.id) ? all[a.id].size() : 0u) << a.id;
    }

    // A new CVE for OpenSSL 1.1.0 concerns assets 1, 2 and 3 only.
    VulnRecord next = Record("CVE-2018-5407", 4.7);
    next.cna_affected.push_back(Product("OpenSSL", "OpenSSL", {Range("1.1.0", "1.1.0i", std::nullopt)}));
    index.UpsertRecord(next);
    auto fresh = index.MatchRecord(next);
    ASSERT_EQ(fresh.size(), 3u);
    EXPECT_EQ(fresh[0].asset_id, 1);
    EXPECT_EQ(fresh[2].asset_id, 3);
    EXPECT_EQ(index.MatchAsset(assets[0]).size(), 2u);

    // The record is revised: fixed in 1.1.0b. Only asset 3 (1.1.0a) remains.
    next.cna_affected[0].versions[0].less_than = "1.1.0b";
    index.UpsertRecord(next);
    fresh = index.MatchRecord(next);
    ASSERT_EQ(fresh.size(), 1u);
    EXPECT_EQ(fresh[0].asset_id, 3);
    EXPECT_EQ(index.record_count(), 3u);
    EXPECT_TRUE(index.RemoveRecord("CVE-2018-5407"));
    EXPECT_EQ(index.MatchAsset(assets[2]).size(), 1u);
    EXPECT_TRUE(index.RemoveAsset(3));
    EXPECT_TRUE(index.MatchRecord(OpenSslRecord()).size() == 2u);
}

TEST(MatcherTest, PriorityFormula) {
    EXPECT_DOUBLE_EQ(Priority(9.8, 0.0, false), 9.8);
    EXPECT_DOUBLE_EQ(Priority(5.0, 1.0, false), 50.0);
    EXPECT_DOUBLE_EQ(Priority(std::nullopt, std::nullopt, false), 5.0);
    EXPECT_GT(Priority(1.0, 0.0, true), Priority(10.0, 1.0, false) - 1e-9);
    EXPECT_LE(Priority(10.0, 1.0, true), 200.0);
}

TEST(MatcherTest, RecordKeys) {
    EXPECT_EQ(RecordKeys(Log4ShellRecord()),
              std::vector<std::string>{"p:maven/org.apache.logging.log4j/log4j-core"});
    VulnRecord r = Record("CVE-1");
    r.cna_affected.push_back(Package("https://www.npmjs.com/", "@Angular/Core", {}));
    r.cna_affected.push_back(Package("https://pkg.go.dev", "golang.org/x/net", {}));
    r.cna_affected.push_back(Package("https://pypi.org", "Django_Rest", {}));
    EXPECT_EQ(RecordKeys(r), (std::vector<std::string>{"p:golang/golang.org/x/net", "p:npm/@angular/core",
                                                       "p:pypi//django-rest"}));
    EXPECT_EQ(ProductKeys(WithPurl(1, "pkg:npm/%40angular/core@12.2.16")),
              std::vector<std::string>{"p:npm/@angular/core"});
}

}  // namespace
}  // namespace muhafiz::vulns
