#include "access/policy.hpp"

#include <string>

namespace muhafiz::access {

PathScope Policy::OrganisationPaths(const Principal& p) const {
    PathScope out;
    if (p.role == Role::kCouncil) {
        out.kind = PathScope::Kind::kNone;
        return out;
    }
    if (p.is_national) return out;
    const std::string& prefix = p.organisation_path;
    if (prefix.size() < 2 || prefix.front() != '/' || prefix.back() != '/') {
        out.kind = PathScope::Kind::kNone;  // a malformed principal sees nothing
        return out;
    }
    out.kind = PathScope::Kind::kRange;
    out.lo = prefix;
    out.hi = prefix;
    out.hi.back() = '0';  // '0' is the character after '/'
    return out;
}

bool PathScope::Contains(std::string_view path) const {
    switch (kind) {
        case Kind::kAll: return true;
        case Kind::kNone: return false;
        case Kind::kRange: return path >= std::string_view(lo) && path < std::string_view(hi);
    }
    return false;
}

db::Predicate PathScope::Sql(std::string_view path_column) const {
    switch (kind) {
        case Kind::kAll: return {"1=1", {}};
        case Kind::kNone: return {"1=0", {}};
        case Kind::kRange: break;
    }
    const std::string col(path_column);
    return {"(" + col + " >= ? AND " + col + " < ?)", {lo, hi}};
}

db::Predicate Policy::OrganisationScope(const Principal& p, std::string_view path_column) const {
    return OrganisationPaths(p).Sql(path_column);
}

db::Predicate Policy::RecordScope(const Principal& p, std::string_view org_path_column,
                                  std::string_view object_type, std::string_view object_id_column,
                                  Access access) const {
    db::Predicate own = OrganisationScope(p, org_path_column);
    if (p.role == Role::kCouncil || p.is_national) return own;
    own.sql = "(" + own.sql +
              " OR EXISTS (SELECT 1 FROM shares sh WHERE sh.object_type = ? AND sh.object_id = " +
              std::string(object_id_column) + " AND sh.organisation_id = ?" +
              (access == Access::kWrite ? " AND sh.access = 'write'" : "") + "))";
    own.params.emplace_back(std::string(object_type));
    own.params.emplace_back(p.organisation_id);
    return own;
}

bool Policy::CanSeeOrganisationPath(const Principal& p, std::string_view path) const {
    if (p.role == Role::kCouncil) return false;
    if (p.is_national) return true;
    return IsAncestorOrSelf(p.organisation_path, path);
}

bool IsAncestorOrSelf(std::string_view path_a, std::string_view path_b) {
    return path_a.size() >= 2 && path_a.front() == '/' && path_a.back() == '/' &&
           path_b.starts_with(path_a);
}

}  // namespace muhafiz::access
