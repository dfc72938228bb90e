// The feed pipeline end to end on SQLite and PostgreSQL: routing of owned, foreign-with-partner,
// foreign-without-partner and unknown addresses (IPv4 and IPv6), idempotent re-ingest, dedup,
// n6-style aggregation, dead letters and their replay, resume after the ingesting process was
// killed with SIGKILL mid-file, and digests received by a real SMTP server
// (tests/support/smtp_sink.py), PGP-encrypted when the organisation registered a key.
#include <gtest/gtest.h>

#include <unordered_map>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <set>

#include "core/ids.hpp"
#include "core/net.hpp"
#include "db/testing.hpp"
#include "feeds/digest.hpp"
#include "feeds/event_block.hpp"
#include "feeds/pipeline.hpp"
#include "notify/notify_test_support.hpp"
#include "notify/smtp_channel.hpp"

namespace muhafiz::feeds {
namespace {

namespace fs = std::filesystem;
using notify::test::KeyPair;

std::string Data(const std::string& rel) {
    const char* s = std::getenv("MUHAFIZ_SOURCE_DIR");
    return std::string(s ? s : ".") + "/tests/data/feeds/" + rel;
}
std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// National CERT (1) ─ Sectoral CERT (2) ─ Constituent (3, owns 192.0.2.0/25, 2001:db8:10::/44,
// AS64499, example.com); Constituent (5, directly under the root, owns 198.51.100.0/25);
// partner CERT of DE (4).
constexpr std::int64_t kRoot = 1, kSector = 2, kOwner = 3, kPartner = 4, kDirect = 5;

// Migration 019: event ids come from feed_event_ids (blocks and rows alike); a row written by hand
// after blocks takes the next one, and the newest id is the allocator's last.
std::int64_t NextEventId(db::Connection& conn) {
    return (*conn.Query("UPDATE feed_event_ids SET next_id = next_id + 1 WHERE id = 1 RETURNING next_id - 1"))[0].Int(0);
}
std::int64_t TopEventId(db::Connection& conn) {
    return (*conn.Query("SELECT next_id - 1 FROM feed_event_ids WHERE id = 1"))[0].Int(0);
}

std::vector<OrgInfo> Orgs() {
    return {
        {kRoot, "00000000-0000-7000-8000-000000000001", "National CERT", "national_cert", "/1/", "PK", 0, 0,
         "cert@cert.example.pk", "", ""},
        {kSector, "00000000-0000-7000-8000-000000000002", "Banking CERT", "sectoral_cert", "/1/2/", "PK", kRoot, 0,
         "bank-cert@cert.example.pk", "", ""},
        {kOwner, "00000000-0000-7000-8000-000000000003", "Example Bank", "constituent", "/1/2/3/", "PK", kSector, 0,
         "abuse@bank.example.pk", "", ""},
        {kPartner, "00000000-0000-7000-8000-000000000004", "CERT-DE", "partner_cert", "/1/4/", "DE", kRoot, 0,
         "cert@cert.example.de", "", ""},
        {kDirect, "00000000-0000-7000-8000-000000000005", "Power Co", "constituent", "/1/5/", "PK", kRoot, 0, "", "",
         ""},
    };
}

std::shared_ptr<const constituency::OwnerIndex> Owners() {
    constituency::OwnerEntries e;
    e.prefixes.emplace_back(*core::ParsePrefix("192.0.2.0/25"), kOwner);
    e.prefixes.emplace_back(*core::ParsePrefix("2001:db8:10::/44"), kOwner);
    e.prefixes.emplace_back(*core::ParsePrefix("198.51.100.0/25"), kDirect);
    e.asns.emplace_back(64499, kOwner);
    e.domains.emplace_back("example.com", kOwner);
    return constituency::OwnerIndex::Build(std::move(e));
}

RoutedEvent Routed(const std::string& ip, const std::string& cc) {
    RoutedEvent r;
    EXPECT_TRUE(r.event.Set("source.ip", ip));
    if (!cc.empty()) {
        EXPECT_TRUE(r.event.Set("source.geolocation.cc", cc));
    }
    EXPECT_TRUE(r.event.Set("severity", "high"));
    return r;
}

TEST(Routing, OwnedForeignPartnerUnknownV4AndV6) {
    auto dir = Directory::Build(Orgs());
    Enricher enricher(nullptr, Owners());
    FeedConfig feed = DefaultFeed("t", "jsonl");
    feed.tlp = "AMBER";
    Router router(feed, dir, "pk");
    struct Case {
        std::string ip, cc;
        Route route;
        std::int64_t owner, recipient;
    } cases[] = {
        {"192.0.2.5", "PK", Route::kOwner, kOwner, kSector},             // owned, v4
        {"2001:db8:1a::1", "", Route::kOwner, kOwner, kSector},           // owned, v6
        {"198.51.100.9", "PK", Route::kOwner, kDirect, kRoot},            // owned directly below the root
        {"203.0.113.7", "DE", Route::kPartner, 0, kPartner},              // foreign, partner, v4
        {"2001:db8:ff::1", "DE", Route::kPartner, 0, kPartner},           // foreign, partner, v6
        {"203.0.113.8", "FR", Route::kUnrouted, 0, kRoot},                // foreign, no partner, v4
        {"2001:db8:fe::1", "FR", Route::kUnrouted, 0, kRoot},             // foreign, no partner, v6
        {"203.0.113.9", "PK", Route::kUnrouted, 0, kRoot},                // ours, nobody owns it
        {"2001:db8:fd::1", "", Route::kUnrouted, 0, kRoot},               // unknown, v6
    };
    for (const auto& c : cases) {
        RoutedEvent r = Routed(c.ip, c.cc);
        r.organisation_id = enricher.Enrich(r.event);
        router.Route(r);
        EXPECT_EQ(r.route, c.route) << c.ip;
        EXPECT_EQ(r.organisation_id, c.owner) << c.ip;
        EXPECT_EQ(r.recipient_id, c.recipient) << c.ip;
        EXPECT_EQ(r.event.GetOr("tlp"), "AMBER");
        EXPECT_TRUE(r.notify);
    }
    // ASN and domain suffix find the owner too; the owner's abuse contact is filled in.
    RoutedEvent by_asn = Routed("203.0.113.50", "PK");
    ASSERT_TRUE(by_asn.event.Set("source.asn", "64499"));
    by_asn.organisation_id = enricher.Enrich(by_asn.event);
    router.Route(by_asn);
    EXPECT_EQ(by_asn.organisation_id, kOwner);
    EXPECT_EQ(by_asn.event.GetOr("source.abuse_contact"), "abuse@bank.example.pk");
    RoutedEvent by_url;
    ASSERT_TRUE(by_url.event.Set("source.url", "https://www.shop.example.com/x"));
    by_url.organisation_id = enricher.Enrich(by_url.event);
    EXPECT_EQ(by_url.event.GetOr("source.fqdn"), "www.shop.example.com");
    EXPECT_EQ(by_url.organisation_id, kOwner);
}

// A report's fingerprint is the SHA-256 of its bytes (of its size and first and last 4 MiB beyond
// 64 MiB), the same from memory and from a file (FIPS 180-2 test vector).
// The deduplicator against a plain map: events whose hashed fields repeat (within and across
// batches, past the table's growth), hashes seeded from storage, and the window (a hash seen
// longer ago than the window is new again).
// Organisations by id: ids of a table (dense) and far apart ones read the same.
TEST(Routing, DirectoryFindsOrganisationsByDenseAndSparseIds) {
    for (const std::int64_t far : {std::int64_t{6}, std::int64_t{1} << 40}) {
        std::vector<OrgInfo> orgs = Orgs();
        orgs.push_back(orgs.back());
        orgs.back().id = far;
        orgs.back().uuid = "00000000-0000-7000-8000-000000000099";
        auto dir = Directory::Build(orgs);
        for (const auto& o : orgs) {
            const OrgInfo* got = dir->Get(o.id);
            ASSERT_NE(got, nullptr) << o.id;
            EXPECT_EQ(got->uuid, o.uuid);
            // What routing reads: the recipient (the national CERT itself, else the CERT above),
            // the path and the abuse e-mail (empty for Power Co).
            const Directory::Routing* r = dir->RoutingOf(o.id);
            ASSERT_NE(r, nullptr) << o.id;
            EXPECT_EQ(r->recipient, o.kind == "national_cert" ? o.id : got->cert_id) << o.id;
            EXPECT_EQ(dir->Path(*r), o.path);
            EXPECT_EQ(dir->Abuse(*r), o.abuse_email);
        }
        EXPECT_EQ(dir->RoutingOf(kOwner)->recipient, kSector);
        EXPECT_EQ(dir->RoutingOf(kRoot)->recipient, kRoot);
        EXPECT_EQ(dir->Get(far)->cert_id, kRoot);
        for (const std::int64_t missing : {std::int64_t{0}, std::int64_t{-1}, far + 1, far - 1 == kDirect ? 1000 : far - 1}) {
            EXPECT_EQ(dir->Get(missing), nullptr) << missing;
            EXPECT_EQ(dir->RoutingOf(missing), nullptr) << missing;
        }
    }
}

TEST(Dedup, RepeatsWithinTheWindowOnly) {
    const core::Micros window = 1000;
    Deduplicator dedup({}, window);
    std::unordered_map<std::uint64_t, core::Micros> oracle;
    // Seeded: the hash of value 7 seen at 500, of value 8 long ago.
    const auto hash_of = [](int v) {
        Event e;
        EXPECT_TRUE(e.Set("source.ip", "10.0." + std::to_string(v / 250) + "." + std::to_string(v % 250 + 1)));
        return e.Hash({});
    };
    dedup.Remember(hash_of(7), 500);
    oracle[hash_of(7)] = 500;
    dedup.Remember(hash_of(8), -5000);
    oracle[hash_of(8)] = -5000;
    std::uint64_t seed = 3;
    for (int round = 0; round < 6; ++round) {
        const core::Micros now = 1000 + round * 400;
        Batch b;
        std::vector<int> values;
        for (int i = 0; i < 20000; ++i) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            const int v = static_cast<int>((seed >> 33) % 30000);
            values.push_back(v);
            RoutedEvent& r = b.events.Add();
            ASSERT_TRUE(r.event.Set("source.ip", "10.0." + std::to_string(v / 250) + "." + std::to_string(v % 250 + 1)));
        }
        std::int64_t expected = 0;
        std::vector<int> kept;
        for (const int v : values) {
            const std::uint64_t h = hash_of(v);
            auto [it, fresh] = oracle.try_emplace(h, now);
            if (!fresh) {
                if (now - it->second < window) {
                    ++expected;
                    continue;
                }
                it->second = now;
            }
            kept.push_back(v);
        }
        // Room made ahead (as a run does for the events it expects) keeps what the table holds.
        if (round == 2) dedup.Reserve(100000);
        if (round == 3) dedup.Reserve(10);  // (room already)
        dedup.Process(b, now);
        EXPECT_EQ(b.duplicates, expected) << round;
        ASSERT_EQ(b.events.size(), kept.size());
        for (std::size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(b.events[i].dedup_hash, hash_of(kept[i]));
    }
    EXPECT_EQ(dedup.size(), oracle.size());
}

TEST(Fingerprint, Sha256OfTheReport) {
    EXPECT_EQ(FingerprintData("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(FingerprintData(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const fs::path dir = fs::temp_directory_path() / ("muhafiz-fingerprint-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    for (const std::size_t bytes : {std::size_t{3}, std::size_t{3} << 20, (std::size_t{64} << 20) + 1}) {
        std::string data(bytes, '\0');
        for (std::size_t i = 0; i < bytes; ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
        const std::string path = (dir / "report.csv").string();
        std::ofstream(path, std::ios::binary) << data;
        std::int64_t size = 0;
        auto file = FingerprintFile(path, size);
        ASSERT_TRUE(file) << file.error().message;
        EXPECT_EQ(size, static_cast<std::int64_t>(bytes));
        EXPECT_EQ(*file, FingerprintData(data));
        EXPECT_EQ(file->rfind(bytes > (std::size_t{64} << 20) ? "sample-sha256:" : "sha256:", 0), 0u) << *file;
        data[bytes / 2] ^= 1;  // the middle of a sampled report is not in its fingerprint
        EXPECT_EQ(FingerprintData(data) == *file, bytes > (std::size_t{64} << 20));
    }
    fs::remove_all(dir);
}

TEST(Routing, FeedRules) {
    auto dir = Directory::Build(Orgs());
    FeedConfig feed = DefaultFeed("t", "jsonl");
    feed.min_severity = "medium";
    feed.do_not_notify = {"192.0.2.64/26", "AS64511", "00000000-0000-7000-8000-000000000005"};
    Override o;
    o.match = {{"source.ip", "203.0.113.0/24"}};
    o.set = {{"tlp", "RED"}};
    o.route_to = "00000000-0000-7000-8000-000000000003";
    feed.overrides.push_back(o);
    Router router(feed, dir, "PK");
    Enricher enricher(nullptr, Owners());
    auto run = [&](RoutedEvent r) {
        r.organisation_id = enricher.Enrich(r.event);
        router.Route(r);
        return r;
    };
    RoutedEvent low = Routed("192.0.2.5", "");
    ASSERT_TRUE(low.event.Set("severity", "low"));
    EXPECT_FALSE(run(low).notify);                      // below the minimum severity
    EXPECT_FALSE(run(Routed("192.0.2.70", "")).notify); // do-not-notify prefix
    EXPECT_FALSE(run(Routed("198.51.100.1", "")).notify);  // do-not-notify organisation
    RoutedEvent over = run(Routed("203.0.113.1", "FR"));
    EXPECT_EQ(over.event.GetOr("tlp"), "RED");
    EXPECT_EQ(over.organisation_id, kOwner);  // route_to
    EXPECT_EQ(over.route, Route::kOwner);
}

// ---- pipeline over both backends ---------------------------------------------------------------

class PipelineTest : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() {
        maildir_ = fs::temp_directory_path() / ("muhafiz-feeds-mail-" + core::RandomToken(6));
        smtp_port_ = notify::test::FreePort();
        smtp_ = new notify::test::Sink("smtp_sink.py", {std::to_string(smtp_port_), maildir_.string()});
    }
    static void TearDownTestSuite() {
        delete smtp_;
        fs::remove_all(maildir_);
    }

    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        ASSERT_NE(db_, nullptr);
        url_ = db_->url();
        auto conn = *db_->Acquire();
        for (const auto& o : Orgs()) {
            auto r = conn->Execute(
                "INSERT INTO organisations (id, uuid, name, kind, parent_id, path, depth, country, contacts, "
                "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,0,0)",
                {o.id, o.uuid, o.name, o.kind, o.parent_id ? db::Value(o.parent_id) : db::Value(nullptr), o.path,
                 std::int64_t(std::count(o.path.begin(), o.path.end(), '/') - 2), o.country,
                 "{\"abuse_email\":\"" + o.abuse_email + "\"}"});
            ASSERT_TRUE(r) << r.error().message;
        }
        store_ = std::make_unique<FeedStore>(*db_);
    }

    std::unique_ptr<Pipeline> NewPipeline(FeedsConfig config = {}) {
        PipelineOptions opts;
        opts.home_country = "PK";
        return std::make_unique<Pipeline>(*store_, std::move(config), [] { return Owners(); }, nullptr, opts);
    }

    // Runs `req` in a child process (its own database connection) and kills it with SIGKILL as
    // soon as `ready` says so for a progress report; returns the child's wait status (signalled
    // when it was killed; exited when it ended or gave up before `ready` held).
    int IngestAndKill(const IngestRequest& req, int throttle_ms,
                      std::function<bool(const IngestProgress&)> ready) {
        int fds[2];
        if (pipe(fds) != 0) return -1;
        const pid_t child = fork();
        if (child < 0) return -1;
        if (child == 0) {
            close(fds[0]);
            auto db = db::Database::Open(url_);
            if (!db) _exit(2);
            FeedStore store(**db);
            PipelineOptions opts;
            opts.home_country = "PK";
            Pipeline pipe(store, Config(), [] { return Owners(); }, nullptr, opts);
            IngestRequest r = req;
            r.throttle_ms = throttle_ms;
            r.progress = [&](const IngestProgress& pr) {
                if (ready(pr)) (void)!write(fds[1], "x", 1);
            };
            (void)pipe.Ingest(r);
            _exit(0);
        }
        close(fds[1]);
        char c;
        (void)!read(fds[0], &c, 1);  // a byte once ready; end of file when the child ended first
        kill(child, SIGKILL);
        int status = 0;
        waitpid(child, &status, 0);
        close(fds[0]);
        return status;
    }

    // The Shadowserver scan_http sample (10 rows) as the "shadowserver" feed.
    static IngestRequest ScanHttpRequest() {
        IngestRequest req;
        req.feed = "shadowserver";
        req.path = Data("shadowserver/scan_http.csv");
        req.file_name = "2026-01-14-scan_http-pk.csv";
        return req;
    }

    static FeedsConfig Config() {
        FeedsConfig c;
        FeedConfig f = DefaultFeed("shadowserver", "shadowserver");
        f.tlp = "AMBER";
        c.feeds.push_back(f);
        FeedConfig s = DefaultFeed("sinkhole", "shadowserver:event4_sinkhole_http");
        s.aggregate = true;
        s.aggregate_fields = {"source.ip", "classification.identifier"};
        c.feeds.push_back(s);
        return c;
    }

    std::string url_;
    std::unique_ptr<db::Database> db_;
    std::unique_ptr<FeedStore> store_;
    static inline fs::path maildir_;
    static inline int smtp_port_ = 0;
    static inline notify::test::Sink* smtp_ = nullptr;
};

TEST_P(PipelineTest, ARunReadsTheOrganisationsAgainOnlyWhenTheyChanged) {
    FeedsConfig config = Config();
    config.feeds[0].dedup_window = 0;  // (the same report again: its events again)
    auto p = NewPipeline(config);
    // The bank's abuse contact in the event of 192.0.2.10 of another run of the report.
    const auto contact = [&](Pipeline& pipeline) -> std::string {
        IngestRequest req = ScanHttpRequest();
        req.force = true;
        auto s = pipeline.Ingest(req);
        EXPECT_TRUE(s) << s.error().message;
        if (!s) return "";
        EventFilter f;
        f.ip = "192.0.2.10";
        f.limit = 1;
        auto page = store_->ListEvents(f);
        EXPECT_TRUE(page && !page->items.empty());
        if (!page || page->items.empty()) return "";
        EXPECT_EQ(page->items[0].run_id, s->run.id);
        auto ev = Event::FromJsonText(page->items[0].data);
        return ev ? std::string(ev->GetOr("source.abuse_contact")) : "";
    };
    EXPECT_EQ(contact(*p), "abuse@bank.example.pk");
    auto conn = *db_->Acquire();
    // Changed as the constituency's service changes an organisation (its version and updated_at):
    // the next run reads the organisations again.
    ASSERT_TRUE(conn->Execute(
        "UPDATE organisations SET contacts = ?, version = version + 1, updated_at = ? WHERE id = ?",
        {std::string("{\"abuse_email\":\"soc@bank.example.pk\"}"), core::NowMicros(), kOwner}));
    EXPECT_EQ(contact(*p), "soc@bank.example.pk");
    // Unchanged (as far as their fingerprint says): the run uses the directory read before.
    ASSERT_TRUE(conn->Execute("UPDATE organisations SET contacts = ? WHERE id = ?",
                              {std::string("{\"abuse_email\":\"unseen@bank.example.pk\"}"), kOwner}));
    EXPECT_EQ(contact(*p), "soc@bank.example.pk");
    // A new organisation is a change; so is one fewer.
    ASSERT_TRUE(conn->Execute("INSERT INTO organisations (id, uuid, name, kind, parent_id, path, depth, created_at, updated_at) "
                              "VALUES (999, '0190c0de-0000-7000-8000-00000000abcd', 'Late Co', 'constituent', 1, '/1/999/', "
                              "1, 0, 0)"));
    EXPECT_EQ(contact(*p), "unseen@bank.example.pk");
}

TEST_P(PipelineTest, IngestRoutesAndIsIdempotent) {
    auto p = NewPipeline(Config());
    IngestRequest req = ScanHttpRequest();
    req.chunk_bytes = 512;
    auto s = p->Ingest(req);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->run.status, "done");
    EXPECT_EQ(s->run.lines_read, 10);
    EXPECT_EQ(s->run.events, 10);
    EXPECT_EQ(s->run.rejected, 0);
    EXPECT_EQ(s->run.format, "shadowserver:scan_http");
    // 192.0.2.10, .31 → Example Bank (and its CERT); 198.51.100.17 → Power Co (root is its CERT).
    std::map<std::int64_t, std::int64_t> per(s->per_recipient.begin(), s->per_recipient.end());
    EXPECT_GE(per[kOwner], 2);
    EXPECT_EQ(per[kSector], per[kOwner]);
    EXPECT_GE(per[kDirect], 1);

    EventFilter f;
    f.limit = 100;
    auto all = store_->ListEvents(f);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->total, 10);
    int owned = 0, bank = 0;
    for (const auto& e : all->items) {
        if (e.source_ip == "192.0.2.10") {
            EXPECT_EQ(e.organisation_id, kOwner);
            EXPECT_EQ(e.recipient_id, kSector);
            EXPECT_EQ(e.route, "owner");
            EXPECT_NE(e.data.find("\"tlp\":\"AMBER\""), std::string::npos);
            ++owned;
        }
        // The owner's abuse contact (stored once per run of its events: the block event's head)
        // is in every event of the owner, and in no other.
        auto ev = Event::FromJsonText(e.data);
        ASSERT_TRUE(ev) << e.data;
        if (e.organisation_id == kOwner) {
            EXPECT_EQ(ev->GetOr("source.abuse_contact"), "abuse@bank.example.pk") << e.data;
            ++bank;
        } else {
            EXPECT_EQ(ev->Get("source.abuse_contact"), nullptr) << e.data;
        }
    }
    EXPECT_EQ(owned, 1);
    EXPECT_GE(bank, 2);
    // Each event's raw is its own line of the report (read in chunks of 512 bytes, each chunk
    // freed once its events are stored: raw values viewed the chunk until then).
    {
        std::ifstream in(req.path, std::ios::binary);
        std::vector<std::string> lines(1);
        for (std::string l; std::getline(in, l);) lines.push_back(l);
        for (const auto& e : all->items) {
            auto ev = Event::FromJsonText(e.data);
            ASSERT_TRUE(ev) << e.data;
            std::string raw;
            ASSERT_TRUE(Base64Decode(ev->GetOr("raw"), raw));
            ASSERT_LT(static_cast<std::size_t>(e.line), lines.size());
            EXPECT_EQ(raw, lines[static_cast<std::size_t>(e.line)]) << e.line;
        }
    }
    // A constituent's scope sees only its own events.
    f.organisation = "00000000-0000-7000-8000-000000000003";
    auto mine = store_->ListEvents(f);
    ASSERT_TRUE(mine);
    for (const auto& e : mine->items) EXPECT_EQ(e.organisation_id, kOwner);
    // Pages.
    EventFilter pf;
    pf.limit = 4;
    auto p1 = store_->ListEvents(pf);
    ASSERT_TRUE(p1 && p1->next);
    pf.cursor = *p1->next;
    auto p2 = store_->ListEvents(pf);
    ASSERT_TRUE(p2);
    EXPECT_LT(p2->items.front().id, p1->items.back().id);

