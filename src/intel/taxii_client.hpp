// TaxiiClient: pulls objects from a TAXII 2.1 collection into an intel event (one event per
// server and collection), resuming from the last date_added seen (intel_taxii_cursors), and pushes
// an event's objects to a collection. Paging prefers the server's `next`, else `added_after` from
// X-TAXII-Date-Added-Last; objects are de-duplicated by (id, modified) (IntelStore::ImportStix
// appending mode).
// Thread-safety: stateless apart from the store; one call per thread.
// Errors: kUnavailable (network, 5xx), kPermissionDenied/kUnauthenticated (401/403),
// kNotFound (404), kInvalidArgument (bad URL or a non-TAXII answer).
#pragma once

#include <string>

#include "intel/intel_store.hpp"

namespace muhafiz::intel {

struct TaxiiEndpoint {
    std::string api_root;    // "https://partner.example/taxii2/api1/" (trailing '/' added)
    std::string collection;  // id or alias
    std::string token;       // bearer token ("" none)
    std::string user, password;  // HTTP Basic instead of a token
    bool verify_tls = true;
    std::string ca_file;
    int page_size = 1000;
    int max_pages = 100000;
};

struct PullResult {
    std::string event_id;
    std::size_t pages = 0, objects = 0, indicators = 0, duplicates = 0, failed = 0;
    std::string last_added;
};

[[nodiscard]] core::Result<PullResult> TaxiiPull(IntelStore& store, const TaxiiEndpoint& endpoint,
                                                 std::int64_t organisation_id, Tlp tlp, Audience audience,
                                                 const core::Actor& actor);

struct PushResult {
    std::size_t total = 0, success = 0, failure = 0, pending = 0;
    std::string status_id, status;
};

// POSTs the objects of the bundle `bundle` ({"objects": [...]}) as a TAXII envelope.
[[nodiscard]] core::Result<PushResult> TaxiiPush(const TaxiiEndpoint& endpoint, const core::json::object& bundle);

}  // namespace muhafiz::intel
