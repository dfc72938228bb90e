// Golden-file tests of every parser (tests/data/feeds/golden/*.jsonl: the IntelMQ JSON lines each
// sample parses to, with a fixed observation time), the event's sanitation rules, bad input
// (broken quoting, wrong column counts, bad addresses and timestamps, non-UTF-8 bytes, truncated
// records) and the network data loaders against the expected results shipped with the samples.
// MUHAFIZ_UPDATE_GOLDEN=1 rewrites the golden files (review the diff!).
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include <cstdlib>
#include <ctime>
#include <functional>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "core/csv.hpp"
#include "core/net.hpp"
#include "feeds/event.hpp"
#include "feeds/network_data.hpp"
#include "feeds/parsers.hpp"
#include "feeds/pipeline.hpp"

namespace muhafiz::feeds {
namespace {

namespace fs = std::filesystem;

std::string Root() {
    const char* s = std::getenv("MUHAFIZ_SOURCE_DIR");
    return s ? s : ".";
}
std::string Data(const std::string& rel) { return Root() + "/tests/data/feeds/" + rel; }

std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

constexpr core::Micros kObserved = 1768372202000000;  // 2026-01-14T06:30:02Z

ParseContext Ctx() {
    ParseContext c;
    c.observation = kObserved;
    c.feed_code = "shadowserver";
    c.tlp = "AMBER";
    return c;
}

// What ParseAll gives: the events of every chunk, with their lines.
struct Parsed {
    std::vector<Event> events;
    std::vector<std::int64_t> event_lines;
    std::vector<Rejection> rejected;
    std::int64_t records = 0;
};

// Parses a whole text the way the pipeline does (header first, then the rest in small chunks so
// chunk boundaries are exercised).
// `reuse`: an event list whose elements the parser reuses (as the pipeline hands back the lists of
// the batches it is done with); the text's events are built in it, copied out, and stay there
// for the caller. `lent`: the chunks are kept there and lent to the events
// (ParseOutput::lend_text, as the pipeline does). `ready_every`: the events are taken as they are
// parsed, that many at a time (ParseOutput::ready, as the pipeline does), then the rest.
Parsed ParseAll(Parser& p, const std::string& text, std::size_t chunk = 300, RoutedEvents* reuse = nullptr,
                std::deque<std::string>* lent = nullptr, std::size_t ready_every = 0) {
    auto reader = ChunkReader::FromData(text);
    std::int64_t line = 1;
    if (p.has_header()) {
        auto h = reader->ReadFirstLine();
        EXPECT_TRUE(h && *h);
        auto st = p.Begin(**h);
        EXPECT_TRUE(st) << (st ? "" : st.error().message);
        line = 2;
    }
    ParseOutput out;
    if (reuse) {
        out.events = std::move(*reuse);
        out.events.clear();
    }
    Parsed all;
    auto take = [&](RoutedEvents& events) {
        for (RoutedEvent& r : events) {
            EXPECT_EQ(r.first_seen, r.time_source);
            EXPECT_EQ(r.last_seen, r.time_source);
            EXPECT_EQ(r.time_source, TimeSource(r.event));
            if (reuse) all.events.push_back(r.event);
            else all.events.push_back(std::move(r.event));
            all.event_lines.push_back(r.line);
        }
    };
    if (ready_every) {
        out.ready_every = ready_every;
        out.ready = [&](RoutedEvents& events) {
            EXPECT_EQ(events.size(), ready_every);
            take(events);
            events.clear();
        };
    }
    std::string c;
    while (true) {
        auto more = reader->Next(c, chunk, p.csv_records());
        EXPECT_TRUE(more);
        if (!more || !*more) break;
        out.lend_text = lent != nullptr;
        if (lent) lent->push_back(std::move(c));
        const std::string& parsed = lent ? lent->back() : c;
        p.Parse(parsed, line, out);  // (appends)
        // (The reader counts the chunk's line ends as it reads it.)
        EXPECT_EQ(reader->chunk_line_ends(), static_cast<std::size_t>(std::count(parsed.begin(), parsed.end(), '\n')));
        line += std::count(parsed.begin(), parsed.end(), '\n');
    }
    EXPECT_LT(out.events.size(), ready_every ? ready_every : SIZE_MAX);
    take(out.events);
    all.rejected = std::move(out.rejected);
    all.records = out.records;
    if (reuse) *reuse = std::move(out.events);
    return all;
}

std::string LowerStrForTest(std::string_view s) {
    std::string o(s);
    for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return o;
}

std::string Render(const Parsed& out) {
    std::string s;
    for (std::size_t i = 0; i < out.events.size(); ++i) s += out.events[i].ToJson() + "\n";
    for (const auto& r : out.rejected) s += "REJECTED line " + std::to_string(r.line) + ": " + r.reason + "\n";
    return s;
}

void Golden(const std::string& name, const std::string& actual) {
    const std::string path = Data("golden/" + name + ".jsonl");
    if (std::getenv("MUHAFIZ_UPDATE_GOLDEN")) {
        std::ofstream(path, std::ios::binary) << actual;
        return;
    }
    ASSERT_TRUE(fs::exists(path)) << path << " is missing (run with MUHAFIZ_UPDATE_GOLDEN=1)";
    EXPECT_EQ(Slurp(path), actual) << "golden file " << path;
}

class ShadowserverGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ShadowserverGolden, MatchesGoldenFile) {
    const std::string name = GetParam();
    const std::string text = Slurp(Data("shadowserver/" + name + ".csv"));
    ASSERT_FALSE(text.empty());
    // Detected from the file name.
    auto p = MakeParser("shadowserver", Ctx(), "2026-01-14-" + name + "-pk.csv");
    ASSERT_TRUE(p) << p.error().message;
    Parsed out = ParseAll(**p, text);
    EXPECT_EQ(out.events.size(), 10u) << Render(out);
    EXPECT_TRUE(out.rejected.empty()) << Render(out);
    EXPECT_EQ((*p)->format(), "shadowserver:" + name);
    Golden("shadowserver_" + name, Render(out));
    // Every event passes its own sanitation again and round-trips through IntelMQ JSON.
    for (const auto& e : out.events) {
        auto back = Event::FromJsonText(e.ToJson());
        ASSERT_TRUE(back) << back.error().message << "\n" << e.ToJson();
        EXPECT_EQ(back->ToJson(), e.ToJson());
    }
    // ... and through the compact stored form (migration 013), against a base of the sample.
    std::vector<const Event*> sample;
    for (const auto& e : out.events) sample.push_back(&e);
    const CompactBase base = MakeCompactBase(sample);
    auto stored = DecodeCompactBase(base.text);
    ASSERT_TRUE(stored);
    for (const auto& e : out.events) {
        std::string data;
        std::optional<std::string> raw;
        ASSERT_TRUE(EncodeCompact(e, &base, data, raw));
        auto back = DecodeCompact(data, &*stored, raw ? &*raw : nullptr);
        ASSERT_TRUE(back) << back.error().message << "\n" << data;
        EXPECT_EQ(back->ToJson(), e.ToJson());
        EXPECT_EQ(back->Hash(), e.Hash());
    }
    // Detected from the header alone, too (the IPv6 twin has the same columns: only its file
    // name tells it apart).
    if (name == "scan6_http") return;
    auto q = MakeParser("shadowserver", Ctx(), "report.csv");
    ASSERT_TRUE(q);
    Parsed out2 = ParseAll(**q, text, 1 << 20);
    EXPECT_EQ(Render(out2), Render(out));
}

INSTANTIATE_TEST_SUITE_P(Samples, ShadowserverGolden,
                         ::testing::Values("scan_http", "scan6_http", "scan_dns", "scan_ntp", "scan_snmp", "scan_rdp",
                                           "event4_sinkhole_http", "compromised_website", "blocklist"));

// ---- Shared constants: the same events as with every field the event's own -------------------

// The event with every field its own (no shared list): what the parsers built before the
// constants of a report were shared.
Event Unshared(const Event& e) {
    Event u;
    for (const Field& f : e.fields()) u.Append(f.key, f.value, f.kind);
    if (const auto* b = e.raw_bytes()) u.SetRawBytes(*b, e.raw_bytes_are_text());
    return u;
}

// `a` (may share fields) and `b` (all its own) are the same event to every reader.
void ExpectSameEvent(const Event& a, const Event& b) {
    ASSERT_EQ(b.shared_mask(), 0u);
    EXPECT_EQ(a.ToJson(), b.ToJson());
    EXPECT_EQ(boost::json::serialize(a.ToJsonObject()), boost::json::serialize(b.ToJsonObject()));
    EXPECT_EQ(a.Hash(), b.Hash());
    EXPECT_EQ(a.Hash({}, {"feed.name", "source.ip"}), b.Hash({}, {"feed.name", "source.ip"}));
    EXPECT_EQ(a.Hash({"classification.type", "source.ip", "time.observation", "tlp"}),
              b.Hash({"classification.type", "source.ip", "time.observation", "tlp"}));
    EXPECT_EQ(a.fields().size(), b.fields().size());
    EXPECT_EQ(a.empty(), b.empty());
    for (const Field& f : b.fields()) {
        const std::string_view* v = a.Get(f.key.view());
        ASSERT_NE(v, nullptr) << f.key.view();
        EXPECT_EQ(*v, *b.Get(f.key.view())) << f.key.view();
        ASSERT_NE(a.Find(f.key), nullptr) << f.key.view();
        EXPECT_EQ(*a.Find(f.key), *b.Find(f.key)) << f.key.view();
        EXPECT_TRUE(a.HasKey(f.key)) << f.key.view();
    }
    for (const char* k : {"feed.name", "feed.code", "tlp", "severity", "protocol.transport", "protocol.application",
                          "classification.identifier", "feed.accuracy", "feed.url", "raw", "extra.nothing"}) {
        EXPECT_EQ(a.Has(k), b.Has(k)) << k;
        EXPECT_EQ(a.HasKey(Key(k)), b.HasKey(Key(k))) << k;
    }
}

// Events of one parse encoded against a base of them (the events share one list, so the base's
// fields come from it), decoded again: the same JSON and hashes as the events with their own
// fields, encoded likewise.
void ExpectSameStored(const std::vector<Event>& events) {
    std::vector<Event> own;
    for (const auto& e : events) own.push_back(Unshared(e));
    std::vector<const Event*> sample, own_sample;
    for (const auto& e : events) sample.push_back(&e);
    for (const auto& e : own) own_sample.push_back(&e);
    const CompactBase base = MakeCompactBase(sample);
    const CompactBase own_base = MakeCompactBase(own_sample);
    // The same fields in the base (in whatever order).
    auto sorted_text = [](const CompactBase& b) {
        std::vector<std::string> v;
        for (const Field& f : b.fields) v.push_back(std::string(f.key.view()) + "=" + std::string(f.value));
        std::sort(v.begin(), v.end());
        return v;
    };
    EXPECT_EQ(sorted_text(base), sorted_text(own_base));
    auto stored = DecodeCompactBase(base.text);
    auto own_stored = DecodeCompactBase(own_base.text);
    ASSERT_TRUE(stored && own_stored);
    for (std::size_t i = 0; i < events.size(); ++i) {
        std::string data, own_data;
        std::optional<std::string> raw, own_raw;
        ASSERT_TRUE(EncodeCompact(events[i], &base, data, raw));
        ASSERT_TRUE(EncodeCompact(own[i], &own_base, own_data, own_raw));
        EXPECT_EQ(data.size(), own_data.size());
        EXPECT_EQ(raw, own_raw);
        auto back = DecodeCompact(data, &*stored, raw ? &*raw : nullptr);
        auto own_back = DecodeCompact(own_data, &*own_stored, own_raw ? &*own_raw : nullptr);
        ASSERT_TRUE(back && own_back);
        EXPECT_EQ(back->ToJson(), own_back->ToJson());
        EXPECT_EQ(back->ToJson(), events[i].ToJson());
        EXPECT_EQ(back->Hash(), own[i].Hash());
        // Without a base too.
        ASSERT_TRUE(EncodeCompact(events[i], nullptr, data, raw));
        auto plain = DecodeCompact(data, nullptr, raw ? &*raw : nullptr);
        ASSERT_TRUE(plain);
        EXPECT_EQ(plain->ToJson(), own[i].ToJson());
    }
}

// Changes of shared keys (set, replace, remove, append after removal, copies, moves, another
// list) act as on fields of the event's own.
void ExpectSameAfterChanges(const Event& shared) {
    Event a = shared;
    Event b = Unshared(shared);
    ExpectSameEvent(a, b);
    const auto both = [&](auto&& change) {
        change(a);
        change(b);
        ExpectSameEvent(a, b);
    };
    both([](Event& e) { ASSERT_TRUE(e.Set("feed.name", "Renamed")); });
    both([](Event& e) { e.Remove("tlp"); });
    both([](Event& e) { e.SetRaw(Key("classification.type"), "vulnerable-system"); });
    both([](Event& e) { e.SetRaw(Key("classification.taxonomy"), "vulnerable"); });
    both([](Event& e) { e.CompleteClassification(); });
    both([](Event& e) { e.Remove("time.observation"); });
    both([](Event& e) { e.Append(Key("time.observation"), "2026-02-01T00:00:00+00:00"); });
    both([](Event& e) { ASSERT_TRUE(e.Set("feed.code", "")); });  // an empty value removes
    both([](Event& e) { ASSERT_TRUE(e.Add(Key("feed.code"), "other", FieldType::kString)); });
    both([](Event& e) { ASSERT_TRUE(e.Set("feed.accuracy", "50")); });
    both([](Event& e) { e.Remove("raw"); });
    Event c = a;  // a copy keeps the shared list; changing it leaves the original alone
    ASSERT_TRUE(c.Set("feed.provider", "Elsewhere"));
    EXPECT_NE(c.ToJson(), a.ToJson());
    ExpectSameEvent(a, b);
    Event m = std::move(c);
    EXPECT_EQ(m.GetOr("feed.provider"), "Elsewhere");
    Event assigned;
    assigned = m;
    ExpectSameEvent(assigned, Unshared(m));
    // Another list: the fields of the first become the event's own.
    Event d = shared;
    const auto other = SharedFields::Make({Field{Key("tlp"), "RED"}, Field{Key("feed.name"), "Other"}});
    d.ShareFields(other, 1);  // tlp only
    Event e = Unshared(shared);
    e.SetRaw(Key("tlp"), "RED");
    ExpectSameEvent(d, e);
    EXPECT_EQ(d.GetOr("feed.name"), shared.GetOr("feed.name"));
    // A shared field whose key the event has: replaces the value as SetRaw does.
    d.ShareFields(other, 2);
    e.SetRaw(Key("feed.name"), "Other");
    ExpectSameEvent(d, e);
}

// A file read in chunks whose strings are handed back full of the bytes of earlier chunks (as the
// pipeline recycles them): the chunks are the file's bytes in order, each ends on a record's line
// end (a quoted line end does not cut), and the first line comes out alone.
TEST(ChunkReader, FileChunksFromRecycledStringsAreTheFile) {
    std::mt19937_64 rng(7);
    std::string text = "\"a\",\"b\"\r\n";
    for (int i = 0; i < 20000; ++i) {
        text += "\"" + std::to_string(rng() % 100000) + "\",";
        text += i % 7 == 0 ? "\"two\nlines\"" : std::string(rng() % 40, 'x');
        text += "\n";
    }
    const fs::path path = fs::temp_directory_path() / ("chunks-" + std::to_string(rng()) + ".csv");
    std::ofstream(path, std::ios::binary) << text;
    for (const std::size_t target : {std::size_t{100}, std::size_t{4096}, std::size_t{1} << 20}) {
        auto reader = ChunkReader::OpenFile(path.string());
        ASSERT_TRUE(reader);
        auto first = (*reader)->ReadFirstLine();
        ASSERT_TRUE(first && *first);
        EXPECT_EQ(**first, "\"a\",\"b\"");
        std::string joined, chunk(3 << 20, '#');  // (junk that must not show)
        std::vector<std::string> spares;
        for (;;) {
            auto more = (*reader)->Next(chunk, target, true);
            ASSERT_TRUE(more);
            if (!*more) break;
            ASSERT_FALSE(chunk.empty());
            EXPECT_EQ(chunk.back(), '\n');
            EXPECT_EQ(std::count(chunk.begin(), chunk.end(), '"') % 2, 0) << "a chunk cut inside quotes";
            EXPECT_EQ((*reader)->chunk_line_ends(), static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n')));
            joined += chunk;
            EXPECT_EQ((*reader)->offset(), static_cast<std::int64_t>(text.find('\n') + 1 + joined.size()));
            // Handed back in another order, the strings of earlier chunks are the next ones' room.
            spares.push_back(std::move(chunk));
            chunk = std::move(spares[rng() % spares.size()]);
            spares.erase(std::find_if(spares.begin(), spares.end(), [](const std::string& s) { return s.empty(); }));
        }
        EXPECT_EQ(joined, text.substr(text.find('\n') + 1)) << "target " << target;
    }
    fs::remove(path);
}

TEST(SharedFields, ReportConstantsAreSharedAndReadAsOwnFields) {
    ParseContext ctx = Ctx();
    ctx.feed_url = "https://example.org/reports";
    ctx.accuracy = 90.5;
    ctx.keep_raw = true;
    for (const std::string name : {"scan_http", "scan_dns", "event4_sinkhole_http", "compromised_website", "blocklist"}) {
        SCOPED_TRACE(name);
        auto p = MakeParser("shadowserver:" + name, ctx);
        ASSERT_TRUE(p);
        Parsed out = ParseAll(**p, Slurp(Data("shadowserver/" + name + ".csv")));
        ASSERT_FALSE(out.events.empty());
        for (const auto& e : out.events) {
            EXPECT_NE(e.shared_mask(), 0u);  // the constants are shared, not copied
            EXPECT_LT(e.own_fields().size(), e.fields().size());
            ExpectSameEvent(e, Unshared(e));
        }
        ExpectSameStored(out.events);
        ExpectSameAfterChanges(out.events.front());
    }
    // A key with several values in a list: each event shares one of them (or none).
    const auto values = SharedFields::Make(
        {Field{Key("extra.x"), "1"}, Field{Key("tlp"), "AMBER"}, Field{Key("extra.x"), "2"}, Field{Key("extra.x"), "3"}});
    for (const std::uint64_t mask : {0x1u, 0x2u, 0x3u, 0x4u, 0x6u, 0xau}) {
        Event e;
        e.SetRaw(Key("source.ip"), "192.0.2.1");
        e.ShareFields(values, mask);
        const char* want = mask & 1 ? "1" : mask & 4 ? "2" : mask & 8 ? "3" : nullptr;
        if (want) EXPECT_EQ(e.GetOr("extra.x"), want) << mask;
        else EXPECT_FALSE(e.Has("extra.x")) << mask;
        EXPECT_EQ(e.HasKey(Key("extra.x")), want != nullptr);
        ExpectSameEvent(e, Unshared(e));
        ExpectSameAfterChanges(e);
        Event f = e;
        f.Remove("extra.x");
        EXPECT_FALSE(f.Has("extra.x"));
        ExpectSameEvent(f, Unshared(f));
        ASSERT_TRUE(f.Set("extra.x", "9"));
        EXPECT_EQ(f.GetOr("extra.x"), "9");
        ExpectSameEvent(f, Unshared(f));
        // An own value of the key, then the list's: replaced as SetRaw would.
        Event g;
        g.SetRaw(Key("extra.x"), "own");
        g.ShareFields(values, mask);
        if (want) EXPECT_EQ(g.GetOr("extra.x"), want) << mask;
        else EXPECT_EQ(g.GetOr("extra.x"), "own") << mask;
        ExpectSameEvent(g, Unshared(g));
    }
    EXPECT_THROW(SharedFields::Make({Field{Key("raw"), "x"}}), std::invalid_argument);
}

// Generated rows whose columns set some of the constants' keys themselves (severity): the
// column's value is kept where it was before, the report's default applies elsewhere.
TEST(SharedFields, GeneratedRowsWithColumnsOverConstants) {
    std::string csv =
        "\"timestamp\",\"severity\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\",\"http\","
        "\"http_code\",\"server\"\n";
    const char* severities[] = {"", "info", "HIGH", "medium"};
    const char* protocols[] = {"tcp", "", "udp"};
    for (int i = 0; i < 300; ++i) {
        csv += "\"2026-01-14 0" + std::to_string(i % 10) + ":00:0" + std::to_string(i % 7) + "\",\"" +
               severities[i % 4] + "\",\"192.0." + std::to_string(i % 3 == 0 ? 2 : 113) + "." +
               std::to_string(i % 250 + 1) + "\",\"" + protocols[i % 3] + "\"," + std::to_string(80 + i % 5) +
               ",\"" + (i % 2 ? "h" + std::to_string(i) + ".example.net" : std::string()) + "\",\"http" +
               (i % 11 == 0 ? ";cve-2021-41773" : "") + "\"," + std::to_string(64496 + i % 4) + ",\"TR\",\"HTTP/1.1\"," +
               std::to_string(i % 2 ? 200 : 404) + ",\"nginx\"\n";
    }
    ParseContext ctx = Ctx();
    ctx.keep_raw = (csv.size() & 1) == 0;
    auto p = MakeParser("shadowserver:scan_http", ctx);
    ASSERT_TRUE(p);
    Parsed out = ParseAll(**p, csv, 4096);
    ASSERT_EQ(out.events.size(), 300u) << Render(out);
    std::size_t own_severity = 0, shared_severity = 0;
    for (std::size_t i = 0; i < out.events.size(); ++i) {
        const Event& e = out.events[i];
        ExpectSameEvent(e, Unshared(e));
        const std::string_view want_severity = severities[i % 4][0] ? std::string_view(severities[i % 4]) : "";
        if (!want_severity.empty()) {
            ++own_severity;
            EXPECT_TRUE(e.HasOwnKey(Key("severity")));
            EXPECT_EQ(e.GetOr("severity"), LowerStrForTest(want_severity));
        }
        else {
            // The report's default, shared.
            EXPECT_FALSE(e.HasOwnKey(Key("severity")));
            EXPECT_EQ(e.GetOr("severity"), "info");
            ++shared_severity;
        }
        EXPECT_EQ(e.GetOr("protocol.transport"), std::string_view(protocols[i % 3]));
        EXPECT_EQ(e.GetOr("protocol.application"), "http");
    }
    EXPECT_GT(own_severity, 0u);
    EXPECT_GT(shared_severity, 0u);
    ExpectSameStored(out.events);
    for (std::size_t i = 0; i < 8; ++i) ExpectSameAfterChanges(out.events[i]);
}

// Column values that repeat from row to row are parsed once and shared (the parser learns them
// from the rows): every event must be exactly the event its row gives when parsed on its own
// (a parser that has seen no other row shares nothing but the constants), through values that
// change their frequency, fail their type, are dropped (asn 0), are not UTF-8 (the record is
// rejected) or are empty, or share their key with another column, and through chunk boundaries.
TEST(SharedFields, RepeatingColumnValuesAreSharedAndParseAsAlone) {
    const std::string header =
        "\"timestamp\",\"severity\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\",\"region\","
        "\"city\",\"naics\",\"sector\",\"http\",\"http_code\",\"server\",\"content_length\",\"src_hostname\"\n";
    std::mt19937 rng(7);
    std::vector<std::string> rows;
    for (int i = 0; i < 3000; ++i) {
        const unsigned r = rng();
        // Values that are dropped (asn 0) or fail their type (to extra.asn) often enough to be shared.
        const std::string asn = r % 19 == 0 ? "0" : r % 17 == 0 ? "AS-bad" : std::to_string(64496 + (r >> 8) % 3);
        const std::string city = r % 23 == 0 ? "L\xff" "AHORE" : i < 1800 ? "LAHORE" : "KARACHI";
        const std::string tag = (r >> 3) % 9 == 0 ? "http;CVE-2021-41773" : "http";
        rows.push_back("\"2026-01-14 0" + std::to_string(i % 10) + ":00:0" + std::to_string(i % 7) + "\",\"" +
                       ((r >> 5) % 4 == 0 ? "" : "info") + "\",\"192.0." + std::to_string(i % 3 ? 2 : 113) + "." +
                       std::to_string(i % 250 + 1) + "\",\"tcp\"," + ((r >> 7) % 4 ? "80" : "443") + ",\"" +
                       ((r >> 9) % 2 ? "h" + std::to_string(i) + ".example.net" : std::string()) + "\",\"" + tag +
                       "\"," + asn + ",\"" + ((r >> 11) % 5 ? "PK" : "DE") + "\",\"" +
                       (i < 1000 ? "PUNJAB" : i < 1010 ? "" : "SINDH") + "\",\"" + city + "\"," +
                       ((r >> 13) % 20 ? "517311" : "0") + ",\"Communications, Service Provider, and Hosting\","
                       "\"HTTP/1.1\"," + ((r >> 15) % 3 ? "200" : "404") + ",\"nginx\"," + std::to_string(r % 4096) +
                       ",\"b.example.org\"\n");  // a second column of source.reverse_dns
    }
    std::string csv = header;
    for (const auto& row : rows) csv += row;
    ParseContext ctx = Ctx();
    ctx.keep_raw = true;
    auto p = MakeParser("shadowserver:scan_http", ctx);
    ASSERT_TRUE(p);
    const Parsed all = ParseAll(**p, csv, 7000);
    std::size_t next = 0, rejected = 0, shared_columns = 0, shared_bad_asns = 0;
    std::set<std::string> shared_asns;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        auto alone = MakeParser("shadowserver:scan_http", ctx);
        ASSERT_TRUE(alone);
        const Parsed one = ParseAll(**alone, header + rows[i]);
        if (one.events.empty()) {
            ASSERT_EQ(one.rejected.size(), 1u) << i;
            ASSERT_LT(rejected, all.rejected.size());
            EXPECT_EQ(all.rejected[rejected].line, static_cast<std::int64_t>(i + 2));
            EXPECT_EQ(all.rejected[rejected].reason, one.rejected[0].reason);
            ++rejected;
            continue;
        }
        ASSERT_LT(next, all.events.size());
        const Event& e = all.events[next++];
        ExpectSameEvent(e, Unshared(one.events[0]));
        EXPECT_EQ(e.ToJson(), one.events[0].ToJson()) << "row " << i;
        if (e.own_fields().size() + 8 <= one.events[0].own_fields().size()) ++shared_columns;
        if (!e.HasOwnKey(Key("source.asn")) && e.Has("source.asn")) shared_asns.insert(std::string(e.GetOr("source.asn")));
        if (!e.HasOwnKey(Key("extra.asn")) && e.Has("extra.asn")) ++shared_bad_asns;
    }
    // A column shares several values (of more than one key: source.asn, extra.asn).
    EXPECT_EQ(shared_asns.size(), 3u);
    EXPECT_GT(shared_bad_asns, 0u);
    EXPECT_EQ(next, all.events.size());
    EXPECT_EQ(rejected, all.rejected.size());
    EXPECT_GT(rejected, 10u);
    // Most rows share most of their repeating columns (not copied into each event).
    EXPECT_GT(shared_columns, rows.size() / 2);
    ExpectSameStored(all.events);
    for (std::size_t i = 0; i < all.events.size(); i += 97) ExpectSameAfterChanges(all.events[i]);
}

TEST(Event, CompactFormRoundTrips) {
    Event a;
    ASSERT_TRUE(a.Set("source.ip", "192.0.2.1"));
    ASSERT_TRUE(a.Set("time.source", "2026-01-14T00:00:00Z"));
    ASSERT_TRUE(a.Set("feed.name", "x"));
    a.SetExtra("count", "12", JsonKind::kInt);
    a.SetExtra("odd", "with:colons;and 12:length-looking\ntext");
    a.SetExtra("flag", "true", JsonKind::kBool);
    a.SetRawBytes("\"a\",\"b:c\"");
    Event b = a;
    ASSERT_TRUE(b.Set("feed.name", "y"));
    b.SetRawBytes(std::string("bin\xff\x00ary", 10));  // not text: stays base64 in data
    Event c = a;
    c.Remove("raw");
    std::vector<const Event*> sample{&a, &a, &b};
    const CompactBase base = MakeCompactBase(sample);
    ASSERT_NE(base.id, 0u);
    auto stored = DecodeCompactBase(base.text);
    ASSERT_TRUE(stored);
    for (const Event* e : {&a, &b, &c}) {
        for (const CompactBase* with : {&base, static_cast<const CompactBase*>(nullptr)}) {
            std::string data;
            std::optional<std::string> raw;
            ASSERT_TRUE(EncodeCompact(*e, with, data, raw));
            EXPECT_EQ(raw.has_value(), e == &a);
            auto back = DecodeCompact(data, with ? &*stored : nullptr, raw ? &*raw : nullptr);
            ASSERT_TRUE(back) << back.error().message;
            EXPECT_EQ(back->ToJson(), e->ToJson());
            EXPECT_EQ(back->GetOr("raw"), e->GetOr("raw"));
        }
    }
    // raw as bytes reads as the base64 of IntelMQ.
    EXPECT_EQ(a.GetOr("raw"), Base64Encode("\"a\",\"b:c\""));
    // A NUL in a value: not compact (stored as JSON instead).
    Event d;
    d.SetExtra("nul", std::string("a\0b", 3));
    std::string data;
    std::optional<std::string> raw;
    EXPECT_FALSE(EncodeCompact(d, nullptr, data, raw));
    // Damaged data is an error, not a crash.
    EXPECT_FALSE(DecodeCompact("zz", nullptr, nullptr));
    EXPECT_FALSE(DecodeCompact("0;s99:abc", nullptr, nullptr));
    ASSERT_LT(stored->fields.size(), 8u);
    EXPECT_FALSE(DecodeCompact("ff;", &*stored, nullptr));  // bits beyond the base
}

// The base's key list: fields of listed keys are written with the key's number, others in full;
// data without numbers (written before the list) reads with any base, data with numbers only
// with its base's list.
TEST(Event, CompactFormNumbersTheBasesKeys) {
    const auto event = [](std::string_view host, std::string_view port, bool more) {
        Event e;
        EXPECT_TRUE(e.Set("feed.name", "Accessible-HTTP"));
        EXPECT_TRUE(e.Set("source.reverse_dns", host));
        EXPECT_TRUE(e.Set("source.port", port));
        if (more) e.SetExtra("not_in_the_sample", "x");
        return e;
    };
    const Event a = event("a.example.net", "80", false), b = event("b.example.net", "443", false);
    const Event c = event("c.example.net", "8080", true);
    const CompactBase base = MakeCompactBase({&a, &b});
    ASSERT_EQ(base.keys.size(), 3u);
    EXPECT_EQ(base.keys[1], Key("source.reverse_dns"));
    auto stored = DecodeCompactBase(base.text);
    ASSERT_TRUE(stored) << stored.error().message;
    EXPECT_EQ(stored->keys, base.keys);
    EXPECT_EQ(stored->id, base.id);
    std::string data;
    std::optional<std::string> raw;
    ASSERT_TRUE(EncodeCompact(a, &base, data, raw));
    EXPECT_EQ(data, "1;S1:13:a.example.netI2:2:80");
    ASSERT_TRUE(EncodeCompact(c, &base, data, raw));
    EXPECT_EQ(data, "1;S1:13:c.example.netI2:4:8080s23:extra.not_in_the_sample1:x");
    auto back = DecodeCompact(data, &*stored, nullptr);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->ToJson(), c.ToJson());
    // Not without its base, nor with a number beyond the list.
    EXPECT_FALSE(DecodeCompact("0;S1:13:c.example.net", nullptr, nullptr));
    EXPECT_FALSE(DecodeCompact("0;S3:1:x", &*stored, nullptr));
    EXPECT_FALSE(DecodeCompact("0;S:1:x", &*stored, nullptr));
    // Data written in full (as before the list) reads with a base that has one; a base written
    // before the list (its fields alone) reads with none.
    auto full = DecodeCompact("1;s18:source.reverse_dns13:a.example.neti11:source.port2:80", &*stored, nullptr);
    ASSERT_TRUE(full) << full.error().message;
    EXPECT_EQ(full->ToJson(), a.ToJson());
    auto old = DecodeCompactBase("s9:feed.name15:Accessible-HTTP");
    ASSERT_TRUE(old);
    EXPECT_TRUE(old->keys.empty());
    EXPECT_EQ(old->fields.size(), 1u);
    EXPECT_FALSE(DecodeCompactBase("s9:feed.name15:Accessible-HTTPd99:x"));
    // Cut or changed anywhere: an event or an error, never a read beyond the text.
    ASSERT_TRUE(EncodeCompact(c, &base, data, raw));
    std::size_t decoded = 0;
    for (std::size_t cut = 0; cut <= data.size(); ++cut) decoded += DecodeCompact(data.substr(0, cut), &*stored, nullptr).has_value();
    for (std::size_t at = 0; at < data.size(); ++at)
        for (const char ch : {'S', 's', '9', ':', '0', 'x'}) {
            std::string changed = data;
            changed[at] = ch;
            decoded += DecodeCompact(changed, &*stored, nullptr).has_value();
        }
    EXPECT_GT(decoded, 0u);
    // Smaller than the same event without the list.
    std::string without;
    ASSERT_TRUE(EncodeCompact(a, nullptr, without, raw));
    ASSERT_TRUE(EncodeCompact(a, &base, data, raw));
    EXPECT_LT(data.size() + 30, without.size());
}