    // The same report again: recognised, nothing stored twice.
    auto again = p->Ingest(req);
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->already_ingested);
    EXPECT_EQ(again->run.events, 10);
    EXPECT_EQ(*store_->CountEvents("shadowserver"), 10);
    // Forced: a new run whose events are all duplicates within the window.
    req.force = true;
    auto forced = p->Ingest(req);
    ASSERT_TRUE(forced);
    EXPECT_EQ(forced->run.events, 0);
    EXPECT_EQ(forced->run.duplicates, 10);
    EXPECT_EQ(*store_->CountEvents("shadowserver"), 10);
    // A fresh pipeline (restart) rebuilds the dedup window from storage.
    auto p2nd = NewPipeline(Config());
    auto after_restart = p2nd->Ingest(req);
    ASSERT_TRUE(after_restart);
    EXPECT_EQ(after_restart->run.duplicates, 10);
}

// Migration 013: events are stored compactly (fields apart from a shared base, raw as the
// record's bytes) and read back as exactly the IntelMQ JSON of the parsed event; rows written
// as JSON by migration 011 (data_format 0) stay readable.
TEST_P(PipelineTest, RawsKeptInTheirChunksSurviveChunksReadIntoAgain) {
    // Records whose raw the run's template does not rebuild (an escaped quote in a cell) keep it
    // in their input chunk until their block is closed; the chunks of the others are read into
    // again at once. Each event's raw is its own line, whichever it is.
    const std::string sample = Slurp(Data("shadowserver/scan_http.csv"));
    std::string report = sample.substr(0, sample.find('\n') + 1);  // its header
    std::vector<std::string> lines(2);  // by line number
    for (int i = 0; i < 600; ++i) {
        const bool quoted = i % 5 == 3;  // kept in its chunk
        char row[512];
        std::snprintf(row, sizeof row,
                      "\"2026-01-14 %02d:%02d:%02d\",\"info\",\"10.1.%d.%d\",\"tcp\",80,\"host-%d.example.net\",\"http\",64496,"
                      "\"TR\",\"ANKARA\",\"ANKARA\",517311,\"ptr\",\"Government\",\"HTTP/1.1\",200,\"OK\",\"text/html\","
                      "\"close\",\"%s\",\"\",\"nginx\",%d,\"\",\"Wed, 14 Jan 2026 00:00:00 GMT\",\"\"",
                      i / 3600, i / 60 % 60, i % 60, i / 250, i % 250 + 1, i, quoted ? "Basic realm=\"\"r\"\"" : "", i);
        lines.push_back(row);
        report += row;
        report += '\n';
    }
    auto p = NewPipeline(Config());
    IngestRequest req;
    req.feed = "shadowserver";
    req.data = report;
    req.file_name = "2026-01-14-scan_http-raws.csv";
    req.chunk_bytes = 1024;
    req.unit_events = 1 << 20;  // one unit: every chunk read before the blocks are closed
    auto s = p->Ingest(req);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(s->run.events, 600);
    EventFilter f;
    f.feed = "shadowserver";
    f.limit = 200;
    std::vector<StoredEvent> events;
    for (;;) {
        auto page = store_->ListEvents(f);
        ASSERT_TRUE(page) << page.error().message;
        for (auto& e : page->items) events.push_back(std::move(e));
        if (!page->next) break;
        f.cursor = *page->next;
    }
    ASSERT_EQ(events.size(), 600u);
    int mismatched = 0;
    for (const auto& e : events) {
        auto ev = Event::FromJsonText(e.data);
        ASSERT_TRUE(ev) << e.data;
        std::string raw;
        ASSERT_TRUE(Base64Decode(ev->GetOr("raw"), raw));
        ASSERT_LT(static_cast<std::size_t>(e.line), lines.size());
        if (raw != lines[static_cast<std::size_t>(e.line)]) ++mismatched;
    }
    EXPECT_EQ(mismatched, 0);
}

