#include "vulns/advisory_store.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/ids.hpp"
#include "core/time.hpp"

namespace muhafiz::vulns {
namespace json = core::json;
using core::ErrorCode;
using core::Fail;
using core::Invalid;
using core::Result;
using core::Status;

namespace {

constexpr std::string_view kSelect =
    "SELECT a.id, a.uuid, a.organisation_id, o.uuid, o.path, a.content, a.status, COALESCE(a.tracking_id, ''), "
    "a.version, a.published_version, a.created_at, a.updated_at";
constexpr std::string_view kFrom = " FROM advisories a JOIN organisations o ON o.id = a.organisation_id";

Advisory FromRow(const db::Row& r, bool with_documents) {
    Advisory a;
    a.id = r.Int(0);
    a.uuid = r.Str(1);
    a.organisation_id = r.Int(2);
    a.organisation_uuid = r.Str(3);
    a.organisation_path = r.Str(4);
    if (auto obj = core::ParseJsonObject(r.Str(5))) (void)ApplyContentJson(a.content, *obj);
    a.status = r.Str(6) == "published" ? AdvisoryStatus::kPublished : AdvisoryStatus::kDraft;
    a.tracking_id = r.Str(7);
    a.version = r.Int(8);
    a.published_version = r.Int(9);
    a.created_at = r.Int(10);
    a.updated_at = r.Int(11);
    if (with_documents) {
        a.csaf_json = r.Str(12);
        a.html = r.Str(13);
    }
    return a;
}

Status LoadRevisions(db::Connection& conn, std::vector<Advisory*> advisories) {
    if (advisories.empty()) return {};
    std::map<std::int64_t, Advisory*> by_id;
    std::string in = "(";
    db::Params params;
    for (Advisory* a : advisories) {
        by_id[a->id] = a;
        in += params.empty() ? "?" : ",?";
        params.emplace_back(a->id);
    }
    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT advisory_id, number, released_at, summary FROM advisory_revisions WHERE advisory_id IN " + in +
            ") ORDER BY advisory_id, number",
        params));
    for (const auto& r : rows)
        by_id[r.Int(0)]->revisions.push_back(Revision{static_cast<int>(r.Int(1)), r.Int(2), r.Str(3)});
    return {};
}

db::Params With(db::Params params, const db::Predicate& scope) {
    params.insert(params.end(), scope.params.begin(), scope.params.end());
    return params;
}

std::string AuditJson(const Advisory& a) { return core::ToJson(ToJson(a)); }

}  // namespace

Result<Advisory> AdvisoryStore::Load(db::Connection& conn, const std::string& where, const db::Params& params,
                                     bool with_documents) {
    auto rows = MUHAFIZ_TRY(conn.Query(std::string(kSelect) + (with_documents ? ", a.csaf_json, a.html" : "") +
                                           std::string(kFrom) + " WHERE " + where,
                                       params));
    if (rows.empty()) return core::NotFound("no such advisory");
    Advisory a = FromRow(rows[0], with_documents);
    MUHAFIZ_CHECK(LoadRevisions(conn, {&a}));
    return a;
}

Result<Advisory> AdvisoryStore::Create(const AdvisoryContent& content, std::int64_t organisation_id,
                                       const core::Actor& actor) {
    MUHAFIZ_CHECK(ValidateContent(content));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<Advisory> {
        const core::Micros now = core::NowMicros();
        const std::string uuid = core::NewUuidV7();
        auto rows = MUHAFIZ_TRY(conn->Query(
            "INSERT INTO advisories (uuid, organisation_id, title, tlp, content, status, version, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, 'draft', 1, ?, ?) RETURNING id",
            {uuid, organisation_id, content.title, std::string(TlpName(content.tlp)),
             core::ToJson(ContentToJson(content)), now, now}));
        auto a = MUHAFIZ_TRY(Load(*conn, "a.id = ?", {rows[0].Int(0)}, false));
        MUHAFIZ_CHECK(audit_.Append(*conn, {actor, "advisory.create", "advisory", a.uuid, "", AuditJson(a)}));
        return a;
    });
}

Result<Advisory> AdvisoryStore::Get(const std::string& uuid, const db::Predicate& scope) {
    if (!core::IsUuid(uuid)) return core::NotFound("no such advisory");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return Load(*conn, "a.uuid = ? AND (" + scope.sql + ")", With({uuid}, scope), true);
}

