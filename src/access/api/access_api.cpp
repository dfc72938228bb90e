#include "access/api/access_api.hpp"

#include "core/time.hpp"

namespace muhafiz::access::api {
namespace json = core::json;
using core::ErrorCode;
using http::Request;
using http::Response;

namespace {

json::value Time(std::optional<core::Micros> t) {
    return t ? json::value(core::FormatRfc3339(*t)) : json::value(nullptr);
}

// A login failure: "mfa_required" gets its own code so that the UI can ask for the code.
Response LoginError(const core::Error& e) {
    if (e.code == ErrorCode::kUnauthenticated && e.field == "totp" && e.message == kMfaRequired)
        return Response::Json(401, json::object{{"error", json::object{{"code", "mfa_required"},
                                                                       {"message", "enter the code from your "
                                                                                   "authenticator app"},
                                                                       {"field", "totp"}}}});
    return Response::Error(e);
}

std::string Cookie(std::string_view name, const std::string& value, std::int64_t max_age, bool http_only,
                   bool secure) {
    std::string c = std::string(name) + "=" + value + "; Path=/; SameSite=Strict; Max-Age=" + std::to_string(max_age);
    if (http_only) c += "; HttpOnly";
    if (secure) c += "; Secure";
    return c;
}

struct Credentials {
    std::string username, password;
    std::optional<std::string> totp;
};

core::Result<Credentials> ReadCredentials(const json::object& body) {
    Credentials c;
    auto username = MUHAFIZ_TRY(core::GetString(body, "username"));
    auto password = MUHAFIZ_TRY(core::GetString(body, "password"));
    if (!username || username->empty()) return core::Invalid("username", "'username' is required");
    if (!password) return core::Invalid("password", "'password' is required");
    c.username = *username;
    c.password = *password;
    c.totp = MUHAFIZ_TRY(core::GetString(body, "totp"));
    if (c.totp && c.totp->empty()) c.totp.reset();
    return c;
}

core::Result<std::set<std::string, std::less<>>> ReadScopes(const json::object& body) {
    std::set<std::string, std::less<>> scopes;
    const json::value* v = core::Find(body, "scopes");
    if (!v || v->is_null()) return scopes;
    if (!v->is_array()) return core::Invalid("scopes", "'scopes' must be an array of read, write, admin");
    for (const auto& s : v->as_array()) {
        if (!s.is_string()) return core::Invalid("scopes", "'scopes' must be an array of read, write, admin");
        scopes.insert(std::string(s.as_string()));
    }
    return scopes;
}

json::object TokenJson(const ApiToken& t) {
    json::array scopes;
    for (const auto& s : t.scopes) scopes.emplace_back(s);
    return json::object{{"id", t.id},
                        {"name", t.name},
                        {"scopes", std::move(scopes)},
                        {"created_at", core::FormatRfc3339(t.created_at)},
                        {"expires_at", core::FormatRfc3339(t.expires_at)},
                        {"revoked_at", Time(t.revoked_at)},
                        {"last_used_at", Time(t.last_used_at)}};
}

// A wrong code while the session is valid is bad input, not a failed authentication.
Response CodeError(core::Error e) {
    if (e.code == ErrorCode::kUnauthenticated && e.field == "totp") e.code = ErrorCode::kInvalidArgument;
    return Response::Error(e);
}

Response CreatedTokenResponse(const CreatedToken& t) {
    json::object out = TokenJson(t.info);
    out["token"] = t.token;
    return Response::Json(201, out);
}

struct TokenRequest {
    std::set<std::string, std::less<>> scopes;
    std::optional<std::int64_t> expires_in;
    std::string name;
};

core::Result<TokenRequest> ReadTokenRequest(const json::object& body) {
    TokenRequest t;
    t.scopes = MUHAFIZ_TRY(ReadScopes(body));
    t.expires_in = MUHAFIZ_TRY(core::GetInt(body, "expires_in"));
    t.name = MUHAFIZ_TRY(core::GetString(body, "name")).value_or("api");
    return t;
}

std::string TotpOf(const json::object& body) {
    auto t = core::GetString(body, "totp");
    return t && *t ? **t : std::string();
}

core::Result<User> CurrentUser(db::Database& db, const Principal& p) {
    auto conn = MUHAFIZ_TRY(db.Acquire());
    return UserStore().GetById(*conn, p.user_id);
}

json::object MeJson(db::Database& db, const Principal& p) {
    json::object out;
    auto u = CurrentUser(db, p);
    if (u) {
        out["user"] = UserJson(*u);
    } else {
        out["user"] = json::object{{"id", p.user_uuid}, {"username", p.username}};
    }
    out["csrf_token"] = p.csrf_token;
    out["mfa_enrolment_required"] = p.mfa_enrolment_required;
    return out;
}

Response UserResponse(int status, const User& u) {
    Response r = Response::Json(status, UserJson(u));
    r.Header("ETag", "\"" + std::to_string(u.version) + "\"");
    return r;
}

json::value ParseJsonText(const std::string& text) {
    if (text.empty()) return nullptr;
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    return ec ? json::value(text) : v;
}

}  // namespace

json::object UserJson(const User& u) {
    return json::object{{"id", u.uuid},
                        {"username", u.username},
                        {"organisation_id", u.organisation_uuid},
                        {"organisation_name", u.organisation_name},
                        {"organisation_kind", u.organisation_kind},
                        {"role", RoleName(u.role)},
                        {"mfa_enabled", u.mfa_enabled},
                        {"disabled", u.disabled},
                        {"created_at", core::FormatRfc3339(u.created_at)},
                        {"last_login_at", Time(u.last_login_at)},
                        {"version", u.version}};
}

core::Status RegisterRoutes(http::Router& router, const Guard& guard, UserService& users, const AuditLog& audit,
                            db::Database& db) {
    AuthService& auth = guard.auth();
    const Guard::RouteFlags enrolling{0, true};

    // --- sessions -------------------------------------------------------------------------
    MUHAFIZ_CHECK(router.Add("POST", "/api/v1/auth/login", [&auth, &db](Request& req) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = core::RejectUnknownFields(*body, {"username", "password", "totp"}); !s)
            return Response::Error(s.error());
        auto creds = ReadCredentials(*body);
        if (!creds) return Response::Error(creds.error());
        auto session = auth.Login(creds->username, creds->password, creds->totp, req.remote_address);
        if (!session) return LoginError(session.error());
        const std::int64_t max_age = std::max<std::int64_t>(0, (session->expires_at - core::NowMicros()) / 1000000);
        Response r = Response::Json(200, MeJson(db, session->principal));
        r.Header("Set-Cookie", Cookie(kSessionCookie, session->token, max_age, true, req.secure));
        r.Header("Set-Cookie", Cookie(kCsrfCookie, session->principal.csrf_token, max_age, false, req.secure));
        r.Header("Cache-Control", "no-store");
        return r;
    }));
    MUHAFIZ_CHECK(router.Add("POST", "/api/v1/auth/logout", [&auth](Request& req) {
        if (auto c = req.Cookie(kSessionCookie); c && !c->empty()) (void)auth.Logout(*c);
        Response r = Response::NoContent();
        r.Header("Set-Cookie", Cookie(kSessionCookie, "", 0, true, req.secure));
        r.Header("Set-Cookie", Cookie(kCsrfCookie, "", 0, false, req.secure));
        return r;
    }));
    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/auth/me", [&db](Request&, const Principal& p) {
        Response r = Response::Json(200, MeJson(db, p));
        r.Header("Cache-Control", "no-store");
        return r;
    }, enrolling));

    // --- API tokens -----------------------------------------------------------------------
    MUHAFIZ_CHECK(router.Add("POST", "/api/v1/auth/token", [&auth](Request& req) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = core::RejectUnknownFields(*body, {"username", "password", "totp", "scopes", "expires_in", "name"});
            !s)
            return Response::Error(s.error());
        auto creds = ReadCredentials(*body);
        if (!creds) return Response::Error(creds.error());
        auto t = ReadTokenRequest(*body);
        if (!t) return Response::Error(t.error());
        auto p = auth.VerifyLogin(creds->username, creds->password, creds->totp, req.remote_address);
        if (!p) return LoginError(p.error());
        auto token = auth.CreateToken(*p, t->name, t->scopes, t->expires_in, req.remote_address);
        if (!token) return Response::Error(token.error());
        return CreatedTokenResponse(*token);
    }));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/auth/tokens", [&auth](Request& req, const Principal& p) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = core::RejectUnknownFields(*body, {"scopes", "expires_in", "name"}); !s)
            return Response::Error(s.error());
        auto t = ReadTokenRequest(*body);
        if (!t) return Response::Error(t.error());
        auto token = auth.CreateToken(p, t->name, t->scopes, t->expires_in, req.remote_address);
        if (!token) return Response::Error(token.error());
        return CreatedTokenResponse(*token);
    }));
    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/auth/tokens", [&auth](Request&, const Principal& p) {
        auto tokens = auth.ListTokens(p);
        if (!tokens) return Response::Error(tokens.error());
        json::array items;
        for (const auto& t : *tokens) items.push_back(TokenJson(t));
        const auto n = static_cast<std::int64_t>(items.size());
        return Response::Json(200, ListEnvelope(std::move(items), n, std::nullopt));
    }));
    MUHAFIZ_CHECK(guard.Route(router, "DELETE", "/api/v1/auth/tokens/{id}", [&auth](Request& req, const Principal& p) {
        if (auto s = auth.RevokeToken(p, req.PathParam("id"), req.remote_address); !s) return Response::Error(s.error());
        return Response::NoContent();
    }));

    // --- MFA ------------------------------------------------------------------------------
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/auth/mfa/setup", [&auth](Request&, const Principal& p) {
        auto setup = auth.BeginMfaSetup(p);
        if (!setup) return Response::Error(setup.error());
        return Response::Json(200, json::object{{"secret", setup->secret}, {"otpauth_uri", setup->otpauth_uri}});
    }, enrolling));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/auth/mfa/enable", [&auth](Request& req, const Principal& p) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = auth.EnableMfa(p, TotpOf(*body), req.remote_address); !s) return CodeError(s.error());
        return Response::NoContent();
    }, enrolling));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/auth/mfa/disable", [&auth](Request& req, const Principal& p) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = auth.DisableMfa(p, TotpOf(*body), req.remote_address); !s) return CodeError(s.error());
        return Response::NoContent();
    }));

    // --- users ----------------------------------------------------------------------------
    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/users", [&users](Request& req, const Principal& p) {
        UserFilter f;
        if (auto o = req.Query("organisation_id"); o && !o->empty()) f.organisation_uuid = *o;
        if (auto r = req.Query("role"); r && !r->empty()) {
            auto role = ParseRole(*r);
            if (!role) return Response::Error(role.error());
            f.role = *role;
        }
        f.q = req.Query("q").value_or("");
        auto limit = LimitParam(req);
        if (!limit) return Response::Error(limit.error());
        f.limit = *limit;
        f.cursor = req.Query("cursor").value_or("");
        auto page = users.List(p, f);
        if (!page) return Response::Error(page.error());
        json::array items;
        for (const auto& u : page->items) items.push_back(UserJson(u));
        return Response::Json(200, ListEnvelope(std::move(items), page->total, page->next));
    }));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/users", [&users](Request& req, const Principal& p) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = core::RejectUnknownFields(*body, {"username", "password", "organisation_id", "role"}); !s)
            return Response::Error(s.error());
        NewUser in;
        auto username = core::GetString(*body, "username");
        auto password = core::GetString(*body, "password");
        auto org = core::GetString(*body, "organisation_id");
        auto role = core::GetString(*body, "role");
        for (auto* r : {&username, &password, &org, &role})
            if (!*r) return Response::Error(r->error());
        if (!*username) return Response::Error(core::Invalid("username", "'username' is required").value());
        if (!*password) return Response::Error(core::Invalid("password", "'password' is required").value());
        if (!*org) return Response::Error(core::Invalid("organisation_id", "'organisation_id' is required").value());
        in.username = **username;
        in.password = **password;
        in.organisation_uuid = **org;
        auto parsed_role = ParseRole(role->value_or("reporter"));
        if (!parsed_role) return Response::Error(parsed_role.error());
        in.role = *parsed_role;
        auto u = users.Create(p, in, req.remote_address);
        if (!u) return Response::Error(u.error());
        return UserResponse(201, *u);
    }));
    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/users/{id}", [&users](Request& req, const Principal& p) {
        auto u = users.Get(p, req.PathParam("id"));
        if (!u) return Response::Error(u.error());
        return UserResponse(200, *u);
    }));
    MUHAFIZ_CHECK(guard.Route(router, "PATCH", "/api/v1/users/{id}", [&users](Request& req, const Principal& p) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = core::RejectUnknownFields(*body, {"role", "disabled", "password", "organisation_id"}); !s)
            return Response::Error(s.error());
        UserUpdate in;
        auto version = http::IfMatchVersion(req);
        if (!version) return Response::Error(version.error());
        in.if_version = *version;
        auto role = core::GetString(*body, "role");
        if (!role) return Response::Error(role.error());
        if (*role) {
            auto r = ParseRole(**role);
            if (!r) return Response::Error(r.error());
            in.role = *r;
        }
        auto disabled = core::GetBool(*body, "disabled");
        if (!disabled) return Response::Error(disabled.error());
        in.disabled = *disabled;
        auto password = core::GetString(*body, "password");
        if (!password) return Response::Error(password.error());
        in.password = *password;
        auto org = core::GetString(*body, "organisation_id");
        if (!org) return Response::Error(org.error());
        in.organisation_uuid = *org;
        auto u = users.Update(p, req.PathParam("id"), in, req.remote_address);
        if (!u) return Response::Error(u.error());
        return UserResponse(200, *u);
    }));
    MUHAFIZ_CHECK(guard.Route(router, "DELETE", "/api/v1/users/{id}", [&users](Request& req, const Principal& p) {
        if (auto s = users.Delete(p, req.PathParam("id"), req.remote_address); !s) return Response::Error(s.error());
        return Response::NoContent();
    }));

    // --- audit ----------------------------------------------------------------------------
    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/audit", [&audit, &db](Request& req, const Principal& p) {
        if (!CanReadAudit(p)) return Response::Error(ErrorCode::kPermissionDenied, "only admins may read the audit log");
        AuditFilter f;
        f.actor = req.Query("actor").value_or("");
        f.object_type = req.Query("object_type").value_or("");
        f.object_id = req.Query("object_id").value_or("");
        f.action = req.Query("action").value_or("");
        for (const auto& [name, slot] : {std::pair{"since", &f.since}, std::pair{"until", &f.until}}) {
            if (auto v = req.Query(name); v && !v->empty()) {
                auto t = core::ParseRfc3339(*v);
                if (!t) return Response::Error(core::Invalid(name, std::string(name) + " must be an RFC 3339 time").value());
                *slot = *t;
            }
        }
        auto limit = LimitParam(req);
        if (!limit) return Response::Error(limit.error());
        f.limit = *limit;
        f.cursor = req.Query("cursor").value_or("");
        auto conn = db.Acquire();
        if (!conn) return Response::Error(conn.error());
        auto page = audit.List(**conn, p, f);
        if (!page) return Response::Error(page.error());
        json::array items;
        for (const auto& r : page->items)
            items.push_back(json::object{
                {"id", r.id},
                {"at", core::FormatRfc3339(r.at)},
                {"actor", r.entry.actor},
                {"address", r.entry.address},
                {"action", r.entry.action},
                {"object_type", r.entry.object_type},
                {"object_id", r.entry.object_id},
                {"before", ParseJsonText(r.entry.before_json)},
                {"after", ParseJsonText(r.entry.after_json)},
                {"prev_hash", r.prev_hash},
                {"hash", r.hash}});
        return Response::Json(200, ListEnvelope(std::move(items), page->total, page->next));
    }));
    return {};
}

}  // namespace muhafiz::access::api
