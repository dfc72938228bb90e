#include "feeds/feed_store.hpp"

#include <algorithm>

#include "core/ids.hpp"
#include "db/query.hpp"

namespace muhafiz::feeds {
namespace {

using db::Params;
using db::Value;

constexpr const char* kRunColumns =
    "id, uuid, feed, source, file_name, file_hash, file_size, format, status, header, next_offset, next_line, "
    "lines_read, events, rejected, duplicates, aggregated, error, started_at, finished_at, created_by, "
    "lease_owner, lease_until";

RunRecord RunFromRow(const db::Row& r) {
    RunRecord run;
    run.id = r.Int(0);
    run.uuid = r.Str(1);
    run.feed = r.Str(2);
    run.source = r.Str(3);
    run.file_name = r.Str(4);
    run.file_hash = r.Str(5);
    run.file_size = r.Int(6);
    run.format = r.Str(7);
    run.status = r.Str(8);
    run.header = r.Str(9);
    run.next_offset = r.Int(10);
    run.next_line = r.Int(11);
    run.lines_read = r.Int(12);
    run.events = r.Int(13);
    run.rejected = r.Int(14);
    run.duplicates = r.Int(15);
    run.aggregated = r.Int(16);
    run.error = r.Str(17);
    run.started_at = r.Int(18);
    run.finished_at = r.OptInt(19);
    run.created_by = r.Str(20);
    run.lease_owner = r.Str(21);
    run.lease_until = r.Int(22);
    return run;
}

constexpr const char* kEventColumns =
    "e.id, e.uuid, e.feed, e.run_id, e.line, e.time_source, e.observed_at, e.taxonomy, e.type, e.identifier, "
    "e.severity, e.source_ip, e.source_asn, e.source_cc, COALESCE(e.organisation_id, 0), e.recipient_id, e.route, "
    "e.notify, e.first_seen, e.last_seen, e.event_count, e.data, COALESCE(o.uuid, ''), COALESCE(o.name, ''), "
    "COALESCE(r.uuid, ''), COALESCE(r.name, ''), e.data_format, e.raw, b.data";
constexpr const char* kEventJoins =
    " FROM feed_events e LEFT JOIN organisations o ON o.id = e.organisation_id "
    "LEFT JOIN organisations r ON r.id = e.recipient_id LEFT JOIN feed_event_bases b ON b.id = e.base_id";

StoredEvent EventFromRow(const db::Row& r) {
    StoredEvent e;
    e.id = r.Int(0);
    e.uuid = r.Str(1);
    e.feed = r.Str(2);
    e.run_id = r.Int(3);
    e.line = r.Int(4);
    e.time_source = r.Int(5);
    e.observed_at = r.Int(6);
    e.taxonomy = r.Str(7);
    e.type = r.Str(8);
    e.identifier = r.Str(9);
    e.severity = r.Str(10);
    e.source_ip = r.Str(11);
    e.source_asn = r.OptInt(12);
    e.source_cc = r.Str(13);
    e.organisation_id = r.Int(14);
    e.recipient_id = r.Int(15);
    e.route = r.Str(16);
    e.notify = r.Bool(17);
    e.first_seen = r.Int(18);
    e.last_seen = r.Int(19);
    e.count = r.Int(20);
    e.data = r.Str(21);
    e.organisation_uuid = r.Str(22);
    e.organisation_name = r.Str(23);
    e.recipient_uuid = r.Str(24);
    e.recipient_name = r.Str(25);
    // data_format 1 (migration 013): the compact form, rendered as the IntelMQ JSON callers see.
    if (r.Int(26) == 1) {
        std::vector<Field> base;
        if (!r.IsNull(28)) {
            if (auto b = DecodeCompactFields(r.Str(28))) base = std::move(*b);
        }
        std::string raw;
        const bool has_raw = !r.IsNull(27);
        if (has_raw) raw = r.Str(27);
        auto ev = DecodeCompact(e.data, base, has_raw ? &raw : nullptr);
        // A damaged row is shown as an object saying so rather than failing the whole list.
        e.data = ev ? ev->ToJson() : "{\"comment\":\"stored event unreadable: " + ev.error().message + "\"}";
    }
    return e;
}

// The range of an organisation's subtree: path >= p AND path < p-with-last-'/'-as-'0'.
std::pair<std::string, std::string> SubtreeRange(const std::string& path) {
    std::string upper = path;
    if (!upper.empty()) upper.back() = '0';
    return {path, upper};
}

}  // namespace

std::string IdCursor(std::int64_t id) { return core::Base64UrlEncode("i" + std::to_string(id)); }

core::Result<std::int64_t> ParseIdCursor(const std::string& cursor) {
    std::string raw;
    if (!core::Base64UrlDecode(cursor, raw) || raw.size() < 2 || raw[0] != 'i')
        return core::Invalid("cursor", "the cursor is not one this server gave out");
    try {
        return std::stoll(raw.substr(1));
    } catch (...) {
        return core::Invalid("cursor", "the cursor is not one this server gave out");
    }
}

// ---- runs ----------------------------------------------------------------------------------

core::Result<std::optional<RunRecord>> FeedStore::FindRunByHash(db::Connection& conn, const std::string& feed,
                                                                const std::string& hash) {
    auto rows = MUHAFIZ_TRY(conn.Query(std::string("SELECT ") + kRunColumns +
                                           " FROM feed_runs WHERE feed = ? AND file_hash = ? ORDER BY id DESC LIMIT 1",
                                       {feed, hash}));
    if (rows.empty()) return std::optional<RunRecord>();
    return std::optional<RunRecord>(RunFromRow(rows[0]));
}

core::Result<RunRecord> FeedStore::CreateRun(db::Connection& conn, RunRecord run) {
    if (run.uuid.empty()) run.uuid = core::NewUuidV7();
    auto rows = MUHAFIZ_TRY(conn.Query(
        "INSERT INTO feed_runs (uuid, feed, source, file_name, file_hash, file_size, format, status, header, "
        "next_offset, next_line, started_at, created_by, lease_owner, lease_until, first_event_id) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,(SELECT COALESCE(MAX(id), 0) FROM feed_events)) RETURNING id",
        {run.uuid, run.feed, run.source, run.file_name, run.file_hash, run.file_size, run.format, run.status,
         run.header, run.next_offset, run.next_line, run.started_at, run.created_by, run.lease_owner,
         run.lease_until}));
    run.id = rows[0].Int(0);
    return run;
}

core::Result<bool> FeedStore::TakeLease(db::Connection& conn, RunRecord& run, const std::string& owner,
                                        core::Micros until) {
    const auto n = MUHAFIZ_TRY(conn.Execute(
        "UPDATE feed_runs SET lease_owner = ?, lease_until = ? WHERE id = ? AND lease_owner = ? AND lease_until = ?",
        {owner, until, run.id, run.lease_owner, run.lease_until}));
    if (n != 1) return false;
    run.lease_owner = owner;
    run.lease_until = until;
    return true;
}

core::Result<RunRecord> FeedStore::GetRun(db::Connection& conn, std::int64_t id) {
    auto rows = MUHAFIZ_TRY(conn.Query(std::string("SELECT ") + kRunColumns + " FROM feed_runs WHERE id = ?", {id}));
    if (rows.empty()) return core::NotFound("no such run");
    return RunFromRow(rows[0]);
}

core::Result<RunRecord> FeedStore::GetRunByUuid(db::Connection& conn, const std::string& uuid) {
    auto rows =
        MUHAFIZ_TRY(conn.Query(std::string("SELECT ") + kRunColumns + " FROM feed_runs WHERE uuid = ?", {uuid}));
    if (rows.empty()) return core::NotFound("no such run");
    return RunFromRow(rows[0]);
}

core::Status FeedStore::CommitBatch(db::Connection& conn, RunRecord& run, Batch& batch, core::Micros now) {
    return db::InTransaction(conn, [&]() -> core::Status { return WriteBatch(conn, run, batch, now); });
}

core::Status FeedStore::WriteBatch(db::Connection& conn, RunRecord& run, Batch& batch, core::Micros now) {
    static const std::vector<std::string> kEventCols = {
        "uuid",        "feed",         "run_id",    "line",       "time_source",    "observed_at",
        "taxonomy",    "type",         "identifier", "severity",  "source_ip",      "source_asn",
        "source_cc",   "organisation_id", "recipient_id", "route", "scope_path",    "notify",
        "dedup_hash",  "aggregate_hash", "first_seen", "last_seen", "event_count",  "data",
        "data_format", "base_id",      "raw"};
    static const std::vector<std::string> kDeadCols = {"uuid", "feed", "run_id", "file_name", "line",
                                                       "reason", "raw_base64", "state", "created_at"};
    {
        for (const auto& [id, text] : batch.new_bases)
            MUHAFIZ_CHECK(conn.Execute("INSERT INTO feed_event_bases (id, data) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                                       {static_cast<std::int64_t>(id), text}));
        if (!batch.event_rows.empty()) MUHAFIZ_CHECK(conn.BulkInsert("feed_events", kEventCols, batch.event_rows));
        for (const auto& u : batch.updates) {
            MUHAFIZ_CHECK(conn.Execute(
                "UPDATE feed_events SET event_count = event_count + ?, "
                "last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END "
                "WHERE feed = ? AND aggregate_hash = ? AND first_seen = ?",
                {u.add, u.last_seen, u.last_seen, run.feed, static_cast<std::int64_t>(u.aggregate_hash), u.first_seen}));
        }
        if (!batch.rejected.empty()) {
            std::vector<Params> rows;
            rows.reserve(batch.rejected.size());
            for (auto& r : batch.rejected)
                rows.push_back({core::NewUuidV7(), run.feed, run.id, run.file_name, r.line, r.reason,
                                Base64Encode(r.text), std::string("open"), now});
            MUHAFIZ_CHECK(conn.BulkInsert("feed_dead_letters", kDeadCols, rows));
        }
        run.next_offset = batch.end_offset;
        run.next_line = batch.end_line;
        run.lines_read += batch.records;
        run.events += static_cast<std::int64_t>(batch.events.size());
        run.rejected += static_cast<std::int64_t>(batch.rejected.size());
        run.duplicates += batch.duplicates;
        run.aggregated += batch.aggregated;
        MUHAFIZ_CHECK(conn.Execute(
            "UPDATE feed_runs SET next_offset = ?, next_line = ?, lines_read = ?, events = ?, rejected = ?, "
            "duplicates = ?, aggregated = ?, header = ?, format = ?, lease_until = ? WHERE id = ?",
            {run.next_offset, run.next_line, run.lines_read, run.events, run.rejected, run.duplicates, run.aggregated,
             run.header, run.format, run.lease_owner.empty() ? std::int64_t{0} : core::NowMicros() + kLeaseMicros,
             run.id}));
        return core::Ok();
    }
}

core::Status FeedStore::FinishRun(db::Connection& conn, RunRecord& run, const std::string& status,
                                  const std::string& error, core::Micros now,
                                  const std::map<std::int64_t, std::int64_t>* counts) {
    run.status = status;
    run.error = error;
    run.finished_at = now;
    // Events per recipient, from what is stored (so a resumed run counts what its first attempt
    // committed too): the recipient CERT, and the owner when it is another organisation.
    MUHAFIZ_CHECK(conn.Execute("DELETE FROM feed_run_counts WHERE run_id = ?", {run.id}));
    if (counts) {
        std::vector<Params> rows;
        rows.reserve(counts->size());
        for (const auto& [org, n] : *counts)
            if (n > 0) rows.push_back({run.id, org, n});
        if (!rows.empty())
            MUHAFIZ_CHECK(conn.BulkInsert("feed_run_counts", {"run_id", "organisation_id", "events"}, rows));
    } else {
        // feed_events has no index on run_id (migration 013): the run's events all have ids above
        // the largest id stored when the run was created (first_event_id), so the scan is the
        // id range from there (0 for runs created before 013: the whole table).
        auto first = MUHAFIZ_TRY(conn.Query("SELECT first_event_id FROM feed_runs WHERE id = ?", {run.id}));
        const std::int64_t after = first.empty() ? 0 : first[0].Int(0);
        MUHAFIZ_CHECK(conn.Execute(
            "INSERT INTO feed_run_counts (run_id, organisation_id, events) "
            "SELECT ?, x.org, SUM(x.n) FROM ("
            // (+column: no index on it is used for the grouping, so the plan is the id range.)
            "SELECT +recipient_id AS org, COUNT(*) AS n FROM feed_events WHERE id > ? AND run_id = ? GROUP BY org "
            "UNION ALL SELECT +organisation_id AS org, COUNT(*) AS n FROM feed_events WHERE id > ? AND run_id = ? "
            "AND +organisation_id IS NOT NULL AND +organisation_id <> recipient_id GROUP BY org) x GROUP BY x.org",
            {run.id, after, run.id, after, run.id}));
    }
    MUHAFIZ_CHECK(conn.Execute("UPDATE feed_runs SET status = ?, error = ?, finished_at = ?, header = ?, format = ?, "
                               "lease_owner = '', lease_until = 0 WHERE id = ?",
                               {status, error, now, run.header, run.format, run.id}));
    run.lease_owner.clear();
    run.lease_until = 0;
    return core::Ok();
}

core::Result<std::vector<std::pair<std::int64_t, std::int64_t>>> FeedStore::RunCounts(db::Connection& conn,
                                                                                      std::int64_t run_id) {
    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT organisation_id, events FROM feed_run_counts WHERE run_id = ? ORDER BY events DESC, organisation_id",
        {run_id}));
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (const auto& r : rows) out.emplace_back(r.Int(0), r.Int(1));
    return out;
}

core::Result<Page<RunRecord>> FeedStore::ListRuns(const std::string& feed, int limit, const std::string& cursor) {
    MUHAFIZ_CHECK(db::CheckLimit(limit));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Where w;
    if (!feed.empty()) w.And("feed = ?", {feed});
    const auto total = MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM feed_runs" + w.sql, w.params))[0].Int(0);
    if (!cursor.empty()) w.And("id < ?", {MUHAFIZ_TRY(ParseIdCursor(cursor))});
    Params p = w.params;
    p.push_back(std::int64_t{limit + 1});
    auto rows = MUHAFIZ_TRY(
        conn->Query(std::string("SELECT ") + kRunColumns + " FROM feed_runs" + w.sql + " ORDER BY id DESC LIMIT ?", p));
    Page<RunRecord> page;
    page.total = total;
    for (const auto& r : rows) page.items.push_back(RunFromRow(r));
    if (page.items.size() > static_cast<std::size_t>(limit)) {
        page.items.pop_back();
        page.next = IdCursor(page.items.back().id);
    }
    return page;
}

core::Result<std::vector<std::pair<std::uint64_t, core::Micros>>> FeedStore::LoadDedup(db::Connection& conn,
                                                                                         const std::string& feed,
                                                                                         core::Micros since) {
    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT dedup_hash, observed_at FROM feed_events WHERE feed = ? AND observed_at >= ?", {feed, since}));
    std::vector<std::pair<std::uint64_t, core::Micros>> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.emplace_back(static_cast<std::uint64_t>(r.Int(0)), r.Int(1));
    return out;
}

core::Result<std::vector<FeedStore::OpenAggregate>> FeedStore::LoadAggregates(db::Connection& conn,
                                                                             const std::string& feed,
                                                                             core::Micros since) {
    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT aggregate_hash, first_seen, last_seen FROM feed_events WHERE feed = ? AND aggregate_hash IS NOT NULL "
        "AND observed_at >= ?",
        {feed, since}));
    std::vector<OpenAggregate> out;
    for (const auto& r : rows) out.push_back({static_cast<std::uint64_t>(r.Int(0)), r.Int(1), r.Int(2)});
    return out;
}

