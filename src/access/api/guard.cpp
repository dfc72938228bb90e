#include "access/api/guard.hpp"

#include <sodium.h>

namespace muhafiz::access::api {
namespace json = core::json;
using core::ErrorCode;

namespace {

bool SafeMethod(const std::string& m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

core::Result<Principal> Guard::Authenticate(const http::Request& req, bool allow_mfa_enrolment) const {
    Principal p;
    if (auto h = req.Header("authorization")) {
        constexpr std::string_view kBearer = "Bearer ";
        if (h->size() <= kBearer.size() || !std::equal(kBearer.begin(), kBearer.end(), h->begin(),
                                                       [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
            return core::Fail(ErrorCode::kUnauthenticated, "the Authorization header must be 'Bearer <token>'");
        p = MUHAFIZ_TRY(auth_.Authenticate(std::string_view(*h).substr(kBearer.size())));
    } else if (auto cookie = req.Cookie(kSessionCookie); cookie && !cookie->empty()) {
        p = MUHAFIZ_TRY(auth_.ResolveSession(*cookie));
        if (!SafeMethod(req.method)) {
            auto csrf = req.Header("x-csrf-token");
            if (!csrf || !ConstantTimeEqual(*csrf, p.csrf_token))
                return core::Fail(ErrorCode::kPermissionDenied,
                                  "missing or wrong X-CSRF-Token header (required with a session cookie)");
        }
    } else {
        return core::Fail(ErrorCode::kUnauthenticated, "log in first, or send 'Authorization: Bearer <token>'");
    }
    if (p.mfa_enrolment_required) {
        if (allow_mfa_enrolment) return p;
        return core::Fail(ErrorCode::kPermissionDenied,
                          "your account must enrol in two-factor authentication first (Account → MFA)");
    }
    if (SafeMethod(req.method) ? !MayRead(p) : !MayWrite(p))
        return core::Fail(ErrorCode::kPermissionDenied, std::string("this token lacks the '") +
                                                            (SafeMethod(req.method) ? "read" : "write") + "' scope");
    return p;
}

core::Status Guard::Route(http::Router& router, std::string method, std::string_view pattern, GuardedHandler handler,
                          RouteFlags flags) const {
    http::RouteOptions options;
    options.max_body_bytes = flags.max_body_bytes;
    const bool enrol = flags.allow_mfa_enrolment;
    options.before_body = [this, enrol](http::Request& req) -> std::optional<http::Response> {
        auto p = Authenticate(req, enrol);
        if (!p) {
            http::Response r = http::Response::Error(p.error());
            if (p.error().code == ErrorCode::kUnauthenticated) r.Header("WWW-Authenticate", "Bearer");
            return r;
        }
        req.context = std::move(*p);
        return std::nullopt;
    };
    return router.Add(std::move(method), pattern,
                      [handler = std::move(handler)](http::Request& req) {
                          const auto* p = std::any_cast<Principal>(&req.context);
                          if (!p) return http::Response::Error(ErrorCode::kInternal, "request was not authenticated");
                          return handler(req, *p);
                      },
                      std::move(options));
}

core::Actor Guard::ActorOf(const Principal& p, const http::Request& req) {
    core::Actor a;
    a.user_id = p.user_id;
    a.username = p.username;
    a.organisation_id = p.organisation_id;
    a.address = req.remote_address;
    return a;
}

core::Result<json::object> JsonBody(const http::Request& req) {
    if (auto ct = req.Header("content-type"); ct && ct->find("json") == std::string::npos)
        return core::Fail(ErrorCode::kUnsupportedMedia, "send the body as application/json");
    return core::ParseJsonObject(req.body);
}

core::Result<int> LimitParam(const http::Request& req) {
    auto v = req.Query("limit");
    if (!v || v->empty()) return 50;
    int n = 0;
    for (char c : *v) {
        if (c < '0' || c > '9' || n > 100000) return core::Invalid("limit", "limit must be between 1 and 500");
        n = n * 10 + (c - '0');
    }
    if (n < 1 || n > 500) return core::Invalid("limit", "limit must be between 1 and 500");
    return n;
}

json::object ListEnvelope(json::array items, std::int64_t total, const std::optional<std::string>& next) {
    return json::object{{"items", std::move(items)},
                        {"total", total},
                        {"next", next ? json::value(*next) : json::value(nullptr)}};
}

}  // namespace muhafiz::access::api
