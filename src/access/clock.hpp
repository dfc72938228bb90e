// The clock of the access module: a function returning the current time in microseconds.
// Services take one in their constructor so that tests can move time (throttling, expiry, TOTP).
// Thread-safety: the function must be safe to call from several threads (SystemClock() is).
#pragma once

#include <functional>

#include "core/time.hpp"

namespace muhafiz::access {

using Clock = std::function<core::Micros()>;

inline Clock SystemClock() {
    return [] { return core::NowMicros(); };
}

inline constexpr core::Micros kSecond = 1'000'000;
inline constexpr core::Micros kMinute = 60 * kSecond;
inline constexpr core::Micros kHour = 60 * kMinute;
inline constexpr core::Micros kDay = 24 * kHour;

}  // namespace muhafiz::access