// ---- events ----------------------------------------------------------------------------------

core::Result<Page<StoredEvent>> FeedStore::ListEvents(const EventFilter& f, const db::Predicate& scope) {
    MUHAFIZ_CHECK(db::CheckLimit(f.limit));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Where w;
    w.And(scope);
    if (!f.feed.empty()) w.And("e.feed = ?", {f.feed});
    if (!f.organisation.empty()) {
        auto rows = MUHAFIZ_TRY(conn->Query("SELECT path FROM organisations WHERE uuid = ?", {f.organisation}));
        if (rows.empty()) return core::Invalid("organisation_id", "no such organisation");
        auto [lo, hi] = SubtreeRange(rows[0].Str(0));
        w.And("e.scope_path >= ? AND e.scope_path < ?", {lo, hi});
    }
    if (!f.recipient.empty()) {
        auto rows = MUHAFIZ_TRY(conn->Query("SELECT id FROM organisations WHERE uuid = ?", {f.recipient}));
        if (rows.empty()) return core::Invalid("recipient_id", "no such organisation");
        w.And("e.recipient_id = ?", {rows[0].Int(0)});
    }
    if (!f.classification.empty()) w.And("(e.taxonomy = ? OR e.type = ?)", {f.classification, f.classification});
    if (!f.route.empty()) w.And("e.route = ?", {f.route});
    if (!f.ip.empty()) w.And("e.source_ip = ?", {f.ip});
    if (f.since) w.And("e.time_source >= ?", {*f.since});
    if (f.until) w.And("e.time_source < ?", {*f.until});
    const auto total = MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM feed_events e" + w.sql, w.params))[0].Int(0);
    if (!f.cursor.empty()) w.And("e.id < ?", {MUHAFIZ_TRY(ParseIdCursor(f.cursor))});
    Params p = w.params;
    p.push_back(std::int64_t{f.limit + 1});
    auto rows = MUHAFIZ_TRY(conn->Query(std::string("SELECT ") + kEventColumns + kEventJoins + w.sql +
                                            " ORDER BY e.id DESC LIMIT ?",
                                        p));
    Page<StoredEvent> page;
    page.total = total;
    for (const auto& r : rows) page.items.push_back(EventFromRow(r));
    if (page.items.size() > static_cast<std::size_t>(f.limit)) {
        page.items.pop_back();
        page.next = IdCursor(page.items.back().id);
    }
    return page;
}

