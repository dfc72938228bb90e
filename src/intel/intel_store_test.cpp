// The intel store on SQLite and PostgreSQL: events under the sharing rules end to end, sightings,
// correlation by value (and over-correlation), STIX import of real bundles with broken objects in
// the middle, export, TAXII object queries, MISP import and export of the reference samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "access/audit_log.hpp"
#include "db/testing.hpp"
#include "intel/intel_store.hpp"
#include "intel/misp.hpp"
#include "intel/stix.hpp"

namespace muhafiz::intel {
namespace {
namespace json = core::json;

std::string Source() {
    const char* s = std::getenv("MUHAFIZ_SOURCE_DIR");
    return s ? s : MUHAFIZ_SOURCE_DIR_DEFAULT;
}

std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class IntelStoreTest : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        ASSERT_TRUE(lists_.LoadFolder(Source() + "/data/warninglists"));
        IntelSettings settings;
        settings.correlation_limit = 2;
        store_ = std::make_unique<IntelStore>(*db_, audit_, lists_, settings);
        auto conn = db_->Acquire();
        ASSERT_TRUE(conn);
        struct O {
            std::int64_t id;
            const char* kind;
            const char* path;
            const char* sector;
            std::int64_t parent;
        };
        for (const O& o : {O{1, "national_cert", "/1/", "", 0}, O{2, "sectoral_cert", "/1/2/", "banking", 1},
                           O{3, "constituent", "/1/2/3/", "banking", 2}, O{4, "sectoral_cert", "/1/4/", "energy", 1},
                           O{5, "constituent", "/1/4/5/", "energy", 4}, O{6, "partner_cert", "/1/6/", "", 1}})
            ASSERT_TRUE((*conn)->Execute(
                "INSERT INTO organisations (id, uuid, name, kind, parent_id, path, depth, sector, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, 0, 0)",
                {o.id, "0190e0a0-0000-7000-8000-00000000000" + std::to_string(o.id), std::string("org") + std::to_string(o.id),
                 std::string(o.kind), o.parent ? db::Value(o.parent) : db::Null(), std::string(o.path),
                 std::string(o.sector)}));
    }
    access::IntelViewer V(std::int64_t org) { return *store_->ViewerForOrganisation(org); }

    std::unique_ptr<db::Database> db_;
    access::AuditLog audit_;
    WarningLists lists_;
    std::unique_ptr<IntelStore> store_;
    core::Actor actor_;
};

TEST_P(IntelStoreTest, SharingWideningAndAudit) {
    EventInput in;
    in.title = "Phishing wave against banks";
    in.tlp = Tlp::kAmber;
    in.audience = Audience::kSector;
    in.tags = {"phishing", "T1566.001"};
    in.indicators = {{"ipv4", " 45.33.32.156 ", "C2", {}, {}, {}},
                     {"domain", "Login-Bänk.example", "", {}, {}, {}},
                     {"ipv4", "8.8.8.8", "resolver", {}, {}, {}}};
    auto e = store_->Create(in, 2, actor_);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->indicator_count, 3);
    EXPECT_EQ(e->sector, "banking");
    EXPECT_TRUE(store_->Get(e->uuid, V(3)));
    auto hidden = store_->Get(e->uuid, V(5));
    ASSERT_FALSE(hidden);
    EXPECT_EQ(hidden.error().code, core::ErrorCode::kNotFound);

    // Indicators: normalised, the resolver flagged and inactive.
    IndicatorFilter f;
    f.event = e->uuid;
    auto inds = store_->ListIndicators(f, V(3));
    ASSERT_TRUE(inds);
    ASSERT_EQ(inds->items.size(), 3u);
    int flagged = 0;
    for (const auto& i : inds->items) {
        if (i.type == IndicatorType::kDomain) { EXPECT_EQ(i.value, "xn--login-bnk-12a.example"); }
        if (i.value == "8.8.8.8") {
            EXPECT_EQ(i.warning, "Public DNS resolvers");
            EXPECT_FALSE(i.Active(core::NowMicros()));
            ++flagged;
        }
    }
    EXPECT_EQ(flagged, 1);

    // The preview of widening to national GREEN lists the energy organisations too.
    EventPatch what_if;
    what_if.tlp = Tlp::kGreen;
    what_if.audience = Audience::kNational;
    auto before = store_->Recipients(e->uuid, EventPatch{}, V(2));
    auto after = store_->Recipients(e->uuid, what_if, V(2));
    ASSERT_TRUE(before && after);
    EXPECT_EQ(before->size(), 2u);  // the banking CERT and the bank
    EXPECT_EQ(after->size(), 5u);   // the whole tree, not the partner abroad
    EXPECT_FALSE(store_->Recipients(e->uuid, what_if, V(3)));  // only the creator may ask

    // Only the creator may widen; the other sector then sees it.
    EXPECT_EQ(store_->Update(e->uuid, what_if, std::nullopt, V(3), actor_).error().code,
              core::ErrorCode::kPermissionDenied);
    EXPECT_EQ(store_->Update(e->uuid, what_if, 99, V(2), actor_).error().code, core::ErrorCode::kPreconditionFailed);
    auto widened = store_->Update(e->uuid, what_if, e->version, V(2), actor_);
    ASSERT_TRUE(widened) << widened.error().message;
    EXPECT_TRUE(store_->Get(e->uuid, V(5)));
    EXPECT_FALSE(store_->Get(e->uuid, V(6)));
    auto conn = db_->Acquire();
    auto audit = (*conn)->Query("SELECT action FROM audit_log WHERE object_id = ? ORDER BY id", {e->uuid});
    ASSERT_TRUE(audit);
    ASSERT_EQ(audit->size(), 2u);
    EXPECT_EQ((*audit)[1].Str(0), "intel.share.widen");

    // Sightings by a viewer that sees it; false-positive marking by the creator.
    auto s = store_->AddSighting(inds->items[0].uuid, SightingInput{3, std::nullopt, "ids"}, V(5), actor_);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->sightings, 3);
    IndicatorPatch fp;
    fp.false_positive = true;
    EXPECT_FALSE(store_->UpdateIndicator(inds->items[0].uuid, fp, V(5), actor_));
    auto marked = store_->UpdateIndicator(inds->items[0].uuid, fp, V(2), actor_);
    ASSERT_TRUE(marked);
    EXPECT_TRUE(marked->false_positive);

    // Search by value (any type), tag, TLP.
    EventFilter ef;
    ef.value = "LOGIN-BÄNK.example";
    auto found = store_->ListEvents(ef, V(5));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->total, 1);
    ef = EventFilter{};
    ef.tag = "T1566.001";
    EXPECT_EQ(store_->ListEvents(ef, V(1))->total, 1);
    ef.tlp = Tlp::kRed;
    EXPECT_EQ(store_->ListEvents(ef, V(1))->total, 0);
    auto csv = store_->ExportCsv(IndicatorFilter{}, V(5));
    ASSERT_TRUE(csv);
    EXPECT_NE(csv->find("xn--login-bnk-12a.example"), std::string::npos);
    EXPECT_EQ(store_->ExportCsv(IndicatorFilter{}, V(6))->find("45.33.32.156"), std::string::npos);
}

TEST_P(IntelStoreTest, CorrelationByValueStopsAtTheLimit) {
    auto make = [&](std::int64_t org, Tlp tlp, Audience a, std::vector<std::string> ips) {
        EventInput in;
        in.title = "e";
        in.tlp = tlp;
        in.audience = a;
        for (auto& ip : ips) in.indicators.push_back({"ipv4", ip, "", {}, {}, {}});
        return *store_->Create(in, org, actor_);
    };
    auto a = make(2, Tlp::kGreen, Audience::kNational, {"45.33.32.156", "45.33.32.157"});
    auto b = make(4, Tlp::kGreen, Audience::kNational, {"45.33.32.156"});
    auto hidden = make(4, Tlp::kRed, Audience::kOrganisation, {"45.33.32.157"});
    auto c = store_->Correlations(a.uuid, V(3));
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(c->size(), 1u);  // .157 only correlates with an invisible event
    EXPECT_EQ((*c)[0].events[0].uuid, b.uuid);
    EXPECT_FALSE((*c)[0].over_correlating);
    // A third event pushes .156 over the limit (2): no links, reported.
    make(5, Tlp::kGreen, Audience::kNational, {"45.33.32.156"});
    c = store_->Correlations(a.uuid, V(3));
    ASSERT_TRUE(c);
    ASSERT_EQ(c->size(), 1u);
    EXPECT_TRUE((*c)[0].over_correlating);
    EXPECT_TRUE((*c)[0].events.empty());
    auto over = store_->OverCorrelatingValues(10, V(3));
    ASSERT_TRUE(over);
    ASSERT_EQ(over->size(), 1u);
    EXPECT_TRUE(store_->OverCorrelatingValues(10, V(6))->empty());  // the partner sees none of them
    EXPECT_EQ((*over)[0].value, "45.33.32.156");
    EXPECT_EQ((*over)[0].events, 3);
    auto rebuilt = store_->RebuildCorrelation();
    ASSERT_TRUE(rebuilt);
    EXPECT_EQ(*rebuilt, 2);  // linear: one row per distinct value
    ASSERT_TRUE(store_->Delete(hidden.uuid, V(4), actor_));
    auto conn = db_->Acquire();
    auto rows = (*conn)->Query("SELECT events FROM intel_values WHERE value = '45.33.32.157'");
    EXPECT_EQ((*rows)[0].Int(0), 1);
}

TEST_P(IntelStoreTest, ImportsRealBundlesAndNamesBrokenObjects) {
    for (const char* name : {"poisonivy-report.json", "indicators-for-C2-with-COA.json", "sighting-of-an-indicator.json",
                             "using-marking-definitions.json", "misp-stix-events-collection.json"}) {
        std::ifstream in(Source() + "/tests/data/stix/" + name, std::ios::binary);
        ImportOptions opts;
        opts.organisation_id = 2;
        auto r = store_->ImportStix(in, opts, actor_);
        ASSERT_TRUE(r) << name << ": " << r.error().message;
        EXPECT_EQ(r->failed, 0u) << name << ": " << (r->problems.empty() ? "" : r->problems[0].reason);
        auto bundle = store_->ExportStix(r->event_id, V(2));
        ASSERT_TRUE(bundle) << name;
        EXPECT_GE(bundle->at("objects").as_array().size(), 3u);
    }
    // The sighting of sighting-of-an-indicator.json counts on its indicator.
    IndicatorFilter sf;
    sf.value = "http://paypa1.banking.com";
    auto sighted = store_->ListIndicators(sf, V(2));
    ASSERT_TRUE(sighted);
    ASSERT_GE(sighted->items.size(), 1u);
    EXPECT_GE(sighted->items[0].sightings, 1);
    // A bundle with a bad pattern and a malformed object between good ones.
    std::istringstream mixed(R"({"type":"bundle","id":"bundle--6f2cf09c-7f0d-4a4e-8b3b-8d4f1e6f2f4e","objects":[
      {"type":"indicator","spec_version":"2.1","id":"indicator--a1b2c3d4-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.33.32.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]},
      {"type":"indicator","spec_version":"2.1","id":"indicator--a1b2c3d4-0000-4000-8000-000000000002","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '300.1.1.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
      {"type":"indicator","id":"indicator--a1b2c3d4-0000-4000-8000-000000000003" "oops":1},
      {"type":"indicator","spec_version":"2.1","id":"indicator--a1b2c3d4-0000-4000-8000-000000000004","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[domain-name:value = 'evil.example.net']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}
    ]})");
    ImportOptions opts;
    opts.organisation_id = 2;
    opts.default_tlp = Tlp::kAmber;
    auto r = store_->ImportStix(mixed, opts, actor_);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->indicators, 2u);
    EXPECT_EQ(r->failed, 2u);
    ASSERT_EQ(r->problems.size(), 2u);
    EXPECT_EQ(r->problems[0].object_id, "indicator--a1b2c3d4-0000-4000-8000-000000000002");
    EXPECT_NE(r->problems[0].reason.find("pattern"), std::string::npos);
    EXPECT_EQ(r->problems[1].index, 2u);
    EXPECT_EQ(r->tlp, Tlp::kAmber);  // GREEN marking, but never looser than asked
    // Not a bundle at all: nothing is written.
    std::istringstream junk("[1,2,3]");
    EXPECT_FALSE(store_->ImportStix(junk, opts, actor_));
}

