#include "access/users.hpp"

#include "access/internal.hpp"
#include "access/password.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"

namespace muhafiz::access {
namespace {

constexpr std::string_view kSelect =
    "SELECT u.id, u.uuid, u.username, u.organisation_id, o.uuid, o.name, o.path, o.kind, u.role, "
    "u.mfa_enabled, u.disabled, u.created_at, u.updated_at, u.last_login_at, u.version, "
    "u.password_hash, u.totp_secret FROM users u JOIN organisations o ON o.id = u.organisation_id";

using internal::Lower;

core::Result<std::string> NormaliseUsername(std::string_view text) {
    std::string name = Lower(text);
    bool ok = name.size() >= 2 && name.size() <= 64;
    for (char c : name)
        ok = ok &&
             ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
    if (!ok)
        return core::Invalid("username",
                             "username must be 2 to 64 characters of a-z, 0-9, '.', '_' and '-'");
    return name;
}

core::Result<User> ToUser(const db::Row& row) {
    User u;
    u.id = row.Int(0);
    u.uuid = row.Str(1);
    u.username = row.Str(2);
    u.organisation_id = row.Int(3);
    u.organisation_uuid = row.Str(4);
    u.organisation_name = row.Str(5);
    u.organisation_path = row.Str(6);
    u.organisation_kind = row.Str(7);
    auto role = ParseRole(row.Str(8));
    if (!role)
        return core::Fail(core::ErrorCode::kInternal, "user " + u.uuid + " has an unknown role");
    u.role = *role;
    u.mfa_enabled = row.Bool(9);
    u.disabled = row.Bool(10);
    u.created_at = row.Int(11);
    u.updated_at = row.Int(12);
    u.last_login_at = row.OptInt(13);
    u.version = row.Int(14);
    u.password_hash = row.Str(15);
    u.totp_secret = row.Str(16);
    return u;
}

core::Error NoSuchUser() { return {core::ErrorCode::kNotFound, "no such user", {}}; }

}  // namespace

std::string UserAuditJson(const User& u) {
    return core::ToJson(core::json::object{
        {"id", u.uuid},
        {"username", u.username},
        {"organisation_id", u.organisation_uuid},
        {"role", RoleName(u.role)},
        {"mfa_enabled", u.mfa_enabled},
        {"disabled", u.disabled},
    });
}

// --- UserStore ---------------------------------------------------------------------------------

core::Result<OrganisationRef> UserStore::FindOrganisation(db::Connection& conn,
                                                          std::string_view uuid) const {
    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT id, uuid, name, path, kind FROM organisations WHERE uuid = ?", {Lower(uuid)}));
    if (rows.empty()) return core::Invalid("organisation_id", "no such organisation");
    return OrganisationRef{rows[0].Int(0), rows[0].Str(1), rows[0].Str(2), rows[0].Str(3),
                           rows[0].Str(4)};
}

core::Result<User> UserStore::Create(db::Connection& conn, const NewUser& in) const {
    const std::string username = MUHAFIZ_TRY(NormaliseUsername(in.username));
    MUHAFIZ_CHECK(CheckPasswordPolicy(in.password, username));
    const OrganisationRef org = MUHAFIZ_TRY(FindOrganisation(conn, in.organisation_uuid));
    const std::string hash = MUHAFIZ_TRY(HashPassword(in.password));
    const core::Micros now = clock_();
    auto rows = conn.Query(
        "INSERT INTO users (uuid, username, password_hash, organisation_id, role, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        {core::NewUuidV7(), username, hash, org.id, std::string(RoleName(in.role)), now, now});
    if (!rows && rows.error().code == core::ErrorCode::kConflict)
        return core::Fail(core::ErrorCode::kConflict, "username " + username + " is taken",
                          "username");
    if (!rows) return tl::unexpected(rows.error());
    return GetById(conn, (*rows)[0].Int(0));
}

core::Result<User> UserStore::GetWhere(db::Connection& conn, std::string_view where,
                                       db::Value key) const {
    auto rows = MUHAFIZ_TRY(
        conn.Query(std::string(kSelect) + " WHERE " + std::string(where), {std::move(key)}));
    if (rows.empty()) return tl::unexpected(NoSuchUser());
    return ToUser(rows[0]);
}

core::Result<User> UserStore::GetById(db::Connection& conn, std::int64_t id) const {
    return GetWhere(conn, "u.id = ?", id);
}

core::Result<User> UserStore::GetByUuid(db::Connection& conn, std::string_view uuid) const {
    if (!core::IsUuid(uuid)) return tl::unexpected(NoSuchUser());
    return GetWhere(conn, "u.uuid = ?", Lower(uuid));
}

core::Result<User> UserStore::GetByUsername(db::Connection& conn, std::string_view username) const {
    return GetWhere(conn, "u.username = ?", Lower(username));
}

core::Result<UserPage> UserStore::List(db::Connection& conn, const UserFilter& filter,
                                       const db::Predicate& visible) const {
    MUHAFIZ_CHECK(internal::CheckLimit(filter.limit));
    internal::Where where;
    where.And(visible);
    if (filter.organisation_uuid) where.And("o.uuid = ?", {Lower(*filter.organisation_uuid)});
    if (filter.role) where.And("u.role = ?", {std::string(RoleName(*filter.role))});
    if (!filter.q.empty())
        where.And("u.username LIKE ? ESCAPE '\\'", {internal::ContainsPattern(Lower(filter.q))});
    UserPage page;
    auto count = MUHAFIZ_TRY(conn.Query(
        "SELECT COUNT(*) FROM users u JOIN organisations o ON o.id = u.organisation_id" + where.sql,
        where.params));
    page.total = count[0].Int(0);
    if (!filter.cursor.empty())
        where.And("u.username > ?", {MUHAFIZ_TRY(internal::DecodeCursor(filter.cursor))});
    where.params.emplace_back(std::int64_t{filter.limit} + 1);
    auto rows = MUHAFIZ_TRY(conn.Query(
        std::string(kSelect) + where.sql + " ORDER BY u.username LIMIT ?", where.params));
    for (const auto& row : rows) page.items.push_back(MUHAFIZ_TRY(ToUser(row)));
    if (static_cast<int>(page.items.size()) > filter.limit) {
        page.items.pop_back();
        page.next = internal::EncodeCursor(page.items.back().username);
    }
    return page;
}

core::Result<User> UserStore::Update(db::Connection& conn, std::int64_t id,
                                     const UserUpdate& in) const {
    const User before = MUHAFIZ_TRY(GetById(conn, id));
    if (in.if_version && *in.if_version != before.version)
        return core::Fail(core::ErrorCode::kPreconditionFailed, "the user was changed meanwhile");
    std::string sets;
    db::Params params;
    auto set = [&](std::string_view column, db::Value value) {
        sets += std::string(column) + " = ?, ";
        params.push_back(std::move(value));
    };
    if (in.role && *in.role != before.role) set("role", std::string(RoleName(*in.role)));
    if (in.disabled && *in.disabled != before.disabled) set("disabled", db::Bool(*in.disabled));
    if (in.password) {
        MUHAFIZ_CHECK(CheckPasswordPolicy(*in.password, before.username));
        set("password_hash", MUHAFIZ_TRY(HashPassword(*in.password)));
    }
    if (in.organisation_uuid) {
        const OrganisationRef org = MUHAFIZ_TRY(FindOrganisation(conn, *in.organisation_uuid));
        if (org.id != before.organisation_id) set("organisation_id", org.id);
    }
    if (sets.empty()) return before;
    set("updated_at", clock_());
    params.push_back(id);
    params.push_back(before.version);
    const std::int64_t changed = MUHAFIZ_TRY(conn.Execute(
        "UPDATE users SET " + sets + "version = version + 1 WHERE id = ? AND version = ?", params));
    if (changed == 0)
        return core::Fail(core::ErrorCode::kPreconditionFailed, "the user was changed meanwhile");
    if (in.password || (in.disabled && *in.disabled))
        MUHAFIZ_CHECK(conn.Execute("DELETE FROM sessions WHERE user_id = ?", {id}));
    return GetById(conn, id);
}

core::Status UserStore::Delete(db::Connection& conn, std::int64_t id) const {
    const std::int64_t n = MUHAFIZ_TRY(conn.Execute("DELETE FROM users WHERE id = ?", {id}));
    if (n == 0) return tl::unexpected(NoSuchUser());
    return core::Ok();
}

core::Status UserStore::RecordLogin(db::Connection& conn, std::int64_t id) const {
    MUHAFIZ_CHECK(conn.Execute("UPDATE users SET last_login_at = ? WHERE id = ?", {clock_(), id}));
    return core::Ok();
}

// --- UserService -------------------------------------------------------------------------------

namespace {

core::Status CheckManager(const Principal& actor) {
    if (!CanManageUsers(actor))
        return core::Fail(core::ErrorCode::kPermissionDenied, "only administrators manage users");
    return core::Ok();
}

AuditEntry Entry(const Principal& actor, std::string_view address, std::string action,
                 const User& subject) {
    AuditEntry e;
    e.actor_id = actor.user_id;
    e.actor = actor.username;
    e.organisation_id = subject.organisation_id;
    e.address = std::string(address);
    e.action = std::move(action);
    e.object_type = "user";
    e.object_id = subject.uuid;
    return e;
}

}  // namespace

core::Result<User> UserService::GetVisible(db::Connection& conn, const Principal& actor,
                                           std::string_view uuid) const {
    User u = MUHAFIZ_TRY(store_.GetByUuid(conn, uuid));
    if (!policy_.CanSeeOrganisationPath(actor, u.organisation_path))
        return tl::unexpected(NoSuchUser());
    return u;
}

core::Status UserService::CheckOrganisation(db::Connection& conn, const Principal& actor,
                                            std::string_view uuid) const {
    const OrganisationRef org = MUHAFIZ_TRY(store_.FindOrganisation(conn, uuid));
    if (!policy_.CanSeeOrganisationPath(actor, org.path))
        return core::Invalid("organisation_id", "no such organisation");  // as if missing
    return core::Ok();
}

core::Result<User> UserService::Create(const Principal& actor, const NewUser& in,
                                       std::string_view address) {
    MUHAFIZ_CHECK(CheckManager(actor));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> core::Result<User> {
        MUHAFIZ_CHECK(CheckOrganisation(*conn, actor, in.organisation_uuid));
        User user = MUHAFIZ_TRY(store_.Create(*conn, in));
        AuditEntry e = Entry(actor, address, "user.create", user);
        e.after_json = UserAuditJson(user);
        MUHAFIZ_CHECK(audit_.Append(*conn, e));
        return user;
    });
}

core::Result<User> UserService::Get(const Principal& actor, std::string_view uuid) {
    MUHAFIZ_CHECK(CheckManager(actor));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return GetVisible(*conn, actor, uuid);
}

core::Result<UserPage> UserService::List(const Principal& actor, const UserFilter& filter) {
    MUHAFIZ_CHECK(CheckManager(actor));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return store_.List(*conn, filter, policy_.OrganisationScope(actor, "o.path"));
}

core::Result<User> UserService::Update(const Principal& actor, std::string_view uuid,
                                       const UserUpdate& in, std::string_view address) {
    MUHAFIZ_CHECK(CheckManager(actor));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> core::Result<User> {
        const User before = MUHAFIZ_TRY(GetVisible(*conn, actor, uuid));
        if (before.id == actor.user_id &&
            ((in.role && *in.role != Role::kAdmin) || (in.disabled && *in.disabled)))
            return core::Fail(core::ErrorCode::kConflict,
                              "administrators cannot demote or disable their own account");
        if (in.organisation_uuid)
            MUHAFIZ_CHECK(CheckOrganisation(*conn, actor, *in.organisation_uuid));
        User after = MUHAFIZ_TRY(store_.Update(*conn, before.id, in));
        if (after.version == before.version) return after;  // nothing changed
        AuditEntry e = Entry(actor, address, "user.update", after);
        e.before_json = UserAuditJson(before);
        e.after_json = UserAuditJson(after);
        if (in.password) e.action = "user.update_password";
        MUHAFIZ_CHECK(audit_.Append(*conn, e));
        return after;
    });
}

