#include "access/permissions.hpp"

#include <array>
#include <utility>

namespace muhafiz::access {
namespace {

constexpr std::array<std::pair<Role, std::string_view>, 5> kRoles = {{
    {Role::kAdmin, "admin"},
    {Role::kAnalyst, "analyst"},
    {Role::kReporter, "reporter"},
    {Role::kCouncil, "council"},
    {Role::kPartner, "partner"},
}};

}  // namespace

std::string_view RoleName(Role role) {
    for (const auto& [r, name] : kRoles)
        if (r == role) return name;
    return "unknown";
}

core::Result<Role> ParseRole(std::string_view text) {
    for (const auto& [r, name] : kRoles)
        if (name == text) return r;
    return core::Invalid("role", "role must be one of admin, analyst, reporter, council, partner");
}

bool HasScope(const Principal& p, std::string_view scope) { return p.scopes.contains(scope); }

bool MayRead(const Principal& p) { return HasScope(p, kScopeRead); }

bool MayWrite(const Principal& p) { return HasScope(p, kScopeWrite); }

bool CanManageUsers(const Principal& p) {
    return p.role == Role::kAdmin && HasScope(p, kScopeAdmin);
}

bool CanReadAudit(const Principal& p) { return CanManageUsers(p); }

bool CanEditOrganisations(const Principal& p) {
    return (p.role == Role::kAdmin || p.role == Role::kAnalyst) && MayWrite(p);
}

bool SeesRecords(const Principal& p) { return p.role != Role::kCouncil; }

}  // namespace muhafiz::access
