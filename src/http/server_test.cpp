// Starts a real Server on 127.0.0.1:0 and talks to it over plain blocking sockets.
#include "http/server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

namespace muhafiz::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- a tiny blocking HTTP client ----

class Client {
  public:
    explicit Client(std::uint16_t port, std::chrono::milliseconds timeout = 5s) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        timeval tv{};
        tv.tv_sec = timeout.count() / 1000;
        tv.tv_usec = (timeout.count() % 1000) * 1000;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~Client() {
        if (fd_ >= 0) ::close(fd_);
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool connected() const { return connected_; }

    bool Send(std::string_view data) {
        while (!data.empty()) {
            ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    struct Reply {
        int status = 0;
        std::map<std::string, std::string> headers;  // lower-case names
        std::string body;
        std::string Header(const std::string& name) const {
            auto it = headers.find(name);
            return it == headers.end() ? std::string() : it->second;
        }
    };

    // Reads one response (Content-Length framed); nullopt on EOF, error or timeout.
    std::optional<Reply> Read(bool head = false) {
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!Fill()) return std::nullopt;
        }
        Reply r;
        std::string head_text = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
        std::size_t line_end = head_text.find("\r\n");
        std::string status_line = head_text.substr(0, line_end);
        if (status_line.size() < 12) return std::nullopt;
        r.status = std::stoi(status_line.substr(9, 3));
        std::size_t pos = line_end == std::string::npos ? head_text.size() : line_end + 2;
        while (pos < head_text.size()) {
            std::size_t e = head_text.find("\r\n", pos);
            if (e == std::string::npos) e = head_text.size();
            std::string line = head_text.substr(pos, e - pos);
            std::size_t colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers[name] = value;
            pos = e + 2;
        }
        if (r.status == 100) return r;
        std::size_t length =
            r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
        if (head) length = 0;
        while (buffer_.size() < length) {
            if (!Fill()) return std::nullopt;
        }
        r.body = buffer_.substr(0, length);
        buffer_.erase(0, length);
        return r;
    }

    std::optional<Reply> Get(const std::string& target, const std::string& extra = {}) {
        if (!Send("GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n")) return {};
        return Read();
    }

    // True when the server closes the connection (EOF or reset) before the timeout.
    bool WaitClosed() {
        char buf[4096];
        for (;;) {
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n == 0) return true;
            if (n < 0) return errno == ECONNRESET;
        }
    }

