// Parser fuzz test: seeded random mutations (byte flips, truncation, inserted quotes, commas and
// newlines, invalid UTF-8) of every sample in tests/data/feeds and shared/reference/samples,
// through every parser (Shadowserver, generic CSV with a mapping, JSON lines, block list), a few
// seconds in all. Asserts that nothing crashes, that every record is accounted for (events +
// rejected == records, records never more than the lines read), and, through the whole pipeline
// into SQLite, that every rejected record reaches the dead-letter store and that lines read ==
// events + rejected + duplicates + aggregated.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "db/testing.hpp"
#include "feeds/pipeline.hpp"

namespace muhafiz::feeds {
namespace {

namespace fs = std::filesystem;

std::string Root() {
    const char* s = std::getenv("MUHAFIZ_SOURCE_DIR");
    return s ? s : ".";
}

std::string Slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct Sample {
    std::string name, text;
};

std::vector<Sample> Samples() {
    std::vector<Sample> out;
    for (const std::string& dir : {Root() + "/tests/data/feeds", Root() + "/../shared/reference/samples/shadowserver",
                                  std::string("/work/shared/reference/samples/shadowserver")}) {
        if (!fs::exists(dir)) continue;
        for (const auto& e : fs::recursive_directory_iterator(dir)) {
            if (!e.is_regular_file()) continue;
            const auto ext = e.path().extension().string();
            if (ext != ".csv" && ext != ".jsonl" && ext != ".txt") continue;
            if (e.path().string().find("/golden/") != std::string::npos) continue;
            if (e.path().string().find("/network/") != std::string::npos) continue;
            out.push_back({e.path().filename().string(), Slurp(e.path())});
        }
    }
    return out;
}

std::string Mutate(std::string s, std::mt19937_64& rng) {
    const int n = 1 + static_cast<int>(rng() % 6);
    static const char* kInserts[] = {"\"", ",", "\n", "\r\n", "\xff", "\xc3", "\xe2\x82", ";", "\"\"", "{", "}", "\\"};
    for (int i = 0; i < n; ++i) {
        const std::size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
        switch (rng() % 5) {
            case 0:  // flip a byte
                if (!s.empty()) s[at % s.size()] = static_cast<char>(s[at % s.size()] ^ (1 << (rng() % 8)));
                break;
            case 1:  // truncate
                s.resize(at);
                break;
            case 2:
            case 3: {  // insert a quote, a comma, a newline, an invalid UTF-8 byte ...
                s.insert(at, kInserts[rng() % (sizeof kInserts / sizeof *kInserts)]);
                break;
            }
            case 4:  // delete a run
                if (!s.empty()) s.erase(at % s.size(), rng() % 16);
                break;
        }
    }
    return s;
}

struct Format {
    std::string format;
    std::optional<CsvMapping> mapping;
};

std::vector<Format> Formats() {
    std::vector<Format> f = {{"shadowserver", std::nullopt}, {"shadowserver:scan_http", std::nullopt},
                             {"jsonl", std::nullopt}, {"blocklist", std::nullopt}};
    auto m = ParseCsvMapping(R"({"delimiter": ",", "header": true,
        "columns": {"ip": "source.ip", "timestamp": "time.source", "port": "source.port"},
        "constants": {"classification.type": "scanner"}, "required": ["source.ip", "time.source"]})");
    if (m) f.push_back({"csv", *m});
    return f;
}

std::int64_t Lines(std::string_view s) {
    if (s.empty()) return 0;
    return static_cast<std::int64_t>(std::count(s.begin(), s.end(), '\n')) + (s.back() == '\n' ? 0 : 1);
}

TEST(FeedsFuzz, EveryParserSurvivesMutatedSamplesAndAccountsForEveryRecord) {
    const auto samples = Samples();
    ASSERT_GE(samples.size(), 10u);
    const auto formats = Formats();
    std::mt19937_64 rng(20260114);
    ParseContext ctx;
    ctx.observation = 1768372202000000;
    ctx.feed_code = "fuzz";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    std::int64_t runs = 0, events = 0, rejected = 0;
    // The event list of earlier runs (any parser, changed after parsing), reused by parsers on
    // half the runs: what they parse must be what a fresh parse of the chunk gives.
    RoutedEvents used;
    while (std::chrono::steady_clock::now() < deadline || runs < 200) {
        const Sample& sample = samples[rng() % samples.size()];
        const Format& fmt = formats[rng() % formats.size()];
        const std::string text = Mutate(sample.text, rng);
        auto parser = MakeParser(fmt.format, ctx, "2026-01-14-" + sample.name, fmt.mapping ? &*fmt.mapping : nullptr);
        ASSERT_TRUE(parser) << fmt.format;
        auto reader = ChunkReader::FromData(text);
        std::int64_t line = 1;
        if ((*parser)->has_header()) {
            auto h = reader->ReadFirstLine();
            ASSERT_TRUE(h);
            if (!*h || !(*parser)->Begin(**h)) {  // a header that no longer fits: refused, fine
                ++runs;
                continue;
            }
            line = 2;
        }
        std::string chunk;
        std::int64_t records = 0, ev = 0, rej = 0;
        const std::size_t chunk_bytes = 64 + rng() % 4096;
        const bool reuse = (rng() & 1) != 0;
        for (;;) {
            auto more = reader->Next(chunk, chunk_bytes, (*parser)->csv_records());
            ASSERT_TRUE(more);
            if (!*more) break;
            ParseOutput out;
            if (reuse) {
                ParseOutput fresh;
                (*parser)->Parse(chunk, line, fresh);
                out.events = std::move(used);
                out.events.clear();
                (*parser)->Parse(chunk, line, out);
                ASSERT_EQ(out.events.size(), fresh.events.size());
                ASSERT_EQ(out.rejected.size(), fresh.rejected.size());
                for (std::size_t i = 0; i < out.events.size(); ++i) {
                    const Event& a = out.events[i].event;
                    const Event& b = fresh.events[i].event;
                    ASSERT_EQ(a.ToJson(), b.ToJson());
                    ASSERT_EQ(a.Hash(), b.Hash());
                    ASSERT_EQ(a.fields().size(), b.fields().size());
                    ASSERT_EQ(out.events[i].line, fresh.events[i].line);
                }
                for (std::size_t i = 0; i < out.rejected.size(); ++i) ASSERT_EQ(out.rejected[i].reason, fresh.rejected[i].reason);
            } else {
                (*parser)->Parse(chunk, line, out);
            }
            const std::int64_t first_line = line;
            // (The reader counts the chunk's line ends as it reads it, whatever its quotes.)
            ASSERT_EQ(reader->chunk_line_ends(), static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n')));
            line += std::count(chunk.begin(), chunk.end(), '\n');
            if (!chunk.empty() && chunk.back() != '\n') ++line;
            // Every event comes with its line and its time (Adopt uses them as they are), and
            // nothing else set.
            for (const RoutedEvent& r : out.events) {
                ASSERT_GE(r.line, first_line);
                ASSERT_LE(r.line, line);
                ASSERT_EQ(r.time_source, TimeSource(r.event)) << r.event.ToJson();
                ASSERT_EQ(r.first_seen, r.time_source);
                ASSERT_EQ(r.last_seen, r.time_source);
                ASSERT_EQ(r.organisation_id, 0);
                ASSERT_EQ(r.dedup_hash, 0u);
                ASSERT_TRUE(r.scope_path.empty());
            }
            ASSERT_EQ(static_cast<std::int64_t>(out.events.size() + out.rejected.size()), out.records)
                << fmt.format << " on a mutation of " << sample.name;
            for (const auto& r : out.rejected) EXPECT_FALSE(r.reason.empty());
            // Every event survives a copy and the compact stored form unchanged (values live in
            // the event's own storage; raw marked as text by a parser is text).
            // ... also against a base of the chunk's events (their shared fields in it).
            std::vector<const Event*> sample;
            for (const auto& r : out.events) sample.push_back(&r.event);
            const CompactBase base = MakeCompactBase(sample);
            auto stored = DecodeCompactBase(base.text);
            ASSERT_TRUE(stored);
            for (const auto& r : out.events) {
                const Event& e = r.event;
                const std::string json = e.ToJson();
                const Event copy = e;
                ASSERT_EQ(copy.ToJson(), json);
                ASSERT_EQ(copy.Hash(), e.Hash());
                // Shared fields (report constants) read as the event's own would.
                Event own;
                for (const Field& f : e.fields()) own.Append(f.key, f.value, f.kind);
                if (const auto* b = e.raw_bytes()) own.SetRawBytes(*b, e.raw_bytes_are_text());
                ASSERT_EQ(own.ToJson(), json);
                ASSERT_EQ(own.Hash(), e.Hash());
                if (base.id != 0) {
                    std::string data;
                    std::optional<std::string> raw;
                    if (EncodeCompact(e, &base, data, raw)) {
                        auto back = DecodeCompact(data, &*stored, raw ? &*raw : nullptr);
                        ASSERT_TRUE(back) << data;
                        ASSERT_EQ(back->ToJson(), json);
                        ASSERT_EQ(back->Hash(), e.Hash());
                    }
                }
                if (e.raw_bytes_are_text()) {
                    ASSERT_TRUE(IsUtf8(*e.raw_bytes()));
                    ASSERT_EQ(e.raw_bytes()->find('\0'), std::string_view::npos);
                }
                std::string data;
                std::optional<std::string> raw;
                if (EncodeCompact(e, nullptr, data, raw)) {
                    auto back = DecodeCompact(data, nullptr, raw ? &*raw : nullptr);
                    ASSERT_TRUE(back) << data;
                    ASSERT_EQ(back->ToJson(), json);
                }
            }
            records += out.records;
            ev += static_cast<std::int64_t>(out.events.size());
            rej += static_cast<std::int64_t>(out.rejected.size());
            for (auto& r : out.events) {
                if (rng() % 3 == 0) r.event.SetExtra("stage", "changed");
                if (rng() % 3 == 0) {
                    r.organisation_id = 5;
                    r.scope_path = "/1/5/";
                    r.dedup_hash = 1;
                }
            }
            used = std::move(out.events);  // (the next reuse clears it)
            used.Trim(512);
        }
        EXPECT_LE(records, Lines(text)) << fmt.format << " on a mutation of " << sample.name;
        events += ev;
        rejected += rej;
        ++runs;
    }
    EXPECT_GT(events, 0);
    EXPECT_GT(rejected, 0);
    std::printf("fuzz: %lld parser runs, %lld events, %lld rejected\n", static_cast<long long>(runs),
                static_cast<long long>(events), static_cast<long long>(rejected));
}

// Through the pipeline into SQLite: totals add up and every rejection is a dead letter.
TEST(FeedsFuzz, RejectedRecordsReachTheDeadLetterStore) {
    auto db = db::testing::OpenFresh("sqlite");
    ASSERT_NE(db, nullptr);
    FeedStore store(*db);
    FeedsConfig config;
    config.feeds.push_back(DefaultFeed("fuzz", "shadowserver"));
    config.feeds.push_back(DefaultFeed("fuzzj", "jsonl"));
    Pipeline pipeline(store, config, [] { return constituency::OwnerIndex::Empty(); }, nullptr, PipelineOptions{"PK"});
    const auto samples = Samples();
    std::mt19937_64 rng(7);
    std::int64_t dead_expected = 0, ingests = 0;
    for (int i = 0; i < 30; ++i) {
        const Sample& sample = samples[rng() % samples.size()];
        const bool jsonl = sample.name.ends_with(".jsonl");
        IngestRequest req;
        req.feed = jsonl ? "fuzzj" : "fuzz";
        req.data = Mutate(sample.text, rng);
        req.file_name = "2026-01-14-" + sample.name;
        req.source = "upload";
        req.chunk_bytes = 256;
        auto s = pipeline.Ingest(req);
        if (!s) {
            // A header that no longer fits fails the run (recorded with its reason); fine.
            EXPECT_EQ(s.error().code, core::ErrorCode::kInvalidArgument) << s.error().message;
            continue;
        }
        ++ingests;
        if (s->already_ingested) continue;
        const auto& r = s->run;
        dead_expected += r.rejected;
        if (r.lines_read == 0 && r.events == 0 && r.rejected == 1) continue;  // an empty report: one dead letter
        EXPECT_EQ(r.lines_read, r.events + r.rejected + r.duplicates + r.aggregated) << sample.name;
    }
    EXPECT_GT(ingests, 0);
    auto conn = *db->Acquire();
    auto rows = conn->Query(
        "SELECT COUNT(*) FROM feed_dead_letters d JOIN feed_runs r ON r.id = d.run_id WHERE r.status = 'done'");
    ASSERT_TRUE(rows);
    EXPECT_EQ((*rows)[0].Int(0), dead_expected);
}

}  // namespace
}  // namespace muhafiz::feeds
