// Server: the HTTP/1.1 server (Boost.Beast + Asio C++20 coroutines behind a pimpl; no Beast or
// Asio type appears in this header).
//
// One coroutine per connection, on a strand of a shared io_context run by `threads` workers.
// Keep-alive, header limit (431), body limit from Content-Length and while reading chunked bodies
// (413, before the body is read), route matching and RouteOptions::before_body before the body is
// read, static files with an SPA fallback, access log, metrics, X-Request-Id.
//
// Handlers are synchronous and run on the connection's coroutine thread (a worker of the pool):
// a handler that blocks (on the database, say) holds one worker, and other connections carry on
// on the other workers. Size `threads` for the expected number of concurrently blocking handlers.
// An exception escaping a handler is logged and answered with a 500 envelope; the connection
// stays open.
//
// Every response gets Content-Length, X-Content-Type-Options: nosniff and X-Request-Id (the
// client's own X-Request-Id when it is short and plain, else a fresh UUIDv7; handlers see it as
// request.headers["x-request-id"]). HTML responses also get a restrictive Content-Security-Policy.
//
// Lifecycle: construct, Listen(), Run() (blocks), and Stop() from any thread (a handler, a signal
// handler thread, a test). Stop is graceful: the listener closes, idle keep-alive connections
// close, in-flight requests finish and their responses are written completely, then Run returns.
// After ServerOptions::drain_timeout the remaining connections are closed forcibly.
// Run may be called once. The router and the metrics registry are borrowed and must outlive the
// server; the router must not change once Run has started.
//
// Signals: with ServerOptions::handle_signals, SIGINT and SIGTERM call Stop(). Otherwise the caller
// calls Stop() from its own signal handling.
//
// Errors: Listen fails with kInvalidArgument for an address that does not resolve or is not
// local, kPermissionDenied for a privileged port, kUnavailable otherwise (port in use), with a
// message such as "cannot listen on 127.0.0.1:8080: address already in use".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/metrics.hpp"
#include "core/result.hpp"
#include "http/message.hpp"
#include "http/router.hpp"

namespace spdlog {
class logger;
}

namespace muhafiz::http {

struct ServerOptions {
    std::string host = "127.0.0.1";  // an IP address or a name; "0.0.0.0" / "::" for all
    std::uint16_t port = 8080;       // 0: pick a free port (see Server::port())
    int threads = static_cast<int>(
        std::thread::hardware_concurrency() > 0 ? std::thread::hardware_concurrency() : 1);
    std::size_t max_header_bytes = 16 * 1024;  // request line + headers; over → 431
    std::size_t max_body_bytes = 1024 * 1024;  // default per route; over → 413
    std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};   // first request, bodies
    std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};  // one response
    std::chrono::milliseconds idle_timeout{
        std::chrono::seconds(60)};  // between keep-alive requests
    std::chrono::milliseconds drain_timeout{std::chrono::seconds(10)};  // Stop(): then force-close
    // Served at "/" for GET/HEAD requests that no route takes. A GET for a path that is not under
    // /api/, /taxii2/, /metrics or /.well-known/ and names no file answers static_dir/index.html
    // (SPA fallback). Empty: no static files.
    std::string static_dir;
    bool access_log = true;       // one spdlog info line per request (see Server::SetAccessLog)
    bool handle_signals = false;  // SIGINT/SIGTERM → Stop()
    // Behind a reverse proxy: take the client address from the last X-Forwarded-For entry and
    // "served over TLS" from X-Forwarded-Proto. Only when every client comes through the proxy.
    bool trust_proxy = false;
    // Logger for the access log and errors; null: spdlog's default logger.
    std::shared_ptr<spdlog::logger> logger;
};

class Server {
  public:
    // Registers its metrics in `metrics` (muhafiz_http_*). `router` and `metrics` must outlive the
    // server.
    Server(ServerOptions options, const Router& router, core::MetricsRegistry& metrics);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds and listens. Call once, before Run.
    [[nodiscard]] core::Status Listen();
    // The bound port (useful with port 0); 0 before Listen.
    [[nodiscard]] std::uint16_t port() const;
    // Serves on options.threads workers (the calling thread is one of them) until Stop completes.
    void Run();
    // Graceful stop; safe from any thread, idempotent, also before Run (Run then returns at once).
    void Stop();
    // Toggles the access log at run time.
    void SetAccessLog(bool enabled);

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// A handler answering the registry's Prometheus text, for `GET /metrics`.
[[nodiscard]] Handler MetricsHandler(const core::MetricsRegistry& metrics);

}  // namespace muhafiz::http
