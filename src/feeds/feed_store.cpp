#include "feeds/feed_store.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <unordered_map>

#include "core/ids.hpp"
#include "db/query.hpp"
#include "feeds/event_block.hpp"

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
        CompactBase base;
        if (!r.IsNull(28)) {
            if (auto b = DecodeCompactBase(r.Str(28))) base = std::move(*b);
        }
        std::string raw;
        const bool has_raw = !r.IsNull(27);
        if (has_raw) raw = r.Str(27);
        auto ev = DecodeCompact(e.data, &base, has_raw ? &raw : nullptr);
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

// ---- blocks (migration 019) -------------------------------------------------------------------

constexpr const char* kBlockHead =
    "b.id, b.n, b.feed, b.run_id, b.observed_at, b.recipient_id, b.route, b.notify, b.time_min, b.time_max, "
    "b.scope_min, b.scope_max, b.classes, b.base_id, b.observation";
constexpr const char* kBlockNames =
    ", COALESCE(fr.uuid, ''), COALESCE(r.uuid, ''), COALESCE(r.name, ''), b.data";
constexpr const char* kBlockNamesWithoutData = ", COALESCE(fr.uuid, ''), COALESCE(r.uuid, ''), COALESCE(r.name, ''), ''";
constexpr const char* kBlockJoins =
    " FROM feed_event_blocks b LEFT JOIN feed_runs fr ON fr.id = b.run_id "
    "LEFT JOIN organisations r ON r.id = b.recipient_id";

struct BlockHead {
    std::int64_t id = 0, n = 0;
    std::string feed;
    std::int64_t run_id = 0, observed_at = 0, recipient_id = 0;
    std::string route;
    bool notify = true;
    core::Micros time_min = 0, time_max = 0;
    std::string scope_min, scope_max, classes;
    std::int64_t base_id = 0;
    std::string observation;
    // With kBlockNames:
    std::string run_uuid, recipient_uuid, recipient_name, data;
};

core::Result<BlockHead> BlockFromRow(const db::Row& r, bool names) {
    BlockHead b;
    b.id = r.Int(0);
    b.n = r.Int(1);
    b.feed = r.Str(2);
    b.run_id = r.Int(3);
    b.observed_at = r.Int(4);
    b.recipient_id = r.Int(5);
    b.route = r.Str(6);
    b.notify = r.Bool(7);
    b.time_min = r.Int(8);
    b.time_max = r.Int(9);
    b.scope_min = r.Str(10);
    b.scope_max = r.Str(11);
    b.classes = r.Str(12);
    b.base_id = r.Int(13);
    b.observation = r.Str(14);
    if (names) {
        b.run_uuid = r.Str(15);
        b.recipient_uuid = r.Str(16);
        b.recipient_name = r.Str(17);
        b.data = MUHAFIZ_TRY(UnpackBlockText(r.Str(18)));
    }
    return b;
}

// An event's uuid in a block: derived from its run's uuid and its id (stable, not stored), in the
// form of a UUID version 8.
std::string DerivedUuid(const std::string& run_uuid, std::int64_t id) {
    const std::string key = run_uuid + "#" + std::to_string(id);
    const std::uint64_t a = StableHash(key);
    const std::uint64_t b = StableHash(key, a ^ 0x9e3779b97f4a7c15ULL);
    std::array<unsigned char, 16> u;
    for (int i = 0; i < 8; ++i) u[i] = static_cast<unsigned char>(a >> (56 - 8 * i));
    for (int i = 0; i < 8; ++i) u[8 + i] = static_cast<unsigned char>(b >> (56 - 8 * i));
    u[6] = static_cast<unsigned char>((u[6] & 0x0F) | 0x80);
    u[8] = static_cast<unsigned char>((u[8] & 0x3F) | 0x80);
    return core::FormatUuid(u);
}

// The bases of compact events, read once per call.
class BaseCache {
public:
    explicit BaseCache(db::Connection& conn) : conn_(conn) {}
    const CompactBase& Get(std::int64_t id) {
        auto it = bases_.find(id);
        if (it != bases_.end()) return it->second;
        CompactBase base;
        if (id != 0) {
            if (auto rows = conn_.Query("SELECT data FROM feed_event_bases WHERE id = ?", {id}); rows && !rows->empty())
                if (auto b = DecodeCompactBase((*rows)[0].Str(0))) base = std::move(*b);
        }
        return bases_.emplace(id, std::move(base)).first->second;
    }

private:
    db::Connection& conn_;
    std::unordered_map<std::int64_t, CompactBase> bases_;
};

