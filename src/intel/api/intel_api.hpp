// HTTP handlers of intel: the REST API under /api/v1/intel/ (events, indicators, sharing and the
// recipients preview, sightings, correlations, search, STIX/MISP/CSV export, STIX/MISP import,
// warning lists) and the TAXII 2.1 server under /taxii2/. Thin: parse, authorise, call the store,
// render. Visibility is always IntelStore's (access::IntelPolicy); invisible = 404.
// Thread-safety: the registered handlers are thread-safe; the store and lists must outlive them.
#pragma once

#include <cstddef>

#include "access/api/guard.hpp"
#include "http/router.hpp"
#include "intel/intel_store.hpp"

namespace muhafiz::intel::api {

struct TaxiiOptions {
    std::size_t max_content_length = 50u << 20;  // bytes of a POSTed envelope
    int page_limit = 1000;                       // largest page the server returns
};

[[nodiscard]] core::Status RegisterIntelRoutes(http::Router& router, const access::api::Guard& guard, IntelStore& store);
[[nodiscard]] core::Status RegisterTaxiiRoutes(http::Router& router, const access::api::Guard& guard, IntelStore& store,
                                               TaxiiOptions options);

// Admins and analysts of any organisation but the Council, and partner CERT users, with the write
// scope.
[[nodiscard]] bool CanWriteIntel(const access::Principal& p);

}  // namespace muhafiz::intel::api
