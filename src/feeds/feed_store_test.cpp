// FeedStore over SQLite and PostgreSQL with events in both layouts: feed_events rows written
// before migration 019 (data_format 0) and blocks (feed_event_blocks) written by the pipeline.
// Every reader must see both: lists with each filter and the access scope, their totals and
// cursors across the boundary, digests (EventsFor, pending recipients), dedup state after a
// restart, counts, and the query plans of the block queries.
#include <gtest/gtest.h>

#include <map>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/ids.hpp"
#include "core/net.hpp"
#include "db/testing.hpp"
#include "feeds/event_block.hpp"
#include "feeds/pipeline.hpp"

namespace muhafiz::feeds {
namespace {

constexpr std::int64_t kRoot = 1, kSector = 2, kBank = 3, kPartner = 4, kPower = 5;

struct Org {
    std::int64_t id;
    const char* uuid;
    const char* name;
    const char* kind;
    std::int64_t parent;
    const char* path;
    const char* country;
};
const Org kOrgs[] = {
    {kRoot, "00000000-0000-7000-8000-000000000101", "National CERT", "national_cert", 0, "/1/", "PK"},
    {kSector, "00000000-0000-7000-8000-000000000102", "Finance CERT", "sectoral_cert", kRoot, "/1/2/", "PK"},
    {kBank, "00000000-0000-7000-8000-000000000103", "Bank", "constituent", kSector, "/1/2/3/", "PK"},
    {kPartner, "00000000-0000-7000-8000-000000000104", "CERT-DE", "partner_cert", kRoot, "/1/4/", "DE"},
    {kPower, "00000000-0000-7000-8000-000000000105", "Power Co", "constituent", kRoot, "/1/5/", "PK"},
};
std::string PathOf(std::int64_t id) {
    for (const auto& o : kOrgs)
        if (o.id == id) return o.path;
    return "";
}

constexpr int kEvents = 1200;  // about 170 KB: three batches (chunks of 64 KB and more)

// The report: four kinds of address (owned by Bank, owned by Power Co, abroad with a partner,
// unknown), three classifications, one minute apart.
std::string Report() {
    static const char* kTypes[] = {"vulnerable-system", "infected-system", "scanner"};
    std::string out;
    for (int i = 0; i < kEvents; ++i) {
        std::string ip, cc;
        switch (i % 4) {
            case 0: ip = "192.0.2." + std::to_string(i % 120 + 1); break;
            case 1: ip = "198.51.100." + std::to_string(i % 120 + 1); break;
            case 2: ip = "203.0.113." + std::to_string(i % 200 + 1); cc = "DE"; break;
            default: ip = "100.64." + std::to_string(i / 250) + "." + std::to_string(i % 250); break;
        }
        out += R"({"classification.type":")" + std::string(kTypes[i % 3]) + R"(","source.ip":")" + ip + "\"";
        if (!cc.empty()) out += R"(,"source.geolocation.cc":")" + cc + "\"";
        out += R"(,"time.source":")" + FormatEventTime(1767225600000000LL + i * 60000000LL) + "\"}\n";
    }
    return out;
}

class FeedStoreTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        ASSERT_NE(db_, nullptr);
        auto conn = *db_->Acquire();
        for (const auto& o : kOrgs) {
            auto r = conn->Execute(
                "INSERT INTO organisations (id, uuid, name, kind, parent_id, path, depth, country, contacts, "
                "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,'{}',0,0)",
                {o.id, std::string(o.uuid), std::string(o.name), std::string(o.kind),
                 o.parent ? db::Value(o.parent) : db::Value(nullptr), std::string(o.path),
                 std::int64_t(std::count(o.path, o.path + std::strlen(o.path), '/') - 2), std::string(o.country)});
            ASSERT_TRUE(r) << r.error().message;
        }
        store_ = std::make_unique<FeedStore>(*db_);
    }

    // Rows as migration 011/013 wrote them (before blocks): default ids, JSON data.
    void OldRows() {
        auto conn = *db_->Acquire();
        struct R {
            std::int64_t owner, recipient;
            const char* route;
            const char* path;
            const char* type;
            const char* tax;
            const char* ip;
        };
        const R rows[] = {
            {kBank, kSector, "owner", "/1/2/3/", "scanner", "information-gathering", "192.0.2.200"},
            {0, kRoot, "unrouted", "/1/", "scanner", "information-gathering", "100.64.9.9"},
            {kPower, kRoot, "owner", "/1/5/", "infected-system", "malicious-code", "198.51.100.200"},
            {0, kPartner, "partner", "/1/4/", "vulnerable-system", "vulnerable", "203.0.113.250"},
            {kBank, kSector, "owner", "/1/2/3/", "vulnerable-system", "vulnerable", "192.0.2.201"},
        };
        std::int64_t i = 0;
        for (const auto& r : rows) {
            ++i;
            const std::string json = std::string(R"({"classification.taxonomy":")") + r.tax +
                                     R"(","classification.type":")" + r.type + R"(","source.ip":")" + r.ip + "\"}";
            auto ok = conn->Execute(
                "INSERT INTO feed_events (uuid, feed, run_id, line, time_source, observed_at, taxonomy, type, source_ip, "
                "organisation_id, recipient_id, route, scope_path, dedup_hash, first_seen, last_seen, data) "
                "VALUES (?, 'mix', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {core::NewUuidV7(), i, 1767225600000000LL - i * 1000000, core::NowMicros(), std::string(r.tax),
                 std::string(r.type), std::string(r.ip), r.owner ? db::Value(r.owner) : db::Value(nullptr),
                 r.recipient, std::string(r.route), std::string(r.path), std::int64_t{1000 + i},
                 std::int64_t{1}, std::int64_t{1}, json});
            ASSERT_TRUE(ok) << ok.error().message;
        }
        // Migration 019 starts its ids above them (as it does on an existing database).
        ASSERT_TRUE(conn->Execute("UPDATE feed_event_ids SET next_id = (SELECT MAX(id) + 1 FROM feed_events)"));
    }

    std::unique_ptr<Pipeline> NewPipeline() {
        FeedsConfig config;
        FeedConfig f = DefaultFeed("mix", "jsonl");
        config.feeds.push_back(f);
        PipelineOptions opts;
        opts.home_country = "PK";
        constituency::OwnerEntries e;
        if (shop_) {  // another constituent of the sector CERT owns half of the bank's addresses
            e.prefixes.emplace_back(*core::ParsePrefix("192.0.2.0/26"), kBank);
            e.prefixes.emplace_back(*core::ParsePrefix("192.0.2.64/26"), shop_);
        } else {
            e.prefixes.emplace_back(*core::ParsePrefix("192.0.2.0/25"), kBank);
        }
        e.prefixes.emplace_back(*core::ParsePrefix("198.51.100.0/25"), kPower);
        auto owners = constituency::OwnerIndex::Build(std::move(e));
        return std::make_unique<Pipeline>(*store_, std::move(config), [owners] { return owners; }, nullptr, opts);
    }

    core::Result<IngestSummary> Ingest(bool force = false) {
        // From a file: read in chunks of about chunk_bytes (each a batch).
        const auto path = std::filesystem::temp_directory_path() / ("feeds-store-test-" + core::RandomToken(6) + ".jsonl");
        {
            std::ofstream out(path, std::ios::binary);
            out << Report();
        }
        IngestRequest req;
        req.feed = "mix";
        req.path = path.string();
        req.file_name = "mix.jsonl";
        req.chunk_bytes = 4096;  // many batches,
        req.unit_events = 300;   // stored in several units: several blocks per recipient
        req.force = force;
        auto s = NewPipeline()->Ingest(req);
        std::filesystem::remove(path);
        return s;
    }

    std::int64_t shop_ = 0;

    // Every event, newest first, through pages of `limit`; checks cursors and totals on the way.
    std::vector<StoredEvent> All(EventFilter f, const access::PathScope& scope = {}, int limit = 7) {
        f.limit = limit;
        std::vector<StoredEvent> out;
        std::optional<std::int64_t> total;
        for (int guard = 0; guard < 1000; ++guard) {
            auto page = store_->ListEvents(f, scope);
            EXPECT_TRUE(page) << page.error().message;
            if (!page) break;
            if (total) {
                EXPECT_EQ(page->total, *total);
            }
            total = page->total;
            for (auto& e : page->items) out.push_back(std::move(e));
            if (!page->next) break;
            f.cursor = *page->next;
        }
        for (std::size_t i = 1; i < out.size(); ++i) EXPECT_GT(out[i - 1].id, out[i].id);
        if (total) {
            EXPECT_EQ(static_cast<std::int64_t>(out.size()), *total);
        }
        return out;
    }

    std::unique_ptr<db::Database> db_;
    std::unique_ptr<FeedStore> store_;
};

