#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "http/url.hpp"

namespace muhafiz::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

constexpr auto kUseAwait = asio::as_tuple(asio::use_awaitable);
// After refusing a body (413/431) the server reads and discards what the client still sends, for
// up to kLingerTime or kLingerBytes, before closing: closing earlier makes the kernel reset the
// connection and a client still writing never sees the response.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 16 * 1024 * 1024;

constexpr std::string_view kHtmlCsp =
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

constexpr std::array<std::string_view, 8> kMethodLabels = {"GET",   "HEAD",   "POST",    "PUT",
                                                           "PATCH", "DELETE", "OPTIONS", "OTHER"};
constexpr std::array<std::string_view, 5> kStatusClasses = {"1xx", "2xx", "3xx", "4xx", "5xx"};

std::size_t MethodIndex(std::string_view method) {
    for (std::size_t i = 0; i + 1 < kMethodLabels.size(); ++i) {
        if (kMethodLabels[i] == method) return i;
    }
    return kMethodLabels.size() - 1;
}

std::size_t StatusClassIndex(int status) {
    int c = status / 100;
    return static_cast<std::size_t>(std::clamp(c, 1, 5) - 1);
}

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
}

bool IsPlainRequestId(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    return std::all_of(id.begin(), id.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ||
               ch == '.' || ch == ':';
    });
}

// A handler-supplied header that cannot split the response: a token name, no CR/LF/NUL in value.
bool IsSafeHeader(std::string_view name, std::string_view value) {
    if (name.empty()) return false;
    for (char ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch)) &&
            std::string_view("!#$%&'*+-.^_`|~").find(ch) == std::string_view::npos) {
            return false;
        }
    }
    return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.starts_with(prefix); }

// Paths that never serve static files nor the SPA fallback.
bool IsReservedPath(std::string_view path) {
    return StartsWith(path, "/api/") || path == "/api" || StartsWith(path, "/taxii2/") ||
           path == "/taxii2" || StartsWith(path, "/metrics") || StartsWith(path, "/.well-known/");
}

std::string_view ContentTypeFor(const fs::path& file) {
    static const std::array<std::pair<std::string_view, std::string_view>, 22> kTypes = {{
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".ttf", "font/ttf"},
        {".txt", "text/plain; charset=utf-8"},
        {".wasm", "application/wasm"},
        {".xml", "application/xml"},
        {".pdf", "application/pdf"},
    }};
    std::string ext = Lower(file.extension().string());
    for (const auto& [e, type] : kTypes) {
        if (e == ext) return type;
    }
    return "application/octet-stream";
}

std::optional<std::string> ReadWholeFile(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return std::move(ss).str();
}

std::string ListenErrorMessage(const std::string& where, const boost::system::error_code& ec) {
    std::string msg = ec.message();
    if (!msg.empty()) msg[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(msg[0])));
    return "cannot listen on " + where + ": " + msg;
}

struct Connection {
    explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    std::string remote;
    bool idle = false;  // waiting for the next request's headers; touched on the strand only
};

}  // namespace

class Server::Impl {
  public:
    Impl(ServerOptions options, const Router& router, core::MetricsRegistry& metrics)
        : options_(std::move(options)),
          router_(router),
          access_log_(options_.access_log),
          ioc_(std::make_unique<asio::io_context>(std::max(1, options_.threads))) {
        control_.emplace(asio::make_strand(*ioc_));
        for (std::size_t m = 0; m < kMethodLabels.size(); ++m) {
            for (std::size_t s = 0; s < kStatusClasses.size(); ++s) {
                requests_[m][s] =
                    &metrics.GetCounter("muhafiz_http_requests_total",
                                        "HTTP requests answered, by method and status class.",
                                        {{"method", std::string(kMethodLabels[m])},
                                         {"status", std::string(kStatusClasses[s])}});
            }
        }
        duration_ = &metrics.GetHistogram("muhafiz_http_request_duration_seconds",
                                          "Time from request headers read to response written.",
                                          core::Histogram::DefaultLatencyBuckets());
        in_flight_ =
            &metrics.GetGauge("muhafiz_http_requests_in_flight", "HTTP requests being handled.");
        open_connections_ =
            &metrics.GetGauge("muhafiz_http_connections_open", "Open HTTP connections.");
        if (!options_.static_dir.empty()) {
            std::error_code ec;
            static_root_ = fs::weakly_canonical(fs::absolute(options_.static_dir, ec), ec);
            if (ec) static_root_ = fs::path(options_.static_dir);
        }
    }

