// Collectors of the feed pipeline that run in the background of `serve`:
//   - the spool folder: <spool_dir>/<feed>/<file> is taken once (moved to .processing/), ingested
//     as that feed's report and moved to done/ (or failed/, with a .error file saying why);
//     names starting with '.' are ignored, so a writer can upload as ".name" and rename;
//   - scheduled HTTP(S) fetches of each feed's `fetch.url` with libcurl, with If-None-Match /
//     If-Modified-Since from the last answer (table feed_fetch_state);
//   - the digest timer (DigestService::RunDue every `digest_poll`).
// Thread-safety: Collectors owns one worker thread; Start/Stop from one thread. The free
// functions are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.hpp"
#include "feeds/digest.hpp"
#include "feeds/pipeline.hpp"

namespace muhafiz::feeds {

struct FetchOutcome {
    int status = 0;  // HTTP status; 304: not modified
    std::string body, etag, last_modified;
};

// GET `fetch.url` (following redirects, 5 minutes at most, 512 MiB at most).
[[nodiscard]] core::Result<FetchOutcome> FetchUrl(const FetchConfig& fetch, const std::string& etag,
                                                  const std::string& last_modified);

// Fetches one configured feed now and ingests what changed. Returns the run summary, or nullopt
// when the server answered 304.
[[nodiscard]] core::Result<std::optional<IngestSummary>> FetchFeed(Pipeline& pipeline, const FeedConfig& feed);

// Takes every file waiting in the spool folder once; returns how many were ingested.
[[nodiscard]] core::Result<int> ScanSpool(Pipeline& pipeline, const std::string& spool_dir);

class Collectors {
public:
    Collectors(Pipeline& pipeline, DigestService* digests, std::chrono::seconds digest_poll)
        : pipeline_(pipeline), digests_(digests), digest_poll_(digest_poll) {}
    ~Collectors() { Stop(); }
    void Start();
    void Stop();

private:
    void Loop();
    Pipeline& pipeline_;
    DigestService* digests_;
    std::chrono::seconds digest_poll_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread worker_;
};

}  // namespace muhafiz::feeds