// A bundle of `n` indicators with ids "indicator--<tag>1b2c3d4-…-<k>": `pattern(k)` is the
// pattern of the k-th, `extra(k)` (optional) more JSON members, e.g. R"("name":"x",)".
std::string IndicatorBundle(int n, char tag, const std::function<std::string(int)>& pattern,
                            const std::function<std::string(int)>& extra = {}) {
    std::string text = std::string(R"({"type":"bundle","id":"bundle--6f2cf09c-7f0d-4a4e-8b3b-8d4f1e6f2f4)") + tag +
                       R"(","objects":[)";
    char id[64];
    for (int k = 0; k < n; ++k) {
        std::snprintf(id, sizeof id, "indicator--%c1b2c3d4-0000-4000-8000-%012d", tag, k);
        text += std::string(k ? "," : "") + R"({"type":"indicator","spec_version":"2.1","id":")" + id +
                R"(","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",)" +
                (extra ? extra(k) : std::string()) + R"("pattern":")" + pattern(k) +
                R"(","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"})";
    }
    return text + "]}";
}
// `n` ipv4 indicators 10.<net>.x.y.
std::string Ipv4Bundle(int n, char tag, int net) {
    return IndicatorBundle(n, tag, [net](int k) {
        return "[ipv4-addr:value = '10." + std::to_string(net) + "." + std::to_string(k / 256) + "." +
               std::to_string(k % 256) + "']";
    });
}

// More than two batches (5,000 rows each): rows are written on the writer thread while parsing
// goes on and their buffers are reused; duplicates across batches are still recognised, and
// every object lands in TAXII exactly once.
TEST_P(IntelStoreTest, LargeImportWritesEveryBatchOnce) {
    const int n = 12345;
    // Every 1000th indicator repeats the value of the first one (a duplicate in the event).
    const std::string text = IndicatorBundle(
        n, 'a',
        [](int k) {
            return "[domain-name:value = '" +
                   (k % 1000 == 0 ? std::string("dup.example.net") : "host-" + std::to_string(k) + ".example.net") + "']";
        },
        [](int k) { return R"("name":"n \"q\" )" + std::to_string(k) + R"(",)"; });
    std::istringstream in(text);
    ImportOptions opts;
    opts.organisation_id = 2;
    opts.default_tlp = Tlp::kClear;
    opts.audience = Audience::kPartners;
    auto r = store_->ImportStix(in, opts, actor_);
    ASSERT_TRUE(r) << r.error().message;
    const std::size_t dups = (n - 1) / 1000;  // k = 1000, 2000, ... 12000
    EXPECT_EQ(r->indicators, static_cast<std::size_t>(n) - dups);
    EXPECT_EQ(r->duplicates, dups);
    auto conn = db_->Acquire();
    ASSERT_TRUE(conn);
    auto rows = (*conn)->Query(
        "SELECT COUNT(*), COUNT(DISTINCT i.uuid), MIN(i.comment) FROM intel_indicators i JOIN intel_events e ON "
        "e.id = i.event_id WHERE e.uuid = ?",
        {r->event_id});
    ASSERT_TRUE(rows);
    EXPECT_EQ((*rows)[0].Int(0), static_cast<std::int64_t>(n - dups));
    EXPECT_EQ((*rows)[0].Int(1), static_cast<std::int64_t>(n - dups));
    EXPECT_EQ((*rows)[0].Str(2), "n \"q\" 0");
    auto objs = (*conn)->Query(
        "SELECT COUNT(*), COUNT(DISTINCT o.date_added) FROM intel_objects o JOIN intel_events e ON e.id = o.event_id "
        "WHERE e.uuid = ? AND o.type = 'indicator'",
        {r->event_id});
    ASSERT_TRUE(objs);
    EXPECT_EQ((*objs)[0].Int(0), static_cast<std::int64_t>(n - dups));
    EXPECT_EQ((*objs)[0].Int(1), static_cast<std::int64_t>(n - dups));
    // A bundle cut short after two batches keeps what was read in full and names where it stopped
    // (other object ids: a new bundle, not a re-import).
    std::string other = text.substr(0, text.size() / 2);
    for (auto at = other.find("a1b2c3d4"); at != std::string::npos; at = other.find("a1b2c3d4", at))
        other.replace(at, 8, "a1b2c3d5");
    std::istringstream cut(other);
    auto r2 = store_->ImportStix(cut, opts, actor_);
    ASSERT_TRUE(r2) << r2.error().message;
    EXPECT_FALSE(r2->reimport);
    EXPECT_NE(r2->event_id, r->event_id);
    EXPECT_GT(r2->indicators, 5000u);
    EXPECT_EQ(r2->failed, 1u);
}

// SQLite: the import changes its connection's page cache, automatic checkpoint and foreign-key
// checks for the time of the import only (the WAL is checkpointed on the store's own thread):
// every pooled connection has them back afterwards, also after a failed import, and a row that
// references no event is still refused.
TEST_P(IntelStoreTest, ImportRestoresTheConnectionSettings) {
    if (GetParam() != "sqlite") GTEST_SKIP() << "SQLite connection settings";
    const std::string text = Ipv4Bundle(6000, 'b', 0);
    ImportOptions opts;
    opts.organisation_id = 2;
    std::istringstream in(text);
    auto r = store_->ImportStix(in, opts, actor_);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->indicators, 6000u);
    std::istringstream bad("[1,2,3]");
    EXPECT_FALSE(store_->ImportStix(bad, opts, actor_));
    std::vector<db::Database::Handle> all;  // every connection of the pool (8)
    for (int k = 0; k < 8; ++k) {
        auto c = db_->Acquire();
        ASSERT_TRUE(c);
        all.push_back(std::move(*c));
    }
    for (auto& c : all) {
        auto fk = c->Query("PRAGMA foreign_keys");
        auto cp = c->Query("PRAGMA wal_autocheckpoint");
        auto cache = c->Query("PRAGMA cache_size");
        ASSERT_TRUE(fk && cp && cache);
        EXPECT_EQ((*fk)[0].Int(0), 1);
        EXPECT_EQ((*cp)[0].Int(0), 1000);
        EXPECT_EQ((*cache)[0].Int(0), -65536);
        EXPECT_FALSE(c->Execute(
            "INSERT INTO intel_indicators (uuid, stix_id, event_id, type, value, valid_from, created_at, updated_at) "
            "VALUES ('x', 'indicator--x', 999999, 'ipv4', '10.9.9.9', 0, 0, 0)"));
    }
    // Every indicator's object: in its own row (a new event, migration 018).
    auto n = all[0]->Query(
        "SELECT (SELECT COUNT(*) FROM intel_objects WHERE type = 'indicator'), (SELECT COUNT(*) FROM intel_indicators "
        "WHERE object_added IS NOT NULL)");
    ASSERT_TRUE(n);
    EXPECT_EQ((*n)[0].Int(0), 0);
    EXPECT_EQ((*n)[0].Int(1), 6000);
}

// PostgreSQL: a big import analyses the intel tables at once (the planner would otherwise keep the
// sizes from before until autovacuum runs, and page TAXII objects by sorting the whole table).
TEST_P(IntelStoreTest, BigImportAnalysesTheTablesOnPostgres) {
    if (GetParam() == "sqlite") GTEST_SKIP() << "PostgreSQL planner statistics";
    const std::string text = Ipv4Bundle(20500, 'd', 1);
    ImportOptions opts;
    opts.organisation_id = 2;
    std::istringstream in(text);
    auto r = store_->ImportStix(in, opts, actor_);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->indicators, 20500u);
    auto conn = db_->Acquire();
    ASSERT_TRUE(conn);
    // (The indicators hold their objects in-row: intel_objects only has the shared ones and the
    // report, analysed too: reltuples is -1 until a table is analysed.)
    for (const char* table : {"intel_objects", "intel_indicators"}) {
        auto rows = (*conn)->Query(std::string("SELECT reltuples::bigint FROM pg_class WHERE oid = '") + table + "'::regclass");
        ASSERT_TRUE(rows) << rows.error().message;
        EXPECT_GE((*rows)[0].Int(0), std::string(table) == "intel_objects" ? 1 : 20000) << table;
    }
}

// TAXII DELETE with match[version]: only the matched versions go; the indicator follows the
// latest remaining version and leaves its event with the last one.
TEST_P(IntelStoreTest, TaxiiDeleteOfMatchedVersions) {
    const std::string id = "indicator--c1b2c3d4-0000-4000-8000-000000000001";
    const char* times[] = {"2026-03-01T00:00:00.000Z", "2026-03-02T00:00:00.000Z", "2026-03-03T00:00:00.000Z"};
    ImportOptions opts;
    opts.organisation_id = 2;
    opts.audience = Audience::kPartners;
    for (int k = 0; k < 3; ++k) {
        std::istringstream in(R"({"type":"bundle","id":"bundle--6f2cf09c-7f0d-4a4e-8b3b-8d4f1e6f2f5)" + std::to_string(k) +
                              R"(","objects":[{"type":"indicator","spec_version":"2.1","id":")" + id +
                              R"(","created":"2026-03-01T00:00:00.000Z","modified":")" + times[k] +
                              R"(","pattern":"[domain-name:value = 'v)" + std::to_string(k + 1) +
                              R"(.del.example.net']","pattern_type":"stix","valid_from":"2026-03-01T00:00:00Z"}]})");
        auto r = store_->ImportStix(in, opts, actor_);
        ASSERT_TRUE(r) << r.error().message;
    }
    auto versions = [&] {
        ObjectQuery q;
        q.audience = Audience::kPartners;
        q.ids = {id};
        q.version_mode = "all";
        bool more = false;
        std::vector<std::string> out;
        auto rows = store_->QueryObjects(q, V(2), &more);
        EXPECT_TRUE(rows);
        if (rows)
            for (const auto& o : *rows) out.push_back(o.version);
        return out;
    };
    auto holds = [&](const std::string& value) {
        IndicatorFilter f;
        f.value = value;
        return store_->ListIndicators(f, V(2))->total;
    };
    ASSERT_EQ(versions().size(), 3u);
    auto del = [&](std::string mode, std::vector<core::Micros> at) {
        TaxiiVersionMatch m;
        m.mode = std::move(mode);
        m.versions = std::move(at);
        auto n = DeleteTaxiiObject(*store_, audit_, id, Audience::kPartners, V(2), actor_, m);
        EXPECT_TRUE(n) << n.error().message;
        return n ? *n : -1;
    };
    EXPECT_EQ(del("", {*core::ParseRfc3339(times[0])}), 1);
    EXPECT_EQ(versions(), (std::vector<std::string>{times[1], times[2]}));
    EXPECT_EQ(holds("v3.del.example.net"), 1);
    EXPECT_EQ(del("last,", {}), 1);
    EXPECT_EQ(versions(), (std::vector<std::string>{times[1]}));
    EXPECT_EQ(holds("v3.del.example.net"), 0);
    EXPECT_EQ(holds("v2.del.example.net"), 1);
    EXPECT_EQ(del("", {*core::ParseRfc3339(times[2])}), 0);  // deleted already
    EXPECT_EQ(DeleteTaxiiObject(*store_, audit_, id, Audience::kNational, V(2), actor_).value_or(-1), 0);
    EXPECT_EQ(del("all", {}), 1);
    EXPECT_TRUE(versions().empty());
    EXPECT_EQ(holds("v2.del.example.net"), 0);
}

