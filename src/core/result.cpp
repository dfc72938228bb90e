#include "core/result.hpp"

namespace muhafiz::core {

std::string_view ErrorCodeName(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidArgument: return "invalid_argument";
        case ErrorCode::kUnauthenticated: return "unauthenticated";
        case ErrorCode::kPermissionDenied: return "permission_denied";
        case ErrorCode::kNotFound: return "not_found";
        case ErrorCode::kConflict: return "conflict";
        case ErrorCode::kPreconditionFailed: return "precondition_failed";
        case ErrorCode::kPayloadTooLarge: return "payload_too_large";
        case ErrorCode::kUnsupportedMedia: return "unsupported_media_type";
        case ErrorCode::kTooManyRequests: return "too_many_requests";
        case ErrorCode::kUnavailable: return "unavailable";
        case ErrorCode::kInternal: return "internal";
    }
    return "internal";
}

}  // namespace muhafiz::core