core::Status UserService::ResetPassword(std::string_view username, const std::string& password,
                                        bool reset_mfa) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> core::Status {
        const User before = MUHAFIZ_TRY(store_.GetByUsername(*conn, username));
        UserUpdate in;
        in.password = password;
        in.disabled = false;
        MUHAFIZ_TRY(store_.Update(*conn, before.id, in));
        if (reset_mfa)
            MUHAFIZ_CHECK(conn->Execute(
                "UPDATE users SET mfa_enabled = 0, totp_secret = '', totp_last_step = 0 WHERE id = ?",
                {before.id}));
        const User after = MUHAFIZ_TRY(store_.GetById(*conn, before.id));
        AuditEntry e;
        e.actor = "cli";
        e.address = "cli";
        e.action = reset_mfa ? "user.reset_password_and_mfa" : "user.reset_password";
        e.object_type = "user";
        e.object_id = after.uuid;
        e.organisation_id = after.organisation_id;
        e.before_json = UserAuditJson(before);
        e.after_json = UserAuditJson(after);
        MUHAFIZ_CHECK(audit_.Append(*conn, e));
        return {};
    });
}

core::Status UserService::Delete(const Principal& actor, std::string_view uuid,
                                 std::string_view address) {
    MUHAFIZ_CHECK(CheckManager(actor));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> core::Status {
        const User before = MUHAFIZ_TRY(GetVisible(*conn, actor, uuid));
        if (before.id == actor.user_id)
            return core::Fail(core::ErrorCode::kConflict,
                              "administrators cannot delete their own account");
        MUHAFIZ_CHECK(store_.Delete(*conn, before.id));
        AuditEntry e = Entry(actor, address, "user.delete", before);
        e.before_json = UserAuditJson(before);
        MUHAFIZ_CHECK(audit_.Append(*conn, e));
        return core::Ok();
    });
}

}  // namespace muhafiz::access