// A block's event as the StoredEvent callers see (organisation uuid/name filled in later).
StoredEvent EventFromBlock(const BlockHead& b, std::int64_t id, const BlockEvent& be, BaseCache& bases) {
    StoredEvent e;
    e.id = id;
    e.uuid = DerivedUuid(b.run_uuid, id);
    e.feed = b.feed;
    e.run_id = b.run_id;
    e.line = be.line;
    e.time_source = be.time_source;
    e.observed_at = b.observed_at;
    e.taxonomy = be.taxonomy;
    e.type = be.type;
    e.identifier = be.identifier;
    e.severity = be.severity;
    e.source_ip = be.ip;
    e.source_asn = be.asn;
    e.source_cc = be.cc;
    e.organisation_id = be.organisation_id;
    e.recipient_id = b.recipient_id;
    e.recipient_uuid = b.recipient_uuid;
    e.recipient_name = b.recipient_name;
    e.route = b.route;
    e.notify = be.notify;
    e.first_seen = be.first_seen;
    e.last_seen = be.last_seen;
    e.count = be.count;
    if (be.compact) {
        std::string raw(be.raw);
        const CompactBase& base = bases.Get(b.base_id);
        auto ev = DecodeCompact(be.data, &base, be.has_raw ? &raw : nullptr);
        if (ev) {
            static const Key kObservation("time.observation"), kTimeSource("time.source"), kSourceIp("source.ip"),
                kSourceAsn("source.asn"), kAbuseContact("source.abuse_contact");
            if (be.block_observation) ev->SetRaw(kObservation, b.observation, JsonKind::kString);
            if (be.derived_time_source) ev->SetRaw(kTimeSource, FormatEventTime(be.time_source), JsonKind::kString);
            if (be.header_ip) ev->SetRaw(kSourceIp, std::string(be.ip), JsonKind::kString);
            if (be.header_asn) ev->SetRaw(kSourceAsn, std::to_string(*be.asn), JsonKind::kInt);
            if (be.header_abuse) ev->SetRaw(kAbuseContact, be.abuse, JsonKind::kString);
            // (After the fields above: the template takes values from the whole event.)
            if (be.raw_from_template) {
                if (base.raw_template) ev->SetRawBytes(FillRawTemplate(*base.raw_template, *ev, be.time_source), true);
                else ev = tl::unexpected(core::Error{core::ErrorCode::kInternal, "its base has no raw template", ""});
            }
        }
        e.data = ev ? ev->ToJson() : "{\"comment\":\"stored event unreadable: " + ev.error().message + "\"}";
    } else {
        e.data = std::string(be.data);
    }
    return e;
}

// The first `limit` events of two lists ordered by id (newest first, or oldest first), merged:
// events read from rows and from blocks.
std::vector<StoredEvent> MergeById(std::vector<StoredEvent>& a, std::vector<StoredEvent>& b, std::size_t limit,
                                   bool newest_first) {
    std::vector<StoredEvent> out;
    std::size_t i = 0, j = 0;
    while (out.size() < limit && (i < a.size() || j < b.size())) {
        const bool take_a = j >= b.size() || (i < a.size() && (newest_first ? a[i].id > b[j].id : a[i].id < b[j].id));
        out.push_back(std::move(take_a ? a[i++] : b[j++]));
    }
    return out;
}

// Owner organisations' uuid and name for events read from blocks.
core::Status FillOwners(db::Connection& conn, std::vector<StoredEvent>& events) {
    std::set<std::int64_t> ids;
    for (const auto& e : events)
        if (e.organisation_id != 0 && e.organisation_uuid.empty()) ids.insert(e.organisation_id);
    if (ids.empty()) return core::Ok();
    std::unordered_map<std::int64_t, std::pair<std::string, std::string>> names;
    std::vector<std::int64_t> list(ids.begin(), ids.end());
    for (std::size_t i = 0; i < list.size(); i += 500) {
        // (Integers written into the statement: no text from outside.)
        std::string sql = "SELECT id, uuid, name FROM organisations WHERE id IN (";
        for (std::size_t j = i; j < list.size() && j < i + 500; ++j) {
            if (j != i) sql += ',';
            sql += std::to_string(list[j]);
        }
        for (const auto& r : MUHAFIZ_TRY(conn.Query(sql + ")"))) names[r.Int(0)] = {r.Str(1), r.Str(2)};
    }
    for (auto& e : events) {
        auto it = names.find(e.organisation_id);
        if (it != names.end() && e.organisation_uuid.empty()) {
            e.organisation_uuid = it->second.first;
            e.organisation_name = it->second.second;
        }
    }
    return core::Ok();
}

