#include "app/incidents_module.hpp"

#include <CLI/CLI.hpp>

#include "app/runtime.hpp"

namespace muhafiz::app {

core::Result<std::unique_ptr<IncidentsModule>> IncidentsModule::Open(Runtime& rt) {
    (void)rt;
    return std::unique_ptr<IncidentsModule>(new IncidentsModule());
}

IncidentsModule::~IncidentsModule() { Stop(); }

core::Status IncidentsModule::RegisterRoutes(http::Router& router, Runtime& rt, const access::api::Guard& guard) {
    (void)router;
    (void)rt;
    (void)guard;
    return {};
}

void IncidentsModule::Start(Runtime& rt) { (void)rt; }

void IncidentsModule::Stop() {}

void IncidentsModule::AddCommands(CLI::App& cli, Commands& commands) {
    (void)cli;
    (void)commands;
}

}  // namespace muhafiz::app