// A key with a few values (a report's server column) has each value that comes back in 1 of 8
// events of the sample in the base; an event's first field of the key takes the one equal to it,
// its other fields of the key are written themselves. Shared fields (a parser's repeating
// values) are covered the same way.
TEST(Event, CompactBaseHoldsTheFewValuesOfAKey) {
    const std::vector<std::string> servers = {"nginx", "Apache/2.4.49 (Unix)", "Microsoft-IIS/10.0", "lighttpd"};
    std::vector<Event> events;
    for (int i = 0; i < 32; ++i) {
        Event& e = events.emplace_back();
        EXPECT_TRUE(e.Set("feed.name", "Accessible-HTTP"));
        EXPECT_TRUE(e.Set("source.port", i % 2 ? "443" : "80"));
        e.SetExtra("server", servers[static_cast<std::size_t>(i) % servers.size()]);
        e.SetExtra("content_length", std::to_string(100 + i), JsonKind::kInt);
    }
    std::vector<const Event*> sample;
    for (const Event& e : events) sample.push_back(&e);
    const CompactBase base = MakeCompactBase(sample);
    std::size_t server_values = 0, port_values = 0;
    for (const Field& f : base.fields) {
        server_values += f.key == Key("extra.server");
        port_values += f.key == Key("source.port");
    }
    EXPECT_EQ(server_values, servers.size());
    EXPECT_EQ(port_values, 2u);
    auto stored = DecodeCompactBase(base.text);
    ASSERT_TRUE(stored) << stored.error().message;
    const auto round_trip = [&](const Event& e) {
        std::string data;
        std::optional<std::string> raw;
        EXPECT_TRUE(EncodeCompact(e, &base, data, raw));
        auto back = DecodeCompact(data, &*stored, nullptr);
        EXPECT_TRUE(back) << back.error().message;
        if (back) {
            EXPECT_EQ(back->ToJson(), e.ToJson()) << data;
            EXPECT_EQ(back->Hash(), e.Hash());
        }
        return data;
    };
    ASSERT_EQ(base.keys.size(), 4u);
    ASSERT_EQ(base.keys[3], Key("extra.content_length"));
    for (std::size_t i = 0; i < events.size(); ++i) {
        // Only content_length written: server and port are in the base.
        const std::string data = round_trip(events[i]);
        EXPECT_EQ(data.substr(data.find(';') + 1), "I3:3:" + std::to_string(100 + i)) << data;
    }
    // Two fields of the key: the first takes a base value, the second is written, whichever of
    // them a base value is.
    Event two = events[0];
    two.Append(Key("extra.server"), "nginx");
    EXPECT_NE(round_trip(two).find(":5:nginx"), std::string::npos);
    Event first_unknown = events[0];
    first_unknown.Remove("extra.server");
    first_unknown.Append(Key("extra.server"), "Caddy");
    first_unknown.Append(Key("extra.server"), "lighttpd");
    const std::string data = round_trip(first_unknown);
    EXPECT_NE(data.find(":5:Caddy"), std::string::npos) << data;
    EXPECT_NE(data.find(":8:lighttpd"), std::string::npos) << data;
    // A value of the key not in the base, and another kind of a value that is.
    Event other = events[1];
    other.SetExtra("server", "Caddy");
    round_trip(other);
    Event kind = events[1];
    kind.SetRaw("source.port", "443", JsonKind::kString);
    EXPECT_NE(round_trip(kind).find(":3:443"), std::string::npos);
    // Shared fields (one list for many events, the mask picks each one's values).
    std::vector<Field> list = {{"feed.name", "Accessible-HTTP", JsonKind::kString}};
    for (const std::string& v : servers) list.push_back({"extra.server", v, JsonKind::kString});
    list.push_back({"extra.server", "Caddy", JsonKind::kString});
    const auto shared = SharedFields::Make(list);
    for (std::uint64_t pick = 1; pick <= list.size() - 1; ++pick) {
        Event e;
        e.SetExtra("content_length", "7", JsonKind::kInt);
        e.ShareFields(shared, 1 | (std::uint64_t{1} << pick));
        const std::string d = round_trip(e);
        EXPECT_EQ(d.find(":5:Caddy") != std::string::npos, pick == list.size() - 1) << d;
    }
    // Two shared values of the key (the list in the other order than the base): the first is
    // the base's, the second is written.
    std::vector<Field> reversed = {{"feed.name", "Accessible-HTTP", JsonKind::kString}};
    for (auto it = servers.rbegin(); it != servers.rend(); ++it) reversed.push_back({"extra.server", *it, JsonKind::kString});
    Event both;
    both.SetExtra("content_length", "7", JsonKind::kInt);
    both.ShareFields(SharedFields::Make(reversed), 0b111);  // feed.name, lighttpd, Microsoft-IIS/10.0
    const std::string d = round_trip(both);
    EXPECT_NE(d.find(":18:Microsoft-IIS/10.0"), std::string::npos) << d;
    EXPECT_EQ(d.find("lighttpd"), std::string::npos) << d;
}

