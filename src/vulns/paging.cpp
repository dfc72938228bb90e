#include "vulns/paging.hpp"

#include "core/ids.hpp"
#include "core/json.hpp"

namespace muhafiz::vulns {

namespace json = core::json;

std::string EncodeCursor(const SortOrder& sort, const db::Value& key, std::int64_t id) {
    json::value k;
    if (const auto* i = std::get_if<std::int64_t>(&key)) k = *i;
    else if (const auto* d = std::get_if<double>(&key)) k = *d;
    else if (const auto* s = std::get_if<std::string>(&key)) k = *s;
    return core::Base64UrlEncode(core::ToJson(json::array{json::value(sort.name), k, json::value(id)}));
}

core::Status ApplyCursor(const SortOrder& sort, std::string_view cursor, std::string_view id_column,
                         std::string& where, db::Params& params) {
    if (cursor.empty()) return core::Ok();
    std::string raw;
    boost::system::error_code ec;
    json::value c;
    if (core::Base64UrlDecode(cursor, raw)) c = json::parse(raw, ec);
    const auto bad = [] { return core::Invalid("cursor", "the cursor is not valid for this query"); };
    if (ec || !c.is_array() || c.as_array().size() != 3 || !c.as_array()[0].is_string() ||
        c.as_array()[0].as_string() != sort.name || !c.as_array()[2].is_int64())
        return bad();
    const json::value& k = c.as_array()[1];
    db::Value key;
    if (sort.kind == SortOrder::Kind::kText && k.is_string()) key = std::string(k.as_string());
    else if (sort.kind == SortOrder::Kind::kInt && k.is_int64()) key = k.as_int64();
    else if (sort.kind == SortOrder::Kind::kDouble && k.is_number()) key = k.to_number<double>();
    else return bad();
    const char* op = sort.descending ? " < " : " > ";
    where += " AND (" + sort.column + op + "? OR (" + sort.column + " = ? AND " + std::string(id_column) + op +
             "?))";
    params.push_back(key);
    params.push_back(key);
    params.emplace_back(c.as_array()[2].as_int64());
    return core::Ok();
}

std::string PageClause(const SortOrder& sort, std::string_view id_column, int limit) {
    const char* dir = sort.descending ? " DESC" : " ASC";
    return " ORDER BY " + sort.column + dir + ", " + std::string(id_column) + dir + " LIMIT " +
           std::to_string(limit + 1);
}

}  // namespace muhafiz::vulns
