// Scheduled downloads (feed_fetch.hpp): configuration parsing with field-named errors, the
// vuln_sources table on both backends, and the libcurl fetcher and scheduler against a real local
// HTTP server (tests/support/vuln_feed_server.py on 127.0.0.1) serving tests/data/vuln/ files:
// conditional GET (ETag/304), gzip, redirects, 429 Retry-After, the rate limiter (test clock),
// NVD API paging and its lastModStartDate windows, errors and back-off.
#include "vulns/feed_fetch.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "core/json.hpp"
#include "db/testing.hpp"
#include "support_process.hpp"
#include "vulns/vuln_store.hpp"

namespace muhafiz::vulns {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

using muhafiz::testing::SourceDir;

std::string ReadAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

int FreePort() { return muhafiz::testing::FreeLoopbackPort(); }

// tests/support/vuln_feed_server.py as a child process; waits for its "ready" line.
class Server {
  public:
    Server(int port, const fs::path& root, const fs::path& log)
        : script_("vuln_feed_server.py", {std::to_string(port), root.string(), log.string()}) {}

  private:
    muhafiz::testing::SupportScript script_;
};

// ---- configuration -------------------------------------------------------------------------

TEST(ParseVulnSources, ExampleAndDefaults) {
    auto s = ParseVulnSources(
        "kev=https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json;"
        "interval=86400, epss=https://epss.cyentia.com/epss_scores-current.csv.gz;interval=86400, "
        "nvd=https://services.nvd.nist.gov/rest/json/cves/2.0;interval=7200;api_key=XXX");
    ASSERT_TRUE(s) << s.error().field << ": " << s.error().message;
    ASSERT_EQ(s->size(), 3u);
    EXPECT_EQ((*s)[0].name, "kev");
    EXPECT_EQ((*s)[0].kind, IngestKind::kKev);
    EXPECT_EQ((*s)[0].interval, seconds(86400));
    EXPECT_EQ((*s)[0].requests_per_window, 1);
    EXPECT_EQ((*s)[0].window, seconds(86400));
    EXPECT_TRUE((*s)[0].api_key.empty());
    EXPECT_EQ((*s)[1].kind, IngestKind::kEpss);
    EXPECT_EQ((*s)[1].url, "https://epss.cyentia.com/epss_scores-current.csv.gz");
    EXPECT_EQ((*s)[2].kind, IngestKind::kNvd);
    EXPECT_EQ((*s)[2].interval, seconds(7200));
    EXPECT_EQ((*s)[2].api_key, "XXX");
    EXPECT_EQ((*s)[2].api_key_header, "apiKey");
    EXPECT_EQ((*s)[2].requests_per_window, kNvdRequestsWithKey);
    EXPECT_EQ((*s)[2].window, seconds(30));

    auto nokey = ParseVulnSources("nvd=https://services.nvd.nist.gov/rest/json/cves/2.0");
    ASSERT_TRUE(nokey);
    EXPECT_EQ((*nokey)[0].requests_per_window, kNvdRequestsWithoutKey);
    EXPECT_EQ((*nokey)[0].interval, kDefaultNvdInterval);

    auto custom = ParseVulnSources(
        " bundle = https://github.com/CVEProject/cvelistV5/releases/download/x/all.zip ; kind=cve5 ;"
        " requests=3 ; window=60 ;interval=600 ");
    ASSERT_TRUE(custom) << custom.error().message;
    EXPECT_EQ((*custom)[0].kind, IngestKind::kCve5);
    EXPECT_EQ((*custom)[0].requests_per_window, 3);
    EXPECT_EQ((*custom)[0].window, seconds(60));
    EXPECT_EQ((*custom)[0].interval, seconds(600));

    auto empty = ParseVulnSources("  ");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
    EXPECT_TRUE(IsNvdApiUrl("https://services.nvd.nist.gov/rest/json/cves/2.0/?x=1"));
    EXPECT_FALSE(IsNvdApiUrl("https://services.nvd.nist.gov/rest/json/cpes/2.0"));
}

TEST(ParseVulnSources, BadValuesNameTheField) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"kev", "vuln_sources[0]"},
        {"=https://x/", "vuln_sources[0].name"},
        {"k v=https://x/", "vuln_sources[0].name"},
        {"kev=ftp://x/", "vuln_sources[0].url"},
        {"kev=https://x/;interval=abc", "vuln_sources[0].interval"},
        {"kev=https://x/, epss=https://y/;interval=0", "vuln_sources[1].interval"},
        {"kev=https://x/;interval=-5", "vuln_sources[0].interval"},
        {"kev=https://x/;requests=many", "vuln_sources[0].requests"},
        {"kev=https://x/;window=", "vuln_sources[0].window"},
        {"kev=https://x/;kind=rss", "vuln_sources[0].kind"},
        {"kev=https://x/;colour=red", "vuln_sources[0].colour"},
        {"kev=https://x/;interval", "vuln_sources[0].interval"},
        {"kev=https://x/;api_key=", "vuln_sources[0].api_key"},
        {"kev=https://x/;api_key_header=X-Key", "vuln_sources[0].api_key"},
        {"kev=https://x/;api_key=k;api_key_header=a b", "vuln_sources[0].api_key_header"},
        {"kev=https://x/,kev=https://y/", "vuln_sources[1].name"},
    };
    for (const auto& [text, field] : cases) {
        auto r = ParseVulnSources(text);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument) << text;
        EXPECT_EQ(r.error().field, field) << text << ": " << r.error().message;
        EXPECT_FALSE(r.error().message.empty());
    }
}

