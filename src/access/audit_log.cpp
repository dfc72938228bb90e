#include "access/audit_log.hpp"

#include <algorithm>
#include <charconv>

#include "access/internal.hpp"
#include "access/policy.hpp"
#include "core/ids.hpp"

namespace muhafiz::access {
namespace {

constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";
constexpr std::string_view kColumns =
    "id, at, actor_id, actor, organisation_id, address, action, object_type, object_id, "
    "\"before\", \"after\", prev_hash, hash";
constexpr std::int64_t kVerifyBatch = 1000;

void Field(std::string& out, std::string_view value) {
    out += std::to_string(value.size());
    out += ':';
    out += value;
    out += '|';
}

std::string OptText(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : ""; }

std::string ChainHash(const AuditRecord& r) {
    const AuditEntry& e = r.entry;
    std::string data;
    Field(data, r.prev_hash);
    Field(data, std::to_string(r.id));
    Field(data, std::to_string(r.at));
    Field(data, OptText(e.actor_id));
    Field(data, e.actor);
    Field(data, OptText(e.organisation_id));
    Field(data, e.address);
    Field(data, e.action);
    Field(data, e.object_type);
    Field(data, e.object_id);
    Field(data, e.before_json);
    Field(data, e.after_json);
    return core::Sha256Hex(data);
}

AuditRecord ToRecord(const db::Row& row) {
    AuditRecord r;
    r.id = row.Int(0);
    r.at = row.Int(1);
    r.entry.actor_id = row.OptInt(2);
    r.entry.actor = row.Str(3);
    r.entry.organisation_id = row.OptInt(4);
    r.entry.address = row.Str(5);
    r.entry.action = row.Str(6);
    r.entry.object_type = row.Str(7);
    r.entry.object_id = row.Str(8);
    r.entry.before_json = row.Str(9);
    r.entry.after_json = row.Str(10);
    r.prev_hash = row.Str(11);
    r.hash = row.Str(12);
    return r;
}

db::Value TextOrNull(const std::string& s) { return s.empty() ? db::Null() : db::Value(s); }

}  // namespace

core::Result<std::int64_t> AuditLog::Append(db::Connection& conn, const AuditEntry& entry) const {
    const bool pg = conn.dialect() == db::Dialect::kPostgres;
    auto head =
        MUHAFIZ_TRY(conn.Query(pg ? "SELECT last_id, hash FROM audit_head WHERE id = 1 FOR UPDATE"
                                  : "SELECT last_id, hash FROM audit_head WHERE id = 1"));
    if (head.empty()) return core::Fail(core::ErrorCode::kInternal, "audit_head row is missing");
    AuditRecord r;
    r.id = head[0].Int(0) + 1;
    r.at = clock_();
    r.entry = entry;
    r.prev_hash = head[0].Str(1);
    r.hash = ChainHash(r);
    MUHAFIZ_CHECK(conn.Execute(
        "INSERT INTO audit_log (" + std::string(kColumns) +
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {r.id, r.at, db::Opt(entry.actor_id), entry.actor, db::Opt(entry.organisation_id),
         entry.address, entry.action, entry.object_type, entry.object_id,
         TextOrNull(entry.before_json), TextOrNull(entry.after_json), r.prev_hash, r.hash}));
    MUHAFIZ_CHECK(
        conn.Execute("UPDATE audit_head SET last_id = ?, hash = ? WHERE id = 1", {r.id, r.hash}));
    return r.id;
}

core::Status AuditLog::Append(db::Connection& conn, const db::AuditRecord& r) const {
    AuditEntry e;
    if (r.actor.user_id) e.actor_id = r.actor.user_id;
    e.actor = r.actor.username;
    if (r.actor.organisation_id) e.organisation_id = r.actor.organisation_id;
    e.address = r.actor.address;
    e.action = r.action;
    e.object_type = r.object_type;
    e.object_id = r.object_id;
    e.before_json = r.before;
    e.after_json = r.after;
    auto id = Append(conn, e);
    if (!id) return tl::unexpected(id.error());
    return {};
}

core::Result<std::int64_t> AuditLog::AppendInTransaction(db::Connection& conn,
                                                         const AuditEntry& entry) const {
    return db::InTransaction(conn, [&] { return Append(conn, entry); });
}

core::Result<VerifyReport> AuditLog::Verify(db::Connection& conn) const {
    VerifyReport report;
    std::string prev(kGenesisHash);
    std::int64_t last_id = 0;
    auto bad = [&](std::int64_t id, std::string reason) {
        report.ok = false;
        report.first_bad_id = id;
        report.reason = std::move(reason);
        return report;
    };
    for (;;) {
        auto rows = MUHAFIZ_TRY(conn.Query(
            "SELECT " + std::string(kColumns) + " FROM audit_log WHERE id > ? ORDER BY id LIMIT ?",
            {last_id, kVerifyBatch}));
        for (const auto& row : rows) {
            const AuditRecord r = ToRecord(row);
            if (r.id != last_id + 1)
                return bad(r.id, "entries " + std::to_string(last_id + 1) + " to " +
                                     std::to_string(r.id - 1) + " are missing");
            if (r.prev_hash != prev)
                return bad(r.id, "prev_hash does not match the hash of the previous entry");
            if (ChainHash(r) != r.hash)
                return bad(r.id, "hash does not match the entry's contents");
            prev = r.hash;
            last_id = r.id;
            ++report.entries;
        }
        if (static_cast<std::int64_t>(rows.size()) < kVerifyBatch) break;
    }
    auto head = MUHAFIZ_TRY(conn.Query("SELECT last_id, hash FROM audit_head WHERE id = 1"));
    if (head.empty()) return bad(0, "audit_head row is missing");
    const std::int64_t head_id = head[0].Int(0);
    if (head_id != last_id)
        return bad(std::min(head_id, last_id) + 1,
                   "audit_head names entry " + std::to_string(head_id) + " but the chain ends at " +
                       std::to_string(last_id));
    if (head[0].Str(1) != prev)
        return bad(last_id, "audit_head hash does not match the last entry");
    return report;
}

core::Result<AuditPage> AuditLog::List(db::Connection& conn, const Principal& p,
                                       const AuditFilter& filter) const {
    if (!CanReadAudit(p))
        return core::Fail(core::ErrorCode::kPermissionDenied,
                          "only administrators read the audit log");
    MUHAFIZ_CHECK(internal::CheckLimit(filter.limit));
    internal::Where where;
    if (!p.is_national) {
        const db::Predicate scope = Policy().OrganisationScope(p, "o.path");
        where.And("organisation_id IN (SELECT o.id FROM organisations o WHERE " + scope.sql + ")",
                  scope.params);
    }
    if (!filter.actor.empty()) where.And("actor = ?", {filter.actor});
    if (!filter.object_type.empty()) where.And("object_type = ?", {filter.object_type});
    if (!filter.object_id.empty()) where.And("object_id = ?", {filter.object_id});
    if (!filter.action.empty()) where.And("action = ?", {filter.action});
    if (filter.since) where.And("at >= ?", {*filter.since});
    if (filter.until) where.And("at < ?", {*filter.until});

    AuditPage page;
    auto count =
        MUHAFIZ_TRY(conn.Query("SELECT COUNT(*) FROM audit_log" + where.sql, where.params));
    page.total = count[0].Int(0);
    if (!filter.cursor.empty()) {
        const std::string key = MUHAFIZ_TRY(internal::DecodeCursor(filter.cursor));
        std::int64_t before_id = 0;
        const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), before_id);
        if (ec != std::errc() || end != key.data() + key.size())
            return core::Invalid("cursor", "invalid cursor");
        where.And("id < ?", {before_id});
    }
    where.params.emplace_back(std::int64_t{filter.limit} + 1);
    auto rows = MUHAFIZ_TRY(conn.Query("SELECT " + std::string(kColumns) + " FROM audit_log" +
                                           where.sql + " ORDER BY id DESC LIMIT ?",
                                       where.params));
    for (const auto& row : rows) page.items.push_back(ToRecord(row));
    if (static_cast<int>(page.items.size()) > filter.limit) {
        page.items.pop_back();
        page.next = internal::EncodeCursor(std::to_string(page.items.back().id));
    }
    return page;
}

}  // namespace muhafiz::access
