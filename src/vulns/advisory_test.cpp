#include "vulns/advisory.hpp"

#include <gpgme.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/ids.hpp"
#include "db/testing.hpp"
#include "vulns/advisory_store.hpp"
#include "vulns/csaf.hpp"
#include "vulns/csaf_provider.hpp"

namespace muhafiz::vulns {
namespace {
namespace fs = std::filesystem;
namespace json = core::json;

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

std::string ReadFile(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string SourceDir() {
    const char* d = std::getenv("MUHAFIZ_SOURCE_DIR");
    return d ? d : ".";
}

const json::value& At(const json::value& v, std::initializer_list<std::string_view> path) {
    const json::value* cur = &v;
    for (auto key : path) cur = &cur->as_object().at(key);
    return *cur;
}

AdvisoryContent Sample() {
    auto body = core::ParseJsonObject(R"({
      "title": "Apache HTTP Server: path traversal",
      "summary": "Path traversal in 2.4.49 and 2.4.50.",
      "tlp": "TLP:CLEAR",
      "cves": ["cve-2021-41773"],
      "products": [{"vendor": "Apache", "product": "HTTP Server", "versions_affected": ["2.4.49", "<2.4.49"],
                    "versions_fixed": ["2.4.51"], "cpe": "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*"}],
      "scores": [{"cve": "CVE-2021-41773", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"},
                 {"cve": "CVE-2021-41773", "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"}],
      "remediation": [{"category": "vendor_fix", "details": "Update to 2.4.51.", "products": ["HTTP Server"]}],
      "references": [{"url": "https://httpd.apache.org/security/vulnerabilities_24.html", "summary": "Apache"}],
      "notes": "Exploited in the wild."
    })");
    EXPECT_TRUE(body);
    auto c = ContentFromJson(*body);
    EXPECT_TRUE(c) << c.error().field << ": " << c.error().message;
    return c ? *c : AdvisoryContent{};
}

// ---- Model, validation and rendering (no database) ----

TEST(AdvisoryModel, ValidationNamesTheField) {
    auto field_of = [](const char* text) -> std::string {
        auto body = core::ParseJsonObject(text);
        if (!body) return "json";
        auto c = ContentFromJson(*body);
        return c ? std::string() : c.error().field;
    };
    EXPECT_EQ(field_of(R"({"tlp":"TLP:RED"})"), "title");
    EXPECT_EQ(field_of(R"({"title":"x"})"), "tlp");
    EXPECT_EQ(field_of(R"({"title":"x","tlp":"TLP:PURPLE"})"), "tlp");
    EXPECT_EQ(field_of(R"({"title":"x","tlp":"red","colour":1})"), "colour");
    EXPECT_EQ(field_of(R"({"title":"x","tlp":"red","cves":["CVE-21-1"]})"), "cves[0]");
    EXPECT_EQ(field_of(R"({"title":"x","tlp":"red","products":[{"vendor":"a"}]})"), "products[0].product");
    EXPECT_EQ(field_of(R"({"title":"x","tlp":"red","cves":["CVE-2024-1234"],
                           "scores":[{"cve":"CVE-2024-1234","vector":"CVSS:3.1/AV:X"}]})"), "scores[0].vector");
    EXPECT_EQ(field_of(R"({"title":"x","tlp":"red","scores":[{"cve":"CVE-2024-1234",
                           "vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}]})"), "scores[0].cve");
    EXPECT_EQ(field_of(R"({"title":"x","tlp":"red","remediation":[{"category":"pray","details":"d"}]})"),
              "remediation[0].category");
    EXPECT_EQ(field_of(R"({"title":"x","tlp":"red","references":[{"url":"ftp://x","summary":"s"}]})"),
              "references[0].url");
    EXPECT_EQ(field_of(R"({"title":"x","tlp":"amber+strict"})"), "");

    AdvisoryContent draft;
    draft.title = "t";
    auto s = ValidateForPublication(draft);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().field, "summary");
    EXPECT_TRUE(ValidateForPublication(Sample())) << ValidateForPublication(Sample()).error().message;
}

TEST(AdvisoryModel, JsonRoundTrip) {
    const AdvisoryContent c = Sample();
    EXPECT_EQ(c.cves[0], "CVE-2021-41773");  // normalised
    AdvisoryContent back;
    ASSERT_TRUE(ApplyContentJson(back, ContentToJson(c)));
    EXPECT_EQ(core::ToJson(ContentToJson(back)), core::ToJson(ContentToJson(c)));
}

TEST(Csaf, FileNamesTlpAndRanges) {
    EXPECT_EQ(CsafFileName("WID-SEC-W-2026-0001"), "wid-sec-w-2026-0001.json");
    EXPECT_EQ(CsafFileName("A b//c+D"), "a_b_c+d.json");
    EXPECT_EQ(CsafTlpLabel(Tlp::kClear), "WHITE");
    EXPECT_EQ(CsafTlpLabel(Tlp::kAmberStrict), "AMBER");
    EXPECT_EQ(VersRange("<2.4.52"), "vers:generic/<2.4.52");
    EXPECT_EQ(VersRange("2.4.0 - 2.4.51"), "vers:generic/>=2.4.0|<=2.4.51");
    EXPECT_EQ(VersRange("all"), "vers:all/*");
    EXPECT_TRUE(IsVersionRange("prior to 3.0"));
    EXPECT_FALSE(IsVersionRange("2.4.49"));
}

TEST(Csaf, RendersTheDocument) {
    const CsafTracking t{"PKCERT-2026-0001", {{1, 1767225600000000, "Initial version"}}};
    CsafSettings s;
    s.base_url = "https://cert.example.pk";
    const std::string text = SerializeJson(RenderCsaf(Sample(), t, s));
    EXPECT_EQ(text.find("E0"), std::string::npos) << "numbers are written plainly";
    const json::value doc = json::parse(text);
    EXPECT_EQ(At(doc, {"document", "distribution", "tlp", "label"}), "WHITE");
    EXPECT_EQ(At(doc, {"document", "tracking", "id"}), "PKCERT-2026-0001");
    EXPECT_EQ(At(doc, {"document", "tracking", "version"}), "1");
    EXPECT_EQ(At(doc, {"document", "references"}).as_array()[0].at("url"),
              "https://cert.example.pk/.well-known/csaf/white/2026/pkcert-2026-0001.json");
    const auto& leaves = At(doc, {"product_tree"}).at("branches").as_array()[0].at("branches").as_array()[0].at(
        "branches").as_array();
    ASSERT_EQ(leaves.size(), 3u);
    EXPECT_EQ(leaves[0].at("category"), "product_version");
    EXPECT_EQ(leaves[1].at("category"), "product_version_range");
    EXPECT_EQ(leaves[1].at("name"), "vers:generic/<2.4.49");
    const auto& v = At(doc, {"vulnerabilities"}).as_array()[0];
    EXPECT_EQ(v.at("product_status").at("known_affected").as_array().size(), 2u);
    EXPECT_EQ(v.at("product_status").at("fixed").as_array().size(), 1u);
    EXPECT_EQ(v.at("scores").as_array().size(), 1u);  // 4.0 goes to a note
    EXPECT_EQ(v.at("scores").as_array()[0].at("cvss_v3").at("baseScore").as_double(), 7.5);
    EXPECT_NE(core::ToJson(v.at("notes")).find("CVSS:4.0/"), std::string::npos);

    AdvisoryContent evil = Sample();
    evil.title = "<script>alert('x')</script>";
    const std::string html = RenderHtml(evil, t, s);
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
    EXPECT_NE(html.find("<style>"), std::string::npos);
}

// ---- The store on both backends ----

class AdvisoryStoreTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        ASSERT_NE(db_, nullptr);
        auto conn = db_->Acquire();
        ASSERT_TRUE(conn);
        const auto now = core::NowMicros();
        for (const auto& [name, kind, path] : {std::tuple{"National CERT", "national_cert", "/1/"},
                                               std::tuple{"Energy CERT", "sectoral_cert", "/1/2/"},
                                               std::tuple{"Telecom CERT", "sectoral_cert", "/1/3/"}}) {
            auto r = (*conn)->Query(
                "INSERT INTO organisations (uuid, name, kind, parent_id, path, depth, created_at, updated_at) "
                "VALUES (?, ?, ?, NULL, ?, 0, ?, ?) RETURNING id",
                {core::NewUuidV7(), std::string(name), std::string(kind), std::string(path), now, now});
            ASSERT_TRUE(r) << r.error().message;
        }
        CsafSettings s;
        s.tracking_prefix = "PKCERT";
        s.publisher_name = "PKCERT";
        s.publisher_namespace = "https://pkcert.example";
        store_ = std::make_unique<AdvisoryStore>(*db_, sink_, s);
    }
    static db::Predicate Under(const std::string& path) {
        std::string upper = path;
        upper.back() = '0';
        return {"(o.path >= ? AND o.path < ?)", {path, upper}};
    }

