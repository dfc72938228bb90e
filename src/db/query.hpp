// Small helpers for building list queries the same way in every store: page-size checks, a
// WHERE builder, and case-insensitive substring patterns for LIKE.
// Thread-safety: pure functions and plain values.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "db/database.hpp"

namespace muhafiz::db {

inline constexpr int kMaxPageSize = 500;

// kInvalidArgument (field "limit") outside 1..kMaxPageSize.
[[nodiscard]] inline core::Status CheckLimit(int limit) {
    if (limit < 1 || limit > kMaxPageSize)
        return core::Invalid("limit", "limit must be between 1 and " + std::to_string(kMaxPageSize));
    return core::Ok();
}

// A WHERE clause assembled from conditions, each with its parameters.
struct Where {
    std::string sql;
    Params params;

    void And(std::string_view condition, Params condition_params = {}) {
        sql += sql.empty() ? " WHERE " : " AND ";
        sql += condition;
        for (auto& p : condition_params) params.push_back(std::move(p));
    }
    void And(const Predicate& predicate) { And("(" + predicate.sql + ")", predicate.params); }
};

// ASCII lower case (usernames, uuids, product names).
[[nodiscard]] inline std::string Lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// A LIKE pattern matching `text` anywhere, with LIKE wildcards in it escaped by '\' (use
// `LIKE ? ESCAPE '\'`).
[[nodiscard]] inline std::string ContainsPattern(std::string_view text) {
    std::string out = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out + "%";
}

}  // namespace muhafiz::db