core::Result<std::vector<StoredEvent>> FeedStore::EventsFor(db::Connection& conn, std::int64_t org, std::int64_t after,
                                                            std::int64_t limit) {
    auto rows = MUHAFIZ_TRY(conn.Query(std::string("SELECT ") + kEventColumns + kEventJoins +
                                           " WHERE e.id IN (SELECT id FROM feed_events WHERE recipient_id = ? AND id > ? "
                                           "UNION SELECT id FROM feed_events WHERE organisation_id = ? AND id > ?) "
                                           "AND e.notify = 1 ORDER BY e.id LIMIT ?",
                                       {org, after, org, after, limit}));
    std::vector<StoredEvent> out;
    for (const auto& r : rows) out.push_back(EventFromRow(r));
    return out;
}

core::Result<std::int64_t> FeedStore::CountEvents(const std::string& feed) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    if (feed.empty()) return MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM feed_events"))[0].Int(0);
    return MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM feed_events WHERE feed = ?", {feed}))[0].Int(0);
}

// ---- dead letters ----------------------------------------------------------------------------

namespace {

constexpr const char* kDeadColumns =
    "d.id, d.uuid, d.feed, d.run_id, COALESCE(r.uuid, ''), d.file_name, d.line, d.reason, d.raw_base64, d.state, "
    "d.created_at, d.replayed_at";

DeadLetter DeadFromRow(const db::Row& r) {
    DeadLetter d;
    d.id = r.Int(0);
    d.uuid = r.Str(1);
    d.feed = r.Str(2);
    d.run_id = r.Int(3);
    d.run_uuid = r.Str(4);
    d.file_name = r.Str(5);
    d.line = r.Int(6);
    d.reason = r.Str(7);
    (void)Base64Decode(r.Str(8), d.raw);
    d.state = r.Str(9);
    d.created_at = r.Int(10);
    d.replayed_at = r.OptInt(11);
    return d;
}

}  // namespace

