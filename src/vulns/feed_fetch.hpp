// Optional scheduled download of the public vulnerability sources (the NVD API 2.0, the CISA KEV
// catalog, EPSS daily files, CVE List release bundles). Offline files stay the default: nothing is
// downloaded unless the operator configures sources (ParseVulnSources).
//
// Fetcher downloads one source with libcurl (connect/total timeouts, redirects followed, gzip and
// deflate transfer encodings undone) into a temporary file under <data_dir>/vuln-fetch/ (named
// after the URL's last path segment, so that ".zip"/".gz" stay recognisable), hands it to the
// callback (the app passes VulnService::IngestPath) and removes it. What it remembers per source
// sits in the `vuln_sources` table (migration 008): the ETag and Last-Modified of the last 200
// answer, sent back as If-None-Match/If-Modified-Since (a 304 calls no callback), when it last
// fetched and last succeeded, and the last status and error. HTTP 429 and 503 are retried after
// their Retry-After (seconds or an HTTP date; capped by FetchOptions::max_retry_after) up to
// FetchOptions::max_attempts times. Every request goes through the source's rate limiter: at most
// requests_per_window requests in any rolling `window` (0 requests: no limit).
//
// An NVD API 2.0 URL (path ending in /rest/json/cves/2.0) is paged: startIndex=0,2000,...
// with resultsPerPage=2000 until totalResults is reached, each page a request of its own
// (through the rate limiter) handed to the callback as IngestKind::kNvd. After a successful fetch
// the next one asks only for what changed since it started (lastModStartDate/lastModEndDate),
// in consecutive windows of at most 120 days (the API's limit).
//
// Scheduler runs each source on a thread of its own: the next run is the last run + interval
// (after a restart, the last run is taken from the table); after a failure it retries with an
// exponential back-off (1 min, 2 min, ...) capped at the interval. Stop() interrupts waits.
// RunOnce(name) runs one source now (the CLI).
//
// Thread-safety: Fetcher::Fetch may be called from several threads (one fetch at a time per
// Fetcher); Scheduler is thread-safe. Ownership: the database and the callback's target are
// borrowed and must outlive the Fetcher. Errors: kInvalidArgument naming the field for a bad
// configuration; kUnavailable for network failures, 5xx and exhausted 429/503 retries;
// kNotFound for 404 and an unknown source name; the callback's errors as they are.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "db/database.hpp"
#include "vulns/ingest.hpp"

namespace muhafiz::vulns {

// Documented rate-limit defaults. The NVD API allows 5 requests per rolling 30 s window without
// an API key and 50 with one; KEV, EPSS and the CVE List bundle get one request per interval.
inline constexpr int kNvdRequestsWithoutKey = 5;
inline constexpr int kNvdRequestsWithKey = 50;
inline constexpr std::chrono::seconds kNvdWindow{30};
inline constexpr std::chrono::seconds kDefaultNvdInterval{7200};
inline constexpr std::chrono::seconds kDefaultInterval{86400};
inline constexpr int kNvdResultsPerPage = 2000;
inline constexpr std::chrono::hours kNvdMaxRange{120 * 24};

struct VulnSource {
    std::string name;
    std::string url;
    IngestKind kind = IngestKind::kAuto;
    std::chrono::seconds interval{kDefaultInterval};
    std::string api_key_header, api_key;  // sent as "<api_key_header>: <api_key>" when set
    int requests_per_window = 0;          // 0: no limit
    std::chrono::seconds window{0};
};

// True for an NVD API 2.0 CVE URL (paged, see above).
[[nodiscard]] bool IsNvdApiUrl(std::string_view url);

// Parses the `vuln_sources` configuration value: comma-separated sources, each
// "NAME=URL;key=value;...", with the keys
//   interval=SECONDS        default 7200 for an NVD API URL, else 86400
//   kind=auto|cve5|nvd|kev|epss   default by name (kev, epss, nvd, cve/cvelist/cve5) or URL, else auto
//   api_key=KEY             NVD: sent as "apiKey: KEY" (and raises the default limit to 50)
//   api_key_header=NAME     the header name for api_key (default "apiKey")
//   requests=N, window=SECONDS   the rate limit; default NVD 5 (50 with a key) per 30 s, others
//                                1 per interval
// An empty value is no source. Errors are kInvalidArgument naming the field, e.g.
// "vuln_sources[1].interval".
[[nodiscard]] core::Result<std::vector<VulnSource>> ParseVulnSources(std::string_view text);

// A row of `vuln_sources`.
struct SourceState {
    std::string name;
    std::optional<core::Micros> last_fetch_at, last_success_at;
    std::string etag, last_modified;
    int last_status = 0;
    std::string last_error;
};

// The `vuln_sources` table. Thread-safe (the database is a pool).
class SourceStateStore {
  public:
    explicit SourceStateStore(db::Database& db) : db_(db) {}
    // An empty state (name set) when the source has no row yet.
    [[nodiscard]] core::Result<SourceState> Get(const std::string& name);
    [[nodiscard]] core::Status Put(const SourceState& state);