TEST_P(IntelStoreTest, TaxiiObjectsArePagedByStrictlyIncreasingDateAdded) {
    EventInput in;
    in.title = "public";
    in.tlp = Tlp::kClear;
    in.audience = Audience::kPartners;
    for (int k = 1; k <= 7; ++k) in.indicators.push_back({"ipv4", "45.33.40." + std::to_string(k), "", {}, {}, {}});
    ASSERT_TRUE(store_->Create(in, 2, actor_));
    in.title = "amber";
    in.tlp = Tlp::kAmber;
    in.audience = Audience::kPartners;
    ASSERT_TRUE(store_->Create(in, 2, actor_));
    access::IntelViewer anon;
    anon.anonymous = true;
    ObjectQuery q;
    q.limit = 3;
    std::vector<core::Micros> seen;
    std::set<std::string> ids;
    for (int page = 0; page < 10; ++page) {
        bool more = false;
        auto objs = store_->QueryObjects(q, anon, &more);
        ASSERT_TRUE(objs) << objs.error().message;
        for (const auto& o : *objs) {
            if (!seen.empty()) { EXPECT_GT(o.date_added, seen.back()); }
            seen.push_back(o.date_added);
            ids.insert(o.stix_id);
        }
        if (!more) break;
        q.added_after = seen.back();
    }
    // 7 indicators + report + identity + the marking-definitions (public: CLEAR and AMBER);
    // nothing of the AMBER event.
    EXPECT_EQ(ids.size(), 11u);
    for (const auto& id : ids) EXPECT_FALSE(id.starts_with("indicator--") && false);
    q = ObjectQuery{};
    q.audience = Audience::kPartners;
    bool more = false;
    auto partner = store_->QueryObjects(q, V(6), &more);
    ASSERT_TRUE(partner);
    EXPECT_EQ(partner->size(), 2u * 8 + 3);  // both events, CLEAR + AMBER markings, identity
    q.types = {"indicator"};
    EXPECT_EQ(store_->QueryObjects(q, V(6), &more)->size(), 14u);
}

TEST_P(IntelStoreTest, InRowPagesReadTheDateAddedIndex) {
    // A collection page of in-row indicators must walk intel_indicators_object_added and stop at
    // the limit, not find the collection's events by their audience index and sort all their
    // indicators (SQLite chose that for a plain JOIN: 24 ms per 1,000-object page of a 100k event).
    if (db_->dialect() != db::Dialect::kSqlite) GTEST_SKIP() << "SQLite's join order (PostgreSQL plans by cost)";
    auto conn = db_->Acquire();
    ASSERT_TRUE(conn);
    auto plan = (*conn)->Query("EXPLAIN QUERY PLAN " +
                               InRowPageSql(" WHERE e.id = i.event_id AND i.object_added IS NOT NULL AND 1=1 AND "
                                            "e.audience = 'partners'"),
                               {std::int64_t{1001}});
    ASSERT_TRUE(plan) << plan.error().message;
    std::string text;
    for (const auto& r : *plan) text += r.Str(r.cells.size() - 1) + "\n";
    EXPECT_NE(text.find("intel_indicators_object_added"), std::string::npos) << text;
    EXPECT_EQ(text.find("TEMP B-TREE"), std::string::npos) << text;
}

TEST_P(IntelStoreTest, MispSamplesImportAndExport) {
    for (const char* name : {"event-api-sightings-distribution.json", "event-api-objects-galaxies.json",
                             "event-feed-format-objects.json"}) {
        MispImportOptions opts;
        opts.organisation_id = 2;
        auto r = ImportMisp(*store_, ReadFile(Source() + "/tests/data/misp/" + name), opts, actor_);
        ASSERT_TRUE(r) << name << ": " << r.error().message;
        auto out = ExportMisp(*store_, r->event_id, V(2));
        ASSERT_TRUE(out);
        EXPECT_EQ(out->at("Event").as_object().at("Attribute").as_array().size(), r->indicators);
    }
    MispImportOptions opts;
    opts.organisation_id = 2;
    auto sightings = ImportMisp(*store_, ReadFile(Source() + "/tests/data/misp/event-api-sightings-distribution.json"),
                                opts, actor_);
    ASSERT_TRUE(sightings);
    EXPECT_EQ(sightings->audience, Audience::kCert);  // distribution 1
    EXPECT_EQ(sightings->indicators, 0u);              // a comment and a target-external only
    EXPECT_EQ(sightings->skipped, 2u);
    auto galaxy = ImportMisp(*store_, ReadFile(Source() + "/tests/data/misp/event-api-objects-galaxies.json"), opts, actor_);
    ASSERT_TRUE(galaxy);
    EXPECT_EQ(galaxy->tlp, Tlp::kClear);  // tlp:white
    EXPECT_EQ(galaxy->audience, Audience::kPartners);
    EXPECT_EQ(galaxy->indicators, 3u);  // md5, sha1, sha256 (the second sha256 repeats the first)
    auto feed = ImportMisp(*store_, ReadFile(Source() + "/tests/data/misp/event-feed-format-objects.json"), opts, actor_);
    ASSERT_TRUE(feed);
    EXPECT_EQ(feed->audience, Audience::kOrganisation);  // no distribution: fail closed
    EXPECT_GT(feed->indicators, 10u);
    // Sightings and false positives of a MISP attribute.
    const std::string with_sightings = R"({"Event":{"info":"s","distribution":"2","Tag":[{"name":"tlp:amber"}],
      "Attribute":[{"uuid":"5c6ab897-0f68-44ca-8d62-0c150a000001","type":"ip-dst","value":"45.33.32.200","to_ids":true,
        "Sighting":[{"type":"0","date_sighting":"1551253653"},{"type":"0","date_sighting":"1551253700"}]},
       {"uuid":"5c6ab897-0f68-44ca-8d62-0c150a000002","type":"domain","value":"fp.example.org","to_ids":"1",
        "Sighting":[{"type":"1","date_sighting":"1551253653"}]},
       {"uuid":"5c6ab897-0f68-44ca-8d62-0c150a000003","type":"ip-dst","value":"not-an-ip","to_ids":true}]}})";
    auto s2 = ImportMisp(*store_, with_sightings, opts, actor_);
    ASSERT_TRUE(s2) << s2.error().message;
    EXPECT_EQ(s2->tlp, Tlp::kAmber);
    EXPECT_EQ(s2->audience, Audience::kNational);
    EXPECT_EQ(s2->sightings, 2u);
    EXPECT_EQ(s2->false_positives, 1u);
    ASSERT_EQ(s2->problems.size(), 1u);
    EXPECT_EQ(s2->problems[0].object_id, "5c6ab897-0f68-44ca-8d62-0c150a000003");
    EXPECT_FALSE(ImportMisp(*store_, "{\"nope\":1}", opts, actor_));
}

// A bundle of a report, two indicators (one simple, one with extra properties) and a malware,
// the indicators at `modified`/`name` given.
std::string ReimportBundle(const std::string& modified, const std::string& name, bool report_first) {
    const std::string report =
        R"({"type":"report","spec_version":"2.1","id":"report--7d3c1b0e-1111-4a2b-9c3d-000000000001","created":"2026-02-01T00:00:00.000Z","modified":"2026-02-01T00:00:00.000Z","name":"Campaign X","published":"2026-02-01T00:00:00.000Z","object_refs":["indicator--7d3c1b0e-1111-4a2b-9c3d-000000000002"]})";
    const std::string body =
        R"({"type":"indicator","spec_version":"2.1","id":"indicator--7d3c1b0e-1111-4a2b-9c3d-000000000002","created":"2026-02-01T00:00:00.000Z","modified":")" +
        modified + R"(","name":")" + name +
        R"(","pattern":"[ipv4-addr:value = '198.51.100.77']","pattern_type":"stix","valid_from":"2026-02-01T00:00:00Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},)"
        R"({"type":"indicator","spec_version":"2.1","id":"indicator--7d3c1b0e-1111-4a2b-9c3d-000000000003","created":"2026-02-01T00:00:00.000Z","modified":"2026-02-01T00:00:00.000Z","pattern":"[domain-name:value = 'x-campaign.example']","pattern_type":"stix","valid_from":"2026-02-01T00:00:00.000Z","labels":["c2"],"external_references":[{"source_name":"blog","url":"https://blog.example/x"}],"x_custom":{"a":[1,2]}},)"
        R"({"type":"malware","spec_version":"2.1","id":"malware--7d3c1b0e-1111-4a2b-9c3d-000000000004","created":"2026-02-01T00:00:00.000Z","modified":"2026-02-01T00:00:00.000Z","name":"XRat","is_family":true})";
    const std::string marking = core::ToJson(TlpMarkingObject(Tlp::kGreen));
    return R"({"type":"bundle","id":"bundle--7d3c1b0e-1111-4a2b-9c3d-00000000000f","objects":[)" + marking + "," +
           (report_first ? report + "," + body : body + "," + report) + "]}";
}

TEST_P(IntelStoreTest, ReimportIsIdempotentByIdAndModified) {
    for (bool report_first : {false, true}) {
        SCOPED_TRACE(report_first ? "report first" : "report last");
        ImportOptions opts;
        opts.organisation_id = report_first ? 4 : 2;
        opts.audience = Audience::kNational;
        auto import = [&](const std::string& text) {
            std::istringstream in(text);
            return store_->ImportStix(in, opts, actor_);
        };
        auto r1 = import(ReimportBundle("2026-02-01T00:00:00.000Z", "first", report_first));
        ASSERT_TRUE(r1) << r1.error().message;
        EXPECT_FALSE(r1->reimport);
        EXPECT_EQ(r1->created, 3u);  // two indicators and the malware; the report is the event
        EXPECT_EQ(r1->indicators, 2u);
        auto e1 = store_->Get(r1->event_id, V(opts.organisation_id));
        ASSERT_TRUE(e1);
        EXPECT_EQ(e1->title, "Campaign X");

        // The same bundle again: the same event, nothing created, nothing changed.
        auto r2 = import(ReimportBundle("2026-02-01T00:00:00.000Z", "first", report_first));
        ASSERT_TRUE(r2) << r2.error().message;
        EXPECT_TRUE(r2->reimport);
        EXPECT_EQ(r2->event_id, r1->event_id);
        EXPECT_EQ(r2->created, 0u);
        EXPECT_EQ(r2->updated, 0u);
        EXPECT_EQ(r2->unchanged, 4u);  // three objects and the report
        EXPECT_EQ(r2->indicators, 0u);
        EXPECT_EQ(r2->failed, 0u);
        auto e2 = store_->Get(r1->event_id, V(opts.organisation_id));
        ASSERT_TRUE(e2);
        EXPECT_EQ(e2->version, e1->version);
        EXPECT_EQ(e2->indicator_count, 2);
        EventFilter f;
        f.organisation = "org" + std::to_string(opts.organisation_id);
        EXPECT_EQ(store_->ListEvents(f, V(opts.organisation_id))->total, 1);

        // A newer version of an indicator: a new object version, the indicator row follows.
        auto r3 = import(ReimportBundle("2026-03-01T00:00:00.000Z", "second", report_first));
        ASSERT_TRUE(r3) << r3.error().message;
        EXPECT_EQ(r3->event_id, r1->event_id);
        EXPECT_EQ(r3->updated, 1u);
        EXPECT_EQ(r3->created, 0u);
        EXPECT_EQ(r3->unchanged, 3u);
        IndicatorFilter inf;
        inf.event = r1->event_id;
        inf.value = "198.51.100.77";
        auto ind = store_->ListIndicators(inf, V(opts.organisation_id));
        ASSERT_TRUE(ind);
        ASSERT_EQ(ind->items.size(), 1u);
        EXPECT_EQ(ind->items[0].comment, "second");
        // An older version: kept as an older version; the indicator stays at the newest.
        auto r4 = import(ReimportBundle("2026-01-15T00:00:00.000Z", "older", report_first));
        ASSERT_TRUE(r4) << r4.error().message;
        EXPECT_EQ(r4->older_versions, 1u);
        EXPECT_EQ(r4->updated, 0u);
        ind = store_->ListIndicators(inf, V(opts.organisation_id));
        EXPECT_EQ(ind->items[0].comment, "second");
        ObjectQuery q;
        q.audience = Audience::kNational;
        q.ids = {"indicator--7d3c1b0e-1111-4a2b-9c3d-000000000002"};
        q.version_mode = "all";
        bool more = false;
        auto versions = store_->QueryObjects(q, V(opts.organisation_id), &more);
        ASSERT_TRUE(versions) << versions.error().message;
        std::set<std::string> modified;
        for (const auto& o : *versions) modified.insert(o.version);
        EXPECT_EQ(modified, (std::set<std::string>{"2026-01-15T00:00:00.000Z", "2026-02-01T00:00:00.000Z",
                                                   "2026-03-01T00:00:00.000Z"}));
        q.version_mode = "last";
        auto last = store_->QueryObjects(q, V(opts.organisation_id), &more);
        ASSERT_TRUE(last);
        // One per event holding the id (the second round's organisation sees the first's event).
        ASSERT_EQ(last->size(), report_first ? 2u : 1u);
        for (const auto& o : *last) EXPECT_EQ(o.version, "2026-03-01T00:00:00.000Z");
    }
}

