// Time: integer microseconds since the Unix epoch, UTC, everywhere; RFC 3339 at the edges.
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace muhafiz::core {

using Micros = std::int64_t;

[[nodiscard]] Micros NowMicros();

// "2026-11-28T10:07:25.123456Z" (fraction omitted when zero when `compact`).
[[nodiscard]] std::string FormatRfc3339(Micros t, bool millis_only = false);

// Accepts RFC 3339 / ISO 8601 forms: date, date-time with 'T' or ' ', optional fraction,
// 'Z' or ±hh:mm offsets. Returns nullopt on anything else.
[[nodiscard]] std::optional<Micros> ParseRfc3339(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's algorithms).
[[nodiscard]] std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d);
void CivilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d);

}  // namespace muhafiz::core
