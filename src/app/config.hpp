// Configuration of a muhafiz process: defaults, then a config file (`key = value` lines, '#'
// comments), then MUHAFIZ_* environment variables, then command-line flags — later wins.
// Thread-safety: a plain value, filled once at start-up.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/result.hpp"

namespace muhafiz::app {

struct Config {
    std::string listen = "127.0.0.1:8080";
    std::string database;  // empty: SQLite at <data_dir>/muhafiz.db
    std::string data_dir = "var";
    std::string web_dir;   // empty: look for the built UI next to the program
    int threads = 0;       // 0: one per core
    bool require_admin_mfa = false;
    bool access_log = true;
    bool trust_proxy = false;  // behind a reverse proxy: X-Forwarded-For / X-Forwarded-Proto
    std::string national_cert_name = "National CERT";
    std::string country = "PK";
    std::int64_t session_hours = 12;
    std::int64_t max_body_bytes = 1 << 20;
    std::string admin_password;  // only from MUHAFIZ_ADMIN_PASSWORD: used on the first start

    // Outgoing e-mail (notifications, digests); empty smtp_url: e-mail stays queued.
    std::string smtp_url;  // smtp://relay:587, smtps://relay:465
    std::string smtp_username;
    std::string smtp_password;
    std::string mail_from = "Muhafiz <muhafiz@localhost>";

    // The CSAF provider (advisories).
    std::string public_url;  // where this server is reached, e.g. https://cert.example.pk
    std::string csaf_publisher_namespace = "https://cert.example";
    std::string csaf_tracking_prefix = "CERT";
    std::string csaf_contact;

    // Scheduled downloads of vulnerability data; empty: offline files only. See
    // vulns::ParseVulnSources: "kev=URL;interval=86400, nvd=URL;api_key=...".
    std::string vuln_sources;

    // Settings of a capability module, keyed with its prefix: "incidents_*", "intel_*", "taxii_*",
    // "feeds_*" (file, MUHAFIZ_INCIDENTS_* and so on, or the module's own flags). Each module
    // checks its keys when it opens and refuses an unknown one.
    std::map<std::string, std::string> module_settings;

    // The database URL to open.
    std::string DatabaseUrl() const;
};

// Applies a config file. Unknown keys and bad values are errors naming the line.
[[nodiscard]] core::Status ApplyConfigFile(Config& config, const std::string& path);
// Applies MUHAFIZ_* variables from `environ`.
[[nodiscard]] core::Status ApplyEnvironment(Config& config);
// The key prefixes that belong to capability modules (Config::module_settings).
inline constexpr const char* kModulePrefixes[] = {"incidents_", "intel_", "taxii_", "feeds_"};

// Applies one setting by key ("listen", "database", ...).
[[nodiscard]] core::Status ApplySetting(Config& config, const std::string& key, const std::string& value);

// "host:port" / "[v6]:port" / ":port" / "port".
[[nodiscard]] core::Status SplitListen(const std::string& listen, std::string& host, std::uint16_t& port);

// Makes sure the data folder exists and is writable.
[[nodiscard]] core::Status PrepareDataDir(const std::string& dir);

}  // namespace muhafiz::app