std::string ScopeOf(const StoredEvent& e) {
    return e.organisation_id ? PathOf(e.organisation_id) : PathOf(e.recipient_id);
}

std::vector<std::int64_t> Ids(const std::vector<StoredEvent>& v) {
    std::vector<std::int64_t> out;
    for (const auto& e : v) out.push_back(e.id);
    return out;
}

TEST_P(FeedStoreTest, ReadersSeeOldRowsAndBlocks) {
    OldRows();
    auto s = Ingest();
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(s->run.events, kEvents);
    auto conn = *db_->Acquire();
    const auto blocks = (*conn->Query("SELECT COUNT(*), SUM(n), MIN(id) FROM feed_event_blocks"))[0];
    EXPECT_GT(blocks.Int(0), 4);  // several batches, four recipients
    EXPECT_EQ(blocks.Int(1), kEvents);
    EXPECT_EQ(blocks.Int(2), 6);  // after the old rows' ids
    EXPECT_EQ(*store_->CountEvents("mix"), kEvents + 5);
    EXPECT_EQ(*store_->CountEvents(""), kEvents + 5);

    // Everything, across the boundary between blocks and rows, in pages of 7.
    const auto all = All(EventFilter{});
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kEvents + 5));
    std::set<std::string> uuids;
    for (const auto& e : all) {
        uuids.insert(e.uuid);
        EXPECT_EQ(e.feed, "mix");
        EXPECT_FALSE(e.data.empty());
        auto ev = Event::FromJsonText(e.data);
        ASSERT_TRUE(ev) << e.data;
        EXPECT_EQ(ev->GetOr("source.ip"), e.source_ip);
        EXPECT_EQ(ev->GetOr("classification.type"), e.type);
        // source.ip and source.asn are put back too (blocks keep them once, in the event's header).
        if (e.source_asn) {
            EXPECT_EQ(ev->GetOr("source.asn"), std::to_string(*e.source_asn)) << e.data;
        }
        // time.source and time.observation are put back (blocks do not repeat them per event).
        if (e.run_id != 0) {  // (the old rows above have neither)
            EXPECT_EQ(ev->GetOr("time.source"), FormatEventTime(e.time_source)) << e.data;
            EXPECT_FALSE(ev->GetOr("time.observation").empty()) << e.data;
        }
        if (e.organisation_id == kBank) {
            EXPECT_EQ(e.organisation_name, "Bank");
        }
        EXPECT_FALSE(e.recipient_uuid.empty());
    }
    EXPECT_EQ(uuids.size(), all.size());
    // The same uuid on every read (derived, not stored).
    EXPECT_EQ(All(EventFilter{}, {}, 50)[0].uuid, all[0].uuid);

    // Each filter (and the access scope) against the same filter applied to everything.
    auto check = [&](EventFilter f, const std::function<bool(const StoredEvent&)>& want, const access::PathScope& scope = {}) {
        std::vector<std::int64_t> expected;
        for (const auto& e : all)
            if (want(e)) expected.push_back(e.id);
        EXPECT_FALSE(expected.empty());
        EXPECT_EQ(Ids(All(f, scope, 5)), expected);
        EXPECT_EQ(Ids(All(f, scope, 500)), expected);
    };
    EventFilter f;
    f.organisation = kOrgs[kSector - 1].uuid;
    check(f, [](const StoredEvent& e) { return ScopeOf(e).starts_with("/1/2/"); });
    f = {};
    f.organisation = kOrgs[kBank - 1].uuid;
    check(f, [](const StoredEvent& e) { return ScopeOf(e) == "/1/2/3/"; });
    f = {};
    f.recipient = kOrgs[kRoot - 1].uuid;
    check(f, [](const StoredEvent& e) { return e.recipient_id == kRoot; });
    f = {};
    f.classification = "scanner";
    check(f, [](const StoredEvent& e) { return e.type == "scanner"; });
    f.classification = "malicious-code";
    check(f, [](const StoredEvent& e) { return e.taxonomy == "malicious-code"; });
    f = {};
    f.route = "partner";
    check(f, [](const StoredEvent& e) { return e.route == "partner"; });
    f = {};
    f.ip = "192.0.2.5";
    check(f, [](const StoredEvent& e) { return e.source_ip == "192.0.2.5"; });
    f.ip = "192.0.2.200";  // an old row
    check(f, [](const StoredEvent& e) { return e.source_ip == "192.0.2.200"; });
    // By address only the blocks whose address filter (migration 021) may hold it are decoded;
    // blocks without a filter (written before) are decoded, with the same events found.
    {
        std::set<std::int64_t> holding;  // the blocks of the events with the address
        const auto heads = *conn->Query("SELECT id, n FROM feed_event_blocks");
        for (const auto& e : all)
            if (e.source_ip == "192.0.2.5")
                for (const auto& h : heads)
                    if (e.id >= h.Int(0) && e.id < h.Int(0) + h.Int(1)) holding.insert(h.Int(0));
        ASSERT_FALSE(holding.empty());
        ASSERT_LT(holding.size() * 2, heads.size());
        f = {};
        f.ip = "192.0.2.5";
        std::int64_t at = store_->blocks_decoded();
        const auto found = Ids(All(f, {}, 500));
        const std::int64_t filtered = store_->blocks_decoded() - at;
        // (Each block read twice: for the total, then for the page.)
        EXPECT_GE(filtered, 2 * static_cast<std::int64_t>(holding.size()));
        EXPECT_LT(filtered, static_cast<std::int64_t>(heads.size()));
        f.ip = "198.51.100.254";  // no event has it
        at = store_->blocks_decoded();
        EXPECT_TRUE(All(f, {}, 500).empty());
        EXPECT_LT(store_->blocks_decoded() - at, static_cast<std::int64_t>(heads.size()) / 2);
        ASSERT_TRUE(conn->Execute("UPDATE feed_event_blocks SET ip_filter = ''"));
        f.ip = "192.0.2.5";
        at = store_->blocks_decoded();
        EXPECT_EQ(Ids(All(f, {}, 500)), found);
        EXPECT_GE(store_->blocks_decoded() - at, static_cast<std::int64_t>(heads.size()));
    }
    f = {};
    f.since = 1767225600000000LL + 100 * 60000000LL;
    f.until = 1767225600000000LL + 200 * 60000000LL;
    check(f, [&](const StoredEvent& e) { return e.time_source >= *f.since && e.time_source < *f.until; });
    f = {};
    f.feed = "mix";
    f.classification = "vulnerable";
    f.organisation = kOrgs[kSector - 1].uuid;
    check(f, [](const StoredEvent& e) { return e.taxonomy == "vulnerable" && ScopeOf(e).starts_with("/1/2/"); });
    // The access scope of a user of the Bank, and of a Council member (sees no records).
    access::Principal bank_user;
    bank_user.organisation_path = "/1/2/3/";
    access::Principal council;
    council.role = access::Role::kCouncil;
    const access::Policy policy;
    check(EventFilter{}, [](const StoredEvent& e) { return ScopeOf(e) == "/1/2/3/"; }, policy.OrganisationPaths(bank_user));
    EXPECT_TRUE(All(EventFilter{}, policy.OrganisationPaths(council)).empty());
    f = {};
    f.feed = "other";
    EXPECT_TRUE(All(f).empty());

    // Digests: an organisation's notifiable events after a watermark, oldest first, as recipient
    // and as owner, in small steps across the boundary.
    for (const std::int64_t org : {kBank, kSector, kRoot, kPartner, kPower}) {
        std::vector<std::int64_t> expected;
        for (const auto& e : all)
            if (e.notify && (e.recipient_id == org || e.organisation_id == org)) expected.push_back(e.id);
        std::sort(expected.begin(), expected.end());
        ASSERT_FALSE(expected.empty()) << org;
        auto whole = store_->EventsFor(*conn, org, 0, 100000);
        ASSERT_TRUE(whole) << whole.error().message;
        EXPECT_EQ(Ids(*whole), expected) << org;
        std::vector<std::int64_t> stepped;
        std::int64_t after = 0;
        for (int guard = 0; guard < 1000; ++guard) {
            auto step = store_->EventsFor(*conn, org, after, 3);
            ASSERT_TRUE(step);
            if (step->empty()) break;
            for (const auto& e : *step) stepped.push_back(e.id);
            after = step->back().id;
        }
        EXPECT_EQ(stepped, expected) << org;
        auto from_middle = store_->EventsFor(*conn, org, expected[expected.size() / 2], 100000);
        ASSERT_TRUE(from_middle);
        EXPECT_EQ(from_middle->size(), expected.size() - expected.size() / 2 - 1);
    }
    auto pending = store_->PendingRecipients(*conn, core::NowMicros());
    ASSERT_TRUE(pending);
    for (const std::int64_t org : {kBank, kSector, kRoot, kPartner, kPower})
        EXPECT_NE(std::find(pending->begin(), pending->end(), org), pending->end()) << org;
    EXPECT_EQ((*conn->Query("SELECT last_event_id FROM feed_digest_scan"))[0].Int(0), kEvents + 5);

    // Per-recipient counts of the run, and counted again from storage (a resumed run's way).
    std::map<std::int64_t, std::int64_t> counted;
    for (const auto& [org, n] : s->per_recipient) counted[org] = n;
    RunRecord run = s->run;
    ASSERT_TRUE(store_->FinishRun(*conn, run, "done", "", core::NowMicros()));
    std::map<std::int64_t, std::int64_t> recounted;
    auto stored_counts = store_->RunCounts(*conn, run.id);
    ASSERT_TRUE(stored_counts);
    for (const auto& [org, n] : *stored_counts) recounted[org] = n;
    EXPECT_EQ(recounted, counted);
    std::int64_t owned = 0;
    for (const auto& e : all) owned += e.run_id == run.id && e.organisation_id == kBank;
    EXPECT_EQ(counted[kBank], owned);

    // The dedup state after a restart holds old rows and blocks: a forced re-ingest stores nothing.
    auto dedup = store_->LoadDedup(*conn, "mix", 0);
    ASSERT_TRUE(dedup);
    EXPECT_EQ(dedup->size(), static_cast<std::size_t>(kEvents + 5));
    auto again = Ingest(true);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->run.events, 0);
    EXPECT_EQ(again->run.duplicates, kEvents);
    EXPECT_EQ(*store_->CountEvents("mix"), kEvents + 5);
}

