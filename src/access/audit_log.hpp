// The audit log: an append-only, hash-chained record of who changed what.
//
// Each entry's hash is SHA-256 (hex) over the previous entry's hash and the entry's own fields,
// each written as "<byte length>:<bytes>|" so that no two different entries encode alike:
//   prev_hash, id, at, actor_id, actor, organisation_id, address, action, object_type,
//   object_id, before, after        (absent numbers and texts encode as empty)
// Ids are consecutive from 1; `audit_head` holds the last id and hash. The first prev_hash is 64
// zeros. Database triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), so tampering
// needs the triggers dropped first; Verify then finds it.
//
// `organisation_id` of an entry is the organisation the changed object belongs to (for a user,
// the user's organisation); it decides which non-national admins may read the entry.
//
// Thread-safety: stateless apart from the clock; safe to share. Appends serialise on the head row
// (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the write transaction).
// Errors: database errors as they come; List answers kPermissionDenied unless CanReadAudit, and
// kInvalidArgument for a bad limit or cursor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "access/clock.hpp"
#include "access/permissions.hpp"
#include "db/audit_sink.hpp"
#include "db/database.hpp"

namespace muhafiz::access {

struct AuditEntry {
    std::optional<std::int64_t> actor_id;  // none for the system itself
    std::string actor;                     // username, or "system"
    std::optional<std::int64_t> organisation_id;
    std::string address;
    std::string action;                   // "user.create", "auth.login", ...
    std::string object_type, object_id;   // "user", public uuid
    std::string before_json, after_json;  // empty when there is no before / after
};

struct AuditRecord {
    std::int64_t id = 0;
    core::Micros at = 0;
    AuditEntry entry;
    std::string prev_hash, hash;
};

struct AuditFilter {
    std::string actor, object_type, object_id, action;  // exact matches; empty = any
    std::optional<core::Micros> since, until;           // since <= at < until
    int limit = 50;                                     // 1..500
    std::string cursor;                                 // `next` of the previous page
};

struct AuditPage {
    std::vector<AuditRecord> items;  // newest first
    std::int64_t total = 0;
    std::optional<std::string> next;
};

struct VerifyReport {
    std::int64_t entries = 0;  // entries checked
    bool ok = true;
    std::int64_t first_bad_id = 0;  // 0 when ok (or when only the head is wrong)
    std::string reason;
};

class AuditLog : public db::AuditSink {
  public:
    explicit AuditLog(Clock clock = SystemClock()) : clock_(std::move(clock)) {}

    // db::AuditSink: how other capabilities' services record their changes.
    [[nodiscard]] core::Status Append(db::Connection& conn,
                                      const db::AuditRecord& record) const override;

    // Appends inside the caller's transaction on `conn`, so the entry commits or rolls back with
    // the change it records. Must be called inside a transaction; returns the entry id.
    [[nodiscard]] core::Result<std::int64_t> Append(db::Connection& conn,
                                                    const AuditEntry& entry) const;
    // Append in a transaction of its own (for events that change nothing else).
    [[nodiscard]] core::Result<std::int64_t> AppendInTransaction(db::Connection& conn,
                                                                 const AuditEntry& entry) const;
    // Walks the whole chain and reports the first entry that does not hold.
    [[nodiscard]] core::Result<VerifyReport> Verify(db::Connection& conn) const;
    // Entries for an admin: national admins see all; other admins see entries about
    // organisations in their subtree (entries without an organisation are national-only).
    [[nodiscard]] core::Result<AuditPage> List(db::Connection& conn, const Principal& p,
                                               const AuditFilter& filter) const;

  private:
    Clock clock_;
};

}  // namespace muhafiz::access
