// HTTP handler of the CVSS calculators: GET /api/v1/cvss?vector=...&vector=...
//
// Answers {"items":[...]} with one item per `vector` parameter, in the order given:
//   v3.x: {"vector","version":"3.1"|"3.0","score","severity","base","temporal","environmental"}
//         (temporal/environmental are null when no metric of that group is set);
//   v4.0: {"vector","version":"4.0","score","severity","nomenclature","base","threat",
//          "environmental"} where base, threat and environmental are CVSS-B, CVSS-BT and CVSS-BE
//         and score is CVSS-BTE.
// Scores are JSON numbers with one decimal. A malformed vector answers 400
// {"error":{"code":"invalid_argument","message":"... at position N","field":"vector"}}; so do a
// request without `vector` and one with more than kMaxCvssVectors of them.
// Authentication: any authenticated caller with the "read" scope (the Guard).
// Thread-safety: the handler is stateless and thread-safe.
#pragma once

#include <cstddef>

#include "access/api/guard.hpp"
#include "http/message.hpp"
#include "http/router.hpp"

namespace muhafiz::vulns::api {

inline constexpr std::size_t kMaxCvssVectors = 100;

// Registers GET /api/v1/cvss behind `guard`.
[[nodiscard]] core::Status RegisterCvssRoutes(http::Router& router,
                                              const access::api::Guard& guard);

// The response of GET /api/v1/cvss for `request`, without authentication (for tests and reuse).
[[nodiscard]] http::Response CvssResponse(const http::Request& request);

}  // namespace muhafiz::vulns::api