// Rows written after blocks (aggregated feeds keep rows) take their ids from the same allocator,
// so ids stay unique and ordered across both tables.
TEST_P(FeedStoreTest, RowsAndBlocksShareOneIdSequence) {
    ASSERT_TRUE(Ingest());
    auto conn = *db_->Acquire();
    FeedsConfig config;
    FeedConfig agg = DefaultFeed("agg", "jsonl");
    agg.aggregate = true;
    agg.aggregate_fields = {"source.ip"};
    config.feeds.push_back(agg);
    PipelineOptions opts;
    opts.home_country = "PK";
    Pipeline p(*store_, config, nullptr, nullptr, opts);
    IngestRequest req;
    req.feed = "agg";
    req.data = R"({"classification.type":"scanner","source.ip":"100.64.50.1","time.source":"2026-01-02T00:00:00+00:00"})"
               "\n"
               R"({"classification.type":"scanner","source.ip":"100.64.50.2","time.source":"2026-01-02T00:00:00+00:00"})"
               "\n";
    auto s = p.Ingest(req);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->run.events, 2);
    const auto rows = *conn->Query("SELECT MIN(id), MAX(id) FROM feed_events");
    EXPECT_EQ(rows[0].Int(0), kEvents + 1);
    EXPECT_EQ(rows[0].Int(1), kEvents + 2);
    ASSERT_TRUE(Ingest(true));  // the same report again: all duplicates, no block
    const auto all = All(EventFilter{}, {}, 50);
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kEvents + 2));
    EXPECT_EQ(all[0].feed, "agg");
    const auto list = Ids(all);
    std::set<std::int64_t> ids(list.begin(), list.end());
    EXPECT_EQ(ids.size(), all.size());
}

