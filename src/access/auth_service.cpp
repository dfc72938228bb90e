#include "access/auth_service.hpp"

#include <algorithm>
#include <array>

#include "access/internal.hpp"
#include "access/password.hpp"
#include "access/totp.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"

namespace muhafiz::access {
namespace {

using core::ErrorCode;

constexpr std::array<std::string_view, 3> kAllScopes = {kScopeRead, kScopeWrite, kScopeAdmin};
constexpr std::size_t kMaxTokenName = 100;

core::Error BadCredentials() {
    return {ErrorCode::kUnauthenticated, "invalid username or password", {}};
}

core::Error NotSignedIn(std::string message) {
    return {ErrorCode::kUnauthenticated, std::move(message), {}};
}

// Verifying an unknown user's password against this keeps the timing of the two cases alike.
const std::string& DummyHash() {
    static const std::string kHash = HashPassword("muhafiz dummy password").value_or("");
    return kHash;
}

std::string JoinScopes(const std::set<std::string, std::less<>>& scopes) {
    std::string out;
    for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
    return out;
}

std::set<std::string, std::less<>> SplitScopes(std::string_view text) {
    std::set<std::string, std::less<>> out;
    while (!text.empty()) {
        const std::size_t space = text.find(' ');
        if (space != 0) out.emplace(text.substr(0, space));
        if (space == std::string_view::npos) break;
        text.remove_prefix(space + 1);
    }
    return out;
}

AuditEntry SelfEntry(const Principal& p, std::string_view address, std::string action,
                     std::string object_type, std::string object_id) {
    AuditEntry e;
    e.actor_id = p.user_id;
    e.actor = p.username;
    e.organisation_id = p.organisation_id;
    e.address = std::string(address);
    e.action = std::move(action);
    e.object_type = std::move(object_type);
    e.object_id = std::move(object_id);
    return e;
}

ApiToken ToToken(const db::Row& row) {
    return ApiToken{row.Str(0),    row.Str(1),   SplitScopes(row.Str(2)), row.Int(3), row.Int(4),
                    row.OptInt(5), row.OptInt(6)};
}

}  // namespace

AuthService::AuthService(db::Database& db, const AuditLog& audit, AuthOptions options, Clock clock)
    : db_(db),
      audit_(audit),
      options_(options),
      clock_(clock),
      users_(clock),
      throttle_(options.throttle, clock) {
    static_cast<void>(DummyHash());  // computed now, so the first unknown user is not slower
}

Principal AuthService::MakePrincipal(const User& u) const {
    Principal p;
    p.user_id = u.id;
    p.user_uuid = u.uuid;
    p.username = u.username;
    p.organisation_id = u.organisation_id;
    p.organisation_uuid = u.organisation_uuid;
    p.organisation_path = u.organisation_path;
    p.organisation_kind = u.organisation_kind;
    p.role = u.role;
    p.is_national = u.organisation_kind == "national_cert";
    p.mfa_enrolment_required =
        options_.require_admin_mfa && u.role == Role::kAdmin && !u.mfa_enabled;
    if (!p.mfa_enrolment_required)
        for (auto s : kAllScopes) p.scopes.emplace(s);
    return p;
}

// --- Passwords and sessions --------------------------------------------------------------------

core::Result<Principal> AuthService::VerifyLogin(std::string_view username,
                                                 std::string_view password,
                                                 std::optional<std::string_view> totp,
                                                 std::string_view address) {
    const std::string name = internal::Lower(username);
    MUHAFIZ_CHECK(throttle_.Check(name, address));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto user = users_.GetByUsername(*conn, name);
    if (!user && user.error().code != ErrorCode::kNotFound) return tl::unexpected(user.error());
    bool password_ok = false;
    if (user)
        password_ok = VerifyPassword(user->password_hash, password);
    else
        static_cast<void>(VerifyPassword(DummyHash(), password));  // same work, same time
    if (!password_ok || user->disabled) {
        throttle_.RecordFailure(name, address);
        return tl::unexpected(BadCredentials());
    }
    if (user->mfa_enabled) {
        if (!totp || totp->empty())
            return core::Fail(ErrorCode::kUnauthenticated, std::string(kMfaRequired), "totp");
        MUHAFIZ_CHECK(AcceptTotp(*conn, *user, *totp, address));
    }
    throttle_.RecordSuccess(name, address);
    return MakePrincipal(*user);
}

core::Result<Session> AuthService::Login(std::string_view username, std::string_view password,
                                         std::optional<std::string_view> totp,
                                         std::string_view address) {
    Session session;
    session.principal = MUHAFIZ_TRY(VerifyLogin(username, password, totp, address));
    Principal& p = session.principal;
    p.via_session = true;
    p.csrf_token = core::RandomToken(32);
    session.token = core::RandomToken(32);
    const core::Micros now = clock_();
    session.expires_at = now + options_.session_ttl;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        MUHAFIZ_CHECK(conn->Execute("DELETE FROM sessions WHERE expires_at <= ?", {now}));
        MUHAFIZ_CHECK(conn->Execute(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, "
            "last_seen_at, address) VALUES (?, ?, ?, ?, ?, ?, ?)",
            {core::Sha256Hex(session.token), p.user_id, p.csrf_token, now, session.expires_at, now,
             std::string(address)}));
        MUHAFIZ_CHECK(users_.RecordLogin(*conn, p.user_id));
        MUHAFIZ_CHECK(
            audit_.Append(*conn, SelfEntry(p, address, "auth.login", "user", p.user_uuid)));
        return core::Ok();
    }));
    return session;
}