// Raw templates: a record is rebuilt from its event's values and times byte for byte, or the
// event does not fit its template (and its raw is stored). The events' values are views of their
// records (as a parser's cells are), copies, shared fields, or absent.
TEST(RawTemplate, RecordsRebuildExactlyOrDoNotFit) {
    const Key a("extra.a"), b("source.reverse_dns"), when("extra.when");  // (b: a key that can be shared)
    struct Record {
        std::string raw;
        Event e;
        core::Micros time = 0;
    };
    // A record and its event: `views` are values cut out of the record (their first occurrence),
    // `copies` are values of the event's own storage.
    const auto record = [](std::string raw, const std::string& time,
                           std::vector<std::pair<Key, std::string>> views,
                           std::vector<std::pair<Key, std::string>> copies = {}) {
        auto r = std::make_unique<Record>();
        r->raw = std::move(raw);
        r->time = *ParseEventTime(time);
        r->e.Borrow(r->raw);
        for (auto& [k, v] : copies) r->e.Append(k, std::string(v));  // (not in raw: stored as a copy)
        for (auto& [k, v] : views) {
            const auto at = r->raw.find(v);
            EXPECT_NE(at, std::string::npos) << v;
            r->e.Append(k, std::string_view(r->raw).substr(at, v.size()));
        }
        r->e.SetRawBytes(r->raw, true);
        return r;
    };
    const std::string http_time = "2026-03-02T10:20:30+00:00";
    auto first = record(R"("2026-01-14 00:00:01","x1","y1","Mon, 02 Mar 2026 10:20:30 GMT",end)",
                        "2026-01-14T00:00:01Z", {{a, "x1"}, {b, "y1"}}, {{when, http_time}});
    auto t = MakeRawTemplate(first->e, first->raw, first->time);
    ASSERT_TRUE(t);
    // "2026-01-14 00:00:01" is time_source, x1 and y1 the fields', the HTTP date extra.when's.
    ASSERT_EQ(t->parts.size(), 4u);
    EXPECT_EQ(t->parts[0].literal, "\"");
    EXPECT_EQ(t->parts[0].time, RawTemplate::Time::kSpace);
    EXPECT_TRUE(t->parts[0].key.empty());
    EXPECT_EQ(t->parts[1].literal, "\",\"");
    EXPECT_EQ(t->parts[1].key, a);
    EXPECT_EQ(t->parts[2].key, b);
    EXPECT_EQ(t->parts[3].literal, "\",\"");
    EXPECT_EQ(t->parts[3].key, when);
    EXPECT_EQ(t->parts[3].time, RawTemplate::Time::kHttp);
    EXPECT_EQ(t->tail, "\",end");

    const auto shared = SharedFields::Make({Field{b, "y9"}});
    std::vector<std::pair<std::unique_ptr<Record>, bool>> cases;  // record, fits
    cases.emplace_back(std::move(first), true);
    // Other values, all views.
    cases.emplace_back(record(R"("2026-02-28 23:59:59","xx2","y2","Sat, 01 Jan 2000 00:00:00 GMT",end)",
                              "2026-02-28T23:59:59Z", {{a, "xx2"}, {b, "y2"}}, {{when, "2000-01-01T00:00:00+00:00"}}),
                       true);
    // An empty cell, and no field of its key.
    cases.emplace_back(record(R"("2026-01-14 00:00:03","x3","","Mon, 02 Mar 2026 10:20:30 GMT",end)",
                              "2026-01-14T00:00:03Z", {{a, "x3"}}, {{when, http_time}}),
                       true);
    // An empty cell, but a field of its key from elsewhere (as enrichment adds).
    cases.emplace_back(record(R"("2026-01-14 00:00:04","x4","","Mon, 02 Mar 2026 10:20:30 GMT",end)",
                              "2026-01-14T00:00:04Z", {{a, "x4"}}, {{b, "z"}, {when, http_time}}),
                       false);
    // A copy with the cell's bytes.
    cases.emplace_back(record(R"("2026-01-14 00:00:05","x5","y5","Mon, 02 Mar 2026 10:20:30 GMT",end)",
                              "2026-01-14T00:00:05Z", {{a, "x5"}}, {{b, "y5"}, {when, http_time}}),
                       true);
    // Two fields of a key: the first (a copy) is what a reader takes, not the cell.
    cases.emplace_back(record(R"("2026-01-14 00:00:06","x6","y6","Mon, 02 Mar 2026 10:20:30 GMT",end)",
                              "2026-01-14T00:00:06Z", {{a, "x6"}, {b, "y6"}}, {{a, "q"}, {when, http_time}}),
                       false);
    // Other separators; another time_source; another extra.when; none; a longer record.
    cases.emplace_back(record(R"("2026-01-14 00:00:07";"x7","y7","Mon, 02 Mar 2026 10:20:30 GMT",end)",
                              "2026-01-14T00:00:07Z", {{a, "x7"}, {b, "y7"}}, {{when, http_time}}),
                       false);
    cases.emplace_back(record(R"("2026-01-14 00:00:08","x8","y8","Mon, 02 Mar 2026 10:20:30 GMT",end)",
                              "2026-01-14T00:00:09Z", {{a, "x8"}, {b, "y8"}}, {{when, http_time}}),
                       false);
    cases.emplace_back(record(R"("2026-01-14 00:00:08","x8","y8","Mon, 02 Mar 2026 10:20:30 GMT",end)",
                              "2026-01-14T00:00:08Z", {{a, "x8"}, {b, "y8"}}, {{when, "2026-03-02T10:20:31+00:00"}}),
                       false);
    cases.emplace_back(record(R"("2026-01-14 00:00:08","x8","y8","Mon, 02 Mar 2026 10:20:30 GMT",end)",
                              "2026-01-14T00:00:08Z", {{a, "x8"}, {b, "y8"}}),
                       false);
    cases.emplace_back(record(R"("2026-01-14 00:00:08","x8","y8","Mon, 02 Mar 2026 10:20:30 GMT",end,more)",
                              "2026-01-14T00:00:08Z", {{a, "x8"}, {b, "y8"}}, {{when, http_time}}),
                       false);
    // A shared field's value (the cell's bytes, or not).
    for (const std::string y : {"y9", "yy"}) {
        auto r = record(R"("2026-01-14 00:00:09","x9",")" + y + R"(","Mon, 02 Mar 2026 10:20:30 GMT",end)",
                        "2026-01-14T00:00:09Z", {{a, "x9"}}, {{when, http_time}});
        r->e.ShareFields(shared, 1);
        cases.emplace_back(std::move(r), y == "y9");
    }
    CompactBase base = MakeCompactBase({&cases[0].first->e});
    SetRawTemplate(base, *t);
    ASSERT_TRUE(base.raw_template);
    auto stored = DecodeCompactBase(base.text);
    ASSERT_TRUE(stored) << stored.error().message;
    ASSERT_TRUE(stored->raw_template);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const Record& r = *cases[i].first;
        const bool fits = MatchesRawTemplate(*t, r.e, r.raw, r.time);
        EXPECT_EQ(fits, cases[i].second) << i << ": " << r.raw;
        if (!fits) continue;
        EXPECT_EQ(FillRawTemplate(*t, r.e, r.time), r.raw) << i;
        // As stored and read: the compact form without raw, the base's template from its text.
        std::string data;
        std::optional<std::string> raw;
        ASSERT_TRUE(EncodeCompact(r.e, &base, data, raw));
        auto back = DecodeCompact(data, &*stored, nullptr);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(FillRawTemplate(*stored->raw_template, *back, r.time), r.raw) << i;
    }

    // The base's text: its fields and key list as they were; the template as it was made.
    ASSERT_EQ(stored->fields.size(), base.fields.size());
    for (std::size_t i = 0; i < base.fields.size(); ++i) EXPECT_TRUE(stored->fields[i].key == base.fields[i].key);
    EXPECT_EQ(stored->keys, base.keys);
    EXPECT_EQ(stored->id, base.id);
    ASSERT_EQ(stored->raw_template->parts.size(), t->parts.size());
    for (std::size_t i = 0; i < t->parts.size(); ++i) {
        EXPECT_EQ(stored->raw_template->parts[i].literal, t->parts[i].literal);
        EXPECT_EQ(stored->raw_template->parts[i].key, t->parts[i].key);
        EXPECT_EQ(stored->raw_template->parts[i].time, t->parts[i].time);
    }
    EXPECT_EQ(stored->raw_template->tail, t->tail);
    // A base without a template has none; damaged templates are errors.
    const std::string plain = MakeCompactBase({&cases[0].first->e}).text;
    auto none = DecodeCompactBase(plain);
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->raw_template);
    for (const std::string bad : {"r", "rk1:a", "rl1:xk1:a", "rl1:xt9", "rl1:xt10:", "rl1:xt1", "rl5:x", "rl1:xx"})
        EXPECT_FALSE(DecodeCompactBase(plain + bad)) << bad;
    EXPECT_TRUE(DecodeCompactBase(plain + "rl1:xt10:l0:"));
    // No value in the record: no template.
    auto alone = record("abc", "2026-01-14T00:00:00Z", {}, {{a, "abc"}});
    EXPECT_FALSE(MakeRawTemplate(alone->e, alone->raw, alone->time));
}

