// The incidents capability inside one muhafiz process: incident reports and response (services, routes, commands such as mail-ingest, deadline reminders).
// Runtime::Open opens it after the shared services; serve registers its routes and starts its
// background work (the deadline-reminder worker); main adds its subcommands (mail-ingest).
// Settings (Config::module_settings, prefix incidents_): incidents_regimes_file,
// incidents_max_attachment_bytes, incidents_public_reports_per_hour,
// incidents_reminder_interval_seconds; any other incidents_ key is refused.
// Ownership: owns the capability's services; Runtime owns the module.
// Thread-safety: Start/Stop from one thread; the services are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "access/api/guard.hpp"
#include "app/cli.hpp"
#include "core/result.hpp"
#include "http/router.hpp"

namespace muhafiz::incidents {
class IncidentStore;
namespace api {
class RateLimiter;
}
}  // namespace muhafiz::incidents

namespace muhafiz::app {

struct Runtime;

class IncidentsModule {
public:
    // Builds the capability's services on the runtime's database and shared services.
    [[nodiscard]] static core::Result<std::unique_ptr<IncidentsModule>> Open(Runtime& rt);
    ~IncidentsModule();

    [[nodiscard]] core::Status RegisterRoutes(http::Router& router, Runtime& rt, const access::api::Guard& guard);
    // Background work of `serve`; Stop ends it before the runtime goes.
    void Start(Runtime& rt);
    void Stop();

    static void AddCommands(CLI::App& cli, Commands& commands);

    incidents::IncidentStore& store() { return *store_; }

private:
    IncidentsModule() = default;

    std::unique_ptr<incidents::IncidentStore> store_;
    std::unique_ptr<incidents::api::RateLimiter> limiter_;
    int public_per_hour_ = 10;
    int reminder_interval_seconds_ = 60;
    std::thread worker_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
};

}  // namespace muhafiz::app