TEST_P(PipelineTest, StoresCompactlyAndReadsOldRows) {
    auto p = NewPipeline(Config());
    IngestRequest req = ScanHttpRequest();
    auto s = p->Ingest(req);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(s->run.events, 10);
    auto conn = *db_->Acquire();
    // Migration 019: a non-aggregated feed's events are stored in blocks, with the base.
    auto rows = conn->Query("SELECT SUM(n), SUM(CASE WHEN base_id <> 0 THEN n ELSE 0 END) FROM feed_event_blocks");
    ASSERT_TRUE(rows);
    EXPECT_EQ((*rows)[0].Int(0), 10);
    EXPECT_EQ((*rows)[0].Int(1), 10);  // with a base
    EXPECT_EQ((*conn->Query("SELECT COUNT(*) FROM feed_events"))[0].Int(0), 0);
    EXPECT_EQ((*conn->Query("SELECT COUNT(*) FROM feed_event_bases"))[0].Int(0), 1);
    // What is read back is what the parser made (observation time aside).
    const std::string text = [&] {
        std::ifstream in(req.path, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }();
    EventFilter f;
    f.limit = 100;
    auto all = store_->ListEvents(f);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->items.size(), 10u);
    const std::string first_line = text.substr(text.find('\n') + 1, text.find('\n', text.find('\n') + 1) - text.find('\n') - 1);
    bool found_first = false;
    int with_asn = 0;
    for (const auto& e : all->items) {
        auto ev = Event::FromJsonText(e.data);
        ASSERT_TRUE(ev) << e.data;
        EXPECT_EQ(ev->ToJson(), e.data);  // canonical IntelMQ JSON
        std::string raw;
        ASSERT_TRUE(Base64Decode(ev->GetOr("raw"), raw));
        EXPECT_NE(text.find(raw), std::string::npos) << raw;
        if (raw == first_line) found_first = true;
        EXPECT_EQ(ev->GetOr("feed.name"), "Accessible-HTTP");
        EXPECT_EQ(ev->GetOr("source.ip"), e.source_ip);
        // source.asn is kept once per event (the block's header) and put back as the number.
        if (e.source_asn) {
            ++with_asn;
            EXPECT_EQ(ev->GetOr("source.asn"), std::to_string(*e.source_asn)) << e.data;
            EXPECT_NE(e.data.find("\"source.asn\":" + std::to_string(*e.source_asn) + ","), std::string::npos) << e.data;
        }
    }
    EXPECT_GT(with_asn, 0);
    EXPECT_TRUE(found_first);
    // The records that the run's raw template rebuilds (the base's) are not stored again; those
    // that do not fit it are (lines 4 and 9: an escaped quote in a cell, whose value is not the
    // cell's bytes; 7: naics 0 is no field; 11: content_length quoted and empty). The template
    // is the first record's merged with line 5's, which has a set_cookie where the first has
    // none. Either way each raw read back above is its line.
    {
        auto base = conn->Query("SELECT data FROM feed_event_bases");
        ASSERT_TRUE(base && base->size() == 1);
        auto decoded = DecodeCompactBase((*base)[0].Str(0));
        ASSERT_TRUE(decoded);
        EXPECT_TRUE(decoded->raw_template);
        int from_template = 0, stored_raw = 0;
        auto blocks = conn->Query("SELECT data FROM feed_event_blocks");
        ASSERT_TRUE(blocks);
        for (const auto& b : *blocks) {
            auto block_text = UnpackBlockText(b.Str(0));
            ASSERT_TRUE(block_text);
            BlockReader reader(*block_text);
            BlockEvent be;
            while (*reader.Next(be)) {
                from_template += be.raw_from_template;
                stored_raw += be.has_raw;
                EXPECT_NE(be.raw_from_template, be.has_raw);
            }
        }
        EXPECT_EQ(from_template, 6);
        EXPECT_EQ(stored_raw, 4);
    }
    // An old row (JSON, data_format 0) written the way migration 011 did.
    const std::string old_json = R"({"classification.taxonomy":"other","classification.type":"other","raw":"eA==",)"
                                 R"("source.ip":"203.0.113.99","time.source":"2026-01-01T00:00:00+00:00"})";
    ASSERT_TRUE(conn->Execute(
        "INSERT INTO feed_events (uuid, feed, run_id, line, time_source, observed_at, taxonomy, type, source_ip, "
        "recipient_id, route, scope_path, dedup_hash, first_seen, last_seen, data) "
        "VALUES ('00000000-0000-7000-8000-0000000000aa', 'old', 999, 2, 1, 1, 'other', 'other', '203.0.113.99', 1, "
        "'unrouted', '/1/', 7, 1, 1, ?)",
        {old_json}));
    EventFilter old;
    old.feed = "old";
    auto olds = store_->ListEvents(old);
    ASSERT_TRUE(olds);
    ASSERT_EQ(olds->items.size(), 1u);
    EXPECT_EQ(olds->items[0].data, old_json);
}

