// First start: make sure someone can sign in.
// Thread-safety: run once at start-up, before serving. Errors: database errors as they come;
// kInvalidArgument (field "password") when a given password fails the policy; kNotFound when
// `national_org_id` names no organisation.
#pragma once

#include <cstdint>
#include <string>

#include "access/audit_log.hpp"
#include "db/database.hpp"

namespace muhafiz::access {

struct BootstrapResult {
    bool created = false;    // false: some user already existed; nothing was done
    std::string password;    // when created: the password set, to be shown to the operator once
    bool generated = false;  // the password was generated here
};

// When no user exists, creates "admin" (role admin) at the national CERT organisation with
// `password`, or with a generated one when `password` is empty; audited as "user.create" by
// "system". Runs in one transaction on `conn`.
[[nodiscard]] core::Result<BootstrapResult> EnsureAdmin(db::Connection& conn,
                                                        std::int64_t national_org_id,
                                                        const std::string& password,
                                                        const AuditLog& audit = AuditLog());

}  // namespace muhafiz::access
