#include "http/message.hpp"

#include <charconv>

namespace muhafiz::http {
namespace {

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<std::string> Request::Query(std::string_view name) const {
    for (const auto& [k, v] : query) {
        if (k == name) return v;
    }
    return std::nullopt;
}

std::vector<std::string> Request::QueryAll(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : query) {
        if (k == name) out.push_back(v);
    }
    return out;
}

std::optional<std::string> Request::Header(std::string_view lower_name) const {
    auto it = headers.find(std::string(lower_name));
    if (it == headers.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string> Request::Cookie(std::string_view name) const {
    auto it = headers.find("cookie");
    if (it == headers.end()) return std::nullopt;
    std::string_view rest = it->second;
    while (!rest.empty()) {
        std::size_t semi = rest.find(';');
        std::string_view part = Trim(rest.substr(0, semi));
        rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
        std::size_t eq = part.find('=');
        if (eq == std::string_view::npos) continue;
        if (Trim(part.substr(0, eq)) != name) continue;
        std::string_view value = Trim(part.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        return std::string(value);
    }
    return std::nullopt;
}

const std::string& Request::PathParam(const std::string& name) const {
    static const std::string kEmpty;
    auto it = path_params.find(name);
    return it == path_params.end() ? kEmpty : it->second;
}

Response Response::Json(int status, const core::json::value& value) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = core::ToJson(value);
    return r;
}

Response Response::Text(int status, std::string body, std::string content_type) {
    Response r;
    r.status = status;
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    return r;
}

Response Response::NoContent() {
    Response r;
    r.status = 204;
    r.content_type.clear();
    return r;
}

Response Response::Error(const core::Error& error) {
    core::json::object inner;
    inner["code"] = core::ErrorCodeName(error.code);
    inner["message"] = error.message;
    if (!error.field.empty()) inner["field"] = error.field;
    core::json::object outer;
    outer["error"] = std::move(inner);
    return Json(HttpStatus(error.code), outer);
}

Response Response::Error(core::ErrorCode code, std::string message) {
    return Error(core::Error{code, std::move(message), {}});
}

}  // namespace muhafiz::http

namespace muhafiz::http {

core::Result<std::optional<std::int64_t>> IfMatchVersion(const Request& request) {
    auto h = request.Header("if-match");
    if (!h || *h == "*") return std::optional<std::int64_t>();
    std::string_view v = *h;
    if (v.substr(0, 2) == "W/") v.remove_prefix(2);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size())
        return core::Invalid("If-Match", "If-Match must be an ETag such as \"3\"");
    return std::optional<std::int64_t>(n);
}

}  // namespace muhafiz::http
