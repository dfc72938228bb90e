#include "vulns/asset_store.hpp"

#include <algorithm>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "vulns/paging.hpp"

namespace muhafiz::vulns {
namespace {

using core::ErrorCode;
using core::Fail;
using core::Invalid;
using core::Result;
using core::Status;

constexpr std::string_view kSelect =
    "SELECT a.id, a.uuid, a.organisation_id, o.uuid, a.name, a.cpe, a.purl, a.vendor, a.product, a.version, "
    "a.version_scheme, a.location, a.criticality, a.created_at, a.updated_at, a.version_row "
    "FROM assets a JOIN organisations o ON o.id = a.organisation_id";

Asset FromRow(const db::Row& r) {
    Asset a;
    a.id = r.Int(0);
    a.uuid = r.Str(1);
    a.organisation_id = r.Int(2);
    a.organisation_uuid = r.Str(3);
    a.name = r.Str(4);
    a.cpe = r.Str(5);
    a.purl = r.Str(6);
    a.vendor = r.Str(7);
    a.product = r.Str(8);
    a.version = r.Str(9);
    a.version_scheme = r.Str(10);
    a.location = r.Str(11);
    a.criticality = ParseCriticality(r.Str(12)).value_or(Criticality::kMedium);
    a.created_at = r.Int(13);
    a.updated_at = r.Int(14);
    a.version_row = r.Int(15);
    return a;
}

db::Params With(db::Params params, const db::Predicate& scope) {
    params.insert(params.end(), scope.params.begin(), scope.params.end());
    return params;
}

Result<SortOrder> ParseSort(const std::string& sort) {
    const bool desc = !sort.empty() && sort[0] == '-';
    const std::string name = desc ? sort.substr(1) : sort;
    if (name == "name") return SortOrder{sort, "a.name", desc, SortOrder::Kind::kText};
    if (name == "created_at") return SortOrder{sort, "a.created_at", desc, SortOrder::Kind::kInt};
    return Invalid("sort", "sort must be one of name, created_at (prefix '-' for descending)");
}

std::string Audit(const Asset& a) { return core::ToJson(AssetToJson(a)); }

}  // namespace

Result<AssetStore::Org> AssetStore::FindOrganisation(db::Connection& conn, const std::string& uuid,
                                                     const db::Predicate& scope, std::string_view field) {
    auto rows = MUHAFIZ_TRY(conn.Query("SELECT o.id, o.uuid FROM organisations o WHERE o.uuid = ? AND (" +
                                           scope.sql + ")",
                                       With({uuid}, scope)));
    if (rows.empty()) return Invalid(std::string(field), "no organisation with id '" + uuid + "'");
    return Org{rows[0].Int(0), rows[0].Str(1)};
}

Result<std::vector<Asset>> AssetStore::LoadAll(db::Connection& conn, std::string_view where,
                                               const db::Params& params) {
    auto rows = MUHAFIZ_TRY(conn.Query(std::string(kSelect) + " WHERE " + std::string(where), params));
    std::vector<Asset> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(FromRow(r));
    return out;
}

Result<Asset> AssetStore::Load(db::Connection& conn, std::string_view where, const db::Params& params) {
    auto all = MUHAFIZ_TRY(LoadAll(conn, where, params));
    if (all.empty()) return core::NotFound("no such asset");
    return std::move(all.front());
}

Status AssetStore::WriteKeys(db::Connection& conn, const Asset& a) {
    MUHAFIZ_CHECK(conn.Execute("DELETE FROM asset_keys WHERE asset_id = ?", {a.id}));
    for (const std::string& key : ProductKeys(a))
        MUHAFIZ_CHECK(conn.Execute("INSERT INTO asset_keys (asset_id, product_key) VALUES (?, ?)", {a.id, key}));
    return core::Ok();
}

Result<Asset> AssetStore::Insert(db::Connection& conn, const Org& org, const AssetPatch& patch,
                                 const core::Actor& actor) {
    Asset a;
    MUHAFIZ_CHECK(ApplyPatch(a, patch));
    a.uuid = core::NewUuidV7();
    a.organisation_id = org.id;
    a.organisation_uuid = org.uuid;
    a.created_at = a.updated_at = core::NowMicros();
    auto rows = MUHAFIZ_TRY(conn.Query(
        "INSERT INTO assets (uuid, organisation_id, name, cpe, purl, vendor, product, version, version_scheme, "
        "location, criticality, created_at, updated_at, version_row) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id",
        {a.uuid, a.organisation_id, a.name, a.cpe, a.purl, a.vendor, a.product, a.version, a.version_scheme,
         a.location, std::string(CriticalityName(a.criticality)), a.created_at, a.updated_at}));
    a.id = rows[0].Int(0);
    MUHAFIZ_CHECK(WriteKeys(conn, a));
    MUHAFIZ_CHECK(audit_.Append(conn, {actor, "asset.create", "asset", a.uuid, "", Audit(a)}));
    return a;
}

Result<bool> AssetStore::Write(db::Connection& conn, const Asset& before, Asset& a, const core::Actor& actor) {
    const std::string old_json = Audit(before);
    if (Audit(a) == old_json) return false;
    a.updated_at = core::NowMicros();
    const auto changed = MUHAFIZ_TRY(conn.Execute(
        "UPDATE assets SET name = ?, cpe = ?, purl = ?, vendor = ?, product = ?, version = ?, version_scheme = ?, "
        "location = ?, criticality = ?, updated_at = ?, version_row = version_row + 1 "
        "WHERE id = ? AND version_row = ?",
        {a.name, a.cpe, a.purl, a.vendor, a.product, a.version, a.version_scheme, a.location,
         std::string(CriticalityName(a.criticality)), a.updated_at, a.id, before.version_row}));
    if (changed == 0) return Fail(ErrorCode::kPreconditionFailed, "the asset was changed by someone else; reload it");
    a.version_row = before.version_row + 1;
    MUHAFIZ_CHECK(WriteKeys(conn, a));
    MUHAFIZ_CHECK(audit_.Append(conn, {actor, "asset.update", "asset", a.uuid, old_json, Audit(a)}));
    return true;
}

Result<Asset> AssetStore::Create(const std::string& organisation, const AssetPatch& patch,
                                 const db::Predicate& scope, const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto created = db::InTransaction(*conn, [&]() -> Result<Asset> {
        const Org org = MUHAFIZ_TRY(FindOrganisation(*conn, organisation, scope, "organisation_id"));
        return Insert(*conn, org, patch, actor);
    });
    if (created) Notify(*created, false);
    return created;
}

Result<Asset> AssetStore::Get(const std::string& uuid, const db::Predicate& scope) {
    if (!core::IsUuid(uuid)) return core::NotFound("no such asset");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return Load(*conn, "a.uuid = ? AND (" + scope.sql + ")", With({uuid}, scope));
}

Result<Page<Asset>> AssetStore::List(const AssetFilter& f, const db::Predicate& scope) {
    if (f.limit < 1 || f.limit > 500) return Invalid("limit", "limit must be between 1 and 500");
    const SortOrder sort = MUHAFIZ_TRY(ParseSort(f.sort));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string where = "(" + scope.sql + ")";
    db::Params params = scope.params;
    if (f.organisation) {
        auto rows = MUHAFIZ_TRY(conn->Query("SELECT path FROM organisations WHERE uuid = ?", {*f.organisation}));
        std::string path = rows.empty() ? "/none/" : rows[0].Str(0);
        std::string upper = path;
        upper.back() = '0';
        where += " AND o.path >= ? AND o.path < ?";
        params.emplace_back(path);
        params.emplace_back(upper);
    }
    if (f.criticality) {
        where += " AND a.criticality = ?";
        params.emplace_back(std::string(CriticalityName(*f.criticality)));
    }
    if (f.product_key) {
        where += " AND a.id IN (SELECT asset_id FROM asset_keys WHERE product_key = ?)";
        params.emplace_back(*f.product_key);
    }
    if (f.q && !f.q->empty()) {
        std::string escaped;
        for (char c : *f.q) {
            if (c == '%' || c == '_' || c == '\\') escaped += '\\';
            escaped += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        where += " AND lower(a.name) LIKE ? ESCAPE '\\'";
        params.emplace_back("%" + escaped + "%");
    }
    Page<Asset> page;
    auto total = MUHAFIZ_TRY(conn->Query(
        "SELECT COUNT(*) FROM assets a JOIN organisations o ON o.id = a.organisation_id WHERE " + where, params));
    page.total = total[0].Int(0);
    MUHAFIZ_CHECK(ApplyCursor(sort, f.cursor, "a.id", where, params));
    page.items = MUHAFIZ_TRY(LoadAll(*conn, where + PageClause(sort, "a.id", f.limit), params));
    if (static_cast<int>(page.items.size()) > f.limit) {
        page.items.pop_back();
        const Asset& last = page.items.back();
        page.next = EncodeCursor(sort, sort.kind == SortOrder::Kind::kInt ? db::Value(last.created_at)
                                                                          : db::Value(last.name),
                                 last.id);
    }
    return page;
}

Result<Asset> AssetStore::Update(const std::string& uuid, const AssetPatch& patch,
                                 std::optional<std::int64_t> expected_version, const db::Predicate& scope,
                                 const core::Actor& actor) {
    if (!core::IsUuid(uuid)) return core::NotFound("no such asset");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    bool changed = false;
    auto updated = db::InTransaction(*conn, [&]() -> Result<Asset> {
        const Asset before = MUHAFIZ_TRY(Load(*conn, "a.uuid = ? AND (" + scope.sql + ")", With({uuid}, scope)));
        if (expected_version && *expected_version != before.version_row)
            return Fail(ErrorCode::kPreconditionFailed,
                        "If-Match does not match: the asset is at version " + std::to_string(before.version_row));
        Asset after = before;
        MUHAFIZ_CHECK(ApplyPatch(after, patch));
        changed = MUHAFIZ_TRY(Write(*conn, before, after, actor));
        return after;
    });
    if (updated && changed) Notify(*updated, false);
    return updated;
}

Status AssetStore::Delete(const std::string& uuid, const db::Predicate& scope, const core::Actor& actor) {
    if (!core::IsUuid(uuid)) return core::NotFound("no such asset");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto removed = db::InTransaction(*conn, [&]() -> Result<Asset> {
        Asset a = MUHAFIZ_TRY(Load(*conn, "a.uuid = ? AND (" + scope.sql + ")", With({uuid}, scope)));
        MUHAFIZ_CHECK(conn->Execute("DELETE FROM assets WHERE id = ?", {a.id}));
        MUHAFIZ_CHECK(audit_.Append(*conn, {actor, "asset.delete", "asset", a.uuid, Audit(a), ""}));
        return a;
    });
    if (!removed) return tl::unexpected(removed.error());
    Notify(*removed, true);
    return core::Ok();
}

Result<ImportReport> AssetStore::Import(const std::string& organisation, std::string_view text, AssetFormat format,
                                        bool skip_bad, const db::Predicate& scope, const core::Actor& actor) {
    const std::vector<ImportedAsset> entries =
        MUHAFIZ_TRY(format == AssetFormat::kCsv ? ReadAssetsCsv(text) : ReadCycloneDx(text));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    ImportReport report;
    report.entries = entries.size();
    std::vector<Asset> changed;
    auto tx = MUHAFIZ_TRY(db::Transaction::Begin(*conn));
    const Org org = MUHAFIZ_TRY(FindOrganisation(*conn, organisation, scope, "organisation_id"));
    for (const ImportedAsset& e : entries) {
        if (!e.patch) {
            report.problems.push_back({e.line, e.patch.error().field, e.patch.error().message});
            ++report.skipped;
            continue;
        }
        // The same organisation, name and location: the same asset.
        Asset probe;
        MUHAFIZ_CHECK(ApplyPatch(probe, *e.patch));
        auto existing = MUHAFIZ_TRY(LoadAll(*conn, "a.organisation_id = ? AND a.name = ? AND a.location = ?",
                                            {org.id, probe.name, probe.location}));
        if (existing.empty()) {
            changed.push_back(MUHAFIZ_TRY(Insert(*conn, org, *e.patch, actor)));
            ++report.created;
            continue;
        }
        Asset after = existing.front();
        MUHAFIZ_CHECK(ApplyPatch(after, *e.patch));
        if (MUHAFIZ_TRY(Write(*conn, existing.front(), after, actor))) {
            changed.push_back(std::move(after));
            ++report.updated;
        } else {
            ++report.unchanged;
        }
    }
    if (!report.problems.empty() && !skip_bad) {
        report.created = report.updated = report.unchanged = 0;
        report.skipped = report.entries;
        return report;  // the transaction rolls back
    }
    MUHAFIZ_CHECK(tx.Commit());
    report.committed = true;
    for (const Asset& a : changed) Notify(a, false);
    return report;
}

Result<std::vector<Asset>> AssetStore::All() {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return LoadAll(*conn, "1=1 ORDER BY a.id", {});
}

Result<std::vector<Asset>> AssetStore::WithKeys(const std::vector<std::string>& keys) {
    if (keys.empty()) return std::vector<Asset>{};
    std::string in;
    db::Params params;
    for (const std::string& k : keys) {
        in += in.empty() ? "?" : ",?";
        params.emplace_back(k);
    }
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return LoadAll(*conn, "a.id IN (SELECT asset_id FROM asset_keys WHERE product_key IN (" + in + ")) ORDER BY a.id",
                   params);
}

}  // namespace muhafiz::vulns
