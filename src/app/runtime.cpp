#include "app/runtime.hpp"

#include <filesystem>
#include <thread>

#include "access/bootstrap.hpp"
#include "app/feeds_module.hpp"
#include "app/incidents_module.hpp"
#include "app/intel_module.hpp"
#include "db/migrations.hpp"
#include "notify/smtp_channel.hpp"
#include "notify/webhook_channel.hpp"

namespace muhafiz::app {

core::Result<std::unique_ptr<Runtime>> Runtime::Open(const Config& config) {
    auto rt = std::make_unique<Runtime>();
    rt->config = config;
    const std::string url = config.DatabaseUrl();
    if (url.rfind("postgres", 0) != 0) MUHAFIZ_CHECK(PrepareDataDir(config.data_dir));
    db::Options options;
    const int workers = config.threads > 0 ? config.threads : static_cast<int>(std::thread::hardware_concurrency());
    options.pool_size = static_cast<std::size_t>(std::max(8, workers * 2));
    rt->db = MUHAFIZ_TRY(db::Database::Open(url, options));
    {
        auto conn = MUHAFIZ_TRY(rt->db->Acquire());
        MUHAFIZ_CHECK(db::Migrate(*conn));
    }
    Runtime* self = rt.get();
    rt->owners = std::make_unique<constituency::OwnerIndexUpdater>(
        [self] { return self->organisations->LoadOwnerEntries(); },
        [self] { return self->organisations->ChangeFingerprint(); });
    rt->organisations = std::make_unique<constituency::OrganisationService>(
        *rt->db, rt->audit, [self] { self->owners->RequestRebuild(); });
    auto root = MUHAFIZ_TRY(rt->organisations->EnsureRoot(config.national_cert_name, config.country));
    {
        auto conn = MUHAFIZ_TRY(rt->db->Acquire());
        auto boot = MUHAFIZ_TRY(access::EnsureAdmin(*conn, root.id, config.admin_password, rt->audit));
        rt->admin_created = boot.created;
        if (boot.created && boot.generated) rt->generated_admin_password = boot.password;
    }
    access::AuthOptions auth_options;
    auth_options.session_ttl = config.session_hours * access::kHour;
    auth_options.require_admin_mfa = config.require_admin_mfa;
    rt->users = std::make_unique<access::UserService>(*rt->db, rt->audit);
    rt->auth = std::make_unique<access::AuthService>(*rt->db, rt->audit, auth_options);
    MUHAFIZ_CHECK(rt->owners->RebuildNow());

    rt->notifier = std::make_unique<notify::Notifier>(config.mail_from);
    std::unique_ptr<notify::Channel> email;
    if (!config.smtp_url.empty()) {
        notify::SmtpConfig smtp;
        smtp.url = config.smtp_url;
        smtp.from = config.mail_from;
        smtp.username = config.smtp_username;
        smtp.password = config.smtp_password;
        email = std::make_unique<notify::SmtpChannel>(smtp);
    }
    rt->dispatcher = std::make_unique<notify::Dispatcher>(*rt->db, std::move(email),
                                                          std::make_unique<notify::WebhookChannel>());

    vulns::CsafSettings csaf;
    csaf.publisher_name = config.national_cert_name;
    csaf.publisher_namespace = config.csaf_publisher_namespace;
    csaf.contact_details = config.csaf_contact;
    csaf.tracking_prefix = config.csaf_tracking_prefix;
    csaf.base_url = config.public_url;
    csaf.engine_version = MUHAFIZ_VERSION;
    rt->vulns = std::make_unique<vulns::VulnStore>(*rt->db);
    rt->assets = std::make_unique<vulns::AssetStore>(*rt->db, rt->audit);
    rt->findings = std::make_unique<vulns::FindingStore>(*rt->db, rt->audit);
    rt->advisories = std::make_unique<vulns::AdvisoryStore>(*rt->db, rt->audit, csaf);
    vulns::CsafProviderSettings provider;
    provider.data_dir = std::filesystem::absolute(config.data_dir);
    provider.csaf = csaf;
    rt->csaf = std::make_unique<vulns::CsafProvider>(provider);
    rt->vuln_service = std::make_unique<vulns::VulnService>(*rt->db, *rt->vulns, *rt->assets, *rt->findings,
                                                            rt->notifier.get(), [self] { self->dispatcher->Wake(); });
    auto sources = MUHAFIZ_TRY(vulns::ParseVulnSources(config.vuln_sources));
    vulns::FetchOptions fetch;
    fetch.data_dir = config.data_dir;
    vulns::VulnService* service = rt->vuln_service.get();
    rt->vuln_fetcher = std::make_unique<vulns::Fetcher>(
        *rt->db,
        [service](const std::string& path, vulns::IngestKind kind) -> core::Status {
            auto r = service->IngestPath(path, kind);
            if (!r) return tl::unexpected(r.error());
            return core::Ok();
        },
        fetch);
    rt->vuln_scheduler = std::make_unique<vulns::Scheduler>(*rt->vuln_fetcher, std::move(sources));
    rt->incidents = MUHAFIZ_TRY(IncidentsModule::Open(*rt));
    rt->intel = MUHAFIZ_TRY(IntelModule::Open(*rt));
    rt->feeds = MUHAFIZ_TRY(FeedsModule::Open(*rt));
    return rt;
}

Runtime::~Runtime() {
    // The modules' workers stop before the shared services they use go.
    if (feeds) feeds->Stop();
    if (intel) intel->Stop();
    if (incidents) incidents->Stop();
}

}  // namespace muhafiz::app
