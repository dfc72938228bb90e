#include "constituency/organisation_service.hpp"

#include <algorithm>
#include <map>

#include "core/ids.hpp"
#include "core/net.hpp"
#include "core/time.hpp"
#include "db/query.hpp"

namespace muhafiz::constituency {
namespace json = core::json;
using core::ErrorCode;
using core::Fail;
using core::Invalid;
using core::Result;
using core::Status;

namespace {

constexpr std::string_view kSelect =
    "SELECT o.id, o.uuid, o.name, o.kind, o.parent_id, COALESCE(p.uuid, ''), o.path, o.depth, o.sector, "
    "o.country, o.cii, o.contacts, o.version, o.created_at, o.updated_at, "
    "(SELECT COUNT(*) FROM organisations c WHERE c.parent_id = o.id) "
    "FROM organisations o LEFT JOIN organisations p ON p.id = o.parent_id";

Organisation FromRow(const db::Row& r) {
    Organisation o;
    o.id = r.Int(0);
    o.uuid = r.Str(1);
    o.name = r.Str(2);
    o.kind = ParseKind(r.Str(3)).value_or(Kind::kConstituent);
    o.parent_id = r.Int(4);
    o.parent_uuid = r.Str(5);
    o.path = r.Str(6);
    o.depth = static_cast<int>(r.Int(7));
    o.sector = r.Str(8);
    o.country = r.Str(9);
    o.cii = r.Bool(10);
    boost::system::error_code ec;
    json::value c = json::parse(r.Str(11), ec);
    if (!ec && c.is_object()) {
        const auto& co = c.as_object();
        auto str = [&](std::string_view k) {
            const json::value* v = core::Find(co, k);
            return v && v->is_string() ? std::string(v->as_string()) : std::string();
        };
        o.contacts = {str("security_email"), str("abuse_email"), str("phone"), str("pgp_key")};
    }
    o.version = r.Int(12);
    o.created_at = r.Int(13);
    o.updated_at = r.Int(14);
    o.children_count = r.Int(15);
    return o;
}

std::string ContactsJson(const Contacts& c) {
    return core::ToJson(json::object{{"security_email", c.security_email},
                                     {"abuse_email", c.abuse_email},
                                     {"phone", c.phone},
                                     {"pgp_key", c.pgp_key}});
}

// Which kinds may sit under which parent.
Status CheckPlacement(Kind kind, const Organisation& parent) {
    if (kind == Kind::kNationalCert)
        return Fail(ErrorCode::kConflict, "there is only one National CERT: the root of the tree", "kind");
    if ((kind == Kind::kCertCouncil || kind == Kind::kPartnerCert) && parent.kind != Kind::kNationalCert)
        return Fail(ErrorCode::kConflict,
                    std::string(KindName(kind)) + " organisations belong directly under the National CERT",
                    "parent_id");
    if (parent.kind == Kind::kCertCouncil || parent.kind == Kind::kPartnerCert)
        return Fail(ErrorCode::kConflict,
                    std::string("a ") + std::string(KindName(parent.kind)) + " cannot have organisations below it",
                    "parent_id");
    return {};
}

std::string EncodeCursor(const std::string& sort, const std::string& key, std::int64_t id) {
    return core::Base64UrlEncode(core::ToJson(json::array{json::value(sort), json::value(key), json::value(id)}));
}

// The sort column and its text form for a cursor.
struct SortSpec {
    std::string column;
    bool descending = false;
    bool numeric = false;
};

Result<SortSpec> ParseSort(const std::string& sort) {
    const bool desc = !sort.empty() && sort[0] == '-';
    const std::string name = desc ? sort.substr(1) : sort;
    if (name == "name") return SortSpec{"o.name", desc, false};
    if (name == "created_at") return SortSpec{"o.created_at", desc, true};
    if (name == "kind") return SortSpec{"o.kind", desc, false};
    return Invalid("sort", "sort must be one of name, created_at, kind (prefix '-' for descending)");
}

}  // namespace

Result<Organisation> OrganisationService::Load(db::Connection& conn, std::string_view where,
                                               const db::Params& params, bool with_path_names) {
    auto rows = conn.Query(std::string(kSelect) + " WHERE " + std::string(where), params);
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return core::NotFound("no such organisation");
    std::vector<Organisation> orgs{FromRow((*rows)[0])};
    MUHAFIZ_CHECK(LoadNetworks(conn, orgs));
    Organisation org = std::move(orgs[0]);
    if (with_path_names) {
        std::vector<std::int64_t> ids;
        for (std::size_t pos = 1; pos < org.path.size();) {
            const std::size_t slash = org.path.find('/', pos);
            if (slash == std::string::npos) break;
            ids.push_back(std::stoll(org.path.substr(pos, slash - pos)));
            pos = slash + 1;
        }
        std::map<std::int64_t, std::string> names;
        for (std::int64_t id : ids) {
            auto r = conn.Query("SELECT name FROM organisations WHERE id = ?", {id});
            if (r && !r->empty()) names[id] = (*r)[0].Str(0);
        }
        for (std::int64_t id : ids) org.path_names.push_back(names[id]);
    }
    return org;
}

Status OrganisationService::LoadNetworks(db::Connection& conn, std::vector<Organisation>& orgs) {
    if (orgs.empty()) return {};
    std::map<std::int64_t, Organisation*> by_id;
    std::string in = "(";
    db::Params params;
    for (auto& o : orgs) {
        by_id[o.id] = &o;
        in += params.empty() ? "?" : ",?";
        params.emplace_back(o.id);
    }
    in += ")";
    auto prefixes = conn.Query("SELECT organisation_id, prefix FROM organisation_prefixes WHERE organisation_id IN " +
                                   in + " ORDER BY prefix", params);
    if (!prefixes) return tl::unexpected(prefixes.error());
    for (const auto& r : *prefixes) by_id[r.Int(0)]->networks.prefixes.push_back(r.Str(1));
    auto asns = conn.Query("SELECT organisation_id, asn FROM organisation_asns WHERE organisation_id IN " + in +
                               " ORDER BY asn", params);
    if (!asns) return tl::unexpected(asns.error());
    for (const auto& r : *asns) by_id[r.Int(0)]->networks.asns.push_back(r.Int(1));
    auto domains = conn.Query("SELECT organisation_id, domain FROM organisation_domains WHERE organisation_id IN " +
                                  in + " ORDER BY domain", params);
    if (!domains) return tl::unexpected(domains.error());
    for (const auto& r : *domains) by_id[r.Int(0)]->networks.domains.push_back(r.Str(1));
    return {};
}

Status OrganisationService::WriteNetworks(db::Connection& conn, const Organisation& org) {
    // A prefix, ASN or domain belongs to one organisation: say which one holds it already.
    for (std::size_t i = 0; i < org.networks.prefixes.size(); ++i) {
        auto r = conn.Query(
            "SELECT o.name FROM organisation_prefixes x JOIN organisations o ON o.id = x.organisation_id "
            "WHERE x.prefix = ? AND x.organisation_id <> ?",
            {org.networks.prefixes[i], org.id});
        if (!r) return tl::unexpected(r.error());
        if (!r->empty())
            return Fail(ErrorCode::kConflict,
                        org.networks.prefixes[i] + " is already registered to " + (*r)[0].Str(0),
                        "networks.prefixes[" + std::to_string(i) + "]");
    }
    for (std::size_t i = 0; i < org.networks.asns.size(); ++i) {
        auto r = conn.Query(
            "SELECT o.name FROM organisation_asns x JOIN organisations o ON o.id = x.organisation_id "
            "WHERE x.asn = ? AND x.organisation_id <> ?",
            {org.networks.asns[i], org.id});
        if (!r) return tl::unexpected(r.error());
        if (!r->empty())
            return Fail(ErrorCode::kConflict,
                        "AS" + std::to_string(org.networks.asns[i]) + " is already registered to " + (*r)[0].Str(0),
                        "networks.asns[" + std::to_string(i) + "]");
    }
    for (std::size_t i = 0; i < org.networks.domains.size(); ++i) {
        auto r = conn.Query(
            "SELECT o.name FROM organisation_domains x JOIN organisations o ON o.id = x.organisation_id "
            "WHERE x.domain = ? AND x.organisation_id <> ?",
            {org.networks.domains[i], org.id});
        if (!r) return tl::unexpected(r.error());
        if (!r->empty())
            return Fail(ErrorCode::kConflict,
                        org.networks.domains[i] + " is already registered to " + (*r)[0].Str(0),
                        "networks.domains[" + std::to_string(i) + "]");
    }
    MUHAFIZ_CHECK(conn.Execute("DELETE FROM organisation_prefixes WHERE organisation_id = ?", {org.id}));
    MUHAFIZ_CHECK(conn.Execute("DELETE FROM organisation_asns WHERE organisation_id = ?", {org.id}));
    MUHAFIZ_CHECK(conn.Execute("DELETE FROM organisation_domains WHERE organisation_id = ?", {org.id}));
    for (const auto& p : org.networks.prefixes)
        MUHAFIZ_CHECK(conn.Execute("INSERT INTO organisation_prefixes (organisation_id, prefix) VALUES (?, ?)",
                                   {org.id, p}));
    for (auto a : org.networks.asns)
        MUHAFIZ_CHECK(conn.Execute("INSERT INTO organisation_asns (organisation_id, asn) VALUES (?, ?)", {org.id, a}));
    for (const auto& d : org.networks.domains)
        MUHAFIZ_CHECK(conn.Execute("INSERT INTO organisation_domains (organisation_id, domain) VALUES (?, ?)",
                                   {org.id, d}));
    return {};
}

Result<Organisation> OrganisationService::EnsureRoot(const std::string& name, const std::string& country) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto existing = Load(*conn, "o.parent_id IS NULL AND o.kind = 'national_cert'", {}, false);
    if (existing || existing.error().code != ErrorCode::kNotFound) return existing;
    auto created = db::InTransaction(*conn, [&]() -> Result<Organisation> {
        const core::Micros now = core::NowMicros();
        auto rows = MUHAFIZ_TRY(conn->Query(
            "INSERT INTO organisations (uuid, name, kind, parent_id, path, depth, sector, country, cii, contacts, "
            "version, created_at, updated_at) VALUES (?, ?, 'national_cert', NULL, '', 0, '', ?, 0, '{}', 1, ?, ?) "
            "RETURNING id",
            {core::NewUuidV7(), name, country, now, now}));
        const std::int64_t id = rows[0].Int(0);
        MUHAFIZ_CHECK(conn->Execute("UPDATE organisations SET path = ? WHERE id = ?",
                                    {"/" + std::to_string(id) + "/", id}));
        auto org = MUHAFIZ_TRY(Load(*conn, "o.id = ?", {id}, false));
        MUHAFIZ_CHECK(audit_.Append(*conn, {core::Actor{}, "organisation.create", "organisation", org.uuid, "",
                                            core::ToJson(ToJson(org))}));
        return org;
    });
    if (created) NotifyChanged();
    return created;
}

