// The visibility policy: the ONE place that decides who sees what (docs/architecture.md).
//
// Rules, in order:
//   - Council members see no individual records (aggregates only): "1=0".
//   - Users of the national_cert root see everything: "1=1".
//   - Everyone else sees their own organisation and everything below it (materialised path
//     range: path >= "/1/4/" AND path < "/1/40", the upper bound being the prefix with its last
//     '/' replaced by '0', the next character), plus, for records, what was explicitly shared
//     with their organisation (table `shares`).
// The range trick needs byte-wise comparison of `path` (SQLite BINARY; PostgreSQL "C" collation
// or a C/C.UTF-8 database locale).
//
// Records a principal may not see must be indistinguishable from missing ones: callers answer
// kNotFound ("no such incident") for both, never kPermissionDenied, so ids cannot be probed.
//
// Predicates are SQL fragments with `?` parameters, to be AND-ed into a WHERE clause; column
// names are trusted text from the caller (never user input).
// Thread-safety: stateless; safe to share between threads.
#pragma once

#include <string>
#include <string_view>

#include "access/permissions.hpp"
#include "db/database.hpp"

namespace muhafiz::access {

enum class Access { kRead, kWrite };

// The organisations a principal may see as a range of materialised paths: what
// Policy::OrganisationScope writes as SQL, for code that must also apply it outside SQL (e.g. to
// events stored together in one block).
struct PathScope {
    enum class Kind { kAll, kNone, kRange };
    Kind kind = Kind::kAll;
    std::string lo, hi;  // kRange: lo <= path < hi (byte-wise)
    [[nodiscard]] bool Contains(std::string_view path) const;
    [[nodiscard]] db::Predicate Sql(std::string_view path_column) const;
};

class Policy {
  public:
    // Organisations (or rows carrying an organisation path) the principal may see.
    [[nodiscard]] PathScope OrganisationPaths(const Principal& p) const;
    // The same as a predicate on `path_column`.
    [[nodiscard]] db::Predicate OrganisationScope(const Principal& p,
                                                  std::string_view path_column) const;
    // Records of `object_type` owned by the organisation at `org_path_column`, whose numeric id
    // is `object_id_column`: the organisation scope OR a share with the principal's organisation
    // (for kWrite, a share with access 'write').
    [[nodiscard]] db::Predicate RecordScope(const Principal& p, std::string_view org_path_column,
                                            std::string_view object_type,
                                            std::string_view object_id_column,
                                            Access access = Access::kRead) const;
    // Single-record check against an organisation path ("/1/4/17/").
    [[nodiscard]] bool CanSeeOrganisationPath(const Principal& p, std::string_view path) const;
};

// True when the organisation at path_a is path_b's organisation or one of its ancestors.
[[nodiscard]] bool IsAncestorOrSelf(std::string_view path_a, std::string_view path_b);

}  // namespace muhafiz::access
