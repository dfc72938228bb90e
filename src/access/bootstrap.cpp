#include "access/bootstrap.hpp"

#include "access/users.hpp"
#include "core/ids.hpp"

namespace muhafiz::access {

core::Result<BootstrapResult> EnsureAdmin(db::Connection& conn, std::int64_t national_org_id,
                                          const std::string& password, const AuditLog& audit) {
    return db::InTransaction(conn, [&]() -> core::Result<BootstrapResult> {
        BootstrapResult result;
        auto count = MUHAFIZ_TRY(conn.Query("SELECT COUNT(*) FROM users"));
        if (count[0].Int(0) > 0) return result;
        auto org = MUHAFIZ_TRY(
            conn.Query("SELECT uuid FROM organisations WHERE id = ?", {national_org_id}));
        if (org.empty()) return core::NotFound("no national CERT organisation with that id");
        result.generated = password.empty();
        result.password = result.generated ? core::RandomToken(18) : password;
        const User user = MUHAFIZ_TRY(UserStore().Create(
            conn, NewUser{"admin", result.password, org[0].Str(0), Role::kAdmin}));
        AuditEntry e;
        e.actor = "system";
        e.organisation_id = user.organisation_id;
        e.action = "user.create";
        e.object_type = "user";
        e.object_id = user.uuid;
        e.after_json = UserAuditJson(user);
        MUHAFIZ_CHECK(audit.Append(conn, e));
        result.created = true;
        return result;
    });
}

}  // namespace muhafiz::access