core::Result<Page<DeadLetter>> FeedStore::ListDeadLetters(const std::string& feed, const std::string& state, int limit,
                                                          const std::string& cursor) {
    MUHAFIZ_CHECK(db::CheckLimit(limit));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Where w;
    if (!feed.empty()) w.And("d.feed = ?", {feed});
    if (!state.empty()) w.And("d.state = ?", {state});
    const auto total =
        MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM feed_dead_letters d" + w.sql, w.params))[0].Int(0);
    if (!cursor.empty()) w.And("d.id < ?", {MUHAFIZ_TRY(ParseIdCursor(cursor))});
    Params p = w.params;
    p.push_back(std::int64_t{limit + 1});
    auto rows = MUHAFIZ_TRY(conn->Query(std::string("SELECT ") + kDeadColumns +
                                            " FROM feed_dead_letters d LEFT JOIN feed_runs r ON r.id = d.run_id" +
                                            w.sql + " ORDER BY d.id DESC LIMIT ?",
                                        p));
    Page<DeadLetter> page;
    page.total = total;
    for (const auto& r : rows) page.items.push_back(DeadFromRow(r));
    if (page.items.size() > static_cast<std::size_t>(limit)) {
        page.items.pop_back();
        page.next = IdCursor(page.items.back().id);
    }
    return page;
}

