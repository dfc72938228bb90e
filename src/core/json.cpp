#include "core/json.hpp"

#include <algorithm>

namespace muhafiz::core {
namespace {

std::string FieldName(std::string_view path, std::string_view key) {
    if (path.empty()) return std::string(key);
    std::string out(path);
    out += '.';
    out += key;
    return out;
}

}  // namespace

Result<json::value> ParseJson(std::string_view text) {
    boost::system::error_code ec;
    json::parse_options opt;
    opt.max_depth = 64;
    json::value v = json::parse(text, ec, {}, opt);
    if (ec) {
        // Locate the failure by parsing incrementally is costly; give the message and size.
        return Invalid("body", "malformed JSON: " + ec.message());
    }
    return v;
}

Result<json::object> ParseJsonObject(std::string_view text) {
    auto v = ParseJson(text);
    if (!v) return tl::unexpected(v.error());
    if (!v->is_object()) return Invalid("body", "the body must be a JSON object");
    return std::move(v->as_object());
}

Status RejectUnknownFields(const json::object& obj, std::initializer_list<std::string_view> allowed,
                           std::string_view path) {
    for (const auto& kv : obj) {
        const std::string_view key = kv.key();
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            const std::string name = FieldName(path, key);
            return Invalid(name, "unknown field '" + name + "'");
        }
    }
    return {};
}

const json::value* Find(const json::object& obj, std::string_view key) {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &it->value();
}

Result<std::optional<std::string>> GetString(const json::object& obj, std::string_view key,
                                             std::string_view path) {
    const json::value* v = Find(obj, key);
    if (!v || v->is_null()) return std::optional<std::string>();
    if (!v->is_string()) {
        const std::string name = FieldName(path, key);
        return Invalid(name, "'" + name + "' must be a string");
    }
    return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::optional<std::int64_t>> GetInt(const json::object& obj, std::string_view key,
                                           std::string_view path) {
    const json::value* v = Find(obj, key);
    if (!v || v->is_null()) return std::optional<std::int64_t>();
    if (v->is_int64()) return std::optional<std::int64_t>(v->as_int64());
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return std::optional<std::int64_t>(static_cast<std::int64_t>(v->as_uint64()));
    const std::string name = FieldName(path, key);
    return Invalid(name, "'" + name + "' must be an integer");
}

Result<std::optional<bool>> GetBool(const json::object& obj, std::string_view key,
                                    std::string_view path) {
    const json::value* v = Find(obj, key);
    if (!v || v->is_null()) return std::optional<bool>();
    if (!v->is_bool()) {
        const std::string name = FieldName(path, key);
        return Invalid(name, "'" + name + "' must be true or false");
    }
    return std::optional<bool>(v->as_bool());
}

std::string ToJson(const json::value& v) { return json::serialize(v); }

}  // namespace muhafiz::core
