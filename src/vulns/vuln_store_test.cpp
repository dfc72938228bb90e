// Parsers of CVE 5 / NVD 2.0 / KEV / EPSS over the real samples in tests/data/vuln/, the JSON
// form of a record, and VulnStore on SQLite and PostgreSQL.
#include "vulns/vuln_store.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "db/testing.hpp"
#include "vulns/cve_parser.hpp"

namespace muhafiz::vulns {
namespace {

std::string DataPath(const std::string& rel) {
    const char* root = std::getenv("MUHAFIZ_SOURCE_DIR");
    return std::string(root ? root : ".") + "/tests/data/vuln/" + rel;
}

std::string ReadData(const std::string& rel) {
    std::ifstream in(DataPath(rel), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

VulnRecord Cve(const std::string& rel) {
    auto doc = core::ParseJson(ReadData(rel));
    EXPECT_TRUE(doc.has_value()) << rel;
    auto r = ParseCveRecord(*doc);
    EXPECT_TRUE(r.has_value()) << rel << ": " << r.error().message;
    return r ? *r : VulnRecord{};
}

TEST(CveParser, Log4ShellWithCisaAdp) {
    const VulnRecord r = Cve("cve5/CVE-2021-44228.json");
    EXPECT_EQ(r.cve_id, "CVE-2021-44228");
    EXPECT_EQ(r.state, "PUBLISHED");
    EXPECT_EQ(r.assigner, "apache");
    EXPECT_FALSE(r.description.empty());
    ASSERT_FALSE(r.cna_affected.empty());
    EXPECT_EQ(r.cna_affected[0].vendor, "Apache Software Foundation");
    ASSERT_TRUE(r.kev.has_value());
    EXPECT_EQ(r.kev->date_added, "2021-12-10");
    ASSERT_TRUE(r.ssvc.has_value());
    EXPECT_EQ(r.ssvc->exploitation, "active");
    EXPECT_EQ(r.ssvc->automatable, "yes");
    EXPECT_EQ(r.ssvc->technical_impact, "total");
    EXPECT_NE(std::find(r.cwes.begin(), r.cwes.end(), "CWE-502"), r.cwes.end());
    const CvssMetric* best = r.BestMetric();
    ASSERT_NE(best, nullptr);
    EXPECT_EQ(best->source, "adp:CISA-ADP");
    EXPECT_DOUBLE_EQ(best->score, 10.0);
    EXPECT_EQ(best->severity, "CRITICAL");
    EXPECT_FALSE(r.references.empty());
    EXPECT_EQ(r.updated, *core::ParseRfc3339("2025-02-04T14:25:37.215Z"));
}

TEST(CveParser, RejectedZonelessAndTextCwe) {
    const VulnRecord rejected = Cve("cve5/CVE-2024-1342.json");
    EXPECT_EQ(rejected.state, "REJECTED");
    EXPECT_EQ(rejected.description, "Unable to reproduce.");
    EXPECT_TRUE(rejected.cna_affected.empty());

    const VulnRecord old = Cve("cve5/history/CVE-2023-23127_v2023-02-02.json");
    EXPECT_EQ(old.updated, *core::ParseRfc3339("2023-02-02T00:00:00Z"));

    const VulnRecord go = Cve("cve5/CVE-2023-3978.json");
    EXPECT_EQ(go.cwes, std::vector<std::string>{"CWE-79"});
}

TEST(CveParser, MetricsOfEveryVersionAndAdpAffected) {
    const VulnRecord r = Cve("cve5/CVE-2024-9040.json");
    ASSERT_EQ(r.metrics.size(), 4u);
    EXPECT_EQ(r.BestMetric()->vector.substr(0, 9), "CVSS:4.0/");
    EXPECT_EQ(r.metrics[3].severity, "LOW");  // CVSS 2.0 1.4

    const VulnRecord adp = Cve("cve5/CVE-2024-35384.json");
    EXPECT_FALSE(adp.adp_affected.empty());
    EXPECT_FALSE(adp.adp_affected[0].cpes.empty());
}

TEST(CveParser, ScoresAVectorWithoutScore) {
    auto doc = core::ParseJson(R"({"cveMetadata":{"cveId":"CVE-2030-0001","state":"PUBLISHED",
        "dateUpdated":"2030-01-01T00:00:00"},"containers":{"cna":{"metrics":[
        {"cvssV3_1":{"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
        {"cvssV3_1":{"vectorString":"CVSS:3.1/broken"}}]}}})");
    ASSERT_TRUE(doc);
    auto r = ParseCveRecord(*doc);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->metrics.size(), 1u);
    EXPECT_DOUBLE_EQ(r->metrics[0].score, 9.8);
    EXPECT_EQ(r->metrics[0].severity, "CRITICAL");
}

TEST(CveParser, BrokenRecordsNameTheField) {
    auto bad_status =
        core::ParseJson(R"({"cveMetadata":{"cveId":"CVE-2030-0002","state":"PUBLISHED",
        "dateUpdated":"2030-01-01T00:00:00Z"},"containers":{"cna":{"affected":[
        {"vendor":"x","product":"y","versions":[{"version":"1","status":"maybe"}]}]}}})");
    auto r = ParseCveRecord(*bad_status);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("containers.cna.affected[0].versions[0].status"),
              std::string::npos);
    auto no_id = core::ParseJson(R"({"cveMetadata":{"cveId":"CVE-24-1","state":"PUBLISHED"}})");
    EXPECT_FALSE(ParseCveRecord(*no_id));
}