// An owner's events are written against its previous one (repeated values as '='): values short
// enough for the run to keep a copy of and longer ones (read back from the block being built),
// alternating, come back as they were.
TEST_P(PipelineTest, AnOwnersRepeatedValuesReadBackShortAndLong) {
    FeedsConfig config = Config();
    config.feeds.push_back(DefaultFeed("lines", "jsonl"));
    auto p = NewPipeline(config);
    // (Values of the same size in turn: one taken for the other would show.)
    const std::string long_a(70, 'x'), long_b(70, 'y'), long_type = "unauthorised-information-modification";
    const std::vector<std::pair<std::string, std::string>> values = {
        {"a", "scanner"},   {"a", "scanner"},   {"b", "scanner"},   {"a", "exploit"},   {long_a, long_type},
        {long_a, long_type}, {long_b, "scanner"}, {long_a, long_type}, {"b", long_type},  {"b", "scanner"}};
    const fs::path path = fs::temp_directory_path() / ("muhafiz-repeats-" + core::RandomToken(6) + ".jsonl");
    {
        std::ofstream out(path, std::ios::binary);
        for (std::size_t i = 0; i < values.size(); ++i)
            out << R"({"source.ip":"192.0.2.)" << 10 + i << R"(","classification.identifier":")" << values[i].first
                << R"(","classification.type":")" << values[i].second << R"(","severity":")"
                << (i % 3 ? "high" : "critical") << R"(","time.source":"2026-01-14T00:00:0)" << i << R"(+00:00"})"
                << "\n";
    }
    IngestRequest req;
    req.feed = "lines";
    req.path = path.string();
    req.file_name = "repeats.jsonl";
    auto s = p->Ingest(req);
    fs::remove(path);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(s->run.events, static_cast<std::int64_t>(values.size()));
    EventFilter f;
    f.feed = "lines";
    f.limit = 100;
    auto all = store_->ListEvents(f);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->items.size(), values.size());
    for (const auto& e : all->items) {
        auto ev = Event::FromJsonText(e.data);
        ASSERT_TRUE(ev) << e.data;
        const std::size_t i = std::stoul(e.source_ip.substr(e.source_ip.rfind('.') + 1)) - 10;
        ASSERT_LT(i, values.size());
        EXPECT_EQ(e.organisation_id, kOwner);
        EXPECT_EQ(ev->GetOr("classification.identifier"), values[i].first) << e.data;
        EXPECT_EQ(ev->GetOr("classification.type"), values[i].second) << e.data;
        EXPECT_EQ(ev->GetOr("severity"), i % 3 ? "high" : "critical") << e.data;
    }
}