    std::unique_ptr<db::Database> db_;
    RecordingSink sink_;
    std::unique_ptr<AdvisoryStore> store_;
    core::Actor actor_;
    const db::Predicate energy_ = Under("/1/2/");
    const db::Predicate telecom_ = Under("/1/3/");
};

TEST_P(AdvisoryStoreTest, CreatePublishRevise) {
    auto draft = store_->Create(Sample(), 2, actor_);
    ASSERT_TRUE(draft) << draft.error().message;
    EXPECT_EQ(draft->status, AdvisoryStatus::kDraft);
    EXPECT_TRUE(draft->tracking_id.empty());

    // Scoped: the other CERT sees nothing.
    EXPECT_EQ(store_->Get(draft->uuid, telecom_).error().code, core::ErrorCode::kNotFound);
    auto list = store_->List({}, telecom_);
    ASSERT_TRUE(list);
    EXPECT_EQ(list->total, 0);
    list = store_->List({}, energy_);
    ASSERT_TRUE(list);
    EXPECT_EQ(list->total, 1);

    AdvisoryContent changed = draft->content;
    changed.tlp = Tlp::kAmberStrict;
    EXPECT_EQ(store_->Update(draft->uuid, changed, 7, energy_, actor_).error().code,
              core::ErrorCode::kPreconditionFailed);
    auto updated = store_->Update(draft->uuid, changed, draft->version, energy_, actor_);
    ASSERT_TRUE(updated) << updated.error().message;
    EXPECT_EQ(updated->version, 2);

    auto published = store_->Publish(draft->uuid, "", std::nullopt, energy_, actor_);
    ASSERT_TRUE(published) << published.error().field << ": " << published.error().message;
    const std::string year = core::FormatRfc3339(core::NowMicros()).substr(0, 4);
    EXPECT_EQ(published->tracking_id, "PKCERT-" + year + "-0001");
    ASSERT_EQ(published->revisions.size(), 1u);
    EXPECT_EQ(published->revisions[0].summary, "Initial version");
    EXPECT_FALSE(published->pending_changes());
    json::value doc = json::parse(published->csaf_json);
    EXPECT_EQ(At(doc, {"document", "tracking", "version"}), "1");
    EXPECT_EQ(At(doc, {"document", "distribution", "tlp", "label"}), "AMBER");
    EXPECT_NE(published->html.find("TLP:AMBER+STRICT"), std::string::npos);

    // Nothing changed: nothing to publish; published advisories are not deleted.
    EXPECT_EQ(store_->Publish(draft->uuid, "", std::nullopt, energy_, actor_).error().code,
              core::ErrorCode::kConflict);
    EXPECT_EQ(store_->Delete(draft->uuid, energy_, actor_).error().code, core::ErrorCode::kConflict);

    changed.remediation.push_back({RemediationCategory::kWorkaround, "Disable CGI.", "", {}});
    ASSERT_TRUE(store_->Update(draft->uuid, changed, std::nullopt, energy_, actor_));
    auto revised = store_->Publish(draft->uuid, "Added a workaround", std::nullopt, energy_, actor_);
    ASSERT_TRUE(revised) << revised.error().message;
    EXPECT_EQ(revised->tracking_id, published->tracking_id);
    ASSERT_EQ(revised->revisions.size(), 2u);
    EXPECT_EQ(revised->revisions[1].number, 2);
    EXPECT_LT(revised->revisions[0].date, revised->revisions[1].date);
    doc = json::parse(revised->csaf_json);
    EXPECT_EQ(At(doc, {"document", "tracking", "version"}), "2");
    EXPECT_EQ(At(doc, {"document", "tracking", "revision_history"}).as_array().size(), 2u);
    EXPECT_EQ(At(doc, {"document", "tracking", "initial_release_date"}),
              At(doc, {"document", "tracking", "revision_history"}).as_array()[0].at("date"));

    // A second advisory gets the next number; an unpublishable one names the field.
    auto second = store_->Create(Sample(), 3, actor_);
    ASSERT_TRUE(second);
    auto second_pub = store_->Publish(second->uuid, "", std::nullopt, telecom_, actor_);
    ASSERT_TRUE(second_pub) << second_pub.error().message;
    EXPECT_EQ(second_pub->tracking_id, "PKCERT-" + year + "-0002");
    AdvisoryContent empty;
    empty.title = "Incomplete";
    auto third = store_->Create(empty, 3, actor_);
    ASSERT_TRUE(third);
    auto refused = store_->Publish(third->uuid, "", std::nullopt, telecom_, actor_);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().field, "summary");
    ASSERT_TRUE(store_->Delete(third->uuid, telecom_, actor_));