// ---- against the local server ----------------------------------------------------------------

struct Handed {
    std::string content;
    IngestKind kind;
};

class FetchTest : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        dir_ = fs::temp_directory_path() / ("muhafiz-fetch-" + std::to_string(getpid()) + "-" +
                                            std::to_string(counter_++));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "root");
        fs::create_directories(dir_ / "data");
        const fs::path vuln = fs::path(SourceDir()) / "tests/data/vuln";
        fs::copy_file(vuln / "kev/kev_excerpt.json", dir_ / "root/kev.json");
        fs::copy_file(vuln / "epss/epss_scores_excerpt.csv", dir_ / "root/epss.csv");
        // Two NVD API pages: 3 results, 2 per page.
        WriteNvdPage(0, {"CVE-2024-0001", "CVE-2024-0002"});
        WriteNvdPage(2, {"CVE-2024-0003"});
        port_ = FreePort();
        server_ = std::make_unique<Server>(port_, dir_ / "root", dir_ / "log.jsonl");
    }
    void TearDown() override {
        server_.reset();
        fs::remove_all(dir_);
    }

    void WriteNvdPage(int start, const std::vector<std::string>& ids) {
        std::string vulns;
        for (const auto& id : ids)
            vulns += std::string(vulns.empty() ? "" : ",") + R"({"cve":{"id":")" + id +
                     R"(","sourceIdentifier":"test","published":"2024-01-01T00:00:00.000","lastModified":"2024-01-02T00:00:00.000","vulnStatus":"Analyzed","descriptions":[{"lang":"en","value":"test"}],"references":[]}})";
        std::ofstream(dir_ / "root" / ("nvd-page-" + std::to_string(start) + ".json"))
            << R"({"resultsPerPage":2,"startIndex":)" << start
            << R"(,"totalResults":3,"format":"NVD_CVE","version":"2.0","timestamp":"2024-01-03T00:00:00.000","vulnerabilities":[)"
            << vulns << "]}";
    }

    std::string Url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

    VulnSource Source(const std::string& name, const std::string& path, IngestKind kind) const {
        VulnSource s;
        s.name = name;
        s.url = Url(path);
        s.kind = kind;
        s.interval = seconds(3600);
        return s;
    }

    FetchOptions Options() const {
        FetchOptions o;
        o.data_dir = dir_ / "data";
        o.connect_timeout = seconds(5);
        o.timeout = seconds(20);
        return o;
    }

    FetchCallback Recorder() {
        return [this](const std::string& path, IngestKind kind) -> core::Status {
            std::lock_guard lock(mu_);
            EXPECT_TRUE(fs::path(path).string().starts_with((dir_ / "data" / "vuln-fetch").string()));
            handed_.push_back({ReadAll(path), kind});
            return core::Ok();
        };
    }

    std::size_t HandedCount() {
        std::lock_guard lock(mu_);
        return handed_.size();
    }

    std::vector<core::json::object> Log() const {
        std::vector<core::json::object> out;
        std::ifstream in(dir_ / "log.jsonl");
        for (std::string line; std::getline(in, line);)
            if (auto o = core::ParseJsonObject(line)) out.push_back(std::move(*o));
        return out;
    }

    static std::string Str(const core::json::object& o, const char* key) {
        const auto* v = o.if_contains(key);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    }

    bool TempDirEmpty() const {
        const auto d = dir_ / "data" / "vuln-fetch";
        return !fs::exists(d) || fs::is_empty(d);
    }

    static inline int counter_ = 0;
    std::unique_ptr<db::Database> db_;
    fs::path dir_;
    int port_ = 0;
    std::unique_ptr<Server> server_;
    std::mutex mu_;
    std::vector<Handed> handed_;
};

