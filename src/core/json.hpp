// JSON helpers over Boost.JSON for request bodies and external formats: parsing with a clear
// error, typed field access whose errors name the field, and rejection of unknown fields.
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "core/result.hpp"

namespace muhafiz::core {

namespace json = boost::json;

// Parses text as JSON; the error says where it broke.
[[nodiscard]] Result<json::value> ParseJson(std::string_view text);
// Parses text that must be a JSON object.
[[nodiscard]] Result<json::object> ParseJsonObject(std::string_view text);

// Fails naming the first key of `obj` that is not in `allowed` (prefixed by `path`).
[[nodiscard]] Status RejectUnknownFields(const json::object& obj,
                                         std::initializer_list<std::string_view> allowed,
                                         std::string_view path = {});

// Typed optional getters: absent or null → nullopt; wrong type → kInvalidArgument naming the key.
[[nodiscard]] Result<std::optional<std::string>> GetString(const json::object& obj,
                                                           std::string_view key,
                                                           std::string_view path = {});
[[nodiscard]] Result<std::optional<std::int64_t>> GetInt(const json::object& obj,
                                                         std::string_view key,
                                                         std::string_view path = {});
[[nodiscard]] Result<std::optional<bool>> GetBool(const json::object& obj, std::string_view key,
                                                  std::string_view path = {});
// Present-and-null is distinguished from absent: returns nullptr when absent.
[[nodiscard]] const json::value* Find(const json::object& obj, std::string_view key);

// Serialises compactly.
[[nodiscard]] std::string ToJson(const json::value& v);

}  // namespace muhafiz::core