Result<AdvisoryPage> AdvisoryStore::List(const AdvisoryListFilter& f, const db::Predicate& scope) {
    if (f.limit < 1 || f.limit > 500) return Invalid("limit", "limit must be between 1 and 500");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string where = "(" + scope.sql + ")";
    db::Params params = scope.params;
    if (f.status) {
        where += " AND a.status = ?";
        params.emplace_back(std::string(AdvisoryStatusName(*f.status)));
    }
    if (f.q && !f.q->empty()) {
        std::string escaped;
        for (char c : *f.q) {
            if (c == '%' || c == '_' || c == '\\') escaped += '\\';
            escaped += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        where += " AND (lower(a.title) LIKE ? ESCAPE '\\' OR lower(COALESCE(a.tracking_id, '')) LIKE ? ESCAPE '\\')";
        params.emplace_back("%" + escaped + "%");
        params.emplace_back("%" + escaped + "%");
    }
    AdvisoryPage page;
    auto total = MUHAFIZ_TRY(conn->Query("SELECT COUNT(*)" + std::string(kFrom) + " WHERE " + where, params));
    page.total = total[0].Int(0);
    if (!f.cursor.empty()) {
        std::string raw;
        json::value c;
        if (core::Base64UrlDecode(f.cursor, raw))
            if (auto v = core::ParseJson(raw)) c = *v;
        if (!c.is_array() || c.as_array().size() != 2 || !c.as_array()[0].is_int64() || !c.as_array()[1].is_int64())
            return Invalid("cursor", "the cursor is not valid for this query");
        where += " AND (a.updated_at < ? OR (a.updated_at = ? AND a.id < ?))";
        params.emplace_back(c.as_array()[0].as_int64());
        params.emplace_back(c.as_array()[0].as_int64());
        params.emplace_back(c.as_array()[1].as_int64());
    }
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kSelect) + std::string(kFrom) + " WHERE " + where +
                                            " ORDER BY a.updated_at DESC, a.id DESC LIMIT " + std::to_string(f.limit + 1),
                                        params));
    for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < f.limit; ++i)
        page.items.push_back(FromRow(rows[i], false));
    std::vector<Advisory*> ptrs;
    for (auto& a : page.items) ptrs.push_back(&a);
    MUHAFIZ_CHECK(LoadRevisions(*conn, ptrs));
    if (static_cast<int>(rows.size()) > f.limit) {
        const Advisory& last = page.items.back();
        page.next = core::Base64UrlEncode(core::ToJson(json::array{json::value(last.updated_at), json::value(last.id)}));
    }
    return page;
}

Result<Advisory> AdvisoryStore::Update(const std::string& uuid, const AdvisoryContent& content,
                                       std::optional<std::int64_t> expected_version, const db::Predicate& scope,
                                       const core::Actor& actor) {
    if (!core::IsUuid(uuid)) return core::NotFound("no such advisory");
    MUHAFIZ_CHECK(ValidateContent(content));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<Advisory> {
        Advisory before = MUHAFIZ_TRY(Load(*conn, "a.uuid = ? AND (" + scope.sql + ")", With({uuid}, scope), false));
        if (expected_version && *expected_version != before.version)
            return Fail(ErrorCode::kPreconditionFailed,
                        "If-Match does not match: the advisory is at version " + std::to_string(before.version));
        const std::string text = core::ToJson(ContentToJson(content));
        if (text == core::ToJson(ContentToJson(before.content))) return before;  // nothing to change
        const auto changed = MUHAFIZ_TRY(conn->Execute(
            "UPDATE advisories SET title = ?, tlp = ?, content = ?, version = version + 1, updated_at = ? "
            "WHERE id = ? AND version = ?",
            {content.title, std::string(TlpName(content.tlp)), text, core::NowMicros(), before.id, before.version}));
        if (changed == 0)
            return Fail(ErrorCode::kPreconditionFailed, "the advisory was changed by someone else; reload it");
        auto after = MUHAFIZ_TRY(Load(*conn, "a.id = ?", {before.id}, false));
        MUHAFIZ_CHECK(
            audit_.Append(*conn, {actor, "advisory.update", "advisory", after.uuid, AuditJson(before), AuditJson(after)}));
        return after;
    });
}

Status AdvisoryStore::Delete(const std::string& uuid, const db::Predicate& scope, const core::Actor& actor) {
    if (!core::IsUuid(uuid)) return core::NotFound("no such advisory");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Status {
        Advisory a = MUHAFIZ_TRY(Load(*conn, "a.uuid = ? AND (" + scope.sql + ")", With({uuid}, scope), false));
        if (a.status == AdvisoryStatus::kPublished)
            return Fail(ErrorCode::kConflict, a.tracking_id + " is published; publish a revision instead of deleting it");
        MUHAFIZ_CHECK(conn->Execute("DELETE FROM advisories WHERE id = ?", {a.id}));
        return audit_.Append(*conn, {actor, "advisory.delete", "advisory", a.uuid, AuditJson(a), ""});
    });
}

