// Helpers shared by the access module's stores; not part of its interface.
// Thread-safety: pure functions and plain values.
#pragma once

#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "db/database.hpp"

namespace muhafiz::access::internal {

inline constexpr int kMaxPageSize = 500;

[[nodiscard]] inline core::Status CheckLimit(int limit) {
    if (limit < 1 || limit > kMaxPageSize)
        return core::Invalid("limit",
                             "limit must be between 1 and " + std::to_string(kMaxPageSize));
    return core::Ok();
}

// Cursors are the sort key of the last item of a page, opaque to clients.
[[nodiscard]] inline std::string EncodeCursor(std::string_view key) {
    return core::Base64UrlEncode(key);
}
[[nodiscard]] inline core::Result<std::string> DecodeCursor(std::string_view cursor) {
    std::string key;
    if (!core::Base64UrlDecode(cursor, key) || key.empty())
        return core::Invalid("cursor", "invalid cursor");
    return key;
}

// A WHERE clause assembled from conditions, each with its parameters.
struct Where {
    std::string sql;
    db::Params params;

    void And(std::string_view condition, db::Params condition_params = {}) {
        sql += sql.empty() ? " WHERE " : " AND ";
        sql += condition;
        for (auto& p : condition_params) params.push_back(std::move(p));
    }
    void And(const db::Predicate& predicate) { And("(" + predicate.sql + ")", predicate.params); }
};

// ASCII lower case (usernames, uuids).
[[nodiscard]] inline std::string Lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// LIKE pattern matching `text` anywhere, with LIKE wildcards in it escaped by '\'.
[[nodiscard]] inline std::string ContainsPattern(std::string_view text) {
    std::string out = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out + "%";
}

}  // namespace muhafiz::access::internal
