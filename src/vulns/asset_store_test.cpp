#include "vulns/asset_store.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "core/ids.hpp"
#include "db/testing.hpp"
#include "vulns/finding_store.hpp"

namespace muhafiz::vulns {
namespace {

// Just what the tests need of an organisation.
struct Organisation {
    std::int64_t id = 0;
    std::string uuid;
    std::string path;
};

class RecordingSink : public db::AuditSink {
public:
    core::Status Append(db::Connection&, const db::AuditRecord& r) const override {
        std::lock_guard lock(mu_);
        actions.push_back(r.action);
        return {};
    }
    mutable std::mutex mu_;
    mutable std::vector<std::string> actions;
};

db::Predicate Under(const Organisation& o) {
    std::string upper = o.path;
    upper.back() = '0';
    return {"o.path >= ? AND o.path < ?", {o.path, upper}};
}

class AssetStoreTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        ASSERT_NE(db_, nullptr);
        root_ = MustCreate("National CERT", "national_cert", nullptr);
        bank_cert_ = MustCreate("Banking CERT", "sectoral_cert", &root_);
        bank_ = MustCreate("Test Bank", "constituent", &bank_cert_);
        telco_ = MustCreate("Test Telco", "constituent", &root_);
        assets_ = std::make_unique<AssetStore>(*db_, sink_, [this](const Asset&, bool) { ++changes_; });
        findings_ = std::make_unique<FindingStore>(*db_, sink_);
    }
    // The constituency tree is another library's; the rows are written directly.
    Organisation MustCreate(const std::string& name, const std::string& kind, const Organisation* parent) {
        auto conn = db_->Acquire();
        EXPECT_TRUE(conn);
        Organisation o;
        o.uuid = core::NewUuidV7();
        auto rows = (*conn)->Query(
            "INSERT INTO organisations (uuid, name, kind, parent_id, path, depth, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, '', 0, 0, 0) RETURNING id",
            {o.uuid, name, kind, parent ? db::Value(parent->id) : db::Null()});
        EXPECT_TRUE(rows) << rows.error().message;
        o.id = (*rows)[0].Int(0);
        o.path = (parent ? parent->path : std::string("/")) + std::to_string(o.id) + "/";
        EXPECT_TRUE((*conn)->Execute("UPDATE organisations SET path = ? WHERE id = ?", {o.path, o.id}));
        return o;
    }
    Asset MustAdd(const Organisation& org, AssetPatch p) {
        auto a = assets_->Create(org.uuid, p, all_, actor_);
        EXPECT_TRUE(a) << a.error().message;
        return a ? *a : Asset{};
    }

    std::unique_ptr<db::Database> db_;
    RecordingSink sink_;
    std::unique_ptr<AssetStore> assets_;
    std::unique_ptr<FindingStore> findings_;
    Organisation root_, bank_cert_, bank_, telco_;
    db::Predicate all_;
    core::Actor actor_{3, "analyst1", 0, "test"};
    int changes_ = 0;
};

AssetPatch Cpe(std::string cpe, std::string location = "") {
    AssetPatch p;
    p.cpe = std::move(cpe);
    p.location = std::move(location);
    return p;
}

