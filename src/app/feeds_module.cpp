#include "app/feeds_module.hpp"

#include <CLI/CLI.hpp>

#include "app/runtime.hpp"

namespace muhafiz::app {

core::Result<std::unique_ptr<FeedsModule>> FeedsModule::Open(Runtime& rt) {
    (void)rt;
    return std::unique_ptr<FeedsModule>(new FeedsModule());
}

FeedsModule::~FeedsModule() { Stop(); }

core::Status FeedsModule::RegisterRoutes(http::Router& router, Runtime& rt, const access::api::Guard& guard) {
    (void)router;
    (void)rt;
    (void)guard;
    return {};
}

void FeedsModule::Start(Runtime& rt) { (void)rt; }

void FeedsModule::Stop() {}

std::optional<int> FeedsModule::TakeMail(Runtime& rt, const notify::MailMessage& message) {
    (void)rt;
    (void)message;
    return std::nullopt;
}

void FeedsModule::AddCommands(CLI::App& cli, Commands& commands) {
    (void)cli;
    (void)commands;
}

}  // namespace muhafiz::app
