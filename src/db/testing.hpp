// Test support: opens a fresh, migrated database on each backend, so that every store test runs
// on SQLite and on PostgreSQL. The PostgreSQL server is the throw-away one that ctest starts
// (fixture "postgres"; its URL is in the file named by MUHAFIZ_TEST_PG_FILE); each call gets a
// schema of its own. Without that file the PostgreSQL case fails, unless MUHAFIZ_TEST_NO_PG=1.
// SQLite databases are files in <temp>/muhafiz-test, removed when the test process exits
// (MUHAFIZ_TEST_KEEP_DB=1 keeps them).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "db/database.hpp"

namespace muhafiz::db::testing {

// "sqlite" and "postgresql": for INSTANTIATE_TEST_SUITE_P.
[[nodiscard]] std::vector<std::string> BackendNames();
// A URL for a new empty database on `backend`.
[[nodiscard]] std::string FreshUrl(const std::string& backend);
// Opens FreshUrl(backend) and applies the built-in migrations; aborts the test on failure.
[[nodiscard]] std::unique_ptr<Database> OpenFresh(const std::string& backend);

}  // namespace muhafiz::db::testing