TEST_P(IntelStoreTest, LeanObjectsAreServedAsImported) {
    const std::string text = ReimportBundle("2026-02-01T00:00:00.000Z", "first", false);
    std::istringstream in(text);
    ImportOptions opts;
    opts.organisation_id = 2;
    opts.audience = Audience::kNational;
    auto r = store_->ImportStix(in, opts, actor_);
    ASSERT_TRUE(r) << r.error().message;
    auto original = core::ParseJsonObject(text);
    ASSERT_TRUE(original);
    // The simple indicator is stored lean, the one with extra properties verbatim.
    auto conn = db_->Acquire();
    ASSERT_TRUE(conn);
    // (The simple one in its indicator row, migration 018.)
    auto rows = (*conn)->Query(
        "SELECT stix_id, object_content FROM intel_indicators WHERE object_added IS NOT NULL UNION ALL SELECT stix_id, "
        "content FROM intel_objects WHERE type = 'indicator' ORDER BY 1");
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_TRUE((*rows)[0].Str(1).starts_with("~I"));
    EXPECT_FALSE((*rows)[1].Str(1).starts_with("~"));
    // Served over TAXII and exported: the same properties and values as imported.
    ObjectQuery q;
    q.audience = Audience::kNational;
    q.types = {"indicator", "malware"};
    bool more = false;
    auto served = store_->QueryObjects(q, V(2), &more);
    ASSERT_TRUE(served) << served.error().message;
    ASSERT_EQ(served->size(), 3u);
    auto bundle = store_->ExportStix(r->event_id, V(2));
    ASSERT_TRUE(bundle) << bundle.error().message;
    for (const auto& want : original->at("objects").as_array()) {
        const auto& w = want.as_object();
        if (w.at("type") != "indicator" && w.at("type") != "malware") continue;
        bool found = false;
        for (const auto& o : *served)
            if (o.stix_id == w.at("id").as_string()) {
                auto got = core::ParseJson(o.content);
                ASSERT_TRUE(got) << o.content;
                EXPECT_EQ(*got, want) << o.content;
                found = true;
            }
        EXPECT_TRUE(found) << w.at("id");
        found = false;
        for (const auto& o : bundle->at("objects").as_array())
            if (o.as_object().at("id") == w.at("id")) {
                EXPECT_EQ(o, want);
                found = true;
            }
        EXPECT_TRUE(found) << w.at("id");
    }
    // Names with quotes or controls are kept verbatim (no escaping in lean records).
    auto lean = LeanIndicator(*core::ParseJsonObject(
        R"({"type":"indicator","id":"indicator--7d3c1b0e-1111-4a2b-9c3d-000000000009","created":"2026-02-01T00:00:00Z","modified":"2026-02-01T00:00:00Z","name":"a \"b\"","pattern":"[ipv4-addr:value = '1.2.3.4']","valid_from":"2026-02-01T00:00:00Z"})"));
    EXPECT_FALSE(lean);
    auto plain = core::ParseJsonObject(
        R"({"type":"indicator","id":"indicator--7d3c1b0e-1111-4a2b-9c3d-000000000009","created":"2026-01-01T00:00:00Z","modified":"2026-02-01T00:00:00Z","description":"d é","pattern":"[ipv4-addr:value = '1.2.3.4']","valid_from":"2026-02-01T00:00:00Z","valid_until":"2027-02-01T00:00:00Z","object_marking_refs":["marking-definition--00000000-1111-4a2b-9c3d-000000000009"]})");
    ASSERT_TRUE(plain);
    auto lean2 = LeanIndicator(*plain);
    ASSERT_TRUE(lean2);
    auto back = core::ParseJson(RenderLeanIndicator("indicator--7d3c1b0e-1111-4a2b-9c3d-000000000009",
                                                    "2026-02-01T00:00:00Z", *lean2));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, json::value(*plain));
}

// Migration 018: simple indicators imported into a new event hold their object in their own row.
// Mixed with intel_objects rows (events created here, verbatim objects, rows written before 018,
// simulated by moving some in-row objects out), TAXII pages, cursors, filters, exports and report
// refs serve the same objects in the same date_added order; a second version moves the first out.
TEST_P(IntelStoreTest, InRowObjectsServeLikeObjectRows) {
    EventInput in;
    in.title = "created here";
    in.tlp = Tlp::kClear;
    in.audience = Audience::kPartners;
    for (int k = 1; k <= 3; ++k) in.indicators.push_back({"ipv4", "45.33.50." + std::to_string(k), "", {}, {}, {}});
    ASSERT_TRUE(store_->Create(in, 2, actor_));
    const std::string id0 = "indicator--e1b2c3d4-0000-4000-8000-000000000000";
    const std::string dup = R"({"type":"indicator","spec_version":"2.1","id":"indicator--e1b2c3d4-0000-4000-8000-000000000009","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-02T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.33.51.9']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"})";
    std::string text = IndicatorBundle(
        6, 'e',
        [](int k) {
            return k == 4 ? std::string("[domain-name:value = 'Mixed-Case.Example']")
                          : "[ipv4-addr:value = '45.33.51." + std::to_string(k) + "']";
        },
        [](int k) {
            return k == 1   ? std::string(R"("name":"named",)")
                   : k == 2 ? std::string(R"("description":"described",)")
                   : k == 3 ? std::string(R"("labels":["verbatim"],)")
                            : std::string();
        });
    // A second value under the id of the 10th (both versions move to intel_objects) and an object
    // whose `modified` has no milliseconds (kept as written).
    text.insert(text.size() - 2, "," + dup);
    std::string dup2 = dup;
    dup2.replace(dup2.find("45.33.51.9"), 10, "45.33.51.8");
    dup2.replace(dup2.find("2026-01-02T00:00:00.000Z"), 24, "2026-01-03T00:00:00.000Z");
    text.insert(text.size() - 2, "," + dup2);
    const std::string seconds = R"({"type":"indicator","spec_version":"2.1","id":"indicator--e1b2c3d4-0000-4000-8000-000000000010","created":"2026-01-01T00:00:00Z","modified":"2026-01-05T00:00:00Z","pattern":"[ipv4-addr:value = '45.33.51.10']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00.500Z"})";
    text.insert(text.size() - 2, "," + seconds);
    // A simple version of the verbatim 3rd (it moves to intel_objects too).
    std::string third = dup;
    third.replace(third.find("000000000009"), 12, "000000000003");
    third.replace(third.find("45.33.51.9"), 10, "45.33.51.7");
    third.replace(third.find("2026-01-02T00:00:00.000Z"), 24, "2026-01-04T00:00:00.000Z");
    text.insert(text.size() - 2, "," + third);
    // Timestamps in other shapes are served as written (only the canonical ones are not stored).
    for (auto [n, modified, from] : {std::tuple{11, "2024-02-29T23:59:59.999Z", "2000-03-01T00:00:00Z"},
                                     std::tuple{12, "2026-06-30T12:00:00.123456Z", "2026-06-30T12:00:00.1Z"}}) {
        std::string o = seconds;
        o.replace(o.find("000000000010"), 12, "0000000000" + std::to_string(n));
        o.replace(o.find("45.33.51.10"), 11, "45.33.51." + std::to_string(n));
        o.replace(o.find("2026-01-05T00:00:00Z"), 20, modified);
        o.replace(o.find("2026-01-01T00:00:00.500Z"), 24, from);
        text.insert(text.size() - 2, "," + o);
    }
    ImportOptions opts;
    opts.organisation_id = 2;
    opts.default_tlp = Tlp::kClear;
    opts.audience = Audience::kPartners;
    std::istringstream bin(text);
    auto r = store_->ImportStix(bin, opts, actor_);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->indicators, 12u);
    in.title = "created after";
    ASSERT_TRUE(store_->Create(in, 2, actor_));  // the same values: another event

    auto conn = db_->Acquire();
    ASSERT_TRUE(conn);
    auto count = [&](const std::string& sql) {
        auto rows = (*conn)->Query(sql);
        EXPECT_TRUE(rows) << rows.error().message;
        return rows ? (*rows)[0].Int(0) : -1;
    };
    // In-row: the simple ones (0, 1, 2, 4, 5 and the one in seconds), not the verbatim one nor
    // the two versions under one id.
    EXPECT_EQ(count("SELECT COUNT(*) FROM intel_indicators WHERE object_added IS NOT NULL"), 8);
    EXPECT_EQ(count("SELECT COUNT(*) FROM intel_indicators WHERE object_added IS NOT NULL AND object_content LIKE "
                    "'%45.33.51%'"), 0);  // the pattern is not repeated in the row
    // Nor canonical timestamps (`modified`, valid_from): only the two `modified` written otherwise,
    // the one valid_from with a tenth of a second and the three `created` unlike their `modified`.
    EXPECT_EQ(count("SELECT COUNT(*) FROM intel_indicators WHERE object_added IS NOT NULL AND object_version IS NOT "
                    "NULL"), 2);
    EXPECT_EQ(count("SELECT COUNT(*) FROM intel_indicators WHERE object_added IS NOT NULL AND object_content LIKE "
                    "'%:00.1Z%'"), 1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM intel_indicators WHERE object_added IS NOT NULL AND object_content LIKE "
                    "'%:00:%'"), 3);

    access::IntelViewer anon;
    anon.anonymous = true;
    struct Served {
        std::string id, version, content;
        core::Micros added;
        bool operator==(const Served&) const = default;
    };
    auto pages = [&](ObjectQuery q) {
        q.limit = 2;
        std::vector<Served> out;
        for (int page = 0; page < 50; ++page) {
            bool more = false;
            auto objs = store_->QueryObjects(q, anon, &more);
            EXPECT_TRUE(objs) << objs.error().message;
            if (!objs) break;
            for (const auto& o : *objs) {
                if (!out.empty()) { EXPECT_GT(o.date_added, out.back().added); }
                EXPECT_TRUE(core::ParseJson(o.content)) << o.content;
                out.push_back({o.stix_id, o.version, o.content, o.date_added});
            }
            if (!more) break;
            q.after_row = out.back().added;
        }
        return out;
    };
    const auto before = pages({});
    // 3 + 3 + 10 ids of the bundle (the latest version), 3 reports, marking, identity.
    EXPECT_EQ(before.size(), 3u + 3 + 10 + 3 + 2);
    ObjectQuery all_versions;
    all_versions.version_mode = "all";
    const auto before_all = pages(all_versions);
    EXPECT_EQ(before_all.size(), before.size() + 2);
    auto original = core::ParseJsonObject(text);
    ASSERT_TRUE(original);
    for (const auto& want : original->at("objects").as_array()) {
        const auto& w = want.as_object();
        bool found = false;
        for (const auto& o : before_all)
            if (o.id == w.at("id").as_string() && o.version == w.at("modified").as_string()) {
                EXPECT_EQ(*core::ParseJson(o.content), want) << o.content;
                found = true;
            }
        EXPECT_TRUE(found) << w.at("id");
    }
    ObjectQuery only;
    only.audience = Audience::kPartners;
    only.ids = {id0, "indicator--e1b2c3d4-0000-4000-8000-000000000009"};
    bool more = false;
    auto last = store_->QueryObjects(only, V(2), &more);
    ASSERT_TRUE(last);
    ASSERT_EQ(last->size(), 2u);  // id0 and the later version of the other
    only.version_mode = "all";
    EXPECT_EQ(store_->QueryObjects(only, V(2), &more)->size(), 3u);
    only.version_mode = "";
    only.versions = {*core::ParseRfc3339("2026-01-01T00:00:00.000Z")};
    EXPECT_EQ(store_->QueryObjects(only, V(2), &more)->size(), 1u);
    only.versions = {*core::ParseRfc3339("2026-01-04T00:00:00.000Z")};
    EXPECT_EQ(store_->QueryObjects(only, V(2), &more)->size(), 0u);

    auto exported = [&] {
        std::ostringstream out;
        EXPECT_TRUE(store_->ExportStixTo(r->event_id, V(2), out));
        auto bundle = core::ParseJsonObject(out.str());
        EXPECT_TRUE(bundle);
        std::set<std::string> ids, refs;
        for (const auto& o : bundle->at("objects").as_array()) {
            ids.insert(std::string(o.as_object().at("id").as_string()));
            if (o.as_object().at("type") == "report")
                for (const auto& x : o.as_object().at("object_refs").as_array()) refs.insert(std::string(x.as_string()));
        }
        return std::make_pair(ids, refs);
    };
    const auto export_before = exported();
    EXPECT_EQ(export_before.first.size(), 10u + 3);  // 10 ids, marking, identity, report
    EXPECT_EQ(export_before.second.size(), 10u);

    // Rows as written before 018 (every other in-row object moved to intel_objects): the same
    // objects, versions, contents and date_added, page by page; the same export.
    ASSERT_TRUE(MoveInRowObjects(**conn, "id % 2 = 0", {}));
    EXPECT_LT(count("SELECT COUNT(*) FROM intel_indicators WHERE object_added IS NOT NULL"), 8);
    EXPECT_GT(count("SELECT COUNT(*) FROM intel_indicators WHERE object_added IS NOT NULL"), 0);
    EXPECT_EQ(pages({}), before);
    EXPECT_EQ(pages(all_versions), before_all);
    EXPECT_EQ(exported(), export_before);
    ObjectQuery indicators;
    indicators.types = {"indicator"};
    EXPECT_EQ(pages(indicators).size(), 3u + 3 + 10);

    // A change of an in-row indicator writes a second version; the first is served as imported.
    IndicatorFilter f;
    f.value = "45.33.51.0";
    f.event = r->event_id;
    auto ind = store_->ListIndicators(f, V(2));
    ASSERT_TRUE(ind);
    ASSERT_EQ(ind->items.size(), 1u);
    IndicatorPatch patch;
    patch.comment = "changed";
    ASSERT_TRUE(store_->UpdateIndicator(ind->items[0].uuid, patch, V(2), actor_));
    only.ids = {id0};
    only.versions.clear();
    only.version_mode = "all";
    auto both = store_->QueryObjects(only, V(2), &more);
    ASSERT_TRUE(both);
    ASSERT_EQ(both->size(), 2u);
    EXPECT_EQ(*core::ParseJson((*both)[0].content), original->at("objects").as_array()[0]);
    EXPECT_EQ(core::ParseJsonObject((*both)[1].content)->at("description"), "changed");
    only.version_mode = "first";
    EXPECT_EQ(store_->QueryObjects(only, V(2), &more)->front().version, "2026-01-01T00:00:00.000Z");
    EXPECT_EQ(count("SELECT COUNT(*) FROM intel_indicators WHERE stix_id = '" + id0 + "' AND object_added IS NOT NULL"), 0);

    // Importing the same bundle again: nothing new; TAXII DELETE of an in-row indicator.
    std::istringstream again(text);
    auto r2 = store_->ImportStix(again, opts, actor_);
    ASSERT_TRUE(r2) << r2.error().message;
    EXPECT_TRUE(r2->reimport);
    EXPECT_EQ(r2->event_id, r->event_id);
    EXPECT_EQ(r2->created, 0u);
    const std::string in_row_id =
        (*conn)->Query("SELECT stix_id FROM intel_indicators WHERE object_added IS NOT NULL ORDER BY id LIMIT 1")->rows[0].Str(0);
    EXPECT_EQ(DeleteTaxiiObject(*store_, audit_, in_row_id, Audience::kPartners, V(2), actor_).value_or(-1), 1);
    only.ids = {in_row_id};
    EXPECT_TRUE(store_->QueryObjects(only, V(2), &more)->empty());
    EXPECT_EQ(count("SELECT COUNT(*) FROM intel_indicators WHERE stix_id = '" + in_row_id + "'"), 0);

    // A new TLP writes a new version of every indicator: the in-row ones move out first and are
    // still served as imported.
    EventPatch green;
    green.tlp = Tlp::kGreen;
    ASSERT_TRUE(store_->Update(r->event_id, green, std::nullopt, V(2), actor_));
    EXPECT_EQ(count("SELECT COUNT(*) FROM intel_indicators WHERE object_added IS NOT NULL"), 0);
    const std::string id11 = "indicator--e1b2c3d4-0000-4000-8000-000000000011";
    only.ids = {id11};
    only.version_mode = "all";
    auto two = store_->QueryObjects(only, V(2), &more);
    ASSERT_TRUE(two);
    ASSERT_EQ(two->size(), 2u);
    for (const auto& want : original->at("objects").as_array())
        if (want.as_object().at("id").as_string() == id11) { EXPECT_EQ(*core::ParseJson((*two)[0].content), want); }
}

