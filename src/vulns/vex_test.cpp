// VEX: imported CSAF statements settle findings (vulns/vex.hpp, VulnService, FindingStore).
#include "vulns/vex.hpp"

#include <gtest/gtest.h>

#include <mutex>

#include "core/ids.hpp"
#include "db/testing.hpp"
#include "vulns/advisory_store.hpp"
#include "vulns/vuln_service.hpp"

namespace muhafiz::vulns {
namespace {

constexpr const char* kCve = "CVE-2026-10001";

// A CVE 5 record: ExampleSoft exampled 1.0 <= v < 1.4.2 affected.
std::string CveRecord() {
    return R"({"dataType":"CVE_RECORD","dataVersion":"5.1",
      "cveMetadata":{"cveId":"CVE-2026-10001","assignerOrgId":"6dda929c-bb53-4a77-a76d-48e79601a1ce",
        "assignerShortName":"ExampleCNA","state":"PUBLISHED","datePublished":"2026-01-10T10:00:00.000Z",
        "dateUpdated":"2026-01-10T10:00:00.000Z"},
      "containers":{"cna":{"providerMetadata":{"orgId":"6dda929c-bb53-4a77-a76d-48e79601a1ce","shortName":"ExampleCNA"},
        "title":"exampled heap overflow","descriptions":[{"lang":"en","value":"A heap overflow in exampled before 1.4.2."}],
        "affected":[{"vendor":"ExampleSoft","product":"exampled","defaultStatus":"unaffected",
          "versions":[{"version":"1.0","lessThan":"1.4.2","status":"affected","versionType":"semver"}]}],
        "references":[{"url":"https://exampled.example.com/security/2026-1"}]}}})";
}

// A small csaf_vex document: `vendor`/`product` `version` with a purl helper, under `status`.
std::string VexDocument(const std::string& tracking_id, const std::string& status, const std::string& product = "exampled",
                        const std::string& version = "1.4.1") {
    const std::string purl = "pkg:generic/examplesoft/" + product + "@" + version;
    return R"({"document":{"category":"csaf_vex","csaf_version":"2.0",
      "distribution":{"tlp":{"label":"WHITE"}},"lang":"en",
      "publisher":{"category":"vendor","name":"ExampleSoft","namespace":"https://examplesoft.example"},
      "title":"exampled and CVE-2026-10001",
      "tracking":{"current_release_date":"2026-02-01T10:00:00.000Z","id":")" + tracking_id + R"(",
        "initial_release_date":"2026-02-01T10:00:00.000Z",
        "revision_history":[{"date":"2026-02-01T10:00:00.000Z","number":"1","summary":"Initial version."}],
        "status":"final","version":"1"}},
      "product_tree":{"branches":[{"category":"vendor","name":"ExampleSoft","branches":[
        {"category":"product_name","name":")" + product + R"(","branches":[
          {"category":"product_version","name":")" + version + R"(",
           "product":{"name":"ExampleSoft )" + product + " " + version + R"(","product_id":"CSAFPID-0001",
             "product_identification_helper":{"purl":")" + purl + R"("}}}]}]}]},
      "vulnerabilities":[{"cve":"CVE-2026-10001",
        "notes":[{"category":"description","text":"Heap overflow."}],
        "product_status":{")" + status + R"(":["CSAFPID-0001"]}}]})";
}

class NullSink : public db::AuditSink {
public:
    core::Status Append(db::Connection&, const db::AuditRecord&) const override { return {}; }
};

class VexTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        ASSERT_NE(db_, nullptr);
        auto conn = db_->Acquire();
        ASSERT_TRUE(conn);
        auto rows = (*conn)->Query(
            "INSERT INTO organisations (uuid, name, kind, parent_id, path, depth, created_at, updated_at) "
            "VALUES (?, 'Test Bank', 'constituent', NULL, '', 0, 0, 0) RETURNING id",
            {core::NewUuidV7()});
        ASSERT_TRUE(rows) << rows.error().message;
        org_id_ = (*rows)[0].Int(0);
        ASSERT_TRUE((*conn)->Execute("UPDATE organisations SET path = ? WHERE id = ?",
                                     {"/" + std::to_string(org_id_) + "/", org_id_}));
        auto uuid = (*conn)->Query("SELECT uuid FROM organisations WHERE id = ?", {org_id_});
        ASSERT_TRUE(uuid);
        org_uuid_ = (*uuid)[0].Str(0);
        vulns_ = std::make_unique<VulnStore>(*db_);
        assets_ = std::make_unique<AssetStore>(*db_, sink_);
        findings_ = std::make_unique<FindingStore>(*db_, sink_);
        service_ = std::make_unique<VulnService>(*db_, *vulns_, *assets_, *findings_, nullptr);
        CsafSettings s;
        s.tracking_prefix = "PKCERT";
        s.publisher_name = "PKCERT";
        s.publisher_namespace = "https://pkcert.example";
        advisories_ = std::make_unique<AdvisoryStore>(*db_, sink_, s);
        ASSERT_TRUE(service_->Load());
        actor_.username = "analyst";
    }

    Asset AddAsset(const std::string& version) {
        AssetPatch p;
        p.vendor = "ExampleSoft";
        p.product = "exampled";
        p.version = version;
        p.version_scheme = "semver";
        auto a = service_->CreateAsset(org_uuid_, p, all_, actor_);
        EXPECT_TRUE(a) << a.error().message;
        return a ? *a : Asset{};
    }
    void IngestRecord() {
        auto r = service_->IngestText(CveRecord(), IngestKind::kCve5, "test");
        ASSERT_TRUE(r) << r.error().message;
    }
    void Import(const std::string& document) {
        auto r = advisories_->Import(document, org_id_, actor_);
        ASSERT_TRUE(r) << r.error().message;
        std::vector<std::string> cves;
        for (const auto& s : r->document.statements) cves.push_back(s.cve);
        ASSERT_FALSE(cves.empty());
        auto settled = service_->SettleWithVex(cves);
        ASSERT_TRUE(settled) << settled.error().message;
    }
    StoredFinding FindingOf(const Asset& a) {
        FindingFilter f;
        f.asset = a.uuid;
        auto page = findings_->List(f, all_);
        EXPECT_TRUE(page) << page.error().message;
        EXPECT_EQ(page->items.size(), 1u);
        return page && !page->items.empty() ? page->items[0] : StoredFinding{};
    }

    std::unique_ptr<db::Database> db_;
    NullSink sink_;
    std::unique_ptr<VulnStore> vulns_;
    std::unique_ptr<AssetStore> assets_;
    std::unique_ptr<FindingStore> findings_;
    std::unique_ptr<VulnService> service_;
    std::unique_ptr<AdvisoryStore> advisories_;
    std::int64_t org_id_ = 0;
    std::string org_uuid_;
    core::Actor actor_;
    db::Predicate all_;
};

TEST_P(VexTest, KnownNotAffectedSettlesTheFinding) {
    const Asset a = AddAsset("1.4.1");
    IngestRecord();
    EXPECT_EQ(FindingOf(a).state, FindingState::kOpen);
    Import(VexDocument("EXS-VEX-2026-0001", "known_not_affected"));
    StoredFinding f = FindingOf(a);
    EXPECT_EQ(f.state, FindingState::kNotApplicable);
    EXPECT_EQ(f.state_reason, "VEX EXS-VEX-2026-0001: known_not_affected");
    EXPECT_EQ(f.state_by, "");
    // Matching again keeps it settled; a finding written after the import is settled at once.
    ASSERT_TRUE(service_->RematchAll(1));
    EXPECT_EQ(FindingOf(a).state, FindingState::kNotApplicable);
    const Asset b = AddAsset("1.4.1");
    EXPECT_EQ(FindingOf(b).state, FindingState::kNotApplicable);
    // A newer document that says affected reopens it and confirms it.
    std::string affected = VexDocument("EXS-VEX-2026-0001", "known_affected");
    const std::string date = R"("current_release_date":"2026-02-01T10:00:00.000Z")";
    affected.replace(affected.find(date), date.size(), R"("current_release_date":"2026-03-01T10:00:00.000Z")");
    Import(affected);
    f = FindingOf(a);
    EXPECT_EQ(f.state, FindingState::kOpen);
    EXPECT_NE(f.finding.reason.find("confirmed by VEX EXS-VEX-2026-0001"), std::string::npos) << f.finding.reason;
}