  private:
    bool Fill() {
        char buf[16384];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return false;
        buffer_.append(buf, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    bool connected_ = false;
    std::string buffer_;
};

// ---- fixture ----

class ServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        static_dir_ = fs::temp_directory_path() /
                      ("muhafiz_http_test_" + std::to_string(::getpid()) + "_" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(static_dir_);
        fs::create_directories(static_dir_ / "web" / "assets");
        Write(static_dir_ / "web" / "index.html", "<!doctype html><title>Muhafiz</title>");
        Write(static_dir_ / "web" / "assets" / "app.1234.js", "console.log(1);");
        Write(static_dir_ / "web" / "robots.txt", "User-agent: *\n");
        Write(static_dir_ / "web" / ".env", "SECRET=1");
        Write(static_dir_ / "secret.txt", "top secret");

        ASSERT_TRUE(router_.Add("GET", "/api/v1/echo/{id}", [](Request& req) {
            std::string body = req.PathParam("id") + "|" + req.Query("q").value_or("-") + "|" +
                               req.remote_address + "|" + req.Header("x-test").value_or("-");
            return Response::Text(200, body);
        }));
        ASSERT_TRUE(router_.Add("DELETE", "/api/v1/echo/{id}",
                                [](Request&) { return Response::NoContent(); }));
        ASSERT_TRUE(router_.Add("POST", "/api/v1/upload", [](Request& req) {
            return Response::Text(200, "got " + std::to_string(req.body.size()) + ":" + req.body);
        }));
        RouteOptions small;
        small.max_body_bytes = 16;
        ASSERT_TRUE(router_.Add(
            "POST", "/api/v1/small", [](Request& req) { return Response::Text(200, req.body); },
            small));
        RouteOptions guarded;
        guarded.before_body = [](Request& req) -> std::optional<Response> {
            if (req.Header("authorization") != "Bearer good") {
                return Response::Error(core::ErrorCode::kUnauthenticated, "bad token");
            }
            return std::nullopt;
        };
        ASSERT_TRUE(router_.Add(
            "POST", "/api/v1/guarded",
            [this](Request& req) {
                guarded_calls_++;
                return Response::Text(200, "ok " + req.body);
            },
            guarded));
        ASSERT_TRUE(router_.Add("GET", "/api/v1/throw",
                                [](Request&) -> Response { throw std::runtime_error("boom"); }));
        ASSERT_TRUE(router_.Add("GET", "/api/v1/slow", [](Request&) {
            std::this_thread::sleep_for(700ms);
            return Response::Text(200, std::string(100000, 's'));
        }));
        ASSERT_TRUE(router_.Add("GET", "/metrics", MetricsHandler(metrics_)));
        ASSERT_TRUE(router_.Add("GET", "/api/v1/headers", [](Request&) {
            Response r = Response::Text(200, "csv");
            r.Header("Content-Type", "text/csv");
            r.Header("X-Evil", "a\r\nSet-Cookie: x=1");
            r.Header("Content-Length", "999");
            r.Header("ETag", "\"3\"");
            return r;
        }));

        ServerOptions options;
        options.port = 0;
        options.threads = 2;
        options.max_body_bytes = 1024;
        options.max_header_bytes = 4096;
        options.static_dir = (static_dir_ / "web").string();
        options.access_log = false;
        options.drain_timeout = 5s;
        server_ = std::make_unique<Server>(options, router_, metrics_);
        auto listened = server_->Listen();
        ASSERT_TRUE(listened) << listened.error().message;
        port_ = server_->port();
        ASSERT_NE(port_, 0);
        runner_ = std::thread([this] { server_->Run(); });
    }

    void TearDown() override {
        if (server_) server_->Stop();
        if (runner_.joinable()) runner_.join();
        server_.reset();
        fs::remove_all(static_dir_);
    }

    static void Write(const fs::path& p, std::string_view text) {
        std::ofstream(p, std::ios::binary) << text;
    }

    Router router_;
    core::MetricsRegistry metrics_;
    std::unique_ptr<Server> server_;
    std::thread runner_;
    std::uint16_t port_ = 0;
    fs::path static_dir_;
    std::atomic<int> guarded_calls_{0};
};

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    Client c(port_);
    ASSERT_TRUE(c.connected());
    for (int i = 0; i < 3; ++i) {
        auto r = c.Get("/api/v1/echo/" + std::to_string(i) + "?q=a+b%21", "X-Test: yes\r\n");
        ASSERT_TRUE(r) << i;
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body, std::to_string(i) + "|a b!|127.0.0.1|yes");
        EXPECT_EQ(r->Header("content-length"), std::to_string(r->body.size()));
        EXPECT_EQ(r->Header("x-content-type-options"), "nosniff");
        EXPECT_FALSE(r->Header("x-request-id").empty());
    }
    // A client-supplied plain request id is echoed.
    auto r = c.Get("/api/v1/echo/%61%20b", "X-Request-Id: trace-123\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->Header("x-request-id"), "trace-123");
    EXPECT_EQ(r->body.substr(0, 4), "a b|");
    // 204 carries no body and the connection stays usable.
    ASSERT_TRUE(c.Send("DELETE /api/v1/echo/1 HTTP/1.1\r\nHost: x\r\n\r\n"));
    r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
    EXPECT_TRUE(c.Get("/api/v1/echo/again"));
    // HEAD gets the headers of GET and no body.
    ASSERT_TRUE(c.Send("HEAD /api/v1/echo/7 HTTP/1.1\r\nHost: x\r\n\r\n"));
    r = c.Read(/*head=*/true);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("content-length"), std::to_string(std::string("7|-|127.0.0.1|-").size()));
    EXPECT_TRUE(c.Get("/api/v1/echo/after-head"));
}

TEST_F(ServerTest, NotFoundAndMethodNotAllowedEnvelopes) {
    Client c(port_);
    auto r = c.Get("/api/v1/nope");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->Header("content-type"), "application/json");
    EXPECT_NE(r->body.find(R"({"error":{"code":"not_found")"), std::string::npos) << r->body;

    ASSERT_TRUE(c.Send("PUT /api/v1/echo/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
    r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405);
    EXPECT_EQ(r->Header("allow"), "DELETE, GET, HEAD");
    EXPECT_NE(r->body.find(R"("code":"method_not_allowed")"), std::string::npos) << r->body;
    // Still alive.
    EXPECT_TRUE(c.Get("/api/v1/echo/1"));

    r = c.Get("/api/v1/echo/%zz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
}

TEST_F(ServerTest, BodiesWithinLimitsAreRead) {
    Client c(port_);
    ASSERT_TRUE(
        c.Send("POST /api/v1/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "got 5:hello");
    ASSERT_TRUE(
        c.Send("POST /api/v1/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"));
    r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "got 7:abcdefg");
    // Expect: 100-continue gets an interim response before the body is sent.
    ASSERT_TRUE(
        c.Send("POST /api/v1/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
               "Expect: 100-continue\r\n\r\n"));
    r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 100);
    ASSERT_TRUE(c.Send("xyz"));
    r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "got 3:xyz");
}

