// Guard: authenticates HTTP requests for every capability's handlers and hands them the caller.
//
// A request is authenticated by the session cookie `muhafiz_session` (changes must also carry
// the session's CSRF token in `X-CSRF-Token`) or by `Authorization: Bearer <token>`. The method
// decides the scope needed: GET/HEAD need "read", everything else "write". Authentication runs in
// RouteOptions::before_body, so an unauthenticated client is refused before its body is read.
// Thread-safety: thread-safe (stateless over a thread-safe AuthService).
#pragma once

#include <functional>
#include <string>

#include "access/auth_service.hpp"
#include "access/permissions.hpp"
#include "access/policy.hpp"
#include "core/actor.hpp"
#include "http/message.hpp"
#include "http/router.hpp"

namespace muhafiz::access::api {

inline constexpr std::string_view kSessionCookie = "muhafiz_session";
inline constexpr std::string_view kCsrfCookie = "muhafiz_csrf";

using GuardedHandler = std::function<http::Response(http::Request&, const Principal&)>;

class Guard {
public:
    Guard(AuthService& auth, const Policy& policy) : auth_(auth), policy_(policy) {}

    // The caller of `request`, or kUnauthenticated / kPermissionDenied (CSRF, scope, MFA
    // enrolment pending).
    [[nodiscard]] core::Result<Principal> Authenticate(const http::Request& request,
                                                       bool allow_mfa_enrolment = false) const;

    struct RouteFlags {
        std::size_t max_body_bytes = 0;   // 0: the server default
        bool allow_mfa_enrolment = false;  // reachable while the caller must still enrol in MFA
    };
    // Registers a route whose handler gets the authenticated caller; errors become envelopes.
    [[nodiscard]] core::Status Route(http::Router& router, std::string method, std::string_view pattern,
                                     GuardedHandler handler, RouteFlags flags) const;
    [[nodiscard]] core::Status Route(http::Router& router, std::string method, std::string_view pattern,
                                     GuardedHandler handler) const {
        return Route(router, std::move(method), pattern, std::move(handler), RouteFlags{});
    }

    const Policy& policy() const { return policy_; }
    AuthService& auth() const { return auth_; }

    [[nodiscard]] static core::Actor ActorOf(const Principal& p, const http::Request& request);

private:
    AuthService& auth_;
    const Policy& policy_;
};

// Parses a JSON object body, answering 415 for a non-JSON content type.
[[nodiscard]] core::Result<core::json::object> JsonBody(const http::Request& request);
// Reads `limit` (1..500, default 50) from the query.
[[nodiscard]] core::Result<int> LimitParam(const http::Request& request);
// The standard list envelope {"items","total","next"}.
[[nodiscard]] core::json::object ListEnvelope(core::json::array items, std::int64_t total,
                                              const std::optional<std::string>& next);

}  // namespace muhafiz::access::api