// The per-event part of a list filter (what block columns cannot decide).
struct EventMatch {
    std::vector<std::pair<std::string, std::string>> ranges;  // scope_path ranges (all must hold)
    std::string classification, ip;
    std::uint64_t ip_hash = 0;  // AddressHash(ip)
    std::optional<core::Micros> since, until;

    bool Matches(const BlockEvent& e) const {
        for (const auto& [lo, hi] : ranges)
            if (e.scope_path < std::string_view(lo) || e.scope_path >= std::string_view(hi)) return false;
        if (!classification.empty() && e.taxonomy != classification && e.type != classification) return false;
        if (!ip.empty() && e.ip != ip) return false;
        if (since && e.time_source < *since) return false;
        if (until && e.time_source >= *until) return false;
        return true;
    }
    // Every event of the block matches (its columns say so).
    bool All(const BlockHead& b) const {
        for (const auto& [lo, hi] : ranges)
            if (b.scope_min < lo || b.scope_max >= hi) return false;
        if (!classification.empty() && b.classes != "|" + classification + "|") return false;
        if (!ip.empty()) return false;
        if (since && b.time_min < *since) return false;
        if (until && b.time_max >= *until) return false;
        return true;
    }
    // The same as All in SQL (nullopt: no block can be known to match whole, e.g. by address;
    // "1=1": every block the block conditions select matches whole).
    std::optional<db::Predicate> AllCondition() const {
        if (!ip.empty()) return std::nullopt;
        db::Predicate p{"", {}};
        auto add = [&](const std::string& sql, Params params) {
            p.sql += p.sql.empty() ? sql : " AND " + sql;
            for (auto& v : params) p.params.push_back(std::move(v));
        };
        for (const auto& [lo, hi] : ranges) add("b.scope_min >= ? AND b.scope_max < ?", {lo, hi});
        if (!classification.empty()) add("b.classes = ?", {"|" + classification + "|"});
        if (since) add("b.time_min >= ?", {*since});
        if (until) add("b.time_max < ?", {*until});
        if (p.sql.empty()) p.sql = "1=1";
        return p;
    }
    // False when the block whose address filter (ip_filter) is `filter` holds no event of the
    // address asked for.
    bool MayHold(std::string_view filter) const { return ip.empty() || MayHoldAddress(filter, ip_hash); }
    // The block conditions (a superset of the blocks holding a matching event).
    void AddBlockConditions(db::Where& w) const {
        for (const auto& [lo, hi] : ranges) w.And("b.scope_max >= ? AND b.scope_min < ?", {lo, hi});
        if (!classification.empty()) w.And("b.classes LIKE ?", {"%|" + classification + "|%"});
        if (since) w.And("b.time_max >= ?", {*since});
        if (until) w.And("b.time_min < ?", {*until});
    }
};

// The next `n` event ids (a contiguous range), in the caller's transaction. Also above every id
// of feed_events (rows written another way keep their ids).
core::Result<std::int64_t> AllocateEventIds(db::Connection& conn, std::int64_t n) {
    const auto top = MUHAFIZ_TRY(conn.Query("SELECT COALESCE(MAX(id), 0) + 1 FROM feed_events"))[0].Int(0);
    auto rows = MUHAFIZ_TRY(conn.Query(
        "UPDATE feed_event_ids SET next_id = (CASE WHEN next_id >= ? THEN next_id ELSE ? END) + ? WHERE id = 1 "
        "RETURNING next_id",
        {top, top, n}));
    if (rows.empty()) return core::Fail(core::ErrorCode::kInternal, "feed_event_ids has no row (migration 019)");
    return rows[0].Int(0) - n;
}

// The largest event id stored (rows and blocks).
core::Result<std::int64_t> MaxEventId(db::Connection& conn) {
    const auto rows = MUHAFIZ_TRY(conn.Query("SELECT COALESCE(MAX(id), 0) FROM feed_events"))[0].Int(0);
    const auto blocks = MUHAFIZ_TRY(conn.Query("SELECT id + n - 1 FROM feed_event_blocks ORDER BY id DESC LIMIT 1"));
    return std::max(rows, blocks.empty() ? std::int64_t{0} : blocks[0].Int(0));
}