// Two ingests of the same report cannot run at once: in one process (the second is refused
// while the first runs) and across processes (the run's lease: refused while another live
// process holds it; taken over when it ran out or its process is gone).
TEST_P(PipelineTest, RefusesAConcurrentIngestOfTheSameReport) {
    auto p = NewPipeline(Config());
    IngestRequest slow = ScanHttpRequest();
    slow.chunk_bytes = 64;
    slow.throttle_ms = 150;
    std::atomic<bool> started{false};
    slow.progress = [&](const IngestProgress&) { started = true; };
    core::Result<IngestSummary> first = core::Invalid("x", "not run");
    std::thread t([&] { first = p->Ingest(slow); });
    for (int i = 0; i < 400 && !started; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(started);
    IngestRequest again = slow;
    again.throttle_ms = 0;
    again.progress = nullptr;
    auto second = p->Ingest(again);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, core::ErrorCode::kConflict);
    EXPECT_NE(second.error().message.find("is being ingested by"), std::string::npos) << second.error().message;
    // What an upload is told before it is queued (the same answer, by fingerprint).
    std::int64_t http_size = 0;
    const std::string http_hash = *FingerprintFile(slow.path, http_size);
    EXPECT_EQ(http_hash, FingerprintData(Slurp(slow.path)));
    const auto asked = p->RefuseIfBeingIngested("shadowserver", http_hash, "upload.csv");
    ASSERT_FALSE(asked);
    EXPECT_EQ(asked.error().code, core::ErrorCode::kConflict);
    EXPECT_NE(asked.error().message.find("report upload.csv is being ingested by this process"), std::string::npos)
        << asked.error().message;
    EXPECT_TRUE(p->RefuseIfBeingIngested("other-feed", http_hash, "upload.csv"));
    t.join();
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->run.events, 10);
    EXPECT_TRUE(first->run.lease_owner.empty());  // released when done
    EXPECT_TRUE(p->RefuseIfBeingIngested("shadowserver", http_hash, "upload.csv"));  // done: not refused

    // Another process holds a running run of this report (its lease renewed a moment ago).
    IngestRequest dns;
    dns.feed = "shadowserver";
    dns.path = Data("shadowserver/scan_dns.csv");
    dns.file_name = "2026-01-14-scan_dns-pk.csv";
    std::int64_t size = 0;
    const std::string hash = *FingerprintFile(dns.path, size);
    auto conn = *db_->Acquire();
    const core::Micros now = core::NowMicros();
    ASSERT_TRUE(conn->Execute(
        "INSERT INTO feed_runs (uuid, feed, file_name, file_hash, file_size, format, status, started_at, lease_owner, "
        "lease_until) VALUES ('00000000-0000-7000-8000-0000000000b1', 'shadowserver', ?, ?, ?, 'shadowserver', "
        "'running', ?, 'elsewhere.example:4242', ?)",
        {dns.file_name, hash, size, now, now + 60000000}));
    auto refused = p->Ingest(dns);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, core::ErrorCode::kConflict);
    EXPECT_NE(refused.error().message.find("being ingested by elsewhere.example:4242 since"), std::string::npos)
        << refused.error().message;
    const auto asked_elsewhere = p->RefuseIfBeingIngested("shadowserver", hash, dns.file_name);
    ASSERT_FALSE(asked_elsewhere);
    EXPECT_EQ(asked_elsewhere.error().code, core::ErrorCode::kConflict);
    EXPECT_NE(asked_elsewhere.error().message.find("being ingested by elsewhere.example:4242 since"), std::string::npos)
        << asked_elsewhere.error().message;
    // A process of this host that is gone holds nothing: its run is resumed.
    const pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    ASSERT_TRUE(conn->Execute("UPDATE feed_runs SET lease_owner = ? WHERE uuid = '00000000-0000-7000-8000-0000000000b1'",
                              {std::string(host) + ":" + std::to_string(child)}));
    EXPECT_TRUE(p->RefuseIfBeingIngested("shadowserver", hash, dns.file_name));  // (its process is gone)
    auto resumed = p->Ingest(dns);
    ASSERT_TRUE(resumed) << resumed.error().message;
    EXPECT_TRUE(resumed->resumed);
    EXPECT_EQ(resumed->run.status, "done");
    EXPECT_GT(resumed->run.events, 0);
}

TEST_P(PipelineTest, AggregatesLikeN6) {
    auto p = NewPipeline(Config());
    // The same bot seen three times within the window, in two reports.
    const std::string header = Slurp(Data("shadowserver/event4_sinkhole_http.csv")).substr(0, Slurp(Data("shadowserver/event4_sinkhole_http.csv")).find('\n') + 1);
    auto row = [](const std::string& time, int port) {
        return "\"" + time + "\",\"tcp\",\"192.0.2.34\"," + std::to_string(port) +
               ",64496,\"PK\",\"\",\"\",\"\",0,\"\",\"\",\"\",\"\",\"critical\",\"203.0.113.250\",80,64499,\"US\",\"\",\"\",\"\",0,\"\",\"\",\"conficker\",\"conficker\",\"\",\"http\",\"\",\"\",\"/gate.php\",\"c2.example.org\",\"\",\"\",\"\",\"\",\"\",\"\"\n";
    };
    IngestRequest a;
    a.feed = "sinkhole";
    a.data = header + row("2026-01-14 00:00:00", 1000) + row("2026-01-14 00:10:00", 1001);
    a.file_name = "a.csv";
    auto s1 = p->Ingest(a);
    ASSERT_TRUE(s1) << s1.error().message;
    EXPECT_EQ(s1->run.events, 1);
    EXPECT_EQ(s1->run.aggregated, 1);
    IngestRequest b = a;
    b.data = header + row("2026-01-14 00:20:00", 1002);
    b.file_name = "b.csv";
    auto s2 = p->Ingest(b);
    ASSERT_TRUE(s2) << s2.error().message;
    EXPECT_EQ(s2->run.events, 0);
    EXPECT_EQ(s2->run.aggregated, 1);
    EventFilter f;
    f.feed = "sinkhole";
    auto list = store_->ListEvents(f);
    ASSERT_TRUE(list);
    ASSERT_EQ(list->items.size(), 1u);
    EXPECT_EQ(list->items[0].count, 3);
    EXPECT_EQ(list->items[0].last_seen - list->items[0].first_seen, 20LL * 60 * 1000000);
}

