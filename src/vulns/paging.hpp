// Keyset pagination shared by the asset and finding stores: an opaque cursor (base64url of
// [sort, last key, last id]) and the SQL condition that continues after it.
// Thread-safety: pure functions. Errors: kInvalidArgument with field "cursor".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "db/database.hpp"

namespace muhafiz::vulns {

// A sort order the caller accepted: `column` is the SQL expression, `numeric` how its key is
// carried in a cursor (integers and doubles as numbers, the rest as text).
struct SortOrder {
    std::string name;  // as the client wrote it, e.g. "-priority"; the cursor is bound to it
    std::string column;
    bool descending = false;
    enum class Kind { kText, kInt, kDouble } kind = Kind::kText;
};

// The cursor that continues after the row with sort key `key` and internal id `id`.
[[nodiscard]] std::string EncodeCursor(const SortOrder& sort, const db::Value& key, std::int64_t id);

// Appends " AND (<column> > ? OR (<column> = ? AND <id_column> > ?))" (or < when descending) for
// a non-empty cursor.
[[nodiscard]] core::Status ApplyCursor(const SortOrder& sort, std::string_view cursor,
                                       std::string_view id_column, std::string& where,
                                       db::Params& params);

// ORDER BY and LIMIT for one page (one row more than `limit`, to know whether there is a next).
[[nodiscard]] std::string PageClause(const SortOrder& sort, std::string_view id_column, int limit);

}  // namespace muhafiz::vulns
