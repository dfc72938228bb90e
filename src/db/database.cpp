#include "db/database.hpp"

#include <charconv>
#include <cstdio>

#include "db/backends.hpp"

namespace muhafiz::db {

std::string_view DialectName(Dialect d) {
    return d == Dialect::kSqlite ? "sqlite" : "postgresql";
}

std::int64_t Row::Int(std::size_t i) const {
    const Value& v = cells[i];
    if (auto p = std::get_if<std::int64_t>(&v)) return *p;
    if (auto p = std::get_if<double>(&v)) return static_cast<std::int64_t>(*p);
    if (auto p = std::get_if<std::string>(&v)) {
        if (*p == "t" || *p == "true") return 1;
        if (*p == "f" || *p == "false") return 0;
        std::int64_t out = 0;
        std::from_chars(p->data(), p->data() + p->size(), out);
        return out;
    }
    return 0;
}

double Row::Double(std::size_t i) const {
    const Value& v = cells[i];
    if (auto p = std::get_if<double>(&v)) return *p;
    if (auto p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
    if (auto p = std::get_if<std::string>(&v)) return std::strtod(p->c_str(), nullptr);
    return 0;
}

std::string Row::Str(std::size_t i) const {
    const Value& v = cells[i];
    if (auto p = std::get_if<std::string>(&v)) return *p;
    if (auto p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
    if (auto p = std::get_if<double>(&v)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *p);
        return buf;
    }
    return {};
}

std::optional<std::string> Row::OptStr(std::size_t i) const {
    if (IsNull(i)) return std::nullopt;
    return Str(i);
}

std::optional<std::int64_t> Row::OptInt(std::size_t i) const {
    if (IsNull(i)) return std::nullopt;
    return Int(i);
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& url, Options options) {
    std::unique_ptr<Database> db;
    if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
        db.reset(new Database(Dialect::kPostgres, url, options));
    } else {
        std::string path = url.rfind("sqlite:", 0) == 0 ? url.substr(7) : url;
        if (path.empty()) return core::Invalid("database", "empty SQLite database path");
        if (path == ":memory:") options.pool_size = 1;  // every connection would be a new database
        db.reset(new Database(Dialect::kSqlite, path, options));
    }
    auto conn = db->Connect();
    if (!conn) return tl::unexpected(conn.error());
    db->open_ = 1;
    db->Release(std::move(*conn));
    return db;
}

Database::~Database() = default;

Result<std::unique_ptr<Connection>> Database::Connect() {
    if (dialect_ == Dialect::kPostgres) return internal::OpenPostgres(url_);
    return internal::OpenSqlite(url_, options_);
}

Result<Database::Handle> Database::Acquire() {
    std::unique_lock lock(mu_);
    for (;;) {
        while (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            if (conn->Healthy()) return Handle(this, std::move(conn));
            --open_;  // drop a broken connection and open a fresh one
        }
        if (open_ < options_.pool_size) {
            ++open_;
            lock.unlock();
            auto conn = Connect();
            if (!conn) {
                std::lock_guard relock(mu_);
                --open_;
                cv_.notify_one();
                return tl::unexpected(conn.error());
            }
            return Handle(this, std::move(*conn));
        }
        cv_.wait(lock);
    }
}

void Database::Release(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mu_);
    if (conn && conn->Healthy()) {
        idle_.push_back(std::move(conn));
    } else if (open_ > 0) {
        --open_;
    }
    cv_.notify_one();
}

Database::Handle::~Handle() {
    if (conn_ && db_) db_->Release(std::move(conn_));
}

Result<Transaction> Transaction::Begin(Connection& conn) {
    if (auto s = conn.Begin(); !s) return tl::unexpected(s.error());
    return Transaction(conn);
}

Transaction::~Transaction() {
    if (!done_) (void)conn_->Rollback();
}

Status Transaction::Commit() {
    done_ = true;
    return conn_->Commit();
}

}  // namespace muhafiz::db