core::Result<std::vector<DeadLetter>> FeedStore::OpenDeadLetters(const std::string& feed,
                                                                 const std::vector<std::string>& uuids) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Where w;
    w.And("d.state = 'open'");
    if (!feed.empty()) w.And("d.feed = ?", {feed});
    if (!uuids.empty()) {
        std::string in = "d.uuid IN (";
        Params p;
        for (std::size_t i = 0; i < uuids.size(); ++i) {
            in += i ? ",?" : "?";
            p.push_back(uuids[i]);
        }
        w.And(in + ")", p);
    }
    auto rows = MUHAFIZ_TRY(conn->Query(std::string("SELECT ") + kDeadColumns +
                                            " FROM feed_dead_letters d LEFT JOIN feed_runs r ON r.id = d.run_id" +
                                            w.sql + " ORDER BY d.run_id, d.line",
                                        w.params));
    std::vector<DeadLetter> out;
    for (const auto& r : rows) out.push_back(DeadFromRow(r));
    return out;
}

core::Status FeedStore::MarkDeadLetters(db::Connection& conn, const std::vector<std::int64_t>& ids,
                                        const std::string& state, core::Micros now) {
    for (auto id : ids)
        MUHAFIZ_CHECK(conn.Execute("UPDATE feed_dead_letters SET state = ?, replayed_at = ? WHERE id = ?", {state, now, id}));
    return core::Ok();
}

