// Ingest of files, folders, zip bundles (with a nested zip), NVD, KEV and EPSS (plain and gzip)
// on SQLite and PostgreSQL: idempotency, dead letters, enrichment surviving re-imports.
#include "vulns/ingest.hpp"

#include <gtest/gtest.h>
#include <zip.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/ids.hpp"
#include "db/testing.hpp"

namespace muhafiz::vulns {
namespace {

namespace fs = std::filesystem;

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

void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// A zip of (entry name, content) pairs in memory.
std::string Zip(const std::vector<std::pair<std::string, std::string>>& entries) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &error);
    zip_source_keep(out);
    zip_t* zip = zip_open_from_source(out, ZIP_TRUNCATE, &error);
    EXPECT_NE(zip, nullptr);
    for (const auto& [name, content] : entries) {
        zip_source_t* src = zip_source_buffer(zip, content.data(), content.size(), 0);
        EXPECT_GE(zip_file_add(zip, name.c_str(), src, ZIP_FL_OVERWRITE), 0);
    }
    EXPECT_EQ(zip_close(zip), 0);
    std::string data;
    zip_stat_t st;
    zip_source_stat(out, &st);
    data.resize(st.size);
    zip_source_open(out);
    zip_source_read(out, data.data(), st.size);
    zip_source_close(out);
    zip_source_free(out);
    zip_error_fini(&error);
    return data;
}

class IngestTest : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        ASSERT_NE(db_, nullptr);
        store_ = std::make_unique<VulnStore>(*db_);
        dir_ = fs::temp_directory_path() / ("muhafiz-ingest-" + core::RandomToken(6));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    IngestReport Ingest(const fs::path& path, IngestKind kind = IngestKind::kAuto) {
        auto report = IngestPath(*store_, path.string(), kind, {.batch_size = 7});
        EXPECT_TRUE(report) << report.error().message;
        return report ? *report : IngestReport{};
    }

    std::unique_ptr<db::Database> db_;
    std::unique_ptr<VulnStore> store_;
    fs::path dir_;
};

TEST_P(IngestTest, FolderTwiceIsIdempotent) {
    const IngestReport first = Ingest(DataPath("cve5"));
    EXPECT_EQ(first.files, 22);   // 20 records and 2 older versions in history/
    EXPECT_EQ(first.skipped, 1);  // delta.json
    EXPECT_EQ(first.records, 22);
    EXPECT_EQ(first.inserted, 20);
    EXPECT_EQ(first.older, 2);
    EXPECT_EQ(first.rejected, 0);
    EXPECT_NE(FormatIngestReport(first).find("20 inserted"), std::string::npos);

    const IngestReport second = Ingest(DataPath("cve5"));
    EXPECT_EQ(second.inserted, 0);
    EXPECT_EQ(second.updated, 0);
    EXPECT_EQ(second.unchanged, 20);
    EXPECT_EQ(second.older, 2);
    EXPECT_EQ(store_->History("CVE-2024-2339")->size(), 1u);
}

TEST_P(IngestTest, BrokenRecordsGoToDeadLetters) {
    Write(dir_ / "good.json", ReadData("cve5/CVE-2024-3400.json"));
    Write(dir_ / "a/not-json.json", "{\"cveMetadata\": ");
    Write(dir_ / "a/no-metadata.json", R"({"dataType":"CVE_RECORD","containers":{}})");
    Write(dir_ / "b/bad-status.json",
          R"({"cveMetadata":{"cveId":"CVE-2030-0002","state":"PUBLISHED",
        "dateUpdated":"2030-01-01T00:00:00Z"},"containers":{"cna":{"affected":[
        {"vendor":"x","product":"y","versions":[{"version":"1","status":"maybe"}]}]}}})");
    Write(dir_ / "b/unknown.json", R"({"hello":"world"})");
    const IngestReport report = Ingest(dir_);
    EXPECT_EQ(report.files, 5);
    EXPECT_EQ(report.inserted, 1);
    EXPECT_EQ(report.rejected, 4);
    auto letters = store_->ListDeadLetters(50);
    ASSERT_TRUE(letters);
    ASSERT_EQ(letters->total, 4);
    bool saw_status = false;
    for (const auto& d : letters->items) {
        EXPECT_FALSE(d.reason.empty());
        if (d.source == (dir_ / "b/bad-status.json").string()) {
            saw_status = true;
            EXPECT_EQ(d.item, "CVE-2030-0002");
            EXPECT_NE(d.reason.find("versions[0].status"), std::string::npos) << d.reason;
        }
    }
    EXPECT_TRUE(saw_status);
    EXPECT_TRUE(store_->Get("CVE-2024-3400"));
    // Again: the same dead letters, not new ones.
    Ingest(dir_);
    EXPECT_EQ(store_->ListDeadLetters(50)->total, 4);
}

