// Runtime: the wired-up services of one muhafiz process (the only place that knows every
// module). Opening it connects to the database, applies migrations, makes sure the National
// CERT and an admin exist, and builds the owner index.
// Ownership: owns everything it wires; members are declared in dependency order.
// Thread-safety: the services are thread-safe once Open has returned.
#pragma once

#include <memory>
#include <string>

#include "access/audit_log.hpp"
#include "access/auth_service.hpp"
#include "access/policy.hpp"
#include "access/users.hpp"
#include "app/config.hpp"
#include "constituency/organisation_service.hpp"
#include "constituency/owner_updater.hpp"
#include "core/metrics.hpp"
#include "db/database.hpp"
#include "notify/notifier.hpp"
#include "vulns/advisory_store.hpp"
#include "vulns/asset_store.hpp"
#include "vulns/csaf_provider.hpp"
#include "vulns/feed_fetch.hpp"
#include "vulns/finding_store.hpp"
#include "vulns/vuln_service.hpp"
#include "vulns/vuln_store.hpp"

namespace muhafiz::app {

class IncidentsModule;
class IntelModule;
class FeedsModule;

struct Runtime {
    Config config;
    std::unique_ptr<db::Database> db;
    access::AuditLog audit;
    access::Policy policy;
    std::unique_ptr<constituency::OrganisationService> organisations;
    // After `organisations`: destroyed first, so its worker stops before what it reads goes.
    std::unique_ptr<constituency::OwnerIndexUpdater> owners;
    std::unique_ptr<access::UserService> users;
    std::unique_ptr<access::AuthService> auth;
    std::unique_ptr<notify::Notifier> notifier;  // always there: e-mail is queued even without SMTP
    std::unique_ptr<notify::Dispatcher> dispatcher;  // sends the queue; started by serve
    std::unique_ptr<vulns::VulnStore> vulns;
    std::unique_ptr<vulns::AssetStore> assets;
    std::unique_ptr<vulns::FindingStore> findings;
    std::unique_ptr<vulns::AdvisoryStore> advisories;
    std::unique_ptr<vulns::CsafProvider> csaf;
    std::unique_ptr<vulns::VulnService> vuln_service;  // after the stores: destroyed first
    std::unique_ptr<vulns::Fetcher> vuln_fetcher;       // scheduled downloads (vuln_sources)
    std::unique_ptr<vulns::Scheduler> vuln_scheduler;   // after the fetcher it drives
    // The capabilities wired in app/*_module.cpp, after the shared services they use (destroyed
    // first); feeds after intel, which it reads.
    std::unique_ptr<IncidentsModule> incidents;
    std::unique_ptr<IntelModule> intel;
    std::unique_ptr<FeedsModule> feeds;
    core::MetricsRegistry metrics;
    std::string generated_admin_password;  // set when this start created the admin account
    bool admin_created = false;

    // Opens the database named by the config and wires the services.
    [[nodiscard]] static core::Result<std::unique_ptr<Runtime>> Open(const Config& config);
    ~Runtime();
};

}  // namespace muhafiz::app
