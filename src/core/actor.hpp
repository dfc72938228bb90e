// Who is doing something: the identity recorded in the audit log and timelines. Plain value.
#pragma once

#include <cstdint>
#include <string>

namespace muhafiz::core {

struct Actor {
    std::int64_t user_id = 0;          // 0 for the system or the command line
    std::string username = "system";
    std::int64_t organisation_id = 0;
    std::string address;               // remote address, or "cli"
};

}  // namespace muhafiz::core