TEST_P(AssetStoreTest, CreateGetListUpdateDeleteWithinScope) {
    AssetPatch web = Cpe("cpe:/a:openssl:openssl:1.1.0g", "web-01.bank.example");
    web.criticality = Criticality::kHigh;
    const Asset a = MustAdd(bank_, web);
    EXPECT_EQ(a.name, "openssl");
    EXPECT_EQ(a.cpe, "cpe:2.3:a:openssl:openssl:1.1.0g:*:*:*:*:*:*:*");  // the 2.2 URI converted
    EXPECT_EQ(a.organisation_uuid, bank_.uuid);
    MustAdd(bank_, [] {
        AssetPatch p;
        p.purl = "pkg:PyPI/Django@3.2.12";
        p.name = "Django (portal)";
        return p;
    }());
    MustAdd(telco_, [] {
        AssetPatch p;
        p.vendor = "F5";
        p.product = "nginx";
        p.version = "1.20.1";
        p.criticality = Criticality::kCritical;
        return p;
    }());
    EXPECT_EQ(changes_, 3);

    // The Banking CERT sees its constituent's assets, not the telco's.
    const db::Predicate banking = Under(bank_cert_);
    ASSERT_TRUE(assets_->Get(a.uuid, banking));
    auto hidden = assets_->List({}, Under(telco_));
    ASSERT_TRUE(hidden);
    EXPECT_EQ(hidden->total, 1);
    auto missing = assets_->Get(a.uuid, Under(telco_));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
    auto outside = assets_->Create(telco_.uuid, Cpe("cpe:2.3:a:f5:nginx:1.0"), banking, actor_);
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error().field, "organisation_id");

    // Filters, sort and cursor pagination.
    AssetFilter f;
    f.limit = 1;
    auto page = assets_->List(f, all_);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->total, 3);
    std::vector<std::string> names{page->items[0].name};
    while (page->next) {
        f.cursor = *page->next;
        page = assets_->List(f, all_);
        ASSERT_TRUE(page) << page.error().message;
        for (const auto& x : page->items) names.push_back(x.name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"Django (portal)", "nginx", "openssl"}));
    AssetFilter crit;
    crit.criticality = Criticality::kCritical;
    EXPECT_EQ(assets_->List(crit, all_)->total, 1);
    AssetFilter key;
    key.product_key = "p:pypi//django";
    EXPECT_EQ(assets_->List(key, all_)->total, 1);
    AssetFilter sub;
    sub.organisation = bank_cert_.uuid;
    sub.q = "SSL";
    EXPECT_EQ(assets_->List(sub, all_)->total, 1);
    AssetFilter bad;
    bad.cursor = "nonsense";
    EXPECT_EQ(assets_->List(bad, all_).error().field, "cursor");

    // Update with If-Match; a stale version is refused.
    AssetPatch upgrade;
    upgrade.cpe = "cpe:2.3:a:openssl:openssl:1.1.0h:*:*:*:*:*:*:*";
    auto updated = assets_->Update(a.uuid, upgrade, a.version_row, banking, actor_);
    ASSERT_TRUE(updated) << updated.error().message;
    EXPECT_EQ(updated->version_row, a.version_row + 1);
    auto stale = assets_->Update(a.uuid, upgrade, a.version_row, banking, actor_);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, core::ErrorCode::kPreconditionFailed);
    AssetPatch broken;
    broken.purl = "maven/org.x";
    EXPECT_EQ(assets_->Update(a.uuid, broken, std::nullopt, banking, actor_).error().field, "purl");

    ASSERT_TRUE(assets_->Delete(a.uuid, banking, actor_));
    EXPECT_FALSE(assets_->Get(a.uuid, all_));
    EXPECT_EQ(sink_.actions.back(), "asset.delete");
}

TEST_P(AssetStoreTest, ValidationNamesTheField) {
    auto field = [&](AssetPatch p) {
        auto r = assets_->Create(bank_.uuid, p, all_, actor_);
        return r ? std::string("ok") : r.error().field;
    };
    EXPECT_EQ(field(Cpe("cpe:2.3:a:openssl")), "cpe");
    EXPECT_EQ(field(Cpe("cpe:2.3:a:openssl:*:1.0:*:*:*:*:*:*:*")), "cpe");
    AssetPatch p;
    p.purl = "pkg:maven/@1.0";
    EXPECT_EQ(field(p), "purl");
    p = {};
    p.vendor = "OpenSSL";
    EXPECT_EQ(field(p), "product");
    p.product = "OpenSSL";
    EXPECT_EQ(field(p), "version");
    p.version = "3.0.2";
    p.version_scheme = "calendar";
    EXPECT_EQ(field(p), "version_scheme");
    p.version_scheme = "semver";
    EXPECT_EQ(field(p), "ok");
}