    auto published_all = store_->ListPublished();
    ASSERT_TRUE(published_all);
    EXPECT_EQ(published_all->size(), 2u);
    auto drafts = store_->List({.status = AdvisoryStatus::kDraft}, db::Predicate{});
    ASSERT_TRUE(drafts);
    EXPECT_EQ(drafts->total, 0);
    EXPECT_EQ(sink_.actions, (std::vector<std::string>{"advisory.create", "advisory.update", "advisory.publish",
                                                       "advisory.update", "advisory.publish", "advisory.create",
                                                       "advisory.publish", "advisory.create", "advisory.delete"}));
}

TEST_P(AdvisoryStoreTest, ListPagesWithCursor) {
    for (int i = 0; i < 5; ++i) {
        AdvisoryContent c = Sample();
        c.title = "Advisory " + std::to_string(i);
        ASSERT_TRUE(store_->Create(c, 2, actor_));
    }
    std::set<std::string> seen;
    AdvisoryListFilter f;
    f.limit = 2;
    for (int page = 0; page < 5; ++page) {
        auto p = store_->List(f, energy_);
        ASSERT_TRUE(p) << p.error().message;
        EXPECT_EQ(p->total, 5);
        for (const auto& a : p->items) seen.insert(a.uuid);
        if (!p->next) break;
        f.cursor = *p->next;
    }
    EXPECT_EQ(seen.size(), 5u);
    f = {};
    f.q = "advisory 3";
    EXPECT_EQ(store_->List(f, energy_)->total, 1);
}