  private:
    db::Database& db_;
};

// Hands a downloaded file to its importer (VulnService::IngestPath in the app).
using FetchCallback = std::function<core::Status(const std::string& path, IngestKind kind)>;

struct FetchOptions {
    std::filesystem::path data_dir;  // temporary files go to data_dir/vuln-fetch/
    std::chrono::seconds connect_timeout{30};
    std::chrono::seconds timeout{900};  // a whole transfer
    std::string user_agent = "Muhafiz vulnerability fetcher";
    int max_attempts = 4;                     // per request, for 429/503
    std::chrono::seconds max_retry_after{900};  // longer Retry-After values are cut to this
    std::chrono::seconds default_retry_after{30};  // a 429/503 without Retry-After
    // Clock (wall time, for the rate limiter and the NVD dates) and sleep; tests inject both.
    std::function<core::Micros()> now;
    std::function<void(std::chrono::microseconds)> sleep;
};

// What one fetch did.
struct FetchOutcome {
    int requests = 0;        // HTTP requests made (retries included)
    int files = 0;           // files handed to the callback
    bool not_modified = false;
};

class Fetcher {
  public:
    Fetcher(db::Database& db, FetchCallback callback, FetchOptions options);
    ~Fetcher();
    Fetcher(const Fetcher&) = delete;
    Fetcher& operator=(const Fetcher&) = delete;

    // Downloads `source` now (waiting for its rate limiter) and records the result in the table.
    [[nodiscard]] core::Result<FetchOutcome> Fetch(const VulnSource& source);
    // Makes waits (rate limiter, Retry-After) of running and later fetches return at once with
    // kUnavailable; used by Scheduler::Stop. Permanent: a cancelled Fetcher cannot wait again.
    void Cancel();
    [[nodiscard]] SourceStateStore& states() { return states_; }

  private:
    struct Response;
    struct Limiter;
    [[nodiscard]] core::Result<Response> Request(const VulnSource& source, const std::string& url,
                                                 const SourceState* validators,
                                                 FetchOutcome& outcome);
    [[nodiscard]] core::Result<Response> Transfer(const VulnSource& source, const std::string& url,
                                                  const SourceState* validators);
    [[nodiscard]] core::Result<FetchOutcome> FetchFile(const VulnSource& source, SourceState& state);
    [[nodiscard]] core::Result<FetchOutcome> FetchNvd(const VulnSource& source, SourceState& state);
    [[nodiscard]] core::Status Wait(std::chrono::microseconds d);
    [[nodiscard]] core::Status Throttle(const VulnSource& source);
    core::Micros Now() const;

    SourceStateStore states_;
    FetchCallback callback_;
    FetchOptions options_;
    std::mutex fetch_mu_;  // one fetch at a time
    std::mutex wait_mu_;
    std::condition_variable wait_cv_;
    std::atomic<bool> cancelled_{false};  // written under wait_mu_; read by transfers too
    std::map<std::string, std::unique_ptr<Limiter>> limiters_;  // by source name (fetch_mu_)
};

class Scheduler {
  public:
    // Back-off after the first failure; doubled per further failure, capped at the interval.
    static constexpr std::chrono::seconds kFirstBackoff{60};

    Scheduler(Fetcher& fetcher, std::vector<VulnSource> sources);
    ~Scheduler();  // Stop()
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    void Start();
    // Ends the threads (interrupting waits and a transfer in progress) and
    // cancels the Fetcher. Idempotent; the scheduler cannot be started again.
    void Stop();
    // Runs the source named `name` now; kNotFound for an unknown name.
    [[nodiscard]] core::Result<FetchOutcome> RunOnce(std::string_view name);
    [[nodiscard]] const std::vector<VulnSource>& sources() const { return sources_; }

  private:
    void Loop(const VulnSource& source);

    Fetcher& fetcher_;
    std::vector<VulnSource> sources_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace muhafiz::vulns
