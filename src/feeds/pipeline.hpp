// The feed pipeline: read → parse → deduplicate → enrich → route → aggregate → store, with the
// stages on their own threads exchanging batches through bounded queues (back-pressure, bounded
// memory; the parse thread and the enrich/route thread use both cores while the calling thread
// writes to the database).
//
// Input is read in chunks cut on record boundaries, never whole. A run is identified by the feed
// and a fingerprint of the content: re-ingesting a finished report is recognised (nothing is
// stored twice), and a run that was killed resumes at the resume point committed with its last
// batch. Events are additionally deduplicated within the feed's window (state rebuilt from storage
// on start), so the same observation arriving in another file is not stored twice either.
// Records that cannot be parsed go to the dead-letter store with their line and reason.
// A non-aggregated feed's events are stored in units spanning many chunks (IngestRequest::
// unit_events): the processing thread encodes each event into its recipient's open block at once
// (only that text is held), and a unit's blocks are committed with everything of the chunks they
// hold (dead letters, counters, the resume point of the last chunk) in one transaction.
//
// Thread-safety: Pipeline is thread-safe; each Ingest call runs its own stage threads.
// Errors: kInvalidArgument for an unknown format, an unreadable file or a header that does not fit
// (the run is recorded as failed with that reason); database errors as in db/database.hpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "constituency/owner_index.hpp"
#include "core/result.hpp"
#include "feeds/feed_config.hpp"
#include "feeds/feed_store.hpp"
#include "feeds/network_data.hpp"
#include "feeds/stages.hpp"

namespace muhafiz::feeds {

struct IngestProgress {
    std::int64_t bytes_done = 0, bytes_total = 0;
    std::int64_t lines = 0, events = 0, rejected = 0, duplicates = 0;
};

struct IngestRequest {
    std::string feed;
    std::string format;     // empty: the feed's configured format
    std::string path;       // a file to read, or
    std::string data;       // the report itself (uploads, fetches, e-mail) when path is empty
    std::string file_name;  // as recorded (defaults to the path)
    std::string source = "file";  // file, upload, fetch, mail, spool, replay
    std::string actor;
    bool force = false;  // ingest again a report that was already ingested (dedup still applies)
    std::size_t chunk_bytes = 1 << 20;
    int throttle_ms = 0;  // pause after each committed batch (load limiting)
    // Non-aggregated feeds: the events of several chunks are stored together, in one transaction
    // every this many events (0: the default, 262144 events or 128 MiB of stored text, whichever
    // comes first; one chunk at a time when throttled).
    std::size_t unit_events = 0;
    std::function<void(const IngestProgress&)> progress;
};

struct IngestSummary {
    RunRecord run;
    bool already_ingested = false;
    bool resumed = false;
    std::vector<std::pair<std::int64_t, std::int64_t>> per_recipient;  // organisation id, events
    double seconds = 0;
    std::size_t queue_high_water = 0;
    // CPU time of the parse thread (reading and parsing; and for a feed that is not aggregated the
    // stages and the building of blocks), the processing thread (closing blocks: ordered by owner
    // and packed; an aggregated feed's stages and rows) and the calling thread's store work
    // (measurement: feeds_bench prints them).
    double parse_cpu_seconds = 0, process_cpu_seconds = 0, store_cpu_seconds = 0;
};

struct PipelineOptions {
    std::string home_country;  // e.g. "PK"
    std::size_t queue_capacity = 4;
};

class Pipeline {
public:
    // Both sources are asked once per run, so a run sees one consistent snapshot while the
    // owner index or the network data are replaced underneath (nullptr: none).
    using OwnerSource = std::function<std::shared_ptr<const constituency::OwnerIndex>()>;
    using NetworkSource = std::function<std::shared_ptr<const NetworkData>()>;
    Pipeline(FeedStore& store, FeedsConfig config, OwnerSource owners, NetworkSource network,
             PipelineOptions options);

