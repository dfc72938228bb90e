#include "vulns/finding_store.hpp"

#include <array>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "vulns/paging.hpp"

namespace muhafiz::vulns {
namespace {

namespace json = core::json;
using core::ErrorCode;
using core::Fail;
using core::Invalid;
using core::Result;
using core::Status;

constexpr std::array<std::string_view, 3> kStates = {"open", "not_applicable", "resolved"};

constexpr std::string_view kSelect =
    "SELECT f.id, f.uuid, f.cve_id, f.status, f.source, f.reason, f.priority, f.cvss, f.epss, f.kev, f.state, "
    "f.state_reason, f.state_by, f.first_seen, f.last_seen, a.id, a.uuid, a.name, o.uuid "
    "FROM findings f JOIN assets a ON a.id = f.asset_id JOIN organisations o ON o.id = a.organisation_id";

std::optional<double> OptDouble(const db::Row& r, std::size_t i) {
    if (r.IsNull(i)) return std::nullopt;
    return r.Double(i);
}

StoredFinding FromRow(const db::Row& r) {
    StoredFinding s;
    s.id = r.Int(0);
    s.uuid = r.Str(1);
    Finding& f = s.finding;
    f.cve_id = r.Str(2);
    f.status = ParseVulnStatus(r.Str(3)).value_or(VulnStatus::kUnknown);
    f.source = ParseFindingSource(r.Str(4)).value_or(FindingSource::kCna);
    f.reason = r.Str(5);
    f.priority = r.Double(6);
    f.cvss = OptDouble(r, 7);
    f.epss = OptDouble(r, 8);
    f.kev = r.Bool(9);
    s.state = ParseFindingState(r.Str(10)).value_or(FindingState::kOpen);
    s.state_reason = r.Str(11);
    s.state_by = r.Str(12);
    s.first_seen = r.Int(13);
    s.last_seen = r.Int(14);
    f.asset_id = r.Int(15);
    s.asset_uuid = r.Str(16);
    s.asset_name = r.Str(17);
    s.organisation_uuid = r.Str(18);
    return s;
}

db::Params With(db::Params params, const db::Predicate& scope) {
    params.insert(params.end(), scope.params.begin(), scope.params.end());
    return params;
}

Result<SortOrder> ParseSort(const std::string& sort) {
    const bool desc = !sort.empty() && sort[0] == '-';
    const std::string name = desc ? sort.substr(1) : sort;
    if (name == "priority") return SortOrder{sort, "f.priority", desc, SortOrder::Kind::kDouble};
    if (name == "first_seen") return SortOrder{sort, "f.first_seen", desc, SortOrder::Kind::kInt};
    return Invalid("sort", "sort must be one of priority, first_seen (prefix '-' for descending)");
}

// Subtree of the organisation with public id `uuid` as a predicate over o.path.
Result<db::Predicate> Subtree(db::Connection& conn, const std::string& uuid) {
    auto rows = MUHAFIZ_TRY(conn.Query("SELECT path FROM organisations WHERE uuid = ?", {uuid}));
    std::string path = rows.empty() ? "/none/" : rows[0].Str(0);
    std::string upper = path;
    upper.back() = '0';
    return db::Predicate{"o.path >= ? AND o.path < ?", {path, upper}};
}

}  // namespace

std::string_view FindingStateName(FindingState s) { return kStates[static_cast<std::size_t>(s)]; }

std::optional<FindingState> ParseFindingState(std::string_view text) {
    for (std::size_t i = 0; i < kStates.size(); ++i)
        if (text == kStates[i]) return static_cast<FindingState>(i);
    return std::nullopt;
}

json::object FindingToJson(const StoredFinding& s) {
    const Finding& f = s.finding;
    auto opt = [](const std::optional<double>& d) { return d ? json::value(*d) : json::value(nullptr); };
    return json::object{{"id", s.uuid},
                        {"asset_id", s.asset_uuid},
                        {"asset_name", s.asset_name},
                        {"organisation_id", s.organisation_uuid},
                        {"cve_id", f.cve_id},
                        {"status", VulnStatusName(f.status)},
                        {"source", FindingSourceName(f.source)},
                        {"reason", f.reason},
                        {"priority", f.priority},
                        {"cvss", opt(f.cvss)},
                        {"epss", opt(f.epss)},
                        {"kev", f.kev},
                        {"state", FindingStateName(s.state)},
                        {"state_reason", s.state_reason},
                        {"state_by", s.state_by},
                        {"first_seen", core::FormatRfc3339(s.first_seen)},
                        {"last_seen", core::FormatRfc3339(s.last_seen)}};
}

core::Micros FindingStore::Now() {
    std::lock_guard lock(clock_mu_);
    last_now_ = std::max(core::NowMicros(), last_now_ + 1);
    return last_now_;
}

Status FindingStore::Upsert(db::Connection& conn, const Finding& f, core::Micros now) {
    // A person's verdict (state_source 'manual') stays; otherwise the state follows this run: not
    // applicable when a VEX statement settles the finding, else open (a resolved finding reopens,
    // one settled by a VEX statement that no longer says so reopens).
    const bool vex = !f.vex_not_applicable.empty();
    return conn
        .Execute(
            "INSERT INTO findings (uuid, asset_id, cve_id, status, source, reason, priority, cvss, epss, kev, state, "
            "state_reason, state_source, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (asset_id, cve_id) DO UPDATE SET status = excluded.status, source = excluded.source, "
            "reason = excluded.reason, priority = excluded.priority, cvss = excluded.cvss, epss = excluded.epss, "
            "kev = excluded.kev, last_seen = excluded.last_seen, "
            "state = CASE WHEN findings.state_source = 'manual' THEN findings.state ELSE excluded.state END, "
            "state_reason = CASE WHEN findings.state_source = 'manual' THEN findings.state_reason "
            "ELSE excluded.state_reason END, "
            "state_by = CASE WHEN findings.state_source = 'manual' THEN findings.state_by ELSE '' END, "
            "state_source = CASE WHEN findings.state_source = 'manual' THEN 'manual' ELSE excluded.state_source END",
            {core::NewUuidV7(), f.asset_id, f.cve_id, std::string(VulnStatusName(f.status)),
             std::string(FindingSourceName(f.source)), f.reason, f.priority, db::Opt(f.cvss), db::Opt(f.epss),
             db::Bool(f.kev), std::string(vex ? "not_applicable" : "open"), f.vex_not_applicable,
             std::string(vex ? "vex" : "match"), now, now})
        .map([](std::int64_t) {});
}

Status FindingStore::ReplaceForAssets(std::span<const AssetFindings> batch) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    const core::Micros now = Now();
    return db::InTransaction(*conn, [&]() -> Status {
        for (const AssetFindings& a : batch) {
            for (const Finding& f : a.findings) MUHAFIZ_CHECK(Upsert(*conn, f, now));
            MUHAFIZ_CHECK(conn->Execute(
                "UPDATE findings SET state = 'resolved', state_reason = 'no longer matches', state_by = '', "
                "state_source = 'match' WHERE asset_id = ? AND state = 'open' AND last_seen < ?",
                {a.asset_id, now}));
        }
        return core::Ok();
    });
}

