// Collectors of the feed pipeline that run in the background of `serve`:
//   - the spool folder: <spool_dir>/<feed>/<file> is taken once (moved to .processing/), ingested
//     as that feed's report and moved to done/ (or failed/, with a .error file saying why);
//     names starting with '.' are ignored, so a writer can upload as ".name" and rename;
//   - scheduled HTTP(S) fetches of each feed's `fetch.url` with libcurl, with If-None-Match /
//     If-Modified-Since from the last answer (table feed_fetch_state);
//   - the digest timer (DigestService::RunDue every `digest_poll`);
//   - UploadQueue: reports uploaded over HTTP are written to <dir>/<id>.body (fsync) with a job
//     record <id>.json before the request is answered, and ingested by the queue's own worker;
//     jobs still queued or running when the process ended are taken up again by the next Open, so
//     nothing accepted is lost (an interrupted run resumes where it was committed).
// Thread-safety: Collectors owns one worker thread; Start/Stop from one thread. UploadQueue is
// thread-safe (its worker thread plus any number of request threads). The free functions are
// thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
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

// One uploaded report and what became of it.
struct UploadJob {
    std::string id;  // UUIDv7 (time-ordered)
    std::string feed, format, file_name, created_by;
    std::string fingerprint;  // of the report (FingerprintData): one job of a report at a time
    bool force = false;
    std::int64_t size = 0;
    std::string status = "queued";  // queued, running, done, failed
    core::Micros created_at = 0;
    std::optional<core::Micros> started_at, finished_at;
    IngestProgress progress;  // while running; the run's totals when done
    std::int64_t aggregated = 0;
    std::string run_uuid;
    bool already_ingested = false, resumed = false;
    int attempts = 0;  // runs started (more than 1 after a restart)
    std::string error;
};

class UploadQueue {
public:
    // `dir`: the spool folder of uploads (created); `capacity`: at most this many jobs queued or
    // running at once; `worker`: false leaves the jobs in the spool for a process where it is on.
    UploadQueue(Pipeline& pipeline, std::string dir, std::size_t capacity, bool worker = true);
    ~UploadQueue();
    UploadQueue(const UploadQueue&) = delete;
    UploadQueue& operator=(const UploadQueue&) = delete;

    // Creates the folder and reads the jobs found there (queued and interrupted ones are queued
    // again; finished ones older than `keep` are removed).
    [[nodiscard]] core::Status Open(std::chrono::hours keep = std::chrono::hours(24 * 7));
    // Spools the report durably and queues it. kTooManyRequests when the queue is full;
    // kConflict when the same report (feed and content) is queued or being ingested already, as a
    // job of this queue or by any ingest (Pipeline::RefuseIfBeingIngested).
    [[nodiscard]] core::Result<UploadJob> Submit(UploadJob spec, const std::string& body);
    [[nodiscard]] std::optional<UploadJob> Get(const std::string& id) const;
    struct Page {
        std::vector<UploadJob> items;  // newest first
        std::int64_t total = 0;
        std::optional<std::string> next;
    };
    // `status` filters ("" all); `cursor` is the id of the last job of the previous page.
    [[nodiscard]] core::Result<Page> List(const std::string& status, int limit, const std::string& cursor) const;
    [[nodiscard]] std::size_t pending() const;
    [[nodiscard]] std::size_t capacity() const { return capacity_; }
    [[nodiscard]] const std::string& dir() const { return dir_; }

    // The worker (no-op when constructed with worker = false). Stop lets the running ingest
    // finish (an interrupted one would resume at the next start anyway).
    void Start();
    void Stop();

private:
    void Loop();
    void Run(const std::string& id);
    [[nodiscard]] core::Status Persist(const UploadJob& job) const;
    [[nodiscard]] std::string BodyPath(const std::string& id) const;
    void Prune();  // forgets finished jobs older than keep_ (records removed)

    Pipeline& pipeline_;
    std::chrono::hours keep_{24 * 7};
    std::string dir_;
    std::size_t capacity_;
    bool worker_enabled_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::string, UploadJob> jobs_;  // by id
    std::deque<std::string> queue_;
    std::size_t reserved_ = 0;  // submissions being written
    std::set<std::string> submitting_;  // their feed + '\n' + fingerprint
    bool stop_ = false;
    std::thread worker_;
};

}  // namespace muhafiz::feeds