Result<Advisory> AdvisoryStore::Publish(const std::string& uuid, const std::string& revision_summary,
                                        std::optional<std::int64_t> expected_version, const db::Predicate& scope,
                                        const core::Actor& actor) {
    if (!core::IsUuid(uuid)) return core::NotFound("no such advisory");
    if (revision_summary.size() > 1000) return Invalid("summary", "'summary' is longer than 1000 bytes");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<Advisory> {
        Advisory a = MUHAFIZ_TRY(Load(*conn, "a.uuid = ? AND (" + scope.sql + ")", With({uuid}, scope), false));
        if (expected_version && *expected_version != a.version)
            return Fail(ErrorCode::kPreconditionFailed,
                        "If-Match does not match: the advisory is at version " + std::to_string(a.version));
        if (!a.pending_changes())
            return Fail(ErrorCode::kConflict, "nothing changed since revision " +
                                                  std::to_string(a.revisions.empty() ? 0 : a.revisions.back().number));
        MUHAFIZ_CHECK(ValidateForPublication(a.content));
        core::Micros now = core::NowMicros();
        if (!a.revisions.empty()) now = std::max(now, a.revisions.back().date + 1000);  // strictly ascending
        if (a.tracking_id.empty()) {
            const std::string year = core::FormatRfc3339(now).substr(0, 4);
            auto rows = MUHAFIZ_TRY(conn->Query(
                "INSERT INTO advisory_counters (prefix, year, last_number) VALUES (?, ?, 1) "
                "ON CONFLICT (prefix, year) DO UPDATE SET last_number = advisory_counters.last_number + 1 "
                "RETURNING last_number",
                {settings_.tracking_prefix, std::int64_t{std::stoi(year)}}));
            char number[32];
            std::snprintf(number, sizeof number, "%04lld", static_cast<long long>(rows[0].Int(0)));
            a.tracking_id = settings_.tracking_prefix + "-" + year + "-" + number;
        }
        Revision rev{a.revisions.empty() ? 1 : a.revisions.back().number + 1, now, revision_summary};
        if (rev.summary.empty()) rev.summary = rev.number == 1 ? "Initial version" : "Updated";
        MUHAFIZ_CHECK(conn->Execute(
            "INSERT INTO advisory_revisions (advisory_id, number, released_at, summary) VALUES (?, ?, ?, ?)",
            {a.id, std::int64_t{rev.number}, rev.date, rev.summary}));
        a.revisions.push_back(rev);
        const CsafTracking tracking{a.tracking_id, a.revisions};
        const std::string csaf = SerializeJson(RenderCsaf(a.content, tracking, settings_));
        const std::string html = RenderHtml(a.content, tracking, settings_);
        const auto changed = MUHAFIZ_TRY(conn->Execute(
            "UPDATE advisories SET status = 'published', tracking_id = ?, published_version = version, csaf_json = ?, "
            "html = ?, updated_at = ? WHERE id = ? AND version = ?",
            {a.tracking_id, csaf, html, now, a.id, a.version}));
        if (changed == 0)
            return Fail(ErrorCode::kPreconditionFailed, "the advisory was changed by someone else; reload it");
        MUHAFIZ_CHECK(audit_.Append(
            *conn, {actor, "advisory.publish", "advisory", a.uuid, "",
                    core::ToJson(json::object{{"tracking_id", a.tracking_id},
                                              {"revision", rev.number},
                                              {"summary", rev.summary},
                                              {"tlp", TlpName(a.content.tlp)},
                                              {"sha256", core::Sha256Hex(csaf)}})}));
        return Load(*conn, "a.id = ?", {a.id}, true);
    });
}

Result<std::vector<Advisory>> AdvisoryStore::ListPublished() {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kSelect) + ", a.csaf_json, a.html" + std::string(kFrom) +
                                        " WHERE a.status = 'published' ORDER BY a.id"));
    std::vector<Advisory> out;
    for (const auto& r : rows) out.push_back(FromRow(r, true));
    std::vector<Advisory*> ptrs;
    for (auto& a : out) ptrs.push_back(&a);
    MUHAFIZ_CHECK(LoadRevisions(*conn, ptrs));
    return out;
}