TEST_P(IngestTest, ZipBundleWithNestedZip) {
    const std::string inner =
        Zip({{"cves/2024/3xxx/CVE-2024-3400.json", ReadData("cve5/CVE-2024-3400.json")},
             {"cves/delta.json", ReadData("cve5/delta.json")},
             {"cves/2024/1xxx/CVE-2024-1342.json", ReadData("cve5/CVE-2024-1342.json")}});
    Write(dir_ / "bundle.zip",
          Zip({{"cves.zip", inner},
               {"cves/2021/44xxx/CVE-2021-44228.json", ReadData("cve5/CVE-2021-44228.json")},
               {"README.md", "release notes"}}));
    const IngestReport report = Ingest(dir_ / "bundle.zip");
    EXPECT_EQ(report.files, 3);
    EXPECT_EQ(report.inserted, 3);
    EXPECT_EQ(report.skipped, 2);  // delta.json, README.md
    EXPECT_EQ(store_->Get("CVE-2024-1342")->state, "REJECTED");
    EXPECT_EQ(Ingest(dir_ / "bundle.zip").unchanged, 3);

    Write(dir_ / "broken.zip", std::string("PK\x03\x04", 4) + "garbage");
    EXPECT_FALSE(IngestPath(*store_, (dir_ / "broken.zip").string()));
    EXPECT_FALSE(IngestPath(*store_, (dir_ / "missing").string()));
}

TEST_P(IngestTest, KevEpssAndNvdMergeAndSurviveReimport) {
    Ingest(DataPath("cve5/CVE-2021-44228.json"));
    const IngestReport kev = Ingest(DataPath("kev/kev_excerpt.json"));
    EXPECT_EQ(kev.records, 10);
    EXPECT_EQ(kev.inserted, 10);
    EXPECT_EQ(Ingest(DataPath("kev/kev_excerpt.json")).unchanged, 10);

    // EPSS, gzip-compressed, with a score for our CVE and a broken line.
    std::string csv =
        ReadData("epss/epss_scores_excerpt.csv") + "CVE-2021-44228,0.94400,0.99951\nCVE-x,1,1\n";
    const fs::path gz = dir_ / "epss_scores-2026-09-29.csv.gz";
    gzFile out = gzopen(gz.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    gzwrite(out, csv.data(), static_cast<unsigned>(csv.size()));
    gzclose(out);
    const IngestReport epss = Ingest(gz);
    EXPECT_EQ(epss.records, 22);
    EXPECT_EQ(epss.inserted, 21);
    EXPECT_EQ(epss.rejected, 1);
    EXPECT_EQ(Ingest(gz).unchanged, 21);

    const IngestReport nvd = Ingest(DataPath("nvd2"));
    EXPECT_EQ(nvd.inserted, 4);
    EXPECT_EQ(Ingest(DataPath("nvd2")).unchanged, 4);

    // A newer version of the CVE record replaces it; the enrichment stays.
    std::string text = ReadData("cve5/CVE-2021-44228.json");
    const std::string stamp = "\"dateUpdated\": \"2025-02-04T14:25:37.215Z\"";
    const auto at = text.find(stamp);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, stamp.size(), "\"dateUpdated\": \"2026-01-01T00:00:00Z\"");
    Write(dir_ / "newer/CVE-2021-44228.json", text);
    EXPECT_EQ(Ingest(dir_ / "newer").updated, 1);
    auto got = store_->Get("CVE-2021-44228");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->updated, *core::ParseRfc3339("2026-01-01T00:00:00Z"));
    ASSERT_TRUE(got->kev);
    EXPECT_FALSE(got->kev->due_date.empty());
    ASSERT_TRUE(got->epss);
    EXPECT_DOUBLE_EQ(*got->epss, 0.944);
    EXPECT_EQ(store_->History("CVE-2021-44228")->size(), 1u);
    VulnFilter filter;
    filter.kev_only = true;
    filter.min_epss = 0.9;
    EXPECT_EQ(store_->Search(filter)->total, 1);
}

TEST(IngestKinds, Names) {
    for (IngestKind k : {IngestKind::kAuto, IngestKind::kCve5, IngestKind::kNvd, IngestKind::kKev,
                         IngestKind::kEpss})
        EXPECT_EQ(ParseIngestKind(IngestKindName(k)), k);
    EXPECT_FALSE(ParseIngestKind("csv"));
}

INSTANTIATE_TEST_SUITE_P(Backends, IngestTest, ::testing::ValuesIn(db::testing::BackendNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace muhafiz::vulns