TEST_P(FetchTest, StateTableRoundTrip) {
    SourceStateStore store(*db_);
    auto empty = store.Get("kev");
    ASSERT_TRUE(empty) << empty.error().message;
    EXPECT_EQ(empty->name, "kev");
    EXPECT_FALSE(empty->last_fetch_at);
    SourceState s{"kev", 1000, 900, "\"abc\"", "Tue, 01 Sep 2026 10:00:00 GMT", 200, ""};
    ASSERT_TRUE(store.Put(s));
    s.last_status = 500;
    s.last_error = "boom";
    s.last_success_at.reset();
    ASSERT_TRUE(store.Put(s));
    auto got = store.Get("kev");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->last_fetch_at, 1000);
    EXPECT_FALSE(got->last_success_at);
    EXPECT_EQ(got->etag, "\"abc\"");
    EXPECT_EQ(got->last_modified, "Tue, 01 Sep 2026 10:00:00 GMT");
    EXPECT_EQ(got->last_status, 500);
    EXPECT_EQ(got->last_error, "boom");
}

TEST_P(FetchTest, DownloadThenNotModified) {
    Fetcher fetcher(*db_, Recorder(), Options());
    const auto source = Source("kev", "/files/kev.json", IngestKind::kKev);
    auto first = fetcher.Fetch(source);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->files, 1);
    EXPECT_FALSE(first->not_modified);
    ASSERT_EQ(HandedCount(), 1u);
    EXPECT_EQ(handed_[0].content, ReadAll(dir_ / "root/kev.json"));
    EXPECT_EQ(handed_[0].kind, IngestKind::kKev);
    EXPECT_TRUE(TempDirEmpty());

    auto state = fetcher.states().Get("kev");
    ASSERT_TRUE(state);
    EXPECT_FALSE(state->etag.empty());
    EXPECT_FALSE(state->last_modified.empty());
    EXPECT_EQ(state->last_status, 200);
    EXPECT_TRUE(state->last_fetch_at);
    EXPECT_TRUE(state->last_success_at);

    // A second Fetcher (as after a restart) still sends the remembered validators.
    Fetcher again(*db_, Recorder(), Options());
    auto second = again.Fetch(source);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_TRUE(second->not_modified);
    EXPECT_EQ(second->files, 0);
    EXPECT_EQ(HandedCount(), 1u);
    EXPECT_TRUE(TempDirEmpty());
    const auto log = Log();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(Str(log[1], "if_none_match"), state->etag);
    EXPECT_EQ(Str(log[1], "if_modified_since"), state->last_modified);
    EXPECT_EQ(log[1].at("status").as_int64(), 304);
    EXPECT_EQ(fetcher.states().Get("kev")->last_status, 304);
}

