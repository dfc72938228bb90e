// FeedStore: the feeds tables of migration 011 (runs, events, dead letters, per-recipient counts,
// digest preferences and state, the digest log, fetch state), with SQL written once for SQLite
// and PostgreSQL. A batch of the pipeline is committed in one transaction together with the run's
// resume point, so a run killed at any moment resumes without losing or repeating an event.
// Lists use keyset pagination (newest first) with an opaque cursor and a total.
// Events of non-aggregated feeds are stored in blocks (migration 019, feeds/event_block.hpp: one
// feed_event_blocks row per unit of many batches and recipient; a batch given to WriteBatch with
// block_rows holds its events only there); aggregated feeds, and everything written before
// 019, are feed_events rows. Every reader here reads both; event ids are one sequence over both.
// Thread-safety: thread-safe (each call takes its own connection unless one is passed in).
// Errors: database errors as in db/database.hpp; kInvalidArgument for a bad cursor or filter.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "access/policy.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "db/database.hpp"
#include "feeds/stages.hpp"

namespace muhafiz::feeds {

struct RunRecord {
    std::int64_t id = 0;
    std::string uuid, feed, source = "file", file_name, file_hash;
    std::int64_t file_size = 0;
    std::string format, status = "running", header;
    std::int64_t next_offset = 0, next_line = 1;
    std::int64_t lines_read = 0, events = 0, rejected = 0, duplicates = 0, aggregated = 0;
    std::string error;
    core::Micros started_at = 0;
    std::optional<core::Micros> finished_at;
    std::string created_by;
    // Who ingests the run now ("host:pid"), renewed with every commit; a lease that ran out (or
    // whose process is gone) may be taken over (migration 013).
    std::string lease_owner;
    core::Micros lease_until = 0;
};

struct StoredEvent {
    std::int64_t id = 0;
    std::string uuid, feed;
    std::int64_t run_id = 0, line = 0;
    core::Micros time_source = 0, observed_at = 0;
    std::string taxonomy, type, identifier, severity, source_ip;
    std::optional<std::int64_t> source_asn;
    std::string source_cc;
    std::int64_t organisation_id = 0, recipient_id = 0;
    std::string organisation_uuid, organisation_name, recipient_uuid, recipient_name;
    std::string route;
    bool notify = true;
    core::Micros first_seen = 0, last_seen = 0;
    std::int64_t count = 1;
    std::string data;  // flat IntelMQ JSON
};

struct EventFilter {
    std::string feed;
    std::string organisation;  // public id: that organisation and everything below it
    std::string recipient;     // public id: routed to that organisation
    std::string classification;  // a taxonomy or a type
    std::string route;
    std::string ip;  // exact source.ip
    std::optional<core::Micros> since, until;  // on time.source
    int limit = 50;
    std::string cursor;
};

template <typename T>
struct Page {
    std::vector<T> items;
    std::int64_t total = 0;
    std::optional<std::string> next;
};

struct DeadLetter {
    std::int64_t id = 0;
    std::string uuid, feed, run_uuid, file_name;
    std::int64_t run_id = 0, line = 0;
    std::string reason, raw, state;  // raw: decoded bytes
    core::Micros created_at = 0;
    std::optional<core::Micros> replayed_at;
};

struct DigestRecord {
    std::int64_t id = 0;
    std::string uuid, reference;
    std::int64_t organisation_id = 0;
    std::string organisation_uuid, organisation_name, interval;
    std::int64_t events = 0, first_event_id = 0, last_event_id = 0;
    std::string recipients;
    bool encrypted = false;
    std::string notification_uuid, status, reason, delivery_status;
    core::Micros created_at = 0;
};

// How long a run's lease lasts without a commit (renewed with every committed batch).
inline constexpr core::Micros kLeaseMicros = 120LL * 1000000;

class FeedStore {
public:
    explicit FeedStore(db::Database& db) : db_(db) {}
    db::Database& database() { return db_; }
    // Whether this database stores block texts packed (PackBlockText: SQLite; PostgreSQL
    // compresses large values itself). WriteBatch packs those not packed yet.
    [[nodiscard]] static bool PacksBlocks(const db::Connection& conn) { return conn.dialect() == db::Dialect::kSqlite; }