core::Result<Principal> AuthService::ResolveSession(std::string_view token) {
    if (token.empty()) return tl::unexpected(NotSignedIn("not signed in"));
    const std::string hash = core::Sha256Hex(token);
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT user_id, csrf_token, expires_at, last_seen_at FROM sessions WHERE token_hash = ?",
        {hash}));
    if (rows.empty()) return tl::unexpected(NotSignedIn("not signed in"));
    const core::Micros now = clock_();
    if (rows[0].Int(2) <= now) {
        MUHAFIZ_CHECK(conn->Execute("DELETE FROM sessions WHERE token_hash = ?", {hash}));
        return tl::unexpected(NotSignedIn("the session has expired"));
    }
    auto user = users_.GetById(*conn, rows[0].Int(0));
    if (!user && user.error().code != ErrorCode::kNotFound) return tl::unexpected(user.error());
    if (!user || user->disabled) return tl::unexpected(NotSignedIn("not signed in"));
    if (now - rows[0].Int(3) >= kMinute)
        MUHAFIZ_CHECK(conn->Execute(
            "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?",
            {now, now + options_.session_ttl, hash}));
    Principal p = MakePrincipal(*user);
    p.via_session = true;
    p.csrf_token = rows[0].Str(1);
    return p;
}

core::Status AuthService::Logout(std::string_view token) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(
        conn->Execute("DELETE FROM sessions WHERE token_hash = ?", {core::Sha256Hex(token)}));
    return core::Ok();
}

// --- API tokens --------------------------------------------------------------------------------