TEST_P(FetchTest, GzipRedirectAndApiKey) {
    Fetcher fetcher(*db_, Recorder(), Options());
    auto epss = Source("epss", "/gzip/epss.csv", IngestKind::kEpss);
    epss.api_key_header = "apiKey";
    epss.api_key = "secret-key";
    ASSERT_TRUE(fetcher.Fetch(epss));
    ASSERT_TRUE(fetcher.Fetch(Source("kev", "/redirect/kev.json", IngestKind::kKev)));
    ASSERT_EQ(HandedCount(), 2u);
    EXPECT_EQ(handed_[0].content, ReadAll(dir_ / "root/epss.csv"));  // transfer encoding undone
    EXPECT_EQ(handed_[0].kind, IngestKind::kEpss);
    EXPECT_EQ(handed_[1].content, ReadAll(dir_ / "root/kev.json"));
    const auto log = Log();
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(Str(log[0], "api_key"), "secret-key");
    EXPECT_EQ(Str(log[1], "path"), "/redirect/kev.json");
    EXPECT_EQ(Str(log[2], "path"), "/files/kev.json");
}

// The real importer behind the callback (the app passes VulnService::IngestPath, which wraps it):
// KEV, gzip-encoded EPSS and the NVD pages land in the store; a 304 imports nothing.
TEST_P(FetchTest, DownloadsAreImported) {
    VulnStore store(*db_);
    std::vector<IngestReport> reports;
    Fetcher fetcher(*db_, [&](const std::string& path, IngestKind kind) -> core::Status {
        auto report = IngestPath(store, path, kind);
        if (!report) return tl::unexpected(report.error());
        reports.push_back(*report);
        return core::Ok();
    }, Options());
    ASSERT_TRUE(fetcher.Fetch(Source("kev", "/files/kev.json", IngestKind::kKev)));
    ASSERT_TRUE(fetcher.Fetch(Source("epss", "/gzip/epss.csv", IngestKind::kEpss)));
    ASSERT_TRUE(fetcher.Fetch(Source("nvd", "/rest/json/cves/2.0", IngestKind::kNvd)));
    ASSERT_EQ(reports.size(), 4u);
    EXPECT_EQ(reports[0].records, 10);
    EXPECT_EQ(reports[0].inserted, 10);
    EXPECT_GT(reports[1].records, 0);
    EXPECT_EQ(reports[1].rejected, 0);
    EXPECT_EQ(reports[2].records + reports[3].records, 3);
    auto again = fetcher.Fetch(Source("kev", "/files/kev.json", IngestKind::kKev));
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->not_modified);
    EXPECT_EQ(reports.size(), 4u);
}

TEST_P(FetchTest, TooManyRequestsWaitsForRetryAfter) {
    Fetcher fetcher(*db_, Recorder(), Options());
    const auto start = std::chrono::steady_clock::now();
    auto r = fetcher.Fetch(Source("kev", "/limited/1/kev.json", IngestKind::kKev));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->requests, 2);
    EXPECT_EQ(r->files, 1);
    EXPECT_GE(elapsed, std::chrono::milliseconds(950));  // "Retry-After: 1"
    const auto log = Log();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].at("status").as_int64(), 429);
    EXPECT_EQ(log[1].at("status").as_int64(), 200);

    // Retries are bounded: still 429 after max_attempts is an error, recorded in the table.
    auto opts = Options();
    opts.max_attempts = 2;
    std::vector<std::chrono::microseconds> slept;
    opts.sleep = [&](std::chrono::microseconds d) { slept.push_back(d); };
    Fetcher impatient(*db_, Recorder(), opts);
    auto failed = impatient.Fetch(Source("busy", "/limited/5/kev.json", IngestKind::kKev));
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, core::ErrorCode::kTooManyRequests);
    ASSERT_EQ(slept.size(), 1u);
    EXPECT_EQ(slept[0], seconds(1));
    auto state = impatient.states().Get("busy");
    EXPECT_EQ(state->last_status, 429);
    EXPECT_FALSE(state->last_error.empty());
    EXPECT_FALSE(state->last_success_at);

    // 503 without Retry-After waits default_retry_after.
    slept.clear();
    auto ok = impatient.Fetch(Source("busy503", "/busy/1/kev.json", IngestKind::kKev));
    ASSERT_TRUE(ok) << ok.error().message;
    ASSERT_EQ(slept.size(), 1u);
    EXPECT_EQ(slept[0], opts.default_retry_after);
}