TEST_P(AdvisoryStoreTest, ImportsCsafAndVex) {
    const fs::path dir = fs::path(SourceDir()) / "tests/data/csaf";
    auto bsi = store_->Import(ReadFile(dir / "bsi-2022-0001.json"), 2, actor_);
    ASSERT_TRUE(bsi) << bsi.error().message;
    EXPECT_EQ(bsi->document.category, "csaf_security_advisory");
    EXPECT_EQ(bsi->document.statements.size(), 6u);
    auto vex = store_->Import(ReadFile(dir / "sec-vex-2022-0001.json"), 2, actor_);
    ASSERT_TRUE(vex) << vex.error().message;
    EXPECT_EQ(vex->document.category, "csaf_vex");
    EXPECT_EQ(vex->document.statements.size(), 3u);
    for (const char* f : {"2022-evd-uc-01-a-001.json", "2022-evd-uc-02-na-001.json", "rhsa-2021_5217.json"}) {
        auto r = store_->Import(ReadFile(dir / f), 2, actor_);
        ASSERT_TRUE(r) << f << ": " << r.error().message;
        EXPECT_FALSE(r->document.statements.empty()) << f;
    }

    auto xxe = store_->StatementsForCve("CVE-2022-27193");
    ASSERT_TRUE(xxe);
    ASSERT_EQ(xxe->size(), 6u);
    int affected = 0, fixed = 0;
    for (const auto& s : *xxe) {
        affected += s.statement.status == StatementStatus::kKnownAffected;
        fixed += s.statement.status == StatementStatus::kFixed;
        EXPECT_EQ(s.statement.vendor, "CSAF Tools");
        EXPECT_EQ(s.statement.product, "CVRF-CSAF-Converter");
        EXPECT_TRUE(s.statement.cpe.starts_with("cpe:/a:csaf-tools:")) << s.statement.cpe;
        EXPECT_EQ(s.tracking_id, "BSI-2022-0001");
    }
    EXPECT_EQ(affected, 5);
    EXPECT_EQ(fixed, 1);

    auto log4shell = store_->StatementsForCve("CVE-2021-44228");
    ASSERT_TRUE(log4shell);
    bool not_affected_range = false, affected_def = false;
    for (const auto& s : *log4shell) {
        if (s.statement.status == StatementStatus::kKnownNotAffected && s.statement.version_range == "<=1.14.0" &&
            s.statement.product == "Secvisogram")
            not_affected_range = true;
        if (s.statement.status == StatementStatus::kKnownAffected && s.statement.product == "DEF" &&
            s.statement.version == "1.0")
            affected_def = true;
    }
    EXPECT_TRUE(not_affected_range);
    EXPECT_TRUE(affected_def);

    // Re-importing replaces; an older release is refused; garbage names the field.
    auto again = store_->Import(ReadFile(dir / "bsi-2022-0001.json"), 2, actor_);
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->replaced);
    EXPECT_EQ(store_->StatementsForCve("CVE-2022-27193")->size(), 6u);
    std::string older = ReadFile(dir / "bsi-2022-0001.json");
    const std::string date = "\"current_release_date\": \"2022-03-17T13:03:42.105Z\"";
    ASSERT_NE(older.find(date), std::string::npos);
    older.replace(older.find(date), date.size(), "\"current_release_date\": \"2021-01-01T00:00:00.000Z\"");
    EXPECT_EQ(store_->Import(older, 2, actor_).error().code, core::ErrorCode::kConflict);
    EXPECT_EQ(store_->Import(R"({"document":{"category":"csaf_base","csaf_version":"2.0"}})", 2, actor_).error().field,
              "document.publisher.namespace");
}