TEST_P(IntelStoreTest, BigEventReportNamesEveryObject) {
    // More objects than the old cap of 10,000 refs: the report names them all, in the export and
    // over TAXII, and the export streams.
    const int n = 10500;
    const std::string text =
        IndicatorBundle(n, 'b', [](int k) { return "[domain-name:value = 'big-" + std::to_string(k) + ".example.net']"; });
    std::istringstream in(text);
    ImportOptions opts;
    opts.organisation_id = 2;
    opts.audience = Audience::kNational;
    auto r = store_->ImportStix(in, opts, actor_);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->indicators, static_cast<std::size_t>(n));
    std::ostringstream out;
    ASSERT_TRUE(store_->ExportStixTo(r->event_id, V(2), out));
    auto bundle = core::ParseJsonObject(out.str());
    ASSERT_TRUE(bundle) << bundle.error().message;
    const auto& objects = bundle->at("objects").as_array();
    const auto& report = objects.back().as_object();
    ASSERT_EQ(report.at("type"), "report");
    EXPECT_EQ(report.at("object_refs").as_array().size(), static_cast<std::size_t>(n));
    EXPECT_EQ(objects.size(), static_cast<std::size_t>(n) + 3);  // marking, identity, indicators, report
    ObjectQuery q;
    q.audience = Audience::kNational;
    q.types = {"report"};
    bool more = false;
    auto served = store_->QueryObjects(q, V(2), &more);
    ASSERT_TRUE(served) << served.error().message;
    ASSERT_EQ(served->size(), 1u);
    auto rep = core::ParseJsonObject(served->front().content);
    ASSERT_TRUE(rep);
    EXPECT_EQ(rep->at("object_refs").as_array().size(), static_cast<std::size_t>(n));
}

TEST_P(IntelStoreTest, MispReimportByEventUuidAndTimestamp) {
    const std::string text = ReadFile(Source() + "/tests/data/misp/event-api-objects-galaxies.json");
    MispImportOptions opts;
    opts.organisation_id = 4;
    auto r1 = ImportMisp(*store_, text, opts, actor_);
    ASSERT_TRUE(r1) << r1.error().message;
    EXPECT_FALSE(r1->reimport);
    EXPECT_EQ(r1->created, 3u);
    auto r2 = ImportMisp(*store_, text, opts, actor_);
    ASSERT_TRUE(r2) << r2.error().message;
    EXPECT_TRUE(r2->reimport);
    EXPECT_EQ(r2->event_id, r1->event_id);
    EXPECT_EQ(r2->created, 0u);
    EXPECT_EQ(r2->unchanged, 3u);
    EXPECT_EQ(r2->indicators, 3u);
    // A newer timestamp with one more attribute: that one is added to the same event.
    auto doc = core::ParseJsonObject(text);
    ASSERT_TRUE(doc);
    auto& ev = doc->at("Event").as_object();
    const std::int64_t stamp = std::stoll(std::string(ev.at("timestamp").as_string()));
    ev["timestamp"] = std::to_string(stamp + 60);
    ev["Attribute"].as_array().push_back(json::object{{"type", "ip-dst"}, {"value", "198.51.100.251"}, {"to_ids", true},
                                                      {"uuid", "5c6ab897-0f68-44ca-8d62-0c150a0000ff"}});
    auto r3 = ImportMisp(*store_, core::ToJson(*doc), opts, actor_);
    ASSERT_TRUE(r3) << r3.error().message;
    EXPECT_EQ(r3->event_id, r1->event_id);
    EXPECT_EQ(r3->created, 1u);
    EXPECT_EQ(r3->indicators, 4u);
    // The same timestamp again with yet another attribute: not newer, nothing changes.
    ev["Attribute"].as_array().push_back(json::object{{"type", "ip-dst"}, {"value", "198.51.100.252"}, {"to_ids", true}});
    auto r4 = ImportMisp(*store_, core::ToJson(*doc), opts, actor_);
    ASSERT_TRUE(r4) << r4.error().message;
    EXPECT_EQ(r4->created, 0u);
    EXPECT_EQ(r4->indicators, 4u);
    EventFilter f;
    f.organisation = "org4";
    EXPECT_EQ(store_->ListEvents(f, V(4))->total, 1);
}