TEST_P(FetchTest, RateLimiterSpacesRequests) {
    core::Micros now = 1'800'000'000'000'000;
    const core::Micros t0 = now;
    std::vector<core::Micros> request_times;
    auto opts = Options();
    opts.now = [&] { return now; };
    opts.sleep = [&](std::chrono::microseconds d) { now += d.count(); };
    Fetcher fetcher(*db_, [&](const std::string&, IngestKind) -> core::Status {
        request_times.push_back(now);
        return core::Ok();
    }, opts);
    auto source = Source("limited", "/rest/json/cves/2.0", IngestKind::kNvd);
    source.requests_per_window = 2;
    source.window = seconds(10);
    // Three NVD fetches of two pages each: six requests, two per 10 s.
    for (int i = 0; i < 3; ++i) {
        auto r = fetcher.Fetch(source);
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->requests, 2);
    }
    ASSERT_EQ(request_times.size(), 6u);
    const std::vector<core::Micros> want = {0, 0, 10'000'000, 10'000'000, 20'000'000, 20'000'000};
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(request_times[i] - t0, want[i]) << i;
}

TEST_P(FetchTest, NvdPagingAndModifiedWindows) {
    core::Micros now = *core::ParseRfc3339("2026-01-01T00:00:00Z");
    auto opts = Options();
    opts.now = [&] { return now; };
    Fetcher fetcher(*db_, Recorder(), opts);
    auto source = Source("nvd", "/rest/json/cves/2.0", IngestKind::kNvd);
    source.api_key_header = "apiKey";
    source.api_key = "nvd-key";
    auto first = fetcher.Fetch(source);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->requests, 2);
    EXPECT_EQ(first->files, 2);
    ASSERT_EQ(HandedCount(), 2u);
    EXPECT_EQ(handed_[0].kind, IngestKind::kNvd);
    EXPECT_NE(handed_[0].content.find("CVE-2024-0002"), std::string::npos);
    EXPECT_NE(handed_[1].content.find("CVE-2024-0003"), std::string::npos);
    auto log = Log();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(Str(log[0], "query"), "startIndex=0&resultsPerPage=2000");
    EXPECT_EQ(Str(log[1], "query"), "startIndex=2&resultsPerPage=2000");
    EXPECT_EQ(Str(log[0], "api_key"), "nvd-key");

    // 200 days later: two windows (120 + 80 days) of two pages each, since the last success.
    now = *core::ParseRfc3339("2026-07-20T00:00:00Z");
    auto second = fetcher.Fetch(source);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->requests, 4);
    log = Log();
    ASSERT_EQ(log.size(), 6u);
    const std::string w1 = "&lastModStartDate=2026-01-01T00:00:00.000Z&lastModEndDate=2026-05-01T00:00:00.000Z";
    const std::string w2 = "&lastModStartDate=2026-05-01T00:00:00.000Z&lastModEndDate=2026-07-20T00:00:00.000Z";
    EXPECT_EQ(Str(log[2], "query"), "startIndex=0&resultsPerPage=2000" + w1);
    EXPECT_EQ(Str(log[3], "query"), "startIndex=2&resultsPerPage=2000" + w1);
    EXPECT_EQ(Str(log[4], "query"), "startIndex=0&resultsPerPage=2000" + w2);
    EXPECT_EQ(Str(log[5], "query"), "startIndex=2&resultsPerPage=2000" + w2);
    EXPECT_EQ(fetcher.states().Get("nvd")->last_success_at, now);
    EXPECT_TRUE(TempDirEmpty());
}