// Templates of records that leave different cells empty merge into one that fits them all; ones
// that cannot be put in one order, or whose literals disagree, do not.
TEST(RawTemplate, TemplatesOfRecordsWithOtherEmptyCellsMerge) {
    const Key a("extra.a"), b("extra.b"), c("extra.c");
    struct Record {
        std::string raw;
        Event e;
    };
    const core::Micros time = *ParseEventTime("2026-01-14T00:00:00Z");
    const auto record = [](const std::string& raw, std::vector<std::pair<Key, std::string>> views) {
        auto r = std::make_unique<Record>();
        r->raw = raw;
        r->e.Borrow(r->raw);
        for (auto& [k, v] : views) {
            const auto at = r->raw.find("\"" + v + "\"");
            EXPECT_NE(at, std::string::npos) << v;
            r->e.Append(k, std::string_view(r->raw).substr(at + 1, v.size()));
        }
        return r;
    };
    auto ab = record(R"("a1","b1","")", {{a, "a1"}, {b, "b1"}});
    auto ac = record(R"("a2","","c2")", {{a, "a2"}, {c, "c2"}});
    auto abc = record(R"("a3","b3","c3")", {{a, "a3"}, {b, "b3"}, {c, "c3"}});
    auto t_ab = MakeRawTemplate(ab->e, ab->raw, time);
    auto t_ac = MakeRawTemplate(ac->e, ac->raw, time);
    ASSERT_TRUE(t_ab && t_ac);
    EXPECT_FALSE(MatchesRawTemplate(*t_ab, ac->e, ac->raw, time));
    EXPECT_FALSE(MatchesRawTemplate(*t_ab, abc->e, abc->raw, time));
    for (const auto& merged : {MergeRawTemplates(*t_ab, *t_ac), MergeRawTemplates(*t_ac, *t_ab)}) {
        ASSERT_TRUE(merged);
        ASSERT_EQ(merged->parts.size(), 3u);
        EXPECT_EQ(merged->parts[0].key, a);
        EXPECT_EQ(merged->parts[1].key, b);
        EXPECT_EQ(merged->parts[2].key, c);
        for (const Record* r : {ab.get(), ac.get(), abc.get()}) {
            EXPECT_TRUE(MatchesRawTemplate(*merged, r->e, r->raw, time)) << r->raw;
            EXPECT_EQ(FillRawTemplate(*merged, r->e, time), r->raw);
        }
    }
    // b and c both between a and the end, one in each: which comes first is not known.
    auto a_b = record(R"("a4","b4")", {{a, "a4"}, {b, "b4"}});
    auto a_c = record(R"("a5","c5")", {{a, "a5"}, {c, "c5"}});
    EXPECT_FALSE(MergeRawTemplates(*MakeRawTemplate(a_b->e, a_b->raw, time), *MakeRawTemplate(a_c->e, a_c->raw, time)));
    // Another order.
    auto ba = record(R"("b6","a6","")", {{b, "b6"}, {a, "a6"}});
    EXPECT_FALSE(MergeRawTemplates(*t_ab, *MakeRawTemplate(ba->e, ba->raw, time)));
    // Literals that disagree (an unquoted empty cell).
    auto unquoted = record(R"("a7",,"c7")", {{a, "a7"}, {c, "c7"}});
    EXPECT_FALSE(MergeRawTemplates(*t_ab, *MakeRawTemplate(unquoted->e, unquoted->raw, time)));
}

// The times of templates in their formats, as FormatEventTime and strftime write them: whole
// seconds of 1970-9999 (written from a date kept per day), and other times.
TEST(RawTemplate, TimesInTheirFormats) {
    std::mt19937_64 rng(11);
    std::vector<core::Micros> times = {0, 86399000000, 86400000000, 1768348800000000, 253402300799000000,
                                       951782400000000 /* 2000-02-29 */, 1768348800123456, -1000000};
    for (int i = 0; i < 300; ++i) times.push_back(static_cast<core::Micros>(rng() % 253402300800ULL) * 1000000);
    const Event none;
    const auto fill = [&](RawTemplate::Time f, core::Micros t) {
        RawTemplate tmpl;
        tmpl.parts.push_back({"<", Key(), f});
        tmpl.tail = ">";
        const std::string text = FillRawTemplate(tmpl, none, t);
        return text.substr(1, text.size() - 2);
    };
    for (int round = 0; round < 2; ++round)  // (the second with every day already kept)
        for (const core::Micros t : times) {
            const std::string iso = FormatEventTime(t);
            EXPECT_EQ(fill(RawTemplate::Time::kEvent, t), iso) << t;
            if (t % 1000000 != 0 || t < 0) continue;
            std::string space = iso.substr(0, 19);
            space[10] = ' ';
            EXPECT_EQ(fill(RawTemplate::Time::kSpace, t), space) << t;
            EXPECT_EQ(fill(RawTemplate::Time::kZulu, t), iso.substr(0, 19) + "Z") << t;
            const std::time_t secs = static_cast<std::time_t>(t / 1000000);
            std::tm tm{};
            gmtime_r(&secs, &tm);
            char http[64];
            std::strftime(http, sizeof http, "%a, %d %b %Y %H:%M:%S GMT", &tm);
            EXPECT_EQ(fill(RawTemplate::Time::kHttp, t), http) << t;
        }
}