Result<Organisation> OrganisationService::Root() {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return Load(*conn, "o.parent_id IS NULL AND o.kind = 'national_cert'", {}, false);
}

Result<Organisation> OrganisationService::ResolveReference(db::Connection& conn, const std::string& ref,
                                                           const db::Predicate& scope, std::string_view field) {
    db::Params params{ref};
    params.insert(params.end(), scope.params.begin(), scope.params.end());
    if (core::IsUuid(ref)) {
        auto org = Load(conn, "o.uuid = ? AND (" + scope.sql + ")", params, false);
        if (!org && org.error().code == ErrorCode::kNotFound)
            return Invalid(std::string(field), "no organisation with id " + ref);
        return org;
    }
    auto rows = MUHAFIZ_TRY(conn.Query("SELECT o.id FROM organisations o WHERE o.name = ? AND (" + scope.sql + ")",
                                       params));
    if (rows.empty()) return Invalid(std::string(field), "no organisation named '" + ref + "'");
    if (rows.size() > 1)
        return Invalid(std::string(field), "more than one organisation is named '" + ref + "'; use its id");
    return Load(conn, "o.id = ?", {rows[0].Int(0)}, false);
}

Result<Organisation> OrganisationService::CreateIn(db::Connection& conn, const OrganisationPatch& in,
                                                   const db::Predicate& scope, const core::Actor& actor) {
    if (!in.name) return Invalid("name", "'name' is required");
    if (!in.kind) return Invalid("kind", "'kind' is required");
    if (!in.parent || in.parent->empty())
        return Invalid("parent_id", "'parent_id' is required: every organisation sits under another");
    Organisation parent = MUHAFIZ_TRY(ResolveReference(conn, *in.parent, scope, "parent_id"));
    MUHAFIZ_CHECK(CheckPlacement(*in.kind, parent));
    Organisation org;
    org.uuid = in.uuid.value_or(core::NewUuidV7());
    org.name = *in.name;
    org.kind = *in.kind;
    org.parent_id = parent.id;
    org.parent_uuid = parent.uuid;
    org.depth = parent.depth + 1;
    org.sector = in.sector.value_or(parent.sector);
    org.country = in.country.value_or(parent.country);
    org.cii = in.cii.value_or(false);
    org.contacts = in.contacts.value_or(Contacts{});
    org.networks = in.networks.value_or(Networks{});
    org.created_at = org.updated_at = core::NowMicros();
    auto rows = MUHAFIZ_TRY(conn.Query(
        "INSERT INTO organisations (uuid, name, kind, parent_id, path, depth, sector, country, cii, contacts, "
        "version, created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, 1, ?, ?) RETURNING id",
        {org.uuid, org.name, std::string(KindName(org.kind)), org.parent_id, std::int64_t{org.depth}, org.sector,
         org.country, db::Bool(org.cii), ContactsJson(org.contacts), org.created_at, org.updated_at}));
    org.id = rows[0].Int(0);
    org.path = parent.path + std::to_string(org.id) + "/";
    MUHAFIZ_CHECK(conn.Execute("UPDATE organisations SET path = ? WHERE id = ?", {org.path, org.id}));
    MUHAFIZ_CHECK(WriteNetworks(conn, org));
    MUHAFIZ_CHECK(audit_.Append(conn, {actor, "organisation.create", "organisation", org.uuid, "",
                                       core::ToJson(ToJson(org))}));
    return org;
}