TEST_P(FetchTest, ErrorsAreRecorded) {
    Fetcher fetcher(*db_, Recorder(), Options());
    auto missing = fetcher.Fetch(Source("gone", "/status/404", IngestKind::kKev));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
    auto broken = fetcher.Fetch(Source("broken", "/status/500", IngestKind::kKev));
    ASSERT_FALSE(broken);
    EXPECT_EQ(broken.error().code, core::ErrorCode::kUnavailable);
    EXPECT_EQ(fetcher.states().Get("broken")->last_status, 500);

    // The callback's error is returned and the ETag is not remembered (the next fetch retries).
    Fetcher refusing(*db_, [](const std::string&, IngestKind) -> core::Status {
        return core::Invalid("file", "not a KEV catalog");
    }, Options());
    auto refused = refusing.Fetch(Source("kev", "/files/kev.json", IngestKind::kKev));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "not a KEV catalog");
    auto state = refusing.states().Get("kev");
    EXPECT_TRUE(state->etag.empty());
    EXPECT_EQ(state->last_error, "not a KEV catalog");
    EXPECT_TRUE(TempDirEmpty());

    // Nobody listens on this port: a network error.
    VulnSource closed = Source("closed", "/files/kev.json", IngestKind::kKev);
    closed.url = "http://127.0.0.1:" + std::to_string(FreePort()) + "/files/kev.json";
    auto unreachable = fetcher.Fetch(closed);
    ASSERT_FALSE(unreachable);
    EXPECT_EQ(unreachable.error().code, core::ErrorCode::kUnavailable);
    EXPECT_EQ(fetcher.states().Get("closed")->last_status, 0);
}

TEST_P(FetchTest, SchedulerRunsStopsAndBacksOff) {
    Fetcher fetcher(*db_, Recorder(), Options());
    auto broken = Source("broken", "/status/500", IngestKind::kKev);
    broken.interval = seconds(1);  // back-off capped at the interval
    {
        Scheduler scheduler(fetcher, {Source("kev", "/files/kev.json", IngestKind::kKev), broken});
        auto unknown = scheduler.RunOnce("nope");
        ASSERT_FALSE(unknown);
        EXPECT_EQ(unknown.error().code, core::ErrorCode::kNotFound);
        auto once = scheduler.RunOnce("kev");
        ASSERT_TRUE(once) << once.error().message;
        EXPECT_EQ(HandedCount(), 1u);

        // kev ran just now: its next run is an hour away. broken runs now and every second.
        scheduler.Start();
        std::this_thread::sleep_for(std::chrono::milliseconds(2600));
        const auto stop_start = std::chrono::steady_clock::now();
        scheduler.Stop();
        EXPECT_LT(std::chrono::steady_clock::now() - stop_start, seconds(2));
    }
    EXPECT_EQ(HandedCount(), 1u);
    int kev = 0, broken_requests = 0;
    for (const auto& entry : Log()) {
        if (Str(entry, "path") == "/files/kev.json") ++kev;
        if (Str(entry, "path") == "/status/500") ++broken_requests;
    }
    EXPECT_EQ(kev, 1);
    EXPECT_GE(broken_requests, 2);
    EXPECT_LE(broken_requests, 4);

    // Stop interrupts a transfer in progress.
    {
        Fetcher slow_fetcher(*db_, Recorder(), Options());
        Scheduler slow(slow_fetcher, {Source("slow", "/slow/15", IngestKind::kKev)});
        slow.Start();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        const auto stop_start = std::chrono::steady_clock::now();
        slow.Stop();
        EXPECT_LT(std::chrono::steady_clock::now() - stop_start, seconds(4));
        EXPECT_FALSE(slow_fetcher.states().Get("slow")->last_error.empty());
    }

    // A fresh scheduler for a never-fetched source runs it at once.
    Fetcher fresh(*db_, Recorder(), Options());
    Scheduler scheduler(fresh, {Source("epss", "/files/epss.csv", IngestKind::kEpss)});
    scheduler.Start();
    for (int i = 0; i < 100 && HandedCount() < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    scheduler.Stop();
    ASSERT_EQ(HandedCount(), 2u);
    EXPECT_EQ(handed_[1].kind, IngestKind::kEpss);
}

INSTANTIATE_TEST_SUITE_P(Backends, FetchTest, ::testing::ValuesIn(db::testing::BackendNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace muhafiz::vulns