TEST_P(PipelineTest, BadInputGoesToDeadLettersAndReplays) {
    auto p = NewPipeline(Config());
    const std::string text = Slurp(Data("shadowserver/scan_dns.csv"));
    const auto nl = text.find('\n');
    std::string broken = text.substr(0, nl + 1);
    std::istringstream rows(text.substr(nl + 1));
    std::string line;
    int i = 0;
    while (std::getline(rows, line)) {
        if (i == 2) broken += "\"2026-01-14 00:00:00\",\"medium\",\"192.0.2.300\",\"udp\",53,\"\",\"\",1,\"TR\",\"\",\"\",0,\"\",\"\",\"\",1\n";
        if (i == 4) broken += "\"2026-01-14 00:00:00\",\"medium\"\n";
        broken += line + "\n";
        ++i;
    }
    broken += "\"2026-01-14 00:00:00\",\"medium\",\"192.0.2.77\",\"udp\",53,\"trunc";
    IngestRequest req;
    req.feed = "shadowserver";
    req.data = broken;
    req.file_name = "scan_dns-broken.csv";
    auto s = p->Ingest(req);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->run.events, 10);
    EXPECT_EQ(s->run.rejected, 3);
    auto dl = store_->ListDeadLetters("shadowserver", "open", 50, "");
    ASSERT_TRUE(dl);
    ASSERT_EQ(dl->total, 3);
    std::set<std::int64_t> lines;
    for (const auto& d : dl->items) {
        lines.insert(d.line);
        EXPECT_EQ(d.file_name, "scan_dns-broken.csv");
        EXPECT_FALSE(d.reason.empty());
    }
    EXPECT_EQ(lines, (std::set<std::int64_t>{4, 7, 14}));
    // Nothing parses better on replay: they stay open.
    auto r = p->Replay("shadowserver", {}, "test");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->tried, 3);
    EXPECT_EQ(r->replayed, 0);
    // An empty report is one dead letter.
    IngestRequest empty;
    empty.feed = "shadowserver";
    empty.data = "";
    empty.file_name = "empty.csv";
    auto e = p->Ingest(empty);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->run.rejected, 1);
    // A header that fits no report fails the run with a clear reason.
    IngestRequest odd;
    odd.feed = "shadowserver";
    odd.data = "a,b,c\n1,2,3\n";
    odd.file_name = "odd.csv";
    auto o = p->Ingest(odd);
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().message.find("Shadowserver report"), std::string::npos);
}

TEST_P(PipelineTest, ResumesAfterSigkillWithoutLossOrDuplicates) {
    // A report of 30000 rows.
    const std::string sample = Slurp(Data("shadowserver/scan_http.csv"));
    const std::string header = sample.substr(0, sample.find('\n') + 1);
    const fs::path file = fs::temp_directory_path() / ("feeds-resume-" + core::RandomToken(6) + ".csv");
    {
        std::ofstream out(file);
        out << header;
        for (int i = 0; i < 30000; ++i) {
            const int a = i / 250, b = i % 250 + 1;
            out << "\"2026-01-14 00:00:00\",\"info\",\"10." << (a / 250) << "." << (a % 250) << "." << b
                << "\",\"tcp\",80,\"\",\"http\",64496,\"PK\",\"\",\"\",0,\"\",\"\",\"HTTP/1.1\",200,\"OK\",\"text/html\","
                   "\"close\",\"\",\"\",\"nginx\",100,\"\",\"\",\"\"\n";
        }
    }
    IngestRequest req;
    req.feed = "shadowserver";
    req.path = file.string();
    req.file_name = "scan_http-big.csv";
    req.chunk_bytes = 16 << 10;
    const int status = IngestAndKill(req, 20, [](const IngestProgress& pr) { return pr.events >= 3000; });
    ASSERT_TRUE(WIFSIGNALED(status));
    const auto stored_before = *store_->CountEvents("shadowserver");
    EXPECT_GE(stored_before, 3000);
    EXPECT_LT(stored_before, 30000);

    auto p = NewPipeline(Config());
    auto s = p->Ingest(req);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(s->resumed);
    EXPECT_EQ(s->run.lines_read, 30000);
    EXPECT_EQ(s->run.events, 30000);
    EXPECT_EQ(s->run.rejected, 0);
    EXPECT_EQ(s->run.duplicates, 0);
    EXPECT_EQ(*store_->CountEvents("shadowserver"), 30000);
    {
        // A resumed run's per-recipient counts come from storage (the ids above the run's
        // first_event_id; feed_events has no run_id index): they include what the killed attempt
        // committed, so every stored event is counted for its recipient at least once.
        auto conn = *db_->Acquire();
        const auto stored = (*conn->Query("SELECT (SELECT COUNT(*) FROM feed_events WHERE run_id = ?) + "
                                          "(SELECT COALESCE(SUM(n), 0) FROM feed_event_blocks WHERE run_id = ?)",
                                          {s->run.id, s->run.id}))[0].Int(0);
        std::int64_t counted = 0;
        for (const auto& [org, n] : s->per_recipient) counted += n;
        EXPECT_EQ(stored, 30000);
        EXPECT_GE(counted, stored);
        const auto later = *store_->CreateRun(*conn, RunRecord{.feed = "shadowserver", .status = "done",
                                                                .started_at = core::NowMicros()});
        const auto first = (*conn->Query("SELECT first_event_id FROM feed_runs WHERE id = ?", {later.id}))[0].Int(0);
        EXPECT_EQ(first, TopEventId(*conn));
    }
    auto again = p->Ingest(req);
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->already_ingested);
    EXPECT_EQ(*store_->CountEvents("shadowserver"), 30000);
    fs::remove(file);
}

// Non-aggregated feeds store the events of many input chunks together (one unit: its blocks,
// the chunks' counters, dead letters and the resume point of its last chunk in one transaction).
// Killed between units, the run resumes without losing or repeating an event.
TEST_P(PipelineTest, MergedUnitsSpanChunksAndResumeAfterSigkill) {
    const std::string sample = Slurp(Data("shadowserver/scan_http.csv"));
    const std::string header = sample.substr(0, sample.find('\n') + 1);
    const fs::path file = fs::temp_directory_path() / ("feeds-units-" + core::RandomToken(6) + ".csv");
    {
        std::ofstream out(file);
        out << header;
        for (int i = 0; i < 30000; ++i) {
            const int a = i / 250, b = i % 250 + 1;
            if (i % 1000 == 999) {
                out << "not,a,record\n";  // a dead letter now and then
                continue;
            }
            out << "\"2026-01-14 00:00:00\",\"info\",\"10." << (a / 250) << "." << (a % 250) << "." << b
                << "\",\"tcp\",80,\"\",\"http\"," << (64496 + i % 7) << ",\"PK\",\"\",\"\",0,\"\",\"\",\"HTTP/1.1\",200,"
                   "\"OK\",\"text/html\",\"close\",\"\",\"\",\"nginx\",100,\"\",\"\",\"\"\n";
        }
    }
    IngestRequest req;
    req.feed = "shadowserver";
    req.path = file.string();
    req.file_name = "scan_http-units.csv";
    req.chunk_bytes = 2048;  // about ten records a chunk
    req.unit_events = 2000;  // a unit: about two hundred chunks
    // Throttled after each unit; progress comes per unit: whole units of at least unit_events.
    const int status = IngestAndKill(req, 30, [last = std::int64_t{0}](const IngestProgress& pr) mutable {
        if (pr.events - last < 2000 && pr.bytes_done < pr.bytes_total) _exit(3);
        last = pr.events;
        return pr.events >= 6000;
    });
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exit " << WEXITSTATUS(status);
    {
        // What the killed run committed is consistent: its counters are what is stored, and its
        // blocks hold the events of many chunks each.
        auto conn = *db_->Acquire();
        const auto run = (*conn->Query("SELECT id, events, rejected, next_line FROM feed_runs WHERE file_name = ?",
                                       {req.file_name}))[0];
        const auto stored = (*conn->Query("SELECT COALESCE(SUM(n), 0), COALESCE(MAX(n), 0) FROM feed_event_blocks "
                                          "WHERE run_id = ?",
                                          {run.Int(0)}))[0];
        const auto letters =
            (*conn->Query("SELECT COUNT(*) FROM feed_dead_letters WHERE run_id = ?", {run.Int(0)}))[0].Int(0);
        EXPECT_GE(run.Int(1), 6000);
        EXPECT_LT(run.Int(1), 29970);
        EXPECT_EQ(stored.Int(0), run.Int(1));
        EXPECT_GT(stored.Int(1), 100);  // a block of more than ten chunks' events
        EXPECT_EQ(letters, run.Int(2));
        EXPECT_EQ(run.Int(1) + run.Int(2), run.Int(3) - 2);  // every line before the resume point
    }

    auto p = NewPipeline(Config());
    auto s = p->Ingest(req);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(s->resumed);
    EXPECT_EQ(s->run.lines_read, 30000);
    EXPECT_EQ(s->run.events, 29970);
    EXPECT_EQ(s->run.rejected, 30);
    EXPECT_EQ(s->run.duplicates, 0);
    EXPECT_EQ(*store_->CountEvents("shadowserver"), 29970);
    auto conn = *db_->Acquire();
    EXPECT_EQ((*conn->Query("SELECT COUNT(*) FROM feed_dead_letters WHERE run_id = ?", {s->run.id}))[0].Int(0), 30);
    // Every event once: the stored lines are distinct.
    std::set<std::int64_t> lines;
    EventFilter f;
    f.feed = "shadowserver";
    f.limit = 500;
    for (;;) {
        auto page = store_->ListEvents(f);
        ASSERT_TRUE(page) << page.error().message;
        for (const auto& e : page->items) {
            EXPECT_TRUE(lines.insert(e.line).second) << e.line;
            EXPECT_EQ(e.source_asn, 64496 + (e.line - 2) % 7);
        }
        if (!page->next) break;
        f.cursor = *page->next;
    }
    EXPECT_EQ(lines.size(), 29970u);
    fs::remove(file);
}

