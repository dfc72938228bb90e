// Login throttling: failed attempts per username and per client address, kept in memory.
//
// After `max_failures` failures within `window`, a key is locked for `first_lockout`; each further
// failure after a lock-out (while the window since the last failure has not passed) locks it again
// for twice as long, up to `max_lockout`. A success clears the username and the address. Keys
// whose last failure is older than the window are forgotten (swept when the table grows).
// State is per process: with several servers, each throttles on its own.
//
// Thread-safety: all methods are safe to call concurrently (one mutex).
// Errors: Check answers kTooManyRequests with the seconds to wait in the message.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "access/clock.hpp"
#include "core/result.hpp"

namespace muhafiz::access {

struct ThrottleOptions {
    int max_failures = 5;
    core::Micros window = 15 * kMinute;
    core::Micros first_lockout = 30 * kSecond;
    core::Micros max_lockout = 15 * kMinute;
};

class LoginThrottle {
  public:
    explicit LoginThrottle(ThrottleOptions options = {}, Clock clock = SystemClock());

    // kTooManyRequests while the username or the address is locked out.
    [[nodiscard]] core::Status Check(std::string_view username, std::string_view address);
    void RecordFailure(std::string_view username, std::string_view address);
    void RecordSuccess(std::string_view username, std::string_view address);

  private:
    struct Entry {
        int failures = 0;  // within the window, since the last lock-out
        int lockouts = 0;  // consecutive lock-outs so far
        core::Micros last_failure = 0;
        core::Micros locked_until = 0;
    };
    void Fail(const std::string& key, core::Micros now);
    void Sweep(core::Micros now);

    const ThrottleOptions options_;
    const Clock clock_;
    std::mutex mu_;
    std::unordered_map<std::string, Entry> entries_;  // "u:<username>" and "a:<address>"
};

}  // namespace muhafiz::access