TEST(NvdParser, ConfigurationsMetricsAndKev) {
    auto doc = core::ParseJson(ReadData("nvd2/CVE-2020-13595.json"));
    ASSERT_TRUE(doc);
    auto nvd = ParseNvdResponse(*doc);
    ASSERT_TRUE(nvd) << nvd.error().message;
    ASSERT_EQ(nvd->items.size(), 1u);
    const VulnRecord& r = nvd->items[0];
    EXPECT_EQ(r.cve_id, "CVE-2020-13595");
    ASSERT_FALSE(r.nvd_configurations.empty());
    EXPECT_EQ(r.nvd_configurations[0].op, CpeOperator::kAnd);
    EXPECT_EQ(r.BestMetric()->source, "nvd:Primary");

    auto webp = ParseNvdResponse(*core::ParseJson(ReadData("nvd2/CVE-2023-4863.json")));
    ASSERT_TRUE(webp);
    ASSERT_TRUE(webp->items[0].kev.has_value());
    EXPECT_FALSE(webp->items[0].kev->required_action.empty());
    auto xz = ParseNvdResponse(*core::ParseJson(ReadData("nvd2/CVE-2024-3094.json")));
    ASSERT_TRUE(xz && xz->items[0].ssvc);
    EXPECT_EQ(xz->items[0].ssvc->technical_impact, "total");
}

TEST(KevAndEpssParsers, Samples) {
    auto kev = ParseKevCatalog(*core::ParseJson(ReadData("kev/kev_excerpt.json")));
    ASSERT_TRUE(kev) << kev.error().message;
    EXPECT_EQ(kev->catalog_version, "2025.08.25");
    ASSERT_EQ(kev->entries.size(), 10u);
    EXPECT_TRUE(kev->problems.empty());
    EXPECT_EQ(kev->entries[0].cve_id, "CVE-2025-48384");
    EXPECT_EQ(kev->entries[0].entry.due_date, "2025-09-15");

    auto epss = ParseEpssCsv(ReadData("epss/epss_scores_excerpt.csv"));
    ASSERT_TRUE(epss) << epss.error().message;
    EXPECT_EQ(epss->model_version, "v2026.06.15");
    EXPECT_EQ(epss->score_date, "2026-09-29T12:00:22Z");
    ASSERT_EQ(epss->scores.size(), 20u);
    EXPECT_DOUBLE_EQ(epss->scores[0].epss, 0.03351);

    auto old = ParseEpssCsv("cve,epss\nCVE-2021-0001,0.5\nCVE-2021-0002,2\nbad,0.1\n");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->scores.size(), 1u);
    ASSERT_EQ(old->problems.size(), 2u);
    EXPECT_EQ(old->problems[0].item, "line 3");
    EXPECT_FALSE(ParseEpssCsv("no,header\n1,2\n"));
}

TEST(VulnRecordJson, RoundTripsEverySample) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(DataPath("cve5"))) {
        if (!entry.is_regular_file() || entry.path().filename() == "delta.json") continue;
        const VulnRecord r =
            Cve("cve5/" + std::filesystem::relative(entry.path(), DataPath("cve5")).string());
        const std::string once = core::ToJson(VulnRecordToJson(r));
        auto back = VulnRecordFromJson(*core::ParseJson(once));
        ASSERT_TRUE(back) << entry.path() << ": " << back.error().message;
        EXPECT_EQ(core::ToJson(VulnRecordToJson(*back)), once) << entry.path();
    }
    auto nvd = ParseNvdResponse(*core::ParseJson(ReadData("nvd2/CVE-2023-4863.json")));
    const std::string once = core::ToJson(VulnRecordToJson(nvd->items[0]));
    auto back = VulnRecordFromJson(*core::ParseJson(once));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(core::ToJson(VulnRecordToJson(*back)), once);
}