// The block queries use the primary key and the indexes of migration 019 on both backends.
TEST_P(FeedStoreTest, BlockQueriesUseTheirIndexes) {
    ASSERT_TRUE(Ingest());
    auto conn = *db_->Acquire();
    const std::vector<std::pair<std::string, std::string>> queries = {
        // EventsFor: an organisation's blocks after a watermark (recipient, owner).
        {"SELECT id FROM feed_event_blocks WHERE recipient_id = 2 AND id > 5", "feed_event_blocks_recipient"},
        {"SELECT block_id FROM feed_event_block_owners WHERE organisation_id = 3 AND block_id > 5", ""},
        // Lists newest first, pending scan, run counts: the primary key's id range.
        {"SELECT id FROM feed_event_blocks b WHERE b.id < 100 ORDER BY b.id DESC LIMIT 8", ""},
        {"SELECT recipient_id FROM feed_event_blocks WHERE id > 5 AND id <= 100 AND notify = 1", ""},
        // Dedup state and counts per feed.
        {"SELECT dedup, observed_at FROM feed_event_blocks WHERE feed = 'mix' AND observed_at >= 0",
         "feed_event_blocks_feed"},
    };
    if (db_->dialect() == db::Dialect::kPostgres) {
        ASSERT_TRUE(conn->ExecuteScript("SET enable_seqscan = off"));
    }
    for (const auto& [sql, index] : queries) {
        std::string text;
        if (db_->dialect() == db::Dialect::kSqlite) {
            auto plan = conn->Query("EXPLAIN QUERY PLAN " + sql);
            ASSERT_TRUE(plan) << plan.error().message;
            for (const auto& r : *plan) text += r.Str(r.cells.size() - 1) + "\n";
            EXPECT_EQ(text.find("SCAN"), std::string::npos) << sql << "\n" << text;
        } else {
            auto plan = conn->Query("EXPLAIN " + sql);
            ASSERT_TRUE(plan) << plan.error().message;
            for (const auto& r : *plan) text += r.Str(0) + "\n";
            EXPECT_EQ(text.find("Seq Scan"), std::string::npos) << sql << "\n" << text;
        }
        if (!index.empty()) {
            EXPECT_NE(text.find(index), std::string::npos) << sql << "\n" << text;
        }
    }
    if (db_->dialect() == db::Dialect::kPostgres) {
        ASSERT_TRUE(conn->ExecuteScript("SET enable_seqscan = on"));
    }
}