// MISP attribute uuids: kept on the indicator, matched first on re-import (a corrected value
// under the same attribute uuid updates the indicator), written back by the MISP export.
TEST_P(IntelStoreTest, MispReimportMatchesAttributeUuids) {
    const std::string text = ReadFile(Source() + "/tests/data/misp/event-api-objects-galaxies.json");
    const std::string md5_uuid = "5acd1ad6-9458-43ed-8bda-48b202de0b81", sha1_uuid = "5acd1ad5-d454-4166-aa3a-498d02de0b81";
    MispImportOptions opts;
    opts.organisation_id = 4;
    auto r1 = ImportMisp(*store_, text, opts, actor_);
    ASSERT_TRUE(r1) << r1.error().message;
    auto attribute_uuids = [&](const std::string& event) {
        std::map<std::string, std::string> out;  // uuid → value
        auto doc = ExportMisp(*store_, event, V(4));
        EXPECT_TRUE(doc);
        if (doc)
            for (const auto& a : doc->at("Event").as_object().at("Attribute").as_array())
                out[std::string(a.at("uuid").as_string())] = std::string(a.at("value").as_string());
        return out;
    };
    auto first = attribute_uuids(r1->event_id);
    EXPECT_EQ(first.size(), 3u);
    EXPECT_EQ(first[md5_uuid], "0997ba7292ddbac1c7e7ade6766ed53c");
    EXPECT_EQ(first.count(sha1_uuid), 1u);
    EXPECT_EQ(first.count("5acc9181-5c70-4a02-b2f0-4dae950d210f"), 1u);  // the first of the two sha256
    // MISP corrects the md5 (same attribute uuid, new value and comment) and the event is newer.
    auto doc = core::ParseJsonObject(text);
    ASSERT_TRUE(doc);
    auto& ev = doc->at("Event").as_object();
    ev["timestamp"] = std::to_string(std::stoll(std::string(ev.at("timestamp").as_string())) + 60);
    for (auto& o : ev["Object"].as_array())
        for (auto& a : o.as_object()["Attribute"].as_array())
            if (a.at("uuid").as_string() == md5_uuid) {
                a.as_object()["value"] = "0997ba7292ddbac1c7e7ade6766ed53d";
                a.as_object()["comment"] = "corrected";
                a.as_object()["timestamp"] = "1551342000";
            }
    auto r2 = ImportMisp(*store_, core::ToJson(*doc), opts, actor_);
    ASSERT_TRUE(r2) << r2.error().message;
    EXPECT_TRUE(r2->reimport);
    EXPECT_EQ(r2->event_id, r1->event_id);
    EXPECT_EQ(r2->updated, 1u);
    EXPECT_EQ(r2->created, 0u);
    EXPECT_EQ(r2->unchanged, 2u);
    EXPECT_EQ(r2->indicators, 3u);
    EXPECT_EQ(ToJson(*r2).at("updated").to_number<std::int64_t>(), 1);
    IndicatorFilter f;
    f.event = r1->event_id;
    auto inds = store_->ListIndicators(f, V(4));
    ASSERT_TRUE(inds);
    ASSERT_EQ(inds->total, 3);
    int md5s = 0;
    for (const auto& i : inds->items)
        if (i.type == IndicatorType::kMd5) {
            ++md5s;
            EXPECT_EQ(i.value, "0997ba7292ddbac1c7e7ade6766ed53d");
            EXPECT_EQ(i.comment, "corrected");
            EXPECT_EQ(i.source_uuid, md5_uuid);
            EXPECT_EQ(i.valid_from, 1551342000LL * 1000000LL);
        }
    EXPECT_EQ(md5s, 1);
    auto second = attribute_uuids(r1->event_id);
    EXPECT_EQ(second.size(), 3u);
    EXPECT_EQ(second[md5_uuid], "0997ba7292ddbac1c7e7ade6766ed53d");
    {  // The MISP feed shares the attribute writer.
        auto event = store_->Get(r1->event_id, V(4));
        ASSERT_TRUE(event);
        std::ostringstream feed;
        ASSERT_TRUE(WriteMispFeedEvent(*store_, *event, V(4), feed));
        EXPECT_NE(feed.str().find("\"uuid\":\"" + md5_uuid + "\""), std::string::npos);
    }
    // Correlation and STIX follow the new value.
    EXPECT_TRUE(store_->CorrelateValue("md5", "0997ba7292ddbac1c7e7ade6766ed53c", V(4))->at(0).events.empty());
    EXPECT_EQ(store_->CorrelateValue("md5", "0997ba7292ddbac1c7e7ade6766ed53d", V(4))->at(0).events.size(), 1u);
    auto stix = store_->ExportStix(r1->event_id, V(4));
    ASSERT_TRUE(stix);
    const std::string bundle = core::ToJson(*stix);
    EXPECT_NE(bundle.find("0997ba7292ddbac1c7e7ade6766ed53d"), std::string::npos);
    // The same file again: not newer, nothing changes.
    auto r3 = ImportMisp(*store_, core::ToJson(*doc), opts, actor_);
    ASSERT_TRUE(r3) << r3.error().message;
    EXPECT_EQ(r3->updated, 0u);
    EXPECT_EQ(r3->unchanged, 3u);
    // An attribute uuid twice in the file: ambiguous, both attributes are problems named by it and
    // the stored indicator stays as it was.
    ev["timestamp"] = std::to_string(std::stoll(std::string(ev.at("timestamp").as_string())) + 60);
    ev["Attribute"].as_array().push_back(json::object{
        {"type", "ip-dst"}, {"value", "198.51.100.253"}, {"to_ids", true}, {"uuid", sha1_uuid}});
    auto r4 = ImportMisp(*store_, core::ToJson(*doc), opts, actor_);
    ASSERT_TRUE(r4) << r4.error().message;
    ASSERT_EQ(r4->problems.size(), 2u);
    for (const auto& p : r4->problems) {
        EXPECT_EQ(p.object_id, sha1_uuid);
        EXPECT_NE(p.reason.find("2 times"), std::string::npos) << p.reason;
    }
    EXPECT_EQ(r4->created, 0u);
    EXPECT_EQ(r4->updated, 0u);
    EXPECT_EQ(r4->indicators, 3u);
    EXPECT_EQ(attribute_uuids(r1->event_id)[sha1_uuid], "d63ff86f05b6f2fb86abf0dcd16cd2008fa3c158");
    // Indicators created here keep our uuid in the export.
    EventInput in;
    in.title = "ours";
    in.indicators = {{"ipv4", "198.51.100.9", "", {}, {}, {}}};
    auto ours = store_->Create(in, 4, actor_);
    ASSERT_TRUE(ours);
    IndicatorFilter of;
    of.event = ours->uuid;
    auto our_inds = store_->ListIndicators(of, V(4));
    ASSERT_TRUE(our_inds);
    ASSERT_EQ(our_inds->items.size(), 1u);
    EXPECT_TRUE(our_inds->items[0].source_uuid.empty());
    EXPECT_EQ(attribute_uuids(ours->uuid).count(our_inds->items[0].uuid), 1u);
}

// An event imported before attribute uuids were kept (source_uuid NULL): a newer re-import
// matches by value and the indicator takes the attribute's uuid, so the export carries it.
TEST_P(IntelStoreTest, MispReimportAdoptsAttributeUuidsOfOlderImports) {
    const std::string text = ReadFile(Source() + "/tests/data/misp/event-api-objects-galaxies.json");
    const std::string md5_uuid = "5acd1ad6-9458-43ed-8bda-48b202de0b81";
    MispImportOptions opts;
    opts.organisation_id = 2;
    auto r1 = ImportMisp(*store_, text, opts, actor_);
    ASSERT_TRUE(r1) << r1.error().message;
    {
        auto conn = db_->Acquire();
        ASSERT_TRUE(conn);
        ASSERT_TRUE((*conn)->Execute("UPDATE intel_indicators SET source_uuid = NULL"));
    }
    auto doc = core::ParseJsonObject(text);
    ASSERT_TRUE(doc);
    auto& ev = doc->at("Event").as_object();
    ev["timestamp"] = std::to_string(std::stoll(std::string(ev.at("timestamp").as_string())) + 60);
    auto r2 = ImportMisp(*store_, core::ToJson(*doc), opts, actor_);
    ASSERT_TRUE(r2) << r2.error().message;
    EXPECT_EQ(r2->event_id, r1->event_id);
    EXPECT_EQ(r2->updated, 3u);
    EXPECT_EQ(r2->created, 0u);
    EXPECT_EQ(r2->indicators, 3u);
    auto out = ExportMisp(*store_, r1->event_id, V(2));
    ASSERT_TRUE(out);
    std::set<std::string> uuids;
    for (const auto& a : out->at("Event").as_object().at("Attribute").as_array())
        uuids.insert(std::string(a.at("uuid").as_string()));
    EXPECT_EQ(uuids.count(md5_uuid), 1u);
    // And from then on it is matched by uuid: the same file again changes nothing.
    ev["timestamp"] = std::to_string(std::stoll(std::string(ev.at("timestamp").as_string())) + 60);
    auto r3 = ImportMisp(*store_, core::ToJson(*doc), opts, actor_);
    ASSERT_TRUE(r3) << r3.error().message;
    EXPECT_EQ(r3->updated, 0u);
    EXPECT_EQ(r3->unchanged, 3u);
}

// ---- Indicator removal and MISP deleted / first_seen / last_seen -----------------------------
TEST_P(IntelStoreTest, RemoveIndicatorRevokesItEverywhere) {
    EventInput in;
    in.title = "Removal";
    in.tlp = Tlp::kAmber;
    in.audience = Audience::kSector;
    in.indicators = {{"ipv4", "45.33.32.156", "C2", {}, {}, {}}, {"domain", "keep.example", "", {}, {}, {}}};
    auto e = store_->Create(in, 2, actor_);
    ASSERT_TRUE(e) << e.error().message;
    EventInput other = in;
    other.title = "Same value elsewhere";
    other.indicators = {{"ipv4", "45.33.32.156", "", {}, {}, {}}};
    ASSERT_TRUE(store_->Create(other, 2, actor_));
    IndicatorFilter f;
    f.event = e->uuid;
    auto inds = store_->ListIndicators(f, V(2));
    ASSERT_TRUE(inds);
    std::string ip_uuid, ip_stix;
    for (const auto& i : inds->items)
        if (i.value == "45.33.32.156") ip_uuid = i.uuid, ip_stix = i.stix_id;
    ASSERT_FALSE(ip_uuid.empty());
    ASSERT_TRUE(store_->AddSighting(ip_uuid, SightingInput{2, std::nullopt, "ids"}, V(3), actor_));
    EXPECT_EQ(store_->CorrelateValue("ipv4", "45.33.32.156", V(2))->at(0).event_count, 2);

    // Rights: invisible → not found, visible but not the creator → denied, stale If-Match.
    EXPECT_EQ(store_->RemoveIndicator(ip_uuid, std::nullopt, V(5), actor_).error().code, core::ErrorCode::kNotFound);
    EXPECT_EQ(store_->RemoveIndicator(ip_uuid, std::nullopt, V(3), actor_).error().code,
              core::ErrorCode::kPermissionDenied);
    EXPECT_EQ(store_->RemoveIndicator(ip_uuid, 99, V(2), actor_).error().code, core::ErrorCode::kPreconditionFailed);
    auto done = store_->RemoveIndicator(ip_uuid, store_->Get(e->uuid, V(2))->version, V(2), actor_);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(store_->RemoveIndicator(ip_uuid, std::nullopt, V(2), actor_).error().code, core::ErrorCode::kNotFound);

    // Gone from the indicator, lists, search, CSV, correlation and the event's count.
    EXPECT_EQ(store_->GetIndicator(ip_uuid, V(2)).error().code, core::ErrorCode::kNotFound);
    EXPECT_EQ(store_->ListIndicators(f, V(2))->total, 1);
    auto after = store_->Get(e->uuid, V(2));
    ASSERT_TRUE(after);
    EXPECT_EQ(after->indicator_count, 1);
    EXPECT_GT(after->version, e->version);
    IndicatorFilter by_value;
    by_value.value = "45.33.32.156";
    EXPECT_EQ(store_->ListIndicators(by_value, V(2))->total, 1);  // the other event's
    auto corr = store_->CorrelateValue("ipv4", "45.33.32.156", V(2));
    ASSERT_TRUE(corr);
    ASSERT_EQ(corr->size(), 1u);
    EXPECT_EQ(corr->at(0).event_count, 1);
    IndicatorFilter mine = f;
    EXPECT_EQ(store_->ExportCsv(mine, V(2))->find("45.33.32.156"), std::string::npos);

    // Audited.
    auto conn = db_->Acquire();
    auto audit = (*conn)->Query("SELECT action FROM audit_log WHERE object_id = ? ORDER BY id", {ip_uuid});
    ASSERT_TRUE(audit);
    ASSERT_EQ(audit->size(), 2u);  // the sighting, the removal
    EXPECT_EQ((*audit)[1].Str(0), "intel.indicator.delete");

    // Partners: TAXII serves a revoked last version, the STIX export holds it.
    ObjectQuery q;
    q.audience = Audience::kSector;
    q.ids = {ip_stix};
    bool more = false;
    auto objects = store_->QueryObjects(q, V(3), &more);
    ASSERT_TRUE(objects);
    ASSERT_EQ(objects->size(), 1u);
    auto revoked = core::ParseJsonObject(objects->at(0).content);
    ASSERT_TRUE(revoked);
    EXPECT_TRUE(revoked->at("revoked").as_bool());
    q.version_mode = "all";
    EXPECT_EQ(store_->QueryObjects(q, V(3), &more)->size(), 2u);
    auto bundle = store_->ExportStix(e->uuid, V(2));
    ASSERT_TRUE(bundle);
    bool in_bundle = false;
    for (const auto& o : bundle->at("objects").as_array())
        if (o.as_object().at("id").as_string() == ip_stix)
            if (const auto* rv = o.as_object().if_contains("revoked")) in_bundle = rv->is_bool() && rv->as_bool();
    EXPECT_TRUE(in_bundle);

    // MISP export and feed: the attribute is deleted.
    auto misp = ExportMisp(*store_, e->uuid, V(2));
    ASSERT_TRUE(misp);
    int deleted = 0, live = 0;
    for (const auto& a : misp->at("Event").as_object().at("Attribute").as_array()) {
        if (a.at("deleted").as_bool()) {
            ++deleted;
            EXPECT_EQ(a.at("uuid").as_string(), ip_uuid);
            EXPECT_EQ(a.at("value").as_string(), "45.33.32.156");
        } else {
            ++live;
        }
    }
    EXPECT_EQ(deleted, 1);
    EXPECT_EQ(live, 1);
    std::ostringstream feed;
    ASSERT_TRUE(WriteMispFeedEvent(*store_, *after, V(2), feed));
    EXPECT_NE(feed.str().find("\"deleted\":true"), std::string::npos);
}

