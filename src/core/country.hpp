// ISO 3166-1 alpha-2 country codes with their English short names (all 249 assigned codes).
// Thread-safety: pure functions over a constant table. No errors: unknown codes give false or
// an empty name. Codes are matched exactly (upper case); callers upper-case user input first.
#pragma once

#include <cstddef>
#include <string_view>

namespace muhafiz::core {

// True for an assigned ISO 3166-1 alpha-2 code in upper case ("PK", "DE").
[[nodiscard]] bool IsCountryCode(std::string_view code);
// English short name ("Pakistan"; UTF-8, e.g. "Åland Islands"), or empty when unknown.
[[nodiscard]] std::string_view CountryName(std::string_view code);
// Number of codes in the table (249), and the i-th code in ascending order (empty when
// i >= CountryCount()): for listing, e.g. in a form's drop-down.
[[nodiscard]] std::size_t CountryCount();
[[nodiscard]] std::string_view CountryCodeAt(std::size_t i);

}  // namespace muhafiz::core