Result<Organisation> OrganisationService::Create(const OrganisationPatch& input, const db::Predicate& scope,
                                                 const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto org = db::InTransaction(*conn, [&]() -> Result<Organisation> {
        auto created = MUHAFIZ_TRY(CreateIn(*conn, input, scope, actor));
        return Load(*conn, "o.id = ?", {created.id}, true);
    });
    if (org) NotifyChanged();
    return org;
}

Result<Organisation> OrganisationService::UpdateIn(db::Connection& conn, Organisation org,
                                                   const OrganisationPatch& patch, const db::Predicate& scope,
                                                   const core::Actor& actor) {
    const std::string before = core::ToJson(ToJson(org));
    const bool is_root = org.kind == Kind::kNationalCert;
    if (patch.kind && *patch.kind != org.kind) {
        if (is_root) return Fail(ErrorCode::kConflict, "the National CERT's kind cannot change", "kind");
        if (*patch.kind == Kind::kNationalCert)
            return Fail(ErrorCode::kConflict, "there is only one National CERT", "kind");
        org.kind = *patch.kind;
    }
    if (patch.name) org.name = *patch.name;
    if (patch.sector) org.sector = *patch.sector;
    if (patch.country) org.country = *patch.country;
    if (patch.cii) org.cii = *patch.cii;
    if (patch.contacts) org.contacts = *patch.contacts;
    if (patch.networks) org.networks = *patch.networks;

    std::string old_path = org.path;
    int depth_delta = 0;
    if (patch.parent && *patch.parent != org.parent_uuid) {
        if (is_root) return Fail(ErrorCode::kConflict, "the National CERT is the root; it has no parent", "parent_id");
        if (patch.parent->empty()) return Invalid("parent_id", "'parent_id' is required");
        Organisation parent = MUHAFIZ_TRY(ResolveReference(conn, *patch.parent, scope, "parent_id"));
        if (parent.path.rfind(org.path, 0) == 0)
            return Fail(ErrorCode::kConflict, "an organisation cannot move under itself or its own descendants",
                        "parent_id");
        org.parent_id = parent.id;
        org.parent_uuid = parent.uuid;
        depth_delta = parent.depth + 1 - org.depth;
        org.depth = parent.depth + 1;
        org.path = parent.path + std::to_string(org.id) + "/";
    }
    if (!is_root && (patch.kind || patch.parent)) {
        auto parent = MUHAFIZ_TRY(Load(conn, "o.id = ?", {org.parent_id}, false));
        MUHAFIZ_CHECK(CheckPlacement(org.kind, parent));
    }
    if ((org.kind == Kind::kCertCouncil || org.kind == Kind::kPartnerCert) && org.children_count > 0)
        return Fail(ErrorCode::kConflict, std::string("a ") + std::string(KindName(org.kind)) +
                                              " cannot have organisations below it", "kind");
    if (core::ToJson(ToJson(org)) == before) return org;  // nothing to change
    org.updated_at = core::NowMicros();
    const auto changed = MUHAFIZ_TRY(conn.Execute(
        "UPDATE organisations SET name = ?, kind = ?, parent_id = ?, sector = ?, country = ?, cii = ?, contacts = ?, "
        "version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
        {org.name, std::string(KindName(org.kind)), org.parent_id ? db::Value(org.parent_id) : db::Null(), org.sector,
         org.country, db::Bool(org.cii), ContactsJson(org.contacts), org.updated_at, org.id, org.version}));
    if (changed == 0)
        return Fail(ErrorCode::kPreconditionFailed, "the organisation was changed by someone else; reload it");
    ++org.version;
    if (org.path != old_path) {
        // Re-scope the whole subtree: every path that starts with the old one.
        std::string upper = old_path;
        upper.back() = '0';
        MUHAFIZ_CHECK(conn.Execute(
            "UPDATE organisations SET path = ? || substr(path, ?), depth = depth + ? WHERE path >= ? AND path < ?",
            {org.path, static_cast<std::int64_t>(old_path.size() + 1), std::int64_t{depth_delta}, old_path, upper}));
    }
    if (patch.networks) MUHAFIZ_CHECK(WriteNetworks(conn, org));
    MUHAFIZ_CHECK(audit_.Append(conn, {actor, "organisation.update", "organisation", org.uuid, before,
                                       core::ToJson(ToJson(org))}));
    return org;
}

