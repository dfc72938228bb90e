// PostgreSQL backend over libpq: `?` placeholders rewritten to `$n`, statements prepared once per
// connection, text-format parameters, COPY for bulk loads.
#include <libpq-fe.h>

#include <unordered_map>

#include "db/backends.hpp"

namespace muhafiz::db::internal {
namespace {

using core::ErrorCode;
using core::Fail;

// Rewrites `?` placeholders to `$1..$n`, leaving quoted text and comments alone.
std::string RewritePlaceholders(std::string_view sql) {
    std::string out;
    out.reserve(sql.size() + 16);
    int n = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (c == '\'' || c == '"') {
            const std::size_t end = sql.find(c, i + 1);
            const std::size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
            out.append(sql.substr(i, stop - i));
            i = stop - 1;
        } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            const std::size_t end = sql.find('\n', i);
            const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
            out.append(sql.substr(i, stop - i));
            i = stop - 1;
        } else if (c == '?') {
            out += '$';
            out += std::to_string(++n);
        } else {
            out += c;
        }
    }
    return out;
}

void AppendCopyValue(std::string& out, const Value& v) {
    if (std::holds_alternative<std::nullptr_t>(v)) {
        out += "\\N";
    } else if (auto p = std::get_if<std::int64_t>(&v)) {
        out += std::to_string(*p);
    } else if (auto p = std::get_if<double>(&v)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *p);
        out += buf;
    } else {
        for (char c : std::get<std::string>(v)) {
            switch (c) {
                case '\\': out += "\\\\"; break;
                case '\t': out += "\\t"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                default: out += c;
            }
        }
    }
}

class PgResult {
public:
    explicit PgResult(PGresult* r) : r_(r) {}
    ~PgResult() { PQclear(r_); }
    PgResult(const PgResult&) = delete;
    PgResult& operator=(const PgResult&) = delete;
    PGresult* get() const { return r_; }

private:
    PGresult* r_;
};

class PgConnection final : public Connection {
public:
    explicit PgConnection(PGconn* c) : conn_(c) {}
    ~PgConnection() override { PQfinish(conn_); }

    Dialect dialect() const override { return Dialect::kPostgres; }
    bool Healthy() override { return PQstatus(conn_) == CONNECTION_OK; }

    Result<Rows> Query(std::string_view sql, const Params& params) override {
        auto res = Run(sql, params);
        if (!res) return tl::unexpected(res.error());
        PGresult* r = (*res)->get();
        Rows rows;
        const int ncol = PQnfields(r);
        const int nrow = PQntuples(r);
        std::vector<Oid> types(ncol);
        for (int c = 0; c < ncol; ++c) {
            rows.columns.emplace_back(PQfname(r, c));
            types[c] = PQftype(r, c);
        }
        rows.rows.reserve(nrow);
        for (int i = 0; i < nrow; ++i) {
            Row row;
            row.cells.reserve(ncol);
            for (int c = 0; c < ncol; ++c) {
                if (PQgetisnull(r, i, c)) {
                    row.cells.emplace_back(nullptr);
                    continue;
                }
                const char* text = PQgetvalue(r, i, c);
                switch (types[c]) {
                    case 20: case 21: case 23: case 26:  // int8, int2, int4, oid
                        row.cells.emplace_back(static_cast<std::int64_t>(std::strtoll(text, nullptr, 10)));
                        break;
                    case 16:  // bool
                        row.cells.emplace_back(std::int64_t{text[0] == 't' ? 1 : 0});
                        break;
                    case 700: case 701: case 1700:  // float4, float8, numeric
                        row.cells.emplace_back(std::strtod(text, nullptr));
                        break;
                    default:
                        row.cells.emplace_back(std::string(text, static_cast<std::size_t>(PQgetlength(r, i, c))));
                }
            }
            rows.rows.push_back(std::move(row));
        }
        return rows;
    }

    Result<std::int64_t> Execute(std::string_view sql, const Params& params) override {
        auto res = Run(sql, params);
        if (!res) return tl::unexpected(res.error());
        const char* n = PQcmdTuples((*res)->get());
        return static_cast<std::int64_t>(n && *n ? std::strtoll(n, nullptr, 10) : 0);
    }

    Status ExecuteScript(std::string_view sql) override {
        PgResult r(PQexec(conn_, std::string(sql).c_str()));
        return Check(r.get(), sql);
    }

