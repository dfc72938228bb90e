// The seam through which capability services record changes in the audit log, inside their own
// transaction (so a change and its audit entry commit together). `access::AuditLog` implements
// it; app/ wires it in. Implementations must be thread-safe.
#pragma once

#include <string>

#include "core/actor.hpp"
#include "db/database.hpp"

namespace muhafiz::db {

struct AuditRecord {
    core::Actor actor;
    std::string action;       // "organisation.create", "user.update", ...
    std::string object_type;  // "organisation"
    std::string object_id;    // public id
    std::string before;       // JSON text or empty
    std::string after;        // JSON text or empty
};

class AuditSink {
public:
    virtual ~AuditSink() = default;
    [[nodiscard]] virtual Status Append(Connection& conn, const AuditRecord& record) const = 0;
};

}  // namespace muhafiz::db