Result<ImportResult> AdvisoryStore::Import(std::string_view document, std::int64_t organisation_id,
                                           const core::Actor& actor) {
    ImportResult result;
    result.document = MUHAFIZ_TRY(ParseCsafDocument(document));
    const CsafDocumentInfo& d = result.document;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> Status {
        auto existing = MUHAFIZ_TRY(conn->Query(
            "SELECT id, uuid, current_release_date FROM csaf_imports WHERE publisher_namespace = ? AND tracking_id = ?",
            {d.publisher_namespace, d.tracking_id}));
        const core::Micros now = core::NowMicros();
        const db::Value org = organisation_id ? db::Value(organisation_id) : db::Null();
        std::int64_t id = 0;
        if (!existing.empty()) {
            if (existing[0].Int(2) > d.current_release_date)
                return Fail(ErrorCode::kConflict, "a newer release of " + d.tracking_id + " from " +
                                                      d.publisher_namespace + " was imported already");
            id = existing[0].Int(0);
            result.id = existing[0].Str(1);
            result.replaced = true;
            MUHAFIZ_CHECK(conn->Execute("DELETE FROM csaf_statements WHERE import_id = ?", {id}));
            MUHAFIZ_CHECK(conn->Execute(
                "UPDATE csaf_imports SET publisher_name = ?, tracking_version = ?, category = ?, title = ?, tlp = ?, "
                "current_release_date = ?, document = ?, organisation_id = ?, imported_at = ? WHERE id = ?",
                {d.publisher_name, d.tracking_version, d.category, d.title, d.tlp, d.current_release_date,
                 std::string(document), org, now, id}));
        } else {
            result.id = core::NewUuidV7();
            auto rows = MUHAFIZ_TRY(conn->Query(
                "INSERT INTO csaf_imports (uuid, publisher_namespace, publisher_name, tracking_id, tracking_version, "
                "category, title, tlp, current_release_date, document, organisation_id, imported_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                {result.id, d.publisher_namespace, d.publisher_name, d.tracking_id, d.tracking_version, d.category,
                 d.title, d.tlp, d.current_release_date, std::string(document), org, now}));
            id = rows[0].Int(0);
        }
        std::vector<db::Params> rows;
        rows.reserve(d.statements.size());
        for (const auto& s : d.statements)
            rows.push_back({id, s.cve, std::string(StatementStatusName(s.status)), s.product_id, s.product_name,
                            s.vendor, s.product, s.version, s.version_range, s.cpe, s.purl});
        if (!rows.empty())
            MUHAFIZ_CHECK(conn->BulkInsert("csaf_statements",
                                           {"import_id", "cve", "status", "product_id", "product_name", "vendor",
                                            "product", "version", "version_range", "cpe", "purl"},
                                           rows));
        return audit_.Append(*conn, {actor, "csaf.import", "csaf_import", result.id, "",
                                     core::ToJson(json::object{{"publisher", d.publisher_namespace},
                                                               {"tracking_id", d.tracking_id},
                                                               {"version", d.tracking_version},
                                                               {"category", d.category},
                                                               {"statements", d.statements.size()}})});
    }));
    return result;
}

Result<std::vector<AdvisoryStore::Statement>> AdvisoryStore::StatementsForCve(const std::string& cve) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT s.cve, s.status, s.product_id, s.product_name, s.vendor, s.product, s.version, s.version_range, s.cpe, "
        "s.purl, i.publisher_namespace, i.tracking_id, i.category FROM csaf_statements s "
        "JOIN csaf_imports i ON i.id = s.import_id WHERE s.cve = ? ORDER BY i.id, s.product_id, s.status",
        {cve}));
    std::vector<Statement> out;
    for (const auto& r : rows) {
        Statement s;
        s.statement.cve = r.Str(0);
        const std::string status = r.Str(1);
        s.statement.status = status == "known_not_affected"    ? StatementStatus::kKnownNotAffected
                             : status == "fixed"               ? StatementStatus::kFixed
                             : status == "under_investigation" ? StatementStatus::kUnderInvestigation
                                                               : StatementStatus::kKnownAffected;
        s.statement.product_id = r.Str(2);
        s.statement.product_name = r.Str(3);
        s.statement.vendor = r.Str(4);
        s.statement.product = r.Str(5);
        s.statement.version = r.Str(6);
        s.statement.version_range = r.Str(7);
        s.statement.cpe = r.Str(8);
        s.statement.purl = r.Str(9);
        s.publisher_namespace = r.Str(10);
        s.tracking_id = r.Str(11);
        s.document_category = r.Str(12);
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace muhafiz::vulns