Status FindingStore::ReplaceForCve(const std::string& cve_id, const std::vector<Finding>& findings) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    const core::Micros now = Now();
    return db::InTransaction(*conn, [&]() -> Status {
        for (const Finding& f : findings) {
            if (f.cve_id != cve_id) return Invalid("cve_id", "finding of " + f.cve_id + " given for " + cve_id);
            MUHAFIZ_CHECK(Upsert(*conn, f, now));
        }
        MUHAFIZ_CHECK(conn->Execute(
            "UPDATE findings SET state = 'resolved', state_reason = 'no longer matches', state_by = '', "
            "state_source = 'match' WHERE cve_id = ? AND state = 'open' AND last_seen < ?",
            {cve_id, now}));
        return core::Ok();
    });
}

Result<StoredFinding> FindingStore::Get(const std::string& uuid, const db::Predicate& scope) {
    if (!core::IsUuid(uuid)) return core::NotFound("no such finding");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(
        conn->Query(std::string(kSelect) + " WHERE f.uuid = ? AND (" + scope.sql + ")", With({uuid}, scope)));
    if (rows.empty()) return core::NotFound("no such finding");
    return FromRow(rows[0]);
}

Result<Page<StoredFinding>> FindingStore::List(const FindingFilter& f, const db::Predicate& scope) {
    if (f.limit < 1 || f.limit > 500) return Invalid("limit", "limit must be between 1 and 500");
    const SortOrder sort = MUHAFIZ_TRY(ParseSort(f.sort));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string where = "(" + scope.sql + ")";
    db::Params params = scope.params;
    if (f.organisation) {
        const db::Predicate sub = MUHAFIZ_TRY(Subtree(*conn, *f.organisation));
        where += " AND " + sub.sql;
        params.insert(params.end(), sub.params.begin(), sub.params.end());
    }
    auto add = [&](std::string_view condition, db::Value v) {
        where += " AND " + std::string(condition);
        params.push_back(std::move(v));
    };
    if (f.asset) add("a.uuid = ?", *f.asset);
    if (f.status) add("f.status = ?", std::string(VulnStatusName(*f.status)));
    if (f.state) add("f.state = ?", std::string(FindingStateName(*f.state)));
    if (f.kev) add("f.kev = ?", db::Bool(*f.kev));
    if (f.min_priority) add("f.priority >= ?", *f.min_priority);
    if (f.cve) add("f.cve_id = ?", *f.cve);
    Page<StoredFinding> page;
    auto total = MUHAFIZ_TRY(conn->Query(
        "SELECT COUNT(*) FROM findings f JOIN assets a ON a.id = f.asset_id "
        "JOIN organisations o ON o.id = a.organisation_id WHERE " + where,
        params));
    page.total = total[0].Int(0);
    MUHAFIZ_CHECK(ApplyCursor(sort, f.cursor, "f.id", where, params));
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kSelect) + " WHERE " + where + PageClause(sort, "f.id", f.limit),
                                        params));
    for (const auto& r : rows) page.items.push_back(FromRow(r));
    if (static_cast<int>(page.items.size()) > f.limit) {
        page.items.pop_back();
        const StoredFinding& last = page.items.back();
        page.next = EncodeCursor(sort,
                                 sort.kind == SortOrder::Kind::kDouble ? db::Value(last.finding.priority)
                                                                       : db::Value(last.first_seen),
                                 last.id);
    }
    return page;
}