// ---- figures ---------------------------------------------------------------------------------

core::Result<core::json::array> FeedStore::FeedFigures() {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT feed, COUNT(*), SUM(lines_read), SUM(events), SUM(rejected), SUM(duplicates), SUM(aggregated), "
        "MAX(started_at) FROM feed_runs GROUP BY feed ORDER BY feed"));
    core::json::array out;
    for (const auto& r : rows)
        out.push_back(core::json::object{{"feed", r.Str(0)},
                                         {"runs", r.Int(1)},
                                         {"lines", r.Int(2)},
                                         {"events", r.Int(3)},
                                         {"rejected", r.Int(4)},
                                         {"duplicates", r.Int(5)},
                                         {"aggregated", r.Int(6)},
                                         {"last_run_at", r.Int(7)}});
    return out;
}

core::Result<core::json::array> FeedStore::RecipientFigures(const db::Predicate& scope, const std::string& feed) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Where w;
    w.And(scope);
    if (!feed.empty()) w.And("fr.feed = ?", {feed});
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT o.uuid, o.name, o.kind, SUM(c.events), COUNT(DISTINCT c.run_id) FROM feed_run_counts c "
        "JOIN organisations o ON o.id = c.organisation_id JOIN feed_runs fr ON fr.id = c.run_id" +
            w.sql + " GROUP BY o.uuid, o.name, o.kind ORDER BY SUM(c.events) DESC, o.name LIMIT 500",
        w.params));
    core::json::array out;
    for (const auto& r : rows)
        out.push_back(core::json::object{{"organisation", core::json::object{{"id", r.Str(0)}, {"name", r.Str(1)}, {"kind", r.Str(2)}}},
                                         {"events", r.Int(3)},
                                         {"runs", r.Int(4)}});
    return out;
}

// ---- digests ---------------------------------------------------------------------------------

core::Result<std::map<std::string, std::string>> FeedStore::DigestPrefs(db::Connection& conn, std::int64_t org) {
    auto rows = MUHAFIZ_TRY(
        conn.Query("SELECT taxonomy, digest_interval FROM feed_digest_prefs WHERE organisation_id = ?", {org}));
    std::map<std::string, std::string> out;
    for (const auto& r : rows) out[r.Str(0)] = r.Str(1);
    return out;
}

core::Status FeedStore::SetDigestPref(std::int64_t org, const std::string& taxonomy, const std::string& interval) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    if (interval.empty()) {
        MUHAFIZ_CHECK(conn->Execute("DELETE FROM feed_digest_prefs WHERE organisation_id = ? AND taxonomy = ?",
                                    {org, taxonomy}));
        return core::Ok();
    }
    MUHAFIZ_CHECK(conn->Execute(
        "INSERT INTO feed_digest_prefs (organisation_id, taxonomy, digest_interval) VALUES (?,?,?) "
        "ON CONFLICT (organisation_id, taxonomy) DO UPDATE SET digest_interval = excluded.digest_interval",
        {org, taxonomy, interval}));
    return core::Ok();
}

