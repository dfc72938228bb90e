// The incidents capability inside one muhafiz process: incident reports and response (services, routes, commands such as mail-ingest, deadline reminders).
// Runtime::Open opens it after the shared services; serve registers its routes and starts its
// background work; main adds its subcommands.
// Ownership: owns the capability's services; Runtime owns the module.
#pragma once

#include <memory>

#include "access/api/guard.hpp"
#include "app/cli.hpp"
#include "core/result.hpp"
#include "http/router.hpp"

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

private:
    IncidentsModule() = default;
};

}  // namespace muhafiz::app