TEST_F(ServerTest, OversizeBodyIsRejectedBeforeItIsRead) {
    {
        Client c(port_, 3s);
        auto start = std::chrono::steady_clock::now();
        ASSERT_TRUE(
            c.Send("POST /api/v1/upload HTTP/1.1\r\nHost: x\r\n"
                   "Content-Length: 10000000000\r\n\r\nonly a few bytes"));
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
        EXPECT_NE(r->body.find(R"("code":"payload_too_large")"), std::string::npos) << r->body;
        EXPECT_EQ(r->Header("connection"), "close");
        EXPECT_TRUE(c.WaitClosed());
    }
    {
        // The route's own limit (16 bytes) applies.
        Client c(port_, 3s);
        ASSERT_TRUE(
            c.Send("POST /api/v1/small HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n"
                   "12345678901234567"));
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
    }
    {
        // Chunked bodies are cut off while reading.
        Client c(port_, 3s);
        ASSERT_TRUE(
            c.Send("POST /api/v1/small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n"));
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
    }
}

TEST_F(ServerTest, OversizeHeaderIsRejected) {
    Client c(port_, 3s);
    ASSERT_TRUE(c.Send(
        "GET /api/v1/echo/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
    EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, BeforeBodyShortCircuits) {
    Client c(port_, 3s);
    ASSERT_TRUE(
        c.Send("POST /api/v1/guarded HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_NE(r->body.find(R"("code":"unauthenticated")"), std::string::npos);
    EXPECT_EQ(guarded_calls_.load(), 0);

    Client ok(port_, 3s);
    ASSERT_TRUE(
        ok.Send("POST /api/v1/guarded HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\n"
                "Content-Length: 4\r\n\r\nbody"));
    r = ok.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok body");
    EXPECT_EQ(guarded_calls_.load(), 1);
}

TEST_F(ServerTest, ServesStaticFilesWithSpaFallback) {
    Client c(port_);
    auto r = c.Get("/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "<!doctype html><title>Muhafiz</title>");
    EXPECT_EQ(r->Header("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(r->Header("cache-control"), "no-cache");
    EXPECT_NE(r->Header("content-security-policy").find("default-src 'self'"), std::string::npos);

    r = c.Get("/assets/app.1234.js");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "console.log(1);");
    EXPECT_EQ(r->Header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(r->Header("cache-control"), "public, max-age=31536000, immutable");
    EXPECT_TRUE(r->Header("content-security-policy").empty());

    r = c.Get("/robots.txt");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->Header("content-type"), "text/plain; charset=utf-8");

    // SPA routes get index.html.
    r = c.Get("/incidents/INC-2026-000123?tab=timeline");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "<!doctype html><title>Muhafiz</title>");
    EXPECT_EQ(r->Header("cache-control"), "no-cache");

    // API paths, missing assets and dot files do not.
    r = c.Get("/api/v1/unknown");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->Header("content-type"), "application/json");
    r = c.Get("/taxii2/x/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    r = c.Get("/assets/missing.js");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    r = c.Get("/.env");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body.find("SECRET"), std::string::npos);

    // Traversal.
    for (std::string target : {"/../secret.txt", "/%2e%2e/secret.txt",
                               "/assets/..%2f..%2fsecret.txt", "/a/../../secret.txt"}) {
        Client t(port_);
        r = t.Get(target);
        ASSERT_TRUE(r) << target;
        EXPECT_EQ(r->status, 400) << target;
        EXPECT_EQ(r->body.find("top secret"), std::string::npos) << target;
    }
}

TEST_F(ServerTest, HandlerExceptionIs500AndConnectionSurvives) {
    Client c(port_);
    auto r = c.Get("/api/v1/throw");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_NE(r->body.find(R"("code":"internal")"), std::string::npos);
    EXPECT_EQ(r->body.find("boom"), std::string::npos);  // no internals leak
    r = c.Get("/api/v1/echo/1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, MetricsCountRequests) {
    Client c(port_);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.Get("/api/v1/echo/1"));
    ASSERT_TRUE(c.Get("/api/v1/nope"));
    auto r = c.Get("/metrics");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(r->body.find("# TYPE muhafiz_http_requests_total counter"), std::string::npos);
    EXPECT_NE(r->body.find("muhafiz_http_requests_total{method=\"GET\",status=\"2xx\"} 3\n"),
              std::string::npos)
        << r->body;
    EXPECT_NE(r->body.find("muhafiz_http_requests_total{method=\"GET\",status=\"4xx\"} 1\n"),
              std::string::npos);
    EXPECT_NE(r->body.find("muhafiz_http_request_duration_seconds_count 4\n"), std::string::npos);
    // The /metrics request itself is in flight while rendering.
    EXPECT_NE(r->body.find("muhafiz_http_requests_in_flight 1\n"), std::string::npos);
}

TEST_F(ServerTest, HandlerHeadersCannotBreakFraming) {
    Client c(port_);
    auto r = c.Get("/api/v1/headers");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "csv");
    EXPECT_EQ(r->Header("content-type"), "text/csv");
    EXPECT_EQ(r->Header("content-length"), "3");
    EXPECT_EQ(r->Header("etag"), "\"3\"");
    EXPECT_TRUE(r->Header("x-evil").empty());
    EXPECT_TRUE(r->Header("set-cookie").empty());
    EXPECT_TRUE(c.Get("/api/v1/echo/1"));
}

TEST_F(ServerTest, GracefulStopFinishesInFlightRequests) {
    Client idle(port_);
    ASSERT_TRUE(idle.Get("/api/v1/echo/1"));  // now an idle keep-alive connection

    Client slow(port_);
    ASSERT_TRUE(slow.Send("GET /api/v1/slow HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::this_thread::sleep_for(200ms);
    auto start = std::chrono::steady_clock::now();
    server_->Stop();

    auto r = slow.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), 100000u);
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE(slow.WaitClosed());
    EXPECT_TRUE(idle.WaitClosed());
    runner_.join();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);

    // New connections are refused.
    Client late(port_, 1s);
    EXPECT_FALSE(late.connected() && late.Get("/api/v1/echo/1"));
}

TEST(ServerStopTest, DrainTimeoutBoundsStop) {
    // A client that never reads a large response keeps the write pending; Stop still returns
    // after the drain timeout.
    Router router;
    ASSERT_TRUE(router.Add("GET", "/big", [](Request&) {
        return Response::Text(200, std::string(64 * 1024 * 1024, 'x'));
    }));
    core::MetricsRegistry metrics;
    ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.access_log = false;
    options.drain_timeout = 300ms;
    auto server = std::make_unique<Server>(options, router, metrics);
    ASSERT_TRUE(server->Listen());
    std::thread runner([&] { server->Run(); });
    Client c(server->port(), 5s);
    ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::this_thread::sleep_for(300ms);
    auto start = std::chrono::steady_clock::now();
    server->Stop();
    runner.join();
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 2s);
    server.reset();          // destroys the abandoned connection
    EXPECT_FALSE(c.Read());  // the response was cut short
}

TEST(ServerListenTest, ReportsBusyPortAndBadAddress) {
    Router router;
    core::MetricsRegistry metrics;
    ServerOptions options;
    options.port = 0;
    options.access_log = false;
    Server first(options, router, metrics);
    ASSERT_TRUE(first.Listen());

    options.port = first.port();
    Server second(options, router, metrics);
    auto busy = second.Listen();
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, core::ErrorCode::kUnavailable);
    EXPECT_EQ(busy.error().message, "cannot listen on 127.0.0.1:" + std::to_string(first.port()) +
                                        ": address already in use");

    options.host = "not an address";
    Server third(options, router, metrics);
    auto bad = third.Listen();
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_NE(bad.error().message.find("cannot listen on not an address:"), std::string::npos);

    options.host = "192.0.2.1";  // TEST-NET: not a local address
    options.port = 0;
    Server fourth(options, router, metrics);
    auto nonlocal = fourth.Listen();
    ASSERT_FALSE(nonlocal);
    EXPECT_EQ(nonlocal.error().code, core::ErrorCode::kInvalidArgument);

    // Stop before Run: Run returns at once.
    first.Stop();
    first.Run();
}

}  // namespace
}  // namespace muhafiz::http