    [[nodiscard]] core::Result<IngestSummary> Ingest(const IngestRequest& request);
    // kConflict when the report with fingerprint `hash` (FingerprintData/File) of `feed` is being
    // ingested now, by this process or by another live one (its run's lease): what Ingest would
    // answer, asked before an ingest is queued. `file_name` names the report in the message.
    [[nodiscard]] core::Status RefuseIfBeingIngested(const std::string& feed, const std::string& hash,
                                                     const std::string& file_name);
    // Parses open dead letters again (after a fix of the mapping or the parser); those that now
    // parse are stored as events of a new 'replay' run and marked replayed.
    struct ReplayResult {
        std::int64_t tried = 0, replayed = 0, still_failing = 0;
        std::string run_uuid;
    };
    [[nodiscard]] core::Result<ReplayResult> Replay(const std::string& feed, const std::vector<std::string>& uuids,
                                                    const std::string& actor);

    [[nodiscard]] const FeedsConfig& config() const { return config_; }
    // The feed's configuration, or an ad-hoc one for an unconfigured name.
    [[nodiscard]] FeedConfig FeedFor(const std::string& name, const std::string& format) const;
    [[nodiscard]] FeedStore& store() { return store_; }

private:
    // The organisations' directory for a run: the one loaded before while their fingerprint
    // (Directory::Fingerprint) is the same (reading 20,000 organisations took ~200 M instructions
    // per ingest, 4 % of a 100k-row report's), else read again.
    [[nodiscard]] core::Result<std::shared_ptr<const Directory>> DirectoryFor(db::Connection& conn);

    FeedStore& store_;
    FeedsConfig config_;
    OwnerSource owners_;
    NetworkSource network_;
    PipelineOptions options_;
    std::mutex directory_mu_;
    std::string directory_fingerprint_;
    std::shared_ptr<const Directory> directory_;
};

// A fingerprint of a report's content: SHA-256 of the whole content up to 64 MiB; beyond that of
// the size, the first and the last 4 MiB (reports are unique in their timestamps and addresses).
[[nodiscard]] core::Result<std::string> FingerprintFile(const std::string& path, std::int64_t& size);
[[nodiscard]] std::string FingerprintData(std::string_view data);

// Reads input in chunks that end on a record boundary (CSV quoting respected).
class ChunkReader {
public:
    [[nodiscard]] static core::Result<std::unique_ptr<ChunkReader>> OpenFile(const std::string& path);
    [[nodiscard]] static std::unique_ptr<ChunkReader> FromData(std::string_view data);
    ~ChunkReader();
    // The first line (without its end), leaving the reader after it; nullopt for empty input.
    [[nodiscard]] core::Result<std::optional<std::string>> ReadFirstLine();
    [[nodiscard]] core::Status Seek(std::int64_t offset);
    // The next chunk of about `target` bytes of whole records; false at the end. What `chunk` holds
    // before is overwritten: its string becomes the reader's buffer (a chunk handed back this way
    // is read into again without being allocated or zero-filled).
    [[nodiscard]] core::Result<bool> Next(std::string& chunk, std::size_t target, bool csv);
    [[nodiscard]] std::int64_t offset() const { return offset_; }
    [[nodiscard]] std::int64_t size() const { return size_; }
    // The line ends ('\n') of the chunk Next gave last (counted as it was read).
    [[nodiscard]] std::size_t chunk_line_ends() const { return chunk_line_ends_; }

private:
    ChunkReader() = default;
    [[nodiscard]] core::Result<std::size_t> Fill(std::size_t want);
    // Adds (sign 1) or takes away (-1) the quotes and line ends of [p, p + n) to those of buffer_.
    void Count(const char* p, std::size_t n, int sign = 1);
    int fd_ = -1;
    std::string_view data_;
    bool from_data_ = false;
    // Its first used_ bytes are read but not yet handed out; the rest of its size is room Fill reads
    // into as it is (a string grown by resize is zero-filled first: ~2 % of the parse thread's
    // instructions for bytes read over at once).
    std::string buffer_;
    std::size_t used_ = 0;
    [[nodiscard]] std::string_view held() const { return {buffer_.data(), used_}; }
    std::size_t quotes_ = 0, line_ends_ = 0;  // '"' and '\n' in buffer_
    std::size_t chunk_line_ends_ = 0;
    std::int64_t offset_ = 0;  // input offset of buffer_[0]
    std::int64_t read_pos_ = 0;  // input offset after buffer_
    std::int64_t size_ = 0;
    bool eof_ = false;
};

}  // namespace muhafiz::feeds
