// Result<T>: the value of an operation that can fail in an expected way.
//
// Errors carry a protocol-neutral code, a human message and, for validation errors, the name of
// the offending field. `http/status.cpp` is the one place that maps codes to HTTP statuses.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace muhafiz::core {

enum class ErrorCode {
    kInvalidArgument,     // bad input: 400
    kUnauthenticated,     // no or bad credentials: 401
    kPermissionDenied,    // authenticated, not allowed: 403
    kNotFound,            // missing, or invisible to the caller: 404
    kConflict,            // state forbids it (duplicate, has children, wrong transition): 409
    kPreconditionFailed,  // If-Match did not match: 412
    kPayloadTooLarge,     // 413
    kUnsupportedMedia,    // 415
    kTooManyRequests,     // throttled: 429
    kUnavailable,         // a dependency is down: 503
    kInternal,            // a bug or an unexpected failure: 500
};

// Stable machine name of a code, as used in `{"error":{"code":...}}`.
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::kInternal;
    std::string message;
    std::string field;  // the input field at fault, when there is one
};

template <typename T>
using Result = tl::expected<T, Error>;

using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> Fail(ErrorCode code, std::string message, std::string field = {}) {
    return tl::unexpected<Error>(Error{code, std::move(message), std::move(field)});
}

inline tl::unexpected<Error> Invalid(std::string field, std::string message) {
    return Fail(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
}

inline tl::unexpected<Error> NotFound(std::string message) {
    return Fail(ErrorCode::kNotFound, std::move(message));
}

inline Status Ok() { return {}; }

}  // namespace muhafiz::core

// Propagates an error from an expression returning Result/Status; yields the value otherwise.
#define MUHAFIZ_TRY(expr)                                               \
    ({                                                                  \
        auto&& muhafiz_try_r_ = (expr);                                 \
        if (!muhafiz_try_r_) return tl::unexpected(muhafiz_try_r_.error()); \
        std::move(*muhafiz_try_r_);                                     \
    })

#define MUHAFIZ_CHECK(expr)                                             \
    do {                                                                \
        auto&& muhafiz_check_r_ = (expr);                               \
        if (!muhafiz_check_r_) return tl::unexpected(muhafiz_check_r_.error()); \
    } while (0)