// Migration 020: a block's events are ordered by owner, and each owner's entry says where its
// events are; an owner's digest reads only those, and finds the same events as a full read.
TEST_P(FeedStoreTest, AnOwnersDigestReadsItsSliceOfTheBlocks) {
    auto conn = *db_->Acquire();
    shop_ = 6;
    ASSERT_TRUE(conn->Execute(
        "INSERT INTO organisations (id, uuid, name, kind, parent_id, path, depth, country, contacts, created_at, "
        "updated_at) VALUES (6, '00000000-0000-7000-8000-000000000106', 'Shop', 'constituent', ?, '/1/2/6/', 2, 'PK', "
        "'{}', 0, 0)",
        {kSector}));
    auto s = Ingest();
    ASSERT_TRUE(s) << s.error().message;
    const auto entries = *conn->Query(
        "SELECT o.organisation_id, o.first_event, o.data_at, o.events, b.n, b.data FROM feed_event_block_owners o "
        "JOIN feed_event_blocks b ON b.id = o.block_id");
    ASSERT_FALSE(entries.empty());
    int at_offset = 0;
    for (const auto& r : entries) {
        const std::int64_t owner = r.Int(0), first = r.Int(1), at = r.Int(2), n = r.Int(3);
        // SQLite stores the text packed, PostgreSQL as it is.
        const std::string stored = r.Str(5);
        ASSERT_FALSE(stored.empty());
        EXPECT_EQ(stored.front() == '\x01', GetParam() == "sqlite");
        const std::string data = *UnpackBlockText(stored);
        ASSERT_GE(at, 0);
        ASSERT_GT(n, 0);
        ASSERT_LE(first + n, r.Int(4));
        if (at > 0) ++at_offset;
        // Read in full: the events first .. first + n - 1 are the owner's, and no others.
        BlockReader full(data);
        BlockEvent be;
        std::int64_t i = 0;
        while (*full.Next(be)) {
            EXPECT_EQ(be.organisation_id == owner, i >= first && i < first + n) << i;
            ++i;
        }
        // Read from data_at: the same events.
        BlockReader part(std::string_view(data).substr(static_cast<std::size_t>(at)));
        for (std::int64_t k = 0; k < n; ++k) {
            ASSERT_TRUE(*part.Next(be));
            EXPECT_EQ(be.organisation_id, owner);
        }
    }
    EXPECT_GT(at_offset, 0);  // (the shop's events follow the bank's in the sector CERT's blocks)
    const auto all = All(EventFilter{}, {}, 500);
    for (const std::int64_t org : {kBank, shop_, kPower, kSector, kRoot, kPartner}) {
        std::vector<std::int64_t> want;
        for (const auto& e : all)
            if (e.notify && (e.recipient_id == org || e.organisation_id == org)) want.push_back(e.id);
        std::sort(want.begin(), want.end());
        EXPECT_FALSE(want.empty()) << org;
        EXPECT_EQ(Ids(*store_->EventsFor(*conn, org, 0, 100000)), want) << org;
        // From a watermark inside the list, in small steps.
        std::vector<std::int64_t> stepped;
        for (std::int64_t after = 0;;) {
            const auto page = *store_->EventsFor(*conn, org, after, 7);
            if (page.empty()) break;
            for (const auto& e : page) stepped.push_back(e.id);
            after = page.back().id;
        }
        EXPECT_EQ(stepped, want) << org;
    }
    // A digest pass shares block texts between organisations: the same events, each block read
    // from the database once while it fits; a cache too small for one block still answers right.
    const std::int64_t blocks = (*conn->Query("SELECT COUNT(*) FROM feed_event_blocks"))[0].Int(0);
    FeedStore::BlockTexts shared, tiny(1);
    for (int round = 0; round < 2; ++round)
        for (const std::int64_t org : {kBank, shop_, kPower, kSector, kRoot, kPartner}) {
            const auto plain = Ids(*store_->EventsFor(*conn, org, 0, 100000));
            EXPECT_EQ(Ids(*store_->EventsFor(*conn, org, 0, 100000, &shared)), plain) << org;
            EXPECT_EQ(Ids(*store_->EventsFor(*conn, org, 0, 100000, &tiny)), plain) << org;
            EXPECT_EQ(Ids(*store_->EventsFor(*conn, org, plain[plain.size() / 2], 3, &shared)),
                      Ids(*store_->EventsFor(*conn, org, plain[plain.size() / 2], 3)))
                << org;
        }
    EXPECT_GT(shared.reads(), 0);
    EXPECT_LE(shared.reads(), blocks);
    EXPECT_GT(tiny.reads(), blocks);  // nothing kept: read again each time
    // Blocks stored as they are (SQLite before packing; PostgreSQL) and packed ones (SQLite: a
    // text column holds any bytes there) read alike; a damaged packed block is an error, not
    // missing events.
    std::map<std::int64_t, std::vector<std::int64_t>> before;
    for (const std::int64_t org : {kBank, shop_, kPower, kSector, kRoot, kPartner})
        before[org] = Ids(*store_->EventsFor(*conn, org, 0, 100000));
    const auto stored = *conn->Query("SELECT id, data FROM feed_event_blocks ORDER BY id");
    for (std::size_t i = 0; i < stored.size(); ++i) {
        const std::string text = *UnpackBlockText(stored[i].Str(1));
        ASSERT_TRUE(conn->Execute("UPDATE feed_event_blocks SET data = ? WHERE id = ?",
                                  {i % 2 && GetParam() == "sqlite" ? PackBlockText(text) : text, stored[i].Int(0)}));
    }
    for (const auto& [org, ids] : before) EXPECT_EQ(Ids(*store_->EventsFor(*conn, org, 0, 100000)), ids) << org;
    EXPECT_EQ(All(EventFilter{}, {}, 500).size(), all.size());
    if (GetParam() == "sqlite") {
        std::string damaged = PackBlockText(*UnpackBlockText(stored[0].Str(1)));
        damaged[damaged.size() / 2] ^= 0x5a;
        damaged.resize(damaged.size() - 3);
        ASSERT_TRUE(conn->Execute("UPDATE feed_event_blocks SET data = ? WHERE id = ?", {damaged, stored[0].Int(0)}));
        auto read = store_->EventsFor(*conn, kSector, 0, 100000);
        ASSERT_FALSE(read);
        EXPECT_NE(read.error().message.find("damaged"), std::string::npos) << read.error().message;
    }
}

// The block text: every field back as written, ids and views intact; damage is an error.
// The numbers and sizes of an event's head read back for every width around the short forms
// (one to three digits, then the general one) and below zero.
TEST(EventBlock, NumbersOfEveryWidthRoundTrip) {
    const std::int64_t values[] = {0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 65535, 1768353510000000,
                                   -1, -9, -10, -99, -100, -999, -1000, -1768353510000000};
    std::string text;
    std::vector<BlockEvent> in;
    for (std::size_t k = 0; k < std::size(values); ++k) {
        const std::int64_t v = values[k];
        BlockEvent e;
        e.line = v;
        e.time_source = v * 3;
        e.first_seen = e.time_source + v;
        e.last_seen = e.time_source - v;
        e.count = v;
        e.organisation_id = v;
        e.asn = v;
        static std::vector<std::string> keep;
        keep.push_back(std::string(static_cast<std::size_t>(std::abs(v) % 1200), 'x'));
        e.identifier = keep.back();
        e.data = keep.back();
        AppendBlockEvent(text, e, k ? &in.back() : nullptr);
        in.push_back(e);
    }
    BlockReader r(text);
    BlockEvent x;
    for (const BlockEvent& e : in) {
        ASSERT_TRUE(*r.Next(x));
        EXPECT_EQ(x.line, e.line);
        EXPECT_EQ(x.time_source, e.time_source);
        EXPECT_EQ(x.first_seen, e.first_seen);
        EXPECT_EQ(x.last_seen, e.last_seen);
        EXPECT_EQ(x.count, e.count);
        EXPECT_EQ(x.organisation_id, e.organisation_id);
        EXPECT_EQ(x.asn, e.asn);
        EXPECT_EQ(x.identifier, e.identifier);
        EXPECT_EQ(x.data, e.data);
    }
    EXPECT_FALSE(*r.Next(x));
}

// Values of every length around the short copies (0 to 40 bytes, each byte different), and raw
// written by the caller after the encoding (raw_follows) as well as by AppendBlockEvent.
TEST(EventBlock, ValuesOfEveryLengthRoundTrip) {
    std::string text;
    std::vector<BlockEvent> in;
    std::vector<std::string> keep;
    keep.reserve(4 * 41);
    const auto value = [&](std::size_t n, char base) -> std::string_view {
        std::string v(n, ' ');
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<char>(base + i % 40);
        keep.push_back(std::move(v));
        return keep.back();
    };
    for (std::size_t n = 0; n <= 40; ++n) {
        BlockEvent e;
        e.line = static_cast<std::int64_t>(n);
        e.scope_path = value(n, 'A');
        e.ip = value(40 - n, '0');
        e.data = value(n, 'a');
        e.has_raw = true;
        e.raw = value((n * 7) % 41, '!');
        const bool raw_follows = n % 2 == 1;
        AppendBlockEvent(text, e, nullptr, nullptr, raw_follows);
        if (raw_follows) text.append(e.raw);
        in.push_back(e);
    }
    BlockReader r(text);
    BlockEvent x;
    for (const BlockEvent& e : in) {
        ASSERT_TRUE(*r.Next(x));
        EXPECT_EQ(x.scope_path, e.scope_path) << e.line;
        EXPECT_EQ(x.ip, e.ip) << e.line;
        EXPECT_EQ(x.data, e.data) << e.line;
        EXPECT_EQ(x.raw, e.raw) << e.line;
    }
    EXPECT_FALSE(*r.Next(x));
}

