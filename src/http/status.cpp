// The one place where protocol-neutral error codes meet HTTP statuses (see core/result.hpp).
#include "http/message.hpp"

namespace muhafiz::http {

int HttpStatus(core::ErrorCode code) {
    switch (code) {
        case core::ErrorCode::kInvalidArgument:
            return 400;
        case core::ErrorCode::kUnauthenticated:
            return 401;
        case core::ErrorCode::kPermissionDenied:
            return 403;
        case core::ErrorCode::kNotFound:
            return 404;
        case core::ErrorCode::kConflict:
            return 409;
        case core::ErrorCode::kPreconditionFailed:
            return 412;
        case core::ErrorCode::kPayloadTooLarge:
            return 413;
        case core::ErrorCode::kUnsupportedMedia:
            return 415;
        case core::ErrorCode::kTooManyRequests:
            return 429;
        case core::ErrorCode::kUnavailable:
            return 503;
        case core::ErrorCode::kInternal:
            return 500;
    }
    return 500;
}

}  // namespace muhafiz::http
