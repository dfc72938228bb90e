// The one SQL interface (docs/architecture.md) over SQLite and PostgreSQL.
//
// SQL is written once with `?` placeholders; the PostgreSQL backend rewrites them to `$n`.
// Values are NULL, 64-bit integers, doubles or text (booleans are stored as 0/1 integers;
// timestamps as integer microseconds). Prepared statements are cached per connection.
//
// Thread-safety: a Database is a thread-safe pool. A Connection is used by one thread at a time:
// take one with Database::Acquire() and keep it for the length of a unit of work.
// Errors: unique and foreign-key violations are kConflict; a lost or unreachable server is
// kUnavailable; anything else is kInternal with the server's message.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace muhafiz::db {

using core::Result;
using core::Status;

enum class Dialect { kSqlite, kPostgres };

[[nodiscard]] std::string_view DialectName(Dialect d);  // "sqlite" / "postgresql"

using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

inline Value Null() { return nullptr; }
inline Value Bool(bool b) { return std::int64_t{b ? 1 : 0}; }
template <typename T>
Value Opt(const std::optional<T>& v) {
    if (!v) return nullptr;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
        return static_cast<std::int64_t>(*v);
    else
        return Value(*v);
}

struct Row {
    std::vector<Value> cells;

    bool IsNull(std::size_t i) const { return std::holds_alternative<std::nullptr_t>(cells[i]); }
    std::int64_t Int(std::size_t i) const;        // NULL → 0; text is parsed
    double Double(std::size_t i) const;           // NULL → 0
    bool Bool(std::size_t i) const { return Int(i) != 0; }
    std::string Str(std::size_t i) const;         // NULL → ""; numbers are formatted
    std::optional<std::string> OptStr(std::size_t i) const;
    std::optional<std::int64_t> OptInt(std::size_t i) const;
};

struct Rows {
    std::vector<std::string> columns;
    std::vector<Row> rows;

    bool empty() const { return rows.empty(); }
    std::size_t size() const { return rows.size(); }
    const Row& operator[](std::size_t i) const { return rows[i]; }
    auto begin() const { return rows.begin(); }
    auto end() const { return rows.end(); }
};

using Params = std::vector<Value>;

class Connection {
public:
    virtual ~Connection() = default;
    virtual Dialect dialect() const = 0;

    // One statement; returns its rows (none for statements without RETURNING).
    [[nodiscard]] virtual Result<Rows> Query(std::string_view sql, const Params& params = {}) = 0;
    // One statement; returns the number of rows changed.
    [[nodiscard]] virtual Result<std::int64_t> Execute(std::string_view sql,
                                                       const Params& params = {}) = 0;
    // Several statements without parameters (migrations).
    [[nodiscard]] virtual Status ExecuteScript(std::string_view sql) = 0;
    // Inserts many rows into `table` (prepared batch on SQLite, COPY on PostgreSQL).
    // Call inside a transaction for atomicity and speed.
    [[nodiscard]] virtual Result<std::int64_t> BulkInsert(std::string_view table,
                                                          const std::vector<std::string>& columns,
                                                          const std::vector<Params>& rows) = 0;

    [[nodiscard]] virtual Status Begin() = 0;  // a write transaction (SQLite: BEGIN IMMEDIATE)
    [[nodiscard]] virtual Status Commit() = 0;
    [[nodiscard]] virtual Status Rollback() = 0;
    virtual bool Healthy() = 0;  // false after the server went away
};

struct Options {
    std::size_t pool_size = 8;
    int busy_timeout_ms = 10000;     // SQLite
    std::int64_t cache_kib = 65536;  // SQLite page cache
};

class Database {
public:
    // `url` is "postgresql://..." / "postgres://..." for PostgreSQL; "sqlite:PATH", a path, or
    // ":memory:" for SQLite. Connects once to fail early on a bad URL or unreachable server.
    [[nodiscard]] static Result<std::unique_ptr<Database>> Open(const std::string& url,
                                                                Options options = {});
    ~Database();

    Dialect dialect() const { return dialect_; }
    const std::string& url() const { return url_; }

    class Handle {
    public:
        Handle(Database* db, std::unique_ptr<Connection> conn) : db_(db), conn_(std::move(conn)) {}
        Handle(Handle&&) = default;
        Handle& operator=(Handle&&) = delete;
        ~Handle();
        Connection* operator->() const { return conn_.get(); }
        Connection& operator*() const { return *conn_; }

    private:
        Database* db_;
        std::unique_ptr<Connection> conn_;
    };

    // Waits for a free connection (opening a new one while under pool_size).
    [[nodiscard]] Result<Handle> Acquire();

private:
    Database(Dialect d, std::string url, Options o) : dialect_(d), url_(std::move(url)), options_(o) {}
    [[nodiscard]] Result<std::unique_ptr<Connection>> Connect();
    void Release(std::unique_ptr<Connection> conn);

    Dialect dialect_;
    std::string url_;
    Options options_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;
};

// RAII write transaction: begins on construction, rolls back on destruction unless committed.
class Transaction {
public:
    [[nodiscard]] static Result<Transaction> Begin(Connection& conn);
    Transaction(Transaction&& o) noexcept : conn_(o.conn_), done_(o.done_) { o.done_ = true; }
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    [[nodiscard]] Status Commit();

private:
    explicit Transaction(Connection& c) : conn_(&c) {}
    Connection* conn_;
    bool done_ = false;
};

// Runs `fn` inside a transaction on `conn`, committing when it succeeds.
template <typename F>
auto InTransaction(Connection& conn, F&& fn) -> decltype(fn()) {
    auto tx = Transaction::Begin(conn);
    if (!tx) return tl::unexpected(tx.error());
    auto result = fn();
    if (!result) return result;
    if (auto c = tx->Commit(); !c) return tl::unexpected(c.error());
    return result;
}

// A SQL boolean fragment with its parameters, e.g. the visibility predicate from `access`.
struct Predicate {
    std::string sql = "1=1";
    Params params;
};

}  // namespace muhafiz::db