    Result<std::int64_t> BulkInsert(std::string_view table, const std::vector<std::string>& columns,
                                    const std::vector<Params>& rows) override {
        std::string sql = "COPY " + std::string(table) + " (";
        for (std::size_t i = 0; i < columns.size(); ++i) sql += (i ? "," : "") + columns[i];
        sql += ") FROM STDIN";
        {
            PgResult r(PQexec(conn_, sql.c_str()));
            if (PQresultStatus(r.get()) != PGRES_COPY_IN) return tl::unexpected(ToError(r.get(), sql));
        }
        std::string buf;
        buf.reserve(1 << 20);
        for (const auto& row : rows) {
            if (row.size() != columns.size()) {
                PQputCopyEnd(conn_, "row width does not match the columns");
                Drain();
                return Fail(ErrorCode::kInternal, "bulk insert: row width does not match the columns");
            }
            for (std::size_t i = 0; i < row.size(); ++i) {
                if (i) buf += '\t';
                AppendCopyValue(buf, row[i]);
            }
            buf += '\n';
            if (buf.size() > (1 << 20)) {
                if (PQputCopyData(conn_, buf.data(), static_cast<int>(buf.size())) != 1) break;
                buf.clear();
            }
        }
        if (!buf.empty()) PQputCopyData(conn_, buf.data(), static_cast<int>(buf.size()));
        PQputCopyEnd(conn_, nullptr);
        Status status;
        while (PGresult* r = PQgetResult(conn_)) {
            PgResult guard(r);
            if (status) status = Check(r, sql);
        }
        if (!status) return tl::unexpected(status.error());
        return static_cast<std::int64_t>(rows.size());
    }

    Status Begin() override { return ExecuteScript("BEGIN"); }
    Status Commit() override { return ExecuteScript("COMMIT"); }
    Status Rollback() override { return ExecuteScript("ROLLBACK"); }

private:
    void Drain() {
        while (PGresult* r = PQgetResult(conn_)) PQclear(r);
    }

    Result<std::unique_ptr<PgResult>> Run(std::string_view sql, const Params& params) {
        std::string key(sql);
        auto it = prepared_.find(key);
        if (it == prepared_.end()) {
            std::string name = "s" + std::to_string(prepared_.size() + 1);
            const std::string text = RewritePlaceholders(sql);
            PgResult r(PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr));
            if (auto s = Check(r.get(), sql); !s) return tl::unexpected(s.error());
            it = prepared_.emplace(std::move(key), std::move(name)).first;
        }
        std::vector<std::string> storage(params.size());
        std::vector<const char*> values(params.size(), nullptr);
        for (std::size_t i = 0; i < params.size(); ++i) {
            const Value& v = params[i];
            if (std::holds_alternative<std::nullptr_t>(v)) continue;
            if (auto p = std::get_if<std::int64_t>(&v)) {
                storage[i] = std::to_string(*p);
            } else if (auto p = std::get_if<double>(&v)) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "%.17g", *p);
                storage[i] = buf;
            } else {
                storage[i] = std::get<std::string>(v);
            }
            values[i] = storage[i].c_str();
        }
        auto res = std::make_unique<PgResult>(PQexecPrepared(conn_, it->second.c_str(),
                                                             static_cast<int>(params.size()),
                                                             values.data(), nullptr, nullptr, 0));
        if (auto s = Check(res->get(), sql); !s) return tl::unexpected(s.error());
        return res;
    }

    Status Check(PGresult* r, std::string_view sql) {
        const auto st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return {};
        return tl::unexpected(ToError(r, sql));
    }

    core::Error ToError(PGresult* r, std::string_view sql) {
        if (PQstatus(conn_) != CONNECTION_OK)
            return {ErrorCode::kUnavailable, std::string("PostgreSQL connection lost: ") + PQerrorMessage(conn_), {}};
        const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
        std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        const std::string code = state ? state : "";
        if (code == "23505") return {ErrorCode::kConflict, "already exists (" + msg + ")", {}};
        if (code == "23503") return {ErrorCode::kConflict, "still referenced or missing reference (" + msg + ")", {}};
        if (code.rfind("23", 0) == 0) return {ErrorCode::kConflict, msg, {}};
        if (code == "40001" || code == "40P01" || code == "55P03")
            return {ErrorCode::kUnavailable, "database is busy: " + msg, {}};
        return {ErrorCode::kInternal, "PostgreSQL: " + msg + " in: " + std::string(sql.substr(0, 200)), {}};
    }

    PGconn* conn_;
    std::unordered_map<std::string, std::string> prepared_;
};

void IgnoreNotice(void*, const char*) {}

}  // namespace

Result<std::unique_ptr<Connection>> OpenPostgres(const std::string& url) {
    PGconn* c = PQconnectdb(url.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
        std::string msg = PQerrorMessage(c);
        PQfinish(c);
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        for (auto& ch : msg) if (ch == '\n') ch = ' ';
        return Fail(ErrorCode::kUnavailable, "cannot connect to PostgreSQL: " + msg);
    }
    PQsetNoticeProcessor(c, IgnoreNotice, nullptr);
    auto conn = std::make_unique<PgConnection>(c);
    if (auto s = conn->ExecuteScript("SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'"); !s)
        return tl::unexpected(s.error());
    // No JIT: our queries are short and indexed, but a correlated subquery under a LIMIT (TAXII
    // pages) is estimated expensive enough to be JIT-compiled, ~0.4 s per page for a 5 ms query.
    // Servers without JIT (before PostgreSQL 11) refuse the setting: ignored.
    (void)conn->ExecuteScript("SET jit = off");
    return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace muhafiz::db::internal