// A block holds at most kMaxBlockEvents events: the recipient's next events open a new block in
// the same unit (the full one is sealed and closed with the others), and every event is stored once.
TEST_P(PipelineTest, AFullBlockIsSealedAndTheNextOneOpens) {
    const std::string sample = Slurp(Data("shadowserver/scan_http.csv"));
    const fs::path file = fs::temp_directory_path() / ("feeds-full-" + core::RandomToken(6) + ".csv");
    constexpr int kRows = static_cast<int>(kMaxBlockEvents) + 4000, kEvery = 25;  // one row in 25 unowned
    int owned = 0;
    {
        std::ofstream out(file);
        out << sample.substr(0, sample.find('\n') + 1);
        for (int i = 0; i < kRows; ++i) {
            const bool mine = i % kEvery != 0;
            owned += mine;
            char when[32];
            std::snprintf(when, sizeof when, "2026-01-14 %02d:%02d:%02d", i / 3600, i / 60 % 60, i % 60);
            out << "\"" << when << "\",\"info\",\"" << (mine ? "192.0.2." : "203.0.113.") << (i % 100 + 1)
                << "\",\"tcp\",80,\"\",\"http\",64496,\"PK\",\"\",\"\",0,\"\",\"\",\"HTTP/1.1\",200,\"OK\",\"text/html\","
                   "\"close\",\"\",\"\",\"nginx\",100,\"\",\"\",\"\"\n";
        }
    }
    ASSERT_GT(owned, kMaxBlockEvents);
    IngestRequest req;
    req.feed = "shadowserver";
    req.path = file.string();
    req.file_name = "scan_http-full.csv";
    req.unit_events = 1 << 20;  // one unit
    auto p = NewPipeline(Config());
    auto s = p->Ingest(req);
    fs::remove(file);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->run.events, kRows);
    EXPECT_EQ(s->run.duplicates, 0);
    auto conn = *db_->Acquire();
    // (The owner's events go to its CERT.)
    const auto blocks = *conn->Query("SELECT n FROM feed_event_blocks WHERE run_id = ? AND recipient_id = ? ORDER BY id",
                                     {s->run.id, kSector});
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[0].Int(0), kMaxBlockEvents);
    EXPECT_EQ(blocks[1].Int(0), owned - kMaxBlockEvents);
    EXPECT_EQ(*store_->CountEvents("shadowserver"), kRows);
    auto mine = store_->EventsFor(*conn, kOwner, 0, 2 * kRows);
    ASSERT_TRUE(mine) << mine.error().message;
    std::set<std::int64_t> lines;
    for (const auto& e : *mine) {
        EXPECT_EQ(e.organisation_id, kOwner);
        EXPECT_NE((e.line - 2) % kEvery, 0) << e.line;
        EXPECT_EQ(e.source_ip, "192.0.2." + std::to_string((e.line - 2) % 100 + 1)) << e.line;
        lines.insert(e.line);
    }
    EXPECT_EQ(lines.size(), static_cast<std::size_t>(owned));
}

TEST_P(PipelineTest, DigestsReachARealSmtpServer) {
    // The bank gets its events encrypted to its key; the partner CERT gets its own digest.
    if (fs::exists(maildir_ / "new"))
        for (const auto& f : fs::directory_iterator(maildir_ / "new")) fs::remove(f.path());
    KeyPair key = KeyPair::Generate("abuse@bank.example.pk");
    {
        auto conn = *db_->Acquire();
        core::json::object contacts{{"abuse_email", "abuse@bank.example.pk"}, {"pgp_key", key.public_key}};
        ASSERT_TRUE(conn->Execute("UPDATE organisations SET contacts = ? WHERE id = ?",
                                  {core::ToJson(contacts), kOwner}));
    }
    auto p = NewPipeline(Config());
    IngestRequest req;
    req.feed = "shadowserver";
    req.data = Slurp(Data("shadowserver/scan_snmp.csv"));
    // One row of the sample is re-addressed to Germany, for the partner CERT.
    const auto pos = req.data.find("\"198.51.100.228\"");
    ASSERT_NE(pos, std::string::npos);
    const auto tr = req.data.find("\"TR\"", pos);
    req.data.replace(tr, 4, "\"DE\"");
    req.file_name = "scan_snmp.csv";
    auto s = p->Ingest(req);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE(store_->SetDigestPref(kOwner, "*", "immediate"));
    notify::Notifier notifier("CERT <cert@cert.example.pk>");
    DigestOptions opts;
    DigestService digests(*store_, notifier, opts);
    auto r = digests.RunDue(core::NowMicros(), false);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_GE(r->sent, 1);  // the bank (immediate); the daily ones are due on the first run too
    auto again = digests.RunDue(core::NowMicros(), false);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->sent, 0);  // every event was covered once
    notify::SmtpConfig smtp;
    smtp.url = "smtp://127.0.0.1:" + std::to_string(smtp_port_);
    smtp.from = "bounces@cert.example.pk";
    notify::Dispatcher dispatcher(*db_, std::make_unique<notify::SmtpChannel>(smtp), nullptr);
    ASSERT_TRUE(dispatcher.Flush(std::chrono::seconds(30)));

    auto log = store_->ListDigests(db::Predicate{}, 50, "");
    ASSERT_TRUE(log);
    std::string bank_ref, partner_ref;
    for (const auto& d : log->items) {
        EXPECT_EQ(d.delivery_status, d.status == "queued" ? "delivered" : "");
        if (d.organisation_id == kOwner) {
            bank_ref = d.reference;
            EXPECT_TRUE(d.encrypted);
        }
        if (d.organisation_id == kPartner) partner_ref = d.reference;
    }
    ASSERT_FALSE(bank_ref.empty());
    ASSERT_FALSE(partner_ref.empty());
    auto bank = notify::test::MaildirMessages(maildir_, "X-Muhafiz-Reference: " + bank_ref);
    ASSERT_EQ(bank.size(), 1u);
    EXPECT_NE(bank[0].find("X-RcptTo: abuse@bank.example.pk"), std::string::npos);
    auto msg = notify::test::ParseMessage(bank[0]);
    auto inner = notify::test::DecryptPgpMime(msg.get(), key);
    ASSERT_TRUE(inner);
    bool csv = false, summary = false;
    for (GMimeObject* leaf : notify::test::Leaves(inner.get())) {
        const std::string body = notify::test::Decoded(leaf);
        if (notify::test::MimeType(leaf) == "text/csv") {
            csv = true;
            EXPECT_NE(body.find("192.0.2.12"), std::string::npos);
        }
        if (notify::test::MimeType(leaf) == "text/plain" && body.find("By classification") != std::string::npos)
            summary = true;
    }
    EXPECT_TRUE(csv);
    EXPECT_TRUE(summary);
    auto partner = notify::test::MaildirMessages(maildir_, "X-Muhafiz-Reference: " + partner_ref);
    ASSERT_EQ(partner.size(), 1u);
    EXPECT_NE(partner[0].find("X-RcptTo: cert@cert.example.de"), std::string::npos);
    EXPECT_NE(partner[0].find("text/csv"), std::string::npos);  // not encrypted: no key
}

