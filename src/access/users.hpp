// User accounts: UserStore (validation and SQL over `users`) and UserService (the admin-facing
// rules on top: who may manage whom, visibility, audit).
//
// A user belongs to one organisation and has one role. Usernames match [a-z0-9._-]{2,64} and are
// stored lower-case (input is lower-cased first), so they are unique ignoring case. Public ids are
// UUIDv7; internal ids never leave the server.
//
// Ownership: both classes hold references to what they are given (the Database, the AuditLog),
// which must outlive them. Thread-safety: both are stateless apart from those and safe to share;
// UserStore methods run on the caller's Connection (inside the caller's transaction, if any).
// Errors: kInvalidArgument naming the field (username, password, role, organisation_id, limit,
// cursor); kConflict for a taken username or an admin demoting, disabling or deleting their own
// account; kPreconditionFailed when `if_version` (If-Match) is stale; kNotFound for a user that
// does not exist or that the caller may not see (the two are indistinguishable; an invisible
// organisation is likewise "no such organisation"); kPermissionDenied when the caller may not
// manage users at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/audit_log.hpp"
#include "access/clock.hpp"
#include "access/permissions.hpp"
#include "access/policy.hpp"
#include "db/database.hpp"

namespace muhafiz::access {

struct User {
    std::int64_t id = 0;
    std::string uuid, username;
    std::int64_t organisation_id = 0;
    std::string organisation_uuid, organisation_name, organisation_path, organisation_kind;
    Role role = Role::kReporter;
    bool mfa_enabled = false;
    bool disabled = false;
    core::Micros created_at = 0, updated_at = 0;
    std::optional<core::Micros> last_login_at;
    std::int64_t version = 1;
    // Secrets, for AuthService only: never render them.
    std::string password_hash, totp_secret;
};

struct NewUser {
    std::string username, password;
    std::string organisation_uuid;  // public id of an existing organisation
    Role role = Role::kReporter;
};

struct UserUpdate {
    std::optional<Role> role;
    std::optional<bool> disabled;
    std::optional<std::string> password;
    std::optional<std::string> organisation_uuid;
    std::optional<std::int64_t> if_version;  // If-Match: kPreconditionFailed when it differs
};

struct UserFilter {
    std::optional<std::string> organisation_uuid;
    std::optional<Role> role;
    std::string q;       // substring of the username
    int limit = 50;      // 1..500
    std::string cursor;  // `next` of the previous page
};

struct UserPage {
    std::vector<User> items;  // ordered by username
    std::int64_t total = 0;   // matching users on all pages
    std::optional<std::string> next;
};

// The organisation a user is attached to, as resolved from its public id.
struct OrganisationRef {
    std::int64_t id = 0;
    std::string uuid, name, path, kind;
};

// Validation and SQL. Changing the password or disabling a user ends their sessions.
class UserStore {
  public:
    explicit UserStore(Clock clock = SystemClock()) : clock_(std::move(clock)) {}

    [[nodiscard]] core::Result<OrganisationRef> FindOrganisation(db::Connection& conn,
                                                                 std::string_view uuid) const;
    [[nodiscard]] core::Result<User> Create(db::Connection& conn, const NewUser& in) const;
    [[nodiscard]] core::Result<User> GetById(db::Connection& conn, std::int64_t id) const;
    [[nodiscard]] core::Result<User> GetByUuid(db::Connection& conn, std::string_view uuid) const;
    [[nodiscard]] core::Result<User> GetByUsername(db::Connection& conn,
                                                   std::string_view username) const;
    // Users matching `filter` among those `visible` (a predicate over organisations `o`).
    [[nodiscard]] core::Result<UserPage> List(db::Connection& conn, const UserFilter& filter,
                                              const db::Predicate& visible) const;
    [[nodiscard]] core::Result<User> Update(db::Connection& conn, std::int64_t id,
                                            const UserUpdate& in) const;
    [[nodiscard]] core::Status Delete(db::Connection& conn, std::int64_t id) const;
    [[nodiscard]] core::Status RecordLogin(db::Connection& conn, std::int64_t id) const;

  private:
    [[nodiscard]] core::Result<User> GetWhere(db::Connection& conn, std::string_view where,
                                              db::Value key) const;
    Clock clock_;
};

// The users API rules: only CanManageUsers principals; national admins manage everyone, other
// admins the users of their own subtree (Policy). Every change is audited in its transaction.
class UserService {
  public:
    UserService(db::Database& db, const AuditLog& audit, Clock clock = SystemClock())
        : db_(db), audit_(audit), store_(std::move(clock)) {}

    [[nodiscard]] core::Result<User> Create(const Principal& actor, const NewUser& in,
                                            std::string_view address = {});
    [[nodiscard]] core::Result<User> Get(const Principal& actor, std::string_view uuid);
    [[nodiscard]] core::Result<UserPage> List(const Principal& actor, const UserFilter& filter);
    [[nodiscard]] core::Result<User> Update(const Principal& actor, std::string_view uuid,
                                            const UserUpdate& in, std::string_view address = {});
    [[nodiscard]] core::Status Delete(const Principal& actor, std::string_view uuid,
                                      std::string_view address = {});
    // The operator's way back in (`muhafiz admin reset-password`): sets a new password, enables
    // the account and ends its sessions, and with `reset_mfa` turns MFA off (a lost
    // authenticator); audited as done by the command line.
    [[nodiscard]] core::Status ResetPassword(std::string_view username, const std::string& password,
                                             bool reset_mfa = false);

  private:
    [[nodiscard]] core::Result<User> GetVisible(db::Connection& conn, const Principal& actor,
                                                std::string_view uuid) const;
    [[nodiscard]] core::Status CheckOrganisation(db::Connection& conn, const Principal& actor,
                                                 std::string_view uuid) const;

    db::Database& db_;
    const AuditLog& audit_;
    UserStore store_;
    Policy policy_;
};

// JSON of a user's public fields (no secrets), for audit before/after snapshots.
[[nodiscard]] std::string UserAuditJson(const User& u);

}  // namespace muhafiz::access