// The address filter of a block: every address of the block passes; few others do (a Bloom
// filter of 16-32 bits per address); no filter, or one that is not ours, lets every address pass.
TEST(EventBlock, AddressFilterPassesItsAddressesAndFewOthers) {
    for (const std::size_t n : {0u, 1u, 6u, 100u, 5051u, 20000u}) {
        std::vector<std::uint64_t> hashes;
        for (std::size_t i = 0; i < n; ++i)
            hashes.push_back(AddressHash(i % 7 == 0 ? "2001:db8::" + std::to_string(i)
                                                    : "10." + std::to_string(i / 65536) + "." +
                                                          std::to_string(i / 256 % 256) + "." + std::to_string(i % 256)));
        const std::string filter = MakeAddressFilter(hashes);
        EXPECT_GE(filter.size() * 4, std::max<std::size_t>(64, n * 16)) << n;
        EXPECT_LE(filter.size() * 4, std::max<std::size_t>(64, n * 32)) << n;
        EXPECT_EQ(filter.find_first_not_of("0123456789abcdef"), std::string::npos);
        for (const auto h : hashes) EXPECT_TRUE(MayHoldAddress(filter, h)) << n;
        std::size_t passed = 0;
        const std::size_t others = 20000;
        for (std::size_t i = 0; i < others; ++i)
            passed += MayHoldAddress(filter, AddressHash("192.168." + std::to_string(i / 256) + "." + std::to_string(i % 256)));
        EXPECT_LT(passed, n == 0 ? 1 : others / 250) << n;  // under 0.4 %
    }
    EXPECT_EQ(AddressHash("192.0.2.1"), AddressHash(std::string("192.0.2.1")));
    EXPECT_NE(AddressHash("192.0.2.1"), AddressHash("192.0.2.10"));
    EXPECT_TRUE(MayHoldAddress("", AddressHash("192.0.2.1")));
    EXPECT_TRUE(MayHoldAddress("0000", AddressHash("192.0.2.1")));               // too short to be ours
    EXPECT_TRUE(MayHoldAddress(std::string(24, '0'), AddressHash("192.0.2.1")));  // not a power of two
    EXPECT_FALSE(MayHoldAddress(std::string(16, '0'), AddressHash("192.0.2.1")));
    EXPECT_TRUE(MayHoldAddress(std::string(16, 'f'), AddressHash("192.0.2.1")));
}

