#include "app/intel_module.hpp"

#include <CLI/CLI.hpp>

#include "app/runtime.hpp"

namespace muhafiz::app {

core::Result<std::unique_ptr<IntelModule>> IntelModule::Open(Runtime& rt) {
    (void)rt;
    return std::unique_ptr<IntelModule>(new IntelModule());
}

IntelModule::~IntelModule() { Stop(); }

core::Status IntelModule::RegisterRoutes(http::Router& router, Runtime& rt, const access::api::Guard& guard) {
    (void)router;
    (void)rt;
    (void)guard;
    return {};
}

void IntelModule::Start(Runtime& rt) { (void)rt; }

void IntelModule::Stop() {}

void IntelModule::AddCommands(CLI::App& cli, Commands& commands) {
    (void)cli;
    (void)commands;
}

}  // namespace muhafiz::app
