// HTTP handlers of incidents (docs/openapi.yaml, tag "incidents"): intake (single, bulk and the
// public report form, which needs no account and is rate-limited per client address), listing
// with filters, full-text search (q=), sort, cursor pagination and CSV/JSON export, the incident
// and its timeline, tasks, observables, attachments, links and merges, escalation / delegation /
// sharing, deadlines, the delivery log, custom field definitions and statistics (the Council may
// call /stats and sees no incident details). Handlers are thin: the rules are in IncidentStore.
// Thread-safety: the registered handlers are thread-safe (the rate limiter has its own mutex).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "access/api/guard.hpp"
#include "http/router.hpp"
#include "incidents/incident_store.hpp"

namespace muhafiz::incidents::api {

struct ApiOptions {
    int public_reports_per_hour = 10;  // per client address; 0 disables the public form
    std::size_t max_bulk_body_bytes = 64u << 20;
};

// A sliding one-hour window of requests per key.
class RateLimiter {
public:
    explicit RateLimiter(int per_hour) : per_hour_(per_hour) {}
    // True (and counted) when `key` is still under the limit at `now`.
    bool Allow(const std::string& key, core::Micros now);

private:
    int per_hour_;
    std::mutex mu_;
    std::map<std::string, std::deque<core::Micros>> hits_;
};

// Registers every route; `limiter` must outlive the router.
[[nodiscard]] core::Status RegisterIncidentRoutes(http::Router& router, const access::api::Guard& guard,
                                                  IncidentStore& store, RateLimiter& limiter, ApiOptions options);

}  // namespace muhafiz::incidents::api