// The compact form written in one pass: more than 64 fields (the covered set beyond a word),
// alternating bases (the per-base key table is kept between calls), and a NUL in a key as well
// as in a value (not compact).
TEST(Event, CompactFormOfManyFieldsAndAlternatingBases) {
    std::vector<Event> events(3);
    for (int n = 0; n < 3; ++n) {
        Event& e = events[static_cast<std::size_t>(n)];
        ASSERT_TRUE(e.Set("feed.name", n == 2 ? "Other" : "Accessible-HTTP"));
        ASSERT_TRUE(e.Set("source.ip", "192.0.2." + std::to_string(n + 1)));
        for (int i = 0; i < 80; ++i)
            e.SetExtra("f" + std::to_string(i), i % 3 == 0 ? std::to_string(i) : "v" + std::to_string(i * (n + 1)),
                       i % 3 == 0 ? JsonKind::kInt : JsonKind::kString);
        e.SetRawBytes("line " + std::to_string(n));
    }
    const CompactBase first = MakeCompactBase({&events[0], &events[1]});
    const CompactBase second = MakeCompactBase({&events[2]});
    ASSERT_NE(first.id, 0u);
    ASSERT_NE(second.id, 0u);
    ASSERT_NE(first.id, second.id);
    auto first_stored = DecodeCompactBase(first.text);
    auto second_stored = DecodeCompactBase(second.text);
    ASSERT_TRUE(first_stored && second_stored);
    for (int round = 0; round < 2; ++round)
        for (const CompactBase* base : {&first, &second, &first, static_cast<const CompactBase*>(nullptr)})
            for (const Event& e : events) {
                std::string data = "left over";
                std::optional<std::string> raw;
                ASSERT_TRUE(EncodeCompact(e, base, data, raw));
                const CompactBase* stored = base == &first ? &*first_stored : base == &second ? &*second_stored : nullptr;
                auto back = DecodeCompact(data, stored, raw ? &*raw : nullptr);
                ASSERT_TRUE(back) << back.error().message;
                EXPECT_EQ(back->ToJson(), e.ToJson());
            }
    Event k;
    k.Append(Key(std::string("extra.a\0b", 9)), "x");
    std::string data;
    std::optional<std::string> raw;
    EXPECT_FALSE(EncodeCompact(k, nullptr, data, raw));
    Event v = events[0];
    v.SetExtra("nul", std::string("tail\0", 5));
    EXPECT_FALSE(EncodeCompact(v, &first, data, raw));
}

// Host names take a fast path for plain ASCII names: the result (value or error) must be what
// core::NormaliseDomain gives, whatever the input.
TEST(Event, HostNamesAsNormaliseDomainHasThem) {
    const std::vector<std::string> names = {
        "www.Example.COM", "www.example.com.", "a.b", "a", "A", "host-1.example.net", "-a.example", "a-.example",
        "a..b", ".a", "a.", "a..", "..", ".", "1.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.123",
        "123.a", "xn--bcher-kva.example", "b\xc3\xbc" "cher.example", "a_b.example", "a*.example", "a b.example",
        "ex\tample.com", std::string(63, 'a') + ".com", std::string(64, 'a') + ".com",
        std::string(250, 'a').insert(50, ".").insert(100, ".").insert(150, ".").insert(200, "."),
        std::string(260, 'b').insert(60, ".").insert(120, ".").insert(180, ".").insert(240, "."), "a.-", "a.b-",
        "UPPER.CASE.", "9.example", "example.9a", "x.y.z.0", "a:b.example", "ex/ample.com", "2001:db8::1"};
    for (const std::string& n : names) {
        Event e;
        const auto st = e.Set("source.fqdn", n);
        std::optional<std::string> expect;  // an address or a bad name: an error
        if (!core::ParseIp(n))
            if (auto d = core::NormaliseDomain(n)) expect = *d;
        if (expect) {
            ASSERT_TRUE(st) << n << ": " << st.error().message;
            EXPECT_EQ(e.GetOr("source.fqdn"), *expect) << n;
        } else {
            EXPECT_FALSE(st) << n << " gave " << e.GetOr("source.fqdn");
        }
    }
}

TEST(Shadowserver, MappingDetails) {
    auto p = MakeParser("shadowserver:scan_http", Ctx());
    ASSERT_TRUE(p);
    Parsed out = ParseAll(**p, Slurp(Data("shadowserver/scan_http.csv")));
    ASSERT_GE(out.events.size(), 8u);
    const Event& e = out.events[1];
    EXPECT_EQ(e.GetOr("product.vulnerabilities"), "cve-2021-41773;cve-2021-42013");
    EXPECT_EQ(e.GetOr("time.source"), "2026-01-14T01:07:13+00:00");
    EXPECT_EQ(e.GetOr("classification.identifier"), "accessible-http");
    EXPECT_EQ(e.GetOr("extra.source.naics"), "611310");
    EXPECT_EQ(e.GetOr("feed.name"), "Accessible-HTTP");
    EXPECT_EQ(out.events[7].Has("source.asn"), false);  // asn 0 on row 8 is dropped
    EXPECT_EQ(out.events[2].GetOr("extra.www_authenticate"), "Basic realm=\"admin\"");

    auto s = MakeParser("shadowserver:event4_sinkhole_http", Ctx());
    Parsed sink = ParseAll(**s, Slurp(Data("shadowserver/event4_sinkhole_http.csv")));
    ASSERT_FALSE(sink.events.empty());
    EXPECT_EQ(sink.events[0].GetOr("destination.url"), "https://c2-0.example.com/andromeda/check");
    EXPECT_EQ(sink.events[0].GetOr("classification.identifier"), "andromeda");
    EXPECT_EQ(sink.events[0].GetOr("malware.name"), "andromeda");
    EXPECT_EQ(sink.events[1].GetOr("destination.url"), "http://c2-1.example.com/gate.php?id=1001");

    auto b = MakeParser("shadowserver:blocklist", Ctx());
    Parsed bl = ParseAll(**b, Slurp(Data("shadowserver/blocklist.csv")));
    ASSERT_FALSE(bl.events.empty());
    EXPECT_EQ(bl.events[0].GetOr("source.network"), "192.0.2.0/25");
    EXPECT_FALSE(bl.events[0].Has("source.ip"));
    EXPECT_EQ(bl.events[0].GetOr("classification.type"), "blacklist");
    EXPECT_EQ(bl.events[0].GetOr("extra.source_name"), "spamhaus-drop");
}

TEST(BadInput, GoodLinesAroundBadOnesAreKept) {
    const std::string header =
        "\"timestamp\",\"severity\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\",\"region\","
        "\"city\",\"naics\",\"hostname_source\",\"sector\",\"dns_version\",\"min_amplification\"\n";
    auto good = [](const std::string& ip) {
        return "\"2026-01-14 00:00:00\",\"medium\",\"" + ip +
               "\",\"udp\",53,\"\",\"openresolver\",64499,\"TR\",\"ANKARA\",\"ANKARA\",0,\"\",\"\",\"x\",3.2\n";
    };
    std::string text = header + good("192.0.2.1") +
                       "\"2026-01-14 00:00:00\",\"medium\",\"192.0.2.2\"x,\"udp\",53,\"\",\"\",1,\"TR\",\"\",\"\",0,\"\",\"\",\"\",1\n" +  // broken quoting
                       good("192.0.2.3") +
                       "\"2026-01-14 00:00:00\",\"medium\",\"192.0.2.4\",\"udp\"\n" +  // too few columns
                       good("192.0.2.999") +                                        // bad address
                       "\"2026-13-45 99:00:00\",\"medium\",\"192.0.2.6\",\"udp\",53,\"\",\"\",1,\"TR\",\"\",\"\",0,\"\",\"\",\"\",1\n" +  // bad time
                       "\"2026-01-14 00:00:00\",\"medium\",\"192.0.2.7\",\"udp\",53,\"h\xff\xfe\",\"\",1,\"TR\",\"\",\"\",0,\"\",\"\",\"\",1\n" +  // not UTF-8
                       good("198.51.100.8") +
                       "\"2026-01-14 00:00:00\",\"medium\",\"192.0.2.9\",\"udp\",53,\"trunc";  // truncated
    auto p = MakeParser("shadowserver:scan_dns", Ctx());
    ASSERT_TRUE(p);
    Parsed out = ParseAll(**p, text, 64);
    std::vector<std::string> ips;
    for (const auto& e : out.events) ips.emplace_back(e.GetOr("source.ip"));
    EXPECT_EQ(ips, (std::vector<std::string>{"192.0.2.1", "192.0.2.3", "198.51.100.8"}));
    ASSERT_EQ(out.rejected.size(), 6u) << Render(out);
    EXPECT_EQ(out.rejected[0].line, 3);
    EXPECT_NE(out.rejected[0].reason.find("quot"), std::string::npos);
    EXPECT_EQ(out.rejected[1].line, 5);
    EXPECT_NE(out.rejected[1].reason.find("columns"), std::string::npos);
    EXPECT_EQ(out.rejected[2].line, 6);
    EXPECT_NE(out.rejected[2].reason.find("source.ip"), std::string::npos);
    EXPECT_EQ(out.rejected[3].line, 7);
    EXPECT_NE(out.rejected[3].reason.find("time"), std::string::npos);
    EXPECT_EQ(out.rejected[4].line, 8);
    EXPECT_NE(out.rejected[4].reason.find("UTF-8"), std::string::npos);
    EXPECT_EQ(out.rejected[5].line, 10);
    EXPECT_EQ(out.records, 9);
    Golden("bad_input_scan_dns", Render(out));
}

TEST(GenericCsv, MappingFileGolden) {
    const std::string mapping = R"({"delimiter": ";", "header": true,
        "columns": {"addr": "source.ip", "seen": "time.source", "port": "source.port", "what": "classification.identifier"},
        "constants": {"classification.type": "scanner", "feed.provider": "Example Sensors"},
        "time_format": "%d/%m/%Y %H:%M", "required": ["source.ip", "time.source"]})";
    auto m = ParseCsvMapping(mapping);
    ASSERT_TRUE(m) << m.error().message;
    auto p = MakeParser("csv", Ctx(), "sensors.csv", &*m);
    ASSERT_TRUE(p);
    const std::string text = Slurp(Data("generic/sensors.csv"));
    Parsed out = ParseAll(**p, text, 50);
    EXPECT_EQ(out.events.size(), 3u);
    EXPECT_EQ(out.rejected.size(), 2u);
    Golden("generic_sensors", Render(out));
    // A mapping naming a field that does not exist is refused with the column.
    auto bad = ParseCsvMapping(R"({"columns": {"a": "source.nothing"}})");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().field, "mapping.columns.a");
}

TEST(JsonLines, IntelMqGolden) {
    auto p = MakeParser("jsonl", Ctx());
    ASSERT_TRUE(p);
    Parsed out = ParseAll(**p, Slurp(Data("intelmq/events.jsonl")), 100);
    EXPECT_EQ(out.events.size(), 3u);
    EXPECT_EQ(out.rejected.size(), 2u);
    Golden("intelmq_events", Render(out));
}

TEST(Blocklist, PlainListGolden) {
    ParseContext c = Ctx();
    c.classification_identifier = "drop";
    auto p = MakeParser("blocklist:blacklist", c);
    ASSERT_TRUE(p);
    Parsed out = ParseAll(**p, Slurp(Data("blocklist/drop.txt")), 40);
    EXPECT_EQ(out.events.size(), 5u);
    EXPECT_EQ(out.rejected.size(), 1u);
    Golden("blocklist_drop", Render(out));
}

// Events handed over as they are parsed (ParseOutput::ready, a few at a time: the pipeline's
// stages take them while they are in the cache) are the events parsed in one go, in the same order
// with the same lines, by every kind of parser; rejections are unchanged.
TEST(Parsers, EventsHandedOverAsParsedAreTheSame) {
    auto mapping = ParseCsvMapping(R"({"delimiter": ";", "header": true,
        "columns": {"addr": "source.ip", "seen": "time.source", "port": "source.port", "what": "classification.identifier"},
        "constants": {"classification.type": "scanner"}, "time_format": "%d/%m/%Y %H:%M"})");
    ASSERT_TRUE(mapping) << mapping.error().message;
    struct Case {
        std::string format, file;
    };
    std::vector<Case> cases = {{"csv", "generic/sensors.csv"},
                               {"jsonl", "intelmq/events.jsonl"},
                               {"blocklist:blacklist", "blocklist/drop.txt"}};
    for (const std::string name : {"scan_http", "scan_dns", "scan_snmp", "event4_sinkhole_http", "compromised_website"})
        cases.push_back({"shadowserver:" + name, "shadowserver/" + name + ".csv"});
    for (const auto& c : cases) {
        SCOPED_TRACE(c.format);
        const std::string text = Slurp(Data(c.file));
        for (const bool lend : {false, true})
            for (const std::size_t every : {std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
                auto whole = MakeParser(c.format, Ctx(), "x", &*mapping);
                auto taken = MakeParser(c.format, Ctx(), "x", &*mapping);
                ASSERT_TRUE(whole && taken);
                std::deque<std::string> chunks_whole, chunks_taken;
                const Parsed a = ParseAll(**whole, text, 64, nullptr, lend ? &chunks_whole : nullptr);
                const Parsed b = ParseAll(**taken, text, 64, nullptr, lend ? &chunks_taken : nullptr, every);
                ASSERT_GE(a.events.size(), 3u);
                EXPECT_EQ(Render(a), Render(b));
                EXPECT_EQ(a.event_lines, b.event_lines);
                EXPECT_EQ(a.records, b.records);
            }
    }
}

