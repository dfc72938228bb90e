// Router: maps (method, path) to a handler. Patterns are '/'-separated segments, each a literal,
// a parameter `{name}` (one whole segment) or, as the last segment only, a wildcard `{*name}` that
// takes the rest of the path (possibly empty, trailing '/' kept): `/api/v1/organisations/{id}`,
// `/taxii2/{*rest}`. Empty segments are ignored, so a trailing '/' does not matter for literal and
// parameter segments. Literal segments beat parameters, which beat wildcards; among structural
// matches the first one that has a route for the method wins (HEAD falls back to GET).
//
// Thread-safety: call Add only while wiring, before the server runs; Match and Handle are const
// and safe to call concurrently afterwards. The router owns its routes and handlers.
//
// Errors: Add fails with kInvalidArgument for a malformed pattern (empty parameter name, a
// wildcard not at the end, a repeated parameter name, '{' or '}' inside a literal) and kConflict
// when the same method is already registered for the same shape of path.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/message.hpp"

namespace muhafiz::http {

struct RouteOptions {
    // Largest request body this route accepts; 0 means the server default
    // (ServerOptions::max_body_bytes). Checked against Content-Length before the body is read, and
    // while reading a chunked body.
    std::size_t max_body_bytes = 0;
    // Called after the headers are read and before the body is read (path_params, headers, query
    // and remote_address are filled; body is empty). Returning a Response answers with it and the
    // body is never read (typical use: authentication). Returning nullopt proceeds.
    std::function<std::optional<Response>(Request&)> before_body;
    // When true, before_body runs before the Content-Length check, so a protocol that must
    // authenticate before judging the size (TAXII 2.1) can; the limit still applies afterwards.
    bool before_body_first = false;
    // Builds the 413 answer (default: the JSON error envelope), e.g. for another media type.
    std::function<Response(std::size_t limit)> too_large;
};

struct Route {
    std::string method;   // "GET", "POST", ...
    std::string pattern;  // as given to Add
    Handler handler;
    RouteOptions options;
};

struct RouteMatch {
    const Route* route = nullptr;  // null: no route (see status)
    std::map<std::string, std::string> path_params;
    int status = 200;   // 200 matched, 404 no such path, 405 path known but not this method
    std::string allow;  // for 405: the methods the path accepts, "GET, HEAD, POST"

    explicit operator bool() const { return route != nullptr; }
    // The 404 or 405 JSON error envelope (405 carries an `Allow` header).
    [[nodiscard]] Response ErrorResponse(std::string_view method, std::string_view path) const;
};

class Router {
  public:
    Router();
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    [[nodiscard]] core::Status Add(std::string method, std::string_view pattern, Handler handler,
                                   RouteOptions options = {});

    // Matches a decoded path (no query string). Fills path_params on success.
    [[nodiscard]] RouteMatch Match(std::string_view method, std::string_view path) const;

    // Routes `request` (method and path must be set) the way the server does, without a network:
    // match, fill path_params, before_body, handler. 404/405 envelopes on no match. Exceptions
    // from handlers propagate (the server turns them into 500). Meant for handler tests.
    [[nodiscard]] Response Handle(Request& request) const;

    [[nodiscard]] std::size_t size() const { return routes_.size(); }

    // Opaque; defined in router.cpp.
    struct Node;
    struct Entry;

  private:
    std::unique_ptr<Node> root_;
    std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace muhafiz::http