class VulnStoreTest : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        ASSERT_NE(db_, nullptr);
        store_ = std::make_unique<VulnStore>(*db_);
    }
    std::unique_ptr<db::Database> db_;
    std::unique_ptr<VulnStore> store_;
};

TEST_P(VulnStoreTest, UpsertIsIdempotentAndKeepsHistory) {
    const VulnRecord current = Cve("cve5/CVE-2024-2339.json");
    const VulnRecord old = Cve("cve5/history/CVE-2024-2339_v2024-03-08.json");
    ASSERT_LT(old.updated, current.updated);

    auto first = store_->Upsert({current, Cve("cve5/CVE-2021-44228.json")});
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->inserted, 2);
    auto again = store_->Upsert({current});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->unchanged, 1);
    EXPECT_EQ(again->inserted + again->updated, 0);

    // An older version does not replace the newer one; it lands in the history.
    auto older = store_->Upsert({old});
    ASSERT_TRUE(older);
    EXPECT_EQ(older->older, 1);
    auto got = store_->Get("CVE-2024-2339");
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->updated, current.updated);
    EXPECT_EQ(core::ToJson(VulnRecordToJson(*got)), core::ToJson(VulnRecordToJson(current)));
    auto history = store_->History("CVE-2024-2339");
    ASSERT_TRUE(history);
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ((*history)[0].updated, old.updated);

    // Old first, then new: the new one replaces it and the old one moves to the history.
    const VulnRecord mitre_old = Cve("cve5/history/CVE-2023-23127_v2023-02-02.json");
    const VulnRecord mitre_new = Cve("cve5/CVE-2023-23127.json");
    ASSERT_TRUE(store_->Upsert({mitre_old}));
    auto replaced = store_->Upsert({mitre_new});
    ASSERT_TRUE(replaced);
    EXPECT_EQ(replaced->updated, 1);
    EXPECT_EQ(store_->Get("CVE-2023-23127")->updated, mitre_new.updated);
    EXPECT_EQ(store_->History("CVE-2023-23127")->size(), 1u);
    EXPECT_EQ(store_->Get("CVE-1999-0001").error().code, core::ErrorCode::kNotFound);
}

TEST_P(VulnStoreTest, EnrichmentSurvivesReimport) {
    VulnRecord log4j = Cve("cve5/CVE-2021-44228.json");
    ASSERT_TRUE(store_->Upsert({log4j}));
    auto kev = ParseKevCatalog(*core::ParseJson(ReadData("kev/kev_excerpt.json")));
    auto counts = store_->UpsertKev(kev->entries);
    ASSERT_TRUE(counts) << counts.error().message;
    EXPECT_EQ(counts->inserted, 10);
    EpssFile epss{"v1", "2026-01-01", {{"CVE-2021-44228", 0.97, 0.999}}, {}};
    ASSERT_TRUE(store_->UpsertEpss(epss));
    EXPECT_EQ(store_->UpsertEpss(epss)->unchanged, 1);
    auto nvd = ParseNvdResponse(*core::ParseJson(ReadData("nvd2/CVE-2023-4863.json")));
    ASSERT_TRUE(store_->UpsertNvd(nvd->items));  // before its CVE record exists

    log4j.updated += 1000000;  // a newer version of the CVE record
    log4j.title = "newer";
    auto re = store_->Upsert({log4j});
    ASSERT_TRUE(re);
    EXPECT_EQ(re->updated, 1);
    auto got = store_->Get("CVE-2021-44228");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->title, "newer");
    ASSERT_TRUE(got->kev);
    EXPECT_FALSE(got->kev->required_action.empty());  // the catalog's entry, not the ADP mark
    ASSERT_TRUE(got->epss);
    EXPECT_DOUBLE_EQ(*got->epss, 0.97);
    EXPECT_DOUBLE_EQ(*got->epss_percentile, 0.999);

    // NVD arrived first; the CVE record picks it up (configurations, products) when it comes.
    VulnRecord webp;
    webp.cve_id = "CVE-2023-4863";
    webp.state = "PUBLISHED";
    webp.updated = 1;
    ASSERT_TRUE(store_->Upsert({webp}));
    auto merged = store_->Get("CVE-2023-4863");
    ASSERT_TRUE(merged);
    EXPECT_FALSE(merged->nvd_configurations.empty());
    ASSERT_NE(merged->BestMetric(), nullptr);
    EXPECT_TRUE(merged->kev);
    auto ids = store_->CandidateIds("google", "chrome", "");
    ASSERT_TRUE(ids);
    EXPECT_EQ(*ids, std::vector<std::string>{"CVE-2023-4863"});

    VulnFilter kev_only;
    kev_only.kev_only = true;
    EXPECT_EQ(store_->Search(kev_only)->total, 2);
    VulnFilter epss_filter;
    epss_filter.min_epss = 0.5;
    EXPECT_EQ(store_->Search(epss_filter)->total, 1);
}