INSTANTIATE_TEST_SUITE_P(Backends, AdvisoryStoreTest, ::testing::ValuesIn(db::testing::BackendNames()),
                         [](const auto& info) { return info.param; });

// ---- The provider: files, hashes, signatures, feeds, metadata ----

class CsafProviderTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/mfz-csaf-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        settings_ = Settings();
    }
    void TearDown() override {
        for (const char* home : {"data/gnupg", "verify"}) {
            const std::string cmd = "gpgconf --homedir '" + (dir_ / home).string() + "' --kill gpg-agent 2>/dev/null";
            (void)std::system(cmd.c_str());
        }
        // gpg-agent may still write on its way out: retry briefly.
        std::error_code ec;
        for (int i = 0; i < 20 && fs::exists(dir_, ec); ++i) {
            fs::remove_all(dir_, ec);
            if (fs::exists(dir_, ec)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    Advisory Published(const std::string& id, Tlp tlp, int revisions) {
        Advisory a;
        a.content = Sample();
        a.content.tlp = tlp;
        a.status = AdvisoryStatus::kPublished;
        a.tracking_id = id;
        for (int r = 1; r <= revisions; ++r) a.revisions.push_back({r, 1767225600000000 + r * 1000000LL, "r"});
        a.csaf_json = SerializeJson(RenderCsaf(a.content, {a.tracking_id, a.revisions}, settings_.csaf));
        return a;
    }
    CsafProviderSettings Settings() {
        CsafProviderSettings s;
        s.data_dir = dir_ / "data";
        s.csaf.base_url = "https://cert.example.pk";
        s.csaf.publisher_name = "PKCERT";
        s.csaf.tracking_prefix = "PKCERT";
        return s;
    }

    fs::path dir_;
    CsafProviderSettings settings_;
};

std::string Command(const std::string& cmd) {
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[512];
        while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        pclose(p);
    }
    return out;
}

// Verifies a detached signature with only the published public key, in a fresh key ring.
std::string VerifiedFingerprint(const fs::path& home, const std::string& public_key, const std::string& data,
                                const std::string& signature) {
    fs::create_directories(home);
    fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace);
    gpgme_check_version(nullptr);
    gpgme_ctx_t ctx = nullptr;
    EXPECT_EQ(gpgme_new(&ctx), 0u);
    EXPECT_EQ(gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, nullptr, home.c_str()), 0u);
    gpgme_data_t key = nullptr, sig = nullptr, text = nullptr;
    gpgme_data_new_from_mem(&key, public_key.data(), public_key.size(), 0);
    EXPECT_EQ(gpgme_op_import(ctx, key), 0u);
    gpgme_data_new_from_mem(&sig, signature.data(), signature.size(), 0);
    gpgme_data_new_from_mem(&text, data.data(), data.size(), 0);
    std::string fpr;
    if (gpgme_op_verify(ctx, sig, text, nullptr) == 0) {
        gpgme_verify_result_t r = gpgme_op_verify_result(ctx);
        if (r && r->signatures && gpgme_err_code(r->signatures->status) == GPG_ERR_NO_ERROR && r->signatures->fpr)
            fpr = r->signatures->fpr;
    }
    gpgme_data_release(key);
    gpgme_data_release(sig);
    gpgme_data_release(text);
    gpgme_release(ctx);
    return fpr;
}

