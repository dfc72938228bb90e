// `muhafiz serve`: the HTTP server with every capability's routes.
#pragma once

#include "access/api/guard.hpp"
#include "app/config.hpp"
#include "app/runtime.hpp"
#include "http/router.hpp"

namespace muhafiz::app {

inline constexpr const char* kVersion = MUHAFIZ_VERSION;

// Registers health, metrics and every capability's routes.
[[nodiscard]] core::Status RegisterAllRoutes(http::Router& router, Runtime& rt, const access::api::Guard& guard);

// Runs until SIGINT/SIGTERM; returns the process exit code.
int Serve(const Config& config);

}  // namespace muhafiz::app