TEST(Event, SanitationRules) {
    Event e;
    EXPECT_TRUE(e.Set("source.ip", "2001:DB8:0:0::1"));
    EXPECT_EQ(e.GetOr("source.ip"), "2001:db8::1");
    EXPECT_FALSE(e.Set("source.ip", "0.0.0.0"));
    EXPECT_TRUE(e.Set("source.network", "192.0.2.5/24"));
    EXPECT_EQ(e.GetOr("source.network"), "192.0.2.0/24");
    EXPECT_FALSE(e.Set("source.asn", "0"));
    EXPECT_TRUE(e.Set("source.asn", "AS64500"));
    EXPECT_EQ(e.GetOr("source.asn"), "64500");
    EXPECT_TRUE(e.Set("source.fqdn", "WWW.Example.COM."));
    EXPECT_EQ(e.GetOr("source.fqdn"), "www.example.com");
    EXPECT_FALSE(e.Set("source.fqdn", "192.0.2.1"));
    EXPECT_TRUE(e.Set("source.url", "hxxp://bad.example/x"));
    EXPECT_EQ(e.GetOr("source.url"), "http://bad.example/x");
    EXPECT_FALSE(e.Set("source.url", "/relative"));
    EXPECT_TRUE(e.Set("time.source", "2026-01-14T03:00:00+03:00"));
    EXPECT_EQ(e.GetOr("time.source"), "2026-01-14T00:00:00+00:00");
    EXPECT_FALSE(e.Set("time.source", "2026-01-14"));
    EXPECT_TRUE(e.Set("classification.type", "botnet drone"));
    EXPECT_EQ(e.GetOr("classification.type"), "infected-system");
    EXPECT_TRUE(e.Set("classification.type", "blocklist"));
    EXPECT_EQ(e.GetOr("classification.type"), "blacklist");
    EXPECT_FALSE(e.Set("classification.type", "nonsense"));
    EXPECT_TRUE(e.Set("tlp", "tlp:clear"));
    EXPECT_EQ(e.GetOr("tlp"), "WHITE");
    EXPECT_TRUE(e.Set("source.registry", "ripe-ncc"));
    EXPECT_EQ(e.GetOr("source.registry"), "RIPE");
    EXPECT_FALSE(e.Set("source.nothing", "x"));
    EXPECT_FALSE(e.Set("extra.Bad-Key", "x"));
    EXPECT_TRUE(e.Set("source.port", "443"));
    EXPECT_FALSE(e.Set("source.port", "70000"));
    e.CompleteClassification();
    EXPECT_EQ(e.GetOr("classification.taxonomy"), "other");
    // Hash ignores time.observation and raw.
    Event a = e, b = e;
    a.SetRaw("time.observation", "2026-01-01T00:00:00+00:00");
    b.SetRaw("raw", "eA==");
    EXPECT_EQ(a.Hash(), b.Hash());
    EXPECT_EQ(a.Hash(), e.Hash());
}

// The dedup hash is stored: it must stay the per-field formula of the first release (a sum of
// Mix(FNV-1a(value, FNV-1a(key) ^ 0x1f)) over the fields but time.observation and raw), whatever
// the in-memory form of keys. Pinned by recomputing it here and by a literal value.
TEST(Event, HashIsTheStoredFormula) {
    const auto mix = [](std::uint64_t x) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return x;
    };
    const std::vector<std::pair<std::string, std::string>> kv = {
        {"source.ip", "192.0.2.7"}, {"classification.type", "vulnerable-system"}, {"extra.http_code", "200"},
        {"time.observation", "2026-01-01T00:00:00+00:00"}, {"feed.name", "Vulnerable HTTP"}};
    Event e;
    std::uint64_t all = 0x9e3779b97f4a7c15ULL, only = all, skip = all;
    for (const auto& [k, v] : kv) {
        e.SetRaw(k, v);
        const std::uint64_t f = mix(StableHash(v, StableHash(k) ^ 0x1f));
        if (k != "time.observation") all += f;
        if (k == "source.ip" || k == "feed.name") only += f;
        if (k != "time.observation" && k != "feed.name") skip += f;
    }
    e.SetRawBytes("line,of,csv");
    EXPECT_EQ(e.Hash(), mix(all));
    EXPECT_EQ(e.Hash({"source.ip", "feed.name"}), mix(only));
    EXPECT_EQ(e.Hash({}, {"feed.name"}), mix(skip));
    EXPECT_EQ(e.Hash(), 0x1ddfe8723da1a0daULL);  // what the first release computes
    // Any number of fields, values of any length (several values are hashed at once).
    std::uint64_t seed = 7;
    const auto next = [&] {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return seed >> 33;
    };
    for (int round = 0; round < 300; ++round) {
        Event r;
        std::uint64_t expect = 0x9e3779b97f4a7c15ULL;
        const int n = static_cast<int>(next() % 40);
        for (int i = 0; i < n; ++i) {
            const std::string k = "extra.f" + std::to_string(i);
            std::string v(next() % 70, 'a');
            for (char& ch : v) ch = static_cast<char>(' ' + next() % 90);
            r.Append(k, v);
            expect += mix(StableHash(v, StableHash(k) ^ 0x1f));
        }
        ASSERT_EQ(r.Hash(), mix(expect)) << "round " << round;
    }
    // Values that repeat (hashes of long values are remembered per thread): the same texts under
    // other keys, texts differing only in a middle byte (same length, same first and last eight
    // bytes), repeated often enough to be remembered, mixed with values seen once.
    const std::string doc = "https://www.shadowserver.org/what-we-do/network-reporting/accessible-http-report/";
    for (int round = 0; round < 2000; ++round) {
        Event r;
        std::uint64_t expect = 0x9e3779b97f4a7c15ULL;
        const auto add = [&](const std::string& k, const std::string& v) {
            r.Append(k, v);
            expect += mix(StableHash(v, StableHash(k) ^ 0x1f));
        };
        std::string variant = doc;
        variant[40] = static_cast<char>('a' + next() % 3);
        add("feed.documentation", next() % 2 ? doc : variant);
        add(next() % 2 ? "extra.doc" : "extra.doc2", next() % 4 ? doc : variant);
        std::string once(16 + next() % 40, 'x');
        for (char& ch : once) ch = static_cast<char>('a' + next() % 26);
        add("extra.once", once);
        add("extra.same_length", std::string(24, static_cast<char>('a' + next() % 2)));
        add("feed.name", "Accessible-HTTP-with-a-long-name");
        ASSERT_EQ(r.Hash(), mix(expect)) << "round " << round;
        Event copy = r;
        ASSERT_EQ(copy.Hash(), mix(expect)) << "round " << round;
    }
}

// Keys are interned: equal text, equal key; a copy is the same key; the empty key is one key.
TEST(Event, InternedKeys) {
    const Key a("extra.some_column"), b(std::string("extra.") + "some_column");
    EXPECT_TRUE(a == b);
    EXPECT_EQ(&a.info(), &b.info());
    EXPECT_EQ(a.info().hash, StableHash("extra.some_column"));
    EXPECT_TRUE(a == "extra.some_column");
    EXPECT_FALSE(a == Key("extra.other"));
    Key c = a;
    EXPECT_EQ(&c.info(), &a.info());
    Key d;
    EXPECT_TRUE(d.empty());
    EXPECT_TRUE(d == Key(""));
    d = std::move(c);
    EXPECT_EQ(d.view(), "extra.some_column");
}

// Values live in the event's own storage: a copy has its own bytes (the original may change or go),
// a move keeps the views, a value set from a view of the event itself is copied first, and key
// presence (HasKey) follows Set/Remove exactly.
TEST(Event, ValueStorageCopiesAndMoves) {
    Event a;
    a.Reserve(4);
    for (int i = 0; i < 200; ++i)  // past the first chunk of storage, into more
        a.Append("extra.v" + std::to_string(i), std::string(static_cast<std::size_t>(10 + i % 50), static_cast<char>('a' + i % 26)));
    a.SetRaw("source.ip", "192.0.2.1");
    a.SetRawBytes("x,y");
    const std::string json = a.ToJson();
    const std::uint64_t hash = a.Hash();
    Event b = a;
    a.SetRaw("source.ip", "198.51.100.1");
    a.Remove("extra.v3");
    EXPECT_EQ(b.ToJson(), json);
    EXPECT_EQ(b.Hash(), hash);
    const std::string_view* v7 = b.Get("extra.v7");
    ASSERT_TRUE(v7);
    const char* at = v7->data();
    Event c = std::move(b);
    ASSERT_TRUE(c.Get("extra.v7"));
    EXPECT_EQ(c.Get("extra.v7")->data(), at);  // moved, not copied
    EXPECT_EQ(c.ToJson(), json);
    {
        Event d;
        d = c;
        c = Event();
        EXPECT_EQ(d.ToJson(), json);
        c = std::move(d);
    }
    EXPECT_EQ(c.ToJson(), json);
    // A value taken from the event itself.
    c.SetRaw("extra.v1", *c.Get("extra.v2"));
    EXPECT_EQ(c.GetOr("extra.v1"), c.GetOr("extra.v2"));
    ASSERT_TRUE(c.Set("source.fqdn", "WWW.Example.COM"));
    EXPECT_EQ(c.GetOr("source.fqdn"), "www.example.com");
    ASSERT_TRUE(c.Set("source.fqdn", std::string(*c.Get("extra.v0")) + ".example"));
    EXPECT_EQ(c.GetOr("source.fqdn"), std::string(10, 'a') + ".example");
    // Presence follows Set and Remove.
    const Key fqdn("source.fqdn"), port("source.port");
    EXPECT_TRUE(c.HasKey(fqdn));
    EXPECT_FALSE(c.HasKey(port));
    c.Remove("source.fqdn");
    EXPECT_FALSE(c.HasKey(fqdn));
    EXPECT_FALSE(c.Find(fqdn));
    ASSERT_TRUE(c.Set("source.port", "443"));
    EXPECT_TRUE(c.HasKey(port));
    EXPECT_EQ(*c.Find(port), "443");
    EXPECT_TRUE(c.HasKey(Key("raw")));  // raw held as bytes
    c.Remove("raw");
    EXPECT_FALSE(c.HasKey(Key("raw")));
    // A base owns its values: the events of its sample may go.
    CompactBase base;
    {
        Event s1 = c, s2 = c;
        base = MakeCompactBase({&s1, &s2});
    }
    ASSERT_FALSE(base.fields.empty());
    auto decoded = DecodeCompactBase(base.text);
    ASSERT_TRUE(decoded);
    ASSERT_EQ(decoded->fields.size(), base.fields.size());
    for (std::size_t i = 0; i < base.fields.size(); ++i) EXPECT_EQ(decoded->fields[i].value, base.fields[i].value);
}

// An event filled, cleared and filled again is the event a new one filled the same way is: JSON,
// hashes, look-ups, presence, shared fields, raw and the compact stored form.
void ExpectSameFilled(const Event& a, const Event& b) {
    EXPECT_EQ(a.ToJson(), b.ToJson());
    EXPECT_EQ(boost::json::serialize(a.ToJsonObject()), boost::json::serialize(b.ToJsonObject()));
    EXPECT_EQ(a.Hash(), b.Hash());
    EXPECT_EQ(a.Hash({"source.ip", "feed.name", "tlp"}), b.Hash({"source.ip", "feed.name", "tlp"}));
    EXPECT_EQ(a.empty(), b.empty());
    EXPECT_EQ(a.fields().size(), b.fields().size());
    EXPECT_EQ(a.own_fields().size(), b.own_fields().size());
    EXPECT_EQ(a.shared_mask(), b.shared_mask());
    EXPECT_EQ(a.shared() == nullptr, b.shared() == nullptr);
    if (a.shared() && b.shared()) {
        EXPECT_EQ(a.shared()->size(), b.shared()->size());
    }
    EXPECT_EQ(a.raw_bytes() != nullptr, b.raw_bytes() != nullptr);
    if (a.raw_bytes() && b.raw_bytes()) {
        EXPECT_EQ(*a.raw_bytes(), *b.raw_bytes());
    }
    EXPECT_EQ(a.raw_bytes_are_text(), b.raw_bytes_are_text());
    for (const char* k : {"source.ip", "source.port", "source.fqdn", "feed.name", "feed.code", "tlp", "raw",
                          "time.source", "time.observation", "classification.type", "extra.v0", "extra.v7",
                          "extra.count", "extra.nothing", "extra.only_dirty"}) {
        const Key key(k);
        EXPECT_EQ(a.HasKey(key), b.HasKey(key)) << k;
        EXPECT_EQ(a.HasOwnKey(key), b.HasOwnKey(key)) << k;
        EXPECT_EQ(a.GetOr(k, "<none>"), b.GetOr(k, "<none>")) << k;
        EXPECT_EQ(a.Find(key) != nullptr, b.Find(key) != nullptr) << k;
    }
    std::string da, db;
    std::optional<std::string> ra, rb;
    const bool ca = EncodeCompact(a, nullptr, da, ra), cb = EncodeCompact(b, nullptr, db, rb);
    ASSERT_EQ(ca, cb);
    if (!ca) return;
    EXPECT_EQ(da, db);
    EXPECT_EQ(ra, rb);
    auto back = DecodeCompact(da, nullptr, ra ? &*ra : nullptr);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->ToJson(), b.ToJson());
}

