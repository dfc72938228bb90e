// Internal: the two Connection implementations. Not for use outside db/.
#pragma once

#include <memory>
#include <string>

#include "db/database.hpp"

namespace muhafiz::db::internal {

[[nodiscard]] Result<std::unique_ptr<Connection>> OpenSqlite(const std::string& path,
                                                             const Options& options);
[[nodiscard]] Result<std::unique_ptr<Connection>> OpenPostgres(const std::string& url);

}  // namespace muhafiz::db::internal
