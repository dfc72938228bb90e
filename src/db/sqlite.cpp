// SQLite backend: WAL, foreign keys on, a cache of prepared statements per connection.
#include <sqlite3.h>

#include <filesystem>
#include <unordered_map>

#include "db/backends.hpp"

namespace muhafiz::db::internal {
namespace {

using core::ErrorCode;
using core::Fail;

class SqliteConnection final : public Connection {
public:
    SqliteConnection(sqlite3* db) : db_(db) {}
    ~SqliteConnection() override {
        for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
        sqlite3_close_v2(db_);
    }

    Dialect dialect() const override { return Dialect::kSqlite; }
    bool Healthy() override { return true; }

    Result<Rows> Query(std::string_view sql, const Params& params) override {
        auto stmt = Prepare(sql);
        if (!stmt) return tl::unexpected(stmt.error());
        if (auto s = Bind(*stmt, params); !s) return tl::unexpected(s.error());
        Rows rows;
        const int ncol = sqlite3_column_count(*stmt);
        rows.columns.reserve(ncol);
        for (int i = 0; i < ncol; ++i) rows.columns.emplace_back(sqlite3_column_name(*stmt, i));
        for (;;) {
            const int rc = sqlite3_step(*stmt);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) {
                auto err = Error(rc, sql);
                sqlite3_reset(*stmt);
                return tl::unexpected(err);
            }
            Row row;
            row.cells.reserve(ncol);
            for (int i = 0; i < ncol; ++i) {
                switch (sqlite3_column_type(*stmt, i)) {
                    case SQLITE_NULL: row.cells.emplace_back(nullptr); break;
                    case SQLITE_INTEGER:
                        row.cells.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(*stmt, i)));
                        break;
                    case SQLITE_FLOAT: row.cells.emplace_back(sqlite3_column_double(*stmt, i)); break;
                    default: {
                        const auto* text = reinterpret_cast<const char*>(sqlite3_column_blob(*stmt, i));
                        const int n = sqlite3_column_bytes(*stmt, i);
                        row.cells.emplace_back(std::string(text ? text : "", static_cast<std::size_t>(n)));
                    }
                }
            }
            rows.rows.push_back(std::move(row));
        }
        sqlite3_reset(*stmt);
        return rows;
    }

    Result<std::int64_t> Execute(std::string_view sql, const Params& params) override {
        auto stmt = Prepare(sql);
        if (!stmt) return tl::unexpected(stmt.error());
        if (auto s = Bind(*stmt, params); !s) return tl::unexpected(s.error());
        for (;;) {
            const int rc = sqlite3_step(*stmt);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) {
                auto err = Error(rc, sql);
                sqlite3_reset(*stmt);
                return tl::unexpected(err);
            }
        }
        sqlite3_reset(*stmt);
        return static_cast<std::int64_t>(sqlite3_changes64(db_));
    }

    Status ExecuteScript(std::string_view sql) override {
        char* msg = nullptr;
        const std::string text(sql);
        if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
            std::string m = msg ? msg : "unknown error";
            sqlite3_free(msg);
            return Fail(ErrorCode::kInternal, "SQLite: " + m);
        }
        return {};
    }

    Result<std::int64_t> BulkInsert(std::string_view table, const std::vector<std::string>& columns,
                                    const std::vector<Params>& rows) override {
        // Up to kRowsPerStatement rows per INSERT (one VDBE run, one AUTOINCREMENT update per
        // statement instead of per row); the texts are bound without a copy (the rows outlive
        // each step).
        constexpr std::size_t kRowsPerStatement = 64;
        if (columns.empty()) return Fail(ErrorCode::kInternal, "bulk insert: no columns");
        std::string head = "INSERT INTO " + std::string(table) + " (";
        for (std::size_t i = 0; i < columns.size(); ++i) head += (i ? "," : "") + columns[i];
        head += ") VALUES ";
        std::string tuple = "(";
        for (std::size_t i = 0; i < columns.size(); ++i) tuple += i ? ",?" : "?";
        tuple += ")";
        const std::size_t per = std::max<std::size_t>(1, std::min(kRowsPerStatement, 32000 / columns.size()));
        std::int64_t n = 0;
        for (std::size_t at = 0; at < rows.size();) {
            const std::size_t k = rows.size() - at >= per ? per : 1;
            std::string sql = head;
            for (std::size_t r = 0; r < k; ++r) sql += (r ? "," : "") + tuple;
            auto stmt = Prepare(sql);
            if (!stmt) return tl::unexpected(stmt.error());
            for (std::size_t r = 0; r < k; ++r) {
                if (rows[at + r].size() != columns.size())
                    return Fail(ErrorCode::kInternal, "bulk insert: row width does not match the columns");
                if (auto s = BindValues(*stmt, rows[at + r], static_cast<int>(r * columns.size()), SQLITE_STATIC); !s)
                    return tl::unexpected(s.error());
            }
            const int rc = sqlite3_step(*stmt);
            sqlite3_reset(*stmt);
            sqlite3_clear_bindings(*stmt);
            if (rc != SQLITE_DONE) return tl::unexpected(Error(rc, sql));
            at += k;
            n += static_cast<std::int64_t>(k);
        }
        return n;
    }

    Status Begin() override { return ExecuteScript("BEGIN IMMEDIATE"); }
    Status Commit() override { return ExecuteScript("COMMIT"); }
    Status Rollback() override { return ExecuteScript("ROLLBACK"); }