TEST(Event, ClearedEventIsANewOne) {
    const auto shared = SharedFields::Make({Field{Key("feed.name"), "Shared"}, Field{Key("tlp"), "AMBER"},
                                            Field{Key("feed.code"), "code"}});
    const auto other = SharedFields::Make({Field{Key("feed.name"), "Other"}});
    // Ways to leave an event: every kind of change, values past the first chunk, many fields.
    const std::vector<std::function<void(Event&)>> dirty = {
        [](Event&) {},
        [](Event& e) { ASSERT_TRUE(e.Set("source.ip", "192.0.2.1")); },
        [](Event& e) {
            for (int i = 0; i < 300; ++i)  // past the fields kept and the first chunk
                e.Append("extra.v" + std::to_string(i), std::string(static_cast<std::size_t>(20 + i % 40), 'x'));
        },
        [&](Event& e) {
            e.ShareFields(shared, 7);
            ASSERT_TRUE(e.Set("feed.name", "Own"));
            e.Remove("tlp");
        },
        [&](Event& e) {
            e.ShareFields(shared, 5);
            e.ShareFields(other, 1);
            e.SetExtra("only_dirty", "1", JsonKind::kInt);
        },
        [](Event& e) {
            e.SetRawBytes("a,b,c", true);
            (void)e.Get("raw");  // its base64 computed
        },
        [](Event& e) {
            e.ReserveBytes(100000);  // a first chunk larger than the one kept
            e.SetRawBytes(std::string(50000, 'r'));
            (void)e.Get("raw");
            e.Remove("raw");
            ASSERT_TRUE(e.Set("time.source", "2026-01-14 00:00:00"));
        },
        [](Event& e) {
            ASSERT_TRUE(e.Set("raw", Base64Encode("abc")));
            e.Append(Key(std::string(300, 'k')), "long key");
            e.Remove("source.ip");
        },
    };
    // Ways to fill it again.
    const std::vector<std::function<void(Event&)>> fill = {
        [](Event&) {},
        [](Event& e) {
            ASSERT_TRUE(e.Add(Key("source.ip"), "192.0.2.9", FieldType::kIp));
            ASSERT_TRUE(e.Set("source.port", "443"));
            e.SetExtra("count", "12", JsonKind::kInt);
        },
        [&](Event& e) {
            e.ReserveBytes(700);
            ASSERT_TRUE(e.AddUtf8(Key("time.source"), "2026-01-14 00:00:00", FieldType::kDateTime));
            e.SetRawBytes("x,\"y\"", true);
            e.ShareFields(shared, 3);
        },
        [&](Event& e) {
            for (int i = 0; i < 40; ++i) e.Append("extra.v" + std::to_string(i), std::string(static_cast<std::size_t>(30), 'y'));
            e.SetRawBytes(std::string("bin\xff\0", 5));
            e.ShareFields(shared, 6);
            ASSERT_TRUE(e.Set("tlp", "RED"));
        },
    };
    for (std::size_t d = 0; d < dirty.size(); ++d)
        for (std::size_t f = 0; f < fill.size(); ++f) {
            SCOPED_TRACE("dirty " + std::to_string(d) + ", fill " + std::to_string(f));
            Event reused;
            dirty[d](reused);
            reused.Clear();
            ExpectSameFilled(reused, Event());
            EXPECT_TRUE(reused.empty());
            Event fresh;
            fill[f](reused);
            fill[f](fresh);
            ExpectSameFilled(reused, fresh);
            // Again: a second round on the same event, and copies and moves of it.
            reused.Clear();
            fill[f](reused);
            ExpectSameFilled(reused, fresh);
            Event copy = reused;
            ExpectSameFilled(copy, fresh);
            Event moved = std::move(reused);
            ExpectSameFilled(moved, fresh);
        }
}

// Values already canonical are kept as they are, others rewritten (each case as the general
// sanitation writes it).
TEST(Event, SanitisedValuesCanonicalOrRewritten) {
    const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
        {"time.source", "2026-01-14 00:00:59", "2026-01-14T00:00:59+00:00"},
        {"time.source", "2026-01-14t23:59:59Z", "2026-01-14T23:59:59+00:00"},
        {"time.source", "2026-01-14T10:11:12+00:00", "2026-01-14T10:11:12+00:00"},
        {"time.source", "2026-01-14 23:59:60", "2026-01-15T00:00:00+00:00"},  // a leap second rolls over
        {"time.source", "2024-02-29 01:02:03", "2024-02-29T01:02:03+00:00"},
        {"time.source", "0001-01-01 00:00:00", "0001-01-01T00:00:00+00:00"},
        {"time.source", "2026-01-14 01:02:03+01:00", "2026-01-14T00:02:03+00:00"},
        {"time.source", "2026-01-14 01:02:03.5Z", "2026-01-14T01:02:03.500000+00:00"},
        {"time.source", " 2026-01-14 01:02:03 ", "2026-01-14T01:02:03+00:00"},
        {"source.port", "443", "443"},
        {"source.port", "0", "0"},
        {"source.port", "0443", "443"},
        {"source.port", "+80", "80"},
        {"source.port", "80.0", "80"},
        {"source.asn", "64496", "64496"},
        {"source.asn", "AS64496", "64496"},
        {"source.asn", "as064496", "64496"},
        {"source.geolocation.cc", "PK", "PK"},
        {"source.geolocation.cc", "pk", "PK"},
        {"source.geolocation.cc", "Pk", "PK"},
        {"source.ip", "192.0.2.1", "192.0.2.1"},
        {"source.ip", "2001:DB8::1", "2001:db8::1"},
    };
    for (const auto& [key, in, want] : cases) {
        Event e;
        ASSERT_TRUE(e.Set(key, in)) << key << " " << in;
        EXPECT_EQ(e.GetOr(key), want) << key << " " << in;
        Event a;
        ASSERT_TRUE(a.AddUtf8(Key(key), in, *TypeOf(key))) << key << " " << in;
        EXPECT_EQ(a.GetOr(key), want) << key << " " << in;
    }
    for (const auto& [key, in] : std::vector<std::pair<std::string, std::string>>{
             {"time.source", "2026-02-29 00:00:00"}, {"time.source", "2026-01-14 24:00:00"},
             {"time.source", "2026-01-14 00:60:00"}, {"time.source", "2026-01-14 00:00:61"},
             {"time.source", "2026-1a-14 00:00:00"}, {"source.port", "65536"}, {"source.port", "-1"},
             {"source.asn", "0"}, {"source.asn", "4294967295"}, {"source.geolocation.cc", "P1"},
             {"source.ip", "192.0.2.01"}, {"source.ip", "0.0.0.0"}, {"source.ip", "192.0.2.0/24"}}) {
        Event e;
        EXPECT_FALSE(e.Set(key, in)) << key << " " << in;
    }
    // A network where an address is expected says so.
    Event n;
    const auto st = n.Set("source.ip", "192.0.2.0/24");
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("an address, not a network, is expected"), std::string::npos) << st.error().message;
}

// Parsing into a list of used events (RoutedEvents, as the pipeline hands them back) gives what
// parsing into new ones gives, rejections included.
TEST(Shadowserver, ReusedEventsParseAsNewOnes) {
    ParseContext ctx = Ctx();
    ctx.feed_url = "https://example.org/reports";
    ctx.keep_raw = true;
    RoutedEvents used;
    for (const std::string name : {"scan_http", "scan_dns", "scan_snmp", "event4_sinkhole_http",
                                   "compromised_website", "blocklist", "scan_http"}) {
        SCOPED_TRACE(name);
        const std::string text = Slurp(Data("shadowserver/" + name + ".csv"));
        auto fresh_parser = MakeParser("shadowserver:" + name, ctx);
        auto reuse_parser = MakeParser("shadowserver:" + name, ctx);
        ASSERT_TRUE(fresh_parser && reuse_parser);
        Parsed fresh = ParseAll(**fresh_parser, text);
        // The used events: the last report's, changed after parsing as the stages change them.
        for (RoutedEvent& r : used) {
            ASSERT_TRUE(r.event.Set("source.geolocation.cc", "DE"));
            r.event.SetExtra("stage", "x");
            r.organisation_id = 7;
            r.scope_path = "/1/7/";
            r.dedup_hash = 99;
        }
        const std::size_t had = used.kept();
        Parsed reused = ParseAll(**reuse_parser, text, 300, &used);
        EXPECT_EQ(used.kept(), std::max(had, used.size()));  // the used ones were taken first
        for (const RoutedEvent& r : used) {
            EXPECT_EQ(r.organisation_id, 0);
            EXPECT_EQ(r.scope_path, "");
            EXPECT_EQ(r.dedup_hash, 0u);
            EXPECT_FALSE(r.event.HasKey(Key("extra.stage")));
        }
        EXPECT_EQ(Render(reused), Render(fresh));
        ASSERT_EQ(reused.events.size(), fresh.events.size());
        for (std::size_t i = 0; i < fresh.events.size(); ++i) ExpectSameFilled(reused.events[i], fresh.events[i]);
        ExpectSameStored(reused.events);
        // With the chunks lent (values and raw are views of them): the same events; a copy of
        // one owns its values (the chunks overwritten, then gone, do not change it).
        {
            auto lend_parser = MakeParser("shadowserver:" + name, ctx);
            ASSERT_TRUE(lend_parser);
            std::deque<std::string> lent;
            Parsed borrowed = ParseAll(**lend_parser, text, 300, nullptr, &lent);
            EXPECT_EQ(Render(borrowed), Render(fresh));
            ASSERT_EQ(borrowed.events.size(), fresh.events.size());
            for (std::size_t i = 0; i < fresh.events.size(); ++i) ExpectSameFilled(borrowed.events[i], fresh.events[i]);
            ASSERT_FALSE(borrowed.events.empty());
            const std::string_view* raw = borrowed.events[0].raw_bytes();
            ASSERT_TRUE(raw);
            EXPECT_TRUE(std::any_of(lent.begin(), lent.end(), [&](const std::string& t) {
                return raw->data() >= t.data() && raw->data() < t.data() + t.size();
            }));  // a view, not a copy
            std::vector<Event> copies(borrowed.events.begin(), borrowed.events.end());
            for (auto& t : lent) std::fill(t.begin(), t.end(), 'x');
            lent.clear();
            borrowed.events.clear();
            for (std::size_t i = 0; i < fresh.events.size(); ++i) EXPECT_EQ(copies[i].ToJson(), fresh.events[i].ToJson());
        }
    }
    // A rejected record's event stays in the list, for the next record.
    const std::string bad = "\"timestamp\",\"severity\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\","
                            "\"geo\",\"region\",\"city\",\"naics\",\"hostname_source\",\"sector\",\"dns_version\","
                            "\"min_amplification\"\n"
                            "\"2026-01-14 00:00:00\",\"medium\",\"192.0.2.999\",\"udp\",53,\"\",\"\",1,\"TR\",\"\",\"\",0,\"\",\"\",\"\",1\n";
    auto p = MakeParser("shadowserver:scan_dns", ctx);
    ASSERT_TRUE(p);
    const std::size_t had = used.kept();
    ASSERT_GT(had, 0u);
    Parsed out = ParseAll(**p, bad, 300, &used);
    EXPECT_TRUE(out.events.empty());
    EXPECT_EQ(out.rejected.size(), 1u);
    EXPECT_TRUE(used.empty());
    EXPECT_EQ(used.kept(), had);
}

// The event list keeps what is removed from it, for reuse; a moved list is empty.
TEST(RoutedEvents, KeepsRemovedElementsForReuse) {
    RoutedEvents list;
    for (int i = 0; i < 5; ++i) {
        RoutedEvent& r = list.Add();
        r.line = i + 1;
        r.scope_path = "/1/";
        ASSERT_TRUE(r.event.Set("source.ip", "192.0.2." + std::to_string(i + 1)));
    }
    ASSERT_EQ(list.size(), 5u);
    list.pop_back();
    list.Truncate(3);
    EXPECT_EQ(list.size(), 3u);
    EXPECT_EQ(list.kept(), 5u);
    EXPECT_EQ(list[2].line, 3);
    RoutedEvent& again = list.Add();  // the fourth, as new
    EXPECT_EQ(list.kept(), 5u);
    EXPECT_EQ(again.line, 0);
    EXPECT_EQ(again.scope_path, "");
    EXPECT_TRUE(again.event.empty());
    EXPECT_EQ(again.count, 1);
    list.clear();
    list.Trim(2);
    EXPECT_EQ(list.kept(), 2u);
    RoutedEvents moved = std::move(list);
    EXPECT_EQ(moved.kept(), 2u);
    EXPECT_TRUE(list.empty());  // NOLINT(bugprone-use-after-move): a moved list is empty
    EXPECT_EQ(list.kept(), 0u);
    list.Add().line = 9;
    EXPECT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].line, 9);
}

