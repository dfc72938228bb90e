#include "access/policy.hpp"

#include <string>

namespace muhafiz::access {

db::Predicate Policy::OrganisationScope(const Principal& p, std::string_view path_column) const {
    if (p.role == Role::kCouncil) return {"1=0", {}};
    if (p.is_national) return {"1=1", {}};
    const std::string& prefix = p.organisation_path;
    if (prefix.size() < 2 || prefix.front() != '/' || prefix.back() != '/')
        return {"1=0", {}};  // a malformed principal sees nothing
    std::string upper = prefix;
    upper.back() = '0';  // '0' is the character after '/'
    const std::string col(path_column);
    return {"(" + col + " >= ? AND " + col + " < ?)", {prefix, std::move(upper)}};
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
