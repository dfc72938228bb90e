// What the subcommands of `muhafiz` share: the message-and-exit helper, reading a file or standard
// input, the actor of command-line changes, and `Commands`, through which each capability's module
// (app/*_module.cpp) adds its own subcommands.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "app/config.hpp"
#include "core/actor.hpp"
#include "core/result.hpp"

namespace CLI {
class App;
}

namespace muhafiz::app {

// Prints "muhafiz: MESSAGE" to standard error and returns `code` (the exit code).
int Fail(const std::string& message, int code = 1);

// The whole content of PATH, or of standard input when PATH is "-".
core::Result<std::string> ReadInput(const std::string& path);

// The actor recorded in the audit log for changes made from the command line.
core::Actor CliActor();

// The subcommands a module adds. `common` adds --config/--database/--data-dir to a subcommand;
// main runs the runner of the subcommand given, once the settings have been read.
struct Commands {
    using Runner = std::function<int(const Config&)>;
    std::function<void(CLI::App*)> common;
    std::vector<std::pair<CLI::App*, Runner>> runners;

    void Add(CLI::App* sub, Runner run) { runners.emplace_back(sub, std::move(run)); }
};

}  // namespace muhafiz::app
