// Plain HTTP request and response values passed between the server and handlers. No Beast or
// Asio types appear here, so handlers compile without the heavy headers.
// Thread-safety: plain values; a Request belongs to the one handler call that receives it.
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"

namespace muhafiz::http {

struct Request {
    std::string method;  // upper case: "GET", "POST", ...
    std::string target;  // as received, with the query string
    std::string path;    // percent-decoded path without the query string
    std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
    std::map<std::string, std::string> headers;  // names in lower case
    std::map<std::string, std::string> path_params;  // filled by the router: "{id}" → "id"
    std::string body;
    std::string remote_address;  // peer IP address as text
    bool secure = false;         // served over TLS
    // Set by RouteOptions::before_body for the handler (e.g. the authenticated caller), so the
    // work is not done twice. http/ never looks inside.
    std::any context;

    // First query value of `name`, if any.
    std::optional<std::string> Query(std::string_view name) const;
    // All values of `name` (repeated parameters and comma-separated lists are not split).
    std::vector<std::string> QueryAll(std::string_view name) const;
    std::optional<std::string> Header(std::string_view lower_name) const;
    std::optional<std::string> Cookie(std::string_view name) const;
    const std::string& PathParam(const std::string& name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers
    std::string body;

    Response& Header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }

    static Response Json(int status, const core::json::value& value);
    static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
    static Response NoContent();
    // {"error":{"code","message"[,"field"]}} with the status of the error code.
    static Response Error(const core::Error& error);
    static Response Error(core::ErrorCode code, std::string message);
};

// The version in an If-Match header ("3", W/"3"); nullopt when absent or "*"; kInvalidArgument
// (field "If-Match") when it is not such an ETag. Our ETags are record versions.
[[nodiscard]] core::Result<std::optional<std::int64_t>> IfMatchVersion(const Request& request);

// The HTTP status of an error code (the one place codes meet statuses).
[[nodiscard]] int HttpStatus(core::ErrorCode code);

using Handler = std::function<Response(Request&)>;

}  // namespace muhafiz::http