    // ---- runs
    [[nodiscard]] core::Result<std::optional<RunRecord>> FindRunByHash(db::Connection& conn, const std::string& feed,
                                                                       const std::string& hash);
    [[nodiscard]] core::Result<RunRecord> CreateRun(db::Connection& conn, RunRecord run);
    [[nodiscard]] core::Result<RunRecord> GetRun(db::Connection& conn, std::int64_t id);
    // Takes the run's lease for `owner` until `until` when it still is as `run` saw it (compare and
    // set); false when someone else changed it meanwhile.
    [[nodiscard]] core::Result<bool> TakeLease(db::Connection& conn, RunRecord& run, const std::string& owner,
                                               core::Micros until);
    [[nodiscard]] core::Result<RunRecord> GetRunByUuid(db::Connection& conn, const std::string& uuid);
    // Commits a batch: its events, aggregate updates, dead letters, per-recipient counts and the
    // run's resume point and totals, in one transaction. Updates `run` in memory too.
    [[nodiscard]] core::Status CommitBatch(db::Connection& conn, RunRecord& run, Batch& batch, core::Micros now);
    // The same inside the caller's transaction (several batches committed together).
    [[nodiscard]] core::Status WriteBatch(db::Connection& conn, RunRecord& run, Batch& batch, core::Micros now);
    // `counts` (events per organisation: recipient, and owner when another organisation), when
    // the caller counted every event of the run itself; else they are counted from storage.
    [[nodiscard]] core::Status FinishRun(db::Connection& conn, RunRecord& run, const std::string& status,
                                         const std::string& error, core::Micros now,
                                         const std::map<std::int64_t, std::int64_t>* counts = nullptr);
    [[nodiscard]] core::Result<std::vector<std::pair<std::int64_t, std::int64_t>>> RunCounts(db::Connection& conn,
                                                                                             std::int64_t run_id);
    [[nodiscard]] core::Result<Page<RunRecord>> ListRuns(const std::string& feed, int limit, const std::string& cursor);

    // Dedup and aggregate state of a feed since `since` (observation time).
    [[nodiscard]] core::Result<std::vector<std::pair<std::uint64_t, core::Micros>>> LoadDedup(
        db::Connection& conn, const std::string& feed, core::Micros since);
    struct OpenAggregate {
        std::uint64_t hash;
        core::Micros first_seen, last_seen;
    };
    [[nodiscard]] core::Result<std::vector<OpenAggregate>> LoadAggregates(db::Connection& conn, const std::string& feed,
                                                                          core::Micros since);

    // ---- events
    // `scope`: the organisations whose events (by scope path) the caller may see.
    [[nodiscard]] core::Result<Page<StoredEvent>> ListEvents(const EventFilter& filter,
                                                             const access::PathScope& scope = {});
    // The texts of event blocks read during one digest pass (blocks are never changed once
    // written): the organisations of one CERT share its blocks, so each is read from the database
    // once, not once per organisation. Bounded by the bytes it holds (least recently used first
    // out). Used by one thread.
    class BlockTexts {
    public:
        explicit BlockTexts(std::size_t max_bytes = std::size_t{96} << 20) : max_bytes_(max_bytes) {}
        // The block's text from the cache, else read and kept.
        [[nodiscard]] core::Result<std::shared_ptr<const std::string>> Get(db::Connection& conn, std::int64_t block_id);
        [[nodiscard]] std::int64_t reads() const { return reads_; }