// Migration 015: feed_events_owner holds owned events only (partial index); an owner's digest
// query still finds its events through it, and unowned events are found through the recipient.
TEST_P(PipelineTest, OwnerIndexHoldsOwnedEventsOnly) {
    auto p = NewPipeline(Config());
    IngestRequest req = ScanHttpRequest();
    auto s = p->Ingest(req);
    ASSERT_TRUE(s) << s.error().message;
    auto conn = *db_->Acquire();
    std::int64_t owned = 0;  // (counted by the run: its events are in blocks, migration 019)
    for (const auto& [org, n] : s->per_recipient)
        if (org == kOwner) owned = n;
    ASSERT_GE(owned, 2);
    auto mine = store_->EventsFor(*conn, kOwner, 0, 1000);
    ASSERT_TRUE(mine) << mine.error().message;
    std::int64_t as_owner = 0;
    for (const auto& e : *mine) as_owner += e.organisation_id == kOwner;
    EXPECT_EQ(as_owner, owned);
    // An unrouted event (no owner), written as migration 011 did: found through its recipient.
    ASSERT_TRUE(conn->Execute(
        "INSERT INTO feed_events (uuid, feed, run_id, line, time_source, observed_at, taxonomy, type, source_ip, "
        "recipient_id, route, scope_path, dedup_hash, first_seen, last_seen, data) "
        "VALUES ('00000000-0000-7000-8000-0000000000ab', 'old', 999, 2, 1, 1, 'other', 'other', '203.0.113.98', ?, "
        "'unrouted', '/1/', 8, 1, 1, '{}')",
        {kRoot}));
    auto theirs = store_->EventsFor(*conn, kRoot, 0, 1000);
    ASSERT_TRUE(theirs);
    std::int64_t unowned_seen = 0;
    for (const auto& e : *theirs) unowned_seen += e.organisation_id == 0;
    EXPECT_GE(unowned_seen, 1);
    auto pending = store_->PendingRecipients(*conn, core::NowMicros());
    ASSERT_TRUE(pending);
    EXPECT_NE(std::find(pending->begin(), pending->end(), kOwner), pending->end());
    if (db_->dialect() == db::Dialect::kSqlite) {
        auto plan = conn->Query("EXPLAIN QUERY PLAN SELECT id FROM feed_events WHERE organisation_id = ? AND id > ?",
                                {kOwner, std::int64_t{0}});
        ASSERT_TRUE(plan);
        std::string text;
        for (const auto& r : *plan) text += r.Str(r.cells.size() - 1) + "\n";
        EXPECT_NE(text.find("feed_events_owner"), std::string::npos) << text;
        auto sql = conn->Query("SELECT sql FROM sqlite_master WHERE name = 'feed_events_owner'");
        ASSERT_TRUE(sql && !sql->empty());
        EXPECT_NE((*sql)[0].Str(0).find("organisation_id IS NOT NULL"), std::string::npos);
    } else {
        auto def = conn->Query("SELECT indexdef FROM pg_indexes WHERE indexname = 'feed_events_owner' "
                               "AND schemaname = current_schema()");
        ASSERT_TRUE(def && !def->empty());
        EXPECT_NE((*def)[0].Str(0).find("organisation_id IS NOT NULL"), std::string::npos) << (*def)[0].Str(0);
    }
}

// Migration 016: the digest cycle reads only the events stored since its last scan. An organisation
// is pending while it has events no digest holds (also one whose daily digest is not due yet) and
// leaves the set once they are all digested; new events bring it back. Events of a run that is
// still being ingested are scanned again until it ends (PostgreSQL ids are not commit-ordered).
TEST_P(PipelineTest, DigestCycleReadsOnlyNewEvents) {
    auto p = NewPipeline(Config());
    auto s = p->Ingest(ScanHttpRequest());
    ASSERT_TRUE(s) << s.error().message;
    auto conn = *db_->Acquire();
    const auto now = core::NowMicros();
    auto pending = [&] {
        auto r = store_->PendingRecipients(*conn, core::NowMicros());
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : std::vector<std::int64_t>{};
    };
    auto has = [](const std::vector<std::int64_t>& v, std::int64_t id) { return std::find(v.begin(), v.end(), id) != v.end(); };
    ASSERT_TRUE(has(pending(), kOwner));
    const auto top = TopEventId(*conn);
    EXPECT_EQ((*conn->Query("SELECT last_event_id FROM feed_digest_scan"))[0].Int(0), top);

    ASSERT_TRUE(store_->SetDigestPref(kOwner, "*", "daily"));
    notify::Notifier notifier("CERT <cert@cert.example.pk>");
    DigestService digests(*store_, notifier, DigestOptions{});
    ASSERT_TRUE(digests.RunDue(now, false));
    EXPECT_FALSE(has(pending(), kOwner));  // every interval is past its events
    EXPECT_TRUE(pending().empty());

    // A new event: pending again; its daily digest was just sent, so the next cycle keeps it pending.
    ASSERT_TRUE(conn->Execute(
        "INSERT INTO feed_events (id, uuid, feed, run_id, line, time_source, observed_at, taxonomy, type, source_ip, "
        "organisation_id, recipient_id, route, scope_path, dedup_hash, first_seen, last_seen, data) "
        "VALUES (?, '00000000-0000-7000-8000-0000000000ac', 'x', 999, 2, 1, 1, 'vulnerable', 'vulnerable-system', "
        "'203.0.113.97', ?, ?, 'owner', '/1/', 9, 1, 1, '{}')",
        {NextEventId(*conn), kOwner, kOwner}));
    ASSERT_TRUE(has(pending(), kOwner));
    auto r = digests.RunDue(now + 1000000, false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->sent, 0);
    EXPECT_TRUE(has(pending(), kOwner));
    r = digests.RunDue(now + 25LL * 3600 * 1000000, false);  // a day later: sent, and done
    ASSERT_TRUE(r);
    EXPECT_EQ(r->sent + r->skipped, 1);  // queued, or skipped when it has no address: digested
    EXPECT_FALSE(has(pending(), kOwner));

    // A run being ingested (created when `last` was the newest event) holds the scan mark there:
    // its events are read again by every cycle until it ends.
    const auto last = TopEventId(*conn);
    ASSERT_TRUE(conn->Execute(
        "INSERT INTO feed_runs (uuid, feed, source, file_name, file_hash, file_size, format, status, started_at, "
        "lease_owner, lease_until, first_event_id) VALUES ('00000000-0000-7000-8000-0000000000ad', 'x', 'file', 'f', "
        "'h', 1, 'jsonl', 'running', ?, 'elsewhere.example:1', ?, ?)",
        {now, core::NowMicros() + 60000000, last}));
    ASSERT_TRUE(conn->Execute(
        "INSERT INTO feed_events (id, uuid, feed, run_id, line, time_source, observed_at, taxonomy, type, source_ip, "
        "recipient_id, route, scope_path, dedup_hash, first_seen, last_seen, data) "
        "VALUES (?, '00000000-0000-7000-8000-0000000000ae', 'x', 999, 3, 1, 1, 'other', 'other', '203.0.113.96', ?, "
        "'unrouted', '/1/', 10, 1, 1, '{}')",
        {NextEventId(*conn), kRoot}));
    EXPECT_TRUE(has(pending(), kRoot));
    EXPECT_EQ((*conn->Query("SELECT last_event_id FROM feed_digest_scan"))[0].Int(0), last);
}

INSTANTIATE_TEST_SUITE_P(Backends, PipelineTest, ::testing::ValuesIn(db::testing::BackendNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace muhafiz::feeds