core::Result<std::pair<std::int64_t, core::Micros>> FeedStore::DigestState(db::Connection& conn, std::int64_t org,
                                                                           const std::string& interval) {
    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT last_event_id, last_sent_at FROM feed_digest_state WHERE organisation_id = ? AND digest_interval = ?",
        {org, interval}));
    if (rows.empty()) return std::pair<std::int64_t, core::Micros>{0, 0};
    return std::pair<std::int64_t, core::Micros>{rows[0].Int(0), rows[0].Int(1)};
}

core::Status FeedStore::SetDigestState(db::Connection& conn, std::int64_t org, const std::string& interval,
                                       std::int64_t last_event_id, core::Micros sent_at) {
    MUHAFIZ_CHECK(conn.Execute(
        "INSERT INTO feed_digest_state (organisation_id, digest_interval, last_event_id, last_sent_at) "
        "VALUES (?,?,?,?) ON CONFLICT (organisation_id, digest_interval) DO UPDATE SET "
        "last_event_id = excluded.last_event_id, last_sent_at = excluded.last_sent_at",
        {org, interval, last_event_id, sent_at}));
    return core::Ok();
}

core::Result<std::vector<std::int64_t>> FeedStore::PendingRecipients(db::Connection& conn, core::Micros now) {
    // The recipients and owners of the notifiable events stored since the last scan join the
    // pending set. The new mark stays below the first event of every run still being ingested (a
    // lease that ran out an hour ago is a dead process: its uncommitted events are gone), so an
    // event committed later with a smaller id (PostgreSQL sequences) is scanned next time.
    auto top = MUHAFIZ_TRY(conn.Query("SELECT COALESCE(MAX(id), 0) FROM feed_events"))[0].Int(0);
    auto running = MUHAFIZ_TRY(conn.Query(
        "SELECT MIN(first_event_id) FROM feed_runs WHERE status = 'running' AND lease_until > ?", {now - std::int64_t{3600} * 1000000}));
    const std::int64_t mark = running[0].IsNull(0) ? top : std::min(top, running[0].Int(0));
    MUHAFIZ_CHECK(db::InTransaction(conn, [&]() -> core::Status {
        const auto prev = MUHAFIZ_TRY(conn.Query("SELECT last_event_id FROM feed_digest_scan WHERE id = 1"));
        const std::int64_t from = prev.empty() ? 0 : prev[0].Int(0);
        if (top <= from) return core::Ok();
        MUHAFIZ_CHECK(conn.Execute(
            "INSERT INTO feed_digest_pending (organisation_id) "
            "SELECT recipient_id FROM feed_events WHERE id > ? AND id <= ? AND notify = 1 "
            "UNION SELECT organisation_id FROM feed_events WHERE id > ? AND id <= ? AND notify = 1 "
            "AND organisation_id IS NOT NULL ON CONFLICT (organisation_id) DO NOTHING",
            {from, top, from, top}));
        if (mark > from) MUHAFIZ_CHECK(conn.Execute("UPDATE feed_digest_scan SET last_event_id = ? WHERE id = 1", {mark}));
        return core::Ok();
    }));
    auto rows = MUHAFIZ_TRY(conn.Query("SELECT organisation_id FROM feed_digest_pending ORDER BY organisation_id"));
    std::vector<std::int64_t> out;
    for (const auto& r : rows) out.push_back(r.Int(0));
    return out;
}

core::Status FeedStore::DonePending(db::Connection& conn, std::int64_t org) {
    MUHAFIZ_CHECK(conn.Execute("DELETE FROM feed_digest_pending WHERE organisation_id = ?", {org}));
    return core::Ok();
}