core::Result<CreatedToken> AuthService::CreateToken(
    const Principal& user, std::string_view name, const std::set<std::string, std::less<>>& scopes,
    std::optional<std::int64_t> expires_in_seconds, std::string_view address) {
    if (user.mfa_enrolment_required)
        return core::Fail(ErrorCode::kPermissionDenied, "set up two-factor authentication first");
    std::set<std::string, std::less<>> granted = scopes;
    if (granted.empty()) granted.emplace(kScopeRead);
    for (const auto& s : granted) {
        if (std::find(kAllScopes.begin(), kAllScopes.end(), s) == kAllScopes.end())
            return core::Invalid("scopes", "unknown scope '" + s + "' (read, write, admin)");
        if (s == kScopeAdmin && user.role != Role::kAdmin)
            return core::Invalid("scopes", "only administrators may request the admin scope");
        if (!HasScope(user, s))
            return core::Invalid("scopes",
                                 "a token cannot have scope '" + s + "' that its creator lacks");
    }
    core::Micros ttl = options_.token_default_ttl;
    if (expires_in_seconds) {
        if (*expires_in_seconds <= 0 || *expires_in_seconds > options_.token_max_ttl / kSecond)
            return core::Invalid("expires_in",
                                 "expires_in must be between 1 and " +
                                     std::to_string(options_.token_max_ttl / kSecond) + " seconds");
        ttl = *expires_in_seconds * kSecond;
    }
    if (name.size() > kMaxTokenName)
        return core::Invalid("name",
                             "name must be at most " + std::to_string(kMaxTokenName) + " bytes");

    CreatedToken out;
    out.token = std::string(kTokenPrefix) + core::RandomToken(32);
    out.info = ApiToken{core::NewUuidV7(), std::string(name), granted, clock_(), 0, {}, {}};
    out.info.expires_at = out.info.created_at + ttl;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        MUHAFIZ_CHECK(conn->Execute(
            "INSERT INTO api_tokens (uuid, user_id, name, token_hash, scopes, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            {out.info.id, user.user_id, out.info.name, core::Sha256Hex(out.token),
             JoinScopes(granted), out.info.created_at, out.info.expires_at}));
        AuditEntry e = SelfEntry(user, address, "token.create", "api_token", out.info.id);
        e.after_json = core::ToJson(core::json::object{{"name", out.info.name},
                                                       {"scopes", JoinScopes(granted)},
                                                       {"expires_at", out.info.expires_at}});
        MUHAFIZ_CHECK(audit_.Append(*conn, e));
        return core::Ok();
    }));
    return out;
}

core::Result<std::vector<ApiToken>> AuthService::ListTokens(const Principal& user) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(
        conn->Query("SELECT uuid, name, scopes, created_at, expires_at, revoked_at, last_used_at "
                    "FROM api_tokens WHERE user_id = ? ORDER BY id DESC",
                    {user.user_id}));
    std::vector<ApiToken> out;
    for (const auto& row : rows) out.push_back(ToToken(row));
    return out;
}

core::Status AuthService::RevokeToken(const Principal& user, std::string_view token_id,
                                      std::string_view address) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT t.id, t.user_id, t.revoked_at, o.path, o.id FROM api_tokens t "
        "JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.organisation_id "
        "WHERE t.uuid = ?",
        {internal::Lower(token_id)}));
    const bool allowed =
        !rows.empty() &&
        (rows[0].Int(1) == user.user_id ||
         (CanManageUsers(user) && policy_.CanSeeOrganisationPath(user, rows[0].Str(3))));
    if (!allowed) return core::NotFound("no such token");
    if (!rows[0].IsNull(2)) return core::Ok();  // already revoked
    return db::InTransaction(*conn, [&]() -> core::Status {
        MUHAFIZ_CHECK(conn->Execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ?",
                                    {clock_(), rows[0].Int(0)}));
        AuditEntry e = SelfEntry(user, address, "token.revoke", "api_token", std::string(token_id));
        e.organisation_id = rows[0].Int(4);
        MUHAFIZ_CHECK(audit_.Append(*conn, e));
        return core::Ok();
    });
}

core::Result<Principal> AuthService::Authenticate(std::string_view bearer) {
    if (!bearer.starts_with(kTokenPrefix)) return tl::unexpected(NotSignedIn("invalid token"));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT id, user_id, scopes, expires_at, revoked_at, last_used_at FROM api_tokens "
        "WHERE token_hash = ?",
        {core::Sha256Hex(bearer)}));
    if (rows.empty()) return tl::unexpected(NotSignedIn("invalid token"));
    const db::Row& t = rows[0];
    const core::Micros now = clock_();
    if (!t.IsNull(4)) return tl::unexpected(NotSignedIn("the token has been revoked"));
    if (t.Int(3) <= now) return tl::unexpected(NotSignedIn("the token has expired"));
    auto user = users_.GetById(*conn, t.Int(1));
    if (!user && user.error().code != ErrorCode::kNotFound) return tl::unexpected(user.error());
    if (!user || user->disabled) return tl::unexpected(NotSignedIn("invalid token"));
    if (t.IsNull(5) || now - t.Int(5) >= kMinute)
        MUHAFIZ_CHECK(
            conn->Execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", {now, t.Int(0)}));
    Principal p = MakePrincipal(*user);
    if (!p.mfa_enrolment_required) p.scopes = SplitScopes(t.Str(2));
    return p;
}

