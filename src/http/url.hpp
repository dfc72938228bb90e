// URL helpers for the HTTP server: percent-decoding of paths and query strings.
// Thread-safe (pure functions). Malformed input (a bad %-escape, or a NUL byte after decoding)
// yields std::nullopt rather than an error value: the caller answers 400.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace muhafiz::http {

// Decodes %XX escapes; with `plus_as_space`, '+' becomes ' ' (query strings).
[[nodiscard]] std::optional<std::string> PercentDecode(std::string_view text, bool plus_as_space);

// Splits "a=1&b=x+y&c" into decoded pairs, in order ("c" → {"c", ""}); empty parts are skipped.
[[nodiscard]] std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(
    std::string_view query);

// Percent-encodes everything but unreserved characters (RFC 3986) and, if `keep_slash`, '/'.
[[nodiscard]] std::string PercentEncode(std::string_view text, bool keep_slash = false);

}  // namespace muhafiz::http