Result<Organisation> OrganisationService::Update(const std::string& uuid, const OrganisationPatch& patch,
                                                 std::optional<std::int64_t> expected_version,
                                                 const db::Predicate& scope, const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto org = db::InTransaction(*conn, [&]() -> Result<Organisation> {
        db::Params params{uuid};
        params.insert(params.end(), scope.params.begin(), scope.params.end());
        Organisation before = MUHAFIZ_TRY(Load(*conn, "o.uuid = ? AND (" + scope.sql + ")", params, false));
        if (expected_version && *expected_version != before.version)
            return Fail(ErrorCode::kPreconditionFailed,
                        "If-Match does not match: the organisation is at version " + std::to_string(before.version));
        auto after = MUHAFIZ_TRY(UpdateIn(*conn, std::move(before), patch, scope, actor));
        return Load(*conn, "o.id = ?", {after.id}, true);
    });
    if (org) NotifyChanged();
    return org;
}

Result<Organisation> OrganisationService::Upsert(db::Connection& conn, const OrganisationPatch& input,
                                                 const core::Actor& actor, Outcome* outcome) {
    const db::Predicate all;
    auto result = [&](Result<Organisation> r, std::int64_t old_version) {
        if (r && outcome)
            *outcome = old_version == 0 ? Outcome::kCreated
                       : r->version == old_version ? Outcome::kUnchanged : Outcome::kUpdated;
        return r;
    };
    if (input.uuid) {
        auto existing = Load(conn, "o.uuid = ?", {*input.uuid}, false);
        if (existing) {
            const auto v = existing->version;
            return result(UpdateIn(conn, std::move(*existing), input, all, actor), v);
        }
        if (existing.error().code != ErrorCode::kNotFound) return existing;
    }
    if (input.kind == Kind::kNationalCert) {
        // The root of an export is this tree's root.
        auto root = MUHAFIZ_TRY(Load(conn, "o.parent_id IS NULL AND o.kind = 'national_cert'", {}, false));
        OrganisationPatch patch = input;
        patch.parent.reset();
        const auto v = root.version;
        return result(UpdateIn(conn, std::move(root), patch, all, actor), v);
    }
    if (!input.uuid && input.name && input.parent && !input.parent->empty()) {
        // Without an id, the same name under the same parent is the same organisation.
        auto parent = MUHAFIZ_TRY(ResolveReference(conn, *input.parent, all, "parent_id"));
        auto existing = Load(conn, "o.parent_id = ? AND o.name = ?", {parent.id, *input.name}, false);
        if (existing) {
            const auto v = existing->version;
            return result(UpdateIn(conn, std::move(*existing), input, all, actor), v);
        }
        if (existing.error().code != ErrorCode::kNotFound) return existing;
    }
    return result(CreateIn(conn, input, all, actor), 0);
}