TEST(EventBlock, RoundTrip) {
    std::string text;
    BlockEvent a;
    a.line = 7;
    a.time_source = 1767225600000000LL;
    a.first_seen = a.time_source - 5;
    a.last_seen = a.time_source + 9;
    a.count = 3;
    a.organisation_id = 42;
    a.asn = 64500;
    a.scope_path = "/1/2/3/";
    a.ip = "192.0.2.1";
    a.taxonomy = "vulnerable";
    a.type = "vulnerable-system";
    a.identifier = "x:y";
    a.severity = "high";
    a.cc = "PK";
    a.data = "s9:source.ip9:192.0.2.1";
    a.has_raw = true;
    a.raw = "line,with;separators:1\n";
    EXPECT_EQ(AppendBlockEvent(text, a, nullptr), 0u);
    // The form, byte for byte (blocks already stored are read with it): the time in seconds
    // (flag 1024).
    EXPECT_EQ(text, "7,1767225600,-5,9,3,42,1039,64500;7:/1/2/3/9:192.0.2.110:vulnerable17:vulnerable-system3:x:y4:high2:PK23:s9:source.ip9:192.0.2.123:line,with;separators:1\n");
    // As written before flag 1024 (the time in microseconds): read the same.
    {
        BlockReader old("7,1767225600000000,-5,9,3,42,15,64500;7:/1/2/3/9:192.0.2.110:vulnerable17:vulnerable-system3:x:y4:high2:PK23:s9:source.ip9:192.0.2.123:line,with;separators:1\n");
        BlockEvent o;
        ASSERT_TRUE(*old.Next(o));
        EXPECT_EQ(o.time_source, a.time_source);
        EXPECT_EQ(o.first_seen, a.first_seen);
        EXPECT_EQ(o.count, 3);
        EXPECT_EQ(o.raw, a.raw);
    }
    // Seen once at its time (flag 2048): five numbers; the time in microseconds when it is not
    // whole seconds.
    {
        std::string once;
        BlockEvent c = a;
        c.time_source += 250;
        c.first_seen = c.last_seen = c.time_source;
        c.count = 1;
        AppendBlockEvent(once, c, nullptr);
        EXPECT_TRUE(once.starts_with("7,1767225600000250,42,2063,64500;")) << once;
        BlockReader r(once);
        BlockEvent o;
        ASSERT_TRUE(*r.Next(o));
        EXPECT_EQ(o.time_source, c.time_source);
        EXPECT_EQ(o.first_seen, c.time_source);
        EXPECT_EQ(o.last_seen, c.time_source);
        EXPECT_EQ(o.count, 1);
        EXPECT_EQ(o.organisation_id, 42);
        EXPECT_EQ(o.asn, 64500);
        // Five numbers without the flag, eight with it, a time in seconds beyond the range of
        // microseconds, other counts: errors.
        for (const char* bad : {"7,1767225600000250,42,15,64500;", "7,1767225600,-5,9,3,42,3087,64500;",
                                "7,9223372036855,42,3087,64500;", "7,1,2,3;", "7,1,2,3,4,5,6,7,8;"})
            EXPECT_FALSE(BlockReader(std::string(bad) + "0:0:0:0:0:0:0:0:").Next(o)) << bad;
    }
    BlockEvent b;
    b.notify = false;
    b.compact = false;
    b.data = "{\"a\":1}";
    b.scope_path = a.scope_path;  // repeated: written as '='
    b.severity = a.severity;      // (also)
    b.cc = "DE";
    EXPECT_EQ(AppendBlockEvent(text, b, &a), kRepeatedScope | kRepeatedSeverity);
    EXPECT_NE(text.find(";=0:"), std::string::npos) << text;
    BlockReader r(text);
    BlockEvent x;
    ASSERT_TRUE(*r.Next(x));
    EXPECT_EQ(x.line, 7);
    EXPECT_EQ(x.first_seen, a.first_seen);
    EXPECT_EQ(x.last_seen, a.last_seen);
    EXPECT_EQ(x.count, 3);
    EXPECT_EQ(x.organisation_id, 42);
    EXPECT_EQ(x.asn, 64500);
    EXPECT_TRUE(x.notify && x.compact && x.has_raw);
    EXPECT_EQ(x.scope_path, "/1/2/3/");
    EXPECT_EQ(x.identifier, "x:y");
    EXPECT_EQ(x.data, a.data);
    EXPECT_EQ(x.raw, a.raw);
    ASSERT_TRUE(*r.Next(x));
    EXPECT_FALSE(x.notify || x.compact || x.has_raw || x.asn);
    EXPECT_EQ(x.time_source, 0);
    EXPECT_EQ(x.data, "{\"a\":1}");
    EXPECT_EQ(x.scope_path, "/1/2/3/");
    EXPECT_EQ(x.cc, "DE");
    EXPECT_EQ(x.severity, "high");
    EXPECT_EQ(x.taxonomy, "");
    EXPECT_FALSE(*r.Next(x));
    // The stored form: packed (LZ4) or as it is, both read back to the text; a damaged packed
    // text is an error.
    for (const std::string& t : {text, std::string(), std::string(200000, 'x') + text}) {
        const std::string packed = PackBlockText(t);
        ASSERT_FALSE(packed.empty());
        EXPECT_EQ(packed.front(), '\x01');
        EXPECT_EQ(*UnpackBlockText(packed), t);
        if (!t.empty()) {
            EXPECT_EQ(*UnpackBlockText(t), t);  // as it is
        }
        for (const std::size_t cut : {std::size_t{1}, std::size_t{3}, packed.size() / 2}) {
            if (cut < packed.size()) {
                EXPECT_FALSE(UnpackBlockText(packed.substr(0, packed.size() - cut))) << cut;
            }
        }
    }
    EXPECT_LT(PackBlockText(std::string(200000, 'x') + text).size(), 2000u);
    EXPECT_FALSE(UnpackBlockText("\x01" "12x:abc"));
    EXPECT_FALSE(UnpackBlockText("\x01" "99999999999999:abc"));
    BlockReader bad(text.substr(0, text.size() / 2));
    ASSERT_TRUE(*bad.Next(x));
    EXPECT_FALSE(bad.Next(x));
    // Flags 64 and 128: source.ip and source.asn are the header's (left out of data); a block
    // written before them reads with both false.
    std::string flagged;
    BlockEvent h = a;
    h.header_ip = h.header_asn = true;
    AppendBlockEvent(flagged, h, nullptr);
    h.header_asn = true;
    h.asn.reset();  // no asn: the flag is not written
    AppendBlockEvent(flagged, h, &a);
    BlockReader fr(flagged);
    ASSERT_TRUE(*fr.Next(x));
    EXPECT_TRUE(x.header_ip && x.header_asn);
    EXPECT_EQ(x.ip, "192.0.2.1");
    EXPECT_EQ(x.asn, 64500);
    ASSERT_TRUE(*fr.Next(x));
    EXPECT_TRUE(x.header_ip);
    EXPECT_FALSE(x.header_asn || x.asn);
    EXPECT_EQ(x.time_source, a.time_source);  // (written as a difference to the previous one)
    // A block written before flags 64, 128 and 256: times absolute, source.ip/asn in data.
    const std::string old_text =
        "7,1767225600000000,-5,9,3,42,15,64500;7:/1/2/3/9:192.0.2.110:vulnerable17:vulnerable-system3:x:y4:high2:PK"
        "23:s9:source.ip9:192.0.2.11:x"
        "8,1767225600000001,0,0,1,0,3,0;=9:192.0.2.2=====2:{}";
    BlockReader old_reader(old_text);
    ASSERT_TRUE(*old_reader.Next(x));
    EXPECT_FALSE(x.header_ip || x.header_asn);
    EXPECT_EQ(x.time_source, 1767225600000000LL);
    EXPECT_EQ(x.first_seen, 1767225600000000LL - 5);
    EXPECT_EQ(x.asn, 64500);
    EXPECT_EQ(x.raw, "x");
    ASSERT_TRUE(*old_reader.Next(x));
    EXPECT_FALSE(x.header_ip || x.header_asn || x.asn);
    EXPECT_EQ(x.time_source, 1767225600000001LL);
    EXPECT_EQ(x.ip, "192.0.2.2");
    EXPECT_EQ(x.type, "vulnerable-system");
    EXPECT_EQ(x.data, "{}");
    EXPECT_FALSE(*old_reader.Next(x));
    // Flag 4096: source.abuse_contact is the head's abuse, after cc, '=' when it repeats the
    // previous event's; an event without it reads with none, and the next one that has it again
    // writes it out (the empty abuse of the one before is not its own).
    {
        std::string t;
        std::size_t written_at[kRepeatableValues];
        BlockEvent p = a;
        p.has_raw = false;
        p.header_abuse = true;
        p.abuse = "abuse@bank.example.pk";
        EXPECT_EQ(AppendBlockEvent(t, p, nullptr, written_at), 0u);
        EXPECT_EQ(t, "7,1767225600,-5,9,3,42,5131,64500;7:/1/2/3/9:192.0.2.110:vulnerable17:vulnerable-system3:x:y4:high2:PK"
                     "21:abuse@bank.example.pk23:s9:source.ip9:192.0.2.1");
        EXPECT_EQ(t.substr(written_at[6], p.abuse.size()), p.abuse);
        BlockEvent q = p;  // the same owner's next event: all repeated
        EXPECT_EQ(AppendBlockEvent(t, q, &p), kRepeatedScope | kRepeatedTaxonomy | kRepeatedType | kRepeatedIdentifier |
                                                  kRepeatedSeverity | kRepeatedCc | kRepeatedAbuse);
        EXPECT_TRUE(t.ends_with(";=9:192.0.2.1======23:s9:source.ip9:192.0.2.1")) << t;
        BlockEvent none = p;  // without the flag
        none.header_abuse = false;
        none.abuse = {};
        EXPECT_EQ(AppendBlockEvent(t, none, &q) & kRepeatedAbuse, 0u);
        BlockEvent again = p;  // with it again: written out
        EXPECT_EQ(AppendBlockEvent(t, again, &none) & kRepeatedAbuse, 0u);
        BlockReader ar(t);
        for (const bool has : {true, true, false, true}) {
            ASSERT_TRUE(*ar.Next(x));
            EXPECT_EQ(x.header_abuse, has);
            EXPECT_EQ(x.abuse, has ? "abuse@bank.example.pk" : "");
            EXPECT_EQ(x.data, "s9:source.ip9:192.0.2.1");
            EXPECT_EQ(x.cc, "PK");
        }
        EXPECT_FALSE(*ar.Next(x));
        // A value of kMaxRepeatedValue bytes or more is written out again, never as '='.
        {
            const std::string huge(kMaxRepeatedValue, 'i');
            std::string ht;
            BlockEvent h1 = p;
            h1.identifier = huge;
            AppendBlockEvent(ht, h1, nullptr);
            const std::size_t first = ht.size();
            EXPECT_EQ(AppendBlockEvent(ht, h1, &h1) & kRepeatedIdentifier, 0u);
            EXPECT_GT(ht.size() - first, huge.size());
            BlockReader hr(ht);
            for (int k = 0; k < 2; ++k) {
                ASSERT_TRUE(*hr.Next(x));
                EXPECT_EQ(x.identifier.size(), huge.size());
            }
        }
        // The flag without the part, or a damaged one: errors.
        EXPECT_FALSE(BlockReader("7,1,42,6144,0;0:0:0:0:0:0:0:").Next(x));
        EXPECT_FALSE(BlockReader("7,1,42,6144,0;0:0:0:0:0:0:0:9:abc").Next(x));
        EXPECT_TRUE(*BlockReader("7,1,42,6144,0;0:0:0:0:0:0:0:3:abc0:").Next(x));
        EXPECT_EQ(x.abuse, "abc");
    }
    std::string hashes;
    AppendDedupHash(hashes, 0xfedcba9876543210ULL);
    AppendDedupHash(hashes, 1);
    ASSERT_EQ(DedupHashCount(hashes), 2u);
    EXPECT_EQ(DedupHashAt(hashes, 0), 0xfedcba9876543210ULL);
    EXPECT_EQ(DedupHashAt(hashes, 1), 1u);
    EXPECT_EQ(hashes, "fedcba98765432100000000000000001");
    // Sixteen lowercase hexadecimal digits, as printf writes them, for every digit in every place.
    std::uint64_t seed = 11;
    for (int i = 0; i < 2000; ++i) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        const std::uint64_t h = i < 16 ? 0x1111111111111111ULL * static_cast<std::uint64_t>(i) : seed;
        std::string one;
        AppendDedupHash(one, h);
        char expect[17];
        std::snprintf(expect, sizeof expect, "%016llx", static_cast<unsigned long long>(h));
        ASSERT_EQ(one, expect);
        ASSERT_EQ(DedupHashAt(one, 0), h);
    }
    std::string classes;
    AddClass(classes, "vulnerable");
    AddClass(classes, "vulnerable-system");
    AddClass(classes, "vulnerable");
    EXPECT_EQ(classes, "|vulnerable|vulnerable-system|");
    EXPECT_TRUE(HasClass(classes, "vulnerable-system"));
    EXPECT_FALSE(HasClass(classes, "system"));
}