// --- MFA ---------------------------------------------------------------------------------------

core::Status AuthService::AcceptTotp(db::Connection& conn, const User& u, std::string_view code,
                                     std::string_view address) {
    auto step = MatchTotp(u.totp_secret, code, clock_());
    if (!step && step.error().code == ErrorCode::kUnauthenticated)
        throttle_.RecordFailure(u.username, address);
    if (!step) return tl::unexpected(step.error());
    const std::int64_t changed = MUHAFIZ_TRY(
        conn.Execute("UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
                     {*step, u.id, *step}));
    if (changed == 0) {
        throttle_.RecordFailure(u.username, address);
        return core::Fail(ErrorCode::kUnauthenticated, "this one-time code has already been used",
                          "totp");
    }
    return core::Ok();
}

core::Result<MfaSetup> AuthService::BeginMfaSetup(const Principal& user) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    const User u = MUHAFIZ_TRY(users_.GetById(*conn, user.user_id));
    if (u.mfa_enabled)
        return core::Fail(ErrorCode::kConflict, "two-factor authentication is already on");
    MfaSetup setup{NewTotpSecret(), {}};
    setup.otpauth_uri = TotpUri(u.username, setup.secret);
    MUHAFIZ_CHECK(conn->Execute(
        "UPDATE users SET totp_secret = ?, updated_at = ? WHERE id = ? AND mfa_enabled = 0",
        {setup.secret, clock_(), u.id}));
    return setup;
}

core::Status AuthService::EnableMfa(const Principal& user, std::string_view code,
                                    std::string_view address) {
    MUHAFIZ_CHECK(throttle_.Check(user.username, address));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> core::Status {
        const User u = MUHAFIZ_TRY(users_.GetById(*conn, user.user_id));
        if (u.mfa_enabled)
            return core::Fail(ErrorCode::kConflict, "two-factor authentication is already on");
        if (u.totp_secret.empty())
            return core::Fail(ErrorCode::kConflict, "start two-factor set-up first");
        MUHAFIZ_CHECK(AcceptTotp(*conn, u, code, address));
        MUHAFIZ_CHECK(conn->Execute(
            "UPDATE users SET mfa_enabled = 1, updated_at = ?, version = version + 1 WHERE id = ?",
            {clock_(), u.id}));
        MUHAFIZ_CHECK(
            audit_.Append(*conn, SelfEntry(user, address, "auth.mfa_enable", "user", u.uuid)));
        return core::Ok();
    });
}

core::Status AuthService::DisableMfa(const Principal& user, std::string_view code,
                                     std::string_view address) {
    MUHAFIZ_CHECK(throttle_.Check(user.username, address));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> core::Status {
        const User u = MUHAFIZ_TRY(users_.GetById(*conn, user.user_id));
        if (!u.mfa_enabled)
            return core::Fail(ErrorCode::kConflict, "two-factor authentication is off");
        MUHAFIZ_CHECK(AcceptTotp(*conn, u, code, address));
        MUHAFIZ_CHECK(
            conn->Execute("UPDATE users SET mfa_enabled = 0, totp_secret = '', updated_at = ?, "
                          "version = version + 1 WHERE id = ?",
                          {clock_(), u.id}));
        MUHAFIZ_CHECK(
            audit_.Append(*conn, SelfEntry(user, address, "auth.mfa_disable", "user", u.uuid)));
        return core::Ok();
    });
}

}  // namespace muhafiz::access
