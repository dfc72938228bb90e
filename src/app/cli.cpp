#include "app/cli.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

namespace muhafiz::app {

int Fail(const std::string& message, int code) {
    std::cerr << "muhafiz: " << message << "\n";
    return code;
}

core::Result<std::string> ReadInput(const std::string& path) {
    if (path == "-") {
        std::stringstream ss;
        ss << std::cin.rdbuf();
        return ss.str();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return core::Invalid("file", "cannot read " + path + ": " + std::strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

core::Actor CliActor() {
    core::Actor a;
    a.username = "cli";
    a.address = "cli";
    return a;
}

}  // namespace muhafiz::app
