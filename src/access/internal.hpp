// Helpers shared by the access module's stores; not part of its interface.
// Thread-safety: pure functions and plain values.
#pragma once

#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "db/query.hpp"

namespace muhafiz::access::internal {

using db::CheckLimit;
using db::ContainsPattern;
using db::kMaxPageSize;
using db::Lower;
using db::Where;

// Cursors are the sort key of the last item of a page, opaque to clients.
[[nodiscard]] inline std::string EncodeCursor(std::string_view key) {
    return core::Base64UrlEncode(key);
}
[[nodiscard]] inline core::Result<std::string> DecodeCursor(std::string_view cursor) {
    std::string key;
    if (!core::Base64UrlDecode(cursor, key) || key.empty())
        return core::Invalid("cursor", "invalid cursor");
    return key;
}

}  // namespace muhafiz::access::internal