TEST_P(AssetStoreTest, CsvImportReportsBadRowsByLine) {
    const std::string csv =
        "name,cpe,purl,vendor,product,version,location,criticality\n"
        "Web proxy,cpe:2.3:a:f5:nginx:1.20.1:*:*:*:*:*:*:*,,,,,\"dmz,\nrack 4\",high\n"  // lines 2-3
        "Portal,,pkg:pypi/django@3.2.12,,,,app-01,\n"                                     // line 4
        "Mail,,,Postfix,,3.5.6,mx-01,medium\n"                                             // line 5: no product
        "Core switch,cpe:2.3:h:cisco:catalyst_9300:-:*:*:*:*:*:*:*,,,,,core,critical\n"   // line 6
        "Ledger,,,Example,ledger,,app-02,urgent\n";                                       // line 7
    auto report = assets_->Import(bank_.uuid, csv, AssetFormat::kCsv, false, all_, actor_);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_FALSE(report->committed);
    ASSERT_EQ(report->problems.size(), 2u);
    EXPECT_EQ(report->problems[0].line, 5u);
    EXPECT_EQ(report->problems[0].field, "product");
    EXPECT_EQ(report->problems[1].line, 7u);
    EXPECT_EQ(report->problems[1].field, "criticality");
    EXPECT_EQ(assets_->List({}, all_)->total, 0);

    report = assets_->Import(bank_.uuid, csv, AssetFormat::kCsv, true, all_, actor_);
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->committed);
    EXPECT_EQ(report->created, 3u);
    EXPECT_EQ(report->skipped, 2u);
    AssetFilter f;
    f.q = "proxy";
    auto proxy = assets_->List(f, all_);
    ASSERT_EQ(proxy->items.size(), 1u);
    EXPECT_EQ(proxy->items[0].location, "dmz,\nrack 4");
    EXPECT_EQ(proxy->items[0].criticality, Criticality::kHigh);

    // Importing the same file again changes nothing.
    report = assets_->Import(bank_.uuid, csv, AssetFormat::kCsv, true, all_, actor_);
    EXPECT_EQ(report->created, 0u);
    EXPECT_EQ(report->unchanged, 3u);
    EXPECT_FALSE(assets_->Import(bank_.uuid, "name,colour\nx,red\n", AssetFormat::kCsv, true, all_, actor_));
}

std::string ReadData(const std::string& relative) {
    const char* root = std::getenv("MUHAFIZ_SOURCE_DIR");
    std::ifstream in(std::string(root ? root : ".") + "/tests/data/vuln/" + relative);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST_P(AssetStoreTest, CycloneDxImport) {
    const std::string sbom = ReadData("sbom/payments-portal.cdx.json");
    ASSERT_FALSE(sbom.empty());
    auto report = assets_->Import(bank_.uuid, sbom, AssetFormat::kCycloneDx, false, all_, actor_);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->problems.empty()) << report->problems[0].field << ": " << report->problems[0].message;
    EXPECT_EQ(report->entries, 13u);
    EXPECT_EQ(report->created, 13u);

    AssetFilter f;
    f.limit = 100;
    auto list = assets_->List(f, all_);
    std::map<std::string, Asset> by_name;
    for (const auto& a : list->items) by_name[a.name] = a;
    EXPECT_EQ(by_name.at("log4j-core").purl, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar");
    EXPECT_EQ(by_name.at("log4j-core").location, "payments-portal");
    EXPECT_EQ(by_name.at("Django").purl, "pkg:pypi/django@3.2.12");
    EXPECT_EQ(by_name.at("spring-beans").version, "5.3.17");  // nested component
    EXPECT_EQ(by_name.at("nginx").cpe, "cpe:2.3:a:f5:nginx:1.20.1:*:*:*:*:*:*:*");
    EXPECT_EQ(by_name.at("ledger-client").vendor, "example-bank");
    EXPECT_EQ(ProductKeys(by_name.at("core")), std::vector<std::string>{"p:npm/@angular/core"});

    // Per-component errors carry the JSON path; nothing is imported without skip_bad.
    const std::string bad = R"({"bomFormat":"CycloneDX","specVersion":"1.5","components":[
        {"type":"library","name":"ok","purl":"pkg:npm/ok@1.0.0"},
        {"type":"library","name":"broken","components":[{"type":"library","name":"x","purl":"pkg:/x"}]}]})";
    report = assets_->Import(telco_.uuid, bad, AssetFormat::kCycloneDx, false, all_, actor_);
    ASSERT_TRUE(report);
    ASSERT_EQ(report->problems.size(), 2u);
    EXPECT_EQ(report->problems[0].field, "components[1].version");
    EXPECT_EQ(report->problems[1].field, "components[1].components[0].purl");
    EXPECT_EQ(report->problems[1].line, 3u);
    EXPECT_FALSE(report->committed);
    EXPECT_FALSE(assets_->Import(telco_.uuid, R"({"bomFormat":"SPDX"})", AssetFormat::kCycloneDx, false, all_,
                                 actor_));
}