Result<Organisation> OrganisationService::Get(const std::string& uuid, const db::Predicate& scope) {
    if (!core::IsUuid(uuid)) return core::NotFound("no such organisation");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Params params{uuid};
    params.insert(params.end(), scope.params.begin(), scope.params.end());
    return Load(*conn, "o.uuid = ? AND (" + scope.sql + ")", params, true);
}

Result<Organisation> OrganisationService::GetById(std::int64_t id) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return Load(*conn, "o.id = ?", {id}, false);
}

Result<Page<Organisation>> OrganisationService::List(const ListFilter& f, const db::Predicate& scope) {
    MUHAFIZ_CHECK(db::CheckLimit(f.limit));
    const SortSpec sort = MUHAFIZ_TRY(ParseSort(f.sort));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string where = "(" + scope.sql + ")";
    db::Params params = scope.params;
    if (f.kind) {
        where += " AND o.kind = ?";
        params.emplace_back(std::string(KindName(*f.kind)));
    }
    if (f.sector) {
        where += " AND o.sector = ?";
        params.emplace_back(*f.sector);
    }
    if (f.country) {
        where += " AND o.country = ?";
        params.emplace_back(*f.country);
    }
    if (f.parent) {
        where += " AND p.uuid = ?";
        params.emplace_back(*f.parent);
    }
    if (f.subtree_of) {
        auto top = Load(*conn, "o.uuid = ?", {*f.subtree_of}, false);
        if (!top && top.error().code != ErrorCode::kNotFound) return tl::unexpected(top.error());
        std::string path = top ? top->path : "/none/";
        std::string upper = path;
        upper.back() = '0';
        where += " AND o.path >= ? AND o.path < ?";
        params.emplace_back(path);
        params.emplace_back(upper);
    }
    if (f.q && !f.q->empty()) {
        where += " AND lower(o.name) LIKE ? ESCAPE '\\'";
        params.emplace_back(db::ContainsPattern(db::Lower(*f.q)));
    }
    auto total_rows = MUHAFIZ_TRY(conn->Query(
        "SELECT COUNT(*) FROM organisations o LEFT JOIN organisations p ON p.id = o.parent_id WHERE " + where,
        params));
    Page<Organisation> page;
    page.total = total_rows[0].Int(0);

    if (!f.cursor.empty()) {
        std::string raw;
        boost::system::error_code ec;
        json::value c;
        if (core::Base64UrlDecode(f.cursor, raw)) c = json::parse(raw, ec);
        if (ec || !c.is_array() || c.as_array().size() != 3 || !c.as_array()[0].is_string() ||
            !c.as_array()[1].is_string() || !c.as_array()[2].is_int64() || c.as_array()[0].as_string() != f.sort)
            return Invalid("cursor", "the cursor is not valid for this query");
        const auto& a = c.as_array();
        const char* op = sort.descending ? "<" : ">";
        db::Value key = sort.numeric ? db::Value(std::stoll(std::string(a[1].as_string())))
                                     : db::Value(std::string(a[1].as_string()));
        where += std::string(" AND (") + sort.column + " " + op + " ? OR (" + sort.column + " = ? AND o.id " + op +
                 " ?))";
        params.push_back(key);
        params.push_back(key);
        params.emplace_back(a[2].as_int64());
    }
    const char* dir = sort.descending ? " DESC" : " ASC";
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kSelect) + " WHERE " + where + " ORDER BY " + sort.column + dir +
                                            ", o.id" + dir + " LIMIT " + std::to_string(f.limit + 1),
                                        params));
    for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < f.limit; ++i)
        page.items.push_back(FromRow(rows[i]));
    MUHAFIZ_CHECK(LoadNetworks(*conn, page.items));
    if (static_cast<int>(rows.size()) > f.limit) {
        const Organisation& last = page.items.back();
        std::string key = sort.column == "o.name"   ? last.name
                          : sort.column == "o.kind" ? std::string(KindName(last.kind))
                                                    : std::to_string(last.created_at);
        page.next = EncodeCursor(f.sort, key, last.id);
    }
    return page;
}

