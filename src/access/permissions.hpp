// Roles, the authenticated Principal, and capability checks.
//
// A Principal is the result of authentication (AuthService): who is calling, from which
// organisation, with which role and, for API tokens, which scopes. Capability checks combine the
// role with the scopes: a session carries every scope; a token only those it was created with.
// Scope meaning for handlers: GET needs "read" (MayRead), changes need "write" (MayWrite), user
// and audit administration need "admin" (checked inside CanManageUsers / CanReadAudit).
// When `mfa_enrolment_required` is set the principal has no scopes at all, so every check below
// fails; the only thing such a caller may do is MFA set-up (AuthService::BeginMfaSetup/EnableMfa).
//
// What a principal may *see* is decided by access::Policy, not here.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace muhafiz::access {

enum class Role { kAdmin, kAnalyst, kReporter, kCouncil, kPartner };

// "admin", "analyst", "reporter", "council", "partner".
[[nodiscard]] std::string_view RoleName(Role role);
// The inverse of RoleName; kInvalidArgument naming field "role" otherwise.
[[nodiscard]] core::Result<Role> ParseRole(std::string_view text);

inline constexpr std::string_view kScopeRead = "read";
inline constexpr std::string_view kScopeWrite = "write";
inline constexpr std::string_view kScopeAdmin = "admin";

struct Principal {
    std::int64_t user_id = 0;
    std::string user_uuid, username;
    std::int64_t organisation_id = 0;
    std::string organisation_uuid, organisation_path, organisation_kind;
    Role role = Role::kReporter;
    bool is_national = false;                   // the organisation is the national_cert root
    std::set<std::string, std::less<>> scopes;  // all three for sessions; empty while enrolling
    bool via_session = false;
    std::string csrf_token;  // sessions only: must come back in X-CSRF-Token on changes
    bool mfa_enrolment_required = false;
};

[[nodiscard]] bool HasScope(const Principal& p, std::string_view scope);
[[nodiscard]] bool MayRead(const Principal& p);   // GET
[[nodiscard]] bool MayWrite(const Principal& p);  // POST/PATCH/PUT/DELETE
// Users and API tokens of others: admins with the admin scope (within what Policy lets them see).
[[nodiscard]] bool CanManageUsers(const Principal& p);
// The audit log: admins with the admin scope (national admins all of it, others their subtree).
[[nodiscard]] bool CanReadAudit(const Principal& p);
// Create, change or delete organisations: admins and analysts with the write scope.
[[nodiscard]] bool CanEditOrganisations(const Principal& p);
// Individual records (incidents, events, ...): everyone but the Council, which sees aggregates.
[[nodiscard]] bool SeesRecords(const Principal& p);

}  // namespace muhafiz::access
