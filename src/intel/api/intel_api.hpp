// HTTP handlers of intel: the REST API under /api/v1/intel/ (events, indicators, sharing and the
// recipients preview, sightings, correlations, search, STIX/MISP/CSV export, STIX/MISP import,
// warning lists), the MISP feed under /api/v1/intel/misp-feed/ and the TAXII 2.1 server under
// /taxii2/. Thin: parse, authorise, call the store, render. Visibility is always IntelStore's
// (access::IntelPolicy); invisible = 404.
// Thread-safety: the registered handlers are thread-safe; the store and lists must outlive them.
#pragma once

#include <cstddef>

#include "access/api/guard.hpp"
#include "db/audit_sink.hpp"
#include "http/router.hpp"
#include "intel/intel_store.hpp"

namespace muhafiz::intel::api {

struct TaxiiOptions {
    std::size_t max_content_length = 50u << 20;  // bytes of a POSTed envelope
    int page_limit = 1000;                       // largest page the server returns
    // Signs `next` cursors; kept in the database (IntelStore::IntelSecret) so that a cursor
    // handed out before a restart still works after it. Empty: a random key per process.
    std::string cursor_key;
    // Audit of TAXII DELETEs (intel.indicator.delete); required to serve DELETE.
    const db::AuditSink* audit = nullptr;
};

struct MispFeedOptions {
    Tlp max_tlp = Tlp::kAmberStrict;  // most restrictive TLP an authenticated feed carries
};

[[nodiscard]] core::Status RegisterIntelRoutes(http::Router& router, const access::api::Guard& guard, IntelStore& store);
// GET /api/v1/intel/misp-feed/{feed}/manifest.json | hashes.csv | {uuid}.json: "public"
// (anonymous, TLP:CLEAR only, as the TAXII public collection), "all" and one per audience
// (authenticated: what the caller may see, up to MispFeedOptions::max_tlp). ETag/Last-Modified,
// 304 on If-None-Match / If-Modified-Since.
[[nodiscard]] core::Status RegisterMispFeedRoutes(http::Router& router, const access::api::Guard& guard,
                                                  IntelStore& store, MispFeedOptions options);
[[nodiscard]] core::Status RegisterTaxiiRoutes(http::Router& router, const access::api::Guard& guard, IntelStore& store,
                                               TaxiiOptions options);

// The caller of a TAXII or MISP-feed request: `Authorization: Bearer <token>`, `Authorization:
// Basic <base64(user:password)>` whose password is an API token (the user name is not checked:
// the token names the account), or the session cookie. The token's scopes and MFA enrolment are
// checked as Guard::Authenticate does. kUnauthenticated for a wrong credential.
[[nodiscard]] core::Result<access::Principal> AuthenticateFeedCaller(const access::api::Guard& guard,
                                                                     const http::Request& request);
// The WWW-Authenticate challenge of our 401 answers (Basic and Bearer, realm `realm`).
[[nodiscard]] std::string AuthChallenge(std::string_view realm);

// Admins and analysts of any organisation but the Council, and partner CERT users, with the write
// scope.
[[nodiscard]] bool CanWriteIntel(const access::Principal& p);

}  // namespace muhafiz::intel::api