// EncodeCompact's leave_out (BlockBuilder leaves out what a block event's header holds) writes
// exactly what encoding the event with those keys removed writes: own and shared fields, fields
// the base covers, and a key that is there twice.
TEST(EncodeCompact, LeavingOutIsRemoving) {
    const auto shared = SharedFields::Make({Field{Key("time.observation"), "2026-01-14T00:00:00+00:00"},
                                            Field{Key("feed.name"), "Scan HTTP"}, Field{Key("tlp"), "AMBER"}});
    std::vector<Event> events;
    for (int i = 0; i < 40; ++i) {
        Event e;
        e.ShareFields(shared, i % 3 == 0 ? 0x6 : 0x7);  // a third with a time.observation of its own
        if (i % 3 == 0) e.Append(Key("time.observation"), "2026-01-13T00:00:00+00:00");
        e.Append(Key("time.source"), "2026-01-14T01:02:03+00:00");
        e.Append(Key("source.ip"), i % 5 == 0 ? "192.0.2.1" : "192.0.2." + std::to_string(i));
        e.Append(Key("source.asn"), "64500", JsonKind::kInt);
        e.Append(Key("source.port"), std::to_string(i), JsonKind::kInt);
        e.Append(Key("extra.server"), i % 2 ? "nginx" : "Apache");
        if (i % 7 == 0) e.Append(Key("source.ip"), "198.51.100.1");  // twice (Append does not look)
        e.SetRawBytes("line " + std::to_string(i), true);
        events.push_back(std::move(e));
    }
    std::vector<const Event*> sample;
    for (const auto& e : events) sample.push_back(&e);
    const CompactBase base = MakeCompactBase(sample);  // (covers source.asn, source.ip 192.0.2.1, ...)
    ASSERT_NE(base.id, 0u);
    const Key observation("time.observation"), source("time.source"), ip("source.ip"), asn("source.asn");
    const std::vector<std::vector<const Key*>> sets = {
        {}, {&observation}, {&ip, &asn}, {&observation, &source, &ip, &asn}};
    for (const auto& e : events)
        for (const auto& set : sets)
            for (const CompactBase* b : {&base, static_cast<const CompactBase*>(nullptr)}) {
                std::string left, removed;
                std::optional<std::string_view> left_raw;
                std::optional<std::string> removed_raw;
                ASSERT_TRUE(EncodeCompact(e, b, left, left_raw, set));
                Event copy = e;
                for (const Key* k : set) copy.Remove(*k);
                ASSERT_TRUE(EncodeCompact(copy, b, removed, removed_raw));
                EXPECT_EQ(left, removed) << e.ToJson() << " leaving out " << set.size();
                ASSERT_TRUE(left_raw && removed_raw);
                EXPECT_EQ(*left_raw, *removed_raw);
            }
}

INSTANTIATE_TEST_SUITE_P(Backends, FeedStoreTest, ::testing::ValuesIn(db::testing::BackendNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace muhafiz::feeds