Result<std::vector<Organisation>> OrganisationService::Tree(const db::Predicate& scope) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kSelect) + " WHERE (" + scope.sql + ") ORDER BY o.path", scope.params));
    std::vector<Organisation> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(FromRow(r));
    return out;
}

Status OrganisationService::Delete(const std::string& uuid, const db::Predicate& scope, const core::Actor& actor) {
    if (!core::IsUuid(uuid)) return core::NotFound("no such organisation");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto done = db::InTransaction(*conn, [&]() -> Status {
        db::Params params{uuid};
        params.insert(params.end(), scope.params.begin(), scope.params.end());
        Organisation org = MUHAFIZ_TRY(Load(*conn, "o.uuid = ? AND (" + scope.sql + ")", params, false));
        if (org.kind == Kind::kNationalCert) return Fail(ErrorCode::kConflict, "the National CERT cannot be deleted");
        if (org.children_count > 0)
            return Fail(ErrorCode::kConflict, "'" + org.name + "' still has " + std::to_string(org.children_count) +
                                                  " organisation(s) below it; move or delete them first");
        auto removed = conn->Execute("DELETE FROM organisations WHERE id = ?", {org.id});
        if (!removed) {
            if (removed.error().code == ErrorCode::kConflict)
                return Fail(ErrorCode::kConflict, "'" + org.name + "' still has users or records; remove them first");
            return tl::unexpected(removed.error());
        }
        return audit_.Append(*conn, {actor, "organisation.delete", "organisation", org.uuid,
                                     core::ToJson(ToJson(org)), ""});
    });
    if (done) NotifyChanged();
    return done;
}