TEST_P(VulnStoreTest, SearchFiltersAndPages) {
    std::vector<VulnRecord> records;
    for (const auto& entry : std::filesystem::directory_iterator(DataPath("cve5")))
        if (entry.path().filename().string().starts_with("CVE-"))
            records.push_back(Cve("cve5/" + entry.path().filename().string()));
    ASSERT_EQ(records.size(), 20u);
    ASSERT_TRUE(store_->Upsert(records));

    VulnFilter all;
    EXPECT_EQ(store_->Search(all)->total, 19);  // without the REJECTED one
    all.include_rejected = true;
    EXPECT_EQ(store_->Search(all)->total, 20);

    VulnFilter q;
    q.q = "LOG4J";
    auto found = store_->Search(q);
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_EQ(found->total, 1);
    EXPECT_EQ(found->items[0].cve_id, "CVE-2021-44228");
    VulnFilter q_id;
    q_id.q = "cve-2024-34";
    EXPECT_EQ(store_->Search(q_id)->total, 1);  // CVE-2024-3400

    VulnFilter product;
    product.vendor = "palo";
    product.product = "pan-os";
    auto pan = store_->Search(product);
    ASSERT_TRUE(pan);
    ASSERT_EQ(pan->total, 1);
    EXPECT_EQ(pan->items[0].cve_id, "CVE-2024-3400");
    VulnFilter package;
    package.product = "xz";
    EXPECT_GE(store_->Search(package)->total, 1);

    VulnFilter critical;
    critical.min_cvss = 9.0;
    critical.sort = "-cvss";
    auto crit = store_->Search(critical);
    ASSERT_TRUE(crit);
    ASSERT_GT(crit->total, 0);
    for (const auto& r : crit->items) EXPECT_GE(r.BestMetric()->score, 9.0);

    VulnFilter since;
    since.published_since = *core::ParseRfc3339("2025-01-01");
    auto recent = store_->Search(since);
    ASSERT_TRUE(recent);
    for (const auto& r : recent->items) EXPECT_GE(r.published, *since.published_since);

    for (const std::string sort :
         {"-published", "published", "-updated", "-cvss", "-epss", "cve_id"}) {
        VulnFilter page_filter;
        page_filter.sort = sort;
        page_filter.limit = 3;
        std::set<std::string> seen;
        int pages = 0;
        while (true) {
            auto page = store_->Search(page_filter);
            ASSERT_TRUE(page) << sort << ": " << page.error().message;
            EXPECT_EQ(page->total, 19);
            for (const auto& r : page->items)
                EXPECT_TRUE(seen.insert(r.cve_id).second) << sort << " " << r.cve_id;
            ++pages;
            if (!page->next) break;
            page_filter.cursor = *page->next;
        }
        EXPECT_EQ(seen.size(), 19u) << sort;
        EXPECT_EQ(pages, 7) << sort;
    }
    VulnFilter bad;
    bad.cursor = "nonsense";
    EXPECT_EQ(store_->Search(bad).error().field, "cursor");
    bad.cursor.clear();
    bad.sort = "title";
    EXPECT_EQ(store_->Search(bad).error().field, "sort");

    std::size_t streamed = 0;
    ASSERT_TRUE(store_->ForEach(
        [&](const VulnRecord& r) {
            EXPECT_EQ(r.state, "PUBLISHED");
            ++streamed;
            return core::Ok();
        },
        4));
    EXPECT_EQ(streamed, 19u);
    EXPECT_EQ(store_->All()->size(), 19u);
}

TEST_P(VulnStoreTest, DeadLettersKeepOneRowPerItem) {
    ASSERT_TRUE(
        store_->AddDeadLetters({{"a.json", "", "not JSON", 0}, {"b.csv", "line 3", "bad", 0}}));
    ASSERT_TRUE(store_->AddDeadLetters({{"b.csv", "line 3", "still bad", 0}}));
    auto page = store_->ListDeadLetters(1);
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->total, 2);
    ASSERT_EQ(page->items.size(), 1u);
    ASSERT_TRUE(page->next);
    auto rest = store_->ListDeadLetters(1, *page->next);
    ASSERT_TRUE(rest) << rest.error().message;
    ASSERT_EQ(rest->items.size(), 1u);
    EXPECT_FALSE(rest->next);
    const DeadLetter& b = page->items[0].source == "b.csv" ? page->items[0] : rest->items[0];
    EXPECT_EQ(b.reason, "still bad");
}

INSTANTIATE_TEST_SUITE_P(Backends, VulnStoreTest, ::testing::ValuesIn(db::testing::BackendNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace muhafiz::vulns