std::vector<std::int64_t> ParseOwners(std::string_view text) {
    std::vector<std::int64_t> out;
    while (!text.empty()) {
        std::int64_t v = 0;
        auto r = std::from_chars(text.data(), text.data() + text.size(), v);
        if (r.ec != std::errc()) break;
        out.push_back(v);
        text.remove_prefix(static_cast<std::size_t>(r.ptr - text.data()));
        if (!text.empty()) text.remove_prefix(1);
    }
    return out;
}

// "owner:first:at:n;..." (BlockBuilder, pipeline.cpp) as {owner, first, at, n} each.
std::vector<std::array<std::int64_t, 4>> ParseSlices(std::string_view text) {
    std::vector<std::array<std::int64_t, 4>> out;
    while (!text.empty()) {
        std::array<std::int64_t, 4> v{};
        for (int i = 0; i < 4; ++i) {
            auto r = std::from_chars(text.data(), text.data() + text.size(), v[static_cast<std::size_t>(i)]);
            if (r.ec != std::errc() || r.ptr == text.data() + text.size()) return out;
            text.remove_prefix(static_cast<std::size_t>(r.ptr - text.data()) + 1);
        }
        out.push_back(v);
    }
    return out;
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
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,(SELECT CASE WHEN i.next_id - 1 > m.top THEN i.next_id - 1 ELSE "
        "m.top END FROM feed_event_ids i, (SELECT COALESCE(MAX(id), 0) AS top FROM feed_events) m WHERE i.id = 1)) "
        "RETURNING id",
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
        "data_format", "base_id",      "raw",        "id"};
    static const std::vector<std::string> kBlockCols = {
        "id", "n", "feed", "run_id", "observed_at", "recipient_id", "route", "notify", "time_min", "time_max",
        "scope_min", "scope_max", "classes", "base_id", "owners", "observation", "dedup", "data", "ip_filter"};
    static const std::vector<std::string> kDeadCols = {"uuid", "feed", "run_id", "file_name", "line",
                                                       "reason", "raw_base64", "state", "created_at"};
    {
        // The ids first (migration 019): on PostgreSQL this locks feed_event_ids until the commit,
        // before anything else this transaction writes, so two ingests never wait for each other
        // in opposite orders (a base or an aggregate both write); they take turns at the commit.
        std::int64_t block_events = 0;
        for (const auto& row : batch.block_rows) block_events += std::get<std::int64_t>(row[1]);
        const std::int64_t total = static_cast<std::int64_t>(batch.event_rows.size()) + block_events;
        std::int64_t next_id = MUHAFIZ_TRY(AllocateEventIds(conn, total));
        for (const auto& [id, text] : batch.new_bases)
            MUHAFIZ_CHECK(conn.Execute("INSERT INTO feed_event_bases (id, data) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                                       {static_cast<std::int64_t>(id), text}));
        if (!batch.event_rows.empty()) {
            // Ids from the same allocator as blocks (migration 019): ordered with them.
            std::int64_t& id = next_id;
            for (auto& row : batch.event_rows) {
                if (row.size() == kEventCols.size()) row.back() = id++;
                else row.emplace_back(id++);
            }
            MUHAFIZ_CHECK(conn.BulkInsert("feed_events", kEventCols, batch.event_rows));
        }
        if (!batch.block_rows.empty()) {
            std::int64_t& id = next_id;
            std::vector<Params> owners;
            for (auto& row : batch.block_rows) {
                row[0] = id;
                // (An owner that is the block's recipient is found through feed_event_blocks_recipient.)
                const bool notify = std::get<std::int64_t>(row[7]) != 0;
                if (row.size() > kBlockCols.size()) {
                    // Where each owner's events lie in the block (migration 020): after the
                    // columns, "owner:first:at:n;" for each owner other than the recipient.
                    if (notify)
                        for (const auto& sl : ParseSlices(std::get<std::string>(row.back())))
                            owners.push_back({sl[0], id, sl[1], sl[2], sl[3]});
                    row.resize(kBlockCols.size());
                } else if (notify) {
                    for (auto o : ParseOwners(std::get<std::string>(row[14])))
                        if (o != std::get<std::int64_t>(row[5])) owners.push_back({o, id, std::int64_t{0}, std::int64_t{-1}, std::int64_t{0}});
                }
                id += std::get<std::int64_t>(row[1]);
            }
            // SQLite: the texts packed (PackBlockText; the pipeline packs them as it closes the
            // blocks), and put back in the rows once written (the caller reuses their buffers).
            static const auto kData = static_cast<std::size_t>(
                std::find(kBlockCols.begin(), kBlockCols.end(), "data") - kBlockCols.begin());
            std::vector<std::pair<std::string*, std::string>> packed;  // (row's text, the text as it was)
            if (PacksBlocks(conn))
                for (auto& row : batch.block_rows)
                    if (auto* text = std::get_if<std::string>(&row[kData]); text && !IsPackedBlockText(*text)) {
                        packed.emplace_back(text, PackBlockText(*text));
                        std::swap(packed.back().second, *text);
                    }
            auto inserted = conn.BulkInsert("feed_event_blocks", kBlockCols, batch.block_rows);
            for (auto& [text, was] : packed) std::swap(*text, was);
            MUHAFIZ_CHECK(inserted);
            // In key order: each insert lands next to the previous one in the owners' B-tree.
            std::sort(owners.begin(), owners.end(), [](const Params& a, const Params& b) {
                return std::get<std::int64_t>(a[0]) < std::get<std::int64_t>(b[0]);
            });
            if (!owners.empty())
                MUHAFIZ_CHECK(conn.BulkInsert("feed_event_block_owners",
                                              {"organisation_id", "block_id", "first_event", "data_at", "events"}, owners));
        }
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
        // (A batch's events are its rows, or in its blocks: those hold no Event any more.)
        run.events += total;
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
        std::map<std::int64_t, std::int64_t> stored;
        for (const auto& r : MUHAFIZ_TRY(conn.Query(
                 // (+column: no index on it is used for the grouping, so the plan is the id range.)
                 "SELECT +recipient_id AS org, COUNT(*) AS n FROM feed_events WHERE id > ? AND run_id = ? GROUP BY org "
                 "UNION ALL SELECT +organisation_id AS org, COUNT(*) AS n FROM feed_events WHERE id > ? AND run_id = ? "
                 "AND +organisation_id IS NOT NULL AND +organisation_id <> recipient_id GROUP BY org",
                 {after, run.id, after, run.id})))
            stored[r.Int(0)] += r.Int(1);
        // Blocks (migration 019): the run's blocks are all above first_event_id too.
        for (const auto& r : MUHAFIZ_TRY(conn.Query(
                 "SELECT recipient_id, n, data FROM feed_event_blocks WHERE id > ? AND run_id = ?", {after, run.id}))) {
            const std::int64_t recipient = r.Int(0);
            stored[recipient] += r.Int(1);
            const std::string data = MUHAFIZ_TRY(UnpackBlockText(r.Str(2)));
            BlockReader reader(data);
            BlockEvent be;
            while (MUHAFIZ_TRY(reader.Next(be)))
                if (be.organisation_id != 0 && be.organisation_id != recipient) ++stored[be.organisation_id];
        }
        std::vector<Params> rows;
        for (const auto& [org, n] : stored)
            if (n > 0) rows.push_back({run.id, org, n});
        if (!rows.empty())
            MUHAFIZ_CHECK(conn.BulkInsert("feed_run_counts", {"run_id", "organisation_id", "events"}, rows));
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
    // Blocks (migration 019): their dedup column, without reading the events.
    for (const auto& r : MUHAFIZ_TRY(conn.Query(
             "SELECT dedup, observed_at FROM feed_event_blocks WHERE feed = ? AND observed_at >= ?", {feed, since}))) {
        const std::string hashes = r.Str(0);
        const core::Micros at = r.Int(1);
        for (std::size_t i = 0, n = DedupHashCount(hashes); i < n; ++i) out.emplace_back(DedupHashAt(hashes, i), at);
    }
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

core::Result<Page<StoredEvent>> FeedStore::ListEvents(const EventFilter& f, const access::PathScope& scope) {
    MUHAFIZ_CHECK(db::CheckLimit(f.limit));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    // Rows (feed_events: before migration 019, and aggregated feeds) are filtered in SQL; blocks
    // by their columns in SQL, then event by event (EventMatch).
    EventMatch match;
    if (scope.kind == access::PathScope::Kind::kRange) match.ranges.emplace_back(scope.lo, scope.hi);
    db::Where w, bw;
    w.And(scope.Sql("e.scope_path"));
    if (!f.feed.empty()) {
        w.And("e.feed = ?", {f.feed});
        bw.And("b.feed = ?", {f.feed});
    }
    if (!f.organisation.empty()) {
        auto rows = MUHAFIZ_TRY(conn->Query("SELECT path FROM organisations WHERE uuid = ?", {f.organisation}));
        if (rows.empty()) return core::Invalid("organisation_id", "no such organisation");
        auto [lo, hi] = SubtreeRange(rows[0].Str(0));
        w.And("e.scope_path >= ? AND e.scope_path < ?", {lo, hi});
        match.ranges.emplace_back(lo, hi);
    }
    if (!f.recipient.empty()) {
        auto rows = MUHAFIZ_TRY(conn->Query("SELECT id FROM organisations WHERE uuid = ?", {f.recipient}));
        if (rows.empty()) return core::Invalid("recipient_id", "no such organisation");
        w.And("e.recipient_id = ?", {rows[0].Int(0)});
        bw.And("b.recipient_id = ?", {rows[0].Int(0)});
    }
    if (!f.classification.empty()) w.And("(e.taxonomy = ? OR e.type = ?)", {f.classification, f.classification});
    if (!f.route.empty()) {
        w.And("e.route = ?", {f.route});
        bw.And("b.route = ?", {f.route});
    }
    if (!f.ip.empty()) w.And("e.source_ip = ?", {f.ip});
    if (f.since) w.And("e.time_source >= ?", {*f.since});
    if (f.until) w.And("e.time_source < ?", {*f.until});
    match.classification = f.classification;
    match.ip = f.ip;
    match.ip_hash = AddressHash(f.ip);
    match.since = f.since;
    match.until = f.until;
    match.AddBlockConditions(bw);
    if (scope.kind == access::PathScope::Kind::kNone) bw.And("1=0");
    std::int64_t total = MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM feed_events e" + w.sql, w.params))[0].Int(0);
    // The blocks' share of the total: blocks whose columns say every event matches by their
    // count (in SQL), the others event by event.
    {
        std::vector<std::int64_t> partial;
        const auto whole = match.AllCondition();
        if (whole) {
            db::Where w_all = bw;
            w_all.And(*whole);
            total += MUHAFIZ_TRY(conn->Query("SELECT COALESCE(SUM(b.n), 0) FROM feed_event_blocks b" + w_all.sql,
                                             w_all.params))[0].Int(0);
        }
        if (!whole || whole->sql != "1=1") {
            db::Where w_part = bw;
            if (whole) w_part.And("NOT (" + whole->sql + ")", whole->params);
            for (const auto& r : MUHAFIZ_TRY(conn->Query(std::string("SELECT ") + kBlockHead +
                                                             (match.ip.empty() ? ", ''" : ", b.ip_filter") +
                                                             " FROM feed_event_blocks b" + w_part.sql,
                                                         w_part.params))) {
                const BlockHead b = MUHAFIZ_TRY(BlockFromRow(r, false));
                if (match.All(b)) total += b.n;  // (not reached: the SQL says the same)
                else if (match.MayHold(r.Str(15))) partial.push_back(b.id);  // (15: after kBlockHead)
            }
        }
        BlockEvent be;
        for (const std::int64_t id : partial) {
            const auto rows = MUHAFIZ_TRY(conn->Query("SELECT data FROM feed_event_blocks WHERE id = ?", {id}));
            if (rows.empty()) continue;
            blocks_decoded_.fetch_add(1, std::memory_order_relaxed);
            const std::string data = MUHAFIZ_TRY(UnpackBlockText(rows[0].Str(0)));
            BlockReader reader(data);
            while (MUHAFIZ_TRY(reader.Next(be)))
                if (match.Matches(be)) ++total;
        }
    }
    std::optional<std::int64_t> before;
    if (!f.cursor.empty()) {
        before = MUHAFIZ_TRY(ParseIdCursor(f.cursor));
        w.And("e.id < ?", {*before});
    }
    const std::size_t want = static_cast<std::size_t>(f.limit) + 1;
    Params p = w.params;
    p.push_back(std::int64_t{f.limit + 1});
    auto rows = MUHAFIZ_TRY(conn->Query(std::string("SELECT ") + kEventColumns + kEventJoins + w.sql +
                                            " ORDER BY e.id DESC LIMIT ?",
                                        p));
    std::vector<StoredEvent> from_rows;
    for (const auto& r : rows) from_rows.push_back(EventFromRow(r));
    // Blocks newest first, a few at a time, until `want` events of them match.
    std::vector<StoredEvent> from_blocks;
    {
        BaseCache bases(*conn);
        std::optional<std::int64_t> below = before;  // block ids below this
        while (from_blocks.size() < want) {
            db::Where page = bw;
            if (below) page.And("b.id < ?", {*below});
            Params bp = page.params;
            // By address: the heads and filters of more blocks at a time, and the text only of
            // those that may hold it.
            const bool by_address = !match.ip.empty();
            bp.push_back(std::int64_t{by_address ? 64 : 8});
            const auto blocks = MUHAFIZ_TRY(conn->Query(
                std::string("SELECT ") + kBlockHead + (by_address ? kBlockNamesWithoutData : kBlockNames) +
                    (by_address ? ", b.ip_filter" : "") + kBlockJoins + page.sql + " ORDER BY b.id DESC LIMIT ?",
                bp));
            if (blocks.empty()) break;
            for (const auto& r : blocks) {
                below = r.Int(0);
                if (by_address && !match.MayHold(r.Str(19))) continue;  // (19: after the names)
                BlockHead b = MUHAFIZ_TRY(BlockFromRow(r, true));
                if (by_address) {
                    const auto text = MUHAFIZ_TRY(conn->Query("SELECT data FROM feed_event_blocks WHERE id = ?", {b.id}));
                    if (text.empty()) continue;
                    b.data = MUHAFIZ_TRY(UnpackBlockText(text[0].Str(0)));
                }
                blocks_decoded_.fetch_add(1, std::memory_order_relaxed);
                // The matching events (views into the block's text), then only the newest of them
                // that the page still needs are decoded (a block may hold many thousands).
                std::vector<std::pair<std::int64_t, BlockEvent>> mine;
                BlockReader reader(b.data);
                BlockEvent be;
                std::int64_t id = b.id;
                while (MUHAFIZ_TRY(reader.Next(be))) {
                    const std::int64_t this_id = id++;
                    if (before && this_id >= *before) break;
                    if (match.Matches(be)) mine.emplace_back(this_id, be);
                }
                for (auto it = mine.rbegin(); it != mine.rend() && from_blocks.size() < want; ++it)
                    from_blocks.push_back(EventFromBlock(b, it->first, it->second, bases));
                if (from_blocks.size() >= want) break;
            }
        }
        MUHAFIZ_CHECK(FillOwners(*conn, from_blocks));
    }
    Page<StoredEvent> page;
    page.total = total;
    page.items = MergeById(from_rows, from_blocks, want, true);
    if (page.items.size() > static_cast<std::size_t>(f.limit)) {
        page.items.pop_back();
        page.next = IdCursor(page.items.back().id);
    }
    return page;
}

core::Result<std::shared_ptr<const std::string>> FeedStore::BlockTexts::Get(db::Connection& conn,
                                                                          std::int64_t block_id) {
    if (auto it = entries_.find(block_id); it != entries_.end()) {
        it->second.used = ++clock_;
        return it->second.text;
    }
    const auto rows = MUHAFIZ_TRY(conn.Query("SELECT data FROM feed_event_blocks WHERE id = ?", {block_id}));
    if (rows.empty()) return std::make_shared<const std::string>();  // removed since its head was read: no events
    auto text = std::make_shared<const std::string>(MUHAFIZ_TRY(UnpackBlockText(rows[0].Str(0))));
    ++reads_;
    while (!entries_.empty() && bytes_ + text->size() > max_bytes_) {
        auto oldest = entries_.begin();
        for (auto it = entries_.begin(); it != entries_.end(); ++it)
            if (it->second.used < oldest->second.used) oldest = it;
        bytes_ -= oldest->second.text->size();
        entries_.erase(oldest);
    }
    if (text->size() <= max_bytes_) {
        bytes_ += text->size();
        entries_[block_id] = Entry{text, ++clock_};
    }
    return text;
}

core::Result<std::vector<StoredEvent>> FeedStore::EventsFor(db::Connection& conn, std::int64_t org, std::int64_t after,
                                                            std::int64_t limit, BlockTexts* texts) {
    auto rows = MUHAFIZ_TRY(conn.Query(std::string("SELECT ") + kEventColumns + kEventJoins +
                                           " WHERE e.id IN (SELECT id FROM feed_events WHERE recipient_id = ? AND id > ? "
                                           "UNION SELECT id FROM feed_events WHERE organisation_id = ? AND id > ?) "
                                           "AND e.notify = 1 ORDER BY e.id LIMIT ?",
                                       {org, after, org, after, limit}));
    std::vector<StoredEvent> from_rows;
    for (const auto& r : rows) from_rows.push_back(EventFromRow(r));
    // Blocks (migration 019) routed to the organisation or holding events it owns, oldest first.
    std::vector<StoredEvent> from_blocks;
    BaseCache bases(conn);
    std::int64_t above = after - kMaxBlockEvents;  // block ids above this
    while (static_cast<std::int64_t>(from_blocks.size()) < limit) {
        // (With where the organisation's own events lie in a block it is not the recipient of:
        // migration 020; data_at -1 for blocks written before.)
        // (With a pass's cache the texts come from it: the heads are read without them.)
        const auto blocks = MUHAFIZ_TRY(conn.Query(
            std::string("SELECT ") + kBlockHead + (texts ? kBlockNamesWithoutData : kBlockNames) +
                ", COALESCE(bo.data_at, -1), COALESCE(bo.first_event, 0), COALESCE(bo.events, 0)" + kBlockJoins +
                " LEFT JOIN feed_event_block_owners bo ON bo.block_id = b.id AND bo.organisation_id = ?"
                " WHERE b.id IN (SELECT id FROM feed_event_blocks WHERE recipient_id = ? AND id > ? "
                "UNION SELECT block_id FROM feed_event_block_owners WHERE organisation_id = ? AND block_id > ?) "
                "AND b.notify = 1 ORDER BY b.id LIMIT 8",
            {org, org, above, org, above}));
        if (blocks.empty()) break;
        for (const auto& r : blocks) {
            const BlockHead b = MUHAFIZ_TRY(BlockFromRow(r, true));
            above = b.id;
            if (b.id + b.n - 1 <= after) continue;
            std::shared_ptr<const std::string> cached;
            if (texts) cached = MUHAFIZ_TRY(texts->Get(conn, b.id));
            std::string_view text = cached ? std::string_view(*cached) : std::string_view(b.data);
            std::int64_t id = b.id, left = b.n;
            if (const std::int64_t at = r.Int(19); b.recipient_id != org && at >= 0 &&
                                                    static_cast<std::size_t>(at) < text.size()) {
                // Only the organisation's slice (its events are one after another there).
                text.remove_prefix(static_cast<std::size_t>(at));
                id += r.Int(20);
                left = r.Int(21);
            }
            BlockReader reader(text);
            BlockEvent be;
            while (left-- > 0 && MUHAFIZ_TRY(reader.Next(be)) &&
                   static_cast<std::int64_t>(from_blocks.size()) < limit) {
                const std::int64_t this_id = id++;
                if (this_id <= after || !be.notify) continue;
                if (b.recipient_id == org || be.organisation_id == org)
                    from_blocks.push_back(EventFromBlock(b, this_id, be, bases));
            }
            if (static_cast<std::int64_t>(from_blocks.size()) >= limit) break;
        }
    }
    MUHAFIZ_CHECK(FillOwners(conn, from_blocks));
    return MergeById(from_rows, from_blocks, static_cast<std::size_t>(std::max<std::int64_t>(limit, 0)), false);
}

core::Result<std::int64_t> FeedStore::CountEvents(const std::string& feed) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    if (feed.empty())
        return MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM feed_events"))[0].Int(0) +
               MUHAFIZ_TRY(conn->Query("SELECT COALESCE(SUM(n), 0) FROM feed_event_blocks"))[0].Int(0);
    return MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM feed_events WHERE feed = ?", {feed}))[0].Int(0) +
           MUHAFIZ_TRY(conn->Query("SELECT COALESCE(SUM(n), 0) FROM feed_event_blocks WHERE feed = ?", {feed}))[0].Int(0);
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
    const std::int64_t top = MUHAFIZ_TRY(MaxEventId(conn));
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
        // Blocks (migration 019) holding events in (from, top]: their recipient and owners.
        std::set<std::int64_t> orgs;
        for (const auto& r : MUHAFIZ_TRY(conn.Query(
                 "SELECT recipient_id, owners, id, n FROM feed_event_blocks WHERE id > ? AND id <= ? AND notify = 1",
                 {from - kMaxBlockEvents, top}))) {
            if (r.Int(2) + r.Int(3) - 1 <= from) continue;
            orgs.insert(r.Int(0));
            for (auto o : ParseOwners(r.Str(1))) orgs.insert(o);
        }
        for (const std::int64_t o : orgs)
            MUHAFIZ_CHECK(conn.Execute(
                "INSERT INTO feed_digest_pending (organisation_id) VALUES (?) ON CONFLICT (organisation_id) DO NOTHING",
                {o}));
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