Result<std::vector<ExposureSummary>> FindingStore::Summarise(const std::optional<std::string>& organisation,
                                                             const db::Predicate& scope) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string where = "(" + scope.sql + ")";
    db::Params params = scope.params;
    if (organisation) {
        const db::Predicate sub = MUHAFIZ_TRY(Subtree(*conn, *organisation));
        where += " AND " + sub.sql;
        params.insert(params.end(), sub.params.begin(), sub.params.end());
    }
    constexpr std::string_view kOpen = "f.state = 'open'";
    auto count = [&](std::string_view condition) {
        return "SUM(CASE WHEN " + std::string(condition) + " THEN 1 ELSE 0 END)";
    };
    const std::string open(kOpen);
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT o.uuid, o.name, " + count(open) + ", " + count(open + " AND f.status = 'affected'") + ", " +
            count(open + " AND f.status = 'unknown'") + ", " + count(open + " AND f.kev = 1") + ", " +
            count(open + " AND f.cvss >= 9") + ", " + count(open + " AND f.cvss >= 7 AND f.cvss < 9") + ", " +
            count(open + " AND f.cvss >= 4 AND f.cvss < 7") + ", " + count(open + " AND f.cvss > 0 AND f.cvss < 4") +
            ", " + count(open + " AND (f.cvss IS NULL OR f.cvss = 0)") + ", " +
            count("f.state = 'not_applicable'") + ", " + count("f.state = 'resolved'") +
            " FROM findings f JOIN assets a ON a.id = f.asset_id JOIN organisations o ON o.id = a.organisation_id "
            "WHERE " + where + " GROUP BY o.id, o.uuid, o.name, o.path ORDER BY o.path",
        params));
    std::vector<ExposureSummary> out;
    for (const auto& r : rows)
        out.push_back({r.Str(0), r.Str(1), r.Int(2), r.Int(3), r.Int(4), r.Int(5), r.Int(6), r.Int(7), r.Int(8),
                       r.Int(9), r.Int(10), r.Int(11), r.Int(12)});
    return out;
}

Result<StoredFinding> FindingStore::SetState(const std::string& uuid, FindingState state, const std::string& reason,
                                             const db::Predicate& scope, const core::Actor& actor) {
    if (!core::IsUuid(uuid)) return core::NotFound("no such finding");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<StoredFinding> {
        auto rows = MUHAFIZ_TRY(
            conn->Query(std::string(kSelect) + " WHERE f.uuid = ? AND (" + scope.sql + ")", With({uuid}, scope)));
        if (rows.empty()) return core::NotFound("no such finding");
        const StoredFinding before = FromRow(rows[0]);
        if (state == FindingState::kOpen && before.state == FindingState::kOpen)
            return Fail(ErrorCode::kConflict, "the finding is already open", "state");
        StoredFinding after = before;
        after.state = state;
        after.state_reason = reason;
        after.state_by = state == FindingState::kOpen ? "" : actor.username;
        MUHAFIZ_CHECK(conn->Execute("UPDATE findings SET state = ?, state_reason = ?, state_by = ?, state_source = 'manual' "
                                    "WHERE id = ?",
                                    {std::string(FindingStateName(state)), after.state_reason, after.state_by,
                                     before.id}));
        MUHAFIZ_CHECK(audit_.Append(*conn, {actor,
                                            state == FindingState::kOpen ? "finding.reopen" : "finding.not_applicable",
                                            "finding", before.uuid, core::ToJson(FindingToJson(before)),
                                            core::ToJson(FindingToJson(after))}));
        return after;
    });
}

Result<StoredFinding> FindingStore::MarkNotApplicable(const std::string& uuid, const std::string& reason,
                                                      const db::Predicate& scope, const core::Actor& actor) {
    const std::string why(TrimVersion(reason));
    if (why.empty()) return Invalid("reason", "'reason' is required: say why the finding does not apply");
    return SetState(uuid, FindingState::kNotApplicable, why, scope, actor);
}

Result<StoredFinding> FindingStore::Reopen(const std::string& uuid, const db::Predicate& scope,
                                           const core::Actor& actor) {
    return SetState(uuid, FindingState::kOpen, "", scope, actor);
}

}  // namespace muhafiz::vulns
