#include "app/config.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/country.hpp"
#include "vulns/feed_fetch.hpp"

namespace muhafiz::app {
namespace {

core::Result<bool> ParseBool(const std::string& key, const std::string& v) {
    if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
    if (v == "0" || v == "false" || v == "no" || v == "off") return false;
    return core::Invalid(key, key + " must be true or false, not '" + v + "'");
}

core::Result<std::int64_t> ParseInt(const std::string& key, const std::string& v, std::int64_t min, std::int64_t max) {
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || n < min || n > max)
        return core::Invalid(key, key + " must be a whole number from " + std::to_string(min) + " to " +
                                      std::to_string(max) + ", not '" + v + "'");
    return static_cast<std::int64_t>(n);
}

}  // namespace

std::string Config::DatabaseUrl() const {
    if (!database.empty()) return database;
    return (std::filesystem::path(data_dir) / "muhafiz.db").string();
}

core::Status ApplySetting(Config& c, const std::string& key, const std::string& value) {
    if (key == "listen") {
        std::string host;
        std::uint16_t port;
        MUHAFIZ_CHECK(SplitListen(value, host, port));
        c.listen = value;
    } else if (key == "database") {
        c.database = value;
    } else if (key == "data_dir") {
        c.data_dir = value;
    } else if (key == "web_dir") {
        c.web_dir = value;
    } else if (key == "threads") {
        c.threads = static_cast<int>(MUHAFIZ_TRY(ParseInt(key, value, 0, 256)));
    } else if (key == "require_admin_mfa") {
        c.require_admin_mfa = MUHAFIZ_TRY(ParseBool(key, value));
    } else if (key == "access_log") {
        c.access_log = MUHAFIZ_TRY(ParseBool(key, value));
    } else if (key == "trust_proxy") {
        c.trust_proxy = MUHAFIZ_TRY(ParseBool(key, value));
    } else if (key == "national_cert_name") {
        c.national_cert_name = value;
    } else if (key == "country") {
        if (!core::IsCountryCode(value))
            return core::Invalid(key, "country must be an ISO 3166-1 alpha-2 code such as PK, not '" + value + "'");
        c.country = value;
    } else if (key == "session_hours") {
        c.session_hours = MUHAFIZ_TRY(ParseInt(key, value, 1, 24 * 30));
    } else if (key == "max_body_bytes") {
        c.max_body_bytes = MUHAFIZ_TRY(ParseInt(key, value, 1024, std::int64_t{1} << 32));
    } else if (key == "smtp_url") {
        if (!value.empty() && value.rfind("smtp://", 0) != 0 && value.rfind("smtps://", 0) != 0)
            return core::Invalid(key, "smtp_url must start with smtp:// or smtps://");
        c.smtp_url = value;
    } else if (key == "smtp_username") {
        c.smtp_username = value;
    } else if (key == "smtp_password") {
        c.smtp_password = value;
    } else if (key == "mail_from") {
        c.mail_from = value;
    } else if (key == "public_url") {
        c.public_url = value;
        while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
    } else if (key == "csaf_publisher_namespace") {
        c.csaf_publisher_namespace = value;
    } else if (key == "csaf_tracking_prefix") {
        c.csaf_tracking_prefix = value;
    } else if (key == "csaf_contact") {
        c.csaf_contact = value;
    } else if (key == "vuln_sources") {
        if (auto sources = vulns::ParseVulnSources(value); !sources) return tl::unexpected(sources.error());
        c.vuln_sources = value;
    } else {
        for (const char* prefix : kModulePrefixes) {
            if (key.rfind(prefix, 0) == 0 && key.size() > std::strlen(prefix)) {
                c.module_settings[key] = value;
                return {};
            }
        }
        return core::Invalid(key, "unknown setting '" + key + "'");
    }
    return {};
}

core::Status ApplyConfigFile(Config& c, const std::string& path) {
    std::ifstream in(path);
    if (!in) return core::Invalid("config", "cannot read config file " + path + ": " + std::strerror(errno));
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        const auto hash = line.find('#');
        if (hash != std::string::npos) line.erase(hash);
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos) continue;
        const auto eq = line.find('=');
        if (eq == std::string::npos)
            return core::Invalid("config", path + ":" + std::to_string(n) + ": expected 'key = value'");
        auto trim = [](std::string s) {
            s.erase(0, s.find_first_not_of(" \t\r"));
            s.erase(s.find_last_not_of(" \t\r") + 1);
            if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
            return s;
        };
        const std::string key = trim(line.substr(0, eq));
        const std::string value = trim(line.substr(eq + 1));
        if (auto s = ApplySetting(c, key, value); !s)
            return core::Invalid("config", path + ":" + std::to_string(n) + ": " + s.error().message);
    }
    return {};
}

