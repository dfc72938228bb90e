// Schema migrations: numbered SQL files under src/db/migrations/, compiled into the binary and
// applied in order at start-up, each inside a transaction. The version reached is recorded in
// `schema_version`; a database whose version is newer than the binary knows is refused.
//
// Migration text is portable SQL with two kinds of dialect hook:
//   {{ID}}   an auto-increment integer primary key; {{BLOB}} a byte string column;
//   lines between `-- @sqlite` / `-- @postgresql` and `-- @end` apply to that backend only.
#pragma once

#include <string>
#include <vector>

#include "db/database.hpp"

namespace muhafiz::db {

struct Migration {
    int version;
    std::string name;
    std::string sql;
};

// The migrations built into this binary, ordered by version.
[[nodiscard]] const std::vector<Migration>& BuiltInMigrations();

// Renders the dialect hooks of a migration.
[[nodiscard]] std::string RenderMigration(const std::string& sql, Dialect dialect);

// Applies what is missing; returns the version reached. Fails with kConflict when the database
// is newer than `migrations`.
[[nodiscard]] Result<int> Migrate(Connection& conn, const std::vector<Migration>& migrations);
[[nodiscard]] Result<int> Migrate(Connection& conn);  // BuiltInMigrations()

}  // namespace muhafiz::db