TEST_P(IntelStoreTest, RemoveIndicatorHeldInItsRow) {
    ImportOptions opts;
    opts.organisation_id = 2;
    opts.audience = Audience::kPartners;
    const std::string id = "indicator--c1b2c3d4-0000-4000-8000-0000000000aa";
    std::istringstream in(R"({"type":"bundle","id":"bundle--6f2cf09c-7f0d-4a4e-8b3b-8d4f1e6f2faa","objects":[)"
                          R"({"type":"indicator","spec_version":"2.1","id":")" + id +
                          R"(","created":"2026-03-01T00:00:00.000Z","modified":"2026-03-01T00:00:00.000Z",)"
                          R"("pattern":"[domain-name:value = 'inrow.remove.example']","pattern_type":"stix",)"
                          R"("valid_from":"2026-03-01T00:00:00Z"}]})");
    auto r = store_->ImportStix(in, opts, actor_);
    ASSERT_TRUE(r) << r.error().message;
    IndicatorFilter f;
    f.event = r->event_id;
    auto inds = store_->ListIndicators(f, V(2));
    ASSERT_TRUE(inds);
    ASSERT_EQ(inds->items.size(), 1u);
    ASSERT_TRUE(store_->RemoveIndicator(inds->items[0].uuid, std::nullopt, V(2), actor_));
    ObjectQuery q;
    q.audience = Audience::kPartners;
    q.ids = {id};
    q.version_mode = "all";
    bool more = false;
    auto objects = store_->QueryObjects(q, V(2), &more);
    ASSERT_TRUE(objects);
    ASSERT_EQ(objects->size(), 2u);  // the imported version (moved out of the row) and the revoked one
    EXPECT_EQ(objects->at(1).content.find("\"revoked\":true") != std::string::npos ||
                  objects->at(0).content.find("\"revoked\":true") != std::string::npos,
              true);
    EXPECT_EQ(store_->Get(r->event_id, V(2))->indicator_count, 0);
}

TEST_P(IntelStoreTest, MispDeletedAttributesAndSeenTimes) {
    auto event = [](int stamp, bool deleted) {
        json::array attrs{
            json::object{{"uuid", "6b7f0000-0000-4000-8000-000000000001"}, {"type", "ip-dst"}, {"category", "Network activity"},
                         {"value", "198.51.100.7"}, {"to_ids", true},
                         {"first_seen", "2024-05-01T10:00:00.123456+00:00"},
                         {"last_seen", "2024-06-01T00:00:00.000000+00:00"}},
            json::object{{"uuid", "6b7f0000-0000-4000-8000-000000000002"}, {"type", "domain"}, {"category", "Network activity"},
                         {"value", "gone.example"}, {"to_ids", true}, {"deleted", deleted}},
            json::object{{"uuid", "6b7f0000-0000-4000-8000-000000000003"}, {"type", "md5"}, {"category", "Payload delivery"},
                         {"value", "0997ba7292ddbac1c7e7ade6766ed53c"}, {"to_ids", true}, {"first_seen", "yesterday"}},
            json::object{{"type", "ip-src"}, {"category", "Network activity"}, {"value", "203.0.113.9"}, {"to_ids", true},
                         {"deleted", deleted}}};
        return core::ToJson(json::object{{"Event", json::object{{"uuid", "6b7f0000-0000-4000-8000-0000000000ee"},
                                                                {"info", "seen and deleted"},
                                                                {"timestamp", std::to_string(stamp)},
                                                                {"Attribute", std::move(attrs)}}}});
    };
    MispImportOptions opts;
    opts.organisation_id = 4;
    auto r1 = ImportMisp(*store_, event(1700000000, false), opts, actor_);
    ASSERT_TRUE(r1) << r1.error().message;
    EXPECT_EQ(r1->indicators, 3u);
    ASSERT_EQ(r1->problems.size(), 1u);  // the bad first_seen, named; the others imported
    EXPECT_EQ(r1->problems[0].object_id, "6b7f0000-0000-4000-8000-000000000003");
    EXPECT_NE(r1->problems[0].reason.find("first_seen"), std::string::npos);
    IndicatorFilter f;
    f.event = r1->event_id;
    f.value = "198.51.100.7";
    auto ip = store_->ListIndicators(f, V(4));
    ASSERT_TRUE(ip);
    ASSERT_EQ(ip->items.size(), 1u);
    EXPECT_EQ(ip->items[0].valid_from, *core::ParseRfc3339("2024-05-01T10:00:00.123456Z"));
    EXPECT_EQ(ip->items[0].valid_until, core::ParseRfc3339("2024-06-01T00:00:00Z"));
    auto attribute = [&](const std::string& value) {
        auto doc = ExportMisp(*store_, r1->event_id, V(4));
        EXPECT_TRUE(doc);
        if (doc)
            for (const auto& a : doc->at("Event").as_object().at("Attribute").as_array())
                if (a.at("value").as_string() == value) return a.as_object();
        return json::object{};
    };
    auto a = attribute("198.51.100.7");
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.at("first_seen").as_string(), "2024-05-01T10:00:00.123456+00:00");
    EXPECT_EQ(a.at("last_seen").as_string(), "2024-06-01T00:00:00.000000+00:00");

    // The source deletes two attributes (one by uuid, one without uuid: by value).
    auto r2 = ImportMisp(*store_, event(1700000060, true), opts, actor_);
    ASSERT_TRUE(r2) << r2.error().message;
    EXPECT_TRUE(r2->reimport);
    EXPECT_EQ(r2->removed, 2u);
    EXPECT_EQ(r2->indicators, 1u);
    EXPECT_EQ(ToJson(*r2).at("removed").to_number<std::int64_t>(), 2);
    auto gone = attribute("gone.example");
    ASSERT_FALSE(gone.empty());
    EXPECT_TRUE(gone.at("deleted").as_bool());
    EXPECT_EQ(gone.at("uuid").as_string(), "6b7f0000-0000-4000-8000-000000000002");
    EXPECT_TRUE(attribute("203.0.113.9").at("deleted").as_bool());
    EXPECT_FALSE(attribute("198.51.100.7").at("deleted").as_bool());
    // Importing the same deletions again changes nothing.
    auto r3 = ImportMisp(*store_, event(1700000120, true), opts, actor_);
    ASSERT_TRUE(r3) << r3.error().message;
    EXPECT_EQ(r3->removed, 0u);
    EXPECT_EQ(r3->indicators, 1u);
}