core::Result<DigestRecord> FeedStore::AddDigest(db::Connection& conn, DigestRecord d) {
    if (d.uuid.empty()) d.uuid = core::NewUuidV7();
    auto rows = MUHAFIZ_TRY(conn.Query(
        "INSERT INTO feed_digests (uuid, reference, organisation_id, digest_interval, events, first_event_id, "
        "last_event_id, recipients, encrypted, notification_uuid, status, reason, created_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
        {d.uuid, d.reference, d.organisation_id, d.interval, d.events, d.first_event_id, d.last_event_id, d.recipients,
         db::Bool(d.encrypted), d.notification_uuid, d.status, d.reason, d.created_at}));
    d.id = rows[0].Int(0);
    return d;
}

core::Result<Page<DigestRecord>> FeedStore::ListDigests(const db::Predicate& scope, int limit,
                                                        const std::string& cursor) {
    MUHAFIZ_CHECK(db::CheckLimit(limit));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Where w;
    w.And(scope);
    const std::string from =
        " FROM feed_digests d JOIN organisations o ON o.id = d.organisation_id "
        "LEFT JOIN notifications n ON n.uuid = d.notification_uuid";
    const auto total = MUHAFIZ_TRY(conn->Query("SELECT COUNT(*)" + from + w.sql, w.params))[0].Int(0);
    if (!cursor.empty()) w.And("d.id < ?", {MUHAFIZ_TRY(ParseIdCursor(cursor))});
    Params p = w.params;
    p.push_back(std::int64_t{limit + 1});
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT d.id, d.uuid, d.reference, d.organisation_id, o.uuid, o.name, d.digest_interval, d.events, "
        "d.first_event_id, d.last_event_id, d.recipients, d.encrypted, d.notification_uuid, d.status, d.reason, "
        "COALESCE(n.status, ''), d.created_at" +
            from + w.sql + " ORDER BY d.id DESC LIMIT ?",
        p));
    Page<DigestRecord> page;
    page.total = total;
    for (const auto& r : rows) {
        DigestRecord d;
        d.id = r.Int(0);
        d.uuid = r.Str(1);
        d.reference = r.Str(2);
        d.organisation_id = r.Int(3);
        d.organisation_uuid = r.Str(4);
        d.organisation_name = r.Str(5);
        d.interval = r.Str(6);
        d.events = r.Int(7);
        d.first_event_id = r.Int(8);
        d.last_event_id = r.Int(9);
        d.recipients = r.Str(10);
        d.encrypted = r.Bool(11);
        d.notification_uuid = r.Str(12);
        d.status = r.Str(13);
        d.reason = r.Str(14);
        d.delivery_status = r.Str(15);
        d.created_at = r.Int(16);
        page.items.push_back(std::move(d));
    }
    if (page.items.size() > static_cast<std::size_t>(limit)) {
        page.items.pop_back();
        page.next = IdCursor(page.items.back().id);
    }
    return page;
}

core::Result<std::optional<FeedStore::OrgRef>> FeedStore::Organisation(const std::string& uuid) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query("SELECT id, path, name FROM organisations WHERE uuid = ?", {uuid}));
    if (rows.empty()) return std::optional<OrgRef>();
    return std::optional<OrgRef>(OrgRef{rows[0].Int(0), rows[0].Str(1), rows[0].Str(2)});
}

core::Result<FeedStore::FetchState> FeedStore::GetFetchState(const std::string& feed) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT last_fetch_at, etag, last_modified, last_status, last_error FROM feed_fetch_state WHERE feed = ?", {feed}));
    FetchState s;
    if (!rows.empty()) {
        s.last_fetch_at = rows[0].OptInt(0);
        s.etag = rows[0].Str(1);
        s.last_modified = rows[0].Str(2);
        s.last_status = static_cast<int>(rows[0].Int(3));
        s.last_error = rows[0].Str(4);
    }
    return s;
}

core::Status FeedStore::SetFetchState(const std::string& feed, const FetchState& s) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(conn->Execute(
        "INSERT INTO feed_fetch_state (feed, last_fetch_at, etag, last_modified, last_status, last_error) "
        "VALUES (?,?,?,?,?,?) ON CONFLICT (feed) DO UPDATE SET last_fetch_at = excluded.last_fetch_at, "
        "etag = excluded.etag, last_modified = excluded.last_modified, last_status = excluded.last_status, "
        "last_error = excluded.last_error",
        {feed, db::Opt(s.last_fetch_at), s.etag, s.last_modified, std::int64_t{s.last_status}, s.last_error}));
    return core::Ok();
}

}  // namespace muhafiz::feeds
