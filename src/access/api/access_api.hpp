// HTTP handlers of accounts and access: /api/v1/auth/* (log-in, sessions, API tokens, MFA),
// /api/v1/users and /api/v1/audit. Thin: parse, call AuthService / UserService / AuditLog,
// render. Thread-safety: handlers are thread-safe.
#pragma once

#include "access/api/guard.hpp"
#include "access/audit_log.hpp"
#include "access/users.hpp"
#include "db/database.hpp"
#include "http/router.hpp"

namespace muhafiz::access::api {

[[nodiscard]] core::Status RegisterRoutes(http::Router& router, const Guard& guard, UserService& users,
                                          const AuditLog& audit, db::Database& db);

[[nodiscard]] core::json::object UserJson(const User& u);

}  // namespace muhafiz::access::api