    ~Impl() {
        destroying_ = true;
        signals_.reset();
        drain_timer_.reset();
        acceptor_.reset();
        control_.reset();
        ioc_.reset();  // destroys suspended coroutines while the members they use still exist
    }

    core::Status Listen() {
        std::string where = options_.host + ":" + std::to_string(options_.port);
        if (options_.host.find(':') != std::string::npos) {
            where = "[" + options_.host + "]:" + std::to_string(options_.port);
        }
        boost::system::error_code ec;
        tcp::resolver resolver(*ioc_);
        auto results =
            resolver.resolve(options_.host, std::to_string(options_.port),
                             tcp::resolver::passive | tcp::resolver::numeric_service, ec);
        if (ec || results.empty()) {
            return core::Fail(core::ErrorCode::kInvalidArgument,
                              ListenErrorMessage(where, ec ? ec : asio::error::host_not_found));
        }
        tcp::endpoint endpoint = results.begin()->endpoint();
        tcp::acceptor acceptor(*control_);
        acceptor.open(endpoint.protocol(), ec);
        if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) acceptor.bind(endpoint, ec);
        if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            core::ErrorCode code = core::ErrorCode::kUnavailable;
            if (ec == asio::error::access_denied) code = core::ErrorCode::kPermissionDenied;
            if (ec == boost::system::errc::address_not_available)
                code = core::ErrorCode::kInvalidArgument;
            return core::Fail(code, ListenErrorMessage(where, ec));
        }
        port_ = acceptor.local_endpoint().port();
        acceptor_.emplace(std::move(acceptor));
        Log().info("http: listening on {}:{}", endpoint.address().to_string(), port_.load());
        return core::Ok();
    }

    std::uint16_t port() const { return port_.load(); }

    void Run() {
        if (!acceptor_ || ran_.exchange(true)) {
            if (!stopping_) Log().error("http: Run() without a successful Listen(), or twice");
            return;
        }
        asio::co_spawn(*control_, AcceptLoop(), [this](std::exception_ptr e) {
            if (e) LogException("accept loop", e);
        });
        if (options_.handle_signals && !stopping_) {
            signals_.emplace(*control_, SIGINT, SIGTERM);
            signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
                if (ec) return;
                Log().info("http: signal {} received, stopping", signal);
                Stop();
            });
        }
        std::vector<std::thread> workers;
        for (int i = 1; i < std::max(1, options_.threads); ++i) {
            workers.emplace_back([this] { RunWorker(); });
        }
        RunWorker();
        for (auto& t : workers) t.join();
        Log().info("http: stopped");
    }

    void Stop() {
        if (stopping_.exchange(true)) return;
        asio::post(*control_, [this] { DoStop(); });
    }

    void SetAccessLog(bool enabled) { access_log_ = enabled; }

  private:
    spdlog::logger& Log() const {
        return options_.logger ? *options_.logger : *spdlog::default_logger_raw();
    }

    void LogException(std::string_view what, const std::exception_ptr& e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            Log().error("http: {}: {}", what, ex.what());
        } catch (...) {
            Log().error("http: {}: unknown exception", what);
        }
    }

    void RunWorker() {
        for (;;) {
            try {
                ioc_->run();
                return;
            } catch (const std::exception& e) {
                Log().error("http: worker: {}", e.what());
            }
        }
    }

    // On control_.
    void DoStop() {
        boost::system::error_code ec;
        if (acceptor_) acceptor_->close(ec);
        if (signals_) signals_->cancel(ec);
        std::vector<std::shared_ptr<Connection>> snapshot;
        {
            std::lock_guard lock(mu_);
            snapshot.assign(connections_.begin(), connections_.end());
        }
        for (const auto& c : snapshot) {
            asio::post(c->stream.get_executor(), [c] {
                if (c->idle) c->stream.cancel();
            });
        }
        if (!snapshot.empty()) {
            drain_timer_.emplace(*control_);
            drain_timer_->expires_after(options_.drain_timeout);
            drain_timer_->async_wait([this](const boost::system::error_code& e) {
                if (!e) ForceStop();
            });
            // If the last connection went away before the timer was armed, nobody cancels it.
            std::lock_guard lock(mu_);
            if (connections_.empty()) drain_timer_->cancel();
        }
    }

    // On control_: the drain timeout expired.
    void ForceStop() {
        std::size_t n = 0;
        {
            std::lock_guard lock(mu_);
            n = connections_.size();
        }
        Log().warn("http: drain timeout; closing {} connection(s)", n);
        ioc_->stop();
    }

    void ConnectionGone(const std::shared_ptr<Connection>& c) {
        bool last = false;
        {
            std::lock_guard lock(mu_);
            connections_.erase(c);
            last = connections_.empty();
        }
        open_connections_->Decrement();
        if (last && stopping_ && !destroying_) {
            asio::post(*control_, [this] {
                if (drain_timer_) drain_timer_->cancel();
            });
        }
    }

    asio::awaitable<void> AcceptLoop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_->async_accept(
                asio::any_io_executor(asio::make_strand(*ioc_)), kUseAwait);
            if (stopping_ || !acceptor_->is_open()) co_return;
            if (ec) {
                if (ec == asio::error::operation_aborted) co_return;
                Log().warn("http: accept: {}", ec.message());
                asio::steady_timer pause(*control_, std::chrono::milliseconds(50));
                co_await pause.async_wait(kUseAwait);
                continue;
            }
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            auto c = std::make_shared<Connection>(std::move(socket));
            auto remote = c->stream.socket().remote_endpoint(ignored);
            if (!ignored) c->remote = remote.address().to_string();
            {
                std::lock_guard lock(mu_);
                connections_.insert(c);
            }
            open_connections_->Increment();
            asio::co_spawn(c->stream.get_executor(), Serve(c), [this](std::exception_ptr e) {
                if (e) LogException("connection", e);
            });
        }
    }

    asio::awaitable<void> Serve(std::shared_ptr<Connection> c) {
        struct Gone {
            Impl* impl;
            std::shared_ptr<Connection> c;
            ~Gone() { impl->ConnectionGone(c); }
        } gone{this, c};

        beast::flat_buffer buffer;
        bool first = true;
        for (;;) {
            if (stopping_) break;
            bhttp::request_parser<bhttp::empty_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(
                std::min<std::size_t>(options_.max_header_bytes, UINT32_MAX)));
            parser.body_limit(boost::none);  // checked against the route's limit below
            c->stream.expires_after(first ? options_.read_timeout : options_.idle_timeout);
            c->idle = true;
            auto [ec, n] = co_await bhttp::async_read_header(c->stream, buffer, parser, kUseAwait);
            c->idle = false;
            first = false;
            if (ec) {
                if (ec == bhttp::error::header_limit) {
                    co_await SendProtocolError(*c, 431, core::ErrorCode::kInvalidArgument,
                                               "request headers too large");
                    co_return;
                }
                bool parse_error =
                    ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                    ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
                if (parse_error) {
                    co_await SendProtocolError(*c, 400, core::ErrorCode::kInvalidArgument,
                                               "malformed request: " + ec.message());
                    co_return;
                }
                break;  // closed, timed out, or cancelled by Stop()
            }
            bool keep_alive = co_await HandleRequest(*c, buffer, parser);
            if (!keep_alive) break;
        }
        boost::system::error_code ignored;
        c->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        c->stream.close();
    }

    // Answers a request whose headers could not be parsed, then closes.
    asio::awaitable<void> SendProtocolError(Connection& c, int status, core::ErrorCode code,
                                            std::string message) {
        auto start = std::chrono::steady_clock::now();
        Response res = Response::Error(code, std::move(message));
        res.status = status;
        std::string request_id = core::NewUuidV7();
        std::size_t bytes = res.body.size();
        co_await Write(c, std::move(res), false, false, 11, request_id);
        Record("OTHER", status, start);
        if (access_log_) {
            Log().info("{} \"- -\" {} {} {:.1f}ms id={}", c.remote, status, bytes,
                       MillisSince(start), request_id);
        }
        co_await LingeringClose(c);
    }

    // The proxy appends the address it saw to X-Forwarded-For: the last entry is the one to trust.
    static void ApplyProxyHeaders(Request& req) {
        if (auto it = req.headers.find("x-forwarded-for"); it != req.headers.end()) {
            std::string last = it->second.substr(it->second.rfind(',') == std::string::npos ? 0 : it->second.rfind(',') + 1);
            last.erase(0, last.find_first_not_of(" \t"));
            last.erase(last.find_last_not_of(" \t") + 1);
            if (!last.empty()) req.remote_address = last;
        }
        if (auto it = req.headers.find("x-forwarded-proto"); it != req.headers.end())
            req.secure = Lower(it->second) == "https";
    }

    // Handles one request whose headers are in `parser`; returns whether to keep the connection.
    asio::awaitable<bool> HandleRequest(Connection& c, beast::flat_buffer& buffer,
                                        bhttp::request_parser<bhttp::empty_body>& parser) {
        auto start = std::chrono::steady_clock::now();
        in_flight_->Increment();
        struct InFlight {
            core::Gauge* g;
            ~InFlight() { g->Decrement(); }
        } in_flight{in_flight_};

        const auto& header = parser.get();
        Request req;
        req.method = std::string(header.method_string());
        req.target = std::string(header.target());
        req.remote_address = c.remote;
        for (const auto& field : header) {
            std::string name = Lower(field.name_string());
            auto [it, inserted] = req.headers.try_emplace(name, std::string(field.value()));
            if (!inserted) {
                it->second += name == "cookie" ? "; " : ", ";
                it->second += field.value();
            }
        }
        if (options_.trust_proxy) ApplyProxyHeaders(req);
        std::string request_id;
        if (auto it = req.headers.find("x-request-id");
            it != req.headers.end() && IsPlainRequestId(it->second)) {
            request_id = it->second;
        } else {
            request_id = core::NewUuidV7();
            req.headers["x-request-id"] = request_id;
        }
        const bool client_keep_alive = header.keep_alive();
        const unsigned version = header.version();
        const bool expect_continue = Lower(header[bhttp::field::expect]) == "100-continue";
        const auto content_length = parser.content_length();
        const bool has_body = parser.chunked() || (content_length && *content_length > 0);
        bool body_read = !has_body;

        std::optional<Response> res;
        if (!ParseTarget(req)) {
            res = Response::Error(core::ErrorCode::kInvalidArgument, "malformed request target");
        }
        RouteMatch match;
        if (!res) {
            match = router_.Match(req.method, req.path);
            if (!match) {
                if (match.status == 404 && (req.method == "GET" || req.method == "HEAD")) {
                    res = ServeStatic(req);
                }
                if (!res) res = match.ErrorResponse(req.method, req.path);
            }
        }
        if (!res) {
            const Route& route = *match.route;
            req.path_params = std::move(match.path_params);
            std::size_t limit = route.options.max_body_bytes > 0 ? route.options.max_body_bytes
                                                                 : options_.max_body_bytes;
            auto too_large = [&route, this](std::size_t l) {
                return route.options.too_large ? route.options.too_large(l) : TooLarge(l);
            };
            if (route.options.before_body_first && route.options.before_body)
                res = Invoke(request_id, [&] { return route.options.before_body(req); });
            if (!res && content_length && *content_length > limit) {
                res = too_large(limit);
            } else if (!res && route.options.before_body && !route.options.before_body_first) {
                res = Invoke(request_id, [&] { return route.options.before_body(req); });
            }
            if (!res && has_body) {
                if (expect_continue) {
                    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
                    c.stream.expires_after(options_.write_timeout);
                    auto [ec, n] = co_await asio::async_write(
                        c.stream, asio::buffer(kContinue.data(), kContinue.size()), kUseAwait);
                    if (ec) co_return false;
                }
                bhttp::request_parser<bhttp::string_body> body_parser(std::move(parser));
                body_parser.body_limit(limit);
                c.stream.expires_after(options_.read_timeout);
                auto [ec, n] = co_await bhttp::async_read(c.stream, buffer, body_parser, kUseAwait);
                if (ec == bhttp::error::body_limit) {
                    res = too_large(limit);
                } else if (ec) {
                    if (ec.category() !=
                            bhttp::make_error_code(bhttp::error::bad_chunk).category() ||
                        ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
                        co_return false;  // the client went away or timed out
                    }
                    res = Response::Error(core::ErrorCode::kInvalidArgument,
                                          "malformed request body: " + ec.message());
                } else {
                    req.body = std::move(body_parser.get().body());
                    body_read = true;
                }
            }
            if (!res) {
                res =
                    Invoke(request_id, [&] { return std::optional<Response>(route.handler(req)); });
            }
        }

        const int status = res->status;
        const std::size_t bytes = res->body.size();
        const bool keep = client_keep_alive && body_read && !stopping_;
        bool written =
            co_await Write(c, std::move(*res), req.method == "HEAD", keep, version, request_id);
        Record(req.method, status, start);
        if (access_log_) {
            Log().info("{} \"{} {}\" {} {} {:.1f}ms id={}", c.remote, req.method, req.target,
                       status, bytes, MillisSince(start), request_id);
        }
        if (!written) co_return false;
        if (!body_read) {
            co_await LingeringClose(c);
            co_return false;
        }
        co_return keep;
    }

    Response TooLarge(std::size_t limit) const {
        return Response::Error(core::ErrorCode::kPayloadTooLarge,
                               "request body exceeds " + std::to_string(limit) + " bytes");
    }

    // Runs a handler or a before_body hook; an escaping exception becomes a 500 envelope.
    template <typename F>
    std::optional<Response> Invoke(const std::string& request_id, F&& f) {
        try {
            return f();
        } catch (const std::exception& e) {
            Log().error("http: handler failed (request {}): {}", request_id, e.what());
        } catch (...) {
            Log().error("http: handler failed (request {}): unknown exception", request_id);
        }
        return Response::Error(core::ErrorCode::kInternal, "internal error");
    }

    // Fills path and query from target; false when malformed (bad escapes, "..", not origin-form).
    static bool ParseTarget(Request& req) {
        std::string_view target = req.target;
        if (target.empty() || target.front() != '/') return false;
        std::size_t q = target.find('?');
        auto path = PercentDecode(target.substr(0, q), false);
        if (!path) return false;
        // No ".." segments anywhere: nothing downstream has to worry about traversal.
        std::string_view p = *path;
        std::size_t i = 0;
        while (i <= p.size()) {
            std::size_t end = p.find('/', i);
            if (end == std::string_view::npos) end = p.size();
            if (p.substr(i, end - i) == "..") return false;
            i = end + 1;
        }
        req.path = std::move(*path);
        if (q != std::string_view::npos) {
            auto query = ParseQuery(target.substr(q + 1));
            if (!query) return false;
            req.query = std::move(*query);
        }
        return true;
    }

    std::optional<Response> StaticFile(const fs::path& file, bool immutable) const {
        std::error_code ec;
        fs::path real = fs::canonical(file, ec);
        if (ec || !fs::is_regular_file(real, ec)) return std::nullopt;
        std::string root = static_root_.string();
        std::string real_s = real.string();
        if (real_s.size() <= root.size() || real_s.compare(0, root.size(), root) != 0 ||
            real_s[root.size()] != '/') {
            return std::nullopt;  // a symlink out of static_dir
        }
        auto body = ReadWholeFile(real);
        if (!body) return std::nullopt;
        Response r = Response::Text(200, std::move(*body), std::string(ContentTypeFor(real)));
        if (immutable) {
            r.Header("Cache-Control", "public, max-age=31536000, immutable");
        } else if (r.content_type.starts_with("text/html")) {
            r.Header("Cache-Control", "no-cache");
        } else {
            r.Header("Cache-Control", "public, max-age=3600");
        }
        return r;
    }

    // A static file, the SPA fallback, or nullopt (then 404).
    std::optional<Response> ServeStatic(const Request& req) const {
        if (options_.static_dir.empty() || IsReservedPath(req.path)) return std::nullopt;
        fs::path rel;
        bool hidden = false;
        std::string_view p = req.path;
        std::size_t i = 0;
        while (i < p.size()) {
            std::size_t end = p.find('/', i);
            if (end == std::string_view::npos) end = p.size();
            std::string_view seg = p.substr(i, end - i);
            if (!seg.empty()) {
                if (seg.front() == '.') hidden = true;  // dot files and "." / ".."
                rel /= std::string(seg);
            }
            i = end + 1;
        }
        if (!hidden && !rel.empty()) {
            fs::path file = static_root_ / rel;
            std::error_code ec;
            if (fs::is_directory(file, ec)) file /= "index.html";
            bool immutable = req.path.starts_with("/assets/");
            if (auto r = StaticFile(file, immutable)) return r;
            // A missing asset is a 404, not the SPA page (a stale hashed bundle must not get HTML).
            if (immutable) return std::nullopt;
        }
        return StaticFile(static_root_ / "index.html", false);
    }

    asio::awaitable<bool> Write(Connection& c, Response res, bool head, bool keep_alive,
                                unsigned version, const std::string& request_id) {
        bhttp::response<bhttp::string_body> out;
        out.version(version == 10 ? 10 : 11);
        out.result(static_cast<unsigned>(res.status));
        const bool no_body = res.status == 204 || res.status == 304 || res.status / 100 == 1;
        if (!res.content_type.empty() && !no_body) {
            out.set(bhttp::field::content_type, res.content_type);
        }
        for (auto& [name, value] : res.headers) {
            if (!IsSafeHeader(name, value)) {
                Log().error("http: dropping unsafe response header {} (request {})", name,
                            request_id);
                continue;
            }
            std::string lower = Lower(name);
            if (lower == "content-length" || lower == "transfer-encoding" ||
                lower == "connection") {
                continue;  // framing belongs to the server
            }
            if (lower == "content-type") {
                out.set(bhttp::field::content_type, value);
            } else {
                out.insert(name, value);
            }
        }
        out.set("X-Content-Type-Options", "nosniff");
        out.set("X-Request-Id", request_id);
        if (res.content_type.starts_with("text/html")) {
            out.set("Content-Security-Policy", kHtmlCsp);
            out.set("X-Frame-Options", "DENY");
            out.set("Referrer-Policy", "same-origin");
        }
        out.keep_alive(keep_alive);
        if (no_body) {
            out.prepare_payload();
        } else if (head) {
            out.content_length(res.body.size());
        } else {
            out.body() = std::move(res.body);
            out.prepare_payload();
        }
        c.stream.expires_after(options_.write_timeout);
        auto [ec, n] = co_await bhttp::async_write(c.stream, out, kUseAwait);
        co_return !ec;
    }

    // After an error response with the request body unread: stop sending, swallow what the client
    // still sends for a moment, then close, so that the kernel does not answer the unread bytes
    // with a reset that could destroy the response in flight.
    asio::awaitable<void> LingeringClose(Connection& c) {
        boost::system::error_code ignored;
        c.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        c.stream.expires_after(kLingerTime);
        std::array<char, 16 * 1024> sink;
        std::size_t total = 0;
        while (total < kLingerBytes) {
            auto [ec, n] = co_await c.stream.async_read_some(asio::buffer(sink), kUseAwait);
            if (ec) break;
            total += n;
        }
        c.stream.close();
    }

    void Record(std::string_view method, int status, std::chrono::steady_clock::time_point start) {
        requests_[MethodIndex(method)][StatusClassIndex(status)]->Increment();
        duration_->Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }

    static double MillisSince(std::chrono::steady_clock::time_point start) {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count();
    }

    ServerOptions options_;
    const Router& router_;
    std::atomic<bool> access_log_;
    fs::path static_root_;

    std::array<std::array<core::Counter*, kStatusClasses.size()>, kMethodLabels.size()> requests_{};
    core::Histogram* duration_ = nullptr;
    core::Gauge* in_flight_ = nullptr;
    core::Gauge* open_connections_ = nullptr;

    std::unique_ptr<asio::io_context> ioc_;
    std::optional<asio::strand<asio::io_context::executor_type>> control_;
    std::optional<tcp::acceptor> acceptor_;          // on control_
    std::optional<asio::steady_timer> drain_timer_;  // on control_
    std::optional<asio::signal_set> signals_;        // on control_
    std::atomic<std::uint16_t> port_{0};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> ran_{false};
    std::atomic<bool> destroying_{false};

    std::mutex mu_;
    std::set<std::shared_ptr<Connection>> connections_;  // guarded by mu_
};

Server::Server(ServerOptions options, const Router& router, core::MetricsRegistry& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() = default;

core::Status Server::Listen() { return impl_->Listen(); }
std::uint16_t Server::port() const { return impl_->port(); }
void Server::Run() { impl_->Run(); }
void Server::Stop() { impl_->Stop(); }
void Server::SetAccessLog(bool enabled) { impl_->SetAccessLog(enabled); }

Handler MetricsHandler(const core::MetricsRegistry& metrics) {
    return [&metrics](Request&) {
        return Response::Text(200, metrics.RenderPrometheus(),
                              std::string(core::MetricsRegistry::kContentType));
    };
}

}  // namespace muhafiz::http