core::Status ApplyEnvironment(Config& c) {
    static const std::pair<const char*, const char*> kVars[] = {
        {"MUHAFIZ_LISTEN", "listen"},           {"MUHAFIZ_DATABASE", "database"},
        {"MUHAFIZ_DATA_DIR", "data_dir"},       {"MUHAFIZ_WEB_DIR", "web_dir"},
        {"MUHAFIZ_THREADS", "threads"},         {"MUHAFIZ_REQUIRE_ADMIN_MFA", "require_admin_mfa"},
        {"MUHAFIZ_ACCESS_LOG", "access_log"},   {"MUHAFIZ_NATIONAL_CERT_NAME", "national_cert_name"},
        {"MUHAFIZ_TRUST_PROXY", "trust_proxy"},     {"MUHAFIZ_SMTP_URL", "smtp_url"},
        {"MUHAFIZ_SMTP_USERNAME", "smtp_username"}, {"MUHAFIZ_SMTP_PASSWORD", "smtp_password"},
        {"MUHAFIZ_MAIL_FROM", "mail_from"},         {"MUHAFIZ_PUBLIC_URL", "public_url"},
        {"MUHAFIZ_CSAF_PUBLISHER_NAMESPACE", "csaf_publisher_namespace"},
        {"MUHAFIZ_CSAF_TRACKING_PREFIX", "csaf_tracking_prefix"}, {"MUHAFIZ_CSAF_CONTACT", "csaf_contact"},
        {"MUHAFIZ_VULN_SOURCES", "vuln_sources"},
        {"MUHAFIZ_COUNTRY", "country"},         {"MUHAFIZ_SESSION_HOURS", "session_hours"},
        {"MUHAFIZ_MAX_BODY_BYTES", "max_body_bytes"},
    };
    for (const auto& [var, key] : kVars) {
        if (const char* v = std::getenv(var); v && *v) {
            if (auto s = ApplySetting(c, key, v); !s)
                return core::Invalid(key, std::string(var) + ": " + s.error().message);
        }
    }
    // MUHAFIZ_FEEDS_SPOOL_DIR -> feeds_spool_dir, and so on for every module prefix.
    for (char** e = environ; e && *e; ++e) {
        const std::string entry = *e;
        const auto eq = entry.find('=');
        if (eq == std::string::npos || entry.rfind("MUHAFIZ_", 0) != 0 || eq + 1 == entry.size()) continue;
        std::string key = entry.substr(8, eq - 8);
        for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        for (const char* prefix : kModulePrefixes)
            if (key.rfind(prefix, 0) == 0) c.module_settings[key] = entry.substr(eq + 1);
    }
    if (const char* p = std::getenv("MUHAFIZ_ADMIN_PASSWORD")) c.admin_password = p;
    return {};
}

core::Status SplitListen(const std::string& listen, std::string& host, std::uint16_t& port) {
    std::string port_text;
    if (!listen.empty() && listen.front() == '[') {
        const auto close = listen.find(']');
        if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
            return core::Invalid("listen", "listen must look like [::1]:8080");
        host = listen.substr(1, close - 1);
        port_text = listen.substr(close + 2);
    } else {
        const auto colon = listen.rfind(':');
        if (colon == std::string::npos) {
            host = "127.0.0.1";
            port_text = listen;
        } else {
            host = colon == 0 ? "127.0.0.1" : listen.substr(0, colon);
            port_text = listen.substr(colon + 1);
        }
    }
    auto p = ParseInt("listen", port_text, 0, 65535);
    if (!p) return core::Invalid("listen", "listen must be HOST:PORT with a port from 0 to 65535, not '" + listen + "'");
    port = static_cast<std::uint16_t>(*p);
    return {};
}

core::Status PrepareDataDir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return core::Fail(core::ErrorCode::kUnavailable, "cannot create data folder " + dir + ": " + ec.message());
    const auto probe = std::filesystem::path(dir) / (".write-test-" + std::to_string(::getpid()));
    {
        std::ofstream out(probe);
        if (!out || !(out << "ok") || !out.flush())
            return core::Fail(core::ErrorCode::kUnavailable, "cannot write to data folder " + dir + ": " +
                                                                 std::strerror(errno ? errno : EACCES));
    }
    std::filesystem::remove(probe, ec);
    return {};
}

}  // namespace muhafiz::app