TEST_P(VexTest, FixedSettlesTheFinding) {
    const Asset a = AddAsset("1.4.1");
    IngestRecord();
    Import(VexDocument("EXS-VEX-2026-0002", "fixed"));
    const StoredFinding f = FindingOf(a);
    EXPECT_EQ(f.state, FindingState::kNotApplicable);
    EXPECT_EQ(f.state_reason, "VEX EXS-VEX-2026-0002: fixed");
}

TEST_P(VexTest, ManualStateIsKept) {
    const Asset a = AddAsset("1.4.1");
    IngestRecord();
    const StoredFinding before = FindingOf(a);
    ASSERT_TRUE(findings_->MarkNotApplicable(before.uuid, "not exposed to the network", all_, actor_));
    Import(VexDocument("EXS-VEX-2026-0003", "known_not_affected"));
    StoredFinding f = FindingOf(a);
    EXPECT_EQ(f.state, FindingState::kNotApplicable);
    EXPECT_EQ(f.state_reason, "not exposed to the network");
    EXPECT_EQ(f.state_by, "analyst");
    // Reopened by hand: VEX does not close it again.
    ASSERT_TRUE(findings_->Reopen(before.uuid, all_, actor_));
    ASSERT_TRUE(service_->SettleWithVex({kCve}));
    EXPECT_EQ(FindingOf(a).state, FindingState::kOpen);
}

TEST_P(VexTest, KnownAffectedKeepsItOpen) {
    const Asset a = AddAsset("1.4.1");
    IngestRecord();
    Import(VexDocument("EXS-VEX-2026-0004", "known_affected"));
    const StoredFinding f = FindingOf(a);
    EXPECT_EQ(f.state, FindingState::kOpen);
    EXPECT_NE(f.finding.reason.find("; confirmed by VEX EXS-VEX-2026-0004"), std::string::npos) << f.finding.reason;
    ASSERT_TRUE(service_->SettleWithVex({kCve}));  // not added twice
    const StoredFinding again = FindingOf(a);
    EXPECT_EQ(again.finding.reason, f.finding.reason);
}

TEST_P(VexTest, OtherProductOrVersionDoesNothing) {
    const Asset a = AddAsset("1.4.1");
    IngestRecord();
    Import(VexDocument("EXS-VEX-2026-0005", "known_not_affected", "otherd", "1.4.1"));
    Import(VexDocument("EXS-VEX-2026-0006", "known_not_affected", "exampled", "1.4.0"));
    const StoredFinding f = FindingOf(a);
    EXPECT_EQ(f.state, FindingState::kOpen);
    EXPECT_EQ(f.state_reason, "");
}

INSTANTIATE_TEST_SUITE_P(Backends, VexTest, ::testing::ValuesIn(db::testing::BackendNames()),
                         [](const auto& info) { return info.param; });

// ---- statements against assets ----

