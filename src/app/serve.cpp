#include "app/serve.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "access/api/access_api.hpp"
#include "access/api/guard.hpp"
#include "app/feeds_module.hpp"
#include "app/incidents_module.hpp"
#include "app/intel_module.hpp"
#include "constituency/api/organisations_api.hpp"
#include "http/server.hpp"
#include "vulns/api/advisories_api.hpp"
#include "vulns/api/cvss_api.hpp"
#include "vulns/api/vulns_api.hpp"

namespace muhafiz::app {
namespace {

std::string FindWebDir(const Config& config) {
    if (!config.web_dir.empty()) return config.web_dir;
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    std::vector<std::filesystem::path> candidates;
    if (!ec) {
        candidates.push_back(exe.parent_path() / ".." / "web" / "dist");
        candidates.push_back(exe.parent_path() / "web");
        candidates.push_back(exe.parent_path() / ".." / "share" / "muhafiz" / "web");
    }
    candidates.emplace_back("web/dist");
    for (const auto& c : candidates)
        if (std::filesystem::exists(c / "index.html", ec)) return std::filesystem::weakly_canonical(c, ec).string();
    return {};
}

}  // namespace

core::Status RegisterAllRoutes(http::Router& router, Runtime& rt, const access::api::Guard& guard) {
    MUHAFIZ_CHECK(router.Add("GET", "/api/v1/health", [&rt](http::Request&) {
        auto conn = rt.db->Acquire();
        const bool ok = conn && (*conn)->Query("SELECT 1").has_value();
        return http::Response::Json(ok ? 200 : 503,
                                    core::json::object{{"status", ok ? "ok" : "unavailable"},
                                                       {"version", kVersion},
                                                       {"database", db::DialectName(rt.db->dialect())}});
    }));
    MUHAFIZ_CHECK(router.Add("GET", "/metrics", http::MetricsHandler(rt.metrics)));
    MUHAFIZ_CHECK(access::api::RegisterRoutes(router, guard, *rt.users, rt.audit, *rt.db));
    MUHAFIZ_CHECK(constituency::api::RegisterRoutes(router, guard, *rt.organisations, *rt.owners));
    MUHAFIZ_CHECK(vulns::api::RegisterCvssRoutes(router, guard));
    MUHAFIZ_CHECK(vulns::api::RegisterAdvisoryRoutes(router, guard, *rt.advisories, *rt.csaf, rt.vuln_service.get()));
    MUHAFIZ_CHECK(vulns::api::RegisterVulnRoutes(router, guard, *rt.vuln_service, *rt.vulns, *rt.assets, *rt.findings));
    MUHAFIZ_CHECK(rt.incidents->RegisterRoutes(router, rt, guard));
    MUHAFIZ_CHECK(rt.intel->RegisterRoutes(router, rt, guard));
    MUHAFIZ_CHECK(rt.feeds->RegisterRoutes(router, rt, guard));
    return {};
}

int Serve(const Config& config) {
    http::ServerOptions options;
    if (auto s = SplitListen(config.listen, options.host, options.port); !s) {
        std::cerr << "muhafiz: " << s.error().message << "\n";
        return 2;
    }
    auto rt = Runtime::Open(config);
    if (!rt) {
        std::cerr << "muhafiz: " << rt.error().message << "\n";
        return 1;
    }
    http::Router router;
    access::api::Guard guard(*(*rt)->auth, (*rt)->policy);
    if (auto s = RegisterAllRoutes(router, **rt, guard); !s) {
        std::cerr << "muhafiz: " << s.error().message << "\n";
        return 1;
    }
    if (config.threads > 0) options.threads = config.threads;
    options.static_dir = FindWebDir(config);
    options.max_body_bytes = static_cast<std::size_t>(config.max_body_bytes);
    options.access_log = config.access_log;
    options.trust_proxy = config.trust_proxy;
    options.handle_signals = true;
    // The CSAF provider's files follow the published advisories (and the signing key is made
    // on the first start).
    if (auto published = (*rt)->advisories->ListPublished(); !published) {
        std::cerr << "muhafiz: " << published.error().message << "\n";
        return 1;
    } else if (auto s = (*rt)->csaf->Sync(*published); !s) {
        std::cerr << "muhafiz: CSAF provider: " << s.error().message << "\n";
        return 1;
    }
    if (auto s = (*rt)->vuln_service->Load(); !s) {
        std::cerr << "muhafiz: " << s.error().message << "\n";
        return 1;
    }
    (*rt)->dispatcher->Start();
    if (!(*rt)->vuln_scheduler->sources().empty()) (*rt)->vuln_scheduler->Start();
    (*rt)->incidents->Start(**rt);
    (*rt)->intel->Start(**rt);
    (*rt)->feeds->Start(**rt);
    http::Server server(options, router, (*rt)->metrics);
    if (auto s = server.Listen(); !s) {
        std::cerr << "muhafiz: " << s.error().message << "\n";
        return 1;
    }
    const std::string url = "http://" + (options.host.find(':') != std::string::npos ? "[" + options.host + "]"
                                                                                        : options.host) +
                            ":" + std::to_string(server.port());
    std::cout << "Muhafiz " << kVersion << " serving " << url << " (database: "
              << db::DialectName((*rt)->db->dialect()) << ")\n";
    if (options.static_dir.empty())
        std::cout << "  web UI not found: build it with `make` (or pass --web-dir); the API works without it\n";
    if (!(*rt)->generated_admin_password.empty()) {
        std::cout << "  First start: log in at " << url << " as 'admin' with password "
                  << (*rt)->generated_admin_password << "\n  (shown once; change it, or reset it with "
                  << "`muhafiz admin reset-password admin`)\n";
    } else if ((*rt)->admin_created) {
        std::cout << "  First start: log in at " << url << " as 'admin' with the password in MUHAFIZ_ADMIN_PASSWORD\n";
    } else {
        std::cout << "  Log in at " << url << " (forgot the admin password? `muhafiz admin reset-password admin`)\n";
    }
    std::cout.flush();
    server.Run();
    (*rt)->feeds->Stop();
    (*rt)->intel->Stop();
    (*rt)->incidents->Stop();
    (*rt)->vuln_scheduler->Stop();
    spdlog::info("stopped");
    return 0;
}

}  // namespace muhafiz::app