    private:
        std::size_t max_bytes_, bytes_ = 0;
        std::int64_t reads_ = 0, clock_ = 0;
        struct Entry {
            std::shared_ptr<const std::string> text;
            std::int64_t used = 0;
        };
        std::unordered_map<std::int64_t, Entry> entries_;
    };
    // Events for a digest: routed to or owned by `organisation_id`, id > after, notify = 1.
    // `texts`: block texts shared across the calls of a digest pass (null: read for this call).
    [[nodiscard]] core::Result<std::vector<StoredEvent>> EventsFor(db::Connection& conn, std::int64_t organisation_id,
                                                                   std::int64_t after, std::int64_t limit,
                                                                   BlockTexts* texts = nullptr);
    [[nodiscard]] core::Result<std::int64_t> CountEvents(const std::string& feed);

    // ---- dead letters
    [[nodiscard]] core::Result<Page<DeadLetter>> ListDeadLetters(const std::string& feed, const std::string& state,
                                                                int limit, const std::string& cursor);
    [[nodiscard]] core::Result<std::vector<DeadLetter>> OpenDeadLetters(const std::string& feed,
                                                                       const std::vector<std::string>& uuids);
    [[nodiscard]] core::Status MarkDeadLetters(db::Connection& conn, const std::vector<std::int64_t>& ids,
                                               const std::string& state, core::Micros now);

    // ---- figures
    [[nodiscard]] core::Result<core::json::array> FeedFigures();
    [[nodiscard]] core::Result<core::json::array> RecipientFigures(const db::Predicate& scope, const std::string& feed);

    // ---- digests
    [[nodiscard]] core::Result<std::map<std::string, std::string>> DigestPrefs(db::Connection& conn,
                                                                               std::int64_t organisation_id);
    [[nodiscard]] core::Status SetDigestPref(std::int64_t organisation_id, const std::string& taxonomy,
                                             const std::string& interval);
    [[nodiscard]] core::Result<std::pair<std::int64_t, core::Micros>> DigestState(db::Connection& conn,
                                                                                  std::int64_t organisation_id,
                                                                                  const std::string& interval);
    [[nodiscard]] core::Status SetDigestState(db::Connection& conn, std::int64_t organisation_id,
                                              const std::string& interval, std::int64_t last_event_id,
                                              core::Micros sent_at);
    // The organisations that may have notifiable events no digest holds yet (recipients and
    // owners): the pending set, after adding those of the events stored since the last call
    // (only those are read). `now` tells which runs are still being ingested.
    [[nodiscard]] core::Result<std::vector<std::int64_t>> PendingRecipients(db::Connection& conn, core::Micros now);
    // Takes an organisation out of the pending set (all its events are digested, or it is gone).
    [[nodiscard]] core::Status DonePending(db::Connection& conn, std::int64_t organisation_id);
    [[nodiscard]] core::Result<DigestRecord> AddDigest(db::Connection& conn, DigestRecord d);
    [[nodiscard]] core::Result<Page<DigestRecord>> ListDigests(const db::Predicate& scope, int limit,
                                                              const std::string& cursor);

    // An organisation's internal id and path by its public id; nullopt when there is none.
    struct OrgRef {
        std::int64_t id = 0;
        std::string path, name;
    };
    [[nodiscard]] core::Result<std::optional<OrgRef>> Organisation(const std::string& uuid);

    // ---- fetch state
    struct FetchState {
        std::optional<core::Micros> last_fetch_at;
        std::string etag, last_modified, last_error;
        int last_status = 0;
    };
    [[nodiscard]] core::Result<FetchState> GetFetchState(const std::string& feed);
    [[nodiscard]] core::Status SetFetchState(const std::string& feed, const FetchState& state);

    // Blocks whose text lists of events decoded (ListEvents; blocks an address filter skips are
    // not counted): for operators' figures and tests.
    [[nodiscard]] std::int64_t blocks_decoded() const { return blocks_decoded_.load(std::memory_order_relaxed); }

private:
    db::Database& db_;
    std::atomic<std::int64_t> blocks_decoded_{0};
};

// The cursor of keyset pages (newest first): the last id of a page, opaque.
[[nodiscard]] std::string IdCursor(std::int64_t id);
[[nodiscard]] core::Result<std::int64_t> ParseIdCursor(const std::string& cursor);

}  // namespace muhafiz::feeds