TEST(VexMatch, VersionRanges) {
    const auto semver = VersionScheme::kSemver;
    EXPECT_EQ(InVersionRange("vers:semver/<1.4.2", "1.4.1", semver), true);
    EXPECT_EQ(InVersionRange("vers:semver/<1.4.2", "1.4.2", semver), false);
    EXPECT_EQ(InVersionRange("vers:semver/>=1.2.0|<1.4.2", "1.1.0", semver), false);
    EXPECT_EQ(InVersionRange("vers:semver/>=1.2.0|<1.4.2", "1.3.0", semver), true);
    EXPECT_EQ(InVersionRange("vers:semver/=1.0.0|=1.4.1", "1.4.1", semver), true);
    EXPECT_EQ(InVersionRange("vers:semver/>=1.0.0|!=1.4.1", "1.4.1", semver), false);
    EXPECT_EQ(InVersionRange("vers:generic/*", "7", semver), true);
    EXPECT_EQ(InVersionRange("<=1.14.0", "1.14.0", semver), true);
    EXPECT_EQ(InVersionRange("< 1.4.2", "1.5", VersionScheme::kGeneric), false);
    EXPECT_EQ(InVersionRange("all versions before 1.4.2", "1.4.1", semver), std::nullopt);
    EXPECT_EQ(InVersionRange("vers:semver", "1.4.1", semver), std::nullopt);
    EXPECT_EQ(InVersionRange("", "1.4.1", semver), std::nullopt);
}

TEST(VexMatch, Identification) {
    Asset a;
    a.vendor = "ExampleSoft";
    a.product = "exampled";
    a.version = "1.4.1";
    a.purl = "pkg:npm/exampled@1.4.1";
    a.cpe = "cpe:2.3:a:examplesoft:exampled:1.4.1:*:*:*:*:*:*:*";
    CsafStatement s;
    // purl decides when both carry one.
    s.purl = "pkg:npm/exampled@1.4.1";
    EXPECT_TRUE(StatementConcerns(s, a));
    s.purl = "pkg:npm/exampled";
    s.version_range = "vers:npm/<1.4.2";
    EXPECT_TRUE(StatementConcerns(s, a));
    s.version_range = "vers:npm/>=2.0.0";
    EXPECT_FALSE(StatementConcerns(s, a));
    s.purl = "pkg:npm/otherd@1.4.1";
    s.version_range.clear();
    s.vendor = "ExampleSoft";
    s.product = "exampled";
    EXPECT_FALSE(StatementConcerns(s, a));
    // Then CPE.
    s.purl.clear();
    s.cpe = "cpe:2.3:a:examplesoft:exampled:*:*:*:*:*:*:*:*";
    s.version = "1.4.1";
    EXPECT_TRUE(StatementConcerns(s, a));
    s.version = "1.4.0";
    EXPECT_FALSE(StatementConcerns(s, a));
    // Then names, case-insensitive.
    s.cpe.clear();
    a.cpe.clear();
    a.purl.clear();
    s.vendor = "examplesoft";
    s.product = "EXAMPLED";
    s.version = "1.4.1";
    EXPECT_TRUE(StatementConcerns(s, a));
    s.product = "otherd";
    EXPECT_FALSE(StatementConcerns(s, a));

    // Verdicts: not affected wins over affected; under investigation says nothing.
    CsafStatement ok;
    ok.vendor = "ExampleSoft";
    ok.product = "exampled";
    ok.version = "1.4.1";
    CsafStatement affected = ok, not_affected = ok, unsure = ok;
    affected.status = StatementStatus::kKnownAffected;
    not_affected.status = StatementStatus::kKnownNotAffected;
    unsure.status = StatementStatus::kUnderInvestigation;
    EXPECT_EQ(JudgeVex({{unsure, "U-1"}}, a).kind, VexVerdict::Kind::kNone);
    const VexVerdict v = JudgeVex({{affected, "A-1"}, {not_affected, "N-1"}}, a);
    EXPECT_EQ(v.kind, VexVerdict::Kind::kNotApplicable);
    EXPECT_EQ(v.reason, "VEX N-1: known_not_affected");
    EXPECT_EQ(JudgeVex({{affected, "A-1"}}, a).reason, "confirmed by VEX A-1");
}

}  // namespace
}  // namespace muhafiz::vulns