// The fast path of a simple indicator (its text scanned, no JSON DOM) stores exactly what the full
// parse stores: the reference bundles (tests/data/stix), objects in every shape around the fast path's limits
// (escapes, non-ASCII, white space, key order, markings, repeated keys, bad values), several
// batches of generated ones and broken objects are imported by org 2 with the fast path and by
// org 4 without; the reports, every stored row, the exported bundles and the TAXII objects match.
TEST_P(IntelStoreTest, FastPathStoresWhatTheFullParseStores) {
    std::vector<std::pair<std::string, std::string>> bundles;  // (name, text)
    // The reference bundles (copied from the standards' samples).
    for (const auto& f : std::filesystem::directory_iterator(Source() + "/tests/data/stix"))
        if (f.path().extension() == ".json") bundles.emplace_back(f.path().filename().string(), ReadFile(f.path().string()));
    std::sort(bundles.begin(), bundles.end());
    int serial = 0;
    auto ind = [&](const std::string& members) {
        char id[64];
        std::snprintf(id, sizeof id, "indicator--f1b2c3d4-0000-4000-8000-%012d", ++serial);
        return R"({"type":"indicator","id":")" + std::string(id) + "\"," + members + "}";
    };
    const std::string base =
        R"("spec_version":"2.1","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z",)";
    auto p = [](const std::string& pattern) { return R"("pattern":")" + pattern + "\""; };
    std::vector<std::string> objects = {
        ind(base + p("[ipv4-addr:value = '45.33.60.1']")),
        ind(base + R"("name":"plain name",)" + p("[domain-name:value = 'Upper.Example.COM']")),
        ind(base + R"("name":"a \"quoted\" name",)" + p("[ipv4-addr:value = '45.33.60.2']")),
        ind(base + R"("name":"escaped \u0041 \/ \\ \n",)" + p("[ipv4-addr:value = '45.33.60.3']")),
        ind(base + R"("description":"non-ASCII: çğış é 漢字 😀",)" + p("[url:value = 'http://Example.com:80/a b']")),
        ind(base + "\"name\":\"bad utf-8 \xC3\x28\"," + p("[ipv4-addr:value = '45.33.60.4']")),
        ind(base + "\"name\":\"overlong \xC0\xAF\"," + p("[ipv4-addr:value = '45.33.60.5']")),
        ind(base + "\"name\":\"raw\ttab\"," + p("[ipv4-addr:value = '45.33.60.6']")),
        ind(base + R"("name":"",)" + p("[ipv4-addr:value = '45.33.60.7']")),
        ind(base + R"("name":"n","description":"d",)" + p("[email-addr:value = 'Someone@Example.org']")),
        ind(base + R"("valid_until":"2027-01-01T00:00:00Z",)" + p("[file:hashes.'SHA-256' = 'AB" + std::string(62, 'c') + "']")),
        ind(base + R"("valid_until":"2025-01-01T00:00:00Z",)" + p("[file:hashes.MD5 = '" + std::string(32, 'd') + "']")),
        ind(base + R"("valid_until":"not a time",)" + p("[file:hashes.'SHA-1' = '" + std::string(40, 'e') + "']")),
        ind(base + p("[autonomous-system:number = 64500]")),
        ind(base + p("[ipv4-addr:value = '45.33.61.0/24']")),
        ind(base + p("[ipv4-addr:value = '45.33.61.9/32']")),
        ind(base + p("[ipv6-addr:value = '2001:DB8::1']")),
        ind(base + p("[x509-certificate:hashes.'SHA-256' = '" + std::string(64, 'f') + "']")),
        ind(base + p("[url:value = 'http://evil.example/it\\\\'s']")),
        ind(base + p("[ipv4-addr:value = '45.33.60.1'] OR [ipv4-addr:value = '45.33.60.9']")),
        ind(base + p("[ipv4-addr:value = '300.1.1.1']")),
        ind(base + p("[ipv4-addr:value = '45.33.60.1']")),  // a duplicate value
        ind(base + p("not a pattern")),
        ind(base + R"("object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],)" +
            p("[ipv4-addr:value = '45.33.60.10']")),
        ind(base + R"("object_marking_refs":["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"],)" +
            p("[ipv4-addr:value = '45.33.60.11']")),
        ind(base + R"("object_marking_refs":["marking-definition--00000000-1111-4a2b-9c3d-000000000009"],)" +
            p("[ipv4-addr:value = '45.33.60.12']")),
        ind(base + R"("object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"],)" +
            p("[ipv4-addr:value = '45.33.60.13']")),
        ind(base + R"("object_marking_refs":[],)" + p("[ipv4-addr:value = '45.33.60.14']")),
        ind(base + R"("object_marking_refs":["x"],)" + p("[ipv4-addr:value = '45.33.60.15']")),
        ind(base + R"("labels":["malicious-activity"],)" + p("[ipv4-addr:value = '45.33.60.16']")),
        ind(base + R"("confidence":80,)" + p("[ipv4-addr:value = '45.33.60.17']")),
        ind(base + R"("name":null,)" + p("[ipv4-addr:value = '45.33.60.18']")),
        ind(base + R"("name":"first","name":"second",)" + p("[ipv4-addr:value = '45.33.60.19']")),
        ind(base + R"("extensions":{"x":{"y":1}},)" + p("[ipv4-addr:value = '45.33.60.20']")),
        ind(R"("spec_version":"2.0","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","valid_from":"2026-01-01T00:00:00Z",)" +
            p("[ipv4-addr:value = '45.33.60.21']")),
        ind(R"("spec_version":"2.2","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","valid_from":"2026-01-01T00:00:00Z",)" +
            p("[ipv4-addr:value = '45.33.60.22']")),
        ind(R"("created":"2026-01-01T00:00:00.000Z","valid_from":"2026-01-01T00:00:00Z",)" + p("[ipv4-addr:value = '45.33.60.23']")),
        ind(R"("created":"2026-01-01T00:00:00.000Z","modified":"2026-02-01T00:00:00Z","valid_from":"2026-01-01T00:00:00.5Z",)" +
            p("[ipv4-addr:value = '45.33.60.24']")),
        ind(R"("created":"2026-01-01T00:00:00.000Z","modified":"yesterday","valid_from":"2026-01-01T00:00:00Z",)" +
            p("[ipv4-addr:value = '45.33.60.25']")),
        ind(R"("created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","valid_from":"soon",)" +
            p("[ipv4-addr:value = '45.33.60.26']")),
        ind(R"("created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",)" + p("[ipv4-addr:value = '45.33.60.27']")),
        ind(R"("created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern_type":"snort","valid_from":"2026-01-01T00:00:00Z",)" +
            p("alert tcp any any")),
        ind(base + R"("pattern":"")"),
        // White space and key order.
        "  {\n \"pattern\" : \"[ipv4-addr:value = '45.33.60.28']\" ,\t\"valid_from\":\"2026-01-01T00:00:00Z\",\r\n"
        "\"modified\": \"2026-01-01T00:00:00.000Z\", \"created\":\"2025-01-01T00:00:00.000Z\", \"id\" : "
        "\"indicator--f1b2c3d4-0000-4000-8000-100000000001\", \"type\":\"indicator\", \"object_marking_refs\" : [ "
        "\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\" ] }  ",
        R"({"type":"indicator","id":"indicator--not-a-uuid","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.33.60.29']","valid_from":"2026-01-01T00:00:00Z"})",
        R"({"type":"indicator","id":"malware--f1b2c3d4-0000-4000-8000-100000000002","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.33.60.30']","valid_from":"2026-01-01T00:00:00Z"})",
        R"({"type":"malware","id":"malware--f1b2c3d4-0000-4000-8000-100000000003","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"m","is_family":false})",
        R"({"type":"indicator","id":"indicator--f1b2c3d4-0000-4000-8000-100000000004","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.33.60.31']","valid_from":"2026-01-01T00:00:00Z",})",
        R"({"type":"indicator","id":"indicator--f1b2c3d4-0000-4000-8000-100000000005" "oops":1})",
        R"({})",
        R"({"type":"indicator"})",
        R"([1,2])",
        // A second version of an earlier id (both move to intel_objects).
        R"({"type":"indicator","spec_version":"2.1","id":"indicator--f1b2c3d4-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-03-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.33.60.32']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"})",
        R"({"type":"sighting","spec_version":"2.1","id":"sighting--f1b2c3d4-0000-4000-8000-100000000006","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","sighting_of_ref":"indicator--f1b2c3d4-0000-4000-8000-000000000002","count":3})",
    };
    std::string varied = R"({"type":"bundle","id":"bundle--f1b2c3d4-0000-4000-8000-000000000000","objects":[)";
    for (std::size_t k = 0; k < objects.size(); ++k) varied += (k ? ",\n" : "") + objects[k];
    bundles.emplace_back("varied", varied + "]}");
    // Several batches: names, descriptions, markings and validity varying; duplicate values.
    bundles.emplace_back(
        "batches", IndicatorBundle(
                       12000, 'c',
                       [](int k) {
                           switch (k % 4) {
                               case 0: return "[ipv4-addr:value = '10.77." + std::to_string(k / 256 % 256) + "." + std::to_string(k % 256) + "']";
                               case 1: return "[domain-name:value = 'Host-" + std::to_string(k % 5000) + ".Example.net']";
                               case 2: return "[url:value = 'https://evil.example/" + std::to_string(k) + "?q=1']";
                               default: {
                                   char sha[65];
                                   std::snprintf(sha, sizeof sha, "%064llX", static_cast<unsigned long long>(k) * 2654435761ull);
                                   return "[file:hashes.'SHA-256' = '" + std::string(sha) + "']";
                               }
                           }
                       },
                       [](int k) {
                           switch (k % 5) {
                               case 0: return "\"name\":\"n" + std::to_string(k) + "\",";
                               case 1: return "\"description\":\"d" + std::to_string(k) + "\",";
                               case 2: return std::string(R"("valid_until":"2027-01-01T00:00:00Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],)");
                               case 3: return std::string(R"("name":"ü \"x\"",)");
                               default: return std::string();
                           }
                       }));

    // Objects without a `modified` (observables) take the time of their import as version.
    const core::Micros start = core::NowMicros();
    auto imported_now = [&](std::string_view version_us) {
        return std::atoll(std::string(version_us).c_str()) >= start ? std::string("now") : std::string(version_us);
    };
    auto conn = db_->Acquire();
    ASSERT_TRUE(conn);
    auto rows = [&](const std::string& sql, std::int64_t org) {
        std::vector<std::string> out;
        auto r = (*conn)->Query(sql, {org});
        EXPECT_TRUE(r) << r.error().message;
        if (!r) return out;
        for (const auto& row : *r) {
            std::string line;
            for (std::size_t c = 0; c < row.cells.size(); ++c) {
                const std::string& column = r->columns[c];
                line += (row.IsNull(c)                              ? std::string("NULL")
                         : column == "version" && row.Int(c + 1) >= start ? std::string("now")
                         : column == "version_us" || column == "valid_from" ? imported_now(row.Str(c))
                                                                    : row.Str(c)) +
                        "|";
            }
            out.push_back(line);
        }
        return out;
    };
    auto report_text = [](const ImportReport& r) {
        auto j = ToJson(r);
        j.erase("event_id");
        return core::ToJson(j);
    };
    auto exported = [&](const std::string& event, std::int64_t org) {
        std::vector<std::string> out;
        auto b = store_->ExportStix(event, V(org));
        EXPECT_TRUE(b) << b.error().message;
        if (!b) return out;
        for (const auto& o : b->at("objects").as_array())
            if (o.at("type") != "report" && o.at("type") != "identity") out.push_back(core::ToJson(o));
        std::sort(out.begin(), out.end());
        return out;
    };
    auto served = [&](std::int64_t org) {
        std::vector<std::string> out;
        ObjectQuery q;
        q.audience = Audience::kOrganisation;
        q.version_mode = "all";
        for (;;) {
            bool more = false;
            auto page = store_->QueryObjects(q, V(org), &more);
            EXPECT_TRUE(page) << page.error().message;
            if (!page) break;
            for (const auto& o : *page)
                if (o.type != "report" && o.type != "identity")
                    out.push_back(o.stix_id + "|" + (o.version_us >= start ? std::string("now") : o.version) + "|" +
                                  imported_now(std::to_string(o.version_us)) + "|" + o.content);
            if (!more || page->empty()) break;
            q.after_row = page->back().date_added;
        }
        // (Sorted: the TLP marking objects are shared by the events of both organisations; the
        // order of each organisation's own objects is compared on the rows above.)
        std::sort(out.begin(), out.end());
        return out;
    };
    const std::string kIndicators =
        "SELECT i.stix_id, i.type, i.value, i.original, i.comment, i.detection, i.valid_from, i.valid_until, "
        "i.false_positive, i.warning, i.warning_override, i.object_version_us, i.object_version, i.object_content, "
        "i.object_added IS NULL FROM intel_indicators i JOIN intel_events e ON e.id = i.event_id WHERE "
        "e.organisation_id = ? ORDER BY i.id";
    const std::string kObjects =
        "SELECT o.stix_id, o.type, o.version, o.version_us, o.content, o.deleted FROM intel_objects o JOIN intel_events "
        "e ON e.id = o.event_id WHERE e.organisation_id = ? AND o.type NOT IN ('report', 'identity') ORDER BY "
        "o.date_added";
    const std::string kInRowOrder =
        "SELECT i.stix_id FROM intel_indicators i JOIN intel_events e ON e.id = i.event_id WHERE e.organisation_id = ? "
        "AND i.object_added IS NOT NULL ORDER BY i.object_added";
    const std::string kEvents =
        "SELECT title, description, tlp, tags, indicator_count, source_ref, audience FROM intel_events WHERE "
        "organisation_id = ? ORDER BY id";
    const std::string kSightings =
        "SELECT i.stix_id, s.count, s.first_seen, s.last_seen FROM intel_sightings s JOIN intel_indicators i ON i.id = "
        "s.indicator_id JOIN intel_events e ON e.id = i.event_id WHERE e.organisation_id = ? ORDER BY s.id";
    for (const auto& [name, text] : bundles) {
        SCOPED_TRACE(name);
        std::optional<ImportReport> report[2];
        for (int path = 0; path < 2; ++path) {
            std::istringstream in(text);
            ImportOptions opts;
            opts.organisation_id = path == 0 ? 2 : 4;
            opts.fast_path = path == 0;
            auto r = store_->ImportStix(in, opts, actor_);
            ASSERT_EQ(static_cast<bool>(r), true) << (r ? "" : r.error().message);
            report[path] = *r;
        }
        EXPECT_EQ(report_text(*report[0]), report_text(*report[1]));
        for (const auto* sql : {&kIndicators, &kObjects, &kInRowOrder, &kEvents, &kSightings}) {
            const auto fast = rows(*sql, 2), full = rows(*sql, 4);
            EXPECT_EQ(fast.size(), full.size()) << *sql;
            for (std::size_t k = 0; k < fast.size() && k < full.size(); ++k)
                if (fast[k] != full[k]) {
                    ADD_FAILURE() << *sql << "\nrow " << k << " fast: " << fast[k] << "\nrow " << k << " full: " << full[k];
                    break;
                }
        }
        EXPECT_EQ(exported(report[0]->event_id, 2), exported(report[1]->event_id, 4));
        EXPECT_EQ(served(2), served(4));
    }
    // The fast path was taken: most of the generated indicators hold their object in their row.
    EXPECT_GT(rows(kInRowOrder, 2).size(), 8000u);
}

INSTANTIATE_TEST_SUITE_P(Backends, IntelStoreTest, ::testing::ValuesIn(db::testing::BackendNames()));

}  // namespace
}  // namespace muhafiz::intel