private:
    Result<sqlite3_stmt*> Prepare(std::string_view sql) {
        auto it = cache_.find(std::string(sql));
        if (it != cache_.end()) {
            sqlite3_clear_bindings(it->second);
            return it->second;
        }
        sqlite3_stmt* stmt = nullptr;
        const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                          SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
        if (rc != SQLITE_OK) return tl::unexpected(Error(rc, sql));
        if (cache_.size() > 512) {
            for (auto& [s, st] : cache_) sqlite3_finalize(st);
            cache_.clear();
        }
        cache_.emplace(std::string(sql), stmt);
        return stmt;
    }

    Status Bind(sqlite3_stmt* stmt, const Params& params) {
        const int expected = sqlite3_bind_parameter_count(stmt);
        if (expected != static_cast<int>(params.size()))
            return Fail(ErrorCode::kInternal, "SQL expects " + std::to_string(expected) +
                                                  " parameters, got " + std::to_string(params.size()));
        return BindValues(stmt, params, 0, SQLITE_TRANSIENT);
    }

    // Binds params to the parameters offset+1.. of stmt.
    Status BindValues(sqlite3_stmt* stmt, const Params& params, int offset, sqlite3_destructor_type text) {
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int idx = offset + static_cast<int>(i + 1);
            int rc = SQLITE_OK;
            if (std::holds_alternative<std::nullptr_t>(params[i])) {
                rc = sqlite3_bind_null(stmt, idx);
            } else if (auto p = std::get_if<std::int64_t>(&params[i])) {
                rc = sqlite3_bind_int64(stmt, idx, *p);
            } else if (auto p = std::get_if<double>(&params[i])) {
                rc = sqlite3_bind_double(stmt, idx, *p);
            } else {
                const auto& s = std::get<std::string>(params[i]);
                rc = sqlite3_bind_text64(stmt, idx, s.data(), s.size(), text, SQLITE_UTF8);
            }
            if (rc != SQLITE_OK) return tl::unexpected(Error(rc, "bind"));
        }
        return {};
    }

    core::Error Error(int rc, std::string_view sql) {
        const int ext = sqlite3_extended_errcode(db_);
        std::string msg = sqlite3_errmsg(db_);
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return {ErrorCode::kConflict, "already exists (" + msg + ")", {}};
        if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
            return {ErrorCode::kConflict, "still referenced or missing reference (" + msg + ")", {}};
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            return {ErrorCode::kUnavailable, "database is busy: " + msg, {}};
        if ((rc & 0xff) == SQLITE_CONSTRAINT) return {ErrorCode::kConflict, msg, {}};
        return {ErrorCode::kInternal, "SQLite: " + msg + " in: " + std::string(sql.substr(0, 200)), {}};
    }

    sqlite3* db_;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

Result<std::unique_ptr<Connection>> OpenSqlite(const std::string& path, const Options& options) {
    if (path != ":memory:") {
        std::error_code ec;
        const auto parent = std::filesystem::path(path).parent_path();
        if (!parent.empty() && !std::filesystem::exists(parent, ec))
            std::filesystem::create_directories(parent, ec);
        if (ec)
            return Fail(ErrorCode::kUnavailable, "cannot create the folder of " + path + ": " + ec.message());
    }
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close_v2(db);
        return Fail(ErrorCode::kUnavailable, "cannot open SQLite database " + path + ": " + msg);
    }
    auto conn = std::make_unique<SqliteConnection>(db);
    sqlite3_busy_timeout(db, options.busy_timeout_ms);
    // page_size applies to a new database only (set before WAL; an existing one keeps its own):
    // 32 KiB rather than SQLite's 4 KiB because the feeds' event blocks are values of megabytes,
    // written through the WAL and copied back: 8 times fewer pages per megabyte halved the CPU
    // of storing them, while lists and searches of small rows stayed within their targets.
    const std::string pragmas = "PRAGMA page_size=32768; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-" +
                                std::to_string(options.cache_kib) + ";";
    if (auto s = conn->ExecuteScript(pragmas); !s)
        return Fail(ErrorCode::kUnavailable, "cannot use SQLite database " + path + ": " + s.error().message);
    // A database file that is not writable fails here rather than on the first write.
    if (sqlite3_db_readonly(db, "main") == 1)
        return Fail(ErrorCode::kUnavailable, "SQLite database " + path + " is read-only");
    return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace muhafiz::db::internal
