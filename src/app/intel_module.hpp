// The intel capability inside one muhafiz process: threat-intelligence sharing (intel events,
// STIX, TAXII server and scheduled pulls, MISP).
// Runtime::Open opens it after the shared services; serve registers its routes and starts its
// background work (scheduled TAXII pulls per partner, expiry of stale indicators); main adds its
// subcommands (import stix|misp, export stix|misp|misp-feed|intel-csv, taxii pull|push,
// intel correlate|expire).
// Settings (config file, MUHAFIZ_INTEL_* / MUHAFIZ_TAXII_* environment):
//   intel_correlation_limit        events per value before it over-correlates (default 1000)
//   intel_warninglists_dir         the operator's extra warning lists (MISP warninglist JSON)
//   intel_builtin_warninglists_dir the shipped lists (default: data/warninglists found next to the
//                                  program or in the source tree; "none" to skip)
//   intel_indicator_max_age_days   expire indicators without valid_until after N days (0: never)
//   intel_misp_feed_max_tlp        most restrictive TLP the authenticated MISP feeds carry
//                                  (default TLP:AMBER+STRICT; the public feed is TLP:CLEAR only)
//   taxii_max_content_length       largest POSTed envelope in bytes (default 52428800)
//   taxii_page_limit               largest page of objects (default 1000)
//   taxii_token, taxii_password    default credentials of `taxii pull|push` (MUHAFIZ_TAXII_TOKEN,
//                                  MUHAFIZ_TAXII_PASSWORD); unused by serve
//   taxii_pull_sources             JSON array of scheduled pulls: [{"url","collection","token" or
//                                  "user"+"password" (HTTP Basic),"interval_minutes","organisation",
//                                  "tlp","audience","verify_tls"}]
// Ownership: owns the capability's services; Runtime owns the module.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "access/api/guard.hpp"
#include "app/cli.hpp"
#include "core/result.hpp"
#include "http/router.hpp"
#include "intel/api/intel_api.hpp"
#include "intel/intel_store.hpp"
#include "intel/taxii_client.hpp"
#include "intel/warninglist.hpp"

namespace muhafiz::app {

struct Runtime;

class IntelModule {
public:
    // Builds the capability's services on the runtime's database and shared services.
    [[nodiscard]] static core::Result<std::unique_ptr<IntelModule>> Open(Runtime& rt);
    ~IntelModule();

    [[nodiscard]] core::Status RegisterRoutes(http::Router& router, Runtime& rt, const access::api::Guard& guard);
    // Background work of `serve`; Stop ends it before the runtime goes.
    void Start(Runtime& rt);
    void Stop();

    static void AddCommands(CLI::App& cli, Commands& commands);

    intel::IntelStore& store() { return *store_; }

private:
    IntelModule() = default;

    struct PullSource {
        intel::TaxiiEndpoint endpoint;
        int interval_minutes = 60;
        std::string organisation;  // owner of the pulled event (default: the National CERT)
        access::Tlp tlp = access::Tlp::kAmber;
        access::Audience audience = access::Audience::kOrganisation;
    };

    intel::WarningLists lists_;
    std::unique_ptr<intel::IntelStore> store_;
    intel::api::TaxiiOptions taxii_;
    intel::api::MispFeedOptions misp_feed_;
    std::vector<PullSource> pulls_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace muhafiz::app