Result<std::string> OrganisationService::ChangeFingerprint() {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto r = MUHAFIZ_TRY(conn->Query(
        "SELECT (SELECT COUNT(*) FROM organisations), (SELECT COALESCE(MAX(updated_at), 0) FROM organisations), "
        "(SELECT COUNT(*) FROM organisation_prefixes), (SELECT COUNT(*) FROM organisation_asns), "
        "(SELECT COUNT(*) FROM organisation_domains)"));
    return r[0].Str(0) + ":" + r[0].Str(1) + ":" + r[0].Str(2) + ":" + r[0].Str(3) + ":" + r[0].Str(4);
}

Result<OwnerEntries> OrganisationService::LoadOwnerEntries() {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    OwnerEntries e;
    auto prefixes = MUHAFIZ_TRY(conn->Query("SELECT prefix, organisation_id FROM organisation_prefixes"));
    e.prefixes.reserve(prefixes.size());
    for (const auto& r : prefixes)
        if (auto p = core::ParsePrefix(r.Str(0))) e.prefixes.emplace_back(*p, r.Int(1));
    auto asns = MUHAFIZ_TRY(conn->Query("SELECT asn, organisation_id FROM organisation_asns"));
    for (const auto& r : asns) e.asns.emplace_back(static_cast<std::uint32_t>(r.Int(0)), r.Int(1));
    auto domains = MUHAFIZ_TRY(conn->Query("SELECT domain, organisation_id FROM organisation_domains"));
    for (const auto& r : domains) e.domains.emplace_back(r.Str(0), r.Int(1));
    return e;
}

}  // namespace muhafiz::constituency