VulnRecord OpenSsl(std::string id, std::string fixed, double cvss, std::optional<double> epss, bool kev) {
    VulnRecord r;
    r.cve_id = std::move(id);
    AffectedEntry e;
    e.vendor = "OpenSSL";
    e.product = "OpenSSL";
    AffectedVersion v;
    v.version = "1.1.0";
    v.less_than = std::move(fixed);
    v.status = VulnStatus::kAffected;
    e.versions = {v};
    e.default_status = VulnStatus::kUnaffected;
    r.cna_affected = {e};
    r.metrics = {{"cna", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", cvss, ""}};
    r.epss = epss;
    if (kev) r.kev = KevEntry{};
    return r;
}

TEST_P(AssetStoreTest, FindingsFollowMatchesAndKeepVerdicts) {
    MustAdd(bank_, Cpe("cpe:2.3:a:openssl:openssl:1.1.0g:*:*:*:*:*:*:*", "web-01"));
    MustAdd(bank_, Cpe("cpe:2.3:a:openssl:openssl:1.1.0c:*:*:*:*:*:*:*", "web-02"));
    MustAdd(telco_, Cpe("cpe:2.3:a:openssl:openssl:1.1.0g:*:*:*:*:*:*:*", "edge"));
    MatchIndex index({OpenSsl("CVE-2018-0739", "1.1.0h", 6.5, 0.02, false),
                      OpenSsl("CVE-2017-3735", "1.1.0g", 5.3, 0.5, false),
                      OpenSsl("CVE-2016-0001", "1.1.0d", 9.8, std::nullopt, true)});
    auto match_all = [&] {
        auto stored = assets_->All();
        ASSERT_TRUE(stored);
        std::mutex mu;
        std::vector<AssetFindings> batch;
        for (const Asset& a : *stored) {
            index.UpsertAsset(a);
            batch.push_back({a.id, {}});
        }
        index.MatchAll(2, [&](const Asset& a, const std::vector<Finding>& f) {
            std::lock_guard lock(mu);
            for (auto& b : batch)
                if (b.asset_id == a.id) b.findings = f;
        });
        ASSERT_TRUE(findings_->ReplaceForAssets(batch));
    };
    match_all();

    // web-01 (1.1.0g): CVE-2018-0739; web-02 (1.1.0c): all three; edge: CVE-2018-0739.
    FindingFilter f;
    auto bank = findings_->List(f, Under(bank_cert_));
    ASSERT_TRUE(bank) << bank.error().message;
    ASSERT_EQ(bank->total, 4);
    EXPECT_EQ(bank->items[0].finding.cve_id, "CVE-2016-0001");  // KEV first
    EXPECT_TRUE(bank->items[0].finding.kev);
    EXPECT_EQ(bank->items[1].finding.cve_id, "CVE-2017-3735");  // EPSS-weighted
    EXPECT_EQ(findings_->List(f, all_)->total, 5);

    // Pagination by priority, then the filters.
    f.limit = 2;
    auto first = findings_->List(f, all_);
    ASSERT_TRUE(first->next);
    f.cursor = *first->next;
    auto second = findings_->List(f, all_);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->items.size(), 2u);
    EXPECT_LE(second->items[0].finding.priority, first->items[1].finding.priority);
    EXPECT_NE(second->items[0].uuid, first->items[1].uuid);
    FindingFilter kev;
    kev.kev = true;
    EXPECT_EQ(findings_->List(kev, all_)->total, 1);
    FindingFilter cve;
    cve.cve = "CVE-2018-0739";
    cve.organisation = telco_.uuid;
    EXPECT_EQ(findings_->List(cve, all_)->total, 1);
    FindingFilter high;
    high.min_priority = 9.0;
    EXPECT_EQ(findings_->List(high, all_)->total, 2);

    // The exposure page.
    auto summary = findings_->Summarise(std::nullopt, all_);
    ASSERT_TRUE(summary) << summary.error().message;
    ASSERT_EQ(summary->size(), 2u);
    const ExposureSummary& s = summary->at(0).organisation_uuid == bank_.uuid ? summary->at(0) : summary->at(1);
    EXPECT_EQ(s.open, 4);
    EXPECT_EQ(s.kev, 1);
    EXPECT_EQ(s.critical, 1);
    EXPECT_EQ(s.medium, 3);

    // A constituent marks the telco finding not applicable; it survives re-matching.
    auto telco = findings_->List(cve, all_)->items.at(0);
    EXPECT_FALSE(findings_->MarkNotApplicable(telco.uuid, "  ", Under(telco_), actor_));
    EXPECT_FALSE(findings_->MarkNotApplicable(telco.uuid, "FIPS build", Under(bank_cert_), actor_));
    auto marked = findings_->MarkNotApplicable(telco.uuid, "FIPS module, affected code not built", Under(telco_),
                                               actor_);
    ASSERT_TRUE(marked) << marked.error().message;
    EXPECT_EQ(marked->state, FindingState::kNotApplicable);
    EXPECT_EQ(sink_.actions.back(), "finding.not_applicable");
    match_all();
    auto again = findings_->Get(telco.uuid, all_);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->state, FindingState::kNotApplicable);
    EXPECT_EQ(again->state_by, "analyst1");
    EXPECT_EQ(again->first_seen, telco.first_seen);
    EXPECT_GT(again->last_seen, telco.last_seen);

    // A revised record no longer matches web-02: its finding is resolved; reopening works.
    auto revised = OpenSsl("CVE-2016-0001", "1.1.0b", 9.8, std::nullopt, true);
    index.UpsertRecord(revised);
    ASSERT_TRUE(findings_->ReplaceForCve(revised.cve_id, index.MatchRecord(revised)));
    FindingFilter resolved;
    resolved.state = FindingState::kResolved;
    auto gone = findings_->List(resolved, all_);
    ASSERT_EQ(gone->total, 1);
    EXPECT_EQ(gone->items[0].finding.cve_id, "CVE-2016-0001");
    auto reopened = findings_->Reopen(gone->items[0].uuid, all_, actor_);
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->state, FindingState::kOpen);
    EXPECT_EQ(findings_->Reopen(gone->items[0].uuid, all_, actor_).error().code, core::ErrorCode::kConflict);

    // Deleting an asset deletes its findings.
    ASSERT_TRUE(assets_->Delete(telco.asset_uuid, all_, actor_));
    EXPECT_FALSE(findings_->Get(telco.uuid, all_));
}

INSTANTIATE_TEST_SUITE_P(Backends, AssetStoreTest, ::testing::ValuesIn(db::testing::BackendNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace muhafiz::vulns
