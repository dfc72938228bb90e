// Authentication: password login with optional TOTP, browser sessions, API tokens, MFA set-up.
// Its result is a Principal (permissions.hpp).
//
// Secrets at rest: session and API tokens are stored only as SHA-256 hashes; the clear token is
// returned once. Passwords are argon2id (password.hpp); TOTP secrets base32 (totp.hpp).
//
// Login errors (all kUnauthenticated unless noted):
//   - unknown user, wrong password, disabled account: the same message "invalid username or
//     password"; an unknown user is verified against a dummy hash so the timing matches;
//   - MFA REQUIRED: the user has MFA enabled and no code was given → kUnauthenticated with
//     Error.field == "totp" and Error.message == kMfaRequired ("mfa_required"). The HTTP layer
//     turns exactly this into 401 {"error":{"code":"mfa_required"}}. It is not counted as a
//     failure (the password was right);
//   - a wrong, malformed or replayed code: kUnauthenticated, field "totp";
//   - kTooManyRequests while the username or the address is throttled (throttle.hpp).
// When `require_admin_mfa` is set, an admin without MFA still logs in, but the principal has
// `mfa_enrolment_required` and no scopes until EnableMfa succeeds.
//
// Sessions slide: each use after a minute of quiet pushes expiry to now + session_ttl. API tokens
// are "mfz_" + 43 URL-safe characters; last_used_at is written at most once a minute.
//
// Ownership: holds references to the Database and the AuditLog, which must outlive it.
// Thread-safety: safe to share between threads (the throttle has its own mutex; all else is in
// the database).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "access/audit_log.hpp"
#include "access/clock.hpp"
#include "access/permissions.hpp"
#include "access/policy.hpp"
#include "access/throttle.hpp"
#include "access/users.hpp"
#include "db/database.hpp"

namespace muhafiz::access {

inline constexpr std::string_view kMfaRequired = "mfa_required";
inline constexpr std::string_view kTokenPrefix = "mfz_";

struct AuthOptions {
    core::Micros session_ttl = 12 * kHour;
    bool require_admin_mfa = false;
    core::Micros token_default_ttl = 90 * kDay;
    core::Micros token_max_ttl = 365 * kDay;
    ThrottleOptions throttle;
};

struct Session {
    std::string token;  // the cookie value; only its hash is stored
    core::Micros expires_at = 0;
    Principal principal;  // via_session, with csrf_token
};

struct ApiToken {
    std::string id;  // public uuid
    std::string name;
    std::set<std::string, std::less<>> scopes;
    core::Micros created_at = 0, expires_at = 0;
    std::optional<core::Micros> revoked_at, last_used_at;
};

struct CreatedToken {
    std::string token;  // "mfz_...": shown once, never stored
    ApiToken info;
};

struct MfaSetup {
    std::string secret;       // base32
    std::string otpauth_uri;  // for a QR code
};

class AuthService {
  public:
    AuthService(db::Database& db, const AuditLog& audit, AuthOptions options = {},
                Clock clock = SystemClock());

    // Checks username, password and TOTP with throttling (the errors above). The principal is
    // not tied to a session (via_session false, every scope): the token endpoint passes it to
    // CreateToken.
    [[nodiscard]] core::Result<Principal> VerifyLogin(std::string_view username,
                                                      std::string_view password,
                                                      std::optional<std::string_view> totp,
                                                      std::string_view address);
    // VerifyLogin, then a new session; records the login time and audits "auth.login".
    [[nodiscard]] core::Result<Session> Login(std::string_view username, std::string_view password,
                                              std::optional<std::string_view> totp,
                                              std::string_view address);
    // The principal of a live session (kUnauthenticated when unknown, expired or disabled).
    [[nodiscard]] core::Result<Principal> ResolveSession(std::string_view token);
    // Ends a session; unknown tokens are fine.
    [[nodiscard]] core::Status Logout(std::string_view token);

    // scopes ⊆ {read, write, admin} and ⊆ the caller's own scopes ("admin" for admins only);
    // empty means {read}. expires_in_seconds: default 90 days, at most 1 year.
    // kPermissionDenied while the caller must first enrol in MFA.
    [[nodiscard]] core::Result<CreatedToken> CreateToken(
        const Principal& user, std::string_view name,
        const std::set<std::string, std::less<>>& scopes,
        std::optional<std::int64_t> expires_in_seconds, std::string_view address = {});
    // The caller's own tokens, newest first, revoked and expired ones included.
    [[nodiscard]] core::Result<std::vector<ApiToken>> ListTokens(const Principal& user);
    // Own tokens, or any token of a user an admin may manage; otherwise kNotFound.
    [[nodiscard]] core::Status RevokeToken(const Principal& user, std::string_view token_id,
                                           std::string_view address = {});
    // The principal of a bearer token (without "Bearer "): kUnauthenticated when unknown,
    // expired, revoked, or its user is disabled.
    [[nodiscard]] core::Result<Principal> Authenticate(std::string_view bearer);

    // Starts (or restarts) TOTP enrolment: a new secret, not active until EnableMfa.
    // kConflict when MFA is already enabled.
    [[nodiscard]] core::Result<MfaSetup> BeginMfaSetup(const Principal& user);
    // Confirms enrolment with a code from the new secret (kConflict without BeginMfaSetup).
    [[nodiscard]] core::Status EnableMfa(const Principal& user, std::string_view code,
                                         std::string_view address = {});
    // Turns MFA off; needs a current code (kConflict when MFA is not enabled).
    [[nodiscard]] core::Status DisableMfa(const Principal& user, std::string_view code,
                                          std::string_view address = {});

  private:
    [[nodiscard]] Principal MakePrincipal(const User& u) const;
    // Accepts `code` for `u` once: the matched step must be newer than the last accepted one.
    // A wrong code counts as a failed attempt for the throttle.
    [[nodiscard]] core::Status AcceptTotp(db::Connection& conn, const User& u,
                                          std::string_view code, std::string_view address);

    db::Database& db_;
    const AuditLog& audit_;
    const AuthOptions options_;
    const Clock clock_;
    UserStore users_;
    Policy policy_;
    LoginThrottle throttle_;
};

}  // namespace muhafiz::access