// The allocation-free time text is the text of FormatEventTime, for any time.
TEST(Event, EventTimeTextIsFormatEventTime) {
    for (core::Micros t : {core::Micros{0}, core::Micros{1}, core::Micros{-1}, core::Micros{1768349233000000},
                           core::Micros{1768349233123456}, core::Micros{-62167219200000000},
                           core::Micros{253402300800000000}, core::Micros{9000000000000000000}}) {
        EXPECT_EQ(FormatEventTimeText(t).view(), FormatEventTime(t)) << t;
    }
    // IsEventTimeText is the comparison with the formatted text: for the text itself, for it
    // changed at each position, and for the texts of other times, one after another.
    std::vector<core::Micros> times = {0, 1, -1000000, 1768349233000000, 1768349233123456, 1768435199000000,
                                       1768435200000000, 253402300799000000, 253402300800000000, 951782400000000};
    for (core::Micros t = 1768349233000000; t < 1768349233000000 + 200 * 1000000; t += 37 * 1000000) times.push_back(t);
    for (const core::Micros t : times) {
        const std::string text(FormatEventTimeText(t).view());
        for (const core::Micros u : {t, t + 1000000, t - 86400 * core::Micros{1000000}, t + 1}) {
            EXPECT_EQ(IsEventTimeText(text, u), text == FormatEventTimeText(u).view()) << text << " " << u;
            for (std::size_t i = 0; i < text.size(); ++i) {
                std::string changed = text;
                changed[i] = changed[i] == '0' ? '1' : '0';
                EXPECT_EQ(IsEventTimeText(changed, u), changed == FormatEventTimeText(u).view()) << changed << " " << u;
            }
        }
    }
}

// ParseEventTime keeps the last date it parsed (per thread): a text after another gives what it
// gives alone (parsed on a new thread, which has seen no other).
// SameBytes is ==: for every length around its 4-, 8- and 16-byte loads, equal texts (at
// different addresses) and texts differing in any one byte or in length.
TEST(Event, SameBytesIsEquality) {
    std::string a(48, 'x'), b(48, 'x');
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = b[i] = static_cast<char>('a' + i % 26);
    for (std::size_t n = 0; n <= 40; ++n) {
        const std::string_view va(a.data(), n), vb(b.data() + 0, n);
        EXPECT_TRUE(SameBytes(va, vb)) << n;
        EXPECT_FALSE(SameBytes(va, std::string_view(b.data(), n + 1))) << n;
        for (std::size_t i = 0; i < n; ++i) {
            std::string c(b.data(), n);
            c[i] = static_cast<char>(c[i] ^ 0x20);
            EXPECT_FALSE(SameBytes(va, c)) << n << " differs at " << i;
            EXPECT_EQ(SameBytes(va, c), va == std::string_view(c));
        }
    }
}

// The address AddUtf8 took as source.ip is known for exactly its text (the enricher reads it
// instead of parsing it again), across copies and moves, and forgotten with Clear.
TEST(Event, SanitisedAddressIsKnownForItsTextOnly) {
    Event e;
    EXPECT_FALSE(e.SanitisedV4("0.0.0.0"));
    EXPECT_FALSE(e.SanitisedV4(""));
    ASSERT_TRUE(e.AddUtf8(Key("source.ip"), " 198.51.100.200 ", FieldType::kIp));
    EXPECT_EQ(e.SanitisedV4("198.51.100.200"), std::optional<std::uint32_t>(0xC63364C8u));
    EXPECT_FALSE(e.SanitisedV4("198.51.100.20"));
    EXPECT_FALSE(e.SanitisedV4("198.51.100.201"));
    EXPECT_FALSE(e.SanitisedV4(" 198.51.100.200"));
    // Another address sanitised later replaces it; a rejected one or an IPv6 one is not taken.
    ASSERT_TRUE(e.AddUtf8(Key("destination.ip"), "203.0.113.7", FieldType::kIp));
    EXPECT_EQ(e.SanitisedV4("203.0.113.7"), std::optional<std::uint32_t>(0xCB007107u));
    EXPECT_FALSE(e.SanitisedV4("198.51.100.200"));
    EXPECT_FALSE(e.AddUtf8(Key("source.ip"), "192.0.2.300", FieldType::kIp));
    EXPECT_FALSE(e.SanitisedV4("192.0.2.300"));
    ASSERT_TRUE(e.AddUtf8(Key("source.ip"), "2001:db8::1", FieldType::kIp));
    EXPECT_EQ(e.SanitisedV4("203.0.113.7"), std::optional<std::uint32_t>(0xCB007107u));
    // (Another field's text is no address.)
    ASSERT_TRUE(e.AddUtf8(Key("source.fqdn"), "host.example", FieldType::kFqdn));
    EXPECT_EQ(e.SanitisedV4("203.0.113.7"), std::optional<std::uint32_t>(0xCB007107u));
    Event copy(e);
    EXPECT_EQ(copy.SanitisedV4("203.0.113.7"), std::optional<std::uint32_t>(0xCB007107u));
    Event moved(std::move(copy));
    EXPECT_EQ(moved.SanitisedV4("203.0.113.7"), std::optional<std::uint32_t>(0xCB007107u));
    e.Clear();
    EXPECT_FALSE(e.SanitisedV4("203.0.113.7"));
}

TEST(Event, EventTimesParseTheSameAfterOthers) {
    const std::vector<std::string> texts = {
        "2026-01-14 00:00:00",      "2026-01-14T23:59:59Z",       "2026-01-14 24:00:00",
        "2026-01-14",               "2026-01-14x",                "2026-01-14T10:00:00.5+05:00",
        "2026-01-14 10:00",         "2026-02-30 00:00:00",        "2026-02-30 00:00:01",
        "2024-02-29T00:00:00Z",     "2023-02-29T00:00:00Z",       "2023-02-29T00:00:00Z",
        std::string(10, '\0') + "T00:00:00", "2026-01-14 00:00:00", "  2026-01-14 01:00:00  ",
        "2026-01-14T01:00:00-0130", "2026-01-14T01:00:00+25:00",  "2026-01-14 01:00:00 GMT"};
    for (const auto& t : texts) {
        std::optional<core::Micros> alone;
        std::thread([&] { alone = ParseEventTime(t); }).join();
        EXPECT_EQ(ParseEventTime(t), alone) << t;
    }
    EXPECT_FALSE(ParseEventTime(std::string(10, '\0') + "T00:00:00"));
    EXPECT_TRUE(ParseEventTime("2024-02-29T00:00:00Z"));
    EXPECT_FALSE(ParseEventTime("2023-02-29T00:00:00Z"));
}

// The intern table is bounded: past its limit, new keys are held by their Key (owned) and every
// Event operation gives the same results as for interned keys.
TEST(Event, KeysBeyondTheInternLimitBehaveTheSame) {
    std::vector<Key> keep;
    keep.reserve(70000);
    for (int i = 0; i < 70000; ++i) keep.emplace_back("extra.flood_" + std::to_string(i));
    const Key owned("extra.after_the_flood");
    const Key again("extra.after_the_flood");
    EXPECT_TRUE(owned == again);
    EXPECT_NE(&owned.info(), &again.info());  // not interned
    Key copy = owned;
    EXPECT_TRUE(copy == owned);
    Event e, f;
    e.SetRaw("source.ip", "192.0.2.1");
    e.SetExtra("after_the_flood", "x");
    e.SetRaw(owned, "y");  // replaces, as for an interned key
    EXPECT_EQ(e.GetOr("extra.after_the_flood"), "y");
    EXPECT_EQ(e.fields().size(), 2u);
    f.SetRaw("source.ip", "192.0.2.1");
    f.Append(again, "y");
    EXPECT_EQ(e.Hash(), f.Hash());
    EXPECT_EQ(e.ToJson(), R"({"extra.after_the_flood":"y","source.ip":"192.0.2.1"})");
    std::string data;
    std::optional<std::string> raw;
    ASSERT_TRUE(EncodeCompact(e, nullptr, data, raw));
    auto back = DecodeCompact(data, nullptr, nullptr);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->ToJson(), e.ToJson());
    e.Remove("extra.after_the_flood");
    EXPECT_FALSE(e.Has("extra.after_the_flood"));
}

TEST(NetworkData, Pfx2AsLongestPrefixMatch) {
    NetworkData nd;
    ASSERT_TRUE(nd.LoadPfx2As(Data("network/routeviews-rv2-20260101-1200.pfx2as")));
    ASSERT_TRUE(nd.LoadPfx2As(Data("network/routeviews-rv6-20260101-1200.pfx2as")));
    nd.Finish();
    const std::string csv = Slurp(Data("network/pfx2as-expected-lpm.csv"));
    core::CsvReader reader(csv);
    std::vector<std::string> f;
    ASSERT_TRUE(reader.Next(f));
    int checked = 0;
    while (*reader.Next(f)) {
        while (f.size() < 5) f.emplace_back();
        auto ip = core::ParseIp(f[0]);
        ASSERT_TRUE(ip) << f[0];
        auto m = nd.LookupAs(*ip);
        if (f[1].empty()) {
            EXPECT_FALSE(m) << f[0];
        } else {
            ASSERT_TRUE(m) << f[0];
            EXPECT_EQ(core::FormatPrefix(m->prefix), f[1]) << f[0];
            EXPECT_EQ(m->origin, f[2]) << f[0];
            EXPECT_EQ(std::to_string(m->asn), f[3]) << f[0];
        }
        ++checked;
    }
    EXPECT_GT(checked, 10);
}

TEST(NetworkData, DelegatedFiles) {
    auto cidrs = RangeToCidrs(core::ParseIp("198.51.100.0")->V4(), 96);
    ASSERT_EQ(cidrs.size(), 2u);
    EXPECT_EQ(core::FormatPrefix(cidrs[0]), "198.51.100.0/26");
    EXPECT_EQ(core::FormatPrefix(cidrs[1]), "198.51.100.64/27");
    NetworkData nd;
    ASSERT_TRUE(nd.LoadDelegated(Data("network/delegated-ripencc-extended-sample.txt")));
    nd.Finish();
    auto d = nd.LookupDelegation(*core::ParseIp("198.51.100.70"));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->cc, "DE");
    EXPECT_EQ(d->registry, "RIPE");
    EXPECT_EQ(d->date, "2019-08-22");
    auto v6 = nd.LookupDelegation(*core::ParseIp("2001:db8:8000::1"));
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->cc, "AZ");
    auto reserved = nd.LookupDelegation(*core::ParseIp("192.0.2.200"));
    ASSERT_TRUE(reserved);
    EXPECT_EQ(reserved->cc, "");
    // The expected CIDR expansion of every IP record.
    std::istringstream in(Slurp(Data("network/delegated-expected-cidrs.csv")));
    std::string line;
    std::getline(in, line);
    int checked = 0;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ls(line);
        for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
        if (f.size() < 8 || f[2] != "ipv4") continue;
        std::string joined;
        for (const auto& p : RangeToCidrs(core::ParseIp(f[3])->V4(), std::stoull(f[4])))
            joined += (joined.empty() ? "" : " ") + core::FormatPrefix(p);
        EXPECT_EQ(joined, f[7]) << line;
        ++checked;
    }
    EXPECT_GE(checked, 5);
    // A truncated file is refused.
    std::string text = Slurp(Data("network/delegated-ripencc-extended-sample.txt"));
    text = text.substr(0, text.rfind("ripencc|TR|ipv6"));
    NetworkData broken;
    auto st = broken.LoadDelegatedText(text, "truncated");
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("truncated"), std::string::npos);
}

TEST(NetworkData, MaxMindDatabases) {
    auto expected = core::ParseJsonObject(Slurp(Data("network/doc-mmdb-expected.json")));
    ASSERT_TRUE(expected);
    int checked = 0;
    for (const auto& v : expected->at("lookups").as_array()) {
        const auto& o = v.as_object();
        auto db = MmdbFile::Open(Data("network/" + std::string(o.at("db").as_string())));
        ASSERT_TRUE(db) << db.error().message;
        auto ip = core::ParseIp(std::string(o.at("ip").as_string()));
        if (!ip) continue;
        auto m = (*db)->Lookup(*ip);
        const bool found = o.at("found").as_bool();
        EXPECT_EQ(m.has_value(), found) << o.at("ip").as_string();
        if (m && found) {
            EXPECT_EQ(m->prefix_len, o.at("prefix_len").to_number<int>()) << o.at("ip").as_string();
            const auto& rec = o.at("record").as_object();
            if (auto* asn = rec.if_contains("autonomous_system_number")) {
                EXPECT_EQ(m->asn, asn->to_number<std::uint32_t>());
            }
            if (auto* c = rec.if_contains("country")) {
                EXPECT_EQ(m->cc, std::string(c->as_object().at("iso_code").as_string()));
            }
        }
        ++checked;
    }
    EXPECT_GT(checked, 30);
}

}  // namespace
}  // namespace muhafiz::feeds
