#include "http/router.hpp"

#include <algorithm>
#include <set>

namespace muhafiz::http {

struct Router::Entry {
    const Route* route = nullptr;
    std::vector<std::string> param_names;  // in path order
    std::string wildcard_name;             // empty: no wildcard
};

struct Router::Node {
    std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
    std::unique_ptr<Node> param;
    std::vector<Entry> routes;           // patterns ending at this node
    std::vector<Entry> wildcard_routes;  // patterns ending with {*name} after this node
};

namespace {

struct Segment {
    std::string_view text;
    std::size_t offset = 0;  // where the segment starts in the path
};

std::vector<Segment> Split(std::string_view path) {
    std::vector<Segment> out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        std::size_t end = path.find('/', i);
        if (end == std::string_view::npos) end = path.size();
        out.push_back({path.substr(i, end - i), i});
        i = end;
    }
    return out;
}

// One structural candidate: the entries at the matched node plus captured values.
struct Candidate {
    const std::vector<Router::Entry>* entries = nullptr;
    std::vector<std::string_view> values;  // parameter values in order
    std::string_view rest;                 // wildcard value
};

void Collect(const Router::Node& node, const std::vector<Segment>& segs, std::size_t i,
             std::string_view path, std::vector<std::string_view>& values,
             std::vector<Candidate>& out);

}  // namespace

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;

core::Status Router::Add(std::string method, std::string_view pattern, Handler handler,
                         RouteOptions options) {
    if (method.empty()) return core::Invalid("method", "empty HTTP method");
    if (!handler) return core::Invalid("handler", "empty handler for " + std::string(pattern));
    std::vector<Segment> segs = Split(pattern);
    Node* node = root_.get();
    Entry entry;
    bool wildcard = false;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        std::string_view s = segs[i].text;
        bool braced = s.size() >= 2 && s.front() == '{' && s.back() == '}';
        if (braced) {
            std::string_view name = s.substr(1, s.size() - 2);
            bool is_wild = !name.empty() && name.front() == '*';
            if (is_wild) name.remove_prefix(1);
            if (name.empty() || name.find_first_of("{}*/") != std::string_view::npos) {
                return core::Invalid("pattern", "bad parameter in route " + std::string(pattern));
            }
            std::string n(name);
            if (std::find(entry.param_names.begin(), entry.param_names.end(), n) !=
                    entry.param_names.end() ||
                n == entry.wildcard_name) {
                return core::Invalid(
                    "pattern", "repeated parameter " + n + " in route " + std::string(pattern));
            }
            if (is_wild) {
                if (i + 1 != segs.size()) {
                    return core::Invalid("pattern",
                                         "wildcard must be last in route " + std::string(pattern));
                }
                entry.wildcard_name = std::move(n);
                wildcard = true;
                break;
            }
            entry.param_names.push_back(std::move(n));
            if (!node->param) node->param = std::make_unique<Node>();
            node = node->param.get();
        } else {
            if (s.find_first_of("{}") != std::string_view::npos) {
                return core::Invalid("pattern", "bad segment in route " + std::string(pattern));
            }
            auto it = node->literals.find(s);
            if (it == node->literals.end()) {
                it = node->literals.emplace(std::string(s), std::make_unique<Node>()).first;
            }
            node = it->second.get();
        }
    }
    std::vector<Entry>& list = wildcard ? node->wildcard_routes : node->routes;
    for (const Entry& e : list) {
        if (e.route->method == method) {
            return core::Fail(core::ErrorCode::kConflict,
                              "route " + method + " " + std::string(pattern) + " conflicts with " +
                                  e.route->pattern);
        }
    }
    auto route = std::make_unique<Route>();
    route->method = std::move(method);
    route->pattern = std::string(pattern);
    route->handler = std::move(handler);
    route->options = std::move(options);
    entry.route = route.get();
    list.push_back(std::move(entry));
    routes_.push_back(std::move(route));
    return core::Ok();
}

namespace {

void Collect(const Router::Node& node, const std::vector<Segment>& segs, std::size_t i,
             std::string_view path, std::vector<std::string_view>& values,
             std::vector<Candidate>& out) {
    if (i == segs.size()) {
        if (!node.routes.empty()) out.push_back({&node.routes, values, {}});
    } else {
        auto it = node.literals.find(segs[i].text);
        if (it != node.literals.end()) Collect(*it->second, segs, i + 1, path, values, out);
        if (node.param) {
            values.push_back(segs[i].text);
            Collect(*node.param, segs, i + 1, path, values, out);
            values.pop_back();
        }
    }
    if (!node.wildcard_routes.empty()) {
        std::string_view rest = i < segs.size() ? path.substr(segs[i].offset) : std::string_view{};
        out.push_back({&node.wildcard_routes, values, rest});
    }
}

const Router::Entry* FindMethod(const std::vector<Router::Entry>& entries,
                                std::string_view method) {
    for (const auto& e : entries) {
        if (e.route->method == method) return &e;
    }
    if (method == "HEAD") {
        for (const auto& e : entries) {
            if (e.route->method == "GET") return &e;
        }
    }
    return nullptr;
}

}  // namespace

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
    std::vector<Segment> segs = Split(path);
    std::vector<std::string_view> values;
    std::vector<Candidate> candidates;
    Collect(*root_, segs, 0, path, values, candidates);
    RouteMatch match;
    if (candidates.empty()) {
        match.status = 404;
        return match;
    }
    for (const Candidate& c : candidates) {
        const Entry* e = FindMethod(*c.entries, method);
        if (e == nullptr) continue;
        match.route = e->route;
        for (std::size_t k = 0; k < e->param_names.size() && k < c.values.size(); ++k) {
            match.path_params[e->param_names[k]] = std::string(c.values[k]);
        }
        if (!e->wildcard_name.empty()) match.path_params[e->wildcard_name] = std::string(c.rest);
        match.status = 200;
        return match;
    }
    std::set<std::string> methods;
    for (const Candidate& c : candidates) {
        for (const auto& e : *c.entries) {
            methods.insert(e.route->method);
            if (e.route->method == "GET") methods.insert("HEAD");
        }
    }
    for (const auto& m : methods) {
        if (!match.allow.empty()) match.allow += ", ";
        match.allow += m;
    }
    match.status = 405;
    return match;
}

Response RouteMatch::ErrorResponse(std::string_view method, std::string_view path) const {
    if (status == 405) {
        core::json::object inner;
        inner["code"] = "method_not_allowed";
        inner["message"] = std::string(method) + " is not allowed on " + std::string(path);
        core::json::object outer;
        outer["error"] = std::move(inner);
        Response r = Response::Json(405, outer);
        r.Header("Allow", allow);
        return r;
    }
    return Response::Error(core::ErrorCode::kNotFound, "no such resource: " + std::string(path));
}

Response Router::Handle(Request& request) const {
    RouteMatch match = Match(request.method, request.path);
    if (!match) return match.ErrorResponse(request.method, request.path);
    request.path_params = std::move(match.path_params);
    if (match.route->options.before_body) {
        if (auto early = match.route->options.before_body(request)) return std::move(*early);
    }
    return match.route->handler(request);
}

}  // namespace muhafiz::http