TEST_F(CsafProviderTest, PublishesSignedHashedDocumentsFeedsAndMetadata) {
    CsafProvider provider(settings_);
    const Advisory white = Published("PKCERT-2026-0001", Tlp::kClear, 1);
    const Advisory amber = Published("PKCERT-2026-0002", Tlp::kAmberStrict, 2);
    ASSERT_TRUE(provider.Publish(white));
    ASSERT_TRUE(provider.Publish(amber));
    auto fpr = provider.KeyFingerprint();
    ASSERT_TRUE(fpr) << fpr.error().message;

    const fs::path doc = provider.root() / "white/2026/pkcert-2026-0001.json";
    ASSERT_EQ(ReadFile(doc), white.csaf_json);
    // Hashes, checked by the system's tools.
    EXPECT_EQ(Command("cd '" + doc.parent_path().string() + "' && sha256sum -c pkcert-2026-0001.json.sha256"),
              "pkcert-2026-0001.json: OK\n");
    EXPECT_EQ(Command("cd '" + doc.parent_path().string() + "' && sha512sum -c pkcert-2026-0001.json.sha512"),
              "pkcert-2026-0001.json: OK\n");

    // provider-metadata.json
    auto meta_file = provider.Fetch("provider-metadata.json");
    ASSERT_TRUE(meta_file);
    EXPECT_TRUE(meta_file->is_public);
    const json::value meta = json::parse(meta_file->body);
    EXPECT_EQ(meta.at("canonical_url"), "https://cert.example.pk/.well-known/csaf/provider-metadata.json");
    EXPECT_EQ(meta.at("role"), "csaf_trusted_provider");
    EXPECT_EQ(meta.at("metadata_version"), "2.0");
    EXPECT_EQ(meta.at("publisher").at("category"), "coordinator");
    EXPECT_TRUE(meta.at("list_on_CSAF_aggregators").is_bool());
    EXPECT_TRUE(core::ParseRfc3339(std::string(meta.at("last_updated").as_string())));
    const auto& key = meta.at("public_openpgp_keys").as_array()[0];
    EXPECT_EQ(std::string(key.at("fingerprint").as_string()), *fpr);
    const auto& feeds = meta.at("distributions").as_array()[0].at("rolie").at("feeds").as_array();
    ASSERT_EQ(feeds.size(), 2u);
    EXPECT_EQ(feeds[0].at("tlp_label"), "WHITE");
    EXPECT_EQ(feeds[0].at("url"), "https://cert.example.pk/.well-known/csaf/white/csaf-feed-tlp-white.json");
    EXPECT_EQ(feeds[1].at("tlp_label"), "AMBER");

    // The signature verifies with the published key alone, and not for other bytes.
    const std::string key_url(key.at("url").as_string());
    const std::string prefix = "https://cert.example.pk/.well-known/csaf/";
    ASSERT_TRUE(key_url.starts_with(prefix));
    auto public_key = provider.Fetch(key_url.substr(prefix.size()));
    ASSERT_TRUE(public_key);
    EXPECT_EQ(public_key->content_type, "application/pgp-keys");
    EXPECT_NE(public_key->body.find("BEGIN PGP PUBLIC KEY BLOCK"), std::string::npos);
    EXPECT_EQ(public_key->body.find("PRIVATE"), std::string::npos);
    const std::string signature = ReadFile(doc.string() + ".asc");
    EXPECT_NE(signature.find("BEGIN PGP SIGNATURE"), std::string::npos);
    EXPECT_EQ(VerifiedFingerprint(dir_ / "verify", public_key->body, white.csaf_json, signature), *fpr);
    EXPECT_EQ(VerifiedFingerprint(dir_ / "verify", public_key->body, white.csaf_json + " ", signature), "");

    // ROLIE feed
    auto feed_file = provider.Fetch("white/csaf-feed-tlp-white.json");
    ASSERT_TRUE(feed_file);
    const json::value feed = json::parse(feed_file->body).at("feed");
    EXPECT_EQ(feed.at("link").as_array()[0].at("rel"), "self");
    EXPECT_EQ(feed.at("category").as_array()[0].at("term"), "csaf");
    EXPECT_EQ(feed.at("category").as_array()[0].at("scheme"), "urn:ietf:params:rolie:category:information-type");
    ASSERT_EQ(feed.at("entry").as_array().size(), 1u);
    const auto& entry = feed.at("entry").as_array()[0];
    EXPECT_EQ(entry.at("id"), "PKCERT-2026-0001");
    EXPECT_EQ(entry.at("format").at("version"), "2.0");
    EXPECT_EQ(entry.at("content").at("src"), "https://cert.example.pk/.well-known/csaf/white/2026/pkcert-2026-0001.json");
    std::set<std::string> rels;
    for (const auto& l : entry.at("link").as_array()) rels.insert(std::string(l.at("rel").as_string()));
    EXPECT_EQ(rels, (std::set<std::string>{"self", "hash", "signature"}));
    EXPECT_EQ(ReadFile(provider.root() / "white/index.txt"), "2026/pkcert-2026-0001.json\n");
    EXPECT_EQ(ReadFile(provider.root() / "amber/changes.csv").substr(0, 30), "\"2026/pkcert-2026-0002.json\",\"");

    // Access flags and path safety.
    auto amber_doc = provider.Fetch("amber/2026/pkcert-2026-0002.json");
    ASSERT_TRUE(amber_doc);
    EXPECT_FALSE(amber_doc->is_public);
    EXPECT_EQ(amber_doc->tlp, "AMBER");
    EXPECT_TRUE(provider.Fetch("white/2026/pkcert-2026-0001.json.asc")->is_public);
    EXPECT_FALSE(provider.Fetch("../gnupg/pubring.kbx"));
    EXPECT_FALSE(provider.Fetch("white/../../gnupg/pubring.kbx"));
    EXPECT_FALSE(provider.Fetch("white/2026/"));
    EXPECT_FALSE(provider.Fetch("white/2026/.pkcert-2026-0001.json.tmp"));

    // A TLP change moves the document; Sync restores a lost file; the key is reused.
    Advisory now_white = amber;
    now_white.content.tlp = Tlp::kClear;
    now_white.csaf_json = SerializeJson(RenderCsaf(now_white.content, {amber.tracking_id, amber.revisions}, settings_.csaf));
    ASSERT_TRUE(provider.Publish(now_white));
    EXPECT_FALSE(fs::exists(provider.root() / "amber/2026/pkcert-2026-0002.json"));
    EXPECT_TRUE(fs::exists(provider.root() / "white/2026/pkcert-2026-0002.json.asc"));
    fs::remove(provider.root() / "white/2026/pkcert-2026-0001.json");
    CsafProvider restarted(settings_);
    ASSERT_TRUE(restarted.Sync({white, now_white}));
    EXPECT_EQ(ReadFile(provider.root() / "white/2026/pkcert-2026-0001.json"), white.csaf_json);
    EXPECT_EQ(*restarted.KeyFingerprint(), *fpr);
    EXPECT_EQ(ReadFile(provider.root() / "white/index.txt"),
              "2026/pkcert-2026-0001.json\n2026/pkcert-2026-0002.json\n");
}

}  // namespace
}  // namespace muhafiz::vulns
